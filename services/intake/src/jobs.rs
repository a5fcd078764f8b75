//! Intake's background jobs: the antivirus scan of each piece (`intake.piece_scan`).
//!
//! Each attached piece is queued for a scan in the transaction that records it. The job
//! reads the bytes from storage, checks they are the ones recorded, and sends them to clamd:
//! clean, the piece may be opened; infected (clamd's limits exceeded included), it is
//! quarantined — kept in storage for the security officer, never served — and journaled. If
//! clamd cannot be reached, the attempt fails and the job is retried with the jobs' backoff:
//! the piece stays « en attente d'analyse », never served unscanned, never lost.

use async_trait::async_trait;
use napoleon_antivirus::{Clamd, Verdict};
use napoleon_db::jobs::JobKind;
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_jobs::{Handler, JobContext, JobError};
use napoleon_kernel::PieceId;
use napoleon_pieces::ScanState;
use napoleon_storage::{PieceStore, StorageError};
use serde_json::json;

use crate::store::pieces;

/// Scans pieces with clamd.
#[derive(Debug, Clone)]
pub struct PieceScan {
    store: PieceStore,
    clamd: Clamd,
    kind: JobKind,
}

impl PieceScan {
    /// Scans the pieces of `store` with `clamd`.
    ///
    /// # Errors
    /// Never in practice: the job's kind is a literal of the jobs' shape (a unit test checks
    /// it).
    pub fn new(store: PieceStore, clamd: Clamd) -> Result<Self, napoleon_db::DbError> {
        Ok(Self {
            store,
            clamd,
            kind: crate::domain::scan_kind()?,
        })
    }
}

#[async_trait]
impl Handler for PieceScan {
    fn kind(&self) -> JobKind {
        self.kind.clone()
    }

    async fn run(&self, job: &JobContext) -> Result<serde_json::Value, JobError> {
        let piece = job
            .payload()
            .get("piece")
            .and_then(|v| v.as_str())
            .and_then(|v| uuid::Uuid::parse_str(v).ok())
            .map(PieceId::from_uuid)
            .ok_or_else(|| JobError::Abandoned("Pièce inconnue.".to_owned()))?;
        let mut tx = job.db().tenant(job.tenant()).await?;
        let found = match pieces::for_scan(&mut tx, piece).await {
            Ok(found) => found,
            Err(e) if e.is_not_found() => {
                return Err(JobError::Abandoned("La pièce n'existe plus.".to_owned()));
            }
            Err(e) => return Err(e.into()),
        };
        tx.rollback().await;
        if found.scan != ScanState::Pending {
            // An earlier attempt recorded the verdict (its lease passed before it finished).
            return Ok(json!({"piece": piece, "scan": found.scan.as_str()}));
        }
        let bytes = match self.store.get(job.tenant(), piece.as_uuid()).await {
            Ok(bytes) => bytes,
            Err(StorageError::NotFound) => {
                return Err(JobError::Abandoned(
                    "Le fichier de la pièce est introuvable dans le stockage : elle reste non \
                     analysée et ne sera pas servie."
                        .to_owned(),
                ));
            }
            Err(e) => {
                tracing::warn!(error = %e, "piece scan: storage unavailable");
                return Err(JobError::Failed(
                    "Le stockage des pièces n'a pas répondu ; l'analyse sera reprise.".to_owned(),
                ));
            }
        };
        if napoleon_storage::sha256_hex(&bytes) != found.sha256 {
            // Never served either way: the bytes are not those the agent attached.
            tracing::error!(piece = %piece, "piece scan: stored bytes differ from their SHA-256");
            return Err(JobError::Abandoned(
                "Le fichier stocké ne correspond plus à la pièce déposée : elle ne sera pas \
                 servie."
                    .to_owned(),
            ));
        }
        let verdict = match self.clamd.scan(&bytes).await {
            Ok(verdict) => verdict,
            Err(e) => {
                tracing::warn!(error = %e, "piece scan: clamd unavailable");
                return Err(JobError::Failed(
                    "L'antivirus n'a pas répondu ; l'analyse sera reprise automatiquement."
                        .to_owned(),
                ));
            }
        };
        let (state, signature, event) = match &verdict {
            Verdict::Clean => (ScanState::Clean, None, EventKind::PieceScanned),
            Verdict::Infected { signature } => (
                ScanState::Infected,
                Some(signature.as_str()),
                EventKind::PieceQuarantined,
            ),
        };
        let mut tx = job.db().tenant(job.tenant()).await?;
        if pieces::record_scan(&mut tx, piece, state, signature).await? {
            journal::append(
                &mut tx,
                Actor::Job(job.id()),
                Subject::Dossier(found.dossier),
                event,
                json!({"piece": piece, "code": found.code, "signature": signature}),
            )
            .await?;
        }
        tx.commit().await?;
        if state == ScanState::Infected {
            tracing::warn!(piece = %piece, signature = ?signature, "piece quarantined");
        }
        Ok(json!({"piece": piece, "scan": state.as_str()}))
    }
}
