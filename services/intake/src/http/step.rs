//! The multi-step nomination form: each step's page built from the form's named field table
//! (`napoleon_rules::content::form`), saving what was typed whatever its validity, checking
//! the step on « Continuer », and submission from the last step.

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_db::readlog::ReadChannel;
use napoleon_identity::Identity;
use napoleon_kernel::DossierId;
use napoleon_rules::content::form::{self, FormField};
use napoleon_rules::content::{self, CareerPeriod, Content, HeldDistinction, Step};
use napoleon_web::{
    ActionError, Conflict, FieldError, FormFields, Group, IdPaths, WebContext, WebError, WebResult,
};

use super::Notice;
use super::step_view::step_view;
use crate::domain;

/// The career step's repeated rows (`career-0-from`…).
pub(super) const CAREER: Group = Group {
    prefix: "career",
    fields: &[
        form::CAREER_FROM.name,
        form::CAREER_TO.name,
        form::CAREER_KIND.name,
        form::CAREER_POSITION.name,
    ],
    max_rows: content::MAX_CAREER_PERIODS,
    label: "Carrière",
    rows_noun: "périodes",
};

/// The distinctions step's repeated rows (`distinctions-0-grade`…).
pub(super) const DISTINCTIONS: Group = Group {
    prefix: "distinctions",
    fields: &[
        form::HELD_DISTINCTION.name,
        form::HELD_GRADE.name,
        form::HELD_DECREED_ON.name,
        form::HELD_RECEIVED_ON.name,
    ],
    max_rows: content::MAX_HELD_DISTINCTIONS,
    label: "Distinctions détenues",
    rows_noun: "distinctions",
};

/// What a step's page reads besides the dossier: the last step shows its possible duplicates
/// (a draft's: no other ministry is asked about it).
pub(super) fn extras_for(step: Step) -> domain::Extras {
    if step == Step::Review {
        domain::Extras::Duplicates
    } else {
        domain::Extras::Nothing
    }
}

pub(crate) async fn step(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPaths(id, n): IdPaths<DossierId, usize>,
    Query(notice): Query<Notice>,
) -> WebResult<Response> {
    let step = Step::from_number(n).ok_or(WebError::NotFound)?;
    let review = domain::review_with(
        &ctx,
        &identity,
        id,
        Some(ReadChannel::Page),
        extras_for(step),
    )
    .await?;
    if step == Step::Pieces {
        return render_pieces(&ctx, &identity, &review, Vec::new(), &notice);
    }
    render_step(
        &ctx,
        &identity,
        &review,
        step,
        Vec::new(),
        notice.enregistre.is_some(),
    )
}

/// The « Pièces jointes » step, with what the last upload or removal did.
fn render_pieces(
    ctx: &WebContext,
    identity: &Identity,
    review: &domain::Review,
    errors: Vec<FieldError>,
    notice: &Notice,
) -> WebResult<Response> {
    let title = format!("Dossier — {}", Step::Pieces.title());
    let mut view = step_view(review, Step::Pieces, errors, false);
    view.pieces_notice = notice.pieces_message();
    Ok(ctx
        .page_at_section(
            identity,
            "intake/step",
            &title,
            &view,
            "redacteur#etape-pieces",
        )?
        .into_response())
}

/// The step shown again after a refused upload or removal (422), each refusal named.
pub(super) async fn refused_on_step(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    step: Step,
    errors: Vec<FieldError>,
) -> WebResult<Response> {
    let review = domain::review(ctx, identity, id, Some(ReadChannel::Page)).await?;
    let mut page = if step == Step::Pieces {
        render_pieces(ctx, identity, &review, errors, &Notice::default())?
    } else {
        render_step(ctx, identity, &review, step, errors, false)?
    };
    *page.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(page)
}

fn render_step(
    ctx: &WebContext,
    identity: &Identity,
    review: &domain::Review,
    step: Step,
    errors: Vec<FieldError>,
    saved: bool,
) -> WebResult<Response> {
    // At the last step, show what submission would refuse (with links to the steps).
    let errors = if step == Step::Review && errors.is_empty() && review.may_edit {
        review.errors.clone()
    } else {
        errors
    };
    let title = format!("Dossier — {}", step.title());
    let view = step_view(review, step, errors, saved);
    // Each step's « Aide » leads to its own section of the rédacteur's guide.
    let help = match step {
        Step::Candidate => "redacteur#etape-candidat",
        Step::Career => "redacteur#etape-carriere",
        Step::Distinctions => "redacteur#etape-distinctions",
        Step::Proposal => "redacteur#etape-proposition",
        Step::Pieces => "redacteur#etape-pieces",
        Step::Review => "redacteur#etape-verification",
    };
    Ok(ctx
        .page_at_section(identity, "intake/step", &title, &view, help)?
        .into_response())
}

