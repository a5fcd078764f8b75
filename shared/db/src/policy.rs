//! Store for casbin policy rules (`authz.policy_rules`) and their version per tenant.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::{policy_rules, policy_versions};
use crate::{DbError, TenantConn, TenantRead};

/// One casbin rule: its type (`p` or `g`) and up to six values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PolicyRule {
    /// `p` (permission) or `g` (grouping).
    pub ptype: String,
    /// The values, trailing empty ones removed.
    pub values: Vec<String>,
}

type Row = (String, String, String, String, String, String, String);

fn to_rule((ptype, v0, v1, v2, v3, v4, v5): Row) -> PolicyRule {
    let mut values = vec![v0, v1, v2, v3, v4, v5];
    while values.last().is_some_and(String::is_empty) {
        values.pop();
    }
    PolicyRule { ptype, values }
}

fn value(rule: &PolicyRule, i: usize) -> &str {
    rule.values.get(i).map_or("", String::as_str)
}

/// Every rule of the tenant.
///
/// # Errors
/// [`DbError`].
pub async fn load(tx: &mut TenantConn) -> Result<Vec<PolicyRule>, DbError> {
    let tenant = tx.tenant().as_uuid();
    let rows: Vec<Row> = policy_rules::table
        .filter(policy_rules::tenant_id.eq(tenant))
        .select((
            policy_rules::ptype,
            policy_rules::v0,
            policy_rules::v1,
            policy_rules::v2,
            policy_rules::v3,
            policy_rules::v4,
            policy_rules::v5,
        ))
        .order((
            policy_rules::ptype,
            policy_rules::v0,
            policy_rules::v1,
            policy_rules::v2,
            policy_rules::v3,
        ))
        .load(tx.pg())
        .await?;
    Ok(rows.into_iter().map(to_rule).collect())
}

/// What a use case reads before deciding anything (`authz.access_state`, migration 000020):
/// the tenant's access stamp and policy version, and its units when the stamp is not the one
/// the caller already holds them for.
#[derive(Debug)]
pub struct AccessState {
    /// The tenant's access stamp (`None`: no such tenant).
    pub stamp: Option<i64>,
    /// The policy version (0 before any policy).
    pub version: i64,
    /// The tenant's units (as [`crate::core::list_org_units`]), read in the same snapshot as
    /// the stamp; `None` when the stamp is the one the caller knew.
    pub units: Option<Vec<crate::core::OrgUnit>>,
}

/// The JSON `authz.access_state` answers.
#[derive(serde::Deserialize)]
struct AccessStateJson {
    stamp: Option<i64>,
    version: i64,
    units: Option<Vec<crate::core::OrgUnitRow>>,
}

diesel::define_sql_function! {
    /// `authz.access_state` (migration 000020).
    #[sql_name = "authz.access_state"]
    fn access_state_fn(
        tenant: diesel::sql_types::Uuid,
        known: diesel::sql_types::Nullable<diesel::sql_types::BigInt>,
    ) -> diesel::sql_types::Json;
}

/// The transaction tenant's [`AccessState`], its units only when its stamp is not `known`:
/// one statement, read at every use case.
///
/// # Errors
/// [`DbError`].
pub async fn access_state(
    tx: &impl TenantRead,
    known: Option<i64>,
) -> Result<AccessState, DbError> {
    let tenant = tx.tenant().as_uuid();
    let json: serde_json::Value = diesel::select(access_state_fn(tenant, known))
        .get_result(&mut tx.shared())
        .await?;
    let AccessStateJson {
        stamp,
        version,
        units,
    } = serde_json::from_value(json).map_err(|_| DbError::corrupt("access_state", "<json>"))?;
    Ok(AccessState {
        stamp,
        version,
        units: units.map(crate::core::org_units_from_rows).transpose()?,
    })
}

async fn bump(tx: &mut TenantConn) -> Result<i64, DbError> {
    let tenant = tx.tenant().as_uuid();
    Ok(diesel::insert_into(policy_versions::table)
        .values((
            policy_versions::tenant_id.eq(tenant),
            policy_versions::version.eq(1_i64),
        ))
        .on_conflict(policy_versions::tenant_id)
        .do_update()
        .set(policy_versions::version.eq(policy_versions::version + 1))
        .returning(policy_versions::version)
        .get_result(tx.pg())
        .await?)
}

/// Adds rules (existing ones are kept); bumps the version if anything changed. Returns how
/// many were added.
///
/// # Errors
/// [`DbError`].
pub async fn add(tx: &mut TenantConn, rules: &[PolicyRule]) -> Result<usize, DbError> {
    let tenant = tx.tenant().as_uuid();
    let mut added = 0;
    for rule in rules {
        added += diesel::insert_into(policy_rules::table)
            .values((
                policy_rules::tenant_id.eq(tenant),
                policy_rules::id.eq(uuid::Uuid::now_v7()),
                policy_rules::ptype.eq(&rule.ptype),
                policy_rules::v0.eq(value(rule, 0)),
                policy_rules::v1.eq(value(rule, 1)),
                policy_rules::v2.eq(value(rule, 2)),
                policy_rules::v3.eq(value(rule, 3)),
                policy_rules::v4.eq(value(rule, 4)),
                policy_rules::v5.eq(value(rule, 5)),
            ))
            .on_conflict_do_nothing()
            .execute(tx.pg())
            .await?;
    }
    if added > 0 {
        bump(tx).await?;
    }
    Ok(added)
}

/// Removes rules; bumps the version if anything changed. Returns how many were removed.
///
/// # Errors
/// [`DbError`].
pub async fn remove(tx: &mut TenantConn, rules: &[PolicyRule]) -> Result<usize, DbError> {
    let tenant = tx.tenant().as_uuid();
    let mut removed = 0;
    for rule in rules {
        removed += diesel::delete(
            policy_rules::table
                .filter(policy_rules::tenant_id.eq(tenant))
                .filter(policy_rules::ptype.eq(&rule.ptype))
                .filter(policy_rules::v0.eq(value(rule, 0)))
                .filter(policy_rules::v1.eq(value(rule, 1)))
                .filter(policy_rules::v2.eq(value(rule, 2)))
                .filter(policy_rules::v3.eq(value(rule, 3)))
                .filter(policy_rules::v4.eq(value(rule, 4)))
                .filter(policy_rules::v5.eq(value(rule, 5))),
        )
        .execute(tx.pg())
        .await?;
    }
    if removed > 0 {
        bump(tx).await?;
    }
    Ok(removed)
}

/// Replaces the whole policy; bumps the version.
///
/// # Errors
/// [`DbError`].
pub async fn replace(tx: &mut TenantConn, rules: &[PolicyRule]) -> Result<(), DbError> {
    let tenant = tx.tenant().as_uuid();
    diesel::delete(policy_rules::table.filter(policy_rules::tenant_id.eq(tenant)))
        .execute(tx.pg())
        .await?;
    add(tx, rules).await?;
    bump(tx).await?;
    Ok(())
}
