//! The identity assertion: what the gateway tells a service about the request's agent.
//!
//! The gateway authenticates the agent (ProConnect session), resolves the tenant and the
//! agent's roles there, and signs a short-lived assertion carried in the
//! [`ASSERTION_HEADER`] for a service over HTTP; for a service in its own process (`serve
//! all`) it hands the same claims as a value in the request's extensions
//! ([`HandedIdentity`]: no client can put one there, and only the key's holder makes one).
//! Services trust nothing else: [`require_identity`] refuses any request without a valid
//! assertion or handed identity (401), and hands handlers an [`Identity`] whose tenant is the
//! only tenant they may use.
//!
//! Format: `v1.<kid>.<base64url(JSON claims)>.<base64url(Ed25519 signature)>`, the signature
//! covering `v1.<kid>.<claims>`. Keys are named by `kid`: the gateway signs with its current
//! key; services accept every key listed, so keys rotate by adding the new one everywhere,
//! switching the signer, then removing the old one.
//!
//! An assertion is not a bearer for anything but its own request: it names the one service
//! (`aud`), method and request target (path and query) it is for, lives
//! [`LIFETIME_SECONDS`], and carries a random `jti` that each service instance accepts once
//! ([`ReplayCache`]). It carries no CSRF token: the gateway hands the session's token to
//! the service for its pages' forms in the unsigned [`CSRF_HEADER`] of the same request,
//! which is never kept with the assertion.

pub mod platform;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use napoleon_kernel::{AgentId, OrgUnitId, Role, TenantId};
use serde::{Deserialize, Serialize};

/// The span of the HTTP request, carried in the request's extensions so that layers deeper
/// in the stack record on it (e.g. `tenant.id`) even when another span is current.
#[derive(Clone, Debug)]
pub struct RequestSpan(pub tracing::Span);

impl RequestSpan {
    /// Records the request's tenant (an id, never personal data).
    pub fn record_tenant(&self, tenant: TenantId) {
        self.0.record("tenant.id", tracing::field::display(tenant));
    }
}

/// The header carrying the assertion from the gateway to a service.
pub const ASSERTION_HEADER: &str = "x-napoleon-identity";

/// The header in which the gateway gives a service the session's CSRF token, for the
/// forms of the page it renders (the gateway checks the token when the form comes back).
pub const CSRF_HEADER: &str = "x-napoleon-csrf";

/// How long an assertion is valid: the gateway signs it just before forwarding, and the
/// service checks it as the request's head arrives (a slow body does not count).
pub const LIFETIME_SECONDS: i64 = 10;

/// How many assertions an instance remembers (their `jti`, until they expire): far more than
/// the requests of [`LIFETIME_SECONDS`] plus the leeway at any rate one instance serves.
const REPLAY_CAPACITY: usize = 200_000;

/// Tolerated clock difference between gateway and service.
const LEEWAY_SECONDS: i64 = 5;

/// One role the agent holds, at a unit (its scope is that unit's subtree).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleGrant {
    /// The role.
    pub role: Role,
    /// Where it applies.
    pub unit: OrgUnitId,
}

/// The request's identity, as the gateway asserted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Who.
    pub agent: AgentId,
    /// In which tenant: the only tenant the service may touch for this request.
    pub tenant: TenantId,
    /// The agent's roles in that tenant.
    pub roles: Vec<RoleGrant>,
    /// The request id, for logs across services.
    pub request_id: String,
    /// The one service this assertion is for: a service refuses another's.
    pub aud: String,
    /// The one request method it is for.
    #[serde(default)]
    pub method: String,
    /// The one request target (path and query, as the service receives it) it is for.
    #[serde(default)]
    pub target: String,
    /// Random, accepted once per service instance (empty when handed in process, which is
    /// taken out of its request and serves once).
    #[serde(default)]
    pub jti: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// What the page header shows, for services that render pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<LayoutUser>,
    /// The session's reference (not its secret id): which login a read or an act came
    /// through, for the read log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

