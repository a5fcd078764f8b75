//! One error model: every refusal keeps its French message, on a page and in the one
//! problem+json shape, with a stable code.

use napoleon_testkit::TestApp;
use napoleon_testkit::agents::PAUL;
use napoleon_testkit::count;

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
    let live = TestApp::live_with_activity().await;
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
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_form_without_a_campaign_names_the_field_and_files_nothing() {
    let live = TestApp::live_with_activity().await;
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
    live.finish().await;
}

mod route_table {
    //! Every service route that takes an id, with a malformed id and with another tenant's
    //! real id: the same 404 everywhere, in the one problem+json shape (API) or as a French
    //! page (HTML); and the refusals a route gives (403, 409, 422) in that same shape, with a
    //! code from the error model.

    use axum::http::Method;
    use napoleon_db::contracts::{self, ImportedAward};
    use napoleon_kernel::{OrgUnitKind, Personal, Role};
    use napoleon_rules::{DistinctionCode, GradeCode};
    use serde_json::{Value, json};

    use napoleon_testkit::{Answer, TestApp, cast, open_campaign, submitted};

    /// The codes refusals may carry: the edge's own and every conflict's.
    fn known_code(code: &str) -> bool {
        [
            "not_found",
            "forbidden",
            "invalid_input",
            "bad_request",
            "payload_too_large",
            "too_many_requests",
        ]
        .contains(&code)
            || napoleon_web::Conflict::CODES.contains(&code)
    }

