//! Instruction's use cases: the queue of a unit, the dossier file, and the moves instruction
//! owns in the state machine (take, opinion, transmit, return). Each checks the permission
//! at the dossier's current level (the unit where it sits), the state, and the four-eyes
//! rule, then moves the dossier through `intake.move_dossier`, records, journals and commits.

use napoleon_authz::{Action, Permission, Resource};
use napoleon_db::contracts::{self, DossierView};
use napoleon_db::journal::{self, Actor, EventKind, Subject, TimelineEntry};
use napoleon_db::{TenantConn, catalogue, core};
use napoleon_identity::Identity;
use napoleon_kernel::{DossierId, OrgUnitId, Role};
use napoleon_rules::content::{self, Content};
use napoleon_rules::dossier::{DossierEvent, DossierState};
use napoleon_rules::{Catalogue, Verdict};
use napoleon_web::{ActionError, ActionResult, FieldError, WebContext, WebError};
use serde_json::json;

use crate::store::{self, Opinion};

fn perm(action: Action) -> Permission {
    Permission::new(Resource::Instruction, action)
}

/// The queue's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tab {
    /// Waiting for someone at my units: to take, or to validate.
    ToDo,
    /// Held by me (in instruction, opinion given, complement requested).
    Followed,
    /// Gone past my units' level.
    Done,
}

impl Tab {
    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "suivis" | "followed" => Self::Followed,
            "traites" | "done" => Self::Done,
            _ => Self::ToDo,
        }
    }
}

/// Units where the agent instructs or validates, with everything below them.
async fn my_units(tx: &mut TenantConn, identity: &Identity) -> ActionResult<Vec<OrgUnitId>> {
    let roots: Vec<OrgUnitId> = identity
        .roles
        .iter()
        .filter(|g| matches!(g.role, Role::Instructeur | Role::Valideur))
        .map(|g| g.unit)
        .collect();
    let units = core::list_org_units(tx).await?;
    let out = core::subtree(&units, &roots);
    Ok(out)
}

/// The agent's queue for a tab.
pub(crate) async fn queue(
    ctx: &WebContext,
    identity: &Identity,
    tab: Tab,
) -> ActionResult<Vec<DossierView>> {
    let mut tx = ctx.begin(identity).await?;
    ctx.require(
        &mut tx,
        identity,
        Permission::new(Resource::Nomination, Action::Read),
        None,
    )
    .await?;
    let units = my_units(&mut tx, identity).await?;
    let held = store::held_by(&mut tx, identity.agent).await?;
    let list = match tab {
        Tab::ToDo => {
            let mut out = Vec::new();
            for d in contracts::dossiers_at(&mut tx, &units, &["depose", "avis_rendu"]).await? {
                if d.state == "avis_rendu" {
                    // Four eyes: not for the author of the opinion at this level.
                    let author = last_opinion_at(&mut tx, d.id, d.level_unit_id).await?;
                    if author.is_some_and(|o| o.agent == identity.agent) {
                        continue;
                    }
                }
                out.push(d);
            }
            out
        }
        Tab::Followed => contracts::dossiers_at(
            &mut tx,
            &units,
            &["en_instruction", "avis_rendu", "complement_demande"],
        )
        .await?
        .into_iter()
        .filter(|d| held.contains(&d.id))
        .collect(),
        Tab::Done => contracts::dossiers_filed_by(&mut tx, &units)
            .await?
            .into_iter()
            .filter(|d| {
                matches!(
                    d.state.as_str(),
                    "transmis" | "retenu" | "ajourne" | "refuse" | "publie"
                )
            })
            .collect(),
    };
    tx.rollback().await;
    Ok(list)
}

async fn last_opinion_at(
    tx: &mut TenantConn,
    dossier: DossierId,
    level: OrgUnitId,
) -> ActionResult<Option<Opinion>> {
    Ok(store::opinions(tx, dossier)
        .await?
        .into_iter()
        .rev()
        .find(|o| o.level == level))
}

/// Everything the dossier page shows.
pub(crate) struct DossierFile {
    pub(crate) dossier: DossierView,
    pub(crate) content: Content,
    pub(crate) campaign: contracts::CampaignView,
    pub(crate) catalogue: Catalogue,
    pub(crate) verdict: Result<Verdict, napoleon_rules::CaseError>,
    pub(crate) opinions: Vec<Opinion>,
    pub(crate) timeline: Vec<TimelineEntry>,
    pub(crate) unit_names: Vec<(OrgUnitId, String)>,
    pub(crate) holder: Option<napoleon_kernel::AgentId>,
    pub(crate) may: Allowed,
}

