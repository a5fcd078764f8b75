//! Login, tenants and access, end to end over real HTTP: the gateway's relying party against
//! the development OpenID provider (what `napoleon demo` runs), with the demo data.

use std::time::Duration;

use napoleon_db::core;
use napoleon_testkit::agents::{ANNE, CLAIRE, LUCIE, MARC, NINA, OLIVIER, PAUL};
use napoleon_testkit::{Browser, Page, TestApp, TestDb, count};

#[tokio::test(flavor = "multi_thread")]
async fn an_instructeur_logs_in_sees_tenant_and_unit_and_reaches_a_service() {
    let live = TestApp::live().await;
    let mut browser = Browser::new();
    let before = browser.get(&live.url("/connexion/demo")).await;
    assert_eq!(before.status, 303);
    let pre_login_session = browser.cookie(&live.base, "napoleon_session").unwrap();

    let callback = live.login(&mut browser, CLAIRE).await;
    assert_eq!(
        (callback.status, callback.location.as_deref()),
        (303, Some("/")),
        "{}",
        callback.body
    );
    let session = browser.cookie(&live.base, "napoleon_session").unwrap();
    assert_ne!(
        session, pre_login_session,
        "the session id changes at login"
    );

    let home = browser.get(&live.url("/")).await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Claire Martin"), "{}", home.body);
    assert!(
        home.body
            .contains("Ministère de l&#x27;Intérieur — Préfecture du Rhône"),
        "tenant and unit in the header"
    );
    assert!(
        home.body
            .contains("<strong>Instructeur</strong> — Préfecture du Rhône")
    );

    let (status, identity) = browser.get_json(&live.url("/intake/api/v1/identity")).await;
    assert_eq!(status, 200);
    assert_eq!(
        identity["tenant"],
        live.tenant_id("interieur").await.to_string()
    );
    assert!(
        identity["roles"][0]
            .as_str()
            .unwrap()
            .starts_with("instructeur@"),
        "{identity}"
    );

    let mut admin = live.admin().await;
    assert_eq!(
        count(
            &mut admin,
            "SELECT count(*) AS n FROM core.agents WHERE email = 'claire.martin@interieur.gouv.fr'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&mut admin, "SELECT count(*) AS n FROM core.memberships m JOIN core.agents a ON a.id = m.agent_id WHERE a.email = 'claire.martin@interieur.gouv.fr'").await,
        1,
        "the grant made to her email before her first login is now hers"
    );
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_ends_the_local_and_the_provider_sessions() {
    let live = TestApp::live().await;
    let mut browser = Browser::new();
    live.login(&mut browser, CLAIRE).await;
    let home = browser.get(&live.url("/")).await;
    let csrf = home.hidden("_csrf");
    let logout = browser
        .post(&live.url("/deconnexion"), &[("_csrf", csrf.as_str())])
        .await;
    assert_eq!(logout.status, 303, "{}", logout.body);
    let end_session = logout.next();
    assert!(
        end_session.contains("/dev-idp/session/end?") && end_session.contains("id_token_hint="),
        "{end_session}"
    );
    let back = browser.get(&end_session).await;
    let returned = browser.get(&back.next()).await;
    assert_eq!(returned.status, 200, "{}", returned.body);
    assert!(returned.body.contains("Vous êtes déconnecté"));

    let home = browser.get(&live.url("/")).await;
    assert!(home.body.contains("href=\"/connexion\""), "anonymous again");
    assert!(!home.body.contains("Claire Martin"));
    assert_ne!(
        browser
            .get(&live.url("/intake/api/v1/identity"))
            .await
            .status,
        200
    );
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn state_changing_requests_need_the_csrf_token() {
    let live = TestApp::live().await;
    let mut browser = Browser::new();
    live.login(&mut browser, CLAIRE).await;
    assert_eq!(
        browser.post(&live.url("/deconnexion"), &[]).await.status,
        403
    );
    assert_eq!(
        browser
            .post(&live.url("/deconnexion"), &[("_csrf", "forged")])
            .await
            .status,
        403
    );
    let home = browser.get(&live.url("/")).await;
    assert!(home.body.contains("Claire Martin"), "still logged in");
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_id_fixed_before_login_is_worthless_after_it() {
    let live = TestApp::live().await;
    let mut attacker = Browser::new();
    attacker.get(&live.url("/connexion/demo")).await;
    let planted = attacker.cookie(&live.base, "napoleon_session").unwrap();

    let mut victim = Browser::new();
    victim.set_cookie(&live.base, "napoleon_session", &planted);
    let callback = live.login(&mut victim, CLAIRE).await;
    assert_eq!(callback.status, 303);
    assert_ne!(
        victim.cookie(&live.base, "napoleon_session").unwrap(),
        planted
    );

    let home = attacker.get(&live.url("/")).await;
    assert!(
        !home.body.contains("Claire Martin"),
        "the planted id does not carry the victim's login"
    );
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_culture_agent_sees_only_culture() {
    let live = TestApp::live().await;
    let mut browser = Browser::new();
    live.login(&mut browser, LUCIE).await;
    let home = browser.get(&live.url("/")).await;
    assert!(home.body.contains("Ministère de la Culture"));
    assert!(!home.body.contains("Intérieur"));
    let (_, identity) = browser
        .get_json(&live.url("/instruction/api/v1/identity"))
        .await;
    assert_eq!(
        identity["tenant"],
        live.tenant_id("culture").await.to_string()
    );
    assert_eq!(
        browser
            .get(&live.url("/administration/membres"))
            .await
            .status,
        403,
        "not an administrator"
    );
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_without_membership_is_told_whom_to_ask_and_nothing_more() {
    let live = TestApp::live().await;
    let mut browser = Browser::new();
    let callback = live.login(&mut browser, NINA).await;
    assert_eq!(callback.location.as_deref(), Some("/acces-non-accorde"));
    let page = browser.get(&live.url("/acces-non-accorde")).await;
    assert_eq!(page.status, 403);
    assert!(
        page.body.contains("Aucun accès accordé")
            && page.body.contains("administrateur ministériel")
    );
    assert_ne!(
        browser
            .get(&live.url("/intake/api/v1/identity"))
            .await
            .status,
        200
    );
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_of_two_tenants_picks_one_and_can_switch() {
    let live = TestApp::live().await;
    let mut browser = Browser::new();
    let callback = live.login(&mut browser, MARC).await;
    assert_eq!(callback.location.as_deref(), Some("/choisir-ministere"));
    let picker = browser.get(&live.url("/choisir-ministere")).await;
    assert!(
        picker.body.contains("Ministère de l&#x27;Intérieur")
            && picker.body.contains("Ministère de la Culture")
    );
    let culture = live.tenant_id("culture").await.to_string();
    let csrf = picker.hidden("_csrf");
    let chosen = browser
        .post(
            &live.url("/choisir-ministere"),
            &[("_csrf", csrf.as_str()), ("tenant", culture.as_str())],
        )
        .await;
    assert_eq!(chosen.location.as_deref(), Some("/"));
    let home = browser.get(&live.url("/")).await;
    assert!(home.body.contains("Changer de ministère"));
    assert!(home.body.contains("<strong>Auditeur</strong>"));
    // A tenant he does not belong to is simply not found.
    let sandbox = live.tenant_id("interieur-formation").await.to_string();
    let refused = browser
        .post(
            &live.url("/choisir-ministere"),
            &[("_csrf", csrf.as_str()), ("tenant", sandbox.as_str())],
        )
        .await;
    assert_eq!(refused.status, 404);
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_below_the_tenants_acr_policy_gets_a_page_saying_why() {
    let live = TestApp::live().await;
    let culture = live.tenant_id("culture").await;
    {
        // As an operator sets it on /exploitation (see identity::raising_a_tenants_acr…).
        let mut owner = TestDb::connect(&live.db.owner_url()).await.unwrap();
        core::set_required_acr(&mut owner, culture, &["eidas2".to_owned()])
            .await
            .unwrap();
    }
    let mut browser = Browser::new();
    let callback = live.login(&mut browser, LUCIE).await;
    assert_eq!(
        callback.location.as_deref(),
        Some("/choisir-ministere"),
        "not let in automatically"
    );
    let picker = browser.get(&live.url("/choisir-ministere")).await;
    let csrf = picker.hidden("_csrf");
    let culture = culture.to_string();
    let refused = browser
        .post(
            &live.url("/choisir-ministere"),
            &[("_csrf", csrf.as_str()), ("tenant", culture.as_str())],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("Authentification renforcée requise"));
    assert!(refused.body.contains("/connexion/demo?acr=eidas2"));
    assert_ne!(
        browser
            .get(&live.url("/intake/api/v1/identity"))
            .await
            .status,
        200
    );
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replayed_or_forged_callback_is_refused_and_stores_nothing() {
    let live = TestApp::live().await;
    let mut browser = Browser::new();
    let start = browser.get(&live.url("/connexion/demo")).await;
    let authorize = browser.get(&start.next()).await;
    let pending = authorize.hidden("pending");
    let chosen = browser
        .post(
            &live.url("/dev-idp/authorize"),
            &[("pending", pending.as_str()), ("sub", NINA)],
        )
        .await;
    let callback_url = chosen.next();
    // A state that is not the one issued.
    let forged = callback_url.replacen("state=", "state=x", 1);
    let refused = browser.get(&forged).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("Connexion expirée"));
    // The genuine callback after that is a replay too: the pending login was used once.
    let replay = browser.get(&callback_url).await;
    assert_eq!(replay.status, 400);
    let mut admin = live.admin().await;
    assert_eq!(
        count(&mut admin, "SELECT count(*) AS n FROM core.agents").await,
        0,
        "nothing stored"
    );
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_error_is_shown_in_french_and_stores_nothing() {
    let live = TestApp::live().await;
    let mut browser = Browser::new();
    let start = browser.get(&live.url("/connexion/demo")).await;
    let authorize = browser.get(&start.next()).await;
    let pending = authorize.hidden("pending");
    let cancelled = browser
        .post(
            &live.url("/dev-idp/authorize"),
            &[("pending", pending.as_str()), ("cancel", "1")],
        )
        .await;
    assert!(cancelled.next().contains("error=access_denied"));
    let page = browser.get(&cancelled.next()).await;
    assert_eq!(page.status, 403);
    assert!(
        page.body.contains("Connexion refusée") && page.body.contains("Identifiant de requête")
    );
    let mut admin = live.admin().await;
    assert_eq!(
        count(&mut admin, "SELECT count(*) AS n FROM core.agents").await,
        0
    );
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_granted_role_and_its_withdrawal_apply_at_the_holders_next_request() {
    let live = TestApp::live().await;
    let mut paul = Browser::new();
    live.login(&mut paul, PAUL).await;
    assert_eq!(
        paul.get(&live.url("/administration/membres")).await.status,
        403
    );

    let mut anne = Browser::new();
    live.login(&mut anne, ANNE).await;
    let members = anne.get(&live.url("/administration/membres")).await;
    assert_eq!(members.status, 200, "{}", members.body);
    let csrf = members.hidden("_csrf");
    let ministry_unit = option_value(&members.body, "Ministère de l&#x27;Intérieur");

    // A malformed grant keeps what was typed and says what is wrong.
    let invalid = anne
        .post(
            &live.url("/administration/membres"),
            &[
                ("_csrf", csrf.as_str()),
                ("email", "paul.bernard"),
                ("unit", ministry_unit.as_str()),
                ("role", "administrateur"),
            ],
        )
        .await;
    assert_eq!(invalid.status, 400);
    assert!(
        invalid.body.contains("Le formulaire contient des erreurs")
            && invalid.body.contains("value=\"paul.bernard\"")
    );

    grant_paul_ministry_administrator(&live, &mut anne, &csrf, &ministry_unit).await;
    assert_eq!(
        paul.get(&live.url("/administration/membres")).await.status,
        200,
        "usable at once"
    );

    let members = anne.get(&live.url("/administration/membres")).await;
    let membership = revoke_form_id(
        &members.body,
        "paul.bernard@interieur.gouv.fr",
        "Administrateur ministériel",
    );
    let revoked = anne
        .post(
            &live.url(&format!("/administration/membres/{membership}/retrait")),
            &[("_csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(revoked.status, 303);
    let after = paul.get(&live.url("/administration/membres")).await;
    assert_eq!(after.status, 403, "withdrawn at once");
    // Issue 14, finding 2: the withdrawal ends none of his sessions (which may work in other
    // tenants); it applies because grants are read at every request.
    assert!(
        paul.get(&live.url("/")).await.body.contains("Paul Bernard"),
        "still logged in, as a rédacteur"
    );

    let mut admin = live.admin().await;
    assert_eq!(
        count(&mut admin, "SELECT count(*) AS n FROM journal.events WHERE kind IN ('membership.granted', 'membership.revoked') AND actor LIKE 'agent:%'").await,
        2,
        "both changes journaled"
    );
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn another_tenants_membership_id_is_not_found() {
    let live = TestApp::live().await;
    let mut anne = Browser::new();
    live.login(&mut anne, ANNE).await;
    let members = anne.get(&live.url("/administration/membres")).await;
    let csrf = members.hidden("_csrf");
    let mut admin = live.admin().await;
    let culture = live.tenant_id("culture").await;
    let culture_membership: String = {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::Text)]
            id: String,
        }
        diesel::sql_query(format!(
            "SELECT id::text AS id FROM core.memberships WHERE tenant_id = '{culture}' LIMIT 1"
        ))
        .get_result::<Id>(&mut admin)
        .await
        .unwrap()
        .id
    };
    let refused = anne
        .post(
            &live.url(&format!(
                "/administration/membres/{culture_membership}/retrait"
            )),
            &[("_csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(refused.status, 404);
    assert_eq!(
        count(
            &mut admin,
            &format!(
                "SELECT count(*) AS n FROM core.memberships WHERE id = '{culture_membership}'"
            )
        )
        .await,
        1,
        "untouched"
    );
    live.finish().await;
}

/// The `value` of the `<option>` whose label is `label`.
pub fn option_value(body: &str, label: &str) -> String {
    let end = body
        .find(&format!(">{label}</option>"))
        .unwrap_or_else(|| panic!("no option {label}"));
    let start = body[..end].rfind("value=\"").unwrap() + 7;
    body[start..].split('"').next().unwrap().to_owned()
}

/// Anne makes Paul an administrator of the ministry (`unit`, its option value).
async fn grant_paul_ministry_administrator(
    live: &TestApp,
    anne: &mut Browser,
    csrf: &str,
    unit: &str,
) {
    let granted = anne
        .post(
            &live.url("/administration/membres"),
            &[
                ("_csrf", csrf),
                ("email", "paul.bernard@interieur.gouv.fr"),
                ("unit", unit),
                ("role", "administrateur"),
            ],
        )
        .await;
    assert_eq!(granted.status, 303, "{}", granted.body);
}

/// The membership id in the withdrawal form of the row holding `email` and `role`.
pub fn revoke_form_id(body: &str, email: &str, role: &str) -> String {
    let row = body
        .split("<tr>")
        .find(|r| r.contains(email) && r.contains(&format!("<td>{role}</td>")))
        .unwrap_or_else(|| panic!("no row for {email} {role}"));
    let start = row.find("/administration/membres/").unwrap() + "/administration/membres/".len();
    row[start..].split('/').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admission_rule_admits_an_agent_without_role_until_one_is_granted() {
    let live = TestApp::live().await;
    // Admission rules are the operators' (an administrator could otherwise enrol another
    // ministry's agents): Anne, the Interior's administrator, cannot add one.
    let (mut anne, anne_csrf) = live.logged_in(ANNE).await;
    let refused = anne
        .post(
            &live.url("/exploitation/admissions"),
            &[
                ("_csrf", anne_csrf.as_str()),
                ("tenant", "interieur"),
                ("kind", "email_domain"),
                ("value", "exemple.gouv.fr"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
    let mut olivier = Browser::new();
    live.login(&mut olivier, OLIVIER).await;
    let csrf = olivier
        .get(&live.url("/exploitation"))
        .await
        .hidden("_csrf");
    let invalid = olivier
        .post(
            &live.url("/exploitation/admissions"),
            &[
                ("_csrf", csrf.as_str()),
                ("tenant", "interieur"),
                ("kind", "email_domain"),
                ("value", "pas un domaine !"),
            ],
        )
        .await;
    assert_eq!(invalid.status, 400);
    let added = olivier
        .post(
            &live.url("/exploitation/admissions"),
            &[
                ("_csrf", csrf.as_str()),
                ("tenant", "interieur"),
                ("kind", "email_domain"),
                ("value", "@exemple.gouv.fr"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let members = anne.get(&live.url("/administration/membres")).await;
    assert!(
        members.body.contains("Adresses en @exemple.gouv.fr"),
        "shown to the administrator"
    );

    let mut nina = Browser::new();
    let callback = live.login(&mut nina, NINA).await;
    assert_eq!(
        callback.location.as_deref(),
        Some("/"),
        "admitted by her email's domain"
    );
    let home = nina.get(&live.url("/")).await;
    assert!(
        home.body.contains("Ministère de l&#x27;Intérieur")
            && home.body.contains("en attente d'un rôle"),
        "{}",
        home.body
    );
    assert_eq!(
        nina.get(&live.url("/administration/membres")).await.status,
        403,
        "no role, no permission"
    );
    assert!(
        home.body
            .contains("id=\"ministere-courant\">Ministère de l&#x27;Intérieur</span>"),
        "a ministry-level membership shows the ministry once"
    );

    // Issue 14: Anne withdraws Nina's admission; the rule does not let her back in at her
    // next login (an explicit grant still would).
    let members = anne.get(&live.url("/administration/membres")).await;
    let row = members
        .body
        .split("<tr>")
        .find(|r| r.contains("nina.roux@exemple.gouv.fr"))
        .expect("Nina's row");
    let start = row.find("/administration/membres/").unwrap() + "/administration/membres/".len();
    let membership = row[start..].split('/').next().unwrap();
    let revoked = anne
        .post(
            &live.url(&format!("/administration/membres/{membership}/retrait")),
            &[("_csrf", anne_csrf.as_str())],
        )
        .await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    let mut again = Browser::new();
    assert_eq!(
        live.login(&mut again, NINA).await.location.as_deref(),
        Some("/acces-non-accorde"),
        "not re-admitted by the rule"
    );
    live.finish().await;
}

/// Every route that requires a permission, for every role: allowed exactly where the
/// default policy says so (the policy matrix snapshot in shared/authz), over real HTTP.
#[tokio::test(flavor = "multi_thread")]
async fn every_permissioned_route_answers_every_role_as_the_policy_says() {
    use napoleon_authz::{Permission, allows, default_enforcer};
    use napoleon_gateway::{Access, route_table};
    use napoleon_kernel::Role;

    let live = TestApp::live().await;
    let interieur = live.tenant_id("interieur").await;
    let enforcer = default_enforcer(interieur).await.unwrap();
    let routes: Vec<(http::Method, &str, Permission)> = route_table()
        .into_iter()
        .filter_map(|r| match r.access {
            Access::Permission(p) => Some((r.method, r.path, p)),
            _ => None,
        })
        .collect();
    assert!(!routes.is_empty());
    let db = live.db.app_db().unwrap();
    let email = napoleon_kernel::Email::parse("paul.bernard@interieur.gouv.fr").unwrap();
    let mut paul = Browser::new();
    live.login(&mut paul, PAUL).await;
    for role in Role::ALL {
        // Paul holds exactly this role at the ministry (and his rédacteur role at the Rhône).
        let membership = {
            let mut tx = db.tenant(interieur).await.unwrap();
            let units = core::list_org_units(&mut tx).await.unwrap();
            let root = units.iter().find(|u| u.parent_id.is_none()).unwrap().id;
            let (id, _) = napoleon_db::identity::grant(&mut tx, &email, root, Some(role), "test")
                .await
                .unwrap();
            tx.commit().await.unwrap();
            id
        };
        let csrf = paul.get(&live.url("/")).await.hidden("_csrf");
        for (method, path, permission) in &routes {
            let expected =
                allows(&enforcer, interieur, &[role, Role::Redacteur], *permission).unwrap();
            let url = live.url(&path.replace("{id}", &uuid::Uuid::new_v4().to_string()));
            let page = if *method == http::Method::GET {
                paul.get(&url).await
            } else {
                paul.post(&url, &[("_csrf", csrf.as_str())]).await
            };
            if expected {
                assert_ne!(
                    page.status, 403,
                    "{role:?} {method} {path} should be allowed"
                );
            } else {
                assert_eq!(
                    page.status, 403,
                    "{role:?} {method} {path} should be refused"
                );
            }
        }
        let mut tx = db.tenant(interieur).await.unwrap();
        napoleon_db::identity::revoke(&mut tx, membership)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_administrator_adjusts_the_policy_and_it_applies_at_once() {
    let live = TestApp::live().await;
    let mut marc = Browser::new();
    live.login(&mut marc, MARC).await;
    let picker = marc.get(&live.url("/choisir-ministere")).await;
    let interieur = live.tenant_id("interieur").await.to_string();
    marc.post(
        &live.url("/choisir-ministere"),
        &[
            ("_csrf", picker.hidden("_csrf").as_str()),
            ("tenant", interieur.as_str()),
        ],
    )
    .await;
    assert_eq!(
        marc.get(&live.url("/administration/membres")).await.status,
        200,
        "auditors read members by default"
    );

    let mut anne = Browser::new();
    live.login(&mut anne, ANNE).await;
    let policy = anne.get(&live.url("/administration/politique")).await;
    assert_eq!(policy.status, 200);
    let csrf = policy.hidden("_csrf");
    let checked: Vec<String> = policy
        .body
        .split("<input type=\"checkbox\"")
        .skip(1)
        .filter(|tag| tag[..tag.find('>').unwrap()].contains(" checked"))
        .map(|tag| {
            tag.split("value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(checked.contains(&"auditeur:members:read".to_owned()));

    // Removing the administrator's own management rights is refused, and nothing changes.
    let mut form: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
    form.extend(
        checked
            .iter()
            .filter(|k| *k != "administrateur:policy:manage")
            .map(|k| ("r", k.as_str())),
    );
    let refused = anne
        .post(&live.url("/administration/politique"), &form)
        .await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("Modification refusée"));

    let mut form: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
    form.extend(
        checked
            .iter()
            .filter(|k| *k != "auditeur:members:read")
            .map(|k| ("r", k.as_str())),
    );
    let saved = anne
        .post(&live.url("/administration/politique"), &form)
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        marc.get(&live.url("/administration/membres")).await.status,
        403,
        "applies at once"
    );

    let mut admin = live.admin().await;
    assert_eq!(
        count(
            &mut admin,
            "SELECT count(*) AS n FROM journal.events WHERE kind = 'policy.rules_removed'"
        )
        .await,
        1
    );
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_creates_a_tenant_and_sees_health_but_no_tenant_data() {
    let live = TestApp::live().await;
    let mut olivier = Browser::new();
    let callback = live.login(&mut olivier, OLIVIER).await;
    assert_eq!(callback.location.as_deref(), Some("/exploitation"));
    let page = olivier.get(&live.url("/exploitation")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Base de données joignable")
            && page.body.contains("Ministère de la Culture")
    );
    let csrf = page.hidden("_csrf");

    let invalid = olivier
        .post(
            &live.url("/exploitation/ministeres"),
            &[
                ("_csrf", csrf.as_str()),
                ("name", "Ministère de la Justice"),
                ("slug", "Justice!"),
                ("code", "MJ"),
                ("admin", "chloe.blanc@justice.gouv.fr"),
            ],
        )
        .await;
    assert_eq!(invalid.status, 400);
    assert!(
        invalid.body.contains("value=\"Ministère de la Justice\""),
        "what was typed is kept"
    );
    assert!(
        invalid
            .body
            .contains("Fournisseurs d&#x27;identité de confiance : cochez"),
        "no provider trusted by default (issue 14 review)"
    );
    let created = olivier
        .post(
            &live.url("/exploitation/ministeres"),
            &[
                ("_csrf", csrf.as_str()),
                ("name", "Ministère de la Justice"),
                ("slug", "justice"),
                ("code", "MJ"),
                ("admin", "chloe.blanc@justice.gouv.fr"),
                ("trust-0", "1"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    assert!(
        olivier
            .get(&live.url("/exploitation"))
            .await
            .body
            .contains("<code>justice</code>")
    );
    let taken = olivier
        .post(
            &live.url("/exploitation/ministeres"),
            &[
                ("_csrf", csrf.as_str()),
                ("name", "Autre"),
                ("slug", "justice"),
                ("code", "MJ"),
                ("admin", "x@justice.gouv.fr"),
                ("trust-0", "1"),
            ],
        )
        .await;
    assert!(taken.body.contains("déjà utilisé"));

    let mut admin = live.admin().await;
    let justice = live.tenant_id("justice").await;
    assert_eq!(
        count(&mut admin, &format!("SELECT count(*) AS n FROM core.memberships WHERE tenant_id = '{justice}' AND email = 'chloe.blanc@justice.gouv.fr' AND role = 'administrateur'")).await,
        1,
        "the first administrator"
    );
    let rules = count(
        &mut admin,
        &format!("SELECT count(*) AS n FROM authz.policy_rules WHERE tenant_id = '{justice}'"),
    )
    .await;
    assert!(rules > 40, "the default policy: {rules} rules");
    assert_eq!(
        count(
            &mut admin,
            &format!(
                "SELECT count(*) AS n FROM catalogue.distinctions WHERE tenant_id = '{justice}'"
            )
        )
        .await,
        3
    );

    // No tenant data: an operator holds no role anywhere.
    assert_eq!(
        olivier
            .get(&live.url("/administration/membres"))
            .await
            .location
            .as_deref(),
        Some("/choisir-ministere")
    );
    assert_ne!(
        olivier
            .get(&live.url("/intake/api/v1/identity"))
            .await
            .status,
        200
    );
    // And agents are not operators.
    let mut anne = Browser::new();
    live.login(&mut anne, ANNE).await;
    assert_eq!(anne.get(&live.url("/exploitation")).await.status, 403);
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_ends_after_its_idle_time() {
    // Ten minutes idle; the clock jumps instead of the test sleeping.
    let live =
        TestApp::live_with_sessions(Duration::from_secs(600), Duration::from_secs(86_400)).await;
    let mut browser = Browser::new();
    live.login(&mut browser, CLAIRE).await;
    let logged_in = |page: Page| page.body.contains("Claire Martin");
    assert!(logged_in(browser.get(&live.url("/")).await));
    live.clock.advance(chrono::Duration::seconds(400));
    assert!(
        logged_in(browser.get(&live.url("/")).await),
        "activity extends the session"
    );
    live.clock.advance(chrono::Duration::seconds(400));
    assert!(
        logged_in(browser.get(&live.url("/")).await),
        "past the first idle limit, thanks to activity"
    );
    live.clock.advance(chrono::Duration::seconds(700));
    assert!(
        !logged_in(browser.get(&live.url("/")).await),
        "idle too long"
    );
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_ends_at_its_absolute_lifetime_whatever_the_activity() {
    // Two hours at the most however active (one hour idle); the clock jumps instead of the
    // test sleeping.
    let live =
        TestApp::live_with_sessions(Duration::from_secs(3600), Duration::from_secs(7200)).await;
    let mut browser = Browser::new();
    live.login(&mut browser, CLAIRE).await;
    for _ in 0..2 {
        assert!(
            browser
                .get(&live.url("/"))
                .await
                .body
                .contains("Claire Martin")
        );
        live.clock.advance(chrono::Duration::minutes(50));
    }
    // 130 minutes after login, 30 after the last request: only the absolute limit is past.
    live.clock.advance(chrono::Duration::minutes(30));
    let page = browser.get(&live.url("/")).await;
    assert!(
        !page.body.contains("Claire Martin"),
        "past the absolute lifetime"
    );
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_administrator_of_a_prefecture_cannot_administer_the_ministry() {
    let live = TestApp::live().await;
    let interieur = live.tenant_id("interieur").await;
    let db = live.db.app_db().unwrap();
    {
        let mut tx = db.tenant(interieur).await.unwrap();
        let units = core::list_org_units(&mut tx).await.unwrap();
        let rhone = units.iter().find(|u| u.code.as_str() == "69").unwrap().id;
        let email = napoleon_kernel::Email::parse("paul.bernard@interieur.gouv.fr").unwrap();
        napoleon_db::identity::grant(
            &mut tx,
            &email,
            rhone,
            Some(napoleon_kernel::Role::Administrateur),
            "test",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let (mut paul, csrf) = live.logged_in(PAUL).await;
    assert_eq!(
        paul.get(&live.url("/administration/membres")).await.status,
        403,
        "a role at the Rhône is not the ministry's"
    );
    let escalate = paul
        .post(
            &live.url("/administration/membres"),
            &[
                ("_csrf", csrf.as_str()),
                ("email", "paul.bernard@interieur.gouv.fr"),
                ("unit", "x"),
                ("role", "administrateur"),
            ],
        )
        .await;
    assert_eq!(escalate.status, 403);
    assert_eq!(
        paul.get(&live.url("/administration/politique"))
            .await
            .status,
        403
    );
    live.finish().await;
}

/// Every role of the year has its demo agent, who logs in through the demo provider and sees
/// their name and their ministry.
#[tokio::test(flavor = "multi_thread")]
async fn each_role_of_the_year_logs_in_through_the_demo() {
    use napoleon_testkit::agents::{BRUNO, CHLOE, DENIS, EMMA, JULIE, PIERRE, RENE, SARAH, THOMAS};
    let live = TestApp::live().await;
    for (sub, name, ministry) in [
        (BRUNO, "Bruno Lambert", "Ministère de l"),
        (CHLOE, "Chloé Garcia", "Ministère de l"),
        (PIERRE, "Pierre Fabre", "Ministère de l"),
        (JULIE, "Julie Mercier", "bac à sable de formation"),
        (DENIS, "Denis Robin", "Ministère de l"),
        (SARAH, "Sarah Blanc", "Ministère de l"),
        (RENE, "René Girard", "Ministère de l"),
        (EMMA, "Emma Lefort", "Ministère de la Culture"),
        (THOMAS, "Thomas Vidal", "Ministère de la Culture"),
    ] {
        let mut browser = Browser::new();
        live.login(&mut browser, sub).await;
        let home = browser.get(&live.url("/")).await;
        assert_eq!(home.status, 200, "{sub}: {}", home.body);
        assert!(home.body.contains(name), "{sub}: {}", home.body);
        assert!(home.body.contains(ministry), "{sub}: {}", home.body);
    }
    live.finish().await;
}

/// Finding of the identity review (issue 14): the last administrator could remove their own
/// role, leaving the ministry to an operator. Refused (409, French, nothing changed) while no
/// other administrator holds the ministry; allowed once another does. Failed before its fix.
#[tokio::test(flavor = "multi_thread")]
async fn the_last_administrator_cannot_withdraw_their_own_role() {
    let live = TestApp::live().await;
    let (mut anne, csrf) = live.logged_in(ANNE).await;
    let members = anne.get(&live.url("/administration/membres")).await;
    let own = revoke_form_id(
        &members.body,
        "anne.durand@interieur.gouv.fr",
        "Administrateur ministériel",
    );
    let refused = anne
        .post(
            &live.url(&format!("/administration/membres/{own}/retrait")),
            &[("_csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("dernier rôle d&#x27;administrateur du ministère"),
        "{}",
        refused.body
    );
    let still = anne.get(&live.url("/administration/membres")).await;
    assert_eq!(still.status, 200, "nothing changed, her session included");

    let ministry_unit = option_value(&still.body, "Ministère de l&#x27;Intérieur");
    grant_paul_ministry_administrator(&live, &mut anne, &csrf, &ministry_unit).await;
    let withdrawn = anne
        .post(
            &live.url(&format!("/administration/membres/{own}/retrait")),
            &[("_csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(
        withdrawn.status, 303,
        "another administrator holds the ministry now"
    );
    live.finish().await;
}

/// Finding of the identity review (issue 14): creating a ministry was not atomic. A failure
/// after the tenant row (here: the database refuses its root unit) left a tenant without unit
/// nor administrator, its slug taken for good. Now nothing remains and the operator can try
/// again. Failed before its fix.
#[tokio::test(flavor = "multi_thread")]
async fn a_ministry_is_created_whole_or_not_at_all() {
    let live = TestApp::live().await;
    let mut admin = live.admin().await;
    {
        use diesel_async::SimpleAsyncConnection as _;
        admin
            .batch_execute(
                "CREATE FUNCTION core.test_panne() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN IF NEW.code = 'PANNE' THEN RAISE EXCEPTION 'panne simulée'; END IF; \
                 RETURN NEW; END $$; \
                 CREATE TRIGGER test_panne BEFORE INSERT ON core.org_units \
                 FOR EACH ROW EXECUTE FUNCTION core.test_panne();",
            )
            .await
            .unwrap();
    }
    let mut olivier = Browser::new();
    live.login(&mut olivier, OLIVIER).await;
    let csrf = olivier
        .get(&live.url("/exploitation"))
        .await
        .hidden("_csrf");
    let create = |code: &'static str| {
        [
            ("_csrf", csrf.clone()),
            ("name", "Ministère des Armées".to_owned()),
            ("slug", "armees".to_owned()),
            ("code", code.to_owned()),
            ("admin", "chef@armees.gouv.fr".to_owned()),
            ("trust-0", "1".to_owned()),
        ]
    };
    let pairs = create("PANNE");
    let form: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let failed = olivier
        .post(&live.url("/exploitation/ministeres"), &form)
        .await;
    assert!(failed.status >= 500, "{}", failed.status);
    assert_eq!(
        count(
            &mut admin,
            "SELECT count(*) AS n FROM core.tenants WHERE slug = 'armees'"
        )
        .await,
        0,
        "no half-made ministry"
    );
    {
        use diesel_async::SimpleAsyncConnection as _;
        admin
            .batch_execute(
                "DROP TRIGGER test_panne ON core.org_units; DROP FUNCTION core.test_panne();",
            )
            .await
            .unwrap();
    }
    let pairs = create("MA");
    let form: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = olivier
        .post(&live.url("/exploitation/ministeres"), &form)
        .await;
    assert_eq!(
        created.status, 303,
        "the slug is free again: {}",
        created.body
    );
    live.finish().await;
}

/// Finding of the identity review (issue 14): session ids were stored in clear, so whoever
/// read `core.sessions` (a backup, a replica) could present them. The table keeps their
/// SHA-256 only, and the cookie still works. Failed before its fix.
#[tokio::test(flavor = "multi_thread")]
async fn session_ids_are_stored_as_digests_only() {
    let live = TestApp::live().await;
    let (mut paul, _) = live.logged_in(PAUL).await;
    let cookie = paul.cookie(&live.base, "napoleon_session").unwrap();
    let mut admin = live.admin().await;
    assert_eq!(
        count(
            &mut admin,
            &format!("SELECT count(*) AS n FROM core.sessions WHERE id = '{cookie}'")
        )
        .await,
        0,
        "never the id itself"
    );
    assert_eq!(
        count(
            &mut admin,
            &format!(
                "SELECT count(*) AS n FROM core.sessions \
                 WHERE id = encode(sha256(convert_to('{cookie}', 'UTF8')), 'hex')"
            )
        )
        .await,
        1
    );
    assert_eq!(
        paul.get(&live.url("/")).await.status,
        200,
        "the session works"
    );
    live.finish().await;
}

/// Review of the last-administrator fix: two administrators withdrawing each other at the
/// same moment must not both succeed (each counted the other before either committed).
#[tokio::test(flavor = "multi_thread")]
async fn two_administrators_withdrawing_each_other_at_once_leave_one() {
    let live = TestApp::live().await;
    let (mut anne, anne_csrf) = live.logged_in(ANNE).await;
    let members = anne.get(&live.url("/administration/membres")).await;
    let ministry_unit = option_value(&members.body, "Ministère de l&#x27;Intérieur");
    grant_paul_ministry_administrator(&live, &mut anne, &anne_csrf, &ministry_unit).await;
    let (mut paul, paul_csrf) = live.logged_in(PAUL).await;
    let members = anne.get(&live.url("/administration/membres")).await;
    let role = "Administrateur ministériel";
    let annes = revoke_form_id(&members.body, "anne.durand@interieur.gouv.fr", role);
    let pauls = revoke_form_id(&members.body, "paul.bernard@interieur.gouv.fr", role);
    let anne_url = live.url(&format!("/administration/membres/{pauls}/retrait"));
    let paul_url = live.url(&format!("/administration/membres/{annes}/retrait"));
    let anne_form = [("_csrf", anne_csrf.as_str())];
    let paul_form = [("_csrf", paul_csrf.as_str())];
    let (by_anne, by_paul) = tokio::join!(
        anne.post(&anne_url, &anne_form),
        paul.post(&paul_url, &paul_form),
    );
    let statuses = [by_anne.status, by_paul.status];
    assert!(
        statuses.contains(&303) && statuses.contains(&409),
        "{statuses:?}"
    );
    let mut admin = live.admin().await;
    assert_eq!(
        count(
            &mut admin,
            "SELECT count(*) AS n FROM core.memberships m \
             JOIN core.org_units u ON u.tenant_id = m.tenant_id AND u.id = m.unit_id \
             JOIN core.tenants t ON t.id = m.tenant_id \
             WHERE t.slug = 'interieur' AND m.role = 'administrateur' AND u.kind = 'ministere'"
        )
        .await,
        1
    );
    live.finish().await;
}
