//! Who is calling: resolved at every request from the session, with the agent's grants in the
//! current tenant, the tenant's units and its row as of the tenant's access stamp, read at
//! every request: a role granted or withdrawn, a unit added, an acr raised move the stamp,
//! so they apply at once (on every instance), while an unchanged tenant costs one read.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use napoleon_db::core::OrgUnit;
use napoleon_db::identity::{self, Grant};
use napoleon_kernel::{AgentId, OrgUnitId, Role, TenantId};
use napoleon_web::{LayoutUser, WebError};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::GatewayState;

/// The session key of [`SessionAuth`].
pub(crate) const AUTH_KEY: &str = "auth";

/// What the session knows once the agent has logged in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SessionAuth {
    pub(crate) agent: AgentId,
    pub(crate) name: String,
    pub(crate) provider: String,
    pub(crate) id_token: String,
    pub(crate) acr: Option<String>,
    pub(crate) login_at: i64,
    pub(crate) tenants: Vec<TenantId>,
    pub(crate) tenant: Option<TenantId>,
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) operator: bool,
    /// When the session's expiry was last pushed back (Unix seconds).
    #[serde(default)]
    pub(crate) seen_at: i64,
    /// The session's reference: random, minted at login, shown in the read log to tell one
    /// login's reads from another's. Not the session id (a secret): it opens nothing.
    #[serde(default)]
    pub(crate) reference: String,
}

/// The current tenant of a request.
#[derive(Debug, Clone)]
pub struct CurrentTenant {
    /// Its id.
    pub id: TenantId,
    /// Its name.
    pub name: String,
    /// Its units (names for the header and forms).
    pub units: std::sync::Arc<Vec<OrgUnit>>,
}

/// The agent behind a request, with their grants in the current tenant.
#[derive(Debug, Clone)]
pub struct RequestAgent {
    /// Who.
    pub agent: AgentId,
    /// « Prénom Nom », for the header.
    pub name: String,
    /// The tenant they work in now, if chosen.
    pub tenant: Option<CurrentTenant>,
    /// Their grants in that tenant.
    pub grants: Vec<Grant>,
    /// How many tenants they belong to.
    pub tenant_count: usize,
    /// The session's CSRF token.
    pub csrf: String,
    /// A platform operator.
    pub operator: bool,
    /// The session's reference (empty for a session opened before references existed).
    pub session: String,
}

impl RequestAgent {
    /// The roles held in the current tenant (at any unit).
    #[must_use]
    pub fn roles(&self) -> Vec<Role> {
        let mut roles: Vec<Role> = self.grants.iter().filter_map(|g| g.role).collect();
        roles.sort();
        roles.dedup();
        roles
    }

    /// The roles held in the current tenant with the units where they are held (an admission
    /// without role grants nothing): what authorization decides from.
    #[must_use]
    pub fn role_grants(&self) -> Vec<(Role, OrgUnitId)> {
        self.grants
            .iter()
            .filter_map(|g| g.role.map(|r| (r, g.unit_id)))
            .collect()
    }

    /// The header's view of this agent.
    #[must_use]
    pub fn layout_user(&self) -> LayoutUser {
        let unit = self.tenant.as_ref().and_then(|t| {
            let names: Vec<&str> = self
                .grants
                .iter()
                .filter_map(|g| {
                    t.units
                        .iter()
                        .find(|u| u.id == g.unit_id)
                        .map(|u| u.name.as_str())
                })
                // A role at the ministry itself: the tenant's name already says it.
                .filter(|name| *name != t.name)
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            (!names.is_empty()).then(|| names.join(", "))
        });
        LayoutUser {
            name: self.name.clone(),
            tenant: self.tenant.as_ref().map(|t| t.name.clone()),
            unit,
            can_switch: self.tenant_count > 1,
            operator: self.operator,
            csrf: self.csrf.clone(),
        }
    }
}

