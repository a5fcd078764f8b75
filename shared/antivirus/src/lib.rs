//! The antivirus: a file goes to `clamd` over its INSTREAM protocol (the `clamav-client`
//! crate) and comes back with a [`Verdict`]. What the platform does with it (a piece stays
//! « en attente d'analyse » until clean, an infected one is quarantined, a scan that could
//! not happen is retried) belongs to the pieces' scan job; this crate only says what clamd
//! said, strictly:
//!
//! - `stream: OK` is [`Verdict::Clean`];
//! - `stream: <signature> FOUND` is [`Verdict::Infected`], **limits included**: with
//!   `AlertExceedsMax yes` clamd reports a file it could not scan whole (too large, too
//!   deep, too many entries) as `Heuristics.Limits.Exceeded.*`, and a file clamd did not
//!   read to its end is never called clean;
//! - `INSTREAM size limit exceeded` (past clamd's `StreamMaxLength`) is infected too, under
//!   [`STREAM_TOO_LONG`] — when the answer arrives before clamd hangs up: it may close the
//!   connection while the stream is still being sent, and that broken connection is a
//!   [`ScanError::Unavailable`] (a piece never reaches this: its bound, 20 Mo, sits under the
//!   local clamd's `StreamMaxLength`, 25 Mo);
//! - anything else (clamd unreachable, too slow, an `ERROR`, an answer it never gives) is a
//!   [`ScanError`]: nothing was decided, the caller retries.

pub mod local;

use std::time::Duration;

use clamav_client::tokio::Tcp;

/// The signature name given to a file longer than clamd accepts in one stream.
pub const STREAM_TOO_LONG: &str = "Heuristics.Limits.Exceeded.StreamMaxLength";

/// Bytes sent per INSTREAM chunk.
const CHUNK: usize = 64 * 1024;

/// What clamd said of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing found, the whole file read.
    Clean,
    /// A signature matched, or a limit stopped the scan.
    Infected {
        /// clamd's name for what it found (`Win.Test.EICAR_HDB-1`,
        /// `Heuristics.Limits.Exceeded.MaxFileSize`…).
        signature: String,
    },
}

/// Why a file could not be scanned: nothing is decided, try again later.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// clamd could not be reached, or the connection broke.
    #[error("clamd unreachable: {0}")]
    Unavailable(#[from] std::io::Error),
    /// clamd did not answer in time.
    #[error("clamd did not answer within {0:?}")]
    TimedOut(Duration),
    /// clamd answered with an error, or something this crate does not know.
    #[error("clamd answered {0:?}")]
    Answer(String),
}

/// Where clamd listens, and how long a scan may take.
#[derive(Debug, Clone)]
pub struct Clamd {
    address: String,
    timeout: Duration,
}

impl Clamd {
    /// clamd at `address` (`host:port`), a scan given `timeout` at most.
    #[must_use]
    pub fn new(address: impl Into<String>, timeout: Duration) -> Self {
        Self {
            address: address.into(),
            timeout,
        }
    }

    /// Whether clamd answers `PING`.
    ///
    /// # Errors
    /// [`ScanError`] when it does not.
    pub async fn ping(&self) -> Result<(), ScanError> {
        let answer = self
            .bounded(clamav_client::tokio::ping(Tcp {
                host_address: self.address.as_str(),
            }))
            .await?;
        if answer == clamav_client::PONG {
            Ok(())
        } else {
            Err(ScanError::Answer(text(&answer)))
        }
    }

    /// Scans `content`.
    ///
    /// # Errors
    /// [`ScanError`] when clamd could not decide (unreachable, timed out, in error).
    pub async fn scan(&self, content: &[u8]) -> Result<Verdict, ScanError> {
        let answer = self
            .bounded(clamav_client::tokio::scan_buffer(
                content,
                Tcp {
                    host_address: self.address.as_str(),
                },
                Some(CHUNK),
            ))
            .await?;
        verdict(&text(&answer))
    }

    async fn bounded(
        &self,
        call: impl Future<Output = std::io::Result<Vec<u8>>>,
    ) -> Result<Vec<u8>, ScanError> {
        tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| ScanError::TimedOut(self.timeout))?
            .map_err(ScanError::from)
    }
}

/// clamd's answer as text, without its final NUL.
fn text(answer: &[u8]) -> String {
    String::from_utf8_lossy(answer)
        .trim_end_matches(['\0', '\n'])
        .to_owned()
}

/// Reads clamd's answer to one INSTREAM.
fn verdict(answer: &str) -> Result<Verdict, ScanError> {
    if answer == "stream: OK" {
        return Ok(Verdict::Clean);
    }
    if let Some(signature) = answer
        .strip_prefix("stream: ")
        .and_then(|rest| rest.strip_suffix(" FOUND"))
        .filter(|s| !s.is_empty())
    {
        return Ok(Verdict::Infected {
            signature: signature.to_owned(),
        });
    }
    if answer.starts_with("INSTREAM size limit exceeded") {
        return Ok(Verdict::Infected {
            signature: STREAM_TOO_LONG.to_owned(),
        });
    }
    Err(ScanError::Answer(answer.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answer_reads_strictly() {
        assert_eq!(verdict("stream: OK").ok(), Some(Verdict::Clean));
        assert_eq!(
            verdict("stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND").ok(),
            Some(Verdict::Infected {
                signature: "Heuristics.Limits.Exceeded.MaxFileSize".to_owned()
            })
        );
        assert_eq!(
            verdict("INSTREAM size limit exceeded. ERROR").ok(),
            Some(Verdict::Infected {
                signature: STREAM_TOO_LONG.to_owned()
            })
        );
        for unknown in [
            "",
            "stream:  FOUND",
            "stream: Can't allocate memory ERROR",
            "OK",
        ] {
            assert!(verdict(unknown).is_err(), "{unknown:?}");
        }
        assert_eq!(text(b"stream: OK\0"), "stream: OK");
    }
}
