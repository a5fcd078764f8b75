//! Decisions' queries, over its own schema (`decisions.*`) and the laureate registry it writes
//! (`registry.*`), each on the request's tenant transaction. Dossiers and campaigns are read
//! through `napoleon_db::contracts` (and one count over `intake.dossiers_v1`, below).

pub(crate) mod registry_import;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use napoleon_authz::{Authorized, perm};
use napoleon_db::{DbError, TenantConn};
use napoleon_kernel::{AgentId, AwardId, CampaignId, DossierId, LaureateId, OrgUnitId, TenantId};
use napoleon_rules::dossier::{Decision, DossierState};
use napoleon_rules::{DistinctionCode, GradeCode};

diesel::table! {
    decisions.rankings (tenant_id, dossier_id) {
        tenant_id -> Uuid,
        dossier_id -> Uuid,
        campaign_id -> Uuid,
        rank -> Int4,
        decision -> Nullable<Text>,
        motivation -> Nullable<Text>,
        decided_by -> Nullable<Uuid>,
        decided_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    decisions.lists (tenant_id, campaign_id) {
        tenant_id -> Uuid,
        campaign_id -> Uuid,
        closed_at -> Timestamptz,
        closed_by -> Uuid,
        decree_date -> Nullable<Date>,
        jo_reference -> Nullable<Text>,
        published_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    registry.laureates (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        identity -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    registry.awards (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        laureate_id -> Uuid,
        distinction -> Text,
        grade -> Text,
        decree_date -> Date,
        jo_reference -> Text,
        reception_date -> Nullable<Date>,
        dossier_id -> Nullable<Uuid>,
        unit_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

/// Serialises every change to one campaign's list (ranks, decisions, closing, publication)
/// until the transaction ends: two agents working on the same list wait for each other, so a
/// swap, a closing and a decision never interleave.
pub(crate) async fn lock_campaign(
    tx: &mut TenantConn,
    campaign: CampaignId,
) -> Result<(), DbError> {
    // The same lock as instruction's transmission takes (the shared contract).
    napoleon_db::contracts::lock_campaign_list(tx, campaign).await
}

// Rankings ---------------------------------------------------------------------------------

/// A dossier's row of the list: its stored rank and the bureau's decision (its `Debug` hides
/// the motivation, which often names the candidate).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Ranking {
    pub(crate) dossier_id: DossierId,
    pub(crate) rank: i32,
    pub(crate) decision: Option<Decision>,
    pub(crate) motivation: Option<String>,
    pub(crate) decided_by: Option<AgentId>,
    pub(crate) decided_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for Ranking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ranking")
            .field("dossier_id", &self.dossier_id)
            .field("rank", &self.rank)
            .field("decision", &self.decision)
            .finish_non_exhaustive()
    }
}

/// A row of `decisions.rankings` as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = rankings, check_for_backend(diesel::pg::Pg))]
struct RankingRow {
    dossier_id: uuid::Uuid,
    rank: i32,
    decision: Option<String>,
    motivation: Option<String>,
    decided_by: Option<uuid::Uuid>,
    decided_at: Option<DateTime<Utc>>,
}

/// The campaign's stored rankings, by rank.
pub(crate) async fn rankings(
    tx: &mut TenantConn,
    campaign: CampaignId,
) -> Result<Vec<Ranking>, DbError> {
    let rows: Vec<RankingRow> = rankings::table
        .filter(rankings::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(rankings::campaign_id.eq(campaign.as_uuid()))
        .order((rankings::rank, rankings::dossier_id))
        .select(RankingRow::as_select())
        .load(tx.pg())
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Ranking {
                dossier_id: DossierId::from_uuid(row.dossier_id),
                rank: row.rank,
                decision: row
                    .decision
                    .map(|d| Decision::parse(&d).ok_or_else(|| DbError::corrupt("decision", &d)))
                    .transpose()?,
                motivation: row.motivation,
                decided_by: row.decided_by.map(AgentId::from_uuid),
                decided_at: row.decided_at,
            })
        })
        .collect()
}

/// One dossier's ranking, within the tenant (for the updates that change it).
#[diesel::dsl::auto_type(no_type_alias)]
fn ranking_row(tenant: TenantId, dossier: DossierId) -> _ {
    let tenant: uuid::Uuid = tenant.as_uuid();
    let dossier: uuid::Uuid = dossier.as_uuid();
    rankings::table
        .filter(rankings::tenant_id.eq(tenant))
        .filter(rankings::dossier_id.eq(dossier))
}

/// Gives a dossier its first rank.
pub(crate) async fn insert_ranking(
    tx: &mut TenantConn,
    dossier: DossierId,
    campaign: CampaignId,
    rank: i32,
) -> Result<(), DbError> {
    diesel::insert_into(rankings::table)
        .values((
            rankings::tenant_id.eq(tx.tenant().as_uuid()),
            rankings::dossier_id.eq(dossier.as_uuid()),
            rankings::campaign_id.eq(campaign.as_uuid()),
            rankings::rank.eq(rank),
        ))
        .execute(tx.pg())
        .await?;
    Ok(())
}

/// Changes a dossier's rank.
pub(crate) async fn set_rank(
    tx: &mut TenantConn,
    dossier: DossierId,
    rank: i32,
) -> Result<(), DbError> {
    diesel::update(ranking_row(tx.tenant(), dossier))
        .set(rankings::rank.eq(rank))
        .execute(tx.pg())
        .await?;
    Ok(())
}

/// Records the bureau's decision on a ranked dossier.
pub(crate) async fn set_decision(
    tx: &mut TenantConn,
    by: &Authorized<perm::DecisionDecide>,
    dossier: DossierId,
    decision: Decision,
    motivation: &str,
) -> Result<(), DbError> {
    let by = by.agent();
    diesel::update(ranking_row(tx.tenant(), dossier))
        .set((
            rankings::decision.eq(decision.as_str()),
            rankings::motivation.eq(motivation),
            rankings::decided_by.eq(by.as_uuid()),
            rankings::decided_at.eq(diesel::dsl::now),
        ))
        .execute(tx.pg())
        .await?;
    Ok(())
}

// Lists ------------------------------------------------------------------------------------

/// A campaign's closed list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct List {
    pub(crate) campaign_id: CampaignId,
    pub(crate) closed_at: DateTime<Utc>,
    pub(crate) closed_by: AgentId,
    pub(crate) decree_date: Option<NaiveDate>,
    pub(crate) jo_reference: Option<String>,
    pub(crate) published_at: Option<DateTime<Utc>>,
}

