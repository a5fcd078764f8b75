//! The view model of a step page: every input built from the form's named field table, the
//! eligibility verdict and the summary of the last step.

use napoleon_pieces::ScanState;
use napoleon_rules::content::form::{self, FormField};
use napoleon_rules::content::{CAREER_KINDS, CareerPeriod, HeldDistinction, Step};
use napoleon_rules::dossier::DossierState;
use napoleon_rules::{Severity, VerdictKind, fr_date};
use napoleon_web::{FieldError, Group};
use serde::Serialize;

use super::Choice;
use super::step::{CAREER, DISTINCTIONS};
use crate::domain;
use crate::store::pieces::Attachment;

/// Above a dossier's possible duplicates, in intake (the last step, the receipt).
pub(super) const DUPLICATES_INTRO: &str = "Cette personne figure peut-être déjà dans un autre \
    dossier ou au registre. Vérifiez-le avec le service concerné : ce signalement n'empêche pas \
    le dépôt, et le service instructeur le verra aussi.";

/// A size as a page says it: « 312 ko », « 4,2 Mo ».
fn size_fr(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        format!("{} ko", bytes.div_ceil(1024))
    } else {
        let tenths = (bytes * 10).div_ceil(1024 * 1024);
        format!("{},{} Mo", tenths / 10, tenths % 10)
    }
}

/// The view of every piece of the dossier: by kind, the others, and the history.
fn piece_view(review: &domain::Review, p: &Attachment) -> PieceView {
    let id = review.dossier.id;
    let readable = review.readable_codes.contains(&p.code);
    let label = napoleon_rules::piece_label(
        review.catalogue.distinction(&review.campaign.distinction),
        &p.code,
    );
    PieceView {
        id: p.id.to_string(),
        name: p.name.expose().clone(),
        kind: p.kind.label_fr(),
        size: size_fr(p.size),
        state: p.scan.label_fr(),
        clean: p.scan == ScanState::Clean,
        pending: p.scan == ScanState::Pending,
        infected: p.scan == ScanState::Infected,
        href: (readable && p.scan == ScanState::Clean)
            .then(|| format!("/intake/dossiers/{id}/pieces/{}", p.id)),
        restricted: !readable,
        remove: (review.may_edit && p.current() && review.dossier.state == DossierState::Draft)
            .then(|| format!("/intake/dossiers/{id}/pieces/{}/retirer", p.id)),
        label,
        uploaded_on: fr_date(napoleon_kernel::paris_date(p.uploaded_at)),
        withdrawn_on: p
            .withdrawn_at
            .map(|w| fr_date(napoleon_kernel::paris_date(w))),
    }
}

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

/// The candidate step's inputs, by name (the template names each one).
#[derive(Serialize)]
struct CandidateFields {
    birth_name: Field,
    usual_name: Field,
    given_names: Field,
    sex: SelectField,
    birth_date: Field,
    birth_place: Field,
    nationality: Field,
    french_since: Field,
    residence_department: Field,
}

#[derive(Serialize)]
pub(super) struct StepView {
    id: String,
    /// The version the page shows: its save names it (a save by someone else in between is
    /// refused, what was typed kept).
    version: i32,
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
    /// The possible duplicates (the last step only).
    duplicates: napoleon_web::DuplicatesView,
    candidate_fields: CandidateFields,
    career_rows: Vec<CareerRowView>,
    held_rows: Vec<HeldRowView>,
    target_grade: SelectField,
    motifs: Field,
    criminal_record: Field,
    verdict: VerdictView,
    summary: Summary,
    complement: bool,
    previous: Option<String>,
    /// The « Pièces jointes » step.
    pieces_step: bool,
    pieces_step_number: usize,
    step_count: usize,
    /// A draft (pieces are added and removed; under complement they are replaced).
    draft: bool,
    /// The summary's errors, each linking to its field (on its own step from the last one).
    error_links: Vec<ErrorLink>,
    /// What the last upload or removal did.
    pub(super) pieces_notice: Option<String>,
    /// One block per kind of piece the catalogue asks of this dossier.
    requirements: Vec<RequirementView>,
    /// Pieces attached for a kind the catalogue no longer asks (kept, listed apart).
    other_pieces: Vec<PieceView>,
    /// Withdrawn pieces (replaced or removed), oldest first.
    history: Vec<PieceView>,
    /// The recap's list of current pieces.
    pieces_summary: Vec<PieceView>,
    /// The largest file accepted, in MB.
    max_file_mb: u64,
    /// The most a dossier's pieces weigh together, in MB.
    max_dossier_mb: u64,
    accepted_types: &'static str,
}

