//! Issue 18, first parts: the registry searched by name with accents and case ignored,
//! filtered by distinction, read a page at a time in name order (keyset), each laureate with
//! their awards; « Mes dossiers » searched by name or number, a page at a time; refused asks
//! name their field in French; another tenant's rows never show.

use axum::http::Method;
use napoleon_db::contracts::{self, ImportedAward};
use napoleon_kernel::{Personal, TenantId};
use napoleon_rules::{DistinctionCode, GradeCode};
use napoleon_testkit::{TestApp, Who, cast};
use serde_json::{Value, json};

pub(crate) async fn import(
    app: &TestApp,
    tenant: TenantId,
    identity: Value,
    distinction: &str,
    grade: &str,
) -> napoleon_kernel::LaureateId {
    let mut tx = app.ctx.db.tenant(tenant).await.unwrap();
    let (laureate, _) = contracts::import_laureate(
        &mut tx,
        &Personal::new(identity),
        &[ImportedAward {
            distinction: &DistinctionCode::parse(distinction).unwrap(),
            grade: &GradeCode::parse(grade).unwrap(),
            decree_date: chrono::NaiveDate::from_ymd_opt(2020, 7, 14).unwrap(),
            jo_reference: "JORF n° 0163 du 14 juillet 2020",
            reception_date: None,
            unit_id: None,
        }],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    laureate
}

async fn page(app: &TestApp, who: &Who, query: &str) -> napoleon_testkit::Answer {
    app.call(
        who,
        Method::GET,
        &format!("/promotion/api/v1/registry{query}"),
        json!({}),
    )
    .await
}

/// As the database folds names to sort them (lower case, no accents).
fn folded(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'ï' | 'î' => 'i',
            other => other,
        })
        .collect()
}

