//! A dossier's pieces: attaching (and replacing) files, removing one from a draft,
//! downloading one, and what a submission still lacks. The bytes are checked (type by
//! content, archives bounded) by the web edge before they reach these use cases, stored
//! before their rows are written, and scanned by clamd in a job afterwards: a piece is served
//! only once found clean.

use axum::body::Bytes;
use napoleon_authz::{Access, Scope, perm};
use napoleon_db::jobs::{self, JobKind, NewJob};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_db::readlog::{ReadChannel, ReadSubject};
use napoleon_db::{TenantConn, contracts};
use napoleon_identity::Identity;
use napoleon_kernel::{AgentId, DossierId, Personal, PieceId, TenantId};
use napoleon_pieces::{PieceName, PieceType, ScanState};
use napoleon_rules::dossier::DossierState;
use napoleon_rules::{Catalogue, PieceCode, PieceRequirement};
use napoleon_web::{ActionError, ActionResult, Conflict, FieldError, WebContext, WebError};
use serde_json::json;

use crate::store::pieces::{self as store, Attachment, NewPiece};
use crate::store::{self as dossier_store, Dossier};

use super::tenant_catalogue;

/// The most a dossier's current pieces may weigh together (issue 17: 100 MB a dossier).
pub(crate) const DOSSIER_BYTES: u64 = 100 * 1024 * 1024;

/// The most current pieces a dossier may hold.
pub(crate) const DOSSIER_PIECES: usize = 50;

/// The most a dossier's pieces may weigh with those it replaced or removed (kept for its
/// history): attaching then removing cannot fill the store.
pub(crate) const DOSSIER_HISTORY_BYTES: u64 = 3 * DOSSIER_BYTES;

/// Attempts of a piece's scan before it is failed for good: with the jobs' backoff (30 s,
/// doubling, at most an hour) about two days of clamd being down (the jobs allow 50 at most).
const SCAN_ATTEMPTS: i32 = 50;

/// The job that scans a piece (a literal of the jobs' shape: checked by the unit test).
pub(crate) fn scan_kind() -> Result<JobKind, napoleon_db::DbError> {
    JobKind::parse("intake.piece_scan")
}

/// A file as the edge received it: its type decided from its content, its name sanitised.
pub(crate) struct Received {
    pub(crate) name: PieceName,
    pub(crate) kind: PieceType,
    pub(crate) bytes: Bytes,
}

/// What an upload asks: files for one kind of piece, or one file replacing a piece.
pub(crate) struct Upload {
    pub(crate) code: PieceCode,
    pub(crate) replaces: Option<PieceId>,
    pub(crate) files: Vec<Received>,
}

/// The pieces a dossier proposing its grade attaches, in the catalogue's order.
pub(crate) fn requirements(
    catalogue: &Catalogue,
    campaign: &contracts::CampaignView,
    dossier: &Dossier,
) -> Vec<PieceRequirement> {
    catalogue
        .distinction(&campaign.distinction)
        .map(|d| d.pieces_for(&dossier.target_grade).cloned().collect())
        .unwrap_or_default()
}

/// The required pieces the dossier lacks (a piece found infected does not count), as the
/// submission refuses them: one error per piece, naming it.
pub(crate) fn missing(requirements: &[PieceRequirement], pieces: &[Attachment]) -> Vec<FieldError> {
    requirements
        .iter()
        .filter(|r| r.required)
        .filter(|r| {
            !pieces
                .iter()
                .any(|p| p.current() && p.code == r.code && p.scan != ScanState::Infected)
        })
        .map(|r| {
            let article = r
                .article
                .as_ref()
                .map(|a| format!(" (art. {a})"))
                .unwrap_or_default();
            FieldError::new(
                format!("pieces-{}", r.code),
                format!("Pièce manquante : {}{article}.", r.label),
            )
        })
        .collect()
}

