//! A nomination dossier's content: what the rédacteur types, kept exactly as typed (a draft
//! may be incomplete or wrong: nothing typed is ever lost), and its parsing into checked
//! values step by step, with French messages naming each faulty field.
//!
//! The stored JSON (`intake.dossiers.content`, read by other services through
//! `intake.dossiers_v1`) is this module's [`Content`]; its field names are the contract. It
//! lives with the rules because every service that shows a dossier also shows its
//! eligibility, from the same mapping ([`case_json`]).

pub mod form;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One invalid field of the form, in French.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name (`birth_date`, `career-1-from`…).
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl FieldError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Everything the dossier says about the candidate and the proposal.
#[derive(Serialize, Deserialize, Clone, Default, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Content {
    /// Identity.
    pub candidate: Candidate,
    /// Career periods, most recent first or in any order.
    pub career: Vec<CareerPeriod>,
    /// Distinctions already held.
    pub distinctions: Vec<HeldDistinction>,
    /// Exposé des motifs.
    pub motifs: String,
    /// Date of the bulletin n° 2 extract of the criminal record (R29), `YYYY-MM-DD`.
    pub criminal_record_issued_on: String,
}

/// The candidate's identity (personal data: never logged).
#[derive(Serialize, Deserialize, Clone, Default, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Candidate {
    /// Nom de naissance.
    pub birth_name: String,
    /// Nom d'usage (may be empty).
    pub usual_name: String,
    /// Prénoms, in civil-status order.
    pub given_names: String,
    /// `F` or `M`, as in civil status.
    pub sex: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// Commune (and country when abroad).
    pub birth_place: String,
    /// ISO 3166-1 alpha-2 code (`FR`).
    pub nationality: String,
    /// `YYYY-MM-DD`, for those who acquired French nationality (years count from it, R24).
    pub french_since: String,
    /// Département de résidence (`69`, `2A`, `974`…): it decides the competent préfecture.
    pub residence_department: String,
}

/// One period of the career.
#[derive(Serialize, Deserialize, Clone, Default, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct CareerPeriod {
    /// `YYYY-MM-DD`.
    pub from: String,
    /// `YYYY-MM-DD`, empty while ongoing.
    pub to: String,
    /// `public`, `private`, `elected`, `volunteer` or `military`.
    pub kind: String,
    /// Fonction et employeur.
    pub position: String,
}

/// One distinction the candidate holds.
#[derive(Serialize, Deserialize, Clone, Default, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct HeldDistinction {
    /// Catalogue code (`ONM`).
    pub distinction: String,
    /// Grade code (`chevalier`).
    pub grade: String,
    /// Decree date, `YYYY-MM-DD` (optional).
    pub decreed_on: String,
    /// Réception (prise de rang), `YYYY-MM-DD`: durations count from it (R33, R48).
    pub received_on: String,
}

// Personal data: `Debug` never shows it (architecture invariant 7).
macro_rules! masked_debug {
    ($($t:ty),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), "(********)"))
            }
        }
    )*};
}
masked_debug!(Content, Candidate, CareerPeriod, HeldDistinction);

impl CareerPeriod {
    fn is_blank(&self) -> bool {
        self.from.trim().is_empty() && self.to.trim().is_empty() && self.position.trim().is_empty()
    }
}

impl HeldDistinction {
    /// « ONM chevalier — décret du 14/11/2008 — réception le 02/02/2009 », as a dossier's
    /// summary and its mémoire list it (dates as typed).
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "{} {} — décret du {} — réception le {}",
            self.distinction, self.grade, self.decreed_on, self.received_on
        )
    }

    fn is_blank(&self) -> bool {
        self.distinction.trim().is_empty()
            && self.grade.trim().is_empty()
            && self.decreed_on.trim().is_empty()
            && self.received_on.trim().is_empty()
    }
}

/// The form's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// « Candidat ».
    Candidate,
    /// « Carrière ».
    Career,
    /// « Distinctions détenues ».
    Distinctions,
    /// « Proposition » (grade and motifs).
    Proposal,
    /// « Pièces jointes »: the documents the catalogue asks for (not part of the content:
    /// stored apart, checked at submission by intake).
    Pieces,
    /// « Vérification et dépôt ».
    Review,
}