fn names(answer: &napoleon_testkit::Answer) -> Vec<String> {
    answer.json["laureates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_registry_is_searched_without_accents_and_read_a_page_at_a_time() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    import(
        &app,
        cast.tenant,
        json!({"birth_name": "LEFEVRE", "given_names": "Jeanne Marie", "birth_date": "1961-03-14"}),
        "LH",
        "chevalier",
    )
    .await;
    import(
        &app,
        cast.tenant,
        json!({"birth_name": "Martin", "usual_name": "Lefèvre", "given_names": "Éloïse"}),
        "ONM",
        "chevalier",
    )
    .await;
    // 60 more, to need two pages; and one in another ministry.
    for i in 0..60 {
        import(
            &app,
            cast.tenant,
            json!({"birth_name": format!("Zed{i:02}"), "given_names": "Paul"}),
            "LH",
            "chevalier",
        )
        .await;
    }
    let foreign = import(
        &app,
        cast.outsider.tenant,
        json!({"birth_name": "Lefevre", "given_names": "Autre"}),
        "LH",
        "chevalier",
    )
    .await;

    // « lefevre » finds « LEFEVRE » and « Lefèvre », in name order, never the other ministry's.
    let found = page(&app, &cast.integrateur, "?name=l%C3%A9F%C3%A8vRe").await;
    assert_eq!(found.status, 200, "{}", found.json);
    assert_eq!(names(&found), ["LEFÈVRE Éloïse", "LEFEVRE Jeanne Marie"]);
    assert!(found.json["next"].is_null());
    let awards = &found.json["laureates"][0]["awards"][0];
    assert_eq!(awards["distinction"], "ONM");
    assert_eq!(awards["grade_label"], "chevalier");
    assert!(awards["reception_date"].is_null());
    // Names typed as agents type them: several words, a hyphen for a space.
    assert_eq!(
        names(&page(&app, &cast.integrateur, "?name=lefevre%20jeanne-marie").await),
        ["LEFEVRE Jeanne Marie"]
    );
    // Each typed word begins one of the names' words, in any order; a word's middle is not
    // a beginning.
    for typed in ["lef%20jea", "JEANNE%20l%C3%A9f", "mart%20lef"] {
        let found = names(&page(&app, &cast.integrateur, &format!("?name={typed}")).await);
        let expected = if typed.starts_with("mar") {
            "LEFÈVRE Éloïse"
        } else {
            "LEFEVRE Jeanne Marie"
        };
        assert_eq!(found, [expected], "{typed}");
    }
    assert!(names(&page(&app, &cast.integrateur, "?name=fevre").await).is_empty());
    // A search's pages: 60 « Zed », 50 then 10.
    let zed = page(&app, &cast.integrateur, "?name=zed").await;
    assert_eq!(names(&zed).len(), 50);
    let next = zed.json["next"].as_str().unwrap().to_owned();
    let rest = page(
        &app,
        &cast.integrateur,
        next.trim_start_matches("/promotion/api/v1/registry"),
    )
    .await;
    assert_eq!(names(&rest).len(), 10);
    assert!(names(&rest).iter().all(|n| n.starts_with("ZED")));
    assert!(!names(&zed).contains(&names(&rest)[0]));
    // An identity corrected: searched by its new name, no longer by the old one.
    napoleon_testkit::count(
        &mut app.admin().await,
        "WITH c AS (UPDATE registry.laureates SET identity = identity || \
           '{\"birth_name\": \"Zoltan\"}' WHERE identity->>'birth_name' = 'Zed59' RETURNING 1) \
         SELECT count(*) AS n FROM c",
    )
    .await;
    assert_eq!(
        names(&page(&app, &cast.integrateur, "?name=zolt").await),
        ["ZOLTAN Paul"]
    );
    assert!(names(&page(&app, &cast.integrateur, "?name=zed59").await).is_empty());

    // By distinction: only the ONM's.
    let onm = page(&app, &cast.integrateur, "?name=lefevre&distinction=ONM").await;
    assert_eq!(names(&onm), ["LEFÈVRE Éloïse"]);
    // By birth date, as typed or as ISO; a date that is none is refused naming its field.
    for born in ["14%2F03%2F1961", "1961-03-14"] {
        assert_eq!(
            names(
                &page(
                    &app,
                    &cast.integrateur,
                    &format!("?name=lefevre&born={born}")
                )
                .await
            ),
            ["LEFEVRE Jeanne Marie"]
        );
    }
    let refused = page(&app, &cast.integrateur, "?born=31%2F02%2F1961").await;
    assert_eq!(refused.status, 422, "{}", refused.json);
    assert!(
        refused.json.to_string().contains("\"born\""),
        "{}",
        refused.json
    );
    let html = app
        .call(
            &cast.integrateur,
            Method::GET,
            "/promotion/registre?naissance=14%2F03%2F1961",
            json!({}),
        )
        .await;
    assert_eq!(html.status, 200);
    assert!(html.text().contains("LEFEVRE Jeanne Marie"));
    assert!(!html.text().contains("LEFÈVRE Éloïse"));
    assert!(html.text().contains("value=\"14/03/1961\""));
    // LIKE's own characters are taken literally.
    assert!(names(&page(&app, &cast.integrateur, "?name=%25").await).is_empty());
    assert!(names(&page(&app, &cast.integrateur, "?name=_").await).is_empty());

    // 62 laureates: 50, then 12, each once, in order.
    let first = page(&app, &cast.integrateur, "").await;
    assert_eq!(names(&first).len(), 50);
    let next = first.json["next"].as_str().unwrap().to_owned();
    let next = next.trim_start_matches("/promotion/api/v1/registry");
    let second = page(&app, &cast.integrateur, next).await;
    let (a, b) = (names(&first), names(&second));
    assert_eq!(b.len(), 12);
    assert!(second.json["next"].is_null());
    let mut all = a.clone();
    all.extend(b.clone());
    let mut sorted = all.clone();
    sorted.sort_by_key(|n| folded(n));
    assert_eq!(all, sorted);
    all.dedup();
    assert_eq!(all.len(), 62);

    // Another ministry's laureate as the page's start: nobody is after someone unseen.
    let nowhere = page(&app, &cast.integrateur, &format!("?after={foreign}")).await;
    assert_eq!(nowhere.status, 200);
    assert!(names(&nowhere).is_empty());

    // Refused asks name their field, in French; nothing read.
    let reads = || async {
        napoleon_testkit::count(
            &mut app.admin().await,
            "SELECT count(*) AS n FROM readlog.reads WHERE subject_kind = 'laureate'",
        )
        .await
    };
    let before = reads().await;
    let refused = page(
        &app,
        &cast.integrateur,
        &format!("?name={}&distinction=XX&after=nope", "a".repeat(101)),
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.json);
    let fields: Vec<&str> = refused.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "distinction", "after"]);
    assert_eq!(reads().await, before);

    // The page: the form, the rows, the next page's link; a refusal shown on the form.
    let html = app
        .call(
            &cast.integrateur,
            Method::GET,
            "/promotion/registre?nom=lefevre",
            json!({}),
        )
        .await;
    assert_eq!(html.status, 200, "{}", html.text());
    let text = html.text();
    assert!(
        text.contains("LEFÈVRE Éloïse") && !text.contains("Zed00"),
        "{text}"
    );
    let refused = app
        .call(
            &cast.integrateur,
            Method::GET,
            "/promotion/registre?distinction=XX",
            json!({}),
        )
        .await;
    assert_eq!(refused.status, 422);
    let text = refused.text();
    assert!(text.contains("Distinction : choisissez"), "{text}");
    // Not a registry reader: refused.
    assert_eq!(page(&app, &cast.redacteur, "").await.status, 403);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_filed_dossiers_are_searched_by_name_or_number_a_page_at_a_time() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = napoleon_testkit::open_campaign(&app, &cast).await;
    let (_, number) = napoleon_testkit::submitted(&app, &cast, &campaign, "Lefèvre", "F").await;
    let (_, other) = napoleon_testkit::submitted(&app, &cast, &campaign, "Martin", "M").await;
    // 55 more filed dossiers of the unit, written as intake writes them.
    napoleon_testkit::count(
        &mut app.admin().await,
        &format!(
            "WITH model AS (SELECT * FROM intake.dossiers WHERE number = '{other}'), \
             added AS (INSERT INTO intake.dossiers (tenant_id, id, campaign_id, unit_id, level_unit_id, \
                 state, number, target_grade, content, created_by, submitted_at) \
             SELECT tenant_id, gen_random_uuid(), campaign_id, unit_id, level_unit_id, state, \
                 'T-' || i, target_grade, \
                 jsonb_set(content, '{{candidate,birth_name}}', to_jsonb('Zed' || i)), \
                 created_by, submitted_at \
             FROM model, generate_series(1, 55) AS i RETURNING 1) \
             SELECT count(*) AS n FROM added"
        ),
    )
    .await;
    let mine = |query: &str| {
        let app = &app;
        let who = cast.redacteur.clone();
        let query = query.to_owned();
        async move {
            let page = app
                .call(
                    &who,
                    Method::GET,
                    &format!("/intake/dossiers{query}"),
                    json!({}),
                )
                .await;
            (page.status, page.text())
        }
    };
    // By name, accents and case ignored; by number.
    let (status, html) = mine("?recherche=LEFEVRE").await;
    assert_eq!(status, 200);
    assert!(html.contains(&number) && !html.contains(&other), "{html}");
    let (_, html) = mine(&format!("?recherche={}", other.to_lowercase())).await;
    assert!(html.contains(&other) && !html.contains(&number), "{html}");
    let (_, html) = mine("?recherche=personne").await;
    assert!(
        html.contains("Aucun dossier déposé ne correspond"),
        "{html}"
    );
    // 57 filed: 50 on the first page, then the next page by its link.
    let (_, first) = mine("").await;
    let rows = |html: &str| html.matches("/etape/6\"").count();
    // The filed dossiers' ids, in the page's order.
    let links = |html: &str| -> Vec<String> {
        html.split("href=\"/intake/dossiers/")
            .skip(1)
            .filter_map(|rest| rest.split_once("/etape/6\""))
            .map(|(id, _)| id.to_owned())
            .collect()
    };
    assert_eq!(rows(&first), 50);
    let next = first
        .split("fr-pagination__link--next")
        .nth(1)
        .and_then(|rest| rest.split("href=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#x3D;", "=");
    let next = next.trim_start_matches("/intake/dossiers");
    // The last dossier of page 1 moves meanwhile (instruction takes it): page 2 is still
    // what followed it, without repeating page 1.
    let last = links(&first).last().unwrap().clone();
    napoleon_testkit::count(
        &mut app.admin().await,
        &format!(
            "WITH moved AS (UPDATE intake.dossiers SET updated_at = now() + interval '1 hour' \
             WHERE id = '{last}' RETURNING 1) SELECT count(*) AS n FROM moved"
        ),
    )
    .await;
    let (_, second) = mine(next.split('#').next().unwrap()).await;
    assert_eq!(rows(&second), 7);
    let (a, b) = (links(&first), links(&second));
    assert!(b.iter().all(|id| !a.contains(id)), "pages overlap");
    // Another préfecture's rédacteur finds nothing of this unit, even by number.
    let gironde = cast.gironde(&app, napoleon_kernel::Role::Redacteur).await;
    let elsewhere = app
        .call(
            &gironde,
            Method::GET,
            &format!("/intake/dossiers?recherche={number}"),
            json!({}),
        )
        .await;
    assert_eq!(elsewhere.status, 200);
    // (the search box repeats the number; no row lists it)
    assert!(links(&elsewhere.text()).is_empty());
    // A refused search names its field; nothing filed is read.
    let reads = || async {
        napoleon_testkit::count(
            &mut app.admin().await,
            "SELECT count(*) AS n FROM readlog.reads WHERE subject_kind = 'dossier'",
        )
        .await
    };
    let before = reads().await;
    let (status, html) = mine(&format!("?recherche={}", "x".repeat(101))).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("Recherche : un nom, un prénom ou un numéro"),
        "{html}"
    );
    assert_eq!(rows(&html), 0);
    assert_eq!(reads().await, before);
    // What was typed stays in the field; the first page's link drops it.
    assert!(html.contains(&format!("value=\"{}\"", "x".repeat(101))));
    assert!(
        html.contains("id=\"apres\" href=\"/intake/dossiers#deposes\""),
        "{html}"
    );
    let (status, _) = mine("?apres=pas-un-id").await;
    assert_eq!(status, 422);
    app.finish().await;
}

