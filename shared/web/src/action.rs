//! What the services' use cases share: the refusal they answer with ([`ActionError`]), its two
//! renderings (a French page through [`WebError`], or `application/problem+json` for the JSON
//! API), and the permission check every action starts with.
//!
//! Every refusal happens before anything is written: use cases check, then change, then
//! journal, in one tenant transaction that is rolled back on any refusal.

use axum::response::{IntoResponse, Response};
use napoleon_authz::Permission;
use napoleon_db::TenantConn;
use napoleon_identity::Identity;
use napoleon_kernel::{ErrorCode, OrgUnitId};
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
    /// Not allowed in the resource's current state (or by the four-eyes rule).
    #[error("conflict: {code}")]
    Conflict {
        /// Stable machine code, e.g. `dossier.wrong_state`.
        code: &'static str,
        /// French explanation.
        message: String,
    },
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
        Self::Web(WebError::Internal(e.to_string()))
    }
}

impl ActionError {
    /// A state conflict.
    #[must_use]
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }

    /// The stable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Forbidden => "forbidden",
            Self::Conflict { code, .. } => code,
            Self::Invalid(_) => "invalid_input",
            Self::Web(e) => e.code(),
        }
    }

    /// The JSON API's answer: the edge renders it as the one problem+json shape, in French,
    /// with the stable code and, for invalid input, every faulty field.
    #[must_use]
    pub fn into_api(self) -> Response {
        WebError::from(self).into_response()
    }

    /// A page's answer: the edge renders the French error page, keeping the refusal's own
    /// message (a closed campaign's dates, the four-eyes rule). Invalid input is usually
    /// handled by the page itself, which shows the form again with the typed values.
    #[must_use]
    pub fn into_web(self) -> WebError {
        self.into()
    }
}

impl From<ActionError> for WebError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::NotFound => Self::NotFound,
            ActionError::Forbidden => Self::Forbidden,
            ActionError::Conflict { code, message } => Self::Conflict { code, message },
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

impl WebContext {
    /// Opens the request's tenant transaction.
    ///
    /// # Errors
    /// [`ActionError::Web`] when the database is unavailable.
    pub async fn begin(&self, identity: &Identity) -> ActionResult<TenantConn> {
        Ok(self.db.tenant(identity.tenant).await?)
    }

    /// Whether the agent's roles allow `permission` somewhere in the tenant (`at` = `None`: to
    /// open a page whose rows are then checked one by one) or
    /// on a resource held by unit `at` (only roles at that unit or above count).
    ///
    /// # Errors
    /// [`ActionError::Web`] when the policy cannot be read.
    pub async fn may(
        &self,
        tx: &mut TenantConn,
        identity: &Identity,
        permission: Permission,
        at: Option<OrgUnitId>,
    ) -> ActionResult<bool> {
        Ok(match at {
            None => {
                self.authorizer
                    .allows(tx, &identity.role_list(), permission)
                    .await?
            }
            Some(unit) => {
                self.authorizer
                    .allows_at(tx, &identity.grants(), permission, unit)
                    .await?
            }
        })
    }

    /// [`Self::may`], refusing with [`ActionError::Forbidden`].
    ///
    /// # Errors
    /// [`ActionError::Forbidden`], or [`ActionError::Web`] when the policy cannot be read.
    pub async fn require(
        &self,
        tx: &mut TenantConn,
        identity: &Identity,
        permission: Permission,
        at: Option<OrgUnitId>,
    ) -> ActionResult<()> {
        if self.may(tx, identity, permission, at).await? {
            Ok(())
        } else {
            Err(ActionError::Forbidden)
        }
    }

    /// Whether the agent may do `permission` for the whole tenant (campaigns, the registry,
    /// the radar): only roles held at the ministry itself or at one of its central bureaux
    /// (the `direction` units right under it) count. A role at a préfecture covers that
    /// préfecture's dossiers, never the ministry's.
    ///
    /// # Errors
    /// [`ActionError::Web`] when the units or the policy cannot be read.
    pub async fn may_centrally(
        &self,
        tx: &mut TenantConn,
        identity: &Identity,
        permission: Permission,
    ) -> ActionResult<bool> {
        let units = napoleon_db::core::list_org_units(tx).await?;
        let root = units.iter().find(|u| u.parent_id.is_none()).map(|u| u.id);
        let central: Vec<OrgUnitId> = units
            .iter()
            .filter(|u| {
                u.parent_id.is_none()
                    || (u.kind == napoleon_kernel::OrgUnitKind::Direction && u.parent_id == root)
            })
            .map(|u| u.id)
            .collect();
        let roles: Vec<napoleon_kernel::Role> = identity
            .roles
            .iter()
            .filter(|g| central.contains(&g.unit))
            .map(|g| g.role)
            .collect();
        Ok(self.authorizer.allows(tx, &roles, permission).await?)
    }

    /// [`Self::may_centrally`], refusing with [`ActionError::Forbidden`].
    ///
    /// # Errors
    /// [`ActionError::Forbidden`], or [`ActionError::Web`].
    pub async fn require_centrally(
        &self,
        tx: &mut TenantConn,
        identity: &Identity,
        permission: Permission,
    ) -> ActionResult<()> {
        if self.may_centrally(tx, identity, permission).await? {
            Ok(())
        } else {
            Err(ActionError::Forbidden)
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
        self.templates.render(
            template,
            &crate::Page {
                title,
                view,
                user: identity.page.as_ref(),
            },
        )
    }
}
