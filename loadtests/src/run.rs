//! One benchmark run: `napoleon demo` built in release (every service in one process, each on
//! its own database role, with the demo's ministries and activity) on its own durable
//! PostgreSQL cluster, the shared volume loaded beside it, then PostgreSQL's own figures
//! (`pgbench -S`, TPC-B) and Napoléon's (`wrk`) in the same run, on the same cluster, as
//! ratios. The report (Markdown and JSON) goes to `loadtests/reports/`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use napoleon_db::cluster::{ClusterOptions, Durability, LocalCluster};
use serde::Serialize;
use tokio::process::Command;

use crate::client::Agent;
use crate::mix::{self, Session};
use crate::volume::{self, Volume};

/// How to run.
#[derive(Debug, Clone)]
pub(crate) struct RunOptions {
    /// The release `napoleon` binary.
    pub(crate) napoleon: PathBuf,
    /// Where the cluster, logs and generated scripts live (kept between runs: the volume
    /// is loaded once per seed and size).
    pub(crate) dir: PathBuf,
    /// `loadtests/`: its `scripts/` are read, its `reports/` written.
    pub(crate) loadtests: PathBuf,
    /// Seconds per measurement.
    pub(crate) seconds: u64,
    /// Only the scenarios whose name contains one of these (all when empty).
    pub(crate) only: Vec<String>,
    /// `perf record` of the server during each scenario.
    pub(crate) perf: bool,
    /// The shared volume.
    pub(crate) volume: Volume,
}

/// The edge's limits, raised so that the measurement is of the request path, not of the
/// limiter (they are recorded in the report).
const RAISED_LIMITS: [(&str, &str); 6] = [
    ("NAPOLEON__LIMITS__CONCURRENT_PER_CLIENT", "4096"),
    ("NAPOLEON__LIMITS__CONCURRENT_PER_SESSION", "4096"),
    ("NAPOLEON__LIMITS__CONCURRENT_PER_TOKEN", "4096"),
    ("NAPOLEON__LIMITS__ANONYMOUS_PER_MINUTE", "100000000"),
    ("NAPOLEON__LIMITS__API_TOKEN_PER_MINUTE", "100000000"),
    ("NAPOLEON__LIMITS__MAX_CONNECTIONS", "4096"),
];
/// The scenarios' names that other code refers to.
const SUBMIT_ONE: &str = "submit a complete dossier";
const SUBMIT_TWO: &str = "submit, two ministries at once";
const MIX: &str = "mix";
const HTTP_PORT: u16 = 18_815;
const PG_PORT: u16 = 54_815;
const CONNECTIONS: u32 = 16;
const WRK_THREADS: u32 = 2;

/// One figure of PostgreSQL's own.
#[derive(Debug, Clone, Serialize)]
struct PgFigure {
    name: &'static str,
    clients: u32,
    tps: f64,
    mean_latency_ms: f64,
}

/// One HTTP scenario's figures.
#[derive(Debug, Clone, Serialize)]
struct HttpFigure {
    name: &'static str,
    route: String,
    connections: u32,
    requests: u64,
    req_per_s: f64,
    non_2xx: u64,
    socket_errors: u64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    /// Against which PostgreSQL figure, its tps and the ratio.
    baseline: Option<&'static str>,
    ratio: Option<f64>,
    /// The binding target of issue 15, when there is one.
    target: Option<f64>,
    /// CPU seconds during the measurement: the load client, the server, PostgreSQL.
    cpu_client_s: f64,
    cpu_server_s: f64,
    cpu_postgres_s: f64,
    rss_server_mib: f64,
}

/// The report.
#[derive(Debug, Serialize)]
struct Report {
    date: String,
    commit: String,
    machine: String,
    seconds_per_measurement: u64,
    volume: volume::Generated,
    volume_seed: u64,
    raised_limits: Vec<(String, String)>,
    pgbench_before: Vec<PgFigure>,
    pgbench_after: Vec<PgFigure>,
    http: Vec<HttpFigure>,
    /// The latency mix (goose), when it ran.
    mix: Option<mix::MixReport>,
    peak_rss_server_mib: f64,
}

/// Runs everything and writes the report; returns its Markdown path.
///
/// Every run starts from the same database: the demo's ministries and activity with the
/// volume beside them, kept as `napoleon_base` after the first run and copied afresh (the
/// runs create and submit dossiers, which would otherwise pile up in the next run's pages).
pub(crate) async fn run(options: &RunOptions) -> anyhow::Result<PathBuf> {
    let base = format!("http://127.0.0.1:{HTTP_PORT}");
    let (mut server, pid, generated) = start(options, &base).await?;
    let measured = measure_all(options, &base, pid, generated).await;
    // Whatever happened, the demo stops its PostgreSQL: the next run needs the port.
    stop(&mut server, pid).await;
    // A partial run (`--only`) or one under `perf` (which slows the server) is for looking,
    // not for the record: its report stays beside the cluster.
    let reports = if options.only.is_empty() && !options.perf {
        options.loadtests.join("reports")
    } else {
        options.dir.join("partial-reports")
    };
    write_report(&reports, &measured?)
}

/// A measurement on copies of the run's base database: the base (the demo and the shared
/// volume) made once, as for a run — the demo's copy of it, migrated by `napoleon demo` to
/// this build, is what the copies start from —, then `measure` on the cluster; its figures
/// go to `loadtests/reports/<stem>.json`. The figures, what the volume holds, the reports'
/// directory, the stem and the commit.
async fn on_base_copies<T: serde::Serialize>(
    options: &RunOptions,
    suffix: &str,
    measure: impl AsyncFnOnce(&LocalCluster) -> anyhow::Result<T>,
) -> anyhow::Result<(T, volume::Generated, PathBuf, String, String)> {
    let base = format!("http://127.0.0.1:{HTTP_PORT}");
    let (mut server, pid, generated) = start(options, &base).await?;
    stop(&mut server, pid).await;
    let cluster = cluster(options).await?;
    let measured = measure(&cluster).await;
    let _ = cluster.stop().await;
    let f = measured?;
    let (dir, stem, commit) = write_figures(options, suffix, &f).await?;
    Ok((f, generated, dir, stem, commit))
}

