//! The `instruction` service.
//!
//! It owns the `instruction` schema and serves everything under `/instruction`. It never depends on another
//! service crate (checked in CI) and trusts only the identity the gateway signs: every route
//! but health is behind [`require_identity`], so a request without a valid assertion is a 401.

use axum::{Router, middleware};
use napoleon_identity::{ServiceIdentity, require_identity};
use napoleon_web::{WebContext, health_router, identity_route};

/// The service's name: its URL prefix, schema and `service.name` suffix.
pub const SERVICE: &str = "instruction";

/// The service's page templates, registered with the shared ones.
pub const TEMPLATES: &[(&str, &str)] = &[];

/// The service's routes, all under `/instruction`. Its own health endpoints are reachable through
/// the prefix too, so the gateway can probe each service it forwards to.
pub fn router(ctx: &WebContext) -> Router {
    let protected = Router::new()
        .route("/api/v1/identity", identity_route(SERVICE))
        .layer(middleware::from_fn_with_state(
            ServiceIdentity {
                verifier: ctx.identity.clone(),
                service: SERVICE,
            },
            require_identity,
        ));
    Router::new().nest(
        "/instruction",
        health_router(ctx.db.clone()).merge(protected),
    )
}
