//! Promotion's JSON API (`/promotion/api/v1`), described by OpenAPI at
//! `/promotion/api/v1/openapi.json`. The same use cases as the pages; refusals are
//! `application/problem+json` in French.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use napoleon_identity::Identity;
use napoleon_web::{ActionError, WebContext};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::domain::{self, Radar, Registry};

/// Creating the proposal belongs to intake; the API description says how.
const DESCRIPTION: &str = "Registre des lauréats et radar des promotions.\n\n\
Pour proposer un lauréat du radar au grade supérieur, appelez l'API d'intake : \
`POST /intake/api/v1/proposals` avec `{\"award_id\": \"<award_id de l'entrée du radar>\", \
\"campaign_id\": \"<id d'une campagne de l'entrée>\"}` (droit `radar:propose`). Intake crée \
un brouillon de proposition prérempli pour le service qui avait proposé le lauréat et répond \
`201` avec `{\"id\": \"<dossier>\"}` ; `403`, `404`, `409` (campagne fermée, grade le plus \
élevé déjà détenu) ou `422` (campagne d'une autre distinction) sinon. Les pages y postent \
`POST /intake/propositions` (`_csrf`, `award_id`, `campaign_id`, `idempotency_key`).";

#[derive(OpenApi)]
#[openapi(
    info(title = "Napoléon — promotion", version = "1", description = DESCRIPTION),
    paths(registry, radar),
    components(schemas(
        RegistryOut,
        LaureateOut,
        AwardOut,
        RadarOut,
        EntryOut,
        ConditionOut,
        CampaignOut,
        PendingOut
    ))
)]
pub(crate) struct Doc;

fn iso(date: chrono::NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

// Registry ----------------------------------------------------------------------------------

/// One award of a laureate.
#[derive(Serialize, ToSchema)]
pub(crate) struct AwardOut {
    award_id: String,
    /// Distinction code (`LH`) and its name in the tenant's catalogue.
    distinction: String,
    distinction_name: String,
    /// Grade code (`officier`) and its label.
    grade: String,
    grade_label: String,
    /// `YYYY-MM-DD`.
    decree_date: String,
    /// Journal officiel reference.
    jo_reference: String,
    /// Réception (prise de rang), `YYYY-MM-DD`; `null` while awaited.
    reception_date: Option<String>,
}

/// A laureate and their awards, oldest decree first.
#[derive(Serialize, ToSchema)]
pub(crate) struct LaureateOut {
    laureate_id: String,
    /// « NOM Prénoms » (usual name first when given).
    name: String,
    awards: Vec<AwardOut>,
}

/// A page of the registry: laureates in name order (accents and case ignored).
#[derive(Serialize, ToSchema)]
pub(crate) struct RegistryOut {
    laureates: Vec<LaureateOut>,
    /// The next page's address, when there is one.
    next: Option<String>,
}

/// The registry's filter and page (query parameters).
#[derive(Deserialize, Default, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub(crate) struct RegistryParams {
    /// Part of any of the laureate's names; accents and case ignored (100 characters at most).
    name: String,
    /// Only laureates holding an award of this distinction (`LH`).
    distinction: String,
    /// Only laureates holding an award of this grade (`officier`; of `distinction` when
    /// given).
    grade: String,
    /// Only laureates born that day (`YYYY-MM-DD`, `jj/mm/aaaa` accepted).
    born: String,
    /// The page after this laureate (the `next` address carries it).
    after: String,
}

fn registry_out(registry: Registry, params: &RegistryParams) -> RegistryOut {
    let next = registry.next_after.map(|after| {
        napoleon_web::query_href(
            "/promotion/api/v1/registry",
            &[
                ("name", params.name.trim()),
                ("distinction", params.distinction.trim()),
                ("grade", params.grade.trim()),
                ("born", params.born.trim()),
                ("after", &after.to_string()),
            ],
        )
    });
    RegistryOut {
        laureates: registry
            .rows
            .into_iter()
            .map(|r| LaureateOut {
                laureate_id: r.laureate_id.to_string(),
                name: r.name,
                awards: r
                    .awards
                    .into_iter()
                    .map(|a| AwardOut {
                        award_id: a.award_id.to_string(),
                        distinction: a.distinction,
                        distinction_name: a.distinction_name,
                        grade: a.grade,
                        grade_label: a.grade_label,
                        decree_date: iso(a.decree_date),
                        jo_reference: a.jo_reference,
                        reception_date: a.reception_date.map(iso),
                    })
                    .collect(),
            })
            .collect(),
        next,
    }
}

