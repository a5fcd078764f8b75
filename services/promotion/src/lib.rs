//! The `promotion` service: the laureate registry, the promotion radar and scoring.
//!
//! It owns the `promotion` schema and serves everything under `/promotion`. It never depends on another
//! service crate (checked in CI); it trusts only the identity the gateway signs.

use axum::Router;
use napoleon_web::{WebContext, health_router};

/// The service's name: its URL prefix, schema and `service.name` suffix.
pub const SERVICE: &str = "promotion";

/// The service's routes, all under `/promotion`. Its own health endpoints are reachable through
/// the prefix too, so the gateway can probe each service it forwards to.
pub fn router(ctx: &WebContext) -> Router {
    Router::new().nest("/promotion", health_router(ctx.db.clone()))
}
