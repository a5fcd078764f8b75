//! Runs background jobs (`napoleon_db::jobs` stores them).
//!
//! A [`Worker`] leases the next due job of the kinds it has a [`Handler`] for, across tenants,
//! runs it, and records how it ended: succeeded with a result, failed (queued again after a
//! growing delay until its last attempt), or cancelled. A handler reports progress through its
//! [`JobContext`]; each report renews the lease and is where a cancellation or a lost lease
//! stops it. A worker that dies stops renewing its lease: once it passes, another worker takes
//! the job again. Every time comes from the database's clock ([`napoleon_db::Db::clock`]).

pub mod outbox;
pub mod retention;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use napoleon_db::jobs::{self, JobKind, Leased, Outcome};
use napoleon_db::{Db, DbError};
use napoleon_kernel::{JobId, TenantId};

/// Why a handler stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Someone asked to stop the job.
    Cancelled,
    /// The worker no longer holds the job (its lease passed and another took it): stop
    /// without writing anything more.
    LeaseLost,
    /// The attempt failed; the French message is shown on the job's page.
    Failed(String),
    /// No attempt can succeed (what the job works on is gone): failed for good, no retry.
    Abandoned(String),
}

impl From<DbError> for JobError {
    fn from(e: DbError) -> Self {
        // The page shows the message: the details go to the log, not to agents.
        tracing::warn!(error = %e, "job attempt: database error");
        Self::Failed("La base de données n'a pas répondu ; le traitement sera repris.".to_owned())
    }
}

/// What a handler runs with.
#[derive(Debug)]
pub struct JobContext {
    db: Db,
    job: Leased,
    worker: String,
    lease: chrono::Duration,
}

impl JobContext {
    /// The job's tenant (open its transactions with `db().tenant(tenant())`).
    #[must_use]
    pub const fn tenant(&self) -> TenantId {
        self.job.tenant
    }

    /// The job's id.
    #[must_use]
    pub const fn id(&self) -> JobId {
        self.job.id
    }

    /// What the job was enqueued with.
    #[must_use]
    pub const fn payload(&self) -> &serde_json::Value {
        &self.job.payload
    }

    /// This attempt's number (1 for the first).
    #[must_use]
    pub const fn attempt(&self) -> i32 {
        self.job.attempt
    }

    /// The database, on the process's clock.
    #[must_use]
    pub const fn db(&self) -> &Db {
        &self.db
    }

    /// Records progress (`done` of `total`, a French message) and renews the lease.
    ///
    /// # Errors
    /// [`JobError::Cancelled`] when someone asked to stop, [`JobError::LeaseLost`] when the job
    /// is no longer this worker's: the handler returns it as is.
    pub async fn progress(
        &self,
        done: i64,
        total: Option<i64>,
        message: &str,
    ) -> Result<(), JobError> {
        let mut tx = self.db.tenant(self.job.tenant).await?;
        let until = tx.now() + self.lease;
        let cancel = jobs::progress(
            &mut tx,
            self.job.id,
            &self.worker,
            self.job.attempt,
            done,
            total,
            message,
            until,
        )
        .await?;
        tx.commit().await?;
        match cancel {
            None => Err(JobError::LeaseLost),
            Some(true) => Err(JobError::Cancelled),
            Some(false) => Ok(()),
        }
    }
}

/// Runs the jobs of one kind.
#[async_trait]
pub trait Handler: Send + Sync {
    /// The kind it runs.
    fn kind(&self) -> JobKind;

    /// Runs one attempt; its result is kept with the job.
    async fn run(&self, job: &JobContext) -> Result<serde_json::Value, JobError>;
}

/// The delay before attempt `attempt + 1`: 30 s, doubling, at most an hour.
#[must_use]
pub fn backoff(attempt: i32) -> chrono::Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(7);
    chrono::Duration::seconds(30_i64 << exponent).min(chrono::Duration::hours(1))
}

/// Leases and runs jobs, one at a time.
pub struct Worker {
    db: Db,
    name: String,
    handlers: HashMap<JobKind, Arc<dyn Handler>>,
    lease: chrono::Duration,
    heartbeat: Duration,
    daily: Vec<JobKind>,
    purge_sessions: bool,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("name", &self.name)
            .field("kinds", &self.handlers.keys().collect::<Vec<_>>())
            .field("daily", &self.daily)
            .finish_non_exhaustive()
    }
}

/// How often a worker makes sure the day's periodic jobs exist.
const SCHEDULE_EVERY: Duration = Duration::from_secs(600);

/// How long a lease lasts without a progress report or a heartbeat.
const LEASE_SECONDS: i32 = 60;

/// How often the worker renews the lease of a job whose handler is silent: well within the
/// lease, so a slow handler is never taken for a dead one.
const HEARTBEAT: Duration = Duration::from_secs(20);

impl Worker {
    /// A worker named `name` (unique per process: host and pid) running `handlers`.
    #[must_use]
    pub fn new(db: Db, name: impl Into<String>, handlers: Vec<Arc<dyn Handler>>) -> Self {
        Self {
            db,
            name: name.into(),
            handlers: handlers.into_iter().map(|h| (h.kind(), h)).collect(),
            lease: chrono::Duration::seconds(i64::from(LEASE_SECONDS)),
            heartbeat: HEARTBEAT,
            daily: Vec::new(),
            purge_sessions: false,
        }
    }

    /// Also removes expired login sessions at each [`Worker::schedule`] (they are the
    /// platform's, not a tenant's, so not a job of a tenant): without it, every anonymous
    /// visit to a login page would leave a row for good.
    #[must_use]
    pub const fn with_session_purge(mut self) -> Self {
        self.purge_sessions = true;
        self
    }

