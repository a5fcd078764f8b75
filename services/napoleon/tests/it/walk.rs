//! The platform's pages in a real browser: headless Chromium (Debian's `chromium`) driven by
//! npm `playwright-core` walks them as the demo agents, runs axe-core on every page and keeps
//! screenshots (`services/napoleon/tests/browser/walk.mjs`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use napoleon_testkit::TestApp;

/// The whole walk, Chromium start-up included.
const WALK_TIMEOUT: Duration = Duration::from_secs(300);

/// The repository root (the `node_modules` the scripts import from live there).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where Chromium is: `CHROMIUM`, else Debian's.
fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Screenshots go beside Cargo's build output, one directory per test, emptied first.
fn screenshot_dir(test: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repo_root().join("target"), PathBuf::from);
    let dir = target.join("napoleon-screenshots").join(test);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Fails (never skips) when what the walk needs is missing, saying how to install it.
fn require_tools(root: &Path) {
    let chromium = chromium();
    assert!(
        chromium.is_file(),
        "{} is missing: install Debian's Chromium (`apt-get install chromium`, which \
         deploy/local/test.sh does), or point CHROMIUM at a Chromium binary",
        chromium.display()
    );
    let node = std::process::Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "Node.js is missing: install it (`apt-get install nodejs npm`, which deploy/local/test.sh \
         does): {node:?}"
    );
    for module in ["playwright-core/package.json", "axe-core/axe.min.js"] {
        assert!(
            root.join("node_modules").join(module).is_file(),
            "node_modules/{module} is missing: run `npm ci` at the repository root"
        );
    }
}

/// Runs `walk.mjs` against the live app; panics with its output unless it succeeds.
async fn walk(live: &TestApp, test: &str) {
    browse(live, "walk.mjs", &[], test).await;
}

/// Runs `script` (in services/napoleon/tests/browser) against the live app with `args`;
/// panics with its output unless it succeeds.
async fn browse(live: &TestApp, script: &str, args: &[&str], test: &str) {
    let root = repo_root();
    require_tools(&root);
    let script = root.join("services/napoleon/tests/browser").join(script);
    let screenshots = screenshot_dir(test);
    // The workspace lints keep stdout for results: the walk's log goes to stderr.
    eprintln!("screenshots: {}", screenshots.display());
    let child = tokio::process::Command::new("node")
        .arg(&script)
        .arg(&live.base)
        .args(args)
        .current_dir(&root)
        .env("NAPOLEON_SCREENSHOTS", &screenshots)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("starting node {}: {e}", script.display()));
    let output = tokio::time::timeout(WALK_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the browser walk did not finish within {} s (screenshots so far: {})",
                WALK_TIMEOUT.as_secs(),
                screenshots.display()
            )
        })
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        eprintln!("{stdout}{stderr}");
    }
    assert!(
        output.status.success(),
        "the browser walk failed ({}); screenshots: {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status,
        screenshots.display()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_agents_walk_the_pages_accessibly_in_chromium() {
    let live = TestApp::live_with_activity().await;
    // The pieces the walk attaches are scanned as the worker scans them, by a real clamd.
    let clamd = napoleon_testkit::ClamdProcess::start().await.unwrap();
    let scanner = live.spawn_scanner(&clamd.client(Duration::from_secs(30)));
    walk(&live, "demo_agents_walk").await;
    scanner.abort();
    // The mémoire the rédacteur downloaded: its text, and page 1 rendered beside the
    // screenshots.
    let shots = screenshot_path("demo_agents_walk");
    let pdf = shots.join("memoire-projet.pdf");
    let text = std::process::Command::new("/usr/bin/pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, README command 1) is missing");
    let text = String::from_utf8_lossy(&text.stdout);
    for expected in [
        "Lambert",
        "Jeanne Marie",
        "chevalier",
        "art.",
        "Conditions statutaires remplies",
    ] {
        assert!(
            text.contains(expected),
            "« {expected} » missing from the mémoire:\n{text}"
        );
    }
    let rendered = std::process::Command::new("/usr/bin/pdftoppm")
        .args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf)
        .arg(shots.join("memoire-projet-page-1"))
        .status()
        .unwrap();
    assert!(rendered.success() && shots.join("memoire-projet-page-1.png").is_file());
    // The registry exported from the page, opened with a spreadsheet reader: the columns
    // chosen (two unticked), the laureate found, her birth date a date cell.
    for name in ["registre.xlsx", "registre.ods"] {
        let bytes = std::fs::read(shots.join(name)).unwrap();
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let sheet = calamine::Reader::sheet_names(&book)[0].clone();
        let range = calamine::Reader::worksheet_range(&mut book, &sheet).unwrap();
        let rows: Vec<Vec<calamine::Data>> = range.rows().map(<[_]>::to_vec).collect();
        let header: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
        assert_eq!(
            header[..3],
            ["Nom de naissance", "Nom d'usage", "Prénoms"],
            "{name}"
        );
        assert!(
            !header
                .iter()
                .any(|h| h == "Nationalité" || h == "Nom de la distinction")
        );
        let fontaine = rows
            .iter()
            .find(|r| r[0] == "FONTAINE")
            .unwrap_or_else(|| panic!("{name}: {rows:?}"));
        assert_eq!(fontaine[2].to_string(), "Sylvie Anne", "{name}");
        let born = header
            .iter()
            .position(|h| h == "Date de naissance")
            .unwrap();
        assert!(
            matches!(
                fontaine[born],
                calamine::Data::DateTime(_) | calamine::Data::DateTimeIso(_)
            ),
            "{name}: {:?}",
            fontaine[born]
        );
    }
    live.finish().await;
}

