//! The input of an evaluation and the typed errors of the JSON edge.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::catalogue::Catalogue;
use crate::codes::{CountryCode, DistinctionCode, GradeCode};
use crate::dates::{Span, next_day};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    Public,
    Private,
    Elected,
    Volunteer,
    Military,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MandateKind {
    Parliament,
    Local,
}

/// How the proposal is made.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// *À titre normal*: every condition applies.
    #[default]
    Normal,
    /// Exceptional services (LH R27, ONM R176): durations waived, never a
    /// skipped grade.
    Exceptional,
    /// Direct nomination above the first grade (LH R17 al. 2, ONM R173).
    Direct,
    /// Killed on duty (LH R26 and the medals' equivalents).
    Posthumous,
}

impl Route {
    pub const ALL: [Route; 4] = [
        Route::Normal,
        Route::Exceptional,
        Route::Direct,
        Route::Posthumous,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Route::Normal => "normal",
            Route::Exceptional => "exceptional",
            Route::Direct => "direct",
            Route::Posthumous => "posthumous",
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Route::Normal => "voie normale",
            Route::Exceptional => "voie exceptionnelle",
            Route::Direct => "nomination directe",
            Route::Posthumous => "voie posthume (mort en service)",
        }
    }
}

/// A date range, inclusive of both bounds; `to = None` means ongoing.
/// Construction refuses an end before the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    from: NaiveDate,
    to: Option<NaiveDate>,
}

impl Period {
    pub fn new(from: NaiveDate, to: Option<NaiveDate>) -> Result<Self, PeriodError> {
        match to {
            Some(to) if to < from => Err(PeriodError { from, to }),
            _ => Ok(Self { from, to }),
        }
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    pub fn to(&self) -> Option<NaiveDate> {
        self.to
    }

    /// Whether the period covers `day`.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.from <= day && self.to.is_none_or(|t| day <= t)
    }

    pub(crate) fn span(&self) -> Span {
        Span {
            start: self.from,
            end: self.to.and_then(next_day),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("fin de période ({to}) antérieure au début ({from})")]
pub struct PeriodError {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriodic<K> {
    from: NaiveDate,
    #[serde(default)]
    to: Option<NaiveDate>,
    kind: K,
}

/// A dated period of some kind: a period of service ([`Service`]) or an elected mandate
/// ([`Mandate`]). Parsed once: its end never precedes its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    try_from = "RawPeriodic<K>",
    into = "RawPeriodic<K>",
    bound(
        serialize = "K: Serialize + Clone",
        deserialize = "K: Deserialize<'de> + Copy"
    )
)]
pub struct Periodic<K> {
    period: Period,
    kind: K,
}

/// A period of service of some kind.
pub type Service = Periodic<ServiceKind>;

/// An elected mandate.
pub type Mandate = Periodic<MandateKind>;

impl<K: Copy> Periodic<K> {
    pub fn new(from: NaiveDate, to: Option<NaiveDate>, kind: K) -> Result<Self, PeriodError> {
        Ok(Self {
            period: Period::new(from, to)?,
            kind,
        })
    }

    pub fn period(&self) -> Period {
        self.period
    }

    pub fn kind(&self) -> K {
        self.kind
    }
}

impl<K: Copy> TryFrom<RawPeriodic<K>> for Periodic<K> {
    type Error = PeriodError;
    fn try_from(r: RawPeriodic<K>) -> Result<Self, Self::Error> {
        Self::new(r.from, r.to, r.kind)
    }
}

impl<K> From<Periodic<K>> for RawPeriodic<K> {
    fn from(s: Periodic<K>) -> Self {
        Self {
            from: s.period.from,
            to: s.period.to,
            kind: s.kind,
        }
    }
}

/// A distinction already held. `received_on` is the réception (prise de
/// rang): seniority in a grade runs from it, not from the decree (R33, R48).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Award {
    pub distinction: DistinctionCode,
    pub grade: GradeCode,
    #[serde(default)]
    pub decreed_on: Option<NaiveDate>,
    pub received_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    #[serde(default)]
    pub nationality: Option<CountryCode>,
    #[serde(default)]
    pub french_since: Option<NaiveDate>,
    #[serde(default)]
    pub deceased_on: Option<NaiveDate>,
    #[serde(default)]
    pub services: Vec<Service>,
    #[serde(default)]
    pub awards: Vec<Award>,
    #[serde(default)]
    pub mandates: Vec<Mandate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    #[serde(default)]
    pub route: Route,
    /// Issue date of the bulletin n° 2 extract.
    #[serde(default)]
    pub criminal_record_issued_on: Option<NaiveDate>,
    /// Date the file is sent on (to the grand chancelier for LH/ONM); the
    /// B2 must be under two months old on that day (R29).
    #[serde(default)]
    pub transmitted_on: Option<NaiveDate>,
}

