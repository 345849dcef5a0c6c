use std::collections::BTreeMap;

use super::snapshot::{Kind, RuleInfo, from_json_report};
use super::*;
use crate::account;
use crate::audit::{self, AuditReport, Judgement};
use crate::engine::Settings;
use crate::policy;
use crate::report::human::Style;

const EXAMPLE: &str = include_str!("../../examples/account.toml");

fn finding(rule: &str, subject: &str, state: State, severity: Severity, account: &str) -> SnapshotFinding {
    SnapshotFinding {
        rule_id: rule.to_owned(),
        severity,
        state,
        subject: subject.to_owned(),
        message: format!("{rule} on {subject}"),
        line: 1,
        column: 1,
        fingerprint: crate::findings::fingerprint(account, rule, subject),
    }
}

fn account(id: &str, file: &str, findings: Vec<SnapshotFinding>) -> SnapshotAccount {
    SnapshotAccount {
        id: id.to_owned(),
        name: None,
        file: file.to_owned(),
        key: String::new(),
        ran: ["R-1", "R-2", "R-3"].iter().map(|r| (*r).to_owned()).collect(),
        findings,
    }
}

fn snapshot(single_file: bool, mut accounts: Vec<SnapshotAccount>) -> Snapshot {
    for account in &mut accounts {
        account.key = account.file.rsplit('/').next().unwrap_or_default().to_owned();
    }
    let rules: BTreeMap<String, RuleInfo> = ["R-1", "R-2", "R-3"]
        .iter()
        .map(|id| {
            (
                (*id).to_owned(),
                RuleInfo {
                    title: String::new(),
                    severity: Severity::High,
                    responsibility: "R1".to_owned(),
                },
            )
        })
        .collect();
    Snapshot {
        source: "side".to_owned(),
        kind: Kind::Accounts,
        as_of: "2026-11-26T00:00:00Z".to_owned(),
        fail_on: None,
        single_file,
        accounts,
        rules,
        errors: Vec::new(),
    }
}

fn low() -> FailOn {
    FailOn(Some(Severity::Low))
}

fn classes(diff: &Diff) -> Vec<(Class, &str)> {
    diff.changes
        .iter()
        .map(|c| (c.class, c.subject.as_str()))
        .collect()
}

#[test]
fn every_pair_of_states_has_its_class() {
    use State::*;
    let cases = [
        (None, Some(Fail), Class::New),
        (None, Some(Expired), Class::New),
        (None, Some(Waived), Class::WaivedSince),
        (Some(Fail), None, Class::Fixed),
        (Some(Waived), None, Class::Fixed),
        (Some(Fail), Some(Fail), Class::StillFailing),
        (Some(Fail), Some(Expired), Class::StillFailing),
        (Some(Fail), Some(Baselined), Class::WaivedSince),
        (Some(Waived), Some(Expired), Class::FailingAgain),
        (Some(Baselined), Some(Fail), Class::FailingAgain),
        (Some(Waived), Some(Baselined), Class::StillAccepted),
    ];
    for (old, new, class) in cases {
        assert_eq!(Class::of(old, new), Some(class), "{old:?} -> {new:?}");
    }
    assert_eq!(Class::of(None, None), None);
}

#[test]
fn findings_match_by_fingerprint_not_by_line() {
    let mut moved = finding("R-1", "registry:a", State::Fail, Severity::High, "acct");
    moved.line = 99;
    let old = snapshot(
        true,
        vec![account(
            "acct",
            "old/a.toml",
            vec![
                finding("R-1", "registry:a", State::Fail, Severity::High, "acct"),
                finding("R-2", "registry:gone", State::Fail, Severity::Medium, "acct"),
                finding("R-3", "registry:waived", State::Waived, Severity::Low, "acct"),
            ],
        )],
    );
    let new = snapshot(
        true,
        vec![account(
            "acct",
            "new/b.toml",
            vec![
                moved,
                finding("R-2", "registry:fresh", State::Fail, Severity::Low, "acct"),
                finding("R-3", "registry:waived", State::Fail, Severity::Low, "acct"),
            ],
        )],
    );
    let diff = compare(old, new, low());
    assert_eq!(
        classes(&diff),
        vec![
            (Class::New, "registry:fresh"),
            (Class::FailingAgain, "registry:waived"),
            (Class::Fixed, "registry:gone"),
            (Class::StillFailing, "registry:a"),
        ]
    );
    assert_eq!(diff.accounts[0].pairing, Pairing::AccountId);
    assert_eq!(diff.exit_code(), EXIT_FINDINGS);
    // A gate above low lets the new and failing-again low findings through.
    let diff = compare(diff.old, diff.new, FailOn(Some(Severity::Medium)));
    assert_eq!(diff.exit_code(), EXIT_OK);
}

