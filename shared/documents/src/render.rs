//! The PDF/A-2b rendering of the platform's documents: typst as a library, the templates in
//! `templates/` compiled into the binary, the fonts embedded (typst-assets' Libertinus
//! Serif), tagged for accessibility where typst allows. Each document is a plain structure;
//! every text in it gets its French typography here ([`crate::typography::french`]) and
//! reaches the template as a string input, never as markup.

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use typst::foundations::{Array, Datetime, Dict, IntoValue, Value};
use typst_as_lib::TypstEngine;
use typst_as_lib::TypstTemplateMainFile;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::typography::{date, french};

const MEMOIRE: &str = include_str!("../templates/memoire.typ");
const RECEPISSE: &str = include_str!("../templates/recepisse.typ");

/// Why a document could not be rendered (a template fault: the caller logs it).
#[derive(Debug, thiserror::Error)]
#[error("document rendering: {0}")]
pub struct RenderError(String);

/// Whether a document is final or a preview (watermarked « PROJET »).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issue {
    /// As it stands, watermarked « PROJET » on every page.
    Preview,
    /// The document of record.
    Final,
}

/// One opinion given on the dossier, by its author.
#[derive(Clone, PartialEq, Eq)]
pub struct Opinion {
    /// « Claire Martin, Préfecture du Rhône ».
    pub author: String,
    /// « Favorable, le 3 mars 2027 ».
    pub verdict: String,
    /// Its motivation.
    pub motivation: String,
}

/// The mémoire de proposition of a dossier.
#[derive(Clone, PartialEq, Eq)]
pub struct Memoire {
    /// « Ministère de l'Intérieur ».
    pub authority: String,
    /// « Légion d'honneur — promotion du 14 juillet 2027 ».
    pub campaign: String,
    /// « Chevalier de la Légion d'honneur ».
    pub proposed: String,
    /// The dossier's number, once submitted.
    pub number: Option<String>,
    /// The filing unit.
    pub unit: String,
    /// (label, value) of the candidate's identity.
    pub identity: Vec<(String, String)>,
    /// One line per career period.
    pub career: Vec<String>,
    /// One line per distinction held.
    pub distinctions: Vec<String>,
    /// The exposé des motifs.
    pub motifs: String,
    /// The eligibility verdict, in a sentence.
    pub verdict: String,
    /// (reason, article) of the verdict.
    pub reasons: Vec<(String, String)>,
    /// The opinions given, in order.
    pub opinions: Vec<Opinion>,
    /// One line per piece attached.
    pub pieces: Vec<String>,
    /// When it is rendered.
    pub at: DateTime<Utc>,
}

/// The récépissé de dépôt of a submitted dossier.
#[derive(Clone, PartialEq, Eq)]
pub struct Recepisse {
    /// « Ministère de l'Intérieur ».
    pub authority: String,
    /// The dossier's number.
    pub number: String,
    /// When it was deposited.
    pub deposited_on: NaiveDate,
    /// The filing unit.
    pub unit: String,
    /// The campaign.
    pub campaign: String,
    /// The candidate, as named on lists.
    pub candidate: String,
    /// The grade proposed.
    pub proposed: String,
    /// When it is rendered.
    pub at: DateTime<Utc>,
}

// The documents hold a candidate's personal data: their Debug never shows it.
impl std::fmt::Debug for Opinion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opinion").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Memoire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memoire")
            .field("number", &self.number)
            .field("campaign", &self.campaign)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Recepisse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recepisse")
            .field("number", &self.number)
            .finish_non_exhaustive()
    }
}

fn text(value: &str) -> Value {
    french(value).into_value()
}

fn lines(values: &[String]) -> Value {
    values
        .iter()
        .map(|v| text(v))
        .collect::<Array>()
        .into_value()
}

fn pairs<'a>(values: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
    values
        .into_iter()
        .map(|(a, b)| {
            [text(a), text(b)]
                .into_iter()
                .collect::<Array>()
                .into_value()
        })
        .collect::<Array>()
        .into_value()
}

fn engine(
    source: &'static str,
    cell: &'static OnceLock<TypstEngine<TypstTemplateMainFile>>,
) -> &'static TypstEngine<TypstTemplateMainFile> {
    cell.get_or_init(|| {
        TypstEngine::builder()
            .main_file(source)
            .fonts(typst_assets::fonts())
            .build()
    })
}

