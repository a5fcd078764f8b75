//! The tenant administrator's members page: who holds which role at which unit; grant by
//! email (before or after the agent's first login), withdraw. Every change is journaled in its
//! transaction; a withdrawal applies at the agent's next request and ends no session.

use axum::Extension;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_db::identity::Member;
use napoleon_kernel::{Email, MembershipId, OrgUnitId, Role};
use napoleon_web::{IdPath, WebError, WebResult};
use serde::{Deserialize, Serialize};

use super::render;
use crate::domain;
use crate::{GatewayState, RequestAgent};

#[derive(Serialize, Debug)]
struct MemberLine {
    id: String,
    email: String,
    name: Option<String>,
    unit: String,
    role: String,
}

impl From<Member> for MemberLine {
    fn from(m: Member) -> Self {
        Self {
            id: m.id.to_string(),
            email: m.email.expose().to_owned(),
            name: m
                .names
                .map(|(g, u)| format!("{} {}", g.expose(), u.expose())),
            unit: m.unit_name,
            role: m.role.map_or("Admis, sans rôle", Role::label).to_owned(),
        }
    }
}

#[derive(Serialize, Debug)]
struct Option_ {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize, Debug, Default)]
struct FieldErrors {
    email: Option<&'static str>,
    unit: Option<&'static str>,
    role: Option<&'static str>,
}

#[derive(Serialize, Debug)]
struct AdmissionLine {
    id: String,
    label: String,
}

#[derive(Serialize, Debug)]
struct MembersView {
    admissions: Vec<AdmissionLine>,
    admission_error: Option<&'static str>,
    members: Vec<MemberLine>,
    units: Vec<Option_>,
    roles: Vec<Option_>,
    email: String,
    errors: Option<FieldErrors>,
    csrf: String,
}

#[derive(Deserialize, Debug, Default)]
pub(crate) struct GrantForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    role: String,
}

async fn page(
    state: &GatewayState,
    agent: &RequestAgent,
    form: &GrantForm,
    errors: Option<FieldErrors>,
) -> WebResult<Response> {
    page_with(state, agent, form, errors, None).await
}

async fn page_with(
    state: &GatewayState,
    agent: &RequestAgent,
    form: &GrantForm,
    errors: Option<FieldErrors>,
    admission_error: Option<&'static str>,
) -> WebResult<Response> {
    let tenant = agent.tenant.as_ref().ok_or(WebError::Forbidden)?;
    let domain::members::Members {
        members,
        admissions,
    } = domain::members::list(state, agent).await?;
    let status = if errors.is_some() || admission_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let view = MembersView {
        admissions: admissions
            .into_iter()
            .map(|a| AdmissionLine {
                id: a.id.to_string(),
                label: super::operator::admission_label(&a),
            })
            .collect(),
        admission_error,
        members: members.into_iter().map(MemberLine::from).collect(),
        units: tenant
            .units
            .iter()
            .map(|u| Option_ {
                value: u.id.to_string(),
                label: u.name.clone(),
                selected: u.id.to_string() == form.unit,
            })
            .collect(),
        roles: Role::ALL
            .iter()
            .map(|r| Option_ {
                value: r.as_str().to_owned(),
                label: r.label().to_owned(),
                selected: r.as_str() == form.role,
            })
            .collect(),
        email: form.email.clone(),
        errors,
        csrf: agent.csrf.clone(),
    };
    let mut response =
        render(state, "members", "Membres et rôles", &view, Some(agent))?.into_response();
    *response.status_mut() = status;
    Ok(response)
}

pub(crate) async fn members(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
) -> WebResult<Response> {
    page(&state, &agent, &GrantForm::default(), None).await
}

pub(crate) async fn grant(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
    Form(form): Form<GrantForm>,
) -> WebResult<Response> {
    let tenant = agent.tenant.as_ref().ok_or(WebError::Forbidden)?;
    let email = Email::parse(&form.email);
    let unit = form
        .unit
        .parse::<OrgUnitId>()
        .ok()
        .filter(|u| tenant.units.iter().any(|x| x.id == *u));
    let role = Role::parse(&form.role);
    let (Ok(email), Some(unit), Ok(role)) = (&email, unit, &role) else {
        let errors = FieldErrors {
            email: email.is_err().then_some("Saisissez une adresse électronique valide, par exemple prenom.nom@interieur.gouv.fr."),
            unit: unit.is_none().then_some("Choisissez l'unité où le rôle s'applique."),
            role: role.is_err().then_some("Choisissez un rôle."),
        };
        return page(&state, &agent, &form, Some(errors)).await;
    };
    domain::members::grant(&state, &agent, email, unit, *role).await?;
    Ok(Redirect::to("/administration/membres").into_response())
}

pub(crate) async fn revoke(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
    IdPath(id): IdPath<MembershipId>,
) -> WebResult<Response> {
    domain::members::revoke(&state, &agent, id).await?;
    Ok(Redirect::to("/administration/membres").into_response())
}
