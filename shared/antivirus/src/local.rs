//! A clamd this process starts and stops itself: Debian's ClamAV daemon on a free local
//! port, for `napoleon demo` and the tests (production runs its own clamd, kept current by
//! freshclam: docs/operations.md, « Documents »).
//!
//! Its signatures are ClamAV's own when freshclam has fetched them (`/var/lib/clamav`), or a
//! database built here, offline, at start: the EICAR test file by its MD5 (`sigtool --md5`)
//! and the EICAR string as a body signature (`.ndb`), so that it is found inside a larger
//! file too. Limits as production sets them, with `AlertExceedsMax` on: a file clamd cannot
//! read whole is reported, never called clean.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::Clamd;

/// The EICAR antivirus test file: every antivirus reports it, none is harmed by it.
pub const EICAR: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// The offline database's body signature, as clamd reports it (`.UNOFFICIAL`: not from
/// ClamAV's own databases).
pub const EICAR_BODY: &str = "Napoleon.Test.Eicar.Body.UNOFFICIAL";

/// Where freshclam keeps ClamAV's signatures on Debian.
pub const INSTALLED_SIGNATURES: &str = "/var/lib/clamav";

/// clamd's scanning limits, in MiB.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `StreamMaxLength`: longest INSTREAM accepted.
    pub stream_max: u32,
    /// `MaxFileSize`: largest file (or archive member) scanned.
    pub max_file: u32,
    /// `MaxScanSize`: most data scanned per file, archives unpacked.
    pub max_scan: u32,
}

impl Default for Limits {
    /// As the platform runs it: pieces up to 20 MB, with room.
    fn default() -> Self {
        Self {
            stream_max: 25,
            max_file: 25,
            max_scan: 100,
        }
    }
}

/// Which signatures clamd loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signatures {
    /// ClamAV's own, in this directory (kept current by freshclam).
    Installed(PathBuf),
    /// Built here, offline: the EICAR test file only.
    Offline,
}

impl Signatures {
    /// ClamAV's own when freshclam has fetched them, the offline test database otherwise.
    #[must_use]
    pub fn best_available() -> Self {
        let dir = Path::new(INSTALLED_SIGNATURES);
        let fetched = ["main.cvd", "main.cld"]
            .iter()
            .any(|name| dir.join(name).is_file());
        if fetched {
            Self::Installed(dir.to_path_buf())
        } else {
            Self::Offline
        }
    }
}

/// Why clamd could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// ClamAV is not installed.
    #[error(
        "{0} is missing: install Debian's ClamAV (`apt-get install clamav-daemon clamav`, which README command 1 does)"
    )]
    Missing(&'static str),
    /// Something failed on the way (files, sigtool, the process).
    #[error("clamd: {0}")]
    Failed(String),
}

fn failed(what: &str) -> impl Fn(std::io::Error) -> LocalError + '_ {
    move |e| LocalError::Failed(format!("{what}: {e}"))
}

/// Where a ClamAV program is installed, if it is.
#[must_use]
pub fn program(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(name))
        .find(|path| path.is_file())
}

/// clamd, run by a shell that stops it as soon as its standard input closes: when this
/// process drops it, and also when this process dies, even by `kill -9` (the pipe closes
/// with it), so no clamd outlives the demo or a test.
const WATCH: &str = "exec 3<&0\n\
    \"$0\" -c \"$1\" &\n\
    pid=$!\n\
    ( read -r _ <&3; kill \"$pid\" 2>/dev/null ) &\n\
    wait \"$pid\"\n";

/// A running clamd, stopped when dropped.
#[derive(Debug)]
pub struct LocalClamd {
    /// The watching shell (its stdin held open while clamd should run).
    child: Option<tokio::process::Child>,
    address: String,
    dir: PathBuf,
}

