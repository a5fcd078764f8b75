//! Background jobs (`jobs.jobs`): enqueued in the transaction of the change that calls for
//! them, leased by workers across tenants (`jobs.lease`, `FOR UPDATE SKIP LOCKED`), retried with
//! a growing delay, cancellable, with their progress readable by the pages that started them.
//! `napoleon_jobs` runs them; this module is their SQL.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Jsonb, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use napoleon_kernel::{JobId, TenantId};

use crate::{DbError, TenantConn};

// The columns the typed queries use (diesel's 16 without its larger-table feature); `enqueue`
// writes the others in SQL.
diesel::table! {
    jobs.jobs (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        kind -> Text,
        state -> Text,
        attempts -> Int4,
        run_after -> Timestamptz,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamptz>,
        progress_done -> Int8,
        progress_total -> Nullable<Int8>,
        progress_message -> Nullable<Text>,
        cancel_requested -> Bool,
        result -> Nullable<Jsonb>,
        last_error -> Nullable<Text>,
        finished_at -> Nullable<Timestamptz>,
        created_by -> Text,
    }
}

/// `service.what`: lowercase words joined by dots, at most 64 bytes (job kinds and outbox
/// events; their tables check the same).
pub(crate) fn is_dotted_name(raw: &str) -> bool {
    let word = |w: &str| {
        w.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    raw.len() <= 64 && raw.split('.').count() >= 2 && raw.split('.').all(word)
}

/// A job's kind, `service.what` (`outbox.http`, `registry.import`): lowercase words joined by
/// dots, at most 64 bytes (the table checks the same).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobKind(String);

impl JobKind {
    /// Parses a kind.
    ///
    /// # Errors
    /// [`DbError::Corrupt`] naming the value when it is not of that shape.
    pub fn parse(raw: &str) -> Result<Self, DbError> {
        if is_dotted_name(raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DbError::corrupt("kind", raw))
        }
    }

    /// The kind as stored.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A kind this crate names (its shape checked by the tests).
    pub(crate) fn known(name: &'static str) -> Self {
        debug_assert!(is_dotted_name(name), "{name}");
        Self(name.to_owned())
    }
}

impl std::fmt::Display for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for a worker (first time, or again after a failed attempt).
    Queued,
    /// Leased by a worker.
    Running,
    /// Done; its result is stored.
    Succeeded,
    /// Every attempt failed; the last error is stored.
    Failed,
    /// Stopped at someone's request.
    Cancelled,
}

impl JobState {
    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    fn parse(raw: &str) -> Result<Self, DbError> {
        Ok(match raw {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            other => return Err(DbError::corrupt("state", other)),
        })
    }
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    /// Its kind (which handler runs it).
    pub kind: &'a JobKind,
    /// What the handler needs (ids, options; never a file's bytes).
    pub payload: serde_json::Value,
    /// Attempts before it is failed for good.
    pub max_attempts: i32,
    /// Who asked (`agent:<id>`, `system:<what>`), for the page and the journal.
    pub created_by: &'a str,
}

/// Enqueues a job someone asked for (an agent from a page, an operator from the command
/// line), and journals the request, in the caller's transaction.
///
/// # Errors
/// [`DbError`].
pub async fn request(
    tx: &mut TenantConn,
    kind: &JobKind,
    by: crate::journal::Actor,
    max_attempts: i32,
) -> Result<JobId, DbError> {
    let created_by = by.render();
    let id = enqueue(
        tx,
        &NewJob {
            kind,
            payload: serde_json::json!({}),
            max_attempts,
            created_by: &created_by,
        },
    )
    .await?;
    crate::journal::append(
        tx,
        by,
        crate::journal::Subject::Job(id),
        crate::journal::EventKind::JobRequested,
        serde_json::json!({ "kind": kind.as_str() }),
    )
    .await?;
    Ok(id)
}

