//! Instruction's export pages: the choice of format and columns for a list
//! (`/instruction/export?liste=recherche&…`, `?liste=file&onglet=…`,
//! `?liste=selection&dossiers=…`), the job's progress (`/instruction/exports/{id}`) and the
//! file (`/instruction/exports/{id}/fichier`). The shared templates and use cases of every
//! list's export are in [`napoleon_web::export`].

use std::collections::HashMap;

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_identity::Identity;
use napoleon_kernel::JobId;
use napoleon_web::export::{self, ExportJobPage, ExportList};
use napoleon_web::{ActionError, FieldError, FormFields, IdPath, WebContext, WebResult};

use crate::domain::exports::{self as domain, COLUMNS, ExportAsk, ExportScope};

/// Where the export form posts.
const ACTION: &str = "/instruction/export";

fn job_href(id: JobId) -> String {
    format!("/instruction/exports/{id}")
}

fn show_form(
    ctx: &WebContext,
    identity: &Identity,
    ask: &ExportAsk,
    scope: ExportScope,
    posted: Option<&FormFields>,
    errors: Vec<FieldError>,
) -> WebResult<Response> {
    let href = ask.list_href();
    let label = ask.list_label();
    let list = ExportList {
        label: &label,
        href: &href,
        action: ACTION,
        title: "Exporter des dossiers",
        tab: "Exporter des dossiers",
        columns: COLUMNS,
    };
    export::form_response(
        ctx,
        identity,
        &list,
        scope.summary,
        scope.hidden,
        posted,
        errors,
    )
}

/// A refused ask: a search goes back to the search's page, which names its fields; anything
/// else is said as such (422).
fn refused(ask: &ExportAsk, e: ActionError) -> WebResult<Response> {
    match (ask, e) {
        (ExportAsk::Search(_), ActionError::Invalid(_)) => {
            Ok(Redirect::to(&ask.list_href()).into_response())
        }
        (_, e) => Err(e.into()),
    }
}

/// `GET /instruction/export?liste=…`: the format and the columns for the list asked.
pub(crate) async fn export_form(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    Query(query): Query<HashMap<String, String>>,
) -> WebResult<Response> {
    let ask = ExportAsk::of_fields(|k| query.get(k).cloned().unwrap_or_default())?;
    match domain::export_page(&ctx, &identity, &ask).await {
        Ok(scope) => show_form(&ctx, &identity, &ask, scope, None, Vec::new()),
        Err(e) => refused(&ask, e),
    }
}

/// `POST /instruction/export`: the export starts as a job, whose page follows; a refused
/// choice shows the form again (422) with what was ticked.
pub(crate) async fn start_export(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    form: FormFields,
) -> WebResult<Response> {
    let ask = ExportAsk::of_form(&form)?;
    let scope = match domain::export_page(&ctx, &identity, &ask).await {
        Ok(scope) => scope,
        Err(e) => return refused(&ask, e),
    };
    let choice = match export::parse_choice(&form, COLUMNS) {
        Ok(choice) => choice,
        Err(errors) => return show_form(&ctx, &identity, &ask, scope, Some(&form), errors),
    };
    match domain::start_export(&ctx, &identity, &ask, &choice).await {
        Ok(id) => Ok(Redirect::to(&job_href(id)).into_response()),
        Err(e) => refused(&ask, e),
    }
}

/// `GET /instruction/exports/{id}`: the export's progress, then its file's link.
pub(crate) async fn export_job(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<JobId>,
) -> WebResult<Response> {
    let found = domain::export_job(&ctx, &identity, id).await?;
    let (href, label) = domain::job_list(&found);
    let view = ExportJobPage::new(&found, &job_href(id), &href, &label);
    export::job_response(&ctx, &identity, &view)
}

/// `GET /instruction/exports/{id}/fichier`: the file, streamed from the store.
pub(crate) async fn export_file(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<JobId>,
) -> WebResult<Response> {
    let found = domain::export_job(&ctx, &identity, id).await?;
    Ok(export::download(&ctx, &identity, &found).await?)
}