/// Resolves the session into a [`RequestAgent`] (request extension) and enforces the
/// absolute session lifetime.
pub(crate) async fn resolve(
    State(state): State<GatewayState>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return unauthenticated(request, next).await;
    };
    let auth = match session.get::<SessionAuth>(AUTH_KEY).await {
        Ok(auth) => auth,
        Err(e) => return WebError::Unavailable(e.to_string()).into_response(),
    };
    if let Some(mut auth) = auth {
        let now = state.ctx.db.clock().timestamp();
        let absolute = i64::try_from(state.cfg.session.absolute.as_secs()).unwrap_or(i64::MAX);
        if now - auth.login_at > absolute {
            // Past the absolute lifetime: log out locally, whatever the activity.
            let _ignored = session.flush().await;
        } else {
            // The store only learns a new expiry when the session changes: refresh a stamp
            // every so often so that activity keeps the session alive (idle timeout), without
            // a write per request.
            let idle = i64::try_from(state.cfg.session.idle.as_secs()).unwrap_or(i64::MAX);
            let refresh_every = (idle / 4).clamp(1, 60);
            let stale = now - auth.seen_at >= refresh_every;
            if stale {
                auth.seen_at = now;
            }
            let had_tenant = auth.tenant.is_some();
            let was_operator = auth.operator;
            let read_stamp = session
                .get::<crate::session_store::ReadStamp>(crate::session_store::STAMP_KEY)
                .await
                .ok()
                .flatten();
            match load(&state, &mut auth, read_stamp).await {
                Ok(Loaded::StepUp(tenant)) => {
                    // The tenant now requires a stronger login than this session's: it stops
                    // working there until the agent logs in again at that level.
                    if let Err(e) = session.insert(AUTH_KEY, &auth).await {
                        return WebError::Unavailable(e.to_string()).into_response();
                    }
                    tracing::info!(tenant.id = %tenant, "session below the tenant's acr: step up");
                    return axum::response::Redirect::to(&format!(
                        "/authentification-renforcee?ministere={tenant}"
                    ))
                    .into_response();
                }
                Ok(Loaded::Agent(agent)) => {
                    if stale && let Err(e) = session.insert(AUTH_KEY, &auth).await {
                        return WebError::Unavailable(e.to_string()).into_response();
                    }
                    if let (Some(t), Some(span)) = (
                        &agent.tenant,
                        request.extensions().get::<napoleon_identity::RequestSpan>(),
                    ) {
                        span.record_tenant(t.id);
                    }
                    if (had_tenant && auth.tenant.is_none() || was_operator != auth.operator)
                        && !stale
                    {
                        // Keep the session in step when a withdrawn grant removed the tenant
                        // or a removed operator lost the operators' pages (a stale stamp
                        // already saved it above).
                        let _ignored = session.insert(AUTH_KEY, &auth).await;
                    }
                    request.extensions_mut().insert(agent);
                    // What an agent sees is theirs: no shared or browser cache keeps it.
                    let mut response = next.run(request).await;
                    response.headers_mut().insert(
                        axum::http::header::CACHE_CONTROL,
                        axum::http::HeaderValue::from_static("no-store"),
                    );
                    return response;
                }
                Err(e) => return e.into_response(),
            }
        }
    }
    unauthenticated(request, next).await
}

/// A request no valid session authenticates (none, made up, expired, or a bearer token no
/// one checks yet): it counts against its address's rate, where the edge limits clients.
async fn unauthenticated(request: Request, next: Next) -> Response {
    if let Some(gate) = request.extensions().get::<napoleon_web::RateGate>()
        && let Err(refused) = gate.charge_unauthenticated()
    {
        return refused.into_response();
    }
    next.run(request).await
}

/// What the session resolves to.
enum Loaded {
    /// The agent, with their grants in the current tenant.
    Agent(RequestAgent),
    /// The current tenant requires a stronger login than the session's (it was unset).
    StepUp(TenantId),
}

