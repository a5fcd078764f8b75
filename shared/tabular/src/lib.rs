//! The tables agents upload, read as rows of text cells.
//!
//! An agent's file is a CSV written by any tool (UTF-8 with or without a BOM, or Windows-1252
//! from an old Excel; `;` as a French Excel writes it, or `,`), an XLSX or an ODS. [`open`]
//! decides which from the bytes themselves (never from the name), and reports what it found
//! ([`Detected`]) so the agent's report can say it. Rows come one at a time with their row
//! number in the file (what the agent sees in their tool), their cells trimmed; blank rows
//! are skipped. A CSV is streamed: a million rows are never in memory at once. A spreadsheet
//! is read whole (the formats keep rows in one compressed XML part), after its archive is
//! checked against decompression bombs.
//!
//! What the cells mean is the caller's business: dates stay text (`2024-03-01` from a date
//! cell, as typed otherwise), numbers without a needless `.0`.

pub mod columns;
pub mod export;
pub mod ods;

pub use export::{TableWriter, WriteError, XLSX_MAX_ROWS, neutralised};
pub use ods::Cell;

use std::io::{Read, Seek, SeekFrom};

use calamine::Reader as _;
use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};

/// A spreadsheet's archive may not unpack beyond this (a bomb otherwise).
const MAX_UNPACKED: u64 = 256 << 20;
/// Cells a spreadsheet may fill (its repeats counted): a registry of a million rows fits.
pub const MAX_CELLS: u64 = 30_000_000;
/// Nor hold more entries than a workbook has.
const MAX_ENTRIES: usize = 10_000;
/// A row longer than this is refused on its own (one cell cannot hold a whole file).
pub const MAX_ROW_BYTES: usize = 64 * 1024;
/// Columns beyond this are refused on their row.
pub const MAX_COLUMNS: usize = 256;

/// The file's kind, decided from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Text with separated values.
    Csv,
    /// Office Open XML workbook.
    Xlsx,
    /// OpenDocument spreadsheet.
    Ods,
}

impl Format {
    /// « CSV », « XLSX », « ODS ».
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Csv => "CSV",
            Self::Xlsx => "XLSX",
            Self::Ods => "ODS",
        }
    }
}

/// A CSV's character encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (the whole file decodes as such).
    Utf8,
    /// Windows-1252 (anything that is not UTF-8: every byte is a character there).
    Windows1252,
}

impl Encoding {
    /// « UTF-8 », « Windows-1252 ».
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Windows1252 => "Windows-1252",
        }
    }
}

/// What [`open`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    /// The format.
    pub format: Format,
    /// A CSV's encoding.
    pub encoding: Option<Encoding>,
    /// Whether a CSV started with a byte order mark (ignored).
    pub bom: bool,
    /// A CSV's separator, `;` or `,` (or a tab).
    pub delimiter: Option<char>,
}

impl Detected {
    /// « CSV, UTF-8 avec BOM, séparateur « ; » », « XLSX ».
    #[must_use]
    pub fn describe(&self) -> String {
        let mut out = self.format.label().to_owned();
        if let Some(e) = self.encoding {
            out.push_str(", ");
            out.push_str(e.label());
            if self.bom {
                out.push_str(" avec BOM");
            }
        }
        match self.delimiter {
            Some('\t') => out.push_str(", séparateur tabulation"),
            Some(d) => {
                out.push_str(", séparateur « ");
                out.push(d);
                out.push_str(" »");
            }
            None => {}
        }
        out
    }
}