#[derive(Serialize)]
struct ErrorLink {
    message: String,
    href: Option<String>,
}

#[derive(Serialize, Clone)]
struct PieceView {
    id: String,
    name: String,
    kind: &'static str,
    size: String,
    state: &'static str,
    clean: bool,
    pending: bool,
    infected: bool,
    /// The download link, when the agent may open it and it was found clean.
    href: Option<String>,
    /// Its content is reserved to the instruction units.
    restricted: bool,
    /// The removal form's action (a draft the agent edits).
    remove: Option<String>,
    /// The kind's label (history and recap).
    label: String,
    uploaded_on: String,
    withdrawn_on: Option<String>,
}

#[derive(Serialize)]
struct RequirementView {
    /// The anchor the summary's errors link to (`pieces-b2`).
    anchor: String,
    code: String,
    label: String,
    hint: String,
    article: Option<String>,
    required: bool,
    restricted: bool,
    /// Its error (missing, refused file).
    error: Option<String>,
    current: Vec<PieceView>,
}

/// The input of `spec` named `id` (its own name, or `career-0-from` in a row).
fn field(spec: &FormField, id: &str, value: &str, errors: &[FieldError]) -> Field {
    Field {
        id: id.to_owned(),
        label: spec.label.to_owned(),
        hint: spec.hint.to_owned(),
        value: value.to_owned(),
        error: error_of(errors, id),
        kind: spec.kind.input(),
        autocomplete: spec.autocomplete,
        required: spec.required,
    }
}

/// The list of `spec` named `id`, with « — Choisir — » first.
fn select(
    spec: &FormField,
    id: &str,
    value: &str,
    options: &[(String, String)],
    errors: &[FieldError],
) -> SelectField {
    SelectField {
        id: id.to_owned(),
        label: spec.label.to_owned(),
        error: error_of(errors, id),
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
        required: spec.required,
    }
}

fn error_of(errors: &[FieldError], id: &str) -> Option<String> {
    errors
        .iter()
        .find(|e| e.field == id)
        .map(|e| e.message.clone())
}

/// A repeated row's input name: `career-0-from`.
fn row_id(group: &Group, i: usize, spec: &FormField) -> String {
    format!("{}-{i}-{}", group.prefix, spec.name)
}

