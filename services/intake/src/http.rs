//! Intake's pages: campaigns, the agent's dossiers, the multi-step nomination form, the
//! receipt. Handlers are thin: extract, call the use case, render or redirect.

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_db::contracts;
use napoleon_identity::Identity;
use napoleon_kernel::{AwardId, CampaignId, DossierId};
use napoleon_rules::dossier::DossierState;
use napoleon_rules::{Severity, VerdictKind, fr_date};
use napoleon_web::{
    ActionError, FieldError, FormFields, Group, IdPath, IdPaths, WebContext, WebError, WebResult,
};
use serde::Serialize;

use crate::domain::{self, CampaignInput};
use napoleon_rules::content::{self, CAREER_KINDS, CareerPeriod, Content, HeldDistinction, Step};

/// The career step's repeated rows (`career-0-from`…).
const CAREER: Group = Group {
    prefix: "career",
    fields: &["from", "to", "kind", "position"],
    max_rows: content::MAX_CAREER_PERIODS,
    label: "Carrière",
    rows_noun: "périodes",
};

/// The distinctions step's repeated rows (`distinctions-0-grade`…).
const DISTINCTIONS: Group = Group {
    prefix: "distinctions",
    fields: &["distinction", "grade", "decreed_on", "received_on"],
    max_rows: content::MAX_HELD_DISTINCTIONS,
    label: "Distinctions détenues",
    rows_noun: "distinctions",
};

const CHOOSE_CAMPAIGN: &str = "Campagne : choisissez une campagne ouverte dans la liste.";

fn web(e: ActionError) -> WebError {
    e.into_web()
}

// Campaigns ----------------------------------------------------------------------------

#[derive(Serialize)]
struct CampaignRow {
    id: String,
    label: String,
    distinction: String,
    promotion: String,
    window: String,
    open: bool,
}

#[derive(Serialize)]
struct CampaignsView {
    campaigns: Vec<CampaignRow>,
    may_manage: bool,
    may_file: bool,
    created: bool,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct Notice {
    cree: Option<String>,
    enregistre: Option<String>,
}

fn campaign_row(c: &contracts::CampaignView) -> CampaignRow {
    let today = domain::today();
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
    let may_file = !domain::filing_units(&identity).is_empty();
    let view = CampaignsView {
        campaigns: list.campaigns.iter().map(campaign_row).collect(),
        may_manage: list.may_manage,
        may_file,
        created: notice.cree.is_some(),
    };
    Ok(ctx
        .page(&identity, "intake/campaigns", "Campagnes", &view)?
        .into_response())
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
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
    campaign_form(&ctx, &identity, &CampaignInput::default(), Vec::new()).await
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
    match domain::create_campaign(&ctx, &identity, &input).await {
        Ok(_) => Ok(Redirect::to("/intake/campagnes?cree=1").into_response()),
        Err(ActionError::Invalid(errors)) => campaign_form(&ctx, &identity, &input, errors).await,
        Err(e) => Err(web(e)),
    }
}

// The agent's dossiers -------------------------------------------------------------------

#[derive(Serialize)]
struct DossierRow {
    href: String,
    number: String,
    name: String,
    campaign: String,
    grade: String,
    state: String,
}

#[derive(Serialize)]
struct DossiersView {
    editable: Vec<DossierRow>,
    filed: Vec<DossierRow>,
    open_campaigns: Vec<Choice>,
    may_file: bool,
}

pub(crate) async fn dossiers(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
) -> WebResult<Response> {
    let domain::MyDossiers {
        campaigns,
        editable,
        filed,
    } = domain::my_dossiers(&ctx, &identity).await?;
    let label_of = |id: CampaignId| {
        campaigns
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.label.clone())
            .unwrap_or_default()
    };
    let view = DossiersView {
        editable: editable
            .iter()
            .map(|d| DossierRow {
                href: format!("/intake/dossiers/{}/etape/1", d.id),
                number: d.number.clone().unwrap_or_else(|| "—".to_owned()),
                name: non_empty(d.content.expose().display_name()),
                campaign: label_of(d.campaign_id),
                grade: d.target_grade.to_string(),
                state: d.state.label_fr().to_owned(),
            })
            .collect(),
        filed: filed
            .iter()
            .map(|d| {
                let content: Content =
                    serde_json::from_value(d.content.expose().clone()).unwrap_or_default();
                DossierRow {
                    href: format!("/intake/dossiers/{}/etape/5", d.id),
                    number: d.number.clone().unwrap_or_default(),
                    name: non_empty(content.display_name()),
                    campaign: label_of(d.campaign_id),
                    grade: d.target_grade.to_string(),
                    state: d.state.label_fr().to_owned(),
                }
            })
            .collect(),
        open_campaigns: campaigns
            .iter()
            .filter(|c| campaign_row(c).open)
            .map(|c| Choice {
                value: c.id.to_string(),
                label: c.label.clone(),
                selected: false,
            })
            .collect(),
        may_file: !domain::filing_units(&identity).is_empty(),
    };
    Ok(ctx
        .page(&identity, "intake/dossiers", "Mes dossiers", &view)?
        .into_response())
}

