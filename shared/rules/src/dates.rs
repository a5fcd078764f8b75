//! Calendar arithmetic used by every duration rule.
//!
//! See the crate documentation for the conventions; in short:
//! * a duration of N years started on day D is complete on its anniversary
//!   `D + N years` (the condition holds *on* that day, not the day after);
//! * adding months or years clamps to the last day of the month when the
//!   day does not exist (29 February + 1 year = 28 February);
//! * service periods are inclusive of both bounds in the input and handled
//!   internally as half-open `[from, to + 1 day)` ranges.

use chrono::{Datelike, Days, Months, NaiveDate};

/// A calendar duration in years, months and days, as displayed to users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Ymd {
    pub years: u32,
    pub months: u32,
    pub days: u32,
}

impl Ymd {
    pub const fn years(years: u32) -> Self {
        Self {
            years,
            months: 0,
            days: 0,
        }
    }

    /// Calendar distance from `start` to `end` (`end` excluded), using the
    /// same clamping as [`add_months`] so that
    /// `between(d, x) >= Ymd::years(n)` exactly when `x >= add_years(d, n)`.
    /// Returns zero when `end <= start`.
    pub fn between(start: NaiveDate, end: NaiveDate) -> Self {
        if end <= start {
            return Self::default();
        }
        let month_index = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
        let mut total = month_index(end) - month_index(start);
        while total > 0 && add_months_i(start, total).is_none_or(|d| d > end) {
            total -= 1;
        }
        let anchor = add_months_i(start, total).unwrap_or(start);
        let days = (end - anchor).num_days();
        let total = u32::try_from(total).unwrap_or(0);
        Self {
            years: total / 12,
            months: total % 12,
            days: u32::try_from(days).unwrap_or(0),
        }
    }
}

fn add_months_i(date: NaiveDate, months: i64) -> Option<NaiveDate> {
    let months = u32::try_from(months).ok()?;
    date.checked_add_months(Months::new(months))
}

/// `date + months`, clamped to the end of the target month; `None` only
/// past chrono's representable range (year 262 143).
pub fn add_months(date: NaiveDate, months: u32) -> Option<NaiveDate> {
    date.checked_add_months(Months::new(months))
}

/// Anniversary `years` after `date` (29 February → 28 February).
pub fn add_years(date: NaiveDate, years: u32) -> Option<NaiveDate> {
    add_months(date, years.checked_mul(12)?)
}

pub(crate) fn add_days(date: NaiveDate, days: u64) -> Option<NaiveDate> {
    date.checked_add_days(Days::new(days))
}

pub(crate) fn next_day(date: NaiveDate) -> Option<NaiveDate> {
    date.succ_opt()
}

/// A date as agents type it: `jj/mm/aaaa` or `aaaa-mm-jj`, surrounding spaces ignored. The one
/// parser of typed dates: every form and API field that takes a date reads it here.
#[must_use]
pub fn parse_typed_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d/%m/%Y"))
        .ok()
}

/// `dd/mm/yyyy`, the form used in French administrative letters.
pub fn fr_date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

fn plural(n: u32, singular: &str, plural: &str) -> String {
    if n > 1 {
        format!("{n} {plural}")
    } else {
        format!("{n} {singular}")
    }
}

/// « 7 ans, 11 mois et 30 jours »; zero parts omitted, « 0 jour » if empty.
pub fn fr_ymd(d: Ymd) -> String {
    let mut parts = Vec::new();
    if d.years > 0 {
        parts.push(plural(d.years, "an", "ans"));
    }
    if d.months > 0 {
        parts.push(format!("{} mois", d.months));
    }
    if d.days > 0 {
        parts.push(plural(d.days, "jour", "jours"));
    }
    match parts.split_last() {
        None => "0 jour".to_owned(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} et {last}", rest.join(", ")),
    }
}

pub(crate) fn fr_years(n: u32) -> String {
    plural(n, "an", "ans")
}

/// Half-open day range `[start, end)`; `end = None` is open-ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
}

