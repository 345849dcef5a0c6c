//! Generated documentation stays in sync with its sources: `docs/rules.md` with the policy
//! files, and the helper reference in `docs/writing-policies.md` with `src/engine/helpers.rs`.
//! Run `REGCHECK_BLESS=1 cargo test --test docs` to regenerate both.

use std::path::Path;

fn check_or_bless(path: &str, expected: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    if actual == expected {
        return;
    }
    if std::env::var_os("REGCHECK_BLESS").is_some() {
        std::fs::write(&path, expected).unwrap();
        return;
    }
    panic!(
        "{} is out of date with its sources: run `REGCHECK_BLESS=1 cargo test --test docs`",
        path.display()
    );
}

#[test]
fn rules_reference_matches_the_policy_files() {
    let policies = regcheck::policy::builtin().expect("built-in policies load");
    check_or_bless(
        "docs/rules.md",
        &regcheck::report::catalog::rules_markdown(&policies),
    );
}

#[test]
fn helper_reference_matches_the_helpers() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/writing-policies.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let start_marker = "<!-- helpers:start";
    let end_marker = "<!-- helpers:end -->";
    let start = text.find(start_marker).expect("start marker");
    let start = start + text[start..].find('\n').expect("marker line ends") + 1;
    let end = text.find(end_marker).expect("end marker");
    let expected = format!(
        "{}{}{}",
        &text[..start],
        regcheck::engine::helpers::reference_markdown(),
        &text[end..]
    );
    check_or_bless("docs/writing-policies.md", &expected);
}

#[test]
fn every_builtin_rule_is_explained() {
    for policy in regcheck::policy::builtin().unwrap() {
        let mut text = Vec::new();
        regcheck::report::catalog::write_explanation(&policy, &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        for section in ["## What it checks", "## Why", "## How to fix", "## References"] {
            assert!(text.contains(section), "{} lacks {section}", policy.id);
        }
    }
}
