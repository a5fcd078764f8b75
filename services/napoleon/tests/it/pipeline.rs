//! Issue 15: statements sent together with a transaction's `BEGIN` or `COMMIT` (pipelined:
//! `Db::tenant_with`, `readlog::record_and_commit`) run inside that transaction, even on a
//! fresh connection whose statements must first be prepared (the preparation is a round
//! trip of its own that the `BEGIN` or `COMMIT` could overtake); a transaction dropped while
//! opening never reaches another user of its connection; the submission's statement numbers as
//! before.

use diesel::dsl::sql;
use diesel::sql_types::{Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use napoleon_db::journal::Actor;
use napoleon_db::readlog::{self, ReadChannel, ReadSubject};
use napoleon_db::{DbError, TenantRead};
use napoleon_kernel::{AgentId, DossierId, OrgUnitKind, Role, TenantId};
use napoleon_testkit::{
    TestApp, TestDb, cast, count, draft, eligible_content, open_campaign, tenant_with_units, text,
};

/// The tenant the statement runs for, as row-level security sees it.
async fn setting(tx: &impl TenantRead) -> Result<Option<String>, DbError> {
    Ok(diesel::select(sql::<Nullable<Text>>(
        "nullif(current_setting('napoleon.tenant_id', true), '')",
    ))
    .get_result(&mut tx.shared())
    .await?)
}

/// A read-log entry of `request`, as one use case ends.
async fn logged(tx: napoleon_db::TenantConn, request: &str) -> Result<(), DbError> {
    readlog::record_and_commit(
        tx,
        Actor::Agent(AgentId::new()),
        &[ReadSubject::Dossier(DossierId::new())],
        ReadChannel::Api,
        request,
        None,
    )
    .await
}

async fn entries(admin: &mut AsyncPgConnection, tenant: TenantId, request: &str) -> i64 {
    count(
        admin,
        &format!(
            "SELECT count(*) AS n FROM readlog.reads \
             WHERE tenant_id = '{tenant}' AND request_id = '{request}'"
        ),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn statements_sent_with_begin_and_commit_run_inside_the_transaction() {
    let tdb = TestDb::new().await.unwrap();
    let setup = tdb.app_db().unwrap();
    let a = tenant_with_units(&setup, "tenant-a", 2).await;
    let mut admin = TestDb::connect(&tdb.admin_url()).await.unwrap();
    for round in 0..3 {
        // A new pool each round: fresh connections, nothing prepared yet.
        let db = tdb.app_db().unwrap();
        let (tx, first) = db
            .tenant_with(a, async |shared| setting(&shared).await)
            .await
            .unwrap();
        assert_eq!(
            first,
            Some(a.to_string()),
            "round {round}: first ran before BEGIN"
        );
        // The entry's statement is not prepared on this connection yet: had COMMIT overtaken
        // it, it would have run outside the transaction (refused: no tenant).
        let request = format!("round-{round}");
        logged(tx, &request).await.unwrap();
        assert_eq!(entries(&mut admin, a, &request).await, 1, "round {round}");
        // The connection went back to the pool outside any transaction: the next use opens one.
        let tx = db.tenant(a).await.unwrap();
        assert_eq!(setting(&tx).await.unwrap(), Some(a.to_string()));
        tx.commit().await.unwrap();
    }
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_log_that_fails_rolls_back_the_transaction_and_a_failed_read_keeps_nothing() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let a = tenant_with_units(&db, "tenant-a", 2).await;
    let mut admin = TestDb::connect(&tdb.admin_url()).await.unwrap();
    // The log refuses one request id (a failure in the database, as a full disk would be).
    admin
        .batch_execute(
            "ALTER TABLE readlog.reads ADD CONSTRAINT refused \
             CHECK (request_id <> 'refusée') NOT VALID",
        )
        .await
        .unwrap();
    let units = format!("SELECT count(*) AS n FROM core.org_units WHERE tenant_id = '{a}'");
    let before = count(&mut admin, &units).await;
    let mut tx = db.tenant(a).await.unwrap();
    let code = napoleon_kernel::OrgUnitCode::parse("99").unwrap();
    napoleon_db::core::ensure_org_unit(
        &mut tx,
        &napoleon_db::core::NewOrgUnit {
            parent_id: None,
            kind: napoleon_kernel::OrgUnitKind::Ministere,
            code: &code,
            name: "Ministère bis",
        },
    )
    .await
    .unwrap();
    let failed = logged(tx, "refusée").await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(
        count(&mut admin, &units).await,
        before,
        "the failed transaction kept its write"
    );
    // A failed first read: refused, and the pool still serves.
    let refused = db
        .tenant_with(a, async |shared| {
            let _: i32 = diesel::select(sql::<Integer>("1 / 0"))
                .get_result(&mut shared.shared())
                .await?;
            Ok(())
        })
        .await;
    assert!(refused.is_err());
    for _ in 0..8 {
        let tx = db.tenant(a).await.unwrap();
        assert_eq!(setting(&tx).await.unwrap(), Some(a.to_string()));
        tx.commit().await.unwrap();
    }
    admin
        .batch_execute("ALTER TABLE readlog.reads DROP CONSTRAINT refused")
        .await
        .unwrap();
    tdb.finish().await;
}

/// Found by review: a transaction whose opening is dropped mid-flight (a request's timeout,
/// a client gone) must not leave its connection to the pool with the transaction, and its
/// tenant, still open on the server.
#[tokio::test(flavor = "multi_thread")]
async fn an_opening_dropped_mid_flight_leaves_nothing_open_for_the_next_user() {
    let tdb = TestDb::new().await.unwrap();
    let setup = tdb.app_db().unwrap();
    let a = tenant_with_units(&setup, "tenant-a", 2).await;
    // One connection: whoever comes next gets the same one, or a new one.
    let db = napoleon_db::Db::new(napoleon_db::build_pool(&tdb.app_url(), 1).unwrap());
    for _ in 0..5 {
        // Dropped while its first read sleeps on the server, after BEGIN was sent.
        let opening = db.tenant_with(a, async |shared| {
            let _: i32 = diesel::select(sql::<Integer>("1 FROM pg_sleep(5)"))
                .get_result(&mut shared.shared())
                .await?;
            Ok(())
        });
        let timed_out = tokio::time::timeout(std::time::Duration::from_millis(300), opening).await;
        assert!(timed_out.is_err());
        let mut conn = db.platform().await.unwrap();
        let open: Option<String> = diesel::select(sql::<Nullable<Text>>(
            "nullif(current_setting('napoleon.tenant_id', true), '')",
        ))
        .get_result(&mut *conn)
        .await
        .unwrap();
        assert_eq!(
            open, None,
            "the next user inherited the tenant's open transaction"
        );
        // Only a transaction block accepts a savepoint.
        let in_transaction = conn.batch_execute("SAVEPOINT probe").await.is_ok();
        assert!(
            !in_transaction,
            "the next user runs inside the dropped transaction"
        );
    }
    tdb.finish().await;
}

/// `intake.number_and_submit` (migrations 000022, 000025), on real drafts: numbers keep four
/// digits at least and grow past them; a dossier under complement keeps its number and first
/// submission's time; and it refuses (changing nothing, the counter included) a dossier that
/// is not there, one already submitted, another ministry's, and another tenant than the
/// transaction's.
#[tokio::test(flavor = "multi_thread")]
async fn the_submission_statement_numbers_and_refuses_what_it_must() {
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    let campaign = open_campaign(&slice, &cast).await;
    let mut drafts = Vec::new();
    for name in ["Un", "Deux", "Trois"] {
        drafts.push(draft(&slice, &cast, &campaign, name, "F").await);
    }
    let db = &slice.ctx.db;
    let t = cast.tenant;
    let submit =
        |id: &str| format!("SELECT intake.number_and_submit('{t}', '{id}', 'LH-2027-07') AS t");
    // Each refusal in its own transaction (an error ends it); the counter is unchanged after.
    let refused = async |sql: String, code: &str| {
        let mut tx = db.tenant(t).await.unwrap();
        let e = diesel::sql_query(&sql)
            .execute(tx.pg())
            .await
            .expect_err(&sql);
        assert!(e.to_string().contains(code), "{sql}: {e}");
        tx.rollback().await;
    };
    let counter = "SELECT coalesce(max(last_number), 0)::bigint AS n FROM intake.number_counters";
    let row = |id: &str| {
        format!(
            "SELECT state || ' ' || number || ' ' || submitted_at::text AS t \
             FROM intake.dossiers WHERE id = '{id}'"
        )
    };

    let mut tx = db.tenant(t).await.unwrap();
    assert_eq!(text(tx.pg(), &submit(&drafts[0])).await, "LH-2027-07-0001");
    diesel::sql_query("UPDATE intake.number_counters SET last_number = 9998")
        .execute(tx.pg())
        .await
        .unwrap();
    assert_eq!(text(tx.pg(), &submit(&drafts[1])).await, "LH-2027-07-9999");
    let first = text(tx.pg(), &row(&drafts[1])).await;
    assert!(first.starts_with("depose LH-2027-07-9999 "), "{first}");
    // A dossier under complement keeps its number and its first submission's time.
    diesel::sql_query(format!(
        "UPDATE intake.dossiers SET state = 'complement_demande' WHERE id = '{}'",
        drafts[1]
    ))
    .execute(tx.pg())
    .await
    .unwrap();
    assert_eq!(text(tx.pg(), &submit(&drafts[1])).await, "LH-2027-07-9999");
    assert_eq!(text(tx.pg(), &row(&drafts[1])).await, first);
    tx.commit().await.unwrap();

    refused(
        submit(&uuid::Uuid::new_v4().to_string()),
        "no dossier to submit",
    )
    .await;
    refused(submit(&drafts[0]), "no dossier to submit").await;
    let other = format!(
        "SELECT intake.number_and_submit('{}', '{}', 'LH-2027-07') AS t",
        TenantId::new(),
        drafts[2]
    );
    refused(other, "not the transaction's tenant").await;
    // Another ministry's draft, named under this tenant: not there for it.
    let culture = slice.tenant("culture").await;
    let mc = slice.unit(culture, OrgUnitKind::Ministere, "MC").await;
    let bdh = slice.unit(culture, OrgUnitKind::Direction, "BDH").await;
    let admin = slice.who("thomas", culture, Role::Administrateur, mc).await;
    let redactrice = slice.who("emma", culture, Role::Redacteur, bdh).await;
    let today = napoleon_testkit::today();
    let campaign = slice
        .post(
            &admin,
            "/intake/api/v1/campaigns",
            serde_json::json!({
                "distinction": "LH",
                "promotion_date": chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today) + 1, 7, 14).unwrap().to_string(),
                "opens_on": (today - chrono::Duration::days(1)).to_string(),
                "closes_on": (today + chrono::Duration::days(30)).to_string(),
                "bureau_unit_id": bdh.to_string(),
                "contingents": {"chevalier": "2"},
            }),
        )
        .await;
    assert_eq!(campaign.status, 201, "{}", campaign.json);
    let theirs = slice
        .post(
            &redactrice,
            "/intake/api/v1/dossiers",
            serde_json::json!({"campaign_id": campaign.json["id"], "content": eligible_content("Autre", "F")}),
        )
        .await;
    assert_eq!(theirs.status, 201, "{}", theirs.json);
    let theirs = theirs.json["id"].as_str().unwrap().to_owned();
    refused(submit(&theirs), "no dossier to submit").await;
    let mut tx = db.tenant(t).await.unwrap();
    assert_eq!(
        count(tx.pg(), counter).await,
        9999,
        "a refusal took a number"
    );
    assert_eq!(text(tx.pg(), &submit(&drafts[2])).await, "LH-2027-07-10000");
    tx.commit().await.unwrap();

    // The units' subtree: only existing roots, only for the transaction's tenant.
    let missing = uuid::Uuid::new_v4();
    let mut tx = db.tenant(t).await.unwrap();
    let units = format!(
        "SELECT count(*) AS n FROM core.subtree_units('{t}', ARRAY['{}', '{missing}']::uuid[])",
        cast.bureau
    );
    assert_eq!(count(tx.pg(), &units).await, 1);
    tx.rollback().await;
    refused(
        format!(
            "SELECT count(*) AS n FROM core.subtree_units('{}', ARRAY['{}']::uuid[])",
            TenantId::new(),
            cast.bureau
        ),
        "not the transaction's tenant",
    )
    .await;
    slice.finish().await;
}
