//! Deny by default: every route declares its access; services accept only the gateway's
//! identity (signed apart, handed in process); a client cannot speak for the gateway.

use axum::body::Body;
use http::{Method, Request, StatusCode};
use napoleon::app::ServiceName;
use napoleon_gateway::{Access, route_table};
use napoleon_identity::{ASSERTION_HEADER, AssertionSigner, RoleGrant};
use napoleon_kernel::{AgentId, OrgUnitId, Role, TenantId};

use napoleon_testkit::agents::CLAIRE;
use napoleon_testkit::{Browser, TestApp};

#[tokio::test(flavor = "multi_thread")]
async fn every_non_public_route_refuses_an_anonymous_request() {
    let app = TestApp::builder().seeded().build().await;
    let public: Vec<&str> = [
        "/",
        "/accessibilite",
        "/connexion",
        "/connexion/{provider}",
        "/connexion/retour",
        "/deconnexion/retour",
        // Public keys, to verify what the platform signed.
        "/.well-known/napoleon-keys.json",
        // The user guide: the same for everyone, reached from the login page too.
        "/aide",
        "/aide/recherche",
        "/aide/images/{file}",
        "/aide/{page}",
    ]
    .into();
    for route in route_table() {
        if route.access == Access::Public {
            assert!(
                public.contains(&route.path),
                "{} {} is public: is that intended?",
                route.method,
                route.path
            );
            continue;
        }
        let path = route
            .path
            .replace("{*rest}", "api/v1/identity")
            .replace("{id}", &uuid::Uuid::new_v4().to_string());
        let request = Request::builder()
            .method(route.method.clone())
            .uri(&path)
            .header("accept", "text/html")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::empty())
            .unwrap();
        let r = app.request(request).await;
        let refused = r.status == StatusCode::UNAUTHORIZED
            || (route.method == Method::GET
                && r.status == StatusCode::SEE_OTHER
                && r.header("location") == "/connexion");
        assert!(
            refused,
            "{} {path}: anonymous request answered {}",
            route.method, r.status
        );
    }
    app.finish().await;
}

