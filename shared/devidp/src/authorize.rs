//! Authorization endpoint: validation, agent chooser, code issuance.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::config::{IDENTITY_CLAIMS, SUPPORTED_ACR_VALUES, SUPPORTED_SCOPES};
use crate::html::{LoginPage, error_page, login_page};
use crate::store::{CodeGrant, Pending, Session};
use crate::util::{append_query, ascii_description, is_pkce_value, now_unix, random_token};

/// Parameters ProConnect accepts at its authorization endpoint; any other is refused, as
/// ProConnect does (its error `Y000400`).
const KNOWN_PARAMETERS: [&str; 14] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "claims",
    "acr_values",
    "prompt",
    "idp_hint",
    "login_hint",
    "siret_hint",
    "code_challenge",
    "code_challenge_method",
];

/// Longest accepted parameter value, to keep pending requests small.
const MAX_PARAMETER_LEN: usize = 2048;
/// Longest accepted `state` and `nonce` (ProConnect: 1 to 512 characters).
const MAX_STATE_LEN: usize = 512;

/// A redirect to a verified URI (`302 Found` after a GET, `303 See Other` after a POST).
fn redirect(status: StatusCode, location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => {
            let mut response = status.into_response();
            response.headers_mut().insert(header::LOCATION, value);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(_) => error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "L’URL de retour du service n’a pas pu être construite.",
        ),
    }
}

/// An RFC 6749 §4.1.2.1 error response, sent to an already verified `redirect_uri`.
fn error_redirect(
    status: StatusCode,
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
) -> Response {
    let description = ascii_description(description);
    let mut params = vec![
        ("error", error),
        ("error_description", description.as_str()),
    ];
    if let Some(state) = state {
        params.push(("state", state));
    }
    redirect(status, &append_query(redirect_uri, &params))
}

/// Acr values, identity claims for the ID token and for UserInfo, asked through `claims`.
#[derive(Debug, Default)]
struct ClaimsRequest {
    acr_values: Vec<String>,
    id_token_claims: Vec<String>,
    userinfo_claims: Vec<String>,
}

fn parse_claims_parameter(text: &str) -> Option<ClaimsRequest> {
    let value: Value = serde_json::from_str(text).ok()?;
    let object = value.as_object()?;
    let mut request = ClaimsRequest::default();
    let identity_names = |member: Option<&Value>| -> Option<Vec<String>> {
        match member {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Object(map)) => Some(
                map.keys()
                    .filter(|name| IDENTITY_CLAIMS.contains(&name.as_str()))
                    .cloned()
                    .collect(),
            ),
            Some(_) => None,
        }
    };
    request.id_token_claims = identity_names(object.get("id_token"))?;
    request.userinfo_claims = identity_names(object.get("userinfo"))?;
    if let Some(acr) = object.get("id_token").and_then(|t| t.get("acr")) {
        if let Some(value) = acr.get("value").and_then(Value::as_str) {
            request.acr_values.push(value.to_owned());
        }
        if let Some(values) = acr.get("values").and_then(Value::as_array) {
            request
                .acr_values
                .extend(values.iter().filter_map(Value::as_str).map(str::to_owned));
        }
    }
    Some(request)
}