fn non_empty(name: String) -> String {
    if name.is_empty() {
        "(candidat à saisir)".to_owned()
    } else {
        name
    }
}

pub(crate) async fn create_dossier(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    pairs: FormFields,
) -> WebResult<Response> {
    let campaign: CampaignId = pairs.parsed("campaign_id", CHOOSE_CAMPAIGN)?;
    match domain::create_draft(&ctx, &identity, campaign, None, &Content::default()).await {
        Ok(id) => Ok(Redirect::to(&format!("/intake/dossiers/{id}/etape/1")).into_response()),
        Err(e) => Err(web(e)),
    }
}

// The multi-step form --------------------------------------------------------------------

#[derive(Serialize, Clone)]
struct Field {
    id: String,
    label: String,
    hint: String,
    value: String,
    error: Option<String>,
    kind: &'static str,
    autocomplete: &'static str,
    required: bool,
}

#[derive(Serialize)]
struct SelectField {
    id: String,
    label: String,
    error: Option<String>,
    options: Vec<Choice>,
    required: bool,
}

#[derive(Serialize)]
struct CareerRowView {
    n: usize,
    from: Field,
    to: Field,
    kind: SelectField,
    position: Field,
}

#[derive(Serialize)]
struct HeldRowView {
    n: usize,
    distinction: SelectField,
    grade: SelectField,
    decreed_on: Field,
    received_on: Field,
}

#[derive(Serialize)]
struct StepLink {
    number: usize,
    title: &'static str,
    href: String,
    current: bool,
}

#[derive(Serialize)]
struct ReasonView {
    message: String,
    article: String,
    blocking: bool,
    warning: bool,
}

#[derive(Serialize, Default)]
struct VerdictView {
    eligible: bool,
    ineligible: bool,
    warning: bool,
    eligible_from: Option<String>,
    reasons: Vec<ReasonView>,
    input_error: Option<String>,
}

#[derive(Serialize, Default)]
struct Summary {
    identity: Vec<(String, String)>,
    career: Vec<String>,
    distinctions: Vec<String>,
    motifs: String,
    criminal_record: String,
    grade: String,
}

#[derive(Serialize)]
struct StepView {
    id: String,
    number: Option<String>,
    campaign: String,
    state: String,
    step_number: usize,
    step_title: &'static str,
    next_title: Option<&'static str>,
    steps: Vec<StepLink>,
    action: String,
    errors: Vec<FieldError>,
    error_count: usize,
    saved: bool,
    editable: bool,
    candidate: bool,
    career: bool,
    distinctions: bool,
    proposal: bool,
    review: bool,
    fields: Vec<Field>,
    sex: SelectField,
    career_rows: Vec<CareerRowView>,
    held_rows: Vec<HeldRowView>,
    target_grade: SelectField,
    motifs: Field,
    criminal_record: Field,
    verdict: VerdictView,
    summary: Summary,
    complement: bool,
    previous: Option<String>,
}

