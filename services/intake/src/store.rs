//! Intake's queries, over its own schema (`intake.*`), each on the request's tenant
//! transaction. Reads of other services' data go through `napoleon_db::contracts`.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use napoleon_authz::{Authorized, perm};
use napoleon_db::{DbError, TenantConn, TenantRead, contracts};
use napoleon_kernel::{
    AgentId, CampaignId, DossierId, IdempotencyKey, LaureateId, OrgUnitId, Personal,
};

use napoleon_rules::content::Content;
use napoleon_rules::dossier::DossierState;
use napoleon_rules::{DistinctionCode, GradeCode};

pub(crate) mod pieces;
pub(crate) mod proposal_imports;

diesel::table! {
    intake.campaigns (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        distinction -> Text,
        label -> Text,
        promotion_date -> Date,
        opens_on -> Date,
        closes_on -> Date,
        bureau_unit_id -> Uuid,
        contingents -> Jsonb,
        created_by -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    intake.number_counters (tenant_id, prefix) {
        tenant_id -> Uuid,
        prefix -> Text,
        last_number -> Int4,
    }
}

diesel::table! {
    intake.dossiers (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        campaign_id -> Uuid,
        unit_id -> Uuid,
        level_unit_id -> Uuid,
        state -> Text,
        number -> Nullable<Text>,
        target_grade -> Text,
        content -> Jsonb,
        laureate_id -> Nullable<Uuid>,
        created_by -> Uuid,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        submitted_at -> Nullable<Timestamptz>,
        version -> Integer,
    }
}

diesel::table! {
    intake.idempotency_keys (tenant_id, agent_id, key) {
        tenant_id -> Uuid,
        agent_id -> Uuid,
        key -> Text,
        fingerprint -> Text,
        dossier_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        campaign_id -> Nullable<Uuid>,
    }
}

/// A new campaign, checked.
#[derive(Debug, Clone)]
pub(crate) struct NewCampaign {
    pub(crate) distinction: DistinctionCode,
    pub(crate) label: String,
    pub(crate) promotion_date: NaiveDate,
    pub(crate) opens_on: NaiveDate,
    pub(crate) closes_on: NaiveDate,
    pub(crate) bureau: OrgUnitId,
    pub(crate) contingents: std::collections::BTreeMap<String, u32>,
}

pub(crate) async fn insert_campaign(
    tx: &mut TenantConn,
    by: &Authorized<perm::CampaignManage>,
    new: &NewCampaign,
) -> Result<CampaignId, DbError> {
    let by = by.agent();
    let id = CampaignId::new();
    let tenant = tx.tenant().as_uuid();
    diesel::insert_into(campaigns::table)
        .values((
            campaigns::tenant_id.eq(tenant),
            campaigns::id.eq(id.as_uuid()),
            campaigns::distinction.eq(new.distinction.as_str()),
            campaigns::label.eq(&new.label),
            campaigns::promotion_date.eq(new.promotion_date),
            campaigns::opens_on.eq(new.opens_on),
            campaigns::closes_on.eq(new.closes_on),
            campaigns::bureau_unit_id.eq(new.bureau.as_uuid()),
            campaigns::contingents.eq(serde_json::to_value(&new.contingents).unwrap_or_default()),
            campaigns::created_by.eq(by.as_uuid()),
        ))
        .execute(tx.pg())
        .await?;
    Ok(id)
}

/// A dossier as intake holds it.
#[derive(Clone)]
pub(crate) struct Dossier {
    pub(crate) id: DossierId,
    pub(crate) campaign_id: CampaignId,
    pub(crate) unit_id: OrgUnitId,
    pub(crate) level_unit_id: OrgUnitId,
    pub(crate) state: DossierState,
    pub(crate) number: Option<String>,
    pub(crate) target_grade: GradeCode,
    pub(crate) content: Personal<Content>,
    pub(crate) laureate_id: Option<LaureateId>,
    /// Bumped by every change (a trigger): what a save names as the version it started from.
    pub(crate) version: i32,
    /// When first submitted.
    pub(crate) submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Its last change (the filed list's order).
    pub(crate) updated_at: chrono::DateTime<chrono::Utc>,
}

/// A row of `intake.dossiers` as stored; [`read_dossier`] parses it.
#[derive(Queryable, Selectable)]
#[diesel(table_name = dossiers, check_for_backend(diesel::pg::Pg))]
struct DossierRow {
    id: uuid::Uuid,
    campaign_id: uuid::Uuid,
    unit_id: uuid::Uuid,
    level_unit_id: uuid::Uuid,
    state: String,
    number: Option<String>,
    target_grade: String,
    content: serde_json::Value,
    laureate_id: Option<uuid::Uuid>,
    version: i32,
    submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

pub(crate) async fn dossier(tx: &mut TenantConn, id: DossierId) -> Result<Dossier, DbError> {
    read_dossier(tx, id, true).await
}

/// The dossier, locked for the transaction when it is about to change (`lock`), so two saves
/// of the same draft queue up; pages and reads do not lock.
pub(crate) async fn read_dossier(
    tx: &impl TenantRead,
    id: DossierId,
    lock: bool,
) -> Result<Dossier, DbError> {
    let tenant = tx.tenant().as_uuid();
    let query = dossiers::table
        .filter(dossiers::tenant_id.eq(tenant))
        .filter(dossiers::id.eq(id.as_uuid()))
        .select(DossierRow::as_select());
    // Locked and read in one statement.
    let row: DossierRow = if lock {
        query.for_update().first(&mut tx.shared()).await?
    } else {
        query.first(&mut tx.shared()).await?
    };
    row.parse()
}

impl DossierRow {
    fn parse(self) -> Result<Dossier, DbError> {
        let row = self;
        Ok(Dossier {
            id: DossierId::from_uuid(row.id),
            campaign_id: CampaignId::from_uuid(row.campaign_id),
            unit_id: OrgUnitId::from_uuid(row.unit_id),
            level_unit_id: OrgUnitId::from_uuid(row.level_unit_id),
            state: contracts::dossier_state(&row.state)?,
            number: row.number,
            target_grade: contracts::grade_code(&row.target_grade)?,
            // Written only from `Content`: a row that no longer parses is an error, never shown
            // empty (a save from an empty form would overwrite what the row still holds).
            content: Personal::new(
                serde_json::from_value(row.content)
                    .map_err(|_| DbError::corrupt("content", "<json>"))?,
            ),
            laureate_id: row.laureate_id.map(LaureateId::from_uuid),
            version: row.version,
            submitted_at: row.submitted_at,
            updated_at: row.updated_at,
        })
    }
}

/// Where a page of filed dossiers starts: after this dossier as it was when listed (its last
/// change and its id). A dossier that moves meanwhile does not move the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FiledCursor {
    pub(crate) updated_at: chrono::DateTime<chrono::Utc>,
    pub(crate) id: DossierId,
}

impl FiledCursor {
    /// `<microseconds since 1970>.<id>`, as the page's link carries it.
    pub(crate) fn render(&self) -> String {
        format!("{}.{}", self.updated_at.timestamp_micros(), self.id)
    }

    pub(crate) fn parse(raw: &str) -> Option<Self> {
        let (micros, id) = raw.split_once('.')?;
        Some(Self {
            updated_at: chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: id.parse().ok()?,
        })
    }
}

/// What a page of a unit's filed dossiers asks.
pub(crate) struct FiledPage<'a> {
    pub(crate) units: &'a [OrgUnitId],
    /// Part of the candidate's names (folded by the database), or the dossier's number.
    pub(crate) search: Option<&'a str>,
    /// The page starts after this (latest change first).
    pub(crate) after: Option<FiledCursor>,
    pub(crate) limit: u16,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: uuid::Uuid,
}

/// A page of the dossiers filed by `units` (any state but draft), latest change first, by
/// keyset on the cursor's own values (no lookup of another dossier). The name is folded by the
/// database and looked for as is (strpos; a search that folds to nothing finds everything).
pub(crate) async fn filed_page(
    tx: &mut TenantConn,
    page: &FiledPage<'_>,
) -> Result<Vec<Dossier>, DbError> {
    use diesel::sql_types::{Array, Integer, Nullable, Text, Uuid as SqlUuid};
    let tenant = tx.tenant().as_uuid();
    let units: Vec<uuid::Uuid> = page.units.iter().map(OrgUnitId::as_uuid).collect();
    let ids: Vec<IdRow> = diesel::sql_query(
        "SELECT d.id FROM intake.dossiers d \
         WHERE d.tenant_id = $1 AND d.unit_id = ANY($2) AND d.state <> $3 \
           AND ($4::text IS NULL OR strpos(d.folded_name, core.fold($4)) > 0 \
                OR d.number = upper(btrim($4))) \
           AND ($5::timestamptz IS NULL OR (d.updated_at, d.id) < ($5, $6::uuid)) \
         ORDER BY d.updated_at DESC, d.id DESC LIMIT $7",
    )
    .bind::<SqlUuid, _>(tenant)
    .bind::<Array<SqlUuid>, _>(&units)
    .bind::<Text, _>(DossierState::Draft.as_str())
    .bind::<Nullable<Text>, _>(page.search)
    .bind::<Nullable<diesel::sql_types::Timestamptz>, _>(page.after.map(|c| c.updated_at))
    .bind::<Nullable<SqlUuid>, _>(page.after.map(|c| c.id.as_uuid()))
    .bind::<Integer, _>(i32::from(page.limit))
    .load(tx.pg())
    .await?;
    let ids: Vec<uuid::Uuid> = ids.into_iter().map(|r| r.id).collect();
    let rows: Vec<DossierRow> = dossiers::table
        .filter(dossiers::tenant_id.eq(tenant))
        .filter(dossiers::id.eq_any(&ids))
        .select(DossierRow::as_select())
        .load(tx.pg())
        .await?;
    let mut found: Vec<Dossier> = rows
        .into_iter()
        .map(DossierRow::parse)
        .collect::<Result<_, _>>()?;
    // In the page's order.
    found.sort_by_key(|d| ids.iter().position(|id| *id == d.id.as_uuid()));
    Ok(found)
}

/// What a create made, as an idempotency key remembers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Created {
    Dossier(DossierId),
    Campaign(CampaignId),
}

