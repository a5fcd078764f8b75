//! CSRF protection for every state-changing request, in one layer: a form must carry the
//! session's token in `_csrf`, an API call in `X-CSRF-Token`. Safe methods pass.
//!
//! A form that sends files without JavaScript (`multipart/form-data`) carries the token as
//! its **first** part: it is checked from the body's first bytes, before any file is read,
//! and the body then flows on to the service as it arrives, never held whole here.

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
    let content_type = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if content_type.starts_with("multipart/form-data") {
        return match multipart_token(request, &content_type).await {
            Some((token, request)) if same(&token, &expected) => next.run(request).await,
            _ => {
                tracing::warn!("upload refused: missing or wrong CSRF token in its first part");
                WebError::Forbidden.into_response()
            }
        };
    }
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
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

/// The most read of a multipart body to find its first part (the token and its headers are
/// a few hundred bytes).
const FIRST_PART_LIMIT: usize = 4 * 1024;

/// The value of the body's first part when it is `_csrf`, with the request whose body is
/// whole again (the bytes read, then the rest as it comes).
async fn multipart_token(request: Request, content_type: &str) -> Option<(String, Request)> {
    use futures_util::StreamExt as _;
    let boundary = multer::parse_boundary(content_type).ok()?;
    let delimiter = format!("\r\n--{boundary}");
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut head = Vec::new();
    // Until the first part's closing delimiter and the two bytes after it (`\r\n` or `--`)
    // are in: what the parser needs to end the part.
    loop {
        let whole = find(&head, delimiter.as_bytes())
            .is_some_and(|at| head.len() >= at + delimiter.len() + 2);
        if whole {
            break;
        }
        if head.len() > FIRST_PART_LIMIT {
            return None;
        }
        match stream.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            _ => return None,
        }
    }
    let head = axum::body::Bytes::from(head);
    let once = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(head.clone())]);
    let mut first = multer::Multipart::new(once, boundary);
    let field = first.next_field().await.ok()??;
    if field.name() != Some("_csrf") {
        return None;
    }
    let token = field.text().await.ok()?;
    let body =
        Body::from_stream(futures_util::stream::iter([Ok::<_, axum::Error>(head)]).chain(stream));
    Some((token.trim().to_owned(), Request::from_parts(parts, body)))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
