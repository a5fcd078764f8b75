//! Promotion's exports, as CSV, XLSX or ODS in the columns the agent chose: the registry
//! (`registry:export`: the laureates the registry page's search finds, one row per award) and
//! the radar (`radar:export`: the radar page's entries up to its date, then the awards
//! awaiting their réception). Each runs as a `promotion.export` job
//! ([`napoleon_web::export`]): the worker reads the registry through its contract views, a
//! batch of laureates at a time for the registry and the whole radar at once (as its page
//! computes it), with the agent's access as it stands then; this module holds the lists'
//! sources and the pages' use cases.

use async_trait::async_trait;
use napoleon_authz::{Access, Scope, perm};
use napoleon_db::TenantConn;
use napoleon_db::contracts::RegistryPage;
use napoleon_db::jobs::JobKind;
use napoleon_db::readlog::ReadSubject;
use napoleon_identity::Identity;
use napoleon_kernel::JobId;
use napoleon_rules::fr_date;
use napoleon_web::export::{
    self, ExportBatch, ExportCell, ExportChoice, ExportColumn, ExportJob, ExportRequest,
    ExportSource,
};
use napoleon_web::{ActionError, ActionResult, WebContext};
use serde_json::json;

use super::radar::{compute_radar, parse_limit};
use super::registry::{RegistryAsk, parse_ask};
use super::{LaureateIdentity, distinction_name, grade_label, tenant_catalogue};
use crate::store;

/// The registry's name in the payload and the file's.
pub(crate) const REGISTRY: &str = "registre";

/// The radar's name in the payload and the file's.
pub(crate) const RADAR: &str = "radar";

/// Laureates read per batch (each with its awards: a batch is one transaction).
const BATCH: u16 = 1_000;

/// The job's kind.
///
/// # Errors
/// Never in practice (a literal of the jobs' shape; a unit test checks it).
pub fn export_kind() -> Result<JobKind, napoleon_db::DbError> {
    JobKind::parse("promotion.export")
}

/// The registry's columns: the import template's headers where the column is one of its, so
/// that an exported file can be imported again.
pub(crate) const REGISTRY_COLUMNS: &[ExportColumn] = &[
    ExportColumn {
        code: "nom_naissance",
        header: "Nom de naissance",
    },
    ExportColumn {
        code: "nom_usage",
        header: "Nom d'usage",
    },
    ExportColumn {
        code: "prenoms",
        header: "Prénoms",
    },
    ExportColumn {
        code: "sexe",
        header: "Sexe",
    },
    ExportColumn {
        code: "date_naissance",
        header: "Date de naissance",
    },
    ExportColumn {
        code: "lieu_naissance",
        header: "Lieu de naissance",
    },
    ExportColumn {
        code: "nationalite",
        header: "Nationalité",
    },
    ExportColumn {
        code: "distinction",
        header: "Distinction",
    },
    ExportColumn {
        code: "distinction_nom",
        header: "Nom de la distinction",
    },
    ExportColumn {
        code: "grade",
        header: "Grade",
    },
    ExportColumn {
        code: "date_decret",
        header: "Date du décret",
    },
    ExportColumn {
        code: "reference_jo",
        header: "Référence JO",
    },
    ExportColumn {
        code: "date_reception",
        header: "Date de réception",
    },
];

/// Exporting the registry: `registry:export` and the reading itself (`registry:read`): an
/// export is the list read in bulk, never more than its pages show.
fn may_export_registry(access: &Access) -> Result<(), napoleon_authz::Refusal> {
    access.require::<perm::RegistryRead>(Scope::Central)?;
    access.require::<perm::RegistryExport>(Scope::Central)
}

/// Exporting the radar: `radar:export` and `radar:read`.
fn may_export_radar(access: &Access) -> Result<(), napoleon_authz::Refusal> {
    access.require::<perm::RadarRead>(Scope::Central)?;
    access.require::<perm::RadarExport>(Scope::Central)
}

/// The registry's search as the job keeps it (the page's field names).
fn filter_json(ask: &RegistryAsk) -> serde_json::Value {
    json!({"nom": ask.name, "distinction": ask.distinction, "grade": ask.grade,
           "naissance": ask.born})
}

