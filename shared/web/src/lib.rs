//! The web edge every Napoléon service shares: the DSFR layout and pages (handlebars, strict,
//! embedded), errors rendered in French (HTML pages or `application/problem+json`), security
//! headers, the DSFR assets, `/healthz` and `/readyz`, and request spans and HTTP metrics.
//!
//! A service builds its `Router` with [`WebContext`] as state and finishes it with
//! [`service_layers`]; the process wraps what it serves with [`edge_layers`] once.

pub mod accessibility;
mod action;
mod assets;
mod conflict;
mod diagnostics;
mod download;
mod duplicates;
mod error;
pub mod export;
mod form;
mod health;
pub mod help;
mod job;
mod layers;
mod limits;
mod observe;
pub mod part_headers;
mod path;
mod serve;
mod service;
mod templates;
pub mod upload;

pub use action::{
    ActionError, ActionResult, end_read, end_reads, readable, readable_dossier, tenant_catalogue,
};
pub use assets::{AssetsConfig, static_router};
pub use conflict::Conflict;
pub use diagnostics::identity_route;
pub use download::attachment;
pub use duplicates::{
    DuplicateRow, DuplicatesView, UNREAD_MATCH, duplicate_rows, elsewhere_sentence,
    visible_duplicates,
};
pub use error::{FieldError, WebError, WebResult};
pub use form::{FormFields, Group, MAX_FIELDS, MAX_NAME_BYTES, Row, thousands};
pub use health::health_router;
pub use job::JobProgress;
pub use layers::{EdgeConfig, content_security_policy, edge_layers, request_id};
pub use limits::{
    BodyLimits, ClientAddress, ClientLimits, EdgeLimits, RateGate, UPLOAD_ROUTES, is_upload,
    read_body,
};
pub use observe::{HttpMetrics, service_layers};
pub use path::{IdPath, IdPaths, query_href};
pub use serve::{ServerLimits, serve, tls_acceptor};
pub use service::service_router;
pub use templates::{Html, LayoutUser, Page, Templates};
pub use tokio_rustls::TlsAcceptor;

use napoleon_db::Db;

/// What every service's handlers share: the database, the page templates, and the keys that
/// verify the gateway's identity assertions.
#[derive(Clone, Debug)]
pub struct WebContext {
    /// Application-role connections.
    pub db: Db,
    /// Page templates.
    pub templates: Templates,
    /// Verifies the gateway's identity assertions.
    pub identity: napoleon_identity::AssertionVerifier,
    /// Authorization decisions: services check the permission of each of their routes
    /// themselves, from the roles in the assertion (the gateway checks its own routes).
    pub authorizer: napoleon_authz::Authorizer,
    /// Each service's own connections (its database role) and the authorizer over them, by
    /// service name, when the process has them: [`Self::for_service`] hands them out.
    pools:
        std::sync::Arc<std::collections::HashMap<&'static str, (Db, napoleon_authz::Authorizer)>>,
    /// Where dossiers' pieces are stored, when the process serves them ([`Self::pieces`]).
    pieces: Option<napoleon_storage::PieceStore>,
}

impl WebContext {
    /// Today in Paris, on the process's clock, for pages that show or judge a date outside a
    /// use case's transaction (a use case reads [`napoleon_db::TenantConn::today`]).
    #[must_use]
    pub fn today(&self) -> chrono::NaiveDate {
        self.db.clock().today()
    }

    /// With one pool per service (each connected as that service's database role), each
    /// with one authorizer (one policy cache) whoever asks for the service's context.
    #[must_use]
    pub fn with_service_pools(self, pools: std::collections::HashMap<&'static str, Db>) -> Self {
        let pools = pools
            .into_iter()
            .map(|(service, db)| (service, (db.clone(), napoleon_authz::Authorizer::new(db))))
            .collect();
        Self {
            pools: std::sync::Arc::new(pools),
            ..self
        }
    }

    /// The context `service`'s routes run with: its own pool and authorizer when the process
    /// has them, this context otherwise.
    #[must_use]
    pub fn for_service(&self, service: &str) -> Self {
        match self.pools.get(service) {
            Some((db, authorizer)) => Self {
                db: db.clone(),
                authorizer: authorizer.clone(),
                ..self.clone()
            },
            None => self.clone(),
        }
    }

    /// With the store of dossiers' pieces.
    #[must_use]
    pub fn with_pieces(self, store: napoleon_storage::PieceStore) -> Self {
        Self {
            pieces: Some(store),
            ..self
        }
    }

    /// The store of dossiers' pieces. A process composed without one (the gateway alone)
    /// answers 503 on the routes that need it rather than losing a file.
    ///
    /// # Errors
    /// [`WebError::Unavailable`] when the process has no store.
    pub fn pieces(&self) -> Result<&napoleon_storage::PieceStore, WebError> {
        self.pieces.as_ref().ok_or_else(|| {
            WebError::Unavailable("no piece store in this process (storage.*)".to_owned())
        })
    }

    /// The context of a process: its authorizer loads policies through the same pool.
    #[must_use]
    pub fn new(
        db: Db,
        templates: Templates,
        identity: napoleon_identity::AssertionVerifier,
    ) -> Self {
        Self {
            authorizer: napoleon_authz::Authorizer::new(db.clone()),
            pools: std::sync::Arc::default(),
            pieces: None,
            db,
            templates,
            identity,
        }
    }
}
