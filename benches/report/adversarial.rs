//! The adversarial benchmark: hostile inputs at 1×, 10× and 100× their base size, run through
//! the regcheck binary as a user runs it (whole process, start-up included), to show that time
//! grows linearly (×10 per step, or less where start-up still counts) and memory stays bounded.
//!
//!     cargo build --release && cargo run --release --example bench-adversarial
//!     cargo run --release --example bench-adversarial -- history-equals load-errors  # some cases
//!
//! Each case writes one account file per size to a temporary folder and runs one command on it
//! (median wall time of 3 runs, peak RSS of the child from `wait4`). The report (Markdown, on
//! stdout) gives the times, the growth ratios t(10×)/t(1×) and t(100×)/t(10×), and the peaks.
//! A quadratic scan shows as a ratio near 100. Each run is stopped after 120 s (the quadratic
//! scans this benchmark was written against took 30-60 s at 100×).
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::disallowed_macros)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a case runs on its file.
#[derive(Clone, Copy)]
enum Run {
    Validate,
    Audit(&'static str),
}

struct Case {
    name: &'static str,
    what: &'static str,
    /// The unit its size counts.
    unit: &'static str,
    base: usize,
    run: Run,
    /// Writes the account file for `n` units.
    make: fn(usize) -> String,
    /// Splits the input into this many files of a folder (`None`: one file).
    files: Option<fn(usize) -> usize>,
}

const HEAD: &str = r#"schema_version = 1
[account]
id = "acc-adversarial"
captured_at = 2026-11-25T00:00:00Z
[[registries]]
region = "us-south"
[[namespaces]]
name = "shop-prod"
region = "us-south"
criticality = "production"
[[images]]
ref = "us.icr.io/shop-prod/api:1.0.0"
created = 2026-11-01T00:00:00Z
"#;

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "history-equals",
            files: None,
            what: "one history line of `=` (was a backwards scan per `=`: 40 s at 100 KB)",
            unit: "bytes",
            base: 10_000,
            run: Run::Audit("human"),
            make: |n| format!("{HEAD}history = [\"{}\"]\n", "=".repeat(n)),
        },
        Case {
            name: "history-secret-names",
            files: None,
            what: "one history line of `PASSWORD=` repeated (every `=` after a secret name)",
            unit: "bytes",
            base: 10_000,
            run: Run::Audit("json"),
            make: |n| format!("{HEAD}history = [\"{}\"]\n", "PASSWORD=".repeat(n / 9)),
        },
        Case {
            name: "layer-paths-one-line",
            files: None,
            what: "credential-file `layer_paths` on one line, one finding each (was 40 s at 100k)",
            unit: "paths",
            base: 1_000,
            run: Run::Audit("json"),
            make: |n| {
                let paths: Vec<String> = (0..n).map(|i| format!("\"/app/d{i}/.env\"")).collect();
                format!("{HEAD}layer_paths = [{}]\n", paths.join(","))
            },
        },
        Case {
            name: "layer-paths-human",
            files: None,
            what: "the same paths one per line, human report (a miette diagnostic per finding)",
            unit: "paths",
            base: 1_000,
            run: Run::Audit("human"),
            make: |n| {
                let paths: String = (0..n).map(|i| format!("  \"/app/d{i}/.env\",\n")).collect();
                format!("{HEAD}layer_paths = [\n{paths}]\n")
            },
        },
        Case {
            name: "load-errors",
            files: None,
            what: "wrong-type env entries, one load error each (50 shown, the rest counted)",
            unit: "errors",
            base: 200,
            run: Run::Validate,
            make: |n| format!("{HEAD}env = [\n{}]\n", "  1,\n".repeat(n)),
        },
        Case {
            name: "long-line",
            files: None,
            what: "a valid account with one long label value on the finding's line, human report",
            unit: "characters",
            base: 7_000,
            run: Run::Audit("human"),
            make: |n| {
                format!(
                    "{HEAD}labels = {{ note = \"{}\", maintainer = \"a@b.c\" }}\n",
                    "y".repeat(n)
                )
            },
        },
        Case {
            name: "syntax-cascade",
            files: None,
            what: "one missing quote, then many lines (only the first syntax error is reported)",
            unit: "lines",
            base: 1_000,
            run: Run::Validate,
            make: |n| {
                format!(
                    "{HEAD}env = [\"A=1\", DB_PASSWORD=x\", \"B=2\"]\n{}",
                    "k = \"v\"\n".repeat(n)
                )
            },
        },
        Case {
            name: "comments-and-secrets",
            files: None,
            what: "comment lines with secret-named assignments and tokens (the raw redaction scan)",
            unit: "lines",
            base: 1_000,
            run: Run::Validate,
            make: |n| {
                let line = "# api_token: Zq8xLmN3pQ7 DB_PASSWORD=hunter22 eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl\n";
                format!("{HEAD}{}", line.repeat(n))
            },
        },
        Case {
            name: "pem-headers",
            files: None,
            what: "a label of repeated private-key headers without END lines",
            unit: "headers",
            base: 200,
            run: Run::Audit("json"),
            make: |n| {
                format!(
                    "{HEAD}labels = {{ key = \"{}\" }}\n",
                    "-----BEGIN RSA PRIVATE KEY----- ".repeat(n)
                )
            },
        },
        Case {
            name: "many-files",
            files: Some(|n| n),
            what: "a folder of small accounts, each with its own secrets (the redaction point learns every file's)",
            unit: "files",
            base: 20,
            run: Run::Audit("json"),
            make: |i| {
                format!(
                    "{HEAD}env = [\"DB_PASSWORD=Zq8x{i:06}Lm\", \"GH=ghp_{i:06}aB3dE5gH9kLmN0pQrStUvWxYz12345\"]\n"
                )
            },
        },
        Case {
            name: "tokens-one-line",
            files: None,
            what: "an env entry of many tokens (every detection resolved against the others)",
            unit: "tokens",
            base: 200,
            run: Run::Audit("sarif"),
            make: |n| {
                let tokens: String = (0..n)
                    .map(|i| format!("ghp_{i:06}aB3dE5gH9kLmN0pQrStUvWxYz12345 "))
                    .collect();
                format!("{HEAD}env = [\"T={tokens}\"]\n")
            },
        },
        Case {
            name: "iam-policies",
            files: None,
            what: "account-wide Manager policies and access groups (ICR-IAM-003's `filter`/`map` over every policy; was quadratic: 0.6 s at 10,000)",
            unit: "policies",
            base: 100,
            run: Run::Audit("sarif"),
            make: |n| {
                use std::fmt::Write as _;
                let groups = (n / 10).max(1);
                let mut text = format!("{HEAD}[iam]\n");
                for g in 0..groups {
                    let _ = write!(
                        text,
                        "[[iam.access_groups]]\nid = \"AccessGroupId-g{g}\"\nmembers = [\"IBMid-{g}A\", \"IBMid-{g}B\"]\n"
                    );
                }
                for i in 0..n {
                    // Half without a service: the rule rebuilds those with `map`.
                    let service = if i % 2 == 0 {
                        "service = \"container-registry\"\n"
                    } else {
                        ""
                    };
                    let _ = write!(
                        text,
                        "[[iam.policies]]\nid = \"pol-{i}\"\nsubject = \"AccessGroupId-g{}\"\nroles = [\"Manager\"]\n{service}",
                        i % groups
                    );
                }
                text
            },
        },
    ]
}

