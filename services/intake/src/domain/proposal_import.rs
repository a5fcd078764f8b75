//! Proposals sent in bulk (issue 18, Build 2): a unit's agent who files dossiers sends a
//! spreadsheet of candidates for a campaign (CSV in UTF-8 or Windows-1252, XLSX, ODS, laid out
//! as [`template_csv`]); « Vérifier le fichier » reports each refused row (row, column, value,
//! reason) and what each valid row would become, writing nothing; « Importer » makes each
//! valid row a draft at the unit, with its eligibility verdict, what remains to complete and
//! its possible duplicates. Nothing is submitted: each draft is reviewed and submitted as any
//! other.
//!
//! The natural key is the campaign and the person (folded birth name and first given name,
//! birth date): a row whose person an import of the campaign already made a draft for is
//! recognised (« déjà importée ») and adds nothing, so the agent corrects the refused rows in
//! the file and sends the whole file again. A row is refused only for what is wrong (a
//! malformed date, an unknown distinction, a missing name); what is merely missing beyond the
//! identity (career, motifs…) is completed on the draft.
//!
//! A file holds at most [`MAX_ROWS`] rows, read and written within the request: a unit's
//! proposals for one campaign are tens, not the registry's millions (a job). Drafts are
//! written a batch at a time, each batch one transaction with its journal events (each
//! draft's `dossier.created`, the batch's `proposals.import_batch` with the file's SHA-256):
//! a request cut short leaves whole batches, and sending the file again finishes the rest.

use std::collections::HashMap;
use std::io::Cursor;

use bytes::Bytes;
use napoleon_authz::{Access, Scope, perm};
use napoleon_db::contracts::{self, CampaignView};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_identity::Identity;
use napoleon_kernel::{CampaignId, DossierId, OrgUnitId, ProposalImportId};
use napoleon_rules::content::{
    self, CAREER_KINDS, Candidate, CareerPeriod, Content, HeldDistinction, Step, form,
};
use napoleon_rules::dossier::DossierState;
use napoleon_rules::{Catalogue, GradeCode, VerdictKind};
use napoleon_tabular::columns::{Checker, Column, Layout, Problem, fold};
use napoleon_web::upload::ImportMode;
use napoleon_web::{ActionError, ActionResult, FieldError, WebContext, WebError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::store::proposal_imports::{self as store, Person, Record, Tally};
use crate::store::{self as dossiers, DraftBy, NewDossier};

use super::dossiers::{filing_units, window_open};
use super::tenant_catalogue;

/// The largest file accepted.
pub(crate) const MAX_FILE_BYTES: u64 = 5_000_000;
/// Rows a file may hold.
pub(crate) const MAX_ROWS: u64 = 1_000;
/// Drafts per transaction.
const BATCH: usize = 100;
/// Career periods a row may carry (`Carrière 1 …` to `Carrière 3 …`).
const PERIODS: usize = 3;
/// Distinctions held a row may carry.
const HELD: usize = 2;
/// Files listed on the page.
const LISTED: u16 = 20;
/// The longest exposé des motifs a row may carry (as the form at submission).
const MOTIFS_CHARS: usize = 10_000;

/// One column of the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    BirthName,
    UsualName,
    GivenNames,
    Sex,
    BirthDate,
    BirthPlace,
    Nationality,
    FrenchSince,
    Residence,
    PeriodFrom(usize),
    PeriodTo(usize),
    PeriodKind(usize),
    PeriodPosition(usize),
    Held(usize),
    HeldGrade(usize),
    HeldDecree(usize),
    HeldReception(usize),
    Motifs,
    CriminalRecord,
}

/// The identity's columns: field, header (the form's label), required, what it holds.
const IDENTITY: [(Field, &str, bool, &str); 9] = [
    (
        Field::BirthName,
        form::BIRTH_NAME.label,
        true,
        "Tel qu'à l'état civil",
    ),
    (
        Field::UsualName,
        form::USUAL_NAME.label,
        false,
        "S'il diffère",
    ),
    (
        Field::GivenNames,
        form::GIVEN_NAMES.label,
        true,
        "Dans l'ordre de l'état civil",
    ),
    (Field::Sex, form::SEX.label, true, "F ou M"),
    (Field::BirthDate, form::BIRTH_DATE.label, true, "JJ/MM/AAAA"),
    (
        Field::BirthPlace,
        form::BIRTH_PLACE.label,
        true,
        "Commune, et pays si à l'étranger",
    ),
    (
        Field::Nationality,
        form::NATIONALITY.label,
        true,
        "Code pays en deux lettres : FR",
    ),
    (
        Field::FrenchSince,
        form::FRENCH_SINCE.label,
        false,
        "JJ/MM/AAAA, seulement si elle a été acquise",
    ),
    (
        Field::Residence,
        form::RESIDENCE_DEPARTMENT.label,
        true,
        "Numéro : 69, 2A, 974",
    ),
];

