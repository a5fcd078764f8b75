//! Issue 14's identity findings, each against the ProConnect-shaped peer (npm
//! `oidc-provider`) on another origin: identity follows (issuer, subject), never an e-mail
//! from just any provider; a tenant sees only the agents it knows and ends no other tenant's
//! sessions; a tenant's acr holds at every request.

use napoleon_testkit::agents::{ANNE, LUCIE, OLIVIER};
use napoleon_testkit::{Browser, TestApp, TestDb, count};
use serde_json::json;

use crate::login::{option_value, revoke_form_id};
use crate::proconnect::{proconnect_like, proconnect_like_with, through_provider};

/// Logs in through the configured provider `provider` as `sub`; where the callback sends the
/// browser.
async fn login_through(browser: &mut Browser, live: &TestApp, provider: &str, sub: &str) -> String {
    let start = browser
        .get(&live.url(&format!("/connexion/{provider}")))
        .await;
    let callback = through_provider(browser, start, &live.base, sub).await;
    let landed = browser.get(&callback).await;
    assert_eq!(landed.status, 303, "{}", landed.body);
    landed.location.unwrap_or_default()
}

/// Anne, the Interior's administrator, grants `role` at the ministry to `email` on the
/// members page; her browser and CSRF token.
async fn anne_grants(live: &TestApp, email: &str, role: &str) -> (Browser, String) {
    let (mut anne, csrf) = live.logged_in(ANNE).await;
    let members = anne.get(&live.url("/administration/membres")).await;
    let unit = option_value(&members.body, "Ministère de l&#x27;Intérieur");
    let granted = anne
        .post(
            &live.url("/administration/membres"),
            &[
                ("_csrf", csrf.as_str()),
                ("email", email),
                ("unit", unit.as_str()),
                ("role", role),
            ],
        )
        .await;
    assert_eq!(granted.status, 303, "{}", granted.body);
    (anne, csrf)
}

/// Finding 1: an operator is pinned to the issuer they were added with. Another configured
/// provider asserting their e-mail gets no operator page, before their first login or after.
#[tokio::test(flavor = "multi_thread")]
async fn an_impostor_issuer_asserting_an_operators_email_is_refused() {
    let (listener, base) = TestApp::bind().await;
    let (_peer, impostor, _dir) = proconnect_like_with(
        &base,
        "autre",
        json!({ "faux-olivier": {
            "email": "olivier.garnier@numerique.gouv.fr", "email_verified": true,
            "given_name": "Olivier", "usual_name": "Garnier", "idp_id": "idp-autre"
        }}),
    )
    .await;
    let live = TestApp::serve_live(listener, base, vec![impostor]).await;
    for round in ["before the operator's first login", "after it"] {
        let mut browser = Browser::new();
        let landed = login_through(&mut browser, &live, "autre", "faux-olivier").await;
        assert_eq!(landed, "/acces-non-accorde", "{round}");
        assert_eq!(
            browser.get(&live.url("/exploitation")).await.status,
            403,
            "{round}"
        );
        if round.starts_with("before") {
            let mut olivier = Browser::new();
            live.login(&mut olivier, OLIVIER).await;
            assert_eq!(olivier.get(&live.url("/exploitation")).await.status, 200);
        }
    }
    let mut admin = live.admin().await;
    assert_eq!(
        count(
            &mut admin,
            "SELECT count(*) AS n FROM core.operators o JOIN core.agents a ON a.id = o.agent_id \
             WHERE a.subject = 'demo-olivier.garnier' AND o.issuer = a.issuer"
        )
        .await,
        1,
        "pinned to the real one's issuer and subject"
    );
    live.finish().await;
}

