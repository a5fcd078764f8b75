//! Promotion detection for laureates: for each distinction held, the next
//! level and the day it becomes reachable on durations alone.

use chrono::NaiveDate;
use serde::Serialize;

use crate::case::Candidate;
use crate::catalogue::{Catalogue, DistinctionData, ProgressionMode, RuleSet};
use crate::codes::{DistinctionCode, GradeCode, ReasonCode};
use crate::dates::{add_years, fr_date, fr_years};
use crate::eval::{highest_held, holder_phrase, service_tally, unverified};
use crate::verdict::{Reason, Severity};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextGrade {
    pub distinction: DistinctionCode,
    pub current_grade: GradeCode,
    /// Prise de rang in the current level (first réception in it).
    pub current_received_on: NaiveDate,
    /// `None` at the top of the ladder.
    pub next_grade: Option<GradeCode>,
    /// First day on which the durations of the rule set then in force are
    /// met; `None` when the top is reached, when the level is awarded on
    /// merit alone, or when a duration can never be met with the recorded
    /// data. Only a *potential*: merits, gaps and quotas are for humans.
    pub reachable_on: Option<NaiveDate>,
    /// The duration conditions considered, with their articles.
    pub conditions: Vec<Reason>,
}

/// Next levels for every catalogue distinction the candidate holds, in
/// catalogue order. Deceased candidates get none: promotion detection stops
/// at death (posthumous awards are a separate decision).
pub fn next_grades(catalogue: &Catalogue, candidate: &Candidate) -> Vec<NextGrade> {
    if candidate.deceased_on.is_some() {
        return Vec::new();
    }
    catalogue
        .distinctions()
        .iter()
        .filter_map(|d| next_for(d, candidate))
        .collect()
}

fn next_for(d: &DistinctionData, candidate: &Candidate) -> Option<NextGrade> {
    let (held, since) = highest_held(d, candidate, None)?;
    let current = d.grade_at(held)?.code.clone();
    let next = d.grade_at(held + 1).map(|g| g.code.clone());
    let mut out = NextGrade {
        distinction: d.code.clone(),
        current_grade: current,
        current_received_on: since,
        next_grade: next.clone(),
        reachable_on: None,
        conditions: Vec::new(),
    };
    let Some(next) = next else {
        return Some(out);
    };
    // Each rule set applies only within its window: the answer is the first
    // window in which the durations it sets are met.
    let sets = &d.rule_sets;
    for (i, rs) in sets.iter().enumerate() {
        let window_end = sets.get(i + 1).map(|n| n.effective_from);
        let (due, conditions) = due_under(d, rs, candidate, held, since, &next);
        let Some(due) = due else {
            out.conditions = conditions;
            continue;
        };
        let day = due.max(rs.effective_from);
        if window_end.is_none_or(|end| day < end) {
            out.reachable_on = Some(day);
            out.conditions = conditions;
            break;
        }
        out.conditions = conditions;
    }
    Some(out)
}

fn due_under(
    d: &DistinctionData,
    rs: &RuleSet,
    candidate: &Candidate,
    held: usize,
    since: NaiveDate,
    next: &GradeCode,
) -> (Option<NaiveDate>, Vec<Reason>) {
    let prefix = d.code.code_prefix();
    let mut conditions = Vec::new();
    if rs.progression.mode == ProgressionMode::Free {
        conditions.push(Reason {
            code: ReasonCode::new(&[&prefix, "progression.merit"]),
            severity: Severity::Info,
            article: rs.progression.article.clone(),
            message: format!(
                "{} : niveau attribué au mérite, sans condition de durée ({}).",
                d.label(next),
                rs.progression.article.cite()
            ),
        });
        return (None, conditions);
    }
    let mut dates: Vec<Option<NaiveDate>> = vec![Some(since)];
    if let Some(rule) = rs.time_in_grade_for(next) {
        let due = add_years(since, rule.years);
        let held_label = d
            .grade_at(held)
            .map(|g| g.label.clone())
            .unwrap_or_default();
        conditions.push(Reason {
            code: ReasonCode::new(&[&prefix, "grade.time_in_previous"]),
            severity: Severity::Info,
            article: rule.article.clone(),
            message: format!(
                "{} {} depuis la réception du {} ({}){} : {}.",
                fr_years(rule.years),
                holder_phrase(d, &held_label),
                fr_date(since),
                rule.article.cite(),
                unverified(rule.verified),
                due.map_or_else(
                    || "jamais".to_owned(),
                    |x| format!("atteint le {}", fr_date(x))
                )
            ),
        });
        dates.push(due);
    }
    if let Some(rule) = rs.service_years_for(next) {
        let (tally, _) = service_tally(candidate, &rs.service_counting);
        let due = tally.reached_on(rule.years);
        conditions.push(Reason {
            code: ReasonCode::new(&[&prefix, "services.min_years"]),
            severity: Severity::Info,
            article: rule.article.clone(),
            message: format!(
                "{} de services ({}){} : {}.",
                fr_years(rule.years),
                rule.article.cite(),
                unverified(rule.verified),
                due.map_or_else(
                    || "jamais atteints avec les périodes déclarées".to_owned(),
                    |x| format!("atteints le {}", fr_date(x))
                )
            ),
        });
        dates.push(due);
    }
    if let Some(rule) = rs.min_age_for(next) {
        let due = candidate.birth_date.and_then(|b| add_years(b, rule.years));
        conditions.push(Reason {
            code: ReasonCode::new(&[&prefix, "age.min"]),
            severity: Severity::Info,
            article: rule.article.clone(),
            message: format!(
                "Âge minimal de {} ({}){} : {}.",
                fr_years(rule.years),
                rule.article.cite(),
                unverified(rule.verified),
                due.map_or_else(
                    || "date de naissance inconnue".to_owned(),
                    |x| format!("atteint le {}", fr_date(x))
                )
            ),
        });
        dates.push(due);
    }
    let due = if dates.iter().any(Option::is_none) {
        None
    } else {
        dates.into_iter().flatten().max()
    };
    (due, conditions)
}