impl Column for Field {
    fn header(self) -> String {
        match self {
            Self::PeriodFrom(n) => format!("Carrière {} début", n + 1),
            Self::PeriodTo(n) => format!("Carrière {} fin", n + 1),
            Self::PeriodKind(n) => format!("Carrière {} nature", n + 1),
            Self::PeriodPosition(n) => format!("Carrière {} fonction", n + 1),
            Self::Held(n) => format!("Distinction détenue {}", n + 1),
            Self::HeldGrade(n) => format!("Distinction détenue {} grade", n + 1),
            Self::HeldDecree(n) => format!("Distinction détenue {} décret", n + 1),
            Self::HeldReception(n) => format!("Distinction détenue {} réception", n + 1),
            Self::Motifs => form::MOTIFS.label.to_owned(),
            Self::CriminalRecord => "Date du bulletin n° 2 du casier judiciaire".to_owned(),
            identity => IDENTITY
                .iter()
                .find(|c| c.0 == identity)
                .map_or_else(String::new, |c| c.1.to_owned()),
        }
    }
}

fn all_fields() -> Vec<Field> {
    let mut out: Vec<Field> = IDENTITY.iter().map(|c| c.0).collect();
    for n in 0..PERIODS {
        out.extend([
            Field::PeriodFrom(n),
            Field::PeriodTo(n),
            Field::PeriodKind(n),
            Field::PeriodPosition(n),
        ]);
    }
    for n in 0..HELD {
        out.extend([
            Field::Held(n),
            Field::HeldGrade(n),
            Field::HeldDecree(n),
            Field::HeldReception(n),
        ]);
    }
    out.extend([Field::Motifs, Field::CriminalRecord]);
    out
}

