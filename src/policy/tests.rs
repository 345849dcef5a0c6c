use super::testing::run_policy_tests;
use super::*;

#[test]
fn builtin_policies_load_with_unique_ids() {
    let policies = builtin_checked().unwrap_or_else(|error| {
        let messages: Vec<String> = error
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.position(), d.problem.message))
            .collect();
        panic!("built-in policies do not load:\n{}", messages.join("\n"))
    });
    assert!(!policies.is_empty());
}

#[test]
fn every_builtin_policy_test_passes() {
    let mut failures = Vec::new();
    for policy in builtin_checked().expect("built-ins load") {
        for result in run_policy_tests(&policy) {
            if !result.passed() {
                failures.push(format!(
                    "{} / {}: {}",
                    result.rule_id,
                    result.name,
                    result.problems.join("; ")
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "failing policy tests:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_builtin_policy_has_a_passing_and_a_failing_test_and_docs() {
    for policy in builtin_checked().expect("built-ins load") {
        let expects: Vec<Expectation> = policy.tests.iter().map(|t| t.expect).collect();
        assert!(
            expects.contains(&Expectation::Pass),
            "{} has no passing test",
            policy.id
        );
        assert!(
            expects.contains(&Expectation::Fail),
            "{} has no failing test",
            policy.id
        );
        assert!(
            policy
                .tests
                .iter()
                .any(|t| t.expect == Expectation::Fail && t.subjects.is_some()),
            "{} has no failing test with expected subjects",
            policy.id
        );
        assert!(
            !policy.docs.rationale.is_empty() && !policy.docs.references.is_empty(),
            "{} lacks docs",
            policy.id
        );
        assert!(
            policy.docs.remediation.contains("```toml"),
            "{} remediation has no TOML example",
            policy.id
        );
        let file = policy.source.name.rsplit('/').next().unwrap_or_default();
        assert_eq!(
            file,
            format!("{}.toml", policy.id),
            "a policy file is named after its rule id"
        );
    }
}

fn load(text: &str) -> Result<Vec<Arc<Policy>>, Vec<String>> {
    load_sources(vec![SourceText::new("custom/rule.toml", text)], false).map_err(|error| {
        error
            .diagnostics
            .iter()
            .map(|d| format!("{} {}", d.position(), d.problem.message))
            .collect()
    })
}

const MINIMAL: &str = r#"
id = "ACME-001"
title = "t"
severity = "low"
responsibility = "R1"
for_each = "$.registries[*]"
assert = "ASSERT"
subject = "registry:{item.region}"
message = "m"
"#;

#[test]
fn unknown_function_is_a_load_error_with_its_position() {
    let errors = load(&MINIMAL.replace("ASSERT", "frobnicate(item)")).unwrap_err();
    assert_eq!(errors, ["custom/rule.toml:7:11 unknown function `frobnicate`"]);
}

#[test]
fn cel_syntax_error_points_into_the_expression() {
    let errors = load(&MINIMAL.replace("ASSERT", "item.region ==")).unwrap_err();
    assert!(errors[0].starts_with("custom/rule.toml:7:"), "{errors:?}");
    assert!(errors[0].contains("invalid CEL expression"), "{errors:?}");
}

#[test]
fn undeclared_parameter_is_a_load_error() {
    let errors = load(&MINIMAL.replace("ASSERT", "params.max_age > 1")).unwrap_err();
    assert_eq!(errors, ["custom/rule.toml:7:11 unknown parameter `max_age`"]);
}

#[test]
fn duplicate_ids_name_both_files() {
    let text = MINIMAL.replace("ASSERT", "true");
    let error = load_sources(
        vec![
            SourceText::new("a.toml", text.clone()),
            SourceText::new("b.toml", text),
        ],
        false,
    )
    .unwrap_err();
    assert_eq!(error.diagnostics.len(), 1);
    assert!(
        error.diagnostics[0]
            .problem
            .help
            .as_deref()
            .unwrap_or_default()
            .contains("a.toml")
    );
    assert_eq!(error.diagnostics[0].source.name, "b.toml");
}

#[test]
fn unknown_policy_key_is_reported_with_a_suggestion() {
    let errors = load(&format!(
        "{}\nseverty = \"low\"\n",
        MINIMAL.replace("ASSERT", "true")
    ));
    let errors = errors.unwrap_err();
    assert!(errors[0].contains("unknown key `severty`"), "{errors:?}");
}

#[test]
fn policy_tests_report_wrong_status_subjects_and_messages() {
    let text = format!(
        "{}\n[[tests]]\nname = \"claims pass\"\nexpect = \"pass\"\naccount = '''{ACCOUNT}'''\n\n[[tests]]\nname = \"wrong subject\"\nexpect = \"fail\"\nsubjects = [\"registry:eu-de\"]\nmessages = [\"nope\"]\naccount = '''{ACCOUNT}'''\n",
        MINIMAL.replace("ASSERT", "false")
    );
    let policy = load(&text).unwrap().remove(0);
    let results = run_policy_tests(&policy);
    assert_eq!(results[0].problems, ["expected pass, got fail"]);
    assert_eq!(
        results[1].problems,
        [
            "expected failing subjects [\"registry:eu-de\"], got [\"registry:us-south\"]",
            "expected messages [\"nope\"], got [\"m\"]"
        ]
    );
}

const ACCOUNT: &str = "schema_version = 1\n[account]\nid = \"a\"\ncaptured_at = 2026-11-25\n[[registries]]\nregion = \"us-south\"\n";

#[test]
fn for_each_paths_are_checked_against_the_account_format() {
    let errors = load(
        &MINIMAL
            .replace("$.registries[*]", "$.registry[*]")
            .replace("ASSERT", "true"),
    )
    .unwrap_err();
    assert_eq!(
        errors,
        [
            "custom/rule.toml:6:14 for_each selects nothing: the account file has no `registry` here (did you mean `registries`?)"
        ]
    );
    for good in [
        "$",
        "$.images[*].labels.*",
        "$.activity_tracker.routes[*].rules[0]",
        "$['iam'].policies[*]",
        "$.namespaces[*].replicas[*]",
    ] {
        assert!(
            load(&MINIMAL.replace("$.registries[*]", good).replace("ASSERT", "true")).is_ok(),
            "{good}"
        );
    }
    let errors = load(
        &MINIMAL
            .replace("$.registries[*]", "$.account.id[*]")
            .replace("ASSERT", "true"),
    )
    .unwrap_err();
    assert!(errors[0].contains("neither"), "{errors:?}");
}

/// An audit reads the built-ins trusted (without their tests, expressions compiled on first
/// use, no load-time checks): that must read exactly what the full, checked reading does.
#[test]
fn builtin_policies_read_as_trusted_equal_the_checked_ones() {
    fn located_expr(expr: &Located<Expr>) -> (String, usize) {
        (expr.value.source().to_owned(), expr.offset)
    }
    fn located_template(template: &Located<Template>) -> (String, usize) {
        (template.value.source().to_owned(), template.offset)
    }
    fn summary(policy: &Policy) -> String {
        let checks: Vec<_> = policy
            .checks
            .iter()
            .map(|check| {
                (
                    check.for_each.as_str().to_owned(),
                    check.when.as_ref().map(located_expr),
                    located_expr(&check.assert),
                    located_template(&check.subject),
                    located_template(&check.message),
                    check.locate.as_ref().map(located_template),
                )
            })
            .collect();
        format!(
            "{} {} {:?} {} {} {:?} {:?} {:?} {}",
            policy.id,
            policy.title,
            policy.severity,
            policy.responsibility,
            policy.source.name,
            checks,
            policy.params,
            policy.docs,
            policy.builtin
        )
    }
    let checked = builtin_checked().expect("built-ins load checked");
    // From the prepared index, and from the files' text as when the index is out of date.
    for index in [true, false] {
        let trusted = load_sources_read(embedded(), |_| true, |_| Reading::Trusted { index })
            .expect("built-ins load trusted");
        assert_eq!(trusted.len(), checked.len());
        for (trusted, checked) in trusted.iter().zip(&checked) {
            assert_eq!(summary(trusted), summary(checked), "index: {index}");
            assert!(
                trusted.tests.is_empty() && !checked.tests.is_empty(),
                "{}",
                checked.id
            );
            assert_eq!(trusted.source.text, checked.source.text);
        }
    }
}
