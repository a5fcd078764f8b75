//! Split mode: the gateway and every service as separate `napoleon serve <service>`
//! processes, two gateways and two intake instances. A login made through one gateway works
//! through the other, reaching the other intake instance, and a dossier taken through one gateway is in the
//! instructor's queue through the other: sessions live in PostgreSQL and
//! services keep no local state.

use base64::Engine as _;
use napoleon_identity::AssertionSigner;
use napoleon_testkit::{Process, TestDb};

use crate::proconnect::{free_port, proconnect_like, providers_env, through_provider};
use napoleon_testkit::Browser;

/// `napoleon serve <service>` on a free port, ready (the harness's split-process mode).
async fn serve(service: &str, db: &TestDb, env: &[(&str, String)]) -> Process {
    start(service, db, env, free_port()).await
}

/// [`Process::start`] of this crate's binary.
pub async fn start(service: &str, db: &TestDb, env: &[(&str, String)], port: u16) -> Process {
    Process::start(env!("CARGO_BIN_EXE_napoleon"), service, db, env, port).await
}

#[tokio::test(flavor = "multi_thread")]
async fn gateways_and_services_in_separate_processes_share_nothing_but_the_database() {
    let db = TestDb::new().await.unwrap();
    // Trusting no issuer yet: the activity's agents (from another issuer) leave the grants
    // unclaimed, for Claire's login through the provider below.
    napoleon::demo::seed(&db.app_db().unwrap(), &[])
        .await
        .unwrap();
    // Dossiers at every state, created through the services' API in this test process.
    let seeder = AssertionSigner::generate("seed").unwrap();
    let seed_ctx = napoleon_web::WebContext::new(
        db.app_db().unwrap(),
        napoleon::app::templates().unwrap(),
        seeder.verifier(),
    )
    .with_pieces(napoleon_storage::PieceStore::local(&db.pieces_dir()).unwrap());
    napoleon::demo_activity::seed_activity(&seed_ctx, &seeder, "https://demo.invalid/dev-idp")
        .await
        .unwrap();

    let (signing_key, verify_keys) = assertion_keys("split");
    let services_env = [("NAPOLEON__ASSERTION__VERIFY_KEYS", verify_keys)];
    let (platform_key, _) = napoleon_identity::platform::generate("split-platform").unwrap();

    let intake_a = serve("intake", &db, &services_env).await;
    let intake_b = serve("intake", &db, &services_env).await;
    let instruction = serve("instruction", &db, &services_env).await;
    let decisions = serve("decisions", &db, &services_env).await;
    let promotion = serve("promotion", &db, &services_env).await;

    // Both gateways answer at the same public URL as far as the provider knows (the first's);
    // the session cookie is then replayed against the second, as a load balancer would.
    let public_port = free_port();
    let public = format!("http://127.0.0.1:{public_port}");
    let (_provider, provider, _dir) = proconnect_like(&public).await;
    napoleon_testkit::trust_issuer(
        &mut TestDb::connect(&db.admin_url()).await.unwrap(),
        &provider.issuer,
    )
    .await;
    let providers = providers_env(&provider);
    let gateway_env = |intake: &Process| {
        vec![
            ("NAPOLEON__SERVER__PUBLIC_URL", public.clone()),
            ("NAPOLEON__OIDC__PROVIDERS", providers.clone()),
            ("NAPOLEON__ASSERTION__SIGNING_KEY", signing_key.clone()),
            ("NAPOLEON__KEYS__SIGNING_KEY", platform_key.clone()),
            ("NAPOLEON__GATEWAY__TARGETS__INTAKE", intake.base.clone()),
            (
                "NAPOLEON__GATEWAY__TARGETS__INSTRUCTION",
                instruction.base.clone(),
            ),
            (
                "NAPOLEON__GATEWAY__TARGETS__DECISIONS",
                decisions.base.clone(),
            ),
            (
                "NAPOLEON__GATEWAY__TARGETS__PROMOTION",
                promotion.base.clone(),
            ),
        ]
    };
    // The first gateway listens on the public port itself.
    let gateway_a = start("gateway", &db, &gateway_env(&intake_a), public_port).await;
    let gateway_b = serve("gateway", &db, &gateway_env(&intake_b)).await;

    let mut browser = Browser::new();
    let start = browser
        .get(&format!("{}/connexion/proconnect", gateway_a.base))
        .await;
    let callback = through_provider(&mut browser, start, &gateway_a.base, "agent-claire").await;
    let landed = browser.get(&callback).await;
    assert_eq!(landed.location.as_deref(), Some("/"), "{}", landed.body);

    let (status, through_a) = browser
        .get_json(&format!("{}/intake/api/v1/identity", gateway_a.base))
        .await;
    assert_eq!(status, 200, "{through_a}");
    let session = browser.cookie(&gateway_a.base, "napoleon_session").unwrap();
    browser.set_cookie(&gateway_b.base, "napoleon_session", &session);
    let (status, through_b) = browser
        .get_json(&format!("{}/intake/api/v1/identity", gateway_b.base))
        .await;
    assert_eq!(status, 200, "{through_b}");
    assert_eq!(through_a["agent"], through_b["agent"]);
    assert_eq!(through_a["tenant"], through_b["tenant"]);
    for service in ["instruction", "decisions", "promotion"] {
        let (status, identity) = browser
            .get_json(&format!("{}/{service}/api/v1/identity", gateway_b.base))
            .await;
        assert_eq!((status, identity["service"].as_str()), (200, Some(service)));
    }
    // A query the URL parser re-encodes on the way (a quote): the assertion names the target
    // as sent, so the service accepts it (the review of issue 14 found a 401 here).
    // (Sent raw: an HTTP client would encode the quote itself.)
    let head = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = gateway_b.base.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
        let request = format!(
            "GET /intake/api/v1/identity?nom=d'Artagnan HTTP/1.1\r\nHost: {host}\r\n\
             Cookie: napoleon_session={session}\r\nAccept: application/json\r\n\
             Connection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        String::from_utf8_lossy(&answer).into_owned()
    };
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");

    // A service reached directly, without the gateway, refuses.
    let direct = openidconnect::reqwest::Client::new()
        .get(format!("{}/intake/api/v1/identity", intake_b.base))
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status().as_u16(), 401);

    // A state-changing call through the second gateway, with the first gateway's session.
    let home = browser.get(&format!("{}/", gateway_b.base)).await;
    let csrf = home.hidden("_csrf");
    let case = r#"{"distinction":"LH","grade":"chevalier","assessed_on":"2027-07-14","candidate":{"birth_date":"1970-01-01","nationality":"FR","services":[{"from":"2000-01-01","to":null,"kind":"public"}],"awards":[],"mandates":[]}}"#;
    let checked = browser
        .post_json(
            &format!("{}/api/v1/eligibility", gateway_b.base),
            case,
            Some(&csrf),
        )
        .await;
    assert_eq!(checked.status, 200, "{}", checked.body);

    // A dossier transition through the second gateway (to the instruction process), seen at
    // once through the first.
    let (status, todo) = browser
        .get_json(&format!(
            "{}/instruction/api/v1/queue?tab=todo",
            gateway_b.base
        ))
        .await;
    assert_eq!(status, 200, "{todo}");
    let dossier = todo
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["state"] == "depose")
        .unwrap_or_else(|| panic!("a dossier to take: {todo}"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let taken = browser
        .post_json(
            &format!(
                "{}/instruction/api/v1/dossiers/{dossier}/take",
                gateway_b.base
            ),
            "{}",
            Some(&csrf),
        )
        .await;
    assert_eq!(taken.status, 204, "{}", taken.body);
    let (status, followed) = browser
        .get_json(&format!(
            "{}/instruction/api/v1/queue?tab=followed",
            gateway_a.base
        ))
        .await;
    assert_eq!(status, 200);
    assert!(
        followed
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == dossier.as_str() && d["state"] == "en_instruction"),
        "{followed}"
    );
    db.finish().await;
}

