//! A dossier's pieces (issue 17): typed by their content, bounded, stored whole or not at all,
//! scanned by a real clamd before anyone may open them, replaced or removed with their
//! history kept, required at submission, and served only to whom may read them.

use axum::body::{Body, Bytes};
use axum::http::{Method, Request};
use napoleon::samples::{multipart, multipart_type, sample_pdf};
use napoleon_testkit::{
    Answer, Cast, ClamdProcess, EICAR, TestApp, Who, cast, count, eligible_content, open_campaign,
    transmitted,
};
use serde_json::{Value, json};
use tower::ServiceExt as _;

/// A draft of an eligible candidate, without any piece; its id.
async fn bare_draft(app: &TestApp, cast: &Cast, campaign: &str) -> String {
    let created = app
        .post(
            &cast.redacteur,
            "/intake/api/v1/dossiers",
            json!({"campaign_id": campaign, "content": eligible_content("Piece", "F")}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json);
    created.json["id"].as_str().unwrap().to_owned()
}

async fn pieces(app: &TestApp, who: &Who, id: &str) -> Vec<Value> {
    let list = app
        .call(
            who,
            Method::GET,
            &format!("/intake/api/v1/dossiers/{id}/pieces"),
            json!({}),
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.json);
    list.json.as_array().unwrap().clone()
}

async fn download(app: &TestApp, who: &Who, id: &str, piece: &str) -> Answer {
    app.call(
        who,
        Method::GET,
        &format!("/intake/api/v1/dossiers/{id}/pieces/{piece}"),
        json!({}),
    )
    .await
}

/// Rows of pieces, and files in the store: what a refused upload must leave as it was.
async fn stored(app: &TestApp) -> (i64, usize) {
    let rows = count(
        &mut app.admin().await,
        "SELECT count(*) AS n FROM intake.attachments",
    )
    .await;
    let files = walk(&app.db.pieces_dir());
    (rows, files.len())
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn messages(answer: &Answer) -> String {
    answer.json["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["message"].as_str().unwrap_or("").to_owned())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .unwrap_or_default()
}

/// A DOCX-shaped archive with one entry of `size` zeros (deflated to almost nothing).
fn docx_with_zeros(size: usize) -> Vec<u8> {
    use std::io::Write as _;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("[Content_Types].xml", deflated).unwrap();
    zip.write_all(b"<Types/>").unwrap();
    zip.start_file("word/document.xml", deflated).unwrap();
    let zeros = vec![0_u8; 1024 * 1024];
    for _ in 0..size / zeros.len() {
        zip.write_all(&zeros).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

#[tokio::test(flavor = "multi_thread")]
async fn files_are_typed_by_content_bounded_and_stored_whole_or_not_at_all() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let id = bare_draft(&app, &cast, &campaign).await;
    let empty = stored(&app).await;

    // Refused, each naming its file in French, and nothing stored.
    let mut oversize = b"%PDF-1.4\n".to_vec();
    oversize.resize(20 * 1024 * 1024 + 1, b' ');
    let bomb = docx_with_zeros(120 * 1024 * 1024);
    assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
    let cases: [(&str, &[u8], &str); 5] = [
        (
            "note.pdf",
            b"Ceci n'est pas un PDF.",
            "PDF, JPEG, PNG, ODT ou DOCX",
        ),
        (
            "image.gif",
            b"GIF89a\x01\x00\x01\x00",
            "PDF, JPEG, PNG, ODT ou DOCX",
        ),
        ("gros.pdf", &oversize, "20 Mo"),
        ("bombe.docx", &bomb, "suspect"),
        ("vide.pdf", b"", "est vide"),
    ];
    for (name, content, expected) in cases {
        let answer = app
            .attach(
                &cast.redacteur,
                &id,
                "etat_services",
                &[],
                &[(name, content)],
            )
            .await;
        assert_eq!(answer.status, 422, "{name}: {}", answer.json);
        let said = messages(&answer);
        assert!(
            said.contains(name) && said.contains(expected),
            "{name}: {said}"
        );
        assert_eq!(answer.json["errors"][0]["field"], "pieces-etat_services");
    }
    // One good file and one bad in the same upload: neither is kept.
    let pdf = sample_pdf("Etat des services");
    let mixed = app
        .attach(
            &cast.redacteur,
            &id,
            "etat_services",
            &[],
            &[("bon.pdf", &pdf), ("mauvais.pdf", b"texte")],
        )
        .await;
    assert_eq!(mixed.status, 422, "{}", mixed.json);
    // No kind, an unknown kind, a kind for another grade, no file.
    for (code, files) in [
        ("", vec![("a.pdf", pdf.as_slice())]),
        ("inconnue", vec![("a.pdf", pdf.as_slice())]),
        ("etat_services", vec![]),
    ] {
        let answer = app.attach(&cast.redacteur, &id, code, &[], &files).await;
        assert_eq!(answer.status, 422, "{code}: {}", answer.json);
    }
    assert_eq!(stored(&app).await, empty);

    // Whoever may not attach here is answered before the body is read: the same 404 for
    // another tenant (even with a body that would break off), a refusal for a reader.
    let broken: Vec<Result<Bytes, std::io::Error>> = vec![Err(std::io::Error::other("never read"))];
    let foreign = send_raw(&app, &cast.outsider, &id, broken).await;
    assert_eq!(foreign.status(), 404);
    let reader = app
        .attach(
            &cast.instructeur,
            &id,
            "etat_services",
            &[],
            &[("a.pdf", &pdf)],
        )
        .await;
    assert_eq!(
        reader.status, 404,
        "a draft is its authors' alone: {}",
        reader.json
    );
    assert_eq!(stored(&app).await, empty);

    // A body cut halfway (the client gone): nothing half-stored.
    let mut body = multipart(&[("code", "etat_services")], &[("coupe.pdf", &pdf)]);
    body.truncate(body.len() / 2);
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from(body)),
        Err(std::io::Error::other("connection reset")),
    ];
    let cut = send_raw(&app, &cast.redacteur, &id, chunks).await;
    assert!(cut.status().is_client_error(), "{}", cut.status());
    assert_eq!(stored(&app).await, empty);

    // A part whose headers never end (multer would hold them whole and search them again at
    // every chunk): refused at 16 KiB, in French, nothing stored.
    let mut endless = b"--".to_vec();
    endless.extend_from_slice(napoleon::samples::BOUNDARY.as_bytes());
    endless
        .extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"fichiers\"; filename=\"");
    let chunks: Vec<Result<Bytes, std::io::Error>> = std::iter::once(Ok(Bytes::from(endless)))
        .chain((0..512).map(|_| Ok(Bytes::from(vec![b'a'; 16 * 1024]))))
        .collect();
    let endless = send_raw(&app, &cast.redacteur, &id, chunks).await;
    assert_eq!(endless.status(), 422);
    let said = axum::body::to_bytes(endless.into_body(), 1 << 20)
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&said).contains("en-têtes d'une partie trop longs"),
        "{}",
        String::from_utf8_lossy(&said)
    );
    assert_eq!(stored(&app).await, empty);

    // Names: no directory, no control or bidirectional character (a raw control byte in a
    // part's header is a malformed body: refused whole); the store's keys are ids.
    let named = app
        .attach(
            &cast.redacteur,
            &id,
            "etat_services",
            &[],
            &[("../../etc/pass\twd\u{202e}.pdf", &pdf), ("cv.docx", &pdf)],
        )
        .await;
    assert_eq!(named.status, 201, "{}", named.json);
    let list = pieces(&app, &cast.redacteur, &id).await;
    let names: Vec<&str> = list.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["pass wd.pdf", "cv.pdf"], "{list:?}");
    assert!(
        list.iter()
            .all(|p| p["type"] == "pdf" && p["scan"] == "pending")
    );
    let tenant = cast.tenant.as_uuid().to_string();
    for file in walk(&app.db.pieces_dir()) {
        let key = file
            .strip_prefix(app.db.pieces_dir())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let parts: Vec<&str> = key.split('/').collect();
        assert_eq!(parts[..3], ["tenants", tenant.as_str(), "pieces"], "{key}");
        assert!(parts[3].parse::<uuid::Uuid>().is_ok(), "{key}");
    }
    // Each stored piece is queued for its scan, journaled with its SHA-256.
    let mut admin = app.admin().await;
    assert_eq!(
        count(
            &mut admin,
            "SELECT count(*) AS n FROM jobs.jobs WHERE kind = 'intake.piece_scan' AND state = 'queued'"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &mut admin,
            "SELECT count(*) AS n FROM journal.events WHERE kind = 'piece.attached' \
             AND payload->>'sha256' ~ '^[0-9a-f]{64}$'"
        )
        .await,
        2
    );
    drop(admin);
    app.finish().await;
}

