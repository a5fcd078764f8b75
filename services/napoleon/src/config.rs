//! Typed, layered configuration: built-in defaults, then an optional TOML file (`--config` or
//! `NAPOLEON_CONFIG`), then environment variables `NAPOLEON__SECTION__KEY` (e.g.
//! `NAPOLEON__DATABASE__POOL_SIZE=32`). Unknown keys are refused, naming the key and where it
//! came from. Secrets are [`Secret`]s: printed masked, always.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use napoleon_kernel::Secret;
use serde::{Deserialize, Serialize};

/// The environment the process runs in. Production refuses development conveniences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// A developer's machine or the demo.
    #[default]
    Development,
    /// A real deployment.
    Production,
}

/// Everything the binary can be told.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Development or production.
    pub environment: Environment,
    /// HTTP serving.
    pub server: ServerConfig,
    /// PostgreSQL.
    pub database: DatabaseConfig,
    /// Pages and assets.
    pub web: WebConfig,
    /// Logs.
    pub log: LogConfig,
    /// `napoleon demo`.
    pub demo: DemoConfig,
    /// Identity providers (ProConnect).
    pub oidc: OidcConfig,
    /// Sessions.
    pub session: SessionConfig,
    /// The identity assertion between the gateway and the services.
    pub assertion: AssertionConfig,
    /// The keys the platform signs with (package manifests, journal checkpoints).
    pub keys: KeysConfig,
    /// Where the gateway finds the services when they run apart.
    pub gateway: GatewayConfig,
    /// The platform itself.
    pub platform: PlatformConfig,
    /// What one request may cost: body sizes, timeouts, connections and requests in flight.
    pub limits: LimitsConfig,
    /// Background jobs: retention, deliveries.
    pub jobs: JobsConfig,
    /// Dossiers' pieces: where they are stored, the antivirus that scans them.
    pub documents: DocumentsConfig,
}

/// An S3-compatible bucket for the pieces (docs/operations.md, « Documents »).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// `https://s3.example.gouv.fr`.
    pub endpoint: String,
    /// The bucket, created beforehand.
    pub bucket: String,
    /// Its region.
    #[serde(default = "default_region")]
    pub region: String,
    /// The access key's id.
    pub access_key_id: String,
    /// The access key's secret.
    pub secret_access_key: Secret<String>,
    /// Accept an `http://` endpoint (a store inside the cluster's network).
    #[serde(default)]
    pub allow_http: bool,
}

fn default_region() -> String {
    "us-east-1".to_owned()
}

/// Dossiers' pieces: their storage and the antivirus (docs/operations.md, « Documents »).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DocumentsConfig {
    /// Pieces kept as files under this directory (`napoleon demo`: `<demo.data_dir>/pieces`
    /// when unset). The processes that serve intake or run jobs need this or `s3`.
    pub local_dir: Option<PathBuf>,
    /// Pieces kept in an S3-compatible bucket (production); wins over `local_dir`.
    pub s3: Option<S3Config>,
    /// clamd's TCP address (`host:port`), for the scan job.
    pub clamd_address: String,
    /// Seconds one scan may take before it is retried later.
    pub clamd_timeout_seconds: u64,
}

impl Default for DocumentsConfig {
    fn default() -> Self {
        Self {
            local_dir: None,
            s3: None,
            clamd_address: "127.0.0.1:3310".to_owned(),
            clamd_timeout_seconds: 60,
        }
    }
}

impl DocumentsConfig {
    /// The pieces' store, when one is configured.
    ///
    /// # Errors
    /// A message naming the key when the directory cannot be used.
    pub fn store(&self) -> Result<Option<napoleon_storage::PieceStore>, String> {
        if let Some(s3) = &self.s3 {
            return napoleon_storage::PieceStore::s3(&napoleon_storage::S3Settings {
                endpoint: &s3.endpoint,
                bucket: &s3.bucket,
                region: &s3.region,
                access_key_id: &s3.access_key_id,
                secret_access_key: s3.secret_access_key.expose(),
                allow_http: s3.allow_http,
            })
            .map(Some)
            .map_err(|e| format!("documents.s3 (NAPOLEON__DOCUMENTS__S3__*): {e}"));
        }
        self.local_dir
            .as_deref()
            .map(|dir| {
                napoleon_storage::PieceStore::local(dir).map_err(|e| {
                    format!("documents.local_dir (NAPOLEON__DOCUMENTS__LOCAL_DIR): {e}")
                })
            })
            .transpose()
    }

