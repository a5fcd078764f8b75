//! The registry's search and pages measured beside the same SQL through `pgbench` (issue 18).
//!
//! While `napoleon demo` serves a fresh copy of the run's base database, the import
//! benchmark's generated registry (the same seed: about a million laureates, surnames spread
//! as a registry's are) goes into the demo's `interieur` tenant by `COPY`. An intégratrice of
//! that tenant then reads `/promotion/registre` pages from `CONNECTIONS` connections at once
//! for a fixed time, in three scenarios of 100 asks each, drawn from the registry itself: a
//! name search (a surname, a surname and a given name, or a surname's first four letters), a
//! birth date, and a page of the registry after a laureate. Beside each, `pgbench -f` runs the
//! same statements (the page's laureates and their awards, as one statement, in a transaction
//! with the tenant set, as the application role under forced row-level security) for the same
//! 100 asks, at the same concurrency, for the same time. Each side's latencies give p50, p95
//! and p99; the report compares the p95s (target: under 50 ms, and no worse than 2 × the
//! SQL's).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde::Serialize;
use tokio::process::Command;

/// Connections of each side.
pub(crate) const CONNECTIONS: usize = 8;

/// Asks per scenario (`pgbench` takes at most 128 scripts).
const ASKS: usize = 100;

/// Laureates on a page (the page's own).
const PAGE: i32 = 51;

/// One side's latencies.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Latencies {
    pub(crate) count: usize,
    pub(crate) per_second: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p95_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) errors: usize,
}

impl Latencies {
    fn of(mut micros: Vec<u64>, seconds: f64, errors: usize) -> Self {
        micros.sort_unstable();
        let at = |q: f64| {
            if micros.is_empty() {
                return 0.0;
            }
            let i = ((micros.len() as f64 - 1.0) * q).round() as usize;
            micros[i.min(micros.len() - 1)] as f64 / 1000.0
        };
        Self {
            count: micros.len(),
            per_second: micros.len() as f64 / seconds,
            p50_ms: at(0.50),
            p95_ms: at(0.95),
            p99_ms: at(0.99),
            errors,
        }
    }
}

/// One scenario's figures.
#[derive(Debug, Serialize)]
pub(crate) struct Scenario {
    pub(crate) name: &'static str,
    pub(crate) napoleon: Latencies,
    pub(crate) pgbench: Latencies,
    /// Napoléon's p95 over the SQL's.
    pub(crate) ratio: f64,
    /// How many of the 100 asks found at least one laureate (the asks are the registry's).
    pub(crate) asks_with_rows: usize,
}

/// The benchmark's figures.
#[derive(Debug, Serialize)]
pub(crate) struct SearchFigures {
    pub(crate) laureates: usize,
    pub(crate) words: i64,
    pub(crate) connections: usize,
    pub(crate) seconds: u64,
    pub(crate) scenarios: Vec<Scenario>,
}

/// One ask: the page's query string, and the statement's parameters.
struct Ask {
    query: String,
    name: Option<String>,
    born: Option<String>,
    after: Option<String>,
}

/// A SQL literal.
fn literal(value: Option<&str>) -> String {
    value.map_or_else(
        || "NULL".to_owned(),
        |v| format!("'{}'", v.replace('\'', "''")),
    )
}

/// The page's statements as `pgbench` runs them: the tenant set, the page's laureates joined
/// to their awards (the page runs them as two statements in one transaction).
fn script(tenant: &str, ask: &Ask) -> String {
    let sql = if ask.name.is_some() {
        napoleon_db::contracts::REGISTRY_NAME_SEARCH
    } else {
        napoleon_db::contracts::REGISTRY_WALK
    };
    // The parameters, highest first ($1 is a prefix of none of the others: there are seven).
    let sql = sql
        .replace("$7", "NULL")
        .replace("$6", &literal(ask.born.as_deref()))
        .replace("$5", &PAGE.to_string())
        .replace("$4", &format!("{}::uuid", literal(ask.after.as_deref())))
        .replace("$3", "NULL")
        .replace("$2", &format!("{}::text", literal(ask.name.as_deref())))
        .replace("$1", &format!("'{tenant}'::uuid"));
    format!(
        "BEGIN;\nSELECT set_config('napoleon.tenant_id', '{tenant}', true);\n\
         WITH page AS ({sql}) SELECT p.id, p.identity, a.id, a.distinction, a.grade, \
         a.decree_date, a.jo_reference, a.reception_date FROM page p \
         LEFT JOIN registry.awards_v1 a ON a.tenant_id = '{tenant}'::uuid \
         AND a.laureate_id = p.id;\nCOMMIT;\n"
    )
}

