//! The registry page: a search form (name, distinction, birth date), then a page of laureates in name
//! order, each with their awards, and the link to the next page.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use napoleon_db::readlog::ReadChannel;
use napoleon_identity::Identity;
use napoleon_rules::fr_date;
use napoleon_web::{ActionError, FieldError, WebContext, WebResult};
use serde::{Deserialize, Serialize};

use super::plural;
use crate::domain::{self, Registry, RegistryAsk};

/// The form's fields, as typed (French names: they show in the address bar).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct RegistryQuery {
    nom: String,
    distinction: String,
    grade: String,
    naissance: String,
    apres: String,
}

impl RegistryQuery {
    /// The search's fields sent back with a form (the export's).
    pub(crate) fn from_form(form: &napoleon_web::FormFields) -> Self {
        Self {
            nom: form.get("nom").to_owned(),
            distinction: form.get("distinction").to_owned(),
            grade: form.get("grade").to_owned(),
            naissance: form.get("naissance").to_owned(),
            apres: String::new(),
        }
    }

    pub(crate) fn ask(&self) -> RegistryAsk {
        RegistryAsk {
            name: self.nom.clone(),
            distinction: self.distinction.clone(),
            grade: self.grade.clone(),
            born: self.naissance.clone(),
            after: self.apres.clone(),
        }
    }
}

#[derive(Serialize)]
struct AwardView {
    label: String,
    decree: String,
    jo_reference: String,
    /// « 14/07/2020 », or `None`: « en attente ».
    reception: Option<String>,
}

#[derive(Serialize)]
struct RowView {
    name: String,
    /// The rows the laureate's name spans (one per award).
    span: usize,
    awards: Vec<AwardView>,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct RegistryView {
    name: String,
    /// The birth date searched, as the agent typed it (jj/mm/aaaa once parsed).
    born: String,
    distinctions: Vec<Choice>,
    grades: Vec<Choice>,
    searched: bool,
    rows: Vec<RowView>,
    count: String,
    next: Option<String>,
    first: Option<String>,
    may_radar: bool,
    may_import: bool,
    /// The export page of this search, when the agent may export.
    export: Option<String>,
    errors: Vec<FieldError>,
    name_error: Option<String>,
    distinction_error: Option<String>,
    grade_error: Option<String>,
    born_error: Option<String>,
}

/// The search's words as an address's (`nom`, `distinction`, `grade`, `naissance`).
pub(crate) struct Words<'a> {
    pub(crate) name: &'a str,
    pub(crate) distinction: &'a str,
    pub(crate) grade: &'a str,
    pub(crate) born: &'a str,
}

impl Words<'_> {
    /// `path` with the search's words and, for a page after the first, `after`.
    pub(crate) fn href(&self, path: &str, after: Option<&str>) -> String {
        napoleon_web::query_href(
            path,
            &[
                ("nom", self.name),
                ("distinction", self.distinction),
                ("grade", self.grade),
                ("naissance", self.born),
                ("apres", after.unwrap_or_default()),
            ],
        )
    }
}

fn choices(distinctions: &[(String, String)], selected: &str) -> Vec<Choice> {
    distinctions
        .iter()
        .map(|(code, name)| Choice {
            selected: code == selected,
            value: code.clone(),
            label: name.clone(),
        })
        .collect()
}

fn registry_view(registry: &Registry, query: &RegistryQuery) -> RegistryView {
    let name = registry.filter.name.clone().unwrap_or_default();
    let distinction = registry
        .filter
        .distinction
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let grade = registry
        .filter
        .grade
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let born = registry.filter.born.map(fr_date).unwrap_or_default();
    let words = Words {
        name: &name,
        distinction: &distinction,
        grade: &grade,
        born: &born,
    };
    RegistryView {
        distinctions: choices(&registry.choices.distinctions, &distinction),
        grades: choices(&registry.choices.grades, &grade),
        searched: !name.is_empty()
            || !distinction.is_empty()
            || !grade.is_empty()
            || !born.is_empty(),
        rows: registry
            .rows
            .iter()
            .map(|r| RowView {
                name: r.name.clone(),
                span: r.awards.len(),
                awards: r
                    .awards
                    .iter()
                    .map(|a| AwardView {
                        label: format!("{} — {}", a.distinction_name, a.grade_label),
                        decree: fr_date(a.decree_date),
                        jo_reference: a.jo_reference.clone(),
                        reception: a.reception_date.map(fr_date),
                    })
                    .collect(),
            })
            .collect(),
        count: plural(registry.rows.len(), "lauréat", "lauréats"),
        next: registry
            .next_after
            .map(|after| words.href("/promotion/registre", Some(&after.to_string()))),
        first: (!query.apres.trim().is_empty()).then(|| words.href("/promotion/registre", None)),
        may_radar: registry.may_radar,
        may_import: registry.may_import,
        export: registry
            .may_export
            .then(|| words.href("/promotion/registre/export", None)),
        errors: Vec::new(),
        name_error: None,
        distinction_error: None,
        grade_error: None,
        born_error: None,
        name,
        born,
    }
}

