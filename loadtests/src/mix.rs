//! The latency mix: every role of a bureau's year working at once, through `goose`, against
//! the running demo. Where `wrk` measures one route's ceiling, the mix measures what each
//! agent waits for while the others work: the rédacteurs of two ministries file complete
//! dossiers and read them, the instructrice reads her queue and her dossiers and takes and
//! opines on what was filed, the valideur transmits what she opined on (four eyes), and the
//! intégratrice decides what was transmitted.
//!
//! The roles hand work to each other through queues, as in a real circuit: a dossier filed
//! by the rédacteur is the next one the instructrice takes, and so on; a role with nothing
//! waiting reads its list instead (what an agent does between two dossiers). Every request
//! is counted under a stable name, per role, with its percentiles and its failures (any
//! answer other than 2xx fails, as a refused move would fail an agent).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use anyhow::Context as _;
use goose::client::GooseClientBuilder;
use goose::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use crate::client::Agent;

/// An agent's session, as the harness logged them in.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    cookie: String,
    csrf: String,
}

impl Session {
    pub(crate) fn cookie(&self) -> &str {
        &self.cookie
    }

    pub(crate) fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl From<&Agent> for Session {
    fn from(agent: &Agent) -> Self {
        Self {
            cookie: agent.cookie(),
            csrf: agent.csrf.clone(),
        }
    }
}

/// What the mix needs from the demo: its agents' sessions, the dossier everyone reads (in
/// the Rhône, Paul's unit and Claire's), the open campaigns of both ministries and the
/// Interior's for the intégratrice's board.
#[derive(Debug)]
pub(crate) struct Setup {
    pub(crate) paul: Session,
    pub(crate) emma: Session,
    pub(crate) claire: Session,
    pub(crate) hugo: Session,
    pub(crate) sophie: Session,
    pub(crate) shown: String,
    pub(crate) interior_campaign: String,
    pub(crate) culture_campaign: String,
}

/// The mix's shared state: the setup and the work handed from one role to the next.
struct Flow {
    setup: Setup,
    to_take: Mutex<VecDeque<String>>,
    to_transmit: Mutex<VecDeque<String>>,
    to_decide: Mutex<VecDeque<String>>,
    filed: AtomicU64,
}

static FLOW: OnceLock<Flow> = OnceLock::new();

fn flow() -> &'static Flow {
    // Set before the attack starts (`measure`); a transaction never runs without it.
    FLOW.get()
        .unwrap_or_else(|| unreachable!("the mix's flow is set before it runs"))
}

fn push(queue: &Mutex<VecDeque<String>>, id: String) {
    if let Ok(mut q) = queue.lock() {
        q.push_back(id);
    }
}

fn pop(queue: &Mutex<VecDeque<String>>) -> Option<String> {
    queue.lock().ok().and_then(|mut q| q.pop_front())
}

/// One figure of the mix: a request name within a role.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MixFigure {
    pub(crate) role: String,
    pub(crate) request: String,
    pub(crate) requests: usize,
    pub(crate) failures: usize,
    pub(crate) p50_ms: f64,
    pub(crate) p95_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) max_ms: f64,
}

/// The mix's result.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MixReport {
    pub(crate) users: usize,
    pub(crate) seconds: usize,
    pub(crate) requests: usize,
    pub(crate) failures: usize,
    pub(crate) req_per_s: f64,
    /// CPU seconds during the mix (set by the caller, who knows the processes).
    pub(crate) cpu_server_s: f64,
    pub(crate) cpu_postgres_s: f64,
    pub(crate) figures: Vec<MixFigure>,
}

/// A complete, eligible nomination for LH chevalier, `n` naming the candidate.
pub(crate) fn complete_content(n: u64) -> Value {
    let record = (chrono::Utc::now().date_naive() - chrono::Duration::days(5)).to_string();
    json!({
        "candidate": {"birth_name": format!("Charge{n}"), "usual_name": "", "given_names": "Jeanne",
            "sex": "F", "birth_date": "1960-05-04", "birth_place": "Lyon", "nationality": "FR",
            "french_since": "", "residence_department": "69"},
        "career": [{"from": "1982-09-01", "to": "", "kind": "public", "position": "Ingénieure territoriale"}],
        "distinctions": [{"distinction": "ONM", "grade": "chevalier", "decreed_on": "2010-05-14", "received_on": "2010-09-01"}],
        "motifs": "Quarante ans de service public au bénéfice des habitants du Rhône.",
        "criminal_record_issued_on": record,
    })
}

