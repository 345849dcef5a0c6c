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

/// A method called on an unbound root, or an undeclared function under one of `cel`'s
/// namespaces, is caught when the policy loads, not when it first runs. A qualified name used to
/// pass for declared, and `iten.startsWith('a')` then loaded and failed on every subject.
#[test]
fn calls_through_an_unknown_root_or_namespace_are_load_errors() {
    let errors = |assert: &str| load(&MINIMAL.replace("ASSERT", assert)).unwrap_err();
    assert_eq!(
        errors("iten.startsWith('a')"),
        ["custom/rule.toml:7:11 unknown name `iten`"]
    );
    assert_eq!(
        errors("strings.quote2('a') == 'a'"),
        ["custom/rule.toml:7:11 unknown function `strings.quote2`"]
    );
    // Both, in file order.
    assert_eq!(
        errors("nosuch.frob(1) == 1 || true"),
        [
            "custom/rule.toml:7:11 unknown name `nosuch`",
            "custom/rule.toml:7:18 unknown function `frob`",
        ]
    );
    assert!(
        load(&MINIMAL.replace(
            "ASSERT",
            "strings.quote(item.region) != '' && lists.range(1).size() == 1"
        ))
        .is_ok()
    );
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
        let text = MINIMAL
            .replace("$.registries[*]", good)
            .replace("ASSERT", "true")
            .replace("registry:{item.region}", "subject");
        assert!(load(&text).is_ok(), "{good}");
    }
    let errors = load(
        &MINIMAL
            .replace("$.registries[*]", "$.account.id[*]")
            .replace("ASSERT", "true"),
    )
    .unwrap_err();
    assert!(errors[0].contains("neither"), "{errors:?}");
}

/// A policy over `for_each` with `assert` (and a neutral subject and message).
fn checked(for_each: &str, assert: &str) -> Result<Vec<Arc<Policy>>, Vec<String>> {
    load(&format!(
        "id = \"ACME-001\"\ntitle = \"t\"\nseverity = \"low\"\nresponsibility = \"R1\"\nfor_each = \"{for_each}\"\nassert = \"{assert}\"\nsubject = \"s\"\nmessage = \"m\"\n"
    ))
}

#[test]
fn misspelt_fields_are_load_errors_with_a_suggestion_even_inside_or() {
    assert_eq!(
        checked("$.namespaces[*]", "item.no_such_field == 'x' || true").unwrap_err(),
        ["custom/rule.toml:6:16 unknown field `no_such_field` in `item`"]
    );
    assert_eq!(
        checked(
            "$.namespaces[*]",
            "item.retention.images_per_repoo > 0 || item.criticality == 'nonprod'"
        )
        .unwrap_err(),
        ["custom/rule.toml:6:26 unknown field `images_per_repoo` in `item.retention`"]
    );
    assert_eq!(
        load_error_helps("$.namespaces[*]", "item.retention.images_per_repoo > 0"),
        ["did you mean `images_per_repo`?"]
    );
}

/// The help lines of the load errors of a one-check policy.
fn load_error_helps(for_each: &str, assert: &str) -> Vec<String> {
    let text = format!(
        "id = \"ACME-001\"\ntitle = \"t\"\nseverity = \"low\"\nresponsibility = \"R1\"\nfor_each = \"{for_each}\"\nassert = \"{assert}\"\nsubject = \"s\"\nmessage = \"m\"\n"
    );
    match load_sources(vec![SourceText::new("custom/rule.toml", text)], false) {
        Ok(_) => Vec::new(),
        Err(error) => error
            .diagnostics
            .iter()
            .filter_map(|d| d.problem.help.clone())
            .collect(),
    }
}

