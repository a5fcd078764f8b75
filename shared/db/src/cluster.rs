//! A PostgreSQL cluster that Napoléon creates and runs itself, for `napoleon demo` and the
//! tests: found on the machine (`pg_ctl`/`initdb` on `PATH` or under
//! `/usr/lib/postgresql/*/bin`), created with `initdb` in a data directory, started on
//! 127.0.0.1 with Unix sockets off (no socket-path length or permission issues), with
//! password authentication and generated passwords kept in the directory (mode 0600).
//!
//! PostgreSQL refuses to run as root. When we are root (CI, containers), every PostgreSQL
//! command runs through `runuser -u postgres` and the cluster directory belongs to `postgres`.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Output;

use diesel_async::{AsyncConnection, AsyncPgConnection};
use napoleon_kernel::Secret;
use serde::{Deserialize, Serialize};
use tokio::process::Command;

use crate::{DbError, roles};

/// Errors of cluster management, in English for the operator's terminal.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No PostgreSQL binaries on this machine.
    #[error(
        "PostgreSQL was not found (looked for initdb and pg_ctl on PATH and in /usr/lib/postgresql/*/bin).\n\
         Install it with:  sudo apt-get install -y postgresql\n\
         or point DATABASE_URL at an existing server where Napoléon may create its roles and database."
    )]
    NotInstalled,
    /// Running as root but the unprivileged user is missing.
    #[error(
        "running as root, but PostgreSQL refuses root and there is no `postgres` system user to run it as.\n\
         Install the server package (sudo apt-get install -y postgresql), which creates that user."
    )]
    NoUnprivilegedUser,
    /// When root: the unprivileged user cannot reach the directory (a private parent).
    #[error("{0} is not reachable by the `postgres` user (a parent directory is private)")]
    Unreachable(PathBuf),
    /// A command failed.
    #[error("{command} failed: {detail}")]
    Command {
        /// Which command.
        command: String,
        /// Its stderr, or why it could not start.
        detail: String,
    },
    /// Reading or writing the cluster directory failed.
    #[error("cluster directory {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Provisioning roles or databases failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// How much durability the cluster trades for speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Defaults: the demo's data survives a crash.
    Durable,
    /// fsync and friends off: throwaway test clusters.
    Throwaway,
}

/// Where and how to run the cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The cluster's own directory (holds `pgdata/`, the log and the credentials).
    pub dir: PathBuf,
    /// TCP port on 127.0.0.1; 0 picks a free one (remembered in the directory).
    pub port: u16,
    /// Durability trade-off.
    pub durability: Durability,
}

/// Generated on first use and kept in `credentials.json` (mode 0600).
#[derive(Serialize, Deserialize, Clone)]
struct Credentials {
    port: u16,
    superuser_password: String,
    owner_password: String,
    app_password: String,
}

/// A running local cluster.
pub struct LocalCluster {
    dir: PathBuf,
    bin: PathBuf,
    run_as: Option<String>,
    credentials: Credentials,
}

impl std::fmt::Debug for LocalCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCluster")
            .field("dir", &self.dir)
            .field("port", &self.credentials.port)
            .finish_non_exhaustive()
    }
}

const SUPERUSER: &str = "postgres";

/// How long the remains of a crashed postmaster (its exit, its orphaned backends) may take
/// to go away before a new one is started.
const CRASH_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ClusterError + '_ {
    move |source| ClusterError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Finds the directory holding `initdb` and `pg_ctl`: `PATH` first, then the newest