/// Writes a measurement's figures to `loadtests/reports/<date>-<commit>-<suffix>.json`: the
/// reports' directory, the stem (for the Markdown beside it) and the commit.
async fn write_figures<T: serde::Serialize>(
    options: &RunOptions,
    suffix: &str,
    figures: &T,
) -> anyhow::Result<(PathBuf, String, String)> {
    let commit = git_commit().await;
    let dir = options.loadtests.join("reports");
    std::fs::create_dir_all(&dir)?;
    let stem = format!(
        "{}-{}-{suffix}",
        chrono::Utc::now().format("%Y-%m-%d-%H%M"),
        if commit.is_empty() { "local" } else { &commit }
    );
    std::fs::write(
        dir.join(format!("{stem}.json")),
        serde_json::to_string_pretty(figures)?,
    )?;
    Ok((dir, stem, commit))
}

/// The registry import beside `COPY FROM` (crate::import), on copies of the run's base
/// database; its report goes to `loadtests/reports/…-import.md`.
pub(crate) async fn import(options: &RunOptions, rows: usize) -> anyhow::Result<PathBuf> {
    use std::fmt::Write as _;
    let (f, generated, dir, stem, commit) = on_base_copies(options, "import", async |cluster| {
        crate::import::measure(
            &options.napoleon,
            cluster,
            DEMO_DATABASE,
            &options.dir,
            options.volume.seed,
            rows,
        )
        .await
    })
    .await?;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Registry import beside COPY ({commit})
"
    );
    let _ = writeln!(
        md,
        "`loadtests/import.sh`: the generator's registry file (seed {}, {} rows, {} MB, 1 % \
         corrupted in {} ways, listed beside the file) imported by `napoleon import registry` \
         (release, batches of 5,000 rows, as the application role under forced row-level \
         security) into the demo's `interieur` tenant of a fresh copy of the base database \
         (the demo and the shared volume: {}); then `COPY FROM` of the same {} valid rows \
         into the same tables (same indexes, constraints and generated columns), as the \
         superuser, into another fresh copy. {}.\n",
        options.volume.seed,
        f.rows,
        f.file_bytes / 1_000_000,
        crate::import::CORRUPTION_KINDS,
        serde_json::to_string(&generated)?,
        f.valid,
        machine()
    );
    let _ = writeln!(
        md,
        "| | seconds | rows/s |\n|---|---|---|\n| `napoleon import registry` | {:.1} | {:.0} |\n\
         | `COPY FROM` (3 tables, one transaction) | {:.1} | {:.0} |\n",
        f.import_seconds, f.import_rows_per_second, f.copy_seconds, f.copy_rows_per_second
    );
    let _ = writeln!(
        md,
        "Ratio: **{:.2} × COPY** (target ≥ 0.3 {}).\n\n\
         The report names exactly the {} corrupted rows: {}. The same file imported again \
         adds nothing: {} ({:.1} s).",
        f.ratio,
        if f.ratio >= 0.3 { "✅" } else { "❌" },
        f.corrupted,
        if f.report_matches {
            "yes ✅"
        } else {
            "no ❌"
        },
        if f.again_adds_nothing {
            "yes ✅"
        } else {
            "no ❌"
        },
        f.again_seconds
    );
    let path = dir.join(format!("{stem}.md"));
    std::fs::write(&path, &md)?;
    Ok(path)
}

/// The registry's export beside `COPY TO` of the same rows, on a copy of the base database;
/// its report goes to `loadtests/reports/…-export.md`.
pub(crate) async fn export(options: &RunOptions, rows: usize) -> anyhow::Result<PathBuf> {
    use std::fmt::Write as _;
    let (f, generated, dir, stem, commit) = on_base_copies(options, "export", async |cluster| {
        crate::export::measure(
            cluster,
            DEMO_DATABASE,
            &options.dir,
            options.volume.seed,
            rows,
        )
        .await
    })
    .await?;
    let mut md = String::new();
    let _ = writeln!(md, "# Registry export beside COPY TO ({commit})\n");
    let _ = writeln!(
        md,
        "`loadtests/export.sh`: the import benchmark's generated registry (seed {}, {} valid \
         rows) put into the demo's `interieur` tenant of a fresh copy of the base database \
         (the demo and the shared volume: {}) by COPY; then the `promotion.export` job of an \
         intégrateur (the whole registry, every column), run in the harness's process as the \
         worker runs it (release, the worker's role under forced row-level security, batches \
         of 1,000 laureates each with its read-log entries, a local object store), once per \
         format, its resident memory sampled every 50 ms; beside it, `COPY (SELECT …) TO \
         STDOUT` of the same rows in the same order as CSV, as the superuser. {}.\n",
        options.volume.seed,
        f.laureates,
        serde_json::to_string(&generated)?,
        machine()
    );
    let _ = writeln!(
        md,
        "| | rows | seconds | rows/s | × COPY TO | file | memory before → peak |\n\
         |---|---|---|---|---|---|---|\n\
         | `COPY TO` (CSV) | {} | {:.1} | {:.0} | 1 | {:.0} MB | |",
        f.copy_rows,
        f.copy_seconds,
        f.copy_rows_per_second,
        f.copy_bytes as f64 / 1e6
    );
    for x in &f.formats {
        let _ = writeln!(
            md,
            "| export {} | {} | {:.1} | {:.0} | {:.2} | {:.0} MB | {:.0} → {:.0} MiB |",
            x.format.to_uppercase(),
            x.rows,
            x.seconds,
            x.rows_per_second,
            x.ratio,
            x.file_bytes as f64 / 1e6,
            x.rss_before_mb,
            x.rss_peak_mb
        );
    }
    let grew = f
        .formats
        .iter()
        .map(|x| x.rss_peak_mb - x.rss_before_mb)
        .fold(0.0_f64, f64::max);
    let largest = f.formats.iter().map(|x| x.file_bytes).max().unwrap_or(0) as f64 / 1e6;
    let _ = writeln!(
        md,
        "\nMemory: the largest growth while a job ran was {grew:.0} MiB, for files of up to \
         {largest:.0} MB: the rows are never all in memory {}.",
        if grew < largest.max(64.0) / 2.0 {
            "✅"
        } else {
            "❌"
        }
    );
    let path = dir.join(format!("{stem}.md"));
    std::fs::write(&path, &md)?;
    Ok(path)
}

