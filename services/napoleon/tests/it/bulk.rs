//! Issue 18, Build 5: moves on the rows ticked on the queue or the search's results. Each row
//! is authorized and checked on its own; the report says row by row what was done and why the
//! rest was not; a refused form moves nothing.

use napoleon_testkit::{TestApp, cast};

/// The page as text, its escaped apostrophes as typed.
fn text(answer: &napoleon_testkit::Answer) -> String {
    answer.text().replace("&#x27;", "'")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_move_does_the_allowed_rows_and_reports_each_refusal() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = napoleon_testkit::open_campaign(&app, &cast).await;
    let (taken, taken_no) =
        napoleon_testkit::submitted(&app, &cast, &campaign, "Aubert", "F").await;
    let (free, free_no) = napoleon_testkit::submitted(&app, &cast, &campaign, "Berger", "M").await;
    let (other, other_no) = napoleon_testkit::submitted(&app, &cast, &campaign, "Caron", "F").await;
    // A dossier unknown here (another ministry's is answered the same: not found).
    let foreign = napoleon_kernel::DossierId::new();
    assert_eq!(app.take(&cast.instructeur, &taken).await.status, 204);

    // A form that names no row, or an unknown action: refused naming its field, nothing moved.
    let before = app.snapshot(&free).await;
    let refused = app
        .form(
            &cast.instructeur,
            "/instruction/dossiers/actions-groupees",
            &[
                ("action", "prendre"),
                ("retour", "/instruction/recherche?nom=a"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    let page = text(&refused);
    assert!(
        page.contains("Sélection : cochez au moins un dossier."),
        "{page}"
    );
    assert!(
        page.contains("href=\"/instruction/recherche?nom&#x3D;a\""),
        "{page}"
    );
    let choice = format!("choix-{free}");
    let refused = app
        .form(
            &cast.instructeur,
            "/instruction/dossiers/actions-groupees",
            &[("action", "supprimer"), (choice.as_str(), "1")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(text(&refused).contains("Action : choisissez"));
    assert_eq!(app.snapshot(&free).await, before);

    // Take four: one already taken, two free, one unknown here.
    let ticked: Vec<String> = [&taken, &free, &other, &foreign.to_string()]
        .iter()
        .map(|id| format!("choix-{id}"))
        .collect();
    let mut pairs: Vec<(&str, &str)> = ticked.iter().map(|t| (t.as_str(), "1")).collect();
    pairs.push(("action", "prendre"));
    // The test client sends values as given: the `&` encoded as a browser would.
    pairs.push(("retour", "/instruction/dossiers?onglet=a-traiter%26page=1"));
    let report = app
        .form(
            &cast.instructeur,
            "/instruction/dossiers/actions-groupees",
            &pairs,
        )
        .await;
    assert_eq!(report.status, 200, "{}", report.text());
    let page = text(&report);
    assert!(
        page.contains("Fait pour 2 sur 4 dossiers ; refusé ou non traité pour 2 dossiers"),
        "{page}"
    );
    for number in [&taken_no, &free_no, &other_no] {
        assert!(page.contains(number.as_str()), "{number}: {page}");
    }
    assert_eq!(page.matches(">Pris en charge</p>").count(), 2, "{page}");
    assert_eq!(page.matches(">Refusé</p>").count(), 2, "{page}");
    assert!(page.contains("Dossier inconnu ou hors de votre périmètre"));
    assert!(page.contains("n'existe pas ou n'est pas dans votre périmètre"));
    assert!(
        page.contains("href=\"/instruction/dossiers?onglet&#x3D;a-traiter&amp;page&#x3D;1\""),
        "{page}"
    );
    assert_eq!(app.snapshot(&free).await.0, "en_instruction");
    assert_eq!(app.snapshot(&other).await.0, "en_instruction");
    let mut admin = app.admin().await;
    assert_eq!(
        napoleon_testkit::count(
            &mut admin,
            &format!(
                "SELECT count(*) AS n FROM journal.events WHERE kind = 'dossier.taken' \
                 AND subject IN ('dossier:{taken}', 'dossier:{free}', 'dossier:{other}')"
            ),
        )
        .await,
        3
    );

    // The instructrice may not transmit: every row refused, none moved.
    let before = app.snapshot(&free).await;
    let choice = format!("choix-{free}");
    let report = app
        .form(
            &cast.instructeur,
            "/instruction/dossiers/actions-groupees",
            &[("action", "transmettre"), (choice.as_str(), "1")],
        )
        .await;
    assert_eq!(report.status, 200);
    let page = text(&report);
    assert!(
        page.contains("Vos rôles ne permettent pas cette action"),
        "{page}"
    );
    assert_eq!(app.snapshot(&free).await.0, before.0);

    // The valideur transmits what has its opinion; the other is refused by its state.
    let opinion = app
        .opine(&cast.instructeur, &free, "favorable", "Avis favorable.")
        .await;
    assert_eq!(opinion.status, 204, "{}", opinion.json);
    let ticked = [format!("choix-{free}"), format!("choix-{other}")];
    let report = app
        .form(
            &cast.valideur,
            "/instruction/dossiers/actions-groupees",
            &[
                ("action", "transmettre"),
                (ticked[0].as_str(), "1"),
                (ticked[1].as_str(), "1"),
            ],
        )
        .await;
    assert_eq!(report.status, 200, "{}", report.text());
    let page = text(&report);
    assert_eq!(page.matches(">Validé et transmis</p>").count(), 1, "{page}");
    assert_eq!(page.matches(">Refusé</p>").count(), 1, "{page}");
    assert_eq!(app.snapshot(&free).await.0, "transmis");
    assert_eq!(app.snapshot(&other).await.0, "en_instruction");

    // Another unit's instructrice: the Rhône's dossier is unknown to her, worded as one that
    // does not exist (never « your roles do not allow »: that would say it exists).
    let gironde = cast.gironde(&app, napoleon_kernel::Role::Instructeur).await;
    let before = app.snapshot(&other).await;
    let choice = format!("choix-{other}");
    let report = app
        .form(
            &gironde,
            "/instruction/dossiers/actions-groupees",
            &[("action", "prendre"), (choice.as_str(), "1")],
        )
        .await;
    assert_eq!(report.status, 200);
    let page = text(&report);
    assert!(
        page.contains("Dossier inconnu ou hors de votre périmètre"),
        "{page}"
    );
    assert!(
        page.contains("n'existe pas ou n'est pas dans votre périmètre"),
        "{page}"
    );
    assert!(
        !page.contains("Vos rôles") && !page.contains(other_no.as_str()),
        "{page}"
    );
    assert_eq!(app.snapshot(&other).await, before);
    app.finish().await;
}
