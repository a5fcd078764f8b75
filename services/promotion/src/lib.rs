//! The `promotion` service: the laureate registry and the promotion radar.
//!
//! It owns the `promotion` schema and serves everything under `/promotion`; its exports run as
//! `promotion.export` jobs ([`PromotionExport`], run by the worker). It never depends on
//! another service crate (checked in CI) and trusts only the identity the gateway signs (or hands, in process): every
//! route but health is behind `require_identity` (through [`napoleon_web::service_router`]), so a request without a valid assertion is
//! a 401, and each route checks its own permission with the tenant's policy.
//!
//! It reads the registry through the `registry.awards_v1` contract view and the campaigns
//! through `intake.campaigns_v1`. Proposing a laureate for the next grade belongs to intake:
//! the radar's forms post to `POST /intake/propositions`, and API clients call
//! `POST /intake/api/v1/proposals` (see this service's OpenAPI description).

mod api;
mod domain;
mod http;
mod jobs;
mod store;

use axum::Router;
use axum::routing::get;

pub use domain::exports::export_kind;
pub use jobs::PromotionExport;
use napoleon_web::{WebContext, service_router};

/// The service's name: its URL prefix, schema and `service.name` suffix.
pub const SERVICE: &str = "promotion";

/// The service's page templates, registered with the shared ones.
pub const TEMPLATES: &[(&str, &str)] = napoleon_web::templates!(
    "promotion/";
    "registry", "radar"
);

/// The service's routes, all under `/promotion`. Its own health endpoints are reachable through
/// the prefix too, so the gateway can probe each service it forwards to.
pub fn router(ctx: &WebContext) -> Router {
    let routes = Router::new()
        .route("/api/v1/registry", get(api::registry))
        .route("/api/v1/radar", get(api::radar))
        .route("/registre", get(http::registry))
        .route(
            "/registre/export",
            get(http::export_form).post(http::start_export),
        )
        .route(
            "/radar/export",
            get(http::radar_export_form).post(http::start_radar_export),
        )
        .route("/exports/{id}", get(http::export_job))
        .route("/exports/{id}/fichier", get(http::export_file))
        .route("/radar", get(http::radar));
    service_router(ctx, SERVICE, <api::Doc as utoipa::OpenApi>::openapi, routes)
}
