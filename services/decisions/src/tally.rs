//! The pure parts of the list: its order, the swap of two neighbours, the counters the bureau
//! watches while it ranks (contingent per grade, share of women among the retained) and their
//! French wording, and the dates agents type.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use napoleon_kernel::DossierId;
use napoleon_rules::dossier::DossierState;

/// Parses a date typed as `YYYY-MM-DD` or `jj/mm/aaaa` (years 1900 to 2200: a two-digit year
/// is a typo, not the first century).
pub(crate) fn parse_date(value: &str) -> Option<NaiveDate> {
    napoleon_rules::parse_typed_date(value).filter(|d| (1900..=2200).contains(&d.year()))
}

/// The list's order: ranked dossiers by stored rank, then the others as they came (`dossiers`
/// is in order of arrival). Position `i` is rank `i + 1`.
pub(crate) fn order(dossiers: &[DossierId], ranks: &HashMap<DossierId, i32>) -> Vec<DossierId> {
    let mut keyed: Vec<(Option<i32>, usize, DossierId)> = dossiers
        .iter()
        .enumerate()
        .map(|(arrival, id)| (ranks.get(id).copied(), arrival, *id))
        .collect();
    // `None` sorts first in `Option`'s order: put the unranked last instead.
    keyed.sort_by_key(|(rank, arrival, _)| (rank.is_none(), *rank, *arrival));
    keyed.into_iter().map(|(_, _, id)| id).collect()
}

/// Which way a dossier moves in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Toward rank 1.
    Up,
    /// Toward the end of the list.
    Down,
}

impl Direction {
    /// `up` or `down`.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "up" | "monter" => Some(Self::Up),
            "down" | "descendre" => Some(Self::Down),
            _ => None,
        }
    }

    /// The stored name.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
        }
    }
}

/// Why a dossier cannot move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Immovable {
    /// Not in the list.
    Absent,
    /// Already first (up) or last (down).
    AtEdge,
}

/// Swaps `id` with its neighbour in `direction`. Returns its new position and the neighbour.
pub(crate) fn swap(
    order: &mut [DossierId],
    id: DossierId,
    direction: Direction,
) -> Result<(usize, DossierId), Immovable> {
    let at = order
        .iter()
        .position(|d| *d == id)
        .ok_or(Immovable::Absent)?;
    let to = match direction {
        Direction::Up => at.checked_sub(1),
        Direction::Down => Some(at + 1).filter(|t| *t < order.len()),
    }
    .ok_or(Immovable::AtEdge)?;
    order.swap(at, to);
    let neighbour = order.get(at).copied().ok_or(Immovable::Absent)?;
    Ok((to, neighbour))
}

/// A rank as stored (`rank > 0`) from a position in the list.
pub(crate) fn rank_of(position: usize) -> i32 {
    i32::try_from(position + 1).unwrap_or(i32::MAX)
}

/// One grade's contingent and how many dossiers are retained for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GradeCount {
    /// Grade code.
    pub(crate) grade: String,
    /// Its label (« Chevalier »), or the code when the catalogue does not know it.
    pub(crate) label: String,
    /// Places set for the campaign, if any.
    pub(crate) places: Option<u32>,
    /// Dossiers retained (or already published) for this grade.
    pub(crate) retained: u32,
}

impl GradeCount {
    /// More retained than places.
    pub(crate) fn over(&self) -> bool {
        self.places.is_some_and(|p| self.retained > p)
    }

    /// « 3 retenus sur 5 places ».
    pub(crate) fn text(&self) -> String {
        // The state's own word (« retenu »), so the counter reads as the board's column.
        let word = DossierState::Retained.label_fr().to_lowercase();
        let retained = plural(self.retained, &word, &format!("{word}s"));
        match self.places {
            Some(p) => format!("{retained} sur {}", plural(p, "place", "places")),
            None => format!("{retained}, sans contingent fixé"),
        }
    }
}

