//! No panic on the way out: standard error or output closed before regcheck writes, a finding
//! on a 70,000-character line, and odd terminals (`TERM=dumb`, `COLUMNS=0`, a huge `COLUMNS`,
//! on a real pseudo-terminal). A panic exits with 101 and prints `panicked`; every case here
//! must end with regcheck's own exit code (0, 1 or 2).

use std::path::Path;
use std::process::{Command, Stdio};

fn regcheck() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_regcheck"));
    command.env("NO_COLOR", "1").env_remove("COLUMNS");
    command
}

const ACCOUNT_HEAD: &str = "schema_version = 1\n[account]\nid = \"acc-1\"\ncaptured_at = 2026-11-25T00:00:00Z\n[[registries]]\nregion = \"us-south\"\n[[namespaces]]\nname = \"shop-prod\"\nregion = \"us-south\"\n[[images]]\nref = \"us.icr.io/shop-prod/api:1.0.0\"\n";

/// A file with many load errors, so that standard error has much to say.
fn bad_account(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("bad.toml");
    let entries = "  1,\n".repeat(200);
    std::fs::write(&path, format!("{ACCOUNT_HEAD}env = [\n{entries}]\n")).unwrap();
    path
}

fn assert_exit_code(output: &std::process::Output, expected: i32, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert_eq!(output.status.code(), Some(expected), "{what}: {stderr}");
}

#[test]
fn standard_error_closed_before_the_errors_are_printed() {
    // `regcheck validate bad.toml 2>&1 >/dev/null | head -1`, with the reader gone at once.
    let dir = tempfile::tempdir().unwrap();
    let bad = bad_account(dir.path());
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = regcheck()
        .arg("validate")
        .arg(&bad)
        .stdout(Stdio::null())
        .stderr(writer)
        .status()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(2),
        "exit code 2 for the invalid file, not a panic's 101"
    );
}

#[test]
fn standard_output_closed_before_the_report_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let account = dir.path().join("a.toml");
    std::fs::write(&account, ACCOUNT_HEAD).unwrap();
    for format in ["human", "json", "sarif"] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = regcheck()
            .args(["audit", "--as-of", "2026-11-26", "--format", format])
            .arg(&account)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        // The audit's own verdict (findings: 1), the closed pipe being no error of its.
        assert_exit_code(&output, 1, format);
    }
    // Both closed.
    let (out_reader, out_writer) = std::io::pipe().unwrap();
    let (err_reader, err_writer) = std::io::pipe().unwrap();
    drop((out_reader, err_reader));
    let status = regcheck()
        .arg("validate")
        .arg(bad_account(dir.path()))
        .stdout(out_writer)
        .stderr(err_writer)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
}

#[test]
fn a_finding_on_a_70000_character_line_in_a_valid_account() {
    let dir = tempfile::tempdir().unwrap();
    let account = dir.path().join("wide.toml");
    // The e-mail address in a label is a finding (ICR-SEC-005) whose key sits at column
    // 70,000 and more: above miette's 65,535 limit.
    let line = format!(
        "labels = {{ note = \"{}\", maintainer = \"dev@shop.example\" }}",
        "y".repeat(70_000)
    );
    let column = line.find("maintainer").unwrap() + 1;
    let line_number = ACCOUNT_HEAD.lines().count() + 1;
    std::fs::write(&account, format!("{ACCOUNT_HEAD}{line}\n")).unwrap();
    let output = regcheck()
        .args(["audit", "--as-of", "2026-11-26", "--format", "human"])
        .arg(&account)
        .output()
        .unwrap();
    assert_exit_code(&output, 1, "human report of a wide line");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("ICR-SEC-005"), "{stdout}");
    assert!(column > 65_535);
    assert!(
        stdout.contains(&format!("wide.toml:{line_number}:{column}")),
        "the true column: {stdout}"
    );
    assert!(stdout.contains('…'), "the line is clipped around the finding");
    assert!(
        stdout.lines().all(|line| line.chars().count() < 400),
        "no line prints the 70,000 characters"
    );
}

/// Runs regcheck on a pseudo-terminal (so it draws for a terminal), with `env` set; returns
/// the exit code and what it printed.
#[cfg(target_os = "linux")]
fn on_a_terminal(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    use std::io::Read;
    use std::os::fd::{FromRawFd, OwnedFd};

    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two file descriptors into the given places; null name, termios
    // and window size are allowed.
    let opened = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(opened, 0, "openpty");
    // SAFETY: both descriptors were just opened and are owned here alone.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut command = regcheck();
    command.env_remove("NO_COLOR");
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command
        .args(args)
        .stdin(Stdio::null())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave)
        .spawn()
        .unwrap();
    // The command holds the slave ends; ours are closed now, so reading ends with the child.
    drop(command);
    let mut printed = Vec::new();
    let mut master = std::fs::File::from(master);
    let mut buffer = [0u8; 65536];
    loop {
        match master.read(&mut buffer) {
            Ok(0) | Err(_) => break, // EIO once the child has closed the terminal
            Ok(n) => printed.extend_from_slice(&buffer[..n]),
        }
    }
    let status = child.wait().unwrap();
    (status.code(), String::from_utf8_lossy(&printed).into_owned())
}

#[cfg(target_os = "linux")]
#[test]
fn odd_terminals_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let bad = bad_account(dir.path());
    let bad = bad.to_str().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, ACCOUNT_HEAD).unwrap();
    let good = good.to_str().unwrap();
    for env in [
        vec![("TERM", "dumb")],
        vec![("COLUMNS", "0")],
        vec![("COLUMNS", "1")],
        vec![("COLUMNS", "18446744073709551615")],
        vec![("COLUMNS", "99999999999999999999999")],
        vec![("COLUMNS", "-5"), ("TERM", "")],
        vec![("TERM", "dumb"), ("COLUMNS", "0"), ("CLICOLOR_FORCE", "1")],
    ] {
        let (code, printed) = on_a_terminal(&["validate", bad], &env);
        assert_eq!(code, Some(2), "{env:?}: {printed}");
        assert!(!printed.contains("panicked"), "{env:?}: {printed}");
        assert!(printed.contains("wrong type"), "{env:?}: {printed}");
        let (code, printed) = on_a_terminal(&["audit", good, "--as-of", "2026-11-26"], &env);
        assert_eq!(code, Some(1), "{env:?}: {printed}");
        assert!(!printed.contains("panicked"), "{env:?}: {printed}");
    }
}
