//! The `decisions` service: committees, contingents, parity, decisions, documents, publication, réception.
//!
//! It owns the `decisions` schema and serves everything under `/decisions`. It never depends on another
//! service crate (checked in CI); it trusts only the identity the gateway signs.

use axum::Router;
use napoleon_web::{WebContext, health_router};

/// The service's name: its URL prefix, schema and `service.name` suffix.
pub const SERVICE: &str = "decisions";

/// The service's routes, all under `/decisions`. Its own health endpoints are reachable through
/// the prefix too, so the gateway can probe each service it forwards to.
pub fn router(ctx: &WebContext) -> Router {
    Router::new().nest("/decisions", health_router(ctx.db.clone()))
}
