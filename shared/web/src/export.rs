//! Exports of lists (the registry; the instruction queue, the decisions board and the radar
//! next), shared by every service: the agent chooses the format and the columns on an export
//! page (`export_form`), the export runs as a job (`<service>.export`) whose page
//! (`export_job`) shows its progress and then the download link; the file is kept in the
//! object store under the job's id.
//!
//! The job re-reads the list with the agent's access **as the policy stands when it runs**
//! (the roles the agent held when asking, kept in the payload; the tenant's units and policy
//! read afresh at each batch), a batch of [`ExportSource::batch`] per transaction, each
//! batch's people written to the read log (channel `export`) in its transaction: an export of
//! a million rows leaves a million entries, as a million page reads would. Rows go to a
//! temporary file through [`napoleon_tabular::TableWriter`] (one batch in memory at a time),
//! then to the store in parts: memory stays bounded whatever the export's size. The roles
//! kept are only those the agent still holds when each batch runs (`core.agent_grants`). One
//! agent has one export waiting or running at a time.
//!
//! Only the agent who asked sees the job's page and downloads its file (anyone else: 404).

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use chrono::NaiveDate;
use napoleon_authz::{Access, Authorizer, Refusal};
use napoleon_db::TenantConn;
use napoleon_db::jobs::{self, JobKind, JobState, JobView, NewJob};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_db::readlog::{ReadChannel, ReadSubject, ReadVia};
use napoleon_identity::{Identity, RoleGrant};
use napoleon_jobs::{JobContext, JobError};
use napoleon_kernel::{AgentId, JobId};
use napoleon_storage::PieceStore;
use napoleon_tabular::{Cell, Format, TableWriter};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{ActionError, ActionResult, FieldError, FormFields, JobProgress, WebContext, WebError};

/// Attempts of an export job (each starts the file again).
const ATTEMPTS: i32 = 3;

/// Days an export's file is kept in the store ([`ExportPurge`] removes it after).
pub const KEPT_DAYS: u16 = 7;

/// One column a list offers for export.
#[derive(Debug, Clone, Copy)]
pub struct ExportColumn {
    /// As in the form (`colonne-<code>`) and the payload.
    pub code: &'static str,
    /// The file's header (the import template's where the column is one of its).
    pub header: &'static str,
}

/// One cell of an exported row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportCell {
    /// Text (a formula is written as text: see `napoleon_tabular::export`).
    Text(String),
    /// A day (a date cell in a spreadsheet, `jj/mm/aaaa` in a CSV).
    Date(NaiveDate),
    /// Nothing.
    Empty,
}

impl ExportCell {
    /// Text, or [`Self::Empty`] when blank.
    #[must_use]
    pub fn text(value: impl Into<String>) -> Self {
        let value = value.into();
        if value.is_empty() {
            Self::Empty
        } else {
            Self::Text(value)
        }
    }

    /// A day when there is one.
    #[must_use]
    pub fn date(value: Option<NaiveDate>) -> Self {
        value.map_or(Self::Empty, Self::Date)
    }

    /// A day as it was `read` from `typed` (a date cell), or, when it did not read, the text
    /// as typed: a birth date kept in a person's identity.
    #[must_use]
    pub fn day_or_text(read: Option<NaiveDate>, typed: &str) -> Self {
        read.map_or_else(|| Self::text(typed.trim()), Self::Date)
    }
}

/// What the agent chose on the export page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportChoice {
    /// The file's format.
    pub format: Format,
    /// The chosen columns' codes, in the list's order.
    pub columns: Vec<&'static str>,
}

