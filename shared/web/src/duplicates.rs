//! The possible duplicates of a dossier as intake's and instruction's pages show them (the
//! shared `duplicates` partial): what each is, in French, with a link where the agent may
//! open the other dossier. The other person's data is never shown: the agent sees only
//! where the same names (and birth date) were proposed, and opens it if their scope allows.
//!
//! What the agent may not read is told with less: another unit's draft not at all (a draft
//! is its authors' alone, as `Access::read_dossier` hides it); a dossier they may not open,
//! or a laureate without the registry's reading, without how close the match is nor the
//! dossier's state (« même personne possible »). Otherwise a rédacteur could edit a draft's
//! birth date until « homonyme » turns « identité » and learn another person's birth date.

use napoleon_authz::{Access, Scope, perm};
use napoleon_db::duplicates::{Counterpart, MatchKind, PossibleDuplicate};
use napoleon_rules::fr_date;
use serde::Serialize;

/// The `duplicates` partial's view.
#[derive(Debug, Clone, Serialize)]
pub struct DuplicatesView {
    /// The sentence above the list.
    pub intro: &'static str,
    /// One per possible duplicate, the surest first.
    pub rows: Vec<DuplicateRow>,
    /// Where each row's confirm-or-dismiss form posts; none where the agent may not review.
    pub review_action: Option<String>,
    /// The sentence saying another ministry proposed the same person for this promotion
    /// (`napoleon_db::crossmatch::ELSEWHERE`), when it did. (Not `elsewhere`: handlebars
    /// reads `{{elsewhere}}` as `{{else where}}`.)
    pub other_ministry: Option<&'static str>,
}

/// The sentence of [`DuplicatesView::other_ministry`] for a lookup's answer.
#[must_use]
pub fn elsewhere_sentence(answer: Option<bool>) -> Option<&'static str> {
    (answer == Some(true)).then_some(napoleon_db::crossmatch::ELSEWHERE)
}

/// One possible duplicate, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct DuplicateRow {
    /// `dossier:<uuid>` or `laureate:<uuid>` (`Counterpart::key`): what a review names.
    pub key: String,
    /// How sure: `exact`, `close` or `homonym`, or `possible` for a match the agent may not
    /// read (the API's).
    pub code: &'static str,
    /// How sure, in French.
    pub kind: &'static str,
    /// How sure, as found (also when the page may not say it): what a review answered.
    #[serde(skip)]
    pub found: MatchKind,
    /// The same identity (shown as an error badge; the others as warnings).
    pub exact: bool,
    /// What was found, in French.
    pub what: String,
    /// The other dossier's page, when the agent may open it.
    pub href: Option<String>,
    /// What was said of it already (instruction), in French.
    pub status: Option<String>,
}

/// What a row says of a match the agent may not read (see the module's comment).
pub const UNREAD_MATCH: &str = "Même personne possible, à vérifier avec le service concerné";

/// The possible duplicates `access`'s agent may be told of, the others left out: another
/// unit's draft (its authors' alone). Every page, the API and a review go through it.
#[must_use]
pub fn visible_duplicates(
    access: &Access,
    found: Vec<PossibleDuplicate>,
) -> Vec<PossibleDuplicate> {
    found
        .into_iter()
        .filter(|d| {
            let draft = matches!(
                &d.other,
                Counterpart::Dossier { state, .. }
                    if *state == napoleon_rules::dossier::DossierState::Draft
            );
            !draft || readable(access, &d.other)
        })
        .collect()
}

/// Whether the agent may read the counterpart itself: the other dossier, or the registry.
fn readable(access: &Access, other: &Counterpart) -> bool {
    match other {
        Counterpart::Dossier {
            unit,
            level_unit_id,
            state,
            ..
        } => {
            let draft = *state == napoleon_rules::dossier::DossierState::Draft;
            access.read_dossier(unit.0, *level_unit_id, draft).is_ok()
        }
        Counterpart::Laureate { .. } => access
            .may::<perm::RegistryRead>(Scope::Central)
            .unwrap_or(false),
    }
}

/// The rows of `found` (already [`visible_duplicates`]) as `access`'s agent sees them.
#[must_use]
pub fn duplicate_rows(access: &Access, found: &[PossibleDuplicate]) -> Vec<DuplicateRow> {
    found
        .iter()
        .map(|d| {
            let readable = readable(access, &d.other);
            DuplicateRow {
                key: d.other.key(),
                code: if readable {
                    d.kind.as_str()
                } else {
                    "possible"
                },
                kind: if readable {
                    d.kind.label_fr()
                } else {
                    UNREAD_MATCH
                },
                found: d.kind,
                exact: readable && d.kind == MatchKind::Exact,
                what: what(&d.other, readable),
                href: readable.then(|| href(&d.other)).flatten(),
                status: None,
            }
        })
        .collect()
}

fn what(other: &Counterpart, readable: bool) -> String {
    match other {
        Counterpart::Dossier {
            number,
            unit,
            state,
            campaign,
            ..
        } => match number {
            // The state of a dossier the agent may not open is not theirs to know (a
            // decision before its publication).
            Some(number) if readable => format!(
                "Dossier n° {number} ({}) — {}, {}",
                state.label_fr().to_lowercase(),
                unit.1,
                campaign.1
            ),
            Some(number) => format!("Dossier n° {number} — {}, {}", unit.1, campaign.1),
            None => format!("Brouillon — {}, {}", unit.1, campaign.1),
        },
        Counterpart::Laureate {
            grade, decree_date, ..
        } => format!(
            "Au registre : déjà titulaire du grade de {grade} (décret du {})",
            fr_date(*decree_date)
        ),
    }
}

/// The other dossier's page (the caller knows the agent may read it: a draft is its filing
/// unit's, in intake); none for a laureate (the registry is searched from its own page).
fn href(other: &Counterpart) -> Option<String> {
    let Counterpart::Dossier { id, state, .. } = other else {
        return None;
    };
    Some(if *state == napoleon_rules::dossier::DossierState::Draft {
        format!("/intake/dossiers/{id}/etape/1")
    } else {
        format!("/instruction/dossiers/{id}")
    })
}
