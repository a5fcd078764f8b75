//! The tenant's catalogue of distinctions: each a versioned TOML document the rules engine
//! reads. Every change is validated by the engine against the whole catalogue before it is
//! saved, bounded, and journaled.

use napoleon_authz::{Scope, perm};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_rules::Catalogue;
use napoleon_web::{ActionError, ActionResult, FieldError};

use super::begin;
use crate::store::catalogue;
use crate::{GatewayState, RequestAgent};

/// Where a saved document comes from (kept with it, and journaled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A document of the national catalogue, as shipped.
    Builtin,
    /// Written or adjusted by the tenant.
    Tenant,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Self::Builtin => "builtin",
            Self::Tenant => "tenant",
        }
    }
}

/// Checks that the tenant's catalogue, with `file` replaced by `source`, holds together.
fn validate(files: &[(String, String)], file: &str, source: &str) -> Result<(), String> {
    let mut parts: Vec<(&str, &str)> = files
        .iter()
        .filter(|(f, _)| f != file)
        .map(|(f, s)| (f.as_str(), s.as_str()))
        .collect();
    parts.push((file, source));
    Catalogue::for_tenant(&parts)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Why a national order's document cannot be changed, as the page says it.
pub(crate) const NATIONAL_REFUSAL: &str = "Les conditions de la Légion d'honneur et de l'ordre national du Mérite sont fixées par le code et valent pour tous les ministères : elles ne se modifient pas ici. Le ministère règle ses contingents, les alertes d'écart entre ordres (practices.toml) et ses propres médailles.";

/// The largest catalogue document accepted: the national ones are under 3 KiB.
const MAX_SOURCE_BYTES: usize = 64 * 1024;

/// Documents a tenant's catalogue may hold (the national catalogue has fourteen): every
/// request of the tenant's agents reads them all.
const MAX_FILES: usize = 40;

fn within_bounds(files: &[(String, String)], file: &str, source: &str) -> Result<(), String> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(format!(
            "Le document dépasse {} Kio : découpez-le ou retirez les règles inutiles.",
            MAX_SOURCE_BYTES / 1024
        ));
    }
    let new = !files.iter().any(|(f, _)| f == file);
    if new && files.len() >= MAX_FILES {
        return Err(format!(
            "Le catalogue du ministère compte déjà {MAX_FILES} documents, le maximum : \
             modifiez un document existant plutôt que d'en ajouter un."
        ));
    }
    Ok(())
}

/// The tenant's documents: name and source.
pub(crate) async fn files(
    state: &GatewayState,
    agent: &RequestAgent,
) -> ActionResult<Vec<(String, String)>> {
    let (mut tx, access) = begin(state, agent).await?;
    access.require::<perm::CatalogueRead>(Scope::Ministry)?;
    let files = catalogue::load(&mut tx).await?;
    tx.rollback().await;
    Ok(files)
}

/// Replaces an existing document (an unknown one is a 404).
pub(crate) async fn update(
    state: &GatewayState,
    agent: &RequestAgent,
    file: &str,
    source: &str,
) -> ActionResult<()> {
    save_checked(state, agent, file, source, Origin::Tenant, true).await
}

/// Adds a document, or replaces it.
pub(crate) async fn save(
    state: &GatewayState,
    agent: &RequestAgent,
    file: &str,
    source: &str,
    origin: Origin,
) -> ActionResult<()> {
    save_checked(state, agent, file, source, origin, false).await
}

async fn save_checked(
    state: &GatewayState,
    agent: &RequestAgent,
    file: &str,
    source: &str,
    origin: Origin,
    must_exist: bool,
) -> ActionResult<()> {
    let (mut tx, access) = begin(state, agent).await?;
    let manage = access.authorize::<perm::CatalogueManage>(Scope::Ministry)?;
    if napoleon_rules::NATIONAL_FILES.contains(&file) {
        // The Code sets the national orders' conditions for every ministry: the engine reads
        // the built-in document whatever a tenant stores (napoleon_rules::Catalogue::for_tenant).
        tx.rollback().await;
        return Err(ActionError::Invalid(vec![FieldError::new(
            "source",
            NATIONAL_REFUSAL,
        )]));
    }
    let files = catalogue::load(&mut tx).await?;
    if must_exist && !files.iter().any(|(f, _)| f == file) {
        return Err(ActionError::NotFound);
    }
    // The engine's and the bounds' refusals are French sentences for the page.
    let refused = |message: String| ActionError::Invalid(vec![FieldError::new("source", message)]);
    within_bounds(&files, file, source).map_err(refused)?;
    validate(&files, file, source).map_err(refused)?;
    let created = catalogue::upsert(&mut tx, file, source, origin.as_str()).await?;
    journal::append(
        &mut tx,
        Actor::Agent(manage.agent()),
        Subject::Catalogue,
        EventKind::CatalogueUpdated,
        serde_json::json!({ "file": file, "origin": origin.as_str(), "created": created }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod bounds_tests {
    use super::*;

    #[test]
    fn documents_and_catalogues_are_bounded() {
        let files: Vec<(String, String)> = (0..MAX_FILES)
            .map(|i| (format!("m{i}.toml"), String::new()))
            .collect();
        assert!(within_bounds(&files[..1], "m1.toml", "a").is_ok());
        let big = "a".repeat(MAX_SOURCE_BYTES + 1);
        assert!(within_bounds(&files[..1], "m0.toml", &big).is_err_and(|e| e.contains("64 Kio")));
        // A full catalogue still lets its documents be edited, not added to.
        assert!(within_bounds(&files, "m3.toml", "a").is_ok());
        assert!(within_bounds(&files, "nouveau.toml", "a").is_err_and(|e| e.contains("40")));
    }
}
