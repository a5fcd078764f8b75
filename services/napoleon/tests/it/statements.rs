//! Issue 15: the statements each route sends to PostgreSQL, through the gateway and the
//! service, and the round trips they take, as a snapshot: a change to the request path's
//! cost shows in review. Counted by the pools' statement observer
//! (`napoleon_db::observe_statements`), after a warm-up, so caches and prepared statements
//! are in their steady state. A statement sent while others of its connection await their
//! answer shares their round trip (pipelined): it is shown indented under the first. A
//! statement the connection does not keep prepared is marked `(not kept)`: it is parsed and
//! planned at every call and, unless a simple query (the `BEGIN` batch), prepared in a round
//! trip of its own, counted.

use std::sync::{Arc, Mutex};

use napoleon_testkit::agents::{CLAIRE, PAUL};
use napoleon_testkit::{Browser, TestApp, eligible_content};

type Log = Arc<Mutex<Vec<String>>>;

/// The statement as a snapshot can keep it: ids, instants and numbers replaced.
fn normalized(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut in_quote = false;
    let mut quoted = String::new();
    for c in sql.chars() {
        if in_quote {
            if c == '\'' {
                in_quote = false;
                // Literals carry the request's tenant, agent and instant: their shape only.
                out.push_str(if quoted.len() == 36 {
                    "'<uuid>'"
                } else {
                    "'<literal>'"
                });
                quoted.clear();
            } else {
                quoted.push(c);
            }
        } else if c == '\'' {
            in_quote = true;
        } else {
            out.push(c);
        }
    }
    let flat: String = out.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.chars().take(160).collect()
}

/// The statements one call of `act` sends, after two warm-up calls.
async fn measured<F>(log: &Log, mut act: F) -> Vec<String>
where
    F: AsyncFnMut(),
{
    act().await;
    act().await;
    // Let what the warm-up left (the session's refresh, a job tick) settle.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    log.lock().unwrap().clear();
    act().await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    log.lock().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_statements_of_each_route_are_a_snapshot() {
    let log: Log = Arc::default();
    let sink = Arc::clone(&log);
    assert!(napoleon_db::observe_statements(Arc::new(
        move |sent: napoleon_db::Sent<'_>| {
            let line = match sent {
                napoleon_db::Sent::Statement {
                    sql,
                    pipelined,
                    kept,
                } => format!(
                    "{}{}{}",
                    if pipelined { "  + " } else { "" },
                    // Parsed and planned at every call: fine for the simple query that
                    // opens a transaction, a cost anywhere else.
                    if kept { "" } else { "(not kept) " },
                    normalized(sql)
                ),
                // After the warm-up, a statement prepared again is one its connection
                // could not keep (a raw `sql_query`): a round trip more at every call.
                napoleon_db::Sent::Prepared(sql) => format!("PREPARED {}", normalized(sql)),
            };
            sink.lock().unwrap().push(line);
        }
    )));
    let live = TestApp::live_with_activity().await;
    let (mut paul, paul_csrf) = live.logged_in(PAUL).await;
    let (mut claire, _) = live.logged_in(CLAIRE).await;
    let (_, queue) = claire
        .get_json(&live.url("/instruction/api/v1/queue?tab=todo"))
        .await;
    let shown = queue[0]["id"].as_str().unwrap().to_owned();
    let (_, campaigns) = paul.get_json(&live.url("/intake/api/v1/campaigns")).await;
    let today = napoleon_testkit::today().to_string();
    let campaign = campaigns
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["distinction"] == "LH"
                && c["opens_on"].as_str().unwrap() <= today.as_str()
                && c["closes_on"].as_str().unwrap() >= today.as_str()
        })
        .and_then(|c| c["id"].as_str())
        .unwrap()
        .to_owned();
    // Three complete drafts: two for the warm-up, one measured.
    let mut complete = Vec::new();
    for n in 0..3 {
        let created = paul
            .post_json(
                &live.url("/intake/api/v1/dossiers"),
                &serde_json::json!({"campaign_id": campaign,
                    "content": eligible_content(&format!("Compte{n}"), "F")})
                .to_string(),
                Some(&paul_csrf),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        let body: serde_json::Value = serde_json::from_str(&created.body).unwrap();
        let id = body["id"].as_str().unwrap().to_owned();
        paul.attach_samples(
            &live.base,
            &id,
            &napoleon_testkit::LH_CHEVALIER_PIECES,
            &paul_csrf,
        )
        .await;
        complete.push(id);
    }

    let get = async |browser: &mut Browser, path: &str| {
        let page = browser.get(&live.url(path)).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
    };
    let mut report = String::new();
    let mut record = |route: &str, statements: Vec<String>| {
        let simple = |s: &str| {
            ["BEGIN", "COMMIT", "ROLLBACK"]
                .iter()
                .any(|q| s.starts_with(q))
        };
        let trips = statements
            .iter()
            .map(|s| {
                let sql = s.trim_start_matches("  + ");
                let own = usize::from(!s.starts_with("  + ") && !s.starts_with("PREPARED"));
                // An unkept statement is prepared first, in a round trip of its own.
                let prepared = sql
                    .strip_prefix("(not kept) ")
                    .is_some_and(|rest| !simple(rest));
                own + usize::from(prepared)
            })
            .sum::<usize>();
        let sent = statements
            .iter()
            .filter(|s| !s.starts_with("PREPARED"))
            .count();
        report.push_str(&format!(
            "{route}: {sent} statements in {trips} round trips\n"
        ));
        for s in statements {
            report.push_str(&format!("  {s}\n"));
        }
    };
    let read = format!("/intake/api/v1/dossiers/{shown}");
    record(
        "GET /intake/api/v1/dossiers/{id}",
        measured(&log, async || get(&mut paul, &read).await).await,
    );
    let page = format!("/instruction/dossiers/{shown}");
    record(
        "GET /instruction/dossiers/{id}",
        measured(&log, async || get(&mut claire, &page).await).await,
    );
    record(
        "GET /instruction/dossiers",
        measured(&log, async || {
            get(&mut claire, "/instruction/dossiers").await
        })
        .await,
    );
    let body = serde_json::json!({"campaign_id": campaign}).to_string();
    record(
        "POST /intake/api/v1/dossiers",
        measured(&log, async || {
            let created = paul
                .post_json(
                    &live.url("/intake/api/v1/dossiers"),
                    &body,
                    Some(&paul_csrf),
                )
                .await;
            assert_eq!(created.status, 201, "{}", created.body);
        })
        .await,
    );
    let mut next = complete.into_iter();
    record(
        "POST /intake/api/v1/dossiers/{id}/submit",
        measured(&log, async || {
            let id = next.next().unwrap();
            let submitted = paul
                .post_json(
                    &live.url(&format!("/intake/api/v1/dossiers/{id}/submit")),
                    "{}",
                    Some(&paul_csrf),
                )
                .await;
            assert_eq!(submitted.status, 200, "{}", submitted.body);
        })
        .await,
    );
    insta::assert_snapshot!("statements_per_route", report);
    live.finish().await;
}
