//! What a dossier's piece (pièce jointe) is, decided from its content, never from its name
//! or the type the browser claims: PDF, JPEG, PNG, ODT or DOCX by their magic bytes, office
//! documents (ZIP archives) inspected by the application itself before anything else reads
//! them — entries, declared unpacked size and compression ratio bounded, encrypted entries
//! refused —, since an antivirus alone lets a 300 MB-of-zeros DOCX through. The name the
//! agent gave is kept only for display, sanitised ([`PieceName`]); no part of it ever reaches
//! a storage path.
//!
//! Refusals carry a stable code and a French message naming the file ([`Refusal`]).

use std::io::{Cursor, Read};

/// What the platform accepts, as the refusals say it.
pub const ACCEPTED_FR: &str = "PDF, JPEG, PNG, ODT ou DOCX";

/// An accepted type of piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PieceType {
    /// `%PDF-`.
    Pdf,
    /// `FF D8 FF`.
    Jpeg,
    /// `89 50 4E 47 0D 0A 1A 0A`.
    Png,
    /// OpenDocument text: a ZIP whose first entry, `mimetype`, stored, says so.
    Odt,
    /// Word: a ZIP with `[Content_Types].xml` and `word/document.xml`.
    Docx,
}

impl PieceType {
    /// The media type it is served with.
    #[must_use]
    pub const fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Odt => "application/vnd.oasis.opendocument.text",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        }
    }

    /// The extension a sanitised name ends with.
    #[must_use]
    pub const fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Odt => "odt",
            Self::Docx => "docx",
        }
    }

    /// As stored (`attachments.sniffed_type`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Jpeg => "jpeg",
            Self::Png => "png",
            Self::Odt => "odt",
            Self::Docx => "docx",
        }
    }

    /// Every type.
    pub const ALL: [Self; 5] = [Self::Pdf, Self::Jpeg, Self::Png, Self::Odt, Self::Docx];

    /// From its stored name.
    #[must_use]
    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == stored)
    }

    /// As a page names it (« PDF »).
    #[must_use]
    pub const fn label_fr(self) -> &'static str {
        match self {
            Self::Pdf => "PDF",
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Odt => "ODT",
            Self::Docx => "DOCX",
        }
    }
}

/// Where a piece's antivirus scan is: a piece is served only once [`ScanState::Clean`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScanState {
    /// Not scanned yet (clamd not reached yet, or down: the scan is retried).
    Pending,
    /// clamd read it whole and found nothing.
    Clean,
    /// clamd found a signature, or a limit stopped it: quarantined, never served.
    Infected,
}

impl ScanState {
    /// Every state.
    pub const ALL: [Self; 3] = [Self::Pending, Self::Clean, Self::Infected];

    /// As stored (`attachments.scan_state`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Clean => "clean",
            Self::Infected => "infected",
        }
    }

    /// From its stored name.
    #[must_use]
    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == stored)
    }

    /// As the pages say it.
    #[must_use]
    pub const fn label_fr(self) -> &'static str {
        match self {
            Self::Pending => "En attente d'analyse antivirus",
            Self::Clean => "Analysée : saine",
            Self::Infected => "Infectée : mise en quarantaine",
        }
    }
}

/// How far a piece may go before it is refused.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Largest piece, in bytes.
    pub max_bytes: u64,
    /// Most entries in an office archive.
    pub max_entries: usize,
    /// Largest total an office archive declares once unpacked, in bytes.
    pub max_unpacked: u64,
    /// Highest unpacked/packed ratio of an entry past [`Self::ratio_from`] bytes.
    pub max_ratio: u64,
    /// Entries smaller than this unpacked are not held to the ratio (small XML files
    /// compress very well and harm nobody).
    pub ratio_from: u64,
}

impl Default for Bounds {
    /// 20 MB a piece (issue 17); an office document of at most 2,000 entries and 100 MiB
    /// unpacked, no entry over 1 MiB compressed more than 100 times.
    fn default() -> Self {
        Self {
            max_bytes: 20 * 1024 * 1024,
            max_entries: 2_000,
            max_unpacked: 100 * 1024 * 1024,
            max_ratio: 100,
            ratio_from: 1024 * 1024,
        }
    }
}

