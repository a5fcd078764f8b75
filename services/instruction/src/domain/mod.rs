//! Instruction's use cases, one file per group: the queue of a unit with its tabs, and the
//! dossier file with the moves instruction owns in the state machine (take, opinion,
//! transmit, return). Each checks the permission at the dossier's current level (the unit
//! where it sits), the state, and the four-eyes rule, then moves the dossier through
//! `intake.move_dossier`, records, journals and commits.

pub(crate) mod bulk;
mod duplicates;
pub(crate) mod exports;
mod moves;
mod queue;
pub(crate) mod search;

use napoleon_db::TenantConn;
use napoleon_kernel::{AgentId, DossierId, OrgUnitId};
use napoleon_web::ActionResult;

use crate::store::{self, Opinion};

pub(crate) use duplicates::{ReviewForm, ReviewVerdict, review as review_duplicate};
pub(crate) use moves::{
    DossierFile, OpinionInput, OpinionVerdict, file, give_back, opine, take, transmit,
};
pub(crate) use queue::{Paging, Tab, queue};
pub(crate) use search::{
    SearchQuery, ViewForm, delete_view, save_view, search, searchable_states, views,
};

/// Who gave the latest of `opinions` at `level`: the agent the four-eyes rule keeps from
/// validating that level. The queue, the page and the transmission must agree on it.
fn opinion_author_at(opinions: &[Opinion], level: OrgUnitId) -> Option<AgentId> {
    opinions
        .iter()
        .rev()
        .find(|o| o.level == level)
        .map(|o| o.agent)
}

/// [`opinion_author_at`] for a dossier whose opinions are not loaded yet.
async fn last_opinion_author(
    tx: &mut TenantConn,
    dossier: DossierId,
    level: OrgUnitId,
) -> ActionResult<Option<AgentId>> {
    let opinions = store::opinions(tx, dossier).await?;
    Ok(opinion_author_at(&opinions, level))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opinion(level: OrgUnitId, agent: AgentId) -> Opinion {
        Opinion {
            level,
            agent,
            verdict: OpinionVerdict::Favorable,
            motivation: String::new(),
            at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_author_is_the_latest_opinion_at_that_level() {
        let (here, elsewhere, nowhere) = (OrgUnitId::new(), OrgUnitId::new(), OrgUnitId::new());
        let (first, second, third) = (AgentId::new(), AgentId::new(), AgentId::new());
        let opinions = [
            opinion(here, first),
            opinion(here, second),
            opinion(elsewhere, third),
        ];
        assert_eq!(opinion_author_at(&opinions, here), Some(second));
        assert_eq!(opinion_author_at(&opinions, elsewhere), Some(third));
        assert_eq!(opinion_author_at(&opinions, nowhere), None);
        assert_eq!(opinion_author_at(&[], here), None);
    }
}
