//! The registry import measured beside `COPY FROM` (issue 18).
//!
//! The generator writes a registry file laid out as the import's template — one row per award,
//! careers included — with 1 % of its rows corrupted, each in one way of a fixed list, and the
//! list of the rows it corrupted. On a fresh copy of the run's base database (the demo and the
//! shared volume), `napoleon import registry` imports the file into the demo's `interieur`
//! tenant; its report must name exactly the corrupted rows, and the same file again must add
//! nothing. On another fresh copy, the same valid rows go into the same tables (same indexes,
//! constraints and generated columns) with one `COPY FROM` per table, as the superuser (COPY
//! is refused under row-level security to anyone else). Rows per second of both, and their
//! ratio, go to the report.
//!
//! The file's rows come from their own generator, seeded from the shared seed: the volume's
//! values do not move.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use chrono::{Duration, NaiveDate};
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use uuid::Uuid;

use crate::volume::{GIVEN, SURNAMES, copy, line};

/// The import's template columns, in order (`napoleon import template`).
const HEADERS: [&str; 24] = [
    "Nom de naissance",
    "Nom d'usage",
    "Prénoms",
    "Sexe",
    "Date de naissance",
    "Lieu de naissance",
    "Distinction",
    "Grade",
    "Date du décret",
    "Référence JO",
    "Date de réception",
    "Unité proposante",
    "Carrière 1 début",
    "Carrière 1 fin",
    "Carrière 1 nature",
    "Carrière 1 fonction",
    "Carrière 2 début",
    "Carrière 2 fin",
    "Carrière 2 nature",
    "Carrière 2 fonction",
    "Carrière 3 début",
    "Carrière 3 fin",
    "Carrière 3 nature",
    "Carrière 3 fonction",
];

const PLACES: [&str; 6] = ["Lyon", "Bordeaux", "Lille", "Nantes", "Dijon", "Brest"];
const UNITS: [&str; 4] = ["69", "33", "59", ""];
const KINDS: [&str; 5] = [
    "Service public",
    "Activité privée",
    "Mandat électif",
    "Bénévolat",
    "Service militaire",
];
const KIND_CODES: [&str; 5] = ["public", "private", "elected", "volunteer", "military"];

/// How many ways rows are corrupted.
pub(crate) const CORRUPTION_KINDS: usize = CORRUPTIONS.len();

/// Every way a row is corrupted, each giving exactly one problem in the report.
const CORRUPTIONS: [&str; 12] = [
    "date de naissance impossible",
    "décret dans le futur",
    "distinction inconnue",
    "grade inconnu",
    "nom de naissance absent",
    "sexe invalide",
    "réception avant le décret",
    "unité inconnue",
    "nature de carrière inconnue",
    "décret avant la naissance",
    "nom trop long",
    "référence JO absente",
];

/// One valid generated row.
struct Award {
    birth_name: String,
    given: String,
    sex: &'static str,
    birth: NaiveDate,
    place: &'static str,
    distinction: &'static str,
    decree: NaiveDate,
    jo: String,
    reception: Option<NaiveDate>,
    unit: &'static str,
    periods: Vec<(NaiveDate, Option<NaiveDate>, usize, String)>,
}

