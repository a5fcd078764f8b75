//! What every import of an agent's table shares once its rows are read: headers matched to
//! the template's columns whatever their case, accents or separators ([`Layout`]), a row's
//! cells checked one by one into the line-level report ([`Checker`], [`Problem`]), dates as
//! agents type them ([`parse_date`]), and the report as a CSV a spreadsheet opens without
//! running anything ([`problems_csv`]).
//!
//! What a column means stays with its import (the registry's, the proposals'): it names its
//! columns with a type implementing [`Column`].

use chrono::NaiveDate;

use crate::Row;

/// Characters of a cell's value kept in the report.
const VALUE_CHARS: usize = 200;

/// One column of an import's template.
pub trait Column: Copy + Eq {
    /// Its header, as the template writes it.
    fn header(self) -> String;
}

/// A header as matched: lower case, no accents, apostrophes, hyphens, underscores and runs of
/// spaces as one space (« date_de_naissance », « Date de  naissance » are the same column).
/// Also how cells holding a code or a label are compared (« Service public », « service
/// PUBLIC »).
#[must_use]
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ç' => 'c',
            'ÿ' => 'y',
            '\'' | '’' | '-' | '_' | '.' | '°' => ' ',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    out.trim_end().to_owned()
}

/// The first `max` characters of `text`.
#[must_use]
pub fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Parses a date as agents type it: `14/03/1961`, `14-03-1961`, `1961-03-14` (a date cell of
/// a spreadsheet reads as the last). The year has its four digits: « 14/03/61 » is not
/// guessed.
#[must_use]
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let parts: Vec<&str> = text.trim().split(['/', '-', '.']).collect();
    let digits = |p: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
    };
    let (year, month, day) = match parts.as_slice() {
        [y, m, d] if digits(y, 4..=4) && digits(m, 1..=2) && digits(d, 1..=2) => (y, m, d),
        [d, m, y] if digits(y, 4..=4) && digits(m, 1..=2) && digits(d, 1..=2) => (y, m, d),
        _ => return None,
    };
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// One refused row's cell (or the whole row, `column` empty).
#[derive(Clone, PartialEq, Eq)]
pub struct Problem {
    /// The row in the file.
    pub line: u64,
    /// The column's header as the template names it.
    pub column: String,
    /// The value as read (at most 200 characters).
    pub value: String,
    /// Why, in French.
    pub reason: String,
}

// The value is the agent's data (names, dates): never in logs.
impl std::fmt::Debug for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Problem(line {}, {:?}: {})",
            self.line, self.column, self.reason
        )
    }
}

impl Problem {
    /// A row that could not be read at all.
    #[must_use]
    pub fn row(error: crate::RowError) -> Self {
        Self {
            line: error.line,
            column: String::new(),
            value: String::new(),
            reason: error.reason,
        }
    }
}

/// Problems as the line-level report's CSV (UTF-8 with a BOM, `;`): « Ligne;Colonne;Valeur;
/// Motif », formulas neutralised.
#[must_use]
pub fn problems_csv(problems: &[Problem]) -> String {
    let mut out = String::from("\u{FEFF}Ligne;Colonne;Valeur;Motif\r\n");
    for p in problems {
        out.push_str(&p.line.to_string());
        for cell in [&p.column, &p.value, &p.reason] {
            out.push(';');
            out.push('"');
            // A spreadsheet would run a formula: it is made text.
            out.push_str(&crate::neutralised(cell).replace('"', "\"\""));
            out.push('"');
        }
        out.push_str("\r\n");
    }
    out
}

/// Which file column holds which field.
#[derive(Debug, Clone)]
pub struct Layout<F> {
    at: Vec<(F, usize)>,
}

impl<F: Column> Layout<F> {
    /// Matches the header row to `known` columns; every `required` one must be there. The
    /// refusals, in French, name each unknown, repeated or missing column.
    ///
    /// # Errors
    /// The list of what is wrong with the headers.
    pub fn from_headers(headers: &Row, known: &[F], required: &[F]) -> Result<Self, Vec<String>> {
        let folded: Vec<(F, String)> = known.iter().map(|f| (*f, fold(&f.header()))).collect();
        let mut at: Vec<(F, usize)> = Vec::new();
        let mut errors = Vec::new();
        for (i, cell) in headers.cells.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            let cell_folded = fold(cell);
            match folded.iter().find(|(_, h)| *h == cell_folded) {
                Some((field, _)) if at.iter().any(|(f, _)| f == field) => errors.push(format!(
                    "la colonne « {} » apparaît deux fois",
                    field.header()
                )),
                Some((field, _)) => at.push((*field, i)),
                None => errors.push(format!(
                    "colonne « {} » inconnue : nommez-la comme dans le modèle",
                    truncate(cell, 60)
                )),
            }
        }
        for field in required {
            if !at.iter().any(|(f, _)| f == field) {
                errors.push(format!(
                    "colonne obligatoire « {} » absente",
                    field.header()
                ));
            }
        }
        if errors.is_empty() {
            Ok(Self { at })
        } else {
            Err(errors)
        }
    }

    /// The row's cell of `field` (empty when the file has no such column or the row ends
    /// before it).
    #[must_use]
    pub fn cell<'r>(&self, row: &'r Row, field: F) -> &'r str {
        self.at
            .iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, i)| row.cells.get(*i))
            .map_or("", String::as_str)
    }

    /// Columns matched.
    #[must_use]
    pub fn len(&self) -> usize {
        self.at.len()
    }

    /// Whether no column matched.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }
}

