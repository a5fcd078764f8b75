//! Store for the `core` schema: tenants (platform data) and their organisational units.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use napoleon_kernel::{OrgUnitCode, OrgUnitId, OrgUnitKind, TenantId, TenantSlug};
use serde::Serialize;

use crate::schema::{org_units, tenants};
use crate::{DbError, TenantConn};

/// A tenant: one ministry, or a training sandbox.
#[derive(Debug, Clone, Serialize)]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// Its short name in URLs and commands.
    pub slug: TenantSlug,
    /// Its official name, e.g. « Ministère de l'Intérieur ».
    pub name: String,
    /// A training sandbox: no real dossier, freely reset.
    pub is_sandbox: bool,
    /// Authentication levels (`acr`) a login must reach to work in this tenant; empty: any.
    pub required_acr: Vec<String>,
    /// The providers (issuer URLs) through which a grant made to an e-mail may be claimed and
    /// an admission rule admits; empty: none.
    pub trusted_issuers: Vec<String>,
    /// When not empty, the ProConnect idps (`idp_id`) those claims must also come through.
    pub trusted_idp_ids: Vec<String>,
}

#[derive(Queryable, serde::Deserialize)]
pub(crate) struct TenantRow {
    id: uuid::Uuid,
    slug: String,
    name: String,
    is_sandbox: bool,
    required_acr: Vec<String>,
    trusted_issuers: Vec<String>,
    trusted_idp_ids: Vec<String>,
}

impl TenantRow {
    pub(crate) fn into_tenant(self) -> Result<Tenant, DbError> {
        Ok(Tenant {
            id: TenantId::from_uuid(self.id),
            // The column has a CHECK with the same rule, so this only fails on a schema drift.
            slug: TenantSlug::parse(&self.slug).map_err(|e| {
                DbError::Query(diesel::result::Error::DeserializationError(e.into()))
            })?,
            name: self.name,
            is_sandbox: self.is_sandbox,
            required_acr: self.required_acr,
            trusted_issuers: self.trusted_issuers,
            trusted_idp_ids: self.trusted_idp_ids,
        })
    }
}

const TENANT_COLUMNS: (
    tenants::id,
    tenants::slug,
    tenants::name,
    tenants::is_sandbox,
    tenants::required_acr,
    tenants::trusted_issuers,
    tenants::trusted_idp_ids,
) = (
    tenants::id,
    tenants::slug,
    tenants::name,
    tenants::is_sandbox,
    tenants::required_acr,
    tenants::trusted_issuers,
    tenants::trusted_idp_ids,
);

/// The tenant with this id, if any.
///
/// # Errors
/// [`DbError`] when the query fails.
pub async fn tenant_by_id(
    conn: &mut AsyncPgConnection,
    id: TenantId,
) -> Result<Option<Tenant>, DbError> {
    let row: Option<TenantRow> = tenants::table
        .find(id.as_uuid())
        .select(TENANT_COLUMNS)
        .first(conn)
        .await
        .optional()?;
    row.map(TenantRow::into_tenant).transpose()
}

/// The tenant's access stamp (migration 000020): it moves whenever its row, units,
/// memberships, policy or catalogue change, so what an instance cached under one stamp is
/// still true while the stamp stays. One primary-key read, outside any transaction (the
/// table has no row-level security: a counter tells nothing). `None`: no such tenant.
///
/// # Errors
/// [`DbError`] when the query fails.
pub async fn access_stamp(
    conn: &mut AsyncPgConnection,
    id: TenantId,
) -> Result<Option<i64>, DbError> {
    Ok(tenants::table
        .find(id.as_uuid())
        .select(tenants::access_stamp)
        .first(conn)
        .await
        .optional()?)
}

