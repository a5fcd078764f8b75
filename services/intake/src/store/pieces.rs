//! `intake.attachments`: a dossier's pieces (the bytes are in object storage, under the
//! piece's id). Rows are never deleted: replaced and removed pieces keep theirs.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use napoleon_db::{DbError, TenantConn, TenantRead};
use napoleon_kernel::{AgentId, DossierId, Personal, PieceId};
use napoleon_pieces::{PieceType, ScanState};
use napoleon_rules::PieceCode;

diesel::table! {
    intake.attachments (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        dossier_id -> Uuid,
        piece_code -> Text,
        name -> Text,
        sniffed_type -> Text,
        size_bytes -> Int8,
        sha256 -> Text,
        scan_state -> Text,
        scan_signature -> Nullable<Text>,
        scanned_at -> Nullable<Timestamptz>,
        uploaded_by -> Uuid,
        uploaded_at -> Timestamptz,
        replaces -> Nullable<Uuid>,
        withdrawn_at -> Nullable<Timestamptz>,
        withdrawn_by -> Nullable<Uuid>,
    }
}

/// A piece of a dossier.
#[derive(Debug, Clone)]
pub(crate) struct Attachment {
    pub(crate) id: PieceId,
    pub(crate) dossier: DossierId,
    pub(crate) code: PieceCode,
    /// The name the agent gave, sanitised: it may name the candidate.
    pub(crate) name: Personal<String>,
    pub(crate) kind: PieceType,
    pub(crate) size: u64,
    pub(crate) sha256: String,
    pub(crate) scan: ScanState,
    /// clamd's signature, when infected.
    pub(crate) signature: Option<String>,
    pub(crate) uploaded_at: DateTime<Utc>,
    pub(crate) withdrawn_at: Option<DateTime<Utc>>,
}

impl Attachment {
    /// Neither replaced nor removed: part of the dossier as it stands.
    pub(crate) const fn current(&self) -> bool {
        self.withdrawn_at.is_none()
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = attachments, check_for_backend(diesel::pg::Pg))]
struct Row {
    id: uuid::Uuid,
    dossier_id: uuid::Uuid,
    piece_code: String,
    name: String,
    sniffed_type: String,
    size_bytes: i64,
    sha256: String,
    scan_state: String,
    scan_signature: Option<String>,
    uploaded_at: DateTime<Utc>,
    withdrawn_at: Option<DateTime<Utc>>,
}

impl Row {
    fn parse(self) -> Result<Attachment, DbError> {
        Ok(Attachment {
            id: PieceId::from_uuid(self.id),
            dossier: DossierId::from_uuid(self.dossier_id),
            code: PieceCode::parse(&self.piece_code)
                .map_err(|_| DbError::corrupt("piece_code", &self.piece_code))?,
            name: Personal::new(self.name),
            kind: PieceType::parse(&self.sniffed_type)
                .ok_or_else(|| DbError::corrupt("sniffed_type", &self.sniffed_type))?,
            size: u64::try_from(self.size_bytes)
                .map_err(|_| DbError::corrupt("size_bytes", &self.size_bytes.to_string()))?,
            sha256: self.sha256,
            scan: ScanState::parse(&self.scan_state)
                .ok_or_else(|| DbError::corrupt("scan_state", &self.scan_state))?,
            signature: self.scan_signature,
            uploaded_at: self.uploaded_at,
            withdrawn_at: self.withdrawn_at,
        })
    }
}