    /// The antivirus the scan job asks.
    ///
    /// # Errors
    /// A message naming the key when the timeout is out of bounds.
    pub fn clamd(&self) -> Result<napoleon_antivirus::Clamd, String> {
        if !(1..=600).contains(&self.clamd_timeout_seconds) {
            return Err("documents.clamd_timeout_seconds must be between 1 and 600 \
                        (NAPOLEON__DOCUMENTS__CLAMD_TIMEOUT_SECONDS)"
                .to_owned());
        }
        Ok(napoleon_antivirus::Clamd::new(
            self.clamd_address.clone(),
            std::time::Duration::from_secs(self.clamd_timeout_seconds),
        ))
    }
}

/// Background jobs, run by `serve all` and `serve worker`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Days the personal-data read log keeps a read (at least 30; a daily job purges older).
    pub read_log_retention_days: u32,
    /// An outbox delivery gives up after this many seconds (and is retried later).
    pub outbox_timeout_seconds: u64,
    /// Jobs one process runs at once (a slow partner or a large purge holds one of them).
    pub workers: usize,
    /// Days a finished job or a delivered outbox message is kept (at least 7; a daily job
    /// removes older ones).
    pub finished_retention_days: u32,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            // A year: long enough to answer a person who asks who read their file, short
            // enough not to become a register of agents' activity (CNIL: 6 months to 1 year
            // for access logs).
            read_log_retention_days: 365,
            outbox_timeout_seconds: 30,
            workers: 4,
            finished_retention_days: 90,
        }
    }
}

impl JobsConfig {
    /// Checks the values.
    ///
    /// # Errors
    /// A message naming the key.
    pub fn check(&self) -> Result<(), String> {
        if self.read_log_retention_days < 30 {
            return Err("jobs.read_log_retention_days must be at least 30 \
                        (NAPOLEON__JOBS__READ_LOG_RETENTION_DAYS): the last 30 days are always kept"
                .to_owned());
        }
        if self.outbox_timeout_seconds == 0 || self.outbox_timeout_seconds > 300 {
            return Err("jobs.outbox_timeout_seconds must be between 1 and 300 \
                        (NAPOLEON__JOBS__OUTBOX_TIMEOUT_SECONDS)"
                .to_owned());
        }
        if self.finished_retention_days < 7 {
            return Err("jobs.finished_retention_days must be at least 7 \
                        (NAPOLEON__JOBS__FINISHED_RETENTION_DAYS)"
                .to_owned());
        }
        if !(1..=32).contains(&self.workers) {
            return Err(
                "jobs.workers must be between 1 and 32 (NAPOLEON__JOBS__WORKERS)".to_owned(),
            );
        }
        Ok(())
    }
}

/// Where the per-client limit reads the client's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClientAddressConfig {
    /// The TCP peer: Napoléon reached directly.
    #[default]
    Peer,
    /// The last hop of `X-Forwarded-For`: behind an ingress, which appends it (the chart
    /// sets this).
    ForwardedFor,
}

/// What one request may cost. Every limit answers in French: 413 for a body too large, 408
/// for a request too slow, 429 (with `Retry-After`) for too many requests in flight or over
/// the rate of an API token or of anonymous requests; a client that does not send its
/// request head in time is disconnected.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Pages' form bodies, in KiB.
    pub form_body_kib: usize,
    /// JSON API bodies, in KiB.
    pub api_body_kib: usize,
    /// One upload request of pieces (several files; each file is bounded to 20 MB on its
    /// own, a dossier's pieces to 100 MB together), in MiB.
    pub upload_body_mib: usize,
    /// A whole request, body included, in seconds (408 beyond).
    pub request_timeout_seconds: u64,
    /// Receiving a request's head, in seconds (the connection is closed beyond).
    pub header_read_timeout_seconds: u64,
    /// Request line and headers, in KiB (431 beyond).
    pub max_header_kib: usize,
    /// Connections open at once per process.
    pub max_connections: usize,
    /// Requests in flight per client address (browser-facing processes).
    pub concurrent_per_client: usize,
    /// Requests in flight per session.
    pub concurrent_per_session: usize,
    /// Requests in flight per API token.
    pub concurrent_per_token: usize,
    /// Requests per minute per API token.
    pub api_token_per_minute: usize,
    /// Requests per minute per address that no valid session authenticates (static files
    /// aside).
    pub anonymous_per_minute: usize,
    /// `Retry-After` of a 429 for requests in flight, in seconds.
    pub retry_after_seconds: u64,
    /// Where the client's address is read.
    pub client_address: ClientAddressConfig,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            form_body_kib: 256,
            api_body_kib: 1024,
            upload_body_mib: 100,
            request_timeout_seconds: 30,
            header_read_timeout_seconds: 10,
            max_header_kib: 64,
            max_connections: 1024,
            // A browser opens at most 6 connections per host; a whole office behind one
            // address shares the per-client figure.
            concurrent_per_client: 64,
            concurrent_per_session: 12,
            concurrent_per_token: 8,
            // A partner's system syncing dossiers: ten a second, sustained.
            api_token_per_minute: 600,
            // Unauthenticated requests per address (a login costs about four): an office of
            // 150 agents behind one address logging in at 9 o'clock stays under it; a
            // scanner does not.
            anonymous_per_minute: 600,
            retry_after_seconds: 2,
            client_address: ClientAddressConfig::Peer,
        }
    }
}