/// Runs the mix for `seconds` with `users` agents against `base`; `setup` may be given once
/// per process.
pub(crate) async fn measure(
    base: &str,
    setup: Setup,
    users: usize,
    seconds: usize,
) -> anyhow::Result<MixReport> {
    FLOW.set(Flow {
        setup,
        to_take: Mutex::default(),
        to_transmit: Mutex::default(),
        to_decide: Mutex::default(),
        filed: AtomicU64::new(0),
    })
    .map_err(|_| anyhow::anyhow!("the mix runs once per process"))?;
    let scenario = |name: &str, weight: usize| -> Result<Scenario, GooseError> {
        scenario!(name).set_weight(weight)
    };
    let tx = |t: Transaction, name: &str, weight: usize| -> Result<Transaction, GooseError> {
        t.set_name(name).set_weight(weight)
    };
    let attack = GooseAttack::initialize_with_config(goose::config::GooseConfiguration::default())
        .context("goose")?
        // One client without a cookie store shared by every user: each request carries its
        // agent's session cookie (a store would add the server's refreshed cookies beside it).
        .set_client_builder_without_cookies(
            GooseClientBuilder::new()
                .without_cookies()
                .timeout(Duration::from_secs(30)),
        )?
        .register_scenario(
            scenario("rédacteur (Intérieur)", 4)?
                .register_transaction(tx(transaction!(paul_reads), "lire un dossier", 3)?)
                .register_transaction(tx(transaction!(paul_files), "déposer un dossier", 1)?),
        )
        .register_scenario(
            scenario("rédactrice (Culture)", 2)?.register_transaction(tx(
                transaction!(emma_files),
                "déposer un dossier",
                1,
            )?),
        )
        .register_scenario(
            scenario("instructrice", 4)?
                .register_transaction(tx(transaction!(claire_queue), "sa file", 2)?)
                .register_transaction(tx(transaction!(claire_page), "page d'un dossier", 3)?)
                .register_transaction(tx(transaction!(claire_instructs), "prendre et opiner", 2)?),
        )
        .register_scenario(scenario("valideur", 2)?.register_transaction(tx(
            transaction!(hugo_transmits),
            "transmettre",
            1,
        )?))
        .register_scenario(scenario("intégratrice", 2)?.register_transaction(tx(
            transaction!(sophie_decides),
            "décider",
            1,
        )?))
        .set_default(GooseDefault::Host, base)?
        .set_default(GooseDefault::Users, users)?
        .set_default(GooseDefault::IncreaseRate, users.to_string().as_str())?
        .set_default(GooseDefault::RunTime, seconds)?
        .set_default(GooseDefault::NoPrintMetrics, true)?
        .set_default(GooseDefault::NoErrorSummary, true)?
        .set_default(GooseDefault::Quiet, 1)?;
    // Goose's attack is a large future (its whole state): on the heap.
    let metrics = Box::pin(attack.execute())
        .await
        .context("the goose attack")?;
    Ok(report(&metrics, users))
}

