//! Issue 16: the user guide's doors. A page it does not have, a screenshot it does not have
//! (or a path out of its folder) are French 404 pages; a query is bounded and shown back;
//! an empty one asks for words; a screenshot is served as an image. Anonymous visitors
//! read it as agents do.

use napoleon_testkit::{Browser, TestApp};

#[tokio::test(flavor = "multi_thread")]
async fn the_guide_answers_every_door_in_french() {
    let live = TestApp::live().await;
    let mut anonymous = Browser::new();

    let missing = anonymous.get(&live.url("/aide/inexistante")).await;
    assert_eq!(missing.status, 404);
    assert!(
        missing.body.contains("lang=\"fr\"") && missing.body.contains("introuvable"),
        "{}",
        missing.body
    );
    for path in [
        "/aide/images/absente.png",
        "/aide/images/..%2Findex.md",
        "/aide/images/index.md",
        "/aide/..%2F..%2FCargo.toml",
    ] {
        let refused = anonymous.get(&live.url(path)).await;
        // An encoded slash is refused before routing (400), the rest found nowhere (404).
        assert!(
            [400, 404].contains(&refused.status),
            "{path}: {}",
            refused.status
        );
        assert!(
            refused.body.contains("lang=\"fr\""),
            "{path}: a French page"
        );
    }

    let long = "contingent ".repeat(40);
    let search = anonymous
        .get(&live.url(&format!("/aide/recherche?q={}", long.replace(' ', "+"))))
        .await;
    assert_eq!(search.status, 200);
    let shown: String = long.trim().chars().take(100).collect();
    assert!(
        search.body.contains(&format!("value=\"{shown}\"")),
        "the query, cut to 100 characters"
    );
    assert!(
        search.body.contains("contiennent « contingent"),
        "{}",
        search.body
    );

    // Markup in the query comes back as text.
    let markup = anonymous
        .get(&live.url("/aide/recherche?q=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E"))
        .await;
    assert_eq!(markup.status, 200);
    assert!(!markup.body.contains("<script>alert(1)"), "{}", markup.body);
    assert!(markup.body.contains("&lt;script&gt;alert(1)"));

    let empty = anonymous.get(&live.url("/aide/recherche?q=+")).await;
    assert_eq!(empty.status, 200);
    assert!(empty.body.contains("Saisissez un ou plusieurs mots"));
    let nothing = anonymous.get(&live.url("/aide/recherche?q=zzqxw")).await;
    assert!(
        nothing
            .body
            .contains("Aucune section du guide ne contient « zzqxw »")
    );
    assert!(
        nothing.body.contains("href=\"/aide/glossaire\""),
        "what to do next"
    );

    let image = live.get("/aide/images/radar.png", "image/png").await;
    assert_eq!(image.status, 200);
    assert_eq!(image.header("content-type"), "image/png");
    live.finish().await;
}