    /// The one problem+json shape, with `status` and a known code.
    fn assert_problem(what: &str, answer: &Answer, status: u16) -> String {
        assert_eq!(answer.status, status, "{what}: {}", answer.json);
        let Value::Object(problem) = &answer.json else {
            panic!("{what}: not a problem document: {}", answer.json);
        };
        let mut keys: Vec<&str> = problem.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "code",
                "detail",
                "errors",
                "request_id",
                "status",
                "title",
                "type"
            ],
            "{what}"
        );
        let code = problem["code"].as_str().unwrap_or_default().to_owned();
        assert!(known_code(&code), "{what}: unknown code {code}");
        assert_eq!(problem["status"], status, "{what}");
        assert!(
            problem["type"]
                .as_str()
                .is_some_and(|t| t.ends_with(&format!("/{code}"))),
            "{what}"
        );
        assert!(
            !problem["detail"].as_str().unwrap_or_default().is_empty(),
            "{what}: detail in French"
        );
        code
    }

    /// A French error page with its status and message.
    fn assert_page(what: &str, answer: &Answer, status: u16, message: &str) {
        assert_eq!(answer.status, status, "{what}: {}", answer.json);
        let Value::String(html) = &answer.json else {
            panic!("{what}: not a page: {}", answer.json);
        };
        assert!(html.contains("<html lang=\"fr\""), "{what}");
        assert!(html.contains(message), "{what}: {message} in {html}");
        assert!(html.contains("identifiant de requête"), "{what}");
    }

    /// Every route of the services that takes an id: method, path with `{dossier}`,
    /// `{campaign}` or `{award}` for the id, and a body the route accepts.
    fn routes() -> Vec<(Method, &'static str, Value)> {
        let none = json!({});
        vec![
            (
                Method::GET,
                "/intake/api/v1/dossiers/{dossier}",
                none.clone(),
            ),
            (
                Method::PUT,
                "/intake/api/v1/dossiers/{dossier}",
                json!({"content": {}}),
            ),
            (
                Method::POST,
                "/intake/api/v1/dossiers/{dossier}/submit",
                none.clone(),
            ),
            (
                Method::GET,
                "/intake/dossiers/{dossier}/etape/1",
                none.clone(),
            ),
            (
                Method::POST,
                "/intake/dossiers/{dossier}/etape/1",
                none.clone(),
            ),
            (
                Method::GET,
                "/intake/dossiers/{dossier}/recepisse",
                none.clone(),
            ),
            (
                Method::POST,
                "/instruction/api/v1/dossiers/{dossier}/take",
                none.clone(),
            ),
            (
                Method::POST,
                "/instruction/api/v1/dossiers/{dossier}/opinion",
                json!({"verdict": "favorable", "motivation": "Oui."}),
            ),
            (
                Method::POST,
                "/instruction/api/v1/dossiers/{dossier}/transmit",
                none.clone(),
            ),
            (
                Method::POST,
                "/instruction/api/v1/dossiers/{dossier}/return",
                json!({"message": "Pièce manquante."}),
            ),
            (Method::GET, "/instruction/dossiers/{dossier}", none.clone()),
            (
                Method::POST,
                "/instruction/dossiers/{dossier}/prise-en-charge",
                none.clone(),
            ),
            (
                Method::POST,
                "/instruction/dossiers/{dossier}/avis",
                none.clone(),
            ),
            (
                Method::POST,
                "/instruction/dossiers/{dossier}/transmission",
                none.clone(),
            ),
            (
                Method::POST,
                "/instruction/dossiers/{dossier}/renvoi",
                none.clone(),
            ),
            (
                Method::POST,
                "/instruction/dossiers/{dossier}/doublons",
                none.clone(),
            ),
            (
                Method::GET,
                "/decisions/api/v1/campaigns/{campaign}/board",
                none.clone(),
            ),
            (
                Method::POST,
                "/decisions/api/v1/campaigns/{campaign}/close",
                none.clone(),
            ),
            (
                Method::POST,
                "/decisions/api/v1/campaigns/{campaign}/publish",
                json!({"decree_date": "2027-07-14", "jo_reference": "JORF"}),
            ),
            (
                Method::POST,
                "/decisions/api/v1/dossiers/{dossier}/rank",
                json!({"direction": "up"}),
            ),
            (
                Method::POST,
                "/decisions/api/v1/dossiers/{dossier}/decision",
                json!({"decision": "ajourne", "motivation": "Plus tard."}),
            ),
            (
                Method::POST,
                "/decisions/api/v1/awards/{award}/reception",
                json!({"reception_date": "2027-09-01"}),
            ),
            (Method::GET, "/decisions/campagnes/{campaign}", none.clone()),
            (
                Method::POST,
                "/decisions/campagnes/{campaign}/cloture",
                none.clone(),
            ),
            (
                Method::POST,
                "/decisions/campagnes/{campaign}/publication",
                none.clone(),
            ),
            (
                Method::POST,
                "/decisions/dossiers/{dossier}/rang",
                none.clone(),
            ),
            (
                Method::POST,
                "/decisions/dossiers/{dossier}/decision",
                none.clone(),
            ),
            (
                Method::POST,
                "/decisions/recompenses/{award}/reception",
                none,
            ),
        ]
    }

    async fn send(
        slice: &TestApp,
        who: &napoleon_testkit::Who,
        method: &Method,
        path: &str,
        body: &Value,
    ) -> Answer {
        if path.contains("/api/") || *method == Method::GET {
            slice.call(who, method.clone(), path, body.clone()).await
        } else {
            let pairs: Vec<(String, String)> = body
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            let pairs: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            slice.form(who, path, &pairs).await
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn malformed_and_foreign_ids_are_the_same_404_on_every_route() {
        let slice = TestApp::services().await;
        let cast = cast(&slice).await;
        // Real objects of another ministry: a campaign, a submitted dossier, an award.
        let culture = cast.outsider.tenant;
        let culture_root = slice.unit(culture, OrgUnitKind::Ministere, "MC").await;
        let bdh = slice.unit(culture, OrgUnitKind::Direction, "BDH").await;
        let culture_cast = napoleon_testkit::Cast {
            tenant: culture,
            admin: slice.as_(Role::Administrateur, culture_root).await,
            redacteur: slice.as_(Role::Redacteur, bdh).await,
            instructeur: slice.as_(Role::Instructeur, bdh).await,
            valideur: slice.as_(Role::Valideur, bdh).await,
            integrateur: slice.as_(Role::Integrateur, bdh).await,
            bureau: bdh,
            outsider: cast.redacteur.clone(),
        };
        let foreign_campaign = open_campaign(&slice, &culture_cast).await;
        let (foreign_dossier, _) =
            submitted(&slice, &culture_cast, &foreign_campaign, "Étrangère", "F").await;
        let foreign_award = {
            let mut tx = slice.ctx.db.tenant(culture).await.unwrap();
            let (_, awards) = contracts::import_laureate(
                &mut tx,
                &Personal::new(json!({"birth_name": "Lointain"})),
                &[ImportedAward {
                    distinction: &DistinctionCode::parse("LH").unwrap(),
                    grade: &GradeCode::parse("chevalier").unwrap(),
                    decree_date: chrono::NaiveDate::from_ymd_opt(2020, 7, 14).unwrap(),
                    jo_reference: "JORF",
                    reception_date: None,
                    unit_id: Some(bdh),
                }],
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            awards[0].to_string()
        };
        // Interior agents who may act on each route in their own ministry.
        let who_for = |path: &str| -> napoleon_testkit::Who {
            if path.starts_with("/intake") {
                cast.redacteur.clone()
            } else if path.starts_with("/instruction") {
                cast.instructeur.clone()
            } else {
                cast.integrateur.clone()
            }
        };
        let mut checked = 0;
        for (method, template, body) in routes() {
            for (kind, id) in [
                ("malformed", "pas-un-identifiant".to_owned()),
                ("foreign", String::new()),
            ] {
                let id = if kind == "foreign" {
                    if template.contains("{campaign}") {
                        foreign_campaign.clone()
                    } else if template.contains("{award}") {
                        foreign_award.clone()
                    } else {
                        foreign_dossier.clone()
                    }
                } else {
                    id
                };
                let path = template
                    .replace("{dossier}", &id)
                    .replace("{campaign}", &id)
                    .replace("{award}", &id);
                let what = format!("{kind} {method} {template}");
                let answer = send(&slice, &who_for(template), &method, &path, &body).await;
                if path.contains("/api/") {
                    let code = assert_problem(&what, &answer, 404);
                    assert_eq!(code, "not_found", "{what}");
                } else {
                    assert_page(&what, &answer, 404, "Page non trouvée");
                }
                checked += 1;
            }
        }
        assert_eq!(checked, routes().len() * 2);
        slice.finish().await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn refusals_answer_the_one_shape_with_a_code_from_the_error_model() {
        let slice = TestApp::services().await;
        let cast = cast(&slice).await;
        let campaign = open_campaign(&slice, &cast).await;
        let (dossier, _) = submitted(&slice, &cast, &campaign, "Refus", "F").await;
        // 403: a rédacteur cannot take a dossier in charge, nor rank it.
        for path in [
            format!("/instruction/api/v1/dossiers/{dossier}/take"),
            format!("/decisions/api/v1/campaigns/{campaign}/close"),
        ] {
            let answer = slice.post(&cast.redacteur, &path, json!({})).await;
            assert_eq!(assert_problem(&path, &answer, 403), "forbidden");
        }
        // 409: a submitted dossier cannot be transmitted before its opinion.
        let path = format!("/instruction/api/v1/dossiers/{dossier}/transmit");
        let answer = slice.post(&cast.valideur, &path, json!({})).await;
        assert_eq!(assert_problem(&path, &answer, 409), "dossier.wrong_state");
        assert!(
            answer.json["detail"]
                .as_str()
                .is_some_and(|d| d.contains("Déposé")),
            "{}",
            answer.json
        );
        // …and the page says the same sentence.
        let page = slice
            .form(
                &cast.valideur,
                &format!("/instruction/dossiers/{dossier}/transmission"),
                &[],
            )
            .await;
        assert_eq!(page.status, 409, "the dossier page shows the refusal");
        assert!(
            page.json
                .as_str()
                .is_some_and(|html| html.contains("Le dossier est « Déposé » : cette action n")),
            "{}",
            page.json
        );
        // 422: the fields named in errors[], in French.
        let path = format!("/instruction/api/v1/dossiers/{dossier}/take");
        assert_eq!(
            slice.post(&cast.instructeur, &path, json!({})).await.status,
            204
        );
        let path = format!("/instruction/api/v1/dossiers/{dossier}/opinion");
        let answer = slice
            .post(&cast.instructeur, &path, json!({"verdict": "peut-etre"}))
            .await;
        assert_eq!(assert_problem(&path, &answer, 422), "invalid_input");
        let fields: Vec<&str> = answer.json["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert_eq!(fields, ["verdict", "motivation"], "{}", answer.json);
        // A draft that is not complete: submission names every missing field.
        let created = slice
            .post(
                &cast.redacteur,
                "/intake/api/v1/dossiers",
                json!({"campaign_id": campaign, "content": {"motifs": "court"}}),
            )
            .await;
        let draft = created.json["id"].as_str().unwrap().to_owned();
        let path = format!("/intake/api/v1/dossiers/{draft}/submit");
        let answer = slice.post(&cast.redacteur, &path, json!({})).await;
        assert_eq!(assert_problem(&path, &answer, 422), "invalid_input");
        assert!(answer.json["errors"].as_array().unwrap().len() > 3);
        slice.finish().await;
    }
}
