//! The queue page: the dossiers of the agent's units, by tab, fifty a page.

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use napoleon_db::readlog::ReadChannel;
use napoleon_identity::Identity;
use napoleon_rules::fr_date;
use napoleon_web::{WebContext, WebResult};
use serde::Serialize;

use crate::domain::{self, Paging, Tab};

fn display_name(content: &serde_json::Value) -> String {
    napoleon_rules::content::Candidate::of_content(content).display_name()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct QueueQuery {
    onglet: String,
    page: Option<String>,
}

#[derive(Serialize)]
struct TabLink {
    label: &'static str,
    href: String,
    current: bool,
}

/// A dossier's row in instruction's lists (the queue, the search's results): its checkbox,
/// its link and the columns both lists show.
#[derive(Serialize)]
pub(super) struct Row {
    /// The dossier's id: its checkbox.
    id: String,
    href: String,
    number: String,
    name: String,
    grade: String,
    state: String,
    submitted: String,
}

impl Row {
    pub(super) fn of(d: &napoleon_db::contracts::DossierView) -> Self {
        Self {
            id: d.id.to_string(),
            href: format!("/instruction/dossiers/{}", d.id),
            number: d.number.clone().unwrap_or_default(),
            name: display_name(d.content.expose()),
            grade: d.target_grade.to_string(),
            state: d.state.label_fr().to_owned(),
            submitted: d
                .submitted_at
                .map(|t| fr_date(napoleon_kernel::paris_date(t)))
                .unwrap_or_default(),
        }
    }
}

#[derive(Serialize)]
struct QueueView {
    tabs: Vec<TabLink>,
    tab_label: &'static str,
    rows: Vec<Row>,
    /// « 1 234 dossiers », and where this page stands among them.
    total: String,
    page: usize,
    pages: usize,
    /// More than one page: the pagination is shown.
    paged: bool,
    /// « À traiter »: its empty state says what will come.
    is_todo: bool,
    first_shown: usize,
    last_shown: usize,
    /// The tab's word in the address, for the pagination's links.
    onglet: &'static str,
    previous: Option<usize>,
    next: Option<usize>,
    /// The form of the ticked rows.
    bulk: super::bulk::BulkForm,
    /// The tab's export page, when the agent may export.
    export: Option<String>,
}

pub(crate) async fn queue(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    Query(q): Query<QueueQuery>,
) -> WebResult<Response> {
    let tab = Tab::parse(&q.onglet);
    let paging = Paging::parse(q.page.as_deref(), None);
    let found = domain::queue(&ctx, &identity, tab, paging, ReadChannel::Page).await?;
    let first_shown = (found.page - 1) * found.per_page + 1;
    let view = QueueView {
        tab_label: tab.label_fr(),
        onglet: tab.page_word(),
        tabs: Tab::ALL
            .iter()
            .map(|t| TabLink {
                label: t.label_fr(),
                href: format!("/instruction/dossiers?onglet={}", t.page_word()),
                current: *t == tab,
            })
            .collect(),
        total: match found.total {
            0 => "Aucun dossier".to_owned(),
            1 => "1 dossier".to_owned(),
            n => format!("{} dossiers", napoleon_web::thousands(n)),
        },
        page: found.page,
        pages: found.pages,
        paged: found.pages > 1,
        is_todo: tab == Tab::ToDo,
        first_shown,
        last_shown: first_shown + found.dossiers.len().saturating_sub(1),
        bulk: super::bulk::BulkForm::back_to(
            format!(
                "/instruction/dossiers?onglet={}&page={}",
                tab.page_word(),
                found.page
            ),
            found.may_export,
        ),
        export: found
            .may_export
            .then(|| format!("/instruction/export?liste=file&onglet={}", tab.page_word())),
        previous: (found.page > 1).then(|| found.page - 1),
        next: (found.page < found.pages).then(|| found.page + 1),
        rows: found.dossiers.iter().map(Row::of).collect(),
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
