//! Decisions' use cases: the bureau's board for a campaign, ranking, deciding, closing the
//! list, recording the publication (which fills the laureate registry) and each laureate's
//! réception.
//!
//! Each one opens the request's tenant transaction, checks the permission on the campaign's
//! bureau unit, takes the campaign's list lock (changes only), checks the state and the input,
//! changes, journals, and commits; any refusal rolls back with nothing written.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use napoleon_authz::{Access, Authorized, Perm, Scope, perm};
use napoleon_db::contracts::{self, CampaignView, DossierView};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_db::{TenantConn, catalogue};
use napoleon_identity::Identity;
use napoleon_kernel::{AgentId, AwardId, CampaignId, DossierId, LaureateId, OrgUnitId};
use napoleon_rules::dossier::{Decision, DossierEvent, DossierState};
use napoleon_rules::{Catalogue, DistinctionCode, GradeCode, fr_date};
use napoleon_web::{ActionError, ActionResult, FieldError, WebContext};
use serde_json::json;

use crate::store::{self, Award, List, Ranking};
use crate::tally::{self, Direction, GradeCount, Immovable, WomenShare};

/// The states of a dossier on the bureau's list: transmitted, decided, published.
pub(crate) const LIST_STATES: [DossierState; 5] = [
    DossierState::Transmitted,
    DossierState::Retained,
    DossierState::Deferred,
    DossierState::Refused,
    DossierState::Published,
];

/// The longest motivation kept.
const MOTIVATION_MAX: usize = 5000;
/// The longest Journal officiel reference kept.
const JO_REFERENCE_MAX: usize = 200;

pub(crate) use napoleon_rules::content::Candidate;

/// How a candidate without a name shows on the board.
pub(crate) const UNNAMED: &str = "(candidat sans nom)";

/// The candidate object as the registry keeps it (`registry.laureates.identity`): exactly what
/// the dossier holds, so readers of `registry.awards_v1` find intake's shape.
fn registry_identity(content: &serde_json::Value) -> serde_json::Value {
    content
        .get("candidate")
        .filter(|c| c.is_object())
        .cloned()
        .unwrap_or_else(|| json!({}))
}

/// Where the campaign's list stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ListStatus {
    /// The bureau ranks and decides.
    Open,
    /// Frozen, waiting for the decree.
    Closed {
        /// When it was closed.
        closed_at: DateTime<Utc>,
    },
    /// The decree is published: the retained dossiers are awards.
    Published {
        /// When it was closed.
        closed_at: DateTime<Utc>,
        /// The decree's date.
        decree_date: NaiveDate,
        /// « JORF n° 0163 du 15 juillet 2027 ».
        jo_reference: String,
        /// When the publication was recorded.
        published_at: DateTime<Utc>,
    },
}

impl ListStatus {
    fn of(list: Option<&List>) -> Self {
        match list {
            None => Self::Open,
            Some(l) => match (l.decree_date, &l.jo_reference, l.published_at) {
                (Some(decree_date), Some(jo), Some(published_at)) => Self::Published {
                    closed_at: l.closed_at,
                    decree_date,
                    jo_reference: jo.clone(),
                    published_at,
                },
                _ => Self::Closed {
                    closed_at: l.closed_at,
                },
            },
        }
    }

    /// `open`, `closed` or `published`.
    pub(crate) const fn as_str(&self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed { .. } => "closed",
            Self::Published { .. } => "published",
        }
    }

    pub(crate) const fn is_open(&self) -> bool {
        matches!(self, Self::Open)
    }

    pub(crate) const fn closed_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Open => None,
            Self::Closed { closed_at } | Self::Published { closed_at, .. } => Some(*closed_at),
        }
    }

    /// « Liste ouverte », « Liste close le 20/07/2027 »…
    pub(crate) fn label_fr(&self) -> String {
        match self {
            Self::Open => "Liste ouverte : le bureau classe et décide".to_owned(),
            Self::Closed { closed_at } => format!(
                "Liste close le {} : en attente de la publication du décret",
                fr_date(closed_at.date_naive())
            ),
            Self::Published {
                decree_date,
                jo_reference,
                ..
            } => format!(
                "Liste publiée : décret du {}, {jo_reference}",
                fr_date(*decree_date)
            ),
        }
    }
}

