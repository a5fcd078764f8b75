//! The registry import's page: an agent holding `registry:manage` at the ministry or the
//! central bureau uploads a file, checked first (« Vérifier le fichier ») or imported at once;
//! either runs as a job (`registry.import`, run by the worker with `registry_import`), whose
//! page shows its progress, then its counts and its line-level report (downloadable as CSV).
//! A checked file is imported from its report's page without being sent again. An import is
//! undone from the list.
//!
//! The file waits in the object store (`napoleon_storage::ImportObject::File`, keyed by the
//! upload's id) until its import ends, so that a retried job resumes it; the report stays
//! beside it.

use bytes::Bytes;
use napoleon_authz::{Scope, perm};
use napoleon_db::jobs::{self, JobKind, JobView, NewJob};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_identity::Identity;
use napoleon_kernel::{JobId, RegistryImportId};
use napoleon_storage::ImportObject;
use napoleon_web::{ActionError, ActionResult, FieldError, WebContext, WebError};
use serde_json::json;
use uuid::Uuid;

use super::registry_import::{self, ImportError, ImportSummary, Undone};

/// The largest file the page accepts (the command line takes any size).
pub(crate) const MAX_FILE_BYTES: u64 = 60_000_000;

/// Imports listed on the page.
const LISTED: u16 = 20;

/// Attempts of an import job (each resumes after the last committed batch).
const ATTEMPTS: i32 = 5;

pub(crate) use napoleon_web::upload::ImportMode as Mode;

/// The job's kind.
///
/// # Errors
/// Never in practice (a literal of the jobs' shape; a unit test checks it).
pub fn import_kind() -> Result<JobKind, napoleon_db::DbError> {
    JobKind::parse("registry.import")
}

/// An uploaded file, bounded.
pub(crate) struct Upload {
    pub(crate) mode: Mode,
    pub(crate) file_name: String,
    pub(crate) bytes: Bytes,
}

fn file_error(message: impl Into<String>) -> ActionError {
    ActionError::Invalid(vec![FieldError::new("fichier", message)])
}

/// The page's list: the tenant's latest imports.
pub(crate) async fn page(
    ctx: &WebContext,
    identity: &Identity,
) -> ActionResult<Vec<ImportSummary>> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::RegistryManage>(Scope::Central)?;
    let list = registry_import::latest(&mut tx, LISTED).await?;
    tx.rollback().await;
    Ok(list)
}

/// Checks the file's header row at once (a file that is not the template's table is refused
/// on the form, naming why), stores it and enqueues its job; the job's id.
pub(crate) async fn start(
    ctx: &WebContext,
    identity: &Identity,
    upload: Upload,
) -> ActionResult<JobId> {
    // Allowed first (a short read), then the file read and stored outside any transaction:
    // no connection held while a workbook is parsed or sent to the store.
    let (tx, access) = ctx.begin(identity).await?;
    let allowed = access.require::<perm::RegistryManage>(Scope::Central);
    tx.rollback().await;
    allowed?;
    let bytes = upload.bytes;
    let inspected = tokio::task::spawn_blocking(move || {
        let detected = registry_import::inspect(&bytes);
        (detected, bytes)
    })
    .await
    .map_err(|e| WebError::Internal(format!("import file inspection: {e}")))?;
    let (detected, bytes) = inspected;
    let detected = detected.map_err(|e| file_error(format!("Fichier : {e}.")))?;
    let store = ctx.pieces()?;
    let upload_id = Uuid::now_v7();
    let (sha256, size) = (napoleon_storage::sha256_hex(&bytes), bytes.len() as u64);
    store
        .put_import(identity.tenant, upload_id, ImportObject::File, bytes)
        .await
        .map_err(|e| WebError::Internal(format!("import file not stored: {e}")))?;
    let payload = json!({"upload": upload_id, "mode": upload.mode.code(),
        "file_name": upload.file_name, "sha256": sha256, "size": size,
        "agent": identity.agent, "detected": detected});
    let queued = async {
        let (mut tx, access) = ctx.begin(identity).await?;
        if let Err(refused) = access.require::<perm::RegistryManage>(Scope::Central) {
            tx.rollback().await;
            return Err(refused.into());
        }
        match enqueue(&mut tx, identity, payload).await {
            Ok(id) => {
                tx.commit().await?;
                Ok(id)
            }
            Err(e) => {
                tx.rollback().await;
                Err(e)
            }
        }
    }
    .await;
    if queued.is_err() {
        let _ = store
            .delete_import(identity.tenant, upload_id, ImportObject::File)
            .await;
    }
    queued
}