/// Finding 1: a grant made to an e-mail is claimed only with an e-mail the provider did not
/// declare unverified, and only through a provider the tenant trusts (set by an operator).
#[tokio::test(flavor = "multi_thread")]
async fn an_unverified_email_or_an_untrusted_provider_cannot_claim_a_grant() {
    let (listener, base) = TestApp::bind().await;
    let person = |verified: bool| {
        json!({
            "email": "nouvelle.agente@interieur.gouv.fr", "email_verified": verified,
            "given_name": "Nouvelle", "usual_name": "Agente", "idp_id": "idp-interieur"
        })
    };
    let (_trusted_peer, trusted, _d1) = proconnect_like_with(
        &base,
        "proconnect",
        json!({ "non-verifiee": person(false), "verifiee": person(true) }),
    )
    .await;
    let (_other_peer, other, _d2) =
        proconnect_like_with(&base, "autre", json!({ "ailleurs": person(true) })).await;
    let live = TestApp::serve_live(listener, base, vec![trusted, other]).await;
    let interieur = live.tenant_id("interieur").await;

    // The operator: Interior trusts the development provider and `proconnect`, not `autre`.
    let mut olivier = Browser::new();
    live.login(&mut olivier, OLIVIER).await;
    let csrf = olivier
        .get(&live.url("/exploitation"))
        .await
        .hidden("_csrf");
    let saved = olivier
        .post(
            &live.url(&format!("/exploitation/ministeres/{interieur}/connexion")),
            &[("_csrf", csrf.as_str()), ("trust-0", "1"), ("trust-1", "1")],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);

    // Anne grants a role to an e-mail nobody has logged in with yet.
    anne_grants(&live, "nouvelle.agente@interieur.gouv.fr", "redacteur").await;
    let mut admin = live.admin().await;
    let unclaimed = "SELECT count(*) AS n FROM core.memberships \
                     WHERE email = 'nouvelle.agente@interieur.gouv.fr' AND agent_id IS NULL";

    for (provider, sub) in [("proconnect", "non-verifiee"), ("autre", "ailleurs")] {
        let mut browser = Browser::new();
        let landed = login_through(&mut browser, &live, provider, sub).await;
        assert_eq!(landed, "/acces-non-accorde", "{sub}");
        assert_eq!(count(&mut admin, unclaimed).await, 1, "{sub}: not claimed");
    }
    // The control: verified, through a trusted provider.
    let mut browser = Browser::new();
    assert_eq!(
        login_through(&mut browser, &live, "proconnect", "verifiee").await,
        "/"
    );
    assert_eq!(count(&mut admin, unclaimed).await, 0, "claimed");
    live.finish().await;
}

/// Finding 2: an administrator who grants a role to another ministry's agent does not see
/// that agent's name, and withdrawing it ends none of the agent's sessions elsewhere.
#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_sees_only_agents_it_knows_and_ends_no_other_tenants_session() {
    let live = TestApp::live().await;
    let mut lucie = Browser::new();
    live.login(&mut lucie, LUCIE).await;
    assert!(
        lucie
            .get(&live.url("/"))
            .await
            .body
            .contains("Lucie Moreau")
    );

    let (mut anne, csrf) = anne_grants(&live, "lucie.moreau@culture.gouv.fr", "auditeur").await;
    let members = anne.get(&live.url("/administration/membres")).await;
    assert!(members.body.contains("lucie.moreau@culture.gouv.fr"));
    assert!(
        !members.body.contains("Lucie Moreau"),
        "another ministry's agent stays an e-mail"
    );
    // The database agrees: Interior's transaction sees no agent of that e-mail.
    {
        let db = live.db.app_db().unwrap();
        let mut tx = db.tenant(live.tenant_id("interieur").await).await.unwrap();
        assert_eq!(
            count(
                tx.pg(),
                "SELECT count(*) AS n FROM core.agents WHERE email = 'lucie.moreau@culture.gouv.fr'"
            )
            .await,
            0
        );
        tx.rollback().await;
    }

    let membership = revoke_form_id(&members.body, "lucie.moreau@culture.gouv.fr", "Auditeur");
    let revoked = anne
        .post(
            &live.url(&format!("/administration/membres/{membership}/retrait")),
            &[("_csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(revoked.status, 303);
    let home = lucie.get(&live.url("/")).await;
    assert_eq!(home.status, 200);
    assert!(
        home.body.contains("Lucie Moreau") && home.body.contains("Ministère de la Culture"),
        "her session in her own ministry goes on"
    );
    live.finish().await;
}

/// Finding 3: an operator raising a tenant's acr sends the sessions already open there to
/// step up at their next request; a malformed setting changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn raising_a_tenants_acr_sends_an_open_session_to_step_up() {
    let (listener, base) = TestApp::bind().await;
    let (_peer, provider, _dir) = proconnect_like(&base).await;
    let live = TestApp::serve_live(listener, base, vec![provider]).await;
    let interieur = live.tenant_id("interieur").await;
    let mut claire = Browser::new();
    assert_eq!(
        login_through(&mut claire, &live, "proconnect", "agent-claire").await,
        "/"
    );
    assert_eq!(
        claire
            .get(&live.url("/intake/api/v1/identity"))
            .await
            .status,
        200
    );

    let mut olivier = Browser::new();
    live.login(&mut olivier, OLIVIER).await;
    let csrf = olivier
        .get(&live.url("/exploitation"))
        .await
        .hidden("_csrf");
    let settings = format!("/exploitation/ministeres/{interieur}/connexion");
    let invalid = olivier
        .post(
            &live.url(&settings),
            &[
                ("_csrf", csrf.as_str()),
                ("trust-0", "1"),
                ("acr", "eidas9"),
            ],
        )
        .await;
    assert_eq!(invalid.status, 400);
    assert!(
        invalid
            .body
            .contains("Niveau d&#x27;authentification exigé")
    );
    let mut admin = live.admin().await;
    let unchanged = format!(
        "SELECT count(*) AS n FROM core.tenants WHERE id = '{interieur}' \
         AND required_acr = '{{}}' AND cardinality(trusted_issuers) = 2"
    );
    assert_eq!(count(&mut admin, &unchanged).await, 1, "nothing changed");
    let raised = olivier
        .post(
            &live.url(&settings),
            &[
                ("_csrf", csrf.as_str()),
                ("trust-0", "1"),
                ("trust-1", "1"),
                ("acr", "eidas3"),
            ],
        )
        .await;
    assert_eq!(raised.status, 303, "{}", raised.body);

    let next = claire.get(&live.url("/")).await;
    assert_eq!(
        next.location.as_deref(),
        Some(format!("/authentification-renforcee?ministere={interieur}").as_str())
    );
    let page = claire.get(&next.next()).await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("Authentification renforcée requise"));
    assert!(
        page.body.contains("/connexion/proconnect?acr=eidas3"),
        "{}",
        page.body
    );
    assert_ne!(
        claire
            .get(&live.url("/intake/api/v1/identity"))
            .await
            .status,
        200,
        "no service request below the level"
    );
    assert_eq!(
        count(
            &mut admin,
            "SELECT count(*) AS n FROM journal.events WHERE kind = 'tenant.login_changed' AND actor LIKE 'agent:%'"
        )
        .await,
        1
    );
    live.finish().await;
}

