//! Test harness on real PostgreSQL (never SQLite, never a mock).
//!
//! * Without `DATABASE_URL`: one throwaway cluster per machine, started by the first test that
//!   needs it, with the very code `napoleon demo` uses ([`LocalCluster`]), in
//!   `$NAPOLEON_TEST_PG_DIR` (default: the system temp dir). With `DATABASE_URL` (an
//!   administrative URL), that server instead; Napoléon's roles are created on it. Test
//!   processes (nextest runs one per test) coordinate through a lock file.
//! * A template database migrated once per migration set (its name carries a digest of
//!   `migrations/`), then `CREATE DATABASE … TEMPLATE` per test: every test gets its own
//!   database in a few hundred milliseconds and tests run in parallel.
//! * `deploy/local/test.sh` wipes the cluster before a run and stops it after.

pub mod agents;
mod app;
mod browser;
mod clamd;
mod fixtures;
mod process;
mod receiver;
mod s3;

pub use app::{
    Answer, Cast, LH_CHEVALIER_PIECES, TestApp, TestAppBuilder, Who, assets, cast, draft,
    eligible_content, login_at, open_campaign, submitted, today, transmitted,
};
pub use browser::{Browser, Page};
pub use clamd::{ClamdLimits, ClamdProcess, EICAR, EICAR_BODY};
pub use fixtures::{count, tenant, tenant_with_units, text, trust_issuer};
pub use process::Process;
pub use receiver::{Received, Receiver};
pub use s3::S3Process;

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use axum::Router;
use axum::body::Body;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use napoleon_db::cluster::{ClusterOptions, Durability, LocalCluster};
use napoleon_db::roles::{self, ident};
use napoleon_db::server::{ExternalServer, PgServer};
use napoleon_db::{Db, build_pool, migrate};
use napoleon_kernel::Secret;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

/// Where the shared test cluster lives.
fn cluster_dir() -> PathBuf {
    std::env::var_os("NAPOLEON_TEST_PG_DIR").map_or_else(
        || std::env::temp_dir().join("napoleon-test-pg"),
        PathBuf::from,
    )
}

fn migration_dirs() -> anyhow::Result<usize> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    Ok(std::fs::read_dir(root)?
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().is_dir()))
        .count())
}

async fn count_applied(conn: &mut AsyncPgConnection) -> anyhow::Result<usize> {
    Ok(migrate::embedded_versions()?.len() - migrate::pending(conn).await?.len())
}

/// A digest of every file under `migrations/`: a changed migration gets a new template.
fn migrations_digest() -> anyhow::Result<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(
            file.strip_prefix(&root)
                .unwrap_or(&file)
                .to_string_lossy()
                .as_bytes(),
        );
        hasher.update(std::fs::read(&file)?);
    }
    Ok(hex::encode(hasher.finalize()).chars().take(12).collect())
}

/// Starts (or reuses) the shared cluster and makes sure the template exists; returns the
/// cluster and the template's name. Serialized across processes by a lock file.
async fn shared_cluster() -> anyhow::Result<(PgServer, String)> {
    let dir = cluster_dir();
    let lock_path = dir.with_extension("lock");
    let lock =
        File::create(&lock_path).with_context(|| format!("creating {}", lock_path.display()))?;
    let lock = tokio::task::spawn_blocking(move || lock.lock().map(|()| lock)).await??;
    let admin_url = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty());
    let cluster = if let Some(url) = admin_url {
        PgServer::External(
            ExternalServer::connect(&Secret::new(url), &dir)
                .await
                .context("provisioning roles on DATABASE_URL's server")?,
        )
    } else {
        PgServer::Local(
            LocalCluster::ensure(&ClusterOptions {
                dir,
                port: 0,
                durability: Durability::Throwaway,
            })
            .await
            .context("starting the test cluster")?,
        )
    };
    let template = format!("napoleon_tmpl_{}", migrations_digest()?);
    let mut admin = cluster.connect_admin().await?;
    if !roles::database_exists(&mut admin, &template).await? {
        // Build under a temporary name and rename when complete, so a crash mid-way never
        // leaves a half-migrated template behind.
        let building = format!("{template}_building");
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {}", ident(&building)))
            .await?;
        roles::create_database(&mut admin, &building, None).await?;
        migrate::run_pending(&cluster.owner_url(&building))
            .await
            .context("migrating the template")?;
        // The digest reads the directory; the binary embeds what it was compiled with. They
        // must agree, or every test would run on a schema the name does not describe.
        let mut check = TestDb::connect(&cluster.owner_url(&building)).await?;
        let pending = migrate::pending(&mut check).await?;
        let applied = count_applied(&mut check).await?;
        drop(check);
        anyhow::ensure!(
            pending.is_empty() && applied == migration_dirs()?,
            "the compiled migrations ({applied}) differ from migrations/ on disk: rebuild napoleon-db"
        );
        admin
            .batch_execute(&format!(
                "ALTER DATABASE {} RENAME TO {}",
                ident(&building),
                ident(&template)
            ))
            .await?;
    }
    drop(lock);
    Ok((cluster, template))
}