/// One proposal to evaluate: a distinction and grade, at the promotion date
/// it targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub distinction: DistinctionCode,
    pub grade: GradeCode,
    /// The promotion date: rules and durations are assessed on this day.
    pub assessed_on: NaiveDate,
    pub candidate: Candidate,
    #[serde(default)]
    pub proposal: Option<Proposal>,
}

impl Case {
    pub fn route(&self) -> Route {
        self.proposal.as_ref().map(|p| p.route).unwrap_or_default()
    }
}

/// Input errors at the JSON edge. Each has a stable machine code
/// ([`CaseError::code`]) and a French message naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("JSON mal formé (ligne {line}, colonne {column}) : {problem}")]
    MalformedJson {
        line: usize,
        column: usize,
        problem: String,
    },
    #[error("champ « {field} » : doit être {expected}")]
    WrongType { field: String, expected: String },
    #[error("champ inconnu « {field} »")]
    UnknownField { field: String },
    #[error("champ obligatoire manquant « {field} »")]
    MissingField { field: String },
    #[error(
        "champ « {field} » : date invalide ou impossible « {value} » (format AAAA-MM-JJ, date existant au calendrier)"
    )]
    InvalidDate { field: String, value: String },
    #[error("champ « {field} » : valeur « {value} » invalide ; valeurs admises : {allowed}")]
    InvalidValue {
        field: String,
        value: String,
        allowed: String,
    },
    #[error("champ « {field} » : {max} éléments au plus")]
    TooManyItems { field: String, max: usize },
    #[error("champ « {field} » : distinction inconnue « {code} » ; codes connus : {known}")]
    UnknownDistinction {
        field: String,
        code: String,
        known: String,
    },
    #[error(
        "champ « {field} » : grade ou échelon inconnu « {grade} » pour la distinction {distinction} ; valeurs connues : {known}"
    )]
    UnknownGrade {
        field: String,
        distinction: String,
        grade: String,
        known: String,
    },
    #[error("champ « {field} » : date de fin {to} antérieure à la date de début {from}")]
    PeriodReversed {
        field: String,
        from: NaiveDate,
        to: NaiveDate,
    },
    #[error(
        "champ « {field} » : réception le {received_on}, antérieure au décret ou à l'arrêté du {decreed_on}"
    )]
    ReceivedBeforeDecree {
        field: String,
        decreed_on: NaiveDate,
        received_on: NaiveDate,
    },
    #[error("dossier invalide : {detail}")]
    Schema { detail: String },
}

impl CaseError {
    /// Stable machine code, for the CLI and HTTP edges.
    pub fn code(&self) -> &'static str {
        match self {
            CaseError::MalformedJson { .. } => "case.malformed_json",
            CaseError::WrongType { .. } => "case.wrong_type",
            CaseError::UnknownField { .. } => "case.unknown_field",
            CaseError::MissingField { .. } => "case.missing_field",
            CaseError::InvalidDate { .. } => "case.invalid_date",
            CaseError::InvalidValue { .. } => "case.invalid_value",
            CaseError::TooManyItems { .. } => "case.too_many_items",
            CaseError::UnknownDistinction { .. } => "case.unknown_distinction",
            CaseError::UnknownGrade { .. } => "case.unknown_grade",
            CaseError::PeriodReversed { .. } => "case.period_reversed",
            CaseError::ReceivedBeforeDecree { .. } => "case.received_before_decree",
            CaseError::Schema { .. } => "case.schema",
        }
    }

    /// The offending field, as a path like `candidate.services[0].to`.
    pub fn field(&self) -> Option<&str> {
        match self {
            CaseError::WrongType { field, .. }
            | CaseError::UnknownField { field }
            | CaseError::MissingField { field }
            | CaseError::InvalidDate { field, .. }
            | CaseError::InvalidValue { field, .. }
            | CaseError::TooManyItems { field, .. }
            | CaseError::UnknownDistinction { field, .. }
            | CaseError::UnknownGrade { field, .. }
            | CaseError::PeriodReversed { field, .. }
            | CaseError::ReceivedBeforeDecree { field, .. } => Some(field),
            CaseError::MalformedJson { .. } | CaseError::Schema { .. } => None,
        }
    }

    /// Serialisable body for an HTTP 422 or a CLI `--json` error.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.code(),
            field: self.field().map(str::to_owned),
            message: self.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    pub error: &'static str,
    pub field: Option<String>,
    pub message: String,
}

// ---- path-aware parsing -------------------------------------------------
//
// serde reports *what* is wrong but not *where* in nested arrays, and the
// users of the CLI need the exact field. The value is therefore first
// walked against a small schema that mirrors the types above; the typed
// deserialisation that follows then only fails on shapes the walk let
// through, which would be a bug, reported as `case.schema`.

