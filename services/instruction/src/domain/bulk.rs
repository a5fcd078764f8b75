//! Moves on several dossiers at once (issue 18, Build 5): the rows ticked on the queue or the
//! search's results, taken or validated and transmitted one by one. Each row is the single
//! move itself ([`super::take`], [`super::transmit`]): its own transaction, its own
//! permission at the dossier's level, state and four-eyes checks, its own journal event. A row
//! refused leaves the others as they go; the report says, row by row, what was done and why
//! the rest was not. A technical failure stops the batch where it happened: the rows after it
//! are reported as not attempted, never as refused.

use napoleon_db::readlog::{ReadChannel, ReadSubject};
use napoleon_identity::Identity;
use napoleon_kernel::DossierId;
use napoleon_web::{ActionError, ActionResult, FieldError, FormFields, WebContext};

/// The most rows one action takes (a page of the queue or of the search holds 50).
pub(crate) const MAX_SELECTED: usize = 100;

/// A move applied to the selection. Its names ([`as_str`](Self::as_str)) are the form's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BulkMove {
    /// Take each dossier at its level (the instructeur's).
    Take,
    /// Validate each dossier's level and transmit it to the bureau (the valideur's).
    Transmit,
}

impl BulkMove {
    /// The form's name.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Take => "prendre",
            Self::Transmit => "transmettre",
        }
    }

    /// The move of a form's name, exactly as written.
    fn parse(s: &str) -> Option<Self> {
        [Self::Take, Self::Transmit]
            .into_iter()
            .find(|m| m.as_str() == s)
    }

    /// What the report calls the action.
    pub(crate) const fn label_fr(self) -> &'static str {
        match self {
            Self::Take => "Prise en charge",
            Self::Transmit => "Validation et transmission au bureau",
        }
    }

    /// What a row done says.
    pub(crate) const fn done_fr(self) -> &'static str {
        match self {
            Self::Take => "Pris en charge",
            Self::Transmit => "Validé et transmis",
        }
    }
}

/// The form's checkbox of a dossier: `choix-<id>`.
pub(crate) const CHOICE_PREFIX: &str = "choix-";

/// The ticked rows and the action, parsed.
#[derive(Debug)]
pub(crate) struct Selection {
    pub(crate) action: BulkMove,
    /// In the page's order, each once.
    pub(crate) ids: Vec<DossierId>,
}

/// Where the report links back to: the list the rows were ticked on, when the form names one
/// of instruction's lists (anything else is the queue: never an address from elsewhere).
pub(crate) fn back_to(form: &FormFields) -> String {
    let asked = form.get("retour");
    let ours = ["/instruction/dossiers", "/instruction/recherche"]
        .iter()
        .any(|list| asked == *list || asked.starts_with(&format!("{list}?")));
    if ours && asked.len() <= 2_000 && !asked.chars().any(char::is_control) {
        asked.to_owned()
    } else {
        "/instruction/dossiers".to_owned()
    }
}

/// The form's action that exports the ticked rows (not a move: their export's page).
pub(crate) const EXPORT: &str = "exporter";

/// Parses the form: the action, and the ticked dossiers (at least one, at most
/// [`MAX_SELECTED`]); each refusal names its field in French.
pub(crate) fn parse(form: &FormFields) -> Result<Selection, Vec<FieldError>> {
    let action = BulkMove::parse(form.get("action"));
    let mut errors = Vec::new();
    if action.is_none() {
        errors.push(FieldError::new(
            "action",
            "Action : choisissez « Prendre en charge » ou « Valider et transmettre ».",
        ));
    }
    let ids = parse_rows(form).unwrap_or_else(|refused| {
        errors.extend(refused);
        Vec::new()
    });
    match action {
        Some(action) if errors.is_empty() => Ok(Selection { action, ids }),
        _ => Err(errors),
    }
}

/// The ticked dossiers (at least one, at most [`MAX_SELECTED`]), each once in the page's
/// order; a refusal names the selection in French.
pub(crate) fn parse_rows(form: &FormFields) -> Result<Vec<DossierId>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut ids: Vec<DossierId> = Vec::new();
    let mut malformed = false;
    for (id, _) in form.with_prefix(CHOICE_PREFIX) {
        // Past the most a selection holds, nothing more is read.
        if ids.len() > MAX_SELECTED {
            break;
        }
        match id.parse::<DossierId>() {
            Ok(id) if !ids.contains(&id) => ids.push(id),
            Ok(_) => {}
            Err(_) => malformed = true,
        }
    }
    if malformed {
        errors.push(FieldError::new(
            "selection",
            "Sélection : un dossier coché n'est pas reconnu ; rechargez la liste et \
             recommencez.",
        ));
    } else if ids.is_empty() {
        errors.push(FieldError::new(
            "selection",
            "Sélection : cochez au moins un dossier.",
        ));
    } else if ids.len() > MAX_SELECTED {
        errors.push(FieldError::new(
            "selection",
            format!("Sélection : {MAX_SELECTED} dossiers au plus à la fois."),
        ));
    }
    if errors.is_empty() {
        Ok(ids)
    } else {
        Err(errors)
    }
}

/// What became of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RowResult {
    Done,
    /// Refused, and why (French).
    Refused(String),
    /// Not attempted: the batch stopped on a technical failure before it.
    NotAttempted,
    /// The technical failure itself.
    Failed,
}

