//! Issue 18, Build 6: the same person proposed twice. A dossier names its possible
//! duplicates — another open dossier of the tenant for the same distinction, or a laureate
//! already holding the proposed grade — exact (same names and birth date, whichever way the
//! date was typed), close (a close name, same birth date) or a possible homonym (same names,
//! another birth date); on the rédacteur's last step, the receipt, the API and the
//! instruction page, where the instructeur confirms or dismisses each (journaled). Never a
//! block; another tenant's people never show.

use axum::http::Method;
use napoleon_testkit::{Cast, TestApp, TestDb, Who, cast, count, open_campaign, submitted};
use serde_json::{Value, json};

/// An eligible candidate's content with these names and birth date (as typed).
fn person(birth_name: &str, given_names: &str, birth_date: &str) -> Value {
    let mut content = napoleon_testkit::eligible_content(birth_name, "F");
    content["candidate"]["given_names"] = json!(given_names);
    content["candidate"]["birth_date"] = json!(birth_date);
    content
}

/// A page as `who`.
async fn get_page(app: &TestApp, who: &Who, path: &str) -> napoleon_testkit::Answer {
    app.call(who, Method::GET, path, json!({})).await
}

/// A draft of `content` by the rédacteur; its id.
async fn draft_of(app: &TestApp, who: &Who, campaign: &str, content: Value) -> String {
    let created = app
        .post(
            who,
            "/intake/api/v1/dossiers",
            json!({"campaign_id": campaign, "content": content}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json);
    created.json["id"].as_str().unwrap().to_owned()
}

/// The dossier as the API reads it to `who`.
async fn read_dossier(app: &TestApp, who: &Who, id: &str) -> Value {
    let read = get_page(app, who, &format!("/intake/api/v1/dossiers/{id}")).await;
    assert_eq!(read.status, 200, "{}", read.json);
    read.json
}

/// The dossier's possible duplicates as the API lists them: (match, other).
async fn duplicates(app: &TestApp, who: &Who, id: &str) -> Vec<(String, String)> {
    read_dossier(app, who, id).await["possible_duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert!(
                !d["description"].as_str().unwrap_or_default().is_empty(),
                "{d}"
            );
            (
                d["match"].as_str().unwrap().to_owned(),
                d["other"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The demo's Lambert (seeded by the demo activity, transmitted to the bureau): a dossier
/// with her names and birth date is a duplicate, the browser walk's (born a year later) a
/// possible homonym, a misspelt name with her birth date a close match; the rédacteur sees
/// them on the last step, without the other dossier's data.
#[tokio::test(flavor = "multi_thread")]
async fn the_seeded_lambert_is_a_duplicate_and_the_walks_one_a_possible_homonym() {
    let slice = TestApp::services().await;
    napoleon::demo_activity::seed_activity(&slice.ctx, &slice.signer, "http://demo/dev-idp")
        .await
        .unwrap();
    let cast = cast(&slice).await;
    let mut admin = TestDb::connect(&slice.db.admin_url()).await.unwrap();
    let seeded: (String, String) = {
        #[derive(diesel::QueryableByName)]
        struct Seeded {
            #[diesel(sql_type = diesel::sql_types::Text)]
            id: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            campaign: String,
        }
        use diesel_async::RunQueryDsl;
        let row: Seeded = diesel::sql_query(
            "SELECT id::text AS id, campaign_id::text AS campaign FROM intake.dossiers \
             WHERE tenant_id = $1 AND content->'candidate'->>'birth_name' = 'Lambert'",
        )
        .bind::<diesel::sql_types::Uuid, _>(cast.tenant.as_uuid())
        .get_result(&mut admin)
        .await
        .unwrap();
        (row.id, row.campaign)
    };
    let (lambert, campaign) = seeded;
    let paul = &cast.redacteur;

    // Her names and birth date (the date typed the French way): exact; the walk's, born
    // 28/02/1962: a possible homonym; a misspelt name with her birth date: close. Each also
    // matches the drafts before it that are alike (the misspelt one, not the homonym).
    let mut drafts = Vec::new();
    for (birth_name, born, expected, matches) in [
        ("LAMBERT", "12/03/1961", "exact", 1),
        ("Lambert", "28/02/1962", "homonym", 2),
        ("Lambart", "1961-03-12", "close", 2),
    ] {
        let id = draft_of(
            &slice,
            paul,
            &campaign,
            person(birth_name, "Jeanne Marie", born),
        )
        .await;
        let found = duplicates(&slice, paul, &id).await;
        assert!(
            found.contains(&(expected.to_owned(), format!("dossier:{lambert}"))),
            "{birth_name} {born}: {found:?}"
        );
        assert_eq!(found.len(), matches, "{found:?}");
        drafts.push(id);
    }
    let walk = drafts[1].clone();
    // Somebody else: nothing.
    let other = draft_of(
        &slice,
        paul,
        &campaign,
        person("Rossignol", "Odile", "1961-03-12"),
    )
    .await;
    assert_eq!(duplicates(&slice, paul, &other).await, vec![]);

    // The last step says it, without the seeded dossier's data (her birth date).
    let page = get_page(&slice, paul, &format!("/intake/dossiers/{walk}/etape/6")).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("Doublons possibles"), "{html}");
    assert!(html.contains("Homonyme possible, à vérifier"), "{html}");
    assert!(html.contains("Dossier n° "), "{html}");
    assert!(!html.contains("12/03/1961") && !html.contains("1961-03-12"));
    // Drafts, however alike, are never blocked.
    slice.finish().await;
}

/// A laureate holding the proposed grade is a duplicate; one of another tenant never shows.
#[tokio::test(flavor = "multi_thread")]
async fn a_holder_of_the_grade_is_flagged_and_another_tenants_never() {
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    let campaign = open_campaign(&slice, &cast).await;
    let identity = person("Lambert", "Jeanne", "1960-05-04")["candidate"].clone();
    let culture = slice.tenant("culture").await;
    crate::registry::import(&slice, culture, identity.clone(), "LH", "chevalier").await;
    let (id, _) = submitted(&slice, &cast, &campaign, "Lambert", "F").await;
    assert_eq!(duplicates(&slice, &cast.redacteur, &id).await, vec![]);
    // The same person in this tenant's registry, her birth date typed the French way there.
    let mut typed = identity.clone();
    typed["birth_date"] = json!("04/05/1960");
    let laureate = crate::registry::import(&slice, cast.tenant, typed, "LH", "chevalier").await;
    // The rédacteur does not read the registry: he is told of the laureate, not how close
    // the match is (an oracle of the laureate's birth date otherwise).
    assert_eq!(
        duplicates(&slice, &cast.redacteur, &id).await,
        vec![("possible".to_owned(), format!("laureate:{laureate}"))]
    );
    // The receipt says it.
    let receipt = get_page(
        &slice,
        &cast.redacteur,
        &format!("/intake/dossiers/{id}/recepisse"),
    )
    .await;
    assert_eq!(receipt.status, 200);
    assert!(
        receipt
            .text()
            .contains("Au registre : déjà titulaire du grade de chevalier (décret du 14/07/2020)"),
        "{}",
        receipt.text()
    );
    assert!(receipt.text().contains(napoleon_web::UNREAD_MATCH));
    // The award a dossier was published into is that dossier's, not a duplicate of it.
    let mut admin = TestDb::connect(&slice.db.admin_url()).await.unwrap();
    {
        use diesel_async::RunQueryDsl;
        diesel::sql_query("UPDATE registry.awards SET dossier_id = $1 WHERE laureate_id = $2")
            .bind::<diesel::sql_types::Uuid, _>(id.parse::<uuid::Uuid>().unwrap())
            .bind::<diesel::sql_types::Uuid, _>(laureate.as_uuid())
            .execute(&mut admin)
            .await
            .unwrap();
    }
    assert_eq!(duplicates(&slice, &cast.redacteur, &id).await, vec![]);
    slice.finish().await;
}

/// Another unit's draft is its authors' alone: nobody else is told of it. A dossier the
/// agent may not open is named without its state nor how close the match is.
#[tokio::test(flavor = "multi_thread")]
async fn another_units_draft_is_never_told_and_an_unreadable_dossier_says_less() {
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    let campaign = open_campaign(&slice, &cast).await;
    let (filed, number) = submitted(&slice, &cast, &campaign, "Lambert", "F").await;
    let elsewhere = slice
        .as_(napoleon_kernel::Role::Redacteur, cast.bureau)
        .await;
    let theirs = draft_of(
        &slice,
        &elsewhere,
        &campaign,
        napoleon_testkit::eligible_content("Lambert", "F"),
    )
    .await;
    // Neither the Rhône's rédacteur nor its instructeur hears of the bureau's draft.
    assert_eq!(duplicates(&slice, &cast.redacteur, &filed).await, vec![]);
    let page = get_page(
        &slice,
        &cast.instructeur,
        &format!("/instruction/dossiers/{filed}"),
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(!page.text().contains("Doublons possibles"));
    // Nor may the instructeur review it.
    let answer = review(
        &slice,
        &cast.instructeur,
        &filed,
        &[
            ("doublon", &format!("dossier:{theirs}")),
            ("decision", "confirme"),
        ],
    )
    .await;
    assert_eq!(answer.status, 422);
    // The bureau's rédacteur is told of the Rhône's filed dossier: its number and unit, not
    // its state nor the match's closeness (he may not open it).
    let read = slice
        .call(
            &elsewhere,
            Method::GET,
            &format!("/intake/api/v1/dossiers/{theirs}"),
            json!({}),
        )
        .await;
    let found = read.json["possible_duplicates"].as_array().unwrap().clone();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["match"], "possible");
    assert_eq!(found[0]["other"], format!("dossier:{filed}"));
    let description = found[0]["description"].as_str().unwrap();
    assert!(
        description.starts_with(&format!("Dossier n° {number} — Préfecture du Rhône, ")),
        "{description}"
    );
    assert!(!description.contains("déposé"), "{description}");
    slice.finish().await;
}

async fn reviews(app: &TestApp, dossier: &str) -> (i64, i64) {
    let mut admin = TestDb::connect(&app.db.admin_url()).await.unwrap();
    (
        count(
            &mut admin,
            &format!(
                "SELECT count(*) AS n FROM instruction.duplicate_reviews WHERE dossier_id = '{dossier}'"
            ),
        )
        .await,
        count(
            &mut admin,
            &format!(
                "SELECT count(*) AS n FROM journal.events WHERE subject = 'dossier:{dossier}' \
                 AND kind = 'dossier.duplicate_reviewed'"
            ),
        )
        .await,
    )
}

async fn review(
    app: &TestApp,
    who: &Who,
    id: &str,
    pairs: &[(&str, &str)],
) -> napoleon_testkit::Answer {
    app.form(who, &format!("/instruction/dossiers/{id}/doublons"), pairs)
        .await
}

/// The instructeur who may give the opinion confirms or dismisses a possible duplicate, each
/// journaled; bad input is refused in French and changes nothing; others may not.
#[tokio::test(flavor = "multi_thread")]
async fn the_instructeur_confirms_or_dismisses_and_each_is_journaled() {
    let slice = TestApp::services().await;
    let c = cast(&slice).await;
    let Cast {
        instructeur,
        redacteur,
        outsider,
        ..
    } = &c;
    let campaign = open_campaign(&slice, &c).await;
    let (first, _) = submitted(&slice, &c, &campaign, "Lambert", "F").await;
    let (second, number) = submitted(&slice, &c, &campaign, "Lambert", "F").await;
    let other = format!("dossier:{second}");
    assert_eq!(
        duplicates(&slice, redacteur, &first).await,
        vec![("exact".to_owned(), other.clone())]
    );

    // Before the dossier is taken, the page shows the duplicate with a link, and the form to
    // whoever may give the opinion here.
    let page = get_page(
        &slice,
        instructeur,
        &format!("/instruction/dossiers/{first}"),
    )
    .await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("Doublon probable : même identité"), "{html}");
    assert!(html.contains(&format!("href=\"/instruction/dossiers/{second}\"")));
    assert!(html.contains(&format!("Dossier n° {number}")));
    assert!(html.contains("Confirmer le doublon"));

    // Refused input: nothing written.
    for (pairs, message) in [
        (
            vec![("doublon", other.as_str()), ("decision", "peut-etre")],
            "Décision : choisissez",
        ),
        (
            vec![
                ("doublon", "dossier:0190f0c4-0000-7000-8000-000000000000"),
                ("decision", "confirme"),
            ],
            "plus signalé pour ce dossier",
        ),
        (
            vec![("doublon", "n'importe quoi"), ("decision", "ecarte")],
            "plus signalé",
        ),
    ] {
        let answer = review(&slice, instructeur, &first, &pairs).await;
        assert_eq!(answer.status, 422, "{pairs:?}");
        assert!(answer.text().contains(message), "{}", answer.text());
    }
    let long = "x".repeat(1001);
    let answer = review(
        &slice,
        instructeur,
        &first,
        &[
            ("doublon", &other),
            ("decision", "confirme"),
            ("observation", &long),
        ],
    )
    .await;
    assert_eq!(answer.status, 422);
    assert!(
        answer
            .text()
            .contains("Observation : 1000 caractères au plus.")
    );
    // The rédacteur may not (403); another tenant's agent does not see the dossier (404).
    let pairs = [("doublon", other.as_str()), ("decision", "confirme")];
    assert_eq!(review(&slice, redacteur, &first, &pairs).await.status, 403);
    assert_eq!(review(&slice, outsider, &first, &pairs).await.status, 404);
    assert_eq!(reviews(&slice, &first).await, (0, 0));

    // Confirmed, then dismissed: the row says the latest, the journal both.
    let confirmed = review(
        &slice,
        instructeur,
        &first,
        &[
            ("doublon", &other),
            ("decision", "confirme"),
            ("observation", "Meme personne, deux services"),
        ],
    )
    .await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.text());
    assert_eq!(reviews(&slice, &first).await, (1, 1));
    let page = get_page(
        &slice,
        instructeur,
        &format!("/instruction/dossiers/{first}"),
    )
    .await;
    let html = page.text();
    assert!(
        html.contains("Doublon confirmé le ") && html.contains("Meme personne, deux services"),
        "{html}"
    );
    assert!(html.contains("Doublon possible examiné"), "the timeline");
    let dismissed = review(
        &slice,
        instructeur,
        &first,
        &[("doublon", &other), ("decision", "ecarte")],
    )
    .await;
    assert_eq!(dismissed.status, 303);
    assert_eq!(reviews(&slice, &first).await, (1, 2));
    let html = get_page(
        &slice,
        instructeur,
        &format!("/instruction/dossiers/{first}"),
    )
    .await
    .text();
    assert!(
        html.contains("Doublon écarté (une autre personne) le "),
        "{html}"
    );
    // Still a warning only: the dossier moves on.
    assert_eq!(slice.take(instructeur, &first).await.status, 204);
    slice.finish().await;
}

/// `napoleon tenants cross-ministry --tenant <slug> on|off`, as the real binary.
fn cross_ministry(app: &TestApp, slug: &str, state: &str) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_napoleon"))
        .args(["tenants", "cross-ministry", "--tenant", slug, state])
        .env_remove("NAPOLEON_CONFIG")
        .env("NAPOLEON__DATABASE__URL", app.db.app_url().expose())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What the API says of another ministry's proposal: its sentence, or nothing.
async fn another_ministry(app: &TestApp, who: &Who, id: &str) -> Option<String> {
    read_dossier(app, who, id)
        .await
        .get("another_ministry")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Build 7: two ministries that opted in (the demo's do) propose the same person for the
/// same promotion: each is told one sentence, nothing of the other's dossier; once one opts
/// out (`napoleon tenants cross-ministry`), nothing. No service role reads the hashes.
#[tokio::test(flavor = "multi_thread")]
async fn another_ministrys_proposal_is_one_sentence_and_nothing_once_it_opts_out() {
    use napoleon_kernel::{OrgUnitKind, Role};
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    let campaign = open_campaign(&slice, &cast).await;
    let (mine, _) = submitted(&slice, &cast, &campaign, "Lambert", "F").await;
    assert_eq!(another_ministry(&slice, &cast.redacteur, &mine).await, None);

    // The Culture ministry proposes her for the same promotion.
    let culture = slice.tenant("culture").await;
    let mc = slice.unit(culture, OrgUnitKind::Ministere, "MC").await;
    let bdh = slice.unit(culture, OrgUnitKind::Direction, "BDH").await;
    let theirs = Cast {
        tenant: culture,
        admin: slice.as_(Role::Administrateur, mc).await,
        redacteur: slice.as_(Role::Redacteur, bdh).await,
        instructeur: cast.instructeur.clone(),
        valideur: cast.valideur.clone(),
        integrateur: cast.integrateur.clone(),
        bureau: bdh,
        outsider: cast.redacteur.clone(),
    };
    let their_campaign = open_campaign(&slice, &theirs).await;
    let (their_dossier, _) = submitted(&slice, &theirs, &their_campaign, "Lambert", "F").await;
    let sentence = napoleon_db::crossmatch::ELSEWHERE.to_owned();
    assert_eq!(
        another_ministry(&slice, &cast.redacteur, &mine).await,
        Some(sentence.clone())
    );
    assert_eq!(
        another_ministry(&slice, &theirs.redacteur, &their_dossier).await,
        Some(sentence.clone())
    );
    // The instructeur's page says the sentence, and nothing of the other ministry's dossier.
    let html = get_page(
        &slice,
        &cast.instructeur,
        &format!("/instruction/dossiers/{mine}"),
    )
    .await
    .text();
    assert!(
        html.contains("Proposition dans un autre ministère"),
        "{html}"
    );
    // (Numbers run per ministry: its number may be this one's; its id never shows.)
    assert!(!html.contains(&their_dossier));
    assert!(!html.contains("Culture"));
    // The lookups are the platform's record: counted per ministry.
    let mut admin = TestDb::connect(&slice.db.admin_url()).await.unwrap();
    let asked = count(
        &mut admin,
        &format!(
            "SELECT count(*) AS n FROM crossmatch.lookups WHERE holder = '{}' AND answer = 'yes'",
            cast.tenant
        ),
    )
    .await;
    assert_eq!(asked, 2);
    // No service role reads the hashes themselves.
    let mut app = TestDb::connect(&slice.db.app_url()).await.unwrap();
    {
        use diesel_async::RunQueryDsl;
        let refused = diesel::sql_query("SELECT count(*) FROM crossmatch.proposals")
            .execute(&mut app)
            .await;
        assert!(
            refused
                .unwrap_err()
                .to_string()
                .contains("permission denied"),
        );
    }

    // Culture opts out from the command line: nothing is told on either side.
    cross_ministry(&slice, "culture", "off");
    let culture_lookups =
        format!("SELECT count(*) AS n FROM crossmatch.lookups WHERE holder = '{culture}'");
    let before = count(&mut admin, &culture_lookups).await;
    assert_eq!(another_ministry(&slice, &cast.redacteur, &mine).await, None);
    assert_eq!(
        another_ministry(&slice, &theirs.redacteur, &their_dossier).await,
        None
    );
    // Off, Culture does not ask either: nothing recorded, and its proposals are gone.
    assert_eq!(count(&mut admin, &culture_lookups).await, before);
    assert_eq!(
        count(
            &mut admin,
            &format!("SELECT count(*) AS n FROM crossmatch.proposals WHERE holder = '{culture}'")
        )
        .await,
        0
    );
    // A draft is never asked about.
    let draft = draft_of(
        &slice,
        &cast.redacteur,
        &campaign,
        person("Lambert", "Jeanne", "1960-05-04"),
    )
    .await;
    let mine_lookups = format!(
        "SELECT count(*) AS n FROM crossmatch.lookups WHERE holder = '{}'",
        cast.tenant
    );
    let before = count(&mut admin, &mine_lookups).await;
    assert_eq!(
        another_ministry(&slice, &cast.redacteur, &draft).await,
        None
    );
    assert_eq!(count(&mut admin, &mine_lookups).await, before);
    // Culture opts in again: its submitted dossier is recorded, and told of again.
    cross_ministry(&slice, "culture", "on");
    assert_eq!(
        another_ministry(&slice, &cast.redacteur, &mine).await,
        Some(sentence.clone())
    );
    assert_eq!(
        count(
            &mut admin,
            "SELECT count(*) AS n FROM journal.events WHERE kind = 'tenant.cross_ministry_set' \
             AND payload->>'on' = 'false'",
        )
        .await,
        1
    );
    slice.finish().await;
}
