//! The registry's export measured beside `COPY TO` (issue 18).
//!
//! On a fresh copy of the run's base database, the import benchmark's generated registry (the
//! same seed, its valid rows: about a million laureates) goes into the demo's `interieur`
//! tenant with `COPY FROM`. Then, for each format, the `promotion.export` job of an
//! intégrateur of that tenant (every column, the whole registry) runs in this process as the
//! worker runs it (the worker's database role, a local object store), while this process's
//! resident memory is sampled: the export must stay within a bounded memory whatever its
//! size. Beside it, `COPY (SELECT …) TO STDOUT` of the same rows (the same joins, the same
//! order) as CSV, as the superuser. Rows per second of each, their ratio, the file's size and
//! the peak memory go to the report.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use futures_util::StreamExt as _;
use serde::Serialize;
use serde_json::json;

/// One format's figures.
#[derive(Debug, Serialize)]
pub(crate) struct FormatFigures {
    pub(crate) format: &'static str,
    pub(crate) rows: u64,
    pub(crate) seconds: f64,
    pub(crate) rows_per_second: f64,
    /// Of `COPY TO`'s rows per second.
    pub(crate) ratio: f64,
    pub(crate) file_bytes: u64,
    /// Resident memory before the job, and at its peak while it ran.
    pub(crate) rss_before_mb: f64,
    pub(crate) rss_peak_mb: f64,
}

/// The benchmark's figures.
#[derive(Debug, Serialize)]
pub(crate) struct ExportFigures {
    pub(crate) laureates: usize,
    pub(crate) copy_rows: u64,
    pub(crate) copy_seconds: f64,
    pub(crate) copy_rows_per_second: f64,
    pub(crate) copy_bytes: u64,
    pub(crate) formats: Vec<FormatFigures>,
}

/// Resident memory of this process, in kB (`VmRSS`).
fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// The same rows as the export, in the same order, by `COPY TO` (every column the export
/// writes, read from the same tables).
const COPY_TO: &str = "COPY (SELECT l.identity->>'birth_name', l.identity->>'usual_name', \
    l.identity->>'given_names', l.identity->>'sex', l.identity->>'birth_date', \
    l.identity->>'birth_place', l.identity->>'nationality', a.distinction, a.distinction, \
    a.grade, a.decree_date, a.jo_reference, a.reception_date \
    FROM registry.laureates l JOIN registry.awards a \
      ON a.tenant_id = l.tenant_id AND a.laureate_id = l.id \
    WHERE l.tenant_id = (SELECT id FROM core.tenants WHERE slug = 'interieur') \
    ORDER BY l.sort_name, l.id, a.decree_date) TO STDOUT (FORMAT csv, DELIMITER ';')";

