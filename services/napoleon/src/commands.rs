//! The commands behind `napoleon …`.
//!
//! Exit codes: 0 success; 1 failure; 2 bad usage or invalid configuration; 3 the database is
//! not fit to serve (pending migrations, wrong role); 4 `journal verify` found a broken link.

use std::io::Write;
use std::path::PathBuf;

use napoleon_db::cluster::{ClusterError, ClusterOptions, Durability, LocalCluster};
use napoleon_db::server::{ExternalServer, PgServer};
use napoleon_db::{Db, build_pool, core, journal, migrate, roles};
use napoleon_identity::AssertionVerifier;
use napoleon_kernel::{Email, Secret, TenantSlug};
use napoleon_web::{AssetsConfig, EdgeConfig, WebContext};
use tokio::net::TcpListener;

use crate::app::{self, ServiceName};
use crate::config::{Config, Environment};
use crate::{demo, demo_activity};

/// A command's failure, carrying its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad usage or configuration (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The database is not fit to serve (exit 3).
    #[error("{0}")]
    NotReady(String),
    /// The journal chain is broken (exit 4).
    #[error("{0}")]
    JournalBroken(String),
    /// Anything else (exit 1).
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    /// The process exit code.
    #[must_use]
    pub const fn exit_code(&self) -> u8 {
        match self {
            Self::Failed(_) => 1,
            Self::Usage(_) => 2,
            Self::NotReady(_) => 3,
            Self::JournalBroken(_) => 4,
        }
    }
}

fn failed(context: &str) -> impl FnOnce(String) -> CliError + '_ {
    move |e| CliError::Failed(format!("{context}: {e}"))
}

/// Writes a line on stdout (the commands' output, as opposed to logs on stderr).
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ignored = writeln!(out, "{line}");
}

fn require<'a>(
    value: Option<&'a Secret<String>>,
    key: &str,
) -> Result<&'a Secret<String>, CliError> {
    value.ok_or_else(|| {
        CliError::Usage(format!(
            "database.{key} is not set (file key [database] {key}, or NAPOLEON__DATABASE__{})",
            key.to_uppercase()
        ))
    })
}

/// Refuses a database a service must not run on: connected as a privileged role, or with
/// migrations pending.
///
/// # Errors
/// [`CliError::NotReady`] saying what to fix.
pub async fn check_database(db: &Db) -> Result<(), CliError> {
    let mut conn = db
        .platform()
        .await
        .map_err(|e| CliError::NotReady(format!("cannot reach the database: {e}")))?;
    roles::check_application_role(&mut conn)
        .await
        .map_err(|e| CliError::NotReady(format!("refusing to start: {e}")))?;
    let pending = migrate::pending(&mut conn)
        .await
        .map_err(|e| CliError::NotReady(format!("cannot read migrations: {e}")))?;
    if pending.is_empty() {
        Ok(())
    } else {
        Err(CliError::NotReady(format!(
            "refusing to start: {} migration(s) pending ({}); run `napoleon migrate` first",
            pending.len(),
            pending.join(", ")
        )))
    }
}

/// Builds the application-role handle and checks it is fit to serve.
async fn app_db(url: &Secret<String>, pool_size: usize) -> Result<Db, CliError> {
    let db = Db::new(build_pool(url, pool_size).map_err(|e| CliError::Failed(e.to_string()))?);
    check_database(&db).await?;
    Ok(db)
}

/// The pools of the services `service` runs, each as its database role, each checked like
/// the application's (not owner, not superuser, migrations applied) and connected as exactly
/// that role (a URL naming another user, in its user part or its parameters, is refused).
async fn service_dbs(
    config: &Config,
    url: Option<&Secret<String>>,
    service: ServiceName,
) -> Result<std::collections::HashMap<&'static str, Db>, CliError> {
    let services = app::pooled_services(service);
    let pools = app::service_pools(
        &napoleon_kernel::Clock::system(),
        url,
        &config.database.service_urls,
        &services,
        config.database.pool_size,
    )
    .map_err(CliError::Usage)?;
    for (service, db) in &pools {
        check_database(db).await?;
        let mut conn = db
            .platform()
            .await
            .map_err(|e| CliError::NotReady(format!("cannot reach the database: {e}")))?;
        let connected = roles::current_role(&mut conn)
            .await
            .map_err(|e| CliError::NotReady(e.to_string()))?;
        let expected = roles::service_role(service);
        if connected != expected {
            return Err(CliError::NotReady(format!(
                "refusing to start: the {service} service must connect as {expected}, not {connected}"
            )));
        }
    }
    Ok(pools)
}

fn web_context(db: Db, identity: AssertionVerifier) -> Result<WebContext, CliError> {
    let templates = app::templates().map_err(failed("templates"))?;
    Ok(WebContext::new(db, templates, identity))
}

