//! A snapshot of every page template, as the demo agents get it over real HTTP from the demo
//! data with activity: a change to a page shows in review as a snapshot change. What varies
//! from run to run (ids, dates, numbers, tokens) is replaced by a placeholder before the
//! comparison. The table below names the template each page renders, and a test checks that it
//! covers every template the processes register.

use std::collections::BTreeSet;

use diesel::QueryableByName;
use diesel::sql_types::Uuid as SqlUuid;
use diesel_async::RunQueryDsl;
use napoleon_rules::dossier::DossierState;

use napoleon_testkit::Browser;
use napoleon_testkit::TestApp;
use napoleon_testkit::agents::{ANNE, CLAIRE, DENIS, MARC, NINA, OLIVIER, PAUL, SOPHIE};

/// Templates rendered only inside others (a step's fields), and the layout every page uses.
const PARTIALS: [&str; 10] = [
    "duplicates",
    "import_columns",
    "instruction/bulk_actions",
    "intake/field",
    "intake/pieces",
    "intake/select",
    "job_progress",
    "layout",
    "help_menu",
    "help_search_bar",
];

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = SqlUuid)]
    id: uuid::Uuid,
}

async fn one_id(live: &TestApp, sql: &str) -> String {
    let mut admin = live.admin().await;
    let row: Id = diesel::sql_query(sql).get_result(&mut admin).await.unwrap();
    row.id.to_string()
}

async fn dossier_in(live: &TestApp, state: DossierState) -> String {
    one_id(
        live,
        &format!(
            "SELECT id FROM intake.dossiers WHERE state = '{}' ORDER BY created_at LIMIT 1",
            state.as_str()
        ),
    )
    .await
}

/// Every template the processes register, shared ones included.
fn registered_templates() -> BTreeSet<String> {
    // The shared templates (layout, error, partials…): every file napoleon_web embeds.
    let shared =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/web/templates");
    let mut all: BTreeSet<String> = std::fs::read_dir(shared)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "hbs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for list in [
        napoleon_gateway::TEMPLATES,
        napoleon_intake::TEMPLATES,
        napoleon_instruction::TEMPLATES,
        napoleon_decisions::TEMPLATES,
        napoleon_promotion::TEMPLATES,
    ] {
        all.extend(list.iter().map(|(name, _)| (*name).to_owned()));
    }
    all
}

/// The page's HTML with what changes from run to run replaced.
fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("snapshots/pages");
    for (pattern, replacement) in [
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[id]",
        ),
        (
            r#"name="_csrf" value="[^"]*""#,
            r#"name="_csrf" value="[csrf]""#,
        ),
        (
            r#"name="idempotency_key" value="[^"]*""#,
            r#"name="idempotency_key" value="[clé]""#,
        ),
        (
            r"<td>session [A-Za-z0-9_-]{16}</td>",
            "<td>session [référence]</td>",
        ),
        (r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:[port]"),
        (r"\b[A-Z]{2,5}-\d{4}-\d{2}-\d{4}\b", "[numéro]"),
        (r"\b\d{4}-\d{2}-\d{2}\b", "[date]"),
        (r"\b\d{2}/\d{2}/\d{4}\b", "[date]"),
        (r"\b\d{1,2}(er)? [a-zéû]+ \d{4}\b", "[date]"),
        (r"\b\d{1,2} h \d{2}\b", "[heure]"),
        (r"\b\d{2}:\d{2}(:\d{2})?\b", "[heure]"),
        (r"\b(19|20)\d{2}\b", "[année]"),
    ] {
        settings.add_filter(pattern, replacement);
    }
    settings
}

