//! A streaming OpenDocument spreadsheet writer: rows go into the archive's `content.xml` as they
//! come (no crate streams ODS), so an export of a million rows never holds them in memory.
//!
//! The document is the smallest LibreOffice and calamine open: `mimetype` first and stored,
//! the manifest, then one table in `content.xml`. Every cell is text or a date; text cells
//! are never formulas (ODS keeps formulas in an attribute this writer never writes).

use std::io::{Seek, Write};

use zip::write::SimpleFileOptions;

const MIMETYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";

const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"#;

/// One cell to write.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    /// Text, shown as is.
    Text(&'a str),
    /// A date, `YYYY-MM-DD`.
    Date(&'a str),
    /// Nothing.
    Empty,
}

/// Writes an ODS with one sheet, a row at a time.
pub struct Writer<W: Write + Seek> {
    zip: zip::ZipWriter<W>,
    buf: String,
}

impl<W: Write + Seek> std::fmt::Debug for Writer<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ods::Writer")
    }
}

impl<W: Write + Seek> Writer<W> {
    /// Starts the document and its sheet named `sheet`.
    ///
    /// # Errors
    /// The sink's.
    pub fn new(sink: W, sheet: &str) -> std::io::Result<Self> {
        let mut zip = zip::ZipWriter::new(sink);
        let stored =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        zip.start_file("mimetype", stored)
            .map_err(std::io::Error::other)?;
        zip.write_all(MIMETYPE.as_bytes())?;
        let deflated =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("META-INF/manifest.xml", deflated)
            .map_err(std::io::Error::other)?;
        zip.write_all(MANIFEST.as_bytes())?;
        zip.start_file("content.xml", deflated.large_file(true))
            .map_err(std::io::Error::other)?;
        let mut head = String::from(concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" "#,
            r#"xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" "#,
            r#"xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">"#,
            r#"<office:body><office:spreadsheet><table:table table:name=""#
        ));
        escape(&mut head, sheet);
        head.push_str("\">");
        zip.write_all(head.as_bytes())?;
        Ok(Self {
            zip,
            buf: String::with_capacity(4096),
        })
    }

    /// Appends a row.
    ///
    /// # Errors
    /// The sink's.
    pub fn row(&mut self, cells: &[Cell<'_>]) -> std::io::Result<()> {
        self.buf.clear();
        self.buf.push_str("<table:table-row>");
        for cell in cells {
            match cell {
                Cell::Text(t) => {
                    self.buf
                        .push_str(r#"<table:table-cell office:value-type="string"><text:p>"#);
                    escape(&mut self.buf, t);
                    self.buf.push_str("</text:p></table:table-cell>");
                }
                Cell::Date(d) => {
                    self.buf.push_str(
                        r#"<table:table-cell office:value-type="date" office:date-value=""#,
                    );
                    escape(&mut self.buf, d);
                    self.buf.push_str(r#""><text:p>"#);
                    escape(&mut self.buf, d);
                    self.buf.push_str("</text:p></table:table-cell>");
                }
                Cell::Empty => self.buf.push_str("<table:table-cell/>"),
            }
        }
        self.buf.push_str("</table:table-row>");
        self.zip.write_all(self.buf.as_bytes())
    }

    /// Ends the document and gives the sink back.
    ///
    /// # Errors
    /// The sink's.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.zip.write_all(
            b"</table:table></office:spreadsheet></office:body></office:document-content>",
        )?;
        self.zip.finish().map_err(std::io::Error::other)
    }
}

/// XML text and attribute escaping; characters XML 1.0 forbids are dropped.
fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}