impl Step {
    /// Every step.
    pub const ALL: [Self; 6] = [
        Self::Candidate,
        Self::Career,
        Self::Distinctions,
        Self::Proposal,
        Self::Pieces,
        Self::Review,
    ];

    /// 1-based number, as in the URL.
    #[must_use]
    pub fn number(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0) + 1
    }

    /// From the URL's number.
    #[must_use]
    pub fn from_number(n: usize) -> Option<Self> {
        n.checked_sub(1).and_then(|i| Self::ALL.get(i).copied())
    }

    /// The step's title.
    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::Candidate => "Candidat",
            Self::Career => "Carrière",
            Self::Distinctions => "Distinctions détenues",
            Self::Proposal => "Proposition",
            Self::Pieces => "Pièces jointes",
            Self::Review => "Vérification et dépôt",
        }
    }
}

/// The kinds of career period, with their French labels (the rules engine's `ServiceKind`).
pub const CAREER_KINDS: [(&str, &str); 5] = [
    ("public", "Service public"),
    ("private", "Activité privée"),
    ("elected", "Mandat électif"),
    ("volunteer", "Bénévolat"),
    ("military", "Service militaire"),
];

/// The career's columns as every import template documents them, once for their `periods`
/// periods: header (« Carrière N début »), required, what it holds.
#[must_use]
pub fn career_column_help(periods: usize) -> [(String, bool, &'static str); 4] {
    let numbers = (1..=periods)
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    [
        (
            format!("Carrière N début (N = {numbers})"),
            false,
            "JJ/MM/AAAA",
        ),
        (
            "Carrière N fin".to_owned(),
            false,
            "JJ/MM/AAAA, vide pour une période en cours",
        ),
        (
            "Carrière N nature".to_owned(),
            false,
            "Service public, Activité privée, Mandat électif, Bénévolat ou Service militaire",
        ),
        (
            "Carrière N fonction".to_owned(),
            false,
            "Fonction et employeur",
        ),
    ]
}

fn date(
    errors: &mut Vec<FieldError>,
    field: &str,
    label: &str,
    value: &str,
    required: bool,
) -> Option<NaiveDate> {
    let value = value.trim();
    if value.is_empty() {
        if required {
            errors.push(FieldError::new(
                field,
                format!("{label} : saisissez une date (jj/mm/aaaa)."),
            ));
        }
        return None;
    }
    let parsed = crate::parse_typed_date(value);
    if parsed.is_none() {
        errors.push(FieldError::new(
            field,
            format!("{label} : « {value} » n'est pas une date valide (jj/mm/aaaa)."),
        ));
    }
    parsed
}

fn required(errors: &mut Vec<FieldError>, field: &str, label: &str, value: &str) {
    if value.trim().is_empty() {
        errors.push(FieldError::new(
            field,
            format!("{label} : ce champ est obligatoire."),
        ));
    }
}

/// Checks one step; the messages name the fields as the form does.
#[must_use]
pub fn check_step(content: &Content, step: Step, today: NaiveDate) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match step {
        Step::Candidate => {
            let c = &content.candidate;
            required(
                &mut errors,
                form::BIRTH_NAME.name,
                form::BIRTH_NAME.label,
                &c.birth_name,
            );
            required(
                &mut errors,
                form::GIVEN_NAMES.name,
                form::GIVEN_NAMES.label,
                &c.given_names,
            );
            if !matches!(c.sex.as_str(), "F" | "M") {
                errors.push(FieldError::new(
                    "sex",
                    "Sexe : choisissez « Femme » ou « Homme ».",
                ));
            }
            if let Some(born) = date(
                &mut errors,
                form::BIRTH_DATE.name,
                form::BIRTH_DATE.label,
                &c.birth_date,
                true,
            ) && born >= today
            {
                errors.push(FieldError::new(
                    "birth_date",
                    "Date de naissance : elle doit être passée.",
                ));
            }
            required(
                &mut errors,
                form::BIRTH_PLACE.name,
                form::BIRTH_PLACE.label,
                &c.birth_place,
            );
            let nationality = c.nationality.trim();
            if nationality.len() != 2 || !nationality.chars().all(|ch| ch.is_ascii_uppercase()) {
                errors.push(FieldError::new(
                    "nationality",
                    "Nationalité : saisissez le code pays en deux lettres majuscules (FR).",
                ));
            }
            date(
                &mut errors,
                form::FRENCH_SINCE.name,
                form::FRENCH_SINCE.label,
                &c.french_since,
                false,
            );
            let dept = c.residence_department.trim();
            let valid_dept = matches!(dept.len(), 2 | 3)
                && (dept.chars().all(|ch| ch.is_ascii_digit()) || dept == "2A" || dept == "2B");
            if !valid_dept {
                errors.push(FieldError::new(
                    "residence_department",
                    "Département de résidence : saisissez son numéro (69, 2A, 974).",
                ));
            }
        }
        Step::Career => {
            let periods: Vec<_> = content.career.iter().filter(|p| !p.is_blank()).collect();
            if periods.is_empty() {
                errors.push(FieldError::new(
                    "career-0-from",
                    "Carrière : décrivez au moins une période (date de début, nature et fonction).",
                ));
            }
            for (i, p) in content.career.iter().enumerate() {
                if p.is_blank() {
                    continue;
                }
                let n = i + 1;
                let from = date(
                    &mut errors,
                    &format!("career-{i}-from"),
                    &format!("Période {n}, début"),
                    &p.from,
                    true,
                );
                let to = date(
                    &mut errors,
                    &format!("career-{i}-to"),
                    &format!("Période {n}, fin"),
                    &p.to,
                    false,
                );
                if let (Some(from), Some(to)) = (from, to)
                    && to < from
                {
                    errors.push(FieldError::new(
                        format!("career-{i}-to"),
                        format!("Période {n}, fin : elle précède le début."),
                    ));
                }
                if !CAREER_KINDS.iter().any(|(k, _)| *k == p.kind) {
                    errors.push(FieldError::new(
                        format!("career-{i}-kind"),
                        format!("Période {n}, nature : choisissez une nature de service."),
                    ));
                }
                required(
                    &mut errors,
                    &format!("career-{i}-position"),
                    &format!("Période {n}, fonction et employeur"),
                    &p.position,
                );
            }
        }
        Step::Distinctions => {
            for (i, d) in content.distinctions.iter().enumerate() {
                if d.is_blank() {
                    continue;
                }
                let n = i + 1;
                required(
                    &mut errors,
                    &format!("distinctions-{i}-distinction"),
                    &format!("Distinction {n}"),
                    &d.distinction,
                );
                required(
                    &mut errors,
                    &format!("distinctions-{i}-grade"),
                    &format!("Distinction {n}, grade"),
                    &d.grade,
                );
                date(
                    &mut errors,
                    &format!("distinctions-{i}-decreed_on"),
                    &format!("Distinction {n}, date du décret"),
                    &d.decreed_on,
                    false,
                );
                date(
                    &mut errors,
                    &format!("distinctions-{i}-received_on"),
                    &format!("Distinction {n}, date de réception"),
                    &d.received_on,
                    true,
                );
            }
        }
        Step::Proposal => {
            let motifs = content.motifs.trim();
            if motifs.chars().count() < 20 {
                errors.push(FieldError::new(
                    form::MOTIFS.name,
                    format!(
                        "{} : décrivez les mérites du candidat (20 caractères au moins).",
                        form::MOTIFS.label
                    ),
                ));
            }
            if motifs.chars().count() > 10_000 {
                errors.push(FieldError::new(
                    form::MOTIFS.name,
                    format!("{} : 10 000 caractères au plus.", form::MOTIFS.label),
                ));
            }
            date(
                &mut errors,
                form::CRIMINAL_RECORD.name,
                form::CRIMINAL_RECORD.label,
                &content.criminal_record_issued_on,
                true,
            );
        }
        Step::Pieces | Step::Review => {}
    }
    errors
}

