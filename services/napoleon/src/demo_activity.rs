//! Demo activity: an open campaign, dossiers at various states and a registry with laureates
//! near their promotion date, so a newcomer can walk the whole path at once.
//!
//! Dossiers are created the way agents create them: through the services' JSON API, in
//! process, with identity assertions signed for the demo agents (so every step is checked,
//! journaled and numbered as in real use). Historical laureates come in through the
//! registry's import contract. Idempotent: nothing happens to a tenant that has a campaign.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request};
use chrono::{Datelike, Duration, NaiveDate};
use napoleon_db::contracts::{self, ImportedAward};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_db::{core, identity};
use napoleon_identity::{ASSERTION_HEADER, AssertionSigner, RoleGrant};
use napoleon_kernel::{
    AgentId, Email, OrgUnitId, OrgUnitKind, Personal, Role, TenantId, TenantSlug,
};
use napoleon_web::WebContext;
use serde_json::{Value, json};
use tower::ServiceExt;

/// What the activity seed did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ActivityReport {
    /// Campaigns created.
    pub campaigns: usize,
    /// Dossiers created.
    pub dossiers: usize,
    /// Laureates imported into the registry.
    pub laureates: usize,
}

/// A demo agent acting in the seed.
struct Actor2 {
    agent: AgentId,
    roles: Vec<RoleGrant>,
}

struct Seeder<'a> {
    router: Router,
    signer: &'a AssertionSigner,
    tenant: TenantId,
    clock: napoleon_kernel::Clock,
}

impl Seeder<'_> {
    /// One API call as `who`; the answer's JSON (or an error naming the call).
    async fn call(
        &self,
        who: &Actor2,
        method: Method,
        path: &str,
        body: Value,
    ) -> Result<Value, String> {
        self.send(
            who,
            method,
            path,
            "application/json",
            body.to_string().into_bytes(),
        )
        .await
    }

    /// The pieces the dossier still lacks to be submitted, each as a sample PDF naming it,
    /// attached as `who` through the API (each then waits for its antivirus scan).
    async fn attach_required(&self, who: &Actor2, id: &str) -> Result<(), String> {
        let dossier = self
            .call(
                who,
                Method::GET,
                &format!("/intake/api/v1/dossiers/{id}"),
                Value::Null,
            )
            .await?;
        for code in crate::samples::missing_pieces(&dossier) {
            let label = match code.as_str() {
                "b2" => "Extrait du bulletin n° 2 du casier judiciaire",
                "etat_civil" => "Copie intégrale de l'acte de naissance",
                "etat_services" => "État des services",
                other => other,
            };
            let pdf = crate::samples::sample_pdf(label);
            let body = crate::samples::multipart(
                &[("code", code.as_str())],
                &[(&format!("{code}.pdf"), &pdf)],
            );
            self.send(
                who,
                Method::POST,
                &format!("/intake/api/v1/dossiers/{id}/pieces"),
                &crate::samples::multipart_type(),
                body,
            )
            .await?;
        }
        Ok(())
    }

    async fn send(
        &self,
        who: &Actor2,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<Value, String> {
        let service = path.trim_start_matches('/').split('/').next().unwrap_or("");
        let assertion = self.signer.sign(
            napoleon_identity::Claims::new(
                service,
                who.agent,
                self.tenant,
                who.roles.clone(),
                "demo-seed",
            )
            .for_request(method.as_str(), path),
            self.clock.timestamp(),
        );
        let request = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(ASSERTION_HEADER, assertion)
            .header("content-type", content_type)
            .body(Body::from(body))
            .map_err(|e| e.to_string())?;
        let response = match self.router.clone().oneshot(request).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1024 * 1024)
            .await
            .map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!(
                "demo seed: {method} {path} answered {status}: {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

impl Seeder<'_> {
    /// A Légion d'honneur campaign for the next 14 July at least 120 days away, open for
    /// filing since 30 days and until 60 days before it, created by `admin`; its id.
    async fn open_campaign(
        &self,
        admin: &Actor2,
        label_suffix: &str,
        bureau: OrgUnitId,
        contingents: Value,
    ) -> Result<String, String> {
        let today = self.clock.today();
        let promotion = next_july_14(today, 120);
        let campaign = self
            .call(
                admin,
                Method::POST,
                "/intake/api/v1/campaigns",
                json!({
                    "distinction": "LH",
                    "label": format!(
                        "Légion d'honneur — promotion du 14 juillet {}{label_suffix}",
                        promotion.year()
                    ),
                    "promotion_date": promotion.to_string(),
                    "opens_on": (today - Duration::days(30)).to_string(),
                    "closes_on": (promotion - Duration::days(60)).to_string(),
                    "bureau_unit_id": bureau.to_string(),
                    "contingents": contingents,
                }),
            )
            .await?;
        Ok(campaign["id"].as_str().unwrap_or_default().to_owned())
    }
}

fn candidate(
    birth_name: &str,
    given: &str,
    sex: &str,
    born: &str,
    place: &str,
    dept: &str,
) -> Value {
    json!({"birth_name": birth_name, "usual_name": "", "given_names": given, "sex": sex,
           "birth_date": born, "birth_place": place, "nationality": "FR", "french_since": "",
           "residence_department": dept})
}

/// The next 14 July at least `after` days from today.
fn next_july_14(today: NaiveDate, after: i64) -> NaiveDate {
    let floor = today + Duration::days(after);
    let this_year = NaiveDate::from_ymd_opt(floor.year(), 7, 14).unwrap_or(floor);
    if this_year >= floor {
        this_year
    } else {
        NaiveDate::from_ymd_opt(floor.year() + 1, 7, 14).unwrap_or(floor)
    }
}

/// Seeds the demo ministries' activity, as the demo agents, for a development provider at
/// `issuer` (the agents are created as that provider's logins will find them): the Interior
/// ministry's whole path, and an open campaign with a draft at the Culture ministry (a second
/// tenant where a rédactrice files, as the load tests' multi-tenant figure needs).
///
/// # Errors
/// A message naming the step that failed.
pub async fn seed_activity(
    ctx: &WebContext,
    signer: &AssertionSigner,
    issuer: &str,
) -> Result<ActivityReport, String> {
    let mut report = ActivityReport::default();
    interior(ctx, signer, issuer, &mut report).await?;
    culture(ctx, signer, issuer, &mut report).await?;
    Ok(report)
}

/// The tenant `slug` and its units, unless it is missing or already has a campaign (the
/// seed then leaves it alone).
async fn fresh_tenant(
    db: &napoleon_db::Db,
    slug: &str,
) -> Result<Option<(TenantId, Vec<core::OrgUnit>)>, String> {
    let slug = TenantSlug::parse(slug).map_err(|e| e.to_string())?;
    let tenant = {
        let mut conn = db.platform().await.map_err(|e| e.to_string())?;
        match core::find_tenant(&mut conn, &slug)
            .await
            .map_err(|e| e.to_string())?
        {
            Some(t) => t,
            None => return Ok(None),
        }
    };
    let mut tx = db.tenant(tenant.id).await.map_err(|e| e.to_string())?;
    if !contracts::campaigns(&mut tx)
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        tx.rollback().await;
        return Ok(None);
    }
    let units = core::list_org_units(&mut tx)
        .await
        .map_err(|e| e.to_string())?;
    tx.rollback().await;
    Ok(Some((tenant.id, units)))
}

