//! Issue 18, Build 2: a unit's proposals sent in bulk for a campaign. A file is checked (its
//! refused rows reported line by line, nothing created), imported from its report without
//! being sent again (each valid row a draft at the unit, with its eligibility and what is
//! left to complete, nothing submitted), then corrected and sent again whole: the rows
//! already imported are recognised and add nothing. Every format and encoding reads the same
//! rows; a file refused at the door changes nothing; another unit's or another ministry's
//! report is unknown.

use std::io::Cursor;

use axum::http::Method;
use napoleon::samples::multipart_named;
use napoleon_testkit::{Cast, TestApp, cast, count, open_campaign, today};
use serde_json::json;

const PAGE: &str = "/intake/propositions/import";

const HEADERS: [&str; 21] = [
    "Nom de naissance",
    "Nom d'usage",
    "Prénoms",
    "Sexe",
    "Date de naissance",
    "Lieu de naissance",
    "Nationalité",
    "Département de résidence",
    "Carrière 1 début",
    "Carrière 1 fin",
    "Carrière 1 nature",
    "Carrière 1 fonction",
    "Distinction détenue 1",
    "Distinction détenue 1 grade",
    "Distinction détenue 1 décret",
    "Distinction détenue 1 réception",
    "Exposé des motifs",
    "Date du bulletin n° 2 du casier judiciaire",
    "Carrière 2 début",
    "Carrière 2 nature",
    "Carrière 2 fonction",
];

/// The file's rows: two valid (one complete and eligible, one identity only), three refused
/// (an impossible date, an unknown distinction, the first person again). `fixed` corrects
/// the two refused ones and drops the repeat.
fn rows(fixed: bool) -> Vec<Vec<String>> {
    let record = (today() - chrono::Duration::days(5))
        .format("%d/%m/%Y")
        .to_string();
    let complete = |name: &str, given: &str| {
        vec![
            name.to_owned(),
            String::new(),
            given.to_owned(),
            "F".to_owned(),
            "12/05/1960".to_owned(),
            "Lyon".to_owned(),
            "FR".to_owned(),
            "69".to_owned(),
            "01/09/1982".to_owned(),
            String::new(),
            "Service public".to_owned(),
            "Ingénieure territoriale".to_owned(),
            "ONM".to_owned(),
            "chevalier".to_owned(),
            "14/05/2010".to_owned(),
            "01/09/2010".to_owned(),
            "Quarante ans de service public au bénéfice des habitants du Rhône.".to_owned(),
            record.clone(),
            String::new(),
            String::new(),
            String::new(),
        ]
    };
    let identity_only = |name: &str, born: &str| {
        let mut row = vec![String::new(); HEADERS.len()];
        for (i, v) in [name, "", "Paul", "homme", born, "Bordeaux", "fr", "33"]
            .iter()
            .enumerate()
        {
            row[i] = (*v).to_owned();
        }
        row
    };
    let mut unknown = complete("GARNIER", "Lucie");
    if !fixed {
        unknown[12] = "XYZ".to_owned();
    }
    let mut out = vec![
        complete("MARCHAND", "Claire Anne"),
        identity_only("ROUSSEL", "03/11/1971"),
        identity_only("BLANC", if fixed { "28/02/1965" } else { "31/02/1965" }),
        unknown,
    ];
    if !fixed {
        out.push(complete("Marchand", "Claire"));
    }
    out
}

fn csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut text = format!("{}\r\n", HEADERS.join(";"));
    for row in rows {
        text.push_str(&row.join(";"));
        text.push_str("\r\n");
    }
    text.into_bytes()
}

async fn drafts(app: &TestApp, cast: &Cast) -> i64 {
    let mut tx = app.ctx.db.tenant(cast.tenant).await.unwrap();
    let n = count(
        tx.pg(),
        "SELECT count(*) AS n FROM intake.dossiers WHERE state = 'brouillon'",
    )
    .await;
    tx.rollback().await;
    n
}

