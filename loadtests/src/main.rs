//! `napoleon-loadtests`: the volume generator every benchmark shares, and the runner that
//! measures Napoléon beside PostgreSQL's own figures in the same run (`loadtests/run.sh`), with
//! the latency mix of every role (goose) and the soak (`loadtests/soak.sh`).

mod client;
mod export;
mod import;
mod mix;
mod run;
mod search;
mod soak;
mod volume;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "napoleon-loadtests", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Loads the volume (generated ministries, dossiers, laureates) with COPY.
    Volume {
        /// A superuser's URL (COPY is refused under row-level security to anyone else).
        #[arg(long, env = "NAPOLEON_LOADTESTS_ADMIN_URL")]
        admin_url: String,
        #[command(flatten)]
        volume: VolumeArgs,
    },
    /// One benchmark run, written to loadtests/reports/ (loadtests/run.sh builds and calls it).
    Run {
        #[command(flatten)]
        server: ServerArgs,
        /// Seconds per measurement.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Only the scenarios whose name contains one of these (e.g. `--only read`); the
        /// report is then partial.
        #[arg(long)]
        only: Vec<String>,
        /// Records each scenario's server with `perf record` into the run's directory
        /// (`perf-<scenario>.data`), for `perf report`.
        #[arg(long)]
        perf: bool,
        #[command(flatten)]
        volume: VolumeArgs,
    },
    /// The registry import measured beside `COPY FROM` of the same rows, on copies of the
    /// base database (loadtests/import.sh builds and calls it).
    Import {
        #[command(flatten)]
        server: ServerArgs,
        /// Rows of the generated registry file (1 % corrupted).
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        #[command(flatten)]
        volume: VolumeArgs,
    },
    /// The registry's export (CSV, XLSX, ODS) measured beside `COPY TO` of the same rows, its
    /// memory sampled, on a copy of the base database (loadtests/export.sh builds and calls
    /// it).
    Export {
        #[command(flatten)]
        server: ServerArgs,
        /// Rows of the generated registry (the import benchmark's, same seed).
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        #[command(flatten)]
        volume: VolumeArgs,
    },
    /// The registry's search and pages measured beside the same SQL through `pgbench -f`,
    /// while the server serves the generated registry (loadtests/search.sh builds and calls
    /// it).
    Search {
        #[command(flatten)]
        server: ServerArgs,
        /// Rows of the generated registry (the import benchmark's, same seed).
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Seconds per scenario and side.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        #[command(flatten)]
        volume: VolumeArgs,
    },
    /// The soak: the latency mix for ten minutes (by default), the server's memory every
    /// 10 s, written to loadtests/reports/soak-… (loadtests/soak.sh builds and calls it).
    Soak {
        #[command(flatten)]
        server: ServerArgs,
        /// Minutes of load.
        #[arg(long, default_value_t = 10)]
        minutes: u64,
        #[command(flatten)]
        volume: VolumeArgs,
    },
}

/// The server the measurements start, and where they keep their things.
#[derive(Debug, Args)]
struct ServerArgs {
    /// The release `napoleon` binary.
    #[arg(long)]
    napoleon: PathBuf,
    /// The cluster, logs and scripts of the runs (the volume is loaded once per seed and size).
    #[arg(long, default_value = "/var/tmp/napoleon-loadtests")]
    dir: PathBuf,
    /// The `loadtests/` directory (its scripts and reports).
    #[arg(long, default_value = "loadtests")]
    loadtests: PathBuf,
}

/// The shared volume's size and seed.
#[derive(Debug, Args)]
struct VolumeArgs {
    /// The generator's seed: the same seed, the same rows.
    #[arg(long, default_value_t = 1815)]
    seed: u64,
    /// Generated ministries.
    #[arg(long, default_value_t = 10)]
    tenants: usize,
    /// Dossiers (up to 1 000 000).
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    dossiers: u32,
    /// Laureates, one award each.
    #[arg(long, default_value_t = 1_000_000)]
    laureates: usize,
}

impl ServerArgs {
    /// The options of a run without HTTP measurements (an import, a soak).
    fn options(self, volume: VolumeArgs) -> run::RunOptions {
        run::RunOptions {
            napoleon: self.napoleon,
            dir: self.dir,
            loadtests: self.loadtests,
            seconds: 0,
            only: Vec::new(),
            perf: false,
            volume: volume.into(),
        }
    }
}

impl From<VolumeArgs> for volume::Volume {
    fn from(a: VolumeArgs) -> Self {
        Self {
            seed: a.seed,
            tenants: a.tenants.max(1),
            dossiers: a.dossiers as usize,
            laureates: a.laureates,
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Volume { admin_url, volume } => {
            let volume = volume::Volume::from(volume);
            let started = std::time::Instant::now();
            let done = volume::generate(&admin_url, volume).await?;
            eprintln!(
                "volume (seed {}) loaded in {:.1} s: {}",
                volume.seed,
                started.elapsed().as_secs_f64(),
                serde_json::to_string(&done)?
            );
        }
        Command::Run {
            server:
                ServerArgs {
                    napoleon,
                    dir,
                    loadtests,
                },
            seconds,
            only,
            perf,
            volume,
        } => {
            let report = run::run(&run::RunOptions {
                napoleon,
                dir,
                loadtests,
                seconds,
                only,
                perf,
                volume: volume.into(),
            })
            .await?;
            eprintln!("report: {}", report.display());
        }
        Command::Import {
            server,
            rows,
            volume,
        } => {
            let report = run::import(&server.options(volume), rows.max(1)).await?;
            eprintln!("report: {}", report.display());
        }
        Command::Export {
            server,
            rows,
            volume,
        } => {
            let report = run::export(&server.options(volume), rows.max(1)).await?;
            eprintln!("report: {}", report.display());
        }
        Command::Search {
            server,
            rows,
            seconds,
            volume,
        } => {
            let report =
                run::search(&server.options(volume), rows.max(1000), seconds.max(1)).await?;
            eprintln!("report: {}", report.display());
        }
        Command::Soak {
            server,
            minutes,
            volume,
        } => {
            let report = run::soak(&server.options(volume), minutes.max(1)).await?;
            eprintln!("report: {}", report.display());
        }
    }
    Ok(())
}