/// The moves the page offers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Allowed {
    pub(crate) take: bool,
    pub(crate) opine: bool,
    pub(crate) transmit: bool,
    pub(crate) give_back: bool,
}

async fn load_readable(
    ctx: &WebContext,
    tx: &mut TenantConn,
    identity: &Identity,
    id: DossierId,
) -> ActionResult<DossierView> {
    let dossier = contracts::dossier_by_id(tx, id).await?;
    let read = Permission::new(Resource::Nomination, Action::Read);
    let draft = dossier.state == DossierState::Draft.as_str();
    if !draft
        && (ctx
            .may(tx, identity, read, Some(dossier.level_unit_id))
            .await?
            || ctx.may(tx, identity, read, Some(dossier.unit_id)).await?)
    {
        Ok(dossier)
    } else if draft {
        // Drafts belong to the filing unit until submitted.
        Err(ActionError::NotFound)
    } else {
        Err(ActionError::Forbidden)
    }
}

/// The dossier page's data.
pub(crate) async fn file(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
) -> ActionResult<DossierFile> {
    let mut tx = ctx.begin(identity).await?;
    let dossier = load_readable(ctx, &mut tx, identity, id).await?;
    let content: Content =
        serde_json::from_value(dossier.content.expose().clone()).unwrap_or_default();
    let campaign = contracts::campaign_by_id(&mut tx, dossier.campaign_id).await?;
    let files = catalogue::load(&mut tx).await?;
    let catalogue = Catalogue::for_tenant(&files)
        .map_err(|e| ActionError::Web(WebError::Internal(format!("tenant catalogue: {e}"))))?;
    let case = content::case_json(
        &content,
        &campaign.distinction,
        &dossier.target_grade,
        campaign.promotion_date,
    );
    let verdict = napoleon_rules::check_json(&catalogue, &case.to_string());
    let opinions = store::opinions(&mut tx, id).await?;
    let timeline = journal::timeline(&mut tx, Subject::Dossier(id)).await?;
    let unit_names = core::list_org_units(&mut tx)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let holder = store::assignee(&mut tx, id, dossier.level_unit_id).await?;
    let state = DossierState::parse(&dossier.state);
    let level = Some(dossier.level_unit_id);
    let last = opinions
        .iter()
        .rev()
        .find(|o| o.level == dossier.level_unit_id);
    let may = Allowed {
        take: state == Some(DossierState::Submitted)
            && ctx
                .may(&mut tx, identity, perm(Action::Take), level)
                .await?,
        opine: state == Some(DossierState::InInstruction)
            && holder == Some(identity.agent)
            && ctx
                .may(&mut tx, identity, perm(Action::Opine), level)
                .await?,
        transmit: state == Some(DossierState::OpinionGiven)
            && last.is_none_or(|o| o.agent != identity.agent)
            && ctx
                .may(&mut tx, identity, perm(Action::Transmit), level)
                .await?
            && ctx
                .may(&mut tx, identity, perm(Action::Validate), level)
                .await?,
        give_back: state.is_some_and(|s| s.apply(DossierEvent::Return).is_ok())
            && ctx
                .may(&mut tx, identity, perm(Action::Return), level)
                .await?,
    };
    tx.rollback().await;
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
    })
}

/// Loads the dossier for a move: readable, permission at its level, state allowing `event`.
async fn for_move(
    ctx: &WebContext,
    tx: &mut TenantConn,
    identity: &Identity,
    id: DossierId,
    actions: &[Action],
    event: DossierEvent,
) -> ActionResult<(DossierView, DossierState)> {
    let dossier = load_readable(ctx, tx, identity, id).await?;
    // Permissions first (403), then the state (409).
    for action in actions {
        ctx.require(tx, identity, perm(*action), Some(dossier.level_unit_id))
            .await?;
    }
    let state = DossierState::parse(&dossier.state).unwrap_or(DossierState::Published);
    let to = state.apply(event).map_err(|_| {
        ActionError::conflict(
            "dossier.wrong_state",
            format!(
                "Le dossier est « {} » : cette action n'est pas possible dans cet état.",
                state.label_fr()
            ),
        )
    })?;
    Ok((dossier, to))
}

async fn moved(
    tx: &mut TenantConn,
    dossier: &DossierView,
    to: DossierState,
    level: Option<OrgUnitId>,
) -> ActionResult<()> {
    if contracts::move_dossier(
        tx,
        dossier.id,
        &[dossier.state.as_str()],
        to.as_str(),
        level,
    )
    .await?
    {
        Ok(())
    } else {
        Err(ActionError::conflict(
            "dossier.changed",
            "Le dossier a changé d'état entre-temps : rechargez la page.",
        ))
    }
}

