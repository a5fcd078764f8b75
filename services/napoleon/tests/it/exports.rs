//! Issue 18, Build 3: the registry exported (CSV, XLSX, ODS) with the columns the agent
//! chose, as a job whose page shows its progress then the file; a formula typed in a cell
//! comes back as text; each person exported is in the read log; only the agent who asked
//! sees the job and its file; one export at a time per agent; a refused choice is said on
//! the form with nothing enqueued; an agent who lost the right, or their membership, before
//! the job ran gets nothing.

use std::io::Cursor;

use axum::http::Method;
use calamine::{Data, Reader};
use napoleon_db::journal::Actor;
use napoleon_decisions::registry_import::{self, ImportRequest};
use napoleon_kernel::TenantId;
use napoleon_testkit::{Cast, TestApp, Who, cast, count};
use serde_json::json;

/// A formula an agent (or an attacker) typed in a free-text cell.
const FORMULA: &str = "=HYPERLINK(\"https://exemple.invalid\",\"JO\")";

/// Three laureates, one of them with two awards; one reference is a formula.
fn registry_file() -> String {
    let formula = FORMULA.replace('"', "\"\"");
    format!(
        "Nom de naissance;Nom d'usage;Prénoms;Sexe;Date de naissance;Lieu de naissance;\
Distinction;Grade;Date du décret;Référence JO;Date de réception\n\
LEFÈVRE;;Hélène Marie;F;14/03/1961;Lyon;ONM;chevalier;14/11/2008;JORF n° 0266;02/02/2009\n\
LEFÈVRE;;Hélène Marie;F;14/03/1961;Lyon;ONM;officier;14/11/2016;JORF n° 0265;02/02/2017\n\
DURAND;Martin;Paul;M;01/07/1958;Bordeaux;LH;chevalier;14/07/2012;\"{formula}\";\n\
NGUYEN;;Thi;F;28/02/1970;Paris;LH;chevalier;01/01/2019;JORF n° 0001;\n"
    )
}

async fn import_registry(app: &TestApp, tenant: TenantId) {
    let file = registry_file();
    let report = registry_import::run(
        &app.ctx.db,
        tenant,
        Cursor::new(file.clone().into_bytes()),
        &ImportRequest {
            file_name: "registre.csv".to_owned(),
            sha256: napoleon_storage::sha256_hex(file.as_bytes()),
            size: file.len() as u64,
            actor: Actor::System("test"),
            started_by: None,
            batch: 100,
        },
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!((report.inserted, report.rejected), (4, 0), "{report:?}");
}

async fn export_jobs(app: &TestApp, tenant: TenantId) -> i64 {
    let mut tx = app.ctx.db.tenant(tenant).await.unwrap();
    let n = count(
        tx.pg(),
        "SELECT count(*) AS n FROM jobs.jobs WHERE kind = 'promotion.export'",
    )
    .await;
    tx.rollback().await;
    n
}

/// The ministry withdraws `resource:action` from its intégrateurs (the rule was there).
async fn withdraw(app: &TestApp, tenant: TenantId, resource: &str, action: &str) {
    let mut tx = app.ctx.db.tenant(tenant).await.unwrap();
    let removed = napoleon_db::policy::remove(
        &mut tx,
        &[napoleon_db::policy::PolicyRule {
            ptype: "p".to_owned(),
            values: vec![
                "integrateur".to_owned(),
                tenant.to_string(),
                resource.to_owned(),
                action.to_owned(),
            ],
        }],
    )
    .await
    .unwrap();
    assert_eq!(removed, 1, "{resource}:{action}");
    tx.commit().await.unwrap();
}

/// Exports that stopped because the agent may no longer export.
async fn stopped_for_rights(app: &TestApp, tenant: TenantId) -> i64 {
    let mut tx = app.ctx.db.tenant(tenant).await.unwrap();
    let n = count(
        tx.pg(),
        "SELECT count(*) AS n FROM jobs.jobs WHERE kind = 'promotion.export' \
         AND state = 'failed' AND last_error LIKE 'Vos droits ne permettent plus cet export%'",
    )
    .await;
    tx.rollback().await;
    n
}

async fn export_reads(app: &TestApp, who: &Who) -> i64 {
    let mut tx = app.ctx.db.tenant(who.tenant).await.unwrap();
    let n = count(
        tx.pg(),
        &format!(
            "SELECT count(*) AS n FROM readlog.reads WHERE channel = 'export' \
             AND subject_kind = 'laureate' AND reader = 'agent:{}'",
            who.agent
        ),
    )
    .await;
    tx.rollback().await;
    n
}

const COLUMNS: [(&str, &str); 5] = [
    ("colonne-nom_naissance", "1"),
    ("colonne-prenoms", "1"),
    ("colonne-date_naissance", "1"),
    ("colonne-grade", "1"),
    ("colonne-reference_jo", "1"),
];

/// Asks for an export of the search `nom` in `format`; the job page's address.
async fn ask(app: &TestApp, who: &Who, nom: &str, format: &str) -> String {
    let mut fields = vec![
        ("nom", nom),
        ("distinction", ""),
        ("naissance", ""),
        ("format", format),
    ];
    fields.extend(COLUMNS);
    let started = app.form(who, "/promotion/registre/export", &fields).await;
    assert_eq!(started.status, 303, "{}", started.text());
    let job = started.header("location").to_owned();
    assert!(job.starts_with("/promotion/exports/"), "{job}");
    job
}

/// The sheet's rows as text, and whether any of its cells is a formula.
pub(crate) fn sheet<RS, R>(mut book: R) -> (Vec<Vec<String>>, bool)
where
    RS: std::io::Read + std::io::Seek,
    R: Reader<RS>,
{
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    let formulas = book
        .worksheet_formula(&name)
        .map(|f| f.used_cells().any(|(_, _, f)| !f.is_empty()))
        .unwrap_or(false);
    let rows = range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::String(s) => s.clone(),
                    // A spreadsheet's day: days since 30/12/1899.
                    Data::DateTime(d) => (chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()
                        + chrono::Days::new(d.as_f64() as u64))
                    .format("%d/%m/%Y")
                    .to_string(),
                    Data::DateTimeIso(d) => d.clone(),
                    Data::Empty => String::new(),
                    other => format!("{other:?}"),
                })
                .collect()
        })
        .collect();
    (rows, formulas)
}

