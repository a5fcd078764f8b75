//! The cross-service contracts in the database: the `_v1` views a service reads from another
//! service's schema, and `intake.move_dossier`, the one function by which instruction and
//! decisions move a dossier (ARCHITECTURE.md, "Cross-service contracts"). Views are
//! `security_invoker`: row-level security applies to the reader's tenant.

use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Nullable, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use napoleon_kernel::{CampaignId, DossierId, LaureateId, OrgUnitId, Personal};
use napoleon_rules::dossier::DossierState;
use napoleon_rules::{DistinctionCode, GradeCode};

use crate::{DbError, TenantConn, TenantRead};

mod search;
pub use search::{
    DossierCursor, DossierSearch, DossierSort, QueueList, dossier_search, queue_batch,
};

diesel::table! {
    /// `intake.campaigns_v1`.
    intake.campaigns_v1 (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        distinction -> Text,
        label -> Text,
        promotion_date -> Date,
        opens_on -> Date,
        closes_on -> Date,
        bureau_unit_id -> Uuid,
        contingents -> Jsonb,
    }
}

diesel::table! {
    /// `intake.dossiers_v1`.
    intake.dossiers_v1 (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        campaign_id -> Uuid,
        distinction -> Text,
        unit_id -> Uuid,
        level_unit_id -> Uuid,
        state -> Text,
        number -> Nullable<Text>,
        target_grade -> Text,
        content -> Jsonb,
        laureate_id -> Nullable<Uuid>,
        submitted_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
        name_key -> Nullable<Text>,
        born -> Nullable<Text>,
        folded_name -> Text,
    }
}