/// What the agent may do on the campaign's list (at its bureau).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Rights {
    pub(crate) rank: bool,
    pub(crate) decide: bool,
    pub(crate) publish: bool,
    pub(crate) receive: bool,
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

/// The campaign's list: its dossiers in order, and their stored rankings.
struct Loaded {
    dossiers: Vec<DossierView>,
    rankings: HashMap<DossierId, Ranking>,
}

impl Loaded {
    fn order(&self) -> Vec<DossierId> {
        self.dossiers.iter().map(|d| d.id).collect()
    }
}

async fn load(tx: &mut TenantConn, campaign: CampaignId) -> ActionResult<Loaded> {
    let mut dossiers = contracts::campaign_dossiers(tx, campaign, &LIST_STATES).await?;
    // Order of arrival, made total (two submissions in the same microsecond).
    dossiers
        .sort_by(|a, b| (a.submitted_at, &a.number, a.id).cmp(&(b.submitted_at, &b.number, b.id)));
    let rankings: HashMap<DossierId, Ranking> = store::rankings(tx, campaign)
        .await?
        .into_iter()
        .map(|r| (r.dossier_id, r))
        .collect();
    let ranks: HashMap<DossierId, i32> = rankings.iter().map(|(id, r)| (*id, r.rank)).collect();
    let arrival: Vec<DossierId> = dossiers.iter().map(|d| d.id).collect();
    let mut by_id: HashMap<DossierId, DossierView> =
        dossiers.into_iter().map(|d| (d.id, d)).collect();
    let dossiers = tally::order(&arrival, &ranks)
        .into_iter()
        .filter_map(|id| by_id.remove(&id))
        .collect();
    Ok(Loaded { dossiers, rankings })
}

/// Stores `order` as the ranks 1, 2, 3… (only the rows that differ are written).
async fn store_order(
    tx: &mut TenantConn,
    campaign: CampaignId,
    order: &[DossierId],
    rankings: &HashMap<DossierId, Ranking>,
) -> ActionResult<()> {
    for (position, id) in order.iter().enumerate() {
        let rank = tally::rank_of(position);
        match rankings.get(id) {
            Some(r) if r.rank == rank => {}
            Some(_) => store::set_rank(tx, *id, rank).await?,
            None => store::insert_ranking(tx, *id, campaign, rank).await?,
        }
    }
    Ok(())
}

fn rights(access: &Access, bureau: OrgUnitId) -> ActionResult<Rights> {
    let at = Scope::Unit(bureau);
    Ok(Rights {
        rank: access.may::<perm::DecisionRank>(at)?,
        decide: access.may::<perm::DecisionDecide>(at)?,
        publish: access.may::<perm::DecisionPublish>(at)?,
        receive: access.may::<perm::DecisionReceive>(at)?,
    })
}

/// The board of a campaign (`decision:read` at its bureau). Reading writes nothing: dossiers
/// the bureau has not ranked yet follow the ranked ones, in order of arrival.
pub(crate) async fn board(
    ctx: &WebContext,
    identity: &Identity,
    id: CampaignId,
) -> ActionResult<Board> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let campaign = contracts::campaign_by_id(&mut tx, id).await?;
    let bureau = campaign.bureau_unit_id;
    access.require::<perm::DecisionRead>(Scope::Unit(bureau))?;
    let rights = rights(&access, bureau)?;
    let loaded = load(&mut tx, campaign.id).await?;
    let list = ListStatus::of(store::list(&mut tx, campaign.id).await?.as_ref());
    let awards = store::awards_of(&mut tx, &loaded.order()).await?;
    let labels = grade_labels(&mut tx, &campaign.distinction).await?;
    tx.rollback().await;
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
    let (mut tx, _access) = ctx.begin(identity).await?;
    let dossier = contracts::dossier_by_id(&mut tx, id).await?;
    tx.rollback().await;
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