async fn load(
    state: &GatewayState,
    auth: &mut SessionAuth,
    read_stamp: Option<crate::session_store::ReadStamp>,
) -> Result<Loaded, WebError> {
    if auth.operator {
        // Asked again at every request of an operator's session: `napoleon operators remove`
        // applies at once. (Other sessions pay nothing.)
        let mut conn = state.ctx.db.platform().await?;
        auth.operator = napoleon_db::operators::is_operator(&mut conn, auth.agent).await?
            && napoleon_kernel::proconnect::acr_satisfies(
                auth.acr.as_deref(),
                &state.cfg.operator_acr,
            );
    }
    let mut tenant = None;
    let mut grants = Vec::new();
    if let Some(tenant_id) = auth.tenant {
        // The tenant's stamp at every request; grants, units and the tenant in one statement
        // when it moved (or this instance has not read them yet).
        let read_stamp = read_stamp
            .filter(|read| read.tenant == tenant_id)
            .map(|read| read.stamp);
        let context = state
            .contexts
            .context(&state.ctx.db, tenant_id, auth.agent, read_stamp)
            .await?;
        grants = context.grants.clone();
        let units = std::sync::Arc::clone(&context.units);
        // No grant left in this tenant (all withdrawn), or no tenant (its grants' foreign key
        // forbids it while they exist): back to choosing. Never a tenant whose acr
        // requirement could not be read.
        match context.tenant.as_ref().filter(|_| !grants.is_empty()) {
            None => {
                grants.clear();
                auth.tenant = None;
                auth.tenants.retain(|t| *t != tenant_id);
            }
            Some(found) => {
                // The tenant's acr requirement holds at every request, not only when the
                // tenant was chosen: an operator raising it sends open sessions to step up.
                if !napoleon_kernel::proconnect::acr_satisfies(
                    auth.acr.as_deref(),
                    &found.required_acr,
                ) {
                    auth.tenant = None;
                    return Ok(Loaded::StepUp(tenant_id));
                }
                tenant = Some(CurrentTenant {
                    id: tenant_id,
                    name: found.name.clone(),
                    units,
                });
            }
        }
    }
    Ok(Loaded::Agent(RequestAgent {
        agent: auth.agent,
        name: auth.name.clone(),
        tenant,
        grants,
        tenant_count: auth.tenants.len(),
        csrf: auth.csrf.clone(),
        operator: auth.operator,
        session: auth.reference.clone(),
    }))
}

/// Agents' request contexts, kept per instance under the tenant's access stamp
/// (`napoleon_db::core::access_stamp`): a kept context serves while the stamp is the one it
/// was read under, so a change made through any instance applies at its next request. The
/// tenant's units are kept once per tenant and stamp, shared by its agents' contexts.
#[derive(Debug, Default)]
pub(crate) struct KeptContexts {
    kept: std::sync::Mutex<Kept>,
}

/// What is kept: each agent's context with the stamp it was read under, and each tenant's
/// units with theirs.
#[derive(Debug, Default)]
struct Kept {
    contexts: std::collections::HashMap<
        (TenantId, AgentId),
        (i64, std::sync::Arc<identity::RequestContext>),
    >,
    units: std::collections::HashMap<TenantId, (i64, std::sync::Arc<Vec<OrgUnit>>)>,
}

/// Beyond this many agents' contexts, the instance starts again from empty (an agent's
/// grants and the tenant's row: well under a KiB each, the units being shared; the next
/// request of each reads its context again).
const MAX_KEPT_CONTEXTS: usize = 10_000;

impl KeptContexts {
    /// `agent`'s context in `tenant`: kept if the tenant's stamp has not moved, else read in
    /// the tenant's transaction (with the stamp, in the same snapshot) and kept. `read`: the
    /// stamp as this request already read it (with its session), else it is read here.
    async fn context(
        &self,
        db: &napoleon_db::Db,
        tenant: TenantId,
        agent: AgentId,
        read: Option<i64>,
    ) -> Result<std::sync::Arc<identity::RequestContext>, WebError> {
        let stamp = match read {
            Some(stamp) => Some(stamp),
            None => {
                let mut conn = db.platform().await?;
                napoleon_db::core::access_stamp(&mut conn, tenant).await?
            }
        };
        if let Some(stamp) = stamp
            && let Some(context) = self.kept.lock().ok().and_then(|kept| {
                kept.contexts
                    .get(&(tenant, agent))
                    .filter(|(at, _)| *at == stamp)
                    .map(|(_, c)| std::sync::Arc::clone(c))
            })
        {
            return Ok(context);
        }
        let mut tx = db.tenant(tenant).await?;
        let context = identity::request_context(&mut tx, agent).await;
        tx.rollback().await;
        let mut context = context?;
        // Kept under the stamp read with it: never older than the stamp says.
        if let (Some(stamp), Ok(mut kept)) = (context.stamp, self.kept.lock()) {
            match kept.units.get(&tenant) {
                Some((at, units)) if *at == stamp => context.units = std::sync::Arc::clone(units),
                _ => {
                    kept.units
                        .insert(tenant, (stamp, std::sync::Arc::clone(&context.units)));
                }
            }
            if kept.contexts.len() >= MAX_KEPT_CONTEXTS {
                kept.contexts.clear();
            }
            let context = std::sync::Arc::new(context);
            kept.contexts
                .insert((tenant, agent), (stamp, std::sync::Arc::clone(&context)));
            return Ok(context);
        }
        Ok(std::sync::Arc::new(context))
    }
}
