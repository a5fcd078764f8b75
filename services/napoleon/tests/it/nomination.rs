//! One nomination end to end through the services' JSON API, on real PostgreSQL with the demo
//! tenants: every transition, and the forbidden ones (wrong role → 403, wrong state → 409,
//! another tenant → 404), each leaving the dossier and the journal untouched.

use axum::http::Method;
use napoleon_identity::RoleGrant;
use napoleon_kernel::{OrgUnitKind, Role};
use napoleon_testkit::agents::PAUL;
use napoleon_testkit::{
    Answer, TestApp, TestDb, cast, count, draft, eligible_content, open_campaign, submitted, today,
    transmitted,
};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_dossier_goes_from_draft_to_the_ministry() {
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    let campaign = open_campaign(&slice, &cast).await;

    // A draft keeps whatever is typed, and says what submission still needs.
    let draft = slice
        .post(
            &cast.redacteur,
            "/intake/api/v1/dossiers",
            json!({"campaign_id": campaign, "content": {"candidate": {"birth_name": "Lambert", "birth_date": "31/02/1960"}}}),
        )
        .await;
    assert_eq!(draft.status, 201, "{}", draft.json);
    let id = draft.json["id"].as_str().unwrap().to_owned();
    let read = slice
        .call(
            &cast.redacteur,
            Method::GET,
            &format!("/intake/api/v1/dossiers/{id}"),
            json!({}),
        )
        .await;
    assert_eq!(
        read.json["content"]["candidate"]["birth_date"],
        "31/02/1960"
    );
    assert_eq!(read.json["state"], "brouillon");
    let incomplete = slice
        .post(
            &cast.redacteur,
            &format!("/intake/api/v1/dossiers/{id}/submit"),
            json!({}),
        )
        .await;
    assert_eq!(incomplete.status, 422, "{}", incomplete.json);
    let fields: Vec<&str> = incomplete.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"birth_date") && fields.contains(&"motifs"),
        "{fields:?}"
    );
    assert!(
        incomplete.json["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(':')
    );

    // The pieces are named among what is missing, each with its article.
    assert!(
        fields.contains(&"pieces-b2") && fields.contains(&"pieces-etat_services"),
        "{fields:?}"
    );
    // Completed, its pieces attached, then submitted: a number and « déposé ».
    slice.attach_required(&cast.redacteur, &id).await;
    let saved = slice
        .save_dossier(
            &cast.redacteur,
            &id,
            json!({"content": eligible_content("Lambert", "F")}),
        )
        .await;
    assert_eq!(saved.status, 204, "{}", saved.json);
    let read = slice
        .call(
            &cast.redacteur,
            Method::GET,
            &format!("/intake/api/v1/dossiers/{id}"),
            json!({}),
        )
        .await;
    assert_eq!(
        read.json["eligibility"]["verdict"], "eligible",
        "{}",
        read.json["eligibility"]
    );
    let done = slice
        .post(
            &cast.redacteur,
            &format!("/intake/api/v1/dossiers/{id}/submit"),
            json!({}),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.json);
    let number = done.json["number"].as_str().unwrap();
    assert!(
        regex_like_number(number),
        "a number like LH-2027-07-0001, got {number}"
    );

    // The circuit: taken, opinion, four eyes, transmitted. An agent who both instructs and
    // validates at the préfecture gives the opinion: they may not validate it themselves, and
    // an instructeur alone may not validate at all.
    let rhone = slice
        .unit(cast.tenant, OrgUnitKind::PrefectureDepartement, "69")
        .await;
    let mut both = slice
        .who("jeanne", cast.tenant, Role::Instructeur, rhone)
        .await;
    both.roles.push(RoleGrant {
        role: Role::Valideur,
        unit: rhone,
    });
    let path = |what: &str| format!("/instruction/api/v1/dossiers/{id}/{what}");
    assert_eq!(
        slice.post(&both, &path("take"), json!({})).await.status,
        204
    );
    let opinion = slice
        .post(
            &both,
            &path("opinion"),
            json!({"verdict": "favorable", "motivation": "Mérites éminents."}),
        )
        .await;
    assert_eq!(opinion.status, 204, "{}", opinion.json);
    let before = slice.snapshot(&id).await;
    let own = slice.post(&both, &path("transmit"), json!({})).await;
    assert_eq!(
        (own.status, own.json["code"].as_str()),
        (409, Some("dossier.four_eyes"))
    );
    let unvalidated = slice
        .post(&cast.instructeur, &path("transmit"), json!({}))
        .await;
    assert_eq!(unvalidated.status, 403, "validating is the valideur's");
    assert_eq!(
        slice.snapshot(&id).await,
        before,
        "a refused transmission changes nothing"
    );
    assert_eq!(
        slice
            .post(&cast.valideur, &path("transmit"), json!({}))
            .await
            .status,
        204
    );
    assert_eq!(slice.snapshot(&id).await.0, "transmis");

    // The journal tells the story, in order, with the actors.
    let mut conn = TestDb::connect(&slice.db.admin_url()).await.unwrap();
    let kinds = count(
        &mut conn,
        &format!(
            "SELECT count(*) AS n FROM journal.events WHERE subject = 'dossier:{id}' AND kind IN \
             ('dossier.created','dossier.saved','dossier.submitted','dossier.taken','dossier.opinion_given','dossier.transmitted')"
        ),
    )
    .await;
    assert_eq!(kinds, 6);
    slice.finish().await;
}