/// Folds the step's form fields into the stored content (other steps' fields are kept).
/// Repeated rows are the rows actually posted, in index order.
///
/// # Errors
/// A 422 naming the group when a row's name is malformed or beyond the group's maximum.
fn merge(content: &mut Content, step: Step, pairs: &FormFields) -> WebResult<()> {
    match step {
        Step::Candidate => {
            let c = &mut content.candidate;
            let typed = |spec: FormField| pairs.get(spec.name).to_owned();
            c.birth_name = typed(form::BIRTH_NAME);
            c.usual_name = typed(form::USUAL_NAME);
            c.given_names = typed(form::GIVEN_NAMES);
            c.sex = typed(form::SEX);
            c.birth_date = typed(form::BIRTH_DATE);
            c.birth_place = typed(form::BIRTH_PLACE);
            c.nationality = typed(form::NATIONALITY).trim().to_uppercase();
            c.french_since = typed(form::FRENCH_SINCE);
            c.residence_department = typed(form::RESIDENCE_DEPARTMENT).trim().to_uppercase();
        }
        Step::Career => {
            content.career = pairs
                .rows(&CAREER)?
                .iter()
                .map(|row| CareerPeriod {
                    from: row.get(form::CAREER_FROM.name).to_owned(),
                    to: row.get(form::CAREER_TO.name).to_owned(),
                    kind: row.get(form::CAREER_KIND.name).to_owned(),
                    position: row.get(form::CAREER_POSITION.name).to_owned(),
                })
                .collect();
            while content.career.len() > 1
                && content.career.last() == Some(&CareerPeriod::default())
            {
                content.career.pop();
            }
        }
        Step::Distinctions => {
            content.distinctions = pairs
                .rows(&DISTINCTIONS)?
                .iter()
                .map(|row| HeldDistinction {
                    distinction: row.get(form::HELD_DISTINCTION.name).to_owned(),
                    grade: row.get(form::HELD_GRADE.name).to_owned(),
                    decreed_on: row.get(form::HELD_DECREED_ON.name).to_owned(),
                    received_on: row.get(form::HELD_RECEIVED_ON.name).to_owned(),
                })
                .filter(|x| *x != HeldDistinction::default())
                .collect();
        }
        Step::Proposal => {
            content.motifs = pairs.get(form::MOTIFS.name).to_owned();
            content.criminal_record_issued_on = pairs.get(form::CRIMINAL_RECORD.name).to_owned();
        }
        Step::Pieces | Step::Review => {}
    }
    Ok(())
}