/// The template's columns as the page explains them: header, whether required, what it holds
/// (the numbered ones once).
pub(crate) fn column_help() -> Vec<(String, bool, &'static str)> {
    let mut out: Vec<(String, bool, &'static str)> = IDENTITY
        .iter()
        .map(|(_, header, required, help)| ((*header).to_owned(), *required, *help))
        .collect();
    out.extend(content::career_column_help(PERIODS));
    out.extend([
        (
            "Distinction détenue N (N = 1, 2)".to_owned(),
            false,
            "Code de la distinction : LH, ONM…",
        ),
        (
            "Distinction détenue N grade".to_owned(),
            false,
            "Code ou libellé du grade",
        ),
        (
            "Distinction détenue N décret".to_owned(),
            false,
            "JJ/MM/AAAA",
        ),
        (
            "Distinction détenue N réception".to_owned(),
            false,
            "JJ/MM/AAAA (prise de rang : les durées courent de cette date)",
        ),
        (
            Field::Motifs.header(),
            false,
            "Les mérites du candidat, avec les faits et les dates (10 000 caractères au plus)",
        ),
        (Field::CriminalRecord.header(), false, "JJ/MM/AAAA"),
    ]);
    out
}

/// The downloadable template: the headers, then one example row (UTF-8 with a BOM and `;`).
pub(crate) fn template_csv() -> String {
    let fields = all_fields();
    let headers: Vec<String> = fields.iter().map(|f| f.header()).collect();
    let example: Vec<&str> = fields
        .iter()
        .map(|f| match f {
            Field::BirthName => "MARCHAND",
            Field::GivenNames => "Claire Anne",
            Field::Sex => "F",
            Field::BirthDate => "12/05/1968",
            Field::BirthPlace => "Lyon (Rhône)",
            Field::Nationality => "FR",
            Field::Residence => "69",
            Field::PeriodFrom(0) => "01/09/1990",
            Field::PeriodKind(0) => "Service public",
            Field::PeriodPosition(0) => "Directrice d'école, Villeurbanne",
            Field::Motifs => {
                "Trente ans au service de l'école publique et de l'inclusion des élèves handicapés."
            }
            _ => "",
        })
        .collect();
    format!("\u{FEFF}{}\r\n{}\r\n", headers.join(";"), example.join(";"))
}

/// What the rows are checked against: the catalogue's distinctions (code → its grades as
/// code and folded label), today.
struct Lookup {
    distinctions: HashMap<String, Vec<(GradeCode, String)>>,
    today: chrono::NaiveDate,
}

impl Lookup {
    fn new(catalogue: &Catalogue, today: chrono::NaiveDate) -> Self {
        let distinctions = catalogue
            .distinctions()
            .iter()
            .map(|d| {
                let grades = d
                    .grades
                    .iter()
                    .map(|g| (g.code.clone(), fold(&g.label)))
                    .collect();
                (d.code.as_str().to_owned(), grades)
            })
            .collect();
        Self {
            distinctions,
            today,
        }
    }
}

/// One valid row.
struct Line {
    line: u64,
    content: Content,
}

fn iso(date: Option<chrono::NaiveDate>) -> String {
    date.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Checks one row; its problems when refused.
#[expect(
    clippy::too_many_lines,
    reason = "one check per column, in the template's order"
)]
fn parse_row(
    row: &napoleon_tabular::Row,
    layout: &Layout<Field>,
    lookup: &Lookup,
) -> Result<Line, Vec<Problem>> {
    let mut c = Checker::new(row, layout, lookup.today);
    let birth_name = c.text(Field::BirthName, true, 100);
    let usual_name = c.text(Field::UsualName, false, 100);
    let given_names = c.text(Field::GivenNames, true, 200);
    c.has_letters(Field::BirthName, &birth_name);
    c.has_letters(Field::UsualName, &usual_name);
    c.has_letters(Field::GivenNames, &given_names);
    let sex = c.sex(Field::Sex);
    let birth_date = c.date(Field::BirthDate, true);
    if birth_date == Some(lookup.today) {
        c.refuse(Field::BirthDate, "la date de naissance doit être passée");
    }
    let birth_place = c.text(Field::BirthPlace, true, 200);
    let nationality = c.cell(Field::Nationality).to_uppercase();
    if nationality.is_empty() {
        c.refuse(Field::Nationality, "obligatoire");
    } else if nationality.len() != 2 || !nationality.chars().all(|ch| ch.is_ascii_uppercase()) {
        c.refuse(Field::Nationality, "code pays en deux lettres attendu (FR)");
    }
    let french_since = c.date(Field::FrenchSince, false);
    let residence = c.cell(Field::Residence).to_uppercase();
    let valid_dept = matches!(residence.len(), 2 | 3)
        && (residence.chars().all(|ch| ch.is_ascii_digit())
            || residence == "2A"
            || residence == "2B");
    if residence.is_empty() {
        c.refuse(Field::Residence, "obligatoire");
    } else if !valid_dept {
        c.refuse(
            Field::Residence,
            "numéro de département attendu (69, 2A, 974)",
        );
    }
    let career: Vec<CareerPeriod> = (0..PERIODS)
        .filter_map(|n| {
            let columns = [
                Field::PeriodFrom(n),
                Field::PeriodTo(n),
                Field::PeriodKind(n),
                Field::PeriodPosition(n),
            ];
            c.period(columns, &CAREER_KINDS).map(|p| CareerPeriod {
                from: iso(p.from),
                to: iso(p.to),
                kind: p.kind.unwrap_or_default().to_owned(),
                position: p.position,
            })
        })
        .collect();
    let mut distinctions = Vec::new();
    for n in 0..HELD {
        let fields = [
            Field::Held(n),
            Field::HeldGrade(n),
            Field::HeldDecree(n),
            Field::HeldReception(n),
        ];
        if fields.iter().all(|f| c.cell(*f).is_empty()) {
            continue;
        }
        let code = c.cell(Field::Held(n)).to_uppercase();
        let grades = if code.is_empty() {
            c.refuse(
                Field::Held(n),
                "obligatoire quand la ligne décrit une distinction détenue",
            );
            None
        } else {
            let found = lookup.distinctions.get(&code);
            if found.is_none() {
                let mut codes: Vec<&str> = lookup.distinctions.keys().map(String::as_str).collect();
                codes.sort_unstable();
                c.refuse(
                    Field::Held(n),
                    &format!(
                        "distinction inconnue du catalogue du ministère (codes : {})",
                        codes.join(", ")
                    ),
                );
            }
            found
        };
        let grade_cell = fold(c.cell(Field::HeldGrade(n)));
        let grade = match grades {
            _ if grade_cell.is_empty() => {
                c.refuse(
                    Field::HeldGrade(n),
                    "obligatoire quand la ligne décrit une distinction détenue",
                );
                None
            }
            None => None,
            Some(grades) => {
                let found = grades
                    .iter()
                    .find(|(g, label)| fold(g.as_str()) == grade_cell || *label == grade_cell);
                if found.is_none() {
                    let codes: Vec<&str> = grades.iter().map(|(g, _)| g.as_str()).collect();
                    c.refuse(
                        Field::HeldGrade(n),
                        &format!(
                            "grade inconnu pour cette distinction ({})",
                            codes.join(", ")
                        ),
                    );
                }
                found.map(|(g, _)| g.clone())
            }
        };
        let decree = c.date(Field::HeldDecree(n), false);
        let reception = c.date(Field::HeldReception(n), false);
        if let (Some(d), Some(r)) = (decree, reception)
            && r < d
        {
            c.refuse(Field::HeldReception(n), "la réception précède le décret");
        }
        distinctions.push(HeldDistinction {
            distinction: code,
            grade: grade.map(|g| g.as_str().to_owned()).unwrap_or_default(),
            decreed_on: iso(decree),
            received_on: iso(reception),
        });
    }
    // The exposé keeps its line breaks (a spreadsheet's cell may hold paragraphs).
    let motifs = c.cell(Field::Motifs).to_owned();
    if motifs.chars().count() > MOTIFS_CHARS {
        c.refuse(Field::Motifs, &format!("{MOTIFS_CHARS} caractères au plus"));
    } else if motifs
        .chars()
        .any(|ch| ch.is_control() && !matches!(ch, '\n' | '\r' | '\t'))
    {
        c.refuse(Field::Motifs, "caractères de contrôle interdits");
    }
    let criminal_record = c.date(Field::CriminalRecord, false);
    match (sex, birth_date) {
        (Some(sex), Some(born)) if c.problems.is_empty() => Ok(Line {
            line: row.line,
            content: Content {
                candidate: Candidate {
                    birth_name,
                    usual_name,
                    given_names,
                    sex: sex.to_owned(),
                    birth_date: iso(Some(born)),
                    birth_place,
                    nationality,
                    french_since: iso(french_since),
                    residence_department: residence,
                },
                career,
                distinctions,
                motifs,
                criminal_record_issued_on: iso(criminal_record),
            },
        }),
        _ => Err(c.problems),
    }
}