/// The unfinished job (queued or running) of `kind` for `list` (its payload's `list`) that
/// `created_by` asked, if any, once the transaction holds the lock on asking for it: the
/// caller enqueues a new one only when there is none, so that one agent has one such job per
/// list at a time (two requests at once wait for each other).
///
/// # Errors
/// [`DbError`].
pub async fn unfinished_of(
    tx: &mut TenantConn,
    kind: &JobKind,
    created_by: &str,
    list: &str,
) -> Result<Option<JobId>, DbError> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = SqlUuid)]
        id: uuid::Uuid,
    }
    diesel::sql_query(
        "SELECT pg_advisory_xact_lock(hashtextextended(\
         'napoleon.jobs.unfinished:' || $1 || ':' || $2 || ':' || $3 || ':' || $4, 0))",
    )
    .bind::<Text, _>(tx.tenant().to_string())
    .bind::<Text, _>(kind.as_str())
    .bind::<Text, _>(created_by)
    .bind::<Text, _>(list)
    .execute(tx.pg())
    .await?;
    let found: Option<Found> = diesel::sql_query(
        "SELECT id FROM jobs.jobs WHERE tenant_id = $1 AND kind = $2 AND created_by = $3 \
         AND payload->>'list' = $4 AND state IN ('queued', 'running') ORDER BY id LIMIT 1",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<Text, _>(kind.as_str())
    .bind::<Text, _>(created_by)
    .bind::<Text, _>(list)
    .get_result(tx.pg())
    .await
    .optional()?;
    Ok(found.map(|f| JobId::from_uuid(f.id)))
}

/// Enqueues a job in the caller's transaction: it exists exactly when that transaction commits.
///
/// # Errors
/// [`DbError`].
pub async fn enqueue(tx: &mut TenantConn, job: &NewJob<'_>) -> Result<JobId, DbError> {
    let id = JobId::new();
    diesel::sql_query(
        "INSERT INTO jobs.jobs (tenant_id, id, kind, payload, max_attempts, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<SqlUuid, _>(id.as_uuid())
    .bind::<Text, _>(job.kind.as_str())
    .bind::<Jsonb, _>(&job.payload)
    .bind::<Integer, _>(job.max_attempts)
    .bind::<Text, _>(job.created_by)
    .execute(tx.pg())
    .await?;
    Ok(id)
}

/// A job a worker holds.
#[derive(Debug, Clone)]
pub struct Leased {
    /// Its tenant.
    pub tenant: TenantId,
    /// Its id.
    pub id: JobId,
    /// Its kind.
    pub kind: JobKind,
    /// Its payload.
    pub payload: serde_json::Value,
    /// This attempt's number (1 for the first).
    pub attempt: i32,
}

#[derive(QueryableByName)]
struct LeaseRow {
    #[diesel(sql_type = SqlUuid)]
    tenant_id: uuid::Uuid,
    #[diesel(sql_type = SqlUuid)]
    id: uuid::Uuid,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Jsonb)]
    payload: serde_json::Value,
    #[diesel(sql_type = Integer)]
    attempts: i32,
}

/// Leases the next due job of `kinds` for `seconds`, across tenants, as `worker`.
///
/// # Errors
/// [`DbError`].
pub async fn lease(
    conn: &mut AsyncPgConnection,
    worker: &str,
    kinds: &[JobKind],
    now: DateTime<Utc>,
    seconds: i32,
) -> Result<Option<Leased>, DbError> {
    let kinds: Vec<&str> = kinds.iter().map(JobKind::as_str).collect();
    let row: Option<LeaseRow> = diesel::sql_query(
        "SELECT tenant_id, id, kind, payload, attempts FROM jobs.lease($1, $2, $3, $4)",
    )
    .bind::<Text, _>(worker)
    .bind::<Array<Text>, _>(kinds)
    .bind::<Timestamptz, _>(now)
    .bind::<Integer, _>(seconds)
    .get_result(conn)
    .await
    .optional()?;
    row.map(|r| {
        Ok(Leased {
            tenant: TenantId::from_uuid(r.tenant_id),
            id: JobId::from_uuid(r.id),
            kind: JobKind::parse(&r.kind)?,
            payload: r.payload,
            attempt: r.attempts,
        })
    })
    .transpose()
}

/// The job kind that removes finished jobs and delivered messages past their retention.
#[must_use]
pub fn purge_kind() -> JobKind {
    JobKind::known("jobs.purge")
}