/// Where a test's screenshots are (as [`screenshot_dir`] made them, not emptied).
fn screenshot_path(test: &str) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repo_root().join("target"), PathBuf::from)
        .join("napoleon-screenshots")
        .join(test)
}

/// Finding of the identity review (issue 14): logout was blocked in the browser against a
/// provider on another origin (the CSP's `form-action 'self'` refused the redirect of the
/// logout form to the provider), leaving the agent on the page and the provider's session
/// alive. In Chromium, against the ProConnect-shaped peer on another port.
#[tokio::test(flavor = "multi_thread")]
async fn logout_in_chromium_reaches_a_provider_on_another_origin_and_comes_back() {
    let (listener, base) = TestApp::bind().await;
    let (_peer, provider, _dir) = crate::proconnect::proconnect_like(&base).await;
    let live = TestApp::serve_live(listener, base, vec![provider]).await;
    browse(
        &live,
        "logout.mjs",
        &["agent-claire"],
        "logout_other_origin",
    )
    .await;
    live.finish().await;
}

/// Issue 16: every screenshot the user guide shows (`![…](images/<name>.png)` in
/// docs/guide/*.md) is committed and is the screenshot of a step of the walk
/// (`check(page, '<name>')` in walk.mjs), so `deploy/local/guide-screenshots.sh` refreshes
/// them all; and every committed image is used.
#[test]
fn every_image_of_the_guide_is_a_step_of_the_walk() {
    let root = repo_root();
    let walk =
        std::fs::read_to_string(root.join("services/napoleon/tests/browser/walk.mjs")).unwrap();
    let steps: std::collections::BTreeSet<&str> = walk
        .split("check(page, '")
        .skip(1)
        .filter_map(|rest| rest.split('\'').next())
        .collect();
    let guide = root.join("docs/guide");
    let mut shown = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&guide).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for rest in text.split("](images/").skip(1) {
            let name = rest.split(".png)").next().unwrap().to_owned();
            assert!(
                steps.contains(name.as_str()),
                "{}: images/{name}.png is no step of walk.mjs (check(page, '{name}'))",
                path.display()
            );
            assert!(
                guide.join("images").join(format!("{name}.png")).is_file(),
                "docs/guide/images/{name}.png is missing: run deploy/local/guide-screenshots.sh"
            );
            shown.insert(name);
        }
    }
    assert!(!shown.is_empty(), "the guide shows screenshots");
    for entry in std::fs::read_dir(guide.join("images")).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        let name = file.trim_end_matches(".png");
        assert!(
            shown.contains(name),
            "docs/guide/images/{file} is not shown by the guide"
        );
    }
}
