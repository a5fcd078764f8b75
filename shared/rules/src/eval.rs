//! Evaluation of one proposal against the rule set in force at its
//! assessment date.

use chrono::NaiveDate;

use crate::case::{Award, Candidate, Case, MandateKind, Route, ServiceKind};
use crate::catalogue::{
    Catalogue, DeceasedPolicy, DistinctionData, LevelNoun, ProgressionMode, RouteRule, RuleSet,
    ServiceCounting, YearsRule,
};
use crate::codes::{Article, DistinctionCode, ReasonCode};
use crate::dates::{Span, Tally, Ymd, add_months, add_years, fr_date, fr_years, fr_ymd, next_day};
use crate::verdict::{Reason, Severity, Verdict, VerdictKind};

const UNVERIFIED: &str = " [valeur non vérifiée]";

pub(crate) fn unverified(verified: bool) -> &'static str {
    if verified { "" } else { UNVERIFIED }
}

/// « comme chevalier » / « à l'échelon argent ».
pub(crate) fn holder_phrase(d: &DistinctionData, label: &str) -> String {
    match d.level_noun {
        LevelNoun::Grade => format!("comme {label}"),
        LevelNoun::Echelon => format!("à l'échelon {label}"),
    }
}

pub(crate) fn level_phrase(d: &DistinctionData, label: &str) -> String {
    match d.level_noun {
        LevelNoun::Grade => format!("le grade de {label}"),
        LevelNoun::Echelon => format!("l'échelon {label}"),
    }
}

/// Awards of `code` received on or before `at`.
pub(crate) fn awards_held<'a>(
    candidate: &'a Candidate,
    code: &'a DistinctionCode,
    at: Option<NaiveDate>,
) -> impl Iterator<Item = &'a Award> + 'a {
    candidate
        .awards
        .iter()
        .filter(move |a| &a.distinction == code && at.is_none_or(|at| a.received_on <= at))
}

/// Highest level held, with the first réception in it (the prise de rang).
pub(crate) fn highest_held(
    d: &DistinctionData,
    candidate: &Candidate,
    at: Option<NaiveDate>,
) -> Option<(usize, NaiveDate)> {
    let top = awards_held(candidate, &d.code, at)
        .filter_map(|a| d.grade_index(&a.grade))
        .max()?;
    let since = prise_de_rang(d, candidate, top, at)?;
    Some((top, since))
}

/// Earliest réception in level `index`: a duplicate record of the same
/// level never restarts seniority.
pub(crate) fn prise_de_rang(
    d: &DistinctionData,
    candidate: &Candidate,
    index: usize,
    at: Option<NaiveDate>,
) -> Option<NaiveDate> {
    awards_held(candidate, &d.code, at)
        .filter(|a| d.grade_index(&a.grade) == Some(index))
        .map(|a| a.received_on)
        .min()
}

/// Counted service periods: the listed kinds, plus mandates when elected
/// service counts; from French nationality when the rule says so (R24);
/// never past death.
pub(crate) fn service_tally(
    candidate: &Candidate,
    counting: &ServiceCounting,
) -> (Tally, Option<NaiveDate>) {
    let nationality_floor = counting
        .from_nationality
        .as_ref()
        .and(candidate.french_since);
    let death_cut = candidate.deceased_on.and_then(next_day);
    let mut spans: Vec<Span> = candidate
        .services
        .iter()
        .filter(|s| counting.kinds.contains(&s.kind()))
        .map(|s| s.period().span())
        .collect();
    if counting.kinds.contains(&ServiceKind::Elected) {
        spans.extend(candidate.mandates.iter().map(|m| m.period().span()));
    }
    let spans = spans
        .into_iter()
        .filter_map(|mut s| {
            if let Some(floor) = nationality_floor {
                s.start = s.start.max(floor);
            }
            if let Some(cut) = death_cut {
                s.end = Some(s.end.map_or(cut, |e| e.min(cut)));
            }
            s.end.is_none_or(|e| e > s.start).then_some(s)
        })
        .collect();
    (Tally::new(spans), nationality_floor)
}