const FACTORS: [usize; 3] = [1, 10, 100];
const RUNS: usize = 3;
const TIMEOUT: Duration = Duration::from_secs(120);

fn main() {
    let wanted: Vec<String> = std::env::args().skip(1).collect();
    let binary = regcheck_binary();
    let Some(binary) = binary else {
        eprintln!("target/release/regcheck not found: run `cargo build --release` first");
        std::process::exit(2);
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    println!("# regcheck adversarial benchmark\n");
    println!(
        "Whole process (`{}`), median of {RUNS} runs; growth = t(10×)/t(1×) and t(100×)/t(10×): \
         about 10 is linear, less where start-up still counts, near 100 is quadratic.\n",
        binary.display()
    );
    println!(
        "| case | 1× | time 1× | time 10× | time 100× | growth 10×/1× | growth 100×/10× | peak RSS 1× | peak RSS 100× | file 100× |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut notes = Vec::new();
    for case in cases() {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == case.name) {
            continue;
        }
        eprintln!("{} …", case.name);
        let mut times = Vec::new();
        let mut peaks = Vec::new();
        let mut last_size = 0;
        for factor in FACTORS {
            let n = case.base * factor;
            let path = match case.files {
                None => {
                    let path = dir.path().join(format!("{}-{factor}.toml", case.name));
                    let text = (case.make)(n);
                    last_size = text.len();
                    std::fs::write(&path, text).expect("write the input");
                    path
                }
                // A folder of files, each made from its number.
                Some(count) => {
                    let folder = dir.path().join(format!("{}-{factor}", case.name));
                    std::fs::create_dir_all(&folder).expect("a folder");
                    last_size = 0;
                    for i in 0..count(n) {
                        let text = (case.make)(i);
                        last_size += text.len();
                        std::fs::write(folder.join(format!("a{i:06}.toml")), text).expect("write");
                    }
                    folder
                }
            };
            let (time, peak) = measure(&binary, case.run, &path);
            times.push(time);
            peaks.push(peak);
        }
        let ratio = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
            (Some(a), Some(b)) => format!("×{:.1}", b.as_secs_f64() / a.as_secs_f64()),
            _ => "—".to_owned(),
        };
        println!(
            "| `{}` | {} {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            case.name,
            case.base,
            case.unit,
            show(times[0]),
            show(times[1]),
            show(times[2]),
            ratio(times[0], times[1]),
            ratio(times[1], times[2]),
            mib(peaks[0]),
            mib(peaks[2]),
            mib(Some(last_size as u64 / 1024)),
        );
        notes.push(format!("- `{}`: {}", case.name, case.what));
    }
    println!("\n{}", notes.join("\n"));

    // Inputs that must be refused at once, whatever their size.
    if wanted.is_empty() || wanted.iter().any(|w| w == "refusals") {
        let sparse = dir.path().join("sparse.toml");
        let file = std::fs::File::create(&sparse).expect("create the sparse file");
        file.set_len(1 << 30).expect("a 1 GiB sparse file");
        println!("\n| refused input | time | peak RSS |\n|---|---:|---:|");
        for (what, path) in [
            ("`validate /dev/zero` (a device)", Path::new("/dev/zero")),
            ("`validate sparse.toml` (1 GiB, over the limit)", sparse.as_path()),
        ] {
            let (time, peak) = measure(binary.as_path(), Run::Validate, path);
            println!("| {what} | {} | {} |", show(time), mib(peak));
        }
    }
}

