//! Store for each tenant's catalogue (`catalogue.distinctions`): the TOML documents the rules
//! engine reads, one per distinction (plus `practices.toml`).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::distinctions;
use crate::{DbError, TenantConn};

/// The tenant's catalogue files, `(file, TOML)`, by file name.
///
/// # Errors
/// [`DbError`].
pub async fn load(tx: &mut TenantConn) -> Result<Vec<(String, String)>, DbError> {
    let tenant = tx.tenant().as_uuid();
    Ok(distinctions::table
        .filter(distinctions::tenant_id.eq(tenant))
        .order(distinctions::file)
        .select((distinctions::file, distinctions::source))
        .load(tx.pg())
        .await?)
}

/// Adds the files the tenant does not have yet (`origin` says where they come from, e.g.
/// `builtin`); keeps the ones it has, which it may have adjusted. Returns how many were added.
///
/// # Errors
/// [`DbError`].
pub async fn add_missing(
    tx: &mut TenantConn,
    files: &[(&str, &str)],
    origin: &str,
) -> Result<usize, DbError> {
    let tenant = tx.tenant().as_uuid();
    let mut added = 0;
    for (file, source) in files {
        added += diesel::insert_into(distinctions::table)
            .values((
                distinctions::tenant_id.eq(tenant),
                distinctions::file.eq(file),
                distinctions::source.eq(source),
                distinctions::origin.eq(origin),
            ))
            .on_conflict_do_nothing()
            .execute(tx.pg())
            .await?;
    }
    Ok(added)
}

/// Creates or replaces one catalogue file; returns true when it was created.
///
/// # Errors
/// [`DbError`].
pub async fn upsert(
    tx: &mut TenantConn,
    file: &str,
    source: &str,
    origin: &str,
) -> Result<bool, DbError> {
    let tenant = tx.tenant().as_uuid();
    let existed = distinctions::table
        .filter(distinctions::tenant_id.eq(tenant))
        .filter(distinctions::file.eq(file))
        .count()
        .get_result::<i64>(tx.pg())
        .await?
        > 0;
    diesel::insert_into(distinctions::table)
        .values((
            distinctions::tenant_id.eq(tenant),
            distinctions::file.eq(file),
            distinctions::source.eq(source),
            distinctions::origin.eq(origin),
        ))
        .on_conflict((distinctions::tenant_id, distinctions::file))
        .do_update()
        .set((
            distinctions::source.eq(source),
            distinctions::origin.eq(origin),
            distinctions::updated_at.eq(diesel::dsl::now),
        ))
        .execute(tx.pg())
        .await?;
    Ok(!existed)
}
