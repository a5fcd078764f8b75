//! The board's export pages: the choice of format and columns
//! (`/decisions/campagnes/{id}/export`), the job's progress (`/decisions/exports/{id}`) and
//! the file (`/decisions/exports/{id}/fichier`). The shared templates and use cases of every
//! list's export are in [`napoleon_web::export`].

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_identity::Identity;
use napoleon_kernel::{CampaignId, JobId};
use napoleon_web::export::{self, ExportJobPage, ExportList};
use napoleon_web::{FieldError, FormFields, IdPath, WebContext, WebResult};

use super::board_href;
use crate::domain::exports::{self as domain, COLUMNS};

fn job_href(id: JobId) -> String {
    format!("/decisions/exports/{id}")
}

fn show_form(
    ctx: &WebContext,
    identity: &Identity,
    campaign: CampaignId,
    label: &str,
    posted: Option<&FormFields>,
    errors: Vec<FieldError>,
) -> WebResult<Response> {
    let href = board_href(campaign);
    let action = format!("{href}/export");
    let list = ExportList {
        label: "Liste des décisions",
        href: &href,
        action: &action,
        title: "Exporter la liste des décisions",
        tab: "Exporter la liste des décisions",
        columns: COLUMNS,
    };
    export::form_response(
        ctx,
        identity,
        &list,
        vec![format!("Campagne : {label}")],
        Vec::new(),
        posted,
        errors,
    )
}

/// `GET /decisions/campagnes/{id}/export`: the format and the columns.
pub(crate) async fn export_form(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<CampaignId>,
) -> WebResult<Response> {
    let label = domain::export_page(&ctx, &identity, id).await?;
    show_form(&ctx, &identity, id, &label, None, Vec::new())
}

/// `POST /decisions/campagnes/{id}/export`: the export starts as a job, whose page follows; a
/// refused choice shows the form again (422) with what was ticked.
pub(crate) async fn start_export(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<CampaignId>,
    form: FormFields,
) -> WebResult<Response> {
    let label = domain::export_page(&ctx, &identity, id).await?;
    let choice = match export::parse_choice(&form, COLUMNS) {
        Ok(choice) => choice,
        Err(errors) => return show_form(&ctx, &identity, id, &label, Some(&form), errors),
    };
    let job = domain::start_export(&ctx, &identity, id, &choice).await?;
    Ok(Redirect::to(&job_href(job)).into_response())
}

/// `GET /decisions/exports/{id}`: the export's progress, then its file's link.
pub(crate) async fn export_job(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<JobId>,
) -> WebResult<Response> {
    let (found, campaign) = domain::export_job(&ctx, &identity, id).await?;
    let view = ExportJobPage::new(
        &found,
        &job_href(id),
        &board_href(campaign),
        "Liste des décisions",
    );
    export::job_response(&ctx, &identity, &view)
}

/// `GET /decisions/exports/{id}/fichier`: the file, streamed from the store.
pub(crate) async fn export_file(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<JobId>,
) -> WebResult<Response> {
    let (found, _) = domain::export_job(&ctx, &identity, id).await?;
    Ok(export::download(&ctx, &identity, &found).await?)
}
