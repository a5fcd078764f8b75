//! `napoleon rules check|list`: the public command-line contract of the eligibility engine
//! (docs/rules.md), run as the real binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs the real binary with `stdin`; returns its output.
pub fn napoleon(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_napoleon"))
        .args(args)
        .env_remove("NAPOLEON_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

const ONM_CASE: &str = r#"{"distinction":"ONM","grade":"chevalier","assessed_on":"2027-05-15",
 "candidate":{"birth_date":"1975-02-11","nationality":"FR","french_since":null,"deceased_on":null,
   "services":[{"from":"2010-09-01","to":null,"kind":"public"}],
   "awards":[{"distinction":"MSI","grade":"bronze","decreed_on":"2019-12-20","received_on":"2020-02-03"}],
   "mandates":[]},
 "proposal":{"route":"normal","criminal_record_issued_on":"2027-03-02"}}"#;

#[test]
fn check_answers_the_contract_example_with_exit_0() {
    let out = napoleon(&["rules", "check"], ONM_CASE);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdict: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict["verdict"], "eligible");
    assert_eq!(
        verdict["eligible_from"], "2020-09-01",
        "10 years of service from 2010-09-01"
    );
    let reasons = verdict["reasons"].as_array().unwrap();
    assert!(
        reasons
            .iter()
            .all(|r| r["code"].is_string() && r["article"].is_string() && r["message"].is_string())
    );
}

#[test]
fn an_ineligible_verdict_still_exits_0_and_cites_its_article() {
    let case = ONM_CASE.replace("2010-09-01", "2020-09-01");
    let out = napoleon(&["rules", "check"], &case);
    assert!(out.status.success());
    let verdict: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict["verdict"], "ineligible");
    let blocking: Vec<&serde_json::Value> = verdict["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["severity"] == "blocking")
        .collect();
    assert!(!blocking.is_empty());
    assert!(
        blocking
            .iter()
            .all(|r| !r["article"].as_str().unwrap().is_empty())
    );
}

#[test]
fn malformed_input_exits_2_with_a_clear_message() {
    for (input, expected) in [
        ("{ not json", "JSON mal formé"),
        (
            &ONM_CASE.replace("\"ONM\"", "\"XYZ\"") as &str,
            "distinction inconnue « XYZ »",
        ),
        (&ONM_CASE.replace("2027-05-15", "2027-02-30"), "assessed_on"),
        (&ONM_CASE.replace("\"chevalier\"", "\"amiral\""), "amiral"),
    ] {
        let out = napoleon(&["rules", "check"], input);
        assert_eq!(out.status.code(), Some(2), "{input}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(expected),
            "stderr for {input:?} lacks {expected:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "no verdict on malformed input");
    }
}

#[test]
fn list_shows_every_distinction_with_articles_and_dates() {
    let out = napoleon(&["rules", "list"], "");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for code in [
        "LH", "ONM", "MHRDC", "MHT", "MSI", "ACD", "MHSP", "MHPN", "MJSEA", "PA", "AL", "MA", "MM",
    ] {
        assert!(text.contains(&format!("{code} — ")), "{code} missing");
    }
    assert!(text.contains("R19"), "articles are cited");
    assert!(
        text.contains("règles en vigueur au "),
        "effective dates shown"
    );

    let out = napoleon(&["rules", "list", "--json"], "");
    let listing: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listing["distinctions"].as_array().unwrap().len(), 13);
}
