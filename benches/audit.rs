//! Criterion benchmarks of loading and auditing generated accounts.
//!
//!     cargo bench --bench audit                 # all sizes (a few minutes on 2 cores)
//!     cargo bench --bench audit -- small        # one size (criterion filter on the id)
//!     cargo bench --bench audit -- 'load'       # one kind of measurement, every size
//!
//! One group per size (`small`, `medium`, `large`, see `support/generate.rs`), each with
//!   - `bare_parse`: `toml::from_str::<toml::Table>` on the text, the baseline;
//!   - `load`:       `regcheck::account::load_str` (spanned parse, typed model, reference checks);
//!   - `audit`:      `load_str` + `engine::evaluate` with the built-in policies.
//!
//! Every measured iteration includes dropping what it built. The accounts are generated once per
//! size, lazily (a filtered-out size is never generated), and the setup panics with the load
//! errors if a generated file does not load. Run as a test (`cargo test --benches`), each
//! benchmark of the small size runs once. For the figures the project reports (medians,
//! ratios, peak memory) use the one-shot report: `cargo run --release --example bench-report`.
//!
//! An audit benchmark whose one iteration would take longer than `REGCHECK_BENCH_AUDIT_LIMIT_SECS`
//! (default 20 s) is skipped with a message on stderr: medium is probed with one audit, large is
//! estimated from small and medium. Criterion options with a value (`--save-baseline NAME`)
//! are not told apart from filters by that check; it then probes more than needed, nothing worse.

// The same allocator as the regcheck binary, so the figures are the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use regcheck::engine::{Settings, evaluate};
use regcheck::findings::RuleOutcome;
use regcheck::policy::Policy;

#[path = "support/common.rs"]
mod common;
#[path = "support/generate.rs"]
mod generate;

use generate::{SIZES, Size};

struct Fixture {
    text: regcheck::diagnostic::Text,
}

fn fixture(size: &Size) -> &'static Fixture {
    static FIXTURES: [OnceLock<Fixture>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let index = SIZES
        .iter()
        .position(|s| s.name == size.name)
        .expect("a known size");
    FIXTURES[index].get_or_init(|| {
        // As the binary does first thing (a fixture is made before anything is measured).
        regcheck::allocator::keep_freed_memory();
        let text: regcheck::diagnostic::Text = generate::generate(size).into();
        common::assert_loads(size.name, &text);
        Fixture { text }
    })
}

fn policies() -> &'static [Arc<Policy>] {
    static POLICIES: OnceLock<Vec<Arc<Policy>>> = OnceLock::new();
    POLICIES.get_or_init(common::builtin_policies)
}

#[allow(clippy::disallowed_macros)] // a benchmark's progress note on stderr
fn bench_size(c: &mut Criterion, size: &Size) {
    let mut group = c.benchmark_group(size.name);
    match size.name {
        "small" => {
            group
                .sample_size(20)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(3));
        }
        "medium" => {
            group
                .sample_size(10)
                .sampling_mode(SamplingMode::Flat)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(5));
        }
        _ => {
            group
                .sample_size(10)
                .sampling_mode(SamplingMode::Flat)
                .warm_up_time(Duration::from_millis(500))
                .measurement_time(Duration::from_secs(10));
        }
    }
    group.bench_function(BenchmarkId::from_parameter("bare_parse"), |b| {
        let text = &fixture(size).text;
        b.iter(|| toml::from_str::<toml::Table>(black_box(text)).expect("bare parse"));
    });
    group.bench_function(BenchmarkId::from_parameter("load"), |b| {
        let text = &fixture(size).text;
        b.iter(|| regcheck::account::load_str(size.name, black_box(text).clone()).expect("load"));
    });
    if let Some(reason) = audit_too_slow(size) {
        eprintln!("{}/audit skipped: {reason}", size.name);
        group.finish();
        return;
    }
    group.bench_function(BenchmarkId::from_parameter("audit"), |b| {
        let text = &fixture(size).text;
        let policies = policies();
        let settings = common::settings();
        // The CLI exits without waiting for the account's CEL values to be freed (the engine
        // frees them on a thread of its own); each iteration waits for that outside its time,
        // so that the next one does not compete with it.
        b.iter_custom(|iterations| {
            let mut measured = Duration::ZERO;
            for _ in 0..iterations {
                let started = Instant::now();
                drop(black_box(audit_once(size, text, policies, &settings)));
                measured += started.elapsed();
                regcheck::engine::wait_for_releases();
            }
            measured
        });
    });
    group.finish();
}