fn fr(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// First given names: rows sharing a birth date (every 20,000th) each have their own, up to
/// 50 × 20,000 = 1,000,000 rows.
const FIRST: [&str; 50] = [
    "Jeanne",
    "Marie",
    "Camille",
    "Louise",
    "Anne",
    "Claire",
    "Hélène",
    "Sophie",
    "Jean",
    "Pierre",
    "Louis",
    "Paul",
    "Jacques",
    "Michel",
    "André",
    "Henri",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Catherine",
    "Françoise",
    "Valérie",
    "Christine",
    "Monique",
    "Philippe",
    "Alain",
    "Nicolas",
    "Christophe",
    "Patrick",
    "Daniel",
    "Bernard",
    "Éric",
    "Laurent",
    "Frédéric",
    "Thierry",
    "Stéphane",
    "Olivier",
    "Julien",
    "Sébastien",
    "Céline",
    "Aurélie",
    "Émilie",
    "Julie",
    "Sandrine",
    "Véronique",
    "Martine",
    "Brigitte",
    "Dominique",
    "Gérard",
    "Yves",
];

/// Syllables of the synthesised surnames: 33 × 10 × 20 = 6,600 names (a few alike), beside
/// the 20 commonest real ones.
const ONSETS: [&str; 33] = [
    "ber", "mar", "du", "le", "ro", "gar", "fon", "bou", "mo", "la", "cha", "pe", "ri", "de", "gi",
    "va", "mi", "tho", "fa", "co", "bro", "gre", "pa", "sa", "vi", "lau", "jo", "me", "ta", "no",
    "mé", "bé", "lé",
];
const MIDDLES: [&str; 10] = ["", "n", "r", "l", "s", "t", "ch", "m", "v", "g"];
const ENDINGS: [&str; 20] = [
    "ard", "et", "in", "ot", "el", "and", "ier", "eau", "on", "ais", "ault", "ey", "oux", "ade",
    "ens", "at", "is", "ac", "ry", "aud",
];

/// A mixer of (seed, row) into 64 bits (splitmix64): each row's surname is drawn from its own
/// number, so the other values' stream does not move.
fn mix(seed: u64, n: usize) -> u64 {
    let mut z = seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Row `n`'s surname, as a registry's names fall: a few common ones, a long tail. The rank is
/// drawn as `N × u^1.5` (u uniform): the commonest name is about 0.3 % of the rows, as Martin
/// is of France's population; the 20 real names take the first ranks.
fn surname(seed: u64, n: usize) -> String {
    let total = SURNAMES.len() + ONSETS.len() * MIDDLES.len() * ENDINGS.len();
    let u = (mix(seed, n) >> 11) as f64 / (1_u64 << 53) as f64;
    let rank = ((total as f64) * u.powf(1.5)) as usize % total;
    if let Some(real) = SURNAMES.get(rank) {
        return real.to_uppercase();
    }
    let synth = rank - SURNAMES.len();
    let (onset, rest) = (synth % ONSETS.len(), synth / ONSETS.len());
    let (middle, ending) = (rest % MIDDLES.len(), rest / MIDDLES.len());
    format!("{}{}{}", ONSETS[onset], MIDDLES[middle], ENDINGS[ending]).to_uppercase()
}

/// Row `n`'s values: distinct people by construction (the 50 rows sharing a birth date, every
/// 20,000th, have each their own first given name), so no two valid rows share an award's
/// natural key, up to 1,000,000 rows. Surnames come from their own stream (`surname`).
fn award(rng: &mut ChaCha8Rng, seed: u64, n: usize, today: NaiveDate) -> anyhow::Result<Award> {
    let epoch = NaiveDate::from_ymd_opt(1940, 1, 1).context("date")?;
    let k = n / 20_000;
    let birth = epoch + Duration::days((n % 20_000) as i64);
    let decree_min = birth + Duration::days(25 * 365);
    let span = (today - decree_min).num_days().max(1);
    let decree = decree_min + Duration::days(rng.random_range(0..span));
    let reception = (rng.random_bool(0.7))
        .then(|| decree + Duration::days(rng.random_range(30..300)))
        .filter(|r| *r <= today);
    let mut periods = Vec::new();
    for p in 0..rng.random_range(0..3_usize) {
        let from = birth + Duration::days(20 * 365 + 3000 * p as i64);
        let to = (from + Duration::days(2500)).min(today);
        periods.push((
            from,
            (to > from).then_some(to),
            rng.random_range(0..KINDS.len()),
            format!("Fonction {}", rng.random_range(1..500)),
        ));
    }
    Ok(Award {
        birth_name: surname(seed, n),
        given: format!("{} {}", FIRST[k % FIRST.len()], GIVEN[n % 7]),
        sex: if rng.random_bool(0.5) { "F" } else { "M" },
        birth,
        place: PLACES[rng.random_range(0..PLACES.len())],
        distinction: if rng.random_bool(0.6) { "ONM" } else { "LH" },
        decree,
        jo: format!("JORF n° {:04}", rng.random_range(1..300)),
        reception,
        unit: UNITS[rng.random_range(0..UNITS.len())],
        periods,
    })
}

impl Award {
    fn cells(&self) -> Vec<String> {
        let mut cells = vec![
            self.birth_name.clone(),
            String::new(),
            self.given.clone(),
            self.sex.to_owned(),
            fr(self.birth),
            self.place.to_owned(),
            self.distinction.to_owned(),
            "chevalier".to_owned(),
            fr(self.decree),
            self.jo.clone(),
            self.reception.map(fr).unwrap_or_default(),
            self.unit.to_owned(),
        ];
        for p in 0..3 {
            match self.periods.get(p) {
                Some((from, to, kind, position)) => cells.extend([
                    fr(*from),
                    to.map(fr).unwrap_or_default(),
                    KINDS[*kind].to_owned(),
                    position.clone(),
                ]),
                None => cells.extend([String::new(), String::new(), String::new(), String::new()]),
            }
        }
        cells
    }
}

/// Corrupts one row's cells in the `kind`-th way.
fn corrupt(cells: &mut [String], kind: usize, today: NaiveDate) {
    match kind {
        0 => cells[4] = "31/02/1970".to_owned(),
        1 => cells[8] = fr(today + Duration::days(400)),
        2 => cells[6] = "XYZ".to_owned(),
        3 => cells[7] = "amiral".to_owned(),
        4 => cells[0].clear(),
        5 => cells[3] = "X".to_owned(),
        6 => {
            cells[8] = "01/06/2010".to_owned();
            cells[10] = "01/01/2010".to_owned();
        }
        7 => cells[11] = "ZZ".to_owned(),
        8 => {
            cells[12] = "01/09/1990".to_owned();
            cells[13].clear();
            cells[14] = "Sabbatique".to_owned();
            cells[15] = "Fonction".to_owned();
        }
        9 => cells[8] = "01/01/1930".to_owned(),
        10 => cells[0] = "N".repeat(101),
        _ => cells[9].clear(),
    }
}

/// The generated file: its path, its corrupted rows' list and their row numbers.
pub(crate) struct RegistryFile {
    pub(crate) path: PathBuf,
    pub(crate) corrupted: PathBuf,
    pub(crate) bad: Vec<u64>,
}

/// Writes the registry file (`;`, UTF-8 with a BOM) of `rows` rows and the list of the rows
/// it corrupted (`ligne;nature`), into `dir`.
pub(crate) fn write_file(
    dir: &Path,
    seed: u64,
    rows: usize,
    today: NaiveDate,
) -> anyhow::Result<RegistryFile> {
    let path = dir.join(format!("registre-{seed}-{rows}.csv"));
    let corrupted = dir.join(format!("registre-{seed}-{rows}.corrompues.csv"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let mut list = std::io::BufWriter::new(std::fs::File::create(&corrupted)?);
    writeln!(list, "ligne;nature")?;
    write!(out, "\u{FEFF}{}\r\n", HEADERS.join(";"))?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5245_4749_5354_5245);
    let mut bad = Vec::new();
    for n in 0..rows {
        let award = award(&mut rng, seed, n, today)?;
        let mut cells = award.cells();
        let line = n as u64 + 2;
        // 1 %: every hundredth row, the ways taken in turn.
        if n % 100 == 57 {
            let kind = (n / 100) % CORRUPTIONS.len();
            corrupt(&mut cells, kind, today);
            bad.push(line);
            writeln!(list, "{line};{}", CORRUPTIONS[kind])?;
        }
        write!(out, "{}\r\n", cells.join(";"))?;
    }
    out.flush()?;
    list.flush()?;
    Ok(RegistryFile {
        path,
        corrupted,
        bad,
    })
}

/// The valid rows as `COPY` lines for the three tables, for `tenant`.
fn copy_rows(
    seed: u64,
    rows: usize,
    today: NaiveDate,
    tenant: Uuid,
    units: &[(String, Uuid)],
) -> anyhow::Result<(Vec<String>, Vec<String>, Vec<String>)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5245_4749_5354_5245);
    let mut ids = ChaCha8Rng::seed_from_u64(seed ^ 0x00C0_FFEE);
    let id = |ids: &mut ChaCha8Rng| uuid::Builder::from_random_bytes(ids.random()).into_uuid();
    let (mut people, mut awards, mut careers) = (Vec::new(), Vec::new(), Vec::new());
    let t = tenant.to_string();
    for n in 0..rows {
        let a = award(&mut rng, seed, n, today)?;
        if n % 100 == 57 {
            continue;
        }
        let (laureate, award_id) = (id(&mut ids), id(&mut ids));
        let identity = json!({"birth_name": a.birth_name, "usual_name": "", "given_names": a.given,
            "sex": a.sex, "birth_date": a.birth.to_string(), "birth_place": a.place})
        .to_string();
        let l = laureate.to_string();
        people.push(line(&[Some(&t), Some(&l), Some(&identity)]));
        let unit = units
            .iter()
            .find(|(code, _)| code == a.unit)
            .map(|(_, u)| u.to_string());
        awards.push(line(&[
            Some(&t),
            Some(&award_id.to_string()),
            Some(&l),
            Some(a.distinction),
            Some("chevalier"),
            Some(&a.decree.to_string()),
            Some(&a.jo),
            a.reception.map(|r| r.to_string()).as_deref(),
            unit.as_deref(),
        ]));
        for (from, to, kind, position) in &a.periods {
            careers.push(line(&[
                Some(&t),
                Some(&id(&mut ids).to_string()),
                Some(&l),
                Some(&from.to_string()),
                to.map(|d| d.to_string()).as_deref(),
                Some(KIND_CODES[*kind]),
                Some(position),
            ]));
        }
    }
    Ok((people, awards, careers))
}

/// What the benchmark measured.
#[derive(Debug, serde::Serialize)]
pub(crate) struct ImportFigures {
    pub(crate) rows: usize,
    pub(crate) valid: usize,
    pub(crate) corrupted: usize,
    pub(crate) file_bytes: u64,
    pub(crate) import_seconds: f64,
    pub(crate) import_rows_per_second: f64,
    pub(crate) again_seconds: f64,
    pub(crate) copy_seconds: f64,
    pub(crate) copy_rows_per_second: f64,
    pub(crate) ratio: f64,
    pub(crate) report_matches: bool,
    pub(crate) again_adds_nothing: bool,
}

/// Runs `napoleon import registry` on `database`; its stdout and wall time.
async fn import(
    napoleon: &Path,
    url: &str,
    file: &Path,
    report: &Path,
) -> anyhow::Result<(String, f64)> {
    let started = Instant::now();
    let out = tokio::process::Command::new(napoleon)
        .args(["import", "registry", "--tenant", "interieur", "--rapport"])
        .arg(report)
        .arg(file)
        .env_remove("NAPOLEON_CONFIG")
        .env("NAPOLEON__DATABASE__URL", url)
        .env("NAPOLEON__LOG__FILTER", "warn")
        .env("OTEL_SDK_DISABLED", "true")
        .output()
        .await
        .context("napoleon import registry")?;
    let seconds = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "napoleon import registry: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok((stdout, seconds))
}

/// The report's rows (its first column), in file order.
fn reported_rows(report: &Path) -> anyhow::Result<Vec<u64>> {
    let text = std::fs::read_to_string(report)?;
    let mut rows: Vec<u64> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(';').next()?.parse().ok())
        .collect();
    rows.dedup();
    Ok(rows)
}

