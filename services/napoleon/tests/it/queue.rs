//! The instruction queue a page at a time (issue 15: under load, a préfecture's queue of ten
//! thousand dossiers was read whole, rendered whole and logged whole at every view, a second
//! per page and 200 MiB of server memory). The tab is filtered on its dossiers' keys; only the
//! page's dossiers are read, shown and logged as read.

use axum::http::Method;
use napoleon_testkit::{TestApp, TestDb, cast, count, open_campaign, submitted};
use serde_json::json;

/// Letters only, as a birth name must be: `Nomab` for 1.
fn name(n: usize) -> String {
    let letter = |i: usize| char::from(b'a' + u8::try_from(i % 26).unwrap());
    format!("Nom{}{}", letter(n / 26), letter(n))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_queue_comes_a_page_at_a_time_and_logs_only_what_it_shows() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let mut filed = Vec::new();
    for n in 0..51 {
        filed.push(submitted(&app, &cast, &campaign, &name(n), "F").await.0);
    }
    let mut admin = TestDb::connect(&app.db.admin_url()).await.unwrap();
    let reads = format!(
        "SELECT count(*) AS n FROM readlog.reads WHERE tenant_id = '{}'",
        cast.tenant
    );
    let api = async |query: &str| {
        let answer = app
            .call(
                &cast.instructeur,
                Method::GET,
                &format!("/instruction/api/v1/queue?tab=todo{query}"),
                json!({}),
            )
            .await;
        assert_eq!(answer.status, 200, "{query}: {}", answer.json);
        answer
    };
    let ids = |answer: &napoleon_testkit::Answer| -> Vec<String> {
        answer
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect()
    };

    // The API: pages of 20, the whole count and the neighbours' links; each page logs what
    // it shows, no more.
    let before = count(&mut admin, &reads).await;
    let second = api("&page=2&per_page=20").await;
    assert_eq!(count(&mut admin, &reads).await, before + 20);
    assert_eq!(ids(&second).len(), 20);
    assert_eq!(second.header("x-total-count"), "51");
    assert_eq!(
        second.header("link"),
        "</instruction/api/v1/queue?tab=todo&page=3&per_page=20>; rel=\"next\", \
         </instruction/api/v1/queue?tab=todo&page=1&per_page=20>; rel=\"prev\""
    );
    let first = api("&page=1&per_page=20").await;
    let third = api("&page=3&per_page=20").await;
    assert_eq!(ids(&third).len(), 11);
    assert!(
        !third.header("link").contains("next"),
        "{:?}",
        third.headers
    );
    // Past the last page is the last page; an unreadable page the first; the size bounded.
    assert_eq!(ids(&api("&page=99&per_page=20").await), ids(&third));
    assert_eq!(ids(&api("&page=zéro&per_page=20").await), ids(&first));
    assert_eq!(ids(&api("&per_page=beaucoup").await).len(), 50);
    assert_eq!(ids(&api("&per_page=100000").await).len(), 51);
    // The pages together are the queue, each dossier once, oldest submission first.
    let all: Vec<String> = [&first, &second, &third]
        .iter()
        .flat_map(|a| ids(a))
        .collect();
    assert_eq!(all, filed);

    // The page: fifty rows, where they stand, and the way to the next.
    let page = async |query: &str| {
        let path = format!("/instruction/dossiers{query}");
        let answer = app
            .call(&cast.instructeur, Method::GET, &path, json!({}))
            .await;
        assert_eq!(answer.status, 200, "{path}");
        answer.json.as_str().unwrap().to_owned()
    };
    // A row: its checkbox for the bulk actions, then its link.
    let rows = |html: &str| html.matches("<td><a href=\"/instruction/dossiers/").count();
    let one = page("").await;
    assert_eq!(rows(&one), 50);
    assert!(
        one.contains("51 dossiers dans l'onglet « À traiter » ; dossiers 1 à 50."),
        "{one}"
    );
    assert!(one.contains("À traiter, page 1 sur 2</caption>"), "{one}");
    assert!(
        one.contains("href=\"/instruction/dossiers?onglet=a-traiter&amp;page=2\">Page suivante")
    );
    assert!(!one.contains("Page précédente"));
    let two = page("?onglet=a-traiter&page=2").await;
    assert_eq!(rows(&two), 1);
    assert!(two.contains("dossiers 51 à 51."), "{two}");
    assert!(
        two.contains("href=\"/instruction/dossiers?onglet=a-traiter&amp;page=1\">Page précédente")
    );
    assert!(!two.contains("Page suivante"));
    assert_eq!(rows(&page("?page=-4").await), 50);
    // Four eyes takes out of her « à traiter » the dossier she gave her opinion on: the
    // first page (read whole with the keys) then ends one dossier further.
    assert_eq!(app.take(&cast.instructeur, &filed[0]).await.status, 204);
    let opinion = app
        .opine(&cast.instructeur, &filed[0], "favorable", "Avis favorable.")
        .await;
    assert_eq!(opinion.status, 204, "{}", opinion.json);
    let after = api("").await;
    assert_eq!(after.header("x-total-count"), "50");
    assert_eq!(ids(&after), filed[1..]);
    // « Suivis » holds what she took, on one page; an empty tab says so.
    let followed = page("?onglet=suivis").await;
    assert!(
        followed.contains("1 dossier dans l'onglet « Suivis ».</p>"),
        "{followed}"
    );
    assert!(!followed.contains("fr-pagination"));
    let done = page("?onglet=traites").await;
    assert!(
        done.contains("Aucun dossier dans l'onglet « Traités »."),
        "{done}"
    );
    app.finish().await;
}
