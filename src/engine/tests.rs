use std::sync::Arc;

use super::*;
use crate::account;
use crate::diagnostic::SourceText;
use crate::policy::{Policy, load_sources};

const ACCOUNT: &str = r#"schema_version = 1
[account]
id = "acc-1"
captured_at = 2026-11-25T00:00:00Z

[[registries]]
region = "us-south"
plan = "standard"

[[registries]]
region = "eu-de"
"#;

fn policy(checks: &str) -> Arc<Policy> {
    let text = format!(
        "id = \"T-001\"\ntitle = \"Test rule\"\nseverity = \"high\"\nresponsibility = \"R1\"\n{checks}"
    );
    let mut policies = load_sources(vec![SourceText::new("t.toml", text)], false).expect("test policy loads");
    policies.remove(0)
}

fn run(checks: &str) -> RuleOutcome {
    let loaded = account::load_str("account.toml", ACCOUNT).expect("account loads");
    let settings = Settings::new("2026-11-26T00:00:00Z".parse().unwrap());
    evaluate(&loaded, &[policy(checks)], &settings).remove(0)
}

use crate::findings::RuleOutcome;

#[test]
fn reading_an_absent_field_is_a_rule_error_naming_the_policy_position() {
    let outcome = run(
        "for_each = \"$.registries[*]\"\nassert = \"item.plan == 'standard'\"\nsubject = \"registry:{item.region}\"\nmessage = \"m\"\n",
    );
    assert_eq!(outcome.status, RuleStatus::Error);
    let error = outcome.error.unwrap();
    assert_eq!(error.policy_position, "t.toml:6:11");
    assert_eq!(error.path.unwrap().to_string(), "registries[1]");
    assert!(error.message.contains("plan"), "{}", error.message);
    assert!(
        outcome.findings.is_empty(),
        "an erroring rule reports no findings"
    );
}

#[test]
fn a_non_bool_assert_is_an_error_not_a_pass() {
    let outcome =
        run("for_each = \"$.registries[*]\"\nassert = \"item.region\"\nsubject = \"s\"\nmessage = \"m\"\n");
    assert_eq!(outcome.status, RuleStatus::Error);
    assert!(outcome.error.unwrap().message.contains("bool"));
}

#[test]
fn when_filters_subjects_and_none_left_is_not_applicable() {
    let outcome = run(
        "for_each = \"$.registries[*]\"\nwhen = \"item.region == 'jp-tok'\"\nassert = \"false\"\nsubject = \"s\"\nmessage = \"m\"\n",
    );
    assert_eq!(outcome.status, RuleStatus::NotApplicable);
    assert!(outcome.findings.is_empty());
}

#[test]
fn failing_findings_locate_the_named_key_and_fall_back_to_the_parent() {
    let outcome = run(
        "for_each = \"$.registries[*]\"\nassert = \"false\"\nsubject = \"registry:{item.region}\"\nmessage = \"{item.region} is bad\"\nlocate = \"plan\"\n",
    );
    assert_eq!(outcome.status, RuleStatus::Fail);
    let found: Vec<(&str, &str, String, usize, usize)> = outcome
        .findings
        .iter()
        .map(|f| {
            (
                f.subject.as_str(),
                f.message.as_str(),
                f.path.to_string(),
                f.location.line,
                f.location.column,
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "registry:us-south",
                "us-south is bad",
                "registries[0].plan".to_owned(),
                8,
                1
            ),
            // eu-de has no `plan`: the finding points at its table header.
            (
                "registry:eu-de",
                "eu-de is bad",
                "registries[1].plan".to_owned(),
                10,
                1
            ),
        ]
    );
}

#[test]
fn passing_subjects_are_recorded_and_the_rule_fails_on_one_failure() {
    let outcome = run(
        "for_each = \"$.registries[*]\"\nassert = \"item.region != 'eu-de'\"\nsubject = \"registry:{item.region}\"\nmessage = \"m\"\n",
    );
    let statuses: Vec<(FindingStatus, &str)> = outcome
        .findings
        .iter()
        .map(|f| (f.status, f.message.as_str()))
        .collect();
    // A pass has no message of its own: reports show the rule's title for it.
    assert_eq!(statuses, [(FindingStatus::Pass, ""), (FindingStatus::Fail, "m")]);
    assert_eq!(
        outcome.findings[0].path.to_string(),
        "registries[0]",
        "a pass points at its subject"
    );
    assert_eq!(outcome.status, RuleStatus::Fail);
}