/// The file read: what it is, its valid rows, its refused rows' problems.
struct Read {
    detected: String,
    rows: u64,
    lines: Vec<Line>,
    problems: Vec<Problem>,
    rejected: u64,
}

/// What a file of [`MAX_ROWS`] rows may unpack to and span, as a spreadsheet: its template's
/// columns and more, never a registry's million rows.
const BOUNDS: napoleon_tabular::Bounds = napoleon_tabular::Bounds {
    unpacked: 20 << 20,
    cells: 100_000,
};

/// Files read at once (each in a blocking thread): the others wait their turn.
fn reading_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| tokio::sync::Semaphore::new(2))
}

/// Reads the whole file (a bounded one: [`BOUNDS`], [`MAX_ROWS`]); a file-level refusal in
/// French.
fn read(bytes: &[u8], lookup: &Lookup) -> Result<Read, String> {
    let table =
        napoleon_tabular::open_bounded(Cursor::new(bytes), BOUNDS).map_err(|e| e.to_string())?;
    let required: Vec<Field> = IDENTITY.iter().filter(|c| c.2).map(|c| c.0).collect();
    let layout = Layout::from_headers(table.headers(), &all_fields(), &required)
        .map_err(|errors| format!("en-têtes de colonnes : {}", errors.join(" ; ")))?;
    let detected = table.detected().describe();
    let mut out = Read {
        detected,
        rows: 0,
        lines: Vec::new(),
        problems: Vec::new(),
        rejected: 0,
    };
    for row in table {
        out.rows += 1;
        if out.rows > MAX_ROWS {
            return Err(format!(
                "le fichier compte plus de {MAX_ROWS} lignes de propositions : répartissez-les en plusieurs fichiers"
            ));
        }
        let parsed = match row {
            Ok(row) => parse_row(&row, &layout, lookup),
            Err(e) if e.fatal => return Err(e.reason),
            Err(e) => Err(vec![Problem::row(e)]),
        };
        match parsed {
            Ok(line) => out.lines.push(line),
            Err(problems) => {
                out.rejected += 1;
                out.problems.extend(problems);
            }
        }
    }
    Ok(out)
}

impl Read {
    /// Refuses the later rows of a person already in the file, naming the first: their keys
    /// as the database folds them (the natural key's own folding, `keys`).
    fn refuse_repeats(&mut self, keys: &[String]) {
        let mut first: HashMap<&str, u64> = HashMap::new();
        let mut kept = Vec::with_capacity(self.lines.len());
        let lines = std::mem::take(&mut self.lines);
        for (line, key) in lines.into_iter().zip(keys) {
            match first.get(key.as_str()) {
                Some(at) => {
                    self.rejected += 1;
                    self.problems.push(Problem {
                        line: line.line,
                        column: String::new(),
                        value: String::new(),
                        reason: format!(
                            "même personne (nom, premier prénom, date de naissance) qu'à la ligne {at} : une seule proposition par personne"
                        ),
                    });
                }
                None => {
                    first.insert(key, line.line);
                    kept.push(line);
                }
            }
        }
        self.lines = kept;
        self.problems.sort_by_key(|p| p.line);
    }
}

/// What a valid row became (or, checked, would become).
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Outcome {
    /// The row in the file.
    pub(crate) line: u64,
    /// Its draft: created by this file, or by an earlier one (`existing`); none when checked
    /// and not yet imported.
    pub(crate) dossier: Option<DossierId>,
    /// Whether an earlier file of the campaign already made its draft.
    pub(crate) existing: bool,
    /// `eligible`, `warning`, `ineligible`, or `unknown` (the row lacks what the rules read).
    pub(crate) verdict: String,
    /// The steps of the form still to complete, by title.
    pub(crate) to_complete: Vec<String>,
    /// Possible duplicates found for its draft (created rows only: none when checked).
    pub(crate) duplicates: Option<usize>,
    /// « NOM Prénoms » as the row had it (the page prefers its draft's current name).
    #[serde(default)]
    pub(crate) name: String,
}