#[derive(diesel::QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    line: String,
}

/// Under forced row-level security PostgreSQL uses an index only for leakproof operators: the
/// name search's words are compared as plain text ranges so that their index serves it. With
/// sequential scans priced out, the plan must read the words through that index (a
/// non-leakproof comparison would leave it a sequential scan whatever the price).
#[tokio::test(flavor = "multi_thread")]
async fn a_name_search_is_served_by_the_words_index_under_row_level_security() {
    use diesel::sql_types::{Integer, Nullable, Text, Uuid as SqlUuid};
    use diesel_async::RunQueryDsl as _;

    let app = TestApp::services().await;
    let cast = cast(&app).await;
    import(
        &app,
        cast.tenant,
        json!({"birth_name": "LEFEVRE", "given_names": "Jeanne"}),
        "LH",
        "chevalier",
    )
    .await;
    let mut tx = app.ctx.db.tenant(cast.tenant).await.unwrap();
    diesel::sql_query("SET LOCAL enable_seqscan = off")
        .execute(tx.pg())
        .await
        .unwrap();
    let plan: Vec<PlanLine> =
        diesel::sql_query(format!("EXPLAIN {}", contracts::REGISTRY_NAME_SEARCH))
            .bind::<SqlUuid, _>(cast.tenant.as_uuid())
            .bind::<Nullable<Text>, _>(Some("Lefèvre jea"))
            .bind::<Nullable<Text>, _>(None::<&str>)
            .bind::<Nullable<SqlUuid>, _>(None::<uuid::Uuid>)
            .bind::<Integer, _>(51)
            .bind::<Nullable<Text>, _>(None::<&str>)
            .bind::<Nullable<Text>, _>(None::<&str>)
            .load(tx.pg())
            .await
            .unwrap();
    let plan: Vec<&str> = plan.iter().map(|l| l.line.as_str()).collect();
    let plan = plan.join("\n");
    assert!(
        plan.contains("using laureate_words_search on laureate_words"),
        "{plan}"
    );
    assert!(!plan.contains("Seq Scan on laureate_words"), "{plan}");
    assert!(!plan.contains("Seq Scan on laureates"), "{plan}");
    drop(tx);
    app.finish().await;
}

