//! Issue 18, Build 1: the registry imported from an agent's file. Checked first (a dry run:
//! the full line-level report, nothing written), then imported in batches journaled with the
//! file's SHA-256; the same file twice adds nothing; every format and encoding reads the same
//! rows; a file that is not the template's is refused as a whole, in French, with nothing
//! written; `kill -9` mid-import keeps committed batches and the same command finishes the
//! rest; an import is undone as a whole while nothing depends on it.

use std::io::Cursor;
use std::path::Path;
use std::process::Output;

use napoleon_decisions::registry_import::{self, ImportError, Report};
use napoleon_kernel::TenantId;
use napoleon_testkit::{TestDb, count};

const HEADERS: &str = "Nom de naissance;Nom d'usage;Prénoms;Sexe;Date de naissance;\
Lieu de naissance;Distinction;Grade;Date du décret;Référence JO;Date de réception;\
Unité proposante;Carrière 1 début;Carrière 1 fin;Carrière 1 nature;Carrière 1 fonction;\
Carrière 2 début;Carrière 2 fin;Carrière 2 nature;Carrière 2 fonction";

/// Four valid rows (three people: Lefèvre holds two awards), three refused ones.
const ROWS: &str = "\
LEFÈVRE;;Hélène Marie;F;14/03/1961;Lyon (Rhône);ONM;chevalier;14/11/2008;JORF n° 0266;02/02/2009;69;01/09/1985;31/08/2000;Service public;Professeure;01/09/2000;;public;Proviseure
DURAND;Martin;Paul;M;1958-07-01;Bordeaux;LH;chevalier;2012-07-14;JORF n° 0163;;;;;;;;;;
LEFEVRE;;Hélène;femme;14/03/1961;Lyon;ONM;Officier;14/11/2016;JORF n° 0265;;;;;;;;;;
Nguyen;;Thi;F;28/02/1970;Paris;LH;chevalier;01/01/2019;JORF n° 0001;;;;;;;;;;
Moreau;;Jacques;M;31/02/1960;Nantes;ONM;chevalier;14/11/2010;JORF n° 0264;;;;;;;;;;
;;Anne;F;01/01/1965;Brest;ONM;commandeur-ou-pas;14/11/2010;JORF n° 0264;;;;;;;;;;
Roux;;Louis;X;01/01/1965;Brest;MHX;chevalier;14/11/2010;;;99;;;;;;;;
";

/// The seeded demo and its `interieur` tenant.
async fn seeded() -> (TestDb, TenantId) {
    let tdb = TestDb::new().await.unwrap();
    napoleon::demo::seed(&tdb.app_db().unwrap(), &[])
        .await
        .unwrap();
    let db = tdb.app_db().unwrap();
    let mut conn = db.platform().await.unwrap();
    let slug = napoleon_kernel::TenantSlug::parse("interieur").unwrap();
    let tenant = napoleon_db::core::find_tenant(&mut conn, &slug)
        .await
        .unwrap()
        .unwrap()
        .id;
    (tdb, tenant)
}