async fn send(
    app: &TestApp,
    cast: &Cast,
    campaign: &str,
    mode: &str,
    name: &str,
    file: &[u8],
) -> napoleon_testkit::Answer {
    app.upload(
        &cast.redacteur,
        PAGE,
        multipart_named(
            "fichier",
            &[("_csrf", "jeton"), ("mode", mode), ("campagne", campaign)],
            &[(name, file)],
        ),
    )
    .await
}

/// The page a 303 leads to, as text.
async fn followed(
    app: &TestApp,
    who: &napoleon_testkit::Who,
    sent: &napoleon_testkit::Answer,
) -> String {
    assert_eq!(sent.status, 303, "{}", sent.text());
    text_of(
        &app.call(who, Method::GET, sent.header("location"), json!({}))
            .await,
    )
}

fn text_of(answer: &napoleon_testkit::Answer) -> String {
    answer.text().replace("&#x27;", "'")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_unit_checks_imports_and_corrects_a_file_of_proposals() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;

    // The page and its template: for agents who file; not for an instructeur.
    let page = app
        .call(&cast.redacteur, Method::GET, PAGE, json!({}))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Vérifier le fichier"));
    assert!(page.text().contains("Distinction détenue N grade"));
    assert_eq!(
        app.call(&cast.instructeur, Method::GET, PAGE, json!({}))
            .await
            .status,
        403
    );
    let template = app
        .call(
            &cast.redacteur,
            Method::GET,
            &format!("{PAGE}/modele.csv"),
            json!({}),
        )
        .await;
    assert_eq!(template.status, 200);
    assert!(
        template
            .text()
            .contains("Nom de naissance;Nom d'usage;Prénoms")
    );

    // Checked: the report, nothing created.
    let checked = send(
        &app,
        &cast,
        &campaign,
        "verification",
        "propositions.csv",
        &csv(&rows(false)),
    )
    .await;
    assert_eq!(checked.status, 303, "{}", checked.text());
    let report_href = checked.header("location").to_owned();
    let report = app
        .call(&cast.redacteur, Method::GET, &report_href, json!({}))
        .await;
    assert_eq!(report.status, 200);
    let text = text_of(&report);
    assert!(
        text.contains("5 ligne(s) lue(s) : 2 valide(s), 3 refusée(s)."),
        "{text}"
    );
    assert!(
        text.contains("Vérification seule : aucun dossier n'a été créé."),
        "{text}"
    );
    assert!(
        text.contains("date invalide : JJ/MM/AAAA attendu"),
        "{text}"
    );
    assert!(
        text.contains("distinction inconnue du catalogue du ministère"),
        "{text}"
    );
    assert!(
        text.contains("qu'à la ligne 2 : une seule proposition par personne"),
        "{text}"
    );
    assert!(text.contains("Sera créée en brouillon"), "{text}");
    assert!(text.contains("ROUSSEL Paul"), "{text}");
    assert!(text.contains("Recherchés à l'import"), "{text}");
    assert!(text.contains("Carrière, Proposition"), "{text}");
    assert_eq!(drafts(&app, &cast).await, 0);
    let report_csv = app
        .call(
            &cast.redacteur,
            Method::GET,
            &format!("{report_href}/rapport.csv"),
            json!({}),
        )
        .await;
    assert_eq!(report_csv.status, 200);
    assert!(report_csv.text().contains("Ligne;Colonne;Valeur;Motif"));
    assert!(
        report_csv
            .text()
            .contains("4;\"Date de naissance\";\"31/02/1965\"")
    );

    // Another unit's agent, another ministry's: unknown.
    let gironde = cast.gironde(&app, napoleon_kernel::Role::Redacteur).await;
    for who in [&gironde, &cast.outsider] {
        let hidden = app.call(who, Method::GET, &report_href, json!({})).await;
        assert!(matches!(hidden.status, 404 | 403), "{}", hidden.status);
        let import = app.form(who, &format!("{report_href}/importer"), &[]).await;
        assert!(matches!(import.status, 404 | 403), "{}", import.status);
    }
    assert_eq!(drafts(&app, &cast).await, 0);

    // Imported from the report, without sending the file again: two drafts at the unit.
    let imported = app
        .form(&cast.redacteur, &format!("{report_href}/importer"), &[])
        .await;
    assert_eq!(imported.status, 303, "{}", imported.text());
    let import_href = imported.header("location").to_owned();
    assert_ne!(import_href, report_href);
    let import = app
        .call(&cast.redacteur, Method::GET, &import_href, json!({}))
        .await;
    let text = text_of(&import);
    assert!(
        text.contains("2 brouillon(s) créé(s), 0 ligne(s) déjà importée(s)"),
        "{text}"
    );
    assert!(text.contains("MARCHAND Claire Anne"), "{text}");
    assert!(text.contains("Conditions remplies"), "{text}");
    assert!(text.contains("Brouillon créé"), "{text}");
    assert_eq!(drafts(&app, &cast).await, 2);
    // Asked twice: the same import, nothing more.
    let again = app
        .form(&cast.redacteur, &format!("{report_href}/importer"), &[])
        .await;
    assert_eq!(again.header("location"), import_href);
    assert_eq!(drafts(&app, &cast).await, 2);

    // The corrected file sent again whole: only the corrected rows are added.
    let corrected = send(
        &app,
        &cast,
        &campaign,
        "import",
        "propositions-corrige.csv",
        &csv(&rows(true)),
    )
    .await;
    let text = followed(&app, &cast.redacteur, &corrected).await;
    assert!(
        text.contains("4 ligne(s) lue(s) : 4 valide(s), 0 refusée(s)."),
        "{text}"
    );
    assert!(
        text.contains("2 brouillon(s) créé(s), 2 ligne(s) déjà importée(s)"),
        "{text}"
    );
    assert!(text.contains("Déjà importée (Brouillon)"), "{text}");
    assert_eq!(drafts(&app, &cast).await, 4);

    // Nothing submitted; each draft journaled with its row, each batch with the file's hash.
    let mut tx = app.ctx.db.tenant(cast.tenant).await.unwrap();
    assert_eq!(
        count(
            tx.pg(),
            "SELECT count(*) AS n FROM intake.dossiers WHERE state <> 'brouillon'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            tx.pg(),
            "SELECT count(*) AS n FROM journal.events WHERE kind = 'dossier.created' \
             AND payload ? 'import' AND (payload->>'line')::int > 1"
        )
        .await,
        4
    );
    assert_eq!(
        count(
            tx.pg(),
            "SELECT count(*) AS n FROM journal.events WHERE kind = 'proposals.import_batch' \
             AND payload->>'sha256' ~ '^[0-9a-f]{64}$'"
        )
        .await,
        2
    );
    tx.rollback().await;

    // The list of the unit's files.
    let listed = app
        .call(&cast.redacteur, Method::GET, PAGE, json!({}))
        .await;
    assert!(listed.text().contains("propositions-corrige.csv"));
    assert!(
        listed
            .text()
            .contains("2 brouillon(s) créé(s), 2 déjà importée(s)")
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_format_reads_the_same_rows_and_a_refused_file_changes_nothing() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let rows = rows(false);

    // CSV in Windows-1252 with `,`, XLSX, ODS: the same five rows, the same verdicts.
    let mut latin = format!("{}\r\n", HEADERS.join(","));
    for row in &rows {
        let quoted: Vec<String> = row.iter().map(|c| format!("\"{c}\"")).collect();
        latin.push_str(&quoted.join(","));
        latin.push_str("\r\n");
    }
    let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(&latin);
    let xlsx = {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in HEADERS.iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    sheet.write_string(r as u32 + 1, c as u16, cell).unwrap();
                }
            }
        }
        book.save_to_buffer().unwrap()
    };
    let ods = {
        use napoleon_tabular::ods::{Cell, Writer};
        let mut ods = Writer::new(Cursor::new(Vec::new()), "Propositions").unwrap();
        ods.row(&HEADERS.iter().map(|h| Cell::Text(h)).collect::<Vec<_>>())
            .unwrap();
        for row in &rows {
            let cells: Vec<Cell> = row
                .iter()
                .map(|c| {
                    if c.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(c)
                    }
                })
                .collect();
            ods.row(&cells).unwrap();
        }
        ods.finish().unwrap().into_inner()
    };
    for (name, bytes, detected) in [
        ("p.csv", latin.into_owned(), "Windows-1252"),
        ("p.xlsx", xlsx, "XLSX"),
        ("p.ods", ods, "ODS"),
    ] {
        let checked = send(&app, &cast, &campaign, "verification", name, &bytes).await;
        let text = followed(&app, &cast.redacteur, &checked).await;
        assert!(text.contains(detected), "{name}: {text}");
        assert!(
            text.contains("5 ligne(s) lue(s) : 2 valide(s), 3 refusée(s)."),
            "{name}: {text}"
        );
    }

    // A NUL in a cell (an XLSX's `_x0000_`): the row refused, its value shown as text.
    let nul = {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in HEADERS.iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        for (c, cell) in [
            "DU\u{0}PONT",
            "",
            "Luc",
            "M",
            "12/03/1965",
            "Bron",
            "FR",
            "69",
        ]
        .iter()
        .enumerate()
        {
            sheet.write_string(1, c as u16, *cell).unwrap();
        }
        book.save_to_buffer().unwrap()
    };
    let checked = send(&app, &cast, &campaign, "verification", "nul.xlsx", &nul).await;
    let text = followed(&app, &cast.redacteur, &checked).await;
    assert!(
        text.contains("1 ligne(s) lue(s) : 0 valide(s), 1 refusée(s)."),
        "{text}"
    );
    assert!(text.contains("caractères de contrôle interdits"), "{text}");

    // Refused at the door, said on the form, nothing recorded or created.
    let mut many = format!("{}\r\n", HEADERS.join(";"));
    for i in 0..1_001 {
        many.push_str(&format!("NOM{i};;Paul;M;01/01/1970;Paris;FR;75\r\n"));
    }
    let mut tx = app.ctx.db.tenant(cast.tenant).await.unwrap();
    let recorded = count(tx.pg(), "SELECT count(*) AS n FROM intake.proposal_imports").await;
    tx.rollback().await;
    let good = csv(&rows);
    let big = vec![b'a'; 5_000_001];
    let closed_or_unknown = uuid::Uuid::now_v7().to_string();
    let bureau = cast.bureau.to_string();
    for (fields, file, says) in [
        (
            vec![("mode", "verification"), ("campagne", campaign.as_str())],
            Some(("vide.csv", &b""[..])),
            "le fichier est vide",
        ),
        (
            vec![("mode", "verification"), ("campagne", campaign.as_str())],
            Some(("autre.csv", &b"Nom;Prenom\nDupont;Jean\n"[..])),
            "colonne obligatoire « Sexe » absente",
        ),
        (
            vec![("campagne", campaign.as_str())],
            Some(("p.csv", good.as_slice())),
            "Choisissez « Vérifier le fichier » ou « Importer »",
        ),
        (
            vec![("mode", "import"), ("campagne", campaign.as_str())],
            None,
            "choisissez le fichier",
        ),
        (
            vec![("mode", "import"), ("campagne", "")],
            Some(("p.csv", good.as_slice())),
            "Campagne : choisissez une campagne ouverte au dépôt.",
        ),
        (
            vec![("mode", "import"), ("campagne", closed_or_unknown.as_str())],
            Some(("p.csv", good.as_slice())),
            "Campagne : choisissez une campagne ouverte au dépôt.",
        ),
        (
            vec![
                ("mode", "import"),
                ("campagne", campaign.as_str()),
                ("unite", bureau.as_str()),
            ],
            Some(("p.csv", good.as_slice())),
            "Unité : choisissez une unité où vous déposez des dossiers.",
        ),
        (
            vec![("mode", "import"), ("campagne", campaign.as_str())],
            Some(("p.csv", many.as_bytes())),
            "plus de 1000 lignes",
        ),
        (
            vec![("mode", "import"), ("campagne", campaign.as_str())],
            Some(("p.csv", big.as_slice())),
            "5 Mo au plus",
        ),
        (
            vec![
                ("mode", "import"),
                ("campagne", campaign.as_str()),
                ("autre", "x"),
            ],
            Some(("p.csv", good.as_slice())),
            "Champ inattendu",
        ),
    ] {
        let files: Vec<(&str, &[u8])> = file.into_iter().collect();
        let refused = app
            .upload(
                &cast.redacteur,
                PAGE,
                multipart_named("fichier", &fields, &files),
            )
            .await;
        assert_eq!(refused.status, 422, "{says}: {}", refused.text());
        assert!(
            text_of(&refused).contains(says),
            "{says}: {}",
            refused.text()
        );
        assert!(refused.text().contains("fichier-error"), "{says}");
    }
    let mut tx = app.ctx.db.tenant(cast.tenant).await.unwrap();
    assert_eq!(
        count(tx.pg(), "SELECT count(*) AS n FROM intake.proposal_imports").await,
        recorded
    );
    tx.rollback().await;
    assert_eq!(drafts(&app, &cast).await, 0);
    // An agent who files nowhere is refused before the body is read.
    let forbidden = app
        .upload(
            &cast.instructeur,
            PAGE,
            multipart_named(
                "fichier",
                &[("mode", "import"), ("campagne", &campaign)],
                &[("p.csv", &good)],
            ),
        )
        .await;
    assert_eq!(forbidden.status, 403);
    assert_eq!(drafts(&app, &cast).await, 0);
    app.finish().await;
}

