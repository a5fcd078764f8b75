//! The database roles and the start-up check that the services run as the right one.
//!
//! * [`OWNER_ROLE`] owns every object and runs migrations (`napoleon migrate`).
//! * One role per service ([`service_role`]: `napoleon_gateway`, `napoleon_intake`, …,
//!   `napoleon_worker`), members of [`SERVICE_GROUP`]: each process connects as its
//!   service's role, granted its own schema's writes and the shared reads and contracts
//!   (migration 000017). Not superuser, not owner, `NOBYPASSRLS`.
//! * [`APP_ROLE`], the tools' role (demo seed, command line, tests' setup): the same
//!   attributes, every service's grants.

use diesel::QueryableByName;
use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use napoleon_kernel::Secret;

use crate::DbError;

/// The owner role's name in the clusters Napoléon provisions itself.
pub const OWNER_ROLE: &str = "napoleon_owner";
/// The tools' role; migrations grant privileges to this exact name.
pub const APP_ROLE: &str = "napoleon_app";
/// The group of the services' roles: what every service shares.
pub const SERVICE_GROUP: &str = "napoleon_service";
/// The services with a database role of their own (the worker runs jobs and the outbox).
pub const SERVICES: [&str; 6] = [
    "gateway",
    "intake",
    "instruction",
    "decisions",
    "promotion",
    "worker",
];

/// The database role of `service` (one of [`SERVICES`]).
#[must_use]
pub fn service_role(service: &str) -> String {
    format!("napoleon_{service}")
}

/// Why the connected role may not run a service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleCheckError {
    /// Superusers bypass row-level security.
    #[error("role {0} is a superuser: connect the services as the application role ({APP_ROLE})")]
    Superuser(String),
    /// BYPASSRLS roles skip row-level security.
    #[error("role {0} has BYPASSRLS: the application role must be NOBYPASSRLS")]
    BypassRls(String),
    /// Owners (or members of the owner) can alter policies and skip grants.
    #[error(
        "role {0} owns (or inherits from the owner of) database objects: connect as the application role, not the owner"
    )]
    Owner(String),
    /// The check itself failed.
    #[error("role check failed: {0}")]
    Database(String),
}

#[derive(QueryableByName, Debug)]
struct RoleFacts {
    #[diesel(sql_type = Text)]
    role_name: String,
    #[diesel(sql_type = Bool)]
    is_super: bool,
    #[diesel(sql_type = Bool)]
    bypass_rls: bool,
    #[diesel(sql_type = Bool)]
    owns_objects: bool,
}

/// Refuses to go on unless the connection's role is a plain application role.
///
/// # Errors
/// The [`RoleCheckError`] that names what is wrong.
pub async fn check_application_role(conn: &mut AsyncPgConnection) -> Result<(), RoleCheckError> {
    // pg_has_role(..., 'USAGE') is true for the role itself and for roles it inherits from, so
    // an application role that is a member of the owner counts as the owner.
    let facts: RoleFacts = diesel::sql_query(
        "SELECT r.rolname::text AS role_name, r.rolsuper AS is_super, r.rolbypassrls AS bypass_rls, \
            EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
                      AND n.nspname NOT LIKE 'pg\\_%' \
                      AND pg_has_role(current_user, c.relowner, 'USAGE')) \
            OR EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = current_database() \
                      AND pg_has_role(current_user, d.datdba, 'USAGE')) AS owns_objects \
         FROM pg_roles r WHERE r.rolname = current_user",
    )
    .get_result(conn)
    .await
    .map_err(|e| RoleCheckError::Database(e.to_string()))?;
    if facts.is_super {
        return Err(RoleCheckError::Superuser(facts.role_name));
    }
    if facts.bypass_rls {
        return Err(RoleCheckError::BypassRls(facts.role_name));
    }
    if facts.owns_objects {
        return Err(RoleCheckError::Owner(facts.role_name));
    }
    Ok(())
}

/// The role the connection is logged in as.
///
/// # Errors
/// [`DbError`] when the query fails.
pub async fn current_role(conn: &mut AsyncPgConnection) -> Result<String, DbError> {
    #[derive(QueryableByName)]
    struct Who {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let who: Who = diesel::sql_query("SELECT session_user::text AS name")
        .get_result(conn)
        .await?;
    Ok(who.name)
}

/// Quotes a SQL string literal (roles' passwords cannot be bind parameters).
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Quotes a SQL identifier.
#[must_use]
pub fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = Bool)]
    exists: bool,
}

async fn role_exists(admin: &mut AsyncPgConnection, name: &str) -> Result<bool, DbError> {
    let row: Exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS exists")
            .bind::<Text, _>(name)
            .get_result(admin)
            .await?;
    Ok(row.exists)
}