/// A query string's value, percent-encoded (every byte but the unreserved ones).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The three scenarios' asks, drawn from the registry (deterministic: the laureates' ids come
/// from the generator's seeded stream).
async fn asks(
    client: &tokio_postgres::Client,
    tenant: &str,
) -> anyhow::Result<Vec<(&'static str, Vec<Ask>)>> {
    let people = client
        .query(
            "SELECT id::text, identity->>'birth_name', split_part(identity->>'given_names', ' ', 1), \
                    identity->>'birth_date' \
             FROM registry.laureates WHERE tenant_id = $1::text::uuid \
             ORDER BY md5(id::text) LIMIT $2",
            &[&tenant, &((ASKS * 3) as i64)],
        )
        .await?;
    if people.len() < ASKS * 3 {
        bail!("the registry holds {} laureates", people.len());
    }
    let mut names = Vec::new();
    let mut births = Vec::new();
    let mut pages = Vec::new();
    for (i, row) in people.iter().enumerate() {
        let (id, surname, given, born): (String, String, String, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        match i % 3 {
            0 => {
                // Typed as agents type: lower case, a given name, or the beginning only.
                let surname = surname.to_lowercase();
                let typed = match names.len() % 3 {
                    0 => surname,
                    1 => format!("{surname} {}", given.to_lowercase()),
                    _ => surname.chars().take(4).collect(),
                };
                names.push(Ask {
                    query: format!("nom={}", encode(&typed)),
                    name: Some(typed),
                    born: None,
                    after: None,
                });
            }
            1 => {
                let day = chrono::NaiveDate::parse_from_str(&born, "%Y-%m-%d")?;
                births.push(Ask {
                    query: format!("naissance={}", encode(&day.format("%d/%m/%Y").to_string())),
                    name: None,
                    born: Some(born),
                    after: None,
                });
            }
            _ => pages.push(Ask {
                query: format!("apres={id}"),
                name: None,
                born: None,
                after: Some(id),
            }),
        }
    }
    Ok(vec![
        ("recherche par nom", names),
        ("recherche par date de naissance", births),
        ("page du registre (après un lauréat)", pages),
    ])
}

/// The pages of `asks` from `CONNECTIONS` connections for `seconds`: each connection walks the
/// asks from its own starting point.
async fn http_side(
    base: &str,
    cookie: &str,
    asks: &[Ask],
    seconds: u64,
) -> anyhow::Result<(Latencies, usize)> {
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let urls: Vec<String> = asks
            .iter()
            .map(|a| format!("{base}/promotion/registre?{}", a.query))
            .collect();
        let cookie = cookie.to_owned();
        tasks.push(tokio::spawn(async move {
            let (mut micros, mut errors, mut with_rows) = (Vec::new(), 0_usize, Vec::new());
            let mut i = c * urls.len() / CONNECTIONS;
            while Instant::now() < until {
                let started = Instant::now();
                let answer = http
                    .get(&urls[i % urls.len()])
                    .header(reqwest::header::COOKIE, &cookie)
                    .send()
                    .await;
                match answer {
                    Ok(r) if r.status().is_success() => match r.text().await {
                        Ok(body) => {
                            micros.push(started.elapsed().as_micros() as u64);
                            if body.contains("<td") {
                                with_rows.push(i % urls.len());
                            }
                        }
                        Err(_) => errors += 1,
                    },
                    _ => errors += 1,
                }
                i += 1;
            }
            (micros, errors, with_rows)
        }));
    }
    let (mut micros, mut errors, mut with_rows) = (Vec::new(), 0, Vec::new());
    for task in tasks {
        let (m, e, w) = task.await?;
        micros.extend(m);
        errors += e;
        with_rows.extend(w);
    }
    with_rows.sort_unstable();
    with_rows.dedup();
    Ok((
        Latencies::of(micros, seconds as f64, errors),
        with_rows.len(),
    ))
}

