//! The documents of a dossier that the platform writes: the mémoire de proposition (R29: the
//! notice annexed to the Code) and the récépissé de dépôt, as PDF/A (napoleon_documents).
//! The mémoire gathers the dossier, its eligibility with the articles, the opinions given on
//! it (instruction's contract view `instruction.opinions_v1`) and its pieces. Rendering is
//! CPU work: it runs on the blocking pool, after the transaction has ended.

use axum::body::Bytes;
use napoleon_authz::{Access, Scope, perm};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_db::{TenantConn, contracts, core};
use napoleon_documents::render::{self, Issue, Memoire, Opinion, Recepisse};
use napoleon_identity::Identity;
use napoleon_kernel::{DossierId, OrgUnitId, PieceId};
use napoleon_pieces::PieceType;
use napoleon_rules::content::HeldDistinction;
use napoleon_rules::{Catalogue, PieceCode, VerdictKind, fr_date};
use napoleon_web::{ActionError, ActionResult, Conflict, FieldError, WebContext, WebError};
use serde_json::json;

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

/// The mémoire of a dossier the agent reads, as it stands (a preview, watermarked
/// « PROJET »); its read is logged (channel `export`: a document of the candidate's data
/// leaves the platform).
pub(crate) async fn memoire(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    issue: Issue,
) -> ActionResult<Vec<u8>> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let dossier = super::dossiers::readable(&mut tx, &access, id).await?;
    let campaign = contracts::campaign_by_id(&tx, dossier.campaign_id).await?;
    let memoire = gather(&mut tx, &access, &dossier, &campaign).await?;
    super::end_export(tx, identity, id).await?;
    rendered(move || render::memoire(&memoire, issue)).await
}

/// What the mémoire of `dossier` says, read in the caller's transaction.
async fn gather(
    tx: &mut TenantConn,
    access: &Access,
    dossier: &crate::store::Dossier,
    campaign: &contracts::CampaignView,
) -> ActionResult<Memoire> {
    let id = dossier.id;
    let (opinions, pieces) = tokio::join!(
        contracts::opinions_of(&*tx, id),
        piece_store::of_dossier(&*tx, id)
    );
    let (opinions, pieces) = (opinions?, pieces?);
    let catalogue = tenant_catalogue(tx, access).await?;
    let names = Names::load(tx).await?;
    let at = tx.now();
    let content = dossier.content.expose();
    let distinction = catalogue.distinction(&campaign.distinction);
    let proposed = proposed(&catalogue, campaign, dossier);
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
    let (verdict_line, reasons) = match verdict(&catalogue, campaign, dossier) {
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
    // The pieces that count: current, not found infected, and not an earlier mémoire.
    let readable: Vec<_> = pieces
        .iter()
        .filter(|p| {
            p.current() && p.scan != napoleon_pieces::ScanState::Infected && !p.code.is_memoire()
        })
        .collect();
    Ok(Memoire {
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
                format!(
                    "{} ({})",
                    napoleon_rules::piece_label(distinction, &p.code),
                    p.kind.label_fr()
                )
            })
            .collect(),
        at,
    })
}

/// How many times a dossier's mémoire may be established (each one is kept): a bound on
/// what repeated clicks can store.
const MEMOIRE_ISSUES: usize = 20;

/// The final mémoire, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Established {
    pub(crate) piece: PieceId,
    pub(crate) sha256: String,
    pub(crate) size: u64,
    /// The mémoire established before, now withdrawn (kept in the history).
    pub(crate) replaces: Option<PieceId>,
}

/// Checks that the agent may establish the mémoire of `dossier` now (`decision:decide` at the
/// campaign's bureau, the dossier at the bureau, fewer than [`MEMOIRE_ISSUES`] before);
/// returns the proof and the mémoire it replaces.
async fn may_establish(
    tx: &mut TenantConn,
    access: &Access,
    dossier: &crate::store::Dossier,
    campaign: &contracts::CampaignView,
) -> ActionResult<(
    napoleon_authz::Authorized<perm::DecisionDecide>,
    Option<PieceId>,
)> {
    let decide = access.authorize::<perm::DecisionDecide>(Scope::Unit(campaign.bureau_unit_id))?;
    if !dossier.state.takes_final_memoire() {
        return Err(Conflict::MemoireNotAtBureau {
            state: dossier.state,
        }
        .into());
    }
    let pieces = piece_store::of_dossier(&*tx, dossier.id).await?;
    let issued = pieces.iter().filter(|p| p.code.is_memoire()).count();
    if issued >= MEMOIRE_ISSUES {
        return Err(ActionError::Invalid(vec![FieldError::new(
            "memoire",
            format!(
                "Mémoire : il a déjà été établi {MEMOIRE_ISSUES} fois pour ce dossier ; le \
                 dernier reste valable."
            ),
        )]));
    }
    let current = pieces.iter().find(|p| p.code.is_memoire() && p.current());
    // A double click, or a second agent at once: the one just established stands until
    // clamd has seen it.
    if current.is_some_and(|p| p.scan == napoleon_pieces::ScanState::Pending) {
        return Err(Conflict::MemoirePending.into());
    }
    Ok((decide, current.map(|p| p.id)))
}

