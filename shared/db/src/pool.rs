use std::time::Duration;

use deadpool::Runtime;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use napoleon_kernel::{Clock, Secret, TenantId};

use crate::{DbError, TenantConn};

/// A pool of connections, all as one role.
pub type PgPool = Pool<AsyncPgConnection>;

/// A pooled connection for platform-level tables (no tenant): `core.tenants`.
pub type PlatformConn = Object<AsyncPgConnection>;

/// Builds a pool. Connections are checked out without a ping (`RecyclingMethod::Fast`): the
/// hot path should not pay a `SELECT 1` round trip per request; a connection left inside a
/// transaction is reported broken by diesel and dropped instead of reused, and a dead socket
/// surfaces as an error on first use (and on `/readyz`).
///
/// # Errors
/// [`DbError::Unavailable`] when the pool cannot be configured.
pub fn build_pool(url: &Secret<String>, max_size: usize) -> Result<PgPool, DbError> {
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    #[cfg(feature = "statement-observer")]
    if let Some(observer) = observer::OBSERVER.get() {
        use std::sync::Arc;
        let observer = Arc::clone(observer);
        config.custom_setup = Box::new(move |url| {
            let observer = Arc::clone(&observer);
            Box::pin(async move {
                use diesel_async::AsyncConnection as _;
                let mut conn = AsyncPgConnection::establish(url).await?;
                conn.set_instrumentation(observer::Observed::new(observer));
                Ok(conn)
            })
        });
    }
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url.expose(), config);
    Pool::builder(manager)
        .max_size(max_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(5)))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()
        .map_err(|e| DbError::Unavailable(e.to_string()))
}

/// The statement observer: tests only, compiled in with the `statement-observer` feature
/// (a dev-dependency feature; a release build has no such hook).
#[cfg(feature = "statement-observer")]
mod observer {
    use std::sync::{Arc, OnceLock};

    /// Sees what a connection sends (never the bound values). The test harness counts
    /// statements and round trips per route with it.
    pub type StatementObserver = Arc<dyn Fn(Sent<'_>) + Send + Sync>;

    /// One thing a connection sent.
    #[derive(Debug, Clone, Copy)]
    pub enum Sent<'a> {
        /// A statement's SQL, and whether it went while others of the same connection
        /// were still waiting for their answer (pipelined: no round trip of its own).
        Statement {
            /// The SQL.
            sql: &'a str,
            /// Sent behind others, in their round trip.
            pipelined: bool,
            /// Kept prepared by the connection (seen prepared into its cache before). A
            /// statement that is not (a raw `sql_query`, an SQL literal, a simple query) is
            /// parsed and planned again at every call.
            kept: bool,
        },
        /// A statement prepared and kept in the connection's cache (a round trip of its
        /// own, once per connection and statement).
        Prepared(&'a str),
    }

    pub(super) static OBSERVER: OnceLock<StatementObserver> = OnceLock::new();

    /// Installs `observer` on every pool built afterwards in this process; false if one is
    /// installed already (one process per test).
    pub fn observe_statements(observer: StatementObserver) -> bool {
        OBSERVER.set(observer).is_ok()
    }

    /// One connection's observer, with how many of its statements await their answer.
    pub(super) struct Observed {
        observer: StatementObserver,
        in_flight: usize,
        kept: std::collections::HashSet<String>,
    }

    impl Observed {
        pub(super) fn new(observer: StatementObserver) -> Self {
            Self {
                observer,
                in_flight: 0,
                kept: std::collections::HashSet::new(),
            }
        }
    }

    impl diesel::connection::Instrumentation for Observed {
        fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
            use diesel::connection::InstrumentationEvent as E;
            match event {
                E::StartQuery { query, .. } => {
                    let text = query.to_string();
                    // Diesel's debug form appends the bound values: never pass them on.
                    let sql = text.split(" -- binds: ").next().unwrap_or_default();
                    (self.observer)(Sent::Statement {
                        sql,
                        pipelined: self.in_flight > 0,
                        kept: self.kept.contains(sql),
                    });
                    self.in_flight += 1;
                }
                E::FinishQuery { .. } => self.in_flight = self.in_flight.saturating_sub(1),
                E::CacheQuery { sql, .. } => {
                    self.kept.insert(sql.to_owned());
                    (self.observer)(Sent::Prepared(sql));
                }
                _ => {}
            }
        }
    }
}

#[cfg(feature = "statement-observer")]
pub use observer::{Sent, StatementObserver, observe_statements};

/// The services' handle on the database: a pool of application-role connections.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
    clock: Clock,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.pool.status();
        f.debug_struct("Db")
            .field("size", &status.size)
            .field("available", &status.available)
            .finish()
    }
}

impl Db {
    /// Wraps a pool of application-role connections, on the system's clock.
    #[must_use]
    pub const fn new(pool: PgPool) -> Self {
        Self {
            pool,
            clock: Clock::system(),
        }
    }

    /// The same pool on another clock (tests move a manual one).
    #[must_use]
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    /// A pool on a clock the process already has (each service's own pool, beside the
    /// others): only the tests build an adjustable one.
    #[must_use]
    pub fn on_clock(pool: PgPool, clock: &Clock) -> Self {
        Self {
            pool,
            clock: clock.clone(),
        }
    }

    /// The process's clock: the only source of « now » and « today ».
    #[must_use]
    pub const fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The pool itself, for scoped transactions other than a tenant's (login's identity
    /// transaction) and for components that open their own (the policy adapter).
    #[must_use]
    pub const fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Opens a transaction confined to `tenant` (see [`TenantConn`]).
    ///
    /// # Errors
    /// [`DbError`] when no connection is available or `BEGIN` fails.
    pub async fn tenant(&self, tenant: TenantId) -> Result<TenantConn, DbError> {
        TenantConn::begin(&self.pool, tenant, self.clock.now()).await
    }

    /// Opens a transaction confined to `tenant` and runs `first`'s reads in the same round
    /// trip (see `TenantConn::open_with`).
    ///
    /// # Errors
    /// [`DbError`] when no connection is available, `BEGIN` fails or `first` fails.
    pub async fn tenant_with<T>(
        &self,
        tenant: TenantId,
        first: impl AsyncFnOnce(crate::Shared<'_>) -> Result<T, DbError>,
    ) -> Result<(TenantConn, T), DbError> {
        TenantConn::open_with(&self.pool, tenant, self.clock.now(), first).await
    }

    /// A connection for platform tables that carry no tenant. Tenant tables read through it
    /// return no rows: row-level security sees no tenant.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when no connection is available.
    pub async fn platform(&self) -> Result<PlatformConn, DbError> {
        self.pool
            .get()
            .await
            .map_err(|e| DbError::Unavailable(e.to_string()))
    }

    /// Pool usage, for metrics: (connections open, connections idle, max size).
    #[must_use]
    pub fn usage(&self) -> (usize, usize, usize) {
        let s = self.pool.status();
        (s.size, s.available, s.max_size)
    }
}

/// The URL of `service`'s database role: `url` with the user replaced by
/// [`crate::roles::service_role`] (same password, host and database).
///
/// # Errors
/// [`DbError::Corrupt`] naming `database.url` when it is not a URL with a user.
pub fn service_url(url: &Secret<String>, service: &str) -> Result<Secret<String>, DbError> {
    let mut parsed =
        url::Url::parse(url.expose()).map_err(|_| DbError::corrupt("database.url", "not a URL"))?;
    parsed
        .set_username(&crate::roles::service_role(service))
        .map_err(|()| DbError::corrupt("database.url", "no user part"))?;
    Ok(Secret::new(parsed.to_string()))
}
