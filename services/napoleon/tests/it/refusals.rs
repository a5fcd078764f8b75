//! One error model: every refusal keeps its French message, on a page and in the one
//! problem+json shape, with a stable code.

use crate::login::LiveApp;
use crate::support::count;

const PAUL: &str = "demo-paul.bernard";

/// The first campaign offered on the dossiers page: its id and label.
fn first_open_campaign(body: &str) -> (String, String) {
    let select = &body[body
        .find("name=\"campaign_id\"")
        .expect("a campaign select")..];
    let start = select.find("<option value=\"").unwrap() + "<option value=\"".len();
    let id = select[start..start + 36].to_owned();
    let label_start = start + 36 + "\">".len();
    let label_end = label_start + select[label_start..].find("</option>").unwrap();
    (id, select[label_start..label_end].to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn filing_into_a_closed_campaign_shows_its_window_on_the_page_and_in_the_api() {
    let live = LiveApp::with_activity().await;
    let (mut paul, csrf) = live.logged_in(PAUL).await;
    let page = paul.get(&live.url("/intake/dossiers")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let (campaign, label) = first_open_campaign(&page.body);
    let mut admin = live.admin().await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE intake.campaigns SET opens_on = '2020-01-06', closes_on = '2020-02-14' \
             WHERE id = '{campaign}'"
        )),
        &mut admin,
    )
    .await
    .unwrap();
    let dossiers = "SELECT count(*) AS n FROM intake.dossiers";
    let before = count(&mut admin, dossiers).await;
    let window = "est ouvert du 06/01/2020 au 14/02/2020";

    let refused = paul
        .post(
            &live.url("/intake/dossiers"),
            &[("_csrf", csrf.as_str()), ("campaign_id", campaign.as_str())],
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains(window), "{}", refused.body);
    assert!(refused.body.contains(&label), "{}", refused.body);
    assert!(refused.body.contains("<html lang=\"fr\""), "a French page");

    let api = paul
        .post_json(
            &live.url("/intake/api/v1/dossiers"),
            &format!(r#"{{"campaign_id":"{campaign}"}}"#),
            Some(&csrf),
        )
        .await;
    assert_eq!(api.status, 409, "{}", api.body);
    let problem: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(problem["code"], "campaign.closed");
    assert!(
        problem["detail"].as_str().unwrap().contains(window),
        "{problem}"
    );
    assert_eq!(count(&mut admin, dossiers).await, before, "nothing filed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_form_without_a_campaign_names_the_field_and_files_nothing() {
    let live = LiveApp::with_activity().await;
    let (mut paul, csrf) = live.logged_in(PAUL).await;
    let mut admin = live.admin().await;
    let dossiers = "SELECT count(*) AS n FROM intake.dossiers";
    let before = count(&mut admin, dossiers).await;
    for campaign in ["", "pas-un-identifiant"] {
        let refused = paul
            .post(
                &live.url("/intake/dossiers"),
                &[("_csrf", csrf.as_str()), ("campaign_id", campaign)],
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(
            refused
                .body
                .contains("Campagne : choisissez une campagne ouverte"),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("Données invalides"),
            "{}",
            refused.body
        );
    }
    assert_eq!(count(&mut admin, dossiers).await, before, "nothing filed");
}
