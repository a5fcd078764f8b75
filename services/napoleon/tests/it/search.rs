//! Issue 18, Build 4: the search of the dossiers an agent instructs. By name (accents and case
//! ignored), by number, by birth date; narrowed by state and by who holds it; sorted, paged
//! by key; never a draft, never another unit's or another ministry's dossier; a refused
//! criterion named in French with nothing searched.

use axum::http::Method;
use napoleon_testkit::{Cast, TestApp, Who, cast, draft, open_campaign, submitted};
use serde_json::json;

async fn search(app: &TestApp, who: &Who, query: &str) -> (u16, String) {
    let answer = app
        .call(
            who,
            Method::GET,
            &format!("/instruction/recherche?{query}"),
            json!({}),
        )
        .await;
    (answer.status, unescape(&answer.text()))
}

/// Saves a view as `who` from the search page's form.
async fn save(app: &TestApp, who: &Who, pairs: Vec<(&str, String)>) -> (u16, String) {
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = app.form(who, "/instruction/recherche/vues", &pairs).await;
    (answer.status, unescape(&answer.text()))
}

/// The page as text: its escaped apostrophes, equal signs and ampersands as typed.
fn unescape(html: &str) -> String {
    html.replace("&#x27;", "'")
        .replace("&#x3D;", "=")
        .replace("&amp;", "&")
}