// The name is the agent's data: never in logs.
impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Outcome(line {}, {:?})", self.line, self.dossier)
    }
}

fn verdict_code(verdict: Result<&napoleon_rules::Verdict, ()>) -> &'static str {
    match verdict {
        Ok(v) => match v.verdict {
            VerdictKind::Eligible => "eligible",
            VerdictKind::Warning => "warning",
            VerdictKind::Ineligible => "ineligible",
        },
        Err(()) => "unknown",
    }
}

/// What a row's content lacks for submission, and its verdict for the campaign.
fn assess(
    content: &Content,
    catalogue: &Catalogue,
    campaign: &CampaignView,
    grade: &GradeCode,
    today: chrono::NaiveDate,
) -> (String, Vec<String>) {
    let verdict = content::verdict(
        catalogue,
        content,
        &campaign.distinction,
        grade,
        campaign.promotion_date,
    );
    let mut steps: Vec<Step> = content::check_all(content, today)
        .iter()
        .map(|e| content::step_of(&e.field))
        .collect();
    steps.sort_by_key(|s| s.number());
    steps.dedup();
    // Without the identity or the career the rules read, a verdict would only say what is
    // missing: it is to establish once the draft is completed.
    let readable = !steps
        .iter()
        .any(|s| matches!(s, Step::Candidate | Step::Career));
    (
        verdict_code(
            verdict
                .as_ref()
                .map_err(|_| ())
                .and_then(|v| if readable { Ok(v) } else { Err(()) }),
        )
        .to_owned(),
        steps.into_iter().map(|s| s.title().to_owned()).collect(),
    )
}

/// The form as sent.
pub(crate) struct ImportForm {
    pub(crate) mode: ImportMode,
    pub(crate) campaign: String,
    pub(crate) unit: String,
    pub(crate) file_name: String,
    pub(crate) bytes: Bytes,
}

fn refused(field: &str, message: impl Into<String>) -> ActionError {
    ActionError::Invalid(vec![FieldError::new(field, message)])
}

/// Where and for what the file is sent, allowed: the unit (where the agent may file), the
/// campaign (open today), the tenant's catalogue and the campaign's first grade.
struct Target {
    unit: OrgUnitId,
    campaign: CampaignView,
    catalogue: std::sync::Arc<Catalogue>,
    grade: GradeCode,
}

async fn target(
    tx: &mut napoleon_db::TenantConn,
    access: &Access,
    campaign: &str,
    unit: &str,
) -> ActionResult<Target> {
    let units = filing_units(access)?;
    if units.is_empty() {
        return Err(ActionError::Forbidden);
    }
    let unit = match unit.trim() {
        "" => units.first().copied().ok_or(ActionError::Forbidden)?,
        raw => raw
            .parse::<OrgUnitId>()
            .ok()
            .filter(|u| units.contains(u))
            .ok_or_else(|| {
                refused(
                    "unite",
                    "Unité : choisissez une unité où vous déposez des dossiers.",
                )
            })?,
    };
    access.require::<perm::NominationCreate>(Scope::Unit(unit))?;
    let choose = || {
        refused(
            "campagne",
            "Campagne : choisissez une campagne ouverte au dépôt.",
        )
    };
    let id: CampaignId = campaign.trim().parse().map_err(|_| choose())?;
    let campaign = match contracts::campaign_by_id(&*tx, id).await {
        Ok(c) => c,
        Err(e) if e.is_not_found() => return Err(choose()),
        Err(e) => return Err(e.into()),
    };
    window_open(&campaign, tx.today())?;
    let catalogue = tenant_catalogue(tx, access).await?;
    let grade = catalogue
        .distinction(&campaign.distinction)
        .and_then(|d| d.grade_at(0))
        .map(|g| g.code.clone())
        .ok_or_else(|| {
            ActionError::from(napoleon_web::Conflict::DistinctionGone {
                distinction: campaign.distinction.to_string(),
            })
        })?;
    Ok(Target {
        unit,
        campaign,
        catalogue,
        grade,
    })
}