/// The form's choice (`format`, `colonne-<code>` per ticked column), each refusal naming
/// its field in French.
///
/// # Errors
/// The fields refused.
pub fn parse_choice(
    form: &FormFields,
    offered: &[ExportColumn],
) -> Result<ExportChoice, Vec<FieldError>> {
    let mut errors = Vec::new();
    let format = Format::parse(form.get("format").trim());
    if format.is_none() {
        errors.push(FieldError::new(
            "format",
            "Format : choisissez CSV, XLSX ou ODS.",
        ));
    }
    let ticked: Vec<&str> = form.with_prefix("colonne-").map(|(code, _)| code).collect();
    if let Some(unknown) = ticked
        .iter()
        .find(|code| !offered.iter().any(|c| c.code == **code))
    {
        errors.push(FieldError::new(
            "colonnes",
            format!(
                "Colonnes : « {} » n'est pas une colonne de cette liste.",
                unknown.chars().take(40).collect::<String>()
            ),
        ));
    } else if ticked.is_empty() {
        errors.push(FieldError::new(
            "colonnes",
            "Colonnes : cochez au moins une colonne à exporter.",
        ));
    }
    match format {
        Some(format) if errors.is_empty() => Ok(ExportChoice {
            format,
            columns: offered
                .iter()
                .filter(|c| ticked.contains(&c.code))
                .map(|c| c.code)
                .collect(),
        }),
        _ => Err(errors),
    }
}

/// An export as its job carries it: what to read, how to write it, and on whose behalf.
/// Its `Debug` leaves the filter out (names and birth dates typed in a search).
#[derive(Clone, Serialize, Deserialize)]
pub struct ExportRequest {
    /// The list (`registre`…), for the page's title and the file's name.
    pub list: String,
    /// `csv`, `xlsx`, `ods`.
    pub format: String,
    /// The columns' codes, in order.
    pub columns: Vec<String>,
    /// The list's filter as the agent typed it (parsed again when the job runs).
    pub filter: serde_json::Value,
    /// Who asked.
    pub agent: AgentId,
    /// The roles they held when asking (their units and the policy are read when it runs).
    pub roles: Vec<RoleGrant>,
    /// The request that asked, for the read log.
    pub request_id: String,
    /// The asking session's reference, for the read log.
    pub session: Option<String>,
}

impl std::fmt::Debug for ExportRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportRequest")
            .field("list", &self.list)
            .field("format", &self.format)
            .field("columns", &self.columns)
            .field("agent", &self.agent)
            .finish_non_exhaustive()
    }
}

impl ExportRequest {
    /// The request of `identity` for `list`, filtered by `filter`, as `choice`.
    #[must_use]
    pub fn new(
        identity: &Identity,
        list: &str,
        choice: &ExportChoice,
        filter: serde_json::Value,
    ) -> Self {
        Self {
            list: list.to_owned(),
            format: choice.format.code().to_owned(),
            columns: choice.columns.iter().map(|c| (*c).to_owned()).collect(),
            filter,
            agent: identity.agent,
            roles: identity.roles.clone(),
            request_id: identity.request_id.clone(),
            session: identity.session.clone(),
        }
    }

    fn format(&self) -> Option<Format> {
        Format::parse(&self.format)
    }
}

