//! The web edge: DSFR pages in French, French error pages and problem+json with the request
//! id, security headers, static assets, health and readiness on every service.

use axum::body::Body;
use http::{Request, StatusCode};
use napoleon::app::ServiceName;
use napoleon_db::{Db, build_pool};
use napoleon_kernel::Secret;
use napoleon_testkit::TestDb;

use napoleon_testkit::{TestApp, assets};

const HTML: &str = "text/html,application/xhtml+xml";
const JSON: &str = "application/json";

#[tokio::test(flavor = "multi_thread")]
async fn home_page_is_a_french_dsfr_page_listing_the_ministries() {
    let app = TestApp::builder().seeded().build().await;
    let r = app.get("/", HTML).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").starts_with("text/html"));
    for expected in [
        "<html lang=\"fr\"",
        "class=\"fr-skiplinks\"",
        "href=\"#contenu\"",
        "<p class=\"fr-logo\">République<br>française</p>",
        "Napoléon — Distinctions honorifiques",
        "id=\"contenu\"",
        "class=\"fr-footer\"",
        "/static/dsfr/dsfr.min.css",
        "/static/dsfr/dsfr.module.min.js",
        "Ministère de l&#x27;Intérieur",
        "Ministère de la Culture",
        "Bac à sable de formation",
    ] {
        assert!(r.body.contains(expected), "home page lacks {expected:?}");
    }
    assert!(!r.body.contains("<script>"), "no inline script (CSP)");
    let mut admin = TestDb::connect(&app.db.admin_url()).await.unwrap();
    let tenants =
        napoleon_testkit::count(&mut admin, "SELECT count(*) AS n FROM core.tenants").await;
    let cards = i64::try_from(r.body.matches("class=\"fr-card__title\"").count()).unwrap();
    assert_eq!(cards, tenants, "one card per tenant");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_carries_the_security_headers_and_hsts_only_with_tls() {
    let app = TestApp::builder().build().await;
    let r = app.get("/", HTML).await;
    let csp = r.header("content-security-policy");
    let directive = |name: &str| {
        csp.split(';')
            .map(str::trim)
            .find(|d| d.split(' ').next() == Some(name))
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(directive("script-src"), "script-src 'self'", "{csp}");
    assert_eq!(directive("style-src"), "style-src 'self'", "{csp}");
    // Only style attributes (set by the DSFR's scripts) may be inline.
    assert_eq!(
        directive("style-src-attr"),
        "style-src-attr 'unsafe-inline'",
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(r.header("x-content-type-options"), "nosniff");
    assert_eq!(r.header("referrer-policy"), "same-origin");
    assert_eq!(r.header("x-frame-options"), "DENY");
    assert_eq!(r.header("strict-transport-security"), "");
    assert!(!r.header("x-request-id").is_empty());

    let tls = TestApp::builder().tls().build().await;
    let r = tls.get("/nowhere", HTML).await;
    assert!(
        r.header("strict-transport-security")
            .starts_with("max-age=")
    );
    assert!(
        !r.header("content-security-policy").is_empty(),
        "error pages too"
    );
    app.finish().await;
    tls.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_pages_get_a_french_404_page_with_the_request_id() {
    let app = TestApp::builder().build().await;
    let r = app.get("/dossiers/inconnu", HTML).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.header("content-type").starts_with("text/html"));
    assert!(r.body.contains("Page non trouvée"));
    let request_id = r.header("x-request-id");
    assert!(!request_id.is_empty());
    assert!(r.body.contains(request_id), "the page shows the request id");
    assert!(r.body.contains("<html lang=\"fr\""));
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_json_api_answers_problem_json_without_internals() {
    let app = TestApp::builder().build().await;
    let r = app.get("/api/v1/dossiers/42", JSON).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.header("content-type"), "application/problem+json");
    let mut problem: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(problem["request_id"], r.header("x-request-id"));
    problem["request_id"] = "[id]".into();
    insta::assert_json_snapshot!(problem, @r#"
    {
      "code": "not_found",
      "detail": "La page que vous cherchez est introuvable. Excusez-nous pour la gêne occasionnée.",
      "errors": [],
      "request_id": "[id]",
      "status": 404,
      "title": "Page non trouvée",
      "type": "https://napoleon.numerique.gouv.fr/problemes/not_found"
    }
    "#);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_method_gets_a_french_405_that_keeps_allow() {
    let app = TestApp::builder().build().await;
    let r = app
        .request(
            Request::post("/")
                .header("accept", HTML)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.body.contains("Action non permise"), "{}", r.body);
    assert!(r.header("allow").contains("GET"));
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_outage_gives_a_french_503_page_and_not_ready() {
    let tdb = TestDb::new().await.unwrap();
    // A pool pointing at a port where nothing listens.
    let url = tdb
        .app_url()
        .expose()
        .replacen("@127.0.0.1:", "@127.0.0.1:1", 1);
    let dead = Db::new(build_pool(&Secret::new(url), 1).unwrap());
    let app = TestApp::builder().with_app_db(dead).build().await;
    let r = app.get("/", HTML).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.body.contains("Service momentanément indisponible"));
    assert!(!r.body.contains("postgres"), "no internals on the page");
    let r = app.get("/readyz", JSON).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        r.body,
        r#"{"status":"not_ready","reason":"database_unreachable"}"#
    );
    app.finish().await;
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_reports_pending_migrations() {
    let app = TestApp::builder().unmigrated().build().await;
    let r = app.get("/readyz", JSON).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        r.body,
        r#"{"status":"not_ready","reason":"migrations_pending"}"#
    );
    assert_eq!(
        app.get("/healthz", JSON).await.status,
        StatusCode::OK,
        "alive all the same"
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_service_alone_answers_health_and_readiness() {
    for service in [
        ServiceName::All,
        ServiceName::Gateway,
        ServiceName::Intake,
        ServiceName::Instruction,
        ServiceName::Decisions,
        ServiceName::Promotion,
    ] {
        let app = TestApp::builder().service(service).build().await;
        for path in ["/healthz", "/readyz"] {
            let r = app.get(path, JSON).await;
            assert_eq!(r.status, StatusCode::OK, "{service:?} {path}: {}", r.body);
        }
        if service != ServiceName::All {
            let prefixed = format!("/{}/readyz", service.as_str());
            let r = app.get(&prefixed, JSON).await;
            assert_eq!(r.body, r#"{"status":"ready"}"#, "{prefixed}");
        }
        // A split service serves only its own routes.
        let home = app.get("/", HTML).await.status;
        let expected = if matches!(service, ServiceName::All | ServiceName::Gateway) {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(home, expected, "{service:?} /");
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_dsfr_files_pages_use_are_served() {
    assert!(
        assets().dsfr_installed(),
        "run `npm ci` first: the DSFR is installed by npm"
    );
    let app = TestApp::builder().build().await;
    let css = app.get("/static/dsfr/dsfr.min.css", "text/css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.header("content-type").starts_with("text/css"));
    assert!(css.body.contains("Marianne"), "the DSFR's own font");
    let font = app
        .get("/static/dsfr/fonts/Marianne-Regular.woff2", "*/*")
        .await;
    assert_eq!(font.status, StatusCode::OK);
    let js = app.get("/static/dsfr/dsfr.module.min.js", "*/*").await;
    assert_eq!(js.status, StatusCode::OK);
    for hidden in [
        "/static/dsfr/package.json",
        "/static/dsfr/dsfr.css",
        "/static/dsfr/../package.json",
        "/static/dsfr/component/button/button.min.css",
    ] {
        assert_eq!(
            app.get(hidden, "*/*").await.status,
            StatusCode::NOT_FOUND,
            "{hidden}"
        );
    }
    let own = app.get("/static/napoleon.css", "text/css").await;
    assert_eq!(own.status, StatusCode::OK);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_accessibility_statement_is_served() {
    let app = TestApp::builder().build().await;
    let r = app.get("/accessibilite", HTML).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Déclaration d&#x27;accessibilité"));
    app.finish().await;
}

/// Findings of the identity review (issue 14): a client's `X-Request-Id` is never taken as
/// ours where clients arrive (it reached signed assertions and the read log), and what an
/// agent sees is not cached. Both failed before their fix.
#[tokio::test(flavor = "multi_thread")]
async fn a_clients_request_id_is_replaced_and_agents_pages_are_not_cached() {
    use napoleon_testkit::agents::PAUL;
    let live = TestApp::live_with_activity().await;
    let (mut paul, _) = live.logged_in(PAUL).await;
    let dossier = live.first_draft(&mut paul).await;
    let cookie = paul.cookie(&live.base, "napoleon_session").unwrap();
    let client = openidconnect::reqwest::Client::new();
    let step = client
        .get(live.url(&format!("/intake/dossiers/{dossier}/etape/1")))
        .header("cookie", format!("napoleon_session={cookie}"))
        .header("x-request-id", "forge-par-le-client")
        .send()
        .await
        .unwrap();
    assert_eq!(step.status().as_u16(), 200);
    let ours = step.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(!ours.is_empty() && ours != "forge-par-le-client", "{ours}");
    assert_eq!(step.headers()["cache-control"], "no-store");
    let mut admin = live.admin().await;
    let logged = napoleon_testkit::text(
        &mut admin,
        "SELECT coalesce(string_agg(request_id, ','), '') AS t FROM readlog.reads",
    )
    .await;
    assert!(logged.contains(&ours), "{logged}");
    assert!(!logged.contains("forge-par-le-client"), "{logged}");
    // An agent's refusal page is not cached either (it may name a dossier's state).
    let missing = client
        .get(live.url(&format!(
            "/intake/dossiers/{}/etape/1",
            uuid::Uuid::new_v4()
        )))
        .header("cookie", format!("napoleon_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    assert_eq!(missing.headers()["cache-control"], "no-store");
    // A public page may be cached as usual; the agent's home may not.
    let public = client.get(live.url("/accessibilite")).send().await.unwrap();
    assert!(public.headers().get("cache-control").is_none());
    let home = paul.get(&live.url("/")).await;
    assert_eq!(home.status, 200);
    live.finish().await;
}