fn show(time: Option<Duration>) -> String {
    match time {
        Some(time) if time < Duration::from_secs(1) => format!("{:.1} ms", time.as_secs_f64() * 1e3),
        Some(time) => format!("{:.2} s", time.as_secs_f64()),
        None => format!("> {} s", TIMEOUT.as_secs()),
    }
}

fn mib(kb: Option<u64>) -> String {
    kb.map_or("—".to_owned(), |kb| format!("{:.1} MiB", kb as f64 / 1024.0))
}

/// `target/release/regcheck`, next to this example's folder.
fn regcheck_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let release = exe.parent()?.parent()?;
    let binary = release.join("regcheck");
    binary.is_file().then_some(binary)
}

/// Median wall time of [`RUNS`] runs, and the largest peak RSS (KiB); `None` past the timeout.
fn measure(binary: &Path, run: Run, file: &Path) -> (Option<Duration>, Option<u64>) {
    let mut times = Vec::new();
    let mut peak = None;
    for _ in 0..RUNS {
        let mut command = Command::new(binary);
        match run {
            Run::Validate => command.arg("validate").arg(file),
            Run::Audit(format) => {
                command
                    .arg("audit")
                    .arg(file)
                    .args(["--as-of", "2026-11-26", "--format", format])
            }
        };
        command
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let started = Instant::now();
        let Ok(child) = command.spawn() else {
            return (None, None);
        };
        let Some((code, rss)) = wait_with_timeout(child.id(), TIMEOUT) else {
            return (None, peak);
        };
        let elapsed = started.elapsed();
        assert!(matches!(code, 0..=2), "{} exited with {code}", file.display());
        times.push(elapsed);
        peak = peak.max(Some(rss));
    }
    times.sort();
    (Some(times[times.len() / 2]), peak)
}

/// Waits for the child, killing it after `timeout`; its exit code and peak RSS (KiB).
fn wait_with_timeout(pid: u32, timeout: Duration) -> Option<(i32, u64)> {
    let pid = pid as libc::pid_t;
    let started = Instant::now();
    loop {
        let mut status = 0;
        // SAFETY: plain system calls on our own child with valid out-pointers.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let waited = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if waited == pid {
            let code = if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                -1
            };
            return Some((code, usage.ru_maxrss as u64));
        }
        if waited < 0 {
            return None;
        }
        if started.elapsed() > timeout {
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::wait4(pid, &mut status, 0, &mut usage);
            }
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
