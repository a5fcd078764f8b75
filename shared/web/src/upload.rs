//! A form that sends one file and a few short fields (an import's page): the multipart body
//! read as it streams in, each part's headers bounded ([`crate::part_headers`]), the file
//! bounded in size and the other fields in length; what is wrong is said in French, for the
//! form. Nothing is kept of a refused body.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};

/// What the agent asked of an import's file: « Vérifier le fichier » (the report, nothing
/// written) or « Importer ».
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// The dry run: the report, nothing written.
    Check,
    /// The import.
    Import,
}

impl ImportMode {
    /// As in the form and the stored row.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Check => "verification",
            Self::Import => "import",
        }
    }

    /// Parses the form's and the stored value.
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        [Self::Check, Self::Import]
            .into_iter()
            .find(|m| m.code() == code)
    }
}

/// The most a short field may hold.
const FIELD_BYTES: u64 = 256;

/// The form as sent.
pub struct FileForm {
    /// The file's name as the agent had it (at most 200 characters).
    pub file_name: String,
    /// Its bytes.
    pub bytes: Bytes,
    /// The other fields, as sent (the CSRF token aside).
    fields: Vec<(String, String)>,
}

impl std::fmt::Debug for FileForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileForm({} bytes)", self.bytes.len())
    }
}

impl FileForm {
    /// The field `name`, trimmed (empty when absent).
    #[must_use]
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.trim())
    }
}

/// Reads a form whose file is `file_field` (at most `max_bytes`; beyond, `too_large` is the
/// refusal) and whose other fields are among `fields`.
///
/// # Errors
/// The refusal in French: not a multipart body, a broken one, a file too large, an
/// unexpected field, no file chosen.
pub async fn file_form(
    headers: &HeaderMap,
    body: Body,
    file_field: &str,
    max_bytes: u64,
    fields: &[&str],
    too_large: &str,
) -> Result<FileForm, String> {
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or("Le fichier doit être envoyé depuis le formulaire (multipart/form-data).")?;
    let stream = crate::part_headers::bounded(body.into_data_stream(), &boundary);
    let mut multipart = multer::Multipart::new(stream, boundary);
    let broken = "L'envoi est incomplet ou mal formé : choisissez le fichier de nouveau.";
    let mut file: Option<(String, Bytes)> = None;
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut csrf = false;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return Err(broken.to_owned()),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().unwrap_or_default().to_owned();
        let is_file = name == file_field;
        if !is_file && name != "_csrf" && !fields.contains(&name.as_str()) {
            return Err(format!(
                "Champ inattendu dans l'envoi : « {} ».",
                name.chars().take(60).collect::<String>()
            ));
        }
        // Each field once: a body of a million small parts is refused at the second.
        let repeated = if is_file {
            file.is_some()
        } else if name == "_csrf" {
            std::mem::replace(&mut csrf, true)
        } else {
            texts.iter().any(|(n, _)| *n == name)
        };
        if repeated {
            return Err(if is_file {
                "Fichier : envoyez un seul fichier à la fois.".to_owned()
            } else {
                broken.to_owned()
            });
        }
        let max = if is_file { max_bytes } else { FIELD_BYTES };
        let mut content = Vec::new();
        let mut over = false;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) if !over => {
                    if (content.len() + chunk.len()) as u64 > max {
                        over = true;
                        content = Vec::new();
                    } else {
                        content.extend_from_slice(&chunk);
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return Err(broken.to_owned()),
            }
        }
        if is_file {
            if over {
                return Err(too_large.to_owned());
            }
            file = Some((file_name, Bytes::from(content)));
        } else if name != "_csrf" {
            if over {
                return Err(broken.to_owned());
            }
            texts.push((name, String::from_utf8_lossy(&content).into_owned()));
        }
    }
    match file {
        Some((file_name, bytes)) if !bytes.is_empty() || !file_name.is_empty() => Ok(FileForm {
            file_name: file_name
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect(),
            bytes,
            fields: texts,
        }),
        _ => Err("Fichier : choisissez le fichier à envoyer.".to_owned()),
    }
}