async fn campaign_of(tx: &mut TenantConn, award: &Award) -> ActionResult<Option<CampaignView>> {
    let Some(dossier) = award.dossier_id else {
        return Ok(None);
    };
    let dossier = match contracts::dossier_by_id(tx, dossier).await {
        Ok(d) => d,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    match contracts::campaign_by_id(tx, dossier.campaign_id).await {
        Ok(c) => Ok(Some(c)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A dossier with its campaign, and the proof that the agent may do `P` at the campaign's
/// bureau.
async fn dossier_at_bureau<P: Perm>(
    tx: &mut TenantConn,
    access: &Access,
    id: DossierId,
) -> ActionResult<(DossierView, CampaignView, Authorized<P>)> {
    let dossier = contracts::dossier_by_id(tx, id).await?;
    let campaign = contracts::campaign_by_id(tx, dossier.campaign_id).await?;
    let proof = access.authorize::<P>(Scope::Unit(campaign.bureau_unit_id))?;
    Ok((dossier, campaign, proof))
}

/// Refuses when the campaign's list is closed (call with the campaign's lock held).
async fn ensure_open(tx: &mut TenantConn, campaign: CampaignId) -> ActionResult<()> {
    match store::list(tx, campaign).await? {
        None => Ok(()),
        Some(list) => Err(ActionError::conflict(
            "list.closed",
            format!(
                "La liste de cette campagne est close depuis le {} : les rangs et les décisions ne peuvent plus changer.",
                fr_date(list.closed_at.date_naive())
            ),
        )),
    }
}

fn not_on_list(dossier: &DossierView) -> ActionError {
    ActionError::conflict(
        "dossier.not_on_list",
        format!(
            "Ce dossier est « {} » : il n'est pas sur la liste du bureau, qui ne reçoit que les dossiers transmis au ministère.",
            dossier.state.label_fr()
        ),
    )
}

/// A rank changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ranked {
    pub(crate) campaign_id: CampaignId,
    pub(crate) dossier_id: DossierId,
    /// Its new rank (1 for the first).
    pub(crate) rank: i32,
    /// The dossier it swapped places with.
    pub(crate) swapped_with: DossierId,
}

/// Moves a dossier one place up or down the list (`decision:rank`), swapping it with its
/// neighbour.
pub(crate) async fn rank(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    direction: &str,
) -> ActionResult<Ranked> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let (dossier, campaign, rank) =
        dossier_at_bureau::<perm::DecisionRank>(&mut tx, &access, id).await?;
    store::lock_campaign(&mut tx, campaign.id).await?;
    ensure_open(&mut tx, campaign.id).await?;
    let Some(direction) = Direction::parse(direction) else {
        return Err(ActionError::Invalid(vec![FieldError::new(
            "direction",
            "Sens : « up » pour monter le dossier, « down » pour le descendre.",
        )]));
    };
    let loaded = load(&mut tx, campaign.id).await?;
    let mut order = loaded.order();
    let before = order.iter().position(|d| *d == id);
    let (position, neighbour) = match tally::swap(&mut order, id, direction) {
        Ok(moved) => moved,
        Err(Immovable::Absent) => return Err(not_on_list(&dossier)),
        Err(Immovable::AtEdge) => {
            return Err(ActionError::conflict(
                "rank.edge",
                match direction {
                    Direction::Up => "Ce dossier est déjà en tête de la liste.",
                    Direction::Down => "Ce dossier est déjà en fin de liste.",
                },
            ));
        }
    };
    store_order(&mut tx, campaign.id, &order, &loaded.rankings).await?;
    let by = rank.agent();
    let rank = tally::rank_of(position);
    journal::append(
        &mut tx,
        Actor::Agent(by),
        Subject::Dossier(id),
        EventKind::DossierRanked,
        json!({"campaign": campaign.id, "rank": rank, "previous_rank": before.map(tally::rank_of),
               "direction": direction.as_str(), "swapped_with": neighbour}),
    )
    .await?;
    tx.commit().await?;
    Ok(Ranked {
        campaign_id: campaign.id,
        dossier_id: id,
        rank,
        swapped_with: neighbour,
    })
}

/// A decision recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decided {
    pub(crate) campaign_id: CampaignId,
    pub(crate) dossier_id: DossierId,
    pub(crate) decision: Decision,
    /// The dossier's new state.
    pub(crate) state: DossierState,
}

/// Checks a decision as typed.
fn decision_input(decision: &str, motivation: &str) -> Result<(Decision, String), Vec<FieldError>> {
    let mut errors = Vec::new();
    let decision = Decision::parse(decision.trim());
    if decision.is_none() {
        errors.push(FieldError::new(
            "decision",
            "Décision : choisissez « Retenu », « Ajourné » ou « Refusé ».",
        ));
    }
    let motivation = motivation.trim();
    if motivation.is_empty() {
        errors.push(FieldError::new(
            "motivation",
            "Motivation : exposez les motifs de la décision.",
        ));
    } else if motivation.chars().count() > MOTIVATION_MAX {
        errors.push(FieldError::new(
            "motivation",
            format!("Motivation : {MOTIVATION_MAX} caractères au plus."),
        ));
    }
    match decision {
        Some(d) if errors.is_empty() => Ok((d, motivation.to_owned())),
        _ => Err(errors),
    }
}

/// Decides on a transmitted (or already decided) dossier while the list is open
/// (`decision:decide`): retained, deferred or refused, with a motivation.
pub(crate) async fn decide(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    decision: &str,
    motivation: &str,
) -> ActionResult<Decided> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let (dossier, campaign, decide) =
        dossier_at_bureau::<perm::DecisionDecide>(&mut tx, &access, id).await?;
    store::lock_campaign(&mut tx, campaign.id).await?;
    ensure_open(&mut tx, campaign.id).await?;
    // Read again under the list's lock: another decision may have just been committed.
    let dossier = contracts::dossier_by_id(&mut tx, dossier.id).await?;
    let from = Some(dossier.state)
        .filter(|s| s.apply(DossierEvent::Decide(Decision::Retained)).is_ok())
        .ok_or_else(|| {
            ActionError::conflict(
                "dossier.wrong_state",
                format!(
                    "Ce dossier est « {} » : le bureau ne décide que sur les dossiers transmis au ministère, tant que la liste est ouverte.",
                    dossier.state.label_fr()
                ),
            )
        })?;
    let (decision, motivation) =
        decision_input(decision, motivation).map_err(ActionError::Invalid)?;
    let event = DossierEvent::Decide(decision);
    let to = from.apply(event).map_err(|_| {
        ActionError::conflict(
            "dossier.wrong_state",
            "Cette décision n'est pas possible dans l'état du dossier.",
        )
    })?;
    if !contracts::move_dossier(&mut tx, id, &[from], to, None).await? {
        return Err(ActionError::conflict(
            "dossier.wrong_state",
            "Le dossier vient de changer d'état : rechargez la page et recommencez.",
        ));
    }
    // The decided dossier keeps its place: the list's order is stored as it is shown.
    let loaded = load(&mut tx, campaign.id).await?;
    store_order(&mut tx, campaign.id, &loaded.order(), &loaded.rankings).await?;
    store::set_decision(&mut tx, &decide, id, decision, &motivation).await?;
    journal::append(
        &mut tx,
        Actor::Agent(decide.agent()),
        Subject::Dossier(id),
        EventKind::DossierDecided,
        json!({"campaign": campaign.id, "decision": decision.as_str(), "motivation": motivation,
               "previous_state": from.as_str()}),
    )
    .await?;
    tx.commit().await?;
    Ok(Decided {
        campaign_id: campaign.id,
        dossier_id: id,
        decision,
        state: to,
    })
}