diesel::table! {
    /// `registry.awards_v1`.
    registry.awards_v1 (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        laureate_id -> Uuid,
        identity -> Jsonb,
        distinction -> Text,
        grade -> Text,
        decree_date -> Date,
        jo_reference -> Text,
        reception_date -> Nullable<Date>,
        dossier_id -> Nullable<Uuid>,
        unit_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    /// `instruction.opinions_v1`.
    instruction.opinions_v1 (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        dossier_id -> Uuid,
        level_unit_id -> Uuid,
        unit_name -> Text,
        author -> Text,
        verdict -> Text,
        motivation -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// `intake.pieces_v1`.
    intake.pieces_v1 (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        dossier_id -> Uuid,
        piece_code -> Text,
        name -> Text,
        sniffed_type -> Text,
        size_bytes -> Int8,
        scan_state -> Text,
        current -> Bool,
        uploaded_at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(campaigns_v1, dossiers_v1);

/// A piece of a dossier, as `intake.pieces_v1` documents it (its bytes are intake's to
/// serve: `/intake/dossiers/{dossier}/pieces/{id}`).
#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = pieces_v1, check_for_backend(diesel::pg::Pg))]
pub struct PieceView {
    /// Its id.
    pub id: uuid::Uuid,
    /// The catalogue's kind of piece (`b2`).
    pub piece_code: String,
    /// The name given, sanitised (it may name the candidate: shown, never logged).
    pub name: String,
    /// `pdf`, `jpeg`, `png`, `odt`, `docx`.
    pub sniffed_type: String,
    /// Its size in bytes.
    pub size_bytes: i64,
    /// `pending`, `clean`, `infected`.
    pub scan_state: String,
    /// Neither replaced nor removed.
    pub current: bool,
}

impl std::fmt::Debug for PieceView {
    /// Its name may name the candidate: never in a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PieceView")
            .field("id", &self.id)
            .field("piece_code", &self.piece_code)
            .field("scan_state", &self.scan_state)
            .finish_non_exhaustive()
    }
}

/// The pieces of `dossier`, current and withdrawn, oldest first.
///
/// # Errors
/// [`DbError`].
pub async fn pieces_of(
    tx: &impl TenantRead,
    dossier: DossierId,
) -> Result<Vec<PieceView>, DbError> {
    Ok(pieces_v1::table
        .filter(pieces_v1::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(pieces_v1::dossier_id.eq(dossier.as_uuid()))
        .order((pieces_v1::uploaded_at.asc(), pieces_v1::id.asc()))
        .select(PieceView::as_select())
        .load(&mut tx.shared())
        .await?)
}

/// An opinion given on a dossier, as `instruction.opinions_v1` documents it.
#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = opinions_v1, check_for_backend(diesel::pg::Pg))]
pub struct OpinionView {
    /// The level it was given at.
    pub unit_name: String,
    /// Its author as the tenant knows them (« Claire Martin »; empty when unknown).
    pub author: String,
    /// `favorable` or `defavorable`.
    pub verdict: String,
    /// Its motivation.
    pub motivation: String,
    /// When.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl std::fmt::Debug for OpinionView {
    /// Its author and motivation are personal data: never in a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpinionView")
            .field("verdict", &self.verdict)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// The opinions given on `dossier`, oldest first.
///
/// # Errors
/// [`DbError`].
pub async fn opinions_of(
    tx: &impl TenantRead,
    dossier: DossierId,
) -> Result<Vec<OpinionView>, DbError> {
    Ok(opinions_v1::table
        .filter(opinions_v1::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(opinions_v1::dossier_id.eq(dossier.as_uuid()))
        .order((opinions_v1::created_at.asc(), opinions_v1::id.asc()))
        .select(OpinionView::as_select())
        .load(&mut tx.shared())
        .await?)
}

/// A campaign as other services see it.
#[derive(Debug, Clone)]
pub struct CampaignView {
    /// Its id.
    pub id: CampaignId,
    /// Distinction code (`LH`).
    pub distinction: DistinctionCode,
    /// « Légion d'honneur — promotion du 14 juillet 2027 ».
    pub label: String,
    /// The promotion date (eligibility is assessed on it).
    pub promotion_date: chrono::NaiveDate,
    /// Filing window.
    pub opens_on: chrono::NaiveDate,
    /// Filing window.
    pub closes_on: chrono::NaiveDate,
    /// The bureau that receives transmitted dossiers and decides.
    pub bureau_unit_id: OrgUnitId,
    /// Places per grade.
    pub contingents: std::collections::BTreeMap<String, u32>,
}

/// A row of `intake.campaigns_v1` as stored; [`campaign`] parses it.
#[derive(Queryable, Selectable)]
#[diesel(table_name = campaigns_v1, check_for_backend(diesel::pg::Pg))]
struct CampaignRow {
    id: uuid::Uuid,
    distinction: String,
    label: String,
    promotion_date: chrono::NaiveDate,
    opens_on: chrono::NaiveDate,
    closes_on: chrono::NaiveDate,
    bureau_unit_id: uuid::Uuid,
    contingents: serde_json::Value,
}

fn campaign(row: CampaignRow) -> Result<CampaignView, DbError> {
    Ok(CampaignView {
        id: CampaignId::from_uuid(row.id),
        distinction: distinction_code(&row.distinction)?,
        label: row.label,
        promotion_date: row.promotion_date,
        opens_on: row.opens_on,
        closes_on: row.closes_on,
        bureau_unit_id: OrgUnitId::from_uuid(row.bureau_unit_id),
        contingents: serde_json::from_value(row.contingents)
            .map_err(|_| DbError::corrupt("contingents", "<json>"))?,
    })
}

/// Stored codes and states, parsed at this boundary: a value that no longer parses is an
/// error, never a default.
pub fn distinction_code(raw: &str) -> Result<DistinctionCode, DbError> {
    DistinctionCode::parse(raw).map_err(|_| DbError::corrupt("distinction", raw))
}

/// See [`distinction_code`].
pub fn grade_code(raw: &str) -> Result<GradeCode, DbError> {
    GradeCode::parse(raw).map_err(|_| DbError::corrupt("grade", raw))
}

/// See [`distinction_code`].
pub fn dossier_state(raw: &str) -> Result<DossierState, DbError> {
    DossierState::parse(raw).ok_or_else(|| DbError::corrupt("state", raw))
}

fn state_names(states: &[DossierState]) -> Vec<&'static str> {
    states.iter().map(|s| s.as_str()).collect()
}

/// The tenant's campaigns, latest promotion first.
///
/// # Errors
/// [`DbError`].
pub async fn campaigns(tx: &mut TenantConn) -> Result<Vec<CampaignView>, DbError> {
    let tenant = tx.tenant().as_uuid();
    let rows: Vec<CampaignRow> = campaigns_v1::table
        .filter(campaigns_v1::tenant_id.eq(tenant))
        .order((campaigns_v1::promotion_date.desc(), campaigns_v1::label))
        .select(CampaignRow::as_select())
        .load(tx.pg())
        .await?;
    rows.into_iter().map(campaign).collect()
}

/// One campaign of the tenant ([`DbError::is_not_found`] otherwise).
///
/// # Errors
/// [`DbError`].
pub async fn campaign_by_id(tx: &impl TenantRead, id: CampaignId) -> Result<CampaignView, DbError> {
    let tenant = tx.tenant().as_uuid();
    let row: CampaignRow = campaigns_v1::table
        .filter(campaigns_v1::tenant_id.eq(tenant))
        .filter(campaigns_v1::id.eq(id.as_uuid()))
        .select(CampaignRow::as_select())
        .first(&mut tx.shared())
        .await?;
    campaign(row)
}

/// The campaign of a dossier, by the dossier's id: read in the same round trip as the
/// dossier itself (both sent behind the transaction's `BEGIN`).
///
/// # Errors
/// [`DbError`] (not found when the dossier is unknown here).
pub async fn campaign_of_dossier(
    tx: &impl TenantRead,
    dossier: DossierId,
) -> Result<CampaignView, DbError> {
    let tenant = tx.tenant().as_uuid();
    let row: CampaignRow = campaigns_v1::table
        .filter(campaigns_v1::tenant_id.eq(tenant))
        .filter(
            campaigns_v1::id.eq_any(
                dossiers_v1::table
                    .filter(dossiers_v1::tenant_id.eq(tenant))
                    .filter(dossiers_v1::id.eq(dossier.as_uuid()))
                    .select(dossiers_v1::campaign_id),
            ),
        )
        .select(CampaignRow::as_select())
        .first(&mut tx.shared())
        .await?;
    campaign(row)
}

/// A dossier as other services see it.
#[derive(Debug, Clone)]
pub struct DossierView {
    /// Its id.
    pub id: DossierId,
    /// Its campaign.
    pub campaign_id: CampaignId,
    /// The campaign's distinction.
    pub distinction: DistinctionCode,
    /// The filing unit.
    pub unit_id: OrgUnitId,
    /// Where it is instructed now.
    pub level_unit_id: OrgUnitId,
    /// Where it is in the circuit.
    pub state: DossierState,
    /// Its number, once submitted.
    pub number: Option<String>,
    /// Proposed grade.
    pub target_grade: GradeCode,
    /// The dossier's content (`napoleon_intake` documents its shape).
    pub content: Personal<serde_json::Value>,
    /// The registry laureate it proposes for promotion, if any.
    pub laureate_id: Option<LaureateId>,
    /// When first submitted.
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The candidate's names folded (`core.fold`): what a search by name compares, and its
    /// order (personal data: masked in `Debug`).
    pub folded_name: Personal<String>,
}

impl DossierView {
    /// Whether it is still a draft (its filing unit's alone).
    #[must_use]
    pub fn is_draft(&self) -> bool {
        self.state == DossierState::Draft
    }
}

/// A row of `intake.dossiers_v1` as stored; [`dossier`] parses it.
#[derive(Queryable, Selectable)]
#[diesel(table_name = dossiers_v1, check_for_backend(diesel::pg::Pg))]
struct DossierRow {
    id: uuid::Uuid,
    campaign_id: uuid::Uuid,
    distinction: String,
    unit_id: uuid::Uuid,
    level_unit_id: uuid::Uuid,
    state: String,
    number: Option<String>,
    target_grade: String,
    content: serde_json::Value,
    laureate_id: Option<uuid::Uuid>,
    submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    folded_name: String,
}

fn dossier(row: DossierRow) -> Result<DossierView, DbError> {
    Ok(DossierView {
        id: DossierId::from_uuid(row.id),
        campaign_id: CampaignId::from_uuid(row.campaign_id),
        distinction: distinction_code(&row.distinction)?,
        unit_id: OrgUnitId::from_uuid(row.unit_id),
        level_unit_id: OrgUnitId::from_uuid(row.level_unit_id),
        state: dossier_state(&row.state)?,
        number: row.number,
        target_grade: grade_code(&row.target_grade)?,
        content: Personal::new(row.content),
        laureate_id: row.laureate_id.map(LaureateId::from_uuid),
        submitted_at: row.submitted_at,
        folded_name: Personal::new(row.folded_name),
    })
}

/// One dossier of the tenant ([`DbError::is_not_found`] otherwise).
///
/// # Errors
/// [`DbError`].
pub async fn dossier_by_id(tx: &impl TenantRead, id: DossierId) -> Result<DossierView, DbError> {
    let tenant = tx.tenant().as_uuid();
    let row: DossierRow = dossiers_v1::table
        .filter(dossiers_v1::tenant_id.eq(tenant))
        .filter(dossiers_v1::id.eq(id.as_uuid()))
        .select(DossierRow::as_select())
        .first(&mut tx.shared())
        .await?;
    dossier(row)
}

/// The tenant's dossiers, to be narrowed by the caller: every dossier query starts here, so
/// none forgets the tenant filter (row-level security is the second barrier).
fn tenant_dossiers(tx: &impl TenantRead) -> dossiers_v1::BoxedQuery<'static, diesel::pg::Pg> {
    dossiers_v1::table
        .filter(dossiers_v1::tenant_id.eq(tx.tenant().as_uuid()))
        .into_boxed()
}

/// Runs a dossier query and reads its rows as views.
async fn load_dossiers(
    tx: &impl TenantRead,
    query: dossiers_v1::BoxedQuery<'static, diesel::pg::Pg>,
) -> Result<Vec<DossierView>, DbError> {
    let rows: Vec<DossierRow> = query
        .select(DossierRow::as_select())
        .load(&mut tx.shared())
        .await?;
    rows.into_iter().map(dossier).collect()
}

diesel::define_sql_function! {
    /// `core.subtree_units` (migrations 000024, 000025): the units and everything below them,
    /// as rows (a set-returning function: in `IN (SELECT …)`, found once per query); only
    /// roots that exist among the transaction's tenant's units, and an error for another
    /// tenant.
    #[sql_name = "core.subtree_units"]
    fn subtree_units(tenant: SqlUuid, roots: Array<SqlUuid>) -> SqlUuid;
}

/// A query of the contract view's dossiers, for a service to add its conditions to.
pub type DossierQuery = dossiers_v1::BoxedQuery<'static, diesel::pg::Pg>;

/// The conditions a service adds to a list of dossiers (e.g. instruction's four eyes, in a
/// subquery on its own tables).
pub type DossierFilter = dyn Fn(DossierQuery) -> DossierQuery + Sync;

/// One page of a list of dossiers, and how many the list holds.
#[derive(Debug)]
pub struct DossierPage {
    /// The page's dossiers, in the list's order.
    pub dossiers: Vec<DossierView>,
    /// The whole list's count.
    pub total: i64,
}

/// The dossiers whose current level is one of `roots` or below them, in one of `states`
/// (all states but draft when empty), with `extra`'s conditions.
fn under(
    tx: &impl TenantRead,
    roots: &[OrgUnitId],
    states: &[DossierState],
    extra: &DossierFilter,
) -> DossierQuery {
    let roots: Vec<uuid::Uuid> = roots.iter().map(OrgUnitId::as_uuid).collect();
    let mut query = tenant_dossiers(tx)
        .filter(
            dossiers_v1::level_unit_id
                .eq_any(diesel::select(subtree_units(tx.tenant().as_uuid(), roots))),
        )
        .filter(dossiers_v1::state.ne(DossierState::Draft.as_str()));
    if !states.is_empty() {
        query = query.filter(dossiers_v1::state.eq_any(state_names(states)));
    }
    extra(query)
}

diesel::define_sql_function! {
    /// PostgreSQL's `set_config`, for a setting local to the transaction.
    fn set_config(name: Text, value: Text, local: diesel::sql_types::Bool) -> Text;
}

/// The list's statements on generic plans for the rest of the transaction. PostgreSQL planned
/// them again at every call (a custom plan, its estimate of the generic one being higher
/// because of the units' subquery): on the volume database, planning took as long as running
/// (0.2 ms each), for the same plan.
async fn generic_plans(tx: &impl TenantRead) -> Result<(), DbError> {
    diesel::select(set_config("plan_cache_mode", "force_generic_plan", true))
        .execute(&mut tx.shared())
        .await?;
    Ok(())
}

/// A page of the dossiers whose current level is one of `roots` or below them, in one of
/// `states` (all but draft when empty), with `extra`'s conditions (added to each of the two
/// statements), oldest submission first: `limit` from `offset`, with the whole count. Both
/// statements go in one round trip, and can go with the transaction's opening; the units
/// below are found by the statements themselves.
///
/// # Errors
/// [`DbError`].
pub async fn dossier_page_under(
    tx: &impl TenantRead,
    roots: &[OrgUnitId],
    states: &[DossierState],
    extra: &DossierFilter,
    offset: i64,
    limit: i64,
) -> Result<DossierPage, DbError> {
    let page = under(tx, roots, states, extra)
        .order((dossiers_v1::submitted_at.asc(), dossiers_v1::id))
        .offset(offset)
        .limit(limit);
    page_and_count(tx, page, under(tx, roots, states, extra)).await
}

/// A page of the dossiers filed by one of `units` in one of `states`, latest change first:
/// `limit` from `offset`, with the whole count, in one round trip.
///
/// # Errors
/// [`DbError`].
pub async fn dossier_page_filed_by(
    tx: &impl TenantRead,
    units: &[OrgUnitId],
    states: &[DossierState],
    offset: i64,
    limit: i64,
) -> Result<DossierPage, DbError> {
    let units: Vec<uuid::Uuid> = units.iter().map(OrgUnitId::as_uuid).collect();
    let filtered = || {
        tenant_dossiers(tx)
            .filter(dossiers_v1::unit_id.eq_any(units.clone()))
            .filter(dossiers_v1::state.eq_any(state_names(states)))
    };
    let page = filtered()
        .order((dossiers_v1::updated_at.desc(), dossiers_v1::id))
        .offset(offset)
        .limit(limit);
    page_and_count(tx, page, filtered()).await
}

/// Runs a list's `page` and counts `all` (the same conditions, unordered and unbounded),
/// both on generic plans, in one round trip.
async fn page_and_count(
    tx: &impl TenantRead,
    page: DossierQuery,
    all: DossierQuery,
) -> Result<DossierPage, DbError> {
    let (generic, dossiers, total) = tokio::join!(
        generic_plans(tx),
        load_dossiers(tx, page),
        all.count().get_result::<i64>(&mut tx.shared())
    );
    generic?;
    Ok(DossierPage {
        dossiers: dossiers?,
        total: total?,
    })
}

/// The dossiers filed by one of `units` (any state but draft), latest first.
///
/// # Errors
/// [`DbError`].
pub async fn dossiers_filed_by(
    tx: &mut TenantConn,
    units: &[OrgUnitId],
) -> Result<Vec<DossierView>, DbError> {
    let units: Vec<uuid::Uuid> = units.iter().map(OrgUnitId::as_uuid).collect();
    let query = tenant_dossiers(tx)
        .filter(dossiers_v1::unit_id.eq_any(units))
        .filter(dossiers_v1::state.ne(DossierState::Draft.as_str()))
        .order(dossiers_v1::updated_at.desc());
    load_dossiers(tx, query).await
}

/// Those of `ids` that are submitted dossiers (any state but draft) sitting at or filed by
/// one of `units`, in no particular order: a selection narrowed to a scope in one statement
/// (an id outside it is not read at all).
///
/// # Errors
/// [`DbError`].
pub async fn dossiers_among(
    tx: &impl TenantRead,
    ids: &[DossierId],
    units: &[OrgUnitId],
) -> Result<Vec<DossierView>, DbError> {
    let ids: Vec<uuid::Uuid> = ids.iter().map(DossierId::as_uuid).collect();
    let units: Vec<uuid::Uuid> = units.iter().map(OrgUnitId::as_uuid).collect();
    let query = tenant_dossiers(tx)
        .filter(dossiers_v1::id.eq_any(ids))
        .filter(
            dossiers_v1::level_unit_id
                .eq_any(units.clone())
                .or(dossiers_v1::unit_id.eq_any(units)),
        )
        .filter(dossiers_v1::state.ne(DossierState::Draft.as_str()));
    load_dossiers(tx, query).await
}

/// A campaign's dossiers in one of `states`.
///
/// # Errors
/// [`DbError`].
pub async fn campaign_dossiers(
    tx: &mut TenantConn,
    campaign: CampaignId,
    states: &[DossierState],
) -> Result<Vec<DossierView>, DbError> {
    let query = tenant_dossiers(tx)
        .filter(dossiers_v1::campaign_id.eq(campaign.as_uuid()))
        .filter(dossiers_v1::state.eq_any(state_names(states)))
        .order(dossiers_v1::submitted_at.asc());
    load_dossiers(tx, query).await
}

/// How many dossiers are in each state, among those filed by or sitting at one of `units`
/// (every unit of the tenant when `units` is `None`).
///
/// # Errors
/// [`DbError`].
pub async fn state_counts(
    tx: &mut TenantConn,
    units: Option<&[OrgUnitId]>,
) -> Result<Vec<(DossierState, i64)>, DbError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = Text)]
        state: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let units: Option<Vec<uuid::Uuid>> = units.map(|u| u.iter().map(OrgUnitId::as_uuid).collect());
    let rows: Vec<Count> = diesel::sql_query(
        "SELECT state, count(*) AS n FROM intake.dossiers_v1 \
         WHERE tenant_id = $1 \
           AND ($2::uuid[] IS NULL OR unit_id = ANY ($2) OR level_unit_id = ANY ($2)) \
         GROUP BY state",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<Nullable<Array<SqlUuid>>, _>(units)
    .load(tx.pg())
    .await?;
    rows.into_iter()
        .map(|c| Ok((dossier_state(&c.state)?, c.n)))
        .collect()
}

/// Moves a dossier from one of `from` to `to` (and to `level`, when given), as one
/// compare-and-set. Returns false when the dossier was not in an expected state.
///
/// # Errors
/// [`DbError`].
pub async fn move_dossier(
    tx: &mut TenantConn,
    dossier: DossierId,
    from: &[DossierState],
    to: DossierState,
    level: Option<OrgUnitId>,
) -> Result<bool, DbError> {
    #[derive(QueryableByName)]
    struct Moved {
        #[diesel(sql_type = Integer)]
        moved: i32,
    }
    let row: Moved = diesel::sql_query("SELECT intake.move_dossier($1, $2, $3, $4) AS moved")
        .bind::<SqlUuid, _>(dossier.as_uuid())
        .bind::<Array<Text>, _>(state_names(from))
        .bind::<Text, _>(to.as_str())
        .bind::<Nullable<SqlUuid>, _>(level.map(|l| l.as_uuid()))
        .get_result(tx.pg())
        .await?;
    Ok(row.moved == 1)
}

/// One award of the registry, as other services see it.
#[derive(Debug, Clone)]
pub struct AwardView {
    /// Its id.
    pub id: napoleon_kernel::AwardId,
    /// The laureate.
    pub laureate_id: LaureateId,
    /// The laureate's identity (shape: intake's `Candidate`).
    pub identity: Personal<serde_json::Value>,
    /// Distinction code.
    pub distinction: DistinctionCode,
    /// Grade code.
    pub grade: GradeCode,
    /// Decree date.
    pub decree_date: chrono::NaiveDate,
    /// Journal officiel reference.
    pub jo_reference: String,
    /// Réception (prise de rang), once recorded.
    pub reception_date: Option<chrono::NaiveDate>,
    /// The dossier it came from.
    pub dossier_id: Option<DossierId>,
    /// The unit that filed that dossier.
    pub unit_id: Option<OrgUnitId>,
}

/// A row of `registry.awards_v1` as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = awards_v1, check_for_backend(diesel::pg::Pg))]
struct AwardRow {
    id: uuid::Uuid,
    laureate_id: uuid::Uuid,
    identity: serde_json::Value,
    distinction: String,
    grade: String,
    decree_date: chrono::NaiveDate,
    jo_reference: String,
    reception_date: Option<chrono::NaiveDate>,
    dossier_id: Option<uuid::Uuid>,
    unit_id: Option<uuid::Uuid>,
}

/// Every award of the tenant's registry, by laureate.
///
/// # Errors
/// [`DbError`].
pub async fn awards(tx: &mut TenantConn) -> Result<Vec<AwardView>, DbError> {
    let tenant = tx.tenant().as_uuid();
    let rows: Vec<AwardRow> = awards_v1::table
        .filter(awards_v1::tenant_id.eq(tenant))
        .order((awards_v1::laureate_id, awards_v1::decree_date))
        .select(AwardRow::as_select())
        .load(tx.pg())
        .await?;
    rows.into_iter().map(award_view).collect()
}

/// What a page of the registry asks: a name (folded by the database: accents and case
/// ignored), a distinction, and the laureate the previous page ended with.
#[derive(Debug, Clone, Copy)]
pub struct RegistryPage<'a> {
    /// The beginnings of the laureate's names' words, as typed (bounded by the caller):
    /// « lef jea » finds « LEFEVRE Jeanne ».
    pub name: Option<&'a str>,
    /// Only laureates holding an award of this distinction.
    pub distinction: Option<&'a DistinctionCode>,
    /// Only laureates holding an award of this grade (of `distinction` when there is one).
    pub grade: Option<&'a GradeCode>,
    /// Only laureates born that day.
    pub born: Option<chrono::NaiveDate>,
    /// The page starts after this laureate, in name order (keyset: no offset to count).
    pub after: Option<LaureateId>,
    /// Laureates on the page.
    pub limit: u16,
}

/// A laureate of the registry, with their awards (oldest decree first).
#[derive(Debug, Clone)]
pub struct LaureateView {
    /// Its id.
    pub id: LaureateId,
    /// The laureate's identity (shape: intake's `Candidate`).
    pub identity: Personal<serde_json::Value>,
    /// Their awards.
    pub awards: Vec<AwardView>,
}

#[derive(QueryableByName)]
struct LaureatePageRow {
    #[diesel(sql_type = SqlUuid)]
    id: uuid::Uuid,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    identity: serde_json::Value,
}

/// The conditions a word's index entry must meet in a name search (both branches of
/// [`REGISTRY_NAME_SEARCH`]): every typed word begins one of the names' words (checked on the
/// folded names the index carries), the distinction and the grade, the birth date, after the
/// page's start.
macro_rules! word_conditions {
    () => {
        "AND NOT EXISTS (SELECT 1 FROM typed t \
                         WHERE strpos(' ' || w.folded_name, ' ' || t.x) = 0) \
         AND (($3::text IS NULL AND $7::text IS NULL) \
              OR EXISTS (SELECT 1 FROM registry.awards_v1 a \
              WHERE a.tenant_id = w.tenant_id AND a.laureate_id = w.laureate_id \
                AND ($3::text IS NULL OR a.distinction = $3) \
                AND ($7::text IS NULL OR a.grade = $7))) \
         AND ($6::text IS NULL OR EXISTS (SELECT 1 FROM registry.laureates_v1 b \
              WHERE b.tenant_id = w.tenant_id AND b.id = w.laureate_id AND b.born = $6)) \
         AND ($4::uuid IS NULL OR (w.sort_name, w.laureate_id) > \
              (SELECT s.sort_name, s.id FROM registry.laureates_v1 s \
               WHERE s.tenant_id = $1 AND s.id = $4)) "
    };
}

/// The conditions and order of a registry page walked without a name: after the page's
/// start, the birth date; in name order.
macro_rules! walk_conditions {
    () => {
        "AND ($4::uuid IS NULL OR (l.sort_name, l.id) > \
              (SELECT s.sort_name, s.id FROM registry.laureates_v1 s \
               WHERE s.tenant_id = $1 AND s.id = $4)) \
         AND ($6::text IS NULL OR l.born = $6) \
         ORDER BY l.sort_name, l.id LIMIT $5"
    };
}

/// The statement of a registry page searched by name (`registry_page`): $1 the tenant, $2 the
/// name as typed, $3 a distinction, $4 the laureate the page starts after, $5 the page's
/// length, $6 a birth date (ISO), $7 a grade (of the distinction when there is one). Public so that the suite checks its plan (the words' index
/// must serve it under forced row-level security) and the load tests run it through
/// `pgbench` beside the page.
///
/// The rarest typed word leads (its index entries counted up to 1,000: « sophie » is the
/// given name of thousands, « lautet » the name of a few). The distinct words it begins are found by a loose scan of
/// the index (one probe each); when there are fewer than 200 of them, each word's entries are
/// read in name order from the index, a page's worth at most, and the pages merged: a page
/// costs the words times a page, whatever the number of laureates. A beginning shared by more
/// words (« m », « ma ») is shared by many laureates: the pages then walk the name order,
/// checking each laureate's folded names, and find a page's worth soon.
pub const REGISTRY_NAME_SEARCH: &str = concat!(
    "WITH RECURSIVE typed AS \
       (SELECT x FROM unnest(regexp_split_to_array(core.fold($2), ' ')) x WHERE x <> ''), \
     lead AS (SELECT t.x, t.x || chr(1114111) AS upto FROM typed t \
              ORDER BY (SELECT count(*) FROM (SELECT 1 FROM registry.laureate_words_v1 w \
                        WHERE w.tenant_id = $1 AND w.word >= t.x \
                          AND w.word < t.x || chr(1114111) LIMIT 1000) c), \
                       length(t.x) DESC, t.x \
              LIMIT 1), \
     words AS ( \
       (SELECT w.word, 1 AS n FROM registry.laureate_words_v1 w \
        WHERE w.tenant_id = $1 AND w.word >= (SELECT x FROM lead) \
          AND w.word < (SELECT upto FROM lead) \
        ORDER BY w.word LIMIT 1) \
       UNION ALL \
       SELECT (SELECT w.word FROM registry.laureate_words_v1 w \
               WHERE w.tenant_id = $1 AND w.word > words.word \
                 AND w.word < (SELECT upto FROM lead) \
               ORDER BY w.word LIMIT 1), words.n + 1 \
       FROM words WHERE words.word IS NOT NULL AND words.n < 200), \
     few AS (SELECT count(word) < 200 AS yes FROM words), \
     hits AS ( \
       SELECT h.sort_name, h.laureate_id FROM words, \
         LATERAL (SELECT w.sort_name, w.laureate_id FROM registry.laureate_words_v1 w \
                  WHERE w.tenant_id = $1 AND w.word = words.word ",
    word_conditions!(),
    "                 ORDER BY w.sort_name, w.laureate_id LIMIT $5) h \
       WHERE words.word IS NOT NULL AND (SELECT yes FROM few) \
       UNION ALL \
       (SELECT w.sort_name, w.laureate_id \
        FROM (SELECT tenant_id, id AS laureate_id, sort_name, folded_name \
              FROM registry.laureates_v1) w \
        WHERE NOT (SELECT yes FROM few) AND w.tenant_id = $1 ",
    word_conditions!(),
    "       ORDER BY w.sort_name, w.laureate_id LIMIT $5)), \
     page AS (SELECT DISTINCT sort_name, laureate_id FROM hits \
              ORDER BY sort_name, laureate_id LIMIT $5) \
     SELECT l.id, l.identity FROM page h \
     JOIN registry.laureates_v1 l ON l.tenant_id = $1 AND l.id = h.laureate_id \
     ORDER BY h.sort_name, h.laureate_id"
);

/// The statement of a registry page without a name nor an award's filter (`registry_page`);
/// same parameters (public for the load tests, which run it through `pgbench` beside the
/// page). The pages walk the name order's index (or the birth date's).
pub const REGISTRY_WALK: &str = concat!(
    "SELECT l.id, l.identity FROM registry.laureates_v1 l \
     WHERE l.tenant_id = $1 AND $2::text IS NULL AND $3::text IS NULL AND $7::text IS NULL ",
    walk_conditions!(),
);

/// The statement of a registry page without a name, filtered by distinction or grade
/// (`registry_page`); same parameters. The award's condition stands alone among the
/// statement's conditions (never inside an OR), so that the planner may read it as a join:
/// from the grade's awards when they are few (« grand-croix »: their index, then the few
/// laureates sorted), walking the name order when they are many.
pub const REGISTRY_WALK_AWARDS: &str = concat!(
    "SELECT l.id, l.identity FROM registry.laureates_v1 l \
     WHERE l.tenant_id = $1 AND $2::text IS NULL \
       AND EXISTS (SELECT 1 FROM registry.awards_v1 a \
            WHERE a.tenant_id = l.tenant_id AND a.laureate_id = l.id \
              AND ($3::text IS NULL OR a.distinction = $3) \
              AND ($7::text IS NULL OR a.grade = $7)) ",
    walk_conditions!(),
);

/// A page of the tenant's registry (`registry.laureates_v1`, `registry.awards_v1`, a name
/// searched through `registry.laureate_words_v1`): laureates in name order (accents and case
/// ignored), each with their awards.
///
/// # Errors
/// [`DbError`].
pub async fn registry_page(
    tx: &mut TenantConn,
    page: &RegistryPage<'_>,
) -> Result<Vec<LaureateView>, DbError> {
    let tenant = tx.tenant().as_uuid();
    // Planned with its values at each call (diesel does not keep a raw statement prepared):
    // the absent filters fold away. A name search reads its candidates from the words' index
    // (migration 000041): the longest typed word, folded by the database, as a range of
    // words in byte order (leakproof comparisons, so the index serves under forced
    // row-level security), the other words checked on the folded names the index carries;
    // only the page's laureates are read from their table. Without a name, the pages walk
    // the name order's index (or the birth date's), or, filtered by distinction or grade,
    // start from the awards when the planner finds them few (an EXISTS at the top level: one
    // inside an OR is never made a join, and a rare grade walked the whole registry).
    let people: Vec<LaureatePageRow> = diesel::sql_query(if page.name.is_some() {
        REGISTRY_NAME_SEARCH
    } else if page.distinction.is_some() || page.grade.is_some() {
        REGISTRY_WALK_AWARDS
    } else {
        REGISTRY_WALK
    })
    .bind::<SqlUuid, _>(tenant)
    .bind::<Nullable<Text>, _>(page.name)
    .bind::<Nullable<Text>, _>(page.distinction.map(DistinctionCode::as_str))
    .bind::<Nullable<SqlUuid>, _>(page.after.map(|l| l.as_uuid()))
    .bind::<Integer, _>(i32::from(page.limit))
    .bind::<Nullable<Text>, _>(page.born.map(|d| d.to_string()))
    .bind::<Nullable<Text>, _>(page.grade.map(GradeCode::as_str))
    .load(tx.pg())
    .await?;
    let ids: Vec<uuid::Uuid> = people.iter().map(|p| p.id).collect();
    let rows: Vec<AwardRow> = awards_v1::table
        .filter(awards_v1::tenant_id.eq(tenant))
        .filter(awards_v1::laureate_id.eq_any(&ids))
        .order((awards_v1::decree_date, awards_v1::id))
        .select(AwardRow::as_select())
        .load(tx.pg())
        .await?;
    let mut awards = rows
        .into_iter()
        .map(award_view)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(people
        .into_iter()
        .map(|p| {
            let id = LaureateId::from_uuid(p.id);
            let (mine, rest): (Vec<_>, Vec<_>) =
                awards.drain(..).partition(|a| a.laureate_id == id);
            awards = rest;
            LaureateView {
                id,
                identity: Personal::new(p.identity),
                awards: mine,
            }
        })
        .collect())
}

fn award_view(row: AwardRow) -> Result<AwardView, DbError> {
    Ok(AwardView {
        id: napoleon_kernel::AwardId::from_uuid(row.id),
        laureate_id: LaureateId::from_uuid(row.laureate_id),
        identity: Personal::new(row.identity),
        distinction: distinction_code(&row.distinction)?,
        grade: grade_code(&row.grade)?,
        decree_date: row.decree_date,
        jo_reference: row.jo_reference,
        reception_date: row.reception_date,
        dossier_id: row.dossier_id.map(DossierId::from_uuid),
        unit_id: row.unit_id.map(OrgUnitId::from_uuid),
    })
}

/// One award to import into the registry (a laureate decorated before Napoléon).
#[derive(Debug, Clone)]
pub struct ImportedAward<'a> {
    /// Distinction code.
    pub distinction: &'a DistinctionCode,
    /// Grade code.
    pub grade: &'a GradeCode,
    /// Decree date.
    pub decree_date: chrono::NaiveDate,
    /// Journal officiel reference.
    pub jo_reference: &'a str,
    /// Réception (prise de rang), when known.
    pub reception_date: Option<chrono::NaiveDate>,
    /// The unit that had proposed the laureate, when known (a promotion draft goes there).
    pub unit_id: Option<OrgUnitId>,
}

