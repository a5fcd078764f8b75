//! The personal-data read log, for whoever audits the tenant (auditeur, délégué à la protection
//! des données): who read which dossier or person, how and when, a page at a time or whole.

use chrono::{DateTime, Utc};
use napoleon_authz::{Scope, perm};
use napoleon_web::ActionResult;

use super::begin;
use crate::store::readlog::{self, ReadEntry};
use crate::{GatewayState, RequestAgent};

/// Entries per page.
pub(crate) const PAGE: i64 = 50;

/// Reads per batch of an export.
pub(crate) const EXPORT_BATCH: i64 = 1000;

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

/// One batch of the export: the reads older than `after` (`None`: the newest), latest
/// first. Each batch is its own transaction and checks the access again, so an export of any
/// length holds no transaction open, and stops if the auditor's role is withdrawn meanwhile.
pub(crate) async fn export_batch(
    state: &GatewayState,
    agent: &RequestAgent,
    after: Option<(DateTime<Utc>, i64)>,
) -> ActionResult<Vec<ReadEntry>> {
    let (mut tx, access) = begin(state, agent).await?;
    access.require::<perm::ReadLogRead>(Scope::Ministry)?;
    let batch = readlog::list_after(&mut tx, after, EXPORT_BATCH).await?;
    tx.rollback().await;
    Ok(batch)
}
