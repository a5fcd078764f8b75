//! The live schema keeps the tenancy invariants (ARCHITECTURE.md, invariant 4): a new table
//! that forgets one fails here.

use diesel::QueryableByName;
use diesel::sql_types::{Bool, Text};
use diesel_async::RunQueryDsl;
use napoleon_testkit::TestDb;

#[derive(QueryableByName, Debug)]
struct TableFacts {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    has_tenant_id: bool,
    #[diesel(sql_type = Bool)]
    tenant_not_null: bool,
    #[diesel(sql_type = Bool)]
    rls_enabled: bool,
    #[diesel(sql_type = Bool)]
    rls_forced: bool,
    #[diesel(sql_type = Bool)]
    policy_using_and_check_on_tenant: bool,
    #[diesel(sql_type = Bool)]
    pk_leads_with_tenant: bool,
    #[diesel(sql_type = Bool)]
    every_index_leads_with_tenant: bool,
}

/// Platform tables that legitimately carry no tenant. Adding one here is a design decision:
/// say why in ARCHITECTURE.md.
const PLATFORM_TABLES: [&str; 8] = [
    // The cross-ministry lookup's (migration 000038): read across tenants by its two
    // functions only, no role granted anything on them.
    "crossmatch.hash_key",
    "crossmatch.lookups",
    "crossmatch.proposals",
    "core.agents",
    "core.operators",
    "core.sessions",
    "core.tenants",
    "public.__diesel_schema_migrations",
];

#[tokio::test(flavor = "multi_thread")]
async fn every_tenant_table_has_forced_rls_a_policy_and_tenant_leading_indexes() {
    let tdb = TestDb::new().await.unwrap();
    let mut conn = TestDb::connect(&tdb.owner_url()).await.unwrap();
    let facts: Vec<TableFacts> = diesel::sql_query(
        "WITH t AS ( \
           SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name, c.relrowsecurity, c.relforcerowsecurity, \
                  (SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS tenant_attnum \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
           WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
             AND n.nspname NOT LIKE 'pg\\_%') \
         SELECT t.name, \
                t.tenant_attnum IS NOT NULL AS has_tenant_id, \
                COALESCE((SELECT a.attnotnull FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attnum = t.tenant_attnum), false) AS tenant_not_null, \
                t.relrowsecurity AS rls_enabled, t.relforcerowsecurity AS rls_forced, \
                EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.oid AND p.polcmd = '*' \
                        AND pg_get_expr(p.polqual, p.polrelid) LIKE '%tenant_id = core.current_tenant()%' \
                        AND pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%tenant_id = core.current_tenant()%') \
                  AS policy_using_and_check_on_tenant, \
                EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = t.oid AND i.indisprimary AND i.indkey[0] = t.tenant_attnum) \
                  AS pk_leads_with_tenant, \
                NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = t.oid AND i.indkey[0] IS DISTINCT FROM t.tenant_attnum) \
                  AS every_index_leads_with_tenant \
         FROM t ORDER BY t.name",
    )
    .load(&mut conn)
    .await
    .unwrap();

    let tenant_tables: Vec<&TableFacts> = facts.iter().filter(|f| f.has_tenant_id).collect();
    assert!(tenant_tables.iter().any(|f| f.name == "core.org_units"));
    assert!(tenant_tables.iter().any(|f| f.name == "journal.events"));
    for f in &tenant_tables {
        assert!(f.tenant_not_null, "{}: tenant_id must be NOT NULL", f.name);
        assert!(f.rls_enabled, "{}: row-level security not enabled", f.name);
        assert!(f.rls_forced, "{}: row-level security not forced", f.name);
        assert!(
            f.policy_using_and_check_on_tenant,
            "{}: no policy with USING and WITH CHECK on the tenant",
            f.name
        );
        assert!(
            f.pk_leads_with_tenant,
            "{}: primary key must start with tenant_id",
            f.name
        );
        assert!(
            f.every_index_leads_with_tenant,
            "{}: every index must start with tenant_id",
            f.name
        );
    }
    for f in facts.iter().filter(|f| !f.has_tenant_id) {
        assert!(
            PLATFORM_TABLES.contains(&f.name.as_str()),
            "{} has no tenant_id: add it, or justify it as a platform table",
            f.name
        );
    }
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_application_role_owns_nothing_and_cannot_change_the_schema() {
    let tdb = TestDb::new().await.unwrap();
    let mut conn = TestDb::connect(&tdb.app_url()).await.unwrap();
    let refused = diesel::sql_query("CREATE TABLE core.sneaky (id int)")
        .execute(&mut conn)
        .await;
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("permission denied")
    );
    let refused = diesel::sql_query("ALTER TABLE core.org_units DISABLE ROW LEVEL SECURITY")
        .execute(&mut conn)
        .await;
    assert!(refused.unwrap_err().to_string().contains("must be owner"));
    tdb.finish().await;
}

/// Every migration's down.sql runs over real data (a campaign and a dossier created under
/// idempotency keys, the demo's tenants) and the tree applies again after it. The owner who
/// runs them is subject to the tables' forced row-level security: a down.sql that cleans rows
/// must lift it first (found by the review of issue 14: 000018's cleanup saw no row).
#[tokio::test(flavor = "multi_thread")]
async fn every_migration_reverts_over_data_and_applies_again() {
    use diesel_async::AsyncMigrationHarness;
    use diesel_migrations::MigrationHarness;
    use napoleon_testkit::{TestApp, cast};
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    let campaign = napoleon_testkit::open_campaign(&slice, &cast).await;
    let keyed = slice
        .call_with(
            &cast.redacteur,
            axum::http::Method::POST,
            "/intake/api/v1/dossiers",
            serde_json::json!({"campaign_id": campaign}),
            &[("idempotency-key", "avant-retour-0001")],
        )
        .await;
    assert_eq!(keyed.status, 201, "{}", keyed.json);
    let owner = TestDb::connect(&slice.db.owner_url()).await.unwrap();
    let mut harness = AsyncMigrationHarness::new(owner);
    let reverted = harness
        .revert_all_migrations(napoleon_db::migrate::MIGRATIONS)
        .unwrap_or_else(|e| panic!("a down.sql failed: {e}"))
        .len();
    assert_eq!(
        reverted,
        napoleon_db::migrate::embedded_versions().unwrap().len()
    );
    let applied = harness
        .run_pending_migrations(napoleon_db::migrate::MIGRATIONS)
        .unwrap_or_else(|e| panic!("the tree does not apply again: {e}"))
        .len();
    assert_eq!(applied, reverted);
    drop(harness);
    slice.finish().await;
}
