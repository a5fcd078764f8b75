//! Reading the lists: the campaigns whose bureau the agent may read the decisions of, the
//! bureau's board for one campaign, and the campaign of a dossier or an award (to show its
//! board again after a refusal). Nothing here writes.

use chrono::{DateTime, Utc};
use napoleon_authz::{Access, Scope, perm};
use napoleon_db::contracts::{self, CampaignView, DossierView};
use napoleon_db::readlog::{ReadChannel, ReadSubject};
use napoleon_db::{TenantConn, catalogue};
use napoleon_identity::Identity;
use napoleon_kernel::{AgentId, AwardId, CampaignId, DossierId, OrgUnitId};
use napoleon_rules::dossier::{Decision, DossierEvent, DossierState};
use napoleon_rules::{Catalogue, DistinctionCode, GradeCode};
use napoleon_web::{ActionError, ActionResult, WebContext};

use super::{Candidate, LIST_STATES, ListStatus, Loaded, campaign_of, load};
use crate::store::{self, Award};
use crate::tally::{self, GradeCount, WomenShare};

/// What the agent may do on the campaign's list (at its bureau).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Rights {
    pub(crate) rank: bool,
    pub(crate) decide: bool,
    pub(crate) publish: bool,
    pub(crate) receive: bool,
    /// Export the board (`decision:export`).
    pub(crate) export: bool,
}

/// One dossier of the list (its `Debug` hides the motivation and the candidate).
#[derive(Clone)]
pub(crate) struct BoardRow {
    /// 1 for the first.
    pub(crate) rank: i32,
    pub(crate) dossier: DossierView,
    pub(crate) candidate: Candidate,
    /// The proposed grade's label.
    pub(crate) grade_label: String,
    pub(crate) state: Option<DossierState>,
    pub(crate) decision: Option<Decision>,
    pub(crate) motivation: Option<String>,
    pub(crate) decided_by: Option<AgentId>,
    pub(crate) decided_at: Option<DateTime<Utc>>,
    /// Once published: its award in the registry.
    pub(crate) award: Option<Award>,
}

impl std::fmt::Debug for BoardRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoardRow")
            .field("rank", &self.rank)
            .field("dossier", &self.dossier.id)
            .field("state", &self.state)
            .field("decision", &self.decision)
            .finish_non_exhaustive()
    }
}

impl BoardRow {
    /// Retained, or already published.
    pub(crate) fn retained(&self) -> bool {
        matches!(
            self.state,
            Some(DossierState::Retained | DossierState::Published)
        )
    }

    /// The bureau may (still) decide on it, while the list is open.
    pub(crate) fn decidable(&self) -> bool {
        self.state
            .is_some_and(|s| s.apply(DossierEvent::Decide(Decision::Retained)).is_ok())
    }
}

/// The bureau's board for one campaign.
#[derive(Debug, Clone)]
pub(crate) struct Board {
    pub(crate) campaign: CampaignView,
    pub(crate) rows: Vec<BoardRow>,
    pub(crate) list: ListStatus,
    /// Contingent and retained per grade.
    pub(crate) grades: Vec<GradeCount>,
    pub(crate) women: WomenShare,
    /// Transmitted dossiers still without a decision.
    pub(crate) undecided: u32,
    pub(crate) rights: Rights,
}

/// The grades of the campaign's distinction, lowest first, with their labels (none when the
/// tenant's catalogue does not parse: the board then shows codes).
async fn grade_labels(
    tx: &mut TenantConn,
    distinction: &DistinctionCode,
) -> ActionResult<Vec<(GradeCode, String)>> {
    let files = catalogue::load(tx).await?;
    let catalogue = match Catalogue::for_tenant(&files) {
        Ok(c) => c,
        Err(error) => {
            tracing::warn!(%error, "tenant catalogue does not parse; the board shows grade codes");
            return Ok(Vec::new());
        }
    };
    Ok(catalogue
        .distinction(distinction)
        .map(|d| {
            d.grades
                .iter()
                .map(|g| (g.code.clone(), g.label.clone()))
                .collect()
        })
        .unwrap_or_default())
}

fn rights(access: &Access, bureau: OrgUnitId) -> ActionResult<Rights> {
    let at = Scope::Unit(bureau);
    Ok(Rights {
        rank: access.may::<perm::DecisionRank>(at)?,
        decide: access.may::<perm::DecisionDecide>(at)?,
        publish: access.may::<perm::DecisionPublish>(at)?,
        receive: access.may::<perm::DecisionReceive>(at)?,
        export: access.may::<perm::DecisionExport>(at)?,
    })
}

/// The board of a campaign (`decision:read` at its bureau). Reading writes nothing: dossiers
/// the bureau has not ranked yet follow the ranked ones, in order of arrival.
pub(crate) async fn board(
    ctx: &WebContext,
    identity: &Identity,
    id: CampaignId,
    channel: ReadChannel,
) -> ActionResult<Board> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let board = read_board(&mut tx, &access, id).await?;
    let shown: Vec<ReadSubject> = board
        .rows
        .iter()
        .map(|r| ReadSubject::Dossier(r.dossier.id))
        .collect();
    napoleon_web::end_reads(tx, identity, &shown, channel).await?;
    Ok(board)
}

