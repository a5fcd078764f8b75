//! The gateway's pages: home, accessibility, tenant choice, no access.

use axum::Extension;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_db::core::Tenant;
use napoleon_kernel::TenantId;
use napoleon_web::accessibility::Criterion;
use napoleon_web::{Html, WebError, WebResult};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::render;
use crate::agent::{AUTH_KEY, SessionAuth};
use crate::domain;
use crate::{GatewayState, RequestAgent};

#[derive(Serialize, Debug)]
struct TenantCard {
    name: String,
    slug: String,
    is_sandbox: bool,
}

impl From<Tenant> for TenantCard {
    fn from(t: Tenant) -> Self {
        Self {
            name: t.name,
            slug: t.slug.to_string(),
            is_sandbox: t.is_sandbox,
        }
    }
}

#[derive(Serialize, Debug)]
struct RoleLine {
    role: &'static str,
    unit: String,
}

#[derive(Serialize, Debug)]
struct HomeView {
    connected: bool,
    tenants: Vec<TenantCard>,
    tenant_name: Option<String>,
    roles: Vec<RoleLine>,
    awaiting_role: bool,
    can_manage_members: bool,
    waiting: Vec<Waiting>,
    links: Vec<Link>,
}

/// One line of « ce qui vous attend »: a state, how many dossiers are in it, where to act.
#[derive(Serialize, Debug)]
struct Waiting {
    label: &'static str,
    count: i64,
    href: &'static str,
}

#[derive(Serialize, Debug)]
struct Link {
    label: &'static str,
    href: &'static str,
}

/// What waits for the agent, by role: counts of dossiers per state among those filed by or
/// sitting at the agent's units (and below), and the pages where each role acts.
async fn waiting_for(
    state: &GatewayState,
    agent: &RequestAgent,
) -> WebResult<(Vec<Waiting>, Vec<Link>)> {
    use napoleon_kernel::Role;
    use napoleon_rules::dossier::DossierState;
    let Some(tenant) = &agent.tenant else {
        return Ok((Vec::new(), Vec::new()));
    };
    let roles = agent.roles();
    let roots: Vec<napoleon_kernel::OrgUnitId> = agent.grants.iter().map(|g| g.unit_id).collect();
    let units = napoleon_db::core::subtree(&tenant.units, &roots);
    let counts = domain::home::state_counts(state, agent, &units).await?;
    let count = |s: DossierState| counts.iter().find(|(k, _)| *k == s).map_or(0, |(_, n)| *n);
    let mut waiting = Vec::new();
    let mut links = Vec::new();
    let mut add = |label, state: DossierState, href| {
        waiting.push(Waiting {
            label,
            count: count(state),
            href,
        })
    };
    if roles.contains(&Role::Redacteur) {
        add(
            "Brouillons à terminer",
            DossierState::Draft,
            "/intake/dossiers",
        );
        add(
            "Compléments demandés",
            DossierState::ComplementRequested,
            "/intake/dossiers",
        );
    }
    if roles.contains(&Role::Instructeur) || roles.contains(&Role::Valideur) {
        add(
            "Dossiers déposés à prendre en charge",
            DossierState::Submitted,
            "/instruction/dossiers?onglet=a-traiter",
        );
        add(
            "Dossiers en instruction",
            DossierState::InInstruction,
            "/instruction/dossiers?onglet=suivis",
        );
        add(
            "Avis à valider et transmettre",
            DossierState::OpinionGiven,
            "/instruction/dossiers?onglet=a-traiter",
        );
    }
    if roles.contains(&Role::Integrateur) {
        add(
            "Dossiers transmis à classer et décider",
            DossierState::Transmitted,
            "/decisions/campagnes",
        );
        add(
            "Dossiers retenus (avant publication)",
            DossierState::Retained,
            "/decisions/campagnes",
        );
    }
    if roles.contains(&Role::Redacteur) {
        links.push(Link {
            label: "Mes dossiers de proposition",
            href: "/intake/dossiers",
        });
    }
    if roles.contains(&Role::Instructeur) || roles.contains(&Role::Valideur) {
        links.push(Link {
            label: "Dossiers à instruire",
            href: "/instruction/dossiers",
        });
    }
    if roles.contains(&Role::Integrateur) {
        links.push(Link {
            label: "Décisions par campagne",
            href: "/decisions/campagnes",
        });
        links.push(Link {
            label: "Registre des lauréats",
            href: "/promotion/registre",
        });
        links.push(Link {
            label: "Radar des promotions",
            href: "/promotion/radar",
        });
    }
    if !roles.is_empty() {
        links.push(Link {
            label: "Campagnes",
            href: "/intake/campagnes",
        });
    }
    Ok((waiting, links))
}

