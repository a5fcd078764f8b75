//! Instruction's queries, over its own schema (`instruction.*`), on the request's tenant
//! transaction. Dossiers are read and moved through `napoleon_db::contracts`.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use napoleon_authz::{Authorized, perm};
use napoleon_db::contracts::{self, dossiers_v1};
use napoleon_db::duplicates::{MatchKind, counterpart_key};
use napoleon_db::{DbError, TenantConn, TenantRead};
use napoleon_kernel::{AgentId, DossierId, OrgUnitId};
use napoleon_rules::dossier::DossierState;

use crate::domain::{OpinionVerdict, ReviewVerdict};

pub(crate) mod views;

diesel::table! {
    instruction.assignments (tenant_id, dossier_id, level_unit_id) {
        tenant_id -> Uuid,
        dossier_id -> Uuid,
        level_unit_id -> Uuid,
        agent_id -> Uuid,
        taken_at -> Timestamptz,
    }
}

diesel::table! {
    /// Intake's contract view `intake.dossiers_v1`, the columns that say where a dossier
    /// sits now: who holds it is read by that level, in a subquery.
    #[sql_name = "dossiers_v1"]
    intake.dossier_levels (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        level_unit_id -> Uuid,
    }
}

diesel::allow_tables_to_appear_in_same_query!(assignments, dossier_levels);

diesel::table! {
    instruction.opinions (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        dossier_id -> Uuid,
        level_unit_id -> Uuid,
        agent_id -> Uuid,
        verdict -> Text,
        motivation -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    instruction.messages (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        dossier_id -> Uuid,
        agent_id -> Uuid,
        body -> Text,
        created_at -> Timestamptz,
    }
}

/// Where a dossier's holder is looked for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AtLevel {
    /// The level a use case read and authorized (a move checks its holder there).
    Known(OrgUnitId),
    /// The level where it sits when the statement runs (read in a subquery, so that the
    /// page sends it with the dossier's own read, in the same round trip).
    Current,
}

/// Who holds the dossier at `level`, if anyone.
pub(crate) async fn assignee(
    tx: &impl TenantRead,
    dossier: DossierId,
    level: AtLevel,
) -> Result<Option<AgentId>, DbError> {
    let tenant = tx.tenant().as_uuid();
    let query = assignments::table
        .filter(assignments::tenant_id.eq(tenant))
        .filter(assignments::dossier_id.eq(dossier.as_uuid()))
        .select(assignments::agent_id)
        .into_boxed();
    let query = match level {
        AtLevel::Known(level) => query.filter(assignments::level_unit_id.eq(level.as_uuid())),
        AtLevel::Current => query.filter(
            assignments::level_unit_id.eq_any(
                dossier_levels::table
                    .filter(dossier_levels::tenant_id.eq(tenant))
                    .filter(dossier_levels::id.eq(dossier.as_uuid()))
                    .select(dossier_levels::level_unit_id),
            ),
        ),
    };
    Ok(query
        .first::<uuid::Uuid>(&mut tx.shared())
        .await
        .optional()?
        .map(AgentId::from_uuid))
}

diesel::define_sql_function! {
    /// `instruction.last_opinion_author` (migration 000026): who gave the dossier's last
    /// opinion at a level, if anyone.
    #[sql_name = "instruction.last_opinion_author"]
    fn last_opinion_author(
        tenant: diesel::sql_types::Uuid,
        dossier: diesel::sql_types::Uuid,
        level: diesel::sql_types::Uuid,
    ) -> diesel::sql_types::Nullable<diesel::sql_types::Uuid>;
}

/// The queue's four eyes, as a condition on intake's contract view: not a dossier waiting
/// for its transmission (« avis rendu ») whose last opinion at its current level is `agent`'s
/// (as [`crate::domain`]'s `opinion_author_at` reads the loaded opinions).
pub(crate) fn not_opined_by(
    query: contracts::DossierQuery,
    agent: AgentId,
) -> contracts::DossierQuery {
    query.filter(diesel::dsl::not(
        dossiers_v1::state
            .eq(DossierState::OpinionGiven.as_str())
            .and(
                last_opinion_author(
                    dossiers_v1::tenant_id,
                    dossiers_v1::id,
                    dossiers_v1::level_unit_id,
                )
                .is_not_distinct_from(agent.as_uuid()),
            ),
    ))
}

diesel::define_sql_function! {
    /// `instruction.holds` (migration 000026): whether the agent took the dossier (at any
    /// level).
    #[sql_name = "instruction.holds"]
    fn holds(
        tenant: diesel::sql_types::Uuid,
        dossier: diesel::sql_types::Uuid,
        agent: diesel::sql_types::Uuid,
    ) -> diesel::sql_types::Bool;
}

