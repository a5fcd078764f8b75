//! Hands `/<service>/…` requests to the service with the agent's identity: in process
//! (`serve all`) as a value in the request's extensions (`napoleon_identity::HandedIdentity`),
//! over HTTP (services in their own processes) as a signed assertion. Any assertion header
//! sent by the client is dropped first: only the gateway speaks for the agent.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use napoleon_identity::{ASSERTION_HEADER, CSRF_HEADER, RoleGrant};
use napoleon_web::WebError;
use tower::ServiceExt;

use crate::{GatewayState, RequestAgent};

/// The services behind the gateway, with the route pattern that forwards to each.
pub const SERVICES: [(&str, &str); 4] = [
    ("intake", "/intake/{*rest}"),
    ("instruction", "/instruction/{*rest}"),
    ("decisions", "/decisions/{*rest}"),
    ("promotion", "/promotion/{*rest}"),
];

/// Where a service is.
#[derive(Debug, Clone)]
pub enum Target {
    /// In this process (`serve all`).
    InProcess(Router),
    /// Over HTTP at this base URL (e.g. `http://napoleon-intake:8080`).
    Remote(String),
}

/// Where every service is.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    targets: HashMap<String, Target>,
    http: Option<openidconnect::reqwest::Client>,
    /// Bodies forwarded over HTTP, by route (the edge's limits).
    body_limits: napoleon_web::BodyLimits,
    /// The CAs the services' certificates chain to, when they serve TLS between pods.
    ca: Option<Vec<openidconnect::reqwest::Certificate>>,
}

impl Targets {
    /// No service yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Bodies forwarded over HTTP are bounded by route, as at the edge.
    #[must_use]
    pub fn with_body_limits(mut self, limits: napoleon_web::BodyLimits) -> Self {
        self.body_limits = limits;
        self
    }

    /// Trusts the CA certificates of `pem` — and only them — for the remote targets: they
    /// are the cluster's own services, whose names no public CA certifies.
    ///
    /// # Errors
    /// A message when `pem` holds no certificate, or one that cannot be read.
    pub fn with_ca(mut self, pem: &[u8]) -> Result<Self, String> {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject as _;
        let mut roots = Vec::new();
        for der in CertificateDer::pem_slice_iter(pem) {
            let der = der.map_err(|e| format!("not a PEM certificate: {e}"))?;
            roots.push(
                openidconnect::reqwest::Certificate::from_der(&der)
                    .map_err(|e| format!("not a certificate: {e}"))?,
            );
        }
        if roots.is_empty() {
            return Err("no certificate in the file".to_owned());
        }
        self.ca = Some(roots);
        Ok(self)
    }

    /// Adds a service's location. With a CA given ([`Self::with_ca`]), a remote target must
    /// be `https://`: the assertion never travels in clear.
    ///
    /// # Errors
    /// A message if the HTTP client cannot be built, or a target is in clear under TLS.
    pub fn with(mut self, service: &str, target: Target) -> Result<Self, String> {
        if let (Target::Remote(url), Some(_)) = (&target, &self.ca)
            && !url.starts_with("https://")
        {
            return Err(format!(
                "gateway.targets.{service}: {url} is not https:// although the services serve TLS (gateway.targets_ca_file)"
            ));
        }
        if matches!(target, Target::Remote(_)) && self.http.is_none() {
            let mut client = openidconnect::reqwest::ClientBuilder::new()
                .redirect(openidconnect::reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(30));
            if let Some(roots) = &self.ca {
                client = client.tls_built_in_root_certs(false);
                for root in roots {
                    client = client.add_root_certificate(root.clone());
                }
            }
            self.http = Some(client.build().map_err(|e| e.to_string())?);
        }
        self.targets.insert(service.to_owned(), target);
        Ok(self)
    }
}

/// Paths go to services as they are: refuse, before anything else, what an HTTP client or a
/// proxy could normalise into another path (`..`, `.`, encoded `.`, `/` or `\`).
pub(crate) async fn refuse_ambiguous_paths(
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let raw = request.uri().path().to_ascii_lowercase();
    let ambiguous = raw
        .split('/')
        .any(|segment| segment == ".." || segment == ".")
        || ["%2e", "%2f", "%5c"]
            .iter()
            .any(|encoded| raw.contains(encoded));
    if ambiguous {
        WebError::BadRequest.into_response()
    } else {
        next.run(request).await
    }
}

/// `/<service>/…`: to that service, path unchanged.
pub(crate) async fn forward(State(state): State<GatewayState>, request: Request) -> Response {
    let service = request
        .uri()
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
        .to_owned();
    dispatch(&state, request, &service).await
}

/// `/api/v1/eligibility`: the public path of intake's eligibility check.
pub(crate) async fn eligibility(
    State(state): State<GatewayState>,
    mut request: Request,
) -> Response {
    let query = request
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    match format!("/intake/api/v1/eligibility{query}").parse() {
        Ok(uri) => *request.uri_mut() = uri,
        Err(_) => return WebError::BadRequest.into_response(),
    }
    dispatch(&state, request, "intake").await
}

