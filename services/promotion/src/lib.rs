//! The `promotion` service.
//!
//! It owns the `promotion` schema and serves everything under `/promotion`. It never depends on another
//! service crate (checked in CI) and trusts only the identity the gateway signs: every route
//! but health is behind [`require_identity`], so a request without a valid assertion is a 401.

use axum::routing::get;
use axum::{Extension, Json, Router, middleware};
use napoleon_identity::{Identity, require_identity};
use napoleon_web::{WebContext, health_router};
use serde::Serialize;

/// The service's name: its URL prefix, schema and `service.name` suffix.
pub const SERVICE: &str = "promotion";

/// The service's routes, all under `/promotion`. Its own health endpoints are reachable through
/// the prefix too, so the gateway can probe each service it forwards to.
pub fn router(ctx: &WebContext) -> Router {
    let protected = Router::new()
        .route("/api/v1/identity", get(identity))
        .layer(middleware::from_fn_with_state(
            ctx.identity.clone(),
            require_identity,
        ));
    Router::new().nest("/promotion", health_router(ctx.db.clone()).merge(protected))
}

#[derive(Serialize, Debug)]
struct IdentityView {
    service: &'static str,
    agent: String,
    tenant: String,
    roles: Vec<String>,
}

/// The identity this service received from the gateway: a diagnostic for operators and the
/// proof, in tests, that the hand-off works in both deployment modes.
async fn identity(Extension(identity): Extension<Identity>) -> Json<IdentityView> {
    Json(IdentityView {
        service: SERVICE,
        agent: identity.agent.to_string(),
        tenant: identity.tenant.to_string(),
        roles: identity
            .roles
            .iter()
            .map(|g| format!("{}@{}", g.role.as_str(), g.unit))
            .collect(),
    })
}
