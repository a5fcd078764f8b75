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
