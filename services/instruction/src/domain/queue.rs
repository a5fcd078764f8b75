//! The queue of the agent's units, by tab.

use napoleon_authz::{Access, Scope, perm};
use napoleon_db::contracts::{self, DossierView};
use napoleon_db::readlog::{ReadChannel, ReadSubject};
use napoleon_identity::Identity;
use napoleon_kernel::{OrgUnitId, Role};
use napoleon_rules::dossier::DossierState;
use napoleon_web::{ActionResult, WebContext};

use super::opinion_author_at;
use crate::store;

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

/// Units where the agent instructs or validates (everything below them counts too).
fn my_roots(grants: &[(Role, OrgUnitId)]) -> Vec<OrgUnitId> {
    grants
        .iter()
        .filter(|(role, _)| matches!(role, Role::Instructeur | Role::Valideur))
        .map(|(_, unit)| *unit)
        .collect()
}

/// [`my_roots`] with everything below them.
fn my_units(access: &Access) -> Vec<OrgUnitId> {
    access.subtree(&my_roots(access.grants()))
}

/// What a tab shows before the four-eyes filter: its dossiers, and for « suivis » the ones
/// the agent holds.
enum Found {
    ToDo(Vec<DossierView>),
    Followed(Vec<DossierView>, Vec<napoleon_kernel::DossierId>),
    Done,
}

/// The agent's queue for a tab.
pub(crate) async fn queue(
    ctx: &WebContext,
    identity: &Identity,
    tab: Tab,
    channel: ReadChannel,
) -> ActionResult<Vec<DossierView>> {
    // The tab's dossiers, by the roots of the agent's grants, sent behind the transaction's
    // opening; shown only once the access allows reading.
    let roots = my_roots(&identity.grants());
    let (mut tx, access, found) = ctx
        .begin_with(identity, async |shared| {
            Ok(match tab {
                Tab::ToDo => Found::ToDo(
                    contracts::dossiers_under(
                        &shared,
                        &roots,
                        &[DossierState::Submitted, DossierState::OpinionGiven],
                    )
                    .await?,
                ),
                Tab::Followed => {
                    let (found, held) = tokio::join!(
                        contracts::dossiers_under(
                            &shared,
                            &roots,
                            &[
                                DossierState::InInstruction,
                                DossierState::OpinionGiven,
                                DossierState::ComplementRequested,
                            ],
                        ),
                        store::held_by(&shared, identity.agent)
                    );
                    Found::Followed(found?, held?)
                }
                Tab::Done => Found::Done,
            })
        })
        .await?;
    access.require::<perm::NominationRead>(Scope::Anywhere)?;
    let list: Vec<DossierView> = match found {
        Found::ToDo(found) => {
            // The opinions of every dossier waiting for its transmission, in one statement.
            let given: Vec<_> = found
                .iter()
                .filter(|d| d.state == DossierState::OpinionGiven)
                .map(|d| d.id)
                .collect();
            let opinions = store::opinions_of(&tx, &given).await?;
            found
                .into_iter()
                .filter(|d| {
                    // Four eyes: not for the author of the opinion at this level.
                    d.state != DossierState::OpinionGiven
                        || opinion_author_at(
                            opinions.get(&d.id).map_or(&[][..], Vec::as_slice),
                            d.level_unit_id,
                        ) != Some(identity.agent)
                })
                .collect()
        }
        Found::Followed(found, held) => {
            found.into_iter().filter(|d| held.contains(&d.id)).collect()
        }
        Found::Done => contracts::dossiers_filed_by(&mut tx, &my_units(&access))
            .await?
            .into_iter()
            .filter(|d| {
                matches!(
                    d.state,
                    DossierState::Transmitted
                        | DossierState::Retained
                        | DossierState::Deferred
                        | DossierState::Refused
                        | DossierState::Published
                )
            })
            .collect(),
    };
    let shown: Vec<ReadSubject> = list.iter().map(|d| ReadSubject::Dossier(d.id)).collect();
    napoleon_web::end_reads(tx, identity, &shown, channel).await?;
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_parse_from_the_page_and_the_api_and_default_to_the_todo_list() {
        assert_eq!(Tab::parse("suivis"), Tab::Followed);
        assert_eq!(Tab::parse("followed"), Tab::Followed);
        assert_eq!(Tab::parse("traites"), Tab::Done);
        assert_eq!(Tab::parse("done"), Tab::Done);
        assert_eq!(Tab::parse("a-traiter"), Tab::ToDo);
        assert_eq!(Tab::parse("todo"), Tab::ToDo);
        assert_eq!(Tab::parse(""), Tab::ToDo);
        assert_eq!(Tab::parse("autre"), Tab::ToDo);
    }
}
