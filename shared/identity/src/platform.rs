//! The keys the platform signs with (package manifests, journal checkpoints): one current
//! Ed25519 key, named by its `kid`, configured as a secret; the public keys of the keys it
//! replaced, kept so that what they signed still verifies; all of them published as a JWK set
//! (RFC 8037) at `/.well-known/napoleon-keys.json`.
//!
//! Every signature is domain-separated by its [`Purpose`]: a manifest signature can never be
//! taken for a checkpoint's.

use std::collections::BTreeMap;

use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// What a platform signature vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A package's manifest (the files of an export, with their digests).
    PackageManifest,
    /// A journal checkpoint (a tenant's chain head at a time).
    JournalCheckpoint,
}

impl Purpose {
    const fn label(self) -> &'static str {
        match self {
            Self::PackageManifest => "napoleon/package-manifest/v1",
            Self::JournalCheckpoint => "napoleon/journal-checkpoint/v1",
        }
    }

    fn message(self, content: &[u8]) -> Vec<u8> {
        let mut message = Vec::with_capacity(self.label().len() + 1 + content.len());
        message.extend_from_slice(self.label().as_bytes());
        message.push(0);
        message.extend_from_slice(content);
        message
    }
}

/// A signature and the key that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformSignature {
    /// The signing key's id.
    pub kid: String,
    /// The signature, base64url.
    pub signature: String,
}

/// Why a key or a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A configured key does not read.
    #[error("invalid platform key: {0}")]
    Invalid(String),
    /// Signed by a key the platform does not know (or no longer keeps).
    #[error("unknown platform key {0}")]
    UnknownKey(String),
    /// The signature does not match.
    #[error("bad platform signature")]
    BadSignature,
}

/// A new key: its secret configuration (`kid:base64url(seed)`) and its public one
/// (`kid:base64url(public key)`). The same format serves the identity assertion's keys.
///
/// # Errors
/// [`KeyError::Invalid`] when the system has no randomness or `kid` is not a plain name.
pub fn generate(kid: &str) -> Result<(String, String), KeyError> {
    // Here the kid is only a name the operator typed: the message may repeat it.
    check_kid(kid).map_err(|_| {
        KeyError::Invalid(format!(
            "key id {kid:?}: 1 to 64 letters, digits, `-`, `_` or `.`"
        ))
    })?;
    let mut seed = [0_u8; 32];
    getrandom::fill(&mut seed).map_err(|e| KeyError::Invalid(e.to_string()))?;
    let key = SigningKey::from_bytes(&seed);
    Ok((
        format!("{kid}:{}", B64.encode(seed)),
        format!("{kid}:{}", B64.encode(key.verifying_key().as_bytes())),
    ))
}

fn check_kid(kid: &str) -> Result<(), KeyError> {
    let plain = !kid.is_empty()
        && kid.len() <= 64
        && kid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if plain {
        Ok(())
    } else {
        // The value is not repeated: in a swapped `key:kid`, it would be the secret.
        Err(KeyError::Invalid(
            "the key id (before the `:`) must be 1 to 64 letters, digits, `-`, `_` or `.`"
                .to_owned(),
        ))
    }
}

fn split(text: &str) -> Result<(&str, [u8; 32]), KeyError> {
    let (kid, key) = text
        .split_once(':')
        .ok_or_else(|| KeyError::Invalid("expected kid:base64url".to_owned()))?;
    check_kid(kid)?;
    let bytes = B64
        .decode(key.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| {
            // Nor is the kid: a seed put first passes for one.
            KeyError::Invalid(
                "the key (after the `:`) must be 32 bytes, base64url: kid:key".to_owned(),
            )
        })?;
    Ok((kid, bytes))
}

/// The platform's signing key and the public keys it verifies with.
#[derive(Clone)]
pub struct PlatformKeys {
    kid: String,
    key: SigningKey,
    /// Every public key, current first then previous, by kid.
    public: BTreeMap<String, VerifyingKey>,
}

