use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, TransactionManager};
use napoleon_kernel::TenantId;

use crate::{DbError, PgPool};

/// A connection inside a transaction confined to one tenant: the only door to tenant data.
///
/// `begin` sends `BEGIN; SELECT set_config('napoleon.tenant_id', <id>, true)` as one simple
/// query: one round trip opens the transaction and sets the tenant, transaction-locally, so the
/// setting dies with the transaction and can never leak to the next user of the pooled
/// connection. Row-level security policies compare every row's `tenant_id` with it.
///
/// End it with [`commit`](Self::commit) or [`rollback`](Self::rollback). If it is dropped
/// unfinished (an early `?`, a cancelled request), the connection is detached from the pool and
/// closed, which makes the server roll back: a half-done transaction is never reused.
///
/// Store code may open nested `transaction()` blocks on [`pg`](Self::pg): diesel knows this
/// transaction is open and uses savepoints.
pub struct TenantConn {
    conn: Option<Object<AsyncPgConnection>>,
    tenant: TenantId,
}

impl std::fmt::Debug for TenantConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantConn")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

impl TenantConn {
    /// Checks out a connection and opens the tenant's transaction.
    ///
    /// # Errors
    /// [`DbError`] when no connection is available or the statement fails.
    pub async fn begin(pool: &PgPool, tenant: TenantId) -> Result<Self, DbError> {
        let mut conn = pool
            .get()
            .await
            .map_err(|e| DbError::Unavailable(e.to_string()))?;
        // A parsed UUID has only hex digits and dashes: formatting it into the SQL cannot
        // inject anything, and it lets BEGIN and the setting share one round trip.
        let sql = format!(
            "BEGIN; SELECT set_config('napoleon.tenant_id', '{}', true)",
            tenant.as_uuid()
        );
        AnsiTransactionManager::begin_transaction_sql(&mut *conn, &sql).await?;
        Ok(Self {
            conn: Some(conn),
            tenant,
        })
    }

    /// The tenant this transaction is confined to. Queries still filter on it explicitly:
    /// row-level security is the second barrier, not the only one.
    #[must_use]
    pub const fn tenant(&self) -> TenantId {
        self.tenant
    }

    /// The connection, for store functions' queries.
    pub fn pg(&mut self) -> &mut AsyncPgConnection {
        match self.conn.as_deref_mut() {
            Some(conn) => conn,
            // `conn` is only taken by commit/rollback/drop, which consume or end `self`.
            None => unreachable!("TenantConn used after it ended"),
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

impl Drop for TenantConn {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // Closing the socket makes PostgreSQL roll the transaction back.
            drop(Object::take(conn));
            tracing::debug!(tenant.id = %self.tenant, "unfinished tenant transaction discarded");
        }
    }
}
