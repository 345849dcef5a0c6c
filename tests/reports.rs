//! The CI-facing reports at their limits, through the library: Markdown under GitHub's 1 MiB
//! step-summary limit, annotations within 10 per level, JUnit that XML parsers accept whatever
//! the account holds. Every list most severe first.
//!
//! The JUnit files are also written to `target/junit-tests/`, where `.ci/run` validates them
//! against Jenkins' junit-10 XSD with lxml.
//!
//! Also the reports a run writes as it goes (human, concise, statistics, JSON) on real runs of
//! the binary: folders of accounts in file order whatever finishes first, passes listed only
//! when asked for, the width taken from `COLUMNS`, a closed pipe that ends the output but not
//! the gate.

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use regcheck::audit::{self, AuditReport, FailOn, Judgement};
use regcheck::diagnostic::SourceText;
use regcheck::engine::Settings;
use regcheck::findings::Severity;
use regcheck::policy::{self, Policy};
use regcheck::report::{github, junit, markdown};

fn junit_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../junit-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A rule failing on every element of `for_each` that `when` selects.
fn rule(id: &str, severity: &str, for_each: &str, when: &str, subject: &str, message: &str) -> SourceText {
    SourceText::new(
        format!("policies/{id}.toml"),
        format!(
            "id = \"{id}\"\ntitle = \"{severity} test rule\"\nseverity = \"{severity}\"\nresponsibility = \"TEST\"\nfor_each = \"{for_each}\"\nwhen = \"{when}\"\nassert = \"false\"\nsubject = \"{subject}\"\nmessage = \"{message}\"\n"
        ),
    )
}

fn policies(sources: Vec<SourceText>) -> Vec<Arc<Policy>> {
    policy::load_sources(sources, false).unwrap_or_else(|e| panic!("{:?}", e.diagnostics))
}

/// An account of `images` images; every 500th is named `crit-…`.
fn account_text(name: &str, images: usize) -> String {
    let mut text = format!(
        "schema_version = 1\n[account]\nid = \"acc-1\"\nname = \"{name}\"\ncaptured_at = 2026-11-25\n[[registries]]\nregion = \"us-south\"\n[[namespaces]]\nname = \"shop-prod\"\nregion = \"us-south\"\n"
    );
    for i in 0..images {
        let kind = if i % 500 == 499 { "crit" } else { "app" };
        let _ = write!(text, "[[images]]\nref = \"us.icr.io/shop-prod/{kind}-{i}:1\"\n");
    }
    text
}

/// Audits the accounts (and the texts that fail to load) with the given rules.
fn audit(accounts: &[(&str, String)], rules: Vec<SourceText>) -> AuditReport {
    let mut loaded = Vec::new();
    let mut failed = Vec::new();
    for (name, text) in accounts {
        match regcheck::account::load_str(name, text.as_str()) {
            Ok(account) => loaded.push(account),
            Err(error) => failed.push(((*name).to_owned(), error)),
        }
    }
    let settings = Settings::new(Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap());
    audit::run(
        loaded,
        failed,
        policies(rules),
        &settings,
        FailOn(Some(Severity::Low)),
        &Judgement::default(),
    )
}

fn image_rules() -> Vec<SourceText> {
    vec![
        rule(
            "T-LOW",
            "low",
            "$.images[*]",
            "true",
            "image:{item.ref}",
            "low finding on {item.ref}",
        ),
        rule(
            "T-CRIT",
            "critical",
            "$.images[*]",
            "item.ref.contains('/crit-')",
            "image:{item.ref}",
            "critical finding on {item.ref}",
        ),
    ]
}

