//! Table-driven boundary cases, one or more per rule, each naming its
//! article: the day before and the day a condition is met.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests"
)]

use napoleon_rules::{
    Catalogue, Severity, TenantParameters, Verdict, VerdictKind, check_json, next_grades,
};
use serde_json::{Value, json};

fn cat() -> Catalogue {
    Catalogue::builtin().expect("builtin catalogue")
}

/// A French candidate born in 1960 with a valid B2 sent in time, so that
/// rows only see the rule they test.
fn case(dist: &str, grade: &str, at: &str, candidate: Value, proposal: Value) -> Value {
    let mut c = json!({
        "birth_date": "1960-01-01", "nationality": "FR", "french_since": null,
        "deceased_on": null, "services": [], "awards": [], "mandates": []
    });
    if let (Some(base), Some(extra)) = (c.as_object_mut(), candidate.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    let mut p = json!({"route": "normal"});
    if let (Some(base), Some(extra)) = (p.as_object_mut(), proposal.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    json!({"distinction": dist, "grade": grade, "assessed_on": at, "candidate": c, "proposal": p})
}

fn run(cat: &Catalogue, v: &Value) -> Verdict {
    check_json(cat, &v.to_string()).expect("valid case")
}

#[derive(Debug)]
enum From {
    Any,
    Null,
    Day(&'static str),
}

struct Row {
    name: &'static str,
    article: &'static str,
    case: Value,
    verdict: VerdictKind,
    /// Reason code and expected severity; `None` = must be absent.
    reason: (&'static str, Option<Severity>),
    from: From,
}

const B2_OK: &str = "2027-05-01";

fn b2(issued: &str, sent: &str) -> Value {
    json!({"criminal_record_issued_on": issued, "transmitted_on": sent})
}

fn rows() -> Vec<Row> {
    let ok = || b2("2027-04-01", B2_OK);
    let chevalier_lh = json!({"awards": [{"distinction": "LH", "grade": "chevalier",
        "decreed_on": "2019-01-01", "received_on": "2019-07-14"}]});
    let mut r = vec![
        // R19: eight years as chevalier counted from réception, not decree.
        Row {
            name: "LH officier, day before the 8th anniversary of réception",
            article: "R19",
            case: case("LH", "officier", "2027-07-13", chevalier_lh.clone(), ok()),
            verdict: VerdictKind::Ineligible,
            reason: ("lh.grade.time_in_previous", Some(Severity::Blocking)),
            from: From::Day("2027-07-14"),
        },
        Row {
            name: "LH officier, on the 8th anniversary of réception",
            article: "R19",
            case: case("LH", "officier", "2027-07-14", chevalier_lh.clone(), ok()),
            verdict: VerdictKind::Eligible,
            reason: ("lh.grade.time_in_previous", Some(Severity::Info)),
            from: From::Day("2027-07-14"),
        },
        Row {
            name: "LH officier, 8 years after the decree but not after réception",
            article: "R19, R48",
            case: case("LH", "officier", "2027-01-01", chevalier_lh.clone(), ok()),
            verdict: VerdictKind::Ineligible,
            reason: ("lh.grade.time_in_previous", Some(Severity::Blocking)),
            from: From::Day("2027-07-14"),
        },
        // R18: twenty years of service for chevalier.
        Row {
            name: "LH chevalier, day before 20 years of service",
            article: "R18",
            case: case(
                "LH",
                "chevalier",
                "2027-07-13",
                json!({"services": [{"from": "2007-07-14", "to": null, "kind": "public"}]}),
                ok(),
            ),
            verdict: VerdictKind::Ineligible,
            reason: ("lh.services.min_years", Some(Severity::Blocking)),
            from: From::Day("2027-07-14"),
        },
        Row {
            name: "LH chevalier, on 20 years of service",
            article: "R18",
            case: case(
                "LH",
                "chevalier",
                "2027-07-14",
                json!({"services": [{"from": "2007-07-14", "to": null, "kind": "public"}]}),
                ok(),
            ),
            verdict: VerdictKind::Eligible,
            reason: ("lh.services.min_years", Some(Severity::Info)),
            from: From::Day("2027-07-14"),
        },
        Row {
            name: "LH chevalier, volunteering is not professional activity",
            article: "R18",
            case: case(
                "LH",
                "chevalier",
                "2027-07-14",
                json!({"services": [{"from": "1990-01-01", "to": null, "kind": "volunteer"}]}),
                ok(),
            ),
            verdict: VerdictKind::Ineligible,
            reason: ("lh.services.min_years", Some(Severity::Blocking)),
            from: From::Null,
        },
        // R24: a naturalised candidate counts from acquisition of nationality.
        Row {
            name: "LH chevalier, naturalised, day before 20 years since naturalisation",
            article: "R24",
            case: case(
                "LH",
                "chevalier",
                "2027-07-13",
                json!({"french_since": "2007-07-14",
                       "services": [{"from": "1995-01-01", "to": null, "kind": "private"}]}),
                ok(),
            ),
            verdict: VerdictKind::Ineligible,
            reason: ("lh.services.min_years", Some(Severity::Blocking)),
            from: From::Day("2027-07-14"),
        },
        Row {
            name: "LH chevalier, naturalised, 20 years since naturalisation",
            article: "R24",
            case: case(
                "LH",
                "chevalier",
                "2027-07-14",
                json!({"french_since": "2007-07-14",
                       "services": [{"from": "1995-01-01", "to": null, "kind": "private"}]}),
                ok(),
            ),
            verdict: VerdictKind::Eligible,
            reason: ("lh.services.min_years", Some(Severity::Info)),
            from: From::Day("2027-07-14"),
        },
    ];
    // R174: merged overlapping periods, gap excluded. 2010-2014 (1 826 days)
    // with an overlapping private job, a gap in 2015, then ongoing from
    // 2016: the 3 652 days of 2010-2019 are complete after 1 826 more days,
    // i.e. on 2020-12-31.
    let onm_services = json!({"services": [
        {"from": "2010-01-01", "to": "2014-12-31", "kind": "public"},
        {"from": "2012-01-01", "to": "2013-12-31", "kind": "private"},
        {"from": "2016-01-01", "to": null, "kind": "volunteer"}]});
    r.push(Row {
        name: "ONM chevalier, merged service, day before 10 years",
        article: "R174",
        case: case(
            "ONM",
            "chevalier",
            "2020-12-30",
            onm_services.clone(),
            json!({}),
        ),
        verdict: VerdictKind::Ineligible,
        reason: ("onm.services.min_years", Some(Severity::Blocking)),
        from: From::Day("2020-12-31"),
    });
    r.push(Row {
        name: "ONM chevalier, merged service, on 10 years",
        article: "R174",
        case: case("ONM", "chevalier", "2020-12-31", onm_services, json!({})),
        verdict: VerdictKind::Warning, // B2 not given
        reason: ("onm.services.min_years", Some(Severity::Info)),
        from: From::Day("2020-12-31"),
    });
    // R27 / R176: no grade skipped, even on the exceptional route, which
    // waives durations only.
    r.push(Row {
        name: "LH commandeur from chevalier, normal route",
        article: "R17, R27",
        case: case("LH", "commandeur", "2030-07-14", chevalier_lh.clone(), ok()),
        verdict: VerdictKind::Ineligible,
        reason: ("lh.progression.no_skip", Some(Severity::Blocking)),
        from: From::Null,
    });
    r.push(Row {
        name: "LH commandeur from chevalier, exceptional route still cannot skip",
        article: "R27",
        case: case(
            "LH",
            "commandeur",
            "2030-07-14",
            chevalier_lh.clone(),
            json!({"route": "exceptional"}),
        ),
        verdict: VerdictKind::Ineligible,
        reason: ("lh.progression.no_skip", Some(Severity::Blocking)),
        from: From::Null,
    });
    r.push(Row {
        name: "LH officier on the exceptional route waives the 8 years",
        article: "R27",
        case: case("LH", "officier", "2021-01-01", chevalier_lh.clone(),
            json!({"route": "exceptional", "criminal_record_issued_on": "2020-12-01", "transmitted_on": "2020-12-15"})),
        verdict: VerdictKind::Eligible,
        reason: ("lh.grade.time_in_previous", None),
        from: From::Null,
    });
    r.push(Row {
        name: "ONM officier from nothing, normal route",
        article: "R176",
        case: case("ONM", "officier", "2027-05-15", json!({}), ok()),
        verdict: VerdictKind::Ineligible,
        reason: ("onm.progression.entry", Some(Severity::Blocking)),
        from: From::Null,
    });
    r.push(Row {
        name: "LH commandeur by direct nomination",
        article: "R17",
        case: case(
            "LH",
            "commandeur",
            "2027-07-14",
            json!({}),
            json!({"route": "direct",
            "criminal_record_issued_on": "2027-04-01", "transmitted_on": B2_OK}),
        ),
        verdict: VerdictKind::Eligible,
        reason: ("lh.route.direct", Some(Severity::Info)),
        from: From::Null,
    });
    r.push(Row {
        name: "LH grand-croix is never open to direct nomination",
        article: "R17",
        case: case(
            "LH",
            "grand_croix",
            "2027-07-14",
            json!({}),
            json!({"route": "direct"}),
        ),
        verdict: VerdictKind::Ineligible,
        reason: ("lh.route.grade_not_open", Some(Severity::Blocking)),
        from: From::Null,
    });
    r.push(Row {
        name: "MHSP has no exceptional route",
        article: "décret n° 2017-1155",
        case: case(
            "MHSP",
            "bronze",
            "2027-07-14",
            json!({}),
            json!({"route": "exceptional"}),
        ),
        verdict: VerdictKind::Ineligible,
        reason: ("mhsp.route.unavailable", Some(Severity::Blocking)),
        from: From::Null,
    });
    // Minimum ages.
    for (dist, grade, birth, before, on, art) in [
        (
            "AL",
            "chevalier",
            "1997-07-14",
            "2027-07-13",
            "2027-07-14",
            "décret n° 57-549",
        ),
        (
            "PA",
            "chevalier",
            "1992-07-14",
            "2027-07-13",
            "2027-07-14",
            "décret n° 55-1323",
        ),
        (
            "MA",
            "chevalier",
            "1997-07-14",
            "2027-07-13",
            "2027-07-14",
            "décret n° 59-729",
        ),
        // 29 February birthday: 30 years are complete on 28 February.
        (
            "AL",
            "chevalier",
            "1996-02-29",
            "2026-02-27",
            "2026-02-28",
            "décret n° 57-549",
        ),
    ] {
        let p = dist.to_lowercase();
        let cand = json!({"birth_date": birth,
            "services": [{"from": "1980-01-01", "to": null, "kind": "private"}]});
        let code: &'static str = Box::leak(format!("{p}.age.min").into_boxed_str());
        r.push(Row {
            name: "minimum age, day before",
            article: art,
            case: case(dist, grade, before, cand.clone(), json!({})),
            verdict: VerdictKind::Ineligible,
            reason: (code, Some(Severity::Blocking)),
            from: From::Day(Box::leak(on.to_owned().into_boxed_str())),
        });
        r.push(Row {
            name: "minimum age, on the birthday",
            article: art,
            case: case(dist, grade, on, cand, json!({})),
            verdict: VerdictKind::Eligible,
            reason: (code, Some(Severity::Info)),
            from: From::Day(Box::leak(on.to_owned().into_boxed_str())),
        });
    }
    // Foreigners, deceased persons, the posthumous route.
    r.push(Row {
        name: "LH, foreign national",
        article: "R16, R128",
        case: case(
            "LH",
            "chevalier",
            "2027-07-14",
            json!({"nationality": "DE",
            "services": [{"from": "1990-01-01", "to": null, "kind": "public"}]}),
            ok(),
        ),
        verdict: VerdictKind::Ineligible,
        reason: ("lh.nationality.foreigner", Some(Severity::Blocking)),
        from: From::Null,
    });
    let dead = json!({"deceased_on": "2026-08-01",
        "services": [{"from": "1990-01-01", "to": null, "kind": "public"}]});
    r.push(Row {
        name: "LH, deceased, normal route",
        article: "R26",
        case: case("LH", "chevalier", "2027-01-01", dead.clone(), ok()),
        verdict: VerdictKind::Ineligible,
        reason: ("lh.deceased.forbidden", Some(Severity::Blocking)),
        from: From::Null,
    });
    r.push(Row {
        name: "LH posthumous route, last day of the one-year delay",
        article: "R26",
        case: case(
            "LH",
            "chevalier",
            "2027-07-31",
            dead.clone(),
            json!({"route": "posthumous",
            "criminal_record_issued_on": "2027-07-01", "transmitted_on": "2027-07-02"}),
        ),
        verdict: VerdictKind::Eligible,
        reason: ("lh.route.posthumous_delay", None),
        from: From::Null,
    });
    r.push(Row {
        name: "LH posthumous route, one year after death",
        article: "R26",
        case: case(
            "LH",
            "chevalier",
            "2027-08-01",
            dead.clone(),
            json!({"route": "posthumous"}),
        ),
        verdict: VerdictKind::Ineligible,
        reason: ("lh.route.posthumous_delay", Some(Severity::Blocking)),
        from: From::Null,
    });
    r.push(Row {
        name: "LH posthumous route for a living candidate",
        article: "R26",
        case: case(
            "LH",
            "chevalier",
            "2027-07-14",
            json!({}),
            json!({"route": "posthumous"}),
        ),
        verdict: VerdictKind::Ineligible,
        reason: ("lh.route.not_deceased", Some(Severity::Blocking)),
        from: From::Null,
    });
    r.push(Row {
        name: "MHRDC posthumous within 5 years, services counted to death",
        article: "R411-49",
        case: case(
            "MHRDC",
            "argent",
            "2031-07-31",
            json!({"deceased_on": "2026-08-01",
                   "services": [{"from": "2006-08-01", "to": null, "kind": "public"}]}),
            json!({}),
        ),
        verdict: VerdictKind::Warning, // B2 not given
        reason: ("mhrdc.deceased.within_delay", Some(Severity::Info)),
        from: From::Day("2026-08-01"),
    });
    r.push(Row {
        name: "MHRDC posthumous, 5 years after death",
        article: "R411-49",
        case: case(
            "MHRDC",
            "argent",
            "2031-08-01",
            json!({"deceased_on": "2026-08-01",
                   "services": [{"from": "2006-08-01", "to": null, "kind": "public"}]}),
            json!({}),
        ),
        verdict: VerdictKind::Ineligible,
        reason: ("mhrdc.deceased.delay_expired", Some(Severity::Blocking)),
        from: From::Null,
    });
    // R22 and the ONM's six months after a parliamentary mandate.
    r.push(Row {
        name: "LH, parliamentary mandate in progress",
        article: "R22",
        case: case(
            "LH",
            "officier",
            "2030-01-01",
            json!({
            "awards": [{"distinction": "LH", "grade": "chevalier", "received_on": "2019-07-14"}],
            "mandates": [{"from": "2022-06-22", "to": null, "kind": "parliament"}]}),
            ok(),
        ),
        verdict: VerdictKind::Ineligible,
        reason: (
            "lh.parliament.mandate_in_progress",
            Some(Severity::Blocking),
        ),
        from: From::Null,
    });
    let ex_mp = json!({"services": [{"from": "1990-01-01", "to": null, "kind": "elected"}],
        "mandates": [{"from": "2017-06-21", "to": "2026-06-30", "kind": "parliament"}]});
    r.push(Row {
        name: "ONM, day before six months after the end of the mandate",
        article: "ordonnance n° 58-1100",
        case: case("ONM", "chevalier", "2026-12-31", ex_mp.clone(), json!({})),
        verdict: VerdictKind::Ineligible,
        reason: ("onm.parliament.after_mandate", Some(Severity::Blocking)),
        from: From::Day("2027-01-01"),
    });
    r.push(Row {
        name: "ONM, six months after the end of the mandate",
        article: "ordonnance n° 58-1100",
        case: case("ONM", "chevalier", "2027-01-01", ex_mp, json!({})),
        verdict: VerdictKind::Warning,
        reason: ("onm.parliament.after_mandate", None),
        from: From::Any,
    });
    // R29: B2 under two months at transmission.
    let svc = json!({"services": [{"from": "1990-01-01", "to": null, "kind": "public"}]});
    r.push(Row {
        name: "B2 sent on the last day under two months",
        article: "R29",
        case: case(
            "LH",
            "chevalier",
            "2027-07-14",
            svc.clone(),
            b2("2027-03-02", "2027-05-01"),
        ),
        verdict: VerdictKind::Eligible,
        reason: ("lh.criminal_record.valid", Some(Severity::Info)),
        from: From::Any,
    });
    r.push(Row {
        name: "B2 two months old at transmission",
        article: "R29",
        case: case(
            "LH",
            "chevalier",
            "2027-07-14",
            svc.clone(),
            b2("2027-03-02", "2027-05-02"),
        ),
        verdict: VerdictKind::Ineligible,
        reason: ("lh.criminal_record.expired", Some(Severity::Blocking)),
        from: From::Day("2010-01-01"),
    });
    r.push(Row {
        name: "B2 missing",
        article: "R29",
        case: case("LH", "chevalier", "2027-07-14", svc.clone(), json!({})),
        verdict: VerdictKind::Warning,
        reason: ("lh.criminal_record.missing", Some(Severity::Warning)),
        from: From::Any,
    });
    // MHRDC: successive échelons at least a year apart.
    let agent = |awards: Value| json!({"services": [{"from": "1990-01-01", "to": null, "kind": "public"}], "awards": awards});
    let argent = json!([{"distinction": "MHRDC", "grade": "argent", "received_on": "2026-07-14"}]);
    r.push(Row {
        name: "MHRDC vermeil, day before a year at argent",
        article: "décret n° 87-594",
        case: case(
            "MHRDC",
            "vermeil",
            "2027-07-13",
            agent(argent.clone()),
            b2("2027-06-01", "2027-06-02"),
        ),
        verdict: VerdictKind::Ineligible,
        reason: ("mhrdc.grade.time_in_previous", Some(Severity::Blocking)),
        from: From::Day("2027-07-14"),
    });
    r.push(Row {
        name: "MHRDC vermeil, a year at argent",
        article: "décret n° 87-594",
        case: case(
            "MHRDC",
            "vermeil",
            "2027-07-14",
            agent(argent),
            b2("2027-06-01", "2027-06-02"),
        ),
        verdict: VerdictKind::Eligible,
        reason: ("mhrdc.grade.time_in_previous", Some(Severity::Info)),
        from: From::Day("2027-07-14"),
    });
    r.push(Row {
        name: "MHRDC vermeil without argent, even with 37 years",
        article: "décret n° 87-594",
        case: case(
            "MHRDC",
            "vermeil",
            "2027-07-14",
            agent(json!([])),
            json!({}),
        ),
        verdict: VerdictKind::Ineligible,
        reason: ("mhrdc.progression.entry", Some(Severity::Blocking)),
        from: From::Null,
    });
    // MHT: several échelons in one promotion, by years alone.
    let worker = json!({"services": [{"from": "1992-01-01", "to": null, "kind": "private"}]});
    r.push(Row {
        name: "MHT or, day before 35 years",
        article: "décret n° 84-591, art. 6",
        case: case("MHT", "or", "2026-12-31", worker.clone(), json!({})),
        verdict: VerdictKind::Ineligible,
        reason: ("mht.services.min_years", Some(Severity::Blocking)),
        from: From::Day("2027-01-01"),
    });
    r.push(Row {
        name: "MHT or with no échelon held, on 35 years",
        article: "décret n° 84-591, art. 6",
        case: case("MHT", "or", "2027-01-01", worker, json!({})),
        verdict: VerdictKind::Eligible,
        reason: ("mht.progression.several_echelons", Some(Severity::Info)),
        from: From::Day("2027-01-01"),
    });
    // MJSEA: minimum years in the previous échelon.
    let volunteer = json!({"services": [{"from": "2012-01-01", "to": null, "kind": "volunteer"}],
        "awards": [{"distinction": "MJSEA", "grade": "bronze", "received_on": "2023-01-01"}]});
    r.push(Row {
        name: "MJSEA argent, day before 4 years in bronze",
        article: "décret n° 69-942",
        case: case(
            "MJSEA",
            "argent",
            "2026-12-31",
            volunteer.clone(),
            json!({}),
        ),
        verdict: VerdictKind::Ineligible,
        reason: ("mjsea.grade.time_in_previous", Some(Severity::Blocking)),
        from: From::Day("2027-01-01"),
    });
    r.push(Row {
        name: "MJSEA argent, 4 years in bronze",
        article: "décret n° 69-942",
        case: case("MJSEA", "argent", "2027-01-01", volunteer, json!({})),
        verdict: VerdictKind::Eligible,
        reason: ("mjsea.grade.time_in_previous", Some(Severity::Info)),
        from: From::Day("2027-01-01"),
    });
    // Gap practices: warnings, never blocks.
    let onm_holder = json!({"services": [{"from": "1990-01-01", "to": null, "kind": "public"}],
        "awards": [{"distinction": "ONM", "grade": "chevalier", "received_on": "2026-01-01"}]});
    r.push(Row {
        name: "LH less than two years after ONM réception",
        article: "pratique (§4)",
        case: case(
            "LH",
            "chevalier",
            "2027-12-31",
            onm_holder.clone(),
            b2("2027-11-01", "2027-11-02"),
        ),
        verdict: VerdictKind::Warning,
        reason: ("gap.onm_before_lh", Some(Severity::Warning)),
        from: From::Any,
    });
    r.push(Row {
        name: "LH two years after ONM réception",
        article: "pratique (§4)",
        case: case(
            "LH",
            "chevalier",
            "2028-01-01",
            onm_holder,
            b2("2027-11-01", "2027-11-02"),
        ),
        verdict: VerdictKind::Eligible,
        reason: ("gap.onm_before_lh", None),
        from: From::Any,
    });
    // Rule sets by effective date: the 2013 Mérite agricole amendment.
    let farmer = json!({"birth_date": "1970-01-01",
        "services": [{"from": "2001-01-01", "to": null, "kind": "private"}]});
    r.push(Row {
        name: "MA chevalier, 12 years, day before the 2013 rules",
        article: "décret n° 59-729",
        case: case("MA", "chevalier", "2013-06-30", farmer.clone(), json!({})),
        verdict: VerdictKind::Eligible,
        reason: ("ma.services.min_years", Some(Severity::Info)),
        from: From::Day("2011-01-01"),
    });
    r.push(Row {
        name: "MA chevalier, 12 years, under the 2013 rules (15 years)",
        article: "décret n° 59-729",
        case: case("MA", "chevalier", "2013-07-01", farmer, json!({})),
        verdict: VerdictKind::Ineligible,
        reason: ("ma.services.min_years", Some(Severity::Blocking)),
        from: From::Day("2016-01-01"),
    });
    // Entry through a grade held in another order.
    r.push(Row {
        name: "AL officier for an LH officier",
        article: "décret n° 57-549",
        case: case(
            "AL",
            "officier",
            "2027-07-14",
            json!({"awards": [
            {"distinction": "LH", "grade": "officier", "received_on": "2020-01-01"}]}),
            json!({}),
        ),
        verdict: VerdictKind::Eligible,
        reason: ("al.progression.cross_entry", Some(Severity::Info)),
        from: From::Null,
    });
    r.push(Row {
        name: "ONM officier for an LH chevalier (interpretation flagged)",
        article: "R173",
        case: case(
            "ONM",
            "officier",
            "2027-05-15",
            json!({"awards": [
            {"distinction": "LH", "grade": "chevalier", "received_on": "2020-01-01"}]}),
            ok(),
        ),
        verdict: VerdictKind::Warning,
        reason: ("onm.progression.cross_entry", Some(Severity::Warning)),
        from: From::Any,
    });
    r.push(Row {
        name: "LH chevalier already held",
        article: "R17",
        case: case("LH", "chevalier", "2027-07-14", chevalier_lh, ok()),
        verdict: VerdictKind::Ineligible,
        reason: ("lh.progression.already_held", Some(Severity::Blocking)),
        from: From::Null,
    });
    r
}

#[test]
fn boundary_table() {
    let cat = cat();
    let mut failures = Vec::new();
    for row in rows() {
        let v = run(&cat, &row.case);
        let (code, severity) = row.reason;
        let found = v.reason(code).map(|r| r.severity);
        let from_ok = match row.from {
            From::Any => true,
            From::Null => v.eligible_from.is_none(),
            From::Day(d) => v.eligible_from.map(|x| x.to_string()).as_deref() == Some(d),
        };
        if v.verdict != row.verdict || found != severity || !from_ok {
            failures.push(format!(
                "[{}] {}: expected {:?} / {code} {:?} / from {:?}, got {:?} / {:?} / from {:?}\n{:#?}",
                row.article, row.name, row.verdict, severity, row.from, v.verdict, found,
                v.eligible_from, v.reasons
            ));
        }
        // Every reason cites an article and explains itself in French.
        for r in &v.reasons {
            assert!(!r.article.as_str().is_empty());
            assert!(!r.message.is_empty());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn brief_example_case() {
    let input = r#"{"distinction":"ONM","grade":"chevalier","assessed_on":"2027-05-15",
     "candidate":{"birth_date":"1975-02-11","nationality":"FR","french_since":null,"deceased_on":null,
       "services":[{"from":"2010-09-01","to":null,"kind":"public"}],
       "awards":[{"distinction":"MSI","grade":"bronze","decreed_on":"2019-12-20","received_on":"2020-02-03"}],
       "mandates":[]},
     "proposal":{"route":"normal","criminal_record_issued_on":"2027-03-02"}}"#;
    let v = check_json(&cat(), input).unwrap();
    assert_eq!(v.verdict, VerdictKind::Eligible);
    assert_eq!(
        v.eligible_from.map(|d| d.to_string()).as_deref(),
        Some("2020-09-01")
    );
    let r = v.reason("onm.services.min_years").unwrap();
    assert_eq!(r.severity, Severity::Info);
    assert_eq!(r.article.as_str(), "R174");
    assert!(
        r.message.contains("16 ans, 8 mois et 14 jours"),
        "{}",
        r.message
    );
    // No transmission date: the deadline is announced instead.
    let d = v.reason("onm.criminal_record.deadline").unwrap();
    assert!(d.message.contains("01/05/2027"), "{}", d.message);
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["verdict"], "eligible");
    assert_eq!(json["eligible_from"], "2020-09-01");
    assert_eq!(json["reasons"][0].as_object().unwrap().len(), 4);
}

#[test]
fn gap_practices_are_tenant_parameters() {
    let base = cat();
    let params: TenantParameters =
        serde_json::from_value(json!({"gaps": {"onm_before_lh": {"enabled": false}}})).unwrap();
    let tuned = base.with_tenant_parameters(&params).unwrap();
    let c = case(
        "LH",
        "chevalier",
        "2027-07-14",
        json!({"services": [{"from": "1990-01-01", "to": null, "kind": "public"}],
               "awards": [{"distinction": "ONM", "grade": "chevalier", "received_on": "2026-01-01"}]}),
        b2("2027-06-01", "2027-06-02"),
    );
    assert!(run(&base, &c).has_reason("gap.onm_before_lh"));
    let v = run(&tuned, &c);
    assert!(!v.has_reason("gap.onm_before_lh"));
    // The generic two-year practice is a separate parameter.
    assert!(v.has_reason("gap.between_orders"));
    assert_eq!(v.verdict, VerdictKind::Warning);
    let both: TenantParameters = serde_json::from_value(json!({"gaps": {
        "onm_before_lh": {"enabled": false}, "between_orders": {"years": 1}}}))
    .unwrap();
    let v = run(&base.with_tenant_parameters(&both).unwrap(), &c);
    assert_eq!(v.verdict, VerdictKind::Eligible, "{:#?}", v.reasons);
}

#[test]
fn exceptional_route_keeps_other_conditions() {
    // R27 waives durations only: the foreigner bar and the B2 still apply.
    let c = case(
        "LH",
        "chevalier",
        "2027-07-14",
        json!({"nationality": "BE"}),
        json!({"route": "exceptional"}),
    );
    let v = run(&cat(), &c);
    assert!(v.has_reason("lh.nationality.foreigner"));
    assert!(v.has_reason("lh.criminal_record.missing"));
    assert!(!v.has_reason("lh.services.min_years"));
}

#[test]
fn awards_received_after_the_assessment_date_are_ignored() {
    let c = case(
        "LH",
        "officier",
        "2027-07-14",
        json!({"awards": [{"distinction": "LH", "grade": "chevalier", "received_on": "2027-09-01"}]}),
        b2("2027-06-01", "2027-06-02"),
    );
    let v = run(&cat(), &c);
    assert!(v.has_reason("lh.progression.received_after_assessment"));
    assert!(v.has_reason("lh.progression.entry"));
}

#[test]
fn next_grades_for_a_laureate() {
    let cat = cat();
    let cand: napoleon_rules::Candidate = serde_json::from_value(json!({
        "birth_date": "1970-03-01", "nationality": "FR",
        "services": [{"from": "1995-01-01", "to": null, "kind": "public"}],
        "awards": [
            {"distinction": "LH", "grade": "chevalier", "decreed_on": "2019-01-01", "received_on": "2019-07-14"},
            {"distinction": "MHRDC", "grade": "argent", "received_on": "2015-07-14"},
            {"distinction": "MSI", "grade": "bronze", "received_on": "2020-02-03"},
            {"distinction": "LH", "grade": "grand_croix", "received_on": "2040-01-01"}
        ]
    }))
    .unwrap();
    let mut cand_no_top = cand.clone();
    cand_no_top.awards.pop();
    let next = next_grades(&cat, &cand_no_top);
    let codes: Vec<&str> = next.iter().map(|n| n.distinction.as_str()).collect();
    assert_eq!(codes, ["LH", "MHRDC", "MSI"]);
    let lh = next.first().unwrap();
    assert_eq!(lh.next_grade.as_ref().unwrap().as_str(), "officier");
    // Eight years from réception (R19), not from the decree.
    assert_eq!(lh.reachable_on.unwrap().to_string(), "2027-07-14");
    let mhrdc = next.get(1).unwrap();
    assert_eq!(mhrdc.next_grade.as_ref().unwrap().as_str(), "vermeil");
    // 30 years of service from 1995 dominate the one year at argent.
    assert_eq!(mhrdc.reachable_on.unwrap().to_string(), "2025-01-01");
    let msi = next.get(2).unwrap();
    assert_eq!(msi.reachable_on, None, "MSI levels are awarded on merit");

    // At the top of the ladder there is no next grade.
    let top = next_grades(&cat, &cand);
    let lh_top = top.first().unwrap();
    assert_eq!(lh_top.current_grade.as_str(), "grand_croix");
    assert!(lh_top.next_grade.is_none());

    // Deceased laureates are not promotion candidates.
    let mut dead = cand_no_top;
    dead.deceased_on = Some("2026-01-01".parse().unwrap());
    assert!(next_grades(&cat, &dead).is_empty());
}

#[test]
fn next_grade_follows_rule_set_windows() {
    // MA officer: 5 years under both rule sets. Chevalier in MA needs 10 then
    // 15 years; here only the time in grade matters.
    let cat = cat();
    let cand: napoleon_rules::Candidate = serde_json::from_value(json!({
        "awards": [{"distinction": "MA", "grade": "chevalier", "received_on": "2010-01-01"}]
    }))
    .unwrap();
    let next = next_grades(&cat, &cand);
    let ma = next.first().expect("MA held");
    assert_eq!(ma.reachable_on.unwrap().to_string(), "2015-01-01");
}

#[test]
fn listing_covers_every_distinction_with_articles() {
    let cat = cat();
    let listing = cat.listing();
    assert_eq!(listing.distinctions.len(), cat.distinctions().len());
    let lh = listing.distinctions.first().unwrap();
    let r19: Vec<_> = lh
        .rule_sets
        .first()
        .unwrap()
        .rules
        .iter()
        .filter(|r| r.code == "lh.grade.time_in_previous")
        .collect();
    assert_eq!(r19.len(), 4);
    assert!(r19.iter().all(|r| r.article.as_str() == "R19"));
    let json = serde_json::to_value(&listing).unwrap();
    assert_eq!(
        json["distinctions"][0]["rule_sets"][0]["effective_from"],
        "2018-11-21"
    );
    assert!(!listing.gap_practices.is_empty());
    // Unverified values are visible in the listing.
    let onm = listing.distinctions.get(1).unwrap();
    assert!(
        onm.rule_sets
            .iter()
            .flat_map(|rs| &rs.rules)
            .any(|r| !r.verified)
    );
}

/// R173 al. 2 (« nommés ou promus »): an LH member holding ONM chevalier for less than the
/// usual 5 years may still reach ONM officier directly; holding the lower ONM grade must not
/// withdraw that right (found by the property « adding an award never lowers the level »).
#[test]
fn lh_membership_opens_onm_officier_also_to_a_recent_onm_chevalier() {
    let candidate = json!({
        "birth_date": "1980-01-01", "nationality": "FR", "services": [], "mandates": [],
        "awards": [
            {"distinction": "LH", "grade": "chevalier", "received_on": "1980-01-01"},
            {"distinction": "ONM", "grade": "chevalier", "received_on": "2016-11-20"}
        ]
    });
    let v = run(
        &cat(),
        &case(
            "ONM",
            "officier",
            "2018-11-21",
            candidate,
            json!({"route": "normal"}),
        ),
    );
    assert_ne!(v.verdict, VerdictKind::Ineligible, "{v:?}");
    assert!(v.reason("onm.progression.cross_entry").is_some(), "{v:?}");
    assert!(
        v.reason("onm.grade.time_in_previous")
            .is_none_or(|r| r.severity != Severity::Blocking)
    );
}

#[test]
fn lists_longer_than_any_career_are_refused_naming_the_list() {
    let service = json!({"kind": "public", "from": "1990-01-01", "to": "1991-01-01"});
    let at_bound = vec![service.clone(); napoleon_rules::MAX_LIST_ITEMS];
    let ok = case(
        "LH",
        "chevalier",
        "2027-07-14",
        json!({"services": at_bound}),
        json!({}),
    );
    assert!(check_json(&cat(), &ok.to_string()).is_ok());
    let over = vec![service; napoleon_rules::MAX_LIST_ITEMS + 1];
    let too_many = case(
        "LH",
        "chevalier",
        "2027-07-14",
        json!({"services": over}),
        json!({}),
    );
    let e = check_json(&cat(), &too_many.to_string()).unwrap_err();
    assert_eq!(e.code(), "case.too_many_items");
    assert_eq!(e.field(), Some("candidate.services"));
    assert!(e.to_string().contains("100 éléments au plus"), "{e}");
}
