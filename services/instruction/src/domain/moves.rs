//! The dossier file and the moves instruction owns in the state machine: take, opinion,
//! validation with transmission, return for a complement. A move checks the permission at
//! the dossier's level (403), then its state and the move's own rules (409), then the input
//! (422), and writes nothing until they all pass.

use napoleon_authz::{Access, Authorized, Perm, Scope, perm};
use napoleon_db::TenantConn;
use napoleon_db::contracts::{self, DossierView};
use napoleon_db::journal::{self, Actor, EventKind, Subject, TimelineEntry};
use napoleon_identity::Identity;
use napoleon_kernel::{DossierId, OrgUnitId};
use napoleon_rules::content::{self, Content};
use napoleon_rules::dossier::{DossierEvent, DossierState};
use napoleon_rules::{Catalogue, Verdict};
use napoleon_web::{
    ActionError, ActionResult, Conflict, FieldError, WebContext, readable_dossier, tenant_catalogue,
};
use serde_json::json;

use super::{last_opinion_author, opinion_author_at};
use crate::store::{self, Opinion};

/// Everything the dossier page shows.
pub(crate) struct DossierFile {
    pub(crate) dossier: DossierView,
    pub(crate) content: Content,
    pub(crate) campaign: contracts::CampaignView,
    pub(crate) catalogue: std::sync::Arc<Catalogue>,
    pub(crate) verdict: Result<Verdict, napoleon_rules::CaseError>,
    pub(crate) opinions: Vec<Opinion>,
    pub(crate) timeline: Vec<TimelineEntry>,
    pub(crate) unit_names: Vec<(OrgUnitId, String)>,
    pub(crate) holder: Option<napoleon_kernel::AgentId>,
    pub(crate) may: Allowed,
    /// Its current pieces (intake's contract view `intake.pieces_v1`).
    pub(crate) pieces: Vec<contracts::PieceView>,
    /// Whether the agent opens restricted kinds of piece (the bulletin n° 2): an instruction
    /// role where it was filed or where it is now (intake serves them by the same rule).
    pub(crate) opens_restricted: bool,
    /// Its possible duplicates (`napoleon_db::duplicates`), the surest first, as the agent
    /// sees them.
    pub(crate) duplicates: Vec<napoleon_web::DuplicateRow>,
    /// What was said of them.
    pub(crate) duplicate_reviews: Vec<store::DuplicateReview>,
    /// Whether another ministry proposed the same person for this promotion (issue 18,
    /// Build 7): `None` when not asked.
    pub(crate) elsewhere: Option<bool>,
}

/// The moves the page offers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Allowed {
    pub(crate) take: bool,
    pub(crate) opine: bool,
    pub(crate) transmit: bool,
    pub(crate) give_back: bool,
    /// The bureau's final mémoire (intake establishes it).
    pub(crate) establish_memoire: bool,
    /// Confirm or dismiss its possible duplicates.
    pub(crate) review_duplicates: bool,
}

/// A dossier in instruction the agent may read (the project's loader, `readable_dossier`).
pub(super) async fn load_readable(
    tx: &mut TenantConn,
    access: &Access,
    id: DossierId,
) -> ActionResult<DossierView> {
    let (dossier, _read) = readable_dossier(tx, access, id).await?;
    in_instruction(dossier)
}

/// A draft is not in instruction yet (404).
fn in_instruction(dossier: DossierView) -> ActionResult<DossierView> {
    if dossier.is_draft() {
        return Err(ActionError::NotFound);
    }
    Ok(dossier)
}

