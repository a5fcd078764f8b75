//! Intake's pages: campaigns, the agent's dossiers, the multi-step nomination form, the
//! receipt and the proposals from the radar, one file per page group. Handlers are thin:
//! extract, call one use case, render or redirect.

mod campaigns;
mod dossiers;

mod pieces;
mod proposal_imports;
mod step;
mod step_view;

use serde::Serialize;

pub(crate) use campaigns::{campaigns, create_campaign, new_campaign};
pub(crate) use dossiers::{create_dossier, dossiers, propose, receipt};
pub(crate) use pieces::{
    archive, download, establish_memoire, memoire, parse_upload, recepisse_pdf, remove, upload,
};
pub(crate) use proposal_imports::{
    import_checked, imports, report as import_report, report_csv as import_report_csv,
    send as send_import, template as import_template,
};
pub(crate) use step::{save_step, step};

/// Shown when a form names no campaign, or one that is not offered.
const CHOOSE_CAMPAIGN: &str = "Campagne : choisissez une campagne ouverte dans la liste.";

/// One option of a list.
#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// The notices a page shows after a redirect (`?cree=1`, `?enregistre=1`).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct Notice {
    cree: Option<String>,
    enregistre: Option<String>,
    /// How many files the last upload attached.
    joint: Option<String>,
    /// A piece was removed.
    retire: Option<String>,
}

impl Notice {
    /// What the « Pièces jointes » step says after an upload or a removal.
    fn pieces_message(&self) -> Option<String> {
        let attached = self.joint.as_deref().and_then(|n| n.parse::<usize>().ok());
        match (attached, &self.retire) {
            (Some(1), _) => Some(
                "Pièce jointe. Elle est en attente d'analyse antivirus : elle pourra être \
                 ouverte dès qu'elle aura été trouvée saine."
                    .to_owned(),
            ),
            (Some(n), _) => Some(format!(
                "{n} pièces jointes. Elles sont en attente d'analyse antivirus : elles pourront \
                 être ouvertes dès qu'elles auront été trouvées saines."
            )),
            (None, Some(_)) => {
                Some("Pièce retirée du dossier (elle reste dans son historique).".to_owned())
            }
            (None, None) => None,
        }
    }
}