/// The queue's « suivis », as a condition on intake's contract view: the dossiers `agent`
/// took (at any level).
pub(crate) fn held_by_agent(
    query: contracts::DossierQuery,
    agent: AgentId,
) -> contracts::DossierQuery {
    query.filter(holds(
        dossiers_v1::tenant_id,
        dossiers_v1::id,
        agent.as_uuid(),
    ))
}

/// Records (or, after a resubmission, renews) who takes the dossier at `level`: the agent
/// authorized to take it there.
pub(crate) async fn assign(
    tx: &mut TenantConn,
    by: &Authorized<perm::InstructionTake>,
    dossier: DossierId,
    level: OrgUnitId,
) -> Result<(), DbError> {
    let agent = by.agent();
    diesel::insert_into(assignments::table)
        .values((
            assignments::tenant_id.eq(tx.tenant().as_uuid()),
            assignments::dossier_id.eq(dossier.as_uuid()),
            assignments::level_unit_id.eq(level.as_uuid()),
            assignments::agent_id.eq(agent.as_uuid()),
        ))
        .on_conflict((
            assignments::tenant_id,
            assignments::dossier_id,
            assignments::level_unit_id,
        ))
        .do_update()
        .set((
            assignments::agent_id.eq(agent.as_uuid()),
            assignments::taken_at.eq(diesel::dsl::now),
        ))
        .execute(tx.pg())
        .await?;
    Ok(())
}

/// One opinion (its `Debug` hides the motivation).
#[derive(Clone)]
pub(crate) struct Opinion {
    pub(crate) level: OrgUnitId,
    pub(crate) agent: AgentId,
    pub(crate) verdict: OpinionVerdict,
    pub(crate) motivation: String,
    pub(crate) at: chrono::DateTime<chrono::Utc>,
}

impl std::fmt::Debug for Opinion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opinion")
            .field("level", &self.level)
            .field("agent", &self.agent)
            .field("verdict", &self.verdict)
            .finish_non_exhaustive()
    }
}

/// Records the opinion of the agent authorized to give it at `level`.
pub(crate) async fn add_opinion(
    tx: &mut TenantConn,
    by: &Authorized<perm::InstructionOpine>,
    dossier: DossierId,
    level: OrgUnitId,
    verdict: OpinionVerdict,
    motivation: &str,
) -> Result<(), DbError> {
    let agent = by.agent();
    diesel::insert_into(opinions::table)
        .values((
            opinions::tenant_id.eq(tx.tenant().as_uuid()),
            opinions::id.eq(uuid::Uuid::now_v7()),
            opinions::dossier_id.eq(dossier.as_uuid()),
            opinions::level_unit_id.eq(level.as_uuid()),
            opinions::agent_id.eq(agent.as_uuid()),
            opinions::verdict.eq(verdict.as_str()),
            opinions::motivation.eq(motivation),
        ))
        .execute(tx.pg())
        .await?;
    Ok(())
}

/// The dossier's opinions, oldest first.
pub(crate) async fn opinions(
    tx: &impl TenantRead,
    dossier: DossierId,
) -> Result<Vec<Opinion>, DbError> {
    Ok(opinions_of(tx, &[dossier])
        .await?
        .remove(&dossier)
        .unwrap_or_default())
}

/// The opinions of each of `dossiers`, oldest first, in one statement (a list shows many).
pub(crate) async fn opinions_of(
    tx: &impl TenantRead,
    dossiers: &[DossierId],
) -> Result<std::collections::HashMap<DossierId, Vec<Opinion>>, DbError> {
    if dossiers.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let tenant = tx.tenant().as_uuid();
    let ids: Vec<uuid::Uuid> = dossiers.iter().map(DossierId::as_uuid).collect();
    let rows: Vec<(
        uuid::Uuid,
        uuid::Uuid,
        uuid::Uuid,
        String,
        String,
        chrono::DateTime<chrono::Utc>,
    )> = opinions::table
        .filter(opinions::tenant_id.eq(tenant))
        .filter(opinions::dossier_id.eq_any(&ids))
        .order((opinions::created_at, opinions::id))
        .select((
            opinions::dossier_id,
            opinions::level_unit_id,
            opinions::agent_id,
            opinions::verdict,
            opinions::motivation,
            opinions::created_at,
        ))
        .load(&mut tx.shared())
        .await?;
    let mut by_dossier: std::collections::HashMap<DossierId, Vec<Opinion>> =
        std::collections::HashMap::new();
    for (dossier, level, agent, verdict, motivation, at) in rows {
        by_dossier
            .entry(DossierId::from_uuid(dossier))
            .or_default()
            .push(Opinion {
                level: OrgUnitId::from_uuid(level),
                agent: AgentId::from_uuid(agent),
                // The column's check allows only the stored names; anything else is a
                // corrupt row, never read as one verdict or the other.
                verdict: OpinionVerdict::parse(&verdict)
                    .ok_or_else(|| DbError::corrupt("verdict", &verdict))?,
                motivation,
                at,
            });
    }
    Ok(by_dossier)
}