#[expect(
    clippy::too_many_arguments,
    reason = "one form field's attributes, each named at the call"
)]
fn field(
    id: &str,
    label: &str,
    hint: &str,
    value: &str,
    errors: &[FieldError],
    kind: &'static str,
    autocomplete: &'static str,
    required: bool,
) -> Field {
    Field {
        id: id.to_owned(),
        label: label.to_owned(),
        hint: hint.to_owned(),
        value: value.to_owned(),
        error: errors
            .iter()
            .find(|e| e.field == id)
            .map(|e| e.message.clone()),
        kind,
        autocomplete,
        required,
    }
}

fn select(
    id: &str,
    label: &str,
    value: &str,
    options: &[(String, String)],
    errors: &[FieldError],
    required: bool,
) -> SelectField {
    SelectField {
        id: id.to_owned(),
        label: label.to_owned(),
        error: errors
            .iter()
            .find(|e| e.field == id)
            .map(|e| e.message.clone()),
        options: std::iter::once(Choice {
            value: String::new(),
            label: "— Choisir —".to_owned(),
            selected: value.is_empty(),
        })
        .chain(options.iter().map(|(v, l)| Choice {
            value: v.clone(),
            label: l.clone(),
            selected: v == value,
        }))
        .collect(),
        required,
    }
}

const DATE_HINT: &str = "Format attendu : jj/mm/aaaa";

