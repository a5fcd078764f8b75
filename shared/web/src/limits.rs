//! Limits at the edge: the body size each route accepts, how long a request may take, and
//! how many requests one client or one session may have in flight. Each refusal is a French
//! 413, 408 or 429 (with `Retry-After`) rendered by the error edge.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Limited};

use crate::WebError;

/// Body sizes accepted, by kind of route.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Pages' forms (`application/x-www-form-urlencoded`) and anything not listed below.
    pub form: usize,
    /// The JSON API (`/…/api/…`).
    pub api: usize,
    /// Routes that receive files (the paths in [`UPLOAD_ROUTES`]).
    pub upload: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        Self {
            form: 256 * 1024,
            api: 1024 * 1024,
            upload: 20 * 1024 * 1024,
        }
    }
}

/// Path prefixes that receive files and take [`BodyLimits::upload`]. None yet: the
/// documents capability adds its upload routes here.
pub const UPLOAD_ROUTES: &[&str] = &[];

/// Whether `path` receives files (its body is streamed, not read whole at the edge).
fn is_upload(path: &str) -> bool {
    UPLOAD_ROUTES.iter().any(|p| path.starts_with(p))
}

impl BodyLimits {
    /// The limit for a request to `path`.
    #[must_use]
    pub fn for_path(&self, path: &str) -> usize {
        if is_upload(path) {
            self.upload
        } else if path.contains("/api/") {
            self.api
        } else {
            self.form
        }
    }

    /// The largest body any route accepts (what a forwarding hop may buffer).
    #[must_use]
    pub fn largest(&self) -> usize {
        self.form.max(self.api).max(self.upload)
    }
}

/// Where the client's address comes from, for the per-client limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAddress {
    /// The TCP peer (Napoléon reached directly).
    #[default]
    Peer,
    /// The last address of `X-Forwarded-For`, which the ingress in front appends (behind a
    /// reverse proxy every peer is the proxy). Used only when the header is present.
    ForwardedFor,
}

/// How many requests one client (address) or one session (cookie) may have in flight.
#[derive(Debug, Clone)]
pub struct ConcurrencyLimits {
    /// Requests in flight per client address.
    pub per_client: usize,
    /// Requests in flight per session cookie.
    pub per_session: usize,
    /// The cookie naming the session.
    pub session_cookie: &'static str,
    /// Seconds announced in `Retry-After`.
    pub retry_after: u64,
    /// Where the client address is read.
    pub client_address: ClientAddress,
}

/// Everything the edge bounds.
#[derive(Debug, Clone)]
pub struct EdgeLimits {
    /// Body sizes.
    pub body: BodyLimits,
    /// A request (body reading included) longer than this is answered 408.
    pub request_timeout: Duration,
    /// Per-client and per-session concurrency; only where browsers arrive (the gateway):
    /// services behind it see the gateway as their only client.
    pub concurrency: Option<ConcurrencyLimits>,
}

impl Default for EdgeLimits {
    fn default() -> Self {
        Self {
            body: BodyLimits::default(),
            request_timeout: Duration::from_secs(30),
            concurrency: None,
        }
    }
}

/// Refuses a body larger than its route accepts: at once when `Content-Length` says so, or
/// as soon as the body passes the limit. Form and API bodies (small) are read whole here, so
/// every handler and layer behind sees a complete, bounded body, and a body that arrives too
/// slowly meets the request timeout before any handler runs; upload routes get their body as
/// a bounded stream instead.
pub(crate) async fn limit_body(
    State(limits): State<BodyLimits>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let limit = limits.for_path(path);
    let streamed = is_upload(path);
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return WebError::PayloadTooLarge.into_response();
    }
    if request
        .uri()
        .query()
        .is_some_and(|q| percent_nul(q.as_bytes()))
    {
        return nul_refused();
    }
    let kind = body_kind(
        request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    );
    let (parts, body) = request.into_parts();
    let body = if streamed {
        Body::new(Limited::new(body, limit))
    } else {
        match read_body(body, limit).await {
            Ok(bytes) if carries_nul(&bytes, kind) => return nul_refused(),
            Ok(bytes) => Body::from(bytes),
            Err(e) => return e.into_response(),
        }
    };
    next.run(Request::from_parts(parts, body)).await
}

