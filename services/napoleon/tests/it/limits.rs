//! One request must never kill or freeze the server: hostile forms, oversized bodies, slow
//! clients and too many requests at once, over real HTTP against the server loop `napoleon
//! serve` runs. Each answers a French 4xx (or, for a client that never finishes its request
//! head, a closed connection) in bounded time, changes nothing, and the server keeps serving
//! other requests meanwhile.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use napoleon_testkit::Browser;
use napoleon_testkit::TestApp;
use napoleon_testkit::agents::PAUL;
use napoleon_testkit::count;

/// The stored content of a dossier and the number of its journal events.
async fn snapshot(live: &TestApp, dossier: &str) -> (String, i64) {
    let mut conn = live.admin().await;
    let content = napoleon_testkit::text(
        &mut conn,
        &format!("SELECT content::text AS t FROM intake.dossiers WHERE id = '{dossier}'"),
    )
    .await;
    let events = count(
        &mut conn,
        &format!("SELECT count(*) AS n FROM journal.events WHERE subject = 'dossier:{dossier}'"),
    )
    .await;
    (content, events)
}

fn form(csrf: &str, hostile: &str) -> String {
    let csrf: String = form_urlencoded::byte_serialize(csrf.as_bytes()).collect();
    format!("_csrf={csrf}&_action=enregistrer&{hostile}")
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_forms_answer_a_french_422_quickly_while_other_routes_are_served() {
    let live = TestApp::live_with_activity().await;
    let (mut browser, csrf) = live.logged_in(PAUL).await;
    let draft = live.first_draft(&mut browser).await;
    let before = snapshot(&live, &draft).await;
    let career = live.url(&format!("/intake/dossiers/{draft}/etape/2"));
    let distinctions = live.url(&format!("/intake/dossiers/{draft}/etape/3"));
    let ten_thousand_rows: Vec<String> =
        (0..10_000).map(|i| format!("career-{i}-from=x")).collect();
    let forty_one_rows: Vec<String> = (0..41).map(|i| format!("career-{i}-from=x")).collect();
    let cases = [
        (
            &career,
            "career-100000000000000-from=x".to_owned(),
            "Carrière : ",
        ),
        (
            &career,
            ten_thousand_rows.join("&"),
            "Le formulaire envoyé contient plus de 2\u{202f}000 champs",
        ),
        (
            &career,
            forty_one_rows.join("&"),
            "Carrière : 40 périodes au plus",
        ),
        (&career, "career--1-from=x".to_owned(), "Carrière : "),
        (&career, "career-x-from=x".to_owned(), "Carrière : "),
        (&career, "career-1-salaire=x".to_owned(), "Carrière : "),
        (
            &distinctions,
            "distinctions-1000000000000-grade=chevalier".to_owned(),
            "Distinctions détenues : ",
        ),
    ];
    let mut hostile = tokio::task::JoinSet::new();
    for (url, fields, expected) in cases {
        let mut twin = browser.twin();
        let (url, body) = (url.clone(), form(&csrf, &fields));
        hostile.spawn(async move {
            let started = Instant::now();
            let page = tokio::time::timeout(
                Duration::from_secs(20),
                twin.post_raw(&url, "application/x-www-form-urlencoded", body),
            )
            .await
            .unwrap_or_else(|_| panic!("{fields:.60}: no answer within 20 s"));
            (fields, expected, page, started.elapsed())
        });
    }
    // Meanwhile, another route of the same process answers.
    let mut other = browser.twin();
    let home = other.get(&live.url("/instruction/dossiers")).await;
    let registry = other.get(&live.url("/intake/campagnes")).await;
    assert!(
        [home.status, registry.status].iter().all(|s| *s < 500),
        "{} {}",
        home.status,
        registry.status
    );
    assert_eq!(registry.status, 200, "{}", registry.body);
    while let Some(done) = hostile.join_next().await {
        let (fields, expected, page, took) = done.unwrap();
        assert_eq!(page.status, 422, "{fields:.60}: {}", page.body);
        assert!(page.body.contains(expected), "{fields:.60}: {}", page.body);
        assert!(page.body.contains("Données inutilisables"), "{}", page.body);
        assert!(page.body.contains("<html lang=\"fr\""), "a French page");
        assert!(took < Duration::from_secs(10), "{fields:.60}: {took:?}");
    }
    assert_eq!(snapshot(&live, &draft).await, before, "nothing changed");
    // And an ordinary save still works afterwards.
    let version = live.draft_version(&mut browser, &draft).await;
    let ok = browser
        .post(
            &career,
            &[
                ("_csrf", csrf.as_str()),
                ("version", version.as_str()),
                ("_action", "enregistrer"),
                ("career-0-from", "2001-09-01"),
                ("career-0-kind", "public"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_ne!(snapshot(&live, &draft).await, before);
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_beyond_the_maximum_are_refused_by_page_and_api_keeping_what_was_typed() {
    let live = TestApp::live_with_activity().await;
    let (mut browser, csrf) = live.logged_in(PAUL).await;
    let draft = live.first_draft(&mut browser).await;
    let career = live.url(&format!("/intake/dossiers/{draft}/etape/2"));
    // Forty periods fill the group; « Ajouter une période » then says so, and saves the rest.
    let mut fields: Vec<(String, String)> = vec![
        ("_csrf".into(), csrf.clone()),
        (
            "version".into(),
            live.draft_version(&mut browser, &draft).await,
        ),
        ("_action".into(), "ajouter-periode".into()),
    ];
    for i in 0..40 {
        fields.push((format!("career-{i}-from"), "2001-09-01".into()));
        fields.push((format!("career-{i}-position"), format!("Poste {i}")));
    }
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let page = browser.post(&career, &pairs).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Carrière : 40 périodes au plus"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Poste 39"), "typed rows are kept");
    let (content, _) = snapshot(&live, &draft).await;
    assert!(content.contains("Poste 39") && !content.contains("Poste 40"));

    // A field longer than any real value: shown again with the error, not saved.
    let long = "é".repeat(501);
    let version = live.draft_version(&mut browser, &draft).await;
    let page = browser
        .post(
            &live.url(&format!("/intake/dossiers/{draft}/etape/1")),
            &[
                ("_csrf", csrf.as_str()),
                ("version", version.as_str()),
                ("_action", "enregistrer"),
                ("birth_name", long.as_str()),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body
            .contains("Nom de naissance : 500 caractères au plus")
    );
    assert!(page.body.contains(&long), "what was typed is on the page");
    assert_eq!(snapshot(&live, &draft).await.0, content, "not saved");

    // The JSON API: the same bounds, as problem+json naming the field.
    let rows: Vec<_> = (0..41)
        .map(|_| serde_json::json!({"from": "2001-09-01"}))
        .collect();
    let body = serde_json::json!({"content": {"career": rows}}).to_string();
    let answer = browser
        .put_json(
            &live.url(&format!("/intake/api/v1/dossiers/{draft}")),
            &body,
            &csrf,
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    let problem: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(problem["code"], "invalid_input");
    assert_eq!(problem["errors"][0]["field"], "career");
    assert_eq!(snapshot(&live, &draft).await.0, content, "not saved");
    live.finish().await;
}

/// Writes `head` (and part of a body) and keeps the connection open.
async fn open(base: &str, head: &str) -> TcpStream {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// Opens a slow request that the server admits and keeps in flight. A probe that just ended may
/// still hold its place for an instant, so a request refused at once (answered within half a
/// second: a waiting one is answered only at its deadline) is opened again, within ten seconds.
async fn open_in_flight(base: &str, head: &str) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut stream = open(base, head).await;
        let (status, text, _) = answer(&mut stream, Duration::from_millis(500)).await;
        match status {
            None => return stream,
            Some(_) if Instant::now() < deadline => {}
            Some(status) => panic!("the slow request was answered {status}: {text}"),
        }
    }
}

/// Reads what the server sends until it closes the connection or `wait` passes: the status
/// and the text, and whether the connection was closed.
async fn answer(stream: &mut TcpStream, wait: Duration) -> (Option<u16>, String, bool) {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 8192];
    let deadline = Instant::now() + wait;
    let closed = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(n)) => {
                buffer.extend_from_slice(&chunk[..n]);
                // A whole response with a length: no need to wait for the close.
                let text = String::from_utf8_lossy(&buffer);
                if let Some((head, body)) = text.split_once("\r\n\r\n")
                    && let Some(len) = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length: ")
                                .map(str::to_owned)
                        })
                        .and_then(|l| l.trim().parse::<usize>().ok())
                    && body.len() >= len
                {
                    break false;
                }
            }
            Err(_) => break false,
        }
    };
    let text = String::from_utf8_lossy(&buffer).into_owned();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|t| t.get(..3))
        .and_then(|s| s.parse().ok());
    (status, text, closed)
}

