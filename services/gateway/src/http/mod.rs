//! The gateway's pages, one file per group: home, tenant choice and no-access pages
//! (`pages`), login and logout (`auth`), the tenant administrator's members, policy and
//! catalogue, and the platform operators' page. Handlers are thin: extract, call one domain
//! function (which opens the transaction and decides the access), render or redirect.

pub(crate) mod auth;
pub(crate) mod catalogue;
pub(crate) mod help;
pub(crate) mod jobs;
pub(crate) mod members;
pub(crate) mod operator;
pub(crate) mod pages;
pub(crate) mod policy;
pub(crate) mod readlog;

use axum::http::HeaderMap;
use napoleon_web::{Html, Page, WebResult};
use serde::Serialize;

use crate::{GatewayState, RequestAgent};

/// Renders a gateway page inside the layout, with the agent in the header when known.
pub(crate) fn render<V: Serialize>(
    state: &GatewayState,
    name: &str,
    title: &str,
    view: &V,
    agent: Option<&RequestAgent>,
) -> WebResult<Html> {
    let user = agent.map(RequestAgent::layout_user);
    state.ctx.templates.render(
        name,
        &Page {
            title,
            view,
            user: user.as_ref(),
        },
    )
}

/// The request id the edge assigned (shown on error pages).
pub(crate) fn request_id(headers: &HeaderMap) -> String {
    napoleon_web::request_id(headers)
        .unwrap_or("inconnu")
        .to_owned()
}
