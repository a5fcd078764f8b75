//! Small database helpers tests share.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test harness: a failure fails the test"
)]

use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use napoleon_db::Db;
use napoleon_db::core::{self, NewOrgUnit, NewTenant};
use napoleon_kernel::{OrgUnitCode, OrgUnitKind, TenantId, TenantSlug};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
}

/// Runs a `SELECT … AS t` of one text value.
pub async fn text(conn: &mut AsyncPgConnection, sql: &str) -> String {
    diesel::sql_query(sql)
        .get_result::<Text>(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .t
}

/// Runs a `SELECT count(*) AS n …`.
pub async fn count(conn: &mut AsyncPgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

/// Creates (or finds) the tenant « Ministère de test » named `slug`, without units.
pub async fn tenant(db: &Db, slug: &str) -> TenantId {
    let slug = TenantSlug::parse(slug).unwrap();
    let mut conn = db.platform().await.unwrap();
    core::ensure_tenant(
        &mut conn,
        &NewTenant {
            slug: &slug,
            name: "Ministère de test",
            is_sandbox: false,
        },
    )
    .await
    .unwrap()
    .0
    .id
}

/// Creates a tenant with a ministry and `units` préfectures under it.
pub async fn tenant_with_units(db: &Db, slug: &str, units: usize) -> TenantId {
    let tenant = tenant(db, slug).await;
    let mut tx = db.tenant(tenant).await.unwrap();
    let root_code = OrgUnitCode::parse("MIN").unwrap();
    let (root, _) = core::ensure_org_unit(
        &mut tx,
        &NewOrgUnit {
            parent_id: None,
            kind: OrgUnitKind::Ministere,
            code: &root_code,
            name: "Ministère",
        },
    )
    .await
    .unwrap();
    for i in 0..units {
        let code = OrgUnitCode::parse(&format!("{}", 10 + i)).unwrap();
        core::ensure_org_unit(
            &mut tx,
            &NewOrgUnit {
                parent_id: Some(root.id),
                kind: OrgUnitKind::PrefectureDepartement,
                code: &code,
                name: "Préfecture",
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    tenant
}

/// Makes every tenant trust `issuer` with e-mail grants and admission rules, as an operator
/// would on /exploitation (`admin`: a superuser connection).
pub async fn trust_issuer(admin: &mut AsyncPgConnection, issuer: &str) {
    diesel::sql_query(
        "UPDATE core.tenants SET trusted_issuers = array_append(trusted_issuers, $1) \
         WHERE NOT $1 = ANY (trusted_issuers)",
    )
    .bind::<diesel::sql_types::Text, _>(issuer)
    .execute(admin)
    .await
    .unwrap();
}
