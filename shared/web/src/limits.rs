//! Limits at the edge: the body size each route accepts, how long a request may take, and
//! how many requests one client or one session may have in flight. Each refusal is a French
//! 413, 408 or 429 (with `Retry-After`) rendered by the error edge.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
            // A dossier's worth of pieces in one request (each file is bounded on its own).
            upload: 100 * 1024 * 1024,
        }
    }
}

/// The routes that receive files and take [`BodyLimits::upload`], as the segments of their
/// path, `{id}` standing for one id (a UUID): a dossier's pieces, from its page and from the
/// API. Exact shapes, so that no other route loses the edge's whole-body checks.
pub const UPLOAD_ROUTES: &[&[&str]] = &[
    &["intake", "dossiers", "{id}", "pieces"],
    &["intake", "api", "v1", "dossiers", "{id}", "pieces"],
    &["decisions", "registre", "import"],
    &["intake", "propositions", "import"],
];

/// Whether `path` receives files (its body is streamed, not read whole at the edge).
#[must_use]
pub fn is_upload(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    UPLOAD_ROUTES.iter().any(|route| {
        route.len() == segments.len()
            && route.iter().zip(&segments).all(|(want, got)| {
                if *want == "{id}" {
                    uuid_shaped(got)
                } else {
                    want == got
                }
            })
    })
}

/// 36 characters, hex digits and dashes where a UUID has them.
fn uuid_shaped(segment: &str) -> bool {
    segment.len() == 36
        && segment.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
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

/// What one client may ask, in one limiter: requests in flight per address, per session
/// (cookie) and per API token (bearer credential), and requests per minute per API token and
/// per address for requests nobody authenticated. The edge counts what it can see (in
/// flight, a token's rate); whether a request is authenticated is known only once the
/// gateway resolved its session, which then charges the address's rate through
/// [`RateGate`]: a made-up cookie or token does not escape it. Static files and health
/// checks are not behind the gateway, hence not rated.
#[derive(Debug, Clone)]
pub struct ClientLimits {
    /// Requests in flight per client address.
    pub per_client: usize,
    /// Requests in flight per session cookie.
    pub per_session: usize,
    /// Requests in flight per API token.
    pub per_token: usize,
    /// Requests per minute per API token (a minute's worth may come at once).
    pub token_per_minute: u32,
    /// Requests per minute per address that nobody authenticated: the login pages, the
    /// public pages, made-up cookies and tokens, and whoever probes them.
    pub anonymous_per_minute: u32,
    /// The cookie naming the session.
    pub session_cookie: &'static str,
    /// Seconds announced in `Retry-After` when too many requests are in flight (a rate
    /// refusal announces when the next request will pass).
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
    /// Per-client, per-session and per-token limits; only where browsers and API clients
    /// arrive (the gateway): services behind it see the gateway as their only client.
    pub clients: Option<ClientLimits>,
}

impl Default for EdgeLimits {
    fn default() -> Self {
        Self {
            body: BodyLimits::default(),
            request_timeout: Duration::from_secs(30),
            clients: None,
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
    /// An address; an IPv6 one by its /64, which one subscriber holds whole.
    Client(IpAddr),
    // Hashes of the cookie and the token: the credentials themselves are never kept here.
    Session(u64),
    Token(u64),
}

/// A key's allowance of requests per minute: it refills continuously up to a minute's worth.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
    per_minute: u32,
}

impl Bucket {
    fn capacity(per_minute: u32) -> f64 {
        f64::from(per_minute.max(1))
    }

    /// Its allowance at `now`.
    fn at(&self, now: Instant) -> f64 {
        let capacity = Self::capacity(self.per_minute);
        (self.tokens + now.saturating_duration_since(self.at).as_secs_f64() * capacity / 60.0)
            .min(capacity)
    }
}

/// How many rate buckets the limiter keeps before forgetting the full ones (a full bucket is
/// the same as no bucket): memory stays bounded whatever the number of clients.
const MAX_BUCKETS: usize = 50_000;

/// How often a full map of buckets is swept.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The one limiter of the edge. In-flight counts: a key is removed when its last request
/// ends, so the map holds at most as many keys as there are requests in flight. Rates: one
/// bucket per token or anonymous address, forgotten once full again.
#[derive(Debug, Clone)]
pub(crate) struct Limiter {
    limits: Arc<ClientLimits>,
    counts: Arc<Mutex<HashMap<Key, usize>>>,
    buckets: Arc<Mutex<Buckets>>,
    hasher: std::collections::hash_map::RandomState,
}

/// The rate buckets, and when full ones were last forgotten.
#[derive(Debug, Default)]
struct Buckets {
    map: HashMap<Key, Bucket>,
    swept: Option<Instant>,
}

/// Charges a request nobody authenticated to its address's rate: the gateway calls it once
/// it knows (no valid session). Found in the request's extensions where the edge limits
/// clients.
#[derive(Debug, Clone)]
pub struct RateGate {
    limiter: Limiter,
    client: Option<IpAddr>,
}

impl RateGate {
    /// Takes one request from the address's allowance, or answers the 429 to send instead.
    ///
    /// # Errors
    /// [`WebError::TooManyRequests`] saying when the next request will pass.
    pub fn charge_unauthenticated(&self) -> Result<(), WebError> {
        let Some(ip) = self.client else {
            return Ok(());
        };
        let per_minute = self.limiter.limits.anonymous_per_minute;
        self.limiter
            .take(&Key::Client(ip), per_minute, Instant::now())
            .map_err(|retry_after| {
                tracing::warn!(
                    error.code = "too_many_requests",
                    "request refused: over the anonymous rate"
                );
                WebError::TooManyRequests { retry_after }
            })
    }
}

/// An address as the limits count it: IPv4 whole, IPv6 by its /64.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1_u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(prefix))
        }
    }
}

