//! The promotion radar: when each laureate reaches the next grade, the awards that keep it from
//! being computed, and the campaigns a proposal may go to.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use napoleon_authz::{Scope, perm};
use napoleon_db::contracts::{AwardView, CampaignView};
use napoleon_db::readlog::{ReadChannel, ReadSubject};
use napoleon_identity::Identity;
use napoleon_kernel::{AwardId, CampaignId, LaureateId};
use napoleon_rules::{
    Award, Candidate, Catalogue, DistinctionCode, GradeCode, Reason, next_grades,
};
use napoleon_web::{ActionResult, FieldError, WebContext};

use super::{
    LaureateIdentity, UNNAMED, distinction_name, grade_index, grade_label, tenant_catalogue,
};
use crate::store;

// Dates -------------------------------------------------------------------------------------

/// The radar's optional date limit: empty means none; anything else must be a date, or the
/// refusal names `field`.
pub(crate) fn parse_limit(field: &str, raw: Option<&str>) -> Result<Option<NaiveDate>, FieldError> {
    let raw = raw.unwrap_or_default().trim();
    if raw.is_empty() {
        return Ok(None);
    }
    napoleon_rules::parse_typed_date(raw)
        .map(Some)
        .ok_or_else(|| {
            FieldError::new(
                field,
                "Date : saisissez une date valide, au format jj/mm/aaaa (par exemple 14/07/2027).",
            )
        })
}

// Entries -----------------------------------------------------------------------------------

/// A campaign open to filing, offered for a proposal.
#[derive(Clone)]
pub(crate) struct OpenCampaign {
    pub(crate) id: CampaignId,
    pub(crate) label: String,
    pub(crate) promotion_date: NaiveDate,
}

/// One award as the radar shows it: whose, in which distinction and grade.
pub(crate) struct Held {
    pub(crate) award_id: AwardId,
    pub(crate) laureate_id: LaureateId,
    pub(crate) name: String,
    pub(crate) distinction: DistinctionCode,
    pub(crate) distinction_name: String,
    pub(crate) grade: GradeCode,
    pub(crate) grade_label: String,
}

impl Held {
    fn of(catalogue: &Catalogue, award: &AwardView, name: &str) -> Self {
        Self {
            award_id: award.id,
            laureate_id: award.laureate_id,
            name: name.to_owned(),
            distinction: award.distinction.clone(),
            distinction_name: distinction_name(catalogue, &award.distinction),
            grade: award.grade.clone(),
            grade_label: grade_label(catalogue, &award.distinction, &award.grade),
        }
    }
}

/// One laureate who has, in one distinction, a next grade.
pub(crate) struct RadarEntry {
    /// The award of the current grade (the one to propose from).
    pub(crate) held: Held,
    /// Réception (prise de rang) in the current grade.
    pub(crate) received_on: NaiveDate,
    pub(crate) next_grade: GradeCode,
    pub(crate) next_grade_label: String,
    /// When the durations are met; `None` when they cannot be computed (merit alone, or data
    /// the registry does not hold).
    pub(crate) reachable_on: Option<NaiveDate>,
    /// `reachable_on` is today or before.
    pub(crate) reachable_now: bool,
    /// The duration conditions considered, with their articles.
    pub(crate) conditions: Vec<Reason>,
    /// Campaigns of the distinction open to filing today (empty without `radar:propose`).
    pub(crate) campaigns: Vec<OpenCampaign>,
}

/// An award whose réception is not recorded yet, which keeps the radar from computing the
/// next grade in its distinction.
pub(crate) struct PendingAward {
    pub(crate) held: Held,
    pub(crate) decree_date: NaiveDate,
    pub(crate) jo_reference: String,
}

/// The radar page and its links.
pub(crate) struct Radar {
    /// The limit applied, if any.
    pub(crate) by: Option<NaiveDate>,
    pub(crate) today: NaiveDate,
    /// Sorted by `reachable_on` (undetermined last), then name.
    pub(crate) entries: Vec<RadarEntry>,
    /// By name.
    pub(crate) pending: Vec<PendingAward>,
    /// Whether the agent may propose (`radar:propose`).
    pub(crate) may_propose: bool,
    /// Whether the agent may see the registry (for the link).
    pub(crate) may_registry: bool,
    /// Whether the agent may export the radar (for the link).
    pub(crate) may_export: bool,
}

