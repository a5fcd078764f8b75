//! A dossier's pieces over HTTP: the multipart upload (from the « Pièces jointes » step and
//! the API), removal from a draft, and download. Each file's type is decided here from its
//! content (`napoleon_pieces::identify`, archives bounded) while the body streams in, each
//! file bounded on its own; nothing reaches the use case unless every file passed.

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_identity::Identity;
use napoleon_kernel::{DossierId, PieceId};
use napoleon_pieces::{Bounds, PieceName, identify};
use napoleon_rules::PieceCode;
use napoleon_rules::content::Step;
use napoleon_web::{
    ActionError, FieldError, FormFields, IdPath, IdPaths, WebContext, WebError, WebResult,
    attachment,
};

use crate::domain::{self, Received, Upload};

/// The text fields an upload form carries (anything else is refused).
const TEXT_FIELDS: [&str; 3] = ["_csrf", "code", "replaces"];

/// The file field.
pub(crate) const FILE_FIELD: &str = "fichiers";

/// Longest text field of an upload form.
const TEXT_BYTES: usize = 256;

/// Refused files named in one answer (the rest of such a body is not worth reading).
const MAX_REFUSALS: usize = 10;

/// An upload as parsed from the multipart body: the use case's input, or the refusals of its
/// files (each naming its file).
pub(crate) async fn parse_upload(headers: &HeaderMap, body: Body) -> Result<Upload, ActionError> {
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(|| {
            invalid(
                FILE_FIELD,
                "Les fichiers doivent être envoyés en multipart/form-data.",
            )
        })?;
    let bounds = Bounds::default();
    let stream = napoleon_web::part_headers::bounded(body.into_data_stream(), &boundary);
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut code = None;
    let mut replaces = None;
    let mut files = Vec::new();
    let mut refusals = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(broken(&e)),
        };
        let name = field.name().unwrap_or("").to_owned();
        if name == FILE_FIELD {
            let given = field.file_name().unwrap_or("").to_owned();
            let shown = PieceName::shown(&given);
            let (content, too_large) = read_bounded(field, bounds.max_bytes).await?;
            if content.is_empty() && given.is_empty() {
                // The file input left empty: a browser still sends the part.
                continue;
            }
            // Bounded work whatever the body holds: no more files than a dossier may carry,
            // and the first refusals are enough to say what is wrong.
            if files.len() + refusals.len() >= domain::DOSSIER_PIECES
                || refusals.len() >= MAX_REFUSALS
            {
                return Err(invalid(
                    FILE_FIELD,
                    format!(
                        "Fichiers : {} au plus par envoi ; envoyez-les en plusieurs fois.",
                        domain::DOSSIER_PIECES
                    ),
                ));
            }
            if too_large {
                refusals.push(FieldError::new(
                    FILE_FIELD,
                    napoleon_pieces::Refusal::TooLarge {
                        max: bounds.max_bytes,
                    }
                    .message_fr(&shown),
                ));
                continue;
            }
            match identify(&content, &bounds) {
                Ok(kind) => files.push(Received {
                    name: PieceName::of(field_name_or_default(&shown), kind),
                    kind,
                    bytes: content,
                }),
                Err(refusal) => {
                    refusals.push(FieldError::new(FILE_FIELD, refusal.message_fr(&shown)));
                }
            }
        } else if TEXT_FIELDS.contains(&name.as_str()) {
            let (value, too_large) = read_bounded(field, TEXT_BYTES as u64).await?;
            if too_large {
                return Err(invalid(&name, "Ce champ est trop long."));
            }
            let value = String::from_utf8_lossy(&value).trim().to_owned();
            match name.as_str() {
                "code" => code = Some(value),
                "replaces" if !value.is_empty() => replaces = Some(value),
                _ => {}
            }
        } else {
            return Err(invalid(
                FILE_FIELD,
                format!(
                    "Champ inattendu dans l'envoi : « {} ».",
                    PieceName::shown(&name).as_str()
                ),
            ));
        }
    }
    let code = code.as_deref().and_then(|c| PieceCode::parse(c).ok());
    if !refusals.is_empty() {
        return Err(ActionError::Invalid(at_block(refusals, code.as_ref())));
    }
    let code = code.ok_or_else(|| {
        invalid(
            "code",
            "Pièce : choisissez l'une des pièces demandées pour ce dossier.",
        )
    })?;
    let replaces = match replaces {
        None => None,
        Some(raw) => Some(raw.parse::<PieceId>().map_err(|_| {
            invalid(
                "replaces",
                "La pièce à remplacer est inconnue : rechargez la page.",
            )
        })?),
    };
    Ok(Upload {
        code,
        replaces,
        files,
    })
}

