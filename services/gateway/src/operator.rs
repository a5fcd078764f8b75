//! Platform operators: they create tenants (with their ministry unit, default policy,
//! national catalogue and first administrator) and watch the platform's health. Being an
//! operator grants no role in any tenant: operators never see dossier contents.

use axum::Extension;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_db::core::{self, NewOrgUnit, NewTenant};
use napoleon_db::identity;
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_db::migrate::{self, Readiness};
use napoleon_kernel::{Email, OrgUnitCode, OrgUnitKind, Role, TenantSlug};
use napoleon_web::{IdPaths, WebError, WebResult};
use serde::{Deserialize, Serialize};

use crate::pages::render;
use crate::{GatewayState, RequestAgent};

#[derive(Serialize, Debug)]
struct AdmissionLine {
    id: String,
    label: String,
}

#[derive(Serialize, Debug)]
struct TenantLine {
    id: String,
    name: String,
    slug: String,
    is_sandbox: bool,
    admissions: Vec<AdmissionLine>,
}

#[derive(Serialize, Debug, Default)]
struct FormErrors {
    slug: Option<&'static str>,
    name: Option<&'static str>,
    code: Option<&'static str>,
    admin: Option<&'static str>,
    taken: bool,
    admission: bool,
}

#[derive(Serialize, Debug)]
struct OperatorView {
    ready: bool,
    readiness: &'static str,
    pool_open: usize,
    pool_idle: usize,
    pool_max: usize,
    tenants: Vec<TenantLine>,
    form: TenantForm,
    errors: Option<FormErrors>,
    csrf: String,
}

#[derive(Deserialize, Serialize, Debug, Default, Clone)]
pub(crate) struct TenantForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    admin: String,
    #[serde(default)]
    sandbox: Option<String>,
}

async fn page(
    state: &GatewayState,
    agent: &RequestAgent,
    form: TenantForm,
    errors: Option<FormErrors>,
) -> WebResult<Response> {
    let readiness = migrate::readiness(&state.ctx.db).await;
    let (pool_open, pool_idle, pool_max) = state.ctx.db.usage();
    let mut conn = state.ctx.db.platform().await?;
    let mut tenants = Vec::new();
    for t in core::list_tenants(&mut conn).await? {
        // Admission rules are platform settings kept in each tenant: read them tenant by
        // tenant, nothing else of the tenant.
        let mut tx = state.ctx.db.tenant(t.id).await?;
        let rules = identity::list_admission_rules(&mut tx).await?;
        tx.rollback().await;
        tenants.push(TenantLine {
            id: t.id.to_string(),
            name: t.name,
            slug: t.slug.to_string(),
            is_sandbox: t.is_sandbox,
            admissions: rules
                .iter()
                .map(|r| AdmissionLine {
                    id: r.id.to_string(),
                    label: admission_label(r),
                })
                .collect(),
        });
    }
    let status = if errors.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let view = OperatorView {
        ready: readiness == Readiness::Ready,
        readiness: readiness.code(),
        pool_open,
        pool_idle,
        pool_max,
        tenants,
        form,
        errors,
        csrf: agent.csrf.clone(),
    };
    let mut response = render(
        state,
        "operator",
        "Exploitation de la plateforme",
        &view,
        Some(agent),
    )?
    .into_response();
    *response.status_mut() = status;
    Ok(response)
}

pub(crate) async fn overview(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
) -> WebResult<Response> {
    page(&state, &agent, TenantForm::default(), None).await
}

