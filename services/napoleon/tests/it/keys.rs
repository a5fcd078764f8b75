//! The platform's keys: `napoleon keys generate` (also for the identity assertion, which
//! operators produced by hand before), and the public keys published for verification.

use napoleon_identity::AssertionSigner;
use napoleon_identity::platform::{PlatformKeys, Purpose};
use napoleon_testkit::TestApp;

use crate::rules_cli::napoleon;

/// The quoted value of `name = "…"` in the command's output.
fn value(out: &str, name: &str) -> String {
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("{name} = ")))
        .unwrap_or_else(|| panic!("no {name} in {out}"));
    line.split('"').nth(1).unwrap().to_owned()
}

#[test]
fn a_generated_key_signs_for_the_platform_and_for_the_assertion() {
    let out = napoleon(&["keys", "generate", "--kid", "2027-a"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (secret, public) = (value(&text, "signing_key"), value(&text, "public_key"));
    assert!(secret.starts_with("2027-a:") && public.starts_with("2027-a:"));
    // The platform's key, and after a rotation the old public part verifies its signatures.
    let old = PlatformKeys::from_config(&secret, []).unwrap();
    let signed = old.sign(Purpose::JournalCheckpoint, b"interieur seq=12");
    let next = napoleon(&["keys", "generate", "--kid", "2027-b"], "");
    let next = String::from_utf8(next.stdout).unwrap();
    let rotated =
        PlatformKeys::from_config(&value(&next, "signing_key"), [public.as_str()]).unwrap();
    rotated
        .verify(Purpose::JournalCheckpoint, b"interieur seq=12", &signed)
        .unwrap();
    assert_eq!(rotated.sign(Purpose::JournalCheckpoint, b"x").kid, "2027-b");
    // The same line is an identity-assertion key, whose public part the services accept.
    assert_eq!(
        AssertionSigner::from_config(&secret)
            .unwrap()
            .public_config(),
        public
    );
    // A kid that is not a plain name is refused, exit 2, naming it.
    let bad = napoleon(&["keys", "generate", "--kid", "clé 1"], "");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("clé 1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_public_keys_are_published_at_a_well_known_url() {
    let app = TestApp::builder().build().await;
    let r = app
        .get("/.well-known/napoleon-keys.json", "application/json")
        .await;
    assert_eq!(r.status, http::StatusCode::OK, "{}", r.body);
    let jwks: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(
        (
            key["kty"].as_str(),
            key["crv"].as_str(),
            key["kid"].as_str()
        ),
        (Some("OKP"), Some("Ed25519"), Some("ephemeral"))
    );
    assert!(!r.body.contains("\"d\""), "no private part");
    app.finish().await;
}