/// Enqueues export `request` as a job of `kind` (journaled), in the caller's transaction,
/// once the caller checked the agent may export the list; when the agent already has an
/// export of the list waiting or running, that one (nothing enqueued).
///
/// # Errors
/// [`ActionError`] when the database fails.
pub async fn enqueue(
    tx: &mut TenantConn,
    kind: &JobKind,
    request: &ExportRequest,
) -> ActionResult<JobId> {
    let by = Actor::Agent(request.agent);
    // One export of a list at a time per agent: another ask while one waits or runs leads
    // to it (the worker's queue is every tenant's).
    if let Some(unfinished) = jobs::unfinished_of(tx, kind, &by.render(), &request.list).await? {
        return Ok(unfinished);
    }
    let payload = serde_json::to_value(request)
        .map_err(|e| WebError::Internal(format!("export payload: {e}")))?;
    let id = jobs::enqueue(
        tx,
        &NewJob {
            kind,
            payload,
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
        json!({"kind": kind.as_str(), "list": request.list, "format": request.format,
               "columns": request.columns}),
    )
    .await?;
    Ok(id)
}

/// Starts an export for `identity`: `ask` checks, in the use case's transaction and with the
/// agent's access, that they may export the list and what they asked, and says the request;
/// it is enqueued as a job of `kind` ([`enqueue`]) and committed, or nothing is.
///
/// # Errors
/// `ask`'s refusal, or the database's.
pub async fn start(
    ctx: &WebContext,
    identity: &Identity,
    kind: &JobKind,
    ask: impl AsyncFnOnce(&mut TenantConn, &Access) -> ActionResult<ExportRequest>,
) -> ActionResult<JobId> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let started = async {
        let request = ask(&mut tx, &access).await?;
        enqueue(&mut tx, kind, &request).await
    }
    .await;
    match started {
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

/// A batch of a list's rows, as its source read them.
#[derive(Debug, Default)]
pub struct ExportBatch {
    /// Rows of every offered column, in the offered order.
    pub rows: Vec<Vec<ExportCell>>,
    /// Whose personal data the rows hold (the read log's entries).
    pub subjects: Vec<ReadSubject>,
    /// Where the next batch starts; `None`: this was the last.
    pub next: Option<String>,
}

/// A list that can be exported: its columns, and its rows a batch at a time.
#[async_trait]
pub trait ExportSource: Send + Sync {
    /// The columns offered, in their order.
    fn columns(&self) -> &'static [ExportColumn];

    /// The sheet's name.
    fn sheet(&self) -> &'static str;

    /// The rows after `after` (`None`: from the start), read in `tx` with `access` — which
    /// the source checks first, refusing as a page would.
    async fn batch(
        &self,
        tx: &mut TenantConn,
        access: &Access,
        filter: &serde_json::Value,
        after: Option<&str>,
    ) -> ActionResult<ExportBatch>;
}

fn abandoned(message: &str) -> JobError {
    JobError::Abandoned(message.to_owned())
}

fn refused(e: ActionError) -> JobError {
    match e {
        ActionError::Forbidden | ActionError::NotFound => {
            abandoned("Vos droits ne permettent plus cet export : il a été arrêté.")
        }
        ActionError::Invalid(errors) => JobError::Abandoned(format!(
            "Le filtre de l'export n'est plus valable : {}",
            errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join(" ")
        )),
        other => {
            tracing::warn!(error = ?other, "export batch failed");
            JobError::Failed(
                "La base de données n'a pas répondu ; l'export sera repris.".to_owned(),
            )
        }
    }
}

fn write_failed(e: &impl std::fmt::Display) -> JobError {
    JobError::Failed(format!("Le fichier d'export n'a pas pu être écrit : {e}."))
}

/// Runs an export job: the list read from `source` a batch at a time, written to a
/// temporary file, stored in `store` under the job's id. Its result: the rows, the format,
/// the size and the file's name.
///
/// # Errors
/// [`JobError`]: abandoned when the agent may no longer export or the payload is unreadable,
/// failed (and retried) when the database, the disk or the store fails.
pub async fn run(
    job: &JobContext,
    store: &PieceStore,
    source: &dyn ExportSource,
) -> Result<serde_json::Value, JobError> {
    let request: ExportRequest = serde_json::from_value(job.payload().clone())
        .map_err(|_| abandoned("Demande d'export illisible."))?;
    let format = request
        .format()
        .ok_or_else(|| abandoned("Format d'export inconnu."))?;
    let offered = source.columns();
    let chosen: Vec<usize> = request
        .columns
        .iter()
        .filter_map(|code| offered.iter().position(|c| c.code == code))
        .collect();
    if chosen.is_empty() {
        return Err(abandoned("Aucune colonne à exporter."));
    }
    let headers: Vec<&'static str> = chosen
        .iter()
        .filter_map(|i| offered.get(*i).map(|c| c.header))
        .collect();
    // Unlinked from the start: nothing is left on the disk however the process ends.
    let sink = tempfile::tempfile().map_err(|e| write_failed(&e))?;
    let sheet = source.sheet();
    let mut writer =
        tokio::task::spawn_blocking(move || TableWriter::create(format, sink, sheet, &headers))
            .await
            .map_err(|e| write_failed(&e))?
            .map_err(|e| write_failed(&e))?;
    let authorizer = Authorizer::new(job.db().clone());
    let asked: Vec<_> = request.roles.iter().map(|g| (g.role, g.unit)).collect();
    let via = request.session.clone().map(ReadVia::Session);
    let mut after: Option<String> = None;
    loop {
        let mut tx = job.db().tenant(job.tenant()).await?;
        // The roles the agent asked with that they still hold: a member removed, or a role
        // withdrawn, since the ask stops the export.
        let held = napoleon_db::identity::agent_grants(&mut tx, request.agent).await?;
        let grants: Vec<_> = asked.iter().filter(|g| held.contains(g)).copied().collect();
        let access = match authorizer.access(&mut tx, request.agent, grants).await {
            Ok(access) => access,
            Err(e) => {
                tx.rollback().await;
                return Err(refused(ActionError::from(Refusal::Engine(e))));
            }
        };
        let batch = match source
            .batch(&mut tx, &access, &request.filter, after.as_deref())
            .await
        {
            Ok(batch) => batch,
            Err(e) => {
                tx.rollback().await;
                return Err(refused(e));
            }
        };
        // The people read are in the log before the rows reach the file (a log that fails
        // to be written stops the export).
        napoleon_db::readlog::record_and_commit(
            tx,
            Actor::Agent(request.agent),
            &batch.subjects,
            ReadChannel::Export,
            &request.request_id,
            via.as_ref(),
        )
        .await?;
        let ExportBatch {
            rows: batch_rows,
            next,
            subjects,
        } = batch;
        // A batch after a full one that finds nothing: the row the next one starts after is
        // gone (an import undone meanwhile). The file would silently miss the rest: start
        // again.
        if after.is_some() && batch_rows.is_empty() && subjects.is_empty() {
            return Err(JobError::Failed(
                "La liste a changé pendant l'export ; il sera repris depuis le début.".to_owned(),
            ));
        }
        let chosen_here = chosen.clone();
        // The writer goes to a blocking thread with the batch and comes back with it.
        writer = tokio::task::spawn_blocking(move || {
            for row in &batch_rows {
                let dates: Vec<String> = chosen_here
                    .iter()
                    .map(|i| match row.get(*i) {
                        Some(ExportCell::Date(d)) => d.format("%Y-%m-%d").to_string(),
                        _ => String::new(),
                    })
                    .collect();
                let cells: Vec<Cell<'_>> = chosen_here
                    .iter()
                    .zip(&dates)
                    .map(|(i, date)| match row.get(*i) {
                        Some(ExportCell::Text(t)) => Cell::Text(t),
                        Some(ExportCell::Date(_)) => Cell::Date(date),
                        Some(ExportCell::Empty) | None => Cell::Empty,
                    })
                    .collect();
                writer.row(&cells)?;
            }
            Ok::<_, napoleon_tabular::WriteError>(writer)
        })
        .await
        .map_err(|e| write_failed(&e))?
        .map_err(|e| match e {
            napoleon_tabular::WriteError::TooManyRows => JobError::Abandoned(format!(
                "L'export a été arrêté : {}.",
                napoleon_tabular::WriteError::TooManyRows
            )),
            other => write_failed(&other),
        })?;
        let rows = writer.rows();
        job.progress(
            i64::try_from(rows).unwrap_or(i64::MAX),
            None,
            &format!(
                "{} ligne(s) écrite(s)",
                crate::form::thousands(rows_usize(rows))
            ),
        )
        .await?;
        match next {
            Some(cursor) => after = Some(cursor),
            None => break,
        }
    }
    let rows = writer.rows();
    let file = tokio::task::spawn_blocking(move || writer.finish())
        .await
        .map_err(|e| write_failed(&e))?
        .map_err(|e| write_failed(&e))?;
    let size = store
        .put_export(job.tenant(), job.id().as_uuid(), file)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "export file not stored");
            JobError::Failed(
                "Le stockage des fichiers n'a pas répondu ; l'export sera repris.".to_owned(),
            )
        })?;
    let today = job.db().clock().today();
    Ok(json!({
        "rows": rows,
        "format": format.code(),
        "size": size,
        "file_name": format!("{}-{}.{}", request.list, today.format("%Y-%m-%d"), format.code()),
    }))
}