async fn enqueue(
    tx: &mut napoleon_db::TenantConn,
    identity: &Identity,
    payload: serde_json::Value,
) -> ActionResult<JobId> {
    let by = Actor::Agent(identity.agent);
    let kind = import_kind()?;
    let id = jobs::enqueue(
        tx,
        &NewJob {
            kind: &kind,
            payload: payload.clone(),
            max_attempts: ATTEMPTS,
            created_by: &by.render(),
        },
    )
    .await?;
    journal::append(
        tx,
        by,
        Subject::Job(id),
        EventKind::JobRequested,
        json!({"kind": kind.as_str(), "mode": payload.get("mode"),
               "file": payload.get("file_name"), "sha256": payload.get("sha256")}),
    )
    .await?;
    Ok(id)
}

/// An import job and what it was asked.
pub(crate) struct ImportJob {
    pub(crate) job: JobView,
    pub(crate) mode: Mode,
    pub(crate) file_name: String,
}

/// The import job `id` of the tenant (another kind of job, or another tenant's, is a 404).
pub(crate) async fn job(
    ctx: &WebContext,
    identity: &Identity,
    id: JobId,
) -> ActionResult<ImportJob> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::RegistryManage>(Scope::Central)?;
    let found = load(&mut tx, id).await;
    tx.rollback().await;
    found
}

async fn load(tx: &mut napoleon_db::TenantConn, id: JobId) -> ActionResult<ImportJob> {
    let job = match jobs::job(tx, id).await {
        Ok(job) => job,
        Err(e) if e.is_not_found() => return Err(ActionError::NotFound),
        Err(e) => return Err(e.into()),
    };
    if job.kind != import_kind()? {
        return Err(ActionError::NotFound);
    }
    let payload = job_payload(tx, id).await?;
    let mode = payload
        .get("mode")
        .and_then(|m| m.as_str())
        .and_then(Mode::parse)
        .ok_or(ActionError::NotFound)?;
    let file_name = payload
        .get("file_name")
        .and_then(|m| m.as_str())
        .unwrap_or_default()
        .to_owned();
    Ok(ImportJob {
        job,
        mode,
        file_name,
    })
}

async fn job_payload(
    tx: &mut napoleon_db::TenantConn,
    id: JobId,
) -> ActionResult<serde_json::Value> {
    Ok(jobs::payload(tx, id).await?)
}

fn upload_of(payload: &serde_json::Value) -> Option<Uuid> {
    payload
        .get("upload")
        .and_then(|v| v.as_str())
        .and_then(|v| Uuid::parse_str(v).ok())
}

/// The line-level report of import job `id` (CSV), once its job ended.
pub(crate) async fn report(
    ctx: &WebContext,
    identity: &Identity,
    id: JobId,
) -> ActionResult<Bytes> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::RegistryManage>(Scope::Central)?;
    let found = load(&mut tx, id).await;
    let payload = match found {
        Ok(_) => job_payload(&mut tx, id).await,
        Err(e) => Err(e),
    };
    tx.rollback().await;
    let upload = upload_of(&payload?).ok_or(ActionError::NotFound)?;
    match ctx
        .pieces()?
        .get_import(identity.tenant, upload, ImportObject::Report)
        .await
    {
        Ok(bytes) => Ok(bytes),
        Err(napoleon_storage::StorageError::NotFound) => Err(ActionError::NotFound),
        Err(e) => Err(WebError::Internal(format!("import report: {e}")).into()),
    }
}

/// Imports the file a finished check read (its upload kept), as a new job.
pub(crate) async fn import_checked(
    ctx: &WebContext,
    identity: &Identity,
    id: JobId,
) -> ActionResult<JobId> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::RegistryManage>(Scope::Central)?;
    let outcome = async {
        let checked = load(&mut tx, id).await?;
        if checked.mode != Mode::Check || checked.job.state != jobs::JobState::Succeeded {
            return Err(ActionError::Conflict(
                napoleon_web::Conflict::ImportNotChecked,
            ));
        }
        let mut payload = job_payload(&mut tx, id).await?;
        if let Some(object) = payload.as_object_mut() {
            object.insert("mode".to_owned(), json!(Mode::Import.code()));
            object.insert("agent".to_owned(), json!(identity.agent));
        }
        enqueue(&mut tx, identity, payload).await
    }
    .await;
    match outcome {
        Ok(new) => {
            tx.commit().await?;
            Ok(new)
        }
        Err(e) => {
            tx.rollback().await;
            Err(e)
        }
    }
}

/// Undoes import `id` (journaled), or says in French why it cannot be.
pub(crate) async fn undo(
    ctx: &WebContext,
    identity: &Identity,
    id: RegistryImportId,
) -> ActionResult<Undone> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::RegistryManage>(Scope::Central)?;
    match registry_import::undo(&mut tx, id, Actor::Agent(identity.agent)).await {
        Ok(undone) => {
            tx.commit().await?;
            Ok(undone)
        }
        Err(e) => {
            tx.rollback().await;
            Err(match e {
                ImportError::NotFound(_) => ActionError::NotFound,
                ImportError::Db(e) => e.into(),
                other => ActionError::Conflict(napoleon_web::Conflict::ImportNotUndone(
                    other.to_string(),
                )),
            })
        }
    }
}
