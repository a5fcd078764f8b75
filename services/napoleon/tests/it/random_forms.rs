//! A property test over every form route: random field names (known ones, repeated-group
//! names with any index, arbitrary text) and random values, posted with a valid CSRF token by
//! an agent whose roles may post there, over real HTTP. The server never answers 5xx, never
//! drops the connection and never hangs.

use std::sync::Mutex;
use std::time::Duration;

use axum::http::Method;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use napoleon_testkit::Browser;
use napoleon_testkit::TestApp;
use napoleon_testkit::agents::{ANNE, CLAIRE, DENIS, HUGO, LUCIE, MARC, OLIVIER, PAUL, SOPHIE};

/// A form route, the demo agent who may post there, and the paths to try (real ids and
/// malformed or unknown ones).
struct FormRoute {
    pattern: &'static str,
    agent: &'static str,
    paths: Vec<String>,
}

/// The ids a path may carry: each real one, another random uuid, and garbage.
fn ids(real: &[String]) -> Vec<String> {
    let mut all = real.to_vec();
    all.push(uuid::Uuid::new_v4().to_string());
    all.push("pas-un-identifiant".to_owned());
    all
}

fn expand(pattern: &str, holes: &[(&str, &[String])]) -> Vec<String> {
    let mut paths = vec![pattern.to_owned()];
    for (hole, values) in holes {
        paths = paths
            .iter()
            .flat_map(|p| values.iter().map(move |v| p.replace(hole, v)))
            .collect();
    }
    paths
}

