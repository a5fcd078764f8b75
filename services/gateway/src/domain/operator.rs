//! The platform operators' acts: creating a ministry (its tenant, ministry unit, default
//! policy, national catalogue and first administrator, in one transaction of that tenant),
//! admission rules, how each tenant's agents log in (trusted providers and idps, acr), and the
//! platform's health. Operators hold no role in any tenant: the route table admits them by
//! their pinned identity (`core.operators`), and nothing here reads dossiers.

use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_db::migrate::{self, Readiness};
use napoleon_kernel::{Email, OrgUnitCode, OrgUnitKind, Role, TenantId, TenantSlug};
use napoleon_web::{ActionError, ActionResult, WebError};

use crate::store::{core, identity, operators};
use crate::{GatewayState, RequestAgent};

/// The operators' page: readiness, the pool's use, and every tenant with its admission rules.
pub(crate) struct Overview {
    pub(crate) readiness: Readiness,
    /// Open, idle and maximum connections.
    pub(crate) pool: (usize, usize, usize),
    pub(crate) tenants: Vec<(core::Tenant, Vec<identity::AdmissionRule>)>,
    pub(crate) operators: Vec<operators::Operator>,
}

/// The second barrier behind the route table's `Access::Operator`: only a platform operator
/// (by configured email) acts here.
fn operator_only(agent: &RequestAgent) -> ActionResult<()> {
    if agent.operator {
        Ok(())
    } else {
        Err(ActionError::Forbidden)
    }
}

/// What the operators' page shows.
pub(crate) async fn overview(state: &GatewayState, agent: &RequestAgent) -> ActionResult<Overview> {
    operator_only(agent)?;
    let readiness = migrate::readiness(&state.ctx.db).await;
    let pool = state.ctx.db.usage();
    let mut conn = state.ctx.db.platform().await?;
    let mut tenants = Vec::new();
    for t in core::list_tenants(&mut conn).await? {
        // Admission rules are platform settings kept in each tenant: read them tenant by
        // tenant, nothing else of the tenant.
        let mut tx = state.ctx.db.tenant(t.id).await?;
        let rules = identity::list_admission_rules(&mut tx).await?;
        tx.rollback().await;
        tenants.push((t, rules));
    }
    let operators = operators::list(&mut conn).await?;
    Ok(Overview {
        readiness,
        pool,
        tenants,
        operators,
    })
}

/// A ministry to create, as parsed from the form.
pub(crate) struct NewMinistry<'a> {
    pub(crate) slug: &'a TenantSlug,
    pub(crate) name: &'a str,
    pub(crate) code: &'a OrgUnitCode,
    pub(crate) admin: &'a Email,
    pub(crate) sandbox: bool,
    /// The providers trusted with e-mail grants, the first administrator's included.
    pub(crate) issuers: &'a [String],
    /// The ProConnect idps those must also come through (empty: any).
    pub(crate) idp_ids: &'a [String],
}