/// Whether a form or JSON body carries U+0000, raw or escaped (`%00` in a form, `\u0000` in
/// JSON): PostgreSQL text and jsonb cannot hold it, so no field may, and refusing it at the
/// door keeps every handler from failing on it later.
fn carries_nul(body: &[u8], kind: BodyKind) -> bool {
    if body.contains(&0) {
        return true;
    }
    match kind {
        BodyKind::Form => percent_nul(body),
        // `\u0000` is an escape only after an even number of backslashes before its own.
        BodyKind::Json => body.windows(6).enumerate().any(|(i, w)| {
            w.eq_ignore_ascii_case(b"\\u0000")
                && body[..i]
                    .iter()
                    .rev()
                    .take_while(|b| **b == b'\\')
                    .count()
                    .is_multiple_of(2)
        }),
        BodyKind::Other => false,
    }
}

fn percent_nul(text: &[u8]) -> bool {
    text.windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// How a body encodes text, for finding U+0000 in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Form,
    Json,
    Other,
}

fn body_kind(content_type: Option<&str>) -> BodyKind {
    match content_type {
        Some(ct) if ct.starts_with("application/x-www-form-urlencoded") => BodyKind::Form,
        Some(ct) if ct.starts_with("application/json") || ct.contains("+json") => BodyKind::Json,
        _ => BodyKind::Other,
    }
}

fn nul_refused() -> Response {
    WebError::Unprocessable {
        code: "request.nul_character",
        message: "Les données envoyées contiennent un caractère nul (U+0000), qu'aucun champ \
                  n'accepte. Retirez-le, puis réessayez."
            .to_owned(),
    }
    .into_response()
}

/// Reads a whole body that the edge has already bounded: a body over `limit` is a 413, one
/// that breaks off (a client gone, a timeout) a 400.
///
/// # Errors
/// [`WebError::PayloadTooLarge`] or [`WebError::BadRequest`].
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, WebError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => {
            if is_length_error(e.as_ref()) {
                Err(WebError::PayloadTooLarge)
            } else {
                Err(WebError::BadRequest)
            }
        }
    }
}

fn is_length_error(mut e: &(dyn std::error::Error + 'static)) -> bool {
    loop {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        match e.source() {
            Some(inner) => e = inner,
            None => return false,
        }
    }
}

/// Who a request counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Client(IpAddr),
    // A hash of the cookie: the session id itself is never kept outside the session store.
    Session(u64),
}

/// Requests in flight per key. A key is removed when its last request ends, so the map holds
/// at most as many keys as there are requests in flight.
#[derive(Debug, Clone)]
pub(crate) struct InFlight {
    limits: Arc<ConcurrencyLimits>,
    counts: Arc<Mutex<HashMap<Key, usize>>>,
    hasher: std::collections::hash_map::RandomState,
}

impl InFlight {
    pub(crate) fn new(limits: ConcurrencyLimits) -> Self {
        Self {
            limits: Arc::new(limits),
            counts: Arc::default(),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    fn keys(&self, request: &Request) -> Vec<(Key, usize)> {
        let mut keys = Vec::with_capacity(2);
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded = (self.limits.client_address == ClientAddress::ForwardedFor)
            .then(|| {
                request
                    .headers()
                    // The last header line: a proxy may add its own line after the client's.
                    .get_all("x-forwarded-for")
                    .iter()
                    .next_back()
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.rsplit(',').next())
                    .and_then(|v| v.trim().parse::<IpAddr>().ok())
            })
            .flatten();
        if let Some(ip) = forwarded.or(peer) {
            keys.push((Key::Client(ip), self.limits.per_client));
        }
        let cookie = request
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            // The last one, as the session layer reads it: a decoy first cannot dodge the count.
            .rfind(|(name, _)| *name == self.limits.session_cookie)
            .map(|(_, value)| value);
        if let Some(value) = cookie {
            let hash = self.hasher.hash_one(value);
            keys.push((Key::Session(hash), self.limits.per_session));
        }
        keys
    }

    /// Counts the request against each of its keys, or refuses it (counting nothing) when one
    /// is at its limit.
    fn admit(&self, keys: &[(Key, usize)]) -> bool {
        let Ok(mut counts) = self.counts.lock() else {
            return true;
        };
        if keys
            .iter()
            .any(|(key, limit)| counts.get(key).copied().unwrap_or(0) >= *limit)
        {
            return false;
        }
        for (key, _) in keys {
            *counts.entry(key.clone()).or_insert(0) += 1;
        }
        true
    }

    fn release(&self, keys: &[(Key, usize)]) {
        let Ok(mut counts) = self.counts.lock() else {
            return;
        };
        for (key, _) in keys {
            if let Some(n) = counts.get_mut(key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    counts.remove(key);
                }
            }
        }
    }
}

/// Releases a request's counts however it ends (answered, timed out, or the client gone).
struct Admitted<'a> {
    in_flight: &'a InFlight,
    keys: Vec<(Key, usize)>,
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.in_flight.release(&self.keys);
    }
}