fn audit_once(
    size: &Size,
    text: &regcheck::diagnostic::Text,
    policies: &[Arc<Policy>],
    settings: &Settings,
) -> Vec<RuleOutcome> {
    let loaded = regcheck::account::load_str(size.name, black_box(text).clone()).expect("load");
    evaluate(&loaded, policies, settings)
}

/// The longest one audit iteration may take before its benchmark is skipped (criterion runs at
/// least 11): `REGCHECK_BENCH_AUDIT_LIMIT_SECS`, default 20.
fn audit_limit() -> Duration {
    let seconds = std::env::var("REGCHECK_BENCH_AUDIT_LIMIT_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(20.0);
    Duration::from_secs_f64(seconds)
}

/// One audit of `size`, timed once and remembered.
fn probe(size: &Size) -> Duration {
    static PROBES: [OnceLock<Duration>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let index = SIZES
        .iter()
        .position(|s| s.name == size.name)
        .expect("a known size");
    *PROBES[index].get_or_init(|| {
        let settings = common::settings();
        let started = Instant::now();
        drop(audit_once(size, &fixture(size).text, policies(), &settings));
        started.elapsed()
    })
}

/// Why the audit benchmark of `size` would take too long, if it would: a rule that does not
/// scale must not turn `cargo bench` into hours. Medium is probed once; large is estimated from
/// small and medium (the growth exponent between them, at least linear) rather than run.
fn audit_too_slow(size: &Size) -> Option<String> {
    if size.name == "small" || !filter_may_match(&format!("{}/audit", size.name)) {
        return None;
    }
    let limit = audit_limit();
    let hint = "`cargo run --release --example bench-report -- --rules small medium` shows the rules \
                that do not scale; set REGCHECK_BENCH_AUDIT_LIMIT_SECS to raise the limit";
    let medium = probe(&generate::MEDIUM);
    if size.name == "medium" {
        return (medium > limit).then(|| {
            format!(
                "one audit takes {:.1} s, above the {:.0} s limit; {hint}",
                medium.as_secs_f64(),
                limit.as_secs_f64()
            )
        });
    }
    let small = probe(&generate::SMALL);
    let scale = (generate::MEDIUM.images / generate::SMALL.images) as f64;
    let exponent = ((medium.as_secs_f64() / small.as_secs_f64()).ln() / scale.ln()).clamp(1.0, 2.0);
    let growth = (size.images as f64 / generate::MEDIUM.images as f64).powf(exponent);
    let estimate = medium.mul_f64(growth);
    (estimate > limit).then(|| {
        format!(
            "estimated at {:.0} s per audit (medium takes {:.1} s, growing as size^{exponent:.2} from small), \
             above the {:.0} s limit; {hint}",
            estimate.as_secs_f64(),
            medium.as_secs_f64(),
            limit.as_secs_f64()
        )
    })
}

/// Whether criterion's filter (the positional arguments) may select `id`: a plain filter is
/// matched as a substring, anything with regex syntax is assumed to match.
fn filter_may_match(id: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    filters.is_empty()
        || filters.iter().any(|filter| {
            filter.chars().any(|c| "^$.*+?()[]{}|\\".contains(c)) || id.contains(filter.as_str())
        })
}

fn benches(c: &mut Criterion) {
    // `cargo bench` passes `--bench`; without it criterion runs each benchmark once as a test
    // (`cargo test --benches`, `--all-targets`, usually a debug build): only the small size then.
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    for size in &SIZES {
        if benchmarking || size.name == "small" {
            bench_size(c, size);
        }
    }
}

criterion_group!(audit, benches);
criterion_main!(audit);