async fn serve_router(
    config: &Config,
    service: ServiceName,
    ctx: &WebContext,
    gateway: Option<napoleon_gateway::GatewayConfig>,
    extra: Option<axum::Router>,
) -> Result<(), CliError> {
    let assets = AssetsConfig {
        dsfr_dist: config.web.dsfr_dist.clone(),
    };
    let browser_facing = gateway.is_some();
    let edge = EdgeConfig {
        tls: config.tls(),
        // A service behind the gateway keeps the gateway's request id; the gateway never
        // keeps a client's.
        trust_request_id: !browser_facing,
        limits: config
            .limits
            .edge(browser_facing.then(|| napoleon_gateway::session_cookie_name(config.tls())))
            .map_err(CliError::Usage)?,
    };
    let server_limits = config.limits.server().map_err(CliError::Usage)?;
    let router = app::router(service, ctx, &assets, &edge, gateway, extra);
    // Pool usage for operators (OTel semantic conventions: connections by state).
    let pool = ctx.db.clone();
    let _pool_gauge = opentelemetry::global::meter("napoleon")
        .i64_observable_gauge("db.client.connection.count")
        .with_description("Database connections of this process, by state.")
        .with_callback(move |observer| {
            let (open, idle, _max) = pool.usage();
            let used = open.saturating_sub(idle);
            observer.observe(
                i64::try_from(idle).unwrap_or(i64::MAX),
                &[opentelemetry::KeyValue::new(
                    "db.client.connection.state",
                    "idle",
                )],
            );
            observer.observe(
                i64::try_from(used).unwrap_or(i64::MAX),
                &[opentelemetry::KeyValue::new(
                    "db.client.connection.state",
                    "used",
                )],
            );
        })
        .build();
    // Dossiers per tenant and state, counted by the process that owns them.
    let _dossier_gauge = matches!(service, ServiceName::All | ServiceName::Intake).then(|| {
        napoleon_intake::dossier_gauge(
            ctx.for_service("intake").db,
            std::time::Duration::from_secs(15),
        )
    });
    // A certificate that cannot be used stops the start here, before anything runs.
    let tls = config.server.tls_acceptor().map_err(CliError::Usage)?;
    let listener = TcpListener::bind(config.server.bind)
        .await
        .map_err(|e| CliError::Failed(format!("cannot listen on {}: {e}", config.server.bind)))?;
    // `all` and `worker` run the background jobs beside the server, until it stops; a job in
    // progress then ends its attempt (or, killed, leaves its lease to pass).
    let (stop_jobs, stopped) = tokio::sync::watch::channel(false);
    // Several workers, so that one slow job (a partner that hangs, a large purge) does not
    // hold back every other tenant's.
    let mut jobs = Vec::new();
    if service.runs_jobs() {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "napoleon".to_owned());
        for n in 0..config.jobs.workers {
            let name = format!("{host}-{}-{n}", std::process::id());
            let worker =
                app::worker(config, ctx.for_service("worker").db, name).map_err(CliError::Usage)?;
            let mut stopped = stopped.clone();
            jobs.push(tokio::spawn(worker.run(JOB_IDLE, async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })));
        }
    }
    // Decisions runs its own jobs (the registry imports), as its own role.
    if matches!(service, ServiceName::All | ServiceName::Decisions) {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "napoleon".to_owned());
        let name = format!("{host}-{}-decisions", std::process::id());
        if let Some(worker) = app::decisions_worker(config, ctx.for_service("decisions").db, name)
            .map_err(CliError::Usage)?
        {
            let mut stopped = stopped.clone();
            jobs.push(tokio::spawn(worker.run(JOB_IDLE, async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })));
        }
    }
    tracing::info!(service = service.as_str(), address = %config.server.bind, "serving");
    let served = napoleon_web::serve(listener, router, server_limits, tls, shutdown_signal())
        .await
        .map_err(|e| CliError::Failed(format!("server: {e}")));
    let _ = stop_jobs.send(true);
    for worker in jobs {
        let _ = worker.await;
    }
    served
}

/// How long a worker rests when no job is due.
const JOB_IDLE: std::time::Duration = std::time::Duration::from_secs(2);

/// Resolves on Ctrl-C or SIGTERM (Kubernetes' stop signal).
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

/// `napoleon serve <service>`.
///
/// # Errors
/// [`CliError`].
pub async fn serve(config: &Config, service: ServiceName) -> Result<(), CliError> {
    // Each service connects as its own database role (its own URL, or database.url with the
    // user replaced); the process's main pool is its service's (the gateway's under `all`).
    let pools = service_dbs(config, config.database.url.as_ref(), service).await?;
    let primary = match service {
        ServiceName::All => napoleon_gateway::SERVICE,
        other => other.as_str(),
    };
    let db = pools
        .get(primary)
        .cloned()
        .ok_or_else(|| CliError::Failed(format!("no database pool for {primary}")))?;
    let (signer, verifier) = app::assertion_keys(config, service).map_err(CliError::Usage)?;
    let mut ctx = web_context(db, verifier)?.with_service_pools(pools);
    if let Some(store) = app::pieces_required(config, service).map_err(CliError::Usage)? {
        ctx = ctx.with_pieces(store);
    }
    let gateway = if matches!(service, ServiceName::All | ServiceName::Gateway) {
        Some(
            app::gateway_config(config, service, &ctx, signer, config.oidc.providers.clone())
                .map_err(CliError::Usage)?,
        )
    } else {
        None
    };
    serve_router(config, service, &ctx, gateway, None).await
}