/// The search kept in a job, read back (anything else than text is ignored).
fn ask_of(filter: &serde_json::Value, after: Option<&str>) -> RegistryAsk {
    let text = |key: &str| {
        filter
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    RegistryAsk {
        name: text("nom"),
        distinction: text("distinction"),
        grade: text("grade"),
        born: text("naissance"),
        after: after.unwrap_or_default().to_owned(),
    }
}

/// The registry as an export's source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RegistrySource;

#[async_trait]
impl ExportSource for RegistrySource {
    fn columns(&self) -> &'static [ExportColumn] {
        REGISTRY_COLUMNS
    }

    fn sheet(&self) -> &'static str {
        "Registre"
    }

    async fn batch(
        &self,
        tx: &mut TenantConn,
        access: &Access,
        filter: &serde_json::Value,
        after: Option<&str>,
    ) -> ActionResult<ExportBatch> {
        may_export_registry(access)?;
        let catalogue = tenant_catalogue(tx, access).await?;
        let filter = parse_ask(&catalogue, &ask_of(filter, after)).map_err(ActionError::Invalid)?;
        let mut people = store::registry_page(
            tx,
            &RegistryPage {
                name: filter.name.as_deref(),
                distinction: filter.distinction.as_ref(),
                grade: filter.grade.as_ref(),
                born: filter.born,
                after: filter.after,
                limit: BATCH + 1,
            },
        )
        .await?;
        let more = people.len() > usize::from(BATCH);
        people.truncate(usize::from(BATCH));
        let mut batch = ExportBatch {
            next: people.last().map(|l| l.id.to_string()).filter(|_| more),
            ..ExportBatch::default()
        };
        for laureate in &people {
            batch.subjects.push(ReadSubject::Laureate(laureate.id));
            let who = LaureateIdentity::from_json(laureate.identity.expose());
            let born = ExportCell::day_or_text(who.birth_date(), &who.birth_date);
            let person = [
                ExportCell::text(who.birth_name.trim()),
                ExportCell::text(who.usual_name.trim()),
                ExportCell::text(who.given_names.trim()),
                ExportCell::text(who.sex.trim()),
                born,
                ExportCell::text(who.birth_place.trim()),
                ExportCell::text(who.nationality.trim()),
            ];
            if laureate.awards.is_empty() {
                batch.rows.push(person.to_vec());
            }
            for award in &laureate.awards {
                let mut row = person.to_vec();
                row.extend([
                    ExportCell::text(award.distinction.to_string()),
                    ExportCell::text(distinction_name(&catalogue, &award.distinction)),
                    ExportCell::text(grade_label(&catalogue, &award.distinction, &award.grade)),
                    ExportCell::Date(award.decree_date),
                    ExportCell::text(award.jo_reference.clone()),
                    ExportCell::date(award.reception_date),
                ]);
                batch.rows.push(row);
            }
        }
        Ok(batch)
    }
}

/// The radar's columns.
pub(crate) const RADAR_COLUMNS: &[ExportColumn] = &[
    ExportColumn {
        code: "laureat",
        header: "Lauréat",
    },
    ExportColumn {
        code: "distinction",
        header: "Distinction",
    },
    ExportColumn {
        code: "grade",
        header: "Grade détenu",
    },
    ExportColumn {
        code: "situation",
        header: "Situation",
    },
    ExportColumn {
        code: "date_decret",
        header: "Date du décret",
    },
    ExportColumn {
        code: "date_reception",
        header: "Date de réception",
    },
    ExportColumn {
        code: "grade_suivant",
        header: "Grade suivant",
    },
    ExportColumn {
        code: "accessible_le",
        header: "Conditions de durée remplies le",
    },
    ExportColumn {
        code: "conditions",
        header: "Conditions et articles",
    },
];

/// The radar's date limit as the job keeps it (the page's field).
fn radar_filter(date: &str) -> serde_json::Value {
    json!({"date": date})
}

/// The radar as an export's source: one batch, as the page computes it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RadarSource;

