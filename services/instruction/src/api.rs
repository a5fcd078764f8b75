//! Instruction's JSON API (`/instruction/api/v1`), described by OpenAPI at
//! `/instruction/api/v1/openapi.json`: the queue, and each move of the review circuit.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use napoleon_db::readlog::ReadChannel;
use napoleon_identity::Identity;
use napoleon_kernel::DossierId;
use napoleon_web::{ActionError, IdPath, WebContext};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::domain::{self, OpinionInput, Tab};

#[derive(OpenApi)]
#[openapi(
    info(title = "Napoléon — instruction", version = "1"),
    paths(queue, take, opinion, transmit, give_back),
    components(schemas(QueueItem, OpinionInput, ReturnInput))
)]
pub(crate) struct Doc;

fn answer(result: Result<(), ActionError>) -> Response {
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

/// One dossier of a queue.
#[derive(Serialize, ToSchema)]
pub(crate) struct QueueItem {
    id: String,
    number: Option<String>,
    state: String,
    target_grade: String,
    level_unit_id: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct QueueParams {
    tab: String,
}

/// The agent's queue: `tab` = `todo` (à traiter), `followed` (suivis) or `done` (traités).
#[utoipa::path(get, path = "/instruction/api/v1/queue", params(("tab" = Option<String>, Query, description = "todo | followed | done")),
    responses((status = 200, body = [QueueItem]), (status = 403)))]
pub(crate) async fn queue(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    Query(p): Query<QueueParams>,
) -> Response {
    match domain::queue(&ctx, &identity, Tab::parse(&p.tab), ReadChannel::Api).await {
        Ok(list) => Json(
            list.into_iter()
                .map(|d| QueueItem {
                    id: d.id.to_string(),
                    number: d.number,
                    state: d.state.as_str().to_owned(),
                    target_grade: d.target_grade.to_string(),
                    level_unit_id: d.level_unit_id.to_string(),
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// Takes the dossier at its current level (déposé → en instruction).
#[utoipa::path(post, path = "/instruction/api/v1/dossiers/{id}/take",
    responses((status = 204), (status = 403), (status = 404), (status = 409)))]
pub(crate) async fn take(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
) -> Response {
    answer(domain::take(&ctx, &identity, id).await)
}

/// Records the holder's opinion (en instruction → avis rendu).
#[utoipa::path(post, path = "/instruction/api/v1/dossiers/{id}/opinion", request_body = OpinionInput,
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(crate) async fn opinion(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
    Json(input): Json<OpinionInput>,
) -> Response {
    answer(domain::opine(&ctx, &identity, id, &input).await)
}

/// Validates the level and transmits to the ministry's bureau (avis rendu → transmis); not
/// by the opinion's author (four eyes, 409 `dossier.four_eyes`).
#[utoipa::path(post, path = "/instruction/api/v1/dossiers/{id}/transmit",
    responses((status = 204), (status = 403), (status = 404), (status = 409)))]
pub(crate) async fn transmit(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
) -> Response {
    answer(domain::transmit(&ctx, &identity, id).await)
}

/// A request for a complement.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ReturnInput {
    message: String,
}

/// Returns the dossier to the filing unit with a message (→ complément demandé).
#[utoipa::path(post, path = "/instruction/api/v1/dossiers/{id}/return", request_body = ReturnInput,
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(crate) async fn give_back(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
    Json(input): Json<ReturnInput>,
) -> Response {
    answer(domain::give_back(&ctx, &identity, id, &input.message).await)
}