impl Identity {
    /// The agent's roles with the units where they hold them.
    #[must_use]
    pub fn grants(&self) -> Vec<(Role, OrgUnitId)> {
        self.roles.iter().map(|g| (g.role, g.unit)).collect()
    }
}

/// What an assertion says, before its times are set by [`AssertionSigner::sign`] (or
/// [`AssertionSigner::hand`]).
#[derive(Debug, Clone)]
pub struct Claims<'a> {
    /// The one service it is for.
    pub audience: &'a str,
    /// Who.
    pub agent: AgentId,
    /// In which tenant.
    pub tenant: TenantId,
    /// The agent's roles there.
    pub roles: Vec<RoleGrant>,
    /// The request id.
    pub request_id: &'a str,
    /// The page header, for services that render pages.
    pub page: Option<LayoutUser>,
    /// The session's reference.
    pub session: Option<String>,
    /// The request's method.
    pub method: &'a str,
    /// The request's target (path and query) as the service receives it.
    pub target: &'a str,
}

impl<'a> Claims<'a> {
    /// The claims of a request without a page header.
    #[must_use]
    pub const fn new(
        audience: &'a str,
        agent: AgentId,
        tenant: TenantId,
        roles: Vec<RoleGrant>,
        request_id: &'a str,
    ) -> Self {
        Self {
            audience,
            agent,
            tenant,
            roles,
            request_id,
            page: None,
            session: None,
            method: "",
            target: "",
        }
    }

    /// For the one request `method target` (without it, no service accepts the assertion).
    #[must_use]
    pub fn for_request(self, method: &'a str, target: &'a str) -> Self {
        Self {
            method,
            target,
            ..self
        }
    }

    /// With the session's reference (the read log names it).
    #[must_use]
    pub fn with_session(self, session: Option<String>) -> Self {
        Self { session, ..self }
    }

    /// With the header the service's pages show.
    #[must_use]
    pub fn with_page(self, page: Option<LayoutUser>) -> Self {
        Self { page, ..self }
    }
}

/// The connected agent, as the page header shows them (to themselves). The gateway fills it
/// from the session; services receive it in the assertion so their pages carry the same
/// header.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct LayoutUser {
    /// « Prénom Nom ».
    pub name: String,
    /// The current tenant's name, once chosen.
    pub tenant: Option<String>,
    /// The agent's unit(s) in that tenant, e.g. « Préfecture du Rhône ».
    pub unit: Option<String>,
    /// Whether the agent may switch tenants (several memberships).
    pub can_switch: bool,
    /// A platform operator (the header links to the operators' page).
    pub operator: bool,
    /// The session's CSRF token, for the pages' forms. Never signed into an assertion: a
    /// service receives it in [`CSRF_HEADER`] (the assertion holds an empty one).
    #[serde(default)]
    pub csrf: String,
}

impl std::fmt::Debug for LayoutUser {
    // The name is personal data and the token a secret: neither reaches logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayoutUser")
            .field("tenant", &self.tenant)
            .field("unit", &self.unit)
            .finish_non_exhaustive()
    }
}

/// Why an assertion was refused (logged; the client sees a plain 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    /// No header.
    #[error("no identity assertion")]
    Missing,
    /// Not of the expected shape.
    #[error("malformed identity assertion")]
    Malformed,
    /// Signed with a key this service does not know.
    #[error("unknown assertion key {0}")]
    UnknownKey(String),
    /// Bad signature.
    #[error("bad assertion signature")]
    BadSignature,
    /// Expired or issued in the future.
    #[error("assertion expired or not yet valid")]
    Expired,
    /// Meant for another service.
    #[error("assertion for another service ({0})")]
    WrongAudience(String),
    /// Meant for another method or request target.
    #[error("assertion for another request")]
    WrongRequest,
    /// Already used at this instance.
    #[error("assertion replayed")]
    Replayed,
    /// A key could not be read.
    #[error("invalid assertion key: {0}")]
    InvalidKey(String),
}

