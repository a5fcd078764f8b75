//! Discovery document and JWKS.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::AppState;
use crate::config::{IDENTITY_CLAIMS, SUPPORTED_ACR_VALUES, SUPPORTED_SCOPES};

/// `GET /.well-known/openid-configuration`
pub(crate) async fn openid_configuration(State(app): State<Arc<AppState>>) -> Json<Value> {
    let mut claims = vec![
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "nonce",
        "acr",
        "amr",
        "auth_time",
        "sid",
        "at_hash",
    ];
    claims.extend(IDENTITY_CLAIMS);
    Json(json!({
        "issuer": app.config.issuer,
        "authorization_endpoint": app.endpoint("/authorize"),
        "token_endpoint": app.endpoint("/token"),
        "userinfo_endpoint": app.endpoint("/userinfo"),
        "jwks_uri": app.endpoint("/jwks"),
        "end_session_endpoint": app.endpoint("/session/end"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "userinfo_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": SUPPORTED_SCOPES,
        "claims_supported": claims,
        "acr_values_supported": SUPPORTED_ACR_VALUES,
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "ui_locales_supported": ["fr"],
        "frontchannel_logout_supported": false,
        "backchannel_logout_supported": false,
    }))
}

/// `GET /jwks`
pub(crate) async fn jwks(State(app): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({ "keys": [app.key.public_jwk()] }))
}