struct Eval<'a> {
    case: &'a Case,
    dist: &'a DistinctionData,
    rs: &'a RuleSet,
    at: NaiveDate,
    target: usize,
    target_label: String,
    route: Route,
    route_rule: Option<&'a RouteRule>,
    reasons: Vec<Reason>,
    /// Dated conditions on the candidate: `Some(day)` met from that day,
    /// `None` not computable.
    dated: Vec<Option<NaiveDate>>,
    /// Something no date cures blocks (foreigner, skipped grade…).
    timeless_block: bool,
    catalogue_lookup: Option<&'a Catalogue>,
}

impl Eval<'_> {
    fn push(&mut self, suffix: &str, severity: Severity, art: &Article, message: String) {
        self.reasons.push(Reason {
            code: ReasonCode::new(&[&self.dist.code.code_prefix(), suffix]),
            severity,
            article: art.clone(),
            message,
        });
    }

    fn block_timeless(&mut self, suffix: &str, art: &Article, message: String) {
        self.timeless_block = true;
        self.push(suffix, Severity::Blocking, art, message);
    }

    fn waives_durations(&self) -> bool {
        self.route_rule.is_some_and(|r| r.waives_durations)
    }

    fn waives_age(&self) -> bool {
        self.route_rule.is_some_and(|r| r.waives_age)
    }

    fn route_opens_target(&self, r: &RouteRule) -> bool {
        r.grades.as_ref().is_none_or(|gs| {
            self.dist
                .grade_at(self.target)
                .is_some_and(|g| gs.contains(&g.code))
        })
    }

    fn check_route(&mut self) {
        if self.route == Route::Normal {
            return;
        }
        let Some(r) = self.route_rule else {
            let art = self.rs.progression.article.clone();
            self.block_timeless(
                "route.unavailable",
                &art,
                format!(
                    "La {} n'est pas prévue pour la distinction {} par les règles en vigueur au {}.",
                    self.route.label_fr(),
                    self.dist.code,
                    fr_date(self.at)
                ),
            );
            return;
        };
        if !self.route_opens_target(r) {
            let open: Vec<String> = r
                .grades
                .iter()
                .flatten()
                .map(|g| self.dist.label(g))
                .collect();
            self.block_timeless(
                "route.grade_not_open",
                &r.article,
                format!(
                    "La {} ne permet pas {} ; niveaux ouverts : {} ({}){}.",
                    self.route.label_fr(),
                    level_phrase(self.dist, &self.target_label),
                    open.join(", "),
                    r.article.cite(),
                    unverified(r.verified)
                ),
            );
        }
        let mut waived = Vec::new();
        if r.waives_durations {
            waived.push("durées de services et d'ancienneté");
        }
        if r.waives_age {
            waived.push("âge minimal");
        }
        let waived = if waived.is_empty() {
            "aucune condition écartée".to_owned()
        } else {
            format!("conditions écartées : {}", waived.join(", "))
        };
        let skip = if r.skips_allowed {
            "accès possible sans les niveaux inférieurs"
        } else {
            "aucun grade ne peut être sauté"
        };
        let note = r.note.as_ref().map(|n| format!(" {n}")).unwrap_or_default();
        self.push(
            &format!("route.{}", self.route.as_str()),
            Severity::Info,
            &r.article,
            format!(
                "Proposition par la {} ({}) : {} ; {}.{}{}",
                self.route.label_fr(),
                r.article.cite(),
                waived,
                skip,
                note,
                unverified(r.verified)
            ),
        );
        if self.route == Route::Posthumous {
            self.check_posthumous_route(r);
        }
    }

    fn check_posthumous_route(&mut self, r: &RouteRule) {
        let death = self.case.candidate.deceased_on.filter(|d| *d <= self.at);
        let Some(death) = death else {
            self.block_timeless(
                "route.not_deceased",
                &r.article,
                format!(
                    "Voie posthume demandée mais aucun décès n'est renseigné au {} ({}).",
                    fr_date(self.at),
                    r.article.cite()
                ),
            );
            return;
        };
        if let Some(years) = r.within_years_of_death {
            let limit = add_years(death, years);
            if limit.is_none_or(|l| self.at >= l) {
                self.block_timeless(
                    "route.posthumous_delay",
                    &r.article,
                    format!(
                        "Décès le {} : la voie posthume n'est ouverte que dans le délai de {} suivant le décès, expiré le {} ({}){}.",
                        fr_date(death),
                        fr_years(years),
                        limit.map_or_else(|| "—".to_owned(), fr_date),
                        r.article.cite(),
                        unverified(r.verified)
                    ),
                );
            }
        }
    }

    fn check_nationality(&mut self) {
        let Some(rule) = &self.rs.nationality else {
            return;
        };
        let candidate = &self.case.candidate;
        match &candidate.nationality {
            None => self.push(
                "nationality.unknown",
                Severity::Warning,
                &rule.article,
                format!(
                    "Nationalité non renseignée : seuls les Français sont membres ({}) ; à vérifier.",
                    rule.article.cite()
                ),
            ),
            Some(n) if !n.is_france() => self.block_timeless(
                "nationality.foreigner",
                &rule.article,
                format!(
                    "Candidat de nationalité {n} : les étrangers ne sont pas membres ({}) et relèvent de la procédure propre aux étrangers ({}).",
                    rule.article.cite(),
                    rule.foreigners_article.cite()
                ),
            ),
            Some(_) => {
                if let Some(since) = candidate.french_since.filter(|s| *s > self.at) {
                    self.dated.push(Some(since));
                    self.push(
                        "nationality.not_yet_french",
                        Severity::Blocking,
                        &rule.article,
                        format!(
                            "Nationalité française acquise le {}, après la date d'examen du {} ({}).",
                            fr_date(since),
                            fr_date(self.at),
                            rule.article.cite()
                        ),
                    );
                }
            }
        }
    }

    fn check_deceased(&mut self) {
        let Some(death) = self.case.candidate.deceased_on.filter(|d| *d <= self.at) else {
            return;
        };
        if self.route == Route::Posthumous {
            return;
        }
        let rule = &self.rs.deceased;
        let art = rule.article.clone();
        let unv = unverified(rule.verified);
        match rule.policy {
            DeceasedPolicy::Forbidden => self.block_timeless(
                "deceased.forbidden",
                &art,
                format!(
                    "Candidat décédé le {} : pas de nomination ni de promotion posthume hors de la voie posthume ({}){unv}.",
                    fr_date(death),
                    art.cite()
                ),
            ),
            DeceasedPolicy::WithinYears => {
                let years = rule.years.unwrap_or(0);
                let limit = add_years(death, years);
                if limit.is_some_and(|l| self.at < l) {
                    self.push(
                        "deceased.within_delay",
                        Severity::Info,
                        &art,
                        format!(
                            "Candidat décédé le {} : attribution posthume possible jusqu'au {} exclu, services comptés jusqu'au décès ({}){unv}.",
                            fr_date(death),
                            limit.map_or_else(|| "—".to_owned(), fr_date),
                            art.cite()
                        ),
                    );
                } else {
                    self.block_timeless(
                        "deceased.delay_expired",
                        &art,
                        format!(
                            "Candidat décédé le {} : le délai de {} pour une attribution posthume a expiré le {} ({}){unv}.",
                            fr_date(death),
                            fr_years(years),
                            limit.map_or_else(|| "—".to_owned(), fr_date),
                            art.cite()
                        ),
                    );
                }
            }
            DeceasedPolicy::Allowed => self.push(
                "deceased.allowed",
                Severity::Info,
                &art,
                format!(
                    "Candidat décédé le {} : attribution posthume admise ({}){unv}.",
                    fr_date(death),
                    art.cite()
                ),
            ),
            DeceasedPolicy::Unknown => self.push(
                "deceased.unknown_rule",
                Severity::Warning,
                &art,
                format!(
                    "Candidat décédé le {} : aucune règle d'attribution posthume documentée pour cette distinction ; à vérifier ({}).",
                    fr_date(death),
                    art.cite()
                ),
            ),
        }
    }

    /// Returns the level whose seniority the time-in-grade rule measures,
    /// if the candidate reaches the target from the level just below.
    fn check_progression(&mut self) -> Option<(usize, NaiveDate)> {
        let candidate = &self.case.candidate;
        let later: Vec<&Award> = candidate
            .awards
            .iter()
            .filter(|a| a.distinction == self.dist.code && a.received_on > self.at)
            .collect();
        for a in later {
            let label = self.dist.label(&a.grade);
            let art = self.rs.progression.article.clone();
            self.push(
                "progression.received_after_assessment",
                Severity::Info,
                &art,
                format!(
                    "Réception {} le {}, après la date d'examen du {} : non prise en compte.",
                    holder_phrase(self.dist, &label),
                    fr_date(a.received_on),
                    fr_date(self.at)
                ),
            );
        }
        let held = highest_held(self.dist, candidate, Some(self.at));
        let p = &self.rs.progression;
        let art = p.article.clone();
        let unv = unverified(p.verified);
        if p.mode == ProgressionMode::Free {
            return None;
        }
        if let Some((h, since)) = held
            && h >= self.target
        {
            let label = self
                .dist
                .grade_at(h)
                .map(|g| g.label.clone())
                .unwrap_or_default();
            self.block_timeless(
                "progression.already_held",
                &art,
                format!(
                    "Déjà titulaire de {} depuis le {} : {} ne peut être proposé.",
                    level_phrase(self.dist, &label),
                    fr_date(since),
                    level_phrase(self.dist, &self.target_label)
                ),
            );
            return None;
        }
        if p.mode == ProgressionMode::ByService {
            return None;
        }
        let route_skip = self
            .route_rule
            .is_some_and(|r| r.skips_allowed && self.route_opens_target(r));
        match held {
            None if self.target == 0 => None,
            // A right to enter directly (e.g. ONM through the LH, R173 al. 2: « nommés ou
            // promus ») also spares the time in the grade below: holding that grade as well
            // must not withdraw the right.
            Some((h, since)) if h + 1 == self.target => {
                if self.cross_entry() {
                    None
                } else {
                    Some((h, since))
                }
            }
            _ if route_skip => None,
            None => {
                if !self.cross_entry() {
                    let first = self
                        .dist
                        .grades
                        .first()
                        .map(|g| g.label.clone())
                        .unwrap_or_default();
                    self.block_timeless(
                        "progression.entry",
                        &art,
                        format!(
                            "Aucun niveau détenu dans la distinction {} : l'entrée se fait {} ({}){unv} ; {} exigerait une voie qui le permet.",
                            self.dist.code,
                            match self.dist.level_noun {
                                LevelNoun::Grade => format!("au grade de {first}"),
                                LevelNoun::Echelon => format!("à l'échelon {first}"),
                            },
                            art.cite(),
                            level_phrase(self.dist, &self.target_label)
                        ),
                    );
                }
                None
            }
            Some(_) if self.cross_entry() => None,
            Some((h, since)) => {
                let held_label = self
                    .dist
                    .grade_at(h)
                    .map(|g| g.label.clone())
                    .unwrap_or_default();
                let next_label = self
                    .dist
                    .grade_at(h + 1)
                    .map(|g| g.label.clone())
                    .unwrap_or_default();
                let even = if self.route == Route::Exceptional {
                    " même par la voie exceptionnelle,"
                } else {
                    ""
                };
                self.block_timeless(
                    "progression.no_skip",
                    &art,
                    format!(
                        "Titulaire de {} depuis le {} : aucun niveau ne peut être sauté,{even} le niveau suivant est {} ({}){unv}.",
                        level_phrase(self.dist, &held_label),
                        fr_date(since),
                        next_label,
                        art.cite()
                    ),
                );
                None
            }
        }
    }

    /// Entry or promotion through a grade held in another order (R173 al. 2
    /// says « nommés ou promus »), so it also applies above a level held.
    fn cross_entry(&mut self) -> bool {
        let candidate = &self.case.candidate;
        for rule in &self.rs.cross_entry {
            // The rule's `from` distinction is guaranteed by validation, but
            // a foreign catalogue could still lack it at run time.
            let Some(from) = self.cat_distinction(&rule.from) else {
                continue;
            };
            // Any level held in `from` may ground the entry, not only the
            // highest: recording a later dignity must not withdraw a right
            // the lower grade gave.
            let offset = usize::try_from(rule.grade_offset).unwrap_or(usize::MAX);
            let mut held: Vec<&Award> = awards_held(candidate, &from.code, Some(self.at)).collect();
            held.sort_by_key(|a| a.received_on);
            let found = held.into_iter().find_map(|a| {
                let h = from.grade_index(&a.grade)?;
                let allowed = rule
                    .from_grades
                    .as_ref()
                    .is_none_or(|gs| gs.contains(&a.grade));
                (allowed && h.checked_add(offset) == Some(self.target))
                    .then(|| (from.label(&a.grade), a.received_on))
            });
            let Some((held_label, since)) = found else {
                continue;
            };
            let severity = if rule.verified {
                Severity::Info
            } else {
                Severity::Warning
            };
            let note = rule
                .note
                .as_ref()
                .map(|n| format!(" {n}"))
                .unwrap_or_default();
            self.push(
                "progression.cross_entry",
                severity,
                &rule.article,
                format!(
                    "Accès direct à {} au titre de {} {} reçu le {} ({}).{}{}",
                    level_phrase(self.dist, &self.target_label),
                    level_phrase(from, &held_label),
                    from.code,
                    fr_date(since),
                    rule.article.cite(),
                    note,
                    if rule.verified {
                        ""
                    } else {
                        " Interprétation à confirmer."
                    }
                ),
            );
            return true;
        }
        false
    }

    fn cat_distinction(&self, code: &DistinctionCode) -> Option<&DistinctionData> {
        self.catalogue_lookup.and_then(|c| c.distinction(code))
    }

    fn check_time_in_grade(&mut self, previous: Option<(usize, NaiveDate)>) {
        let Some(grade) = self.dist.grade_at(self.target).map(|g| g.code.clone()) else {
            return;
        };
        let Some(rule) = self.rs.time_in_grade_for(&grade).cloned() else {
            return;
        };
        let Some((prev, since)) = previous else {
            return;
        };
        let prev_label = self
            .dist
            .grade_at(prev)
            .map(|g| g.label.clone())
            .unwrap_or_default();
        let due = add_years(since, rule.years);
        let served = Ymd::between(since, self.at);
        let base = format!(
            "{} {} au {} (réception le {}) ; {} requis ({}){}",
            fr_ymd(served),
            holder_phrase(self.dist, &prev_label),
            fr_date(self.at),
            fr_date(since),
            fr_years(rule.years),
            rule.article.cite(),
            unverified(rule.verified)
        );
        self.dated_rule("grade.time_in_previous", &rule, due, base);
    }

    /// Records a dated duration rule: met (info) or not yet (blocking).
    fn dated_rule(&mut self, suffix: &str, rule: &YearsRule, due: Option<NaiveDate>, base: String) {
        self.dated.push(due);
        match due {
            Some(due) if due <= self.at => self.push(
                suffix,
                Severity::Info,
                &rule.article,
                format!("{base} : condition remplie depuis le {}.", fr_date(due)),
            ),
            Some(due) => self.push(
                suffix,
                Severity::Blocking,
                &rule.article,
                format!("{base} : condition remplie le {}.", fr_date(due)),
            ),
            None => self.push(
                suffix,
                Severity::Blocking,
                &rule.article,
                format!("{base} : durée jamais atteinte avec les périodes déclarées."),
            ),
        }
    }

    fn check_services(&mut self) {
        let Some(grade) = self.dist.grade_at(self.target).map(|g| g.code.clone()) else {
            return;
        };
        let (tally, floor) = service_tally(&self.case.candidate, &self.rs.service_counting);
        if let Some(rule) = self.rs.service_years_for(&grade).cloned() {
            let due = tally.reached_on(rule.years);
            let periods = tally.spans().len();
            let shape = match periods {
                0 => "aucune période prise en compte".to_owned(),
                1 => "1 période".to_owned(),
                n => format!("{n} périodes fusionnées, interruptions exclues"),
            };
            let nat = match (&self.rs.service_counting.from_nationality, floor) {
                (Some(a), Some(f)) => format!(
                    ", comptés à partir de l'acquisition de la nationalité française le {} ({})",
                    fr_date(f),
                    a.cite()
                ),
                _ => String::new(),
            };
            let base = format!(
                "{} de services au {} ({shape}{nat}) ; {} requis ({}){}",
                fr_ymd(tally.accrued(self.at)),
                fr_date(self.at),
                fr_years(rule.years),
                rule.article.cite(),
                unverified(rule.verified)
            );
            self.dated_rule("services.min_years", &rule, due, base);
        }
        if self.rs.progression.mode == ProgressionMode::ByService {
            self.several_echelons(&tally);
        }
    }

    /// MHT: lower échelons not held whose years are also met may be granted
    /// in the same promotion.
    fn several_echelons(&mut self, tally: &Tally) {
        let held = highest_held(self.dist, &self.case.candidate, Some(self.at)).map(|(h, _)| h);
        let also: Vec<String> = self
            .dist
            .grades
            .iter()
            .enumerate()
            .filter(|(i, _)| *i < self.target && held.is_none_or(|h| *i > h))
            .filter(|(_, g)| {
                self.rs
                    .service_years_for(&g.code)
                    .and_then(|r| tally.reached_on(r.years))
                    .is_some_and(|d| d <= self.at)
            })
            .map(|(_, g)| g.label.clone())
            .collect();
        if !also.is_empty() {
            let art = self.rs.progression.article.clone();
            self.push(
                "progression.several_echelons",
                Severity::Info,
                &art,
                format!(
                    "Plusieurs échelons peuvent être décernés dans la même promotion : {} également atteint{} ({}).",
                    also.join(", "),
                    if also.len() > 1 { "s" } else { "" },
                    art.cite()
                ),
            );
        }
    }

    fn check_age(&mut self) {
        let Some(grade) = self.dist.grade_at(self.target).map(|g| g.code.clone()) else {
            return;
        };
        let Some(rule) = self.rs.min_age_for(&grade).cloned() else {
            return;
        };
        let Some(birth) = self.case.candidate.birth_date else {
            self.dated.push(None);
            self.push(
                "age.unknown",
                Severity::Warning,
                &rule.article,
                format!(
                    "Date de naissance non renseignée : l'âge minimal de {} ({}){} ne peut être vérifié.",
                    fr_years(rule.years),
                    rule.article.cite(),
                    unverified(rule.verified)
                ),
            );
            return;
        };
        let due = add_years(birth, rule.years);
        let base = format!(
            "Âge au {} : {} (né(e) le {}) ; {} requis ({}){}",
            fr_date(self.at),
            fr_ymd(Ymd::between(birth, self.at)),
            fr_date(birth),
            fr_years(rule.years),
            rule.article.cite(),
            unverified(rule.verified)
        );
        self.dated_rule("age.min", &rule, due, base);
    }

    fn check_parliament(&mut self) {
        let Some(rule) = self.rs.parliament.clone() else {
            return;
        };
        let at = self.at;
        for m in &self.case.candidate.mandates {
            if m.kind() != MandateKind::Parliament || m.period().from() > at {
                continue;
            }
            let end = m.period().to();
            let free_from = end
                .and_then(next_day)
                .and_then(|d| add_months(d, rule.months_after_end));
            let after = if rule.months_after_end > 0 {
                format!(" et pendant {} mois après sa fin", rule.months_after_end)
            } else {
                String::new()
            };
            if m.period().covers(at) {
                self.dated.push(free_from);
                self.push(
                    "parliament.mandate_in_progress",
                    Severity::Blocking,
                    &rule.article,
                    format!(
                        "Mandat parlementaire en cours depuis le {} : ni nomination ni promotion pendant le mandat{after}, sauf faits de guerre ou actions d'éclat ({}){}{}.",
                        fr_date(m.period().from()),
                        rule.article.cite(),
                        unverified(rule.verified),
                        free_from
                            .map(|d| format!(" ; proposable à partir du {}", fr_date(d)))
                            .unwrap_or_default()
                    ),
                );
            } else if let (Some(end), Some(free)) = (end, free_from)
                && at < free
            {
                self.dated.push(Some(free));
                self.push(
                    "parliament.after_mandate",
                    Severity::Blocking,
                    &rule.article,
                    format!(
                        "Mandat parlementaire achevé le {} : proposable seulement {} mois après la fin du mandat, soit à partir du {} ({}){}.",
                        fr_date(end),
                        rule.months_after_end,
                        fr_date(free),
                        rule.article.cite(),
                        unverified(rule.verified)
                    ),
                );
            }
        }
    }

    fn check_criminal_record(&mut self) {
        let Some(rule) = self.rs.criminal_record.clone() else {
            return;
        };
        let unv = unverified(rule.verified);
        let proposal = self.case.proposal.clone().unwrap_or_default();
        let Some(issued) = proposal.criminal_record_issued_on else {
            self.push(
                "criminal_record.missing",
                Severity::Warning,
                &rule.article,
                format!(
                    "Extrait du bulletin n° 2 du casier judiciaire non renseigné : il doit dater de moins de {} mois à la transmission ({}){unv}.",
                    rule.max_age_months,
                    rule.article.cite()
                ),
            );
            return;
        };
        let expires = add_months(issued, rule.max_age_months);
        let last_day = expires.and_then(|e| e.pred_opt());
        match proposal.transmitted_on {
            Some(sent) if sent < issued => self.push(
                "criminal_record.after_transmission",
                Severity::Warning,
                &rule.article,
                format!(
                    "Bulletin n° 2 délivré le {}, après la transmission du {} : dates à vérifier ({}).",
                    fr_date(issued),
                    fr_date(sent),
                    rule.article.cite()
                ),
            ),
            Some(sent) if expires.is_none_or(|e| sent >= e) => self.push(
                "criminal_record.expired",
                Severity::Blocking,
                &rule.article,
                format!(
                    "Bulletin n° 2 délivré le {} : {} à la transmission du {}, or il doit dater de moins de {} mois ({}){unv} ; un extrait récent est à joindre.",
                    fr_date(issued),
                    fr_ymd(Ymd::between(issued, sent)),
                    fr_date(sent),
                    rule.max_age_months,
                    rule.article.cite()
                ),
            ),
            Some(sent) => self.push(
                "criminal_record.valid",
                Severity::Info,
                &rule.article,
                format!(
                    "Bulletin n° 2 délivré le {} : {} à la transmission du {}, moins de {} mois ({}){unv}.",
                    fr_date(issued),
                    fr_ymd(Ymd::between(issued, sent)),
                    fr_date(sent),
                    rule.max_age_months,
                    rule.article.cite()
                ),
            ),
            None => self.push(
                "criminal_record.deadline",
                Severity::Info,
                &rule.article,
                format!(
                    "Bulletin n° 2 délivré le {} : le dossier doit être transmis au plus tard le {} (moins de {} mois, {}){unv}.",
                    fr_date(issued),
                    last_day.map_or_else(|| "—".to_owned(), fr_date),
                    rule.max_age_months,
                    rule.article.cite()
                ),
            ),
        }
    }

    fn check_gaps(&mut self, cat: &Catalogue) {
        for gap in cat.gaps().iter().filter(|g| g.enabled) {
            if !gap.before.contains(&self.dist.code) {
                continue;
            }
            let latest = self
                .case
                .candidate
                .awards
                .iter()
                .filter(|a| {
                    a.distinction != self.dist.code
                        && gap.after.contains(&a.distinction)
                        && a.received_on <= self.at
                })
                .max_by_key(|a| a.received_on);
            let Some(a) = latest else { continue };
            let Some(until) = add_years(a.received_on, gap.years) else {
                continue;
            };
            if self.at < until {
                let label = cat
                    .distinction(&a.distinction)
                    .map_or_else(|| a.grade.to_string(), |d| d.label(&a.grade));
                let note = gap
                    .note
                    .as_ref()
                    .map(|n| format!(" {n}"))
                    .unwrap_or_default();
                self.reasons.push(Reason {
                    code: ReasonCode::new(&["gap", gap.id.as_str()]),
                    severity: Severity::Warning,
                    article: gap.reference.clone(),
                    message: format!(
                        "Pratique d'écart de {} après {} {} reçu le {} : seulement {} au {} ; écart respecté à partir du {} ({}). Simple avertissement, dérogation possible.{}{}",
                        fr_years(gap.years),
                        a.distinction,
                        label,
                        fr_date(a.received_on),
                        fr_ymd(Ymd::between(a.received_on, self.at)),
                        fr_date(self.at),
                        fr_date(until),
                        gap.reference.cite(),
                        note,
                        unverified(gap.verified)
                    ),
                });
            }
        }
    }

    fn check_new_merits(&mut self, previous: Option<(usize, NaiveDate)>) {
        let (Some(rule), Some((_, since))) = (self.rs.new_merits.clone(), previous) else {
            return;
        };
        self.push(
            "merits.new",
            Severity::Info,
            &rule.article,
            format!(
                "À établir par l'instructeur : mérites nouveaux acquis depuis la réception du {} ({}).",
                fr_date(since),
                rule.article.cite()
            ),
        );
    }

    fn finish(self) -> Verdict {
        let worst = self.reasons.iter().map(|r| r.severity).min();
        let verdict = match worst {
            Some(Severity::Blocking) => VerdictKind::Ineligible,
            Some(Severity::Warning) => VerdictKind::Warning,
            _ => VerdictKind::Eligible,
        };
        let eligible_from = if self.timeless_block || self.dated.iter().any(Option::is_none) {
            None
        } else {
            self.dated.iter().flatten().max().copied()
        };
        Verdict {
            verdict,
            eligible_from,
            reasons: self.reasons,
        }
    }
}

