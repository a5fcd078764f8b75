//! Composition: which routers a process serves, wrapped in the shared edge layers.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use napoleon_db::Db;
use napoleon_gateway::{GatewayConfig, Providers, SessionSettings, Target, Targets};
use napoleon_identity::{AssertionSigner, AssertionVerifier};
use napoleon_jobs::outbox::HttpDelivery;
use napoleon_jobs::retention::{FinishedJobsRetention, ReadLogRetention};
use napoleon_jobs::{Handler, Worker};
use napoleon_web::{
    AssetsConfig, EdgeConfig, HttpMetrics, Templates, WebContext, edge_layers, health_router,
    service_layers, static_router,
};

use crate::config::Config;

/// What `napoleon serve` can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ServiceName {
    /// Every service in one process (the embedded default).
    All,
    /// The gateway (the only service exposed to browsers).
    Gateway,
    /// Intake: campaigns and nomination files.
    Intake,
    /// Instruction: the review circuit.
    Instruction,
    /// Decisions: committees, decisions, publication.
    Decisions,
    /// Promotion: registry and promotion radar.
    Promotion,
    /// Background jobs only (deliveries, purges, imports); serves its health endpoints.
    Worker,
}

impl ServiceName {
    /// The name used in `service.name` and logs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Gateway => napoleon_gateway::SERVICE,
            Self::Intake => napoleon_intake::SERVICE,
            Self::Instruction => napoleon_instruction::SERVICE,
            Self::Decisions => napoleon_decisions::SERVICE,
            Self::Promotion => napoleon_promotion::SERVICE,
            Self::Worker => "worker",
        }
    }

    /// Whether the process runs the worker's background jobs: `all` (everything in one
    /// process) and `worker` (split mode); the other services only enqueue them — but for
    /// decisions, which runs its registry imports itself ([`decisions_worker`]).
    #[must_use]
    pub const fn runs_jobs(self) -> bool {
        matches!(self, Self::All | Self::Worker)
    }
}

/// The process's job worker: every kind of job and the daily ones, named `name` (host and
/// pid, so a lease says which process holds it).
///
/// # Errors
/// A message naming the configuration key at fault.
pub fn worker(config: &Config, db: Db, name: String) -> Result<Worker, String> {
    // The registry imports are decisions' own ([`decisions_worker`], beside this one in
    // `all`): the worker's role may not write the registry, so a lease it took would fail.
    let imports = napoleon_decisions::import_kind().map_err(|e| e.to_string())?;
    let handlers = handlers(config)?
        .into_iter()
        .filter(|h| h.kind() != imports)
        .collect();
    let worker = Worker::new(db, name, handlers)
        .with_daily(napoleon_db::readlog::purge_kind())
        .with_daily(napoleon_db::jobs::purge_kind())
        .with_session_purge();
    // Exports' files, where there is a store to hold them.
    Ok(if config.documents.store()?.is_some() {
        worker.with_daily(napoleon_web::export::purge_kind().map_err(|e| e.to_string())?)
    } else {
        worker
    })
}

/// The decisions process's own job worker: the registry imports its page starts, run as
/// decisions' database role (the registry's one writer), and the board's exports (the board
/// reads decisions' own tables), for those kinds only. None without a store (no file can
/// have been received, none written).
///
/// # Errors
/// A message naming the configuration key at fault.
pub fn decisions_worker(config: &Config, db: Db, name: String) -> Result<Option<Worker>, String> {
    let Some(store) = config.documents.store()? else {
        return Ok(None);
    };
    let import =
        napoleon_decisions::RegistryImport::new(store.clone()).map_err(|e| e.to_string())?;
    let export = napoleon_decisions::DecisionsExport::new(store).map_err(|e| e.to_string())?;
    Ok(Some(Worker::new(
        db,
        name,
        vec![Arc::new(import), Arc::new(export)],
    )))
}