/// What a request counts against.
#[derive(Debug, Default)]
struct Keys {
    /// In-flight keys with their limits.
    in_flight: Vec<(Key, usize)>,
    /// The rate key with its requests per minute, if the request is rated.
    rate: Option<(Key, u32)>,
}

impl Limiter {
    pub(crate) fn new(limits: ClientLimits) -> Self {
        Self {
            limits: Arc::new(limits),
            counts: Arc::default(),
            buckets: Arc::default(),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    fn client(&self, request: &Request) -> Option<IpAddr> {
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
        forwarded.or(peer).map(client_key)
    }

    fn keys(&self, request: &Request) -> Keys {
        let mut keys = Keys::default();
        let client = self.client(request);
        if let Some(ip) = client {
            keys.in_flight
                .push((Key::Client(ip), self.limits.per_client));
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
            keys.in_flight
                .push((Key::Session(hash), self.limits.per_session));
        }
        // Every Authorization line counts: a second one cannot slip a request past the first.
        let token = request
            .headers()
            .get_all(header::AUTHORIZATION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                let (scheme, credential) = v.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| credential.trim())
            });
        if let Some(credential) = token {
            let key = Key::Token(self.hasher.hash_one(credential));
            keys.in_flight.push((key.clone(), self.limits.per_token));
            keys.rate = Some((key, self.limits.token_per_minute));
        }
        keys
    }