/// A list closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Closed {
    pub(crate) campaign_id: CampaignId,
    pub(crate) closed_at: DateTime<Utc>,
    pub(crate) retained: u32,
    pub(crate) deferred: u32,
    pub(crate) refused: u32,
}

/// Closes (freezes) the campaign's list (`decision:decide`): every transmitted dossier must
/// have its decision.
pub(crate) async fn close(
    ctx: &WebContext,
    identity: &Identity,
    id: CampaignId,
) -> ActionResult<Closed> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let campaign = contracts::campaign_by_id(&mut tx, id).await?;
    let decide = access.authorize::<perm::DecisionDecide>(Scope::Unit(campaign.bureau_unit_id))?;
    store::lock_campaign(&mut tx, campaign.id).await?;
    if let Some(list) = store::list(&mut tx, campaign.id).await? {
        return Err(ActionError::conflict(
            "list.closed",
            format!(
                "La liste de cette campagne est déjà close (le {}).",
                fr_date(list.closed_at.date_naive())
            ),
        ));
    }
    let loaded = load(&mut tx, campaign.id).await?;
    let count =
        |state: DossierState| tally::count(loaded.dossiers.iter().filter(|d| d.state == state));
    let undecided = count(DossierState::Transmitted);
    if undecided > 0 {
        return Err(ActionError::conflict(
            "list.undecided",
            format!(
                "{} sans décision : décidez de chaque dossier transmis avant de clôturer la liste.",
                if undecided > 1 {
                    format!("{undecided} dossiers transmis restent")
                } else {
                    "1 dossier transmis reste".to_owned()
                }
            ),
        ));
    }
    let (retained, deferred, refused) = (
        count(DossierState::Retained),
        count(DossierState::Deferred),
        count(DossierState::Refused),
    );
    // The list is frozen as shown: its order is stored too.
    store_order(&mut tx, campaign.id, &loaded.order(), &loaded.rankings).await?;
    let closed_at = store::insert_list(&mut tx, &decide, campaign.id).await?;
    journal::append(
        &mut tx,
        Actor::Agent(decide.agent()),
        Subject::Campaign(campaign.id),
        EventKind::ListClosed,
        json!({"retained": retained, "deferred": deferred, "refused": refused,
               "contingents": campaign.contingents}),
    )
    .await?;
    tx.commit().await?;
    Ok(Closed {
        campaign_id: campaign.id,
        closed_at,
        retained,
        deferred,
        refused,
    })
}

