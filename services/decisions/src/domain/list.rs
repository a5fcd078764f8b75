//! Working on the open list: moving a dossier up or down, deciding on it, and closing
//! (freezing) the list once every transmitted dossier has its decision.

use chrono::{DateTime, Utc};
use napoleon_authz::{Access, Authorized, Perm, Scope, perm};
use napoleon_db::TenantConn;
use napoleon_db::contracts::{self, CampaignView, DossierView};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_identity::Identity;
use napoleon_kernel::{CampaignId, DossierId};
use napoleon_rules::dossier::{Decision, DossierEvent, DossierState};
use napoleon_web::{ActionError, ActionResult, Conflict, FieldError, WebContext};
use serde_json::json;

use super::{load, required_text, store_order};
use crate::store;
use crate::tally::{self, Direction, Immovable};

/// The longest motivation kept.
const MOTIVATION_MAX: usize = 5000;

/// A dossier with its campaign, and the proof that the agent may do `P` at the campaign's
/// bureau.
async fn dossier_at_bureau<P: Perm>(
    tx: &mut TenantConn,
    access: &Access,
    id: DossierId,
) -> ActionResult<(DossierView, CampaignView, Authorized<P>)> {
    let dossier = contracts::dossier_by_id(tx, id).await?;
    // A draft is its authors' alone: to the bureau it does not exist yet.
    if dossier.is_draft() {
        return Err(ActionError::NotFound);
    }
    let campaign = contracts::campaign_by_id(tx, dossier.campaign_id).await?;
    let proof = access.authorize::<P>(Scope::Unit(campaign.bureau_unit_id))?;
    Ok((dossier, campaign, proof))
}

/// Refuses when the campaign's list is closed (call with the campaign's lock held).
async fn ensure_open(tx: &mut TenantConn, campaign: CampaignId) -> ActionResult<()> {
    match store::list(tx, campaign).await? {
        None => Ok(()),
        Some(list) => Err(Conflict::ListClosed {
            since: list.closed_at.date_naive(),
        }
        .into()),
    }
}

fn not_on_list(dossier: &DossierView) -> ActionError {
    Conflict::NotOnList {
        state: dossier.state,
    }
    .into()
}

/// A rank changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ranked {
    pub(crate) campaign_id: CampaignId,
    pub(crate) dossier_id: DossierId,
    /// Its new rank (1 for the first).
    pub(crate) rank: i32,
    /// The dossier it swapped places with.
    pub(crate) swapped_with: DossierId,
}

/// Moves a dossier one place up or down the list (`decision:rank`), swapping it with its
/// neighbour.
pub(crate) async fn rank(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    direction: &str,
) -> ActionResult<Ranked> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let (dossier, campaign, rank) =
        dossier_at_bureau::<perm::DecisionRank>(&mut tx, &access, id).await?;
    store::lock_campaign(&mut tx, campaign.id).await?;
    ensure_open(&mut tx, campaign.id).await?;
    let Some(direction) = Direction::parse(direction) else {
        return Err(ActionError::Invalid(vec![FieldError::new(
            "direction",
            "Sens : « up » pour monter le dossier, « down » pour le descendre.",
        )]));
    };
    let loaded = load(&mut tx, campaign.id).await?;
    let mut order = loaded.order();
    let before = order.iter().position(|d| *d == id);
    let (position, neighbour) = match tally::swap(&mut order, id, direction) {
        Ok(moved) => moved,
        Err(Immovable::Absent) => return Err(not_on_list(&dossier)),
        Err(Immovable::AtEdge) => {
            return Err(Conflict::RankEdge {
                up: direction == Direction::Up,
            }
            .into());
        }
    };
    store_order(&mut tx, campaign.id, &order, &loaded.rankings).await?;
    let by = rank.agent();
    let rank = tally::rank_of(position);
    journal::append(
        &mut tx,
        Actor::Agent(by),
        Subject::Dossier(id),
        EventKind::DossierRanked,
        json!({"campaign": campaign.id, "rank": rank, "previous_rank": before.map(tally::rank_of),
               "direction": direction.as_str(), "swapped_with": neighbour}),
    )
    .await?;
    tx.commit().await?;
    Ok(Ranked {
        campaign_id: campaign.id,
        dossier_id: id,
        rank,
        swapped_with: neighbour,
    })
}

/// A decision recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decided {
    pub(crate) campaign_id: CampaignId,
    pub(crate) dossier_id: DossierId,
    pub(crate) decision: Decision,
    /// The dossier's new state.
    pub(crate) state: DossierState,
}

/// Checks a decision as typed.
fn decision_input(decision: &str, motivation: &str) -> Result<(Decision, String), Vec<FieldError>> {
    let mut errors = Vec::new();
    let decision = Decision::parse(decision.trim());
    if decision.is_none() {
        errors.push(FieldError::new(
            "decision",
            "Décision : choisissez « Retenu », « Ajourné » ou « Refusé ».",
        ));
    }
    let motivation = required_text(
        &mut errors,
        "motivation",
        "Motivation",
        motivation,
        MOTIVATION_MAX,
        "Motivation : exposez les motifs de la décision.",
    );
    match decision {
        Some(d) if errors.is_empty() => Ok((d, motivation.to_owned())),
        _ => Err(errors),
    }
}