/// A fresh assertion signing key (`NAPOLEON__ASSERTION__SIGNING_KEY`, the gateway's) and the
/// verification keys services are given (`NAPOLEON__ASSERTION__VERIFY_KEYS`).
fn assertion_keys(kid: &str) -> (String, String) {
    let mut seed = [0_u8; 32];
    getrandom::fill(&mut seed).unwrap();
    let signing_key = format!(
        "{kid}:{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(seed)
    );
    let verify_keys = format!(
        "[\"{}\"]",
        AssertionSigner::from_config(&signing_key)
            .unwrap()
            .public_config()
    );
    (signing_key, verify_keys)
}

/// A throwaway CA and a certificate for 127.0.0.1 it signs, made with `openssl`: the CA's
/// and the certificate's and key's paths.
fn certificates(dir: &std::path::Path) -> Pki {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "1",
        "-subj",
        "/CN=Napoleon test CA",
    ]);
    let path = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    // A leaf for `san` with its own key, signed by the CA.
    let issue = |name: &str, san: &str| {
        let (key, csr, crt, ext) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
            format!("{name}.cnf"),
        );
        std::fs::write(
            dir.join(&ext),
            format!(
                "subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            ),
        )
        .unwrap();
        run(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            "/CN=napoleon-test",
        ]);
        run(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &crt,
            "-days",
            "1",
            "-extfile",
            &ext,
        ]);
        (path(&crt), path(&key))
    };
    Pki {
        service: issue("svc", "IP:127.0.0.1"),
        gateway: issue("gateway", &format!("DNS:{GATEWAY_NAME}")),
        ca: path("ca.crt"),
    }
}

