//! The queue of the agent's units, by tab.

use napoleon_authz::{Access, Scope, perm};
use napoleon_db::contracts::{self, DossierKey, DossierView};
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
    /// The tab's word in the API's address.
    pub(crate) fn api_word(self) -> &'static str {
        match self {
            Self::ToDo => "todo",
            Self::Followed => "followed",
            Self::Done => "done",
        }
    }

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

/// How many dossiers a page of the queue shows, by default and at most (the API may ask for
/// another number within these bounds).
pub(crate) const PER_PAGE: usize = 50;
pub(crate) const MAX_PER_PAGE: usize = 200;

/// Which page of a tab: 1-based; a page past the last shows the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paging {
    page: usize,
    per_page: usize,
}

impl Paging {
    /// From the query's words: a page number that does not read, or is below 1, is the first
    /// page (nothing to refuse on a list); `per_page` is held within 1 and [`MAX_PER_PAGE`].
    pub(crate) fn parse(page: Option<&str>, per_page: Option<&str>) -> Self {
        let number = |s: Option<&str>| s.and_then(|v| v.trim().parse::<usize>().ok());
        Self {
            page: number(page).unwrap_or(1).max(1),
            per_page: number(per_page).unwrap_or(PER_PAGE).clamp(1, MAX_PER_PAGE),
        }
    }
}

/// One page of a tab.
#[derive(Debug)]
pub(crate) struct QueuePage {
    /// The page's dossiers, whole.
    pub(crate) dossiers: Vec<DossierView>,
    /// Dossiers in the tab, all pages together.
    pub(crate) total: usize,
    /// This page (1-based, at most `pages`) and how many there are (at least 1).
    pub(crate) page: usize,
    pub(crate) pages: usize,
    pub(crate) per_page: usize,
}

/// What a tab finds before the four-eyes filter: its dossiers' keys, and for « suivis » the
/// ones the agent holds.
enum Found {
    /// With the first page's dossiers, whole, when the first page was asked for.
    ToDo(Vec<DossierKey>, Option<Vec<DossierView>>),
    Followed(Vec<DossierKey>, Vec<napoleon_kernel::DossierId>),
    Done,
}

/// The states of « traités »: gone past the agent's units.
const DONE: [DossierState; 5] = [
    DossierState::Transmitted,
    DossierState::Retained,
    DossierState::Deferred,
    DossierState::Refused,
    DossierState::Published,
];

/// A page of the agent's queue for a tab. The tab is filtered on its dossiers' keys (four
/// eyes, what the agent holds) and only the page's dossiers are read whole and logged as
/// read.
pub(crate) async fn queue(
    ctx: &WebContext,
    identity: &Identity,
    tab: Tab,
    paging: Paging,
    channel: ReadChannel,
) -> ActionResult<QueuePage> {
    // The tab's dossiers, by the roots of the agent's grants, sent behind the transaction's
    // opening; shown only once the access allows reading.
    let roots = my_roots(&identity.grants());
    let per_page = i64::try_from(paging.per_page).unwrap_or(i64::MAX);
    let (tx, access, found) = ctx
        .begin_with(identity, async |shared| {
            Ok(match tab {
                Tab::ToDo => {
                    // The first page is read whole with the keys, in the same round trip: four
                    // eyes rarely changes it (when it does, the page is read by its ids).
                    let todo = [DossierState::Submitted, DossierState::OpinionGiven];
                    let (keys, first) = tokio::join!(
                        contracts::dossier_keys_under(&shared, &roots, &todo),
                        async {
                            if paging.page == 1 {
                                contracts::dossiers_under(&shared, &roots, &todo, per_page)
                                    .await
                                    .map(Some)
                            } else {
                                Ok(None)
                            }
                        }
                    );
                    Found::ToDo(keys?, first?)
                }
                Tab::Followed => {
                    let (found, held) = tokio::join!(
                        contracts::dossier_keys_under(
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
    let mut first_page = None;
    let keys: Vec<DossierKey> = match found {
        Found::ToDo(found, first) => {
            first_page = first;
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
        Found::Done => contracts::dossier_keys_filed_by(&tx, &my_units(&access), &DONE).await?,
    };
    let total = keys.len();
    let pages = total.div_ceil(paging.per_page).max(1);
    let page = paging.page.min(pages);
    let shown: Vec<_> = keys
        .iter()
        .skip((page - 1) * paging.per_page)
        .take(paging.per_page)
        .map(|k| k.id)
        .collect();
    let dossiers = match first_page {
        Some(read) if shown.iter().all(|id| read.iter().any(|d| d.id == *id)) => {
            read.into_iter().filter(|d| shown.contains(&d.id)).collect()
        }
        _ => contracts::dossiers_by_ids(&tx, &shown).await?,
    };
    let read: Vec<ReadSubject> = dossiers
        .iter()
        .map(|d| ReadSubject::Dossier(d.id))
        .collect();
    napoleon_web::end_reads(tx, identity, &read, channel).await?;
    Ok(QueuePage {
        dossiers,
        total,
        page,
        pages,
        per_page: paging.per_page,
    })
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

    #[test]
    fn a_page_that_does_not_read_is_the_first_and_its_size_stays_within_bounds() {
        let p = |page, per| Paging::parse(page, per);
        assert_eq!(
            p(None, None),
            Paging {
                page: 1,
                per_page: PER_PAGE
            }
        );
        assert_eq!(
            p(Some("3"), Some("20")),
            Paging {
                page: 3,
                per_page: 20
            }
        );
        assert_eq!(
            p(Some("0"), Some("0")),
            Paging {
                page: 1,
                per_page: 1
            }
        );
        assert_eq!(
            p(Some("-2"), Some("x")),
            Paging {
                page: 1,
                per_page: PER_PAGE
            }
        );
        assert_eq!(
            p(Some("deux"), Some("100000")),
            Paging {
                page: 1,
                per_page: MAX_PER_PAGE
            }
        );
    }
}