/// `napoleon migrate`.
///
/// # Errors
/// [`CliError`].
pub async fn migrate(config: &Config) -> Result<(), CliError> {
    let owner = require(config.database.owner_url.as_ref(), "owner_url")?;
    let applied = migrate::run_pending(owner)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    if applied.is_empty() {
        say("migrations: up to date");
    } else {
        say(&format!("migrations: applied {}", applied.join(", ")));
    }
    Ok(())
}

/// `napoleon config check`.
///
/// # Errors
/// [`CliError::Usage`] if the configuration cannot be printed.
pub fn config_check(config: &Config) -> Result<(), CliError> {
    let text = config
        .to_masked_toml()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    say("# effective configuration (defaults < file < NAPOLEON__* environment); secrets masked");
    say(text.trim_end());
    Ok(())
}

/// `napoleon journal verify --tenant <slug>`.
///
/// # Errors
/// [`CliError::JournalBroken`] naming the first broken link, or another [`CliError`].
/// `napoleon keys generate --kid K`: a new signing key for `keys.signing_key` or
/// `assertion.signing_key`, and its public part (for `keys.previous_public_keys` after a
/// rotation, or the services' `assertion.verify_keys`).
///
/// # Errors
/// [`CliError::Usage`] for a kid that is not a plain name.
pub fn keys_generate(kid: &str) -> Result<String, CliError> {
    let (secret, public) =
        napoleon_identity::platform::generate(kid).map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(format!(
        "# Secret: keys.signing_key (NAPOLEON__KEYS__SIGNING_KEY) or assertion.signing_key.\n\
         signing_key = \"{secret}\"\n\
         # Public: keys.previous_public_keys once replaced, or the services' assertion.verify_keys.\n\
         public_key = \"{public}\"\n"
    ))
}

pub async fn journal_verify(config: &Config, tenant: &str) -> Result<(), CliError> {
    let slug = TenantSlug::parse(tenant).map_err(|e| CliError::Usage(e.to_string()))?;
    // The owner can also read the chain's head, which exposes events removed from the end.
    let (url, as_owner) = match (&config.database.owner_url, &config.database.url) {
        (Some(owner), _) => (owner, true),
        (None, Some(app)) => (app, false),
        (None, None) => (require(None, "owner_url")?, true),
    };
    let db = Db::new(build_pool(url, 2).map_err(|e| CliError::Failed(e.to_string()))?);
    let found = {
        let mut conn = db
            .platform()
            .await
            .map_err(|e| CliError::Failed(e.to_string()))?;
        core::find_tenant(&mut conn, &slug)
            .await
            .map_err(|e| CliError::Failed(e.to_string()))?
    };
    let Some(found) = found else {
        return Err(CliError::Usage(format!("no tenant named {slug}")));
    };
    let mut tx = db
        .tenant(found.id)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let head = if as_owner {
        journal::head_seq(&mut tx)
            .await
            .map_err(|e| CliError::Failed(e.to_string()))?
    } else {
        None
    };
    let verification = journal::verify(&mut tx, head)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    tx.rollback().await;
    match verification.broken {
        None => {
            say(&format!(
                "journal of {slug}: {} event(s), chain intact{}",
                verification.events_checked,
                if as_owner {
                    ""
                } else {
                    " (head not checked: no owner_url)"
                }
            ));
            Ok(())
        }
        Some(link) => Err(CliError::JournalBroken(format!(
            "journal of {slug}: BROKEN at event {}: {}",
            link.seq, link.reason
        ))),
    }
}

/// Options of `napoleon demo`.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Cluster directory.
    pub data_dir: PathBuf,
    /// Cluster port.
    pub port: u16,
}

/// The database the demo serves from.
pub const DEMO_DATABASE: &str = "napoleon";

