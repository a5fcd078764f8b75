//! The queue page: the dossiers of the agent's units, by tab.

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use napoleon_db::readlog::ReadChannel;
use napoleon_identity::Identity;
use napoleon_rules::fr_date;
use napoleon_web::{WebContext, WebResult};
use serde::Serialize;

use crate::domain::{self, Tab};

fn display_name(content: &serde_json::Value) -> String {
    napoleon_rules::content::Candidate::of_content(content).display_name()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct QueueQuery {
    onglet: String,
}

#[derive(Serialize)]
struct TabLink {
    label: &'static str,
    href: &'static str,
    current: bool,
}

#[derive(Serialize)]
struct Row {
    href: String,
    number: String,
    name: String,
    grade: String,
    state: String,
    submitted: String,
}

#[derive(Serialize)]
struct QueueView {
    tabs: Vec<TabLink>,
    tab_label: &'static str,
    rows: Vec<Row>,
}

pub(crate) async fn queue(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    Query(q): Query<QueueQuery>,
) -> WebResult<Response> {
    let tab = Tab::parse(&q.onglet);
    let list = domain::queue(&ctx, &identity, tab, ReadChannel::Page).await?;
    let tabs = [
        (
            Tab::ToDo,
            "À traiter",
            "/instruction/dossiers?onglet=a-traiter",
        ),
        (
            Tab::Followed,
            "Suivis",
            "/instruction/dossiers?onglet=suivis",
        ),
        (Tab::Done, "Traités", "/instruction/dossiers?onglet=traites"),
    ];
    let view = QueueView {
        tab_label: tabs.iter().find(|t| t.0 == tab).map_or("", |t| t.1),
        tabs: tabs
            .iter()
            .map(|(t, label, href)| TabLink {
                label,
                href,
                current: *t == tab,
            })
            .collect(),
        rows: list
            .iter()
            .map(|d| Row {
                href: format!("/instruction/dossiers/{}", d.id),
                number: d.number.clone().unwrap_or_default(),
                name: display_name(d.content.expose()),
                grade: d.target_grade.to_string(),
                state: d.state.label_fr().to_owned(),
                submitted: d
                    .submitted_at
                    .map(|t| fr_date(t.date_naive()))
                    .unwrap_or_default(),
            })
            .collect(),
    };
    Ok(ctx
        .page(
            &identity,
            "instruction/queue",
            "Dossiers à instruire",
            &view,
        )?
        .into_response())
}
