//! Commands that write files or print generated text: `init`, `completions`, `man`, `schema`.

use std::process::Command;

fn regcheck(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn init_writes_starters_that_load_and_pass_and_never_overwrites_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, _) = regcheck(dir.path(), &["init"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("wrote ./account.toml") && stdout.contains("wrote ./regcheck.toml"),
        "{stdout}"
    );
    let account = std::fs::read_to_string(dir.path().join("account.toml")).unwrap();
    assert!(
        account
            .lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count()
            > 20,
        "the starter is commented"
    );

    // The starter is a complete, compliant example: it loads and passes every rule.
    let (code, _, stderr) = regcheck(dir.path(), &["audit", "account.toml", "--as-of", "2026-11-26"]);
    assert_eq!(code, 0, "{stderr}");

    std::fs::write(dir.path().join("account.toml"), "# mine").unwrap();
    let (code, _, stderr) = regcheck(dir.path(), &["init"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("already exist") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("account.toml")).unwrap(),
        "# mine",
        "untouched"
    );

    let (code, _, _) = regcheck(dir.path(), &["init", "--force"]);
    assert_eq!(code, 0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("account.toml")).unwrap(),
        account
    );
}

#[test]
fn completions_and_man_page_come_from_the_clap_definitions() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, stdout, _) = regcheck(dir.path(), &["completions", shell]);
        assert_eq!(code, 0);
        assert!(
            stdout.contains("regcheck") && stdout.contains("responsibilities"),
            "{shell}"
        );
    }
    let (code, stdout, _) = regcheck(dir.path(), &["man"]);
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with(".ie") || stdout.contains(".TH regcheck"),
        "roff: {}",
        &stdout[..stdout.len().min(200)]
    );
    let (code, _, stderr) = regcheck(dir.path(), &["completions", "tcsh"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn schema_prints_the_committed_schema() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, _) = regcheck(dir.path(), &["schema"]);
    assert_eq!(code, 0);
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/account.schema.json")).unwrap();
    assert_eq!(stdout, committed);
}