/// The registry's search and pages beside the same SQL through `pgbench` (crate::search):
/// the generated registry put into the demo's `interieur` tenant while the server serves it;
/// the report goes to `loadtests/reports/…-search.md`.
pub(crate) async fn search(
    options: &RunOptions,
    rows: usize,
    seconds: u64,
) -> anyhow::Result<PathBuf> {
    use std::fmt::Write as _;
    let base = format!("http://127.0.0.1:{HTTP_PORT}");
    let (mut server, pid, generated) = start(options, &base).await?;
    let measured = async {
        let cluster = cluster(options).await?;
        let sophie = Agent::login(&base, "demo-sophie.petit").await?;
        let target = crate::search::Target {
            cluster: &cluster,
            database: DEMO_DATABASE,
            base: &base,
            cookie: &sophie.cookie(),
            dir: &options.dir,
        };
        crate::search::measure(&target, options.volume.seed, rows, seconds).await
    }
    .await;
    stop(&mut server, pid).await;
    let f = measured?;
    let (dir, stem, commit) = write_figures(options, "search", &f).await?;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Registry search and pages beside pgbench ({commit})\n"
    );
    let _ = writeln!(
        md,
        "`loadtests/search.sh`: the import benchmark's generated registry (seed {}, {} valid \
         laureates, {} words in the search's index) put into the demo's `interieur` tenant of \
         a fresh copy of the base database (the demo and the shared volume: {}) by COPY, \
         while `napoleon demo` (release) serves it; then, for each scenario, an intégratrice's \
         `/promotion/registre` pages from {} connections for {} s (100 asks drawn from the \
         registry, each connection walking them from its own start), and `pgbench -f` of the \
         same statements for the same asks (the page's laureates and their awards as one \
         statement, in a transaction with the tenant set, as the application role under \
         forced row-level security), at the same concurrency, for the same time. {}.\n",
        options.volume.seed,
        f.laureates,
        f.words,
        serde_json::to_string(&generated)?,
        f.connections,
        f.seconds,
        machine()
    );
    let _ = writeln!(
        md,
        "| scenario | side | requests/s | p50 ms | p95 ms | p99 ms | errors |\n\
         |---|---|---|---|---|---|---|"
    );
    for s in &f.scenarios {
        for (side, l) in [
            ("Napoléon (page)", &s.napoleon),
            ("pgbench -f (SQL)", &s.pgbench),
        ] {
            let _ = writeln!(
                md,
                "| {} | {side} | {:.0} | {:.1} | {:.1} | {:.1} | {} |",
                s.name, l.per_second, l.p50_ms, l.p95_ms, l.p99_ms, l.errors
            );
        }
    }
    let _ = writeln!(
        md,
        "\n| scenario | asks finding laureates | p95 under 50 ms | p95 ÷ SQL's p95 (target ≤ 2) |\n\
         |---|---|---|---|"
    );
    for s in &f.scenarios {
        let _ = writeln!(
            md,
            "| {} | {}/100 | {:.1} ms {} | {:.2} {} |",
            s.name,
            s.asks_with_rows,
            s.napoleon.p95_ms,
            if s.napoleon.p95_ms < 50.0 {
                "✅"
            } else {
                "❌"
            },
            s.ratio,
            if s.ratio <= 2.0 { "✅" } else { "❌" }
        );
    }
    let path = dir.join(format!("{stem}.md"));
    std::fs::write(&path, &md)?;
    Ok(path)
}

/// The soak: the latency mix for `minutes` on the same database as a run, the server's
/// memory and CPU sampled every 10 s; its report goes to `loadtests/reports/soak-…`.
pub(crate) async fn soak(options: &RunOptions, minutes: u64) -> anyhow::Result<PathBuf> {
    let base = format!("http://127.0.0.1:{HTTP_PORT}");
    let (mut server, pid, _) = start(options, &base).await?;
    let soaked = soak_measure(&base, pid, minutes).await;
    stop(&mut server, pid).await;
    crate::soak::write_report(
        &options.loadtests.join("reports"),
        &soaked?,
        git_commit().await,
    )
}

async fn soak_measure(base: &str, pid: u32, minutes: u64) -> anyhow::Result<crate::soak::Soak> {
    let demo = Demo::login(base).await?;
    let setup = mix_setup(base, &demo).await?;
    let seconds = minutes * 60;
    eprintln!("==> the soak: the latency mix for {minutes} min, memory every 10 s");
    let (done, mut finished) = tokio::sync::oneshot::channel::<()>();
    let sampler = tokio::spawn(async move {
        let started = Instant::now();
        let sample = || crate::soak::Sample {
            at_s: started.elapsed().as_secs(),
            rss_server_mib: status_kib(pid, "VmRSS:").unwrap_or(0.0) / 1024.0,
            cpu_server_s: cpu_of(pid) as f64 / 100.0,
            cpu_postgres_s: postgres_cpu() as f64 / 100.0,
        };
        let mut samples = Vec::new();
        let mut ticks = tokio::time::interval(Duration::from_secs(10));
        loop {
            tokio::select! {
                _ = ticks.tick() => samples.push(sample()),
                _ = &mut finished => {
                    samples.push(sample());
                    return samples;
                }
            }
        }
    });
    let mix = mix::measure(base, setup, CONNECTIONS as usize, seconds as usize).await;
    let _ = done.send(());
    let samples = sampler.await.unwrap_or_default();
    let mut mix = mix?;
    if let (Some(first), Some(last)) = (samples.first(), samples.last()) {
        mix.cpu_server_s = last.cpu_server_s - first.cpu_server_s;
        mix.cpu_postgres_s = last.cpu_postgres_s - first.cpu_postgres_s;
    }
    Ok(crate::soak::Soak {
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        machine: machine(),
        minutes,
        samples,
        peak_rss_server_mib: status_kib(pid, "VmHWM:").unwrap_or(0.0) / 1024.0,
        mix,
    })
}

