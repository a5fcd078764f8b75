//! The decisions board's export (issue 18, Build 3), as CSV, XLSX or ODS in the columns the
//! agent chose: a campaign's list as its board shows it (rank, candidate, proposed grade,
//! state, decision and its motivation, decree once published). It runs as a
//! `decisions.export` job ([`napoleon_web::export`]) that decisions' own process runs as
//! decisions' role (the board reads decisions' tables), with the agent's access as it stands
//! then: the whole board in one batch, as the page reads it. Exporting needs
//! `decision:export` at the campaign's bureau, and the reading itself there.

use async_trait::async_trait;
use napoleon_authz::{Access, Scope, perm};
use napoleon_db::TenantConn;
use napoleon_db::contracts;
use napoleon_db::jobs::JobKind;
use napoleon_db::readlog::ReadSubject;
use napoleon_identity::Identity;
use napoleon_kernel::{CampaignId, JobId};
use napoleon_web::export::{
    self, ExportBatch, ExportCell, ExportChoice, ExportColumn, ExportJob, ExportRequest,
    ExportSource,
};
use napoleon_web::{ActionError, ActionResult, FieldError, WebContext};
use serde_json::json;

use super::board::read_board;

/// The job's kind.
///
/// # Errors
/// Never in practice (a literal of the jobs' shape; a unit test checks it).
pub(crate) fn export_kind() -> Result<JobKind, napoleon_db::DbError> {
    JobKind::parse("decisions.export")
}

/// The board's name in the payload and the file's: `decisions-lh-2027-07-14-1a2b3c4d`
/// (the campaign's distinction, promotion and id), so that one export per campaign waits or
/// runs at a time, and the file says which list it holds.
fn list_name(campaign: &contracts::CampaignView) -> String {
    let id = campaign.id.to_string();
    format!(
        "decisions-{}-{}-{}",
        campaign.distinction.as_str().to_lowercase(),
        campaign.promotion_date,
        id.get(..8).unwrap_or_default()
    )
}

/// The board's columns.
pub(crate) const COLUMNS: &[ExportColumn] = &[
    ExportColumn {
        code: "rang",
        header: "Rang",
    },
    ExportColumn {
        code: "numero",
        header: "Numéro",
    },
    ExportColumn {
        code: "nom_naissance",
        header: "Nom de naissance",
    },
    ExportColumn {
        code: "nom_usage",
        header: "Nom d'usage",
    },
    ExportColumn {
        code: "prenoms",
        header: "Prénoms",
    },
    ExportColumn {
        code: "sexe",
        header: "Sexe",
    },
    ExportColumn {
        code: "date_naissance",
        header: "Date de naissance",
    },
    ExportColumn {
        code: "grade",
        header: "Grade proposé",
    },
    ExportColumn {
        code: "etat",
        header: "État",
    },
    ExportColumn {
        code: "decision",
        header: "Décision",
    },
    ExportColumn {
        code: "motivation",
        header: "Motivation",
    },
    ExportColumn {
        code: "decide_le",
        header: "Décidé le",
    },
    ExportColumn {
        code: "date_decret",
        header: "Date du décret",
    },
    ExportColumn {
        code: "reference_jo",
        header: "Référence JO",
    },
];

/// Exporting the board of the campaign whose bureau is `bureau`: `decision:export` and the
/// reading itself there.
fn may_export(access: &Access, bureau: napoleon_kernel::OrgUnitId) -> ActionResult<()> {
    access.require::<perm::DecisionRead>(Scope::Unit(bureau))?;
    access.require::<perm::DecisionExport>(Scope::Unit(bureau))?;
    Ok(())
}

/// The campaign kept by a job.
fn campaign_of(filter: &serde_json::Value) -> ActionResult<CampaignId> {
    filter
        .get("campagne")
        .and_then(|c| c.as_str())
        .and_then(|c| c.parse::<CampaignId>().ok())
        .ok_or_else(|| {
            ActionError::Invalid(vec![FieldError::new(
                "campagne",
                "La demande d'export est illisible.",
            )])
        })
}

/// The board as an export's source: one batch, as the page reads it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BoardSource;

