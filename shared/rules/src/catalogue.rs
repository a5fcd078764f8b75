//! The catalogue: distinctions, their ordered grades or échelons, and the
//! versioned rule sets that apply to them.
//!
//! The catalogue is data, not code: statutory values change by decree and a
//! tenant may need its own medals or practices. The built-in catalogue is
//! embedded from `catalogue/*.toml`; a caller may build one from any
//! [`CatalogueData`] (TOML, JSON, rows from a database).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::case::{Route, ServiceKind};
use crate::codes::{Article, DistinctionCode, GradeCode, PieceCode};

/// Embedded catalogue files, in listing order. The practices file holds the
/// inter-order gap practices, which are tenant parameters.
/// The versioned catalogue files shipped with the engine, `(file name, TOML)`: what each
/// tenant's catalogue is loaded from (national orders for every tenant, medals for the tenants
/// that use them).
pub const BUILTIN_DISTINCTIONS: &[(&str, &str)] = &[
    ("lh.toml", include_str!("../catalogue/lh.toml")),
    ("onm.toml", include_str!("../catalogue/onm.toml")),
    ("mhrdc.toml", include_str!("../catalogue/mhrdc.toml")),
    ("mht.toml", include_str!("../catalogue/mht.toml")),
    ("msi.toml", include_str!("../catalogue/msi.toml")),
    ("acd.toml", include_str!("../catalogue/acd.toml")),
    ("mhsp.toml", include_str!("../catalogue/mhsp.toml")),
    ("mhpn.toml", include_str!("../catalogue/mhpn.toml")),
    ("mjsea.toml", include_str!("../catalogue/mjsea.toml")),
    ("pa.toml", include_str!("../catalogue/pa.toml")),
    ("al.toml", include_str!("../catalogue/al.toml")),
    ("ma.toml", include_str!("../catalogue/ma.toml")),
    ("mm.toml", include_str!("../catalogue/mm.toml")),
];
/// The built-in documents of the national orders (Légion d'honneur, ordre national du
/// Mérite): their conditions are set by the Code (R18, R19… and its ONM counterparts), the
/// same for every ministry, so a tenant's catalogue always reads these and a tenant can
/// neither change them nor define another national order.
pub const NATIONAL_FILES: [&str; 2] = ["lh.toml", "onm.toml"];

/// The largest value any `years` or months bound of a catalogue may take: beyond it a rule
/// is a typing error, not a statutory condition.
const MAX_YEARS: u32 = 100;

/// The gap practices between orders shipped with the engine, `(file name, TOML)`.
pub const BUILTIN_PRACTICES: (&str, &str) = (
    "practices.toml",
    include_str!("../catalogue/practices.toml"),
);

fn yes() -> bool {
    true
}

/// Errors found while loading a catalogue. Messages are in French because
/// tenant administrators edit these files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("fichier de catalogue « {source_name} » illisible : {message}")]
    Syntax {
        source_name: String,
        message: String,
    },
    #[error("distinction « {0} » définie deux fois")]
    DuplicateDistinction(String),
    #[error("distinction « {0} » : aucun grade ni échelon")]
    NoGrades(String),
    #[error("distinction « {distinction} » : grade « {grade} » défini deux fois")]
    DuplicateGrade { distinction: String, grade: String },
    #[error("distinction « {0} » : aucun jeu de règles")]
    NoRuleSet(String),
    #[error(
        "distinction « {0} » : les jeux de règles doivent être classés par date d'effet strictement croissante"
    )]
    RuleSetsNotOrdered(String),
    #[error("distinction « {distinction} » ({context}) : grade inconnu « {grade} »")]
    UnknownGrade {
        distinction: String,
        grade: String,
        context: String,
    },
    #[error("{context} : distinction inconnue « {code} »")]
    UnknownDistinction { code: String, context: String },
    #[error("distinction « {distinction} » : {message}")]
    Invalid {
        distinction: String,
        message: String,
    },
    #[error("pratique d'écart « {0} » définie deux fois")]
    DuplicateGap(String),
    #[error("paramètre de locataire : pratique d'écart inconnue « {0} »")]
    UnknownGap(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistinctionKind {
    NationalOrder,
    MinisterialOrder,
    Medal,
}

/// National orders are common to every tenant; the others are opted into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Common,
    Tenant,
}