/// Creates the ministry with its defaults, the providers (and idps) it trusts with grants made
/// to an e-mail, and its first administrator; false when the slug is taken (nothing is
/// created then).
pub(crate) async fn create_tenant(
    state: &GatewayState,
    agent: &RequestAgent,
    new: &NewMinistry<'_>,
) -> ActionResult<bool> {
    operator_only(agent)?;
    // One transaction for the tenant and all it starts with: a failure halfway leaves no
    // ministry without its root unit or administrator (nor a slug taken by nothing usable).
    let mut tx = state.ctx.db.tenant(TenantId::new()).await?;
    let created = core::create_tenant_in(
        &mut tx,
        &core::NewTenant {
            slug: new.slug,
            name: new.name,
            is_sandbox: new.sandbox,
        },
    )
    .await?;
    let Some(tenant) = created else {
        tx.rollback().await;
        return Ok(false);
    };
    let actor = Actor::Agent(agent.agent);
    core::set_trust(&mut tx, new.issuers, new.idp_ids).await?;
    journal::append(
        &mut tx,
        actor,
        Subject::Tenant(tenant.id),
        EventKind::TenantCreated,
        serde_json::json!({ "slug": new.slug.as_str(), "name": new.name, "is_sandbox": tenant.is_sandbox }),
    )
    .await?;
    let (root, _) = core::ensure_org_unit(
        &mut tx,
        &core::NewOrgUnit {
            parent_id: None,
            kind: OrgUnitKind::Ministere,
            code: new.code,
            name: new.name,
        },
    )
    .await?;
    journal::append(
        &mut tx,
        actor,
        Subject::OrgUnit(root.id),
        EventKind::OrgUnitCreated,
        serde_json::json!({ "kind": "ministere", "code": new.code.as_str(), "name": new.name }),
    )
    .await?;
    crate::provisioning::seed_tenant_defaults(
        &mut tx,
        actor,
        &crate::provisioning::NATIONAL_CATALOGUE,
    )
    .await
    .map_err(|e| match e {
        crate::provisioning::ProvisionError::Db(db) => ActionError::from(db),
        other => ActionError::Web(WebError::Internal(other.to_string())),
    })?;
    let (membership, _) = identity::grant(
        &mut tx,
        new.admin,
        root.id,
        Some(Role::Administrateur),
        &format!("agent:{}", agent.agent),
    )
    .await?;
    journal::append(
        &mut tx,
        actor,
        Subject::Membership(membership),
        EventKind::MembershipGranted,
        serde_json::json!({ "unit": root.id, "role": Role::Administrateur.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// How a tenant's agents log in, as an operator sets it.
pub(crate) struct LoginSettings {
    /// Issuers of configured providers trusted with e-mail grants and admission rules.
    pub(crate) issuers: Vec<String>,
    /// ProConnect idps those must also come through (empty: any).
    pub(crate) idp_ids: Vec<String>,
    /// The acr a session must reach to work in the tenant (empty: any).
    pub(crate) acr: Vec<String>,
}

/// Sets how `tenant`'s agents log in. A higher acr applies to open sessions at their next
/// request (they are sent to log in again at that level).
pub(crate) async fn set_login(
    state: &GatewayState,
    agent: &RequestAgent,
    tenant: TenantId,
    settings: &LoginSettings,
) -> ActionResult<()> {
    operator_only(agent)?;
    let mut tx = state.ctx.db.tenant(tenant).await?;
    // An unknown tenant's id is a 404 (and nothing to journal in).
    if core::tenant_by_id(tx.pg(), tenant).await?.is_none() {
        tx.rollback().await;
        return Err(ActionError::NotFound);
    }
    core::set_trust(&mut tx, &settings.issuers, &settings.idp_ids).await?;
    core::set_required_acr(tx.pg(), tenant, &settings.acr).await?;
    journal::append(
        &mut tx,
        Actor::Agent(agent.agent),
        Subject::Tenant(tenant),
        EventKind::TenantLoginChanged,
        serde_json::json!({
            "trusted_issuers": settings.issuers,
            "trusted_idp_ids": settings.idp_ids,
            "required_acr": settings.acr,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The tenant of `slug`, if any.
pub(crate) async fn find_tenant(
    state: &GatewayState,
    slug: &TenantSlug,
) -> ActionResult<Option<core::Tenant>> {
    let mut conn = state.ctx.db.platform().await?;
    Ok(core::find_tenant(&mut conn, slug).await?)
}

/// Admits into `tenant` every agent of a domain or identity provider.
pub(crate) async fn add_admission(
    state: &GatewayState,
    agent: &RequestAgent,
    tenant: TenantId,
    kind: identity::AdmissionKind,
    value: &str,
) -> ActionResult<()> {
    operator_only(agent)?;
    let mut tx = state.ctx.db.tenant(tenant).await?;
    identity::add_admission_rule(&mut tx, kind, value).await?;
    journal::append(
        &mut tx,
        Actor::Agent(agent.agent),
        Subject::Tenant(tenant),
        EventKind::AdmissionRuleAdded,
        serde_json::json!({ "kind": kind.as_str(), "value": value }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes an admission rule (an unknown one, or another tenant's, is a 404).
pub(crate) async fn remove_admission(
    state: &GatewayState,
    agent: &RequestAgent,
    tenant: TenantId,
    id: uuid::Uuid,
) -> ActionResult<()> {
    operator_only(agent)?;
    let mut tx = state.ctx.db.tenant(tenant).await?;
    if !identity::remove_admission_rule(&mut tx, id).await? {
        tx.rollback().await;
        return Err(ActionError::NotFound);
    }
    journal::append(
        &mut tx,
        Actor::Agent(agent.agent),
        Subject::Tenant(tenant),
        EventKind::AdmissionRuleRemoved,
        serde_json::json!({ "rule": id }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
