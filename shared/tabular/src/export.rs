//! Tables written for agents: an export's rows streamed into a CSV, an XLSX or an ODS file, a
//! row at a time, so that a million rows are never in memory at once.
//!
//! - **CSV**: UTF-8 with a BOM, `;` between cells and CRLF after each row (what a French
//!   Excel opens without an import dialog). A text cell starting with `=`, `+`, `-`, `@` (or a
//!   tab or carriage return) gets a leading apostrophe ([`neutralised`]): a spreadsheet
//!   opening the file would otherwise run it as a formula.
//! - **XLSX**: `rust_xlsxwriter` in constant-memory mode (each row leaves memory for a
//!   temporary file once written). Text is written as string cells, never as formulas: a cell
//!   typed `=HYPERLINK(…)` reads back as that text. Dates are date cells shown `jj/mm/aaaa`.
//! - **ODS**: [`crate::ods::Writer`], streaming `content.xml` into the archive; text cells
//!   are strings there too.
//!
//! The header row is the first; a sheet holds at most [`XLSX_MAX_ROWS`] rows in XLSX (the
//! format's limit), a refusal naming CSV beyond (LibreOffice opens no more rows of an ODS).

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};

use crate::Format;
use crate::ods::{self, Cell};

/// Data rows an XLSX sheet can hold (1 048 576 rows, the header one of them).
pub const XLSX_MAX_ROWS: u64 = 1_048_575;

/// The longest text a spreadsheet cell holds (XLSX's limit): longer text is cut.
const MAX_CELL_CHARS: usize = 32_767;

/// Why a table could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The file could not be written (the disk).
    #[error("le fichier n'a pas pu être écrit ({0})")]
    Io(#[from] std::io::Error),
    /// More rows than an XLSX sheet holds.
    #[error("un fichier XLSX contient {XLSX_MAX_ROWS} lignes au plus : choisissez le format CSV")]
    TooManyRows,
    /// The XLSX library refused (a bug of ours, or the temporary directory).
    #[error("le classeur XLSX n'a pas pu être écrit ({0})")]
    Xlsx(String),
}

impl From<rust_xlsxwriter::XlsxError> for WriteError {
    fn from(e: rust_xlsxwriter::XlsxError) -> Self {
        Self::Xlsx(e.to_string())
    }
}

impl Format {
    /// As in forms and job payloads: `csv`, `xlsx`, `ods`.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Ods => "ods",
        }
    }

    /// Parses [`Self::code`].
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        [Self::Csv, Self::Xlsx, Self::Ods]
            .into_iter()
            .find(|f| f.code() == code)
    }

    /// The media type a download is served with.
    #[must_use]
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Ods => "application/vnd.oasis.opendocument.spreadsheet",
        }
    }
}

