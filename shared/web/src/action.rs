//! What the services' use cases share: the refusal they answer with ([`ActionError`]), its two
//! renderings (a French page through [`WebError`], or `application/problem+json` for the JSON
//! API), and the permission check every action starts with.
//!
//! Every refusal happens before anything is written: use cases check, then change, then
//! journal, in one tenant transaction that is rolled back on any refusal.

use axum::response::{IntoResponse, Response};
use napoleon_authz::{Access, Authorized, perm};
use napoleon_db::TenantConn;
use napoleon_db::contracts::DossierView;
use napoleon_identity::Identity;
use napoleon_kernel::{DossierId, ErrorCode};
use serde::Serialize;

use crate::{FieldError, WebContext, WebError};

/// Why an action was refused.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// Unknown here, or another tenant's (the same answer, on purpose).
    #[error("not found")]
    NotFound,
    /// The agent's roles do not allow it (here, on this unit).
    #[error("forbidden")]
    Forbidden,
    /// Not allowed in the resource's current state (or by the four-eyes rule): one of the
    /// error model's conflicts, with its code and French wording.
    #[error("conflict: {}", .0.code())]
    Conflict(crate::Conflict),
    /// The input is invalid; nothing was changed.
    #[error("invalid input ({} fields)", .0.len())]
    Invalid(Vec<FieldError>),
    /// The database or the policy failed.
    #[error(transparent)]
    Web(#[from] WebError),
}

/// Use cases' result type.
pub type ActionResult<T> = Result<T, ActionError>;

impl From<napoleon_db::DbError> for ActionError {
    fn from(e: napoleon_db::DbError) -> Self {
        if e.is_not_found() {
            Self::NotFound
        } else {
            Self::Web(e.into())
        }
    }
}

impl From<napoleon_authz::AuthzError> for ActionError {
    fn from(e: napoleon_authz::AuthzError) -> Self {
        match e {
            // As any database error (an unknown row is a 404 here).
            napoleon_authz::AuthzError::Db(e) => e.into(),
            other => Self::Web(other.into()),
        }
    }
}

impl ActionError {
    /// The stable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Forbidden => "forbidden",
            Self::Conflict(c) => c.code(),
            Self::Invalid(_) => "invalid_input",
            Self::Web(e) => e.code(),
        }
    }
}

impl From<ActionError> for WebError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::NotFound => Self::NotFound,
            ActionError::Forbidden => Self::Forbidden,
            ActionError::Conflict(c) => Self::Conflict(c),
            ActionError::Invalid(fields) => Self::Invalid(fields),
            ActionError::Web(e) => e,
        }
    }
}

impl IntoResponse for ActionError {
    fn into_response(self) -> Response {
        WebError::from(self).into_response()
    }
}

impl From<crate::Conflict> for ActionError {
    fn from(c: crate::Conflict) -> Self {
        Self::Conflict(c)
    }
}

impl From<napoleon_authz::Refusal> for ActionError {
    fn from(e: napoleon_authz::Refusal) -> Self {
        match e {
            napoleon_authz::Refusal::Denied => Self::Forbidden,
            napoleon_authz::Refusal::Hidden => Self::NotFound,
            napoleon_authz::Refusal::Engine(e) => e.into(),
        }
    }
}

impl WebContext {
    /// Opens a use case's unit of work: the request's tenant transaction, and the agent's
    /// [`Access`] read once in it (the tenant's units and the policy), from which every
    /// permission of the use case is decided in memory.
    ///
    /// # Errors
    /// [`ActionError::Web`] when the database or the policy is unavailable.
    pub async fn begin(&self, identity: &Identity) -> ActionResult<(TenantConn, Access)> {
        let (tx, access, ()) = self.begin_with(identity, async |_| Ok(())).await?;
        Ok((tx, access))
    }

