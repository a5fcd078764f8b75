//! The journal's hash chain: appended in the change's transaction, computed by the database,
//! verified independently in Rust, and broken by any tampering done as the owner.

use diesel_async::SimpleAsyncConnection;
use napoleon::commands::{CliError, journal_verify};
use napoleon::config::Config;
use napoleon_db::journal::{self, Actor, BrokenLink, BrokenReason, EventKind, Subject};
use napoleon_db::{Db, TenantConn};
use napoleon_kernel::TenantId;
use napoleon_testkit::TestDb;
use serde_json::json;

use napoleon_testkit::tenant_with_units;

async fn append(db: &Db, tenant: TenantId, n: usize) {
    let mut tx = db.tenant(tenant).await.unwrap();
    for i in 0..n {
        journal::append(
            &mut tx,
            Actor::System("test"),
            Subject::Tenant(tenant),
            EventKind::TenantCreated,
            json!({ "i": i, "texte": "élément « accentué »" }),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn verify_as_owner(tdb: &TestDb, tenant: TenantId) -> journal::Verification {
    let owner = tdb.owner_db().unwrap();
    let mut tx: TenantConn = owner.tenant(tenant).await.unwrap();
    let head = journal::head_seq(&mut tx).await.unwrap();
    let v = journal::verify(&mut tx, head).await.unwrap();
    tx.rollback().await;
    v
}

/// Runs SQL as the owner with the tenant set and the append-only trigger disabled, as someone
/// with the owner's password could.
async fn tamper(tdb: &TestDb, tenant: TenantId, sql: &str) {
    let mut owner = TestDb::connect(&tdb.owner_url()).await.unwrap();
    owner
        .batch_execute(&format!(
            "BEGIN; SELECT set_config('napoleon.tenant_id', '{tenant}', true); \
             ALTER TABLE journal.events DISABLE TRIGGER append_only; {sql}; \
             ALTER TABLE journal.events ENABLE TRIGGER append_only; COMMIT;"
        ))
        .await
        .unwrap();
}

fn config_for(tdb: &TestDb) -> Config {
    let mut config = Config::default();
    config.database.owner_url = Some(tdb.owner_url());
    config
}

#[tokio::test(flavor = "multi_thread")]
async fn an_intact_chain_verifies_and_a_rolled_back_change_leaves_no_event() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let tenant = tenant_with_units(&db, "tenant-a", 1).await;
    append(&db, tenant, 5).await;

    let mut tx = db.tenant(tenant).await.unwrap();
    journal::append(
        &mut tx,
        Actor::System("test"),
        Subject::Tenant(tenant),
        EventKind::TenantCreated,
        json!({}),
    )
    .await
    .unwrap();
    tx.rollback().await;

    let v = verify_as_owner(&tdb, tenant).await;
    assert_eq!(
        v,
        journal::Verification {
            events_checked: 5,
            broken: None
        }
    );
    journal_verify(&config_for(&tdb), "tenant-a").await.unwrap();
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_row_altered_as_owner_is_named_as_the_first_broken_link() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let tenant = tenant_with_units(&db, "tenant-a", 1).await;
    append(&db, tenant, 6).await;
    tamper(
        &tdb,
        tenant,
        "UPDATE journal.events SET payload = '{\"i\": 99}' WHERE seq = 4",
    )
    .await;

    let v = verify_as_owner(&tdb, tenant).await;
    assert_eq!(
        v.broken,
        Some(BrokenLink {
            seq: 4,
            reason: BrokenReason::HashMismatch
        })
    );
    let refused = journal_verify(&config_for(&tdb), "tenant-a")
        .await
        .unwrap_err();
    assert!(matches!(refused, CliError::JournalBroken(_)));
    assert_eq!(refused.exit_code(), 4);
    assert!(
        refused.to_string().contains("BROKEN at event 4"),
        "{refused}"
    );
    tdb.finish_with_broken_journal().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rehashed_forgery_breaks_the_next_link() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let tenant = tenant_with_units(&db, "tenant-a", 1).await;
    append(&db, tenant, 4).await;
    // A forger who also recomputes the altered row's own hash still breaks its successor.
    tamper(
        &tdb,
        tenant,
        "UPDATE journal.events SET actor = 'system:forger', \
            hash = sha256(convert_to(journal.link_text(tenant_id, seq, 'system:forger', subject, kind, payload, occurred_at), 'UTF8') || prev_hash) \
         WHERE seq = 2",
    )
    .await;
    let v = verify_as_owner(&tdb, tenant).await;
    assert_eq!(
        v.broken,
        Some(BrokenLink {
            seq: 3,
            reason: BrokenReason::PreviousHashMismatch
        })
    );
    tdb.finish_with_broken_journal().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deleted_events_are_detected_in_the_middle_and_at_the_end() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let tenant = tenant_with_units(&db, "tenant-a", 1).await;
    append(&db, tenant, 5).await;

    tamper(&tdb, tenant, "DELETE FROM journal.events WHERE seq = 5").await;
    let v = verify_as_owner(&tdb, tenant).await;
    assert_eq!(
        v.broken,
        Some(BrokenLink {
            seq: 5,
            reason: BrokenReason::Truncated { head_seq: 5 }
        })
    );

    tamper(&tdb, tenant, "DELETE FROM journal.events WHERE seq = 2").await;
    let v = verify_as_owner(&tdb, tenant).await;
    assert_eq!(
        v.broken,
        Some(BrokenLink {
            seq: 3,
            reason: BrokenReason::Gap { expected: 2 }
        })
    );
    tdb.finish_with_broken_journal().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_appends_of_one_tenant_form_one_gapless_chain() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let tenant = tenant_with_units(&db, "tenant-a", 1).await;
    let other = tenant_with_units(&db, "tenant-b", 1).await;
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(
                async move { append(&db, if i % 2 == 0 { tenant } else { other }, 10).await },
            )
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        verify_as_owner(&tdb, tenant).await,
        journal::Verification {
            events_checked: 20,
            broken: None
        }
    );
    assert_eq!(
        verify_as_owner(&tdb, other).await,
        journal::Verification {
            events_checked: 20,
            broken: None
        }
    );
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_application_cannot_choose_link_fields_nor_read_the_head() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let tenant = tenant_with_units(&db, "tenant-a", 1).await;
    let mut conn = TestDb::connect(&tdb.app_url()).await.unwrap();
    conn.batch_execute(&format!(
        "BEGIN; SELECT set_config('napoleon.tenant_id', '{tenant}', true); \
         INSERT INTO journal.events (tenant_id, seq, actor, subject, kind, occurred_at, prev_hash, hash) \
         VALUES ('{tenant}', 42, 'system:x', 's', 'a.b', '2000-01-01', '\\xdead', '\\xbeef'); COMMIT;"
    ))
    .await
    .unwrap();
    let mut tx = db.tenant(tenant).await.unwrap();
    let recent = journal::recent(&mut tx, 10).await.unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].seq, 1, "the trigger chose the sequence");
    assert!(
        recent[0].occurred_at.timestamp() > 1_700_000_000,
        "the trigger chose the time"
    );
    assert!(
        journal::head_seq(&mut tx).await.is_err(),
        "heads are the owner's"
    );
    drop(tx);
    assert_eq!(verify_as_owner(&tdb, tenant).await.broken, None);
    tdb.finish().await;
}

/// The harness's own guard: a test whose journal lost a row (deleted through the owner role)
/// fails at `finish()`, and a test that skips `finish()` fails when its database is dropped.
#[tokio::test(flavor = "multi_thread")]
async fn finish_fails_a_test_that_broke_the_journal_or_skipped_it() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let tenant = tenant_with_units(&db, "tenant-a", 1).await;
    append(&db, tenant, 3).await;
    tamper(&tdb, tenant, "DELETE FROM journal.events WHERE seq = 2").await;
    let finished = tokio::spawn(tdb.finish()).await;
    assert!(
        finished.is_err_and(|e| e.is_panic()),
        "finish() fails on a broken chain"
    );

    let skipped = tokio::spawn(async {
        let unfinished = TestDb::new().await.unwrap();
        drop(unfinished);
    })
    .await;
    assert!(
        skipped.is_err_and(|e| e.is_panic()),
        "dropping a database without finish() fails"
    );
    // And the clean case passes.
    let clean = TestDb::new().await.unwrap();
    let db = clean.app_db().unwrap();
    let tenant = tenant_with_units(&db, "tenant-b", 1).await;
    append(&db, tenant, 3).await;
    clean.finish().await;
}