/// A beginning shared by 200 words or more (« zu » here) walks the name order; fewer (« zu1 »)
/// merges each word's page: both page through every match once, in order.
#[tokio::test(flavor = "multi_thread")]
async fn a_search_pages_through_every_match_whether_its_beginning_is_rare_or_common() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    for i in (0..205).rev() {
        import(
            &app,
            cast.tenant,
            json!({"birth_name": format!("Zu{i:03}"), "given_names": "Paul"}),
            "LH",
            "chevalier",
        )
        .await;
    }
    for (typed, expected) in [("zu", 205), ("zu1", 100), ("zu20", 5)] {
        let mut all: Vec<String> = Vec::new();
        let mut next = format!("?name={typed}");
        loop {
            let found = page(&app, &cast.integrateur, &next).await;
            assert_eq!(found.status, 200, "{}", found.json);
            let names = names(&found);
            assert!(names.len() <= 50);
            all.extend(names);
            match found.json["next"].as_str() {
                Some(link) => {
                    next = link
                        .trim_start_matches("/promotion/api/v1/registry")
                        .to_owned()
                }
                None => break,
            }
        }
        assert_eq!(all.len(), expected, "{typed}");
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(all, sorted, "{typed}: in name order, each once");
        assert!(all.iter().all(|n| folded(n).starts_with(typed)), "{typed}");
    }
    app.finish().await;
}