async fn demo_cluster(options: &DemoOptions) -> Result<LocalCluster, CliError> {
    let cluster_options = ClusterOptions {
        dir: options.data_dir.clone(),
        port: options.port,
        durability: Durability::Durable,
    };
    match LocalCluster::ensure(&cluster_options).await {
        Err(ClusterError::Unreachable(dir)) => {
            // Running as root from a private checkout (e.g. under /root): PostgreSQL's user
            // cannot reach it, so keep the cluster in a stable spot under /var/tmp instead.
            let fallback = PathBuf::from("/var/tmp").join(format!(
                "napoleon-demo-{}",
                dir.to_string_lossy()
                    .bytes()
                    .fold(0_u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
            ));
            say(&format!(
                "note: {} is not reachable by the postgres user; using {} instead",
                dir.display(),
                fallback.display()
            ));
            LocalCluster::ensure(&ClusterOptions {
                dir: fallback,
                ..cluster_options
            })
            .await
            .map_err(|e| CliError::Failed(e.to_string()))
        }
        other => other.map_err(|e| CliError::Failed(e.to_string())),
    }
}

/// `napoleon demo`: a managed local PostgreSQL (or the server of `DATABASE_URL`, an
/// administrative URL), the demo tenants, every service on one port.
///
/// # Errors
/// [`CliError`].
pub async fn demo(config: &Config, options: &DemoOptions) -> Result<(), CliError> {
    if config.environment == Environment::Production {
        return Err(CliError::Usage(
            "`napoleon demo` is refused when environment = production".to_owned(),
        ));
    }
    let admin_url = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty());
    let server = if let Some(url) = admin_url {
        say("Napoléon demo: using the PostgreSQL server of DATABASE_URL…");
        PgServer::External(
            ExternalServer::connect(&Secret::new(url), &options.data_dir)
                .await
                .map_err(|e| CliError::Failed(e.to_string()))?,
        )
    } else {
        say("Napoléon demo: preparing the local PostgreSQL cluster…");
        PgServer::Local(demo_cluster(options).await?)
    };
    // The demo keeps its pieces beside its database, and scans them with its own clamd.
    let mut config = config.clone();
    if config.documents.local_dir.is_none() {
        config.documents.local_dir = Some(options.data_dir.join("pieces"));
    }
    let _clamd = demo_clamd(&mut config, &options.data_dir).await;
    let result = demo_on(&config, &server).await;
    if let PgServer::Local(cluster) = &server {
        say("stopping PostgreSQL…");
        if let Err(e) = cluster.stop().await {
            say(&format!("warning: could not stop PostgreSQL cleanly: {e}"));
        }
    }
    result
}

/// Starts the demo's clamd when ClamAV is installed (ClamAV's own signatures when freshclam
/// fetched them, an offline EICAR-only database otherwise) and points the scan job at it;
/// says plainly what it did, or why pieces will wait for their scan.
async fn demo_clamd(
    config: &mut Config,
    data_dir: &std::path::Path,
) -> Option<napoleon_antivirus::local::LocalClamd> {
    use napoleon_antivirus::local::{LocalClamd, Signatures};
    if napoleon_antivirus::local::program("clamd").is_none() {
        say(
            "antivirus: clamd is not installed, so attached pieces stay « en attente d'analyse \
             antivirus » and cannot be opened (install it: apt-get install clamav-daemon clamav, \
             as README command 1 does)",
        );
        return None;
    }
    let signatures = Signatures::best_available();
    match LocalClamd::start(
        &data_dir.join("clamav"),
        &signatures,
        napoleon_antivirus::local::Limits::default(),
    )
    .await
    {
        Ok(mut clamd) => {
            // The offline database loads in seconds: wait for it, so the demo's own pieces
            // are scanned at once. ClamAV's signatures take a minute: scans retry meanwhile.
            if signatures == Signatures::Offline
                && let Err(e) = clamd.ready(std::time::Duration::from_secs(30)).await
            {
                say(&format!(
                    "antivirus: clamd is not answering yet ({e}); scans will retry"
                ));
            }
            config.documents.clamd_address = clamd.address().to_owned();
            say(&match signatures {
                Signatures::Installed(dir) => format!(
                    "antivirus: clamd at {} with ClamAV's signatures from {} (loading them \
                     takes a minute; scans wait and retry meanwhile)",
                    clamd.address(),
                    dir.display()
                ),
                Signatures::Offline => format!(
                    "antivirus: clamd at {} with a test database built offline (it finds the \
                     EICAR test file only: run freshclam for ClamAV's signatures)",
                    clamd.address()
                ),
            });
            Some(clamd)
        }
        Err(e) => {
            say(&format!(
                "antivirus: clamd could not start ({e}); attached pieces stay « en attente \
                 d'analyse antivirus »"
            ));
            None
        }
    }
}