impl LimitsConfig {
    /// The edge's limits; with the session cookie's name (browser-facing processes), the
    /// per-client, per-session and per-token limits (a service behind the gateway sees only
    /// the gateway).
    ///
    /// # Errors
    /// A message naming the key set to zero.
    pub fn edge(
        &self,
        session_cookie: Option<&'static str>,
    ) -> Result<napoleon_web::EdgeLimits, String> {
        self.check()?;
        Ok(napoleon_web::EdgeLimits {
            body: napoleon_web::BodyLimits {
                form: self.form_body_kib.saturating_mul(1024),
                api: self.api_body_kib.saturating_mul(1024),
                upload: self.upload_body_mib.saturating_mul(1024 * 1024),
            },
            request_timeout: std::time::Duration::from_secs(self.request_timeout_seconds),
            clients: session_cookie.map(|session_cookie| napoleon_web::ClientLimits {
                per_client: self.concurrent_per_client,
                per_session: self.concurrent_per_session,
                per_token: self.concurrent_per_token,
                token_per_minute: u32::try_from(self.api_token_per_minute).unwrap_or(u32::MAX),
                anonymous_per_minute: u32::try_from(self.anonymous_per_minute).unwrap_or(u32::MAX),
                session_cookie,
                retry_after: self.retry_after_seconds,
                client_address: match self.client_address {
                    ClientAddressConfig::Peer => napoleon_web::ClientAddress::Peer,
                    ClientAddressConfig::ForwardedFor => napoleon_web::ClientAddress::ForwardedFor,
                },
            }),
        })
    }

    /// The server loop's limits.
    ///
    /// # Errors
    /// A message naming the key set to zero.
    pub fn server(&self) -> Result<napoleon_web::ServerLimits, String> {
        self.check()?;
        Ok(napoleon_web::ServerLimits {
            header_read_timeout: std::time::Duration::from_secs(self.header_read_timeout_seconds),
            max_header_bytes: self.max_header_kib.saturating_mul(1024),
            max_connections: self.max_connections,
            ..napoleon_web::ServerLimits::default()
        })
    }

    fn check(&self) -> Result<(), String> {
        let sizes = [
            ("form_body_kib", self.form_body_kib),
            ("api_body_kib", self.api_body_kib),
            ("upload_body_mib", self.upload_body_mib),
            ("max_header_kib", self.max_header_kib),
            ("max_connections", self.max_connections),
            ("concurrent_per_client", self.concurrent_per_client),
            ("concurrent_per_session", self.concurrent_per_session),
            ("concurrent_per_token", self.concurrent_per_token),
            ("api_token_per_minute", self.api_token_per_minute),
            ("anonymous_per_minute", self.anonymous_per_minute),
        ];
        let times = [
            ("request_timeout_seconds", self.request_timeout_seconds),
            (
                "header_read_timeout_seconds",
                self.header_read_timeout_seconds,
            ),
            ("retry_after_seconds", self.retry_after_seconds),
        ];
        let zero = sizes
            .iter()
            .filter(|(_, v)| *v == 0)
            .map(|(k, _)| *k)
            .chain(times.iter().filter(|(_, v)| *v == 0).map(|(k, _)| *k))
            .next();
        match zero {
            Some(key) => Err(format!(
                "limits.{key} must be at least 1 (NAPOLEON__LIMITS__{})",
                key.to_uppercase()
            )),
            None => Ok(()),
        }
    }
}

