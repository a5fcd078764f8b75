//! The search page (`/instruction/recherche`): the form, kept as typed, and a page of the
//! results with a link to the next (keyset: the address carries where the page starts).

use axum::Extension;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use napoleon_identity::Identity;
use napoleon_kernel::SavedViewId;
use napoleon_web::{ActionError, FieldError, IdPath, WebContext, WebResult, query_href};
use serde::Serialize;

use crate::domain::{self, SearchQuery, ViewForm, searchable_states};

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// A result: the queue's row, and where it was filed and for which campaign.
#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    dossier: super::queue::Row,
    unit: String,
    campaign: String,
}

#[derive(Serialize)]
struct ViewLink {
    name: String,
    href: String,
    shared_with: Option<String>,
    delete_href: Option<String>,
}

/// The « save this search » form as typed, after a refusal.
#[derive(Serialize, Default)]
struct SaveForm {
    name: String,
    errors: Vec<FieldError>,
}

#[derive(Serialize)]
struct SearchView {
    query: SearchQuery,
    /// The search's words, for the « save » form's hidden fields.
    hidden: Vec<(&'static str, String)>,
    views: Vec<ViewLink>,
    share: Vec<Choice>,
    save: SaveForm,
    notice: Option<String>,
    states: Vec<Choice>,
    units: Vec<Choice>,
    campaigns: Vec<Choice>,
    distinctions: Vec<Choice>,
    grades: Vec<Choice>,
    sorts: Vec<Choice>,
    mine: bool,
    errors: Vec<FieldError>,
    rows: Vec<Row>,
    total: String,
    asked: bool,
    next: Option<String>,
    first: Option<String>,
    /// The form of the ticked rows.
    bulk: super::bulk::BulkForm,
    /// The results' export page, when the agent may export.
    export: Option<String>,
}

fn choices<T>(
    items: impl IntoIterator<Item = T>,
    chosen: &str,
    value: impl Fn(&T) -> String,
    label: impl Fn(&T) -> String,
) -> Vec<Choice> {
    items
        .into_iter()
        .map(|item| {
            let v = value(&item);
            Choice {
                selected: v == chosen.trim(),
                label: label(&item),
                value: v,
            }
        })
        .collect()
}

/// `GET /instruction/recherche`.
pub(crate) async fn search(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    Query(query): Query<SearchQuery>,
) -> WebResult<Response> {
    render(&ctx, &identity, query, None, SaveForm::default(), None).await
}

/// `POST /instruction/recherche/vues`: the search saved as a view, then the search again
/// with its notice; a refusal said on the form (422), what was typed kept.
pub(crate) async fn save_view(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    Form(form): Form<ViewForm>,
) -> WebResult<Response> {
    match domain::save_view(&ctx, &identity, &form).await {
        Ok(name) => {
            let notice = format!("Vue « {name} » enregistrée : elle figure dans « Mes vues ».");
            render(
                &ctx,
                &identity,
                form.query,
                Some(notice),
                SaveForm::default(),
                None,
            )
            .await
        }
        Err(ActionError::Invalid(errors)) => {
            let save = SaveForm {
                name: form.nom.chars().take(200).collect(),
                errors,
            };
            render(
                &ctx,
                &identity,
                form.query,
                None,
                save,
                Some(StatusCode::UNPROCESSABLE_ENTITY),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /instruction/recherche/vues/{id}/suppression`: the agent's view deleted.
pub(crate) async fn delete_view(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    IdPath(id): IdPath<SavedViewId>,
) -> WebResult<Response> {
    let name = domain::delete_view(&ctx, &identity, id).await?;
    let notice = format!("Vue « {name} » supprimée.");
    render(
        &ctx,
        &identity,
        SearchQuery::default(),
        Some(notice),
        SaveForm::default(),
        None,
    )
    .await
}

async fn render(
    ctx: &WebContext,
    identity: &Identity,
    query: SearchQuery,
    notice: Option<String>,
    save: SaveForm,
    status: Option<StatusCode>,
) -> WebResult<Response> {
    let found = domain::search(ctx, identity, &query).await?;
    let saved = domain::views(ctx, identity).await?;
    let unit_name = |id| {
        found
            .units
            .iter()
            .find(|(u, _)| *u == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let campaign_label = |id| {
        found
            .campaigns
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.label.clone())
            .unwrap_or_default()
    };
    let grades: Vec<(String, String)> = found
        .catalogue
        .distinctions()
        .iter()
        .flat_map(|d| {
            d.grades
                .iter()
                .map(|g| (g.code.as_str().to_owned(), g.label.clone()))
                .collect::<Vec<_>>()
        })
        .fold(Vec::new(), |mut all, g| {
            if !all.iter().any(|(c, _): &(String, String)| *c == g.0) {
                all.push(g);
            }
            all
        });
    let pairs = query.pairs();
    let view = SearchView {
        hidden: pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        views: saved
            .iter()
            .map(|v| ViewLink {
                name: v.name.clone(),
                href: query_href("/instruction/recherche", &v.query.pairs()),
                shared_with: v.shared_with.clone(),
                delete_href: v
                    .mine
                    .then(|| format!("/instruction/recherche/vues/{}/suppression", v.id)),
            })
            .collect(),
        share: found
            .share
            .iter()
            .map(|(id, name)| Choice {
                value: id.to_string(),
                label: name.clone(),
                selected: false,
            })
            .collect(),
        save,
        notice,
        states: choices(
            searchable_states(),
            &query.etat,
            |s| s.as_str().to_owned(),
            |s| s.label_fr().to_owned(),
        ),
        units: choices(
            &found.units,
            &query.unite,
            |(id, _)| id.to_string(),
            |(_, n)| n.clone(),
        ),
        campaigns: choices(
            &found.campaigns,
            &query.campagne,
            |c| c.id.to_string(),
            |c| c.label.clone(),
        ),
        distinctions: choices(
            found.catalogue.distinctions(),
            &query.distinction,
            |d| d.code.as_str().to_owned(),
            |d| d.name.clone(),
        ),
        grades: choices(
            &grades,
            &query.grade,
            |(c, _)| c.clone(),
            |(_, l)| l.clone(),
        ),
        sorts: choices(
            napoleon_db::contracts::DossierSort::ALL,
            &query.tri,
            |s| s.code().to_owned(),
            |s| s.label().to_owned(),
        ),
        mine: query.porteur.trim() == "moi",
        rows: found
            .dossiers
            .iter()
            .map(|d| Row {
                dossier: super::queue::Row::of(d),
                unit: unit_name(d.unit_id),
                campaign: campaign_label(d.campaign_id),
            })
            .collect(),
        total: match found.total {
            None => "Dossiers trouvés".to_owned(),
            Some(0) => "Aucun dossier trouvé".to_owned(),
            Some(1) => "1 dossier trouvé".to_owned(),
            Some(n) => format!(
                "{} dossiers trouvés",
                napoleon_web::thousands(usize::try_from(n).unwrap_or(0))
            ),
        },
        asked: found.asked,
        next: found.next.as_ref().map(|after| {
            let cursor = after.render();
            let mut with = pairs.clone();
            with.push(("apres", cursor.as_str()));
            query_href("/instruction/recherche", &with)
        }),
        first: (!query.apres.trim().is_empty() || !found.refused.is_empty())
            .then(|| query_href("/instruction/recherche", &pairs)),
        bulk: super::bulk::BulkForm::back_to(
            query_href("/instruction/recherche", &pairs),
            found.may_export,
        ),
        export: found.may_export.then(|| {
            let mut with = vec![("liste", "recherche")];
            with.extend(pairs.iter().copied());
            query_href("/instruction/export", &with)
        }),
        errors: found.refused,
        query,
    };
    let status = status.unwrap_or(if view.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    });
    Ok((
        status,
        ctx.page(
            identity,
            "instruction/search",
            "Rechercher des dossiers",
            &view,
        )?,
    )
        .into_response())
}