/// Sets the authentication levels a tenant requires (empty: any).
///
/// # Errors
/// [`DbError`] when the update fails.
pub async fn set_required_acr(
    conn: &mut AsyncPgConnection,
    id: TenantId,
    acr: &[String],
) -> Result<(), DbError> {
    diesel::update(tenants::table.find(id.as_uuid()))
        .set(tenants::required_acr.eq(acr))
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets which providers (issuer URLs) and, when not empty, which ProConnect idps the
/// transaction's tenant trusts with e-mail grants and admission rules.
///
/// # Errors
/// [`DbError`] when the update fails.
pub async fn set_trust(
    tx: &mut TenantConn,
    issuers: &[String],
    idp_ids: &[String],
) -> Result<(), DbError> {
    let id = tx.tenant().as_uuid();
    diesel::update(tenants::table.find(id))
        .set((
            tenants::trusted_issuers.eq(issuers),
            tenants::trusted_idp_ids.eq(idp_ids),
        ))
        .execute(tx.pg())
        .await?;
    Ok(())
}

/// What a new tenant needs.
#[derive(Debug, Clone)]
pub struct NewTenant<'a> {
    /// Its short name.
    pub slug: &'a TenantSlug,
    /// Its official name.
    pub name: &'a str,
    /// Whether it is a training sandbox.
    pub is_sandbox: bool,
}

/// Every tenant, sandboxes last, then by name.
///
/// # Errors
/// [`DbError`] when the query fails.
pub async fn list_tenants(conn: &mut AsyncPgConnection) -> Result<Vec<Tenant>, DbError> {
    let rows: Vec<TenantRow> = tenants::table
        .order((tenants::is_sandbox, tenants::name))
        .select(TENANT_COLUMNS)
        .load(conn)
        .await?;
    rows.into_iter().map(TenantRow::into_tenant).collect()
}

/// The tenant with this slug, if any.
///
/// # Errors
/// [`DbError`] when the query fails.
pub async fn find_tenant(
    conn: &mut AsyncPgConnection,
    slug: &TenantSlug,
) -> Result<Option<Tenant>, DbError> {
    let row: Option<TenantRow> = tenants::table
        .filter(tenants::slug.eq(slug.as_str()))
        .select(TENANT_COLUMNS)
        .first(conn)
        .await
        .optional()?;
    row.map(TenantRow::into_tenant).transpose()
}

/// Creates the tenant unless one with this slug exists; returns it and whether it was created.
///
/// # Errors
/// [`DbError`] when a query fails.
pub async fn ensure_tenant(
    conn: &mut AsyncPgConnection,
    new: &NewTenant<'_>,
) -> Result<(Tenant, bool), DbError> {
    let inserted = diesel::insert_into(tenants::table)
        .values((
            tenants::id.eq(TenantId::new().as_uuid()),
            tenants::slug.eq(new.slug.as_str()),
            tenants::name.eq(new.name),
            tenants::is_sandbox.eq(new.is_sandbox),
        ))
        .on_conflict(tenants::slug)
        .do_nothing()
        .execute(conn)
        .await?;
    let tenant = find_tenant(conn, new.slug)
        .await?
        .ok_or(DbError::Query(diesel::result::Error::NotFound))?;
    Ok((tenant, inserted == 1))
}

/// Creates the tenant of `tx` (its id is the transaction's) in that same transaction, so that
/// the tenant and everything it starts with (root unit, policy, catalogue, first
/// administrator) exist together or not at all; `None` when the slug is taken.
///
/// # Errors
/// [`DbError`] when a query fails.
pub async fn create_tenant_in(
    tx: &mut crate::TenantConn,
    new: &NewTenant<'_>,
) -> Result<Option<Tenant>, DbError> {
    let id = tx.tenant();
    let inserted = diesel::insert_into(tenants::table)
        .values((
            tenants::id.eq(id.as_uuid()),
            tenants::slug.eq(new.slug.as_str()),
            tenants::name.eq(new.name),
            tenants::is_sandbox.eq(new.is_sandbox),
        ))
        .on_conflict(tenants::slug)
        .do_nothing()
        .execute(tx.pg())
        .await?;
    if inserted == 0 {
        return Ok(None);
    }
    find_tenant(tx.pg(), new.slug).await
}

/// An organisational unit of a tenant.
#[derive(Debug, Clone, Serialize)]
pub struct OrgUnit {
    /// Its id.
    pub id: OrgUnitId,
    /// Its parent (none for the ministry itself).
    pub parent_id: Option<OrgUnitId>,
    /// What kind of unit.
    pub kind: OrgUnitKind,
    /// Official code (department number, region code) or internal code.
    pub code: OrgUnitCode,
    /// Its name, e.g. « Préfecture du Rhône ».
    pub name: String,
}

pub(crate) type OrgUnitRow = (uuid::Uuid, Option<uuid::Uuid>, String, String, String);

