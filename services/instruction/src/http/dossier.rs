//! The dossier page: the file with its eligibility, opinions and timeline, and the forms of
//! each move (take, opinion, transmit, return). A refused move shows the page again with the
//! errors and what was typed; a done move redirects to the page with a notice.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use napoleon_db::journal::EventKind;
use napoleon_identity::Identity;
use napoleon_kernel::DossierId;
use napoleon_rules::content::CareerPeriod;
use napoleon_rules::{Severity, VerdictKind, fr_date};
use napoleon_web::{ActionError, FieldError, IdPath, WebContext, WebResult};
use serde::Serialize;

use crate::domain::{self, DossierFile, OpinionInput, OpinionVerdict, ReviewForm, ReviewVerdict};

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
    may_establish_memoire: bool,
    may_return: bool,
    errors: Vec<FieldError>,
    verdict_input: String,
    motivation_input: String,
    message_input: String,
    motivation_error: Option<String>,
    verdict_error: Option<String>,
    message_error: Option<String>,
    notice: Option<String>,
    pieces: Vec<PieceRow>,
    duplicates: napoleon_web::DuplicatesView,
}

/// Above a dossier's possible duplicates, in instruction.
const DUPLICATES_INTRO: &str = "Cette personne figure peut-être déjà dans un autre dossier \
    ou au registre. Vérifiez, puis confirmez le doublon ou écartez-le : ce signalement ne \
    bloque pas l'instruction.";

/// The possible duplicates with what was said of each, and the review form where the agent
/// may review them.
fn duplicates_view(f: &DossierFile) -> napoleon_web::DuplicatesView {
    let mut rows = f.duplicates.clone();
    for row in &mut rows {
        row.status = f
            .duplicate_reviews
            .iter()
            // What was said of the match as it is now: a homonym dismissed, become exact
            // since (a corrected birth date), is to be reviewed again.
            .find(|r| r.key == row.key && r.match_kind == row.found)
            .map(|r| {
                let note = if r.note.is_empty() {
                    String::new()
                } else {
                    format!(" : {}", r.note)
                };
                format!(
                    "{} le {}{note}",
                    r.verdict.label_fr(),
                    fr_date(napoleon_kernel::paris_date(r.at))
                )
            });
    }
    napoleon_web::DuplicatesView {
        intro: DUPLICATES_INTRO,
        rows,
        review_action: f
            .may
            .review_duplicates
            .then(|| format!("/instruction/dossiers/{}/doublons", f.dossier.id)),
        other_ministry: napoleon_web::elsewhere_sentence(f.elsewhere),
    }
}

/// A piece of the dossier, as the instruction page lists it.
#[derive(Serialize)]
struct PieceRow {
    label: String,
    name: String,
    detail: String,
    state: &'static str,
    clean: bool,
    infected: bool,
    /// Intake's download, when the agent may open it and it was found clean.
    href: Option<String>,
    restricted: bool,
}

fn piece_rows(f: &DossierFile) -> Vec<PieceRow> {
    let distinction = f.catalogue.distinction(&f.campaign.distinction);
    f.pieces
        .iter()
        .map(|p| {
            let code = napoleon_rules::PieceCode::parse(&p.piece_code).ok();
            // A kind the catalogue no longer lists stays restricted, as intake serves it.
            let restricted = code
                .as_ref()
                .is_none_or(|c| napoleon_rules::piece_restricted(distinction, c));
            let readable = !restricted || f.opens_restricted;
            let state = napoleon_pieces::ScanState::parse(&p.scan_state)
                .unwrap_or(napoleon_pieces::ScanState::Pending);
            let size = u64::try_from(p.size_bytes).unwrap_or(0);
            PieceRow {
                label: code.as_ref().map_or_else(
                    || p.piece_code.clone(),
                    |c| napoleon_rules::piece_label(distinction, c),
                ),
                name: p.name.clone(),
                detail: format!(
                    "{} – {} ko",
                    p.sniffed_type.to_uppercase(),
                    size.div_ceil(1024)
                ),
                state: state.label_fr(),
                clean: state == napoleon_pieces::ScanState::Clean,
                infected: state == napoleon_pieces::ScanState::Infected,
                href: (readable && state == napoleon_pieces::ScanState::Clean)
                    .then(|| format!("/intake/dossiers/{}/pieces/{}", f.dossier.id, p.id)),
                restricted: !readable,
            }
        })
        .collect()
}

