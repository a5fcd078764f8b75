//! The transactional outbox (`outbox.messages`): a message is written in the transaction of
//! the change it tells about, with the job that delivers it ([`HTTP_KIND`] for the HTTP
//! channel). Both exist exactly when that transaction commits: a rolled back change sends
//! nothing. Delivery is at least once; the [`MessageId`] is the same on every attempt, so a
//! receiver deduplicates on it (`webhook-id`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use napoleon_kernel::{JobId, MessageId};

use crate::jobs::{self, JobKind, NewJob, is_dotted_name};
use crate::{DbError, TenantConn};

// What `emit` writes; the delivery's reads and updates are SQL below.
diesel::table! {
    outbox.messages (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        channel -> Text,
        destination -> Text,
        event -> Text,
        payload -> Jsonb,
        job_id -> Uuid,
    }
}

/// The job kind that delivers HTTP messages.
pub const HTTP_KIND: &str = "outbox.http";

/// The job kind that delivers HTTP messages.
#[must_use]
pub fn http_kind() -> JobKind {
    JobKind::known(HTTP_KIND)
}

/// How many times a message is tried before its job fails for good (with the jobs' backoff,
/// from 30 s doubling to an hour: about a day).
pub const MAX_ATTEMPTS: i32 = 30;

/// What an event is called (`dossier.transmitted`): lowercase words joined by dots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventName(String);

impl EventName {
    /// Parses a name.
    ///
    /// # Errors
    /// [`DbError::Corrupt`] naming the value when it is not of that shape.
    pub fn parse(raw: &str) -> Result<Self, DbError> {
        if is_dotted_name(raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DbError::corrupt("event", raw))
        }
    }

    /// The name as stored.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where an HTTP message is posted: an `http` or `https` URL with a host and without
/// credentials (they would land in the table and the logs), at most 2,000 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpDestination(url::Url);

impl HttpDestination {
    /// Parses a destination.
    ///
    /// # Errors
    /// [`DbError::Corrupt`] when it is not such a URL (without the value: a URL may carry a
    /// partner's secret, and errors reach the logs).
    pub fn parse(raw: &str) -> Result<Self, DbError> {
        let refused = || {
            DbError::Corrupt(
                "destination: not an http(s) URL with a host and no credentials".into(),
            )
        };
        let url = url::Url::parse(raw).map_err(|_| refused())?;
        let fit = matches!(url.scheme(), "http" | "https")
            && url.host().is_some()
            && url.username().is_empty()
            && url.password().is_none()
            && url.as_str().len() <= 2000;
        if fit { Ok(Self(url)) } else { Err(refused()) }
    }

    /// The URL.
    #[must_use]
    pub const fn url(&self) -> &url::Url {
        &self.0
    }
}

/// A message to send when the caller's transaction commits.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Where to post it.
    pub destination: HttpDestination,
    /// What happened.
    pub event: EventName,
    /// What the receiver gets as `data` (ids and facts; personal data only when the receiver
    /// is entitled to it).
    pub payload: serde_json::Value,
    /// Who caused it, kept with the delivery job.
    pub caused_by: crate::journal::Actor,
}

/// A message as its delivery reads it.
#[derive(Debug, Clone)]
pub struct Message {
    /// Its id (`webhook-id`).
    pub id: MessageId,
    /// Where it goes.
    pub destination: HttpDestination,
    /// What happened.
    pub event: EventName,
    /// What the receiver gets.
    pub payload: serde_json::Value,
    /// When the change that emitted it committed (its transaction's time).
    pub created_at: DateTime<Utc>,
    /// The job delivering it.
    pub job: JobId,
    /// Attempts made so far.
    pub attempts: i32,
    /// When a receiver acknowledged it.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Writes a message and its delivery job in the caller's transaction.
///
/// # Errors
/// [`DbError`] (a payload that is not a JSON object, or too large, is refused by the table).
pub async fn emit(tx: &mut TenantConn, message: &NewMessage) -> Result<MessageId, DbError> {
    let id = MessageId::new();
    let kind = http_kind();
    let job = jobs::enqueue(
        tx,
        &NewJob {
            kind: &kind,
            payload: serde_json::json!({ "message": id }),
            max_attempts: MAX_ATTEMPTS,
            created_by: &message.caused_by.render(),
        },
    )
    .await?;
    diesel::insert_into(messages::table)
        .values((
            messages::tenant_id.eq(tx.tenant().as_uuid()),
            messages::id.eq(id.as_uuid()),
            messages::channel.eq("http"),
            messages::destination.eq(message.destination.url().as_str()),
            messages::event.eq(message.event.as_str()),
            messages::payload.eq(&message.payload),
            messages::job_id.eq(job.as_uuid()),
        ))
        .execute(tx.pg())
        .await?;
    Ok(id)
}

#[derive(QueryableByName)]
struct MessageRow {
    #[diesel(sql_type = SqlUuid)]
    id: uuid::Uuid,
    #[diesel(sql_type = Text)]
    destination: String,
    #[diesel(sql_type = Text)]
    event: String,
    #[diesel(sql_type = Jsonb)]
    payload: serde_json::Value,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = SqlUuid)]
    job_id: uuid::Uuid,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    delivered_at: Option<DateTime<Utc>>,
}

/// The current tenant's message `id`.
///
/// # Errors
/// [`DbError`] (not found when it is not this tenant's).
pub async fn message(tx: &mut TenantConn, id: MessageId) -> Result<Message, DbError> {
    let row: MessageRow = diesel::sql_query(
        "SELECT id, destination, event, payload, created_at, job_id, attempts, delivered_at \
         FROM outbox.messages WHERE tenant_id = $1 AND id = $2",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<SqlUuid, _>(id.as_uuid())
    .get_result(tx.pg())
    .await?;
    Ok(Message {
        id: MessageId::from_uuid(row.id),
        destination: HttpDestination::parse(&row.destination)?,
        event: EventName::parse(&row.event)?,
        payload: row.payload,
        created_at: row.created_at,
        job: JobId::from_uuid(row.job_id),
        attempts: row.attempts,
        delivered_at: row.delivered_at,
    })
}

/// How one delivery attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver acknowledged it (a 2xx status).
    Delivered(u16),
    /// The receiver answered another status.
    Refused(u16),
    /// No answer (connection refused or lost, timeout); what happened, for operators.
    NoAnswer(String),
}

/// Records an attempt on message `id`, at `now`.
///
/// # Errors
/// [`DbError`].
pub async fn record_attempt(
    tx: &mut TenantConn,
    id: MessageId,
    attempt: &Attempt,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let (status, error, delivered) = match attempt {
        Attempt::Delivered(s) => (Some(i32::from(*s)), None, Some(now)),
        Attempt::Refused(s) => (Some(i32::from(*s)), None, None),
        Attempt::NoAnswer(e) => (None, Some(e.chars().take(2000).collect::<String>()), None),
    };
    diesel::sql_query(
        "UPDATE outbox.messages SET attempts = attempts + 1, last_status = $3, last_error = $4, \
         delivered_at = coalesce(delivered_at, $5) WHERE tenant_id = $1 AND id = $2",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<SqlUuid, _>(id.as_uuid())
    .bind::<Nullable<Integer>, _>(status)
    .bind::<Nullable<Text>, _>(error)
    .bind::<Nullable<Timestamptz>, _>(delivered)
    .execute(tx.pg())
    .await?;
    Ok(())
}
