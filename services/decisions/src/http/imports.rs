//! The registry import's pages: the form and the latest imports
//! (`/decisions/registre/import`), the template, a job's progress and report
//! (`/decisions/registre/import/taches/{id}`), the report as CSV, importing a checked file,
//! and undoing an import. The file is read from the multipart body bounded as it streams in
//! (its size, each part's headers); a file refused is said on the form, with nothing kept.

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_identity::Identity;
use napoleon_kernel::{JobId, RegistryImportId};
use napoleon_web::{ActionError, FieldError, IdPath, JobProgress, WebContext, WebError, WebResult};
use serde::Serialize;

use crate::domain::imports::{self, MAX_FILE_BYTES, Mode, Upload};
use crate::domain::registry_import::{self, ImportSummary};

/// Seconds between reloads while a job runs.
const REFRESH_SECONDS: u32 = 5;

/// Problems shown on the report's page (all of them in its CSV).
const SHOWN_PROBLEMS: usize = 100;

#[derive(Serialize)]
struct ImportRow {
    file_name: String,
    started: String,
    state: &'static str,
    inserted: u64,
    existing: u64,
    rejected: u64,
    undo_href: Option<String>,
}

#[derive(Serialize)]
struct Column {
    header: String,
    required: bool,
    help: &'static str,
}

#[derive(Serialize)]
struct ImportsView {
    imports: Vec<ImportRow>,
    columns: Vec<Column>,
    max_mb: u64,
    error: Option<String>,
    notice: Option<String>,
}

fn row(s: &ImportSummary) -> ImportRow {
    ImportRow {
        file_name: s.file_name.clone(),
        started: napoleon_rules::fr_date(napoleon_kernel::paris_date(s.started_at)),
        state: if s.undone {
            "Annulé"
        } else if s.finished {
            "Terminé"
        } else {
            "En cours ou interrompu"
        },
        inserted: s.inserted,
        existing: s.existing,
        rejected: s.rejected,
        undo_href: s
            .finished
            .then(|| format!("/decisions/registre/imports/{}/annulation", s.id)),
    }
}

async fn render(
    ctx: &WebContext,
    identity: &Identity,
    error: Option<String>,
    notice: Option<String>,
) -> WebResult<Response> {
    let list = imports::page(ctx, identity).await?;
    let view = ImportsView {
        imports: list.iter().map(row).collect(),
        columns: registry_import::column_help()
            .into_iter()
            .map(|(header, required, help)| Column {
                header,
                required,
                help,
            })
            .collect(),
        max_mb: MAX_FILE_BYTES / 1_000_000,
        error,
        notice,
    };
    let status = if view.error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok((
        status,
        ctx.page(identity, "decisions/imports", "Import du registre", &view)?,
    )
        .into_response())
}

/// `GET /decisions/registre/import`.
pub(crate) async fn page(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
) -> WebResult<Response> {
    render(&ctx, &identity, None, None).await
}

/// `GET /decisions/registre/import/modele.csv`: the template (anyone who may import).
pub(crate) async fn template(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
) -> WebResult<Response> {
    imports::page(&ctx, &identity).await?;
    Ok(csv(
        registry_import::template_csv().into(),
        "modele-import-registre.csv",
    ))
}

fn csv(bytes: Bytes, name: &str) -> Response {
    napoleon_web::attachment(bytes.into(), "text/csv; charset=utf-8", name, "csv")
}

/// The upload, parsed: the mode and the file, bounded; the form's refusal otherwise.
async fn parse_upload(headers: &HeaderMap, body: Body) -> Result<Upload, String> {
    let form = napoleon_web::upload::file_form(
        headers,
        body,
        "fichier",
        MAX_FILE_BYTES,
        &["mode"],
        &format!(
            "Fichier : {} Mo au plus depuis cette page (la commande `napoleon import \
             registry` accepte les fichiers plus grands).",
            MAX_FILE_BYTES / 1_000_000
        ),
    )
    .await?;
    let mode = Mode::parse(form.field("mode"))
        .ok_or("Choisissez « Vérifier le fichier » ou « Importer ».")?;
    Ok(Upload {
        mode,
        file_name: form.file_name,
        bytes: form.bytes,
    })
}

/// `POST /decisions/registre/import`: the file checked or imported as a job, whose page
/// follows; a refusal is said on the form (422).
pub(crate) async fn upload(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    body: Body,
) -> WebResult<Response> {
    // Refused before the body when the agent may not import at all.
    imports::page(&ctx, &identity).await?;
    let upload = match parse_upload(&headers, body).await {
        Ok(upload) => upload,
        Err(message) => return render(&ctx, &identity, Some(message), None).await,
    };
    match imports::start(&ctx, &identity, upload).await {
        Ok(job) => Ok(Redirect::to(&job_href(job)).into_response()),
        Err(ActionError::Invalid(errors)) => {
            let message = errors
                .into_iter()
                .map(|e: FieldError| e.message)
                .collect::<Vec<_>>()
                .join(" ");
            render(&ctx, &identity, Some(message), None).await
        }
        Err(e) => Err(e.into()),
    }
}

fn job_href(job: JobId) -> String {
    format!("/decisions/registre/import/taches/{job}")
}

#[derive(Serialize)]
struct ProblemRow {
    line: String,
    column: String,
    value: String,
    reason: String,
}