fn render(write: impl Fn(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    write(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn markdown_stays_under_one_mebibyte_keeping_the_most_severe() {
    // 10,000 images, each failing once: far more than 1 MiB of table rows.
    let report = audit(&[("big.toml", account_text("big", 10_000))], image_rules());
    let text = render(|out| markdown::write(&report, out));
    assert!(text.len() < markdown::MAX_BYTES, "{} bytes", text.len());
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("| critical ") || l.starts_with("| low "))
        .collect();
    assert!(rows.len() > 1000, "as many rows as fit");
    assert!(
        rows[..20].iter().all(|row| row.starts_with("| critical ")),
        "the 20 critical findings come first"
    );
    let left_out = 10_020 - rows.len();
    assert!(
        text.contains(&format!("_{left_out} more findings are not listed")),
        "says how many were left out ({left_out})"
    );
}

#[test]
fn markdown_keeps_account_data_inside_code_spans_and_cells() {
    let name = "a`b``c|d *e* <f>";
    let account = account_text(&name.replace('\\', "\\\\"), 0);
    let report = audit(
        &[("odd.toml", account)],
        vec![rule(
            "T-NAME",
            "high",
            "$",
            "true",
            "account:{item.account.name}",
            "bad name {item.account.name}",
        )],
    );
    let text = render(|out| markdown::write(&report, out));
    let row = text.lines().find(|l| l.starts_with("| high ")).unwrap();
    assert!(row.contains("```account:a`b``c\\|d *e* <f>```"), "{row}");
    assert!(row.contains("bad name a\\`b\\`\\`c\\|d \\*e\\* \\<f\\>"), "{row}");
    // Five cells: the data's pipe did not open a sixth.
    let unescaped_pipes = row.replace("\\|", "").matches('|').count();
    assert_eq!(unescaped_pipes, 6, "{row}");
}

#[test]
fn markdown_within_a_small_limit_says_how_many_were_left_out() {
    let report = audit(&[("a.toml", account_text("a", 300))], image_rules());
    let text = render(|out| markdown::write_within(&report, 16 * 1024, out));
    assert!(text.len() <= 16 * 1024);
    assert!(text.contains("more findings are not listed"), "{text}");
}

#[test]
fn annotations_put_load_errors_first_and_stay_within_ten_per_level() {
    let broken = "schema_version = 1\n[account]\nid = \"x\"\ncaptured_at = 2026-11-25\n[[registries]]\nregion = \"us-suoth\"\n".to_owned();
    let mut rules = image_rules();
    rules.push(rule(
        "T-MED",
        "medium",
        "$.images[*]",
        "true",
        "image:{item.ref}",
        "medium finding",
    ));
    rules.push(rule(
        "T-HIGH",
        "high",
        "$.images[*]",
        "true",
        "image:{item.ref}",
        "high finding",
    ));
    let report = audit(
        &[
            ("z-big.toml", account_text("big", 1_000)),
            ("a-broken.toml", broken),
        ],
        rules,
    );
    let text = render(|out| github::write(&report, out));
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("::error file=a-broken.toml,line=6,col=10,title=regcheck%3A a-broken.toml did not load::unknown registry region"),
        "{}",
        lines[0]
    );
    let count = |prefix: &str| lines.iter().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(count("::error "), 10);
    assert_eq!(count("::warning "), 10);
    assert_eq!(count("::notice "), 10, "nine findings and the closing summary");
    // The first errors after the load error are the critical findings.
    assert!(
        lines[1..3].iter().all(|l| l.contains("[critical]")),
        "{:?}",
        &lines[..3]
    );
    let last = lines.last().unwrap();
    assert!(last.starts_with("::notice title=regcheck summary::1 account file audited: 3002 failing findings (2 critical, 1000 high, 1000 medium, 1000 low)"), "{last}");
    assert!(last.contains("1 file did not load (1 problem)"), "{last}");
    // What did not fit is in the log as plain lines that the runner cannot take for commands.
    let plain = lines.iter().filter(|l| l.starts_with("regcheck: ")).count();
    assert_eq!(plain, 1 + 3002 - 29, "every load error and finding is somewhere");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("::") || l.starts_with("regcheck: "))
    );
}

#[test]
fn annotations_cannot_be_forged_by_account_data() {
    let name = "x\n::error::forged\r\n##[error]legacy %0A";
    let account = account_text(&name.replace('\n', "\\n").replace('\r', "\\r"), 0);
    let report = audit(
        &[("odd.toml", account)],
        vec![rule(
            "T-NAME",
            "high",
            "$",
            "true",
            "account:{item.account.name}",
            "bad name {item.account.name}",
        )],
    );
    let text = render(|out| github::write(&report, out));
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        !text.contains("\n::error::forged") && !text.contains("##[error]"),
        "{text}"
    );
    assert!(
        text.contains("x%0A::error::forged%0D%0A# #[error]legacy %250A"),
        "{text}"
    );
}

