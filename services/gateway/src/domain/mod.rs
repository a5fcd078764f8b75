//! The gateway's use cases, one file per group: the home page's counts and the tenant choice
//! (`home`), login (`login`), the tenant administrator's members, policy and catalogue, and
//! the platform operators' acts. Each opens its own transaction, decides the access in it
//! (a second barrier behind the route table's declared access) and journals its changes in it.

pub(crate) mod catalogue;
pub(crate) mod guide;
pub(crate) mod home;
pub(crate) mod jobs;
pub(crate) mod login;
pub(crate) mod members;
pub(crate) mod operator;
pub(crate) mod policy;
pub(crate) mod readlog;

use napoleon_authz::Access;
use napoleon_db::TenantConn;
use napoleon_web::{ActionError, ActionResult};

use crate::{GatewayState, RequestAgent};

/// A tenant administrator's unit of work: the transaction in the agent's current tenant and
/// the agent's access there, read once (a request without a tenant is refused).
pub(crate) async fn begin(
    state: &GatewayState,
    agent: &RequestAgent,
) -> ActionResult<(TenantConn, Access)> {
    let tenant = agent.tenant.as_ref().ok_or(ActionError::Forbidden)?;
    let mut tx = state.ctx.db.tenant(tenant.id).await?;
    let grants = agent.role_grants();
    let access = state
        .cfg
        .authorizer
        .access(&mut tx, agent.agent, grants)
        .await?;
    Ok((tx, access))
}