/// `GET /authorize`
pub(crate) async fn authorize_get(
    State(app): State<Arc<AppState>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let Ok(Query(pairs)) = query else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "La demande d’autorisation est illisible.",
        );
    };
    let mut params: HashMap<&str, &str> = HashMap::new();
    let mut repeated: Option<&str> = None;
    for (name, value) in &pairs {
        if params.insert(name.as_str(), value.as_str()).is_some() {
            repeated.get_or_insert(name.as_str());
        }
    }

    // Until client_id and redirect_uri are verified, errors go to a page, never to a redirect.
    if matches!(repeated, Some("client_id" | "redirect_uri")) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Les paramètres client_id et redirect_uri ne doivent figurer qu’une fois.",
        );
    }
    let Some(client) = params.get("client_id").and_then(|id| app.config.client(id)) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Le service demandeur (client_id) est absent ou inconnu de ce fournisseur d’identité.",
        );
    };
    let Some(redirect_uri) = params
        .get("redirect_uri")
        .copied()
        .filter(|uri| client.redirect_uris.iter().any(|r| r == uri))
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "L’URL de retour (redirect_uri) est absente ou n’est pas enregistrée pour ce service. \
             Elle doit correspondre exactement, barre oblique finale comprise.",
        );
    };

    let state = params
        .get("state")
        .copied()
        .filter(|s| !s.is_empty() && s.len() <= MAX_STATE_LEN && repeated != Some("state"));
    let fail = |error: &str, description: &str| {
        error_redirect(StatusCode::FOUND, redirect_uri, error, description, state)
    };

    if let Some(name) = repeated {
        return fail(
            "invalid_request",
            &format!("parameter {name} must not be repeated"),
        );
    }
    if let Some(name) = params.keys().find(|n| !KNOWN_PARAMETERS.contains(n)) {
        return fail("invalid_request", &format!("unknown parameter {name}"));
    }
    if let Some(name) = params
        .iter()
        .find(|(_, value)| value.len() > MAX_PARAMETER_LEN)
        .map(|(name, _)| name)
    {
        return fail("invalid_request", &format!("parameter {name} is too long"));
    }
    match params.get("response_type") {
        Some(&"code") => {}
        Some(_) => {
            return fail(
                "unsupported_response_type",
                "only response_type=code is supported",
            );
        }
        None => return fail("invalid_request", "response_type is required"),
    }
    let requested_scopes: Vec<&str> = params
        .get("scope")
        .map(|s| s.split_whitespace().collect())
        .unwrap_or_default();
    if !requested_scopes.contains(&"openid") {
        return fail("invalid_scope", "scope must contain openid");
    }
    if state.is_none() {
        return fail("invalid_request", "state is required (1 to 512 characters)");
    }
    let Some(nonce) = params
        .get("nonce")
        .filter(|n| !n.is_empty() && n.len() <= MAX_STATE_LEN)
    else {
        return fail("invalid_request", "nonce is required (1 to 512 characters)");
    };
    let Some(code_challenge) = params.get("code_challenge") else {
        return fail(
            "invalid_request",
            "code_challenge is required (PKCE with S256)",
        );
    };
    if params.get("code_challenge_method") != Some(&"S256") {
        return fail(
            "invalid_request",
            "code_challenge_method must be S256 (plain is not supported)",
        );
    }
    if !is_pkce_value(code_challenge) {
        return fail("invalid_request", "code_challenge is malformed");
    }
    if params
        .get("prompt")
        .is_some_and(|p| p.split_whitespace().any(|v| v == "none"))
    {
        return fail(
            "login_required",
            "prompt=none is not supported by the development provider",
        );
    }
    let claims = match params.get("claims") {
        None => ClaimsRequest::default(),
        Some(text) => match parse_claims_parameter(text) {
            Some(claims) => claims,
            None => return fail("invalid_request", "claims must be a JSON object"),
        },
    };

    let mut acr_requested: Vec<String> = Vec::new();
    let acr_candidates = params
        .get("acr_values")
        .map(|v| v.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(claims.acr_values);
    for acr in acr_candidates {
        if SUPPORTED_ACR_VALUES.contains(&acr.as_str()) && !acr_requested.contains(&acr) {
            acr_requested.push(acr);
        }
    }
    let mut scopes: Vec<String> = Vec::new();
    for scope in requested_scopes {
        if SUPPORTED_SCOPES.contains(&scope) && !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }

    let Ok(pending_id) = random_token() else {
        return fail("server_error", "random generator failure");
    };
    let pending = Pending {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        state: state.unwrap_or_default().to_owned(),
        nonce: (*nonce).to_owned(),
        code_challenge: (*code_challenge).to_owned(),
        scopes,
        acr_requested,
        id_token_claims: claims.id_token_claims,
        userinfo_claims: claims.userinfo_claims,
    };
    let inserted = app
        .store()
        .pending
        .insert(pending_id.clone(), pending.clone(), Instant::now());
    if inserted.is_err() {
        return fail(
            "temporarily_unavailable",
            "too many pending authorizations, retry later",
        );
    }
    let authorize_url = app.endpoint("/authorize");
    login_page(&LoginPage {
        authorize_url: &authorize_url,
        pending_id: &pending_id,
        client_id: &pending.client_id,
        scopes: &pending.scopes,
        acr_requested: &pending.acr_requested,
        agents: &app.config.agents,
    })
}

