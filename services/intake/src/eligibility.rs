//! `POST /intake/api/v1/eligibility` (also `POST /api/v1/eligibility` at the gateway): the
//! eligibility engine over HTTP, with the tenant's own catalogue. Same case and verdict JSON
//! as `napoleon rules check` (docs/rules.md); a malformed case is a 422 in the one problem+json
//! shape, naming the field in `errors[]`, in French.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use napoleon_identity::Identity;
use napoleon_rules::Catalogue;
use napoleon_web::{WebContext, WebError, WebResult};

pub(crate) async fn check(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    body: Bytes,
) -> WebResult<Response> {
    let files = crate::domain::catalogue_files(&ctx, &identity).await?;
    let input = std::str::from_utf8(&body).unwrap_or("");
    // Only the tenant's distinctions may be proposed here; but a candidate's awards and the
    // rules between orders may name any distinction, so the engine sees the whole catalogue,
    // with the tenant's own (possibly adjusted) documents in place of the built-in ones.
    if let Some(code) = target_distinction(input)
        && !files.iter().any(|(file, _)| file_code(file) == code)
    {
        return Err(WebError::InvalidField {
            code: "case.distinction_not_in_catalogue",
            field: Some("distinction".to_owned()),
            message: format!(
                "champ « distinction » : la distinction « {code} » n'est pas au catalogue de ce ministère"
            ),
        });
    }
    let catalogue = Catalogue::for_tenant(&files)
        .map_err(|e| WebError::Internal(format!("tenant catalogue: {e}")))?;
    match napoleon_rules::check_json(&catalogue, input) {
        Ok(verdict) => Ok(Json(verdict).into_response()),
        Err(e) => {
            let error = e.body();
            Err(WebError::InvalidField {
                code: error.error,
                field: error.field,
                message: error.message,
            })
        }
    }
}

/// `lh.toml` → `LH`.
fn file_code(file: &str) -> String {
    file.trim_end_matches(".toml").to_uppercase()
}

/// The case's target distinction, if the input says one (malformed input is left to the
/// engine, which names what is wrong).
fn target_distinction(input: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(input).ok()?;
    value.get("distinction")?.as_str().map(str::to_owned)
}
