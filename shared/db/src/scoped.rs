use chrono::{DateTime, Utc};
use diesel::connection::{TransactionDepthChange, TransactionManagerStatus};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::sql_types::Text;
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{
    AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection,
    TransactionManager,
};
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

/// The statement that opens a tenant's transaction. A parsed UUID has only hex digits and
/// dashes, an RFC 3339 time only digits, `-`, `:`, `.`, `T` and `+`: formatting them into
/// the SQL cannot inject anything, and it lets BEGIN and the settings share one message.
fn begin_sql(tenant: TenantId, now: DateTime<Utc>) -> String {
    format!(
        "BEGIN; SELECT set_config('napoleon.tenant_id', '{}', true), \
         set_config('napoleon.now', '{}', true)",
        tenant.as_uuid(),
        now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    )
}

/// What read functions take: a tenant's transaction, open ([`TenantConn`]) or being opened or
/// ended ([`Shared`]), whose connection statements share, so that several are sent together
/// (pipelined: one round trip for all of them).
pub trait TenantRead {
    /// The transaction's tenant (queries still filter on it explicitly).
    fn tenant(&self) -> TenantId;
    /// The connection, shared: queries run as `.load(&mut tx.shared())`.
    fn shared(&self) -> &AsyncPgConnection;
}

/// A tenant transaction's connection lent to statements sent alongside its `BEGIN`
/// ([`Db::tenant_with`](crate::Db::tenant_with)) or its `COMMIT` ([`crate::readlog::record_and_commit`]).
#[derive(Clone, Copy)]
pub struct Shared<'a> {
    conn: &'a AsyncPgConnection,
    tenant: TenantId,
}

impl std::fmt::Debug for Shared<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

impl TenantRead for Shared<'_> {
    fn tenant(&self) -> TenantId {
        self.tenant
    }

    fn shared(&self) -> &AsyncPgConnection {
        self.conn
    }
}

impl TenantRead for TenantConn {
    fn tenant(&self) -> TenantId {
        self.scope
    }

    fn shared(&self) -> &AsyncPgConnection {
        match self.conn.as_deref() {
            Some(conn) => conn,
            // `conn` is only taken by commit/rollback/drop, which consume or end `self`.
            None => unreachable!("scoped connection used after it ended"),
        }
    }
}

/// `COMMIT` as a cacheable prepared statement: it goes through the connection's statement
/// cache like the statement sent before it, so it can never overtake that statement while
/// the statement is being prepared (a simple query would be sent at once).
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
struct Commit;

impl QueryFragment<Pg> for Commit {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        out.push_sql("COMMIT");
        Ok(())
    }
}

/// Tells diesel that a transaction was opened or ended by statements it did not send itself
/// (pipelined with others), so that its bookkeeping (savepoints, the pool's check that a
/// returned connection is not inside a transaction) stays true.
fn moved_depth(
    conn: &mut AsyncPgConnection,
    change: TransactionDepthChange,
) -> Result<(), DbError> {
    match <AnsiTransactionManager as TransactionManager<AsyncPgConnection>>::transaction_manager_status_mut(conn) {
        TransactionManagerStatus::Valid(status) => Ok(status.change_transaction_depth(change)?),
        TransactionManagerStatus::InError => Err(DbError::Unavailable(
            "the connection's transaction state is broken".to_owned(),
        )),
    }
}

/// The transaction depth diesel believes the connection is at.
fn transaction_depth(
    conn: &mut AsyncPgConnection,
) -> diesel::QueryResult<Option<std::num::NonZeroU32>> {
    <AnsiTransactionManager as TransactionManager<AsyncPgConnection>>::transaction_manager_status_mut(conn)
        .transaction_depth()
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
        Self::open_with(pool, tenant, now, async |_| Ok(()))
            .await
            .map(|(tx, ())| tx)
    }

    /// Checks out a connection, opens the tenant's transaction and runs `first` in the same
    /// round trip: `BEGIN` and the settings go first, `first`'s statements right behind them
    /// on the same connection, before any answer has come back. `first` only reads (its
    /// results are thrown away if the opening fails).
    ///
    /// # Errors
    /// [`DbError`] when no connection is available, the opening fails, or `first` fails
    /// (the transaction is then discarded).
    pub(crate) async fn open_with<T>(
        pool: &PgPool,
        tenant: TenantId,
        now: DateTime<Utc>,
        first: impl AsyncFnOnce(Shared<'_>) -> Result<T, DbError>,
    ) -> Result<(Self, T), DbError> {
        let mut conn = checkout(pool).await?;
        if !matches!(transaction_depth(&mut conn), Ok(None)) {
            // Never reached (the pool only hands out idle connections): diesel refuses to
            // BEGIN twice, and so does this.
            drop(Object::take(conn));
            return Err(DbError::Unavailable(
                "a pooled connection was still inside a transaction".to_owned(),
            ));
        }
        // Counted open before anything is sent, and held by a `Scoped` from now on: if this
        // future is dropped mid-flight (a request's timeout, a client gone, an aborted job),
        // the connection is discarded (`Drop`), never returned to the pool with the
        // transaction and its tenant still open on the server.
        moved_depth(&mut conn, TransactionDepthChange::IncreaseDepth)?;
        let tx = Self {
            conn: Some(conn),
            scope: tenant,
            now,
        };
        let sql = begin_sql(tenant, now);
        let (opened, first) = {
            let shared = TenantRead::shared(&tx);
            // `join!` polls in order: the simple query `BEGIN; …` is written to the connection
            // at its first poll, before `first`'s statements are.
            tokio::join!(
                async {
                    let mut c = shared;
                    c.batch_execute(&sql).await
                },
                first(Shared {
                    conn: shared,
                    tenant
                })
            )
        };
        // On an error (BEGIN or the settings failed, or `first` did), `tx` is dropped
        // unfinished: discarded, so rolled back.
        opened?;
        Ok((tx, first?))
    }

    /// Runs `last` and commits in the same round trip: `last`'s one statement, then `COMMIT`,
    /// sent together. For the read log of a read-only use case only (see
    /// [`crate::readlog::record_and_commit`]), because of two limits:
    /// - if `last` fails before reaching the database (a value that does not encode), what
    ///   the transaction did still commits (harmless when it only read);
    /// - `COMMIT` waits behind `last` only for `last`'s first statement (both go through the
    ///   connection's statement cache): a second one would run after it, outside the
    ///   transaction and its tenant (and fail there, row-level security seeing no tenant).
    ///
    /// # Errors
    /// [`DbError`] when `last` or the commit fails (the connection is then discarded if the
    /// commit failed).
    pub(crate) async fn commit_with<T>(
        mut self,
        last: impl AsyncFnOnce(Shared<'_>) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let tenant = self.scope;
        let (result, committed) = {
            // The connection stays in `self` while both are in flight: dropped mid-way, the
            // transaction is discarded (`Drop`).
            let shared = TenantRead::shared(&self);
            tokio::join!(
                last(Shared {
                    conn: shared,
                    tenant
                }),
                async {
                    let mut c = shared;
                    Commit.execute(&mut c).await
                }
            )
        };
        let Some(mut conn) = self.conn.take() else {
            unreachable!("scoped connection used after it ended")
        };
        let committed = committed
            .map_err(DbError::from)
            .and_then(|_| moved_depth(&mut conn, TransactionDepthChange::DecreaseDepth));
        if let Err(error) = committed {
            drop(Object::take(conn));
            return Err(error);
        }
        result
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
