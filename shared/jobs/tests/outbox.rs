//! The transactional outbox on real PostgreSQL, delivering over real HTTP to a receiver on
//! loopback: nothing leaves for a rolled back change, a committed one arrives once at a
//! receiver that deduplicates, even when an answer is lost or refused.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::sync::Arc;
use std::time::Duration;

use napoleon_db::Db;
use napoleon_db::jobs::{self, JobState};
use napoleon_db::outbox::{self, EventName, HttpDestination, NewMessage};
use napoleon_jobs::Worker;
use napoleon_jobs::outbox::HttpDelivery;
use napoleon_kernel::{Clock, ClockHand, MessageId, TenantId};
use napoleon_testkit::{Receiver, TestDb, count, tenant_with_units};

async fn setup() -> (TestDb, Db, ClockHand, TenantId, Receiver, Worker) {
    let tdb = TestDb::new().await.unwrap();
    let (clock, hand) = Clock::adjustable(chrono::Utc::now());
    let db = tdb.app_db().unwrap().with_clock(clock);
    let tenant = tenant_with_units(&db, "outbox", 1).await;
    let receiver = Receiver::start().await;
    let delivery = HttpDelivery::new(Duration::from_secs(10)).unwrap();
    let worker = Worker::new(db.clone(), "outbox-worker", vec![Arc::new(delivery)]);
    (tdb, db, hand, tenant, receiver, worker)
}

/// Emits one message in a transaction that commits or not.
async fn emit(db: &Db, tenant: TenantId, to: &Receiver, commit: bool) -> MessageId {
    let mut tx = db.tenant(tenant).await.unwrap();
    let id = outbox::emit(
        &mut tx,
        &NewMessage {
            destination: HttpDestination::parse(&to.url).unwrap(),
            event: EventName::parse("dossier.transmitted").unwrap(),
            payload: serde_json::json!({ "dossier": "D-1" }),
            caused_by: napoleon_db::journal::Actor::System("test"),
        },
    )
    .await
    .unwrap();
    if commit {
        tx.commit().await.unwrap();
    } else {
        tx.rollback().await;
    }
    id
}

async fn message(db: &Db, tenant: TenantId, id: MessageId) -> outbox::Message {
    let mut tx = db.tenant(tenant).await.unwrap();
    let m = outbox::message(&mut tx, id).await.unwrap();
    tx.rollback().await;
    m
}

async fn job_of(db: &Db, tenant: TenantId, id: MessageId) -> jobs::JobView {
    let job = message(db, tenant, id).await.job;
    let mut tx = db.tenant(tenant).await.unwrap();
    let v = jobs::job(&mut tx, job).await.unwrap();
    tx.rollback().await;
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_whose_transaction_rolls_back_sends_nothing() {
    let (tdb, db, hand, tenant, receiver, worker) = setup().await;
    emit(&db, tenant, &receiver, false).await;
    hand.advance(chrono::Duration::hours(2));
    assert_eq!(worker.run_one().await.unwrap(), None, "no job to run");
    assert!(receiver.requests().is_empty());
    let mut tx = db.tenant(tenant).await.unwrap();
    for table in ["outbox.messages", "jobs.jobs"] {
        let sql = format!("SELECT count(*) AS n FROM {table}");
        assert_eq!(count(tx.pg(), &sql).await, 0, "{table}");
    }
    tx.rollback().await;
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_committed_event_is_delivered_once_even_when_the_first_answer_is_lost() {
    let (tdb, db, hand, tenant, receiver, worker) = setup().await;
    let id = emit(&db, tenant, &receiver, true).await;
    receiver.lose_next_answers(1);

    // First attempt: the receiver processes the message, its answer never arrives.
    assert!(worker.run_one().await.unwrap().is_some());
    let first = job_of(&db, tenant, id).await;
    assert_eq!((first.state, first.attempts), (JobState::Queued, 1));
    assert!(first.last_error.unwrap().contains("n'a pas répondu"));
    let m = message(&db, tenant, id).await;
    assert_eq!((m.attempts, m.delivered_at), (1, None));
    assert_eq!(
        worker.run_one().await.unwrap(),
        None,
        "retried after the backoff only"
    );

    // Second attempt, 30 s later: the same id, which the receiver recognises.
    hand.advance(chrono::Duration::seconds(31));
    assert!(worker.run_one().await.unwrap().is_some());
    let ids: Vec<String> = receiver.requests().into_iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![id.to_string(), id.to_string()]);
    let processed = receiver.processed();
    assert_eq!(processed.len(), 1, "processed once");
    assert_eq!(processed[0].body["type"], "dossier.transmitted");
    assert_eq!(processed[0].body["data"]["dossier"], "D-1");
    let done = job_of(&db, tenant, id).await;
    assert_eq!((done.state, done.attempts), (JobState::Succeeded, 2));
    let m = message(&db, tenant, id).await;
    assert_eq!(m.attempts, 2);
    assert!(m.delivered_at.is_some());
    hand.advance(chrono::Duration::hours(2));
    assert_eq!(
        worker.run_one().await.unwrap(),
        None,
        "nothing left to send"
    );
    assert_eq!(receiver.requests().len(), 2);
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusing_receiver_gets_the_message_again_and_bad_destinations_are_refused() {
    let (tdb, db, hand, tenant, receiver, worker) = setup().await;
    let id = emit(&db, tenant, &receiver, true).await;
    receiver.answer(Some(503));
    assert!(worker.run_one().await.unwrap().is_some());
    let refused = job_of(&db, tenant, id).await;
    assert_eq!(refused.state, JobState::Queued);
    assert!(refused.last_error.unwrap().contains("statut HTTP 503"));
    receiver.answer(None);
    hand.advance(chrono::Duration::seconds(31));
    assert!(worker.run_one().await.unwrap().is_some());
    assert_eq!(job_of(&db, tenant, id).await.state, JobState::Succeeded);
    assert_eq!(receiver.processed().len(), 1);

    // Another tenant cannot read the message.
    let other = tenant_with_units(&db, "autre", 1).await;
    let mut tx = db.tenant(other).await.unwrap();
    assert!(
        outbox::message(&mut tx, id)
            .await
            .unwrap_err()
            .is_not_found()
    );
    tx.rollback().await;

    for bad in [
        "ftp://example.org/x",
        "http://user:secret@example.org/hook",
        "pas une adresse",
        "file:///etc/passwd",
    ] {
        assert!(HttpDestination::parse(bad).is_err(), "{bad}");
    }
    assert!(EventName::parse("Dossier transmis").is_err());

    // A delivery whose message is gone is failed for good at once, not retried a day long.
    let mut tx = db.tenant(tenant).await.unwrap();
    let orphan = jobs::enqueue(
        &mut tx,
        &jobs::NewJob {
            kind: &outbox::http_kind(),
            payload: serde_json::json!({ "message": MessageId::new() }),
            max_attempts: outbox::MAX_ATTEMPTS,
            created_by: "system:test",
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(worker.run_one().await.unwrap(), Some(orphan));
    let mut tx = db.tenant(tenant).await.unwrap();
    let v = jobs::job(&mut tx, orphan).await.unwrap();
    tx.rollback().await;
    assert_eq!((v.state, v.attempts), (JobState::Failed, 1));
    assert!(v.last_error.unwrap().contains("n'existe pas"));
    tdb.finish().await;
}
