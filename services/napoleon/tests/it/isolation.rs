//! Tenant isolation through the application role: row-level security is the second barrier
//! behind every query's own filter, so a query that forgets its filter still sees only its
//! tenant, and no write can reach another tenant.

use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use napoleon_db::core;
use napoleon_testkit::TestDb;

use napoleon_testkit::{count, tenant_with_units};

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn app_role_sees_zero_rows_of_another_tenant_in_every_tenant_table() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let a = tenant_with_units(&db, "tenant-a", 3).await;
    let b = tenant_with_units(&db, "tenant-b", 2).await;

    let mut conn = TestDb::connect(&tdb.app_url()).await.unwrap();
    // Every table with a tenant_id that the application role may read.
    let tables: Vec<String> = diesel::sql_query(
        "SELECT format('%I.%I', c.table_schema, c.table_name) AS name \
         FROM information_schema.columns c \
         JOIN information_schema.tables t USING (table_schema, table_name) \
         WHERE c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE' \
           AND has_table_privilege(format('%I.%I', c.table_schema, c.table_name), 'SELECT') \
         ORDER BY 1",
    )
    .load::<TableName>(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|t| t.name)
    .collect();
    assert!(tables.contains(&"core.org_units".to_owned()), "{tables:?}");
    assert!(tables.contains(&"journal.events".to_owned()), "{tables:?}");

    conn.batch_execute(&format!(
        "BEGIN; SELECT set_config('napoleon.tenant_id', '{a}', true)"
    ))
    .await
    .unwrap();
    for table in &tables {
        let of_b = count(
            &mut conn,
            &format!("SELECT count(*) AS n FROM {table} WHERE tenant_id = '{b}'"),
        )
        .await;
        assert_eq!(of_b, 0, "{table}: tenant B's rows visible to tenant A");
        let unfiltered = count(&mut conn, &format!("SELECT count(*) AS n FROM {table}")).await;
        let of_a = count(
            &mut conn,
            &format!("SELECT count(*) AS n FROM {table} WHERE tenant_id = '{a}'"),
        )
        .await;
        assert_eq!(
            unfiltered, of_a,
            "{table}: a query without filter must see only tenant A"
        );
    }
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM core.org_units").await,
        4
    );
    conn.batch_execute("COMMIT").await.unwrap();

    // As the superuser (no RLS), B's rows are really there.
    let mut admin = TestDb::connect(&tdb.admin_url()).await.unwrap();
    assert_eq!(
        count(
            &mut admin,
            &format!("SELECT count(*) AS n FROM core.org_units WHERE tenant_id = '{b}'")
        )
        .await,
        3
    );
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn app_role_cannot_insert_or_update_into_another_tenant() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let a = tenant_with_units(&db, "tenant-a", 1).await;
    let b = tenant_with_units(&db, "tenant-b", 1).await;
    let mut conn = TestDb::connect(&tdb.app_url()).await.unwrap();
    let begin_a = format!("BEGIN; SELECT set_config('napoleon.tenant_id', '{a}', true)");

    // Insert a row claiming tenant B while tenant A is set: refused by WITH CHECK.
    conn.batch_execute(&begin_a).await.unwrap();
    let insert = conn
        .batch_execute(&format!(
            "INSERT INTO core.org_units (tenant_id, id, parent_id, kind, code, name) \
             VALUES ('{b}', gen_random_uuid(), NULL, 'ministere', 'X', 'intrus')"
        ))
        .await;
    let error = insert
        .expect_err("insert into tenant B must be refused")
        .to_string();
    assert!(error.contains("row-level security"), "{error}");
    conn.batch_execute("ROLLBACK").await.unwrap();

    // Update B's rows: they are invisible, so nothing is updated.
    conn.batch_execute(&begin_a).await.unwrap();
    let updated = diesel::sql_query(format!(
        "UPDATE core.org_units SET name = 'piraté' WHERE tenant_id = '{b}'"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    assert_eq!(updated, 0);
    // Move one's own row into B: refused by WITH CHECK.
    let moved = conn
        .batch_execute(&format!(
            "UPDATE core.org_units SET tenant_id = '{b}' WHERE tenant_id = '{a}'"
        ))
        .await;
    assert!(moved.is_err(), "moving a row to tenant B must be refused");
    conn.batch_execute("ROLLBACK").await.unwrap();

    // Journal events are append-only for the application role.
    conn.batch_execute(&begin_a).await.unwrap();
    let tamper = conn
        .batch_execute("UPDATE journal.events SET kind = 'x.y'")
        .await;
    assert!(
        tamper
            .expect_err("update refused")
            .to_string()
            .contains("permission denied")
    );
    conn.batch_execute("ROLLBACK").await.unwrap();

    let mut admin = TestDb::connect(&tdb.admin_url()).await.unwrap();
    assert_eq!(
        count(
            &mut admin,
            "SELECT count(*) AS n FROM core.org_units WHERE name IN ('piraté', 'intrus')"
        )
        .await,
        0
    );
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_tenant_nothing_is_visible_and_the_setting_dies_with_the_transaction() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let a = tenant_with_units(&db, "tenant-a", 2).await;
    let mut conn = TestDb::connect(&tdb.app_url()).await.unwrap();

    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM core.org_units").await,
        0
    );
    conn.batch_execute(&format!(
        "BEGIN; SELECT set_config('napoleon.tenant_id', '{a}', true)"
    ))
    .await
    .unwrap();
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM core.org_units").await,
        3
    );
    conn.batch_execute("COMMIT").await.unwrap();
    // Same connection, as the next user of a pooled connection would get it.
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM core.org_units").await,
        0
    );
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tenant_conn_reads_only_its_tenant_and_an_abandoned_one_never_returns_to_the_pool() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let a = tenant_with_units(&db, "tenant-a", 2).await;
    let b = tenant_with_units(&db, "tenant-b", 5).await;

    let mut tx = db.tenant(a).await.unwrap();
    let units = core::list_org_units(&mut tx).await.unwrap();
    assert_eq!(units.len(), 3);
    tx.commit().await.unwrap();

    let mut tx = db.tenant(b).await.unwrap();
    assert_eq!(core::list_org_units(&mut tx).await.unwrap().len(), 6);
    drop(tx); // abandoned mid-transaction: its connection is closed, not reused

    // The pool hands out a clean connection: no tenant, no open transaction.
    let mut conn = db.platform().await.unwrap();
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM core.org_units").await,
        0
    );
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND datname = current_database()").await,
        0
    );
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_may_claim_its_grants_but_change_nothing_else_in_them() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let tenant = tenant_with_units(&db, "tenant-a", 1).await;
    let email = napoleon_kernel::Email::parse("agent@exemple.gouv.fr").unwrap();
    let mut tx = db.tenant(tenant).await.unwrap();
    let root = core::list_org_units(&mut tx)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.parent_id.is_none())
        .unwrap()
        .id;
    napoleon_db::identity::grant(
        &mut tx,
        &email,
        root,
        Some(napoleon_kernel::Role::Redacteur),
        "test",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let agent = napoleon_kernel::AgentId::new();
    let mut conn = TestDb::connect(&tdb.app_url()).await.unwrap();
    let begin = format!(
        "BEGIN; SELECT set_config('napoleon.agent_id', '{agent}', true), set_config('napoleon.agent_email', 'agent@exemple.gouv.fr', true);"
    );
    conn.batch_execute(&begin).await.unwrap();
    let escalate = conn.batch_execute("UPDATE core.memberships SET role = 'administrateur' WHERE email = 'agent@exemple.gouv.fr'").await;
    assert!(
        escalate
            .unwrap_err()
            .to_string()
            .contains("permission denied"),
        "only agent_id may change"
    );
    conn.batch_execute("ROLLBACK").await.unwrap();
    tdb.finish().await;
}
