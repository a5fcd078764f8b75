//! Development OpenID Connect provider for Napoléon, mimicking ProConnect.
//!
//! It serves, over plain HTTP, what ProConnect serves to a relying party: discovery, JWKS,
//! an authorization endpoint (a French page listing demo agents instead of a real login),
//! a token endpoint (`client_secret_post`, PKCE S256 required), a UserInfo endpoint answering
//! an ES256-signed JWT, and an end-session endpoint. The demo thus runs the real relying-party
//! code. **Never deploy it in production**: anyone reaching it can log in as any demo agent.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use napoleon_devidp::{DevIdpConfig, router};
//! let config = DevIdpConfig {
//!     issuer: "http://127.0.0.1:8080/dev-idp".to_owned(),
//!     clients: vec![],
//!     agents: vec![],
//!     signing_key_pem: None,
//! };
//! // Nest at the issuer's path.
//! let app = axum::Router::new().nest("/dev-idp", router(config)?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! Differences with ProConnect, on purpose: PKCE S256 is required (ProConnect only supports it);
//! UserInfo is always a signed JWT (ProConnect signs it when the client registered
//! `userinfo_signed_response_alg`); no refresh tokens; `prompt=none` always answers
//! `login_required`. State lives in memory: a restart forgets every code, token and session.

mod authorize;
mod config;
mod discovery;
mod html;
mod jws;
mod logout;
mod store;
mod token;
mod util;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::routing::get;

pub use config::{DevAgent, DevClient, DevIdpConfig, SUPPORTED_ACR_VALUES, SUPPORTED_SCOPES};
pub use jws::generate_signing_key_pem;

/// Why the provider refused to start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DevIdpError {
    /// The issuer is not an absolute `http(s)` URL without query, fragment or trailing slash.
    #[error("issuer must be an http(s) URL without query, fragment or trailing slash: {0:?}")]
    InvalidIssuer(String),
    /// A client is unusable (empty or duplicate id, empty secret, no redirect URI).
    #[error("client {client_id:?}: {reason}")]
    InvalidClient {
        /// The client's id.
        client_id: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A redirect or post-logout redirect URI is not an absolute `http(s)` URI.
    #[error("client {client_id:?}: redirect URI {uri:?} is not an absolute http(s) URI")]
    InvalidRedirectUri {
        /// The client's id.
        client_id: String,
        /// The offending URI.
        uri: String,
    },
    /// An agent is unusable (empty or duplicate sub, unsupported acr).
    #[error("agent {sub:?}: {reason}")]
    InvalidAgent {
        /// The agent's sub.
        sub: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The signing key could not be read or generated.
    #[error("signing key: {0}")]
    SigningKey(String),
}

/// Shared state of the handlers.
#[derive(Debug)]
pub(crate) struct AppState {
    pub config: DevIdpConfig,
    pub key: jws::JwsKey,
    store: Mutex<store::Store>,
}

impl AppState {
    /// Locks the store; a panic elsewhere while holding it leaves data that is still coherent
    /// enough for a development provider, so poisoning is ignored.
    pub(crate) fn store(&self) -> MutexGuard<'_, store::Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.config.issuer)
    }
}

/// Builds the provider's routes, relative to the issuer's path: nest the result at that path
/// (e.g. `/dev-idp` for the issuer `http://127.0.0.1:8080/dev-idp`).
///
/// Routes: `GET /.well-known/openid-configuration`, `GET /jwks`, `GET|POST /authorize`,
/// `POST /token`, `GET|POST /userinfo`, `GET /session/end`.
pub fn router(config: DevIdpConfig) -> Result<Router, DevIdpError> {
    config.validate()?;
    let key = jws::JwsKey::new(config.signing_key_pem.as_ref().map(|k| k.expose().as_str()))?;
    let state = Arc::new(AppState {
        config,
        key,
        store: Mutex::new(store::Store::default()),
    });
    Ok(Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route("/jwks", get(discovery::jwks))
        .route(
            "/authorize",
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route("/token", axum::routing::post(token::token))
        .route("/userinfo", get(token::userinfo).post(token::userinfo))
        .route("/session/end", get(logout::end_session))
        .with_state(state))
}
