//! Instruction's exports (issue 18, Builds 3 and 5), as CSV, XLSX or ODS in the columns the
//! agent chose: the search's results (`recherche`: the search as typed, every page), a tab of
//! the queue (`file`: « à traiter », « suivis », « traités ») and the rows ticked on either
//! (`selection`, at most [`super::bulk::MAX_SELECTED`]). Each runs as an
//! `instruction.export` job ([`napoleon_web::export`]) that the worker runs: it reads the
//! list through intake's contract view, a batch at a time, with the agent's access as it
//! stands then. Exporting needs `instruction:export` where the agent instructs or validates
//! (and the reading itself there): the lists are those units' dossiers, never more than
//! their pages show.

use async_trait::async_trait;
use napoleon_authz::{Access, Scope, perm};
use napoleon_db::TenantConn;
use napoleon_db::contracts::{self, CampaignView, DossierView};
use napoleon_db::jobs::JobKind;
use napoleon_db::readlog::ReadSubject;
use napoleon_identity::Identity;
use napoleon_kernel::{DossierId, JobId, OrgUnitId};
use napoleon_rules::Catalogue;
use napoleon_rules::content::Candidate;
use napoleon_web::export::{
    self, ExportBatch, ExportCell, ExportChoice, ExportColumn, ExportJob, ExportRequest,
    ExportSource,
};
use napoleon_web::{ActionError, ActionResult, FieldError, FormFields, WebContext};
use serde_json::json;

use super::bulk::MAX_SELECTED;
use super::queue::{Tab, my_roots, tab_batch};
use super::search::{SearchQuery, search_batch};

/// Dossiers read per batch (a batch is one transaction).
const BATCH: i64 = 500;

/// The job's kind.
///
/// # Errors
/// Never in practice (a literal of the jobs' shape; a unit test checks it).
pub fn export_kind() -> Result<JobKind, napoleon_db::DbError> {
    JobKind::parse("instruction.export")
}

/// The lists' names, in the payload, the form (`liste`) and the file's name.
pub(crate) const SEARCH: &str = "recherche";
pub(crate) const QUEUE: &str = "file";
pub(crate) const SELECTION: &str = "selection";

/// The columns every list offers: a dossier per row.
pub(crate) const COLUMNS: &[ExportColumn] = &[
    ExportColumn {
        code: "numero",
        header: "Numéro",
    },
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
        code: "distinction",
        header: "Distinction",
    },
    ExportColumn {
        code: "grade",
        header: "Grade proposé",
    },
    ExportColumn {
        code: "etat",
        header: "État",
    },
    ExportColumn {
        code: "unite",
        header: "Unité de dépôt",
    },
    ExportColumn {
        code: "niveau",
        header: "Instruit à",
    },
    ExportColumn {
        code: "campagne",
        header: "Campagne",
    },
    ExportColumn {
        code: "depose_le",
        header: "Déposé le",
    },
];

/// What is exported: one of the three lists, as the agent asked it.
#[derive(Clone)]
pub(crate) enum ExportAsk {
    /// The search's results (boxed: thirteen fields as typed).
    Search(Box<SearchQuery>),
    /// A tab of the queue.
    Queue(Tab),
    /// The rows ticked (each once, in the page's order).
    Selection(Vec<DossierId>),
}

// The search holds names and birth dates: never in logs.
impl std::fmt::Debug for ExportAsk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Search(_) => f.write_str("Search(********)"),
            Self::Queue(tab) => write!(f, "Queue({tab:?})"),
            Self::Selection(ids) => write!(f, "Selection({} rows)", ids.len()),
        }
    }
}

fn refused(field: &str, message: impl Into<String>) -> ActionError {
    ActionError::Invalid(vec![FieldError::new(field, message)])
}

