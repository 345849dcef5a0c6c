//! The bench report: the figures the project reports, measured in one run.
//!
//!     cargo run --release --example bench-report                  # all sizes, markdown on stdout
//!     cargo run --release --example bench-report -- small medium  # some sizes only
//!     cargo run --release --example bench-report -- --check       # only check the generated files load
//!
//! (The target is `[[example]] name = "bench-report"`, path `benches/report/bench_report.rs`: a
//! file directly in `benches/` would also be auto-discovered as a libtest bench target. Build it
//! in release: a debug build measures the wrong thing.) Progress goes to stderr, the report to
//! stdout.
//!
//! For each size of `support/generate.rs` (small 10 namespaces / 200 images, medium 100 / 10k,
//! large 1,000 / 100k / 10k IAM policies):
//! - the file size;
//! - the median wall time of `bare parse` (`toml::from_str::<toml::Table>`), `load`
//!   (`regcheck::account::load_str`) and `audit` (`load_str` + `engine::evaluate` with the
//!   built-in policies), over 11 runs for small, 5 for medium, 3 for large, interleaved
//!   (bare, load, audit, bare, …) after one warm-up round (none for large); each run includes
//!   dropping what it built;
//! - the ratios load/bare and audit/bare (targets: ≤ 1.3 and ≤ 1.6);
//! - peak memory: each size runs again in a fresh child process (this binary re-executed with
//!   `--child SIZE MODE`), which generates the text, resets its high-water mark
//!   (`/proc/self/clear_refs`), bare-parses or loads + audits once, and reads `VmHWM` from
//!   `/proc/self/status`; so sizes do not contaminate each other and the generator's own peak is
//!   not counted. The peak includes the file text itself (the CLI holds it too);
//! - growth: time per image and per MB at each size (linear growth = flat columns).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use regcheck::engine::{Settings, evaluate};
use regcheck::findings::RuleStatus;
use regcheck::policy::Policy;

#[path = "../support/common.rs"]
mod common;
#[path = "../support/generate.rs"]
mod generate;

use generate::{SIZES, Size};

fn runs_for(size: &Size) -> (usize, bool) {
    match size.name {
        "small" => (11, true),
        "medium" => (5, true),
        _ => (3, false),
    }
}

struct Row {
    size: Size,
    bytes: usize,
    generate: Duration,
    bare: Duration,
    load: Duration,
    audit: Duration,
    evaluate: Duration,
    outcomes: String,
    peak_bare_kb: Option<(u64, u64)>,
    peak_audit_kb: Option<(u64, u64)>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1..]);
        return;
    }
    let check_only = args.iter().any(|a| a == "--check");
    let mut sizes: Vec<Size> = Vec::new();
    for arg in args.iter().filter(|a| !a.starts_with("--")) {
        match generate::size_by_name(arg) {
            Some(size) => sizes.push(size),
            None => {
                eprintln!("unknown size `{arg}`: small, medium or large");
                std::process::exit(2);
            }
        }
    }
    if sizes.is_empty() {
        sizes = SIZES.to_vec();
    }
    if cfg!(debug_assertions) && !check_only {
        eprintln!("warning: this is a debug build; run with `cargo run --release --example bench-report`");
    }

    if check_only {
        for size in &sizes {
            let text: Arc<str> = generate::generate(size).into();
            common::assert_loads(size.name, &text);
            println!("{}: {:.1} MB loads without errors", size.name, mb(text.len()));
        }
        return;
    }

    let policies = common::builtin_policies();
    let settings = Settings::new(common::as_of());
    let mut rows = Vec::new();
    for size in &sizes {
        rows.push(measure(size, &policies, &settings));
    }
    print_report(&rows, &policies);
}