    /// [`Self::begin`], with the use case's first reads sent in the same round trip as the
    /// transaction's `BEGIN` and the access state: `first` reads before anything is decided,
    /// so what it returns is only shown, or acted upon, once `access` allows it.
    ///
    /// # Errors
    /// [`ActionError::NotFound`] when `first` finds nothing, [`ActionError::Web`] when the
    /// database or the policy is unavailable.
    pub async fn begin_with<T>(
        &self,
        identity: &Identity,
        first: impl AsyncFnOnce(napoleon_db::Shared<'_>) -> Result<T, napoleon_db::DbError>,
    ) -> ActionResult<(TenantConn, Access, T)> {
        let known = self.authorizer.kept(identity.tenant).await;
        let stamp = known.stamp();
        let (mut tx, (state, found)) = self
            .db
            .tenant_with(identity.tenant, async |shared| {
                let (state, found) = tokio::join!(
                    napoleon_db::policy::access_state(&shared, stamp),
                    first(shared)
                );
                Ok((state?, found))
            })
            .await?;
        let access = self
            .authorizer
            .access_from(&mut tx, identity.agent, identity.grants(), known, state)
            .await?;
        // `first`'s refusal (an unknown id) only once the access is known, so that a
        // database failure while reading the access is not hidden behind a 404; the
        // transaction is then rolled back, keeping its connection.
        match found {
            Ok(found) => Ok((tx, access, found)),
            Err(e) => {
                tx.rollback().await;
                Err(e.into())
            }
        }
    }

    /// Renders one of the service's pages with the header the gateway asserted.
    ///
    /// # Errors
    /// [`WebError::Internal`] when the template fails.
    pub fn page<V: Serialize>(
        &self,
        identity: &Identity,
        template: &str,
        title: &str,
        view: &V,
    ) -> Result<crate::Html, WebError> {
        self.page_at_section(
            identity,
            template,
            title,
            view,
            crate::help::section_of(template),
        )
    }

    /// As [`Self::page`], the « Aide » link at `section` of the guide (`page#anchor`).
    ///
    /// # Errors
    /// [`WebError::Internal`] when rendering fails.
    pub fn page_at_section<V: Serialize>(
        &self,
        identity: &Identity,
        template: &str,
        title: &str,
        view: &V,
        section: &str,
    ) -> Result<crate::Html, WebError> {
        self.templates.render_at_section(
            template,
            &crate::Page {
                title,
                view,
                user: identity.page.as_ref(),
            },
            section,
        )
    }
}

/// The one loader for « a dossier this agent may act on »: the dossier as the contract
/// view shows it, with the proof that the agent may read it (roles covering its filing
/// unit or the unit where it sits now; a draft, its filing unit's only). Another tenant's
/// dossier, an unknown id and a draft of another unit are the same 404; a dossier the
/// agent's units do not cover is a 403.
///
/// # Errors
/// [`ActionError::NotFound`], [`ActionError::Forbidden`], or [`ActionError::Web`].
pub async fn readable_dossier(
    tx: &mut TenantConn,
    access: &Access,
    id: DossierId,
) -> ActionResult<(DossierView, Authorized<perm::NominationRead>)> {
    readable(access, napoleon_db::contracts::dossier_by_id(tx, id).await?)
}

/// [`readable_dossier`]'s rule, for a dossier already read (alongside the transaction's
/// opening, see [`WebContext::begin_with`]).
///
/// # Errors
/// [`ActionError::NotFound`], [`ActionError::Forbidden`], or [`ActionError::Web`].
pub fn readable(
    access: &Access,
    dossier: DossierView,
) -> ActionResult<(DossierView, Authorized<perm::NominationRead>)> {
    let proof = access.read_dossier(dossier.unit_id, dossier.level_unit_id, dossier.is_draft())?;
    Ok((dossier, proof))
}

/// The tenant's catalogue, as the rules engine reads it: the built-in documents, the tenant's
/// own taking precedence; read and parsed again only when the tenant's access stamp (in
/// `access`) moved. A catalogue that does not parse is the platform's fault (every
/// change is validated when made): a 500, logged once at the edge.
///
/// # Errors
/// [`ActionError::Web`].
pub async fn tenant_catalogue(
    tx: &mut TenantConn,
    access: &napoleon_authz::Access,
) -> ActionResult<std::sync::Arc<napoleon_rules::Catalogue>> {
    let tenant = tx.tenant();
    if access.tenant() != tenant {
        // Both come from the same `begin`: another pairing would key one tenant's catalogue
        // with another's stamp.
        return Err(ActionError::Web(WebError::Internal(
            "tenant catalogue: access and transaction of different tenants".to_owned(),
        )));
    }
    let stamp = access.stamp();
    // Kept under the tenant's access stamp, which a change of its catalogue moves: while the
    // stamp stays, the documents are those the kept catalogue was parsed from.
    if let Some(catalogue) = PARSED.lock().ok().and_then(|cache| {
        cache
            .get(&tenant)
            .filter(|(at, _, _)| *at == stamp)
            .map(|(_, _, c)| std::sync::Arc::clone(c))
    }) {
        return Ok(catalogue);
    }
    let files = napoleon_db::catalogue::load(tx).await?;
    // The stamp also moves for units and grants: the same documents need no new parse (they
    // are compared whole, not by a hash: the same text, the same rules).
    let same = PARSED.lock().ok().and_then(|cache| {
        cache
            .get(&tenant)
            .filter(|(_, from, _)| *from == files)
            .map(|(_, _, c)| std::sync::Arc::clone(c))
    });
    let catalogue = match same {
        Some(catalogue) => catalogue,
        None => {
            std::sync::Arc::new(napoleon_rules::Catalogue::for_tenant(&files).map_err(|e| {
                ActionError::Web(WebError::Internal(format!("tenant catalogue: {e}")))
            })?)
        }
    };
    if let Ok(mut cache) = PARSED.lock() {
        cache.insert(tenant, (stamp, files, std::sync::Arc::clone(&catalogue)));
    }
    Ok(catalogue)
}

/// Each tenant's catalogue as last parsed, with the access stamp it was read under and the
/// documents it was parsed from (a few KiB per tenant).
type ParsedCatalogues = std::collections::HashMap<
    napoleon_kernel::TenantId,
    (
        i64,
        Vec<(String, String)>,
        std::sync::Arc<napoleon_rules::Catalogue>,
    ),
>;
static PARSED: std::sync::LazyLock<std::sync::Mutex<ParsedCatalogues>> =
    std::sync::LazyLock::new(std::sync::Mutex::default);

/// Ends a use case that read someone's personal data: with `read`, the read is logged
/// (`napoleon_db::readlog`, reader and request from the identity) and the transaction commits;
/// without (a check that shows nothing), it rolls back.
///
/// # Errors
/// [`ActionError`] when the log cannot be written: the read is then refused, never unlogged.
pub async fn end_read(
    tx: napoleon_db::TenantConn,
    identity: &napoleon_identity::Identity,
    subject: napoleon_db::readlog::ReadSubject,
    read: Option<napoleon_db::readlog::ReadChannel>,
) -> ActionResult<()> {
    match read {
        Some(channel) => end_reads(tx, identity, &[subject], channel).await,
        None => {
            tx.rollback().await;
            Ok(())
        }
    }
}

/// Ends a list page's read-only transaction: records one read-log entry per person or
/// dossier it shows (`napoleon_db::readlog::record_many`) and commits.
///
/// # Errors
/// [`ActionError`] when the log cannot be written: the page is then refused, never unlogged.
pub async fn end_reads(
    tx: napoleon_db::TenantConn,
    identity: &napoleon_identity::Identity,
    subjects: &[napoleon_db::readlog::ReadSubject],
    channel: napoleon_db::readlog::ReadChannel,
) -> ActionResult<()> {
    let via = identity
        .session
        .clone()
        .map(napoleon_db::readlog::ReadVia::Session);
    // The entries and the commit in one round trip: the transaction only read, so a log
    // that fails to be written aborts it and the read is refused.
    napoleon_db::readlog::record_and_commit(
        tx,
        napoleon_db::journal::Actor::Agent(identity.agent),
        subjects,
        channel,
        &identity.request_id,
        via.as_ref(),
    )
    .await?;
    Ok(())
}
