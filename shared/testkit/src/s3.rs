//! A real S3-protocol server for a test: `s3s-fs` (the s3s project's server over a
//! directory, installed by README command 1 with `cargo install`), on a free local port,
//! with its own credentials and one bucket. Killed when dropped, its directory removed.

#![expect(clippy::unwrap_used, reason = "test harness: a failure fails the test")]

use std::path::PathBuf;
use std::time::Duration;

/// A running `s3s-fs`.
#[derive(Debug)]
pub struct S3Process {
    child: tokio::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The bucket it serves.
    pub bucket: String,
    /// Where the bucket's objects are, as files.
    pub root: PathBuf,
    /// Its access key's id.
    pub access_key_id: String,
    /// Its access key's secret.
    pub secret_access_key: String,
}

impl S3Process {
    /// Starts `s3s-fs` with a bucket `pieces` and waits until it answers.
    ///
    /// # Errors
    /// When `s3s-fs` is missing or does not answer within 30 s.
    pub async fn start() -> anyhow::Result<Self> {
        let program = home_bin("s3s-fs");
        anyhow::ensure!(
            program.is_file(),
            "{} is missing: README command 1 installs it (cargo install s3s-fs --features binary)",
            program.display()
        );
        let root = std::env::temp_dir().join(format!("napoleon-s3-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(root.join("pieces"))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let access_key_id = format!("napoleon{}", uuid::Uuid::new_v4().simple());
        let secret_access_key = uuid::Uuid::new_v4().simple().to_string();
        let child = tokio::process::Command::new(&program)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--access-key",
                &access_key_id,
                "--secret-key",
                &secret_access_key,
            ])
            .arg(&root)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "s3s-fs did not listen within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Self {
            child,
            endpoint,
            bucket: "pieces".to_owned(),
            root,
            access_key_id,
            secret_access_key,
        })
    }

    /// The platform's store over this server (a client that cannot be built fails the test).
    #[must_use]
    pub fn store(&self) -> napoleon_storage::PieceStore {
        napoleon_storage::PieceStore::s3(&napoleon_storage::S3Settings {
            endpoint: &self.endpoint,
            bucket: &self.bucket,
            region: "us-east-1",
            access_key_id: &self.access_key_id,
            secret_access_key: &self.secret_access_key,
            allow_http: true,
        })
        .unwrap()
    }
}

impl Drop for S3Process {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A program `cargo install` put in `~/.cargo/bin` (or `$CARGO_HOME/bin`).
fn home_bin(name: &str) -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"))
        .join("bin")
        .join(name)
}