fn rows_usize(rows: u64) -> usize {
    usize::try_from(rows).unwrap_or(usize::MAX)
}

/// The daily job removing exports' files older than [`KEPT_DAYS`] from the store.
///
/// # Errors
/// Never in practice (a literal of the jobs' shape; a unit test checks it).
pub fn purge_kind() -> Result<JobKind, napoleon_db::DbError> {
    JobKind::parse("exports.purge")
}

/// Removes the tenant's exports' files written more than [`KEPT_DAYS`] ago (a daily job in
/// every tenant): bulk personal data does not linger in the bucket.
#[derive(Debug, Clone)]
pub struct ExportPurge {
    store: PieceStore,
    kind: JobKind,
}

impl ExportPurge {
    /// Purges `store`.
    ///
    /// # Errors
    /// Never in practice: the kind is a literal of the jobs' shape.
    pub fn new(store: PieceStore) -> Result<Self, napoleon_db::DbError> {
        Ok(Self {
            store,
            kind: purge_kind()?,
        })
    }
}

#[async_trait]
impl napoleon_jobs::Handler for ExportPurge {
    fn kind(&self) -> JobKind {
        self.kind.clone()
    }

    async fn run(&self, job: &JobContext) -> Result<serde_json::Value, JobError> {
        let before = job.db().clock().now() - chrono::Duration::days(i64::from(KEPT_DAYS));
        let unavailable = |e: napoleon_storage::StorageError| {
            tracing::warn!(error = %e, "exports purge: store");
            JobError::Failed(
                "Le stockage des fichiers n'a pas répondu ; la purge sera reprise.".to_owned(),
            )
        };
        let old = self
            .store
            .exports_before(job.tenant(), before)
            .await
            .map_err(unavailable)?;
        for id in &old {
            self.store
                .delete_export(job.tenant(), *id)
                .await
                .map_err(unavailable)?;
        }
        job.progress(
            i64::try_from(old.len()).unwrap_or(i64::MAX),
            None,
            &format!("{} fichier(s) d'export supprimé(s).", old.len()),
        )
        .await?;
        Ok(json!({"removed": old.len()}))
    }
}

