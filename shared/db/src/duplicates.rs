//! Possible duplicates of a dossier (issue 18, Build 6): the same person in another open
//! dossier of the tenant for the same distinction, or already holding the proposed grade in
//! the registry. Read through the contract views (`intake.dossiers_v1`,
//! `registry.laureates_v1`, `registry.awards_v1`) with the keys migration 000037 stores: the
//! folded birth name and first given name (`name_key`), the birth date as ISO text (`born`),
//! and the folded names for trigram similarity. A warning for agents, never a block.

use chrono::NaiveDate;
use diesel::sql_types::{Array, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use napoleon_kernel::{CampaignId, DossierId, LaureateId, OrgUnitId};
use napoleon_rules::GradeCode;
use napoleon_rules::dossier::DossierState;

use crate::contracts::{dossier_state, grade_code};
use crate::{DbError, TenantRead};

/// How close two folded names must be (pg_trgm's similarity, 0 to 1) to count as the same
/// person when the birth dates agree. « lambert jeanne marie » and « lambart jeanne marie »
/// score 0.75; a usual name added, 0.75; two unrelated names, 0.
pub const CLOSE_NAME: f32 = 0.6;

/// The most possible duplicates read for one dossier, the surest first (a common name
/// against a large registry).
pub const MAX_FOUND: i32 = 20;

/// How sure a possible duplicate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchKind {
    /// The same birth name, first given name and birth date.
    Exact,
    /// The same birth date and a close name.
    Close,
    /// The same birth name and first given name, another birth date (or none yet).
    Homonym,
}

impl MatchKind {
    /// The stored name (`instruction.duplicate_reviews`, the journal).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Close => "close",
            Self::Homonym => "homonym",
        }
    }

    /// The kind of a stored name (a row of the function's answer, a review's `match_kind`).
    ///
    /// # Errors
    /// [`DbError::Corrupt`] for any other name.
    pub fn parse(raw: &str) -> Result<Self, DbError> {
        match raw {
            "exact" => Ok(Self::Exact),
            "close" => Ok(Self::Close),
            "homonym" => Ok(Self::Homonym),
            other => Err(DbError::corrupt("match kind", other)),
        }
    }

    /// What a page calls it.
    #[must_use]
    pub const fn label_fr(self) -> &'static str {
        match self {
            Self::Exact => "Doublon probable : même identité",
            Self::Close => "Doublon possible : nom proche, même date de naissance",
            Self::Homonym => "Homonyme possible, à vérifier",
        }
    }
}

/// What the dossier may duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counterpart {
    /// Another open dossier of the tenant, same distinction.
    Dossier {
        /// Its id.
        id: DossierId,
        /// Its number, once submitted.
        number: Option<String>,
        /// Its filing unit, and that unit's name.
        unit: (OrgUnitId, String),
        /// Where it is instructed now.
        level_unit_id: OrgUnitId,
        /// Its state.
        state: DossierState,
        /// Its campaign, and the campaign's label.
        campaign: (CampaignId, String),
    },
    /// A laureate of the registry holding the grade the dossier proposes.
    Laureate {
        /// The laureate.
        id: LaureateId,
        /// The grade held.
        grade: GradeCode,
        /// Its decree.
        decree_date: NaiveDate,
    },
}

impl Counterpart {
    /// `dossier` or `laureate`, as `instruction.duplicate_reviews.other_kind` keeps it.
    #[must_use]
    pub const fn kind_str(&self) -> &'static str {
        match self {
            Self::Dossier { .. } => "dossier",
            Self::Laureate { .. } => "laureate",
        }
    }

    /// The counterpart's id.
    #[must_use]
    pub fn uuid(&self) -> uuid::Uuid {
        match self {
            Self::Dossier { id, .. } => id.as_uuid(),
            Self::Laureate { id, .. } => id.as_uuid(),
        }
    }

    /// What a review form and a stored review name it: [`counterpart_key`].
    #[must_use]
    pub fn key(&self) -> String {
        counterpart_key(self.kind_str(), self.uuid())
    }
}

/// A counterpart's key, `dossier:<uuid>` or `laureate:<uuid>`, from its kind and id as
/// `instruction.duplicate_reviews` keeps them: the one format pages, forms and reviews share.
#[must_use]
pub fn counterpart_key(kind: &str, id: uuid::Uuid) -> String {
    format!("{kind}:{id}")
}

