//! Retention purges, run daily in every tenant (see [`crate::Worker::with_daily`]) or at a
//! data-protection officer's request.

use async_trait::async_trait;
use napoleon_db::jobs::{self, JobKind};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_db::readlog;

use crate::{Handler, JobContext, JobError};

/// Removes the reads older than the retention period from the read log, a slice of time at a
/// time and at most 10,000 reads per transaction, so that progress shows and a
/// cancellation stops it between transactions. The database refuses to remove the last 30
/// days (by its own clock) whatever the configuration says.
#[derive(Debug, Clone, Copy)]
pub struct ReadLogRetention {
    days: u32,
}

/// At most this many slices: an old log is purged in bounded steps, a recent one in days.
const SLICES: i32 = 50;

/// A transaction in the job's tenant, and the start of the retention period of `days` days
/// by its clock.
async fn begin_with_cutoff(
    job: &JobContext,
    days: u32,
) -> Result<(napoleon_db::TenantConn, chrono::DateTime<chrono::Utc>), JobError> {
    let tx = job.db().tenant(job.tenant()).await?;
    let cutoff = tx.now() - chrono::Duration::days(i64::from(days));
    Ok((tx, cutoff))
}

/// A purge's batches: each is journaled (`kind`) in its transaction when it removed something.
#[derive(Debug, Clone, Copy)]
struct Batches {
    kind: EventKind,
    days: u32,
}

impl Batches {
    /// Journals a batch that removed `removed` rows older than `before`, and commits it.
    async fn commit(
        self,
        job: &JobContext,
        mut tx: napoleon_db::TenantConn,
        removed: i64,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), JobError> {
        if removed > 0 {
            journal::append(
                &mut tx,
                Actor::Job(job.id()),
                Subject::Tenant(job.tenant()),
                self.kind,
                serde_json::json!({
                    "removed": removed, "before": before, "retention_days": self.days
                }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// At most this many reads deleted per transaction.
const BATCH: i32 = 10_000;

impl ReadLogRetention {
    /// Keeps `days` days of reads (at least 30).
    #[must_use]
    pub fn new(days: u32) -> Self {
        Self { days: days.max(30) }
    }
}

#[async_trait]
impl Handler for ReadLogRetention {
    fn kind(&self) -> JobKind {
        readlog::purge_kind()
    }

    async fn run(&self, job: &JobContext) -> Result<serde_json::Value, JobError> {
        let (cutoff, total, oldest) = {
            let (mut tx, cutoff) = begin_with_cutoff(job, self.days).await?;
            let (total, oldest) = readlog::older_than(&mut tx, cutoff).await?;
            tx.rollback().await;
            (cutoff, total, oldest)
        };
        let Some(oldest) = oldest else {
            job.progress(
                0,
                Some(0),
                "Aucune lecture n'a dépassé la durée de conservation.",
            )
            .await?;
            return Ok(serde_json::json!({ "removed": 0, "before": cutoff }));
        };
        job.progress(0, Some(total), "Suppression des lectures anciennes…")
            .await?;
        let batches = Batches {
            kind: EventKind::ReadLogPurged,
            days: self.days,
        };
        let slice = ((cutoff - oldest) / SLICES).max(chrono::Duration::days(1));
        let (mut removed, mut before) = (0_i64, oldest);
        while before < cutoff {
            before = (before + slice).min(cutoff);
            // A dense slice goes in batches: no transaction deletes more than BATCH reads.
            loop {
                let mut tx = job.db().tenant(job.tenant()).await?;
                let n = readlog::purge_before(&mut tx, before, Some(BATCH)).await?;
                batches.commit(job, tx, n, before).await?;
                removed += n;
                job.progress(
                    removed,
                    Some(total.max(removed)),
                    &format!("{removed} lecture(s) supprimée(s) sur {total}."),
                )
                .await?;
                if n < i64::from(BATCH) {
                    break;
                }
            }
        }
        Ok(serde_json::json!({ "removed": removed, "before": cutoff }))
    }
}

/// Removes finished jobs and delivered outbox messages older than the retention period, in
/// batches of 10,000 per transaction, each journaled. Queued and running jobs and
/// undelivered messages stay whatever their age; the database keeps the last 7 days.
#[derive(Debug, Clone, Copy)]
pub struct FinishedJobsRetention {
    days: u32,
}

#[async_trait]
impl Handler for FinishedJobsRetention {
    fn kind(&self) -> JobKind {
        jobs::purge_kind()
    }

    async fn run(&self, job: &JobContext) -> Result<serde_json::Value, JobError> {
        let batches = Batches {
            kind: EventKind::JobsPurged,
            days: self.days,
        };
        let mut removed = 0_i64;
        loop {
            let (mut tx, before) = begin_with_cutoff(job, self.days).await?;
            let n = jobs::purge_finished(&mut tx, before, BATCH).await?;
            batches.commit(job, tx, n, before).await?;
            removed += n;
            job.progress(
                removed,
                None,
                &format!("{removed} traitement(s) ou message(s) terminé(s) supprimé(s)."),
            )
            .await?;
            // Each call removes up to BATCH of each table: fewer in all means both are done.
            if n < i64::from(BATCH) {
                return Ok(serde_json::json!({ "removed": removed }));
            }
        }
    }
}

impl FinishedJobsRetention {
    /// Keeps `days` days of finished jobs (at least 7).
    #[must_use]
    pub fn new(days: u32) -> Self {
        Self { days: days.max(7) }
    }
}
