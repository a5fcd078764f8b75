//! Token endpoint (`client_secret_post`, PKCE S256) and UserInfo endpoint (signed JWT).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use crate::AppState;
use crate::config::IDENTITY_CLAIMS;
use crate::store::{ACCESS_TOKEN_TTL, AccessGrant};
use crate::util::{b64url, now_unix, pkce_s256_matches, random_token, secrets_equal};

/// ID token lifetime.
const ID_TOKEN_TTL_SECS: u64 = 3600;

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// An RFC 6749 §5.2 error response.
fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    no_store(
        (
            status,
            Json(json!({"error": error, "error_description": description})),
        )
            .into_response(),
    )
}

fn invalid_grant(description: &str) -> Response {
    token_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// `POST /token`
pub(crate) async fn token(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "expected an application/x-www-form-urlencoded body",
        );
    };
    let param = |name: &str| form.get(name).map(String::as_str);

    // Client authentication first: a wrong secret must not consume the code.
    if headers.contains_key(header::AUTHORIZATION) {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "only client_secret_post is supported",
        );
    }
    let client = param("client_id")
        .and_then(|id| app.config.client(id))
        .filter(|client| {
            param("client_secret")
                .is_some_and(|secret| secrets_equal(secret, client.client_secret.expose()))
        });
    let Some(client) = client else {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
    };

    match param("grant_type") {
        Some("authorization_code") => {}
        Some(_) => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only authorization_code is supported",
            );
        }
        None => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            );
        }
    }
    let Some(code) = param("code") else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code is required",
        );
    };

    let now = Instant::now();
    let grant = {
        let mut store = app.store();
        let grant = store.codes.take(code, now);
        if grant.is_none() {
            // RFC 6749 §4.1.2: a replayed code revokes the token issued from it.
            if let Some(access_token) = store.used_codes.take(code, now) {
                let _revoked = store.tokens.take(&access_token, now);
            }
        }
        grant
    };
    let Some(grant) = grant else {
        return invalid_grant("code is invalid, expired or already used");
    };
    if grant.client_id != client.client_id {
        return invalid_grant("code was issued to another client");
    }
    if param("redirect_uri") != Some(grant.redirect_uri.as_str()) {
        return invalid_grant("redirect_uri differs from the authorization request");
    }
    if !param("code_verifier").is_some_and(|v| pkce_s256_matches(v, &grant.code_challenge)) {
        return invalid_grant("PKCE verification failed");
    }

    let Ok(access_token) = random_token() else {
        return token_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "random generator failure",
        );
    };
    let stored = {
        let mut store = app.store();
        let stored = store.tokens.insert(
            access_token.clone(),
            AccessGrant {
                client_id: grant.client_id.clone(),
                sub: grant.sub.clone(),
                scopes: grant.scopes.clone(),
                userinfo_claims: grant.userinfo_claims.clone(),
                sid: grant.sid.clone(),
            },
            now,
        );
        if stored.is_ok() {
            let _remembered = store
                .used_codes
                .insert(code.to_owned(), access_token.clone(), now);
        }
        stored
    };
    if stored.is_err() {
        return token_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "too many access tokens, retry later",
        );
    }

    let issued_at = now_unix();
    let hash = Sha256::digest(access_token.as_bytes());
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(app.config.issuer));
    claims.insert("sub".into(), json!(grant.sub));
    claims.insert("aud".into(), json!(grant.client_id));
    claims.insert("exp".into(), json!(issued_at + ID_TOKEN_TTL_SECS));
    claims.insert("iat".into(), json!(issued_at));
    claims.insert("auth_time".into(), json!(grant.auth_time));
    claims.insert("nonce".into(), json!(grant.nonce));
    claims.insert("acr".into(), json!(grant.acr));
    claims.insert("sid".into(), json!(grant.sid));
    claims.insert("at_hash".into(), json!(b64url(&hash[..16])));
    if let Some(agent) = app.config.agent(&grant.sub) {
        claims.insert("amr".into(), json!(agent.amr()));
        // Identity claims go to the ID token only when asked for through `claims.id_token`.
        for name in &grant.id_token_claims {
            if let Some(value) = agent.claim(name) {
                claims.insert(name.clone(), json!(value));
            }
        }
    }
    let Ok(id_token) = app.key.sign(&claims) else {
        return token_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "signing failure",
        );
    };
    no_store(
        Json(json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_TTL.as_secs(),
            "id_token": id_token,
            "scope": grant.scopes.join(" "),
        }))
        .into_response(),
    )
}

/// An RFC 6750 §3 refusal.
fn bearer_error(error: Option<&str>, description: &str) -> Response {
    let challenge = match error {
        Some(error) => format!(
            "Bearer realm=\"napoleon-devidp\", error=\"{error}\", error_description=\"{description}\""
        ),
        None => "Bearer realm=\"napoleon-devidp\"".to_owned(),
    };
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(
            json!({"error": error.unwrap_or("invalid_request"), "error_description": description}),
        ),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    no_store(response)
}

/// `GET|POST /userinfo` with `Authorization: Bearer …`: an ES256-signed JWT.
pub(crate) async fn userinfo(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let Some(authorization) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return bearer_error(None, "bearer token required");
    };
    let token = match authorization.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return bearer_error(Some("invalid_request"), "expected a Bearer token"),
    };
    let grant = app.store().tokens.get(token, Instant::now()).cloned();
    let Some(grant) = grant else {
        return bearer_error(
            Some("invalid_token"),
            "access token is invalid, expired or revoked",
        );
    };
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(app.config.issuer));
    claims.insert("aud".into(), json!(grant.client_id));
    claims.insert("sub".into(), json!(grant.sub));
    claims.insert("iat".into(), json!(now_unix()));
    if let Some(agent) = app.config.agent(&grant.sub) {
        for name in IDENTITY_CLAIMS {
            let granted = grant.scopes.iter().any(|s| s == name)
                || grant.userinfo_claims.iter().any(|c| c == name);
            if granted && let Some(value) = agent.claim(name) {
                claims.insert(name.to_owned(), Value::from(value));
            }
        }
    }
    match app.key.sign(&claims) {
        Ok(jwt) => no_store(
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/jwt"),
                )],
                jwt,
            )
                .into_response(),
        ),
        Err(_) => token_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "signing failure",
        ),
    }
}
