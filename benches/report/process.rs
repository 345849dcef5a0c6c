//! The bench report's whole-process mode (`-- --process`): the figures as users feel them, start-up
//! included. The built `regcheck` binary and a bare-parse binary (`examples/bare_parse.rs`:
//! read the file, `toml::from_str::<toml::Table>`, exit) run alternately on the same generated
//! files, as separate processes; each figure is the median of several runs, and each ratio is
//! of two medians measured in the same run of this report.
//!
//!     cargo build --release --bin regcheck --example bare-parse
//!     cargo run --release --example bench-report -- --process
//!     cargo run --release --example bench-report -- --process --pause 3 small   # each run after 3 s idle
//!
//! Wall time is what a user waits for; CPU time (user + system, from `wait4`) is shown beside it
//! because it moves less when other processes compete for the cores. Peak memory is the child's
//! `ru_maxrss`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::generate::{self, Size};

/// One child process run: wall time, CPU time, peak resident memory, exit code.
#[derive(Debug, Clone, Copy, Default)]
struct Run {
    wall: Duration,
    cpu: Duration,
    peak_kb: u64,
    code: i32,
}

/// Runs `program args` with standard output and error discarded, arguments naming files in
/// `dir`. The child is started without a working folder of its own, so that the standard library
/// can spawn it without copying this process first: a forked copy's memory would count in the
/// child's peak (Linux records the old image's high-water mark at `exec`).
fn run(program: &Path, args: &[&str], dir: &Path) -> Run {
    let args: Vec<String> = args
        .iter()
        .map(|arg| {
            let path = dir.join(arg);
            if !arg.starts_with('-') && path.exists() {
                path.to_string_lossy().into_owned()
            } else {
                (*arg).to_owned()
            }
        })
        .collect();
    let started = Instant::now();
    let child = Command::new(program)
        .args(&args)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", program.display()));
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, once (the `Child` is not waited on again).
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    std::mem::forget(child);
    assert_eq!(waited, pid, "wait4 failed for {}", program.display());
    let time =
        |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    Run {
        wall,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        peak_kb: usage.ru_maxrss as u64,
        code: if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
    }
}

fn median<T: Copy + Ord>(mut values: Vec<T>) -> T {
    values.sort();
    values[values.len() / 2]
}

/// Medians of several runs of one command.
#[derive(Debug, Clone, Copy)]
struct Figures {
    wall: Duration,
    cpu: Duration,
    peak_kb: u64,
}

fn medians(runs: &[Run]) -> Figures {
    Figures {
        wall: median(runs.iter().map(|r| r.wall).collect()),
        cpu: median(runs.iter().map(|r| r.cpu).collect()),
        peak_kb: median(runs.iter().map(|r| r.peak_kb).collect()),
    }
}

/// Runs each command of `commands` in turn, `rounds` times (after one unmeasured round), each
/// run after `pause` idle, and returns the medians of each.
fn alternate(commands: &[(&Path, Vec<String>)], dir: &Path, rounds: usize, pause: Duration) -> Vec<Figures> {
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); commands.len()];
    for round in 0..=rounds {
        for (at, (program, args)) in commands.iter().enumerate() {
            std::thread::sleep(pause);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let result = run(program, &args, dir);
            assert!(
                result.code == 0 || result.code == 1,
                "{} {} exited with {}",
                program.display(),
                args.join(" "),
                result.code
            );
            if round > 0 {
                runs[at].push(result);
            }
        }
    }
    runs.iter().map(|runs| medians(runs)).collect()
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// The binaries next to this example: `target/release/regcheck` and
/// `target/release/examples/bare-parse`.
fn binaries() -> (PathBuf, PathBuf) {
    let exe = std::env::current_exe().expect("the bench report knows where it is");
    let examples = exe.parent().expect("examples folder").to_path_buf();
    let regcheck = examples
        .parent()
        .expect("profile folder")
        .join(format!("regcheck{}", std::env::consts::EXE_SUFFIX));
    let bare = examples.join(format!("bare-parse{}", std::env::consts::EXE_SUFFIX));
    for binary in [&regcheck, &bare] {
        if !binary.is_file() {
            eprintln!(
                "{} is missing: run `cargo build --release --bin regcheck --example bare-parse` first",
                binary.display()
            );
            std::process::exit(2);
        }
    }
    (regcheck, bare)
}