/// The platform itself. Its operators are not configured here but added to the database
/// (`napoleon operators add`), each pinned to a provider's subject at their first login.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlatformConfig {
    /// The authentication levels (`acr`) an operator's login must reach to act as one, e.g.
    /// `["eidas2"]`: within ProConnect's order (eidas0 < eidas0-mfa < eidas1 < eidas1-mfa <
    /// eidas2 < eidas3) a stronger level satisfies a weaker one (a `-mfa` one only with a
    /// second factor); any other value only itself.
    /// Empty: any login (a development setting).
    pub operator_acr: Vec<String>,
}

impl Default for PlatformConfig {
    fn default() -> Self {
        Self {
            operator_acr: vec!["eidas2".to_owned()],
        }
    }
}

impl PlatformConfig {
    /// Each value is one `acr` token: 1 to 100 printable ASCII characters without spaces.
    ///
    /// # Errors
    /// A message naming the key.
    pub fn check(&self) -> Result<(), String> {
        if self.operator_acr.len() > 10 {
            return Err("platform.operator_acr: 10 values at most".to_owned());
        }
        match self
            .operator_acr
            .iter()
            .find(|v| v.is_empty() || v.len() > 100 || !v.bytes().all(|b| b.is_ascii_graphic()))
        {
            Some(_) => Err(
                "platform.operator_acr: each value is 1 to 100 printable characters without spaces (e.g. \"eidas2\")"
                    .to_owned(),
            ),
            None => Ok(()),
        }
    }
}

/// Identity providers.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct OidcConfig {
    /// Each provider: name, label, issuer, client_id, client_secret, scopes (optional).
    /// In the environment: `NAPOLEON__OIDC__PROVIDERS='[{name="proconnect", …}]'`.
    pub providers: Vec<napoleon_gateway::ProviderConfig>,
}

/// Sessions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// A session ends after this many minutes without a request.
    pub idle_minutes: u64,
    /// A session ends this many hours after login, whatever the activity.
    pub absolute_hours: u64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            idle_minutes: 30,
            absolute_hours: 12,
        }
    }
}

/// Keys of the identity assertion.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AssertionConfig {
    /// The gateway's signing key, `kid:base64url(32-byte seed)`. Without it, `serve all`
    /// and the demo use a key generated at start; split services need it.
    pub signing_key: Option<Secret<String>>,
    /// Public keys the services accept, `kid:base64url(key)` (the signing key's own is added).
    pub verify_keys: Vec<String>,
}

/// The platform's signing keys (`napoleon keys generate` makes one). After a rotation, the
/// replaced key's public part goes to `previous_public_keys`, so what it signed still verifies.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct KeysConfig {
    /// The current signing key, `kid:base64url(32-byte seed)`. Without it, `serve all` and the
    /// demo use a key generated at start; the gateway in split mode needs it.
    pub signing_key: Option<Secret<String>>,
    /// Public keys of the keys it replaced, `kid:base64url(key)`.
    pub previous_public_keys: Vec<String>,
}

/// Where the gateway finds the services when they run apart.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// Service name → base URL, e.g. `intake = "http://napoleon-intake:8080"`
    /// (`https://…` when the services serve TLS between pods).
    pub targets: std::collections::BTreeMap<String, String>,
    /// The CA (PEM file) that signed the services' certificates when they serve TLS between
    /// pods: the gateway trusts it for its targets, besides the system's roots.
    pub targets_ca_file: Option<PathBuf>,
}

/// HTTP serving.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// The URL users reach the platform at; `https://` turns HSTS on.
    pub public_url: String,
    /// Serve TLS with this certificate chain (PEM file; with `tls_key_file`): between pods,
    /// so that assertions and dossiers never travel in clear inside the cluster.
    pub tls_cert_file: Option<PathBuf>,
    /// The certificate's private key (PEM file).
    pub tls_key_file: Option<PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".to_owned(),
            tls_cert_file: None,
            tls_key_file: None,
        }
    }
}

