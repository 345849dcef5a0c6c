//! Generated documentation stays in sync with its sources: `docs/rules.md` with the policy
//! files, and the helper reference in `docs/writing-policies.md` with `src/engine/helpers.rs`.
//! Run `REGCHECK_BLESS=1 cargo test --test docs` to regenerate both.

use std::path::Path;

#[path = "support/generated.rs"]
mod generated;

/// The check of [`generated::assert_generated_file_is_current`], with this file's bless command.
fn check_or_bless(path: &str, expected: &str) {
    generated::assert_generated_file_is_current(path, expected, "REGCHECK_BLESS=1 cargo test --test docs");
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

/// Every relative link in the README and docs/ points at a file of this repository, and none
/// sends readers to the spec beside it: a clone has nothing beside it (no `../shared/`).
#[test]
fn links_stay_inside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![root.join("README.md")];
    for entry in walkdir::WalkDir::new(root.join("docs")) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|ext| ext == "md") {
            pages.push(entry.into_path());
        }
    }
    let link = regex::Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    let root = root.canonicalize().unwrap();
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        // The spec lives beside the repository, not in a clone: the docs here must suffice.
        assert!(
            !text.contains("shared/spec"),
            "{} sends readers to shared/spec",
            page.display()
        );
        for capture in link.captures_iter(&text) {
            let target = &capture[1];
            if target.contains("://") || target.starts_with('#') || target.starts_with("mailto:") {
                continue;
            }
            let path = target.split('#').next().unwrap_or_default();
            let resolved = page.parent().unwrap().join(path);
            let resolved = resolved
                .canonicalize()
                .unwrap_or_else(|_| panic!("{}: link to {target}, which does not exist", page.display()));
            assert!(
                resolved.starts_with(&root),
                "{}: link to {target}, outside the repository",
                page.display()
            );
        }
    }
}
