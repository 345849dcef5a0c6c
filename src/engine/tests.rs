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

/// Evaluates `checks` on `account` with `settings`.
fn run_with(account: &str, checks: &str, settings: &Settings) -> RuleOutcome {
    let loaded = account::load_str("account.toml", account).expect("account loads");
    evaluate(&loaded, &[policy(checks)], settings).remove(0)
}

fn settings() -> Settings {
    Settings::new("2026-11-26T00:00:00Z".parse().unwrap())
}

fn on_account(assert: &str) -> String {
    format!("for_each = \"$\"\nassert = \"{assert}\"\nsubject = \"s\"\nmessage = \"m\"\n")
}

/// Three registries: the first without `plan`, then a standard one and a free one.
const PLANS: &str = r#"schema_version = 1
[account]
id = "acc-1"
captured_at = 2026-11-25T00:00:00Z
[[registries]]
region = "eu-de"
[[registries]]
region = "us-south"
plan = "standard"
[[registries]]
region = "jp-tok"
plan = "free"
"#;

#[test]
fn a_field_missing_from_one_subject_inside_or_is_a_rule_error_not_a_pass() {
    // Standard CEL: `error || true` is true, so eu-de (no plan) would pass.
    let outcome = run(
        "for_each = \"$.registries[*]\"\nassert = \"item.plan == 'standard' || true\"\nsubject = \"registry:{item.region}\"\nmessage = \"m\"\n",
    );
    assert_eq!(outcome.status, RuleStatus::Error);
    let error = outcome.error.unwrap();
    assert!(error.message.contains("plan"), "{}", error.message);
    assert_eq!(error.path.unwrap().to_string(), "registries[1]");
}

#[test]
fn a_missing_field_inside_and_is_a_rule_error_not_false() {
    // Standard CEL: `error && false` is false.
    let outcome = run(
        "for_each = \"$.registries[*]\"\nassert = \"item.plan == 'standard' && false\"\nsubject = \"s\"\nmessage = \"m\"\n",
    );
    assert_eq!(outcome.status, RuleStatus::Error);
}

#[test]
fn exists_and_all_do_not_absorb_an_error_in_an_element() {
    // Standard CEL: the first registry's error is absorbed by the second's `true` (exists) or
    // the third's `false` (all).
    for assert in [
        "account.registries.exists(r, r.plan == 'standard')",
        "!account.registries.all(r, r.plan != 'free')",
        "account.registries.exists_one(r, r.plan == 'free')",
        "size(account.registries.filter(r, r.plan == 'free')) == 1",
    ] {
        let outcome = run_with(PLANS, &on_account(assert), &settings());
        assert_eq!(outcome.status, RuleStatus::Error, "{assert}");
        assert!(outcome.error.unwrap().message.contains("plan"), "{assert}");
    }
}

#[test]
fn guards_still_decide_from_left_to_right() {
    for assert in [
        "account.registries.all(r, !has(r.plan) || r.plan != 'gold')",
        "account.registries.exists(r, has(r.plan) && r.plan == 'free')",
        "true || account.registries[0].plan == 'x'",
        "!(false && account.registries[0].plan == 'x')",
    ] {
        let outcome = run_with(PLANS, &on_account(assert), &settings());
        assert_eq!(outcome.status, RuleStatus::Pass, "{assert}: {:?}", outcome.error);
    }
    let outcome = run_with(
        PLANS,
        &on_account("account.registries[0].region || true"),
        &settings(),
    );
    assert_eq!(
        outcome.status,
        RuleStatus::Error,
        "a non-boolean operand is an error"
    );
}

/// An account with `count` images whose refs are about 40 characters long.
fn many_images(count: usize) -> String {
    let mut account = String::from(
        "schema_version = 1\n[account]\nid = \"acc-1\"\ncaptured_at = 2026-11-25T00:00:00Z\n[[registries]]\nregion = \"us-south\"\n[[namespaces]]\nname = \"shop\"\nregion = \"us-south\"\n",
    );
    for at in 0..count {
        account.push_str(&format!(
            "[[images]]\nref = \"us.icr.io/shop/service-{at:05}:1.0.0-build\"\n"
        ));
    }
    account
}

#[test]
fn a_cubic_expression_over_a_large_list_is_a_rule_error_within_its_budget() {
    let account = many_images(400);
    // 400³ = 64 million steps: many minutes of work without a budget.
    let assert = "account.images.all(a, account.images.all(b, account.images.all(c, !c.ref.startsWith(a.ref + b.ref))))";
    // Without the budget this would pass (after minutes of work), not be an error.
    let outcome = run_with(&account, &on_account(assert), &settings());
    assert_eq!(outcome.status, RuleStatus::Error);
    let error = outcome.error.unwrap();
    assert!(
        error.message.contains("evaluation budget exhausted"),
        "{}",
        error.message
    );
    assert!(
        error.message.contains("evaluation_budget"),
        "says how to raise it"
    );
    assert_eq!(
        error.policy_position, "t.toml:6:11",
        "names the policy and the expression"
    );
}