/// Every job handler the worker process runs, configured.
///
/// # Errors
/// A message naming the configuration key at fault.
pub fn handlers(config: &Config) -> Result<Vec<Arc<dyn Handler>>, String> {
    config.jobs.check()?;
    let delivery = HttpDelivery::new(Duration::from_secs(config.jobs.outbox_timeout_seconds))?;
    let reads = ReadLogRetention::new(config.jobs.read_log_retention_days);
    let finished = FinishedJobsRetention::new(config.jobs.finished_retention_days);
    let mut handlers: Vec<Arc<dyn Handler>> =
        vec![Arc::new(delivery), Arc::new(reads), Arc::new(finished)];
    // Without a store there is no piece to scan (and no process accepts one: see
    // `pieces_required`).
    if let Some(store) = config.documents.store()? {
        let scan = napoleon_intake::PieceScan::new(store.clone(), config.documents.clamd()?)
            .map_err(|e| e.to_string())?;
        handlers.push(Arc::new(scan));
        let import =
            napoleon_decisions::RegistryImport::new(store.clone()).map_err(|e| e.to_string())?;
        handlers.push(Arc::new(import));
        let export =
            napoleon_promotion::PromotionExport::new(store.clone()).map_err(|e| e.to_string())?;
        handlers.push(Arc::new(export));
        let export = napoleon_instruction::InstructionExport::new(store.clone())
            .map_err(|e| e.to_string())?;
        handlers.push(Arc::new(export));
        let purge = napoleon_web::export::ExportPurge::new(store).map_err(|e| e.to_string())?;
        handlers.push(Arc::new(purge));
    }
    Ok(handlers)
}

/// The pieces' store of a process serving `service`: required where pieces are received or
/// scanned, where registry imports' files are received or read, and where exports' files are
/// written or served (intake, instruction, decisions, promotion, the worker, everything in
/// one process), absent elsewhere.
///
/// # Errors
/// A message naming the key when it is missing or unusable where required.
pub fn pieces_required(
    config: &Config,
    service: ServiceName,
) -> Result<Option<napoleon_storage::PieceStore>, String> {
    let store = config.documents.store()?;
    let needs = matches!(
        service,
        ServiceName::All
            | ServiceName::Intake
            | ServiceName::Instruction
            | ServiceName::Decisions
            | ServiceName::Promotion
            | ServiceName::Worker
    );
    if needs && store.is_none() {
        return Err(format!(
            "`serve {}` stores dossiers' pieces: set documents.s3 (NAPOLEON__DOCUMENTS__S3__*) \
             to a bucket, or documents.local_dir (NAPOLEON__DOCUMENTS__LOCAL_DIR) to a \
             directory it may write",
            service.as_str()
        ));
    }
    Ok(store)
}

/// The kinds of job an operator may start from the command line (`napoleon jobs run`): those
/// that need nothing but a tenant.
#[must_use]
pub fn cli_job_kinds() -> Vec<napoleon_db::jobs::JobKind> {
    vec![
        napoleon_db::readlog::purge_kind(),
        napoleon_db::jobs::purge_kind(),
    ]
}

/// Compiles every template the process may render.
///
/// # Errors
/// The first template that does not compile.
pub fn templates() -> Result<Templates, String> {
    Templates::new(
        &[
            napoleon_gateway::TEMPLATES,
            napoleon_intake::TEMPLATES,
            napoleon_instruction::TEMPLATES,
            napoleon_decisions::TEMPLATES,
            napoleon_promotion::TEMPLATES,
        ]
        .concat(),
    )
}