pub(crate) async fn home(
    State(state): State<GatewayState>,
    agent: Option<Extension<RequestAgent>>,
) -> WebResult<Response> {
    let agent = agent.map(|Extension(a)| a);
    if let Some(a) = &agent
        && a.tenant.is_none()
    {
        let target = match (a.tenant_count, a.operator) {
            (0, true) => "/exploitation",
            (0, false) => "/acces-non-accorde",
            _ => "/choisir-ministere",
        };
        return Ok(Redirect::to(target).into_response());
    }
    let view = match &agent {
        None => {
            let tenants = domain::home::tenants(&state).await?;
            HomeView {
                connected: false,
                tenants: tenants.into_iter().map(TenantCard::from).collect(),
                tenant_name: None,
                roles: Vec::new(),
                awaiting_role: false,
                can_manage_members: false,
                waiting: Vec::new(),
                links: Vec::new(),
            }
        }
        Some(a) => {
            let (waiting, links) = waiting_for(&state, a).await?;
            let tenant = a.tenant.as_ref();
            let roles: Vec<RoleLine> = a
                .grants
                .iter()
                .filter_map(|g| {
                    let role = g.role?;
                    let unit = tenant
                        .and_then(|t| t.units.iter().find(|u| u.id == g.unit_id))
                        .map(|u| u.name.clone())
                        .unwrap_or_default();
                    Some(RoleLine {
                        role: role.label(),
                        unit,
                    })
                })
                .collect();
            HomeView {
                connected: true,
                tenants: Vec::new(),
                tenant_name: tenant.map(|t| t.name.clone()),
                awaiting_role: roles.is_empty(),
                can_manage_members: a.roles().contains(&napoleon_kernel::Role::Administrateur),
                roles,
                waiting,
                links,
            }
        }
    };
    Ok(render(&state, "home", "Accueil", &view, agent.as_ref())?.into_response())
}

/// `GET /.well-known/napoleon-keys.json`: the platform's public keys (a JWK set, the current
/// key first), to verify what it signed (package manifests, journal checkpoints).
pub(crate) async fn platform_keys(
    State(state): State<GatewayState>,
) -> axum::Json<serde_json::Value> {
    axum::Json(state.cfg.platform_keys.jwks())
}

/// The accessibility statement, computed from the RGAA checklist
/// (`napoleon_web::accessibility`).
#[derive(Serialize, Debug)]
struct Statement {
    level: &'static str,
    rate: u32,
    met: usize,
    not_met: usize,
    unchecked: usize,
    not_applicable: usize,
    audited: bool,
    assessed_on: &'static str,
    failures: Vec<&'static Criterion>,
    themes: Vec<Theme>,
}

/// One theme of the checklist, as a table of the statement.
#[derive(Serialize, Debug)]
struct Theme {
    name: &'static str,
    criteria: Vec<&'static Criterion>,
}

pub(crate) async fn accessibility(
    State(state): State<GatewayState>,
    agent: Option<Extension<RequestAgent>>,
) -> WebResult<Html> {
    use napoleon_web::accessibility::{self, Status};
    let agent = agent.map(|Extension(a)| a);
    let checklist = accessibility::assessment()
        .map_err(|e| WebError::Internal(format!("the RGAA checklist: {e}")))?;
    let mut themes: Vec<Theme> = Vec::new();
    for criterion in checklist.criteria() {
        match themes.last_mut() {
            Some(theme) if theme.name == criterion.theme => theme.criteria.push(criterion),
            _ => themes.push(Theme {
                name: &criterion.theme,
                criteria: vec![criterion],
            }),
        }
    }
    let statement = Statement {
        level: checklist.level().label_fr(),
        rate: checklist.rate(),
        met: checklist.count(Status::Conforme),
        not_met: checklist.count(Status::NonConforme),
        unchecked: checklist.count(Status::NonVerifie),
        not_applicable: checklist.count(Status::NonApplicable),
        audited: accessibility::AUDITED,
        assessed_on: accessibility::ASSESSED_ON,
        failures: checklist
            .criteria()
            .iter()
            .filter(|c| c.status == Status::NonConforme)
            .collect(),
        themes,
    };
    render(
        &state,
        "accessibility",
        "Déclaration d'accessibilité",
        &statement,
        agent.as_ref(),
    )
}

#[derive(Serialize, Debug)]
struct Choice {
    id: String,
    name: String,
    is_sandbox: bool,
    current: bool,
}

#[derive(Serialize, Debug)]
struct PickerView {
    choices: Vec<Choice>,
    csrf: String,
}

/// The session's login (these pages are for logged-in agents only: the route table sends
/// others to log in first, so a missing one is a refusal).
async fn logged_in(session: &Session) -> WebResult<SessionAuth> {
    session
        .get(AUTH_KEY)
        .await
        .ok()
        .flatten()
        .ok_or(WebError::Forbidden)
}

