use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ParseError;

/// An email address, lowercased. Personal data: `Debug` and `Display` mask the local part.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Parses an address: one `@`, non-empty local part and a dotted domain, no spaces.
    ///
    /// # Errors
    /// [`ParseError::Email`] (without echoing the whole address into logs: callers show it
    /// only to its owner).
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim().to_lowercase();
        let ok = s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if ok {
            Ok(Self(s))
        } else {
            Err(ParseError::Email)
        }
    }

    /// The address, for storage and for its legitimate reader.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The domain (after `@`), e.g. for admission rules.
    #[must_use]
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, d)| d)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(|_| serde::de::Error::custom("adresse électronique invalide"))
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email(***@{})", self.domain())
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "***@{}", self.domain())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_parsed_lowercased_and_masked_in_logs() {
        let e = Email::parse("  Marie.Curie@Interieur.Gouv.FR ").unwrap_or_else(|_| unreachable!());
        assert_eq!(e.expose(), "marie.curie@interieur.gouv.fr");
        assert_eq!(e.domain(), "interieur.gouv.fr");
        assert_eq!(
            format!("{e} {e:?}"),
            "***@interieur.gouv.fr Email(***@interieur.gouv.fr)"
        );
        for bad in [
            "", "marie", "@x.fr", "a@b", "a@@b.fr", "a b@c.fr", "a@.fr", "a@fr.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
