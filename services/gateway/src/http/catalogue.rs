//! The tenant administrator's catalogue: the distinctions the ministry proposes, each a
//! versioned TOML document the rules engine reads. The administrator adds built-in
//! distinctions, adjusts what the law leaves to the ministry (gap-practice warnings in
//! `practices.toml`, unverified values), or adds the ministry's own medal. Every change is
//! validated by the engine against the whole catalogue before it is saved, and journaled.

use axum::Extension;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_rules::{BUILTIN_DISTINCTIONS, BUILTIN_PRACTICES, NATIONAL_FILES};
use napoleon_web::{ActionError, FieldError, WebError, WebResult};
use serde::{Deserialize, Serialize};

use super::render;
use crate::domain;
use crate::domain::catalogue::Origin;
use crate::{GatewayState, RequestAgent};

/// A catalogue file's source, as edited.
#[derive(Deserialize, Debug, Default)]
pub(crate) struct SourceForm {
    #[serde(default)]
    source: String,
}

#[derive(Serialize, Debug)]
struct FileLine {
    file: String,
    builtin: bool,
    /// A national order's document: shown, never edited.
    national: bool,
}

#[derive(Serialize, Debug)]
struct CatalogueView {
    files: Vec<FileLine>,
    available: Vec<&'static str>,
    csrf: String,
    error: Option<String>,
    new_file: String,
    new_source: String,
}

#[derive(Serialize, Debug)]
struct EditView {
    file: String,
    source: String,
    csrf: String,
    error: Option<String>,
    /// Why the document is shown read-only (a national order's).
    read_only: Option<&'static str>,
}

/// `mdi.toml`-style names only: they become part of the engine's catalogue.
fn valid_file_name(file: &str) -> bool {
    file.strip_suffix(".toml").is_some_and(|stem| {
        (1..=40).contains(&stem.len())
            && stem
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    })
}

async fn overview_page(
    state: &GatewayState,
    agent: &RequestAgent,
    error: Option<String>,
    new_file: &str,
    new_source: &str,
) -> WebResult<Response> {
    let files = domain::catalogue::files(state, agent).await?;
    let is_builtin =
        |f: &str| f == BUILTIN_PRACTICES.0 || BUILTIN_DISTINCTIONS.iter().any(|(b, _)| *b == f);
    let view = CatalogueView {
        available: BUILTIN_DISTINCTIONS
            .iter()
            .map(|(f, _)| *f)
            .filter(|f| !files.iter().any(|(x, _)| x == f))
            .collect(),
        files: files
            .iter()
            .map(|(f, _)| FileLine {
                file: f.clone(),
                builtin: is_builtin(f),
                national: NATIONAL_FILES.contains(&f.as_str()),
            })
            .collect(),
        csrf: agent.csrf.clone(),
        error: error.clone(),
        new_file: new_file.to_owned(),
        new_source: new_source.to_owned(),
    };
    let mut response = render(
        state,
        "catalogue",
        "Catalogue des distinctions",
        &view,
        Some(agent),
    )?
    .into_response();
    if error.is_some() {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

pub(crate) async fn overview(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
) -> WebResult<Response> {
    overview_page(&state, &agent, None, "", "").await
}

pub(crate) async fn edit(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
    Path(file): Path<String>,
) -> WebResult<Response> {
    let files = domain::catalogue::files(&state, &agent).await?;
    let source = files
        .into_iter()
        .find(|(f, _)| *f == file)
        .map(|(_, s)| s)
        .ok_or(WebError::NotFound)?;
    // A national order's document is the built-in one, whatever the tenant's copy says.
    let national = BUILTIN_DISTINCTIONS
        .iter()
        .find(|(f, _)| NATIONAL_FILES.contains(f) && *f == file);
    let view = EditView {
        file,
        source: national.map_or(source, |(_, s)| (*s).to_owned()),
        csrf: agent.csrf.clone(),
        error: None,
        read_only: national.map(|_| domain::catalogue::NATIONAL_REFUSAL),
    };
    Ok(render(
        &state,
        "catalogue_edit",
        "Modifier un document du catalogue",
        &view,
        Some(&agent),
    )?
    .into_response())
}

/// The domain's refusal of a document, as the page's one error line.
fn refusal_text(errors: Vec<FieldError>) -> String {
    errors
        .into_iter()
        .map(|e| e.message)
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) async fn update(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
    Path(file): Path<String>,
    Form(form): Form<SourceForm>,
) -> WebResult<Response> {
    match domain::catalogue::update(&state, &agent, &file, &form.source).await {
        Ok(()) => Ok(Redirect::to("/administration/catalogue").into_response()),
        Err(ActionError::Invalid(errors)) => {
            let error = refusal_text(errors);
            let view = EditView {
                file,
                source: form.source,
                csrf: agent.csrf.clone(),
                error: Some(error),
                read_only: None,
            };
            let mut response = render(
                &state,
                "catalogue_edit",
                "Modifier un document du catalogue",
                &view,
                Some(&agent),
            )?
            .into_response();
            *response.status_mut() = StatusCode::BAD_REQUEST;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Debug, Default)]
pub(crate) struct AddForm {
    #[serde(default)]
    builtin: String,
    #[serde(default)]
    file: String,
    #[serde(default)]
    source: String,
}

pub(crate) async fn add(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
    Form(form): Form<AddForm>,
) -> WebResult<Response> {
    let result = if let Some((file, source)) = BUILTIN_DISTINCTIONS
        .iter()
        .find(|(f, _)| *f == form.builtin)
    {
        domain::catalogue::save(&state, &agent, file, source, Origin::Builtin).await
    } else if valid_file_name(&form.file)
        && !BUILTIN_DISTINCTIONS.iter().any(|(f, _)| *f == form.file)
    {
        domain::catalogue::save(&state, &agent, &form.file, &form.source, Origin::Tenant).await
    } else {
        Err(ActionError::Invalid(vec![FieldError::new(
            "file",
            "Choisissez une distinction du catalogue national, ou nommez le document de votre médaille en minuscules (par exemple medaille_prefecture.toml).",
        )]))
    };
    match result {
        Ok(()) => Ok(Redirect::to("/administration/catalogue").into_response()),
        Err(ActionError::Invalid(errors)) => {
            let error = refusal_text(errors);
            overview_page(&state, &agent, Some(error), &form.file, &form.source).await
        }
        Err(e) => Err(e.into()),
    }
}