/// A fresh database for one test, cloned from the migrated template (or left empty).
///
/// A test ends with [`TestDb::finish`] (or `TestApp::finish`), which checks what every test
/// must leave true; dropping one unfinished fails the test, so the check cannot be skipped.
pub struct TestDb {
    cluster: PgServer,
    name: String,
    finished: bool,
}

impl Drop for TestDb {
    #[expect(
        clippy::panic,
        reason = "the harness fails a test that skipped its checks"
    )]
    fn drop(&mut self) {
        if !self.finished && !std::thread::panicking() {
            panic!(
                "test database {} dropped without finish(): end the test with \
                 `db.finish().await` (or `app.finish().await`)",
                self.name
            );
        }
    }
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb").field("name", &self.name).finish()
    }
}

impl TestDb {
    /// A new, migrated database.
    ///
    /// # Errors
    /// When the cluster cannot start or the database cannot be created.
    pub async fn new() -> anyhow::Result<Self> {
        let (cluster, template) = shared_cluster().await?;
        Self::create(cluster, Some(&template)).await
    }

    /// A new database without any migration applied.
    ///
    /// # Errors
    /// When the cluster cannot start or the database cannot be created.
    pub async fn unmigrated() -> anyhow::Result<Self> {
        let (cluster, _template) = shared_cluster().await?;
        Self::create(cluster, None).await
    }

    async fn create(cluster: PgServer, template: Option<&str>) -> anyhow::Result<Self> {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = cluster.connect_admin().await?;
        roles::create_database(&mut admin, &name, template).await?;
        Ok(Self {
            cluster,
            name,
            finished: false,
        })
    }

