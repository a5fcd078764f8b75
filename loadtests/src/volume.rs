//! The volume generator every benchmark shares: ministries with their préfectures, agents,
//! campaigns, dossiers across every state (with their opinions and rankings) and laureates
//! with their awards, loaded with `COPY`, deterministic from a seed.
//!
//! The same seed and sizes give the same rows, byte for byte, whatever the machine: ids come
//! from the seeded generator, never from the clock or the system's randomness. Later issues
//! extend it (careers, pieces, sessions) by drawing from their own generator seeded from the
//! same seed, so what exists keeps its values.
//!
//! It writes as the cluster's superuser: `COPY FROM` is refused on tables under row-level
//! security for any other role, and the generated ministries are new tenants, so nothing of
//! the demo's is touched. No journal events are written for generated rows (the journal
//! records acts, and nobody acted): the dossiers are what a ministry's year leaves behind.

use anyhow::Context as _;
use chrono::{Duration, NaiveDate};
use futures_util::SinkExt as _;
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use uuid::Uuid;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Volume {
    /// The generator's seed.
    pub(crate) seed: u64,
    /// Generated ministries (tenants), each with its 100 préfectures.
    pub(crate) tenants: usize,
    /// Dossiers, spread over the ministries.
    pub(crate) dossiers: usize,
    /// Laureates (one award each), spread over the ministries.
    pub(crate) laureates: usize,
}

/// What was generated.
#[derive(Debug, Default, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(crate) struct Generated {
    pub(crate) tenants: usize,
    pub(crate) units: usize,
    pub(crate) agents: usize,
    pub(crate) campaigns: usize,
    pub(crate) dossiers: usize,
    pub(crate) opinions: usize,
    pub(crate) rankings: usize,
    pub(crate) laureates: usize,
    pub(crate) awards: usize,
}

/// Départements per ministry, grouped in 13 régions.
const DEPARTMENTS: usize = 100;
const REGIONS: usize = 13;
/// Where the generated agents come from: no provider answers for it, so nobody logs in as them.
const ISSUER: &str = "https://volume.invalid/idp";

/// A dossier's state, by share of the year (per thousand): most dossiers of a year are
/// filed and on their way; few are still drafts.
const STATES: [(&str, u32); 10] = [
    ("brouillon", 100),
    ("depose", 150),
    ("en_instruction", 150),
    ("avis_rendu", 100),
    ("complement_demande", 50),
    ("transmis", 150),
    ("retenu", 100),
    ("ajourne", 50),
    ("refuse", 50),
    ("publie", 100),
];

pub(crate) const SURNAMES: [&str; 20] = [
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard",
];
pub(crate) const GIVEN: [&str; 16] = [
    "Jeanne", "Marie", "Camille", "Louise", "Anne", "Claire", "Hélène", "Sophie", "Jean", "Pierre",
    "Louis", "Paul", "Jacques", "Michel", "André", "Henri",
];
const PLACES: [&str; 8] = [
    "Lyon",
    "Marseille",
    "Lille",
    "Rennes",
    "Bordeaux",
    "Strasbourg",
    "Dijon",
    "Nantes",
];

/// Ids drawn from the seeded generator (version 4 bits set): the same seed, the same ids.
fn id(rng: &mut ChaCha8Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

/// A field for `COPY … (FORMAT csv)`: quoted, inner quotes doubled (a NULL is `None`).
fn field(out: &mut String, value: Option<&str>) {
    if let Some(v) = value {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    }
}

/// One CSV line from its fields.
pub(crate) fn line(fields: &[Option<&str>]) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(&mut out, *f);
    }
    out.push('\n');
    out
}

