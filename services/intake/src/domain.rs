//! Intake's use cases. Each one opens the request's tenant transaction, checks the
//! permission (on the dossier's unit where there is one), checks the state and the input,
//! changes, journals, and commits; any refusal rolls back with nothing written.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use napoleon_authz::{Access, Scope, perm};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_db::{TenantConn, catalogue, contracts, core};
use napoleon_identity::Identity;
use napoleon_kernel::{AwardId, CampaignId, DossierId, OrgUnitId, Role};
use napoleon_rules::dossier::{DossierEvent, DossierState};
use napoleon_rules::{Catalogue, DistinctionCode, GradeCode, Verdict, VerdictKind};
use napoleon_web::{ActionError, ActionResult, FieldError, WebContext};
use serde_json::json;

use crate::store::{self, Dossier, DraftBy, NewCampaign, NewDossier};
use napoleon_rules::content::{self, Candidate, Content, HeldDistinction};

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

pub(crate) use napoleon_web::{tenant_catalogue, today};

/// The campaigns page: every campaign, and whether the agent may create one.
pub(crate) struct CampaignList {
    pub(crate) campaigns: Vec<contracts::CampaignView>,
    pub(crate) may_manage: bool,
}

/// The tenant's campaigns, for anyone who may read them.
pub(crate) async fn campaigns(ctx: &WebContext, identity: &Identity) -> ActionResult<CampaignList> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::CampaignRead>(Scope::Anywhere)?;
    let may_manage = access.may::<perm::CampaignManage>(Scope::Central)?;
    let campaigns = contracts::campaigns(&mut tx).await?;
    tx.rollback().await;
    Ok(CampaignList {
        campaigns,
        may_manage,
    })
}

/// What the campaign form offers: the catalogue's distinctions and the tenant's units.
pub(crate) async fn campaign_choices(
    ctx: &WebContext,
    identity: &Identity,
) -> ActionResult<(Catalogue, Vec<core::OrgUnit>)> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::CampaignManage>(Scope::Central)?;
    let catalogue = tenant_catalogue(&mut tx).await?;
    tx.rollback().await;
    Ok((catalogue, access.units().to_vec()))
}

/// The rédacteur's dossiers: drafts and returned ones they may edit, those filed by their
/// units, and the campaigns to name them.
pub(crate) struct MyDossiers {
    pub(crate) campaigns: Vec<contracts::CampaignView>,
    pub(crate) editable: Vec<Dossier>,
    pub(crate) filed: Vec<contracts::DossierView>,
}

/// The dossiers of the agent's filing units.
pub(crate) async fn my_dossiers(ctx: &WebContext, identity: &Identity) -> ActionResult<MyDossiers> {
    let units = filing_units(identity);
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::NominationRead>(Scope::Anywhere)?;
    let campaigns = contracts::campaigns(&mut tx).await?;
    let editable = store::editable_of(&mut tx, &units).await?;
    let filed = contracts::dossiers_filed_by(&mut tx, &units).await?;
    tx.rollback().await;
    Ok(MyDossiers {
        campaigns,
        editable,
        filed,
    })
}

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

/// Campaign input, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct CampaignInput {
    /// Distinction code (`LH`).
    pub(crate) distinction: String,
    /// Label; when empty, « <distinction> — promotion du <date> ».
    pub(crate) label: String,
    /// `YYYY-MM-DD`.
    pub(crate) promotion_date: String,
    /// `YYYY-MM-DD`.
    pub(crate) opens_on: String,
    /// `YYYY-MM-DD`.
    pub(crate) closes_on: String,
    /// The unit that receives transmitted dossiers (its id).
    pub(crate) bureau_unit_id: String,
    /// Places per grade code.
    pub(crate) contingents: BTreeMap<String, String>,
}

fn parse_date(
    errors: &mut Vec<FieldError>,
    field: &str,
    label: &str,
    value: &str,
) -> Option<NaiveDate> {
    let parsed = napoleon_rules::parse_typed_date(value);
    if parsed.is_none() {
        errors.push(FieldError::new(
            field,
            format!("{label} : saisissez une date valide (jj/mm/aaaa)."),
        ));
    }
    parsed
}