fn host(base: &str) -> &str {
    base.trim_start_matches("http://")
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_over_their_route_limit_are_a_french_413() {
    let live = TestApp::live_with_limits(|l| {
        l.form_body_kib = 8;
        l.api_body_kib = 16;
    })
    .await;
    let (mut browser, csrf) = live.logged_in(PAUL).await;
    let before = count(
        &mut live.admin().await,
        "SELECT count(*) AS n FROM journal.events",
    )
    .await;
    // Announced by Content-Length: refused before the body is read.
    let big_form = form(&csrf, &format!("motifs={}", "a".repeat(9 * 1024)));
    let page = browser
        .post_raw(
            &live.url("/intake/dossiers"),
            "application/x-www-form-urlencoded",
            big_form,
        )
        .await;
    assert_eq!(page.status, 413, "{}", page.body);
    assert!(page.body.contains("Envoi trop volumineux"), "{}", page.body);
    // A JSON body has its own, larger limit: 12 KiB passes the edge (and is refused for
    // what it says), 17 KiB does not.
    let medium = serde_json::json!({"campaign_id": "x", "pad": "a".repeat(12 * 1024)}).to_string();
    let page = browser
        .post_json(&live.url("/intake/api/v1/dossiers"), &medium, Some(&csrf))
        .await;
    assert_ne!(page.status, 413, "{}", page.body);
    let large = serde_json::json!({"pad": "a".repeat(17 * 1024)}).to_string();
    let page = browser
        .post_json(&live.url("/intake/api/v1/dossiers"), &large, Some(&csrf))
        .await;
    assert_eq!(page.status, 413, "{}", page.body);
    let problem: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(problem["code"], "payload_too_large");
    assert_eq!(problem["title"], "Envoi trop volumineux");
    // Chunked, without a length: refused as soon as the limit is passed.
    let cookie = browser.cookie(&live.base, "napoleon_session").unwrap();
    let mut stream = open(
        &live.base,
        &format!(
            "POST /intake/dossiers HTTP/1.1\r\nHost: {}\r\nCookie: napoleon_session={cookie}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nAccept: text/html\r\n\
             Transfer-Encoding: chunked\r\n\r\n",
            host(&live.base)
        ),
    )
    .await;
    let chunk = "a".repeat(4096);
    for _ in 0..3 {
        let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
        if stream.write_all(framed.as_bytes()).await.is_err() {
            break;
        }
    }
    let (status, text, _) = answer(&mut stream, Duration::from_secs(10)).await;
    assert_eq!(status, Some(413), "{text}");
    assert!(text.contains("Envoi trop volumineux"), "{text}");
    let after = count(
        &mut live.admin().await,
        "SELECT count(*) AS n FROM journal.events",
    )
    .await;
    assert_eq!(before, after, "nothing was written");
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_too_slow_is_a_french_408_and_a_head_too_slow_is_cut_off() {
    let live = TestApp::live_with_limits(|l| {
        l.request_timeout_seconds = 1;
        l.header_read_timeout_seconds = 1;
    })
    .await;
    // The body never arrives whole.
    let started = Instant::now();
    let mut slow_body = open(
        &live.base,
        &format!(
            "POST /deconnexion HTTP/1.1\r\nHost: {}\r\nAccept: text/html\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n_csrf=",
            host(&live.base)
        ),
    )
    .await;
    // The head never ends (« slowloris »).
    let mut slow_head = open(
        &live.base,
        &format!("GET / HTTP/1.1\r\nHost: {}\r\nX-Slow: ", host(&live.base)),
    )
    .await;
    // Meanwhile the server serves others.
    let mut browser = Browser::new();
    let page = browser.get(&live.url("/")).await;
    assert_eq!(page.status, 200);
    let (status, text, _) = answer(&mut slow_body, Duration::from_secs(10)).await;
    assert_eq!(status, Some(408), "{text}");
    assert!(text.contains("Délai dépassé"), "{text}");
    assert!(text.contains("lang=\"fr\""), "{text}");
    let (status, text, closed) = answer(&mut slow_head, Duration::from_secs(10)).await;
    assert!(closed, "the connection is closed: {status:?} {text}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // The API answers 408 as problem+json.
    let mut slow_api = open(
        &live.base,
        &format!(
            "POST /api/v1/eligibility HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: 50\r\n\r\n{{",
            host(&live.base)
        ),
    )
    .await;
    let (status, text, _) = answer(&mut slow_api, Duration::from_secs(10)).await;
    assert_eq!(status, Some(408), "{text}");
    assert!(text.contains("\"code\":\"request_timeout\""), "{text}");
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_requests_in_flight_are_a_french_429_with_retry_after() {
    let live = TestApp::live_with_limits(|l| {
        l.concurrent_per_client = 3;
        l.concurrent_per_session = 1;
        l.retry_after_seconds = 7;
        // The probes below are anonymous and many: this test is about requests in flight.
        l.anonymous_per_minute = 1_000_000;
    })
    .await;
    let (mut browser, _csrf) = live.logged_in(PAUL).await;
    let cookie = browser.cookie(&live.base, "napoleon_session").unwrap();
    let slow = |with_cookie: bool| {
        let cookie = if with_cookie {
            format!("Cookie: napoleon_session={cookie}\r\n")
        } else {
            String::new()
        };
        format!(
            "POST /intake/dossiers HTTP/1.1\r\nHost: {}\r\n{cookie}Accept: text/html\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n_",
            host(&live.base)
        )
    };
    // One request of the session is in flight: a second one of the same session waits.
    let held = open_in_flight(&live.base, &slow(true)).await;
    let (retry, status) = probe_until(&live, Some(&cookie), 429).await;
    assert_eq!((status, retry.as_deref()), (429, Some("7")));
    let page = browser.get(&live.url("/")).await;
    assert_eq!(page.status, 429, "{}", page.body);
    assert!(
        page.body.contains("Trop de requêtes simultanées"),
        "{}",
        page.body
    );
    // Other clients of the address pass up to the per-client figure: with three requests of
    // this address in flight, a fourth does not...
    let second = open_in_flight(&live.base, &slow(false)).await;
    let third = open_in_flight(&live.base, &slow(false)).await;
    let (retry, status) = probe_until(&live, None, 429).await;
    assert_eq!(
        (status, retry.as_deref()),
        (429, Some("7")),
        "the fourth does not"
    );
    // ...and with two, a third does: requests that end (here: clients gone) give their place
    // back.
    drop(third);
    let (_, status) = probe_until(&live, None, 200).await;
    assert_eq!(status, 200, "the third request from this address fits");
    drop((held, second));
    let (_, status) = probe_until(&live, Some(&cookie), 200).await;
    assert_eq!(status, 200, "the session's place is given back");
    let page = browser.get(&live.url("/")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    live.finish().await;
}

/// Probes `/` until it answers `status`, within ten seconds: the server admits a slow request
/// as soon as it has read its head, and releases it as soon as its client is gone, but the
/// test cannot see either moment. A bounded wait on the outcome, never a fixed sleep.
async fn probe_until(live: &TestApp, cookie: Option<&str>, status: u16) -> (Option<String>, u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let answer = retry_after(live, cookie).await;
        if answer.1 == status || Instant::now() > deadline {
            return answer;
        }
        tokio::task::yield_now().await;
    }
}

/// A GET of `/` with or without the session: its status and `Retry-After`.
async fn retry_after(live: &TestApp, cookie: Option<&str>) -> (Option<String>, u16) {
    let client = openidconnect::reqwest::Client::new();
    let mut request = client.get(live.url("/")).header("accept", "text/html");
    if let Some(c) = cookie {
        request = request.header("cookie", format!("napoleon_session={c}"));
    }
    let response = request.send().await.unwrap();
    (
        response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned()),
        response.status().as_u16(),
    )
}

/// One GET as a client at `address` (the ingress's `X-Forwarded-For`), anonymous or with a
/// bearer token: status, `Retry-After` and body.
async fn rated_get(
    live: &TestApp,
    path: &str,
    address: &str,
    token: Option<&str>,
) -> (u16, Option<String>, String) {
    let client = openidconnect::reqwest::Client::new();
    let mut request = client
        .get(live.url(path))
        .header("accept", "text/html")
        .header("x-forwarded-for", address);
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    let response = request.send().await.unwrap();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        response.status().as_u16(),
        retry,
        response.text().await.unwrap(),
    )
}

/// The same limiter rates anonymous requests per address and API calls per token: over the
/// rate, a French 429 saying when to come back; other addresses, other tokens and static
/// files are not held back.
#[tokio::test(flavor = "multi_thread")]
async fn anonymous_pages_and_api_tokens_over_their_rate_are_a_french_429_with_retry_after() {
    let live = TestApp::live_with_limits(|l| {
        l.client_address = napoleon::config::ClientAddressConfig::ForwardedFor;
        l.anonymous_per_minute = 3;
        l.api_token_per_minute = 2;
    })
    .await;
    for _ in 0..3 {
        let (status, _, body) = rated_get(&live, "/connexion", "192.0.2.10", None).await;
        assert_eq!(status, 200, "{body}");
    }
    // Three a minute: the next one passes in 20 s.
    let (status, retry, body) = rated_get(&live, "/connexion", "192.0.2.10", None).await;
    assert_eq!((status, retry.as_deref()), (429, Some("20")), "{body}");
    assert!(body.contains("Trop de requêtes"), "{body}");
    let (status, ..) = rated_get(&live, "/static/dsfr/dsfr.min.css", "192.0.2.10", None).await;
    assert_eq!(status, 200, "static files are not rated");
    let (status, ..) = rated_get(&live, "/connexion", "192.0.2.11", None).await;
    assert_eq!(status, 200, "another address has its own allowance");
    // Made-up session cookies or tokens, each different, do not escape the address's rate:
    // nobody authenticated them.
    let client = openidconnect::reqwest::Client::new();
    let mut statuses = Vec::new();
    for n in 0..4 {
        let response = client
            .get(live.url("/connexion"))
            .header("x-forwarded-for", "192.0.2.12")
            .header("cookie", format!("napoleon_session=invente-{n}"))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429], "made-up cookies");
    let mut statuses = Vec::new();
    for n in 0..4 {
        let token = format!("invente-{n}");
        statuses.push(rated_get(&live, "/", "192.0.2.13", Some(&token)).await.0);
    }
    assert_eq!(statuses, [200, 200, 200, 429], "made-up tokens");
    // A logged-in agent behind that same exhausted address is not held back by it.
    let (browser, _) = live.logged_in(PAUL).await;
    let cookie = browser.cookie(&live.base, "napoleon_session").unwrap();
    let response = client
        .get(live.url("/"))
        .header("x-forwarded-for", "192.0.2.12")
        .header("cookie", format!("napoleon_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);

    // An API token: two a minute, whatever the address it comes from.
    for address in ["192.0.2.20", "192.0.2.21"] {
        let (status, ..) =
            rated_get(&live, "/intake/api/v1/dossiers", address, Some("jeton-a")).await;
        assert_ne!(status, 429);
    }
    let (status, retry, _) = rated_get(
        &live,
        "/intake/api/v1/dossiers",
        "192.0.2.22",
        Some("jeton-a"),
    )
    .await;
    assert_eq!((status, retry.as_deref()), (429, Some("30")));
    let (status, ..) = rated_get(
        &live,
        "/intake/api/v1/dossiers",
        "192.0.2.22",
        Some("jeton-b"),
    )
    .await;
    assert_ne!(status, 429, "another token has its own allowance");
    live.finish().await;
}