/// Removes, in the current tenant, up to `limit` delivered outbox messages and up to `limit`
/// finished jobs nothing refers to, finished before `before`; returns how many rows. The
/// database refuses a `before` within the last 7 days (`jobs.purge_finished`).
///
/// # Errors
/// [`DbError`], also when `before` is too recent.
pub async fn purge_finished(
    tx: &mut TenantConn,
    before: DateTime<Utc>,
    limit: i32,
) -> Result<i64, DbError> {
    #[derive(QueryableByName)]
    struct Removed {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let row: Removed = diesel::sql_query("SELECT jobs.purge_finished($1, $2) AS n")
        .bind::<Timestamptz, _>(before)
        .bind::<Integer, _>(limit)
        .get_result(tx.pg())
        .await?;
    Ok(row.n)
}

/// Makes sure every tenant has the job of `kind` for `period` (a Paris day `2026-12-06` or a
/// month `2026-12`), however many workers ask; returns how many it added.
///
/// # Errors
/// [`DbError`] (also for a period of another shape).
pub async fn enqueue_periodic(
    conn: &mut AsyncPgConnection,
    kind: &JobKind,
    period: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    #[derive(QueryableByName)]
    struct Added {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let row: Added = diesel::sql_query("SELECT jobs.enqueue_periodic($1, $2, $3) AS n")
        .bind::<Text, _>(kind.as_str())
        .bind::<Text, _>(period)
        .bind::<Timestamptz, _>(now)
        .get_result(conn)
        .await?;
    Ok(row.n)
}

/// How many jobs hold a live lease, across tenants.
///
/// # Errors
/// [`DbError`].
pub async fn running(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> Result<i64, DbError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let row: Count = diesel::sql_query("SELECT jobs.running($1) AS n")
        .bind::<Timestamptz, _>(now)
        .get_result(conn)
        .await?;
    Ok(row.n)
}

/// The job, held by `worker`, in the caller's transaction.
/// A lease is the worker's name and the attempt it was given for: a worker that lost its lease
/// and got the job again later cannot write for the earlier attempt.
#[diesel::dsl::auto_type(no_type_alias)]
fn held(tenant: TenantId, id: JobId, worker: String, attempt: i32) -> _ {
    let tenant: uuid::Uuid = tenant.as_uuid();
    let id: uuid::Uuid = id.as_uuid();
    let running: &'static str = JobState::Running.as_str();
    jobs::table
        .filter(jobs::tenant_id.eq(tenant))
        .filter(jobs::id.eq(id))
        .filter(jobs::state.eq(running))
        .filter(jobs::lease_owner.eq(worker))
        .filter(jobs::attempts.eq(attempt))
}

/// Records progress and renews the lease until `lease_until`, in one statement that also
/// tells whether someone asked to stop the job: `Ok(None)` when the worker no longer holds it
/// (its lease passed and another took it), `Ok(Some(cancel_requested))` otherwise.
///
/// # Errors
/// [`DbError`].
#[expect(
    clippy::too_many_arguments,
    reason = "the lease's identity and what it reports"
)]
pub async fn progress(
    tx: &mut TenantConn,
    id: JobId,
    worker: &str,
    attempt: i32,
    done: i64,
    total: Option<i64>,
    message: &str,
    lease_until: DateTime<Utc>,
) -> Result<Option<bool>, DbError> {
    Ok(
        diesel::update(held(tx.tenant(), id, worker.to_owned(), attempt))
            .set((
                jobs::progress_done.eq(done.max(0)),
                jobs::progress_total.eq(total.map(|t| t.max(0))),
                jobs::progress_message.eq(message.chars().take(500).collect::<String>()),
                jobs::lease_until.eq(lease_until),
            ))
            .returning(jobs::cancel_requested)
            .get_result(tx.pg())
            .await
            .optional()?,
    )
}

/// Renews the lease until `lease_until` without reporting progress (the worker's heartbeat
/// while a handler is silent); `Ok(false)` when the worker no longer holds the job.
///
/// # Errors
/// [`DbError`].
pub async fn renew(
    tx: &mut TenantConn,
    id: JobId,
    worker: &str,
    attempt: i32,
    lease_until: DateTime<Utc>,
) -> Result<bool, DbError> {
    let n = diesel::update(held(tx.tenant(), id, worker.to_owned(), attempt))
        .set(jobs::lease_until.eq(lease_until))
        .execute(tx.pg())
        .await?;
    Ok(n == 1)
}