#[test]
fn parameters_and_as_of_are_bound() {
    let outcome = run(
        "for_each = \"$\"\nassert = \"age_days(item.account.captured_at, as_of) <= params.limit\"\nsubject = \"account:{item.account.id}\"\nmessage = \"m\"\n[params]\nlimit = { default = 0, doc = \"d\" }\n",
    );
    assert_eq!(
        outcome.status,
        RuleStatus::Fail,
        "captured one day before as_of, limit 0"
    );
    let loaded = account::load_str("account.toml", ACCOUNT).unwrap();
    let mut settings = Settings::new("2026-11-26T00:00:00Z".parse().unwrap());
    let policy = policy(
        "for_each = \"$\"\nassert = \"age_days(item.account.captured_at, as_of) <= params.limit\"\nsubject = \"s\"\nmessage = \"m\"\n[params]\nlimit = { default = 0, doc = \"d\" }\n",
    );
    settings
        .params
        .insert("T-001".into(), [("limit".to_owned(), Data::Int(1))].into());
    assert_eq!(
        evaluate(&loaded, &[policy], &settings)[0].status,
        RuleStatus::Pass
    );
}

#[test]
fn helpers_and_string_extensions_are_callable_from_policies() {
    let outcome = run(
        "for_each = \"$.registries[*]\"\nassert = \"image_ref(region_domain(item.region) + '/ns1/app:1').region == item.region && ['a', 'b'].join('-') == 'a-b' && subject_kind('ServiceId-1') == 'service_id'\"\nsubject = \"s{index}\"\nmessage = \"m\"\n",
    );
    assert_eq!(outcome.status, RuleStatus::Pass, "{:?}", outcome.error);
}

/// Unit tests split lists longer than two into jobs (`plan_jobs`): findings still come back in
/// document order, and the first error in that order is the rule's, whichever job ran first.
#[test]
fn split_jobs_keep_document_order_and_the_first_error() {
    let mut text = ACCOUNT.to_owned();
    for region in ["ca-tor", "eu-gb", "jp-tok", "au-syd", "br-sao"] {
        text.push_str(&format!("\n[[registries]]\nregion = \"{region}\"\n"));
    }
    let loaded = account::load_str("account.toml", text).expect("account loads");
    let settings = Settings::new("2026-11-26T00:00:00Z".parse().unwrap());
    let failing = policy(
        "for_each = \"$.registries[*]\"\nassert = \"false\"\nsubject = \"registry:{item.region}\"\nmessage = \"m\"\n",
    );
    let outcome = evaluate(&loaded, &[failing], &settings).remove(0);
    let subjects: Vec<_> = outcome.findings.iter().map(|f| f.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "registry:us-south",
            "registry:eu-de",
            "registry:ca-tor",
            "registry:eu-gb",
            "registry:jp-tok",
            "registry:au-syd",
            "registry:br-sao"
        ]
    );
    // `plan` is set on the first registry only: every later job errors, and the rule reports
    // the error of registries[1], the first in document order.
    let erroring = policy(
        "for_each = \"$.registries[*]\"\nassert = \"item.plan == 'standard'\"\nsubject = \"s\"\nmessage = \"m\"\n",
    );
    let outcome = evaluate(&loaded, &[erroring], &settings).remove(0);
    assert_eq!(outcome.status, RuleStatus::Error);
    assert_eq!(outcome.error.unwrap().path.unwrap().to_string(), "registries[1]");
}

/// Equal string subjects share one judgement only when `when` and `assert` cannot tell them
/// apart: an expression that reads `index` or `parent` is evaluated for every subject.
#[test]
fn equal_strings_are_judged_apart_when_their_position_is_read() {
    let text = "schema_version = 1\n[account]\nid = \"acc-1\"\ncaptured_at = 2026-11-25T00:00:00Z\n\
        [[registries]]\nregion = \"us-south\"\nplan = \"standard\"\n\
        [[registries]]\nregion = \"eu-de\"\nplan = \"standard\"\n\
        [[registries]]\nregion = \"jp-tok\"\nplan = \"standard\"\n";
    let loaded = account::load_str("account.toml", text).expect("account loads");
    let settings = Settings::new("2026-11-26T00:00:00Z".parse().unwrap());
    let failing_paths = |checks: &str| -> Vec<String> {
        evaluate(&loaded, &[policy(checks)], &settings)
            .remove(0)
            .findings
            .iter()
            .filter(|f| f.status == FindingStatus::Fail)
            .map(|f| f.path.to_string())
            .collect()
    };
    let by_parent = failing_paths(
        "for_each = \"$.registries[*].plan\"\nassert = \"parent.region != 'eu-de'\"\nsubject = \"s\"\nmessage = \"m\"\n",
    );
    assert_eq!(by_parent, ["registries[1].plan"]);
    let by_item = failing_paths(
        "for_each = \"$.registries[*].plan\"\nassert = \"item != 'standard'\"\nsubject = \"s\"\nmessage = \"m\"\n",
    );
    assert_eq!(
        by_item,
        ["registries[0].plan", "registries[1].plan", "registries[2].plan"]
    );
}