pub(crate) async fn save_step(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPaths(id, n): IdPaths<DossierId, usize>,
    pairs: FormFields,
) -> WebResult<Response> {
    let step = Step::from_number(n).ok_or(WebError::NotFound)?;
    let action = pairs.get("_action").to_owned();
    // A refused submission shows the last step again, its possible duplicates with it.
    let current = domain::review_with(&ctx, &identity, id, None, extras_for(step)).await?;
    if !current.may_edit {
        return Err(ActionError::from(Conflict::NotEditable {
            state: current.dossier.state,
        })
        .into());
    }
    if step == Step::Review {
        return submit_from(&ctx, &identity, id, current).await;
    }
    if step == Step::Pieces {
        // Nothing to save here (each piece is attached by its own form): « Continuer » only
        // says which required pieces are still missing.
        let missing = domain::missing(&current.requirements, &current.pieces);
        return if missing.is_empty() || action != "continuer" {
            Ok(Redirect::to(&format!("/intake/dossiers/{id}/etape/{}", n + 1)).into_response())
        } else {
            refused_on_step(&ctx, &identity, id, step, missing).await
        };
    }
    let mut content = current.dossier.content.expose().clone();
    // A malformed row name is a 422 and changes nothing (no page sends one).
    merge(&mut content, step, &pairs)?;
    // Adding a row beyond the group's maximum is refused on the page; the rest is saved.
    let mut refused_row = None;
    match action.as_str() {
        "ajouter-periode" if content.career.len() < CAREER.max_rows => {
            content.career.push(CareerPeriod::default());
        }
        "ajouter-distinction" if content.distinctions.len() < DISTINCTIONS.max_rows => {
            content.distinctions.push(HeldDistinction::default());
        }
        "ajouter-periode" => {
            refused_row = Some(FieldError::new("career", CAREER.too_many_rows()));
        }
        "ajouter-distinction" => {
            refused_row = Some(FieldError::new(
                "distinctions",
                DISTINCTIONS.too_many_rows(),
            ));
        }
        _ => {}
    }
    // A grade left on « — Choisir — » keeps the previous one: the rest is saved all the same,
    // and « Continuer » says what is missing.
    let typed_grade = (step == Step::Proposal).then(|| pairs.get(form::TARGET_GRADE.name).trim());
    let grade = typed_grade.filter(|g| napoleon_rules::GradeCode::parse(g).is_ok());
    // Saved first, whatever its validity: nothing typed is lost. Only content out of its hard
    // bounds (fields longer than any real value) is refused; the page then shows what was
    // typed with the errors.
    // The version the page was showing (a page always sends it; without it the save is
    // treated as coming from an older page).
    let version = pairs.get("version").trim().parse::<i32>().unwrap_or(0);
    match domain::save(&ctx, &identity, id, Ok(version), grade, &content).await {
        Ok(()) => {}
        Err(ActionError::Conflict(Conflict::Stale)) => {
            // Someone saved in between: show their version's number with what this agent
            // typed, and say so; sending again replaces the other save knowingly.
            let mut typed = current;
            typed.dossier.content = napoleon_kernel::Personal::new(content);
            typed.dossier.version = domain::review(&ctx, &identity, id, None)
                .await?
                .dossier
                .version;
            let stale = FieldError::new("version", Conflict::Stale.message());
            let mut page = render_step(&ctx, &identity, &typed, step, vec![stale], false)?;
            *page.status_mut() = axum::http::StatusCode::CONFLICT;
            return Ok(page);
        }
        Err(ActionError::Invalid(errors)) => {
            let mut typed = current;
            typed.dossier.content = napoleon_kernel::Personal::new(content);
            let mut page = render_step(&ctx, &identity, &typed, step, errors, false)?;
            *page.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(page);
        }
        Err(e) => return Err(e.into()),
    }
    let here = format!("/intake/dossiers/{id}/etape/{n}");
    if let Some(refusal) = refused_row {
        let review = domain::review(&ctx, &identity, id, Some(ReadChannel::Page)).await?;
        return render_step(&ctx, &identity, &review, step, vec![refusal], true);
    }
    match action.as_str() {
        "continuer" => {
            let mut errors = domain::fields(content::check_step(&content, step, ctx.today()));
            if typed_grade.is_some() && grade.is_none() {
                errors.insert(
                    0,
                    FieldError::new("target_grade", "Grade proposé : choisissez un grade."),
                );
            }
            if errors.is_empty() {
                Ok(Redirect::to(&format!("/intake/dossiers/{id}/etape/{}", n + 1)).into_response())
            } else {
                let review = domain::review(&ctx, &identity, id, Some(ReadChannel::Page)).await?;
                render_step(&ctx, &identity, &review, step, errors, true)
            }
        }
        "ajouter-periode" | "ajouter-distinction" => Ok(Redirect::to(&here).into_response()),
        _ => Ok(Redirect::to(&format!("{here}?enregistre=1")).into_response()),
    }
}

async fn submit_from(
    ctx: &WebContext,
    identity: &Identity,
    id: DossierId,
    current: domain::Review,
) -> WebResult<Response> {
    match domain::submit(ctx, identity, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/intake/dossiers/{id}/recepisse")).into_response()),
        Err(ActionError::Invalid(errors)) => {
            render_step(ctx, identity, &current, Step::Review, errors, false)
        }
        Err(ActionError::Conflict(c)) => render_step(
            ctx,
            identity,
            &current,
            Step::Review,
            vec![FieldError::new("depot", c.message())],
            false,
        ),
        Err(e) => Err(e.into()),
    }
}
