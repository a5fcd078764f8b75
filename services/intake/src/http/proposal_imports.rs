//! The proposals' import pages: the form and the unit's latest files
//! (`/intake/propositions/import`), the template, a file's report
//! (`/intake/propositions/import/{id}`: its refused rows and its rows' drafts), the report as
//! CSV, and importing a checked file. A refused file is said on the form (422), the campaign
//! and unit chosen kept.

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_identity::Identity;
use napoleon_kernel::ProposalImportId;
use napoleon_rules::fr_date;
use napoleon_tabular::columns::problems_csv;
use napoleon_web::upload::ImportMode;
use napoleon_web::{ActionError, IdPath, WebContext, WebResult};
use serde::Serialize;

use super::Choice;
use crate::domain::proposal_import::{
    self as domain, ImportForm, MAX_FILE_BYTES, MAX_ROWS, Outcome,
};

/// Refused rows shown on the report's page (all of them in its CSV).
const SHOWN_PROBLEMS: usize = 200;

#[derive(Serialize)]
struct Column {
    header: String,
    required: bool,
    help: &'static str,
}

#[derive(Serialize)]
struct FileRow {
    href: String,
    file_name: String,
    sent: String,
    mode: &'static str,
    summary: String,
}

#[derive(Serialize)]
struct ImportsView {
    campaigns: Vec<Choice>,
    units: Vec<Choice>,
    several_units: bool,
    files: Vec<FileRow>,
    columns: Vec<Column>,
    max_mb: u64,
    max_rows: u64,
    error: Option<String>,
}

fn summary(tally: &crate::store::proposal_imports::Tally, mode: ImportMode) -> String {
    match mode {
        ImportMode::Check => format!(
            "{} ligne(s) : {} valide(s), {} refusée(s)",
            tally.rows,
            tally.valid(),
            tally.rejected
        ),
        ImportMode::Import => format!(
            "{} brouillon(s) créé(s), {} déjà importée(s), {} ligne(s) refusée(s)",
            tally.created, tally.existing, tally.rejected
        ),
    }
}

fn report_href(id: ProposalImportId) -> String {
    format!("/intake/propositions/import/{id}")
}

async fn render(
    ctx: &WebContext,
    identity: &Identity,
    chosen: (&str, &str),
    error: Option<String>,
) -> WebResult<Response> {
    let page = domain::page(ctx, identity).await?;
    let view = ImportsView {
        campaigns: page
            .campaigns
            .iter()
            .map(|c| Choice {
                value: c.id.to_string(),
                label: c.label.clone(),
                selected: c.id.to_string() == chosen.0,
            })
            .collect(),
        several_units: page.units.len() > 1,
        units: page
            .units
            .iter()
            .map(|(id, name)| Choice {
                value: id.to_string(),
                label: name.clone(),
                selected: id.to_string() == chosen.1,
            })
            .collect(),
        files: page
            .latest
            .iter()
            .map(|r| FileRow {
                href: report_href(r.id),
                file_name: r.file_name.clone(),
                sent: fr_date(napoleon_kernel::paris_date(r.created_at)),
                mode: match r.mode {
                    ImportMode::Check => "Vérification",
                    ImportMode::Import => "Import",
                },
                summary: summary(&r.tally, r.mode),
            })
            .collect(),
        columns: domain::column_help()
            .into_iter()
            .map(|(header, required, help)| Column {
                header,
                required,
                help,
            })
            .collect(),
        max_mb: MAX_FILE_BYTES / 1_000_000,
        max_rows: MAX_ROWS,
        error,
    };
    let status = if view.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        ctx.page(
            identity,
            "intake/proposal_imports",
            "Import de propositions",
            &view,
        )?,
    )
        .into_response())
}

/// `GET /intake/propositions/import`.
pub(crate) async fn imports(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
) -> WebResult<Response> {
    render(&ctx, &identity, ("", ""), None).await
}

