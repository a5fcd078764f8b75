//! The ProConnect relying party (any standard OpenID provider, configured by discovery URL).
//!
//! Authorization code flow with PKCE S256; `state` and `nonce` of 32 random characters, bound
//! to the pre-login server-side session and used once. The ID token is verified by
//! `openidconnect` (signature against the provider's JWKS with the algorithms it announces —
//! never `none` —, issuer, audience, expiry, nonce) plus an issue-time check. UserInfo is
//! accepted as JSON or as a signed JWT (ProConnect's form when signing is registered): the JWT
//! is verified here (`openidconnect` 4.1 only verifies RS256 userinfo), its `iss` and `aud`
//! checked, and its `sub` must equal the ID token's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use napoleon_kernel::Secret;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreIdToken, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AdditionalClaims, AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    JsonWebKey, Nonce, OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope, SubjectIdentifier,
    TokenResponse as _, UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

/// ProConnect's claims beyond the standard ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProConnectClaims {
    /// Usage name (ProConnect does not send `family_name`).
    pub usual_name: Option<String>,
    /// The agent's id at their identity provider.
    pub uid: Option<String>,
    /// The employer's SIRET.
    pub siret: Option<String>,
    /// The identity provider behind ProConnect.
    pub idp_id: Option<String>,
    /// Free-text unit.
    pub organizational_unit: Option<String>,
    /// Population (agents, contractors…).
    pub belonging_population: Option<String>,
}

impl AdditionalClaims for ProConnectClaims {}

/// The default scopes, as ProConnect names them.
pub use napoleon_kernel::proconnect::SCOPES as DEFAULT_SCOPES;

/// The client as built from discovered metadata: authorization endpoint set, token endpoint
/// and userinfo endpoint as the provider announced them.
type DiscoveredClient = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// One configured provider.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Short name, in URLs (`/connexion/<name>`).
    pub name: String,
    /// The button's label (« ProConnect »).
    pub label: String,
    /// Issuer URL; discovery reads `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    /// Client id registered with the provider.
    pub client_id: String,
    /// Client secret (`client_secret_post`).
    pub client_secret: Secret<String>,
    /// Scopes; default: ProConnect's.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// How the login page offers it: ProConnect's own button (the default: providers are
    /// ProConnect's environments), or a plain button with the label (a development provider).
    #[serde(default)]
    pub button: LoginButton,
}

/// The login page's button for a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LoginButton {
    /// DSFR's `fr-connect fr-connect--pro` (« S'identifier avec ProConnect »), first on the page,
    /// as ProConnect's partner guidelines ask.
    #[default]
    ProConnect,
    /// A plain DSFR button « Se connecter avec `label` », after ProConnect's.
    Plain,
}

/// Why a login failed. Each is shown as a French page; nothing is stored for a refused login.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// No such provider.
    #[error("unknown provider")]
    UnknownProvider,
    /// Discovery or a provider endpoint is unreachable.
    #[error("identity provider unreachable: {0}")]
    Unreachable(String),
    /// The provider answered `error=` on the callback.
    #[error("provider refused: {0}")]
    ProviderRefused(String),
    /// No pending login (expired, replayed or forged callback), or state mismatch.
    #[error("state mismatch or replay")]
    State,
    /// The code exchange failed.
    #[error("code exchange failed: {0}")]
    Exchange(String),
    /// The ID token failed verification.
    #[error("invalid ID token: {0}")]
    IdToken(String),
    /// The UserInfo response failed verification.
    #[error("invalid userinfo: {0}")]
    UserInfo(String),
    /// A required claim is missing or malformed.
    #[error("missing or invalid claim: {0}")]
    Claim(&'static str),
}

impl LoginError {
    /// A stable code (logs, metrics' `reason`).
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::UnknownProvider => "login.unknown_provider",
            Self::Unreachable(_) => "login.provider_unreachable",
            Self::ProviderRefused(_) => "login.provider_refused",
            Self::State => "login.state_mismatch",
            Self::Exchange(_) => "login.code_exchange",
            Self::IdToken(_) => "login.id_token_invalid",
            Self::UserInfo(_) => "login.userinfo_invalid",
            Self::Claim(_) => "login.claim_missing",
        }
    }
}

/// What the pre-login session keeps between the redirect and the callback.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    /// Provider name.
    pub provider: String,
    /// CSRF state.
    pub state: String,
    /// Nonce.
    pub nonce: String,
    /// PKCE verifier.
    pub pkce_verifier: String,
    /// When the redirect was issued (Unix seconds): pending logins expire.
    pub issued_at: i64,
}