/// One award created by the publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublishedAward {
    pub(crate) award_id: AwardId,
    pub(crate) dossier_id: DossierId,
    pub(crate) laureate_id: LaureateId,
    pub(crate) grade: GradeCode,
}

/// A publication recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Published {
    pub(crate) campaign_id: CampaignId,
    pub(crate) decree_date: NaiveDate,
    pub(crate) jo_reference: String,
    pub(crate) awards: Vec<PublishedAward>,
}

fn publication_input(
    decree_date: &str,
    jo_reference: &str,
) -> Result<(NaiveDate, String), Vec<FieldError>> {
    let mut errors = Vec::new();
    let date = tally::parse_date(decree_date);
    if date.is_none() {
        errors.push(FieldError::new(
            "decree_date",
            "Date du décret : saisissez une date valide (jj/mm/aaaa).",
        ));
    }
    let jo = jo_reference.trim();
    if jo.is_empty() {
        errors.push(FieldError::new(
            "jo_reference",
            "Référence au Journal officiel : saisissez-la, par exemple « JORF n° 0163 du 15 juillet 2027 ».",
        ));
    } else if jo.chars().count() > JO_REFERENCE_MAX {
        errors.push(FieldError::new(
            "jo_reference",
            format!("Référence au Journal officiel : {JO_REFERENCE_MAX} caractères au plus."),
        ));
    }
    match date {
        Some(d) if errors.is_empty() => Ok((d, jo.to_owned())),
        _ => Err(errors),
    }
}

