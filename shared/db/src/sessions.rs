//! Server-side sessions (`core.sessions`). The cookie carries only a random id; everything
//! else stays here. Sessions are platform data: one exists before any tenant is chosen.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use napoleon_kernel::{AgentId, TenantId};

use crate::DbError;
use crate::schema::{sessions, tenants};

/// A stored session.
#[derive(Debug, Clone)]
pub struct StoredSession {
    /// Its data (tower-sessions' record, as JSON).
    pub data: serde_json::Value,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// The access stamp of the tenant the session works in (`auth.tenant` in its data, the
    /// gateway's layout), read in the same statement: `None` before a tenant is chosen.
    pub tenant_stamp: Option<(TenantId, i64)>,
}

/// A session to write: what tower-sessions' record holds, with the agent copied out.
#[derive(Debug, Clone)]
pub struct SessionWrite {
    /// The cookie's random id.
    pub id: String,
    /// The authenticated agent, once there is one.
    pub agent: Option<AgentId>,
    /// Its data (tower-sessions' record, as JSON).
    pub data: serde_json::Value,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

diesel::define_sql_function! {
    /// `core.session_tenant` (migration 000021): the tenant a session's data names, or null.
    #[sql_name = "core.session_tenant"]
    fn session_tenant(data: diesel::sql_types::Jsonb) -> diesel::sql_types::Nullable<diesel::sql_types::Uuid>;
}

/// Loads an unexpired session.
///
/// # Errors
/// [`DbError`].
pub async fn load(
    conn: &mut AsyncPgConnection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<StoredSession>, DbError> {
    type Row = (
        serde_json::Value,
        DateTime<Utc>,
        Option<uuid::Uuid>,
        Option<i64>,
    );
    // The request's tenant stamp with its session: one round trip for both.
    let row: Option<Row> = sessions::table
        .left_join(tenants::table.on(tenants::id.nullable().eq(session_tenant(sessions::data))))
        .filter(sessions::id.eq(id))
        .filter(sessions::expires_at.gt(now))
        .select((
            sessions::data,
            sessions::expires_at,
            tenants::id.nullable(),
            tenants::access_stamp.nullable(),
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(data, expires_at, tenant, stamp)| StoredSession {
        data,
        expires_at,
        tenant_stamp: tenant
            .zip(stamp)
            .map(|(tenant, stamp)| (TenantId::from_uuid(tenant), stamp)),
    }))
}

/// Creates a session; false if the id is taken (the caller draws another).
///
/// # Errors
/// [`DbError`].
pub async fn create(conn: &mut AsyncPgConnection, s: &SessionWrite) -> Result<bool, DbError> {
    let inserted = diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(&s.id),
            sessions::agent_id.eq(s.agent.map(|a| a.as_uuid())),
            sessions::data.eq(&s.data),
            sessions::expires_at.eq(s.expires_at),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// Saves an existing, unexpired session. Update only: a session ended meanwhile (role
/// withdrawn, logout elsewhere, or expired while a request was in flight) stays ended even if
/// that request saves it afterwards.
///
/// # Errors
/// [`DbError`].
pub async fn save(
    conn: &mut AsyncPgConnection,
    s: &SessionWrite,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::update(
        sessions::table
            .filter(sessions::id.eq(&s.id))
            .filter(sessions::expires_at.gt(now)),
    )
    .set((
        sessions::agent_id.eq(s.agent.map(|a| a.as_uuid())),
        sessions::data.eq(&s.data),
        sessions::expires_at.eq(s.expires_at),
    ))
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a session.
///
/// # Errors
/// [`DbError`].
pub async fn delete(conn: &mut AsyncPgConnection, id: &str) -> Result<(), DbError> {
    diesel::delete(sessions::table.filter(sessions::id.eq(id)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes expired sessions; returns how many.
///
/// # Errors
/// [`DbError`].
pub async fn purge_expired(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    #[derive(diesel::QueryableByName)]
    struct Removed {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    // Through a function with the owner's rights: the worker may not read sessions.
    let removed: Removed = diesel::sql_query("SELECT core.purge_expired_sessions($1) AS n")
        .bind::<diesel::sql_types::Timestamptz, _>(now)
        .get_result(conn)
        .await?;
    Ok(usize::try_from(removed.n).unwrap_or(usize::MAX))
}