/// An export job of the agent, for its page.
#[derive(Debug)]
pub struct ExportJob {
    /// The job.
    pub job: JobView,
    /// What was asked.
    pub request: ExportRequest,
}

/// Export job `id` of kind `kind`, when `identity` asked it (anyone else's, another kind,
/// another tenant's: [`ActionError::NotFound`]); `allowed` decides, on the agent's access and
/// what the job was asked (its list, its filter), whether they may still export it.
///
/// # Errors
/// [`ActionError::NotFound`], [`ActionError::Forbidden`] or the database's.
pub async fn job(
    ctx: &WebContext,
    identity: &Identity,
    kind: &JobKind,
    id: JobId,
    allowed: impl FnOnce(&Access, &ExportRequest) -> Result<(), Refusal>,
) -> ActionResult<ExportJob> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let found = async {
        let job = match jobs::job(&mut tx, id).await {
            Ok(job) => job,
            Err(e) if e.is_not_found() => return Err(ActionError::NotFound),
            Err(e) => return Err(e.into()),
        };
        if &job.kind != kind || job.created_by != Actor::Agent(identity.agent).render() {
            return Err(ActionError::NotFound);
        }
        let request: ExportRequest = serde_json::from_value(jobs::payload(&mut tx, id).await?)
            .map_err(|_| ActionError::NotFound)?;
        // Asked by this agent and on their behalf: a job enqueued in someone else's name is
        // nobody's to download.
        if request.agent != identity.agent {
            return Err(ActionError::NotFound);
        }
        allowed(&access, &request)?;
        Ok(ExportJob { job, request })
    }
    .await;
    tx.rollback().await;
    found
}