impl ServerConfig {
    /// The TLS acceptor when the process serves TLS.
    ///
    /// # Errors
    /// A message naming the key or the file at fault.
    pub fn tls_acceptor(&self) -> Result<Option<napoleon_web::TlsAcceptor>, String> {
        match (&self.tls_cert_file, &self.tls_key_file) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => napoleon_web::tls_acceptor(cert, key)
                .map(Some)
                .map_err(|e| format!("server.tls_cert_file / server.tls_key_file: {e}")),
            _ => Err(
                "server.tls_cert_file and server.tls_key_file go together (NAPOLEON__SERVER__TLS_CERT_FILE, NAPOLEON__SERVER__TLS_KEY_FILE)"
                    .to_owned(),
            ),
        }
    }
}

/// PostgreSQL.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// The application role's URL (the tools: demo seed, command line). Each service
    /// connects as its own role (`napoleon_<service>`) at this URL with the user replaced,
    /// unless `service_urls` names its URL.
    pub url: Option<Secret<String>>,
    /// A service's own URL (e.g. its role's own password), by service name: gateway, intake,
    /// instruction, decisions, promotion, worker.
    pub service_urls: std::collections::BTreeMap<String, Secret<String>>,
    /// The owner role's URL (`napoleon migrate`, `journal verify`).
    pub owner_url: Option<Secret<String>>,
    /// Connections per pool (a process has one pool per service it runs).
    pub pool_size: usize,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: None,
            service_urls: std::collections::BTreeMap::new(),
            owner_url: None,
            pool_size: 16,
        }
    }
}

/// Pages and assets.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// The `dist` directory of the npm package `@gouvfr/dsfr`.
    pub dsfr_dist: PathBuf,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            dsfr_dist: PathBuf::from("node_modules/@gouvfr/dsfr/dist"),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LogFormatConfig {
    /// For people.
    #[default]
    Pretty,
    /// JSON lines.
    Json,
}

/// Logs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Output format.
    pub format: LogFormatConfig,
    /// `tracing` filter directives (`RUST_LOG` overrides).
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormatConfig::Pretty,
            filter: "info".to_owned(),
        }
    }
}

/// `napoleon demo`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoConfig {
    /// Where the managed PostgreSQL cluster lives.
    pub data_dir: PathBuf,
    /// Its TCP port on 127.0.0.1.
    pub port: u16,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from(".napoleon"),
            port: 54329,
        }
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

