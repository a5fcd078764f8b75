//! A job's page (`/taches/{id}`), its cancellation, and the read log's purge button.

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_db::jobs::JobView;
use napoleon_kernel::JobId;
use napoleon_web::{IdPath, JobProgress, Page, WebResult};
use serde::{Deserialize, Serialize};

use crate::domain;
use crate::store::readlog;
use crate::{GatewayState, RequestAgent};

/// Seconds between reloads while a job runs: often enough to see it move, rarely enough for
/// a screen reader to finish its sentence.
const REFRESH_SECONDS: u32 = 5;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct JobQuery {
    /// `non` stops the page from reloading itself.
    actualiser: Option<String>,
}

#[derive(Serialize, Debug)]
struct JobPage {
    id: String,
    label: &'static str,
    progress: JobProgress,
    result: Option<String>,
    auto_refresh: bool,
    back_href: &'static str,
    back_label: &'static str,
    csrf: String,
}

/// What the kind is called, and where its page leads back to.
fn describe(job: &JobView) -> (&'static str, &'static str, &'static str) {
    if job.kind == readlog::purge_kind() {
        (
            "Application de la durée de conservation du journal des lectures",
            "/administration/lectures",
            "Retour au journal des lectures",
        )
    } else {
        ("Traitement en arrière-plan", "/", "Retour à l'accueil")
    }
}

/// The result in one French sentence, for the kinds that have one.
fn result_line(job: &JobView) -> Option<String> {
    let result = job.result.as_ref()?;
    if job.kind == readlog::purge_kind() {
        let removed = result.get("removed")?.as_i64()?;
        return Some(format!(
            "{removed} lecture(s) plus ancienne(s) que la durée de conservation supprimée(s)."
        ));
    }
    None
}

/// `GET /taches/{id}`: the job's progress, reloading itself while it runs unless asked not to.
pub(crate) async fn show(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
    IdPath(id): IdPath<JobId>,
    Query(q): Query<JobQuery>,
) -> WebResult<Response> {
    let job = domain::jobs::show(&state, &agent, id).await?;
    let (label, back_href, back_label) = describe(&job);
    let progress = JobProgress::from(&job);
    let auto_refresh = progress.active && q.actualiser.as_deref() != Some("non");
    let view = JobPage {
        id: id.to_string(),
        label,
        result: result_line(&job),
        progress,
        auto_refresh,
        back_href,
        back_label,
        csrf: agent.csrf.clone(),
    };
    let user = agent.layout_user();
    Ok(state
        .ctx
        .templates
        .render_refreshing(
            "job",
            &Page {
                title: label,
                view: &view,
                user: Some(&user),
            },
            auto_refresh.then_some(REFRESH_SECONDS),
        )?
        .into_response())
}

/// `POST /taches/{id}/annuler`.
pub(crate) async fn cancel(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
    IdPath(id): IdPath<JobId>,
) -> WebResult<Response> {
    domain::jobs::cancel(&state, &agent, id).await?;
    Ok(Redirect::to(&format!("/taches/{id}")).into_response())
}

/// `POST /administration/lectures/purge`: starts the purge (or finds the one under way) and
/// shows its progress.
pub(crate) async fn purge_read_log(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
) -> WebResult<Response> {
    let id = domain::jobs::start_read_log_purge(&state, &agent).await?;
    Ok(Redirect::to(&format!("/taches/{id}")).into_response())
}
