//! Snapshots of the French explanations and of the input errors.
#![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use napoleon_rules::{CaseError, Catalogue, check_json};
use serde_json::json;

fn cat() -> Catalogue {
    Catalogue::builtin().expect("builtin catalogue")
}

fn verdict(v: &serde_json::Value) -> napoleon_rules::Verdict {
    check_json(&cat(), &v.to_string()).expect("valid case")
}

fn error(input: &str) -> CaseError {
    check_json(&cat(), input).expect_err("must be refused")
}

#[test]
fn lh_officier_one_day_short() {
    let v = verdict(&json!({
        "distinction": "LH", "grade": "officier", "assessed_on": "2027-07-14",
        "candidate": {"nationality": "FR", "awards": [
            {"distinction": "LH", "grade": "chevalier", "decreed_on": "2019-01-01", "received_on": "2019-07-15"},
            {"distinction": "ONM", "grade": "officier", "received_on": "2026-03-01"}]},
        "proposal": {"criminal_record_issued_on": "2027-03-02", "transmitted_on": "2027-05-02"}
    }));
    let r = v.reason("lh.grade.time_in_previous").unwrap();
    assert!(
        r.message
            .starts_with("7 ans, 11 mois et 29 jours comme chevalier au 14/07/2027")
    );
    insta::assert_json_snapshot!(v);
}

#[test]
fn onm_merged_services_with_gap_and_naturalised_lh() {
    let onm = verdict(&json!({
        "distinction": "ONM", "grade": "chevalier", "assessed_on": "2027-05-15",
        "candidate": {"nationality": "FR", "services": [
            {"from": "2010-01-01", "to": "2014-12-31", "kind": "public"},
            {"from": "2012-01-01", "to": "2013-12-31", "kind": "private"},
            {"from": "2016-01-01", "to": null, "kind": "volunteer"}]},
        "proposal": {"route": "normal"}
    }));
    insta::assert_json_snapshot!("onm_merged_services", onm);
    let lh = verdict(&json!({
        "distinction": "LH", "grade": "chevalier", "assessed_on": "2027-01-01",
        "candidate": {"nationality": "FR", "french_since": "2010-03-15",
            "services": [{"from": "1998-09-01", "to": null, "kind": "private"}],
            "mandates": [{"from": "2020-07-01", "to": null, "kind": "parliament"}]}
    }));
    insta::assert_json_snapshot!("lh_naturalised_member_of_parliament", lh);
}

#[test]
fn medals_and_ministerial_orders() {
    let mht = verdict(&json!({
        "distinction": "MHT", "grade": "or", "assessed_on": "2027-01-01",
        "candidate": {"services": [
            {"from": "1990-01-01", "to": "1999-12-31", "kind": "private"},
            {"from": "2001-01-01", "to": null, "kind": "private"}]}
    }));
    insta::assert_json_snapshot!("mht_several_echelons", mht);
    let mjsea = verdict(&json!({
        "distinction": "MJSEA", "grade": "or", "assessed_on": "2027-07-14",
        "candidate": {"services": [{"from": "2010-01-01", "to": null, "kind": "volunteer"}],
            "awards": [{"distinction": "MJSEA", "grade": "argent", "received_on": "2023-01-01"}]}
    }));
    insta::assert_json_snapshot!("mjsea_or_too_early", mjsea);
    let pa = verdict(&json!({
        "distinction": "PA", "grade": "chevalier", "assessed_on": "2027-01-01",
        "candidate": {"birth_date": "1992-02-29", "deceased_on": "2026-11-02",
            "services": [{"from": "2012-09-01", "to": null, "kind": "public"}],
            "awards": [{"distinction": "AL", "grade": "chevalier", "received_on": "2025-06-01"}]}
    }));
    insta::assert_json_snapshot!("pa_young_deceased_after_al", pa);
}