/// The counters per grade: every grade with a contingent or a dossier in the list, in the
/// catalogue's order (`grades`: code and label, lowest first), then unknown codes by name.
/// `dossiers`: each dossier's proposed grade and whether it is retained.
pub(crate) fn grade_counts(
    grades: &[(String, String)],
    contingents: &BTreeMap<String, u32>,
    dossiers: &[(&str, bool)],
) -> Vec<GradeCount> {
    let mut codes: Vec<&str> = contingents.keys().map(String::as_str).collect();
    codes.extend(dossiers.iter().map(|(g, _)| *g));
    codes.sort_unstable();
    codes.dedup();
    let position = |code: &str| {
        grades
            .iter()
            .position(|(c, _)| c == code)
            .unwrap_or(usize::MAX)
    };
    codes.sort_by_key(|code| position(code));
    codes
        .into_iter()
        .map(|code| GradeCount {
            grade: code.to_owned(),
            label: grades
                .iter()
                .find(|(c, _)| c == code)
                .map_or_else(|| code.to_owned(), |(_, l)| l.clone()),
            places: contingents.get(code).copied(),
            retained: count(dossiers.iter().filter(|(g, r)| *r && *g == code)),
        })
        .collect()
}

/// The share of women among the retained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WomenShare {
    /// Dossiers retained (or published).
    pub(crate) retained: u32,
    /// Women among them.
    pub(crate) women: u32,
}

impl WomenShare {
    /// Counts the women (`F`) among the retained candidates' sexes.
    pub(crate) fn of<'a>(sexes: impl IntoIterator<Item = &'a str>) -> Self {
        let mut share = Self {
            retained: 0,
            women: 0,
        };
        for sex in sexes {
            share.retained += 1;
            if sex.trim().eq_ignore_ascii_case("F") {
                share.women += 1;
            }
        }
        share
    }

    /// The rounded percentage (half up), none while nobody is retained.
    pub(crate) fn percent(self) -> Option<u32> {
        let (women, retained) = (u64::from(self.women), u64::from(self.retained));
        (retained > 0)
            .then(|| u32::try_from((women * 200 + retained) / (2 * retained)).unwrap_or(100))
    }

    /// « 50 % de femmes parmi les retenus (1 sur 2) ».
    pub(crate) fn text(self) -> String {
        match self.percent() {
            Some(p) => format!(
                "{p} % de femmes parmi les retenus ({} sur {})",
                self.women, self.retained
            ),
            None => "Aucun dossier retenu pour l'instant.".to_owned(),
        }
    }
}

/// « 1 dossier », « 2 dossiers » (0 takes the singular in French).
pub(crate) fn plural(n: u32, singular: &str, plural: &str) -> String {
    if n > 1 {
        format!("{n} {plural}")
    } else {
        format!("{n} {singular}")
    }
}

