//! The accessibility statement's figures, computed from the RGAA 4.1 checklist kept in the
//! repository (`docs/accessibilite/rgaa-4.1.csv`: each of the 106 criteria with its status
//! and how it was checked). The footer of every page shows the resulting level, the
//! statement (`/accessibilite`) the rate, the non-conformities and the whole checklist.

use std::sync::LazyLock;

use serde::Serialize;

/// The checklist, compiled in.
const CHECKLIST: &str = include_str!("../../../docs/accessibilite/rgaa-4.1.csv");

/// When the checklist was last assessed (shown in the statement).
pub const ASSESSED_ON: &str = "6 décembre 2026";

/// Whether an audit by a third party stands behind the checklist. Without one, the platform
/// never calls itself « totalement conforme », whatever the rate.
pub const AUDITED: bool = false;

/// A criterion's status in the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Met, with how it was checked.
    Conforme,
    /// Not met: the statement lists it with its due date.
    NonConforme,
    /// Nothing on the platform it applies to.
    NonApplicable,
    /// Applicable and not yet checked: counted as not met.
    NonVerifie,
}

impl Status {
    fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "conforme" => Self::Conforme,
            "non_conforme" => Self::NonConforme,
            "non_applicable" => Self::NonApplicable,
            "non_verifie" => Self::NonVerifie,
            _ => return None,
        })
    }

    /// As the statement shows it.
    #[must_use]
    pub const fn label_fr(self) -> &'static str {
        match self {
            Self::Conforme => "Conforme",
            Self::NonConforme => "Non conforme",
            Self::NonApplicable => "Non applicable",
            Self::NonVerifie => "Non vérifié",
        }
    }
}

/// One criterion of the checklist.
#[derive(Debug, Clone, Serialize)]
pub struct Criterion {
    /// Its number (`1.1`).
    pub number: String,
    /// Its theme (`Images`).
    pub theme: String,
    /// Its official title.
    pub title: String,
    /// Its status.
    pub status: Status,
    /// The status, in French.
    pub status_label: &'static str,
    /// How the status was established.
    pub check: String,
    /// When a non-conformity is to be fixed (`2027-03`), if planned.
    pub due: Option<String>,
}

/// The level RGAA's statements use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Level {
    /// Every applicable criterion met, and an audit says so.
    Totalement,
    /// At least half of them met.
    Partiellement,
    /// Fewer than half.
    Non,
}

impl Level {
    /// As the footer and the statement say it.
    #[must_use]
    pub const fn label_fr(self) -> &'static str {
        match self {
            Self::Totalement => "totalement conforme",
            Self::Partiellement => "partiellement conforme",
            Self::Non => "non conforme",
        }
    }
}

/// The checklist and what follows from it.
#[derive(Debug, Clone)]
pub struct Assessment {
    criteria: Vec<Criterion>,
}

