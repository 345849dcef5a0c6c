//! Writes that never destroy (issue 10, item 5), through the binary: every file regcheck writes
//! (`--report`, `--write-baseline`, `init`) goes through `regcheck::write::write_file`, which
//! follows links, writes streams in place and refuses what it must not replace.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt, symlink};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const ACCOUNT: &str = "schema_version = 1\n[account]\nid = \"acc-1\"\ncaptured_at = 2026-11-25\n";
const POLICY: &str = "id = \"T-1\"\ntitle = \"t\"\nseverity = \"low\"\nresponsibility = \"TEST\"\nfor_each = \"$\"\nassert = \"false\"\nsubject = \"account:{item.account.id}\"\nmessage = \"fails\"\n";

/// A folder with an account and one always-failing policy.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("policies")).unwrap();
    fs::write(dir.path().join("policies/T-1.toml"), POLICY).unwrap();
    fs::write(dir.path().join("account.toml"), ACCOUNT).unwrap();
    dir
}

fn audit(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_regcheck"));
    command
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args([
            "audit",
            "account.toml",
            "--as-of",
            "2026-11-26",
            "--no-default-policies",
        ])
        .args(["--policies", "policies"])
        .args(args);
    command
}

fn run(mut command: Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn is_sarif(text: &str) -> bool {
    text.starts_with('{') && text.contains("\"$schema\"") && text.contains("\"version\": \"2.1.0\"")
}

#[test]
fn a_report_to_dev_stdout_goes_to_standard_output_and_leaves_dev_stdout_alone() {
    let dir = fixture();
    // Standard output a pipe, as in CI.
    let (code, stdout, stderr) = run(audit(
        dir.path(),
        &["--report", "sarif=/dev/stdout", "--format", "markdown"],
    ));
    assert_eq!(code, 1, "{stderr}");
    assert!(is_sarif(&stdout), "the SARIF report comes first: {stdout}");
    assert!(stdout.contains("T-1"), "then the markdown report: {stdout}");
    // Standard output redirected to a file (`> out.txt`): both reports end up in it, in order.
    let out = dir.path().join("out.txt");
    let mut command = audit(dir.path(), &["--report", "sarif=/dev/stdout", "--format", "json"]);
    command.stdout(Stdio::from(fs::File::create(&out).unwrap()));
    let (code, _, stderr) = run(command);
    assert_eq!(code, 1, "{stderr}");
    let written = fs::read_to_string(&out).unwrap();
    assert!(is_sarif(&written), "{written}");
    assert!(
        written.contains("\"exit_code\": 1"),
        "the JSON report follows the SARIF one: {written}"
    );
    // /dev/stdout is still the link it was: a rename over it (as root) would have replaced it.
    let meta = fs::symlink_metadata("/dev/stdout").unwrap();
    assert!(meta.file_type().is_symlink(), "/dev/stdout is still a link");
}

#[test]
fn a_symlinked_report_target_is_followed_and_stays_a_link() {
    let dir = fixture();
    fs::create_dir(dir.path().join("reports")).unwrap();
    fs::write(dir.path().join("reports/results.sarif"), "old").unwrap();
    symlink("reports/results.sarif", dir.path().join("results.sarif")).unwrap();
    symlink("reports/baseline.json", dir.path().join("baseline.json")).unwrap();
    fs::write(dir.path().join("reports/baseline.json"), "{}").unwrap();
    let (code, _, stderr) = run(audit(
        dir.path(),
        &[
            "--report",
            "sarif=results.sarif",
            "--write-baseline",
            "baseline.json",
        ],
    ));
    assert_eq!(code, 1, "{stderr}");
    for (link, target) in [
        ("results.sarif", "reports/results.sarif"),
        ("baseline.json", "reports/baseline.json"),
    ] {
        let meta = fs::symlink_metadata(dir.path().join(link)).unwrap();
        assert!(meta.file_type().is_symlink(), "{link} is still a link");
        let written = fs::read_to_string(dir.path().join(target)).unwrap();
        assert!(
            written.starts_with('{') && written.len() > 2,
            "{target} was written: {written}"
        );
    }
}

#[test]
fn a_fifo_report_target_is_written_in_place() {
    let dir = fixture();
    let fifo = dir.path().join("results.pipe");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
    };
    let (code, _, stderr) = run(audit(dir.path(), &["--report", "sarif=results.pipe"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(is_sarif(&reader.join().unwrap()), "the reader got the report");
    assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo(), "still a FIFO");
}

#[test]
fn a_dangling_symlink_is_refused_with_exit_2_and_left_as_it_is() {
    let dir = fixture();
    symlink("missing/results.sarif", dir.path().join("results.sarif")).unwrap();
    let (code, _, stderr) = run(audit(dir.path(), &["--report", "sarif=results.sarif"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "error: cannot write report results.sarif: it is a symbolic link to missing/results.sarif, which does not exist"
        ),
        "{stderr}"
    );
    assert!(
        fs::symlink_metadata(dir.path().join("results.sarif"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        !dir.path().join("missing").exists(),
        "nothing created behind the link"
    );

    symlink("gone.json", dir.path().join("baseline.json")).unwrap();
    let (code, _, stderr) = run(audit(dir.path(), &["--write-baseline", "baseline.json"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error: cannot write baseline baseline.json: it is a symbolic link to gone.json"),
        "{stderr}"
    );
}

/// The process umask, read from /proc (the child inherits it).
fn umask() -> u32 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|line| line.starts_with("Umask:")).unwrap();
    u32::from_str_radix(line.split_whitespace().nth(1).unwrap(), 8).unwrap()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn new_files_get_the_umask_default_mode() {
    let dir = fixture();
    let (code, _, stderr) = run(audit(
        dir.path(),
        &[
            "--report",
            "json=report.json",
            "--write-baseline",
            "baseline.json",
        ],
    ));
    assert_eq!(code, 1, "{stderr}");
    let expected = 0o666 & !umask();
    assert_eq!(
        mode(&dir.path().join("report.json")),
        expected,
        "not tempfile's 0600"
    );
    assert_eq!(mode(&dir.path().join("baseline.json")), expected);
    let (code, _, _) = run({
        let mut init = Command::new(env!("CARGO_BIN_EXE_regcheck"));
        init.current_dir(dir.path()).args(["init", "--dir", "starter"]);
        fs::create_dir(dir.path().join("starter")).unwrap();
        init
    });
    assert_eq!(code, 0);
    assert_eq!(mode(&dir.path().join("starter/account.toml")), expected);
    assert_eq!(mode(&dir.path().join("starter/regcheck.toml")), expected);
}

#[test]
fn init_writes_through_a_link_and_refuses_a_dangling_one() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("shared")).unwrap();
    fs::write(dir.path().join("shared/regcheck.toml"), "# old").unwrap();
    symlink("shared/regcheck.toml", dir.path().join("regcheck.toml")).unwrap();
    let init = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_regcheck"));
        command.current_dir(dir.path()).arg("init").args(args);
        run(command)
    };
    let (code, _, stderr) = init(&["--force"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        fs::symlink_metadata(dir.path().join("regcheck.toml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        fs::read_to_string(dir.path().join("shared/regcheck.toml"))
            .unwrap()
            .len()
            > 10
    );

    fs::remove_file(dir.path().join("account.toml")).unwrap();
    symlink("nowhere/account.toml", dir.path().join("account.toml")).unwrap();
    let (code, _, stderr) = init(&["--force"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("it is a symbolic link to nowhere/account.toml, which does not exist"),
        "{stderr}"
    );
}
