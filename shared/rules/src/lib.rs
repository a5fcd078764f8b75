//! Statutory eligibility engine for French honorary distinctions.
//!
//! Pure functions over data: no IO, no clock. The assessment date is an
//! input (the promotion date the proposal targets), and a proposal is
//! judged by the rule set in force on that date.
//!
//! * [`Catalogue`]: distinctions, ordered levels and dated rule sets, from
//!   the embedded `catalogue/*.toml` ([`Catalogue::builtin`]) or from any
//!   [`CatalogueData`] ([`Catalogue::from_toml_str`], [`Catalogue::from_data`]).
//! * [`evaluate`]: one [`Case`] → one [`Verdict`] with French reasons.
//! * [`check_json`]: the same from JSON, with typed [`CaseError`]s naming
//!   the offending field.
//! * [`next_grades`]: for a laureate, the next level in each distinction
//!   held and when durations make it reachable.
//! * [`dossier`]: the nomination dossier's state machine.
//! * [`Catalogue::listing`]: a serialisable view for `napoleon rules list`.
//!
//! # Date arithmetic
//!
//! * **Anniversaries.** A duration of N years that starts on day D is
//!   complete *on* `D + N years`: eight years as chevalier received on
//!   14/07/2019 are complete on 14/07/2027, not the day before. Months work
//!   the same way.
//! * **Missing days clamp to the end of the month**: 31 January + 1 month is
//!   28 (or 29) February, and **a 29 February anniversary falls on 28
//!   February** in common years. This is the rule French procedure applies
//!   to délais counted in months or years (« à défaut d'un quantième
//!   identique, le délai expire le dernier jour du mois », art. 641 CPC),
//!   it is what month arithmetic gives everywhere else in the engine, and it
//!   never makes a year shorter than 365 days. The alternative (1 March)
//!   would be one day stricter for candidates born or received on a
//!   29 February; no honours text settles the point.
//! * **Periods** (`services`, `mandates`) are inclusive of both dates; `to:
//!   null` means ongoing. Internally they are half-open `[from, to + 1)`.
//!   Service accrued *at* a date counts the days strictly before it.
//! * **Summed service.** Counted periods are merged (overlaps are never
//!   counted twice, gaps are excluded) and totalled in days. N years are
//!   reached when that total equals the number of days of the N calendar
//!   years following the first counted day. For one uninterrupted period
//!   this is exactly the anniversary; with gaps the anniversary slides by
//!   the gap days. The figure shown is the calendar distance from the first
//!   counted day to that slid end, so it never exceeds the calendar span
//!   and never decreases as the assessment date moves on (a « 30 days = 1
//!   month » sum of parts would do both in corner cases). The price: when a
//!   gap contains a 29 February not matched in the window, or the reverse,
//!   the result can differ by a day from adding the periods' calendar
//!   durations by hand (10 years from 1990 plus 26 years from 2001, with
//!   2000 missing, show as 35 years, 11 months and 30 days on 01/01/2027).
//! * **Durations are displayed** as « 7 ans, 11 mois et 30 jours ».
//! * **Time in a level** runs from the réception (prise de rang,
//!   `received_on`), never from the decree (R33, R48); if the same level was
//!   recorded twice, the earliest réception counts.
//! * **Deadlines** such as the B2's two months: a document issued on D is
//!   under two months old up to `D + 2 months` excluded.

mod case;
mod catalogue;
mod codes;
pub mod content;
mod dates;
pub mod dossier;
mod eval;
mod listing;
mod next;
mod verdict;

pub use case::{
    Award, Candidate, Case, CaseError, ErrorBody, MAX_LIST_ITEMS, Mandate, MandateKind, Period,
    PeriodError, Periodic, Proposal, Route, Service, ServiceKind, check_codes, parse_case,
    parse_case_value,
};
pub use catalogue::{
    ArticleRef, BUILTIN_DISTINCTIONS, BUILTIN_PRACTICES, Catalogue, CatalogueData, CatalogueError,
    CriminalRecordRule, CrossEntry, DeceasedPolicy, DeceasedRule, DistinctionData, DistinctionKind,
    GapOverride, GapPractice, GradeData, LevelNoun, NATIONAL_FILES, NationalityRule,
    ParliamentRule, PieceRequirement, Progression, ProgressionMode, RouteRule, RuleSet, Scope,
    ServiceCounting, TenantParameters, YearsRule, piece_label, piece_restricted,
};
pub use codes::{
    Article, CodeError, CountryCode, DistinctionCode, GradeCode, PieceCode, ReasonCode,
};
pub use dates::{Ymd, add_months, add_years, fr_date, fr_ymd, parse_typed_date};
pub use eval::evaluate;
pub use listing::{CatalogueListing, DistinctionListing, GapListing, RuleListing, RuleSetListing};
pub use next::{NextGrade, next_grades};
pub use verdict::{Reason, Severity, Verdict, VerdictKind};

/// The CLI/HTTP edge: parse a JSON case (paths named in errors), check its
/// codes against the catalogue, evaluate it.
pub fn check_json(catalogue: &Catalogue, input: &str) -> Result<Verdict, CaseError> {
    let case = parse_case(catalogue, input)?;
    Ok(evaluate(catalogue, &case))
}
