//! Services refuse to run as a role that row-level security would not bind, or on a schema
//! behind the binary.

use diesel_async::SimpleAsyncConnection;
use napoleon::commands::{CliError, check_database};
use napoleon_db::roles::{RoleCheckError, check_application_role};
use napoleon_db::{Db, build_pool};
use napoleon_kernel::Secret;
use napoleon_testkit::TestDb;

fn url_for(tdb: &TestDb, role: &str, password: &str) -> Secret<String> {
    // Same host, port and database as the app URL, another role.
    let app = tdb.app_url();
    let at = app.expose().rfind('@').unwrap();
    Secret::new(format!(
        "postgres://{role}:{password}{}",
        &app.expose()[at..]
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_application_role_passes_the_start_up_check() {
    let tdb = TestDb::new().await.unwrap();
    let mut conn = TestDb::connect(&tdb.app_url()).await.unwrap();
    assert_eq!(check_application_role(&mut conn).await, Ok(()));
    check_database(&tdb.app_db().unwrap()).await.unwrap();
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_owner_is_refused() {
    let tdb = TestDb::new().await.unwrap();
    let mut conn = TestDb::connect(&tdb.owner_url()).await.unwrap();
    assert!(matches!(
        check_application_role(&mut conn).await,
        Err(RoleCheckError::Owner(_))
    ));
    let refused = check_database(&tdb.owner_db().unwrap()).await.unwrap_err();
    assert_eq!(refused.exit_code(), 3);
    assert!(refused.to_string().contains("owns"), "{refused}");
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_superuser_is_refused() {
    let tdb = TestDb::new().await.unwrap();
    let mut conn = TestDb::connect(&tdb.admin_url()).await.unwrap();
    assert!(matches!(
        check_application_role(&mut conn).await,
        Err(RoleCheckError::Superuser(_))
    ));
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bypassrls_role_and_a_member_of_the_owner_are_refused() {
    let tdb = TestDb::new().await.unwrap();
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let (bypass, member) = (format!("bypass_{suffix}"), format!("member_{suffix}"));
    let mut admin = TestDb::connect(&tdb.admin_url()).await.unwrap();
    admin
        .batch_execute(&format!(
            "CREATE ROLE {bypass} LOGIN BYPASSRLS PASSWORD 'pw'; \
             CREATE ROLE {member} LOGIN PASSWORD 'pw' IN ROLE napoleon_owner; \
             GRANT CONNECT ON DATABASE {db} TO {bypass}, {member};",
            db = tdb.app_url().expose().rsplit('/').next().unwrap()
        ))
        .await
        .unwrap();

    let mut conn = TestDb::connect(&url_for(&tdb, &bypass, "pw"))
        .await
        .unwrap();
    assert!(matches!(
        check_application_role(&mut conn).await,
        Err(RoleCheckError::BypassRls(_))
    ));
    let mut conn = TestDb::connect(&url_for(&tdb, &member, "pw"))
        .await
        .unwrap();
    assert!(matches!(
        check_application_role(&mut conn).await,
        Err(RoleCheckError::Owner(_))
    ));

    drop(conn);
    admin
        .batch_execute(&format!(
            "REVOKE ALL ON DATABASE {db} FROM {bypass}, {member}; DROP ROLE {bypass}; DROP ROLE {member};",
            db = tdb.app_url().expose().rsplit('/').next().unwrap()
        ))
        .await
        .unwrap();
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn serving_is_refused_while_migrations_are_pending() {
    let tdb = TestDb::unmigrated().await.unwrap();
    let db = Db::new(build_pool(&tdb.app_url(), 2).unwrap());
    let refused = check_database(&db).await.unwrap_err();
    assert!(matches!(refused, CliError::NotReady(_)));
    assert_eq!(refused.exit_code(), 3);
    let message = refused.to_string();
    assert!(
        message.contains("pending") && message.contains("napoleon migrate"),
        "{message}"
    );
    tdb.finish().await;
}

/// Issue 14: one database role per service. No service's role may insert, update or delete
/// in a schema another service owns (the gateway owns core, authz and catalogue; decisions
/// owns the registry); each passes the start-up check; and a real attempt is refused by
/// PostgreSQL itself.
#[tokio::test(flavor = "multi_thread")]
async fn each_service_role_writes_only_its_own_schema() {
    use diesel::QueryableByName;
    use diesel::sql_types::{Bool, Text};
    use diesel_async::RunQueryDsl;
    use napoleon_db::roles::{SERVICES, service_role};

    let tdb = TestDb::new().await.unwrap();
    let owner_of = |schema: &str| match schema {
        "core" | "authz" | "catalogue" => Some("gateway"),
        "intake" => Some("intake"),
        "instruction" => Some("instruction"),
        "decisions" | "registry" => Some("decisions"),
        _ => None,
    };
    #[derive(QueryableByName, Debug)]
    struct Writable {
        #[diesel(sql_type = Text)]
        relation: String,
        #[diesel(sql_type = Text)]
        schema: String,
        #[diesel(sql_type = Bool)]
        writes: bool,
    }
    let mut admin = TestDb::connect(&tdb.admin_url()).await.unwrap();
    let mut checked = 0;
    for service in SERVICES {
        let role = service_role(service);
        let rows: Vec<Writable> = diesel::sql_query(
            "SELECT format('%I.%I', n.nspname, c.relname) AS relation, n.nspname AS schema, \
                    (has_table_privilege($1, c.oid, 'INSERT') \
                     OR has_table_privilege($1, c.oid, 'DELETE') \
                     OR has_any_column_privilege($1, c.oid, 'UPDATE') \
                     OR has_any_column_privilege($1, c.oid, 'INSERT')) AS writes \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'r' \
               AND n.nspname IN ('core', 'authz', 'catalogue', 'intake', 'instruction', \
                                 'decisions', 'registry')",
        )
        .bind::<Text, _>(&role)
        .load(&mut admin)
        .await
        .unwrap();
        assert!(rows.len() > 20, "{rows:?}");
        for row in rows {
            checked += 1;
            let owner = owner_of(&row.schema);
            if owner != Some(service) {
                assert!(
                    !row.writes,
                    "{role} may write {}, which {owner:?} owns",
                    row.relation
                );
            }
        }
        // Each connects, and passes the start-up check (not owner, superuser or BYPASSRLS).
        let url = napoleon_db::service_url(&tdb.app_url(), service).unwrap();
        check_database(&Db::new(build_pool(&url, 1).unwrap()))
            .await
            .unwrap();
    }
    assert!(checked > 100);
    // What is not a schema's: the contract function that moves dossiers (instruction and
    // decisions only), the submission's numbering (intake only), sessions (the gateway's; the worker purges through a function), jobs
    // (the gateway's pages, intake's piece scans and the worker enqueue), outbox messages (no service emits yet).
    #[derive(QueryableByName, Debug)]
    struct May {
        #[diesel(sql_type = Bool)]
        moves: bool,
        #[diesel(sql_type = Bool)]
        numbers: bool,
        #[diesel(sql_type = Bool)]
        sessions: bool,
        #[diesel(sql_type = Bool)]
        enqueues: bool,
        #[diesel(sql_type = Bool)]
        emits: bool,
    }
    for service in SERVICES {
        let role = service_role(service);
        let may: May = diesel::sql_query(
            "SELECT has_function_privilege($1, 'intake.move_dossier(uuid, text[], text, uuid)', \
                                           'EXECUTE') AS moves, \
                    has_function_privilege($1, 'intake.number_and_submit(uuid, uuid, text)', \
                                           'EXECUTE') AS numbers, \
                    has_table_privilege($1, 'core.sessions', 'SELECT') AS sessions, \
                    has_table_privilege($1, 'jobs.jobs', 'INSERT') AS enqueues, \
                    has_table_privilege($1, 'outbox.messages', 'INSERT') AS emits",
        )
        .bind::<Text, _>(&role)
        .get_result(&mut admin)
        .await
        .unwrap();
        assert_eq!(
            may.moves,
            matches!(service, "instruction" | "decisions"),
            "{role} moves dossiers"
        );
        assert_eq!(may.numbers, service == "intake", "{role} numbers dossiers");
        assert_eq!(may.sessions, service == "gateway", "{role} reads sessions");
        assert_eq!(
            may.enqueues,
            // Intake queues each piece's antivirus scan; decisions its registry imports;
            // instruction and promotion their exports.
            matches!(
                service,
                "gateway" | "intake" | "instruction" | "decisions" | "promotion" | "worker"
            ),
            "{role} enqueues jobs"
        );
        assert!(!may.emits, "{role} queues outbox messages");
    }
    // And PostgreSQL refuses the act itself: intake writing decisions' list.
    let url = napoleon_db::service_url(&tdb.app_url(), "intake").unwrap();
    let mut intake = TestDb::connect(&url).await.unwrap();
    let refused = intake
        .batch_execute("UPDATE decisions.lists SET closed_at = now()")
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("permission denied"),
        "{refused}"
    );
    tdb.finish().await;
}

/// A service given another role's URL (here the tools' role, for intake) refuses to start,
/// naming the role it must connect as: the grants of migration 000017 mean nothing if a
/// process may run as a broader role.
#[tokio::test(flavor = "multi_thread")]
async fn a_service_connected_as_another_role_refuses_to_start() {
    let tdb = TestDb::new().await.unwrap();
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_napoleon"))
            .args(["serve", "intake"])
            .env_remove("NAPOLEON_CONFIG")
            .env("NAPOLEON__SERVER__BIND", "127.0.0.1:0")
            .env(
                "NAPOLEON__DATABASE__SERVICE_URLS__INTAKE",
                tdb.app_url().expose(),
            )
            .env(
                "NAPOLEON__ASSERTION__VERIFY_KEYS",
                "[\"k:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"]",
            )
            .output(),
    )
    .await
    .expect("exits at once")
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("must connect as napoleon_intake, not napoleon_app"),
        "{stderr}"
    );
    tdb.finish().await;
}