/// The assertion keys of a process: the gateway's signer, and what services accept.
///
/// # Errors
/// A message when a configured key is invalid, or when a split process lacks the keys it
/// must share with the others.
pub fn assertion_keys(
    config: &Config,
    service: ServiceName,
) -> Result<(AssertionSigner, AssertionVerifier), String> {
    let signer = match &config.assertion.signing_key {
        Some(key) => AssertionSigner::from_config(key.expose()).map_err(|e| e.to_string())?,
        None if service == ServiceName::All => {
            AssertionSigner::generate("ephemeral").map_err(|e| e.to_string())?
        }
        // A worker serves no request that carries an assertion.
        None if service == ServiceName::Worker => {
            AssertionSigner::generate("unused").map_err(|e| e.to_string())?
        }
        None if service == ServiceName::Gateway || config.assertion.verify_keys.is_empty() => {
            return Err(format!(
                "`serve {}` runs apart from the other services: set assertion.signing_key \
                 (NAPOLEON__ASSERTION__SIGNING_KEY) on the gateway and assertion.verify_keys on the services",
                service.as_str()
            ));
        }
        // A service with verify keys only: the signer is never used.
        None => AssertionSigner::generate("unused").map_err(|e| e.to_string())?,
    };
    let mut keys: Vec<String> = config.assertion.verify_keys.clone();
    if config.assertion.signing_key.is_some() || service == ServiceName::All {
        keys.push(signer.public_config());
    }
    let verifier = AssertionVerifier::from_config(keys.iter().map(String::as_str))
        .map_err(|e| e.to_string())?;
    Ok((signer, verifier))
}

fn service_router(service: ServiceName, ctx: &WebContext) -> Option<Router> {
    // Each service on its own pool (its database role) when the process has one.
    let own = ctx.for_service(service.as_str());
    match service {
        ServiceName::Intake => Some(napoleon_intake::router(&own)),
        ServiceName::Instruction => Some(napoleon_instruction::router(&own)),
        ServiceName::Decisions => Some(napoleon_decisions::router(&own)),
        ServiceName::Promotion => Some(napoleon_promotion::router(&own)),
        ServiceName::All | ServiceName::Gateway | ServiceName::Worker => None,
    }
}

/// The services whose database role a process serving `service` connects as: each of them
/// under `all`, its own otherwise.
#[must_use]
pub fn pooled_services(service: ServiceName) -> Vec<&'static str> {
    match service {
        ServiceName::All => napoleon_db::roles::SERVICES.to_vec(),
        other => napoleon_db::roles::SERVICES
            .into_iter()
            .filter(|s| *s == other.as_str())
            .collect(),
    }
}

/// One pool per service of `services`, each connected as that service's role: at its
/// `database.service_urls` entry, or at `url` with the user replaced. On `clock`.
/// Under several services the pool size is shared out (at least 4 each).
///
/// # Errors
/// A message naming the service whose URL is missing or unusable.
pub fn service_pools(
    clock: &napoleon_kernel::Clock,
    url: Option<&napoleon_kernel::Secret<String>>,
    overrides: &std::collections::BTreeMap<String, napoleon_kernel::Secret<String>>,
    services: &[&'static str],
    pool_size: usize,
) -> Result<std::collections::HashMap<&'static str, Db>, String> {
    if let Some(unknown) = overrides
        .keys()
        .find(|k| !napoleon_db::roles::SERVICES.contains(&k.as_str()))
    {
        return Err(format!(
            "database.service_urls.{unknown}: no such service (gateway, intake, instruction, decisions, promotion, worker)"
        ));
    }
    let each = if services.len() > 1 {
        pool_size.div_ceil(services.len()).max(4)
    } else {
        pool_size
    };
    let mut pools = std::collections::HashMap::new();
    for service in services {
        let own = match (overrides.get(*service), url) {
            (Some(own), _) => own.clone(),
            (None, Some(url)) => napoleon_db::service_url(url, service)
                .map_err(|e| format!("database.url for {service}: {e}"))?,
            (None, None) => {
                return Err(format!(
                    "database.service_urls.{service} (or database.url to derive it from) is required"
                ));
            }
        };
        let pool = napoleon_db::build_pool(&own, each)
            .map_err(|e| format!("database.service_urls.{service}: {e}"))?;
        pools.insert(*service, Db::on_clock(pool, clock));
    }
    Ok(pools)
}

