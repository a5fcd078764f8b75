//! Demo data: realistic, synthetic tenants and organisational units. Idempotent: running it
//! again creates nothing and journals nothing.

use napoleon_db::core::{self, NewOrgUnit, NewTenant};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_db::{Db, DbError};
use napoleon_kernel::{OrgUnitCode, OrgUnitId, OrgUnitKind, ParseError, TenantSlug};
use serde_json::json;

/// One unit of the seed tree: kind, code, name, children.
struct UnitSeed {
    kind: OrgUnitKind,
    code: &'static str,
    name: &'static str,
    children: Vec<UnitSeed>,
}

fn unit(
    kind: OrgUnitKind,
    code: &'static str,
    name: &'static str,
    children: Vec<UnitSeed>,
) -> UnitSeed {
    UnitSeed {
        kind,
        code,
        name,
        children,
    }
}

struct TenantSeed {
    slug: &'static str,
    name: &'static str,
    is_sandbox: bool,
    root: UnitSeed,
}

fn prefectures(
    region: (&'static str, &'static str),
    department: (&'static str, &'static str),
) -> UnitSeed {
    use OrgUnitKind::{PrefectureDepartement, PrefectureRegion};
    unit(
        PrefectureRegion,
        region.0,
        region.1,
        vec![unit(
            PrefectureDepartement,
            department.0,
            department.1,
            vec![],
        )],
    )
}

fn seeds() -> Vec<TenantSeed> {
    use OrgUnitKind::{Direction, Ministere, ServiceRegional};
    vec![
        TenantSeed {
            slug: "interieur",
            name: "Ministère de l'Intérieur",
            is_sandbox: false,
            root: unit(
                Ministere,
                "MI",
                "Ministère de l'Intérieur",
                vec![
                    unit(Direction, "BCD", "Bureau central des distinctions", vec![]),
                    prefectures(
                        ("84", "Préfecture de la région Auvergne-Rhône-Alpes"),
                        ("69", "Préfecture du Rhône"),
                    ),
                    prefectures(
                        ("75", "Préfecture de la région Nouvelle-Aquitaine"),
                        ("33", "Préfecture de la Gironde"),
                    ),
                    prefectures(
                        ("32", "Préfecture de la région Hauts-de-France"),
                        ("59", "Préfecture du Nord"),
                    ),
                ],
            ),
        },
        TenantSeed {
            slug: "culture",
            name: "Ministère de la Culture",
            is_sandbox: false,
            root: unit(
                Ministere,
                "MC",
                "Ministère de la Culture",
                vec![
                    unit(
                        Direction,
                        "BDH",
                        "Bureau des distinctions honorifiques",
                        vec![],
                    ),
                    unit(
                        ServiceRegional,
                        "84",
                        "Direction régionale des affaires culturelles Auvergne-Rhône-Alpes",
                        vec![],
                    ),
                    unit(
                        ServiceRegional,
                        "11",
                        "Direction régionale des affaires culturelles d'Île-de-France",
                        vec![],
                    ),
                ],
            ),
        },
        TenantSeed {
            slug: "interieur-formation",
            name: "Ministère de l'Intérieur — bac à sable de formation",
            is_sandbox: true,
            root: unit(
                Ministere,
                "MI",
                "Ministère de l'Intérieur (formation)",
                vec![
                    unit(Direction, "BCD", "Bureau central des distinctions", vec![]),
                    prefectures(
                        ("84", "Préfecture de la région Auvergne-Rhône-Alpes"),
                        ("69", "Préfecture du Rhône"),
                    ),
                ],
            ),
        },
    ]
}

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// A seed value does not parse (a bug in this file; a test runs the seed).
    #[error("invalid seed value: {0}")]
    Value(#[from] ParseError),
    /// The database refused.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What seeding did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    /// Tenants created.
    pub tenants_created: usize,
    /// Units created.
    pub units_created: usize,
}

const ACTOR: Actor = Actor::System("demo-seed");

/// Seeds the demo tenants and their units through the application role, journaling what it
/// creates in the same transactions.
///
/// # Errors
/// [`SeedError`].
pub async fn seed(db: &Db) -> Result<SeedReport, SeedError> {
    let mut report = SeedReport::default();
    for t in seeds() {
        let slug = TenantSlug::parse(t.slug)?;
        let (tenant, created) = {
            let mut conn = db.platform().await?;
            core::ensure_tenant(
                &mut conn,
                &NewTenant {
                    slug: &slug,
                    name: t.name,
                    is_sandbox: t.is_sandbox,
                },
            )
            .await?
        };
        let mut tx = db.tenant(tenant.id).await?;
        if created {
            report.tenants_created += 1;
            journal::append(
                &mut tx,
                ACTOR,
                Subject::Tenant(tenant.id),
                EventKind::TenantCreated,
                json!({ "slug": t.slug, "name": t.name, "is_sandbox": t.is_sandbox }),
            )
            .await?;
        }
        // Depth-first, parents before children.
        let mut stack: Vec<(Option<OrgUnitId>, &UnitSeed)> = vec![(None, &t.root)];
        while let Some((parent_id, seed)) = stack.pop() {
            let code = OrgUnitCode::parse(seed.code)?;
            let (unit, created) = core::ensure_org_unit(
                &mut tx,
                &NewOrgUnit {
                    parent_id,
                    kind: seed.kind,
                    code: &code,
                    name: seed.name,
                },
            )
            .await?;
            if created {
                report.units_created += 1;
                journal::append(
                    &mut tx,
                    ACTOR,
                    Subject::OrgUnit(unit.id),
                    EventKind::OrgUnitCreated,
                    json!({ "kind": seed.kind.as_str(), "code": seed.code, "name": seed.name }),
                )
                .await?;
            }
            stack.extend(seed.children.iter().rev().map(|c| (Some(unit.id), c)));
        }
        tx.commit().await?;
    }
    Ok(report)
}
