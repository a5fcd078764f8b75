//! Error policy: handlers return [`WebError`]; its response carries only the status, the
//! stable code and, for a refusal, its French message and faulty fields (an [`ErrorMarker`]).
//! The edge layer ([`crate::edge_layers`]) turns every error response — ours, axum's
//! rejections, a panic — into a French HTML page or the one `application/problem+json` shape
//! ([`Problem`]), with the request id and never any internal detail. Internal causes are
//! logged once, here.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use napoleon_kernel::ErrorCode;
use serde::Serialize;

/// One invalid field, in French, named as the form and the JSON API name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name (`candidate.birth_date`, `career[1].from`…).
    pub field: String,
    /// What is wrong and how to fix it, in French.
    pub message: String,
}

impl FieldError {
    /// A field error.
    #[must_use]
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A request that cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The resource does not exist (or belongs to another tenant: same answer, on purpose).
    #[error("not found")]
    NotFound,
    /// The agent may not do this.
    #[error("forbidden")]
    Forbidden,
    /// The request is malformed.
    #[error("bad request")]
    BadRequest,
    /// The input cannot be used as sent (a form out of its bounds, a malformed field name):
    /// a 422 whose French message is shown on the error page and in `detail`.
    #[error("unprocessable: {code}")]
    Unprocessable {
        /// Stable machine code, e.g. `form.too_many_rows`.
        code: &'static str,
        /// French explanation naming the field or group.
        message: String,
    },
    /// The body is larger than this route accepts.
    #[error("payload too large")]
    PayloadTooLarge,
    /// Too many requests at once from this client or session.
    #[error("too many requests")]
    TooManyRequests {
        /// Seconds to wait before retrying (`Retry-After`).
        retry_after: u64,
    },
    /// The input is invalid, field by field; nothing was changed (422, every field listed on
    /// the page and in `errors[]`).
    #[error("invalid input ({} fields)", .0.len())]
    Invalid(Vec<FieldError>),
    /// One field is invalid, with a code of its own (the eligibility engine's
    /// `case.invalid_date`…): a 422 naming the field in `errors[]`.
    #[error("invalid field: {code}")]
    InvalidField {
        /// Stable machine code.
        code: &'static str,
        /// The faulty field, when the refusal names one.
        field: Option<String>,
        /// French explanation.
        message: String,
    },
    /// The resource is not in a state that allows this: a 409 whose French message (the
    /// campaign's window, the four-eyes rule…) is shown on the page and in `detail`.
    #[error("conflict: {}", .0.code())]
    Conflict(crate::Conflict),
    /// A dependency (the database) is unavailable.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected failure. The text goes to the log only.
    #[error("internal: {0}")]
    Internal(String),
}

/// Handlers' result type.
pub type WebResult<T> = Result<T, WebError>;

impl ErrorCode for WebError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Forbidden => "forbidden",
            Self::BadRequest => "bad_request",
            Self::Unprocessable { code, .. } => code,
            Self::PayloadTooLarge => "payload_too_large",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::Invalid(_) => "invalid_input",
            Self::InvalidField { code, .. } => code,
            Self::Conflict(c) => c.code(),
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }
}

