//! The job runner on real PostgreSQL: leases, retries, a dead worker's job taken again,
//! cancellation and progress. Time moves with the clock, never with sleeps.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use napoleon_db::Db;
use napoleon_db::jobs::{self, JobKind, JobState, NewJob};
use napoleon_jobs::{Handler, JobContext, JobError, Worker};
use napoleon_kernel::{Clock, ClockHand, JobId, TenantId};
use napoleon_testkit::{TestDb, tenant_with_units};

/// A database on an adjustable clock, with one tenant.
async fn setup() -> (TestDb, Db, ClockHand, TenantId) {
    let tdb = TestDb::new().await.unwrap();
    let (clock, hand) = Clock::adjustable(chrono::Utc::now());
    let db = tdb.app_db().unwrap().with_clock(clock);
    let tenant = tenant_with_units(&db, "jobs", 1).await;
    (tdb, db, hand, tenant)
}

fn kind(name: &str) -> JobKind {
    JobKind::parse(name).unwrap()
}

async fn enqueue(db: &Db, tenant: TenantId, name: &str, n: i64, max_attempts: i32) -> JobId {
    let mut tx = db.tenant(tenant).await.unwrap();
    let id = jobs::enqueue(
        &mut tx,
        &NewJob {
            kind: &kind(name),
            payload: serde_json::json!({ "n": n }),
            max_attempts,
            created_by: "system:test",
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn view(db: &Db, tenant: TenantId, id: JobId) -> jobs::JobView {
    let mut tx = db.tenant(tenant).await.unwrap();
    let v = jobs::job(&mut tx, id).await.unwrap();
    tx.rollback().await;
    v
}

/// Records every job it runs.
struct Record {
    kind: &'static str,
    seen: Arc<Mutex<Vec<JobId>>>,
}

#[async_trait]
impl Handler for Record {
    fn kind(&self) -> JobKind {
        kind(self.kind)
    }

    async fn run(&self, job: &JobContext) -> Result<serde_json::Value, JobError> {
        job.progress(0, Some(1), "Démarrage").await?;
        // Give the other worker a chance to try for the same job meanwhile.
        tokio::task::yield_now().await;
        self.seen.lock().unwrap().push(job.id());
        Ok(serde_json::json!({ "n": job.payload()["n"] }))
    }
}

/// Always fails.
struct Failing;

#[async_trait]
impl Handler for Failing {
    fn kind(&self) -> JobKind {
        kind("test.failing")
    }

    async fn run(&self, _job: &JobContext) -> Result<serde_json::Value, JobError> {
        Err(JobError::Failed("Le fichier est illisible.".to_owned()))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_never_run_the_same_job() {
    let (tdb, db, _hand, tenant) = setup().await;
    let mut ids = Vec::new();
    for n in 0..30 {
        ids.push(enqueue(&db, tenant, "test.record", n, 3).await);
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let worker = |name: &str| {
        let handler = Arc::new(Record {
            kind: "test.record",
            seen: Arc::clone(&seen),
        });
        Worker::new(db.clone(), name, vec![handler])
    };
    let drain = |w: Worker| async move { while w.run_one().await.unwrap().is_some() {} };
    tokio::join!(
        tokio::spawn(drain(worker("a"))),
        tokio::spawn(drain(worker("b")))
    )
    .0
    .unwrap();
    let mut ran = seen.lock().unwrap().clone();
    ran.sort_by_key(|id| id.as_uuid());
    let before = ran.len();
    ran.dedup();
    assert_eq!((before, ran.len()), (30, 30), "each job ran exactly once");
    for id in ids {
        let v = view(&db, tenant, id).await;
        assert_eq!((v.state, v.attempts), (JobState::Succeeded, 1));
        assert!(v.result.is_some());
    }
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_attempt_is_retried_later_then_failed_for_good() {
    let (tdb, db, hand, tenant) = setup().await;
    let id = enqueue(&db, tenant, "test.failing", 0, 2).await;
    let worker = Worker::new(db.clone(), "w", vec![Arc::new(Failing)]);
    assert_eq!(worker.run_one().await.unwrap(), Some(id));
    let v = view(&db, tenant, id).await;
    assert_eq!((v.state, v.attempts), (JobState::Queued, 1));
    assert_eq!(v.last_error.as_deref(), Some("Le fichier est illisible."));
    assert!(v.run_after > db.clock().now(), "retried later, not at once");
    assert_eq!(worker.run_one().await.unwrap(), None, "not due yet");
    hand.advance(napoleon_jobs::backoff(1) + chrono::Duration::seconds(1));
    assert_eq!(worker.run_one().await.unwrap(), Some(id));
    let v = view(&db, tenant, id).await;
    assert_eq!(
        (v.state, v.attempts),
        (JobState::Failed, 2),
        "the last attempt"
    );
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_workers_job_is_taken_again_once_its_lease_passed() {
    let (tdb, db, hand, tenant) = setup().await;
    let id = enqueue(&db, tenant, "test.record", 7, 3).await;
    // A worker leases the job, then dies: it never reports nor finishes.
    let leased = {
        let mut conn = db.platform().await.unwrap();
        jobs::lease(
            &mut conn,
            "dead",
            &[kind("test.record")],
            db.clock().now(),
            60,
        )
        .await
        .unwrap()
        .unwrap()
    };
    assert_eq!(leased.id, id);
    let left = tdb.invariants().await.unwrap_err().to_string();
    assert!(left.contains("job(s) left running"), "{left}");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let worker = Worker::new(
        db.clone(),
        "alive",
        vec![Arc::new(Record {
            kind: "test.record",
            seen: Arc::clone(&seen),
        })],
    );
    assert_eq!(
        worker.run_one().await.unwrap(),
        None,
        "the lease still holds"
    );
    hand.advance(chrono::Duration::seconds(61));
    assert_eq!(worker.run_one().await.unwrap(), Some(id));
    let v = view(&db, tenant, id).await;
    assert_eq!((v.state, v.attempts), (JobState::Succeeded, 2));
    // The dead worker's late word changes nothing.
    let mut tx = db.tenant(tenant).await.unwrap();
    let late = jobs::finish(
        &mut tx,
        id,
        "dead",
        leased.attempt,
        &jobs::Outcome::Failed {
            error: "trop tard".to_owned(),
            retry_at: db.clock().now(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(!late);
    assert_eq!(view(&db, tenant, id).await.state, JobState::Succeeded);
    tdb.finish().await;
}

/// Reports progress until it is told to stop.
struct Endless;

#[async_trait]
impl Handler for Endless {
    fn kind(&self) -> JobKind {
        kind("test.endless")
    }

    async fn run(&self, job: &JobContext) -> Result<serde_json::Value, JobError> {
        for done in 0.. {
            job.progress(done, Some(1_000_000), "Lecture des lignes")
                .await?;
            tokio::task::yield_now().await;
        }
        Ok(serde_json::Value::Null)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_job_stops_and_its_progress_was_visible() {
    let (tdb, db, _hand, tenant) = setup().await;
    // Queued: cancelled at once, never run.
    let queued = enqueue(&db, tenant, "test.endless", 0, 3).await;
    let mut tx = db.tenant(tenant).await.unwrap();
    assert_eq!(
        jobs::request_cancel(&mut tx, queued).await.unwrap(),
        JobState::Cancelled
    );
    tx.commit().await.unwrap();
    // Running: stops at its next progress report.
    let running = enqueue(&db, tenant, "test.endless", 0, 3).await;
    let worker = Worker::new(db.clone(), "w", vec![Arc::new(Endless)]);
    let run = tokio::spawn(async move { worker.run_one().await.unwrap() });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let seen = loop {
        let v = view(&db, tenant, running).await;
        if v.state == JobState::Running && v.done > 10 {
            break v;
        }
        assert!(std::time::Instant::now() < deadline, "no progress: {v:?}");
        tokio::task::yield_now().await;
    };
    assert_eq!(seen.total, Some(1_000_000));
    assert_eq!(seen.message.as_deref(), Some("Lecture des lignes"));
    let mut tx = db.tenant(tenant).await.unwrap();
    assert_eq!(
        jobs::request_cancel(&mut tx, running).await.unwrap(),
        JobState::Running
    );
    tx.commit().await.unwrap();
    assert_eq!(run.await.unwrap(), Some(running));
    assert_eq!(view(&db, tenant, running).await.state, JobState::Cancelled);
    assert_eq!(view(&db, tenant, queued).await.attempts, 0, "never run");
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_is_its_tenants_alone_and_a_bad_kind_is_refused() {
    let (tdb, db, _hand, tenant) = setup().await;
    let id = enqueue(&db, tenant, "test.record", 1, 3).await;
    let other = tenant_with_units(&db, "autre", 1).await;
    let mut tx = db.tenant(other).await.unwrap();
    assert!(jobs::job(&mut tx, id).await.unwrap_err().is_not_found());
    assert!(
        jobs::request_cancel(&mut tx, id)
            .await
            .unwrap_err()
            .is_not_found()
    );
    tx.rollback().await;
    assert_eq!(view(&db, tenant, id).await.state, JobState::Queued);
    for bad in ["record", "Test.record", "test..record", "test.record!", ""] {
        assert!(JobKind::parse(bad).is_err(), "{bad}");
    }
    // The queued job is not running: finish() passes.
    tdb.finish().await;
}

/// Panics on its first attempt, succeeds on the next.
struct PanicsOnce;

#[async_trait]
impl Handler for PanicsOnce {
    fn kind(&self) -> JobKind {
        kind("test.panics")
    }

    #[expect(clippy::panic, reason = "the test is about a handler that panics")]
    async fn run(&self, job: &JobContext) -> Result<serde_json::Value, JobError> {
        if job.attempt() == 1 {
            panic!("a bug in a handler");
        }
        Ok(serde_json::json!("ok"))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_handler_fails_its_attempt_and_the_worker_goes_on() {
    let (tdb, db, hand, tenant) = setup().await;
    let id = enqueue(&db, tenant, "test.panics", 0, 3).await;
    let worker = Worker::new(db.clone(), "w", vec![Arc::new(PanicsOnce)]);
    assert_eq!(worker.run_one().await.unwrap(), Some(id));
    let v = view(&db, tenant, id).await;
    assert_eq!((v.state, v.attempts), (JobState::Queued, 1));
    assert_eq!(
        v.last_error.as_deref(),
        Some("Le traitement s'est interrompu sur une erreur interne."),
        "no internals on the job's page"
    );
    hand.advance(napoleon_jobs::backoff(1) + chrono::Duration::seconds(1));
    assert_eq!(worker.run_one().await.unwrap(), Some(id));
    assert_eq!(view(&db, tenant, id).await.state, JobState::Succeeded);
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_asked_to_stop_is_not_retried_and_leases_are_bounded() {
    let (tdb, db, _hand, tenant) = setup().await;
    let id = enqueue(&db, tenant, "test.failing", 0, 5).await;
    let leased = {
        let mut conn = db.platform().await.unwrap();
        jobs::lease(
            &mut conn,
            "w",
            &[kind("test.failing")],
            db.clock().now(),
            60,
        )
        .await
        .unwrap()
        .unwrap()
    };
    let mut tx = db.tenant(tenant).await.unwrap();
    assert_eq!(
        jobs::request_cancel(&mut tx, id).await.unwrap(),
        JobState::Running
    );
    // Its attempt fails before any progress report: cancelled, not queued again.
    let failed = jobs::Outcome::Failed {
        error: "Le fichier est illisible.".to_owned(),
        retry_at: db.clock().now(),
    };
    assert!(
        jobs::finish(&mut tx, id, "w", leased.attempt, &failed)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    assert_eq!(view(&db, tenant, id).await.state, JobState::Cancelled);
    let mut conn = db.platform().await.unwrap();
    for (worker, seconds) in [("w", 0), ("w", 3601), ("", 60)] {
        assert!(
            jobs::lease(
                &mut conn,
                worker,
                &[kind("test.failing")],
                db.clock().now(),
                seconds
            )
            .await
            .is_err(),
            "{worker:?} {seconds}"
        );
    }
    drop(conn);
    tdb.finish().await;
}

/// Stays silent until told to end.
struct Silent {
    release: Arc<tokio::sync::Notify>,
}

#[async_trait]
impl Handler for Silent {
    fn kind(&self) -> JobKind {
        kind("test.silent")
    }

    async fn run(&self, _job: &JobContext) -> Result<serde_json::Value, JobError> {
        self.release.notified().await;
        Ok(serde_json::Value::Null)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_handlers_lease_is_kept_alive_by_the_worker() {
    let (tdb, db, _hand, tenant) = setup().await;
    let id = enqueue(&db, tenant, "test.silent", 0, 3).await;
    let release = Arc::new(tokio::sync::Notify::new());
    let worker = Worker::new(
        db.clone(),
        "w",
        vec![Arc::new(Silent {
            release: Arc::clone(&release),
        })],
    )
    .with_heartbeat(std::time::Duration::from_millis(50));
    let run = tokio::spawn(async move { worker.run_one().await.unwrap() });
    let until = || async {
        let mut tx = db.tenant(tenant).await.unwrap();
        let until = jobs::lease_until(&mut tx, id).await.unwrap();
        tx.rollback().await;
        until
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let first = loop {
        if let Some(first) = until().await {
            break first;
        }
        assert!(std::time::Instant::now() < deadline, "never leased");
        tokio::task::yield_now().await;
    };
    // Without a word from the handler, the lease moves on.
    loop {
        if until().await.is_some_and(|later| later > first) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the lease was not renewed"
        );
        tokio::task::yield_now().await;
    }
    release.notify_one();
    assert_eq!(run.await.unwrap(), Some(id));
    assert_eq!(view(&db, tenant, id).await.state, JobState::Succeeded);
    tdb.finish().await;
}
