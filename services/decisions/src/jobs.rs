//! Decisions' background jobs, run by decisions' own process as decisions' role: the
//! registry import started from its page (`registry.import`), and the board's export
//! (`decisions.export`: [`DecisionsExport`]).
//!
//! The file waits in the object store; the job checks it (the report, nothing written) or
//! imports it with `registry_import` — batches each committed with their journal event and
//! the import's resume point, so that a retried attempt resumes after the last one. The
//! line-level report is stored beside the file, for the page; the file is removed once its
//! import ended.

use std::time::Duration;

use async_trait::async_trait;
use napoleon_db::jobs::JobKind;
use napoleon_db::journal::Actor;
use napoleon_jobs::{Handler, JobContext, JobError};
use napoleon_kernel::AgentId;
use napoleon_storage::{ImportObject, PieceStore, StorageError};
use serde_json::json;
use uuid::Uuid;

use crate::domain::imports::{Mode, import_kind};
use crate::domain::registry_import::{self, ImportError, ImportRequest, Report};

/// How often the page's progress moves while a file is read.
const REPORT_EVERY: Duration = Duration::from_secs(2);

/// Runs the registry imports asked from the page.
#[derive(Debug, Clone)]
pub struct RegistryImport {
    store: PieceStore,
    kind: JobKind,
}

impl RegistryImport {
    /// Imports the files waiting in `store`.
    ///
    /// # Errors
    /// Never in practice: the kind is a literal of the jobs' shape (a unit test checks it).
    pub fn new(store: PieceStore) -> Result<Self, napoleon_db::DbError> {
        Ok(Self {
            store,
            kind: import_kind()?,
        })
    }
}

/// What the page asked, from the job's payload.
struct Asked {
    upload: Uuid,
    mode: Mode,
    file_name: String,
    agent: Option<AgentId>,
}

fn asked(payload: &serde_json::Value) -> Option<Asked> {
    let text = |key: &str| payload.get(key).and_then(|v| v.as_str());
    Some(Asked {
        upload: Uuid::parse_str(text("upload")?).ok()?,
        mode: Mode::parse(text("mode")?)?,
        file_name: text("file_name").unwrap_or_default().to_owned(),
        agent: text("agent").and_then(|a| a.parse().ok()),
    })
}

fn failed(e: ImportError) -> JobError {
    match e {
        ImportError::Db(e) => e.into(),
        // The file or the catalogue: no attempt can do better.
        other => JobError::Abandoned(format!("Le fichier ne peut pas être lu : {other}.")),
    }
}

#[async_trait]
impl Handler for RegistryImport {
    fn kind(&self) -> JobKind {
        self.kind.clone()
    }