/// The laureate registry, 50 laureates a page (`registry:read`); a refused parameter is a
/// 422 naming it.
#[utoipa::path(get, path = "/promotion/api/v1/registry", params(RegistryParams),
    responses((status = 200, body = RegistryOut), (status = 403), (status = 422)))]
pub(crate) async fn registry(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    Query(params): Query<RegistryParams>,
) -> Response {
    let ask = domain::RegistryAsk {
        name: params.name.clone(),
        distinction: params.distinction.clone(),
        grade: params.grade.clone(),
        born: params.born.clone(),
        after: params.after.clone(),
    };
    match domain::registry(
        &ctx,
        &identity,
        &ask,
        napoleon_db::readlog::ReadChannel::Api,
    )
    .await
    {
        Ok(r) => Json(registry_out(r, &params)).into_response(),
        // The page's fields are French; the API's parameters are these.
        Err(ActionError::Invalid(errors)) => ActionError::Invalid(
            errors
                .into_iter()
                .map(|mut e| {
                    e.field = match e.field.as_str() {
                        "nom" => "name".to_owned(),
                        "naissance" => "born".to_owned(),
                        "apres" => "after".to_owned(),
                        other => other.to_owned(),
                    };
                    e
                })
                .collect(),
        )
        .into_response(),
        Err(e) => e.into_response(),
    }
}

// Radar -------------------------------------------------------------------------------------

/// The radar's filter.
#[derive(Deserialize, Default, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub(crate) struct RadarParams {
    /// Keep the laureates whose durations are met on this day at the latest (`YYYY-MM-DD`,
    /// `jj/mm/aaaa` accepted); absent or empty: every laureate with a next grade.
    by: Option<String>,
}

/// One duration condition, with its article.
#[derive(Serialize, ToSchema)]
pub(crate) struct ConditionOut {
    /// Stable dotted code (`lh.grade.time_in_previous`).
    code: String,
    /// The article applied (`R19`).
    article: String,
    /// French explanation with the computed figures.
    message: String,
}

/// A campaign open to filing today for the entry's distinction.
#[derive(Serialize, ToSchema)]
pub(crate) struct CampaignOut {
    /// Pass it as `campaign_id` to `POST /intake/api/v1/proposals`.
    id: String,
    label: String,
    /// `YYYY-MM-DD`.
    promotion_date: String,
}

/// A laureate who has a next grade in one distinction.
#[derive(Serialize, ToSchema)]
pub(crate) struct EntryOut {
    /// The award of the current grade: pass it as `award_id` to
    /// `POST /intake/api/v1/proposals`.
    award_id: String,
    laureate_id: String,
    /// « NOM Prénoms ».
    name: String,
    /// Distinction code (`LH`).
    distinction: String,
    distinction_name: String,
    current_grade: String,
    current_grade_label: String,
    /// Réception (prise de rang) in the current grade, `YYYY-MM-DD`: durations run from it.
    received_on: String,
    next_grade: String,
    next_grade_label: String,
    /// First day the durations are met (`YYYY-MM-DD`); `null` when not computable (grade
    /// awarded on merit alone, or data the registry does not hold: see `conditions`).
    reachable_on: Option<String>,
    /// `reachable_on` is today or before.
    reachable_now: bool,
    conditions: Vec<ConditionOut>,
    /// Open campaigns of the distinction; always empty without `radar:propose`.
    campaigns: Vec<CampaignOut>,
}