/// A career period as a row gives it (each part `None` where refused or empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// Its start.
    pub from: Option<NaiveDate>,
    /// Its end (none while it goes on).
    pub to: Option<NaiveDate>,
    /// Its kind's code.
    pub kind: Option<&'static str>,
    /// Function and employer.
    pub position: String,
}

/// One row's checks, collecting its problems.
#[derive(Debug)]
pub struct Checker<'r, F> {
    row: &'r Row,
    layout: &'r Layout<F>,
    today: NaiveDate,
    /// What was refused so far.
    pub problems: Vec<Problem>,
}

impl<'r, F: Column> Checker<'r, F> {
    /// Checks `row` as laid out, dates against `today`.
    #[must_use]
    pub const fn new(row: &'r Row, layout: &'r Layout<F>, today: NaiveDate) -> Self {
        Self {
            row,
            layout,
            today,
            problems: Vec::new(),
        }
    }

    /// The row's number in the file.
    #[must_use]
    pub const fn line(&self) -> u64 {
        self.row.line
    }

    /// The cell of `field`, as read.
    #[must_use]
    pub fn cell(&self, field: F) -> &'r str {
        self.layout.cell(self.row, field)
    }

    /// Refuses the row for its cell of `field`.
    pub fn refuse(&mut self, field: F, reason: &str) {
        // Shown and stored as text: a control character (a NUL from an XLSX's `_x0000_`)
        // becomes a space.
        let value: String = truncate(self.cell(field), VALUE_CHARS)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        self.problems.push(Problem {
            line: self.row.line,
            column: field.header(),
            value,
            reason: reason.to_owned(),
        });
    }

    /// A text cell: required or not, at most `max` characters, no control characters.
    pub fn text(&mut self, field: F, required: bool, max: usize) -> String {
        let value = self.cell(field).to_owned();
        if required && value.is_empty() {
            self.refuse(field, "obligatoire");
        } else if value.chars().count() > max {
            self.refuse(field, &format!("{max} caractères au plus"));
        } else if value.chars().any(char::is_control) {
            self.refuse(field, "caractères de contrôle interdits");
        }
        value
    }

    /// A date cell: not in the future, not before 1880.
    pub fn date(&mut self, field: F, required: bool) -> Option<NaiveDate> {
        let value = self.cell(field);
        if value.is_empty() {
            if required {
                self.refuse(field, "obligatoire");
            }
            return None;
        }
        let Some(date) = parse_date(value) else {
            self.refuse(field, "date invalide : JJ/MM/AAAA attendu");
            return None;
        };
        if date > self.today {
            self.refuse(field, "date dans le futur");
            None
        } else if date < NaiveDate::from_ymd_opt(1880, 1, 1).unwrap_or(NaiveDate::MIN) {
            self.refuse(field, "date antérieure à 1880");
            None
        } else {
            Some(date)
        }
    }

    /// A sex cell: `F`/`femme`, `M`/`H`/`homme`.
    pub fn sex(&mut self, field: F) -> Option<&'static str> {
        match fold(self.cell(field)).as_str() {
            "f" | "femme" => Some("F"),
            "m" | "h" | "homme" => Some("M"),
            "" => {
                self.refuse(field, "obligatoire");
                None
            }
            _ => {
                self.refuse(field, "F ou M attendu");
                None
            }
        }
    }

    /// A name cell must hold letters (not only digits or punctuation).
    pub fn has_letters(&mut self, field: F, value: &str) {
        if !value.is_empty() && !value.chars().any(char::is_alphabetic) {
            self.refuse(field, "doit contenir des lettres");
        }
    }

    /// A period of a career laid over four columns (`[from, to, kind, position]`): none
    /// when all four are empty; else its start (required), end (not before the start), kind
    /// (one of `kinds`, code or label) and position (required, 300 characters), each `None`
    /// where refused.
    pub fn period(
        &mut self,
        columns: [F; 4],
        kinds: &[(&'static str, &'static str)],
    ) -> Option<Period> {
        let [from_col, to_col, kind_col, position_col] = columns;
        if columns.iter().all(|f| self.cell(*f).is_empty()) {
            return None;
        }
        let from = self.date(from_col, true);
        let to = self.date(to_col, false);
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            self.refuse(to_col, "la fin précède le début");
        }
        let kind = self.choice(kind_col, kinds);
        let position = self.text(position_col, true, 300);
        Some(Period {
            from,
            to,
            kind,
            position,
        })
    }

    /// A cell holding one of `choices` (code, label), matched on either, folded; the code.
    pub fn choice(
        &mut self,
        field: F,
        choices: &[(&'static str, &'static str)],
    ) -> Option<&'static str> {
        let folded = fold(self.cell(field));
        let found = choices
            .iter()
            .find(|(code, label)| folded == fold(code) || folded == fold(label))
            .map(|(code, _)| *code);
        if found.is_none() {
            let labels: Vec<&str> = choices.iter().map(|(_, l)| *l).collect();
            self.refuse(field, &format!("attendu : {}", labels.join(", ")));
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Col {
        Name,
        Born,
    }

    impl Column for Col {
        fn header(self) -> String {
            match self {
                Self::Name => "Nom de naissance",
                Self::Born => "Date de naissance",
            }
            .to_owned()
        }
    }

    fn row(line: u64, cells: &[&str]) -> Row {
        Row {
            line,
            cells: cells.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn headers_fold_accents_case_and_separators() {
        assert_eq!(fold("  Date_de  NAISSANCE "), "date de naissance");
        assert_eq!(fold("Nom d’usage"), "nom d usage");
        assert_eq!(fold("Référence J.O."), "reference j o");
    }

    #[test]
    fn dates_as_agents_type_them() {
        let d = NaiveDate::from_ymd_opt(1961, 3, 14);
        assert_eq!(parse_date("14/03/1961"), d);
        assert_eq!(parse_date("1961-03-14"), d);
        assert_eq!(parse_date("14-03-1961"), d);
        assert_eq!(parse_date("14/03/61"), None);
        assert_eq!(parse_date("31/02/1961"), None);
    }

    #[test]
    fn a_layout_names_unknown_repeated_and_missing_columns() {
        let both = [Col::Name, Col::Born];
        let layout = Layout::from_headers(
            &row(1, &["date_de_naissance", "NOM DE NAISSANCE"]),
            &both,
            &both,
        );
        let layout = layout.unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(
            layout.cell(&row(2, &["1961-03-14", "LEFÈVRE"]), Col::Name),
            "LEFÈVRE"
        );
        assert_eq!(layout.cell(&row(3, &["1961-03-14"]), Col::Name), "");
        let refused = Layout::from_headers(
            &row(1, &["Nom de naissance", "nom de naissance", "Âge"]),
            &both,
            &both,
        );
        assert_eq!(
            refused.err(),
            Some(vec![
                "la colonne « Nom de naissance » apparaît deux fois".to_owned(),
                "colonne « Âge » inconnue : nommez-la comme dans le modèle".to_owned(),
                "colonne obligatoire « Date de naissance » absente".to_owned(),
            ])
        );
    }

    #[test]
    fn a_checker_refuses_each_cell_with_its_reason() {
        let both = [Col::Name, Col::Born];
        let layout = Layout::from_headers(
            &row(1, &["Nom de naissance", "Date de naissance"]),
            &both,
            &both,
        )
        .unwrap_or_else(|e| unreachable!("{e:?}"));
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or(NaiveDate::MIN);
        let bad = row(9, &["1234", "12/13/1961"]);
        let mut c = Checker::new(&bad, &layout, today);
        let name = c.text(Col::Name, true, 100);
        c.has_letters(Col::Name, &name);
        assert_eq!(c.date(Col::Born, true), None);
        assert_eq!(
            c.problems
                .iter()
                .map(|p| (p.line, p.column.as_str(), p.reason.as_str()))
                .collect::<Vec<_>>(),
            vec![
                (9, "Nom de naissance", "doit contenir des lettres"),
                (9, "Date de naissance", "date invalide : JJ/MM/AAAA attendu"),
            ]
        );
    }

    #[test]
    fn problems_csv_neutralises_formulas() {
        let problems = vec![Problem {
            line: 7,
            column: "Nom de naissance".to_owned(),
            value: "=HYPERLINK(\"x\")".to_owned(),
            reason: "doit contenir des lettres".to_owned(),
        }];
        assert_eq!(
            problems_csv(&problems),
            "\u{FEFF}Ligne;Colonne;Valeur;Motif\r\n7;\"Nom de naissance\";\"'=HYPERLINK(\"\"x\"\")\";\"doit contenir des lettres\"\r\n"
        );
    }
}
