//! The search of dossiers (issue 18, Build 4): the dossiers an agent instructs (whose level
//! is one of the agent's units or below, or filed by one of them), found by name or number
//! (accents and case ignored: `core.fold`, the stored `folded_name`), by birth date (the
//! stored `born`), narrowed by state, filing unit, campaign, distinction, grade, submission
//! dates and the service's own conditions (who holds it); sorted, and paged by key (the
//! last row's sort key and id), so a page costs the same wherever it is in the list.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Date, Text};
use napoleon_kernel::{CampaignId, DossierId, OrgUnitId};
use napoleon_rules::dossier::DossierState;
use napoleon_rules::{DistinctionCode, GradeCode};

use super::{
    DossierFilter, DossierPage, DossierQuery, DossierView, dossiers_v1, page_and_count,
    state_names, subtree_units, tenant_dossiers,
};
use crate::{DbError, TenantRead};

/// How the results are sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DossierSort {
    /// Oldest submission first (the queue's order).
    #[default]
    SubmittedFirst,
    /// Latest submission first.
    SubmittedLast,
    /// By the candidate's folded name.
    Name,
    /// By number.
    Number,
}

impl DossierSort {
    /// Every sort, in the form's order.
    pub const ALL: [Self; 4] = [
        Self::SubmittedFirst,
        Self::SubmittedLast,
        Self::Name,
        Self::Number,
    ];

    /// As in the address (`tri=`).
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::SubmittedFirst => "depot",
            Self::SubmittedLast => "depot-recent",
            Self::Name => "nom",
            Self::Number => "numero",
        }
    }

    /// As the form shows it.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::SubmittedFirst => "Date de dépôt, du plus ancien au plus récent",
            Self::SubmittedLast => "Date de dépôt, du plus récent au plus ancien",
            Self::Name => "Nom du candidat",
            Self::Number => "Numéro du dossier",
        }
    }

    /// From the address.
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Where a page starts: after the row whose sort key and id these are.
#[derive(Clone, PartialEq, Eq)]
pub struct DossierCursor {
    key: String,
    id: DossierId,
}

// The key may be a folded name: never in logs.
impl std::fmt::Debug for DossierCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DossierCursor({}, ********)", self.id)
    }
}

impl DossierCursor {
    /// The cursor after `row` in `sort`'s order.
    #[must_use]
    pub fn after(sort: DossierSort, row: &DossierView) -> Self {
        let key = match sort {
            DossierSort::SubmittedFirst | DossierSort::SubmittedLast => row
                .submitted_at
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
                .unwrap_or_default(),
            DossierSort::Name => row.folded_name.expose().clone(),
            DossierSort::Number => row.number.clone().unwrap_or_default(),
        };
        Self { key, id: row.id }
    }

    /// As in the address: `<id>~<key>`.
    #[must_use]
    pub fn render(&self) -> String {
        format!("{}~{}", self.id, self.key)
    }

    /// Whether the key is one `sort` writes (a date sort's key is an instant).
    #[must_use]
    pub fn fits(&self, sort: DossierSort) -> bool {
        match sort {
            DossierSort::SubmittedFirst | DossierSort::SubmittedLast => {
                DateTime::parse_from_rfc3339(&self.key).is_ok()
            }
            DossierSort::Name | DossierSort::Number => true,
        }
    }

    /// From the address (anything else: `None`).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let (id, key) = text.split_once('~')?;
        if key.chars().count() > 1_000 || key.chars().any(char::is_control) {
            return None;
        }
        Some(Self {
            id: id.parse().ok()?,
            key: key.to_owned(),
        })
    }
}

/// A search, parsed.
#[derive(Debug, Clone, Default)]
pub struct DossierSearch<'a> {
    /// The units whose dossiers the agent instructs (their subtrees count).
    pub roots: &'a [OrgUnitId],
    /// A name, a given name or a number, as typed.
    pub text: Option<&'a str>,
    /// The candidate's birth date.
    pub born: Option<NaiveDate>,
    /// In one of these states (all but draft when empty).
    pub states: &'a [DossierState],
    /// Filed by this unit.
    pub unit: Option<OrgUnitId>,
    /// In this campaign.
    pub campaign: Option<CampaignId>,
    /// For this distinction.
    pub distinction: Option<&'a DistinctionCode>,
    /// Proposing this grade.
    pub grade: Option<&'a GradeCode>,
    /// Submitted on or after this day (Paris).
    pub submitted_from: Option<NaiveDate>,
    /// Submitted on or before this day (Paris).
    pub submitted_to: Option<NaiveDate>,
    /// The order.
    pub sort: DossierSort,
    /// Where the page starts.
    pub after: Option<&'a DossierCursor>,
    /// Rows on the page.
    pub limit: i64,
}

