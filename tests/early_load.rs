//! A run of one large account file loads it while the config and the policies load (the CLI's
//! `EarlyLoad`). Whatever happens, the run must report exactly what it reports for a file small
//! enough to be loaded in its turn: the same file without the padding that makes it large.

use std::path::Path;
use std::process::Command;

/// Above the CLI's threshold (64 KiB), by a comment at the end of the first line: no line moves,
/// and no finding's snippet shows the first line.
fn padded(text: &str) -> String {
    let (first, rest) = text.split_once('\n').unwrap();
    assert!(first.starts_with('#'), "{first}");
    format!("{first} {}\n{rest}", "padding ".repeat(10 << 10))
}

/// `regcheck audit account.toml ARGS` in `dir`: exit code, standard output and standard error.
fn audit(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(["audit", "account.toml", "--as-of", "2026-12-01"])
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The run of `account` padded, and the run of it as it is, with `config` as regcheck.toml.
fn both(account: &str, config: Option<&str>, args: &[&str]) -> [(Option<i32>, String, String); 2] {
    [padded(account), account.to_owned()].map(|text| {
        assert_eq!(text.len() >= 64 << 10, text.len() > account.len());
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("account.toml"), text).unwrap();
        if let Some(config) = config {
            std::fs::write(dir.path().join("regcheck.toml"), config).unwrap();
        }
        audit(dir.path(), args)
    })
}

fn example() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/account.toml")).unwrap()
}

#[test]
fn a_large_account_loaded_early_is_reported_as_a_small_one_is() {
    for format in ["human", "json", "sarif"] {
        let [large, small] = both(&example(), None, &["--format", format]);
        assert_eq!(large.0, Some(1), "{format}: {}", large.2);
        assert_eq!(large, small, "{format}");
    }
}

#[test]
fn a_large_account_that_does_not_parse_is_reported_once_in_its_turn() {
    let broken = example().replacen("schema_version = 1\n", "schema_version = 1\n[account\n", 1);
    let [large, small] = both(&broken, None, &[]);
    assert_eq!(large.0, Some(2));
    assert_eq!(large.2.matches("TOML syntax error").count(), 1, "{}", large.2);
    assert_eq!(large, small);
}

#[test]
fn a_config_that_stops_the_run_stops_it_before_a_large_account_is_reported() {
    let [large, small] = both(&example(), Some("fail_on = \"sometimes\"\n"), &[]);
    assert_eq!(large.0, Some(2));
    assert!(large.1.is_empty(), "{}", large.1);
    assert!(!large.2.contains("account.toml"), "{}", large.2);
    assert_eq!(large, small);
}