/// What an earlier request with this idempotency key created, and whether it asked the same
/// (`fingerprint`).
pub(crate) async fn keyed_creation(
    tx: &mut TenantConn,
    agent: AgentId,
    key: &IdempotencyKey,
    fingerprint: &str,
) -> Result<Option<(Created, bool)>, DbError> {
    let row: Option<(Option<uuid::Uuid>, Option<uuid::Uuid>, String)> = idempotency_keys::table
        .filter(idempotency_keys::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(idempotency_keys::agent_id.eq(agent.as_uuid()))
        .filter(idempotency_keys::key.eq(key.as_str()))
        .select((
            idempotency_keys::dossier_id,
            idempotency_keys::campaign_id,
            idempotency_keys::fingerprint,
        ))
        .first(tx.pg())
        .await
        .optional()?;
    let Some((dossier, campaign, f)) = row else {
        return Ok(None);
    };
    // The table's check: exactly one of the two.
    let created = match (dossier, campaign) {
        (Some(d), None) => Created::Dossier(DossierId::from_uuid(d)),
        (None, Some(c)) => Created::Campaign(CampaignId::from_uuid(c)),
        _ => return Err(DbError::corrupt("idempotency_keys", "<created>")),
    };
    Ok(Some((created, f == fingerprint)))
}

/// Records that `key` created `created`; false when a concurrent request with the same key
/// got there first (the insert waits for it to commit, then finds its row).
pub(crate) async fn remember_key(
    tx: &mut TenantConn,
    agent: AgentId,
    key: &IdempotencyKey,
    fingerprint: &str,
    created: Created,
) -> Result<bool, DbError> {
    let (dossier, campaign) = match created {
        Created::Dossier(d) => (Some(d.as_uuid()), None),
        Created::Campaign(c) => (None, Some(c.as_uuid())),
    };
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::tenant_id.eq(tx.tenant().as_uuid()),
            idempotency_keys::agent_id.eq(agent.as_uuid()),
            idempotency_keys::key.eq(key.as_str()),
            idempotency_keys::fingerprint.eq(fingerprint),
            idempotency_keys::dossier_id.eq(dossier),
            idempotency_keys::campaign_id.eq(campaign),
        ))
        .on_conflict_do_nothing()
        .execute(tx.pg())
        .await?;
    Ok(inserted == 1)
}