const BEHIND_GATEWAY: [ServiceName; 4] = [
    ServiceName::Intake,
    ServiceName::Instruction,
    ServiceName::Decisions,
    ServiceName::Promotion,
];

/// The gateway's configuration for this process: services in process under `all`, over HTTP
/// at the configured targets under `gateway`.
///
/// # Errors
/// A message when providers or targets are misconfigured.
pub fn gateway_config(
    config: &Config,
    service: ServiceName,
    ctx: &WebContext,
    signer: AssertionSigner,
    providers: Vec<napoleon_gateway::ProviderConfig>,
) -> Result<GatewayConfig, String> {
    let body_limits = config.limits.edge(None)?.body;
    let mut targets = Targets::new().with_body_limits(body_limits);
    if let Some(ca) = &config.gateway.targets_ca_file {
        let pem = std::fs::read(ca)
            .map_err(|e| format!("gateway.targets_ca_file {}: {e}", ca.display()))?;
        targets = targets
            .with_ca(&pem)
            .map_err(|e| format!("gateway.targets_ca_file {}: {e}", ca.display()))?;
    }
    for s in BEHIND_GATEWAY {
        let target = if service == ServiceName::All {
            service_router(s, ctx).map(Target::InProcess)
        } else {
            config
                .gateway
                .targets
                .get(s.as_str())
                .map(|url| Target::Remote(url.clone()))
        };
        match target {
            Some(t) => targets = targets.with(s.as_str(), t)?,
            None => tracing::warn!(
                service = s.as_str(),
                "no target configured: its routes answer 404"
            ),
        }
    }
    let platform_keys = match &config.keys.signing_key {
        Some(key) => napoleon_identity::platform::PlatformKeys::from_config(
            key.expose(),
            config.keys.previous_public_keys.iter().map(String::as_str),
        ),
        None if service == ServiceName::All => {
            napoleon_identity::platform::PlatformKeys::ephemeral()
        }
        None => {
            return Err(
                "the gateway runs apart from the other services: set keys.signing_key \
                 (NAPOLEON__KEYS__SIGNING_KEY; `napoleon keys generate` makes one)"
                    .to_owned(),
            );
        }
    }
    .map_err(|e| e.to_string())?;
    Ok(GatewayConfig {
        providers: Providers::new(providers, &config.server.public_url)?,
        signer,
        platform_keys,
        targets,
        session: SessionSettings {
            idle: Duration::from_secs(config.session.idle_minutes.saturating_mul(60)),
            absolute: Duration::from_secs(config.session.absolute_hours.saturating_mul(3600)),
            secure_cookie: config.tls(),
        },
        authorizer: ctx.for_service(napoleon_gateway::SERVICE).authorizer,
        operator_acr: {
            config.platform.check()?;
            config.platform.operator_acr.clone()
        },
    })
}

/// The complete router of a process serving `service`. `gateway` is required for `all` and
/// `gateway`; `extra` is merged at the top (the demo's identity provider).
pub fn router(
    service: ServiceName,
    ctx: &WebContext,
    assets: &AssetsConfig,
    edge: &EdgeConfig,
    gateway: Option<GatewayConfig>,
    extra: Option<Router>,
) -> Router {
    let metrics = HttpMetrics::new();
    let mut app = health_router(ctx.db.clone());
    if let Some(gateway) = gateway {
        app = app
            .merge(napoleon_gateway::router(
                &ctx.for_service("gateway"),
                gateway,
            ))
            .merge(static_router(assets));
    }
    if let Some(own) = service_router(service, ctx) {
        app = app.merge(own);
    }
    if let Some(extra) = extra {
        app = app.merge(extra);
    }
    edge_layers(service_layers(app, metrics), ctx.templates.clone(), edge)
}