/// The dossier page's data.
/// `read`: see `napoleon_web::end_read`.
pub(crate) async fn file(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    read: Option<napoleon_db::readlog::ReadChannel>,
) -> ActionResult<DossierFile> {
    // Everything the page shows, read behind the transaction's opening in one round trip;
    // shown only once the dossier is found readable.
    let (mut tx, access, (dossier, campaign, opinions, timeline, holder, pieces, duplicates)) = ctx
        .begin_with(identity, async |shared| {
            let (
                dossier,
                campaign,
                opinions,
                timeline,
                holder,
                pieces,
                duplicates,
                reviews,
                elsewhere,
            ) = tokio::join!(
                contracts::dossier_by_id(&shared, id),
                contracts::campaign_of_dossier(&shared, id),
                store::opinions(&shared, id),
                journal::timeline(&shared, Subject::Dossier(id)),
                store::assignee(&shared, id, store::AtLevel::Current),
                contracts::pieces_of(&shared, id),
                napoleon_db::duplicates::possible_duplicates(&shared, id),
                store::duplicate_reviews(&shared, id),
                napoleon_db::crossmatch::elsewhere(&shared, id),
            );
            Ok((
                dossier?,
                campaign?,
                opinions?,
                timeline?,
                holder?,
                pieces?,
                (duplicates?, reviews?, elsewhere?),
            ))
        })
        .await?;
    let (duplicates, duplicate_reviews, elsewhere) = duplicates;
    let duplicates = napoleon_web::visible_duplicates(&access, duplicates);
    // `readable_dossier`'s rule, on the dossier read with the opening.
    let (dossier, _read) = napoleon_web::readable(&access, dossier)?;
    let dossier = in_instruction(dossier)?;
    // Written only by intake from `Content`: a row that no longer reads as one is an error,
    // never an empty dossier an instructor might judge.
    let content: Content = serde_json::from_value(dossier.content.expose().clone())
        .map_err(|_| napoleon_db::DbError::corrupt("content", "<json>"))?;
    let catalogue = tenant_catalogue(&mut tx, &access).await?;
    let verdict = content::verdict(
        &catalogue,
        &content,
        &campaign.distinction,
        &dossier.target_grade,
        campaign.promotion_date,
    );
    let unit_names = access
        .units()
        .iter()
        .map(|u| (u.id, u.name.clone()))
        .collect();
    let state = Some(dossier.state);
    let level = Scope::Unit(dossier.level_unit_id);
    let author = opinion_author_at(&opinions, dossier.level_unit_id);
    let may = Allowed {
        take: state == Some(DossierState::Submitted)
            && access.may::<perm::InstructionTake>(level)?,
        opine: state == Some(DossierState::InInstruction)
            && holder == Some(identity.agent)
            && access.may::<perm::InstructionOpine>(level)?,
        transmit: state == Some(DossierState::OpinionGiven)
            && author != Some(identity.agent)
            && access.may::<perm::InstructionTransmit>(level)?
            && access.may::<perm::InstructionValidate>(level)?,
        give_back: state.is_some_and(|s| s.apply(DossierEvent::Return).is_ok())
            && access.may::<perm::InstructionReturn>(level)?,
        establish_memoire: dossier.state.takes_final_memoire()
            && access.may::<perm::DecisionDecide>(Scope::Unit(campaign.bureau_unit_id))?,
        review_duplicates: !duplicates.is_empty()
            && super::duplicates::may_review(&access, dossier.state, dossier.level_unit_id)?,
    };
    let opens_restricted = access.instructs_circuit(dossier.unit_id, dossier.level_unit_id)?;
    napoleon_web::end_read(
        tx,
        identity,
        napoleon_db::readlog::ReadSubject::Dossier(id),
        read,
    )
    .await?;
    Ok(DossierFile {
        dossier,
        content,
        campaign,
        catalogue,
        verdict,
        opinions,
        timeline,
        unit_names,
        holder,
        may,
        pieces: pieces.into_iter().filter(|p| p.current).collect(),
        opens_restricted,
        duplicates: napoleon_web::duplicate_rows(&access, &duplicates),
        duplicate_reviews,
        elsewhere,
    })
}

/// Loads the dossier for a move: readable, `P` at its level (403), state allowing `event`
/// (409). Returns the proof that the agent may do `P` there.
async fn for_move<P: Perm>(
    tx: &mut TenantConn,
    access: &Access,
    id: DossierId,
    event: DossierEvent,
) -> ActionResult<(DossierView, DossierState, Authorized<P>)> {
    let dossier = load_readable(tx, access, id).await?;
    // Permissions first (403), then the state (409).
    let proof = access.authorize::<P>(Scope::Unit(dossier.level_unit_id))?;
    let to = state_after(&dossier, event)?;
    Ok((dossier, to, proof))
}

