//! The queue of the agent's units, by tab.

use napoleon_authz::{Access, Scope, perm};
use napoleon_db::TenantRead;
use napoleon_db::contracts::{self, DossierView};
use napoleon_db::readlog::{ReadChannel, ReadSubject};
use napoleon_identity::Identity;
use napoleon_kernel::{AgentId, OrgUnitId, Role};
use napoleon_rules::dossier::DossierState;
use napoleon_web::{ActionResult, WebContext};

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

    /// The tabs, in the page's order.
    pub(crate) const ALL: [Self; 3] = [Self::ToDo, Self::Followed, Self::Done];

    /// The tab's word in the page's address (`onglet`).
    pub(crate) const fn page_word(self) -> &'static str {
        match self {
            Self::ToDo => "a-traiter",
            Self::Followed => "suivis",
            Self::Done => "traites",
        }
    }

    /// The tab of a page word, exactly as written (an export's filter: nothing guessed).
    pub(crate) fn of_page_word(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.page_word() == s)
    }

    /// The tab's name on the page.
    pub(crate) const fn label_fr(self) -> &'static str {
        match self {
            Self::ToDo => "À traiter",
            Self::Followed => "Suivis",
            Self::Done => "Traités",
        }
    }
}

/// Units where the agent instructs or validates (everything below them counts too).
pub(super) fn my_roots(grants: &[(Role, OrgUnitId)]) -> Vec<OrgUnitId> {
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

/// The states of `tab`, and its condition on instruction's own tables for `agent`.
fn tab_rows(
    tab: Tab,
    agent: AgentId,
) -> (
    &'static [DossierState],
    impl Fn(contracts::DossierQuery) -> contracts::DossierQuery + Send + Sync,
) {
    let states: &[DossierState] = match tab {
        Tab::ToDo => &TO_DO,
        Tab::Followed => &FOLLOWED,
        Tab::Done => &DONE,
    };
    let extra = move |query| match tab {
        Tab::ToDo => store::not_opined_by(query, agent),
        Tab::Followed => store::held_by_agent(query, agent),
        Tab::Done => query,
    };
    (states, extra)
}

/// `limit` dossiers of `tab` after `after` (a cursor this function gave; `None`: from the
/// first), under `roots` (where the agent instructs or validates; for « traités », filed
/// below them), oldest submission first, each checked again as its page would
/// ([`Access::read_dossier`]); and where the next batch starts. For an export, a batch at a
/// time, by key: a dossier leaving the tab meanwhile moves no other out of the next batch.
///
/// # Errors
/// An unreadable cursor is `Invalid`; the database's.
pub(crate) async fn tab_batch(
    tx: &impl TenantRead,
    access: &Access,
    tab: Tab,
    roots: &[OrgUnitId],
    after: Option<&str>,
    limit: i64,
) -> ActionResult<(Vec<DossierView>, Option<String>)> {
    let after = match after {
        None => None,
        Some(raw) => Some(
            contracts::DossierCursor::parse(raw)
                .filter(|c| c.fits(contracts::DossierSort::SubmittedFirst))
                .ok_or_else(|| {
                    napoleon_web::ActionError::Invalid(vec![napoleon_web::FieldError::new(
                        "onglet",
                        "La demande d'export est illisible.",
                    )])
                })?,
        ),
    };
    let (states, extra) = tab_rows(tab, access.agent());
    let units = access.subtree(roots);
    let list = match tab {
        Tab::Done => contracts::QueueList::FiledBy {
            units: &units,
            states,
        },
        _ => contracts::QueueList::Under {
            roots,
            states,
            extra: &extra,
        },
    };
    // One more than the batch: whether another follows.
    let mut found = contracts::queue_batch(tx, list, after.as_ref(), limit + 1).await?;
    let batch = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = found.len() > batch;
    found.truncate(batch);
    // From the last row read, whatever the check below keeps.
    let next = found.last().filter(|_| more).map(|d| {
        contracts::DossierCursor::after(contracts::DossierSort::SubmittedFirst, d).render()
    });
    found.retain(|d| {
        access
            .read_dossier(d.unit_id, d.level_unit_id, d.is_draft())
            .is_ok()
    });
    Ok((found, next))
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
    /// Whether the agent may export the tab (`instruction:export`).
    pub(crate) may_export: bool,
}

/// The states of « à traiter »: waiting for someone at the agent's units, to take or to
/// validate.
const TO_DO: [DossierState; 2] = [DossierState::Submitted, DossierState::OpinionGiven];
/// The states of « suivis »: held (in instruction, opinion given, complement requested).
const FOLLOWED: [DossierState; 3] = [
    DossierState::InInstruction,
    DossierState::OpinionGiven,
    DossierState::ComplementRequested,
];
/// The states of « traités »: gone past the agent's units.
const DONE: [DossierState; 5] = [
    DossierState::Transmitted,
    DossierState::Retained,
    DossierState::Deferred,
    DossierState::Refused,
    DossierState::Published,
];

/// A page of the agent's queue for a tab. Filtered, counted and paged by PostgreSQL (four
/// eyes and what the agent holds as conditions on instruction's own tables): only the page's
/// dossiers are read, shown and logged as read, whatever the tab holds.
pub(crate) async fn queue(
    ctx: &WebContext,
    identity: &Identity,
    tab: Tab,
    paging: Paging,
    channel: ReadChannel,
) -> ActionResult<QueuePage> {
    let per_page = i64::try_from(paging.per_page).unwrap_or(i64::MAX);
    let offset_of = |page: usize| i64::try_from((page - 1) * paging.per_page).unwrap_or(i64::MAX);
    // « À traiter » and « suivis » by the roots of the agent's grants, sent behind the
    // transaction's opening; shown only once the access allows reading.
    let roots = my_roots(&identity.grants());
    let (states, extra) = tab_rows(tab, identity.agent);
    let (tx, access, found) = ctx
        .begin_with(identity, async |shared| {
            Ok(match tab {
                Tab::Done => None,
                _ => Some(
                    contracts::dossier_page_under(
                        &shared,
                        &roots,
                        states,
                        &extra,
                        offset_of(paging.page),
                        per_page,
                    )
                    .await?,
                ),
            })
        })
        .await?;
    access.require::<perm::NominationRead>(Scope::Anywhere)?;
    let units = my_units(&access);
    let read = async |page: usize| -> ActionResult<contracts::DossierPage> {
        Ok(match tab {
            Tab::Done => {
                contracts::dossier_page_filed_by(&tx, &units, &DONE, offset_of(page), per_page)
                    .await?
            }
            _ => {
                contracts::dossier_page_under(
                    &tx,
                    &roots,
                    states,
                    &extra,
                    offset_of(page),
                    per_page,
                )
                .await?
            }
        })
    };
    let mut found = match found {
        Some(found) => found,
        None => read(paging.page).await?,
    };
    let total = usize::try_from(found.total).unwrap_or(0);
    let pages = total.div_ceil(paging.per_page).max(1);
    let page = paging.page.min(pages);
    if page != paging.page {
        // Past the last page: the last one.
        found = read(page).await?;
    }
    let shown: Vec<ReadSubject> = found
        .dossiers
        .iter()
        .map(|d| ReadSubject::Dossier(d.id))
        .collect();
    napoleon_web::end_reads(tx, identity, &shown, channel).await?;
    Ok(QueuePage {
        dossiers: found.dossiers,
        total,
        page,
        pages,
        per_page: paging.per_page,
        may_export: super::exports::may_export(&access),
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
