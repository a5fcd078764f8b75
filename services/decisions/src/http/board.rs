//! A campaign's board: the list in its order with the decision forms, the contingents and
//! the share of women, closing, the publication form and the laureates with their réception;
//! and the forms it posts (rank, decision, closing, publication, réception).

use axum::Extension;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_db::readlog::ReadChannel;
use napoleon_identity::Identity;
use napoleon_kernel::{AwardId, CampaignId, DossierId};
use napoleon_rules::dossier::{Decision, DossierState};
use napoleon_rules::fr_date;
use napoleon_web::{ActionError, FieldError, IdPath, WebContext, WebResult};
use serde::{Deserialize, Serialize};

use super::board_href;
use crate::domain::{self, Board, BoardRow, ListStatus};
use crate::tally;

/// `POST …/rang`: up or down, as the button sent it.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct RankInput {
    direction: String,
}

/// `POST …/decision`, as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DecideInput {
    decision: String,
    motivation: String,
}

/// `POST …/publication`, as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct PublishInput {
    decree_date: String,
    jo_reference: String,
}

/// `POST …/reception`, as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ReceiveInput {
    reception_date: String,
}

/// What the page shows after a redirect.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Notice {
    fait: Option<String>,
}

fn notice_text(done: &str) -> Option<&'static str> {
    Some(match done {
        "rang" => "Le rang du dossier a été modifié.",
        "decision" => "La décision a été enregistrée.",
        "cloture" => "La liste est close : elle est figée jusqu'à la publication du décret.",
        "publication" => {
            "La publication est enregistrée : les dossiers retenus sont inscrits au registre des lauréats."
        }
        "reception" => "La date de réception est enregistrée.",
        _ => return None,
    })
}

/// What was typed, kept when the board is shown again after a refusal.
#[derive(Default)]
struct Typed {
    /// Field errors, named by the page's element ids.
    errors: Vec<FieldError>,
    conflict: Option<String>,
    notice: Option<&'static str>,
    decision: Option<(DossierId, String, String)>,
    publication: Option<(String, String)>,
    reception: Option<(AwardId, String)>,
}

impl Typed {
    fn error(&self, id: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|e| e.field == id)
            .map(|e| e.message.clone())
    }
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct DecideForm {
    action: String,
    decision_id: String,
    options: Vec<Choice>,
    decision_error: Option<String>,
    motivation_id: String,
    motivation: String,
    motivation_error: Option<String>,
}

#[derive(Serialize)]
struct RowView {
    id: String,
    anchor: String,
    rank: i32,
    number: String,
    name: String,
    grade: String,
    sex: &'static str,
    state: &'static str,
    decision: Option<&'static str>,
    decision_class: &'static str,
    published: bool,
    motivation: Option<String>,
    rank_action: String,
    up: bool,
    down: bool,
    decide: Option<DecideForm>,
}

#[derive(Serialize)]
struct ContingentRow {
    label: String,
    places: String,
    retained: u32,
    text: String,
    over: bool,
}

#[derive(Serialize)]
struct Input {
    id: String,
    value: String,
    error: Option<String>,
}

#[derive(Serialize)]
struct PublicationForm {
    action: String,
    decree_date: Input,
    jo_reference: Input,
}

#[derive(Serialize)]
struct ReceptionForm {
    action: String,
    input: Input,
}

#[derive(Serialize)]
struct LaureateRow {
    anchor: String,
    number: String,
    name: String,
    grade: String,
    decree: String,
    jo_reference: String,
    reception: Option<String>,
    form: Option<ReceptionForm>,
}

#[derive(Serialize)]
struct BoardView {
    campaign_id: String,
    label: String,
    promotion: String,
    notice: Option<&'static str>,
    conflict: Option<String>,
    errors: Vec<FieldError>,
    error_count: usize,
    status: String,
    open: bool,
    published: bool,
    contingents: Vec<ContingentRow>,
    women: String,
    rows: Vec<RowView>,
    actions: bool,
    undecided: u32,
    undecided_text: String,
    may_close: bool,
    close_action: String,
    publication: Option<PublicationForm>,
    laureates: Vec<LaureateRow>,
    /// The board's export page, when the agent may export it.
    export: Option<String>,
}