/// The gateway's signing key, named by its `kid`.
#[derive(Clone)]
pub struct AssertionSigner {
    kid: String,
    key: SigningKey,
}

impl std::fmt::Debug for AssertionSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssertionSigner")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl AssertionSigner {
    /// A fresh random key (for `serve all` and tests, where the signer and the verifier share
    /// a process and nothing must survive it).
    ///
    /// # Errors
    /// [`AssertionError::InvalidKey`] if the OS has no randomness to give.
    pub fn generate(kid: &str) -> Result<Self, AssertionError> {
        let mut seed = [0_u8; 32];
        getrandom::fill(&mut seed).map_err(|e| AssertionError::InvalidKey(e.to_string()))?;
        Ok(Self {
            kid: kid.to_owned(),
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// Reads `kid:base64url(32-byte seed)` (the configuration format).
    ///
    /// # Errors
    /// [`AssertionError::InvalidKey`].
    pub fn from_config(text: &str) -> Result<Self, AssertionError> {
        let (kid, seed) = text
            .split_once(':')
            .ok_or_else(|| AssertionError::InvalidKey("expected kid:base64url-seed".to_owned()))?;
        let seed: [u8; 32] = B64
            .decode(seed.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                // The kid is not repeated: a seed put first (`seed:kid`) would be printed.
                AssertionError::InvalidKey(
                    "the seed (after the `:`) must be 32 bytes, base64url: kid:seed".to_owned(),
                )
            })?;
        Ok(Self {
            kid: kid.to_owned(),
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// The matching public key as `kid:base64url(public key)` (what services are given).
    #[must_use]
    pub fn public_config(&self) -> String {
        format!(
            "{}:{}",
            self.kid,
            B64.encode(self.key.verifying_key().as_bytes())
        )
    }

    /// A verifier that accepts exactly this signer's key.
    #[must_use]
    pub fn verifier(&self) -> AssertionVerifier {
        let mut keys = HashMap::new();
        keys.insert(self.kid.clone(), self.key.verifying_key());
        AssertionVerifier {
            keys: Arc::new(keys),
            replay: Arc::default(),
        }
    }

    /// Signs `claims`, valid from `now` for [`LIFETIME_SECONDS`].
    #[must_use]
    pub fn sign(&self, claims: Claims<'_>, now: i64) -> String {
        let mut jti = [0_u8; 16];
        // Without randomness the jti is all zeros: the replay cache then accepts the first
        // such assertion only, which fails safe.
        let _ignored = getrandom::fill(&mut jti);
        let identity = identity_of(claims, B64.encode(jti), now);
        // Serializing our own plain struct cannot fail.
        let claims = B64.encode(serde_json::to_vec(&identity).unwrap_or_default());
        let signed = format!("v1.{}.{claims}", self.kid);
        let signature = self.key.sign(signed.as_bytes());
        format!("{signed}.{}", B64.encode(signature.to_bytes()))
    }

    /// `claims` handed to a service of this process (`serve all`) as a value in the
    /// request's extensions rather than a signed header: no signature to make and check, no
    /// replay to remember. Only the holder of the signing key makes one (as it could sign the
    /// same claims), and no client can: a request's extensions never come from the network,
    /// and the gateway hands a request to a service with none of its own
    /// ([`require_identity`] takes it out, so it serves once).
    #[must_use]
    pub fn hand(&self, claims: Claims<'_>, now: i64) -> HandedIdentity {
        HandedIdentity {
            identity: identity_of(claims, String::new(), now),
            kid: self.kid.clone(),
            key: self.key.verifying_key(),
        }
    }
}

/// An identity handed in process by the gateway ([`AssertionSigner::hand`]); the service's
/// [`require_identity`] checks its audience, request and time as an assertion's, and that the
/// key it was handed with is one the service accepts (as a signature would prove).
#[derive(Debug, Clone)]
pub struct HandedIdentity {
    identity: Identity,
    kid: String,
    key: VerifyingKey,
}

/// The identity `claims` assert from `now` for [`LIFETIME_SECONDS`].
fn identity_of(claims: Claims<'_>, jti: String, now: i64) -> Identity {
    Identity {
        // The CSRF token travels beside the assertion, never inside it.
        page: claims.page.map(|p| LayoutUser {
            csrf: String::new(),
            ..p
        }),
        session: claims.session,
        method: claims.method.to_owned(),
        target: claims.target.to_owned(),
        jti,
        agent: claims.agent,
        tenant: claims.tenant,
        roles: claims.roles,
        request_id: claims.request_id.to_owned(),
        aud: claims.audience.to_owned(),
        iat: now,
        exp: now + LIFETIME_SECONDS,
    }
}

/// The services' set of accepted public keys.
#[derive(Clone, Debug)]
pub struct AssertionVerifier {
    keys: Arc<HashMap<String, VerifyingKey>>,
    replay: Arc<ReplayCache>,
}

/// The `jti`s of the assertions this instance accepted, until they expire: a captured
/// assertion is refused the second time, even for its own request.
#[derive(Debug, Default)]
pub struct ReplayCache {
    seen: std::sync::Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    jtis: std::collections::HashSet<String>,
    /// `(exp, jti)` in arrival order: expiries are signing times plus the same lifetime, so
    /// the oldest leave first, each in O(1) — no scan under the lock.
    order: std::collections::VecDeque<(i64, String)>,
}

impl ReplayCache {
    /// Records `jti` (valid until `exp`); false when it was seen already, or when the cache
    /// is full of unexpired entries (refusing is the safe side).
    fn first_use(&self, jti: &str, exp: i64, now: i64) -> bool {
        let Ok(mut seen) = self.seen.lock() else {
            return false;
        };
        while seen
            .order
            .front()
            .is_some_and(|(until, _)| *until + LEEWAY_SECONDS < now)
        {
            if let Some((_, old)) = seen.order.pop_front() {
                seen.jtis.remove(&old);
            }
        }
        if seen.jtis.len() >= REPLAY_CAPACITY {
            tracing::error!("assertion replay cache full: refusing");
            return false;
        }
        if !seen.jtis.insert(jti.to_owned()) {
            return false;
        }
        seen.order.push_back((exp, jti.to_owned()));
        true
    }
}

impl AssertionVerifier {
    /// Reads keys given as `kid:base64url(public key)`.
    ///
    /// # Errors
    /// [`AssertionError::InvalidKey`].
    pub fn from_config<'a>(
        keys: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, AssertionError> {
        let mut map = HashMap::new();
        for text in keys {
            let (kid, key) = text.split_once(':').ok_or_else(|| {
                AssertionError::InvalidKey("expected kid:base64url-key".to_owned())
            })?;
            let bytes: [u8; 32] = B64
                .decode(key.trim())
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| AssertionError::InvalidKey(format!("{kid}: 32 bytes, base64url")))?;
            let key = VerifyingKey::from_bytes(&bytes)
                .map_err(|e| AssertionError::InvalidKey(e.to_string()))?;
            map.insert(kid.to_owned(), key);
        }
        Ok(Self {
            keys: Arc::new(map),
            replay: Arc::default(),
        })
    }

    /// Verifies an assertion meant for service `audience` at time `now` (Unix seconds).
    ///
    /// # Errors
    /// The [`AssertionError`] saying why it is refused.
    pub fn verify(
        &self,
        token: &str,
        audience: &str,
        now: i64,
    ) -> Result<Identity, AssertionError> {
        let mut parts = token.split('.');
        let (Some("v1"), Some(kid), Some(claims), Some(signature), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(AssertionError::Malformed);
        };
        let key = self
            .keys
            .get(kid)
            .ok_or_else(|| AssertionError::UnknownKey(kid.to_owned()))?;
        let signature: [u8; 64] = B64
            .decode(signature)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(AssertionError::Malformed)?;
        let signed = format!("v1.{kid}.{claims}");
        key.verify_strict(signed.as_bytes(), &Signature::from_bytes(&signature))
            .map_err(|_| AssertionError::BadSignature)?;
        let identity: Identity = B64
            .decode(claims)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(AssertionError::Malformed)?;
        judge(identity, audience, now)
    }

    /// Verifies the assertion of the request `method target` to service `audience`, and
    /// accepts it only once at this instance.
    ///
    /// # Errors
    /// The [`AssertionError`] saying why it is refused.
    pub fn verify_request(
        &self,
        token: &str,
        audience: &str,
        method: &str,
        target: &str,
        now: i64,
    ) -> Result<Identity, AssertionError> {
        let identity = self.verify(token, audience, now)?;
        if identity.method != method || identity.target != target {
            return Err(AssertionError::WrongRequest);
        }
        if identity.jti.is_empty() || !self.replay.first_use(&identity.jti, identity.exp, now) {
            return Err(AssertionError::Replayed);
        }
        Ok(identity)
    }
}

/// An identity's times and audience, as a service judges them (signed or handed).
fn judge(identity: Identity, audience: &str, now: i64) -> Result<Identity, AssertionError> {
    if identity.exp + LEEWAY_SECONDS < now || identity.iat - LEEWAY_SECONDS > now {
        return Err(AssertionError::Expired);
    }
    if identity.aud != audience {
        return Err(AssertionError::WrongAudience(identity.aud));
    }
    Ok(identity)
}

/// What a service's [`require_identity`] layer needs: the keys and the service's own name
/// (the audience it accepts).
#[derive(Clone, Debug)]
pub struct ServiceIdentity {
    /// Accepted keys.
    pub verifier: AssertionVerifier,
    /// This service's name.
    pub service: &'static str,
    /// The process's clock (assertions are judged on its time).
    pub clock: napoleon_kernel::Clock,
}

/// Middleware for every service route but health: verifies the assertion (or takes the
/// identity the gateway handed in process, [`HandedIdentity`]), records the tenant
/// on the request span, and puts the [`Identity`] in the request's extensions. Anything else
/// is a 401, whatever the route: deny by default.
pub async fn require_identity(
    State(ServiceIdentity {
        verifier,
        service,
        clock,
    }): State<ServiceIdentity>,
    mut request: Request,
    next: Next,
) -> Response {
    let handed = request.extensions_mut().remove::<HandedIdentity>();
    let token = request
        .headers()
        .get(ASSERTION_HEADER)
        .and_then(|v| v.to_str().ok());
    // The target as the client of this process sent it: nesting strips the service prefix
    // from the URI, not from the original one.
    let target = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| request.uri(), |o| &o.0)
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let method = request.method().as_str().to_owned();
    let was_handed = handed.is_some();
    let verified = match handed {
        // Handed in process by the gateway: judged as an assertion, its key one this service
        // accepts, but for its signature (only the key's holder makes one) and its replay
        // (taken out, it serves once).
        Some(HandedIdentity { identity, kid, key }) => {
            if verifier.keys.get(&kid) == Some(&key) {
                judge(identity, service, clock.timestamp()).and_then(|identity| {
                    if identity.method == method && identity.target == target {
                        Ok(identity)
                    } else {
                        Err(AssertionError::WrongRequest)
                    }
                })
            } else {
                Err(AssertionError::UnknownKey(kid))
            }
        }
        None => token
            .ok_or(AssertionError::Missing)
            .and_then(|t| verifier.verify_request(t, service, &method, &target, clock.timestamp())),
    };
    match verified {
        Ok(mut identity) => {
            if let Some(page) = identity.page.as_mut() {
                page.csrf = request
                    .headers()
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
            }
            if let Some(span) = request.extensions().get::<RequestSpan>() {
                span.record_tenant(identity.tenant);
            }
            request.extensions_mut().insert(identity);
            next.run(request).await
        }
        Err(reason) => {
            tracing::warn!(
                %reason,
                handed = was_handed,
                "request refused: no valid identity assertion"
            );
            axum::http::StatusCode::UNAUTHORIZED.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn identity_parts() -> (AgentId, TenantId, Vec<RoleGrant>) {
        (
            AgentId::new(),
            TenantId::new(),
            vec![RoleGrant {
                role: Role::Instructeur,
                unit: OrgUnitId::new(),
            }],
        )
    }

    #[test]
    fn a_signed_assertion_verifies_and_round_trips() {
        let signer = AssertionSigner::generate("k1").unwrap();
        let (agent, tenant, roles) = identity_parts();
        let token = signer.sign(
            Claims::new("intake", agent, tenant, roles.clone(), "req-1"),
            1_000,
        );
        let identity = signer.verifier().verify(&token, "intake", 1_008).unwrap();
        assert_eq!(
            (identity.agent, identity.tenant, identity.roles),
            (agent, tenant, roles)
        );
        assert_eq!(identity.request_id, "req-1");
    }

    #[test]
    fn expired_future_tampered_and_foreign_assertions_are_refused() {
        let signer = AssertionSigner::generate("k1").unwrap();
        let verifier = signer.verifier();
        let (agent, tenant, roles) = identity_parts();
        let token = signer.sign(Claims::new("intake", agent, tenant, roles, "r"), 1_000);
        assert_eq!(
            verifier.verify(
                &token,
                "intake",
                1_000 + LIFETIME_SECONDS + LEEWAY_SECONDS + 1
            ),
            Err(AssertionError::Expired)
        );
        assert_eq!(
            verifier.verify(&token, "decisions", 1_000),
            Err(AssertionError::WrongAudience("intake".into()))
        );
        assert_eq!(
            verifier.verify(&token, "intake", 1_000 - LEEWAY_SECONDS - 1),
            Err(AssertionError::Expired)
        );

        // Another tenant's id spliced into the claims: the signature no longer matches.
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut claims: Identity = serde_json::from_slice(&B64.decode(&parts[2]).unwrap()).unwrap();
        claims.tenant = TenantId::new();
        parts[2] = B64.encode(serde_json::to_vec(&claims).unwrap());
        assert_eq!(
            verifier.verify(&parts.join("."), "intake", 1_000),
            Err(AssertionError::BadSignature)
        );

        let stranger = AssertionSigner::generate("k1").unwrap();
        let forged = stranger.sign(Claims::new("intake", agent, tenant, vec![], "r"), 1_000);
        assert_eq!(
            verifier.verify(&forged, "intake", 1_000),
            Err(AssertionError::BadSignature)
        );
        let unknown = AssertionSigner::generate("k9")
            .unwrap()
            .sign(Claims::new("intake", agent, tenant, vec![], "r"), 1_000);
        assert_eq!(
            verifier.verify(&unknown, "intake", 1_000),
            Err(AssertionError::UnknownKey("k9".into()))
        );
        for junk in [
            "",
            "v1",
            "v2.k1.e30.AA",
            "v1.k1.e30.AA.extra",
            "v1.k1.!!!.AA",
        ] {
            assert!(verifier.verify(junk, "intake", 1_000).is_err(), "{junk}");
        }
    }

    #[test]
    fn an_assertion_serves_its_one_request_once_and_carries_no_csrf_token() {
        let signer = AssertionSigner::generate("k1").unwrap();
        let verifier = signer.verifier();
        let (agent, tenant, roles) = identity_parts();
        let page = LayoutUser {
            name: "Agent".to_owned(),
            tenant: None,
            unit: None,
            can_switch: false,
            operator: false,
            csrf: "le-jeton-de-session".to_owned(),
        };
        let token = signer.sign(
            Claims::new("intake", agent, tenant, roles, "r")
                .for_request("POST", "/intake/dossiers/1?x=1")
                .with_page(Some(page)),
            1_000,
        );
        let claims = B64.decode(token.split('.').nth(2).unwrap()).unwrap();
        assert!(
            !String::from_utf8(claims)
                .unwrap()
                .contains("le-jeton-de-session"),
            "the CSRF token is never signed in"
        );
        let verify =
            |method, target| verifier.verify_request(&token, "intake", method, target, 1_001);
        assert_eq!(
            verify("GET", "/intake/dossiers/1?x=1"),
            Err(AssertionError::WrongRequest)
        );
        assert_eq!(
            verify("POST", "/intake/dossiers/2?x=1"),
            Err(AssertionError::WrongRequest)
        );
        assert_eq!(
            verify("POST", "/intake/dossiers/1"),
            Err(AssertionError::WrongRequest)
        );
        let identity = verify("POST", "/intake/dossiers/1?x=1").unwrap();
        assert_eq!(identity.page.unwrap().csrf, "");
        assert_eq!(
            verify("POST", "/intake/dossiers/1?x=1"),
            Err(AssertionError::Replayed)
        );
        // Another instance (its own cache) accepts it once, within its lifetime only.
        let other = AssertionVerifier::from_config([signer.public_config().as_str()]).unwrap();
        assert!(
            other
                .verify_request(&token, "intake", "POST", "/intake/dossiers/1?x=1", 1_001)
                .is_ok()
        );
        let third = AssertionVerifier::from_config([signer.public_config().as_str()]).unwrap();
        assert_eq!(
            third.verify_request(
                &token,
                "intake",
                "POST",
                "/intake/dossiers/1?x=1",
                1_000 + LIFETIME_SECONDS + LEEWAY_SECONDS + 1
            ),
            Err(AssertionError::Expired)
        );
        // Claims without a request are for none.
        let unbound = signer.sign(Claims::new("intake", agent, tenant, vec![], "r"), 1_000);
        assert_eq!(
            verifier.verify_request(&unbound, "intake", "GET", "/", 1_000),
            Err(AssertionError::WrongRequest)
        );
    }

    /// The service's layer takes an identity handed in process (`serve all`) as it takes a
    /// signed one: for its audience, its one request and its lifetime only; it wins over any
    /// header, and the handler never sees it (taken out, it serves once).
    #[tokio::test]
    async fn a_handed_identity_is_judged_as_an_assertion_and_serves_once() {
        use axum::body::Body;
        use tower::ServiceExt as _;

        let signer = AssertionSigner::generate("k1").unwrap();
        let clock = napoleon_kernel::Clock::system();
        let now = clock.timestamp();
        let layer = ServiceIdentity {
            verifier: signer.verifier(),
            service: "intake",
            clock,
        };
        let app = axum::Router::new()
            .route(
                "/intake/dossiers/{id}",
                axum::routing::post(|request: Request| async move {
                    let handed = request.extensions().get::<HandedIdentity>().is_some();
                    let who = request
                        .extensions()
                        .get::<Identity>()
                        .map(|i| (i.agent, i.tenant));
                    format!("{who:?} {handed}")
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                layer,
                require_identity,
            ));
        let (agent, tenant, roles) = identity_parts();
        let send = async |handed: Option<HandedIdentity>, method: &str, header: Option<String>| {
            let mut request = Request::builder()
                .method(method)
                .uri("/intake/dossiers/1?x=1");
            if let Some(h) = header {
                request = request.header(ASSERTION_HEADER, h);
            }
            let mut request = request.body(Body::empty()).unwrap();
            if let Some(h) = handed {
                request.extensions_mut().insert(h);
            }
            let response = app.clone().oneshot(request).await.unwrap();
            let status = response.status().as_u16();
            let body = axum::body::to_bytes(response.into_body(), 1024)
                .await
                .unwrap();
            (status, String::from_utf8(body.to_vec()).unwrap())
        };
        let claims = |audience, target| {
            Claims::new(audience, agent, tenant, roles.clone(), "r").for_request("POST", target)
        };
        // Its own request: accepted, over a forged header beside it, and gone by the handler.
        let (status, body) = send(
            Some(signer.hand(claims("intake", "/intake/dossiers/1?x=1"), now)),
            "POST",
            Some("v1.k1.forged.forged".to_owned()),
        )
        .await;
        assert_eq!(
            (status, body),
            (200, format!("Some({:?}) false", (agent, tenant)))
        );
        // Another service's, another request's, another method's, an expired one: refused.
        for (handed, method) in [
            (
                signer.hand(claims("decisions", "/intake/dossiers/1?x=1"), now),
                "POST",
            ),
            (
                signer.hand(claims("intake", "/intake/dossiers/2?x=1"), now),
                "POST",
            ),
            (
                signer.hand(claims("intake", "/intake/dossiers/1?x=1"), now),
                "GET",
            ),
            (
                signer.hand(
                    claims("intake", "/intake/dossiers/1?x=1"),
                    now - LIFETIME_SECONDS - LEEWAY_SECONDS - 1,
                ),
                "POST",
            ),
            (
                signer.hand(
                    claims("intake", "/intake/dossiers/1?x=1"),
                    now + LEEWAY_SECONDS + 1,
                ),
                "POST",
            ),
            // Handed with a key the service does not accept (another process's, a fresh one).
            (
                AssertionSigner::generate("k1")
                    .unwrap()
                    .hand(claims("intake", "/intake/dossiers/1?x=1"), now),
                "POST",
            ),
        ] {
            assert_eq!(send(Some(handed), method, None).await.0, 401);
        }
        // A refused handed identity does not fall back on a valid header beside it.
        let valid = signer.sign(claims("intake", "/intake/dossiers/1?x=1"), now);
        let wrong = signer.hand(claims("decisions", "/intake/dossiers/1?x=1"), now);
        assert_eq!(send(Some(wrong), "POST", Some(valid)).await.0, 401);
        // A valid handed identity wins over a valid header for another agent and tenant.
        let (other_agent, other_tenant, other_roles) = identity_parts();
        let theirs = signer.sign(
            Claims::new("intake", other_agent, other_tenant, other_roles, "r")
                .for_request("POST", "/intake/dossiers/1?x=1"),
            now,
        );
        let (status, body) = send(
            Some(signer.hand(claims("intake", "/intake/dossiers/1?x=1"), now)),
            "POST",
            Some(theirs),
        )
        .await;
        assert_eq!(
            (status, body),
            (200, format!("Some({:?}) false", (agent, tenant)))
        );
        // Neither handed nor signed: refused.
        assert_eq!(send(None, "POST", None).await.0, 401);
    }

    #[test]
    fn the_replay_cache_forgets_expired_assertions_in_order() {
        let cache = ReplayCache::default();
        assert!(cache.first_use("a", 100, 90));
        assert!(!cache.first_use("a", 100, 95), "seen");
        assert!(cache.first_use("b", 110, 100));
        // Past a's expiry and the leeway: a leaves, b stays.
        assert!(cache.first_use("c", 130, 100 + LEEWAY_SECONDS + 1));
        let seen = cache.seen.lock().unwrap();
        assert_eq!(seen.jtis.len(), 2);
        assert!(!seen.jtis.contains("a"));
    }

    #[test]
    fn keys_rotate_through_configuration() {
        let old = AssertionSigner::generate("2026-01").unwrap();
        let new = AssertionSigner::generate("2026-07").unwrap();
        let both = AssertionVerifier::from_config([
            old.public_config().as_str(),
            new.public_config().as_str(),
        ])
        .unwrap();
        let (agent, tenant, _) = identity_parts();
        assert!(
            both.verify(
                &old.sign(Claims::new("intake", agent, tenant, vec![], "r"), 10),
                "intake",
                10
            )
            .is_ok()
        );
        assert!(
            both.verify(
                &new.sign(Claims::new("intake", agent, tenant, vec![], "r"), 10),
                "intake",
                10
            )
            .is_ok()
        );
        let seed = B64.encode([7_u8; 32]);
        let configured = AssertionSigner::from_config(&format!("k:{seed}")).unwrap();
        assert!(configured.public_config().starts_with("k:"));
        assert!(AssertionSigner::from_config("k:short").is_err());
        assert!(AssertionVerifier::from_config(["nokid"]).is_err());
    }
}
