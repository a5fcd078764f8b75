//! The one migration tree (`migrations/` at the workspace root), embedded in the binary.

use diesel::QueryableByName;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel_async::{AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use napoleon_kernel::Secret;

use crate::DbError;

/// Every migration, compiled in.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// The versions of the embedded migrations, oldest first.
///
/// # Errors
/// [`DbError::Migration`] if the embedded set cannot be listed.
pub fn embedded_versions() -> Result<Vec<String>, DbError> {
    let list = MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(list
        .iter()
        .map(|m| m.name().version().to_string())
        .collect())
}

/// Applies every pending migration as the owner role; returns the versions applied.
///
/// Must run on a multi-threaded tokio runtime (diesel's harness is synchronous and diesel-async
/// bridges it with `block_in_place`).
///
/// # Errors
/// [`DbError`] when connecting or a migration fails (the failed migration is rolled back).
pub async fn run_pending(owner_url: &Secret<String>) -> Result<Vec<String>, DbError> {
    let conn = AsyncPgConnection::establish(owner_url.expose()).await?;
    let mut harness = AsyncMigrationHarness::new(conn);
    let applied = harness
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

#[derive(QueryableByName)]
struct AppliedRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

/// The embedded migrations not yet applied to the database.
///
/// Reads diesel's bookkeeping table directly (the application role may read it but, unlike
/// diesel's harness, must not try to create it).
///
/// # Errors
/// [`DbError`] when the query fails for another reason than a missing bookkeeping table.
pub async fn pending(conn: &mut AsyncPgConnection) -> Result<Vec<String>, DbError> {
    let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
        "to_regclass('public.__diesel_schema_migrations') IS NOT NULL",
    ))
    .get_result(conn)
    .await?;
    let applied: Vec<String> = if exists {
        diesel::sql_query("SELECT version::text AS version FROM public.__diesel_schema_migrations")
            .load::<AppliedRow>(conn)
            .await?
            .into_iter()
            .map(|r| r.version)
            .collect()
    } else {
        Vec::new()
    };
    Ok(embedded_versions()?
        .into_iter()
        .filter(|v| !applied.contains(v))
        .collect())
}

/// Whether a service can serve: the database answers and every embedded migration is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// Ready.
    Ready,
    /// No connection, or it does not answer.
    DatabaseUnreachable,
    /// The schema is behind the binary: run `napoleon migrate`.
    MigrationsPending,
}

impl Readiness {
    /// The stable code reported by `/readyz`.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::DatabaseUnreachable => "database_unreachable",
            Self::MigrationsPending => "migrations_pending",
        }
    }
}

/// Probes readiness with one pooled connection (the pending-migrations query doubles as the
/// liveness query: one round trip when the bookkeeping table exists, two in all).
pub async fn readiness(db: &crate::Db) -> Readiness {
    let Ok(mut conn) = db.platform().await else {
        return Readiness::DatabaseUnreachable;
    };
    match pending(&mut conn).await {
        Ok(p) if p.is_empty() => Readiness::Ready,
        Ok(_) => Readiness::MigrationsPending,
        Err(_) => Readiness::DatabaseUnreachable,
    }
}