impl WebError {
    /// The HTTP status.
    #[must_use]
    pub const fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Invalid(_) | Self::InvalidField { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<napoleon_db::DbError> for WebError {
    fn from(e: napoleon_db::DbError) -> Self {
        match e.code() {
            "db.not_found" => Self::NotFound,
            "db.unavailable" => Self::Unavailable(e.to_string()),
            _ => Self::Internal(e.to_string()),
        }
    }
}

impl From<napoleon_authz::AuthzError> for WebError {
    fn from(e: napoleon_authz::AuthzError) -> Self {
        match e {
            // The database, not the policy: unavailable (503) when its connection was lost.
            napoleon_authz::AuthzError::Db(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Marks a response as an error to render, with its stable code and, when the refusal has
/// them, its French message and faulty fields (the edge shows them instead of the generic
/// wording).
#[derive(Clone, Debug)]
pub(crate) struct ErrorMarker {
    pub(crate) code: &'static str,
    pub(crate) title: Option<&'static str>,
    pub(crate) message: Option<Arc<str>>,
    pub(crate) fields: Arc<[FieldError]>,
}

/// The one `application/problem+json` shape (RFC 9457) every API answers with: our stable
/// `code`, the request id, and the faulty fields (empty when the refusal is not about a
/// field).
#[derive(Debug, Serialize)]
pub(crate) struct Problem<'a> {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) title: &'a str,
    pub(crate) status: u16,
    pub(crate) detail: &'a str,
    pub(crate) code: &'a str,
    pub(crate) request_id: &'a str,
    pub(crate) errors: &'a [FieldError],
}

impl<'a> Problem<'a> {
    pub(crate) fn new(
        status: StatusCode,
        code: &'a str,
        title: &'a str,
        detail: &'a str,
        request_id: &'a str,
        errors: &'a [FieldError],
    ) -> Self {
        Self {
            kind: format!("https://napoleon.numerique.gouv.fr/problemes/{code}"),
            title,
            status: status.as_u16(),
            detail,
            code,
            request_id,
            errors,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match &self {
            Self::Internal(detail) => {
                tracing::error!(error.code = self.code(), error.detail = %detail, "request failed")
            }
            Self::Unavailable(detail) => {
                tracing::warn!(error.code = self.code(), error.detail = %detail, "dependency unavailable")
            }
            _ => {}
        }
        let mut response = self.status().into_response();
        if let Self::TooManyRequests { retry_after } = &self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(*retry_after),
            );
        }
        let code = self.code();
        let (title, message, fields) = match self {
            Self::Unprocessable { message, .. } => {
                (None, Some(Arc::from(message)), Arc::from(Vec::new()))
            }
            Self::Conflict(c) => (None, Some(Arc::from(c.message())), Arc::from(Vec::new())),
            Self::InvalidField { field, message, .. } => {
                let fields = field
                    .map(|f| vec![FieldError::new(f, message.clone())])
                    .unwrap_or_default();
                (
                    Some("Données invalides"),
                    Some(Arc::from(message)),
                    Arc::from(fields),
                )
            }
            Self::Invalid(fields) => {
                let message = fields
                    .iter()
                    .map(|f| f.message.as_str())
                    .collect::<Vec<_>>()
                    .join(" ; ");
                (
                    Some("Données invalides"),
                    Some(Arc::from(message)),
                    Arc::from(fields),
                )
            }
            _ => (None, None, Arc::from(Vec::new())),
        };
        response.extensions_mut().insert(ErrorMarker {
            code,
            title,
            message,
            fields,
        });
        response
    }
}

/// The French wording of an error, by status.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wording {
    pub(crate) title: &'static str,
    pub(crate) lead: &'static str,
    pub(crate) advice: &'static str,
}

pub(crate) fn wording(status: StatusCode) -> Wording {
    match status.as_u16() {
        404 | 410 => Wording {
            title: "Page non trouvée",
            lead: "La page que vous cherchez est introuvable. Excusez-nous pour la gêne occasionnée.",
            advice: "Si vous avez tapé l'adresse web dans le navigateur, vérifiez qu'elle est correcte. La page n'est peut-être plus disponible, ou vous n'y avez pas accès avec ce compte.",
        },
        401 => Wording {
            title: "Connexion requise",
            lead: "Vous devez être connecté pour accéder à cette page.",
            advice: "Connectez-vous avec votre identité ministérielle, puis réessayez.",
        },
        403 => Wording {
            title: "Accès refusé",
            lead: "Vous n'avez pas les droits nécessaires pour effectuer cette action.",
            advice: "Si vous pensez devoir y accéder, demandez à l'administrateur ministériel de votre ministère de vous attribuer le rôle correspondant.",
        },
        405 => Wording {
            title: "Action non permise",
            lead: "Cette adresse n'accepte pas ce type de requête.",
            advice: "Revenez à la page précédente et utilisez les boutons proposés.",
        },
        409 => Wording {
            title: "Action impossible dans l'état actuel",
            lead: "L'élément a changé d'état entre-temps et cette action n'est plus possible.",
            advice: "Rechargez la page pour voir son état actuel.",
        },
        408 => Wording {
            title: "Délai dépassé",
            lead: "La requête n'a pas abouti dans le temps imparti : l'envoi est arrivé trop lentement ou le traitement a été trop long.",
            advice: "Réessayez. Si vous envoyiez un formulaire, rechargez d'abord la page pour vérifier ce qui a été enregistré.",
        },
        413 => Wording {
            title: "Envoi trop volumineux",
            lead: "Les données envoyées dépassent la taille autorisée.",
            advice: "Réduisez la taille de l'envoi et réessayez.",
        },
        422 => Wording {
            title: "Données inutilisables",
            lead: "Les données envoyées ne correspondent pas au formulaire.",
            advice: "Rechargez la page, puis saisissez à nouveau les informations.",
        },
        429 => Wording {
            title: "Trop de requêtes simultanées",
            lead: "Trop de requêtes sont en cours pour votre session ou votre poste.",
            advice: "Patientez quelques secondes, puis réessayez.",
        },
        400..=499 => Wording {
            title: "Requête invalide",
            lead: "La requête envoyée n'a pas pu être comprise.",
            advice: "Vérifiez les informations saisies et réessayez.",
        },
        503 => Wording {
            title: "Service momentanément indisponible",
            lead: "Le service est temporairement indisponible. Aucune donnée saisie n'a été enregistrée par cette requête.",
            advice: "Réessayez dans quelques minutes.",
        },
        _ => Wording {
            title: "Erreur inattendue",
            lead: "Une erreur inattendue s'est produite. Nos équipes en sont informées.",
            advice: "Réessayez dans quelques instants. Si le problème persiste, contactez l'assistance.",
        },
    }
}