/// Why a file cannot be read at all, in French.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Nothing but blank rows.
    #[error("le fichier est vide : il doit commencer par la ligne des en-têtes de colonnes")]
    Empty,
    /// An Excel 97-2003 workbook.
    #[error(
        "le format XLS (Excel 97-2003) n'est pas accepté : enregistrez le fichier en XLSX, ODS ou CSV"
    )]
    Xls,
    /// Neither text nor a workbook.
    #[error("ce fichier n'est ni un CSV, ni un classeur XLSX, ni un classeur ODS")]
    Unknown,
    /// A workbook that cannot be read.
    #[error("le classeur {format} est illisible ou endommagé")]
    Corrupt {
        /// XLSX or ODS.
        format: &'static str,
        /// What the reader said, for a developer (never shown: it may quote a cell).
        detail: String,
    },
    /// A workbook whose archive would unpack beyond the bound.
    #[error(
        "le classeur est trop volumineux (plus de 256 Mo décompressé, plus de 30 millions de cellules ou plus de 256 colonnes)"
    )]
    TooLarge,
    /// Reading the source failed.
    #[error("lecture du fichier impossible : {0}")]
    Io(#[from] std::io::Error),
}

/// One row of the file.
#[derive(Clone, PartialEq, Eq)]
pub struct Row {
    /// Its row number in the file (the header row is usually 1).
    pub line: u64,
    /// Its cells, trimmed (fewer than the headers when the row ends early).
    pub cells: Vec<String>,
}

// Cells hold personal data: `Debug` shows the row number only.
impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Row({}, {} cells)", self.line, self.cells.len())
    }
}

/// A row that cannot be read, the others still can.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ligne {line} : {reason}")]
pub struct RowError {
    /// Its row number.
    pub line: u64,
    /// Why, in French.
    pub reason: String,
    /// Whether reading stops here (the source failed).
    pub fatal: bool,
}

/// An opened table: its headers, then its rows.
pub struct Table<R: Read> {
    detected: Detected,
    headers: Row,
    rows: Rows<R>,
}

impl<R: Read> std::fmt::Debug for Table<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("detected", &self.detected)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

enum Rows<R: Read> {
    Csv {
        reader: Box<csv::Reader<DecodeReaderBytes<R, Vec<u8>>>>,
        record: csv::ByteRecord,
        done: bool,
    },
    Sheet(std::vec::IntoIter<Row>),
}

impl<R: Read> Table<R> {
    /// What the file is.
    #[must_use]
    pub const fn detected(&self) -> Detected {
        self.detected
    }

    /// The header row (the first row that is not blank).
    #[must_use]
    pub const fn headers(&self) -> &Row {
        &self.headers
    }
}

impl<R: Read> Iterator for Table<R> {
    type Item = Result<Row, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rows.next_row()
    }
}

/// How far a spreadsheet may expand before its rows are read: a few kilobytes of archive
/// can describe billions of cells, and a sheet is read whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Bytes the archive may unpack to.
    pub unpacked: u64,
    /// Cells the sheet may span: for an XLSX, each row up to its last value; for an ODS, the
    /// rectangle from the first cell to the last value (what the reader allocates).
    pub cells: u64,
}

impl Bounds {
    /// A registry of a million rows fits (the default of [`open`]).
    pub const LARGE: Self = Self {
        unpacked: MAX_UNPACKED,
        cells: MAX_CELLS,
    };
}

/// Opens a table from its bytes (a CSV is read twice: once to decide its encoding, once to
/// stream its rows), a spreadsheet within [`Bounds::LARGE`].
///
/// # Errors
/// [`FileError`] when the file cannot be read as a table at all.
pub fn open<R: Read + Seek>(source: R) -> Result<Table<R>, FileError> {
    open_bounded(source, Bounds::LARGE)
}

/// [`open`], a spreadsheet within `bounds` (a request that reads a small file while the agent
/// waits bounds it to what that file may hold).
///
/// # Errors
/// [`FileError`] when the file cannot be read as a table at all, or exceeds `bounds`.
pub fn open_bounded<R: Read + Seek>(mut source: R, bounds: Bounds) -> Result<Table<R>, FileError> {
    let mut head = [0_u8; 8];
    let n = read_up_to(&mut source, &mut head)?;
    source.seek(SeekFrom::Start(0))?;
    match &head[..n] {
        [0x50, 0x4B, 0x03, 0x04, ..] => workbook(source, bounds),
        [0xD0, 0xCF, 0x11, 0xE0, ..] => Err(FileError::Xls),
        [] => Err(FileError::Empty),
        _ => csv_table(source),
    }
}

