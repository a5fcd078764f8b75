//! The search of the dossiers an agent instructs (issue 18, Build 4): by name, given name or
//! number (accents and case ignored), by birth date; narrowed by state, filing unit,
//! campaign, distinction, grade, submission dates, and « pris en charge par moi »; sorted;
//! paged by key. What the agent types is parsed into a bounded, typed ask, each refusal
//! naming its field in French (then nothing is searched). Results are the dossiers whose
//! level is one of the agent's instructing units or below, or filed by one of them — and each
//! is checked again as its page would (`Access::read_dossier`) before it is shown and logged
//! as read.

use chrono::NaiveDate;
use napoleon_authz::{Access, Scope, perm};
use napoleon_db::TenantRead;
use napoleon_db::contracts::{
    self, CampaignView, DossierCursor, DossierSearch, DossierSort, DossierView,
};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_db::readlog::{ReadChannel, ReadSubject};
use napoleon_identity::Identity;
use napoleon_kernel::{AgentId, CampaignId, OrgUnitId, SavedViewId};
use napoleon_rules::dossier::DossierState;
use napoleon_rules::{DistinctionCode, GradeCode};
use napoleon_web::{ActionError, ActionResult, FieldError, WebContext};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::queue::my_roots;
use crate::store::{self, views};

/// Results on a page by default, and at most.
pub(crate) const PER_PAGE: i64 = 50;
const MAX_PER_PAGE: i64 = 200;
/// The longest text searched.
const TEXT_CHARS: usize = 100;

/// The search as typed (the address's words), every field optional.
#[derive(Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct SearchQuery {
    /// Name, given name or number.
    pub(crate) q: String,
    /// Birth date, `jj/mm/aaaa`.
    pub(crate) naissance: String,
    /// A state's code.
    pub(crate) etat: String,
    /// The filing unit's id.
    pub(crate) unite: String,
    /// The campaign's id.
    pub(crate) campagne: String,
    /// A distinction's code.
    pub(crate) distinction: String,
    /// A grade's code.
    pub(crate) grade: String,
    /// Submitted on or after, `jj/mm/aaaa`.
    pub(crate) du: String,
    /// Submitted on or before, `jj/mm/aaaa`.
    pub(crate) au: String,
    /// `moi`: those the agent took.
    pub(crate) porteur: String,
    /// The order's code.
    pub(crate) tri: String,
    /// Where the page starts.
    pub(crate) apres: String,
    /// Rows on a page.
    pub(crate) par_page: String,
}

// Names and birth dates: never in logs.
impl std::fmt::Debug for SearchQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SearchQuery(********)")
    }
}

impl SearchQuery {
    /// The search's words, trimmed, as one (what a view keeps: never more than was checked).
    pub(crate) fn trimmed(&self) -> Self {
        let t = |v: &String| v.trim().to_owned();
        Self {
            q: t(&self.q),
            naissance: t(&self.naissance),
            etat: t(&self.etat),
            unite: t(&self.unite),
            campagne: t(&self.campagne),
            distinction: t(&self.distinction),
            grade: t(&self.grade),
            du: t(&self.du),
            au: t(&self.au),
            porteur: t(&self.porteur),
            tri: t(&self.tri),
            apres: String::new(),
            par_page: t(&self.par_page),
        }
    }

    /// The search of a form or an address read field by field (`get` gives a field's value,
    /// empty when absent).
    pub(crate) fn of_fields(get: impl Fn(&str) -> String) -> Self {
        Self {
            q: get("q"),
            naissance: get("naissance"),
            etat: get("etat"),
            unite: get("unite"),
            campagne: get("campagne"),
            distinction: get("distinction"),
            grade: get("grade"),
            du: get("du"),
            au: get("au"),
            porteur: get("porteur"),
            tri: get("tri"),
            apres: String::new(),
            par_page: String::new(),
        }
        .trimmed()
    }