fn cli(tdb: &TestDb, args: &[&str]) -> Output {
    tdb.command(env!("CARGO_BIN_EXE_napoleon"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn registry_counts(tdb: &TestDb, tenant: TenantId) -> (i64, i64, i64, i64) {
    let db = tdb.app_db().unwrap();
    let mut tx = db.tenant(tenant).await.unwrap();
    let counts = (
        count(tx.pg(), "SELECT count(*) AS n FROM registry.laureates").await,
        count(tx.pg(), "SELECT count(*) AS n FROM registry.awards").await,
        count(
            tx.pg(),
            "SELECT count(*) AS n FROM registry.service_periods",
        )
        .await,
        count(tx.pg(), "SELECT count(*) AS n FROM registry.imports").await,
    );
    tx.rollback().await;
    counts
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

fn windows_1252(text: &str) -> Vec<u8> {
    let (bytes, _, lossy) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!lossy);
    bytes.into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_checks_then_imports_a_file_and_the_same_file_twice_adds_nothing() {
    let (tdb, tenant) = seeded().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "registre.csv",
        &windows_1252(&format!("{HEADERS}\r\n{}", ROWS.replace('\n', "\r\n"))),
    );
    let report = dir.path().join("rapport.csv");
    let report_arg = report.to_string_lossy().into_owned();
    let before = registry_counts(&tdb, tenant).await;

    // The dry run: the full report, nothing written.
    let out = stdout(&cli(
        &tdb,
        &[
            "import",
            "registry",
            "--tenant",
            "interieur",
            "--verifier",
            "--rapport",
            &report_arg,
            &file,
        ],
    ));
    assert!(out.contains("CSV, Windows-1252, séparateur « ; »"), "{out}");
    assert!(
        out.contains("7 ligne(s) lue(s) : 4 valide(s), 3 refusée(s)"),
        "{out}"
    );
    assert!(
        out.contains("vérification seule : rien n'a été écrit"),
        "{out}"
    );
    assert_eq!(registry_counts(&tdb, tenant).await, before);
    let expected = "\u{FEFF}Ligne;Colonne;Valeur;Motif\r\n\
6;\"Date de naissance\";\"31/02/1960\";\"date invalide : JJ/MM/AAAA attendu\"\r\n\
7;\"Nom de naissance\";\"\";\"obligatoire\"\r\n\
7;\"Grade\";\"commandeur-ou-pas\";\"grade inconnu pour cette distinction (chevalier, officier, commandeur, grand_officier, grand_croix)\"\r\n\
8;\"Référence JO\";\"\";\"obligatoire\"\r\n\
8;\"Sexe\";\"X\";\"F ou M attendu\"\r\n\
8;\"Distinction\";\"MHX\";\"distinction inconnue du catalogue du ministère (codes : ACD, AL, LH, MA, MHPN, MHRDC, MHSP, MHT, MJSEA, MM, MSI, ONM, PA)\"\r\n\
8;\"Unité proposante\";\"99\";\"unité inconnue dans ce ministère\"\r\n";
    assert_eq!(std::fs::read_to_string(&report).unwrap(), expected);

    // The import: three people (the two Lefèvre rows are one person: same folded birth name,
    // first given name and birth date), four awards, two career periods.
    let out = stdout(&cli(
        &tdb,
        &[
            "import",
            "registry",
            "--tenant",
            "interieur",
            "--rapport",
            &report_arg,
            &file,
        ],
    ));
    assert!(
        out.contains("4 distinction(s) ajoutée(s), 0 déjà présente(s)"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&report).unwrap(), expected);
    let after = registry_counts(&tdb, tenant).await;
    assert_eq!(
        after,
        (before.0 + 3, before.1 + 4, before.2 + 2, before.3 + 1)
    );
    let id = out
        .lines()
        .find_map(|l| l.strip_prefix("import "))
        .unwrap()
        .trim()
        .to_owned();

    let db = tdb.app_db().unwrap();
    let mut tx = db.tenant(tenant).await.unwrap();
    let lefevre = count(
        tx.pg(),
        "SELECT count(*) AS n FROM registry.awards a JOIN registry.laureates l \
           ON l.tenant_id = a.tenant_id AND l.id = a.laureate_id \
         WHERE l.person_key = 'lefevre|helene|1961-03-14'",
    )
    .await;
    assert_eq!(lefevre, 2);
    // One event per batch (here one), with the file's hash and counts; not one per row.
    let sha = napoleon_storage::sha256_hex(&std::fs::read(&file).unwrap());
    let batch = count(
        tx.pg(),
        &format!(
            "SELECT count(*) AS n FROM journal.events WHERE kind = 'registry.import_batch' \
             AND payload->>'sha256' = '{sha}' AND (payload->>'inserted')::int = 4 \
             AND (payload->>'rejected')::int = 3 AND actor = 'system:cli' \
             AND subject = 'registry_import:{id}'"
        ),
    )
    .await;
    assert_eq!(batch, 1);
    let problems = count(
        tx.pg(),
        "SELECT count(*) AS n FROM registry.import_problems",
    )
    .await;
    assert_eq!(problems, 7);
    tx.rollback().await;

    // The same file again: a new import that adds nothing.
    let out = stdout(&cli(
        &tdb,
        &["import", "registry", "--tenant", "interieur", &file],
    ));
    assert!(
        out.contains("0 distinction(s) ajoutée(s), 4 déjà présente(s)"),
        "{out}"
    );
    assert!(
        out.contains("ligne 6, colonne « Date de naissance » : date invalide"),
        "{out}"
    );
    let again = registry_counts(&tdb, tenant).await;
    assert_eq!((again.0, again.1, again.2), (after.0, after.1, after.2));

    // Undone as a whole, journaled; undone twice is refused in French.
    let out = stdout(&cli(
        &tdb,
        &["import", "undo", "--tenant", "interieur", &id],
    ));
    assert!(
        out.contains("annulé : 4 distinction(s), 3 lauréat(s), 2 période(s) de carrière retirés"),
        "{out}"
    );
    let undone = registry_counts(&tdb, tenant).await;
    assert_eq!(
        (undone.0, undone.1, undone.2),
        (before.0, before.1, before.2)
    );
    let twice = cli(&tdb, &["import", "undo", "--tenant", "interieur", &id]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("cet import est déjà annulé"));
    let other = cli(&tdb, &["import", "undo", "--tenant", "culture", &id]);
    assert_eq!(other.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other.stderr).contains("aucun import"));

    // The template reads back as the template.
    let template = stdout(&cli(&tdb, &["import", "template"]));
    let dry = check(&tdb, tenant, template.into_bytes()).await.unwrap();
    assert_eq!((dry.valid, dry.rejected), (1, 0));
    tdb.finish().await;
}

async fn check(tdb: &TestDb, tenant: TenantId, bytes: Vec<u8>) -> Result<Report, ImportError> {
    registry_import::check(
        &tdb.app_db().unwrap(),
        tenant,
        Cursor::new(bytes),
        &mut |_| {},
    )
    .await
}

/// The same rows from every format and encoding an agent's tool writes.
#[tokio::test(flavor = "multi_thread")]
async fn every_format_and_encoding_reads_the_same_rows() {
    let (tdb, tenant) = seeded().await;
    let text = format!("{HEADERS}\n{ROWS}");
    let headers: Vec<&str> = HEADERS.split(';').collect();
    let rows: Vec<Vec<&str>> = ROWS.lines().map(|l| l.split(';').collect()).collect();

    let mut files: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "UTF-8",
            text.clone().into_bytes(),
            "CSV, UTF-8, séparateur « ; »",
        ),
        (
            "BOM and commas",
            [&[0xEF, 0xBB, 0xBF][..], text.replace(';', ",").as_bytes()].concat(),
            "CSV, UTF-8 avec BOM, séparateur « , »",
        ),
        (
            "Windows-1252",
            windows_1252(&text),
            "CSV, Windows-1252, séparateur « ; »",
        ),
    ];
    // XLSX with real date cells where the CSV has dates.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            let as_date = chrono::NaiveDate::parse_from_str(cell, "%d/%m/%Y").ok();
            match as_date {
                Some(d) => {
                    let dt = rust_xlsxwriter::ExcelDateTime::from_ymd(
                        d.format("%Y").to_string().parse().unwrap(),
                        d.format("%m").to_string().parse().unwrap(),
                        d.format("%d").to_string().parse().unwrap(),
                    )
                    .unwrap();
                    sheet
                        .write_datetime_with_format(r, c, &dt, &date_format)
                        .unwrap();
                }
                None if !cell.is_empty() => {
                    sheet.write_string(r, c, *cell).unwrap();
                }
                None => {}
            }
        }
    }
    files.push(("XLSX", book.save_to_buffer().unwrap(), "XLSX"));
    // ODS from the streaming writer, dates as date cells.
    {
        use napoleon_tabular::ods::{Cell, Writer};
        let mut ods = Writer::new(Cursor::new(Vec::new()), "Registre").unwrap();
        let cells: Vec<Cell> = headers.iter().map(|h| Cell::Text(h)).collect();
        ods.row(&cells).unwrap();
        let iso: Vec<Vec<String>> = rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|c| {
                        chrono::NaiveDate::parse_from_str(c, "%d/%m/%Y")
                            .map_or_else(|_| (*c).to_owned(), |d| d.to_string())
                    })
                    .collect()
            })
            .collect();
        for (row, iso) in rows.iter().zip(&iso) {
            let cells: Vec<Cell> = row
                .iter()
                .zip(iso)
                .map(|(c, i)| {
                    if c.is_empty() {
                        Cell::Empty
                    } else if c != i {
                        Cell::Date(i)
                    } else {
                        Cell::Text(c)
                    }
                })
                .collect();
            ods.row(&cells).unwrap();
        }
        files.push(("ODS", ods.finish().unwrap().into_inner(), "ODS"));
    }
    let mut reports = Vec::new();
    for (what, bytes, detected) in files {
        let report = check(&tdb, tenant, bytes)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(report.detected, detected, "{what}");
        assert_eq!(
            (report.rows, report.valid, report.rejected),
            (7, 4, 3),
            "{what}"
        );
        let lines: Vec<(u64, String)> = report
            .problems
            .iter()
            .map(|p| (p.line, p.column.clone()))
            .collect();
        reports.push((what, lines));
    }
    // Row 6's invalid date is a text cell in every format (no spreadsheet holds 31/02).
    for (what, lines) in &reports {
        assert_eq!(lines, &reports[0].1, "{what}");
    }
    tdb.finish().await;
}