/// Whether levels are called grades (orders) or échelons (medals); only
/// used to word messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelNoun {
    Grade,
    Echelon,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeData {
    pub code: GradeCode,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgressionMode {
    /// One level at a time, from the first (orders, MHRDC, MJSEA).
    Successive,
    /// Any level whose service years are met, several in one promotion (MHT).
    ByService,
    /// Level chosen on the merits of one act or career (MSI, ACD).
    Free,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Progression {
    pub mode: ProgressionMode,
    pub article: Article,
    #[serde(default = "yes")]
    pub verified: bool,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NationalityRule {
    pub article: Article,
    /// Where foreigners are handled instead (they are not members).
    pub foreigners_article: Article,
    #[serde(default = "yes")]
    pub verified: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeceasedPolicy {
    /// No posthumous award outside the posthumous route.
    Forbidden,
    /// Posthumous award on the normal route within `years` of death, with
    /// durations counted up to death.
    WithinYears,
    Allowed,
    /// The sources say nothing: flag for a human.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeceasedRule {
    pub policy: DeceasedPolicy,
    #[serde(default)]
    pub years: Option<u32>,
    pub article: Article,
    #[serde(default = "yes")]
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParliamentRule {
    pub article: Article,
    /// Months after the end of the mandate during which the bar still holds.
    #[serde(default)]
    pub months_after_end: u32,
    #[serde(default = "yes")]
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriminalRecordRule {
    pub article: Article,
    pub max_age_months: u32,
    #[serde(default = "yes")]
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleRef {
    pub article: Article,
    #[serde(default = "yes")]
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ServiceCounting {
    /// Kinds of service that count; mandates count when `elected` is listed.
    #[serde(default)]
    pub kinds: Vec<ServiceKind>,
    /// When set, services count only from the acquisition of French
    /// nationality (LH, R24).
    #[serde(default)]
    pub from_nationality: Option<Article>,
}

/// A minimum number of years attached to a target grade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearsRule {
    pub grade: GradeCode,
    pub years: u32,
    pub article: Article,
    #[serde(default = "yes")]
    pub verified: bool,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    pub route: Route,
    pub article: Article,
    #[serde(default)]
    pub waives_durations: bool,
    #[serde(default)]
    pub waives_age: bool,
    /// Grades open on this route (all if absent).
    #[serde(default)]
    pub grades: Option<Vec<GradeCode>>,
    /// Whether the open grades may be reached without the lower ones
    /// (direct nominations, MHT grand or after a fatal accident).
    #[serde(default)]
    pub skips_allowed: bool,
    /// Posthumous route: the award must come within this delay after death.
    #[serde(default)]
    pub within_years_of_death: Option<u32>,
    #[serde(default = "yes")]
    pub verified: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// Nomination or promotion at a level tied to one held in another order,
/// e.g. LH members in the ONM one grade above their LH grade (R173 al. 2),
/// without the intermediate levels of this distinction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossEntry {
    pub from: DistinctionCode,
    /// Target level index = level index held in `from` + offset.
    pub grade_offset: u32,
    #[serde(default)]
    pub from_grades: Option<Vec<GradeCode>>,
    pub article: Article,
    #[serde(default = "yes")]
    pub verified: bool,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    pub effective_from: NaiveDate,
    #[serde(default = "yes")]
    pub effective_from_verified: bool,
    pub source: String,
    pub progression: Progression,
    #[serde(default)]
    pub nationality: Option<NationalityRule>,
    pub deceased: DeceasedRule,
    #[serde(default)]
    pub parliament: Option<ParliamentRule>,
    #[serde(default)]
    pub criminal_record: Option<CriminalRecordRule>,
    #[serde(default)]
    pub new_merits: Option<ArticleRef>,
    #[serde(default)]
    pub service_counting: ServiceCounting,
    #[serde(default)]
    pub service_years: Vec<YearsRule>,
    #[serde(default)]
    pub time_in_grade: Vec<YearsRule>,
    #[serde(default)]
    pub min_age: Vec<YearsRule>,
    #[serde(default)]
    pub routes: Vec<RouteRule>,
    #[serde(default)]
    pub cross_entry: Vec<CrossEntry>,
}

impl RuleSet {
    pub fn route(&self, route: Route) -> Option<&RouteRule> {
        self.routes.iter().find(|r| r.route == route)
    }

    pub fn service_years_for(&self, grade: &GradeCode) -> Option<&YearsRule> {
        self.service_years.iter().find(|r| &r.grade == grade)
    }

    pub fn time_in_grade_for(&self, grade: &GradeCode) -> Option<&YearsRule> {
        self.time_in_grade.iter().find(|r| &r.grade == grade)
    }

    pub fn min_age_for(&self, grade: &GradeCode) -> Option<&YearsRule> {
        self.min_age.iter().find(|r| &r.grade == grade)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistinctionData {
    pub code: DistinctionCode,
    pub name: String,
    pub kind: DistinctionKind,
    pub scope: Scope,
    pub legal_basis: String,
    pub level_noun: LevelNoun,
    /// Lowest first.
    pub grades: Vec<GradeData>,
    /// Oldest first; each applies from its date until the next one's.
    pub rule_sets: Vec<RuleSet>,
    /// The pieces a dossier of this distinction attaches (issue 17), in the order the
    /// « Pièces jointes » step shows them.
    #[serde(default)]
    pub pieces: Vec<PieceRequirement>,
}

/// A kind of piece a dossier attaches: required (the submission is refused without it) or
/// optional, for every grade or some, with the text that requires it when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PieceRequirement {
    pub code: PieceCode,
    /// As the form and the refusals name it.
    pub label: String,
    #[serde(default)]
    pub required: bool,
    /// The text that requires it (`R29`), when one does.
    #[serde(default)]
    pub article: Option<Article>,
    /// Only for these grades (every grade when absent).
    #[serde(default)]
    pub grades: Option<Vec<GradeCode>>,
    /// A hint shown under it (« de moins de deux mois »).
    #[serde(default)]
    pub hint: Option<String>,
    /// Readable only by the instruction units of the dossier's circuit, not by those who
    /// file it (the bulletin n° 2 of the criminal record).
    #[serde(default)]
    pub restricted: bool,
}

impl PieceRequirement {
    /// Whether a dossier proposing `grade` attaches it.
    pub fn applies_to(&self, grade: &GradeCode) -> bool {
        self.grades.as_ref().is_none_or(|g| g.contains(grade))
    }
}

impl DistinctionData {
    /// The pieces a dossier proposing `grade` attaches, in order.
    pub fn pieces_for<'a>(
        &'a self,
        grade: &'a GradeCode,
    ) -> impl Iterator<Item = &'a PieceRequirement> + 'a {
        self.pieces.iter().filter(move |p| p.applies_to(grade))
    }

    /// The catalogue's kind of piece `code`.
    pub fn piece(&self, code: &PieceCode) -> Option<&PieceRequirement> {
        self.pieces.iter().find(|p| &p.code == code)
    }

    pub fn grade_index(&self, grade: &GradeCode) -> Option<usize> {
        self.grades.iter().position(|g| &g.code == grade)
    }

    pub fn grade_at(&self, index: usize) -> Option<&GradeData> {
        self.grades.get(index)
    }

    pub fn label(&self, grade: &GradeCode) -> String {
        self.grades
            .iter()
            .find(|g| &g.code == grade)
            .map_or_else(|| grade.to_string(), |g| g.label.clone())
    }

    /// Rule set in force on `date`: the latest whose effective date is not
    /// after it.
    pub fn rule_set_at(&self, date: NaiveDate) -> Option<&RuleSet> {
        self.rule_sets
            .iter()
            .rev()
            .find(|rs| rs.effective_from <= date)
    }
}

/// An inter-order gap practice (§4 of the domain reference): administrative
/// practice, not law, hence only ever a warning, and a tenant parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GapPractice {
    /// Stable identifier, used in the reason code `gap.<id>`.
    pub id: GradeCode,
    /// Distinctions whose réception starts the gap.
    pub after: Vec<DistinctionCode>,
    /// Distinctions proposed that the gap applies to.
    pub before: Vec<DistinctionCode>,
    pub years: u32,
    pub reference: Article,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "yes")]
    pub verified: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// The raw, serialisable form of a catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CatalogueData {
    #[serde(default)]
    pub distinctions: Vec<DistinctionData>,
    #[serde(default)]
    pub gaps: Vec<GapPractice>,
}

/// Practices file layout (`[[gaps]]` only).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PracticesFile {
    #[serde(default)]
    gaps: Vec<GapPractice>,
}

/// Tenant overrides of the configurable practices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TenantParameters {
    #[serde(default)]
    pub gaps: BTreeMap<String, GapOverride>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GapOverride {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub years: Option<u32>,
}

/// A validated catalogue: every grade a rule mentions exists, rule sets are
/// ordered, every referenced distinction exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    data: CatalogueData,
}

impl Catalogue {
    /// A tenant's effective catalogue: the tenant's own documents (its distinctions, possibly
    /// adjusted, its own medals, its `practices.toml`) and, for every other built-in
    /// distinction, the built-in document — a candidate's awards and the rules between
    /// orders may name any distinction, even one the tenant does not propose.
    ///
    /// # Errors
    /// [`CatalogueError`] naming the document that does not hold together.
    pub fn for_tenant<F: AsRef<str>, S: AsRef<str>>(
        files: &[(F, S)],
    ) -> Result<Self, CatalogueError> {
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(f, s)| (f.as_ref(), s.as_ref()))
            .collect();
        // A tenant's stored copy of a national order's document is never read: the Code's
        // conditions come from the built-in one (a copy edited before this rule changes
        // nothing). Any other document of the tenant is its own.
        let mut parts: Vec<(&str, &str)> = files
            .iter()
            .filter(|(file, _)| *file != BUILTIN_PRACTICES.0)
            .map(|&(file, source)| {
                BUILTIN_DISTINCTIONS
                    .iter()
                    .find(|(b, _)| *b == file && NATIONAL_FILES.contains(b))
                    .copied()
                    .unwrap_or((file, source))
            })
            .collect();
        for (name, text) in &parts {
            // The national documents are the built-in ones (above); every other document,
            // a built-in medal's name included, is the tenant's and may not be national.
            if NATIONAL_FILES.contains(name) {
                continue;
            }
            let d: DistinctionData = toml::from_str(text).map_err(|e| syntax(name, &e))?;
            if d.kind == DistinctionKind::NationalOrder || d.scope == Scope::Common {
                return Err(CatalogueError::Invalid {
                    distinction: d.code.to_string(),
                    message: "seule la plateforme définit les ordres nationaux et les distinctions communes : un document du ministère déclare kind = \"ministerial_order\" ou \"medal\" et scope = \"tenant\"".to_owned(),
                });
            }
        }
        for builtin in BUILTIN_DISTINCTIONS {
            if !parts.iter().any(|(file, _)| *file == builtin.0) {
                parts.push(*builtin);
            }
        }
        let practices = files
            .iter()
            .find(|(file, _)| *file == BUILTIN_PRACTICES.0)
            .copied()
            .unwrap_or(BUILTIN_PRACTICES);
        Self::from_toml_parts(&parts, Some(practices))
    }

    /// The catalogue shipped with the crate.
    pub fn builtin() -> Result<Self, CatalogueError> {
        Self::from_toml_parts(BUILTIN_DISTINCTIONS, Some(BUILTIN_PRACTICES))
    }

    /// One TOML document holding `[[distinctions]]` and `[[gaps]]`.
    pub fn from_toml_str(doc: &str) -> Result<Self, CatalogueError> {
        let data: CatalogueData = toml::from_str(doc).map_err(|e| syntax("catalogue", &e))?;
        Self::from_data(data)
    }

    /// One TOML document per distinction (the layout of `catalogue/`), plus
    /// an optional practices document, each given as `(name, text)`.
    pub fn from_toml_parts(
        distinctions: &[(&str, &str)],
        practices: Option<(&str, &str)>,
    ) -> Result<Self, CatalogueError> {
        let mut data = CatalogueData::default();
        for (name, text) in distinctions {
            let d: DistinctionData = toml::from_str(text).map_err(|e| syntax(name, &e))?;
            data.distinctions.push(d);
        }
        if let Some((name, text)) = practices {
            let p: PracticesFile = toml::from_str(text).map_err(|e| syntax(name, &e))?;
            data.gaps = p.gaps;
        }
        Self::from_data(data)
    }

    /// Validates data obtained elsewhere (e.g. a tenant's database).
    pub fn from_data(data: CatalogueData) -> Result<Self, CatalogueError> {
        validate(&data)?;
        Ok(Self { data })
    }

    /// A copy with the tenant's practice parameters applied.
    pub fn with_tenant_parameters(
        &self,
        params: &TenantParameters,
    ) -> Result<Self, CatalogueError> {
        let mut data = self.data.clone();
        for (id, o) in &params.gaps {
            let gap = data
                .gaps
                .iter_mut()
                .find(|g| g.id.as_str() == id)
                .ok_or_else(|| CatalogueError::UnknownGap(id.clone()))?;
            if let Some(enabled) = o.enabled {
                gap.enabled = enabled;
            }
            if let Some(years) = o.years {
                gap.years = years;
            }
        }
        Self::from_data(data)
    }

    pub fn data(&self) -> &CatalogueData {
        &self.data
    }

    pub fn distinctions(&self) -> &[DistinctionData] {
        &self.data.distinctions
    }

    pub fn distinction(&self, code: &DistinctionCode) -> Option<&DistinctionData> {
        self.data.distinctions.iter().find(|d| &d.code == code)
    }

    pub fn gaps(&self) -> &[GapPractice] {
        &self.data.gaps
    }
}

fn syntax(name: &str, e: &toml::de::Error) -> CatalogueError {
    // The Display form carries the line, column and offending snippet.
    CatalogueError::Syntax {
        source_name: name.to_owned(),
        message: e.to_string().trim().to_owned(),
    }
}

fn validate(data: &CatalogueData) -> Result<(), CatalogueError> {
    let mut seen = BTreeSet::new();
    for d in &data.distinctions {
        if !seen.insert(d.code.clone()) {
            return Err(CatalogueError::DuplicateDistinction(d.code.to_string()));
        }
    }
    for d in &data.distinctions {
        validate_distinction(d, &seen)?;
    }
    let mut gap_ids = BTreeSet::new();
    for g in &data.gaps {
        if !gap_ids.insert(g.id.clone()) {
            return Err(CatalogueError::DuplicateGap(g.id.to_string()));
        }
        for code in g.after.iter().chain(&g.before) {
            if !seen.contains(code) {
                return Err(CatalogueError::UnknownDistinction {
                    code: code.to_string(),
                    context: format!("pratique d'écart « {} »", g.id),
                });
            }
        }
    }
    Ok(())
}

fn validate_distinction(
    d: &DistinctionData,
    known: &BTreeSet<DistinctionCode>,
) -> Result<(), CatalogueError> {
    let name = d.code.to_string();
    if d.grades.is_empty() {
        return Err(CatalogueError::NoGrades(name));
    }
    let mut grades = BTreeSet::new();
    for g in &d.grades {
        if !grades.insert(g.code.clone()) {
            return Err(CatalogueError::DuplicateGrade {
                distinction: name,
                grade: g.code.to_string(),
            });
        }
    }
    if d.rule_sets.is_empty() {
        return Err(CatalogueError::NoRuleSet(name));
    }
    validate_pieces(d, &grades)?;
    if d.rule_sets
        .windows(2)
        .any(|w| matches!(w, [a, b] if a.effective_from >= b.effective_from))
    {
        return Err(CatalogueError::RuleSetsNotOrdered(name));
    }
    let check_grade = |g: &GradeCode, context: &str| {
        if grades.contains(g) {
            Ok(())
        } else {
            Err(CatalogueError::UnknownGrade {
                distinction: d.code.to_string(),
                grade: g.to_string(),
                context: context.to_owned(),
            })
        }
    };
    for rs in &d.rule_sets {
        let ctx = |what: &str| format!("{what}, règles du {}", rs.effective_from);
        for r in &rs.service_years {
            check_grade(&r.grade, &ctx("service_years"))?;
        }
        for r in &rs.time_in_grade {
            check_grade(&r.grade, &ctx("time_in_grade"))?;
            if d.grade_index(&r.grade) == Some(0) {
                return Err(CatalogueError::Invalid {
                    distinction: d.code.to_string(),
                    message: format!(
                        "time_in_grade sur le premier niveau « {} » : il n'y a pas de niveau précédent",
                        r.grade
                    ),
                });
            }
        }
        for r in &rs.min_age {
            check_grade(&r.grade, &ctx("min_age"))?;
        }
        let mut routes = BTreeSet::new();
        for r in &rs.routes {
            if !routes.insert(r.route) {
                return Err(CatalogueError::Invalid {
                    distinction: d.code.to_string(),
                    message: format!("voie « {} » définie deux fois", r.route.as_str()),
                });
            }
            for g in r.grades.iter().flatten() {
                check_grade(g, &ctx("routes"))?;
            }
        }
        for c in &rs.cross_entry {
            if !known.contains(&c.from) {
                return Err(CatalogueError::UnknownDistinction {
                    code: c.from.to_string(),
                    context: format!("distinction « {} », cross_entry", d.code),
                });
            }
        }
        if rs.deceased.policy == DeceasedPolicy::WithinYears && rs.deceased.years.is_none() {
            return Err(CatalogueError::Invalid {
                distinction: d.code.to_string(),
                message: "deceased.policy = \"within_years\" exige « years »".to_owned(),
            });
        }
        let too_long = rs
            .service_years
            .iter()
            .chain(&rs.time_in_grade)
            .chain(&rs.min_age)
            .map(|r| r.years)
            .chain(rs.deceased.years)
            .chain(rs.parliament.as_ref().map(|p| p.months_after_end / 12))
            .chain(rs.criminal_record.as_ref().map(|c| c.max_age_months / 12))
            .any(|years| years > MAX_YEARS);
        if too_long {
            return Err(CatalogueError::Invalid {
                distinction: d.code.to_string(),
                message: format!(
                    "règles du {} : une durée dépasse {MAX_YEARS} ans, ce qui ne peut être qu'une erreur de saisie",
                    rs.effective_from
                ),
            });
        }
        if let Some(cr) = &rs.criminal_record
            && cr.max_age_months == 0
        {
            return Err(CatalogueError::Invalid {
                distinction: d.code.to_string(),
                message: "criminal_record.max_age_months doit être positif".to_owned(),
            });
        }
    }
    Ok(())
}

/// How a stored piece of kind `code` is named, wherever it is listed: the catalogue's label,
/// the platform's mémoire, or the bare code of a kind the catalogue no longer lists.
pub fn piece_label(distinction: Option<&DistinctionData>, code: &PieceCode) -> String {
    if code.is_memoire() {
        return "Mémoire de proposition".to_owned();
    }
    distinction
        .and_then(|d| d.piece(code))
        .map_or_else(|| code.to_string(), |p| p.label.clone())
}

/// Whether a stored piece of kind `code` is read only by the instruction units of the
/// dossier's circuit: a restricted kind, or one the catalogue no longer lists (nobody
/// loosened it). The platform's mémoire is read by whoever reads the dossier, as its preview.
pub fn piece_restricted(distinction: Option<&DistinctionData>, code: &PieceCode) -> bool {
    !code.is_memoire()
        && distinction
            .and_then(|d| d.piece(code))
            .is_none_or(|p| p.restricted)
}

/// At most this many kinds of piece per distinction, each label at most this long.
const MAX_PIECES: usize = 30;
const PIECE_LABEL_CHARS: usize = 150;

fn validate_pieces(
    d: &DistinctionData,
    grades: &BTreeSet<GradeCode>,
) -> Result<(), CatalogueError> {
    let invalid = |message: String| CatalogueError::Invalid {
        distinction: d.code.to_string(),
        message,
    };
    if d.pieces.len() > MAX_PIECES {
        return Err(invalid(format!("plus de {MAX_PIECES} pièces")));
    }
    let mut codes = BTreeSet::new();
    for p in &d.pieces {
        if p.code.is_memoire() {
            return Err(invalid(format!(
                "le code de pièce « {} » est réservé au mémoire de proposition que la \
                 plateforme établit",
                p.code
            )));
        }
        if !codes.insert(&p.code) {
            return Err(invalid(format!("pièce « {} » définie deux fois", p.code)));
        }
        let chars = p.label.trim().chars().count();
        if chars == 0 || chars > PIECE_LABEL_CHARS {
            return Err(invalid(format!(
                "pièce « {} » : son libellé doit compter de 1 à {PIECE_LABEL_CHARS} caractères",
                p.code
            )));
        }
        for g in p.grades.iter().flatten() {
            if !grades.contains(g) {
                return Err(CatalogueError::UnknownGrade {
                    distinction: d.code.to_string(),
                    grade: g.to_string(),
                    context: format!("pièce « {} »", p.code),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    /// Issue 17: the Légion d'honneur's pieces, by grade, and what a document may not say.
    #[test]
    fn pieces_are_per_grade_and_hold_together() {
        let catalogue = Catalogue::for_tenant::<&str, &str>(&[]).unwrap();
        let lh = catalogue
            .distinction(&DistinctionCode::parse("LH").unwrap())
            .unwrap();
        let codes = |grade: &str| {
            let grade = GradeCode::parse(grade).unwrap();
            lh.pieces_for(&grade)
                .map(|p| (p.code.to_string(), p.required))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            codes("chevalier"),
            [
                ("b2".to_owned(), true),
                ("etat_civil".to_owned(), true),
                ("etat_services".to_owned(), true),
                ("curriculum_vitae".to_owned(), false)
            ]
        );
        assert!(!codes("officier").iter().any(|(c, _)| c == "etat_civil"));
        let b2 = lh.pieces.iter().find(|p| p.code.as_str() == "b2").unwrap();
        assert_eq!(b2.article.as_ref().map(Article::as_str), Some("R29"));

        let medal = |pieces: &str| {
            format!(
                "code = \"MX\"\nname = \"Médaille X\"\nkind = \"medal\"\nscope = \"tenant\"\n\
                 legal_basis = \"arrêté\"\nlevel_noun = \"echelon\"\n\
                 grades = [{{ code = \"argent\", label = \"argent\" }}]\n\
                 [[rule_sets]]\neffective_from = \"2020-01-01\"\nsource = \"arrêté\"\n\
                 progression = {{ mode = \"successive\", article = \"art. 1\" }}\n\
                 deceased = {{ policy = \"unknown\", article = \"art. 1\" }}\n{pieces}"
            )
        };
        let own = medal(
            "[[pieces]]\ncode = \"attestation\"\nlabel = \"Attestation de l'employeur\"\nrequired = true\n",
        );
        let with = Catalogue::for_tenant(&[("mx.toml", own.as_str())]).unwrap();
        let mx = with
            .distinction(&DistinctionCode::parse("MX").unwrap())
            .unwrap();
        assert_eq!(mx.pieces.len(), 1);
        for (bad, says) in [
            (
                "[[pieces]]\ncode = \"a\"\nlabel = \"A\"\n[[pieces]]\ncode = \"a\"\nlabel = \"B\"\n",
                "deux fois",
            ),
            ("[[pieces]]\ncode = \"a\"\nlabel = \"  \"\n", "libellé"),
            (
                "[[pieces]]\ncode = \"a\"\nlabel = \"A\"\ngrades = [\"or\"]\n",
                "or",
            ),
            (
                "[[pieces]]\ncode = \"Pièce\"\nlabel = \"A\"\n",
                "code de pièce invalide",
            ),
            (
                "[[pieces]]\ncode = \"memoire\"\nlabel = \"Mémoire\"\n",
                "réservé au mémoire",
            ),
        ] {
            let doc = medal(bad);
            let err = Catalogue::for_tenant(&[("mx.toml", doc.as_str())]).unwrap_err();
            assert!(err.to_string().contains(says), "{bad}: {err}");
        }
    }

    /// Issue 14, finding 4: a tenant could rewrite the years the Code requires.
    #[test]
    fn a_tenant_can_neither_rewrite_nor_add_a_national_order() {
        for (file, source) in BUILTIN_DISTINCTIONS {
            let d: DistinctionData = toml::from_str(source).unwrap();
            assert_eq!(
                NATIONAL_FILES.contains(file),
                d.kind == DistinctionKind::NationalOrder && d.scope == Scope::Common,
                "{file}"
            );
        }
        let lh = BUILTIN_DISTINCTIONS[0].1;
        let rewritten = lh.replacen("years = 20", "years = 1", 1);
        assert_ne!(rewritten, lh);
        let cat = Catalogue::for_tenant(&[("lh.toml", rewritten.as_str())]).unwrap();
        let lh = cat
            .distinction(&DistinctionCode::parse("LH").unwrap())
            .unwrap();
        let chevalier = GradeCode::parse("chevalier").unwrap();
        assert_eq!(
            lh.rule_sets[0]
                .service_years_for(&chevalier)
                .map(|r| r.years),
            Some(20),
            "the Code's 20 years, whatever the tenant stored"
        );
        let another = BUILTIN_DISTINCTIONS[0]
            .1
            .replacen("code = \"LH\"", "code = \"LHBIS\"", 1);
        assert!(matches!(
            Catalogue::for_tenant(&[("lhbis.toml", another.as_str())]),
            Err(CatalogueError::Invalid { .. })
        ));
        let medal = BUILTIN_DISTINCTIONS
            .iter()
            .find(|(f, _)| *f == "mhsp.toml")
            .unwrap()
            .1
            .replacen("code = \"MHSP\"", "code = \"MHSPBIS\"", 1);
        assert!(Catalogue::for_tenant(&[("mhspbis.toml", medal.as_str())]).is_ok());
        let relabelled = BUILTIN_DISTINCTIONS
            .iter()
            .find(|(f, _)| *f == "mhsp.toml")
            .unwrap()
            .1
            .replacen("scope = \"tenant\"", "scope = \"common\"", 1);
        assert!(
            matches!(
                Catalogue::for_tenant(&[("mhsp.toml", relabelled.as_str())]),
                Err(CatalogueError::Invalid { .. })
            ),
            "a built-in medal's name does not make a document national"
        );
        let absurd = medal.replacen("years = 10\n", "years = 1000\n", 1);
        assert_ne!(absurd, medal);
        assert!(matches!(
            Catalogue::for_tenant(&[("mhspbis.toml", absurd.as_str())]),
            Err(CatalogueError::Invalid { message, .. }) if message.contains("100 ans")
        ));
    }

    #[test]
    fn builtin_catalogue_parses_and_validates() {
        let cat = Catalogue::builtin().unwrap();
        let codes: Vec<&str> = cat.distinctions().iter().map(|d| d.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "LH", "ONM", "MHRDC", "MHT", "MSI", "ACD", "MHSP", "MHPN", "MJSEA", "PA", "AL",
                "MA", "MM"
            ]
        );
        let acd = cat
            .distinction(&DistinctionCode::parse("ACD").unwrap())
            .unwrap();
        assert_eq!(acd.grades.len(), 7);
        for d in cat.distinctions() {
            let national = matches!(d.code.as_str(), "LH" | "ONM");
            assert_eq!(d.scope == Scope::Common, national, "{}", d.code);
        }
        assert!(!cat.gaps().is_empty());
    }

    #[test]
    fn catalogue_round_trips_through_toml_and_json() {
        let cat = Catalogue::builtin().unwrap();
        let toml_text = toml::to_string(cat.data()).unwrap();
        assert_eq!(Catalogue::from_toml_str(&toml_text).unwrap(), cat);
        let json = serde_json::to_string(cat.data()).unwrap();
        let data: CatalogueData = serde_json::from_str(&json).unwrap();
        assert_eq!(Catalogue::from_data(data).unwrap(), cat);
    }

    #[test]
    fn rule_set_selection_follows_effective_dates() {
        let cat = Catalogue::builtin().unwrap();
        let ma = cat
            .distinction(&DistinctionCode::parse("MA").unwrap())
            .unwrap();
        assert!(ma.rule_sets.len() >= 2);
        let [old, new, ..] = ma.rule_sets.as_slice() else {
            unreachable!("checked above")
        };
        let day_before = new.effective_from.pred_opt().unwrap();
        assert_eq!(ma.rule_set_at(day_before), Some(old));
        assert_eq!(ma.rule_set_at(new.effective_from), Some(new));
        assert_eq!(ma.rule_set_at(NaiveDate::MIN), None);
    }

    #[test]
    fn invalid_catalogues_are_refused_with_french_messages() {
        let cat = Catalogue::builtin().unwrap();
        let mut data = cat.data().clone();
        let first = data.distinctions.first().cloned().unwrap();
        data.distinctions.push(first);
        let err = Catalogue::from_data(data).unwrap_err();
        assert_eq!(err, CatalogueError::DuplicateDistinction("LH".into()));
        assert!(err.to_string().contains("définie deux fois"));

        let mut data = cat.data().clone();
        if let Some(rs) = data
            .distinctions
            .first_mut()
            .and_then(|d| d.rule_sets.first_mut())
        {
            rs.service_years.push(YearsRule {
                grade: GradeCode::parse("baron").unwrap(),
                years: 1,
                article: Article::parse("R1").unwrap(),
                verified: true,
                note: None,
            });
        }
        let err = Catalogue::from_data(data).unwrap_err();
        assert!(matches!(err, CatalogueError::UnknownGrade { ref grade, .. } if grade == "baron"));

        let err = Catalogue::from_toml_str("distinctions = 3").unwrap_err();
        assert!(matches!(err, CatalogueError::Syntax { .. }));
    }

    #[test]
    fn tenant_parameters_override_gap_practices() {
        let cat = Catalogue::builtin().unwrap();
        let id = cat.gaps().first().unwrap().id.to_string();
        let params: TenantParameters = serde_json::from_value(serde_json::json!({
            "gaps": { id.clone(): { "enabled": false, "years": 4 } }
        }))
        .unwrap();
        let tuned = cat.with_tenant_parameters(&params).unwrap();
        let gap = tuned.gaps().first().unwrap();
        assert!(!gap.enabled);
        assert_eq!(gap.years, 4);
        let bad = TenantParameters {
            gaps: BTreeMap::from([("nope".to_owned(), GapOverride::default())]),
        };
        assert_eq!(
            cat.with_tenant_parameters(&bad).unwrap_err(),
            CatalogueError::UnknownGap("nope".into())
        );
    }
}