/// A count that fits the counters' `u32`.
pub(crate) fn count<I: Iterator>(items: I) -> u32 {
    u32::try_from(items.count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<DossierId> {
        (0..n).map(|_| DossierId::new()).collect()
    }

    #[test]
    fn both_date_forms_are_accepted() {
        let expected = NaiveDate::from_ymd_opt(2027, 7, 14);
        assert_eq!(parse_date("2027-07-14"), expected);
        assert_eq!(parse_date(" 14/07/2027 "), expected);
        for bad in [
            "",
            "14/07/27",
            "2027-02-30",
            "31/04/2027",
            "14 juillet 2027",
            "07/14/2027",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn ranked_dossiers_come_first_then_the_others_as_they_came() {
        let d = ids(4);
        let ranks = HashMap::from([(d[2], 1), (d[0], 2)]);
        assert_eq!(order(&d, &ranks), vec![d[2], d[0], d[1], d[3]]);
        assert_eq!(order(&d, &HashMap::new()), d);
    }

    #[test]
    fn equal_ranks_keep_the_order_of_arrival() {
        let d = ids(3);
        let ranks = HashMap::from([(d[1], 1), (d[2], 1), (d[0], 1)]);
        assert_eq!(order(&d, &ranks), d);
    }

    #[test]
    fn a_swap_exchanges_two_neighbours() {
        let d = ids(3);
        let mut list = d.clone();
        assert_eq!(swap(&mut list, d[1], Direction::Up), Ok((0, d[0])));
        assert_eq!(list, vec![d[1], d[0], d[2]]);
        assert_eq!(swap(&mut list, d[0], Direction::Down), Ok((2, d[2])));
        assert_eq!(list, vec![d[1], d[2], d[0]]);
    }

    #[test]
    fn the_ends_of_the_list_do_not_move_further() {
        let d = ids(2);
        let mut list = d.clone();
        assert_eq!(swap(&mut list, d[0], Direction::Up), Err(Immovable::AtEdge));
        assert_eq!(
            swap(&mut list, d[1], Direction::Down),
            Err(Immovable::AtEdge)
        );
        assert_eq!(
            swap(&mut list, DossierId::new(), Direction::Up),
            Err(Immovable::Absent)
        );
        assert_eq!(list, d);
    }

    #[test]
    fn directions_parse() {
        assert_eq!(Direction::parse("up"), Some(Direction::Up));
        assert_eq!(Direction::parse("down"), Some(Direction::Down));
        assert_eq!(Direction::parse("sideways"), None);
        assert_eq!(rank_of(0), 1);
    }

    fn catalogue() -> Vec<(String, String)> {
        [
            ("chevalier", "Chevalier"),
            ("officier", "Officier"),
            ("commandeur", "Commandeur"),
        ]
        .iter()
        .map(|(c, l)| ((*c).to_owned(), (*l).to_owned()))
        .collect()
    }

    #[test]
    fn contingents_count_the_retained_per_grade_in_catalogue_order() {
        let contingents = BTreeMap::from([("officier".to_owned(), 2), ("chevalier".to_owned(), 5)]);
        let dossiers = [
            ("chevalier", true),
            ("chevalier", true),
            ("chevalier", false),
            ("chevalier", true),
            ("officier", true),
            ("officier", true),
            ("officier", true),
            ("grand_mystere", false),
        ];
        let counts = grade_counts(&catalogue(), &contingents, &dossiers);
        let summary: Vec<(&str, Option<u32>, u32, bool)> = counts
            .iter()
            .map(|c| (c.grade.as_str(), c.places, c.retained, c.over()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("chevalier", Some(5), 3, false),
                ("officier", Some(2), 3, true),
                ("grand_mystere", None, 0, false),
            ]
        );
        assert_eq!(
            counts.first().map(GradeCount::text).as_deref(),
            Some("3 retenus sur 5 places")
        );
        assert_eq!(
            counts.get(2).map(|c| c.label.as_str()),
            Some("grand_mystere")
        );
        assert_eq!(
            counts.get(2).map(GradeCount::text).as_deref(),
            Some("0 retenu, sans contingent fixé")
        );
    }

    #[test]
    fn a_grade_with_places_and_no_dossier_is_shown() {
        let contingents = BTreeMap::from([("commandeur".to_owned(), 1)]);
        let counts = grade_counts(&catalogue(), &contingents, &[]);
        assert_eq!(counts.len(), 1);
        assert_eq!(
            counts.first().map(GradeCount::text).as_deref(),
            Some("0 retenu sur 1 place")
        );
    }

    #[test]
    fn the_share_of_women_is_rounded_half_up() {
        let share = WomenShare::of(["F", "M"]);
        assert_eq!(
            share,
            WomenShare {
                retained: 2,
                women: 1
            }
        );
        assert_eq!(share.percent(), Some(50));
        assert_eq!(share.text(), "50 % de femmes parmi les retenus (1 sur 2)");
        assert_eq!(WomenShare::of(["F", "M", "M"]).percent(), Some(33));
        assert_eq!(WomenShare::of(["F", "F", "M"]).percent(), Some(67));
        assert_eq!(
            WomenShare::of(["F", "M", "M", "M", "M", "M", "M", "M"]).percent(),
            Some(13)
        );
        assert_eq!(WomenShare::of(["f"]).percent(), Some(100));
        assert_eq!(WomenShare::of(["M", ""]).percent(), Some(0));
    }

    #[test]
    fn no_share_while_nobody_is_retained() {
        let share = WomenShare::of([]);
        assert_eq!(share.percent(), None);
        assert_eq!(share.text(), "Aucun dossier retenu pour l'instant.");
    }

    #[test]
    fn french_plurals() {
        assert_eq!(plural(0, "dossier", "dossiers"), "0 dossier");
        assert_eq!(plural(1, "dossier", "dossiers"), "1 dossier");
        assert_eq!(plural(2, "dossier", "dossiers"), "2 dossiers");
    }
}