/// Checks or imports the file; the record of what came of it (its report's page).
pub(crate) async fn send(
    ctx: &WebContext,
    identity: &Identity,
    form: ImportForm,
) -> ActionResult<ProposalImportId> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let target = target(&mut tx, &access, &form.campaign, &form.unit).await;
    tx.rollback().await;
    let target = target?;
    let sha256 = napoleon_storage::sha256_hex(&form.bytes);
    let id = ProposalImportId::new();
    run(ctx, identity, &target, &form, &sha256, id, None).await?;
    if form.mode == ImportMode::Check {
        // Kept for « Importer ce fichier » from the report, without sending it again (once
        // read: a refused file is not kept).
        ctx.pieces()?
            .put_import(
                identity.tenant,
                id.as_uuid(),
                napoleon_storage::ImportObject::File,
                form.bytes,
            )
            .await
            .map_err(|e| WebError::Internal(format!("proposals file not stored: {e}")))?;
    }
    Ok(id)
}

/// Imports a checked file from its report: the import's record.
pub(crate) async fn import_checked(
    ctx: &WebContext,
    identity: &Identity,
    check: ProposalImportId,
) -> ActionResult<ProposalImportId> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let record = readable(&mut tx, &access, check).await;
    tx.rollback().await;
    let record = record?;
    if record.mode != ImportMode::Check {
        return Err(ActionError::NotFound);
    }
    if let Some(done) = record.imported_as {
        // Asked twice (a double click, a reload): the first import's report.
        return Ok(done);
    }
    let bytes = match ctx
        .pieces()?
        .get_import(
            identity.tenant,
            check.as_uuid(),
            napoleon_storage::ImportObject::File,
        )
        .await
    {
        Ok(bytes) => bytes,
        Err(napoleon_storage::StorageError::NotFound) => {
            return Err(refused(
                "fichier",
                "Fichier : il n'est plus disponible ; envoyez-le de nouveau.",
            ));
        }
        Err(e) => return Err(WebError::Internal(format!("proposals file not read: {e}")).into()),
    };
    let (mut tx, access) = ctx.begin(identity).await?;
    let target = target(
        &mut tx,
        &access,
        &record.campaign.to_string(),
        &record.unit.to_string(),
    )
    .await;
    tx.rollback().await;
    let target = target?;
    let form = ImportForm {
        mode: ImportMode::Import,
        campaign: record.campaign.to_string(),
        unit: record.unit.to_string(),
        file_name: record.file_name.clone(),
        bytes: bytes.clone(),
    };
    let id = ProposalImportId::new();
    let sha256 = napoleon_storage::sha256_hex(&bytes);
    if let Err(e) = run(ctx, identity, &target, &form, &sha256, id, Some(check)).await {
        // A second click claimed the file first: its import's report.
        if matches!(e, ActionError::Conflict(_)) {
            let (mut tx, access) = ctx.begin(identity).await?;
            let again = readable(&mut tx, &access, check).await;
            tx.rollback().await;
            if let Some(done) = again?.imported_as {
                return Ok(done);
            }
        }
        return Err(e);
    }
    let _ = ctx
        .pieces()?
        .delete_import(
            identity.tenant,
            check.as_uuid(),
            napoleon_storage::ImportObject::File,
        )
        .await;
    Ok(id)
}

/// A draft created in a batch, journaled once the batch's writes and reads are done (the
/// journal's head is locked from the first event to the commit: held briefly).
struct Created {
    dossier: DossierId,
    line: u64,
}

