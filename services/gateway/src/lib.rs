//! The gateway: the only service exposed to browsers.
//!
//! It is the ProConnect relying party ([`oidc`]), keeps server-side sessions
//! ([`session_store`]), resolves the agent's tenant and roles at every request
//! ([`agent`]), serves the login, tenant-choice and members' pages, and hands every
//! `/<service>/…` request to its service with a signed identity assertion ([`forward`]), in
//! process under `serve all` or over HTTP when services run apart.
//!
//! Every route declares its [`Access`] in [`route_table`]; the router is built from that
//! table, so no route exists without a declaration (deny by default).

pub mod agent;
mod csrf;
mod domain;
pub mod forward;
mod http;
pub mod oidc;
pub mod provisioning;
pub mod session_store;
mod store;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use napoleon_authz::{Action, Authorizer, Permission, Resource, Scope};
use napoleon_identity::AssertionSigner;
use napoleon_web::{WebContext, WebError, health_router};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use agent::RequestAgent;
pub use forward::{Target, Targets};
pub use oidc::{LoginButton, ProviderConfig, Providers};
pub use session_store::PgSessionStore;

/// The service's name.
pub const SERVICE: &str = "gateway";

/// The session cookie's name (the edge counts requests in flight per session with it).
pub const SESSION_COOKIE: &str = "napoleon_session";

/// The session cookie's name: with the `__Host-` prefix when it is `Secure` (the public URL is
/// https), so that the browser refuses it from a sub-domain or a non-secure page; without it
/// on plain http (the demo on localhost), where browsers refuse such a cookie.
#[must_use]
pub const fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-napoleon_session"
    } else {
        SESSION_COOKIE
    }
}

/// The gateway's own templates, registered alongside the shared ones.
pub const TEMPLATES: &[(&str, &str)] = napoleon_web::templates!(
    "";
    "home", "login", "login_error", "logged_out", "tenant_picker", "no_access", "members",
    "policy", "operator", "catalogue", "catalogue_edit", "readlog", "job", "help", "help_search",
    "help_menu", "help_search_bar"
);

/// Session lifetimes.
#[derive(Debug, Clone, Copy)]
pub struct SessionSettings {
    /// Ends after this long without a request.
    pub idle: Duration,
    /// Ends this long after login, whatever the activity.
    pub absolute: Duration,
    /// Sets `Secure` on the cookie (off only for plain-HTTP localhost).
    pub secure_cookie: bool,
}

/// What the gateway needs beyond the shared web context.
#[derive(Debug)]
pub struct GatewayConfig {
    /// Identity providers.
    pub providers: Providers,
    /// Signs identity assertions for the services.
    pub signer: AssertionSigner,
    /// The platform's signing keys; their public parts are published.
    pub platform_keys: napoleon_identity::platform::PlatformKeys,
    /// Where each service is.
    pub targets: Targets,
    /// Session lifetimes.
    pub session: SessionSettings,
    /// Authorization decisions.
    pub authorizer: Authorizer,
    /// The authentication levels (`acr`) an operator's login must reach to act as one
    /// (ordered as [`napoleon_kernel::proconnect::ACR_ORDER`]; empty: any). Operators
    /// themselves are rows of `core.operators` (`napoleon operators add`).
    pub operator_acr: Vec<String>,
}

/// Handlers' state.
#[derive(Clone, Debug)]
pub struct GatewayState {
    ctx: WebContext,
    cfg: Arc<GatewayConfig>,
    /// Agents' contexts in their tenants, kept under the tenant's access stamp.
    contexts: Arc<agent::KeptContexts>,
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (pages that explain, login itself, health).
    Public,
    /// A logged-in agent, tenant chosen or not.
    Authenticated,
    /// A logged-in agent working in a tenant (services check their own permissions).
    Tenant,
    /// A logged-in agent whose roles in the current tenant allow this.
    Permission(Permission),
    /// A platform operator.
    Operator,
}

/// One declared route.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    /// Method.
    pub method: Method,
    /// Path (axum syntax).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
}

fn spec(method: Method, path: &'static str, access: Access) -> RouteSpec {
    RouteSpec {
        method,
        path,
        access,
    }
}