/// The unit of `kind` and `code` among `units`.
fn unit_of(units: &[core::OrgUnit], kind: OrgUnitKind, code: &str) -> Result<OrgUnitId, String> {
    units
        .iter()
        .find(|u| u.kind == kind && u.code.as_str() == code)
        .map(|u| u.id)
        .ok_or_else(|| format!("demo seed: no unit {code}"))
}

/// The demo agent whose email starts with `first`, acting with `role` at `unit`, as their
/// first login through the development provider creates them, with the grants that login
/// would claim (the demo
/// tenants trust this issuer: the tenant then knows them, and shows their names in its
/// timelines).
async fn demo_agent(
    db: &napoleon_db::Db,
    issuer: &str,
    first: &str,
    role: Role,
    unit: OrgUnitId,
) -> Result<Actor2, String> {
    let (email, given, usual) = crate::demo::demo_person(first)
        .ok_or_else(|| format!("demo seed: no demo agent {first}"))?;
    let parsed = Email::parse(email).map_err(|e| e.to_string())?;
    let subject = format!("demo-{}", email.split('@').next().unwrap_or(email));
    let mut conn = db.platform().await.map_err(|e| e.to_string())?;
    let (a, _) = identity::upsert_agent(
        &mut conn,
        &identity::VerifiedClaims {
            issuer,
            subject: &subject,
            email: &parsed,
            given_name: &Personal::new(given.to_owned()),
            usual_name: &Personal::new(usual.to_owned()),
            idp_id: Some("demo-idp"),
            email_verified: Some(true),
        },
        db.clock().now(),
    )
    .await
    .map_err(|e| e.to_string())?;
    drop(conn);
    let mut ic =
        napoleon_db::IdentityConn::begin(db, a.id, issuer, Some(&parsed), Some("demo-idp"))
            .await
            .map_err(|e| e.to_string())?;
    identity::claim_and_list_grants(&mut ic)
        .await
        .map_err(|e| e.to_string())?;
    ic.commit().await.map_err(|e| e.to_string())?;
    Ok(Actor2 {
        agent: a.id,
        roles: vec![RoleGrant { role, unit }],
    })
}

