//! The `decisions` service: the ministry's bureau ranks the dossiers transmitted for a
//! campaign within its contingents, decides (retenu, ajourné, refusé), closes the list, records
//! the decree's publication — which turns every retained dossier into an award of the laureate
//! registry — and then each laureate's réception (prise de rang).
//!
//! It owns the `decisions` schema, writes the `registry` schema, and serves everything under
//! `/decisions`. It never depends on another service crate (checked in CI): it reads
//! campaigns and dossiers through `napoleon_db::contracts` and moves dossiers with
//! `intake.move_dossier`. It trusts only the identity the gateway signs (or hands, in process): every route but health
//! is behind `require_identity` (through [`napoleon_web::service_router`]), so a request without a valid assertion is a 401, and each
//! use case checks its permission at the campaign's bureau unit.

mod api;
mod domain;
mod http;
mod jobs;
mod store;
mod tally;

pub use domain::imports::import_kind;
pub use domain::registry_import;
pub use jobs::{DecisionsExport, RegistryImport};

use axum::Router;
use axum::routing::{get, post};
use napoleon_web::{WebContext, service_router};

/// The service's name: its URL prefix, schema and `service.name` suffix.
pub const SERVICE: &str = "decisions";

/// The service's page templates, registered with the shared ones.
pub const TEMPLATES: &[(&str, &str)] = napoleon_web::templates!(
    "decisions/";
    "campaigns", "board", "imports", "import_job"
);

/// The service's routes, all under `/decisions`. Its own health endpoints are reachable through
/// the prefix too, so the gateway can probe each service it forwards to.
pub fn router(ctx: &WebContext) -> Router {
    let routes = Router::new()
        .route("/api/v1/campaigns", get(api::list_campaigns))
        .route("/api/v1/campaigns/{id}/board", get(api::board))
        .route("/api/v1/campaigns/{id}/close", post(api::close))
        .route("/api/v1/campaigns/{id}/publish", post(api::publish))
        .route("/api/v1/dossiers/{id}/rank", post(api::rank))
        .route("/api/v1/dossiers/{id}/decision", post(api::decide))
        .route("/api/v1/awards/{id}/reception", post(api::receive))
        .route("/campagnes", get(http::campaigns))
        .route("/campagnes/{id}", get(http::board))
        .route(
            "/campagnes/{id}/export",
            get(http::exports::export_form).post(http::exports::start_export),
        )
        .route("/exports/{id}", get(http::exports::export_job))
        .route("/exports/{id}/fichier", get(http::exports::export_file))
        .route("/campagnes/{id}/cloture", post(http::close))
        .route("/campagnes/{id}/publication", post(http::publish))
        .route("/dossiers/{id}/rang", post(http::rank))
        .route("/dossiers/{id}/decision", post(http::decide))
        .route("/recompenses/{id}/reception", post(http::receive))
        .route(
            "/registre/import",
            get(http::imports::page).post(http::imports::upload),
        )
        .route("/registre/import/modele.csv", get(http::imports::template))
        .route("/registre/import/taches/{id}", get(http::imports::job))
        .route(
            "/registre/import/taches/{id}/rapport.csv",
            get(http::imports::report),
        )
        .route(
            "/registre/import/taches/{id}/importer",
            post(http::imports::import_checked),
        )
        .route(
            "/registre/imports/{id}/annulation",
            post(http::imports::undo),
        );
    service_router(ctx, SERVICE, <api::Doc as utoipa::OpenApi>::openapi, routes)
}
