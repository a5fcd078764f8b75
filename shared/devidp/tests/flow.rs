//! End-to-end tests: the provider served over real HTTP on 127.0.0.1, driven by the
//! `openidconnect` client the gateway uses.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use napoleon_devidp::{DevAgent, DevClient, DevIdpConfig, DevIdpError, router};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreGenderClaim,
    CoreJwsSigningAlgorithm, CoreTokenType,
};
use openidconnect::reqwest;
use openidconnect::url::Url;
use openidconnect::{
    AccessToken, AccessTokenHash, AdditionalClaims, AuthType, AuthorizationCode,
    ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, JsonWebKey as _, LogoutRequest, Nonce, OAuth2TokenResponse as _,
    PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout,
    RedirectUrl, RequestTokenError, Scope, SignatureVerificationError, SubjectIdentifier,
    TokenResponse as _, UserInfoClaims, UserInfoError, UserInfoResponseType,
};
use serde::{Deserialize, Serialize};

const CLIENT_ID: &str = "napoleon-gateway";
const CLIENT_SECRET: &str = "dev-secret-never-in-production";
const REDIRECT_URI: &str = "https://napoleon.test/auth/callback";
const POST_LOGOUT_URI: &str = "https://napoleon.test/auth/logged-out";
const ALL_SCOPES: [&str; 8] = [
    "email",
    "given_name",
    "usual_name",
    "uid",
    "siret",
    "idp_id",
    "organizational_unit",
    "belonging_population",
];

/// ProConnect's non-standard claims, as the gateway would declare them.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct ProConnectClaims {
    usual_name: Option<String>,
    uid: Option<String>,
    siret: Option<String>,
    idp_id: Option<String>,
    organizational_unit: Option<String>,
    belonging_population: Option<String>,
}
impl AdditionalClaims for ProConnectClaims {}

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

fn agent(sub: &str, given: &str, usual: &str, acr: &str, tenant: &str, unit: &str) -> DevAgent {
    DevAgent {
        sub: sub.to_owned(),
        email: format!(
            "{}.{}@interieur.gouv.fr",
            given.to_lowercase(),
            usual.to_lowercase()
        ),
        given_name: given.to_owned(),
        usual_name: usual.to_owned(),
        uid: format!("uid-{sub}"),
        siret: "11000201100044".to_owned(),
        idp_id: "71144ab3-ee1a-4401-b7b3-79b44f7daeeb".to_owned(),
        organizational_unit: "Ministère/Direction/Bureau des décorations".to_owned(),
        belonging_population: "agent".to_owned(),
        acr: acr.to_owned(),
        tenant_label: tenant.to_owned(),
        unit_label: unit.to_owned(),
        role_label: "Gestionnaire des distinctions".to_owned(),
    }
}

fn config(issuer: &str) -> DevIdpConfig {
    DevIdpConfig {
        issuer: issuer.to_owned(),
        clients: vec![DevClient {
            client_id: CLIENT_ID.to_owned(),
            client_secret: napoleon_kernel::Secret::new(CLIENT_SECRET.to_owned()),
            redirect_uris: vec![REDIRECT_URI.to_owned()],
            post_logout_redirect_uris: vec![POST_LOGOUT_URI.to_owned()],
        }],
        agents: vec![
            agent(
                "agent-marianne",
                "Marianne",
                "Dupont",
                "eidas2",
                "Ministère de l’Intérieur",
                "Bureau des décorations",
            ),
            agent(
                "agent-jean",
                "Jean",
                "Martin",
                "eidas1",
                "Ministère des Armées",
                "Chancellerie <Légion d'honneur> & co",
            ),
        ],
        signing_key_pem: None,
    }
}

