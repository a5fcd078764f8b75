//! Delivers the outbox's HTTP messages (`napoleon_db::outbox`): one job per message, a POST of
//! `{"type", "timestamp", "data"}` with the message's id in `webhook-id` on every attempt (the
//! Standard Webhooks header names; signatures come with the webhook channel). A 2xx answer
//! delivers it; anything else fails the attempt, which the jobs retry with their backoff.

use std::time::Duration;

use async_trait::async_trait;
use napoleon_db::jobs::JobKind;
use napoleon_db::outbox::{self, Attempt};
use napoleon_kernel::MessageId;

use crate::{Handler, JobContext, JobError};

/// The HTTP channel's handler.
#[derive(Debug, Clone)]
pub struct HttpDelivery {
    client: reqwest::Client,
}

impl HttpDelivery {
    /// A handler whose attempts give up after `timeout` (connection and answer together).
    ///
    /// # Errors
    /// A message when the HTTP client cannot be built (its TLS roots).
    pub fn new(timeout: Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            // A redirect would send the message somewhere nobody configured.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Napoleon-Outbox/1")
            .build()
            .map_err(|e| format!("outbox HTTP client: {e}"))?;
        Ok(Self { client })
    }
}

#[async_trait]
impl Handler for HttpDelivery {
    fn kind(&self) -> JobKind {
        outbox::http_kind()
    }

    async fn run(&self, job: &JobContext) -> Result<serde_json::Value, JobError> {
        let gone = || JobError::Abandoned("Le message à envoyer n'existe pas.".to_owned());
        let id: MessageId =
            serde_json::from_value(job.payload()["message"].clone()).map_err(|_| gone())?;
        let message = {
            let mut tx = job.db().tenant(job.tenant()).await?;
            let m = match outbox::message(&mut tx, id).await {
                Err(e) if e.is_not_found() => return Err(gone()),
                found => found?,
            };
            tx.rollback().await;
            m
        };
        if message.delivered_at.is_some() {
            return Ok(serde_json::json!({ "message": id, "already_delivered": true }));
        }
        let body = serde_json::json!({
            "type": message.event.as_str(),
            "timestamp": message.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "data": message.payload,
        });
        let sent = self
            .client
            .post(message.destination.url().clone())
            .header("webhook-id", id.to_string())
            .header(
                "webhook-timestamp",
                job.db().clock().now().timestamp().to_string(),
            )
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await;
        let attempt = match sent {
            Ok(answer) if answer.status().is_success() => {
                Attempt::Delivered(answer.status().as_u16())
            }
            Ok(answer) => Attempt::Refused(answer.status().as_u16()),
            // The cause only: a URL may carry a partner's secret (a token in its path).
            Err(e) => Attempt::NoAnswer(e.without_url().to_string()),
        };
        let mut tx = job.db().tenant(job.tenant()).await?;
        let now = tx.now();
        outbox::record_attempt(&mut tx, id, &attempt, now).await?;
        tx.commit().await?;
        match attempt {
            Attempt::Delivered(status) => {
                Ok(serde_json::json!({ "message": id, "status": status }))
            }
            Attempt::Refused(status) => Err(JobError::Failed(format!(
                "Le destinataire a refusé le message (statut HTTP {status}) ; il sera renvoyé."
            ))),
            Attempt::NoAnswer(_) => Err(JobError::Failed(
                "Le destinataire n'a pas répondu ; le message sera renvoyé.".to_owned(),
            )),
        }
    }
}