/// The state `event` moves the dossier to, or the conflict naming its state.
fn state_after(dossier: &DossierView, event: DossierEvent) -> ActionResult<DossierState> {
    let state = dossier.state;
    state
        .apply(event)
        .map_err(|_| ActionError::from(Conflict::WrongState { state }))
}

async fn moved(
    tx: &mut TenantConn,
    dossier: &DossierView,
    to: DossierState,
    level: Option<OrgUnitId>,
) -> ActionResult<()> {
    if contracts::move_dossier(tx, dossier.id, &[dossier.state], to, level).await? {
        Ok(())
    } else {
        Err(Conflict::Changed.into())
    }
}

/// The most characters a motivation or a complement request may have.
const MAX_TEXT_CHARS: usize = 5000;

/// A required free text (motivation, message), trimmed; `None` when it is empty or longer
/// than [`MAX_TEXT_CHARS`], the caller naming the field in its own words.
fn required_text(raw: &str) -> Option<&str> {
    let text = raw.trim();
    (!text.is_empty() && text.chars().count() <= MAX_TEXT_CHARS).then_some(text)
}

/// Takes the dossier at its current level.
pub(crate) async fn take(ctx: &WebContext, identity: &Identity, id: DossierId) -> ActionResult<()> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let (dossier, to, take) =
        for_move::<perm::InstructionTake>(&mut tx, &access, id, DossierEvent::Take).await?;
    moved(&mut tx, &dossier, to, None).await?;
    store::assign(&mut tx, &take, id, dossier.level_unit_id).await?;
    journal::append(
        &mut tx,
        Actor::Agent(take.agent()),
        Subject::Dossier(id),
        EventKind::DossierTaken,
        json!({"level": dossier.level_unit_id}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An opinion's verdict. Its stored names ([`as_str`](Self::as_str)) are those of the
/// `instruction.opinions.verdict` column's check, the journal's payload, the API and the
/// form; anything else is refused at the door and, read back from a row, is corrupt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpinionVerdict {
    /// Favorable to the nomination.
    Favorable,
    /// Unfavorable to the nomination.
    Unfavorable,
}

impl OpinionVerdict {
    /// The stored name.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Favorable => "favorable",
            Self::Unfavorable => "defavorable",
        }
    }

    /// The verdict of a stored name, exactly as written (no trimming, no case folding:
    /// the form and the API send the stored names themselves).
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "favorable" => Some(Self::Favorable),
            "defavorable" => Some(Self::Unfavorable),
            _ => None,
        }
    }

    /// The label pages show.
    pub(crate) const fn label_fr(self) -> &'static str {
        match self {
            Self::Favorable => "Favorable",
            Self::Unfavorable => "Défavorable",
        }
    }
}

/// An opinion, as typed (its `Debug` hides the motivation, which often names the candidate).
#[derive(Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct OpinionInput {
    /// `favorable` or `defavorable`.
    pub(crate) verdict: String,
    /// Why.
    pub(crate) motivation: String,
}

impl std::fmt::Debug for OpinionInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpinionInput")
            .field("verdict", &self.verdict)
            .finish_non_exhaustive()
    }
}