/// Merges overlapping or touching ranges so that simultaneous activities
/// (a job and a local mandate, say) are never counted twice.
pub(crate) fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.retain(|s| s.end.is_none_or(|e| e > s.start));
    spans.sort_by_key(|s| s.start);
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        if let Some(last) = out.last_mut() {
            let touches = last.end.is_none_or(|e| s.start <= e);
            if touches {
                last.end = match (last.end, s.end) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
                continue;
            }
        }
        out.push(s);
    }
    out
}

/// Service accrued by a set of merged ranges.
///
/// Summing disjoint periods has no natural calendar anchor, so the total is
/// counted in days and compared with the length in days of the required
/// number of calendar years *starting on the first counted day*. With one
/// uninterrupted period this is exactly the anniversary rule; with gaps it
/// amounts to sliding the end date by the gap days. The displayed figure is
/// the calendar distance from the first counted day to that slid end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tally {
    merged: Vec<Span>,
}

impl Tally {
    pub(crate) fn new(spans: Vec<Span>) -> Self {
        Self {
            merged: merge(spans),
        }
    }

    pub(crate) fn first_day(&self) -> Option<NaiveDate> {
        self.merged.first().map(|s| s.start)
    }

    pub(crate) fn spans(&self) -> &[Span] {
        &self.merged
    }

    /// Days of service strictly before `at`.
    pub(crate) fn days_before(&self, at: NaiveDate) -> u64 {
        self.merged
            .iter()
            .map(|s| {
                let end = s.end.map_or(at, |e| e.min(at));
                u64::try_from((end - s.start).num_days()).unwrap_or(0)
            })
            .sum()
    }

    /// Service accrued at `at` (days before `at`), as a calendar duration.
    pub(crate) fn accrued(&self, at: NaiveDate) -> Ymd {
        let Some(first) = self.first_day() else {
            return Ymd::default();
        };
        let slid_end = add_days(first, self.days_before(at)).unwrap_or(first);
        Ymd::between(first, slid_end)
    }

