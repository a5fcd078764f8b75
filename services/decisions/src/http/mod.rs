//! Decisions' pages, one file per page group: the campaigns whose list the agent may read,
//! and each campaign's board (ranking, decisions, counters, closing, publication, réceptions)
//! with its forms. Handlers are thin: extract, call the use case, redirect (303) back to the
//! board; a refusal for invalid input (422) or for the list's state (409) shows the board again
//! with the typed values kept.

mod board;
mod campaigns;
pub(crate) mod exports;
pub(crate) mod imports;

use napoleon_kernel::CampaignId;

pub(crate) use board::{board, close, decide, publish, rank, receive};
pub(crate) use campaigns::campaigns;

/// A campaign's board, where every form of the board redirects back to.
fn board_href(campaign: CampaignId) -> String {
    format!("/decisions/campagnes/{campaign}")
}