/// Every route of the gateway with its access rule. Forwarded service prefixes are declared
/// too (`Tenant`); services then check the permission of each of their routes.
#[must_use]
pub fn route_table() -> Vec<RouteSpec> {
    use Access::{Authenticated, Public, Tenant};
    // Each administration page: reading it, and acting on it.
    let read_manage = |resource| {
        [Action::Read, Action::Manage].map(|a| Access::Permission(Permission::new(resource, a)))
    };
    let [members_read, members_manage] = read_manage(Resource::Members);
    let [policy_read, policy_manage] = read_manage(Resource::Policy);
    let [catalogue_read, catalogue_manage] = read_manage(Resource::Catalogue);
    // Reading the read log (auditeur, data-protection officer); purging it at once (the latter).
    let [readlog_read, purge_reads] = read_manage(Resource::ReadLog);
    let mut table = vec![
        spec(Method::GET, "/", Public),
        spec(Method::GET, "/accessibilite", Public),
        spec(Method::GET, "/aide", Public),
        spec(Method::GET, "/aide/recherche", Public),
        spec(Method::GET, "/aide/images/{file}", Public),
        spec(Method::GET, "/aide/{page}", Public),
        spec(Method::GET, "/.well-known/napoleon-keys.json", Public),
        spec(Method::GET, "/connexion", Public),
        spec(Method::GET, "/connexion/{provider}", Public),
        spec(Method::GET, "/connexion/retour", Public),
        spec(Method::GET, "/deconnexion/retour", Public),
        spec(Method::POST, "/deconnexion", Authenticated),
        spec(Method::GET, "/choisir-ministere", Authenticated),
        spec(Method::POST, "/choisir-ministere", Authenticated),
        spec(Method::GET, "/authentification-renforcee", Authenticated),
        spec(Method::GET, "/acces-non-accorde", Authenticated),
        spec(Method::GET, "/administration/membres", members_read),
        spec(Method::POST, "/administration/membres", members_manage),
        spec(
            Method::POST,
            "/administration/membres/{id}/retrait",
            members_manage,
        ),
        spec(Method::POST, "/api/v1/eligibility", Tenant),
        spec(Method::GET, "/exploitation", Access::Operator),
        spec(Method::POST, "/exploitation/ministeres", Access::Operator),
        spec(Method::POST, "/exploitation/admissions", Access::Operator),
        spec(
            Method::POST,
            "/exploitation/ministeres/{tenant}/connexion",
            Access::Operator,
        ),
        spec(
            Method::POST,
            "/exploitation/admissions/{tenant}/{id}/retrait",
            Access::Operator,
        ),
        spec(Method::GET, "/administration/catalogue", catalogue_read),
        spec(Method::POST, "/administration/catalogue", catalogue_manage),
        spec(
            Method::GET,
            "/administration/catalogue/{file}",
            catalogue_read,
        ),
        spec(
            Method::POST,
            "/administration/catalogue/{file}",
            catalogue_manage,
        ),
        spec(Method::GET, "/administration/politique", policy_read),
        spec(Method::GET, "/administration/lectures", readlog_read),
        spec(Method::GET, "/administration/lectures.csv", readlog_read),
        spec(Method::POST, "/administration/lectures/purge", purge_reads),
        // Who may follow a job depends on the job: the domain decides (404 otherwise).
        spec(Method::GET, "/taches/{id}", Tenant),
        spec(Method::POST, "/taches/{id}/annuler", Tenant),
        spec(Method::POST, "/administration/politique", policy_manage),
    ];
    for service in forward::SERVICES {
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            table.push(spec(method, service.1, Tenant));
        }
    }
    table
}

fn handler(method: &Method, path: &str) -> Option<MethodRouter<GatewayState>> {
    Some(match (method.as_str(), path) {
        ("GET", "/") => get(http::pages::home),
        ("GET", "/accessibilite") => get(http::pages::accessibility),
        ("GET", "/aide") => get(http::help::index),
        ("GET", "/aide/recherche") => get(http::help::search),
        ("GET", "/aide/images/{file}") => get(http::help::image),
        ("GET", "/aide/{page}") => get(http::help::page),
        ("GET", "/administration/lectures") => get(http::readlog::page),
        ("GET", "/administration/lectures.csv") => get(http::readlog::export),
        ("POST", "/administration/lectures/purge") => post(http::jobs::purge_read_log),
        ("GET", "/taches/{id}") => get(http::jobs::show),
        ("POST", "/taches/{id}/annuler") => post(http::jobs::cancel),
        ("GET", "/.well-known/napoleon-keys.json") => get(http::pages::platform_keys),
        ("GET", "/connexion") => get(http::auth::login_page),
        ("GET", "/connexion/{provider}") => get(http::auth::login_start),
        ("GET", "/connexion/retour") => get(http::auth::callback),
        ("GET", "/deconnexion/retour") => get(http::auth::logout_return),
        ("POST", "/deconnexion") => post(http::auth::logout),
        ("GET", "/choisir-ministere") => get(http::pages::tenant_picker),
        ("POST", "/choisir-ministere") => post(http::pages::choose_tenant),
        ("GET", "/authentification-renforcee") => get(http::pages::step_up),
        ("GET", "/acces-non-accorde") => get(http::pages::no_access),
        ("GET", "/administration/membres") => get(http::members::members),
        ("POST", "/administration/membres") => post(http::members::grant),
        ("POST", "/administration/membres/{id}/retrait") => post(http::members::revoke),
        ("POST", "/api/v1/eligibility") => post(forward::eligibility),
        ("GET", "/exploitation") => get(http::operator::overview),
        ("POST", "/exploitation/ministeres") => post(http::operator::create_tenant),
        ("POST", "/exploitation/admissions") => post(http::operator::add_admission),
        ("POST", "/exploitation/ministeres/{tenant}/connexion") => post(http::operator::set_login),
        ("POST", "/exploitation/admissions/{tenant}/{id}/retrait") => {
            post(http::operator::remove_admission)
        }
        ("GET", "/administration/catalogue") => get(http::catalogue::overview),
        ("POST", "/administration/catalogue") => post(http::catalogue::add),
        ("GET", "/administration/catalogue/{file}") => get(http::catalogue::edit),
        ("POST", "/administration/catalogue/{file}") => post(http::catalogue::update),
        ("GET", "/administration/politique") => get(http::policy::show),
        ("POST", "/administration/politique") => post(http::policy::save),
        (m, p) if forward::SERVICES.iter().any(|s| s.1 == p) => match m {
            "GET" => get(forward::forward),
            "POST" => post(forward::forward),
            "PUT" => axum::routing::put(forward::forward),
            "PATCH" => axum::routing::patch(forward::forward),
            "DELETE" => axum::routing::delete(forward::forward),
            _ => return None,
        },
        _ => return None,
    })
}