    /// The search in French sentences, one per criterion typed (an export's page says what it
    /// will export); ids named by `access`'s units, `campaigns` and `catalogue`.
    pub(crate) fn described(
        &self,
        access: &Access,
        campaigns: &[CampaignView],
        catalogue: &napoleon_rules::Catalogue,
    ) -> Vec<String> {
        let mut out = Vec::new();
        let mut say = |label: &str, value: String| {
            if !value.is_empty() {
                out.push(format!("{label} : {value}"));
            }
        };
        say("Nom, prénom ou numéro", {
            let q = self.q.trim();
            if q.is_empty() {
                String::new()
            } else {
                format!("« {q} »")
            }
        });
        say("Date de naissance", self.naissance.trim().to_owned());
        say(
            "État",
            DossierState::parse(self.etat.trim())
                .map(|s| s.label_fr().to_owned())
                .unwrap_or_default(),
        );
        say(
            "Unité",
            access
                .units()
                .iter()
                .find(|u| u.id.to_string() == self.unite.trim())
                .map(|u| u.name.clone())
                .unwrap_or_default(),
        );
        say(
            "Campagne",
            campaigns
                .iter()
                .find(|c| c.id.to_string() == self.campagne.trim())
                .map(|c| c.label.clone())
                .unwrap_or_default(),
        );
        say(
            "Distinction",
            catalogue
                .distinctions()
                .iter()
                .find(|d| d.code.as_str() == self.distinction.trim())
                .map(|d| d.name.clone())
                .unwrap_or_default(),
        );
        say(
            "Grade",
            catalogue
                .distinctions()
                .iter()
                .flat_map(|d| d.grades.iter())
                .find(|g| g.code.as_str() == self.grade.trim())
                .map(|g| g.label.clone())
                .unwrap_or_default(),
        );
        say("Déposé à partir du", self.du.trim().to_owned());
        say("Déposé jusqu'au", self.au.trim().to_owned());
        if self.porteur.trim() == "moi" {
            out.push("Pris en charge par moi".to_owned());
        }
        out
    }

    /// The search's words for an address (the page's cursor left out), empty ones omitted.
    pub(crate) fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("q", self.q.as_str()),
            ("naissance", &self.naissance),
            ("etat", &self.etat),
            ("unite", &self.unite),
            ("campagne", &self.campagne),
            ("distinction", &self.distinction),
            ("grade", &self.grade),
            ("du", &self.du),
            ("au", &self.au),
            ("porteur", &self.porteur),
            ("tri", &self.tri),
            ("par_page", &self.par_page),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.trim()))
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }
}

/// The search, parsed (no `Debug`: names and birth dates).
#[derive(Clone, Default)]
pub(crate) struct SearchAsk {
    text: Option<String>,
    born: Option<NaiveDate>,
    state: Option<DossierState>,
    unit: Option<OrgUnitId>,
    campaign: Option<CampaignId>,
    distinction: Option<DistinctionCode>,
    grade: Option<GradeCode>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    mine: bool,
    sort: DossierSort,
    after: Option<DossierCursor>,
    per_page: i64,
}

/// The states a search offers: every one but the draft (its filing unit's alone).
pub(crate) fn searchable_states() -> impl Iterator<Item = DossierState> {
    DossierState::ALL
        .into_iter()
        .filter(|s| *s != DossierState::Draft)
}

fn date(errors: &mut Vec<FieldError>, field: &str, label: &str, text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let parsed = napoleon_rules::parse_typed_date(text);
    if parsed.is_none() {
        errors.push(FieldError::new(
            field,
            format!(
                "{label} : « {} » n'est pas une date valide (jj/mm/aaaa).",
                text.chars().take(20).collect::<String>()
            ),
        ));
    }
    parsed
}