/// The Culture ministry: a Légion d'honneur campaign open today (by its administrator) and
/// one draft by the DRAC's rédactrice.
async fn culture(
    ctx: &WebContext,
    signer: &AssertionSigner,
    issuer: &str,
    report: &mut ActivityReport,
) -> Result<(), String> {
    let db = &ctx.db;
    let Some((tenant, units)) = fresh_tenant(db, "culture").await? else {
        return Ok(());
    };
    let ministry = unit_of(&units, OrgUnitKind::Ministere, "MC")?;
    let bureau = unit_of(&units, OrgUnitKind::Direction, "BDH")?;
    let drac = unit_of(&units, OrgUnitKind::ServiceRegional, "84")?;
    let thomas = demo_agent(db, issuer, "thomas", Role::Administrateur, ministry).await?;
    let emma = demo_agent(db, issuer, "emma", Role::Redacteur, drac).await?;
    let seeder = Seeder {
        router: napoleon_intake::router(ctx),
        signer,
        tenant,
        clock: ctx.db.clock().clone(),
    };
    let today = ctx.db.clock().today();
    let campaign = seeder
        .open_campaign(&thomas, " (Culture)", bureau, json!({"chevalier": "2"}))
        .await?;
    report.campaigns += 1;
    let content = json!({
        "candidate": candidate("Chevalier", "Agnès", "F", "1962-02-14", "Lyon (Rhône)", "69"),
        "career": [{"from": "1986-09-01", "to": "", "kind": "public",
                    "position": "Conservatrice du patrimoine, puis directrice de musée"}],
        "distinctions": [{"distinction": "ONM", "grade": "chevalier",
                          "decreed_on": "2011-05-14", "received_on": "2011-10-03"}],
        "motifs": "Trente-cinq ans au service des collections publiques de la région ; a conduit la rénovation du musée et son ouverture à tous les publics.",
        "criminal_record_issued_on": (today - Duration::days(12)).to_string(),
    });
    seeder
        .call(
            &emma,
            Method::POST,
            "/intake/api/v1/dossiers",
            json!({"campaign_id": campaign, "content": content}),
        )
        .await?;
    report.dossiers += 1;
    Ok(())
}