#[test]
fn folders_pair_by_account_id_then_by_file_name() {
    let old = snapshot(
        false,
        vec![
            account("shop", "old/shop.toml", vec![]),
            account(
                "data-1",
                "old/data.toml",
                vec![
                    finding("R-1", "account:data-1", State::Fail, Severity::High, "data-1"),
                    finding("R-2", "namespace:eu-de/x", State::Fail, Severity::High, "data-1"),
                ],
            ),
            account(
                "legacy",
                "old/legacy.toml",
                vec![finding("R-1", "x", State::Fail, Severity::High, "legacy")],
            ),
        ],
    );
    let new = snapshot(
        false,
        vec![
            account("shop", "new/production.toml", vec![]),
            account(
                "data-2",
                "new/data.toml",
                vec![
                    finding("R-1", "account:data-2", State::Fail, Severity::High, "data-2"),
                    finding("R-2", "namespace:eu-de/x", State::Fail, Severity::High, "data-2"),
                ],
            ),
            account(
                "edge",
                "new/edge.toml",
                vec![finding("R-1", "y", State::Fail, Severity::Low, "edge")],
            ),
        ],
    );
    let diff = compare(old, new, low());
    let pairings: Vec<(Pairing, &str)> = diff
        .accounts
        .iter()
        .map(|a| (a.pairing, a.account_id.as_str()))
        .collect();
    assert_eq!(
        pairings,
        vec![
            (Pairing::AccountId, "shop"),
            (Pairing::FileName, "data-2"),
            (Pairing::Added, "edge"),
            (Pairing::Removed, "legacy"),
        ]
    );
    // The data account's findings are the same across the id change, `account:ID` included;
    // the added account's are new; the removed account's are not compared, not fixed.
    assert_eq!(
        classes(&diff),
        vec![
            (Class::New, "y"),
            (Class::StillFailing, "account:data-2"),
            (Class::StillFailing, "namespace:eu-de/x"),
        ]
    );
    assert_eq!(diff.not_compared.len(), 1);
    assert_eq!(diff.not_compared[0].findings, 1);
}

#[test]
fn two_single_files_are_compared_whatever_their_ids() {
    let old = snapshot(
        true,
        vec![account(
            "a",
            "prod.toml",
            vec![finding("R-1", "s", State::Fail, Severity::High, "a")],
        )],
    );
    let new = snapshot(
        true,
        vec![account(
            "b",
            "staging.toml",
            vec![finding("R-1", "s", State::Fail, Severity::High, "b")],
        )],
    );
    let diff = compare(old, new, low());
    assert_eq!(diff.accounts[0].pairing, Pairing::OnlyAccount);
    assert_eq!(classes(&diff), vec![(Class::StillFailing, "s")]);
    // Two folders with one account each are not paired across ids and names.
    let old = snapshot(false, vec![account("a", "x/prod.toml", vec![])]);
    let new = snapshot(false, vec![account("b", "y/staging.toml", vec![])]);
    let pairings: Vec<Pairing> = compare(old, new, low())
        .accounts
        .iter()
        .map(|a| a.pairing)
        .collect();
    assert_eq!(pairings, vec![Pairing::Added, Pairing::Removed]);
}