fn read_up_to<R: Read>(source: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match source.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Decides a CSV's encoding (UTF-8 when every byte decodes so, else Windows-1252), its BOM and
/// its separator (the commonest of `;`, `,` and tab on the first non-blank line, outside
/// quotes), then streams it.
fn csv_table<R: Read + Seek>(mut source: R) -> Result<Table<R>, FileError> {
    let mut buf = vec![0_u8; 64 * 1024];
    let mut carry = 0_usize;
    let mut utf8 = true;
    let mut first = Vec::new();
    let mut first_done = false;
    let mut seen_any = false;
    let mut bom = false;
    let mut at_start = true;
    loop {
        let n = source.read(&mut buf[carry..])?;
        if n == 0 {
            if carry > 0 {
                utf8 = false;
            }
            break;
        }
        let filled = carry + n;
        let mut chunk = &buf[..filled];
        if at_start {
            at_start = false;
            if chunk.starts_with(&[0xEF, 0xBB, 0xBF]) {
                bom = true;
                chunk = &chunk[3..];
            }
        }
        if chunk.contains(&0) {
            return Err(FileError::Unknown);
        }
        if !first_done {
            for &b in chunk {
                match b {
                    b'\n' | b'\r' if first.iter().any(|c: &u8| !c.is_ascii_whitespace()) => {
                        first_done = true;
                        break;
                    }
                    b'\n' | b'\r' => first.clear(),
                    // The separator is decided on the first 64 KiB of the header line.
                    _ if first.len() >= MAX_ROW_BYTES => {}
                    _ => first.push(b),
                }
            }
        }
        seen_any |= chunk.iter().any(|b| !b.is_ascii_whitespace());
        if utf8 {
            match std::str::from_utf8(chunk) {
                Ok(_) => carry = 0,
                // A character cut by the chunk's end: keep its bytes for the next read.
                Err(e) if e.error_len().is_none() => {
                    let valid = e.valid_up_to();
                    let offset = filled - chunk.len();
                    let tail = (offset + valid)..filled;
                    carry = tail.len();
                    buf.copy_within(tail, 0);
                    continue;
                }
                Err(_) => {
                    utf8 = false;
                    carry = 0;
                }
            }
        }
        if !utf8 && first_done {
            // Windows-1252 decodes anything: the rest need not be read now.
            break;
        }
    }
    if !seen_any {
        return Err(FileError::Empty);
    }
    let delimiter = separator(&first);
    source.seek(SeekFrom::Start(0))?;
    let encoding = if utf8 {
        Encoding::Utf8
    } else {
        Encoding::Windows1252
    };
    let decoder = DecodeReaderBytesBuilder::new()
        .encoding(Some(match encoding {
            Encoding::Utf8 => encoding_rs::UTF_8,
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252,
        }))
        .bom_override(true)
        .build(source);
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        // Lines end at `\n` alone (a `\r` before it ends up in the last cell, trimmed away):
        // with `\r\n` as one terminator the parser counts a record's line one short.
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(decoder);
    let mut rows = Rows::Csv {
        reader: Box::new(reader),
        record: csv::ByteRecord::new(),
        done: false,
    };
    let detected = Detected {
        format: Format::Csv,
        encoding: Some(encoding),
        bom,
        delimiter: Some(char::from(delimiter)),
    };
    let headers = first_row(&mut rows)?;
    Ok(Table {
        detected,
        headers,
        rows,
    })
}

fn separator(line: &[u8]) -> u8 {
    let mut counts = [0_usize; 3];
    let mut quoted = false;
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b';' if !quoted => counts[0] += 1,
            b',' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    // Ties go to `;`: what a French Excel writes.
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    [b';', b',', b'\t'][best]
}

fn first_row<R: Read>(rows: &mut Rows<R>) -> Result<Row, FileError> {
    loop {
        match rows.next_row() {
            None => return Err(FileError::Empty),
            Some(Err(e)) if e.fatal => {
                return Err(FileError::Io(std::io::Error::other(e.reason)));
            }
            Some(Err(_)) => {}
            Some(Ok(row)) => return Ok(row),
        }
    }
}

impl<R: Read> Rows<R> {
    /// The next row that is not blank, or the row that could not be read; the end after the
    /// source failed.
    fn next_row(&mut self) -> Option<Result<Row, RowError>> {
        loop {
            let row = match self {
                Self::Sheet(rows) => Ok(rows.next()?),
                Self::Csv {
                    reader,
                    record,
                    done,
                } => {
                    if *done {
                        return None;
                    }
                    match next_csv(reader, record) {
                        Ok(Some(row)) => Ok(row),
                        Ok(None) => {
                            *done = true;
                            return None;
                        }
                        Err(e) => {
                            *done |= e.fatal;
                            Err(e)
                        }
                    }
                }
            };
            match row {
                Ok(row) if row.cells.iter().all(String::is_empty) => {}
                other => return Some(other),
            }
        }
    }
}

fn next_csv<R: Read>(
    reader: &mut csv::Reader<R>,
    record: &mut csv::ByteRecord,
) -> Result<Option<Row>, RowError> {
    let read = reader.read_byte_record(record);
    let line = record
        .position()
        .map_or_else(|| reader.position().line(), csv::Position::line);
    match read {
        Ok(false) => Ok(None),
        Ok(true) => {
            if record.as_slice().len() > MAX_ROW_BYTES {
                return Err(RowError {
                    line,
                    reason: format!(
                        "ligne trop longue (plus de {} Kio) : vérifiez les guillemets",
                        MAX_ROW_BYTES / 1024
                    ),
                    fatal: false,
                });
            }
            if record.len() > MAX_COLUMNS {
                return Err(too_many_columns(line));
            }
            // The decoder hands UTF-8 to the parser: a cell is valid text, whatever the file's
            // encoding.
            let cells = record
                .iter()
                .map(|c| String::from_utf8_lossy(c).trim().to_owned())
                .collect();
            Ok(Some(Row { line, cells }))
        }
        Err(e) => {
            let fatal = matches!(e.kind(), csv::ErrorKind::Io(_));
            Err(RowError {
                line,
                reason: if fatal {
                    "lecture du fichier interrompue".to_owned()
                } else {
                    "ligne illisible (guillemets ou caractères invalides)".to_owned()
                },
                fatal,
            })
        }
    }
}

fn too_many_columns(line: u64) -> RowError {
    RowError {
        line,
        reason: format!("plus de {MAX_COLUMNS} colonnes"),
        fatal: false,
    }
}

/// An XLSX or an ODS: the archive checked first, then the first sheet read.
fn workbook<R: Read + Seek>(mut source: R, bounds: Bounds) -> Result<Table<R>, FileError> {
    let mut bytes = Vec::new();
    source.read_to_end(&mut bytes)?;
    let format = {
        let mut archive =
            zip::ZipArchive::new(std::io::Cursor::new(&bytes)).map_err(|_| FileError::Unknown)?;
        if archive.len() > MAX_ENTRIES {
            return Err(FileError::TooLarge);
        }
        let mut unpacked = 0_u64;
        let mut format = None;
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i).map_err(|_| FileError::Unknown)?;
            unpacked = unpacked.saturating_add(entry.size());
            match entry.name().map_err(|_| FileError::Unknown)?.as_ref() {
                "xl/workbook.xml" => format = Some(Format::Xlsx),
                "content.xml" if format.is_none() => format = Some(Format::Ods),
                _ => {}
            }
        }
        if unpacked > bounds.unpacked.min(MAX_UNPACKED) {
            return Err(FileError::TooLarge);
        }
        format.ok_or(FileError::Unknown)?
    };
    let corrupt = |detail: String| FileError::Corrupt {
        format: format.label(),
        detail,
    };
    let rows = match format {
        Format::Xlsx => xlsx_rows(bytes, bounds).map_err(|e| match e {
            SheetError::TooLarge => FileError::TooLarge,
            SheetError::Corrupt(detail) => corrupt(detail),
        })?,
        _ => {
            ods_bounds(&bytes, bounds).map_err(|e| match e {
                SheetError::TooLarge => FileError::TooLarge,
                SheetError::Corrupt(detail) => corrupt(detail),
            })?;
            let mut book = calamine::Ods::new(std::io::Cursor::new(bytes))
                .map_err(|e| corrupt(e.to_string()))?;
            let range = first_sheet(&mut book).map_err(corrupt)?;
            range_rows(&range)
        }
    };
    let mut rows = Rows::Sheet(rows.into_iter());
    let headers = first_row(&mut rows)?;
    Ok(Table {
        detected: Detected {
            format,
            encoding: None,
            bom: false,
            delimiter: None,
        },
        headers,
        rows,
    })
}

