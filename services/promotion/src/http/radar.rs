//! The radar page: the laureates who reach their next grade, by date, with a proposal form per
//! entry when the agent may propose, and the awards still awaiting their réception.

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use napoleon_identity::Identity;
use napoleon_kernel::IdempotencyKey;
use napoleon_rules::fr_date;
use napoleon_web::{WebContext, WebResult};
use serde::{Deserialize, Serialize};

use super::plural;
use crate::domain::{self, Radar};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct RadarQuery {
    /// The limit, as typed (`jj/mm/aaaa` or `YYYY-MM-DD`).
    date: Option<String>,
    /// Present after intake created a draft.
    propose: Option<String>,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct ReasonView {
    message: String,
    article: String,
}

/// Whose award, in which distinction and grade (labels).
#[derive(Serialize)]
struct HeldView {
    name: String,
    distinction: String,
    grade: String,
}

impl From<&domain::Held> for HeldView {
    fn from(held: &domain::Held) -> Self {
        Self {
            name: held.name.clone(),
            distinction: held.distinction_name.clone(),
            grade: held.grade_label.clone(),
        }
    }
}

#[derive(Serialize)]
struct EntryView {
    #[serde(flatten)]
    held: HeldView,
    received: String,
    next: String,
    /// `None`: not computable (the reasons say why).
    reachable: Option<String>,
    reachable_now: bool,
    reasons: Vec<ReasonView>,
    award_id: String,
    select_id: String,
    campaigns: Vec<Choice>,
    /// Fresh at each display: a proposal sent twice creates one draft.
    idempotency_key: String,
}

#[derive(Serialize)]
struct PendingView {
    #[serde(flatten)]
    held: HeldView,
    decree: String,
    jo_reference: String,
}

#[derive(Serialize)]
struct RadarView {
    /// The limit as typed, shown again in the field.
    date: String,
    date_error: Option<String>,
    filtered: bool,
    caption: String,
    summary: String,
    proposed: bool,
    may_propose: bool,
    may_registry: bool,
    /// The export page of this radar (its date), when the agent may export it.
    export: Option<String>,
    entries: Vec<EntryView>,
    pending_caption: String,
    pending: Vec<PendingView>,
}

impl From<&domain::RadarEntry> for EntryView {
    fn from(e: &domain::RadarEntry) -> Self {
        Self {
            held: HeldView::from(&e.held),
            received: fr_date(e.received_on),
            next: e.next_grade_label.clone(),
            reachable: e.reachable_on.map(fr_date),
            reachable_now: e.reachable_now,
            reasons: e
                .conditions
                .iter()
                .map(|r| ReasonView {
                    message: r.message.clone(),
                    article: r.article.cite(),
                })
                .collect(),
            award_id: e.held.award_id.to_string(),
            select_id: format!("campagne-{}", e.held.award_id),
            campaigns: e
                .campaigns
                .iter()
                .map(|c| Choice {
                    value: c.id.to_string(),
                    label: c.label.clone(),
                })
                .collect(),
            idempotency_key: IdempotencyKey::fresh().as_str().to_owned(),
        }
    }
}

impl From<&domain::PendingAward> for PendingView {
    fn from(p: &domain::PendingAward) -> Self {
        Self {
            held: HeldView::from(&p.held),
            decree: fr_date(p.decree_date),
            jo_reference: p.jo_reference.clone(),
        }
    }
}

fn radar_view(radar: &Radar, typed: &str, date_error: Option<String>, proposed: bool) -> RadarView {
    let n = radar.entries.len();
    let possible = plural(n, "promotion possible", "promotions possibles");
    let (caption, summary) = match radar.by {
        Some(by) => (
            format!(
                "Lauréats éligibles au grade supérieur au plus tard le {} ({n})",
                fr_date(by)
            ),
            if n == 0 {
                format!(
                    "Aucun lauréat ne remplit les conditions de durée pour le grade supérieur au plus tard le {}.",
                    fr_date(by)
                )
            } else {
                format!(
                    "{possible} : conditions de durée remplies au plus tard le {}.",
                    fr_date(by)
                )
            },
        ),
        None => (
            format!("Lauréats et grade supérieur, par date d'éligibilité ({n})"),
            if n == 0 {
                "Aucun lauréat du registre n'a de grade supérieur à atteindre.".to_owned()
            } else {
                format!(
                    "{possible}, de la plus proche à la plus lointaine ; « déjà atteint » s'entend au {}.",
                    fr_date(radar.today)
                )
            },
        ),
    };
    RadarView {
        date: typed.to_owned(),
        date_error,
        filtered: radar.by.is_some(),
        caption,
        summary,
        proposed,
        may_propose: radar.may_propose,
        may_registry: radar.may_registry,
        export: radar.may_export.then(|| {
            napoleon_web::query_href(
                "/promotion/radar/export",
                &[("date", &radar.by.map(fr_date).unwrap_or_default())],
            )
        }),
        entries: radar.entries.iter().map(EntryView::from).collect(),
        pending_caption: format!("Lauréats en attente de réception ({})", radar.pending.len()),
        pending: radar.pending.iter().map(PendingView::from).collect(),
    }
}

/// `GET /promotion/radar?date=jj/mm/aaaa`: an invalid date is shown next to the field and
/// the list is shown unfiltered.
pub(crate) async fn radar(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
    Query(query): Query<RadarQuery>,
) -> WebResult<Response> {
    let typed = query.date.as_deref().unwrap_or_default().trim();
    let (by, date_error) = match domain::parse_limit("date", Some(typed)) {
        Ok(by) => (by, None),
        Err(e) => (None, Some(e.message)),
    };
    let radar = domain::radar(&ctx, &identity, by).await?;
    let view = radar_view(&radar, typed, date_error, query.propose.is_some());
    let title = if view.date_error.is_some() {
        "Erreur — Radar des promotions"
    } else {
        "Radar des promotions"
    };
    Ok(ctx
        .page(&identity, "promotion/radar", title, &view)?
        .into_response())
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use napoleon_kernel::{AwardId, CampaignId, LaureateId};

    use super::*;
    use crate::domain::fixtures::{Laureate, builtin, day};
    use napoleon_rules::{DistinctionCode, GradeCode};

    use crate::domain::{Held, OpenCampaign, PendingAward, RadarEntry};
    use crate::http::testing::render;

    /// A chevalier received on 01/10/2019, as the radar computes it on 01/10/2027.
    fn entry(campaigns: Vec<OpenCampaign>, computable: bool) -> RadarEntry {
        let award =
            Laureate::new(serde_json::json!({"birth_name": "Dupont", "given_names": "Jeanne"}))
                .award("LH", "chevalier", day(2019, 7, 14), Some(day(2019, 10, 1)));
        let (mut entries, _) = domain::laureate_radar(&builtin(), &[&award], day(2027, 10, 1));
        let mut entry = entries.remove(0);
        entry.campaigns = campaigns;
        if !computable {
            entry.reachable_on = None;
            entry.reachable_now = false;
        }
        entry
    }

    fn radar(may_propose: bool) -> Radar {
        let open = OpenCampaign {
            id: CampaignId::new(),
            label: "Légion d'honneur — promotion du 14/07/2028".to_owned(),
            promotion_date: day(2028, 7, 14),
        };
        Radar {
            by: None,
            today: day(2027, 10, 1),
            entries: vec![
                entry(if may_propose { vec![open] } else { Vec::new() }, true),
                entry(Vec::new(), false),
            ],
            pending: vec![PendingAward {
                held: Held {
                    award_id: AwardId::new(),
                    laureate_id: LaureateId::new(),
                    name: "ARNAUD Marc".to_owned(),
                    distinction: DistinctionCode::parse("LH").unwrap(),
                    distinction_name: "Légion d'honneur".to_owned(),
                    grade: GradeCode::parse("chevalier").unwrap(),
                    grade_label: "chevalier".to_owned(),
                },
                decree_date: day(2027, 7, 14),
                jo_reference: "JORF n° 0163".to_owned(),
            }],
            may_propose,
            may_registry: true,
            may_export: true,
        }
    }

    #[test]
    fn the_radar_offers_a_proposal_per_entry_naming_the_laureate() {
        let view = radar_view(&radar(true), "", None, true);
        let html = render("promotion/radar", &view);
        assert!(html.contains("Le brouillon de proposition a été créé"));
        assert!(html.contains(r#"action="/intake/propositions""#));
        assert!(html.contains(r#"name="_csrf" value="jeton-csrf""#));
        assert!(html.contains(r#"name="award_id""#));
        assert!(html.contains(r#"name="campaign_id""#));
        assert!(html.contains(
            r#"Proposer pour le grade supérieur<span class="fr-sr-only"> : DUPONT Jeanne pour officier (Légion d&#x27;honneur)</span>"#
        ));
        assert!(html.contains("Aucune campagne de cette distinction n'est ouverte"));
        assert!(html.contains("01/10/2027"));
        assert!(html.contains("art. R19"));
        assert!(html.contains("en attente"));
        assert!(html.contains("ARNAUD Marc"));
        assert!(html.contains(r#"inputmode="numeric""#));
    }

    #[test]
    fn without_the_proposal_right_the_radar_has_no_form() {
        let view = radar_view(&radar(false), "", None, false);
        let html = render("promotion/radar", &view);
        assert!(!html.contains("/intake/propositions"));
        assert!(!html.contains("Le brouillon de proposition a été créé"));
        assert!(html.contains("DUPONT Jeanne"));
    }

    #[test]
    fn a_wrong_date_is_shown_next_to_the_field() {
        let view = radar_view(
            &radar(true),
            "14 juillet",
            Some("Date : saisissez une date valide.".to_owned()),
            false,
        );
        let html = render("promotion/radar", &view);
        assert!(html.contains(r#"value="14 juillet""#));
        assert!(html.contains(r#"aria-describedby="date-erreur""#));
        assert!(html.contains(r#"id="date-erreur""#));
    }
}