/// A row naming a person the campaign already holds, filed by hand: the draft is created
/// (a warning, never a silent block) and its possible duplicate counted on the report.
#[tokio::test(flavor = "multi_thread")]
async fn an_imported_row_shows_its_possible_duplicates() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    // By hand: « MARCHAND Jeanne », born 1960-05-04 (the testkit's candidate).
    napoleon_testkit::draft(&app, &cast, &campaign, "MARCHAND", "F").await;
    let mut row = rows(true).remove(0);
    row[2] = "Jeanne".to_owned();
    row[4] = "04/05/1960".to_owned();
    let sent = send(&app, &cast, &campaign, "import", "p.csv", &csv(&[row])).await;
    let text = followed(&app, &cast.redacteur, &sent).await;
    assert!(text.contains("1 brouillon(s) créé(s)"), "{text}");
    assert!(text.contains("1 doublon(s) possible(s)"), "{text}");
    assert!(text.contains("/etape/6#doublons"), "{text}");
    assert_eq!(drafts(&app, &cast).await, 2);
    // Another unit sending the same row: its own draft (the key is per unit), and neither
    // the Rhône's drafts nor their number told (a draft is its authors' alone).
    let gironde = cast.gironde(&app, napoleon_kernel::Role::Redacteur).await;
    let mut row = rows(true).remove(0);
    row[2] = "Jeanne".to_owned();
    row[4] = "04/05/1960".to_owned();
    let sent = app
        .upload(
            &gironde,
            PAGE,
            multipart_named(
                "fichier",
                &[("mode", "import"), ("campagne", campaign.as_str())],
                &[("p.csv", &csv(&[row]))],
            ),
        )
        .await;
    let text = followed(&app, &gironde, &sent).await;
    assert!(
        text.contains("1 brouillon(s) créé(s), 0 ligne(s) déjà importée(s)"),
        "{text}"
    );
    assert!(!text.contains("doublon(s) possible(s)"), "{text}");
    assert_eq!(drafts(&app, &cast).await, 3);
    app.finish().await;
}