/// The run's database afresh and `napoleon demo` serving it: the demo's ministries and
/// activity with the volume beside them, kept as `napoleon_base` after the first run and
/// copied afresh every time (the runs create and submit dossiers, which would otherwise pile
/// up in the next run's pages).
async fn start(
    options: &RunOptions,
    base: &str,
) -> anyhow::Result<(tokio::process::Child, u32, volume::Generated)> {
    std::fs::create_dir_all(&options.dir)?;
    let generated = {
        let cluster = cluster(options).await?;
        if has_database(&cluster, BASE_DATABASE).await? {
            volume_marker(options)?.context("napoleon_base without its volume marker")?
        } else {
            // First run: the demo seeds, the volume is loaded beside, and the whole is kept.
            let _ = drop_database(&cluster, DEMO_DATABASE).await;
            let (mut server, pid) = start_demo(options, base, "seed.log")?;
            let loaded = match wait_ready(base, &mut server).await {
                Ok(()) => load_volume(options, &cluster).await,
                Err(e) => Err(e),
            };
            stop(&mut server, pid).await;
            let generated = loaded?;
            let cluster = self::cluster(options).await?;
            let mut admin = cluster.connect_admin().await?;
            napoleon_db::roles::create_database(&mut admin, BASE_DATABASE, Some(DEMO_DATABASE))
                .await?;
            generated
        }
    };
    let cluster = cluster(options).await?;
    drop_database(&cluster, DEMO_DATABASE).await?;
    let mut admin = cluster.connect_admin().await?;
    napoleon_db::roles::create_database(&mut admin, DEMO_DATABASE, Some(BASE_DATABASE)).await?;
    drop(admin);
    let (mut server, pid) = start_demo(options, base, "server.log")?;
    if let Err(e) = wait_ready(base, &mut server).await {
        stop(&mut server, pid).await;
        return Err(e);
    }
    Ok((server, pid, generated))
}

/// The demo's database (`napoleon demo` serves from it), and the copy every run starts from.
const DEMO_DATABASE: &str = "napoleon";
const BASE_DATABASE: &str = "napoleon_base";

/// The run's cluster, started if it is not (the demo stops it when it exits).
async fn cluster(options: &RunOptions) -> anyhow::Result<LocalCluster> {
    Ok(LocalCluster::ensure(&ClusterOptions {
        dir: options.dir.join("pg"),
        port: PG_PORT,
        durability: Durability::Durable,
    })
    .await?)
}

async fn has_database(cluster: &LocalCluster, name: &str) -> anyhow::Result<bool> {
    let mut admin = cluster.connect_admin().await?;
    Ok(napoleon_db::roles::database_exists(&mut admin, name).await?)
}

/// A superuser's client on `database` of the run's cluster.
pub(crate) async fn admin_client(
    cluster: &LocalCluster,
    database: &str,
) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) =
        tokio_postgres::connect(cluster.admin_url(database).expose(), tokio_postgres::NoTls)
            .await?;
    tokio::spawn(connection);
    Ok(client)
}

async fn drop_database(cluster: &LocalCluster, name: &str) -> anyhow::Result<()> {
    let client = admin_client(cluster, "postgres").await?;
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    Ok(())
}

/// `napoleon demo` on the run's cluster, its output in `log`.
fn start_demo(
    options: &RunOptions,
    base: &str,
    log: &str,
) -> anyhow::Result<(tokio::process::Child, u32)> {
    let log = std::fs::File::create(options.dir.join(log))?;
    eprintln!("==> starting napoleon demo on {base}");
    let server = Command::new(&options.napoleon)
        .args(["demo", "--data-dir"])
        .arg(options.dir.join("pg"))
        .args(["--port", &PG_PORT.to_string()])
        .env_remove("NAPOLEON_CONFIG")
        .env_remove("DATABASE_URL")
        .env("NAPOLEON__SERVER__BIND", format!("127.0.0.1:{HTTP_PORT}"))
        .env("NAPOLEON__SERVER__PUBLIC_URL", base)
        .env("NAPOLEON__LOG__FILTER", "warn")
        .env("OTEL_SDK_DISABLED", "true")
        .envs(RAISED_LIMITS)
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .context("starting napoleon demo")?;
    let pid = server.id().context("the server's pid")?;
    Ok((server, pid))
}