fn case_level(code: &str, message: String) -> Verdict {
    Verdict {
        verdict: VerdictKind::Ineligible,
        eligible_from: None,
        reasons: vec![Reason {
            code: ReasonCode::new(&["case", code]),
            severity: Severity::Blocking,
            article: Article::none(),
            message,
        }],
    }
}

/// Evaluates a proposal. Never fails: a case whose codes are unknown to the
/// catalogue gets an ineligible verdict with a `case.*` reason (use
/// [`crate::check_json`] at the edges to get a typed error instead).
pub fn evaluate(catalogue: &Catalogue, case: &Case) -> Verdict {
    let Some(dist) = catalogue.distinction(&case.distinction) else {
        return case_level(
            "unknown_distinction",
            format!(
                "Distinction inconnue du catalogue : « {} ».",
                case.distinction
            ),
        );
    };
    let Some(target) = dist.grade_index(&case.grade) else {
        return case_level(
            "unknown_grade",
            format!(
                "Grade ou échelon inconnu « {} » pour la distinction {}.",
                case.grade, dist.code
            ),
        );
    };
    let Some(rs) = dist.rule_set_at(case.assessed_on) else {
        return case_level(
            "no_rule_set",
            format!(
                "Aucune règle de la distinction {} n'est en vigueur au {}.",
                dist.code,
                fr_date(case.assessed_on)
            ),
        );
    };
    let route = case.route();
    let mut ev = Eval {
        case,
        dist,
        rs,
        at: case.assessed_on,
        target,
        target_label: dist.label(&case.grade),
        route,
        route_rule: rs.route(route),
        reasons: Vec::new(),
        dated: Vec::new(),
        timeless_block: false,
        catalogue_lookup: Some(catalogue),
    };
    if route == Route::Normal {
        ev.route_rule = None;
    }
    ev.check_route();
    ev.check_nationality();
    ev.check_deceased();
    let previous = ev.check_progression();
    if ev.waives_durations() {
        // Reported once in the route reason; durations are simply not checked.
    } else {
        ev.check_time_in_grade(previous);
        ev.check_services();
    }
    if !ev.waives_age() {
        ev.check_age();
    }
    ev.check_parliament();
    ev.check_criminal_record();
    ev.check_gaps(catalogue);
    ev.check_new_merits(previous);
    ev.finish()
}