/// A file that is not the template's table is refused as a whole, naming what is wrong, and
/// nothing is written (not even the import's record).
#[tokio::test(flavor = "multi_thread")]
async fn files_that_are_not_the_template_are_refused_as_a_whole() {
    let (tdb, tenant) = seeded().await;
    let before = registry_counts(&tdb, tenant).await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "le fichier est vide"),
        ("blank", b"\r\n \r\n".to_vec(), "le fichier est vide"),
        (
            "missing columns",
            "Nom de naissance;Prénoms\nDupont;Jean\n"
                .as_bytes()
                .to_vec(),
            "colonne obligatoire « Sexe » absente",
        ),
        (
            "renamed column",
            HEADERS.replace("Date du décret", "Décret").into_bytes(),
            "colonne « Décret » inconnue : nommez-la comme dans le modèle ; colonne obligatoire « Date du décret » absente",
        ),
        (
            "twice the same column",
            format!("{HEADERS};date de  NAISSANCE").into_bytes(),
            "la colonne « Date de naissance » apparaît deux fois",
        ),
        (
            "XLS",
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
            "le format XLS (Excel 97-2003) n'est pas accepté",
        ),
        (
            "PDF",
            b"%PDF-1.7\n\0\0\0".to_vec(),
            "ni un CSV, ni un classeur XLSX",
        ),
    ];
    let db = tdb.app_db().unwrap();
    for (what, bytes, says) in cases {
        let request = registry_import::ImportRequest {
            file_name: format!("{what}.csv"),
            sha256: napoleon_storage::sha256_hex(&bytes),
            size: bytes.len() as u64,
            actor: napoleon_db::journal::Actor::System("test"),
            started_by: None,
            batch: 100,
        };
        let refused = registry_import::run(&db, tenant, Cursor::new(bytes), &request, &mut |_| {})
            .await
            .map(|_| ())
            .unwrap_err();
        assert!(refused.to_string().contains(says), "{what}: {refused}");
    }
    assert_eq!(registry_counts(&tdb, tenant).await, before);
    tdb.finish().await;
}

