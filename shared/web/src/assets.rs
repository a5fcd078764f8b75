//! Static assets: the DSFR as installed by npm (`node_modules/@gouvfr/dsfr/dist`), limited to
//! the files pages use, and our own few embedded files.

use std::path::PathBuf;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;
use tower_http::services::ServeDir;

#[derive(RustEmbed)]
#[folder = "static/"]
struct OwnAssets;

/// Where the DSFR distribution is.
#[derive(Debug, Clone)]
pub struct AssetsConfig {
    /// The `dist` directory of the installed `@gouvfr/dsfr` package.
    pub dsfr_dist: PathBuf,
}

impl AssetsConfig {
    /// True when the DSFR files pages need are there.
    #[must_use]
    pub fn dsfr_installed(&self) -> bool {
        self.dsfr_dist.join("dsfr.min.css").is_file()
    }
}

/// Only what pages reference; the whole `dist` (88 MB, with every component's sources and
/// examples) is never exposed.
const DSFR_SERVED: [&str; 7] = [
    "dsfr.min.css",
    "dsfr.module.min.js",
    "dsfr.nomodule.min.js",
    "utility/icons/icons.min.css",
    "fonts/",
    "icons/",
    "favicon/",
];

fn dsfr_allowed(path: &str) -> bool {
    !path.contains("..")
        && DSFR_SERVED.iter().any(|p| {
            if p.ends_with('/') {
                path.starts_with(p)
            } else {
                path == *p
            }
        })
}

async fn dsfr_guard(request: Request, next: Next) -> Response {
    let path = request.uri().path().trim_start_matches('/');
    if dsfr_allowed(path) {
        let mut response = next.run(request).await;
        if response.status().is_success() {
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            );
        }
        response
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

async fn own_asset(Path(path): Path<String>) -> Response {
    match OwnAssets::get(&path) {
        Some(file) => {
            let mut response = Response::new(Body::from(file.data.into_owned()));
            if let Ok(mime) = HeaderValue::from_str(file.metadata.mimetype()) {
                response.headers_mut().insert(header::CONTENT_TYPE, mime);
            }
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            response
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `/static/dsfr/…` from the installed package and `/static/…` from our embedded files.
pub fn static_router(config: &AssetsConfig) -> Router {
    if !config.dsfr_installed() {
        tracing::error!(
            path = %config.dsfr_dist.display(),
            "DSFR assets not found: pages will be unstyled; run `npm ci` at the repository root"
        );
    }
    let dsfr = tower::ServiceBuilder::new()
        .layer(middleware::from_fn(dsfr_guard))
        .service(ServeDir::new(&config.dsfr_dist));
    Router::new()
        .nest_service("/static/dsfr", dsfr)
        .route("/static/{*path}", get(own_asset))
}

#[cfg(test)]
mod tests {
    use super::dsfr_allowed;

    #[test]
    fn only_used_dsfr_files_are_served() {
        assert!(dsfr_allowed("dsfr.min.css"));
        assert!(dsfr_allowed("fonts/Marianne-Regular.woff2"));
        assert!(dsfr_allowed("utility/icons/icons.min.css"));
        assert!(!dsfr_allowed("dsfr.css"));
        assert!(!dsfr_allowed("component/button/button.min.css"));
        assert!(!dsfr_allowed("fonts/../../../../etc/passwd"));
        assert!(!dsfr_allowed("package.json"));
    }
}
