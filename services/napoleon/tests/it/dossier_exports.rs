//! Issue 18, Builds 3 and 5: instruction's lists exported (CSV, XLSX, ODS) with the columns
//! the agent chose — the search's results, a tab of the queue, the rows ticked on either —
//! and the decisions board, each as a job whose page shows its progress then the file. Only
//! the dossiers of the units where the agent instructs are written (a ticked row from
//! elsewhere is left out, unnamed); each is in the read log; a refused ask is said naming its
//! field with nothing enqueued; who may not export is refused; an agent whose right was
//! withdrawn, or who left the unit, gets nothing.

use std::io::Cursor;

use axum::http::Method;
use calamine::Reader;
use napoleon_kernel::TenantId;
use napoleon_testkit::{Cast, TestApp, Who, cast, count, draft, open_campaign, submitted};
use serde_json::json;

use super::exports::sheet;

/// The page as text: its escaped apostrophes, equal signs and ampersands as typed.
fn unescape(html: &str) -> String {
    html.replace("&#x27;", "'")
        .replace("&#x3D;", "=")
        .replace("&amp;", "&")
}

async fn jobs_of(app: &TestApp, tenant: TenantId, state: &str) -> i64 {
    let mut tx = app.ctx.db.tenant(tenant).await.unwrap();
    let n = count(
        tx.pg(),
        &format!(
            "SELECT count(*) AS n FROM jobs.jobs WHERE kind = 'instruction.export' \
             AND state LIKE '{state}'"
        ),
    )
    .await;
    tx.rollback().await;
    n
}

/// Dossiers `who` exported, by the read log.
async fn exported(app: &TestApp, who: &Who) -> i64 {
    let mut tx = app.ctx.db.tenant(who.tenant).await.unwrap();
    let n = count(
        tx.pg(),
        &format!(
            "SELECT count(*) AS n FROM readlog.reads WHERE channel = 'export' \
             AND subject_kind = 'dossier' AND reader = 'agent:{}'",
            who.agent
        ),
    )
    .await;
    tx.rollback().await;
    n
}

/// The ministry withdraws `resource:export` from its `role`s (the rule was there).
async fn withdraw_export(app: &TestApp, tenant: TenantId, role: &str, resource: &str) {
    let mut tx = app.ctx.db.tenant(tenant).await.unwrap();
    let removed = napoleon_db::policy::remove(
        &mut tx,
        &[napoleon_db::policy::PolicyRule {
            ptype: "p".to_owned(),
            values: vec![
                role.to_owned(),
                tenant.to_string(),
                resource.to_owned(),
                "export".to_owned(),
            ],
        }],
    )
    .await
    .unwrap();
    assert_eq!(removed, 1, "{role} {resource}:export");
    tx.commit().await.unwrap();
}

const COLUMNS: [(&str, &str); 5] = [
    ("colonne-numero", "1"),
    ("colonne-nom_naissance", "1"),
    ("colonne-date_naissance", "1"),
    ("colonne-etat", "1"),
    ("colonne-unite", "1"),
];

/// Asks for the export of `list` (its fields) in `format` with [`COLUMNS`]; the job page's
/// address.
async fn ask(app: &TestApp, who: &Who, list: &[(&str, &str)], format: &str) -> String {
    let mut fields = list.to_vec();
    fields.push(("format", format));
    fields.extend(COLUMNS);
    let started = app.form(who, "/instruction/export", &fields).await;
    assert_eq!(started.status, 303, "{}", started.text());
    let job = started.header("location").to_owned();
    assert!(job.starts_with("/instruction/exports/"), "{job}");
    job
}