impl LocalClamd {
    /// Writes clamd's configuration (and the offline database if asked) under `dir` and
    /// starts clamd on a free port of 127.0.0.1; returns at once (see [`Self::ready`]).
    ///
    /// # Errors
    /// [`LocalError`] when ClamAV is missing or clamd cannot be started.
    pub async fn start(
        dir: &Path,
        signatures: &Signatures,
        limits: Limits,
    ) -> Result<Self, LocalError> {
        let clamd = program("clamd").ok_or(LocalError::Missing("clamd"))?;
        std::fs::create_dir_all(dir).map_err(failed("its directory"))?;
        // clamd takes absolute paths only (the demo's data directory is often relative).
        let dir = &std::fs::canonicalize(dir).map_err(failed("its directory"))?;
        let database = match signatures {
            Signatures::Installed(path) => path.clone(),
            Signatures::Offline => offline_database(dir).await?,
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(failed("a free port"))?
            .port();
        // As root (CI, containers), clamd must be told to stay root rather than drop to its
        // own user, which could not read this directory. (The owner of /proc/self is the
        // process's effective user.)
        let root = {
            use std::os::unix::fs::MetadataExt as _;
            std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
        };
        let conf = format!(
            "Foreground yes\nDatabaseDirectory {db}\nTCPSocket {port}\nTCPAddr 127.0.0.1\n\
             LocalSocket {socket}\nPidFile {pid}\nLogFile {log}\n{user}\
             StreamMaxLength {}M\nMaxFileSize {}M\nMaxScanSize {}M\nMaxRecursion 16\n\
             MaxFiles 1000\nAlertExceedsMax yes\nSelfCheck 0\n",
            limits.stream_max,
            limits.max_file,
            limits.max_scan,
            db = database.display(),
            socket = dir.join("clamd.sock").display(),
            pid = dir.join("clamd.pid").display(),
            log = dir.join("clamd.log").display(),
            user = if root { "User root\n" } else { "" },
        );
        std::fs::write(dir.join("clamd.conf"), conf).map_err(failed("clamd.conf"))?;
        let mut process = Self {
            child: None,
            address: format!("127.0.0.1:{port}"),
            dir: dir.to_path_buf(),
        };
        process.spawn(&clamd)?;
        Ok(process)
    }

    /// `127.0.0.1:<port>`.
    #[must_use]
    pub fn address(&self) -> &str {
        &self.address
    }

    /// A client of this clamd, a scan given `timeout` at most.
    #[must_use]
    pub fn client(&self, timeout: Duration) -> Clamd {
        Clamd::new(self.address.clone(), timeout)
    }

    /// Waits until clamd answers, within `within` (loading ClamAV's own signatures takes
    /// tens of seconds; the offline database, a few).
    ///
    /// # Errors
    /// [`LocalError::Failed`] when clamd exits or does not answer in time (its log said).
    pub async fn ready(&mut self, within: Duration) -> Result<(), LocalError> {
        let client = self.client(Duration::from_secs(2));
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if client.ping().await.is_ok() {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait().map_err(failed("waiting"))?
            {
                return Err(LocalError::Failed(format!(
                    "exited ({status}) before answering:\n{}",
                    self.log()
                )));
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(LocalError::Failed(format!(
                    "no answer within {} s:\n{}",
                    within.as_secs(),
                    self.log()
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("clamd.log")).unwrap_or_default()
    }

    /// Stops clamd (its watcher's stdin closed: clamd is sent SIGTERM) and waits for it:
    /// what an outage looks like to its clients.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            drop(child.stdin.take());
            let _ = tokio::time::timeout(Duration::from_secs(30), child.wait()).await;
        }
    }

    /// Starts clamd again on the same port and database, once stopped.
    ///
    /// # Errors
    /// As [`Self::start`].
    pub async fn restart(&mut self) -> Result<(), LocalError> {
        self.stop().await;
        let clamd = program("clamd").ok_or(LocalError::Missing("clamd"))?;
        self.spawn(&clamd)
    }

    fn spawn(&mut self, clamd: &Path) -> Result<(), LocalError> {
        // clamd writes to its log file; nothing of it holds this process's output open.
        let child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(WATCH)
            .arg(clamd)
            .arg(self.dir.join("clamd.conf"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(failed("starting clamd"))?;
        self.child = Some(child);
        Ok(())
    }
}

impl Drop for LocalClamd {
    fn drop(&mut self) {
        // Closing the watcher's stdin stops clamd (the shell then exits by itself).
        if let Some(child) = self.child.as_mut() {
            drop(child.stdin.take());
        }
    }
}

/// The offline database under `dir`: EICAR by its MD5 and as a body signature.
async fn offline_database(dir: &Path) -> Result<PathBuf, LocalError> {
    let sigtool = program("sigtool").ok_or(LocalError::Missing("sigtool"))?;
    let db = dir.join("db");
    std::fs::create_dir_all(&db).map_err(failed("the database directory"))?;
    let eicar = dir.join("eicar.com");
    std::fs::write(&eicar, EICAR).map_err(failed("eicar.com"))?;
    let md5 = tokio::process::Command::new(&sigtool)
        .arg("--md5")
        .arg(&eicar)
        .output()
        .await
        .map_err(failed("running sigtool"))?;
    if !md5.status.success() {
        return Err(LocalError::Failed(format!("sigtool --md5 failed: {md5:?}")));
    }
    std::fs::write(db.join("test.hdb"), &md5.stdout).map_err(failed("test.hdb"))?;
    // The EICAR string anywhere in a file (name:target any:offset any:hex).
    let hex: String = EICAR.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(
        db.join("test.ndb"),
        format!("{}:0:*:{hex}\n", EICAR_BODY.trim_end_matches(".UNOFFICIAL")),
    )
    .map_err(failed("test.ndb"))?;
    Ok(db)
}
