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

/// `path?k=v&…` with the non-empty pairs form-encoded (`path` alone when none is): a list
/// page's link that keeps its search (« Page suivante », « Première page »).
#[must_use]
pub fn query_href(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        if !value.is_empty() {
            query.append_pair(key, value);
        }
    }
    let query = query.finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

#[cfg(test)]
mod query_href_tests {
    use super::query_href;

    #[test]
    fn empty_values_are_left_out_and_the_others_encoded() {
        assert_eq!(query_href("/p", &[("a", ""), ("b", "")]), "/p");
        assert_eq!(
            query_href("/p", &[("nom", "Lefèvre & fils"), ("apres", "")]),
            "/p?nom=Lef%C3%A8vre+%26+fils"
        );
    }
}