/// A list's choice as typed (trimmed): none when empty; a value `parse` does not know is
/// refused naming its field with `message`, never taken as no choice.
fn chosen<T>(
    errors: &mut Vec<FieldError>,
    field: &str,
    message: &str,
    raw: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Option<T> {
    match raw.trim() {
        "" => None,
        raw => {
            let found = parse(raw);
            if found.is_none() {
                errors.push(FieldError::new(field, message));
            }
            found
        }
    }
}

/// Parses the search; every refused field named in French.
pub(crate) fn parse(query: &SearchQuery) -> Result<SearchAsk, Vec<FieldError>> {
    let mut errors = Vec::new();
    let text = query.q.trim();
    if text.chars().count() > TEXT_CHARS || text.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "q",
            format!(
                "Nom, prénom ou numéro : {TEXT_CHARS} caractères au plus, sans caractère de contrôle."
            ),
        ));
    }
    let born = date(
        &mut errors,
        "naissance",
        "Date de naissance",
        &query.naissance,
    );
    let from = date(&mut errors, "du", "Déposé à partir du", &query.du);
    let to = date(&mut errors, "au", "Déposé jusqu'au", &query.au);
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errors.push(FieldError::new(
            "au",
            "Déposé jusqu'au : cette date précède celle de début.",
        ));
    }
    let state = chosen(
        &mut errors,
        "etat",
        "État : choisissez un état de la liste.",
        &query.etat,
        |code| DossierState::parse(code).filter(|s| *s != DossierState::Draft),
    );
    let unit = chosen(
        &mut errors,
        "unite",
        "Unité : choisissez dans la liste.",
        &query.unite,
        |raw| uuid::Uuid::parse_str(raw).ok().map(OrgUnitId::from_uuid),
    );
    let campaign = chosen(
        &mut errors,
        "campagne",
        "Campagne : choisissez dans la liste.",
        &query.campagne,
        |raw| uuid::Uuid::parse_str(raw).ok().map(CampaignId::from_uuid),
    );
    let distinction = chosen(
        &mut errors,
        "distinction",
        "Distinction : choisissez dans la liste.",
        &query.distinction,
        |code| DistinctionCode::parse(code).ok(),
    );
    let grade = chosen(
        &mut errors,
        "grade",
        "Grade : choisissez dans la liste.",
        &query.grade,
        |code| GradeCode::parse(code).ok(),
    );
    let mine = match query.porteur.trim() {
        "" => false,
        "moi" => true,
        _ => {
            errors.push(FieldError::new(
                "porteur",
                "Pris en charge : « par moi » ou rien.",
            ));
            false
        }
    };
    let sort = match query.tri.trim() {
        "" => DossierSort::default(),
        code => DossierSort::parse(code).unwrap_or_else(|| {
            errors.push(FieldError::new("tri", "Tri : choisissez dans la liste."));
            DossierSort::default()
        }),
    };
    let after = match query.apres.trim() {
        "" => None,
        raw => DossierCursor::parse(raw).or_else(|| {
            errors.push(FieldError::new(
                "apres",
                "Page : ce lien n'est plus valable ; revenez à la première page.",
            ));
            None
        }),
    };
    if let Some(cursor) = &after
        && !cursor.fits(sort)
    {
        errors.push(FieldError::new(
            "apres",
            "Page : ce lien n'est plus valable ; revenez à la première page.",
        ));
    }
    let per_page = match query.par_page.trim() {
        "" => PER_PAGE,
        raw => raw
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_PER_PAGE).contains(n))
            .unwrap_or_else(|| {
                errors.push(FieldError::new(
                    "par_page",
                    format!("Résultats par page : de 1 à {MAX_PER_PAGE}."),
                ));
                PER_PAGE
            }),
    };
    if errors.is_empty() {
        Ok(SearchAsk {
            // Text without a letter nor a digit (« - », « ' ») folds to nothing: no criterion.
            text: Some(text.to_owned()).filter(|t| t.chars().any(char::is_alphanumeric)),
            born,
            state,
            unit,
            campaign,
            distinction,
            grade,
            from,
            to,
            mine,
            sort,
            after,
            per_page,
        })
    } else {
        Err(errors)
    }
}

/// [`my_roots`] where the tenant's policy lets the agent read dossiers: the search's scope sits
/// inside what each dossier's page allows, so the count counts only what may be shown.
fn readable_roots(access: &Access) -> ActionResult<Vec<OrgUnitId>> {
    let mut out = Vec::new();
    for root in my_roots(access.grants()) {
        if access.may::<perm::NominationRead>(Scope::Unit(root))? {
            out.push(root);
        }
    }
    Ok(out)
}