fn report(metrics: &GooseMetrics, users: usize) -> MixReport {
    let mut figures: Vec<MixFigure> = metrics
        .requests
        .iter()
        .map(|(key, r)| {
            // Goose keys a request by « METHOD name »; the name is « role: request ».
            let name = key.split_once(' ').map_or(key.as_str(), |(_, n)| n);
            let (role, request) = name.split_once(": ").unwrap_or(("", name));
            let ms = |p: f32| r.raw_data.percentile_us(p) as f64 / 1000.0;
            MixFigure {
                role: role.to_owned(),
                request: request.to_owned(),
                requests: r.success_count + r.fail_count,
                failures: r.fail_count,
                p50_ms: ms(0.5),
                p95_ms: ms(0.95),
                p99_ms: ms(0.99),
                max_ms: r.raw_data.maximum_time_us as f64 / 1000.0,
            }
        })
        .collect();
    figures.sort_by(|a, b| (&a.role, &a.request).cmp(&(&b.role, &b.request)));
    let requests = figures.iter().map(|f| f.requests).sum::<usize>();
    let seconds = metrics.duration.max(1);
    MixReport {
        users,
        seconds: metrics.duration,
        requests,
        failures: figures.iter().map(|f| f.failures).sum(),
        req_per_s: requests as f64 / seconds as f64,
        cpu_server_s: 0.0,
        cpu_postgres_s: 0.0,
        figures,
    }
}

/// One call as `who`, named `role: name` in the metrics; the answer's JSON when it
/// succeeded (`None` when it failed: goose counted the failure).
async fn call(
    user: &mut GooseUser,
    who: &Session,
    method: GooseMethod,
    path: &str,
    name: &str,
    body: Option<&Value>,
) -> Result<Option<Value>, Box<TransactionError>> {
    let mut builder = user
        .get_request_builder(&method, path)?
        .header("cookie", who.cookie.as_str());
    if !matches!(method, GooseMethod::Get) {
        builder = builder.header("x-csrf-token", who.csrf.as_str());
    }
    if let Some(body) = body {
        builder = builder.json(body);
    }
    let request = GooseRequest::builder()
        .path(path)
        .name(name)
        .set_request_builder(builder)
        .build();
    let answer = user.request(request).await?;
    if !answer.request.success {
        return Ok(None);
    }
    match answer.response {
        Ok(r) => Ok(Some(r.json::<Value>().await.unwrap_or(Value::Null))),
        Err(_) => Ok(None),
    }
}

async fn paul_reads(user: &mut GooseUser) -> TransactionResult {
    let f = flow();
    let path = format!("/intake/api/v1/dossiers/{}", f.setup.shown);
    call(
        user,
        &f.setup.paul,
        GooseMethod::Get,
        &path,
        "rédacteur (Intérieur): lire un dossier (JSON)",
        None,
    )
    .await?;
    Ok(())
}

/// Creates a complete draft and submits it; the submitted id, when both succeeded.
async fn file(
    user: &mut GooseUser,
    who: &Session,
    campaign: &str,
    role: &str,
) -> Result<Option<String>, Box<TransactionError>> {
    let n = flow().filed.fetch_add(1, Ordering::Relaxed);
    let body = json!({"campaign_id": campaign, "content": complete_content(n)});
    let created = call(
        user,
        who,
        GooseMethod::Post,
        "/intake/api/v1/dossiers",
        &format!("{role}: créer un brouillon complet"),
        Some(&body),
    )
    .await?;
    let Some(id) = created.as_ref().and_then(|c| c["id"].as_str()) else {
        return Ok(None);
    };
    let submitted = call(
        user,
        who,
        GooseMethod::Post,
        &format!("/intake/api/v1/dossiers/{id}/submit"),
        &format!("{role}: déposer"),
        Some(&json!({})),
    )
    .await?;
    Ok(submitted.map(|_| id.to_owned()))
}

async fn paul_files(user: &mut GooseUser) -> TransactionResult {
    let f = flow();
    if let Some(id) = file(
        user,
        &f.setup.paul,
        &f.setup.interior_campaign,
        "rédacteur (Intérieur)",
    )
    .await?
    {
        push(&f.to_take, id);
    }
    Ok(())
}

async fn emma_files(user: &mut GooseUser) -> TransactionResult {
    let f = flow();
    // Filed at the DRAC, where nobody instructs in the demo: her dossiers stay « déposé ».
    file(
        user,
        &f.setup.emma,
        &f.setup.culture_campaign,
        "rédactrice (Culture)",
    )
    .await?;
    Ok(())
}

async fn claire_queue(user: &mut GooseUser) -> TransactionResult {
    let f = flow();
    call(
        user,
        &f.setup.claire,
        GooseMethod::Get,
        "/instruction/dossiers",
        "instructrice: sa file (page)",
        None,
    )
    .await?;
    Ok(())
}