/// The rows' numbers, in the page's order.
fn numbers(page: &str, all: &[&str]) -> Vec<String> {
    let mut found: Vec<(usize, String)> = all
        .iter()
        .filter_map(|n| {
            page.find(&format!(">{n}</a>"))
                .map(|at| (at, (*n).to_owned()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, n)| n).collect()
}

/// The « Page suivante » link.
fn next(page: &str) -> Option<String> {
    let at = page.find("fr-pagination__link--next")?;
    let href = at + page[at..].find("href=\"")?;
    let rest = &page[href + 6..];
    Some(
        rest[..rest.find('"')?]
            .replace("&amp;", "&")
            .replace("&#x3D;", "="),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_instructeur_searches_by_name_number_and_birth_date_with_filters_and_pages() {
    let app = TestApp::services().await;
    let cast: Cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let (_, lefevre) = submitted(&app, &cast, &campaign, "Lefèvre", "F").await;
    let (martin_id, martin) = submitted(&app, &cast, &campaign, "Martin", "F").await;
    let (_, dupont) = submitted(&app, &cast, &campaign, "Dupont", "F").await;
    draft(&app, &cast, &campaign, "Brouillon", "F").await;
    assert_eq!(app.take(&cast.instructeur, &martin_id).await.status, 204);
    let all = [lefevre.as_str(), martin.as_str(), dupont.as_str()];
    let me = &cast.instructeur;

    // By name, accents and case ignored; by number; by birth date (the three share it).
    let (status, page) = search(&app, me, "q=LEFEVRE").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(numbers(&page, &all), [lefevre.as_str()]);
    assert!(page.contains("LEFÈVRE Jeanne"), "{page}");
    assert!(page.contains("1 dossier trouvé"), "{page}");
    let (_, page) = search(&app, me, &format!("q={}", martin.to_lowercase())).await;
    assert_eq!(numbers(&page, &all), [martin.as_str()]);
    let (_, page) = search(&app, me, "naissance=04/05/1960").await;
    assert!(page.contains("3 dossiers trouvés"), "{page}");
    // Narrowed: by state, by who holds it.
    let (_, page) = search(&app, me, "naissance=04/05/1960&etat=en_instruction").await;
    assert_eq!(numbers(&page, &all), [martin.as_str()]);
    let (_, page) = search(&app, me, "porteur=moi").await;
    assert_eq!(numbers(&page, &all), [martin.as_str()]);
    // Never a draft.
    let (_, page) = search(&app, me, "q=brouillon").await;
    assert!(page.contains("Aucun dossier trouvé"), "{page}");

    // Sorted by name, two a page: the next page starts after the last row shown.
    let (_, first) = search(&app, me, "tri=nom&par_page=2").await;
    assert_eq!(numbers(&first, &all), [dupont.clone(), lefevre.clone()]);
    assert!(first.contains("3 dossiers trouvés"), "{first}");
    let href = next(&first).unwrap_or_else(|| panic!("no next page: {first}"));
    let following = app.call(me, Method::GET, &href, json!({})).await;
    assert_eq!(following.status, 200);
    let following = following.text();
    assert_eq!(
        numbers(&following, &all),
        [martin.as_str()],
        "{href}\n{following}"
    );
    assert!(next(&following).is_none());
    assert!(following.contains("Première page"));
    // Latest submission first.
    let (_, page) = search(&app, me, "tri=depot-recent").await;
    assert_eq!(
        numbers(&page, &all),
        [dupont.clone(), martin.clone(), lefevre.clone()]
    );

    // Another unit's instructeur finds nothing of the Rhône's; a rédacteur may not search.
    let gironde = cast.gironde(&app, napoleon_kernel::Role::Instructeur).await;
    let (status, page) = search(&app, &gironde, "q=lefevre").await;
    assert_eq!(status, 200);
    assert!(page.contains("Aucun dossier trouvé"), "{page}");
    assert_eq!(search(&app, &cast.redacteur, "q=lefevre").await.0, 403);
    let (status, page) = search(&app, &cast.outsider, "q=lefevre").await;
    assert!(
        status == 403 || page.contains("Aucun dossier trouvé"),
        "{status}: {page}"
    );

    // Refused criteria, each named; what was typed kept; nothing searched.
    let (status, page) = search(
        &app,
        me,
        "q=lefevre&naissance=31/02/1960&etat=inconnu&tri=hasard&apres=abc",
    )
    .await;
    assert_eq!(status, 422, "{page}");
    for says in [
        "Date de naissance : « 31/02/1960 » n'est pas une date valide (jj/mm/aaaa).",
        "État : choisissez un état de la liste.",
        "Tri : choisissez dans la liste.",
        "Page : ce lien n'est plus valable ; revenez à la première page.",
    ] {
        assert!(page.contains(says), "{says}: {page}");
    }
    assert!(page.contains(r#"value="lefevre""#), "{page}");
    assert!(numbers(&page, &all).is_empty());
    // A page's link whose key is not its sort's: refused, not silently restarted.
    let (status, page) = search(
        &app,
        me,
        &format!("tri=depot&apres={martin_id}~pas-une-date"),
    )
    .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("Page : ce lien n'est plus valable"), "{page}");
    // Text without a letter nor a digit is no criterion.
    let (_, page) = search(&app, me, "q=-").await;
    assert!(page.contains("3 dossiers trouvés"), "{page}");
    app.finish().await;
}

/// Saved searches: named, the agent's own or shared with a unit where they instruct; a
/// colleague of that unit opens a shared one but may not delete it; another unit never sees
/// it; refusals named in French; saving and deleting journaled.
#[tokio::test(flavor = "multi_thread")]
async fn an_agent_saves_shares_and_deletes_views_of_a_search() {
    use napoleon_kernel::{OrgUnitKind, Role};
    let app = TestApp::services().await;
    let cast: Cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    submitted(&app, &cast, &campaign, "Lefèvre", "F").await;
    let rhone = app
        .unit(cast.tenant, OrgUnitKind::PrefectureDepartement, "69")
        .await;
    let colleague = app.as_(Role::Instructeur, rhone).await;
    let gironde = cast.gironde(&app, Role::Instructeur).await;
    let me = &cast.instructeur;
    let rhone_id = rhone.to_string();
    let (status, page) = save(
        &app,
        me,
        vec![
            ("nom", "Lefèvre à suivre".to_owned()),
            ("partage", rhone_id.clone()),
            ("q", "lefevre".to_owned()),
            ("tri", "nom".to_owned()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Vue « Lefèvre à suivre » enregistrée"),
        "{page}"
    );
    assert!(page.contains("q=lefevre"), "{page}");
    // Refused: the same name, no name, a unit where the agent does not instruct, a bad search.
    for (pairs, says) in [
        (
            vec![("nom", "Lefèvre à suivre".to_owned())],
            "vous avez déjà une vue de ce nom",
        ),
        (
            vec![("nom", "  ".to_owned())],
            "Nom de la vue : de 1 à 80 caractères.",
        ),
        (
            vec![
                ("nom", "Ailleurs".to_owned()),
                ("partage", cast.bureau.to_string()),
            ],
            "Partage : choisissez une unité où vous instruisez",
        ),
        (
            vec![
                ("nom", "Mauvaise".to_owned()),
                ("naissance", "31/02/1960".to_owned()),
            ],
            "n'est pas une date valide",
        ),
    ] {
        let (status, page) = save(&app, me, pairs).await;
        assert_eq!(status, 422, "{says}: {page}");
        assert!(page.contains(says), "{says}: {page}");
    }
    // The colleague sees it shared, without « Supprimer »; the Gironde does not see it.
    let (_, page) = search(&app, &colleague, "").await;
    assert!(page.contains("Lefèvre à suivre"), "{page}");
    assert!(page.contains("partagée avec"), "{page}");
    assert!(!page.contains("Supprimer la vue"), "{page}");
    let (_, page) = search(&app, &gironde, "").await;
    assert!(!page.contains("Lefèvre à suivre"), "{page}");
    // Only its author deletes it.
    let (_, page) = search(&app, me, "").await;
    let at = page.find("/suppression").unwrap();
    let start = page[..at].rfind("/instruction/recherche/vues/").unwrap();
    let delete = page[start..at + "/suppression".len()].to_owned();
    assert_eq!(app.form(&colleague, &delete, &[]).await.status, 404);
    let deleted = app.form(me, &delete, &[]).await;
    assert_eq!(deleted.status, 200);
    assert!(deleted.text().contains("supprimée"));
    assert_eq!(app.form(me, &delete, &[]).await.status, 404);
    let mut tx = app.ctx.db.tenant(cast.tenant).await.unwrap();
    assert_eq!(
        napoleon_testkit::count(
            tx.pg(),
            "SELECT count(*) AS n FROM journal.events WHERE kind IN ('saved_view.created', 'saved_view.deleted')"
        )
        .await,
        2
    );
    tx.rollback().await;
    app.finish().await;
}