fn sex_label(sex: &str) -> &'static str {
    match sex.trim() {
        "F" | "f" => "Femme",
        "M" | "m" => "Homme",
        _ => "—",
    }
}

/// « chevalier » → « Chevalier » (catalogue labels are lower case, as in running text).
fn capitalized(label: &str) -> String {
    let mut chars = label.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn decision_class(decision: Option<Decision>) -> &'static str {
    match decision {
        Some(Decision::Retained) => "fr-badge fr-badge--success",
        Some(Decision::Deferred) => "fr-badge fr-badge--info",
        Some(Decision::Refused) => "fr-badge fr-badge--error",
        None => "fr-badge",
    }
}

fn row_view(board: &Board, row: &BoardRow, typed: &Typed) -> RowView {
    let id = row.dossier.id.to_string();
    let open = board.list.is_open();
    let last = i32::try_from(board.rows.len()).unwrap_or(i32::MAX);
    let decide = (open && board.rights.decide && row.decidable()).then(|| {
        let typed_here = typed
            .decision
            .as_ref()
            .filter(|(d, _, _)| *d == row.dossier.id);
        let (chosen, motivation) = match typed_here {
            Some((_, decision, motivation)) => (decision.clone(), motivation.clone()),
            None => (
                row.decision
                    .map(|d| d.as_str().to_owned())
                    .unwrap_or_default(),
                row.motivation.clone().unwrap_or_default(),
            ),
        };
        let decision_id = format!("decision-{id}");
        let motivation_id = format!("motivation-{id}");
        DecideForm {
            action: format!("/decisions/dossiers/{id}/decision"),
            options: std::iter::once(Choice {
                value: "",
                label: "— Choisir —",
                selected: chosen.is_empty(),
            })
            .chain(Decision::ALL.iter().map(|d| Choice {
                value: d.as_str(),
                label: d.label_fr(),
                selected: chosen == d.as_str(),
            }))
            .collect(),
            decision_error: typed.error(&decision_id),
            motivation_error: typed.error(&motivation_id),
            decision_id,
            motivation_id,
            motivation,
        }
    });
    let may_rank = open && board.rights.rank;
    RowView {
        anchor: format!("dossier-{id}"),
        rank: row.rank,
        number: row.dossier.number.clone().unwrap_or_default(),
        name: row.candidate.display_name_or(crate::domain::UNNAMED),
        grade: capitalized(&row.grade_label),
        sex: sex_label(&row.candidate.sex),
        state: match row.state {
            Some(DossierState::Transmitted) => "En attente de décision",
            Some(s) => s.label_fr(),
            None => "",
        },
        decision: row.decision.map(Decision::label_fr),
        decision_class: decision_class(row.decision),
        published: row.state == Some(DossierState::Published),
        motivation: row.motivation.clone(),
        rank_action: format!("/decisions/dossiers/{id}/rang"),
        up: may_rank && row.rank > 1,
        down: may_rank && row.rank < last,
        decide,
        id,
    }
}

fn laureate_row(board: &Board, row: &BoardRow, typed: &Typed) -> Option<LaureateRow> {
    let award = row.award.as_ref()?;
    let name = row.candidate.display_name_or(crate::domain::UNNAMED);
    let form = (award.reception_date.is_none() && board.rights.receive).then(|| {
        let id = format!("reception_date-{}", award.id);
        let value = typed
            .reception
            .as_ref()
            .filter(|(a, _)| *a == award.id)
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        ReceptionForm {
            action: format!("/decisions/recompenses/{}/reception", award.id),
            input: Input {
                error: typed.error(&id),
                id,
                value,
            },
        }
    });
    Some(LaureateRow {
        anchor: format!("recompense-{}", award.id),
        number: row.dossier.number.clone().unwrap_or_default(),
        name,
        grade: capitalized(&row.grade_label),
        decree: fr_date(award.decree_date),
        jo_reference: award.jo_reference.clone(),
        reception: award.reception_date.map(fr_date),
        form,
    })
}