fn step_view(
    review: &domain::Review,
    step: Step,
    errors: Vec<FieldError>,
    saved: bool,
) -> StepView {
    let d = &review.dossier;
    let c = d.content.expose();
    let e = &errors;
    let id = d.id.to_string();
    let distinctions: Vec<(String, String)> = review
        .catalogue
        .distinctions()
        .iter()
        .map(|x| (x.code.as_str().to_owned(), x.name.clone()))
        .collect();
    let mut grades: Vec<(String, String)> = Vec::new();
    for x in review.catalogue.distinctions() {
        for g in &x.grades {
            if !grades.iter().any(|(code, _)| code == g.code.as_str()) {
                grades.push((g.code.as_str().to_owned(), g.label.clone()));
            }
        }
    }
    let own_grades: Vec<(String, String)> = review
        .catalogue
        .distinction(&review.campaign.distinction)
        .cloned()
        .map(|x| {
            x.grades
                .iter()
                .map(|g| (g.code.as_str().to_owned(), g.label.clone()))
                .collect()
        })
        .unwrap_or_default();
    let kinds: Vec<(String, String)> = CAREER_KINDS
        .iter()
        .map(|(k, l)| ((*k).to_owned(), (*l).to_owned()))
        .collect();
    let mut career = c.career.clone();
    if career.is_empty() {
        career.push(CareerPeriod::default());
    }
    let mut held = c.distinctions.clone();
    if held.is_empty() {
        held.push(HeldDistinction::default());
    }
    let state = Some(d.state);
    let verdict = match &review.verdict {
        Ok(v) => VerdictView {
            eligible: v.verdict == VerdictKind::Eligible,
            ineligible: v.verdict == VerdictKind::Ineligible,
            warning: v.verdict == VerdictKind::Warning,
            eligible_from: v.eligible_from.map(fr_date),
            reasons: v
                .reasons
                .iter()
                .map(|r| ReasonView {
                    message: r.message.clone(),
                    article: r.article.to_string(),
                    blocking: r.severity == Severity::Blocking,
                    warning: r.severity == Severity::Warning,
                })
                .collect(),
            input_error: None,
        },
        Err(err) => VerdictView {
            input_error: Some(err.body().message),
            ..VerdictView::default()
        },
    };
    let summary = Summary {
        identity: vec![
            (
                "Nom de naissance".to_owned(),
                c.candidate.birth_name.clone(),
            ),
            ("Nom d'usage".to_owned(), c.candidate.usual_name.clone()),
            ("Prénoms".to_owned(), c.candidate.given_names.clone()),
            (
                "Sexe".to_owned(),
                match c.candidate.sex.as_str() {
                    "F" => "Femme".to_owned(),
                    "M" => "Homme".to_owned(),
                    _ => String::new(),
                },
            ),
            (
                "Date de naissance".to_owned(),
                c.candidate.birth_date.clone(),
            ),
            (
                "Lieu de naissance".to_owned(),
                c.candidate.birth_place.clone(),
            ),
            ("Nationalité".to_owned(), c.candidate.nationality.clone()),
            (
                "Nationalité française acquise le".to_owned(),
                c.candidate.french_since.clone(),
            ),
            (
                "Département de résidence".to_owned(),
                c.candidate.residence_department.clone(),
            ),
        ],
        career: c
            .career
            .iter()
            .filter(|p| !p.from.is_empty() || !p.position.is_empty())
            .map(CareerPeriod::summary)
            .collect(),
        distinctions: c
            .distinctions
            .iter()
            .filter(|x| !x.distinction.is_empty())
            .map(|x| {
                format!(
                    "{} {} — décret du {} — réception le {}",
                    x.distinction, x.grade, x.decreed_on, x.received_on
                )
            })
            .collect(),
        motifs: c.motifs.clone(),
        criminal_record: c.criminal_record_issued_on.clone(),
        grade: own_grades
            .iter()
            .find(|(code, _)| code == d.target_grade.as_str())
            .map_or_else(|| d.target_grade.to_string(), |(_, l)| l.clone()),
    };
    let n = step.number();
    StepView {
        id: id.clone(),
        number: d.number.clone(),
        campaign: review.campaign.label.clone(),
        state: state.map_or("", DossierState::label_fr).to_owned(),
        step_number: n,
        step_title: step.title(),
        next_title: Step::from_number(n + 1).map(Step::title),
        steps: Step::ALL
            .iter()
            .map(|s| StepLink {
                number: s.number(),
                title: s.title(),
                href: format!("/intake/dossiers/{id}/etape/{}", s.number()),
                current: *s == step,
            })
            .collect(),
        action: format!("/intake/dossiers/{id}/etape/{n}"),
        error_count: errors.len(),
        saved,
        editable: review.may_edit,
        candidate: step == Step::Candidate,
        career: step == Step::Career,
        distinctions: step == Step::Distinctions,
        proposal: step == Step::Proposal,
        review: step == Step::Review,
        fields: vec![
            field(
                "birth_name",
                "Nom de naissance",
                "",
                &c.candidate.birth_name,
                e,
                "text",
                "family-name",
                true,
            ),
            field(
                "usual_name",
                "Nom d'usage",
                "Facultatif",
                &c.candidate.usual_name,
                e,
                "text",
                "off",
                false,
            ),
            field(
                "given_names",
                "Prénoms",
                "Dans l'ordre de l'état civil",
                &c.candidate.given_names,
                e,
                "text",
                "given-name",
                true,
            ),
            field(
                "birth_date",
                "Date de naissance",
                DATE_HINT,
                &c.candidate.birth_date,
                e,
                "date",
                "bday",
                true,
            ),
            field(
                "birth_place",
                "Lieu de naissance",
                "Commune, et pays si à l'étranger",
                &c.candidate.birth_place,
                e,
                "text",
                "off",
                true,
            ),
            field(
                "nationality",
                "Nationalité",
                "Code pays en deux lettres, par exemple FR",
                &c.candidate.nationality,
                e,
                "text",
                "off",
                true,
            ),
            field(
                "french_since",
                "Date d'acquisition de la nationalité française",
                "Seulement si elle a été acquise ; jj/mm/aaaa",
                &c.candidate.french_since,
                e,
                "date",
                "off",
                false,
            ),
            field(
                "residence_department",
                "Département de résidence",
                "Numéro : 69, 2A, 974",
                &c.candidate.residence_department,
                e,
                "text",
                "off",
                true,
            ),
        ],
        sex: select(
            "sex",
            "Sexe",
            &c.candidate.sex,
            &[
                ("F".to_owned(), "Femme".to_owned()),
                ("M".to_owned(), "Homme".to_owned()),
            ],
            e,
            true,
        ),
        career_rows: career
            .iter()
            .enumerate()
            .map(|(i, p)| CareerRowView {
                n: i + 1,
                from: field(
                    &format!("career-{i}-from"),
                    "Début",
                    DATE_HINT,
                    &p.from,
                    e,
                    "date",
                    "off",
                    true,
                ),
                to: field(
                    &format!("career-{i}-to"),
                    "Fin",
                    "Vide si en cours",
                    &p.to,
                    e,
                    "date",
                    "off",
                    false,
                ),
                kind: select(
                    &format!("career-{i}-kind"),
                    "Nature",
                    &p.kind,
                    &kinds,
                    e,
                    true,
                ),
                position: field(
                    &format!("career-{i}-position"),
                    "Fonction et employeur",
                    "",
                    &p.position,
                    e,
                    "text",
                    "organization-title",
                    true,
                ),
            })
            .collect(),
        held_rows: held
            .iter()
            .enumerate()
            .map(|(i, x)| HeldRowView {
                n: i + 1,
                distinction: select(
                    &format!("distinctions-{i}-distinction"),
                    "Distinction",
                    &x.distinction,
                    &distinctions,
                    e,
                    false,
                ),
                grade: select(
                    &format!("distinctions-{i}-grade"),
                    "Grade ou échelon",
                    &x.grade,
                    &grades,
                    e,
                    false,
                ),
                decreed_on: field(
                    &format!("distinctions-{i}-decreed_on"),
                    "Date du décret",
                    DATE_HINT,
                    &x.decreed_on,
                    e,
                    "date",
                    "off",
                    false,
                ),
                received_on: field(
                    &format!("distinctions-{i}-received_on"),
                    "Date de réception (prise de rang)",
                    "Les durées courent de cette date",
                    &x.received_on,
                    e,
                    "date",
                    "off",
                    false,
                ),
            })
            .collect(),
        target_grade: select(
            "target_grade",
            "Grade proposé",
            d.target_grade.as_str(),
            &own_grades,
            e,
            true,
        ),
        motifs: field(
            "motifs",
            "Exposé des motifs",
            "Les mérites éminents ou distingués du candidat, avec les faits et les dates",
            &c.motifs,
            e,
            "textarea",
            "off",
            true,
        ),
        verdict,
        summary,
        complement: state == Some(DossierState::ComplementRequested),
        previous: Step::from_number(n.saturating_sub(1))
            .map(|s| format!("/intake/dossiers/{id}/etape/{}", s.number())),
        criminal_record: field(
            "criminal_record_issued_on",
            "Date de l'extrait de casier judiciaire (bulletin n° 2)",
            "Il doit dater de moins de deux mois à la transmission (art. R29) ; jj/mm/aaaa",
            &c.criminal_record_issued_on,
            e,
            "date",
            "off",
            true,
        ),
        errors,
    }
}