#[test]
fn a_rule_that_ran_on_one_side_only_is_not_compared_or_fails_closed() {
    let mut old_account = account(
        "a",
        "a.toml",
        vec![finding("R-1", "old-only", State::Fail, Severity::High, "a")],
    );
    old_account.ran.remove("R-2");
    let mut new_account = account(
        "a",
        "a.toml",
        vec![finding("R-2", "new-rule", State::Fail, Severity::High, "a")],
    );
    new_account.ran.remove("R-1");
    let diff = compare(
        snapshot(true, vec![old_account]),
        snapshot(true, vec![new_account]),
        low(),
    );
    assert_eq!(classes(&diff), vec![(Class::New, "new-rule")], "not `fixed`");
    assert_eq!(diff.not_compared[0].rule_id.as_deref(), Some("R-1"));
    assert!(diff.notes[0].message.contains("R-2 did not run on the OLD side"));
}

#[test]
fn errors_on_either_side_give_exit_2() {
    let mut new = snapshot(true, vec![account("a", "a.toml", vec![])]);
    new.errors.push("rule R-1 could not be evaluated".to_owned());
    let diff = compare(snapshot(true, vec![account("a", "a.toml", vec![])]), new, low());
    assert_eq!(diff.exit_code(), EXIT_ERROR);
}

fn example_report() -> AuditReport {
    let account = account::load_str("examples/account.toml", EXAMPLE.to_owned()).expect("loads");
    audit::run(
        vec![account],
        Vec::new(),
        policy::builtin().expect("policies"),
        &Settings::new("2026-11-26T00:00:00Z".parse().expect("time")),
        low(),
        &Judgement::default(),
    )
}

#[test]
fn the_json_report_this_regcheck_writes_reads_back_as_the_audit() {
    // Guards the reader against a change of the writer: a renamed or moved field fails here.
    let report = example_report();
    let mut json = Vec::new();
    crate::report::json::write(&report, &mut json).expect("renders");
    let text = String::from_utf8(json).expect("UTF-8");
    let read = from_json_report("report.json", &text).expect("reads");
    let audited = Snapshot::from_audit(&report, std::path::Path::new("examples/account.toml"));
    assert_eq!(read.accounts.len(), 1);
    let (mut a, mut b) = (read.accounts[0].clone(), audited.accounts[0].clone());
    a.key.clear();
    b.key.clear();
    // The report lists an account's findings most severe first, the audit in rule order; the
    // diff matches them by fingerprint.
    a.findings.sort_by(|x, y| x.fingerprint.cmp(&y.fingerprint));
    b.findings.sort_by(|x, y| x.fingerprint.cmp(&y.fingerprint));
    assert_eq!(a, b);
    assert_eq!(read.rules, audited.rules);
    assert_eq!(read.as_of, audited.as_of);
    assert_eq!(read.fail_on, audited.fail_on);
    assert!(read.errors.is_empty());
    assert!(!a.findings.is_empty());
}

