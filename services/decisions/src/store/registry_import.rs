//! The registry import's statements (`registry.imports`, `registry.import_problems`, and the
//! laureates, awards and career periods an import adds), each on the caller's tenant
//! transaction. A batch is inserted set-wise from arrays (one statement for the people,
//! awards and careers of up to thousands of rows): forced row-level security refuses `COPY`.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Jsonb, Nullable, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use napoleon_db::{DbError, TenantConn};
use napoleon_kernel::{RegistryImportId, TenantId};

use crate::domain::registry_import::{ImportRequest, ImportSummary, Line, Problem, Undone};

/// Where an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImportState {
    /// Batches are still to come (or the run stopped: the same file resumes it).
    Running,
    /// The file's last row was read.
    Finished,
    /// Undone as a whole.
    Undone,
}

impl ImportState {
    const fn code(self) -> &'static str {
        match self {
            Self::Running => "en_cours",
            Self::Finished => "termine",
            Self::Undone => "annule",
        }
    }

    fn parse(code: &str) -> Result<Self, DbError> {
        [Self::Running, Self::Finished, Self::Undone]
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or_else(|| DbError::corrupt("registry.imports.state", code))
    }
}

/// An import's running totals.
#[derive(Debug, Clone, Copy, QueryableByName)]
pub(crate) struct Totals {
    #[diesel(sql_type = BigInt)]
    pub(crate) rows_done: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) inserted: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) existing: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) rejected: i64,
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn uncount(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The unfinished import of this file (same SHA-256), with its resume point.
pub(crate) async fn unfinished(
    tx: &mut TenantConn,
    sha256: &str,
) -> Result<Option<(RegistryImportId, u64)>, DbError> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = SqlUuid)]
        id: uuid::Uuid,
        #[diesel(sql_type = BigInt)]
        rows_done: i64,
    }
    let found: Option<Found> = diesel::sql_query(
        "SELECT id, rows_done FROM registry.imports \
         WHERE tenant_id = $1 AND sha256 = $2 AND state = 'en_cours'",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<Text, _>(sha256)
    .get_result(tx.pg())
    .await
    .optional()?;
    Ok(found.map(|f| (RegistryImportId::from_uuid(f.id), uncount(f.rows_done))))
}

