//! tower-sessions' store over `core.sessions` (diesel-async; no maintained store matches
//! tower-sessions 0.15). The agent id is copied out of the data into its own column so every
//! session of an agent can be ended when a role is withdrawn. The table keeps a digest of each
//! session id, never the id itself: whoever reads the table (a backup, a replica) cannot
//! present a cookie from it.

use async_trait::async_trait;
use napoleon_db::{Db, sessions};
use napoleon_kernel::AgentId;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// Sessions in PostgreSQL.
#[derive(Clone, Debug)]
pub struct PgSessionStore {
    db: Db,
    idle: chrono::Duration,
}

impl PgSessionStore {
    /// A store using the application role's pool; a session ends after `idle` without a
    /// change (the gateway refreshes a stamp while the agent is active), on the process's
    /// clock.
    #[must_use]
    pub fn new(db: Db, idle: std::time::Duration) -> Self {
        Self {
            db,
            idle: chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::MAX),
        }
    }

    /// The row to write for `record`. Its expiry is the clock's time plus the idle lifetime,
    /// not the one tower-sessions computed from the system's time, so tests move the clock.
    fn write(&self, record: &Record) -> session_store::Result<sessions::SessionWrite> {
        // The stamp read with the session belongs to that request only.
        let data: std::collections::HashMap<&String, &serde_json::Value> = record
            .data
            .iter()
            .filter(|(key, _)| key.as_str() != STAMP_KEY)
            .collect();
        Ok(sessions::SessionWrite {
            id: stored_id(&record.id),
            agent: agent_of(record),
            data: serde_json::to_value(&data).map_err(backend)?,
            expires_at: self
                .db
                .clock()
                .now()
                .checked_add_signed(self.idle)
                .ok_or_else(|| backend("expiry out of range"))?,
        })
    }
}

/// What the table keeps of a session id: its SHA-256, in hex (the id is 128 random bits, so
/// no salt is needed for the digest to reveal nothing).
fn stored_id(id: &Id) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(id.to_string().as_bytes()))
}

/// The data key holding the authenticated agent's id.
pub(crate) const AGENT_KEY: &str = "agent_id";

/// The data key under which a loaded session carries the access stamp of its tenant, read
/// with it ([`ReadStamp`]); never written back.
pub(crate) const STAMP_KEY: &str = "napoleon_read_stamp";

/// A tenant's access stamp as read with the session, at this request.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(crate) struct ReadStamp {
    pub(crate) tenant: napoleon_kernel::TenantId,
    pub(crate) stamp: i64,
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn agent_of(record: &Record) -> Option<AgentId> {
    record
        .data
        .get(AGENT_KEY)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

#[async_trait]
impl SessionStore for PgSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut conn = self.db.platform().await.map_err(backend)?;
        // Ids are 128 random bits; a collision is astronomically rare, but never overwrite.
        while !sessions::create(&mut conn, &self.write(record)?)
            .await
            .map_err(backend)?
        {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let mut conn = self.db.platform().await.map_err(backend)?;
        sessions::save(&mut conn, &self.write(record)?, self.db.clock().now())
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let mut conn = self.db.platform().await.map_err(backend)?;
        let Some(stored) = sessions::load(&mut conn, &stored_id(id), self.db.clock().now())
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let mut data: std::collections::HashMap<String, serde_json::Value> =
            serde_json::from_value(stored.data).map_err(backend)?;
        data.remove(STAMP_KEY);
        if let Some((tenant, stamp)) = stored.tenant_stamp {
            data.insert(
                STAMP_KEY.to_owned(),
                serde_json::to_value(ReadStamp { tenant, stamp }).map_err(backend)?,
            );
        }
        let expiry_date =
            OffsetDateTime::from_unix_timestamp(stored.expires_at.timestamp()).map_err(backend)?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let mut conn = self.db.platform().await.map_err(backend)?;
        sessions::delete(&mut conn, &stored_id(id))
            .await
            .map_err(backend)
    }
}