/// Why a sheet cannot be read.
enum SheetError {
    TooLarge,
    Corrupt(String),
}

/// An XLSX's first sheet, cell by cell (calamine's streaming reader: memory follows the cells
/// actually there, never the area they span), bounded in columns and cells, then in the cells
/// its rows span once laid out (a value in the last column of every row would otherwise
/// expand each row to [`MAX_COLUMNS`] cells).
fn xlsx_rows(bytes: Vec<u8>, bounds: Bounds) -> Result<Vec<Row>, SheetError> {
    let max_cells = bounds.cells.min(MAX_CELLS);
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| SheetError::Corrupt(e.to_string()))?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| SheetError::Corrupt("aucune feuille".to_owned()))?;
    let mut reader = book
        .worksheet_cells_reader(&name)
        .map_err(|e| SheetError::Corrupt(e.to_string()))?;
    let mut by_row: std::collections::BTreeMap<u32, Vec<(u32, String)>> =
        std::collections::BTreeMap::new();
    let mut cells = 0_u64;
    while let Some(cell) = reader
        .next_cell()
        .map_err(|e| SheetError::Corrupt(e.to_string()))?
    {
        let (row, col) = cell.get_position();
        let text = cell_text(&calamine::Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        cells += 1;
        if col as usize >= MAX_COLUMNS || cells > max_cells {
            return Err(SheetError::TooLarge);
        }
        by_row.entry(row).or_default().push((col, text));
    }
    let spanned = by_row.values().fold(0_u64, |sum, cells| {
        let width = cells
            .iter()
            .map(|(col, _)| u64::from(*col) + 1)
            .max()
            .unwrap_or(0);
        sum.saturating_add(width)
    });
    if spanned > max_cells {
        return Err(SheetError::TooLarge);
    }
    Ok(by_row
        .into_iter()
        .map(|(row, mut cells)| {
            cells.sort_by_key(|(col, _)| *col);
            let width = cells.last().map_or(0, |(col, _)| *col as usize + 1);
            let mut out = vec![String::new(); width];
            for (col, text) in cells {
                out[col as usize] = text;
            }
            Row {
                line: u64::from(row) + 1,
                cells: out,
            }
        })
        .collect())
}

