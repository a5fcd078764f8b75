//! A real `clamd` for one test (`napoleon_antivirus::local`): Debian's ClamAV daemon on a
//! free local port, with the signature database built offline at start (no network, no
//! freshclam): EICAR by its MD5 and as a body signature, so that it is found inside a larger
//! file too. Limits as production sets them (or smaller, to test them), with
//! `AlertExceedsMax` on. Its directory is removed when it is dropped.

use std::path::PathBuf;
use std::time::Duration;

pub use napoleon_antivirus::local::{EICAR, EICAR_BODY, Limits as ClamdLimits};
use napoleon_antivirus::local::{LocalClamd, Signatures};

/// A running clamd, killed when dropped, its directory removed.
#[derive(Debug)]
pub struct ClamdProcess {
    clamd: LocalClamd,
    /// `127.0.0.1:<port>`.
    pub address: String,
    dir: PathBuf,
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
        let dir = std::env::temp_dir().join(format!("napoleon-clamd-{}", uuid::Uuid::new_v4()));
        let mut clamd = LocalClamd::start(&dir, &Signatures::Offline, limits).await?;
        clamd.ready(Duration::from_secs(60)).await?;
        Ok(Self {
            address: clamd.address().to_owned(),
            clamd,
            dir,
        })
    }

    /// A client of this clamd, a scan given `timeout` at most.
    #[must_use]
    pub fn client(&self, timeout: Duration) -> napoleon_antivirus::Clamd {
        self.clamd.client(timeout)
    }

    /// Stops clamd (`SIGKILL`): what a crash or an outage looks like to its clients.
    pub async fn stop(&mut self) {
        self.clamd.stop().await;
    }

    /// Starts clamd again on the same port and database, once stopped, and waits until it
    /// answers.
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.clamd.restart().await?;
        self.clamd.ready(Duration::from_secs(60)).await?;
        Ok(())
    }
}

impl Drop for ClamdProcess {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