/// The registry filtered by grade, alone, with a distinction, with a name; a grade the
/// catalogue (or the chosen distinction) does not have is refused naming the field.
#[tokio::test(flavor = "multi_thread")]
async fn the_registry_is_filtered_by_grade_with_or_without_a_distinction_or_a_name() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let person = |name: &str| {
        json!({"birth_name": name, "usual_name": "", "given_names": "Claire", "sex": "F",
               "birth_date": "1960-05-04", "birth_place": "Lyon", "nationality": "FR"})
    };
    import(&app, cast.tenant, person("Aubert"), "LH", "officier").await;
    import(&app, cast.tenant, person("Barbier"), "ONM", "officier").await;
    import(&app, cast.tenant, person("Caron"), "LH", "chevalier").await;
    let me = &cast.integrateur;
    assert_eq!(
        names(&page(&app, me, "?grade=officier").await),
        ["AUBERT Claire", "BARBIER Claire"]
    );
    assert_eq!(
        names(&page(&app, me, "?distinction=LH&grade=officier").await),
        ["AUBERT Claire"]
    );
    assert_eq!(
        names(&page(&app, me, "?name=barb&grade=officier").await),
        ["BARBIER Claire"]
    );
    assert!(names(&page(&app, me, "?name=caron&grade=officier").await).is_empty());
    for query in ["?grade=amiral", "?distinction=ACD&grade=officier"] {
        let refused = page(&app, me, query).await;
        assert_eq!(refused.status, 422, "{query}: {}", refused.json);
        assert!(
            refused.json.to_string().contains("\"grade\""),
            "{}",
            refused.json
        );
    }
    // The page: the grade kept in the form and in the export's link; a refusal on the form.
    let html = app
        .call(
            me,
            Method::GET,
            "/promotion/registre?grade=officier",
            json!({}),
        )
        .await;
    assert_eq!(html.status, 200);
    let text = html.text();
    assert!(
        text.contains("AUBERT Claire") && !text.contains("CARON"),
        "{text}"
    );
    assert!(
        text.contains("<option value=\"officier\" selected>"),
        "{text}"
    );
    assert!(
        text.contains("href=\"/promotion/registre/export?grade&#x3D;officier\""),
        "{text}"
    );
    let refused = app
        .call(
            me,
            Method::GET,
            "/promotion/registre?distinction=ACD&grade=officier",
            json!({}),
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .text()
            .contains("Grade : choisissez l&#x27;un des grades de la distinction choisie."),
        "{}",
        refused.text()
    );
    app.finish().await;
}
