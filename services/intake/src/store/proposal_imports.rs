//! The statements of proposals sent in bulk (`intake.proposal_imports`, the record of each
//! file checked or imported; `intake.imported_proposals`, the natural key of what imports
//! created), each on the caller's tenant transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use napoleon_db::{DbError, TenantConn, TenantRead};
use napoleon_kernel::{AgentId, CampaignId, DossierId, OrgUnitId, Personal, ProposalImportId};
use napoleon_rules::content::Content;
use napoleon_rules::dossier::DossierState;
use napoleon_web::upload::ImportMode;

diesel::table! {
    intake.proposal_imports (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        campaign_id -> Uuid,
        unit_id -> Uuid,
        agent_id -> Uuid,
        mode -> Text,
        file_name -> Text,
        sha256 -> Text,
        size_bytes -> Int8,
        rows_read -> Int4,
        rejected -> Int4,
        created -> Int4,
        existing -> Int4,
        report -> Jsonb,
        imported_as -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

/// A file as recorded, before its rows are read.
pub(crate) struct NewImport<'a> {
    pub(crate) id: ProposalImportId,
    pub(crate) campaign: CampaignId,
    pub(crate) unit: OrgUnitId,
    pub(crate) agent: AgentId,
    pub(crate) mode: ImportMode,
    pub(crate) file_name: &'a str,
    pub(crate) sha256: &'a str,
    pub(crate) size: u64,
}

/// What came of a file: its counts, and its report (JSON: what the file is, its refused
/// rows, its rows' drafts; `domain::proposal_import::Stored`).
pub(crate) struct Tally {
    pub(crate) rows: u64,
    pub(crate) rejected: u64,
    pub(crate) created: u64,
    pub(crate) existing: u64,
    pub(crate) report: serde_json::Value,
}

impl Tally {
    /// Valid rows.
    pub(crate) const fn valid(&self) -> u64 {
        self.rows.saturating_sub(self.rejected)
    }
}

fn count(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn uncount(n: i32) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Records a file (its counts come with [`finish`]).
pub(crate) async fn start(tx: &mut TenantConn, new: &NewImport<'_>) -> Result<(), DbError> {
    let name = new.file_name.chars().take(255).collect::<String>();
    diesel::insert_into(proposal_imports::table)
        .values((
            proposal_imports::tenant_id.eq(tx.tenant().as_uuid()),
            proposal_imports::id.eq(new.id.as_uuid()),
            proposal_imports::campaign_id.eq(new.campaign.as_uuid()),
            proposal_imports::unit_id.eq(new.unit.as_uuid()),
            proposal_imports::agent_id.eq(new.agent.as_uuid()),
            proposal_imports::mode.eq(new.mode.code()),
            proposal_imports::file_name.eq(if name.is_empty() {
                "fichier".to_owned()
            } else {
                name
            }),
            proposal_imports::sha256.eq(new.sha256),
            proposal_imports::size_bytes.eq(i64::try_from(new.size).unwrap_or(i64::MAX)),
            proposal_imports::rows_read.eq(0),
            proposal_imports::rejected.eq(0),
            proposal_imports::created.eq(0),
            proposal_imports::existing.eq(0),
            proposal_imports::report.eq(serde_json::json!({})),
        ))
        .execute(tx.pg())
        .await?;
    Ok(())
}

/// Records what came of the file.
pub(crate) async fn finish(
    tx: &mut TenantConn,
    id: ProposalImportId,
    tally: &Tally,
) -> Result<(), DbError> {
    diesel::update(proposal_imports::table.find((tx.tenant().as_uuid(), id.as_uuid())))
        .set((
            proposal_imports::rows_read.eq(count(tally.rows)),
            proposal_imports::rejected.eq(count(tally.rejected)),
            proposal_imports::created.eq(count(tally.created)),
            proposal_imports::existing.eq(count(tally.existing)),
            proposal_imports::report.eq(&tally.report),
        ))
        .execute(tx.pg())
        .await?;
    Ok(())
}

/// Claims checked file `check` for `import` (recorded first, in the same transaction);
/// whether it was still unclaimed (a second click finds it claimed, and its import).
pub(crate) async fn claim(
    tx: &mut TenantConn,
    check: ProposalImportId,
    import: ProposalImportId,
) -> Result<bool, DbError> {
    let claimed = diesel::update(
        proposal_imports::table
            .find((tx.tenant().as_uuid(), check.as_uuid()))
            .filter(proposal_imports::imported_as.is_null()),
    )
    .set(proposal_imports::imported_as.eq(import.as_uuid()))
    .execute(tx.pg())
    .await?;
    Ok(claimed == 1)
}

/// A file as recorded.
pub(crate) struct Record {
    pub(crate) id: ProposalImportId,
    pub(crate) campaign: CampaignId,
    pub(crate) unit: OrgUnitId,
    pub(crate) mode: ImportMode,
    pub(crate) file_name: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) tally: Tally,
    pub(crate) imported_as: Option<ProposalImportId>,
}

type RecordRow = (
    uuid::Uuid,
    uuid::Uuid,
    uuid::Uuid,
    String,
    String,
    DateTime<Utc>,
    (i32, i32, i32, i32),
    serde_json::Value,
    Option<uuid::Uuid>,
);

fn record(row: RecordRow) -> Result<Record, DbError> {
    let (id, campaign, unit, mode, file_name, created_at, counts, report, imported_as) = row;
    let (rows, rejected, created, existing) = counts;
    Ok(Record {
        id: ProposalImportId::from_uuid(id),
        campaign: CampaignId::from_uuid(campaign),
        unit: OrgUnitId::from_uuid(unit),
        mode: ImportMode::parse(&mode)
            .ok_or_else(|| DbError::corrupt("intake.proposal_imports.mode", &mode))?,
        file_name,
        created_at,
        tally: Tally {
            rows: uncount(rows),
            rejected: uncount(rejected),
            created: uncount(created),
            existing: uncount(existing),
            report,
        },
        imported_as: imported_as.map(ProposalImportId::from_uuid),
    })
}

macro_rules! record_columns {
    ($report:expr) => {
        (
            proposal_imports::id,
            proposal_imports::campaign_id,
            proposal_imports::unit_id,
            proposal_imports::mode,
            proposal_imports::file_name,
            proposal_imports::created_at,
            (
                proposal_imports::rows_read,
                proposal_imports::rejected,
                proposal_imports::created,
                proposal_imports::existing,
            ),
            $report,
            proposal_imports::imported_as,
        )
    };
}

/// The file `id` of the tenant, if any.
pub(crate) async fn get(
    tx: &mut TenantConn,
    id: ProposalImportId,
) -> Result<Option<Record>, DbError> {
    let row: Option<RecordRow> = proposal_imports::table
        .find((tx.tenant().as_uuid(), id.as_uuid()))
        .select(record_columns!(proposal_imports::report))
        .first(tx.pg())
        .await
        .optional()?;
    row.map(record).transpose()
}

/// The latest files of `units`, latest first (their reports are not read: the list shows
/// counts).
pub(crate) async fn latest(
    tx: &mut TenantConn,
    units: &[OrgUnitId],
    limit: u16,
) -> Result<Vec<Record>, DbError> {
    let units: Vec<uuid::Uuid> = units.iter().map(|u| u.as_uuid()).collect();
    let rows: Vec<RecordRow> = proposal_imports::table
        .filter(proposal_imports::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(proposal_imports::unit_id.eq_any(units))
        .order((
            proposal_imports::created_at.desc(),
            proposal_imports::id.desc(),
        ))
        .limit(i64::from(limit))
        // The list shows counts: the reports stay unread.
        .select(record_columns!(
            diesel::dsl::sql::<diesel::sql_types::Jsonb>("'{}'::jsonb")
        ))
        .load(tx.pg())
        .await?;
    rows.into_iter().map(record).collect()
}

/// Serialises the imports into one campaign (until the transaction ends): two files sent at
/// once never both create a draft for the same person.
pub(crate) async fn lock_campaign(
    tx: &mut TenantConn,
    campaign: CampaignId,
) -> Result<(), DbError> {
    diesel::sql_query(
        "SELECT pg_advisory_xact_lock(hashtextextended('intake.proposal_import:' || $1::text, 0))",
    )
    .bind::<SqlUuid, _>(campaign.as_uuid())
    .execute(tx.pg())
    .await?;
    Ok(())
}

/// A person as a row names them: birth name, given names, birth date (as the draft keeps it).
pub(crate) struct Person<'a> {
    pub(crate) birth_name: &'a str,
    pub(crate) given_names: &'a str,
    pub(crate) birth_date: &'a str,
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = BigInt)]
    at: i64,
    #[diesel(sql_type = SqlUuid)]
    dossier_id: uuid::Uuid,
}