/// A provider on an ephemeral port, nested at `/dev-idp` as the demo binary does.
async fn start() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let issuer = format!("http://{}/dev-idp", listener.local_addr().expect("addr"));
    let app = axum::Router::new().nest("/dev-idp", router(config(&issuer)).expect("router"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    issuer
}

fn http() -> reqwest::Client {
    reqwest::ClientBuilder::new()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

async fn discover(issuer: &str, http: &reqwest::Client) -> ProviderMetadataWithLogout {
    ProviderMetadataWithLogout::discover_async(
        IssuerUrl::new(issuer.to_owned()).expect("issuer"),
        http,
    )
    .await
    .expect("discovery")
}

fn client(metadata: &ProviderMetadataWithLogout, secret: &str) -> Client {
    CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(CLIENT_ID.to_owned()),
        Some(ClientSecret::new(secret.to_owned())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned()).expect("redirect"))
    .set_auth_type(AuthType::RequestBody)
}

/// Pulls the hidden pending-authorization id out of the login page.
fn pending_id(html: &str) -> String {
    let marker = "name=\"pending\" value=\"";
    let start = html.find(marker).expect("pending field") + marker.len();
    let len = html[start..].find('"').expect("end of value");
    html[start..start + len].to_owned()
}

fn query_param(location: &str, name: &str) -> Option<String> {
    Url::parse(location)
        .expect("location URL")
        .query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

fn location(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|v| v.to_str().expect("ascii location").to_owned())
}

/// What the relying party keeps between the redirect and the callback.
struct LoggedIn {
    code: AuthorizationCode,
    nonce: Nonce,
    verifier: PkceCodeVerifier,
}

/// Authorization request built by the real client, agent chosen on the page, code read
/// from the `Location` header.
async fn login(client: &Client, http: &reqwest::Client, issuer: &str, sub: &str) -> LoggedIn {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scopes(ALL_SCOPES.map(|s| Scope::new(s.to_owned())))
        .add_extra_param(
            "claims",
            r#"{"id_token":{"amr":{"essential":true},"acr":{"essential":true,"values":["eidas2","eidas3"]}}}"#,
        )
        .set_pkce_challenge(challenge)
        .url();
    let page = http.get(url).send().await.expect("authorize page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    let chosen = http
        .post(format!("{issuer}/authorize"))
        .form(&[("pending", pending_id(&html).as_str()), ("sub", sub)])
        .send()
        .await
        .expect("choice");
    assert_eq!(chosen.status(), 303);
    let location = location(&chosen).expect("redirect to the client");
    assert!(location.starts_with(&format!("{REDIRECT_URI}?")));
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some(csrf.secret().as_str())
    );
    let code = query_param(&location, "code").expect("code");
    assert!(code.len() >= 32);
    LoggedIn {
        code: AuthorizationCode::new(code),
        nonce,
        verifier,
    }
}

/// How the gateway reads ProConnect's signed UserInfo with `openidconnect` 4.1: its own
/// `UserInfoRequest` only accepts RS256-signed responses, so fetch the JWT, verify it with the
/// discovered JWKS (`JsonWebKey::verify_signature`), check `iss` and `aud`, then let
/// `UserInfoClaims::from_json` parse it and check `sub`.
async fn signed_userinfo(
    http: &reqwest::Client,
    metadata: &ProviderMetadataWithLogout,
    access_token: &AccessToken,
    expected_sub: &SubjectIdentifier,
) -> Result<UserInfoClaims<ProConnectClaims, CoreGenderClaim>, String> {
    let url = metadata.userinfo_endpoint().ok_or("no userinfo endpoint")?;
    let response = http
        .get(url.url().clone())
        .bearer_auth(access_token.secret())
        .header(reqwest::header::ACCEPT, "application/jwt")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status() != 200 {
        return Err(format!("status {}", response.status()));
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if !content_type.starts_with("application/jwt") {
        return Err(format!("not a JWT: {content_type}"));
    }
    let jwt = response.text().await.map_err(|e| e.to_string())?;
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, payload, signature] = parts[..] else {
        return Err("not a compact JWS".to_owned());
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|e| e.to_string());
    let header: serde_json::Value =
        serde_json::from_slice(&decode(header)?).map_err(|e| e.to_string())?;
    if header["alg"] != "ES256" {
        return Err(format!("unexpected alg {}", header["alg"]));
    }
    let key = metadata
        .jwks()
        .keys()
        .iter()
        .find(|k| k.key_id().map(|id| id.as_str()) == header["kid"].as_str())
        .ok_or("unknown kid")?;
    key.verify_signature(
        &CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        format!("{}.{}", parts[0], parts[1]).as_bytes(),
        &decode(signature)?,
    )
    .map_err(|e| format!("bad signature: {e}"))?;
    let claims = UserInfoClaims::<ProConnectClaims, CoreGenderClaim>::from_json::<reqwest::Error>(
        &decode(payload)?,
        Some(expected_sub),
    )
    .map_err(|e| format!("claims: {e:?}"))?;
    if claims.issuer() != Some(metadata.issuer()) {
        return Err("wrong issuer".to_owned());
    }
    if !claims
        .audiences()
        .is_some_and(|auds| auds.len() == 1 && auds[0].as_str() == CLIENT_ID)
    {
        return Err("wrong audience".to_owned());
    }
    Ok(claims)
}

#[tokio::test]
async fn discovery_and_jwks_describe_a_proconnect_like_provider() {
    let issuer = start().await;
    let http = http();
    let doc: serde_json::Value = http
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .expect("discovery")
        .text()
        .await
        .map(|t| serde_json::from_str(&t))
        .expect("body")
        .expect("json");
    assert_eq!(doc["issuer"], issuer.as_str());
    assert_eq!(doc["authorization_endpoint"], format!("{issuer}/authorize"));
    assert_eq!(doc["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(doc["userinfo_endpoint"], format!("{issuer}/userinfo"));
    assert_eq!(doc["jwks_uri"], format!("{issuer}/jwks"));
    assert_eq!(doc["end_session_endpoint"], format!("{issuer}/session/end"));
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        doc["grant_types_supported"],
        serde_json::json!(["authorization_code"])
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
    assert_eq!(
        doc["userinfo_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_post"])
    );
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        doc["acr_values_supported"],
        serde_json::json!(["eidas1", "eidas2", "eidas3"])
    );
    assert_eq!(doc["claims_parameter_supported"], true);
    for scope in ALL_SCOPES {
        assert!(
            doc["scopes_supported"]
                .as_array()
                .expect("scopes")
                .iter()
                .any(|s| s == scope)
        );
    }

    let jwks: serde_json::Value = http
        .get(format!("{issuer}/jwks"))
        .send()
        .await
        .expect("jwks")
        .text()
        .await
        .map(|t| serde_json::from_str(&t))
        .expect("body")
        .expect("json");
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "EC");
    assert_eq!(key["crv"], "P-256");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["alg"], "ES256");
    assert!(key["kid"].as_str().is_some_and(|kid| kid.len() == 43));
    assert!(
        key.get("d").is_none(),
        "the private part is never published"
    );
}

