//! Typed ids from the path. A segment that does not parse as the route's id type is the same
//! 404 as an unknown id or another tenant's, on every route, page or API: whether an address
//! is malformed or merely unknown is not the caller's business, and one answer means one test.

use std::str::FromStr;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use crate::WebError;

/// One typed value from the path (`/dossiers/{id}` → `IdPath<DossierId>`).
#[derive(Debug, Clone, Copy)]
pub struct IdPath<T>(pub T);

/// Two typed values from the path (`/dossiers/{id}/etape/{n}`).
#[derive(Debug, Clone, Copy)]
pub struct IdPaths<A, B>(pub A, pub B);

fn parse<T: FromStr>(raw: &str) -> Result<T, WebError> {
    raw.parse().map_err(|_| WebError::NotFound)
}

impl<S: Send + Sync, T: FromStr> FromRequestParts<S> for IdPath<T> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| WebError::NotFound)?;
        parse(&raw).map(Self)
    }
}

impl<S: Send + Sync, A: FromStr, B: FromStr> FromRequestParts<S> for IdPaths<A, B> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((a, b)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| WebError::NotFound)?;
        Ok(Self(parse(&a)?, parse(&b)?))
    }
}
