//! Saved searches (`instruction.saved_views`), on the caller's tenant transaction.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use napoleon_db::{DbError, TenantConn};
use napoleon_kernel::{AgentId, OrgUnitId, SavedViewId};

diesel::table! {
    instruction.saved_views (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        agent_id -> Uuid,
        unit_id -> Nullable<Uuid>,
        name -> Text,
        query -> Jsonb,
        created_at -> Timestamptz,
    }
}

/// A saved search.
pub(crate) struct SavedView {
    pub(crate) id: SavedViewId,
    pub(crate) agent: AgentId,
    pub(crate) unit: Option<OrgUnitId>,
    pub(crate) name: String,
    pub(crate) query: serde_json::Value,
}

type Row = (
    uuid::Uuid,
    uuid::Uuid,
    Option<uuid::Uuid>,
    String,
    serde_json::Value,
);

fn view((id, agent, unit, name, query): Row) -> SavedView {
    SavedView {
        id: SavedViewId::from_uuid(id),
        agent: AgentId::from_uuid(agent),
        unit: unit.map(OrgUnitId::from_uuid),
        name,
        query,
    }
}

/// The agent's own views (at most their 50), then those others shared with one of `units`
/// (at most 150), each by name.
pub(crate) async fn visible(
    tx: &mut TenantConn,
    agent: AgentId,
    units: &[OrgUnitId],
) -> Result<Vec<SavedView>, DbError> {
    let units: Vec<uuid::Uuid> = units.iter().map(OrgUnitId::as_uuid).collect();
    let columns = (
        saved_views::id,
        saved_views::agent_id,
        saved_views::unit_id,
        saved_views::name,
        saved_views::query,
    );
    let own: Vec<Row> = saved_views::table
        .filter(saved_views::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(saved_views::agent_id.eq(agent.as_uuid()))
        .order((saved_views::name.asc(), saved_views::id.asc()))
        .limit(50)
        .select(columns)
        .load(tx.pg())
        .await?;
    let shared: Vec<Row> = saved_views::table
        .filter(saved_views::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(saved_views::agent_id.ne(agent.as_uuid()))
        .filter(saved_views::unit_id.eq_any(units))
        .order((saved_views::name.asc(), saved_views::id.asc()))
        .limit(150)
        .select(columns)
        .load(tx.pg())
        .await?;
    Ok(own.into_iter().chain(shared).map(view).collect())
}

/// Serialises the agent's saves until the transaction ends (the count of their views and
/// the insert agree).
pub(crate) async fn lock_agent(tx: &mut TenantConn, agent: AgentId) -> Result<(), DbError> {
    diesel::sql_query(
        "SELECT pg_advisory_xact_lock(hashtextextended('instruction.saved_views:' || $1::text, 0))",
    )
    .bind::<diesel::sql_types::Uuid, _>(agent.as_uuid())
    .execute(tx.pg())
    .await?;
    Ok(())
}

/// How many views the agent saved.
pub(crate) async fn count_of(tx: &mut TenantConn, agent: AgentId) -> Result<i64, DbError> {
    Ok(saved_views::table
        .filter(saved_views::tenant_id.eq(tx.tenant().as_uuid()))
        .filter(saved_views::agent_id.eq(agent.as_uuid()))
        .count()
        .get_result(tx.pg())
        .await?)
}

/// Saves a view; `false` when the agent already has one of that name.
pub(crate) async fn insert(tx: &mut TenantConn, new: &SavedView) -> Result<bool, DbError> {
    let inserted = diesel::insert_into(saved_views::table)
        .values((
            saved_views::tenant_id.eq(tx.tenant().as_uuid()),
            saved_views::id.eq(new.id.as_uuid()),
            saved_views::agent_id.eq(new.agent.as_uuid()),
            saved_views::unit_id.eq(new.unit.map(|u| u.as_uuid())),
            saved_views::name.eq(&new.name),
            saved_views::query.eq(&new.query),
        ))
        .on_conflict((
            saved_views::tenant_id,
            saved_views::agent_id,
            saved_views::name,
        ))
        .do_nothing()
        .execute(tx.pg())
        .await?;
    Ok(inserted == 1)
}

/// Deletes the agent's view `id`; whether there was one.
pub(crate) async fn delete(
    tx: &mut TenantConn,
    agent: AgentId,
    id: SavedViewId,
) -> Result<Option<String>, DbError> {
    let name: Option<String> = diesel::delete(
        saved_views::table
            .filter(saved_views::tenant_id.eq(tx.tenant().as_uuid()))
            .filter(saved_views::id.eq(id.as_uuid()))
            .filter(saved_views::agent_id.eq(agent.as_uuid())),
    )
    .returning(saved_views::name)
    .get_result(tx.pg())
    .await
    .optional()?;
    Ok(name)
}