#[test]
fn building_a_gigabyte_string_is_a_rule_error_before_it_is_built() {
    for assert in [
        // A thousand bytes, a million times.
        "size(lists.range(1000000).map(i, 'abcdefghij'.replace('', 'abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij')).join('')) > 0",
        // Squaring a string's length at each step: 10, 120, 14,640, 214 million.
        "['abcdefghij'].map(a, a.replace('', a)).map(b, b.replace('', b)).map(c, c.replace('', c)).size() > 0",
        // Doubling, thirty times over.
        &format!("['x']{}.size() > 0", ".map(a, a + a)".repeat(30)),
        // A separator between a million elements.
        "size(lists.range(1000000).map(i, '').join('abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij')) > 0",
        "lists.range(1000000).distinct().size() > 0",
    ] {
        // Each is true once built: only a budget charged before the work makes it an error
        // (no time limit here: a loaded machine must not fail the test).
        let outcome = run_with(PLANS, &on_account(assert), &settings());
        assert_eq!(outcome.status, RuleStatus::Error, "{assert}");
        let message = outcome.error.unwrap().message;
        assert!(
            message.contains("evaluation budget exhausted"),
            "{assert}: {message}"
        );
    }
}

#[test]
fn a_rule_budget_can_be_raised_or_lowered() {
    let assert = "lists.range(1000).all(i, i >= 0)";
    let mut tight = settings();
    tight.budgets.insert("T-001".to_owned(), 500);
    assert_eq!(
        run_with(PLANS, &on_account(assert), &tight).status,
        RuleStatus::Error
    );
    let mut roomy = settings();
    roomy.budget = 500;
    roomy.budgets.insert("T-001".to_owned(), 5_000);
    assert_eq!(
        run_with(PLANS, &on_account(assert), &roomy).status,
        RuleStatus::Pass
    );
}

#[test]
fn the_budget_is_per_subject() {
    // Each image alone is cheap; together they are over budget: every one passes.
    let account = many_images(50);
    let mut settings = settings();
    settings.budget = 200;
    let outcome = run_with(
        &account,
        "for_each = \"$.images[*]\"\nassert = \"item.ref.startsWith('us.icr.io/')\"\nsubject = \"image:{item.ref}\"\nmessage = \"m\"\n",
        &settings,
    );
    assert_eq!(outcome.status, RuleStatus::Pass, "{:?}", outcome.error);
}

#[test]
fn the_built_in_rules_let_a_focused_evaluation_leave_other_images_out() {
    // If a built-in rule read the whole image list, `audit --image` would evaluate every image
    // (correct, but as slow as a whole audit): keep this true.
    let policies = crate::policy::load_all(true, &[]).expect("built-ins load");
    assert!(images_can_be_left_out(&policies));
}

#[test]
fn a_rule_reading_the_whole_image_list_keeps_every_image() {
    let counts = policy(
        "for_each = \"$.namespaces[*]\"\nassert = \"size(account.images) < 100\"\nsubject = \"s\"\nmessage = \"m\"\n",
    );
    assert!(!images_can_be_left_out(&[counts]));
    let position =
        policy("for_each = \"$.images[*]\"\nassert = \"index > 0\"\nsubject = \"s\"\nmessage = \"m\"\n");
    assert!(!images_can_be_left_out(&[position]));
    let own = policy(
        "for_each = \"$.images[*].env[*]\"\nassert = \"index >= 0 && parent.ref != ''\"\nsubject = \"s\"\nmessage = \"m\"\n",
    );
    assert!(images_can_be_left_out(&[own]));
}

#[test]
fn a_focused_evaluation_points_at_the_images_in_the_file() {
    let text = format!(
        "{ACCOUNT}\n[[namespaces]]\nname = \"shop\"\nregion = \"us-south\"\n\n[[images]]\nref = \"us.icr.io/shop/one:1\"\n\n[[images]]\nref = \"us.icr.io/shop/two:1\"\n\n[[images]]\nref = \"us.icr.io/shop/three:1\"\n"
    );
    let loaded = account::load_str("account.toml", text).expect("account loads");
    let mut settings = Settings::new("2026-11-26T00:00:00Z".parse().unwrap());
    settings.images = Some(vec![2].into());
    let rule = policy(
        "for_each = \"$.images[*]\"\nassert = \"false\"\nsubject = \"image:{item.ref}\"\nmessage = \"m\"\n",
    );
    let outcome = evaluate(&loaded, &[rule], &settings).remove(0);
    let found: Vec<(String, String, usize)> = outcome
        .findings
        .iter()
        .map(|f| (f.subject.clone(), f.path.to_string(), f.location.line))
        .collect();
    assert_eq!(
        found,
        [(
            "image:us.icr.io/shop/three:1".to_owned(),
            "images[2]".to_owned(),
            23
        )]
    );
}

#[test]
fn words_in_string_literals_are_not_code() {
    assert_eq!(
        code_of(r#"'images of ' + item.ref + "it's" + '\'images'"#),
        "'' + item.ref + '' + ''"
    );
    assert_eq!(code_of("'''a 'images' b''' + x"), "'' + x");
    assert!(!has_word(
        &code_of("'every image of the account, images'"),
        "images"
    ));
    assert!(reads_whole_account("size(account) > 0"));
    assert!(reads_whole_account("account['images']"));
    assert!(!reads_whole_account("account.iam.policies"));
    assert!(!reads_whole_account("item.account_id + parent.account"));
}
