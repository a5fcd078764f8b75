//! A dossier's possible duplicates (issue 18, Build 6), found by `napoleon_db::duplicates`:
//! the instructeur who may give the dossier's opinion says of each whether it is the same
//! person (confirmed) or not (dismissed). A warning and its answer, never a block: nothing
//! else in the circuit waits on it.

use napoleon_authz::{Access, Refusal, Scope, perm};
use napoleon_db::duplicates::possible_duplicates;
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_identity::Identity;
use napoleon_kernel::DossierId;
use napoleon_rules::dossier::DossierState;
use napoleon_web::{ActionError, ActionResult, Conflict, FieldError, WebContext};
use serde_json::json;

use super::moves::load_readable;
use crate::store;

/// What the instructeur says of a possible duplicate. Stored as
/// [`as_str`](Self::as_str) (`instruction.duplicate_reviews.verdict`'s check), posted as
/// the form's French values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReviewVerdict {
    /// The same person.
    Confirmed,
    /// Another person.
    Dismissed,
}

impl ReviewVerdict {
    /// The stored name.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Dismissed => "dismissed",
        }
    }

    /// The verdict of a stored name.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "confirmed" => Some(Self::Confirmed),
            "dismissed" => Some(Self::Dismissed),
            _ => None,
        }
    }

    /// The verdict of the form's button (`confirme`, `ecarte`).
    fn from_form(s: &str) -> Option<Self> {
        match s {
            "confirme" => Some(Self::Confirmed),
            "ecarte" => Some(Self::Dismissed),
            _ => None,
        }
    }

    /// What the page says of it.
    pub(crate) const fn label_fr(self) -> &'static str {
        match self {
            Self::Confirmed => "Doublon confirmé",
            Self::Dismissed => "Doublon écarté (une autre personne)",
        }
    }
}

/// The most characters an observation may have (the column's check).
const MAX_NOTE_CHARS: usize = 1000;

/// The review form: which duplicate (`dossier:<uuid>`, `laureate:<uuid>`), the button
/// pressed, and an optional observation.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct ReviewForm {
    pub(crate) doublon: String,
    pub(crate) decision: String,
    pub(crate) observation: String,
}

/// While a dossier is a proposal in the circuit: submitted and not yet decided against or
/// published (a draft is not in instruction; a refused or published one is no longer a
/// proposal).
fn reviewable(state: DossierState) -> bool {
    !matches!(
        state,
        DossierState::Draft | DossierState::Refused | DossierState::Published
    )
}

/// Whether the agent may review the dossier's possible duplicates: whoever may give its
/// opinion at its level, while it is a proposal.
pub(crate) fn may_review(
    access: &Access,
    state: DossierState,
    level: napoleon_kernel::OrgUnitId,
) -> Result<bool, Refusal> {
    Ok(reviewable(state) && access.may::<perm::InstructionOpine>(Scope::Unit(level))?)
}

/// Records what the agent says of one possible duplicate of the dossier: readable (404),
/// the opinion's permission at its level (403), a proposal still (409), then the form
/// (422: the duplicate must still be found, the decision one of the two, the observation
/// bounded). Journaled in the same transaction.
pub(crate) async fn review(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    form: &ReviewForm,
) -> ActionResult<()> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let dossier = load_readable(&mut tx, &access, id).await?;
    let proof = access.authorize::<perm::InstructionOpine>(Scope::Unit(dossier.level_unit_id))?;
    if !reviewable(dossier.state) {
        return Err(Conflict::WrongState {
            state: dossier.state,
        }
        .into());
    }
    let mut errors = Vec::new();
    let verdict = ReviewVerdict::from_form(&form.decision);
    if verdict.is_none() {
        errors.push(FieldError::new(
            "action",
            "Décision : choisissez « Confirmer le doublon » ou « Écarter ».",
        ));
    }
    let note = form.observation.trim();
    if note.chars().count() > MAX_NOTE_CHARS {
        errors.push(FieldError::new(
            "action",
            format!("Observation : {MAX_NOTE_CHARS} caractères au plus."),
        ));
    }
    // Only a duplicate found now: the page may be older than a change of either dossier.
    // Among those the agent may be told of (another unit's draft is not reviewed here).
    let found = napoleon_web::visible_duplicates(&access, possible_duplicates(&tx, id).await?);
    let duplicate = found.iter().find(|d| d.other.key() == form.doublon);
    if duplicate.is_none() {
        errors.push(FieldError::new(
            "action",
            "Doublon possible : il n'est plus signalé pour ce dossier (l'un des dossiers a \
             changé depuis l'affichage de la page).",
        ));
    }
    let (Some(verdict), Some(duplicate), true) = (verdict, duplicate, errors.is_empty()) else {
        return Err(ActionError::Invalid(errors));
    };
    store::record_duplicate_review(&mut tx, &proof, id, duplicate, verdict, note).await?;
    journal::append(
        &mut tx,
        Actor::Agent(proof.agent()),
        Subject::Dossier(id),
        EventKind::DuplicateReviewed,
        json!({
            "other": duplicate.other.kind_str(),
            "other_id": duplicate.other.uuid(),
            "match": duplicate.kind.as_str(),
            "verdict": verdict.as_str(),
            "note": note,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_read_back_and_only_the_forms_buttons_are_taken() {
        for v in [ReviewVerdict::Confirmed, ReviewVerdict::Dismissed] {
            assert_eq!(ReviewVerdict::parse(v.as_str()), Some(v));
        }
        assert_eq!(
            ReviewVerdict::from_form("confirme"),
            Some(ReviewVerdict::Confirmed)
        );
        assert_eq!(
            ReviewVerdict::from_form("ecarte"),
            Some(ReviewVerdict::Dismissed)
        );
        assert_eq!(ReviewVerdict::from_form("confirmed"), None);
        assert_eq!(ReviewVerdict::from_form(""), None);
    }

    #[test]
    fn only_proposals_in_the_circuit_are_reviewed() {
        assert!(!reviewable(DossierState::Draft));
        assert!(reviewable(DossierState::Submitted));
        assert!(reviewable(DossierState::Transmitted));
        assert!(!reviewable(DossierState::Refused));
        assert!(!reviewable(DossierState::Published));
    }
}