#[async_trait]
impl ExportSource for RadarSource {
    fn columns(&self) -> &'static [ExportColumn] {
        RADAR_COLUMNS
    }

    fn sheet(&self) -> &'static str {
        "Radar"
    }

    async fn batch(
        &self,
        tx: &mut TenantConn,
        access: &Access,
        filter: &serde_json::Value,
        _after: Option<&str>,
    ) -> ActionResult<ExportBatch> {
        may_export_radar(access)?;
        let typed = filter.get("date").and_then(|d| d.as_str());
        let by = parse_limit("date", typed).map_err(|e| ActionError::Invalid(vec![e]))?;
        let catalogue = tenant_catalogue(tx, access).await?;
        let awards = store::awards(tx).await?;
        let (entries, pending) = compute_radar(&catalogue, &awards, tx.today(), by);
        let mut batch = ExportBatch::default();
        for e in &entries {
            batch
                .subjects
                .push(ReadSubject::Laureate(e.held.laureate_id));
            let conditions = e
                .conditions
                .iter()
                .map(|r| format!("{} ({})", r.message, r.article.cite()))
                .collect::<Vec<_>>()
                .join(" ; ");
            batch.rows.push(vec![
                ExportCell::text(e.held.name.clone()),
                ExportCell::text(e.held.distinction_name.clone()),
                ExportCell::text(e.held.grade_label.clone()),
                ExportCell::text(if e.reachable_now {
                    "Conditions de durée remplies"
                } else if e.reachable_on.is_some() {
                    "À venir"
                } else {
                    "Date non calculable"
                }),
                ExportCell::Empty,
                ExportCell::Date(e.received_on),
                ExportCell::text(e.next_grade_label.clone()),
                ExportCell::date(e.reachable_on),
                ExportCell::text(conditions),
            ]);
        }
        for p in &pending {
            batch
                .subjects
                .push(ReadSubject::Laureate(p.held.laureate_id));
            batch.rows.push(vec![
                ExportCell::text(p.held.name.clone()),
                ExportCell::text(p.held.distinction_name.clone()),
                ExportCell::text(p.held.grade_label.clone()),
                ExportCell::text("En attente de réception"),
                ExportCell::Date(p.decree_date),
                ExportCell::Empty,
                ExportCell::Empty,
                ExportCell::Empty,
                ExportCell::Empty,
            ]);
        }
        Ok(batch)
    }
}

/// The export page of the radar up to `date` as typed (`radar:export`): a refused date is an
/// `Invalid` naming its field.
pub(crate) async fn radar_export_page(
    ctx: &WebContext,
    identity: &Identity,
    date: &str,
) -> ActionResult<ExportScope> {
    let (tx, access) = ctx.begin(identity).await?;
    tx.rollback().await;
    may_export_radar(&access)?;
    let by = parse_limit("date", Some(date)).map_err(|e| ActionError::Invalid(vec![e]))?;
    Ok(ExportScope {
        summary: by
            .map(|d| {
                vec![format!(
                    "Conditions de durée remplies au plus tard le {}",
                    fr_date(d)
                )]
            })
            .unwrap_or_default(),
        hidden: vec![("date".to_owned(), by.map(fr_date).unwrap_or_default())],
    })
}

/// Starts the radar's export up to `date` as `choice` (`radar:export`); the job's id.
pub(crate) async fn start_radar_export(
    ctx: &WebContext,
    identity: &Identity,
    date: &str,
    choice: &ExportChoice,
) -> ActionResult<JobId> {
    export::start(ctx, identity, &export_kind()?, async |_, access| {
        may_export_radar(access)?;
        let by = parse_limit("date", Some(date)).map_err(|e| ActionError::Invalid(vec![e]))?;
        let typed = by.map(fr_date).unwrap_or_default();
        Ok(ExportRequest::new(
            identity,
            RADAR,
            choice,
            radar_filter(&typed),
        ))
    })
    .await
}

/// What the export page says it will export: the search in French sentences, and its fields
/// to send back.
pub(crate) struct ExportScope {
    pub(crate) summary: Vec<String>,
    pub(crate) hidden: Vec<(String, String)>,
}

