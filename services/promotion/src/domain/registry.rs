//! The laureate registry: every award of the tenant, grouped by distinction and grade.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use napoleon_authz::{Scope, perm};
use napoleon_db::contracts::AwardView;
use napoleon_db::readlog::{ReadChannel, ReadSubject};
use napoleon_identity::Identity;
use napoleon_kernel::{AwardId, LaureateId};
use napoleon_rules::{Catalogue, DistinctionCode, GradeCode};
use napoleon_web::{ActionResult, WebContext};

use super::{
    LaureateIdentity, UNNAMED, distinction_name, grade_index, grade_label, tenant_catalogue,
};
use crate::store;

/// One award of the registry.
pub(crate) struct RegistryRow {
    pub(crate) award_id: AwardId,
    pub(crate) laureate_id: LaureateId,
    pub(crate) name: String,
    pub(crate) decree_date: NaiveDate,
    pub(crate) jo_reference: String,
    /// `None`: « en attente ».
    pub(crate) reception_date: Option<NaiveDate>,
}

/// The awards of one grade, by name.
pub(crate) struct RegistryGrade {
    pub(crate) code: String,
    pub(crate) label: String,
    pub(crate) rows: Vec<RegistryRow>,
}

/// The awards of one distinction, highest grade first.
pub(crate) struct RegistryDistinction {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) grades: Vec<RegistryGrade>,
}

/// The registry page and its links.
pub(crate) struct Registry {
    pub(crate) distinctions: Vec<RegistryDistinction>,
    /// Whether the agent may see the radar (for the link).
    pub(crate) may_radar: bool,
}

/// Groups the awards by distinction (catalogue order, then unknown codes) and grade (highest
/// first, then unknown codes), each grade's laureates by name then decree date.
pub(crate) fn group_registry(
    catalogue: &Catalogue,
    awards: &[AwardView],
) -> Vec<RegistryDistinction> {
    type GradeKey = (usize, GradeCode);
    let mut groups: BTreeMap<(usize, DistinctionCode), BTreeMap<GradeKey, Vec<RegistryRow>>> =
        BTreeMap::new();
    let known = catalogue.distinctions();
    for award in awards {
        let d_rank = known
            .iter()
            .position(|d| d.code == award.distinction)
            .unwrap_or(usize::MAX);
        let g_rank = catalogue
            .distinction(&award.distinction)
            .zip(grade_index(catalogue, &award.distinction, &award.grade))
            .map_or(usize::MAX, |(d, i)| d.grades.len() - i);
        groups
            .entry((d_rank, award.distinction.clone()))
            .or_default()
            .entry((g_rank, award.grade.clone()))
            .or_default()
            .push(RegistryRow {
                award_id: award.id,
                laureate_id: award.laureate_id,
                name: LaureateIdentity::from_json(award.identity.expose()).display_name_or(UNNAMED),
                decree_date: award.decree_date,
                jo_reference: award.jo_reference.clone(),
                reception_date: award.reception_date,
            });
    }
    groups
        .into_iter()
        .map(|((_, code), grades)| RegistryDistinction {
            name: distinction_name(catalogue, &code),
            grades: grades
                .into_iter()
                .map(|((_, grade), mut rows)| {
                    rows.sort_by(|a, b| {
                        (a.name.as_str(), a.decree_date).cmp(&(b.name.as_str(), b.decree_date))
                    });
                    RegistryGrade {
                        label: grade_label(catalogue, &code, &grade),
                        code: grade.to_string(),
                        rows,
                    }
                })
                .collect(),
            code: code.to_string(),
        })
        .collect()
}

/// The registry, grouped by distinction and grade (`registry:read`).
pub(crate) async fn registry(ctx: &WebContext, identity: &Identity) -> ActionResult<Registry> {
    let (mut tx, access) = ctx.begin(identity).await?;
    access.require::<perm::RegistryRead>(Scope::Central)?;
    let may_radar = access.may::<perm::RadarRead>(Scope::Central)?;
    let catalogue = tenant_catalogue(&mut tx, &access).await?;
    let awards = store::awards(&mut tx).await?;
    let shown: Vec<ReadSubject> = awards
        .iter()
        .map(|a| ReadSubject::Laureate(a.laureate_id))
        .collect();
    napoleon_web::end_reads(tx, identity, &shown, ReadChannel::Page).await?;
    Ok(Registry {
        distinctions: group_registry(&catalogue, &awards),
        may_radar,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::fixtures::{Laureate, builtin, day};

    #[test]
    fn the_registry_groups_by_distinction_then_grade_highest_first() {
        let (jeanne, marc) = (Laureate::dupont(), Laureate::arnaud());
        // Marc again, stored without an identity, in a distinction the catalogue does not know.
        let unnamed = Laureate {
            identity: json!({}),
            ..marc.clone()
        };
        let awards = vec![
            jeanne.award("ONM", "chevalier", day(2012, 5, 15), Some(day(2012, 9, 1))),
            jeanne.award("LH", "chevalier", day(2019, 7, 14), None),
            marc.award("LH", "chevalier", day(2015, 7, 14), Some(day(2015, 10, 1))),
            marc.award("LH", "officier", day(2024, 7, 14), Some(day(2024, 10, 1))),
            unnamed.award("XX", "inconnu", day(2024, 7, 14), None),
        ];
        let groups = group_registry(&builtin(), &awards);
        let codes: Vec<_> = groups.iter().map(|g| g.code.as_str()).collect();
        assert_eq!(codes, ["LH", "ONM", "XX"]);
        assert_eq!(groups[0].name, "Légion d'honneur");
        let lh: Vec<_> = groups[0].grades.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(lh, ["officier", "chevalier"]);
        let chevaliers: Vec<_> = groups[0].grades[1]
            .rows
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(chevaliers, ["ARNAUD Marc", "DUPONT Jeanne Marie"]);
        assert_eq!(groups[0].grades[1].rows[1].reception_date, None);
        assert_eq!(groups[2].name, "XX");
        assert_eq!(groups[2].grades[0].label, "inconnu");
    }
}
