use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use napoleon_db::Db;
use napoleon_db::migrate::{self, Readiness};
use serde::Serialize;

#[derive(Serialize)]
struct Health<'a> {
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

/// `/healthz` (the process answers) and `/readyz` (the database answers and its migrations
/// are current). Every service mounts these; they need no identity.
pub fn health_router(db: Db) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(db)
}

async fn healthz() -> Json<Health<'static>> {
    Json(Health {
        status: "ok",
        reason: None,
    })
}

async fn readyz(State(db): State<Db>) -> Response {
    let readiness = migrate::readiness(&db).await;
    let body = Health {
        status: if readiness == Readiness::Ready {
            "ready"
        } else {
            "not_ready"
        },
        reason: (readiness != Readiness::Ready).then_some(readiness.code()),
    };
    let status = if readiness == Readiness::Ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