fn event_label(kind: EventKind) -> &'static str {
    match kind {
        EventKind::DossierCreated => "Brouillon créé",
        EventKind::DossierSaved => "Brouillon enregistré",
        EventKind::DossierSubmitted => "Dossier déposé",
        EventKind::DossierTaken => "Pris en charge",
        EventKind::DossierOpinionGiven => "Avis rendu",
        EventKind::DossierTransmitted => "Validé et transmis au ministère",
        EventKind::DossierReturned => "Renvoyé pour complément",
        EventKind::DossierRanked => "Classement modifié",
        EventKind::DossierDecided => "Décision",
        EventKind::DossierPublished => "Publication au Journal officiel",
        EventKind::AwardReceived => "Réception (prise de rang)",
        EventKind::DossierProposedForPromotion => "Proposé pour le grade supérieur",
        EventKind::PieceAttached => "Pièce jointe",
        EventKind::PieceRemoved => "Pièce retirée",
        EventKind::PieceScanned => "Pièce analysée : saine",
        EventKind::PieceQuarantined => "Pièce infectée, mise en quarantaine",
        EventKind::MemoireEstablished => "Mémoire de proposition définitif établi",
        EventKind::DuplicateReviewed => "Doublon possible examiné",
        _ => "Événement",
    }
}