/// Everything measured against the running server (`pid`).
async fn measure_all(
    options: &RunOptions,
    base: &str,
    pid: u32,
    generated: volume::Generated,
) -> anyhow::Result<Report> {
    let cluster = cluster(options).await?;

    let pgbench_url = cluster.admin_url("pgbench");
    prepare_pgbench(&cluster, pgbench_url.expose()).await?;
    let pgbench_before = pgbench_figures(pgbench_url.expose(), options.seconds).await?;

    eprintln!("==> logging the demo agents in, preparing the dossiers to submit");
    let mut demo = Demo::login(base).await?;
    // Above what a submission reaches here (994/s at cf82479): a run that used every draft
    // would count its later requests as errors. The two ministries' figure shares it.
    let per_second_guess = 2000;
    let count = (options.seconds as usize) * per_second_guess;
    let wanted = |name: &str| {
        options.only.is_empty() || options.only.iter().any(|o| name.contains(o.as_str()))
    };
    let mut single = Vec::new();
    let mut multi = Vec::new();
    if wanted(SUBMIT_ONE) || wanted(SUBMIT_TWO) {
        let (one, (paul_part, emma_part)) = {
            let paul_drafts = async {
                let one = if wanted(SUBMIT_ONE) {
                    prepare_drafts(&mut demo.paul, &demo.campaign, count).await?
                } else {
                    Vec::new()
                };
                let part = if wanted(SUBMIT_TWO) {
                    prepare_drafts(&mut demo.paul, &demo.campaign, count / 2).await?
                } else {
                    Vec::new()
                };
                anyhow::Ok((one, part))
            };
            let emma_drafts = async {
                if wanted(SUBMIT_TWO) {
                    prepare_drafts(&mut demo.emma, &demo.culture_campaign, count / 2).await
                } else {
                    Ok(Vec::new())
                }
            };
            let (p, e) = tokio::try_join!(paul_drafts, emma_drafts)?;
            (p.0, (p.1, e))
        };
        single = one
            .into_iter()
            .map(|id| (id, Session::from(&demo.paul)))
            .collect();
        // In pairs, so that each of wrk's two threads (every other line) sends for both.
        for (pair_p, pair_e) in paul_part.chunks(2).zip(emma_part.chunks(2)) {
            multi.extend(
                pair_p
                    .iter()
                    .map(|id| (id.clone(), Session::from(&demo.paul))),
            );
            multi.extend(
                pair_e
                    .iter()
                    .map(|id| (id.clone(), Session::from(&demo.emma))),
            );
        }
    }
    let ids_file = options.dir.join("drafts.txt");
    write_lines(&ids_file, &single)?;
    let multi_file = options.dir.join("drafts-two-ministries.txt");
    write_lines(&multi_file, &multi)?;

    let scenarios = [
        Scenario::get("healthz", "/healthz", None, 64, None, None),
        Scenario::get(
            "dossier JSON read",
            &format!("/intake/api/v1/dossiers/{}", demo.shown),
            Some(&demo.paul),
            CONNECTIONS,
            Some(Baseline::Select),
            Some(0.2),
        ),
        Scenario::get(
            "dossier page",
            &format!("/instruction/dossiers/{}", demo.shown),
            Some(&demo.claire),
            CONNECTIONS,
            Some(Baseline::Select),
            Some(0.1),
        ),
        Scenario::get(
            "queue page",
            "/instruction/dossiers",
            Some(&demo.claire),
            CONNECTIONS,
            Some(Baseline::Select),
            Some(0.05),
        ),
        Scenario {
            name: "new draft",
            method: "POST",
            path: "/intake/api/v1/dossiers".to_owned(),
            body: serde_json::json!({"campaign_id": demo.campaign}).to_string(),
            cookie: demo.paul.cookie(),
            csrf: demo.paul.csrf.clone(),
            connections: CONNECTIONS,
            ids: None,
            baseline: Some(Baseline::TpcB),
            target: None,
        },
        Scenario {
            name: SUBMIT_ONE,
            method: "POST",
            path: "/intake/api/v1/dossiers/{id}/submit".to_owned(),
            body: String::new(),
            // Each line of the file carries its sender's session (`each.lua`).
            cookie: String::new(),
            csrf: String::new(),
            connections: CONNECTIONS,
            ids: Some(ids_file),
            baseline: Some(Baseline::TpcB),
            target: Some(0.2),
        },
        Scenario {
            name: SUBMIT_TWO,
            method: "POST",
            path: "/intake/api/v1/dossiers/{id}/submit".to_owned(),
            body: String::new(),
            cookie: String::new(),
            csrf: String::new(),
            connections: CONNECTIONS,
            ids: Some(multi_file),
            baseline: Some(Baseline::TpcB),
            target: None,
        },
    ];
    let mut http = Vec::new();
    let analyst = admin_client(&cluster, DEMO_DATABASE).await?;
    let chosen = scenarios.iter().filter(|s| wanted(s.name));
    for scenario in chosen {
        // Statistics as autovacuum keeps them in a steady state: the runs add thousands of
        // dossiers to one small tenant, and with stale statistics the planner takes a
        // tenant-wide index for a primary-key lookup (seen: a submission at 100 ms).
        analyst.batch_execute("ANALYZE").await?;
        eprintln!(
            "==> {} ({} connections)",
            scenario.name, scenario.connections
        );
        http.push(scenario.measure(options, pid).await?);
    }
    let mix = if wanted(MIX) {
        analyst.batch_execute("ANALYZE").await?;
        eprintln!("==> the latency mix ({CONNECTIONS} agents, goose)");
        let setup = mix_setup(base, &demo).await?;
        let cpu_before = (cpu_of(pid), postgres_cpu());
        let mut report =
            mix::measure(base, setup, CONNECTIONS as usize, options.seconds as usize).await?;
        report.cpu_server_s = cpu_of(pid).saturating_sub(cpu_before.0) as f64 / 100.0;
        report.cpu_postgres_s = postgres_cpu().saturating_sub(cpu_before.1) as f64 / 100.0;
        Some(report)
    } else {
        None
    };
    let pgbench_after = pgbench_figures(pgbench_url.expose(), options.seconds).await?;
    // The ratios use the mean of PostgreSQL's figures before and after, the machine being
    // shared and noisy.
    for figure in &mut http {
        if let Some(name) = figure.baseline {
            let tps = [&pgbench_before, &pgbench_after]
                .iter()
                .filter_map(|set| set.iter().find(|p| p.name == name).map(|p| p.tps))
                .sum::<f64>()
                / 2.0;
            figure.ratio = Some(figure.req_per_s / tps);
        }
    }
    let peak = status_kib(pid, "VmHWM:").unwrap_or(0.0) / 1024.0;
    Ok(Report {
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        commit: git_commit().await,
        machine: machine(),
        seconds_per_measurement: options.seconds,
        volume: generated,
        volume_seed: options.volume.seed,
        raised_limits: RAISED_LIMITS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        pgbench_before,
        pgbench_after,
        http,
        mix,
        peak_rss_server_mib: peak,
    })
}