    /// Takes one request from the key's allowance at `now`, or says in how many seconds the
    /// next one will pass.
    fn take(&self, key: &Key, per_minute: u32, now: Instant) -> Result<(), u64> {
        // A poisoned lock (a panic while held, which nothing here can cause) keeps limiting.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.map.len() >= MAX_BUCKETS && !buckets.map.contains_key(key) {
            // Forget the full buckets (no different from none), at most once a second; if the
            // map is still full, a new key waits: memory and work stay bounded under a flood
            // of new addresses or tokens.
            if buckets
                .swept
                .is_none_or(|at| now.saturating_duration_since(at) >= SWEEP_EVERY)
            {
                buckets
                    .map
                    .retain(|_, b| b.at(now) < Bucket::capacity(b.per_minute));
                buckets.swept = Some(now);
            }
            if buckets.map.len() >= MAX_BUCKETS {
                return Err(1);
            }
        }
        let bucket = buckets.map.entry(key.clone()).or_insert(Bucket {
            tokens: Bucket::capacity(per_minute),
            at: now,
            per_minute,
        });
        // Never backwards: a request that waited for the lock keeps the later time.
        let now = now.max(bucket.at);
        let allowance = bucket.at(now);
        *bucket = Bucket {
            tokens: allowance,
            at: now,
            per_minute,
        };
        if allowance >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            // Whole seconds, rounded up: at least one, at most a minute.
            let per_second = Bucket::capacity(per_minute) / 60.0;
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "clamped to 1..=60 first"
            )]
            // (Less a nanosecond's worth, so that float error never adds a second.)
            let wait = ((1.0 - allowance) / per_second - 1e-9)
                .ceil()
                .clamp(1.0, 60.0) as u64;
            Err(wait)
        }
    }

    /// Counts the request against each of its in-flight keys, or refuses it (counting
    /// nothing) when one is at its limit.
    fn admit(&self, keys: &[(Key, usize)]) -> bool {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
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
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
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
    limiter: &'a Limiter,
    keys: Vec<(Key, usize)>,
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.limiter.release(&self.keys);
    }
}

