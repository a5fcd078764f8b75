//! A dossier's life in intake: a draft created and saved as typed, read for review with its
//! eligibility, submitted with a number.

use napoleon_authz::{Access, Scope, perm};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_db::readlog::{ReadChannel, ReadSubject};
use napoleon_db::{TenantConn, contracts};
use napoleon_identity::Identity;
use napoleon_kernel::{CampaignId, DossierId, IdempotencyKey, OrgUnitId};
use napoleon_rules::dossier::{DossierEvent, DossierState};
use napoleon_rules::{Catalogue, DistinctionCode, GradeCode, Verdict, VerdictKind};
use napoleon_web::{ActionError, ActionResult, Conflict, FieldError, WebContext};
use serde_json::json;

use crate::store::pieces::Attachment;
use crate::store::{self, Created, Dossier, DraftBy, NewDossier};
use napoleon_rules::content::{self, Content};

use super::once::Once;
use super::{fields, tenant_catalogue, within_bounds};

/// The rédacteur's dossiers: drafts and returned ones they may edit, those filed by their
/// units, and the campaigns to name them.
pub(crate) struct MyDossiers {
    pub(crate) campaigns: Vec<contracts::CampaignView>,
    pub(crate) editable: Vec<Dossier>,
    /// A page of the filed dossiers, latest change first.
    pub(crate) filed: Vec<Dossier>,
    /// Where the next page starts, when one follows.
    pub(crate) next_after: Option<store::FiledCursor>,
    /// The search, as understood (trimmed).
    pub(crate) search: Option<String>,
    /// The search's refused fields (then no filed dossier is read).
    pub(crate) refused: Vec<FieldError>,
    /// Whether the agent files dossiers somewhere.
    pub(crate) may_file: bool,
}

/// Filed dossiers on a page.
pub(crate) const FILED_PAGE: u16 = 50;

/// The longest search.
const SEARCH_CHARS: usize = 100;

/// What the agent asks of the filed dossiers, as typed: a name or a number, and the dossier
/// the previous page ended with.
#[derive(Debug, Clone, Default)]
pub(crate) struct FiledAsk {
    pub(crate) search: String,
    pub(crate) after: String,
}

/// The ask parsed; each refused field named in French.
fn parse_filed_ask(
    ask: &FiledAsk,
) -> Result<(Option<String>, Option<store::FiledCursor>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let search = ask.search.trim();
    if search.chars().count() > SEARCH_CHARS || search.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "recherche",
            format!(
                "Recherche : un nom, un prénom ou un numéro de dossier, {SEARCH_CHARS} caractères au plus."
            ),
        ));
    }
    let after = match ask.after.trim() {
        "" => None,
        raw => store::FiledCursor::parse(raw).or_else(|| {
            errors.push(FieldError::new(
                "apres",
                "Page : ce lien n'est plus valable ; revenez à la première page.",
            ));
            None
        }),
    };
    if errors.is_empty() {
        Ok((Some(search.to_owned()).filter(|s| !s.is_empty()), after))
    } else {
        Err(errors)
    }
}

/// The dossiers of the units where the agent edits nominations — those to complete, and a
/// page of those filed (searched by name or number) — and whether it may file. A refused ask
/// names its field (`refused`) and no filed dossier is read.
pub(crate) async fn my_dossiers(
    ctx: &WebContext,
    identity: &Identity,
    ask: &FiledAsk,
) -> ActionResult<MyDossiers> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::NominationRead>(Scope::Anywhere)?;
    let (search, after, refused) = match parse_filed_ask(ask) {
        Ok((search, after)) => (search, after, Vec::new()),
        Err(refused) => (None, None, refused),
    };
    let units = access.units_where::<perm::NominationUpdate>()?;
    let may_file = !filing_units(&access)?.is_empty();
    let campaigns = contracts::campaigns(&mut tx).await?;
    let editable = store::editable_of(&mut tx, &units).await?;
    // One more than shown: whether another page follows.
    let mut filed = if refused.is_empty() {
        store::filed_page(
            &mut tx,
            &store::FiledPage {
                units: &units,
                search: search.as_deref(),
                after,
                limit: FILED_PAGE + 1,
            },
        )
        .await?
    } else {
        Vec::new()
    };
    let more = filed.len() > usize::from(FILED_PAGE);
    filed.truncate(usize::from(FILED_PAGE));
    let shown: Vec<ReadSubject> = editable
        .iter()
        .map(|d| d.id)
        .chain(filed.iter().map(|d| d.id))
        .map(ReadSubject::Dossier)
        .collect();
    napoleon_web::end_reads(tx, identity, &shown, ReadChannel::Page).await?;
    Ok(MyDossiers {
        campaigns,
        editable,
        next_after: filed
            .last()
            .map(|d| store::FiledCursor {
                updated_at: d.updated_at,
                id: d.id,
            })
            .filter(|_| more),
        filed,
        search,
        refused,
        may_file,
    })
}

