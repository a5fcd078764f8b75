//! Properties of the engine over generated candidates.
#![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use chrono::NaiveDate;
use napoleon_rules::{
    Award, Candidate, Case, Catalogue, DistinctionCode, GradeCode, Proposal, Service, ServiceKind,
    Severity, Ymd, evaluate, next_grades,
};
use proptest::prelude::*;

fn day(offset: u32) -> NaiveDate {
    // 1980-01-01 + offset days: a range that crosses several leap years.
    NaiveDate::from_ymd_opt(1980, 1, 1)
        .and_then(|d| d.checked_add_days(chrono::Days::new(u64::from(offset))))
        .expect("in range")
}

fn kind() -> impl Strategy<Value = ServiceKind> {
    prop_oneof![
        Just(ServiceKind::Public),
        Just(ServiceKind::Private),
        Just(ServiceKind::Volunteer),
        Just(ServiceKind::Military),
        Just(ServiceKind::Elected),
    ]
}

fn service() -> impl Strategy<Value = Service> {
    (0u32..14_000, proptest::option::of(0u32..6_000), kind()).prop_map(|(start, len, k)| {
        let from = day(start);
        Service::new(from, len.map(|l| day(start + l)), k).expect("ordered")
    })
}

const LADDERS: &[(&str, &[&str])] = &[
    (
        "LH",
        &[
            "chevalier",
            "officier",
            "commandeur",
            "grand_officier",
            "grand_croix",
        ],
    ),
    (
        "ONM",
        &[
            "chevalier",
            "officier",
            "commandeur",
            "grand_officier",
            "grand_croix",
        ],
    ),
    ("MHRDC", &["argent", "vermeil", "or"]),
    ("MHT", &["argent", "vermeil", "or", "grand_or"]),
    ("MJSEA", &["bronze", "argent", "or"]),
    ("MHSP", &["bronze", "argent", "or", "grand_or"]),
    ("AL", &["chevalier", "officier", "commandeur"]),
];

fn award() -> impl Strategy<Value = Award> {
    (0..LADDERS.len(), 0usize..5, 0u32..16_000).prop_map(|(d, g, when)| {
        let (code, grades) = LADDERS.get(d).copied().expect("index");
        let grade = grades.get(g % grades.len()).copied().expect("index");
        Award {
            distinction: DistinctionCode::parse(code).unwrap(),
            grade: GradeCode::parse(grade).unwrap(),
            decreed_on: None,
            received_on: day(when),
        }
    })
}

fn candidate() -> impl Strategy<Value = Candidate> {
    (
        0u32..10_000,
        proptest::collection::vec(service(), 0..5),
        proptest::collection::vec(award(), 0..4),
    )
        .prop_map(|(birth, services, awards)| Candidate {
            birth_date: Some(day(birth)),
            nationality: Some(napoleon_rules::CountryCode::parse("FR").unwrap()),
            services,
            awards,
            ..Candidate::default()
        })
}

fn case(c: &Candidate, dist: &str, grade: &str, at: NaiveDate) -> Case {
    Case {
        distinction: DistinctionCode::parse(dist).unwrap(),
        grade: GradeCode::parse(grade).unwrap(),
        assessed_on: at,
        candidate: c.clone(),
        proposal: Some(Proposal::default()),
    }
}

const DURATION_CODES: &[&str] = &["services.min_years", "grade.time_in_previous", "age.min"];