fn measure(size: &Size, policies: &[Arc<Policy>], settings: &Settings) -> Row {
    eprintln!("[{}] generating", size.name);
    let started = Instant::now();
    let text: Arc<str> = generate::generate(size).into();
    let generate = started.elapsed();
    common::assert_loads(size.name, &text);

    let (runs, warm_up) = runs_for(size);
    let mut bare = Vec::new();
    let mut load = Vec::new();
    let mut audit = Vec::new();
    let mut eval = Vec::new();
    let mut outcomes = String::new();
    let rounds = runs + usize::from(warm_up);
    for round in 0..rounds {
        eprintln!("[{}] round {}/{rounds}", size.name, round + 1);
        let measured = !(warm_up && round == 0);

        let t = Instant::now();
        let table = toml::from_str::<toml::Table>(std::hint::black_box(&text)).expect("bare parse");
        drop(std::hint::black_box(table));
        let bare_time = t.elapsed();

        let t = Instant::now();
        let loaded = regcheck::account::load_str(size.name, Arc::clone(&text)).expect("load");
        drop(std::hint::black_box(loaded));
        let load_time = t.elapsed();

        let t = Instant::now();
        let loaded = regcheck::account::load_str(size.name, Arc::clone(&text)).expect("load");
        let loaded_at = t.elapsed();
        let result = evaluate(&loaded, policies, settings);
        if round == 0 {
            outcomes = summarize(&result);
        }
        drop(std::hint::black_box(result));
        drop(loaded);
        let audit_time = t.elapsed();

        if measured {
            bare.push(bare_time);
            load.push(load_time);
            audit.push(audit_time);
            eval.push(audit_time - loaded_at);
        }
    }

    eprintln!("[{}] peak memory (child processes)", size.name);
    let peak_bare_kb = child_peak(size, "bare");
    let peak_audit_kb = child_peak(size, "audit");
    Row {
        size: *size,
        bytes: text.len(),
        generate,
        bare: median(bare),
        load: median(load),
        audit: median(audit),
        evaluate: median(eval),
        outcomes,
        peak_bare_kb,
        peak_audit_kb,
    }
}

