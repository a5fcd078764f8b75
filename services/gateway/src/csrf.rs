//! CSRF protection for every state-changing request, in one layer: a form must carry the
//! session's token in `_csrf`, an API call in `X-CSRF-Token`. Safe methods pass.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use napoleon_web::WebError;

use crate::{GatewayState, RequestAgent};

/// The edge bounds every body by route already; this second bound only applies where the
/// router is used without the edge.
const FORM_LIMIT: usize = 1024 * 1024;

fn same(a: &str, b: &str) -> bool {
    // Constant time over the token's length: no early exit on the first difference.
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0_u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub(crate) async fn verify(
    State(_state): State<GatewayState>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let Some(expected) = request
        .extensions()
        .get::<RequestAgent>()
        .map(|a| a.csrf.clone())
    else {
        // No session: the route's access rule answers (401 or a redirect to login).
        return next.run(request).await;
    };
    if let Some(header) = request
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return if same(header, &expected) {
            next.run(request).await
        } else {
            WebError::Forbidden.into_response()
        };
    }
    let is_form = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return WebError::Forbidden.into_response();
    }
    let (parts, body) = request.into_parts();
    // The edge has read and bounded the body already; this only re-reads it.
    let bytes = match napoleon_web::read_body(body, FORM_LIMIT).await {
        Ok(bytes) => bytes,
        Err(e) => return e.into_response(),
    };
    let token = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.into_owned());
    if token.is_some_and(|t| same(&t, &expected)) {
        next.run(Request::from_parts(parts, Body::from(bytes)))
            .await
    } else {
        tracing::warn!("state-changing request refused: missing or wrong CSRF token");
        WebError::Forbidden.into_response()
    }
}
