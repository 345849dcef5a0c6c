//! Hostile input files: what regcheck refuses at once (devices, FIFOs, folders, files over the
//! size limit), how the limit is raised, how many load errors it shows, and that a broken file's
//! error snippet masks the secret on the broken line.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

fn regcheck(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_regcheck"));
    command
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .env_remove("REGCHECK_MAX_FILE_SIZE");
    command
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

const VALID: &str = "schema_version = 1\n[account]\nid = \"acc-1\"\ncaptured_at = 2026-11-25T00:00:00Z\n";

#[cfg(unix)]
#[test]
fn a_device_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    // Reading /dev/zero would never end: the refusal must come before any read.
    let output = regcheck(dir.path())
        .args(["validate", "/dev/zero"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output).contains("cannot read /dev/zero: it is a character device, not a regular file"),
        "{}",
        text(&output)
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.toml");
    let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path and a mode.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
    // Opening a FIFO for reading would block until a writer comes: it must not be opened.
    let mut child = regcheck(dir.path())
        .args(["validate", "pipe.toml"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("regcheck blocked on a FIFO");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output).contains("a named pipe (FIFO), not a regular file"),
        "{}",
        text(&output)
    );
}

#[test]
fn a_file_over_the_limit_is_refused_with_how_to_raise_it() {
    let dir = tempfile::tempdir().unwrap();
    // A sparse 1 GiB file: it takes no disk space, and must not be read into memory.
    let sparse = std::fs::File::create(dir.path().join("big.toml")).unwrap();
    sparse.set_len(1 << 30).unwrap();
    let output = regcheck(dir.path())
        .args(["validate", "big.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let printed = text(&output);
    assert!(
        printed.contains("it is 1 GiB, over the 256 MiB limit on input files"),
        "{printed}"
    );
    assert!(printed.contains("--max-file-size"), "{printed}");
    assert!(printed.contains("REGCHECK_MAX_FILE_SIZE"), "{printed}");
}

#[test]
fn the_limit_is_set_by_the_flag_or_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), VALID).unwrap();
    let small = regcheck(dir.path())
        .args(["validate", "--max-file-size", "16", "a.toml"])
        .output()
        .unwrap();
    assert_eq!(small.status.code(), Some(2));
    assert!(
        text(&small).contains("over the 16 bytes limit"),
        "{}",
        text(&small)
    );

    let from_env = regcheck(dir.path())
        .env("REGCHECK_MAX_FILE_SIZE", "16")
        .args(["validate", "a.toml"])
        .output()
        .unwrap();
    assert_eq!(from_env.status.code(), Some(2));
    // The flag wins over the environment.
    let raised = regcheck(dir.path())
        .env("REGCHECK_MAX_FILE_SIZE", "16")
        .args(["validate", "--max-file-size", "1MiB", "a.toml"])
        .output()
        .unwrap();
    assert_eq!(raised.status.code(), Some(0), "{}", text(&raised));

    let nonsense = regcheck(dir.path())
        .env("REGCHECK_MAX_FILE_SIZE", "lots")
        .args(["validate", "a.toml"])
        .output()
        .unwrap();
    assert_eq!(nonsense.status.code(), Some(2));
    assert!(
        text(&nonsense).contains("REGCHECK_MAX_FILE_SIZE: `lots` is not a size"),
        "{}",
        text(&nonsense)
    );

    // The config file, policies and baselines are read under the same limit.
    std::fs::write(
        dir.path().join("regcheck.toml"),
        "fail_on = \"high\"\n".repeat(10),
    )
    .unwrap();
    let config = regcheck(dir.path())
        .args(["audit", "--max-file-size", "100", "a.toml"])
        .output()
        .unwrap();
    assert_eq!(config.status.code(), Some(2));
    assert!(
        text(&config).contains("cannot read config file regcheck.toml"),
        "{}",
        text(&config)
    );
}

#[test]
fn at_most_fifty_problems_are_shown_and_all_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let entries = "  1,\n".repeat(20_000);
    std::fs::write(
        dir.path().join("bad.toml"),
        format!("{VALID}[[registries]]\nregion = \"us-south\"\n[[namespaces]]\nname = \"shop-prod\"\nregion = \"us-south\"\n[[images]]\nref = \"us.icr.io/shop-prod/a:1\"\nenv = [\n{entries}]\n"),
    )
    .unwrap();
    let output = regcheck(dir.path())
        .args(["validate", "bad.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let printed = text(&output);
    assert_eq!(printed.matches("wrong type").count(), 50, "the first 50 in full");
    assert!(
        printed.contains("… and 19950 more problems (the first 50 are shown)"),
        "{printed}"
    );
    assert!(
        printed.contains("error: bad.toml did not load: 20000 problems"),
        "{printed}"
    );
    assert!(printed.len() < 100_000, "{} bytes printed", printed.len());
}

#[test]
fn a_broken_string_before_a_secret_shows_the_line_masked() {
    let dir = tempfile::tempdir().unwrap();
    // One missing quote before DB_PASSWORD: the syntax error's snippet shows the line.
    let secret = "Zq8xLmN3pQ7tR2vW";
    std::fs::write(
        dir.path().join("broken.toml"),
        format!("{VALID}[[images]]\nref = \"us.icr.io/ns/a:1\"\nenv = [\"A=1\", DB_PASSWORD={secret}\", \"B=2\"]\n# token: {secret}\n"),
    )
    .unwrap();
    let output = regcheck(dir.path())
        .args(["validate", "broken.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let printed = text(&output);
    assert!(printed.contains("DB_PASSWORD=[REDACTED]"), "{printed}");
    assert!(!printed.contains(&secret[..8]), "{printed}");
    // Only the first syntax error: no cascade.
    assert_eq!(printed.matches("TOML syntax error").count(), 1, "{printed}");
}