async fn dispatch(state: &GatewayState, mut request: Request, service: &str) -> Response {
    let Some(agent) = request.extensions().get::<RequestAgent>().cloned() else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let Some(tenant) = &agent.tenant else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let Some(target) = state.cfg.targets.targets.get(service) else {
        return WebError::NotFound.into_response();
    };
    let request_id = napoleon_web::request_id(request.headers())
        .unwrap_or("")
        .to_owned();
    let roles: Vec<RoleGrant> = agent
        .grants
        .iter()
        .filter_map(|g| {
            g.role.map(|role| RoleGrant {
                role,
                unit: g.unit_id,
            })
        })
        .collect();
    let method = request.method().as_str().to_owned();
    let raw_target = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    // The assertion names the target exactly as the service will receive it. Over HTTP the
    // URL parser re-encodes some characters (a quote in a query, braces in a path): sign
    // what will be sent, or the service would refuse an honest request.
    let request_target = match target {
        Target::InProcess(_) => raw_target,
        Target::Remote(base) => {
            match url::Url::parse(&format!("{}{raw_target}", base.trim_end_matches('/'))) {
                Ok(url) => match url.query() {
                    Some(query) => format!("{}?{query}", url.path()),
                    None => url.path().to_owned(),
                },
                Err(_) => return WebError::BadRequest.into_response(),
            }
        }
    };
    let claims =
        napoleon_identity::Claims::new(service, agent.agent, tenant.id, roles, &request_id)
            .for_request(&method, &request_target)
            .with_page(Some(agent.layout_user()))
            .with_session((!agent.session.is_empty()).then(|| agent.session.clone()));
    let now = state.ctx.db.clock().timestamp();
    let Ok(csrf) = HeaderValue::from_str(&agent.csrf) else {
        return WebError::Internal("CSRF token is not a header value".to_owned()).into_response();
    };
    let headers = request.headers_mut();
    // Only the gateway speaks for the agent: a client's assertion never reaches a service.
    headers.remove(ASSERTION_HEADER);
    headers.remove("cookie");
    // The session's CSRF token, for the forms of the service's pages: beside the identity,
    // never inside it (a client's own header of that name is replaced).
    headers.insert(CSRF_HEADER, csrf);
    match target {
        // In process, the identity is handed as a value (no signature to make and check: the
        // request never leaves the process, and no client can put one there).
        Target::InProcess(router) => {
            let mut request = fresh(request);
            request
                .extensions_mut()
                .insert(state.cfg.signer.hand(claims, now));
            match router.clone().oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        }
        Target::Remote(base) => {
            let Ok(assertion) = HeaderValue::from_str(&state.cfg.signer.sign(claims, now)) else {
                return WebError::Internal("assertion is not a header value".to_owned())
                    .into_response();
            };
            request.headers_mut().insert(ASSERTION_HEADER, assertion);
            remote(state, base, request).await
        }
    }
}

/// The request as a service receives it over HTTP: method, URI, headers and body, with none of
/// the gateway's extensions (its matched path parameters would otherwise add to the
/// service's own), but the request span, so the service's records join the request's.
fn fresh(request: Request) -> Request {
    let (parts, body) = request.into_parts();
    let span = parts
        .extensions
        .get::<napoleon_identity::RequestSpan>()
        .cloned();
    let mut out = Request::new(body);
    *out.method_mut() = parts.method;
    *out.uri_mut() = parts.uri;
    *out.version_mut() = parts.version;
    *out.headers_mut() = parts.headers;
    if let Some(span) = span {
        out.extensions_mut().insert(span);
    }
    out
}

async fn remote(state: &GatewayState, base: &str, request: Request) -> Response {
    let Some(http) = &state.cfg.targets.http else {
        return WebError::Internal("no HTTP client for remote services".to_owned()).into_response();
    };
    let (parts, body) = request.into_parts();
    // Upload routes stream their body through (bounded by the edge as it flows); the other
    // bodies, small and already bounded and read whole by the edge, are sent whole.
    let streamed = napoleon_web::is_upload(parts.uri.path());
    let body = if streamed {
        reqwest::Body::wrap_stream(body.into_data_stream())
    } else {
        match napoleon_web::read_body(
            body,
            state.cfg.targets.body_limits.for_path(parts.uri.path()),
        )
        .await
        {
            Ok(body) => reqwest::Body::from(body),
            Err(e) => return e.into_response(),
        }
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let mut outgoing = http.request(parts.method.clone(), &url).body(body);
    // A streamed body keeps its announced length (a buffered one gets its own).
    if streamed && let Some(length) = parts.headers.get("content-length") {
        outgoing = outgoing.header("content-length", length.as_bytes());
    }
    for name in [
        "content-type",
        "accept",
        "x-request-id",
        ASSERTION_HEADER,
        CSRF_HEADER,
        "x-csrf-token",
        "if-match",
        "idempotency-key",
    ] {
        if let Some(value) = parts.headers.get(name) {
            outgoing = outgoing.header(name, value.as_bytes());
        }
    }
    let response = match outgoing.send().await {
        Ok(r) => r,
        Err(e) => return WebError::Unavailable(format!("service at {base}: {e}")).into_response(),
    };
    let status = response.status();
    let mut headers = Vec::new();
    for name in RESPONSE_HEADERS {
        if let Some(value) = response
            .headers()
            .get(name)
            .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok())
        {
            headers.push((name, value));
        }
    }
    // The answer streams back as it comes (a piece, a dossier's ZIP): nothing held whole.
    let mut out = Response::new(Body::from_stream(response.bytes_stream()));
    *out.status_mut() = StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    for (name, value) in headers {
        out.headers_mut().insert(name, value);
    }
    out
}

/// What a service's answer keeps through the gateway.
const RESPONSE_HEADERS: [&str; 8] = [
    "content-type",
    "content-length",
    "location",
    "content-disposition",
    "cache-control",
    "etag",
    "retry-after",
    "x-content-type-options",
];