/// `/usr/lib/postgresql/<version>/bin` (Debian keeps them off `PATH`).
///
/// # Errors
/// [`ClusterError::NotInstalled`].
pub fn find_binaries() -> Result<PathBuf, ClusterError> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH")
        && let Some(dir) = std::env::split_paths(&path).find(|d| has_both(d))
    {
        return Ok(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_both(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or(ClusterError::NotInstalled)
}

/// Whether this process runs as root (then PostgreSQL and clamd are told which user to be).
#[must_use]
pub fn is_root() -> bool {
    // The owner of /proc/self is the process's effective user.
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

pub(crate) fn random_secret() -> String {
    // Two v4 UUIDs: 244 random bits from the OS generator, hex only (safe in SQL literals).
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn free_port() -> Result<u16, ClusterError> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(io_err(Path::new("127.0.0.1:0")))?;
    let port = listener
        .local_addr()
        .map_err(io_err(Path::new("127.0.0.1:0")))?
        .port();
    Ok(port)
}

impl LocalCluster {
    /// Creates the cluster if needed, starts it if it is not running, and provisions the owner
    /// and application roles. Idempotent: a second call reuses everything.
    ///
    /// # Errors
    /// [`ClusterError`] naming the step that failed.
    pub async fn ensure(options: &ClusterOptions) -> Result<Self, ClusterError> {
        let bin = find_binaries()?;
        let run_as = if is_root() {
            let ok = Command::new("id")
                .args(["-u", SUPERUSER])
                .output()
                .await
                .is_ok_and(|o| o.status.success());
            if !ok {
                return Err(ClusterError::NoUnprivilegedUser);
            }
            Some(SUPERUSER.to_owned())
        } else {
            None
        };
        let dir = &options.dir;
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let dir = dir.canonicalize().map_err(io_err(dir))?;
        let credentials = Self::load_or_create_credentials(&dir, options.port)?;
        let cluster = Self {
            dir,
            bin,
            run_as,
            credentials,
        };
        cluster.hand_over_dir().await?;
        if !cluster.pgdata().join("PG_VERSION").is_file() {
            cluster.initdb().await?;
        }
        let mut admin = if cluster.is_running().await {
            match cluster.connect_admin_when_up().await {
                Ok(admin) => admin,
                // The lock file names a live process that answers nothing: a postmaster
                // still dying (a `kill -9` whose exit is not finished when we looked). Once
                // it is gone, this is the crashed case below.
                Err(ClusterError::Db(DbError::Connection(_)))
                    if cluster.postmaster_gone_within(CRASH_GRACE).await =>
                {
                    cluster.start_after_crash(options.durability).await?;
                    cluster.connect_admin_when_up().await?
                }
                Err(e) => return Err(e),
            }
        } else {
            cluster.start_after_crash(options.durability).await?;
            cluster.connect_admin_when_up().await?
        };
        roles::provision_roles(
            &mut admin,
            &Secret::new(cluster.credentials.owner_password.clone()),
            &Secret::new(cluster.credentials.app_password.clone()),
        )
        .await?;
        Ok(cluster)
    }

    fn load_or_create_credentials(dir: &Path, port: u16) -> Result<Credentials, ClusterError> {
        let path = dir.join("credentials.json");
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Ok(credentials) = serde_json::from_str::<Credentials>(&text)
        {
            return Ok(credentials);
        }
        let credentials = Credentials {
            port: if port == 0 { free_port()? } else { port },
            superuser_password: random_secret(),
            owner_password: random_secret(),
            app_password: random_secret(),
        };
        let text = serde_json::to_string_pretty(&credentials).map_err(|e| ClusterError::Io {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        std::fs::write(&path, text).map_err(io_err(&path))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(io_err(&path))?;
        Ok(credentials)
    }

    /// The data directory PostgreSQL owns.
    fn pgdata(&self) -> PathBuf {
        self.dir.join("pgdata")
    }

    /// When root, the whole cluster directory goes to the unprivileged user, and that user must
    /// be able to reach it (a checkout under /root is not reachable).
    async fn hand_over_dir(&self) -> Result<(), ClusterError> {
        let Some(user) = &self.run_as else {
            return Ok(());
        };
        let dir = self.dir.to_string_lossy().into_owned();
        // The directory and what root wrote in it (credentials), not the data directory:
        // initdb made it as the user already, and a running server creates and removes files
        // there, which a recursive chown racing with it trips over.
        let owner = format!("{user}:{user}");
        run("chown", Command::new("chown").args([&owner, &dir])).await?;
        let mut others = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(io_err(&self.dir))? {
            let path = entry.map_err(io_err(&self.dir))?.path();
            if path != self.pgdata() {
                others.push(path.to_string_lossy().into_owned());
            }
        }
        if !others.is_empty() {
            run(
                "chown",
                Command::new("chown").args(["-R", &owner]).args(&others),
            )
            .await?;
        }
        let reachable = Command::new("runuser")
            .args(["-u", user, "--", "test", "-w", &dir])
            .status()
            .await
            .is_ok_and(|s| s.success());
        if reachable {
            Ok(())
        } else {
            Err(ClusterError::Unreachable(self.dir.clone()))
        }
    }

    /// A PostgreSQL command, run as the unprivileged user when we are root.
    fn pg_command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        }
    }

    async fn initdb(&self) -> Result<(), ClusterError> {
        let pwfile = self.dir.join("initdb.pw");
        std::fs::write(&pwfile, &self.credentials.superuser_password).map_err(io_err(&pwfile))?;
        std::fs::set_permissions(&pwfile, std::fs::Permissions::from_mode(0o600))
            .map_err(io_err(&pwfile))?;
        self.hand_over_dir().await?;
        let result = run(
            "initdb",
            self.pg_command("initdb")
                .arg("-D")
                .arg(self.pgdata())
                .args(["-U", SUPERUSER, "-E", "UTF8", "--locale=C.UTF-8"])
                .args(["--auth-host=scram-sha-256", "--auth-local=scram-sha-256"])
                .arg(format!("--pwfile={}", pwfile.display())),
        )
        .await;
        let _ignored = std::fs::remove_file(&pwfile);
        result.map(drop)
    }

    async fn is_running(&self) -> bool {
        // `pg_ctl status` only asks whether the lock file's pid exists: after a crash
        // (`kill -9`), the postmaster may linger as a zombie until its parent reaps it, and a
        // container's init may never do so. A zombie serves nothing.
        !self.postmaster_is_zombie()
            && self
                .pg_command("pg_ctl")
                .arg("-D")
                .arg(self.pgdata())
                .arg("status")
                .output()
                .await
                .is_ok_and(|o| o.status.success())
    }

    /// The pid in `postmaster.pid`, if the file is there.
    fn lock_file_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.pgdata().join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    /// Whether the lock file names a dead postmaster not yet reaped (Linux: state `Z`).
    fn postmaster_is_zombie(&self) -> bool {
        self.lock_file_pid()
            .and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
            .and_then(|stat| {
                let after = stat.get(stat.rfind(')')? + 1..)?;
                after.split_whitespace().next().map(|state| state == "Z")
            })
            .unwrap_or(false)
    }

    /// After a crash: a lock file naming a zombie would make the new postmaster believe its
    /// predecessor alive and refuse to start. PostgreSQL removes a lock file whose process
    /// is gone by itself; only the zombie case needs this.
    fn forget_dead_postmaster(&self) -> Result<(), ClusterError> {
        if self.postmaster_is_zombie() {
            let lock = self.pgdata().join("postmaster.pid");
            std::fs::remove_file(&lock).map_err(io_err(&lock))?;
        }
        Ok(())
    }

    /// Waits until the process the lock file names has exited (gone, or a zombie), for at
    /// most `grace`. True when it has (or there is no lock file).
    async fn postmaster_gone_within(&self, grace: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + grace;
        loop {
            let gone = self.lock_file_pid().is_none_or(|pid| {
                !Path::new(&format!("/proc/{pid}")).exists() || self.postmaster_is_zombie()
            });
            if gone {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Starts a cluster that is not running, possibly after a crash: the backends of a
    /// postmaster killed with `-9` outlive it for a moment and keep its shared memory, and
    /// a new postmaster refuses to start while they do, so a failed start is tried again
    /// (for [`CRASH_GRACE`]) before it is reported.
    async fn start_after_crash(&self, durability: Durability) -> Result<(), ClusterError> {
        let deadline = std::time::Instant::now() + CRASH_GRACE;
        loop {
            self.forget_dead_postmaster()?;
            match self.start(durability).await {
                Err(ClusterError::Command { .. }) if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
                other => return other,
            }
        }
    }

    /// [`Self::connect_admin`], waiting (up to two minutes) while the server is starting up or
    /// replaying its WAL after a crash.
    async fn connect_admin_when_up(&self) -> Result<AsyncPgConnection, ClusterError> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            match self.connect_admin().await {
                Err(ClusterError::Db(DbError::Connection(e)))
                    if std::time::Instant::now() < deadline && {
                        let why = e.to_string();
                        why.contains("starting up") || why.contains("recovery")
                    } =>
                {
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
                other => return other,
            }
        }
    }

    async fn start(&self, durability: Durability) -> Result<(), ClusterError> {
        let mut options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200",
            self.credentials.port
        );
        if durability == Durability::Throwaway {
            options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        run(
            "pg_ctl start",
            self.pg_command("pg_ctl")
                .arg("-D")
                .arg(self.pgdata())
                .arg("-l")
                .arg(self.dir.join("postgresql.log"))
                .args(["-w", "-t", "300", "-o", &options, "start"]),
        )
        .await
        .map(drop)
        .map_err(|e| match e {
            ClusterError::Command { command, detail } => ClusterError::Command {
                command,
                detail: format!(
                    "{detail}\n(see {} ; is port {} already taken?)",
                    self.dir.join("postgresql.log").display(),
                    self.credentials.port
                ),
            },
            other => other,
        })
    }

    /// Stops the cluster (fast shutdown: sessions are closed, committed data is safe).
    ///
    /// # Errors
    /// [`ClusterError::Command`] when `pg_ctl stop` fails.
    pub async fn stop(&self) -> Result<(), ClusterError> {
        run(
            "pg_ctl stop",
            self.pg_command("pg_ctl")
                .arg("-D")
                .arg(self.pgdata())
                .args(["-m", "fast", "-w", "stop"]),
        )
        .await
        .map(drop)
    }

    /// The TCP port.
    #[must_use]
    pub const fn port(&self) -> u16 {
        self.credentials.port
    }

    /// The cluster directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn url(&self, user: &str, password: &str, database: &str) -> Secret<String> {
        crate::server::PgUrl::local(self.credentials.port).with(user, password, database)
    }

    /// The superuser's URL for `database`.
    #[must_use]
    pub fn admin_url(&self, database: &str) -> Secret<String> {
        self.url(SUPERUSER, &self.credentials.superuser_password, database)
    }

    /// The owner role's URL for `database`.
    #[must_use]
    pub fn owner_url(&self, database: &str) -> Secret<String> {
        self.url(
            roles::OWNER_ROLE,
            &self.credentials.owner_password,
            database,
        )
    }

    /// The application role's URL for `database`.
    #[must_use]
    pub fn app_url(&self, database: &str) -> Secret<String> {
        self.url(roles::APP_ROLE, &self.credentials.app_password, database)
    }

    /// A superuser connection to the `postgres` database.
    ///
    /// # Errors
    /// [`ClusterError::Db`] when connecting fails.
    pub async fn connect_admin(&self) -> Result<AsyncPgConnection, ClusterError> {
        AsyncPgConnection::establish(self.admin_url("postgres").expose())
            .await
            .map_err(|e| ClusterError::Db(DbError::Connection(e)))
    }
}

async fn run(what: &str, command: &mut Command) -> Result<Output, ClusterError> {
    let output = command.output().await.map_err(|e| ClusterError::Command {
        command: what.to_owned(),
        detail: e.to_string(),
    })?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(ClusterError::Command {
            command: what.to_owned(),
            detail: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }
}
