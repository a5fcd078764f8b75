//! Login's use cases: recording the verified agent (created or refreshed by issuer and
//! subject), claiming the grants made to its email, admitting it where an admission rule
//! says so, and whether the authentication level reached suffices for a tenant.

use napoleon_db::IdentityConn;
use napoleon_db::identity::VerifiedClaims;
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_kernel::{Email, Personal, TenantId};

use crate::GatewayState;
use crate::oidc::{LoginError, VerifiedLogin};
use crate::store::{core, identity};

/// Whether a login that reached `acr` may work in `tenant`.
pub(crate) async fn acr_satisfied(
    state: &GatewayState,
    tenant: TenantId,
    acr: Option<&str>,
) -> Result<bool, LoginError> {
    let db_err = |e: napoleon_db::DbError| LoginError::Unreachable(e.to_string());
    let mut conn = state.ctx.db.platform().await.map_err(db_err)?;
    let tenant = core::tenant_by_id(&mut conn, tenant)
        .await
        .map_err(db_err)?;
    Ok(tenant.is_some_and(|t| {
        t.required_acr.is_empty() || acr.is_some_and(|a| t.required_acr.iter().any(|r| r == a))
    }))
}

/// Creates or refreshes the agent, links grants made to its email, admits it where an
/// admission rule says so; returns the agent and its tenants.
pub(crate) async fn record_login(
    state: &GatewayState,
    login: &VerifiedLogin,
) -> Result<(napoleon_kernel::AgentId, Vec<TenantId>), LoginError> {
    let db_err = |e: napoleon_db::DbError| LoginError::Unreachable(e.to_string());
    let email = Email::parse(&login.email).map_err(|_| LoginError::Claim("email"))?;
    let given = Personal::new(login.given_name.clone());
    let usual = Personal::new(login.usual_name.clone());
    let claims = VerifiedClaims {
        issuer: &login.issuer,
        subject: &login.subject,
        email: &email,
        given_name: &given,
        usual_name: &usual,
        idp_id: login.idp_id.as_deref(),
    };
    let (agent, _created) = {
        let mut conn = state.ctx.db.platform().await.map_err(db_err)?;
        identity::upsert_agent(&mut conn, &claims, state.ctx.db.clock().now())
            .await
            .map_err(db_err)?
    };
    let mut ic = IdentityConn::begin(&state.ctx.db, agent.id, &email, login.idp_id.as_deref())
        .await
        .map_err(db_err)?;
    let grants = identity::claim_and_list_grants(&mut ic)
        .await
        .map_err(db_err)?;
    let admitting = identity::admitting_tenants(&mut ic).await.map_err(db_err)?;
    ic.commit().await.map_err(db_err)?;
    let mut tenants: Vec<TenantId> = grants.iter().map(|g| g.tenant_id).collect();
    for tenant in admitting {
        if tenants.contains(&tenant) {
            continue;
        }
        // Admitted by rule: a membership without role at the ministry, until one is granted.
        let mut tx = state.ctx.db.tenant(tenant).await.map_err(db_err)?;
        let units = core::list_org_units(&mut tx).await.map_err(db_err)?;
        if let Some(root) = units.iter().find(|u| u.parent_id.is_none()) {
            let (membership, created) =
                identity::grant(&mut tx, &email, root.id, None, "admission")
                    .await
                    .map_err(db_err)?;
            if created {
                journal::append(
                    &mut tx,
                    Actor::System("admission"),
                    Subject::Membership(membership),
                    EventKind::MembershipGranted,
                    serde_json::json!({ "agent": agent.id, "unit": root.id, "role": null }),
                )
                .await
                .map_err(db_err)?;
            }
            tenants.push(tenant);
        }
        tx.commit().await.map_err(db_err)?;
    }
    tenants.sort();
    tenants.dedup();
    Ok((agent.id, tenants))
}