/// Decides on a transmitted (or already decided) dossier while the list is open
/// (`decision:decide`): retained, deferred or refused, with a motivation.
pub(crate) async fn decide(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    decision: &str,
    motivation: &str,
) -> ActionResult<Decided> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let (dossier, campaign, decide) =
        dossier_at_bureau::<perm::DecisionDecide>(&mut tx, &access, id).await?;
    store::lock_campaign(&mut tx, campaign.id).await?;
    ensure_open(&mut tx, campaign.id).await?;
    // Read again under the list's lock: another decision may have just been committed.
    let dossier = contracts::dossier_by_id(&tx, dossier.id).await?;
    let from = Some(dossier.state)
        .filter(|s| s.apply(DossierEvent::Decide(Decision::Retained)).is_ok())
        .ok_or_else(|| {
            ActionError::from(Conflict::NotDecidable {
                state: dossier.state,
            })
        })?;
    let (decision, motivation) =
        decision_input(decision, motivation).map_err(ActionError::Invalid)?;
    let event = DossierEvent::Decide(decision);
    let to = from
        .apply(event)
        .map_err(|_| ActionError::from(Conflict::NotDecidable { state: from }))?;
    if !contracts::move_dossier(&mut tx, id, &[from], to, None).await? {
        return Err(Conflict::Changed.into());
    }
    // The decided dossier keeps its place: the list's order is stored as it is shown.
    let loaded = load(&mut tx, campaign.id).await?;
    store_order(&mut tx, campaign.id, &loaded.order(), &loaded.rankings).await?;
    store::set_decision(&mut tx, &decide, id, decision, &motivation).await?;
    journal::append(
        &mut tx,
        Actor::Agent(decide.agent()),
        Subject::Dossier(id),
        EventKind::DossierDecided,
        json!({"campaign": campaign.id, "decision": decision.as_str(), "motivation": motivation,
               "previous_state": from.as_str()}),
    )
    .await?;
    tx.commit().await?;
    Ok(Decided {
        campaign_id: campaign.id,
        dossier_id: id,
        decision,
        state: to,
    })
}

/// A list closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Closed {
    pub(crate) campaign_id: CampaignId,
    pub(crate) closed_at: DateTime<Utc>,
    pub(crate) retained: u32,
    pub(crate) deferred: u32,
    pub(crate) refused: u32,
}

/// Closes (freezes) the campaign's list (`decision:decide`): every transmitted dossier must
/// have its decision.
pub(crate) async fn close(
    ctx: &WebContext,
    identity: &Identity,
    id: CampaignId,
) -> ActionResult<Closed> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let campaign = contracts::campaign_by_id(&tx, id).await?;
    let decide = access.authorize::<perm::DecisionDecide>(Scope::Unit(campaign.bureau_unit_id))?;
    store::lock_campaign(&mut tx, campaign.id).await?;
    if let Some(list) = store::list(&mut tx, campaign.id).await? {
        return Err(Conflict::ListClosed {
            since: list.closed_at.date_naive(),
        }
        .into());
    }
    let loaded = load(&mut tx, campaign.id).await?;
    let count =
        |state: DossierState| tally::count(loaded.dossiers.iter().filter(|d| d.state == state));
    let undecided = count(DossierState::Transmitted);
    if undecided > 0 {
        return Err(Conflict::ListUndecided { undecided }.into());
    }
    let (retained, deferred, refused) = (
        count(DossierState::Retained),
        count(DossierState::Deferred),
        count(DossierState::Refused),
    );
    // The list is frozen as shown: its order is stored too.
    store_order(&mut tx, campaign.id, &loaded.order(), &loaded.rankings).await?;
    let closed_at = store::insert_list(&mut tx, &decide, campaign.id).await?;
    journal::append(
        &mut tx,
        Actor::Agent(decide.agent()),
        Subject::Campaign(campaign.id),
        EventKind::ListClosed,
        json!({"retained": retained, "deferred": deferred, "refused": refused,
               "contingents": campaign.contingents}),
    )
    .await?;
    tx.commit().await?;
    Ok(Closed {
        campaign_id: campaign.id,
        closed_at,
        retained,
        deferred,
        refused,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_needs_a_known_value_and_a_motivation() {
        assert_eq!(
            decision_input(Decision::Retained.as_str(), "  Mérites éminents. "),
            Ok((Decision::Retained, "Mérites éminents.".to_owned()))
        );
        let fields = |r: Result<(Decision, String), Vec<FieldError>>| -> Vec<String> {
            r.err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(
            fields(decision_input("peut-être", "")),
            vec!["decision", "motivation"]
        );
        assert_eq!(
            fields(decision_input(Decision::Deferred.as_str(), "   ")),
            vec!["motivation"]
        );
        assert_eq!(
            fields(decision_input(
                Decision::Refused.as_str(),
                &"x".repeat(MOTIVATION_MAX + 1)
            )),
            vec!["motivation"]
        );
    }
}
