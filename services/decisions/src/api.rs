//! Decisions' JSON API (`/decisions/api/v1`), described by OpenAPI at
//! `/decisions/api/v1/openapi.json`. The same use cases as the pages; refusals are
//! `application/problem+json` in French (404 unknown here, 403 role, 409 state, 422 fields).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, NaiveDate, Utc};
use napoleon_db::readlog::ReadChannel;
use napoleon_identity::Identity;
use napoleon_kernel::{AwardId, CampaignId, DossierId};
use napoleon_web::{IdPath, WebContext};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::domain::{self, Board, BoardRow, CampaignSummary, ListStatus};

#[derive(OpenApi)]
#[openapi(
    info(title = "Napoléon — decisions", version = "1"),
    paths(list_campaigns, board, rank, decide, close, publish, receive),
    components(schemas(
        CampaignOut,
        ListOut,
        BoardOut,
        CampaignRef,
        BoardDossierOut,
        CandidateOut,
        AwardOut,
        ContingentOut,
        WomenOut,
        PermissionsOut,
        RankInput,
        RankedOut,
        DecisionInput,
        DecidedOut,
        ClosedOut,
        PublicationInput,
        PublishedOut,
        PublishedAwardOut,
        ReceptionInput,
        ReceivedOut
    ))
)]
pub(crate) struct Doc;

/// Where a campaign's list stands.
#[derive(Serialize, ToSchema)]
pub(crate) struct ListOut {
    /// `open` (ranking and deciding), `closed` (frozen) or `published`.
    status: &'static str,
    closed_at: Option<DateTime<Utc>>,
    /// The decree's date, once published.
    decree_date: Option<NaiveDate>,
    /// The Journal officiel reference, once published.
    jo_reference: Option<String>,
    published_at: Option<DateTime<Utc>>,
}

fn list_out(list: &ListStatus) -> ListOut {
    let (decree_date, jo_reference, published_at) = match list {
        ListStatus::Published {
            decree_date,
            jo_reference,
            published_at,
            ..
        } => (
            Some(*decree_date),
            Some(jo_reference.clone()),
            Some(*published_at),
        ),
        _ => (None, None, None),
    };
    ListOut {
        status: list.as_str(),
        closed_at: list.closed_at(),
        decree_date,
        jo_reference,
        published_at,
    }
}

/// A campaign whose decisions the agent may read, with its counts.
#[derive(Serialize, ToSchema)]
pub(crate) struct CampaignOut {
    id: uuid::Uuid,
    label: String,
    distinction: String,
    promotion_date: NaiveDate,
    bureau_unit_id: uuid::Uuid,
    /// Dossiers on the list: transmitted to the ministry, decided or published.
    on_list: u32,
    /// Transmitted dossiers still without a decision.
    undecided: u32,
    /// Retained (or published) dossiers.
    retained: u32,
    list: ListOut,
}

fn campaign_out(s: &CampaignSummary) -> CampaignOut {
    CampaignOut {
        id: s.campaign.id.as_uuid(),
        label: s.campaign.label.clone(),
        distinction: s.campaign.distinction.to_string(),
        promotion_date: s.campaign.promotion_date,
        bureau_unit_id: s.campaign.bureau_unit_id.as_uuid(),
        on_list: s.on_list,
        undecided: s.undecided,
        retained: s.retained,
        list: list_out(&s.list),
    }
}

/// The campaigns whose bureau the agent may read the decisions of.
#[utoipa::path(get, path = "/decisions/api/v1/campaigns",
    responses((status = 200, body = [CampaignOut]), (status = 403)))]
