//! Promotion's reads, each on the request's tenant transaction. Promotion owns no table it
//! reads: the registry belongs to decisions and the campaigns to intake, so both are read
//! through their contract views (`napoleon_db::contracts`). The use cases reach them only
//! through this module, as every service reaches its data through its `store`: a change of
//! contract, or a query of promotion's own, lands here and nowhere else.

use napoleon_db::contracts::{self, AwardView, CampaignView, LaureateView, RegistryPage};
use napoleon_db::{DbError, TenantConn};

/// Every award of the tenant's registry (`registry.awards_v1`), by laureate then decree date.
pub(crate) async fn awards(tx: &mut TenantConn) -> Result<Vec<AwardView>, DbError> {
    contracts::awards(tx).await
}

/// A page of the registry's laureates with their awards (`registry.laureates_v1`,
/// `registry.awards_v1`).
pub(crate) async fn registry_page(
    tx: &mut TenantConn,
    page: &RegistryPage<'_>,
) -> Result<Vec<LaureateView>, DbError> {
    contracts::registry_page(tx, page).await
}

/// The tenant's campaigns (`intake.campaigns_v1`), latest promotion first.
pub(crate) async fn campaigns(tx: &mut TenantConn) -> Result<Vec<CampaignView>, DbError> {
    contracts::campaigns(tx).await
}