#[test]
fn input_errors_name_the_field() {
    let base = json!({"distinction": "ONM", "grade": "chevalier", "assessed_on": "2027-05-15",
        "candidate": {"services": [{"from": "2010-09-01", "to": null, "kind": "public"}]}});
    let with = |path: &[&str], value: serde_json::Value| {
        let mut v = base.clone();
        let mut cur = &mut v;
        for (i, key) in path.iter().enumerate() {
            if i + 1 == path.len() {
                cur[*key] = value.clone();
            } else if let Ok(idx) = key.parse::<usize>() {
                cur = &mut cur[idx];
            } else {
                cur = &mut cur[*key];
            }
        }
        v.to_string()
    };

    let cases: Vec<(&str, String)> = vec![
        (
            "malformed",
            r#"{"distinction": "ONM", "grade": }"#.to_owned(),
        ),
        ("truncated", r#"{"distinction": "ONM""#.to_owned()),
        ("unknown_distinction", with(&["distinction"], json!("XYZ"))),
        (
            "bad_distinction_syntax",
            with(&["distinction"], json!("onm")),
        ),
        ("unknown_grade", with(&["grade"], json!("baron"))),
        (
            "impossible_date",
            with(&["assessed_on"], json!("2027-02-30")),
        ),
        (
            "impossible_nested_date",
            with(&["candidate", "services", "0", "from"], json!("2010-13-01")),
        ),
        (
            "loose_date_format",
            with(&["assessed_on"], json!("2027-5-15")),
        ),
        (
            "reversed_period",
            with(&["candidate", "services", "0", "to"], json!("2009-01-01")),
        ),
        ("unknown_field", with(&["candidate", "salary"], json!(3))),
        (
            "unknown_route",
            with(&["proposal"], json!({"route": "royal"})),
        ),
        (
            "bad_kind",
            with(&["candidate", "services", "0", "kind"], json!("hobby")),
        ),
        (
            "missing_field",
            with(&["candidate", "services", "0", "from"], json!(null)),
        ),
        (
            "wrong_type",
            with(&["candidate", "services"], json!("2010")),
        ),
        (
            "unknown_award_grade",
            with(
                &["candidate", "awards"],
                json!([{"distinction": "LH", "grade": "bronze", "received_on": "2020-01-01"}]),
            ),
        ),
        (
            "received_before_decree",
            with(
                &["candidate", "awards"],
                json!([{"distinction": "LH", "grade": "chevalier", "decreed_on": "2020-01-01", "received_on": "2019-01-01"}]),
            ),
        ),
        ("root_not_object", "[1, 2]".to_owned()),
    ];
    let mut out = Vec::new();
    for (name, input) in &cases {
        let e = error(input);
        // Every error names its field except whole-document problems.
        if !matches!(e, CaseError::MalformedJson { .. }) {
            assert!(e.field().is_some(), "{name}: {e}");
            assert!(
                e.to_string().contains(e.field().unwrap_or_default()),
                "{name}: {e}"
            );
        }
        assert!(e.code().starts_with("case."));
        out.push(json!({"case": name, "body": e.body()}));
    }
    let reversed = error(&cases.get(8).unwrap().1);
    assert_eq!(reversed.code(), "case.period_reversed");
    assert_eq!(reversed.field(), Some("candidate.services[0].to"));
    let date = error(&cases.get(6).unwrap().1);
    assert_eq!(date.code(), "case.invalid_date");
    assert_eq!(date.field(), Some("candidate.services[0].from"));
    insta::assert_json_snapshot!("input_errors", out);
}

#[test]
fn the_typed_case_rejects_unknown_fields_too() {
    // Library users deserialising `Case` directly get serde's refusal.
    let r: Result<napoleon_rules::Case, _> = serde_json::from_value(json!({
        "distinction": "LH", "grade": "chevalier", "assessed_on": "2027-07-14",
        "candidate": {}, "extra": true}));
    assert!(r.unwrap_err().to_string().contains("unknown field"));
    let r: Result<napoleon_rules::Service, _> =
        serde_json::from_value(json!({"from": "2020-01-02", "to": "2020-01-01", "kind": "public"}));
    assert!(r.is_err());
}

#[test]
fn catalogue_listing_snapshot() {
    let listing = cat().listing();
    insta::assert_json_snapshot!("catalogue_listing", listing);
}
