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
use napoleon_db::catalogue;
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_rules::{BUILTIN_DISTINCTIONS, BUILTIN_PRACTICES, Catalogue};
use napoleon_web::{WebError, WebResult};
use serde::{Deserialize, Serialize};

use crate::pages::render;
use crate::{GatewayState, RequestAgent};

#[derive(Serialize, Debug)]
struct FileLine {
    file: String,
    builtin: bool,
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

/// Checks that the tenant's catalogue, with `file` replaced by `source`, holds together.
fn validate(files: &[(String, String)], file: &str, source: &str) -> Result<(), String> {
    let mut parts: Vec<(&str, &str)> = files
        .iter()
        .filter(|(f, _)| f != file)
        .map(|(f, s)| (f.as_str(), s.as_str()))
        .collect();
    parts.push((file, source));
    Catalogue::for_tenant(&parts)
        .map(drop)
        .map_err(|e| e.to_string())
}

async fn overview_page(
    state: &GatewayState,
    agent: &RequestAgent,
    error: Option<String>,
    new_file: &str,
    new_source: &str,
) -> WebResult<Response> {
    let tenant = agent.tenant.as_ref().ok_or(WebError::Forbidden)?;
    let mut tx = state.ctx.db.tenant(tenant.id).await?;
    let files = catalogue::load(&mut tx).await?;
    tx.rollback().await;
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
    let tenant = agent.tenant.as_ref().ok_or(WebError::Forbidden)?;
    let mut tx = state.ctx.db.tenant(tenant.id).await?;
    let files = catalogue::load(&mut tx).await?;
    tx.rollback().await;
    let source = files
        .into_iter()
        .find(|(f, _)| *f == file)
        .map(|(_, s)| s)
        .ok_or(WebError::NotFound)?;
    let view = EditView {
        file,
        source,
        csrf: agent.csrf.clone(),
        error: None,
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

#[derive(Deserialize, Debug, Default)]
pub(crate) struct SourceForm {
    #[serde(default)]
    source: String,
}

/// The largest catalogue document accepted: the national ones are under 3 KiB.
const MAX_SOURCE_BYTES: usize = 64 * 1024;

/// Documents a tenant's catalogue may hold (the national catalogue has fourteen): every
/// request of the tenant's agents reads them all.
const MAX_FILES: usize = 40;

fn within_bounds(files: &[(String, String)], file: &str, source: &str) -> Result<(), String> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(format!(
            "Le document dépasse {} Kio : découpez-le ou retirez les règles inutiles.",
            MAX_SOURCE_BYTES / 1024
        ));
    }
    let new = !files.iter().any(|(f, _)| f == file);
    if new && files.len() >= MAX_FILES {
        return Err(format!(
            "Le catalogue du ministère compte déjà {MAX_FILES} documents, le maximum : \
             modifiez un document existant plutôt que d'en ajouter un."
        ));
    }
    Ok(())
}

async fn save_file(
    state: &GatewayState,
    agent: &RequestAgent,
    file: &str,
    source: &str,
    origin: &str,
) -> Result<(), String> {
    let tenant = agent.tenant.as_ref().ok_or_else(String::new)?;
    let mut tx = state
        .ctx
        .db
        .tenant(tenant.id)
        .await
        .map_err(|e| e.to_string())?;
    let files = catalogue::load(&mut tx).await.map_err(|e| e.to_string())?;
    within_bounds(&files, file, source)?;
    validate(&files, file, source)?;
    let created = catalogue::upsert(&mut tx, file, source, origin)
        .await
        .map_err(|e| e.to_string())?;
    journal::append(
        &mut tx,
        Actor::Agent(agent.agent),
        Subject::Catalogue,
        EventKind::CatalogueUpdated,
        serde_json::json!({ "file": file, "origin": origin, "created": created }),
    )
    .await
    .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())
}

pub(crate) async fn update(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
    Path(file): Path<String>,
    Form(form): Form<SourceForm>,
) -> WebResult<Response> {
    let tenant = agent.tenant.as_ref().ok_or(WebError::Forbidden)?;
    let mut tx = state.ctx.db.tenant(tenant.id).await?;
    let exists = catalogue::load(&mut tx)
        .await?
        .iter()
        .any(|(f, _)| *f == file);
    tx.rollback().await;
    if !exists {
        return Err(WebError::NotFound);
    }
    match save_file(&state, &agent, &file, &form.source, "tenant").await {
        Ok(()) => Ok(Redirect::to("/administration/catalogue").into_response()),
        Err(error) => {
            let view = EditView {
                file,
                source: form.source,
                csrf: agent.csrf.clone(),
                error: Some(error),
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
        save_file(&state, &agent, file, source, "builtin").await
    } else if valid_file_name(&form.file)
        && !BUILTIN_DISTINCTIONS.iter().any(|(f, _)| *f == form.file)
    {
        save_file(&state, &agent, &form.file, &form.source, "tenant").await
    } else {
        Err("Choisissez une distinction du catalogue national, ou nommez le document de votre médaille en minuscules (par exemple medaille_prefecture.toml).".to_owned())
    };
    match result {
        Ok(()) => Ok(Redirect::to("/administration/catalogue").into_response()),
        Err(error) => overview_page(&state, &agent, Some(error), &form.file, &form.source).await,
    }
}

#[cfg(test)]
mod bounds_tests {
    use super::*;

    #[test]
    fn documents_and_catalogues_are_bounded() {
        let files: Vec<(String, String)> = (0..MAX_FILES)
            .map(|i| (format!("m{i}.toml"), String::new()))
            .collect();
        assert!(within_bounds(&files[..1], "m1.toml", "a").is_ok());
        let big = "a".repeat(MAX_SOURCE_BYTES + 1);
        assert!(within_bounds(&files[..1], "m0.toml", &big).is_err_and(|e| e.contains("64 Kio")));
        // A full catalogue still lets its documents be edited, not added to.
        assert!(within_bounds(&files, "m3.toml", "a").is_ok());
        assert!(within_bounds(&files, "nouveau.toml", "a").is_err_and(|e| e.contains("40")));
    }
}
