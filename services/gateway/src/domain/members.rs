//! Members and roles of the tenant: who holds which role at which unit; grants by email
//! (before or after the agent's first login) and withdrawals. A withdrawal ends the holder's
//! sessions, so it applies at once.

use napoleon_authz::{Scope, perm};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_kernel::{Email, MembershipId, OrgUnitId, Role};
use napoleon_web::{ActionResult, Conflict};

use super::begin;
use crate::store::{identity, sessions};
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

/// Withdraws a membership and ends its holder's sessions.
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
    journal::append(
        &mut tx,
        Actor::Agent(manage.agent()),
        Subject::Membership(id),
        EventKind::MembershipRevoked,
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    if let Some(holder) = holder {
        let mut conn = state.ctx.db.platform().await?;
        let ended = sessions::end_for_agent(&mut conn, holder).await?;
        tracing::info!(
            sessions.ended = ended,
            "role withdrawn: the holder's sessions ended"
        );
    }
    Ok(())
}
