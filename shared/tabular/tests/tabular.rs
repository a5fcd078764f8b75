//! Every format and encoding an agent's tool writes, read back as the same rows.
#![expect(clippy::panic, reason = "tests")]

use std::io::Cursor;

use napoleon_tabular::{Encoding, FileError, Format, open};

type Rows = Vec<(u64, Vec<String>)>;

fn read(bytes: Vec<u8>) -> (napoleon_tabular::Detected, Vec<String>, Rows) {
    let table = match open(Cursor::new(bytes)) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    let detected = table.detected();
    let headers = table.headers().cells.clone();
    let rows = table
        .map(|r| r.map(|r| (r.line, r.cells)))
        .collect::<Result<Vec<_>, _>>();
    match rows {
        Ok(rows) => (detected, headers, rows),
        Err(e) => panic!("{e}"),
    }
}

fn cells(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn a_french_excel_csv_in_windows_1252_with_semicolons() {
    let (text, _, _) = encoding_rs::WINDOWS_1252
        .encode("Nom;Prénom\r\nLefèvre;Hélène\r\n\r\n;\r\nMüller; Zoé \r\n");
    let (detected, headers, rows) = read(text.into_owned());
    assert_eq!(detected.format, Format::Csv);
    assert_eq!(detected.encoding, Some(Encoding::Windows1252));
    assert_eq!(detected.delimiter, Some(';'));
    assert!(!detected.bom);
    assert_eq!(headers, cells(&["Nom", "Prénom"]));
    // Blank rows are skipped; row numbers are the file's; cells are trimmed.
    assert_eq!(
        rows,
        vec![
            (2, cells(&["Lefèvre", "Hélène"])),
            (5, cells(&["Müller", "Zoé"]))
        ]
    );
    assert_eq!(detected.describe(), "CSV, Windows-1252, séparateur « ; »");
}

#[test]
fn utf8_with_a_bom_and_commas_and_quoted_newlines() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice("Nom,Motif\n\"Dupont, Jean\",\"deux\nlignes\"\nÉluard,x\n".as_bytes());
    let (detected, headers, rows) = read(bytes);
    assert_eq!(detected.encoding, Some(Encoding::Utf8));
    assert!(detected.bom);
    assert_eq!(detected.delimiter, Some(','));
    // The BOM is not part of the first header.
    assert_eq!(headers, cells(&["Nom", "Motif"]));
    assert_eq!(
        rows,
        vec![
            (2, cells(&["Dupont, Jean", "deux\nlignes"])),
            (4, cells(&["Éluard", "x"]))
        ]
    );
}

#[test]
fn a_multibyte_character_across_the_read_chunks_is_still_utf8() {
    // 64 KiB chunks: put « é » (two bytes) across the boundary.
    let mut text = String::from("Nom\n");
    text.push_str(&"a".repeat(64 * 1024 - text.len() - 1));
    text.push_str("é\n");
    let (detected, _, rows) = read(text.into_bytes());
    assert_eq!(detected.encoding, Some(Encoding::Utf8));
    assert!(rows[0].1[0].ends_with('é'));
}