async fn file(app: &TestApp, who: &Who, job: &str) -> Vec<u8> {
    let answer = app
        .call(who, Method::GET, &format!("{job}/fichier"), json!({}))
        .await;
    assert_eq!(answer.status, 200, "{job}: {}", answer.text());
    answer.bytes.to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn instruction_lists_are_exported_with_the_chosen_columns_and_only_rows_in_scope() {
    let app = TestApp::services().await;
    let cast: Cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let (lefevre_id, lefevre) = submitted(&app, &cast, &campaign, "Lefèvre", "F").await;
    let (martin_id, martin) = submitted(&app, &cast, &campaign, "Martin", "F").await;
    let (dupont_id, dupont) = submitted(&app, &cast, &campaign, "Dupont", "F").await;
    let brouillon = draft(&app, &cast, &campaign, "Brouillon", "F").await;
    assert_eq!(app.take(&cast.instructeur, &martin_id).await.status, 204);
    let me = &cast.instructeur;

    // The search's results lead to their export, which says what it will export.
    let page = unescape(
        &app.call(
            me,
            Method::GET,
            "/instruction/recherche?q=lefevre",
            json!({}),
        )
        .await
        .text(),
    );
    assert!(
        page.contains("href=\"/instruction/export?liste=recherche&q=lefevre\""),
        "{page}"
    );
    assert!(page.contains("value=\"exporter\""), "{page}");
    let form = app
        .call(
            me,
            Method::GET,
            "/instruction/export?liste=recherche&q=lefevre",
            json!({}),
        )
        .await;
    assert_eq!(form.status, 200, "{}", form.text());
    let text = unescape(&form.text());
    for shown in [
        "Nom, prénom ou numéro : « lefevre »",
        "name=\"colonne-numero\"",
        "name=\"colonne-campagne\"",
        "XLSX (Excel)",
        "href=\"/instruction/recherche?q=lefevre\"",
    ] {
        assert!(text.contains(shown), "{shown}: {text}");
    }
    // The queue's tab leads to its own.
    let queue = unescape(
        &app.call(
            me,
            Method::GET,
            "/instruction/dossiers?onglet=suivis",
            json!({}),
        )
        .await
        .text(),
    );
    assert!(
        queue.contains("href=\"/instruction/export?liste=file&onglet=suivis\""),
        "{queue}"
    );

    // Who may not export is refused before anything is asked, and shown no link.
    for path in [
        "/instruction/export?liste=file&onglet=suivis",
        "/instruction/export?liste=recherche",
    ] {
        let refused = app
            .call(&cast.redacteur, Method::GET, path, json!({}))
            .await;
        assert_eq!(refused.status, 403, "{path}");
    }

    // Refused asks: each names its field, nothing enqueued.
    let bad_format = app
        .form(
            me,
            "/instruction/export",
            &[
                ("liste", "recherche"),
                ("q", "lefevre"),
                ("format", "xls"),
                ("colonne-numero", "1"),
            ],
        )
        .await;
    assert_eq!(bad_format.status, 422);
    assert!(
        bad_format
            .text()
            .contains("Format : choisissez CSV, XLSX ou ODS.")
    );
    // The search kept in the form, sent back as typed.
    assert!(
        bad_format.text().contains("name=\"q\" value=\"lefevre\""),
        "{}",
        bad_format.text()
    );
    for (fields, message) in [
        (
            vec![("liste", "file"), ("onglet", "autre")],
            "Onglet : choisissez un onglet de la file.",
        ),
        (vec![("liste", "tout")], "Liste : choisissez la recherche"),
        (
            vec![("liste", "selection"), ("dossiers", "pas-un-id")],
            "Sélection : un dossier coché n",
        ),
    ] {
        let mut fields = fields;
        fields.extend([("format", "csv"), ("colonne-numero", "1")]);
        let refused = app.form(me, "/instruction/export", &fields).await;
        assert_eq!(refused.status, 422, "{fields:?}");
        assert!(
            unescape(&refused.text()).contains(message),
            "{message}: {}",
            refused.text()
        );
    }
    // A refused search goes back to the search's page, which names the field.
    let bad_search = app
        .form(
            me,
            "/instruction/export",
            &[
                ("liste", "recherche"),
                ("naissance", "31/02/1960"),
                ("format", "csv"),
                ("colonne-numero", "1"),
            ],
        )
        .await;
    assert_eq!(bad_search.status, 303);
    assert!(
        bad_search
            .header("location")
            .starts_with("/instruction/recherche?naissance=")
    );
    assert_eq!(jobs_of(&app, cast.tenant, "%").await, 0);

    // The search's results as CSV: the chosen columns, the row found, nothing else.
    let csv = ask(&app, me, &[("liste", "recherche"), ("q", "lefevre")], "csv").await;
    let waiting = app.call(me, Method::GET, &csv, json!({})).await;
    assert_eq!(waiting.status, 200);
    assert!(waiting.text().contains("En attente"));
    assert!(waiting.text().contains("http-equiv=\"refresh\""));
    assert_eq!(app.run_exports().await, 1);
    let done = app.call(me, Method::GET, &csv, json!({})).await;
    assert!(done.text().contains("Terminé"), "{}", done.text());
    assert!(done.text().contains("1 ligne(s)"), "{}", done.text());
    assert!(done.text().contains("Rechercher des dossiers"));
    let text = String::from_utf8(file(&app, me, &csv).await).unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{FEFF}').lines().collect();
    assert_eq!(
        lines,
        [
            "Numéro;Nom de naissance;Date de naissance;État;Unité de dépôt".to_owned(),
            format!("{lefevre};Lefèvre;04/05/1960;Déposé;Préfecture du Rhône"),
        ],
        "{text}"
    );

    // The queue's « suivis » as XLSX: the dossier taken, a date cell for the birth date.
    let xlsx = ask(&app, me, &[("liste", "file"), ("onglet", "suivis")], "xlsx").await;
    assert_eq!(app.run_exports().await, 1);
    let (rows, formulas) =
        sheet(calamine::Xlsx::new(Cursor::new(file(&app, me, &xlsx).await)).unwrap());
    assert!(!formulas);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][0], martin);
    assert_eq!(rows[1][2], "04/05/1960", "{rows:?}");
    assert_eq!(rows[1][3], "En instruction", "{rows:?}");

    // Rows ticked on a list: the bulk form leads to their export, as ODS; a draft's id sent
    // by hand is left out (a draft is its filing unit's alone).
    let ticked = app
        .form(
            me,
            "/instruction/dossiers/actions-groupees",
            &[
                ("action", "exporter"),
                (&format!("choix-{dupont_id}"), "1"),
                (&format!("choix-{lefevre_id}"), "1"),
                ("retour", "/instruction/dossiers"),
            ],
        )
        .await;
    assert_eq!(ticked.status, 303, "{}", ticked.text());
    let export_page = ticked.header("location").to_owned();
    assert_eq!(
        export_page.replace("%2C", ","),
        format!("/instruction/export?liste=selection&dossiers={dupont_id},{lefevre_id}")
    );
    let form = app.call(me, Method::GET, &export_page, json!({})).await;
    assert_eq!(form.status, 200);
    assert!(
        form.text().contains("Les 2 dossiers cochés"),
        "{}",
        form.text()
    );
    let ids = format!("{dupont_id},{lefevre_id},{brouillon}");
    let ods = ask(
        &app,
        me,
        &[("liste", "selection"), ("dossiers", &ids)],
        "ods",
    )
    .await;
    assert_eq!(app.run_exports().await, 1);
    let (rows, formulas) =
        sheet(calamine::Ods::new(Cursor::new(file(&app, me, &ods).await)).unwrap());
    assert!(!formulas);
    let numbers: Vec<&str> = rows.iter().skip(1).map(|r| r[0].as_str()).collect();
    assert_eq!(numbers, [dupont.as_str(), lefevre.as_str()], "{rows:?}");
    // Nothing ticked: said, nothing asked.
    let none = app
        .form(
            me,
            "/instruction/dossiers/actions-groupees",
            &[("action", "exporter"), ("retour", "/instruction/dossiers")],
        )
        .await;
    assert_eq!(none.status, 422);
    assert!(none.text().contains("cochez au moins un dossier"));

    // Every dossier of every export is in the read log, as the agent's export: 1 + 1 + 2.
    assert_eq!(exported(&app, me).await, 4);

    // Another unit's instructrice ticking the Rhône's dossiers by hand: the export holds
    // none of them, and she read none.
    let gironde = cast.gironde(&app, napoleon_kernel::Role::Instructeur).await;
    let ids = format!("{dupont_id},{martin_id}");
    let theirs = ask(
        &app,
        &gironde,
        &[("liste", "selection"), ("dossiers", &ids)],
        "csv",
    )
    .await;
    assert_eq!(app.run_exports().await, 1);
    let text = String::from_utf8(file(&app, &gironde, &theirs).await).unwrap();
    assert_eq!(
        text.trim_start_matches('\u{FEFF}').lines().count(),
        1,
        "{text}"
    );
    assert_eq!(exported(&app, &gironde).await, 0);

    // An id the ministry does not have (another's, or none) ticked by hand is left out as
    // well, unnamed: the file holds only the Rhône's one.
    let elsewhere = napoleon_kernel::DossierId::new();
    let ids = format!("{dupont_id},{elsewhere}");
    let mixed = ask(
        &app,
        me,
        &[("liste", "selection"), ("dossiers", &ids)],
        "csv",
    )
    .await;
    assert_eq!(app.run_exports().await, 1);
    let text = String::from_utf8(file(&app, me, &mixed).await).unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{FEFF}').lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[1].starts_with(&dupont), "{text}");

    // Nobody else sees the job or its file; another ministry neither.
    for who in [&gironde, &cast.valideur, &cast.outsider] {
        for path in [csv.clone(), format!("{csv}/fichier")] {
            let answer = app.call(who, Method::GET, &path, json!({})).await;
            assert!(
                [403, 404].contains(&answer.status),
                "{path}: {}",
                answer.status
            );
        }
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instructeur_moved_to_another_unit_no_longer_downloads_the_former_units_file() {
    let app = TestApp::services().await;
    let cast: Cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    submitted(&app, &cast, &campaign, "Lefèvre", "F").await;
    let me = &cast.instructeur;
    let job = ask(&app, me, &[("liste", "recherche")], "csv").await;
    assert_eq!(app.run_exports().await, 1);
    assert!(!file(&app, me, &job).await.is_empty());
    // The ministry moves her to the Gironde: the Rhône's file is no longer hers to take.
    let gironde = app
        .unit(
            cast.tenant,
            napoleon_kernel::OrgUnitKind::PrefectureDepartement,
            "33",
        )
        .await;
    let mut admin = app.admin().await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE core.memberships SET unit_id = '{gironde}' WHERE agent_id = '{}'",
            me.agent
        )),
        &mut admin,
    )
    .await
    .unwrap();
    let moved = Who {
        agent: me.agent,
        tenant: me.tenant,
        roles: vec![napoleon_identity::RoleGrant {
            role: napoleon_kernel::Role::Instructeur,
            unit: gironde,
        }],
    };
    for path in [job.clone(), format!("{job}/fichier")] {
        let answer = app.call(&moved, Method::GET, &path, json!({})).await;
        assert_eq!(answer.status, 403, "{path}");
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instruction_export_stops_when_the_right_was_withdrawn_before_it_ran() {
    let app = TestApp::services().await;
    let cast: Cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    submitted(&app, &cast, &campaign, "Lefèvre", "F").await;
    let me = &cast.instructeur;
    let job = ask(
        &app,
        me,
        &[("liste", "file"), ("onglet", "a-traiter")],
        "csv",
    )
    .await;
    // The ministry withdraws the export from its instructeurs before the worker runs it.
    withdraw_export(&app, cast.tenant, "instructeur", "instruction").await;
    assert_eq!(app.run_exports().await, 1);
    assert_eq!(jobs_of(&app, cast.tenant, "failed").await, 1);
    assert_eq!(exported(&app, me).await, 0);
    // The page itself is refused now, and the lists show no export.
    assert_eq!(app.call(me, Method::GET, &job, json!({})).await.status, 403);
    let queue = app
        .call(me, Method::GET, "/instruction/dossiers", json!({}))
        .await
        .text();
    assert!(!queue.contains("/instruction/export"), "{queue}");
    assert!(!queue.contains("value=\"exporter\""));
    app.finish().await;
}

/// The board's export: decisions' own process runs it as decisions' role.
#[tokio::test(flavor = "multi_thread")]
async fn the_decisions_board_is_exported_with_its_decisions_and_a_formula_stays_text() {
    let app = TestApp::services().await;
    let cast: Cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let (first_id, first) = submitted(&app, &cast, &campaign, "Lefèvre", "F").await;
    let (second_id, second) = submitted(&app, &cast, &campaign, "Martin", "M").await;
    submitted(&app, &cast, &campaign, "Dupont", "F").await;
    napoleon_testkit::transmitted(&app, &cast, &first_id).await;
    napoleon_testkit::transmitted(&app, &cast, &second_id).await;
    let me = &cast.integrateur;
    let formula = "=HYPERLINK(\"https://exemple.invalid\",\"motif\")";
    let decided = app
        .post(
            me,
            &format!("/decisions/api/v1/dossiers/{first_id}/decision"),
            json!({"decision": "retenu", "motivation": formula}),
        )
        .await;
    assert_eq!(decided.status, 200, "{}", decided.json);

    // The board leads to its export; who may not export it is refused.
    let board = format!("/decisions/campagnes/{campaign}");
    let page = unescape(&app.call(me, Method::GET, &board, json!({})).await.text());
    assert!(page.contains(&format!("href=\"{board}/export\"")), "{page}");
    let form = app
        .call(me, Method::GET, &format!("{board}/export"), json!({}))
        .await;
    assert_eq!(form.status, 200);
    assert!(form.text().contains("name=\"colonne-motivation\""));
    for who in [&cast.instructeur, &cast.outsider] {
        let refused = app
            .call(who, Method::GET, &format!("{board}/export"), json!({}))
            .await;
        assert!([403, 404].contains(&refused.status), "{}", refused.status);
    }
    // A refused choice is said on the form, nothing enqueued.
    let refused = app
        .form(me, &format!("{board}/export"), &[("format", "csv")])
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("cochez au moins une colonne"));

    let started = app
        .form(
            me,
            &format!("{board}/export"),
            &[
                ("format", "xlsx"),
                ("colonne-rang", "1"),
                ("colonne-numero", "1"),
                ("colonne-nom_naissance", "1"),
                ("colonne-decision", "1"),
                ("colonne-motivation", "1"),
            ],
        )
        .await;
    assert_eq!(started.status, 303, "{}", started.text());
    let job = started.header("location").to_owned();
    assert!(job.starts_with("/decisions/exports/"), "{job}");
    // The worker process does not run it (it may not read decisions' tables); decisions does.
    assert_eq!(app.run_exports().await, 0);
    assert_eq!(app.run_decisions_jobs().await, 1);
    let done = app.call(me, Method::GET, &job, json!({})).await;
    assert!(done.text().contains("Terminé"), "{}", done.text());
    let (rows, formulas) =
        sheet(calamine::Xlsx::new(Cursor::new(file(&app, me, &job).await)).unwrap());
    assert!(!formulas, "a formula was written");
    assert_eq!(
        rows[0],
        [
            "Rang",
            "Numéro",
            "Nom de naissance",
            "Décision",
            "Motivation"
        ]
    );
    // The list: the two transmitted dossiers, the one submitted only is not the bureau's yet.
    assert_eq!(rows.len(), 3, "{rows:?}");
    let retained = rows.iter().find(|r| r[1] == first).unwrap();
    assert_eq!(retained[3], "Retenu");
    assert_eq!(retained[4], formula);
    assert!(rows.iter().any(|r| r[1] == second && r[3].is_empty()));
    let named = app
        .call(me, Method::GET, &format!("{job}/fichier"), json!({}))
        .await;
    assert!(
        named
            .header("content-disposition")
            .contains("decisions-lh-"),
        "{}",
        named.header("content-disposition")
    );
    // Each dossier exported is in the read log; another agent sees neither job nor file.
    assert_eq!(exported(&app, me).await, 2);
    for who in [&cast.instructeur, &cast.outsider] {
        let answer = app
            .call(who, Method::GET, &format!("{job}/fichier"), json!({}))
            .await;
        assert!([403, 404].contains(&answer.status), "{}", answer.status);
    }

    // An export waiting when the ministry withdraws the right from its intégrateurs: stopped,
    // nothing read; its page and the earlier file are refused.
    let waiting = app
        .form(
            me,
            &format!("{board}/export"),
            &[("format", "csv"), ("colonne-numero", "1")],
        )
        .await;
    assert_eq!(waiting.status, 303);
    let waiting = waiting.header("location").to_owned();
    withdraw_export(&app, cast.tenant, "integrateur", "decision").await;
    assert_eq!(app.run_decisions_jobs().await, 1);
    assert_eq!(exported(&app, me).await, 2);
    for path in [waiting, format!("{job}/fichier")] {
        let answer = app.call(me, Method::GET, &path, json!({})).await;
        assert_eq!(answer.status, 403, "{path}");
    }
    let board_page = app.call(me, Method::GET, &board, json!({})).await.text();
    assert!(!board_page.contains("/export\""), "{board_page}");
    app.finish().await;
}

