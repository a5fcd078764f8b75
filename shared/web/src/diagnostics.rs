use axum::routing::{MethodRouter, get};
use axum::{Extension, Json};
use napoleon_identity::Identity;
use serde::Serialize;

#[derive(Serialize, Debug)]
struct IdentityView {
    service: &'static str,
    agent: String,
    tenant: String,
    roles: Vec<String>,
}

/// `GET …/api/v1/identity`: the identity a service received from the gateway. A diagnostic
/// for operators, and the proof in tests that the hand-off works in both deployment modes.
/// Mount it behind `require_identity`.
pub fn identity_route<S: Clone + Send + Sync + 'static>(service: &'static str) -> MethodRouter<S> {
    get(move |Extension(identity): Extension<Identity>| async move {
        Json(IdentityView {
            service,
            agent: identity.agent.to_string(),
            tenant: identity.tenant.to_string(),
            roles: identity
                .roles
                .iter()
                .map(|g| format!("{}@{}", g.role.as_str(), g.unit))
                .collect(),
        })
    })
}