pub(crate) async fn step(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPaths(id, n): IdPaths<DossierId, usize>,
    Query(notice): Query<Notice>,
) -> WebResult<Response> {
    let step = Step::from_number(n).ok_or(WebError::NotFound)?;
    let review = domain::review(&ctx, &identity, id).await.map_err(web)?;
    render_step(
        &ctx,
        &identity,
        &review,
        step,
        Vec::new(),
        notice.enregistre.is_some(),
    )
}

fn render_step(
    ctx: &WebContext,
    identity: &Identity,
    review: &domain::Review,
    step: Step,
    errors: Vec<FieldError>,
    saved: bool,
) -> WebResult<Response> {
    // At the last step, show what submission would refuse (with links to the steps).
    let errors = if step == Step::Review && errors.is_empty() && review.may_edit {
        review.errors.clone()
    } else {
        errors
    };
    let title = format!("Dossier — {}", step.title());
    let view = step_view(review, step, errors, saved);
    Ok(ctx
        .page(identity, "intake/step", &title, &view)?
        .into_response())
}

/// Folds the step's form fields into the stored content (other steps' fields are kept).
/// Repeated rows are the rows actually posted, in index order.
///
/// # Errors
/// A 422 naming the group when a row's name is malformed or beyond the group's maximum.
fn merge(content: &mut Content, step: Step, pairs: &FormFields) -> WebResult<()> {
    match step {
        Step::Candidate => {
            let c = &mut content.candidate;
            c.birth_name = pairs.get("birth_name").to_owned();
            c.usual_name = pairs.get("usual_name").to_owned();
            c.given_names = pairs.get("given_names").to_owned();
            c.sex = pairs.get("sex").to_owned();
            c.birth_date = pairs.get("birth_date").to_owned();
            c.birth_place = pairs.get("birth_place").to_owned();
            c.nationality = pairs.get("nationality").trim().to_uppercase();
            c.french_since = pairs.get("french_since").to_owned();
            c.residence_department = pairs.get("residence_department").trim().to_uppercase();
        }
        Step::Career => {
            content.career = pairs
                .rows(&CAREER)?
                .iter()
                .map(|row| CareerPeriod {
                    from: row.get("from").to_owned(),
                    to: row.get("to").to_owned(),
                    kind: row.get("kind").to_owned(),
                    position: row.get("position").to_owned(),
                })
                .collect();
            while content.career.len() > 1
                && content.career.last() == Some(&CareerPeriod::default())
            {
                content.career.pop();
            }
        }
        Step::Distinctions => {
            content.distinctions = pairs
                .rows(&DISTINCTIONS)?
                .iter()
                .map(|row| HeldDistinction {
                    distinction: row.get("distinction").to_owned(),
                    grade: row.get("grade").to_owned(),
                    decreed_on: row.get("decreed_on").to_owned(),
                    received_on: row.get("received_on").to_owned(),
                })
                .filter(|x| *x != HeldDistinction::default())
                .collect();
        }
        Step::Proposal => {
            content.motifs = pairs.get("motifs").to_owned();
            content.criminal_record_issued_on = pairs.get("criminal_record_issued_on").to_owned();
        }
        Step::Review => {}
    }
    Ok(())
}