/// Checks an upload against the dossier as it is now; returns the agent's proof and the
/// kind of piece's label.
async fn check_upload(
    tx: &mut TenantConn,
    access: &Access,
    id: DossierId,
    upload: &Upload,
) -> ActionResult<(napoleon_authz::Authorized<perm::NominationUpdate>, String)> {
    let dossier = super::dossiers::readable(tx, access, id).await?;
    let update = access.authorize::<perm::NominationUpdate>(Scope::Unit(dossier.unit_id))?;
    if !dossier.state.editable() {
        return Err(Conflict::NotEditable {
            state: dossier.state,
        }
        .into());
    }
    if upload.files.is_empty() {
        return Err(invalid(
            "fichiers",
            "Fichiers : choisissez au moins un fichier à joindre.",
        ));
    }
    let campaign = contracts::campaign_by_id(&*tx, dossier.campaign_id).await?;
    let catalogue = tenant_catalogue(tx, access).await?;
    let Some(requirement) = requirements(&catalogue, &campaign, &dossier)
        .into_iter()
        .find(|r| r.code == upload.code)
    else {
        return Err(invalid(
            "code",
            "Pièce : choisissez l'une des pièces demandées pour ce dossier.",
        ));
    };
    let pieces = store::of_dossier(tx, id).await?;
    let current: Vec<&Attachment> = pieces.iter().filter(|p| p.current()).collect();
    let mut freed = 0;
    if let Some(replaced) = upload.replaces {
        let Some(old) = current
            .iter()
            .find(|p| p.id == replaced && p.code == upload.code)
        else {
            return Err(invalid(
                "replaces",
                "La pièce à remplacer n'est plus dans le dossier (déjà remplacée ou retirée) : \
                 rechargez la page.",
            ));
        };
        if upload.files.len() != 1 {
            return Err(invalid(
                "fichiers",
                "Fichiers : une pièce se remplace par un seul fichier.",
            ));
        }
        freed = old.size;
    }
    let count = current.len() + upload.files.len() - usize::from(upload.replaces.is_some());
    if count > DOSSIER_PIECES {
        return Err(invalid(
            "fichiers",
            format!(
                "Fichiers : un dossier porte au plus {DOSSIER_PIECES} pièces ; retirez-en ou \
                 regroupez-les en un seul PDF."
            ),
        ));
    }
    let held: u64 = current.iter().map(|p| p.size).sum::<u64>() - freed;
    let incoming: u64 = upload.files.iter().map(|f| f.bytes.len() as u64).sum();
    let ever: u64 = pieces.iter().map(|p| p.size).sum();
    if ever + incoming > DOSSIER_HISTORY_BYTES {
        return Err(invalid(
            "fichiers",
            format!(
                "Fichiers : ce dossier a déjà reçu {} Mo de pièces, remplacées ou retirées \
                 comprises (historique conservé) ; {} Mo au plus. Contactez le bureau des \
                 distinctions si un nouvel envoi est nécessaire.",
                ever.div_ceil(1024 * 1024),
                DOSSIER_HISTORY_BYTES / (1024 * 1024)
            ),
        ));
    }
    if held + incoming > DOSSIER_BYTES {
        return Err(invalid(
            "fichiers",
            format!(
                "Fichiers : les pièces d'un dossier ne peuvent dépasser {} Mo au total \
                 (déjà joint : {} Mo) ; réduisez les fichiers, par exemple en PDF compressé.",
                DOSSIER_BYTES / (1024 * 1024),
                held.div_ceil(1024 * 1024)
            ),
        ));
    }
    Ok((update, requirement.label))
}

