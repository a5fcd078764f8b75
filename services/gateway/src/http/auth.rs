//! Login through the identity provider, callback, and logout (RP-initiated).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use napoleon_web::WebError;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::{render, request_id};
use crate::agent::{AUTH_KEY, SessionAuth};
use crate::domain;
use crate::oidc::{LoginError, PENDING_LOGIN_SECONDS, PendingLogin};
use crate::session_store::AGENT_KEY;
use crate::{GatewayState, RequestAgent};

const PENDING_KEY: &str = "pending_login";
const LOGOUT_STATE_KEY: &str = "logout_state";

/// 32 random bytes from the OS, base64url: CSRF tokens and logout states.
pub(crate) fn random_token() -> String {
    let mut bytes = [0_u8; 32];
    if getrandom::fill(&mut bytes).is_err() {
        // Linux's generator does not fail once booted; if it ever did, two v4 UUIDs (from
        // the same source, but through uuid's own fallback) still give an unguessable token.
        return format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
    }
    B64.encode(bytes)
}

#[derive(Serialize, Debug)]
struct ProviderButton {
    name: String,
    label: String,
    /// ProConnect's own button rather than a plain one.
    proconnect: bool,
}

#[derive(Serialize, Debug)]
struct LoginView {
    providers: Vec<ProviderButton>,
}

pub(crate) async fn login_page(
    State(state): State<GatewayState>,
    agent: Option<axum::Extension<RequestAgent>>,
) -> Response {
    if agent.is_some() {
        return Redirect::to("/").into_response();
    }
    // ProConnect's buttons first (its partner guidelines), then the others, each group in the
    // configured order.
    let mut providers: Vec<ProviderButton> = state
        .cfg
        .providers
        .list()
        .into_iter()
        .map(|(name, label, button)| ProviderButton {
            name,
            label,
            proconnect: button == crate::LoginButton::ProConnect,
        })
        .collect();
    providers.sort_by_key(|p| !p.proconnect);
    render(&state, "login", "Connexion", &LoginView { providers }, None).into_response()
}

#[derive(Deserialize, Debug)]
pub(crate) struct LoginQuery {
    /// Authentication levels to require (a tenant's policy asked for them).
    acr: Option<String>,
}

/// Authentication levels a login may ask for at once, and the longest accepted (ProConnect's
/// are URLs of about sixty characters).
const MAX_ACR_VALUES: usize = 4;
const MAX_ACR_BYTES: usize = 128;

/// The `acr` query: space-separated printable values, bounded (they go into the redirect to
/// the provider, before anyone is authenticated).
fn requested_acr(raw: Option<&str>) -> Result<Vec<String>, WebError> {
    let values: Vec<&str> = raw.unwrap_or_default().split_whitespace().collect();
    let valid = values.len() <= MAX_ACR_VALUES
        && values
            .iter()
            .all(|v| v.len() <= MAX_ACR_BYTES && v.bytes().all(|b| b.is_ascii_graphic()));
    if valid {
        Ok(values.into_iter().map(str::to_owned).collect())
    } else {
        Err(WebError::Unprocessable {
            code: "login.acr",
            message: format!(
                "Le niveau d'authentification demandé est invalide ({MAX_ACR_VALUES} valeurs de \
                 {MAX_ACR_BYTES} caractères au plus). Revenez à la page de connexion."
            ),
        })
    }
}

pub(crate) async fn login_start(
    State(state): State<GatewayState>,
    session: Session,
    headers: HeaderMap,
    Path(provider): Path<String>,
    Query(query): Query<LoginQuery>,
) -> Response {
    let acr = match requested_acr(query.acr.as_deref()) {
        Ok(acr) => acr,
        Err(e) => return e.into_response(),
    };
    match state
        .cfg
        .providers
        .authorize(&provider, &acr, state.ctx.db.clock().timestamp())
        .await
    {
        Ok((url, pending)) => {
            if let Err(e) = session.insert(PENDING_KEY, &pending).await {
                return WebError::Unavailable(e.to_string()).into_response();
            }
            Redirect::to(&url).into_response()
        }
        Err(e) => login_error(&state, &headers, &e),
    }
}

#[derive(Deserialize, Debug)]
pub(crate) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