pub(crate) async fn list_campaigns(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
) -> Response {
    match domain::campaigns(&ctx, &identity).await {
        Ok(list) => Json(list.iter().map(campaign_out).collect::<Vec<_>>()).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The campaign, as the board shows it.
#[derive(Serialize, ToSchema)]
pub(crate) struct CampaignRef {
    id: uuid::Uuid,
    label: String,
    distinction: String,
    promotion_date: NaiveDate,
    bureau_unit_id: uuid::Uuid,
    /// Places per grade code.
    contingents: std::collections::BTreeMap<String, u32>,
}

/// The candidate, as the list shows them.
#[derive(Serialize, ToSchema)]
pub(crate) struct CandidateOut {
    /// « DUPONT Marie ».
    name: String,
    /// `F`, `M`, or empty when not given.
    sex: String,
}

/// The award a published dossier became.
#[derive(Serialize, ToSchema)]
pub(crate) struct AwardOut {
    id: uuid::Uuid,
    laureate_id: uuid::Uuid,
    grade: String,
    decree_date: NaiveDate,
    jo_reference: String,
    /// Réception (prise de rang), once recorded.
    reception_date: Option<NaiveDate>,
}

/// One dossier of the list.
#[derive(Serialize, ToSchema)]
pub(crate) struct BoardDossierOut {
    id: uuid::Uuid,
    /// 1 for the first.
    rank: i32,
    number: Option<String>,
    /// `transmis`, `retenu`, `ajourne`, `refuse` or `publie`.
    state: String,
    target_grade: String,
    grade_label: String,
    candidate: CandidateOut,
    /// `retenu`, `ajourne` or `refuse`, once decided.
    decision: Option<&'static str>,
    motivation: Option<String>,
    decided_by: Option<uuid::Uuid>,
    decided_at: Option<DateTime<Utc>>,
    /// The filing unit.
    unit_id: uuid::Uuid,
    /// The registry laureate the dossier proposes for promotion, if any.
    laureate_id: Option<uuid::Uuid>,
    award: Option<AwardOut>,
}

fn dossier_out(r: &BoardRow) -> BoardDossierOut {
    BoardDossierOut {
        id: r.dossier.id.as_uuid(),
        rank: r.rank,
        number: r.dossier.number.clone(),
        state: r.dossier.state.as_str().to_owned(),
        target_grade: r.dossier.target_grade.to_string(),
        grade_label: r.grade_label.clone(),
        candidate: CandidateOut {
            name: r.candidate.display_name_or(crate::domain::UNNAMED),
            sex: r.candidate.sex.trim().to_owned(),
        },
        decision: r.decision.map(|d| d.as_str()),
        motivation: r.motivation.clone(),
        decided_by: r.decided_by.map(|a| a.as_uuid()),
        decided_at: r.decided_at,
        unit_id: r.dossier.unit_id.as_uuid(),
        laureate_id: r.dossier.laureate_id.map(|l| l.as_uuid()),
        award: r.award.as_ref().map(|a| AwardOut {
            id: a.id.as_uuid(),
            laureate_id: a.laureate_id.as_uuid(),
            grade: a.grade.to_string(),
            decree_date: a.decree_date,
            jo_reference: a.jo_reference.clone(),
            reception_date: a.reception_date,
        }),
    }
}

/// One grade's contingent and how many are retained for it.
#[derive(Serialize, ToSchema)]
pub(crate) struct ContingentOut {
    grade: String,
    label: String,
    /// Places set for the campaign (none: no contingent for this grade).
    places: Option<u32>,
    /// Retained or published dossiers for this grade.
    retained: u32,
    /// More retained than places.
    over: bool,
    /// « 3 retenus sur 5 places ».
    text: String,
}

/// The share of women among the retained.
#[derive(Serialize, ToSchema)]
pub(crate) struct WomenOut {
    /// Retained or published dossiers.
    retained: u32,
    /// Women (`F`) among them.
    women: u32,
    /// Rounded percentage; none while nobody is retained.
    percent: Option<u32>,
    /// « 50 % de femmes parmi les retenus (1 sur 2) ».
    text: String,
}

/// What the agent's roles allow on this list (at the campaign's bureau), whatever its state.
#[derive(Serialize, ToSchema)]
pub(crate) struct PermissionsOut {
    rank: bool,
    decide: bool,
    publish: bool,
    receive: bool,
}

/// The bureau's board for a campaign.
#[derive(Serialize, ToSchema)]
pub(crate) struct BoardOut {
    campaign: CampaignRef,
    list: ListOut,
    /// In rank order.
    dossiers: Vec<BoardDossierOut>,
    contingents: Vec<ContingentOut>,
    women: WomenOut,
    /// Transmitted dossiers still without a decision (the list closes at 0).
    undecided: u32,
    permissions: PermissionsOut,
}

fn board_out(b: &Board) -> BoardOut {
    BoardOut {
        campaign: CampaignRef {
            id: b.campaign.id.as_uuid(),
            label: b.campaign.label.clone(),
            distinction: b.campaign.distinction.to_string(),
            promotion_date: b.campaign.promotion_date,
            bureau_unit_id: b.campaign.bureau_unit_id.as_uuid(),
            contingents: b.campaign.contingents.clone(),
        },
        list: list_out(&b.list),
        dossiers: b.rows.iter().map(dossier_out).collect(),
        contingents: b
            .grades
            .iter()
            .map(|g| ContingentOut {
                grade: g.grade.clone(),
                label: g.label.clone(),
                places: g.places,
                retained: g.retained,
                over: g.over(),
                text: g.text(),
            })
            .collect(),
        women: WomenOut {
            retained: b.women.retained,
            women: b.women.women,
            percent: b.women.percent(),
            text: b.women.text(),
        },
        undecided: b.undecided,
        permissions: PermissionsOut {
            rank: b.rights.rank,
            decide: b.rights.decide,
            publish: b.rights.publish,
            receive: b.rights.receive,
        },
    }
}

/// The campaign's list with its counters (`decision:read` at the campaign's bureau).
#[utoipa::path(get, path = "/decisions/api/v1/campaigns/{id}/board",
    params(("id" = uuid::Uuid, Path, description = "The campaign's id")),
    responses((status = 200, body = BoardOut), (status = 403), (status = 404)))]