/// The ticked dossiers as the form sends them (`dossiers`: ids separated by commas).
fn parse_selection(raw: &str) -> Result<Vec<DossierId>, ActionError> {
    let mut ids = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        // Past the most a selection holds, nothing more is read.
        if ids.len() > MAX_SELECTED {
            break;
        }
        let id = part.parse::<DossierId>().map_err(|_| {
            refused(
                "dossiers",
                "Sélection : un dossier coché n'est pas reconnu ; rechargez la liste et \
                 recommencez.",
            )
        })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err(refused(
            "dossiers",
            "Sélection : cochez au moins un dossier.",
        ));
    }
    if ids.len() > MAX_SELECTED {
        return Err(refused(
            "dossiers",
            format!("Sélection : {MAX_SELECTED} dossiers au plus à la fois."),
        ));
    }
    Ok(ids)
}

impl ExportAsk {
    /// The ask of a form or an address: `liste` names the list, then its own fields (the
    /// search's words, `onglet`, `dossiers`). Refused: the field named in French.
    pub(crate) fn of_fields(get: impl Fn(&str) -> String) -> Result<Self, ActionError> {
        match get("liste").trim() {
            SEARCH => Ok(Self::Search(Box::new(SearchQuery::of_fields(&get)))),
            QUEUE => Tab::of_page_word(get("onglet").trim())
                .map(Self::Queue)
                .ok_or_else(|| refused("onglet", "Onglet : choisissez un onglet de la file.")),
            SELECTION => parse_selection(&get("dossiers")).map(Self::Selection),
            _ => Err(refused(
                "liste",
                "Liste : choisissez la recherche, un onglet de la file ou des dossiers cochés.",
            )),
        }
    }

    /// The ask of a posted form.
    pub(crate) fn of_form(form: &FormFields) -> Result<Self, ActionError> {
        Self::of_fields(|k| form.get(k).to_owned())
    }

    /// The list's name.
    pub(crate) fn list(&self) -> &'static str {
        match self {
            Self::Search(_) => SEARCH,
            Self::Queue(_) => QUEUE,
            Self::Selection(_) => SELECTION,
        }
    }

    /// Its fields, as the form sends them back (and the address of the list it came from).
    pub(crate) fn fields(&self) -> Vec<(String, String)> {
        let mut out = vec![("liste".to_owned(), self.list().to_owned())];
        match self {
            Self::Search(query) => out.extend(
                query
                    .pairs()
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned())),
            ),
            Self::Queue(tab) => out.push(("onglet".to_owned(), tab.page_word().to_owned())),
            Self::Selection(ids) => out.push((
                "dossiers".to_owned(),
                ids.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            )),
        }
        out
    }

    /// The list the ask came from (the breadcrumb, the way back).
    pub(crate) fn list_href(&self) -> String {
        match self {
            Self::Search(query) => {
                napoleon_web::query_href("/instruction/recherche", &query.pairs())
            }
            Self::Queue(tab) => format!("/instruction/dossiers?onglet={}", tab.page_word()),
            Self::Selection(_) => "/instruction/dossiers".to_owned(),
        }
    }

    /// The list's name on the pages.
    pub(crate) fn list_label(&self) -> String {
        match self {
            Self::Search(_) => "Rechercher des dossiers".to_owned(),
            Self::Queue(tab) => format!("Dossiers à instruire — {}", tab.label_fr()),
            Self::Selection(_) => "Dossiers à instruire".to_owned(),
        }
    }

    /// As the job keeps it.
    fn filter(&self) -> serde_json::Value {
        match self {
            Self::Search(query) => json!({"recherche": query.trimmed()}),
            Self::Queue(tab) => json!({"onglet": tab.page_word()}),
            Self::Selection(ids) => json!({"dossiers": ids}),
        }
    }

    /// Kept by a job for `list`, read back.
    fn of_job(list: &str, filter: &serde_json::Value) -> Result<Self, ActionError> {
        let unreadable = || refused("liste", "La demande d'export est illisible.");
        match list {
            SEARCH => filter
                .get("recherche")
                .cloned()
                .and_then(|q| serde_json::from_value(q).ok())
                .map(|q| Self::Search(Box::new(q)))
                .ok_or_else(unreadable),
            QUEUE => filter
                .get("onglet")
                .and_then(|t| t.as_str())
                .and_then(Tab::of_page_word)
                .map(Self::Queue)
                .ok_or_else(unreadable),
            SELECTION => filter
                .get("dossiers")
                .cloned()
                .and_then(|ids| serde_json::from_value::<Vec<DossierId>>(ids).ok())
                .filter(|ids| !ids.is_empty() && ids.len() <= MAX_SELECTED)
                .map(Self::Selection)
                .ok_or_else(unreadable),
            _ => Err(unreadable()),
        }
    }
}