/// A copy of `binary` in `dir`, as `cargo install` or a release archive puts one: what the
/// reports run. The linker's own output, freshly written, started about 1 ms slower than the
/// same bytes copied (an empty audit: 5.8 ms against 4.7, 200 runs of each alternately), which
/// is no user's case; both binaries are copied alike.
fn installed(binary: &Path, dir: &Path) -> PathBuf {
    let copy = dir.join(binary.file_name().expect("a binary's name"));
    std::fs::copy(binary, &copy).expect("copy a binary to the report's folder");
    copy
}

const AS_OF: &str = "2026-11-25T06:00:00Z";

const EMPTY_ACCOUNT: &str = "schema_version = 1\n\n[account]\nid = \"0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b\"\ncaptured_at = 2026-11-25T06:00:00Z\n";

/// A row of the report: what, regcheck's figures, the yardstick's, the ratio and its target.
struct Row {
    what: String,
    command: String,
    ours: Figures,
    yardstick: Option<(String, Figures)>,
    /// The figure judged, as text, and whether it meets its target (text); `None` for a figure
    /// measured with no target (the `leaky` account).
    judged: String,
    target: String,
    met: Option<bool>,
}

fn audit_args(file: &str, format: &str) -> Vec<String> {
    ["audit", file, "--as-of", AS_OF, "--format", format]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

/// The whole-process report; `sizes` among small, medium, large and leaky (the folder of small
/// accounts and the empty account always run). The leaky account is measured against the bare
/// parse too, with no target: the targets are for ordinary accounts.
/// `pause`: idle time before each run. Zero measures runs that follow each other (a script, a
/// benchmark); a few seconds measures what a run at a terminal or on a fresh CI machine sees,
/// after the kernel has handed the memory that earlier runs freed back to a VM's host, and then
/// the folder of accounts (800 runs) is left out.
pub fn report(sizes: &[Size], load_average: &dyn Fn() -> String, pause: Duration) {
    let (regcheck, bare) = binaries();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path();
    let (regcheck, bare) = (installed(&regcheck, root), installed(&bare, root));
    let load_before = load_average();
    let mut rows = Vec::new();

    // Start-up: an empty account with every rule.
    std::fs::write(root.join("empty.toml"), EMPTY_ACCOUNT).expect("write the empty account");
    eprintln!("[process] empty account");
    let figures = alternate(
        &[
            (&regcheck, audit_args("empty.toml", "human")),
            (&bare, vec!["empty.toml".to_owned()]),
        ],
        root,
        21,
        pause,
    );
    rows.push(Row {
        what: "empty account, all 40 rules (start-up)".to_owned(),
        command: "regcheck audit empty.toml".to_owned(),
        ours: figures[0],
        yardstick: Some(("bare parse".to_owned(), figures[1])),
        judged: ms(figures[0].wall),
        target: "≤ 5 ms".to_owned(),
        met: Some(figures[0].wall <= Duration::from_millis(5)),
    });

    for size in sizes {
        eprintln!("[process] generating {}", size.name);
        let file = format!("{}.toml", size.name);
        write_generated(size, &root.join(&file));
        let rounds = match size.name {
            "small" | "leaky" => 11,
            "medium" => 5,
            _ => 3,
        };
        eprintln!("[process] {}: {rounds} rounds", size.name);
        let mut commands = vec![
            (&*regcheck, audit_args(&file, "sarif")),
            (&*bare, vec![file.clone()]),
            (&*regcheck, audit_args(&file, "human")),
        ];
        if size.name == "medium" {
            commands.push((&*regcheck, audit_args(&file, "json")));
        }
        let figures = alternate(&commands, root, rounds, pause);
        let (sarif, bare_parse, human) = (figures[0], figures[1], figures[2]);
        let images = format!("{} images", size.images);
        // An account full of secrets has no target of its own: measured, not judged.
        let (what, target, met) = if size.leaked_credentials {
            (
                format!("SARIF audit, {images} each leaking a key and a token, vs bare parse"),
                "none".to_owned(),
                None,
            )
        } else {
            (
                format!("SARIF audit, {images}, vs bare parse"),
                "≤ 2×".to_owned(),
                Some(ratio(sarif.wall, bare_parse.wall) <= 2.0),
            )
        };
        rows.push(Row {
            what,
            command: format!("regcheck audit {file} --format sarif"),
            ours: sarif,
            yardstick: Some(("bare parse".to_owned(), bare_parse)),
            judged: format!("{:.2}×", ratio(sarif.wall, bare_parse.wall)),
            target,
            met,
        });
        match size.name {
            "small" => rows.push(Row {
                what: format!("human report, {images}, vs bare parse"),
                command: format!("regcheck audit {file}"),
                ours: human,
                yardstick: Some(("bare parse".to_owned(), bare_parse)),
                judged: format!("{:.2}×", ratio(human.wall, bare_parse.wall)),
                target: "≤ 2×".to_owned(),
                met: Some(ratio(human.wall, bare_parse.wall) <= 2.0),
            }),
            "medium" => {
                rows.push(Row {
                    what: format!("human report, {images}, vs SARIF"),
                    command: format!("regcheck audit {file}"),
                    ours: human,
                    yardstick: Some(("SARIF".to_owned(), sarif)),
                    judged: format!("{:.2}×", ratio(human.wall, sarif.wall)),
                    target: "≤ 1.5×".to_owned(),
                    met: Some(ratio(human.wall, sarif.wall) <= 1.5),
                });
                let json = figures[3];
                let memory = json.peak_kb as f64 / bare_parse.peak_kb as f64;
                rows.push(Row {
                    what: format!("JSON report peak memory, {images}, vs bare parse"),
                    command: format!("regcheck audit {file} --format json"),
                    ours: json,
                    yardstick: Some(("bare parse".to_owned(), bare_parse)),
                    judged: format!("{memory:.2}×"),
                    target: "≤ 2×".to_owned(),
                    met: Some(memory <= 2.0),
                });
            }
            _ => {}
        }
    }

    if !pause.is_zero() {
        print_report(&rows, &load_before, &load_average(), pause);
        return;
    }
    // A folder of 200 small accounts, against the sum of 200 single runs.
    eprintln!("[process] folder of 200 small accounts");
    let folder = root.join("accounts");
    std::fs::create_dir_all(&folder).expect("create the folder");
    write_generated(&generate::SMALL, &root.join("small-template.toml"));
    let small = std::fs::read_to_string(root.join("small-template.toml")).expect("read the account");
    let id_line = small
        .lines()
        .find(|line| line.starts_with("id = "))
        .expect("the account has an id")
        .to_owned();
    let files: Vec<String> = (0..200)
        .map(|at| {
            let name = format!("accounts/team-{at:03}.toml");
            let text = small.replacen(&id_line, &format!("id = \"team{at:03}{}\"", "0".repeat(25)), 1);
            std::fs::write(root.join(&name), text).expect("write an account");
            name
        })
        .collect();
    let mut folder_runs = Vec::new();
    let mut sums = Vec::new();
    for round in 0..=3 {
        let whole = run(&regcheck, &as_strs(&audit_args("accounts", "human")), root);
        let mut sum = Run::default();
        for file in &files {
            let single = run(&regcheck, &as_strs(&audit_args(file, "human")), root);
            sum.wall += single.wall;
            sum.cpu += single.cpu;
            sum.peak_kb = sum.peak_kb.max(single.peak_kb);
        }
        if round > 0 {
            folder_runs.push(whole);
            sums.push(sum);
        }
    }
    let (whole, sum) = (medians(&folder_runs), medians(&sums));
    rows.push(Row {
        what: "folder of 200 small accounts vs the sum of 200 single runs".to_owned(),
        command: "regcheck audit accounts/".to_owned(),
        ours: whole,
        yardstick: Some(("sum of single runs".to_owned(), sum)),
        judged: format!("{:.2}×", ratio(whole.wall, sum.wall)),
        target: "≤ 0.6×".to_owned(),
        met: Some(ratio(whole.wall, sum.wall) <= 0.6),
    });

    print_report(&rows, &load_before, &load_average(), pause);
}

/// The one-image gate (`--image`): `regcheck audit FILE --image REF` on the generated
/// accounts, against `regcheck validate FILE` (loading the file: parse with spans, check, build
/// the model) and the bare parse. Issue 14's bar: gating one image costs no more than loading
/// the file. Two images, by tag: one that passes (the usual deploy) and one that fails (its
/// findings are shown, and showing lines of the file means finding the file's secrets first,
/// so that none is printed: a scan of the whole file).
pub fn image_report(sizes: &[Size], load_average: &dyn Fn() -> String) {
    let (regcheck, bare) = binaries();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path();
    let (regcheck, bare) = (installed(&regcheck, root), installed(&bare, root));
    let load_before = load_average();
    let mut rows = Vec::new();
    for size in sizes {
        eprintln!("[image] generating {}", size.name);
        let file = format!("{}.toml", size.name);
        write_generated(size, &root.join(&file));
        let Some((passing, failing)) = gate_images(&regcheck, root, &file) else {
            eprintln!(
                "[image] {}: no passing and failing image found among the sampled ones",
                size.name
            );
            continue;
        };
        let rounds = match size.name {
            "small" => 11,
            "medium" => 5,
            _ => 3,
        };
        eprintln!(
            "[image] {}: {rounds} rounds, --image {passing} (passes), --image {failing} (fails)",
            size.name
        );
        let gate = |image: &str| {
            let mut args = audit_args(&file, "human");
            args.extend(["--image".to_owned(), image.to_owned()]);
            args
        };
        let validate = vec!["validate".to_owned(), file.clone()];
        let commands = vec![
            (&*regcheck, gate(&passing)),
            (&*regcheck, gate(&failing)),
            (&*regcheck, validate),
            (&*bare, vec![file.clone()]),
            (&*regcheck, audit_args(&file, "human")),
        ];
        let figures = alternate(&commands, root, rounds, Duration::ZERO);
        let (pass, fail, load, bare_parse, whole) =
            (figures[0], figures[1], figures[2], figures[3], figures[4]);
        let images = format!("{} images", size.images);
        for (verdict, image, ours) in [("passing", &passing, pass), ("failing", &failing, fail)] {
            let command = format!("regcheck audit {file} --image {image}");
            rows.push(Row {
                what: format!("one {verdict} image of {images} vs loading the file"),
                command: command.clone(),
                ours,
                yardstick: Some(("regcheck validate".to_owned(), load)),
                judged: format!("{:.2}×", ratio(ours.wall, load.wall)),
                target: "≤ 1.1×".to_owned(),
                met: Some(ratio(ours.wall, load.wall) <= 1.1),
            });
            rows.push(Row {
                what: format!("one {verdict} image of {images} vs bare parse"),
                command: command.clone(),
                ours,
                yardstick: Some(("bare parse".to_owned(), bare_parse)),
                judged: format!("{:.2}×", ratio(ours.wall, bare_parse.wall)),
                target: "(reported)".to_owned(),
                met: Some(true),
            });
            rows.push(Row {
                what: format!("one {verdict} image of {images} vs the whole audit"),
                command,
                ours,
                yardstick: Some(("whole audit".to_owned(), whole)),
                judged: format!("{:.2}×", ratio(ours.wall, whole.wall)),
                target: "(reported)".to_owned(),
                met: Some(true),
            });
        }
    }
    print_report(&rows, &load_before, &load_average(), Duration::ZERO);
}

/// A passing and a failing image of the generated account, among twenty tagged images spread
/// over the file: one `regcheck audit --image …` run with all of them, read as JSON.
fn gate_images(regcheck: &Path, root: &Path, file: &str) -> Option<(String, String)> {
    let text = std::fs::read_to_string(root.join(file)).ok()?;
    let refs: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("ref = \""))
        .filter_map(|rest| rest.strip_suffix('"'))
        .filter(|reference| !reference.contains('@'))
        .collect();
    let step = (refs.len() / 20).max(1);
    let sample: Vec<&str> = refs.iter().step_by(step).copied().collect();
    let mut args = audit_args(file, "json");
    for image in &sample {
        args.extend(["--image".to_owned(), (*image).to_owned()]);
    }
    let output = Command::new(regcheck)
        .args(&args)
        .current_dir(root)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    let account = &report["accounts"][0];
    let failing_refs: std::collections::HashSet<&str> = account["findings"]
        .as_array()?
        .iter()
        .filter(|finding| finding["status"] == "fail")
        .filter_map(|finding| finding["subject"].as_str())
        .map(|subject| {
            subject
                .split('#')
                .next()
                .unwrap_or(subject)
                .trim_start_matches("image:")
        })
        .collect();
    let (mut passing, mut failing) = (None, None);
    for judged in account["images_judged"].as_array()? {
        let refs: Vec<&str> = judged["refs"]
            .as_array()?
            .iter()
            .filter_map(|r| r.as_str())
            .collect();
        let asked = judged["asked"].as_str()?.to_owned();
        if refs.iter().any(|r| failing_refs.contains(r)) {
            failing.get_or_insert(asked);
        } else {
            passing.get_or_insert(asked);
        }
    }
    Some((passing?, failing?))
}