    /// First day on which `years` of service are complete, or `None` if the
    /// recorded periods never reach it.
    pub(crate) fn reached_on(&self, years: u32) -> Option<NaiveDate> {
        let first = self.first_day()?;
        if years == 0 {
            return Some(first);
        }
        let needed = u64::try_from((add_years(first, years)? - first).num_days()).ok()?;
        let mut before = 0_u64;
        for s in &self.merged {
            let remaining = needed.saturating_sub(before);
            let candidate = add_days(s.start, remaining)?;
            match s.end {
                Some(end) if candidate > end => {
                    before += u64::try_from((end - s.start).num_days()).ok()?;
                }
                _ => return Some(candidate),
            }
        }
        None
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn typed_dates_are_read_in_iso_or_french_form() {
        assert_eq!(parse_typed_date("2027-07-14"), Some(d("2027-07-14")));
        assert_eq!(parse_typed_date(" 14/07/2027 "), Some(d("2027-07-14")));
        assert_eq!(parse_typed_date("31/02/2027"), None);
        assert_eq!(parse_typed_date("demain"), None);
        assert_eq!(parse_typed_date(""), None);
    }

    #[test]
    fn leap_day_anniversary_clamps_to_28_february() {
        assert_eq!(add_years(d("2024-02-29"), 1), Some(d("2025-02-28")));
        assert_eq!(add_years(d("2024-02-29"), 4), Some(d("2028-02-29")));
        assert_eq!(add_months(d("2027-01-31"), 1), Some(d("2027-02-28")));
    }

    #[test]
    fn between_matches_anniversaries() {
        assert_eq!(
            Ymd::between(d("2019-07-14"), d("2027-07-14")),
            Ymd::years(8)
        );
        assert_eq!(
            Ymd::between(d("2019-07-15"), d("2027-07-14")),
            Ymd {
                years: 7,
                months: 11,
                days: 29
            }
        );
        assert_eq!(
            Ymd::between(d("2024-02-29"), d("2025-02-28")),
            Ymd::years(1)
        );
        assert_eq!(
            Ymd::between(d("2024-02-29"), d("2025-02-27")),
            Ymd {
                years: 0,
                months: 11,
                days: 29
            }
        );
        assert_eq!(
            Ymd::between(d("2027-01-01"), d("2026-01-01")),
            Ymd::default()
        );
    }

    #[test]
    fn french_durations() {
        assert_eq!(
            fr_ymd(Ymd {
                years: 7,
                months: 11,
                days: 30
            }),
            "7 ans, 11 mois et 30 jours"
        );
        assert_eq!(fr_ymd(Ymd::years(1)), "1 an");
        assert_eq!(
            fr_ymd(Ymd {
                years: 0,
                months: 1,
                days: 1
            }),
            "1 mois et 1 jour"
        );
        assert_eq!(fr_ymd(Ymd::default()), "0 jour");
        assert_eq!(fr_date(d("2027-07-14")), "14/07/2027");
    }

    #[test]
    fn merging_removes_overlaps_and_keeps_gaps() {
        let t = Tally::new(vec![
            Span {
                start: d("2000-01-01"),
                end: Some(d("2005-01-01")),
            },
            Span {
                start: d("2003-01-01"),
                end: Some(d("2006-01-01")),
            },
            Span {
                start: d("2007-01-01"),
                end: None,
            },
        ]);
        assert_eq!(t.spans().len(), 2);
        // 6 years, then a one-year gap: 10 years are reached one year late.
        assert_eq!(t.reached_on(10), Some(d("2011-01-01")));
        assert_eq!(t.accrued(d("2011-01-01")), Ymd::years(10));
        assert_eq!(t.accrued(d("2007-01-01")), Ymd::years(6));
    }

    #[test]
    fn closed_periods_may_never_reach() {
        let t = Tally::new(vec![Span {
            start: d("2000-01-01"),
            end: Some(d("2005-01-01")),
        }]);
        assert_eq!(t.reached_on(5), Some(d("2005-01-01")));
        assert_eq!(t.reached_on(6), None);
    }

    fn day(offset: u32) -> NaiveDate {
        add_days(d("1980-01-01"), u64::from(offset)).unwrap()
    }

    fn tally(raw: &[(u32, Option<u32>)]) -> Tally {
        Tally::new(
            raw.iter()
                .map(|(s, len)| Span {
                    start: day(*s),
                    end: len.map(|l| day(s + l)),
                })
                .collect(),
        )
    }

    proptest::proptest! {
        #[test]
        fn merged_service_never_exceeds_calendar_span(
            raw in proptest::collection::vec((0u32..20_000, proptest::option::of(0u32..8_000)), 1..6),
            at in 0u32..30_000,
        ) {
            let t = tally(&raw);
            let at = day(at);
            // Periods that all end before they start count nothing: no first day to span from.
            let Some(first) = t.first_day() else {
                proptest::prop_assert_eq!(t.days_before(at), 0);
                return Ok(());
            };
            let span_days = u64::try_from((at - first).num_days().max(0)).unwrap();
            proptest::prop_assert!(t.days_before(at) <= span_days);
            proptest::prop_assert!(t.accrued(at) <= Ymd::between(first, at));
            // Merging never counts a day twice: at most the sum of the parts.
            let parts: u64 = raw.iter().map(|r| tally(&[*r]).days_before(at)).sum();
            proptest::prop_assert!(t.days_before(at) <= parts);
        }

        #[test]
        fn accrued_service_is_monotonic_and_reached_on_is_exact(
            raw in proptest::collection::vec((0u32..20_000, proptest::option::of(0u32..8_000)), 1..6),
            a in 0u32..30_000,
            step in 0u32..3_000,
            years in 1u32..40,
        ) {
            let t = tally(&raw);
            proptest::prop_assert!(t.accrued(day(a)) <= t.accrued(day(a + step)));
            if let Some(on) = t.reached_on(years) {
                proptest::prop_assert!(t.accrued(on) >= Ymd::years(years));
                let before = on.pred_opt().unwrap();
                proptest::prop_assert!(t.accrued(before) < Ymd::years(years));
            }
        }
    }
}