/// Ctrl-C: the demo stops its PostgreSQL on the way out (a kill would leave it running, its
/// port taken for the next run).
async fn stop(server: &mut tokio::process::Child, pid: u32) {
    let _ = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .await;
    if tokio::time::timeout(Duration::from_secs(60), server.wait())
        .await
        .is_err()
    {
        let _ = server.start_kill();
        let _ = server.wait().await;
    }
}

async fn wait_ready(base: &str, server: &mut tokio::process::Child) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(900) {
        if let Some(status) = server.try_wait()? {
            bail!("napoleon demo exited ({status}); see its log");
        }
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("napoleon demo did not become ready")
}

/// The volume this directory holds, if any; an error if it is not the one asked for.
fn volume_marker(options: &RunOptions) -> anyhow::Result<Option<volume::Generated>> {
    let Ok(text) = std::fs::read_to_string(options.dir.join("volume.json")) else {
        return Ok(None);
    };
    let (key, generated) = serde_json::from_str::<(String, volume::Generated)>(&text)?;
    let wanted = volume_key(options);
    if key != wanted {
        bail!(
            "{} holds another volume ({key}); remove the directory to load {wanted}",
            options.dir.display()
        );
    }
    eprintln!("==> volume already loaded ({wanted})");
    Ok(Some(generated))
}

fn volume_key(options: &RunOptions) -> String {
    format!(
        "{}/{}/{}/{}",
        options.volume.seed,
        options.volume.tenants,
        options.volume.dossiers,
        options.volume.laureates
    )
}

/// Loads the volume into the demo's database (seeded, not yet measured).
async fn load_volume(
    options: &RunOptions,
    cluster: &LocalCluster,
) -> anyhow::Result<volume::Generated> {
    let wanted = volume_key(options);
    eprintln!("==> loading the volume ({wanted}: seed/tenants/dossiers/laureates) with COPY");
    let started = Instant::now();
    let generated =
        volume::generate(cluster.admin_url(DEMO_DATABASE).expose(), options.volume).await?;
    eprintln!("    done in {:.0} s", started.elapsed().as_secs_f64());
    std::fs::write(
        options.dir.join("volume.json"),
        serde_json::to_string(&(wanted, generated))?,
    )?;
    Ok(generated)
}

async fn prepare_pgbench(cluster: &LocalCluster, url: &str) -> anyhow::Result<()> {
    let client = admin_client(cluster, "postgres").await?;
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = 'pgbench'", &[])
        .await?
        .is_some();
    if !exists {
        client.batch_execute("CREATE DATABASE pgbench").await?;
    }
    eprintln!("==> pgbench -i -s 10");
    let out = Command::new("pgbench")
        .args(["-i", "-s", "10", "-q", url])
        .output()
        .await
        .context("pgbench (postgresql-contrib)")?;
    if !out.status.success() {
        bail!("pgbench -i: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

async fn pgbench_figures(url: &str, seconds: u64) -> anyhow::Result<Vec<PgFigure>> {
    let mut figures = Vec::new();
    for (name, select) in [("pgbench -S", true), ("pgbench TPC-B", false)] {
        eprintln!("==> {name}, {CONNECTIONS} clients");
        let mut command = Command::new("pgbench");
        command.args([
            "-c",
            &CONNECTIONS.to_string(),
            "-j",
            &WRK_THREADS.to_string(),
            "-T",
            &seconds.to_string(),
            "-n",
        ]);
        if select {
            command.arg("-S");
        }
        let out = command.arg(url).output().await?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            bail!("{name}: {}", String::from_utf8_lossy(&out.stderr));
        }
        let number_after = |label: &str| {
            text.lines()
                .find(|l| l.starts_with(label))
                .and_then(|l| l.split('=').nth(1))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<f64>().ok())
        };
        figures.push(PgFigure {
            name,
            clients: CONNECTIONS,
            tps: number_after("tps").context("pgbench's tps")?,
            mean_latency_ms: number_after("latency average").unwrap_or(0.0),
        });
    }
    Ok(figures)
}

async fn open_campaign(paul: &mut Agent) -> anyhow::Result<String> {
    let today = chrono::Utc::now().date_naive().to_string();
    let campaigns = paul.get_json("/intake/api/v1/campaigns").await?;
    campaigns
        .as_array()
        .and_then(|list| {
            list.iter().find(|c| {
                c["distinction"] == "LH"
                    && c["opens_on"].as_str().is_some_and(|o| *o <= *today)
                    && c["closes_on"].as_str().is_some_and(|c| *c >= *today)
            })
        })
        .and_then(|c| c["id"].as_str())
        .map(ToOwned::to_owned)
        .context("an open LH campaign in the demo")
}

/// The lines of `each.lua`: a dossier, and the session that sends it.
fn write_lines(path: &Path, lines: &[(String, Session)]) -> anyhow::Result<()> {
    let text: String = lines
        .iter()
        .map(|(id, s)| format!("{id}\t{}\t{}\n", s.cookie(), s.csrf()))
        .collect();
    std::fs::write(path, text)?;
    Ok(())
}

/// The demo's agents the measurements start from: the two ministries' rédacteurs and the
/// instructrice logged in, the dossier everyone reads (the first of Claire's queue, in the
/// Rhône where Paul files) and both ministries' open campaigns.
struct Demo {
    paul: Agent,
    emma: Agent,
    claire: Agent,
    shown: String,
    campaign: String,
    culture_campaign: String,
}

impl Demo {
    async fn login(base: &str) -> anyhow::Result<Self> {
        let mut paul = Agent::login(base, "demo-paul.bernard").await?;
        let mut emma = Agent::login(base, "demo-emma.lefort").await?;
        let mut claire = Agent::login(base, "demo-claire.martin").await?;
        let shown = claire
            .get_json("/instruction/api/v1/queue?tab=todo")
            .await?
            .as_array()
            .and_then(|q| {
                q.iter()
                    .find_map(|d| d["id"].as_str().map(ToOwned::to_owned))
            })
            .context("a dossier in Claire's queue")?;
        let campaign = open_campaign(&mut paul).await?;
        let culture_campaign = open_campaign(&mut emma).await?;
        Ok(Self {
            paul,
            emma,
            claire,
            shown,
            campaign,
            culture_campaign,
        })
    }
}

/// The mix's agents: the demo's, with the valideur and the intégratrice logged in now.
async fn mix_setup(base: &str, demo: &Demo) -> anyhow::Result<mix::Setup> {
    let hugo = Agent::login(base, "demo-hugo.leroy").await?;
    let sophie = Agent::login(base, "demo-sophie.petit").await?;
    Ok(mix::Setup {
        paul: (&demo.paul).into(),
        emma: (&demo.emma).into(),
        claire: (&demo.claire).into(),
        hugo: (&hugo).into(),
        sophie: (&sophie).into(),
        shown: demo.shown.clone(),
        interior_campaign: demo.campaign.clone(),
        culture_campaign: demo.culture_campaign.clone(),
    })
}

/// Complete, eligible drafts for the submit scenarios, created through the API.
async fn prepare_drafts(
    agent: &mut Agent,
    campaign: &str,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let content = mix::complete_content(n as u64);
        let created = agent
            .post_json(
                "/intake/api/v1/dossiers",
                &serde_json::json!({"campaign_id": campaign, "content": content}),
            )
            .await?;
        ids.push(
            created["id"]
                .as_str()
                .context("the created draft's id")?
                .to_owned(),
        );
    }
    Ok(ids)
}

