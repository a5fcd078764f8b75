use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a value could not be parsed. Messages are French: they reach agents and operators.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A tenant slug is not 2–40 characters of `a-z`, `0-9` and inner `-`.
    #[error(
        "identifiant de ministère invalide « {0} » : 2 à 40 caractères parmi a-z, 0-9 et « - » (pas en début ni en fin)"
    )]
    TenantSlug(String),
    /// An org-unit code is empty, too long or has characters outside `A-Z`, `0-9`, `-`.
    #[error(
        "code d'unité invalide « {0} » : 1 à 20 caractères parmi A-Z, 0-9 et « - » (ex. 69, 2A, R84)"
    )]
    OrgUnitCode(String),
    /// Unknown org-unit kind.
    #[error("type d'unité inconnu « {0} »")]
    OrgUnitKind(String),
    /// Unknown role.
    #[error("rôle inconnu « {0} »")]
    Role(String),
    /// Not an email address. The text is not kept: it may be personal data and error
    /// messages reach logs.
    #[error("adresse électronique invalide")]
    Email,
}

/// The short, stable, URL-safe name of a tenant, e.g. `interieur`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TenantSlug(String);

impl TenantSlug {
    /// Parses a slug: 2–40 chars of `a-z0-9-`, not starting or ending with `-`.
    ///
    /// # Errors
    /// [`ParseError::TenantSlug`] naming the rejected text.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let ok = (2..=40).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ParseError::TenantSlug(s.to_owned()))
        }
    }

    /// The slug text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for TenantSlug {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantSlug({})", self.0)
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kind of an organisational unit; the tree is ministère → directions and préfectures de
/// région → préfectures de département.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgUnitKind {
    /// The ministry itself: the root of a tenant's tree.
    Ministere,
    /// A central direction or bureau (e.g. the bureau central des distinctions).
    Direction,
    /// A préfecture de région (code: INSEE region code).
    PrefectureRegion,
    /// A préfecture de département (code: department number, e.g. `69`, `2A`).
    PrefectureDepartement,
    /// A regional service of a ministry other than a préfecture (e.g. a DRAC).
    ServiceRegional,
}

impl OrgUnitKind {
    /// Every kind, in tree order.
    pub const ALL: [Self; 5] = [
        Self::Ministere,
        Self::Direction,
        Self::PrefectureRegion,
        Self::PrefectureDepartement,
        Self::ServiceRegional,
    ];

    /// The storage name (also the serde name).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ministere => "ministere",
            Self::Direction => "direction",
            Self::PrefectureRegion => "prefecture_region",
            Self::PrefectureDepartement => "prefecture_departement",
            Self::ServiceRegional => "service_regional",
        }
    }

    /// The French label shown to agents.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Ministere => "Ministère",
            Self::Direction => "Direction ou bureau central",
            Self::PrefectureRegion => "Préfecture de région",
            Self::PrefectureDepartement => "Préfecture de département",
            Self::ServiceRegional => "Service régional",
        }
    }

    /// Parses the storage name.
    ///
    /// # Errors
    /// [`ParseError::OrgUnitKind`] for an unknown name.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| ParseError::OrgUnitKind(s.to_owned()))
    }
}

/// The official code of a unit where one exists (department number `69`, `2A`, `971`; INSEE
/// region code `84`), or a short internal code (`BCD`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct OrgUnitCode(String);

impl OrgUnitCode {
    /// Parses a code: 1–20 chars of `A-Z0-9-`.
    ///
    /// # Errors
    /// [`ParseError::OrgUnitCode`] naming the rejected text.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let ok = (1..=20).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ParseError::OrgUnitCode(s.to_owned()))
        }
    }

    /// The code text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for OrgUnitCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for OrgUnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrgUnitCode({})", self.0)
    }
}

impl fmt::Display for OrgUnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for good in ["interieur", "culture", "mi-bac-a-sable", "a1"] {
            assert!(TenantSlug::parse(good).is_ok(), "{good} should parse");
        }
        for bad in [
            "",
            "x",
            "Interieur",
            "-mi",
            "mi-",
            "mi_x",
            "intérieur",
            &"a".repeat(41),
        ] {
            assert_eq!(
                TenantSlug::parse(bad),
                Err(ParseError::TenantSlug(bad.to_owned())),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn unit_codes_accept_corsica_and_overseas() {
        for good in ["69", "2A", "971", "R84", "BCD"] {
            assert!(OrgUnitCode::parse(good).is_ok(), "{good} should parse");
        }
        for bad in ["", "2a", "69 ", &"9".repeat(21)] {
            assert!(OrgUnitCode::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn kinds_round_trip() {
        for k in OrgUnitKind::ALL {
            assert_eq!(OrgUnitKind::parse(k.as_str()), Ok(k));
        }
        assert!(OrgUnitKind::parse("mairie").is_err());
    }

    #[test]
    fn slug_deserialization_parses() {
        let ok: Result<TenantSlug, _> = serde_json::from_str("\"culture\"");
        assert!(ok.is_ok());
        let err: Result<TenantSlug, _> = serde_json::from_str("\"Culture\"");
        assert!(err.is_err());
    }
}
