//! Issue 15: statements sent together with a transaction's `BEGIN` or `COMMIT` (pipelined,
//! `TenantConn::open_with` and `commit_with`) run inside that transaction, in the order they
//! were given, even on a fresh connection whose statements must first be prepared (the
//! preparation is a round trip of its own that the `BEGIN` or `COMMIT` could overtake).

use diesel::dsl::sql;
use diesel::sql_types::{Integer, Nullable, Text};
use diesel_async::RunQueryDsl;
use napoleon_db::{DbError, TenantRead};
use napoleon_testkit::{TestDb, count, tenant_with_units};

/// The tenant the statement runs for, as row-level security sees it.
async fn setting(tx: &impl TenantRead) -> Result<Option<String>, DbError> {
    asked(
        tx,
        "nullif(current_setting('napoleon.tenant_id', true), '')",
    )
    .await
}

/// The same, in another statement (not prepared on the connection by [`setting`]).
async fn setting_again(tx: &impl TenantRead) -> Result<Option<String>, DbError> {
    asked(
        tx,
        "nullif(current_setting('napoleon.tenant_id', true), '') ",
    )
    .await
}

async fn asked(tx: &impl TenantRead, expression: &'static str) -> Result<Option<String>, DbError> {
    Ok(diesel::select(sql::<Nullable<Text>>(expression))
        .get_result(&mut tx.shared())
        .await?)
}

#[tokio::test(flavor = "multi_thread")]
async fn statements_sent_with_begin_and_commit_run_inside_the_transaction() {
    let tdb = TestDb::new().await.unwrap();
    let setup = tdb.app_db().unwrap();
    let a = tenant_with_units(&setup, "tenant-a", 2).await;
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
        let last = tx
            .commit_with(async |shared| setting_again(&shared).await)
            .await
            .unwrap();
        assert_eq!(
            last,
            Some(a.to_string()),
            "round {round}: COMMIT overtook the last statement"
        );
        // The connection went back to the pool outside any transaction: the next use opens one.
        let tx = db.tenant(a).await.unwrap();
        assert_eq!(setting(&tx).await.unwrap(), Some(a.to_string()));
        tx.commit().await.unwrap();
    }
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_last_statement_that_fails_rolls_back_what_the_transaction_wrote() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let a = tenant_with_units(&db, "tenant-a", 2).await;
    let mut admin = TestDb::connect(&tdb.admin_url()).await.unwrap();
    let units = async |admin: &mut diesel_async::AsyncPgConnection| {
        count(
            admin,
            &format!("SELECT count(*) AS n FROM core.org_units WHERE tenant_id = '{a}'"),
        )
        .await
    };
    let before = units(&mut admin).await;
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
    let failed = tx
        .commit_with(async |shared| {
            let _: i32 = diesel::select(sql::<Integer>("1 / 0"))
                .get_result(&mut shared.shared())
                .await?;
            Ok(())
        })
        .await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(
        units(&mut admin).await,
        before,
        "the failed transaction kept its write"
    );
    // A failed first read: refused, nothing kept, and the pool still serves.
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
    tdb.finish().await;
}
