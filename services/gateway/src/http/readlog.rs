//! The read-log pages: `/administration/lectures` (a page at a time) and its CSV export.

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use napoleon_db::readlog::{ReadEntry, ReadSubject};
use napoleon_web::WebResult;
use serde::{Deserialize, Serialize};

use super::render;
use crate::domain;
use crate::{GatewayState, RequestAgent};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct PageQuery {
    page: Option<String>,
}

#[derive(Serialize, Debug)]
struct Line {
    at: String,
    reader: String,
    subject: String,
    channel: &'static str,
    via: String,
    request_id: String,
}

#[derive(Serialize, Debug)]
struct ReadLogView {
    lines: Vec<Line>,
    page: i64,
    previous: Option<i64>,
    next: Option<i64>,
    can_purge: bool,
    csrf: String,
}

fn subject(s: ReadSubject) -> String {
    match s {
        ReadSubject::Dossier(id) => format!("dossier {id}"),
        ReadSubject::Laureate(id) => format!("lauréat {id}"),
    }
}

/// Through what, in French: « session ab12… » (its reference, the same for every read of one
/// login), « jeton <id> », or « — » when the read came without a session (a service called
/// directly).
fn via_fr(via: Option<&str>) -> String {
    match via.and_then(|v| v.split_once(':')) {
        Some(("session", reference)) => format!("session {reference}"),
        Some(("token", id)) => format!("jeton {id}"),
        _ => "—".to_owned(),
    }
}

/// The instant in UTC, to the second, as the logs and the export give it.
fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%d/%m/%Y à %H:%M:%S UTC").to_string()
}

/// `GET /administration/lectures?page=N`: an unreadable page number is the first page.
pub(crate) async fn page(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
    Query(q): Query<PageQuery>,
) -> WebResult<Response> {
    // Not user data to refuse: a page number that does not read shows the first page.
    let n = q
        .page
        .and_then(|p| p.trim().parse::<i64>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    let (entries, more, can_purge) = domain::readlog::page(&state, &agent, n).await?;
    let view = ReadLogView {
        lines: entries
            .iter()
            .map(|e| Line {
                at: when(e.read_at),
                reader: e
                    .reader_name
                    .as_ref()
                    .map_or_else(|| e.reader.clone(), |n| n.expose().clone()),
                subject: subject(e.subject),
                channel: e.channel.label_fr(),
                via: via_fr(e.via.as_deref()),
                request_id: e.request_id.clone(),
            })
            .collect(),
        page: n,
        previous: (n > 1).then_some(n - 1),
        next: more.then_some(n + 1),
        can_purge,
        csrf: agent.csrf.clone(),
    };
    Ok(render(
        &state,
        "readlog",
        "Journal des lectures de données personnelles",
        &view,
        Some(&agent),
    )?
    .into_response())
}

/// One CSV field, quoted (RFC 4180). A value a spreadsheet would take for a formula (it
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return: a request id the client chose
/// may) is prefixed with an apostrophe, so it is shown, never run.
fn field(value: &str) -> String {
    let neutral = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", neutral.replace('"', "\"\""))
}

/// The export's first line.
const CSV_HEADER: &str = "lu_le,lecteur,nom_lecteur,donnees,canal,requete,via\r\n";

/// A batch of the export as CSV lines.
fn csv(entries: &[ReadEntry]) -> String {
    let mut out = String::new();
    for e in entries {
        let line = [
            e.read_at.to_rfc3339(),
            e.reader.clone(),
            e.reader_name
                .as_ref()
                .map(|n| n.expose().clone())
                .unwrap_or_default(),
            subject(e.subject),
            e.channel.as_str().to_owned(),
            e.request_id.clone(),
            e.via.clone().unwrap_or_default(),
        ]
        .iter()
        .map(|v| field(v))
        .collect::<Vec<_>>()
        .join(",");
        out.push_str(&line);
        out.push_str("\r\n");
    }
    out
}

/// Where the export stands between batches.
enum Export {
    After(Option<(chrono::DateTime<chrono::Utc>, i64)>),
    Done,
}

impl Export {
    /// Where the export stands after `batch`: a short batch was the last.
    fn after(batch: &[ReadEntry]) -> Self {
        if i64::try_from(batch.len()).unwrap_or(i64::MAX) >= domain::readlog::EXPORT_BATCH {
            Self::After(batch.last().map(|e| (e.read_at, e.id)))
        } else {
            Self::Done
        }
    }
}

/// `GET /administration/lectures.csv`: every entry, latest first, streamed a batch at a time
/// (the whole log, however long; nothing is held in memory but one batch). The access is
/// checked before the first byte, so a refusal is a proper 403.
pub(crate) async fn export(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
) -> WebResult<Response> {
    let first = domain::readlog::export_batch(&state, &agent, None).await?;
    let head = format!("{CSV_HEADER}{}", csv(&first));
    let start = Export::after(&first);
    let rest = futures_util::stream::unfold(start, move |at| {
        let (state, agent) = (state.clone(), agent.clone());
        async move {
            let Export::After(after) = at else {
                return None;
            };
            match domain::readlog::export_batch(&state, &agent, after).await {
                Ok(batch) => Some((Ok::<_, std::io::Error>(csv(&batch)), Export::after(&batch))),
                Err(e) => {
                    // The status is sent: cutting the download is the only honest signal.
                    tracing::warn!(error = ?e, "read-log export interrupted");
                    Some((
                        Err(std::io::Error::other("export interrupted")),
                        Export::Done,
                    ))
                }
            }
        }
    });
    let body = futures_util::stream::once(async move { Ok(head) }).chain(rest);
    Ok(napoleon_web::attachment(
        axum::body::Body::from_stream(body),
        "text/csv; charset=utf-8",
        "lectures-donnees-personnelles.csv",
        "csv",
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_fields_are_quoted_and_quotes_doubled() {
        assert_eq!(super::field("a\"b,c"), "\"a\"\"b,c\"");
    }

    #[test]
    fn a_value_a_spreadsheet_would_run_is_shown_as_text() {
        assert_eq!(
            super::field("=cmd|' /C calc'!A0"),
            "\"'=cmd|' /C calc'!A0\""
        );
        assert_eq!(super::field("-req-1"), "\"'-req-1\"");
        assert_eq!(super::field("agent:1"), "\"agent:1\"");
    }
}
