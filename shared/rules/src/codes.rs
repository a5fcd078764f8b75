//! Validated domain values.
//!
//! Each value is parsed once at the boundary (JSON case, TOML catalogue) and
//! carried as a newtype with a private field afterwards, so the engine never
//! has to wonder whether a code is well formed.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a raw string was refused as a domain value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error(
        "code de distinction invalide « {0} » : 2 à 16 caractères, majuscules ASCII et chiffres, commençant par une lettre"
    )]
    Distinction(String),
    #[error(
        "code de grade ou d'échelon invalide « {0} » : 1 à 40 caractères, minuscules ASCII, chiffres et « _ », commençant par une lettre"
    )]
    Grade(String),
    #[error("code pays invalide « {0} » : deux lettres majuscules (ISO 3166-1 alpha-2)")]
    Country(String),
    #[error("référence juridique vide")]
    EmptyArticle,
    #[error(
        "code de pièce invalide « {0} » : 1 à 40 caractères, minuscules ASCII, chiffres et « _ », commençant par une lettre"
    )]
    Piece(String),
}

fn is_distinction_code(s: &str) -> bool {
    let mut chars = s.chars();
    (2..=16).contains(&s.len())
        && chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn is_grade_code(s: &str) -> bool {
    let mut chars = s.chars();
    (1..=40).contains(&s.len())
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident, $check:expr, $err:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Parses a raw string, refusing malformed values.
            pub fn parse(raw: &str) -> Result<Self, CodeError> {
                let check: fn(&str) -> bool = $check;
                if check(raw) {
                    Ok(Self(raw.to_owned()))
                } else {
                    let err: fn(String) -> CodeError = $err;
                    Err(err(raw.to_owned()))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_newtype!(
    /// Code of a distinction (`LH`, `ONM`, `MHRDC`…). Existence in a given
    /// catalogue is checked separately, since catalogues are per tenant.
    DistinctionCode,
    is_distinction_code,
    CodeError::Distinction
);

string_newtype!(
    /// Code of a grade, dignity or échelon (`chevalier`, `grand_or`…).
    GradeCode,
    is_grade_code,
    CodeError::Grade
);

string_newtype!(
    /// Code of a kind of piece a dossier attaches (`b2`, `etat_services`): what a stored
    /// piece says it is, and what a submission checks.
    PieceCode,
    is_grade_code,
    CodeError::Piece
);

string_newtype!(
    /// ISO 3166-1 alpha-2 nationality (`FR`).
    CountryCode,
    |s: &str| s.len() == 2 && s.chars().all(|c| c.is_ascii_uppercase()),
    CodeError::Country
);

string_newtype!(
    /// A legal reference as it must be displayed (`R19`, `décret n° 87-594`).
    Article,
    |s: &str| !s.trim().is_empty(),
    |_| CodeError::EmptyArticle
);

impl PieceCode {
    /// The mémoire de proposition the platform establishes (R29): a piece no catalogue may
    /// declare and no agent may upload.
    pub fn memoire() -> Self {
        Self("memoire".to_owned())
    }

    /// Whether this is the platform's own mémoire.
    pub fn is_memoire(&self) -> bool {
        self.0 == "memoire"
    }
}

impl CountryCode {
    pub fn is_france(&self) -> bool {
        self.0 == "FR"
    }
}

impl DistinctionCode {
    /// Lower-case form used as the first segment of reason codes.
    pub fn code_prefix(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl Article {
    /// Placeholder for engine notes that rest on no article.
    pub(crate) fn none() -> Self {
        Self("—".to_owned())
    }

    /// « art. R19 » for a code article, the reference as is for a decree or
    /// a practice, so that messages read naturally in French.
    pub fn cite(&self) -> String {
        let mut chars = self.0.chars();
        let looks_like_article = matches!(chars.next(), Some('R' | 'D' | 'L' | 'A'))
            && chars.next().is_some_and(|c| c.is_ascii_digit());
        if looks_like_article {
            format!("art. {}", self.0)
        } else {
            self.0.clone()
        }
    }
}

/// Stable dotted identifier of a reason (`onm.services.min_years`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ReasonCode(String);

impl ReasonCode {
    /// Codes are built by the engine from trusted parts only.
    pub(crate) fn new(parts: &[&str]) -> Self {
        Self(parts.join("."))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn distinction_codes() {
        assert!(DistinctionCode::parse("LH").is_ok());
        assert!(DistinctionCode::parse("MJSEA").is_ok());
        assert!(DistinctionCode::parse("lh").is_err());
        assert!(DistinctionCode::parse("L").is_err());
        assert!(DistinctionCode::parse("1H").is_err());
        assert_eq!(DistinctionCode::parse("ONM").unwrap().code_prefix(), "onm");
    }

    #[test]
    fn grade_codes() {
        assert!(GradeCode::parse("grand_officier").is_ok());
        assert!(GradeCode::parse("argent_2e_classe").is_ok());
        assert!(GradeCode::parse("Chevalier").is_err());
        assert!(GradeCode::parse("").is_err());
        assert!(GradeCode::parse("_x").is_err());
    }

    #[test]
    fn citations() {
        assert_eq!(Article::parse("R19").unwrap().cite(), "art. R19");
        assert_eq!(Article::parse("D141-2").unwrap().cite(), "art. D141-2");
        assert_eq!(
            Article::parse("décret n° 87-594, art. 4").unwrap().cite(),
            "décret n° 87-594, art. 4"
        );
        assert!(Article::parse("  ").is_err());
    }
}
