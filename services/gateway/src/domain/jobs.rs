//! Background jobs an agent follows: the job's page (its progress, refreshed), cancelling it,
//! and starting the ones the gateway offers (the read log's retention purge). Only the kinds
//! agents start are followed; such a job is seen by the agent who started it and by whoever
//! may start its kind; anyone else gets a 404, as for another tenant's job.

use napoleon_authz::{Access, Scope, perm};
use napoleon_db::jobs::{self, JobKind, JobView};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_kernel::JobId;
use napoleon_web::{ActionError, ActionResult};

use super::begin;
use crate::store::readlog;
use crate::{GatewayState, RequestAgent};

/// Whether the agent may follow (and stop) `job`: only kinds an agent starts from a page —
/// never a delivery, which an agent causes but must not be able to stop — and then the agent
/// who started it, or whoever may start its kind.
fn may_follow(access: &Access, agent: &RequestAgent, job: &JobView) -> ActionResult<bool> {
    if job.kind != readlog::purge_kind() {
        return Ok(false);
    }
    Ok(job.created_by == Actor::Agent(agent.agent).render()
        || access.may::<perm::ReadLogManage>(Scope::Ministry)?)
}

/// The job, when the agent may follow it; and whether they may stop it.
pub(crate) async fn show(
    state: &GatewayState,
    agent: &RequestAgent,
    id: JobId,
) -> ActionResult<JobView> {
    let (mut tx, access) = begin(state, agent).await?;
    let job = jobs::job(&mut tx, id).await?;
    tx.rollback().await;
    if may_follow(&access, agent, &job)? {
        Ok(job)
    } else {
        Err(ActionError::NotFound)
    }
}

/// Asks the job to stop (a queued one stops at once, a running one at its next report).
pub(crate) async fn cancel(
    state: &GatewayState,
    agent: &RequestAgent,
    id: JobId,
) -> ActionResult<()> {
    let (mut tx, access) = begin(state, agent).await?;
    let job = jobs::job(&mut tx, id).await?;
    if !may_follow(&access, agent, &job)? {
        return Err(ActionError::NotFound);
    }
    if job.is_active() && !job.cancel_requested {
        let state = jobs::request_cancel(&mut tx, id).await?;
        journal::append(
            &mut tx,
            Actor::Agent(agent.agent),
            Subject::Job(id),
            EventKind::JobCancelRequested,
            serde_json::json!({ "kind": job.kind.as_str(), "state": state.as_str() }),
        )
        .await?;
        tx.commit().await?;
    } else {
        // Already over, or already asked: nothing to change.
        tx.rollback().await;
    }
    Ok(())
}

/// Starts the read log's retention purge now, or returns the one already queued or running.
pub(crate) async fn start_read_log_purge(
    state: &GatewayState,
    agent: &RequestAgent,
) -> ActionResult<JobId> {
    let (mut tx, access) = begin(state, agent).await?;
    let manage = access.authorize::<perm::ReadLogManage>(Scope::Ministry)?;
    let kind: JobKind = readlog::purge_kind();
    if let Some(current) = jobs::latest(&mut tx, &kind).await?
        && current.is_active()
    {
        tx.rollback().await;
        return Ok(current.id);
    }
    let id = jobs::request(&mut tx, &kind, Actor::Agent(manage.agent()), 3).await?;
    tx.commit().await?;
    Ok(id)
}
