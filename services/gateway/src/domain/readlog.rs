//! The personal-data read log, for whoever audits the tenant (auditeur, délégué à la protection
//! des données): who read which dossier or person, how and when, a page at a time or whole.

use napoleon_authz::{Scope, perm};
use napoleon_web::ActionResult;

use super::begin;
use crate::store::readlog::{self, ReadEntry};
use crate::{GatewayState, RequestAgent};

/// Entries per page.
pub(crate) const PAGE: i64 = 50;

/// The most an export holds (the log is purged after its retention period).
const EXPORT_MAX: i64 = 100_000;

/// Page `page` (from 1) of the tenant's reads, latest first, whether another follows, and
/// whether the agent may apply the retention period now.
pub(crate) async fn page(
    state: &GatewayState,
    agent: &RequestAgent,
    page: i64,
) -> ActionResult<(Vec<ReadEntry>, bool, bool)> {
    let (mut tx, access) = begin(state, agent).await?;
    access.require::<perm::ReadLogRead>(Scope::Ministry)?;
    let can_purge = access.may::<perm::ReadLogManage>(Scope::Ministry)?;
    let offset = (page.max(1) - 1).saturating_mul(PAGE);
    let mut entries = readlog::list(&mut tx, offset, PAGE + 1).await?;
    tx.rollback().await;
    let more = i64::try_from(entries.len()).unwrap_or(i64::MAX) > PAGE;
    entries.truncate(usize::try_from(PAGE).unwrap_or(usize::MAX));
    Ok((entries, more, can_purge))
}

/// Every read of the tenant, latest first, for an export.
pub(crate) async fn all(
    state: &GatewayState,
    agent: &RequestAgent,
) -> ActionResult<Vec<ReadEntry>> {
    let (mut tx, access) = begin(state, agent).await?;
    access.require::<perm::ReadLogRead>(Scope::Ministry)?;
    let mut entries = Vec::new();
    while i64::try_from(entries.len()).unwrap_or(i64::MAX) < EXPORT_MAX {
        let offset = i64::try_from(entries.len()).unwrap_or(i64::MAX);
        let batch = readlog::list(&mut tx, offset, 1000).await?;
        let done = batch.len() < 1000;
        entries.extend(batch);
        if done {
            break;
        }
    }
    tx.rollback().await;
    Ok(entries)
}