/// Records the request for a complement of the agent authorized to return the dossier.
pub(crate) async fn add_message(
    tx: &mut TenantConn,
    by: &Authorized<perm::InstructionReturn>,
    dossier: DossierId,
    body: &str,
) -> Result<(), DbError> {
    let agent = by.agent();
    diesel::insert_into(messages::table)
        .values((
            messages::tenant_id.eq(tx.tenant().as_uuid()),
            messages::id.eq(uuid::Uuid::now_v7()),
            messages::dossier_id.eq(dossier.as_uuid()),
            messages::agent_id.eq(agent.as_uuid()),
            messages::body.eq(body),
        ))
        .execute(tx.pg())
        .await?;
    Ok(())
}

diesel::table! {
    instruction.duplicate_reviews (tenant_id, dossier_id, other_kind, other_id) {
        tenant_id -> Uuid,
        dossier_id -> Uuid,
        other_kind -> Text,
        other_id -> Uuid,
        verdict -> Text,
        match_kind -> Text,
        note -> Text,
        agent_id -> Uuid,
        reviewed_at -> Timestamptz,
    }
}

/// What was said of one possible duplicate of a dossier.
#[derive(Debug, Clone)]
pub(crate) struct DuplicateReview {
    /// `dossier:<uuid>` or `laureate:<uuid>` (`napoleon_db::duplicates::counterpart_key`).
    pub(crate) key: String,
    pub(crate) verdict: ReviewVerdict,
    /// The match as it was then: a review answers for that match only.
    pub(crate) match_kind: MatchKind,
    pub(crate) note: String,
    pub(crate) at: chrono::DateTime<chrono::Utc>,
}

/// What the dossier's possible duplicates were said to be.
pub(crate) async fn duplicate_reviews(
    tx: &impl TenantRead,
    dossier: DossierId,
) -> Result<Vec<DuplicateReview>, DbError> {
    type Row = (
        String,
        uuid::Uuid,
        String,
        String,
        String,
        chrono::DateTime<chrono::Utc>,
    );
    let rows: Vec<Row> = duplicate_reviews::table
        .filter(duplicate_reviews::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(duplicate_reviews::dossier_id.eq(dossier.as_uuid()))
        .select((
            duplicate_reviews::other_kind,
            duplicate_reviews::other_id,
            duplicate_reviews::verdict,
            duplicate_reviews::match_kind,
            duplicate_reviews::note,
            duplicate_reviews::reviewed_at,
        ))
        .load(&mut tx.shared())
        .await?;
    rows.into_iter()
        .map(|(kind, other, verdict, match_kind, note, at)| {
            Ok(DuplicateReview {
                key: counterpart_key(&kind, other),
                verdict: ReviewVerdict::parse(&verdict)
                    .ok_or_else(|| DbError::corrupt("verdict", &verdict))?,
                match_kind: MatchKind::parse(&match_kind)?,
                note,
                at,
            })
        })
        .collect()
}
/// Records what the agent authorized to give the dossier's opinion says of one possible
/// duplicate; said again, it replaces what was said.
pub(crate) async fn record_duplicate_review(
    tx: &mut TenantConn,
    by: &Authorized<perm::InstructionOpine>,
    dossier: DossierId,
    duplicate: &napoleon_db::duplicates::PossibleDuplicate,
    verdict: ReviewVerdict,
    note: &str,
) -> Result<(), DbError> {
    let other = &duplicate.other;
    let match_kind = duplicate.kind.as_str();
    let values = (
        duplicate_reviews::tenant_id.eq(tx.tenant().as_uuid()),
        duplicate_reviews::dossier_id.eq(dossier.as_uuid()),
        duplicate_reviews::other_kind.eq(other.kind_str()),
        duplicate_reviews::other_id.eq(other.uuid()),
        duplicate_reviews::verdict.eq(verdict.as_str()),
        duplicate_reviews::match_kind.eq(match_kind),
        duplicate_reviews::note.eq(note),
        duplicate_reviews::agent_id.eq(by.agent().as_uuid()),
    );
    diesel::insert_into(duplicate_reviews::table)
        .values(values)
        .on_conflict((
            duplicate_reviews::tenant_id,
            duplicate_reviews::dossier_id,
            duplicate_reviews::other_kind,
            duplicate_reviews::other_id,
        ))
        .do_update()
        .set((
            duplicate_reviews::verdict.eq(verdict.as_str()),
            duplicate_reviews::match_kind.eq(match_kind),
            duplicate_reviews::note.eq(note),
            duplicate_reviews::agent_id.eq(by.agent().as_uuid()),
            // The injected clock, as the column's default.
            duplicate_reviews::reviewed_at.eq(diesel::dsl::sql::<diesel::sql_types::Timestamptz>(
                "core.clock_now()",
            )),
        ))
        .execute(tx.pg())
        .await?;
    Ok(())
}