/// A draft to create.
pub(crate) struct NewDossier<'a> {
    pub(crate) campaign: CampaignId,
    pub(crate) unit: OrgUnitId,
    pub(crate) target_grade: &'a GradeCode,
    pub(crate) content: &'a Content,
    pub(crate) laureate: Option<LaureateId>,
}

/// Who may create a draft: a rédacteur filing for their unit, or a central agent proposing a
/// laureate for the next grade.
pub(crate) enum DraftBy<'a> {
    /// Filed by its unit.
    Filing(&'a Authorized<perm::NominationCreate>),
    /// Proposed from the radar.
    Proposal(&'a Authorized<perm::RadarPropose>),
}

impl DraftBy<'_> {
    fn agent(&self) -> AgentId {
        match self {
            Self::Filing(p) => p.agent(),
            Self::Proposal(p) => p.agent(),
        }
    }
}

pub(crate) async fn insert_draft(
    tx: &mut TenantConn,
    by: DraftBy<'_>,
    new: &NewDossier<'_>,
) -> Result<DossierId, DbError> {
    let by = by.agent();
    let id = DossierId::new();
    diesel::insert_into(dossiers::table)
        .values((
            dossiers::tenant_id.eq(tx.tenant().as_uuid()),
            dossiers::id.eq(id.as_uuid()),
            dossiers::campaign_id.eq(new.campaign.as_uuid()),
            dossiers::unit_id.eq(new.unit.as_uuid()),
            dossiers::level_unit_id.eq(new.unit.as_uuid()),
            dossiers::state.eq(DossierState::Draft.as_str()),
            dossiers::target_grade.eq(new.target_grade.as_str()),
            dossiers::content.eq(serde_json::to_value(new.content).unwrap_or_default()),
            dossiers::laureate_id.eq(new.laureate.map(|l| l.as_uuid())),
            dossiers::created_by.eq(by.as_uuid()),
        ))
        .execute(tx.pg())
        .await?;
    Ok(id)
}