/// Records the publication of the closed list (`decision:publish`): every retained dossier
/// becomes published and an award of the laureate registry (a new laureate, or the one the
/// dossier proposed for promotion).
pub(crate) async fn publish(
    ctx: &WebContext,
    identity: &Identity,
    id: CampaignId,
    decree_date: &str,
    jo_reference: &str,
) -> ActionResult<Published> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let campaign = contracts::campaign_by_id(&mut tx, id).await?;
    let publish =
        access.authorize::<perm::DecisionPublish>(Scope::Unit(campaign.bureau_unit_id))?;
    store::lock_campaign(&mut tx, campaign.id).await?;
    match ListStatus::of(store::list(&mut tx, campaign.id).await?.as_ref()) {
        ListStatus::Open => {
            return Err(ActionError::conflict(
                "list.open",
                "La liste doit être close avant d'enregistrer la publication.",
            ));
        }
        ListStatus::Published {
            decree_date,
            jo_reference,
            ..
        } => {
            return Err(ActionError::conflict(
                "list.published",
                format!(
                    "La publication de cette liste est déjà enregistrée (décret du {}, {jo_reference}).",
                    fr_date(decree_date)
                ),
            ));
        }
        ListStatus::Closed { .. } => {}
    }
    let (decree_date, jo_reference) =
        publication_input(decree_date, jo_reference).map_err(ActionError::Invalid)?;
    let loaded = load(&mut tx, campaign.id).await?;
    let retained: Vec<&DossierView> = loaded
        .dossiers
        .iter()
        .filter(|d| d.state == DossierState::Retained)
        .collect();
    if retained.is_empty() {
        return Err(ActionError::conflict(
            "list.nothing_to_publish",
            "Aucun dossier n'est retenu sur cette liste : il n'y a rien à publier.",
        ));
    }
    let sources = DossierState::sources(DossierEvent::Publish);
    let to = DossierState::Published;
    let mut awards = Vec::with_capacity(retained.len());
    for dossier in retained {
        if !contracts::move_dossier(&mut tx, dossier.id, &sources, to, None).await? {
            return Err(ActionError::conflict(
                "dossier.wrong_state",
                "Un dossier retenu vient de changer d'état : rechargez la page et recommencez.",
            ));
        }
        let laureate = match dossier.laureate_id {
            Some(l) if store::laureate_exists(&mut tx, l).await? => l,
            _ => {
                store::insert_laureate(&mut tx, &registry_identity(dossier.content.expose()))
                    .await?
            }
        };
        let award = store::insert_award(
            &mut tx,
            &store::NewAward {
                laureate,
                distinction: &campaign.distinction,
                grade: &dossier.target_grade,
                decree_date,
                jo_reference: &jo_reference,
                dossier: dossier.id,
                unit: dossier.unit_id,
            },
        )
        .await?;
        journal::append(
            &mut tx,
            Actor::Agent(publish.agent()),
            Subject::Dossier(dossier.id),
            EventKind::DossierPublished,
            json!({"campaign": campaign.id, "award": award, "laureate": laureate,
                   "distinction": campaign.distinction, "grade": dossier.target_grade,
                   "decree_date": decree_date, "jo_reference": jo_reference}),
        )
        .await?;
        awards.push(PublishedAward {
            award_id: award,
            dossier_id: dossier.id,
            laureate_id: laureate,
            grade: dossier.target_grade.clone(),
        });
    }
    store::publish_list(&mut tx, &publish, campaign.id, decree_date, &jo_reference).await?;
    tx.commit().await?;
    Ok(Published {
        campaign_id: campaign.id,
        decree_date,
        jo_reference,
        awards,
    })
}

/// A réception recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Received {
    pub(crate) award_id: AwardId,
    pub(crate) dossier_id: Option<DossierId>,
    pub(crate) campaign_id: Option<CampaignId>,
    pub(crate) reception_date: NaiveDate,
}