/// `napoleon operators add|list|remove`, as the real binary: an unknown provider or a
/// malformed e-mail is refused (exit 2) and changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn operators_are_added_listed_and_removed_from_the_command_line() {
    let tdb = TestDb::new().await.unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_napoleon"))
            .args(args)
            .env_remove("NAPOLEON_CONFIG")
            .env("NAPOLEON__DATABASE__URL", tdb.app_url().expose())
            .env(
                "NAPOLEON__OIDC__PROVIDERS",
                "[{name=\"proconnect\", label=\"ProConnect\", issuer=\"https://auth.agentconnect.gouv.fr/api/v2\", client_id=\"napoleon\", client_secret=\"a-client-secret-of-more-than-32-characters\"}]",
            )
            .output()
            .unwrap()
    };
    let unknown = run(&[
        "operators",
        "add",
        "chef@numerique.gouv.fr",
        "--provider",
        "autre",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no provider named `autre`"));
    let malformed = run(&["operators", "add", "chef", "--provider", "proconnect"]);
    assert_eq!(malformed.status.code(), Some(2));
    let empty = run(&["operators", "list"]);
    assert_eq!(String::from_utf8_lossy(&empty.stdout).trim(), "no operator");

    let added = run(&[
        "operators",
        "add",
        "Chef@Numerique.gouv.fr",
        "--provider",
        "proconnect",
    ]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let listed = String::from_utf8_lossy(&run(&["operators", "list"]).stdout).into_owned();
    assert!(
        listed.contains("chef@numerique.gouv.fr\thttps://auth.agentconnect.gouv.fr/api/v2\twaiting for the first login"),
        "{listed}"
    );
    assert!(
        run(&["operators", "remove", "chef@numerique.gouv.fr"])
            .status
            .success()
    );
    assert_eq!(
        run(&["operators", "remove", "chef@numerique.gouv.fr"])
            .status
            .code(),
        Some(2)
    );
    tdb.finish().await;
}

/// The review of issue 14: a login through the operator's own provider but below
/// `platform.operator_acr` must not pin the waiting operator row (and so take it for good).
#[tokio::test(flavor = "multi_thread")]
async fn a_login_below_the_operators_acr_pins_nothing() {
    let (listener, base) = TestApp::bind().await;
    let (_peer, provider, _dir) = proconnect_like_with(
        &base,
        "proconnect",
        json!({ "chef": {
            "email": "chef@numerique.gouv.fr", "given_name": "Chef", "usual_name": "Plateforme",
            "idp_id": "idp-faible"
        }}),
    )
    .await;
    let issuer = provider.issuer.clone();
    let live = TestApp::serve_live(listener, base, vec![provider]).await;
    let mut admin = live.admin().await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(
            "INSERT INTO core.operators (email, issuer) VALUES ('chef@numerique.gouv.fr', $1)",
        )
        .bind::<diesel::sql_types::Text, _>(issuer.as_str()),
        &mut admin,
    )
    .await
    .unwrap();
    let mut browser = Browser::new();
    let landed = login_through(&mut browser, &live, "proconnect", "chef").await;
    assert_eq!(landed, "/acces-non-accorde");
    assert_eq!(browser.get(&live.url("/exploitation")).await.status, 403);
    assert_eq!(
        count(
            &mut admin,
            "SELECT count(*) AS n FROM core.operators WHERE email = 'chef@numerique.gouv.fr' AND agent_id IS NULL"
        )
        .await,
        1,
        "still waiting for a login at the operators' level"
    );
    live.finish().await;
}