/// A generated registry file: `rows` valid rows (distinct people), every 50th row corrupted.
fn generated(rows: usize) -> (String, Vec<u64>) {
    let mut text = String::from(HEADERS);
    text.push('\n');
    let mut bad = Vec::new();
    for n in 0..rows {
        let line = n as u64 + 2;
        let (birth, decree) = (
            chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap()
                + chrono::Duration::days(n as i64 % 9000),
            chrono::NaiveDate::from_ymd_opt(2001, 1, 1).unwrap()
                + chrono::Duration::days(n as i64 / 9000),
        );
        let date = if n % 50 == 49 {
            bad.push(line);
            "99/99/1999".to_owned()
        } else {
            birth.format("%d/%m/%Y").to_string()
        };
        text.push_str(&format!(
            "Nom{};;Prénom{};F;{date};Lyon;ONM;chevalier;{};JORF n° {};;;;;;;;;;\n",
            n % 97,
            n % 89,
            decree.format("%d/%m/%Y"),
            n % 300
        ));
    }
    (text, bad)
}

/// `kill -9` mid-import: the committed batches stay whole (awards exactly those of the rows
/// up to the resume point, nothing of a half batch), and the same command finishes the rest.
#[tokio::test(flavor = "multi_thread")]
async fn an_import_killed_mid_way_resumes_after_its_last_committed_batch() {
    let (tdb, tenant) = seeded().await;
    let dir = tempfile::tempdir().unwrap();
    let (text, bad) = generated(30_000);
    let file = write(dir.path(), "gros.csv", text.as_bytes());
    let before = registry_counts(&tdb, tenant).await;
    let mut child = tdb
        .command(env!("CARGO_BIN_EXE_napoleon"))
        .args([
            "import",
            "registry",
            "--tenant",
            "interieur",
            "--lot",
            "500",
            &file,
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let db = tdb.app_db().unwrap();
    let done_rows = |db: napoleon_db::Db| async move {
        let mut tx = db.tenant(tenant).await.unwrap();
        let n = count(
            tx.pg(),
            "SELECT coalesce(max(rows_done), 0) AS n FROM registry.imports",
        )
        .await;
        tx.rollback().await;
        n
    };
    // Killed once a few batches are in, well before the end.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while done_rows(db.clone()).await < 3_000 {
        assert!(
            std::time::Instant::now() < deadline,
            "the import never started"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before the kill"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let rows_done = done_rows(db.clone()).await;
    assert!(
        rows_done < 30_001,
        "killed too late to test anything: {rows_done}"
    );
    let killed = registry_counts(&tdb, tenant).await;
    let valid_done =
        (rows_done - 1) as usize - bad.iter().filter(|l| **l as i64 <= rows_done).count();
    assert_eq!(
        killed.1 - before.1,
        valid_done as i64,
        "awards of the committed rows only"
    );
    assert_eq!(killed.0 - before.0, valid_done as i64);

    // The same command: it resumes after the last committed batch and finishes.
    let report = dir.path().join("rapport.csv");
    let report_arg = report.to_string_lossy().into_owned();
    let out = stdout(&cli(
        &tdb,
        &[
            "import",
            "registry",
            "--tenant",
            "interieur",
            "--lot",
            "500",
            "--rapport",
            &report_arg,
            &file,
        ],
    ));
    assert!(
        out.contains(&format!("reprise après la ligne {rows_done}")),
        "{out}"
    );
    let finished = registry_counts(&tdb, tenant).await;
    assert_eq!(finished.1 - before.1, (30_000 - bad.len()) as i64);
    assert_eq!(finished.3 - before.3, 1, "one import, resumed");
    // Its problems, over both runs, are exactly the corrupted rows.
    let mut tx = db.tenant(tenant).await.unwrap();
    let lines: Vec<i64> = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        #[derive(QueryableByName)]
        struct L {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            line: i64,
        }
        diesel::sql_query("SELECT line FROM registry.import_problems ORDER BY line")
            .load::<L>(tx.pg())
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.line)
            .collect()
    };
    let expected: Vec<i64> = bad.iter().map(|l| *l as i64).collect();
    assert_eq!(lines, expected);
    // The batches' journal events cover disjoint row ranges, the whole file once.
    let covered = count(
        tx.pg(),
        "SELECT coalesce(sum((payload->>'to_row')::bigint - (payload->>'from_row')::bigint + 1), 0)::bigint AS n \
         FROM journal.events WHERE kind = 'registry.import_batch'",
    )
    .await;
    assert_eq!(covered, 30_000);
    let finished_events = count(
        tx.pg(),
        "SELECT count(*) AS n FROM journal.events WHERE kind = 'registry.import_finished'",
    )
    .await;
    assert_eq!(finished_events, 1);
    tx.rollback().await;
    // This run's report lists the rows it read past the resume point.
    let reported = std::fs::read_to_string(&report).unwrap();
    let after_resume: Vec<&u64> = bad.iter().filter(|l| **l as i64 > rows_done).collect();
    assert_eq!(reported.lines().count() - 1, after_resume.len());
    tdb.finish().await;
}

/// A 50 MB file is read as a stream and every corrupted row reported (the check: the import
/// runs the same reading; its speed is measured in loadtests/).
#[tokio::test(flavor = "multi_thread")]
async fn a_50_mb_file_is_checked_to_its_last_row() {
    let (tdb, tenant) = seeded().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut text, mut bad) = generated(500_000);
    // Padded to 50 MB with the given names (the same rows, longer).
    let padding = " Marie-Claire-Élisabeth";
    text = text.replace(";F;", &format!("{padding};F;"));
    assert!(text.len() >= 50 * 1024 * 1024, "{} bytes", text.len());
    let file = write(dir.path(), "50mo.csv", text.as_bytes());
    drop(text);
    let report = registry_import::check(
        &tdb.app_db().unwrap(),
        tenant,
        std::io::BufReader::new(std::fs::File::open(&file).unwrap()),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.rows, 500_000);
    assert_eq!(report.rejected as usize, bad.len());
    let lines: Vec<u64> = report.problems.iter().map(|p| p.line).collect();
    bad.sort_unstable();
    assert_eq!(lines, bad);
    tdb.finish().await;
}