const ORG_UNIT_COLUMNS: (
    org_units::id,
    org_units::parent_id,
    org_units::kind,
    org_units::code,
    org_units::name,
) = (
    org_units::id,
    org_units::parent_id,
    org_units::kind,
    org_units::code,
    org_units::name,
);

fn org_unit_from_row((id, parent, kind, code, name): OrgUnitRow) -> Result<OrgUnit, DbError> {
    let drift = |e: napoleon_kernel::ParseError| {
        DbError::Query(diesel::result::Error::DeserializationError(e.into()))
    };
    Ok(OrgUnit {
        id: OrgUnitId::from_uuid(id),
        parent_id: parent.map(OrgUnitId::from_uuid),
        kind: OrgUnitKind::parse(&kind).map_err(drift)?,
        code: OrgUnitCode::parse(&code).map_err(drift)?,
        name,
    })
}

/// What a new unit needs.
#[derive(Debug, Clone)]
pub struct NewOrgUnit<'a> {
    /// Its parent (none only for the ministry).
    pub parent_id: Option<OrgUnitId>,
    /// What kind of unit.
    pub kind: OrgUnitKind,
    /// Its code, unique per kind within the tenant.
    pub code: &'a OrgUnitCode,
    /// Its name.
    pub name: &'a str,
}

/// Every unit of the tenant, in tree order of kind then by code.
///
/// # Errors
/// [`DbError`] when the query fails.
pub async fn list_org_units(tx: &mut TenantConn) -> Result<Vec<OrgUnit>, DbError> {
    let tenant = tx.tenant().as_uuid();
    let rows: Vec<OrgUnitRow> = org_units::table
        .filter(org_units::tenant_id.eq(tenant))
        .order((org_units::kind, org_units::code))
        .select(ORG_UNIT_COLUMNS)
        .load(tx.pg())
        .await?;
    org_units_from_rows(rows)
}

/// Units from their rows (a query's, or the request-path functions' JSON).
pub(crate) fn org_units_from_rows(rows: Vec<OrgUnitRow>) -> Result<Vec<OrgUnit>, DbError> {
    rows.into_iter().map(org_unit_from_row).collect()
}

/// Creates the unit unless one of this kind and code exists; returns it and whether it was
/// created.
///
/// # Errors
/// [`DbError`] when a query fails.
pub async fn ensure_org_unit(
    tx: &mut TenantConn,
    new: &NewOrgUnit<'_>,
) -> Result<(OrgUnit, bool), DbError> {
    let tenant = tx.tenant().as_uuid();
    let inserted = diesel::insert_into(org_units::table)
        .values((
            org_units::tenant_id.eq(tenant),
            org_units::id.eq(OrgUnitId::new().as_uuid()),
            org_units::parent_id.eq(new.parent_id.map(|p| p.as_uuid())),
            org_units::kind.eq(new.kind.as_str()),
            org_units::code.eq(new.code.as_str()),
            org_units::name.eq(new.name),
        ))
        .on_conflict((org_units::tenant_id, org_units::kind, org_units::code))
        .do_nothing()
        .execute(tx.pg())
        .await?;
    let row: OrgUnitRow = org_units::table
        .filter(org_units::tenant_id.eq(tenant))
        .filter(org_units::kind.eq(new.kind.as_str()))
        .filter(org_units::code.eq(new.code.as_str()))
        .select(ORG_UNIT_COLUMNS)
        .first(tx.pg())
        .await?;
    Ok((org_unit_from_row(row)?, inserted == 1))
}

/// `roots` and every unit below them, from the tenant's units: the units a role held at one
/// of `roots` covers.
#[must_use]
pub fn subtree(units: &[OrgUnit], roots: &[OrgUnitId]) -> Vec<OrgUnitId> {
    let mut out: Vec<OrgUnitId> = Vec::with_capacity(units.len());
    for root in roots {
        if !out.contains(root) {
            out.push(*root);
        }
    }
    // Breadth-first: each unit's children are appended after it.
    let mut i = 0;
    while let Some(parent) = out.get(i).copied() {
        for u in units {
            if u.parent_id == Some(parent) && !out.contains(&u.id) {
                out.push(u.id);
            }
        }
        i += 1;
    }
    out
}