/// An ODS's `content.xml` read once, before calamine expands it: its repeated rows and
/// columns (a few bytes can ask for billions of cells) are counted where they hold a value,
/// and refused beyond [`MAX_COLUMNS`] columns or the bounds' cells — counted as calamine
/// allocates them: the rectangle of every row up to the last holding a value, as wide as the
/// widest (one valued row repeated a million times beside one wide row is a million wide
/// rows).
fn ods_bounds(bytes: &[u8], bounds: Bounds) -> Result<(), SheetError> {
    let max_cells = bounds.cells.min(MAX_CELLS);
    use quick_xml::events::Event;
    let corrupt = |e: &dyn std::fmt::Display| SheetError::Corrupt(e.to_string());
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| corrupt(&e))?;
    let content = archive.by_name("content.xml").map_err(|e| corrupt(&e))?;
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(
        content.take(bounds.unpacked.min(MAX_UNPACKED)),
    ));
    let repeats = |e: &quick_xml::events::BytesStart<'_>, name: &str| -> u64 {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == name)
            .and_then(|a| a.value.parse().ok())
            .unwrap_or(1)
    };
    let mut buf = Vec::new();
    let (mut row_repeats, mut col, mut width) = (1_u64, 0_u64, 0_u64);
    // Rows read so far, rows up to the last one holding a value, the widest row.
    let (mut rows, mut valued_rows, mut widest) = (0_u64, 0_u64, 0_u64);
    loop {
        match xml.read_event_into(&mut buf).map_err(|e| corrupt(&e))? {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "table:table-row" => {
                    row_repeats = repeats(&e, "table:number-rows-repeated");
                    (col, width) = (0, 0);
                }
                "table:table-cell" | "table:covered-table-cell" => {
                    let n = repeats(&e, "table:number-columns-repeated");
                    let valued = e
                        .attributes()
                        .flatten()
                        .any(|a| a.key.as_ref() == "office:value-type");
                    col = col.saturating_add(n);
                    if valued {
                        width = col;
                    }
                }
                _ => {}
            },
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                if width > MAX_COLUMNS as u64 {
                    return Err(SheetError::TooLarge);
                }
                rows = rows.saturating_add(row_repeats);
                if width > 0 {
                    valued_rows = rows;
                    widest = widest.max(width);
                }
                if valued_rows.saturating_mul(widest) > max_cells {
                    return Err(SheetError::TooLarge);
                }
            }
            Event::End(e) if e.name().as_ref() == "table:table" => return Ok(()),
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

