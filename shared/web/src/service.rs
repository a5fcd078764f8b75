//! The one wrapping every service's routes get: the identity diagnostic and the OpenAPI
//! document under `/<service>/api/v1`, everything behind `require_identity` but health, all
//! nested under the service's own prefix.

use axum::routing::get;
use axum::{Json, Router, middleware};
use napoleon_identity::{ServiceIdentity, require_identity};
use serde::Serialize;

use crate::{WebContext, health_router, identity_route};

/// A service's routes, all under `/<service>`: `routes` (relative to the prefix, with the
/// shared [`WebContext`] as state) plus `/api/v1/identity` and `/api/v1/openapi.json` (the
/// document `openapi` builds, e.g. utoipa's `Doc::openapi`),
/// behind `require_identity` (a request without the gateway's valid assertion for this
/// service is a 401); `/healthz` and `/readyz` stay reachable through the prefix for probes.
pub fn service_router<D: Serialize + 'static>(
    ctx: &WebContext,
    service: &'static str,
    openapi: fn() -> D,
    routes: Router<WebContext>,
) -> Router {
    let protected = routes
        .route("/api/v1/identity", identity_route(service))
        .route(
            "/api/v1/openapi.json",
            get(move || async move { Json(openapi()) }),
        )
        .with_state(ctx.clone())
        .layer(middleware::from_fn_with_state(
            ServiceIdentity {
                verifier: ctx.identity.clone(),
                service,
                clock: ctx.db.clock().clone(),
            },
            require_identity,
        ));
    Router::new().nest(
        &format!("/{service}"),
        health_router(ctx.db.clone()).merge(protected),
    )
}