pub(super) fn step_view(
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
            .map(HeldDistinction::summary)
            .collect(),
        motifs: c.motifs.clone(),
        criminal_record: c.criminal_record_issued_on.clone(),
        grade: own_grades
            .iter()
            .find(|(code, _)| code == d.target_grade.as_str())
            .map_or_else(|| d.target_grade.to_string(), |(_, l)| l.clone()),
    };
    let requirements: Vec<RequirementView> = review
        .requirements
        .iter()
        .map(|r| {
            let anchor = format!("pieces-{}", r.code);
            RequirementView {
                error: error_of(e, &anchor),
                anchor,
                code: r.code.to_string(),
                label: r.label.clone(),
                hint: r.hint.clone().unwrap_or_default(),
                article: r.article.as_ref().map(ToString::to_string),
                required: r.required,
                restricted: !review.readable_codes.contains(&r.code),
                current: review
                    .pieces
                    .iter()
                    .filter(|p| p.current() && p.code == r.code)
                    .map(|p| piece_view(review, p))
                    .collect(),
            }
        })
        .collect();
    let other_pieces = review
        .pieces
        .iter()
        .filter(|p| p.current() && !review.requirements.iter().any(|r| r.code == p.code))
        .map(|p| piece_view(review, p))
        .collect();
    let history = review
        .pieces
        .iter()
        .filter(|p| !p.current())
        .map(|p| piece_view(review, p))
        .collect();
    let pieces_summary = review
        .pieces
        .iter()
        .filter(|p| p.current())
        .map(|p| piece_view(review, p))
        .collect();
    let n = step.number();
    let error_links = errors
        .iter()
        .map(|err| ErrorLink {
            message: err.message.clone(),
            href: match err.field.as_str() {
                "depot" | "version" => None,
                field if step == Step::Review => Some(format!(
                    "/intake/dossiers/{id}/etape/{}#{field}",
                    napoleon_rules::content::step_of(field).number()
                )),
                field => Some(format!("#{field}")),
            },
        })
        .collect();
    StepView {
        pieces_step: step == Step::Pieces,
        pieces_step_number: Step::Pieces.number(),
        step_count: Step::ALL.len(),
        draft: d.state == DossierState::Draft,
        error_links,
        pieces_notice: None,
        requirements,
        other_pieces,
        history,
        pieces_summary,
        max_file_mb: napoleon_pieces::Bounds::default().max_bytes / (1024 * 1024),
        max_dossier_mb: domain::DOSSIER_BYTES / (1024 * 1024),
        accepted_types: napoleon_pieces::ACCEPTED_FR,
        id: id.clone(),
        version: d.version,
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
        duplicates: napoleon_web::DuplicatesView {
            intro: DUPLICATES_INTRO,
            // Read for the last step only (`step::extras_for`).
            rows: review.duplicates.clone(),
            review_action: None,
            // The last step is a draft's: no other ministry is asked about a draft.
            other_ministry: None,
        },
        candidate_fields: {
            let c = &c.candidate;
            let text = |spec: &FormField, value: &str| field(spec, spec.name, value, e);
            CandidateFields {
                birth_name: text(&form::BIRTH_NAME, &c.birth_name),
                usual_name: text(&form::USUAL_NAME, &c.usual_name),
                given_names: text(&form::GIVEN_NAMES, &c.given_names),
                sex: select(
                    &form::SEX,
                    form::SEX.name,
                    &c.sex,
                    &[
                        ("F".to_owned(), "Femme".to_owned()),
                        ("M".to_owned(), "Homme".to_owned()),
                    ],
                    e,
                ),
                birth_date: text(&form::BIRTH_DATE, &c.birth_date),
                birth_place: text(&form::BIRTH_PLACE, &c.birth_place),
                nationality: text(&form::NATIONALITY, &c.nationality),
                french_since: text(&form::FRENCH_SINCE, &c.french_since),
                residence_department: text(&form::RESIDENCE_DEPARTMENT, &c.residence_department),
            }
        },
        career_rows: career
            .iter()
            .enumerate()
            .map(|(i, p)| CareerRowView {
                n: i + 1,
                from: field(
                    &form::CAREER_FROM,
                    &row_id(&CAREER, i, &form::CAREER_FROM),
                    &p.from,
                    e,
                ),
                to: field(
                    &form::CAREER_TO,
                    &row_id(&CAREER, i, &form::CAREER_TO),
                    &p.to,
                    e,
                ),
                kind: select(
                    &form::CAREER_KIND,
                    &row_id(&CAREER, i, &form::CAREER_KIND),
                    &p.kind,
                    &kinds,
                    e,
                ),
                position: field(
                    &form::CAREER_POSITION,
                    &row_id(&CAREER, i, &form::CAREER_POSITION),
                    &p.position,
                    e,
                ),
            })
            .collect(),
        held_rows: held
            .iter()
            .enumerate()
            .map(|(i, x)| HeldRowView {
                n: i + 1,
                distinction: select(
                    &form::HELD_DISTINCTION,
                    &row_id(&DISTINCTIONS, i, &form::HELD_DISTINCTION),
                    &x.distinction,
                    &distinctions,
                    e,
                ),
                grade: select(
                    &form::HELD_GRADE,
                    &row_id(&DISTINCTIONS, i, &form::HELD_GRADE),
                    &x.grade,
                    &grades,
                    e,
                ),
                decreed_on: field(
                    &form::HELD_DECREED_ON,
                    &row_id(&DISTINCTIONS, i, &form::HELD_DECREED_ON),
                    &x.decreed_on,
                    e,
                ),
                received_on: field(
                    &form::HELD_RECEIVED_ON,
                    &row_id(&DISTINCTIONS, i, &form::HELD_RECEIVED_ON),
                    &x.received_on,
                    e,
                ),
            })
            .collect(),
        target_grade: select(
            &form::TARGET_GRADE,
            form::TARGET_GRADE.name,
            d.target_grade.as_str(),
            &own_grades,
            e,
        ),
        motifs: field(&form::MOTIFS, form::MOTIFS.name, &c.motifs, e),
        verdict,
        summary,
        complement: state == Some(DossierState::ComplementRequested),
        previous: Step::from_number(n.saturating_sub(1))
            .map(|s| format!("/intake/dossiers/{id}/etape/{}", s.number())),
        criminal_record: field(
            &form::CRIMINAL_RECORD,
            form::CRIMINAL_RECORD.name,
            &c.criminal_record_issued_on,
            e,
        ),
        errors,
    }
}