/// Streams `rows` (CSV lines) into `table (columns)` with one `COPY`, in chunks.
pub(crate) async fn copy(
    client: &tokio_postgres::Transaction<'_>,
    table: &str,
    columns: &str,
    rows: &mut dyn Iterator<Item = String>,
) -> anyhow::Result<u64> {
    let sink = client
        .copy_in::<_, bytes::Bytes>(&format!("COPY {table} ({columns}) FROM STDIN (FORMAT csv)"))
        .await
        .with_context(|| format!("COPY {table}"))?;
    futures_util::pin_mut!(sink);
    let mut chunk = String::with_capacity(1 << 20);
    for row in rows {
        chunk.push_str(&row);
        if chunk.len() >= 1 << 20 {
            sink.send(bytes::Bytes::from(std::mem::take(&mut chunk)))
                .await
                .with_context(|| format!("COPY {table}"))?;
        }
    }
    if !chunk.is_empty() {
        sink.send(bytes::Bytes::from(chunk))
            .await
            .with_context(|| format!("COPY {table}"))?;
    }
    sink.finish().await.with_context(|| format!("COPY {table}"))
}

/// One generated ministry's fixed rows.
struct Ministry {
    id: Uuid,
    bureau: Uuid,
    departments: Vec<Uuid>,
    /// One rédacteur per département, then the bureau's instructeur.
    redacteurs: Vec<Uuid>,
    instructeur: Uuid,
    /// (id, distinction, prefix, promotion date)
    campaigns: Vec<(Uuid, &'static str, String, NaiveDate)>,
}

/// Generates the volume into the database at `admin_url` (a superuser's URL).
///
/// # Errors
/// Connection, or a `COPY` refused (e.g. generated twice: the slugs are taken).
pub(crate) async fn generate(admin_url: &str, volume: Volume) -> anyhow::Result<Generated> {
    let (mut client, connection) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
        .await
        .context("connecting as the superuser")?;
    tokio::spawn(connection);
    let mut rng = ChaCha8Rng::seed_from_u64(volume.seed);
    let mut done = Generated::default();
    let tx = client.transaction().await?;
    let ministries = ministries(&tx, &mut rng, volume.tenants, &mut done).await?;
    dossiers(&tx, &mut rng, &ministries, volume.dossiers, &mut done).await?;
    laureates(&tx, &mut rng, &ministries, volume.laureates, &mut done).await?;
    tx.commit().await?;
    // Fresh statistics: the planner must see the volume before the first benchmark.
    client.batch_execute("ANALYZE").await?;
    Ok(done)
}

async fn ministries(
    tx: &tokio_postgres::Transaction<'_>,
    rng: &mut ChaCha8Rng,
    count: usize,
    done: &mut Generated,
) -> anyhow::Result<Vec<Ministry>> {
    let mut all = Vec::with_capacity(count);
    let (mut units, mut agents, mut members, mut campaigns) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for t in 1..=count {
        let tenant = id(rng);
        tx.execute(
            "INSERT INTO core.tenants (id, slug, name) VALUES ($1::text::uuid, $2, $3)",
            &[
                &tenant.to_string(),
                &format!("volume-{t:03}"),
                &format!("Ministère généré n° {t}"),
            ],
        )
        .await
        .context("a generated ministry (was the volume generated already?)")?;
        let ts = tenant.to_string();
        let root = id(rng);
        let bureau = id(rng);
        let mut unit = |id: Uuid, parent: Option<Uuid>, kind: &str, code: String, name: String| {
            let (i, p) = (id.to_string(), parent.map(|p| p.to_string()));
            units.push(line(&[
                Some(&ts),
                Some(&i),
                p.as_deref(),
                Some(kind),
                Some(&code),
                Some(&name),
            ]));
        };
        unit(
            root,
            None,
            "ministere",
            "MIN".into(),
            format!("Ministère généré n° {t}"),
        );
        unit(
            bureau,
            Some(root),
            "direction",
            "BUR".into(),
            "Bureau des distinctions".into(),
        );
        let regions: Vec<Uuid> = (0..REGIONS).map(|_| id(rng)).collect();
        for (r, region) in regions.iter().enumerate() {
            unit(
                *region,
                Some(root),
                "prefecture_region",
                format!("R{r:02}"),
                format!("Région {r}"),
            );
        }
        let departments: Vec<Uuid> = (0..DEPARTMENTS).map(|_| id(rng)).collect();
        for (d, dep) in departments.iter().enumerate() {
            unit(
                *dep,
                Some(regions[d % REGIONS]),
                "prefecture_departement",
                format!("D{d:03}"),
                format!("Préfecture {d}"),
            );
        }
        let mut agent = |role: &str, unit: Uuid, n: usize| {
            let a = id(rng);
            let m = id(rng);
            let email = format!("agent{n}@volume-{t:03}.invalid");
            let (a_s, m_s, u_s) = (a.to_string(), m.to_string(), unit.to_string());
            agents.push(line(&[
                Some(&a_s),
                Some(ISSUER),
                Some(&format!("volume-{t:03}-{n}")),
                Some(&email),
                Some(GIVEN[n % GIVEN.len()]),
                Some(SURNAMES[n % SURNAMES.len()]),
            ]));
            members.push(line(&[
                Some(&ts),
                Some(&m_s),
                Some(&email),
                Some(&a_s),
                Some(&u_s),
                Some(role),
                Some("volume"),
            ]));
            a
        };
        let redacteurs: Vec<Uuid> = departments
            .iter()
            .enumerate()
            .map(|(n, dep)| agent("redacteur", *dep, n))
            .collect();
        let instructeur = agent("instructeur", bureau, DEPARTMENTS);
        let mut owned = Vec::new();
        for (distinction, year, month) in [
            ("LH", 2027, 1),
            ("LH", 2027, 7),
            ("ONM", 2027, 5),
            ("ONM", 2027, 11),
        ] {
            let c = id(rng);
            let promotion = NaiveDate::from_ymd_opt(year, month, 14).context("date")?;
            let (c_s, b_s, i_s) = (c.to_string(), bureau.to_string(), instructeur.to_string());
            let opens = (promotion - Duration::days(300)).to_string();
            let closes = (promotion - Duration::days(60)).to_string();
            campaigns.push(line(&[
                Some(&ts),
                Some(&c_s),
                Some(distinction),
                Some(&format!("{distinction} — promotion du {promotion}")),
                Some(&promotion.to_string()),
                Some(&opens),
                Some(&closes),
                Some(&b_s),
                Some(r#"{"chevalier": "200", "officier": "40"}"#),
                Some(&i_s),
            ]));
            owned.push((
                c,
                distinction,
                format!("{distinction}-{year}-{month:02}"),
                promotion,
            ));
        }
        all.push(Ministry {
            id: tenant,
            bureau,
            departments,
            redacteurs,
            instructeur,
            campaigns: owned,
        });
    }
    done.tenants = count;
    done.units = units.len();
    done.agents = agents.len();
    done.campaigns = campaigns.len();
    copy(
        tx,
        "core.org_units",
        "tenant_id, id, parent_id, kind, code, name",
        &mut units.into_iter(),
    )
    .await?;
    copy(
        tx,
        "core.agents",
        "id, issuer, subject, email, given_name, usual_name",
        &mut agents.into_iter(),
    )
    .await?;
    copy(
        tx,
        "core.memberships",
        "tenant_id, id, email, agent_id, unit_id, role, granted_by",
        &mut members.into_iter(),
    )
    .await?;
    copy(
        tx,
        "intake.campaigns",
        "tenant_id, id, distinction, label, promotion_date, opens_on, closes_on, bureau_unit_id, contingents, created_by",
        &mut campaigns.into_iter(),
    )
    .await?;
    Ok(all)
}

/// A candidate's content, as the form stores it.
fn content(rng: &mut ChaCha8Rng) -> String {
    let surname = SURNAMES[rng.random_range(0..SURNAMES.len())];
    let given = GIVEN[rng.random_range(0..GIVEN.len())];
    let born = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default()
        + Duration::days(rng.random_range(0..9000));
    let started = born + Duration::days(rng.random_range(7000..9000));
    json!({
        "candidate": {"birth_name": surname, "usual_name": "", "given_names": given,
            "sex": if rng.random_bool(0.5) { "F" } else { "M" },
            "birth_date": born.to_string(), "birth_place": PLACES[rng.random_range(0..PLACES.len())],
            "nationality": "FR", "french_since": "",
            "residence_department": format!("{:02}", rng.random_range(1..96))},
        "career": [{"from": started.to_string(), "to": "", "kind": "public",
            "position": "Agent de l'État"}],
        "distinctions": [],
        "motifs": "Une carrière au service de l'État et de ses usagers, engagée et exemplaire.",
        "criminal_record_issued_on": "2026-10-01",
    })
    .to_string()
}

async fn dossiers(
    tx: &tokio_postgres::Transaction<'_>,
    rng: &mut ChaCha8Rng,
    ministries: &[Ministry],
    total: usize,
    done: &mut Generated,
) -> anyhow::Result<()> {
    let (mut rows, mut opinions, mut rankings) = (Vec::new(), Vec::new(), Vec::new());
    // prefix → last number, per ministry.
    let mut counters: Vec<std::collections::BTreeMap<String, u32>> =
        vec![Default::default(); ministries.len()];
    let states_total: u32 = STATES.iter().map(|s| s.1).sum();
    for n in 0..total {
        let m = n % ministries.len();
        let ministry = &ministries[m];
        let mut pick = rng.random_range(0..states_total);
        let state = STATES
            .iter()
            .find(|(_, share)| {
                let hit = pick < *share;
                pick = pick.saturating_sub(*share);
                hit
            })
            .map_or("depose", |s| s.0);
        let (campaign, _, prefix, _) =
            &ministry.campaigns[rng.random_range(0..ministry.campaigns.len())];
        let d = rng.random_range(0..ministry.departments.len());
        let unit = ministry.departments[d];
        let at_bureau = matches!(
            state,
            "transmis" | "retenu" | "ajourne" | "refuse" | "publie"
        );
        let level = if at_bureau { ministry.bureau } else { unit };
        let number = (state != "brouillon").then(|| {
            let last = counters[m].entry(prefix.clone()).or_insert(0);
            *last += 1;
            format!("{prefix}-{last:04}")
        });
        let dossier = id(rng);
        // Every new nomination starts at the first grade of its order.
        let grade = "chevalier";
        let (t, i, c, u, l, a) = (
            ministry.id.to_string(),
            dossier.to_string(),
            campaign.to_string(),
            unit.to_string(),
            level.to_string(),
            ministry.redacteurs[d].to_string(),
        );
        let body = content(rng);
        let submitted = number.as_ref().map(|_| "2026-11-02 10:00:00+01");
        rows.push(line(&[
            Some(&t),
            Some(&i),
            Some(&c),
            Some(&u),
            Some(&l),
            Some(state),
            number.as_deref(),
            Some(grade),
            Some(&body),
            Some(&a),
            submitted,
        ]));
        if matches!(
            state,
            "avis_rendu" | "transmis" | "retenu" | "ajourne" | "refuse" | "publie"
        ) {
            let (o, by) = (
                id(rng).to_string(),
                ministry.redacteurs[(d + 1) % ministry.redacteurs.len()].to_string(),
            );
            let verdict = if rng.random_bool(0.8) {
                "favorable"
            } else {
                "defavorable"
            };
            opinions.push(line(&[
                Some(&t),
                Some(&o),
                Some(&i),
                Some(&u),
                Some(&by),
                Some(verdict),
                Some("Avis motivé du préfet sur la proposition."),
            ]));
        }
        if at_bureau {
            let decided = matches!(state, "retenu" | "ajourne" | "refuse" | "publie");
            let decision = match state {
                "publie" | "retenu" => Some("retenu"),
                "ajourne" => Some("ajourne"),
                "refuse" => Some("refuse"),
                _ => None,
            };
            let rank = (rankings.len() + 1).to_string();
            let by = ministry.instructeur.to_string();
            rankings.push(line(&[
                Some(&t),
                Some(&i),
                Some(&c),
                Some(&rank),
                decision,
                decided.then_some("Décision de la commission."),
                decided.then_some(by.as_str()),
                decided.then_some("2026-11-20 15:00:00+01"),
            ]));
        }
    }
    done.dossiers = rows.len();
    done.opinions = opinions.len();
    done.rankings = rankings.len();
    copy(
        tx,
        "intake.dossiers",
        "tenant_id, id, campaign_id, unit_id, level_unit_id, state, number, target_grade, content, created_by, submitted_at",
        &mut rows.into_iter(),
    )
    .await?;
    copy(
        tx,
        "instruction.opinions",
        "tenant_id, id, dossier_id, level_unit_id, agent_id, verdict, motivation",
        &mut opinions.into_iter(),
    )
    .await?;
    copy(
        tx,
        "decisions.rankings",
        "tenant_id, dossier_id, campaign_id, rank, decision, motivation, decided_by, decided_at",
        &mut rankings.into_iter(),
    )
    .await?;
    // Each prefix's last number, so that new submissions go on from it.
    let mut counter_rows = ministries
        .iter()
        .zip(&counters)
        .flat_map(|(ministry, counters)| {
            let tenant = ministry.id.to_string();
            counters.iter().map(move |(prefix, last)| {
                line(&[Some(&tenant), Some(prefix), Some(&last.to_string())])
            })
        });
    copy(
        tx,
        "intake.number_counters",
        "tenant_id, prefix, last_number",
        &mut counter_rows,
    )
    .await?;
    Ok(())
}

async fn laureates(
    tx: &tokio_postgres::Transaction<'_>,
    rng: &mut ChaCha8Rng,
    ministries: &[Ministry],
    total: usize,
    done: &mut Generated,
) -> anyhow::Result<()> {
    // Streamed: a million rows are never all in memory.
    let epoch = NaiveDate::from_ymd_opt(1985, 1, 1).context("date")?;
    let mut people = Vec::with_capacity(total.min(1 << 16));
    let mut awards = Vec::with_capacity(total.min(1 << 16));
    let flush = async |people: &mut Vec<String>, awards: &mut Vec<String>| -> anyhow::Result<()> {
        copy(
            tx,
            "registry.laureates",
            "tenant_id, id, identity",
            &mut people.drain(..),
        )
        .await?;
        copy(
            tx,
            "registry.awards",
            "tenant_id, id, laureate_id, distinction, grade, decree_date, jo_reference, reception_date, unit_id",
            &mut awards.drain(..),
        )
        .await?;
        Ok(())
    };
    for n in 0..total {
        let ministry = &ministries[n % ministries.len()];
        let (laureate, award) = (id(rng), id(rng));
        let identity = json!({
            "birth_name": SURNAMES[rng.random_range(0..SURNAMES.len())],
            "usual_name": "",
            "given_names": GIVEN[rng.random_range(0..GIVEN.len())],
            "sex": if rng.random_bool(0.5) { "F" } else { "M" },
            "birth_date": (epoch - Duration::days(rng.random_range(9000..20000))).to_string(),
            "birth_place": PLACES[rng.random_range(0..PLACES.len())],
        })
        .to_string();
        let decree = epoch + Duration::days(rng.random_range(0..14600));
        let reception = decree + Duration::days(rng.random_range(30..400));
        let distinction = if rng.random_bool(0.6) { "ONM" } else { "LH" };
        let unit = ministry.departments[rng.random_range(0..ministry.departments.len())];
        let (t, l, a, u) = (
            ministry.id.to_string(),
            laureate.to_string(),
            award.to_string(),
            unit.to_string(),
        );
        people.push(line(&[Some(&t), Some(&l), Some(&identity)]));
        awards.push(line(&[
            Some(&t),
            Some(&a),
            Some(&l),
            Some(distinction),
            Some("chevalier"),
            Some(&decree.to_string()),
            Some(&format!("JORF n° {}", n % 300 + 1)),
            Some(&reception.to_string()),
            Some(&u),
        ]));
        if people.len() == 1 << 16 {
            flush(&mut people, &mut awards).await?;
        }
    }
    flush(&mut people, &mut awards).await?;
    done.laureates = total;
    done.awards = total;
    Ok(())
}