fn identity_request(token: Option<&str>) -> Request<Body> {
    let mut builder = Request::get("/intake/api/v1/identity").header("accept", "application/json");
    if let Some(token) = token {
        builder = builder.header(ASSERTION_HEADER, token);
    }
    builder.body(Body::empty()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_refuses_requests_without_a_valid_assertion() {
    let app = TestApp::builder()
        .service(ServiceName::Intake)
        .build()
        .await;
    let now = chrono::Utc::now().timestamp();
    let (agent, tenant) = (AgentId::new(), TenantId::new());
    let roles = vec![RoleGrant {
        role: Role::Instructeur,
        unit: OrgUnitId::new(),
    }];

    assert_eq!(
        app.request(identity_request(None)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let stranger = AssertionSigner::generate("ephemeral").unwrap();
    let forged = stranger.sign(
        napoleon_identity::Claims::new("intake", agent, tenant, roles.clone(), "r"),
        now,
    );
    assert_eq!(
        app.request(identity_request(Some(&forged))).await.status,
        StatusCode::UNAUTHORIZED
    );
    let expired = app.signer.sign(
        napoleon_identity::Claims::new("intake", agent, tenant, roles.clone(), "r"),
        now - 3600,
    );
    assert_eq!(
        app.request(identity_request(Some(&expired))).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Health stays open for probes.
    assert_eq!(
        app.get("/intake/healthz", "application/json").await.status,
        StatusCode::OK
    );

    // Signed by the gateway's key, but for another service: refused.
    let for_decisions = app.signer.sign(
        napoleon_identity::Claims::new("decisions", agent, tenant, roles.clone(), "r"),
        now,
    );
    assert_eq!(
        app.request(identity_request(Some(&for_decisions)))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Issue 14, finding 6: an assertion was a bearer for any route and method for 65 s.
    // Signed for another request target, or another method: refused.
    for (method, target) in [
        ("GET", "/intake/api/v1/openapi.json"),
        ("POST", "/intake/api/v1/identity"),
        ("GET", "/intake/api/v1/identity?autre=1"),
    ] {
        let elsewhere = app.signer.sign(
            napoleon_identity::Claims::new("intake", agent, tenant, roles.clone(), "r")
                .for_request(method, target),
            now,
        );
        assert_eq!(
            app.request(identity_request(Some(&elsewhere))).await.status,
            StatusCode::UNAUTHORIZED,
            "{method} {target}"
        );
    }
    // Signed for this very request, but older than the lifetime (a few seconds).
    let stale = app.signer.sign(
        napoleon_identity::Claims::new("intake", agent, tenant, roles.clone(), "r")
            .for_request("GET", "/intake/api/v1/identity"),
        now - napoleon_identity::LIFETIME_SECONDS - 10,
    );
    const { assert!(napoleon_identity::LIFETIME_SECONDS <= 10) };
    assert_eq!(
        app.request(identity_request(Some(&stale))).await.status,
        StatusCode::UNAUTHORIZED
    );
    let valid = app.signer.sign(
        napoleon_identity::Claims::new("intake", agent, tenant, roles, "r")
            .for_request("GET", "/intake/api/v1/identity"),
        now,
    );
    let r = app.request(identity_request(Some(&valid))).await;
    assert_eq!(r.status, StatusCode::OK);
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["tenant"], tenant.to_string());
    // The same assertion again, for the same request: this instance has seen it.
    assert_eq!(
        app.request(identity_request(Some(&valid))).await.status,
        StatusCode::UNAUTHORIZED,
        "replayed"
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_cannot_speak_for_the_gateway() {
    let live = TestApp::live().await;
    let mut browser = Browser::new();
    live.login(&mut browser, CLAIRE).await;
    // Claire forges an assertion for the Culture tenant, signed with the gateway's own key
    // even: the gateway drops whatever assertion header a client sends and signs its own.
    let culture = live.tenant_id("culture").await;
    let forged = live.signer.sign(
        napoleon_identity::Claims::new("intake", AgentId::new(), culture, vec![], "r"),
        chrono::Utc::now().timestamp(),
    );
    let cookie = format!(
        "napoleon_session={}",
        browser.cookie(&live.base, "napoleon_session").unwrap()
    );
    let response = openidconnect::reqwest::Client::new()
        .get(live.url("/intake/api/v1/identity"))
        .header("cookie", cookie)
        .header(ASSERTION_HEADER, forged)
        .send()
        .await
        .unwrap();
    let identity: serde_json::Value =
        serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(
        identity["tenant"],
        live.tenant_id("interieur").await.to_string()
    );
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_instance_picks_up_a_policy_change_at_its_next_decision() {
    use napoleon_authz::{Action, Authorizer, Permission, Resource, Scope};
    use napoleon_db::policy::{self, PolicyRule};

    let tdb = napoleon_testkit::TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    let tenant = napoleon_testkit::tenant_with_units(&db, "tenant-a", 1).await;
    let mut tx = db.tenant(tenant).await.unwrap();
    napoleon_authz::seed_default_policy(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    // Two gateway instances, each with its own cache.
    let (first, second) = (Authorizer::new(db.clone()), Authorizer::new(db.clone()));
    let read_members = Permission::new(Resource::Members, Action::Read);
    for instance in [&first, &second] {
        let mut tx = db.tenant(tenant).await.unwrap();
        assert!(
            instance
                .access(
                    &mut tx,
                    AgentId::new(),
                    vec![(Role::Auditeur, OrgUnitId::new())]
                )
                .await
                .unwrap()
                .allows(read_members, Scope::Anywhere)
                .unwrap()
        );
        tx.rollback().await;
    }
    let mut tx = db.tenant(tenant).await.unwrap();
    let rule = PolicyRule {
        ptype: "p".to_owned(),
        values: vec![
            "auditeur".to_owned(),
            tenant.to_string(),
            "members".to_owned(),
            "read".to_owned(),
        ],
    };
    assert_eq!(policy::remove(&mut tx, &[rule]).await.unwrap(), 1);
    tx.commit().await.unwrap();
    for instance in [&first, &second] {
        let mut tx = db.tenant(tenant).await.unwrap();
        assert!(
            !instance
                .access(
                    &mut tx,
                    AgentId::new(),
                    vec![(Role::Auditeur, OrgUnitId::new())]
                )
                .await
                .unwrap()
                .allows(read_members, Scope::Anywhere)
                .unwrap()
        );
        tx.rollback().await;
    }
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_covers_its_units_subtree_and_nothing_else() {
    use napoleon_authz::{Action, Authorizer, Permission, Resource, Scope};
    use napoleon_kernel::{OrgUnitKind, TenantSlug};

    let tdb = napoleon_testkit::TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    napoleon::demo::seed(&db, &[]).await.unwrap();
    let tenant = {
        let mut conn = db.platform().await.unwrap();
        napoleon_db::core::find_tenant(&mut conn, &TenantSlug::parse("interieur").unwrap())
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let mut tx = db.tenant(tenant).await.unwrap();
    let units = napoleon_db::core::list_org_units(&mut tx).await.unwrap();
    let unit = |kind, code: &str| {
        units
            .iter()
            .find(|u| u.kind == kind && u.code.as_str() == code)
            .unwrap()
            .id
    };
    let (rhone, gironde, region, ministry) = (
        unit(OrgUnitKind::PrefectureDepartement, "69"),
        unit(OrgUnitKind::PrefectureDepartement, "33"),
        unit(OrgUnitKind::PrefectureRegion, "84"),
        unit(OrgUnitKind::Ministere, "MI"),
    );
    let authorizer = Authorizer::new(db.clone());
    let read = Permission::new(Resource::Nomination, Action::Read);
    let at_rhone = [(Role::Instructeur, rhone)];
    assert!(
        authorizer
            .access(&mut tx, AgentId::new(), at_rhone.to_vec())
            .await
            .unwrap()
            .allows(read, Scope::Unit(rhone))
            .unwrap()
    );
    assert!(
        !authorizer
            .access(&mut tx, AgentId::new(), at_rhone.to_vec())
            .await
            .unwrap()
            .allows(read, Scope::Unit(gironde))
            .unwrap(),
        "another préfecture"
    );
    assert!(
        !authorizer
            .access(&mut tx, AgentId::new(), at_rhone.to_vec())
            .await
            .unwrap()
            .allows(read, Scope::Unit(region))
            .unwrap(),
        "not upwards"
    );
    let at_region = [(Role::Instructeur, region)];
    assert!(
        authorizer
            .access(&mut tx, AgentId::new(), at_region.to_vec())
            .await
            .unwrap()
            .allows(read, Scope::Unit(rhone))
            .unwrap(),
        "the region covers its départements"
    );
    let at_ministry = [(Role::Auditeur, ministry)];
    for u in [rhone, gironde, region, ministry] {
        assert!(
            authorizer
                .access(&mut tx, AgentId::new(), at_ministry.to_vec())
                .await
                .unwrap()
                .allows(read, Scope::Unit(u))
                .unwrap(),
            "the ministry covers all"
        );
    }
    // Another tenant's unit is outside every subtree.
    assert!(
        !authorizer
            .access(&mut tx, AgentId::new(), at_ministry.to_vec())
            .await
            .unwrap()
            .allows(read, Scope::Unit(OrgUnitId::new()))
            .unwrap()
    );
    // Central scope: the ministry and its central bureaux, never a préfecture; ministry
    // scope: the ministry alone. Decided from one read of the grants and the tree.
    let bureau = unit(OrgUnitKind::Direction, "BCD");
    let campaigns = Permission::new(Resource::Campaign, Action::Read);
    for (grant_at, central, ministry_wide) in [
        (ministry, true, true),
        (bureau, true, false),
        (rhone, false, false),
        (region, false, false),
    ] {
        let access = authorizer
            .access(&mut tx, AgentId::new(), vec![(Role::Auditeur, grant_at)])
            .await
            .unwrap();
        assert_eq!(
            access.allows(campaigns, Scope::Central).unwrap(),
            central,
            "central, granted at {grant_at:?}"
        );
        assert_eq!(
            access.allows(campaigns, Scope::Ministry).unwrap(),
            ministry_wide,
            "ministry, granted at {grant_at:?}"
        );
        assert!(
            access.allows(campaigns, Scope::Anywhere).unwrap(),
            "somewhere"
        );
    }
    tx.rollback().await;
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn paths_a_proxy_could_normalise_into_another_service_are_refused() {
    // Sent raw, in process: HTTP clients would normalise these before sending.
    let app = TestApp::builder().build().await;
    for path in [
        "/intake/%2e%2e/decisions/api/v1/identity",
        "/intake/api/%2Fv1/identity",
        "/intake/./api/v1/identity",
        "/intake/../decisions/api/v1/identity",
    ] {
        let r = app
            .request(
                Request::get(path)
                    .header("accept", "application/json")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
    }
    let plain = app.get("/intake/api/v1/identity", "application/json").await;
    assert_eq!(
        plain.status,
        StatusCode::UNAUTHORIZED,
        "a plain path reaches the access check"
    );
    app.finish().await;
}