/// The demo's `interieur` tenant's id, where the generated registry goes.
pub(crate) async fn interieur(client: &tokio_postgres::Client) -> anyhow::Result<String> {
    Ok(client
        .query_one(
            "SELECT id::text FROM core.tenants WHERE slug = 'interieur'",
            &[],
        )
        .await?
        .get(0))
}

/// The generator's valid rows (`seed`, `rows`) put into the demo's `interieur` tenant with one
/// `COPY FROM` per table in one transaction, as the superuser of `client`'s database: how
/// many, and the seconds the transaction took (the import's benchmark compares them; the
/// export's starts from them).
pub(crate) async fn copy_registry(
    client: &mut tokio_postgres::Client,
    seed: u64,
    rows: usize,
    today: NaiveDate,
) -> anyhow::Result<(usize, f64)> {
    let tenant = interieur(client).await?;
    let units = client
        .query(
            "SELECT code, id::text FROM core.org_units WHERE tenant_id = $1::text::uuid",
            &[&tenant],
        )
        .await?
        .into_iter()
        .map(|r| Ok((r.get::<_, String>(0), Uuid::parse_str(r.get(1))?)))
        .collect::<anyhow::Result<Vec<(String, Uuid)>>>()?;
    let tenant = Uuid::parse_str(&tenant)?;
    let (people, awards, careers) = copy_rows(seed, rows, today, tenant, &units)?;
    let valid = people.len();
    let started = Instant::now();
    let tx = client.transaction().await?;
    copy(
        &tx,
        "registry.laureates",
        "tenant_id, id, identity",
        &mut people.into_iter(),
    )
    .await?;
    copy(
        &tx,
        "registry.awards",
        "tenant_id, id, laureate_id, distinction, grade, decree_date, jo_reference, reception_date, unit_id",
        &mut awards.into_iter(),
    )
    .await?;
    copy(
        &tx,
        "registry.service_periods",
        "tenant_id, id, laureate_id, starts_on, ends_on, kind, position",
        &mut careers.into_iter(),
    )
    .await?;
    tx.commit().await?;
    Ok((valid, started.elapsed().as_secs_f64()))
}