/// Creates (or re-passwords) the owner and application roles. Needs a superuser or a role
/// with CREATEROLE; used by the demo and the test harness, and documented for operators.
///
/// # Errors
/// [`DbError`] when a statement fails.
pub async fn provision_roles(
    admin: &mut AsyncPgConnection,
    owner_password: &Secret<String>,
    app_password: &Secret<String>,
) -> Result<(), DbError> {
    let specs = [
        (
            OWNER_ROLE,
            owner_password,
            "NOSUPERUSER NOCREATEROLE NOBYPASSRLS",
        ),
        (
            APP_ROLE,
            app_password,
            "NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT",
        ),
    ];
    for (name, password, attributes) in specs {
        let verb = if role_exists(admin, name).await? {
            "ALTER"
        } else {
            "CREATE"
        };
        admin
            .batch_execute(&format!(
                "{verb} ROLE {} LOGIN {attributes} PASSWORD {}",
                ident(name),
                literal(password.expose())
            ))
            .await?;
    }
    // The services' roles: the group (no login), then one login role each, a member of it.
    // They share the application role's password here (the clusters Napoléon runs itself);
    // a deployment may give each its own (`database.service_urls`).
    if !role_exists(admin, SERVICE_GROUP).await? {
        admin
            .batch_execute(&format!(
                "CREATE ROLE {} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS",
                ident(SERVICE_GROUP)
            ))
            .await?;
    }
    for service in SERVICES {
        let name = service_role(service);
        let verb = if role_exists(admin, &name).await? {
            "ALTER"
        } else {
            "CREATE"
        };
        admin
            .batch_execute(&format!(
                "{verb} ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS INHERIT \
                 PASSWORD {}; GRANT {} TO {}",
                ident(&name),
                literal(app_password.expose()),
                ident(SERVICE_GROUP),
                ident(&name)
            ))
            .await?;
    }
    Ok(())
}

/// Whether database `name` exists.
///
/// # Errors
/// [`DbError`] when the query fails.
pub async fn database_exists(admin: &mut AsyncPgConnection, name: &str) -> Result<bool, DbError> {
    let row: Exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<Text, _>(name)
            .get_result(admin)
            .await?;
    Ok(row.exists)
}

/// Whether `relation` (`schema.table`) exists in the connection's database.
///
/// # Errors
/// [`DbError`] when the statement fails.
pub async fn relation_exists(
    conn: &mut AsyncPgConnection,
    relation: &str,
) -> Result<bool, DbError> {
    let row: Exists = diesel::sql_query("SELECT to_regclass($1) IS NOT NULL AS exists")
        .bind::<Text, _>(relation)
        .get_result(conn)
        .await?;
    Ok(row.exists)
}

/// How many other connections to database `name` sit inside a transaction (a transaction
/// left open holds its locks and its snapshot until the connection closes).
///
/// # Errors
/// [`DbError`] when the statement fails.
pub async fn open_transactions(admin: &mut AsyncPgConnection, name: &str) -> Result<i64, DbError> {
    #[derive(QueryableByName)]
    struct Open {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let row: Open = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid() \
           AND state IN ('idle in transaction', 'idle in transaction (aborted)')",
    )
    .bind::<Text, _>(name)
    .get_result(admin)
    .await?;
    Ok(row.n)
}

/// Creates database `name` owned by the owner role, optionally as a copy of `template`.
/// Does nothing if it exists.
///
/// # Errors
/// [`DbError`] when a statement fails.
pub async fn create_database(
    admin: &mut AsyncPgConnection,
    name: &str,
    template: Option<&str>,
) -> Result<(), DbError> {
    if database_exists(admin, name).await? {
        return Ok(());
    }
    let template = template
        .map(|t| format!(" TEMPLATE {}", ident(t)))
        .unwrap_or_default();
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {} OWNER {}{template} ENCODING 'UTF8'",
            ident(name),
            ident(OWNER_ROLE)
        ))
        .await?;
    // Nobody but the application's and the services' roles connects; PUBLIC loses the
    // default CONNECT/TEMP rights. (A copy of a template does not inherit its rights.)
    admin
        .batch_execute(&format!(
            "REVOKE ALL ON DATABASE {db} FROM PUBLIC; \
             GRANT CONNECT ON DATABASE {db} TO {app}, {services}",
            db = ident(name),
            app = ident(APP_ROLE),
            services = ident(SERVICE_GROUP)
        ))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_doubles_quotes() {
        assert_eq!(literal("a'b"), "'a''b'");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
    }
}
