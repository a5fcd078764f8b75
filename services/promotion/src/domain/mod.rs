//! Promotion's use cases, one file per page group: the laureate registry and the promotion
//! radar. Both only read: each opens the request's tenant transaction, checks the permission,
//! reads the registry (the `registry.awards_v1` contract view), the tenant's catalogue and,
//! for proposals, the open campaigns (`intake.campaigns_v1`), and rolls back. The contract
//! views are read through [`crate::store`].
//!
//! The radar asks the rules engine ([`napoleon_rules::next_grades`]) when each laureate's
//! durations make the next grade reachable. Time in a grade runs from the réception (prise de
//! rang), so an award whose réception is not recorded yet cannot count: such laureates are
//! listed apart, « en attente de réception ».

pub(crate) mod exports;
mod radar;
mod registry;

use napoleon_rules::{Catalogue, DistinctionCode, GradeCode};

pub(crate) use radar::{Held, PendingAward, RadarEntry};
#[cfg(test)]
pub(crate) use radar::{OpenCampaign, laureate_radar};
pub(crate) use radar::{Radar, parse_limit, radar};
#[cfg(test)]
pub(crate) use registry::FilterChoices;
pub(crate) use registry::{Registry, RegistryAsk, choices, registry};
#[cfg(test)]
pub(crate) use registry::{RegistryAward, RegistryFilter, RegistryRow};

pub(crate) use napoleon_web::tenant_catalogue;

// Names and labels --------------------------------------------------------------------------

/// A laureate's registry identity (the shape of intake's candidate). Personal data: its
/// `Debug` is masked, never logged.
pub(crate) use napoleon_rules::content::Candidate as LaureateIdentity;

/// How a laureate without a name shows.
const UNNAMED: &str = "(identité non renseignée)";

/// The distinction's name in the catalogue, or its code when the catalogue does not know it.
fn distinction_name(catalogue: &Catalogue, code: &DistinctionCode) -> String {
    catalogue
        .distinction(code)
        .map_or_else(|| code.to_string(), |d| d.name.clone())
}

/// The grade's label in the catalogue, or its code.
fn grade_label(catalogue: &Catalogue, distinction: &DistinctionCode, grade: &GradeCode) -> String {
    catalogue
        .distinction(distinction)
        .and_then(|d| d.grade_index(grade).map(|_| d.label(grade)))
        .unwrap_or_else(|| grade.to_string())
}

/// The grade's rank in its distinction's ladder (0 = lowest), when the catalogue knows both.
fn grade_index(
    catalogue: &Catalogue,
    distinction: &DistinctionCode,
    grade: &GradeCode,
) -> Option<usize> {
    catalogue.distinction(distinction)?.grade_index(grade)
}

/// What the tests of the use cases and of the pages build their registry from: the same
/// awards, laureates and days everywhere, written once.
#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
pub(crate) mod fixtures {
    use chrono::NaiveDate;
    use napoleon_db::contracts::AwardView;
    use napoleon_kernel::{AwardId, LaureateId, Personal};
    use napoleon_rules::{Catalogue, DistinctionCode, GradeCode};
    use serde_json::{Value, json};

    pub(crate) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    pub(crate) fn builtin() -> Catalogue {
        Catalogue::builtin().unwrap()
    }

    /// A laureate of the registry: its id and its identity as stored, which every award of
    /// the laureate carries (the contract view repeats it on each row).
    #[derive(Clone)]
    pub(crate) struct Laureate {
        pub(crate) id: LaureateId,
        pub(crate) identity: Value,
    }

    impl Laureate {
        pub(crate) fn new(identity: Value) -> Self {
            Self {
                id: LaureateId::new(),
                identity,
            }
        }

        /// Jeanne Marie Dupont, born 12/03/1970, every identity field filled.
        pub(crate) fn dupont() -> Self {
            Self::new(json!({
                "birth_name": "Dupont", "usual_name": "", "given_names": "Jeanne Marie", "sex": "F",
                "birth_date": "12/03/1970", "birth_place": "Lyon", "nationality": "FR",
            }))
        }

        /// Marc Arnaud, names only.
        pub(crate) fn arnaud() -> Self {
            Self::new(json!({"birth_name": "Arnaud", "given_names": "Marc"}))
        }

        /// The laureate's award of `grade` in `distinction`, decreed on `decree`; `reception`
        /// `None`: still awaited.
        pub(crate) fn award(
            &self,
            distinction: &str,
            grade: &str,
            decree: NaiveDate,
            reception: Option<NaiveDate>,
        ) -> AwardView {
            AwardView {
                id: AwardId::new(),
                laureate_id: self.id,
                identity: Personal::new(self.identity.clone()),
                distinction: DistinctionCode::parse(distinction).unwrap(),
                grade: GradeCode::parse(grade).unwrap(),
                decree_date: decree,
                jo_reference: "JORF n° 0163 du 14 juillet 2019".to_owned(),
                reception_date: reception,
                dossier_id: None,
                unit_id: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::fixtures::{Laureate, day};
    use super::*;

    #[test]
    fn names_read_family_name_in_capitals_usual_name_first() {
        let name = |v: serde_json::Value| LaureateIdentity::from_json(&v).display_name_or(UNNAMED);
        assert_eq!(name(Laureate::dupont().identity), "DUPONT Jeanne Marie");
        assert_eq!(
            name(json!({"birth_name": "Dupont", "usual_name": "Martin", "given_names": "Jeanne"})),
            "MARTIN Jeanne"
        );
        assert_eq!(
            name(json!({"birth_name": " Lefèvre ", "usual_name": null, "given_names": " Élise "})),
            "LEFÈVRE Élise"
        );
        assert_eq!(name(json!({})), "(identité non renseignée)");
        assert_eq!(name(json!("pas un objet")), "(identité non renseignée)");
    }

    #[test]
    fn the_birth_date_is_read_when_it_is_a_date() {
        assert_eq!(
            LaureateIdentity::from_json(&Laureate::dupont().identity).birth_date(),
            Some(day(1970, 3, 12))
        );
        assert_eq!(
            LaureateIdentity::from_json(&json!({"birth_date": "1970"})).birth_date(),
            None
        );
    }
}