/// The request an API client sends to upload to `id` (a body to add).
/// An upload whose body is sent as these chunks (a stream that breaks off, an endless part).
async fn send_raw(
    app: &TestApp,
    who: &Who,
    id: &str,
    chunks: Vec<Result<Bytes, std::io::Error>>,
) -> axum::response::Response {
    app.router
        .clone()
        .oneshot(
            app_request(app, who, id)
                .body(Body::from_stream(futures_util::stream::iter(chunks)))
                .unwrap(),
        )
        .await
        .unwrap()
}

fn app_request(app: &TestApp, who: &Who, id: &str) -> axum::http::request::Builder {
    let path = format!("/intake/api/v1/dossiers/{id}/pieces");
    let assertion = app.signer.sign(
        napoleon_identity::Claims::new("intake", who.agent, who.tenant, who.roles.clone(), "t")
            .for_request("POST", &path),
        app.ctx.db.clock().timestamp(),
    );
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(napoleon_identity::ASSERTION_HEADER, assertion)
        .header("content-type", multipart_type())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_piece_is_served_only_once_clamd_found_it_clean_and_an_infected_one_never() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let id = bare_draft(&app, &cast, &campaign).await;
    let mut clamd = ClamdProcess::start().await.unwrap();
    let antivirus = clamd.client(std::time::Duration::from_secs(30));

    let pdf = sample_pdf("Etat des services");
    let mut infected = b"%PDF-1.4\n".to_vec();
    infected.extend_from_slice(EICAR);
    let attached = app
        .attach(
            &cast.redacteur,
            &id,
            "etat_services",
            &[],
            &[("etat.pdf", &pdf), ("virus.pdf", &infected)],
        )
        .await;
    assert_eq!(attached.status, 201, "{}", attached.json);
    let ids: Vec<String> = attached.json["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    let (clean, virus) = (&ids[0], &ids[1]);

    // Not scanned yet: nobody opens it.
    let early = download(&app, &cast.redacteur, &id, clean).await;
    assert_eq!(
        (early.status, early.json["code"].as_str()),
        (409, Some("piece.pending"))
    );

    // clamd down: the attempt fails, the piece stays pending, nothing is lost.
    clamd.stop().await;
    assert_eq!(app.scan_pieces(&antivirus).await, 2);
    let list = pieces(&app, &cast.redacteur, &id).await;
    assert!(list.iter().all(|p| p["scan"] == "pending"), "{list:?}");
    assert_eq!(
        download(&app, &cast.redacteur, &id, clean).await.status,
        409
    );
    // Retried after the backoff, once clamd is back.
    clamd.restart().await.unwrap();
    assert_eq!(
        app.scan_pieces(&antivirus).await,
        0,
        "not before its backoff"
    );
    app.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(app.scan_pieces(&antivirus).await, 2);
    let list = pieces(&app, &cast.redacteur, &id).await;
    let scan_of = |piece: &str| {
        list.iter()
            .find(|p| p["id"] == piece)
            .map(|p| (p["scan"].clone(), p["threat"].clone()))
            .unwrap()
    };
    assert_eq!(scan_of(clean), (json!("clean"), Value::Null));
    assert_eq!(scan_of(virus).0, json!("infected"));
    assert!(
        scan_of(virus).1.as_str().unwrap().contains("Eicar"),
        "{:?}",
        scan_of(virus)
    );

    // The clean piece: as an attachment, never cached, its bytes as sent, the read logged.
    let reads = || async {
        count(
            &mut app.admin().await,
            "SELECT count(*) AS n FROM readlog.reads WHERE channel = 'piece'",
        )
        .await
    };
    let before = reads().await;
    let served = download(&app, &cast.redacteur, &id, clean).await;
    assert_eq!(served.status, 200);
    assert_eq!(served.bytes.as_ref(), pdf.as_slice());
    assert_eq!(served.header("content-type"), "application/pdf");
    assert_eq!(served.header("cache-control"), "no-store");
    assert!(
        served
            .header("content-disposition")
            .starts_with("attachment; filename=\"etat.pdf\""),
        "{}",
        served.header("content-disposition")
    );
    assert_eq!(reads().await, before + 1);
    // The infected one: never served, journaled as quarantined, and it does not count.
    let refused = download(&app, &cast.redacteur, &id, virus).await;
    assert_eq!(
        (refused.status, refused.json["code"].as_str()),
        (409, Some("piece.quarantined"))
    );
    assert!(
        refused.json["detail"]
            .as_str()
            .unwrap()
            .contains("quarantaine")
    );
    assert_eq!(reads().await, before + 1);
    assert_eq!(
        count(
            &mut app.admin().await,
            "SELECT count(*) AS n FROM journal.events WHERE kind = 'piece.quarantined'"
        )
        .await,
        1
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn submission_names_each_missing_piece_and_an_infected_one_does_not_count() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let id = bare_draft(&app, &cast, &campaign).await;
    let clamd = ClamdProcess::start().await.unwrap();
    let antivirus = clamd.client(std::time::Duration::from_secs(30));
    let pdf = sample_pdf("piece");
    for code in ["b2", "etat_civil"] {
        let a = app
            .attach(&cast.redacteur, &id, code, &[], &[("p.pdf", &pdf)])
            .await;
        assert_eq!(a.status, 201, "{}", a.json);
    }
    let mut infected = b"%PDF-1.4\n".to_vec();
    infected.extend_from_slice(EICAR);
    let a = app
        .attach(
            &cast.redacteur,
            &id,
            "etat_services",
            &[],
            &[("e.pdf", &infected)],
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.json);
    assert_eq!(app.scan_pieces(&antivirus).await, 3);
    let refused = app.submit(&cast.redacteur, &id).await;
    assert_eq!(refused.status, 422, "{}", refused.json);
    assert_eq!(messages(&refused), "Pièce manquante : État des services.");
    let good = app
        .attach(
            &cast.redacteur,
            &id,
            "etat_services",
            &[],
            &[("e.pdf", &pdf)],
        )
        .await;
    assert_eq!(good.status, 201);
    // Pending counts (it is attached; it will be served once clean).
    assert_eq!(app.submit(&cast.redacteur, &id).await.status, 200);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pieces_are_removed_from_a_draft_replaced_under_complement_and_kept_in_history() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let id = bare_draft(&app, &cast, &campaign).await;
    let pdf = sample_pdf("piece");
    let two = app
        .attach(
            &cast.redacteur,
            &id,
            "etat_services",
            &[],
            &[("un.pdf", &pdf), ("deux.pdf", &pdf)],
        )
        .await;
    assert_eq!(two.status, 201, "{}", two.json);
    let second = two.json["pieces"][1].as_str().unwrap().to_owned();
    let path = format!("/intake/api/v1/dossiers/{id}/pieces/{second}");
    let removed = app
        .call(&cast.redacteur, Method::DELETE, &path, json!({}))
        .await;
    assert_eq!(removed.status, 204, "{}", removed.json);
    let again = app
        .call(&cast.redacteur, Method::DELETE, &path, json!({}))
        .await;
    assert_eq!(again.status, 422, "{}", again.json);
    let list = pieces(&app, &cast.redacteur, &id).await;
    assert_eq!(
        list.iter()
            .map(|p| p["current"].clone())
            .collect::<Vec<_>>(),
        [json!(true), json!(false)]
    );
    app.attach_required(&cast.redacteur, &id).await;
    assert_eq!(app.submit(&cast.redacteur, &id).await.status, 200);

    // Submitted: nothing changes any more, until the instructeur asks for a complement.
    let first = list[0]["id"].as_str().unwrap().to_owned();
    let late = app
        .attach(
            &cast.redacteur,
            &id,
            "curriculum_vitae",
            &[],
            &[("cv.pdf", &pdf)],
        )
        .await;
    assert_eq!(late.status, 409, "{}", late.json);
    assert_eq!(app.take(&cast.instructeur, &id).await.status, 204);
    let back = app
        .post(
            &cast.instructeur,
            &format!("/instruction/api/v1/dossiers/{id}/return"),
            json!({"message": "Joindre un état des services à jour."}),
        )
        .await;
    assert_eq!(back.status, 204, "{}", back.json);
    let first_path = format!("/intake/api/v1/dossiers/{id}/pieces/{first}");
    let not_removed = app
        .call(&cast.redacteur, Method::DELETE, &first_path, json!({}))
        .await;
    assert_eq!(not_removed.status, 422, "{}", not_removed.json);
    assert!(messages(&not_removed).contains("se remplace"));
    let replaced = app
        .attach(
            &cast.redacteur,
            &id,
            "etat_services",
            &[("replaces", &first)],
            &[("etat-a-jour.pdf", &pdf)],
        )
        .await;
    assert_eq!(replaced.status, 201, "{}", replaced.json);
    // Replacing what was replaced already: refused, nothing more stored.
    let stale = app
        .attach(
            &cast.redacteur,
            &id,
            "etat_services",
            &[("replaces", &first)],
            &[("encore.pdf", &pdf)],
        )
        .await;
    assert_eq!(stale.status, 422, "{}", stale.json);
    let list = pieces(&app, &cast.redacteur, &id).await;
    let current: Vec<&str> = list
        .iter()
        .filter(|p| p["current"] == true && p["code"] == "etat_services")
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(current, ["etat-a-jour.pdf"]);
    assert_eq!(list.iter().filter(|p| p["current"] == false).count(), 2);
    assert_eq!(app.submit(&cast.redacteur, &id).await.status, 200);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_piece_is_served_to_whom_may_read_it_and_the_bulletin_to_instruction_only() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let id = napoleon_testkit::draft(&app, &cast, &campaign, "Lecture", "F").await;
    let clamd = ClamdProcess::start().await.unwrap();
    assert_eq!(
        app.scan_pieces(&clamd.client(std::time::Duration::from_secs(30)))
            .await,
        3
    );
    let list = pieces(&app, &cast.redacteur, &id).await;
    let of = |code: &str| {
        list.iter()
            .find(|p| p["code"] == code)
            .and_then(|p| p["id"].as_str())
            .unwrap()
            .to_owned()
    };
    let (b2, services) = (of("b2"), of("etat_services"));
    // The rédacteur sees the bulletin is there, not what it says.
    assert!(list.iter().find(|p| p["id"] == b2.as_str()).unwrap()["download"].is_null());
    assert_eq!(download(&app, &cast.redacteur, &id, &b2).await.status, 403);
    assert_eq!(
        download(&app, &cast.redacteur, &id, &services).await.status,
        200
    );
    // Another tenant: unknown. Another dossier's path: unknown. A draft for instruction: unknown.
    assert_eq!(
        download(&app, &cast.outsider, &id, &services).await.status,
        404
    );
    let other = bare_draft(&app, &cast, &campaign).await;
    assert_eq!(
        download(&app, &cast.redacteur, &other, &services)
            .await
            .status,
        404
    );
    assert_eq!(
        download(&app, &cast.instructeur, &id, &b2).await.status,
        404
    );
    // Submitted: the instruction unit opens the bulletin, as the ministry's bureau once
    // transmitted — not an agent of another préfecture.
    assert_eq!(app.submit(&cast.redacteur, &id).await.status, 200);
    let served = download(&app, &cast.instructeur, &id, &b2).await;
    assert_eq!(served.status, 200, "{}", served.json);
    let elsewhere = cast.gironde(&app, napoleon_kernel::Role::Instructeur).await;
    // Outside the dossier's scope: refused, as the dossier itself.
    assert_eq!(download(&app, &elsewhere, &id, &b2).await.status, 403);
    let dossier = app
        .call(
            &elsewhere,
            Method::GET,
            &format!("/intake/api/v1/dossiers/{id}"),
            json!({}),
        )
        .await;
    assert_eq!(dossier.status, 403);
    transmitted(&app, &cast, &id).await;
    assert_eq!(
        download(&app, &cast.instructeur, &id, &b2).await.status,
        200
    );
    app.finish().await;
}

/// Paul's draft in the demo activity (the dossier without pieces), not his dossier under
/// complement.
async fn demo_draft(live: &TestApp) -> String {
    napoleon_testkit::text(
        &mut live.admin().await,
        "SELECT d.id::text AS t FROM intake.dossiers d JOIN core.tenants t ON t.id = d.tenant_id \
         WHERE t.slug = 'interieur' AND d.state = 'brouillon'",
    )
    .await
}

/// Through the gateway, as a browser without JavaScript sends it: the CSRF token is the
/// form's first part, checked before any file is read; refusals come back on the step, in
/// the piece's own block; a body over the route's bound is a 413 at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_form_sends_its_token_first_and_refusals_come_back_on_the_step() {
    use napoleon_testkit::agents::PAUL;
    let live = TestApp::live_with_activity().await;
    let (mut paul, csrf) = live.logged_in(PAUL).await;
    let draft = demo_draft(&live).await;
    let url = live.url(&format!("/intake/dossiers/{draft}/pieces"));
    let pdf = sample_pdf("Etat des services");
    let before = stored(&live).await;

    // The token missing, wrong, or not first: refused, nothing stored.
    for fields in [
        vec![("code", "etat_services")],
        vec![("_csrf", "faux"), ("code", "etat_services")],
        vec![("code", "etat_services"), ("_csrf", csrf.as_str())],
    ] {
        let page = paul
            .post_multipart(&url, multipart(&fields, &[("e.pdf", &pdf)]), None)
            .await;
        assert_eq!(page.status, 403, "{fields:?}: {}", page.body);
    }
    assert_eq!(stored(&live).await, before);

    // A refused type: the step again, the message in the piece's block, nothing stored.
    let refused = paul
        .post_multipart(
            &url,
            multipart(
                &[("_csrf", &csrf), ("code", "etat_services")],
                &[("photo.gif", b"GIF89a")],
            ),
            None,
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("fr-upload-group--error"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("« photo.gif » n&#x27;est pas") || refused.body.contains("photo.gif"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("PDF, JPEG, PNG, ODT ou DOCX"));
    assert_eq!(stored(&live).await, before);

    // Token first: attached, back on the step with a notice; pending until scanned.
    let done = paul
        .post_multipart(
            &url,
            multipart(
                &[("_csrf", &csrf), ("code", "etat_services")],
                &[("etat.pdf", &pdf)],
            ),
            None,
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let step = paul.get(&live.url(&done.location.unwrap())).await;
    assert!(step.body.contains("Pièce jointe."), "{}", step.body);
    assert!(step.body.contains("etat.pdf"));
    assert!(step.body.contains("En attente d&#x27;analyse antivirus"));
    assert_eq!(stored(&live).await.0, before.0 + 1);

    // « Continuer » names what is still missing, linked to its block.
    let next = paul
        .post(
            &live.url(&format!("/intake/dossiers/{draft}/etape/5")),
            &[("_csrf", &csrf), ("_action", "continuer")],
        )
        .await;
    assert_eq!(next.status, 422, "{:?} {}", next.location, next.body);
    assert!(next.body.contains("href=\"#pieces-b2\""), "{}", next.body);
    assert!(!next.body.contains("href=\"#pieces-etat_services\""));

    // Declared over the route's bound (100 MiB): a 413 before anything is read.
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let cookie = paul.cookie(&live.base, "napoleon_session").unwrap();
    let host = live.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    stream
        .write_all(
            format!(
                "POST /intake/dossiers/{draft}/pieces HTTP/1.1\r\nHost: {host}\r\n\
                 Cookie: napoleon_session={cookie}\r\nContent-Type: {}\r\n\
                 Content-Length: {}\r\nAccept: text/html\r\n\r\n",
                multipart_type(),
                101 * 1024 * 1024
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut head = [0_u8; 64];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut head))
        .await
        .unwrap()
        .unwrap();
    let status = String::from_utf8_lossy(&head[..n]).into_owned();
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
    live.finish().await;
}

fn pdf_text(pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("napoleon-memoire-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("/usr/bin/pdftotext")
        .args(["-enc", "UTF-8", "-raw"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, README command 1) is missing");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Issue 17: the mémoire de proposition as the dossier stands (a « PROJET » PDF/A) — its
/// candidate, grade, eligibility with the articles, the opinions and their authors, the
/// pieces — for whoever reads the dossier, each copy in the read log; the récépissé once
/// submitted.
#[tokio::test(flavor = "multi_thread")]
async fn the_memoire_and_the_recepisse_are_pdfs_of_the_dossier_as_it_stands() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let id = napoleon_testkit::draft(&app, &cast, &campaign, "Memoire", "F").await;
    let path = format!("/intake/api/v1/dossiers/{id}/memoire");
    let exports = || async {
        count(
            &mut app.admin().await,
            "SELECT count(*) AS n FROM readlog.reads WHERE channel = 'export'",
        )
        .await
    };
    let before = exports().await;
    let draft = app
        .call(&cast.redacteur, Method::GET, &path, json!({}))
        .await;
    assert_eq!(draft.status, 200, "{}", draft.json);
    assert_eq!(draft.header("content-type"), "application/pdf");
    assert_eq!(draft.header("cache-control"), "no-store");
    assert!(
        draft
            .header("content-disposition")
            .starts_with("attachment;")
    );
    assert!(draft.bytes.starts_with(b"%PDF-"));
    assert_eq!(exports().await, before + 1);
    let text = pdf_text(&draft.bytes);
    let joined: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for expected in [
        "MEMOIRE",
        "Chevalier",
        "Conditionsstatutairesremplies",
        "art.",
        "PROJET",
        "Étatdesservices",
    ] {
        assert!(
            joined.to_uppercase().contains(&expected.to_uppercase()),
            "« {expected} » missing from:\n{text}"
        );
    }
    assert!(text.contains("Aucun avis rendu"), "{text}");
    // No récépissé before submission; the draft is its authors' alone.
    let none = app
        .call(
            &cast.redacteur,
            Method::GET,
            &format!("/intake/dossiers/{id}/recepisse/pdf"),
            json!({}),
        )
        .await;
    assert_eq!(none.status, 404);
    assert_eq!(
        app.call(&cast.instructeur, Method::GET, &path, json!({}))
            .await
            .status,
        404
    );
    assert_eq!(
        app.call(&cast.outsider, Method::GET, &path, json!({}))
            .await
            .status,
        404
    );

    // Submitted, then an opinion: the instruction's copy names it and its author.
    let submitted = app.submit(&cast.redacteur, &id).await;
    let number = submitted.json["number"].as_str().unwrap().to_owned();
    assert_eq!(app.take(&cast.instructeur, &id).await.status, 204);
    assert_eq!(
        app.opine(
            &cast.instructeur,
            &id,
            "favorable",
            "Mérites éminents au service du public."
        )
        .await
        .status,
        204
    );
    let read = app
        .call(&cast.instructeur, Method::GET, &path, json!({}))
        .await;
    assert_eq!(read.status, 200);
    let text = pdf_text(&read.bytes);
    assert!(text.contains("Avis favorable"), "{text}");
    assert!(
        text.contains("Mérites éminents au service du public."),
        "{text}"
    );
    assert!(text.contains(&number), "{text}");
    let receipt = app
        .call(
            &cast.redacteur,
            Method::GET,
            &format!("/intake/dossiers/{id}/recepisse/pdf"),
            json!({}),
        )
        .await;
    assert_eq!(receipt.status, 200);
    let text = pdf_text(&receipt.bytes);
    assert!(
        text.contains("Récépissé de dépôt") && text.contains(&number),
        "{text}"
    );
    app.finish().await;
}

/// Issue 17: the final mémoire is the bureau's act (R29). Once the dossier is at the
/// ministry, an agent with `decision:decide` at the campaign's bureau establishes it: rendered
/// without « PROJET », stored as a piece of the dossier, scanned like any, its SHA-256 in the
/// journal; established again, it replaces the first, which stays in the history. Anyone
/// else, or too early, is refused with nothing stored.
#[tokio::test(flavor = "multi_thread")]
async fn the_bureau_establishes_the_final_memoire_as_a_piece_with_its_hash_in_the_journal() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let id = napoleon_testkit::draft(&app, &cast, &campaign, "Definitif", "F").await;
    let clamd = ClamdProcess::start().await.unwrap();
    let clamd = clamd.client(std::time::Duration::from_secs(30));
    assert_eq!(app.scan_pieces(&clamd).await, 3);
    let number = app.submit(&cast.redacteur, &id).await.json["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/intake/api/v1/dossiers/{id}/memoire");
    let establish = |who: &Who| {
        let path = path.clone();
        let app = &app;
        let who = who.clone();
        async move { app.call(&who, Method::POST, &path, json!({})).await }
    };
    // Still in instruction: the bureau does not read it yet.
    assert_eq!(establish(&cast.integrateur).await.status, 403);
    transmitted(&app, &cast, &id).await;
    // Only the bureau: not the préfecture's agents, not another ministry.
    assert_eq!(establish(&cast.redacteur).await.status, 403);
    assert_eq!(establish(&cast.instructeur).await.status, 403);
    assert_eq!(establish(&cast.outsider).await.status, 404);
    // The page offers the act to the bureau only.
    let page = |who: &Who| {
        let app = &app;
        let who = who.clone();
        let id = id.clone();
        async move {
            let page = app
                .call(
                    &who,
                    Method::GET,
                    &format!("/instruction/dossiers/{id}"),
                    json!({}),
                )
                .await;
            assert_eq!(page.status, 200);
            page.text()
        }
    };
    assert!(
        page(&cast.integrateur)
            .await
            .contains("Établir le mémoire définitif")
    );
    assert!(
        !page(&cast.instructeur)
            .await
            .contains("Établir le mémoire définitif")
    );

    let first = establish(&cast.integrateur).await;
    assert_eq!(first.status, 201, "{}", first.json);
    let piece = first.json["piece"].as_str().unwrap().to_owned();
    let sha256 = first.json["sha256"].as_str().unwrap().to_owned();
    assert!(first.json["replaces"].is_null());
    let journaled = napoleon_testkit::text(
        &mut app.admin().await,
        &format!(
            "SELECT payload->>'sha256' AS t FROM journal.events \
             WHERE kind = 'memoire.established' AND payload->>'piece' = '{piece}'"
        ),
    )
    .await;
    assert_eq!(journaled, sha256);
    // A double click: the one just established stands until clamd has seen it.
    let twice = establish(&cast.integrateur).await;
    assert_eq!(twice.status, 409, "{}", twice.json);
    assert_eq!(twice.json["code"], "piece.pending");
    // Not served before clamd has seen it; then the very bytes the journal fingerprints.
    assert_eq!(
        download(&app, &cast.integrateur, &id, &piece).await.status,
        409
    );
    assert_eq!(app.scan_pieces(&clamd).await, 1);
    let served = download(&app, &cast.integrateur, &id, &piece).await;
    assert_eq!(served.status, 200, "{}", served.json);
    assert_eq!(napoleon_storage::sha256_hex(&served.bytes), sha256);
    let text = pdf_text(&served.bytes);
    assert!(text.contains(&number), "{text}");
    assert!(text.contains("Avis favorable"), "{text}");
    assert!(!text.to_uppercase().contains("PROJET"), "{text}");
    // Whoever reads the dossier reads its mémoire, as its preview.
    assert_eq!(
        download(&app, &cast.redacteur, &id, &piece).await.status,
        200
    );

    let again = establish(&cast.integrateur).await;
    assert_eq!(again.status, 201, "{}", again.json);
    assert_eq!(again.json["replaces"], piece.as_str());
    let list = pieces(&app, &cast.integrateur, &id).await;
    let memoires: Vec<&Value> = list.iter().filter(|p| p["code"] == "memoire").collect();
    assert_eq!(memoires.len(), 2);
    assert_eq!(memoires[0]["current"], false);
    assert_eq!(memoires[1]["current"], true);
    // A preview lists the dossier's pieces, never an earlier mémoire among them.
    let preview = app
        .call(&cast.integrateur, Method::GET, &path, json!({}))
        .await;
    let preview = pdf_text(&preview.bytes);
    assert!(
        !preview.contains("Mémoire de proposition (PDF)"),
        "{preview}"
    );
    assert!(preview.contains("État des services"), "{preview}");
    // Refused by the bureau: no mémoire goes to the grand chancelier, none is established.
    let refused = app
        .call(
            &cast.integrateur,
            Method::POST,
            &format!("/decisions/api/v1/dossiers/{id}/decision"),
            json!({"decision": "refuse", "motivation": "Contingent atteint."}),
        )
        .await;
    assert_eq!(refused.status, 200, "{}", refused.json);
    let before = stored(&app).await;
    let late = establish(&cast.integrateur).await;
    assert_eq!(late.status, 409, "{}", late.json);
    assert_eq!(late.json["code"], "dossier.wrong_state");
    assert!(
        late.json["detail"]
            .as_str()
            .unwrap()
            .contains("mémoire de proposition définitif"),
        "{}",
        late.json
    );
    assert_eq!(stored(&app).await, before, "a refusal stores nothing");
    app.finish().await;
}

/// Issue 17: the pieces in an S3-compatible bucket, as production keeps them — a real
/// S3-protocol server process (`s3s-fs`): attached through intake, stored under the
/// tenant-first key of ids, scanned, served back byte for byte; another tenant's key finds
/// nothing.
#[tokio::test(flavor = "multi_thread")]
async fn pieces_live_in_an_s3_bucket_as_in_production() {
    let s3 = napoleon_testkit::S3Process::start().await.unwrap();
    let app = TestApp::builder()
        .services_only()
        .seeded()
        .pieces_in(s3.store())
        .build()
        .await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let id = napoleon_testkit::draft(&app, &cast, &campaign, "Seau", "F").await;
    let objects = walk(&s3.root.join("pieces"));
    assert_eq!(objects.len(), 3, "{objects:?}");
    let tenant = cast.tenant.as_uuid().to_string();
    for object in &objects {
        let key = object
            .strip_prefix(s3.root.join("pieces"))
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            key.starts_with(&format!("tenants/{tenant}/pieces/")),
            "{key}"
        );
    }
    let clamd = ClamdProcess::start().await.unwrap();
    assert_eq!(
        app.scan_pieces(&clamd.client(std::time::Duration::from_secs(30)))
            .await,
        3
    );
    let list = pieces(&app, &cast.redacteur, &id).await;
    let services = list
        .iter()
        .find(|p| p["code"] == "etat_services")
        .and_then(|p| p["id"].as_str())
        .unwrap()
        .to_owned();
    let served = download(&app, &cast.redacteur, &id, &services).await;
    assert_eq!(served.status, 200, "{}", served.json);
    assert_eq!(
        served.bytes.as_ref(),
        sample_pdf("etat_services").as_slice()
    );
    // The same piece's id under another tenant: nothing.
    let other = napoleon_kernel::TenantId::new();
    let piece: uuid::Uuid = services.parse().unwrap();
    assert!(matches!(
        s3.store().get(other, piece).await,
        Err(napoleon_storage::StorageError::NotFound)
    ));
    app.finish().await;
}

/// The process's peak resident memory (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap()
        * 1024
}

/// Issue 17: a 20 MB upload through the gateway, sent by another process (curl, as a
/// browser's form without JavaScript: the token first): the server's peak memory grows by a
/// bounded multiple of the file (the gateway streams it; intake holds the one file it
/// checks), reported here and in loadtests/reports/2026-12-07-documents.md.
#[tokio::test(flavor = "multi_thread")]
async fn a_20_mb_upload_through_the_gateway_costs_a_bounded_multiple_of_its_size() {
    use napoleon_testkit::agents::PAUL;
    let live = TestApp::live_with_activity().await;
    let (mut paul, csrf) = live.logged_in(PAUL).await;
    let draft = demo_draft(&live).await;
    let size = 20 * 1000 * 1000;
    let mut file = b"%PDF-1.4\n".to_vec();
    file.resize(size, b' ');
    let path = std::env::temp_dir().join(format!("napoleon-20mb-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&path, &file).unwrap();
    drop(file);
    let cookie = paul.cookie(&live.base, "napoleon_session").unwrap();
    let before = peak_rss();
    let out = tokio::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .args(["-H", "Accept: text/html"])
        .args(["-b", &format!("napoleon_session={cookie}")])
        .args(["-F", &format!("_csrf={csrf}"), "-F", "code=etat_services"])
        .args([
            "-F",
            &format!("fichiers=@{};filename=etat.pdf", path.display()),
        ])
        .arg(live.url(&format!("/intake/dossiers/{draft}/pieces")))
        .output()
        .await
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "303", "{out:?}");
    let grown = peak_rss().saturating_sub(before);
    eprintln!(
        "peak memory growth for a {size}-byte upload through the gateway: {grown} bytes ({:.2} × the file)",
        grown as f64 / size as f64
    );
    assert!(
        grown <= 4 * size as u64,
        "the server's peak grew by {grown} bytes for a {size}-byte file"
    );
    let list = pieces_of_live(&live, &mut paul, &draft).await;
    assert!(list.iter().any(|p| p["size"] == size), "{list:?}");
    live.finish().await;
}

async fn pieces_of_live(
    live: &TestApp,
    browser: &mut napoleon_testkit::Browser,
    id: &str,
) -> Vec<Value> {
    let (status, list) = browser
        .get_json(&live.url(&format!("/intake/api/v1/dossiers/{id}/pieces")))
        .await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

/// The receipt page gives the day the dossier was submitted, not the day it is looked at.
#[tokio::test(flavor = "multi_thread")]
async fn the_receipt_gives_the_day_of_the_submission() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let (id, _) = napoleon_testkit::submitted(&app, &cast, &campaign, "Recu", "F").await;
    let submitted_on = napoleon_rules::fr_date(app.ctx.today());
    app.clock.advance(chrono::Duration::days(3));
    let page = app
        .call(
            &cast.redacteur,
            Method::GET,
            &format!("/intake/dossiers/{id}/recepisse"),
            json!({}),
        )
        .await;
    assert_eq!(page.status, 200);
    let body = page.text();
    assert!(body.contains(&format!("<dd>{submitted_on}</dd>")), "{body}");
    app.finish().await;
}
