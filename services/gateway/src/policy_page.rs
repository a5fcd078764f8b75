//! The tenant administrator's view of the authorization policy: which role may do what, as a
//! matrix of checkboxes. Saving applies the difference in one transaction with its journal
//! event; the policy version changes, so every instance reloads it at its next request.

use std::collections::BTreeSet;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_authz::{Action, Permission, Resource};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_db::policy::{self, PolicyRule};
use napoleon_kernel::Role;
use napoleon_web::{WebError, WebResult};
use serde::Serialize;

use crate::pages::render;
use crate::{GatewayState, RequestAgent};

/// Rules an administrator may not remove from their own role: the tenant would lose the
/// ability to ever change its policy or members again.
const LOCKOUT: [(Role, Resource, Action); 4] = [
    (Role::Administrateur, Resource::Policy, Action::Read),
    (Role::Administrateur, Resource::Policy, Action::Manage),
    (Role::Administrateur, Resource::Members, Action::Read),
    (Role::Administrateur, Resource::Members, Action::Manage),
];

fn key(role: Role, permission: Permission) -> String {
    format!(
        "{}:{}:{}",
        role.as_str(),
        permission.resource.as_str(),
        permission.action.as_str()
    )
}

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

fn current_keys(rules: &[PolicyRule], tenant: &str) -> BTreeSet<String> {
    rules
        .iter()
        .filter(|r| r.ptype == "p" && r.values.get(1).map(String::as_str) == Some(tenant))
        .filter_map(|r| match r.values.as_slice() {
            [role, _, resource, action] => Some(format!("{role}:{resource}:{action}")),
            _ => None,
        })
        .collect()
}

async fn page(
    state: &GatewayState,
    agent: &RequestAgent,
    error: Option<&'static str>,
) -> WebResult<Response> {
    let tenant = agent.tenant.as_ref().ok_or(WebError::Forbidden)?;
    let mut tx = state.ctx.db.tenant(tenant.id).await?;
    let rules = policy::load(&mut tx).await?;
    tx.rollback().await;
    let current = current_keys(&rules, &tenant.id.to_string());
    let rows = Permission::ALL
        .iter()
        .map(|p| Row {
            permission: format!("{} — {}", p.resource.as_str(), p.action.as_str()),
            cells: Role::ALL
                .iter()
                .map(|r| Cell {
                    key: key(*r, *p),
                    checked: current.contains(&key(*r, *p)),
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

fn rule(tenant: &str, key: &str) -> Option<PolicyRule> {
    let mut parts = key.split(':');
    let (role, resource, action) = (parts.next()?, parts.next()?, parts.next()?);
    Role::parse(role).ok()?;
    Permission::parse(resource, action)?;
    Some(PolicyRule {
        ptype: "p".to_owned(),
        values: vec![
            role.to_owned(),
            tenant.to_owned(),
            resource.to_owned(),
            action.to_owned(),
        ],
    })
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
        .filter(|k| rule(&tenant_text, k).is_some())
        .collect();
    let lockout_removed = LOCKOUT
        .iter()
        .any(|(r, res, act)| !wanted.contains(&key(*r, Permission::new(*res, *act))));
    if lockout_removed {
        return page(
            &state,
            &agent,
            Some("L'administrateur ministériel doit garder la gestion des membres et de la politique : sans elles, plus personne ne pourrait modifier les accès de ce ministère."),
        )
        .await;
    }
    let mut tx = state.ctx.db.tenant(tenant.id).await?;
    let current = current_keys(&policy::load(&mut tx).await?, &tenant_text);
    let to_add: Vec<PolicyRule> = wanted
        .difference(&current)
        .filter_map(|k| rule(&tenant_text, k))
        .collect();
    let to_remove: Vec<PolicyRule> = current
        .difference(&wanted)
        .filter_map(|k| rule(&tenant_text, k))
        .collect();
    let added = policy::add(&mut tx, &to_add).await?;
    let removed = policy::remove(&mut tx, &to_remove).await?;
    let actor = Actor::Agent(agent.agent);
    if added > 0 {
        let rules: Vec<&Vec<String>> = to_add.iter().map(|r| &r.values).collect();
        journal::append(
            &mut tx,
            actor,
            Subject::Policy,
            EventKind::PolicyRulesAdded,
            serde_json::json!({ "rules": rules }),
        )
        .await?;
    }
    if removed > 0 {
        let rules: Vec<&Vec<String>> = to_remove.iter().map(|r| &r.values).collect();
        journal::append(
            &mut tx,
            actor,
            Subject::Policy,
            EventKind::PolicyRulesRemoved,
            serde_json::json!({ "rules": rules }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Redirect::to("/administration/politique").into_response())
}
