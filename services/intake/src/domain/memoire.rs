//! The documents of a dossier that the platform writes: the mémoire de proposition (R29: the
//! notice annexed to the Code) and the récépissé de dépôt, as PDF/A (napoleon_documents).
//! The mémoire gathers the dossier, its eligibility with the articles, the opinions given on
//! it (instruction's contract view `instruction.opinions_v1`) and its pieces. Rendering is
//! CPU work: it runs on the blocking pool, after the transaction has ended.

use napoleon_db::readlog::{ReadChannel, ReadSubject};
use napoleon_db::{TenantConn, contracts, core};
use napoleon_documents::render::{self, Issue, Memoire, Opinion, Recepisse};
use napoleon_identity::Identity;
use napoleon_kernel::{DossierId, OrgUnitId};
use napoleon_rules::content::HeldDistinction;
use napoleon_rules::{Catalogue, VerdictKind, fr_date};
use napoleon_web::{ActionError, ActionResult, WebContext, WebError};

use super::{tenant_catalogue, verdict};
use crate::store::pieces as piece_store;

/// The units' names, and the ministry's (the unit without a parent).
struct Names {
    units: Vec<core::OrgUnit>,
}

impl Names {
    async fn load(tx: &mut TenantConn) -> ActionResult<Self> {
        Ok(Self {
            units: core::list_org_units(tx).await?,
        })
    }

    fn unit(&self, id: OrgUnitId) -> String {
        self.units
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    }

    fn authority(&self) -> String {
        self.units
            .iter()
            .find(|u| u.parent_id.is_none())
            .map(|u| u.name.clone())
            .unwrap_or_default()
    }
}

/// « Légion d'honneur — chevalier ».
fn proposed(
    catalogue: &Catalogue,
    campaign: &contracts::CampaignView,
    dossier: &crate::store::Dossier,
) -> String {
    catalogue.distinction(&campaign.distinction).map_or_else(
        || dossier.target_grade.to_string(),
        |d| format!("{} — {}", d.name, d.label(&dossier.target_grade)),
    )
}

/// Runs a rendering on the blocking pool (typst is CPU work, tens of milliseconds).
async fn rendered(
    work: impl FnOnce() -> Result<Vec<u8>, render::RenderError> + Send + 'static,
) -> ActionResult<Vec<u8>> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| WebError::Internal(format!("rendering task: {e}")))?
        .map_err(|e| WebError::Internal(e.to_string()).into())
}