#[test]
fn junit_filters_characters_xml_forbids_and_lists_failing_cases_first() {
    // U+FFFE, U+FFFF and a C0 control in account data: XML 1.0 cannot carry them.
    let account = account_text("bad\\uFFFEname\\uFFFF\\u0001", 3);
    let report = audit(
        &[("odd.toml", account)],
        vec![rule(
            "T-NAME",
            "high",
            "$",
            "true",
            "account:{item.account.name}",
            "bad name {item.account.name}",
        )],
    );
    let text = render(|out| junit::write(&report, out));
    assert!(
        !text
            .chars()
            .any(|c| matches!(c, '\u{FFFE}' | '\u{FFFF}' | '\u{1}')),
        "{text}"
    );
    assert!(text.contains("bad\u{FFFD}name\u{FFFD}\u{FFFD}"), "{text}");
    std::fs::write(junit_dir().join("forbidden-characters.xml"), &text).unwrap();

    let big = audit(&[("big.toml", account_text("big", 600))], image_rules());
    let text = render(|out| junit::write(&big, out));
    // Failing test cases first, most severe first.
    let first_case = text.find("<testcase").unwrap();
    assert!(
        text[first_case..].starts_with("<testcase name=\"T-CRIT"),
        "{}",
        &text[first_case..first_case + 80]
    );
    std::fs::write(junit_dir().join("big.xml"), &text).unwrap();
}

/// `regcheck audit ARGS` in the repository root: exit code, standard output, standard error.
fn regcheck(args: &[&str]) -> (i32, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
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
fn junit_shows_waived_and_expired_waivers() {
    let (code, text, stderr) = regcheck(&[
        "audit",
        "examples/account.toml",
        "--as-of",
        "2026-11-26",
        "--config",
        "tests/fixtures/config/waivers.toml",
        "--format",
        "junit",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        text.contains("<system-out>waived until 2026-12-31: Tokyo pilot"),
        "{text}"
    );
    assert!(
        text.contains("(waiver expired 2026-11-01: the staging password is a throwaway demo value)"),
        "{text}"
    );
    std::fs::write(junit_dir().join("waivers.xml"), &text).unwrap();
}

/// A config error audits nothing, but the CI-facing reports still say why (and no SARIF is
/// written, whose empty result list would close every open alert).
#[test]
fn a_config_error_gives_an_annotation_and_report_files() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("regcheck.xml");
    let summary = dir.path().join("summary.md");
    let sarif = dir.path().join("regcheck.sarif");
    let report = |path: &Path, format: &str| format!("{format}={}", path.display());
    let (code, stdout, stderr) = regcheck(&[
        "audit",
        "examples/account.toml",
        "--config",
        "tests/fixtures/config/typo.toml",
        "--format",
        "github",
        "--report",
        &report(&junit, "junit"),
        "--report",
        &report(&summary, "markdown"),
        "--report",
        &report(&sarif, "sarif"),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stdout.starts_with("::error file=tests/fixtures/config/typo.toml,line=2,col=8,title=regcheck%3A tests/fixtures/config/typo.toml did not load::unknown rule id `ICR-ACC-03`"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("::notice title=regcheck summary::")
    );
    let junit = std::fs::read_to_string(&junit).unwrap();
    assert!(
        junit.contains(
            "<error message=\"the file did not load\">tests/fixtures/config/typo.toml:2:8: unknown rule id"
        ),
        "{junit}"
    );
    std::fs::write(junit_dir().join("config-error.xml"), &junit).unwrap();
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.starts_with("## regcheck audit: ⚠️ error"), "{summary}");
    assert!(summary.contains("unknown rule id"), "{summary}");
    assert!(!sarif.exists(), "no SARIF upload that would close every alert");
}

// The streamed reports, on real runs of the binary.

fn regcheck_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
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
    let (code, first, stderr) = regcheck_in(dir.path(), &args, &[]);
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
            regcheck_in(dir.path(), &args, &[]).1,
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
    let (_, plain, _) = regcheck_in(dir, &args, &[]);
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
    let (_, listed, _) = regcheck_in(dir, &with_passes, &[]);
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
    let (_, default, _) = regcheck_in(dir, &args, &[]);
    let (_, narrow, _) = regcheck_in(dir, &args, &[("COLUMNS", "72")]);
    assert!(width(&default) > 80, "100 columns when not a terminal");
    // The summary table and the diagnostics' text wrap at the width; the lines of the account
    // file shown in a diagnostic are shown as they are, the closing summary is one line, and so
    // is a fix command (to be copied whole).
    let widest_body = narrow
        .lines()
        .filter(|line| line.starts_with("  ") && !line.contains('│') && !line.contains('·'))
        .filter(|line| !line.starts_with("  fix"))
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

/// An account captured after the as-of time is not audited, and no report says it did not
/// load: it did, and the others in the run are still audited (exit 2, errors beat findings).
#[test]
fn an_account_captured_after_the_as_of_time_is_an_error_worded_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(repository().join("examples/account.toml")).unwrap();
    let later = example.replace(
        "captured_at = 2026-11-25T06:00:00Z",
        "captured_at = 2026-12-01T06:00:00Z",
    );
    assert_ne!(
        later, example,
        "the example's capture time is where the test expects it"
    );
    std::fs::write(dir.path().join("a-now.toml"), &example).unwrap();
    std::fs::write(dir.path().join("b-later.toml"), later).unwrap();
    let run = |format: &str| {
        regcheck_in(
            dir.path(),
            &[
                "audit",
                "a-now.toml",
                "b-later.toml",
                "--as-of",
                "2026-11-26",
                "--format",
                format,
            ],
            &[],
        )
    };
    let (code, stdout, stderr) = run("concise");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("error: b-later.toml cannot be audited at this as-of time: 1 problem"),
        "{stderr}"
    );
    assert!(
        stdout.contains("b-later.toml: not audited: its evidence was captured after the as-of time"),
        "{stdout}"
    );
    assert!(
        stdout.contains("a-now.toml:27:1: ICR-AT-001"),
        "the other account is audited: {stdout}"
    );
    for format in ["human", "concise", "github", "markdown", "junit", "sarif", "html"] {
        let (code, stdout, _) = run(format);
        assert_eq!(code, 2, "{format}");
        assert!(!stdout.contains("did not load"), "{format}: {stdout}");
    }
    let (_, github, _) = run("github");
    assert!(
        github.contains("title=regcheck%3A b-later.toml cannot be audited at this as-of time::"),
        "{github}"
    );
}