async fn demo_on(config: &Config, cluster: &PgServer) -> Result<(), CliError> {
    let mut admin = cluster
        .connect_admin()
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    roles::create_database(&mut admin, DEMO_DATABASE, None)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    drop(admin);
    let applied = migrate::run_pending(&cluster.owner_url(DEMO_DATABASE))
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    if !applied.is_empty() {
        say(&format!("migrations applied: {}", applied.join(", ")));
    }
    let db = app_db(&cluster.app_url(DEMO_DATABASE), config.database.pool_size).await?;
    // The development identity provider, served by this very process: the demo logs in
    // through exactly the relying-party code that talks to ProConnect.
    let client_secret = demo::random_secret();
    let idp = demo::dev_idp(&config.server.public_url, &client_secret);
    let trusted: Vec<String> = std::iter::once(idp.issuer.clone())
        .chain(config.oidc.providers.iter().map(|p| p.issuer.clone()))
        .collect();
    let report = demo::seed(&db, &trusted)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    if report == demo::SeedReport::default() {
        say("demo data: already in place");
    } else {
        say(&format!(
            "demo data: {} tenant(s) and {} unit(s) created",
            report.tenants_created, report.units_created
        ));
    }
    let (signer, verifier) =
        app::assertion_keys(config, ServiceName::All).map_err(CliError::Usage)?;
    {
        // The demo's operator, through the development provider (pinned at their first login).
        let mut conn = db
            .platform()
            .await
            .map_err(|e| failed("database")(e.to_string()))?;
        let email =
            Email::parse(demo::DEMO_OPERATOR).map_err(|e| CliError::Failed(e.to_string()))?;
        napoleon_db::operators::add(&mut conn, &email, &idp.issuer)
            .await
            .map_err(|e| failed("operators")(e.to_string()))?;
    }
    // Served by each service's own role; the demo's data above went in through the tools'.
    let pools = service_dbs(
        config,
        Some(&cluster.app_url(DEMO_DATABASE)),
        ServiceName::All,
    )
    .await?;
    let mut ctx = web_context(db, verifier)?.with_service_pools(pools);
    if let Some(store) = app::pieces_required(config, ServiceName::All).map_err(CliError::Usage)? {
        ctx = ctx.with_pieces(store);
    }
    let activity = demo_activity::seed_activity(&ctx, &signer, &idp.issuer)
        .await
        .map_err(CliError::Failed)?;
    if activity != demo_activity::ActivityReport::default() {
        say(&format!(
            "demo activity: {} campaign(s), {} dossier(s), {} laureate(s) in the registry",
            activity.campaigns, activity.dossiers, activity.laureates
        ));
    }
    let mut providers = vec![napoleon_gateway::ProviderConfig {
        name: "demo".to_owned(),
        label: demo::DEMO_PROVIDER_LABEL.to_owned(),
        issuer: idp.issuer.clone(),
        client_id: demo::DEMO_CLIENT_ID.to_owned(),
        client_secret: Secret::new(client_secret),
        scopes: Vec::new(),
        button: napoleon_gateway::LoginButton::Plain,
    }];
    providers.extend(config.oidc.providers.iter().cloned());
    let idp_router = napoleon_devidp::router(idp)
        .map_err(|e| CliError::Failed(format!("development identity provider: {e}")))?;
    let gateway = app::gateway_config(config, ServiceName::All, &ctx, signer, providers)
        .map_err(CliError::Usage)?;
    let data = match cluster {
        PgServer::Local(c) => format!(
            "PostgreSQL data in {}, port {}",
            c.dir().display(),
            c.port()
        ),
        PgServer::External(_) => "PostgreSQL from DATABASE_URL".to_owned(),
    };
    say(&format!(
        "\nNapoléon is running at http://{}/  ({data})\nPress Ctrl-C to stop.\n",
        config.server.bind
    ));
    serve_router(
        config,
        ServiceName::All,
        &ctx,
        Some(gateway),
        Some(axum::Router::new().nest(demo::DEV_IDP_PATH, idp_router)),
    )
    .await
}

/// `napoleon operators add`: the e-mail, and the issuer of the configured provider `provider`
/// through which the operator's first login must come.
///
/// # Errors
/// [`CliError::Usage`] for a malformed e-mail or an unknown provider.
pub async fn operators_add(config: &Config, email: &str, provider: &str) -> Result<(), CliError> {
    let email = Email::parse(email).map_err(|e| CliError::Usage(format!("e-mail: {e}")))?;
    let Some(issuer) = config
        .oidc
        .providers
        .iter()
        .find(|p| p.name == provider)
        .map(|p| p.issuer.clone())
    else {
        let known: Vec<&str> = config
            .oidc
            .providers
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        return Err(CliError::Usage(format!(
            "no provider named `{provider}` in oidc.providers; configured: {}",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )));
    };
    let db = cli_db(config).await?;
    let mut conn = db
        .platform()
        .await
        .map_err(|e| failed("database")(e.to_string()))?;
    if napoleon_db::operators::add(&mut conn, &email, &issuer)
        .await
        .map_err(|e| failed("operators")(e.to_string()))?
    {
        say(&format!(
            "operator added; pinned at their first login through {provider} ({issuer})"
        ));
    } else {
        say("already an operator: nothing changed");
    }
    Ok(())
}

/// `napoleon operators remove`.
///
/// # Errors
/// [`CliError::Usage`] for a malformed or unknown e-mail.
pub async fn operators_remove(config: &Config, email: &str) -> Result<(), CliError> {
    let email = Email::parse(email).map_err(|e| CliError::Usage(format!("e-mail: {e}")))?;
    let db = cli_db(config).await?;
    let mut conn = db
        .platform()
        .await
        .map_err(|e| failed("database")(e.to_string()))?;
    if napoleon_db::operators::remove(&mut conn, &email)
        .await
        .map_err(|e| failed("operators")(e.to_string()))?
    {
        say("operator removed");
        Ok(())
    } else {
        Err(CliError::Usage("no operator with this e-mail".to_owned()))
    }
}