/// Creates a campaign (tenant administrators).
pub(crate) async fn create_campaign(
    ctx: &WebContext,
    identity: &Identity,
    input: &CampaignInput,
) -> ActionResult<CampaignId> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let manage = access.authorize::<perm::CampaignManage>(Scope::Central)?;
    let catalogue = tenant_catalogue(&mut tx).await?;
    let units = access.units();
    let mut errors = Vec::new();
    let distinction = DistinctionCode::parse(input.distinction.trim())
        .ok()
        .and_then(|code| catalogue.distinction(&code).cloned());
    if distinction.is_none() {
        errors.push(FieldError::new(
            "distinction",
            "Distinction : choisissez une distinction du catalogue.",
        ));
    }
    let promotion = parse_date(
        &mut errors,
        "promotion_date",
        "Date de la promotion",
        &input.promotion_date,
    );
    let opens = parse_date(
        &mut errors,
        "opens_on",
        "Ouverture du dépôt",
        &input.opens_on,
    );
    let closes = parse_date(
        &mut errors,
        "closes_on",
        "Clôture du dépôt",
        &input.closes_on,
    );
    if let (Some(o), Some(c)) = (opens, closes)
        && c < o
    {
        errors.push(FieldError::new(
            "closes_on",
            "Clôture du dépôt : elle doit suivre l'ouverture.",
        ));
    }
    if let (Some(c), Some(p)) = (closes, promotion)
        && p < c
    {
        errors.push(FieldError::new(
            "promotion_date",
            "Date de la promotion : elle doit suivre la clôture du dépôt.",
        ));
    }
    let bureau = uuid::Uuid::parse_str(input.bureau_unit_id.trim())
        .ok()
        .map(OrgUnitId::from_uuid)
        .filter(|id| units.iter().any(|u| u.id == *id));
    if bureau.is_none() {
        errors.push(FieldError::new(
            "bureau_unit_id",
            "Bureau instructeur : choisissez une unité du ministère.",
        ));
    }
    let mut contingents = BTreeMap::new();
    if let Some(d) = &distinction {
        for (grade, places) in &input.contingents {
            let places = places.trim();
            if places.is_empty() {
                continue;
            }
            let known = GradeCode::parse(grade)
                .ok()
                .and_then(|g| d.grade_index(&g))
                .is_some();
            match places.parse::<u32>() {
                Ok(n) if known => {
                    contingents.insert(grade.clone(), n);
                }
                _ => errors.push(FieldError::new(
                    format!("contingent-{grade}"),
                    format!("Contingent « {grade} » : saisissez un nombre entier de places."),
                )),
            }
        }
    }
    let label = if input.label.trim().is_empty() {
        match (&distinction, promotion) {
            (Some(d), Some(p)) => {
                format!("{} — promotion du {}", d.name, napoleon_rules::fr_date(p))
            }
            _ => String::new(),
        }
    } else {
        input.label.trim().to_owned()
    };
    if !(3..=200).contains(&label.chars().count()) && errors.is_empty() {
        errors.push(FieldError::new(
            "label",
            "Intitulé : entre 3 et 200 caractères.",
        ));
    }
    let (Some(d), Some(promotion_date), Some(opens_on), Some(closes_on), Some(bureau), true) = (
        distinction,
        promotion,
        opens,
        closes,
        bureau,
        errors.is_empty(),
    ) else {
        tx.rollback().await;
        return Err(ActionError::Invalid(errors));
    };
    let new = NewCampaign {
        distinction: d.code.clone(),
        label,
        promotion_date,
        opens_on,
        closes_on,
        bureau,
        contingents,
    };
    let id = store::insert_campaign(&mut tx, &manage, &new).await?;
    journal::append(
        &mut tx,
        Actor::Agent(manage.agent()),
        Subject::Campaign(id),
        EventKind::CampaignCreated,
        json!({"distinction": new.distinction, "label": new.label,
               "promotion_date": new.promotion_date, "contingents": new.contingents}),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The units where the agent may file dossiers (their rédacteur grants).
pub(crate) fn filing_units(identity: &Identity) -> Vec<OrgUnitId> {
    identity
        .roles
        .iter()
        .filter(|g| g.role == Role::Redacteur)
        .map(|g| g.unit)
        .collect()
}

/// The campaign's window must be open today.
fn window_open(campaign: &contracts::CampaignView) -> ActionResult<()> {
    let today = today();
    if today < campaign.opens_on || today > campaign.closes_on {
        return Err(ActionError::conflict(
            "campaign.closed",
            format!(
                "Le dépôt pour « {} » est ouvert du {} au {}.",
                campaign.label,
                napoleon_rules::fr_date(campaign.opens_on),
                napoleon_rules::fr_date(campaign.closes_on)
            ),
        ));
    }
    Ok(())
}

/// Creates a draft in `campaign` for `unit` (default: the agent's filing unit).
pub(crate) async fn create_draft(
    ctx: &WebContext,
    identity: &Identity,
    campaign: CampaignId,
    unit: Option<OrgUnitId>,
    content: &Content,
) -> ActionResult<DossierId> {
    within_bounds(content)?;
    let (mut tx, access) = ctx.begin(identity).await?;
    let unit = match unit.or_else(|| filing_units(identity).first().copied()) {
        Some(u) => u,
        None => return Err(ActionError::Forbidden),
    };
    // Another tenant's unit is unknown here (404), as any of its ids.
    if !access.knows(unit) {
        return Err(ActionError::NotFound);
    }
    let create = access.authorize::<perm::NominationCreate>(Scope::Unit(unit))?;
    let campaign = match contracts::campaign_by_id(&mut tx, campaign).await {
        Ok(c) => c,
        Err(e) if e.is_not_found() => {
            return Err(ActionError::Invalid(vec![FieldError::new(
                "campaign_id",
                "Campagne : choisissez une campagne ouverte.",
            )]));
        }
        Err(e) => return Err(e.into()),
    };
    window_open(&campaign)?;
    let catalogue = tenant_catalogue(&mut tx).await?;
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

/// The lowest grade of the campaign's distinction: where a new draft starts.
fn first_grade(catalogue: &Catalogue, distinction: &DistinctionCode) -> ActionResult<GradeCode> {
    catalogue
        .distinction(distinction)
        .and_then(|d| d.grade_at(0))
        .map(|g| g.code.clone())
        .ok_or_else(|| {
            ActionError::conflict(
                "campaign.distinction_not_in_catalogue",
                format!(
                    "La distinction de cette campagne ({distinction}) n'est plus au catalogue du ministère : aucun dossier ne peut y être créé."
                ),
            )
        })
}

/// Loads a dossier the agent may read (filing unit or current level, the rule of
/// [`Access::read_dossier`]), or 404/403.
pub(crate) async fn readable(
    tx: &mut TenantConn,
    access: &Access,
    id: DossierId,
) -> ActionResult<Dossier> {
    let dossier = store::read_dossier(tx, id, false).await?;
    let draft = dossier.state == DossierState::Draft;
    match access.read_dossier(dossier.unit_id, dossier.level_unit_id, draft) {
        Ok(_) => Ok(dossier),
        Err(napoleon_authz::Refusal::Denied) if draft => Err(ActionError::NotFound),
        Err(e) => Err(e.into()),
    }
}

fn editable(dossier: &Dossier) -> ActionResult<DossierState> {
    let state = dossier.state;
    if state.editable() {
        Ok(state)
    } else {
        Err(ActionError::conflict(
            "dossier.not_editable",
            format!(
                "Ce dossier est « {} » : il ne peut plus être modifié par le service rédacteur.",
                state.label_fr()
            ),
        ))
    }
}

/// Saves what was typed, whatever its validity (a draft keeps everything).
pub(crate) async fn save(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    target_grade: Option<&str>,
    content: &Content,
) -> ActionResult<()> {
    within_bounds(content)?;
    let (mut tx, access) = ctx.begin(identity).await?;
    // Another unit's draft is a 404, as an unknown id; then the row is locked for the save.
    readable(&mut tx, &access, id).await?;
    let dossier = store::dossier(&mut tx, id).await?;
    let update = access.authorize::<perm::NominationUpdate>(Scope::Unit(dossier.unit_id))?;
    editable(&dossier)?;
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
    let case = content::case_json(
        dossier.content.expose(),
        campaign.distinction.as_str(),
        dossier.target_grade.as_str(),
        campaign.promotion_date,
    );
    napoleon_rules::check_json(catalogue, &case.to_string())
}

/// Everything the review step shows.
pub(crate) struct Review {
    pub(crate) dossier: Dossier,
    pub(crate) campaign: contracts::CampaignView,
    pub(crate) catalogue: Catalogue,
    pub(crate) verdict: Result<Verdict, napoleon_rules::CaseError>,
    pub(crate) errors: Vec<FieldError>,
    pub(crate) may_edit: bool,
}

/// Loads a dossier with its campaign and eligibility, for reading.
pub(crate) async fn review(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
) -> ActionResult<Review> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let dossier = readable(&mut tx, &access, id).await?;
    let may_edit = access.may::<perm::NominationUpdate>(Scope::Unit(dossier.unit_id))?
        && dossier.state.editable();
    let campaign = contracts::campaign_by_id(&mut tx, dossier.campaign_id).await?;
    let catalogue = tenant_catalogue(&mut tx).await?;
    tx.rollback().await;
    let verdict = verdict(&catalogue, &campaign, &dossier);
    let errors = fields(content::check_all(dossier.content.expose(), today()));
    Ok(Review {
        dossier,
        campaign,
        catalogue,
        verdict,
        errors,
        may_edit,
    })
}

/// Submits the dossier: complete, not ineligible, within the window. Returns its number.
pub(crate) async fn submit(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
) -> ActionResult<String> {
    let (mut tx, access) = ctx.begin(identity).await?;
    // Another unit's draft is a 404, as an unknown id; then the row is locked for the move.
    readable(&mut tx, &access, id).await?;
    let dossier = store::dossier(&mut tx, id).await?;
    let submit = access.authorize::<perm::NominationSubmit>(Scope::Unit(dossier.unit_id))?;
    let from = editable(&dossier)?;
    from.apply(DossierEvent::Submit).map_err(|_| {
        ActionError::conflict("dossier.wrong_state", "Ce dossier ne peut pas être déposé.")
    })?;
    let errors = content::check_all(dossier.content.expose(), today());
    if !errors.is_empty() {
        return Err(ActionError::Invalid(fields(errors)));
    }
    let campaign = contracts::campaign_by_id(&mut tx, dossier.campaign_id).await?;
    if from == DossierState::Draft {
        window_open(&campaign)?;
    }
    let catalogue = tenant_catalogue(&mut tx).await?;
    match verdict(&catalogue, &campaign, &dossier) {
        Ok(v) if v.verdict == VerdictKind::Ineligible => {
            return Err(ActionError::conflict(
                "dossier.ineligible",
                "Le candidat ne remplit pas les conditions statutaires à la date de la promotion : voir les motifs à l'étape « Vérification et dépôt ».",
            ));
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
    tx.commit().await?;
    Ok(number)
}

/// Creates a draft proposing a registry laureate for the next grade, prefilled from the
/// registry, in `campaign` (which must be for the same distinction).
pub(crate) async fn propose(
    ctx: &WebContext,
    identity: &Identity,
    award: AwardId,
    campaign: CampaignId,
) -> ActionResult<DossierId> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let propose = access.authorize::<perm::RadarPropose>(Scope::Central)?;
    let awards = contracts::awards(&mut tx).await?;
    let Some(award) = awards.iter().find(|a| a.id == award).cloned() else {
        return Err(ActionError::NotFound);
    };
    let campaign = match contracts::campaign_by_id(&mut tx, campaign).await {
        Ok(c) => c,
        Err(e) if e.is_not_found() => {
            return Err(ActionError::Invalid(vec![FieldError::new(
                "campaign_id",
                "Campagne : choisissez une campagne.",
            )]));
        }
        Err(e) => return Err(e.into()),
    };
    if campaign.distinction != award.distinction {
        return Err(ActionError::Invalid(vec![FieldError::new(
            "campaign_id",
            format!(
                "Campagne : choisissez une campagne de la même distinction ({}).",
                award.distinction
            ),
        )]));
    }
    window_open(&campaign)?;
    let catalogue = tenant_catalogue(&mut tx).await?;
    let next = catalogue.distinction(&award.distinction).and_then(|d| {
        let i = d.grade_index(&award.grade)?;
        d.grade_at(i + 1).map(|g| g.code.clone())
    });
    let Some(next) = next else {
        return Err(ActionError::conflict(
            "award.no_next_grade",
            "Ce lauréat détient déjà le grade le plus élevé de cette distinction.",
        ));
    };
    let candidate: Candidate =
        serde_json::from_value(award.identity.expose().clone()).unwrap_or_default();
    let distinctions = awards
        .iter()
        .filter(|a| a.laureate_id == award.laureate_id)
        .map(|a| HeldDistinction {
            distinction: a.distinction.to_string(),
            grade: a.grade.to_string(),
            decreed_on: a.decree_date.format("%Y-%m-%d").to_string(),
            received_on: a
                .reception_date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        })
        .collect();
    let content = Content {
        candidate,
        distinctions,
        ..Content::default()
    };
    let unit = award.unit_id.unwrap_or(campaign.bureau_unit_id);
    let id = store::insert_draft(
        &mut tx,
        DraftBy::Proposal(&propose),
        &NewDossier {
            campaign: campaign.id,
            unit,
            target_grade: &next,
            content: &content,
            laureate: Some(award.laureate_id),
        },
    )
    .await?;
    journal::append(
        &mut tx,
        Actor::Agent(propose.agent()),
        Subject::Dossier(id),
        EventKind::DossierProposedForPromotion,
        json!({"award": award.id, "laureate": award.laureate_id, "campaign": campaign.id, "grade": next}),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
