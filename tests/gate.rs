//! The pipeline gate as a matrix: --fail-on × severities × waived × expired waiver × baselined ×
//! invalid file, run through the real binary. Also: report files are written whole or not at all.

use std::path::{Path, PathBuf};
use std::process::Command;

const ACCOUNT: &str = "schema_version = 1\n[account]\nid = \"acc-1\"\ncaptured_at = 2026-11-25\n";

/// One always-failing rule per severity, so each case controls exactly which severities fail.
fn write_policies(dir: &Path) {
    for severity in ["critical", "high", "medium", "low"] {
        let id = format!("T-{}", severity.to_uppercase());
        let text = format!(
            "id = \"{id}\"\ntitle = \"{severity} test rule\"\nseverity = \"{severity}\"\nresponsibility = \"TEST\"\nfor_each = \"$\"\nassert = \"false\"\nsubject = \"account:{{item.account.id}}\"\nmessage = \"fails at {severity}\"\n"
        );
        std::fs::write(dir.join(format!("{id}.toml")), text).unwrap();
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("policies")).unwrap();
        write_policies(&root.join("policies"));
        std::fs::write(root.join("account.toml"), ACCOUNT).unwrap();
        Self { _dir: dir, root }
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        self.run_at("2026-11-26", args)
    }

    fn run_at(&self, as_of: &str, args: &[&str]) -> (i32, String, String) {
        self.audit(&["account.toml"], as_of, args)
    }

    /// `regcheck audit PATHS --as-of AS_OF` with the test policies only, in the fixture folder.
    fn audit(&self, paths: &[&str], as_of: &str, args: &[&str]) -> (i32, String, String) {
        let output = Command::new(env!("CARGO_BIN_EXE_regcheck"))
            .current_dir(&self.root)
            .env("NO_COLOR", "1")
            .arg("audit")
            .args(paths)
            .args([
                "--as-of",
                as_of,
                "--no-default-policies",
                "--policies",
                "policies",
            ])
            .args(args)
            .output()
            .unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

/// The `status` of every finding in a JSON report, in report order.
fn finding_statuses(json: &str) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_str(json).expect("the JSON report parses");
    report["accounts"]
        .as_array()
        .expect("accounts is an array")
        .iter()
        .flat_map(|account| account["findings"].as_array().expect("findings is an array"))
        .map(|finding| finding["status"].as_str().unwrap_or_default().to_owned())
        .collect()
}

const LEVELS: [&str; 4] = ["critical", "high", "medium", "low"];

#[test]
fn fail_on_threshold_against_each_failing_severity() {
    let fixture = Fixture::new();
    for (rank, failing) in LEVELS.iter().enumerate() {
        // Keep only one failing rule: skip the other three.
        let skips: Vec<String> = LEVELS
            .iter()
            .filter(|l| *l != failing)
            .map(|l| format!("T-{}", l.to_uppercase()))
            .collect();
        for (threshold_rank, threshold) in LEVELS.iter().chain(["none"].iter()).enumerate() {
            let mut args = vec!["--fail-on", threshold, "--format", "json"];
            for skip in &skips {
                args.extend(["--skip-rule", skip.as_str()]);
            }
            let (code, _, stderr) = fixture.run(&args);
            // LEVELS is ordered from most to least severe: a finding fails the gate when it is at
            // or above the threshold; `none` (index 4) never fails.
            let expected = if *threshold != "none" && rank <= threshold_rank {
                1
            } else {
                0
            };
            assert_eq!(
                code, expected,
                "failing {failing}, --fail-on {threshold}: {stderr}"
            );
        }
    }
}

fn config(fixture: &Fixture, waivers: &str) {
    std::fs::write(fixture.root.join("regcheck.toml"), waivers).unwrap();
}