/// The export page of the registry's search `ask` (`registry:export`): a refused search is
/// an `Invalid` naming its fields.
pub(crate) async fn registry_export_page(
    ctx: &WebContext,
    identity: &Identity,
    ask: &RegistryAsk,
) -> ActionResult<ExportScope> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let scope = async {
        may_export_registry(&access)?;
        let catalogue = tenant_catalogue(&mut tx, &access).await?;
        let filter = parse_ask(&catalogue, ask).map_err(ActionError::Invalid)?;
        let mut summary = Vec::new();
        if let Some(name) = &filter.name {
            summary.push(format!("Nom ou prénom : « {name} »"));
        }
        if let Some(code) = &filter.distinction {
            summary.push(format!(
                "Distinction : {}",
                distinction_name(&catalogue, code)
            ));
        }
        if let Some(grade) = &filter.grade {
            let label = catalogue
                .distinctions()
                .iter()
                .flat_map(|d| d.grades.iter())
                .find(|g| g.code == *grade)
                .map_or_else(|| grade.to_string(), |g| g.label.clone());
            summary.push(format!("Grade : {label}"));
        }
        if let Some(born) = filter.born {
            summary.push(format!("Date de naissance : {}", fr_date(born)));
        }
        Ok(ExportScope {
            summary,
            hidden: vec![
                ("nom".to_owned(), filter.name.clone().unwrap_or_default()),
                (
                    "distinction".to_owned(),
                    filter
                        .distinction
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                ),
                (
                    "grade".to_owned(),
                    filter
                        .grade
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                ),
                (
                    "naissance".to_owned(),
                    filter.born.map(fr_date).unwrap_or_default(),
                ),
            ],
        })
    }
    .await;
    tx.rollback().await;
    scope
}

/// Starts the export of the registry's search `ask` as `choice` (`registry:export`); the
/// job's id. The search is checked now (refused: `Invalid`) and again when the job runs.
pub(crate) async fn start_registry_export(
    ctx: &WebContext,
    identity: &Identity,
    ask: &RegistryAsk,
    choice: &ExportChoice,
) -> ActionResult<JobId> {
    export::start(ctx, identity, &export_kind()?, async |tx, access| {
        may_export_registry(access)?;
        let catalogue = tenant_catalogue(tx, access).await?;
        parse_ask(&catalogue, ask).map_err(ActionError::Invalid)?;
        Ok(ExportRequest::new(
            identity,
            REGISTRY,
            choice,
            filter_json(ask),
        ))
    })
    .await
}

/// The agent's export job `id` (anyone else's: 404), while they may still export its list
/// (`registry:export`, `radar:export`).
pub(crate) async fn export_job(
    ctx: &WebContext,
    identity: &Identity,
    id: JobId,
) -> ActionResult<ExportJob> {
    export::job(
        ctx,
        identity,
        &export_kind()?,
        id,
        |access, request| match request.list.as_str() {
            REGISTRY => may_export_registry(access),
            RADAR => may_export_radar(access),
            _ => Err(napoleon_authz::Refusal::Hidden),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_radar_date_kept_in_the_job_is_the_page_field() {
        assert_eq!(radar_filter("14/07/2027"), json!({"date": "14/07/2027"}));
    }

    #[test]
    fn the_kind_has_the_jobs_shape() {
        assert!(export_kind().is_ok());
    }

    #[test]
    fn the_search_kept_in_the_job_reads_back() {
        let ask = RegistryAsk {
            name: "Lefèvre".to_owned(),
            distinction: "LH".to_owned(),
            grade: "officier".to_owned(),
            born: "14/03/1961".to_owned(),
            after: String::new(),
        };
        let back = ask_of(&filter_json(&ask), Some("apres"));
        assert_eq!(
            (
                back.name.as_str(),
                back.distinction.as_str(),
                back.born.as_str(),
                back.after.as_str()
            ),
            ("Lefèvre", "LH", "14/03/1961", "apres")
        );
        assert_eq!(ask_of(&json!({"nom": 3}), None).name, "");
    }
}