#[derive(Serialize)]
struct JobPage {
    id: String,
    label: &'static str,
    file_name: String,
    progress: JobProgress,
    auto_refresh: bool,
    check: bool,
    summary: Vec<String>,
    problems: Vec<ProblemRow>,
    more_problems: usize,
    report_href: Option<String>,
    import_href: Option<String>,
}

/// The counts of a finished job, in French.
fn summary(mode: Mode, result: &serde_json::Value) -> Vec<String> {
    let n = |key: &str| {
        result
            .get(key)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    let mut lines = vec![
        format!(
            "Fichier lu : {}.",
            result
                .get("detected")
                .and_then(|d| d.as_str())
                .unwrap_or("?")
        ),
        format!(
            "{} ligne(s) lue(s) : {} valide(s), {} refusée(s).",
            n("rows"),
            n("valid"),
            n("rejected")
        ),
    ];
    match mode {
        Mode::Check => {
            lines.push("Vérification seule : rien n'a été écrit au registre.".to_owned())
        }
        Mode::Import => {
            if n("resumed_after") > 0 {
                lines.push(format!(
                    "Import repris après la ligne {} (les lignes précédentes étaient déjà importées).",
                    n("resumed_after")
                ));
            }
            lines.push(format!(
                "{} distinction(s) ajoutée(s) au registre, {} déjà présente(s).",
                n("inserted"),
                n("existing")
            ));
        }
    }
    lines
}

/// The report's first problems, read back with the tables' reader.
fn first_problems(report: &Bytes) -> (Vec<ProblemRow>, usize) {
    let Ok(table) = napoleon_tabular::open(std::io::Cursor::new(report.clone())) else {
        return (Vec::new(), 0);
    };
    let mut rows = Vec::new();
    let mut more = 0;
    for row in table.flatten() {
        if rows.len() >= SHOWN_PROBLEMS {
            more += 1;
            continue;
        }
        let cell = |i: usize| row.cells.get(i).cloned().unwrap_or_default();
        // Formulas were neutralised for spreadsheets with a leading apostrophe: shown as typed.
        let value = cell(2);
        rows.push(ProblemRow {
            line: cell(0),
            column: cell(1),
            value: value
                .strip_prefix('\'')
                .map_or_else(|| value.clone(), str::to_owned),
            reason: cell(3),
        });
    }
    (rows, more)
}

/// `GET /decisions/registre/import/taches/{id}`: the job's progress, then its counts and
/// report.
pub(crate) async fn job(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<JobId>,
) -> WebResult<Response> {
    let found = imports::job(&ctx, &identity, id).await?;
    let progress = JobProgress::from(&found.job);
    let succeeded = found.job.state == napoleon_db::jobs::JobState::Succeeded;
    let (problems, more_problems) = if succeeded {
        match imports::report(&ctx, &identity, id).await {
            Ok(report) => first_problems(&report),
            Err(ActionError::NotFound) => (Vec::new(), 0),
            Err(e) => return Err(e.into()),
        }
    } else {
        (Vec::new(), 0)
    };
    let rejected = found
        .job
        .result
        .as_ref()
        .and_then(|r| r.get("rejected"))
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    let view = JobPage {
        id: id.to_string(),
        label: match found.mode {
            Mode::Check => "Vérification du fichier",
            Mode::Import => "Import au registre",
        },
        file_name: found.file_name,
        auto_refresh: progress.active,
        progress,
        check: found.mode == Mode::Check,
        summary: found
            .job
            .result
            .as_ref()
            .map(|r| summary(found.mode, r))
            .unwrap_or_default(),
        problems,
        more_problems,
        report_href: (succeeded && rejected > 0).then(|| format!("{}/rapport.csv", job_href(id))),
        import_href: (succeeded && found.mode == Mode::Check)
            .then(|| format!("{}/importer", job_href(id))),
    };
    let user = identity.page.as_ref();
    let refresh = view.auto_refresh.then_some(REFRESH_SECONDS);
    Ok(ctx
        .templates
        .render_refreshing(
            "decisions/import_job",
            &napoleon_web::Page {
                title: view.label,
                view: &view,
                user,
            },
            refresh,
        )?
        .into_response())
}

/// `GET /decisions/registre/import/taches/{id}/rapport.csv`.
pub(crate) async fn report(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<JobId>,
) -> WebResult<Response> {
    let bytes = imports::report(&ctx, &identity, id).await?;
    Ok(csv(bytes, "rapport-import-registre.csv"))
}

/// `POST /decisions/registre/import/taches/{id}/importer`: imports the checked file.
pub(crate) async fn import_checked(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<JobId>,
) -> WebResult<Response> {
    let job = imports::import_checked(&ctx, &identity, id).await?;
    Ok(Redirect::to(&job_href(job)).into_response())
}

/// `POST /decisions/registre/imports/{id}/annulation`: undoes an import; the list says what
/// was removed, or why it could not be.
pub(crate) async fn undo(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<RegistryImportId>,
) -> WebResult<Response> {
    match imports::undo(&ctx, &identity, id).await {
        Ok(undone) => {
            let notice = format!(
                "Import annulé : {} distinction(s), {} lauréat(s) et {} période(s) de carrière retirés du registre.",
                undone.awards, undone.laureates, undone.periods
            );
            render(&ctx, &identity, None, Some(notice)).await
        }
        Err(ActionError::Conflict(conflict)) => {
            let mut response = render(&ctx, &identity, Some(conflict.message()), None).await?;
            *response.status_mut() = axum::http::StatusCode::CONFLICT;
            Ok(response)
        }
        Err(e) => Err(WebError::from(e)),
    }
}
