//! The personal-data read log (`readlog.reads`): one entry per read of a dossier or a person,
//! written by [`record`] in the transaction of the read, readable by whoever audits the tenant,
//! purged after the retention period. Apart from the journal: it records reads, not changes.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use napoleon_kernel::{DossierId, LaureateId};

use crate::journal::Actor;
use crate::{DbError, TenantConn, TenantRead};

diesel::table! {
    readlog.reads (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Int8,
        reader -> Text,
        subject_kind -> Text,
        subject_id -> Uuid,
        channel -> Text,
        request_id -> Text,
        read_at -> Timestamptz,
        via -> Nullable<Text>,
    }
}

/// Through what a read was made: a login (its session's reference, minted at login and
/// distinct from the session's secret id) or an API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadVia {
    /// A browser session, by its reference.
    Session(String),
    /// An API token.
    Token(napoleon_kernel::ApiTokenId),
}

impl ReadVia {
    /// As stored (`session:<ref>`, `token:<id>`); a reference of another shape is not kept.
    fn render(&self) -> Option<String> {
        match self {
            Self::Session(reference) => {
                let fits = (1..=64).contains(&reference.len())
                    && reference
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                fits.then(|| format!("session:{reference}"))
            }
            Self::Token(id) => Some(format!("token:{id}")),
        }
    }
}

/// Whose personal data was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadSubject {
    /// A nomination dossier (its candidate).
    Dossier(DossierId),
    /// A person of the laureate registry.
    Laureate(LaureateId),
}

impl ReadSubject {
    fn parts(self) -> (&'static str, uuid::Uuid) {
        match self {
            Self::Dossier(id) => ("dossier", id.as_uuid()),
            Self::Laureate(id) => ("laureate", id.as_uuid()),
        }
    }
}

/// How it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadChannel {
    /// A page.
    Page,
    /// The JSON API.
    Api,
    /// A piece (an attached document).
    Piece,
    /// An export.
    Export,
}

impl ReadChannel {
    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::Api => "api",
            Self::Piece => "piece",
            Self::Export => "export",
        }
    }

    fn parse(raw: &str) -> Result<Self, DbError> {
        Ok(match raw {
            "page" => Self::Page,
            "api" => Self::Api,
            "piece" => Self::Piece,
            "export" => Self::Export,
            other => return Err(DbError::corrupt("channel", other)),
        })
    }

    /// The French label the audit page shows.
    #[must_use]
    pub const fn label_fr(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::Api => "API",
            Self::Piece => "pièce",
            Self::Export => "export",
        }
    }
}

/// Records one read, in the transaction of the read (so a read that fails records nothing).
///
/// # Errors
/// [`DbError`].
pub async fn record(
    tx: &impl TenantRead,
    reader: Actor,
    subject: ReadSubject,
    channel: ReadChannel,
    request_id: &str,
    via: Option<&ReadVia>,
) -> Result<(), DbError> {
    record_many(tx, reader, &[subject], channel, request_id, via).await
}

diesel::define_sql_function! {
    /// `readlog.record` (migration 000019): the entries, and the asynchronous commit.
    #[sql_name = "readlog.record"]
    fn record_fn(
        tenant: diesel::sql_types::Uuid,
        reader: diesel::sql_types::Text,
        kinds: diesel::sql_types::Array<diesel::sql_types::Text>,
        ids: diesel::sql_types::Array<diesel::sql_types::Uuid>,
        channel: diesel::sql_types::Text,
        request_id: diesel::sql_types::Text,
        via: diesel::sql_types::Nullable<diesel::sql_types::Text>,
    ) -> diesel::sql_types::Integer;
}