#[test]
fn every_name_and_field_is_checked_where_its_shape_is_known() {
    let bad = [
        // Comprehension variables take the element shape of what they iterate.
        (
            "$.namespaces[*]",
            "item.replicas.exists(r, r.regoin == 'eu-gb')",
            "`regoin`",
        ),
        ("$", "account.images.all(i, i.va_statuz == 'ok')", "`va_statuz`"),
        (
            "$",
            "account.namespaces.filter(n, true).map(n, n.nmae).size() > 0",
            "`nmae`",
        ),
        // has() tests a field that must exist.
        ("$.images[*]", "!has(item.secret_scan.scaned_at)", "`scaned_at`"),
        // Index syntax and optional selection.
        ("$.images[*]", "item['va_statuz'] == 'ok'", "`va_statuz`"),
        ("$.images[*]", "item.?creatd.hasValue()", "`creatd`"),
        // parent, key and index are bound only where for_each binds them.
        ("$.images[*].env[*]", "parent.reff != ''", "`reff`"),
        ("$", "parent.id != ''", "`parent` is not bound"),
        ("$.namespaces[*]", "key != ''", "`key` is not bound"),
        ("$.activity_tracker", "index >= 0", "`index` is not bound"),
        // A misspelt name, and fields of strings and lists.
        ("$.images[*]", "itme.ref != ''", "unknown name `itme`"),
        ("$.images[*]", "item.ref.domain == ''", "is a string"),
        ("$.images[*]", "item.env.name == ''", "is a list"),
    ];
    for (for_each, assert, expected) in bad {
        let errors = checked(for_each, assert).unwrap_err();
        assert!(
            errors.len() == 1 && errors[0].contains(expected),
            "{assert}: {errors:?}"
        );
    }
    let good = [
        // Tables with arbitrary keys, parameters and helper results are not checked.
        ("$.images[*]", "item.labels.anything == 'x' || true"),
        ("$.images[*]", "image_namespace(item.ref).whatever == 'x' || true"),
        (
            "$.images[*].labels.*",
            "key != '' && item != '' && parent.ref != ''",
        ),
        (
            "$.images[*].env[*]",
            "index >= 0 && parent.labels.team == 'x' || true",
        ),
        ("$", "account.iam.policies.exists(p, has(p.resource_group))"),
        (
            "$.activity_tracker.routes[*].rules[*]",
            "parent.id != '' && item.target_ids.all(t, t != '')",
        ),
        ("$", "lists.range(3).all(x, x >= 0) && type(1) == int"),
        ("$.images[*]", "[item.ref, item.digest].all(text, text != '')"),
    ];
    for (for_each, assert) in good {
        assert!(
            checked(for_each, assert).is_ok(),
            "{for_each} {assert}: {:?}",
            checked(for_each, assert)
        );
    }
}

#[test]
fn templates_are_checked_like_expressions() {
    let text = MINIMAL
        .replace("ASSERT", "true")
        .replace("message = \"m\"", "message = \"{item.regoin} has {item.plann}\"");
    let errors = load(&text).unwrap_err();
    assert_eq!(
        errors,
        [
            "custom/rule.toml:9:18 unknown field `regoin` in `item`",
            "custom/rule.toml:9:36 unknown field `plann` in `item`"
        ]
    );
}

#[test]
fn expressions_too_long_or_too_deep_are_load_errors_not_a_crash() {
    let deep = vec!["1"; 200].join(" + ");
    let errors = checked("$", &format!("{deep} > 0")).unwrap_err();
    assert!(
        errors[0].contains("nests more than 100 levels deep"),
        "{errors:?}"
    );
    let long = vec!["1"; 5000].join("+");
    let errors = checked("$", &format!("{long} > 0")).unwrap_err();
    assert!(
        errors[0].contains("more than the 8192 regcheck compiles"),
        "{errors:?}"
    );
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
                    check.fix.as_ref().map(|fix| {
                        let (kind, destructive) = match &fix.action {
                            FixSpecAction::Command { destructive, .. } => ("command", *destructive),
                            FixSpecAction::Reason(_) => ("reason", false),
                        };
                        let templates: Vec<_> = fix.templates().map(located_template).collect();
                        (kind, destructive, templates)
                    }),
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

/// An audit reads the built-ins trusted, without the load-time field checks; the test suite
/// runs those checks over every built-in (`builtin_checked`, which every test here loads), and
/// they do apply to a built-in's text: a misspelt field in a built-in file is a load error when
/// the file is read checked, and only then.
#[test]
fn the_field_checks_run_over_every_builtin_read_checked() {
    let policies = builtin_checked().expect("every built-in passes the field checks");
    assert!(policies.len() >= 40);
    let source = embedded()
        .into_iter()
        .find(|source| source.name.ends_with("ICR-BP-001.toml"))
        .expect("ICR-BP-001 is a built-in");
    assert!(source.text.contains("item.account.captured_at"));
    let misspelt = SourceText::new(
        source.name.clone(),
        source
            .text
            .replace("item.account.captured_at", "item.account.captured_att"),
    );
    let checked = load_sources_read(vec![misspelt.clone()], |_| true, |_| Reading::Checked)
        .expect_err("read checked, the misspelt field is an error");
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.problem.message.contains("unknown field `captured_att`")),
        "{:?}",
        checked
            .diagnostics
            .iter()
            .map(|d| &d.problem.message)
            .collect::<Vec<_>>()
    );
    assert!(
        load_sources_read(vec![misspelt], |_| true, |_| Reading::Trusted { index: false }).is_ok(),
        "an audit trusts the built-ins: no field check at run time"
    );
}