    async fn run(&self, job: &JobContext) -> Result<serde_json::Value, JobError> {
        let asked = asked(job.payload())
            .ok_or_else(|| JobError::Abandoned("Demande d'import illisible.".to_owned()))?;
        let tenant = job.tenant();
        let bytes = match self
            .store
            .get_import(tenant, asked.upload, ImportObject::File)
            .await
        {
            Ok(bytes) => bytes,
            Err(StorageError::NotFound) => {
                return Err(JobError::Abandoned(
                    "Le fichier n'est plus disponible : envoyez-le de nouveau.".to_owned(),
                ));
            }
            Err(e) => {
                tracing::warn!(error = %e, "import file not read");
                return Err(JobError::Failed(
                    "Le stockage des fichiers n'a pas répondu ; le traitement sera repris."
                        .to_owned(),
                ));
            }
        };
        // The file's identity from its bytes (an import resumes the unfinished one of the same
        // SHA-256): never from what the payload says.
        let sha256 = napoleon_storage::sha256_hex(&bytes);
        let size = bytes.len() as u64;
        let (lines, seen) = tokio::sync::watch::channel(0_u64);
        let mut progress = move |line: u64| {
            let _ = lines.send(line);
        };
        let source = std::io::Cursor::new(bytes);
        let work = async {
            match asked.mode {
                Mode::Check => {
                    registry_import::check(job.db(), tenant, source, &mut progress).await
                }
                Mode::Import => {
                    let request = ImportRequest {
                        file_name: asked.file_name.clone(),
                        sha256: sha256.clone(),
                        size,
                        actor: Actor::Job(job.id()),
                        started_by: asked.agent,
                        batch: registry_import::DEFAULT_BATCH,
                    };
                    registry_import::run(job.db(), tenant, source, &request, &mut progress).await
                }
            }
        };
        tokio::pin!(work);
        // The file is read while the page hears how far: a stop asked from it drops the work
        // between two batches (the batch under way is rolled back whole).
        let report: Report = loop {
            tokio::select! {
                done = &mut work => match done {
                    Ok(report) => break report,
                    Err(e) => {
                        let e = failed(e);
                        // Nothing will read the file again: it goes (the agent sends it anew).
                        if matches!(e, JobError::Abandoned(_)) {
                            let _ = self
                                .store
                                .delete_import(tenant, asked.upload, ImportObject::File)
                                .await;
                        }
                        return Err(e);
                    }
                },
                () = tokio::time::sleep(REPORT_EVERY) => {
                    let line = *seen.borrow();
                    job.progress(
                        i64::try_from(line).unwrap_or(i64::MAX),
                        None,
                        &format!("Ligne {line} lue"),
                    )
                    .await?;
                }
            }
        };
        // The page's last word on the reading, however quick it was.
        job.progress(
            i64::try_from(report.rows).unwrap_or(i64::MAX),
            Some(i64::try_from(report.rows).unwrap_or(i64::MAX)),
            &format!("Fichier lu : {} ligne(s) de données.", report.rows),
        )
        .await?;
        // An import's report covers all its runs (a retried attempt resumed after the rows an
        // earlier one had committed, and their problems).
        let csv = match report.import {
            Some(id) => registry_import::problems_csv(
                &registry_import::recorded_problems(job.db(), tenant, id).await?,
            ),
            None => report.problems_csv(),
        };
        if let Err(e) = self
            .store
            .put_import(tenant, asked.upload, ImportObject::Report, csv.into())
            .await
        {
            tracing::warn!(error = %e, "import report not stored");
            return Err(JobError::Failed(
                "Le rapport n'a pas pu être enregistré ; le traitement sera repris.".to_owned(),
            ));
        }
        if asked.mode == Mode::Import
            && let Err(e) = self
                .store
                .delete_import(tenant, asked.upload, ImportObject::File)
                .await
        {
            tracing::warn!(error = %e, "imported file left in the store");
        }
        Ok(json!({
            "mode": asked.mode.code(),
            "import": report.import,
            "detected": report.detected,
            "rows": report.rows,
            "valid": report.valid,
            "rejected": report.rejected,
            "inserted": report.inserted,
            "existing": report.existing,
            "resumed_after": report.resumed_after,
        }))
    }
}

/// Runs the board's exports asked from decisions' pages: [`napoleon_web::export::run`] over
/// the board's source (`domain::exports`).
#[derive(Debug, Clone)]
pub struct DecisionsExport {
    store: PieceStore,
    kind: JobKind,
}

impl DecisionsExport {
    /// Exports into `store`.
    ///
    /// # Errors
    /// Never in practice: the kind is a literal of the jobs' shape (a unit test checks it).
    pub fn new(store: PieceStore) -> Result<Self, napoleon_db::DbError> {
        Ok(Self {
            store,
            kind: crate::domain::exports::export_kind()?,
        })
    }
}

#[async_trait]
impl Handler for DecisionsExport {
    fn kind(&self) -> JobKind {
        self.kind.clone()
    }

    async fn run(&self, job: &JobContext) -> Result<serde_json::Value, JobError> {
        napoleon_web::export::run(job, &self.store, &crate::domain::exports::BoardSource).await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_kind_has_the_jobs_shape() {
        assert!(crate::domain::imports::import_kind().is_ok());
    }
}
