//! The pre-commit hooks (`.pre-commit-hooks.yaml`) pick every account file in the layouts the
//! README shows and nothing else; an invalid account file they pick fails the hook. `.ci/run`
//! also runs them through pre-commit itself (`pre-commit try-repo`).

use regex::Regex;

/// Each hook's `files` and `exclude` patterns (pre-commit reads them with Python's
/// `re.search`, which agrees with the `regex` crate on these).
fn hooks() -> Vec<(String, Regex, Regex)> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.pre-commit-hooks.yaml")).unwrap();
    let mut hooks = Vec::new();
    let (mut id, mut files) = (String::new(), None);
    for line in text.lines() {
        if let Some(value) = line.strip_prefix("- id: ") {
            id = value.trim().to_owned();
        } else if let Some(value) = line.trim().strip_prefix("files: ") {
            files = Some(Regex::new(value.trim()).unwrap());
        } else if let Some(value) = line.trim().strip_prefix("exclude: ") {
            let exclude = Regex::new(value.trim()).unwrap();
            hooks.push((id.clone(), files.take().expect("files before exclude"), exclude));
        }
    }
    hooks
}

#[test]
fn hooks_pick_every_account_file_and_nothing_else() {
    let hooks = hooks();
    assert_eq!(hooks.len(), 2);
    for (id, files, exclude) in &hooks {
        let picks = |path: &str| files.is_match(path) && !exclude.is_match(path);
        for path in [
            "account.toml",
            "account-prod.toml",
            "infra/account.staging.toml",
            "accounts/staging.toml",
            "accounts/eu/prod.toml",
            "ops/accounts/us-south/shop.toml",
        ] {
            assert!(picks(path), "{id} skips {path}");
        }
        for path in [
            "Cargo.toml",
            "regcheck.toml",
            "accounts/regcheck.toml",
            "pyproject.toml",
            ".taplo.toml",
            "policies/ACME-001.toml",
            "accounts/README.md",
            "myaccounts.toml",
        ] {
            assert!(!picks(path), "{id} picks {path}");
        }
    }
}

#[test]
fn the_entries_are_regcheck_commands_that_fail_on_an_invalid_file() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.pre-commit-hooks.yaml")).unwrap();
    let entries: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("entry: "))
        .collect();
    assert_eq!(entries, ["regcheck validate", "regcheck audit --fail-on high"]);
    for entry in entries {
        let mut args: Vec<&str> = entry.split_whitespace().skip(1).collect();
        args.push("tests/fixtures/valid/aliases.toml");
        args.push("tests/fixtures/invalid/bad-region.toml");
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_regcheck"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{entry}: an invalid file fails the hook"
        );
    }
}