/// When the job's lease ends, if it is running (tests and the job's page).
///
/// # Errors
/// [`DbError`].
pub async fn lease_until(tx: &mut TenantConn, id: JobId) -> Result<Option<DateTime<Utc>>, DbError> {
    Ok(jobs::table
        .filter(jobs::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(jobs::id.eq(id.as_uuid()))
        .select(jobs::lease_until)
        .first(tx.pg())
        .await?)
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Done, with what to keep (a report, a stored file's key).
    Succeeded(serde_json::Value),
    /// Failed: queued again at `retry_at`, or failed for good after the last attempt.
    Failed {
        /// Why, in French (shown on the job's page).
        error: String,
        /// When to try again.
        retry_at: DateTime<Utc>,
    },
    /// Stopped at someone's request.
    Cancelled,
    /// Failed in a way no retry would change (what it works on is gone): failed for good.
    Abandoned(String),
}

/// Ends the worker's attempt; `Ok(false)` when it no longer held the job (nothing changed).
///
/// # Errors
/// [`DbError`].
pub async fn finish(
    tx: &mut TenantConn,
    id: JobId,
    worker: &str,
    attempt: i32,
    outcome: &Outcome,
) -> Result<bool, DbError> {
    let now = tx.now();
    let target = held(tx.tenant(), id, worker.to_owned(), attempt);
    let none_owner: Option<String> = None;
    let none_until: Option<DateTime<Utc>> = None;
    let n = match outcome {
        Outcome::Succeeded(result) => {
            diesel::update(target)
                .set((
                    jobs::state.eq(JobState::Succeeded.as_str()),
                    jobs::result.eq(Some(result)),
                    jobs::lease_owner.eq(none_owner),
                    jobs::lease_until.eq(none_until),
                    jobs::finished_at.eq(Some(now)),
                ))
                .execute(tx.pg())
                .await?
        }
        Outcome::Cancelled => {
            diesel::update(target)
                .set((
                    jobs::state.eq(JobState::Cancelled.as_str()),
                    jobs::lease_owner.eq(none_owner),
                    jobs::lease_until.eq(none_until),
                    jobs::finished_at.eq(Some(now)),
                ))
                .execute(tx.pg())
                .await?
        }
        Outcome::Abandoned(error) => {
            diesel::update(target)
                .set((
                    jobs::state.eq(JobState::Failed.as_str()),
                    jobs::last_error.eq(Some(error.chars().take(2000).collect::<String>())),
                    jobs::lease_owner.eq(none_owner),
                    jobs::lease_until.eq(none_until),
                    jobs::finished_at.eq(Some(now)),
                ))
                .execute(tx.pg())
                .await?
        }
        Outcome::Failed { error, retry_at } => {
            let error: String = error.chars().take(2000).collect();
            // Queued again while attempts remain (unless someone asked to stop it: then it is
            // cancelled), failed for good after the last.
            diesel::sql_query(
                "UPDATE jobs.jobs SET \
                   state = CASE WHEN cancel_requested THEN 'cancelled' \
                                WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END, \
                   run_after = CASE WHEN attempts < max_attempts THEN $4 ELSE run_after END, \
                   finished_at = CASE WHEN attempts < max_attempts AND NOT cancel_requested \
                                      THEN NULL ELSE $5 END, \
                   last_error = $6, lease_owner = NULL, lease_until = NULL \
                 WHERE tenant_id = $1 AND id = $2 AND state = 'running' AND lease_owner = $3 \
                   AND attempts = $7",
            )
            .bind::<SqlUuid, _>(tx.tenant().as_uuid())
            .bind::<SqlUuid, _>(id.as_uuid())
            .bind::<Text, _>(worker)
            .bind::<Timestamptz, _>(*retry_at)
            .bind::<Timestamptz, _>(now)
            .bind::<Text, _>(error)
            .bind::<Integer, _>(attempt)
            .execute(tx.pg())
            .await?
        }
    };
    Ok(n == 1)
}

/// Asks a job to stop: a queued job is cancelled at once, a running one stops at its next
/// progress report. Returns the state after the request.
///
/// # Errors
/// [`DbError`] (`is_not_found` for another tenant's or an unknown job).
pub async fn request_cancel(tx: &mut TenantConn, id: JobId) -> Result<JobState, DbError> {
    let now = tx.now();
    let row = jobs::table
        .filter(jobs::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(jobs::id.eq(id.as_uuid()));
    diesel::update(row.filter(jobs::state.eq(JobState::Queued.as_str())))
        .set((
            jobs::state.eq(JobState::Cancelled.as_str()),
            jobs::cancel_requested.eq(true),
            jobs::finished_at.eq(Some(now)),
        ))
        .execute(tx.pg())
        .await?;
    diesel::update(row.filter(jobs::state.eq(JobState::Running.as_str())))
        .set(jobs::cancel_requested.eq(true))
        .execute(tx.pg())
        .await?;
    Ok(job(tx, id).await?.state)
}

/// A job as its page shows it.
#[derive(Debug, Clone)]
pub struct JobView {
    /// Its id.
    pub id: JobId,
    /// Its kind.
    pub kind: JobKind,
    /// Where it is.
    pub state: JobState,
    /// Attempts made.
    pub attempts: i32,
    /// Items done.
    pub done: i64,
    /// Items in all, when known.
    pub total: Option<i64>,
    /// The handler's last word, in French.
    pub message: Option<String>,
    /// What it produced.
    pub result: Option<serde_json::Value>,
    /// Why the last attempt failed, in French.
    pub last_error: Option<String>,
    /// When it may run next.
    pub run_after: DateTime<Utc>,
    /// Whether someone asked to stop it.
    pub cancel_requested: bool,
    /// Who asked for it (`agent:<id>`, `system:<what>`).
    pub created_by: String,
}

impl JobView {
    /// Whether it may still change (queued or running).
    #[must_use]
    pub const fn is_active(&self) -> bool {
        matches!(self.state, JobState::Queued | JobState::Running)
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = jobs, check_for_backend(diesel::pg::Pg))]
struct JobRow {
    id: uuid::Uuid,
    kind: String,
    state: String,
    attempts: i32,
    progress_done: i64,
    progress_total: Option<i64>,
    progress_message: Option<String>,
    result: Option<serde_json::Value>,
    last_error: Option<String>,
    run_after: DateTime<Utc>,
    cancel_requested: bool,
    created_by: String,
}

/// What a job of the tenant was enqueued with ([`DbError::is_not_found`] otherwise).
///
/// # Errors
/// [`DbError`].
pub async fn payload(tx: &mut TenantConn, id: JobId) -> Result<serde_json::Value, DbError> {
    // Not in `jobs::table` (diesel's tables stop at 16 columns): read on its own.
    #[derive(QueryableByName)]
    struct Payload {
        #[diesel(sql_type = Jsonb)]
        payload: serde_json::Value,
    }
    let row: Payload =
        diesel::sql_query("SELECT payload FROM jobs.jobs WHERE tenant_id = $1 AND id = $2")
            .bind::<SqlUuid, _>(tx.tenant().as_uuid())
            .bind::<SqlUuid, _>(id.as_uuid())
            .get_result(tx.pg())
            .await?;
    Ok(row.payload)
}

/// A job of the transaction's tenant, as its page shows it.
///
/// # Errors
/// [`DbError`] (not found for another tenant's).
pub async fn job(tx: &mut TenantConn, id: JobId) -> Result<JobView, DbError> {
    let row: JobRow = jobs::table
        .filter(jobs::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(jobs::id.eq(id.as_uuid()))
        .select(JobRow::as_select())
        .first(tx.pg())
        .await?;
    row.view()
}

/// The current tenant's latest job of `kind` (the last purge, the last import).
///
/// # Errors
/// [`DbError`].
pub async fn latest(tx: &mut TenantConn, kind: &JobKind) -> Result<Option<JobView>, DbError> {
    let row: Option<JobRow> = jobs::table
        .filter(jobs::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(jobs::kind.eq(kind.as_str()))
        .order((jobs::run_after.desc(), jobs::id.desc()))
        .select(JobRow::as_select())
        .first(tx.pg())
        .await
        .optional()?;
    row.map(JobRow::view).transpose()
}

impl JobRow {
    fn view(self) -> Result<JobView, DbError> {
        Ok(JobView {
            id: JobId::from_uuid(self.id),
            kind: JobKind::parse(&self.kind)?,
            state: JobState::parse(&self.state)?,
            attempts: self.attempts,
            done: self.progress_done,
            total: self.progress_total,
            message: self.progress_message,
            result: self.result,
            last_error: self.last_error,
            run_after: self.run_after,
            cancel_requested: self.cancel_requested,
            created_by: self.created_by,
        })
    }
}