/// What the export's job page shows (the shared `export_job` template).
#[derive(Debug, Serialize)]
pub struct ExportJobPage {
    /// The page's title.
    pub title: String,
    /// Where the list is (the breadcrumb and the way back).
    pub list_href: String,
    /// The list's name.
    pub list_label: String,
    /// The job's progress.
    pub progress: JobProgress,
    /// This page's own address (to reload it by hand).
    pub href: String,
    /// The file's link once written.
    pub download_href: Option<String>,
    /// « XLSX, 1,2 Mo, 12 000 lignes ».
    pub download_label: Option<String>,
    /// Days the file is kept.
    pub kept_days: u16,
}

impl ExportJobPage {
    /// The page of `found`, at `href`, for the list at `list_href`.
    #[must_use]
    pub fn new(found: &ExportJob, href: &str, list_href: &str, list_label: &str) -> Self {
        let progress = JobProgress::from(&found.job);
        let result = found
            .job
            .result
            .as_ref()
            .filter(|_| found.job.state == JobState::Succeeded);
        let n = |key: &str| {
            result
                .and_then(|r| r.get(key))
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0)
        };
        let format = Format::parse(&found.request.format).map_or("?", Format::label);
        Self {
            title: format!("Export — {list_label}"),
            list_href: list_href.to_owned(),
            list_label: list_label.to_owned(),
            progress,
            href: href.to_owned(),
            download_href: result.map(|_| format!("{href}/fichier")),
            download_label: result.map(|_| {
                format!(
                    "{format}, {}, {} ligne(s)",
                    size_label(n("size")),
                    crate::form::thousands(rows_usize(n("rows")))
                )
            }),
            kept_days: KEPT_DAYS,
        }
    }
}

/// A size in French units (« 1,2 Mo »).
fn size_label(bytes: u64) -> String {
    #[expect(
        clippy::cast_precision_loss,
        reason = "a size shown to one decimal place"
    )]
    let b = bytes as f64;
    if bytes < 1_000 {
        format!("{bytes} octets")
    } else if bytes < 1_000_000 {
        format!("{:.1} ko", b / 1e3).replace('.', ",")
    } else {
        format!("{:.1} Mo", b / 1e6).replace('.', ",")
    }
}