/// `napoleon operators list`: one line per operator.
///
/// # Errors
/// [`CliError::Failed`] when the database cannot be read.
pub async fn operators_list(config: &Config) -> Result<String, CliError> {
    let db = cli_db(config).await?;
    let mut conn = db
        .platform()
        .await
        .map_err(|e| failed("database")(e.to_string()))?;
    let operators = napoleon_db::operators::list(&mut conn)
        .await
        .map_err(|e| failed("operators")(e.to_string()))?;
    if operators.is_empty() {
        return Ok("no operator".to_owned());
    }
    Ok(operators
        .iter()
        .map(|o| {
            let pinned = o.pinned_at.map_or_else(
                || "waiting for the first login".to_owned(),
                |at| format!("pinned {}", at.format("%Y-%m-%d %H:%M UTC")),
            );
            format!("{}\t{}\t{pinned}", o.email.expose(), o.issuer)
        })
        .collect::<Vec<_>>()
        .join("\n"))
}

async fn cli_db(config: &Config) -> Result<napoleon_db::Db, CliError> {
    let url = require(config.database.url.as_ref(), "url")?;
    app_db(url, 2).await
}

/// `napoleon rules check`: one JSON case in, the JSON verdict out (whatever the verdict).
///
/// # Errors
/// [`CliError::Usage`] (exit 2) with the French message naming the faulty field when the case
/// is malformed; [`CliError::Failed`] if the built-in catalogue does not load (a bug).
pub fn rules_check(input: &str) -> Result<String, CliError> {
    let catalogue = napoleon_rules::Catalogue::builtin()
        .map_err(|e| CliError::Failed(format!("built-in catalogue: {e}")))?;
    let verdict = napoleon_rules::check_json(&catalogue, input)
        .map_err(|e| CliError::Usage(format!("{} — {e}", e.code())))?;
    serde_json::to_string_pretty(&verdict).map_err(|e| CliError::Failed(e.to_string()))
}

/// `napoleon rules list`: the built-in catalogue, as text for people or as JSON.
///
/// # Errors
/// [`CliError::Failed`] if the built-in catalogue does not load (a bug).
pub fn rules_list(json: bool) -> Result<String, CliError> {
    let catalogue = napoleon_rules::Catalogue::builtin()
        .map_err(|e| CliError::Failed(format!("built-in catalogue: {e}")))?;
    let listing = catalogue.listing();
    if json {
        return serde_json::to_string_pretty(&listing).map_err(|e| CliError::Failed(e.to_string()));
    }
    let mut out = String::new();
    for d in &listing.distinctions {
        let grades: Vec<&str> = d.grades.iter().map(|g| g.label.as_str()).collect();
        out.push_str(&format!(
            "{} — {}\n  {}\n  {} : {}\n",
            d.code,
            d.name,
            d.legal_basis,
            "grades",
            grades.join(", ")
        ));
        for set in &d.rule_sets {
            let unverified = if set.effective_from_verified {
                ""
            } else {
                " [date non vérifiée]"
            };
            out.push_str(&format!(
                "  règles en vigueur au {}{unverified} ({})\n",
                set.effective_from, set.source
            ));
            for rule in &set.rules {
                let flag = if rule.verified {
                    ""
                } else {
                    " [valeur non vérifiée]"
                };
                out.push_str(&format!(
                    "    {:<40} {:<14} {}{flag}\n",
                    rule.code,
                    rule.article.to_string(),
                    rule.description
                ));
            }
        }
        out.push('\n');
    }
    if !listing.gap_practices.is_empty() {
        out.push_str("Pratiques d'écart entre ordres (avertissements, jamais bloquantes)\n");
        for g in &listing.gap_practices {
            let state = if g.enabled { "active" } else { "désactivée" };
            out.push_str(&format!(
                "  {:<40} {} an(s) ({}, {state})\n",
                g.code, g.years, g.reference
            ));
        }
    }
    Ok(out)
}

