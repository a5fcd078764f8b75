//! The output of an evaluation.

use chrono::NaiveDate;
use serde::Serialize;

use crate::codes::{Article, ReasonCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    Eligible,
    Ineligible,
    /// No blocking reason, but something a human must look at.
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Blocking,
    Warning,
    Info,
}

/// One finding, with the article it rests on and a French explanation that
/// shows the computed figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub code: ReasonCode,
    pub severity: Severity,
    pub article: Article,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub verdict: VerdictKind,
    /// The day from which the candidate's own conditions (durations, age,
    /// nationality date, end of a mandate) are all met, when every such
    /// condition is computable and nothing timeless blocks; `null` otherwise
    /// or when no dated condition applies. File checks (B2) do not move it.
    pub eligible_from: Option<NaiveDate>,
    pub reasons: Vec<Reason>,
}

impl Verdict {
    pub fn is_blocked(&self) -> bool {
        self.verdict == VerdictKind::Ineligible
    }

    pub fn has_reason(&self, code: &str) -> bool {
        self.reasons.iter().any(|r| r.code.as_str() == code)
    }

    pub fn reason(&self, code: &str) -> Option<&Reason> {
        self.reasons.iter().find(|r| r.code.as_str() == code)
    }
}
