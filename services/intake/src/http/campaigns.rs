//! The campaigns page and the campaign form (tenant administrators).

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_db::contracts;
use napoleon_identity::Identity;
use napoleon_kernel::IdempotencyKey;
use napoleon_rules::fr_date;
use napoleon_web::{ActionError, FieldError, FormFields, WebContext, WebResult};
use serde::Serialize;

use super::{Choice, Notice};
use crate::domain::{self, CampaignInput};

#[derive(Serialize)]
pub(super) struct CampaignRow {
    id: String,
    label: String,
    distinction: String,
    promotion: String,
    window: String,
    pub(super) open: bool,
}

#[derive(Serialize)]
struct CampaignsView {
    campaigns: Vec<CampaignRow>,
    may_manage: bool,
    may_file: bool,
    created: bool,
}

pub(super) fn campaign_row(c: &contracts::CampaignView, today: chrono::NaiveDate) -> CampaignRow {
    CampaignRow {
        id: c.id.to_string(),
        label: c.label.clone(),
        distinction: c.distinction.to_string(),
        promotion: fr_date(c.promotion_date),
        window: format!("du {} au {}", fr_date(c.opens_on), fr_date(c.closes_on)),
        open: c.opens_on <= today && today <= c.closes_on,
    }
}

pub(crate) async fn campaigns(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    Query(notice): Query<Notice>,
) -> WebResult<Response> {
    let list = domain::campaigns(&ctx, &identity).await?;
    let view = CampaignsView {
        campaigns: list
            .campaigns
            .iter()
            .map(|c| campaign_row(c, ctx.today()))
            .collect(),
        may_manage: list.may_manage,
        may_file: list.may_file,
        created: notice.cree.is_some(),
    };
    Ok(ctx
        .page(&identity, "intake/campaigns", "Campagnes", &view)?
        .into_response())
}

#[derive(Serialize)]
struct ContingentField {
    grade: String,
    label: String,
    value: String,
}

#[derive(Serialize)]
struct CampaignForm {
    distinctions: Vec<Choice>,
    units: Vec<Choice>,
    label: String,
    promotion_date: String,
    opens_on: String,
    closes_on: String,
    contingents: Vec<ContingentField>,
    errors: Vec<FieldError>,
    /// Fresh at each new form, kept when the form comes back with errors (nothing was
    /// created under it): a form sent twice creates one campaign.
    idempotency_key: String,
}

impl CampaignForm {
    fn error(&self, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    }
}

async fn campaign_form(
    ctx: &WebContext,
    identity: &Identity,
    input: &CampaignInput,
    key: Option<IdempotencyKey>,
    errors: Vec<FieldError>,
) -> WebResult<Response> {
    let (catalogue, units) = domain::campaign_choices(ctx, identity).await?;
    let own: Vec<_> = catalogue.distinctions().iter().collect();
    let chosen = if input.distinction.is_empty() {
        "LH"
    } else {
        input.distinction.as_str()
    };
    let grades = own
        .iter()
        .find(|d| d.code.as_str() == chosen)
        .map(|d| d.grades.clone())
        .unwrap_or_default();
    let default_bureau = units
        .iter()
        .find(|u| u.kind.as_str() == "direction")
        .or(units.first())
        .map(|u| u.id.to_string())
        .unwrap_or_default();
    let bureau = if input.bureau_unit_id.is_empty() {
        default_bureau
    } else {
        input.bureau_unit_id.clone()
    };
    let form = CampaignForm {
        distinctions: own
            .iter()
            .map(|d| Choice {
                value: d.code.as_str().to_owned(),
                label: d.name.clone(),
                selected: d.code.as_str() == chosen,
            })
            .collect(),
        units: units
            .iter()
            .map(|u| Choice {
                value: u.id.to_string(),
                label: u.name.clone(),
                selected: u.id.to_string() == bureau,
            })
            .collect(),
        label: input.label.clone(),
        promotion_date: input.promotion_date.clone(),
        opens_on: input.opens_on.clone(),
        closes_on: input.closes_on.clone(),
        contingents: grades
            .iter()
            .map(|g| ContingentField {
                grade: g.code.as_str().to_owned(),
                label: g.label.clone(),
                value: input
                    .contingents
                    .get(g.code.as_str())
                    .cloned()
                    .unwrap_or_default(),
            })
            .collect(),
        errors,
        idempotency_key: key
            .unwrap_or_else(IdempotencyKey::fresh)
            .as_str()
            .to_owned(),
    };
    #[derive(Serialize)]
    struct View<'a> {
        form: &'a CampaignForm,
        errors: &'a [FieldError],
        label_error: Option<String>,
        distinction_error: Option<String>,
        promotion_date_error: Option<String>,
        opens_on_error: Option<String>,
        closes_on_error: Option<String>,
        bureau_error: Option<String>,
    }
    let view = View {
        form: &form,
        errors: &form.errors,
        label_error: form.error("label"),
        distinction_error: form.error("distinction"),
        promotion_date_error: form.error("promotion_date"),
        opens_on_error: form.error("opens_on"),
        closes_on_error: form.error("closes_on"),
        bureau_error: form.error("bureau_unit_id"),
    };
    Ok(ctx
        .page(identity, "intake/campaign_new", "Nouvelle campagne", &view)?
        .into_response())
}

pub(crate) async fn new_campaign(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
) -> WebResult<Response> {
    campaign_form(&ctx, &identity, &CampaignInput::default(), None, Vec::new()).await
}

fn campaign_input(pairs: &FormFields) -> CampaignInput {
    CampaignInput {
        distinction: pairs.get("distinction").to_owned(),
        label: pairs.get("label").to_owned(),
        promotion_date: pairs.get("promotion_date").to_owned(),
        opens_on: pairs.get("opens_on").to_owned(),
        closes_on: pairs.get("closes_on").to_owned(),
        bureau_unit_id: pairs.get("bureau_unit_id").to_owned(),
        contingents: pairs
            .with_prefix("contingent-")
            .map(|(grade, value)| (grade.to_owned(), value.to_owned()))
            .collect(),
    }
}

pub(crate) async fn create_campaign(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    pairs: FormFields,
) -> WebResult<Response> {
    let input = campaign_input(&pairs);
    // The form always sends one; a malformed or absent key only loses the protection.
    let key = IdempotencyKey::parse(pairs.get("idempotency_key")).ok();
    match domain::create_campaign(&ctx, &identity, &input, key.as_ref()).await {
        Ok(_) => Ok(Redirect::to("/intake/campagnes?cree=1").into_response()),
        Err(ActionError::Invalid(errors)) => {
            campaign_form(&ctx, &identity, &input, key, errors).await
        }
        Err(e) => Err(e.into()),
    }
}