fn board_view(board: &Board, typed: &Typed) -> BoardView {
    let campaign_id = board.campaign.id.to_string();
    let open = board.list.is_open();
    let closed = matches!(board.list, ListStatus::Closed { .. });
    let publication = (closed && board.rights.publish).then(|| {
        let (decree, jo) = typed.publication.clone().unwrap_or_default();
        PublicationForm {
            action: format!("/decisions/campagnes/{campaign_id}/publication"),
            decree_date: Input {
                id: "decree_date".to_owned(),
                value: decree,
                error: typed.error("decree_date"),
            },
            jo_reference: Input {
                id: "jo_reference".to_owned(),
                value: jo,
                error: typed.error("jo_reference"),
            },
        }
    });
    BoardView {
        label: board.campaign.label.clone(),
        promotion: fr_date(board.campaign.promotion_date),
        notice: typed.notice,
        conflict: typed.conflict.clone(),
        errors: typed.errors.clone(),
        error_count: typed.errors.len(),
        status: board.list.label_fr(),
        open,
        published: matches!(board.list, ListStatus::Published { .. }),
        contingents: board
            .grades
            .iter()
            .map(|g| ContingentRow {
                label: capitalized(&g.label),
                places: g.places.map_or_else(|| "—".to_owned(), |p| p.to_string()),
                retained: g.retained,
                text: g.text(),
                over: g.over(),
            })
            .collect(),
        women: board.women.text(),
        rows: board
            .rows
            .iter()
            .map(|r| row_view(board, r, typed))
            .collect(),
        actions: open && (board.rights.rank || board.rights.decide),
        undecided: board.undecided,
        undecided_text: tally::plural(
            board.undecided,
            "dossier transmis attend sa décision",
            "dossiers transmis attendent leur décision",
        ),
        may_close: open && board.rights.decide,
        close_action: format!("/decisions/campagnes/{campaign_id}/cloture"),
        export: (board.rights.export && !board.rows.is_empty())
            .then(|| format!("/decisions/campagnes/{campaign_id}/export")),
        publication,
        laureates: board
            .rows
            .iter()
            .filter_map(|r| laureate_row(board, r, typed))
            .collect(),
        campaign_id,
    }
}

fn render_board(
    ctx: &WebContext,
    identity: &Identity,
    board: &Board,
    typed: &Typed,
    status: StatusCode,
) -> WebResult<Response> {
    let title = format!("Décisions — {}", board.campaign.label);
    let view = board_view(board, typed);
    Ok((
        status,
        ctx.page(identity, "decisions/board", &title, &view)?,
    )
        .into_response())
}

pub(crate) async fn board(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<CampaignId>,
    Query(notice): Query<Notice>,
) -> WebResult<Response> {
    let board = domain::board(&ctx, &identity, id, ReadChannel::Page).await?;
    let typed = Typed {
        notice: notice.fait.as_deref().and_then(notice_text),
        ..Typed::default()
    };
    render_board(&ctx, &identity, &board, &typed, StatusCode::OK)
}

