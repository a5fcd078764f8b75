use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use std::sync::Arc;

use crate::error::{ErrorMarker, Problem, wording};
use crate::limits::{EdgeLimits, Limiter, limit_body, limit_clients};
use crate::{FieldError, Page, Templates, WebError};

/// What the edge needs to know about how it is reached, and what it bounds.
#[derive(Debug, Clone, Default)]
pub struct EdgeConfig {
    /// Served over TLS (directly or behind a TLS-terminating ingress): adds HSTS.
    pub tls: bool,
    /// Keep an incoming `X-Request-Id` (a service behind the gateway, whose id it is); where
    /// clients arrive, whatever they send is replaced.
    pub trust_request_id: bool,
    /// Body sizes, the request timeout, and concurrency per client and per session.
    pub limits: EdgeLimits,
}

// The DSFR's scripts set `style` attributes on the elements they animate (collapses, modals):
// `style-src-attr` allows those attributes only. Scripts and style sheets stay same-origin.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
style-src-attr 'unsafe-inline'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
frame-ancestors 'none'";

/// The pages' content security policy, with forms also allowed to lead to `form_targets`
/// (origins): the logout form's answer sends the browser to the identity provider's
/// end-session endpoint, and Chromium applies `form-action` to that redirect too. Origins
/// that are not plain `scheme://host[:port]` are left out.
#[must_use]
pub fn content_security_policy(form_targets: &[String]) -> String {
    let plain = |o: &&String| {
        o.split_once("://").is_some_and(|(scheme, rest)| {
            matches!(scheme, "http" | "https")
                && !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
    };
    let extra: Vec<&str> = form_targets
        .iter()
        .filter(plain)
        .map(String::as_str)
        .collect();
    if extra.is_empty() {
        return CSP.to_owned();
    }
    CSP.replace(
        "form-action 'self'",
        &format!("form-action 'self' {}", extra.join(" ")),
    )
}

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id the edge assigned ([`edge_layers`] sets one on every request; `None` only
/// outside them, e.g. in a unit test).
pub fn request_id(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(&REQUEST_ID).and_then(|v| v.to_str().ok())
}

/// Wraps everything a process serves, once: request ids, French error rendering, security
/// headers, the limits (concurrency, request timeout, body size), panic catching and the 404
/// fallback.
pub fn edge_layers(router: Router, templates: Templates, config: &EdgeConfig) -> Router {
    let limits = &config.limits;
    let mut router = router
        .fallback(|| async { WebError::NotFound })
        .layer(CatchPanicLayer::custom(|_panic| {
            tracing::error!(error.code = "internal", "handler panicked");
            WebError::Internal("panic".to_owned()).into_response()
        }))
        .layer(middleware::from_fn_with_state(limits.body, limit_body))
        // Inside the error rendering, so the 408 is rendered in French; outside the body
        // limit, so a body that trickles in counts against the time.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ));
    if let Some(clients) = &limits.clients {
        router = router.layer(middleware::from_fn_with_state(
            Limiter::new(clients.clone()),
            limit_clients,
        ));
    }
    let mut router = router.layer(middleware::from_fn_with_state(templates, render_errors));
    let headers: [(&str, &str); 6] = [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
    ];
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    if config.tls {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        ));
    }
    router
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
        .layer(middleware::from_fn_with_state(
            // Where browsers and API clients arrive, their id is never trusted: it would be
            // signed into assertions and written in the read log as ours.
            config.trust_request_id,
            drop_unusable_request_id,
        ))
}

/// The gateway's request id, in a service behind it, is kept when it looks like one: it goes
/// into logs, spans and error pages, so one request is followed across processes. Where
/// clients arrive (`trusted` false), whatever they send is replaced by a fresh id; the id they
/// sent is logged beside it, to find their report.
async fn drop_unusable_request_id(
    State(trusted): State<bool>,
    mut request: Request,
    next: Next,
) -> Response {
    if !trusted {
        if let Some(theirs) = request.headers_mut().remove(&REQUEST_ID) {
            let theirs: String = String::from_utf8_lossy(theirs.as_bytes())
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
                .take(64)
                .collect();
            tracing::debug!(client.request_id = %theirs, "client request id replaced");
        }
        return next.run(request).await;
    }
    let usable = request.headers().get(&REQUEST_ID).is_none_or(|v| {
        let b = v.as_bytes();
        !b.is_empty()
            && b.len() <= 64
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':'))
    });
    if !usable {
        request.headers_mut().remove(&REQUEST_ID);
    }
    next.run(request).await
}