pub(crate) async fn tenant_picker(
    State(state): State<GatewayState>,
    session: Session,
    Extension(agent): Extension<RequestAgent>,
) -> WebResult<Response> {
    let auth = logged_in(&session).await?;
    if auth.tenants.is_empty() {
        return Ok(Redirect::to("/acces-non-accorde").into_response());
    }
    let choices = domain::home::tenants_by_id(&state, &auth.tenants)
        .await?
        .into_iter()
        .map(|t| Choice {
            id: t.id.to_string(),
            name: t.name,
            is_sandbox: t.is_sandbox,
            current: auth.tenant == Some(t.id),
        })
        .collect();
    let view = PickerView {
        choices,
        csrf: agent.csrf.clone(),
    };
    Ok(render(
        &state,
        "tenant_picker",
        "Choisir un ministère",
        &view,
        Some(&agent),
    )?
    .into_response())
}

#[derive(Deserialize, Debug)]
pub(crate) struct ChooseForm {
    tenant: String,
}

#[derive(Serialize, Debug)]
struct AcrView {
    tenant: String,
    provider: String,
    acr: String,
}

pub(crate) async fn choose_tenant(
    State(state): State<GatewayState>,
    session: Session,
    Extension(agent): Extension<RequestAgent>,
    Form(form): Form<ChooseForm>,
) -> WebResult<Response> {
    let mut auth = logged_in(&session).await?;
    // Only a tenant the agent belongs to; any other id is simply not found.
    let tenant_id: TenantId = form.tenant.parse().map_err(|_| WebError::NotFound)?;
    if !auth.tenants.contains(&tenant_id) {
        return Err(WebError::NotFound);
    }
    let tenant = domain::home::tenant(&state, tenant_id).await?;
    if !napoleon_kernel::proconnect::acr_satisfies(auth.acr.as_deref(), &tenant.required_acr) {
        return step_up_page(&state, &agent, &auth, tenant);
    }
    auth.tenant = Some(tenant_id);
    session
        .insert(AUTH_KEY, &auth)
        .await
        .map_err(|e| WebError::Unavailable(e.to_string()))?;
    Ok(Redirect::to("/").into_response())
}

/// The page that asks for a stronger login to work in `tenant`.
fn step_up_page(
    state: &GatewayState,
    agent: &RequestAgent,
    auth: &SessionAuth,
    tenant: Tenant,
) -> WebResult<Response> {
    let view = AcrView {
        tenant: tenant.name,
        provider: auth.provider.clone(),
        acr: tenant.required_acr.join(" "),
    };
    let mut response = render(
        state,
        "no_access",
        "Authentification renforcée requise",
        &NoAccessView::acr(view),
        Some(agent),
    )?
    .into_response();
    *response.status_mut() = StatusCode::FORBIDDEN;
    Ok(response)
}

#[derive(Deserialize, Debug)]
pub(crate) struct StepUpQuery {
    ministere: Option<String>,
}

/// GET /authentification-renforcee?ministere=…: where a session is sent when the tenant it
/// works in now requires a stronger login than the one it was opened with (checked at every
/// request, see agent::resolve).
pub(crate) async fn step_up(
    State(state): State<GatewayState>,
    session: Session,
    Extension(agent): Extension<RequestAgent>,
    Query(query): Query<StepUpQuery>,
) -> WebResult<Response> {
    let auth = logged_in(&session).await?;
    let tenant_id: Option<TenantId> = query.ministere.as_deref().and_then(|t| t.parse().ok());
    let Some(tenant_id) = tenant_id.filter(|t| auth.tenants.contains(t)) else {
        return Ok(Redirect::to("/").into_response());
    };
    let tenant = domain::home::tenant(&state, tenant_id).await?;
    if napoleon_kernel::proconnect::acr_satisfies(auth.acr.as_deref(), &tenant.required_acr) {
        return Ok(Redirect::to("/choisir-ministere").into_response());
    }
    step_up_page(&state, &agent, &auth, tenant)
}

#[derive(Serialize, Debug)]
pub(crate) struct NoAccessView {
    acr: Option<AcrView>,
}

impl NoAccessView {
    fn acr(view: AcrView) -> Self {
        Self { acr: Some(view) }
    }
}

pub(crate) async fn no_access(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
) -> WebResult<Response> {
    if agent.tenant_count > 0 || agent.operator {
        return Ok(Redirect::to("/").into_response());
    }
    let mut response = render(
        &state,
        "no_access",
        "Aucun accès accordé",
        &NoAccessView { acr: None },
        Some(&agent),
    )?
    .into_response();
    *response.status_mut() = StatusCode::FORBIDDEN;
    Ok(response)
}
