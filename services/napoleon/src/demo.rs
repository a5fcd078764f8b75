//! Demo data: realistic, synthetic tenants and organisational units. Idempotent: running it
//! again creates nothing and journals nothing.

use napoleon_db::core::{self, NewOrgUnit, NewTenant};
use napoleon_db::identity;
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_db::{Db, DbError};
use napoleon_devidp::{DevAgent, DevClient, DevIdpConfig};
use napoleon_kernel::{
    Email, OrgUnitCode, OrgUnitId, OrgUnitKind, ParseError, Role, Secret, TenantSlug,
};
use serde_json::json;

/// Where the demo's identity provider is mounted.
pub const DEV_IDP_PATH: &str = "/dev-idp";

/// The gateway's client id at the demo's identity provider.
pub const DEMO_CLIENT_ID: &str = "napoleon-demo";
/// How the login page and the operators' page name the built-in development provider: never
/// ProConnect's button or name, so nobody takes it for the real thing.
pub const DEMO_PROVIDER_LABEL: &str = "Démo (fournisseur d’identité intégré, hors production)";

/// A demo agent: who they are at the identity provider, and the grants the seed gives their
/// email (`tenant slug`, `unit kind`, `unit code`, role).
struct DemoAgent {
    email: &'static str,
    given_name: &'static str,
    usual_name: &'static str,
    acr: &'static str,
    grants: &'static [(&'static str, OrgUnitKind, &'static str, Role)],
    /// What the identity provider's page says of them.
    tenant_label: &'static str,
    unit_label: &'static str,
    role_label: &'static str,
}