/// A sheet's range as rows, numbered as in the file.
fn range_rows(range: &calamine::Range<calamine::Data>) -> Vec<Row> {
    let (top, left) = range.start().unwrap_or((0, 0));
    let mut rows = Vec::with_capacity(range.height());
    for (i, cells) in range.rows().enumerate() {
        let line = u64::from(top) + i as u64 + 1;
        // Cells before the range's first column are empty in the file: keep columns in place.
        let mut out = vec![String::new(); left as usize];
        out.extend(cells.iter().map(cell_text));
        while out.last().is_some_and(String::is_empty) {
            out.pop();
        }
        rows.push(Row { line, cells: out });
    }
    rows
}

fn first_sheet<RS: Read + Seek, B: calamine::Reader<RS>>(
    book: &mut B,
) -> Result<calamine::Range<calamine::Data>, String> {
    match book.worksheet_range_at(0) {
        Some(Ok(range)) => Ok(range),
        Some(Err(e)) => Err(format!("{e:?}")),
        None => Err("aucune feuille".to_owned()),
    }
}

/// A cell as text: dates as `YYYY-MM-DD` (with the time when it has one), whole numbers
/// without a decimal part, booleans in French.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{f:.0}")
            } else {
                f.to_string()
            }
        }
        Data::Bool(b) => if *b { "VRAI" } else { "FAUX" }.to_owned(),
        Data::DateTime(d) if d.is_datetime() => {
            let (y, m, day, h, min, s, _) = d.to_ymd_hms_milli();
            if (h, min, s) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{day:02}")
            } else {
                format!("{y:04}-{m:02}-{day:02} {h:02}:{min:02}:{s:02}")
            }
        }
        Data::DateTime(d) => d.as_f64().to_string(),
        // ODS keeps dates as ISO text: a date alone when the time is midnight.
        Data::DateTimeIso(s) => s.strip_suffix("T00:00:00").unwrap_or(s).trim().to_owned(),
        Data::DurationIso(s) => s.trim().to_owned(),
        Data::Error(e) => format!("#{e}"),
    }
}
