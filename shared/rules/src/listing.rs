//! A flat, serialisable view of the catalogue for `napoleon rules list`.

use chrono::NaiveDate;
use serde::Serialize;

use crate::catalogue::{
    Catalogue, DeceasedPolicy, DistinctionData, DistinctionKind, GradeData, LevelNoun,
    ProgressionMode, RuleSet, Scope,
};
use crate::codes::{Article, DistinctionCode};
use crate::dates::fr_years;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogueListing {
    pub distinctions: Vec<DistinctionListing>,
    pub gap_practices: Vec<GapListing>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistinctionListing {
    pub code: DistinctionCode,
    pub name: String,
    pub kind: DistinctionKind,
    pub scope: Scope,
    pub legal_basis: String,
    pub level_noun: LevelNoun,
    pub grades: Vec<GradeData>,
    pub rule_sets: Vec<RuleSetListing>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSetListing {
    pub effective_from: NaiveDate,
    pub effective_from_verified: bool,
    pub source: String,
    pub rules: Vec<RuleListing>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleListing {
    /// The reason code the rule produces.
    pub code: String,
    pub article: Article,
    pub description: String,
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GapListing {
    pub code: String,
    pub after: Vec<DistinctionCode>,
    pub before: Vec<DistinctionCode>,
    pub years: u32,
    pub reference: Article,
    pub enabled: bool,
    pub verified: bool,
    pub description: String,
}

impl Catalogue {
    pub fn listing(&self) -> CatalogueListing {
        CatalogueListing {
            distinctions: self.distinctions().iter().map(distinction).collect(),
            gap_practices: self
                .gaps()
                .iter()
                .map(|g| GapListing {
                    code: format!("gap.{}", g.id),
                    after: g.after.clone(),
                    before: g.before.clone(),
                    years: g.years,
                    reference: g.reference.clone(),
                    enabled: g.enabled,
                    verified: g.verified,
                    description: format!(
                        "Avertissement si une proposition {} intervient moins de {} après la réception {}{}",
                        list(&g.before),
                        fr_years(g.years),
                        list(&g.after),
                        g.note.as_ref().map(|n| format!(" — {n}")).unwrap_or_default()
                    ),
                })
                .collect(),
        }
    }
}

fn list(codes: &[DistinctionCode]) -> String {
    codes
        .iter()
        .map(DistinctionCode::as_str)
        .collect::<Vec<_>>()
        .join("/")
}

fn distinction(d: &DistinctionData) -> DistinctionListing {
    DistinctionListing {
        code: d.code.clone(),
        name: d.name.clone(),
        kind: d.kind,
        scope: d.scope,
        legal_basis: d.legal_basis.clone(),
        level_noun: d.level_noun,
        grades: d.grades.clone(),
        rule_sets: d.rule_sets.iter().map(|rs| rule_set(d, rs)).collect(),
    }
}

fn rule_set(d: &DistinctionData, rs: &RuleSet) -> RuleSetListing {
    let p = d.code.code_prefix();
    let mut rules = Vec::new();
    let mut add = |code: &str, article: &Article, description: String, verified: bool| {
        rules.push(RuleListing {
            code: format!("{p}.{code}"),
            article: article.clone(),
            description,
            verified,
        });
    };
    let prog = &rs.progression;
    let mode = match prog.mode {
        ProgressionMode::Successive => "niveaux successifs, entrée au premier, aucun niveau sauté",
        ProgressionMode::ByService => {
            "niveau selon les années de services ; plusieurs niveaux possibles dans une même promotion"
        }
        ProgressionMode::Free => "niveau choisi au mérite, sans ordre imposé",
    };
    add("progression", &prog.article, mode.to_owned(), prog.verified);
    if let Some(n) = &rs.nationality {
        add(
            "nationality",
            &n.article,
            format!(
                "Seuls les Français sont membres ; étrangers : {}",
                n.foreigners_article.cite()
            ),
            n.verified,
        );
    }
    let dec = &rs.deceased;
    let deceased = match dec.policy {
        DeceasedPolicy::Forbidden => "Pas d'attribution posthume hors voie posthume".to_owned(),
        DeceasedPolicy::WithinYears => format!(
            "Attribution posthume dans les {} suivant le décès",
            fr_years(dec.years.unwrap_or(0))
        ),
        DeceasedPolicy::Allowed => "Attribution posthume admise".to_owned(),
        DeceasedPolicy::Unknown => "Règle posthume non documentée (avertissement)".to_owned(),
    };
    add("deceased", &dec.article, deceased, dec.verified);
    for r in &rs.service_years {
        add(
            "services.min_years",
            &r.article,
            format!(
                "{} : {} de services ({})",
                d.label(&r.grade),
                fr_years(r.years),
                kinds(rs)
            ),
            r.verified,
        );
    }
    if let Some(a) = &rs.service_counting.from_nationality {
        add(
            "services.from_nationality",
            a,
            "Services comptés à partir de l'acquisition de la nationalité française".to_owned(),
            true,
        );
    }
    for r in &rs.time_in_grade {
        let prev = d
            .grade_index(&r.grade)
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| d.grade_at(i))
            .map(|g| g.label.clone())
            .unwrap_or_default();
        add(
            "grade.time_in_previous",
            &r.article,
            format!(
                "{} : {} comme {} comptés depuis la réception",
                d.label(&r.grade),
                fr_years(r.years),
                prev
            ),
            r.verified,
        );
    }
    for r in &rs.min_age {
        add(
            "age.min",
            &r.article,
            format!("{} : {} au moins", d.label(&r.grade), fr_years(r.years)),
            r.verified,
        );
    }
    if let Some(pr) = &rs.parliament {
        add(
            "parliament",
            &pr.article,
            format!(
                "Pas de nomination pendant un mandat parlementaire{}",
                if pr.months_after_end > 0 {
                    format!(" ni dans les {} mois suivant sa fin", pr.months_after_end)
                } else {
                    String::new()
                }
            ),
            pr.verified,
        );
    }
    if let Some(cr) = &rs.criminal_record {
        add(
            "criminal_record",
            &cr.article,
            format!(
                "Bulletin n° 2 de moins de {} mois à la transmission",
                cr.max_age_months
            ),
            cr.verified,
        );
    }
    if let Some(m) = &rs.new_merits {
        add(
            "merits.new",
            &m.article,
            "Mérites nouveaux depuis la dernière réception (appréciation humaine)".to_owned(),
            m.verified,
        );
    }
    for r in &rs.routes {
        let mut what = Vec::new();
        if r.waives_durations {
            what.push("durées écartées".to_owned());
        }
        if r.waives_age {
            what.push("âge écarté".to_owned());
        }
        if r.skips_allowed {
            what.push("niveaux inférieurs non exigés".to_owned());
        }
        if let Some(gs) = &r.grades {
            what.push(format!(
                "niveaux : {}",
                gs.iter().map(|g| d.label(g)).collect::<Vec<_>>().join(", ")
            ));
        }
        if let Some(y) = r.within_years_of_death {
            what.push(format!("dans les {} suivant le décès", fr_years(y)));
        }
        add(
            &format!("route.{}", r.route.as_str()),
            &r.article,
            format!("{} : {}", r.route.label_fr(), what.join(" ; ")),
            r.verified,
        );
    }
    for c in &rs.cross_entry {
        add(
            "progression.cross_entry",
            &c.article,
            format!(
                "Membres de {} : entrée au niveau détenu + {}",
                c.from, c.grade_offset
            ),
            c.verified,
        );
    }
    RuleSetListing {
        effective_from: rs.effective_from,
        effective_from_verified: rs.effective_from_verified,
        source: rs.source.clone(),
        rules,
    }
}

fn kinds(rs: &RuleSet) -> String {
    let k: Vec<&str> = rs
        .service_counting
        .kinds
        .iter()
        .map(|k| match k {
            crate::case::ServiceKind::Public => "public",
            crate::case::ServiceKind::Private => "privé",
            crate::case::ServiceKind::Elected => "mandats électifs",
            crate::case::ServiceKind::Volunteer => "bénévolat",
            crate::case::ServiceKind::Military => "militaire",
        })
        .collect();
    if k.is_empty() {
        "aucun type de service compté".to_owned()
    } else {
        format!("comptés : {}", k.join(", "))
    }
}
