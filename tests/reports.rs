//! The reports a run writes as it goes (human, concise, statistics, JSON) on real runs of the
//! binary: folders of accounts in file order whatever finishes first, passes listed only when
//! asked for, the width taken from `COLUMNS`, a closed pipe that ends the output but not the
//! gate.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

fn regcheck(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A folder of accounts, each the example account under another id, so their findings differ
/// only by file and fingerprint; one file in the middle does not load.
fn folder(count: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(repository().join("examples/account.toml")).unwrap();
    std::fs::create_dir(dir.path().join("accounts")).unwrap();
    for at in 0..count {
        let text = example.replace(
            "id = \"0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b\"",
            &format!("id = \"acct{at:02}\""),
        );
        assert_ne!(text, example, "the example's id is where the test expects it");
        std::fs::write(dir.path().join(format!("accounts/team-{at:02}.toml")), text).unwrap();
    }
    std::fs::write(
        dir.path().join("accounts/team-05-broken.toml"),
        "schema_version = 1\n",
    )
    .unwrap();
    dir
}

#[test]
fn a_folder_is_reported_in_file_order_and_the_same_every_time() {
    let dir = folder(12);
    let args = [
        "audit",
        "accounts",
        "--as-of",
        "2026-11-26",
        "--format",
        "concise",
    ];
    let (code, first, stderr) = regcheck(dir.path(), &args, &[]);
    assert_eq!(code, 2, "one file does not load: {stderr}");
    let files: Vec<&str> = first
        .lines()
        .filter_map(|line| line.split(':').next())
        .filter(|file| file.starts_with("accounts/"))
        .collect();
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted, "accounts come in file order");
    assert!(
        first.contains("accounts/team-05-broken.toml: not audited"),
        "{first}"
    );
    assert_eq!(files.iter().filter(|f| f.ends_with("team-11.toml")).count(), 10);
    for _ in 0..3 {
        assert_eq!(
            regcheck(dir.path(), &args, &[]).1,
            first,
            "the same bytes every run"
        );
    }
    // The summary adds up every account.
    assert!(
        first.ends_with("error: 120 failing findings (12 critical, 24 high, 60 medium, 24 low); 1 error; gate fails on low and above\n"),
        "{first}"
    );
}

#[test]
fn json_lists_passes_only_when_asked_and_counts_them_always() {
    let dir = repository();
    let args = [
        "audit",
        "examples/account.toml",
        "--as-of",
        "2026-11-26",
        "--format",
        "json",
    ];
    let (_, plain, _) = regcheck(dir, &args, &[]);
    let plain: serde_json::Value = serde_json::from_str(&plain).unwrap();
    let statuses = |report: &serde_json::Value| -> Vec<String> {
        report["accounts"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["status"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(!statuses(&plain).contains(&"pass".to_owned()));
    let counted: u64 = plain["accounts"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["passes"].as_u64().unwrap())
        .sum();
    assert!(counted > 100, "{counted} passes counted");
    assert_eq!(plain["totals"]["findings"]["pass"], counted);

    let mut with_passes = args.to_vec();
    with_passes.push("--include-passes");
    let (_, listed, _) = regcheck(dir, &with_passes, &[]);
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let passes = statuses(&listed).iter().filter(|s| *s == "pass").count() as u64;
    assert_eq!(passes, counted, "every counted pass is listed");
    assert_eq!(listed["version"], 2);
}

#[test]
fn the_width_comes_from_columns_when_set() {
    let dir = repository();
    let args = ["audit", "examples/account.toml", "--as-of", "2026-11-26"];
    let width = |text: &str| text.lines().map(|line| line.chars().count()).max().unwrap_or(0);
    let (_, default, _) = regcheck(dir, &args, &[]);
    let (_, narrow, _) = regcheck(dir, &args, &[("COLUMNS", "72")]);
    assert!(width(&default) > 80, "100 columns when not a terminal");
    // The summary table and the diagnostics' text wrap at the width; the lines of the account
    // file shown in a diagnostic are shown as they are, and the closing summary is one line.
    let widest_body = narrow
        .lines()
        .filter(|line| line.starts_with("  ") && !line.contains('│') && !line.contains('·'))
        .chain(
            narrow
                .lines()
                .filter(|line| line.starts_with("  × ") || line.starts_with("  │ ")),
        )
        .map(|line| line.chars().count())
        .max()
        .unwrap_or(0);
    assert!(widest_body <= 72, "{widest_body} columns:\n{narrow}");
}

#[test]
fn a_closed_pipe_ends_the_output_but_not_the_gate() {
    let dir = folder(6);
    let mut child = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["audit", "accounts", "--as-of", "2026-11-26"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read the first bytes, then close the pipe, as `| head -c 100` would.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(2),
        "the gate's verdict (a file did not load): {stderr}"
    );
    assert!(!stderr.contains("cannot write"), "{stderr}");
}
