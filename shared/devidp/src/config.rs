//! Configuration of the development provider: its issuer, registered clients and demo agents.

use napoleon_kernel::Secret;
use serde::Deserialize;
use std::collections::HashSet;

use crate::DevIdpError;

/// Assurance levels (`acr`) this provider announces and issues, as ProConnect does.
pub const SUPPORTED_ACR_VALUES: [&str; 3] = ["eidas1", "eidas2", "eidas3"];

/// Scopes this provider grants (ProConnect's). Any other requested scope is ignored, `openid`
/// is mandatory.
pub use napoleon_kernel::proconnect::SCOPES as SUPPORTED_SCOPES;

/// Identity claims, each released under the scope of the same name.
pub(crate) use napoleon_kernel::proconnect::IDENTITY_CLAIMS;

/// Whole configuration of the development provider.
///
/// `Debug` never prints the signing key.
#[derive(Clone, Debug, Deserialize)]
pub struct DevIdpConfig {
    /// Issuer identifier, e.g. `http://127.0.0.1:8080/dev-idp`: scheme, host, port and the
    /// path at which the caller nests [`crate::router`]. No trailing slash, query or fragment.
    pub issuer: String,
    /// Registered relying parties.
    pub clients: Vec<DevClient>,
    /// Agents offered on the login page.
    pub agents: Vec<DevAgent>,
    /// PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`) PEM of a P-256 key.
    /// `None`: a fresh key pair is generated at start-up.
    #[serde(default)]
    pub signing_key_pem: Option<Secret<String>>,
}

/// A registered relying party (authenticates with `client_secret_post`).
///
/// `Debug` never prints the secret.
#[derive(Clone, Debug, Deserialize)]
pub struct DevClient {
    /// Client identifier.
    pub client_id: String,
    /// Client secret, sent in the token request body.
    pub client_secret: Secret<String>,
    /// Redirect URIs, compared exactly (trailing slash included), as ProConnect does.
    pub redirect_uris: Vec<String>,
    /// URIs accepted as `post_logout_redirect_uri` at the end-session endpoint.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
}

/// A demo agent, with the claims ProConnect would release for it.
#[derive(Clone, Debug, Deserialize)]
pub struct DevAgent {
    /// Subject identifier (`sub`).
    pub sub: String,
    /// `email` claim.
    pub email: String,
    /// `given_name` claim (first names, space separated).
    pub given_name: String,
    /// `usual_name` claim (usual family name).
    pub usual_name: String,
    /// `uid` claim (the agent's id at its identity provider).
    pub uid: String,
    /// `siret` claim (14 digits).
    pub siret: String,
    /// `idp_id` claim (which identity provider was used).
    pub idp_id: String,
    /// `organizational_unit` claim.
    pub organizational_unit: String,
    /// `belonging_population` claim (agent, prestataire, …).
    pub belonging_population: String,
    /// Assurance level reached when logging in as this agent: one of [`SUPPORTED_ACR_VALUES`].
    pub acr: String,
    /// Login page only: the ministry (tenant) shown next to the agent.
    pub tenant_label: String,
    /// Login page only: the unit shown next to the agent.
    pub unit_label: String,
    /// Login page only: the role shown next to the agent.
    pub role_label: String,
}

impl DevAgent {
    /// Value of an identity claim, by name.
    pub(crate) fn claim(&self, name: &str) -> Option<&str> {
        match name {
            "email" => Some(&self.email),
            "given_name" => Some(&self.given_name),
            "usual_name" => Some(&self.usual_name),
            "uid" => Some(&self.uid),
            "siret" => Some(&self.siret),
            "idp_id" => Some(&self.idp_id),
            "organizational_unit" => Some(&self.organizational_unit),
            "belonging_population" => Some(&self.belonging_population),
            _ => None,
        }
    }

    /// Authentication methods matching the agent's assurance level.
    pub(crate) fn amr(&self) -> Vec<&'static str> {
        match self.acr.as_str() {
            "eidas1" => vec!["pwd"],
            "eidas2" => vec!["pwd", "totp", "mfa"],
            _ => vec!["pop", "mfa"],
        }
    }
}

/// True when `uri` is an absolute `http`/`https` URI with a host and no fragment.
pub(crate) fn is_http_uri(uri: &str) -> bool {
    let rest = if let Some(rest) = uri.strip_prefix("https://") {
        rest
    } else if let Some(rest) = uri.strip_prefix("http://") {
        rest
    } else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    !authority.is_empty()
        && !authority.contains('@')
        && !uri.contains('#')
        && !uri.chars().any(|c| c.is_whitespace() || c.is_control())
}

impl DevIdpConfig {
    /// Checks the configuration; [`crate::router`] refuses to start on any error.
    pub fn validate(&self) -> Result<(), DevIdpError> {
        if !is_http_uri(&self.issuer) || self.issuer.contains('?') || self.issuer.ends_with('/') {
            return Err(DevIdpError::InvalidIssuer(self.issuer.clone()));
        }
        let mut client_ids = HashSet::new();
        for client in &self.clients {
            if client.client_id.is_empty() || !client_ids.insert(client.client_id.as_str()) {
                return Err(DevIdpError::InvalidClient {
                    client_id: client.client_id.clone(),
                    reason: "empty or duplicate client_id",
                });
            }
            if client.client_secret.expose().is_empty() {
                return Err(DevIdpError::InvalidClient {
                    client_id: client.client_id.clone(),
                    reason: "empty client_secret",
                });
            }
            if client.redirect_uris.is_empty() {
                return Err(DevIdpError::InvalidClient {
                    client_id: client.client_id.clone(),
                    reason: "no redirect URI",
                });
            }
            if let Some(uri) = client
                .redirect_uris
                .iter()
                .chain(&client.post_logout_redirect_uris)
                .find(|uri| !is_http_uri(uri))
            {
                return Err(DevIdpError::InvalidRedirectUri {
                    client_id: client.client_id.clone(),
                    uri: uri.clone(),
                });
            }
        }
        let mut subs = HashSet::new();
        for agent in &self.agents {
            if agent.sub.is_empty() || !subs.insert(agent.sub.as_str()) {
                return Err(DevIdpError::InvalidAgent {
                    sub: agent.sub.clone(),
                    reason: "empty or duplicate sub",
                });
            }
            if !SUPPORTED_ACR_VALUES.contains(&agent.acr.as_str()) {
                return Err(DevIdpError::InvalidAgent {
                    sub: agent.sub.clone(),
                    reason: "acr must be eidas1, eidas2 or eidas3",
                });
            }
        }
        Ok(())
    }

    pub(crate) fn client(&self, client_id: &str) -> Option<&DevClient> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    pub(crate) fn agent(&self, sub: &str) -> Option<&DevAgent> {
        self.agents.iter().find(|a| a.sub == sub)
    }
}

#[cfg(test)]
mod tests {
    use super::is_http_uri;

    #[test]
    fn http_uris() {
        assert!(is_http_uri("http://127.0.0.1:8080/dev-idp"));
        assert!(is_http_uri("https://napoleon.gouv.fr/auth/callback?x=1"));
        assert!(!is_http_uri("ftp://example.org"));
        assert!(!is_http_uri("http:///path"));
        assert!(!is_http_uri("https://example.org/cb#frag"));
        assert!(!is_http_uri("https://user@example.org/"));
        assert!(!is_http_uri("javascript:alert(1)"));
    }
}
