//! Authorization for every Napoléon route.
//!
//! A route declares a [`Permission`] — a typed [`Resource`] and [`Action`], never a string in
//! a handler. An agent holds [`Role`]s at units of a tenant; casbin (RBAC with domains, the
//! domain being the tenant) decides which role may do what, from the tenant's own policy,
//! stored in PostgreSQL (`authz.policy_rules`) and seeded from a versioned default file
//! (`policy/default-v1.csv`). Deny by default: no rule, no access.
//!
//! Every instance keeps each tenant's policy with the version it was loaded at (and each
//! decision made from it), and its units with the tenant's access stamp; both are compared
//! with the database's (one statement in the request's own transaction) before use: a change
//! made through any instance applies everywhere at the next request.

mod access;
mod adapter;
mod permission;

use std::collections::HashMap;
use std::sync::Arc;

use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter};
use napoleon_db::policy::{self, PolicyRule};
use napoleon_db::{Db, DbError, TenantConn};
use napoleon_kernel::{AgentId, OrgUnitId, Role, TenantId};
use tokio::sync::Mutex;

pub use access::{Access, Authorized, Perm, Refusal, Scope, perm};
pub use adapter::PgPolicyAdapter;
pub use permission::{Action, Permission, Resource};

/// The casbin model.
pub const MODEL: &str = include_str!("../policy/model.conf");

/// The default policy every tenant starts from.
pub const DEFAULT_POLICY: &str = include_str!("../policy/default-v1.csv");

/// Why an authorization decision could not be made (never "denied": that is `Ok(false)`).
#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    /// The policy could not be read.
    #[error(transparent)]
    Db(#[from] DbError),
    /// casbin refused the model or the policy.
    #[error("policy engine: {0}")]
    Casbin(String),
    /// The default policy file is malformed (a bug: a test parses it).
    #[error("default policy line {line}: {detail}")]
    DefaultPolicy {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        detail: String,
    },
}

/// The default policy's rules for `tenant`: `p, role, resource, action` becomes
/// `[role, tenant, resource, action]`.
///
/// # Errors
/// [`AuthzError::DefaultPolicy`] naming the bad line.
pub fn default_rules(tenant: TenantId) -> Result<Vec<PolicyRule>, AuthzError> {
    let mut rules = Vec::new();
    for (i, line) in DEFAULT_POLICY.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let bad = |detail: &str| AuthzError::DefaultPolicy {
            line: i + 1,
            detail: detail.to_owned(),
        };
        let [ptype, role, resource, action] = fields.as_slice() else {
            return Err(bad("expected: p, role, resource, action"));
        };
        if *ptype != "p" {
            return Err(bad("only p rules are expected"));
        }
        Role::parse(role).map_err(|e| bad(&e.to_string()))?;
        let permission =
            Permission::parse(resource, action).ok_or_else(|| bad("unknown resource or action"))?;
        rules.push(PolicyRule {
            ptype: "p".to_owned(),
            values: vec![
                (*role).to_owned(),
                tenant.to_string(),
                permission.resource.as_str().to_owned(),
                permission.action.as_str().to_owned(),
            ],
        });
    }
    Ok(rules)
}

/// Seeds the default policy into the transaction's tenant (idempotent); returns how many rules
/// were added.
///
/// # Errors
/// [`AuthzError`].
pub async fn seed_default_policy(tx: &mut TenantConn) -> Result<usize, AuthzError> {
    let rules = default_rules(tx.tenant())?;
    Ok(policy::add(tx, &rules).await?)
}

async fn enforcer_from(
    model: &str,
    adapter: impl casbin::Adapter + 'static,
) -> Result<Enforcer, AuthzError> {
    let model = DefaultModel::from_str(model)
        .await
        .map_err(|e| AuthzError::Casbin(e.to_string()))?;
    Enforcer::new(model, adapter).await.map_err(|e| match e {
        // The database behind the adapter, not the policy: kept as a database error, so
        // that an unavailable one is a 503 like everywhere else (seen: the pool's timeout
        // while a fresh instance loads a policy under load).
        casbin::Error::AdapterError(casbin::error::AdapterError(inner)) => {
            match inner.downcast::<napoleon_db::DbError>() {
                Ok(db) => AuthzError::Db(*db),
                Err(other) => AuthzError::Casbin(other.to_string()),
            }
        }
        other => AuthzError::Casbin(other.to_string()),
    })
}

