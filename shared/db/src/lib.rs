//! PostgreSQL for every Napoléon service.
//!
//! The one door to tenant data is [`TenantConn`]: a pooled connection inside a transaction
//! whose tenant is set transaction-locally, so row-level security confines every statement to
//! that tenant even if a query forgets its own `tenant_id` filter. Store functions take a
//! `&mut TenantConn`, never the pool. Platform tables without tenant (`core.tenants`) are read
//! through [`Db::platform`].
//!
//! Also here: the embedded migrations ([`migrate`]), the start-up role check ([`roles`]), the
//! hash-chained journal ([`journal`]), the core store ([`core`]) and the local cluster that the
//! demo and the tests start ([`cluster`]).

pub mod catalogue;
pub mod cluster;
pub mod contracts;
pub mod core;
pub mod crossmatch;
pub mod duplicates;
mod error;
pub mod identity;
pub mod jobs;
pub mod journal;
pub mod migrate;
pub mod operators;
pub mod outbox;
pub mod policy;
mod pool;
pub mod readlog;
pub mod roles;
pub mod schema;
mod scoped;
pub mod server;
pub mod sessions;

pub use diesel_async::AsyncPgConnection;
pub use error::DbError;
pub use pool::{Db, PgPool, PlatformConn, build_pool, service_url};
#[cfg(feature = "statement-observer")]
pub use pool::{Sent, StatementObserver, observe_statements};
pub use scoped::{IdentityConn, Scoped, Shared, TenantConn, TenantRead};