/// Records the reads of a list page: one entry per person or dossier shown, in one
/// statement, in the transaction of the read. Duplicates are recorded once.
///
/// The transaction then commits without waiting for its WAL flush (`synchronous_commit`
/// off, local to it, set by the `readlog.record` function; ARCHITECTURE.md, « Decisions »):
/// a read is not a write to wait for, and a flush per page would cap reads at the disk's
/// commit rate. The entry is on disk
/// within PostgreSQL's WAL-writer delay (three times 200 ms at worst); only a crash of the
/// database inside that window loses it. Callers are the read-only use cases
/// (`napoleon_web::end_reads`), whose transactions write nothing else.
///
/// # Errors
/// [`DbError`].
pub async fn record_many(
    tx: &impl TenantRead,
    reader: Actor,
    subjects: &[ReadSubject],
    channel: ReadChannel,
    request_id: &str,
    via: Option<&ReadVia>,
) -> Result<(), DbError> {
    let mut seen = std::collections::HashSet::new();
    let (kinds, ids): (Vec<&str>, Vec<uuid::Uuid>) = subjects
        .iter()
        .filter(|s| seen.insert(**s))
        .map(|s| s.parts())
        .unzip();
    if ids.is_empty() {
        return Ok(());
    }
    let request_id: String = request_id.chars().take(100).collect();
    let request_id = if request_id.is_empty() {
        "inconnu".to_owned()
    } else {
        request_id
    };
    let _written: i32 = diesel::select(record_fn(
        tx.tenant().as_uuid(),
        reader.render(),
        kinds,
        ids,
        channel.as_str(),
        request_id,
        via.and_then(ReadVia::render),
    ))
    .get_result(&mut tx.shared())
    .await?;
    Ok(())
}

/// Ends a read-only use case: records its reads ([`record_many`]) and commits, both in one
/// round trip (`TenantConn::commit_with`). The transaction must have written nothing:
/// should the entries fail, the transaction is rolled back and the read refused; should
/// they fail before reaching the database, the commit still ends a transaction that only
/// read.
///
/// # Errors
/// [`DbError`] when the entries or the commit fail.
pub async fn record_and_commit(
    tx: TenantConn,
    reader: Actor,
    subjects: &[ReadSubject],
    channel: ReadChannel,
    request_id: &str,
    via: Option<&ReadVia>,
) -> Result<(), DbError> {
    tx.commit_with(async |shared| {
        record_many(&shared, reader, subjects, channel, request_id, via).await
    })
    .await
}

/// One read, as the auditor sees it.
#[derive(Debug, Clone)]
pub struct ReadEntry {
    /// Its place in the log (with `read_at`, where an export resumes).
    pub id: i64,
    /// Who (`agent:<id>`, `token:<id>`…).
    pub reader: String,
    /// The reader's name when an agent (shown to the auditor, never logged).
    pub reader_name: Option<napoleon_kernel::Personal<String>>,
    /// Whose data.
    pub subject: ReadSubject,
    /// How.
    pub channel: ReadChannel,
    /// The request, to find it in the logs.
    pub request_id: String,
    /// When.
    pub read_at: DateTime<Utc>,
    /// Through which login or token (`session:<ref>`, `token:<id>`), when known.
    pub via: Option<String>,
}

#[derive(QueryableByName)]
struct ReadRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    reader: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    reader_name: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    subject_kind: String,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    subject_id: uuid::Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    channel: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    request_id: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    read_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    via: Option<String>,
}

/// The tenant's reads, latest first, `limit` from `offset` (a page of the audit view).
///
/// # Errors
/// [`DbError`].
pub async fn list(tx: &mut TenantConn, offset: i64, limit: i64) -> Result<Vec<ReadEntry>, DbError> {
    select(tx, None, offset, limit).await
}

