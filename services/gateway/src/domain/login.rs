//! Login's use cases: recording the verified agent (created or refreshed by issuer and
//! subject), claiming the grants made to its email, admitting it where an admission rule
//! says so, and whether the authentication level reached suffices for a tenant.

use napoleon_db::IdentityConn;
use napoleon_db::identity::VerifiedClaims;
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_kernel::{Email, Personal, TenantId};

use crate::GatewayState;
use crate::oidc::{LoginError, VerifiedLogin};
use crate::store::{core, identity, operators};

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
    Ok(tenant.is_some_and(|t| napoleon_kernel::proconnect::acr_satisfies(acr, &t.required_acr)))
}

/// Who logged in: the agent, its tenants, and whether it is a platform operator.
pub(crate) struct Recorded {
    pub(crate) agent: napoleon_kernel::AgentId,
    pub(crate) tenants: Vec<TenantId>,
    pub(crate) operator: bool,
}

/// Creates or refreshes the agent (by issuer and subject), links the grants made to its
/// e-mail and admits it where an admission rule says so — both only in tenants that trust
/// the provider it came through, and only with an e-mail the provider did not declare
/// unverified — and pins it as an operator if it was added with this e-mail and issuer.
pub(crate) async fn record_login(
    state: &GatewayState,
    login: &VerifiedLogin,
) -> Result<Recorded, LoginError> {
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
        email_verified: login.email_verified,
    };
    let now = state.ctx.db.clock().now();
    let (agent, operator) = {
        let mut conn = state.ctx.db.platform().await.map_err(db_err)?;
        let (agent, _created) = identity::upsert_agent(&mut conn, &claims, now)
            .await
            .map_err(db_err)?;
        // Only a login at the operators' authentication level may pin a waiting operator row:
        // a weaker one through the same provider must not take the place for good.
        let strong = napoleon_kernel::proconnect::acr_satisfies(
            login.acr.as_deref(),
            &state.cfg.operator_acr,
        );
        let operator = operators::pin_at_login(
            &mut conn,
            agent.id,
            &login.issuer,
            claims.claimable_email().filter(|_| strong),
            now,
        )
        .await
        .map_err(db_err)?;
        (agent, operator)
    };
    let mut ic = IdentityConn::begin(
        &state.ctx.db,
        agent.id,
        &login.issuer,
        claims.claimable_email(),
        login.idp_id.as_deref(),
    )
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
            let Some((membership, created)) = identity::admit(&mut tx, agent.id, &email, root.id)
                .await
                .map_err(db_err)?
            else {
                tx.rollback().await;
                continue;
            };
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
    Ok(Recorded {
        agent: agent.id,
        tenants,
        operator,
    })
}