/// `napoleon jobs run <kind> --tenant <slug>`: enqueues the job in the tenant (journaled), runs
/// it in this process with a progress bar on a terminal (a line per change otherwise), and
/// ends with its outcome. Jobs of the same kind already due run too, before or beside it:
/// they were waiting for a worker anyway.
///
/// # Errors
/// [`CliError::Usage`] for an unknown kind or tenant, [`CliError::Failed`] when the attempt
/// fails or the job is stopped.
pub async fn jobs_run(config: &Config, kind: &str, tenant: &str) -> Result<(), CliError> {
    use napoleon_db::jobs::{self, JobState};
    use napoleon_db::journal::Actor;

    let kinds = app::cli_job_kinds();
    let Some(kind) = kinds.iter().find(|k| k.as_str() == kind).cloned() else {
        let known: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        return Err(CliError::Usage(format!(
            "no job `{kind}` runs from the command line; known: {}",
            known.join(", ")
        )));
    };
    let (db, tenant_id) = tenant_db(config, tenant, 4).await?;
    let id = {
        let mut tx = db
            .tenant(tenant_id)
            .await
            .map_err(|e| failed("database")(e.to_string()))?;
        let id = jobs::request(&mut tx, &kind, Actor::System("cli"), 3)
            .await
            .map_err(|e| failed("enqueue")(e.to_string()))?;
        tx.commit()
            .await
            .map_err(|e| failed("commit")(e.to_string()))?;
        id
    };
    say(&format!("job {id} ({kind}) enqueued in {tenant}"));

    let handlers: Vec<_> = app::handlers(config)
        .map_err(CliError::Usage)?
        .into_iter()
        .filter(|h| h.kind() == kind)
        .collect();
    let worker =
        napoleon_jobs::Worker::new(db.clone(), format!("cli-{}", std::process::id()), handlers);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(
        worker.run(std::time::Duration::from_millis(200), async move {
            let mut stopped = stopped;
            let _ = stopped.wait_for(|s| *s).await;
        }),
    );

    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} [{bar:40}] {pos}/{len} {wide_msg}")
            .map_err(|e| failed("progress bar")(e.to_string()))?
            .progress_chars("=> "),
    );
    // Without a terminal the bar draws nothing: a line per change says the same in a log.
    let plain = bar.is_hidden();
    let mut last = String::new();
    let outcome = loop {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let mut tx = db
            .tenant(tenant_id)
            .await
            .map_err(|e| failed("database")(e.to_string()))?;
        let view = jobs::job(&mut tx, id)
            .await
            .map_err(|e| failed("job")(e.to_string()))?;
        tx.rollback().await;
        let progress = napoleon_web::JobProgress::from(&view);
        if let Some(total) = progress.total {
            bar.set_length(u64::try_from(total).unwrap_or(0));
        }
        bar.set_position(u64::try_from(progress.done).unwrap_or(0));
        bar.set_message(progress.summary.clone());
        let line = format!(
            "{}: {}/{} {}",
            progress.state,
            progress.done,
            progress
                .total
                .map_or_else(|| "?".to_owned(), |t| t.to_string()),
            progress.summary
        );
        if plain && line != last {
            say(&line);
        }
        last = line;
        // A failed attempt leaves the job to the workers' later retry: this command stops.
        let retried = view.state == JobState::Queued && view.attempts > 0;
        if !view.is_active() || retried {
            break (view, progress);
        }
    };
    let _ = stop.send(true);
    let _ = running.await;
    bar.finish_and_clear();
    let (view, progress) = outcome;
    match view.state {
        JobState::Succeeded => {
            say(&format!(
                "job {id}: {} — {}",
                progress.state, progress.summary
            ));
            Ok(())
        }
        _ => Err(CliError::Failed(format!(
            "job {id}: {} — {}",
            progress.state,
            progress.error.unwrap_or(progress.summary)
        ))),
    }
}

/// What `napoleon import registry` was asked.
#[derive(Debug, Clone)]
pub struct RegistryImportOptions {
    /// The tenant's slug.
    pub tenant: String,
    /// The file (CSV, XLSX or ODS).
    pub file: PathBuf,
    /// Check only: the full report, nothing written.
    pub check_only: bool,
    /// Where to write the line-level report (CSV).
    pub report: Option<PathBuf>,
    /// Rows per batch.
    pub batch: usize,
}

/// `napoleon tenants cross-ministry`: opts the tenant in or out of the cross-ministry lookup
/// of proposals (issue 18, Build 7), journaled.
///
/// # Errors
/// [`CliError`]: an unknown tenant (usage), the database.
pub async fn tenants_cross_ministry(
    config: &Config,
    tenant: &str,
    on: bool,
) -> Result<(), CliError> {
    let (db, id) = tenant_db(config, tenant, 1).await?;
    let mut tx = db
        .tenant(id)
        .await
        .map_err(|e| failed("database")(e.to_string()))?;
    napoleon_db::crossmatch::set_opt_in(&mut tx, journal::Actor::System("cli"), on)
        .await
        .map_err(|e| failed("tenant")(e.to_string()))?;
    tx.commit()
        .await
        .map_err(|e| failed("database")(e.to_string()))?;
    say(if on {
        "cross-ministry lookup: on"
    } else {
        "cross-ministry lookup: off"
    });
    Ok(())
}

/// The tenant named `slug`, on the application role's pool.
async fn tenant_db(
    config: &Config,
    slug: &str,
    pool_size: usize,
) -> Result<(Db, napoleon_kernel::TenantId), CliError> {
    let slug = TenantSlug::parse(slug).map_err(|e| CliError::Usage(e.to_string()))?;
    let url = require(config.database.url.as_ref(), "url")?;
    let db = app_db(url, pool_size).await?;
    let found = {
        let mut conn = db
            .platform()
            .await
            .map_err(|e| failed("database")(e.to_string()))?;
        core::find_tenant(&mut conn, &slug)
            .await
            .map_err(|e| failed("tenant")(e.to_string()))?
    };
    let found = found.ok_or_else(|| CliError::Usage(format!("no tenant named {slug}")))?;
    Ok((db, found.id))
}

/// The file's SHA-256 (hex) and size, read once.
fn file_digest(path: &std::path::Path) -> Result<(String, u64), CliError> {
    std::fs::File::open(path)
        .and_then(napoleon_storage::sha256_hex_of)
        .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))
}