/// The rules engine's candidate for one laureate: the awards whose réception is recorded
/// (durations run from it), and the birth date.
pub(crate) fn candidate(birth_date: Option<NaiveDate>, awards: &[&AwardView]) -> Candidate {
    Candidate {
        birth_date,
        awards: awards
            .iter()
            .filter_map(|a| {
                Some(Award {
                    distinction: a.distinction.clone(),
                    grade: a.grade.clone(),
                    decreed_on: Some(a.decree_date),
                    received_on: a.reception_date?,
                })
            })
            .collect(),
        ..Candidate::default()
    }
}

/// The awards without réception that are not superseded by a received award of the same
/// distinction at the same or a higher grade.
fn pending_of<'a>(catalogue: &Catalogue, awards: &[&'a AwardView]) -> Vec<&'a AwardView> {
    let rank = |a: &AwardView| grade_index(catalogue, &a.distinction, &a.grade);
    awards
        .iter()
        .filter(|p| p.reception_date.is_none())
        .filter(|p| {
            !awards.iter().any(|r| {
                r.reception_date.is_some()
                    && r.distinction == p.distinction
                    && matches!((rank(r), rank(p)), (Some(r), Some(p)) if r >= p)
            })
        })
        .copied()
        .collect()
}

/// One laureate's radar entries (one per distinction with a next grade, unless an award of
/// that distinction awaits its réception) and pending awards.
pub(crate) fn laureate_radar(
    catalogue: &Catalogue,
    awards: &[&AwardView],
    today: NaiveDate,
) -> (Vec<RadarEntry>, Vec<PendingAward>) {
    let Some(first) = awards.first() else {
        return (Vec::new(), Vec::new());
    };
    let identity = LaureateIdentity::from_json(first.identity.expose());
    let name = identity.display_name_or(UNNAMED);
    let pending = pending_of(catalogue, awards);
    let entries = next_grades(catalogue, &candidate(identity.birth_date(), awards))
        .into_iter()
        .filter(|n| !pending.iter().any(|p| p.distinction == n.distinction))
        .filter_map(|n| {
            let next = n.next_grade?;
            let code = &n.distinction;
            // The award of the current grade, preferably the one whose réception the
            // engine counted from (the earliest, should the grade be recorded twice).
            let mut held = awards.iter().copied().filter(|a| {
                a.distinction == *code && a.grade == n.current_grade && a.reception_date.is_some()
            });
            let award = held
                .clone()
                .find(|a| a.reception_date == Some(n.current_received_on))
                .or_else(|| held.next())?;
            Some(RadarEntry {
                held: Held::of(catalogue, award, &name),
                received_on: n.current_received_on,
                next_grade_label: grade_label(catalogue, code, &next),
                next_grade: next,
                reachable_on: n.reachable_on,
                reachable_now: n.reachable_on.is_some_and(|d| d <= today),
                conditions: n.conditions,
                campaigns: Vec::new(),
            })
        })
        .collect();
    let pending = pending
        .into_iter()
        .map(|p| PendingAward {
            held: Held::of(catalogue, p, &name),
            decree_date: p.decree_date,
            jo_reference: p.jo_reference.clone(),
        })
        .collect();
    (entries, pending)
}

/// Keeps the entries reachable by `by` (every entry when `None`), sorted by the day they are
/// reachable (undetermined last), then name and distinction.
pub(crate) fn select(mut entries: Vec<RadarEntry>, by: Option<NaiveDate>) -> Vec<RadarEntry> {
    if let Some(by) = by {
        entries.retain(|e| e.reachable_on.is_some_and(|d| d <= by));
    }
    entries.sort_by(|a, b| {
        let key = |e: &RadarEntry| (e.reachable_on.is_none(), e.reachable_on);
        key(a)
            .cmp(&key(b))
            .then_with(|| a.held.name.cmp(&b.held.name))
            .then_with(|| a.held.distinction.cmp(&b.held.distinction))
    });
    entries
}

/// The whole registry's radar, before campaigns are attached.
pub(crate) fn compute_radar(
    catalogue: &Catalogue,
    awards: &[AwardView],
    today: NaiveDate,
    by: Option<NaiveDate>,
) -> (Vec<RadarEntry>, Vec<PendingAward>) {
    let mut by_laureate: BTreeMap<LaureateId, Vec<&AwardView>> = BTreeMap::new();
    for award in awards {
        by_laureate
            .entry(award.laureate_id)
            .or_default()
            .push(award);
    }
    let mut entries = Vec::new();
    let mut pending = Vec::new();
    for awards in by_laureate.values() {
        let (e, p) = laureate_radar(catalogue, awards, today);
        entries.extend(e);
        pending.extend(p);
    }
    pending.sort_by(|a, b| {
        (
            a.held.name.as_str(),
            a.held.distinction.as_str(),
            a.decree_date,
        )
            .cmp(&(
                b.held.name.as_str(),
                b.held.distinction.as_str(),
                b.decree_date,
            ))
    });
    (select(entries, by), pending)
}