/// The tenant's reads older than `after` (the last entry of the previous batch; `None` for the
/// newest), latest first, at most `limit`: an export a batch at a time, each in its own
/// transaction, however long the log.
///
/// # Errors
/// [`DbError`].
pub async fn list_after(
    tx: &mut TenantConn,
    after: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> Result<Vec<ReadEntry>, DbError> {
    select(tx, after, 0, limit).await
}

async fn select(
    tx: &mut TenantConn,
    after: Option<(DateTime<Utc>, i64)>,
    offset: i64,
    limit: i64,
) -> Result<Vec<ReadEntry>, DbError> {
    let rows: Vec<ReadRow> = diesel::sql_query(
        "SELECT r.id, r.reader, a.given_name || ' ' || a.usual_name AS reader_name, \
                r.subject_kind, r.subject_id, r.channel, r.request_id, r.read_at, r.via \
         FROM readlog.reads r \
         LEFT JOIN core.agents a ON r.reader = 'agent:' || a.id::text \
         WHERE r.tenant_id = $1 \
           AND ($2::timestamptz IS NULL OR (r.read_at, r.id) < ($2, $3)) \
         ORDER BY r.read_at DESC, r.id DESC OFFSET $4 LIMIT $5",
    )
    .bind::<diesel::sql_types::Uuid, _>(tx.tenant().as_uuid())
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>, _>(after.map(|a| a.0))
    .bind::<diesel::sql_types::BigInt, _>(after.map_or(0, |a| a.1))
    .bind::<diesel::sql_types::BigInt, _>(offset.max(0))
    .bind::<diesel::sql_types::BigInt, _>(limit.clamp(1, 1000))
    .load(tx.pg())
    .await?;
    rows.into_iter()
        .map(|r| {
            let subject = match r.subject_kind.as_str() {
                "dossier" => ReadSubject::Dossier(DossierId::from_uuid(r.subject_id)),
                "laureate" => ReadSubject::Laureate(LaureateId::from_uuid(r.subject_id)),
                other => return Err(DbError::corrupt("subject_kind", other)),
            };
            Ok(ReadEntry {
                id: r.id,
                reader: r.reader,
                reader_name: r.reader_name.map(napoleon_kernel::Personal::new),
                subject,
                channel: ReadChannel::parse(&r.channel)?,
                request_id: r.request_id,
                read_at: r.read_at,
                via: r.via,
            })
        })
        .collect()
}

/// Deletes the reads older than `before` (the retention period's start), at most `limit` of
/// them (the oldest) when given; returns how many. The database refuses a `before` within
/// the last 30 days of its own clock (`readlog.purge`), whatever the application's clock says.
///
/// # Errors
/// [`DbError`], also when `before` is too recent.
pub async fn purge_before(
    tx: &mut TenantConn,
    before: DateTime<Utc>,
    limit: Option<i32>,
) -> Result<i64, DbError> {
    #[derive(QueryableByName)]
    struct Removed {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let row: Removed = diesel::sql_query("SELECT readlog.purge($1, $2) AS n")
        .bind::<diesel::sql_types::Timestamptz, _>(before)
        .bind::<diesel::sql_types::Nullable<diesel::sql_types::Integer>, _>(limit)
        .get_result(tx.pg())
        .await?;
    Ok(row.n)
}

/// How many reads are older than `before`, and the oldest one's time (what a purge has to do).
///
/// # Errors
/// [`DbError`].
pub async fn older_than(
    tx: &mut TenantConn,
    before: DateTime<Utc>,
) -> Result<(i64, Option<DateTime<Utc>>), DbError> {
    #[derive(QueryableByName)]
    struct Older {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
        oldest: Option<DateTime<Utc>>,
    }
    let row: Older = diesel::sql_query(
        "SELECT count(*) AS n, min(read_at) AS oldest FROM readlog.reads \
         WHERE tenant_id = $1 AND read_at < $2",
    )
    .bind::<diesel::sql_types::Uuid, _>(tx.tenant().as_uuid())
    .bind::<diesel::sql_types::Timestamptz, _>(before)
    .get_result(tx.pg())
    .await?;
    Ok((row.n, row.oldest))
}

/// The job kind that applies the retention period (`napoleon_jobs::retention`).
#[must_use]
pub fn purge_kind() -> crate::jobs::JobKind {
    crate::jobs::JobKind::known("readlog.purge")
}
