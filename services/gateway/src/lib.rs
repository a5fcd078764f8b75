//! The gateway: the only service exposed to browsers. Today it serves the home page, the
//! accessibility statement and the static assets; it will carry the ProConnect relying party,
//! sessions, memberships and the routing of `/<service>/…` to the other services.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use napoleon_db::core::{self, Tenant};
use napoleon_web::{Html, Page, Templates, WebContext, WebResult, health_router};
use serde::Serialize;

/// The service's name.
pub const SERVICE: &str = "gateway";

/// The gateway's own templates, registered alongside the shared ones.
pub const TEMPLATES: &[(&str, &str)] = &[("home", include_str!("../templates/home.hbs"))];

/// The gateway's routes (pages at the root, its health under `/gateway`).
pub fn router(ctx: &WebContext) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/accessibilite", get(accessibility))
        .with_state(ctx.clone())
        .nest("/gateway", health_router(ctx.db.clone()))
}

#[derive(Serialize, Debug)]
struct TenantCard {
    name: String,
    slug: String,
    is_sandbox: bool,
}

#[derive(Serialize, Debug)]
struct HomeView {
    tenants: Vec<TenantCard>,
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

async fn home(State(ctx): State<WebContext>) -> WebResult<Html> {
    let mut conn = ctx.db.platform().await?;
    let tenants = core::list_tenants(&mut conn).await?;
    let view = HomeView {
        tenants: tenants.into_iter().map(TenantCard::from).collect(),
    };
    render(&ctx.templates, "home", "Accueil", &view)
}

#[derive(Serialize, Debug)]
struct Empty {}

async fn accessibility(State(ctx): State<WebContext>) -> WebResult<Html> {
    render(
        &ctx.templates,
        "accessibility",
        "Déclaration d'accessibilité",
        &Empty {},
    )
}

fn render<V: Serialize>(
    templates: &Templates,
    name: &str,
    title: &str,
    view: &V,
) -> WebResult<Html> {
    templates.render(name, &Page { title, view })
}