    /// Also makes sure a job of `kind` exists in every tenant each Paris day (retention
    /// purges): [`Worker::run`] asks at start and every ten minutes, and the database keeps
    /// one per tenant and day however many workers ask.
    #[must_use]
    pub fn with_daily(mut self, kind: JobKind) -> Self {
        self.daily.push(kind);
        self
    }

    /// Enqueues today's daily jobs where they are missing, and removes expired sessions when
    /// asked to; returns how many jobs it added.
    ///
    /// # Errors
    /// [`DbError`].
    pub async fn schedule(&self) -> Result<i64, DbError> {
        let clock = self.db.clock();
        let period = clock.today().to_string();
        let mut conn = self.db.platform().await?;
        let mut added = 0;
        for kind in &self.daily {
            added += jobs::enqueue_periodic(&mut conn, kind, &period, clock.now()).await?;
        }
        if self.purge_sessions {
            let ended = napoleon_db::sessions::purge_expired(&mut conn, clock.now()).await?;
            tracing::info!(sessions.purged = ended, "expired sessions removed");
        }
        Ok(added)
    }

    /// Renews silent handlers' leases every `every` instead of every 20 s (tests).
    #[must_use]
    pub const fn with_heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every;
        self
    }

    /// Renews the lease every heartbeat until aborted or the job is no longer this worker's.
    fn heartbeat(&self, tenant: TenantId, id: JobId, attempt: i32) -> tokio::task::JoinHandle<()> {
        let (db, name, lease, every) = (
            self.db.clone(),
            self.name.clone(),
            self.lease,
            self.heartbeat,
        );
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Ok(mut tx) = db.tenant(tenant).await else {
                    continue;
                };
                let until = tx.now() + lease;
                match jobs::renew(&mut tx, id, &name, attempt, until).await {
                    Ok(true) => {
                        if tx.commit().await.is_err() {
                            tracing::warn!(job.id = %id, "heartbeat: commit failed");
                        }
                    }
                    // Lost, or finished meanwhile: nothing more to keep alive.
                    Ok(false) => return,
                    Err(e) => tracing::warn!(job.id = %id, error = %e, "heartbeat failed"),
                }
            }
        })
    }

    /// Leases the next due job and runs it to its end; `None` when none is due.
    ///
    /// # Errors
    /// [`DbError`] when the database cannot be reached (the job, if leased, is retried once
    /// its lease passes).
    pub async fn run_one(&self) -> Result<Option<JobId>, DbError> {
        let kinds: Vec<JobKind> = self.handlers.keys().cloned().collect();
        let leased = {
            let mut conn = self.db.platform().await?;
            jobs::lease(
                &mut conn,
                &self.name,
                &kinds,
                self.db.clock().now(),
                LEASE_SECONDS,
            )
            .await?
        };
        let Some(job) = leased else {
            return Ok(None);
        };
        let (id, tenant, attempt) = (job.id, job.tenant, job.attempt);
        let handler = self.handlers.get(&job.kind).cloned();
        let context = JobContext {
            db: self.db.clone(),
            job,
            worker: self.name.clone(),
            lease: self.lease,
        };
        // The attempt runs in its own task: a handler that panics fails its attempt (and is
        // retried) instead of taking the worker down with the job left leased.
        let heartbeat = self.heartbeat(tenant, id, attempt);
        let ran = match handler {
            Some(handler) => tokio::spawn(async move { handler.run(&context).await }).await,
            None => Ok(Err(JobError::Failed(
                "Aucun traitement de ce type n'est installé.".to_owned(),
            ))),
        };
        heartbeat.abort();
        let outcome = match ran {
            Ok(Ok(result)) => Outcome::Succeeded(result),
            Ok(Err(JobError::Cancelled)) => Outcome::Cancelled,
            Ok(Err(JobError::Abandoned(error))) => {
                tracing::warn!(job.id = %id, attempt, "job abandoned");
                Outcome::Abandoned(error)
            }
            Ok(Err(JobError::LeaseLost)) => {
                tracing::warn!(job.id = %id, "lease lost: another worker has the job");
                return Ok(Some(id));
            }
            Ok(Err(JobError::Failed(error))) => {
                tracing::warn!(job.id = %id, attempt, "job attempt failed");
                Outcome::Failed {
                    error,
                    retry_at: self.db.clock().now() + backoff(attempt),
                }
            }
            Err(panicked) => {
                tracing::error!(job.id = %id, attempt, error = %panicked, "job attempt panicked");
                Outcome::Failed {
                    error: "Le traitement s'est interrompu sur une erreur interne.".to_owned(),
                    retry_at: self.db.clock().now() + backoff(attempt),
                }
            }
        };
        let mut tx = self.db.tenant(tenant).await?;
        let held = jobs::finish(&mut tx, id, &self.name, attempt, &outcome).await?;
        tx.commit().await?;
        if !held {
            tracing::warn!(job.id = %id, attempt, "lease lost before the end: outcome dropped");
        }
        Ok(Some(id))
    }

    /// Runs jobs until `stop` resolves, resting `idle` when none is due.
    pub async fn run(self, idle: Duration, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let mut next_schedule = tokio::time::Instant::now();
        loop {
            let periodic = !self.daily.is_empty() || self.purge_sessions;
            if periodic && tokio::time::Instant::now() >= next_schedule {
                if let Err(e) = self.schedule().await {
                    tracing::warn!(error = %e, "job worker: daily jobs not scheduled");
                }
                next_schedule = tokio::time::Instant::now() + SCHEDULE_EVERY;
            }
            let rest = match self.run_one().await {
                Ok(Some(_)) => Duration::ZERO,
                Ok(None) => idle,
                Err(e) => {
                    tracing::warn!(error = %e, "job worker: database unavailable");
                    idle
                }
            };
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(rest) => {}
            }
        }
    }
}