/// The Interior ministry: a campaign, dossiers at every step of instruction, and a registry
/// with laureates near their promotion date.
async fn interior(
    ctx: &WebContext,
    signer: &AssertionSigner,
    issuer: &str,
    report: &mut ActivityReport,
) -> Result<(), String> {
    let db = &ctx.db;
    let Some((tenant, units)) = fresh_tenant(db, "interieur").await? else {
        return Ok(());
    };
    let rhone = unit_of(&units, OrgUnitKind::PrefectureDepartement, "69")?;
    let bureau = unit_of(&units, OrgUnitKind::Direction, "BCD")?;
    let ministry = unit_of(&units, OrgUnitKind::Ministere, "MI")?;
    let anne = demo_agent(db, issuer, "anne", Role::Administrateur, ministry).await?;
    let paul = demo_agent(db, issuer, "paul", Role::Redacteur, rhone).await?;
    let claire = demo_agent(db, issuer, "claire", Role::Instructeur, rhone).await?;
    let hugo = demo_agent(db, issuer, "hugo", Role::Valideur, rhone).await?;

    let seeder = Seeder {
        router: napoleon_intake::router(ctx).merge(napoleon_instruction::router(ctx)),
        signer,
        tenant,
        clock: ctx.db.clock().clone(),
    };
    let today = ctx.db.clock().today();
    let campaign = seeder
        .open_campaign(
            &anne,
            "",
            bureau,
            json!({"chevalier": "3", "officier": "1"}),
        )
        .await?;
    report.campaigns += 1;
    let b2 = (today - Duration::days(10)).to_string();
    let people = [
        candidate(
            "Lambert",
            "Jeanne Marie",
            "F",
            "1961-03-12",
            "Lyon (Rhône)",
            "69",
        ),
        candidate(
            "Rousseau",
            "Pierre",
            "M",
            "1958-10-02",
            "Villeurbanne (Rhône)",
            "69",
        ),
        candidate(
            "Girard",
            "Hélène",
            "F",
            "1965-06-21",
            "Vienne (Isère)",
            "69",
        ),
        candidate(
            "Morel",
            "Jacques",
            "M",
            "1963-01-30",
            "Givors (Rhône)",
            "69",
        ),
        candidate(
            "Fontaine",
            "Sophie",
            "F",
            "1970-09-09",
            "Tarare (Rhône)",
            "69",
        ),
    ];
    let mut ids = Vec::new();
    for (i, person) in people.iter().enumerate() {
        let content = json!({
            "candidate": person,
            "career": [{"from": format!("{}-09-01", 1984 + i), "to": "", "kind": "public",
                        "position": "Fonctionnaire territorial, puis directeur des services"}],
            "distinctions": [{"distinction": "ONM", "grade": "chevalier",
                              "decreed_on": "2012-11-14", "received_on": "2013-02-01"}],
            "motifs": "Plus de trente ans au service des habitants du Rhône, dont dix à la tête des services de la commune ; engagement constant lors des crises sanitaires et des inondations.",
            "criminal_record_issued_on": b2,
        });
        let created = seeder
            .call(
                &paul,
                Method::POST,
                "/intake/api/v1/dossiers",
                json!({"campaign_id": campaign, "content": content}),
            )
            .await?;
        ids.push(created["id"].as_str().unwrap_or_default().to_owned());
        report.dossiers += 1;
    }
    // Dossier 5 stays a draft; the others are submitted, with their pieces.
    for id in &ids[..4] {
        seeder.attach_required(&paul, id).await?;
        seeder
            .call(
                &paul,
                Method::POST,
                &format!("/intake/api/v1/dossiers/{id}/submit"),
                json!({}),
            )
            .await?;
    }
    // 1: instructed, opinion given by Claire, validated and transmitted by Hugo (four eyes).
    let path = |id: &str, what: &str| format!("/instruction/api/v1/dossiers/{id}/{what}");
    seeder
        .call(&claire, Method::POST, &path(&ids[0], "take"), json!({}))
        .await?;
    seeder
        .call(&claire, Method::POST, &path(&ids[0], "opinion"),
              json!({"verdict": "favorable", "motivation": "Parcours exemplaire, avis très favorable du maire et du sous-préfet."}))
        .await?;
    seeder
        .call(&hugo, Method::POST, &path(&ids[0], "transmit"), json!({}))
        .await?;
    // 2: taken by Claire, in instruction.
    seeder
        .call(&claire, Method::POST, &path(&ids[1], "take"), json!({}))
        .await?;
    // 3: returned to the rédacteur for a complement.
    seeder
        .call(&claire, Method::POST, &path(&ids[2], "take"), json!({}))
        .await?;
    seeder
        .call(&claire, Method::POST, &path(&ids[2], "return"),
              json!({"message": "Merci de préciser les fonctions exercées entre 1990 et 2000 et de joindre l'avis du maire."}))
        .await?;
    // 4 stays « déposé », waiting for an instructor.

    // The registry: laureates decorated before Napoléon, some near their promotion date.
    let mut tx = db.tenant(tenant).await.map_err(|e| e.to_string())?;
    let laureates = [
        (
            candidate("Renaud", "Marc", "M", "1960-04-18", "Lyon (Rhône)", "69"),
            "LH",
            "chevalier",
            today - Duration::days(8 * 365 + 60),
            today - Duration::days(8 * 365 - 20),
        ),
        (
            candidate(
                "Perrin",
                "Claudine",
                "F",
                "1959-12-01",
                "Bron (Rhône)",
                "69",
            ),
            "LH",
            "chevalier",
            today - Duration::days(8 * 365 + 200),
            today - Duration::days(8 * 365 + 120),
        ),
        (
            candidate("Faure", "Nadia", "F", "1972-07-07", "Écully (Rhône)", "69"),
            "ONM",
            "chevalier",
            today - Duration::days(5 * 365 + 30),
            today - Duration::days(5 * 365 - 40),
        ),
    ];
    for (identity, distinction, grade, decree, reception) in &laureates {
        let distinction =
            napoleon_rules::DistinctionCode::parse(distinction).map_err(|e| e.to_string())?;
        let grade = napoleon_rules::GradeCode::parse(grade).map_err(|e| e.to_string())?;
        let (laureate, awards) = contracts::import_laureate(
            &mut tx,
            &Personal::new(identity.clone()),
            &[ImportedAward {
                distinction: &distinction,
                grade: &grade,
                decree_date: *decree,
                jo_reference: "JORF (import de démonstration)",
                reception_date: Some(*reception),
                unit_id: Some(rhone),
            }],
        )
        .await
        .map_err(|e| e.to_string())?;
        for award in awards {
            journal::append(
                &mut tx,
                Actor::System("demo"),
                Subject::Award(award),
                EventKind::AwardReceived,
                json!({"laureate": laureate, "imported": true, "reception_date": reception}),
            )
            .await
            .map_err(|e| e.to_string())?;
        }
        report.laureates += 1;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(())
}