/// Career periods a dossier may hold: far beyond a real career, and small enough that no
/// request can make the server build, store or check more.
pub const MAX_CAREER_PERIODS: usize = 40;

/// Distinctions held that a dossier may list.
pub const MAX_HELD_DISTINCTIONS: usize = 20;

/// Characters of one short field (names, places, dates, codes, a position).
pub const MAX_FIELD_CHARS: usize = 500;

/// Characters of the exposé des motifs a draft may keep. Submission accepts 10 000; a
/// longer draft is kept so that nothing typed is lost, up to this bound.
pub const MAX_DRAFT_MOTIFS_CHARS: usize = 20_000;

/// What no draft may exceed, whatever step it is at: row counts and field lengths. A draft
/// out of these bounds is not saved (a page cannot produce one; the API gets a 422).
#[must_use]
pub fn check_bounds(content: &Content) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if content.career.len() > MAX_CAREER_PERIODS {
        errors.push(FieldError::new(
            "career",
            format!("Carrière : {MAX_CAREER_PERIODS} périodes au plus."),
        ));
    }
    if content.distinctions.len() > MAX_HELD_DISTINCTIONS {
        errors.push(FieldError::new(
            "distinctions",
            format!("Distinctions détenues : {MAX_HELD_DISTINCTIONS} distinctions au plus."),
        ));
    }
    let c = &content.candidate;
    let mut short: Vec<(String, &str, &str)> = vec![
        ("birth_name".into(), "Nom de naissance", &c.birth_name),
        ("usual_name".into(), "Nom d'usage", &c.usual_name),
        ("given_names".into(), "Prénoms", &c.given_names),
        ("sex".into(), "Sexe", &c.sex),
        ("birth_date".into(), "Date de naissance", &c.birth_date),
        ("birth_place".into(), "Lieu de naissance", &c.birth_place),
        ("nationality".into(), "Nationalité", &c.nationality),
        ("french_since".into(), "Français depuis", &c.french_since),
        (
            "residence_department".into(),
            "Département de résidence",
            &c.residence_department,
        ),
        (
            "criminal_record_issued_on".into(),
            "Date de l'extrait de casier judiciaire",
            &content.criminal_record_issued_on,
        ),
    ];
    for (i, p) in content.career.iter().take(MAX_CAREER_PERIODS).enumerate() {
        short.push((format!("career-{i}-from"), "Carrière, début", &p.from));
        short.push((format!("career-{i}-to"), "Carrière, fin", &p.to));
        short.push((format!("career-{i}-kind"), "Carrière, nature", &p.kind));
        short.push((
            format!("career-{i}-position"),
            "Carrière, fonction",
            &p.position,
        ));
    }
    for (i, d) in content
        .distinctions
        .iter()
        .take(MAX_HELD_DISTINCTIONS)
        .enumerate()
    {
        short.push((
            format!("distinctions-{i}-distinction"),
            "Distinction",
            &d.distinction,
        ));
        short.push((
            format!("distinctions-{i}-grade"),
            "Distinction, grade",
            &d.grade,
        ));
        short.push((
            format!("distinctions-{i}-decreed_on"),
            "Distinction, date du décret",
            &d.decreed_on,
        ));
        short.push((
            format!("distinctions-{i}-received_on"),
            "Distinction, date de réception",
            &d.received_on,
        ));
    }
    for (field, label, value) in short {
        // `len` first: a short byte length needs no character count.
        if value.len() > MAX_FIELD_CHARS && value.chars().count() > MAX_FIELD_CHARS {
            errors.push(FieldError::new(
                field,
                format!("{label} : {MAX_FIELD_CHARS} caractères au plus."),
            ));
        }
    }
    if content.motifs.len() > MAX_DRAFT_MOTIFS_CHARS
        && content.motifs.chars().count() > MAX_DRAFT_MOTIFS_CHARS
    {
        errors.push(FieldError::new(
            "motifs",
            format!("Exposé des motifs : {MAX_DRAFT_MOTIFS_CHARS} caractères au plus."),
        ));
    }
    errors
}