/// A page of `ask`'s results for `agent` under `roots`: at most `ask.per_page` rows, the
/// count of them all, and where the next page starts when one follows (from the last row
/// read, whatever a later check keeps).
async fn results(
    tx: &impl TenantRead,
    agent: AgentId,
    ask: &SearchAsk,
    roots: &[OrgUnitId],
) -> ActionResult<(contracts::DossierPage, Option<DossierCursor>)> {
    let mine = ask.mine;
    let extra = move |q| {
        if mine {
            store::held_by_agent(q, agent)
        } else {
            q
        }
    };
    let states: Vec<DossierState> = ask.state.into_iter().collect();
    let search = DossierSearch {
        roots,
        text: ask.text.as_deref(),
        born: ask.born,
        states: &states,
        unit: ask.unit,
        campaign: ask.campaign,
        distinction: ask.distinction.as_ref(),
        grade: ask.grade.as_ref(),
        submitted_from: ask.from,
        submitted_to: ask.to,
        sort: ask.sort,
        after: ask.after.as_ref(),
        // One more than shown: whether another page follows.
        limit: ask.per_page + 1,
    };
    let mut found = contracts::dossier_search(tx, &search, &extra).await?;
    let per_page = usize::try_from(ask.per_page).unwrap_or(usize::MAX);
    let more = found.dossiers.len() > per_page;
    found.dossiers.truncate(per_page);
    let next = found
        .dossiers
        .last()
        .filter(|_| more)
        .map(|d| DossierCursor::after(ask.sort, d));
    Ok((found, next))
}

/// `limit` results of the search `query` after `after` (a cursor this function gave; `None`:
/// from the first), under `roots`, each checked again as its page would; and where the next
/// batch starts. For an export, a batch at a time: the search is parsed again (refused: the
/// fields, as the page names them).
pub(crate) async fn search_batch(
    tx: &impl TenantRead,
    access: &Access,
    query: &SearchQuery,
    after: Option<&str>,
    roots: &[OrgUnitId],
    limit: i64,
) -> ActionResult<(Vec<DossierView>, Option<String>)> {
    let mut query = query.trimmed();
    query.apres = after.unwrap_or_default().to_owned();
    query.par_page = String::new();
    let mut ask = parse(&query).map_err(ActionError::Invalid)?;
    ask.per_page = limit;
    let (mut found, next) = results(tx, access.agent(), &ask, roots).await?;
    found.dossiers.retain(|d| {
        access
            .read_dossier(d.unit_id, d.level_unit_id, d.is_draft())
            .is_ok()
    });
    Ok((found.dossiers, next.map(|c| c.render())))
}

/// What the search page shows.
pub(crate) struct SearchPage {
    /// The page's dossiers.
    pub(crate) dossiers: Vec<DossierView>,
    /// All the results, pages together (none when a row was left out: see [`search`]).
    pub(crate) total: Option<i64>,
    /// Where the next page starts, when one follows.
    pub(crate) next: Option<DossierCursor>,
    /// The refused fields (then nothing was searched).
    pub(crate) refused: Vec<FieldError>,
    /// The campaigns, for the form and the rows.
    pub(crate) campaigns: Vec<CampaignView>,
    /// The units the agent instructs (and below), by name, for the form and the rows.
    pub(crate) units: Vec<(OrgUnitId, String)>,
    /// The tenant's distinctions and their grades, for the form.
    pub(crate) catalogue: std::sync::Arc<napoleon_rules::Catalogue>,
    /// Whether a search was asked (the page opened bare shows the first page of everything).
    pub(crate) asked: bool,
    /// The units a view may be shared with.
    pub(crate) share: Vec<(OrgUnitId, String)>,
    /// Whether the agent may export the results (`instruction:export`).
    pub(crate) may_export: bool,
}