#[tokio::test(flavor = "multi_thread")]
async fn every_template_has_a_snapshot_of_a_page_using_it() {
    let live = TestApp::live_with_activity().await;
    let mut pages: Vec<(&str, &str, String)> = Vec::new();
    let mut keep = |name, template, page: napoleon_testkit::Page, status: u16| {
        assert_eq!(page.status, status, "{name}: {}", page.body);
        pages.push((name, template, page.body));
    };

    // Anonymous.
    let mut anonymous = Browser::new();
    keep(
        "accueil_public",
        "home",
        anonymous.get(&live.url("/")).await,
        200,
    );
    keep(
        "accessibilite",
        "accessibility",
        anonymous.get(&live.url("/accessibilite")).await,
        200,
    );
    keep("aide", "help", anonymous.get(&live.url("/aide")).await, 200);
    keep(
        "aide_recherche",
        "help_search",
        anonymous
            .get(&live.url("/aide/recherche?q=quatre+yeux"))
            .await,
        200,
    );
    keep(
        "connexion",
        "login",
        anonymous.get(&live.url("/connexion")).await,
        200,
    );
    keep(
        "connexion_refusee",
        "login_error",
        anonymous
            .get(&live.url("/connexion/retour?error=access_denied"))
            .await,
        403,
    );
    keep(
        "page_introuvable",
        "error",
        anonymous.get(&live.url("/nulle-part")).await,
        404,
    );

    // Paul, rédacteur: his dossiers, every step of his draft, a receipt.
    let (mut paul, _) = live.logged_in(PAUL).await;
    keep(
        "mes_dossiers",
        "intake/dossiers",
        paul.get(&live.url("/intake/dossiers")).await,
        200,
    );
    // His unit's proposals in bulk: the page, then a file checked (its report).
    let imports = paul.get(&live.url("/intake/propositions/import")).await;
    let paul_csrf = imports.hidden("_csrf");
    // The first open campaign the form offers.
    let campaign = imports
        .body
        .split(r#"id="campagne""#)
        .nth(1)
        .and_then(|rest| rest.split(r#"value=""#).nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    keep(
        "import_propositions",
        "intake/proposal_imports",
        imports,
        200,
    );
    let file = "Nom de naissance;Prénoms;Sexe;Date de naissance;Lieu de naissance;Nationalité;\
                Département de résidence\r\nMERCIER;Anne;F;31/02/1970;Lyon;FR;69\r\n\
                FAURE;Luc;M;12/03/1965;Bron;FR;69\r\n";
    let checked = paul
        .post_multipart(
            &live.url("/intake/propositions/import"),
            napoleon::samples::multipart_named(
                "fichier",
                &[
                    ("_csrf", paul_csrf.as_str()),
                    ("mode", "verification"),
                    ("campagne", campaign.as_str()),
                ],
                &[("propositions.csv", file.as_bytes())],
            ),
            Some(&paul_csrf),
        )
        .await;
    keep(
        "import_propositions_rapport",
        "intake/proposal_import",
        paul.get(&checked.next()).await,
        200,
    );
    let draft = dossier_in(&live, DossierState::Draft).await;
    for n in 1..=6 {
        let page = paul
            .get(&live.url(&format!("/intake/dossiers/{draft}/etape/{n}")))
            .await;
        let name = [
            "etape_1", "etape_2", "etape_3", "etape_4", "etape_5", "etape_6",
        ][n - 1];
        keep(name, "intake/step", page, 200);
    }
    // The pieces of a dossier returned for a complement: each replaced, not removed.
    let returned = dossier_in(&live, DossierState::ComplementRequested).await;
    keep(
        "etape_5_complement",
        "intake/step",
        paul.get(&live.url(&format!("/intake/dossiers/{returned}/etape/5")))
            .await,
        200,
    );
    let filed = dossier_in(&live, DossierState::Submitted).await;
    keep(
        "recepisse",
        "intake/receipt",
        paul.get(&live.url(&format!("/intake/dossiers/{filed}/recepisse")))
            .await,
        200,
    );

    // Anne, administratrice: members, policy, catalogue, campaigns.
    let (mut anne, _) = live.logged_in(ANNE).await;
    keep(
        "membres",
        "members",
        anne.get(&live.url("/administration/membres")).await,
        200,
    );
    keep(
        "politique",
        "policy",
        anne.get(&live.url("/administration/politique")).await,
        200,
    );
    let catalogue = anne.get(&live.url("/administration/catalogue")).await;
    let marker = "href=\"/administration/catalogue/";
    let start = catalogue.body.find(marker).expect("a catalogue file link") + marker.len();
    let file = catalogue.body[start..start + catalogue.body[start..].find('"').unwrap()].to_owned();
    keep("catalogue", "catalogue", catalogue, 200);
    keep(
        "catalogue_fichier",
        "catalogue_edit",
        anne.get(&live.url(&format!("/administration/catalogue/{file}")))
            .await,
        200,
    );
    keep(
        "campagnes",
        "intake/campaigns",
        anne.get(&live.url("/intake/campagnes")).await,
        200,
    );
    keep(
        "campagne_nouvelle",
        "intake/campaign_new",
        anne.get(&live.url("/intake/campagnes/nouvelle")).await,
        200,
    );

    // Claire, instructrice: the queue and a dossier.
    let (mut claire, _) = live.logged_in(CLAIRE).await;
    keep(
        "file",
        "instruction/queue",
        claire.get(&live.url("/instruction/dossiers")).await,
        200,
    );
    keep(
        "recherche_dossiers",
        "instruction/search",
        claire
            .get(&live.url("/instruction/recherche?tri=nom&par_page=5"))
            .await,
        200,
    );
    let instructed = dossier_in(&live, DossierState::InInstruction).await;
    keep(
        "dossier_en_instruction",
        "instruction/dossier",
        claire
            .get(&live.url(&format!("/instruction/dossiers/{instructed}")))
            .await,
        200,
    );
    // A bulk action's report: the instructrice asks to transmit (the valideur's act), refused
    // with its reason; nothing moves.
    let queue = claire.get(&live.url("/instruction/dossiers")).await;
    let csrf = queue.hidden("_csrf");
    let ticked = format!("choix-{instructed}");
    keep(
        "actions_groupees",
        "instruction/bulk",
        claire
            .post(
                &live.url("/instruction/dossiers/actions-groupees"),
                &[
                    ("_csrf", csrf.as_str()),
                    ("retour", "/instruction/dossiers"),
                    ("action", "transmettre"),
                    (ticked.as_str(), "1"),
                ],
            )
            .await,
        200,
    );

    // The dossier waiting for an instructor, its candidate made the seeded Lambert (the
    // transmitted one): its possible duplicate, with the form that confirms or dismisses it.
    let mut admin = live.admin().await;
    diesel::sql_query(
        "UPDATE intake.dossiers SET content = jsonb_set(content, '{candidate}', \
           content->'candidate' || (SELECT jsonb_build_object('birth_name', \
             t.content->'candidate'->'birth_name', 'given_names', \
             t.content->'candidate'->'given_names', 'birth_date', \
             t.content->'candidate'->'birth_date') FROM intake.dossiers t \
             WHERE t.state = 'transmis' ORDER BY t.created_at LIMIT 1)) \
         WHERE id = $1",
    )
    .bind::<SqlUuid, _>(filed.parse::<uuid::Uuid>().unwrap())
    .execute(&mut admin)
    .await
    .unwrap();
    let flagged = claire
        .get(&live.url(&format!("/instruction/dossiers/{filed}")))
        .await;
    assert!(flagged.body.contains("Doublon probable : même identité"));
    keep("dossier_doublon", "instruction/dossier", flagged, 200);

    // Sophie, intégratrice: the campaigns and a board; the registry and the radar.
    let (mut sophie, _) = live.logged_in(SOPHIE).await;
    keep(
        "decisions_campagnes",
        "decisions/campaigns",
        sophie.get(&live.url("/decisions/campagnes")).await,
        200,
    );
    let campaign = one_id(
        &live,
        "SELECT id FROM intake.campaigns ORDER BY created_at LIMIT 1",
    )
    .await;
    keep(
        "decisions_liste",
        "decisions/board",
        sophie
            .get(&live.url(&format!("/decisions/campagnes/{campaign}")))
            .await,
        200,
    );
    keep(
        "registre",
        "promotion/registry",
        sophie.get(&live.url("/promotion/registre")).await,
        200,
    );
    keep(
        "radar",
        "promotion/radar",
        sophie.get(&live.url("/promotion/radar")).await,
        200,
    );
    // The registry's import: its page, then a file sent for checking (its job's page, waiting
    // for a worker).
    let imports = sophie.get(&live.url("/decisions/registre/import")).await;
    let sophie_csrf = imports.hidden("_csrf");
    keep("import_registre", "decisions/imports", imports, 200);
    let template = napoleon_decisions::registry_import::template_csv();
    let started = sophie
        .post_multipart(
            &live.url("/decisions/registre/import"),
            napoleon::samples::multipart_named(
                "fichier",
                &[("_csrf", sophie_csrf.as_str()), ("mode", "verification")],
                &[("registre.csv", template.as_bytes())],
            ),
            Some(&sophie_csrf),
        )
        .await;
    keep(
        "import_tache",
        "decisions/import_job",
        sophie.get(&started.next()).await,
        200,
    );

    // She exports the registry: the choice of format and columns, then the job's page.
    let export = sophie
        .get(&live.url("/promotion/registre/export?nom=lambert"))
        .await;
    keep("export_registre", "export_form", export, 200);
    let asked = sophie
        .post(
            &live.url("/promotion/registre/export"),
            &[
                ("_csrf", sophie_csrf.as_str()),
                ("nom", "lambert"),
                ("format", "ods"),
                ("colonne-nom_naissance", "1"),
                ("colonne-prenoms", "1"),
            ],
        )
        .await;
    keep(
        "export_tache",
        "export_job",
        sophie.get(&asked.next()).await,
        200,
    );

    // Marc (two ministries), Nina (none), Olivier (operator).
    let mut marc = Browser::new();
    live.login(&mut marc, MARC).await;
    keep(
        "choisir_ministere",
        "tenant_picker",
        marc.get(&live.url("/choisir-ministere")).await,
        200,
    );
    let mut nina = Browser::new();
    live.login(&mut nina, NINA).await;
    keep(
        "acces_non_accorde",
        "no_access",
        nina.get(&live.url("/acces-non-accorde")).await,
        403,
    );
    // Denis, délégué à la protection des données: the reads of personal data made above.
    let (mut denis, _) = live.logged_in(DENIS).await;
    let readlog = denis.get(&live.url("/administration/lectures")).await;
    let denis_csrf = readlog.hidden("_csrf");
    keep("lectures", "readlog", readlog, 200);
    // He applies the retention period now: the job's page, waiting for a worker.
    let purge = denis
        .post(
            &live.url("/administration/lectures/purge"),
            &[("_csrf", denis_csrf.as_str())],
        )
        .await;
    keep("tache", "job", denis.get(&purge.next()).await, 200);
    let mut olivier = Browser::new();
    live.login(&mut olivier, OLIVIER).await;
    let operator = olivier.get(&live.url("/exploitation")).await;
    let csrf = operator.hidden("_csrf");
    keep("exploitation", "operator", operator, 200);
    // Olivier logs out, through the provider's end of session and back.
    let logout = olivier
        .post(&live.url("/deconnexion"), &[("_csrf", csrf.as_str())])
        .await;
    let back = olivier.get(&logout.next()).await;
    keep(
        "deconnecte",
        "logged_out",
        olivier.get(&back.next()).await,
        200,
    );

    let covered: BTreeSet<String> = pages
        .iter()
        .map(|(_, template, _)| (*template).to_owned())
        .chain(PARTIALS.iter().map(|t| (*t).to_owned()))
        .collect();
    assert_eq!(
        covered,
        registered_templates(),
        "every template has a page in this test"
    );
    // Every page's « Aide » link leads to an existing section of the guide.
    for (name, template, body) in &pages {
        let marker = "id=\"lien-aide\"";
        let link = body
            .find(marker)
            .map(|at| &body[..at])
            .and_then(|before| before.rfind("href=\""))
            .map(|at| &body[at + 6..])
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("{name} ({template}) has no « Aide » link"));
        let (path, section) = link.split_once('#').unwrap_or((link, ""));
        assert!(path.starts_with("/aide"), "{name}: {link}");
        assert!(
            !section.is_empty(),
            "{name} ({template}): its section of the guide"
        );
        let guide = anonymous.get(&live.url(path)).await;
        assert_eq!(guide.status, 200, "{name}: {link}");
        assert!(
            guide.body.contains(&format!("id=\"{section}\"")),
            "{name} ({template}): {link} has no such section"
        );
    }
    settings().bind(|| {
        for (name, _, body) in &pages {
            insta::assert_snapshot!(*name, body);
        }
    });
    live.finish().await;
}