/// Why a piece is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Nothing was sent.
    #[error("empty")]
    Empty,
    /// Larger than [`Bounds::max_bytes`].
    #[error("too large")]
    TooLarge {
        /// The bound, in bytes.
        max: u64,
    },
    /// Not one of the accepted types.
    #[error("type not accepted")]
    NotAccepted,
    /// An archive past its bounds, unreadable or encrypted.
    #[error("suspect: {0}")]
    Suspect(&'static str),
}

impl Refusal {
    /// Stable code (API `errors[].code`).
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Empty => "piece.empty",
            Self::TooLarge { .. } => "piece.too_large",
            Self::NotAccepted => "piece.type_not_accepted",
            Self::Suspect(_) => "piece.suspect",
        }
    }

    /// The French message, naming the file as the agent named it (sanitised).
    #[must_use]
    pub fn message_fr(&self, name: &PieceName) -> String {
        let name = name.as_str();
        match self {
            Self::Empty => format!("« {name} » est vide : choisissez le fichier à nouveau."),
            Self::TooLarge { max } => format!(
                "« {name} » dépasse la taille maximale de {} Mo par pièce : réduisez-le \
                 (par exemple en PDF compressé) avant de le joindre.",
                max / (1024 * 1024)
            ),
            Self::NotAccepted => format!(
                "« {name} » n'est pas d'un type accepté. Fichiers acceptés : {ACCEPTED_FR}."
            ),
            Self::Suspect(why) => format!(
                "« {name} » est un fichier suspect ({why}) : il n'a pas été enregistré. \
                 Enregistrez le document à nouveau depuis votre traitement de texte, ou en PDF."
            ),
        }
    }
}

/// Decides what `content` is, or why it is refused.
///
/// # Errors
/// [`Refusal`]: empty, too large, not an accepted type, or a suspect archive.
pub fn identify(content: &[u8], bounds: &Bounds) -> Result<PieceType, Refusal> {
    if content.is_empty() {
        return Err(Refusal::Empty);
    }
    if u64::try_from(content.len()).unwrap_or(u64::MAX) > bounds.max_bytes {
        return Err(Refusal::TooLarge {
            max: bounds.max_bytes,
        });
    }
    if content.starts_with(b"%PDF-") {
        return Ok(PieceType::Pdf);
    }
    if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(PieceType::Jpeg);
    }
    if content.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Ok(PieceType::Png);
    }
    if content.starts_with(b"PK\x03\x04") {
        return office(content, bounds);
    }
    Err(Refusal::NotAccepted)
}

/// An office document: its archive's central directory read and bounded before its type.
fn office(content: &[u8], bounds: &Bounds) -> Result<PieceType, Refusal> {
    let mut archive = zip::ZipArchive::new(Cursor::new(content))
        .map_err(|_| Refusal::Suspect("archive illisible"))?;
    if archive.len() > bounds.max_entries {
        return Err(Refusal::Suspect("trop de fichiers dans l'archive"));
    }
    let mut unpacked: u64 = 0;
    let mut names = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        // Raw: the entry's declared sizes, nothing decompressed.
        let entry = archive
            .by_index_raw(index)
            .map_err(|_| Refusal::Suspect("archive illisible"))?;
        if entry.encrypted() {
            return Err(Refusal::Suspect("contenu chiffré"));
        }
        let size = entry.size();
        unpacked = unpacked.saturating_add(size);
        if unpacked > bounds.max_unpacked {
            return Err(Refusal::Suspect("contenu décompressé trop volumineux"));
        }
        if size >= bounds.ratio_from && size / entry.compressed_size().max(1) > bounds.max_ratio {
            return Err(Refusal::Suspect("taux de compression anormal"));
        }
        let name = entry
            .name()
            .map_err(|_| Refusal::Suspect("archive illisible"))?;
        names.push(name.into_owned());
    }
    if names.first().is_some_and(|n| n == "mimetype") && odt_mimetype(&mut archive) {
        return Ok(PieceType::Odt);
    }
    if names.iter().any(|n| n == "[Content_Types].xml")
        && names.iter().any(|n| n == "word/document.xml")
    {
        return Ok(PieceType::Docx);
    }
    Err(Refusal::NotAccepted)
}

