//! The agent's dossiers, creating a draft, the receipt of a submitted dossier, and the
//! proposals for the next grade posted from the radar.

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_db::readlog::ReadChannel;
use napoleon_identity::Identity;
use napoleon_kernel::{AwardId, CampaignId, DossierId, IdempotencyKey};
use napoleon_rules::content::{Candidate, Content};
use napoleon_rules::fr_date;
use napoleon_web::{FormFields, IdPath, WebContext, WebError, WebResult};
use serde::Serialize;

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

#[derive(Serialize)]
struct DossiersView {
    editable: Vec<DossierRow>,
    filed: Vec<DossierRow>,
    open_campaigns: Vec<Choice>,
    may_file: bool,
    /// Fresh at each display: a form sent twice (double click, back and send again) creates
    /// one dossier.
    idempotency_key: String,
}

pub(crate) async fn dossiers(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
) -> WebResult<Response> {
    let domain::MyDossiers {
        campaigns,
        editable,
        filed,
        may_file,
    } = domain::my_dossiers(&ctx, &identity).await?;
    let label_of = |id: CampaignId| {
        campaigns
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.label.clone())
            .unwrap_or_default()
    };
    let view = DossiersView {
        editable: editable
            .iter()
            .map(|d| DossierRow {
                href: format!("/intake/dossiers/{}/etape/1", d.id),
                number: d.number.clone().unwrap_or_else(|| "—".to_owned()),
                name: non_empty(d.content.expose().display_name()),
                campaign: label_of(d.campaign_id),
                grade: d.target_grade.to_string(),
                state: d.state.label_fr().to_owned(),
            })
            .collect(),
        filed: filed
            .iter()
            .map(|d| DossierRow {
                href: format!(
                    "/intake/dossiers/{}/etape/{}",
                    d.id,
                    napoleon_rules::content::Step::Review.number()
                ),
                number: d.number.clone().unwrap_or_default(),
                name: non_empty(Candidate::of_content(d.content.expose()).display_name()),
                campaign: label_of(d.campaign_id),
                grade: d.target_grade.to_string(),
                state: d.state.label_fr().to_owned(),
            })
            .collect(),
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
    Ok(ctx
        .page(&identity, "intake/dossiers", "Mes dossiers", &view)?
        .into_response())
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
}

pub(crate) async fn receipt(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
) -> WebResult<Response> {
    let review = domain::review(&ctx, &identity, id, Some(ReadChannel::Page)).await?;
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