/// Every piece of the dossier, current and withdrawn, oldest first.
pub(crate) async fn of_dossier(
    tx: &impl TenantRead,
    dossier: DossierId,
) -> Result<Vec<Attachment>, DbError> {
    let rows: Vec<Row> = attachments::table
        .filter(attachments::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(attachments::dossier_id.eq(dossier.as_uuid()))
        .order((attachments::uploaded_at.asc(), attachments::id.asc()))
        .select(Row::as_select())
        .load(&mut tx.shared())
        .await?;
    rows.into_iter().map(Row::parse).collect()
}

/// One piece (another tenant's id is not found: the row is not visible).
pub(crate) async fn piece(tx: &mut TenantConn, id: PieceId) -> Result<Attachment, DbError> {
    let row: Row = attachments::table
        .filter(attachments::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(attachments::id.eq(id.as_uuid()))
        .select(Row::as_select())
        .first(tx.pg())
        .await?;
    row.parse()
}

/// A piece about to be recorded: its bytes are stored already.
pub(crate) struct NewPiece<'a> {
    pub(crate) id: PieceId,
    pub(crate) dossier: DossierId,
    pub(crate) code: &'a PieceCode,
    pub(crate) name: &'a str,
    pub(crate) kind: PieceType,
    pub(crate) size: u64,
    pub(crate) sha256: &'a str,
    pub(crate) by: AgentId,
    pub(crate) replaces: Option<PieceId>,
}

pub(crate) async fn insert(tx: &mut TenantConn, new: &NewPiece<'_>) -> Result<(), DbError> {
    diesel::insert_into(attachments::table)
        .values((
            attachments::tenant_id.eq(tx.tenant().as_uuid()),
            attachments::id.eq(new.id.as_uuid()),
            attachments::dossier_id.eq(new.dossier.as_uuid()),
            attachments::piece_code.eq(new.code.as_str()),
            attachments::name.eq(new.name),
            attachments::sniffed_type.eq(new.kind.as_str()),
            attachments::size_bytes.eq(i64::try_from(new.size).unwrap_or(i64::MAX)),
            attachments::sha256.eq(new.sha256),
            attachments::uploaded_by.eq(new.by.as_uuid()),
            attachments::replaces.eq(new.replaces.map(|r| r.as_uuid())),
        ))
        .execute(tx.pg())
        .await?;
    Ok(())
}

/// Withdraws a current piece (replaced or removed); false when it was withdrawn already.
pub(crate) async fn withdraw(
    tx: &mut TenantConn,
    id: PieceId,
    by: AgentId,
) -> Result<bool, DbError> {
    let now = tx.now();
    let n = diesel::update(
        attachments::table
            .filter(attachments::tenant_id.eq(tx.tenant().as_uuid()))
            .filter(attachments::id.eq(id.as_uuid()))
            .filter(attachments::withdrawn_at.is_null()),
    )
    .set((
        attachments::withdrawn_at.eq(now),
        attachments::withdrawn_by.eq(by.as_uuid()),
    ))
    .execute(tx.pg())
    .await?;
    Ok(n == 1)
}

/// What the scan job needs of a piece, read through `intake.piece_for_scan` (the worker
/// has no grant on the table).
pub(crate) struct ScanTarget {
    pub(crate) dossier: DossierId,
    pub(crate) code: PieceCode,
    pub(crate) sha256: String,
    pub(crate) scan: ScanState,
}

#[derive(QueryableByName)]
struct ScanRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    dossier_id: uuid::Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    piece_code: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    sha256: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    scan_state: String,
}

/// The piece to scan (not found: gone, or another tenant's).
pub(crate) async fn for_scan(tx: &mut TenantConn, id: PieceId) -> Result<ScanTarget, DbError> {
    let row: ScanRow = diesel::sql_query(
        "SELECT dossier_id, piece_code, sha256, scan_state FROM intake.piece_for_scan($1)",
    )
    .bind::<diesel::sql_types::Uuid, _>(id.as_uuid())
    .get_result(tx.pg())
    .await?;
    Ok(ScanTarget {
        dossier: DossierId::from_uuid(row.dossier_id),
        code: PieceCode::parse(&row.piece_code)
            .map_err(|_| DbError::corrupt("piece_code", &row.piece_code))?,
        sha256: row.sha256,
        scan: ScanState::parse(&row.scan_state)
            .ok_or_else(|| DbError::corrupt("scan_state", &row.scan_state))?,
    })
}

#[derive(QueryableByName)]
struct Recorded {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    recorded: bool,
}

/// Records clamd's verdict on a piece still pending (the scan job's only write, through
/// `intake.record_piece_scan`); false when another attempt recorded one first.
pub(crate) async fn record_scan(
    tx: &mut TenantConn,
    id: PieceId,
    state: ScanState,
    signature: Option<&str>,
) -> Result<bool, DbError> {
    let row: Recorded =
        diesel::sql_query("SELECT intake.record_piece_scan($1, $2, $3) AS recorded")
            .bind::<diesel::sql_types::Uuid, _>(id.as_uuid())
            .bind::<diesel::sql_types::Text, _>(state.as_str())
            .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(signature)
            .get_result(tx.pg())
            .await?;
    Ok(row.recorded)
}