/// The name as given, or « piece » when nothing usable was left of it.
fn field_name_or_default(shown: &PieceName) -> &str {
    if shown.as_str().is_empty() {
        "piece"
    } else {
        shown.as_str()
    }
}

/// A field's bytes, at most `max` (the rest read and dropped, so that the refusal is an
/// answer rather than a broken connection); whether it was longer.
async fn read_bounded(
    mut field: multer::Field<'_>,
    max: u64,
) -> Result<(Bytes, bool), ActionError> {
    let mut content = Vec::new();
    let mut too_large = false;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                if too_large || (content.len() + chunk.len()) as u64 > max {
                    too_large = true;
                    content = Vec::new();
                } else {
                    content.extend_from_slice(&chunk);
                }
            }
            Ok(None) => break,
            Err(e) => return Err(broken(&e)),
        }
    }
    Ok((Bytes::from(content), too_large))
}

/// A body that broke off or is not multipart: nothing was kept.
fn broken(e: &multer::Error) -> ActionError {
    if let multer::Error::StreamReadFailed(inner) = e
        && inner.is::<napoleon_web::part_headers::HeadersTooLong>()
    {
        return invalid(
            FILE_FIELD,
            "L'envoi des fichiers est mal formé (en-têtes d'une partie trop longs) : aucun \
             fichier n'a été joint. Choisissez-les de nouveau.",
        );
    }
    if matches!(e, multer::Error::StreamReadFailed(_)) {
        // The edge's bound (413) or a client gone: the edge answers for the stream.
        tracing::info!(error = %e, "upload interrupted");
        return ActionError::Web(WebError::BadRequest);
    }
    invalid(
        FILE_FIELD,
        "L'envoi des fichiers est incomplet ou mal formé : aucun fichier n'a été joint. \
         Choisissez-les de nouveau.",
    )
}

/// The files' refusals shown in their kind's block (`pieces-b2`) when the kind is known.
fn at_block(errors: Vec<FieldError>, code: Option<&PieceCode>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| match code {
            Some(code) if e.field == FILE_FIELD => {
                FieldError::new(format!("pieces-{code}"), e.message)
            }
            _ => e,
        })
        .collect()
}

fn invalid(field: &str, message: impl Into<String>) -> ActionError {
    ActionError::Invalid(vec![FieldError::new(field, message)])
}