#[tokio::test]
async fn full_code_flow_with_the_openidconnect_client() {
    let issuer = start().await;
    let http = http();
    let metadata = discover(&issuer, &http).await;
    let client = client(&metadata, CLIENT_SECRET);
    let logged_in = login(&client, &http, &issuer, "agent-marianne").await;

    let token = client
        .exchange_code(logged_in.code)
        .expect("token endpoint")
        .set_pkce_verifier(logged_in.verifier)
        .request_async(&http)
        .await
        .expect("token response");
    assert_eq!(token.token_type(), &CoreTokenType::Bearer);
    let id_token = token.id_token().expect("id_token");
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &logged_in.nonce)
        .expect("ID token verified (ES256, iss, aud, exp, nonce)");
    assert_eq!(claims.subject().as_str(), "agent-marianne");
    assert_eq!(
        claims.auth_context_ref().map(|acr| acr.as_str()),
        Some("eidas2")
    );
    let amr: Vec<&str> = claims
        .auth_method_refs()
        .expect("amr")
        .iter()
        .map(|m| m.as_str())
        .collect();
    assert!(amr.contains(&"mfa"));
    assert!(claims.auth_time().is_some());
    assert!(
        claims.email().is_none(),
        "like ProConnect, identity claims are not in the ID token"
    );
    let expected_hash = AccessTokenHash::from_token(
        token.access_token(),
        id_token.signing_alg().expect("alg"),
        id_token.signing_key(&verifier).expect("key"),
    )
    .expect("hash");
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));

    // openidconnect 4.1's own UserInfo request refuses any signed response not in RS256.
    let refused = client
        .user_info(token.access_token().clone(), Some(claims.subject().clone()))
        .expect("userinfo endpoint")
        .require_signed_response(true)
        .set_response_type(UserInfoResponseType::Jwt)
        .request_async::<ProConnectClaims, _, CoreGenderClaim>(&http)
        .await;
    assert!(matches!(
        refused,
        Err(UserInfoError::ClaimsVerification(
            ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::DisallowedAlg(_)
            )
        ))
    ));

    let userinfo = signed_userinfo(&http, &metadata, token.access_token(), claims.subject())
        .await
        .expect("signed userinfo verified");
    assert_eq!(userinfo.subject().as_str(), "agent-marianne");
    assert_eq!(
        userinfo
            .given_name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str()),
        Some("Marianne")
    );
    assert_eq!(
        userinfo.email().map(|e| e.as_str()),
        Some("marianne.dupont@interieur.gouv.fr")
    );
    let extra = userinfo.additional_claims();
    assert_eq!(extra.usual_name.as_deref(), Some("Dupont"));
    assert_eq!(extra.uid.as_deref(), Some("uid-agent-marianne"));
    assert_eq!(extra.siret.as_deref(), Some("11000201100044"));
    assert_eq!(
        extra.idp_id.as_deref(),
        Some("71144ab3-ee1a-4401-b7b3-79b44f7daeeb")
    );
    assert_eq!(
        extra.organizational_unit.as_deref(),
        Some("Ministère/Direction/Bureau des décorations")
    );
    assert_eq!(extra.belonging_population.as_deref(), Some("agent"));

    // The recipe rejects a userinfo answer for another subject.
    let other = SubjectIdentifier::new("agent-jean".to_owned());
    assert!(
        signed_userinfo(&http, &metadata, token.access_token(), &other)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn userinfo_releases_only_the_granted_scopes() {
    let issuer = start().await;
    let http = http();
    let metadata = discover(&issuer, &http).await;
    let client = client(&metadata, CLIENT_SECRET);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _csrf, _nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    let html = http
        .get(url)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let chosen = http
        .post(format!("{issuer}/authorize"))
        .form(&[
            ("pending", pending_id(&html).as_str()),
            ("sub", "agent-jean"),
        ])
        .send()
        .await
        .expect("choice");
    let code = query_param(&location(&chosen).expect("location"), "code").expect("code");
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .expect("token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("token");
    let sub = SubjectIdentifier::new("agent-jean".to_owned());
    let userinfo = signed_userinfo(&http, &metadata, token.access_token(), &sub)
        .await
        .expect("userinfo");
    assert!(userinfo.email().is_some());
    assert!(userinfo.given_name().is_none());
    assert!(userinfo.additional_claims().siret.is_none());
}

#[tokio::test]
async fn authorization_errors_are_redirected_per_rfc6749() {
    let issuer = start().await;
    let http = http();
    let challenge = PkceCodeChallenge::new_random_sha256().0;
    let challenge = challenge.as_str();
    let base = format!(
        "{issuer}/authorize?client_id={CLIENT_ID}&redirect_uri={}&scope=openid%20email",
        percent(REDIRECT_URI)
    );
    let cases = [
        // Missing PKCE: refused, as this provider requires S256.
        (
            format!("{base}&response_type=code&state=st&nonce=n"),
            "invalid_request",
            true,
        ),
        (
            format!(
                "{base}&response_type=code&state=st&nonce=n&code_challenge={challenge}&code_challenge_method=plain"
            ),
            "invalid_request",
            true,
        ),
        (
            format!(
                "{base}&response_type=code&state=st&code_challenge={challenge}&code_challenge_method=S256"
            ),
            "invalid_request",
            true,
        ),
        (
            format!(
                "{base}&response_type=code&nonce=n&code_challenge={challenge}&code_challenge_method=S256"
            ),
            "invalid_request",
            false,
        ),
        (
            format!(
                "{base}&response_type=token&state=st&nonce=n&code_challenge={challenge}&code_challenge_method=S256"
            ),
            "unsupported_response_type",
            true,
        ),
        (
            format!(
                "{issuer}/authorize?client_id={CLIENT_ID}&redirect_uri={}&scope=email&response_type=code&state=st&nonce=n&code_challenge={challenge}&code_challenge_method=S256",
                percent(REDIRECT_URI)
            ),
            "invalid_scope",
            true,
        ),
        (
            format!(
                "{base}&response_type=code&state=st&nonce=n&code_challenge={challenge}&code_challenge_method=S256&foo=bar"
            ),
            "invalid_request",
            true,
        ),
    ];
    for (url, error, with_state) in cases {
        let response = http.get(&url).send().await.expect("authorize");
        assert_eq!(response.status(), 302, "{url}");
        let location = location(&response).expect("redirect");
        assert!(location.starts_with(REDIRECT_URI), "{location}");
        assert_eq!(
            query_param(&location, "error").as_deref(),
            Some(error),
            "{url}"
        );
        assert!(query_param(&location, "error_description").is_some());
        assert_eq!(
            query_param(&location, "state").as_deref(),
            with_state.then_some("st"),
            "{url}"
        );
        assert!(query_param(&location, "code").is_none());
    }
}

fn percent(text: &str) -> String {
    Url::parse("http://x/")
        .map(|mut u| {
            u.query_pairs_mut().append_pair("v", text);
            u.query().unwrap_or_default()[2..].to_owned()
        })
        .expect("encode")
}

#[tokio::test]
async fn unregistered_redirect_uri_or_client_gets_a_french_page_and_no_redirect() {
    let issuer = start().await;
    let http = http();
    let metadata = discover(&issuer, &http).await;
    for (client_id, redirect) in [
        (CLIENT_ID, "https://evil.example/callback"),
        (CLIENT_ID, "https://napoleon.test/auth/callback/"),
        ("unknown-client", REDIRECT_URI),
    ] {
        let client = CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(client_id.to_owned()),
            None,
        )
        .set_redirect_uri(RedirectUrl::new(redirect.to_owned()).expect("uri"));
        let (url, _, _) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(PkceCodeChallenge::new_random_sha256().0)
            .url();
        let response = http.get(url).send().await.expect("authorize");
        assert_eq!(response.status(), 400);
        assert!(
            location(&response).is_none(),
            "never redirect to an unverified URI"
        );
        let html = response.text().await.expect("html");
        assert!(html.contains("<html lang=\"fr\">"));
        assert!(html.contains("Connexion impossible"));
        assert!(!html.contains("evil.example"));
    }
}

#[tokio::test]
async fn login_page_is_french_and_lists_every_agent() {
    let issuer = start().await;
    let http = http();
    let metadata = discover(&issuer, &http).await;
    let client = client(&metadata, CLIENT_SECRET);
    let (url, _, _) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(PkceCodeChallenge::new_random_sha256().0)
        .url();
    let response = http.get(url).send().await.expect("page");
    assert_eq!(response.status(), 200);
    let csp = response
        .headers()
        .get("content-security-policy")
        .expect("CSP")
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(csp.contains("default-src 'none'"));
    let html = response.text().await.expect("html");
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(html.contains("<h1>Choisissez l’agent avec lequel vous connecter</h1>"));
    assert!(!html.contains("<script"));
    assert!(!html.contains("style="));
    for agent in config(&issuer).agents {
        let name = format!("{} {}", agent.given_name, agent.usual_name);
        assert!(html.contains(&format!("Se connecter en tant que {name}")));
        assert!(html.contains(&format!("value=\"{}\"", agent.sub)));
    }
    assert!(html.contains("Ministère de l’Intérieur"));
    assert!(html.contains("Bureau des décorations"));
    assert!(html.contains("Gestionnaire des distinctions"));
    assert!(
        html.contains("Chancellerie &lt;Légion d&#39;honneur&gt; &amp; co"),
        "labels are escaped"
    );
    assert_eq!(pending_id(&html).len(), 43);
}

#[tokio::test]
async fn cancelling_returns_access_denied() {
    let issuer = start().await;
    let http = http();
    let metadata = discover(&issuer, &http).await;
    let client = client(&metadata, CLIENT_SECRET);
    let (url, csrf, _) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(PkceCodeChallenge::new_random_sha256().0)
        .url();
    let html = http
        .get(url)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let pending = pending_id(&html);
    let response = http
        .post(format!("{issuer}/authorize"))
        .form(&[("pending", pending.as_str()), ("cancel", "1")])
        .send()
        .await
        .expect("cancel");
    let location = location(&response).expect("redirect");
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some(csrf.secret().as_str())
    );
    // The pending authorization is single use.
    let again = http
        .post(format!("{issuer}/authorize"))
        .form(&[("pending", pending.as_str()), ("sub", "agent-jean")])
        .send()
        .await
        .expect("again");
    assert_eq!(again.status(), 400);
    assert!(location_is_absent(&again));
}

