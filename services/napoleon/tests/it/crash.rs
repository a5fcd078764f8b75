//! Issue 15, faults: `napoleon demo` and its PostgreSQL killed with `kill -9`, each on its
//! own cluster (own directory and port), in the serial `faults` group.

use std::time::{Duration, Instant};

use napoleon_testkit::Browser;
use napoleon_testkit::agents::PAUL;
use tokio::process::{Child, Command};

use crate::proconnect::{free_port, tempdir};

/// `napoleon demo` on `dir`, its PostgreSQL on `pg_port`, serving on `http_port`.
fn demo(dir: &std::path::Path, pg_port: u16, http_port: u16) -> Child {
    let dsfr = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../node_modules/@gouvfr/dsfr/dist");
    Command::new(env!("CARGO_BIN_EXE_napoleon"))
        .args(["demo", "--data-dir"])
        .arg(dir)
        .args(["--port", &pg_port.to_string()])
        .env_remove("NAPOLEON_CONFIG")
        .env_remove("DATABASE_URL")
        .env("NAPOLEON__SERVER__BIND", format!("127.0.0.1:{http_port}"))
        .env(
            "NAPOLEON__SERVER__PUBLIC_URL",
            format!("http://127.0.0.1:{http_port}"),
        )
        .env("NAPOLEON__WEB__DSFR_DIST", dsfr)
        .env("NAPOLEON__LOG__FILTER", "warn")
        .env("OTEL_SDK_DISABLED", "true")
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Waits for `/readyz`; how long it took.
async fn ready(base: &str, child: &mut Child) -> Duration {
    let started = Instant::now();
    let http = openidconnect::reqwest::Client::new();
    while started.elapsed() < Duration::from_secs(180) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("napoleon demo exited: {status}");
        }
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("napoleon demo did not become ready in 180 s");
}

/// Logs Paul in through the demo's development provider; the CSRF token.
async fn login(browser: &mut Browser, base: &str) -> String {
    let back = napoleon_testkit::login_at(browser, base, PAUL).await;
    assert_eq!(back.status, 303, "{}", back.body);
    browser.get(&format!("{base}/")).await.hidden("_csrf")
}

/// `kill -9` of `pid`.
async fn kill9(pid: u32) {
    let status = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .await
        .unwrap();
    assert!(status.success(), "kill -9 {pid}");
}

/// Before the fix, the first `napoleon demo` after a crash of its PostgreSQL exited with
/// « database connection failed »: the dead postmaster, not yet reaped (a zombie), still
/// answered `pg_ctl status`, so the cluster was believed running and never started. Now
/// it starts, waits for the crash recovery, and every acknowledged draft is there.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_starts_cleanly_after_a_postgresql_crash() {
    let dir = tempdir::Dir::new();
    let cluster = dir.path.join("pg");
    let (pg_port, http_port) = (free_port(), free_port());
    let base = format!("http://127.0.0.1:{http_port}");
    let mut first = demo(&cluster, pg_port, http_port);
    ready(&base, &mut first).await;
    let mut browser = Browser::new();
    let csrf = login(&mut browser, &base).await;
    let (_, campaigns) = browser
        .get_json(&format!("{base}/intake/api/v1/campaigns"))
        .await;
    let today = chrono::Utc::now().date_naive().to_string();
    let campaign = campaigns
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["opens_on"].as_str().unwrap() <= today.as_str()
                && c["closes_on"].as_str().unwrap() >= today.as_str()
        })
        .and_then(|c| c["id"].as_str())
        .unwrap()
        .to_owned();
    let mut acknowledged = Vec::new();
    for _ in 0..5 {
        let created = browser
            .post_json(
                &format!("{base}/intake/api/v1/dossiers"),
                &serde_json::json!({"campaign_id": campaign}).to_string(),
                Some(&csrf),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        let body: serde_json::Value = serde_json::from_str(&created.body).unwrap();
        acknowledged.push(body["id"].as_str().unwrap().to_owned());
    }

    // The crash: the server, then its database, without a chance to clean anything.
    first.kill().await.unwrap();
    let postmaster: u32 = std::fs::read_to_string(cluster.join("pgdata").join("postmaster.pid"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    kill9(postmaster).await;

    let mut second = demo(&cluster, pg_port, http_port);
    let took = ready(&base, &mut second).await;
    eprintln!(
        "napoleon demo ready {:.1} s after the crash",
        took.as_secs_f64()
    );
    for id in &acknowledged {
        let (status, read) = browser
            .get_json(&format!("{base}/intake/api/v1/dossiers/{id}"))
            .await;
        assert_eq!(status, 200, "acknowledged draft {id} survives: {read}");
    }
    // A clean stop: the demo stops its PostgreSQL on Ctrl-C.
    let status = Command::new("kill")
        .args(["-INT", &second.id().unwrap().to_string()])
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(60), second.wait())
        .await
        .expect("the demo stops on Ctrl-C")
        .unwrap();
    assert!(exit.success(), "{exit}");
}
