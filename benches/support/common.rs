//! Helpers shared by the benchmark targets (`#[path = "support/common.rs"] mod common;`).
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use regcheck::policy::Policy;

/// The as-of time of every audit: the generated accounts' `captured_at`.
pub fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 6, 0, 0)
        .single()
        .expect("a valid time")
}

/// Panics with the first load problems (file:line:column: message) if `text` does not load.
pub fn assert_loads(name: &str, text: &regcheck::diagnostic::Text) {
    if let Err(error) = regcheck::account::load_str(name, text.clone()) {
        let shown: Vec<String> = error
            .diagnostics
            .iter()
            .take(20)
            .map(|d| {
                let (line, column) = d.source.line_col(d.problem.span.start);
                format!("  {name}:{line}:{column}: {}", d.problem.message)
            })
            .collect();
        panic!(
            "the generated `{name}` account does not load ({} problems):\n{}",
            error.diagnostics.len(),
            shown.join("\n")
        );
    }
}

/// `policy::builtin()`. The rule files are embedded when the target is built, so a file that was
/// mid-edit then cannot be fixed by retrying here: the panic says to rebuild.
///
/// `REGCHECK_BENCH_RULES` (comma-separated id prefixes, e.g. `ICR-AT-,ICR-BP-001`) keeps only
/// the matching rules, to measure a subset such as the foundation's R1 rules.
pub fn builtin_policies() -> Vec<Arc<Policy>> {
    let only: Option<Vec<String>> = std::env::var("REGCHECK_BENCH_RULES").ok().map(|list| {
        list.split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect()
    });
    match regcheck::policy::builtin() {
        Ok(mut policies) => {
            if let Some(only) = only {
                policies.retain(|policy| only.iter().any(|prefix| policy.id.starts_with(prefix.as_str())));
            }
            policies
        }
        Err(error) => {
            let shown: Vec<String> = error
                .diagnostics
                .iter()
                .map(|d| {
                    let (line, column) = d.source.line_col(d.problem.span.start);
                    format!("  {}:{line}:{column}: {}", d.source.name, d.problem.message)
                })
                .collect();
            panic!(
                "the built-in policies embedded in this build do not load (a rule file was probably mid-edit): rebuild later\n{}",
                shown.join("\n")
            );
        }
    }
}

/// The engine settings of a benchmark audit. Passing subjects are recorded only when
/// `REGCHECK_BENCH_PASSES=1`, as the CLI does only for a JSON report.
pub fn settings() -> regcheck::engine::Settings {
    let mut settings = regcheck::engine::Settings::new(as_of());
    settings.record_passes = std::env::var("REGCHECK_BENCH_PASSES").is_ok_and(|value| value == "1");
    settings
}