/// The board of campaign `id` read in `tx` with `access` (`decision:read` at its bureau);
/// the caller logs its dossiers as read (a page, or an export's batch).
pub(crate) async fn read_board(
    tx: &mut TenantConn,
    access: &Access,
    id: CampaignId,
) -> ActionResult<Board> {
    let campaign = contracts::campaign_by_id(&*tx, id).await?;
    let bureau = campaign.bureau_unit_id;
    access.require::<perm::DecisionRead>(Scope::Unit(bureau))?;
    let rights = rights(access, bureau)?;
    let loaded = load(tx, campaign.id).await?;
    let list = ListStatus::of(store::list(tx, campaign.id).await?.as_ref());
    let awards = store::awards_of(tx, &loaded.order()).await?;
    let labels = grade_labels(tx, &campaign.distinction).await?;
    let Loaded {
        dossiers,
        mut rankings,
    } = loaded;
    let rows: Vec<BoardRow> = dossiers
        .into_iter()
        .enumerate()
        .map(|(position, dossier)| {
            let ranking = rankings.remove(&dossier.id);
            let award = awards
                .iter()
                .find(|a| a.dossier_id == Some(dossier.id))
                .cloned();
            BoardRow {
                rank: tally::rank_of(position),
                candidate: Candidate::of_content(dossier.content.expose()),
                grade_label: labels
                    .iter()
                    .find(|(code, _)| *code == dossier.target_grade)
                    .map_or_else(|| dossier.target_grade.to_string(), |(_, l)| l.clone()),
                state: Some(dossier.state),
                decision: ranking.as_ref().and_then(|r| r.decision),
                motivation: ranking.as_ref().and_then(|r| r.motivation.clone()),
                decided_by: ranking.as_ref().and_then(|r| r.decided_by),
                decided_at: ranking.as_ref().and_then(|r| r.decided_at),
                award,
                dossier,
            }
        })
        .collect();
    let per_grade: Vec<(&str, bool)> = rows
        .iter()
        .map(|r| (r.dossier.target_grade.as_str(), r.retained()))
        .collect();
    let labels: Vec<(String, String)> = labels
        .into_iter()
        .map(|(code, label)| (code.as_str().to_owned(), label))
        .collect();
    let grades = tally::grade_counts(&labels, &campaign.contingents, &per_grade);
    let women = WomenShare::of(
        rows.iter()
            .filter(|r| r.retained())
            .map(|r| r.candidate.sex.as_str()),
    );
    let undecided = tally::count(
        rows.iter()
            .filter(|r| r.state == Some(DossierState::Transmitted)),
    );
    Ok(Board {
        campaign,
        rows,
        list,
        grades,
        women,
        undecided,
        rights,
    })
}

/// A campaign the agent may read the decisions of, with its counts.
#[derive(Debug, Clone)]
pub(crate) struct CampaignSummary {
    pub(crate) campaign: CampaignView,
    /// Dossiers on the list (transmitted to the ministry, decided or published).
    pub(crate) on_list: u32,
    /// Transmitted, waiting for a decision.
    pub(crate) undecided: u32,
    /// Retained (or published).
    pub(crate) retained: u32,
    pub(crate) list: ListStatus,
}

/// The campaigns whose bureau the agent may read the decisions of (`decision:read`).
pub(crate) async fn campaigns(
    ctx: &WebContext,
    identity: &Identity,
) -> ActionResult<Vec<CampaignSummary>> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::DecisionRead>(Scope::Anywhere)?;
    let mut readable = Vec::new();
    for campaign in contracts::campaigns(&mut tx).await? {
        if access.may::<perm::DecisionRead>(Scope::Unit(campaign.bureau_unit_id))? {
            readable.push(campaign);
        }
    }
    let counts = store::campaign_state_counts(&mut tx, &LIST_STATES).await?;
    let lists = store::lists(&mut tx).await?;
    tx.rollback().await;
    let n = |campaign: CampaignId, states: &[DossierState]| -> u32 {
        let total: i64 = counts
            .iter()
            .filter(|(c, s, _)| *c == campaign && states.contains(s))
            .map(|(_, _, n)| *n)
            .sum();
        u32::try_from(total).unwrap_or(u32::MAX)
    };
    Ok(readable
        .into_iter()
        .map(|campaign| CampaignSummary {
            on_list: n(campaign.id, &LIST_STATES),
            undecided: n(campaign.id, &[DossierState::Transmitted]),
            retained: n(
                campaign.id,
                &[DossierState::Retained, DossierState::Published],
            ),
            list: ListStatus::of(lists.iter().find(|l| l.campaign_id == campaign.id)),
            campaign,
        })
        .collect())
}

/// The campaign of a dossier of the tenant (to show its board again after a refusal).
pub(crate) async fn campaign_of_dossier(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
) -> ActionResult<CampaignId> {
    let (tx, _access) = ctx.begin(identity).await?;
    let dossier = contracts::dossier_by_id(&tx, id).await?;
    tx.rollback().await;
    // A draft is its authors' alone: to the bureau it does not exist yet.
    if dossier.is_draft() {
        return Err(ActionError::NotFound);
    }
    Ok(dossier.campaign_id)
}

/// The campaign an award came from, when it came through a dossier of a campaign.
pub(crate) async fn campaign_of_award(
    ctx: &WebContext,
    identity: &Identity,
    id: AwardId,
) -> ActionResult<Option<CampaignId>> {
    let (mut tx, _access) = ctx.begin(identity).await?;
    let award = store::award_for_update(&mut tx, id).await?;
    let campaign = campaign_of(&mut tx, &award).await?.map(|c| c.id);
    tx.rollback().await;
    Ok(campaign)
}