async fn claire_page(user: &mut GooseUser) -> TransactionResult {
    let f = flow();
    let path = format!("/instruction/dossiers/{}", f.setup.shown);
    call(
        user,
        &f.setup.claire,
        GooseMethod::Get,
        &path,
        "instructrice: page d'un dossier",
        None,
    )
    .await?;
    Ok(())
}

async fn claire_instructs(user: &mut GooseUser) -> TransactionResult {
    let f = flow();
    let Some(id) = pop(&f.to_take) else {
        return claire_queue(user).await;
    };
    let path = |what: &str| format!("/instruction/api/v1/dossiers/{id}/{what}");
    let who = &f.setup.claire;
    let taken = call(
        user,
        who,
        GooseMethod::Post,
        &path("take"),
        "instructrice: prendre",
        Some(&json!({})),
    )
    .await?;
    if taken.is_none() {
        return Ok(());
    }
    let opinion =
        json!({"verdict": "favorable", "motivation": "Parcours exemplaire, avis très favorable."});
    if call(
        user,
        who,
        GooseMethod::Post,
        &path("opinion"),
        "instructrice: opiner",
        Some(&opinion),
    )
    .await?
    .is_some()
    {
        push(&f.to_transmit, id);
    }
    Ok(())
}

async fn hugo_transmits(user: &mut GooseUser) -> TransactionResult {
    let f = flow();
    let who = &f.setup.hugo;
    let Some(id) = pop(&f.to_transmit) else {
        call(
            user,
            who,
            GooseMethod::Get,
            "/instruction/dossiers",
            "valideur: sa file (page)",
            None,
        )
        .await?;
        return Ok(());
    };
    let path = format!("/instruction/api/v1/dossiers/{id}/transmit");
    if call(
        user,
        who,
        GooseMethod::Post,
        &path,
        "valideur: transmettre",
        Some(&json!({})),
    )
    .await?
    .is_some()
    {
        push(&f.to_decide, id);
    }
    Ok(())
}

async fn sophie_decides(user: &mut GooseUser) -> TransactionResult {
    let f = flow();
    let who = &f.setup.sophie;
    let Some(id) = pop(&f.to_decide) else {
        let board = format!(
            "/decisions/api/v1/campaigns/{}/board",
            f.setup.interior_campaign
        );
        call(
            user,
            who,
            GooseMethod::Get,
            &board,
            "intégratrice: le tableau de la campagne",
            None,
        )
        .await?;
        return Ok(());
    };
    let decision =
        json!({"decision": "ajourne", "motivation": "Au-delà du contingent de la promotion."});
    call(
        user,
        who,
        GooseMethod::Post,
        &format!("/decisions/api/v1/dossiers/{id}/decision"),
        "intégratrice: décider",
        Some(&decision),
    )
    .await?;
    Ok(())
}

/// The mix's section of a report.
pub(crate) fn write_markdown(md: &mut String, mix: &MixReport) {
    use std::fmt::Write as _;
    let _ = writeln!(
        md,
        "\n## The latency mix (goose)\n\n{} agents for {} s, every role at once (the \
         rédacteurs of two ministries file and read, the instructrice reads her queue and \
         dossiers and takes and opines on what was filed, the valideur transmits, the \
         intégratrice decides; a role with nothing waiting reads its list): {} requests, \
         {:.0} req/s, {} failed. CPU s: server {:.1}, PostgreSQL {:.1}.\n",
        mix.users,
        mix.seconds,
        mix.requests,
        mix.req_per_s,
        mix.failures,
        mix.cpu_server_s,
        mix.cpu_postgres_s
    );
    let _ = writeln!(
        md,
        "| role | request | requests | failed | p50 / p95 / p99 / max (ms) |\n|---|---|---|---|---|"
    );
    for f in &mix.figures {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {:.1} / {:.1} / {:.1} / {:.1} |",
            f.role, f.request, f.requests, f.failures, f.p50_ms, f.p95_ms, f.p99_ms, f.max_ms
        );
    }
}
