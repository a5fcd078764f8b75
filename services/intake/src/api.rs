//! Intake's JSON API (`/intake/api/v1`, also reached as `/api/v1/...` through the gateway's
//! service prefix), described by OpenAPI at `/intake/api/v1/openapi.json`. The same use cases
//! as the pages; refusals are `application/problem+json` in French.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use napoleon_db::readlog::ReadChannel;
use napoleon_identity::Identity;
use napoleon_kernel::{AwardId, CampaignId, DossierId, IdempotencyKey};
use napoleon_rules::dossier::DossierState;
use napoleon_web::{IdPath, WebContext, WebError};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::domain::{self, CampaignInput};
use napoleon_rules::content::Content;

#[derive(OpenApi)]
#[openapi(
    info(title = "Napoléon — intake", version = "1"),
    paths(
        list_campaigns,
        create_campaign,
        create_dossier,
        get_dossier,
        update_dossier,
        submit_dossier,
        list_pieces,
        upload_pieces,
        remove_piece,
        establish_memoire,
        propose
    ),
    components(schemas(
        CampaignInput,
        NewDossier,
        DossierUpdate,
        DossierOut,
        Created,
        Submitted,
        PieceOut,
        DuplicateOut,
        Attached,
        MemoireOut,
        Proposal,
        CampaignOut
    ))
)]
pub(crate) struct Doc;

/// A campaign.
#[derive(Serialize, ToSchema)]
pub(crate) struct CampaignOut {
    id: String,
    distinction: String,
    label: String,
    promotion_date: String,
    opens_on: String,
    closes_on: String,
    bureau_unit_id: String,
    contingents: std::collections::BTreeMap<String, u32>,
}

/// The tenant's campaigns.
#[utoipa::path(get, path = "/intake/api/v1/campaigns", responses((status = 200, body = [CampaignOut])))]
pub(crate) async fn list_campaigns(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
) -> Response {
    match domain::campaigns(&ctx, &identity).await {
        Ok(list) => Json(
            list.campaigns
                .into_iter()
                .map(|c| CampaignOut {
                    id: c.id.to_string(),
                    distinction: c.distinction.to_string(),
                    label: c.label,
                    promotion_date: c.promotion_date.to_string(),
                    opens_on: c.opens_on.to_string(),
                    closes_on: c.closes_on.to_string(),
                    bureau_unit_id: c.bureau_unit_id.to_string(),
                    contingents: c.contingents,
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// Something created.
#[derive(Serialize, ToSchema)]
pub(crate) struct Created {
    id: String,
}

/// Creates a campaign (tenant administrators); with `Idempotency-Key`, once.
#[utoipa::path(post, path = "/intake/api/v1/campaigns", request_body = CampaignInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key create one campaign")),
    responses((status = 201, body = Created), (status = 403), (status = 409), (status = 422)))]
pub(crate) async fn create_campaign(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    Json(input): Json<CampaignInput>,
) -> Response {
    let key = match idempotency_key(&headers) {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    match domain::create_campaign(&ctx, &identity, &input, key.as_ref()).await {
        Ok(id) => (StatusCode::CREATED, Json(Created { id: id.to_string() })).into_response(),
        Err(e) => e.into_response(),
    }
}

/// A new draft.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewDossier {
    campaign_id: uuid::Uuid,
    #[serde(default)]
    unit_id: Option<uuid::Uuid>,
    /// The dossier's content (shape: `napoleon_rules::content::Content`, docs/api.md).
    #[serde(default)]
    #[schema(value_type = Object)]
    content: Content,
}

/// The `Idempotency-Key` header, when sent: a retried create with the same key creates
/// nothing more and answers the same dossier.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, WebError> {
    headers
        .get("idempotency-key")
        .map(|value| {
            value
                .to_str()
                .ok()
                .and_then(|v| IdempotencyKey::parse(v).ok())
                .ok_or_else(|| WebError::InvalidField {
                    code: "request.idempotency_key",
                    field: Some("Idempotency-Key".to_owned()),
                    message: IdempotencyKey::RULE.to_owned(),
                })
        })
        .transpose()
}

/// The version an update starts from, in `If-Match` (the `ETag` of the GET: `"3"`).
fn if_match(headers: &HeaderMap) -> Result<i32, napoleon_web::ActionError> {
    headers
        .get("if-match")
        .and_then(|v| v.to_str().ok())
        // Exactly one strong entity tag, as the GET's ETag: `"3"` (a weak or listed one
        // does not name one version).
        .and_then(|v| {
            let digits = v.trim().strip_prefix('"')?.strip_suffix('"')?;
            (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| digits.parse().ok())
                .flatten()
        })
        .ok_or_else(|| {
            WebError::InvalidField {
                code: "request.if_match_required",
                field: Some("If-Match".to_owned()),
                message: "En-tête If-Match : indiquez la version du dossier sur laquelle porte la modification (l'ETag de sa lecture, par exemple \"3\") ; sans elle, la modification d'un collègue pourrait être écrasée.".to_owned(),
            }
            .into()
        })
}

/// Creates a draft for the agent's unit (or `unit_id`); with `Idempotency-Key`, once.
#[utoipa::path(post, path = "/intake/api/v1/dossiers", request_body = NewDossier,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key create one dossier")),
    responses((status = 201, body = Created), (status = 403), (status = 409), (status = 422)))]