impl std::fmt::Debug for PlatformKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformKeys")
            .field("kid", &self.kid)
            .field("verifies", &self.public.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl PlatformKeys {
    /// Reads the signing key (`kid:base64url(seed)`) and the previous keys' public parts
    /// (`kid:base64url(public key)`).
    ///
    /// # Errors
    /// [`KeyError::Invalid`] naming the key that does not read, or a kid given twice.
    pub fn from_config<'a>(
        signing: &str,
        previous: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, KeyError> {
        let (kid, seed) = split(signing)?;
        let key = SigningKey::from_bytes(&seed);
        let mut public = BTreeMap::new();
        public.insert(kid.to_owned(), key.verifying_key());
        for text in previous {
            let (old, bytes) = split(text)?;
            let verifying = VerifyingKey::from_bytes(&bytes)
                .map_err(|_| KeyError::Invalid(format!("{old}: not an Ed25519 public key")))?;
            if public.insert(old.to_owned(), verifying).is_some() {
                return Err(KeyError::Invalid(format!("key id {old} given twice")));
            }
        }
        Ok(Self {
            kid: kid.to_owned(),
            key,
            public,
        })
    }

    /// A key generated now (`serve all` and the demo when none is configured).
    ///
    /// # Errors
    /// [`KeyError::Invalid`] when the system has no randomness.
    pub fn ephemeral() -> Result<Self, KeyError> {
        let (signing, _) = generate("ephemeral")?;
        Self::from_config(&signing, [])
    }

    /// The current key's id.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Signs `content` for `purpose` with the current key.
    #[must_use]
    pub fn sign(&self, purpose: Purpose, content: &[u8]) -> PlatformSignature {
        let signature = self.key.sign(&purpose.message(content));
        PlatformSignature {
            kid: self.kid.clone(),
            signature: B64.encode(signature.to_bytes()),
        }
    }

    /// Verifies a signature by the current key or a previous one.
    ///
    /// # Errors
    /// [`KeyError::UnknownKey`] or [`KeyError::BadSignature`].
    pub fn verify(
        &self,
        purpose: Purpose,
        content: &[u8],
        signature: &PlatformSignature,
    ) -> Result<(), KeyError> {
        let key = self
            .public
            .get(&signature.kid)
            .ok_or_else(|| KeyError::UnknownKey(signature.kid.clone()))?;
        let bytes = B64
            .decode(&signature.signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .ok_or(KeyError::BadSignature)?;
        key.verify(&purpose.message(content), &Signature::from_bytes(&bytes))
            .map_err(|_| KeyError::BadSignature)
    }

    /// The public keys as a JWK set (RFC 8037: `OKP`, `Ed25519`), the current key first.
    #[must_use]
    pub fn jwks(&self) -> serde_json::Value {
        let jwk = |kid: &str, key: &VerifyingKey| {
            serde_json::json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": "EdDSA",
                "use": "sig",
                "kid": kid,
                "x": B64.encode(key.as_bytes()),
            })
        };
        let mut keys = vec![jwk(&self.kid, &self.key.verifying_key())];
        keys.extend(
            self.public
                .iter()
                .filter(|(kid, _)| **kid != self.kid)
                .map(|(kid, key)| jwk(kid, key)),
        );
        serde_json::json!({ "keys": keys })
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {

    #[test]
    fn a_swapped_or_broken_key_is_never_repeated_in_the_error() {
        let seed = "c2VjcmV0LXNlZWQtb2YtMzItYnl0ZXMtZXhhY3RseSE";
        for text in [
            format!("{seed}:2027-a"),
            format!("2027-a:{seed}x"),
            seed.to_owned(),
        ] {
            // Refused, and without the secret in the message.
            let e = super::PlatformKeys::from_config(&text, std::iter::empty())
                .err()
                .map(|e| e.to_string());
            assert!(
                e.as_ref().is_some_and(|e| !e.contains(seed)),
                "{text}: {e:?}"
            );
            let e = crate::AssertionSigner::from_config(&text)
                .err()
                .map(|e| e.to_string());
            assert!(
                e.as_ref().is_some_and(|e| !e.contains(seed)),
                "{text}: {e:?}"
            );
        }
    }
    use super::*;

    #[test]
    fn after_a_rotation_old_signatures_verify_and_new_ones_use_the_new_key() {
        let (old_secret, old_public) = generate("2026-a").unwrap();
        let (new_secret, _) = generate("2027-a").unwrap();
        let before = PlatformKeys::from_config(&old_secret, []).unwrap();
        let manifest = b"export.csv sha256=abc";
        let old_signature = before.sign(Purpose::PackageManifest, manifest);
        assert_eq!(old_signature.kid, "2026-a");

        let after = PlatformKeys::from_config(&new_secret, [old_public.as_str()]).unwrap();
        after
            .verify(Purpose::PackageManifest, manifest, &old_signature)
            .unwrap();
        let new_signature = after.sign(Purpose::PackageManifest, manifest);
        assert_eq!(new_signature.kid, "2027-a");
        after
            .verify(Purpose::PackageManifest, manifest, &new_signature)
            .unwrap();
        // The old key alone does not know the new one.
        assert_eq!(
            before.verify(Purpose::PackageManifest, manifest, &new_signature),
            Err(KeyError::UnknownKey("2027-a".to_owned()))
        );
        let published = after.jwks();
        let kids: Vec<&str> = published["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        assert_eq!(kids, ["2027-a", "2026-a"], "current first");
    }

    #[test]
    fn a_signature_holds_for_its_purpose_and_content_only() {
        let keys = PlatformKeys::ephemeral().unwrap();
        let signature = keys.sign(Purpose::JournalCheckpoint, b"seq=42");
        assert_eq!(
            keys.verify(Purpose::PackageManifest, b"seq=42", &signature),
            Err(KeyError::BadSignature)
        );
        assert_eq!(
            keys.verify(Purpose::JournalCheckpoint, b"seq=43", &signature),
            Err(KeyError::BadSignature)
        );
        keys.verify(Purpose::JournalCheckpoint, b"seq=42", &signature)
            .unwrap();
    }

    #[test]
    fn bad_configurations_are_named() {
        for bad in ["", "nokey", "kid:short", "bad kid:AAAA"] {
            assert!(PlatformKeys::from_config(bad, []).is_err(), "{bad}");
        }
        let (secret, public) = generate("k").unwrap();
        assert!(matches!(
            PlatformKeys::from_config(&secret, [public.as_str()]),
            Err(KeyError::Invalid(m)) if m.contains("twice")
        ));
        assert!(generate("a b").is_err());
    }
}
