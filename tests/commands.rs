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

    // The starter is a complete, compliant example: it loads and passes every rule today (its
    // dates are relative to the day it is written).
    let (code, _, stderr) = regcheck(dir.path(), &["audit", "account.toml"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!account.contains("{{"), "every placeholder is filled in");

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

    std::fs::create_dir(dir.path().join("fresh")).unwrap();
    let (code, _, _) = regcheck(dir.path(), &["init", "--force", "--as-of", "2026-11-26"]);
    assert_eq!(code, 0);
    let (code, _, _) = regcheck(&dir.path().join("fresh"), &["init", "--as-of", "2026-11-26"]);
    assert_eq!(code, 0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("account.toml")).unwrap(),
        std::fs::read_to_string(dir.path().join("fresh/account.toml")).unwrap(),
        "overwritten with the starter"
    );
}

#[test]
fn the_starter_passes_its_own_audit_on_any_day() {
    for day in ["2026-11-26", "2031-02-28", "2040-12-31"] {
        let dir = tempfile::tempdir().unwrap();
        let (code, _, stderr) = regcheck(dir.path(), &["init", "--as-of", day]);
        assert_eq!(code, 0, "{stderr}");
        let account = std::fs::read_to_string(dir.path().join("account.toml")).unwrap();
        assert!(
            account.contains(&format!("captured_at = {day}T00:00:00Z")),
            "{account}"
        );
        let (code, stdout, stderr) = regcheck(dir.path(), &["audit", "account.toml", "--as-of", day]);
        assert_eq!(code, 0, "{day}: {stdout}{stderr}");
    }
}

#[test]
fn man_pages_for_every_command_with_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (_, help, _) = regcheck(dir.path(), &["--help"]);
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // Entries start at column 2; wrapped descriptions are indented further.
        .filter(|l| !l[2..].starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .collect();
    assert!(commands.len() >= 10, "{help}");
    for command in &commands {
        let (code, page, stderr) = regcheck(dir.path(), &["man", command]);
        assert_eq!(code, 0, "{command}: {stderr}");
        assert!(
            page.contains(&format!("regcheck\\-{}", command.replace('-', "\\-"))),
            "{command}: {page}"
        );
        assert!(page.contains(".SH \"EXIT STATUS\""), "{command}");
        assert!(page.contains(".SH OPTIONS"), "{command}");
    }
    let (code, overview, _) = regcheck(dir.path(), &["man"]);
    assert_eq!(code, 0);
    for command in &commands {
        assert!(
            overview.contains(&format!("regcheck\\-{command}(1)")),
            "{command}"
        );
    }
    let (code, audit, _) = regcheck(dir.path(), &["man", "audit"]);
    assert_eq!(code, 0);
    assert!(
        audit.contains("\\fB1\\fR\nran, and at least one such finding"),
        "{audit}"
    );

    // Every page into a folder: the overview and one per command, as the overview names them.
    let (code, stdout, stderr) = regcheck(dir.path(), &["man", "--dir", "man"]);
    assert_eq!(code, 0, "{stderr}");
    let mut written: Vec<String> = std::fs::read_dir(dir.path().join("man"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected: Vec<String> = commands.iter().map(|c| format!("regcheck-{c}.1")).collect();
    expected.push("regcheck.1".to_owned());
    expected.sort();
    assert_eq!(written, expected, "{stdout}");

    let (code, _, stderr) = regcheck(dir.path(), &["man", "nonsense"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("possible values: audit"), "{stderr}");
}

#[test]
fn shells_complete_values_not_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let (_, fish, _) = regcheck(dir.path(), &["completions", "fish"]);
    for (option, values) in [("fail-on", "critical"), ("format", "human"), ("color", "auto")] {
        let line = fish
            .lines()
            .find(|l| {
                l.contains("__fish_regcheck_using_subcommand audit") && l.contains(&format!("-l {option} "))
            })
            .unwrap_or_else(|| panic!("no completion for --{option}"));
        assert!(
            line.contains(" -f ") && line.contains(&format!("-a \"{values}")),
            "{line}"
        );
    }
    for option in ["rule", "skip-rule", "as-of", "sarif-category"] {
        let line = fish
            .lines()
            .find(|l| {
                l.contains("__fish_regcheck_using_subcommand audit") && l.contains(&format!("-l {option} "))
            })
            .unwrap_or_else(|| panic!("no completion for --{option}"));
        assert!(line.contains(" -f"), "no file names for --{option}: {line}");
    }
    let (_, bash, _) = regcheck(dir.path(), &["completions", "bash"]);
    assert!(bash.contains("compgen -W \"critical high medium low none\""));
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
