//! Promotion's background job: the exports its pages start (`promotion.export`), run by the
//! worker. The payload names the list; the list's source reads it
//! ([`crate::domain::exports`]) and [`napoleon_web::export::run`] writes and stores the file.

use async_trait::async_trait;
use napoleon_db::jobs::JobKind;
use napoleon_jobs::{Handler, JobContext, JobError};
use napoleon_storage::PieceStore;

use crate::domain::exports::{RADAR, REGISTRY, RadarSource, RegistrySource, export_kind};

/// Runs the exports asked from promotion's pages.
#[derive(Debug, Clone)]
pub struct PromotionExport {
    store: PieceStore,
    kind: JobKind,
}

impl PromotionExport {
    /// Exports into `store`.
    ///
    /// # Errors
    /// Never in practice: the kind is a literal of the jobs' shape (a unit test checks it).
    pub fn new(store: PieceStore) -> Result<Self, napoleon_db::DbError> {
        Ok(Self {
            store,
            kind: export_kind()?,
        })
    }
}

#[async_trait]
impl Handler for PromotionExport {
    fn kind(&self) -> JobKind {
        self.kind.clone()
    }

    async fn run(&self, job: &JobContext) -> Result<serde_json::Value, JobError> {
        match job.payload().get("list").and_then(|l| l.as_str()) {
            Some(REGISTRY) => napoleon_web::export::run(job, &self.store, &RegistrySource).await,
            Some(RADAR) => napoleon_web::export::run(job, &self.store, &RadarSource).await,
            _ => Err(JobError::Abandoned(
                "Demande d'export illisible : la liste est inconnue.".to_owned(),
            )),
        }
    }
}