/// Highest level the candidate holds or may be proposed for at `at`.
fn best_level(cat: &Catalogue, c: &Candidate, dist: &str, grades: &[&str], at: NaiveDate) -> i64 {
    let held = c
        .awards
        .iter()
        .filter(|a| a.distinction.as_str() == dist && a.received_on <= at)
        .filter_map(|a| grades.iter().position(|g| *g == a.grade.as_str()))
        .max()
        .map_or(-1, |i| i64::try_from(i).unwrap());
    let open = grades
        .iter()
        .enumerate()
        .filter(|(_, g)| !evaluate(cat, &case(c, dist, g, at)).is_blocked())
        .map(|(i, _)| i64::try_from(i).unwrap())
        .max()
        .unwrap_or(-1);
    held.max(open)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Once a duration condition is met it stays met at every later date.
    #[test]
    fn duration_rules_are_monotonic(
        c in candidate(),
        ladder in 0..LADDERS.len(),
        g in 0usize..5,
        a in 14_000u32..18_000,
        step in 0u32..4_000,
    ) {
        // Monotonic with the facts held fixed: an award received between the two dates
        // changes the candidate (they may then hold the very grade assessed).
        let (from, to) = (day(a), day(a + step));
        prop_assume!(!c.awards.iter().any(|w| w.received_on > from && w.received_on <= to));
        let cat = Catalogue::builtin().unwrap();
        let (dist, grades) = LADDERS.get(ladder).copied().unwrap();
        let grade = grades.get(g % grades.len()).copied().unwrap();
        let early = evaluate(&cat, &case(&c, dist, grade, day(a)));
        let late = evaluate(&cat, &case(&c, dist, grade, day(a + step)));
        let prefix = dist.to_lowercase();
        for suffix in DURATION_CODES {
            let code = format!("{prefix}.{suffix}");
            if early.reason(&code).map(|r| r.severity) == Some(Severity::Info) {
                prop_assert_eq!(
                    late.reason(&code).map(|r| r.severity),
                    Some(Severity::Info),
                    "{} met on {} but not on {}", code, day(a), day(a + step)
                );
            }
        }
    }

    /// `eligible_from` is honest: on that day no duration rule blocks.
    #[test]
    fn eligible_from_meets_the_durations(
        c in candidate(),
        ladder in 0..LADDERS.len(),
        g in 0usize..5,
        a in 14_000u32..18_000,
    ) {
        let cat = Catalogue::builtin().unwrap();
        let (dist, grades) = LADDERS.get(ladder).copied().unwrap();
        let grade = grades.get(g % grades.len()).copied().unwrap();
        let v = evaluate(&cat, &case(&c, dist, grade, day(a)));
        if let Some(from) = v.eligible_from {
            // Only later awards could change the picture; keep those held then.
            let at = from.max(day(a));
            let v2 = evaluate(&cat, &case(&c, dist, grade, at));
            let prefix = dist.to_lowercase();
            for suffix in DURATION_CODES {
                let code = format!("{prefix}.{suffix}");
                prop_assert_ne!(v2.reason(&code).map(|r| r.severity), Some(Severity::Blocking));
            }
            if from > day(a) {
                let before = from.pred_opt().unwrap();
                let v3 = evaluate(&cat, &case(&c, dist, grade, before));
                prop_assert!(v3.is_blocked(), "not blocked the day before eligible_from");
            }
        }
    }

    /// Adding an award never lowers the level reachable in any distinction,
    /// nor the next grade offered to a laureate.
    #[test]
    fn adding_an_award_never_lowers_the_reachable_level(
        c in candidate(),
        extra in award(),
        a in 14_000u32..18_000,
    ) {
        let cat = Catalogue::builtin().unwrap();
        let mut more = c.clone();
        more.awards.push(extra);
        for (dist, grades) in LADDERS {
            let before = best_level(&cat, &c, dist, grades, day(a));
            let after = best_level(&cat, &more, dist, grades, day(a));
            prop_assert!(after >= before, "{}: {} -> {}", dist, before, after);
        }
        let idx = |c: &Candidate| -> Vec<(String, usize)> {
            next_grades(&cat, c)
                .into_iter()
                .map(|n| {
                    let grades = LADDERS.iter().find(|(d, _)| *d == n.distinction.as_str())
                        .map(|(_, g)| *g).unwrap_or(&[]);
                    let i = grades.iter().position(|g| *g == n.current_grade.as_str()).unwrap_or(0);
                    (n.distinction.to_string(), i)
                })
                .collect()
        };
        let before = idx(&c);
        let after = idx(&more);
        for (d, i) in before {
            let j = after.iter().find(|(e, _)| *e == d).map(|(_, j)| *j);
            prop_assert!(j.is_some_and(|j| j >= i), "{}: next grade went down", d);
        }
    }

    /// Calendar durations agree with anniversaries.
    #[test]
    fn ymd_agrees_with_anniversaries(s in 0u32..20_000, len in 0u32..20_000, years in 0u32..60) {
        let start = day(s);
        let end = day(s + len);
        let anniversary = napoleon_rules::add_years(start, years).unwrap();
        prop_assert_eq!(Ymd::between(start, end) >= Ymd::years(years), end >= anniversary);
    }
}
