//! The registry imported from an agent's file (issue 18): laureates decorated before
//! Napoléon, their awards and their careers, from a CSV, an XLSX or an ODS laid out as the
//! template ([`template_csv`]).
//!
//! [`check`] reads the whole file and reports every refused row (row, column, value, reason)
//! without writing anything. [`run`] does the same and imports the valid rows in batches:
//! each batch is one transaction with one journal event (the file's SHA-256, the rows it
//! covers, its counts) and the import's resume point (`rows_done`), so after a crash the same
//! command on the same file starts after the last committed batch, and nothing is ever half
//! written. An award's natural key (the person's folded birth name, first given name and
//! birth date; the distinction, grade and decree date) makes the same file imported twice add
//! nothing. [`undo`] removes what an import added, as a whole, while nothing depends on it.

use std::collections::HashMap;
use std::io::{Read, Seek};

use chrono::NaiveDate;
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_db::{Db, DbError, TenantConn, catalogue};
use napoleon_kernel::{AgentId, OrgUnitId, RegistryImportId, TenantId};
use napoleon_rules::content::CAREER_KINDS;
use napoleon_rules::{Catalogue, DistinctionCode, GradeCode};
use napoleon_tabular::columns::{Checker, Column, fold};
use napoleon_tabular::{FileError, Row, Table};
use serde_json::json;

use crate::store::registry_import as store;

/// Rows per batch (a transaction, a journal event) unless told otherwise.
pub const DEFAULT_BATCH: usize = 5_000;
/// Career periods a row may carry (`Carrière 1 …` to `Carrière 3 …`).
pub const PERIODS: usize = 3;
/// Refused rows kept for the report; beyond, only counted (the file is then surely not the
/// registry's layout).
const MAX_PROBLEMS: usize = 100_000;

/// One column of the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
    BirthName,
    UsualName,
    GivenNames,
    Sex,
    BirthDate,
    BirthPlace,
    Distinction,
    Grade,
    DecreeDate,
    JoReference,
    ReceptionDate,
    Unit,
    PeriodFrom(usize),
    PeriodTo(usize),
    PeriodKind(usize),
    PeriodPosition(usize),
}

/// The template's columns: header, whether required, what it holds (the template's second
/// row and the guide).
const COLUMNS: [(Field, &str, bool, &str); 12] = [
    (
        Field::BirthName,
        "Nom de naissance",
        true,
        "Nom de naissance, tel qu'à l'état civil",
    ),
    (
        Field::UsualName,
        "Nom d'usage",
        false,
        "Nom d'usage, s'il diffère",
    ),
    (
        Field::GivenNames,
        "Prénoms",
        true,
        "Prénoms dans l'ordre de l'état civil",
    ),
    (Field::Sex, "Sexe", true, "F ou M"),
    (Field::BirthDate, "Date de naissance", true, "JJ/MM/AAAA"),
    (
        Field::BirthPlace,
        "Lieu de naissance",
        false,
        "Commune (et pays hors de France)",
    ),
    (
        Field::Distinction,
        "Distinction",
        true,
        "Code de la distinction : LH, ONM…",
    ),
    (
        Field::Grade,
        "Grade",
        true,
        "Code ou libellé du grade : chevalier, officier…",
    ),
    (Field::DecreeDate, "Date du décret", true, "JJ/MM/AAAA"),
    (
        Field::JoReference,
        "Référence JO",
        true,
        "Journal officiel : JORF n° 0123 du …",
    ),
    (
        Field::ReceptionDate,
        "Date de réception",
        false,
        "JJ/MM/AAAA (prise de rang)",
    ),
    (
        Field::Unit,
        "Unité proposante",
        false,
        "Code de l'unité : PREF-69…",
    ),
];