fn regex_like_number(n: &str) -> bool {
    let parts: Vec<&str> = n.split('-').collect();
    parts.len() == 4
        && parts[0] == "LH"
        && parts[1].len() == 4
        && parts[2] == "07"
        && parts[3] == "0001"
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_transitions_change_nothing_and_journal_nothing() {
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    let campaign = open_campaign(&slice, &cast).await;
    let (id, _) = submitted(&slice, &cast, &campaign, "Rousseau", "M").await;
    let path = |what: &str| format!("/instruction/api/v1/dossiers/{id}/{what}");
    let before = slice.snapshot(&id).await;
    let cases = [
        // Wrong role: a rédacteur cannot take, an instructeur of another unit neither.
        (&cast.redacteur, path("take"), json!({}), 403),
        (&cast.integrateur, path("take"), json!({}), 403),
        (&cast.instructeur, path("transmit"), json!({}), 403),
        // Wrong state: no opinion before taking, no transmission before an opinion.
        (
            &cast.instructeur,
            path("opinion"),
            json!({"verdict": "favorable", "motivation": "x"}),
            409,
        ),
        (&cast.valideur, path("transmit"), json!({}), 409),
        // Another tenant: the id does not exist for them.
        (&cast.outsider, path("take"), json!({}), 404),
        // Submitting twice.
        (
            &cast.redacteur,
            format!("/intake/api/v1/dossiers/{id}/submit"),
            json!({}),
            409,
        ),
    ];
    for (who, url, body, expected) in cases {
        let answer = slice.post(who, &url, body).await;
        assert_eq!(answer.status, expected, "{url}: {}", answer.json);
        assert!(
            answer.json["title"].is_string(),
            "a French problem: {}",
            answer.json
        );
        assert_eq!(slice.snapshot(&id).await, before, "{url} changed something");
    }
    // Another tenant cannot read it either, nor its content.
    let read = slice
        .call(
            &cast.outsider,
            Method::GET,
            &format!("/intake/api/v1/dossiers/{id}"),
            json!({}),
        )
        .await;
    assert_eq!(read.status, 404);
    // Taken once: taking again is a 409, and an opinion needs the holder.
    assert_eq!(
        slice
            .post(&cast.instructeur, &path("take"), json!({}))
            .await
            .status,
        204
    );
    let before = slice.snapshot(&id).await;
    let again = slice
        .post(&cast.instructeur, &path("take"), json!({}))
        .await;
    assert_eq!(again.status, 409);
    let empty = slice
        .post(
            &cast.instructeur,
            &path("opinion"),
            json!({"verdict": "favorable", "motivation": "  "}),
        )
        .await;
    assert_eq!(
        (empty.status, empty.json["errors"][0]["field"].as_str()),
        (422, Some("motivation"))
    );
    assert_eq!(slice.snapshot(&id).await, before);
    // Returned for a complement: the rédacteur may edit again, then resubmit with the same number.
    let back = slice
        .post(
            &cast.instructeur,
            &path("return"),
            json!({"message": "Préciser la carrière."}),
        )
        .await;
    assert_eq!(back.status, 204, "{}", back.json);
    let again = slice
        .post(
            &cast.redacteur,
            &format!("/intake/api/v1/dossiers/{id}/submit"),
            json!({}),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.json);
    assert!(again.json["number"].as_str().unwrap().ends_with("-0001"));
    slice.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn campaigns_are_for_administrators_and_checked() {
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    let refused = slice
        .post(
            &cast.redacteur,
            "/intake/api/v1/campaigns",
            json!({"distinction": "LH"}),
        )
        .await;
    assert_eq!(refused.status, 403);
    let invalid = slice
        .post(
            &cast.admin,
            "/intake/api/v1/campaigns",
            json!({"distinction": "XX", "promotion_date": "2027-07-14", "opens_on": "2027-03-01",
                   "closes_on": "2027-01-01", "bureau_unit_id": cast.bureau.to_string()}),
        )
        .await;
    assert_eq!(invalid.status, 422);
    let fields: Vec<&str> = invalid.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["distinction", "closes_on"]);
    let mut conn = TestDb::connect(&slice.db.admin_url()).await.unwrap();
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM intake.campaigns").await,
        0
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM journal.events WHERE kind = 'campaign.created'"
        )
        .await,
        0
    );
    slice.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_activity_seeds_every_state_once() {
    let slice = TestApp::services().await;
    let signer = &slice.signer;
    let first = napoleon::demo_activity::seed_activity(&slice.ctx, signer, "http://demo/dev-idp")
        .await
        .unwrap();
    assert_eq!(
        (first.campaigns, first.dossiers, first.laureates),
        (2, 6, 3)
    );
    let again = napoleon::demo_activity::seed_activity(&slice.ctx, signer, "http://demo/dev-idp")
        .await
        .unwrap();
    assert_eq!(again, napoleon::demo_activity::ActivityReport::default());
    let mut conn = TestDb::connect(&slice.db.admin_url()).await.unwrap();
    // The Culture ministry: an open campaign and a draft, filed at the DRAC by Emma Lefort.
    let culture = slice.tenant("culture").await;
    assert_eq!(
        count(
            &mut conn,
            &format!(
                "SELECT count(*) AS n FROM intake.dossiers d JOIN core.agents a ON a.id = d.created_by \
                 WHERE d.tenant_id = '{culture}' AND d.state = 'brouillon' \
                   AND a.email = 'emma.lefort@culture.gouv.fr'"
            )
        )
        .await,
        1
    );
    for state in ["depose", "en_instruction", "complement_demande", "transmis"] {
        assert_eq!(
            count(
                &mut conn,
                &format!("SELECT count(*) AS n FROM intake.dossiers WHERE state = '{state}'")
            )
            .await,
            1,
            "{state}"
        );
    }
    for state in ["brouillon"] {
        assert_eq!(
            count(
                &mut conn,
                &format!(
                    "SELECT count(*) AS n FROM intake.dossiers \
                     WHERE state = '{state}' AND tenant_id <> '{culture}'"
                )
            )
            .await,
            1,
            "{state}"
        );
    }
    slice.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_of_the_path_renders() {
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    let campaign = open_campaign(&slice, &cast).await;
    let draft = slice
        .post(
            &cast.redacteur,
            "/intake/api/v1/dossiers",
            json!({"campaign_id": campaign}),
        )
        .await;
    let id = draft.json["id"].as_str().unwrap().to_owned();
    for n in 1..=5 {
        let page = slice
            .call(
                &cast.redacteur,
                Method::GET,
                &format!("/intake/dossiers/{id}/etape/{n}"),
                json!({}),
            )
            .await;
        assert_eq!(page.status, 200, "step {n}: {}", page.json);
    }
    for path in ["/intake/dossiers", "/intake/campagnes"] {
        let page = slice
            .call(&cast.redacteur, Method::GET, path, json!({}))
            .await;
        assert_eq!(page.status, 200, "{path}: {}", page.json);
    }
    let page = slice
        .call(
            &cast.admin,
            Method::GET,
            "/intake/campagnes/nouvelle",
            json!({}),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.json);
    slice.finish().await;
}

/// Found by the browser walk: the gateway's matched path parameters used to travel with the
/// request into the service, whose own `Path` extractor then saw one parameter too many (500).
#[tokio::test(flavor = "multi_thread")]
async fn a_service_page_with_path_parameters_renders_through_the_gateway() {
    let live = TestApp::live_with_activity().await;
    let (mut paul, csrf) = live.logged_in(PAUL).await;
    let list = paul.get(&live.url("/intake/dossiers")).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let campaign = list
        .body
        .split("<option value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let created = paul
        .post(
            &live.url("/intake/dossiers"),
            &[("_csrf", csrf.as_str()), ("campaign_id", campaign.as_str())],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let step = paul.get(&created.next()).await;
    assert_eq!(step.status, 200, "{}", step.body);
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn decisions_publication_registry_radar_and_proposal_through_the_api() {
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    let campaign = open_campaign(&slice, &cast).await;
    let (woman, _) = submitted(&slice, &cast, &campaign, "Lambert", "F").await;
    let (man, _) = submitted(&slice, &cast, &campaign, "Rousseau", "M").await;
    transmitted(&slice, &cast, &woman).await;
    transmitted(&slice, &cast, &man).await;

    // Forbidden moves leave the dossier and the journal as they were.
    let decide = |id: &str| format!("/decisions/api/v1/dossiers/{id}/decision");
    let before = slice.snapshot(&woman).await;
    for (who, expected) in [(&cast.instructeur, 403), (&cast.outsider, 404)] {
        let answer = slice
            .post(
                who,
                &decide(&woman),
                json!({"decision": "retenu", "motivation": "x"}),
            )
            .await;
        assert_eq!(answer.status, expected, "{}", answer.json);
        assert_eq!(slice.snapshot(&woman).await, before);
    }
    let close = format!("/decisions/api/v1/campaigns/{campaign}/close");
    let early = slice.post(&cast.integrateur, &close, json!({})).await;
    assert_eq!(
        (early.status, early.json["code"].as_str()),
        (409, Some("list.undecided"))
    );
    assert_eq!(slice.snapshot(&woman).await, before);

    // Ranking, decisions, the counters, closing, publishing.
    let up = slice
        .post(
            &cast.integrateur,
            &format!("/decisions/api/v1/dossiers/{man}/rank"),
            json!({"direction": "up"}),
        )
        .await;
    assert_eq!(up.status, 200, "{}", up.json);
    assert_eq!(
        slice
            .post(
                &cast.integrateur,
                &decide(&woman),
                json!({"decision": "retenu", "motivation": "Mérites éminents."})
            )
            .await
            .status,
        200
    );
    assert_eq!(
        slice
            .post(
                &cast.integrateur,
                &decide(&man),
                json!({"decision": "refuse", "motivation": "Hors contingent."})
            )
            .await
            .status,
        200
    );
    let board = slice
        .call(
            &cast.integrateur,
            Method::GET,
            &format!("/decisions/api/v1/campaigns/{campaign}/board"),
            json!({}),
        )
        .await;
    assert_eq!(
        board.json["dossiers"][0]["id"],
        man.as_str(),
        "ranked first"
    );
    assert_eq!(board.json["women"]["percent"], 100);
    assert_eq!(board.json["contingents"][0]["retained"], 1);
    assert_eq!(
        slice
            .post(&cast.integrateur, &close, json!({}))
            .await
            .status,
        200
    );
    let late = slice
        .post(
            &cast.integrateur,
            &decide(&man),
            json!({"decision": "retenu", "motivation": "x"}),
        )
        .await;
    assert_eq!(
        (late.status, late.json["code"].as_str()),
        (409, Some("list.closed"))
    );
    let published = slice
        .post(
            &cast.integrateur,
            &format!("/decisions/api/v1/campaigns/{campaign}/publish"),
            json!({"decree_date": today().to_string(), "jo_reference": "JORF n° 0163"}),
        )
        .await;
    assert_eq!(published.status, 200, "{}", published.json);
    let award = published.json["awards"][0]["award_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(slice.snapshot(&woman).await.0, "publie");
    assert_eq!(slice.snapshot(&man).await.0, "refuse");
    // Her career went into the registry with her (decisions writes careers too).
    let mut tx = slice.ctx.db.tenant(cast.tenant).await.unwrap();
    let career = napoleon_testkit::count(
        tx.pg(),
        &format!(
            "SELECT count(*) AS n FROM registry.service_periods s \
             JOIN registry.awards a ON a.tenant_id = s.tenant_id AND a.laureate_id = s.laureate_id \
             WHERE a.id = '{award}' AND s.kind = 'public' AND s.starts_on = '1982-09-01' \
               AND s.ends_on IS NULL AND s.position = 'Ingénieure territoriale'"
        ),
    )
    .await;
    tx.rollback().await;
    assert_eq!(career, 1);

    // The réception starts the time in grade; the radar gives the date for officier.
    let reception = format!("/decisions/api/v1/awards/{award}/reception");
    let received = slice
        .post(
            &cast.integrateur,
            &reception,
            json!({"reception_date": today().to_string()}),
        )
        .await;
    assert_eq!(received.status, 200, "{}", received.json);
    let twice = slice
        .post(
            &cast.integrateur,
            &reception,
            json!({"reception_date": today().to_string()}),
        )
        .await;
    assert_eq!(twice.status, 409);
    let officer = napoleon_rules::add_years(today(), 8).unwrap();
    let radar = slice
        .call(
            &cast.integrateur,
            Method::GET,
            &format!("/promotion/api/v1/radar?by={officer}"),
            json!({}),
        )
        .await;
    assert_eq!(radar.status, 200, "{}", radar.json);
    let entry = radar.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["award_id"] == award.as_str())
        .unwrap_or_else(|| panic!("the new laureate is on the radar: {}", radar.json));
    assert_eq!(entry["next_grade"], "officier");
    assert_eq!(entry["reachable_on"], officer.to_string());
    let sooner = slice
        .call(
            &cast.integrateur,
            Method::GET,
            &format!("/promotion/api/v1/radar?by={}", officer.pred_opt().unwrap()),
            json!({}),
        )
        .await;
    assert!(
        !sooner.json["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["award_id"] == award.as_str())
    );

    // The proposal: a draft for the filing unit, prefilled, for officier; journaled.
    let refused = slice
        .post(
            &cast.redacteur,
            "/intake/api/v1/proposals",
            json!({"award_id": award, "campaign_id": campaign}),
        )
        .await;
    assert_eq!(refused.status, 403);
    // Sent twice with its Idempotency-Key (a lost answer), it proposes once.
    let propose = async |key: &str| {
        slice
            .call_with(
                &cast.integrateur,
                Method::POST,
                "/intake/api/v1/proposals",
                json!({"award_id": award, "campaign_id": campaign}),
                &[("idempotency-key", key)],
            )
            .await
    };
    let (proposed, retried) =
        tokio::join!(propose("proposition-0001"), propose("proposition-0001"));
    one_created(&proposed, &retried);
    let draft = proposed.json["id"].as_str().unwrap();
    // The same key for another request (another campaign) is refused.
    let reused = slice
        .call_with(
            &cast.integrateur,
            Method::POST,
            "/intake/api/v1/proposals",
            json!({"award_id": award, "campaign_id": uuid::Uuid::new_v4()}),
            &[("idempotency-key", "proposition-0001")],
        )
        .await;
    assert_eq!(reused.status, 409, "{}", reused.json);
    assert_eq!(reused.json["code"], "request.key_reused");
    let read = slice
        .call(
            &cast.redacteur,
            Method::GET,
            &format!("/intake/api/v1/dossiers/{draft}"),
            json!({}),
        )
        .await;
    assert_eq!(
        read.status, 200,
        "the filing unit completes it: {}",
        read.json
    );
    assert_eq!(
        (
            read.json["state"].as_str(),
            read.json["target_grade"].as_str()
        ),
        (Some("brouillon"), Some("officier"))
    );
    assert_eq!(read.json["content"]["candidate"]["birth_name"], "Lambert");
    assert_eq!(
        read.json["content"]["distinctions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["distinction"] == "LH")
            .count(),
        1
    );
    let proposals = async || {
        let mut tx = slice.ctx.db.tenant(cast.tenant).await.unwrap();
        let n = napoleon_db::journal::count_kind(
            &mut tx,
            napoleon_db::journal::EventKind::DossierProposedForPromotion,
        )
        .await
        .unwrap();
        tx.rollback().await;
        n
    };
    assert_eq!(proposals().await, 1);

    // The radar's form, sent twice with its hidden key (a double click), proposes once more.
    let form = [
        ("award_id", award.as_str()),
        ("campaign_id", campaign.as_str()),
        ("idempotency_key", "formulaire-radar-0001"),
    ];
    for _ in 0..2 {
        let sent = slice
            .form(&cast.integrateur, "/intake/propositions", &form)
            .await;
        assert_eq!(sent.status, 303, "{}", sent.json);
    }
    assert_eq!(proposals().await, 2, "one per key");
    slice.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_service_describes_its_api_in_openapi() {
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    for (service, path) in [
        ("intake", "/intake/api/v1/dossiers/{id}/submit"),
        ("instruction", "/instruction/api/v1/dossiers/{id}/transmit"),
        ("decisions", "/decisions/api/v1/campaigns/{id}/publish"),
        ("promotion", "/promotion/api/v1/radar"),
    ] {
        let doc = slice
            .call(
                &cast.integrateur,
                Method::GET,
                &format!("/{service}/api/v1/openapi.json"),
                json!({}),
            )
            .await;
        assert_eq!(doc.status, 200, "{service}");
        assert!(
            doc.json["openapi"].as_str().unwrap().starts_with("3."),
            "{service}"
        );
        assert!(
            doc.json["paths"].get(path).is_some(),
            "{service} documents {path}: {}",
            doc.json["paths"]
        );
        // The whole document: a change to the API shows in review as a snapshot change.
        insta::assert_json_snapshot!(format!("openapi_{service}"), doc.json);
    }
    slice.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn numbers_stay_unique_across_campaigns_and_scopes_hold() {
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    // Two campaigns of the same distinction and promotion share the number sequence.
    let first = open_campaign(&slice, &cast).await;
    let second = open_campaign(&slice, &cast).await;
    let (_, a) = submitted(&slice, &cast, &first, "Lambert", "F").await;
    let (_, b) = submitted(&slice, &cast, &second, "Rousseau", "M").await;
    let (_, c) = submitted(&slice, &cast, &first, "Girard", "F").await;
    let ends: Vec<String> = [&a, &b, &c]
        .iter()
        .map(|n| n[n.len() - 4..].to_owned())
        .collect();
    assert_eq!(ends, ["0001", "0002", "0003"], "{a} {b} {c}");

    // Another ministry's unit is unknown here.
    let foreign = slice
        .unit(cast.outsider.tenant, OrgUnitKind::Direction, "BDH")
        .await;
    let answer = slice
        .post(
            &cast.redacteur,
            "/intake/api/v1/dossiers",
            json!({"campaign_id": first, "unit_id": foreign.to_string()}),
        )
        .await;
    assert_eq!(answer.status, 404, "{}", answer.json);

    // Tenant-wide actions need a ministry-level role: an administrator of a préfecture cannot
    // create campaigns, an intégrateur of a préfecture cannot read the registry.
    let rhone = slice
        .unit(cast.tenant, OrgUnitKind::PrefectureDepartement, "69")
        .await;
    let local_admin = slice
        .who("gilles", cast.tenant, Role::Administrateur, rhone)
        .await;
    let refused = slice
        .post(
            &local_admin,
            "/intake/api/v1/campaigns",
            json!({"distinction": "LH"}),
        )
        .await;
    assert_eq!(refused.status, 403);
    let local_integrateur = slice
        .who("ines", cast.tenant, Role::Integrateur, rhone)
        .await;
    let registry = slice
        .call(
            &local_integrateur,
            Method::GET,
            "/promotion/api/v1/registry",
            json!({}),
        )
        .await;
    assert_eq!(registry.status, 403);
    let registry = slice
        .call(
            &cast.integrateur,
            Method::GET,
            "/promotion/api/v1/registry",
            json!({}),
        )
        .await;
    assert_eq!(registry.status, 200, "{}", registry.json);
    slice.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_is_transmitted_to_a_closed_list() {
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    let campaign = open_campaign(&slice, &cast).await;
    let (early, _) = submitted(&slice, &cast, &campaign, "Lambert", "F").await;
    let (late, _) = submitted(&slice, &cast, &campaign, "Rousseau", "M").await;
    transmitted(&slice, &cast, &early).await;
    let decided = slice
        .post(
            &cast.integrateur,
            &format!("/decisions/api/v1/dossiers/{early}/decision"),
            json!({"decision": "retenu", "motivation": "Oui."}),
        )
        .await;
    assert_eq!(decided.status, 200, "{}", decided.json);
    let closed = slice
        .post(
            &cast.integrateur,
            &format!("/decisions/api/v1/campaigns/{campaign}/close"),
            json!({}),
        )
        .await;
    assert_eq!(closed.status, 200, "{}", closed.json);
    let path = |what: &str| format!("/instruction/api/v1/dossiers/{late}/{what}");
    assert_eq!(
        slice
            .post(&cast.instructeur, &path("take"), json!({}))
            .await
            .status,
        204
    );
    let opinion = slice
        .post(
            &cast.instructeur,
            &path("opinion"),
            json!({"verdict": "favorable", "motivation": "Oui."}),
        )
        .await;
    assert_eq!(opinion.status, 204);
    let before = slice.snapshot(&late).await;
    let refused = slice
        .post(&cast.valideur, &path("transmit"), json!({}))
        .await;
    assert_eq!(
        (refused.status, refused.json["code"].as_str()),
        (409, Some("list.closed"))
    );
    assert_eq!(slice.snapshot(&late).await, before);
    slice.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_step_sent_with_errors_keeps_everything_typed() {
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    let campaign = open_campaign(&slice, &cast).await;
    let draft = slice
        .post(
            &cast.redacteur,
            "/intake/api/v1/dossiers",
            json!({"campaign_id": campaign}),
        )
        .await;
    let id = draft.json["id"].as_str().unwrap().to_owned();
    // The grade left on « — Choisir — », the motifs typed: the page answers with the errors,
    // and the draft keeps the motifs.
    let version = slice
        .call(
            &cast.redacteur,
            Method::GET,
            &format!("/intake/api/v1/dossiers/{id}"),
            json!({}),
        )
        .await
        .json["version"]
        .to_string();
    let page = slice
        .form(
            &cast.redacteur,
            &format!("/intake/dossiers/{id}/etape/4"),
            &[
                ("version", version.as_str()),
                ("_action", "continuer"),
                ("target_grade", ""),
                ("motifs", "Trente ans au service des habitants."),
                ("criminal_record_issued_on", ""),
            ],
        )
        .await;
    assert_eq!(page.status, 200);
    let html = page.json.as_str().unwrap();
    assert!(
        html.contains("Grade proposé : choisissez un grade."),
        "{html}"
    );
    assert!(html.contains("Trente ans au service des habitants."));
    let read = slice
        .call(
            &cast.redacteur,
            Method::GET,
            &format!("/intake/api/v1/dossiers/{id}"),
            json!({}),
        )
        .await;
    assert_eq!(
        read.json["content"]["motifs"],
        "Trente ans au service des habitants."
    );
    assert_eq!(
        read.json["target_grade"], "chevalier",
        "the previous grade stays"
    );
    slice.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn another_units_draft_is_a_404_at_every_door_and_changes_nothing() {
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    let campaign = open_campaign(&slice, &cast).await;
    let id = draft(&slice, &cast, &campaign, "Marchand", "F").await;
    let before = slice.snapshot(&id).await;

    // The Gironde's agents: the Rhône's draft is no business of theirs, not even its existence.
    let gironde = slice
        .unit(cast.tenant, OrgUnitKind::PrefectureDepartement, "33")
        .await;
    let redacteur = slice
        .who("gaston", cast.tenant, Role::Redacteur, gironde)
        .await;
    let instructeur = slice
        .who("gisele", cast.tenant, Role::Instructeur, gironde)
        .await;
    let dossier = format!("/intake/api/v1/dossiers/{id}");
    for (who, method, path, body) in [
        (&redacteur, Method::GET, dossier.clone(), json!({})),
        (
            &redacteur,
            Method::PUT,
            dossier.clone(),
            json!({"content": eligible_content("Autre", "M")}),
        ),
        (
            &redacteur,
            Method::POST,
            format!("{dossier}/submit"),
            json!({}),
        ),
        (
            &instructeur,
            Method::POST,
            format!("/instruction/api/v1/dossiers/{id}/take"),
            json!({}),
        ),
    ] {
        let answer = slice.call(who, method.clone(), &path, body).await;
        assert_eq!(answer.status, 404, "{method} {path}: {}", answer.json);
        assert_eq!(answer.json["code"], "not_found", "{method} {path}");
    }
    assert_eq!(slice.snapshot(&id).await, before, "nothing changed");

    // Its own unit reads and saves it.
    let own = slice
        .call(&cast.redacteur, Method::GET, &dossier, json!({}))
        .await;
    assert_eq!(own.status, 200, "{}", own.json);
    slice.finish().await;
}

/// The filing window is judged on the date in Paris: at 00:30 on the day after it closes, the
/// UTC date is still the closing day (one hour behind in winter, two in summer), and at 00:30
/// on its opening day, the UTC date is the day before. The instants are computed here from the
/// offsets, independently of the clock's time-zone code.
#[tokio::test(flavor = "multi_thread")]
async fn the_filing_window_is_judged_on_the_date_in_paris_around_midnight() {
    use chrono::{NaiveDate, TimeZone, Utc};
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    // Paris local time `h:m` on `date`, with the offset of that season, as a UTC instant.
    let paris = |date: NaiveDate, h: u32, m: u32, offset_hours: i64| {
        Utc.from_utc_datetime(&date.and_hms_opt(h, m, 0).unwrap())
            - chrono::Duration::hours(offset_hours)
    };
    for (season, opens, closes, offset) in [
        ("hiver", day(2027, 1, 15), day(2027, 1, 20), 1),
        ("été", day(2027, 7, 15), day(2027, 7, 20), 2),
    ] {
        slice
            .clock
            .set(paris(opens - chrono::Duration::days(10), 12, 0, offset));
        let created = slice
            .post(
                &cast.admin,
                "/intake/api/v1/campaigns",
                json!({
                    "distinction": "LH",
                    "label": format!("Campagne d'{season}"),
                    "promotion_date": day(2028, 7, 14).to_string(),
                    "opens_on": opens.to_string(),
                    "closes_on": closes.to_string(),
                    "bureau_unit_id": cast.bureau.to_string(),
                    "contingents": {"chevalier": "2"},
                }),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.json);
        let campaign = created.json["id"].as_str().unwrap().to_owned();
        for (moment, at, open) in [
            (
                "veille de l'ouverture, 23 h 30",
                paris(opens - chrono::Duration::days(1), 23, 30, offset),
                false,
            ),
            (
                "jour de l'ouverture, 0 h 30",
                paris(opens, 0, 30, offset),
                true,
            ),
            (
                "jour de la clôture, 23 h 30",
                paris(closes, 23, 30, offset),
                true,
            ),
            (
                "lendemain de la clôture, 0 h 30",
                paris(closes + chrono::Duration::days(1), 0, 30, offset),
                false,
            ),
        ] {
            slice.clock.set(at);
            let filed = slice
                .post(
                    &cast.redacteur,
                    "/intake/api/v1/dossiers",
                    json!({"campaign_id": campaign}),
                )
                .await;
            if open {
                assert_eq!(filed.status, 201, "{season}, {moment}: {}", filed.json);
            } else {
                assert_eq!(filed.status, 409, "{season}, {moment}: {}", filed.json);
                assert_eq!(filed.json["code"], "campaign.closed", "{season}, {moment}");
            }
        }
    }
    // What the database stamps follows the same clock (`core.clock_now()`).
    let mut conn = TestDb::connect(&slice.db.admin_url()).await.unwrap();
    let stamped = "SELECT count(*) AS n FROM intake.dossiers \
                   WHERE created_at BETWEEN '2027-01-14' AND '2027-07-22'";
    assert_eq!(
        count(&mut conn, stamped).await,
        4,
        "four drafts, at the clock's times"
    );
    slice.finish().await;
}

/// Finding of the identity review (issue 14): intake's API showed a draft to the instruction
/// roles of its filing unit, which instruction's pages hide. A draft is its rédacteurs' alone
/// until submitted: a 404 for everyone else, at the API as on the pages. Failed before its fix.
#[tokio::test(flavor = "multi_thread")]
async fn a_draft_is_hidden_from_the_instruction_roles_of_its_own_unit() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let id = draft(&app, &cast, &campaign, "Brouillon", "F").await;
    let path = format!("/intake/api/v1/dossiers/{id}");
    assert_eq!(
        app.call(&cast.redacteur, Method::GET, &path, json!({}))
            .await
            .status,
        200
    );
    for who in [&cast.instructeur, &cast.valideur] {
        let seen = app.call(who, Method::GET, &path, json!({})).await;
        assert_eq!(seen.status, 404, "{}", seen.json);
    }
    // Once submitted, the level's roles read it.
    assert_eq!(app.submit(&cast.redacteur, &id).await.status, 200);
    assert_eq!(
        app.call(&cast.instructeur, Method::GET, &path, json!({}))
            .await
            .status,
        200
    );
    app.finish().await;
}

/// Review of the draft fix: the bureau's acts on a draft's id answer 404, like an unknown id,
/// not a 409 naming its state and campaign.
#[tokio::test(flavor = "multi_thread")]
async fn the_bureau_cannot_tell_a_draft_from_an_unknown_id() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let id = draft(&app, &cast, &campaign, "Brouillon", "M").await;
    let decide = app
        .post(
            &cast.integrateur,
            &format!("/decisions/api/v1/dossiers/{id}/decision"),
            json!({"decision": "retenu", "motivation": "Essai."}),
        )
        .await;
    assert_eq!(decide.status, 404, "{}", decide.json);
    app.finish().await;
}

/// Issue 14: two saves from the same version used to both succeed, the second silently
/// erasing the first; a retried create made a second dossier. Now the later save is a 409
/// (`dossier.stale`) and a create retried with its Idempotency-Key answers the same dossier.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_saves_give_one_409_and_a_retried_create_one_dossier() {
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    let campaign = open_campaign(&slice, &cast).await;
    let id = draft(&slice, &cast, &campaign, "Marchand", "F").await;
    let path = format!("/intake/api/v1/dossiers/{id}");
    let read = slice
        .call(&cast.redacteur, Method::GET, &path, json!({}))
        .await;
    let version = format!("\"{}\"", read.json["version"]);

    let without = slice
        .call(
            &cast.redacteur,
            Method::PUT,
            &path,
            json!({"content": eligible_content("Sans", "F")}),
        )
        .await;
    assert_eq!(without.status, 422, "{}", without.json);
    assert_eq!(without.json["code"], "request.if_match_required");
    for odd in ["W/\"1\"", "*", "\"1\", \"2\"", "\"+1\"", "1"] {
        let refused = slice
            .call_with(
                &cast.redacteur,
                Method::PUT,
                &path,
                json!({"content": eligible_content("Sans", "F")}),
                &[("if-match", odd)],
            )
            .await;
        assert_eq!(refused.status, 422, "If-Match: {odd}");
    }

    let if_match = [("if-match", version.as_str())];
    let first_body = json!({"content": eligible_content("Premier", "F")});
    let second_body = json!({"content": eligible_content("Second", "M")});
    let (a, b) = tokio::join!(
        slice.call_with(&cast.redacteur, Method::PUT, &path, first_body, &if_match),
        slice.call_with(&cast.redacteur, Method::PUT, &path, second_body, &if_match),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [204, 409], "{} / {}", a.json, b.json);
    let loser = if a.status == 409 { &a } else { &b };
    assert_eq!(loser.json["code"], "dossier.stale");
    let winner = if a.status == 204 { "Premier" } else { "Second" };
    let after = slice
        .call(&cast.redacteur, Method::GET, &path, json!({}))
        .await;
    assert_eq!(
        after.json["content"]["candidate"]["birth_name"], winner,
        "the winner's save stands"
    );

    // Creates: the same key twice (a retry) is one dossier; the same key for another
    // request is refused.
    let mut admin = slice.admin().await;
    let drafts = "SELECT count(*) AS n FROM intake.dossiers WHERE state = 'brouillon'";
    let before = count(&mut admin, drafts).await;
    let create = |content: serde_json::Value| {
        slice.call_with(
            &cast.redacteur,
            Method::POST,
            "/intake/api/v1/dossiers",
            json!({"campaign_id": campaign, "content": content}),
            &[("idempotency-key", "3f2b8c1e-0d4a-4c55-9a8e-1b2c3d4e5f60")],
        )
    };
    let (first, retried) = tokio::join!(create(json!({})), create(json!({})));
    one_created(&first, &retried);
    assert_eq!(count(&mut admin, drafts).await, before + 1, "one dossier");
    let other = create(eligible_content("Autre", "M")).await;
    assert_eq!(other.status, 409, "{}", other.json);
    assert_eq!(other.json["code"], "request.key_reused");
    let malformed = slice
        .call_with(
            &cast.redacteur,
            Method::POST,
            "/intake/api/v1/dossiers",
            json!({"campaign_id": campaign, "content": {}}),
            &[("idempotency-key", "court")],
        )
        .await;
    assert_eq!(malformed.status, 422);
    assert_eq!(count(&mut admin, drafts).await, before + 1, "nothing more");
    slice.finish().await;
}

/// Issue 14: the other creates. A campaign created again with the key of an earlier request
/// (the API's header, the form's hidden field) is the same campaign; the key of another
/// request is a 409; a form sent back with errors keeps its key (nothing was created).
#[tokio::test(flavor = "multi_thread")]
async fn a_retried_campaign_create_makes_one_campaign() {
    use chrono::Datelike;
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    let mut admin = slice.admin().await;
    let campaigns = "SELECT count(*) AS n FROM intake.campaigns";
    let before = count(&mut admin, campaigns).await;
    let today = today();
    let promotion = chrono::NaiveDate::from_ymd_opt(today.year() + 1, 7, 14).unwrap();
    let body = |label: &str| {
        json!({
            "distinction": "LH",
            "label": label,
            "promotion_date": promotion.to_string(),
            "opens_on": today.to_string(),
            "closes_on": (today + chrono::Duration::days(30)).to_string(),
            "bureau_unit_id": cast.bureau.to_string(),
        })
    };
    let create = async |label: &str, key: &str| {
        slice
            .call_with(
                &cast.admin,
                Method::POST,
                "/intake/api/v1/campaigns",
                body(label),
                &[("idempotency-key", key)],
            )
            .await
    };
    let (first, retried) = tokio::join!(
        create("Promotion du 14 juillet", "campagne-0001"),
        create("Promotion du 14 juillet", "campagne-0001"),
    );
    one_created(&first, &retried);
    assert_eq!(count(&mut admin, campaigns).await, before + 1);
    let other = create("Une autre promotion", "campagne-0001").await;
    assert_eq!(other.status, 409, "{}", other.json);
    assert_eq!(other.json["code"], "request.key_reused");
    let malformed = create("Promotion du 14 juillet", "court").await;
    assert_eq!(malformed.status, 422, "{}", malformed.json);
    assert_eq!(malformed.json["code"], "request.idempotency_key");
    assert_eq!(
        count(&mut admin, campaigns).await,
        before + 1,
        "nothing more"
    );

    // The form: offered with a fresh key; sent with an error, it comes back with the same
    // key; corrected and sent twice, it creates one campaign.
    let page = slice
        .call(
            &cast.admin,
            Method::GET,
            "/intake/campagnes/nouvelle",
            json!({}),
        )
        .await;
    let shown = hidden(&page.json, "idempotency_key");
    assert!(
        napoleon_kernel::IdempotencyKey::parse(&shown).is_ok(),
        "{shown}"
    );
    let (opens, closes) = (
        today.format("%d/%m/%Y").to_string(),
        (today + chrono::Duration::days(30))
            .format("%d/%m/%Y")
            .to_string(),
    );
    let promotion = promotion.format("%d/%m/%Y").to_string();
    let bureau = cast.bureau.to_string();
    let form = |closes: &str| {
        vec![
            ("distinction", "LH".to_owned()),
            ("label", "Promotion de printemps".to_owned()),
            ("promotion_date", promotion.clone()),
            ("opens_on", opens.clone()),
            ("closes_on", closes.to_owned()),
            ("bureau_unit_id", bureau.clone()),
            ("idempotency_key", shown.clone()),
        ]
    };
    let send = async |pairs: Vec<(&str, String)>| {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        slice.form(&cast.admin, "/intake/campagnes", &pairs).await
    };
    let wrong = send(form("31/02/2027")).await;
    assert_eq!(wrong.status, 200, "{}", wrong.json);
    assert!(
        wrong
            .json
            .as_str()
            .unwrap()
            .contains("Clôture du dépôt : saisissez une date valide")
    );
    assert_eq!(
        hidden(&wrong.json, "idempotency_key"),
        shown,
        "the same key"
    );
    for _ in 0..2 {
        let sent = send(form(&closes)).await;
        assert_eq!(sent.status, 303, "{}", sent.json);
    }
    assert_eq!(
        count(&mut admin, campaigns).await,
        before + 2,
        "one from the form"
    );
    slice.finish().await;
}

/// A create and its retry under the same key: both answered 201, with the same resource.
fn one_created(first: &Answer, retried: &Answer) {
    assert_eq!(
        (first.status, retried.status),
        (201, 201),
        "{} / {}",
        first.json,
        retried.json
    );
    assert_eq!(first.json["id"], retried.json["id"]);
}

/// The value of a page's hidden field.
fn hidden(page: &serde_json::Value, name: &str) -> String {
    let html = page.as_str().expect("a page");
    let marker = format!("name=\"{name}\" value=\"");
    html.split(&marker)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no hidden {name}"))
        .to_owned()
}

/// The page twin of the lost update: two tabs on the same step; the second to save gets a
/// 409 page keeping what it typed and saying why; sending that page again applies it.
#[tokio::test(flavor = "multi_thread")]
async fn a_step_saved_meanwhile_is_not_overwritten_and_nothing_typed_is_lost() {
    let live = TestApp::live_with_activity().await;
    let (mut browser, csrf) = live.logged_in(PAUL).await;
    let draft = live.first_draft(&mut browser).await;
    let step = live.url(&format!("/intake/dossiers/{draft}/etape/1"));
    let shown = live.draft_version(&mut browser, &draft).await;
    let save = |name: &'static str, version: String| {
        let mut tab = browser.twin();
        let (step, csrf) = (step.clone(), csrf.clone());
        async move {
            tab.post(
                &step,
                &[
                    ("_csrf", csrf.as_str()),
                    ("version", version.as_str()),
                    ("_action", "enregistrer"),
                    ("birth_name", name),
                ],
            )
            .await
        }
    };
    let first = save("Premier-Onglet", shown.clone()).await;
    assert_eq!(first.status, 303, "{}", first.body);
    let second = save("Second-Onglet", shown).await;
    assert_eq!(second.status, 409, "{}", second.body);
    assert!(second.body.contains("a été enregistré entre-temps"));
    assert!(
        second.body.contains("value=\"Second-Onglet\""),
        "what was typed is kept"
    );
    let again = save("Second-Onglet", second.hidden("version")).await;
    assert_eq!(again.status, 303, "{}", again.body);
    let page = browser.get(&step).await;
    assert!(page.body.contains("value=\"Second-Onglet\""));
    live.finish().await;
}

/// The review of issue 14: « Mes dossiers » and the default filing unit followed the
/// rédacteur role by name, not the ministry's policy. A ministry that lets its instructeurs
/// file too now sees them offered the form, and their drafts listed.
#[tokio::test(flavor = "multi_thread")]
async fn who_files_follows_the_ministrys_policy_not_a_role_name() {
    use napoleon_db::policy::{self, PolicyRule};
    let slice = TestApp::services().await;
    let cast = cast(&slice).await;
    let campaign = open_campaign(&slice, &cast).await;
    let offered = async |slice: &TestApp| {
        let page = slice
            .call(
                &cast.instructeur,
                Method::GET,
                "/intake/dossiers",
                json!({}),
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.json);
        page.json.as_str().unwrap().contains("Créer un dossier")
    };
    assert!(
        !offered(&slice).await,
        "the default policy: rédacteurs file"
    );
    {
        let db = slice.db.app_db().unwrap();
        let mut tx = db.tenant(cast.tenant).await.unwrap();
        let rule = |action: &str| PolicyRule {
            ptype: "p".to_owned(),
            values: vec![
                "instructeur".to_owned(),
                cast.tenant.to_string(),
                "nomination".to_owned(),
                action.to_owned(),
            ],
        };
        policy::add(&mut tx, &[rule("create"), rule("update")])
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    assert!(
        offered(&slice).await,
        "the ministry's policy: instructeurs file too"
    );
    let created = slice
        .post(
            &cast.instructeur,
            "/intake/api/v1/dossiers",
            json!({"campaign_id": campaign}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json);
    slice.finish().await;
}
