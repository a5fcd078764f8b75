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
                destination: HttpDestination::parse(&receiver.url).unwrap(),
                event: EventName::parse("dossier.transmitted").unwrap(),
                payload: serde_json::json!({ "dossier": "D-9" }),
                caused_by: napoleon_db::journal::Actor::System("test"),
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

    // One worker in the process: it is busy with the held delivery when killed, so no other
    // job (its daily ones) is left leased by the dead process.
    let one = [("NAPOLEON__JOBS__WORKERS", "1".to_owned())];
    let mut process = start("worker", &tdb, &one, free_port()).await;
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

/// The data-protection officer starts the read log's purge from its page and follows it on
/// the job's page: waiting, running with a bar, retried, done; the page reloads itself while
/// the job may change (and stops when asked); a second job is cancelled from its page; nobody
/// else sees either.
#[tokio::test(flavor = "multi_thread")]
async fn the_purge_is_started_and_followed_on_its_page_and_can_be_stopped() {
    use napoleon_db::journal::{self, EventKind};
    use napoleon_db::readlog::{self, ReadChannel, ReadSubject};
    use napoleon_kernel::{AgentId, DossierId, JobId};
    use napoleon_testkit::TestApp;
    use napoleon_testkit::agents::{DENIS, PAUL};

    let live = TestApp::live().await;
    let tenant = live.tenant("interieur").await;
    let db = live.ctx.db.clone();
    // Two reads aged 400 days (by the owner: a read's time is the database's), past the
    // year the read log keeps.
    let now = db.clock().now();
    for _ in 0..2 {
        let tx = db.tenant(tenant).await.unwrap();
        readlog::record(
            &tx,
            napoleon_db::journal::Actor::Agent(AgentId::new()),
            ReadSubject::Dossier(DossierId::new()),
            ReadChannel::Page,
            "ancienne",
            None,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    age_reads(&mut live.admin().await).await;

    let (mut denis, _) = live.logged_in(DENIS).await;
    let log = denis.get(&live.url("/administration/lectures")).await;
    assert!(
        log.body
            .contains("Appliquer la durée de conservation maintenant")
    );
    let csrf = log.hidden("_csrf");
    let started = denis
        .post(
            &live.url("/administration/lectures/purge"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(started.status, 303, "{}", started.body);
    let job_url = started.next();
    let id: JobId = job_url.rsplit('/').next().unwrap().parse().unwrap();
    let again = denis
        .post(
            &live.url("/administration/lectures/purge"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(again.next(), job_url, "one purge at a time");

    let waiting = denis.get(&job_url).await;
    assert_eq!(waiting.status, 200);
    assert!(waiting.body.contains("En attente"), "{}", waiting.body);
    assert!(
        waiting
            .body
            .contains(r#"<meta http-equiv="refresh" content="5">"#)
    );
    assert!(waiting.body.contains("Arrêter l'actualisation automatique"));

    // A worker takes it and reports 12 of 40: the page shows the bar and the sentence.
    let mut conn = db.platform().await.unwrap();
    let leased = napoleon_db::jobs::lease(
        &mut conn,
        "page-test",
        &[readlog::purge_kind()],
        db.clock().now(),
        60,
    )
    .await
    .unwrap()
    .unwrap();
    drop(conn);
    assert_eq!(leased.id, id);
    let mut tx = db.tenant(tenant).await.unwrap();
    let report = "12 lecture(s) supprimée(s) sur 40.";
    let until = db.clock().now() + chrono::Duration::seconds(60);
    napoleon_db::jobs::progress(&mut tx, id, "page-test", 1, 12, Some(40), report, until)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let running = denis.get(&job_url).await;
    assert!(running.body.contains("En cours"), "{}", running.body);
    assert!(
        running
            .body
            .contains(r#"<progress id="barre-avancement" max="40" value="12">"#)
    );
    assert!(running.body.contains("12 sur 40 (30 %)"));
    assert!(running.body.contains(report));
    let still = denis.get(&format!("{job_url}?actualiser=non")).await;
    assert!(
        !still.body.contains("http-equiv=\"refresh\""),
        "{}",
        still.body
    );
    assert!(still.body.contains("Actualiser la page"));

    // That attempt fails; the page says a new one is planned, then a real worker finishes it.
    let mut tx = db.tenant(tenant).await.unwrap();
    let failed = napoleon_db::jobs::Outcome::Failed {
        error: "La base de données n'a pas répondu ; le traitement sera repris.".to_owned(),
        retry_at: now,
    };
    napoleon_db::jobs::finish(&mut tx, id, "page-test", 1, &failed)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let retried = denis.get(&job_url).await;
    assert!(retried.body.contains("Nouvelle tentative prévue"));
    assert!(retried.body.contains("n&#x27;a pas répondu"));
    let config = napoleon::config::Config::default();
    let worker = napoleon::app::worker(&config, db.clone(), "test-worker".to_owned()).unwrap();
    assert_eq!(worker.run_one().await.unwrap(), Some(id));
    let done = denis.get(&job_url).await;
    assert!(done.body.contains("Terminé"), "{}", done.body);
    assert!(done.body.contains("2 lecture(s) plus ancienne(s)"));
    assert!(!done.body.contains("http-equiv=\"refresh\""));
    assert!(!done.body.contains("Arrêter le traitement"));

    // A second purge, stopped from its page before any worker takes it.
    let second = denis
        .post(
            &live.url("/administration/lectures/purge"),
            &[("_csrf", &csrf)],
        )
        .await
        .next();
    assert_ne!(second, job_url);
    let page = denis.get(&second).await;
    assert!(page.body.contains("Arrêter le traitement"));
    let stop = denis
        .post(
            &format!("{second}/annuler"),
            &[("_csrf", &page.hidden("_csrf"))],
        )
        .await;
    assert_eq!(stop.next(), second);
    let stopped = denis.get(&second).await;
    assert!(stopped.body.contains("Annulé"), "{}", stopped.body);
    assert!(!stopped.body.contains("Arrêter le traitement"));
    // Without the form's token, nothing is asked.
    assert_eq!(
        denis.post(&format!("{job_url}/annuler"), &[]).await.status,
        403
    );

    // A rédacteur sees neither job.
    let (mut paul, _) = live.logged_in(PAUL).await;
    assert_eq!(paul.get(&job_url).await.status, 404);
    assert_eq!(paul.get(&second).await.status, 404);
    let mut tx = db.tenant(tenant).await.unwrap();
    assert_eq!(
        journal::count_kind(&mut tx, EventKind::JobRequested)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        journal::count_kind(&mut tx, EventKind::JobCancelRequested)
            .await
            .unwrap(),
        1
    );
    tx.rollback().await;
    live.finish().await;
}

/// `napoleon jobs run readlog.purge --tenant interieur`: the same job from the command line,
/// its progress printed line by line (a bar on a terminal), its outcome at the end; an unknown
/// kind or tenant is a usage error that enqueues nothing.
#[tokio::test(flavor = "multi_thread")]
async fn the_purge_runs_from_the_command_line_with_its_progress() {
    use napoleon_db::readlog::{self, ReadChannel, ReadSubject};
    use napoleon_kernel::{AgentId, DossierId};

    let tdb = TestDb::new().await.unwrap();
    napoleon::demo::seed(&tdb.app_db().unwrap(), &[])
        .await
        .unwrap();
    let past = tdb.app_db().unwrap();
    let tenant = {
        let mut conn = past.platform().await.unwrap();
        let slug = napoleon_kernel::TenantSlug::parse("interieur").unwrap();
        napoleon_db::core::find_tenant(&mut conn, &slug)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    for _ in 0..3 {
        let tx = past.tenant(tenant).await.unwrap();
        readlog::record(
            &tx,
            napoleon_db::journal::Actor::Agent(AgentId::new()),
            ReadSubject::Dossier(DossierId::new()),
            ReadChannel::Api,
            "ancienne",
            None,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    age_reads(&mut TestDb::connect(&tdb.admin_url()).await.unwrap()).await;
    let run = |args: &[&str]| {
        tdb.command(env!("CARGO_BIN_EXE_napoleon"))
            .args(args)
            .output()
            .unwrap()
    };

    let out = run(&["jobs", "run", "readlog.purge", "--tenant", "interieur"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("enqueued in interieur"), "{stdout}");
    assert!(stdout.contains("3/3"), "the progress is printed: {stdout}");
    assert!(stdout.contains("Terminé"), "{stdout}");
    let mut tx = tdb.app_db().unwrap().tenant(tenant).await.unwrap();
    let left = napoleon_testkit::count(tx.pg(), "SELECT count(*) AS n FROM readlog.reads").await;
    tx.rollback().await;
    assert_eq!(left, 0);

    for (args, says) in [
        (
            &["jobs", "run", "outbox.inconnu", "--tenant", "interieur"][..],
            "no job `outbox.inconnu`",
        ),
        (
            &["jobs", "run", "readlog.purge", "--tenant", "nulle-part"][..],
            "no tenant named nulle-part",
        ),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{stderr}");
    }
    let mut tx = tdb.app_db().unwrap().tenant(tenant).await.unwrap();
    let jobs = napoleon_testkit::count(tx.pg(), "SELECT count(*) AS n FROM jobs.jobs").await;
    tx.rollback().await;
    assert_eq!(jobs, 1, "only the run that worked enqueued a job");
    tdb.finish().await;
}

/// Ages the reads recorded as `ancienne` by 400 days, as the owner (the application cannot
/// write a read's time).
async fn age_reads(admin: &mut napoleon_db::AsyncPgConnection) {
    let aged = napoleon_testkit::count(
        admin,
        "WITH aged AS (UPDATE readlog.reads SET read_at = now() - interval '400 days' \
         WHERE request_id = 'ancienne' RETURNING 1) SELECT count(*) AS n FROM aged",
    )
    .await;
    assert!(aged > 0);
}