impl Assessment {
    /// Reads the checklist: a header line, then `critere;thematique;intitule;statut;
    /// verification;echeance` per criterion.
    ///
    /// # Errors
    /// The first line that does not read, named.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut lines = text.lines();
        let header = lines.next().unwrap_or_default();
        if header != "critere;thematique;intitule;statut;verification;echeance" {
            return Err(format!("unexpected header: {header}"));
        }
        let criteria = lines
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(n, line)| {
                let fields: Vec<&str> = line.split(';').collect();
                let [number, theme, title, status, check, due] = fields[..] else {
                    return Err(format!("line {}: 6 fields expected", n + 2));
                };
                let status = Status::parse(status)
                    .ok_or_else(|| format!("line {}: unknown status {status:?}", n + 2))?;
                Ok(Criterion {
                    number: number.to_owned(),
                    theme: theme.to_owned(),
                    title: title.to_owned(),
                    status,
                    status_label: status.label_fr(),
                    check: check.to_owned(),
                    due: (!due.is_empty()).then(|| due.to_owned()),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self { criteria })
    }

    /// Every criterion, in the checklist's order.
    #[must_use]
    pub fn criteria(&self) -> &[Criterion] {
        &self.criteria
    }

    /// How many criteria have `status`.
    #[must_use]
    pub fn count(&self, status: Status) -> usize {
        self.criteria.iter().filter(|c| c.status == status).count()
    }

    /// RGAA's rate: criteria met over applicable criteria (those not yet checked count as not
    /// met), in percent, rounded down so that it never claims more than measured.
    #[must_use]
    pub fn rate(&self) -> u32 {
        let met = self.count(Status::Conforme);
        let applicable = met + self.count(Status::NonConforme) + self.count(Status::NonVerifie);
        if applicable == 0 {
            return 0;
        }
        u32::try_from(met * 100 / applicable).unwrap_or(0)
    }

    /// The level: « totalement » only at 100 % with an audit ([`AUDITED`]).
    #[must_use]
    pub fn level(&self) -> Level {
        match self.rate() {
            100 if AUDITED => Level::Totalement,
            50.. => Level::Partiellement,
            _ => Level::Non,
        }
    }
}

static ASSESSMENT: LazyLock<Result<Assessment, String>> =
    LazyLock::new(|| Assessment::parse(CHECKLIST));

/// The platform's checklist (compiled in; a test reads it, so it parses).
///
/// # Errors
/// Why the checklist does not read.
pub fn assessment() -> Result<&'static Assessment, &'static str> {
    ASSESSMENT.as_ref().map_err(String::as_str)
}

/// The footer's level, computed once: every page's layout shows it.
static LEVEL_LABEL: LazyLock<&'static str> =
    LazyLock::new(|| assessment().map_or(Level::Non.label_fr(), |a| a.level().label_fr()));

/// The footer's words: the level, or « non conforme » should the checklist not read.
#[must_use]
pub fn level_label() -> &'static str {
    *LEVEL_LABEL
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn the_checklist_has_the_106_criteria_and_its_rate_is_recomputed() {
        let a = assessment().unwrap();
        assert_eq!(a.criteria().len(), 106, "RGAA 4.1 has 106 criteria");
        let per_theme = |theme: &str| a.criteria().iter().filter(|c| c.theme == theme).count();
        for (theme, n) in [
            ("Images", 9),
            ("Cadres", 2),
            ("Couleurs", 3),
            ("Multimédia", 13),
            ("Tableaux", 8),
            ("Liens", 2),
            ("Scripts", 5),
            ("Éléments obligatoires", 10),
            ("Structuration de l'information", 4),
            ("Présentation de l'information", 14),
            ("Formulaires", 13),
            ("Navigation", 11),
            ("Consultation", 12),
        ] {
            assert_eq!(per_theme(theme), n, "{theme}");
        }
        // The rate, recomputed by hand from the file's statuses.
        let lines: Vec<&str> = CHECKLIST.lines().skip(1).collect();
        let with = |s: &str| {
            lines
                .iter()
                .filter(|l| l.split(';').nth(3) == Some(s))
                .count()
        };
        let (met, not, unchecked) = (with("conforme"), with("non_conforme"), with("non_verifie"));
        assert_eq!(met + not + unchecked + with("non_applicable"), 106);
        let rate = met * 100 / (met + not + unchecked);
        assert_eq!(a.rate() as usize, rate);
        assert_eq!(
            a.level(),
            if rate >= 50 {
                Level::Partiellement
            } else {
                Level::Non
            }
        );
        // Every criterion says how it was checked; every non-conformity says when it ends.
        for c in a.criteria() {
            assert!(!c.check.is_empty(), "{}", c.number);
            if c.status == Status::NonConforme {
                assert!(c.due.is_some(), "{} has no due date", c.number);
            }
        }
    }

    #[test]
    fn never_totally_conform_without_an_audit() {
        let all_met = "critere;thematique;intitule;statut;verification;echeance\n\
                       1.1;Images;Q ?;conforme;axe;\n";
        let a = Assessment::parse(all_met).unwrap();
        assert_eq!(a.rate(), 100);
        assert_eq!(a.level(), Level::Partiellement);
        assert!(Assessment::parse("critere;thematique;intitule;statut;verification;echeance\n1.1;Images;Q;peut-être;x;\n").is_err());
    }
}
