//! Files served as downloads (a piece, a PDF, a report, an export): one way to name them and
//! keep them out of caches.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

/// `body` served as a download of type `mime` named `name` (`extension`'s fallback when the
/// name has nothing ASCII), never cached, never sniffed.
pub fn attachment(body: Body, mime: &'static str, name: &str, extension: &str) -> Response {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    headers.insert(
        header::CONTENT_DISPOSITION,
        content_disposition(name, extension),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    *response.status_mut() = StatusCode::OK;
    response
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): an ASCII fallback for old
/// clients, the name itself percent-encoded for the others.
fn content_disposition(name: &str, extension: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let ascii = if ascii.trim().is_empty() {
        format!("piece.{extension}")
    } else {
        ascii
    };
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_download_is_named_in_ascii_and_in_utf8() {
        let value = super::content_disposition("État des services.pdf", "pdf");
        assert_eq!(
            value.to_str().ok(),
            Some(
                "attachment; filename=\"_tat des services.pdf\"; \
                 filename*=UTF-8''%C3%89tat%20des%20services.pdf"
            )
        );
    }
}