pub(crate) async fn save_step(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPaths(id, n): IdPaths<DossierId, usize>,
    pairs: FormFields,
) -> WebResult<Response> {
    let step = Step::from_number(n).ok_or(WebError::NotFound)?;
    let action = pairs.get("_action").to_owned();
    let current = domain::review(&ctx, &identity, id).await.map_err(web)?;
    if !current.may_edit {
        return Err(WebError::Conflict {
            code: "dossier.not_editable",
            message: "Ce dossier ne peut plus être modifié : seul le service déposant modifie un brouillon ou un dossier renvoyé pour complément.".to_owned(),
        });
    }
    if step == Step::Review {
        return submit_from(&ctx, &identity, id, current).await;
    }
    let mut content = current.dossier.content.expose().clone();
    // A malformed row name is a 422 and changes nothing (no page sends one).
    merge(&mut content, step, &pairs)?;
    // Adding a row beyond the group's maximum is refused on the page; the rest is saved.
    let mut refused_row = None;
    match action.as_str() {
        "ajouter-periode" if content.career.len() < CAREER.max_rows => {
            content.career.push(CareerPeriod::default());
        }
        "ajouter-distinction" if content.distinctions.len() < DISTINCTIONS.max_rows => {
            content.distinctions.push(HeldDistinction::default());
        }
        "ajouter-periode" => {
            refused_row = Some(FieldError::new("career", CAREER.too_many_rows()));
        }
        "ajouter-distinction" => {
            refused_row = Some(FieldError::new(
                "distinctions",
                DISTINCTIONS.too_many_rows(),
            ));
        }
        _ => {}
    }
    // A grade left on « — Choisir — » keeps the previous one: the rest is saved all the same,
    // and « Continuer » says what is missing.
    let typed_grade = (step == Step::Proposal).then(|| pairs.get("target_grade").trim());
    let grade = typed_grade.filter(|g| napoleon_rules::GradeCode::parse(g).is_ok());
    // Saved first, whatever its validity: nothing typed is lost. Only content out of its hard
    // bounds (fields longer than any real value) is refused; the page then shows what was
    // typed with the errors.
    match domain::save(&ctx, &identity, id, grade, &content).await {
        Ok(()) => {}
        Err(ActionError::Invalid(errors)) => {
            let mut typed = current;
            typed.dossier.content = napoleon_kernel::Personal::new(content);
            let mut page = render_step(&ctx, &identity, &typed, step, errors, false)?;
            *page.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(page);
        }
        Err(e) => return Err(web(e)),
    }
    let here = format!("/intake/dossiers/{id}/etape/{n}");
    if let Some(refusal) = refused_row {
        let review = domain::review(&ctx, &identity, id).await.map_err(web)?;
        return render_step(&ctx, &identity, &review, step, vec![refusal], true);
    }
    match action.as_str() {
        "continuer" => {
            let mut errors = domain::fields(content::check_step(&content, step, domain::today()));
            if typed_grade.is_some() && grade.is_none() {
                errors.insert(
                    0,
                    FieldError::new("target_grade", "Grade proposé : choisissez un grade."),
                );
            }
            if errors.is_empty() {
                Ok(Redirect::to(&format!("/intake/dossiers/{id}/etape/{}", n + 1)).into_response())
            } else {
                let review = domain::review(&ctx, &identity, id).await.map_err(web)?;
                render_step(&ctx, &identity, &review, step, errors, true)
            }
        }
        "ajouter-periode" | "ajouter-distinction" => Ok(Redirect::to(&here).into_response()),
        _ => Ok(Redirect::to(&format!("{here}?enregistre=1")).into_response()),
    }
}

