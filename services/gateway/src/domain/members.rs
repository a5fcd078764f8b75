//! Members and roles of the tenant: who holds which role at which unit; grants by email
//! (before or after the agent's first login) and withdrawals. A withdrawal applies at the
//! holder's next request (grants are read at every request); it ends none of their sessions,
//! which may be working in other tenants that are none of this one's business.

use napoleon_authz::{Scope, perm};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_kernel::{Email, MembershipId, OrgUnitId, Role};
use napoleon_web::{ActionResult, Conflict};

use super::begin;
use crate::store::identity;
use crate::{GatewayState, RequestAgent};

/// What the members page lists.
pub(crate) struct Members {
    pub(crate) members: Vec<identity::Member>,
    pub(crate) admissions: Vec<identity::AdmissionRule>,
}

/// The tenant's members and admission rules.
pub(crate) async fn list(state: &GatewayState, agent: &RequestAgent) -> ActionResult<Members> {
    let (mut tx, access) = begin(state, agent).await?;
    access.require::<perm::MembersRead>(Scope::Ministry)?;
    let members = identity::list_members(&mut tx).await?;
    let admissions = identity::list_admission_rules(&mut tx).await?;
    tx.rollback().await;
    Ok(Members {
        members,
        admissions,
    })
}

/// Grants `role` at `unit` to whoever holds `email` (now or at their first login).
pub(crate) async fn grant(
    state: &GatewayState,
    agent: &RequestAgent,
    email: &Email,
    unit: OrgUnitId,
    role: Role,
) -> ActionResult<()> {
    let (mut tx, access) = begin(state, agent).await?;
    let manage = access.authorize::<perm::MembersManage>(Scope::Ministry)?;
    let (membership, created) = identity::grant(
        &mut tx,
        email,
        unit,
        Some(role),
        &format!("agent:{}", manage.agent()),
    )
    .await?;
    if created {
        journal::append(
            &mut tx,
            Actor::Agent(manage.agent()),
            Subject::Membership(membership),
            EventKind::MembershipGranted,
            serde_json::json!({ "unit": unit, "role": role.as_str() }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Withdraws a membership.
pub(crate) async fn revoke(
    state: &GatewayState,
    agent: &RequestAgent,
    id: MembershipId,
) -> ActionResult<()> {
    let (mut tx, access) = begin(state, agent).await?;
    let manage = access.authorize::<perm::MembersManage>(Scope::Ministry)?;
    // Another tenant's id is invisible here, hence not found (404), like an unknown one.
    identity::lock_ministry_administrators(&mut tx).await?;
    let holder = identity::revoke(&mut tx, id).await?;
    // The tenant keeps someone to administer it: otherwise only an operator could restore
    // one. (The withdrawal above rolls back with the refusal.)
    if identity::ministry_administrators(&mut tx).await? == 0 {
        tx.rollback().await;
        return Err(Conflict::LastAdministrator.into());
    }
    // Their last grant here withdrawn: an admission rule does not let them back in at their
    // next login.
    let excluded = match holder {
        Some(holder) => {
            identity::exclude_from_admission(&mut tx, holder, &format!("agent:{}", manage.agent()))
                .await?
        }
        None => false,
    };
    journal::append(
        &mut tx,
        Actor::Agent(manage.agent()),
        Subject::Membership(id),
        EventKind::MembershipRevoked,
        serde_json::json!({ "excluded_from_admission": excluded }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