/// Reads, checks and (asked to) imports the file as record `id`; `claim`, the checked file it
/// imports (claimed with the record's creation: a second click finds it claimed, a
/// conflict).
#[expect(
    clippy::too_many_lines,
    reason = "the record, its batches and its report, in order"
)]
async fn run(
    ctx: &WebContext,
    identity: &Identity,
    target: &Target,
    form: &ImportForm,
    sha256: &str,
    id: ProposalImportId,
    claim: Option<ProposalImportId>,
) -> ActionResult<()> {
    let lookup = Lookup::new(&target.catalogue, ctx.today());
    let bytes = form.bytes.clone();
    let slot = reading_slots()
        .acquire()
        .await
        .map_err(|e| WebError::Internal(format!("proposals file reading: {e}")))?;
    let read = tokio::task::spawn_blocking(move || read(&bytes, &lookup))
        .await
        .map_err(|e| WebError::Internal(format!("proposals file reading: {e}")))?
        .map_err(|e| refused("fichier", format!("Fichier : {e}.")))?;
    drop(slot);
    let mut read = read;
    let (mut tx, access) = ctx.begin(identity).await?;
    let create = access.authorize::<perm::NominationCreate>(Scope::Unit(target.unit))?;
    let persons: Vec<Person<'_>> = read.lines.iter().map(|l| person(&l.content)).collect();
    let keys = store::keys(&mut tx, &persons).await?;
    drop(persons);
    read.refuse_repeats(&keys);
    store::start(
        &mut tx,
        &store::NewImport {
            id,
            campaign: target.campaign.id,
            unit: target.unit,
            agent: create.agent(),
            mode: form.mode,
            file_name: &form.file_name,
            sha256,
            size: form.bytes.len() as u64,
        },
    )
    .await?;
    if let Some(check) = claim
        && !store::claim(&mut tx, check, id).await?
    {
        tx.rollback().await;
        return Err(napoleon_web::Conflict::Stale.into());
    }
    journal::append(
        &mut tx,
        Actor::Agent(create.agent()),
        Subject::ProposalImport(id),
        EventKind::ProposalImportStarted,
        json!({"mode": form.mode.code(), "file": form.file_name, "sha256": sha256,
               "size": form.bytes.len(), "campaign": target.campaign.id,
               "unit": target.unit, "checked_as": claim}),
    )
    .await?;
    tx.commit().await?;
    let today = ctx.today();
    let mut outcomes = Vec::with_capacity(read.lines.len());
    let mut created = 0_u64;
    let mut existing = 0_u64;
    for batch in read.lines.chunks(BATCH) {
        let (mut tx, access) = ctx.begin(identity).await?;
        let create = access.authorize::<perm::NominationCreate>(Scope::Unit(target.unit))?;
        if form.mode == ImportMode::Import {
            store::lock_campaign(&mut tx, target.campaign.id).await?;
        }
        let persons: Vec<Person<'_>> = batch.iter().map(|l| person(&l.content)).collect();
        let known =
            store::already_imported(&mut tx, target.campaign.id, target.unit, &persons).await?;
        let mut made: Vec<Created> = Vec::new();
        let mut batch_existing = 0_u64;
        for (line, known) in batch.iter().zip(known) {
            let (verdict, to_complete) = assess(
                &line.content,
                &target.catalogue,
                &target.campaign,
                &target.grade,
                today,
            );
            let mut outcome = Outcome {
                line: line.line,
                dossier: known,
                existing: known.is_some(),
                verdict,
                to_complete,
                duplicates: None,
                name: line.content.display_name(),
            };
            if known.is_some() {
                batch_existing += 1;
            } else if form.mode == ImportMode::Import {
                let dossier = dossiers::insert_draft(
                    &mut tx,
                    DraftBy::Filing(&create),
                    &NewDossier {
                        campaign: target.campaign.id,
                        unit: target.unit,
                        target_grade: &target.grade,
                        content: &line.content,
                        laureate: None,
                    },
                )
                .await?;
                // The file's repeats are refused and the campaign's imports serialised: a
                // key already taken is a bug, and nothing of the batch is kept.
                if !store::remember(&mut tx, dossier, id, line.line).await? {
                    tx.rollback().await;
                    return Err(WebError::Internal(format!(
                        "proposals import: row {} has a natural key already taken",
                        line.line
                    ))
                    .into());
                }
                let found = napoleon_db::duplicates::possible_duplicates(&tx, dossier).await?;
                outcome.duplicates = Some(napoleon_web::visible_duplicates(&access, found).len());
                outcome.dossier = Some(dossier);
                made.push(Created {
                    dossier,
                    line: line.line,
                });
            }
            outcomes.push(outcome);
        }
        if form.mode == ImportMode::Import && !made.is_empty() {
            for c in &made {
                journal::append(
                    &mut tx,
                    Actor::Agent(create.agent()),
                    Subject::Dossier(c.dossier),
                    EventKind::DossierCreated,
                    json!({"campaign": target.campaign.id, "unit": target.unit,
                           "import": id, "line": c.line}),
                )
                .await?;
            }
            journal::append(
                &mut tx,
                Actor::Agent(create.agent()),
                Subject::ProposalImport(id),
                EventKind::ProposalImportBatch,
                json!({"sha256": sha256, "campaign": target.campaign.id, "unit": target.unit,
                       "from_row": batch.first().map(|l| l.line),
                       "to_row": batch.last().map(|l| l.line),
                       "created": made.len(), "existing": batch_existing}),
            )
            .await?;
            tx.commit().await?;
        } else {
            tx.rollback().await;
        }
        created += made.len() as u64;
        existing += batch_existing;
    }
    let problems: Vec<serde_json::Value> = read
        .problems
        .iter()
        .map(|p| json!({"line": p.line, "column": p.column, "value": p.value, "reason": p.reason}))
        .collect();
    let (mut tx, access) = ctx.begin(identity).await?;
    let create = access.authorize::<perm::NominationCreate>(Scope::Unit(target.unit))?;
    let tally = Tally {
        rows: read.rows,
        rejected: read.rejected,
        created,
        existing,
        report: json!({"detected": read.detected, "problems": problems,
                       "outcomes": serde_json::to_value(&outcomes).unwrap_or_else(|_| json!([]))}),
    };
    store::finish(&mut tx, id, &tally).await?;
    journal::append(
        &mut tx,
        Actor::Agent(create.agent()),
        Subject::ProposalImport(id),
        EventKind::ProposalImportFinished,
        json!({"rows": tally.rows, "rejected": tally.rejected, "created": created,
               "existing": existing}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn person(content: &Content) -> Person<'_> {
    Person {
        birth_name: &content.candidate.birth_name,
        given_names: &content.candidate.given_names,
        birth_date: &content.candidate.birth_date,
    }
}

/// A file's record, if the agent may file at its unit (another unit's, or another tenant's,
/// is unknown: 404).
async fn readable(
    tx: &mut napoleon_db::TenantConn,
    access: &Access,
    id: ProposalImportId,
) -> ActionResult<Record> {
    let record = store::get(tx, id).await?.ok_or(ActionError::NotFound)?;
    if !filing_units(access)?.contains(&record.unit) {
        return Err(ActionError::NotFound);
    }
    Ok(record)
}

/// The page: the open campaigns and the agent's filing units to choose from, the files their
/// units sent lately.
pub(crate) struct ImportsPage {
    pub(crate) campaigns: Vec<CampaignView>,
    pub(crate) units: Vec<(OrgUnitId, String)>,
    pub(crate) latest: Vec<Record>,
}

/// The page's content (only for agents who file somewhere).
pub(crate) async fn page(ctx: &WebContext, identity: &Identity) -> ActionResult<ImportsPage> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let units = filing_units(&access)?;
    if units.is_empty() {
        tx.rollback().await;
        return Err(ActionError::Forbidden);
    }
    let today = tx.today();
    let campaigns = contracts::campaigns(&mut tx)
        .await?
        .into_iter()
        .filter(|c| today >= c.opens_on && today <= c.closes_on)
        .collect();
    let latest = store::latest(&mut tx, &units, LISTED).await?;
    tx.rollback().await;
    let names = access
        .units()
        .iter()
        .filter(|u| units.contains(&u.id))
        .map(|u| (u.id, u.name.clone()))
        .collect();
    Ok(ImportsPage {
        campaigns,
        units: names,
        latest,
    })
}

/// A file's report: its record, its campaign's label, and its rows' drafts as listed.
pub(crate) struct Report {
    pub(crate) record: Record,
    pub(crate) campaign: String,
    /// What the file was (« CSV, UTF-8, séparateur « ; » »).
    pub(crate) detected: String,
    pub(crate) problems: Vec<Problem>,
    pub(crate) outcomes: Vec<Outcome>,
    pub(crate) drafts: Vec<store::Listed>,
}

/// The report of file `id`; its drafts' reads are logged.
pub(crate) async fn report(
    ctx: &WebContext,
    identity: &Identity,
    id: ProposalImportId,
) -> ActionResult<Report> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let record = readable(&mut tx, &access, id).await?;
    let campaign = contracts::campaign_by_id(&tx, record.campaign)
        .await
        .map(|c| c.label)
        .unwrap_or_default();
    let stored = &record.tally.report;
    let detected = stored
        .get("detected")
        .and_then(|d| d.as_str())
        .unwrap_or_default()
        .to_owned();
    let outcomes: Vec<Outcome> = stored
        .get("outcomes")
        .cloned()
        .and_then(|o| serde_json::from_value(o).ok())
        .unwrap_or_default();
    let problems: Vec<Problem> = stored
        .get("problems")
        .and_then(|p| p.as_array())
        .map(|rows| {
            rows.iter()
                .map(|p| {
                    let text = |k: &str| {
                        p.get(k)
                            .and_then(|v| v.as_str())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    Problem {
                        line: p
                            .get("line")
                            .and_then(serde_json::Value::as_u64)
                            .unwrap_or(0),
                        column: text("column"),
                        value: text("value"),
                        reason: text("reason"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let ids: Vec<DossierId> = outcomes.iter().filter_map(|o| o.dossier).collect();
    // Each draft as the agent may read it (their own unit's: a draft is its authors').
    let drafts: Vec<store::Listed> = store::listed(&mut tx, record.unit, &ids)
        .await?
        .into_iter()
        .filter(|d| {
            access
                .read_dossier(d.unit, d.level, d.state == DossierState::Draft)
                .is_ok()
        })
        .collect();
    let shown: Vec<napoleon_db::readlog::ReadSubject> = drafts
        .iter()
        .map(|d| napoleon_db::readlog::ReadSubject::Dossier(d.id))
        .collect();
    napoleon_web::end_reads(
        tx,
        identity,
        &shown,
        napoleon_db::readlog::ReadChannel::Page,
    )
    .await?;
    Ok(Report {
        record,
        campaign,
        detected,
        problems,
        outcomes,
        drafts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_reads_back_with_every_column() {
        let table = napoleon_tabular::open(Cursor::new(template_csv().into_bytes()));
        let table = table.unwrap_or_else(|e| unreachable!("{e}"));
        let layout = Layout::from_headers(table.headers(), &all_fields(), &[]);
        assert_eq!(layout.map(|l| l.len()).ok(), Some(all_fields().len()));
    }
}