/// `cell` as a CSV cell a spreadsheet opens as text: a leading apostrophe when it would
/// otherwise be read as a formula (`=`, `+`, `-`, `@`, or a tab or carriage return first).
#[must_use]
pub fn neutralised(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

fn cut(text: &str) -> &str {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

enum Sink {
    Csv(csv::Writer<BufWriter<File>>),
    Xlsx {
        book: Box<rust_xlsxwriter::Workbook>,
        file: File,
        date: rust_xlsxwriter::Format,
    },
    // Boxed: the zip writer's state is kilobytes.
    Ods(Box<ods::Writer<BufWriter<File>>>),
}

/// Writes one table into a file, a row at a time.
pub struct TableWriter {
    sink: Sink,
    /// Data rows written.
    rows: u64,
    format: Format,
}

impl std::fmt::Debug for TableWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableWriter")
            .field("format", &self.format)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl TableWriter {
    /// Starts a table of `format` in `file` (a sheet named `sheet` in a spreadsheet), its
    /// header row first.
    ///
    /// # Errors
    /// [`WriteError`] when the file cannot be written.
    pub fn create(
        format: Format,
        file: File,
        sheet: &str,
        headers: &[&str],
    ) -> Result<Self, WriteError> {
        let sink = match format {
            Format::Csv => {
                let mut out = BufWriter::with_capacity(64 * 1024, file);
                out.write_all("\u{FEFF}".as_bytes())?;
                let mut csv = csv::WriterBuilder::new()
                    .delimiter(b';')
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(out);
                csv.write_record(headers.iter().map(|h| neutralised(h).into_owned()))
                    .map_err(std::io::Error::from)?;
                Sink::Csv(csv)
            }
            Format::Xlsx => {
                let mut book = Box::new(rust_xlsxwriter::Workbook::new());
                let bold = rust_xlsxwriter::Format::new().set_bold();
                let date = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
                let sheet_ref = book.add_worksheet_with_constant_memory()?;
                sheet_ref.set_name(cut_sheet_name(sheet))?;
                sheet_ref.set_freeze_panes(1, 0)?;
                for (col, header) in (0_u16..).zip(headers) {
                    sheet_ref.set_column_width(col, 18)?;
                    sheet_ref.write_string_with_format(0, col, cut(header), &bold)?;
                }
                Sink::Xlsx { book, file, date }
            }
            Format::Ods => {
                let mut ods = ods::Writer::new(BufWriter::with_capacity(64 * 1024, file), sheet)?;
                let cells: Vec<Cell<'_>> = headers.iter().copied().map(Cell::Text).collect();
                ods.row(&cells)?;
                Sink::Ods(Box::new(ods))
            }
        };
        Ok(Self {
            sink,
            rows: 0,
            format,
        })
    }

    /// Data rows written so far.
    #[must_use]
    pub const fn rows(&self) -> u64 {
        self.rows
    }

    /// Appends a data row.
    ///
    /// # Errors
    /// [`WriteError::TooManyRows`] past an XLSX sheet's limit, [`WriteError::Io`] when the
    /// file cannot be written.
    pub fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), WriteError> {
        match &mut self.sink {
            Sink::Csv(csv) => {
                let fields = cells.iter().map(|cell| match cell {
                    Cell::Text(t) => neutralised(t),
                    Cell::Date(d) => Cow::Owned(french_date(d)),
                    Cell::Empty => Cow::Borrowed(""),
                });
                csv.write_record(fields.map(|f| f.into_owned()))
                    .map_err(std::io::Error::from)?;
            }
            Sink::Xlsx { book, date, .. } => {
                if self.rows >= XLSX_MAX_ROWS {
                    return Err(WriteError::TooManyRows);
                }
                let row = u32::try_from(self.rows + 1).map_err(|_| WriteError::TooManyRows)?;
                let sheet = book.worksheet_from_index(0)?;
                for (col, cell) in (0_u16..).zip(cells) {
                    match cell {
                        Cell::Text(t) => {
                            sheet.write_string(row, col, cut(t))?;
                        }
                        Cell::Date(d) => match rust_xlsxwriter::ExcelDateTime::parse_from_str(d) {
                            Ok(day) => {
                                sheet.write_datetime_with_format(row, col, &day, &*date)?;
                            }
                            // Before 1900, which Excel's dates do not reach: as text.
                            Err(_) => {
                                sheet.write_string(row, col, french_date(d))?;
                            }
                        },
                        Cell::Empty => {}
                    }
                }
            }
            Sink::Ods(ods) => ods.row(cells)?,
        }
        self.rows += 1;
        Ok(())
    }

    /// Ends the table and gives the file back, written whole.
    ///
    /// # Errors
    /// [`WriteError`] when the file cannot be completed.
    pub fn finish(self) -> Result<File, WriteError> {
        match self.sink {
            Sink::Csv(csv) => {
                let out = csv
                    .into_inner()
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                Ok(out.into_inner().map_err(|e| e.into_error())?)
            }
            Sink::Xlsx { mut book, file, .. } => {
                let mut out = BufWriter::with_capacity(64 * 1024, file);
                book.save_to_writer(&mut out)?;
                Ok(out.into_inner().map_err(|e| e.into_error())?)
            }
            Sink::Ods(ods) => {
                let out = ods.finish()?;
                Ok(out.into_inner().map_err(|e| e.into_error())?)
            }
        }
    }
}

/// `YYYY-MM-DD` as `jj/mm/aaaa` (anything else as given).
fn french_date(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => format!("{d}/{m}/{y}"),
        _ => iso.to_owned(),
    }
}

/// A sheet's name as XLSX allows it: 31 characters, none of `[]:*?/\`.
fn cut_sheet_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    if clean.trim().is_empty() {
        "Export".to_owned()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_get_an_apostrophe_and_nothing_else_changes() {
        for formula in ["=1+1", "+33 1", "-2", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(neutralised(formula), format!("'{formula}"));
        }
        for plain in ["Dupont", "", "1=1", "'déjà"] {
            assert_eq!(neutralised(plain), plain);
        }
    }

    #[test]
    fn dates_read_the_french_way_in_a_csv() {
        assert_eq!(french_date("2024-03-01"), "01/03/2024");
        assert_eq!(french_date("mars 2024"), "mars 2024");
    }

    #[test]
    fn sheet_names_fit_xlsx() {
        assert_eq!(cut_sheet_name("Registre: 2024/2025"), "Registre 20242025");
        assert_eq!(cut_sheet_name("[]"), "Export");
        assert_eq!(cut_sheet_name(&"x".repeat(40)).len(), 31);
    }

    #[test]
    fn formats_have_codes() {
        for f in [Format::Csv, Format::Xlsx, Format::Ods] {
            assert_eq!(Format::parse(f.code()), Some(f));
        }
        assert_eq!(Format::parse("xls"), None);
    }
}
