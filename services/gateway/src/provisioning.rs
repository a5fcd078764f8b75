//! What every tenant starts with: the default authorization policy and the catalogue of the
//! distinctions it handles, each journaled when something is added. Used when an operator
//! creates a tenant and by the demo seed (idempotent: a second run adds and journals nothing).

use napoleon_authz::AuthzError;
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_db::{DbError, TenantConn, catalogue};

/// The national orders, in every tenant's catalogue.
pub const NATIONAL_CATALOGUE: [&str; 2] = napoleon_rules::NATIONAL_FILES;

/// Why a tenant's defaults could not be seeded.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The database refused.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The default policy could not be seeded.
    #[error("default policy: {0}")]
    Policy(#[from] AuthzError),
}

/// Seeds the default policy and the built-in catalogue files named in `distinctions` (plus the
/// gap practices) into the transaction's tenant, journaling each addition as `actor`.
///
/// # Errors
/// [`ProvisionError`].
pub async fn seed_tenant_defaults(
    tx: &mut TenantConn,
    actor: Actor,
    distinctions: &[&str],
) -> Result<(), ProvisionError> {
    let rules = napoleon_authz::seed_default_policy(tx).await?;
    if rules > 0 {
        journal::append(
            tx,
            actor,
            Subject::Policy,
            EventKind::PolicyRulesAdded,
            serde_json::json!({ "source": "default-v1", "rules": rules }),
        )
        .await?;
    }
    let files: Vec<(&str, &str)> = napoleon_rules::BUILTIN_DISTINCTIONS
        .iter()
        .filter(|(file, _)| distinctions.contains(file))
        .copied()
        .chain(std::iter::once(napoleon_rules::BUILTIN_PRACTICES))
        .collect();
    if catalogue::add_missing(tx, &files, "builtin").await? > 0 {
        journal::append(
            tx,
            actor,
            Subject::Catalogue,
            EventKind::CatalogueLoaded,
            serde_json::json!({ "files": files.iter().map(|(f, _)| *f).collect::<Vec<_>>(), "origin": "builtin" }),
        )
        .await?;
    }
    Ok(())
}
