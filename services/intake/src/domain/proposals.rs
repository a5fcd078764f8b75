//! Proposals for the next grade, from the radar: a draft prefilled from the registry.

use napoleon_authz::{Scope, perm};
use napoleon_db::contracts;
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_identity::Identity;
use napoleon_kernel::{AwardId, CampaignId, DossierId, IdempotencyKey};
use napoleon_web::{ActionError, ActionResult, Conflict, FieldError, WebContext};
use serde_json::json;

use crate::store::{self, Created, DraftBy, NewDossier};
use napoleon_rules::content::{Candidate, Content, HeldDistinction};

use super::dossiers::window_open;
use super::once::Once;
use super::tenant_catalogue;

/// Creates a draft proposing a registry laureate for the next grade, prefilled from the
/// registry, in `campaign` (which must be for the same distinction); with an idempotency
/// `key`, once.
pub(crate) async fn propose(
    ctx: &WebContext,
    identity: &Identity,
    award: AwardId,
    campaign: CampaignId,
    key: Option<&IdempotencyKey>,
) -> ActionResult<DossierId> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let propose = access.authorize::<perm::RadarPropose>(Scope::Central)?;
    let once = Once::new(
        key,
        propose.agent(),
        "proposal",
        &[
            award.to_string().as_bytes(),
            campaign.to_string().as_bytes(),
        ],
    );
    if let Some(done) = once.earlier(&mut tx).await? {
        tx.rollback().await;
        return done.dossier();
    }
    let awards = contracts::awards(&mut tx).await?;
    let Some(award) = awards.iter().find(|a| a.id == award).cloned() else {
        return Err(ActionError::NotFound);
    };
    let campaign = match contracts::campaign_by_id(&tx, campaign).await {
        Ok(c) => c,
        Err(e) if e.is_not_found() => {
            return Err(ActionError::Invalid(vec![FieldError::new(
                "campaign_id",
                "Campagne : choisissez une campagne.",
            )]));
        }
        Err(e) => return Err(e.into()),
    };
    if campaign.distinction != award.distinction {
        return Err(ActionError::Invalid(vec![FieldError::new(
            "campaign_id",
            format!(
                "Campagne : choisissez une campagne de la même distinction ({}).",
                award.distinction
            ),
        )]));
    }
    window_open(&campaign, tx.today())?;
    let catalogue = tenant_catalogue(&mut tx, &access).await?;
    let next = catalogue.distinction(&award.distinction).and_then(|d| {
        let i = d.grade_index(&award.grade)?;
        d.grade_at(i + 1).map(|g| g.code.clone())
    });
    let Some(next) = next else {
        return Err(Conflict::NoNextGrade.into());
    };
    let candidate = Candidate::from_json(award.identity.expose());
    let distinctions = awards
        .iter()
        .filter(|a| a.laureate_id == award.laureate_id)
        .map(|a| HeldDistinction {
            distinction: a.distinction.to_string(),
            grade: a.grade.to_string(),
            decreed_on: a.decree_date.format("%Y-%m-%d").to_string(),
            received_on: a
                .reception_date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        })
        .collect();
    let content = Content {
        candidate,
        distinctions,
        ..Content::default()
    };
    let unit = award.unit_id.unwrap_or(campaign.bureau_unit_id);
    let id = store::insert_draft(
        &mut tx,
        DraftBy::Proposal(&propose),
        &NewDossier {
            campaign: campaign.id,
            unit,
            target_grade: &next,
            content: &content,
            laureate: Some(award.laureate_id),
        },
    )
    .await?;
    if let Some(twin) = once.remember(&mut tx, Created::Dossier(id)).await? {
        tx.rollback().await;
        return twin.dossier();
    }
    journal::append(
        &mut tx,
        Actor::Agent(propose.agent()),
        Subject::Dossier(id),
        EventKind::DossierProposedForPromotion,
        json!({"award": award.id, "laureate": award.laureate_id, "campaign": campaign.id, "grade": next}),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
