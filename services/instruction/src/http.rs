//! Instruction's pages: the queue with its tabs, the dossier file with its timeline, and the
//! forms of each move.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use napoleon_identity::Identity;
use napoleon_kernel::DossierId;
use napoleon_rules::content::CareerPeriod;
use napoleon_rules::{Severity, VerdictKind, fr_date};
use napoleon_web::{ActionError, FieldError, IdPath, WebContext, WebError, WebResult};
use serde::Serialize;

use crate::domain::{self, DossierFile, OpinionInput, Tab};

fn web(e: ActionError) -> WebError {
    e.into_web()
}

fn display_name(content: &serde_json::Value) -> String {
    napoleon_rules::content::Candidate::of_content(content).display_name()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct QueueQuery {
    onglet: String,
}

#[derive(Serialize)]
struct TabLink {
    label: &'static str,
    href: &'static str,
    current: bool,
}

#[derive(Serialize)]
struct Row {
    href: String,
    number: String,
    name: String,
    grade: String,
    state: String,
    submitted: String,
}

#[derive(Serialize)]
struct QueueView {
    tabs: Vec<TabLink>,
    tab_label: &'static str,
    rows: Vec<Row>,
}

pub(crate) async fn queue(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    Query(q): Query<QueueQuery>,
) -> WebResult<Response> {
    let tab = Tab::parse(&q.onglet);
    let list = domain::queue(&ctx, &identity, tab).await.map_err(web)?;
    let tabs = [
        (
            Tab::ToDo,
            "À traiter",
            "/instruction/dossiers?onglet=a-traiter",
        ),
        (
            Tab::Followed,
            "Suivis",
            "/instruction/dossiers?onglet=suivis",
        ),
        (Tab::Done, "Traités", "/instruction/dossiers?onglet=traites"),
    ];
    let view = QueueView {
        tab_label: tabs.iter().find(|t| t.0 == tab).map_or("", |t| t.1),
        tabs: tabs
            .iter()
            .map(|(t, label, href)| TabLink {
                label,
                href,
                current: *t == tab,
            })
            .collect(),
        rows: list
            .iter()
            .map(|d| Row {
                href: format!("/instruction/dossiers/{}", d.id),
                number: d.number.clone().unwrap_or_default(),
                name: display_name(d.content.expose()),
                grade: d.target_grade.to_string(),
                state: d.state.label_fr().to_owned(),
                submitted: d
                    .submitted_at
                    .map(|t| fr_date(t.date_naive()))
                    .unwrap_or_default(),
            })
            .collect(),
    };
    Ok(ctx
        .page(
            &identity,
            "instruction/queue",
            "Dossiers à instruire",
            &view,
        )?
        .into_response())
}

#[derive(Serialize)]
struct Pair {
    label: &'static str,
    value: String,
}

#[derive(Serialize)]
struct ReasonView {
    message: String,
    article: String,
    blocking: bool,
}

#[derive(Serialize)]
struct OpinionView {
    verdict: &'static str,
    favorable: bool,
    motivation: String,
    level: String,
    at: String,
}

#[derive(Serialize)]
struct EventView {
    at: String,
    actor: String,
    what: String,
    detail: String,
}

#[derive(Serialize)]
struct FileView {
    id: String,
    number: String,
    name: String,
    state: String,
    campaign: String,
    level: String,
    grade: String,
    identity: Vec<Pair>,
    career: Vec<String>,
    distinctions: Vec<String>,
    motifs: String,
    eligible: bool,
    ineligible: bool,
    verdict_title: String,
    reasons: Vec<ReasonView>,
    opinions: Vec<OpinionView>,
    timeline: Vec<EventView>,
    held_by_me: bool,
    may_take: bool,
    may_opine: bool,
    may_transmit: bool,
    may_return: bool,
    errors: Vec<FieldError>,
    verdict_input: String,
    motivation_input: String,
    message_input: String,
    motivation_error: Option<String>,
    verdict_error: Option<String>,
    message_error: Option<String>,
    notice: Option<String>,
}

fn event_label(kind: &str) -> &'static str {
    match kind {
        "dossier.created" => "Brouillon créé",
        "dossier.saved" => "Brouillon enregistré",
        "dossier.submitted" => "Dossier déposé",
        "dossier.taken" => "Pris en charge",
        "dossier.opinion_given" => "Avis rendu",
        "dossier.transmitted" => "Validé et transmis au ministère",
        "dossier.returned" => "Renvoyé pour complément",
        "dossier.ranked" => "Classement modifié",
        "dossier.decided" => "Décision",
        "dossier.published" => "Publication au Journal officiel",
        "award.received" => "Réception (prise de rang)",
        "dossier.proposed_for_promotion" => "Proposé pour le grade supérieur",
        _ => "Événement",
    }
}