/// The search's conditions, without its order nor its page.
fn filtered(tx: &impl TenantRead, s: &DossierSearch<'_>, extra: &DossierFilter) -> DossierQuery {
    let roots: Vec<uuid::Uuid> = s.roots.iter().map(OrgUnitId::as_uuid).collect();
    let tenant = tx.tenant().as_uuid();
    let mut query = tenant_dossiers(tx)
        .filter(
            dossiers_v1::level_unit_id
                .eq_any(diesel::select(subtree_units(tenant, roots.clone())))
                .or(dossiers_v1::unit_id.eq_any(diesel::select(subtree_units(tenant, roots)))),
        )
        .filter(dossiers_v1::state.ne(DossierState::Draft.as_str()));
    if !s.states.is_empty() {
        query = query.filter(dossiers_v1::state.eq_any(state_names(s.states)));
    }
    if let Some(text) = s.text {
        // Equality and strpos on stored, folded text: no pattern characters to escape.
        query = query.filter(
            // The typed text folded once (a subquery), not for every row under a generic plan.
            sql::<Bool>("(strpos(folded_name, (SELECT core.fold(")
                .bind::<Text, _>(text.to_owned())
                .sql("))) > 0 OR number = upper(btrim(")
                .bind::<Text, _>(text.to_owned())
                .sql(")))"),
        );
    }
    if let Some(born) = s.born {
        query = query.filter(dossiers_v1::born.eq(born.format("%Y-%m-%d").to_string()));
    }
    if let Some(unit) = s.unit {
        query = query.filter(dossiers_v1::unit_id.eq(unit.as_uuid()));
    }
    if let Some(campaign) = s.campaign {
        query = query.filter(dossiers_v1::campaign_id.eq(campaign.as_uuid()));
    }
    if let Some(distinction) = s.distinction {
        query = query.filter(dossiers_v1::distinction.eq(distinction.as_str().to_owned()));
    }
    if let Some(grade) = s.grade {
        query = query.filter(dossiers_v1::target_grade.eq(grade.as_str().to_owned()));
    }
    if let Some(from) = s.submitted_from {
        query = query.filter(
            sql::<Bool>("(submitted_at AT TIME ZONE 'Europe/Paris')::date >= ")
                .bind::<Date, _>(from),
        );
    }
    if let Some(to) = s.submitted_to {
        query = query.filter(
            sql::<Bool>("(submitted_at AT TIME ZONE 'Europe/Paris')::date <= ").bind::<Date, _>(to),
        );
    }
    extra(query)
}

/// The search's page in its order after its cursor, with the whole count, in one round
/// trip.
///
/// # Errors
/// [`DbError`].
pub async fn dossier_search(
    tx: &impl TenantRead,
    s: &DossierSearch<'_>,
    extra: &DossierFilter,
) -> Result<DossierPage, DbError> {
    let page = keyset(filtered(tx, s, extra), s.sort, s.after).limit(s.limit);
    page_and_count(tx, page, filtered(tx, s, extra)).await
}

/// `query` in `sort`'s order, from after `after` (from the first row without one).
fn keyset(query: DossierQuery, sort: DossierSort, after: Option<&DossierCursor>) -> DossierQuery {
    use dossiers_v1::{folded_name, id, number, submitted_at};
    let mut page = query;
    if let Some(after) = after {
        let at = after.id.as_uuid();
        page = match sort {
            DossierSort::SubmittedFirst | DossierSort::SubmittedLast => {
                let key = DateTime::parse_from_rfc3339(&after.key)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_default();
                if sort == DossierSort::SubmittedFirst {
                    page.filter(submitted_at.gt(key).or(submitted_at.eq(key).and(id.gt(at))))
                } else {
                    page.filter(submitted_at.lt(key).or(submitted_at.eq(key).and(id.lt(at))))
                }
            }
            DossierSort::Name => page.filter(
                folded_name
                    .gt(after.key.clone())
                    .or(folded_name.eq(after.key.clone()).and(id.gt(at))),
            ),
            DossierSort::Number => page.filter(
                number
                    .gt(after.key.clone())
                    .or(number.eq(after.key.clone()).and(id.gt(at))),
            ),
        };
    }
    match sort {
        DossierSort::SubmittedFirst => page.order((submitted_at.asc(), id.asc())),
        DossierSort::SubmittedLast => page.order((submitted_at.desc(), id.desc())),
        DossierSort::Name => page.order((folded_name.asc(), id.asc())),
        DossierSort::Number => page.order((number.asc(), id.asc())),
    }
}

/// Which of a queue's lists a batch reads.
#[derive(Clone, Copy)]
pub enum QueueList<'a> {
    /// Sitting at one of `roots` or below, in one of `states`, with `extra`'s conditions.
    Under {
        /// Where the agent instructs.
        roots: &'a [OrgUnitId],
        /// The tab's states.
        states: &'a [DossierState],
        /// The service's own conditions.
        extra: &'a DossierFilter,
    },
    /// Filed by one of `units`, in one of `states`.
    FiledBy {
        /// The units (their subtrees already expanded).
        units: &'a [OrgUnitId],
        /// The tab's states.
        states: &'a [DossierState],
    },
}

// The service's conditions are a closure: the list says which it is and its states.
impl std::fmt::Debug for QueueList<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Under { roots, states, .. } => f
                .debug_struct("Under")
                .field("roots", roots)
                .field("states", states)
                .finish_non_exhaustive(),
            Self::FiledBy { units, states } => f
                .debug_struct("FiledBy")
                .field("units", units)
                .field("states", states)
                .finish(),
        }
    }
}

/// `limit` dossiers of `list` after `after`, oldest submission first, without a count: an
/// export's batch, by key, so that a dossier moving out of the list meanwhile (taken,
/// transmitted) shifts no other row out of the next batch, and none is read twice.
///
/// # Errors
/// [`DbError`].
pub async fn queue_batch(
    tx: &impl TenantRead,
    list: QueueList<'_>,
    after: Option<&DossierCursor>,
    limit: i64,
) -> Result<Vec<DossierView>, DbError> {
    let query = match list {
        QueueList::Under {
            roots,
            states,
            extra,
        } => super::under(tx, roots, states, extra),
        QueueList::FiledBy { units, states } => {
            let units: Vec<uuid::Uuid> = units.iter().map(OrgUnitId::as_uuid).collect();
            tenant_dossiers(tx)
                .filter(dossiers_v1::unit_id.eq_any(units))
                .filter(dossiers_v1::state.eq_any(state_names(states)))
        }
    };
    let page = keyset(query, DossierSort::SubmittedFirst, after).limit(limit);
    super::load_dossiers(tx, page).await
}