/// A row of `decisions.lists` as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = lists, check_for_backend(diesel::pg::Pg))]
struct ListRow {
    campaign_id: uuid::Uuid,
    closed_at: DateTime<Utc>,
    closed_by: uuid::Uuid,
    decree_date: Option<NaiveDate>,
    jo_reference: Option<String>,
    published_at: Option<DateTime<Utc>>,
}

fn list_of(row: ListRow) -> List {
    List {
        campaign_id: CampaignId::from_uuid(row.campaign_id),
        closed_at: row.closed_at,
        closed_by: AgentId::from_uuid(row.closed_by),
        decree_date: row.decree_date,
        jo_reference: row.jo_reference,
        published_at: row.published_at,
    }
}

/// One campaign's list, within the tenant (read, then published).
#[diesel::dsl::auto_type(no_type_alias)]
fn list_row(tenant: TenantId, campaign: CampaignId) -> _ {
    let tenant: uuid::Uuid = tenant.as_uuid();
    let campaign: uuid::Uuid = campaign.as_uuid();
    lists::table
        .filter(lists::tenant_id.eq(tenant))
        .filter(lists::campaign_id.eq(campaign))
}

/// The campaign's list, once closed.
pub(crate) async fn list(
    tx: &mut TenantConn,
    campaign: CampaignId,
) -> Result<Option<List>, DbError> {
    let row: Option<ListRow> = list_row(tx.tenant(), campaign)
        .select(ListRow::as_select())
        .first(tx.pg())
        .await
        .optional()?;
    Ok(row.map(list_of))
}

/// Every closed list of the tenant.
pub(crate) async fn lists(tx: &mut TenantConn) -> Result<Vec<List>, DbError> {
    let rows: Vec<ListRow> = lists::table
        .filter(lists::tenant_id.eq(tx.tenant().as_uuid()))
        .select(ListRow::as_select())
        .load(tx.pg())
        .await?;
    Ok(rows.into_iter().map(list_of).collect())
}

/// Closes (freezes) the campaign's list.
pub(crate) async fn insert_list(
    tx: &mut TenantConn,
    by: &Authorized<perm::DecisionDecide>,
    campaign: CampaignId,
) -> Result<DateTime<Utc>, DbError> {
    let by = by.agent();
    Ok(diesel::insert_into(lists::table)
        .values((
            lists::tenant_id.eq(tx.tenant().as_uuid()),
            lists::campaign_id.eq(campaign.as_uuid()),
            lists::closed_by.eq(by.as_uuid()),
        ))
        .returning(lists::closed_at)
        .get_result(tx.pg())
        .await?)
}