/// The deepest expression a policy may hold evaluates on every path of the driver: a tiny
/// account on the calling thread, several small accounts side by side on the audit's workers.
#[test]
fn the_deepest_allowed_expression_evaluates_on_every_path() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(repository().join("examples/account.toml")).unwrap();
    std::fs::write(dir.path().join("a.toml"), &example).unwrap();
    std::fs::write(dir.path().join("b.toml"), &example).unwrap();
    // 47 nested `exists` (some 100 levels of syntax tree): one more is a load error.
    let nested = |levels: usize| {
        (0..levels).fold("item.name.size() > 0".to_owned(), |inner, at| {
            format!("[{at}].exists(v{at}, {inner})")
        })
    };
    let policy = |levels: usize| {
        format!(
            "id = \"ACME-DEEP-001\"\ntitle = \"deep\"\nseverity = \"low\"\nresponsibility = \"ACME\"\nfor_each = \"$.namespaces[*]\"\nassert = \"!({})\"\nsubject = \"namespace:{{item.name}}\"\nmessage = \"m\"\n",
            nested(levels)
        )
    };
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    let rule = dir.path().join("policies/deep.toml");
    std::fs::write(&rule, policy(48)).unwrap();
    let args = |files: &[&'static str]| {
        let mut args = vec![
            "audit",
            "--no-default-policies",
            "--policies",
            "policies",
            "--as-of",
            "2026-11-26",
        ];
        args.extend_from_slice(files);
        args
    };
    let (code, _, stderr) = regcheck_in(dir.path(), &args(&["a.toml"]), &[]);
    assert_eq!(code, 2, "48 levels is past the limit: {stderr}");
    assert!(stderr.contains("nests more than 100 levels deep"), "{stderr}");
    std::fs::write(&rule, policy(47)).unwrap();
    for files in [&["a.toml"][..], &["a.toml", "b.toml"]] {
        let (code, stdout, stderr) = regcheck_in(dir.path(), &args(files), &[]);
        assert_eq!(code, 1, "{files:?}: {stderr}");
        assert!(stdout.contains("ACME-DEEP-001"), "{stdout}");
    }
}