/// One row of the report: the dossier as the agent may see it (its number and candidate,
/// `None` when the agent may not read it, or it does not exist).
#[derive(Debug)]
pub(crate) struct RowOutcome {
    pub(crate) id: DossierId,
    pub(crate) shown: Option<(String, String)>,
    pub(crate) result: RowResult,
}

/// Why a row was refused, in French.
fn reason(e: &ActionError) -> String {
    match e {
        ActionError::NotFound => {
            "Ce dossier n'existe pas ou n'est pas dans votre périmètre.".to_owned()
        }
        ActionError::Forbidden => {
            "Vos rôles ne permettent pas cette action sur ce dossier, à l'étape où il se trouve."
                .to_owned()
        }
        ActionError::Conflict(c) => c.message(),
        ActionError::Invalid(fields) => fields
            .iter()
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        ActionError::Web(_) => "Erreur technique.".to_owned(),
    }
}

/// Applies `selection`'s move to each dossier in turn, then reads what the report shows of
/// them (each row the agent may read is recorded as read).
///
/// # Errors
/// [`ActionError::Web`] when the report's reading fails (the moves done stay done, each
/// journaled).
pub(crate) async fn apply(
    ctx: &WebContext,
    identity: &Identity,
    selection: &Selection,
) -> ActionResult<Vec<RowOutcome>> {
    let mut results = Vec::with_capacity(selection.ids.len());
    let mut stopped = false;
    for &id in &selection.ids {
        if stopped {
            results.push((id, RowResult::NotAttempted));
            continue;
        }
        let moved = match selection.action {
            BulkMove::Take => super::take(ctx, identity, id).await,
            BulkMove::Transmit => super::transmit(ctx, identity, id).await,
        };
        let result = match moved {
            Ok(()) => RowResult::Done,
            Err(ActionError::Web(e)) => {
                tracing::error!(error.detail = %e, "bulk move stopped");
                stopped = true;
                RowResult::Failed
            }
            Err(e) => RowResult::Refused(reason(&e)),
        };
        results.push((id, result));
    }
    // What the report shows of each row: its number and candidate, when readable.
    let (mut tx, access) = ctx.begin(identity).await?;
    let mut outcomes = Vec::with_capacity(results.len());
    let mut shown_ids = Vec::new();
    for (id, result) in results {
        let shown = match napoleon_web::readable_dossier(&mut tx, &access, id).await {
            Ok((dossier, _)) => {
                shown_ids.push(ReadSubject::Dossier(id));
                Some((
                    dossier.number.clone().unwrap_or_default(),
                    napoleon_rules::content::Candidate::of_content(dossier.content.expose())
                        .display_name(),
                ))
            }
            Err(ActionError::NotFound | ActionError::Forbidden) => None,
            Err(e) => return Err(e),
        };
        // A dossier the agent may not read is « unknown » whatever the move answered (a
        // 403 of the move would tell that it exists in the ministry).
        let result = match result {
            RowResult::Refused(_) if shown.is_none() => {
                RowResult::Refused(reason(&ActionError::NotFound))
            }
            other => other,
        };
        outcomes.push(RowOutcome { id, shown, result });
    }
    napoleon_web::end_reads(tx, identity, &shown_ids, ReadChannel::Page).await?;
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> FormFields {
        FormFields::parse(body.as_bytes()).unwrap_or_default()
    }

    #[test]
    fn a_selection_names_its_action_and_ticked_rows_once_each() {
        let (a, b) = (DossierId::new(), DossierId::new());
        let parsed = parse(&form(&format!(
            "action=prendre&choix-{a}=1&choix-{b}=1&choix-{a}=1&_csrf=x"
        )));
        let Ok(selection) = parsed else {
            unreachable!("{parsed:?}")
        };
        assert_eq!(selection.action, BulkMove::Take);
        assert_eq!(selection.ids, [a, b]);
    }

    #[test]
    fn a_refused_selection_names_each_field_in_french() {
        let Err(errors) = parse(&form("action=supprimer")) else {
            unreachable!()
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["action", "selection"]);
        assert!(errors[1].message.contains("cochez au moins un dossier"));
        let Err(errors) = parse(&form("action=transmettre&choix-nope=1")) else {
            unreachable!()
        };
        assert!(errors[0].message.contains("n'est pas reconnu"));
        let many: String = (0..=MAX_SELECTED)
            .map(|_| format!("&choix-{}=1", DossierId::new()))
            .collect();
        let Err(errors) = parse(&form(&format!("action=transmettre{many}"))) else {
            unreachable!()
        };
        assert!(errors[0].message.contains("100 dossiers au plus"));
    }

    #[test]
    fn the_report_links_back_only_to_instructions_lists() {
        for (asked, back) in [
            (
                "/instruction/recherche?nom=lef",
                "/instruction/recherche?nom=lef",
            ),
            (
                "/instruction/dossiers?onglet=suivis",
                "/instruction/dossiers?onglet=suivis",
            ),
            ("https://ailleurs.example/", "/instruction/dossiers"),
            ("//ailleurs.example/", "/instruction/dossiers"),
            ("/instruction/dossiersx", "/instruction/dossiers"),
        ] {
            let encoded: String = url_encode(asked);
            assert_eq!(back_to(&form(&format!("retour={encoded}"))), back);
        }
    }

    fn url_encode(s: &str) -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }
}
