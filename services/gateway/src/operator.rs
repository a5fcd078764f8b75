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
use napoleon_web::WebResult;
use serde::{Deserialize, Serialize};

use crate::pages::render;
use crate::{GatewayState, RequestAgent};

/// The national orders every tenant's catalogue starts with.
const NATIONAL_CATALOGUE: [&str; 2] = ["lh.toml", "onm.toml"];

#[derive(Serialize, Debug)]
struct TenantLine {
    name: String,
    slug: String,
    is_sandbox: bool,
}

#[derive(Serialize, Debug, Default)]
struct FormErrors {
    slug: Option<&'static str>,
    name: Option<&'static str>,
    code: Option<&'static str>,
    admin: Option<&'static str>,
    taken: bool,
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
    let tenants = core::list_tenants(&mut conn)
        .await?
        .into_iter()
        .map(|t| TenantLine {
            name: t.name,
            slug: t.slug.to_string(),
            is_sandbox: t.is_sandbox,
        })
        .collect();
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
    let rules = napoleon_authz::seed_default_policy(&mut tx)
        .await
        .map_err(|e| napoleon_web::WebError::Internal(e.to_string()))?;
    journal::append(
        &mut tx,
        actor,
        Subject::Policy,
        EventKind::PolicyRulesAdded,
        serde_json::json!({ "source": "default-v1", "rules": rules }),
    )
    .await?;
    let files: Vec<(&str, &str)> = napoleon_rules_files();
    napoleon_db::catalogue::add_missing(&mut tx, &files, "builtin").await?;
    journal::append(&mut tx, actor, Subject::Catalogue, EventKind::CatalogueLoaded,
        serde_json::json!({ "files": files.iter().map(|(f, _)| *f).collect::<Vec<_>>(), "origin": "builtin" })).await?;
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

/// The national orders' catalogue files and the gap practices, from the engine's own.
fn napoleon_rules_files() -> Vec<(&'static str, &'static str)> {
    napoleon_rules::BUILTIN_DISTINCTIONS
        .iter()
        .filter(|(file, _)| NATIONAL_CATALOGUE.contains(file))
        .copied()
        .chain(std::iter::once(napoleon_rules::BUILTIN_PRACTICES))
        .collect()
}