/// A verified login.
#[derive(Debug, Clone)]
pub struct VerifiedLogin {
    /// Issuer.
    pub issuer: String,
    /// Subject.
    pub subject: String,
    /// Email.
    pub email: String,
    /// First names.
    pub given_name: String,
    /// Usage name.
    pub usual_name: String,
    /// ProConnect's idp id.
    pub idp_id: Option<String>,
    /// The provider's `email_verified`, when it gives one.
    pub email_verified: Option<bool>,
    /// Authentication context reached.
    pub acr: Option<String>,
    /// The raw ID token (the logout hint).
    pub id_token: String,
}

struct Provider {
    config: ProviderConfig,
    metadata: RwLock<Option<(Instant, Arc<ProviderMetadataWithLogout>)>>,
}

/// The configured providers.
#[derive(Clone)]
pub struct Providers {
    entries: Arc<Vec<Provider>>,
    http: openidconnect::reqwest::Client,
    redirect_uri: RedirectUrl,
    post_logout_uri: PostLogoutRedirectUrl,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self
            .entries
            .iter()
            .map(|p| p.config.name.as_str())
            .collect();
        f.debug_struct("Providers")
            .field("names", &names)
            .finish_non_exhaustive()
    }
}

/// The signature algorithms accepted from a provider, whatever it announces: asymmetric
/// ones only. HS* would be keyed with our own client secret (anyone holding it could sign),
/// `none` signs nothing.
const ASYMMETRIC: [CoreJwsSigningAlgorithm; 10] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// The ID token algorithms to accept: those the provider announces among [`ASYMMETRIC`]
/// (RS256, OpenID Connect's default, when it announces none of them).
fn allowed_algorithms(announced: &[CoreJwsSigningAlgorithm]) -> Vec<CoreJwsSigningAlgorithm> {
    let allowed: Vec<CoreJwsSigningAlgorithm> = announced
        .iter()
        .filter(|a| ASYMMETRIC.contains(a))
        .cloned()
        .collect();
    if allowed.is_empty() {
        vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256]
    } else {
        allowed
    }
}

/// How long discovered metadata (and its keys) is trusted before it is fetched again.
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// How long a pending login may wait for its callback.
pub const PENDING_LOGIN_SECONDS: i64 = 600;

