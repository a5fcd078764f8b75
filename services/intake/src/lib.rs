//! The `intake` service: campaigns, nomination files, and the eligibility check agents run
//! before submitting.
//!
//! It owns the `intake` schema and serves everything under `/intake`. It never depends on
//! another service crate (checked in CI) and trusts only the identity the gateway signs (or hands, in process): every
//! route but health is behind `require_identity` (through [`napoleon_web::service_router`]), so a request without a valid assertion is
//! a 401, and each route checks its own permission with the tenant's policy.

mod api;
mod domain;
mod eligibility;
mod http;
mod jobs;
mod metrics;
mod store;

pub use jobs::PieceScan;
pub use metrics::{DossierGauge, dossier_gauge};

use axum::Router;
use axum::routing::{get, post};
use napoleon_web::{WebContext, service_router};

/// The service's name: its URL prefix, schema and `service.name` suffix.
pub const SERVICE: &str = "intake";

/// The service's page templates, registered with the shared ones.
pub const TEMPLATES: &[(&str, &str)] = napoleon_web::templates!(
    "intake/";
    "campaigns", "campaign_new", "dossiers", "step", "field", "select", "receipt", "pieces",
    "proposal_imports", "proposal_import"
);

/// The service's routes, all under `/intake`.
pub fn router(ctx: &WebContext) -> Router {
    let routes = Router::new()
        .route("/api/v1/eligibility", post(eligibility::check))
        .route(
            "/api/v1/campaigns",
            get(api::list_campaigns).post(api::create_campaign),
        )
        .route("/api/v1/dossiers", post(api::create_dossier))
        .route(
            "/api/v1/dossiers/{id}",
            get(api::get_dossier).put(api::update_dossier),
        )
        .route("/api/v1/dossiers/{id}/submit", post(api::submit_dossier))
        .route(
            "/api/v1/dossiers/{id}/pieces",
            get(api::list_pieces).post(api::upload_pieces),
        )
        .route(
            "/api/v1/dossiers/{id}/pieces/{piece}",
            get(http::download).delete(api::remove_piece),
        )
        .route(
            "/api/v1/dossiers/{id}/memoire",
            get(http::memoire).post(api::establish_memoire),
        )
        .route("/api/v1/dossiers/{id}/archive", get(http::archive))
        .route("/api/v1/proposals", post(api::propose))
        .route(
            "/campagnes",
            get(http::campaigns).post(http::create_campaign),
        )
        .route("/campagnes/nouvelle", get(http::new_campaign))
        .route("/dossiers", get(http::dossiers).post(http::create_dossier))
        .route(
            "/dossiers/{id}/etape/{n}",
            get(http::step).post(http::save_step),
        )
        .route("/dossiers/{id}/recepisse", get(http::receipt))
        .route("/dossiers/{id}/recepisse/pdf", get(http::recepisse_pdf))
        .route(
            "/dossiers/{id}/memoire",
            get(http::memoire).post(http::establish_memoire),
        )
        .route("/dossiers/{id}/archive", get(http::archive))
        .route("/dossiers/{id}/pieces", post(http::upload))
        .route("/dossiers/{id}/pieces/{piece}", get(http::download))
        .route("/dossiers/{id}/pieces/{piece}/retirer", post(http::remove))
        .route("/propositions", post(http::propose))
        .route(
            "/propositions/import",
            get(http::imports).post(http::send_import),
        )
        .route(
            "/propositions/import/modele.csv",
            get(http::import_template),
        )
        .route("/propositions/import/{id}", get(http::import_report))
        .route(
            "/propositions/import/{id}/rapport.csv",
            get(http::import_report_csv),
        )
        .route(
            "/propositions/import/{id}/importer",
            post(http::import_checked),
        );
    service_router(ctx, SERVICE, <api::Doc as utoipa::OpenApi>::openapi, routes)
}
