//! Decisions' use cases, one file per group: the campaigns and the bureau's board for a
//! campaign (`board`), ranking, deciding and closing the list (`list`), recording the
//! publication — which fills the laureate registry — and each laureate's réception
//! (`publication`). This module keeps what they share: the list's status, the list's order
//! as loaded and stored, an award's campaign, and the reading of typed texts.
//!
//! Each one opens the request's tenant transaction, checks the permission on the campaign's
//! bureau unit, takes the campaign's list lock (changes only), checks the state and the input,
//! changes, journals, and commits; any refusal rolls back with nothing written.

mod board;
pub(crate) mod exports;
pub(crate) mod imports;
mod list;
mod publication;
pub mod registry_import;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use napoleon_db::TenantConn;
use napoleon_db::contracts::{self, CampaignView, DossierView};
use napoleon_kernel::{CampaignId, DossierId};
use napoleon_rules::dossier::DossierState;
use napoleon_rules::fr_date;
use napoleon_web::{ActionResult, FieldError};

use crate::store::{self, Award, List, Ranking};
use crate::tally;

pub(crate) use board::{
    Board, BoardRow, CampaignSummary, board, campaign_of_award, campaign_of_dossier, campaigns,
};
pub(crate) use list::{close, decide, rank};
pub(crate) use publication::{publish, receive};

/// The states of a dossier on the bureau's list: transmitted, decided, published.
pub(crate) const LIST_STATES: [DossierState; 5] = [
    DossierState::Transmitted,
    DossierState::Retained,
    DossierState::Deferred,
    DossierState::Refused,
    DossierState::Published,
];

pub(crate) use napoleon_rules::content::Candidate;

/// How a candidate without a name shows on the board.
pub(crate) const UNNAMED: &str = "(candidat sans nom)";

/// Where the campaign's list stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ListStatus {
    /// The bureau ranks and decides.
    Open,
    /// Frozen, waiting for the decree.
    Closed {
        /// When it was closed.
        closed_at: DateTime<Utc>,
    },
    /// The decree is published: the retained dossiers are awards.
    Published {
        /// When it was closed.
        closed_at: DateTime<Utc>,
        /// The decree's date.
        decree_date: NaiveDate,
        /// « JORF n° 0163 du 15 juillet 2027 ».
        jo_reference: String,
        /// When the publication was recorded.
        published_at: DateTime<Utc>,
    },
}

impl ListStatus {
    fn of(list: Option<&List>) -> Self {
        match list {
            None => Self::Open,
            Some(l) => match (l.decree_date, &l.jo_reference, l.published_at) {
                (Some(decree_date), Some(jo), Some(published_at)) => Self::Published {
                    closed_at: l.closed_at,
                    decree_date,
                    jo_reference: jo.clone(),
                    published_at,
                },
                _ => Self::Closed {
                    closed_at: l.closed_at,
                },
            },
        }
    }

    /// `open`, `closed` or `published`.
    pub(crate) const fn as_str(&self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed { .. } => "closed",
            Self::Published { .. } => "published",
        }
    }

    pub(crate) const fn is_open(&self) -> bool {
        matches!(self, Self::Open)
    }

    pub(crate) const fn closed_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Open => None,
            Self::Closed { closed_at } | Self::Published { closed_at, .. } => Some(*closed_at),
        }
    }

    /// « Liste ouverte », « Liste close le 20/07/2027 »…
    pub(crate) fn label_fr(&self) -> String {
        match self {
            Self::Open => "Liste ouverte : le bureau classe et décide".to_owned(),
            Self::Closed { closed_at } => format!(
                "Liste close le {} : en attente de la publication du décret",
                fr_date(closed_at.date_naive())
            ),
            Self::Published {
                decree_date,
                jo_reference,
                ..
            } => format!(
                "Liste publiée : décret du {}, {jo_reference}",
                fr_date(*decree_date)
            ),
        }
    }
}

/// The campaign's list: its dossiers in order, and their stored rankings.
struct Loaded {
    dossiers: Vec<DossierView>,
    rankings: HashMap<DossierId, Ranking>,
}

impl Loaded {
    fn order(&self) -> Vec<DossierId> {
        self.dossiers.iter().map(|d| d.id).collect()
    }
}

