//! The personal-data read log: reading a dossier's page or its API adds one entry each, naming
//! the reader, the channel and the request; a refused read adds none; each tenant sees only its
//! own entries; the retention purge removes what is older than the period.

use axum::http::Method;
use napoleon_db::readlog::{self, ReadChannel, ReadSubject};
use napoleon_kernel::{DossierId, TenantId};
use napoleon_testkit::{TestApp, cast, open_campaign, submitted};
use serde_json::json;

async fn entries(app: &TestApp, tenant: TenantId) -> Vec<readlog::ReadEntry> {
    let mut tx = app.ctx.db.tenant(tenant).await.unwrap();
    let list = readlog::list(&mut tx, 0, 100).await.unwrap();
    tx.rollback().await;
    list
}

#[tokio::test(flavor = "multi_thread")]
async fn each_read_of_a_dossier_adds_one_entry_and_each_tenant_sees_its_own() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let (id, _) = submitted(&app, &cast, &campaign, "Lecture", "F").await;
    let dossier: DossierId = id.parse().unwrap();
    let before = entries(&app, cast.tenant).await.len();

    let api = app
        .call(
            &cast.redacteur,
            Method::GET,
            &format!("/intake/api/v1/dossiers/{id}"),
            json!({}),
        )
        .await;
    assert_eq!(api.status, 200, "{}", api.json);
    let page = app
        .call(
            &cast.instructeur,
            Method::GET,
            &format!("/instruction/dossiers/{id}"),
            json!({}),
        )
        .await;
    assert_eq!(page.status, 200);
    // Another ministry's agent is refused (404), and reads nothing.
    let refused = app
        .call(
            &cast.outsider,
            Method::GET,
            &format!("/intake/api/v1/dossiers/{id}"),
            json!({}),
        )
        .await;
    assert_eq!(refused.status, 404);

    let log = entries(&app, cast.tenant).await;
    assert_eq!(log.len(), before + 2, "one entry per read: {log:?}");
    let (latest, earlier) = (&log[0], &log[1]);
    assert_eq!(latest.subject, ReadSubject::Dossier(dossier));
    assert_eq!(latest.channel, ReadChannel::Page);
    assert_eq!(latest.reader, format!("agent:{}", cast.instructeur.agent));
    assert_eq!(latest.request_id, "test");
    assert_eq!(earlier.channel, ReadChannel::Api);
    assert_eq!(earlier.reader, format!("agent:{}", cast.redacteur.agent));
    assert!(
        entries(&app, cast.outsider.tenant).await.is_empty(),
        "the other ministry sees none of them"
    );

    // The retention purge never reaches the last 30 days, by the database's clock: not even
    // from a transaction whose application clock was moved a year ahead...
    app.clock.advance(chrono::Duration::days(400));
    let mut tx = app.ctx.db.tenant(cast.tenant).await.unwrap();
    let ahead = tx.now() - chrono::Duration::days(30);
    assert!(readlog::purge_before(&mut tx, ahead, None).await.is_err());
    tx.rollback().await;
    app.clock.set(chrono::Utc::now());
    assert_eq!(
        entries(&app, cast.tenant).await.len(),
        log.len(),
        "nothing erased"
    );
    // ...and removes what is older than 30 days (the reads, aged 40 days by the owner).
    let mut admin = app.admin().await;
    let _ = napoleon_testkit::count(
        &mut admin,
        "WITH aged AS (UPDATE readlog.reads SET read_at = now() - interval '40 days' \
         RETURNING 1) SELECT count(*) AS n FROM aged",
    )
    .await;
    let mut tx = app.ctx.db.tenant(cast.tenant).await.unwrap();
    let before = tx.now() - chrono::Duration::days(30);
    assert_eq!(
        readlog::purge_before(&mut tx, before, None).await.unwrap(),
        i64::try_from(log.len()).unwrap()
    );
    tx.commit().await.unwrap();
    assert!(entries(&app, cast.tenant).await.is_empty());
    app.finish().await;
}