#[derive(Debug, Clone, Copy)]
enum Baseline {
    Select,
    TpcB,
}

impl Baseline {
    fn name(self) -> &'static str {
        match self {
            Baseline::Select => "pgbench -S",
            Baseline::TpcB => "pgbench TPC-B",
        }
    }
}

#[derive(Debug)]
struct Scenario {
    name: &'static str,
    method: &'static str,
    path: String,
    body: String,
    /// The session's cookie and CSRF token (`request.lua`; empty with `ids`).
    cookie: String,
    csrf: String,
    connections: u32,
    /// For `each.lua`: the file of lines (id, cookie, CSRF token), one request per line.
    ids: Option<PathBuf>,
    baseline: Option<Baseline>,
    target: Option<f64>,
}

impl Scenario {
    fn get(
        name: &'static str,
        path: &str,
        agent: Option<&Agent>,
        connections: u32,
        baseline: Option<Baseline>,
        target: Option<f64>,
    ) -> Self {
        Self {
            name,
            method: "GET",
            path: path.to_owned(),
            body: String::new(),
            cookie: agent.map(Agent::cookie).unwrap_or_default(),
            csrf: String::new(),
            connections,
            ids: None,
            baseline,
            target,
        }
    }

    async fn measure(&self, options: &RunOptions, server: u32) -> anyhow::Result<HttpFigure> {
        let scripts = options.loadtests.join("scripts");
        let script = options
            .dir
            .join(format!("{}.lua", self.name.replace(' ', "_")));
        let scenario = if self.ids.is_some() {
            "each.lua"
        } else {
            "request.lua"
        };
        std::fs::write(
            &script,
            std::fs::read_to_string(scripts.join(scenario))?
                + std::fs::read_to_string(scripts.join("report.lua"))?.as_str(),
        )?;
        let stat = options.dir.join("wrk.stat");
        let perf = if options.perf {
            let data = options
                .dir
                .join(format!("perf-{}.data", self.name.replace(' ', "_")));
            Some(
                Command::new("perf")
                    .args(["record", "-F", "999", "-g", "-o"])
                    .arg(data)
                    .args(["-p", &server.to_string(), "--", "sleep"])
                    .arg(options.seconds.to_string())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .context("perf record")?,
            )
        } else {
            None
        };
        let before = (cpu_of(server), postgres_cpu());
        // `sh` waits for wrk, then reads its own accounting: wrk's CPU is its children's.
        let out = Command::new("sh")
            .args([
                "-c",
                r#"wrk "$@"; code=$?; cat /proc/$$/stat > "$LT_STAT"; exit $code"#,
                "sh",
                "-t",
                &WRK_THREADS.to_string(),
                "-c",
                &self.connections.to_string(),
                "-d",
                &format!("{}s", options.seconds),
                "-s",
            ])
            .arg(&script)
            .arg(format!(
                "http://127.0.0.1:{HTTP_PORT}{}",
                self.path.replace("{id}", "x")
            ))
            .env("LT_STAT", &stat)
            .env("LT_METHOD", self.method)
            .env("LT_PATH", &self.path)
            .env("LT_BODY", &self.body)
            .env("LT_COOKIE", &self.cookie)
            .env("LT_CSRF", &self.csrf)
            .env("LT_THREADS", WRK_THREADS.to_string())
            .env("LT_IDS", self.ids.clone().unwrap_or_default())
            .output()
            .await
            .context("wrk (apt install wrk)")?;
        let after = (cpu_of(server), postgres_cpu());
        if let Some(mut perf) = perf {
            perf.wait().await?;
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("LTJSON "))
            .with_context(|| {
                format!(
                    "{}: wrk said {text} {}",
                    self.name,
                    String::from_utf8_lossy(&out.stderr)
                )
            })?;
        let r: serde_json::Value = serde_json::from_str(line)?;
        let num = |k: &str| r[k].as_f64().unwrap_or(0.0);
        let requests = num("requests");
        let seconds = num("duration_us") / 1e6;
        let req_per_s = if seconds > 0.0 {
            requests / seconds
        } else {
            0.0
        };
        let client_cpu = std::fs::read_to_string(&stat)
            .ok()
            .and_then(|s| stat_fields(&s).map(|f| (f.child_ticks) as f64 / 100.0))
            .unwrap_or(0.0);
        let baseline = self.baseline.map(Baseline::name);
        Ok(HttpFigure {
            name: self.name,
            route: format!("{} {}", self.method, self.path),
            connections: self.connections,
            requests: requests as u64,
            req_per_s,
            non_2xx: num("non_2xx") as u64,
            socket_errors: num("socket_errors") as u64,
            p50_ms: num("p50_us") / 1000.0,
            p95_ms: num("p95_us") / 1000.0,
            p99_ms: num("p99_us") / 1000.0,
            baseline,
            // Against the mean of PostgreSQL's figures before and after: set once both exist.
            ratio: None,
            target: self.target,
            cpu_client_s: client_cpu,
            cpu_server_s: after.0.saturating_sub(before.0) as f64 / 100.0,
            // A backend that exits between the two readings may lose its ticks until it is reaped.
            cpu_postgres_s: after.1.saturating_sub(before.1) as f64 / 100.0,
            rss_server_mib: status_kib(server, "VmRSS:").unwrap_or(0.0) / 1024.0,
        })
    }
}