#[derive(Debug, Clone, Copy)]
enum Kind {
    Date,
    Distinction,
    Grade,
    Country,
    Choice(&'static [&'static str]),
    Object(&'static [Field]),
    List(&'static [Field]),
}

#[derive(Debug, Clone, Copy)]
struct Field {
    name: &'static str,
    kind: Kind,
    required: bool,
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
    }
}

const SERVICE_KINDS: &[&str] = &["public", "private", "elected", "volunteer", "military"];
const MANDATE_KINDS: &[&str] = &["parliament", "local"];
const ROUTES: &[&str] = &["normal", "exceptional", "direct", "posthumous"];

const SERVICE: &[Field] = &[
    req("from", Kind::Date),
    opt("to", Kind::Date),
    req("kind", Kind::Choice(SERVICE_KINDS)),
];
const MANDATE: &[Field] = &[
    req("from", Kind::Date),
    opt("to", Kind::Date),
    req("kind", Kind::Choice(MANDATE_KINDS)),
];
const AWARD: &[Field] = &[
    req("distinction", Kind::Distinction),
    req("grade", Kind::Grade),
    opt("decreed_on", Kind::Date),
    req("received_on", Kind::Date),
];
const CANDIDATE: &[Field] = &[
    opt("birth_date", Kind::Date),
    opt("nationality", Kind::Country),
    opt("french_since", Kind::Date),
    opt("deceased_on", Kind::Date),
    opt("services", Kind::List(SERVICE)),
    opt("awards", Kind::List(AWARD)),
    opt("mandates", Kind::List(MANDATE)),
];
const PROPOSAL: &[Field] = &[
    opt("route", Kind::Choice(ROUTES)),
    opt("criminal_record_issued_on", Kind::Date),
    opt("transmitted_on", Kind::Date),
];
const CASE: &[Field] = &[
    req("distinction", Kind::Distinction),
    req("grade", Kind::Grade),
    req("assessed_on", Kind::Date),
    req("candidate", Kind::Object(CANDIDATE)),
    opt("proposal", Kind::Object(PROPOSAL)),
];

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    // Exactly AAAA-MM-JJ: chrono alone would accept "2027-5-1".
    let ok_shape = s.len() == 10
        && s.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            _ => c.is_ascii_digit(),
        });
    if ok_shape {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    } else {
        None
    }
}

fn as_str<'a>(v: &'a Value, path: &str) -> Result<&'a str, CaseError> {
    v.as_str().ok_or_else(|| CaseError::WrongType {
        field: path.to_owned(),
        expected: "une chaîne de caractères".to_owned(),
    })
}

fn walk_object(v: &Value, fields: &[Field], path: &str) -> Result<(), CaseError> {
    let Some(map) = v.as_object() else {
        return Err(CaseError::WrongType {
            field: if path.is_empty() {
                "(racine)".to_owned()
            } else {
                path.to_owned()
            },
            expected: "un objet JSON".to_owned(),
        });
    };
    if let Some(unknown) = map.keys().find(|k| !fields.iter().any(|f| f.name == *k)) {
        return Err(CaseError::UnknownField {
            field: join(path, unknown),
        });
    }
    for f in fields {
        let here = join(path, f.name);
        match map.get(f.name) {
            None | Some(Value::Null) if f.required => {
                return Err(CaseError::MissingField { field: here });
            }
            None | Some(Value::Null) => {}
            Some(value) => walk_value(value, f.kind, &here)?,
        }
    }
    check_period(map, path)?;
    Ok(())
}

/// Items a list of a case may hold (services, awards, mandates).
pub const MAX_LIST_ITEMS: usize = 100;

