//! The PostgreSQL server the demo and the tests use: either a [`LocalCluster`] Napoléon runs
//! itself, or an existing server given by `DATABASE_URL` (an administrative URL: a superuser,
//! or a role with CREATEROLE and CREATEDB), on which Napoléon creates its two roles.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use diesel_async::{AsyncConnection, AsyncPgConnection};
use napoleon_kernel::Secret;
use serde::{Deserialize, Serialize};

use crate::cluster::{ClusterError, LocalCluster};
use crate::{DbError, roles};

/// A `postgres://user:password@host:port/database?params` URL, split so the role and the
/// database can be swapped.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl {
    scheme: String,
    hostport: String,
    query: String,
}

impl std::fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgUrl({}{})", self.scheme, self.hostport)
    }
}

impl PgUrl {
    /// Parses a URL; the user, password and database it names are dropped (see [`Self::with`]).
    ///
    /// # Errors
    /// A message naming what is missing (never echoing the URL, which holds a password).
    pub fn parse(url: &str) -> Result<(Self, String, String, String), String> {
        let (scheme, rest) = ["postgres://", "postgresql://"]
            .iter()
            .find_map(|s| url.strip_prefix(s).map(|r| (*s, r)))
            .ok_or("DATABASE_URL must start with postgres:// or postgresql://")?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hostport) = authority
            .rsplit_once('@')
            .ok_or("DATABASE_URL must name a user: postgres://user:password@host:port/database")?;
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        let (database, query) = path.split_once('?').unwrap_or((path, ""));
        let database = if database.is_empty() {
            "postgres"
        } else {
            database
        };
        Ok((
            Self {
                scheme: scheme.to_owned(),
                hostport: hostport.to_owned(),
                query: if query.is_empty() {
                    String::new()
                } else {
                    format!("?{query}")
                },
            },
            user.to_owned(),
            password.to_owned(),
            database.to_owned(),
        ))
    }

    /// For `127.0.0.1:<port>` without parameters.
    #[must_use]
    pub fn local(port: u16) -> Self {
        Self {
            scheme: "postgres://".to_owned(),
            hostport: format!("127.0.0.1:{port}"),
            query: String::new(),
        }
    }

    /// The URL of `user` with `password` on `database`. Passwords Napoléon generates are hex,
    /// so they need no percent-encoding; a given admin password is kept as it was written.
    #[must_use]
    pub fn with(&self, user: &str, password: &str, database: &str) -> Secret<String> {
        Secret::new(format!(
            "{}{user}:{password}@{}/{database}{}",
            self.scheme, self.hostport, self.query
        ))
    }
}

/// Role passwords Napoléon generated for an external server, kept in the state directory.
#[derive(Serialize, Deserialize)]
struct RolePasswords {
    owner_password: String,
    app_password: String,
}

/// An existing server given by an administrative URL.
pub struct ExternalServer {
    url: PgUrl,
    admin_user: String,
    admin_password: String,
    passwords: RolePasswords,
}

impl std::fmt::Debug for ExternalServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalServer")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl ExternalServer {
    /// Connects with `admin_url`, and creates (or re-passwords) the owner and application
    /// roles with passwords kept in `state_dir/roles.json` (mode 0600).
    ///
    /// # Errors
    /// [`ClusterError`] when the URL, the directory or the provisioning fails.
    pub async fn connect(
        admin_url: &Secret<String>,
        state_dir: &Path,
    ) -> Result<Self, ClusterError> {
        let (url, admin_user, admin_password, _database) = PgUrl::parse(admin_url.expose())
            .map_err(|detail| ClusterError::Command {
                command: "DATABASE_URL".to_owned(),
                detail,
            })?;
        let io = |source| ClusterError::Io {
            path: state_dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(state_dir).map_err(io)?;
        let path = state_dir.join("roles.json");
        let passwords = match std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
        {
            Some(p) => p,
            None => {
                let p = RolePasswords {
                    owner_password: crate::cluster::random_secret(),
                    app_password: crate::cluster::random_secret(),
                };
                let text =
                    serde_json::to_string_pretty(&p).map_err(|e| io(std::io::Error::other(e)))?;
                std::fs::write(&path, text).map_err(io)?;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(io)?;
                p
            }
        };
        let server = Self {
            url,
            admin_user,
            admin_password,
            passwords,
        };
        let mut admin = server.connect_admin().await?;
        roles::provision_roles(
            &mut admin,
            &Secret::new(server.passwords.owner_password.clone()),
            &Secret::new(server.passwords.app_password.clone()),
        )
        .await?;
        Ok(server)
    }

    async fn connect_admin(&self) -> Result<AsyncPgConnection, ClusterError> {
        AsyncPgConnection::establish(self.admin_url("postgres").expose())
            .await
            .map_err(|e| ClusterError::Db(DbError::Connection(e)))
    }

    fn admin_url(&self, database: &str) -> Secret<String> {
        self.url
            .with(&self.admin_user, &self.admin_password, database)
    }
}

/// Where the demo or the tests get PostgreSQL from.
#[derive(Debug)]
pub enum PgServer {
    /// A cluster Napoléon runs itself.
    Local(LocalCluster),
    /// A server given by `DATABASE_URL`.
    External(ExternalServer),
}

impl PgServer {
    /// An administrative connection to the `postgres` database.
    ///
    /// # Errors
    /// [`ClusterError::Db`] when connecting fails.
    pub async fn connect_admin(&self) -> Result<AsyncPgConnection, ClusterError> {
        match self {
            Self::Local(c) => c.connect_admin().await,
            Self::External(s) => s.connect_admin().await,
        }
    }

    /// The administrative URL for `database`.
    #[must_use]
    pub fn admin_url(&self, database: &str) -> Secret<String> {
        match self {
            Self::Local(c) => c.admin_url(database),
            Self::External(s) => s.admin_url(database),
        }
    }

    /// The owner role's URL for `database`.
    #[must_use]
    pub fn owner_url(&self, database: &str) -> Secret<String> {
        match self {
            Self::Local(c) => c.owner_url(database),
            Self::External(s) => {
                s.url
                    .with(roles::OWNER_ROLE, &s.passwords.owner_password, database)
            }
        }
    }

    /// The application role's URL for `database`.
    #[must_use]
    pub fn app_url(&self, database: &str) -> Secret<String> {
        match self {
            Self::Local(c) => c.app_url(database),
            Self::External(s) => s
                .url
                .with(roles::APP_ROLE, &s.passwords.app_password, database),
        }
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn urls_swap_role_and_database() {
        let (url, user, password, db) =
            PgUrl::parse("postgresql://admin:p%40ss@db.example:5433/postgres?sslmode=require")
                .unwrap();
        assert_eq!(
            (user.as_str(), password.as_str(), db.as_str()),
            ("admin", "p%40ss", "postgres")
        );
        assert_eq!(
            url.with("napoleon_app", "abc", "napoleon").expose(),
            "postgresql://napoleon_app:abc@db.example:5433/napoleon?sslmode=require"
        );
        let (url, _, _, db) = PgUrl::parse("postgres://root@localhost").unwrap();
        assert_eq!(db, "postgres");
        assert_eq!(
            url.with("u", "p", "d").expose(),
            "postgres://u:p@localhost/d"
        );
        assert!(PgUrl::parse("mysql://x@y/z").is_err());
        assert!(PgUrl::parse("postgres://host:5432/db").is_err());
    }
}