/// Whether the agent may attach pieces to the dossier now (read, edit on its unit, a state
/// that allows it): asked before anything of an upload's body is read.
pub(crate) async fn may_attach(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
) -> ActionResult<()> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let dossier = super::dossiers::readable(&mut tx, &access, id).await?;
    let _update = access.authorize::<perm::NominationUpdate>(Scope::Unit(dossier.unit_id))?;
    tx.rollback().await;
    if dossier.state.editable() {
        Ok(())
    } else {
        Err(Conflict::NotEditable {
            state: dossier.state,
        }
        .into())
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ActionError {
    ActionError::Invalid(vec![FieldError::new(field, message)])
}

/// Attaches the upload's files to the dossier (a replacement withdraws the piece it
/// replaces), each queued for its antivirus scan. The bytes are stored first, once the agent
/// is known to be allowed; the rows, the scans and the journal then go in one transaction,
/// which checks everything again. If that transaction fails, the stored bytes are removed:
/// nothing half-attached.
pub(crate) async fn attach(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    upload: Upload,
) -> ActionResult<Vec<PieceId>> {
    let store = ctx.pieces()?.clone();
    let (mut tx, access) = ctx.begin(identity).await?;
    let tenant = tx.tenant();
    // Checked before any byte is stored; checked again when the rows are written.
    let _allowed = check_upload(&mut tx, &access, id, &upload).await?;
    tx.rollback().await;

    // Stored and recorded in a task of its own: a client gone in between (or the request's
    // timeout) drops the request, not this, so no stored file is left without its row.
    let (ctx, identity) = (ctx.clone(), identity.clone());
    let work = tokio::spawn(async move {
        let mut stored = Vec::with_capacity(upload.files.len());
        for file in &upload.files {
            let piece = PieceId::new();
            match store.put(tenant, piece.as_uuid(), file.bytes.clone()).await {
                Ok(s) => stored.push((piece, s)),
                Err(e) => {
                    forget(&store, tenant, &stored).await;
                    return Err(WebError::Unavailable(format!("piece store: {e}")).into());
                }
            }
        }
        match record(&ctx, &identity, id, &upload, &stored).await {
            Ok(()) => Ok(stored.into_iter().map(|(p, _)| p).collect()),
            Err(e) => {
                forget(&store, tenant, &stored).await;
                Err(e)
            }
        }
    });
    work.await
        .map_err(|e| WebError::Internal(format!("piece upload task: {e}")))?
}

/// Queues the antivirus scan of a piece just recorded, in the transaction that records it:
/// nothing is served that clamd has not seen.
pub(crate) async fn queue_scan(
    tx: &mut TenantConn,
    piece: PieceId,
    by: AgentId,
) -> ActionResult<()> {
    jobs::enqueue(
        tx,
        &NewJob {
            kind: &scan_kind()?,
            payload: json!({"piece": piece}),
            max_attempts: SCAN_ATTEMPTS,
            created_by: &Actor::Agent(by).render(),
        },
    )
    .await?;
    Ok(())
}

/// Removes bytes stored for rows that were never written.
async fn forget(
    store: &napoleon_storage::PieceStore,
    tenant: TenantId,
    stored: &[(PieceId, napoleon_storage::Stored)],
) {
    for (piece, _) in stored {
        if let Err(e) = store.delete(tenant, piece.as_uuid()).await {
            tracing::warn!(error = %e, piece = %piece, "stored piece left without its row");
        }
    }
}

async fn record(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    upload: &Upload,
    stored: &[(PieceId, napoleon_storage::Stored)],
) -> ActionResult<()> {
    let (mut tx, access) = ctx.begin(identity).await?;
    // The dossier locked: two uploads to one dossier count each other's pieces.
    super::dossiers::readable(&mut tx, &access, id).await?;
    dossier_store::dossier(&mut tx, id).await?;
    let (update, label) = check_upload(&mut tx, &access, id, upload).await?;
    let agent = update.agent();
    if let Some(old) = upload.replaces {
        store::withdraw(&mut tx, old, agent).await?;
    }
    for (file, (piece, bytes)) in upload.files.iter().zip(stored) {
        store::insert(
            &mut tx,
            &NewPiece {
                id: *piece,
                dossier: id,
                code: &upload.code,
                name: file.name.as_str(),
                kind: file.kind,
                size: bytes.size,
                sha256: &bytes.sha256,
                by: agent,
                replaces: upload.replaces,
            },
        )
        .await?;
        queue_scan(&mut tx, *piece, agent).await?;
        journal::append(
            &mut tx,
            Actor::Agent(agent),
            Subject::Dossier(id),
            EventKind::PieceAttached,
            json!({
                "piece": piece,
                "code": upload.code,
                "label": label,
                "sha256": bytes.sha256,
                "size": bytes.size,
                "type": file.kind.as_str(),
                "replaces": upload.replaces,
            }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Removes a piece from a draft: withdrawn, kept in the dossier's history (and in storage).
/// During a complement a piece is replaced, not removed.
pub(crate) async fn remove(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    piece: PieceId,
) -> ActionResult<()> {
    let (mut tx, access) = ctx.begin(identity).await?;
    super::dossiers::readable(&mut tx, &access, id).await?;
    let dossier = dossier_store::dossier(&mut tx, id).await?;
    let update = access.authorize::<perm::NominationUpdate>(Scope::Unit(dossier.unit_id))?;
    let found = store::piece(&mut tx, piece).await?;
    if found.dossier != id {
        return Err(ActionError::NotFound);
    }
    match dossier.state {
        DossierState::Draft => {}
        DossierState::ComplementRequested => {
            return Err(invalid(
                "piece",
                "Pendant un complément, une pièce se remplace par une autre : elle ne peut pas \
                 être retirée.",
            ));
        }
        state => return Err(Conflict::NotEditable { state }.into()),
    }
    if !store::withdraw(&mut tx, piece, update.agent()).await? {
        return Err(invalid(
            "piece",
            "Cette pièce a déjà été retirée ou remplacée : rechargez la page.",
        ));
    }
    let catalogue = tenant_catalogue(&mut tx, &access).await?;
    let label = label_of(&catalogue, &dossier, &found.code, &mut tx).await?;
    journal::append(
        &mut tx,
        Actor::Agent(update.agent()),
        Subject::Dossier(id),
        EventKind::PieceRemoved,
        json!({"piece": piece, "code": found.code, "label": label}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn label_of(
    catalogue: &Catalogue,
    dossier: &Dossier,
    code: &PieceCode,
    tx: &mut TenantConn,
) -> ActionResult<String> {
    let campaign = contracts::campaign_by_id(&*tx, dossier.campaign_id).await?;
    Ok(napoleon_rules::piece_label(
        catalogue.distinction(&campaign.distinction),
        code,
    ))
}

/// A piece's bytes, as served.
pub(crate) struct Download {
    pub(crate) name: Personal<String>,
    pub(crate) kind: PieceType,
    pub(crate) bytes: Bytes,
}

/// Whether the agent may read what a piece of kind `code` says: anyone who reads the
/// dossier, except for a restricted kind (the bulletin n° 2), which only the instruction
/// units of its circuit read — where it was filed and where it is now. A kind the catalogue
/// no longer lists is restricted: nobody loosened it.
pub(crate) fn may_read_content(
    access: &Access,
    catalogue: &Catalogue,
    campaign: &contracts::CampaignView,
    dossier: &Dossier,
    code: &PieceCode,
) -> ActionResult<bool> {
    let restricted =
        napoleon_rules::piece_restricted(catalogue.distinction(&campaign.distinction), code);
    Ok(!restricted || access.instructs_circuit(dossier.unit_id, dossier.level_unit_id)?)
}

/// A piece of a dossier the agent reads, clean, with the read in the personal-data log.
/// Another tenant's piece, or another dossier's, is a 404; a piece the agent may not open
/// (restricted) a 403; one not scanned yet or infected a conflict.
pub(crate) async fn download(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    piece: PieceId,
) -> ActionResult<Download> {
    let store = ctx.pieces()?.clone();
    let (mut tx, access) = ctx.begin(identity).await?;
    let dossier = super::dossiers::readable(&mut tx, &access, id).await?;
    let found = store::piece(&mut tx, piece).await?;
    if found.dossier != id {
        return Err(ActionError::NotFound);
    }
    let campaign = contracts::campaign_by_id(&tx, dossier.campaign_id).await?;
    let catalogue = tenant_catalogue(&mut tx, &access).await?;
    if !may_read_content(&access, &catalogue, &campaign, &dossier, &found.code)? {
        return Err(ActionError::Forbidden);
    }
    match found.scan {
        ScanState::Clean => {}
        ScanState::Pending => return Err(Conflict::PiecePending.into()),
        ScanState::Infected => return Err(Conflict::PieceQuarantined.into()),
    }
    let tenant = tx.tenant();
    // Logged before anything is sent: a download the log could not record is refused.
    napoleon_web::end_read(
        tx,
        identity,
        ReadSubject::Dossier(id),
        Some(ReadChannel::Piece),
    )
    .await?;
    let bytes = store
        .get(tenant, piece.as_uuid())
        .await
        .map_err(|e| WebError::Unavailable(format!("piece store: {e}")))?;
    // The bytes are those that were scanned, or nothing is served.
    if napoleon_storage::sha256_hex(&bytes) != found.sha256 {
        return Err(WebError::Internal(format!("piece {piece}: stored bytes changed")).into());
    }
    Ok(Download {
        name: found.name,
        kind: found.kind,
        bytes,
    })
}

/// What goes into a dossier's archive: each piece the agent may open, clean and current,
/// named `<kind>/<name>`, its bytes read from the store one at a time as the archive is
/// written.
pub(crate) struct Archive {
    pub(crate) number: String,
    pub(crate) tenant: TenantId,
    pub(crate) store: napoleon_storage::PieceStore,
    pub(crate) entries: Vec<(String, PieceId, String)>,
}

/// The pieces of a dossier the agent reads, for its archive (a committee's copy): the read
/// is logged (channel `export`) before anything is sent.
pub(crate) async fn archive(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
) -> ActionResult<Archive> {
    let store = ctx.pieces()?.clone();
    let (mut tx, access) = ctx.begin(identity).await?;
    let dossier = super::dossiers::readable(&mut tx, &access, id).await?;
    let campaign = contracts::campaign_by_id(&tx, dossier.campaign_id).await?;
    let catalogue = tenant_catalogue(&mut tx, &access).await?;
    let pieces = store::of_dossier(&tx, id).await?;
    let tenant = tx.tenant();
    let mut entries = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for p in pieces
        .iter()
        .filter(|p| p.current() && p.scan == ScanState::Clean)
    {
        if !may_read_content(&access, &catalogue, &campaign, &dossier, &p.code)? {
            continue;
        }
        // Two files of a kind may share a name (or differ only by case, which some systems
        // do not tell apart): the archive keeps both. The name is sanitised again here.
        let clean = PieceName::of(p.name.expose(), p.kind);
        let mut name = format!("{}/{}", p.code, clean.as_str());
        let mut n = 1;
        while !names.insert(name.to_lowercase()) {
            n += 1;
            name = format!("{}/{n}-{}", p.code, clean.as_str());
        }
        entries.push((name, p.id, p.sha256.clone()));
    }
    super::end_export(tx, identity, id).await?;
    Ok(Archive {
        number: dossier.number.unwrap_or_else(|| id.to_string()),
        tenant,
        store,
        entries,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_scan_kind_is_a_job_kind() {
        assert_eq!(
            super::scan_kind().map(|k| k.to_string()).ok().as_deref(),
            Some("intake.piece_scan")
        );
    }
}