fn summarize(outcomes: &[regcheck::findings::RuleOutcome]) -> String {
    let count = |status: RuleStatus| outcomes.iter().filter(|o| o.status == status).count();
    let findings: usize = outcomes.iter().map(|o| o.findings.len()).sum();
    let mut text = format!(
        "{} rules: {} pass, {} fail, {} n/a, {} error; {findings} findings",
        outcomes.len(),
        count(RuleStatus::Pass),
        count(RuleStatus::Fail),
        count(RuleStatus::NotApplicable),
        count(RuleStatus::Error),
    );
    if let Some(error) = outcomes
        .iter()
        .find_map(|o| o.error.as_ref().map(|e| (&o.rule_id, e)))
    {
        text.push_str(&format!(" (first error: {}: {})", error.0, error.1.message));
    }
    text
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// Runs this binary again as `--child SIZE MODE`; returns (peak kB, kB before the measured work).
fn child_peak(size: &Size, mode: &str) -> Option<(u64, u64)> {
    let exe = std::env::current_exe().ok()?;
    let output = Command::new(exe)
        .args(["--child", size.name, mode])
        .output()
        .ok()?;
    if !output.status.success() {
        eprintln!(
            "[{}] child `{mode}` failed: {}\n{}",
            size.name,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let field = |name: &str| -> Option<u64> {
        stdout
            .split_whitespace()
            .find_map(|word| word.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
    };
    Some((field("peak_kb")?, field("base_kb")?))
}

/// The child: generate, reset the high-water mark, do the work once, print VmHWM.
fn child(args: &[String]) {
    let size = args
        .first()
        .and_then(|name| generate::size_by_name(name))
        .expect("--child SIZE MODE");
    let mode = args.get(1).map(String::as_str).unwrap_or("audit");
    let text: Arc<str> = generate::generate(&size).into();
    // Resets VmHWM to the current RSS (Linux ≥ 4.0), so the generator's peak is not counted.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let base = status_kb("VmRSS").unwrap_or(0);
    match mode {
        "bare" => {
            let table = toml::from_str::<toml::Table>(&text).expect("bare parse");
            std::hint::black_box(&table);
        }
        _ => {
            let policies = common::builtin_policies();
            let loaded = regcheck::account::load_str(size.name, Arc::clone(&text)).expect("load");
            let outcomes = evaluate(&loaded, &policies, &Settings::new(common::as_of()));
            std::hint::black_box(&outcomes);
        }
    }
    let peak = status_kb("VmHWM").unwrap_or(0);
    println!("peak_kb={peak} base_kb={base} reset={reset}");
}

fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn mem(peak: Option<(u64, u64)>) -> String {
    match peak {
        Some((peak, _)) => format!("{:.0} MB", peak as f64 / 1024.0),
        None => "n/a".to_owned(),
    }
}

fn print_report(rows: &[Row], policies: &[Arc<Policy>]) {
    let ids: Vec<&str> = policies.iter().map(|p| p.id.as_str()).collect();
    println!("## regcheck bench report\n");
    println!(
        "Built-in policies: {} ({}). Cores: {}. Medians over 11 / 5 / 3 runs (small / medium / large); each run includes dropping its result.\n",
        policies.len(),
        ids.join(", "),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    println!(
        "| size | namespaces | images | IAM policies | file | bare parse | load | audit | (evaluate) | load/bare | audit/bare | peak RSS bare parse | peak RSS load+audit |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {:.2} MB | {} | {} | {} | {} | {:.2}× | {:.2}× | {} | {} |",
            row.size.name,
            row.size.namespaces,
            row.size.images,
            row.size.iam_policies,
            mb(row.bytes),
            ms(row.bare),
            ms(row.load),
            ms(row.audit),
            ms(row.evaluate),
            ratio(row.load, row.bare),
            ratio(row.audit, row.bare),
            mem(row.peak_bare_kb),
            mem(row.peak_audit_kb),
        );
    }
    println!("\nTargets: load ≤ 1.3× bare parse, audit ≤ 1.6× bare parse.");
    for row in rows {
        let load = ratio(row.load, row.bare);
        let audit = ratio(row.audit, row.bare);
        println!(
            "- {}: load {:.2}× ({}), audit {:.2}× ({})",
            row.size.name,
            load,
            if load <= 1.3 { "met" } else { "NOT met" },
            audit,
            if audit <= 1.6 { "met" } else { "NOT met" },
        );
    }

    println!("\n### Growth (linear = flat columns)\n");
    println!(
        "| size | images | bare µs/image | load µs/image | audit µs/image | bare ms/MB | load ms/MB | audit ms/MB | peak RSS / file size |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let per_image = |d: Duration| d.as_secs_f64() * 1e6 / row.size.images as f64;
        let per_mb = |d: Duration| d.as_secs_f64() * 1e3 / mb(row.bytes);
        let rss_ratio = row.peak_audit_kb.map_or("n/a".to_owned(), |(peak, _)| {
            format!("{:.1}×", peak as f64 * 1024.0 / row.bytes as f64)
        });
        println!(
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.1} | {:.1} | {:.1} | {} |",
            row.size.name,
            row.size.images,
            per_image(row.bare),
            per_image(row.load),
            per_image(row.audit),
            per_mb(row.bare),
            per_mb(row.load),
            per_mb(row.audit),
            rss_ratio,
        );
    }
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        if rows.len() > 1 {
            let per_image = |row: &Row, d: Duration| d.as_secs_f64() / row.size.images as f64;
            println!(
                "\n{} → {} ({}× the images): time per image changes ×{:.2} (bare), ×{:.2} (load), ×{:.2} (audit).",
                first.size.name,
                last.size.name,
                last.size.images / first.size.images,
                per_image(last, last.bare) / per_image(first, first.bare),
                per_image(last, last.load) / per_image(first, first.load),
                per_image(last, last.audit) / per_image(first, first.audit),
            );
        }
    }

    println!("\n### Notes\n");
    for row in rows {
        let base = row.peak_audit_kb.map_or(0, |(_, base)| base);
        println!(
            "- {}: generated in {}; audit outcome: {}; RSS before load (text held): {:.0} MB.",
            row.size.name,
            ms(row.generate),
            row.outcomes,
            base as f64 / 1024.0
        );
    }
}

#[cfg(test)]
mod tests {
    /// The generator's own tests (`support/generate.rs`) run with this example's: `cargo test`.
    #[test]
    fn check_mode_sizes_are_known() {
        for name in ["small", "medium", "large"] {
            assert!(super::generate::size_by_name(name).is_some());
        }
    }
}