/// The campaigns of `distinction` whose filing window includes `today`, soonest promotion
/// first.
pub(crate) fn open_campaigns(
    campaigns: &[CampaignView],
    distinction: &DistinctionCode,
    today: NaiveDate,
) -> Vec<OpenCampaign> {
    let mut open: Vec<OpenCampaign> = campaigns
        .iter()
        .filter(|c| c.distinction == *distinction && c.opens_on <= today && today <= c.closes_on)
        .map(|c| OpenCampaign {
            id: c.id,
            label: c.label.clone(),
            promotion_date: c.promotion_date,
        })
        .collect();
    open.sort_by(|a, b| (a.promotion_date, &a.label).cmp(&(b.promotion_date, &b.label)));
    open
}

/// The laureates eligible for their next grade, or who will be by `by` (`radar:read`), with
/// the campaigns a proposal may go to (only with `radar:propose`).
pub(crate) async fn radar(
    ctx: &WebContext,
    identity: &Identity,
    by: Option<NaiveDate>,
) -> ActionResult<Radar> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::RadarRead>(Scope::Central)?;
    let may_propose = access.may::<perm::RadarPropose>(Scope::Central)?;
    let may_registry = access.may::<perm::RegistryRead>(Scope::Central)?;
    let may_export = access.may::<perm::RadarExport>(Scope::Central)?;
    let catalogue = tenant_catalogue(&mut tx, &access).await?;
    let awards = store::awards(&mut tx).await?;
    let campaigns = if may_propose {
        store::campaigns(&mut tx).await?
    } else {
        Vec::new()
    };
    let today = tx.today();
    let (mut entries, pending) = compute_radar(&catalogue, &awards, today, by);
    let shown: Vec<ReadSubject> = entries
        .iter()
        .map(|e| &e.held)
        .chain(pending.iter().map(|p| &p.held))
        .map(|h| ReadSubject::Laureate(h.laureate_id))
        .collect();
    napoleon_web::end_reads(tx, identity, &shown, ReadChannel::Page).await?;
    for entry in &mut entries {
        entry.campaigns = open_campaigns(&campaigns, &entry.held.distinction, today);
    }
    Ok(Radar {
        by,
        today,
        entries,
        pending,
        may_propose,
        may_registry,
        may_export,
    })
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use napoleon_kernel::OrgUnitId;

    use super::*;
    use crate::domain::fixtures::{Laureate, builtin, day};

    fn entry(name: &str, distinction: &str, reachable_on: Option<NaiveDate>) -> RadarEntry {
        RadarEntry {
            held: Held {
                award_id: AwardId::new(),
                laureate_id: LaureateId::new(),
                name: name.to_owned(),
                distinction: DistinctionCode::parse(distinction).unwrap(),
                distinction_name: distinction.to_owned(),
                grade: GradeCode::parse("chevalier").unwrap(),
                grade_label: "chevalier".to_owned(),
            },
            received_on: day(2019, 7, 14),
            next_grade: GradeCode::parse("officier").unwrap(),
            next_grade_label: "officier".to_owned(),
            reachable_on,
            reachable_now: false,
            conditions: Vec::new(),
            campaigns: Vec::new(),
        }
    }

    #[test]
    fn an_empty_limit_is_no_limit_and_a_wrong_one_names_the_field() {
        assert_eq!(parse_limit("by", None), Ok(None));
        assert_eq!(parse_limit("by", Some("  ")), Ok(None));
        assert_eq!(
            parse_limit("by", Some("2035-07-14")),
            Ok(Some(day(2035, 7, 14)))
        );
        let error = parse_limit("date", Some("14 juillet")).unwrap_err();
        assert_eq!(error.field, "date");
        assert!(error.message.contains("jj/mm/aaaa"));
    }

    #[test]
    fn the_candidate_holds_only_the_awards_received() {
        let jeanne = Laureate::dupont();
        let received = jeanne.award("LH", "chevalier", day(2019, 7, 14), Some(day(2019, 10, 1)));
        let waiting = jeanne.award("ONM", "officier", day(2024, 5, 15), None);
        // A malformed stored code never reaches here: the contract refuses it when reading
        // (`napoleon_db::contracts::distinction_code`, tested there).
        let c = candidate(Some(day(1970, 3, 12)), &[&received, &waiting]);
        assert_eq!(c.birth_date, Some(day(1970, 3, 12)));
        assert_eq!(c.awards.len(), 1);
        let a = &c.awards[0];
        assert_eq!(a.distinction.as_str(), "LH");
        assert_eq!(a.grade.as_str(), "chevalier");
        assert_eq!(a.decreed_on, Some(day(2019, 7, 14)));
        assert_eq!(a.received_on, day(2019, 10, 1));
        assert!(c.services.is_empty() && c.mandates.is_empty() && c.deceased_on.is_none());
    }

    #[test]
    fn a_chevalier_reaches_officier_eight_years_after_the_reception() {
        let jeanne = Laureate::dupont();
        let a = jeanne.award("LH", "chevalier", day(2019, 7, 14), Some(day(2019, 10, 1)));
        let (entries, pending) = laureate_radar(&builtin(), &[&a], day(2027, 10, 1));
        assert!(pending.is_empty());
        assert_eq!(entries.len(), 1);
        let e = &entries[0];
        assert_eq!(e.held.award_id, a.id);
        assert_eq!(e.held.name, "DUPONT Jeanne Marie");
        assert_eq!(e.held.distinction_name, "Légion d'honneur");
        assert_eq!(
            (e.held.grade.as_str(), e.next_grade.as_str()),
            ("chevalier", "officier")
        );
        assert_eq!(e.received_on, day(2019, 10, 1));
        assert_eq!(e.reachable_on, Some(day(2027, 10, 1)));
        assert!(e.reachable_now);
        assert!(e.conditions.iter().any(|r| r.article.as_str() == "R19"));

        let (entries, _) = laureate_radar(&builtin(), &[&a], day(2027, 9, 30));
        assert!(!entries[0].reachable_now);
    }

    /// The radar's one entry for a laureate's awards on 1 January 2026, nothing pending.
    fn the_one_entry(awards: &[&AwardView]) -> RadarEntry {
        let (mut entries, pending) = laureate_radar(&builtin(), awards, day(2026, 1, 1));
        assert!(pending.is_empty());
        assert_eq!(entries.len(), 1);
        entries.remove(0)
    }

    #[test]
    fn the_proposal_starts_from_the_highest_grade_received() {
        let jeanne = Laureate::dupont();
        let chevalier = jeanne.award("LH", "chevalier", day(2010, 7, 14), Some(day(2010, 9, 1)));
        let officier = jeanne.award("LH", "officier", day(2020, 7, 14), Some(day(2020, 9, 1)));
        let entry = the_one_entry(&[&chevalier, &officier]);
        assert_eq!(entry.held.award_id, officier.id);
        assert_eq!(entry.next_grade_label, "commandeur");
        assert_eq!(entry.reachable_on, Some(day(2025, 9, 1)));
    }

    #[test]
    fn an_award_awaiting_its_reception_is_listed_apart() {
        let waiting = Laureate::dupont().award("LH", "chevalier", day(2025, 7, 14), None);
        let (entries, pending) = laureate_radar(&builtin(), &[&waiting], day(2026, 1, 1));
        assert!(entries.is_empty());
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].held.award_id, waiting.id);
        assert_eq!(pending[0].held.grade_label, "chevalier");
        assert_eq!(pending[0].held.distinction_name, "Légion d'honneur");
    }

    #[test]
    fn a_promotion_awaiting_its_reception_holds_back_the_distinction_only() {
        let jeanne = Laureate::dupont();
        let chevalier = jeanne.award("LH", "chevalier", day(2010, 7, 14), Some(day(2010, 9, 1)));
        let officier = jeanne.award("LH", "officier", day(2025, 7, 14), None);
        let onm = jeanne.award("ONM", "chevalier", day(2015, 5, 15), Some(day(2015, 9, 1)));
        let (entries, pending) =
            laureate_radar(&builtin(), &[&chevalier, &officier, &onm], day(2026, 1, 1));
        // No « officier » from the old chevalier: the promotion already happened.
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].held.distinction.as_str(), "ONM");
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].held.award_id, officier.id);
    }

    #[test]
    fn a_lower_award_without_reception_is_superseded_by_a_higher_one_received() {
        let jeanne = Laureate::dupont();
        let chevalier = jeanne.award("LH", "chevalier", day(2010, 7, 14), None);
        let officier = jeanne.award("LH", "officier", day(2020, 7, 14), Some(day(2020, 9, 1)));
        assert_eq!(
            the_one_entry(&[&chevalier, &officier]).held.award_id,
            officier.id
        );
    }

    #[test]
    fn the_top_grade_has_no_entry() {
        let top =
            Laureate::dupont().award("LH", "grand_croix", day(2010, 7, 14), Some(day(2010, 9, 1)));
        let (entries, pending) = laureate_radar(&builtin(), &[&top], day(2026, 1, 1));
        assert!(entries.is_empty() && pending.is_empty());
    }

    #[test]
    fn the_radar_keeps_what_is_reachable_by_the_date_soonest_first() {
        let entries = || {
            vec![
                entry("MARTIN Paul", "LH", Some(day(2030, 1, 1))),
                entry("BERNARD Anne", "LH", None),
                entry("DURAND Luc", "ONM", Some(day(2027, 7, 14))),
                entry("ARNAUD Marc", "LH", Some(day(2027, 7, 14))),
                entry("DURAND Luc", "LH", Some(day(2027, 7, 14))),
            ]
        };
        let all = select(entries(), None);
        let order: Vec<_> = all
            .iter()
            .map(|e| (e.held.name.as_str(), e.held.distinction.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("ARNAUD Marc", "LH"),
                ("DURAND Luc", "LH"),
                ("DURAND Luc", "ONM"),
                ("MARTIN Paul", "LH"),
                ("BERNARD Anne", "LH"),
            ]
        );
        let by = select(entries(), Some(day(2027, 7, 14)));
        assert_eq!(by.len(), 3);
        assert!(by.iter().all(|e| e.reachable_on == Some(day(2027, 7, 14))));
        assert!(select(entries(), Some(day(2027, 7, 13))).is_empty());
    }

    #[test]
    fn the_whole_radar_groups_awards_by_laureate() {
        let (jeanne, marc) = (Laureate::dupont(), Laureate::arnaud());
        let awards = vec![
            jeanne.award("LH", "chevalier", day(2019, 7, 14), Some(day(2019, 10, 1))),
            marc.award("LH", "chevalier", day(2015, 7, 14), Some(day(2015, 10, 1))),
            marc.award("ONM", "officier", day(2025, 5, 15), None),
        ];
        let (entries, pending) = compute_radar(&builtin(), &awards, day(2026, 1, 1), None);
        let names: Vec<_> = entries.iter().map(|e| e.held.name.as_str()).collect();
        assert_eq!(names, ["ARNAUD Marc", "DUPONT Jeanne Marie"]);
        assert_eq!(entries[0].reachable_on, Some(day(2023, 10, 1)));
        assert!(entries[0].reachable_now);
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].held.name, "ARNAUD Marc");
        let (entries, _) =
            compute_radar(&builtin(), &awards, day(2026, 1, 1), Some(day(2026, 1, 1)));
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn only_campaigns_of_the_distinction_open_today_are_offered() {
        let campaign =
            |distinction: &str, label: &str, opens: NaiveDate, closes: NaiveDate| CampaignView {
                id: CampaignId::new(),
                distinction: DistinctionCode::parse(distinction).unwrap(),
                label: label.to_owned(),
                promotion_date: day(2027, 7, 14),
                opens_on: opens,
                closes_on: closes,
                bureau_unit_id: OrgUnitId::new(),
                contingents: BTreeMap::new(),
            };
        let today = day(2027, 3, 1);
        let campaigns = vec![
            campaign("LH", "LH ouverte", day(2027, 1, 1), day(2027, 3, 1)),
            campaign("LH", "LH pas encore", day(2027, 3, 2), day(2027, 4, 1)),
            campaign("LH", "LH close", day(2026, 1, 1), day(2027, 2, 28)),
            campaign("ONM", "ONM ouverte", day(2027, 1, 1), day(2027, 4, 1)),
        ];
        let code = |c: &str| DistinctionCode::parse(c).unwrap();
        let open = open_campaigns(&campaigns, &code("LH"), today);
        let labels: Vec<_> = open.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["LH ouverte"]);
        assert!(open_campaigns(&campaigns, &code("MSI"), today).is_empty());
    }
}