impl Providers {
    /// Providers answering on `public_url` (callback `/connexion/retour`, logout return
    /// `/deconnexion/retour`).
    ///
    /// # Errors
    /// A message when the URLs or the HTTP client cannot be built.
    pub fn new(configs: Vec<ProviderConfig>, public_url: &str) -> Result<Self, String> {
        // Names are the login URLs; ProConnect's button shows no label, so two of them could
        // not be told apart on the login page.
        let mut names: Vec<&str> = configs.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        if let Some(twice) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("two identity providers are named {:?}", twice[0]));
        }
        let proconnect = configs
            .iter()
            .filter(|c| c.button == LoginButton::ProConnect)
            .count();
        if proconnect > 1 {
            return Err(format!(
                "{proconnect} identity providers have ProConnect's button: at most one may \
                 (set button = \"plain\" on the others)"
            ));
        }
        let base = public_url.trim_end_matches('/');
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            entries: Arc::new(
                configs
                    .into_iter()
                    .map(|config| Provider {
                        config,
                        metadata: RwLock::new(None),
                    })
                    .collect(),
            ),
            http,
            redirect_uri: RedirectUrl::new(format!("{base}/connexion/retour"))
                .map_err(|e| e.to_string())?,
            post_logout_uri: PostLogoutRedirectUrl::new(format!("{base}/deconnexion/retour"))
                .map_err(|e| e.to_string())?,
        })
    }

    /// The origins (`scheme://host:port`) of the providers' issuers, where their end-session
    /// endpoints are: the pages' logout form must be allowed to reach them (CSP `form-action`).
    #[must_use]
    pub fn origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = self
            .entries
            .iter()
            .filter_map(|p| url::Url::parse(&p.config.issuer).ok())
            .map(|u| u.origin().ascii_serialization())
            .filter(|o| o != "null")
            .collect();
        origins.sort();
        origins.dedup();
        origins
    }

    /// `(name, label, button)` of each provider, for the login page.
    #[must_use]
    pub fn list(&self) -> Vec<(String, String, LoginButton)> {
        self.entries
            .iter()
            .map(|p| {
                (
                    p.config.name.clone(),
                    p.config.label.clone(),
                    p.config.button,
                )
            })
            .collect()
    }

    /// Each provider's issuer, as configured: what tenants trust.
    #[must_use]
    pub fn issuers(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|p| p.config.issuer.clone())
            .collect()
    }

    /// `(label, issuer)` of each provider, for the operators' page.
    #[must_use]
    pub fn labelled_issuers(&self) -> Vec<(String, String)> {
        self.entries
            .iter()
            .map(|p| (p.config.label.clone(), p.config.issuer.clone()))
            .collect()
    }

    fn provider(&self, name: &str) -> Result<&Provider, LoginError> {
        self.entries
            .iter()
            .find(|p| p.config.name == name)
            .ok_or(LoginError::UnknownProvider)
    }

    async fn metadata(
        &self,
        provider: &Provider,
        refresh: bool,
    ) -> Result<Arc<ProviderMetadataWithLogout>, LoginError> {
        if !refresh
            && let Some((at, metadata)) = provider.metadata.read().await.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(Arc::clone(metadata));
        }
        let issuer = IssuerUrl::new(provider.config.issuer.clone())
            .map_err(|e| LoginError::Unreachable(e.to_string()))?;
        let metadata = Arc::new(
            ProviderMetadataWithLogout::discover_async(issuer, &self.http)
                .await
                .map_err(|e| LoginError::Unreachable(e.to_string()))?,
        );
        *provider.metadata.write().await = Some((Instant::now(), Arc::clone(&metadata)));
        Ok(metadata)
    }

    fn client(
        &self,
        provider: &Provider,
        metadata: &ProviderMetadataWithLogout,
    ) -> DiscoveredClient {
        CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(provider.config.client_id.clone()),
            Some(ClientSecret::new(
                provider.config.client_secret.expose().clone(),
            )),
        )
        .set_redirect_uri(self.redirect_uri.clone())
        .set_auth_type(AuthType::RequestBody)
    }

    /// The provider's authorization URL, and what the session must keep for the callback.
    /// `acr_values`, when not empty, are requested as essential `acr` claim values.
    ///
    /// # Errors
    /// [`LoginError`] (unknown provider, discovery unreachable).
    pub async fn authorize(
        &self,
        name: &str,
        acr_values: &[String],
        now: i64,
    ) -> Result<(String, PendingLogin), LoginError> {
        let provider = self.provider(name)?;
        let metadata = self.metadata(provider, false).await?;
        let client = self.client(provider, &metadata);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            || CsrfToken::new_random_len(32),
            || Nonce::new_random_len(32),
        );
        let scopes: Vec<String> = if provider.config.scopes.is_empty() {
            DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect()
        } else {
            provider.config.scopes.clone()
        };
        for scope in scopes.into_iter().filter(|s| s != "openid") {
            request = request.add_scope(Scope::new(scope));
        }
        request = request.set_pkce_challenge(challenge);
        if !acr_values.is_empty() {
            let claims = serde_json::json!({ "id_token": { "acr": { "essential": true, "values": acr_values } } });
            request = request.add_extra_param("claims", claims.to_string());
        }
        let (url, state, nonce) = request.url();
        Ok((
            url.to_string(),
            PendingLogin {
                provider: name.to_owned(),
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                issued_at: now,
            },
        ))
    }

    /// Completes a login: exchanges the code and verifies the ID token and UserInfo.
    ///
    /// # Errors
    /// [`LoginError`] naming the failed check.
    pub async fn complete(
        &self,
        pending: &PendingLogin,
        code: &str,
        now: i64,
    ) -> Result<VerifiedLogin, LoginError> {
        let provider = self.provider(&pending.provider)?;
        let metadata = self.metadata(provider, false).await?;
        let client = self.client(provider, &metadata);
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| LoginError::Exchange(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| LoginError::Exchange(e.to_string()))?;
        let id_token = token
            .id_token()
            .ok_or_else(|| LoginError::IdToken("no id_token".to_owned()))?;
        let nonce = Nonce::new(pending.nonce.clone());
        // The signature with an asymmetric algorithm the provider announces (never HS*, whose
        // key would be our client secret, nor none); a key unknown to the cached JWKS may be
        // a rotation: discover again once.
        let mut verified = None;
        for refresh in [false, true] {
            let metadata = if refresh {
                self.metadata(provider, true).await?
            } else {
                Arc::clone(&metadata)
            };
            let client = self.client(provider, &metadata);
            let verifier = client
                .id_token_verifier()
                .set_allowed_algs(allowed_algorithms(
                    metadata.id_token_signing_alg_values_supported(),
                ));
            match id_token.claims(&verifier, &nonce) {
                Ok(claims) => {
                    verified = Some(claims.clone());
                    break;
                }
                Err(openidconnect::ClaimsVerificationError::SignatureVerification(_))
                    if !refresh => {}
                Err(e) => return Err(LoginError::IdToken(e.to_string())),
            }
        }
        let claims = verified.ok_or_else(|| LoginError::IdToken("signature".to_owned()))?;
        let iat = claims.issue_time().timestamp();
        if iat > now + 60 || iat < now - PENDING_LOGIN_SECONDS {
            return Err(LoginError::IdToken(
                "issued at an implausible time".to_owned(),
            ));
        }
        let subject = claims.subject().clone();
        let acr = claims.auth_context_ref().map(|a| a.as_str().to_owned());
        let issuer = claims.issuer().as_str().to_owned();

        let userinfo = self
            .userinfo(provider, &metadata, token.access_token().secret(), &subject)
            .await?;
        let email = userinfo
            .email()
            .map(|e| e.as_str().to_owned())
            .ok_or(LoginError::Claim("email"))?;
        let given_name = userinfo
            .given_name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned())
            .ok_or(LoginError::Claim("given_name"))?;
        let extra = userinfo.additional_claims();
        let usual_name = extra
            .usual_name
            .clone()
            .ok_or(LoginError::Claim("usual_name"))?;
        Ok(VerifiedLogin {
            issuer,
            subject: subject.as_str().to_owned(),
            email,
            given_name,
            usual_name,
            idp_id: extra.idp_id.clone(),
            email_verified: userinfo.email_verified(),
            acr,
            id_token: id_token.to_string(),
        })
    }

    async fn userinfo(
        &self,
        provider: &Provider,
        metadata: &ProviderMetadataWithLogout,
        access_token: &str,
        subject: &SubjectIdentifier,
    ) -> Result<UserInfoClaims<ProConnectClaims, CoreGenderClaim>, LoginError> {
        let endpoint = metadata
            .userinfo_endpoint()
            .ok_or_else(|| LoginError::UserInfo("no userinfo endpoint".to_owned()))?;
        let response = self
            .http
            .get(endpoint.url().as_str())
            .bearer_auth(access_token)
            .header("accept", "application/jwt, application/json")
            .send()
            .await
            .map_err(|e| LoginError::Unreachable(e.to_string()))?;
        if !response.status().is_success() {
            return Err(LoginError::UserInfo(format!(
                "status {}",
                response.status()
            )));
        }
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = response
            .bytes()
            .await
            .map_err(|e| LoginError::UserInfo(e.to_string()))?;
        let json = if content_type.starts_with("application/jwt") {
            let text =
                std::str::from_utf8(&body).map_err(|e| LoginError::UserInfo(e.to_string()))?;
            let payload = self.verify_jwt(provider, metadata, text.trim()).await?;
            let claims: serde_json::Value = serde_json::from_slice(&payload)
                .map_err(|e| LoginError::UserInfo(e.to_string()))?;
            if claims["iss"].as_str() != Some(metadata.issuer().as_str()) {
                return Err(LoginError::UserInfo("iss".to_owned()));
            }
            let audience_ok = match &claims["aud"] {
                serde_json::Value::String(a) => *a == provider.config.client_id,
                serde_json::Value::Array(a) => a
                    .iter()
                    .any(|v| v.as_str() == Some(provider.config.client_id.as_str())),
                _ => false,
            };
            if !audience_ok {
                return Err(LoginError::UserInfo("aud".to_owned()));
            }
            payload
        } else if content_type.starts_with("application/json") {
            // A provider that announces signed UserInfo (ProConnect does) never sends it
            // plain: a plain answer is someone else's.
            if metadata
                .userinfo_signing_alg_values_supported()
                .is_some_and(|algs| !algs.is_empty())
            {
                return Err(LoginError::UserInfo(
                    "unsigned userinfo from a provider that signs it".to_owned(),
                ));
            }
            body.to_vec()
        } else {
            return Err(LoginError::UserInfo(format!(
                "unexpected content-type {content_type}"
            )));
        };
        // from_json also checks that `sub` equals the ID token's.
        UserInfoClaims::<ProConnectClaims, CoreGenderClaim>::from_json::<
            openidconnect::reqwest::Error,
        >(&json, Some(subject))
        .map_err(|e| LoginError::UserInfo(e.to_string()))
    }

    /// Verifies a compact JWS against the provider's keys; returns the payload.
    async fn verify_jwt(
        &self,
        provider: &Provider,
        metadata: &ProviderMetadataWithLogout,
        jwt: &str,
    ) -> Result<Vec<u8>, LoginError> {
        let bad = |what: &str| LoginError::UserInfo(what.to_owned());
        let mut parts = jwt.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("not a compact JWS"));
        };
        let header_json: serde_json::Value = B64
            .decode(header)
            .ok()
            .and_then(|h| serde_json::from_slice(&h).ok())
            .ok_or_else(|| bad("header"))?;
        let alg_name = header_json["alg"].as_str().ok_or_else(|| bad("alg"))?;
        let alg: CoreJwsSigningAlgorithm =
            serde_json::from_value(serde_json::Value::String(alg_name.to_owned()))
                .map_err(|_| bad("alg"))?;
        let announced = metadata
            .userinfo_signing_alg_values_supported()
            .is_some_and(|algs| algs.contains(&alg));
        if !ASYMMETRIC.contains(&alg) || !announced {
            return Err(bad("algorithm not announced by the provider"));
        }
        let signature = B64
            .decode(signature)
            .map_err(|_| bad("signature encoding"))?;
        let message = format!("{header}.{payload}");
        let kid = header_json["kid"].as_str();
        // The key may have rotated since discovery: look again once.
        for refresh in [false, true] {
            let metadata = if refresh {
                self.metadata(provider, true).await?
            } else {
                Arc::new(metadata.clone())
            };
            let verified = metadata
                .jwks()
                .keys()
                .iter()
                .filter(|k| kid.is_none() || k.key_id().map(|i| i.as_str()) == kid)
                .any(|k| {
                    k.verify_signature(&alg, message.as_bytes(), &signature)
                        .is_ok()
                });
            if verified {
                return B64.decode(payload).map_err(|_| bad("payload encoding"));
            }
        }
        Err(bad("bad signature"))
    }

    /// The provider's end-session URL for this login, or `None` if it has none.
    ///
    /// # Errors
    /// [`LoginError`] (unknown provider, discovery unreachable).
    pub async fn logout_url(
        &self,
        name: &str,
        id_token: &str,
        state: &str,
    ) -> Result<Option<String>, LoginError> {
        let provider = self.provider(name)?;
        let metadata = self.metadata(provider, false).await?;
        let Some(end_session) = metadata.additional_metadata().end_session_endpoint.clone() else {
            return Ok(None);
        };
        let hint: CoreIdToken = id_token
            .parse()
            .map_err(|_| LoginError::IdToken("stored hint".to_owned()))?;
        let url = openidconnect::LogoutRequest::from(end_session)
            .set_id_token_hint(&hint)
            .set_client_id(ClientId::new(provider.config.client_id.clone()))
            .set_post_logout_redirect_uri(self.post_logout_uri.clone())
            .set_state(CsrfToken::new(state.to_owned()))
            .http_get_url();
        Ok(Some(url.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(name: &str, button: LoginButton) -> ProviderConfig {
        ProviderConfig {
            name: name.to_owned(),
            label: name.to_owned(),
            issuer: format!("https://{name}.example"),
            client_id: "napoleon".to_owned(),
            client_secret: napoleon_kernel::Secret::new("secret".to_owned()),
            scopes: Vec::new(),
            button,
        }
    }

    #[test]
    fn providers_are_told_apart_on_the_login_page() {
        let base = "https://napoleon.example";
        let one = || provider("proconnect", LoginButton::ProConnect);
        assert!(Providers::new(vec![one(), provider("demo", LoginButton::Plain)], base).is_ok());
        let two = Providers::new(
            vec![one(), provider("integration", LoginButton::ProConnect)],
            base,
        );
        assert!(two.is_err_and(|e| e.contains("at most one")));
        let same = Providers::new(
            vec![one(), provider("proconnect", LoginButton::Plain)],
            base,
        );
        assert!(same.is_err_and(|e| e.contains("named")));
    }
}