fn event_detail(kind: &str, payload: &serde_json::Value) -> String {
    let text = |k: &str| {
        payload
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    match kind {
        "dossier.submitted" => format!("n° {}", text("number")),
        "dossier.opinion_given" => format!(
            "{} : {}",
            if text("verdict") == "favorable" {
                "favorable"
            } else {
                "défavorable"
            },
            text("motivation")
        ),
        "dossier.returned" => text("message"),
        "dossier.decided" => format!("{} : {}", text("decision"), text("motivation")),
        "dossier.published" => format!(
            "décret du {}, {}",
            text("decree_date"),
            text("jo_reference")
        ),
        "award.received" => text("reception_date"),
        _ => String::new(),
    }
}

fn file_view(
    identity: &Identity,
    f: &DossierFile,
    errors: Vec<FieldError>,
    input: (&str, &str, &str),
    notice: Option<String>,
) -> FileView {
    let c = &f.content;
    let unit = |id| {
        f.unit_names
            .iter()
            .find(|(u, _)| *u == id)
            .map_or_else(String::new, |(_, n)| n.clone())
    };
    let (eligible, ineligible, title, reasons) = match &f.verdict {
        Ok(v) => (
            v.verdict != VerdictKind::Ineligible,
            v.verdict == VerdictKind::Ineligible,
            match v.verdict {
                VerdictKind::Eligible => "Conditions statutaires remplies".to_owned(),
                VerdictKind::Warning => {
                    "Conditions remplies, avec des points d'attention".to_owned()
                }
                VerdictKind::Ineligible => format!(
                    "Conditions statutaires non remplies{}",
                    v.eligible_from
                        .map(|d| format!(" : éligible à partir du {}", fr_date(d)))
                        .unwrap_or_default()
                ),
            },
            v.reasons
                .iter()
                .map(|r| ReasonView {
                    message: r.message.clone(),
                    article: r.article.to_string(),
                    blocking: r.severity == Severity::Blocking,
                })
                .collect(),
        ),
        Err(e) => (
            false,
            false,
            format!("Vérification incomplète : {}", e.body().message),
            vec![],
        ),
    };
    let grade_label = f
        .catalogue
        .distinction(&f.campaign.distinction)
        .and_then(|d| {
            d.grades
                .iter()
                .find(|g| g.code == f.dossier.target_grade)
                .map(|g| format!("{} — {}", d.name, g.label))
        })
        .unwrap_or_else(|| f.dossier.target_grade.to_string());
    let error = |field: &str| {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    };
    FileView {
        id: f.dossier.id.to_string(),
        number: f.dossier.number.clone().unwrap_or_default(),
        name: c.display_name(),
        state: f.dossier.state.label_fr().to_owned(),
        campaign: f.campaign.label.clone(),
        level: unit(f.dossier.level_unit_id),
        grade: grade_label,
        identity: vec![
            Pair {
                label: "Nom de naissance",
                value: c.candidate.birth_name.clone(),
            },
            Pair {
                label: "Nom d'usage",
                value: c.candidate.usual_name.clone(),
            },
            Pair {
                label: "Prénoms",
                value: c.candidate.given_names.clone(),
            },
            Pair {
                label: "Sexe",
                value: match c.candidate.sex.as_str() {
                    "F" => "Femme".to_owned(),
                    "M" => "Homme".to_owned(),
                    _ => String::new(),
                },
            },
            Pair {
                label: "Date de naissance",
                value: c.candidate.birth_date.clone(),
            },
            Pair {
                label: "Lieu de naissance",
                value: c.candidate.birth_place.clone(),
            },
            Pair {
                label: "Nationalité",
                value: c.candidate.nationality.clone(),
            },
            Pair {
                label: "Département de résidence",
                value: c.candidate.residence_department.clone(),
            },
            Pair {
                label: "Service déposant",
                value: unit(f.dossier.unit_id),
            },
        ],
        career: c.career.iter().map(CareerPeriod::summary).collect(),
        distinctions: c
            .distinctions
            .iter()
            .map(|d| {
                format!(
                    "{} {} — réception le {}",
                    d.distinction, d.grade, d.received_on
                )
            })
            .collect(),
        motifs: c.motifs.clone(),
        eligible,
        ineligible,
        verdict_title: title,
        reasons,
        opinions: f
            .opinions
            .iter()
            .map(|o| OpinionView {
                verdict: if o.verdict == "favorable" {
                    "Favorable"
                } else {
                    "Défavorable"
                },
                favorable: o.verdict == "favorable",
                motivation: o.motivation.clone(),
                level: unit(o.level),
                at: fr_date(o.at.date_naive()),
            })
            .collect(),
        timeline: f
            .timeline
            .iter()
            .map(|e| EventView {
                at: e.at.format("%d/%m/%Y %H:%M").to_string(),
                actor: e.actor.expose().clone(),
                what: event_label(&e.kind).to_owned(),
                detail: event_detail(&e.kind, &e.payload),
            })
            .collect(),
        held_by_me: f.holder == Some(identity.agent),
        may_take: f.may.take,
        may_opine: f.may.opine,
        may_transmit: f.may.transmit,
        may_return: f.may.give_back,
        verdict_error: error("verdict"),
        motivation_error: error("motivation"),
        message_error: error("message"),
        errors,
        verdict_input: input.0.to_owned(),
        motivation_input: input.1.to_owned(),
        message_input: input.2.to_owned(),
        notice,
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct FileQuery {
    fait: String,
}

pub(crate) async fn dossier(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
    Query(q): Query<FileQuery>,
) -> WebResult<Response> {
    let f = domain::file(&ctx, &identity, id).await.map_err(web)?;
    let notice = match q.fait.as_str() {
        "pris" => Some("Vous avez pris en charge ce dossier.".to_owned()),
        "avis" => Some("Votre avis est enregistré.".to_owned()),
        "valide" => Some("Le dossier est validé et transmis au ministère.".to_owned()),
        "renvoye" => Some("Le dossier est renvoyé au service déposant pour complément.".to_owned()),
        _ => None,
    };
    render(&ctx, &identity, &f, Vec::new(), ("", "", ""), notice)
}

fn render(
    ctx: &WebContext,
    identity: &Identity,
    f: &DossierFile,
    errors: Vec<FieldError>,
    input: (&str, &str, &str),
    notice: Option<String>,
) -> WebResult<Response> {
    let view = file_view(identity, f, errors, input, notice);
    let title = format!("Dossier {}", view.number);
    Ok(ctx
        .page(identity, "instruction/dossier", &title, &view)?
        .into_response())
}

/// After a move: back to the dossier, or the form again with the errors (typed values kept).
async fn after(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    result: Result<(), ActionError>,
    done: &str,
    input: (&str, &str, &str),
) -> WebResult<Response> {
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/instruction/dossiers/{id}?fait={done}")).into_response())
        }
        Err(ActionError::Invalid(errors)) => {
            let f = domain::file(ctx, identity, id).await.map_err(web)?;
            render(ctx, identity, &f, errors, input, None)
        }
        Err(ActionError::Conflict { message, .. }) => {
            let f = domain::file(ctx, identity, id).await.map_err(web)?;
            render(
                ctx,
                identity,
                &f,
                vec![FieldError::new("action", message)],
                input,
                None,
            )
        }
        Err(e) => Err(web(e)),
    }
}

pub(crate) async fn take(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
) -> WebResult<Response> {
    let result = domain::take(&ctx, &identity, id).await;
    after(&ctx, &identity, id, result, "pris", ("", "", "")).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct OpinionForm {
    verdict: String,
    motivation: String,
}

pub(crate) async fn opine(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
    Form(form): Form<OpinionForm>,
) -> WebResult<Response> {
    let input = OpinionInput {
        verdict: form.verdict.clone(),
        motivation: form.motivation.clone(),
    };
    let result = domain::opine(&ctx, &identity, id, &input).await;
    after(
        &ctx,
        &identity,
        id,
        result,
        "avis",
        (&form.verdict, &form.motivation, ""),
    )
    .await
}

pub(crate) async fn transmit(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
) -> WebResult<Response> {
    let result = domain::transmit(&ctx, &identity, id).await;
    after(&ctx, &identity, id, result, "valide", ("", "", "")).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct ReturnForm {
    message: String,
}

pub(crate) async fn give_back(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
    Form(form): Form<ReturnForm>,
) -> WebResult<Response> {
    let result = domain::give_back(&ctx, &identity, id, &form.message).await;
    after(
        &ctx,
        &identity,
        id,
        result,
        "renvoye",
        ("", "", &form.message),
    )
    .await
}
