//! The `instruction` service: the review circuit: assignments, checks, opinions (avis), complements, messages.
//!
//! It owns the `instruction` schema and serves everything under `/instruction`. It never depends on another
//! service crate (checked in CI); it trusts only the identity the gateway signs.

use axum::Router;
use napoleon_web::{WebContext, health_router};

/// The service's name: its URL prefix, schema and `service.name` suffix.
pub const SERVICE: &str = "instruction";

/// The service's routes, all under `/instruction`. Its own health endpoints are reachable through
/// the prefix too, so the gateway can probe each service it forwards to.
pub fn router(ctx: &WebContext) -> Router {
    Router::new().nest("/instruction", health_router(ctx.db.clone()))
}
