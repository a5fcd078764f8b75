//! RP-initiated logout (`GET /session/end`), as ProConnect exposes it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::AppState;
use crate::html::{error_page, logged_out_page};
use crate::util::append_query;

/// `GET /session/end?id_token_hint=…&state=…&post_logout_redirect_uri=…`
pub(crate) async fn end_session(
    State(app): State<Arc<AppState>>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let Ok(Query(params)) = query else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "La demande de déconnexion est illisible.",
        );
    };
    let Some(claims) = params
        .get("id_token_hint")
        .and_then(|hint| app.key.verify(hint))
        .filter(|claims| claims.get("iss").and_then(Value::as_str) == Some(&app.config.issuer))
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Le jeton d’identité fourni (id_token_hint) est absent ou n’a pas été émis par ce \
             fournisseur d’identité.",
        );
    };
    let audience = match claims.get("aud") {
        Some(Value::String(aud)) => Some(aud.as_str()),
        Some(Value::Array(auds)) if auds.len() == 1 => auds.first().and_then(Value::as_str),
        _ => None,
    };
    let Some(client) = audience
        .and_then(|aud| app.config.client(aud))
        .filter(|client| {
            params
                .get("client_id")
                .is_none_or(|id| *id == client.client_id)
        })
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Le jeton d’identité fourni ne correspond à aucun service enregistré.",
        );
    };

    let redirect = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) if client.post_logout_redirect_uris.iter().any(|u| u == uri) => {
            let Some(state) = params.get("state").filter(|s| !s.is_empty()) else {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    "Le paramètre state est obligatoire pour revenir au service après la \
                     déconnexion.",
                );
            };
            Some(append_query(uri, &[("state", state)]))
        }
        Some(_) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "L’URL de retour après déconnexion (post_logout_redirect_uri) n’est pas \
                 enregistrée pour ce service.",
            );
        }
    };

    // An already ended session is not an error: logging out twice is harmless.
    if let (Some(sid), Some(sub)) = (
        claims.get("sid").and_then(Value::as_str),
        claims.get("sub").and_then(Value::as_str),
    ) {
        let _ended = app.store().end_session(sid, sub);
    }

    match redirect.map(|location| HeaderValue::from_str(&location)) {
        None => logged_out_page(),
        Some(Ok(location)) => {
            let mut response = StatusCode::FOUND.into_response();
            response.headers_mut().insert(header::LOCATION, location);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Some(Err(_)) => error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "L’URL de retour après déconnexion n’a pas pu être construite.",
        ),
    }
}