/// One possible duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PossibleDuplicate {
    /// How sure.
    pub kind: MatchKind,
    /// Of what.
    pub other: Counterpart,
}

/// One row of `intake.possible_duplicates`'s array.
#[derive(serde::Deserialize)]
struct Row {
    source: String,
    kind: String,
    other_id: uuid::Uuid,
    number: Option<String>,
    unit_id: Option<uuid::Uuid>,
    unit_name: Option<String>,
    level_unit_id: Option<uuid::Uuid>,
    state: Option<String>,
    campaign_id: Option<uuid::Uuid>,
    campaign_label: Option<String>,
    grade: Option<String>,
    decree_date: Option<NaiveDate>,
}

/// The states in which a dossier is no longer a proposal: refused, or published (its
/// laureate is then in the registry, compared there).
const CLOSED: [DossierState; 2] = [DossierState::Refused, DossierState::Published];

diesel::define_sql_function! {
    /// `intake.possible_duplicates` (migration 000037): the rows below as a JSON array, one
    /// statement the connection keeps prepared (pipelined with a page's other reads).
    #[sql_name = "intake.possible_duplicates"]
    fn possible_duplicates_fn(
        tenant: SqlUuid,
        dossier: SqlUuid,
        closed: Array<Text>,
        close: diesel::sql_types::Float4,
        limit: diesel::sql_types::Integer,
    ) -> diesel::sql_types::Jsonb;
}

/// The possible duplicates of dossier `id` (none when it names nobody yet), the surest
/// first, dossiers before laureates, at most [`MAX_FOUND`]; all of them (what an agent may
/// be told of: `napoleon_web::visible_duplicates`).
///
/// # Errors
/// [`DbError`].
pub async fn possible_duplicates(
    tx: &impl TenantRead,
    id: DossierId,
) -> Result<Vec<PossibleDuplicate>, DbError> {
    let closed: Vec<&str> = CLOSED.iter().map(|s| s.as_str()).collect();
    let json: serde_json::Value = diesel::select(possible_duplicates_fn(
        tx.tenant().as_uuid(),
        id.as_uuid(),
        closed,
        CLOSE_NAME,
        MAX_FOUND,
    ))
    .get_result(&mut tx.shared())
    .await?;
    let rows: Vec<Row> = serde_json::from_value(json)
        .map_err(|_| DbError::corrupt("possible_duplicates", "<json>"))?;
    let mut found = rows.into_iter().map(parse).collect::<Result<Vec<_>, _>>()?;
    found.sort_by(|a, b| {
        (a.kind, a.other.kind_str(), a.other.uuid()).cmp(&(
            b.kind,
            b.other.kind_str(),
            b.other.uuid(),
        ))
    });
    Ok(found)
}

fn parse(row: Row) -> Result<PossibleDuplicate, DbError> {
    let missing = |what: &str| DbError::corrupt(what, "NULL");
    let other = if row.source == "dossier" {
        Counterpart::Dossier {
            id: DossierId::from_uuid(row.other_id),
            number: row.number,
            unit: (
                OrgUnitId::from_uuid(row.unit_id.ok_or_else(|| missing("unit"))?),
                row.unit_name.unwrap_or_default(),
            ),
            level_unit_id: OrgUnitId::from_uuid(row.level_unit_id.ok_or_else(|| missing("level"))?),
            state: dossier_state(row.state.as_deref().unwrap_or_default())?,
            campaign: (
                CampaignId::from_uuid(row.campaign_id.ok_or_else(|| missing("campaign"))?),
                row.campaign_label.unwrap_or_default(),
            ),
        }
    } else {
        Counterpart::Laureate {
            id: LaureateId::from_uuid(row.other_id),
            grade: grade_code(row.grade.as_deref().unwrap_or_default())?,
            decree_date: row.decree_date.ok_or_else(|| missing("decree date"))?,
        }
    };
    Ok(PossibleDuplicate {
        kind: MatchKind::parse(&row.kind)?,
        other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_surest_come_first() {
        assert!(MatchKind::Exact < MatchKind::Close);
        assert!(MatchKind::Close < MatchKind::Homonym);
        for kind in [MatchKind::Exact, MatchKind::Close, MatchKind::Homonym] {
            assert_eq!(MatchKind::parse(kind.as_str()).ok(), Some(kind));
        }
        assert!(MatchKind::parse("autre").is_err());
    }
}