fn location_is_absent(response: &reqwest::Response) -> bool {
    location(response).is_none()
}

fn server_error(
    result: Result<
        impl std::fmt::Debug,
        RequestTokenError<
            impl std::error::Error,
            openidconnect::StandardErrorResponse<CoreErrorResponseType>,
        >,
    >,
) -> CoreErrorResponseType {
    match result {
        Err(RequestTokenError::ServerResponse(response)) => response.error().clone(),
        other => CoreErrorResponseType::Extension(format!("unexpected: {other:?}")),
    }
}

#[tokio::test]
async fn wrong_code_verifier_is_invalid_grant() {
    let issuer = start().await;
    let http = http();
    let metadata = discover(&issuer, &http).await;
    let client = client(&metadata, CLIENT_SECRET);
    let logged_in = login(&client, &http, &issuer, "agent-marianne").await;
    let result = client
        .exchange_code(logged_in.code)
        .expect("token endpoint")
        .set_pkce_verifier(PkceCodeChallenge::new_random_sha256().1)
        .request_async(&http)
        .await;
    assert_eq!(server_error(result), CoreErrorResponseType::InvalidGrant);
}

#[tokio::test]
async fn replayed_code_is_invalid_grant_and_revokes_the_first_token() {
    let issuer = start().await;
    let http = http();
    let metadata = discover(&issuer, &http).await;
    let client = client(&metadata, CLIENT_SECRET);
    let logged_in = login(&client, &http, &issuer, "agent-marianne").await;
    let verifier = logged_in.verifier.secret().clone();
    let first = client
        .exchange_code(logged_in.code.clone())
        .expect("token endpoint")
        .set_pkce_verifier(logged_in.verifier)
        .request_async(&http)
        .await
        .expect("first exchange");
    let replay = client
        .exchange_code(logged_in.code)
        .expect("token endpoint")
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&http)
        .await;
    assert_eq!(server_error(replay), CoreErrorResponseType::InvalidGrant);
    let sub = SubjectIdentifier::new("agent-marianne".to_owned());
    let revoked = signed_userinfo(&http, &metadata, first.access_token(), &sub).await;
    assert_eq!(revoked.err().as_deref(), Some("status 401 Unauthorized"));
}