/// Form posted by the login page.
#[derive(Debug, Deserialize)]
pub(crate) struct ChoiceForm {
    pending: String,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    cancel: Option<String>,
}

/// `POST /authorize`: the agent chosen on the login page.
pub(crate) async fn authorize_post(
    State(app): State<Arc<AppState>>,
    form: Result<Form<ChoiceForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Le formulaire de connexion est incomplet.",
        );
    };
    let now = Instant::now();
    let Some(pending) = app.store().pending.take(&form.pending, now) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Cette demande de connexion a expiré ou a déjà été utilisée. \
             Recommencez depuis le service.",
        );
    };
    let state = Some(pending.state.as_str());
    let fail = |error: &str, description: &str| {
        error_redirect(
            StatusCode::SEE_OTHER,
            &pending.redirect_uri,
            error,
            description,
            state,
        )
    };
    if form.cancel.is_some() {
        return fail("access_denied", "the user cancelled the login");
    }
    let Some(agent) = form.sub.as_deref().and_then(|sub| app.config.agent(sub)) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "L’agent choisi est inconnu. Recommencez depuis le service.",
        );
    };
    let (Ok(code), Ok(sid)) = (random_token(), random_token()) else {
        return fail("server_error", "random generator failure");
    };
    let grant = CodeGrant {
        client_id: pending.client_id.clone(),
        redirect_uri: pending.redirect_uri.clone(),
        nonce: pending.nonce.clone(),
        code_challenge: pending.code_challenge.clone(),
        sub: agent.sub.clone(),
        acr: agent.acr.clone(),
        scopes: pending.scopes.clone(),
        id_token_claims: pending.id_token_claims.clone(),
        userinfo_claims: pending.userinfo_claims.clone(),
        auth_time: now_unix(),
        sid: sid.clone(),
    };
    let stored = {
        let mut store = app.store();
        store
            .sessions
            .insert(
                sid,
                Session {
                    sub: agent.sub.clone(),
                },
                now,
            )
            .and_then(|()| store.codes.insert(code.clone(), grant, now))
    };
    if stored.is_err() {
        return fail(
            "temporarily_unavailable",
            "too many sessions or codes, retry later",
        );
    }
    redirect(
        StatusCode::SEE_OTHER,
        &append_query(
            &pending.redirect_uri,
            &[("code", &code), ("state", &pending.state)],
        ),
    )
}

#[cfg(test)]
mod tests {
    #![expect(clippy::expect_used, reason = "tests fail loudly")]

    use super::parse_claims_parameter;

    #[test]
    fn claims_parameter() {
        let parsed = parse_claims_parameter(
            r#"{"id_token":{"acr":{"essential":true,"values":["eidas2","eidas3"]},"amr":null,"email":null},
                "userinfo":{"siret":{"essential":true},"unknown":null}}"#,
        )
        .expect("valid");
        assert_eq!(parsed.acr_values, ["eidas2", "eidas3"]);
        assert_eq!(parsed.id_token_claims, ["email"]);
        assert_eq!(parsed.userinfo_claims, ["siret"]);
        assert!(parse_claims_parameter("[1]").is_none());
        assert!(parse_claims_parameter(r#"{"id_token":3}"#).is_none());
        assert!(parse_claims_parameter("not json").is_none());
    }
}