/// Records a laureate's réception (prise de rang), once (`decision:receive` at the bureau of
/// the award's campaign, or held centrally for an award that came from no campaign).
pub(crate) async fn receive(
    ctx: &WebContext,
    identity: &Identity,
    id: AwardId,
    reception_date: &str,
) -> ActionResult<Received> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let award = store::award_for_update(&mut tx, id).await?;
    let campaign = campaign_of(&mut tx, &award).await?;
    let receive = access.authorize::<perm::DecisionReceive>(match campaign.as_ref() {
        Some(c) => Scope::Unit(c.bureau_unit_id),
        // An imported award belongs to no bureau: a ministry-wide role is needed.
        None => Scope::Central,
    })?;
    if let Some(date) = award.reception_date {
        return Err(ActionError::conflict(
            "award.received",
            format!(
                "La réception de ce lauréat est déjà enregistrée (le {}).",
                fr_date(date)
            ),
        ));
    }
    let date = match tally::parse_date(reception_date) {
        None => Err("Date de réception : saisissez une date valide (jj/mm/aaaa).".to_owned()),
        Some(d) if d < award.decree_date => Err(format!(
            "Date de réception : elle ne peut précéder le décret du {}.",
            fr_date(award.decree_date)
        )),
        Some(d) => Ok(d),
    }
    .map_err(|message| ActionError::Invalid(vec![FieldError::new("reception_date", message)]))?;
    store::set_reception(&mut tx, &receive, id, date).await?;
    let subject = award
        .dossier_id
        .map_or(Subject::Award(id), Subject::Dossier);
    journal::append(
        &mut tx,
        Actor::Agent(receive.agent()),
        subject,
        EventKind::AwardReceived,
        json!({"award": id, "laureate": award.laureate_id, "grade": award.grade,
               "reception_date": date}),
    )
    .await?;
    tx.commit().await?;
    Ok(Received {
        award_id: id,
        dossier_id: award.dossier_id,
        campaign_id: campaign.map(|c| c.id),
        reception_date: date,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_candidate_is_read_from_the_content() {
        let content = json!({"candidate": {"birth_name": "Martin", "usual_name": "Dupont",
            "given_names": "Marie Anne", "sex": "F", "birth_date": "1960-01-02"}, "motifs": "…"});
        let c = Candidate::of_content(&content);
        assert_eq!(c.display_name_or(UNNAMED), "DUPONT Marie Anne");
        assert_eq!(c.sex, "F");
        assert_eq!(format!("{c:?}"), "Candidate(********)");
        assert_eq!(
            Candidate::of_content(&json!({})).display_name_or(UNNAMED),
            "(candidat sans nom)"
        );
        assert_eq!(
            Candidate::of_content(
                &json!({"candidate": {"birth_name": "Durand", "usual_name": " "}})
            )
            .display_name_or(UNNAMED),
            "DURAND"
        );
    }

    #[test]
    fn the_registry_keeps_the_candidate_object_as_typed() {
        let candidate = json!({"birth_name": "Martin", "sex": "F", "nationality": "FR"});
        assert_eq!(
            registry_identity(&json!({"candidate": candidate.clone()})),
            candidate
        );
        assert_eq!(registry_identity(&json!({"candidate": "?"})), json!({}));
    }

    #[test]
    fn a_decision_needs_a_known_value_and_a_motivation() {
        assert_eq!(
            decision_input(Decision::Retained.as_str(), "  Mérites éminents. "),
            Ok((Decision::Retained, "Mérites éminents.".to_owned()))
        );
        let fields = |r: Result<(Decision, String), Vec<FieldError>>| -> Vec<String> {
            r.err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(
            fields(decision_input("peut-être", "")),
            vec!["decision", "motivation"]
        );
        assert_eq!(
            fields(decision_input(Decision::Deferred.as_str(), "   ")),
            vec!["motivation"]
        );
        assert_eq!(
            fields(decision_input(
                Decision::Refused.as_str(),
                &"x".repeat(MOTIVATION_MAX + 1)
            )),
            vec!["motivation"]
        );
    }

    #[test]
    fn a_publication_needs_a_date_and_a_reference() {
        assert_eq!(
            publication_input("14/07/2027", " JORF n° 0163 "),
            Ok((
                NaiveDate::from_ymd_opt(2027, 7, 14).unwrap_or_default(),
                "JORF n° 0163".to_owned()
            ))
        );
        let fields: Vec<String> = publication_input("14 juillet", "")
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, vec!["decree_date", "jo_reference"]);
    }

    #[test]
    fn list_states_read_from_the_stored_list() {
        assert_eq!(ListStatus::of(None), ListStatus::Open);
        let at = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let mut list = List {
            campaign_id: CampaignId::new(),
            closed_at: at,
            closed_by: AgentId::new(),
            decree_date: None,
            jo_reference: None,
            published_at: None,
        };
        assert_eq!(ListStatus::of(Some(&list)).as_str(), "closed");
        list.decree_date = NaiveDate::from_ymd_opt(2027, 7, 14);
        list.jo_reference = Some("JORF n° 0163".to_owned());
        list.published_at = Some(at);
        let status = ListStatus::of(Some(&list));
        assert_eq!(status.as_str(), "published");
        assert_eq!(
            status.label_fr(),
            "Liste publiée : décret du 14/07/2027, JORF n° 0163"
        );
        assert_eq!(status.closed_at(), Some(at));
    }
}
