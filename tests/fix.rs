//! `regcheck fix --dry-run`: the script is valid bash (`bash -n`), clean under shellcheck (when it
//! is installed: `.ci/run` installs it and runs this test with `REGCHECK_REQUIRE_SHELLCHECK=1`),
//! and no value from the account can inject anything: the hostile account's script, every
//! commented-out command uncommented, runs against a stub `ibmcloud` that records its arguments,
//! and each hostile value arrives as one literal argument while no payload runs.
// A skipped check says so on stderr, as a test may.
#![allow(clippy::disallowed_macros)]

use std::path::Path;
use std::process::Command;

const HOSTILE: &str = "tests/fixtures/fix/hostile.toml";

fn script(account: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .args(["fix", "--dry-run", account, "--as-of", "2026-11-26"])
        .env("NO_COLOR", "1")
        .output()
        .expect("regcheck runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 script")
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn scripts_pass_bash_n_and_shellcheck() {
    let dir = tempfile::tempdir().expect("temp dir");
    for account in ["examples/account.toml", HOSTILE] {
        let path = write(dir.path(), "fix.sh", &script(account));
        let status = Command::new("bash")
            .arg("-n")
            .arg(&path)
            .status()
            .expect("bash runs");
        assert!(status.success(), "bash -n rejects the script of {account}");
        match Command::new("shellcheck")
            .args(["--shell=bash", "--severity=style"])
            .arg(&path)
            .output()
        {
            Ok(output) => assert!(
                output.status.success(),
                "shellcheck on the script of {account}:\n{}",
                String::from_utf8_lossy(&output.stdout)
            ),
            Err(_) if std::env::var_os("REGCHECK_REQUIRE_SHELLCHECK").is_none() => {
                eprintln!("shellcheck is not installed: skipped (install the Debian package shellcheck)");
            }
            Err(error) => panic!("shellcheck is required here and cannot run: {error}"),
        }
    }
}

#[test]
fn hostile_values_reach_ibmcloud_as_literal_words_and_inject_nothing() {
    let text = script(HOSTILE);
    // Every command, commented out or not, is run: review markers must not be what keeps a
    // payload from running.
    let uncommented: String = text
        .lines()
        .map(|line| {
            line.strip_prefix("# ibmcloud ")
                .map_or(line.to_owned(), |rest| format!("ibmcloud {rest}"))
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(uncommented.matches("\nibmcloud ").count() >= 9, "{uncommented}");
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    // The stub writes each argument NUL-terminated, and a record separator per call.
    let stub = write(
        &bin,
        "ibmcloud",
        "#!/usr/bin/env bash\nprintf '%s\\0' \"$@\" >> \"$CALLS\"\nprintf '\\036\\0' >> \"$CALLS\"\n",
    );
    let status = Command::new("chmod")
        .arg("+x")
        .arg(&stub)
        .status()
        .expect("chmod");
    assert!(status.success());
    let script = write(dir.path(), "fix.sh", &uncommented);
    let work = dir.path().join("work");
    std::fs::create_dir(&work).expect("work");
    let calls = dir.path().join("calls");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let output = Command::new("bash")
        .arg(&script)
        .current_dir(&work)
        .env("PATH", path)
        .env("CALLS", &calls)
        .output()
        .expect("bash runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let created: Vec<_> = std::fs::read_dir(&work)
        .expect("read work")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert!(created.is_empty(), "a payload ran: {created:?}");

    let log = std::fs::read(&calls).expect("calls recorded");
    let words: Vec<String> = log
        .split(|&b| b == 0)
        .map(|word| String::from_utf8_lossy(word).into_owned())
        .collect();
    let calls: Vec<Vec<String>> = words
        .split(|word| word == "\u{1e}")
        .filter(|call| !call.is_empty())
        .map(<[String]>::to_vec)
        .collect();
    let has_call = |expected: &[&str]| calls.iter().any(|call| call == expected);
    for expected in [
        &["target", "-c", "acc-1'; touch pwned-id; echo '"][..],
        &[
            "cr",
            "exemption-rm",
            "--scope",
            "*",
            "--issue-type",
            "cve\n touch pwned-newline",
            "--issue-id",
            "CVE-1 && touch pwned-and | cat; \"q\" \\ $HOME",
        ],
        &[
            "atracker",
            "setting",
            "update",
            "--default-targets",
            "t;touch pwned-target #",
        ],
        &[
            "iam",
            "access-group-policy-delete",
            "Public Access",
            "pol-$(touch pwned-policy)",
            "--force",
        ],
        &[
            "iam",
            "service-api-key-delete",
            "ApiKey-`touch pwned-key`",
            "ServiceId-$(touch pwned-identity)",
            "--force",
        ],
        &["cr", "region-set", "us-south"],
    ] {
        assert!(has_call(expected), "no call {expected:?} in {calls:#?}");
    }
    // A value that starts with `-` is an option whatever the quoting: the command is for review.
    assert!(
        text.contains("# CHECK: a value from the account starts with '-'"),
        "{text}"
    );
}

#[test]
fn without_dry_run_nothing_runs_and_the_error_says_why() {
    let output = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .args(["fix", HOSTILE])
        .output()
        .expect("regcheck runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("regcheck never runs fixes"));
}
