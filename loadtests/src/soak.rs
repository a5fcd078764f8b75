//! The soak's report: the server's memory and CPU over ten minutes (by default) of the
//! latency mix, and the mix's figures over the whole time. Not run in CI: `loadtests/soak.sh`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::mix::{self, MixReport};

/// One sample, every 10 s.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Sample {
    pub(crate) at_s: u64,
    pub(crate) rss_server_mib: f64,
    /// CPU seconds since the process started (the server) or the cluster's processes did.
    pub(crate) cpu_server_s: f64,
    pub(crate) cpu_postgres_s: f64,
}

#[derive(Debug, Serialize)]
pub(crate) struct Soak {
    pub(crate) date: String,
    pub(crate) machine: String,
    pub(crate) minutes: u64,
    pub(crate) samples: Vec<Sample>,
    pub(crate) peak_rss_server_mib: f64,
    pub(crate) mix: MixReport,
}

/// Writes `soak-<date>-<commit>.md` and `.json` into `dir`; the Markdown's path.
pub(crate) fn write_report(dir: &Path, soak: &Soak, commit: String) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let commit = if commit.is_empty() {
        "local".to_owned()
    } else {
        commit
    };
    let stem = format!(
        "soak-{}-{commit}",
        chrono::Utc::now().format("%Y-%m-%d-%H%M")
    );
    std::fs::write(
        dir.join(format!("{stem}.json")),
        serde_json::to_string_pretty(soak)?,
    )?;
    let mut md = String::new();
    let _ = writeln!(md, "# Soak {} ({commit})\n", soak.date);
    let first = soak.samples.first().map_or(0.0, |s| s.rss_server_mib);
    let last = soak.samples.last().map_or(0.0, |s| s.rss_server_mib);
    // After the first minute: the pools, caches and allocator's arenas are warm by then, so
    // growth past it is what would leak.
    let warm = soak
        .samples
        .iter()
        .find(|s| s.at_s >= 60)
        .map_or(first, |s| s.rss_server_mib);
    let _ = writeln!(
        md,
        "`loadtests/soak.sh`: `napoleon demo` in release, the latency mix for {} min. {}.\n\n\
         Server RSS: {first:.0} MiB at the start, {warm:.0} MiB after the first minute, \
         {last:.0} MiB at the end (peak {:.0} MiB; target < 150): {:+.1} MiB after the \
         first minute.\n",
        soak.minutes,
        soak.machine,
        soak.peak_rss_server_mib,
        last - warm
    );
    let _ = writeln!(
        md,
        "| at (s) | server RSS (MiB) | server CPU (s, cumulative) | PostgreSQL CPU (s, cumulative) |\n|---|---|---|---|"
    );
    for s in &soak.samples {
        let _ = writeln!(
            md,
            "| {} | {:.1} | {:.1} | {:.1} |",
            s.at_s, s.rss_server_mib, s.cpu_server_s, s.cpu_postgres_s
        );
    }
    mix::write_markdown(&mut md, &soak.mix);
    let path = dir.join(format!("{stem}.md"));
    std::fs::write(&path, md)?;
    Ok(path)
}
