//! SARIF output, checked in Rust: each run is read back into `serde-sarif`'s typed model (an
//! independent implementation of the schema) and held to GitHub code scanning's rules. The files
//! are also written to `target/sarif-tests/`, where `.ci/run` validates them against the official
//! schema with `../shared/sarif/validate-sarif --strict`.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_sarif::sarif::Sarif;

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../sarif-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `regcheck audit … --format sarif` in the repository root and saves the output for
/// `.ci/run`'s validation.
fn sarif(name: &str, args: &[&str], config: Option<&str>) -> (i32, Sarif, String) {
    let (code, log, text) = run_sarif(name, args, config);
    std::fs::write(out_dir().join(format!("{name}.sarif")), &text).unwrap();
    (code, log, text)
}

/// Runs `regcheck audit … --format sarif` in the repository root.
fn run_sarif(name: &str, args: &[&str], config: Option<&str>) -> (i32, Sarif, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_regcheck"));
    command
        .current_dir(root)
        .args(["audit", "--as-of", "2026-11-26", "--format", "sarif"])
        .args(args);
    let _config_dir;
    if let Some(config) = config {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("regcheck.toml");
        std::fs::write(&path, config).unwrap();
        command.arg("--config").arg(&path);
        _config_dir = dir;
    }
    let output = command.output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let log: Sarif = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: not SARIF: {e}\n{text}"));
    (output.status.code().unwrap_or(-1), log, text)
}