/// Shows the board again after a refusal for the input (422) or the list's state (409), with
/// what was typed; other refusals are the edge's error pages. `field_id` names the page's
/// element for a use case's field.
async fn refused(
    ctx: &WebContext,
    identity: &Identity,
    campaign: CampaignId,
    error: ActionError,
    mut typed: Typed,
    field_id: impl Fn(&str) -> String,
) -> WebResult<Response> {
    let status = match error {
        ActionError::Invalid(errors) => {
            typed.errors = errors
                .into_iter()
                .map(|e| FieldError::new(field_id(&e.field), e.message))
                .collect();
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ActionError::Conflict(c) => {
            typed.conflict = Some(c.message());
            StatusCode::CONFLICT
        }
        other => return Err(other.into()),
    };
    let board = domain::board(ctx, identity, campaign, ReadChannel::Page).await?;
    render_board(ctx, identity, &board, &typed, status)
}

fn back(campaign: CampaignId, done: &str, anchor: Option<String>) -> Response {
    let anchor = anchor.map(|a| format!("#{a}")).unwrap_or_default();
    Redirect::to(&format!("{}?fait={done}{anchor}", board_href(campaign))).into_response()
}

/// Shows the board of the dossier's campaign again after a refusal for the input (422) or the
/// list's state (409) of a form about that dossier, as [`refused`] does; any other refusal is
/// the edge's error page, without looking the campaign up.
async fn refused_on_dossier(
    ctx: &WebContext,
    identity: &Identity,
    dossier: DossierId,
    error: ActionError,
    typed: Typed,
    field_id: impl Fn(&str) -> String,
) -> WebResult<Response> {
    if !matches!(error, ActionError::Invalid(_) | ActionError::Conflict(_)) {
        return Err(error.into());
    }
    let campaign = domain::campaign_of_dossier(ctx, identity, dossier).await?;
    refused(ctx, identity, campaign, error, typed, field_id).await
}

pub(crate) async fn rank(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
    Form(form): Form<RankInput>,
) -> WebResult<Response> {
    match domain::rank(&ctx, &identity, id, &form.direction).await {
        Ok(r) => Ok(back(r.campaign_id, "rang", Some(format!("dossier-{id}")))),
        Err(e) => refused_on_dossier(&ctx, &identity, id, e, Typed::default(), str::to_owned).await,
    }
}

pub(crate) async fn decide(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<DossierId>,
    Form(form): Form<DecideInput>,
) -> WebResult<Response> {
    let (decision, motivation) = (form.decision.as_str(), form.motivation.as_str());
    match domain::decide(&ctx, &identity, id, decision, motivation).await {
        Ok(d) => Ok(back(
            d.campaign_id,
            "decision",
            Some(format!("dossier-{id}")),
        )),
        Err(e) => {
            let typed = Typed {
                decision: Some((id, decision.to_owned(), motivation.to_owned())),
                ..Typed::default()
            };
            refused_on_dossier(&ctx, &identity, id, e, typed, |field| {
                format!("{field}-{id}")
            })
            .await
        }
    }
}

pub(crate) async fn close(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<CampaignId>,
) -> WebResult<Response> {
    match domain::close(&ctx, &identity, id).await {
        Ok(c) => Ok(back(c.campaign_id, "cloture", None)),
        Err(e) => refused(&ctx, &identity, id, e, Typed::default(), str::to_owned).await,
    }
}

pub(crate) async fn publish(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<CampaignId>,
    Form(form): Form<PublishInput>,
) -> WebResult<Response> {
    let (decree, jo) = (form.decree_date.as_str(), form.jo_reference.as_str());
    match domain::publish(&ctx, &identity, id, decree, jo).await {
        Ok(p) => Ok(back(
            p.campaign_id,
            "publication",
            Some("laureats".to_owned()),
        )),
        Err(e) => {
            let typed = Typed {
                publication: Some((decree.to_owned(), jo.to_owned())),
                ..Typed::default()
            };
            refused(&ctx, &identity, id, e, typed, str::to_owned).await
        }
    }
}

pub(crate) async fn receive(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<AwardId>,
    Form(form): Form<ReceiveInput>,
) -> WebResult<Response> {
    let date = form.reception_date.as_str();
    match domain::receive(&ctx, &identity, id, date).await {
        Ok(r) => Ok(match r.campaign_id {
            Some(c) => back(c, "reception", Some(format!("recompense-{id}"))),
            None => Redirect::to("/decisions/campagnes").into_response(),
        }),
        Err(e @ (ActionError::Invalid(_) | ActionError::Conflict(_))) => {
            let Some(campaign) = domain::campaign_of_award(&ctx, &identity, id).await? else {
                return Err(e.into());
            };
            let typed = Typed {
                reception: Some((id, date.to_owned())),
                ..Typed::default()
            };
            refused(&ctx, &identity, campaign, e, typed, |field| {
                format!("{field}-{id}")
            })
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_for_the_page() {
        assert_eq!(capitalized("grand officier"), "Grand officier");
        assert_eq!(capitalized("élève"), "Élève");
        assert_eq!(capitalized(""), "");
        assert_eq!(sex_label("F"), "Femme");
        assert_eq!(sex_label(" M"), "Homme");
        assert_eq!(sex_label(""), "—");
        assert_eq!(
            notice_text("cloture").map(|t| t.starts_with("La liste est close")),
            Some(true)
        );
        assert_eq!(notice_text("<script>"), None);
    }
}