/// One line per problem, each naming the key and where it came from: the file path, or the
/// exact environment variable to fix.
fn describe(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let path: Vec<String> = e.path.iter().map(|p| p.to_lowercase()).collect();
            let key = path.join(".");
            let source = match &e.metadata {
                Some(m) if m.name.contains("environment") => format!(
                    "environment variable NAPOLEON__{}",
                    path.iter()
                        .map(|p| p.to_uppercase())
                        .collect::<Vec<_>>()
                        .join("__")
                ),
                Some(m) => m
                    .source
                    .as_ref()
                    .map_or_else(|| m.name.to_string(), ToString::to_string),
                None => "defaults".to_owned(),
            };
            if key.is_empty() {
                // A syntax error of the file: the parser's message quotes the offending line,
                // which may hold a secret; its position is enough to find it.
                let position = e
                    .kind
                    .to_string()
                    .lines()
                    .next()
                    .and_then(|l| l.split_once(" at "))
                    .map(|(_, at)| format!(" at {at}"))
                    .unwrap_or_default();
                return format!("{source}: syntax error{position}");
            }
            format!(
                "key `{key}` from {source}: {}",
                what_is_wrong(&key, &e.kind)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether a key's value may hold a secret (a password in a URL, a private key, a provider's
/// client secret): its value never appears in an error, which may end in a crash log.
fn holds_secret(key: &str) -> bool {
    [
        "database.url",
        "database.owner_url",
        "assertion.signing_key",
        "keys.signing_key",
        "oidc",
    ]
    .iter()
    .any(|k| key == *k || key.starts_with(&format!("{k}.")))
}

/// The problem, without the offending value where the key may hold a secret.
fn what_is_wrong(key: &str, kind: &figment::error::Kind) -> String {
    use figment::error::Kind;
    if !holds_secret(key) {
        return kind.to_string();
    }
    match kind {
        Kind::InvalidType(_, expected) => {
            format!("invalid type (value not shown: it may hold a secret), expected {expected}")
        }
        Kind::InvalidValue(_, expected) => {
            format!("invalid value (not shown: it may hold a secret), expected {expected}")
        }
        Kind::Message(_) => "invalid value (not shown: it may hold a secret)".to_owned(),
        other => other.to_string(),
    }
}

impl Config {
    /// Loads defaults, then `file` (if any), then the process environment.
    ///
    /// # Errors
    /// [`ConfigError`] naming the offending key and its source.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_from(file, Env::prefixed("NAPOLEON__").split("__"))
    }

    /// As [`load`](Self::load), with the environment provider given (tests use a jail).
    ///
    /// # Errors
    /// [`ConfigError`] naming the offending key and its source.
    pub fn load_from(file: Option<&Path>, env: Env) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Self::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "configuration file {} not found",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        figment
            .merge(env)
            .extract()
            .map_err(|e| ConfigError(describe(e)))
    }

    /// The effective configuration as TOML, secrets masked.
    ///
    /// # Errors
    /// [`ConfigError`] if serialization fails.
    pub fn to_masked_toml(&self) -> Result<String, ConfigError> {
        toml::to_string(self).map_err(|e| ConfigError(e.to_string()))
    }

    /// True when pages are served over TLS (HSTS on).
    #[must_use]
    pub fn tls(&self) -> bool {
        self.server.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::result_large_err,
        reason = "tests; figment::Jail closures return its large error type"
    )]
    use super::*;
    use figment::Jail;

    #[test]
    fn defaults_apply_without_file_or_env() {
        Jail::expect_with(|_jail| {
            let c = Config::load(None).expect("defaults load");
            assert_eq!(c.server.bind.port(), 8080);
            assert_eq!(c.database.pool_size, 16);
            assert!(c.database.url.is_none());
            assert_eq!(c.environment, Environment::Development);
            Ok(())
        });
    }

    #[test]
    fn file_overrides_defaults_and_env_overrides_file() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "napoleon.toml",
                r#"
                environment = "production"
                [database]
                pool_size = 8
                url = "postgres://napoleon_app:s3cret@db/napoleon"
                [log]
                format = "json"
                "#,
            )?;
            jail.set_env("NAPOLEON__DATABASE__POOL_SIZE", "32");
            jail.set_env("NAPOLEON__SERVER__BIND", "0.0.0.0:9000");
            let c = Config::load(Some(Path::new("napoleon.toml"))).expect("layered load");
            assert_eq!(c.environment, Environment::Production);
            assert_eq!(c.database.pool_size, 32, "env beats file");
            assert_eq!(c.server.bind.port(), 9000, "env beats default");
            assert_eq!(c.log.format, LogFormatConfig::Json, "file beats default");
            assert_eq!(c.log.filter, "info", "default kept");
            Ok(())
        });
    }

    /// The variables the Helm chart gives intake and the worker (templates/deployment.yaml)
    /// load as the pieces' bucket and clamd, the boolean as the chart writes it.
    #[test]
    fn the_charts_documents_variables_load() {
        Jail::expect_with(|jail| {
            for (k, v) in [
                ("ENDPOINT", "https://s3.example.org"),
                ("BUCKET", "napoleon-pieces"),
                ("REGION", "fr-par"),
                ("ALLOW_HTTP", "false"),
                ("ACCESS_KEY_ID", "AKIA"),
                ("SECRET_ACCESS_KEY", "s3cret"),
            ] {
                jail.set_env(format!("NAPOLEON__DOCUMENTS__S3__{k}"), v);
            }
            jail.set_env("NAPOLEON__DOCUMENTS__CLAMD_ADDRESS", "napoleon-clamd:3310");
            jail.set_env("NAPOLEON__DOCUMENTS__CLAMD_TIMEOUT_SECONDS", "60");
            jail.set_env("NAPOLEON__LIMITS__UPLOAD_BODY_MIB", "100");
            let c = Config::load(None).expect("the chart's variables");
            let s3 = c.documents.s3.as_ref().expect("a bucket");
            assert_eq!(
                (s3.endpoint.as_str(), s3.bucket.as_str(), s3.region.as_str()),
                ("https://s3.example.org", "napoleon-pieces", "fr-par")
            );
            assert!(!s3.allow_http);
            assert_eq!(s3.secret_access_key.expose(), "s3cret");
            assert_eq!(c.documents.clamd_address, "napoleon-clamd:3310");
            assert!(c.documents.clamd().is_ok());
            Ok(())
        });
    }

    /// Finding of the identity review (issue 14): a malformed provider list was printed whole,
    /// client secret included. Failed before its fix.
    #[test]
    fn a_malformed_secret_is_named_but_never_printed() {
        Jail::expect_with(|jail| {
            jail.set_env(
                "NAPOLEON__OIDC__PROVIDERS",
                r#"[{name="pc", client_secret="TRES-SECRET-123""#,
            );
            let e = Config::load(None).expect_err("malformed").to_string();
            assert!(e.contains("NAPOLEON__OIDC__PROVIDERS"), "{e}");
            assert!(!e.contains("TRES-SECRET"), "{e}");
            jail.clear_env();
            jail.set_env(
                "NAPOLEON__DATABASE__URL",
                "[\"postgres://u:mot-de-passe@db/n\"]",
            );
            let e = Config::load(None).expect_err("not a string").to_string();
            assert!(e.contains("NAPOLEON__DATABASE__URL"), "{e}");
            assert!(!e.contains("mot-de-passe"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn unknown_key_in_file_is_refused_with_its_name() {
        Jail::expect_with(|jail| {
            jail.create_file("napoleon.toml", "[database]\npool_sise = 8\n")?;
            let err = Config::load(Some(Path::new("napoleon.toml")))
                .unwrap_err()
                .to_string();
            assert!(err.contains("pool_sise"), "names the key: {err}");
            assert!(err.contains("napoleon.toml"), "names the source: {err}");
            Ok(())
        });
    }

    #[test]
    fn unknown_key_in_env_is_refused_with_its_name() {
        Jail::expect_with(|jail| {
            jail.set_env("NAPOLEON__SERVER__PORT", "80");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(err.contains("port"), "names the key: {err}");
            assert!(
                err.contains("NAPOLEON__SERVER__PORT"),
                "names the variable: {err}"
            );
            Ok(())
        });
    }

    #[test]
    fn unknown_section_is_refused() {
        Jail::expect_with(|jail| {
            jail.set_env("NAPOLEON__DATABSE__URL", "postgres://x");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(err.contains("databse"), "names the section: {err}");
            Ok(())
        });
    }

    #[test]
    fn limits_have_defaults_and_refuse_zero() {
        Jail::expect_with(|jail| {
            let c = Config::load(None).unwrap();
            let edge = c.limits.edge(Some("napoleon_session")).unwrap();
            assert_eq!(edge.body.form, 256 * 1024);
            assert!(edge.clients.is_some());
            assert!(c.limits.edge(None).unwrap().clients.is_none());
            assert_eq!(
                c.limits.server().unwrap().header_read_timeout,
                std::time::Duration::from_secs(10)
            );
            jail.set_env("NAPOLEON__LIMITS__CLIENT_ADDRESS", "forwarded_for");
            jail.set_env("NAPOLEON__LIMITS__REQUEST_TIMEOUT_SECONDS", "0");
            let c = Config::load(None).unwrap();
            assert_eq!(c.limits.client_address, ClientAddressConfig::ForwardedFor);
            let err = c.limits.edge(Some("napoleon_session")).unwrap_err();
            assert!(
                err.contains("NAPOLEON__LIMITS__REQUEST_TIMEOUT_SECONDS"),
                "{err}"
            );
            Ok(())
        });
    }

    #[test]
    fn missing_file_is_reported() {
        Jail::expect_with(|_jail| {
            let err = Config::load(Some(Path::new("absent.toml")))
                .unwrap_err()
                .to_string();
            assert!(err.contains("absent.toml"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn secrets_are_masked_in_the_printed_config() {
        Jail::expect_with(|jail| {
            jail.set_env(
                "NAPOLEON__DATABASE__URL",
                "postgres://napoleon_app:hunter2@db/napoleon",
            );
            jail.set_env(
                "NAPOLEON__DATABASE__OWNER_URL",
                "postgres://owner:hunter3@db/napoleon",
            );
            let c = Config::load(None).unwrap();
            assert_eq!(
                c.database.url.as_ref().map(|u| u.expose().as_str()),
                Some("postgres://napoleon_app:hunter2@db/napoleon")
            );
            let printed = c.to_masked_toml().unwrap();
            assert!(!printed.contains("hunter"), "{printed}");
            assert!(printed.contains("url = \"********\""), "{printed}");
            assert!(!format!("{c:?}").contains("hunter"));
            Ok(())
        });
    }
}