/// `GET /promotion/registre?nom=…&distinction=…&naissance=…&apres=…`: a refused field is shown on the
/// form (422), with nothing listed.
pub(crate) async fn registry(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    Query(query): Query<RegistryQuery>,
) -> WebResult<Response> {
    match domain::registry(&ctx, &identity, &query.ask(), ReadChannel::Page).await {
        Ok(registry) => {
            let view = registry_view(&registry, &query);
            Ok(ctx
                .page(
                    &identity,
                    "promotion/registry",
                    "Registre des lauréats",
                    &view,
                )?
                .into_response())
        }
        Err(ActionError::Invalid(errors)) => {
            let lists = domain::choices(&ctx, &identity).await?;
            let error_of = |field: &str| {
                errors
                    .iter()
                    .find(|e| e.field == field)
                    .map(|e| e.message.clone())
            };
            let view = RegistryView {
                name: query.nom.trim().chars().take(200).collect(),
                born: query.naissance.trim().chars().take(20).collect(),
                distinctions: choices(&lists.distinctions, query.distinction.trim()),
                grades: choices(&lists.grades, query.grade.trim()),
                searched: true,
                rows: Vec::new(),
                count: String::new(),
                next: None,
                first: Some("/promotion/registre".to_owned()),
                may_radar: false,
                may_import: false,
                export: None,
                name_error: error_of("nom"),
                distinction_error: error_of("distinction"),
                grade_error: error_of("grade"),
                born_error: error_of("naissance"),
                errors,
            };
            let mut page = ctx
                .page(
                    &identity,
                    "promotion/registry",
                    "Erreur — Registre des lauréats",
                    &view,
                )?
                .into_response();
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use napoleon_kernel::{AwardId, LaureateId};

    use super::*;
    use crate::domain::fixtures::day;
    use crate::domain::{RegistryAward, RegistryFilter, RegistryRow};
    use crate::http::testing::render;

    #[test]
    fn the_registry_lists_each_laureate_with_their_awards_and_links_the_next_page() {
        let after = LaureateId::new();
        let registry = Registry {
            filter: RegistryFilter {
                name: Some("lefèvre".to_owned()),
                distinction: None,
                grade: None,
                born: None,
                after: None,
            },
            rows: vec![RegistryRow {
                laureate_id: after,
                name: "LEFEVRE Jeanne".to_owned(),
                awards: vec![RegistryAward {
                    award_id: AwardId::new(),
                    distinction: "LH".to_owned(),
                    distinction_name: "Légion d'honneur".to_owned(),
                    grade: "chevalier".to_owned(),
                    grade_label: "chevalier".to_owned(),
                    decree_date: day(2019, 7, 14),
                    jo_reference: "JORF n° 0163 du 14 juillet 2019".to_owned(),
                    reception_date: None,
                }],
            }],
            next_after: Some(after),
            choices: crate::domain::FilterChoices {
                distinctions: vec![("LH".to_owned(), "Légion d'honneur".to_owned())],
                grades: vec![("officier".to_owned(), "officier".to_owned())],
            },
            may_radar: true,
            may_import: true,
            may_export: true,
        };
        let html = render(
            "promotion/registry",
            &registry_view(&registry, &RegistryQuery::default()),
        );
        assert!(html.contains("LEFEVRE Jeanne"));
        assert!(html.contains("Légion d&#x27;honneur — chevalier"));
        assert!(html.contains("14/07/2019"));
        assert!(html.contains("en attente"));
        // The next page keeps the search (escaped in the attribute: `=` is `&#x3D;`).
        assert!(html.contains(&format!(
            "/promotion/registre?nom&#x3D;lef%C3%A8vre&amp;apres&#x3D;{after}"
        )));
        assert!(html.contains("Page suivante"));
        assert!(html.contains(r#"href="/promotion/radar""#));
        assert!(html.contains(r#"href="/promotion/registre/export?nom&#x3D;lef%C3%A8vre""#));
    }
}