/// The template's columns as the page and the guide explain them: header, whether required,
/// what it holds (the career's columns once for their three periods).
#[must_use]
pub fn column_help() -> Vec<(String, bool, &'static str)> {
    let mut out: Vec<(String, bool, &'static str)> = COLUMNS
        .iter()
        .map(|(_, header, required, help)| ((*header).to_owned(), *required, *help))
        .collect();
    out.extend(napoleon_rules::content::career_column_help(PERIODS));
    out
}

fn period_header(field: Field) -> Option<String> {
    let (n, what) = match field {
        Field::PeriodFrom(n) => (n, "début"),
        Field::PeriodTo(n) => (n, "fin"),
        Field::PeriodKind(n) => (n, "nature"),
        Field::PeriodPosition(n) => (n, "fonction"),
        _ => return None,
    };
    Some(format!("Carrière {} {what}", n + 1))
}

fn header(field: Field) -> String {
    period_header(field).unwrap_or_else(|| {
        COLUMNS
            .iter()
            .find(|c| c.0 == field)
            .map_or_else(String::new, |c| c.1.to_owned())
    })
}

fn all_fields() -> Vec<Field> {
    let mut out: Vec<Field> = COLUMNS.iter().map(|c| c.0).collect();
    for n in 0..PERIODS {
        out.extend([
            Field::PeriodFrom(n),
            Field::PeriodTo(n),
            Field::PeriodKind(n),
            Field::PeriodPosition(n),
        ]);
    }
    out
}

/// The downloadable template: the headers, then one example row (UTF-8 with a BOM and `;`,
/// which every spreadsheet opens as is).
#[must_use]
pub fn template_csv() -> String {
    let fields = all_fields();
    let headers: Vec<String> = fields.iter().map(|f| header(*f)).collect();
    let example: Vec<&str> = fields
        .iter()
        .map(|f| match f {
            Field::BirthName => "LEFÈVRE",
            Field::UsualName => "",
            Field::GivenNames => "Hélène Marie",
            Field::Sex => "F",
            Field::BirthDate => "14/03/1961",
            Field::BirthPlace => "Lyon (Rhône)",
            Field::Distinction => "ONM",
            Field::Grade => "chevalier",
            Field::DecreeDate => "14/11/2008",
            Field::JoReference => "JORF n° 0266 du 15/11/2008",
            Field::ReceptionDate => "02/02/2009",
            Field::Unit => "",
            Field::PeriodFrom(0) => "01/09/1985",
            Field::PeriodKind(0) => "Service public",
            Field::PeriodPosition(0) => "Professeure, lycée du Parc",
            _ => "",
        })
        .collect();
    format!("\u{FEFF}{}\r\n{}\r\n", headers.join(";"), example.join(";"))
}

/// What an import (or its check) found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The import (none for a check).
    pub import: Option<RegistryImportId>,
    /// « CSV, Windows-1252, séparateur « ; » ».
    pub detected: String,
    /// Rows read (headers and blank rows aside), this run.
    pub rows: u64,
    /// Valid rows, this run.
    pub valid: u64,
    /// Refused rows, this run.
    pub rejected: u64,
    /// Awards added, this run.
    pub inserted: u64,
    /// Valid rows whose award the registry already held, this run.
    pub existing: u64,
    /// The row after which this run started (a resumed import), 0 otherwise.
    pub resumed_after: u64,
    /// The refused rows' problems, in file order (at most 100,000).
    pub problems: Vec<Problem>,
    /// Problems beyond those kept.
    pub problems_dropped: u64,
}

impl Report {
    /// The line-level report as CSV (UTF-8 with a BOM, `;`): « Ligne;Colonne;Valeur;Motif ».
    #[must_use]
    pub fn problems_csv(&self) -> String {
        problems_csv(&self.problems)
    }
}

pub use napoleon_tabular::columns::{Problem, problems_csv};