/// Version 2 nests results and findings in their account: read with their states, passes
/// dropped, and an account that was not audited or a rule that errored recorded as errors.
#[test]
fn a_version_two_report_is_read_account_by_account() {
    let finding = |status: &str, fingerprint: &str, waiver: &str| {
        format!(
            r#"{{"rule_id": "R-1", "severity": "high", "status": "{status}", "subject": "s-{fingerprint}", "message": "m", "file": "a.toml", "line": 3, "column": 1, "fingerprint": "{fingerprint}", "waiver": {waiver}}}"#
        )
    };
    let expired = r#"{"reason": "r", "expires": "2026-01-01", "owner": null, "expired": true, "declared_at": "regcheck.toml:1:1"}"#;
    let findings = [
        finding("fail", "f1", "null"),
        finding("fail", "f2", expired),
        finding("waived", "f3", &expired.replace("true", "false")),
        finding("baselined", "f4", "null"),
        finding("pass", "f5", "null"),
    ]
    .join(", ");
    let text = format!(
        r#"{{"version": 2, "as_of": "2026-11-26T00:00:00Z", "fail_on": "high", "baseline": null,
        "rules": [{{"id": "R-1", "title": "t", "severity": "high", "responsibility": "R1"}}, {{"id": "R-2", "title": "t", "severity": "low", "responsibility": "R1"}}],
        "accounts": [
          {{"file": "a.toml", "account_id": "acc-a", "account_name": null, "status": "loaded", "errors": [],
            "results": [{{"rule_id": "R-1", "status": "fail", "passes": 1, "failing": 2, "error": null}},
                        {{"rule_id": "R-2", "status": "error", "passes": 0, "failing": 0, "error": "boom"}}],
            "findings": [{findings}], "totals": {{}}}},
          {{"file": "b.toml", "account_id": null, "account_name": null, "status": "invalid",
            "errors": [{{"message": "m", "line": 1, "column": 1, "help": null}}], "results": [], "findings": [], "totals": {{}}}}
        ],
        "unused_waivers": [], "totals": {{}}, "exit_code": 2}}"#
    );
    let read = from_json_report("r.json", &text).expect("reads");
    assert_eq!(read.accounts.len(), 1);
    let account = &read.accounts[0];
    assert_eq!(account.id, "acc-a");
    assert_eq!(account.ran.iter().collect::<Vec<_>>(), ["R-1"]);
    let states: Vec<(&str, State)> = account
        .findings
        .iter()
        .map(|f| (f.fingerprint.as_str(), f.state))
        .collect();
    assert_eq!(
        states,
        [
            ("f1", State::Fail),
            ("f2", State::Expired),
            ("f3", State::Waived),
            ("f4", State::Baselined)
        ]
    );
    assert_eq!(read.errors.len(), 2, "{:?}", read.errors);
    assert!(
        read.errors
            .iter()
            .any(|e| e.contains("rule R-2 could not be evaluated on a.toml"))
    );
    assert!(
        read.errors
            .iter()
            .any(|e| e.starts_with("b.toml was not audited"))
    );
}

#[test]
fn json_reports_of_unknown_versions_or_other_tools_are_refused() {
    let valid =
        r#"{"version": 1, "as_of": "2026-11-26T00:00:00Z", "accounts": [], "rules": [], "findings": []}"#;
    assert!(from_json_report("r.json", valid).is_ok());
    let unknown = format!(
        r#"{{"version": {}, "as_of": "x", "accounts": [], "rules": [], "findings": []}}"#,
        crate::report::json::REPORT_VERSION + 1
    );
    for (text, expected) in [
        (unknown.as_str(), "unsupported JSON report version"),
        (&valid.replace("1,", "0,"), "unsupported JSON report version 0"),
        (
            &valid.replace("1,", "\"1\","),
            "unsupported JSON report version \"1\"",
        ),
        (&valid.replace("\"version\": 1,", ""), "it has no `version`"),
        (
            &valid.replace(
                "\"version\": 1,",
                "\"version\": 1, \"tool\": {\"name\": \"trivy\"},",
            ),
            "written by `trivy`",
        ),
        (
            &valid.replace("\"findings\": []", "\"findings\": 3"),
            "invalid type",
        ),
        (
            &valid.replace(", \"findings\": []", ""),
            "missing field `findings`",
        ),
        ("[1, 2", "not a valid regcheck JSON report"),
    ] {
        let error = from_json_report("r.json", text).expect_err(text);
        assert!(
            error.problem.message.contains(expected),
            "{text}: {}",
            error.problem.message
        );
    }
}

#[test]
fn a_json_report_recording_errors_makes_the_side_an_error() {
    let text = r#"{"version": 1, "as_of": "t", "fail_on": "high",
        "accounts": [{"file": "a.toml", "account_id": "a", "errors": []},
                     {"file": "b.toml", "account_id": null, "status": "invalid", "errors": [{"message": "x"}]}],
        "rules": [{"id": "R-1", "severity": "high", "responsibility": "R1"}],
        "results": [{"file": "a.toml", "rule_id": "R-1", "status": "error", "error": "boom"}],
        "findings": []}"#;
    let read = from_json_report("r.json", text).expect("reads");
    assert_eq!(read.fail_on, Some(FailOn(Some(Severity::High))));
    assert_eq!(read.errors.len(), 2, "{:?}", read.errors);
    assert!(read.accounts[0].ran.is_empty(), "an errored rule did not run");
}