/// A queue tab's export reads its batches by key: a dossier taken between two batches (out of
/// « à traiter ») moves no other out of the next one (by offset, the next would have started
/// one too far), and none is read twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_queue_batch_after_a_dossier_left_the_tab_still_starts_at_the_next_one() {
    use napoleon_db::contracts::{self, DossierCursor, DossierSort, QueueList};
    use napoleon_rules::dossier::DossierState;

    let app = TestApp::services().await;
    let cast: Cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let (first_id, first) = submitted(&app, &cast, &campaign, "Aubert", "F").await;
    let (_, second) = submitted(&app, &cast, &campaign, "Barbier", "F").await;
    let (_, third) = submitted(&app, &cast, &campaign, "Caron", "F").await;
    let rhone = app
        .unit(
            cast.tenant,
            napoleon_kernel::OrgUnitKind::PrefectureDepartement,
            "69",
        )
        .await;
    let roots = [rhone];
    let states = [DossierState::Submitted];
    let same = |q: contracts::DossierQuery| q;
    let list = QueueList::Under {
        roots: &roots,
        states: &states,
        extra: &same,
    };
    let batch = |after: Option<DossierCursor>| {
        let app = &app;
        async move {
            let tx = app.ctx.db.tenant(cast.tenant).await.unwrap();
            let rows = contracts::queue_batch(&tx, list, after.as_ref(), 1)
                .await
                .unwrap();
            tx.rollback().await;
            rows
        }
    };
    let one = batch(None).await;
    assert_eq!(one[0].number.as_deref(), Some(first.as_str()));
    // The first, already written, is taken meanwhile: it leaves the tab.
    assert_eq!(app.take(&cast.instructeur, &first_id).await.status, 204);
    let cursor = DossierCursor::after(DossierSort::SubmittedFirst, &one[0]);
    let two = batch(Some(cursor)).await;
    assert_eq!(two[0].number.as_deref(), Some(second.as_str()));
    let cursor = DossierCursor::after(DossierSort::SubmittedFirst, &two[0]);
    let three = batch(Some(cursor)).await;
    assert_eq!(three[0].number.as_deref(), Some(third.as_str()));
    let cursor = DossierCursor::after(DossierSort::SubmittedFirst, &three[0]);
    assert!(batch(Some(cursor)).await.is_empty());
    app.finish().await;
}
