//! The one-image deploy gate (`audit --image`, `--subject`; issue 14) through the real binary,
//! on the synthetic account of `tests/fixtures/image/`: what a tag ref and a digest ref judge,
//! where the findings of a focused evaluation point, and the subject filter with waivers and
//! baselines. The CLI's output is covered by the `audit-image-*` snapshots of `tests/cmd`.

use std::process::Command;

use serde_json::Value;

const ACCOUNT: &str = "tests/fixtures/image/account.toml";
const API_DIGEST: &str = "sha256:4f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a";
const WORKER_DIGEST: &str = "sha256:1111aaaa2222bbbb3333cccc4444dddd5555eeee6666ffff7777000088889999";

/// `regcheck audit ACCOUNT --as-of 2026-11-26 --format json ARGS`: exit code and the report.
fn audit(args: &[&str]) -> (i32, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(["audit", ACCOUNT, "--as-of", "2026-11-26", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code().unwrap_or(-1), report)
}

/// The account's findings as (rule, status, subject, path) and its rule results.
fn verdict(report: &Value) -> (Vec<(String, String, String, String)>, Value) {
    let account = &report["accounts"][0];
    let findings = account["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |key: &str| f[key].as_str().unwrap_or_default().to_owned();
            (text("rule_id"), text("status"), text("subject"), text("path"))
        })
        .collect();
    (findings, account["results"].clone())
}

#[test]
fn a_digest_ref_and_a_tag_ref_of_one_image_give_the_same_verdict() {
    for (tag, digest, code) in [
        (
            "shop-prod/worker:3.1.0",
            format!("us.icr.io/shop-prod/worker@{WORKER_DIGEST}"),
            1,
        ),
        ("shop-prod/api:stable", format!("shop-prod/api@{API_DIGEST}"), 0),
    ] {
        let (tag_code, by_tag) = audit(&["--image", tag]);
        let (digest_code, by_digest) = audit(&["--image", &digest]);
        assert_eq!((tag_code, digest_code), (code, code), "{tag} / {digest}");
        assert_eq!(verdict(&by_tag), verdict(&by_digest), "{tag} / {digest}");
        let judged = &by_tag["accounts"][0]["images_judged"][0];
        assert_eq!(
            judged["digests"],
            by_digest["accounts"][0]["images_judged"][0]["digests"]
        );
        assert_eq!(
            judged["refs"],
            by_digest["accounts"][0]["images_judged"][0]["refs"]
        );
    }
}

#[test]
fn a_tag_judges_every_entry_of_its_digest_and_says_which() {
    let (_, report) = audit(&["--image", "us.icr.io/shop-prod/api:1.4.2"]);
    let judged = &report["accounts"][0]["images_judged"][0];
    assert_eq!(judged["asked"], "us.icr.io/shop-prod/api:1.4.2");
    // The other tag of the same digest in the same registry; not the copy in uk.icr.io.
    assert_eq!(
        judged["refs"],
        serde_json::json!(["us.icr.io/shop-prod/api:1.4.2", "us.icr.io/shop-prod/api:stable"])
    );
    assert_eq!(judged["digests"], serde_json::json!([API_DIGEST]));
}

#[test]
fn the_focused_evaluation_judges_only_the_image_and_points_at_its_lines() {
    let (code, report) = audit(&["--image", "shop-prod/worker:3.1.0", "--include-passes"]);
    assert_eq!(code, 1);
    let (findings, _) = verdict(&report);
    assert!(!findings.is_empty());
    for (_, _, subject, path) in &findings {
        assert!(
            subject.starts_with("image:us.icr.io/shop-prod/worker:3.1.0"),
            "{subject}"
        );
        // The worker is the file's second image: paths are the file's, not the focused list's.
        assert!(path.starts_with("images[1]"), "{subject} at {path}");
    }
    let mut failing: Vec<_> = findings
        .iter()
        .filter(|f| f.1 == "fail")
        .map(|f| f.0.as_str())
        .collect();
    failing.sort_unstable();
    assert_eq!(failing, ["ICR-SEC-003", "ICR-VA-002"]);
    // The whole account fails on more than the worker.
    let (_, whole) = audit(&[]);
    let (all, _) = verdict(&whole);
    assert!(all.iter().any(|f| f.2.starts_with("key:")));
}

#[test]
fn the_subject_filter_keeps_waivers_and_baselines() {
    let config = ["--config", "tests/fixtures/image/regcheck.toml"];
    let baseline = ["--baseline", "tests/fixtures/image/baseline.json"];
    // The stale key alone fails; its waiver in the config lets it pass.
    let (code, _) = audit(&["--subject", "key:*"]);
    assert_eq!(code, 1);
    let (code, report) = audit(&[&["--subject", "key:*"][..], &config].concat());
    assert_eq!(code, 0);
    assert_eq!(verdict(&report).0[0].1, "waived");
    // The worker by glob: waiver and baseline together accept both of its findings.
    let worker = ["--subject", "image:*/worker:*"];
    let (code, _) = audit(&[&worker[..], &config].concat());
    assert_eq!(code, 1);
    let (code, report) = audit(&[&worker[..], &config, &baseline].concat());
    assert_eq!(code, 0);
    let mut statuses: Vec<(String, String)> = verdict(&report).0.into_iter().map(|f| (f.0, f.1)).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [
            ("ICR-SEC-003".into(), "waived".into()),
            ("ICR-VA-002".into(), "baselined".into())
        ]
    );
    // --fail-on applies to what is kept: the worker's findings are high.
    let (code, _) = audit(&[&worker[..], &["--fail-on", "critical"]].concat());
    assert_eq!(code, 0);
    let (code, _) = audit(&[&worker[..], &["--fail-on", "high"]].concat());
    assert_eq!(code, 1);
}

#[test]
fn an_unknown_image_is_an_error_with_the_closest_refs() {
    let (code, report) = audit(&["--image", "shop-prod/workr:3.1.0"]);
    assert_eq!(code, 2);
    let account = &report["accounts"][0];
    assert_eq!(account["status"], "invalid");
    let help = account["errors"][0]["help"].as_str().unwrap_or_default();
    assert!(help.contains("`shop-prod/worker:3.1.0`"), "{help}");
    // One unknown image among known ones is still an error.
    let (code, _) = audit(&["--image", "shop-prod/api:1.4.2", "--image", "shop-prod/nope:1"]);
    assert_eq!(code, 2);
}