/// The registry's import contract (the registry is written by decisions and by imports):
/// creates a laureate with their awards. Journaling is the importer's.
///
/// # Errors
/// [`DbError`].
pub async fn import_laureate(
    tx: &mut TenantConn,
    identity: &Personal<serde_json::Value>,
    awards: &[ImportedAward<'_>],
) -> Result<(LaureateId, Vec<napoleon_kernel::AwardId>), DbError> {
    let tenant = tx.tenant().as_uuid();
    let laureate = LaureateId::new();
    diesel::sql_query(
        "INSERT INTO registry.laureates (tenant_id, id, identity) VALUES ($1, $2, $3)",
    )
    .bind::<SqlUuid, _>(tenant)
    .bind::<SqlUuid, _>(laureate.as_uuid())
    .bind::<diesel::sql_types::Jsonb, _>(identity.expose())
    .execute(tx.pg())
    .await?;
    let mut ids = Vec::with_capacity(awards.len());
    for a in awards {
        let id = napoleon_kernel::AwardId::new();
        diesel::sql_query(
            "INSERT INTO registry.awards (tenant_id, id, laureate_id, distinction, grade, \
               decree_date, jo_reference, reception_date, unit_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind::<SqlUuid, _>(tenant)
        .bind::<SqlUuid, _>(id.as_uuid())
        .bind::<SqlUuid, _>(laureate.as_uuid())
        .bind::<Text, _>(a.distinction.as_str())
        .bind::<Text, _>(a.grade.as_str())
        .bind::<diesel::sql_types::Date, _>(a.decree_date)
        .bind::<Text, _>(a.jo_reference)
        .bind::<Nullable<diesel::sql_types::Date>, _>(a.reception_date)
        .bind::<Nullable<SqlUuid>, _>(a.unit_id.map(|u| u.as_uuid()))
        .execute(tx.pg())
        .await?;
        ids.push(id);
    }
    Ok((laureate, ids))
}

/// Serialises every change to a campaign's list (decisions) and every arrival on it
/// (transmission by instruction) for the rest of the transaction, so a dossier cannot be
/// transmitted while the list is being closed.
///
/// # Errors
/// [`DbError`].
pub async fn lock_campaign_list(tx: &mut TenantConn, campaign: CampaignId) -> Result<(), DbError> {
    diesel::sql_query(
        "SELECT pg_advisory_xact_lock(hashtextextended('napoleon.decisions.list:' || $1::text, 0))",
    )
    .bind::<SqlUuid, _>(campaign.as_uuid())
    .execute(tx.pg())
    .await?;
    Ok(())
}

/// Whether the campaign's list is closed (`decisions.lists_v1`).
///
/// # Errors
/// [`DbError`].
pub async fn list_closed(tx: &mut TenantConn, campaign: CampaignId) -> Result<bool, DbError> {
    #[derive(QueryableByName)]
    struct Closed {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        closed: bool,
    }
    let row: Closed = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM decisions.lists_v1 \
                        WHERE tenant_id = $1 AND campaign_id = $2) AS closed",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<SqlUuid, _>(campaign.as_uuid())
    .get_result(tx.pg())
    .await?;
    Ok(row.closed)
}

#[cfg(test)]
mod tests {
    use napoleon_kernel::ErrorCode;

    use super::*;

    #[test]
    fn stored_codes_and_states_parse_or_are_errors_never_defaults() {
        assert!(distinction_code("LH").is_ok());
        assert!(grade_code("chevalier").is_ok());
        assert_eq!(
            dossier_state(DossierState::Published.as_str()).ok(),
            Some(DossierState::Published)
        );
        for error in [
            distinction_code("lh").err(),
            grade_code("Chevalier").err(),
            dossier_state("inconnu").err(),
            dossier_state("").err(),
        ] {
            let error = error.map(|e| (e.code(), e.to_string()));
            assert!(
                error
                    .as_ref()
                    .is_some_and(|(code, text)| *code == "db.corrupt" && text.contains('=')),
                "{error:?}"
            );
        }
    }
}