#[derive(Serialize)]
struct ErrorView<'a> {
    status: u16,
    title: &'a str,
    lead: &'a str,
    advice: &'a str,
    request_id: &'a str,
    errors: &'a [FieldError],
}

fn wants_json(request: &Request) -> bool {
    if request.uri().path().contains("/api/") {
        return true;
    }
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("json") && !accept.contains("text/html")
}

fn is_rendered(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("text/html")
                || ct.starts_with("application/problem+json")
                || ct.starts_with("application/json")
        })
}

/// Renders every error response — ours (marked), axum's rejections (plain text that may echo
/// input), 404/405 — as a French page or problem+json. A body somebody already rendered on
/// purpose (an HTML form page with errors, a JSON health report) passes untouched.
async fn render_errors(
    State(templates): State<Templates>,
    request: Request,
    next: Next,
) -> Response {
    let json = wants_json(&request);
    let request_id = request_id(request.headers())
        .unwrap_or("inconnu")
        .to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let marker = response.extensions().get::<ErrorMarker>().cloned();
    if marker.is_none() && is_rendered(&response) {
        return response;
    }
    let code = marker
        .as_ref()
        .map_or_else(|| generic_code(status), |m| m.code);
    let words = wording(status);
    // A refusal's own French message replaces the generic lead.
    let title = marker.as_ref().and_then(|m| m.title).unwrap_or(words.title);
    let fields = marker
        .as_ref()
        .map_or_else(|| Arc::from(Vec::new()), |m| Arc::clone(&m.fields));
    let message = marker.and_then(|m| m.message);
    let lead = message.as_deref().unwrap_or(words.lead);
    let (parts, _discarded_body) = response.into_parts();
    let mut rendered = if json {
        let problem = Problem::new(status, code, title, lead, &request_id, &fields);
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut r = Response::new(Body::from(body));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        r
    } else {
        let view = ErrorView {
            status: status.as_u16(),
            title,
            lead,
            advice: words.advice,
            request_id: &request_id,
            errors: &fields,
        };
        match templates.render(
            "error",
            &Page {
                title,
                view: &view,
                user: None,
            },
        ) {
            Ok(html) => html.into_response(),
            Err(e) => {
                tracing::error!(error.detail = %e, "error page failed to render");
                let mut r = Response::new(Body::from(format!(
                    "{} (erreur {}, requête {request_id})",
                    title,
                    status.as_u16()
                )));
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                );
                r
            }
        }
    };
    *rendered.status_mut() = status;
    // Keep headers that matter to clients (Allow on 405, Retry-After), drop the old body's.
    // (`Cache-Control`: an agent's refusal page may name a dossier's state; it stays no-store.)
    for name in [
        header::ALLOW,
        header::RETRY_AFTER,
        header::WWW_AUTHENTICATE,
        header::CACHE_CONTROL,
    ] {
        if let Some(value) = parts.headers.get(&name) {
            rendered.headers_mut().insert(name, value.clone());
        }
    }
    rendered
}

fn generic_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        413 => "payload_too_large",
        429 => "too_many_requests",
        431 => "headers_too_large",
        415 => "unsupported_media_type",
        422 => "unprocessable",
        400..=499 => "bad_request",
        503 => "unavailable",
        _ => "internal",
    }
}

#[cfg(test)]
mod tests {
    use super::content_security_policy;

    #[test]
    fn forms_may_reach_the_providers_origins_and_nothing_else_gets_in() {
        assert!(content_security_policy(&[]).contains("form-action 'self';"));
        let csp = content_security_policy(&[
            "https://auth.agentconnect.gouv.fr".to_owned(),
            "http://127.0.0.1:4444".to_owned(),
            "https://x.fr; script-src *".to_owned(),
            "javascript:alert(1)".to_owned(),
        ]);
        assert!(
            csp.contains(
                "form-action 'self' https://auth.agentconnect.gouv.fr http://127.0.0.1:4444;"
            ),
            "{csp}"
        );
        assert!(
            !csp.contains("script-src *") && !csp.contains("javascript"),
            "{csp}"
        );
    }
}
