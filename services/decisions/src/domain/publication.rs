//! After the list is closed: recording the decree's publication, which turns every retained
//! dossier into an award of the laureate registry, and then each laureate's réception.

use chrono::NaiveDate;
use napoleon_authz::{Scope, perm};
use napoleon_db::contracts::{self, DossierView};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_identity::Identity;
use napoleon_kernel::{AwardId, CampaignId, DossierId, LaureateId};
use napoleon_rules::dossier::{DossierEvent, DossierState};
use napoleon_rules::{GradeCode, fr_date};
use napoleon_web::{ActionError, ActionResult, Conflict, FieldError, WebContext};
use serde_json::json;

use super::{ListStatus, campaign_of, load, required_text};
use crate::store;
use crate::tally;

/// The longest Journal officiel reference kept.
const JO_REFERENCE_MAX: usize = 200;

/// The candidate object as the registry keeps it (`registry.laureates.identity`): exactly what
/// the dossier holds, so readers of `registry.awards_v1` find intake's shape.
fn registry_identity(content: &serde_json::Value) -> serde_json::Value {
    content
        .get("candidate")
        .filter(|c| c.is_object())
        .cloned()
        .unwrap_or_else(|| json!({}))
}

/// The dossier's career as the registry keeps it (`registry.service_periods`): its periods
/// with a valid start, a known kind and a position (an end before the start is dropped, the
/// period kept as ongoing). Personal data: never logged.
fn career_periods(content: &serde_json::Value) -> Vec<store::NewPeriod> {
    let date = |p: &serde_json::Value, key: &str| {
        p.get(key)
            .and_then(|v| v.as_str())
            // As the form reads them: « 01/09/1984 » as typed, or ISO.
            .and_then(napoleon_rules::parse_typed_date)
    };
    content
        .get("career")
        .and_then(|c| c.as_array())
        .map(|periods| {
            periods
                .iter()
                .filter_map(|p| {
                    let from = date(p, "from")?;
                    let kind = p.get("kind").and_then(|v| v.as_str())?;
                    let kind = napoleon_rules::content::CAREER_KINDS
                        .iter()
                        .find(|(code, _)| *code == kind)?
                        .0;
                    let position: String = p
                        .get("position")
                        .and_then(|v| v.as_str())
                        .map(str::trim)
                        .filter(|v| !v.is_empty())?
                        .chars()
                        .take(300)
                        .collect();
                    Some(store::NewPeriod {
                        from,
                        to: date(p, "to").filter(|t| *t >= from),
                        kind,
                        position,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One award created by the publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublishedAward {
    pub(crate) award_id: AwardId,
    pub(crate) dossier_id: DossierId,
    pub(crate) laureate_id: LaureateId,
    pub(crate) grade: GradeCode,
}

/// A publication recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Published {
    pub(crate) campaign_id: CampaignId,
    pub(crate) decree_date: NaiveDate,
    pub(crate) jo_reference: String,
    pub(crate) awards: Vec<PublishedAward>,
}

/// Checks a publication as typed: the decree's date and the Journal officiel reference.
fn publication_input(
    decree_date: &str,
    jo_reference: &str,
) -> Result<(NaiveDate, String), Vec<FieldError>> {
    let mut errors = Vec::new();
    let date = tally::parse_date(decree_date);
    if date.is_none() {
        errors.push(FieldError::new(
            "decree_date",
            "Date du décret : saisissez une date valide (jj/mm/aaaa).",
        ));
    }
    let jo = required_text(
        &mut errors,
        "jo_reference",
        "Référence au Journal officiel",
        jo_reference,
        JO_REFERENCE_MAX,
        "Référence au Journal officiel : saisissez-la, par exemple « JORF n° 0163 du 15 juillet 2027 ».",
    );
    match date {
        Some(d) if errors.is_empty() => Ok((d, jo.to_owned())),
        _ => Err(errors),
    }
}

/// Records the publication of the closed list (`decision:publish`): every retained dossier
/// becomes published and an award of the laureate registry (a new laureate, or the one the
/// dossier proposed for promotion).
pub(crate) async fn publish(
    ctx: &WebContext,
    identity: &Identity,
    id: CampaignId,
    decree_date: &str,
    jo_reference: &str,
) -> ActionResult<Published> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let campaign = contracts::campaign_by_id(&tx, id).await?;
    let publish =
        access.authorize::<perm::DecisionPublish>(Scope::Unit(campaign.bureau_unit_id))?;
    store::lock_campaign(&mut tx, campaign.id).await?;
    match ListStatus::of(store::list(&mut tx, campaign.id).await?.as_ref()) {
        ListStatus::Open => {
            return Err(Conflict::ListOpen.into());
        }
        ListStatus::Published {
            decree_date,
            jo_reference,
            ..
        } => {
            return Err(Conflict::ListPublished {
                decree_date,
                jo_reference,
            }
            .into());
        }
        ListStatus::Closed { .. } => {}
    }
    let (decree_date, jo_reference) =
        publication_input(decree_date, jo_reference).map_err(ActionError::Invalid)?;
    let loaded = load(&mut tx, campaign.id).await?;
    let retained: Vec<&DossierView> = loaded
        .dossiers
        .iter()
        .filter(|d| d.state == DossierState::Retained)
        .collect();
    if retained.is_empty() {
        return Err(Conflict::NothingToPublish.into());
    }
    let sources = DossierState::sources(DossierEvent::Publish);
    let to = DossierState::Published;
    let mut awards = Vec::with_capacity(retained.len());
    for dossier in retained {
        if !contracts::move_dossier(&mut tx, dossier.id, &sources, to, None).await? {
            return Err(Conflict::Changed.into());
        }
        let laureate = match dossier.laureate_id {
            Some(l) if store::laureate_exists(&mut tx, l).await? => l,
            _ => {
                store::insert_laureate(&mut tx, &registry_identity(dossier.content.expose()))
                    .await?
            }
        };
        let award = store::insert_award(
            &mut tx,
            &store::NewAward {
                laureate,
                distinction: &campaign.distinction,
                grade: &dossier.target_grade,
                decree_date,
                jo_reference: &jo_reference,
                dossier: dossier.id,
                unit: dossier.unit_id,
            },
        )
        .await?;
        // The laureate's career goes with them (the promotion radar reads it there).
        let periods =
            store::record_career(&mut tx, laureate, &career_periods(dossier.content.expose()))
                .await?;
        journal::append(
            &mut tx,
            Actor::Agent(publish.agent()),
            Subject::Dossier(dossier.id),
            EventKind::DossierPublished,
            json!({"campaign": campaign.id, "award": award, "laureate": laureate,
                   "distinction": campaign.distinction, "grade": dossier.target_grade,
                   "decree_date": decree_date, "jo_reference": jo_reference,
                   "career_periods": periods}),
        )
        .await?;
        awards.push(PublishedAward {
            award_id: award,
            dossier_id: dossier.id,
            laureate_id: laureate,
            grade: dossier.target_grade.clone(),
        });
    }
    store::publish_list(&mut tx, &publish, campaign.id, decree_date, &jo_reference).await?;
    tx.commit().await?;
    Ok(Published {
        campaign_id: campaign.id,
        decree_date,
        jo_reference,
        awards,
    })
}

/// A réception recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Received {
    pub(crate) award_id: AwardId,
    pub(crate) dossier_id: Option<DossierId>,
    pub(crate) campaign_id: Option<CampaignId>,
    pub(crate) reception_date: NaiveDate,
}

/// Records a laureate's réception (prise de rang), once (`decision:receive` at the bureau of
/// the award's campaign, or held centrally for an award that came from no campaign).
pub(crate) async fn receive(
    ctx: &WebContext,
    identity: &Identity,
    id: AwardId,
    reception_date: &str,
) -> ActionResult<Received> {
    let (mut tx, access) = ctx.begin(identity).await?;
    let award = store::award_for_update(&mut tx, id).await?;
    let campaign = campaign_of(&mut tx, &award).await?;
    let receive = access.authorize::<perm::DecisionReceive>(match campaign.as_ref() {
        Some(c) => Scope::Unit(c.bureau_unit_id),
        // An imported award belongs to no bureau: a ministry-wide role is needed.
        None => Scope::Central,
    })?;
    if let Some(date) = award.reception_date {
        return Err(Conflict::AwardReceived { on: date }.into());
    }
    let date = match tally::parse_date(reception_date) {
        None => Err("Date de réception : saisissez une date valide (jj/mm/aaaa).".to_owned()),
        Some(d) if d < award.decree_date => Err(format!(
            "Date de réception : elle ne peut précéder le décret du {}.",
            fr_date(award.decree_date)
        )),
        Some(d) => Ok(d),
    }
    .map_err(|message| ActionError::Invalid(vec![FieldError::new("reception_date", message)]))?;
    store::set_reception(&mut tx, &receive, id, date).await?;
    let subject = award
        .dossier_id
        .map_or(Subject::Award(id), Subject::Dossier);
    journal::append(
        &mut tx,
        Actor::Agent(receive.agent()),
        subject,
        EventKind::AwardReceived,
        json!({"award": id, "laureate": award.laureate_id, "grade": award.grade,
               "reception_date": date}),
    )
    .await?;
    tx.commit().await?;
    Ok(Received {
        award_id: id,
        dossier_id: award.dossier_id,
        campaign_id: campaign.map(|c| c.id),
        reception_date: date,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_registry_keeps_the_candidate_object_as_typed() {
        let candidate = json!({"birth_name": "Martin", "sex": "F", "nationality": "FR"});
        assert_eq!(
            registry_identity(&json!({"candidate": candidate.clone()})),
            candidate
        );
        assert_eq!(registry_identity(&json!({"candidate": "?"})), json!({}));
    }

    #[test]
    fn career_dates_are_read_as_typed_in_either_form() {
        let periods = career_periods(&json!({"career": [
            {"from": "01/09/1984", "to": "", "kind": "public", "position": "Ingénieure"},
            {"from": "1990-01-02", "to": "31/12/1999", "kind": "public", "position": "Cheffe"},
        ]}));
        assert_eq!(periods.len(), 2);
    }

    #[test]
    fn a_publication_needs_a_date_and_a_reference() {
        assert_eq!(
            publication_input("14/07/2027", " JORF n° 0163 "),
            Ok((
                NaiveDate::from_ymd_opt(2027, 7, 14).unwrap_or_default(),
                "JORF n° 0163".to_owned()
            ))
        );
        let fields: Vec<String> = publication_input("14 juillet", "")
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, vec!["decree_date", "jo_reference"]);
    }
}
