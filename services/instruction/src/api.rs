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

use crate::domain::{self, OpinionInput, Paging, Tab};

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
    page: Option<String>,
    per_page: Option<String>,
}

/// A page of the agent's queue: `tab` = `todo` (à traiter), `followed` (suivis) or `done`
/// (traités); `page` from 1 (a page past the last is the last), `per_page` 50 by default,
/// at most 200. `X-Total-Count` gives the tab's whole count, `Link` the next and previous
/// pages (RFC 8288).
#[utoipa::path(get, path = "/instruction/api/v1/queue",
    params(
        ("tab" = Option<String>, Query, description = "todo | followed | done"),
        ("page" = Option<u32>, Query, description = "the page, from 1 (default 1)"),
        ("per_page" = Option<u32>, Query, description = "dossiers per page, 1 to 200 (default 50)"),
    ),
    responses((status = 200, body = [QueueItem],
        headers(("X-Total-Count" = u64, description = "dossiers in the tab, all pages together"),
                ("Link" = String, description = "rel=\"next\" and rel=\"prev\" pages, when there are"))),
        (status = 403)))]
pub(crate) async fn queue(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    Query(p): Query<QueueParams>,
) -> Response {
    let tab = Tab::parse(&p.tab);
    let paging = Paging::parse(p.page.as_deref(), p.per_page.as_deref());
    match domain::queue(&ctx, &identity, tab, paging, ReadChannel::Api).await {
        Ok(found) => {
            let link = |page: usize, rel: &str| {
                format!(
                    "</instruction/api/v1/queue?tab={}&page={page}&per_page={}>; rel=\"{rel}\"",
                    tab.api_word(),
                    found.per_page
                )
            };
            let links: Vec<String> = [
                (found.page < found.pages).then(|| link(found.page + 1, "next")),
                (found.page > 1).then(|| link(found.page - 1, "prev")),
            ]
            .into_iter()
            .flatten()
            .collect();
            let mut response = Json(
                found
                    .dossiers
                    .into_iter()
                    .map(|d| QueueItem {
                        id: d.id.to_string(),
                        number: d.number,
                        state: d.state.as_str().to_owned(),
                        target_grade: d.target_grade.to_string(),
                        level_unit_id: d.level_unit_id.to_string(),
                    })
                    .collect::<Vec<_>>(),
            )
            .into_response();
            let headers = response.headers_mut();
            headers.insert("x-total-count", found.total.into());
            if let (false, Ok(value)) = (
                links.is_empty(),
                axum::http::HeaderValue::from_str(&links.join(", ")),
            ) {
                headers.insert(axum::http::header::LINK, value);
            }
            response
        }
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