/// An import's refusal as the command line says it: the file or the import (usage, exit 2),
/// or the database (exit 1; an import's committed batches stay and the same command resumes
/// it, an undo is one transaction).
fn refused(e: napoleon_decisions::registry_import::ImportError) -> CliError {
    use napoleon_decisions::registry_import::ImportError;
    match e {
        ImportError::Db(e) => CliError::Failed(format!(
            "database: {e} (what was committed stays, nothing is half-written: run the same \
             command again)"
        )),
        other => CliError::Usage(other.to_string()),
    }
}

/// `napoleon import registry --tenant <slug> FILE`: checks (`--verifier`) or imports a file
/// into the tenant's registry, in batches, with a progress line; resumes an unfinished import
/// of the same file. Prints the counts and the refused rows (all of them with `--rapport`,
/// written as CSV; the first 50 otherwise).
///
/// # Errors
/// [`CliError::Usage`] for a file that is not the template's table or an unknown tenant,
/// [`CliError::Failed`] when the database fails (committed batches stay: run it again).
pub async fn import_registry(
    config: &Config,
    options: &RegistryImportOptions,
) -> Result<String, CliError> {
    use napoleon_decisions::registry_import::{self, ImportRequest};

    let (db, tenant) = tenant_db(config, &options.tenant, 2).await?;
    let (sha256, size) = file_digest(&options.file)?;
    let open = || {
        std::fs::File::open(&options.file)
            .map(std::io::BufReader::new)
            .map_err(|e| CliError::Usage(format!("{}: {e}", options.file.display())))
    };
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}")
            .map_err(|e| failed("progress bar")(e.to_string()))?,
    );
    let shown = bar.clone();
    let mut progress = move |line: u64| shown.set_message(format!("ligne {line}"));
    let report = if options.check_only {
        registry_import::check(&db, tenant, open()?, &mut progress)
            .await
            .map_err(refused)?
    } else {
        let request = ImportRequest {
            file_name: options
                .file
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            sha256: sha256.clone(),
            size,
            actor: journal::Actor::System("cli"),
            started_by: None,
            batch: options.batch.max(1),
        };
        registry_import::run(&db, tenant, open()?, &request, &mut progress)
            .await
            .map_err(refused)?
    };
    bar.finish_and_clear();
    let mut out = vec![format!(
        "fichier : {} ({}), sha256 {sha256}",
        options.file.display(),
        report.detected
    )];
    if let Some(id) = report.import {
        out.push(format!("import {id}"));
    }
    if report.resumed_after > 0 {
        out.push(format!("reprise après la ligne {}", report.resumed_after));
    }
    out.push(format!(
        "{} ligne(s) lue(s) : {} valide(s), {} refusée(s)",
        report.rows, report.valid, report.rejected
    ));
    if options.check_only {
        out.push("vérification seule : rien n'a été écrit".to_owned());
    } else {
        out.push(format!(
            "{} distinction(s) ajoutée(s), {} déjà présente(s) au registre",
            report.inserted, report.existing
        ));
    }
    if let Some(path) = &options.report {
        std::fs::write(path, report.problems_csv())
            .map_err(|e| CliError::Failed(format!("{}: {e}", path.display())))?;
        out.push(format!("rapport : {}", path.display()));
    } else {
        for p in report.problems.iter().take(50) {
            let column = if p.column.is_empty() {
                String::new()
            } else {
                format!(", colonne « {} »", p.column)
            };
            out.push(format!(
                "ligne {}{column} : {} [{}]",
                p.line, p.reason, p.value
            ));
        }
        if report.problems.len() > 50 {
            out.push(format!(
                "… et {} autre(s) : --rapport FICHIER les écrit toutes",
                report.problems.len() - 50
            ));
        }
    }
    if report.problems_dropped > 0 {
        out.push(format!(
            "{} motif(s) de plus non conservés (le fichier ne suit sans doute pas le modèle)",
            report.problems_dropped
        ));
    }
    Ok(out.join("\n"))
}

/// `napoleon import undo --tenant <slug> <id>`: removes what an import added, as a whole,
/// while nothing depends on it.
///
/// # Errors
/// [`CliError::Usage`] when the import is unknown or cannot be undone (said in French).
pub async fn import_undo(config: &Config, tenant: &str, id: &str) -> Result<String, CliError> {
    use napoleon_decisions::registry_import::{self, ImportError};
    let id: napoleon_kernel::RegistryImportId = id
        .parse()
        .map_err(|_| CliError::Usage(format!("not an import id: {id}")))?;
    let (db, tenant) = tenant_db(config, tenant, 2).await?;
    let mut tx = db
        .tenant(tenant)
        .await
        .map_err(|e| refused(ImportError::Db(e)))?;
    let undone = match registry_import::undo(&mut tx, id, journal::Actor::System("cli")).await {
        Ok(undone) => undone,
        Err(e) => {
            tx.rollback().await;
            return Err(refused(e));
        }
    };
    tx.commit().await.map_err(|e| refused(ImportError::Db(e)))?;
    Ok(format!(
        "import {id} annulé : {} distinction(s), {} lauréat(s), {} période(s) de carrière retirés",
        undone.awards, undone.laureates, undone.periods
    ))
}