/// The page: a file checked (the report on the page, nothing written), then imported from the
/// report without sending it again, a corrected file recognising the rows already in, an
/// import undone from the list; refusals said on the form, in French; the page and its jobs
/// for `registry:manage` only, another tenant's job a 404.
#[tokio::test(flavor = "multi_thread")]
async fn the_page_checks_imports_and_undoes_with_the_report_on_the_page() {
    use axum::http::Method;
    use napoleon::samples::multipart_named;
    use napoleon_testkit::{Cast, TestApp, cast};
    use serde_json::json;

    let app = TestApp::services().await;
    let cast: Cast = cast(&app).await;
    let page = "/decisions/registre/import";
    let counts = |app: &TestApp, tenant: TenantId| {
        let db = app.ctx.db.clone();
        async move {
            let mut tx = db.tenant(tenant).await.unwrap();
            let n = count(tx.pg(), "SELECT count(*) AS n FROM registry.awards").await;
            tx.rollback().await;
            n
        }
    };
    let before = counts(&app, cast.tenant).await;

    // The page and its form: the integrateur only.
    let shown = app
        .call(&cast.integrateur, Method::GET, page, json!({}))
        .await;
    assert_eq!(shown.status, 200);
    assert!(shown.text().contains("Vérifier le fichier"));
    assert!(shown.text().contains("Date de naissance"));
    assert_eq!(
        app.call(&cast.redacteur, Method::GET, page, json!({}))
            .await
            .status,
        403
    );
    let template = app
        .call(
            &cast.integrateur,
            Method::GET,
            "/decisions/registre/import/modele.csv",
            json!({}),
        )
        .await;
    assert_eq!(template.status, 200);
    assert!(template.header("content-type").starts_with("text/csv"));
    assert!(
        template
            .text()
            .contains("Nom de naissance;Nom d'usage;Prénoms")
    );

    // Refusals on the form, nothing stored or enqueued.
    let file = format!("{HEADERS}\n{ROWS}");
    for (body, says) in [
        (
            multipart_named("fichier", &[("mode", "verification")], &[("vide.csv", b"")]),
            "le fichier est vide",
        ),
        (
            multipart_named(
                "fichier",
                &[("mode", "verification")],
                &[("autre.csv", b"Nom;Prenom\nDupont;Jean\n")],
            ),
            "colonne obligatoire « Sexe » absente",
        ),
        (
            multipart_named("fichier", &[], &[("registre.csv", file.as_bytes())]),
            "Choisissez « Vérifier le fichier » ou « Importer »",
        ),
        (
            multipart_named("fichier", &[("mode", "verification")], &[]),
            "choisissez le fichier",
        ),
    ] {
        let refused = app.upload(&cast.integrateur, page, body).await;
        assert_eq!(refused.status, 422, "{says}");
        assert!(refused.text().contains(says), "{says}: {}", refused.text());
        assert!(refused.text().contains("fichier-error"));
    }
    let mut tx = app.ctx.db.tenant(cast.tenant).await.unwrap();
    assert_eq!(
        count(tx.pg(), "SELECT count(*) AS n FROM jobs.jobs").await,
        0
    );
    tx.rollback().await;
    let forbidden = app
        .upload(
            &cast.redacteur,
            page,
            multipart_named(
                "fichier",
                &[("mode", "import")],
                &[("r.csv", file.as_bytes())],
            ),
        )
        .await;
    assert_eq!(forbidden.status, 403);

    // Checked: the job's page, then its report; nothing written.
    let checked = app
        .upload(
            &cast.integrateur,
            page,
            multipart_named(
                "fichier",
                &[("_csrf", "jeton"), ("mode", "verification")],
                &[("registre.csv", file.as_bytes())],
            ),
        )
        .await;
    assert_eq!(checked.status, 303, "{}", checked.text());
    let job = checked.header("location").to_owned();
    assert!(job.starts_with("/decisions/registre/import/taches/"));
    let waiting = app
        .call(&cast.integrateur, Method::GET, &job, json!({}))
        .await;
    assert_eq!(waiting.status, 200);
    assert!(waiting.text().contains("Vérification du fichier"));
    assert!(
        waiting
            .text()
            .contains(r#"<meta http-equiv="refresh" content="5">"#)
    );
    assert_eq!(app.run_decisions_jobs().await, 1);
    let report = app
        .call(&cast.integrateur, Method::GET, &job, json!({}))
        .await;
    let text = report.text();
    assert!(
        text.contains("7 ligne(s) lue(s) : 4 valide(s), 3 refusée(s)."),
        "{text}"
    );
    assert!(
        text.contains("rien n&#x27;a été écrit") || text.contains("rien n'a été écrit"),
        "{text}"
    );
    assert!(text.contains("commandeur-ou-pas"));
    assert!(text.contains("unité inconnue dans ce ministère"));
    assert!(!report.text().contains("http-equiv=\"refresh\""));
    assert_eq!(counts(&app, cast.tenant).await, before);
    let csv = app
        .call(
            &cast.integrateur,
            Method::GET,
            &format!("{job}/rapport.csv"),
            json!({}),
        )
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.text().lines().count(), 8);
    // Another tenant's agent, and a job of another kind: 404.
    let outsider = app.call(&cast.outsider, Method::GET, &job, json!({})).await;
    assert!(
        outsider.status == 404 || outsider.status == 403,
        "{}",
        outsider.status
    );

    // Imported from the report, without sending the file again.
    let imported = app
        .form(
            &cast.integrateur,
            &format!("{job}/importer"),
            &[("_csrf", "jeton")],
        )
        .await;
    assert_eq!(imported.status, 303);
    let import_job = imported.header("location").to_owned();
    assert_ne!(import_job, job);
    assert_eq!(app.run_decisions_jobs().await, 1);
    let done = app
        .call(&cast.integrateur, Method::GET, &import_job, json!({}))
        .await;
    assert!(
        done.text()
            .contains("4 distinction(s) ajoutée(s) au registre, 0 déjà présente(s)."),
        "{}",
        done.text()
    );
    assert_eq!(counts(&app, cast.tenant).await, before + 4);
    // An import job is not imported again from its page.
    let again = app
        .form(&cast.integrateur, &format!("{import_job}/importer"), &[])
        .await;
    assert_eq!(again.status, 409);

    // The corrected file: its rows already in are recognised, the fixed ones added.
    let fixed = file
        .replace("31/02/1960", "28/02/1960")
        .replace(
            ";;Anne;F;01/01/1965;Brest;ONM;commandeur-ou-pas",
            ";;Anne;F;01/01/1965;Brest;ONM;commandeur",
        )
        .replace(";;Anne;", "Martin;;Anne;");
    let corrected = app
        .upload(
            &cast.integrateur,
            page,
            multipart_named(
                "fichier",
                &[("mode", "import")],
                &[("registre-corrige.csv", fixed.as_bytes())],
            ),
        )
        .await;
    assert_eq!(corrected.status, 303);
    assert_eq!(app.run_decisions_jobs().await, 1);
    let done = app
        .call(
            &cast.integrateur,
            Method::GET,
            corrected.header("location"),
            json!({}),
        )
        .await;
    assert!(
        done.text().contains("6 valide(s), 1 refusée(s)."),
        "{}",
        done.text()
    );
    assert!(
        done.text()
            .contains("2 distinction(s) ajoutée(s) au registre, 4 déjà présente(s)."),
        "{}",
        done.text()
    );
    assert_eq!(counts(&app, cast.tenant).await, before + 6);

    // The list, and an undo from it.
    let list = app
        .call(&cast.integrateur, Method::GET, page, json!({}))
        .await;
    assert!(list.text().contains("registre-corrige.csv"));
    let mut tx = app.ctx.db.tenant(cast.tenant).await.unwrap();
    let latest: Vec<String> = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::Text)]
            id: String,
        }
        diesel::sql_query(
            "SELECT id::text AS id FROM registry.imports ORDER BY started_at DESC, id DESC",
        )
        .load::<Id>(tx.pg())
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect()
    };
    tx.rollback().await;
    assert_eq!(latest.len(), 2);
    let undo = format!("/decisions/registre/imports/{}/annulation", latest[0]);
    assert!(list.text().contains(&undo));
    let undone = app.form(&cast.integrateur, &undo, &[]).await;
    assert_eq!(undone.status, 200);
    assert!(
        undone.text().contains("Import annulé : 2 distinction(s)"),
        "{}",
        undone.text()
    );
    assert_eq!(counts(&app, cast.tenant).await, before + 4);
    let twice = app.form(&cast.integrateur, &undo, &[]).await;
    assert_eq!(twice.status, 409);
    assert!(twice.text().contains("Cet import est déjà annulé."));
    let elsewhere = app
        .form(
            &cast.outsider,
            &format!("/decisions/registre/imports/{}/annulation", latest[1]),
            &[],
        )
        .await;
    assert!(elsewhere.status == 404 || elsewhere.status == 403);
    assert_eq!(counts(&app, cast.tenant).await, before + 4);
    app.finish().await;
}