/// A list shows people too: it adds one entry per dossier or laureate shown (here the
/// instructor's queue through the API; « mes dossiers », the board, the registry and the radar
/// call the same helper, `napoleon_web::end_reads`).
#[tokio::test(flavor = "multi_thread")]
async fn a_list_adds_one_entry_per_dossier_or_person_it_shows() {
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let (first, _) = submitted(&app, &cast, &campaign, "Premier", "F").await;
    let (second, _) = submitted(&app, &cast, &campaign, "Second", "M").await;
    let before = entries(&app, cast.tenant).await.len();
    let queue = app
        .call(
            &cast.instructeur,
            Method::GET,
            "/instruction/api/v1/queue?tab=todo",
            json!({}),
        )
        .await;
    assert_eq!(queue.status, 200, "{}", queue.json);
    let log = entries(&app, cast.tenant).await;
    assert_eq!(log.len(), before + 2, "{log:?}");
    let mut shown: Vec<ReadSubject> = log[..2].iter().map(|e| e.subject).collect();
    shown.sort_by_key(|s| format!("{s:?}"));
    let mut want = vec![
        ReadSubject::Dossier(first.parse().unwrap()),
        ReadSubject::Dossier(second.parse().unwrap()),
    ];
    want.sort_by_key(|s| format!("{s:?}"));
    assert_eq!(shown, want);
    assert!(log[..2].iter().all(|e| e.channel == ReadChannel::Api
        && e.reader == format!("agent:{}", cast.instructeur.agent)));
    app.finish().await;
}

/// The data-protection officer reads the log page by page and exports it whole; a rédacteur
/// may do neither.
#[tokio::test(flavor = "multi_thread")]
async fn the_data_protection_officer_sees_and_exports_the_reads() {
    use napoleon_testkit::agents::{DENIS, MARC, PAUL};
    let live = TestApp::live_with_activity().await;
    let (mut paul, _) = live.logged_in(PAUL).await;
    let dossier = live.first_draft(&mut paul).await;
    let step = paul
        .get(&live.url(&format!("/intake/dossiers/{dossier}/etape/1")))
        .await;
    assert_eq!(step.status, 200, "{}", step.body);
    assert_eq!(
        paul.get(&live.url("/administration/lectures")).await.status,
        403,
        "a rédacteur does not read the log"
    );

    let (mut denis, _) = live.logged_in(DENIS).await;
    let page = denis.get(&live.url("/administration/lectures")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(&format!("dossier {dossier}")),
        "{}",
        page.body
    );
    // 2,500 older reads (by the owner, as a year would leave them): the export streams them
    // all, batch after batch, newest first, none twice.
    let mut admin = live.admin().await;
    let added = napoleon_testkit::count(
        &mut admin,
        "WITH added AS (INSERT INTO readlog.reads \
                          (tenant_id, reader, subject_kind, subject_id, channel, request_id, read_at) \
                        SELECT t.id, 'system:test', 'dossier', gen_random_uuid(), 'export', \
                               'ancienne-' || n, now() - n * interval '1 minute' \
                          FROM core.tenants t, generate_series(1, 2500) n \
                         WHERE t.slug = 'interieur' RETURNING 1) \
         SELECT count(*) AS n FROM added",
    )
    .await;
    assert_eq!(added, 2500);
    let total = napoleon_testkit::count(
        &mut admin,
        "SELECT count(*) AS n FROM readlog.reads r JOIN core.tenants t ON t.id = r.tenant_id \
         WHERE t.slug = 'interieur'",
    )
    .await;
    let csv = denis.get(&live.url("/administration/lectures.csv")).await;
    assert_eq!(csv.status, 200);
    let rows: Vec<&str> = csv.body.lines().skip(1).collect();
    assert_eq!(i64::try_from(rows.len()).unwrap(), total);
    let times: Vec<&str> = rows.iter().map(|l| l.split(',').next().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let distinct: std::collections::HashSet<&&str> = rows.iter().collect();
    assert_eq!(distinct.len(), rows.len(), "none twice");
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some("lu_le,lecteur,nom_lecteur,donnees,canal,requete,via")
    );
    // Paul's read names the login it came through (its session's reference, not its id).
    let line = lines
        .find(|l| l.contains(&format!("\"dossier {dossier}\",\"page\"")))
        .unwrap_or_else(|| panic!("{}", csv.body));
    assert!(
        line.ends_with('"') && line.contains(",\"session:"),
        "{line}"
    );
    let session_cookie = paul.cookie(&live.base, "napoleon_session").unwrap();
    assert!(!line.contains(&session_cookie), "never the session's id");
    assert!(page.body.contains("session "), "{}", page.body);

    // Marc, auditeur in two ministries: in Culture he sees none of Intérieur's reads, in
    // Intérieur he sees and exports them.
    let mut marc = napoleon_testkit::Browser::new();
    live.login(&mut marc, MARC).await;
    let csrf = marc
        .get(&live.url("/choisir-ministere"))
        .await
        .hidden("_csrf");
    let culture = live.tenant("culture").await.to_string();
    let interieur = live.tenant("interieur").await.to_string();
    for (tenant, sees) in [(&culture, false), (&interieur, true)] {
        let chosen = marc
            .post(
                &live.url("/choisir-ministere"),
                &[("_csrf", csrf.as_str()), ("tenant", tenant.as_str())],
            )
            .await;
        assert_eq!(chosen.status, 303, "{}", chosen.body);
        let log = marc.get(&live.url("/administration/lectures")).await;
        assert_eq!(log.status, 200, "{}", log.body);
        assert_eq!(log.body.contains(&format!("dossier {dossier}")), sees);
        assert!(
            !log.body.contains("Appliquer la durée de conservation"),
            "the auditeur reads, the data-protection officer purges"
        );
        let export = marc.get(&live.url("/administration/lectures.csv")).await;
        assert_eq!(export.status, 200);
        assert_eq!(export.body.contains(&format!("dossier {dossier}")), sees);
    }
    live.finish().await;
}