/// Every failing subject of every built-in's failing test cases gets its rule's fix, rendered:
/// a command (quoted, one line) or a reason. The rendered fixes of each rule's first failing
/// case are kept in docs/fix-commands.md (`REGCHECK_BLESS=1 cargo test --lib renders_its_fix`),
/// which a reviewer reads as a user would.
#[test]
fn every_builtin_rule_renders_its_fix_for_its_failing_fixtures() {
    use crate::findings::{FindingStatus, FixAction};
    let mut doc = String::from(
        "# Fix commands of the built-in rules\n\n\
         <!-- @generated by `REGCHECK_BLESS=1 cargo test --lib renders_its_fix`: each rule's fix as\n\
         rendered for the first failing test case in its policy file. -->\n\n\
         Each rule's `[fix]` rendered for a failing subject of its own test account. A command's\n\
         values from the account are quoted for bash; `regcheck fix --dry-run` prints them as one\n\
         script, destructive ones commented out.\n",
    );
    for policy in builtin_checked().expect("built-ins load") {
        assert!(
            policy.checks.iter().all(|check| check.fix.is_some()),
            "{} has a check without a fix",
            policy.id
        );
        let mut shown = false;
        for test in policy.tests.iter().filter(|t| t.expect == Expectation::Fail) {
            let loaded =
                crate::account::load_str("test.toml", test.account.as_str()).expect("test account loads");
            let captured = loaded.model.account.captured_at;
            let mut settings = crate::engine::Settings::new(test.as_of.unwrap_or(captured).0);
            settings.params.insert(policy.id.clone(), test.params.clone());
            let outcome = crate::engine::evaluate(&loaded, std::slice::from_ref(&policy), &settings)
                .pop()
                .expect("one outcome");
            assert!(
                outcome.error.is_none(),
                "{} / {}: {:?}",
                policy.id,
                test.name,
                outcome.error
            );
            let failing: Vec<_> = outcome
                .findings
                .iter()
                .filter(|f| f.status == FindingStatus::Fail)
                .collect();
            assert!(!failing.is_empty(), "{} / {}", policy.id, test.name);
            for finding in &failing {
                let fix = finding.fix.as_ref().unwrap_or_else(|| {
                    panic!("{} / {}: no fix for {}", policy.id, test.name, finding.subject)
                });
                match &fix.action {
                    FixAction::Command { command, .. } => {
                        assert!(command.starts_with("ibmcloud "), "{}: {command}", policy.id);
                        assert!(!command.contains('\n'), "{}: {command}", policy.id);
                    }
                    FixAction::Reason(reason) => assert!(!reason.trim().is_empty(), "{}", policy.id),
                }
            }
            if !shown {
                shown = true;
                let finding = failing[0];
                let fix = finding.fix.as_ref().expect("checked above");
                doc.push_str(&format!(
                    "\n## {}: {}\n\nFor `{}`:\n\n",
                    policy.id, policy.title, finding.subject
                ));
                match (&fix.action, fix.command_line()) {
                    (FixAction::Command { destructive, .. }, Some(line)) => {
                        if *destructive {
                            doc.push_str("Destructive (commented out in the script):\n\n");
                        }
                        doc.push_str(&format!("```bash\n{line}\n```\n"));
                    }
                    (FixAction::Reason(reason), _) => doc.push_str(&format!("No command: {reason}.\n")),
                    _ => {}
                }
            }
        }
        assert!(shown, "{} has no failing test case", policy.id);
    }
    crate::test_support::assert_generated_file_is_current(
        "docs/fix-commands.md",
        &doc,
        "REGCHECK_BLESS=1 cargo test --lib renders_its_fix",
    );
}

#[test]
fn fix_tables_are_checked_when_a_policy_loads() {
    let with_fix = |fix: &str| load(&format!("{}\n{fix}\n", MINIMAL.replace("ASSERT", "true")));
    assert!(
        with_fix("[fix]\ncommand = \"ibmcloud cr plan-upgrade standard\"\nregion = \"{item.region}\"")
            .is_ok()
    );
    assert!(with_fix("[fix]\nreason = \"a decision\"").is_ok());
    let errors = |fix: &str| with_fix(fix).expect_err(fix).join("\n");
    assert!(errors("[fix]\ndestructive = true").contains("a fix needs a command or a reason"));
    assert!(errors("[fix]\ncommand = \"x\"\nreason = \"y\"").contains("either a command or a reason"));
    assert!(errors("[fix]\nreason = \"y\"\ndestructive = true").contains("destructive applies to a command"));
    assert!(
        errors("[fix]\ncommand = \"x\"\ndestructive = \"yes\"").contains("destructive must be true or false")
    );
    assert!(errors("[fix]\ncommand = \"x\"\nregoin = \"y\"").contains("unknown key `regoin` in [fix]"));
    // Holes are CEL, checked as every expression is: syntax, functions, fields, parameters.
    let unknown_field = errors("[fix]\ncommand = \"ibmcloud cr va-version-set {item.regoin}\"");
    assert!(
        unknown_field.contains("custom/rule.toml:12:45 unknown field `regoin`"),
        "{unknown_field}"
    );
    assert!(unknown_field.contains("regoin"), "{unknown_field}");
    assert!(errors("[fix]\ncommand = \"x {nope(item.region)}\"").contains("unknown function `nope`"));
    assert!(errors("[fix]\ncommand = \"x {params.missing}\"").contains("unknown parameter `missing`"));
    assert!(errors("[fix]\ncommand = \"x {item.region +}\"").contains("invalid template"));
    assert!(errors("[fix]\nreason = \"x {item.regoin}\"").contains("regoin"));
}
