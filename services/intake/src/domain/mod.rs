//! Intake's use cases, one file per group: campaigns, dossiers (drafts, saving, review,
//! submission), proposals for the next grade. Each one opens the request's tenant transaction, checks the
//! permission (on the dossier's unit where there is one), checks the state and the input,
//! changes, journals, and commits; any refusal rolls back with nothing written.

mod campaigns;
mod dossiers;
mod memoire;
mod once;
mod pieces;
pub(crate) mod proposal_import;
mod proposals;

use napoleon_authz::{Scope, perm};
use napoleon_db::catalogue;
use napoleon_identity::Identity;
use napoleon_rules::content::{self, Content};
use napoleon_web::{ActionError, ActionResult, FieldError, WebContext};

pub(crate) use campaigns::{CampaignInput, campaign_choices, campaigns, create_campaign};
pub(crate) use dossiers::{
    Extras, FiledAsk, MyDossiers, Review, create_draft, filing_units, my_dossiers, review,
    review_with, save, submit, verdict,
};
pub(crate) use memoire::{establish, memoire, recepisse};
pub(crate) use pieces::{
    Archive, DOSSIER_BYTES, DOSSIER_PIECES, Download, Received, Upload, archive, attach, download,
    may_attach, may_read_content, missing, remove, requirements, scan_kind,
};
pub(crate) use proposals::propose;

/// Ends the transaction of a read whose document of the dossier leaves the platform (the
/// mémoire, the récépissé, the archive of its pieces): logged with the channel `export`.
async fn end_export(
    tx: napoleon_db::TenantConn,
    identity: &Identity,
    id: napoleon_kernel::DossierId,
) -> ActionResult<()> {
    napoleon_web::end_reads(
        tx,
        identity,
        &[napoleon_db::readlog::ReadSubject::Dossier(id)],
        napoleon_db::readlog::ReadChannel::Export,
    )
    .await
}

/// The form's field errors, as the web edge shows them.
pub(crate) fn fields(errors: Vec<content::FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| FieldError::new(e.field, e.message))
        .collect()
}

/// Refuses, before anything is read or written, a draft no page can produce: too many rows
/// or fields longer than any real value (`content::check_bounds`).
pub(crate) fn within_bounds(content: &Content) -> ActionResult<()> {
    let errors = content::check_bounds(content);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ActionError::Invalid(fields(errors)))
    }
}

pub(crate) use napoleon_web::tenant_catalogue;

/// The tenant's catalogue documents, for an eligibility check.
pub(crate) async fn catalogue_files(
    ctx: &WebContext,
    identity: &Identity,
) -> ActionResult<Vec<(String, String)>> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::EligibilityCheck>(Scope::Anywhere)?;
    let files = catalogue::load(&mut tx).await?;
    tx.rollback().await;
    Ok(files)
}