#[tokio::test]
async fn wrong_client_secret_is_invalid_client_and_keeps_the_code() {
    let issuer = start().await;
    let http = http();
    let metadata = discover(&issuer, &http).await;
    let good = client(&metadata, CLIENT_SECRET);
    let bad = client(&metadata, "not-the-secret");
    let logged_in = login(&good, &http, &issuer, "agent-jean").await;
    let verifier = logged_in.verifier.secret().clone();
    let result = bad
        .exchange_code(logged_in.code.clone())
        .expect("token endpoint")
        .set_pkce_verifier(logged_in.verifier)
        .request_async(&http)
        .await;
    assert_eq!(server_error(result), CoreErrorResponseType::InvalidClient);
    good.exchange_code(logged_in.code)
        .expect("token endpoint")
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&http)
        .await
        .expect("an unauthenticated attempt does not burn the code");
}

#[tokio::test]
async fn bad_bearer_is_401_with_www_authenticate() {
    let issuer = start().await;
    let http = http();
    let response = http
        .get(format!("{issuer}/userinfo"))
        .bearer_auth("forged-token")
        .send()
        .await
        .expect("userinfo");
    assert_eq!(response.status(), 401);
    let challenge = response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .expect("WWW-Authenticate")
        .to_str()
        .expect("ascii");
    assert!(challenge.starts_with("Bearer "));
    assert!(challenge.contains("error=\"invalid_token\""));

    let missing = http
        .get(format!("{issuer}/userinfo"))
        .send()
        .await
        .expect("userinfo");
    assert_eq!(missing.status(), 401);
    assert!(
        missing
            .headers()
            .get(reqwest::header::WWW_AUTHENTICATE)
            .is_some()
    );
}