#[test]
fn files_that_are_not_tables_are_refused_in_french() {
    let refused = |bytes: Vec<u8>| match open(Cursor::new(bytes)) {
        Ok(_) => panic!("accepted"),
        Err(e) => e,
    };
    assert!(matches!(refused(Vec::new()), FileError::Empty));
    assert!(matches!(
        refused(b" \r\n\r\n ;; \n".to_vec()),
        FileError::Empty
    ));
    assert!(matches!(
        refused(vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
        FileError::Xls
    ));
    assert!(matches!(
        refused(b"%PDF-1.7\n\0\0binary".to_vec()),
        FileError::Unknown
    ));
    assert!(matches!(
        refused(b"PK\x03\x04not a zip".to_vec()),
        FileError::Unknown
    ));
    assert_eq!(
        FileError::Empty.to_string(),
        "le fichier est vide : il doit commencer par la ligne des en-têtes de colonnes"
    );
}

#[test]
fn a_row_too_long_is_refused_on_its_own() {
    let text = format!("Nom\n\"{}\"\nLefèvre\n", "x".repeat(70 * 1024));
    let table = match open(Cursor::new(text.into_bytes())) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    let rows: Vec<_> = table.collect();
    assert_eq!(rows.len(), 2);
    assert!(
        matches!(&rows[0], Err(e) if e.line == 2 && !e.fatal && e.reason.contains("trop longue"))
    );
    assert!(matches!(&rows[1], Ok(r) if r.line == 3 && r.cells == ["Lefèvre"]));
}

#[test]
fn an_xlsx_with_dates_numbers_and_a_formula_looking_text() -> Result<(), rust_xlsxwriter::XlsxError>
{
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Nom")?;
    sheet.write_string(0, 1, "Date de naissance")?;
    sheet.write_string(0, 2, "Numéro")?;
    sheet.write_string(1, 0, "=HYPERLINK(\"x\")")?;
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(1961, 3, 14)?;
    let format = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    sheet.write_datetime_with_format(1, 1, &date, &format)?;
    sheet.write_number(1, 2, 42.0)?;
    sheet.write_string(3, 0, "Lefèvre")?;
    sheet.write_number(3, 2, 2.5)?;
    let bytes = book.save_to_buffer()?;
    let (detected, headers, rows) = read(bytes);
    assert_eq!(detected.format, Format::Xlsx);
    assert_eq!(detected.describe(), "XLSX");
    assert_eq!(headers, cells(&["Nom", "Date de naissance", "Numéro"]));
    assert_eq!(
        rows,
        vec![
            (2, cells(&["=HYPERLINK(\"x\")", "1961-03-14", "42"])),
            (4, cells(&["Lefèvre", "", "2.5"]))
        ]
    );
    Ok(())
}

#[test]
fn an_ods_written_by_the_streaming_writer_reads_back() -> std::io::Result<()> {
    use napoleon_tabular::ods::{Cell, Writer};
    let mut writer = Writer::new(Cursor::new(Vec::new()), "Registre <1>")?;
    writer.row(&[Cell::Text("Nom"), Cell::Text("Date")])?;
    writer.row(&[Cell::Text("=1+1 & <b>"), Cell::Date("2001-02-03")])?;
    writer.row(&[Cell::Empty, Cell::Empty])?;
    writer.row(&[Cell::Empty, Cell::Text("Zoé")])?;
    let bytes = writer.finish()?.into_inner();
    let (detected, headers, rows) = read(bytes);
    assert_eq!(detected.format, Format::Ods);
    assert_eq!(headers, cells(&["Nom", "Date"]));
    assert_eq!(
        rows,
        vec![
            (2, cells(&["=1+1 & <b>", "2001-02-03"])),
            (4, cells(&["", "Zoé"]))
        ]
    );
    Ok(())
}

const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;

fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in entries {
        zip.start_file(*name, options)
            .unwrap_or_else(|e| panic!("{e}"));
        zip.write_all(content.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    zip.finish().unwrap_or_else(|e| panic!("{e}")).into_inner()
}

/// A few hundred bytes asking for billions of cells: refused before anything is expanded.
#[test]
fn spreadsheet_bombs_are_refused_before_they_are_expanded() {
    // ODS: a million rows of 16 384 repeated valued cells.
    let content = r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="x"><table:table-row><table:table-cell office:value-type="string"><text:p>Nom</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
    let ods = zip_of(&[
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
        ("content.xml", content),
    ]);
    assert!(matches!(open(Cursor::new(ods)), Err(FileError::TooLarge)));
    // XLSX: two cells, at A1 and at XFD1048576 (the area between them is never allocated).
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .write_string(0, 0, "Nom")
        .unwrap_or_else(|e| panic!("{e}"));
    sheet
        .write_string(1_048_575, 16_383, "x")
        .unwrap_or_else(|e| panic!("{e}"));
    let bytes = book.save_to_buffer().unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(open(Cursor::new(bytes)), Err(FileError::TooLarge)));
    // An ODS whose trailing empty rows are repeated, as LibreOffice writes it, is read.
    let content = r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="x"><table:table-row><table:table-cell office:value-type="string"><text:p>Nom</text:p></table:table-cell><table:table-cell table:number-columns-repeated="1023"/></table:table-row><table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
    let ods = zip_of(&[
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
        ("META-INF/manifest.xml", MANIFEST),
        ("content.xml", content),
    ]);
    let (_, headers, rows) = read(ods);
    assert_eq!(headers, cells(&["Nom"]));
    assert!(rows.is_empty());
}

/// Found in review: bombs that passed the first bounds. An ODS of one valued row repeated a
/// million times beside one row 256 cells wide (calamine allocates the rectangle), and an
/// XLSX whose every row has a value in its last column (each row laid out whole); and a small
/// file's own bounds, tighter than a registry's.
#[test]
fn a_sheet_is_bounded_by_the_cells_it_spans_once_laid_out() {
    use napoleon_tabular::{Bounds, open_bounded};
    let content = r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="x"><table:table-row><table:table-cell table:number-columns-repeated="255"/><table:table-cell office:value-type="string"><text:p>Nom</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
    let ods = zip_of(&[
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
        ("content.xml", content),
    ]);
    assert!(matches!(open(Cursor::new(ods)), Err(FileError::TooLarge)));
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for row in 0..2_000 {
        sheet
            .write_string(row, 255, "x")
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let wide = book.save_to_buffer().unwrap_or_else(|e| panic!("{e}"));
    let small = Bounds {
        unpacked: 20 << 20,
        cells: 100_000,
    };
    assert!(matches!(
        open_bounded(Cursor::new(wide.clone()), small),
        Err(FileError::TooLarge)
    ));
    assert!(open(Cursor::new(wide)).is_ok());
}