/// Takes the dossier at its current level.
pub(crate) async fn take(ctx: &WebContext, identity: &Identity, id: DossierId) -> ActionResult<()> {
    let mut tx = ctx.begin(identity).await?;
    let (dossier, to) = for_move(
        ctx,
        &mut tx,
        identity,
        id,
        &[Action::Take],
        DossierEvent::Take,
    )
    .await?;
    moved(&mut tx, &dossier, to, None).await?;
    store::assign(&mut tx, id, dossier.level_unit_id, identity.agent).await?;
    journal::append(
        &mut tx,
        Actor::Agent(identity.agent),
        Subject::Dossier(id),
        EventKind::DossierTaken,
        json!({"level": dossier.level_unit_id}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
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
    let mut tx = ctx.begin(identity).await?;
    let (dossier, to) = for_move(
        ctx,
        &mut tx,
        identity,
        id,
        &[Action::Opine],
        DossierEvent::GiveOpinion,
    )
    .await?;
    if store::assignee(&mut tx, id, dossier.level_unit_id).await? != Some(identity.agent) {
        return Err(ActionError::conflict(
            "dossier.not_holder",
            "Ce dossier est pris en charge par un autre agent : seul celui-ci rend l'avis.",
        ));
    }
    let mut errors = Vec::new();
    if !matches!(input.verdict.as_str(), "favorable" | "defavorable") {
        errors.push(FieldError::new(
            "verdict",
            "Avis : choisissez « Favorable » ou « Défavorable ».",
        ));
    }
    let motivation = input.motivation.trim();
    if motivation.is_empty() || motivation.chars().count() > 5000 {
        errors.push(FieldError::new(
            "motivation",
            "Motivation : expliquez l'avis (5 000 caractères au plus).",
        ));
    }
    if !errors.is_empty() {
        return Err(ActionError::Invalid(errors));
    }
    moved(&mut tx, &dossier, to, None).await?;
    store::add_opinion(
        &mut tx,
        id,
        dossier.level_unit_id,
        identity.agent,
        &input.verdict,
        motivation,
    )
    .await?;
    journal::append(
        &mut tx,
        Actor::Agent(identity.agent),
        Subject::Dossier(id),
        EventKind::DossierOpinionGiven,
        json!({"verdict": input.verdict, "motivation": motivation, "level": dossier.level_unit_id}),
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
    let mut tx = ctx.begin(identity).await?;
    let (dossier, to) = for_move(
        ctx,
        &mut tx,
        identity,
        id,
        // Transmitting validates the level: the valideur's act, beside the transmission.
        &[Action::Transmit, Action::Validate],
        DossierEvent::Transmit,
    )
    .await?;
    let author = last_opinion_at(&mut tx, id, dossier.level_unit_id).await?;
    if author.as_ref().is_some_and(|o| o.agent == identity.agent) {
        return Err(ActionError::conflict(
            "dossier.four_eyes",
            "Vous avez rendu l'avis à ce niveau : un autre agent doit le valider et transmettre le dossier (principe des quatre yeux).",
        ));
    }
    let campaign = contracts::campaign_by_id(&mut tx, dossier.campaign_id).await?;
    // No arrival on a list being closed or closed: it could never be decided.
    contracts::lock_campaign_list(&mut tx, campaign.id).await?;
    if contracts::list_closed(&mut tx, campaign.id).await? {
        return Err(ActionError::conflict(
            "list.closed",
            format!(
                "La liste de « {} » est close : le dossier ne peut plus être transmis pour cette campagne.",
                campaign.label
            ),
        ));
    }
    moved(&mut tx, &dossier, to, Some(campaign.bureau_unit_id)).await?;
    journal::append(
        &mut tx,
        Actor::Agent(identity.agent),
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
    let mut tx = ctx.begin(identity).await?;
    let (dossier, to) = for_move(
        ctx,
        &mut tx,
        identity,
        id,
        &[Action::Return],
        DossierEvent::Return,
    )
    .await?;
    let message = message.trim();
    if message.is_empty() || message.chars().count() > 5000 {
        return Err(ActionError::Invalid(vec![FieldError::new(
            "message",
            "Message : précisez le complément attendu (5 000 caractères au plus).",
        )]));
    }
    moved(&mut tx, &dossier, to, None).await?;
    store::add_message(&mut tx, id, identity.agent, message).await?;
    journal::append(
        &mut tx,
        Actor::Agent(identity.agent),
        Subject::Dossier(id),
        EventKind::DossierReturned,
        json!({"message": message, "level": dossier.level_unit_id}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
