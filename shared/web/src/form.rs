//! Bounded form parsing. A urlencoded body becomes [`FormFields`]: at most [`MAX_FIELDS`]
//! fields whose names are at most [`MAX_NAME_BYTES`] long, looked up by name in constant
//! time. Repeated groups (`career-0-from`, `career-0-to`, `career-1-from`…) are read with
//! [`FormFields::rows`]: an index is only a position among the rows actually posted, never a
//! size, and must be below the group's maximum; an unknown field, a non-numeric or negative
//! index, or too many rows is a French 422 naming the group. Nothing the client sends can
//! make the server allocate or loop beyond what it sent.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{FromRequest, Request};
use axum::http::header;

use crate::WebError;

/// Fields a form may carry. The largest form (a career of many periods) has a few hundred.
pub const MAX_FIELDS: usize = 2_000;

/// Longest field name accepted (`distinctions-19-received_on` is 27 bytes).
pub const MAX_NAME_BYTES: usize = 100;

/// A repeated group of a form: `{prefix}-{index}-{field}`.
#[derive(Debug, Clone, Copy)]
pub struct Group {
    /// The names' prefix, without the dash (`career`).
    pub prefix: &'static str,
    /// The fields of one row (`from`, `to`, `kind`, `position`).
    pub fields: &'static [&'static str],
    /// Rows accepted at most; indices go from 0 to `max_rows - 1`.
    pub max_rows: usize,
    /// The group's French name, for messages (`Carrière`).
    pub label: &'static str,
    /// What one row is, in the plural (`périodes`).
    pub rows_noun: &'static str,
}

impl Group {
    /// The refusal when a row is added beyond the maximum.
    #[must_use]
    pub fn too_many_rows(&self) -> String {
        format!(
            "{} : {} {} au plus. Supprimez ou regroupez des lignes.",
            self.label, self.max_rows, self.rows_noun
        )
    }
}

/// One row of a repeated group, in the order the indices were posted (ascending).
#[derive(Debug, Clone, Default)]
pub struct Row<'a> {
    values: HashMap<&'static str, &'a str>,
}

impl Row<'_> {
    /// The value of one of the group's fields (empty when it was not posted).
    #[must_use]
    pub fn get(&self, field: &str) -> &str {
        self.values.get(field).copied().unwrap_or("")
    }
}

/// A parsed urlencoded form. The first value of a repeated name wins, as browsers send one.
#[derive(Debug, Default)]
pub struct FormFields {
    pairs: Vec<(String, String)>,
    first: HashMap<String, usize>,
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> WebError {
    WebError::Unprocessable {
        code,
        message: message.into(),
    }
}

/// `2000` as French writes it: `2 000` (with a narrow no-break space).
#[must_use]
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(d);
    }
    out
}

/// A field name as it may be quoted in a message: short, and only printable characters.
fn quoted(name: &str) -> String {
    let shown: String = name.chars().filter(|c| !c.is_control()).take(40).collect();
    if shown.len() < name.len() {
        format!("{shown}…")
    } else {
        shown
    }
}

impl FormFields {
    /// Parses a urlencoded body.
    ///
    /// # Errors
    /// [`WebError::Unprocessable`] when the form has more than [`MAX_FIELDS`] fields or a
    /// name longer than [`MAX_NAME_BYTES`].
    pub fn parse(body: &[u8]) -> Result<Self, WebError> {
        let mut fields = Self::default();
        for (name, value) in form_urlencoded::parse(body) {
            if fields.pairs.len() == MAX_FIELDS {
                return Err(unprocessable(
                    "form.too_many_fields",
                    format!(
                        "Le formulaire envoyé contient plus de {} champs : il ne correspond à \
                         aucune page de Napoléon.",
                        thousands(MAX_FIELDS)
                    ),
                ));
            }
            if name.len() > MAX_NAME_BYTES {
                return Err(unprocessable(
                    "form.field_name",
                    format!(
                        "Le formulaire envoyé contient un nom de champ trop long (« {} »).",
                        quoted(&name)
                    ),
                ));
            }
            let index = fields.pairs.len();
            fields.first.entry(name.to_string()).or_insert(index);
            fields.pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(fields)
    }

    /// The first value sent for `name`, or `""`.
    #[must_use]
    pub fn get(&self, name: &str) -> &str {
        self.first
            .get(name)
            .and_then(|&i| self.pairs.get(i))
            .map_or("", |(_, v)| v.as_str())
    }

    /// A typed value (an id) chosen in the form: missing or malformed is invalid input naming
    /// the field, with `message` in French, never a made-up default.
    ///
    /// # Errors
    /// [`WebError::Invalid`] naming `name`.
    pub fn parsed<T: std::str::FromStr>(&self, name: &str, message: &str) -> Result<T, WebError> {
        self.get(name)
            .trim()
            .parse()
            .map_err(|_| WebError::Invalid(vec![crate::FieldError::new(name, message)]))
    }

    /// Whether `name` was sent at all.
    #[must_use]
    pub fn has(&self, name: &str) -> bool {
        self.first.contains_key(name)
    }

    /// Every (name, value) whose name starts with `prefix`, the prefix removed.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.pairs
            .iter()
            .filter_map(move |(k, v)| k.strip_prefix(prefix).map(|rest| (rest, v.as_str())))
    }