pub(crate) async fn create_dossier(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    Json(new): Json<NewDossier>,
) -> Response {
    let key = match idempotency_key(&headers) {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    match domain::create_draft(
        &ctx,
        &identity,
        CampaignId::from_uuid(new.campaign_id),
        new.unit_id.map(napoleon_kernel::OrgUnitId::from_uuid),
        &new.content,
        key.as_ref(),
    )
    .await
    {
        Ok(id) => (StatusCode::CREATED, Json(Created { id: id.to_string() })).into_response(),
        Err(e) => e.into_response(),
    }
}

/// A dossier with its eligibility verdict.
#[derive(Serialize, ToSchema)]
pub(crate) struct DossierOut {
    id: String,
    campaign_id: String,
    number: Option<String>,
    state: String,
    target_grade: String,
    /// The registry laureate this dossier proposes for the next grade.
    laureate_id: Option<String>,
    /// The version a save names in `If-Match` (also the `ETag`).
    version: i32,
    #[schema(value_type = Object)]
    content: Content,
    /// The rules engine's verdict (`docs/rules.md`), or its input error.
    #[schema(value_type = Object)]
    eligibility: serde_json::Value,
    /// What submission would refuse.
    #[schema(value_type = Object)]
    errors: serde_json::Value,
    /// Its pieces, current and withdrawn.
    pieces: Vec<PieceOut>,
    /// The same person elsewhere, perhaps: another open dossier of the tenant for the same
    /// distinction, or a laureate already holding the proposed grade. A warning only.
    possible_duplicates: Vec<DuplicateOut>,
    /// When another ministry that opted in proposed the same person for the same promotion,
    /// the sentence saying so (and nothing more); absent otherwise, or when not asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    another_ministry: Option<&'static str>,
}

/// A possible duplicate of a dossier.
#[derive(Serialize, ToSchema)]
pub(crate) struct DuplicateOut {
    /// `exact` (same names and birth date), `close` (close names, same birth date),
    /// `homonym` (same names, another birth date), or `possible` where the agent may not read
    /// the other dossier (or the registry): how close is then not theirs to know.
    r#match: &'static str,
    /// `dossier:<id>` or `laureate:<id>`.
    other: String,
    /// What it is, in French (no data of the other person).
    description: String,
}

/// A piece of a dossier.
#[derive(Serialize, ToSchema)]
pub(crate) struct PieceOut {
    id: String,
    /// The catalogue's kind of piece (`b2`).
    code: String,
    /// The name given, sanitised.
    name: String,
    /// Decided from the content: `pdf`, `jpeg`, `png`, `odt`, `docx`.
    r#type: &'static str,
    size: u64,
    /// Only for whom may open it (a hash would let anyone confirm a guessed document).
    sha256: Option<String>,
    /// `pending`, `clean` or `infected` (quarantined, never served).
    scan: &'static str,
    /// What the antivirus found, when infected.
    threat: Option<String>,
    /// Neither replaced nor removed.
    current: bool,
    /// Where to download it, when the caller may open it and it was found clean.
    download: Option<String>,
}

fn pieces_out(r: &domain::Review) -> Vec<PieceOut> {
    r.pieces
        .iter()
        .map(|p| PieceOut {
            id: p.id.to_string(),
            code: p.code.to_string(),
            name: p.name.expose().clone(),
            r#type: p.kind.as_str(),
            size: p.size,
            sha256: r.readable_codes.contains(&p.code).then(|| p.sha256.clone()),
            scan: p.scan.as_str(),
            threat: p.signature.clone(),
            current: p.current(),
            download: (r.readable_codes.contains(&p.code)
                && p.scan == napoleon_pieces::ScanState::Clean)
                .then(|| format!("/intake/api/v1/dossiers/{}/pieces/{}", r.dossier.id, p.id)),
        })
        .collect()
}

/// The dossier's pieces, current and withdrawn.
#[utoipa::path(get, path = "/intake/api/v1/dossiers/{id}/pieces",
    responses((status = 200, body = [PieceOut]), (status = 404)))]
