//! The `instruction` service: the review circuit of a nomination dossier — the queue of each
//! unit, taking a dossier, the opinion (avis), validation and transmission to the ministry's
//! bureau under the four-eyes rule, and requests for complements; the search, bulk moves on
//! ticked rows, and exports of its lists as `instruction.export` jobs ([`InstructionExport`],
//! run by the worker).
//!
//! It owns the `instruction` schema and serves everything under `/instruction`. It never
//! depends on another service crate (checked in CI) and trusts only the identity the gateway
//! signs (or hands, in process): every route but health is behind `require_identity` (through [`napoleon_web::service_router`]), so a request without a valid
//! assertion is a 401. Dossiers are read and moved through the contracts of
//! `napoleon_db::contracts` (ARCHITECTURE.md).

mod api;
mod domain;
mod http;
mod jobs;
mod store;

pub use domain::exports::export_kind;
pub use jobs::InstructionExport;

use axum::Router;
use axum::routing::{get, post};
use napoleon_web::{WebContext, service_router};

/// The service's name: its URL prefix, schema and `service.name` suffix.
pub const SERVICE: &str = "instruction";

/// The service's page templates, registered with the shared ones.
pub const TEMPLATES: &[(&str, &str)] = napoleon_web::templates!(
    "instruction/";
    "queue", "dossier", "search", "bulk", "bulk_actions"
);

/// The service's routes, all under `/instruction`. Its own health endpoints are reachable
/// through the prefix too, so the gateway can probe each service it forwards to.
pub fn router(ctx: &WebContext) -> Router {
    let routes = Router::new()
        .route("/api/v1/queue", get(api::queue))
        .route("/api/v1/dossiers/{id}/take", post(api::take))
        .route("/api/v1/dossiers/{id}/opinion", post(api::opinion))
        .route("/api/v1/dossiers/{id}/transmit", post(api::transmit))
        .route("/api/v1/dossiers/{id}/return", post(api::give_back))
        .route("/dossiers", get(http::queue))
        .route("/dossiers/actions-groupees", post(http::bulk))
        .route("/recherche", get(http::search))
        .route("/recherche/vues", post(http::save_view))
        .route("/recherche/vues/{id}/suppression", post(http::delete_view))
        .route("/export", get(http::export_form).post(http::start_export))
        .route("/exports/{id}", get(http::export_job))
        .route("/exports/{id}/fichier", get(http::export_file))
        .route("/dossiers/{id}", get(http::dossier))
        .route("/dossiers/{id}/prise-en-charge", post(http::take))
        .route("/dossiers/{id}/avis", post(http::opine))
        .route("/dossiers/{id}/transmission", post(http::transmit))
        .route("/dossiers/{id}/renvoi", post(http::give_back))
        .route("/dossiers/{id}/doublons", post(http::review_duplicate));
    service_router(ctx, SERVICE, <api::Doc as utoipa::OpenApi>::openapi, routes)
}