fn many_changes(count: usize) -> Diff {
    let findings = (0..count)
        .map(|i| {
            let mut f = finding(
                "R-1",
                &format!("image:us.icr.io/ns/app-{i:05}:1.0|x"),
                State::Fail,
                Severity::High,
                "a",
            );
            f.message = "a message with <b>html</b>, `code`, *stars* and | pipes ".repeat(3);
            f
        })
        .collect();
    compare(
        snapshot(true, vec![account("a", "a.toml", vec![])]),
        snapshot(true, vec![account("a", "a.toml", findings)]),
        low(),
    )
}

#[test]
fn markdown_stays_under_the_comment_limit_and_says_what_it_left_out() {
    let diff = many_changes(3_000);
    let mut out = Vec::new();
    render::write_markdown(&diff, &mut out).expect("renders");
    let text = String::from_utf8(out).expect("UTF-8");
    assert!(
        text.encode_utf16().count() <= render::MARKDOWN_LIMIT,
        "{}",
        text.len()
    );
    let rows = text.lines().filter(|l| l.starts_with("| high | R-1 |")).count();
    assert!(rows > 100 && rows < 3_000, "{rows}");
    assert!(
        text.trim_end().ends_with(&format!(
            "_{} more changed findings left out: a comment holds at most 65,536 characters. \
             `regcheck diff --format json` lists every one._",
            3_000 - rows
        )),
        "{}",
        &text[text.len() - 300..]
    );
    // User data cannot break the table or add HTML.
    assert!(!text.contains("<b>"));
    assert!(
        text.lines()
            .filter(|l| l.starts_with("| high | R-1 |"))
            .all(|l| l.matches(" | ").count() == 4)
    );
    // A short list is written whole, with no closing line.
    let mut out = Vec::new();
    render::write_markdown(&many_changes(5), &mut out).expect("renders");
    let text = String::from_utf8(out).expect("UTF-8");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("| high | R-1 |")).count(),
        5
    );
    assert!(!text.contains("left out"));
}

#[test]
fn the_json_output_is_versioned_and_complete() {
    let diff = many_changes(3);
    let mut out = Vec::new();
    render::write_json(&diff, &mut out).expect("renders");
    let value: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    assert_eq!(value["version"], 1);
    assert_eq!(value["exit_code"], 1);
    assert_eq!(value["totals"]["new"], 3);
    assert_eq!(value["totals"]["gate_failures"], 3);
    assert_eq!(value["changes"].as_array().map(Vec::len), Some(3));
    assert_eq!(value["changes"][0]["class"], "new");
    assert_eq!(value["changes"][0]["old"], serde_json::Value::Null);
    assert_eq!(value["changes"][0]["new"]["status"], "fail");
    assert_eq!(value["by_severity"][1]["severity"], "high");
    assert_eq!(value["by_severity"][1]["new"], 3);
}

#[test]
fn the_human_output_is_coloured_only_when_asked() {
    let diff = many_changes(2);
    let render = |color| {
        let mut out = Vec::new();
        render::write_human(&diff, Style { color, width: 100 }, &mut out).expect("renders");
        String::from_utf8(out).expect("UTF-8")
    };
    colored::control::set_override(true);
    let (plain, coloured) = (render(false), render(true));
    colored::control::unset_override();
    assert!(!plain.contains('\u{1b}'));
    assert!(coloured.contains("\u{1b}[31m"), "new findings in red");
    assert!(plain.contains("new failing findings (2)"));
    assert!(plain.trim_end().ends_with("failed: 2 new failing findings at or above low (2 high); 0 fixed, 0 waived since, 0 still failing"), "{plain}");
}