fn event_detail(kind: EventKind, payload: &serde_json::Value) -> String {
    let text = |k: &str| {
        payload
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    match kind {
        EventKind::DossierSubmitted => format!("n° {}", text("number")),
        EventKind::DossierOpinionGiven => format!(
            "{} : {}",
            if OpinionVerdict::parse(&text("verdict")) == Some(OpinionVerdict::Favorable) {
                "favorable"
            } else {
                "défavorable"
            },
            text("motivation")
        ),
        EventKind::DossierReturned => text("message"),
        EventKind::DossierDecided => format!("{} : {}", text("decision"), text("motivation")),
        EventKind::DossierPublished => format!(
            "décret du {}, {}",
            text("decree_date"),
            text("jo_reference")
        ),
        EventKind::AwardReceived => text("reception_date"),
        EventKind::PieceAttached
        | EventKind::PieceRemoved
        | EventKind::PieceScanned
        | EventKind::PieceQuarantined => text("label"),
        // The fingerprint that proves which document went to the grand chancelier.
        EventKind::MemoireEstablished => format!("SHA-256 {}", text("sha256")),
        EventKind::DuplicateReviewed => {
            let verdict = ReviewVerdict::parse(&text("verdict"))
                .map_or("", ReviewVerdict::label_fr)
                .to_owned();
            match text("note") {
                note if note.is_empty() => verdict,
                note => format!("{verdict} : {note}"),
            }
        }
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
                verdict: o.verdict.label_fr(),
                favorable: o.verdict == OpinionVerdict::Favorable,
                motivation: o.motivation.clone(),
                level: unit(o.level),
                at: fr_date(napoleon_kernel::paris_date(o.at)),
            })
            .collect(),
        timeline: f
            .timeline
            .iter()
            .map(|e| EventView {
                at: e.at.format("%d/%m/%Y %H:%M").to_string(),
                actor: e.actor.expose().clone(),
                what: event_label(e.kind).to_owned(),
                detail: event_detail(e.kind, &e.payload),
            })
            .collect(),
        held_by_me: f.holder == Some(identity.agent),
        may_take: f.may.take,
        may_opine: f.may.opine,
        may_transmit: f.may.transmit,
        may_establish_memoire: f.may.establish_memoire,
        may_return: f.may.give_back,
        verdict_error: error("verdict"),
        motivation_error: error("motivation"),
        message_error: error("message"),
        errors,
        verdict_input: input.0.to_owned(),
        motivation_input: input.1.to_owned(),
        message_input: input.2.to_owned(),
        notice,
        pieces: piece_rows(f),
        duplicates: duplicates_view(f),
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
    let f = domain::file(
        &ctx,
        &identity,
        id,
        Some(napoleon_db::readlog::ReadChannel::Page),
    )
    .await?;
    let notice = match q.fait.as_str() {
        "pris" => Some("Vous avez pris en charge ce dossier.".to_owned()),
        "avis" => Some("Votre avis est enregistré.".to_owned()),
        "valide" => Some("Le dossier est validé et transmis au ministère.".to_owned()),
        "renvoye" => Some("Le dossier est renvoyé au service déposant pour complément.".to_owned()),
        "doublon" => Some("Votre examen du doublon possible est enregistré.".to_owned()),
        "memoire" => Some(
            "Le mémoire de proposition définitif est établi : il figure parmi les pièces jointes, \
             téléchargeable dès son analyse antivirus."
                .to_owned(),
        ),
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
    // A refused act shows the dossier page again with the refusal, under the refusal's own
    // status (422 for the fields, 409 for the state), so clients and tests see it refused.
    let (status, errors) = match result {
        Ok(()) => {
            return Ok(
                Redirect::to(&format!("/instruction/dossiers/{id}?fait={done}")).into_response(),
            );
        }
        Err(ActionError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        // A conflict names no field: the summary shows it as the action's, with no link.
        Err(ActionError::Conflict(c)) => (
            StatusCode::CONFLICT,
            vec![FieldError::new("action", c.message())],
        ),
        Err(e) => return Err(e.into()),
    };
    // The page is shown again, the candidate's data with it: a read like any other.
    let f = domain::file(
        ctx,
        identity,
        id,
        Some(napoleon_db::readlog::ReadChannel::Page),
    )
    .await?;
    let mut page = render(ctx, identity, &f, errors, input, None)?;
    *page.status_mut() = status;
    Ok(page)
}

pub(crate) async fn take(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
) -> WebResult<Response> {
    let result = domain::take(&ctx, &identity, id).await;
    after(&ctx, &identity, id, result, "pris", ("", "", "")).await
}

pub(crate) async fn opine(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
    // The form posts the API's fields: one input type for both doors.
    Form(input): Form<OpinionInput>,
) -> WebResult<Response> {
    let result = domain::opine(&ctx, &identity, id, &input).await;
    after(
        &ctx,
        &identity,
        id,
        result,
        "avis",
        (&input.verdict, &input.motivation, ""),
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

pub(crate) async fn review_duplicate(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
    Form(form): Form<ReviewForm>,
) -> WebResult<Response> {
    let result = domain::review_duplicate(&ctx, &identity, id, &form).await;
    after(&ctx, &identity, id, result, "doublon", ("", "", "")).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opinion_event_reads_its_verdict_and_motivation() {
        let detail = |verdict: &str| {
            event_detail(
                EventKind::DossierOpinionGiven,
                &serde_json::json!({"verdict": verdict, "motivation": "Parcours exemplaire."}),
            )
        };
        assert_eq!(detail("favorable"), "favorable : Parcours exemplaire.");
        assert_eq!(detail("defavorable"), "défavorable : Parcours exemplaire.");
    }

    #[test]
    fn events_have_french_labels() {
        assert_eq!(event_label(EventKind::DossierTaken), "Pris en charge");
        assert_eq!(
            event_label(EventKind::DossierTransmitted),
            "Validé et transmis au ministère"
        );
        // An event of no dossier's timeline (a tenant's creation) reads as an event.
        assert_eq!(event_label(EventKind::TenantCreated), "Événement");
    }
}