const DEMO_AGENTS: &[DemoAgent] = &[
    DemoAgent {
        email: "claire.martin@interieur.gouv.fr",
        given_name: "Claire",
        usual_name: "Martin",
        acr: "eidas1",
        grants: &[(
            "interieur",
            OrgUnitKind::PrefectureDepartement,
            "69",
            Role::Instructeur,
        )],
        tenant_label: "Ministère de l'Intérieur",
        unit_label: "Préfecture du Rhône",
        role_label: "Instructrice",
    },
    DemoAgent {
        email: "paul.bernard@interieur.gouv.fr",
        given_name: "Paul",
        usual_name: "Bernard",
        acr: "eidas1",
        grants: &[(
            "interieur",
            OrgUnitKind::PrefectureDepartement,
            "69",
            Role::Redacteur,
        )],
        tenant_label: "Ministère de l'Intérieur",
        unit_label: "Préfecture du Rhône",
        role_label: "Rédacteur",
    },
    DemoAgent {
        email: "hugo.leroy@interieur.gouv.fr",
        given_name: "Hugo",
        usual_name: "Leroy",
        acr: "eidas1",
        grants: &[(
            "interieur",
            OrgUnitKind::PrefectureDepartement,
            "69",
            Role::Valideur,
        )],
        tenant_label: "Ministère de l'Intérieur",
        unit_label: "Préfecture du Rhône",
        role_label: "Valideur",
    },
    DemoAgent {
        email: "sophie.petit@interieur.gouv.fr",
        given_name: "Sophie",
        usual_name: "Petit",
        acr: "eidas1",
        grants: &[(
            "interieur",
            OrgUnitKind::Direction,
            "BCD",
            Role::Integrateur,
        )],
        tenant_label: "Ministère de l'Intérieur",
        unit_label: "Bureau central des distinctions",
        role_label: "Intégratrice",
    },
    DemoAgent {
        email: "anne.durand@interieur.gouv.fr",
        given_name: "Anne",
        usual_name: "Durand",
        acr: "eidas2",
        grants: &[(
            "interieur",
            OrgUnitKind::Ministere,
            "MI",
            Role::Administrateur,
        )],
        tenant_label: "Ministère de l'Intérieur",
        unit_label: "Ministère (tout le ministère)",
        role_label: "Administratrice ministérielle",
    },
    DemoAgent {
        email: "lucie.moreau@culture.gouv.fr",
        given_name: "Lucie",
        usual_name: "Moreau",
        acr: "eidas1",
        grants: &[("culture", OrgUnitKind::Direction, "BDH", Role::Instructeur)],
        tenant_label: "Ministère de la Culture",
        unit_label: "Bureau des distinctions honorifiques",
        role_label: "Instructrice",
    },
    DemoAgent {
        email: "emma.lefort@culture.gouv.fr",
        given_name: "Emma",
        usual_name: "Lefort",
        acr: "eidas1",
        grants: &[(
            "culture",
            OrgUnitKind::ServiceRegional,
            "84",
            Role::Redacteur,
        )],
        tenant_label: "Ministère de la Culture",
        unit_label: "DRAC Auvergne-Rhône-Alpes",
        role_label: "Rédactrice",
    },
    DemoAgent {
        email: "thomas.vidal@culture.gouv.fr",
        given_name: "Thomas",
        usual_name: "Vidal",
        acr: "eidas2",
        grants: &[(
            "culture",
            OrgUnitKind::Ministere,
            "MC",
            Role::Administrateur,
        )],
        tenant_label: "Ministère de la Culture",
        unit_label: "Ministère (tout le ministère)",
        role_label: "Administrateur ministériel",
    },
    DemoAgent {
        email: "marc.fournier@interieur.gouv.fr",
        given_name: "Marc",
        usual_name: "Fournier",
        acr: "eidas1",
        grants: &[
            ("interieur", OrgUnitKind::Ministere, "MI", Role::Auditeur),
            ("culture", OrgUnitKind::Ministere, "MC", Role::Auditeur),
        ],
        tenant_label: "Intérieur et Culture",
        unit_label: "Ministères",
        role_label: "Auditeur",
    },
    DemoAgent {
        email: "bruno.lambert@interieur.gouv.fr",
        given_name: "Bruno",
        usual_name: "Lambert",
        acr: "eidas2",
        grants: &[(
            "interieur",
            OrgUnitKind::Direction,
            "BCD",
            Role::ChefDeBureau,
        )],
        tenant_label: "Ministère de l'Intérieur",
        unit_label: "Bureau central des distinctions",
        role_label: "Chef de bureau",
    },
    DemoAgent {
        email: "chloe.garcia@interieur.gouv.fr",
        given_name: "Chloé",
        usual_name: "Garcia",
        acr: "eidas2",
        grants: &[("interieur", OrgUnitKind::Ministere, "MI", Role::Cabinet)],
        tenant_label: "Ministère de l'Intérieur",
        unit_label: "Ministère (tout le ministère)",
        role_label: "Cabinet du ministre",
    },
    DemoAgent {
        email: "pierre.fabre@interieur.gouv.fr",
        given_name: "Pierre",
        usual_name: "Fabre",
        acr: "eidas1",
        grants: &[(
            "interieur",
            OrgUnitKind::Ministere,
            "MI",
            Role::PresidentCommission,
        )],
        tenant_label: "Ministère de l'Intérieur",
        unit_label: "Ministère (tout le ministère)",
        role_label: "Président de commission",
    },
    DemoAgent {
        email: "julie.mercier@interieur.gouv.fr",
        given_name: "Julie",
        usual_name: "Mercier",
        acr: "eidas1",
        grants: &[(
            "interieur-formation",
            OrgUnitKind::Ministere,
            "MI",
            Role::Formateur,
        )],
        tenant_label: "Intérieur — bac à sable de formation",
        unit_label: "Ministère (formation)",
        role_label: "Formatrice",
    },
    DemoAgent {
        email: "denis.robin@interieur.gouv.fr",
        given_name: "Denis",
        usual_name: "Robin",
        acr: "eidas2",
        grants: &[(
            "interieur",
            OrgUnitKind::Ministere,
            "MI",
            Role::DelegueProtectionDonnees,
        )],
        tenant_label: "Ministère de l'Intérieur",
        unit_label: "Ministère (tout le ministère)",
        role_label: "Délégué à la protection des données",
    },
    DemoAgent {
        email: "sarah.blanc@interieur.gouv.fr",
        given_name: "Sarah",
        usual_name: "Blanc",
        acr: "eidas2",
        grants: &[(
            "interieur",
            OrgUnitKind::Ministere,
            "MI",
            Role::OfficierSecurite,
        )],
        tenant_label: "Ministère de l'Intérieur",
        unit_label: "Ministère (tout le ministère)",
        role_label: "Officière de sécurité",
    },
    DemoAgent {
        email: "rene.girard@exterieur.gouv.fr",
        given_name: "René",
        usual_name: "Girard",
        acr: "eidas1",
        grants: &[(
            "interieur",
            OrgUnitKind::PrefectureDepartement,
            "69",
            Role::RelecteurExterne,
        )],
        tenant_label: "Ministère de l'Intérieur",
        unit_label: "Préfecture du Rhône",
        role_label: "Relecteur externe",
    },
    DemoAgent {
        email: "olivier.garnier@numerique.gouv.fr",
        given_name: "Olivier",
        usual_name: "Garnier",
        acr: "eidas2",
        grants: &[],
        tenant_label: "Plateforme",
        unit_label: "Exploitation",
        role_label: "Opérateur de la plateforme",
    },
    DemoAgent {
        email: "nina.roux@exemple.gouv.fr",
        given_name: "Nina",
        usual_name: "Roux",
        acr: "eidas1",
        grants: &[],
        tenant_label: "Aucun ministère",
        unit_label: "—",
        role_label: "Aucun rôle (page « aucun accès »)",
    },
];

/// A demo agent's email and names, by the first name in their email (`anne`, `paul`…).
pub(crate) fn demo_person(first: &str) -> Option<(&'static str, &'static str, &'static str)> {
    DEMO_AGENTS
        .iter()
        .find(|a| a.email.split('.').next() == Some(first))
        .map(|a| (a.email, a.given_name, a.usual_name))
}

/// The demo's platform operator.
pub const DEMO_OPERATOR: &str = "olivier.garnier@numerique.gouv.fr";

