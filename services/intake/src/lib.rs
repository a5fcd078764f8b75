//! The `intake` service: campaigns, nomination files, and the eligibility check agents run
//! before submitting.
//!
//! It owns the `intake` schema and serves everything under `/intake`. It never depends on
//! another service crate (checked in CI) and trusts only the identity the gateway signs: every
//! route but health is behind [`require_identity`], so a request without a valid assertion is
//! a 401, and each route checks its own permission with the tenant's policy.

mod eligibility;

use axum::routing::post;
use axum::{Router, middleware};
use napoleon_identity::{ServiceIdentity, require_identity};
use napoleon_web::{WebContext, health_router, identity_route};

/// The service's name: its URL prefix, schema and `service.name` suffix.
pub const SERVICE: &str = "intake";

/// The service's routes, all under `/intake`.
pub fn router(ctx: &WebContext) -> Router {
    let protected = Router::new()
        .route("/api/v1/identity", identity_route(SERVICE))
        .route("/api/v1/eligibility", post(eligibility::check))
        .with_state(ctx.clone())
        .layer(middleware::from_fn_with_state(
            ServiceIdentity {
                verifier: ctx.identity.clone(),
                service: SERVICE,
            },
            require_identity,
        ));
    Router::new().nest("/intake", health_router(ctx.db.clone()).merge(protected))
}