async fn list(live: &TestApp, sql: &str) -> Vec<String> {
    let mut conn = live.admin().await;
    let joined = napoleon_testkit::text(&mut conn, sql).await;
    joined
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn routes(live: &TestApp) -> Vec<FormRoute> {
    let dossiers = ids(&list(
        live,
        "SELECT coalesce(string_agg(id::text, ','), '') AS t FROM intake.dossiers",
    )
    .await);
    let campaigns = ids(&list(
        live,
        "SELECT coalesce(string_agg(id::text, ','), '') AS t FROM intake.campaigns",
    )
    .await);
    let awards = ids(&list(
        live,
        "SELECT coalesce(string_agg(id::text, ','), '') AS t FROM registry.awards",
    )
    .await);
    // Never a real membership or admission rule: a random revocation would only make the
    // other agents' cases less useful.
    let unknown = ids(&[]);
    let tenants = ids(&list(
        live,
        "SELECT coalesce(string_agg(id::text, ','), '') AS t FROM core.tenants",
    )
    .await);
    let jobs = ids(&list(
        live,
        "SELECT coalesce(string_agg(id::text, ','), '') AS t FROM jobs.jobs",
    )
    .await);
    let steps: Vec<String> = ["1", "2", "3", "4", "5", "0", "6", "99999999999999999999"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let files: Vec<String> = ["lh.toml", "inconnu.toml", "x"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let route =
        |pattern: &'static str, agent: &'static str, holes: &[(&str, &[String])]| FormRoute {
            pattern,
            agent,
            paths: expand(pattern, holes),
        };
    vec![
        // The gateway's own forms (checked against its route table below).
        route("/deconnexion", LUCIE, &[]),
        route("/choisir-ministere", MARC, &[]),
        route("/administration/membres", ANNE, &[]),
        route(
            "/administration/membres/{id}/retrait",
            ANNE,
            &[("{id}", &unknown)],
        ),
        route("/api/v1/eligibility", CLAIRE, &[]),
        route("/exploitation/ministeres", OLIVIER, &[]),
        route("/exploitation/admissions", OLIVIER, &[]),
        route(
            "/exploitation/ministeres/{tenant}/connexion",
            OLIVIER,
            &[("{tenant}", &tenants)],
        ),
        route(
            "/exploitation/admissions/{tenant}/{id}/retrait",
            OLIVIER,
            &[("{tenant}", &tenants), ("{id}", &unknown)],
        ),
        route("/administration/catalogue", ANNE, &[]),
        route(
            "/administration/catalogue/{file}",
            ANNE,
            &[("{file}", &files)],
        ),
        route("/administration/politique", ANNE, &[]),
        route("/administration/lectures/purge", DENIS, &[]),
        route("/taches/{id}/annuler", DENIS, &[("{id}", &jobs)]),
        // The services' forms, through the gateway.
        route("/intake/campagnes", ANNE, &[]),
        route("/intake/dossiers", PAUL, &[]),
        route(
            "/intake/dossiers/{id}/etape/{n}",
            PAUL,
            &[("{id}", &dossiers), ("{n}", &steps)],
        ),
        route("/intake/propositions", SOPHIE, &[]),
        route(
            "/instruction/dossiers/{id}/prise-en-charge",
            CLAIRE,
            &[("{id}", &dossiers)],
        ),
        route(
            "/instruction/dossiers/{id}/avis",
            CLAIRE,
            &[("{id}", &dossiers)],
        ),
        route(
            "/instruction/dossiers/{id}/transmission",
            HUGO,
            &[("{id}", &dossiers)],
        ),
        route(
            "/instruction/dossiers/{id}/renvoi",
            CLAIRE,
            &[("{id}", &dossiers)],
        ),
        route(
            "/instruction/dossiers/{id}/doublons",
            CLAIRE,
            &[("{id}", &dossiers)],
        ),
        route(
            "/decisions/campagnes/{id}/cloture",
            SOPHIE,
            &[("{id}", &campaigns)],
        ),
        route(
            "/decisions/campagnes/{id}/publication",
            SOPHIE,
            &[("{id}", &campaigns)],
        ),
        route(
            "/decisions/dossiers/{id}/rang",
            SOPHIE,
            &[("{id}", &dossiers)],
        ),
        route(
            "/decisions/dossiers/{id}/decision",
            SOPHIE,
            &[("{id}", &dossiers)],
        ),
        route(
            "/decisions/recompenses/{id}/reception",
            SOPHIE,
            &[("{id}", &awards)],
        ),
    ]
}

/// Names the pages use, plus those of the repeated groups.
const KNOWN: &[&str] = &[
    "_action",
    "acr",
    "admin",
    "award_id",
    "builtin",
    "bureau_unit_id",
    "campaign_id",
    "closes_on",
    "code",
    "date",
    "decision",
    "decree_date",
    "direction",
    "distinction",
    "doublon",
    "email",
    "file",
    "jo_reference",
    "kind",
    "label",
    "message",
    "motivation",
    "name",
    "observation",
    "opens_on",
    "promotion_date",
    "r",
    "reception_date",
    "role",
    "sandbox",
    "slug",
    "source",
    "tenant",
    "unit",
    "value",
    "verdict",
    "birth_name",
    "usual_name",
    "given_names",
    "idp_ids",
    "trust-0",
    "trust-1",
    "sex",
    "birth_date",
    "birth_place",
    "nationality",
    "french_since",
    "residence_department",
    "motifs",
    "criminal_record_issued_on",
    "target_grade",
];
const VALUES: &[&str] = &[
    "enregistrer",
    "continuer",
    "ajouter-periode",
    "ajouter-distinction",
    "deposer",
    "LH",
    "ONM",
    "chevalier",
    "officier",
    "public",
    "retenu",
    "ajourne",
    "refuse",
    "favorable",
    "confirme",
    "ecarte",
    "monter",
    "descendre",
    "instructrice",
    "redacteur",
    "01/01/2027",
    "2027-07-14",
    "1900-02-29",
    "31/12/9999",
    "lh.toml",
    "interieur",
    "eidas2",
    "eidas9",
];

fn index() -> impl Strategy<Value = String> {
    prop_oneof![
        (0_u64..45).prop_map(|i| i.to_string()),
        any::<u64>().prop_map(|i| i.to_string()),
        Just("-1".to_owned()),
        Just("1e3".to_owned()),
        Just(String::new()),
        "[a-z+ ]{1,4}",
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(KNOWN).prop_map(str::to_owned),
        2 => (index(), proptest::sample::select(&["from", "to", "kind", "position", "x"][..]))
            .prop_map(|(i, f)| format!("career-{i}-{f}")),
        2 => (
            index(),
            proptest::sample::select(&["distinction", "grade", "decreed_on", "received_on"][..])
        )
            .prop_map(|(i, f)| format!("distinctions-{i}-{f}")),
        1 => "contingent-[a-z_]{0,12}",
        1 => "[a-z_\\-0-9]{0,20}",
        1 => ".{0,24}",
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(VALUES).prop_map(str::to_owned),
        2 => ".{0,40}",
        1 => "[0-9]{1,6}[-/][0-9]{1,3}[-/][0-9]{1,6}",
        1 => (0_usize..6000).prop_map(|n| "é".repeat(n)),
        1 => "[0-9a-f-]{36}",
    ]
}

fn body() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((name(), value()), 0..60)
}

/// A browser logged in as `sub`, with its CSRF token from the first page that carries one
/// (an operator, an agent of several ministries and one without access land elsewhere).
async fn session_of(live: &TestApp, sub: &str) -> (Browser, String) {
    let mut browser = Browser::new();
    live.login(&mut browser, sub).await;
    for page in [
        "/",
        "/choisir-ministere",
        "/exploitation",
        "/acces-non-accorde",
    ] {
        let page = browser.get(&live.url(page)).await;
        if page.status == 200 && page.body.contains("name=\"_csrf\"") {
            let csrf = page.hidden("_csrf");
            return (browser, csrf);
        }
    }
    panic!("{sub}: no page with a CSRF token");
}

#[tokio::test(flavor = "multi_thread")]
async fn random_forms_on_every_form_route_never_break_the_server() {
    let live = TestApp::live_with_activity().await;
    let routes = routes(&live).await;

    // Every form route of the gateway's route table is covered (services' routes are listed
    // by hand above).
    let covered: Vec<&str> = routes.iter().map(|r| r.pattern).collect();
    for spec in napoleon_gateway::route_table() {
        let forwarded = napoleon_gateway::forward::SERVICES
            .iter()
            .any(|s| s.1 == spec.path);
        if spec.method == Method::POST && !forwarded {
            assert!(covered.contains(&spec.path), "{} is not fuzzed", spec.path);
        }
    }

    let mut agents = std::collections::HashMap::new();
    for route in &routes {
        if !agents.contains_key(route.agent) {
            agents.insert(
                route.agent,
                Mutex::new(session_of(&live, route.agent).await),
            );
        }
    }
    let handle = tokio::runtime::Handle::current();
    tokio::task::block_in_place(|| {
        for route in &routes {
            let mut runner = TestRunner::new(Config {
                cases: 24,
                failure_persistence: None,
                ..Config::default()
            });
            let strategy = (proptest::sample::select(route.paths.clone()), body());
            let result = runner.run(&strategy, |(path, fields)| {
                let mut session = agents[route.agent].lock().unwrap();
                let (browser, csrf): &mut (Browser, String) = &mut session;
                let mut form = form_urlencoded::Serializer::new(String::new());
                form.append_pair("_csrf", csrf);
                for (k, v) in &fields {
                    form.append_pair(k, v);
                }
                let url = live.url(&path);
                let content_type = "application/x-www-form-urlencoded";
                let answer = handle.block_on(tokio::time::timeout(
                    Duration::from_secs(20),
                    browser.try_post_raw(&url, content_type, form.finish()),
                ));
                match answer {
                    Err(_) => Err(TestCaseError::fail(format!("{path}: no answer in 20 s"))),
                    Ok(Err(e)) => Err(TestCaseError::fail(format!("{path}: connection: {e}"))),
                    Ok(Ok(page)) if page.status >= 500 => Err(TestCaseError::fail(format!(
                        "{path}: {} for the fields {fields:?}",
                        page.status
                    ))),
                    Ok(Ok(_)) => Ok(()),
                }
            });
            if let Err(e) = result {
                panic!("{}: {e}", route.pattern);
            }
        }
    });
    // The server still serves after all of it.
    let mut browser = Browser::new();
    assert_eq!(browser.get(&live.url("/")).await.status, 200);
    live.finish().await;
}