async fn load(tx: &mut TenantConn, campaign: CampaignId) -> ActionResult<Loaded> {
    let mut dossiers = contracts::campaign_dossiers(tx, campaign, &LIST_STATES).await?;
    // Order of arrival, made total (two submissions in the same microsecond).
    dossiers
        .sort_by(|a, b| (a.submitted_at, &a.number, a.id).cmp(&(b.submitted_at, &b.number, b.id)));
    let rankings: HashMap<DossierId, Ranking> = store::rankings(tx, campaign)
        .await?
        .into_iter()
        .map(|r| (r.dossier_id, r))
        .collect();
    let ranks: HashMap<DossierId, i32> = rankings.iter().map(|(id, r)| (*id, r.rank)).collect();
    let arrival: Vec<DossierId> = dossiers.iter().map(|d| d.id).collect();
    let mut by_id: HashMap<DossierId, DossierView> =
        dossiers.into_iter().map(|d| (d.id, d)).collect();
    let dossiers = tally::order(&arrival, &ranks)
        .into_iter()
        .filter_map(|id| by_id.remove(&id))
        .collect();
    Ok(Loaded { dossiers, rankings })
}

/// Stores `order` as the ranks 1, 2, 3… (only the rows that differ are written).
async fn store_order(
    tx: &mut TenantConn,
    campaign: CampaignId,
    order: &[DossierId],
    rankings: &HashMap<DossierId, Ranking>,
) -> ActionResult<()> {
    for (position, id) in order.iter().enumerate() {
        let rank = tally::rank_of(position);
        match rankings.get(id) {
            Some(r) if r.rank == rank => {}
            Some(_) => store::set_rank(tx, *id, rank).await?,
            None => store::insert_ranking(tx, *id, campaign, rank).await?,
        }
    }
    Ok(())
}

/// The campaign an award came through, if any: none for an award without a dossier (an
/// import), and none either when its dossier or campaign is not readable here.
async fn campaign_of(tx: &mut TenantConn, award: &Award) -> ActionResult<Option<CampaignView>> {
    let Some(dossier) = award.dossier_id else {
        return Ok(None);
    };
    let dossier = match contracts::dossier_by_id(tx, dossier).await {
        Ok(d) => d,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    match contracts::campaign_by_id(tx, dossier.campaign_id).await {
        Ok(c) => Ok(Some(c)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A required free text as typed, trimmed. Adds `missing` as `field`'s error when it is blank,
/// or the bound when it is longer than `max` characters (`label` names it in that message).
fn required_text<'a>(
    errors: &mut Vec<FieldError>,
    field: &str,
    label: &str,
    value: &'a str,
    max: usize,
    missing: &str,
) -> &'a str {
    let value = value.trim();
    if value.is_empty() {
        errors.push(FieldError::new(field, missing));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("{label} : {max} caractères au plus."),
        ));
    }
    value
}

#[cfg(test)]
mod tests {
    use napoleon_kernel::AgentId;
    use serde_json::json;

    use super::*;

    #[test]
    fn the_candidate_is_read_from_the_content() {
        let content = json!({"candidate": {"birth_name": "Martin", "usual_name": "Dupont",
            "given_names": "Marie Anne", "sex": "F", "birth_date": "1960-01-02"}, "motifs": "…"});
        let c = Candidate::of_content(&content);
        assert_eq!(c.display_name_or(UNNAMED), "DUPONT Marie Anne");
        assert_eq!(c.sex, "F");
        assert_eq!(format!("{c:?}"), "Candidate(********)");
        assert_eq!(
            Candidate::of_content(&json!({})).display_name_or(UNNAMED),
            "(candidat sans nom)"
        );
        assert_eq!(
            Candidate::of_content(
                &json!({"candidate": {"birth_name": "Durand", "usual_name": " "}})
            )
            .display_name_or(UNNAMED),
            "DURAND"
        );
    }

    #[test]
    fn list_states_read_from_the_stored_list() {
        assert_eq!(ListStatus::of(None), ListStatus::Open);
        let at = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let mut list = List {
            campaign_id: CampaignId::new(),
            closed_at: at,
            closed_by: AgentId::new(),
            decree_date: None,
            jo_reference: None,
            published_at: None,
        };
        assert_eq!(ListStatus::of(Some(&list)).as_str(), "closed");
        list.decree_date = NaiveDate::from_ymd_opt(2027, 7, 14);
        list.jo_reference = Some("JORF n° 0163".to_owned());
        list.published_at = Some(at);
        let status = ListStatus::of(Some(&list));
        assert_eq!(status.as_str(), "published");
        assert_eq!(
            status.label_fr(),
            "Liste publiée : décret du 14/07/2027, JORF n° 0163"
        );
        assert_eq!(status.closed_at(), Some(at));
    }
}
