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

/// A campaign of the demo open for filing today.
async fn open_campaign(browser: &mut Browser, base: &str) -> String {
    let (_, campaigns) = browser
        .get_json(&format!("{base}/intake/api/v1/campaigns"))
        .await;
    let today = chrono::Utc::now().date_naive().to_string();
    campaigns
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["opens_on"].as_str().unwrap() <= today.as_str()
                && c["closes_on"].as_str().unwrap() >= today.as_str()
        })
        .and_then(|c| c["id"].as_str())
        .unwrap()
        .to_owned()
}

/// The postmaster's pid, from its `postmaster.pid`.
fn postmaster(cluster: &std::path::Path) -> u32 {
    std::fs::read_to_string(cluster.join("pgdata").join("postmaster.pid"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
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
/// it starts, waits for the crash recovery, and every acknowledged draft is there. CI later
/// caught the other side of that race: a postmaster still exiting when the demo looked
/// (alive, answering nothing); the demo now waits for it, and for its orphaned backends
/// that hold the shared memory, before starting a new one.
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
    let campaign = open_campaign(&mut browser, &base).await;
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
    kill9(postmaster(&cluster)).await;

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

/// What the writers saw.
#[derive(Default)]
struct Seen {
    /// Every key acknowledged, with the dossier it created.
    acknowledged: Vec<(String, String)>,
    /// When each acknowledgement came.
    acknowledged_at: Vec<Instant>,
    /// Answers other than the creation: status and body.
    refusals: Vec<(u16, String)>,
    /// Requests the transport failed (the server down).
    transport_errors: usize,
}

/// A writer: creates drafts one key at a time, and retries each unacknowledged request with
/// the same key until it is acknowledged (as a client following the API's guide would).
async fn writer(
    mut browser: Browser,
    base: String,
    csrf: String,
    campaign: String,
    seen: std::sync::Arc<std::sync::Mutex<Seen>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    let body = serde_json::json!({ "campaign_id": campaign }).to_string();
    let url = format!("{base}/intake/api/v1/dossiers");
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let key = uuid::Uuid::new_v4().to_string();
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            assert!(Instant::now() < deadline, "key {key} never acknowledged");
            match browser
                .try_post_json_with(&url, &body, &csrf, &[("idempotency-key", &key)])
                .await
            {
                Ok(page) if page.status == 201 || page.status == 200 => {
                    let created: serde_json::Value = serde_json::from_str(&page.body).unwrap();
                    let id = created["id"].as_str().unwrap().to_owned();
                    let mut seen = seen.lock().unwrap();
                    seen.acknowledged.push((key.clone(), id));
                    seen.acknowledged_at.push(Instant::now());
                    break;
                }
                Ok(page) => seen.lock().unwrap().refusals.push((page.status, page.body)),
                Err(_) => seen.lock().unwrap().transport_errors += 1,
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Issue 15, faults: writers keep creating drafts (each retried with its idempotency key
/// until acknowledged) while PostgreSQL is killed and started again under them, then while
/// the server is killed and started again. Meanwhile requests fail in French with 503; the
/// server recovers from the database's restart by itself; every acknowledged key names
/// exactly one stored dossier, and no request made a second one.
#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_writes_survive_crashes_exactly_once_and_the_server_recovers_alone() {
    let dir = tempdir::Dir::new();
    let cluster_dir = dir.path.join("pg");
    let (pg_port, http_port) = (free_port(), free_port());
    let base = format!("http://127.0.0.1:{http_port}");
    let mut server = demo(&cluster_dir, pg_port, http_port);
    ready(&base, &mut server).await;
    let mut browser = Browser::new();
    let csrf = login(&mut browser, &base).await;
    let campaign = open_campaign(&mut browser, &base).await;
    let options = napoleon_db::cluster::ClusterOptions {
        dir: cluster_dir.clone(),
        port: pg_port,
        durability: napoleon_db::cluster::Durability::Durable,
    };
    let in_campaign =
        format!("SELECT count(*) AS n FROM intake.dossiers WHERE campaign_id = '{campaign}'");
    let already = {
        let cluster = napoleon_db::cluster::LocalCluster::ensure(&options)
            .await
            .unwrap();
        let mut admin = napoleon_testkit::TestDb::connect(&cluster.admin_url("napoleon"))
            .await
            .unwrap();
        napoleon_testkit::count(&mut admin, &in_campaign).await
    };

    let seen = std::sync::Arc::new(std::sync::Mutex::new(Seen::default()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|_| {
            tokio::spawn(writer(
                browser.twin(),
                base.clone(),
                csrf.clone(),
                campaign.clone(),
                std::sync::Arc::clone(&seen),
                std::sync::Arc::clone(&stop),
            ))
        })
        .collect();
    let acknowledged = || seen.lock().unwrap().acknowledged.len();
    let wait_for = |n: usize, what: &'static str| {
        let acknowledged = &acknowledged;
        async move {
            let started = Instant::now();
            while acknowledged() < n {
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "{what}: no acknowledged write in 60 s"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_for(20, "before the faults").await;

    // PostgreSQL crashes under load, and is started again (by the operator, or its
    // supervisor); the server is not touched.
    kill9(postmaster(&cluster_dir)).await;
    let crashed = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cluster = napoleon_db::cluster::LocalCluster::ensure(&options)
        .await
        .unwrap();
    let restarted = crashed.elapsed();
    // The first write acknowledged once the database is back (those in flight at the crash
    // may still be acknowledged before it).
    let before = acknowledged();
    wait_for(before + 1, "after PostgreSQL's restart").await;
    let recovered = seen.lock().unwrap().acknowledged_at[before].duration_since(crashed);
    eprintln!(
        "PostgreSQL killed, started again {:.1} s later (crash recovery included); writes \
         acknowledged again {:.1} s after the crash, the server untouched",
        restarted.as_secs_f64(),
        recovered.as_secs_f64()
    );
    assert!(
        server.try_wait().unwrap().is_none(),
        "the server survives its database's crash"
    );

    // The server is killed in turn, and started again on the running database.
    wait_for(acknowledged() + 20, "before the server's crash").await;
    server.kill().await.unwrap();
    let mut server = demo(&cluster_dir, pg_port, http_port);
    ready(&base, &mut server).await;
    wait_for(acknowledged() + 20, "after the server's restart").await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }

    let seen = std::sync::Arc::try_unwrap(seen)
        .ok()
        .unwrap()
        .into_inner()
        .unwrap();
    // While the database was down, answers were the French 503, never another error.
    assert!(
        !seen.refusals.is_empty(),
        "some requests were made while the database was down"
    );
    for (status, body) in &seen.refusals {
        assert_eq!(*status, 503, "{body}");
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["status"], 503, "{body}");
        assert!(
            problem["title"]
                .as_str()
                .is_some_and(|t| t.contains("indisponible")),
            "{body}"
        );
    }
    assert!(
        seen.transport_errors > 0,
        "some requests found the server down"
    );

    // Exactly once: one key, one stored key, one dossier; no dossier without its key.
    let mut admin = napoleon_testkit::TestDb::connect(&cluster.admin_url("napoleon"))
        .await
        .unwrap();
    let keys: Vec<String> = seen
        .acknowledged
        .iter()
        .map(|(k, _)| format!("'{k}'"))
        .collect();
    let ids: Vec<String> = seen
        .acknowledged
        .iter()
        .map(|(_, d)| format!("'{d}'"))
        .collect();
    let distinct_ids: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(
        distinct_ids.len(),
        ids.len(),
        "two keys acknowledged one dossier"
    );
    let stored_keys = napoleon_testkit::count(
        &mut admin,
        &format!(
            "SELECT count(*) AS n FROM intake.idempotency_keys WHERE key IN ({}) \
             AND dossier_id IN ({})",
            keys.join(","),
            ids.join(",")
        ),
    )
    .await;
    assert_eq!(
        stored_keys,
        i64::try_from(keys.len()).unwrap(),
        "one row per key"
    );
    let created = napoleon_testkit::count(&mut admin, &in_campaign).await - already;
    let stored = napoleon_testkit::count(
        &mut admin,
        &format!(
            "SELECT count(*) AS n FROM intake.dossiers WHERE id IN ({})",
            ids.join(",")
        ),
    )
    .await;
    assert_eq!(
        stored,
        i64::try_from(ids.len()).unwrap(),
        "every acknowledged dossier stored"
    );
    assert_eq!(
        created,
        i64::try_from(ids.len()).unwrap(),
        "no request made a dossier its key does not name"
    );
    eprintln!(
        "{} drafts acknowledged, each stored once; {} answers 503 and {} refused connections on the way",
        ids.len(),
        seen.refusals.len(),
        seen.transport_errors
    );

    let status = Command::new("kill")
        .args(["-INT", &server.id().unwrap().to_string()])
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(60), server.wait())
        .await
        .expect("the demo stops on Ctrl-C")
        .unwrap();
    assert!(exit.success(), "{exit}");
    // The database this test started, if the demo did not stop it.
    let _ = cluster.stop().await;
}