pub(crate) async fn callback(
    State(state): State<GatewayState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    // Single use: whatever happens next, this pending login is gone.
    let pending: Option<PendingLogin> = session.remove(PENDING_KEY).await.ok().flatten();
    match complete(&state, &session, pending, query).await {
        Ok(target) => {
            logins().add(1, &[opentelemetry::KeyValue::new("outcome", "success")]);
            Redirect::to(target).into_response()
        }
        Err(e) => {
            // The provider's error_description comes from the callback URL (anyone can craft
            // it) and claims' parse errors may quote personal data: log the stable code only,
            // and the detail at debug level for a developer's machine.
            tracing::warn!(reason = e.code(), "login refused");
            tracing::debug!(reason = e.code(), detail = %e, "login refused (detail)");
            logins().add(
                1,
                &[
                    opentelemetry::KeyValue::new("outcome", "refused"),
                    opentelemetry::KeyValue::new("reason", e.code()),
                ],
            );
            login_error(&state, &headers, &e)
        }
    }
}

fn logins() -> &'static opentelemetry::metrics::Counter<u64> {
    static COUNTER: std::sync::OnceLock<opentelemetry::metrics::Counter<u64>> =
        std::sync::OnceLock::new();
    COUNTER.get_or_init(|| {
        opentelemetry::global::meter("napoleon-gateway")
            .u64_counter("napoleon.logins")
            .with_description("Login callbacks, by outcome and refusal reason.")
            .build()
    })
}

async fn complete(
    state: &GatewayState,
    session: &Session,
    pending: Option<PendingLogin>,
    query: CallbackQuery,
) -> Result<&'static str, LoginError> {
    if let Some(error) = query.error {
        let detail = query.error_description.unwrap_or_default();
        return Err(LoginError::ProviderRefused(format!("{error}: {detail}")));
    }
    let now = state.ctx.db.clock().timestamp();
    let pending = pending.ok_or(LoginError::State)?;
    let state_ok = query.state.as_deref().is_some_and(|s| s == pending.state);
    if !state_ok || now - pending.issued_at > PENDING_LOGIN_SECONDS {
        return Err(LoginError::State);
    }
    let code = query.code.ok_or(LoginError::Claim("code"))?;
    let login = state.cfg.providers.complete(&pending, &code, now).await?;
    let recorded = domain::login::record_login(state, &login).await?;
    let agent = recorded.agent;
    // A new session id at login: a session fixed before login is worthless after it.
    session
        .cycle_id()
        .await
        .map_err(|e| LoginError::Unreachable(e.to_string()))?;
    let mut auth = SessionAuth {
        agent,
        name: format!("{} {}", login.given_name, login.usual_name),
        provider: pending.provider,
        id_token: login.id_token.clone(),
        acr: login.acr.clone(),
        login_at: now,
        seen_at: now,
        tenants: recorded.tenants.clone(),
        tenant: None,
        csrf: random_token(),
        reference: random_token().chars().take(16).collect(),
        // An operator acts as one only with the configured authentication level: a weaker
        // login is an ordinary agent's.
        operator: recorded.operator
            && napoleon_kernel::proconnect::acr_satisfies(
                login.acr.as_deref(),
                &state.cfg.operator_acr,
            ),
    };
    let target = match recorded.tenants.as_slice() {
        [] if auth.operator => "/exploitation",
        [] => "/acces-non-accorde",
        [only] if domain::login::acr_satisfied(state, *only, login.acr.as_deref()).await? => {
            auth.tenant = Some(*only);
            "/"
        }
        // Several tenants, or one whose acr policy this login does not meet: choosing it
        // explains what is required.
        _ => "/choisir-ministere",
    };
    session
        .insert(AGENT_KEY, agent)
        .await
        .map_err(|e| LoginError::Unreachable(e.to_string()))?;
    session
        .insert(AUTH_KEY, &auth)
        .await
        .map_err(|e| LoginError::Unreachable(e.to_string()))?;
    Ok(target)
}

#[derive(Serialize, Debug)]
struct LoginErrorView {
    title: &'static str,
    lead: &'static str,
    advice: &'static str,
    request_id: String,
}

