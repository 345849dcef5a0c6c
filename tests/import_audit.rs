//! End to end: capture folder → `regcheck import` → `regcheck audit`. Each synthetic shape
//! variant of import.md (the CLI's, the API's, digests only) imports into an account that
//! audits exactly as the same account written by hand (`synthetic-by-hand.toml`): the JSON
//! reports agree on every rule and finding, locations aside.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn regcheck(args: &[&str]) -> (i32, String, String) {
    // Run outside the repository, so that no regcheck.toml is discovered.
    let output = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .current_dir(std::env::temp_dir())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The JSON report of `file`, without what depends on where things sit in the file.
fn audit(file: &Path) -> Value {
    let (code, stdout, stderr) = regcheck(&[
        "audit",
        file.to_str().unwrap(),
        "--as-of",
        "2026-11-26",
        "--format",
        "json",
        "--include-passes",
    ]);
    assert_eq!(code, 1, "the account has deliberate gaps\n{stderr}");
    let mut report: Value = serde_json::from_str(&stdout).unwrap();
    let strip = |item: &mut Value| {
        let object = item.as_object_mut().unwrap();
        for key in ["file", "line", "column", "end_line", "end_column"] {
            object.remove(key);
        }
    };
    for account in report["accounts"].as_array_mut().unwrap() {
        for finding in account["findings"].as_array_mut().unwrap() {
            strip(finding);
        }
        strip(account);
    }
    report
}

fn import(capture: &str, dir: &Path) -> PathBuf {
    let file = dir.join(format!("{capture}.toml"));
    let (code, _, stderr) = regcheck(&[
        "import",
        fixture(capture).to_str().unwrap(),
        "-o",
        file.to_str().unwrap(),
        "--captured-at",
        "2026-11-25T06:00:00Z",
    ]);
    assert_eq!(code, 0, "{stderr}");
    file
}

#[test]
fn every_shape_variant_audits_exactly_as_the_account_written_by_hand() {
    let by_hand = audit(&fixture("synthetic-by-hand.toml"));
    let dir = tempfile::tempdir().unwrap();
    for capture in [
        "synthetic-cli-shape",
        "synthetic-api-shape",
        "synthetic-digests-shape",
    ] {
        let imported = audit(&import(capture, dir.path()));
        assert!(
            imported == by_hand,
            "{capture} audits differently from synthetic-by-hand.toml:\n{}",
            serde_json::to_string_pretty(&imported).unwrap()
        );
    }
}

#[test]
fn an_imported_capture_gives_the_findings_its_gaps_call_for() {
    let dir = tempfile::tempdir().unwrap();
    let report = audit(&import("synthetic-cli-shape", dir.path()));
    let failing: Vec<String> = report["accounts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| {
            format!(
                "{} {}",
                f["rule_id"].as_str().unwrap(),
                f["subject"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        failing,
        // Most severe first, then by rule and subject.
        [
            // The eu-gb route still names the deleted EU logs target …
            "ICR-AT-002 route:r-registry#rule[1]",
            // A password baked into the staging image's env (from cr-image-inspect.json).
            "ICR-SEC-003 image:us.icr.io/shop-staging/api:1.5.0-rc.1#env.DB_PASSWORD",
            // … so EU events reach only the archive.
            "ICR-AT-005 registry:eu-gb",
            // Monitoring is the user's to declare: absent until they do.
            "ICR-AT-006 account:0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b",
            "ICR-AT-007 account:0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b",
            // The untagged image from cr-image-digests.json: VA v4 does not scan it.
            "ICR-VA-004 image:us.icr.io/shop-prod/api@sha256:2222222222222222222222222222222222222222222222222222222222222222",
        ]
    );
    let text = serde_json::to_string(&report).unwrap();
    assert!(!text.contains("Winter2026"), "the secret is never in a report");
}