/// The benchmark on `cluster`, from the base database `base`.
pub(crate) async fn measure(
    cluster: &napoleon_db::cluster::LocalCluster,
    base: &str,
    dir: &Path,
    seed: u64,
    rows: usize,
) -> anyhow::Result<ExportFigures> {
    let today = chrono::Utc::now().date_naive();
    let name = "napoleon_export";
    {
        let client = crate::run::admin_client(cluster, "postgres").await?;
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
        let mut admin = cluster.connect_admin().await?;
        napoleon_db::roles::create_database(&mut admin, name, Some(base)).await?;
    }
    let mut client = crate::run::admin_client(cluster, name).await?;
    eprintln!("==> the generated registry (seed {seed}, {rows} rows) into `interieur` by COPY");
    let (laureates, _) = crate::import::copy_registry(&mut client, seed, rows, today).await?;
    client.batch_execute("ANALYZE").await?;

    eprintln!("==> COPY TO of the same rows");
    let started = Instant::now();
    let stream = client.copy_out(COPY_TO).await?;
    futures_util::pin_mut!(stream);
    let (mut copy_bytes, mut copy_rows) = (0_u64, 0_u64);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        copy_bytes += chunk.len() as u64;
        copy_rows += chunk.iter().filter(|b| **b == b'\n').count() as u64;
    }
    let copy_seconds = started.elapsed().as_secs_f64();
    let copy_rows_per_second = copy_rows as f64 / copy_seconds;

    // An intégrateur of the tenant, as the page would enqueue the job for them: the demo's
    // first, who becomes an agent as their first login would make them (the demo grants
    // roles to e-mail addresses; the export keeps the roles its agent still holds).
    let agent = client
        .query_one(
            "WITH m AS (SELECT m.id, m.email, m.agent_id FROM core.memberships m \
                        JOIN core.tenants t ON t.id = m.tenant_id \
                        WHERE t.slug = 'interieur' AND m.role = 'integrateur' \
                        ORDER BY m.email LIMIT 1), \
                  a AS (INSERT INTO core.agents (id, issuer, subject, email, given_name, usual_name) \
                        SELECT gen_random_uuid(), 'loadtests', 'export', email, 'Banc', 'Export' \
                          FROM m WHERE agent_id IS NULL RETURNING id) \
             UPDATE core.memberships u SET agent_id = coalesce(u.agent_id, (SELECT id FROM a)) \
               FROM m WHERE u.id = m.id \
             RETURNING u.agent_id::text, u.unit_id::text, u.tenant_id::text",
            &[],
        )
        .await
        .context("no intégrateur in the demo's interieur tenant")?;
    let (agent, unit, tenant): (String, String, String) =
        (agent.get(0), agent.get(1), agent.get(2));
    let worker_db = napoleon_db::Db::new(napoleon_db::build_pool(
        &napoleon_db::service_url(&cluster.app_url(name), "worker")?,
        2,
    )?);
    let store_dir = dir.join("export-store");
    let _ = std::fs::remove_dir_all(&store_dir);
    let store = napoleon_storage::PieceStore::local(&store_dir)?;
    let export = napoleon_promotion::PromotionExport::new(store)?;
    let worker = napoleon_jobs::Worker::new(worker_db, "bench-export", vec![Arc::new(export)]);
    let columns: Vec<&str> = [
        "nom_naissance",
        "nom_usage",
        "prenoms",
        "sexe",
        "date_naissance",
        "lieu_naissance",
        "nationalite",
        "distinction",
        "distinction_nom",
        "grade",
        "date_decret",
        "reference_jo",
        "date_reception",
    ]
    .to_vec();

    let mut formats = Vec::new();
    for format in ["csv", "xlsx", "ods"] {
        let payload = json!({
            "list": "registre", "format": format, "columns": columns,
            "filter": {"nom": "", "distinction": "", "naissance": ""},
            "agent": agent, "roles": [{"role": "integrateur", "unit": unit}],
            "request_id": format!("bench-export-{format}"), "session": null,
        });
        let job: String = client
            .query_one(
                "INSERT INTO jobs.jobs (tenant_id, id, kind, payload, max_attempts, created_by) \
                 VALUES ($1::text::uuid, gen_random_uuid(), 'promotion.export', $2::text::jsonb, \
                         1, 'agent:' || $3) RETURNING id::text",
                &[&tenant, &payload.to_string(), &agent],
            )
            .await?
            .get(0);
        eprintln!("==> the export job as {format}");
        let before = rss_kb();
        let peak = Arc::new(AtomicU64::new(before));
        let sampling = {
            let peak = Arc::clone(&peak);
            tokio::spawn(async move {
                loop {
                    peak.fetch_max(rss_kb(), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        };
        let started = Instant::now();
        let ran = worker.run_one().await?;
        let seconds = started.elapsed().as_secs_f64();
        sampling.abort();
        if ran.is_none() {
            bail!("the {format} export job was not run");
        }
        let done = client
            .query_one(
                "SELECT state, coalesce(result::text, ''), coalesce(last_error, '') \
                 FROM jobs.jobs WHERE id = $1::text::uuid",
                &[&job],
            )
            .await?;
        let (state, result, error): (String, String, String) =
            (done.get(0), done.get(1), done.get(2));
        if state != "succeeded" {
            bail!("the {format} export ended {state}: {error}");
        }
        let result: serde_json::Value = serde_json::from_str(&result)?;
        let n = |key: &str| {
            result
                .get(key)
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0)
        };
        let rows_per_second = n("rows") as f64 / seconds;
        formats.push(FormatFigures {
            format,
            rows: n("rows"),
            seconds,
            rows_per_second,
            ratio: rows_per_second / copy_rows_per_second,
            file_bytes: n("size"),
            rss_before_mb: before as f64 / 1024.0,
            rss_peak_mb: peak.load(Ordering::Relaxed) as f64 / 1024.0,
        });
        eprintln!("    {:?}", formats.last());
    }
    drop(client);
    let _ = std::fs::remove_dir_all(&store_dir);
    let client = crate::run::admin_client(cluster, "postgres").await?;
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    Ok(ExportFigures {
        laureates,
        copy_rows,
        copy_seconds,
        copy_rows_per_second,
        copy_bytes,
        formats,
    })
}
