//! Instruction's background job: the exports its pages start (`instruction.export`), run by
//! the worker. The lists' source reads them ([`crate::domain::exports`]) and
//! [`napoleon_web::export::run`] writes and stores the file.

use async_trait::async_trait;
use napoleon_db::jobs::JobKind;
use napoleon_jobs::{Handler, JobContext, JobError};
use napoleon_storage::PieceStore;

use crate::domain::exports::{DossierSource, export_kind};

/// Runs the exports asked from instruction's pages.
#[derive(Debug, Clone)]
pub struct InstructionExport {
    store: PieceStore,
    kind: JobKind,
}

impl InstructionExport {
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
impl Handler for InstructionExport {
    fn kind(&self) -> JobKind {
        self.kind.clone()
    }

    async fn run(&self, job: &JobContext) -> Result<serde_json::Value, JobError> {
        napoleon_web::export::run(job, &self.store, &DossierSource).await
    }
}