/// `GET /intake/propositions/import/modele.csv`: the template.
pub(crate) async fn template(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
) -> WebResult<Response> {
    domain::page(&ctx, &identity).await?;
    Ok(napoleon_web::attachment(
        domain::template_csv().into_bytes().into(),
        "text/csv; charset=utf-8",
        "modele-import-propositions.csv",
        "csv",
    ))
}

/// `POST /intake/propositions/import`: the file checked or imported, then its report; a
/// refusal is said on the form (422).
pub(crate) async fn send(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    body: Body,
) -> WebResult<Response> {
    // Refused before the body when the agent files nowhere.
    domain::page(&ctx, &identity).await?;
    let form = match napoleon_web::upload::file_form(
        &headers,
        body,
        "fichier",
        MAX_FILE_BYTES,
        &["mode", "campagne", "unite"],
        &format!(
            "Fichier : {} Mo au plus ; répartissez les propositions en plusieurs fichiers.",
            MAX_FILE_BYTES / 1_000_000
        ),
    )
    .await
    {
        Ok(form) => form,
        Err(message) => return render(&ctx, &identity, ("", ""), Some(message)).await,
    };
    let (campaign, unit) = (
        form.field("campagne").to_owned(),
        form.field("unite").to_owned(),
    );
    let Some(mode) = ImportMode::parse(form.field("mode")) else {
        let message = "Choisissez « Vérifier le fichier » ou « Importer ».".to_owned();
        return render(&ctx, &identity, (&campaign, &unit), Some(message)).await;
    };
    let sent = ImportForm {
        mode,
        campaign: campaign.clone(),
        unit: unit.clone(),
        file_name: form.file_name,
        bytes: form.bytes,
    };
    match domain::send(&ctx, &identity, sent).await {
        Ok(id) => Ok(Redirect::to(&report_href(id)).into_response()),
        Err(ActionError::Invalid(errors)) => {
            let message = errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join(" ");
            render(
                &ctx,
                &identity,
                (&campaign, &unit),
                Some(format!(
                    "{message} Choisissez de nouveau le fichier à envoyer."
                )),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Serialize)]
struct ProblemRow {
    line: u64,
    column: String,
    value: String,
    reason: String,
}

#[derive(Serialize)]
struct OutcomeRow {
    line: u64,
    name: String,
    href: Option<String>,
    status: String,
    verdict: &'static str,
    to_complete: String,
    duplicates: String,
    /// The draft's last step, where its possible duplicates are listed.
    duplicates_href: Option<String>,
}

#[derive(Serialize)]
struct ReportView {
    title: &'static str,
    file_name: String,
    campaign: String,
    check: bool,
    summary: Vec<String>,
    problems: Vec<ProblemRow>,
    more_problems: usize,
    outcomes: Vec<OutcomeRow>,
    csv_href: Option<String>,
    import_href: Option<String>,
    imported_href: Option<String>,
}

fn verdict_label(code: &str) -> &'static str {
    match code {
        "eligible" => "Conditions remplies",
        "warning" => "Conditions remplies, points d'attention",
        "ineligible" => "Conditions non remplies",
        _ => "À établir (dossier incomplet)",
    }
}

fn outcome_row(
    o: &Outcome,
    check: bool,
    drafts: &[crate::store::proposal_imports::Listed],
) -> OutcomeRow {
    let draft = o.dossier.and_then(|id| drafts.iter().find(|d| d.id == id));
    OutcomeRow {
        line: o.line,
        name: draft.map_or_else(|| o.name.clone(), |d| d.content.expose().display_name()),
        href: draft.map(|d| format!("/intake/dossiers/{}/etape/1", d.id)),
        status: match (o.existing, check, draft) {
            (true, _, Some(d)) => format!("Déjà importée ({})", d.state.label_fr()),
            (true, _, None) => "Déjà importée".to_owned(),
            (false, true, _) => "Sera créée en brouillon".to_owned(),
            (false, false, _) => "Brouillon créé".to_owned(),
        },
        verdict: verdict_label(&o.verdict),
        to_complete: if o.to_complete.is_empty() {
            "Rien".to_owned()
        } else {
            o.to_complete.join(", ")
        },
        duplicates: match o.duplicates {
            None if check => "Recherchés à l'import".to_owned(),
            None | Some(0) => "Aucun".to_owned(),
            Some(n) => format!("{n} doublon(s) possible(s)"),
        },
        duplicates_href: draft
            .filter(|_| o.duplicates.is_some_and(|n| n > 0))
            .map(|d| {
                format!(
                    "/intake/dossiers/{}/etape/{}#doublons",
                    d.id,
                    napoleon_rules::content::Step::Review.number()
                )
            }),
    }
}

/// `GET /intake/propositions/import/{id}`: a file's report.
pub(crate) async fn report(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<ProposalImportId>,
) -> WebResult<Response> {
    let report = domain::report(&ctx, &identity, id).await?;
    let record = &report.record;
    let check = record.mode == ImportMode::Check;
    let t = &record.tally;
    let mut summary = vec![
        format!("Fichier lu : {}.", report.detected),
        format!(
            "{} ligne(s) lue(s) : {} valide(s), {} refusée(s).",
            t.rows,
            t.valid(),
            t.rejected
        ),
    ];
    if report.detected.is_empty() {
        summary = vec![
            "Traitement interrompu avant sa fin : envoyez de nouveau le même fichier ; les lignes déjà importées seront reconnues et rien ne sera créé deux fois.".to_owned(),
        ];
    } else if check {
        summary.push(format!(
            "Vérification seule : aucun dossier n'a été créé. {} ligne(s) déjà importée(s) pour cette campagne.",
            t.existing
        ));
    } else {
        summary.push(format!(
            "{} brouillon(s) créé(s), {} ligne(s) déjà importée(s) (rien d'ajouté pour elles). Aucun dossier n'est déposé : vérifiez et déposez chacun.",
            t.created, t.existing
        ));
    }
    let view = ReportView {
        title: if check {
            "Vérification du fichier de propositions"
        } else {
            "Import de propositions"
        },
        file_name: record.file_name.clone(),
        campaign: report.campaign.clone(),
        check,
        summary,
        more_problems: report.problems.len().saturating_sub(SHOWN_PROBLEMS),
        problems: report
            .problems
            .iter()
            .take(SHOWN_PROBLEMS)
            .map(|p| ProblemRow {
                line: p.line,
                column: p.column.clone(),
                value: p.value.clone(),
                reason: p.reason.clone(),
            })
            .collect(),
        outcomes: report
            .outcomes
            .iter()
            .map(|o| outcome_row(o, check, &report.drafts))
            .collect(),
        csv_href: (!report.problems.is_empty()).then(|| format!("{}/rapport.csv", report_href(id))),
        import_href: (check && record.imported_as.is_none() && t.valid() > t.existing)
            .then(|| format!("{}/importer", report_href(id))),
        imported_href: record.imported_as.map(report_href),
    };
    Ok(ctx
        .page(&identity, "intake/proposal_import", view.title, &view)?
        .into_response())
}

/// `GET /intake/propositions/import/{id}/rapport.csv`: the refused rows.
pub(crate) async fn report_csv(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<ProposalImportId>,
) -> WebResult<Response> {
    let report = domain::report(&ctx, &identity, id).await?;
    Ok(napoleon_web::attachment(
        problems_csv(&report.problems).into_bytes().into(),
        "text/csv; charset=utf-8",
        "rapport-import-propositions.csv",
        "csv",
    ))
}

/// `POST /intake/propositions/import/{id}/importer`: imports a checked file.
pub(crate) async fn import_checked(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<ProposalImportId>,
) -> WebResult<Response> {
    let import = domain::import_checked(&ctx, &identity, id).await?;
    Ok(Redirect::to(&report_href(import)).into_response())
}