/// Writes a generated account through a child process (this binary's `--write`): this process
/// stays small, so that its memory cannot count in a child's peak (a child started by `fork`
/// starts as a copy of it, and Linux keeps that copy's high-water mark).
fn write_generated(size: &Size, path: &Path) {
    let exe = std::env::current_exe().expect("the bench report knows where it is");
    let status = Command::new(exe)
        .args(["--write", size.name])
        .arg(path)
        .status()
        .expect("run the generator");
    assert!(status.success(), "generating {} failed", size.name);
}

fn as_strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

fn print_report(rows: &[Row], load_before: &str, load_after: &str, pause: Duration) {
    println!("## regcheck whole-process figures\n");
    let pause = if pause.is_zero() {
        "one after the other".to_owned()
    } else {
        format!("each after {} s idle (the folder left out)", pause.as_secs_f64())
    };
    println!(
        "Separate processes, run alternately with the yardstick, {pause}, medians (21 runs for the \
         empty account, 11 small and leaky, 5 medium, 3 large and for the folder), after one unmeasured \
         round. Cores: {}; 1-minute load average {load_before} before, {load_after} after (above \
         the core count, other processes competed: wall times are inflated, CPU times much less).\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    println!(
        "| what | regcheck wall | CPU | peak RSS | yardstick | its wall | its CPU | its peak RSS | figure | target | |"
    );
    println!("|---|---:|---:|---:|---|---:|---:|---:|---:|---|---|");
    for row in rows {
        let (name, theirs) = match &row.yardstick {
            Some((name, figures)) => (
                name.as_str(),
                format!(
                    "{} | {} | {:.0} MB",
                    ms(figures.wall),
                    ms(figures.cpu),
                    figures.peak_kb as f64 / 1024.0
                ),
            ),
            None => ("–", "– | – | –".to_owned()),
        };
        println!(
            "| {} (`{}`) | {} | {} | {:.0} MB | {name} | {theirs} | {} | {} | {} |",
            row.what,
            row.command,
            ms(row.ours.wall),
            ms(row.ours.cpu),
            row.ours.peak_kb as f64 / 1024.0,
            row.judged,
            row.target,
            match row.met {
                Some(true) => "met",
                Some(false) => "NOT met",
                None => "",
            },
        );
    }
}
