//! Intake's pages: campaigns, the agent's dossiers, the multi-step nomination form, the
//! receipt and the proposals from the radar, one file per page group. Handlers are thin:
//! extract, call one use case, render or redirect.

mod campaigns;
mod dossiers;
mod step;
mod step_view;

use serde::Serialize;

pub(crate) use campaigns::{campaigns, create_campaign, new_campaign};
pub(crate) use dossiers::{create_dossier, dossiers, propose, receipt};
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
}