/// Runs the search for the agent.
pub(crate) async fn search(
    ctx: &WebContext,
    identity: &Identity,
    query: &SearchQuery,
) -> ActionResult<SearchPage> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::NominationRead>(Scope::Anywhere)?;
    let roots = readable_roots(&access)?;
    if roots.is_empty() {
        tx.rollback().await;
        return Err(ActionError::Forbidden);
    }
    let catalogue = napoleon_web::tenant_catalogue(&mut tx, &access).await?;
    let campaigns = contracts::campaigns(&mut tx).await?;
    let subtree = access.subtree(&roots);
    let units = access
        .units()
        .iter()
        .filter(|u| subtree.contains(&u.id))
        .map(|u| (u.id, u.name.clone()))
        .collect();
    let asked = !query.pairs().is_empty();
    let share = share_units(&access);
    let may_export = super::exports::may_export(&access);
    let ask = match parse(query) {
        Ok(ask) => ask,
        Err(refused) => {
            tx.rollback().await;
            return Ok(SearchPage {
                dossiers: Vec::new(),
                total: Some(0),
                next: None,
                refused,
                campaigns,
                units,
                catalogue,
                asked,
                share,
                may_export,
            });
        }
    };
    let (mut found, next) = results(&tx, identity.agent, &ask, &roots).await?;
    // The scope rule of each dossier's own page, again (an assertion: the scope is within
    // it); were one left out, the count would no longer be only what may be shown.
    let read = found.dossiers.len();
    found.dossiers.retain(|d| {
        access
            .read_dossier(d.unit_id, d.level_unit_id, d.is_draft())
            .is_ok()
    });
    let total = (found.dossiers.len() == read).then_some(found.total);
    let shown: Vec<ReadSubject> = found
        .dossiers
        .iter()
        .map(|d| ReadSubject::Dossier(d.id))
        .collect();
    napoleon_web::end_reads(tx, identity, &shown, ReadChannel::Page).await?;
    Ok(SearchPage {
        dossiers: found.dossiers,
        total,
        next,
        refused: Vec::new(),
        campaigns,
        units,
        catalogue,
        asked,
        share,
        may_export,
    })
}

/// Views an agent may keep.
const MAX_VIEWS: i64 = 50;
/// The longest view name.
const VIEW_NAME_CHARS: usize = 80;

/// A saved search as the page lists it.
pub(crate) struct ViewEntry {
    pub(crate) id: SavedViewId,
    pub(crate) name: String,
    /// The search, as the address's words.
    pub(crate) query: SearchQuery,
    /// The agent's own (they may delete it).
    pub(crate) mine: bool,
    /// The unit it is shared with, by name.
    pub(crate) shared_with: Option<String>,
}

/// The agent's saved searches: their own and those shared with the units where they
/// instruct.
pub(crate) async fn views(ctx: &WebContext, identity: &Identity) -> ActionResult<Vec<ViewEntry>> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::NominationRead>(Scope::Anywhere)?;
    let roots = my_roots(access.grants());
    let found = views::visible(&mut tx, identity.agent, &roots).await?;
    tx.rollback().await;
    let name_of = |unit: OrgUnitId| {
        access
            .units()
            .iter()
            .find(|u| u.id == unit)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    Ok(found
        .into_iter()
        .map(|v| ViewEntry {
            id: v.id,
            name: v.name,
            query: serde_json::from_value(v.query).unwrap_or_default(),
            mine: v.agent == identity.agent,
            shared_with: v.unit.map(name_of),
        })
        .collect())
}

/// The units a view may be shared with: where the agent instructs, by name.
fn share_units(access: &Access) -> Vec<(OrgUnitId, String)> {
    let roots = my_roots(access.grants());
    access
        .units()
        .iter()
        .filter(|u| roots.contains(&u.id))
        .map(|u| (u.id, u.name.clone()))
        .collect()
}

/// A view to save, as typed.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ViewForm {
    /// Its name.
    pub(crate) nom: String,
    /// The unit it is shared with (its id), or empty.
    pub(crate) partage: String,
    /// The search.
    #[serde(flatten)]
    pub(crate) query: SearchQuery,
}