/// GitHub code scanning's upload rules (as `../shared/sarif/README.md` lists them).
fn assert_github_rules(name: &str, log: &Sarif) {
    assert_eq!(log.version, serde_json::json!("2.1.0"), "{name}: version");
    assert_eq!(log.runs.len(), 1, "{name}: one run");
    let run = &log.runs[0];
    let driver = &run.tool.driver;
    assert_eq!(driver.name, "regcheck");
    let rules = driver.rules.as_ref().expect("rules are listed");
    assert!(!rules.is_empty(), "{name}: tool.driver.rules");
    let mut ids = HashSet::new();
    for rule in rules {
        assert!(ids.insert(rule.id.as_str()), "{name}: rule ids are unique");
        assert!(
            !rule.short_description.as_ref().unwrap().text.is_empty(),
            "{name}: {} shortDescription",
            rule.id
        );
        let full = &rule.full_description.as_ref().unwrap().text;
        assert!(
            !full.is_empty() && full.chars().count() <= 1024,
            "{name}: {} fullDescription",
            rule.id
        );
        assert!(
            !rule.help.as_ref().unwrap().text.is_empty(),
            "{name}: {} help",
            rule.id
        );
        let properties = &rule.properties.as_ref().unwrap().additional_properties;
        let score = properties["security-severity"]
            .as_str()
            .expect("security-severity is a string");
        let score: f64 = score.parse().unwrap();
        assert!(
            (0.0..=10.0).contains(&score),
            "{name}: {} security-severity",
            rule.id
        );
        let tags = rule.properties.as_ref().unwrap().tags.as_ref().unwrap();
        assert!(tags.len() <= 10, "{name}: at most 10 tags");
        assert!(
            tags.iter().any(|t| t.starts_with('R') || t == "BP"),
            "{name}: {} tags name the responsibility",
            rule.id
        );
    }
    assert!(
        run.automation_details.is_none(),
        "{name}: automationDetails only with --sarif-category, so the upload action's category works"
    );
    let mut fingerprints = BTreeSet::new();
    let mut previous_severity = 10.0_f64;
    for result in run.results.as_ref().unwrap() {
        let id = result.rule_id.as_deref().unwrap();
        let index = result.rule_index.unwrap() as usize;
        assert_eq!(rules[index].id, id, "{name}: ruleIndex points at ruleId");
        assert!(
            !result.message.text.as_deref().unwrap_or("").is_empty(),
            "{name}: message"
        );
        let level = serde_json::to_value(result.level.as_ref().unwrap()).unwrap();
        assert!(
            ["error", "warning", "note", "none"].contains(&level.as_str().unwrap()),
            "{name}: level"
        );
        let locations = result.locations.as_ref().unwrap();
        assert!(!locations.is_empty(), "{name}: a location");
        let physical = locations[0].physical_location.as_ref().unwrap();
        let uri = physical
            .artifact_location
            .as_ref()
            .unwrap()
            .uri
            .as_deref()
            .unwrap();
        assert!(
            !uri.starts_with('/') && !uri.contains("://") && !uri.contains("..") && !uri.contains('\\'),
            "{name}: relative artifact URI, got {uri}"
        );
        let region = physical.region.as_ref().unwrap();
        assert!(
            region.start_line.unwrap() >= 1 && region.start_column.unwrap() >= 1,
            "{name}: region"
        );
        assert!(
            region.end_line.unwrap() >= region.start_line.unwrap(),
            "{name}: region ends after it starts"
        );
        // regcheck's own key; primaryLocationLineHash is GitHub's and must not be set.
        let partial = result.partial_fingerprints.as_ref().unwrap();
        assert!(
            !partial.contains_key("primaryLocationLineHash"),
            "{name}: primaryLocationLineHash is left to GitHub"
        );
        let hash = &partial["regcheck/v1"];
        assert!(
            fingerprints.insert((uri.to_owned(), hash.clone())),
            "{name}: fingerprints are unique in {uri} ({hash})"
        );
        // Most severe first.
        let severity: f64 =
            rules[index].properties.as_ref().unwrap().additional_properties["security-severity"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
        assert!(
            severity <= previous_severity,
            "{name}: results are most severe first"
        );
        previous_severity = severity;
    }
}

fn results(log: &Sarif) -> &[serde_sarif::sarif::Result] {
    log.runs[0].results.as_deref().unwrap_or_default()
}

#[test]
fn a_run_with_failures() {
    let (code, log, text) = sarif("with-failures", &["examples/account.toml"], None);
    assert_eq!(code, 1);
    assert_github_rules("with-failures", &log);
    let at001: Vec<_> = results(&log)
        .iter()
        .filter(|r| r.rule_id.as_deref() == Some("ICR-AT-001"))
        .collect();
    assert_eq!(
        at001.len(),
        1,
        "one result per failing finding; passes are not results"
    );
    let region = at001[0].locations.as_ref().unwrap()[0]
        .physical_location
        .as_ref()
        .unwrap()
        .region
        .as_ref()
        .unwrap();
    assert_eq!(
        (region.start_line, region.start_column),
        (Some(27), Some(1)),
        "points at jp-tok's region key"
    );
    assert!(text.contains("\"uri\": \"examples/account.toml\""));
    assert!(text.contains("\"columnKind\": \"unicodeCodePoints\""));
}

#[test]
fn a_run_without_failures() {
    let (code, log, _) = sarif(
        "without-failures",
        &["examples/small.toml", "--rule", "ICR-AT-*"],
        None,
    );
    assert_eq!(code, 0);
    assert_github_rules("without-failures", &log);
    assert!(results(&log).is_empty());
    assert_eq!(
        log.runs[0].tool.driver.rules.as_ref().unwrap().len(),
        7,
        "every rule that ran is listed"
    );
}

#[test]
fn waived_results_carry_suppressions_with_the_reason() {
    let config = "[[waivers]]\nrule = \"ICR-AT-00[15]\"\nsubject = \"registry:jp-tok\"\nreason = \"Tokyo pilot, routed next sprint\"\nexpires = 2027-01-31\nowner = \"platform-team\"\n";
    let (code, log, _) = sarif(
        "with-waivers",
        &["examples/account.toml", "--rule", "ICR-AT-00[15]"],
        Some(config),
    );
    assert_eq!(code, 1, "ICR-AT-005 for eu-gb is not waived");
    assert_github_rules("with-waivers", &log);
    let suppressed: Vec<_> = results(&log)
        .iter()
        .filter(|r| r.suppressions.is_some())
        .collect();
    assert_eq!(suppressed.len(), 2);
    for result in suppressed {
        let suppression = &result.suppressions.as_ref().unwrap()[0];
        assert_eq!(suppression.kind, serde_json::json!("external"));
        assert!(
            suppression
                .justification
                .as_deref()
                .unwrap()
                .starts_with("Tokyo pilot, routed next sprint")
        );
    }
}

#[test]
fn one_run_across_several_files_with_an_invalid_one() {
    let (code, log, _) = sarif(
        "multi-file",
        &[
            "examples",
            "tests/fixtures/valid/aliases.toml",
            "tests/fixtures/invalid/bad-region.toml",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert_github_rules("multi-file", &log);
    let uris: BTreeSet<&str> = results(&log)
        .iter()
        .map(|r| {
            r.locations.as_ref().unwrap()[0]
                .physical_location
                .as_ref()
                .unwrap()
                .artifact_location
                .as_ref()
                .unwrap()
                .uri
                .as_deref()
                .unwrap()
        })
        .collect();
    assert!(
        uris.contains("examples/account.toml") && uris.contains("tests/fixtures/valid/aliases.toml"),
        "{uris:?}"
    );
    let invocation = &log.runs[0].invocations.as_ref().unwrap()[0];
    assert!(!invocation.execution_successful);
    let notifications = invocation.tool_execution_notifications.as_ref().unwrap();
    assert!(
        notifications[0]
            .message
            .text
            .as_deref()
            .unwrap()
            .contains("unknown registry region")
    );
}

#[test]
fn fingerprints_survive_moving_lines() {
    let dir = tempfile::tempdir().unwrap();
    let original =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/account.toml")).unwrap();
    let moved = format!("# three\n# new\n# lines\n{original}");
    let run = |text: &str| {
        std::fs::write(dir.path().join("account.toml"), text).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_regcheck"))
            .current_dir(dir.path())
            .args([
                "audit",
                "account.toml",
                "--as-of",
                "2026-11-26",
                "--format",
                "sarif",
            ])
            .output()
            .unwrap();
        let log: Sarif = serde_json::from_slice(&output.stdout).unwrap();
        results(&log)
            .iter()
            .map(|r| {
                let line = r.locations.as_ref().unwrap()[0]
                    .physical_location
                    .as_ref()
                    .unwrap()
                    .region
                    .as_ref()
                    .unwrap()
                    .start_line
                    .unwrap();
                (
                    r.partial_fingerprints.as_ref().unwrap()["regcheck/v1"].clone(),
                    line,
                )
            })
            .collect::<Vec<_>>()
    };
    let before = run(&original);
    let after = run(&moved);
    assert_eq!(before.len(), after.len());
    for ((hash_before, line_before), (hash_after, line_after)) in before.iter().zip(&after) {
        assert_eq!(hash_before, hash_after);
        assert_eq!(line_before + 3, *line_after);
    }
}

#[test]
fn a_category_becomes_the_automation_id() {
    let (_, log, _) = sarif(
        "with-category",
        &["examples/account.toml", "--sarif-category", "regcheck/prod"],
        None,
    );
    let details = log.runs[0].automation_details.as_ref().expect("asked for");
    assert_eq!(details.id.as_deref(), Some("regcheck/prod/"));
    let (_, log, _) = run_sarif(
        "with-category-slash",
        &["examples/account.toml", "--sarif-category", "accounts/"],
        None,
    );
    let details = log.runs[0].automation_details.as_ref().unwrap();
    assert_eq!(
        details.id.as_deref(),
        Some("accounts/"),
        "a trailing slash is kept, not doubled"
    );
}

#[test]
fn files_outside_the_root_get_absolute_file_uris() {
    let (_, log, text) = run_sarif(
        "outside-root",
        &["examples/account.toml", "--root", "tests"],
        None,
    );
    let expected = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/account.toml");
    let expected = format!("file://{}", expected.to_string_lossy().replace('\\', "/"));
    let expected = if expected.starts_with("file:///") {
        expected
    } else {
        expected.replacen("file://", "file:///", 1)
    };
    for result in results(&log) {
        let uri = result.locations.as_ref().unwrap()[0]
            .physical_location
            .as_ref()
            .unwrap()
            .artifact_location
            .as_ref()
            .unwrap()
            .uri
            .as_deref()
            .unwrap();
        assert_eq!(uri, expected);
    }
    assert!(!text.contains("../"), "never a ../ URI");

    // Inside the root, relative to it.
    let (_, log, _) = run_sarif(
        "inside-root",
        &["examples/account.toml", "--root", "examples"],
        None,
    );
    let uri = results(&log)[0].locations.as_ref().unwrap()[0]
        .physical_location
        .as_ref()
        .unwrap()
        .artifact_location
        .as_ref()
        .unwrap()
        .uri
        .clone();
    assert_eq!(uri.as_deref(), Some("account.toml"));
}

/// GitHub rejects a run with more than 25,000 results: the most severe are kept, and a tool
/// notification says how many were left out. A real run past the limit (one custom rule
/// failing on every image, another on five of them at critical).
#[test]
fn at_most_25000_results_keeping_the_most_severe() {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let images = 25_010;
    let mut account = String::from(
        "schema_version = 1\n[account]\nid = \"acc-big\"\ncaptured_at = 2026-11-25\n[[registries]]\nregion = \"us-south\"\n[[namespaces]]\nname = \"shop-prod\"\nregion = \"us-south\"\n",
    );
    for i in 0..images {
        let name = if i % 5000 == 4999 { "crit" } else { "app" };
        let _ = write!(
            account,
            "[[images]]\nref = \"us.icr.io/shop-prod/{name}-{i}:1\"\n"
        );
    }
    std::fs::write(dir.path().join("account.toml"), account).unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    for (id, severity, when) in [
        ("T-LOW", "low", "true"),
        ("T-CRIT", "critical", "item.ref.contains('/crit-')"),
    ] {
        std::fs::write(
            dir.path().join(format!("policies/{id}.toml")),
            format!("id = \"{id}\"\ntitle = \"{severity} test rule\"\nseverity = \"{severity}\"\nresponsibility = \"TEST\"\nfor_each = \"$.images[*]\"\nwhen = \"{when}\"\nassert = \"false\"\nsubject = \"image:{{item.ref}}\"\nmessage = \"fails at {severity}\""),
        )
        .unwrap();
    }
    let output = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .current_dir(dir.path())
        .args([
            "audit",
            "account.toml",
            "--as-of",
            "2026-11-26",
            "--no-default-policies",
            "--policies",
            "policies",
            "--format",
            "sarif",
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let log: Sarif = serde_json::from_slice(&output.stdout).unwrap();
    // So many results are written on several cores and put together: the log must still be
    // exactly what serde_json's pretty printer writes (keys keep their order when read back).
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        serde_json::to_string_pretty(&value).unwrap() + "\n" == String::from_utf8_lossy(&output.stdout),
        "the log is not serde_json's pretty format"
    );
    let results = results(&log);
    assert_eq!(results.len(), 25_000);
    let critical = results
        .iter()
        .filter(|r| r.rule_id.as_deref() == Some("T-CRIT"))
        .count();
    assert_eq!(critical, 5, "every critical result is kept");
    assert!(
        results[..5]
            .iter()
            .all(|r| r.rule_id.as_deref() == Some("T-CRIT"))
    );
    let invocation = &log.runs[0].invocations.as_ref().unwrap()[0];
    assert!(
        invocation.execution_successful,
        "leaving results out is not a failure"
    );
    let notes: Vec<&str> = invocation
        .tool_execution_notifications
        .as_ref()
        .unwrap()
        .iter()
        .filter_map(|n| n.message.text.as_deref())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("15 of 25015 results were left out")),
        "{notes:?}"
    );
}