fn login_error(state: &GatewayState, headers: &HeaderMap, error: &LoginError) -> Response {
    let (status, title, lead, advice) = match error {
        LoginError::UnknownProvider => (
            StatusCode::NOT_FOUND,
            "Fournisseur d'identité inconnu",
            "Ce moyen de connexion n'existe pas.",
            "Revenez à la page de connexion et choisissez un des moyens proposés.",
        ),
        LoginError::Unreachable(_) => (
            StatusCode::BAD_GATEWAY,
            "Service de connexion indisponible",
            "Le service d'authentification ne répond pas pour le moment.",
            "Réessayez dans quelques minutes. Si le problème persiste, contactez l'assistance.",
        ),
        LoginError::ProviderRefused(_) => (
            StatusCode::FORBIDDEN,
            "Connexion refusée",
            "Le fournisseur d'identité a refusé ou interrompu la connexion.",
            "Vous pouvez réessayer. Si vous avez annulé la connexion, aucune donnée n'a été enregistrée.",
        ),
        LoginError::State => (
            StatusCode::BAD_REQUEST,
            "Connexion expirée",
            "Cette tentative de connexion n'est plus valable (délai dépassé, page rechargée ou lien réutilisé).",
            "Recommencez la connexion depuis la page d'accueil.",
        ),
        LoginError::Exchange(_)
        | LoginError::IdToken(_)
        | LoginError::UserInfo(_)
        | LoginError::Claim(_) => (
            StatusCode::FORBIDDEN,
            "Connexion refusée",
            "Les informations d'identité reçues n'ont pas pu être vérifiées. Par sécurité, la connexion est refusée.",
            "Réessayez. Si le problème persiste, contactez l'assistance en indiquant l'identifiant ci-dessous.",
        ),
    };
    let view = LoginErrorView {
        title,
        lead,
        advice,
        request_id: request_id(headers),
    };
    let mut response = render(state, "login_error", title, &view, None).into_response();
    *response.status_mut() = status;
    response
}

/// POST /deconnexion: ends the local session, then sends the browser to the provider.
pub(crate) async fn logout(
    State(state): State<GatewayState>,
    session: Session,
    headers: HeaderMap,
) -> Response {
    let auth: Option<SessionAuth> = session.get(AUTH_KEY).await.ok().flatten();
    // The local session ends first, whatever the provider says: a new id, no identity left.
    let _ignored = session.remove::<SessionAuth>(AUTH_KEY).await;
    let _ignored = session.remove::<serde_json::Value>(AGENT_KEY).await;
    let _ignored = session.cycle_id().await;
    let Some(auth) = auth else {
        return Redirect::to("/").into_response();
    };
    let logout_state = random_token();
    if session
        .insert(LOGOUT_STATE_KEY, &logout_state)
        .await
        .is_err()
    {
        return Redirect::to("/deconnexion/retour").into_response();
    }
    match state
        .cfg
        .providers
        .logout_url(&auth.provider, &auth.id_token, &logout_state)
        .await
    {
        Ok(Some(url)) => Redirect::to(&url).into_response(),
        Ok(None) => {
            Redirect::to(&format!("/deconnexion/retour?state={logout_state}")).into_response()
        }
        Err(e) => login_error(&state, &headers, &e),
    }
}

#[derive(Deserialize, Debug)]
pub(crate) struct LogoutReturn {
    state: Option<String>,
}

#[derive(Serialize, Debug)]
struct LoggedOutView {
    confirmed: bool,
}

/// GET /deconnexion/retour: the provider sends the browser back with our state.
pub(crate) async fn logout_return(
    State(state): State<GatewayState>,
    session: Session,
    Query(query): Query<LogoutReturn>,
) -> Response {
    let expected: Option<String> = session.remove(LOGOUT_STATE_KEY).await.ok().flatten();
    let confirmed = matches!((&expected, &query.state), (Some(e), Some(s)) if e == s);
    if !confirmed {
        tracing::warn!("logout return with an unknown state");
    }
    let status = if confirmed {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut response = render(
        &state,
        "logged_out",
        "Déconnexion",
        &LoggedOutView { confirmed },
        None,
    )
    .into_response();
    *response.status_mut() = status;
    response
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod acr_tests {
    use super::*;

    #[test]
    fn requested_levels_are_bounded() {
        assert!(requested_acr(None).unwrap().is_empty());
        assert_eq!(
            requested_acr(Some(" eidas1  eidas2 ")).unwrap(),
            ["eidas1", "eidas2"]
        );
        assert!(requested_acr(Some("a b c d e")).is_err());
        assert!(requested_acr(Some(&"a".repeat(MAX_ACR_BYTES + 1))).is_err());
        assert!(requested_acr(Some("caf\u{e9}")).is_err());
    }
}
