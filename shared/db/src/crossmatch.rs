//! The same person proposed by two ministries for the same promotion (issue 18, Build 7),
//! through the two functions of migration 000038 that alone touch the platform's table of
//! keyed hashes: a submitted dossier is recorded, and a dossier's page asks whether another
//! opted-in ministry proposed that person for that promotion — a boolean, nothing else.
//! Why, and the membership oracle that remains: `docs/cross-ministry.md`.

use diesel::sql_types::{Bool, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use napoleon_kernel::DossierId;

use crate::journal::{self, Actor, EventKind, Subject};
use crate::{DbError, TenantConn, TenantRead};

/// What a page says when another ministry proposed the same person for the same promotion:
/// the whole of what either side is told.
pub const ELSEWHERE: &str =
    "Une proposition pour la même personne existe dans un autre ministère pour cette promotion.";

diesel::define_sql_function! {
    /// `crossmatch.record` (migration 000038): the rows written, 0 or 1.
    #[sql_name = "crossmatch.record"]
    fn record_fn(dossier: SqlUuid) -> diesel::sql_types::Integer;
}

diesel::define_sql_function! {
    /// `crossmatch.elsewhere` (migration 000038).
    #[sql_name = "crossmatch.elsewhere"]
    fn elsewhere_fn(dossier: SqlUuid) -> diesel::sql_types::Nullable<Bool>;
}

/// Records the submitted dossier's person for its promotion, when the tenant opted in
/// (nothing otherwise), in the submission's transaction.
///
/// # Errors
/// [`DbError`].
pub async fn record(tx: &mut TenantConn, dossier: DossierId) -> Result<(), DbError> {
    let _written: i32 = diesel::select(record_fn(dossier.as_uuid()))
        .get_result(tx.pg())
        .await?;
    Ok(())
}

/// Whether another opted-in ministry proposed the dossier's person for the same promotion;
/// `None` when not asked (the tenant has not opted in, a draft, no birth date) or refused by
/// the rate limit. Each lookup asked is recorded by the platform.
///
/// # Errors
/// [`DbError`].
pub async fn elsewhere(tx: &impl TenantRead, dossier: DossierId) -> Result<Option<bool>, DbError> {
    Ok(diesel::select(elsewhere_fn(dossier.as_uuid()))
        .get_result(&mut tx.shared())
        .await?)
}

/// Opts the transaction's tenant in or out (the tools' role: `napoleon tenants
/// cross-ministry`, the demo), journaled as `actor`'s. Opting in records every dossier it
/// submitted; opting out removes them, so nobody is told of its proposals any more.
///
/// # Errors
/// [`DbError`].
pub async fn set_opt_in(tx: &mut TenantConn, actor: Actor, on: bool) -> Result<(), DbError> {
    let tenant = tx.tenant();
    diesel::sql_query("UPDATE core.tenants SET cross_ministry = $2 WHERE id = $1")
        .bind::<SqlUuid, _>(tenant.as_uuid())
        .bind::<Bool, _>(on)
        .execute(tx.pg())
        .await?;
    // In, every submitted dossier recorded (a ministry that asks can be asked about); out,
    // its rows removed.
    let follow = if on {
        "SELECT crossmatch.record_all()"
    } else {
        "SELECT crossmatch.forget()"
    };
    diesel::sql_query(follow).execute(tx.pg()).await?;
    journal::append(
        tx,
        actor,
        Subject::Tenant(tenant),
        EventKind::TenantCrossMinistrySet,
        serde_json::json!({ "on": on }),
    )
    .await?;
    Ok(())
}