pub(crate) async fn list_pieces(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
) -> Response {
    match domain::review(&ctx, &identity, id, Some(ReadChannel::Api)).await {
        Ok(r) => Json(pieces_out(&r)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The pieces an upload attached.
#[derive(Serialize, ToSchema)]
pub(crate) struct Attached {
    pieces: Vec<String>,
}

/// Attaches files to a draft or a dossier under complement: `multipart/form-data` with
/// `code` (the kind of piece), optionally `replaces` (a current piece of that kind, replaced
/// by the one file sent), then one or more `fichiers` parts. Each file's type is decided by
/// its content; each is scanned by the antivirus before it can be downloaded.
#[utoipa::path(post, path = "/intake/api/v1/dossiers/{id}/pieces",
    request_body(content_type = "multipart/form-data", description = "code, replaces?, fichiers…"),
    responses((status = 201, body = Attached), (status = 403), (status = 404), (status = 409), (status = 413), (status = 422)))]
pub(crate) async fn upload_pieces(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    // Nothing of the body is read before the caller is known to be allowed to attach here.
    if let Err(e) = domain::may_attach(&ctx, &identity, id).await {
        return e.into_response();
    }
    let attached = match crate::http::parse_upload(&headers, body).await {
        Ok(upload) => domain::attach(&ctx, &identity, id, upload).await,
        Err(e) => Err(e),
    };
    match attached {
        Ok(pieces) => (
            StatusCode::CREATED,
            Json(Attached {
                pieces: pieces.iter().map(ToString::to_string).collect(),
            }),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// Removes a piece from a draft (it stays in the dossier's history).
#[utoipa::path(delete, path = "/intake/api/v1/dossiers/{id}/pieces/{piece}",
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(crate) async fn remove_piece(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    napoleon_web::IdPaths(id, piece): napoleon_web::IdPaths<DossierId, napoleon_kernel::PieceId>,
) -> Response {
    match domain::remove(&ctx, &identity, id, piece).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

/// The final mémoire, as stored.
#[derive(Serialize, ToSchema)]
pub(crate) struct MemoireOut {
    /// The piece that holds it (`/intake/api/v1/dossiers/{id}/pieces/{piece}` once scanned).
    piece: String,
    sha256: String,
    size: u64,
    /// The mémoire established before, now withdrawn.
    replaces: Option<String>,
}

/// Establishes the dossier's final mémoire de proposition (the bureau's act, R29: the
/// caller needs `decision:decide` at the campaign's bureau, the dossier transmitted or
/// retained): stored as a piece of kind `memoire`, replacing the one established before,
/// its SHA-256 in the journal.
#[utoipa::path(post, path = "/intake/api/v1/dossiers/{id}/memoire",
    responses((status = 201, body = MemoireOut), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(crate) async fn establish_memoire(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
) -> Response {
    match domain::establish(&ctx, &identity, id).await {
        Ok(e) => (
            StatusCode::CREATED,
            Json(MemoireOut {
                piece: e.piece.to_string(),
                sha256: e.sha256,
                size: e.size,
                replaces: e.replaces.map(|p| p.to_string()),
            }),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// One dossier.
#[utoipa::path(get, path = "/intake/api/v1/dossiers/{id}", responses((status = 200, body = DossierOut), (status = 404)))]
pub(crate) async fn get_dossier(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
) -> Response {
    match domain::review_with(
        &ctx,
        &identity,
        id,
        Some(ReadChannel::Api),
        domain::Extras::DuplicatesAndOtherMinistry,
    )
    .await
    {
        Ok(r) => {
            let eligibility = match &r.verdict {
                Ok(v) => serde_json::to_value(v).unwrap_or_default(),
                Err(e) => serde_json::to_value(e.body()).unwrap_or_default(),
            };
            let etag = format!("\"{}\"", r.dossier.version);
            let out = Json(DossierOut {
                id: r.dossier.id.to_string(),
                campaign_id: r.dossier.campaign_id.to_string(),
                number: r.dossier.number.clone(),
                state: r.dossier.state.as_str().to_owned(),
                target_grade: r.dossier.target_grade.to_string(),
                laureate_id: r.dossier.laureate_id.map(|l| l.to_string()),
                version: r.dossier.version,
                content: r.dossier.content.expose().clone(),
                eligibility,
                errors: serde_json::to_value(&r.errors).unwrap_or_default(),
                pieces: pieces_out(&r),
                possible_duplicates: r
                    .duplicates
                    .iter()
                    .map(|d| DuplicateOut {
                        r#match: d.code,
                        other: d.key.clone(),
                        description: d.what.clone(),
                    })
                    .collect(),
                another_ministry: napoleon_web::elsewhere_sentence(r.elsewhere),
            });
            ([(axum::http::header::ETAG, etag)], out).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// A draft's new content (saved whatever its validity).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DossierUpdate {
    #[serde(default)]
    target_grade: Option<String>,
    #[schema(value_type = Object)]
    content: Content,
}

/// Saves a draft (or a dossier under complement), from the version named in `If-Match`
/// (required; another save since is a 409 `dossier.stale`).
#[utoipa::path(put, path = "/intake/api/v1/dossiers/{id}", request_body = DossierUpdate,
    params(("If-Match" = String, Header, description = "The dossier's ETag when it was read")),
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(crate) async fn update_dossier(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
    headers: HeaderMap,
    Json(update): Json<DossierUpdate>,
) -> Response {
    // Checked after the dossier's access (an unknown or foreign id stays a 404).
    let version = if_match(&headers);
    match domain::save(
        &ctx,
        &identity,
        id,
        version,
        update.target_grade.as_deref(),
        &update.content,
    )
    .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

/// A submitted dossier's number.
#[derive(Serialize, ToSchema)]
pub(crate) struct Submitted {
    number: String,
    state: &'static str,
}

/// Submits the dossier: it gets its number and the state « déposé ».
#[utoipa::path(post, path = "/intake/api/v1/dossiers/{id}/submit",
    responses((status = 200, body = Submitted), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(crate) async fn submit_dossier(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
) -> Response {
    match domain::submit(&ctx, &identity, id).await {
        Ok(number) => Json(Submitted {
            number,
            state: DossierState::Submitted.as_str(),
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// A proposal for the next grade.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Proposal {
    award_id: uuid::Uuid,
    campaign_id: uuid::Uuid,
}

/// Creates a prefilled draft proposing a registry laureate for the next grade; with
/// `Idempotency-Key`, once.
#[utoipa::path(post, path = "/intake/api/v1/proposals", request_body = Proposal,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key create one proposal")),
    responses((status = 201, body = Created), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(crate) async fn propose(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    Json(p): Json<Proposal>,
) -> Response {
    let key = match idempotency_key(&headers) {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    match domain::propose(
        &ctx,
        &identity,
        AwardId::from_uuid(p.award_id),
        CampaignId::from_uuid(p.campaign_id),
        key.as_ref(),
    )
    .await
    {
        Ok(id) => (StatusCode::CREATED, Json(Created { id: id.to_string() })).into_response(),
        Err(e) => e.into_response(),
    }
}
