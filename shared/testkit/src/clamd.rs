//! A real `clamd` for one test: Debian's ClamAV daemon on a free local port, with a signature
//! database built offline at start (no network, no freshclam): the EICAR test file by its MD5
//! (`sigtool --md5`) and the EICAR string as a body signature (`.ndb`), so that it is found
//! inside a larger file too. Limits as production sets them (or smaller, to test them), with
//! `AlertExceedsMax` on: a file clamd cannot read whole is reported, never called clean.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

/// The EICAR antivirus test file: every antivirus reports it, none is harmed by it.
pub const EICAR: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// The body signature's name, as clamd reports it (`.UNOFFICIAL`: not from ClamAV's own
/// databases).
pub const EICAR_BODY: &str = "Napoleon.Test.Eicar.Body.UNOFFICIAL";

/// clamd's scanning limits, in MiB.
#[derive(Debug, Clone, Copy)]
pub struct ClamdLimits {
    /// `StreamMaxLength`: longest INSTREAM accepted.
    pub stream_max: u32,
    /// `MaxFileSize`: largest file (or archive member) scanned.
    pub max_file: u32,
    /// `MaxScanSize`: most data scanned per file, archives unpacked.
    pub max_scan: u32,
}

impl Default for ClamdLimits {
    /// As the platform runs it: files up to 20 MB, with room.
    fn default() -> Self {
        Self {
            stream_max: 25,
            max_file: 25,
            max_scan: 100,
        }
    }
}

/// A running clamd, killed when dropped, its directory removed.
#[derive(Debug)]
pub struct ClamdProcess {
    child: Option<tokio::process::Child>,
    /// `127.0.0.1:<port>`.
    pub address: String,
    dir: PathBuf,
}

/// Fails (never skips) when ClamAV is missing, saying how to install it.
fn require(program: &str) -> anyhow::Result<PathBuf> {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
        let path = Path::new(dir).join(program);
        if path.is_file() {
            return Ok(path);
        }
    }
    anyhow::bail!(
        "{program} is missing: install Debian's ClamAV (`apt-get install clamav-daemon clamav`, \
         which deploy/local/test.sh does)"
    )
}

impl ClamdProcess {
    /// Starts clamd with the default limits and waits until it answers (about 5 s).
    ///
    /// # Errors
    /// When ClamAV is missing, the database cannot be built or clamd does not answer in 60 s.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(ClamdLimits::default()).await
    }

    /// As [`start`](Self::start), with `limits`.
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub async fn start_with(limits: ClamdLimits) -> anyhow::Result<Self> {
        let clamd = require("clamd")?;
        let sigtool = require("sigtool")?;
        let dir = std::env::temp_dir().join(format!("napoleon-clamd-{}", uuid::Uuid::new_v4()));
        let db = dir.join("db");
        std::fs::create_dir_all(&db)?;
        // The EICAR file by its MD5, as sigtool writes it.
        let eicar = dir.join("eicar.com");
        std::fs::write(&eicar, EICAR)?;
        let md5 = std::process::Command::new(&sigtool)
            .arg("--md5")
            .arg(&eicar)
            .output()
            .context("running sigtool")?;
        anyhow::ensure!(md5.status.success(), "sigtool --md5 failed: {md5:?}");
        std::fs::write(db.join("test.hdb"), &md5.stdout)?;
        // The EICAR string anywhere in a file (name:target any:offset any:hex).
        let hex: String = EICAR.iter().map(|b| format!("{b:02x}")).collect();
        std::fs::write(
            db.join("test.ndb"),
            format!("{}:0:*:{hex}\n", EICAR_BODY.trim_end_matches(".UNOFFICIAL")),
        )?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let address = format!("127.0.0.1:{port}");
        // As root (CI, containers), clamd must be told to stay root rather than drop to its
        // own user, which could not read this directory.
        let root = napoleon_db::cluster::is_root();
        let conf = format!(
            "Foreground yes\nDatabaseDirectory {db}\nTCPSocket {port}\nTCPAddr 127.0.0.1\n\
             LocalSocket {socket}\nPidFile {pid}\nLogFile {log}\n{user}\
             StreamMaxLength {}M\nMaxFileSize {}M\nMaxScanSize {}M\nMaxRecursion 16\n\
             MaxFiles 1000\nAlertExceedsMax yes\nSelfCheck 0\n",
            limits.stream_max,
            limits.max_file,
            limits.max_scan,
            db = db.display(),
            socket = dir.join("clamd.sock").display(),
            pid = dir.join("clamd.pid").display(),
            log = dir.join("clamd.log").display(),
            user = if root { "User root\n" } else { "" },
        );
        std::fs::write(dir.join("clamd.conf"), conf)?;
        let mut process = Self {
            child: None,
            address,
            dir,
        };
        process.spawn(&clamd).await?;
        Ok(process)
    }

    async fn spawn(&mut self, clamd: &Path) -> anyhow::Result<()> {
        let child = tokio::process::Command::new(clamd)
            .arg("-c")
            .arg(self.dir.join("clamd.conf"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting clamd")?;
        self.child = Some(child);
        let client = self.client(Duration::from_secs(2));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if client.ping().await.is_ok() {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                let log = std::fs::read_to_string(self.dir.join("clamd.log")).unwrap_or_default();
                anyhow::bail!("clamd exited ({status}) before answering:\n{log}");
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "clamd did not answer within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A client of this clamd, a scan given `timeout` at most.
    #[must_use]
    pub fn client(&self, timeout: Duration) -> napoleon_antivirus::Clamd {
        napoleon_antivirus::Clamd::new(self.address.clone(), timeout)
    }

    /// Stops clamd (`SIGKILL`): what a crash or an outage looks like to its clients.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts clamd again on the same port and database, once stopped.
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop().await;
        let clamd = require("clamd")?;
        self.spawn(&clamd).await
    }
}

impl Drop for ClamdProcess {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