/// The units where the agent files dossiers: its grants whose role the tenant's policy
/// allows to create nominations (the rédacteur's by default; a ministry may change that).
pub(crate) fn filing_units(access: &Access) -> ActionResult<Vec<OrgUnitId>> {
    access
        .units_where::<perm::NominationCreate>()
        .map_err(ActionError::from)
}

/// The campaign's window must be open today.
pub(super) fn window_open(
    campaign: &contracts::CampaignView,
    today: chrono::NaiveDate,
) -> ActionResult<()> {
    if today < campaign.opens_on || today > campaign.closes_on {
        return Err(Conflict::CampaignClosed {
            label: campaign.label.clone(),
            opens_on: campaign.opens_on,
            closes_on: campaign.closes_on,
        }
        .into());
    }
    Ok(())
}

/// Creates a draft in `campaign` for `unit` (default: the agent's filing unit). With an
/// idempotency `key`, a retry of the same request answers the draft the first one created
/// (a different request with the same key is a 409).
pub(crate) async fn create_draft(
    ctx: &WebContext,
    identity: &Identity,
    campaign: CampaignId,
    unit: Option<OrgUnitId>,
    content: &Content,
    key: Option<&IdempotencyKey>,
) -> ActionResult<DossierId> {
    within_bounds(content)?;
    // The campaign read behind the transaction's opening (its absence is the form's error,
    // answered once the agent's rights are known).
    let (mut tx, access, found) = ctx
        .begin_with(identity, async |shared| {
            Ok(contracts::campaign_by_id(&shared, campaign).await)
        })
        .await?;
    let requested = unit;
    let unit = match unit.or(filing_units(&access)?.first().copied()) {
        Some(u) => u,
        None => return Err(ActionError::Forbidden),
    };
    // Another tenant's unit is unknown here (404), as any of its ids.
    if !access.knows(unit) {
        return Err(ActionError::NotFound);
    }
    let create = access.authorize::<perm::NominationCreate>(Scope::Unit(unit))?;
    // The unit as asked (none: the agent's default), not as resolved.
    let once = Once::new(
        key,
        create.agent(),
        "dossier",
        &[
            campaign.to_string().as_bytes(),
            requested
                .map(|u| u.to_string())
                .unwrap_or_default()
                .as_bytes(),
            &serde_json::to_vec(content).unwrap_or_default(),
        ],
    );
    if let Some(done) = once.earlier(&mut tx).await? {
        tx.rollback().await;
        return done.dossier();
    }
    let campaign = match found {
        Ok(c) => c,
        Err(e) if e.is_not_found() => {
            return Err(ActionError::Invalid(vec![FieldError::new(
                "campaign_id",
                "Campagne : choisissez une campagne ouverte.",
            )]));
        }
        Err(e) => return Err(e.into()),
    };
    window_open(&campaign, tx.today())?;
    let catalogue = tenant_catalogue(&mut tx, &access).await?;
    let grade = first_grade(&catalogue, &campaign.distinction)?;
    let id = store::insert_draft(
        &mut tx,
        DraftBy::Filing(&create),
        &NewDossier {
            campaign: campaign.id,
            unit,
            target_grade: &grade,
            content,
            laureate: None,
        },
    )
    .await?;
    if let Some(twin) = once.remember(&mut tx, Created::Dossier(id)).await? {
        // A twin request with the same key committed first: answer its draft, drop ours.
        tx.rollback().await;
        return twin.dossier();
    }
    journal::append(
        &mut tx,
        Actor::Agent(create.agent()),
        Subject::Dossier(id),
        EventKind::DossierCreated,
        json!({"campaign": campaign.id, "unit": unit}),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The answer to a create whose key was used before: the same draft when it asked the same.
/// The lowest grade of the campaign's distinction: where a new draft starts.
fn first_grade(catalogue: &Catalogue, distinction: &DistinctionCode) -> ActionResult<GradeCode> {
    catalogue
        .distinction(distinction)
        .and_then(|d| d.grade_at(0))
        .map(|g| g.code.clone())
        .ok_or_else(|| {
            Conflict::DistinctionGone {
                distinction: distinction.to_string(),
            }
            .into()
        })
}

/// Loads a dossier the agent may read (filing unit or current level, the rule of
/// [`Access::read_dossier`]), or 404/403.
pub(crate) async fn readable(
    tx: &mut TenantConn,
    access: &Access,
    id: DossierId,
) -> ActionResult<Dossier> {
    may_read(access, store::read_dossier(tx, id, false).await?)
}

/// The dossier (unlocked, not yet checked readable), its campaign and its pieces, sent
/// together (behind a transaction's opening).
async fn with_campaign(
    shared: &impl napoleon_db::TenantRead,
    id: DossierId,
) -> Result<(Dossier, contracts::CampaignView, Vec<Attachment>), napoleon_db::DbError> {
    let (dossier, campaign, pieces) = tokio::join!(
        store::read_dossier(shared, id, false),
        contracts::campaign_of_dossier(shared, id),
        crate::store::pieces::of_dossier(shared, id)
    );
    Ok((dossier?, campaign?, pieces?))
}

/// The dossier, if the agent may read it (see [`readable`]).
fn may_read(access: &Access, dossier: Dossier) -> ActionResult<Dossier> {
    let draft = dossier.state == DossierState::Draft;
    let _read = access.read_dossier(dossier.unit_id, dossier.level_unit_id, draft)?;
    Ok(dossier)
}

/// The dossier about to change, locked: another unit's draft is first a 404, as an unknown
/// id, on an unlocked read (so that nobody may lock, nor wait on, a row they cannot see),
/// then the row is read again under its lock (as it is now, for the version check).
async fn locked_readable(
    tx: &mut TenantConn,
    access: &Access,
    id: DossierId,
) -> ActionResult<Dossier> {
    readable(tx, access, id).await?;
    Ok(store::dossier(tx, id).await?)
}

fn editable(dossier: &Dossier) -> ActionResult<DossierState> {
    let state = dossier.state;
    if state.editable() {
        Ok(state)
    } else {
        Err(Conflict::NotEditable { state }.into())
    }
}

/// Saves what was typed, whatever its validity (a draft keeps everything).
pub(crate) async fn save(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    version: ActionResult<i32>,
    target_grade: Option<&str>,
    content: &Content,
) -> ActionResult<()> {
    within_bounds(content)?;
    let (mut tx, access) = ctx.begin(identity).await?;
    let dossier = locked_readable(&mut tx, &access, id).await?;
    let update = access.authorize::<perm::NominationUpdate>(Scope::Unit(dossier.unit_id))?;
    editable(&dossier)?;
    // Saved by someone else since this save's page (or GET) was read: never overwrite it
    // silently. The row is locked, so of two saves from the same version one wins. (The
    // version is asked for only now: a foreign id is a 404 whatever was sent.)
    if dossier.version != version? {
        tx.rollback().await;
        return Err(Conflict::Stale.into());
    }
    let grade = match target_grade {
        Some(g) => GradeCode::parse(g.trim()).map_err(|_| {
            ActionError::Invalid(vec![FieldError::new(
                "target_grade",
                "Grade proposé : choisissez un grade de la distinction.",
            )])
        })?,
        None => dossier.target_grade.clone(),
    };
    if grade == dossier.target_grade && content == dossier.content.expose() {
        // Nothing changed: no write, no journal event.
        tx.rollback().await;
        return Ok(());
    }
    store::save_content(&mut tx, &update, id, &grade, content).await?;
    journal::append(
        &mut tx,
        Actor::Agent(update.agent()),
        Subject::Dossier(id),
        EventKind::DossierSaved,
        json!({"target_grade": grade}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The eligibility verdict for the dossier as it stands, or the engine's input error.
pub(crate) fn verdict(
    catalogue: &Catalogue,
    campaign: &contracts::CampaignView,
    dossier: &Dossier,
) -> Result<Verdict, napoleon_rules::CaseError> {
    content::verdict(
        catalogue,
        dossier.content.expose(),
        &campaign.distinction,
        &dossier.target_grade,
        campaign.promotion_date,
    )
}

/// Everything the review step shows.
pub(crate) struct Review {
    pub(crate) dossier: Dossier,
    pub(crate) campaign: contracts::CampaignView,
    pub(crate) catalogue: std::sync::Arc<Catalogue>,
    pub(crate) verdict: Result<Verdict, napoleon_rules::CaseError>,
    pub(crate) errors: Vec<FieldError>,
    pub(crate) may_edit: bool,
    /// Every piece, current and withdrawn, oldest first.
    pub(crate) pieces: Vec<Attachment>,
    /// The pieces the catalogue asks of this dossier, in order.
    pub(crate) requirements: Vec<napoleon_rules::PieceRequirement>,
    /// The kinds of piece whose content the agent may open (see
    /// [`super::may_read_content`]).
    pub(crate) readable_codes: Vec<napoleon_rules::PieceCode>,
    /// Its possible duplicates, as the agent sees them.
    pub(crate) duplicates: Vec<napoleon_web::DuplicateRow>,
    /// Whether another ministry proposed the same person for this promotion (issue 18,
    /// Build 7): `None` when not asked.
    pub(crate) elsewhere: Option<bool>,
}

/// Loads a dossier with its campaign and eligibility, for reading.
/// The dossier as its pages and API show it; `read` logs the read of the candidate's data (a
/// page or API answer, also a page shown again after a refused save), `None` for a check that
/// shows nothing (the state before a save).
pub(crate) async fn review(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    read: Option<ReadChannel>,
) -> ActionResult<Review> {
    review_with(ctx, identity, id, read, Extras::Nothing).await
}

/// What [`review_with`] reads besides the dossier (issue 18), each one more statement sent
/// with the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extras {
    /// The dossier alone (the steps but the last, the saves).
    Nothing,
    /// Its possible duplicates (the last step).
    Duplicates,
    /// Its possible duplicates and whether another ministry proposed the same person (the
    /// receipt, the API): asked only where the answer is shown, each lookup being counted.
    DuplicatesAndOtherMinistry,
}

/// [`review`], with the `extras` asked.
pub(crate) async fn review_with(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    read: Option<ReadChannel>,
    extras: Extras,
) -> ActionResult<Review> {
    // The dossier and its campaign read behind the transaction's opening, in one round trip;
    // the other ministries' lookup answers only for a submitted dossier of a tenant that
    // opted in, and records what it answers.
    let (mut tx, access, ((dossier, campaign, pieces), (found, elsewhere))) = ctx
        .begin_with(identity, async |shared| {
            let (dossier, found) = tokio::join!(with_campaign(&shared, id), async {
                match extras {
                    Extras::Nothing => Ok((Vec::new(), None)),
                    Extras::Duplicates => napoleon_db::duplicates::possible_duplicates(&shared, id)
                        .await
                        .map(|found| (found, None)),
                    Extras::DuplicatesAndOtherMinistry => tokio::try_join!(
                        napoleon_db::duplicates::possible_duplicates(&shared, id),
                        napoleon_db::crossmatch::elsewhere(&shared, id)
                    ),
                }
            });
            Ok((dossier?, found?))
        })
        .await?;
    let dossier = may_read(&access, dossier)?;
    let duplicates =
        napoleon_web::duplicate_rows(&access, &napoleon_web::visible_duplicates(&access, found));
    let may_edit = access.may::<perm::NominationUpdate>(Scope::Unit(dossier.unit_id))?
        && dossier.state.editable();
    let catalogue = tenant_catalogue(&mut tx, &access).await?;
    let today = tx.today();
    let requirements = super::requirements(&catalogue, &campaign, &dossier);
    let mut readable_codes = Vec::new();
    for code in requirements
        .iter()
        .map(|r| &r.code)
        .chain(pieces.iter().map(|p| &p.code))
    {
        if !readable_codes.contains(code)
            && super::may_read_content(&access, &catalogue, &campaign, &dossier, code)?
        {
            readable_codes.push(code.clone());
        }
    }
    napoleon_web::end_read(tx, identity, ReadSubject::Dossier(id), read).await?;
    let verdict = verdict(&catalogue, &campaign, &dossier);
    let mut errors = fields(content::check_all(dossier.content.expose(), today));
    errors.extend(super::missing(&requirements, &pieces));
    Ok(Review {
        dossier,
        campaign,
        catalogue,
        verdict,
        errors,
        may_edit,
        pieces,
        requirements,
        readable_codes,
        duplicates,
        elsewhere,
    })
}

/// Submits the dossier: complete, not ineligible, within the window. Returns its number.
pub(crate) async fn submit(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
) -> ActionResult<String> {
    // The dossier (unlocked) and its campaign behind the transaction's opening; the dossier
    // is locked only once found readable (as `locked_readable`).
    let (mut tx, access, (seen, campaign, _)) = ctx
        .begin_with(identity, async |shared| with_campaign(&shared, id).await)
        .await?;
    may_read(&access, seen)?;
    // The dossier locked, and its pieces read again once the lock is held (sent together,
    // run in order): an upload or a removal in between waits for this submission, or
    // comes before it.
    let (dossier, pieces) = tokio::join!(
        store::read_dossier(&tx, id, true),
        crate::store::pieces::of_dossier(&tx, id)
    );
    let (dossier, pieces) = (dossier?, pieces?);
    let submit = access.authorize::<perm::NominationSubmit>(Scope::Unit(dossier.unit_id))?;
    let from = editable(&dossier)?;
    from.apply(DossierEvent::Submit)
        .map_err(|_| ActionError::from(Conflict::WrongState { state: from }))?;
    let catalogue = tenant_catalogue(&mut tx, &access).await?;
    let mut errors = fields(content::check_all(dossier.content.expose(), tx.today()));
    errors.extend(super::missing(
        &super::requirements(&catalogue, &campaign, &dossier),
        &pieces,
    ));
    if !errors.is_empty() {
        return Err(ActionError::Invalid(errors));
    }
    if from == DossierState::Draft {
        window_open(&campaign, tx.today())?;
    }
    match verdict(&catalogue, &campaign, &dossier) {
        Ok(v) if v.verdict == VerdictKind::Ineligible => {
            return Err(Conflict::Ineligible.into());
        }
        Ok(_) => {}
        Err(e) => {
            return Err(ActionError::Invalid(vec![FieldError::new(
                e.field().unwrap_or("target_grade").to_owned(),
                e.body().message,
            )]));
        }
    }
    let prefix = format!(
        "{}-{}",
        campaign.distinction,
        campaign.promotion_date.format("%Y-%m")
    );
    let number = store::number_and_submit(&mut tx, &submit, &dossier, &prefix).await?;
    journal::append(
        &mut tx,
        Actor::Agent(submit.agent()),
        Subject::Dossier(id),
        EventKind::DossierSubmitted,
        json!({"number": number, "resubmission": from == DossierState::ComplementRequested}),
    )
    .await?;
    // For the other ministries' lookups, when the tenant opted in (issue 18, Build 7).
    napoleon_db::crossmatch::record(&mut tx, id).await?;
    tx.commit().await?;
    Ok(number)
}