/// Whether the `mimetype` entry (stored, as OpenDocument requires) names a text document.
fn odt_mimetype(archive: &mut zip::ZipArchive<Cursor<&[u8]>>) -> bool {
    let Ok(entry) = archive.by_index(0) else {
        return false;
    };
    if entry.compression() != zip::CompressionMethod::Stored {
        return false;
    }
    let mut kind = String::new();
    entry.take(100).read_to_string(&mut kind).is_ok()
        && kind == "application/vnd.oasis.opendocument.text"
}

/// A piece's name as shown: the last part of what the agent sent (no directory), without
/// control or bidirectional characters nor those file systems reserve, at most 120
/// characters, ending with its type's extension. Only ever displayed and offered back as the
/// download's name; storage keys are ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PieceName(String);

/// The name's length, in characters, extension included.
const NAME_CHARS: usize = 120;

impl PieceName {
    /// Sanitises `raw` (as the browser sent it) before the type is known: for messages.
    #[must_use]
    pub fn shown(raw: &str) -> Self {
        let name = clean(raw);
        Self(if name.is_empty() {
            "pièce".to_owned()
        } else {
            name
        })
    }

    /// Sanitises `raw` for a piece of type `kind`: its extension replaced by the type's.
    #[must_use]
    pub fn of(raw: &str, kind: PieceType) -> Self {
        let name = clean(raw);
        let stem = match name.rsplit_once('.') {
            Some((stem, ext))
                if !stem.is_empty()
                    && ["pdf", "jpg", "jpeg", "png", "odt", "docx", "doc"]
                        .contains(&ext.to_lowercase().as_str()) =>
            {
                stem.to_owned()
            }
            _ => name,
        };
        let stem = if stem.is_empty() {
            "pièce".to_owned()
        } else {
            stem
        };
        let ext = kind.extension();
        let room = NAME_CHARS.saturating_sub(ext.len() + 1);
        let stem: String = stem.chars().take(room).collect();
        Self(format!("{}.{ext}", stem.trim_end()))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The last path component, cleaned, trimmed and bounded.
fn clean(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut out = String::with_capacity(last.len());
    for c in last.chars() {
        let bidi = matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        if c.is_whitespace() {
            // Tabs and line breaks included: one space.
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else if c.is_control() || bidi {
            continue;
        } else if matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    let trimmed = out.trim_matches(|c: char| c == ' ' || c == '.');
    trimmed.chars().take(NAME_CHARS).collect()
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use std::io::Write;

    use super::*;
    use zip::write::SimpleFileOptions;

    fn archive(entries: &[(&str, &[u8], zip::CompressionMethod)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content, method) in entries {
            zip.start_file(
                *name,
                SimpleFileOptions::default().compression_method(*method),
            )
            .unwrap();
            zip.write_all(content).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    const STORED: zip::CompressionMethod = zip::CompressionMethod::Stored;
    const DEFLATED: zip::CompressionMethod = zip::CompressionMethod::Deflated;

    fn docx() -> Vec<u8> {
        archive(&[
            ("[Content_Types].xml", b"<Types/>", DEFLATED),
            ("word/document.xml", b"<w:document/>", DEFLATED),
        ])
    }

    #[test]
    fn types_come_from_the_content() {
        let b = Bounds::default();
        assert_eq!(identify(b"%PDF-1.7\n...", &b), Ok(PieceType::Pdf));
        assert_eq!(
            identify(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0], &b),
            Ok(PieceType::Jpeg)
        );
        assert_eq!(
            identify(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0], &b),
            Ok(PieceType::Png)
        );
        assert_eq!(identify(&docx(), &b), Ok(PieceType::Docx));
        let odt = archive(&[
            (
                "mimetype",
                b"application/vnd.oasis.opendocument.text",
                STORED,
            ),
            ("content.xml", b"<office:document-content/>", DEFLATED),
        ]);
        assert_eq!(identify(&odt, &b), Ok(PieceType::Odt));
        // A name or a claimed type changes nothing: an executable stays refused.
        assert_eq!(
            identify(b"MZ\x90\x00 cv.pdf", &b),
            Err(Refusal::NotAccepted)
        );
        assert_eq!(identify(b"<html>", &b), Err(Refusal::NotAccepted));
        assert_eq!(
            identify(&archive(&[("readme.txt", b"x", STORED)]), &b),
            Err(Refusal::NotAccepted)
        );
        assert_eq!(identify(b"", &b), Err(Refusal::Empty));
        let small = Bounds {
            max_bytes: 4,
            ..Bounds::default()
        };
        assert_eq!(
            identify(b"%PDF-1.7", &small),
            Err(Refusal::TooLarge { max: 4 })
        );
    }

    #[test]
    fn a_docx_of_300_mb_of_zeros_is_suspect_and_so_are_broken_or_crowded_archives() {
        let b = Bounds::default();
        // 300 MB of zeros packs into a few hundred kB: refused before anything unpacks it.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let deflated = SimpleFileOptions::default()
            .compression_method(DEFLATED)
            .large_file(true);
        zip.start_file("[Content_Types].xml", deflated).unwrap();
        zip.write_all(b"<Types/>").unwrap();
        zip.start_file("word/document.xml", deflated).unwrap();
        let zeros = vec![0_u8; 1024 * 1024];
        for _ in 0..300 {
            zip.write_all(&zeros).unwrap();
        }
        let bomb = zip.finish().unwrap().into_inner();
        assert!(bomb.len() < 2 * 1024 * 1024, "{} bytes", bomb.len());
        assert!(matches!(identify(&bomb, &b), Err(Refusal::Suspect(_))));
        // One entry 2 MiB of zeros: the ratio alone.
        let ratio = archive(&[
            ("[Content_Types].xml", b"<Types/>", DEFLATED),
            ("word/document.xml", &vec![0_u8; 2 * 1024 * 1024], DEFLATED),
        ]);
        assert_eq!(
            identify(&ratio, &b),
            Err(Refusal::Suspect("taux de compression anormal"))
        );
        let many: Vec<(String, Vec<u8>)> =
            (0..30).map(|i| (format!("f{i}.xml"), vec![b'x'])).collect();
        let entries: Vec<(&str, &[u8], zip::CompressionMethod)> = many
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_slice(), STORED))
            .collect();
        let crowded = Bounds {
            max_entries: 20,
            ..Bounds::default()
        };
        assert_eq!(
            identify(&archive(&entries), &crowded),
            Err(Refusal::Suspect("trop de fichiers dans l'archive"))
        );
        let mut broken = docx();
        broken.truncate(broken.len() / 2);
        assert_eq!(
            identify(&broken, &b),
            Err(Refusal::Suspect("archive illisible"))
        );
    }

    #[test]
    fn names_keep_no_path_no_control_and_end_with_their_type() {
        assert_eq!(
            PieceName::of("../../etc/passwd", PieceType::Pdf).as_str(),
            "passwd.pdf"
        );
        assert_eq!(
            PieceName::of("C:\\Users\\agent\\CV final.PDF", PieceType::Pdf).as_str(),
            "CV final.pdf"
        );
        assert_eq!(
            PieceName::of("photo\u{202E}gpj.exe", PieceType::Jpeg).as_str(),
            "photogpj.exe.jpg"
        );
        assert_eq!(
            PieceName::of("a\u{0}b\nc\td.png", PieceType::Png).as_str(),
            "ab c d.png"
        );
        assert_eq!(
            PieceName::of("état <civil>?.docx", PieceType::Docx).as_str(),
            "état _civil__.docx"
        );
        assert_eq!(PieceName::of("...", PieceType::Odt).as_str(), "pièce.odt");
        assert_eq!(
            PieceName::of("scan.png", PieceType::Jpeg).as_str(),
            "scan.jpg"
        );
        let long = PieceName::of(&"é".repeat(500), PieceType::Pdf);
        assert_eq!(long.as_str().chars().count(), 120);
        assert!(long.as_str().ends_with(".pdf"));
        assert_eq!(PieceName::shown("/tmp/\u{7}").as_str(), "pièce");
        let refusal = Refusal::NotAccepted.message_fr(&PieceName::shown("virus.exe"));
        assert_eq!(
            refusal,
            "« virus.exe » n'est pas d'un type accepté. Fichiers acceptés : PDF, JPEG, PNG, ODT ou DOCX."
        );
        assert!(
            Refusal::TooLarge {
                max: 20 * 1024 * 1024
            }
            .message_fr(&PieceName::shown("x.pdf"))
            .contains("20 Mo")
        );
    }
}