/// Records a new import.
pub(crate) async fn start(
    tx: &mut TenantConn,
    id: RegistryImportId,
    request: &ImportRequest,
    detected: &str,
) -> Result<(), DbError> {
    let name: String = request.file_name.chars().take(255).collect();
    diesel::sql_query(
        "INSERT INTO registry.imports (tenant_id, id, file_name, sha256, size_bytes, detected, \
           started_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<SqlUuid, _>(id.as_uuid())
    .bind::<Text, _>(if name.is_empty() { "fichier" } else { &name })
    .bind::<Text, _>(&request.sha256)
    .bind::<BigInt, _>(count(request.size))
    .bind::<Text, _>(detected)
    .bind::<Nullable<SqlUuid>, _>(request.started_by.map(|a| a.as_uuid()))
    .execute(tx.pg())
    .await?;
    Ok(())
}

/// An import's row, locked.
pub(crate) struct Locked {
    pub(crate) rows_done: u64,
    pub(crate) state: ImportState,
    /// Rows refused so far.
    pub(crate) rejected: u64,
}

/// Takes the tenant's import lock (two imports never create the same person twice, and an
/// undo never runs beside an import).
pub(crate) async fn lock_tenant_imports(tx: &mut TenantConn) -> Result<(), DbError> {
    diesel::sql_query(
        "SELECT pg_advisory_xact_lock(hashtextextended('napoleon.registry.import:' || $1::text, 0))",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .execute(tx.pg())
    .await?;
    Ok(())
}

/// Takes the tenant's import lock and the import's row for the rest of the transaction.
pub(crate) async fn lock(tx: &mut TenantConn, id: RegistryImportId) -> Result<Locked, DbError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        rows_done: i64,
        #[diesel(sql_type = Text)]
        state: String,
        #[diesel(sql_type = BigInt)]
        rejected: i64,
    }
    lock_tenant_imports(tx).await?;
    let row: Row = diesel::sql_query(
        "SELECT rows_done, state, rejected FROM registry.imports \
         WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<SqlUuid, _>(id.as_uuid())
    .get_result(tx.pg())
    .await?;
    Ok(Locked {
        rows_done: uncount(row.rows_done),
        state: ImportState::parse(&row.state)?,
        rejected: uncount(row.rejected),
    })
}

/// Inserts a batch's people (those the registry does not know yet), awards (those it does
/// not hold yet: the natural key) and career periods; the number of awards added.
pub(crate) async fn insert_batch(
    tx: &mut TenantConn,
    tenant: TenantId,
    id: RegistryImportId,
    lines: &[Line],
) -> Result<u64, DbError> {
    if lines.is_empty() {
        return Ok(0);
    }
    let n = lines.len();
    let mut identities = Vec::with_capacity(n);
    let mut laureates = Vec::with_capacity(n);
    let mut awards = Vec::with_capacity(n);
    let mut distinctions = Vec::with_capacity(n);
    let mut grades = Vec::with_capacity(n);
    let mut decrees = Vec::with_capacity(n);
    let mut jos = Vec::with_capacity(n);
    let mut receptions = Vec::with_capacity(n);
    let mut units = Vec::with_capacity(n);
    let (mut p_row, mut p_id, mut p_from, mut p_to, mut p_kind, mut p_position) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (i, line) in lines.iter().enumerate() {
        identities.push(&line.identity);
        laureates.push(uuid::Uuid::now_v7());
        awards.push(uuid::Uuid::now_v7());
        distinctions.push(line.distinction.as_str());
        grades.push(line.grade.as_str());
        decrees.push(line.decree_date);
        jos.push(line.jo_reference.as_str());
        receptions.push(line.reception_date);
        units.push(line.unit.map(|u| u.as_uuid()));
        for p in &line.periods {
            p_row.push(count(i as u64 + 1));
            p_id.push(uuid::Uuid::now_v7());
            p_from.push(p.from);
            p_to.push(p.to);
            p_kind.push(p.kind);
            p_position.push(p.position.as_str());
        }
    }
    #[derive(QueryableByName)]
    struct Inserted {
        #[diesel(sql_type = BigInt)]
        inserted: i64,
    }
    // The person key is computed once per row (`input`); people the registry knows are
    // matched on it (the oldest when several), the others created once each (their first
    // row's identity). Rows of the statement's own inserts are not visible to its other
    // parts: `fresh` hands its ids over through RETURNING.
    let inserted: Inserted = diesel::sql_query(
        "WITH input AS MATERIALIZED ( \
           SELECT i.*, registry.person_key(i.identity) AS k \
           FROM unnest($3::jsonb[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::date[], \
                       $9::text[], $10::date[], $11::uuid[]) WITH ORDINALITY \
             AS i(identity, laureate_id, award_id, distinction, grade, decree_date, jo, \
                  reception, unit, n)), \
         known AS ( \
           SELECT DISTINCT ON (l.person_key) l.person_key, l.id FROM registry.laureates l \
           WHERE l.tenant_id = $1 AND l.person_key IN (SELECT k FROM input) \
           ORDER BY l.person_key, l.created_at, l.id), \
         fresh AS ( \
           INSERT INTO registry.laureates (tenant_id, id, identity, import_id) \
           SELECT DISTINCT ON (i.k) $1, i.laureate_id, i.identity, $2 FROM input i \
           WHERE NOT EXISTS (SELECT 1 FROM known WHERE known.person_key = i.k) \
           ORDER BY i.k, i.n \
           RETURNING person_key, id), \
         people AS (SELECT person_key, id FROM known UNION ALL SELECT person_key, id FROM fresh), \
         added AS ( \
           INSERT INTO registry.awards (tenant_id, id, laureate_id, distinction, grade, \
             decree_date, jo_reference, reception_date, unit_id, import_id) \
           SELECT $1, i.award_id, p.id, i.distinction, i.grade, i.decree_date, i.jo, \
             i.reception, i.unit, $2 \
           FROM input i JOIN people p ON p.person_key = i.k \
           ON CONFLICT (tenant_id, laureate_id, distinction, grade, decree_date) DO NOTHING \
           RETURNING 1), \
         careers AS ( \
           INSERT INTO registry.service_periods (tenant_id, id, laureate_id, starts_on, ends_on, \
             kind, position, import_id) \
           SELECT $1, c.id, p.id, c.starts_on, c.ends_on, c.kind, c.position, $2 \
           FROM unnest($12::bigint[], $13::uuid[], $14::date[], $15::date[], $16::text[], \
                       $17::text[]) AS c(n, id, starts_on, ends_on, kind, position) \
           JOIN input i ON i.n = c.n JOIN people p ON p.person_key = i.k \
           ON CONFLICT (tenant_id, laureate_id, starts_on, kind) DO NOTHING \
           RETURNING 1) \
         SELECT (SELECT count(*) FROM added) AS inserted, (SELECT count(*) FROM careers) AS periods",
    )
    .bind::<SqlUuid, _>(tenant.as_uuid())
    .bind::<SqlUuid, _>(id.as_uuid())
    .bind::<Array<Jsonb>, _>(identities)
    .bind::<Array<SqlUuid>, _>(laureates)
    .bind::<Array<SqlUuid>, _>(awards)
    .bind::<Array<Text>, _>(distinctions)
    .bind::<Array<Text>, _>(grades)
    .bind::<Array<Date>, _>(decrees)
    .bind::<Array<Text>, _>(jos)
    .bind::<Array<Nullable<Date>>, _>(receptions)
    .bind::<Array<Nullable<SqlUuid>>, _>(units)
    .bind::<Array<BigInt>, _>(p_row)
    .bind::<Array<SqlUuid>, _>(p_id)
    .bind::<Array<Date>, _>(p_from)
    .bind::<Array<Nullable<Date>>, _>(p_to)
    .bind::<Array<Text>, _>(p_kind)
    .bind::<Array<Text>, _>(p_position)
    .get_result(tx.pg())
    .await?;
    Ok(uncount(inserted.inserted))
}

/// Keeps a batch's refused rows for the report.
pub(crate) async fn record_problems(
    tx: &mut TenantConn,
    id: RegistryImportId,
    problems: &[Problem],
) -> Result<(), DbError> {
    if problems.is_empty() {
        return Ok(());
    }
    let lines: Vec<i64> = problems.iter().map(|p| count(p.line)).collect();
    let columns: Vec<&str> = problems.iter().map(|p| p.column.as_str()).collect();
    let values: Vec<&str> = problems.iter().map(|p| p.value.as_str()).collect();
    let reasons: Vec<String> = problems
        .iter()
        .map(|p| p.reason.chars().take(500).collect())
        .collect();
    diesel::sql_query(
        "INSERT INTO registry.import_problems (tenant_id, import_id, line, col, value, reason) \
         SELECT $1, $2, p.line, p.col, p.value, p.reason \
         FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[]) AS p(line, col, value, reason) \
         ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<SqlUuid, _>(id.as_uuid())
    .bind::<Array<BigInt>, _>(lines)
    .bind::<Array<Text>, _>(columns)
    .bind::<Array<Text>, _>(values)
    .bind::<Array<Text>, _>(reasons)
    .execute(tx.pg())
    .await?;
    Ok(())
}

/// Moves the resume point after a committed batch and adds its counts.
pub(crate) async fn advance(
    tx: &mut TenantConn,
    id: RegistryImportId,
    rows_done: u64,
    inserted: u64,
    existing: u64,
    rejected: u64,
) -> Result<(), DbError> {
    diesel::sql_query(
        "UPDATE registry.imports SET rows_done = $3, inserted = inserted + $4, \
           existing = existing + $5, rejected = rejected + $6 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<SqlUuid, _>(id.as_uuid())
    .bind::<BigInt, _>(count(rows_done))
    .bind::<BigInt, _>(count(inserted))
    .bind::<BigInt, _>(count(existing))
    .bind::<BigInt, _>(count(rejected))
    .execute(tx.pg())
    .await?;
    Ok(())
}

/// Marks the import finished (when it was running); its totals then, none otherwise.
pub(crate) async fn finish(
    tx: &mut TenantConn,
    id: RegistryImportId,
) -> Result<Option<Totals>, DbError> {
    Ok(diesel::sql_query(
        "UPDATE registry.imports SET state = 'termine', finished_at = core.clock_now() \
         WHERE tenant_id = $1 AND id = $2 AND state = 'en_cours' \
         RETURNING rows_done, inserted, existing, rejected",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<SqlUuid, _>(id.as_uuid())
    .get_result(tx.pg())
    .await
    .optional()?)
}

/// Locks the import's row; its state, none when the tenant has no such import.
pub(crate) async fn lock_state(
    tx: &mut TenantConn,
    id: RegistryImportId,
) -> Result<Option<ImportState>, DbError> {
    lock_tenant_imports(tx).await?;
    #[derive(QueryableByName)]
    struct State {
        #[diesel(sql_type = Text)]
        state: String,
    }
    let found: Option<State> = diesel::sql_query(
        "SELECT state FROM registry.imports WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<SqlUuid, _>(id.as_uuid())
    .get_result(tx.pg())
    .await
    .optional()?;
    found.map(|s| ImportState::parse(&s.state)).transpose()
}

/// What depends on an import's additions, in French (nothing: it may be undone).
pub(crate) async fn dependents(
    tx: &mut TenantConn,
    id: RegistryImportId,
) -> Result<Vec<String>, DbError> {
    #[derive(QueryableByName)]
    struct Counts {
        #[diesel(sql_type = BigInt)]
        dossiers: i64,
        #[diesel(sql_type = BigInt)]
        awards: i64,
        #[diesel(sql_type = BigInt)]
        periods: i64,
    }
    let c: Counts = diesel::sql_query(
        "SELECT \
           (SELECT count(*) FROM intake.dossiers_v1 d JOIN registry.laureates l \
              ON l.tenant_id = d.tenant_id AND l.id = d.laureate_id \
            WHERE d.tenant_id = $1 AND l.import_id = $2) AS dossiers, \
           (SELECT count(*) FROM registry.awards a JOIN registry.laureates l \
              ON l.tenant_id = a.tenant_id AND l.id = a.laureate_id \
            WHERE a.tenant_id = $1 AND l.import_id = $2 \
              AND a.import_id IS DISTINCT FROM $2) AS awards, \
           (SELECT count(*) FROM registry.service_periods s JOIN registry.laureates l \
              ON l.tenant_id = s.tenant_id AND l.id = s.laureate_id \
            WHERE s.tenant_id = $1 AND l.import_id = $2 \
              AND s.import_id IS DISTINCT FROM $2) AS periods",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<SqlUuid, _>(id.as_uuid())
    .get_result(tx.pg())
    .await?;
    let mut out = Vec::new();
    if c.dossiers > 0 {
        out.push(format!(
            "{} dossier(s) proposent des lauréats qu'il a ajoutés",
            c.dossiers
        ));
    }
    if c.awards > 0 {
        out.push(format!(
            "{} distinction(s) d'une autre origine ont été ajoutées à ses lauréats",
            c.awards
        ));
    }
    if c.periods > 0 {
        out.push(format!(
            "{} période(s) de carrière d'une autre origine ont été ajoutées à ses lauréats",
            c.periods
        ));
    }
    Ok(out)
}

/// Removes what the import added and marks it undone.
pub(crate) async fn remove(tx: &mut TenantConn, id: RegistryImportId) -> Result<Undone, DbError> {
    let tenant = tx.tenant().as_uuid();
    let mut delete = async |sql: &str| -> Result<u64, DbError> {
        let n = diesel::sql_query(sql)
            .bind::<SqlUuid, _>(tenant)
            .bind::<SqlUuid, _>(id.as_uuid())
            .execute(tx.pg())
            .await?;
        Ok(n as u64)
    };
    let periods =
        delete("DELETE FROM registry.service_periods WHERE tenant_id = $1 AND import_id = $2")
            .await?;
    let awards =
        delete("DELETE FROM registry.awards WHERE tenant_id = $1 AND import_id = $2").await?;
    let laureates =
        delete("DELETE FROM registry.laureates WHERE tenant_id = $1 AND import_id = $2").await?;
    diesel::sql_query(
        "UPDATE registry.imports SET state = 'annule', undone_at = core.clock_now() \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind::<SqlUuid, _>(tenant)
    .bind::<SqlUuid, _>(id.as_uuid())
    .execute(tx.pg())
    .await?;
    Ok(Undone {
        awards,
        laureates,
        periods,
    })
}

/// The tenant's latest imports, latest first.
pub(crate) async fn latest(tx: &mut TenantConn, limit: u16) -> Result<Vec<ImportSummary>, DbError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        id: uuid::Uuid,
        #[diesel(sql_type = Text)]
        file_name: String,
        #[diesel(sql_type = diesel::sql_types::Timestamptz)]
        started_at: chrono::DateTime<chrono::Utc>,
        #[diesel(sql_type = Text)]
        state: String,
        #[diesel(sql_type = BigInt)]
        inserted: i64,
        #[diesel(sql_type = BigInt)]
        existing: i64,
        #[diesel(sql_type = BigInt)]
        rejected: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT id, file_name, started_at, state, inserted, existing, rejected \
         FROM registry.imports WHERE tenant_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<BigInt, _>(i64::from(limit))
    .load(tx.pg())
    .await?;
    rows.into_iter()
        .map(|r| {
            let state = ImportState::parse(&r.state)?;
            Ok(ImportSummary {
                id: RegistryImportId::from_uuid(r.id),
                file_name: r.file_name,
                started_at: r.started_at,
                finished: state == ImportState::Finished,
                undone: state == ImportState::Undone,
                inserted: uncount(r.inserted),
                existing: uncount(r.existing),
                rejected: uncount(r.rejected),
            })
        })
        .collect()
}

/// An import's recorded problems, in file order (at most 100,000).
pub(crate) async fn problems(
    tx: &mut TenantConn,
    id: RegistryImportId,
) -> Result<Vec<Problem>, DbError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        line: i64,
        #[diesel(sql_type = Text)]
        col: String,
        #[diesel(sql_type = Text)]
        value: String,
        #[diesel(sql_type = Text)]
        reason: String,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT line, col, value, reason FROM registry.import_problems \
         WHERE tenant_id = $1 AND import_id = $2 ORDER BY line LIMIT 100000",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<SqlUuid, _>(id.as_uuid())
    .load(tx.pg())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Problem {
            line: uncount(r.line),
            column: r.col,
            value: r.value,
            reason: r.reason,
        })
        .collect())
}