/// The benchmark on `cluster`, from the base database `base`: the import into one fresh copy,
/// `COPY` into another.
pub(crate) async fn measure(
    napoleon: &Path,
    cluster: &napoleon_db::cluster::LocalCluster,
    base: &str,
    dir: &Path,
    seed: u64,
    rows: usize,
) -> anyhow::Result<ImportFigures> {
    let today = chrono::Utc::now().date_naive();
    eprintln!("==> generating the registry file ({rows} rows, seed {seed})");
    let file = write_file(dir, seed, rows, today)?;
    let file_bytes = std::fs::metadata(&file.path)?.len();
    eprintln!(
        "    {} ({} MB), corrupted rows listed in {}",
        file.path.display(),
        file_bytes / 1_000_000,
        file.corrupted.display()
    );
    let fresh = |name: &'static str| async move {
        let mut admin = cluster.connect_admin().await?;
        let client = crate::run::admin_client(cluster, "postgres").await?;
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
        napoleon_db::roles::create_database(&mut admin, name, Some(base)).await?;
        anyhow::Ok(name)
    };

    let target = fresh("napoleon_import").await?;
    let url = cluster.app_url(target);
    let report = dir.join("registre-rapport.csv");
    eprintln!("==> napoleon import registry");
    let (out, import_seconds) = import(napoleon, url.expose(), &file.path, &report).await?;
    eprintln!("{out}");
    let report_matches = reported_rows(&report)? == file.bad;
    eprintln!("==> the same file again");
    let (again, again_seconds) = import(napoleon, url.expose(), &file.path, &report).await?;
    let again_adds_nothing = again.contains("0 distinction(s) ajoutée(s)");

    let target = fresh("napoleon_copy").await?;
    let mut client = crate::run::admin_client(cluster, target).await?;
    eprintln!("==> COPY FROM of the same valid rows into the same tables");
    let (valid, copy_seconds) = copy_registry(&mut client, seed, rows, today).await?;
    let import_rows_per_second = valid as f64 / import_seconds;
    let copy_rows_per_second = valid as f64 / copy_seconds;
    for name in ["napoleon_import", "napoleon_copy"] {
        let client = crate::run::admin_client(cluster, "postgres").await?;
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
    }
    Ok(ImportFigures {
        rows,
        valid,
        corrupted: file.bad.len(),
        file_bytes,
        import_seconds,
        import_rows_per_second,
        again_seconds,
        copy_seconds,
        copy_rows_per_second,
        ratio: import_rows_per_second / copy_rows_per_second,
        report_matches,
        again_adds_nothing,
    })
}