pub(crate) async fn save_content(
    tx: &mut TenantConn,
    _by: &Authorized<perm::NominationUpdate>,
    id: DossierId,
    target_grade: &GradeCode,
    content: &Content,
) -> Result<(), DbError> {
    diesel::update(
        dossiers::table
            .filter(dossiers::tenant_id.eq(tx.tenant().as_uuid()))
            .filter(dossiers::id.eq(id.as_uuid())),
    )
    .set((
        dossiers::content.eq(serde_json::to_value(content).unwrap_or_default()),
        dossiers::target_grade.eq(target_grade.as_str()),
        dossiers::updated_at.eq(diesel::dsl::now),
    ))
    .execute(tx.pg())
    .await?;
    Ok(())
}

diesel::define_sql_function! {
    /// `intake.number_and_submit` (migrations 000022, 000025): writes the submitted state
    /// itself, keeps the number the row has, and fails when the dossier is not there in a
    /// state that may be submitted.
    #[sql_name = "intake.number_and_submit"]
    fn number_and_submit_fn(
        tenant: diesel::sql_types::Uuid,
        id: diesel::sql_types::Uuid,
        prefix: diesel::sql_types::Text,
    ) -> diesel::sql_types::Text;
}

/// Gives the dossier its number (first submission only: the counter row is locked until
/// commit, so numbers are gapless and unique per prefix) and marks it submitted, keeping the
/// first submission's time, in one statement.
pub(crate) async fn number_and_submit(
    tx: &mut TenantConn,
    _by: &Authorized<perm::NominationSubmit>,
    dossier: &Dossier,
    prefix: &str,
) -> Result<String, DbError> {
    Ok(diesel::select(number_and_submit_fn(
        tx.tenant().as_uuid(),
        dossier.id.as_uuid(),
        prefix,
    ))
    .get_result(tx.pg())
    .await?)
}

/// Drafts and dossiers under complement of the given units, latest first.
pub(crate) async fn editable_of(
    tx: &mut TenantConn,
    units: &[OrgUnitId],
) -> Result<Vec<Dossier>, DbError> {
    let tenant = tx.tenant().as_uuid();
    let ids: Vec<uuid::Uuid> = dossiers::table
        .filter(dossiers::tenant_id.eq(tenant))
        .filter(dossiers::unit_id.eq_any(units.iter().map(OrgUnitId::as_uuid).collect::<Vec<_>>()))
        .filter(dossiers::state.eq_any([
            DossierState::Draft.as_str(),
            DossierState::ComplementRequested.as_str(),
        ]))
        .order(dossiers::updated_at.desc())
        .select(dossiers::id)
        .load(tx.pg())
        .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(read_dossier(tx, DossierId::from_uuid(id), false).await?);
    }
    Ok(out)
}