pub(crate) async fn create_tenant(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
    Form(form): Form<TenantForm>,
) -> WebResult<Response> {
    let slug = TenantSlug::parse(form.slug.trim());
    let code = OrgUnitCode::parse(form.code.trim());
    let admin = Email::parse(&form.admin);
    let name = form.name.trim();
    let (Ok(slug), Ok(code), Ok(admin), false) =
        (&slug, &code, &admin, name.is_empty() || name.len() > 200)
    else {
        let errors = FormErrors {
            slug: slug.is_err().then_some("Identifiant : 2 à 40 caractères parmi a-z, 0-9 et « - », par exemple « justice »."),
            name: (name.is_empty() || name.len() > 200).then_some("Saisissez le nom officiel du ministère (200 caractères au plus)."),
            code: code.is_err().then_some("Code : 1 à 20 caractères parmi A-Z, 0-9 et « - », par exemple « MJ »."),
            admin: admin.is_err().then_some("Saisissez l'adresse électronique professionnelle du premier administrateur ministériel."),
            taken: false,
            admission: false,
        };
        return page(&state, &agent, form, Some(errors)).await;
    };
    let (tenant, created) = {
        let mut conn = state.ctx.db.platform().await?;
        core::ensure_tenant(
            &mut conn,
            &NewTenant {
                slug,
                name,
                is_sandbox: form.sandbox.is_some(),
            },
        )
        .await?
    };
    if !created {
        let errors = FormErrors {
            taken: true,
            ..FormErrors::default()
        };
        return page(&state, &agent, form, Some(errors)).await;
    }
    let actor = Actor::Agent(agent.agent);
    let mut tx = state.ctx.db.tenant(tenant.id).await?;
    journal::append(
        &mut tx,
        actor,
        Subject::Tenant(tenant.id),
        EventKind::TenantCreated,
        serde_json::json!({ "slug": slug.as_str(), "name": name, "is_sandbox": tenant.is_sandbox }),
    )
    .await?;
    let (root, _) = core::ensure_org_unit(
        &mut tx,
        &NewOrgUnit {
            parent_id: None,
            kind: OrgUnitKind::Ministere,
            code,
            name,
        },
    )
    .await?;
    journal::append(
        &mut tx,
        actor,
        Subject::OrgUnit(root.id),
        EventKind::OrgUnitCreated,
        serde_json::json!({ "kind": "ministere", "code": code.as_str(), "name": name }),
    )
    .await?;
    crate::provisioning::seed_tenant_defaults(
        &mut tx,
        actor,
        &crate::provisioning::NATIONAL_CATALOGUE,
    )
    .await
    .map_err(|e| match e {
        crate::provisioning::ProvisionError::Db(db) => WebError::from(db),
        other => WebError::Internal(other.to_string()),
    })?;
    let (membership, _) = identity::grant(
        &mut tx,
        admin,
        root.id,
        Some(Role::Administrateur),
        &format!("agent:{}", agent.agent),
    )
    .await?;
    journal::append(
        &mut tx,
        actor,
        Subject::Membership(membership),
        EventKind::MembershipGranted,
        serde_json::json!({ "unit": root.id, "role": Role::Administrateur.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/exploitation").into_response())
}

/// How a rule reads on screen.
pub(crate) fn admission_label(rule: &identity::AdmissionRule) -> String {
    match rule.kind {
        identity::AdmissionKind::EmailDomain => format!("Adresses en @{}", rule.value),
        identity::AdmissionKind::IdpId => format!("Fournisseur d'identité {}", rule.value),
    }
}

#[derive(Deserialize, Debug, Default)]
pub(crate) struct AdmissionForm {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
}

/// A domain (`justice.gouv.fr`) or a ProConnect idp id: letters, digits, `.`, `-`, `_`.
fn valid_admission_value(value: &str) -> bool {
    (3..=200).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Admission rules are set by operators, not by tenant administrators: a rule admits every
/// agent of a domain or identity provider, so a ministry could otherwise enrol another's
/// agents (and see their names). Operators know which ministry owns which domain.
pub(crate) async fn add_admission(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
    Form(form): Form<AdmissionForm>,
) -> WebResult<Response> {
    let kind = match form.kind.as_str() {
        "email_domain" => Some(identity::AdmissionKind::EmailDomain),
        "idp_id" => Some(identity::AdmissionKind::IdpId),
        _ => None,
    };
    let value = form.value.trim().trim_start_matches('@').to_lowercase();
    let tenant = match TenantSlug::parse(form.tenant.trim()) {
        Ok(slug) => {
            let mut conn = state.ctx.db.platform().await?;
            core::find_tenant(&mut conn, &slug).await?
        }
        Err(_) => None,
    };
    let (Some(kind), Some(tenant)) = (kind.filter(|_| valid_admission_value(&value)), tenant)
    else {
        let errors = FormErrors {
            admission: true,
            ..FormErrors::default()
        };
        return page(&state, &agent, TenantForm::default(), Some(errors)).await;
    };
    let mut tx = state.ctx.db.tenant(tenant.id).await?;
    identity::add_admission_rule(&mut tx, kind, &value).await?;
    journal::append(
        &mut tx,
        Actor::Agent(agent.agent),
        Subject::Tenant(tenant.id),
        EventKind::AdmissionRuleAdded,
        serde_json::json!({ "kind": form.kind, "value": value }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/exploitation").into_response())
}

pub(crate) async fn remove_admission(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
    IdPaths(tenant, id): IdPaths<napoleon_kernel::TenantId, uuid::Uuid>,
) -> WebResult<Response> {
    let mut tx = state.ctx.db.tenant(tenant).await?;
    if !identity::remove_admission_rule(&mut tx, id).await? {
        tx.rollback().await;
        return Err(WebError::NotFound);
    }
    journal::append(
        &mut tx,
        Actor::Agent(agent.agent),
        Subject::Tenant(tenant),
        EventKind::AdmissionRuleRemoved,
        serde_json::json!({ "rule": id }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/exploitation").into_response())
}
