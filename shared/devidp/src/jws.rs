//! ES256 (ECDSA P-256 with SHA-256) compact JWS, hand-built on `p256`.

use std::fmt;

use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use rand_core::OsRng;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::DevIdpError;
use crate::util::{b64url, b64url_decode};

/// The provider's signing key pair. `Debug` shows only the key id.
#[derive(Clone)]
pub(crate) struct JwsKey {
    signing: SigningKey,
    verifying: VerifyingKey,
    kid: String,
    jwk: Value,
}

impl fmt::Debug for JwsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwsKey").field("kid", &self.kid).finish()
    }
}

/// Generates a fresh P-256 private key as PKCS#8 PEM, to store and pass back as
/// [`crate::DevIdpConfig::signing_key_pem`] so that the key survives restarts.
pub fn generate_signing_key_pem() -> Result<String, DevIdpError> {
    let key = p256::SecretKey::random(&mut OsRng);
    key.to_pkcs8_pem(LineEnding::LF)
        .map(|pem| pem.as_str().to_owned())
        .map_err(|e| DevIdpError::SigningKey(e.to_string()))
}

impl JwsKey {
    pub(crate) fn new(pem: Option<&str>) -> Result<Self, DevIdpError> {
        let secret = match pem {
            Some(pem) => p256::SecretKey::from_pkcs8_pem(pem)
                .or_else(|_| p256::SecretKey::from_sec1_pem(pem))
                .map_err(|_| {
                    DevIdpError::SigningKey(
                        "not a P-256 private key in PKCS#8 or SEC1 PEM".to_owned(),
                    )
                })?,
            None => p256::SecretKey::random(&mut OsRng),
        };
        let signing = SigningKey::from(secret);
        let verifying = *signing.verifying_key();
        let point = verifying.to_encoded_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(DevIdpError::SigningKey("point at infinity".to_owned()));
        };
        let (x, y) = (b64url(x), b64url(y));
        // RFC 7638 thumbprint: required members, lexicographic order, no whitespace.
        let thumbprint = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = b64url(Sha256::digest(thumbprint.as_bytes()));
        let jwk = json!({
            "kty": "EC",
            "crv": "P-256",
            "x": x,
            "y": y,
            "kid": kid,
            "use": "sig",
            "alg": "ES256",
        });
        Ok(Self {
            signing,
            verifying,
            kid,
            jwk,
        })
    }

    /// The public key as a JWK.
    pub(crate) fn public_jwk(&self) -> &Value {
        &self.jwk
    }

    /// Signs `claims` as a compact JWS with header `{"alg":"ES256","typ":"JWT","kid":…}`.
    pub(crate) fn sign<T: Serialize>(&self, claims: &T) -> Result<String, serde_json::Error> {
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": self.kid});
        let signing_input = format!(
            "{}.{}",
            b64url(serde_json::to_vec(&header)?),
            b64url(serde_json::to_vec(claims)?)
        );
        let signature: Signature = self.signing.sign(signing_input.as_bytes());
        Ok(format!("{signing_input}.{}", b64url(signature.to_bytes())))
    }

    /// Verifies a compact JWS signed by this key and returns its claims.
    /// Expiry is not checked: callers decide (an expired `id_token_hint` is acceptable).
    pub(crate) fn verify(&self, jwt: &str) -> Option<Value> {
        let mut parts = jwt.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let header: Value = serde_json::from_slice(&b64url_decode(header)?).ok()?;
        if header.get("alg")? != "ES256" || header.get("kid")? != self.kid.as_str() {
            return None;
        }
        let signature = Signature::from_slice(&b64url_decode(signature)?).ok()?;
        let signing_input = &jwt[..jwt.len() - signature_len(jwt)];
        self.verifying
            .verify(signing_input.as_bytes(), &signature)
            .ok()?;
        serde_json::from_slice(&b64url_decode(payload)?).ok()
    }
}

/// Length of the `.signature` suffix of a compact JWS.
fn signature_len(jwt: &str) -> usize {
    jwt.rfind('.').map_or(0, |dot| jwt.len() - dot)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::expect_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn sign_verify_roundtrip_and_tamper() {
        let key = JwsKey::new(None).expect("key");
        let jwt = key.sign(&json!({"sub": "a"})).expect("sign");
        assert_eq!(key.verify(&jwt).expect("valid")["sub"], "a");
        let tampered = jwt.replacen('.', ".e30", 1);
        assert!(key.verify(&tampered).is_none());
        let other = JwsKey::new(None).expect("key");
        assert!(other.verify(&jwt).is_none());
    }

    #[test]
    fn pem_roundtrip_keeps_kid() {
        let pem = generate_signing_key_pem().expect("pem");
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let a = JwsKey::new(Some(&pem)).expect("key");
        let b = JwsKey::new(Some(&pem)).expect("key");
        assert_eq!(a.kid, b.kid);
        assert_eq!(a.public_jwk()["kty"], "EC");
        assert!(JwsKey::new(Some("not a pem")).is_err());
    }
}