/// Logs in and returns the client, the token response and the metadata.
async fn logged_in_tokens(
    issuer: &str,
    http: &reqwest::Client,
) -> (
    ProviderMetadataWithLogout,
    openidconnect::core::CoreTokenResponse,
) {
    let metadata = discover(issuer, http).await;
    let client = client(&metadata, CLIENT_SECRET);
    let logged_in = login(&client, http, issuer, "agent-marianne").await;
    let token = client
        .exchange_code(logged_in.code)
        .expect("token endpoint")
        .set_pkce_verifier(logged_in.verifier)
        .request_async(http)
        .await
        .expect("token");
    (metadata, token)
}

#[tokio::test]
async fn end_session_redirects_with_state_and_revokes_tokens() {
    let issuer = start().await;
    let http = http();
    let (metadata, token) = logged_in_tokens(&issuer, &http).await;
    let end_session = metadata
        .additional_metadata()
        .end_session_endpoint
        .clone()
        .expect("end_session_endpoint");
    let state = CsrfToken::new_random();
    let url = LogoutRequest::from(end_session)
        .set_id_token_hint(token.id_token().expect("id token"))
        .set_post_logout_redirect_uri(
            PostLogoutRedirectUrl::new(POST_LOGOUT_URI.to_owned()).expect("uri"),
        )
        .set_state(state.clone())
        .http_get_url();
    let response = http.get(url).send().await.expect("logout");
    assert_eq!(response.status(), 302);
    let location = location(&response).expect("redirect");
    assert!(location.starts_with(&format!("{POST_LOGOUT_URI}?")));
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some(state.secret().as_str())
    );
    let sub = SubjectIdentifier::new("agent-marianne".to_owned());
    let after = signed_userinfo(&http, &metadata, token.access_token(), &sub).await;
    assert_eq!(after.err().as_deref(), Some("status 401 Unauthorized"));
}