/// The units an export covers, as its job keeps them (`unites`): those the agent could
/// export when asking. When it runs, and when its file is downloaded, the agent must still
/// be able to export every one of them (a unit left since is refused: its dossiers are no
/// longer theirs to take away).
fn kept_roots(filter: &serde_json::Value) -> Option<Vec<OrgUnitId>> {
    let roots: Vec<OrgUnitId> = serde_json::from_value(filter.get("unites")?.clone()).ok()?;
    (!roots.is_empty()).then_some(roots)
}

/// `kept` when the agent may still export every one of them (else refused).
fn still_exportable(access: &Access, kept: Vec<OrgUnitId>) -> ActionResult<Vec<OrgUnitId>> {
    let now = exportable_roots(access)?;
    if kept.iter().all(|root| now.contains(root)) {
        Ok(kept)
    } else {
        Err(ActionError::Forbidden)
    }
}

/// The units whose dossiers the agent may export: where they instruct or validate, and may
/// both read dossiers and export them (the tenant's policy decides each). None: refused.
fn exportable_roots(access: &Access) -> ActionResult<Vec<OrgUnitId>> {
    access.require::<perm::NominationRead>(Scope::Anywhere)?;
    access.require::<perm::InstructionExport>(Scope::Anywhere)?;
    let mut roots = Vec::new();
    for root in my_roots(access.grants()) {
        if access.may::<perm::NominationRead>(Scope::Unit(root))?
            && access.may::<perm::InstructionExport>(Scope::Unit(root))?
        {
            roots.push(root);
        }
    }
    if roots.is_empty() {
        return Err(ActionError::Forbidden);
    }
    Ok(roots)
}

/// Whether the agent may export (the queue's and the search's link).
pub(crate) fn may_export(access: &Access) -> bool {
    exportable_roots(access).is_ok()
}

/// What a batch needs to name units, campaigns, distinctions and grades.
struct Names {
    catalogue: std::sync::Arc<Catalogue>,
    campaigns: Vec<CampaignView>,
}

impl Names {
    async fn read(tx: &mut TenantConn, access: &Access) -> ActionResult<Self> {
        Ok(Self {
            catalogue: napoleon_web::tenant_catalogue(tx, access).await?,
            campaigns: contracts::campaigns(tx).await?,
        })
    }

    fn row(&self, access: &Access, d: &DossierView) -> Vec<ExportCell> {
        let who = Candidate::of_content(d.content.expose());
        let unit = |id: OrgUnitId| {
            access
                .units()
                .iter()
                .find(|u| u.id == id)
                .map(|u| u.name.clone())
                .unwrap_or_default()
        };
        let distinction = self.catalogue.distinction(&d.distinction);
        let born = ExportCell::day_or_text(who.birth_date(), &who.birth_date);
        vec![
            ExportCell::text(d.number.clone().unwrap_or_default()),
            ExportCell::text(who.birth_name.trim()),
            ExportCell::text(who.usual_name.trim()),
            ExportCell::text(who.given_names.trim()),
            ExportCell::text(who.sex.trim()),
            born,
            ExportCell::text(who.birth_place.trim()),
            ExportCell::text(
                distinction.map_or_else(|| d.distinction.to_string(), |x| x.name.clone()),
            ),
            ExportCell::text(
                distinction
                    .filter(|x| x.grade_index(&d.target_grade).is_some())
                    .map_or_else(|| d.target_grade.to_string(), |x| x.label(&d.target_grade)),
            ),
            ExportCell::text(d.state.label_fr()),
            ExportCell::text(unit(d.unit_id)),
            ExportCell::text(unit(d.level_unit_id)),
            ExportCell::text(
                self.campaigns
                    .iter()
                    .find(|c| c.id == d.campaign_id)
                    .map(|c| c.label.clone())
                    .unwrap_or_default(),
            ),
            ExportCell::date(d.submitted_at.map(napoleon_kernel::paris_date)),
        ]
    }
}