/// Records the publication of the campaign's closed list.
pub(crate) async fn publish_list(
    tx: &mut TenantConn,
    _by: &Authorized<perm::DecisionPublish>,
    campaign: CampaignId,
    decree_date: NaiveDate,
    jo_reference: &str,
) -> Result<(), DbError> {
    diesel::update(list_row(tx.tenant(), campaign))
        .set((
            lists::decree_date.eq(decree_date),
            lists::jo_reference.eq(jo_reference),
            lists::published_at.eq(diesel::dsl::now),
        ))
        .execute(tx.pg())
        .await?;
    Ok(())
}

// Registry ---------------------------------------------------------------------------------

/// Whether the laureate is in the tenant's registry.
pub(crate) async fn laureate_exists(tx: &mut TenantConn, id: LaureateId) -> Result<bool, DbError> {
    let n: i64 = laureates::table
        .filter(laureates::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(laureates::id.eq(id.as_uuid()))
        .count()
        .get_result(tx.pg())
        .await?;
    Ok(n > 0)
}

/// Adds a person to the registry (`identity`: the dossier's candidate object, as typed).
pub(crate) async fn insert_laureate(
    tx: &mut TenantConn,
    identity: &serde_json::Value,
) -> Result<LaureateId, DbError> {
    let id = LaureateId::new();
    diesel::insert_into(laureates::table)
        .values((
            laureates::tenant_id.eq(tx.tenant().as_uuid()),
            laureates::id.eq(id.as_uuid()),
            laureates::identity.eq(identity),
        ))
        .execute(tx.pg())
        .await?;
    Ok(id)
}

/// An award to create.
#[derive(Debug, Clone)]
pub(crate) struct NewAward<'a> {
    pub(crate) laureate: LaureateId,
    pub(crate) distinction: &'a DistinctionCode,
    pub(crate) grade: &'a GradeCode,
    pub(crate) decree_date: NaiveDate,
    pub(crate) jo_reference: &'a str,
    pub(crate) dossier: DossierId,
    pub(crate) unit: OrgUnitId,
}

pub(crate) async fn insert_award(
    tx: &mut TenantConn,
    new: &NewAward<'_>,
) -> Result<AwardId, DbError> {
    let id = AwardId::new();
    diesel::insert_into(awards::table)
        .values((
            awards::tenant_id.eq(tx.tenant().as_uuid()),
            awards::id.eq(id.as_uuid()),
            awards::laureate_id.eq(new.laureate.as_uuid()),
            awards::distinction.eq(new.distinction.as_str()),
            awards::grade.eq(new.grade.as_str()),
            awards::decree_date.eq(new.decree_date),
            awards::jo_reference.eq(new.jo_reference),
            awards::dossier_id.eq(new.dossier.as_uuid()),
            awards::unit_id.eq(new.unit.as_uuid()),
        ))
        .execute(tx.pg())
        .await?;
    Ok(id)
}

/// A career period to record for a laureate.
#[derive(Clone)]
pub(crate) struct NewPeriod {
    pub(crate) from: NaiveDate,
    pub(crate) to: Option<NaiveDate>,
    pub(crate) kind: &'static str,
    pub(crate) position: String,
}

/// Records a laureate's career periods (those already there, same start and kind, are kept
/// as they are); how many were added.
pub(crate) async fn record_career(
    tx: &mut TenantConn,
    laureate: LaureateId,
    periods: &[NewPeriod],
) -> Result<u64, DbError> {
    use diesel::sql_types::{Array, Date, Nullable};
    if periods.is_empty() {
        return Ok(0);
    }
    let ids: Vec<uuid::Uuid> = periods.iter().map(|_| uuid::Uuid::now_v7()).collect();
    let from: Vec<NaiveDate> = periods.iter().map(|p| p.from).collect();
    let to: Vec<Option<NaiveDate>> = periods.iter().map(|p| p.to).collect();
    let kinds: Vec<&str> = periods.iter().map(|p| p.kind).collect();
    let positions: Vec<&str> = periods.iter().map(|p| p.position.as_str()).collect();
    let added = diesel::sql_query(
        "INSERT INTO registry.service_periods (tenant_id, id, laureate_id, starts_on, ends_on, \
           kind, position) \
         SELECT $1, p.id, $2, p.starts_on, p.ends_on, p.kind, p.position \
         FROM unnest($3::uuid[], $4::date[], $5::date[], $6::text[], $7::text[]) \
           AS p(id, starts_on, ends_on, kind, position) \
         ON CONFLICT (tenant_id, laureate_id, starts_on, kind) DO NOTHING",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<SqlUuid, _>(laureate.as_uuid())
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Array<Date>, _>(from)
    .bind::<Array<Nullable<Date>>, _>(to)
    .bind::<Array<Text>, _>(kinds)
    .bind::<Array<Text>, _>(positions)
    .execute(tx.pg())
    .await?;
    Ok(added as u64)
}

/// An award of the registry, as decisions reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Award {
    pub(crate) id: AwardId,
    pub(crate) laureate_id: LaureateId,
    pub(crate) grade: GradeCode,
    pub(crate) decree_date: NaiveDate,
    pub(crate) jo_reference: String,
    pub(crate) reception_date: Option<NaiveDate>,
    pub(crate) dossier_id: Option<DossierId>,
}