/// An award awaiting its réception: the radar cannot compute the next grade in its
/// distinction until it is recorded.
#[derive(Serialize, ToSchema)]
pub(crate) struct PendingOut {
    award_id: String,
    laureate_id: String,
    name: String,
    distinction: String,
    distinction_name: String,
    grade: String,
    grade_label: String,
    /// `YYYY-MM-DD`.
    decree_date: String,
    jo_reference: String,
}

/// The promotion radar.
#[derive(Serialize, ToSchema)]
pub(crate) struct RadarOut {
    /// The limit applied (`YYYY-MM-DD`), or `null`.
    by: Option<String>,
    /// The day `reachable_now` and the campaigns' windows are judged on.
    today: String,
    /// Whether the agent may propose (`radar:propose`).
    may_propose: bool,
    /// By `reachable_on` (not computable last), then name.
    entries: Vec<EntryOut>,
    /// « En attente de réception », by name.
    pending: Vec<PendingOut>,
}

fn radar_out(radar: Radar) -> RadarOut {
    RadarOut {
        by: radar.by.map(iso),
        today: iso(radar.today),
        may_propose: radar.may_propose,
        entries: radar
            .entries
            .into_iter()
            .map(|e| EntryOut {
                award_id: e.held.award_id.to_string(),
                laureate_id: e.held.laureate_id.to_string(),
                name: e.held.name,
                distinction: e.held.distinction.to_string(),
                distinction_name: e.held.distinction_name,
                current_grade: e.held.grade.to_string(),
                current_grade_label: e.held.grade_label,
                received_on: iso(e.received_on),
                next_grade: e.next_grade.to_string(),
                next_grade_label: e.next_grade_label,
                reachable_on: e.reachable_on.map(iso),
                reachable_now: e.reachable_now,
                conditions: e
                    .conditions
                    .into_iter()
                    .map(|r| ConditionOut {
                        code: r.code.as_str().to_owned(),
                        article: r.article.as_str().to_owned(),
                        message: r.message,
                    })
                    .collect(),
                campaigns: e
                    .campaigns
                    .into_iter()
                    .map(|c| CampaignOut {
                        id: c.id.to_string(),
                        label: c.label,
                        promotion_date: iso(c.promotion_date),
                    })
                    .collect(),
            })
            .collect(),
        pending: radar
            .pending
            .into_iter()
            .map(|p| PendingOut {
                award_id: p.held.award_id.to_string(),
                laureate_id: p.held.laureate_id.to_string(),
                name: p.held.name,
                distinction: p.held.distinction.to_string(),
                distinction_name: p.held.distinction_name,
                grade: p.held.grade.to_string(),
                grade_label: p.held.grade_label,
                decree_date: iso(p.decree_date),
                jo_reference: p.jo_reference,
            })
            .collect(),
    }
}

/// The laureates eligible for their next grade, or who will be by `by` (`radar:read`).
#[utoipa::path(get, path = "/promotion/api/v1/radar", params(RadarParams),
    responses((status = 200, body = RadarOut), (status = 403), (status = 422)))]
pub(crate) async fn radar(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    Query(params): Query<RadarParams>,
) -> Response {
    let by = match domain::parse_limit("by", params.by.as_deref()) {
        Ok(by) => by,
        Err(e) => return ActionError::Invalid(vec![e]).into_response(),
    };
    match domain::radar(&ctx, &identity, by).await {
        Ok(r) => Json(radar_out(r)).into_response(),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn the_description_documents_both_routes_and_the_proposal() {
        let doc = serde_json::to_value(Doc::openapi()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.contains_key("/promotion/api/v1/registry"));
        assert!(paths.contains_key("/promotion/api/v1/radar"));
        let params = &doc["paths"]["/promotion/api/v1/radar"]["get"]["parameters"];
        assert_eq!(params[0]["name"], "by");
        assert_eq!(params[0]["in"], "query");
        let description = doc["info"]["description"].as_str().unwrap();
        assert!(description.contains("POST /intake/api/v1/proposals"));
        assert!(doc["components"]["schemas"]["EntryOut"]["properties"]["award_id"].is_object());
    }
}
