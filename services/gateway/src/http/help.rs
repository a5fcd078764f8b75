//! The user guide's pages (`/aide`, `/aide/{page}`), its search (`/aide/recherche?q=`) and its
//! screenshots (`/aide/images/{file}`): public, the same for every ministry
//! (`crate::domain::guide`).

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use napoleon_web::{Html, WebError, WebResult};
use serde::{Deserialize, Serialize};

use super::render;
use crate::domain::guide::{self, GuidePage};
use crate::{GatewayState, RequestAgent};

/// Search results shown on one page.
const HITS: usize = 30;

#[derive(Serialize, Debug)]
struct PageLink {
    url: String,
    title: String,
    current: bool,
}

#[derive(Serialize, Debug)]
struct SectionLink {
    id: String,
    title: String,
}

#[derive(Serialize, Debug)]
struct HelpView {
    pages: Vec<PageLink>,
    title: String,
    sections: Vec<SectionLink>,
    html: String,
    query: String,
}

#[derive(Serialize, Debug)]
struct HitView {
    url: String,
    page: String,
    section: String,
    excerpt: String,
}

#[derive(Serialize, Debug)]
struct SearchView {
    pages: Vec<PageLink>,
    query: String,
    hits: Vec<HitView>,
    count: usize,
}

#[derive(Deserialize, Debug)]
pub(crate) struct SearchQuery {
    q: Option<String>,
}

fn page_links(current: Option<&str>) -> Vec<PageLink> {
    guide::guide()
        .pages()
        .iter()
        .map(|p| PageLink {
            url: p.url(),
            title: p.title.clone(),
            current: current == Some(p.slug.as_str()),
        })
        .collect()
}

/// The guide's page `slug`, or a 404.
fn show(state: &GatewayState, slug: &str, agent: Option<&RequestAgent>) -> WebResult<Html> {
    let page: &GuidePage = guide::guide().page(slug).ok_or(WebError::NotFound)?;
    let view = HelpView {
        pages: page_links(Some(&page.slug)),
        title: page.title.clone(),
        sections: page
            .sections
            .iter()
            .filter(|s| s.level == 2)
            .map(|s| SectionLink {
                id: s.id.clone(),
                title: s.title.clone(),
            })
            .collect(),
        html: page.html.clone(),
        query: String::new(),
    };
    render(state, "help", &page.title, &view, agent)
}

/// `GET /aide`: the guide's first page.
pub(crate) async fn index(
    State(state): State<GatewayState>,
    agent: Option<Extension<RequestAgent>>,
) -> WebResult<Html> {
    show(&state, "index", agent.as_ref().map(|Extension(a)| a))
}

/// `GET /aide/{page}`: a page of the guide (404 for a name it does not have).
pub(crate) async fn page(
    State(state): State<GatewayState>,
    Path(slug): Path<String>,
    agent: Option<Extension<RequestAgent>>,
) -> WebResult<Html> {
    show(&state, &slug, agent.as_ref().map(|Extension(a)| a))
}

/// `GET /aide/recherche?q=`: the sections holding every word of the query.
pub(crate) async fn search(
    State(state): State<GatewayState>,
    Query(query): Query<SearchQuery>,
    agent: Option<Extension<RequestAgent>>,
) -> WebResult<Html> {
    let query: String = query
        .q
        .unwrap_or_default()
        .trim()
        .chars()
        .take(guide::QUERY_CHARS)
        .collect();
    let hits: Vec<HitView> = guide::guide()
        .search(&query, HITS)
        .into_iter()
        .map(|h| HitView {
            url: format!("{}#{}", h.page.url(), h.section.id),
            page: h.page.title.clone(),
            section: h.section.title.clone(),
            excerpt: h.excerpt,
        })
        .collect();
    let view = SearchView {
        pages: page_links(None),
        count: hits.len(),
        query,
        hits,
    };
    render(
        &state,
        "help_search",
        "Rechercher dans le guide",
        &view,
        agent.as_ref().map(|Extension(a)| a),
    )
}

/// `GET /aide/images/{file}`: a screenshot of the guide.
pub(crate) async fn image(Path(file): Path<String>) -> Result<Response, WebError> {
    let bytes = guide::image(&file).ok_or(WebError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        bytes,
    )
        .into_response())
}
