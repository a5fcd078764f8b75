//! `POST /api/v1/eligibility`: the HTTP twin of `napoleon rules check`, authenticated, with the
//! tenant's own catalogue.

use napoleon_testkit::Browser;
use napoleon_testkit::TestApp;
use napoleon_testkit::agents::{ANNE, CLAIRE, LUCIE};

const ONM_CASE: &str = r#"{"distinction":"ONM","grade":"chevalier","assessed_on":"2027-05-15",
 "candidate":{"birth_date":"1975-02-11","nationality":"FR","french_since":null,"deceased_on":null,
   "services":[{"from":"2010-09-01","to":null,"kind":"public"}],
   "awards":[{"distinction":"MSI","grade":"bronze","decreed_on":"2019-12-20","received_on":"2020-02-03"}],
   "mandates":[]},
 "proposal":{"route":"normal","criminal_record_issued_on":"2027-03-02"}}"#;

fn cli_verdict(case: &str) -> serde_json::Value {
    serde_json::from_slice(&crate::rules_cli::napoleon(&["rules", "check"], case).stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_http_twin_answers_what_the_cli_answers() {
    let live = TestApp::live().await;
    let (mut claire, csrf) = live.logged_in(CLAIRE).await;
    for case in [
        ONM_CASE.to_owned(),
        ONM_CASE.replace("2010-09-01", "2020-09-01"),
        ONM_CASE.replace("\"ONM\"", "\"LH\""),
    ] {
        let page = claire
            .post_json(&live.url("/api/v1/eligibility"), &case, Some(&csrf))
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let http: serde_json::Value = serde_json::from_str(&page.body).unwrap();
        assert_eq!(http, cli_verdict(&case));
    }
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_case_is_a_422_naming_the_field_in_french() {
    let live = TestApp::live().await;
    let (mut claire, csrf) = live.logged_in(CLAIRE).await;
    let page = claire
        .post_json(
            &live.url("/api/v1/eligibility"),
            &ONM_CASE.replace("2027-05-15", "2027-02-30"),
            Some(&csrf),
        )
        .await;
    assert_eq!(page.status, 422);
    let problem: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(problem["code"], "case.invalid_date");
    assert_eq!(problem["errors"][0]["field"], "assessed_on");
    assert!(problem["detail"].as_str().unwrap().contains("assessed_on"));
    let page = claire
        .post_json(
            &live.url("/api/v1/eligibility"),
            "{ pas du json",
            Some(&csrf),
        )
        .await;
    assert_eq!(
        (page.status, page.body.contains("case.malformed_json")),
        (422, true)
    );
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_tenant_uses_its_own_catalogue() {
    let live = TestApp::live().await;
    let arts_et_lettres = ONM_CASE.replace("\"ONM\"", "\"AL\"");
    let (mut lucie, csrf) = live.logged_in(LUCIE).await;
    let culture = lucie
        .post_json(
            &live.url("/api/v1/eligibility"),
            &arts_et_lettres,
            Some(&csrf),
        )
        .await;
    assert_eq!(
        culture.status, 200,
        "Arts et Lettres is in Culture's catalogue: {}",
        culture.body
    );
    let (mut claire, csrf) = live.logged_in(CLAIRE).await;
    let interieur = claire
        .post_json(
            &live.url("/api/v1/eligibility"),
            &arts_et_lettres,
            Some(&csrf),
        )
        .await;
    assert_eq!(
        interieur.status, 422,
        "not in the Interior's: {}",
        interieur.body
    );
    assert!(
        interieur.body.contains("case.distinction_not_in_catalogue")
            && interieur.body.contains("au catalogue de ce ministère")
    );
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn only_authenticated_agents_with_the_permission_and_the_csrf_token() {
    let live = TestApp::live().await;
    let mut anonymous = Browser::new();
    assert_eq!(
        anonymous
            .post_json(&live.url("/api/v1/eligibility"), ONM_CASE, None)
            .await
            .status,
        401
    );
    let (mut anne, csrf) = live.logged_in(ANNE).await;
    let refused = anne
        .post_json(&live.url("/api/v1/eligibility"), ONM_CASE, Some(&csrf))
        .await;
    assert_eq!(
        refused.status, 403,
        "administrators do not check eligibility by default"
    );
    // Through the generic forwarding too: the service checks the permission itself.
    let refused = anne
        .post_json(
            &live.url("/intake/api/v1/eligibility"),
            ONM_CASE,
            Some(&csrf),
        )
        .await;
    assert_eq!(refused.status, 403);
    let (mut claire, _) = live.logged_in(CLAIRE).await;
    assert_eq!(
        claire
            .post_json(&live.url("/api/v1/eligibility"), ONM_CASE, None)
            .await
            .status,
        403,
        "no CSRF token"
    );
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_administrator_adds_distinctions_and_adjusts_the_catalogue_safely() {
    let live = TestApp::live().await;
    let arts_et_lettres = ONM_CASE.replace("\"ONM\"", "\"AL\"");
    let (mut claire, claire_csrf) = live.logged_in(CLAIRE).await;
    let before = claire
        .post_json(
            &live.url("/api/v1/eligibility"),
            &arts_et_lettres,
            Some(&claire_csrf),
        )
        .await;
    assert_eq!(before.status, 422);

    let (mut anne, csrf) = live.logged_in(ANNE).await;
    let page = anne.get(&live.url("/administration/catalogue")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<code>lh.toml</code>")
            && page.body.contains("<option value=\"al.toml\">")
    );
    let added = anne
        .post(
            &live.url("/administration/catalogue"),
            &[("_csrf", csrf.as_str()), ("builtin", "al.toml")],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let after = claire
        .post_json(
            &live.url("/api/v1/eligibility"),
            &arts_et_lettres,
            Some(&claire_csrf),
        )
        .await;
    assert_eq!(
        after.status, 200,
        "now in the Interior's catalogue: {}",
        after.body
    );

    // A broken document is refused with the engine's explanation; what was typed is kept;
    // the catalogue is unchanged.
    let broken = anne
        .post(
            &live.url("/administration/catalogue/practices.toml"),
            &[("_csrf", csrf.as_str()), ("source", "[[gaps]]\nid = 3")],
        )
        .await;
    assert_eq!(broken.status, 400);
    assert!(
        broken.body.contains("Le document n&#x27;est pas valide")
            || broken.body.contains("Le document n'est pas valide")
    );
    assert!(broken.body.contains("[[gaps]]"), "what was typed is kept");
    let still = claire
        .post_json(
            &live.url("/api/v1/eligibility"),
            ONM_CASE,
            Some(&claire_csrf),
        )
        .await;
    assert_eq!(still.status, 200);

    // The ministry's own medal.
    let own = include_str!("../../../../shared/rules/catalogue/mm.toml")
        .replace("code = \"MM\"", "code = \"MDI\"")
        .replace(
            "Ordre du Mérite maritime",
            "Médaille de démonstration de l'Intérieur",
        );
    let created = anne
        .post(
            &live.url("/administration/catalogue"),
            &[
                ("_csrf", csrf.as_str()),
                ("file", "mdi.toml"),
                ("source", own.as_str()),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let mdi = claire
        .post_json(
            &live.url("/api/v1/eligibility"),
            &ONM_CASE.replace("\"ONM\"", "\"MDI\""),
            Some(&claire_csrf),
        )
        .await;
    assert_eq!(mdi.status, 200, "{}", mdi.body);

    // Instructors read nothing of this page, let alone change it.
    assert_eq!(
        claire
            .get(&live.url("/administration/catalogue"))
            .await
            .status,
        403
    );
    let mut admin = live.admin().await;
    assert_eq!(
        napoleon_testkit::count(
            &mut admin,
            "SELECT count(*) AS n FROM journal.events WHERE kind = 'catalogue.updated'"
        )
        .await,
        2
    );
    live.finish().await;
}

/// Issue 14, finding 4: a tenant administrator could rewrite the Légion d'honneur's 20 years
/// (art. R18) in the catalogue page, and an ineligible candidate then passed. The national
/// documents are now shown read-only, a change is refused in French, and the engine reads the
/// Code's values whatever a tenant stored.
#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_cannot_rewrite_the_national_orders_statutory_conditions() {
    let live = TestApp::live().await;
    let junior = ONM_CASE
        .replace("\"ONM\"", "\"LH\"")
        .replace("2010-09-01", "2020-09-01");
    let (mut claire, claire_csrf) = live.logged_in(CLAIRE).await;
    let verdict = async |claire: &mut Browser| {
        let page = claire
            .post_json(
                &live.url("/api/v1/eligibility"),
                &junior,
                Some(&claire_csrf),
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        serde_json::from_str::<serde_json::Value>(&page.body).unwrap()["verdict"].clone()
    };
    assert_eq!(verdict(&mut claire).await, "ineligible");

    let (mut anne, csrf) = live.logged_in(ANNE).await;
    let shown = anne
        .get(&live.url("/administration/catalogue/lh.toml"))
        .await;
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains("readonly") && !shown.body.contains("Enregistrer"));
    let rewritten = include_str!("../../../../shared/rules/catalogue/lh.toml").replacen(
        "years = 20",
        "years = 1",
        1,
    );
    let refused = anne
        .post(
            &live.url("/administration/catalogue/lh.toml"),
            &[("_csrf", csrf.as_str()), ("source", rewritten.as_str())],
        )
        .await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("fixées par le code"),
        "{}",
        refused.body
    );
    assert_eq!(verdict(&mut claire).await, "ineligible", "still 20 years");

    // A copy changed behind the page's back (as before this rule) is not read either.
    let mut admin = live.admin().await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query("UPDATE catalogue.distinctions SET source = $1 WHERE file = 'lh.toml'")
            .bind::<diesel::sql_types::Text, _>(rewritten.as_str()),
        &mut admin,
    )
    .await
    .unwrap();
    assert_eq!(verdict(&mut claire).await, "ineligible");
    assert_eq!(
        napoleon_testkit::count(
            &mut admin,
            "SELECT count(*) AS n FROM journal.events WHERE kind = 'catalogue.updated'"
        )
        .await,
        0,
        "nothing journaled: nothing changed"
    );
    live.finish().await;
}