#[tokio::test]
async fn the_registry_is_exported_in_every_format_with_the_chosen_columns() {
    let app = TestApp::services().await;
    let cast: Cast = cast(&app).await;
    import_registry(&app, cast.tenant).await;
    let me = &cast.integrateur;

    // The registry page leads to the export of its search; the export page says what it
    // will export and offers the columns.
    let registry = app
        .call(
            me,
            Method::GET,
            "/promotion/registre?nom=lefevre",
            json!({}),
        )
        .await;
    assert!(
        registry
            .text()
            .contains("href=\"/promotion/registre/export?nom&#x3D;lefevre\""),
        "{}",
        registry.text()
    );
    let form = app
        .call(
            me,
            Method::GET,
            "/promotion/registre/export?nom=lefevre",
            json!({}),
        )
        .await;
    assert_eq!(form.status, 200);
    for shown in [
        "Nom ou prénom : « lefevre »",
        "name=\"colonne-reference_jo\"",
        "XLSX (Excel)",
        "journal des consultations",
    ] {
        assert!(form.text().contains(shown), "{shown}");
    }
    // Who may not export the registry is refused before anything is asked.
    assert_eq!(
        app.call(
            &cast.redacteur,
            Method::GET,
            "/promotion/registre/export",
            json!({})
        )
        .await
        .status,
        403
    );

    // A refused choice is said on the form, the ticks kept, nothing enqueued.
    let refused = app
        .form(
            me,
            "/promotion/registre/export",
            &[("nom", ""), ("format", "xls"), ("colonne-iban", "1")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .text()
            .contains("Format : choisissez CSV, XLSX ou ODS.")
    );
    assert!(
        refused
            .text()
            .contains("« iban » n&#x27;est pas une colonne")
    );
    let none = app
        .form(me, "/promotion/registre/export", &[("format", "csv")])
        .await;
    assert_eq!(none.status, 422);
    assert!(none.text().contains("cochez au moins une colonne"));
    assert!(
        !none
            .text()
            .contains("id=\"colonne-prenoms\" name=\"colonne-prenoms\" value=\"1\" checked")
    );
    assert_eq!(export_jobs(&app, cast.tenant).await, 0);
    // A search refused goes back to the registry's page, which names the field.
    let bad_search = app
        .form(
            me,
            "/promotion/registre/export",
            &[
                ("naissance", "31/02/1961"),
                ("format", "csv"),
                ("colonne-prenoms", "1"),
            ],
        )
        .await;
    assert_eq!(bad_search.status, 303);
    assert!(
        bad_search
            .header("location")
            .starts_with("/promotion/registre?")
    );
    assert_eq!(export_jobs(&app, cast.tenant).await, 0);

    // The whole registry as CSV; asked again while it waits, the same export (one at a time
    // per agent and list).
    let csv = ask(&app, me, "", "csv").await;
    assert_eq!(ask(&app, me, "", "xlsx").await, csv);
    assert_eq!(export_jobs(&app, cast.tenant).await, 1);
    let waiting = app.call(me, Method::GET, &csv, json!({})).await;
    assert_eq!(waiting.status, 200);
    assert!(waiting.text().contains("En attente"));
    assert!(waiting.text().contains("http-equiv=\"refresh\""));
    assert!(!waiting.text().contains("Télécharger le fichier"));
    let not_yet = app
        .call(me, Method::GET, &format!("{csv}/fichier"), json!({}))
        .await;
    assert_eq!(not_yet.status, 404);

    assert_eq!(app.run_exports().await, 1);
    // Then as XLSX and as ODS.
    let xlsx = ask(&app, me, "", "xlsx").await;
    assert_eq!(app.run_exports().await, 1);
    let ods = ask(&app, me, "", "ods").await;
    assert_eq!(app.run_exports().await, 1);
    let done = app.call(me, Method::GET, &csv, json!({})).await;
    assert!(done.text().contains("Terminé"), "{}", done.text());
    assert!(done.text().contains("Télécharger le fichier"));
    assert!(done.text().contains("CSV, "));
    assert!(done.text().contains("4 ligne(s)"));
    assert!(!done.text().contains("http-equiv=\"refresh\""));

    // CSV: UTF-8 with a BOM, `;`, dates as agents write them, the formula made text.
    let file = app
        .call(me, Method::GET, &format!("{csv}/fichier"), json!({}))
        .await;
    assert_eq!(file.status, 200);
    assert!(file.header("content-type").starts_with("text/csv"));
    assert!(file.header("content-disposition").contains(".csv\""));
    assert_eq!(file.header("cache-control"), "no-store");
    let text = file.text();
    assert!(text.starts_with('\u{FEFF}'));
    let lines: Vec<&str> = text.trim_start_matches('\u{FEFF}').lines().collect();
    assert_eq!(
        lines[0],
        "Nom de naissance;Prénoms;Date de naissance;Grade;Référence JO"
    );
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines.contains(&"DURAND;Paul;01/07/1958;chevalier;\"'=HYPERLINK(\"\"https://exemple.invalid\"\",\"\"JO\"\")\""),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("LEFÈVRE;Hélène Marie;14/03/1961;"))
    );

    // XLSX and ODS: the same cells; the formula is a text cell, no cell is a formula; the
    // birth date is a date cell.
    for (job, media) in [
        (
            &xlsx,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (&ods, "application/vnd.oasis.opendocument.spreadsheet"),
    ] {
        let file = app
            .call(me, Method::GET, &format!("{job}/fichier"), json!({}))
            .await;
        assert_eq!(file.status, 200, "{job}");
        assert_eq!(file.header("content-type"), media);
        let (rows, formulas) = if job == &xlsx {
            sheet(calamine::Xlsx::new(Cursor::new(file.bytes.to_vec())).unwrap())
        } else {
            sheet(calamine::Ods::new(Cursor::new(file.bytes.to_vec())).unwrap())
        };
        assert!(!formulas, "{job}: a formula was written");
        assert_eq!(
            rows[0],
            [
                "Nom de naissance",
                "Prénoms",
                "Date de naissance",
                "Grade",
                "Référence JO"
            ]
        );
        assert_eq!(rows.len(), 5, "{rows:?}");
        let durand = rows.iter().find(|r| r[0] == "DURAND").unwrap();
        assert_eq!(durand[4], FORMULA, "{job}");
        assert!(
            durand[2] == "01/07/1958" || durand[2] == "1958-07-01",
            "{job}: {durand:?}"
        );
    }

    // Every person of every export is in the read log, as the agent's export.
    assert_eq!(export_reads(&app, me).await, 3 * 3);

    // A filtered export holds what the search finds, and nothing else.
    let lefevre = ask(&app, me, "lefevre", "csv").await;
    assert_eq!(app.run_exports().await, 1);
    let text = app
        .call(me, Method::GET, &format!("{lefevre}/fichier"), json!({}))
        .await
        .text();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(!text.contains("DURAND"));

    // Another agent of the ministry, even one who may export, sees neither the job nor its
    // file; another ministry neither.
    let other = app
        .as_(napoleon_kernel::Role::Integrateur, cast.bureau)
        .await;
    for who in [&other, &cast.outsider] {
        for path in [csv.clone(), format!("{csv}/fichier")] {
            let answer = app.call(who, Method::GET, &path, json!({})).await;
            assert!(
                [403, 404].contains(&answer.status),
                "{path}: {}",
                answer.status
            );
        }
    }
    assert_eq!(
        app.call(&other, Method::GET, &csv, json!({})).await.status,
        404
    );

    // Each download is journaled (the four above), refusals are not.
    let mut tx = app.ctx.db.tenant(cast.tenant).await.unwrap();
    assert_eq!(
        count(
            tx.pg(),
            "SELECT count(*) AS n FROM journal.events WHERE kind = 'export.downloaded'"
        )
        .await,
        4
    );
    tx.rollback().await;

    // A week on, the daily purge removes the files from the store: the links answer 404.
    app.clock.advance(
        chrono::Duration::days(napoleon_web::export::KEPT_DAYS.into()) + chrono::Duration::hours(1),
    );
    let mut tx = app.ctx.db.tenant(cast.tenant).await.unwrap();
    napoleon_db::jobs::request(
        &mut tx,
        &napoleon_web::export::purge_kind().unwrap(),
        Actor::System("test"),
        1,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let purge = napoleon_jobs::Worker::new(
        app.ctx.for_service("worker").db,
        "test-purge",
        vec![std::sync::Arc::new(
            napoleon_web::export::ExportPurge::new(app.ctx.pieces().unwrap().clone()).unwrap(),
        )],
    );
    assert!(purge.run_one().await.unwrap().is_some());
    for job in [&csv, &xlsx, &ods, &lefevre] {
        let gone = app
            .call(me, Method::GET, &format!("{job}/fichier"), json!({}))
            .await;
        assert_eq!(gone.status, 404, "{job}");
    }
    app.finish().await;
}

#[tokio::test]
async fn an_export_stops_when_the_agent_lost_the_right_or_the_membership_before_it_ran() {
    let app = TestApp::services().await;
    let cast: Cast = cast(&app).await;
    import_registry(&app, cast.tenant).await;
    let me = &cast.integrateur;
    let job = ask(&app, me, "", "xlsx").await;
    // The ministry withdraws the export from the intégrateurs before the worker runs it.
    withdraw(&app, cast.tenant, "registry", "export").await;
    assert_eq!(app.run_exports().await, 1);
    assert_eq!(stopped_for_rights(&app, cast.tenant).await, 1);
    // Nothing was read, no file written; the page itself is now refused.
    assert_eq!(export_reads(&app, me).await, 0);
    assert_eq!(app.call(me, Method::GET, &job, json!({})).await.status, 403);

    // A chef de bureau (who still may export) removed from the ministry after asking: the
    // export stops, nothing read.
    let other = app
        .as_(napoleon_kernel::Role::ChefDeBureau, cast.bureau)
        .await;
    ask(&app, &other, "", "csv").await;
    let mut tx = app.ctx.db.tenant(cast.tenant).await.unwrap();
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "DELETE FROM core.memberships WHERE agent_id = '{}'",
            other.agent
        )),
        tx.pg(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(app.run_exports().await, 1);
    assert_eq!(stopped_for_rights(&app, cast.tenant).await, 2);
    assert_eq!(export_reads(&app, &other).await, 0);

    // Promotion's role sees and enqueues its exports only: another kind of job of its tenant
    // is invisible to it, and refused.
    let mut tx = app.ctx.db.tenant(cast.tenant).await.unwrap();
    napoleon_db::jobs::request(
        &mut tx,
        &napoleon_db::readlog::purge_kind(),
        Actor::System("test"),
        1,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let promotion = app.ctx.for_service("promotion").db;
    let mut tx = promotion.tenant(cast.tenant).await.unwrap();
    assert_eq!(
        count(tx.pg(), "SELECT count(*) AS n FROM jobs.jobs").await,
        2,
        "its two exports"
    );
    let enqueue = diesel_async::RunQueryDsl::execute(
        diesel::sql_query(
            "INSERT INTO jobs.jobs (tenant_id, id, kind, payload, max_attempts, created_by) \
             VALUES (core.current_tenant(), gen_random_uuid(), 'outbox.http', '{}', 1, 'test')",
        ),
        tx.pg(),
    )
    .await;
    assert!(enqueue.is_err());
    tx.rollback().await;
    app.finish().await;
}

#[tokio::test]
async fn the_radar_is_exported_with_its_date_and_the_awards_awaiting_their_reception() {
    let app = TestApp::services().await;
    let cast: Cast = cast(&app).await;
    import_registry(&app, cast.tenant).await;
    let me = &cast.integrateur;

    // The radar page leads to its export, which keeps its date.
    let radar = app
        .call(
            me,
            Method::GET,
            "/promotion/radar?date=14/07/2040",
            json!({}),
        )
        .await;
    assert!(
        radar
            .text()
            .contains("href=\"/promotion/radar/export?date&#x3D;14%2F07%2F2040\""),
        "{}",
        radar.text()
    );
    let form = app
        .call(
            me,
            Method::GET,
            "/promotion/radar/export?date=14/07/2040",
            json!({}),
        )
        .await;
    assert_eq!(form.status, 200);
    assert!(form.text().contains("Exporter le radar des promotions"));
    assert!(
        form.text()
            .contains("Conditions de durée remplies au plus tard le 14/07/2040")
    );
    assert_eq!(
        app.call(
            &cast.redacteur,
            Method::GET,
            "/promotion/radar/export",
            json!({})
        )
        .await
        .status,
        403
    );
    // A date that is none goes back to the radar's page, which names the field.
    let bad = app
        .form(
            me,
            "/promotion/radar/export",
            &[
                ("date", "31/02/2040"),
                ("format", "csv"),
                ("colonne-laureat", "1"),
            ],
        )
        .await;
    assert_eq!(bad.status, 303);
    assert!(bad.header("location").starts_with("/promotion/radar?date="));

    let started = app
        .form(
            me,
            "/promotion/radar/export",
            &[
                ("date", "14/07/2040"),
                ("format", "xlsx"),
                ("colonne-laureat", "1"),
                ("colonne-grade", "1"),
                ("colonne-situation", "1"),
                ("colonne-grade_suivant", "1"),
                ("colonne-accessible_le", "1"),
            ],
        )
        .await;
    assert_eq!(started.status, 303, "{}", started.text());
    let job = started.header("location").to_owned();
    // A registry export asked meanwhile is another list's: its own job.
    let registry = ask(&app, me, "", "csv").await;
    assert_ne!(registry, job);
    assert_eq!(app.run_exports().await, 2);
    let page = app.call(me, Method::GET, &job, json!({})).await;
    assert!(
        page.text().contains("Radar des promotions"),
        "{}",
        page.text()
    );
    assert!(page.text().contains("Télécharger le fichier"));
    let file = app
        .call(me, Method::GET, &format!("{job}/fichier"), json!({}))
        .await;
    assert_eq!(file.status, 200);
    let (rows, formulas) = sheet(calamine::Xlsx::new(Cursor::new(file.bytes.to_vec())).unwrap());
    assert!(!formulas);
    assert_eq!(
        rows[0],
        [
            "Lauréat",
            "Grade détenu",
            "Situation",
            "Grade suivant",
            "Conditions de durée remplies le"
        ]
    );
    // Lefèvre's officier award was received: her next grade is computed; the awards whose
    // réception is not recorded are listed as awaiting it.
    assert!(
        rows.iter().any(|r| r[0] == "LEFÈVRE Hélène Marie"
            && r[1] == "officier"
            && r[2] != "En attente de réception"
            && !r[3].is_empty()),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r[0] == "NGUYEN Thi" && r[2] == "En attente de réception"),
        "{rows:?}"
    );
    assert!(export_reads(&app, me).await >= 3);
    // An export is the list read in bulk: `radar:export` kept but `radar:read` withdrawn,
    // the job, its file and the export page are refused; then `radar:export` withdrawn too.
    for action in ["read", "export"] {
        withdraw(&app, cast.tenant, "radar", action).await;
        for path in [
            job.clone(),
            format!("{job}/fichier"),
            "/promotion/radar/export".to_owned(),
        ] {
            let refused = app.call(me, Method::GET, &path, json!({})).await;
            assert_eq!(refused.status, 403, "{action}: {path}");
        }
    }
    app.finish().await;
}