/// Why an import cannot run, in French.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not a table.
    #[error("{0}")]
    File(#[from] FileError),
    /// The header row is not the template's.
    #[error("en-têtes de colonnes : {}", .0.join(" ; "))]
    Headers(Vec<String>),
    /// The tenant's catalogue does not parse.
    #[error("le catalogue des distinctions du ministère est illisible : {0}")]
    Catalogue(String),
    /// The import cannot be undone.
    #[error("{0}")]
    Refused(String),
    /// No such import in the tenant.
    #[error("aucun import {0} dans ce ministère")]
    NotFound(RegistryImportId),
    /// The database failed.
    #[error("base de données : {0}")]
    Db(#[from] DbError),
}

/// One valid row, ready for the store.
#[derive(Clone)]
pub(crate) struct Line {
    pub(crate) line: u64,
    /// `birth_name`, `usual_name`, `given_names`, `sex`, `birth_date`, `birth_place`.
    pub(crate) identity: serde_json::Value,
    pub(crate) distinction: DistinctionCode,
    pub(crate) grade: GradeCode,
    pub(crate) decree_date: NaiveDate,
    pub(crate) jo_reference: String,
    pub(crate) reception_date: Option<NaiveDate>,
    pub(crate) unit: Option<OrgUnitId>,
    pub(crate) periods: Vec<Period>,
}

/// A career period of a row.
#[derive(Clone)]
pub(crate) struct Period {
    pub(crate) from: NaiveDate,
    pub(crate) to: Option<NaiveDate>,
    pub(crate) kind: &'static str,
    pub(crate) position: String,
}

/// What the rows are checked against: the tenant's catalogue and units, and today.
struct Lookup {
    /// Distinction code → its grades (code, folded label).
    distinctions: HashMap<String, (DistinctionCode, Vec<(GradeCode, String)>)>,
    units: HashMap<String, OrgUnitId>,
    today: NaiveDate,
}

impl Lookup {
    async fn load(tx: &mut TenantConn) -> Result<Self, ImportError> {
        let files = catalogue::load(tx).await?;
        let catalogue =
            Catalogue::for_tenant(&files).map_err(|e| ImportError::Catalogue(e.to_string()))?;
        let distinctions = catalogue
            .distinctions()
            .iter()
            .map(|d| {
                let grades = d
                    .grades
                    .iter()
                    .map(|g| (g.code.clone(), fold(&g.label)))
                    .collect();
                (d.code.as_str().to_owned(), (d.code.clone(), grades))
            })
            .collect();
        let units = napoleon_db::core::list_org_units(tx)
            .await?
            .into_iter()
            .map(|u| (u.code.as_str().to_uppercase(), u.id))
            .collect();
        Ok(Self {
            distinctions,
            units,
            today: tx.today(),
        })
    }
}

impl Column for Field {
    fn header(self) -> String {
        header(self)
    }
}

type Layout = napoleon_tabular::columns::Layout<Field>;

/// The template's columns matched in the file's header row.
fn layout(headers: &Row) -> Result<Layout, ImportError> {
    let required: Vec<Field> = COLUMNS.iter().filter(|c| c.2).map(|c| c.0).collect();
    Layout::from_headers(headers, &all_fields(), &required).map_err(ImportError::Headers)
}

/// Checks one row; its problems when refused.
fn parse_row(row: &Row, layout: &Layout, lookup: &Lookup) -> Result<Line, Vec<Problem>> {
    let mut c = Checker::new(row, layout, lookup.today);
    let birth_name = c.text(Field::BirthName, true, 100);
    let usual_name = c.text(Field::UsualName, false, 100);
    let given_names = c.text(Field::GivenNames, true, 200);
    let birth_place = c.text(Field::BirthPlace, false, 200);
    let jo_reference = c.text(Field::JoReference, true, 200);
    c.has_letters(Field::BirthName, &birth_name);
    c.has_letters(Field::GivenNames, &given_names);
    let sex = c.sex(Field::Sex);
    let birth_date = c.date(Field::BirthDate, true);
    let decree_date = c.date(Field::DecreeDate, true);
    let reception_date = c.date(Field::ReceptionDate, false);
    if let (Some(b), Some(d)) = (birth_date, decree_date)
        && d <= b
    {
        c.refuse(Field::DecreeDate, "le décret précède la naissance");
    }
    if let (Some(d), Some(r)) = (decree_date, reception_date)
        && r < d
    {
        c.refuse(Field::ReceptionDate, "la réception précède le décret");
    }
    let distinction = match c.cell(Field::Distinction).to_uppercase() {
        code if code.is_empty() => {
            c.refuse(Field::Distinction, "obligatoire");
            None
        }
        code => {
            let found = lookup.distinctions.get(&code);
            if found.is_none() {
                let mut codes: Vec<&str> = lookup.distinctions.keys().map(String::as_str).collect();
                codes.sort_unstable();
                c.refuse(
                    Field::Distinction,
                    &format!(
                        "distinction inconnue du catalogue du ministère (codes : {})",
                        codes.join(", ")
                    ),
                );
            }
            found
        }
    };
    let grade_cell = fold(c.cell(Field::Grade));
    let grade = match distinction {
        _ if grade_cell.is_empty() => {
            c.refuse(Field::Grade, "obligatoire");
            None
        }
        None => None,
        Some((_, grades)) => {
            let found = grades
                .iter()
                .find(|(code, label)| fold(code.as_str()) == grade_cell || *label == grade_cell);
            if found.is_none() {
                let codes: Vec<&str> = grades.iter().map(|(code, _)| code.as_str()).collect();
                c.refuse(
                    Field::Grade,
                    &format!(
                        "grade inconnu pour cette distinction ({})",
                        codes.join(", ")
                    ),
                );
            }
            found.map(|(code, _)| code.clone())
        }
    };
    let unit = match c.cell(Field::Unit).to_uppercase() {
        code if code.is_empty() => None,
        code => {
            let found = lookup.units.get(&code).copied();
            if found.is_none() {
                c.refuse(Field::Unit, "unité inconnue dans ce ministère");
            }
            found
        }
    };
    let periods: Vec<Period> = (0..PERIODS)
        .filter_map(|n| {
            let columns = [
                Field::PeriodFrom(n),
                Field::PeriodTo(n),
                Field::PeriodKind(n),
                Field::PeriodPosition(n),
            ];
            match c.period(columns, &CAREER_KINDS)? {
                napoleon_tabular::columns::Period {
                    from: Some(from),
                    to,
                    kind: Some(kind),
                    position,
                } => Some(Period {
                    from,
                    to,
                    kind,
                    position,
                }),
                _ => None,
            }
        })
        .collect();
    match (birth_date, decree_date, distinction, grade, sex) {
        (Some(birth_date), Some(decree_date), Some((distinction, _)), Some(grade), Some(sex))
            if c.problems.is_empty() =>
        {
            Ok(Line {
                line: row.line,
                identity: json!({
                    "birth_name": birth_name,
                    "usual_name": usual_name,
                    "given_names": given_names,
                    "sex": sex,
                    "birth_date": birth_date.to_string(),
                    "birth_place": birth_place,
                }),
                distinction: distinction.clone(),
                grade,
                decree_date,
                jo_reference,
                reception_date,
                unit,
                periods,
            })
        }
        _ => Err(c.problems),
    }
}

/// Who imports, and how.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The file's name as the agent had it.
    pub file_name: String,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Its size.
    pub size: u64,
    /// Who acts (journal).
    pub actor: Actor,
    /// The agent, when one started it.
    pub started_by: Option<AgentId>,
    /// Rows per batch.
    pub batch: usize,
}