/// Every step's errors, in order (submission needs none).
#[must_use]
pub fn check_all(content: &Content, today: NaiveDate) -> Vec<FieldError> {
    Step::ALL
        .into_iter()
        .flat_map(|s| check_step(content, s, today))
        .collect()
}

/// The first step with an error on `field` (to link the summary to it).
#[must_use]
pub fn step_of(field: &str) -> Step {
    if field.starts_with("career") {
        Step::Career
    } else if field.starts_with("pieces") {
        Step::Pieces
    } else if field.starts_with("distinctions") {
        Step::Distinctions
    } else if matches!(
        field,
        "motifs" | "criminal_record_issued_on" | "target_grade"
    ) {
        Step::Proposal
    } else {
        Step::Candidate
    }
}

fn iso(value: &str) -> Option<String> {
    crate::parse_typed_date(value).map(|d| d.format("%Y-%m-%d").to_string())
}

/// The eligibility verdict of this content for `grade` of `distinction` at the promotion
/// date: the typed mapping every service uses (the case built by [`case_json`], checked and
/// evaluated by the engine), or the engine's input error naming the field.
///
/// # Errors
/// [`crate::CaseError`] when the case does not hold together (a code not in the catalogue…).
pub fn verdict(
    catalogue: &crate::Catalogue,
    content: &Content,
    distinction: &crate::DistinctionCode,
    grade: &crate::GradeCode,
    promotion_date: NaiveDate,
) -> Result<crate::Verdict, crate::CaseError> {
    let case = case_json(
        content,
        distinction.as_str(),
        grade.as_str(),
        promotion_date,
    );
    let case = crate::parse_case_value(catalogue, case)?;
    Ok(crate::evaluate(catalogue, &case))
}

