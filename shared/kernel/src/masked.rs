use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A secret (password, key, database URL with credentials).
///
/// `Debug`, `Display` and `Serialize` all print a mask, so a secret can sit inside a config
/// struct that is logged or printed by `napoleon config check` without leaking. The value is
/// only reachable through [`Secret::expose`], which makes every use greppable.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

/// What every masked value prints instead of itself.
const MASK: &str = "********";

impl<T> Secret<T> {
    /// Wraps a secret value.
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself. Call only where the value is needed (to connect, to sign…).
    pub const fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl<T> Serialize for Secret<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(MASK)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Self)
    }
}

/// Personal data about a person (name, birth date, address…).
///
/// Unlike [`Secret`], personal data must reach pages and the JSON API, so it serializes
/// normally; but `Debug` and `Display` mask it, so `tracing` fields and error messages built
/// with `{:?}`/`{}` never carry it (architecture invariant 7).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Personal<T>(T);

impl<T> Personal<T> {
    /// Wraps a personal value.
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// The value, for rendering to its legitimate reader or for storage.
    pub const fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Personal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Personal(********)")
    }
}

impl<T> fmt::Display for Personal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl<T: Serialize> Serialize for Personal<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Personal<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print_or_serialize() {
        let s = Secret::new("postgres://app:hunter2@db/napoleon".to_owned());
        assert_eq!(format!("{s:?} {s}"), "******** ********");
        assert_eq!(
            serde_json::to_string(&s).ok().as_deref(),
            Some("\"********\"")
        );
        assert!(s.expose().contains("hunter2"));
    }

    #[test]
    fn personal_data_serializes_but_never_prints() {
        let p = Personal::new("Marie Curie".to_owned());
        assert!(!format!("{p:?} {p}").contains("Marie"));
        assert_eq!(
            serde_json::to_string(&p).ok().as_deref(),
            Some("\"Marie Curie\"")
        );
    }
}