/// Progress of a check or an import: the last row read.
pub type Progress<'a> = &'a mut (dyn FnMut(u64) + Send);

/// Opens the file and its layout; a file-level refusal otherwise.
fn open<R: Read + Seek>(source: R) -> Result<(Table<R>, Layout), ImportError> {
    let table = napoleon_tabular::open(source)?;
    let layout = layout(table.headers())?;
    Ok((table, layout))
}

/// One row read: its line, and its typed values or its problems; the file's end when the
/// source failed.
fn read(
    row: Result<Row, napoleon_tabular::RowError>,
    layout: &Layout,
    lookup: &Lookup,
) -> Result<(u64, Result<Line, Vec<Problem>>), ImportError> {
    match row {
        Ok(row) => Ok((row.line, parse_row(&row, layout, lookup))),
        Err(e) if e.fatal => Err(ImportError::File(FileError::Io(std::io::Error::other(
            e.reason,
        )))),
        Err(e) => Ok((e.line, Err(vec![Problem::row(e)]))),
    }
}

/// Reads the whole file and reports what an import would refuse; writes nothing.
///
/// # Errors
/// [`ImportError`] when the file cannot be read as the template's table.
pub async fn check<R: Read + Seek>(
    db: &Db,
    tenant: TenantId,
    source: R,
    progress: Progress<'_>,
) -> Result<Report, ImportError> {
    let lookup = {
        let mut tx = db.tenant(tenant).await?;
        let lookup = Lookup::load(&mut tx).await?;
        tx.rollback().await;
        lookup
    };
    let (table, layout) = open(source)?;
    let mut report = Report {
        detected: table.detected().describe(),
        ..Report::default()
    };
    for row in table {
        let (line, outcome) = read(row, &layout, &lookup)?;
        report.tally(outcome.map(|_| ()));
        // A long read leaves the runtime to others now and then (its job's lease, requests).
        if report.rows.is_multiple_of(1_000) {
            tokio::task::yield_now().await;
        }
        if report.rows.is_multiple_of(10_000) {
            progress(line);
        }
    }
    Ok(report)
}