pub(crate) async fn limit_clients(
    State(limiter): State<Limiter>,
    mut request: Request,
    next: Next,
) -> Response {
    let keys = limiter.keys(&request);
    let gate = RateGate {
        limiter: limiter.clone(),
        client: limiter.client(&request),
    };
    request.extensions_mut().insert(gate);
    if let Some((key, per_minute)) = &keys.rate
        && let Err(retry_after) = limiter.take(key, *per_minute, Instant::now())
    {
        tracing::warn!(
            error.code = "too_many_requests",
            "request refused: over the rate"
        );
        return WebError::TooManyRequests { retry_after }.into_response();
    }
    if !limiter.admit(&keys.in_flight) {
        tracing::warn!(
            error.code = "too_many_requests",
            "request refused: too many in flight"
        );
        return WebError::TooManyRequests {
            retry_after: limiter.limits.retry_after,
        }
        .into_response();
    }
    let _admitted = Admitted {
        limiter: &limiter,
        keys: keys.in_flight,
    };
    next.run(request).await
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn limits() -> ClientLimits {
        ClientLimits {
            per_client: 2,
            per_session: 1,
            per_token: 1,
            token_per_minute: 3,
            anonymous_per_minute: 2,
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
        let limiter = Limiter::new(limits());
        let a = limiter
            .keys(&request([10, 0, 0, 1], Some("s1"), None))
            .in_flight;
        assert_eq!(a.len(), 2);
        assert!(limiter.admit(&a));
        // Same session, other address: the session is at its limit.
        let b = limiter
            .keys(&request([10, 0, 0, 2], Some("s1"), None))
            .in_flight;
        assert!(!limiter.admit(&b));
        // Same address, another session: one more fits, then the address is full.
        let c = limiter
            .keys(&request([10, 0, 0, 1], Some("s2"), None))
            .in_flight;
        assert!(limiter.admit(&c));
        let d = limiter.keys(&request([10, 0, 0, 1], None, None)).in_flight;
        assert!(!limiter.admit(&d));
        limiter.release(&a);
        limiter.release(&c);
        assert!(limiter.counts.lock().unwrap().is_empty());
        assert!(limiter.admit(&b));
    }

    #[test]
    fn only_the_exact_upload_routes_stream_their_body() {
        let id = "01a24e25-3c50-72f9-a1d4-01977e1b1e17";
        assert!(is_upload(&format!("/intake/dossiers/{id}/pieces")));
        assert!(is_upload(&format!("/intake/api/v1/dossiers/{id}/pieces")));
        for other in [
            format!("/intake/dossiers/{id}/etape/5"),
            format!("/intake/dossiers/{id}/pieces/{id}/retirer"),
            "/intake/dossiers/pieces/pieces".to_owned(),
            format!("/intake/x/{id}/pieces"),
            format!("/instruction/dossiers/{id}/pieces"),
            "/intake/dossiers/01a24e25-3c50-72f9-a1d4-01977e1b1e1g/pieces".to_owned(),
        ] {
            assert!(!is_upload(&other), "{other}");
        }
        let limits = BodyLimits::default();
        assert_eq!(
            limits.for_path(&format!("/intake/dossiers/{id}/etape/5")),
            limits.form
        );
    }

    #[test]
    fn the_forwarded_address_is_the_last_hop() {
        let limiter = Limiter::new(limits());
        let keys = limiter.keys(&request([10, 0, 0, 9], None, Some("1.2.3.4, 192.0.2.7")));
        assert_eq!(
            keys.in_flight[0].0,
            Key::Client("192.0.2.7".parse().unwrap())
        );
        let keys = limiter.keys(&request([10, 0, 0, 9], None, Some("garbage")));
        assert_eq!(
            keys.in_flight[0].0,
            Key::Client("10.0.0.9".parse().unwrap())
        );
    }

    #[test]
    fn tokens_are_rated_at_the_edge_and_ipv6_counts_by_its_64() {
        let limiter = Limiter::new(limits());
        assert_eq!(limiter.keys(&request([10, 0, 0, 1], None, None)).rate, None);
        let mut api = request([10, 0, 0, 1], None, None);
        api.headers_mut()
            .insert(header::AUTHORIZATION, "Bearer secret-1".parse().unwrap());
        let keys = limiter.keys(&api);
        assert!(matches!(keys.rate, Some((Key::Token(_), 3))));
        assert!(matches!(keys.in_flight[1], (Key::Token(_), 1)));
        let a = client_key("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = client_key("2001:db8:1:2:bbbb::9".parse().unwrap());
        let c = client_key("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b, "one /64, one client");
        assert_ne!(a, c);
    }

    #[test]
    fn a_full_map_of_buckets_makes_new_keys_wait() {
        let limiter = Limiter::new(limits());
        let t0 = Instant::now();
        for n in 0..MAX_BUCKETS {
            let key = Key::Token(n as u64);
            assert_eq!(limiter.take(&key, 2, t0), Ok(()));
        }
        // None is full again yet: a new key waits; a known one is served.
        assert_eq!(limiter.take(&Key::Token(u64::MAX), 2, t0), Err(1));
        assert_eq!(limiter.take(&Key::Token(0), 2, t0), Ok(()));
        // A minute later they are all full again, hence forgotten.
        let later = t0 + Duration::from_secs(61);
        assert_eq!(limiter.take(&Key::Token(u64::MAX), 2, later), Ok(()));
        assert_eq!(limiter.buckets.lock().unwrap().map.len(), 1);
    }

    #[test]
    fn a_bucket_refills_at_its_rate_and_says_when_the_next_request_passes() {
        let limiter = Limiter::new(limits());
        let key = Key::Client("10.0.0.1".parse().unwrap());
        let t0 = Instant::now();
        assert_eq!(limiter.take(&key, 2, t0), Ok(()));
        assert_eq!(limiter.take(&key, 2, t0), Ok(()));
        // Two a minute: the next one passes in 30 s.
        assert_eq!(limiter.take(&key, 2, t0), Err(30));
        assert_eq!(limiter.take(&key, 2, t0 + Duration::from_secs(20)), Err(10));
        assert_eq!(limiter.take(&key, 2, t0 + Duration::from_secs(30)), Ok(()));
        // Another key has its own allowance.
        let other = Key::Client("10.0.0.2".parse().unwrap());
        assert_eq!(limiter.take(&other, 2, t0), Ok(()));
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