/// Saves the search as a view of the agent (shared with one of their instructing units when
/// asked), journaled; its name.
pub(crate) async fn save_view(
    ctx: &WebContext,
    identity: &Identity,
    form: &ViewForm,
) -> ActionResult<String> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::NominationRead>(Scope::Anywhere)?;
    let roots = my_roots(access.grants());
    if roots.is_empty() {
        tx.rollback().await;
        return Err(ActionError::Forbidden);
    }
    let mut errors = parse(&form.query).err().unwrap_or_default();
    let name = form.nom.trim();
    if name.is_empty()
        || name.chars().count() > VIEW_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        errors.push(FieldError::new(
            "nom",
            format!("Nom de la vue : de 1 à {VIEW_NAME_CHARS} caractères."),
        ));
    }
    let unit = match form.partage.trim() {
        "" => None,
        raw => {
            let unit = raw.parse::<OrgUnitId>().ok().filter(|u| roots.contains(u));
            if unit.is_none() {
                errors.push(FieldError::new(
                    "partage",
                    "Partage : choisissez une unité où vous instruisez, ou « Moi seul ».",
                ));
            }
            unit
        }
    };
    if !errors.is_empty() {
        tx.rollback().await;
        return Err(ActionError::Invalid(errors));
    }
    // One save at a time per agent: the count and the insert agree.
    views::lock_agent(&mut tx, identity.agent).await?;
    if views::count_of(&mut tx, identity.agent).await? >= MAX_VIEWS {
        tx.rollback().await;
        return Err(ActionError::Invalid(vec![FieldError::new(
            "nom",
            format!("Nom de la vue : vous avez déjà {MAX_VIEWS} vues ; supprimez-en une d'abord."),
        )]));
    }
    let kept = form.query.trimmed();
    let view = views::SavedView {
        id: SavedViewId::new(),
        agent: identity.agent,
        unit,
        name: name.to_owned(),
        query: serde_json::to_value(&kept).unwrap_or_default(),
    };
    if !views::insert(&mut tx, &view).await? {
        tx.rollback().await;
        return Err(ActionError::Invalid(vec![FieldError::new(
            "nom",
            "Nom de la vue : vous avez déjà une vue de ce nom ; choisissez-en un autre.",
        )]));
    }
    journal::append(
        &mut tx,
        Actor::Agent(identity.agent),
        Subject::SavedView(view.id),
        EventKind::SavedViewCreated,
        json!({"unit": unit}),
    )
    .await?;
    tx.commit().await?;
    Ok(view.name)
}

/// Deletes the agent's view `id` (another's, or another tenant's: 404), journaled; its name.
pub(crate) async fn delete_view(
    ctx: &WebContext,
    identity: &Identity,
    id: SavedViewId,
) -> ActionResult<String> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::NominationRead>(Scope::Anywhere)?;
    let Some(name) = views::delete(&mut tx, identity.agent, id).await? else {
        tx.rollback().await;
        return Err(ActionError::NotFound);
    };
    journal::append(
        &mut tx,
        Actor::Agent(identity.agent),
        Subject::SavedView(id),
        EventKind::SavedViewDeleted,
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refused_field_is_named_and_a_valid_search_parses() {
        let bad = SearchQuery {
            q: "x".repeat(101),
            naissance: "31/02/1960".to_owned(),
            etat: DossierState::Draft.as_str().to_owned(),
            unite: "pas-un-id".to_owned(),
            du: "01/03/2026".to_owned(),
            au: "01/02/2026".to_owned(),
            porteur: "lui".to_owned(),
            tri: "hasard".to_owned(),
            apres: "n'importe".to_owned(),
            par_page: "1000".to_owned(),
            ..SearchQuery::default()
        };
        let fields: Vec<String> = parse(&bad)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "q",
                "naissance",
                "au",
                "etat",
                "unite",
                "porteur",
                "tri",
                "apres",
                "par_page"
            ]
        );
        let good = SearchQuery {
            q: "  Lefèvre ".to_owned(),
            naissance: "14/03/1961".to_owned(),
            tri: "nom".to_owned(),
            ..SearchQuery::default()
        };
        let ask = parse(&good).unwrap_or_default();
        assert_eq!(ask.text.as_deref(), Some("Lefèvre"));
        assert_eq!(ask.sort, DossierSort::Name);
        assert_eq!(ask.per_page, PER_PAGE);
    }
}