pub(crate) async fn board(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<CampaignId>,
) -> Response {
    match domain::board(&ctx, &identity, id, ReadChannel::Api).await {
        Ok(b) => Json(board_out(&b)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Which way to move the dossier.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RankInput {
    /// `up` (toward rank 1) or `down`.
    direction: String,
}

/// The dossier's new rank.
#[derive(Serialize, ToSchema)]
pub(crate) struct RankedOut {
    dossier_id: uuid::Uuid,
    campaign_id: uuid::Uuid,
    rank: i32,
    /// The neighbour it swapped places with.
    swapped_with: uuid::Uuid,
}

/// Swaps the dossier with its neighbour (`decision:rank`; 409 once the list is closed or at
/// the end of the list).
#[utoipa::path(post, path = "/decisions/api/v1/dossiers/{id}/rank",
    params(("id" = uuid::Uuid, Path, description = "The dossier's id")), request_body = RankInput,
    responses((status = 200, body = RankedOut), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(crate) async fn rank(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
    Json(input): Json<RankInput>,
) -> Response {
    match domain::rank(&ctx, &identity, id, &input.direction).await {
        Ok(r) => Json(RankedOut {
            dossier_id: r.dossier_id.as_uuid(),
            campaign_id: r.campaign_id.as_uuid(),
            rank: r.rank,
            swapped_with: r.swapped_with.as_uuid(),
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// The bureau's decision.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct DecisionInput {
    /// `retenu`, `ajourne` or `refuse`.
    decision: String,
    /// Required.
    motivation: String,
}

/// The decision recorded.
#[derive(Serialize, ToSchema)]
pub(crate) struct DecidedOut {
    dossier_id: uuid::Uuid,
    campaign_id: uuid::Uuid,
    decision: &'static str,
    /// The dossier's new state (the decision's).
    state: &'static str,
}

/// Decides on a transmitted (or already decided) dossier while the list is open
/// (`decision:decide`).
#[utoipa::path(post, path = "/decisions/api/v1/dossiers/{id}/decision",
    params(("id" = uuid::Uuid, Path, description = "The dossier's id")), request_body = DecisionInput,
    responses((status = 200, body = DecidedOut), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(crate) async fn decide(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
    Json(input): Json<DecisionInput>,
) -> Response {
    match domain::decide(&ctx, &identity, id, &input.decision, &input.motivation).await {
        Ok(d) => Json(DecidedOut {
            dossier_id: d.dossier_id.as_uuid(),
            campaign_id: d.campaign_id.as_uuid(),
            decision: d.decision.as_str(),
            state: d.state.as_str(),
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// The list closed.
#[derive(Serialize, ToSchema)]
pub(crate) struct ClosedOut {
    campaign_id: uuid::Uuid,
    closed_at: DateTime<Utc>,
    retained: u32,
    deferred: u32,
    refused: u32,
}

/// Closes (freezes) the list (`decision:decide`; 409 when already closed or when a
/// transmitted dossier has no decision).
#[utoipa::path(post, path = "/decisions/api/v1/campaigns/{id}/close",
    params(("id" = uuid::Uuid, Path, description = "The campaign's id")),
    responses((status = 200, body = ClosedOut), (status = 403), (status = 404), (status = 409)))]
pub(crate) async fn close(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<CampaignId>,
) -> Response {
    match domain::close(&ctx, &identity, id).await {
        Ok(c) => Json(ClosedOut {
            campaign_id: c.campaign_id.as_uuid(),
            closed_at: c.closed_at,
            retained: c.retained,
            deferred: c.deferred,
            refused: c.refused,
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// The publication of the decree.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct PublicationInput {
    /// `YYYY-MM-DD` or `jj/mm/aaaa`.
    decree_date: String,
    /// « JORF n° 0163 du 15 juillet 2027 ».
    jo_reference: String,
}

/// An award created by the publication.
#[derive(Serialize, ToSchema)]
pub(crate) struct PublishedAwardOut {
    award_id: uuid::Uuid,
    dossier_id: uuid::Uuid,
    laureate_id: uuid::Uuid,
    grade: String,
}

/// The publication recorded.
#[derive(Serialize, ToSchema)]
pub(crate) struct PublishedOut {
    campaign_id: uuid::Uuid,
    decree_date: NaiveDate,
    jo_reference: String,
    /// One per retained dossier, in rank order.
    awards: Vec<PublishedAwardOut>,
}

/// Records the publication of the closed list (`decision:publish`): each retained dossier
/// becomes published and an award of the laureate registry.
#[utoipa::path(post, path = "/decisions/api/v1/campaigns/{id}/publish",
    params(("id" = uuid::Uuid, Path, description = "The campaign's id")), request_body = PublicationInput,
    responses((status = 200, body = PublishedOut), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(crate) async fn publish(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<CampaignId>,
    Json(input): Json<PublicationInput>,
) -> Response {
    match domain::publish(&ctx, &identity, id, &input.decree_date, &input.jo_reference).await {
        Ok(p) => Json(PublishedOut {
            campaign_id: p.campaign_id.as_uuid(),
            decree_date: p.decree_date,
            jo_reference: p.jo_reference,
            awards: p
                .awards
                .into_iter()
                .map(|a| PublishedAwardOut {
                    award_id: a.award_id.as_uuid(),
                    dossier_id: a.dossier_id.as_uuid(),
                    laureate_id: a.laureate_id.as_uuid(),
                    grade: a.grade.to_string(),
                })
                .collect(),
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// The laureate's réception.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ReceptionInput {
    /// `YYYY-MM-DD` or `jj/mm/aaaa`; not before the decree.
    reception_date: String,
}

/// The réception recorded.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReceivedOut {
    award_id: uuid::Uuid,
    dossier_id: Option<uuid::Uuid>,
    campaign_id: Option<uuid::Uuid>,
    reception_date: NaiveDate,
}

/// Records a laureate's réception (prise de rang), once (`decision:receive`).
#[utoipa::path(post, path = "/decisions/api/v1/awards/{id}/reception",
    params(("id" = uuid::Uuid, Path, description = "The award's id")), request_body = ReceptionInput,
    responses((status = 200, body = ReceivedOut), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(crate) async fn receive(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<AwardId>,
    Json(input): Json<ReceptionInput>,
) -> Response {
    match domain::receive(&ctx, &identity, id, &input.reception_date).await {
        Ok(r) => Json(ReceivedOut {
            award_id: r.award_id.as_uuid(),
            dossier_id: r.dossier_id.map(|d| d.as_uuid()),
            campaign_id: r.campaign_id.map(|c| c.as_uuid()),
            reception_date: r.reception_date,
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_lists_every_route() {
        let doc = serde_json::to_value(Doc::openapi()).unwrap_or_default();
        let paths: Vec<&String> = doc
            .get("paths")
            .and_then(serde_json::Value::as_object)
            .map(|p| p.keys().collect())
            .unwrap_or_default();
        for path in [
            "/decisions/api/v1/campaigns",
            "/decisions/api/v1/campaigns/{id}/board",
            "/decisions/api/v1/dossiers/{id}/rank",
            "/decisions/api/v1/dossiers/{id}/decision",
            "/decisions/api/v1/campaigns/{id}/close",
            "/decisions/api/v1/campaigns/{id}/publish",
            "/decisions/api/v1/awards/{id}/reception",
        ] {
            assert!(paths.iter().any(|p| *p == path), "{path}");
        }
    }

    #[test]
    fn inputs_default_their_missing_fields_and_refuse_unknown_ones() {
        let retained = napoleon_rules::dossier::Decision::Retained.as_str();
        let input: Result<DecisionInput, _> =
            serde_json::from_str(&format!(r#"{{"decision":"{retained}"}}"#));
        assert!(input.is_ok_and(|i| i.decision == retained && i.motivation.is_empty()));
        let unknown: Result<RankInput, _> = serde_json::from_str(r#"{"sens":"up"}"#);
        assert!(unknown.is_err());
    }
}
