//! The tenant's access stamp (migration 000020): instances keep agents' contexts, units,
//! policies and catalogues under it, so it must move with every change of what they keep,
//! whoever makes the change, and a change made outside this instance applies at its next
//! request.

use napoleon_testkit::agents::{CLAIRE, PAUL};
use napoleon_testkit::{Browser, TestApp, count};

async fn stamp(admin: &mut diesel_async::AsyncPgConnection, tenant: &str) -> i64 {
    count(
        admin,
        &format!("SELECT access_stamp AS n FROM core.tenants WHERE slug = '{tenant}'"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stamp_moves_with_every_change_an_instance_keeps_and_only_its_tenants() {
    let live = TestApp::live().await;
    let mut admin = live.admin().await;
    let interieur = live.tenant_id("interieur").await;
    let row = |table: &str| {
        format!("SELECT * FROM {table} WHERE tenant_id = '{interieur}' ORDER BY 2 LIMIT 1")
    };
    // A row deleted and put back in one statement (`key`: its primary key's columns).
    let reinserted = |table: &str, key: &str| {
        format!(
            "WITH gone AS (DELETE FROM {table} WHERE ({key}) IN ({}) RETURNING *) \
             INSERT INTO {table} SELECT * FROM gone",
            row(table).replace('*', key)
        )
    };
    // Each change, as another instance or an operator's tool would make it (a superuser
    // here: the triggers, not the application, must move the stamp). A row deleted and
    // put back in one statement is two changes.
    let changes: Vec<(&str, String, i64)> = vec![
        (
            "the tenant's row",
            format!("UPDATE core.tenants SET required_acr = '{{eidas1}}' WHERE id = '{interieur}'"),
            1,
        ),
        (
            "a unit renamed",
            format!(
                "UPDATE core.org_units SET name = name || ' (renommée)' \
                 WHERE tenant_id = '{interieur}' AND code = '69'"
            ),
            1,
        ),
        (
            "a unit added",
            format!(
                "INSERT INTO core.org_units (tenant_id, id, parent_id, kind, code, name) \
                 SELECT tenant_id, gen_random_uuid(), id, 'prefecture_departement', '42', \
                        'Préfecture de la Loire' \
                   FROM core.org_units WHERE tenant_id = '{interieur}' AND code = '84'"
            ),
            1,
        ),
        (
            "a grant withdrawn and made again",
            reinserted("core.memberships", "tenant_id, id"),
            2,
        ),
        (
            "a grant's role changed",
            format!(
                "UPDATE core.memberships SET role = role WHERE (tenant_id, id) IN ({})",
                row("core.memberships").replace('*', "tenant_id, id")
            ),
            1,
        ),
        (
            "a policy rule removed and added back",
            reinserted("authz.policy_rules", "tenant_id, id"),
            2,
        ),
        (
            "the policy's version",
            format!(
                "UPDATE authz.policy_versions SET version = version + 1 \
                 WHERE tenant_id = '{interieur}'"
            ),
            1,
        ),
        (
            "a catalogue document changed",
            format!(
                "UPDATE catalogue.distinctions SET source = source || E'\\n' \
                 WHERE (tenant_id, file) IN ({})",
                row("catalogue.distinctions").replace('*', "tenant_id, file")
            ),
            1,
        ),
        (
            "a catalogue document removed and added back",
            reinserted("catalogue.distinctions", "tenant_id, file"),
            2,
        ),
    ];
    for (what, sql, moves) in changes {
        let (before, other_before) = (
            stamp(&mut admin, "interieur").await,
            stamp(&mut admin, "culture").await,
        );
        let changed = diesel_async::RunQueryDsl::execute(diesel::sql_query(&sql), &mut admin)
            .await
            .unwrap_or_else(|e| panic!("{what}: {sql}: {e}"));
        assert!(changed > 0, "{what}: nothing changed");
        assert_eq!(
            stamp(&mut admin, "interieur").await,
            before + moves,
            "{what} moves the stamp once per row changed"
        );
        assert_eq!(
            stamp(&mut admin, "culture").await,
            other_before,
            "{what}: another tenant's stamp stays"
        );
    }
    live.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_made_outside_this_instance_applies_at_the_next_request() {
    let live = TestApp::live().await;
    let mut admin = live.admin().await;
    let interieur = live.tenant_id("interieur").await;

    // Kept: Paul's and Claire's contexts, read by their first requests.
    let mut paul = Browser::new();
    live.login(&mut paul, PAUL).await;
    let mut claire = Browser::new();
    live.login(&mut claire, CLAIRE).await;
    let campaigns = live.url("/intake/api/v1/campaigns");
    assert_eq!(paul.get(&campaigns).await.status, 200);
    assert_eq!(paul.get(&campaigns).await.status, 200, "from what is kept");
    assert_eq!(
        claire.get(&live.url("/instruction/dossiers")).await.status,
        200
    );

    // Paul's roles withdrawn in the database (another instance, an operator's tool): his
    // next request is refused, though this instance kept his grants.
    let withdrawn = diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE core.memberships SET role = NULL WHERE tenant_id = '{interieur}' \
             AND email = 'paul.bernard@interieur.gouv.fr'"
        )),
        &mut admin,
    )
    .await
    .unwrap();
    assert!(withdrawn > 0);
    assert_eq!(paul.get(&campaigns).await.status, 403, "withdrawn at once");

    // The tenant's acr raised the same way: Claire's next request is sent to step up.
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE core.tenants SET required_acr = '{{eidas3}}' WHERE id = '{interieur}'"
        )),
        &mut admin,
    )
    .await
    .unwrap();
    let page = claire.get(&live.url("/instruction/dossiers")).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let location = page.location.clone().unwrap_or_default();
    assert!(
        location.starts_with("/authentification-renforcee"),
        "{location}"
    );
    live.finish().await;
}