/// A process serving TLS at `base` answers nothing in clear.
async fn nothing_in_clear(base: &str) {
    let plain = base.replacen("https://", "http://", 1);
    let refused = openidconnect::reqwest::Client::new()
        .get(format!("{plain}/healthz"))
        .send()
        .await;
    assert!(
        refused.is_err() || !refused.unwrap().status().is_success(),
        "{base}: no answer in clear"
    );
}

/// The name in the gateway's own certificate (in the chart: its Service's name).
const GATEWAY_NAME: &str = "napoleon-gateway";

/// A test CA and two leaves, each (certificate, key) as file paths: the services' certificate
/// for 127.0.0.1 (TLS between pods) and the gateway's own for [`GATEWAY_NAME`] (TLS from the
/// ingress).
struct Pki {
    ca: String,
    service: (String, String),
    gateway: (String, String),
}

/// Issue 14, Build 5: TLS between pods. A service given a certificate serves only TLS; the
/// gateway, trusting the CA, reaches it over TLS with the agent's assertion; plain HTTP to
/// the service gets nothing. The same for the leg from the ingress to the gateway (the
/// chart's `ingress.backendTls`), with the gateway's own certificate.
#[tokio::test(flavor = "multi_thread")]
async fn tls_from_the_ingress_to_the_gateway_and_between_pods() {
    let db = TestDb::new().await.unwrap();
    napoleon::demo::seed(&db.app_db().unwrap(), &[])
        .await
        .unwrap();
    let dir = crate::proconnect::tempdir::Dir::new();
    let Pki {
        ca,
        service: (cert, key),
        gateway: (gateway_cert, gateway_key),
    } = certificates(&dir.path);
    let (signing_key, verify_keys) = assertion_keys("tls");
    let intake = serve(
        "intake",
        &db,
        &[
            ("NAPOLEON__ASSERTION__VERIFY_KEYS", verify_keys),
            ("NAPOLEON__SERVER__TLS_CERT_FILE", cert),
            ("NAPOLEON__SERVER__TLS_KEY_FILE", key),
        ],
    )
    .await;
    assert!(intake.base.starts_with("https://"));

    let public_port = free_port();
    let public = format!("http://127.0.0.1:{public_port}");
    let (_provider, provider, _pdir) = proconnect_like(&public).await;
    napoleon_testkit::trust_issuer(
        &mut TestDb::connect(&db.admin_url()).await.unwrap(),
        &provider.issuer,
    )
    .await;
    let (platform_key, _) = napoleon_identity::platform::generate("tls-platform").unwrap();
    // Both gateways below: the same keys, provider and target; one trusts the CA.
    let gateway_env = vec![
        ("NAPOLEON__SERVER__PUBLIC_URL", public.clone()),
        ("NAPOLEON__OIDC__PROVIDERS", providers_env(&provider)),
        ("NAPOLEON__ASSERTION__SIGNING_KEY", signing_key),
        ("NAPOLEON__KEYS__SIGNING_KEY", platform_key),
        ("NAPOLEON__GATEWAY__TARGETS__INTAKE", intake.base.clone()),
    ];
    let mut trusting = gateway_env.clone();
    trusting.push(("NAPOLEON__GATEWAY__TARGETS_CA_FILE", ca.clone()));
    let gateway = start("gateway", &db, &trusting, public_port).await;
    let mut browser = Browser::new();
    let start_login = browser
        .get(&format!("{}/connexion/proconnect", gateway.base))
        .await;
    let callback = through_provider(&mut browser, start_login, &gateway.base, "agent-claire").await;
    assert_eq!(browser.get(&callback).await.location.as_deref(), Some("/"));
    let (status, identity) = browser
        .get_json(&format!("{}/intake/api/v1/identity", gateway.base))
        .await;
    assert_eq!(
        (status, identity["service"].as_str()),
        (200, Some("intake"))
    );

    // A gateway that does not trust the CA gets nothing from the service (the same session
    // replayed there, as behind a load balancer): the certificate is checked.
    let untrusting = start("gateway", &db, &gateway_env, free_port()).await;
    let session = browser.cookie(&gateway.base, "napoleon_session").unwrap();
    browser.set_cookie(&untrusting.base, "napoleon_session", &session);
    let (status, _) = browser
        .get_json(&format!("{}/intake/api/v1/identity", untrusting.base))
        .await;
    assert_ne!(status, 200, "an unknown issuer's certificate is refused");

    // In clear, the service answers nothing.
    nothing_in_clear(&intake.base).await;

    // From the ingress: a gateway given its own certificate serves only TLS; the ingress
    // controller, trusting the CA, reaches it over TLS, and through it the service.
    let mut edge = trusting.clone();
    edge.push(("NAPOLEON__SERVER__TLS_CERT_FILE", gateway_cert));
    edge.push(("NAPOLEON__SERVER__TLS_KEY_FILE", gateway_key));
    let port = free_port();
    let behind_ingress = start("gateway", &db, &edge, port).await;
    let root = openidconnect::reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap();
    // The controller reaches the gateway by its Service's name, checking it.
    let ingress = openidconnect::reqwest::ClientBuilder::new()
        .add_root_certificate(root.clone())
        .resolve(GATEWAY_NAME, ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    let through = ingress
        .get(format!(
            "https://{GATEWAY_NAME}:{port}/intake/api/v1/identity"
        ))
        .header("cookie", format!("napoleon_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(through.status().as_u16(), 200);
    let identity: serde_json::Value =
        serde_json::from_slice(&through.bytes().await.unwrap()).unwrap();
    assert_eq!(identity["service"], "intake", "{identity}");
    // Refused: a client that does not trust the CA, and one that expects the services'
    // name (127.0.0.1) — the gateway serves its own certificate, not theirs.
    let untrusted = openidconnect::reqwest::ClientBuilder::new()
        .resolve(GATEWAY_NAME, ([127, 0, 0, 1], port).into())
        .build()
        .unwrap()
        .get(format!("https://{GATEWAY_NAME}:{port}/healthz"))
        .send()
        .await;
    let wrong_name = openidconnect::reqwest::ClientBuilder::new()
        .add_root_certificate(root)
        .build()
        .unwrap()
        .get(format!("{}/healthz", behind_ingress.base))
        .send()
        .await;
    for (refused, why) in [
        (untrusted, "UnknownIssuer"),
        (wrong_name, "NotValidForName"),
    ] {
        let error = format!("{:?}", refused.expect_err(why));
        assert!(error.contains(why), "{why}: {error}");
    }
    nothing_in_clear(&behind_ingress.base).await;
    drop((intake, gateway, untrusting, behind_ingress));
    db.finish().await;
}