#[test]
fn waivers_accept_findings_until_they_expire() {
    let fixture = Fixture::new();
    config(
        &fixture,
        "fail_on = \"low\"\n[[waivers]]\nrule = \"T-*\"\nsubject = \"account:acc-1\"\nreason = \"accepted for the test\"\nexpires = 2026-11-26\nowner = \"qa\"\n",
    );
    let (code, stdout, stderr) = fixture.run(&["--format", "json"]);
    assert_eq!(code, 0, "all four waived on their last day: {stderr}");
    assert_eq!(finding_statuses(&stdout), ["waived"; 4], "{stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let waiver = &report["accounts"][0]["findings"][0]["waiver"];
    assert_eq!(waiver["reason"], "accepted for the test");
    assert_eq!(waiver["expires"], "2026-11-26");
    assert_eq!(waiver["expired"], false);
    assert_eq!(waiver["declared_at"], "regcheck.toml:2:1");

    // A person sees them too: marked, with their waiver, and counted.
    let (code, stdout, _) = fixture.run(&[]);
    assert_eq!(code, 0);
    assert!(stdout.contains("4 waived (not failing the gate"), "{stdout}");
    assert!(
        stdout.contains("T-CRITICAL [critical] account:acc-1, until 2026-11-26\n      accepted for the test (regcheck.toml:2:1)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("passed: 0 failing findings (0 critical, 0 high, 0 medium, 0 low); 4 waived;"),
        "{stdout}"
    );

    let (code, stdout, _) = fixture.run_at("2026-11-27", &["--format", "markdown"]);
    assert_eq!(code, 1, "the day after expiry the findings fail again");
    assert!(stdout.contains("waiver expired 2026-11-26"), "{stdout}");
    let (code, stdout, _) = fixture.run_at("2026-11-27", &[]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("its waiver expired on 2026-11-26 (regcheck.toml:2:1"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "4 failing findings (1 critical, 1 high, 1 medium, 1 low), 4 of them with an expired waiver;"
        ),
        "{stdout}"
    );
    let (_, stdout, _) = fixture.run_at("2026-11-27", &["--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["accounts"][0]["findings"][0]["waiver"]["expired"], true);
    assert_eq!(report["totals"]["findings"]["expired_waiver"], 4);
}

#[test]
fn a_waiver_for_one_rule_leaves_the_others_failing_and_unused_waivers_warn() {
    let fixture = Fixture::new();
    config(
        &fixture,
        "[[waivers]]\nrule = \"T-LOW\"\nreason = \"r\"\nexpires = 2027-01-01\n[[waivers]]\nrule = \"T-HIGH\"\nsubject = \"account:other\"\nreason = \"r\"\nexpires = 2027-01-01\n",
    );
    let (code, _, stderr) = fixture.run(&[
        "--fail-on",
        "low",
        "--skip-rule",
        "T-CRITICAL",
        "--skip-rule",
        "T-MEDIUM",
        "--skip-rule",
        "T-HIGH",
    ]);
    assert_eq!(code, 0, "only T-LOW runs and it is waived: {stderr}");
    let (_, stdout, _) = fixture.run(&["--fail-on", "low", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["unused_waivers"],
        serde_json::json!([{"rule": "T-HIGH", "subject": "account:other", "account": null, "reason": "r", "expires": "2027-01-01", "owner": null, "declared_at": "regcheck.toml:5:1"}])
    );
    assert!(
        stderr.contains(
            "warning: waiver at regcheck.toml:5:1 (rule `T-HIGH`, subject `account:other`) matched no finding"
        ),
        "{stderr}"
    );
    let (code, _, _) = fixture.run(&["--fail-on", "low"]);
    assert_eq!(code, 1, "the unwaived rules still fail");
}

#[test]
fn baselined_findings_pass_and_new_ones_fail() {
    let fixture = Fixture::new();
    let (code, _, _) = fixture.run(&["--skip-rule", "T-CRITICAL", "--write-baseline", "baseline.json"]);
    assert_eq!(code, 1, "writing a baseline does not change the verdict");
    let baseline = std::fs::read_to_string(fixture.root.join("baseline.json")).unwrap();
    assert_eq!(baseline.matches("\"fingerprint\"").count(), 3, "{baseline}");

    let (code, stdout, _) = fixture.run(&[
        "--skip-rule",
        "T-CRITICAL",
        "--baseline",
        "baseline.json",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "every failure is baselined");
    assert_eq!(finding_statuses(&stdout), ["baselined"; 3]);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["baseline"], "baseline.json");
    let (_, stdout, _) = fixture.run(&["--skip-rule", "T-CRITICAL", "--baseline", "baseline.json"]);
    assert!(
        stdout.contains("3 baselined findings not shown: known in baseline.json, not failing the gate"),
        "{stdout}"
    );
    assert!(
        stdout.contains("passed: 0 failing findings (0 critical, 0 high, 0 medium, 0 low); 3 baselined;"),
        "{stdout}"
    );

    let (code, stdout, _) = fixture.run(&["--baseline", "baseline.json", "--format", "json"]);
    assert_eq!(code, 1, "T-CRITICAL is new");
    assert_eq!(
        finding_statuses(&stdout),
        ["fail", "baselined", "baselined", "baselined"]
    );
}

#[test]
fn an_invalid_file_beats_findings_and_waivers() {
    let fixture = Fixture::new();
    std::fs::write(
        fixture.root.join("broken.toml"),
        "schema_version = 1\n[account]\nid = 3\n",
    )
    .unwrap();
    let (code, stdout, _) = fixture.audit(
        &["account.toml", "broken.toml"],
        "2026-11-26",
        &["--fail-on", "none", "--format", "json"],
    );
    assert_eq!(code, 2);
    assert!(
        stdout.contains("\"status\": \"invalid\""),
        "the report still covers both files: {stdout}"
    );
    assert!(stdout.contains("\"file\": \"account.toml\""));
}

#[test]
fn a_directory_audit_reports_every_file_and_one_bad_file_gives_exit_2() {
    let fixture = Fixture::new();
    let accounts = fixture.root.join("accounts");
    std::fs::create_dir_all(accounts.join("team-a")).unwrap();
    std::fs::create_dir_all(accounts.join(".git")).unwrap();
    std::fs::write(accounts.join("team-a/prod.toml"), ACCOUNT).unwrap();
    std::fs::write(accounts.join("dev.toml"), ACCOUNT.replace("acc-1", "acc-2")).unwrap();
    std::fs::write(accounts.join(".git/config.toml"), "not = [an account").unwrap();
    std::fs::write(accounts.join("regcheck.toml"), "fail_on = 'low'").unwrap();
    let (code, junit, stderr) = fixture.audit(&["accounts"], "2026-11-26", &["--format", "junit"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        junit.matches("<testsuite ").count(),
        2,
        "one suite per account file: {junit}"
    );
    assert!(
        junit.contains("name=\"accounts/dev.toml\"") && junit.contains("name=\"accounts/team-a/prod.toml\"")
    );

    std::fs::write(accounts.join("zz-broken.toml"), "schema_version = 2\n").unwrap();
    let (code, junit, _) = fixture.audit(&["accounts"], "2026-11-26", &["--format", "junit"]);
    assert_eq!(code, 2);
    assert_eq!(
        junit.matches("<testsuite ").count(),
        3,
        "the valid files are still reported: {junit}"
    );
}

#[test]
fn report_files_are_written_whole_or_not_at_all() {
    let fixture = Fixture::new();
    let (code, _, stderr) = fixture.run(&[
        "--report",
        "sarif=out/results.sarif",
        "--report",
        "junit=junit.xml",
    ]);
    assert_eq!(code, 2, "a report that cannot be written is an error");
    assert!(
        stderr.contains("cannot write report out/results.sarif"),
        "{stderr}"
    );
    assert!(!fixture.root.join("out/results.sarif").exists());
    let leftovers: Vec<_> = std::fs::read_dir(&fixture.root)
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files are left behind");

    std::fs::write(
        fixture.root.join("results.sarif"),
        "old content that is longer than nothing at all",
    )
    .unwrap();
    let (code, _, _) = fixture.run(&["--report", "sarif=results.sarif", "--report", "junit=junit.xml"]);
    assert_eq!(code, 1);
    let sarif = std::fs::read_to_string(fixture.root.join("results.sarif")).unwrap();
    assert!(
        sarif.starts_with('{') && sarif.trim_end().ends_with('}'),
        "replaced whole"
    );
    assert!(
        std::fs::read_to_string(fixture.root.join("junit.xml"))
            .unwrap()
            .starts_with("<?xml")
    );
}

#[test]
fn same_input_same_bytes() {
    let fixture = Fixture::new();
    for format in [
        "human", "concise", "json", "sarif", "junit", "markdown", "github", "html",
    ] {
        let first = fixture.run(&["--format", format]);
        let second = fixture.run(&["--format", format]);
        assert_eq!(first, second, "{format} output is deterministic");
    }
}

/// `(file, status)` of every finding in a JSON report.
fn findings_by_file(json: &str) -> Vec<(String, String)> {
    let report: serde_json::Value = serde_json::from_str(json).expect("the JSON report parses");
    let mut found: Vec<(String, String)> = report["accounts"]
        .as_array()
        .expect("accounts is an array")
        .iter()
        .flat_map(|account| account["findings"].as_array().expect("findings is an array"))
        .map(|finding| {
            (
                finding["file"].as_str().unwrap_or_default().to_owned(),
                finding["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

/// Two accounts with the same failing subject (`registry:us-south`), and a rule that fails it.
fn two_accounts() -> Fixture {
    let fixture = Fixture::new();
    std::fs::write(fixture.root.join("other.toml"), ACCOUNT.replace("acc-1", "acc-2")).unwrap();
    std::fs::write(
        fixture.root.join("policies/T-SAME.toml"),
        "id = \"T-SAME\"\ntitle = \"same subject in every account\"\nseverity = \"high\"\nresponsibility = \"TEST\"\nfor_each = \"$\"\nassert = \"false\"\nsubject = \"registry:us-south\"\nmessage = \"fails\"\n",
    )
    .unwrap();
    fixture
}

const BOTH: [&str; 2] = ["account.toml", "other.toml"];

#[test]
fn one_accounts_baseline_does_not_hide_another_accounts_identical_finding() {
    let fixture = two_accounts();
    let (code, _, _) = fixture.audit(
        &["account.toml"],
        "2026-11-26",
        &["--rule", "T-SAME", "--write-baseline", "baseline.json"],
    );
    assert_eq!(code, 1);
    let baseline = std::fs::read_to_string(fixture.root.join("baseline.json")).unwrap();
    assert!(baseline.contains("\"version\": 2"), "{baseline}");
    assert!(baseline.contains("\"account\": \"acc-1\""), "{baseline}");

    let (code, stdout, _) = fixture.audit(
        &BOTH,
        "2026-11-26",
        &[
            "--rule",
            "T-SAME",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "acc-2's identical finding is new");
    assert_eq!(
        findings_by_file(&stdout),
        [
            ("account.toml".to_owned(), "baselined".to_owned()),
            ("other.toml".to_owned(), "fail".to_owned())
        ]
    );
}

#[test]
fn a_version_one_baseline_is_read_with_a_warning_and_matched_by_rule_and_subject() {
    let fixture = two_accounts();
    std::fs::write(
        fixture.root.join("old-baseline.json"),
        r#"{"version": 1, "findings": [{"rule_id": "T-SAME", "subject": "registry:us-south", "fingerprint": "0a1b2c3d4e5f6a7b"}]}"#,
    )
    .unwrap();
    let (code, stdout, stderr) = fixture.audit(
        &BOTH,
        "2026-11-26",
        &[
            "--rule",
            "T-SAME",
            "--baseline",
            "old-baseline.json",
            "--format",
            "json",
        ],
    );
    assert!(
        stderr.contains("warning: old-baseline.json is a version-1 baseline")
            && stderr.contains("matched by rule id and subject in every account")
            && stderr.contains("--write-baseline"),
        "{stderr}"
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        findings_by_file(&stdout),
        [
            ("account.toml".to_owned(), "baselined".to_owned()),
            ("other.toml".to_owned(), "baselined".to_owned())
        ]
    );
}

#[test]
fn a_waiver_for_one_account_does_not_hide_another_accounts_identical_finding() {
    let fixture = two_accounts();
    config(
        &fixture,
        "[[waivers]]\nrule = \"T-SAME\"\nsubject = \"registry:us-south\"\naccount = \"acc-1\"\nreason = \"accepted in acc-1 only\"\nexpires = 2027-01-31\n",
    );
    let (code, stdout, stderr) =
        fixture.audit(&BOTH, "2026-11-26", &["--rule", "T-SAME", "--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        findings_by_file(&stdout),
        [
            ("account.toml".to_owned(), "waived".to_owned()),
            ("other.toml".to_owned(), "fail".to_owned())
        ]
    );

    config(
        &fixture,
        "[[waivers]]\nrule = \"T-SAME\"\naccount = \"acc-*\"\nreason = \"accepted everywhere\"\nexpires = 2027-01-31\n",
    );
    let (code, _, stderr) = fixture.audit(&BOTH, "2026-11-26", &["--rule", "T-SAME"]);
    assert_eq!(code, 0, "a glob names both accounts: {stderr}");

    config(
        &fixture,
        "[[waivers]]\nrule = \"T-SAME\"\naccount = \"acc-9\"\nreason = \"r\"\nexpires = 2027-01-31\n",
    );
    let (code, _, stderr) = fixture.audit(&BOTH, "2026-11-26", &["--rule", "T-SAME"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("(rule `T-SAME`, account `acc-9`) matched no finding"),
        "{stderr}"
    );
}
