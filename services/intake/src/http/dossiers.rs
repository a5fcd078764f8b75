//! The agent's dossiers, creating a draft, the receipt of a submitted dossier, and the
//! proposals for the next grade posted from the radar.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_db::readlog::ReadChannel;
use napoleon_identity::Identity;
use napoleon_kernel::{AwardId, CampaignId, DossierId, IdempotencyKey};
use napoleon_rules::content::Content;
use napoleon_rules::fr_date;
use napoleon_web::{FieldError, FormFields, IdPath, WebContext, WebError, WebResult};
use serde::{Deserialize, Serialize};

use super::campaigns::campaign_row;
use super::{CHOOSE_CAMPAIGN, Choice};
use crate::domain;

#[derive(Serialize)]
struct DossierRow {
    href: String,
    number: String,
    name: String,
    campaign: String,
    grade: String,
    state: String,
}

/// The search of the filed dossiers, as typed (French names: they show in the address bar).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct FiledQuery {
    recherche: String,
    apres: String,
}

#[derive(Serialize)]
struct DossiersView {
    editable: Vec<DossierRow>,
    filed: Vec<DossierRow>,
    /// The search, as understood.
    search: String,
    searched: bool,
    next: Option<String>,
    first: Option<String>,
    errors: Vec<FieldError>,
    search_error: Option<String>,
    open_campaigns: Vec<Choice>,
    may_file: bool,
    /// Fresh at each display: a form sent twice (double click, back and send again) creates
    /// one dossier.
    idempotency_key: String,
}

/// « Mes dossiers »'s address for a search and a page after `after`, at the filed list.
fn filed_href(search: &str, after: Option<&str>) -> String {
    let href = napoleon_web::query_href(
        "/intake/dossiers",
        &[("recherche", search), ("apres", after.unwrap_or_default())],
    );
    format!("{href}#deposes")
}

/// `GET /intake/dossiers?recherche=…&apres=…`: the drafts to complete, a page of the filed
/// dossiers (searched by name or number); a refused search is shown on its field (422).
pub(crate) async fn dossiers(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    Query(query): Query<FiledQuery>,
) -> WebResult<Response> {
    let ask = domain::FiledAsk {
        search: query.recherche.clone(),
        after: query.apres.clone(),
    };
    let domain::MyDossiers {
        campaigns,
        editable,
        filed,
        next_after,
        search,
        refused: errors,
        may_file,
    } = domain::my_dossiers(&ctx, &identity, &ask).await?;
    let refused = !errors.is_empty();
    let label_of = |id: CampaignId| {
        campaigns
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.label.clone())
            .unwrap_or_default()
    };
    let row = |d: &crate::store::Dossier, step: usize| DossierRow {
        href: format!("/intake/dossiers/{}/etape/{step}", d.id),
        number: d.number.clone().unwrap_or_else(|| "—".to_owned()),
        name: non_empty(d.content.expose().display_name()),
        campaign: label_of(d.campaign_id),
        grade: d.target_grade.to_string(),
        state: d.state.label_fr().to_owned(),
    };
    let search = if refused {
        query.recherche.trim().chars().take(200).collect()
    } else {
        search.unwrap_or_default()
    };
    let view = DossiersView {
        editable: editable.iter().map(|d| row(d, 1)).collect(),
        filed: filed
            .iter()
            .map(|d| row(d, napoleon_rules::content::Step::Review.number()))
            .collect(),
        searched: !search.is_empty(),
        next: next_after
            .filter(|_| !refused)
            .map(|after| filed_href(&search, Some(&after.render()))),
        // After a refused search, the first page without it.
        first: (refused || !query.apres.trim().is_empty())
            .then(|| filed_href(if refused { "" } else { &search }, None)),
        search_error: errors
            .iter()
            .find(|e| e.field == "recherche")
            .map(|e| e.message.clone()),
        errors,
        search,
        open_campaigns: campaigns
            .iter()
            .filter(|c| campaign_row(c, ctx.today()).open)
            .map(|c| Choice {
                value: c.id.to_string(),
                label: c.label.clone(),
                selected: false,
            })
            .collect(),
        may_file,
        idempotency_key: IdempotencyKey::fresh().as_str().to_owned(),
    };
    let mut page = ctx
        .page(
            &identity,
            "intake/dossiers",
            if refused {
                "Erreur — Mes dossiers"
            } else {
                "Mes dossiers"
            },
            &view,
        )?
        .into_response();
    if refused {
        *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(page)
}

fn non_empty(name: String) -> String {
    if name.is_empty() {
        "(candidat à saisir)".to_owned()
    } else {
        name
    }
}

pub(crate) async fn create_dossier(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    pairs: FormFields,
) -> WebResult<Response> {
    let campaign: CampaignId = pairs.parsed("campaign_id", CHOOSE_CAMPAIGN)?;
    // A page always sends one; a malformed or absent key only loses the protection.
    let key = IdempotencyKey::parse(pairs.get("idempotency_key")).ok();
    match domain::create_draft(
        &ctx,
        &identity,
        campaign,
        None,
        &Content::default(),
        key.as_ref(),
    )
    .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/intake/dossiers/{id}/etape/1")).into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Serialize)]
struct ReceiptView {
    id: String,
    number: String,
    name: String,
    campaign: String,
    state: String,
    grade: String,
    submitted: String,
    duplicates: napoleon_web::DuplicatesView,
}

pub(crate) async fn receipt(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
) -> WebResult<Response> {
    let review = domain::review_with(
        &ctx,
        &identity,
        id,
        Some(ReadChannel::Page),
        domain::Extras::DuplicatesAndOtherMinistry,
    )
    .await?;
    let Some(number) = review.dossier.number.clone() else {
        return Err(WebError::NotFound);
    };
    let view = ReceiptView {
        id: id.to_string(),
        number,
        name: review.dossier.content.expose().display_name(),
        campaign: review.campaign.label.clone(),
        state: review.dossier.state.label_fr().to_owned(),
        grade: review.dossier.target_grade.to_string(),
        // The day it was first submitted (a resubmission after a complement keeps it).
        submitted: review
            .dossier
            .submitted_at
            .map(|at| fr_date(napoleon_kernel::paris_date(at)))
            .unwrap_or_default(),
        duplicates: napoleon_web::DuplicatesView {
            intro: super::step_view::DUPLICATES_INTRO,
            rows: review.duplicates,
            review_action: None,
            other_ministry: napoleon_web::elsewhere_sentence(review.elsewhere),
        },
    };
    Ok(ctx
        .page(&identity, "intake/receipt", "Récépissé de dépôt", &view)?
        .into_response())
}

pub(crate) async fn propose(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    pairs: FormFields,
) -> WebResult<Response> {
    let award: AwardId = pairs.parsed(
        "award_id",
        "Choisissez la distinction du lauréat à partir de laquelle proposer une promotion.",
    )?;
    let campaign: CampaignId = pairs.parsed("campaign_id", CHOOSE_CAMPAIGN)?;
    // The radar always sends one; a malformed or absent key only loses the protection.
    let key = IdempotencyKey::parse(pairs.get("idempotency_key")).ok();
    match domain::propose(&ctx, &identity, award, campaign, key.as_ref()).await {
        // The draft belongs to the filing unit, which completes and submits it.
        Ok(_) => Ok(Redirect::to("/promotion/radar?propose=1").into_response()),
        Err(e) => Err(e.into()),
    }
}
