//! Promotion's export pages: the choice of format and columns for the registry
//! (`/promotion/registre/export`, with the registry's search) and for the radar
//! (`/promotion/radar/export`, with its date), the job's progress (`/promotion/exports/{id}`)
//! and the file (`/promotion/exports/{id}/fichier`). The shared templates and use cases of
//! every list's export are in [`napoleon_web::export`].

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_identity::Identity;
use napoleon_kernel::JobId;
use napoleon_web::export::{self, ExportJobPage, ExportList};
use napoleon_web::{ActionError, FieldError, FormFields, IdPath, WebContext, WebResult};

use super::registry::RegistryQuery;
use crate::domain::exports::{self as domain, RADAR, RADAR_COLUMNS, REGISTRY_COLUMNS};

const REGISTRY_LIST: ExportList<'static> = ExportList {
    href: "/promotion/registre",
    label: "Registre des lauréats",
    action: "/promotion/registre/export",
    title: "Exporter le registre des lauréats",
    tab: "Exporter le registre",
    columns: REGISTRY_COLUMNS,
};

const RADAR_LIST: ExportList<'static> = ExportList {
    href: "/promotion/radar",
    label: "Radar des promotions",
    action: "/promotion/radar/export",
    title: "Exporter le radar des promotions",
    tab: "Exporter le radar",
    columns: RADAR_COLUMNS,
};

fn job_href(id: JobId) -> String {
    format!("/promotion/exports/{id}")
}

/// The export page of `list`: as first shown, or again with what was `posted` and its
/// refusals (422).
fn show_form(
    ctx: &WebContext,
    identity: &Identity,
    list: &ExportList<'_>,
    scope: &domain::ExportScope,
    posted: Option<&FormFields>,
    errors: Vec<FieldError>,
) -> WebResult<Response> {
    export::form_response(
        ctx,
        identity,
        list,
        scope.summary.clone(),
        scope.hidden.clone(),
        posted,
        errors,
    )
}

/// The registry's page with the same search, where a refused search is explained.
fn back_to_registry(ask: &crate::domain::RegistryAsk) -> Response {
    let words = super::registry::Words {
        name: &ask.name,
        distinction: &ask.distinction,
        grade: &ask.grade,
        born: &ask.born,
    };
    Redirect::to(&words.href(REGISTRY_LIST.href, None)).into_response()
}

/// `GET /promotion/registre/export?nom=…&distinction=…&grade=…&naissance=…`: the format and the
/// columns; a refused search goes back to the registry's page, which names the field.
pub(crate) async fn export_form(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    Query(query): Query<RegistryQuery>,
) -> WebResult<Response> {
    let ask = query.ask();
    match domain::registry_export_page(&ctx, &identity, &ask).await {
        Ok(scope) => show_form(&ctx, &identity, &REGISTRY_LIST, &scope, None, Vec::new()),
        Err(ActionError::Invalid(_)) => Ok(back_to_registry(&ask)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /promotion/registre/export`: the export starts as a job, whose page follows; a
/// refused choice shows the form again (422) with what was ticked.
pub(crate) async fn start_export(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    form: FormFields,
) -> WebResult<Response> {
    let ask = RegistryQuery::from_form(&form).ask();
    let scope = match domain::registry_export_page(&ctx, &identity, &ask).await {
        Ok(scope) => scope,
        Err(ActionError::Invalid(_)) => return Ok(back_to_registry(&ask)),
        Err(e) => return Err(e.into()),
    };
    let choice = match export::parse_choice(&form, REGISTRY_LIST.columns) {
        Ok(choice) => choice,
        Err(errors) => {
            return show_form(&ctx, &identity, &REGISTRY_LIST, &scope, Some(&form), errors);
        }
    };
    match domain::start_registry_export(&ctx, &identity, &ask, &choice).await {
        Ok(id) => Ok(Redirect::to(&job_href(id)).into_response()),
        Err(ActionError::Invalid(_)) => Ok(back_to_registry(&ask)),
        Err(e) => Err(e.into()),
    }
}

/// `GET /promotion/exports/{id}`: the export's progress, then its file's link.
pub(crate) async fn export_job(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<JobId>,
) -> WebResult<Response> {
    let found = domain::export_job(&ctx, &identity, id).await?;
    let list = if found.request.list == RADAR {
        RADAR_LIST
    } else {
        REGISTRY_LIST
    };
    let view = ExportJobPage::new(&found, &job_href(id), list.href, list.label);
    export::job_response(&ctx, &identity, &view)
}

/// `GET /promotion/exports/{id}/fichier`: the file, streamed from the store.
pub(crate) async fn export_file(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<JobId>,
) -> WebResult<Response> {
    let found = domain::export_job(&ctx, &identity, id).await?;
    Ok(export::download(&ctx, &identity, &found).await?)
}

/// The radar's date, as the radar page's form and the export's send it.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct RadarDate {
    date: String,
}

fn back_to_radar(date: &str) -> Response {
    Redirect::to(&napoleon_web::query_href(
        RADAR_LIST.href,
        &[("date", date)],
    ))
    .into_response()
}

/// `GET /promotion/radar/export?date=…`: the format and the columns; a refused date goes
/// back to the radar's page, which names the field.
pub(crate) async fn radar_export_form(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    Query(query): Query<RadarDate>,
) -> WebResult<Response> {
    match domain::radar_export_page(&ctx, &identity, &query.date).await {
        Ok(scope) => show_form(&ctx, &identity, &RADAR_LIST, &scope, None, Vec::new()),
        Err(ActionError::Invalid(_)) => Ok(back_to_radar(&query.date)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /promotion/radar/export`: the export starts as a job, whose page follows; a refused
/// choice shows the form again (422) with what was ticked.
pub(crate) async fn start_radar_export(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    form: FormFields,
) -> WebResult<Response> {
    let date = form.get("date").to_owned();
    let scope = match domain::radar_export_page(&ctx, &identity, &date).await {
        Ok(scope) => scope,
        Err(ActionError::Invalid(_)) => return Ok(back_to_radar(&date)),
        Err(e) => return Err(e.into()),
    };
    let choice = match export::parse_choice(&form, RADAR_LIST.columns) {
        Ok(choice) => choice,
        Err(errors) => {
            return show_form(&ctx, &identity, &RADAR_LIST, &scope, Some(&form), errors);
        }
    };
    match domain::start_radar_export(&ctx, &identity, &date, &choice).await {
        Ok(id) => Ok(Redirect::to(&job_href(id)).into_response()),
        Err(ActionError::Invalid(_)) => Ok(back_to_radar(&date)),
        Err(e) => Err(e.into()),
    }
}
