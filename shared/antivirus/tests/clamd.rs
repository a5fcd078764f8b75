//! Against a real clamd (`napoleon_testkit::ClamdProcess`): a clean file is clean; the EICAR
//! file, alone or inside a larger one, is infected; a file past clamd's limits is never clean;
//! clamd stopped is an error to retry, not a verdict, and once back it scans again.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::time::Duration;

use napoleon_antivirus::{STREAM_TOO_LONG, ScanError, Verdict};
use napoleon_testkit::{ClamdLimits, ClamdProcess, EICAR, EICAR_BODY};

fn infected(verdict: &Verdict) -> &str {
    match verdict {
        Verdict::Infected { signature } => signature,
        Verdict::Clean => "",
    }
}

#[tokio::test]
async fn clamd_finds_eicar_anywhere_and_an_outage_decides_nothing() {
    let mut clamd = ClamdProcess::start().await.unwrap();
    let client = clamd.client(Duration::from_secs(30));
    client.ping().await.unwrap();

    assert_eq!(
        client
            .scan(b"%PDF-1.7 un memoire de proposition")
            .await
            .unwrap(),
        Verdict::Clean
    );
    let alone = client.scan(EICAR).await.unwrap();
    assert!(!infected(&alone).is_empty(), "{alone:?}");
    let mut inside = vec![b'A'; 300_000];
    inside.extend_from_slice(EICAR);
    inside.extend(vec![b'B'; 300_000]);
    assert_eq!(infected(&client.scan(&inside).await.unwrap()), EICAR_BODY);

    // clamd down: an error, never a verdict; back: scans again.
    clamd.stop().await;
    let down = client.scan(b"pendant la panne").await;
    assert!(matches!(down, Err(ScanError::Unavailable(_))), "{down:?}");
    assert!(client.ping().await.is_err());
    clamd.restart().await.unwrap();
    assert_eq!(
        client.scan(b"apres la panne").await.unwrap(),
        Verdict::Clean
    );
}

#[tokio::test]
async fn a_file_past_clamds_limits_is_never_clean() {
    let clamd = ClamdProcess::start_with(ClamdLimits {
        stream_max: 4,
        max_file: 1,
        max_scan: 4,
    })
    .await
    .unwrap();
    let client = clamd.client(Duration::from_secs(30));
    let big = vec![b'x'; 2 * 1024 * 1024];
    let verdict = client.scan(&big).await.unwrap();
    assert!(
        infected(&verdict).starts_with("Heuristics.Limits.Exceeded"),
        "{verdict:?}"
    );
    // Past StreamMaxLength clamd answers and hangs up while the stream is still being
    // sent: the answer is read when it arrives first, else the broken connection is an
    // error (retried) — never clean either way.
    let too_long = vec![b'x'; 5 * 1024 * 1024];
    match client.scan(&too_long).await {
        Ok(verdict) => assert_eq!(infected(&verdict), STREAM_TOO_LONG),
        Err(ScanError::Unavailable(e)) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ),
            "{e:?}"
        ),
        Err(other) => unreachable!("{other:?}"),
    }
}

/// `napoleon demo`'s data directory is relative (`.napoleon`) and clamd takes absolute paths
/// only: a clamd started in a relative directory answers all the same, and stops when its
/// owner drops it.
#[tokio::test]
async fn a_local_clamd_in_a_relative_directory_answers_and_stops_with_its_owner() {
    use napoleon_antivirus::local::{LocalClamd, Signatures};
    let relative = std::path::PathBuf::from(format!("clamd-relative-{}", std::process::id()));
    let mut clamd = LocalClamd::start(&relative, &Signatures::Offline, ClamdLimits::default())
        .await
        .unwrap();
    clamd.ready(Duration::from_secs(60)).await.unwrap();
    let client = clamd.client(Duration::from_secs(10));
    let mut file = b"%PDF-1.4\n".to_vec();
    file.extend_from_slice(EICAR);
    assert!(matches!(
        client.scan(&file).await.unwrap(),
        Verdict::Infected { .. }
    ));
    drop(clamd);
    // Its watcher stops it once the owner is gone.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while client.ping().await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "clamd outlived its owner"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    std::fs::remove_dir_all(&relative).unwrap();
}
