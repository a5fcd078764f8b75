//! What the home page and the tenant choice read: the tenants, and how many dossiers wait for
//! the agent in each state.

use napoleon_kernel::{OrgUnitId, TenantId};
use napoleon_rules::dossier::DossierState;
use napoleon_web::{ActionError, ActionResult};

use crate::store::{contracts, core};
use crate::{GatewayState, RequestAgent};

/// Every tenant, for the anonymous home page's list of ministries.
pub(crate) async fn tenants(state: &GatewayState) -> ActionResult<Vec<core::Tenant>> {
    let mut conn = state.ctx.db.platform().await?;
    Ok(core::list_tenants(&mut conn).await?)
}

/// The tenants of `ids` that exist, in that order.
pub(crate) async fn tenants_by_id(
    state: &GatewayState,
    ids: &[TenantId],
) -> ActionResult<Vec<core::Tenant>> {
    let mut conn = state.ctx.db.platform().await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(t) = core::tenant_by_id(&mut conn, *id).await? {
            out.push(t);
        }
    }
    Ok(out)
}

/// One tenant (an unknown id is a 404).
pub(crate) async fn tenant(state: &GatewayState, id: TenantId) -> ActionResult<core::Tenant> {
    let mut conn = state.ctx.db.platform().await?;
    core::tenant_by_id(&mut conn, id)
        .await?
        .ok_or(ActionError::NotFound)
}

/// How many dossiers are in each state among those filed by or sitting at `units`, in the
/// agent's current tenant (none without one).
pub(crate) async fn state_counts(
    state: &GatewayState,
    agent: &RequestAgent,
    units: &[OrgUnitId],
) -> ActionResult<Vec<(DossierState, i64)>> {
    let Some(tenant) = &agent.tenant else {
        return Ok(Vec::new());
    };
    let mut tx = state.ctx.db.tenant(tenant.id).await?;
    let counts = contracts::state_counts(&mut tx, Some(units)).await?;
    tx.rollback().await;
    Ok(counts)
}