/// The export's file as a download, streamed from the store.
///
/// # Errors
/// [`ActionError::NotFound`] while it is not written (or once removed).
pub async fn download(
    ctx: &WebContext,
    identity: &Identity,
    found: &ExportJob,
) -> ActionResult<Response> {
    let result = found
        .job
        .result
        .as_ref()
        .filter(|_| found.job.state == JobState::Succeeded)
        .ok_or(ActionError::NotFound)?;
    let format = Format::parse(&found.request.format).ok_or(ActionError::NotFound)?;
    let name = result
        .get("file_name")
        .and_then(|v| v.as_str())
        .filter(|n| {
            n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
        .unwrap_or("export")
        .to_owned();
    let (size, stream) = match ctx
        .pieces()?
        .export_stream(identity.tenant, found.job.id.as_uuid())
        .await
    {
        Ok(found) => found,
        Err(napoleon_storage::StorageError::NotFound) => return Err(ActionError::NotFound),
        Err(e) => return Err(WebError::Internal(format!("export file: {e}")).into()),
    };
    // Each download journaled before a byte leaves: a file of personal data in bulk.
    let mut tx = ctx.db.tenant(identity.tenant).await?;
    journal::append(
        &mut tx,
        Actor::Agent(identity.agent),
        Subject::Job(found.job.id),
        EventKind::ExportDownloaded,
        json!({"list": found.request.list, "format": found.request.format,
               "rows": result.get("rows"), "size": size, "request_id": identity.request_id}),
    )
    .await?;
    tx.commit().await?;
    let mut response = crate::attachment(
        Body::from_stream(stream),
        format.content_type(),
        &name,
        format.code(),
    );
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    Ok(response)
}

/// One column on the export page.
#[derive(Debug, Serialize)]
pub struct ColumnChoice {
    /// The form field's name's end.
    pub code: &'static str,
    /// Its label.
    pub header: &'static str,
    /// Ticked.
    pub checked: bool,
}

/// One format on the export page.
#[derive(Debug, Serialize)]
pub struct FormatChoice {
    /// `csv`, `xlsx`, `ods`.
    pub code: &'static str,
    /// What it is, for the agent.
    pub label: &'static str,
    /// Chosen.
    pub checked: bool,
}

/// What the export page shows (the shared `export_form` template).
#[derive(Debug, Serialize)]
pub struct ExportFormPage {
    /// The page's title.
    pub title: String,
    /// The list's name.
    pub list_label: String,
    /// Where the list is.
    pub list_href: String,
    /// Where the form posts.
    pub action: String,
    /// The list's filter, in French sentences (what will be exported).
    pub filter_summary: Vec<String>,
    /// The filter's fields, sent back with the form.
    pub hidden: Vec<(String, String)>,
    /// The formats.
    pub formats: Vec<FormatChoice>,
    /// The columns.
    pub columns: Vec<ColumnChoice>,
    /// The refusals.
    pub errors: Vec<FieldError>,
    /// The format's refusal.
    pub format_error: Option<String>,
    /// The columns' refusal.
    pub columns_error: Option<String>,
}

/// Seconds between reloads of an export's job page while the job runs.
pub const REFRESH_SECONDS: u32 = 5;

/// A list's export pages, as its service names them.
#[derive(Debug, Clone, Copy)]
pub struct ExportList<'a> {
    /// The list's name (the breadcrumb, the job page's title).
    pub label: &'a str,
    /// Where the list is.
    pub href: &'a str,
    /// Where the export form posts.
    pub action: &'a str,
    /// The export page's heading.
    pub title: &'a str,
    /// The browser tab's title.
    pub tab: &'a str,
    /// The columns offered.
    pub columns: &'static [ExportColumn],
}

/// The export page of `list` (the shared `export_form` template): as first shown, or again
/// with what was `posted` and its refusals (422). `summary` says in French what will be
/// exported; `hidden` are the list's filter's fields, sent back with the form.
///
/// # Errors
/// The template's.
pub fn form_response(
    ctx: &WebContext,
    identity: &Identity,
    list: &ExportList<'_>,
    summary: Vec<String>,
    hidden: Vec<(String, String)>,
    posted: Option<&FormFields>,
    errors: Vec<FieldError>,
) -> crate::WebResult<Response> {
    use axum::response::IntoResponse;
    let (formats, columns) = form_choices(list.columns, posted);
    let error_of = |field: &str| {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    };
    let refused = !errors.is_empty();
    let view = ExportFormPage {
        title: list.title.to_owned(),
        list_label: list.label.to_owned(),
        list_href: list.href.to_owned(),
        action: list.action.to_owned(),
        filter_summary: summary,
        hidden,
        formats,
        columns,
        format_error: error_of("format"),
        columns_error: error_of("colonnes"),
        errors,
    };
    let title = if refused {
        format!("Erreur — {}", list.tab)
    } else {
        list.tab.to_owned()
    };
    let mut page = ctx
        .page(identity, "export_form", &title, &view)?
        .into_response();
    if refused {
        *page.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(page)
}

/// The export job's page (the shared `export_job` template), reloading itself every
/// [`REFRESH_SECONDS`] while the job waits or runs.
///
/// # Errors
/// The template's.
pub fn job_response(
    ctx: &WebContext,
    identity: &Identity,
    view: &ExportJobPage,
) -> crate::WebResult<Response> {
    use axum::response::IntoResponse;
    let refresh = view.progress.active.then_some(REFRESH_SECONDS);
    Ok(ctx
        .templates
        .render_refreshing(
            "export_job",
            &crate::Page {
                title: &view.title,
                view,
                user: identity.page.as_ref(),
            },
            refresh,
        )?
        .into_response())
}

/// The export page's formats and columns: all ticked and XLSX at first, as posted after a
/// refusal.
#[must_use]
pub fn form_choices(
    offered: &[ExportColumn],
    posted: Option<&FormFields>,
) -> (Vec<FormatChoice>, Vec<ColumnChoice>) {
    let format = posted.map_or("xlsx", |f| f.get("format"));
    let formats = [
        (Format::Xlsx, "XLSX (Excel)"),
        (Format::Ods, "ODS (LibreOffice, OpenOffice)"),
        (Format::Csv, "CSV (séparateur point-virgule, UTF-8)"),
    ]
    .into_iter()
    .map(|(f, label)| FormatChoice {
        code: f.code(),
        label,
        checked: f.code() == format,
    })
    .collect();
    let columns = offered
        .iter()
        .map(|c| ColumnChoice {
            code: c.code,
            header: c.header,
            checked: posted.is_none_or(|f| f.has(&format!("colonne-{}", c.code))),
        })
        .collect();
    (formats, columns)
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    const OFFERED: &[ExportColumn] = &[
        ExportColumn {
            code: "nom",
            header: "Nom",
        },
        ExportColumn {
            code: "naissance",
            header: "Date de naissance",
        },
    ];

    fn form(body: &str) -> FormFields {
        FormFields::parse(body.as_bytes()).unwrap()
    }

    #[test]
    fn a_choice_is_parsed_or_refused_naming_its_field() {
        assert_eq!(
            parse_choice(
                &form("format=ods&colonne-naissance=1&colonne-nom=1"),
                OFFERED
            ),
            Ok(ExportChoice {
                format: Format::Ods,
                columns: vec!["nom", "naissance"],
            })
        );
        let fields = |body: &str| -> Vec<String> {
            parse_choice(&form(body), OFFERED)
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(fields("format=xls&colonne-nom=1"), ["format"]);
        assert_eq!(fields("format=csv"), ["colonnes"]);
        assert_eq!(fields("format=csv&colonne-iban=1"), ["colonnes"]);
        assert_eq!(fields(""), ["format", "colonnes"]);
    }

    #[test]
    fn the_purge_has_the_jobs_shape() {
        assert!(purge_kind().is_ok());
    }

    #[test]
    fn sizes_read_in_french() {
        assert_eq!(size_label(512), "512 octets");
        assert_eq!(size_label(1_234), "1,2 ko");
        assert_eq!(size_label(12_345_678), "12,3 Mo");
    }

    #[test]
    fn the_form_starts_with_every_column_and_xlsx() {
        let (formats, columns) = form_choices(OFFERED, None);
        assert!(columns.iter().all(|c| c.checked));
        assert_eq!(
            formats
                .iter()
                .filter(|f| f.checked)
                .map(|f| f.code)
                .collect::<Vec<_>>(),
            ["xlsx"]
        );
        let posted = form("format=csv&colonne-nom=1");
        let (formats, columns) = form_choices(OFFERED, Some(&posted));
        assert_eq!(
            columns
                .iter()
                .filter(|c| c.checked)
                .map(|c| c.code)
                .collect::<Vec<_>>(),
            ["nom"]
        );
        assert!(formats.iter().any(|f| f.code == "csv" && f.checked));
    }
}
