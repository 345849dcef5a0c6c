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
//! Every measured iteration includes dropping what it built. The accounts are generated once per
//! size, lazily (a filtered-out size is never generated), and the setup panics with the load
//! errors if a generated file does not load. Run as a test (`cargo test --benches`), each
//! benchmark of the small size runs once. For the figures the project reports (medians,
//! ratios, peak memory) use the one-shot report: `cargo run --release --example bench-report`.

use std::hint::black_box;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use regcheck::engine::{Settings, evaluate};
use regcheck::policy::Policy;

#[path = "support/common.rs"]
mod common;
#[path = "support/generate.rs"]
mod generate;

use generate::{SIZES, Size};

struct Fixture {
    text: Arc<str>,
}

fn fixture(size: &Size) -> &'static Fixture {
    static FIXTURES: [OnceLock<Fixture>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let index = SIZES
        .iter()
        .position(|s| s.name == size.name)
        .expect("a known size");
    FIXTURES[index].get_or_init(|| {
        let text: Arc<str> = generate::generate(size).into();
        common::assert_loads(size.name, &text);
        Fixture { text }
    })
}

fn policies() -> &'static [Arc<Policy>] {
    static POLICIES: OnceLock<Vec<Arc<Policy>>> = OnceLock::new();
    POLICIES.get_or_init(common::builtin_policies)
}

fn as_of() -> DateTime<Utc> {
    common::as_of()
}

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
        b.iter(|| regcheck::account::load_str(size.name, Arc::clone(black_box(text))).expect("load"));
    });
    group.bench_function(BenchmarkId::from_parameter("audit"), |b| {
        let text = &fixture(size).text;
        let policies = policies();
        let settings = Settings::new(as_of());
        b.iter(|| {
            let loaded = regcheck::account::load_str(size.name, Arc::clone(black_box(text))).expect("load");
            evaluate(&loaded, policies, &settings)
        });
    });
    group.finish();
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