/// 32 random bytes as hex (a client secret that lives as long as the demo process).
#[must_use]
pub fn random_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The demo's identity provider: every demo agent, one client (the gateway).
#[must_use]
pub fn dev_idp(public_url: &str, client_secret: &str) -> DevIdpConfig {
    let base = public_url.trim_end_matches('/');
    DevIdpConfig {
        issuer: format!("{base}{DEV_IDP_PATH}"),
        clients: vec![DevClient {
            client_id: DEMO_CLIENT_ID.to_owned(),
            client_secret: Secret::new(client_secret.to_owned()),
            redirect_uris: vec![format!("{base}/connexion/retour")],
            post_logout_redirect_uris: vec![format!("{base}/deconnexion/retour")],
        }],
        agents: DEMO_AGENTS
            .iter()
            .map(|a| DevAgent {
                sub: format!("demo-{}", a.email.split('@').next().unwrap_or(a.email)),
                email: a.email.to_owned(),
                given_name: a.given_name.to_owned(),
                usual_name: a.usual_name.to_owned(),
                uid: a.email.split('@').next().unwrap_or(a.email).to_owned(),
                siret: "11000201100044".to_owned(),
                idp_id: "demo-idp".to_owned(),
                organizational_unit: a.unit_label.to_owned(),
                belonging_population: "agent-public".to_owned(),
                acr: a.acr.to_owned(),
                tenant_label: a.tenant_label.to_owned(),
                unit_label: a.unit_label.to_owned(),
                role_label: a.role_label.to_owned(),
            })
            .collect(),
        signing_key_pem: None,
    }
}

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
    /// The catalogue files of the distinctions this tenant handles (national orders always).
    distinctions: &'static [&'static str],
}

/// What the Interior ministry and its préfectures handle.
const INTERIEUR_CATALOGUE: &[&str] = &[
    "lh.toml",
    "onm.toml",
    "mhrdc.toml",
    "mht.toml",
    "msi.toml",
    "acd.toml",
    "mhsp.toml",
    "mhpn.toml",
    "mjsea.toml",
];
/// What the Culture ministry handles.
const CULTURE_CATALOGUE: &[&str] = &["lh.toml", "onm.toml", "al.toml"];

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
            distinctions: INTERIEUR_CATALOGUE,
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
            distinctions: CULTURE_CATALOGUE,
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
            distinctions: INTERIEUR_CATALOGUE,
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
    /// The tenant's default policy or catalogue could not be seeded.
    #[error(transparent)]
    Provision(#[from] napoleon_gateway::provisioning::ProvisionError),
}

/// What seeding did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    /// Tenants created.
    pub tenants_created: usize,
    /// Units created.
    pub units_created: usize,
    /// Grants created.
    pub grants_created: usize,
}

const ACTOR: Actor = Actor::System("demo-seed");

/// Seeds the demo tenants, their units, their default authorization policy and the demo
/// agents' grants, through the application role, journaling what it creates in the same
/// transactions. The tenants trust `issuers` (the development provider's, and any configured
/// provider's) with e-mail grants, in addition to those they trusted already.
///
/// # Errors
/// [`SeedError`].
pub async fn seed(db: &Db, issuers: &[String]) -> Result<SeedReport, SeedError> {
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
            // The demo's ministries look up each other's proposals (docs/cross-ministry.md);
            // a sandbox never takes part.
            if !t.is_sandbox {
                napoleon_db::crossmatch::set_opt_in(&mut tx, ACTOR, true).await?;
            }
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
        let mut trusted = tenant.trusted_issuers.clone();
        let before = trusted.len();
        trusted.extend(
            issuers
                .iter()
                .filter(|i| !tenant.trusted_issuers.contains(i))
                .cloned(),
        );
        trusted.dedup();
        if trusted.len() != before {
            core::set_trust(&mut tx, &trusted, &tenant.trusted_idp_ids).await?;
            journal::append(
                &mut tx,
                ACTOR,
                Subject::Tenant(tenant.id),
                EventKind::TenantLoginChanged,
                json!({ "trusted_issuers": trusted, "trusted_idp_ids": tenant.trusted_idp_ids, "required_acr": tenant.required_acr }),
            )
            .await?;
        }
        napoleon_gateway::provisioning::seed_tenant_defaults(&mut tx, ACTOR, t.distinctions)
            .await?;
        let units = core::list_org_units(&mut tx).await?;
        for agent in DEMO_AGENTS {
            for (_, kind, code, role) in agent.grants.iter().filter(|g| g.0 == t.slug) {
                let Some(unit) = units
                    .iter()
                    .find(|u| u.kind == *kind && u.code.as_str() == *code)
                else {
                    continue;
                };
                let email = Email::parse(agent.email)?;
                let (membership, created) =
                    identity::grant(&mut tx, &email, unit.id, Some(*role), "system:demo-seed")
                        .await?;
                if created {
                    report.grants_created += 1;
                    journal::append(
                        &mut tx,
                        ACTOR,
                        Subject::Membership(membership),
                        EventKind::MembershipGranted,
                        json!({ "unit": unit.id, "role": role.as_str() }),
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
    }
    Ok(report)
}