#[async_trait]
impl ExportSource for BoardSource {
    fn columns(&self) -> &'static [ExportColumn] {
        COLUMNS
    }

    fn sheet(&self) -> &'static str {
        "Décisions"
    }

    async fn batch(
        &self,
        tx: &mut TenantConn,
        access: &Access,
        filter: &serde_json::Value,
        _after: Option<&str>,
    ) -> ActionResult<ExportBatch> {
        let id = campaign_of(filter)?;
        // The right first: nothing of the board is read for an agent who may not export it.
        let campaign = contracts::campaign_by_id(&*tx, id).await?;
        may_export(access, campaign.bureau_unit_id)?;
        let board = read_board(tx, access, id).await?;
        let mut batch = ExportBatch::default();
        for row in &board.rows {
            batch.subjects.push(ReadSubject::Dossier(row.dossier.id));
            // A published row carries its award: its laureate is read too.
            if let Some(award) = &row.award {
                batch
                    .subjects
                    .push(ReadSubject::Laureate(award.laureate_id));
            }
            let who = &row.candidate;
            let born = ExportCell::day_or_text(who.birth_date(), &who.birth_date);
            batch.rows.push(vec![
                ExportCell::text(row.rank.to_string()),
                ExportCell::text(row.dossier.number.clone().unwrap_or_default()),
                ExportCell::text(who.birth_name.trim()),
                ExportCell::text(who.usual_name.trim()),
                ExportCell::text(who.given_names.trim()),
                ExportCell::text(who.sex.trim()),
                born,
                ExportCell::text(row.grade_label.clone()),
                ExportCell::text(row.state.map(|s| s.label_fr()).unwrap_or_default()),
                ExportCell::text(row.decision.map(|d| d.label_fr()).unwrap_or_default()),
                ExportCell::text(row.motivation.clone().unwrap_or_default()),
                ExportCell::date(row.decided_at.map(napoleon_kernel::paris_date)),
                ExportCell::date(row.award.as_ref().map(|a| a.decree_date)),
                ExportCell::text(
                    row.award
                        .as_ref()
                        .map(|a| a.jo_reference.clone())
                        .unwrap_or_default(),
                ),
            ]);
        }
        Ok(batch)
    }
}

/// The export page of campaign `id`'s board (`decision:export` at its bureau): the campaign's
/// name.
pub(crate) async fn export_page(
    ctx: &WebContext,
    identity: &Identity,
    id: CampaignId,
) -> ActionResult<String> {
    let (tx, access) = ctx.begin(identity).await?;
    let campaign = contracts::campaign_by_id(&tx, id).await;
    tx.rollback().await;
    let campaign = campaign?;
    may_export(&access, campaign.bureau_unit_id)?;
    Ok(campaign.label)
}

/// Starts the export of campaign `id`'s board as `choice`; the job's id.
pub(crate) async fn start_export(
    ctx: &WebContext,
    identity: &Identity,
    id: CampaignId,
    choice: &ExportChoice,
) -> ActionResult<JobId> {
    export::start(ctx, identity, &export_kind()?, async |tx, access| {
        let campaign = contracts::campaign_by_id(&*tx, id).await?;
        may_export(access, campaign.bureau_unit_id)?;
        // One export per campaign's board at a time (another campaign's is another list).
        Ok(ExportRequest::new(
            identity,
            &list_name(&campaign),
            choice,
            json!({"campagne": id.to_string()}),
        ))
    })
    .await
}

/// The agent's export job `id` (anyone else's: 404), while they may still export its
/// campaign's board; and the campaign.
pub(crate) async fn export_job(
    ctx: &WebContext,
    identity: &Identity,
    id: JobId,
) -> ActionResult<(ExportJob, CampaignId)> {
    let found = export::job(ctx, identity, &export_kind()?, id, |access, _| {
        access.require::<perm::DecisionExport>(Scope::Anywhere)
    })
    .await?;
    // Then the right at the campaign's bureau, as its board asks it.
    let campaign = campaign_of(&found.request.filter).map_err(|_| ActionError::NotFound)?;
    let (tx, access) = ctx.begin(identity).await?;
    let bureau = contracts::campaign_by_id(&tx, campaign).await;
    tx.rollback().await;
    may_export(&access, bureau?.bureau_unit_id)?;
    Ok((found, campaign))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_has_the_jobs_shape() {
        assert!(export_kind().is_ok());
    }

    #[test]
    fn the_campaign_kept_in_the_job_reads_back_and_anything_else_is_refused() {
        let id = CampaignId::new();
        assert!(matches!(
            campaign_of(&json!({"campagne": id.to_string()})),
            Ok(back) if back == id
        ));
        assert!(campaign_of(&json!({"campagne": 3})).is_err());
        assert!(campaign_of(&json!({})).is_err());
    }
}
