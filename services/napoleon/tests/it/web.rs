//! The web edge: DSFR pages in French, French error pages and problem+json with the request
//! id, security headers, static assets, health and readiness on every service.

use std::path::PathBuf;

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode};
use napoleon::app::{self, ServiceName};
use napoleon::demo::seed;
use napoleon_db::{Db, build_pool};
use napoleon_testkit::{TestDb, get, send};
use napoleon_web::{AssetsConfig, EdgeConfig, WebContext};

fn assets() -> AssetsConfig {
    AssetsConfig {
        dsfr_dist: PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../node_modules/@gouvfr/dsfr/dist"),
    }
}

fn router_on(db: Db, service: ServiceName, tls: bool) -> Router {
    let ctx = WebContext {
        db,
        templates: app::templates().unwrap(),
    };
    app::router(service, &ctx, &assets(), &EdgeConfig { tls })
}

async fn seeded_app() -> (TestDb, Router) {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    seed(&db).await.unwrap();
    let router = router_on(db, ServiceName::All, false);
    (tdb, router)
}

const HTML: &str = "text/html,application/xhtml+xml";

#[tokio::test(flavor = "multi_thread")]
async fn home_page_is_a_french_dsfr_page_listing_the_ministries() {
    let (_tdb, app) = seeded_app().await;
    let r = send(&app, get("/", HTML).unwrap()).await.unwrap();
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
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_carries_the_security_headers_and_hsts_only_with_tls() {
    let (tdb, app) = seeded_app().await;
    let r = send(&app, get("/", HTML).unwrap()).await.unwrap();
    let csp = r.header("content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(r.header("x-content-type-options"), "nosniff");
    assert_eq!(r.header("referrer-policy"), "same-origin");
    assert_eq!(r.header("x-frame-options"), "DENY");
    assert_eq!(r.header("strict-transport-security"), "");
    assert!(!r.header("x-request-id").is_empty());

    let tls = router_on(tdb.app_db().unwrap(), ServiceName::All, true);
    let r = send(&tls, get("/nowhere", HTML).unwrap()).await.unwrap();
    assert!(
        r.header("strict-transport-security")
            .starts_with("max-age=")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_pages_get_a_french_404_page_with_the_request_id() {
    let (_tdb, app) = seeded_app().await;
    let r = send(&app, get("/dossiers/inconnu", HTML).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.header("content-type").starts_with("text/html"));
    assert!(r.body.contains("Page non trouvée"));
    let request_id = r.header("x-request-id");
    assert!(!request_id.is_empty());
    assert!(r.body.contains(request_id), "the page shows the request id");
    assert!(r.body.contains("<html lang=\"fr\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_json_api_answers_problem_json_without_internals() {
    let (_tdb, app) = seeded_app().await;
    let r = send(
        &app,
        get("/api/v1/dossiers/42", "application/json").unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.header("content-type"), "application/problem+json");
    let mut problem: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(problem["request_id"], r.header("x-request-id"));
    problem["request_id"] = "[id]".into();
    insta::assert_json_snapshot!(problem, @r#"
    {
      "code": "not_found",
      "detail": "La page que vous cherchez est introuvable. Excusez-nous pour la gêne occasionnée.",
      "request_id": "[id]",
      "status": 404,
      "title": "Page non trouvée",
      "type": "https://napoleon.numerique.gouv.fr/problemes/not_found"
    }
    "#);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_method_gets_a_french_405_that_keeps_allow() {
    let (_tdb, app) = seeded_app().await;
    let r = send(
        &app,
        Request::post("/")
            .header("accept", HTML)
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.body.contains("Action non permise"), "{}", r.body);
    assert!(r.header("allow").contains("GET"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_outage_gives_a_french_503_page_and_not_ready() {
    let tdb = TestDb::new().await.unwrap();
    // A pool pointing at a port where nothing listens.
    let url = tdb
        .app_url()
        .expose()
        .replacen("@127.0.0.1:", "@127.0.0.1:1", 1);
    let dead = Db::new(build_pool(&napoleon_kernel::Secret::new(url), 1).unwrap());
    let app = router_on(dead, ServiceName::All, false);
    let r = send(&app, get("/", HTML).unwrap()).await.unwrap();
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.body.contains("Service momentanément indisponible"));
    assert!(!r.body.contains("postgres"), "no internals on the page");
    let r = send(&app, get("/readyz", "application/json").unwrap())
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.body.contains("database_unreachable"));
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_reports_pending_migrations() {
    let tdb = TestDb::unmigrated().await.unwrap();
    let app = router_on(tdb.app_db().unwrap(), ServiceName::All, false);
    let r = send(&app, get("/readyz", "application/json").unwrap())
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        r.body,
        r#"{"status":"not_ready","reason":"migrations_pending"}"#
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_service_alone_answers_health_and_readiness() {
    let tdb = TestDb::new().await.unwrap();
    for service in [
        ServiceName::All,
        ServiceName::Gateway,
        ServiceName::Intake,
        ServiceName::Instruction,
        ServiceName::Decisions,
        ServiceName::Promotion,
    ] {
        let app = router_on(tdb.app_db().unwrap(), service, false);
        for path in ["/healthz", "/readyz"] {
            let r = send(&app, get(path, "application/json").unwrap())
                .await
                .unwrap();
            assert_eq!(r.status, StatusCode::OK, "{service:?} {path}: {}", r.body);
        }
        if service != ServiceName::All {
            let prefixed = format!("/{}/readyz", service.as_str());
            let r = send(&app, get(&prefixed, "application/json").unwrap())
                .await
                .unwrap();
            assert_eq!(r.body, r#"{"status":"ready"}"#, "{prefixed}");
        }
    }
    // A split service serves only its own routes.
    let intake = router_on(tdb.app_db().unwrap(), ServiceName::Intake, false);
    assert_eq!(
        send(&intake, get("/", HTML).unwrap()).await.unwrap().status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_dsfr_files_pages_use_are_served() {
    assert!(
        assets().dsfr_installed(),
        "run `npm ci` first: the DSFR is installed by npm"
    );
    let (_tdb, app) = seeded_app().await;
    let css = send(&app, get("/static/dsfr/dsfr.min.css", "text/css").unwrap())
        .await
        .unwrap();
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.header("content-type").starts_with("text/css"));
    assert!(css.body.contains("Marianne"), "the DSFR's own font");
    let font = send(
        &app,
        get("/static/dsfr/fonts/Marianne-Regular.woff2", "*/*").unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(font.status, StatusCode::OK);
    let js = send(&app, get("/static/dsfr/dsfr.module.min.js", "*/*").unwrap())
        .await
        .unwrap();
    assert_eq!(js.status, StatusCode::OK);
    for hidden in [
        "/static/dsfr/package.json",
        "/static/dsfr/dsfr.css",
        "/static/dsfr/../package.json",
    ] {
        let r = send(&app, get(hidden, "*/*").unwrap()).await.unwrap();
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{hidden}");
    }
    let own = send(&app, get("/static/napoleon.css", "text/css").unwrap())
        .await
        .unwrap();
    assert_eq!(own.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_accessibility_statement_is_served() {
    let (_tdb, app) = seeded_app().await;
    let r = send(&app, get("/accessibilite", HTML).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Déclaration d&#x27;accessibilité"));
}
