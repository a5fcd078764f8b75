//! What a page shows of a background job (the shared `job_progress` partial's view).

use napoleon_db::jobs::{JobState, JobView};
use serde::Serialize;

/// A job's progress as the `job_progress` partial renders it.
#[derive(Debug, Clone, Serialize)]
pub struct JobProgress {
    /// The state, in French.
    pub state: &'static str,
    /// The DSFR badge variant for the state.
    pub badge: &'static str,
    /// Items done.
    pub done: i64,
    /// Items in all, when known (no bar otherwise).
    pub total: Option<i64>,
    /// `done` of `total`, in whole percent.
    pub percent: i64,
    /// One sentence: the handler's last word, or what the state means.
    pub summary: String,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// Whether it may still change (the page then reloads itself).
    pub active: bool,
    /// Whether an agent may still ask it to stop.
    pub cancellable: bool,
}

impl From<&JobView> for JobProgress {
    fn from(job: &JobView) -> Self {
        let (state, badge) = match job.state {
            JobState::Queued if job.attempts > 0 => ("Nouvelle tentative prévue", "warning"),
            JobState::Queued => ("En attente", "info"),
            JobState::Running => ("En cours", "new"),
            JobState::Succeeded => ("Terminé", "success"),
            JobState::Failed => ("En échec", "error"),
            JobState::Cancelled => ("Annulé", "warning"),
        };
        let total = job.total.filter(|t| *t > 0);
        let percent = total.map_or(0, |t| (job.done.min(t) * 100) / t);
        let summary = match (&job.message, job.state) {
            (_, JobState::Cancelled) => "Le traitement a été arrêté à votre demande.".to_owned(),
            (Some(m), _) => m.clone(),
            (None, JobState::Queued) => {
                "Le traitement démarrera dès qu'un serveur sera disponible.".to_owned()
            }
            (None, _) => "Le traitement n'a encore rien signalé.".to_owned(),
        };
        let error = match job.state {
            JobState::Failed | JobState::Queued => job.last_error.clone(),
            _ => None,
        };
        Self {
            state,
            badge,
            done: job.done,
            total,
            percent,
            summary,
            error,
            active: job.is_active(),
            cancellable: job.is_active() && !job.cancel_requested,
        }
    }
}