impl Report {
    fn tally(&mut self, outcome: Result<(), Vec<Problem>>) {
        self.rows += 1;
        match outcome {
            Ok(()) => self.valid += 1,
            Err(problems) => {
                self.rejected += 1;
                for p in problems {
                    if self.problems.len() < MAX_PROBLEMS {
                        self.problems.push(p);
                    } else {
                        self.problems_dropped += 1;
                    }
                }
            }
        }
    }
}

/// Imports the file into the tenant's registry, resuming an unfinished import of the same
/// file (same SHA-256) after its last committed batch.
///
/// # Errors
/// [`ImportError`]: the file, its headers, or the database (committed batches stay; the same
/// call resumes after them).
pub async fn run<R: Read + Seek>(
    db: &Db,
    tenant: TenantId,
    source: R,
    request: &ImportRequest,
    progress: Progress<'_>,
) -> Result<Report, ImportError> {
    let (table, layout) = open(source)?;
    let detected = table.detected().describe();
    let (lookup, id, resumed_after) = {
        let mut tx = db.tenant(tenant).await?;
        let lookup = Lookup::load(&mut tx).await?;
        let (id, done) = match store::unfinished(&mut tx, &request.sha256).await? {
            Some(found) => found,
            None => {
                let id = RegistryImportId::new();
                store::start(&mut tx, id, request, &detected).await?;
                journal::append(
                    &mut tx,
                    request.actor,
                    Subject::RegistryImport(id),
                    EventKind::RegistryImportStarted,
                    json!({"file": request.file_name, "sha256": request.sha256,
                           "size": request.size, "detected": detected}),
                )
                .await?;
                (id, 0)
            }
        };
        tx.commit().await?;
        (lookup, id, done)
    };
    let mut report = Report {
        import: Some(id),
        detected,
        resumed_after,
        ..Report::default()
    };
    let mut batch = Batch::default();
    for row in table {
        // Rows up to the resume point were committed by an earlier run: not even checked.
        let line = row.as_ref().map_or_else(|e| e.line, |r| r.line);
        if line <= resumed_after {
            continue;
        }
        let (line, outcome) = read(row, &layout, &lookup)?;
        report.rows += 1;
        if report.rows.is_multiple_of(1_000) {
            tokio::task::yield_now().await;
        }
        batch.last = line;
        match outcome {
            Ok(valid) => {
                report.valid += 1;
                batch.lines.push(valid);
            }
            Err(problems) => {
                report.rejected += 1;
                batch.rejected += 1;
                batch.problems.extend(problems);
            }
        }
        if batch.lines.len() >= request.batch.max(1) || batch.problems.len() >= 10_000 {
            commit_batch(db, tenant, id, request, &mut batch, &mut report).await?;
            progress(line);
        }
    }
    if batch.last > 0 {
        commit_batch(db, tenant, id, request, &mut batch, &mut report).await?;
    }
    let mut tx = db.tenant(tenant).await?;
    if let Some(totals) = store::finish(&mut tx, id).await? {
        journal::append(
            &mut tx,
            request.actor,
            Subject::RegistryImport(id),
            EventKind::RegistryImportFinished,
            json!({"sha256": request.sha256, "rows": totals.rows_done,
                   "inserted": totals.inserted, "existing": totals.existing,
                   "rejected": totals.rejected}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// The rows read since the last commit.
#[derive(Default)]
struct Batch {
    lines: Vec<Line>,
    problems: Vec<Problem>,
    rejected: u64,
    /// The last file row read.
    last: u64,
}

async fn commit_batch(
    db: &Db,
    tenant: TenantId,
    id: RegistryImportId,
    request: &ImportRequest,
    batch: &mut Batch,
    report: &mut Report,
) -> Result<(), ImportError> {
    let mut tx = db.tenant(tenant).await?;
    let locked = store::lock(&mut tx, id).await?;
    if locked.state != store::ImportState::Running {
        tx.rollback().await;
        return Err(ImportError::Refused(
            "cet import a été annulé ou terminé pendant sa lecture : rien de plus n'est écrit"
                .to_owned(),
        ));
    }
    // Another run of the same file (another batch size, say) may have committed some of
    // these rows meanwhile: only the rows after its resume point are written and counted.
    let done = locked.rows_done;
    batch.lines.retain(|l| l.line > done);
    batch.problems.retain(|p| p.line > done);
    let mut refused: Vec<u64> = batch.problems.iter().map(|p| p.line).collect();
    refused.dedup();
    let rejected = refused.len() as u64;
    let first = batch
        .lines
        .first()
        .map(|l| l.line)
        .into_iter()
        .chain(refused.first().copied())
        .min();
    if let (Some(first), true) = (first, done < batch.last) {
        let inserted = store::insert_batch(&mut tx, tenant, id, &batch.lines).await?;
        let existing = batch.lines.len() as u64 - inserted;
        // The report keeps the first 100,000 refused rows; the rest are only counted.
        let room = (MAX_PROBLEMS as u64).saturating_sub(locked.rejected);
        let kept_rows: std::collections::HashSet<u64> = refused
            .iter()
            .take(usize::try_from(room).unwrap_or(usize::MAX))
            .copied()
            .collect();
        let kept: Vec<Problem> = batch
            .problems
            .iter()
            .filter(|p| kept_rows.contains(&p.line))
            .cloned()
            .collect();
        store::record_problems(&mut tx, id, &kept).await?;
        store::advance(&mut tx, id, batch.last, inserted, existing, rejected).await?;
        journal::append(
            &mut tx,
            request.actor,
            Subject::RegistryImport(id),
            EventKind::RegistryImportBatch,
            json!({"sha256": request.sha256, "from_row": first, "to_row": batch.last,
                   "inserted": inserted, "existing": existing, "rejected": rejected}),
        )
        .await?;
        tx.commit().await?;
        report.inserted += inserted;
        report.existing += existing;
    } else {
        tx.rollback().await;
    }
    for p in batch.problems.drain(..) {
        if report.problems.len() < MAX_PROBLEMS {
            report.problems.push(p);
        } else {
            report.problems_dropped += 1;
        }
    }
    batch.lines.clear();
    batch.rejected = 0;
    Ok(())
}

/// What an undo removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Undone {
    /// Awards removed.
    pub awards: u64,
    /// Laureates removed (those the import had created).
    pub laureates: u64,
    /// Career periods removed.
    pub periods: u64,
}

/// Removes what an import added, as a whole, while nothing depends on it: no dossier proposes
/// one of its laureates, no award or career period from elsewhere was added to them. In the
/// caller's transaction (journaled there); nothing is changed when it is refused.
///
/// # Errors
/// [`ImportError::NotFound`], [`ImportError::Refused`] (in French: what depends on it, or
/// already undone), [`ImportError::Db`].
pub async fn undo(
    tx: &mut TenantConn,
    id: RegistryImportId,
    actor: Actor,
) -> Result<Undone, ImportError> {
    let Some(state) = store::lock_state(tx, id).await? else {
        return Err(ImportError::NotFound(id));
    };
    match state {
        store::ImportState::Undone => {
            return Err(ImportError::Refused(
                "cet import est déjà annulé".to_owned(),
            ));
        }
        store::ImportState::Running => {
            return Err(ImportError::Refused(
                "cet import n'est pas terminé : attendez sa fin, ou reprenez-le en important \
                 de nouveau le même fichier, puis annulez-le"
                    .to_owned(),
            ));
        }
        store::ImportState::Finished => {}
    }
    let blockers = store::dependents(tx, id).await?;
    if !blockers.is_empty() {
        return Err(ImportError::Refused(format!(
            "cet import ne peut plus être annulé : {}",
            blockers.join(" ; ")
        )));
    }
    let undone = store::remove(tx, id).await?;
    journal::append(
        tx,
        actor,
        Subject::RegistryImport(id),
        EventKind::RegistryImportUndone,
        json!({"awards": undone.awards, "laureates": undone.laureates,
               "periods": undone.periods}),
    )
    .await?;
    Ok(undone)
}

/// Reads a file's header row only: what it is (« CSV, UTF-8, séparateur « ; » ») or why it is
/// not the template's table — the page's instant answer before any job.
///
/// # Errors
/// [`ImportError::File`], [`ImportError::Headers`].
pub fn inspect(bytes: &[u8]) -> Result<String, ImportError> {
    let (table, _) = open(std::io::Cursor::new(bytes))?;
    Ok(table.detected().describe())
}

/// One import, as listed.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    /// Its id.
    pub id: RegistryImportId,
    /// The file's name.
    pub file_name: String,
    /// When it started.
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// Whether it read its file's last row.
    pub finished: bool,
    /// Whether it was undone.
    pub undone: bool,
    /// Awards added, already present, rows refused.
    pub inserted: u64,
    /// Valid rows whose award the registry already held.
    pub existing: u64,
    /// Rows refused.
    pub rejected: u64,
}

/// Every problem an import recorded, over all its runs, in file order.
///
/// # Errors
/// [`DbError`].
pub async fn recorded_problems(
    db: &Db,
    tenant: TenantId,
    id: RegistryImportId,
) -> Result<Vec<Problem>, DbError> {
    let mut tx = db.tenant(tenant).await?;
    let problems = store::problems(&mut tx, id).await?;
    tx.rollback().await;
    Ok(problems)
}

/// The tenant's latest imports (at most `limit`), latest first.
///
/// # Errors
/// [`DbError`].
pub async fn latest(tx: &mut TenantConn, limit: u16) -> Result<Vec<ImportSummary>, DbError> {
    store::latest(tx, limit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn career_headers_are_numbered_from_one() {
        assert_eq!(fold(&header(Field::PeriodKind(2))), "carriere 3 nature");
    }

    #[test]
    fn the_template_reads_back_as_the_template() -> Result<(), ImportError> {
        let text = template_csv();
        let table = napoleon_tabular::open(std::io::Cursor::new(text.into_bytes()))?;
        let layout = layout(table.headers())?;
        assert_eq!(layout.len(), COLUMNS.len() + 4 * PERIODS);
        Ok(())
    }
}