#[tokio::test]
async fn end_session_refuses_unregistered_uri_and_foreign_hints() {
    let issuer = start().await;
    let http = http();
    let (_metadata, token) = logged_in_tokens(&issuer, &http).await;
    let hint = token.id_token().expect("id token").to_string();

    let unregistered = http
        .get(format!("{issuer}/session/end"))
        .query(&[
            ("id_token_hint", hint.as_str()),
            ("state", "s"),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ])
        .send()
        .await
        .expect("logout");
    assert_eq!(unregistered.status(), 400);
    assert!(location(&unregistered).is_none());
    assert!(
        unregistered
            .text()
            .await
            .expect("html")
            .contains("n’est pas enregistrée")
    );

    // A hint signed by another provider's key.
    let other_issuer = start().await;
    let (_m, other_token) = logged_in_tokens(&other_issuer, &http).await;
    let foreign = http
        .get(format!("{issuer}/session/end"))
        .query(&[
            (
                "id_token_hint",
                other_token.id_token().expect("id").to_string().as_str(),
            ),
            ("state", "s"),
            ("post_logout_redirect_uri", POST_LOGOUT_URI),
        ])
        .send()
        .await
        .expect("logout");
    assert_eq!(foreign.status(), 400);
    assert!(location(&foreign).is_none());

    // Without a redirect URI the provider shows its own French confirmation.
    let plain = http
        .get(format!("{issuer}/session/end"))
        .query(&[("id_token_hint", hint.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(plain.status(), 200);
    assert!(
        plain
            .text()
            .await
            .expect("html")
            .contains("Vous êtes déconnecté")
    );
}

#[test]
fn router_refuses_bad_configuration() {
    let bad_issuer = DevIdpConfig {
        issuer: "ftp://127.0.0.1/dev-idp".to_owned(),
        ..config("http://127.0.0.1:1/dev-idp")
    };
    assert!(matches!(
        router(bad_issuer),
        Err(DevIdpError::InvalidIssuer(_))
    ));

    let mut no_redirect = config("http://127.0.0.1:1/dev-idp");
    no_redirect.clients[0].redirect_uris.clear();
    assert!(matches!(
        router(no_redirect),
        Err(DevIdpError::InvalidClient { .. })
    ));

    let mut bad_key = config("http://127.0.0.1:1/dev-idp");
    bad_key.signing_key_pem = Some(napoleon_kernel::Secret::new(
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_owned(),
    ));
    assert!(matches!(router(bad_key), Err(DevIdpError::SigningKey(_))));

    let debug = format!("{:?}", config("http://127.0.0.1:1/dev-idp"));
    assert!(!debug.contains(CLIENT_SECRET), "secrets never reach logs");
}

#[test]
fn a_stored_pem_key_keeps_the_same_jwks() {
    let pem = napoleon_devidp::generate_signing_key_pem().expect("pem");
    let mut with_key = config("http://127.0.0.1:1/dev-idp");
    with_key.signing_key_pem = Some(napoleon_kernel::Secret::new(pem.clone()));
    let _router = router(with_key).expect("router with a stored key");
    assert!(
        !format!(
            "{:?}",
            DevIdpConfig {
                signing_key_pem: Some(napoleon_kernel::Secret::new(pem.clone())),
                ..config("http://127.0.0.1:1/x")
            }
        )
        .contains(&pem)
    );
}