pub(crate) async fn limit_concurrency(
    State(in_flight): State<InFlight>,
    request: Request,
    next: Next,
) -> Response {
    let keys = in_flight.keys(&request);
    if !in_flight.admit(&keys) {
        tracing::warn!(
            error.code = "too_many_requests",
            "request refused: too many in flight"
        );
        return WebError::TooManyRequests {
            retry_after: in_flight.limits.retry_after,
        }
        .into_response();
    }
    let _admitted = Admitted {
        in_flight: &in_flight,
        keys,
    };
    next.run(request).await
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn limits() -> ConcurrencyLimits {
        ConcurrencyLimits {
            per_client: 2,
            per_session: 1,
            session_cookie: "napoleon_session",
            retry_after: 2,
            client_address: ClientAddress::ForwardedFor,
        }
    }

    fn request(ip: [u8; 4], cookie: Option<&str>, forwarded: Option<&str>) -> Request {
        let mut r = Request::new(Body::empty());
        r.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((ip, 4000))));
        if let Some(c) = cookie {
            r.headers_mut().insert(
                header::COOKIE,
                format!("a=b; napoleon_session={c}").parse().unwrap(),
            );
        }
        if let Some(f) = forwarded {
            r.headers_mut()
                .insert("x-forwarded-for", f.parse().unwrap());
        }
        r
    }

    #[test]
    fn counts_per_client_and_per_session_and_forgets_finished_keys() {
        let in_flight = InFlight::new(limits());
        let a = in_flight.keys(&request([10, 0, 0, 1], Some("s1"), None));
        assert_eq!(a.len(), 2);
        assert!(in_flight.admit(&a));
        // Same session, other address: the session is at its limit.
        let b = in_flight.keys(&request([10, 0, 0, 2], Some("s1"), None));
        assert!(!in_flight.admit(&b));
        // Same address, another session: one more fits, then the address is full.
        let c = in_flight.keys(&request([10, 0, 0, 1], Some("s2"), None));
        assert!(in_flight.admit(&c));
        let d = in_flight.keys(&request([10, 0, 0, 1], None, None));
        assert!(!in_flight.admit(&d));
        in_flight.release(&a);
        in_flight.release(&c);
        assert!(in_flight.counts.lock().unwrap().is_empty());
        assert!(in_flight.admit(&b));
    }

    #[test]
    fn the_forwarded_address_is_the_last_hop() {
        let in_flight = InFlight::new(limits());
        let keys = in_flight.keys(&request([10, 0, 0, 9], None, Some("1.2.3.4, 192.0.2.7")));
        assert_eq!(keys[0].0, Key::Client("192.0.2.7".parse().unwrap()));
        let keys = in_flight.keys(&request([10, 0, 0, 9], None, Some("garbage")));
        assert_eq!(keys[0].0, Key::Client("10.0.0.9".parse().unwrap()));
    }

    #[test]
    fn nul_characters_are_found_raw_and_escaped() {
        let (form, json) = (BodyKind::Form, BodyKind::Json);
        assert!(carries_nul(b"a=\0", BodyKind::Other));
        assert!(carries_nul(b"message=a%00b", form));
        assert!(!carries_nul(b"message=100%25&n=2000", form));
        assert!(carries_nul(br#"{"a":"x\u0000"}"#, json));
        assert!(
            carries_nul(br#"{"a":"\\\u0000"}"#, json),
            "an escaped backslash, then the escape"
        );
        assert!(
            !carries_nul(br#"{"a":"\\u0000"}"#, json),
            "a backslash, then text"
        );
        assert!(!carries_nul(br#"{"a":"100%00"}"#, json), "text in JSON");
        assert_eq!(body_kind(Some("application/json; charset=utf-8")), json);
        assert_eq!(body_kind(Some("application/x-www-form-urlencoded")), form);
    }

    #[test]
    fn bodies_are_limited_by_route() {
        let limits = BodyLimits::default();
        assert_eq!(limits.for_path("/intake/dossiers"), limits.form);
        assert_eq!(limits.for_path("/intake/api/v1/dossiers"), limits.api);
        assert_eq!(limits.largest(), limits.upload);
    }

    #[tokio::test]
    async fn read_body_tells_too_large_from_broken() {
        let ok = read_body(Body::from("abc"), 3).await.unwrap();
        assert_eq!(&ok[..], b"abc");
        assert!(matches!(
            read_body(Body::from("abcd"), 3).await,
            Err(WebError::PayloadTooLarge)
        ));
        // An inner limit (the edge's) is recognised through the error chain too.
        let inner = Body::new(Limited::new(Body::from("abcd"), 2));
        assert!(matches!(
            read_body(inner, 10).await,
            Err(WebError::PayloadTooLarge)
        ));
    }
}