/// The eligibility case (`docs/rules.md`) for this content: valid parts only (the engine says
/// what is missing).
#[must_use]
pub fn case_json(
    content: &Content,
    distinction: &str,
    grade: &str,
    promotion_date: NaiveDate,
) -> serde_json::Value {
    let c = &content.candidate;
    let services: Vec<_> = content
        .career
        .iter()
        .filter(|p| !p.is_blank() && CAREER_KINDS.iter().any(|(k, _)| *k == p.kind))
        .filter_map(|p| {
            Some(serde_json::json!({"from": iso(&p.from)?, "to": iso(&p.to), "kind": p.kind}))
        })
        .collect();
    let awards: Vec<_> = content
        .distinctions
        .iter()
        .filter(|d| !d.is_blank())
        .filter_map(|d| {
            Some(serde_json::json!({
                "distinction": d.distinction.trim().to_uppercase(),
                "grade": d.grade.trim(),
                "decreed_on": iso(&d.decreed_on),
                "received_on": iso(&d.received_on)?,
            }))
        })
        .collect();
    let nationality = c.nationality.trim();
    serde_json::json!({
        "distinction": distinction,
        "grade": grade,
        "assessed_on": promotion_date.format("%Y-%m-%d").to_string(),
        "candidate": {
            "birth_date": iso(&c.birth_date),
            "nationality": (nationality.len() == 2).then(|| nationality.to_owned()),
            "french_since": iso(&c.french_since),
            "deceased_on": null,
            "services": services,
            "awards": awards,
            "mandates": [],
        },
        "proposal": {
            "route": "normal",
            "criminal_record_issued_on": iso(&content.criminal_record_issued_on),
        },
    })
}

impl Content {
    /// « NOM Prénoms » for lists (usual name first when given).
    #[must_use]
    pub fn display_name(&self) -> String {
        self.candidate.display_name()
    }
}

/// The candidate's fields as other services read them from stored JSON: every field
/// optional, unknown fields ignored (a newer writer may add some).
#[derive(Deserialize, Default)]
#[serde(default)]
struct StoredCandidate {
    birth_name: Option<String>,
    usual_name: Option<String>,
    given_names: Option<String>,
    sex: Option<String>,
    birth_date: Option<String>,
    birth_place: Option<String>,
    nationality: Option<String>,
    french_since: Option<String>,
    residence_department: Option<String>,
}

impl CareerPeriod {
    /// « 1982-09-01 → en cours : Ingénieure territoriale (fonction publique) », as a dossier's
    /// summary lists it (dates as typed).
    #[must_use]
    pub fn summary(&self) -> String {
        let kind = CAREER_KINDS
            .iter()
            .find(|(k, _)| *k == self.kind)
            .map_or("", |(_, l)| l);
        format!(
            "{} → {} : {} ({kind})",
            self.from,
            if self.to.is_empty() {
                "en cours"
            } else {
                &self.to
            },
            self.position
        )
    }
}

