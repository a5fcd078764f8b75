//! The report of a move applied to the rows ticked on the queue or the search's results
//! (`POST /instruction/dossiers/actions-groupees`): row by row, done or refused and why.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_identity::Identity;
use napoleon_web::{FieldError, FormFields, WebContext, WebResult};
use serde::Serialize;

use crate::domain::bulk::{self, RowOutcome, RowResult};

/// The ticked rows' form under a list: where its report links back to, and how many rows it
/// takes.
#[derive(Serialize)]
pub(super) struct BulkForm {
    back: String,
    max: usize,
    /// The agent may export the rows ticked (`instruction:export`).
    export: bool,
}

impl BulkForm {
    pub(super) fn back_to(back: String, export: bool) -> Self {
        Self {
            back,
            max: bulk::MAX_SELECTED,
            export,
        }
    }
}

#[derive(Serialize)]
struct RowView {
    /// The dossier's page, when the agent may read it.
    href: Option<String>,
    number: String,
    name: String,
    done: bool,
    /// The badge: « Pris en charge », « Refusé », « Non traité », « Erreur technique ».
    badge: &'static str,
    /// Why it was refused.
    reason: Option<String>,
}

#[derive(Serialize)]
struct BulkView {
    action: &'static str,
    errors: Vec<FieldError>,
    summary: String,
    all_done: bool,
    rows: Vec<RowView>,
    back: String,
}

/// « 1 dossier », « 12 dossiers ».
fn dossiers(n: usize) -> String {
    if n == 1 {
        "1 dossier".to_owned()
    } else {
        format!("{} dossiers", napoleon_web::thousands(n))
    }
}

fn view(action: bulk::BulkMove, outcomes: &[RowOutcome], back: String) -> BulkView {
    let done = outcomes
        .iter()
        .filter(|o| o.result == RowResult::Done)
        .count();
    let rest = outcomes.len() - done;
    BulkView {
        action: action.label_fr(),
        errors: Vec::new(),
        summary: if rest == 0 && outcomes.len() == 1 {
            "Fait pour le dossier choisi.".to_owned()
        } else if rest == 0 {
            format!("Fait pour les {} choisis.", dossiers(outcomes.len()))
        } else if done == 0 {
            "Rien n'a été fait : le motif de chaque refus figure ci-dessous.".to_owned()
        } else {
            format!(
                "Fait pour {done} sur {} ; refusé ou non traité pour {} : le motif de \
                 chacun figure ci-dessous.",
                dossiers(outcomes.len()),
                dossiers(rest)
            )
        },
        all_done: rest == 0,
        rows: outcomes
            .iter()
            .map(|o| {
                let (number, name) = o.shown.clone().unwrap_or_else(|| {
                    (
                        "—".to_owned(),
                        "Dossier inconnu ou hors de votre périmètre".to_owned(),
                    )
                });
                let (badge, reason) = match &o.result {
                    RowResult::Done => (action.done_fr(), None),
                    RowResult::Refused(why) => ("Refusé", Some(why.clone())),
                    RowResult::NotAttempted => (
                        "Non traité",
                        Some(
                            "L'action s'est arrêtée sur une erreur technique avant ce \
                             dossier : recommencez plus tard."
                                .to_owned(),
                        ),
                    ),
                    RowResult::Failed => (
                        "Erreur technique",
                        Some(
                            "Rien n'a été fait sur ce dossier : recommencez plus tard.".to_owned(),
                        ),
                    ),
                };
                RowView {
                    href: o
                        .shown
                        .as_ref()
                        .map(|_| format!("/instruction/dossiers/{}", o.id)),
                    number,
                    name,
                    done: o.result == RowResult::Done,
                    badge,
                    reason,
                }
            })
            .collect(),
        back,
    }
}

/// `POST /instruction/dossiers/actions-groupees`: the move on each ticked row, then the
/// report; a refused form (no row, an unknown action) is shown as such (422), nothing moved.
pub(crate) async fn bulk(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    form: FormFields,
) -> WebResult<Response> {
    let back = bulk::back_to(&form);
    // Exporting the rows ticked is the export's page, with them as its list.
    if form.get("action") == bulk::EXPORT {
        return match bulk::parse_rows(&form) {
            Ok(ids) => Ok(Redirect::to(&napoleon_web::query_href(
                "/instruction/export",
                &[
                    ("liste", "selection"),
                    (
                        "dossiers",
                        &ids.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(","),
                    ),
                ],
            ))
            .into_response()),
            Err(errors) => refused(&ctx, &identity, errors, back),
        };
    }
    match bulk::parse(&form) {
        Ok(selection) => {
            let outcomes = bulk::apply(&ctx, &identity, &selection).await?;
            let view = view(selection.action, &outcomes, back);
            Ok(ctx
                .page(
                    &identity,
                    "instruction/bulk",
                    &format!("{} — résultat", selection.action.label_fr()),
                    &view,
                )?
                .into_response())
        }
        Err(errors) => refused(&ctx, &identity, errors, back),
    }
}

/// A form refused (no row, an unknown action): said as such (422), nothing done.
fn refused(
    ctx: &WebContext,
    identity: &Identity,
    errors: Vec<FieldError>,
    back: String,
) -> WebResult<Response> {
    let view = BulkView {
        action: "Action groupée",
        errors,
        summary: String::new(),
        all_done: false,
        rows: Vec::new(),
        back,
    };
    let mut page = ctx
        .page(
            identity,
            "instruction/bulk",
            "Erreur — Action groupée",
            &view,
        )?
        .into_response();
    *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(page)
}
