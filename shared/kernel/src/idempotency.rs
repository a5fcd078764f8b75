//! The key a client sends so that a create it retries (a lost answer, a double click) creates
//! one resource: the API's `Idempotency-Key` header, the pages' hidden field.

/// 8 to 100 characters among `A-Z a-z 0-9 _ -` (a UUID, a ULID, a random token).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// What a key looks like, in French (the refusal's message).
    pub const RULE: &'static str = "Clé d'idempotence : 8 à 100 caractères parmi lettres, chiffres, « _ » et « - » (par exemple un UUID).";

    /// Parses a key.
    ///
    /// # Errors
    /// A French sentence saying what a key looks like.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let text = text.trim();
        if (8..=100).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            Ok(Self(text.to_owned()))
        } else {
            Err(Self::RULE)
        }
    }

    /// A fresh random key, for a form about to be shown: sending it twice (a double click,
    /// back and send again) creates one resource.
    #[must_use]
    pub fn fresh() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    /// The key.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_bounded_tokens() {
        assert!(IdempotencyKey::parse("3f2b8c1e-0d4a-4c55-9a8e-1b2c3d4e5f60").is_ok());
        assert!(IdempotencyKey::parse("court").is_err());
        assert!(IdempotencyKey::parse(&"a".repeat(101)).is_err());
        assert!(IdempotencyKey::parse("clé avec espace").is_err());
        let fresh = IdempotencyKey::fresh();
        assert_eq!(IdempotencyKey::parse(fresh.as_str()), Ok(fresh));
    }
}