/// Reads the ticked dossiers the agent may export, in the order ticked: each under one of
/// `roots` (its level or its filing unit) and readable as its page would allow; any other is
/// left out, unnamed (one statement: an id outside the scope is not read at all).
async fn selection_rows(
    tx: &TenantConn,
    access: &Access,
    ids: &[DossierId],
    roots: &[OrgUnitId],
) -> ActionResult<Vec<DossierView>> {
    let mut found = contracts::dossiers_among(tx, ids, &access.subtree(roots)).await?;
    found.retain(|d| {
        access
            .read_dossier(d.unit_id, d.level_unit_id, d.is_draft())
            .is_ok()
    });
    found.sort_by_key(|d| ids.iter().position(|id| *id == d.id));
    Ok(found)
}

/// Instruction's lists as an export's source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DossierSource;

#[async_trait]
impl ExportSource for DossierSource {
    fn columns(&self) -> &'static [ExportColumn] {
        COLUMNS
    }

    fn sheet(&self) -> &'static str {
        "Dossiers"
    }

    async fn batch(
        &self,
        tx: &mut TenantConn,
        access: &Access,
        filter: &serde_json::Value,
        after: Option<&str>,
    ) -> ActionResult<ExportBatch> {
        let kept = kept_roots(filter)
            .ok_or_else(|| refused("liste", "La demande d'export est illisible."))?;
        let roots = still_exportable(access, kept)?;
        let list = filter
            .get("liste")
            .and_then(|l| l.as_str())
            .unwrap_or_default();
        let (rows, next) = match ExportAsk::of_job(list, filter)? {
            ExportAsk::Search(query) => {
                search_batch(&*tx, access, &query, after, &roots, BATCH).await?
            }
            ExportAsk::Queue(tab) => tab_batch(&*tx, access, tab, &roots, after, BATCH).await?,
            ExportAsk::Selection(ids) => (selection_rows(tx, access, &ids, &roots).await?, None),
        };
        let names = Names::read(tx, access).await?;
        Ok(ExportBatch {
            subjects: rows.iter().map(|d| ReadSubject::Dossier(d.id)).collect(),
            rows: rows.iter().map(|d| names.row(access, d)).collect(),
            next,
        })
    }
}

/// What the export page says it will export, and the fields it sends back.
pub(crate) struct ExportScope {
    pub(crate) summary: Vec<String>,
    pub(crate) hidden: Vec<(String, String)>,
}

/// The export page of `ask` (`instruction:export`): a refused search is an `Invalid` naming
/// its fields.
pub(crate) async fn export_page(
    ctx: &WebContext,
    identity: &Identity,
    ask: &ExportAsk,
) -> ActionResult<ExportScope> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let summary: ActionResult<Vec<String>> = async {
        exportable_roots(&access)?;
        Ok(match ask {
            ExportAsk::Search(query) => {
                super::search::parse(query).map_err(ActionError::Invalid)?;
                // Only a search's summary names units, campaigns and grades.
                let names = Names::read(&mut tx, &access).await?;
                let described = query.described(&access, &names.campaigns, &names.catalogue);
                if described.is_empty() {
                    vec![
                        "Tous les dossiers de vos unités, à tous les stades après le dépôt"
                            .to_owned(),
                    ]
                } else {
                    described
                }
            }
            ExportAsk::Queue(tab) => vec![format!(
                "L'onglet « {} » de la file, pour les unités où l'export vous est ouvert",
                tab.label_fr()
            )],
            ExportAsk::Selection(ids) => vec![if ids.len() == 1 {
                "Le dossier coché".to_owned()
            } else {
                format!("Les {} dossiers cochés", ids.len())
            }],
        })
    }
    .await;
    tx.rollback().await;
    let summary = summary?;
    Ok(ExportScope {
        summary,
        hidden: ask.fields(),
    })
}