async fn submit_from(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    current: domain::Review,
) -> WebResult<Response> {
    match domain::submit(ctx, identity, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/intake/dossiers/{id}/recepisse")).into_response()),
        Err(ActionError::Invalid(errors)) => {
            render_step(ctx, identity, &current, Step::Review, errors, false)
        }
        Err(ActionError::Conflict { message, .. }) => render_step(
            ctx,
            identity,
            &current,
            Step::Review,
            vec![FieldError::new("depot", message)],
            false,
        ),
        Err(e) => Err(web(e)),
    }
}

#[derive(Serialize)]
struct ReceiptView {
    number: String,
    name: String,
    campaign: String,
    state: String,
    grade: String,
    submitted: String,
}

pub(crate) async fn receipt(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
) -> WebResult<Response> {
    let review = domain::review(&ctx, &identity, id).await.map_err(web)?;
    let Some(number) = review.dossier.number.clone() else {
        return Err(WebError::NotFound);
    };
    let view = ReceiptView {
        number,
        name: review.dossier.content.expose().display_name(),
        campaign: review.campaign.label.clone(),
        state: review.dossier.state.label_fr().to_owned(),
        grade: review.dossier.target_grade.to_string(),
        submitted: fr_date(domain::today()),
    };
    Ok(ctx
        .page(&identity, "intake/receipt", "Récépissé de dépôt", &view)?
        .into_response())
}

pub(crate) async fn propose(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    pairs: FormFields,
) -> WebResult<Response> {
    let award: AwardId = pairs.parsed(
        "award_id",
        "Choisissez la distinction du lauréat à partir de laquelle proposer une promotion.",
    )?;
    let campaign: CampaignId = pairs.parsed("campaign_id", CHOOSE_CAMPAIGN)?;
    match domain::propose(&ctx, &identity, award, campaign).await {
        // The draft belongs to the filing unit, which completes and submits it.
        Ok(_) => Ok(Redirect::to("/promotion/radar?propose=1").into_response()),
        Err(e) => Err(web(e)),
    }
}
