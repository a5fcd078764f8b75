//! The demo seed is idempotent and journals exactly what it creates.

use napoleon::demo::{SeedReport, seed};
use napoleon_db::core;
use napoleon_db::journal;
use napoleon_kernel::{OrgUnitKind, TenantSlug};
use napoleon_testkit::TestDb;

use napoleon_testkit::count;

#[tokio::test(flavor = "multi_thread")]
async fn seeding_twice_creates_and_journals_nothing_the_second_time() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();

    let first = seed(&db, &[]).await.unwrap();
    assert_eq!(
        first,
        SeedReport {
            tenants_created: 3,
            units_created: 16,
            grants_created: 17,
        }
    );
    let mut admin = TestDb::connect(&tdb.admin_url()).await.unwrap();
    let events = count(&mut admin, "SELECT count(*) AS n FROM journal.events").await;
    let units = count(&mut admin, "SELECT count(*) AS n FROM core.org_units").await;
    assert_eq!(
        events,
        19 + 17 + 3 + 3 + 2,
        "one event per tenant, unit and grant created, one per policy and catalogue seeded, \
         one per ministry opted in to the cross-ministry lookup (not the sandbox)"
    );

    let second = seed(&db, &[]).await.unwrap();
    assert_eq!(second, SeedReport::default());
    assert_eq!(
        count(&mut admin, "SELECT count(*) AS n FROM journal.events").await,
        events
    );
    assert_eq!(
        count(&mut admin, "SELECT count(*) AS n FROM core.org_units").await,
        units
    );
    assert_eq!(
        count(&mut admin, "SELECT count(*) AS n FROM core.tenants").await,
        3
    );
    tdb.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_interieur_tree_has_its_prefectures_under_their_regions() {
    let tdb = TestDb::new().await.unwrap();
    let db = tdb.app_db().unwrap();
    seed(&db, &[]).await.unwrap();
    let tenant = {
        let mut conn = db.platform().await.unwrap();
        core::find_tenant(&mut conn, &TenantSlug::parse("interieur").unwrap())
            .await
            .unwrap()
            .unwrap()
    };
    let mut tx = db.tenant(tenant.id).await.unwrap();
    let units = core::list_org_units(&mut tx).await.unwrap();
    let find = |code: &str, kind: OrgUnitKind| {
        units
            .iter()
            .find(|u| u.code.as_str() == code && u.kind == kind)
            .unwrap()
    };
    let rhone = find("69", OrgUnitKind::PrefectureDepartement);
    let ara = find("84", OrgUnitKind::PrefectureRegion);
    let ministry = find("MI", OrgUnitKind::Ministere);
    assert_eq!(rhone.name, "Préfecture du Rhône");
    assert_eq!(rhone.parent_id, Some(ara.id));
    assert_eq!(ara.parent_id, Some(ministry.id));
    assert_eq!(
        find("BCD", OrgUnitKind::Direction).parent_id,
        Some(ministry.id)
    );
    assert_eq!(
        units
            .iter()
            .filter(|u| u.kind == OrgUnitKind::PrefectureDepartement)
            .count(),
        3
    );
    let v = journal::verify(&mut tx, None).await.unwrap();
    assert_eq!(v.broken, None);
    assert_eq!(
        v.events_checked,
        9 + 1 + 1 + 12 + 1,
        "the tenant, its 8 units, its policy, its catalogue, its 12 grants, its opting in to \
         the cross-ministry lookup"
    );
    tx.rollback().await;
    tdb.finish().await;
}