/// `POST /intake/dossiers/{id}/pieces`: the « Pièces jointes » step's upload; back to the
/// step, or the step again with each refusal.
pub(crate) async fn upload(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
    headers: HeaderMap,
    body: Body,
) -> WebResult<Response> {
    let step = Step::Pieces.number();
    // Nothing of the body is read before the agent is known to be allowed to attach here.
    domain::may_attach(&ctx, &identity, id).await?;
    let (code, attached) = match parse_upload(&headers, body).await {
        Ok(upload) => (
            Some(upload.code.clone()),
            domain::attach(&ctx, &identity, id, upload).await,
        ),
        Err(e) => (None, Err(e)),
    };
    match attached {
        Ok(pieces) => Ok(Redirect::to(&format!(
            "/intake/dossiers/{id}/etape/{step}?joint={}",
            pieces.len()
        ))
        .into_response()),
        Err(ActionError::Invalid(errors)) => {
            let errors = at_block(errors, code.as_ref());
            super::step::refused_on_step(&ctx, &identity, id, Step::Pieces, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /intake/dossiers/{id}/pieces/{piece}/retirer`: removes a piece from a draft.
pub(crate) async fn remove(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPaths(id, piece): IdPaths<DossierId, PieceId>,
    _form: FormFields,
) -> WebResult<Response> {
    match domain::remove(&ctx, &identity, id, piece).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/intake/dossiers/{id}/etape/{}?retire=1",
            Step::Pieces.number()
        ))
        .into_response()),
        Err(ActionError::Invalid(errors)) => {
            super::step::refused_on_step(&ctx, &identity, id, Step::Pieces, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /intake/dossiers/{id}/pieces/{piece}` (and the API's): the piece's bytes, as an
/// attachment never cached, with the read in the personal-data log.
pub(crate) async fn download(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPaths(id, piece): IdPaths<DossierId, PieceId>,
) -> WebResult<Response> {
    let file = domain::download(&ctx, &identity, id, piece).await?;
    Ok(served(file))
}

/// `GET /intake/dossiers/{id}/memoire` (and the API's): the mémoire as the dossier stands,
/// watermarked « PROJET ».
pub(crate) async fn memoire(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
) -> WebResult<Response> {
    let pdf = domain::memoire(
        &ctx,
        &identity,
        id,
        napoleon_documents::render::Issue::Preview,
    )
    .await?;
    Ok(attachment(
        pdf.into(),
        "application/pdf",
        &format!("memoire-de-proposition-projet-{id}.pdf"),
        "pdf",
    ))
}

/// `POST /intake/dossiers/{id}/memoire`: the bureau establishes the final mémoire (stored
/// as a piece of the dossier), then returns to the dossier's page.
pub(crate) async fn establish_memoire(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
    _form: FormFields,
) -> WebResult<Response> {
    domain::establish(&ctx, &identity, id).await?;
    Ok(Redirect::to(&format!("/instruction/dossiers/{id}?fait=memoire")).into_response())
}

/// `GET /intake/dossiers/{id}/archive`: every piece the agent may open, in one ZIP (a
/// committee's copy), written as it is sent: one piece in memory at a time.
pub(crate) async fn archive(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
) -> WebResult<Response> {
    // A few archives at a time per process: each holds a blocking thread while its client
    // reads (a client that stops reading gives it back after ARCHIVE_STALL).
    let Ok(permit) = archive_slots().clone().try_acquire_owned() else {
        return Err(WebError::Unavailable(
            "every archive slot is busy".to_owned(),
        ));
    };
    let archive = domain::archive(&ctx, &identity, id).await?;
    let name = format!("pieces-{}.zip", archive.number);
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        if let Err(e) = write_archive(&archive, &runtime, tx) {
            // The client sees a cut download; nothing else is at stake.
            tracing::warn!(error = %e, "dossier archive not finished");
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, std::io::Error>(chunk), rx))
    });
    Ok(attachment(
        Body::from_stream(body),
        "application/zip",
        &name,
        "zip",
    ))
}

/// Writes the archive into `tx` (STORED entries: pieces are compressed already), reading
/// each piece from the store as its turn comes and checking it is the one recorded.
fn write_archive(
    archive: &domain::Archive,
    runtime: &tokio::runtime::Handle,
    tx: tokio::sync::mpsc::Sender<Bytes>,
) -> Result<(), String> {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new_stream(ChannelWriter {
        tx,
        runtime: runtime.clone(),
    });
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(false);
    for (name, piece, sha256) in &archive.entries {
        let bytes = runtime
            .block_on(archive.store.get(archive.tenant, piece.as_uuid()))
            .map_err(|e| e.to_string())?;
        if &napoleon_storage::sha256_hex(&bytes) != sha256 {
            return Err(format!("piece {piece}: stored bytes changed"));
        }
        zip.start_file(name.as_str(), options)
            .map_err(|e| e.to_string())?;
        zip.write_all(&bytes).map_err(|e| e.to_string())?;
    }
    zip.finish().map_err(|e| e.to_string())?;
    Ok(())
}

/// Archives written at once by this process.
const ARCHIVE_SLOTS: usize = 4;

/// How long a client may leave a chunk of its archive unread before the archive stops.
const ARCHIVE_STALL: std::time::Duration = std::time::Duration::from_secs(60);

fn archive_slots() -> &'static std::sync::Arc<tokio::sync::Semaphore> {
    static SLOTS: std::sync::OnceLock<std::sync::Arc<tokio::sync::Semaphore>> =
        std::sync::OnceLock::new();
    SLOTS.get_or_init(|| std::sync::Arc::new(tokio::sync::Semaphore::new(ARCHIVE_SLOTS)))
}

/// A writer whose bytes go to the response, chunk by chunk.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Bytes>,
    runtime: tokio::runtime::Handle,
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let chunk = Bytes::copy_from_slice(buf);
        match self
            .runtime
            .block_on(tokio::time::timeout(ARCHIVE_STALL, self.tx.send(chunk)))
        {
            Ok(Ok(())) => Ok(buf.len()),
            Ok(Err(_)) => Err(std::io::Error::other("the client is gone")),
            Err(_) => Err(std::io::Error::other("the client stopped reading")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `GET /intake/dossiers/{id}/recepisse/pdf`: the récépissé de dépôt of a submitted dossier.
pub(crate) async fn recepisse_pdf(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
) -> WebResult<Response> {
    let (number, pdf) = domain::recepisse(&ctx, &identity, id).await?;
    Ok(attachment(
        pdf.into(),
        "application/pdf",
        &format!("recepisse-{number}.pdf"),
        "pdf",
    ))
}

/// The response that carries a piece: its type as sniffed, a download (never displayed
/// inline, where a PDF's scripts would run in the platform's origin), not cached.
fn served(file: domain::Download) -> Response {
    attachment(
        file.bytes.into(),
        file.kind.mime(),
        file.name.expose(),
        file.kind.extension(),
    )
}
