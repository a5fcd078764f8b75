//! The tenant administrator's view of the authorization policy: which role may do what, as a
//! matrix of checkboxes. Saving applies the difference in one transaction with its journal
//! event; the policy version changes, so every instance reloads it at its next request.

use std::collections::BTreeSet;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_authz::Permission;
use napoleon_kernel::Role;
use napoleon_web::{ActionError, WebError, WebResult};
use serde::Serialize;

use super::render;
use crate::domain;
use crate::{GatewayState, RequestAgent};

#[derive(Serialize, Debug)]
struct Cell {
    key: String,
    checked: bool,
    label: String,
}

#[derive(Serialize, Debug)]
struct Row {
    permission: String,
    cells: Vec<Cell>,
}

#[derive(Serialize, Debug)]
struct PolicyView {
    roles: Vec<&'static str>,
    rows: Vec<Row>,
    csrf: String,
    error: Option<&'static str>,
}

async fn page(
    state: &GatewayState,
    agent: &RequestAgent,
    error: Option<&'static str>,
) -> WebResult<Response> {
    let current = domain::policy::current(state, agent).await?;
    let rows = Permission::ALL
        .iter()
        .map(|p| Row {
            permission: format!("{} — {}", p.resource.as_str(), p.action.as_str()),
            cells: Role::ALL
                .iter()
                .map(|r| Cell {
                    key: domain::policy::key(*r, *p),
                    checked: current.contains(&domain::policy::key(*r, *p)),
                    label: format!(
                        "{} : {} {}",
                        r.label(),
                        p.action.as_str(),
                        p.resource.as_str()
                    ),
                })
                .collect(),
        })
        .collect();
    let view = PolicyView {
        roles: Role::ALL.iter().map(|r| r.label()).collect(),
        rows,
        csrf: agent.csrf.clone(),
        error,
    };
    let mut response = render(
        state,
        "policy",
        "Politique d'autorisation",
        &view,
        Some(agent),
    )?
    .into_response();
    if error.is_some() {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

pub(crate) async fn show(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
) -> WebResult<Response> {
    page(&state, &agent, None).await
}

pub(crate) async fn save(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
    body: Bytes,
) -> WebResult<Response> {
    let tenant = agent.tenant.as_ref().ok_or(WebError::Forbidden)?;
    let tenant_text = tenant.id.to_string();
    // Checkboxes repeat the name `r`; anything that is not a known rule is ignored.
    let wanted: BTreeSet<String> = form_urlencoded::parse(&body)
        .filter(|(k, _)| k == "r")
        .map(|(_, v)| v.into_owned())
        .filter(|k| domain::policy::rule(&tenant_text, k).is_some())
        .collect();
    match domain::policy::save(&state, &agent, &wanted).await {
        Ok(()) => Ok(Redirect::to("/administration/politique").into_response()),
        Err(ActionError::Invalid(_)) => {
            page(&state, &agent, Some(domain::policy::LOCKOUT_REFUSED)).await
        }
        Err(e) => Err(e.into()),
    }
}
