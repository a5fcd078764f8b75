//! The registry page: every award, one captioned table per distinction and grade.

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use napoleon_identity::Identity;
use napoleon_rules::fr_date;
use napoleon_web::{WebContext, WebResult};
use serde::Serialize;

use super::plural;
use crate::domain::{self, Registry};

#[derive(Serialize)]
struct RegistryRowView {
    name: String,
    decree: String,
    jo_reference: String,
    /// « 14/07/2020 », or `None`: « en attente ».
    reception: Option<String>,
}

#[derive(Serialize)]
struct GradeView {
    caption: String,
    rows: Vec<RegistryRowView>,
}

#[derive(Serialize)]
struct DistinctionView {
    anchor: String,
    name: String,
    count: String,
    grades: Vec<GradeView>,
}

#[derive(Serialize)]
struct RegistryView {
    distinctions: Vec<DistinctionView>,
    may_radar: bool,
}

fn registry_view(registry: &Registry) -> RegistryView {
    RegistryView {
        distinctions: registry
            .distinctions
            .iter()
            .map(|d| {
                let count: usize = d.grades.iter().map(|g| g.rows.len()).sum();
                DistinctionView {
                    anchor: format!("distinction-{}", d.code.to_lowercase()),
                    name: d.name.clone(),
                    count: plural(
                        count,
                        "nomination ou promotion",
                        "nominations ou promotions",
                    ),
                    grades: d
                        .grades
                        .iter()
                        .map(|g| GradeView {
                            caption: format!("{} — {} ({})", d.name, g.label, g.rows.len()),
                            rows: g
                                .rows
                                .iter()
                                .map(|r| RegistryRowView {
                                    name: r.name.clone(),
                                    decree: fr_date(r.decree_date),
                                    jo_reference: r.jo_reference.clone(),
                                    reception: r.reception_date.map(fr_date),
                                })
                                .collect(),
                        })
                        .collect(),
                }
            })
            .collect(),
        may_radar: registry.may_radar,
    }
}

/// `GET /promotion/registre`.
pub(crate) async fn registry(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
) -> WebResult<Response> {
    let registry = domain::registry(&ctx, &identity).await?;
    let view = registry_view(&registry);
    Ok(ctx
        .page(
            &identity,
            "promotion/registry",
            "Registre des lauréats",
            &view,
        )?
        .into_response())
}

#[cfg(test)]
mod tests {
    use napoleon_kernel::{AwardId, LaureateId};

    use super::*;
    use crate::domain::fixtures::day;
    use crate::domain::{RegistryDistinction, RegistryGrade, RegistryRow};
    use crate::http::testing::render;

    #[test]
    fn the_registry_shows_each_grade_as_a_captioned_table() {
        let registry = Registry {
            distinctions: vec![RegistryDistinction {
                code: "LH".to_owned(),
                name: "Légion d'honneur".to_owned(),
                grades: vec![RegistryGrade {
                    code: "chevalier".to_owned(),
                    label: "chevalier".to_owned(),
                    rows: vec![
                        RegistryRow {
                            award_id: AwardId::new(),
                            laureate_id: LaureateId::new(),
                            name: "DUPONT Jeanne".to_owned(),
                            decree_date: day(2019, 7, 14),
                            jo_reference: "JORF n° 0163 du 14 juillet 2019".to_owned(),
                            reception_date: Some(day(2019, 10, 1)),
                        },
                        RegistryRow {
                            award_id: AwardId::new(),
                            laureate_id: LaureateId::new(),
                            name: "ARNAUD Marc".to_owned(),
                            decree_date: day(2025, 7, 14),
                            jo_reference: "JORF n° 0160".to_owned(),
                            reception_date: None,
                        },
                    ],
                }],
            }],
            may_radar: true,
        };
        let html = render("promotion/registry", &registry_view(&registry));
        assert!(html.contains("<caption>Légion d&#x27;honneur — chevalier (2)</caption>"));
        assert!(html.contains("14/07/2019"));
        assert!(html.contains("01/10/2019"));
        assert!(html.contains("en attente"));
        assert!(html.contains(r#"href="/promotion/radar""#));
        let empty = render(
            "promotion/registry",
            &registry_view(&Registry {
                distinctions: Vec::new(),
                may_radar: false,
            }),
        );
        assert!(empty.contains("Le registre ne compte encore aucun lauréat."));
    }
}