/// Compiles `source` with `inputs` into a PDF/A-2b dated `at`.
fn pdf(
    source: &'static str,
    cell: &'static OnceLock<TypstEngine<TypstTemplateMainFile>>,
    inputs: Dict,
    at: DateTime<Utc>,
) -> Result<Vec<u8>, RenderError> {
    let document: PagedDocument = engine(source, cell)
        .compile_with_input(inputs)
        .output
        .map_err(|e| RenderError(e.to_string()))?;
    let timestamp = Datetime::from_ymd_hms(
        at.year(),
        u8::try_from(at.month()).unwrap_or(1),
        u8::try_from(at.day()).unwrap_or(1),
        u8::try_from(at.hour()).unwrap_or(0),
        u8::try_from(at.minute()).unwrap_or(0),
        u8::try_from(at.second()).unwrap_or(0),
    )
    .map(Timestamp::new_utc);
    let options = PdfOptions {
        standards: PdfStandards::new(&[PdfStandard::A_2b])
            .map_err(|e| RenderError(e.message().to_string()))?,
        timestamp,
        creator: typst::foundations::Smart::Custom(Some("Napoléon".to_owned())),
        ..PdfOptions::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|e| {
        RenderError(
            e.iter()
                .map(|d| d.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// The mémoire as a PDF/A-2b (watermarked « PROJET » as a [`Issue::Preview`]).
///
/// # Errors
/// [`RenderError`] when the template fails (a fault of this crate).
pub fn memoire(memoire: &Memoire, issue: Issue) -> Result<Vec<u8>, RenderError> {
    static ENGINE: OnceLock<TypstEngine<TypstTemplateMainFile>> = OnceLock::new();
    let m = memoire;
    let number = m
        .number
        .as_deref()
        .map_or_else(|| "non encore déposé".to_owned(), |n| format!("n° {n}"));
    let mut inputs = Dict::new();
    let mut put = |key: &str, value: Value| {
        inputs.insert(key.into(), value);
    };
    put(
        "title",
        text(&format!("Mémoire de proposition — {}", m.proposed)),
    );
    put("author", text(&m.authority));
    put("authority", text(&m.authority));
    put("heading", text("Mémoire de proposition"));
    put("subheading", text(&m.proposed));
    put(
        "preview",
        if issue == Issue::Preview {
            "oui"
        } else {
            "non"
        }
        .into_value(),
    );
    put(
        "footer",
        text(&format!(
            "{} — dossier {number} — édité le {}{}",
            m.campaign,
            date(m.at.date_naive()),
            if issue == Issue::Preview {
                " (projet)"
            } else {
                ""
            }
        )),
    );
    put(
        "facts",
        pairs([
            ("Campagne :", m.campaign.as_str()),
            ("Distinction proposée :", m.proposed.as_str()),
            ("Dossier :", number.as_str()),
            ("Service proposant :", m.unit.as_str()),
        ]),
    );
    put(
        "identity",
        pairs(m.identity.iter().map(|(a, b)| (a.as_str(), b.as_str()))),
    );
    put("career", lines(&m.career));
    put("distinctions", lines(&m.distinctions));
    put("motifs", text(&m.motifs));
    put("verdict", text(&m.verdict));
    put(
        "reasons",
        pairs(m.reasons.iter().map(|(a, b)| (a.as_str(), b.as_str()))),
    );
    put(
        "opinions",
        m.opinions
            .iter()
            .map(|o| {
                [text(&o.author), text(&o.verdict), text(&o.motivation)]
                    .into_iter()
                    .collect::<Array>()
                    .into_value()
            })
            .collect::<Array>()
            .into_value(),
    );
    put("pieces", lines(&m.pieces));
    pdf(MEMOIRE, &ENGINE, inputs, m.at)
}

/// The récépissé as a PDF/A-2b.
///
/// # Errors
/// [`RenderError`] when the template fails (a fault of this crate).
pub fn recepisse(recepisse: &Recepisse) -> Result<Vec<u8>, RenderError> {
    static ENGINE: OnceLock<TypstEngine<TypstTemplateMainFile>> = OnceLock::new();
    let r = recepisse;
    let mut inputs = Dict::new();
    let mut put = |key: &str, value: Value| {
        inputs.insert(key.into(), value);
    };
    put(
        "title",
        text(&format!("Récépissé de dépôt — dossier n° {}", r.number)),
    );
    put("author", text(&r.authority));
    put("authority", text(&r.authority));
    put(
        "footer",
        text(&format!(
            "Dossier n° {} — édité le {}",
            r.number,
            date(r.at.date_naive())
        )),
    );
    let deposited = date(r.deposited_on);
    let number = format!("n° {}", r.number);
    put(
        "facts",
        pairs([
            ("Dossier :", number.as_str()),
            ("Déposé le :", deposited.as_str()),
            ("Par :", r.unit.as_str()),
            ("Campagne :", r.campaign.as_str()),
            ("Candidat :", r.candidate.as_str()),
            ("Distinction proposée :", r.proposed.as_str()),
        ]),
    );
    put(
        "notice",
        text(
            "Le dossier est transmis au service instructeur. Il ne peut plus être modifié, \
             sauf si un complément est demandé : le service déposant en est alors informé.",
        ),
    );
    pdf(RECEPISSE, &ENGINE, inputs, r.at)
}