    /// The rows of a repeated group, by ascending index; gaps between indices are not rows.
    ///
    /// # Errors
    /// [`WebError::Unprocessable`] naming the group: a name `{prefix}-…` whose index is not
    /// a plain decimal below `max_rows`, or whose field is not one of the group's.
    pub fn rows(&self, group: &Group) -> Result<Vec<Row<'_>>, WebError> {
        let mut rows: BTreeMap<usize, Row<'_>> = BTreeMap::new();
        let invalid = |name: &str| {
            unprocessable(
                "form.row_field",
                format!(
                    "{} : le formulaire envoyé contient un champ inconnu (« {} »). Rechargez \
                     la page et saisissez à nouveau les lignes.",
                    group.label,
                    quoted(name)
                ),
            )
        };
        for (name, value) in &self.pairs {
            let Some(rest) = name
                .strip_prefix(group.prefix)
                .and_then(|r| r.strip_prefix('-'))
            else {
                continue;
            };
            let Some((index, field)) = rest.split_once('-') else {
                return Err(invalid(name));
            };
            // Plain decimal digits only: no sign, no spaces, no exponent, at most 4 digits.
            if index.is_empty() || index.len() > 4 || !index.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(name));
            }
            let Ok(position) = index.parse::<usize>() else {
                return Err(invalid(name));
            };
            let Some(&field) = group.fields.iter().find(|f| **f == field) else {
                return Err(invalid(name));
            };
            if position >= group.max_rows {
                return Err(unprocessable("form.too_many_rows", group.too_many_rows()));
            }
            // The first value of a repeated name wins, as in `get`.
            rows.entry(position)
                .or_default()
                .values
                .entry(field)
                .or_insert(value.as_str());
        }
        Ok(rows.into_values().collect())
    }
}

impl<S: Send + Sync> FromRequest<S> for FormFields {
    type Rejection = WebError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let urlencoded = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if !urlencoded {
            return Err(unprocessable(
                "form.content_type",
                "La requête n'est pas un formulaire (type application/x-www-form-urlencoded \
                 attendu).",
            ));
        }
        // The edge has bounded the body already (`limit_body`); this cap only matters where a
        // router is used without the edge.
        let bytes =
            crate::limits::read_body(request.into_body(), crate::BodyLimits::default().form)
                .await?;
        Self::parse(&bytes)
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    const CAREER: Group = Group {
        prefix: "career",
        fields: &["from", "to"],
        max_rows: 40,
        label: "Carrière",
        rows_noun: "périodes",
    };

    fn code(e: &WebError) -> &'static str {
        match e {
            WebError::Unprocessable { code, .. } => code,
            _ => "other",
        }
    }

    #[test]
    fn rows_are_positions_among_what_was_posted() {
        let f = FormFields::parse(b"career-3-from=a&career-0-to=b&career-3-to=c&x=1").unwrap();
        let rows = f.rows(&CAREER).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].get("from"), rows[0].get("to")), ("", "b"));
        assert_eq!((rows[1].get("from"), rows[1].get("to")), ("a", "c"));
        assert_eq!(f.get("x"), "1");
        assert_eq!(f.get("absent"), "");
    }

    #[test]
    fn hostile_indices_are_refused_naming_the_group() {
        for body in [
            "career-100000000000000-from=x",
            "career-1000000000000-to=x",
            "career--1-from=x",
            "career-x-from=x",
            "career-+1-from=x",
            "career-1e3-from=x",
            "career- 1-from=x",
            "career-1-unknown=x",
            "career-1=x",
            "career-40-from=x",
        ] {
            let f = FormFields::parse(body.as_bytes()).unwrap();
            let e = f.rows(&CAREER).unwrap_err();
            assert!(
                matches!(code(&e), "form.row_field" | "form.too_many_rows"),
                "{body}: {e:?}"
            );
            let WebError::Unprocessable { message, .. } = e else {
                unreachable!()
            };
            assert!(message.starts_with("Carrière : "), "{message}");
        }
    }

    #[test]
    fn field_count_and_name_length_are_bounded() {
        let many = "a=1&".repeat(MAX_FIELDS + 1);
        assert_eq!(
            code(&FormFields::parse(many.as_bytes()).unwrap_err()),
            "form.too_many_fields"
        );
        let long = format!("{}=1", "n".repeat(MAX_NAME_BYTES + 1));
        assert_eq!(
            code(&FormFields::parse(long.as_bytes()).unwrap_err()),
            "form.field_name"
        );
        assert!(FormFields::parse("a=1&".repeat(MAX_FIELDS).as_bytes()).is_ok());
    }

    #[test]
    fn numbers_are_written_the_french_way() {
        assert_eq!(thousands(2000), "2\u{202f}000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1\u{202f}234\u{202f}567");
    }

    #[test]
    fn first_value_wins_and_prefixes_list() {
        let f = FormFields::parse(b"a=1&a=2&contingent-chevalier=3&contingent-officier=4").unwrap();
        assert_eq!(f.get("a"), "1");
        assert!(f.has("a") && !f.has("b"));
        let c: Vec<_> = f.with_prefix("contingent-").collect();
        assert_eq!(c, vec![("chevalier", "3"), ("officier", "4")]);
    }
}