/// A row of `registry.awards` as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = awards, check_for_backend(diesel::pg::Pg))]
struct AwardRow {
    id: uuid::Uuid,
    laureate_id: uuid::Uuid,
    dossier_id: Option<uuid::Uuid>,
    grade: String,
    decree_date: NaiveDate,
    jo_reference: String,
    reception_date: Option<NaiveDate>,
}

fn award_of(row: AwardRow) -> Result<Award, DbError> {
    Ok(Award {
        id: AwardId::from_uuid(row.id),
        laureate_id: LaureateId::from_uuid(row.laureate_id),
        grade: napoleon_db::contracts::grade_code(&row.grade)?,
        decree_date: row.decree_date,
        jo_reference: row.jo_reference,
        reception_date: row.reception_date,
        dossier_id: row.dossier_id.map(DossierId::from_uuid),
    })
}

/// One award, within the tenant (read, then given its réception).
#[diesel::dsl::auto_type(no_type_alias)]
fn award_row(tenant: TenantId, id: AwardId) -> _ {
    let tenant: uuid::Uuid = tenant.as_uuid();
    let id: uuid::Uuid = id.as_uuid();
    awards::table
        .filter(awards::tenant_id.eq(tenant))
        .filter(awards::id.eq(id))
}

/// One award, locked until the transaction ends ([`DbError::is_not_found`] otherwise).
pub(crate) async fn award_for_update(tx: &mut TenantConn, id: AwardId) -> Result<Award, DbError> {
    let row: AwardRow = award_row(tx.tenant(), id)
        .select(AwardRow::as_select())
        .for_update()
        .first(tx.pg())
        .await?;
    award_of(row)
}

/// The awards that came from these dossiers.
pub(crate) async fn awards_of(
    tx: &mut TenantConn,
    dossiers: &[DossierId],
) -> Result<Vec<Award>, DbError> {
    let ids: Vec<uuid::Uuid> = dossiers.iter().map(DossierId::as_uuid).collect();
    let rows: Vec<AwardRow> = awards::table
        .filter(awards::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(awards::dossier_id.eq_any(ids))
        .select(AwardRow::as_select())
        .load(tx.pg())
        .await?;
    rows.into_iter().map(award_of).collect()
}

/// Records the laureate's réception (prise de rang).
pub(crate) async fn set_reception(
    tx: &mut TenantConn,
    _by: &Authorized<perm::DecisionReceive>,
    id: AwardId,
    date: NaiveDate,
) -> Result<(), DbError> {
    diesel::update(award_row(tx.tenant(), id))
        .set(awards::reception_date.eq(date))
        .execute(tx.pg())
        .await?;
    Ok(())
}

// Counts over intake's contract view ---------------------------------------------------------

/// How many dossiers each campaign has in each of `states` (read through `intake.dossiers_v1`).
pub(crate) async fn campaign_state_counts(
    tx: &mut TenantConn,
    states: &[DossierState],
) -> Result<Vec<(CampaignId, DossierState, i64)>, DbError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = SqlUuid)]
        campaign_id: uuid::Uuid,
        #[diesel(sql_type = Text)]
        state: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let rows: Vec<Count> = diesel::sql_query(
        "SELECT campaign_id, state, count(*) AS n FROM intake.dossiers_v1 \
         WHERE tenant_id = $1 AND state = ANY ($2) GROUP BY campaign_id, state",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<diesel::sql_types::Array<Text>, _>(
        states.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    )
    .load(tx.pg())
    .await?;
    rows.into_iter()
        .map(|c| {
            Ok((
                CampaignId::from_uuid(c.campaign_id),
                napoleon_db::contracts::dossier_state(&c.state)?,
                c.n,
            ))
        })
        .collect()
}