    /// Where the pieces of this database's dossiers are stored, by every process the test
    /// starts on it (removed at [`finish`](Self::finish)).
    #[must_use]
    pub fn pieces_dir(&self) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("napoleon-test-pieces-{}", self.name))
    }

    /// Ends the test: fails it unless every tenant's journal chain is intact (its head
    /// included) and no connection to the test's database is left inside a transaction.
    #[expect(clippy::panic, reason = "the harness fails the test")]
    pub async fn finish(mut self) {
        self.finished = true;
        let _ = std::fs::remove_dir_all(self.pieces_dir());
        if let Err(broken) = self.invariants().await {
            panic!("test database {}: {broken}", self.name);
        }
    }

    /// Ends a test that broke a journal chain on purpose: fails it unless the invariants
    /// report exactly that.
    #[expect(clippy::panic, reason = "the harness fails the test")]
    pub async fn finish_with_broken_journal(mut self) {
        self.finished = true;
        let _ = std::fs::remove_dir_all(self.pieces_dir());
        match self.invariants().await {
            Err(e) if e.to_string().starts_with("journal of ") => {}
            other => panic!(
                "test database {}: expected a broken journal, got {other:?}",
                self.name
            ),
        }
    }

    /// The invariants [`finish`](Self::finish) checks, as a result.
    ///
    /// # Errors
    /// What is broken, in words.
    pub async fn invariants(&self) -> anyhow::Result<()> {
        let owner = self.owner_db()?;
        let mut conn = owner.platform().await?;
        let migrated = napoleon_db::roles::relation_exists(&mut conn, "journal.events").await?;
        if migrated {
            for tenant in napoleon_db::core::list_tenants(&mut conn).await? {
                let mut tx = owner.tenant(tenant.id).await?;
                let head = napoleon_db::journal::head_seq(&mut tx).await?;
                let verification = napoleon_db::journal::verify(&mut tx, head).await?;
                tx.rollback().await;
                if let Some(broken) = verification.broken {
                    anyhow::bail!("journal of {} broken: {broken:?}", tenant.slug);
                }
            }
        }
        if napoleon_db::roles::relation_exists(&mut conn, "jobs.jobs").await? {
            // Whatever its lease's end: a test's clock may run ahead of the system's.
            let running =
                napoleon_db::jobs::running(&mut conn, chrono::DateTime::UNIX_EPOCH).await?;
            if running > 0 {
                anyhow::bail!("{running} job(s) left running (a worker still holds a lease)");
            }
        }
        drop(conn);
        // A request may still be finishing its transaction: wait on the outcome, bounded.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        let mut admin = Self::connect(&self.admin_url()).await?;
        loop {
            let open = roles::open_transactions(&mut admin, &self.name).await?;
            if open == 0 {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                anyhow::bail!("{open} connection(s) left inside a transaction");
            }
            tokio::task::yield_now().await;
        }
    }

    /// The application role's URL.
    #[must_use]
    pub fn app_url(&self) -> Secret<String> {
        self.cluster.app_url(&self.name)
    }

    /// The owner role's URL.
    #[must_use]
    pub fn owner_url(&self) -> Secret<String> {
        self.cluster.owner_url(&self.name)
    }

    /// The superuser's URL.
    #[must_use]
    pub fn admin_url(&self) -> Secret<String> {
        self.cluster.admin_url(&self.name)
    }

    /// The `napoleon` command (`binary`: the test crate's `env!("CARGO_BIN_EXE_napoleon")`)
    /// on this database as the application role, quiet logs, no configuration file; ready to
    /// take its arguments and run.
    #[must_use]
    pub fn command(&self, binary: &str) -> std::process::Command {
        let mut command = std::process::Command::new(binary);
        command
            .env_remove("NAPOLEON_CONFIG")
            .env("NAPOLEON__DATABASE__URL", self.app_url().expose())
            .env("NAPOLEON__LOG__FILTER", "warn")
            .env("OTEL_SDK_DISABLED", "true");
        command
    }

    /// A pool of application-role connections.
    ///
    /// # Errors
    /// When the pool cannot be built.
    pub fn app_db(&self) -> anyhow::Result<Db> {
        Ok(Db::new(build_pool(&self.app_url(), 4)?))
    }

    /// A pool of owner-role connections (what `migrate` and `journal verify` use).
    ///
    /// # Errors
    /// When the pool cannot be built.
    pub fn owner_db(&self) -> anyhow::Result<Db> {
        Ok(Db::new(build_pool(&self.owner_url(), 2)?))
    }

    /// A direct connection as `url`'s role.
    ///
    /// # Errors
    /// When connecting fails.
    pub async fn connect(url: &Secret<String>) -> anyhow::Result<AsyncPgConnection> {
        Ok(AsyncPgConnection::establish(url.expose()).await?)
    }
}

/// A response read whole.
#[derive(Debug)]
pub struct TestResponse {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: http::HeaderMap,
    /// Body as text.
    pub body: String,
}

impl TestResponse {
    /// A header's value as text ("" when absent).
    #[must_use]
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// Sends one request through a router (no socket).
///
/// # Errors
/// When the router fails or the body cannot be read.
pub async fn send(router: &Router, request: Request<Body>) -> anyhow::Result<TestResponse> {
    let response: Response<Body> = router.clone().oneshot(request).await?;
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await?.to_bytes();
    Ok(TestResponse {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// A GET request with an `Accept` header.
///
/// # Errors
/// When the request cannot be built.
pub fn get(uri: &str, accept: &str) -> anyhow::Result<Request<Body>> {
    Ok(Request::get(uri)
        .header("accept", accept)
        .body(Body::empty())?)
}

/// A protocol peer written for Node (an OpenID provider…) started for one test, stopped when
/// dropped. The script prints `listening <port>` once ready.
#[derive(Debug)]
pub struct NodePeer {
    _child: tokio::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl NodePeer {
    /// Starts `shared/testkit/peers/<script>` with `args`; its npm dependencies come from the
    /// repository's `node_modules` (`npm ci`).
    ///
    /// # Errors
    /// When Node is missing, the script fails, or it does not listen within 30 seconds.
    pub async fn start(script: &str, args: &[&str]) -> anyhow::Result<Self> {
        use tokio::io::AsyncBufReadExt;
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("peers")
            .join(script);
        let mut child = tokio::process::Command::new("node")
            .arg(&path)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "starting node {} (is Node.js installed? npm ci run?)",
                    path.display()
                )
            })?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let port = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(port) = line.strip_prefix("listening ") {
                    return Ok::<_, anyhow::Error>(port.trim().to_owned());
                }
            }
            anyhow::bail!("{script} exited before listening")
        })
        .await
        .with_context(|| format!("{script} did not listen within 30 s"))??;
        // Keep draining stdout so the peer never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            _child: child,
            base: format!("http://127.0.0.1:{port}"),
        })
    }
}
