//! The split-process mode of the harness: the built `napoleon` binary serving one service per
//! process on a [`TestDb`], as a deployment runs it.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test harness: a failure fails the test"
)]

use std::time::Duration;

use tokio::process::{Child, Command};

use crate::TestDb;

/// A running `napoleon serve <service>`, killed when dropped.
#[derive(Debug)]
pub struct Process {
    child: Child,
    pub base: String,
}

impl Process {
    /// Starts `binary serve <service>` (the test crate's `env!("CARGO_BIN_EXE_napoleon")`) on
    /// `port` and waits until it is ready, within thirty seconds. `env` is applied last, so it may
    /// override the defaults set here (e.g. turn OTLP export back on).
    pub async fn start(
        binary: &str,
        service: &str,
        db: &TestDb,
        env: &[(&str, String)],
        port: u16,
    ) -> Process {
        // A process given a certificate serves TLS (between pods).
        let tls = env
            .iter()
            .any(|(k, _)| *k == "NAPOLEON__SERVER__TLS_CERT_FILE");
        let base = format!("{}://127.0.0.1:{port}", if tls { "https" } else { "http" });
        let dsfr = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../node_modules/@gouvfr/dsfr/dist");
        let mut command = Command::new(binary);
        command
            .args(["serve", service])
            .env_remove("NAPOLEON_CONFIG")
            .env("NAPOLEON__DATABASE__URL", db.app_url().expose())
            .env("NAPOLEON__DATABASE__POOL_SIZE", "2")
            .env("NAPOLEON__SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("NAPOLEON__WEB__DSFR_DIST", dsfr)
            .env("NAPOLEON__LOG__FILTER", "warn")
            .env("NAPOLEON__DOCUMENTS__LOCAL_DIR", db.pieces_dir())
            .env("OTEL_SDK_DISABLED", "true")
            .kill_on_drop(true);
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().unwrap();
        // Readiness only: the tests check the certificate where it matters (the gateway).
        let client = openidconnect::reqwest::ClientBuilder::new()
            .danger_accept_invalid_certs(tls)
            .build()
            .unwrap();
        for _ in 0..120 {
            if let Ok(r) = client.get(format!("{base}/readyz")).send().await
                && r.status().as_u16() == 200
            {
                return Process { child, base };
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("napoleon serve {service} did not become ready");
    }

    /// Kills the process with SIGKILL (`kill -9`): no signal handler, no cleanup, as when a
    /// node dies; waits until it is gone.
    pub async fn kill(&mut self) {
        self.child.kill().await.unwrap();
    }
}