/// The mémoire of a dossier the agent reads, as it stands; its read is logged (channel
/// `export`: a document of the candidate's data leaves the platform).
pub(crate) async fn memoire(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    issue: Issue,
) -> ActionResult<Vec<u8>> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let dossier = super::dossiers::readable(&mut tx, &access, id).await?;
    let campaign = contracts::campaign_by_id(&tx, dossier.campaign_id).await?;
    let (opinions, pieces) = tokio::join!(
        contracts::opinions_of(&tx, id),
        piece_store::of_dossier(&tx, id)
    );
    let (opinions, pieces) = (opinions?, pieces?);
    let catalogue = tenant_catalogue(&mut tx, &access).await?;
    let names = Names::load(&mut tx).await?;
    let at = tx.now();
    napoleon_web::end_read(
        tx,
        identity,
        ReadSubject::Dossier(id),
        Some(ReadChannel::Export),
    )
    .await?;
    let content = dossier.content.expose();
    let distinction = catalogue.distinction(&campaign.distinction);
    let proposed = proposed(&catalogue, &campaign, &dossier);
    let c = &content.candidate;
    let identity_rows = vec![
        ("Nom de naissance", c.birth_name.clone()),
        ("Nom d'usage", c.usual_name.clone()),
        ("Prénoms", c.given_names.clone()),
        ("Date de naissance", c.birth_date.clone()),
        ("Lieu de naissance", c.birth_place.clone()),
        ("Nationalité", c.nationality.clone()),
        ("Département de résidence", c.residence_department.clone()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let (verdict_line, reasons) = match verdict(&catalogue, &campaign, &dossier) {
        Ok(v) => (
            match v.verdict {
                VerdictKind::Eligible => "Conditions statutaires remplies".to_owned(),
                VerdictKind::Warning => {
                    "Conditions remplies, avec des points d'attention".to_owned()
                }
                VerdictKind::Ineligible => v.eligible_from.map_or_else(
                    || "Conditions statutaires non remplies".to_owned(),
                    |d| {
                        format!(
                            "Conditions statutaires non remplies : éligible à partir du {}",
                            fr_date(d)
                        )
                    },
                ),
            },
            // The article once: most reasons cite it in their sentence already.
            v.reasons
                .iter()
                .map(|r| {
                    let article = r.article.to_string();
                    if r.message.contains(&format!("art. {article}")) {
                        (r.message.clone(), String::new())
                    } else {
                        (r.message.clone(), article)
                    }
                })
                .collect(),
        ),
        Err(e) => (
            format!("Vérification incomplète : {}", e.body().message),
            Vec::new(),
        ),
    };
    // The pieces that count: current, and not found infected.
    let readable: Vec<_> = pieces
        .iter()
        .filter(|p| p.current() && p.scan != napoleon_pieces::ScanState::Infected)
        .collect();
    let memoire = Memoire {
        authority: names.authority(),
        campaign: campaign.label.clone(),
        proposed,
        number: dossier.number.clone(),
        unit: names.unit(dossier.unit_id),
        identity: identity_rows,
        career: content
            .career
            .iter()
            .filter(|p| !p.from.is_empty() || !p.position.is_empty())
            .map(napoleon_rules::content::CareerPeriod::summary)
            .collect(),
        distinctions: content
            .distinctions
            .iter()
            .filter(|x| !x.distinction.is_empty())
            .map(HeldDistinction::summary)
            .collect(),
        motifs: content.motifs.clone(),
        verdict: verdict_line,
        reasons,
        opinions: opinions
            .iter()
            .map(|o| Opinion {
                author: if o.author.is_empty() {
                    o.unit_name.clone()
                } else {
                    format!("{}, {}", o.author, o.unit_name)
                },
                verdict: format!(
                    "{}, le {}",
                    if o.verdict == "favorable" {
                        "Avis favorable"
                    } else {
                        "Avis défavorable"
                    },
                    fr_date(napoleon_kernel::paris_date(o.created_at))
                ),
                motivation: o.motivation.clone(),
            })
            .collect(),
        pieces: readable
            .iter()
            .map(|p| {
                let label = distinction
                    .and_then(|d| d.pieces.iter().find(|r| r.code == p.code))
                    .map_or_else(|| p.code.to_string(), |r| r.label.clone());
                format!("{label} ({})", p.kind.label_fr())
            })
            .collect(),
        at,
    };
    rendered(move || render::memoire(&memoire, issue)).await
}

/// The récépissé of a submitted dossier the agent reads (a draft has none: 404).
pub(crate) async fn recepisse(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
) -> ActionResult<(String, Vec<u8>)> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let dossier = super::dossiers::readable(&mut tx, &access, id).await?;
    let view = contracts::dossier_by_id(&tx, id).await?;
    let (Some(number), Some(submitted)) = (dossier.number.clone(), view.submitted_at) else {
        return Err(ActionError::NotFound);
    };
    let campaign = contracts::campaign_by_id(&tx, dossier.campaign_id).await?;
    let catalogue = tenant_catalogue(&mut tx, &access).await?;
    let names = Names::load(&mut tx).await?;
    let at = tx.now();
    napoleon_web::end_read(
        tx,
        identity,
        ReadSubject::Dossier(id),
        Some(ReadChannel::Export),
    )
    .await?;
    let proposed = catalogue.distinction(&campaign.distinction).map_or_else(
        || dossier.target_grade.to_string(),
        |d| format!("{} — {}", d.name, d.label(&dossier.target_grade)),
    );
    let recepisse = Recepisse {
        authority: names.authority(),
        number: number.clone(),
        deposited_on: napoleon_kernel::paris_date(submitted),
        unit: names.unit(dossier.unit_id),
        campaign: campaign.label.clone(),
        candidate: dossier.content.expose().display_name(),
        proposed,
        at,
    };
    let pdf = rendered(move || render::recepisse(&recepisse)).await?;
    Ok((number, pdf))
}