fn columns(persons: &[Person<'_>]) -> [Vec<String>; 3] {
    [
        persons.iter().map(|p| p.birth_name.to_owned()).collect(),
        persons.iter().map(|p| p.given_names.to_owned()).collect(),
        persons.iter().map(|p| p.birth_date.to_owned()).collect(),
    ]
}

#[derive(QueryableByName)]
struct Key {
    #[diesel(sql_type = Text)]
    key: String,
}

/// Each person's natural key as the database computes it (`core.name_key` and
/// `core.iso_date`: the same folding as the stored keys), in order.
pub(crate) async fn keys(
    tx: &mut impl TenantRead,
    persons: &[Person<'_>],
) -> Result<Vec<String>, DbError> {
    if persons.is_empty() {
        return Ok(Vec::new());
    }
    let [b, g, d] = columns(persons);
    let found: Vec<Key> = diesel::sql_query(
        "SELECT coalesce(core.name_key(k.b, k.g), '') || '|' || coalesce(core.iso_date(k.d), '') \
                AS key \
         FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS k(b, g, d, at) \
         ORDER BY k.at",
    )
    .bind::<Array<Text>, _>(b)
    .bind::<Array<Text>, _>(g)
    .bind::<Array<Text>, _>(d)
    .load(&mut tx.shared())
    .await?;
    Ok(found.into_iter().map(|k| k.key).collect())
}

/// For each person, the draft an import of the campaign by `unit` already created for them
/// (same natural key: `core.name_key` and `core.iso_date`, as the dossiers' columns), in one
/// statement.
pub(crate) async fn already_imported(
    tx: &mut impl TenantRead,
    campaign: CampaignId,
    unit: OrgUnitId,
    persons: &[Person<'_>],
) -> Result<Vec<Option<DossierId>>, DbError> {
    if persons.is_empty() {
        return Ok(Vec::new());
    }
    let [b, g, d] = columns(persons);
    let found: Vec<Found> = diesel::sql_query(
        "SELECT k.at, p.dossier_id \
         FROM unnest($4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS k(b, g, d, at) \
         JOIN intake.imported_proposals p ON p.tenant_id = $1 AND p.campaign_id = $2 \
              AND p.unit_id = $3 \
              AND p.name_key = core.name_key(k.b, k.g) AND p.born = core.iso_date(k.d)",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<SqlUuid, _>(campaign.as_uuid())
    .bind::<SqlUuid, _>(unit.as_uuid())
    .bind::<Array<Text>, _>(b)
    .bind::<Array<Text>, _>(g)
    .bind::<Array<Text>, _>(d)
    .load(&mut tx.shared())
    .await?;
    let mut out = vec![None; persons.len()];
    for f in found {
        if let Some(slot) = usize::try_from(f.at - 1).ok().and_then(|i| out.get_mut(i)) {
            *slot = Some(DossierId::from_uuid(f.dossier_id));
        }
    }
    Ok(out)
}

/// Records the natural key of a draft an import created (from the draft's own columns);
/// whether it was new.
pub(crate) async fn remember(
    tx: &mut TenantConn,
    dossier: DossierId,
    import: ProposalImportId,
    line: u64,
) -> Result<bool, DbError> {
    let inserted = diesel::sql_query(
        "INSERT INTO intake.imported_proposals \
             (tenant_id, campaign_id, unit_id, name_key, born, dossier_id, import_id, line) \
         SELECT tenant_id, campaign_id, unit_id, name_key, born, id, $3, $4 FROM intake.dossiers \
         WHERE tenant_id = $1 AND id = $2 AND name_key IS NOT NULL AND born IS NOT NULL \
         ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<SqlUuid, _>(dossier.as_uuid())
    .bind::<SqlUuid, _>(import.as_uuid())
    .bind::<BigInt, _>(i64::try_from(line).unwrap_or(i64::MAX))
    .execute(tx.pg())
    .await?;
    Ok(inserted == 1)
}

/// A draft listed on a report: its candidate, state and where it is.
pub(crate) struct Listed {
    pub(crate) id: DossierId,
    pub(crate) content: Personal<Content>,
    pub(crate) state: DossierState,
    pub(crate) unit: OrgUnitId,
    pub(crate) level: OrgUnitId,
}

/// The dossiers `ids` filed by `unit` (others are not listed).
pub(crate) async fn listed(
    tx: &mut TenantConn,
    unit: OrgUnitId,
    ids: &[DossierId],
) -> Result<Vec<Listed>, DbError> {
    use crate::store::dossiers;
    let ids: Vec<uuid::Uuid> = ids.iter().map(|d| d.as_uuid()).collect();
    type Row = (
        uuid::Uuid,
        serde_json::Value,
        String,
        uuid::Uuid,
        uuid::Uuid,
    );
    let rows: Vec<Row> = dossiers::table
        .filter(dossiers::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(dossiers::unit_id.eq(unit.as_uuid()))
        .filter(dossiers::id.eq_any(ids))
        .select((
            dossiers::id,
            dossiers::content,
            dossiers::state,
            dossiers::unit_id,
            dossiers::level_unit_id,
        ))
        .load(tx.pg())
        .await?;
    rows.into_iter()
        .map(|(id, content, state, unit, level)| {
            Ok(Listed {
                id: DossierId::from_uuid(id),
                content: Personal::new(
                    serde_json::from_value(content)
                        .map_err(|_| DbError::corrupt("content", "<json>"))?,
                ),
                state: napoleon_db::contracts::dossier_state(&state)?,
                unit: OrgUnitId::from_uuid(unit),
                level: OrgUnitId::from_uuid(level),
            })
        })
        .collect()
}
