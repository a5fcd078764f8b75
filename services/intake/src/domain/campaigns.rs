//! Campaigns: the list, the form's choices, creation (tenant administrators).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use napoleon_authz::{Scope, perm};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_db::{contracts, core};
use napoleon_identity::Identity;
use napoleon_kernel::{CampaignId, IdempotencyKey, OrgUnitId};
use napoleon_rules::{Catalogue, DistinctionCode, GradeCode};
use napoleon_web::{ActionError, ActionResult, FieldError, WebContext};
use serde_json::json;

use crate::store::{self, Created, NewCampaign};

use super::once::Once;
use super::tenant_catalogue;

/// The campaigns page: every campaign, and whether the agent may create one.
pub(crate) struct CampaignList {
    pub(crate) campaigns: Vec<contracts::CampaignView>,
    pub(crate) may_manage: bool,
    pub(crate) may_file: bool,
}

/// The tenant's campaigns, for anyone who may read them.
pub(crate) async fn campaigns(ctx: &WebContext, identity: &Identity) -> ActionResult<CampaignList> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::CampaignRead>(Scope::Anywhere)?;
    let may_manage = access.may::<perm::CampaignManage>(Scope::Central)?;
    let may_file = !super::filing_units(&access)?.is_empty();
    let campaigns = contracts::campaigns(&mut tx).await?;
    tx.rollback().await;
    Ok(CampaignList {
        campaigns,
        may_manage,
        may_file,
    })
}

/// What the campaign form offers: the catalogue's distinctions and the tenant's units.
pub(crate) async fn campaign_choices(
    ctx: &WebContext,
    identity: &Identity,
) -> ActionResult<(std::sync::Arc<Catalogue>, Vec<core::OrgUnit>)> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::CampaignManage>(Scope::Central)?;
    let catalogue = tenant_catalogue(&mut tx, &access).await?;
    tx.rollback().await;
    Ok((catalogue, access.units().to_vec()))
}

/// Campaign input, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
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

/// Creates a campaign (tenant administrators); with an idempotency `key`, once.
pub(crate) async fn create_campaign(
    ctx: &WebContext,
    identity: &Identity,
    input: &CampaignInput,
    key: Option<&IdempotencyKey>,
) -> ActionResult<CampaignId> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let manage = access.authorize::<perm::CampaignManage>(Scope::Central)?;
    let once = Once::new(
        key,
        manage.agent(),
        "campaign",
        &[&serde_json::to_vec(input).unwrap_or_default()],
    );
    if let Some(done) = once.earlier(&mut tx).await? {
        tx.rollback().await;
        return done.campaign();
    }
    let catalogue = tenant_catalogue(&mut tx, &access).await?;
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
    if let Some(twin) = once.remember(&mut tx, Created::Campaign(id)).await? {
        tx.rollback().await;
        return twin.campaign();
    }
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