/// Fields of `/proc/<pid>/stat` the report uses, in clock ticks (100 per second).
struct StatFields {
    comm: String,
    ppid: u32,
    own_ticks: u64,
    child_ticks: u64,
}

fn stat_fields(text: &str) -> Option<StatFields> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let rest: Vec<&str> = text.get(close + 2..)?.split_whitespace().collect();
    // After the command: state (3), ppid (4), … utime (14), stime (15), cutime (16), cstime (17).
    let n = |i: usize| rest.get(i - 3).and_then(|v| v.parse::<u64>().ok());
    Some(StatFields {
        comm: text.get(open + 1..close)?.to_owned(),
        ppid: u32::try_from(n(4)?).ok()?,
        own_ticks: n(14)? + n(15)?,
        child_ticks: n(16)? + n(17)?,
    })
}

fn cpu_of(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| stat_fields(&s))
        .map_or(0, |f| f.own_ticks)
}

/// PostgreSQL's CPU so far: every live `postgres` process, plus what the postmaster has
/// reaped of its finished children.
fn postgres_cpu() -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let all: Vec<(u32, StatFields)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            Some((pid, stat_fields(&s)?))
        })
        .filter(|(_, f)| f.comm == "postgres")
        .collect();
    all.iter()
        .map(|(_, f)| {
            let postmaster = !all.iter().any(|(pid, _)| *pid == f.ppid);
            f.own_ticks + if postmaster { f.child_ticks } else { 0 }
        })
        .sum()
}

fn status_kib(pid: u32, field: &str) -> Option<f64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

async fn git_commit() -> String {
    Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .await
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    format!(
        "{cpus} CPUs, {memory:.0} GiB, shared: the load client, the server and PostgreSQL compete for them"
    )
}

fn write_report(dir: &Path, report: &Report) -> anyhow::Result<PathBuf> {
    use std::fmt::Write as _;
    std::fs::create_dir_all(dir)?;
    let stem = format!(
        "{}-{}",
        chrono::Utc::now().format("%Y-%m-%d-%H%M"),
        if report.commit.is_empty() {
            "local"
        } else {
            &report.commit
        }
    );
    std::fs::write(
        dir.join(format!("{stem}.json")),
        serde_json::to_string_pretty(report)?,
    )?;
    let mut md = String::new();
    let _ = writeln!(md, "# Load test {} ({})\n", report.date, report.commit);
    let _ = writeln!(
        md,
        "`loadtests/run.sh`: `napoleon demo` in release (every service in one process, one \
         database role each), {} s per measurement, wrk with {WRK_THREADS} threads. {}. \
         Volume (seed {}): {}.\n",
        report.seconds_per_measurement,
        report.machine,
        report.volume_seed,
        serde_json::to_string(&report.volume)?
    );
    let _ = writeln!(md, "## PostgreSQL's own figures (same cluster, same run)\n");
    let _ = writeln!(
        md,
        "| | clients | tps before | tps after | mean latency (ms, before) |\n|---|---|---|---|---|"
    );
    for (b, a) in report.pgbench_before.iter().zip(&report.pgbench_after) {
        let _ = writeln!(
            md,
            "| {} | {} | {:.0} | {:.0} | {:.2} |",
            b.name, b.clients, b.tps, a.tps, b.mean_latency_ms
        );
    }
    let _ = writeln!(md, "\n## Napoléon\n");
    let _ = writeln!(
        md,
        "| scenario | route | conns | req/s | ratio | target | p50 / p95 / p99 (ms) | errors | CPU s: wrk / server / PG | RSS MiB |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    for h in &report.http {
        let ratio = h.ratio.map_or("—".to_owned(), |r| {
            format!("{r:.3} × {}", h.baseline.unwrap_or_default())
        });
        let target = h.target.map_or("—".to_owned(), |t| {
            let met = h.ratio.is_some_and(|r| r >= t);
            format!("≥ {t} {}", if met { "✅" } else { "❌" })
        });
        let _ = writeln!(
            md,
            "| {} | `{}` | {} | {:.0} | {} | {} | {:.1} / {:.1} / {:.1} | {} | {:.1} / {:.1} / {:.1} | {:.0} |",
            h.name,
            h.route,
            h.connections,
            h.req_per_s,
            ratio,
            target,
            h.p50_ms,
            h.p95_ms,
            h.p99_ms,
            h.non_2xx + h.socket_errors,
            h.cpu_client_s,
            h.cpu_server_s,
            h.cpu_postgres_s,
            h.rss_server_mib
        );
    }
    if let Some(mix) = &report.mix {
        mix::write_markdown(&mut md, mix);
    }
    let _ = writeln!(
        md,
        "\nPeak RSS of the server: {:.0} MiB (target < 150). Ratios use the mean of \
         PostgreSQL's figures before and after. Raised limits: {}.",
        report.peak_rss_server_mib,
        report
            .raised_limits
            .iter()
            .map(|(k, v)| format!("`{k}={v}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let path = dir.join(format!("{stem}.md"));
    std::fs::write(&path, &md)?;
    std::fs::write(dir.join("latest.md"), &md)?;
    Ok(path)
}