/// Establishes the dossier's final mémoire (the bureau's act, R29): rendered without the
/// watermark, stored as a piece of the dossier (kind `memoire`, replacing the one
/// established before), queued for its scan like any piece, and journaled with its
/// SHA-256. The bytes are stored first; the row, the scan and the journal then go in one
/// transaction that checks everything again (the dossier unchanged since it was rendered),
/// and if it fails before its commit the bytes are removed. A commit whose outcome is unknown
/// keeps them: the journal may already name their hash.
pub(crate) async fn establish(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
) -> ActionResult<Established> {
    let store = ctx.pieces()?.clone();
    let (mut tx, access) = ctx.begin(identity).await?;
    let dossier = super::dossiers::readable(&mut tx, &access, id).await?;
    let campaign = contracts::campaign_by_id(&tx, dossier.campaign_id).await?;
    let (_decide, _) = may_establish(&mut tx, &access, &dossier, &campaign).await?;
    let memoire = gather(&mut tx, &access, &dossier, &campaign).await?;
    let tenant = tx.tenant();
    tx.rollback().await;
    let number = dossier.number.clone().unwrap_or_default();
    let version = dossier.version;
    let pdf = rendered(move || render::memoire(&memoire, Issue::Final)).await?;

    let piece = PieceId::new();
    // Stored and recorded in a task of its own, as uploads are: a client gone in between
    // drops the request, not this, so no stored file is left without its row.
    let (ctx, identity) = (ctx.clone(), identity.clone());
    let work = tokio::spawn(async move {
        let stored = store
            .put(tenant, piece.as_uuid(), Bytes::from(pdf))
            .await
            .map_err(|e| WebError::Unavailable(format!("piece store: {e}")))?;
        let rendered = Rendered {
            id,
            version,
            piece,
            number: &number,
            stored: &stored,
        };
        match record(&ctx, &identity, &rendered).await {
            Ok((tx, replaces)) => {
                if let Err(e) = tx.commit().await {
                    tracing::warn!(error = %e, piece = %piece, "mémoire commit failed or unknown: its bytes are kept");
                    return Err(e.into());
                }
                Ok(Established {
                    piece,
                    sha256: stored.sha256,
                    size: stored.size,
                    replaces,
                })
            }
            Err(e) => {
                if let Err(gone) = store.delete(tenant, piece.as_uuid()).await {
                    tracing::warn!(error = %gone, piece = %piece, "stored mémoire left without its row");
                }
                Err(e)
            }
        }
    });
    work.await
        .map_err(|e| WebError::Internal(format!("mémoire task: {e}")))?
}

/// A mémoire rendered from the dossier at `version`, its bytes stored.
struct Rendered<'a> {
    id: DossierId,
    version: i32,
    piece: PieceId,
    number: &'a str,
    stored: &'a napoleon_storage::Stored,
}

/// Writes the mémoire's row, its scan and its journal entry; the caller commits.
async fn record(
    ctx: &WebContext,
    identity: &Identity,
    rendered: &Rendered<'_>,
) -> ActionResult<(TenantConn, Option<PieceId>)> {
    let Rendered {
        id,
        version,
        piece,
        number,
        stored,
    } = *rendered;
    let (mut tx, access) = ctx.begin(identity).await?;
    super::dossiers::readable(&mut tx, &access, id).await?;
    // Locked: two establishments of one dossier queue up, and the second replaces the first.
    let dossier = crate::store::dossier(&mut tx, id).await?;
    if dossier.version != version {
        // Saved since it was rendered: this copy would not be the dossier's.
        return Err(Conflict::Changed.into());
    }
    let campaign = contracts::campaign_by_id(&tx, dossier.campaign_id).await?;
    let (decide, replaces) = may_establish(&mut tx, &access, &dossier, &campaign).await?;
    let agent = decide.agent();
    if let Some(old) = replaces {
        piece_store::withdraw(&mut tx, old, agent).await?;
    }
    let code = PieceCode::memoire();
    let name = if number.is_empty() {
        "memoire-de-proposition.pdf".to_owned()
    } else {
        format!("memoire-de-proposition-{number}.pdf")
    };
    piece_store::insert(
        &mut tx,
        &piece_store::NewPiece {
            id: piece,
            dossier: id,
            code: &code,
            name: &name,
            kind: PieceType::Pdf,
            size: stored.size,
            sha256: &stored.sha256,
            by: agent,
            replaces,
        },
    )
    .await?;
    // Scanned like any piece: nothing is served that clamd has not seen.
    super::pieces::queue_scan(&mut tx, piece, agent).await?;
    journal::append(
        &mut tx,
        Actor::Agent(agent),
        Subject::Dossier(id),
        EventKind::MemoireEstablished,
        json!({
            "piece": piece,
            "sha256": stored.sha256,
            "size": stored.size,
            "replaces": replaces,
        }),
    )
    .await?;
    Ok((tx, replaces))
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
    super::end_export(tx, identity, id).await?;
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