/// A read whose entry the database refuses is refused too, in French, and its answer never
/// leaves (the entry is written in the read's transaction: the read fails with it); reads
/// through another channel go on; once the log takes entries again, reads are answered.
#[tokio::test(flavor = "multi_thread")]
async fn a_read_whose_entry_cannot_be_written_is_refused() {
    use diesel_async::SimpleAsyncConnection;
    let app = TestApp::services().await;
    let cast = cast(&app).await;
    let campaign = open_campaign(&app, &cast).await;
    let (id, _) = submitted(&app, &cast, &campaign, "Refus", "F").await;
    let mut admin = app.admin().await;
    let read = async |who, path: &str| {
        app.call(who, Method::GET, &format!("{path}/{id}"), json!({}))
            .await
    };
    // The log refuses API reads (a failure in the database, as a full disk would be).
    let refusing =
        "ALTER TABLE readlog.reads ADD CONSTRAINT refused CHECK (channel <> 'api') NOT VALID";
    admin.batch_execute(refusing).await.unwrap();
    let before = entries(&app, cast.tenant).await.len();
    let refused = read(&cast.redacteur, "/intake/api/v1/dossiers").await;
    assert_eq!(refused.status, 500, "{}", refused.json);
    let body = refused.json.to_string();
    assert!(
        body.contains("Erreur inattendue") && !body.contains("Refus"),
        "a French refusal, without the dossier: {body}"
    );
    // The page is another channel: answered, and logged.
    let page = read(&cast.instructeur, "/instruction/dossiers").await;
    assert_eq!(page.status, 200);
    assert_eq!(entries(&app, cast.tenant).await.len(), before + 1);
    admin
        .batch_execute("ALTER TABLE readlog.reads DROP CONSTRAINT refused")
        .await
        .unwrap();
    let again = read(&cast.redacteur, "/intake/api/v1/dossiers").await;
    assert_eq!(again.status, 200, "{}", again.json);
    assert_eq!(entries(&app, cast.tenant).await.len(), before + 2);
    app.finish().await;
}