/// The same statements through `pgbench -f`, one script per ask, at the same concurrency.
async fn pgbench_side(
    dir: &Path,
    url: &str,
    tenant: &str,
    name: &str,
    asks: &[Ask],
    seconds: u64,
) -> anyhow::Result<Latencies> {
    let scripts = dir.join("search-scripts");
    let _ = std::fs::remove_dir_all(&scripts);
    std::fs::create_dir_all(&scripts)?;
    let mut command = Command::new("pgbench");
    command.args([
        "-n",
        "-M",
        "simple",
        "-c",
        &CONNECTIONS.to_string(),
        "-j",
        "2",
        "-T",
        &seconds.to_string(),
        "-l",
        "--log-prefix",
    ]);
    command.arg(scripts.join("log"));
    for (i, ask) in asks.iter().enumerate() {
        let file = scripts.join(format!("ask-{i:03}.sql"));
        std::fs::write(&file, script(tenant, ask))?;
        command.arg("-f").arg(&file);
    }
    eprintln!("==> pgbench -f, {name}");
    let out = command
        .arg(url)
        .current_dir(&scripts)
        .output()
        .await
        .context("pgbench (postgresql-contrib)")?;
    if !out.status.success() {
        bail!("pgbench ({name}): {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let failed = text
        .lines()
        .find(|l| l.starts_with("number of failed transactions"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    // Per-transaction logs (`client transaction latency_us script epoch us`), one per thread.
    let mut micros = Vec::new();
    for entry in std::fs::read_dir(&scripts)? {
        let path = entry?.path();
        let is_log = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("log."));
        if !is_log {
            continue;
        }
        for line in std::fs::read_to_string(&path)?.lines() {
            if let Some(latency) = line.split_whitespace().nth(2).and_then(|v| v.parse().ok()) {
                micros.push(latency);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scripts);
    Ok(Latencies::of(micros, seconds as f64, failed))
}

/// Where the benchmark runs.
pub(crate) struct Target<'a> {
    /// The run's cluster and the database the server serves.
    pub(crate) cluster: &'a napoleon_db::cluster::LocalCluster,
    pub(crate) database: &'a str,
    /// The server, and an intégratrice's session cookie of the `interieur` tenant.
    pub(crate) base: &'a str,
    pub(crate) cookie: &'a str,
    /// Where `pgbench`'s scripts and logs go.
    pub(crate) dir: &'a Path,
}

/// The benchmark: the generated registry (`seed`, `rows`) into the served database, then each
/// scenario for `seconds` on each side.
pub(crate) async fn measure(
    target: &Target<'_>,
    seed: u64,
    rows: usize,
    seconds: u64,
) -> anyhow::Result<SearchFigures> {
    let Target {
        cluster,
        database,
        base,
        cookie,
        dir,
    } = *target;
    let today = chrono::Utc::now().date_naive();
    let mut client = crate::run::admin_client(cluster, database).await?;
    eprintln!("==> the generated registry (seed {seed}, {rows} rows) into `interieur` by COPY");
    let (laureates, _) = crate::import::copy_registry(&mut client, seed, rows, today).await?;
    // As autovacuum would leave it: statistics, and the visibility map of index-only scans.
    client
        .batch_execute(
            "VACUUM ANALYZE registry.laureates, registry.laureate_words, registry.awards",
        )
        .await?;
    let tenant = crate::import::interieur(&client).await?;
    let words: i64 = client
        .query_one(
            "SELECT count(*) FROM registry.laureate_words WHERE tenant_id = $1::text::uuid",
            &[&tenant],
        )
        .await?
        .get(0);
    let url = cluster.app_url(database);
    let mut scenarios = Vec::new();
    for (name, asks) in asks(&client, &tenant).await? {
        eprintln!("==> {name}, {CONNECTIONS} connections, {seconds} s");
        let (napoleon, asks_with_rows) = http_side(base, cookie, &asks, seconds).await?;
        let pgbench = pgbench_side(dir, url.expose(), &tenant, name, &asks, seconds).await?;
        let ratio = if pgbench.p95_ms > 0.0 {
            napoleon.p95_ms / pgbench.p95_ms
        } else {
            0.0
        };
        eprintln!("    Napoléon {napoleon:?}\n    pgbench {pgbench:?}");
        scenarios.push(Scenario {
            name,
            napoleon,
            pgbench,
            ratio,
            asks_with_rows,
        });
    }
    Ok(SearchFigures {
        laureates,
        words,
        connections: CONNECTIONS,
        seconds,
        scenarios,
    })
}