fn walk_value(v: &Value, kind: Kind, path: &str) -> Result<(), CaseError> {
    match kind {
        Kind::Date => {
            let s = as_str(v, path)?;
            if parse_date(s).is_none() {
                return Err(CaseError::InvalidDate {
                    field: path.to_owned(),
                    value: s.to_owned(),
                });
            }
        }
        Kind::Distinction => {
            let s = as_str(v, path)?;
            DistinctionCode::parse(s).map_err(|e| CaseError::InvalidValue {
                field: path.to_owned(),
                value: s.to_owned(),
                allowed: e.to_string(),
            })?;
        }
        Kind::Grade => {
            let s = as_str(v, path)?;
            GradeCode::parse(s).map_err(|e| CaseError::InvalidValue {
                field: path.to_owned(),
                value: s.to_owned(),
                allowed: e.to_string(),
            })?;
        }
        Kind::Country => {
            let s = as_str(v, path)?;
            CountryCode::parse(s).map_err(|_| CaseError::InvalidValue {
                field: path.to_owned(),
                value: s.to_owned(),
                allowed: "code pays ISO 3166-1 alpha-2 en majuscules (FR, DE…)".to_owned(),
            })?;
        }
        Kind::Choice(allowed) => {
            let s = as_str(v, path)?;
            if !allowed.contains(&s) {
                return Err(CaseError::InvalidValue {
                    field: path.to_owned(),
                    value: s.to_owned(),
                    allowed: allowed.join(", "),
                });
            }
        }
        Kind::Object(fields) => walk_object(v, fields, path)?,
        Kind::List(fields) => {
            let items = v.as_array().ok_or_else(|| CaseError::WrongType {
                field: path.to_owned(),
                expected: "une liste".to_owned(),
            })?;
            // Far beyond a real career; bounds the work one request can ask for.
            if items.len() > MAX_LIST_ITEMS {
                return Err(CaseError::TooManyItems {
                    field: path.to_owned(),
                    max: MAX_LIST_ITEMS,
                });
            }
            for (i, item) in items.iter().enumerate() {
                walk_object(item, fields, &format!("{path}[{i}]"))?;
            }
        }
    }
    Ok(())
}

/// Cross-field checks on an object already walked: an end before a start,
/// a réception before its decree.
fn check_period(map: &Map<String, Value>, path: &str) -> Result<(), CaseError> {
    let date = |k: &str| map.get(k).and_then(Value::as_str).and_then(parse_date);
    if let (Some(from), Some(to)) = (date("from"), date("to"))
        && to < from
    {
        return Err(CaseError::PeriodReversed {
            field: join(path, "to"),
            from,
            to,
        });
    }
    if let (Some(decreed_on), Some(received_on)) = (date("decreed_on"), date("received_on"))
        && received_on < decreed_on
    {
        return Err(CaseError::ReceivedBeforeDecree {
            field: join(path, "received_on"),
            decreed_on,
            received_on,
        });
    }
    Ok(())
}

fn malformed(e: &serde_json::Error) -> CaseError {
    use serde_json::error::Category;
    let problem = match e.classify() {
        Category::Eof => "fin de texte inattendue (accolade ou guillemet non fermé ?)",
        Category::Syntax => "syntaxe invalide (virgule, deux-points, guillemet ou accolade)",
        Category::Data => "données invalides",
        Category::Io => "erreur de lecture",
    };
    CaseError::MalformedJson {
        line: e.line(),
        column: e.column(),
        problem: problem.to_owned(),
    }
}

/// Parses a case from JSON, reporting the first problem with its field path,
/// then checks every code against the catalogue.
pub fn parse_case(catalogue: &Catalogue, input: &str) -> Result<Case, CaseError> {
    let value: Value = serde_json::from_str(input).map_err(|e| malformed(&e))?;
    parse_case_value(catalogue, value)
}

/// [`parse_case`] of a JSON value already built (a dossier's content mapped by
/// [`crate::content::case_json`]): the same checks, without a round trip through text.
pub fn parse_case_value(catalogue: &Catalogue, value: Value) -> Result<Case, CaseError> {
    walk_object(&value, CASE, "")?;
    let case: Case = serde_json::from_value(value).map_err(|e| CaseError::Schema {
        detail: e.to_string(),
    })?;
    check_codes(catalogue, &case)?;
    Ok(case)
}

/// Checks that the distinction and grade codes of a case exist in the
/// catalogue (including those of past awards).
pub fn check_codes(catalogue: &Catalogue, case: &Case) -> Result<(), CaseError> {
    check_pair(
        catalogue,
        &case.distinction,
        &case.grade,
        "distinction",
        "grade",
    )?;
    for (i, a) in case.candidate.awards.iter().enumerate() {
        check_pair(
            catalogue,
            &a.distinction,
            &a.grade,
            &format!("candidate.awards[{i}].distinction"),
            &format!("candidate.awards[{i}].grade"),
        )?;
    }
    Ok(())
}

fn check_pair(
    catalogue: &Catalogue,
    distinction: &DistinctionCode,
    grade: &GradeCode,
    d_field: &str,
    g_field: &str,
) -> Result<(), CaseError> {
    let Some(d) = catalogue.distinction(distinction) else {
        return Err(CaseError::UnknownDistinction {
            field: d_field.to_owned(),
            code: distinction.to_string(),
            known: catalogue
                .distinctions()
                .iter()
                .map(|d| d.code.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    if d.grade_index(grade).is_none() {
        return Err(CaseError::UnknownGrade {
            field: g_field.to_owned(),
            distinction: distinction.to_string(),
            grade: grade.to_string(),
            known: d
                .grades
                .iter()
                .map(|g| g.code.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(())
}