/// Decisions runs its registry imports and its board's exports itself, as its own role: it
/// may lease, read, enqueue and update those jobs and no other kind (a restrictive policy and
/// the lease's check), and an import still running cannot be undone.
#[tokio::test(flavor = "multi_thread")]
async fn decisions_runs_its_imports_and_no_other_job() {
    use diesel_async::RunQueryDsl;

    let (tdb, tenant) = seeded().await;
    let url = napoleon_db::service_url(&tdb.app_url(), "decisions").unwrap();
    let mut decisions = TestDb::connect(&url).await.unwrap();
    // Another service's kinds, alone or beside its own, and no kinds at all: refused.
    for kinds in [
        "ARRAY['readlog.purge']",
        "ARRAY['promotion.export']",
        "ARRAY['instruction.export']",
        "ARRAY['decisions.export', 'readlog.purge']",
        "NULL",
    ] {
        let refused = diesel::sql_query(format!(
            "SELECT * FROM jobs.lease('decisions-test', {kinds}, now(), 60)"
        ))
        .execute(&mut decisions)
        .await
        .unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("registry imports and exports only"),
            "{kinds}: {refused}"
        );
    }
    // Its own two (migration 000043: the board's exports beside the imports).
    for kinds in [
        "ARRAY['registry.import']",
        "ARRAY['decisions.export']",
        "ARRAY['registry.import', 'decisions.export']",
    ] {
        diesel::sql_query(format!(
            "SELECT * FROM jobs.lease('decisions-test', {kinds}, now(), 60)"
        ))
        .execute(&mut decisions)
        .await
        .unwrap();
    }
    // Another kind of job of its tenant: invisible, and not to be enqueued.
    let db = tdb.app_db().unwrap();
    let mut tx = db.tenant(tenant).await.unwrap();
    napoleon_db::jobs::request(
        &mut tx,
        &napoleon_db::readlog::purge_kind(),
        napoleon_db::journal::Actor::System("test"),
        1,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let decisions_db = napoleon_db::Db::new(napoleon_db::build_pool(&url, 1).unwrap());
    let mut tx = decisions_db.tenant(tenant).await.unwrap();
    assert_eq!(
        count(tx.pg(), "SELECT count(*) AS n FROM jobs.jobs").await,
        0
    );
    let enqueue = diesel::sql_query(
        "INSERT INTO jobs.jobs (tenant_id, id, kind, payload, max_attempts, created_by) \
         VALUES (core.current_tenant(), gen_random_uuid(), 'outbox.http', '{}', 1, 'test')",
    )
    .execute(tx.pg())
    .await;
    assert!(enqueue.is_err());
    tx.rollback().await;

    // An import left running (a crash) is resumed, not undone.
    let dir = tempfile::tempdir().unwrap();
    let (text, _) = generated(3_000);
    let file = write(dir.path(), "coupe.csv", text.as_bytes());
    let mut tx = db.tenant(tenant).await.unwrap();
    let id = napoleon_kernel::RegistryImportId::new();
    diesel::sql_query(
        "INSERT INTO registry.imports (tenant_id, id, file_name, sha256, size_bytes, detected) \
         VALUES (core.current_tenant(), $1, 'coupe.csv', $2, 1, 'CSV')",
    )
    .bind::<diesel::sql_types::Uuid, _>(id.as_uuid())
    .bind::<diesel::sql_types::Text, _>(napoleon_storage::sha256_hex(text.as_bytes()))
    .execute(tx.pg())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let running = cli(
        &tdb,
        &["import", "undo", "--tenant", "interieur", &id.to_string()],
    );
    assert_eq!(running.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&running.stderr).contains("n'est pas terminé"));
    let resumed = stdout(&cli(
        &tdb,
        &["import", "registry", "--tenant", "interieur", &file],
    ));
    assert!(resumed.contains(&format!("import {id}")), "{resumed}");
    let undone = stdout(&cli(
        &tdb,
        &["import", "undo", "--tenant", "interieur", &id.to_string()],
    ));
    assert!(undone.contains("annulé"), "{undone}");
    tdb.finish().await;
}