/// Records the holder's opinion at the current level.
pub(crate) async fn opine(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    input: &OpinionInput,
) -> ActionResult<()> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let (dossier, to, opine) =
        for_move::<perm::InstructionOpine>(&mut tx, &access, id, DossierEvent::GiveOpinion).await?;
    if store::assignee(&tx, id, store::AtLevel::Known(dossier.level_unit_id)).await?
        != Some(opine.agent())
    {
        return Err(Conflict::NotHolder.into());
    }
    // Every faulty field is named at once, in the form's order.
    let mut errors = Vec::new();
    let verdict = OpinionVerdict::parse(&input.verdict);
    if verdict.is_none() {
        errors.push(FieldError::new(
            "verdict",
            "Avis : choisissez « Favorable » ou « Défavorable ».",
        ));
    }
    let motivation = required_text(&input.motivation);
    if motivation.is_none() {
        errors.push(FieldError::new(
            "motivation",
            "Motivation : expliquez l'avis (5 000 caractères au plus).",
        ));
    }
    let (Some(verdict), Some(motivation)) = (verdict, motivation) else {
        return Err(ActionError::Invalid(errors));
    };
    moved(&mut tx, &dossier, to, None).await?;
    store::add_opinion(
        &mut tx,
        &opine,
        id,
        dossier.level_unit_id,
        verdict,
        motivation,
    )
    .await?;
    journal::append(
        &mut tx,
        Actor::Agent(opine.agent()),
        Subject::Dossier(id),
        EventKind::DossierOpinionGiven,
        json!({"verdict": verdict.as_str(), "motivation": motivation, "level": dossier.level_unit_id}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Validates the level and transmits to the campaign's bureau. Four eyes: the author of the
/// level's opinion may not validate it.
pub(crate) async fn transmit(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
) -> ActionResult<()> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let dossier = load_readable(&mut tx, &access, id).await?;
    // Transmitting validates the level: the valideur's act, beside the transmission. Both
    // permissions first (403), then the state (409).
    let level = Scope::Unit(dossier.level_unit_id);
    access.require::<perm::InstructionTransmit>(level)?;
    let validate = access.authorize::<perm::InstructionValidate>(level)?;
    let to = state_after(&dossier, DossierEvent::Transmit)?;
    let author = last_opinion_author(&mut tx, id, dossier.level_unit_id).await?;
    if author == Some(validate.agent()) {
        return Err(Conflict::FourEyes.into());
    }
    let campaign = contracts::campaign_by_id(&tx, dossier.campaign_id).await?;
    // No arrival on a list being closed or closed: it could never be decided.
    contracts::lock_campaign_list(&mut tx, campaign.id).await?;
    if contracts::list_closed(&mut tx, campaign.id).await? {
        return Err(Conflict::ListClosedToTransmission {
            campaign: campaign.label.clone(),
        }
        .into());
    }
    moved(&mut tx, &dossier, to, Some(campaign.bureau_unit_id)).await?;
    journal::append(
        &mut tx,
        Actor::Agent(validate.agent()),
        Subject::Dossier(id),
        EventKind::DossierTransmitted,
        json!({"from": dossier.level_unit_id, "to": campaign.bureau_unit_id}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Returns the dossier to the filing unit with a request for a complement.
pub(crate) async fn give_back(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    message: &str,
) -> ActionResult<()> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let (dossier, to, give_back) =
        for_move::<perm::InstructionReturn>(&mut tx, &access, id, DossierEvent::Return).await?;
    let Some(message) = required_text(message) else {
        return Err(ActionError::Invalid(vec![FieldError::new(
            "message",
            "Message : précisez le complément attendu (5 000 caractères au plus).",
        )]));
    };
    moved(&mut tx, &dossier, to, None).await?;
    store::add_message(&mut tx, &give_back, id, message).await?;
    journal::append(
        &mut tx,
        Actor::Agent(give_back.agent()),
        Subject::Dossier(id),
        EventKind::DossierReturned,
        json!({"message": message, "level": dossier.level_unit_id}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_round_trips_through_its_stored_name() {
        for v in [OpinionVerdict::Favorable, OpinionVerdict::Unfavorable] {
            assert_eq!(OpinionVerdict::parse(v.as_str()), Some(v));
        }
        assert_eq!(OpinionVerdict::Favorable.as_str(), "favorable");
        assert_eq!(OpinionVerdict::Unfavorable.as_str(), "defavorable");
        assert_eq!(OpinionVerdict::Favorable.label_fr(), "Favorable");
        assert_eq!(OpinionVerdict::Unfavorable.label_fr(), "Défavorable");
    }

    #[test]
    fn only_the_stored_names_are_verdicts() {
        for raw in [
            "",
            "Favorable",
            "défavorable",
            " favorable",
            "favorable ",
            "unfavorable",
        ] {
            assert_eq!(OpinionVerdict::parse(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn a_required_text_is_trimmed_and_bounded() {
        assert_eq!(required_text("  Oui.\n"), Some("Oui."));
        assert_eq!(required_text(""), None);
        assert_eq!(required_text(" \t\n "), None);
        let longest = "é".repeat(MAX_TEXT_CHARS);
        assert_eq!(
            required_text(&format!(" {longest} ")),
            Some(longest.as_str())
        );
        assert_eq!(required_text(&"é".repeat(MAX_TEXT_CHARS + 1)), None);
    }
}
