use chrono::{DateTime, Utc};
use diesel::sql_types::Text;
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, TransactionManager};
use napoleon_kernel::{AgentId, Email, TenantId};

use crate::{DbError, PgPool};

/// A pooled connection inside a transaction whose scope (a tenant, or an agent during login)
/// is set transaction-locally, so row-level security confines every statement to it.
///
/// End it with [`commit`](Self::commit) or [`rollback`](Self::rollback). If it is dropped
/// unfinished (an early `?`, a cancelled request), the connection is detached from the pool and
/// closed, which makes the server roll back: a half-done transaction is never reused.
///
/// Store code may open nested `transaction()` blocks on [`pg`](Self::pg): diesel knows this
/// transaction is open and uses savepoints.
pub struct Scoped<S: Copy + std::fmt::Debug> {
    conn: Option<Object<AsyncPgConnection>>,
    scope: S,
    now: DateTime<Utc>,
}

/// The one door to tenant data.
///
/// `begin` sends `BEGIN; SELECT set_config('napoleon.tenant_id', <id>, true), set_config(
/// 'napoleon.now', <clock>, true)` as one simple query: one round trip opens the transaction
/// and sets the tenant and the clock's time, transaction-locally, so the settings die with the
/// transaction and can never leak to the next user of the pooled connection. Row-level
/// security policies compare every row's `tenant_id` with the first; the database's clock
/// (`core.clock_now()`: column defaults, `intake.move_dossier`) reads the second, so the
/// injected clock governs every timestamp written.
pub type TenantConn = Scoped<TenantId>;

/// The identity transaction of a login: it sees only the logging-in agent's own memberships
/// (in every tenant) and the admission rules that admit this agent. Opened by the gateway
/// only after it has verified the identity provider's tokens.
pub type IdentityConn = Scoped<AgentId>;

impl<S: Copy + std::fmt::Debug> std::fmt::Debug for Scoped<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scoped")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

async fn checkout(pool: &PgPool) -> Result<Object<AsyncPgConnection>, DbError> {
    pool.get()
        .await
        .map_err(|e| DbError::Unavailable(e.to_string()))
}

impl TenantConn {
    /// Checks out a connection and opens the tenant's transaction.
    ///
    /// # Errors
    /// [`DbError`] when no connection is available or the statement fails.
    pub(crate) async fn begin(
        pool: &PgPool,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<Self, DbError> {
        let mut conn = checkout(pool).await?;
        // A parsed UUID has only hex digits and dashes, an RFC 3339 time only digits, `-`,
        // `:`, `.`, `T` and `+`: formatting them into the SQL cannot inject anything, and it
        // lets BEGIN and the settings share one round trip.
        let sql = format!(
            "BEGIN; SELECT set_config('napoleon.tenant_id', '{}', true), \
             set_config('napoleon.now', '{}', true)",
            tenant.as_uuid(),
            now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        );
        if let Err(error) = AnsiTransactionManager::begin_transaction_sql(&mut *conn, &sql).await {
            // BEGIN may have run and the settings failed (a timeout, a cancel): diesel does
            // not know a transaction is open, so the connection must not go back to the pool.
            drop(Object::take(conn));
            return Err(error.into());
        }
        Ok(Self {
            conn: Some(conn),
            scope: tenant,
            now,
        })
    }

    /// The tenant this transaction is confined to. Queries still filter on it explicitly:
    /// row-level security is the second barrier, not the only one.
    #[must_use]
    pub const fn tenant(&self) -> TenantId {
        self.scope
    }
}

impl IdentityConn {
    /// Opens the identity transaction of a verified agent. Login is not a hot path, so the
    /// settings go as bound parameters (the email and idp come from the identity provider).
    ///
    /// # Errors
    /// [`DbError`] when no connection is available or a statement fails.
    pub async fn begin(
        db: &crate::Db,
        agent: AgentId,
        issuer: &str,
        claimable_email: Option<&Email>,
        idp_id: Option<&str>,
    ) -> Result<Self, DbError> {
        let mut conn = checkout(db.pool()).await?;
        AnsiTransactionManager::begin_transaction(&mut *conn).await?;
        let now = db.clock().now();
        let mut scoped = Self {
            conn: Some(conn),
            scope: agent,
            now,
        };
        diesel::sql_query(
            "SELECT set_config('napoleon.agent_id', $1, true), \
                    set_config('napoleon.agent_email', $2, true), \
                    set_config('napoleon.agent_idp', $3, true), \
                    set_config('napoleon.now', $4, true), \
                    set_config('napoleon.agent_issuer', $5, true)",
        )
        .bind::<Text, _>(agent.as_uuid().to_string())
        .bind::<Text, _>(claimable_email.map_or("", Email::expose))
        .bind::<Text, _>(idp_id.unwrap_or(""))
        .bind::<Text, _>(now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        .bind::<Text, _>(issuer)
        .execute(scoped.pg())
        .await?;
        Ok(scoped)
    }

    /// The agent this transaction is confined to.
    #[must_use]
    pub const fn agent(&self) -> AgentId {
        self.scope
    }
}

impl<S: Copy + std::fmt::Debug> Scoped<S> {
    /// The clock's time when the transaction began: one instant for the whole use case.
    #[must_use]
    pub const fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Today in Paris, at that instant (filing windows, ages, the radar).
    #[must_use]
    pub fn today(&self) -> chrono::NaiveDate {
        napoleon_kernel::paris_date(self.now)
    }

    /// The connection, for store functions' queries.
    pub fn pg(&mut self) -> &mut AsyncPgConnection {
        match self.conn.as_deref_mut() {
            Some(conn) => conn,
            // `conn` is only taken by commit/rollback/drop, which consume or end `self`.
            None => unreachable!("scoped connection used after it ended"),
        }
    }

    /// Commits and returns the connection to the pool.
    ///
    /// # Errors
    /// [`DbError::Query`] when the commit fails (the connection is then discarded).
    pub async fn commit(mut self) -> Result<(), DbError> {
        if let Some(mut conn) = self.conn.take() {
            AnsiTransactionManager::commit_transaction(&mut *conn).await?;
        }
        Ok(())
    }

    /// Rolls back and returns the connection to the pool (or discards it if rollback fails).
    pub async fn rollback(mut self) {
        if let Some(mut conn) = self.conn.take()
            && let Err(error) = AnsiTransactionManager::rollback_transaction(&mut *conn).await
        {
            tracing::warn!(%error, "rollback failed; connection discarded");
            drop(Object::take(conn));
        }
    }
}

impl<S: Copy + std::fmt::Debug> Drop for Scoped<S> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // Closing the socket makes PostgreSQL roll the transaction back.
            drop(Object::take(conn));
            tracing::debug!(scope = ?self.scope, "unfinished scoped transaction discarded");
        }
    }
}
