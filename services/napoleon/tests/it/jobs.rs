//! Background jobs in the processes that run them: `napoleon serve worker` killed with
//! SIGKILL in the middle of a job leaves it to another worker, which finishes it.

use std::sync::Arc;
use std::time::Duration;

use napoleon_db::jobs::{self, JobState};
use napoleon_db::outbox::{self, EventName, HttpDestination, NewMessage};
use napoleon_jobs::Worker;
use napoleon_jobs::outbox::HttpDelivery;
use napoleon_kernel::Clock;
use napoleon_testkit::{Receiver, TestDb, tenant_with_units};

use crate::proconnect::free_port;
use crate::split::start;

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_job_leaves_it_to_another_that_finishes_it() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let tenant = tenant_with_units(&db, "jobs", 1).await;
    let receiver = Receiver::start().await;
    // The partner takes the first message and never answers: the worker is mid-job.
    receiver.hold_next_answers(1);
    let message = {
        let mut tx = db.tenant(tenant).await.unwrap();
        let id = outbox::emit(
            &mut tx,
            &NewMessage {
                destination: &HttpDestination::parse(&receiver.url).unwrap(),
                event: &EventName::parse("dossier.transmitted").unwrap(),
                payload: serde_json::json!({ "dossier": "D-9" }),
                created_by: "system:test",
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    };
    let job = {
        let mut tx = db.tenant(tenant).await.unwrap();
        let m = outbox::message(&mut tx, message).await.unwrap();
        tx.rollback().await;
        m.job
    };
    let view = |db: napoleon_db::Db| async move {
        let mut tx = db.tenant(tenant).await.unwrap();
        let v = jobs::job(&mut tx, job).await.unwrap();
        tx.rollback().await;
        v
    };

    let mut process = start("worker", &tdb, &[], free_port()).await;
    receiver.wait_for_requests(1).await;
    let running = view(db.clone()).await;
    assert_eq!((running.state, running.attempts), (JobState::Running, 1));
    process.kill().await;

    // Another worker, at a time past any lease the dead one took or renewed (60 s, renewed
    // every 20 s), takes the job again and delivers the same message.
    let (later, _hand) = Clock::adjustable(chrono::Utc::now() + chrono::Duration::minutes(3));
    let survivor = Worker::new(
        db.clone().with_clock(later),
        "survivor",
        vec![Arc::new(
            HttpDelivery::new(Duration::from_secs(10)).unwrap(),
        )],
    );
    assert_eq!(survivor.run_one().await.unwrap(), Some(job));
    let done = view(db.clone()).await;
    assert_eq!((done.state, done.attempts), (JobState::Succeeded, 2));
    let ids: Vec<String> = receiver.requests().into_iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![message.to_string(), message.to_string()]);
    assert_eq!(receiver.processed().len(), 1, "the receiver acted once");
    tdb.finish().await;
}