/// An enforcer over the default policy alone, without a database (for the policy matrix and
/// for checks of the default file).
///
/// # Errors
/// [`AuthzError`].
pub async fn default_enforcer(tenant: TenantId) -> Result<Enforcer, AuthzError> {
    let mut enforcer = enforcer_from(MODEL, MemoryAdapter::default()).await?;
    for rule in default_rules(tenant)? {
        casbin::MgmtApi::add_policy(&mut enforcer, rule.values)
            .await
            .map_err(|e| AuthzError::Casbin(e.to_string()))?;
    }
    Ok(enforcer)
}

/// Whether any of `roles` may do `permission` in `tenant`, according to `enforcer`.
///
/// # Errors
/// [`AuthzError::Casbin`] if casbin fails to evaluate.
pub fn allows(
    enforcer: &Enforcer,
    tenant: TenantId,
    roles: &[Role],
    permission: Permission,
) -> Result<bool, AuthzError> {
    let tenant = tenant.to_string();
    for role in roles {
        let allowed = enforcer
            .enforce((
                role.as_str(),
                tenant.as_str(),
                permission.resource.as_str(),
                permission.action.as_str(),
            ))
            .map_err(|e| AuthzError::Casbin(e.to_string()))?;
        if allowed {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A tenant's policy at one version: its enforcer, and each decision it made, kept (casbin
/// evaluates its matcher with a script engine: tens of microseconds a decision, at every
/// check of every request otherwise). A new version is a new `Policy`, so a kept decision
/// never outlives the rules it came from.
pub struct Policy {
    tenant: TenantId,
    enforcer: Enforcer,
    decided: std::sync::RwLock<HashMap<(Role, Permission), bool>>,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy").finish_non_exhaustive()
    }
}

impl Policy {
    /// `tenant`'s policy, deciding with `enforcer` (loaded from that tenant's rules).
    #[must_use]
    pub fn new(tenant: TenantId, enforcer: Enforcer) -> Self {
        Self {
            tenant,
            enforcer,
            decided: std::sync::RwLock::default(),
        }
    }

    /// Whether any of `roles` may do `permission` in the policy's tenant.
    ///
    /// # Errors
    /// [`AuthzError::Casbin`] if casbin fails to evaluate.
    pub fn allows(&self, roles: &[Role], permission: Permission) -> Result<bool, AuthzError> {
        for role in roles {
            let kept = self
                .decided
                .read()
                .ok()
                .and_then(|d| d.get(&(*role, permission)).copied());
            let allowed = match kept {
                Some(allowed) => allowed,
                None => {
                    let allowed = allows(&self.enforcer, self.tenant, &[*role], permission)?;
                    if let Ok(mut decided) = self.decided.write() {
                        decided.insert((*role, permission), allowed);
                    }
                    allowed
                }
            };
            if allowed {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// What an instance keeps of a tenant: its policy with the version it was loaded at, and
/// its units with the access stamp they were read under.
#[derive(Default)]
struct Kept {
    policy: Option<(i64, Arc<Policy>)>,
    units: Option<(i64, Arc<Vec<napoleon_db::core::OrgUnit>>)>,
}

/// A tenant's units as an instance keeps them, with the access stamp they were read under.
#[derive(Debug, Default)]
pub struct KeptUnits(Option<(i64, Arc<Vec<napoleon_db::core::OrgUnit>>)>);

impl KeptUnits {
    /// The stamp they were read under (`None`: nothing kept yet).
    #[must_use]
    pub fn stamp(&self) -> Option<i64> {
        self.0.as_ref().map(|(stamp, _)| *stamp)
    }
}

/// Per-tenant policies and units, kept with their version and stamp.
#[derive(Clone)]
pub struct Authorizer {
    db: Db,
    cache: Arc<Mutex<HashMap<TenantId, Kept>>>,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorizer").finish_non_exhaustive()
    }
}

impl Authorizer {
    /// An authorizer loading policies through `db` (application role).
    #[must_use]
    pub fn new(db: Db) -> Self {
        Self {
            db,
            cache: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The agent's [`Access`] in the transaction's tenant, read once for a use case: one
    /// statement reads the tenant's access stamp and policy version, and its units only when
    /// the stamp is not the one they are kept under; the policy is reloaded when its version
    /// changed.
    ///
    /// # Errors
    /// [`AuthzError`] when the units or the policy cannot be read.
    pub async fn access(
        &self,
        tx: &mut TenantConn,
        agent: AgentId,
        grants: Vec<(Role, OrgUnitId)>,
    ) -> Result<Access, AuthzError> {
        let known = self.kept(tx.tenant()).await;
        let state = policy::access_state(tx, known.stamp()).await?;
        self.access_from(tx, agent, grants, known, state).await
    }

    /// What this instance keeps of `tenant`'s units: the stamp to send to
    /// `authz.access_state` (`napoleon_db::policy::access_state`), which a caller may send
    /// alongside its other first statements before finishing with [`Self::access_from`].
    pub async fn kept(&self, tenant: TenantId) -> KeptUnits {
        KeptUnits(
            self.cache
                .lock()
                .await
                .get(&tenant)
                .and_then(|k| k.units.clone()),
        )
    }

    /// [`Self::access`] from the access state read with what was [`Self::kept`].
    ///
    /// # Errors
    /// [`AuthzError`] when the policy cannot be loaded.
    pub async fn access_from(
        &self,
        tx: &mut TenantConn,
        agent: AgentId,
        grants: Vec<(Role, OrgUnitId)>,
        known: KeptUnits,
        state: policy::AccessState,
    ) -> Result<Access, AuthzError> {
        let tenant = tx.tenant();
        let units = match (state.units, known.0) {
            (Some(fresh), _) => {
                let fresh = Arc::new(fresh);
                if let Some(stamp) = state.stamp {
                    self.cache.lock().await.entry(tenant).or_default().units =
                        Some((stamp, Arc::clone(&fresh)));
                }
                fresh
            }
            (None, Some((_, kept))) => kept,
            // Units are sent whenever the stamp is not the one given: not reached.
            (None, None) => Arc::new(Vec::new()),
        };
        let policy = self.policy(tx, state.version).await?;
        Ok(Access::new(
            agent,
            tenant,
            grants,
            units,
            policy,
            state.stamp.unwrap_or(0),
        ))
    }

    /// The tenant's policy, reloaded when its `version` (just read) changed.
    async fn policy(&self, tx: &mut TenantConn, version: i64) -> Result<Arc<Policy>, AuthzError> {
        let tenant = tx.tenant();
        let cached = self
            .cache
            .lock()
            .await
            .get(&tenant)
            .and_then(|k| k.policy.as_ref())
            .filter(|(v, _)| *v == version)
            .map(|(_, p)| Arc::clone(p));
        if let Some(policy) = cached {
            return Ok(policy);
        }
        let enforcer = enforcer_from(MODEL, PgPolicyAdapter::new(self.db.clone(), tenant)).await?;
        let policy = Arc::new(Policy::new(tenant, enforcer));
        self.cache.lock().await.entry(tenant).or_default().policy =
            Some((version, Arc::clone(&policy)));
        tracing::debug!(tenant.id = %tenant, policy.version = version, "policy loaded");
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn the_default_policy_parses_and_names_only_known_roles_and_permissions() {
        let rules = default_rules(TenantId::new()).unwrap();
        assert!(rules.len() > 40);
        assert!(rules.iter().all(|r| r.values.len() == 4));
    }

    /// The policy matrix: which role may do what by default. Reviewing a change to the
    /// default policy means reviewing this snapshot.
    #[tokio::test]
    async fn default_policy_matrix() {
        let tenant = TenantId::new();
        let enforcer = default_enforcer(tenant).await.unwrap();
        let mut matrix = String::new();
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        matrix.push_str(&format!(
            "{:<24}{}\n",
            "",
            roles
                .iter()
                .map(|r| format!("{:<5}", &r[..4]))
                .collect::<String>()
        ));
        for permission in Permission::ALL {
            let mut line = format!(
                "{:<24}",
                format!(
                    "{}:{}",
                    permission.resource.as_str(),
                    permission.action.as_str()
                )
            );
            for role in Role::ALL {
                let allowed = allows(&enforcer, tenant, &[role], permission).unwrap();
                line.push_str(if allowed { "x    " } else { ".    " });
            }
            matrix.push_str(line.trim_end());
            matrix.push('\n');
        }
        insta::assert_snapshot!("default_policy_matrix", matrix);
    }

    #[tokio::test]
    async fn no_role_and_other_tenants_are_denied() {
        let tenant = TenantId::new();
        let enforcer = default_enforcer(tenant).await.unwrap();
        let read = Permission::new(Resource::Home, Action::Read);
        assert!(!allows(&enforcer, tenant, &[], read).unwrap());
        assert!(allows(&enforcer, tenant, &[Role::Auditeur], read).unwrap());
        assert!(
            !allows(&enforcer, TenantId::new(), &[Role::Auditeur], read).unwrap(),
            "another tenant's domain"
        );
    }
}
