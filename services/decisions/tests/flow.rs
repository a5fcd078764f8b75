//! The bureau's whole list on real PostgreSQL, through the service's router: ranking,
//! decisions, closing, publication into the registry, réception — and the refusals, which
//! write nothing.
#![expect(clippy::unwrap_used, reason = "tests")]

use axum::Router;
use axum::body::Body;
use diesel::sql_types::{Date, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use http::{Request, StatusCode};
use napoleon::app::ServiceName;
use napoleon_db::core::{self, NewOrgUnit};
use napoleon_db::journal::{self, EventKind};
use napoleon_db::{Db, TenantConn};
use napoleon_identity::{ASSERTION_HEADER, AssertionSigner, LayoutUser, RoleGrant};
use napoleon_kernel::{
    AgentId, CampaignId, DossierId, OrgUnitCode, OrgUnitId, OrgUnitKind, Role, TenantId,
};
use napoleon_testkit::{TestApp, TestResponse, send};
use serde_json::{Value, json};

struct World {
    db: Db,
    router: Router,
    signer: AssertionSigner,
    tenant: TenantId,
    bureau: OrgUnitId,
    prefecture: OrgUnitId,
    integrateur: AgentId,
    campaign: CampaignId,
    dossiers: Vec<DossierId>,
    filed: DossierId,
}

async fn agent(db: &Db, name: &str) -> AgentId {
    let mut conn = db.platform().await.unwrap();
    let email = napoleon_kernel::Email::parse(&format!("{name}@example.gouv.fr")).unwrap();
    let (agent, _) = napoleon_db::identity::upsert_agent(
        &mut conn,
        &napoleon_db::identity::VerifiedClaims {
            issuer: "test",
            subject: name,
            email: &email,
            given_name: &napoleon_kernel::Personal::new("Agent".to_owned()),
            usual_name: &napoleon_kernel::Personal::new(name.to_owned()),
            idp_id: None,
            email_verified: None,
        },
        db.clock().now(),
    )
    .await
    .unwrap();
    agent.id
}

async fn unit(
    tx: &mut TenantConn,
    parent: Option<OrgUnitId>,
    kind: OrgUnitKind,
    code: &str,
) -> OrgUnitId {
    let code = OrgUnitCode::parse(code).unwrap();
    core::ensure_org_unit(
        tx,
        &NewOrgUnit {
            parent_id: parent,
            kind,
            code: &code,
            name: "Unité",
        },
    )
    .await
    .unwrap()
    .0
    .id
}

#[expect(clippy::too_many_arguments, reason = "one dossier's columns")]
async fn dossier(
    tx: &mut TenantConn,
    campaign: CampaignId,
    unit: OrgUnitId,
    level: OrgUnitId,
    state: &str,
    n: u32,
    grade: &str,
    sex: &str,
    by: AgentId,
) -> DossierId {
    let id = DossierId::new();
    let content = json!({"candidate": {"birth_name": format!("Nom{n}"), "usual_name": "",
        "given_names": "Camille", "sex": sex, "birth_date": "1960-01-01", "birth_place": "Lyon",
        "nationality": "FR", "french_since": "", "residence_department": "69"},
        "career": [], "distinctions": [], "motifs": "Mérites.", "criminal_record_issued_on": ""});
    diesel::sql_query(
        "INSERT INTO intake.dossiers (tenant_id, id, campaign_id, unit_id, level_unit_id, state, \
         number, target_grade, content, created_by, submitted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind::<SqlUuid, _>(tx.tenant().as_uuid())
    .bind::<SqlUuid, _>(id.as_uuid())
    .bind::<SqlUuid, _>(campaign.as_uuid())
    .bind::<SqlUuid, _>(unit.as_uuid())
    .bind::<SqlUuid, _>(level.as_uuid())
    .bind::<Text, _>(state)
    .bind::<Nullable<Text>, _>(Some(format!("LH-2027-07-{n:04}")))
    .bind::<Text, _>(grade)
    .bind::<Jsonb, _>(content)
    .bind::<SqlUuid, _>(by.as_uuid())
    .bind::<Timestamptz, _>(chrono::Utc::now() + chrono::Duration::seconds(i64::from(n)))
    .execute(tx.pg())
    .await
    .unwrap();
    id
}

/// The decisions process on its own database (the one `TestApp`), with a tenant, its units,
/// a campaign and dossiers written as intake and instruction would have left them.
async fn world() -> (TestApp, World) {
    let app = TestApp::builder()
        .service(ServiceName::Decisions)
        .build()
        .await;
    let db = app.ctx.db.clone();
    let tenant = napoleon_testkit::tenant(&db, "decisions-test").await;
    let integrateur = agent(&db, "integrateur").await;
    let redacteur = agent(&db, "redacteur").await;
    let mut tx = db.tenant(tenant).await.unwrap();
    let root = unit(&mut tx, None, OrgUnitKind::Ministere, "MIN").await;
    let bureau = unit(&mut tx, Some(root), OrgUnitKind::Direction, "BCD").await;
    let prefecture = unit(
        &mut tx,
        Some(root),
        OrgUnitKind::PrefectureDepartement,
        "69",
    )
    .await;
    napoleon_authz::seed_default_policy(&mut tx).await.unwrap();
    let files: Vec<(&str, &str)> = napoleon_rules::BUILTIN_DISTINCTIONS
        .iter()
        .filter(|(f, _)| *f == "lh.toml")
        .copied()
        .chain(std::iter::once(napoleon_rules::BUILTIN_PRACTICES))
        .collect();
    napoleon_db::catalogue::add_missing(&mut tx, &files, "builtin")
        .await
        .unwrap();
    let campaign = CampaignId::new();
    diesel::sql_query(
        "INSERT INTO intake.campaigns (tenant_id, id, distinction, label, promotion_date, opens_on, \
         closes_on, bureau_unit_id, contingents, created_by) \
         VALUES ($1, $2, 'LH', 'Légion d''honneur — promotion du 14/07/2027', $3, $4, $5, $6, $7, $8)",
    )
    .bind::<SqlUuid, _>(tenant.as_uuid())
    .bind::<SqlUuid, _>(campaign.as_uuid())
    .bind::<Date, _>(chrono::NaiveDate::from_ymd_opt(2027, 7, 14).unwrap())
    .bind::<Date, _>(chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap())
    .bind::<Date, _>(chrono::NaiveDate::from_ymd_opt(2027, 3, 1).unwrap())
    .bind::<SqlUuid, _>(bureau.as_uuid())
    .bind::<Jsonb, _>(json!({"chevalier": 2, "officier": 1}))
    .bind::<SqlUuid, _>(integrateur.as_uuid())
    .execute(tx.pg())
    .await
    .unwrap();
    let mut dossiers = Vec::new();
    for (n, grade, sex) in [
        (1, "chevalier", "F"),
        (2, "chevalier", "M"),
        (3, "officier", "F"),
    ] {
        dossiers.push(
            dossier(
                &mut tx, campaign, prefecture, bureau, "transmis", n, grade, sex, redacteur,
            )
            .await,
        );
    }
    let filed = dossier(
        &mut tx,
        campaign,
        prefecture,
        prefecture,
        "depose",
        4,
        "chevalier",
        "M",
        redacteur,
    )
    .await;
    tx.commit().await.unwrap();
    let router = app.router.clone();
    let signer = app.signer.clone();
    (
        app,
        World {
            db,
            router,
            signer,
            tenant,
            bureau,
            prefecture,
            integrateur,
            campaign,
            dossiers,
            filed,
        },
    )
}

/// Who calls: the gateway signs a fresh assertion for each of their requests.
struct Caller {
    agent: AgentId,
    role: Role,
    unit: OrgUnitId,
}

impl World {
    fn token(&self, agent: AgentId, role: Role, unit: OrgUnitId) -> Caller {
        Caller { agent, role, unit }
    }

    /// The assertion the gateway would sign for `caller`'s request `method uri`.
    fn sign(&self, caller: &Caller, method: &str, uri: &str) -> String {
        self.signer.sign(
            napoleon_identity::Claims::new(
                "decisions",
                caller.agent,
                self.tenant,
                vec![RoleGrant {
                    role: caller.role,
                    unit: caller.unit,
                }],
                "test",
            )
            .for_request(method, uri)
            .with_page(Some(LayoutUser {
                name: "Agent de test".to_owned(),
                tenant: Some("Ministère de test".to_owned()),
                unit: None,
                can_switch: false,
                operator: false,
                csrf: String::new(),
            })),
            self.db.clock().timestamp(),
        )
    }

    fn integrateur(&self) -> Caller {
        self.token(self.integrateur, Role::Integrateur, self.bureau)
    }

    async fn get(&self, caller: &Caller, uri: &str) -> TestResponse {
        let request = Request::get(uri)
            .header(ASSERTION_HEADER, self.sign(caller, "GET", uri))
            .header(napoleon_identity::CSRF_HEADER, "jeton")
            .body(Body::empty())
            .unwrap();
        send(&self.router, request).await.unwrap()
    }

    async fn post(&self, caller: &Caller, uri: &str, body: Value) -> TestResponse {
        let request = Request::post(uri)
            .header(ASSERTION_HEADER, self.sign(caller, "POST", uri))
            .header(napoleon_identity::CSRF_HEADER, "jeton")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        send(&self.router, request).await.unwrap()
    }

    async fn form(&self, caller: &Caller, uri: &str, body: &str) -> TestResponse {
        let request = Request::post(uri)
            .header(ASSERTION_HEADER, self.sign(caller, "POST", uri))
            .header(napoleon_identity::CSRF_HEADER, "jeton")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .unwrap();
        send(&self.router, request).await.unwrap()
    }

    async fn board(&self) -> Value {
        let uri = format!("/decisions/api/v1/campaigns/{}/board", self.campaign);
        let r = self.get(&self.integrateur(), &uri).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        serde_json::from_str(&r.body).unwrap()
    }

    async fn events(&self, kind: EventKind) -> i64 {
        let mut tx = self.db.tenant(self.tenant).await.unwrap();
        let n = journal::count_kind(&mut tx, kind).await.unwrap();
        tx.rollback().await;
        n
    }

    async fn state(&self, id: DossierId) -> String {
        let tx = self.db.tenant(self.tenant).await.unwrap();
        let d = napoleon_db::contracts::dossier_by_id(&tx, id)
            .await
            .unwrap();
        tx.rollback().await;
        d.state.as_str().to_owned()
    }
}

fn order(board: &Value) -> Vec<String> {
    board["dossiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bureau_ranks_decides_closes_publishes_and_records_receptions() {
    let (app, w) = world().await;
    let me = w.integrateur();
    let [d1, d2, d3] = [w.dossiers[0], w.dossiers[1], w.dossiers[2]];
    let api = "/decisions/api/v1";

    // The board: transmitted dossiers in order of arrival, nothing written by reading it.
    let board = w.board().await;
    assert_eq!(order(&board), [d1, d2, d3].map(|d| d.to_string()));
    assert_eq!(board["undecided"], 3);
    assert_eq!(board["list"]["status"], "open");
    assert_eq!(board["women"]["percent"], Value::Null);
    assert_eq!(board["permissions"]["rank"], true);

    // Other roles, other units, unknown ids.
    let commission = w.token(AgentId::new(), Role::MembreCommission, w.bureau);
    let redacteur = w.token(AgentId::new(), Role::Redacteur, w.prefecture);
    let elsewhere = w.token(w.integrateur, Role::Integrateur, w.prefecture);
    let board_uri = format!("{api}/campaigns/{}/board", w.campaign);
    assert_eq!(w.get(&commission, &board_uri).await.status, StatusCode::OK);
    assert_eq!(
        w.get(&redacteur, &board_uri).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        w.get(&elsewhere, &board_uri).await.status,
        StatusCode::FORBIDDEN
    );
    let unknown = format!("{api}/campaigns/{}/board", CampaignId::new());
    assert_eq!(w.get(&me, &unknown).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        w.get(&me, &format!("{api}/campaigns/nope/board"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let decision = |d: DossierId| format!("{api}/dossiers/{d}/decision");
    let r = w
        .post(
            &commission,
            &decision(d1),
            json!({"decision": "retenu", "motivation": "Oui."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // Ranking.
    let rank = |d: DossierId| format!("{api}/dossiers/{d}/rank");
    let r = w.post(&me, &rank(d3), json!({"direction": "up"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ranked: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(ranked["rank"], 2);
    assert_eq!(ranked["swapped_with"], d2.to_string());
    assert_eq!(order(&w.board().await), [d1, d3, d2].map(|d| d.to_string()));
    let r = w.post(&me, &rank(d1), json!({"direction": "up"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(
        w.post(&me, &rank(d1), json!({"direction": "left"}))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        w.post(&me, &rank(w.filed), json!({"direction": "up"}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(w.events(EventKind::DossierRanked).await, 1);

    // Closing needs every decision.
    let close = format!("{api}/campaigns/{}/close", w.campaign);
    let r = w.post(&me, &close, json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body.contains("3 dossiers transmis restent sans décision"),
        "{}",
        r.body
    );

    // Decisions: a motivation is required; a dossier still in instruction is refused.
    let r = w
        .post(
            &me,
            &decision(d1),
            json!({"decision": "retenu", "motivation": " "}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(problem["errors"][0]["field"], "motivation");
    let r = w
        .post(
            &me,
            &decision(w.filed),
            json!({"decision": "retenu", "motivation": "Oui."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(w.events(EventKind::DossierDecided).await, 0);
    assert_eq!(w.state(d1).await, "transmis");
    // The page keeps what was typed and says what is wrong.
    let r = w
        .form(
            &me,
            &format!("/decisions/dossiers/{d1}/decision"),
            "_csrf=jeton&decision=ajourne&motivation=",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains(&format!("href=\"#motivation-{d1}\"")),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("<option value=\"ajourne\" selected>"),
        "{}",
        r.body
    );
    for (d, choice) in [(d1, "retenu"), (d2, "ajourne"), (d3, "retenu")] {
        let r = w
            .post(
                &me,
                &decision(d),
                json!({"decision": choice, "motivation": "Mérites éminents."}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    // Changeable until the list closes.
    let r = w
        .form(
            &me,
            &format!("/decisions/dossiers/{d2}/decision"),
            "_csrf=jeton&decision=refuse&motivation=Non.",
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(w.state(d2).await, "refuse");
    let board = w.board().await;
    assert_eq!(order(&board), [d1, d3, d2].map(|d| d.to_string()));
    assert_eq!(board["contingents"][0]["text"], "1 retenu sur 2 places");
    assert_eq!(board["contingents"][1]["text"], "1 retenu sur 1 place");
    assert_eq!(
        board["women"]["text"],
        "100 % de femmes parmi les retenus (2 sur 2)"
    );
    assert_eq!(board["undecided"], 0);
    assert_eq!(board["dossiers"][2]["decision"], "refuse");
    assert_eq!(board["dossiers"][2]["motivation"], "Non.");

    // Publication needs a closed list.
    let publish = format!("{api}/campaigns/{}/publish", w.campaign);
    let decree =
        json!({"decree_date": "13/07/2027", "jo_reference": "JORF n° 0163 du 14 juillet 2027"});
    assert_eq!(
        w.post(&me, &publish, decree.clone()).await.status,
        StatusCode::CONFLICT
    );

    // Closing freezes the list.
    let r = w.post(&me, &close, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let closed: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        (closed["retained"].clone(), closed["refused"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(
        w.post(&me, &close, json!({})).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        w.post(&me, &rank(d2), json!({"direction": "up"}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    let r = w
        .post(
            &me,
            &decision(d2),
            json!({"decision": "retenu", "motivation": "Finalement."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(w.events(EventKind::ListClosed).await, 1);

    // Publication: invalid input, then the registry.
    let r = w
        .post(
            &me,
            &publish,
            json!({"decree_date": "13 juillet", "jo_reference": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2);
    let r = w.post(&me, &publish, decree.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let published: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(published["decree_date"], "2027-07-13");
    let awards = published["awards"].as_array().unwrap();
    assert_eq!(awards.len(), 2);
    assert_eq!(awards[0]["dossier_id"], d1.to_string());
    assert_eq!(awards[1]["grade"], "officier");
    assert_eq!(
        w.post(&me, &publish, decree).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(w.state(d1).await, "publie");
    assert_eq!(w.state(d2).await, "refuse");
    assert_eq!(w.events(EventKind::DossierPublished).await, 2);
    let mut tx = w.db.tenant(w.tenant).await.unwrap();
    let registry = napoleon_db::contracts::awards(&mut tx).await.unwrap();
    tx.rollback().await;
    assert_eq!(registry.len(), 2);
    let first = registry.iter().find(|a| a.dossier_id == Some(d1)).unwrap();
    assert_eq!(first.identity.expose()["birth_name"], "Nom1");
    assert_eq!(first.unit_id, Some(w.prefecture));
    assert_eq!(first.distinction.as_str(), "LH");

    // Réception: not before the decree, once.
    let reception = format!("{api}/awards/{}/reception", first.id);
    let r = w
        .post(&me, &reception, json!({"reception_date": "2027-07-12"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        w.post(
            &commission,
            &reception,
            json!({"reception_date": "2027-10-01"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = w
        .post(&me, &reception, json!({"reception_date": "01/10/2027"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        w.post(&me, &reception, json!({"reception_date": "2027-10-02"}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(w.events(EventKind::AwardReceived).await, 1);
    let unknown = format!("{api}/awards/{}/reception", uuid::Uuid::now_v7());
    assert_eq!(
        w.post(&me, &unknown, json!({"reception_date": "2027-10-02"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The pages.
    let page = w
        .get(&me, &format!("/decisions/campagnes/{}", w.campaign))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Lauréats inscrits au registre"),
        "{}",
        page.body
    );
    assert!(page.body.contains("01/10/2027"));
    assert!(
        page.body
            .contains("Enregistrer la réception<span class=\"fr-sr-only\"> de NOM3 Camille</span>")
    );
    let list = w.get(&me, "/decisions/campagnes").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(
        list.body
            .contains(&format!("href=\"/decisions/campagnes/{}\"", w.campaign))
    );
    let openapi = w.get(&me, "/decisions/api/v1/openapi.json").await;
    assert_eq!(openapi.status, StatusCode::OK);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_open_board_page_offers_every_action() {
    let (app, w) = world().await;
    let me = w.integrateur();
    let page = w
        .get(&me, &format!("/decisions/campagnes/{}", w.campaign))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for text in [
        "Descendre<span class=\"fr-sr-only\"> le dossier LH-2027-07-0001</span>",
        "Monter<span class=\"fr-sr-only\"> le dossier LH-2027-07-0003</span>",
        "0 retenu sur 2 places",
        "Aucun dossier retenu pour l&#x27;instant.",
        "Clôturer la liste",
        "3 dossiers transmis attendent leur décision",
    ] {
        assert!(page.body.contains(text), "{text}\n{}", page.body);
    }
    assert!(
        !page
            .body
            .contains("Monter<span class=\"fr-sr-only\"> le dossier LH-2027-07-0001</span>")
    );
    assert!(
        !page.body.contains("LH-2027-07-0004"),
        "a dossier in instruction is not on the list"
    );
    let r = w
        .form(
            &me,
            &format!("/decisions/dossiers/{}/rang", w.dossiers[0]),
            "_csrf=jeton&direction=up",
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("déjà en tête de la liste"), "{}", r.body);
    let r = w
        .form(
            &me,
            &format!("/decisions/dossiers/{}/rang", w.dossiers[0]),
            "_csrf=jeton&direction=down",
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.header("location"),
        format!(
            "/decisions/campagnes/{}?fait=rang#dossier-{}",
            w.campaign, w.dossiers[0]
        )
    );
    let r = w
        .form(
            &me,
            &format!("/decisions/campagnes/{}/cloture", w.campaign),
            "_csrf=jeton",
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("Action impossible"), "{}", r.body);
    app.finish().await;
}
