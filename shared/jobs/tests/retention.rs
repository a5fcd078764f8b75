//! The read log's retention: a daily job per tenant (however many workers ask), which removes
//! the reads older than the period, journals it, and keeps the rest.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::sync::Arc;

use napoleon_db::jobs::{self, JobState};
use napoleon_db::journal::{self, Actor, EventKind};
use napoleon_db::readlog::{self, ReadChannel, ReadSubject};
use napoleon_jobs::Worker;
use napoleon_jobs::retention::ReadLogRetention;
use napoleon_kernel::{AgentId, Clock, DossierId};
use napoleon_testkit::{TestDb, count, tenant_with_units};

#[tokio::test(flavor = "multi_thread")]
async fn reads_past_the_retention_period_are_purged_daily_and_the_rest_kept() {
    let tdb = TestDb::new().await.unwrap();
    let (clock, hand) = Clock::adjustable(chrono::Utc::now());
    let db = tdb.app_db().unwrap().with_clock(clock);
    let tenant = tenant_with_units(&db, "retention", 1).await;
    let other = tenant_with_units(&db, "autre", 1).await;
    // Reads 500, 400, 300 and 10 days old, in both tenants (a read's time is the database's:
    // the owner ages them).
    let mut admin = TestDb::connect(&tdb.admin_url()).await.unwrap();
    for days in [500, 400, 300, 10] {
        for t in [tenant, other] {
            let tx = db.tenant(t).await.unwrap();
            readlog::record(
                &tx,
                Actor::Agent(AgentId::new()),
                ReadSubject::Dossier(DossierId::new()),
                ReadChannel::Page,
                &format!("lu-il-y-a-{days}-jours"),
                None,
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        let aged = count(
            &mut admin,
            &format!(
                "WITH aged AS (UPDATE readlog.reads SET read_at = now() - interval '{days} days' \
                 WHERE request_id = 'lu-il-y-a-{days}-jours' RETURNING 1) \
                 SELECT count(*) AS n FROM aged"
            ),
        )
        .await;
        assert_eq!(aged, 2);
    }

    let worker = Worker::new(
        db.clone(),
        "retention-worker",
        vec![Arc::new(ReadLogRetention::new(365))],
    )
    .with_daily(readlog::purge_kind());
    let twin = Worker::new(db.clone(), "twin", vec![]).with_daily(readlog::purge_kind());
    assert_eq!(worker.schedule().await.unwrap(), 2, "one job per tenant");
    assert_eq!(
        twin.schedule().await.unwrap(),
        0,
        "asked again the same day: no more"
    );
    for _ in 0..2 {
        assert!(worker.run_one().await.unwrap().is_some());
    }
    assert_eq!(worker.run_one().await.unwrap(), None);

    for t in [tenant, other] {
        let mut tx = db.tenant(t).await.unwrap();
        let sql = "SELECT count(*) AS n FROM readlog.reads";
        assert_eq!(
            count(tx.pg(), sql).await,
            2,
            "the 300- and 10-day-old reads stay"
        );
        assert_eq!(
            journal::count_kind(&mut tx, EventKind::ReadLogPurged)
                .await
                .unwrap(),
            2,
            "each slice that removed reads (500 and 400 days old) says so"
        );
        let sql = "SELECT count(*) AS n FROM jobs.jobs WHERE kind = 'readlog.purge'";
        assert_eq!(count(tx.pg(), sql).await, 1);
        tx.rollback().await;
    }
    let mut tx = db.tenant(tenant).await.unwrap();
    let job = jobs::latest(&mut tx, &readlog::purge_kind())
        .await
        .unwrap()
        .unwrap();
    tx.rollback().await;
    assert_eq!(job.state, JobState::Succeeded);
    assert_eq!((job.done, job.total), (2, Some(2)));
    assert_eq!(job.result.as_ref().unwrap()["removed"], 2);

    // The next day brings the next day's job; only periodic kinds are, and only for today.
    hand.advance(chrono::Duration::days(1));
    assert_eq!(worker.schedule().await.unwrap(), 2);
    let mut conn = db.platform().await.unwrap();
    let now = db.clock().now();
    let today = db.clock().today().to_string();
    let outbox = napoleon_db::outbox::http_kind();
    assert!(
        jobs::enqueue_periodic(&mut conn, &outbox, &today, now)
            .await
            .is_err()
    );
    let later = now + chrono::Duration::days(30);
    let later_day = (db.clock().today() + chrono::Duration::days(30)).to_string();
    assert!(
        jobs::enqueue_periodic(&mut conn, &readlog::purge_kind(), &later_day, later)
            .await
            .is_err(),
        "a later day's place cannot be taken now"
    );
    assert!(
        jobs::enqueue_periodic(&mut conn, &readlog::purge_kind(), "2020-01-01", now)
            .await
            .is_err(),
        "the period is the day of now"
    );
    tdb.finish().await;
}

/// Finished jobs and delivered messages past their retention go; queued jobs, undelivered
/// messages and the last 7 days stay.
#[tokio::test(flavor = "multi_thread")]
async fn finished_jobs_and_delivered_messages_are_purged_and_nothing_pending() {
    use napoleon_db::outbox::{self, EventName, HttpDestination, NewMessage};
    use napoleon_jobs::outbox::HttpDelivery;
    use napoleon_jobs::retention::FinishedJobsRetention;

    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let tenant = tenant_with_units(&db, "menage", 1).await;
    let receiver = napoleon_testkit::Receiver::start().await;
    let emit = |db: napoleon_db::Db, url: String| async move {
        let mut tx = db.tenant(tenant).await.unwrap();
        let id = outbox::emit(
            &mut tx,
            &NewMessage {
                destination: HttpDestination::parse(&url).unwrap(),
                event: EventName::parse("dossier.transmitted").unwrap(),
                payload: serde_json::json!({}),
                caused_by: Actor::System("test"),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    };
    let delivered = emit(db.clone(), receiver.url.clone()).await;
    let delivery = Worker::new(
        db.clone(),
        "delivery",
        vec![Arc::new(
            HttpDelivery::new(std::time::Duration::from_secs(5)).unwrap(),
        )],
    );
    assert!(delivery.run_one().await.unwrap().is_some());
    // A second message whose receiver is gone: never delivered, its job queued again.
    let pending = emit(db.clone(), "http://127.0.0.1:9/nulle-part".to_owned()).await;
    assert!(delivery.run_one().await.unwrap().is_some());
    // Everything happened 100 days ago (the owner ages it).
    let mut admin = TestDb::connect(&tdb.admin_url()).await.unwrap();
    let aged = count(
        &mut admin,
        "WITH j AS (UPDATE jobs.jobs SET finished_at = now() - interval '100 days', \
                    created_at = now() - interval '100 days' RETURNING 1), \
              m AS (UPDATE outbox.messages SET delivered_at = now() - interval '100 days' \
                    WHERE delivered_at IS NOT NULL RETURNING 1) \
         SELECT (SELECT count(*) FROM j) + (SELECT count(*) FROM m) AS n",
    )
    .await;
    assert_eq!(aged, 3, "two jobs and one delivered message");

    let mut tx = db.tenant(tenant).await.unwrap();
    let now = tx.now();
    assert!(
        jobs::purge_finished(&mut tx, now, 100).await.is_err(),
        "the last 7 days are kept"
    );
    tx.rollback().await;
    let mut tx = db.tenant(tenant).await.unwrap();
    let purge = jobs::request(&mut tx, &jobs::purge_kind(), Actor::System("test"), 3)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let cleaner = Worker::new(
        db.clone(),
        "cleaner",
        vec![Arc::new(FinishedJobsRetention::new(90))],
    );
    assert_eq!(cleaner.run_one().await.unwrap(), Some(purge));

    let mut tx = db.tenant(tenant).await.unwrap();
    let done = jobs::job(&mut tx, purge).await.unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(
        done.result.unwrap()["removed"],
        2,
        "the delivered message and its job"
    );
    assert!(
        outbox::message(&mut tx, delivered)
            .await
            .unwrap_err()
            .is_not_found()
    );
    let kept = outbox::message(&mut tx, pending).await.unwrap();
    assert_eq!(
        jobs::job(&mut tx, kept.job).await.unwrap().state,
        JobState::Queued
    );
    assert_eq!(
        journal::count_kind(&mut tx, EventKind::JobsPurged)
            .await
            .unwrap(),
        1
    );
    tx.rollback().await;
    tdb.finish().await;
}

/// Expired login sessions are removed at each schedule tick; live ones stay.
#[tokio::test(flavor = "multi_thread")]
async fn expired_sessions_are_purged_by_the_workers_tick() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let mut admin = TestDb::connect(&tdb.admin_url()).await.unwrap();
    let inserted = count(
        &mut admin,
        "WITH s AS (INSERT INTO core.sessions (id, data, expires_at) VALUES \
           ('perimee-1', '{}', now() - interval '1 hour'), \
           ('perimee-2', '{}', now() - interval '1 minute'), \
           ('vivante', '{}', now() + interval '30 minutes') RETURNING 1) \
         SELECT count(*) AS n FROM s",
    )
    .await;
    assert_eq!(inserted, 3);
    let worker = Worker::new(db.clone(), "menage", vec![]).with_session_purge();
    worker.schedule().await.unwrap();
    let left = napoleon_testkit::text(
        &mut admin,
        "SELECT coalesce(string_agg(id, ','), '') AS t FROM core.sessions",
    )
    .await;
    assert_eq!(left, "vivante");
    tdb.finish().await;
}