/// The gateway's routes. Panics at start-up (a programming error, caught by every test) if a
/// declared route has no handler.
///
/// # Panics
/// When [`route_table`] and the handlers disagree.
#[expect(
    clippy::panic,
    reason = "a route table without its handler is a build-time bug; every test builds the router"
)]
pub fn router(ctx: &WebContext, config: GatewayConfig) -> Router {
    let session = config.session;
    let state = GatewayState {
        ctx: ctx.clone(),
        cfg: Arc::new(config),
        contexts: Arc::default(),
    };
    let mut router: Router<GatewayState> = Router::new();
    for route in route_table() {
        let Some(method_router) = handler(&route.method, route.path) else {
            panic!(
                "route {} {} is declared but has no handler",
                route.method, route.path
            );
        };
        router = router.route(
            route.path,
            method_router.layer(middleware::from_fn_with_state(
                (state.clone(), route.access),
                enforce_access,
            )),
        );
    }
    let sessions = SessionManagerLayer::new(PgSessionStore::new(ctx.db.clone(), session.idle))
        .with_name(session_cookie_name(session.secure_cookie))
        .with_http_only(true)
        .with_secure(session.secure_cookie)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(
            i64::try_from(session.idle.as_secs()).unwrap_or(1800),
        )));
    // The gateway's pages (its own and the services' it forwards) carry the logout form, whose
    // answer leads to the providers: their origins join the CSP's form-action here, over the
    // edge's default (which only sets the header where none is).
    let csp = napoleon_web::content_security_policy(&state.cfg.providers.origins());
    // (Origins are filtered to plain characters: the value always parses; if it ever did not,
    // the edge's default policy would stay.)
    let router = match axum::http::HeaderValue::from_str(&csp) {
        Ok(csp) => router.layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::CONTENT_SECURITY_POLICY,
            csp,
        )),
        Err(_) => router,
    };
    router
        .layer(middleware::from_fn_with_state(state.clone(), csrf::verify))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            agent::resolve,
        ))
        .layer(sessions)
        .layer(middleware::from_fn(forward::refuse_ambiguous_paths))
        .with_state(state)
        .nest("/gateway", health_router(ctx.db.clone()))
}

/// Checks a route's declared access against the request's agent.
async fn enforce_access(
    State((state, access)): State<(GatewayState, Access)>,
    request: Request,
    next: Next,
) -> Response {
    let agent = request.extensions().get::<RequestAgent>().cloned();
    let wants_html = !request.uri().path().contains("/api/");
    match (access, agent) {
        (Access::Public, _) => next.run(request).await,
        (_, None) => {
            if wants_html && request.method() == Method::GET {
                Redirect::to("/connexion").into_response()
            } else {
                StatusCode::UNAUTHORIZED.into_response()
            }
        }
        (Access::Authenticated, Some(_)) => next.run(request).await,
        (Access::Operator, Some(agent)) => {
            if agent.operator {
                next.run(request).await
            } else {
                WebError::Forbidden.into_response()
            }
        }
        (Access::Tenant, Some(agent)) => {
            if agent.tenant.is_some() {
                next.run(request).await
            } else {
                Redirect::to("/choisir-ministere").into_response()
            }
        }
        (Access::Permission(permission), Some(agent)) => {
            let Some(tenant) = &agent.tenant else {
                return Redirect::to("/choisir-ministere").into_response();
            };
            // The gateway's own permissioned routes administer the whole tenant (members,
            // policy, catalogue): only roles held at the ministry itself count
            // (`Scope::Ministry`). A role at a préfecture covers that préfecture's resources,
            // which services check on each resource's unit.
            let grants = agent.role_grants();
            let decision = async {
                let mut tx = state.ctx.db.tenant(tenant.id).await?;
                let access = state
                    .cfg
                    .authorizer
                    .access(&mut tx, agent.agent, grants)
                    .await;
                tx.rollback().await;
                access
                    .and_then(|a| a.allows(permission, Scope::Ministry))
                    .map_err(WebError::from)
            };
            match decision.await {
                Ok(true) => next.run(request).await,
                Ok(false) => WebError::Forbidden.into_response(),
                Err(e) => e.into_response(),
            }
        }
    }
}