/// Starts the export of `ask` as `choice` (`instruction:export`); the job's id. The ask is
/// checked now (refused: `Invalid`) and again when the job runs.
pub(crate) async fn start_export(
    ctx: &WebContext,
    identity: &Identity,
    ask: &ExportAsk,
    choice: &ExportChoice,
) -> ActionResult<JobId> {
    export::start(ctx, identity, &export_kind()?, async |_, access| {
        let roots = exportable_roots(access)?;
        if let ExportAsk::Search(query) = ask {
            super::search::parse(query).map_err(ActionError::Invalid)?;
        }
        let mut filter = ask.filter();
        if let Some(map) = filter.as_object_mut() {
            map.insert("liste".to_owned(), json!(ask.list()));
            map.insert("unites".to_owned(), json!(roots));
        }
        Ok(ExportRequest::new(identity, ask.list(), choice, filter))
    })
    .await
}

/// The agent's export job `id` (anyone else's: 404), while they may still export.
pub(crate) async fn export_job(
    ctx: &WebContext,
    identity: &Identity,
    id: JobId,
) -> ActionResult<ExportJob> {
    export::job(ctx, identity, &export_kind()?, id, |access, request| {
        let kept = kept_roots(&request.filter).ok_or(napoleon_authz::Refusal::Hidden)?;
        still_exportable(access, kept)
            .map(|_| ())
            .map_err(|e| match e {
                ActionError::Forbidden => napoleon_authz::Refusal::Denied,
                _ => napoleon_authz::Refusal::Hidden,
            })
    })
    .await
}

/// The way back from a job to its list.
pub(crate) fn job_list(found: &ExportJob) -> (String, String) {
    match ExportAsk::of_job(&found.request.list, &found.request.filter) {
        Ok(ask) => (ask.list_href(), ask.list_label()),
        Err(_) => (
            "/instruction/dossiers".to_owned(),
            "Dossiers à instruire".to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_has_the_jobs_shape() {
        assert!(export_kind().is_ok());
    }

    fn ask_of(pairs: &[(&str, &str)]) -> Result<ExportAsk, ActionError> {
        ExportAsk::of_fields(|k| {
            pairs
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| (*v).to_owned())
                .unwrap_or_default()
        })
    }

    fn field(e: ActionError) -> String {
        match e {
            ActionError::Invalid(fields) => fields[0].field.clone(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn each_list_reads_back_from_its_job_and_a_refusal_names_its_field() {
        let id = DossierId::new();
        for ask in [
            ask_of(&[
                ("liste", "recherche"),
                ("q", " Lefèvre "),
                ("etat", "submitted"),
            ]),
            ask_of(&[("liste", "file"), ("onglet", "suivis")]),
            ask_of(&[("liste", "selection"), ("dossiers", &format!("{id},{id}"))]),
        ] {
            let ask = ask.unwrap_or_else(|e| unreachable!("{e:?}"));
            let mut filter = ask.filter();
            filter["liste"] = json!(ask.list());
            let back =
                ExportAsk::of_job(ask.list(), &filter).unwrap_or_else(|e| unreachable!("{e:?}"));
            assert_eq!(back.fields(), ask.fields());
        }
        assert!(matches!(
            ask_of(&[("liste", "selection"), ("dossiers", &format!("{id},{id}"))]),
            Ok(ExportAsk::Selection(ids)) if ids == [id]
        ));
        for (pairs, named) in [
            (vec![("liste", "tout")], "liste"),
            (vec![("liste", "file"), ("onglet", "autre")], "onglet"),
            (vec![("liste", "selection"), ("dossiers", "")], "dossiers"),
            (
                vec![("liste", "selection"), ("dossiers", "pas-un-id")],
                "dossiers",
            ),
        ] {
            assert_eq!(
                field(ask_of(&pairs).err().unwrap_or_else(|| unreachable!())),
                named
            );
        }
        let many = (0..=MAX_SELECTED)
            .map(|_| DossierId::new().to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            field(
                ask_of(&[("liste", "selection"), ("dossiers", &many)])
                    .err()
                    .unwrap_or_else(|| unreachable!())
            ),
            "dossiers"
        );
    }
}