impl Candidate {
    /// The candidate of stored JSON (a dossier's `candidate`, a laureate's registry identity):
    /// what does not read as the candidate's shape reads as an unknown candidate, so a page
    /// still shows the rest.
    #[must_use]
    pub fn from_json(value: &serde_json::Value) -> Self {
        let c: StoredCandidate = serde_json::from_value(value.clone()).unwrap_or_default();
        Self {
            birth_name: c.birth_name.unwrap_or_default(),
            usual_name: c.usual_name.unwrap_or_default(),
            given_names: c.given_names.unwrap_or_default(),
            sex: c.sex.unwrap_or_default(),
            birth_date: c.birth_date.unwrap_or_default(),
            birth_place: c.birth_place.unwrap_or_default(),
            nationality: c.nationality.unwrap_or_default(),
            french_since: c.french_since.unwrap_or_default(),
            residence_department: c.residence_department.unwrap_or_default(),
        }
    }

    /// The candidate of a dossier's stored content.
    #[must_use]
    pub fn of_content(content: &serde_json::Value) -> Self {
        content
            .get("candidate")
            .map(Self::from_json)
            .unwrap_or_default()
    }

    /// « NOM Prénoms » for lists: the usual name first when given, else the birth name; empty
    /// when nothing is known.
    #[must_use]
    pub fn display_name(&self) -> String {
        let name = if self.usual_name.trim().is_empty() {
            self.birth_name.trim()
        } else {
            self.usual_name.trim()
        };
        format!("{} {}", name.to_uppercase(), self.given_names.trim())
            .trim()
            .to_owned()
    }

    /// [`Self::display_name`], or `placeholder` when nothing is known.
    #[must_use]
    pub fn display_name_or(&self, placeholder: &str) -> String {
        let name = self.display_name();
        if name.is_empty() {
            placeholder.to_owned()
        } else {
            name
        }
    }

    /// The birth date, when it is one.
    #[must_use]
    pub fn birth_date(&self) -> Option<NaiveDate> {
        crate::parse_typed_date(&self.birth_date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 1, 10).unwrap_or_default()
    }

    #[test]
    fn an_empty_draft_names_every_required_field_of_the_first_step() {
        let errors = check_step(&Content::default(), Step::Candidate, today());
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "birth_name",
                "given_names",
                "sex",
                "birth_date",
                "birth_place",
                "nationality",
                "residence_department"
            ]
        );
    }

    #[test]
    fn dates_are_read_in_both_forms_and_bad_ones_are_quoted() {
        let mut content = Content::default();
        content.career.push(CareerPeriod {
            from: "01/09/1990".to_owned(),
            to: "2031-02-30".to_owned(),
            kind: "public".to_owned(),
            position: "Professeur".to_owned(),
        });
        let errors = check_step(&content, Step::Career, today());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "career-0-to");
        assert!(
            errors[0].message.contains("« 2031-02-30 »"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn blank_rows_are_ignored_and_the_case_carries_only_valid_parts() {
        let mut content = Content::default();
        content.career.push(CareerPeriod::default());
        content.career.push(CareerPeriod {
            from: "1990-09-01".to_owned(),
            kind: "public".to_owned(),
            position: "Professeur".to_owned(),
            ..CareerPeriod::default()
        });
        let case = case_json(
            &content,
            "LH",
            "chevalier",
            NaiveDate::from_ymd_opt(2027, 7, 14).unwrap_or_default(),
        );
        assert_eq!(case["candidate"]["services"][0]["from"], "1990-09-01");
        assert_eq!(
            case["candidate"]["services"].as_array().map(Vec::len),
            Some(1)
        );
    }

    #[test]
    fn bounds_refuse_oversized_drafts_and_keep_ordinary_ones() {
        let mut c = Content::default();
        assert!(check_bounds(&c).is_empty());
        c.career = vec![CareerPeriod::default(); MAX_CAREER_PERIODS];
        c.motifs = "m".repeat(MAX_DRAFT_MOTIFS_CHARS);
        c.candidate.birth_name = "é".repeat(MAX_FIELD_CHARS);
        assert!(check_bounds(&c).is_empty(), "at the bounds is fine");
        c.career.push(CareerPeriod::default());
        c.distinctions = vec![HeldDistinction::default(); MAX_HELD_DISTINCTIONS + 1];
        c.motifs.push('m');
        c.candidate.birth_name.push('é');
        c.career[3].position = "p".repeat(MAX_FIELD_CHARS + 1);
        let fields: Vec<String> = check_bounds(&c).into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "career",
                "distinctions",
                "birth_name",
                "career-3-position",
                "motifs"
            ]
        );
    }
}
