//! regcheck: policy as code for IBM Cloud Container Registry accounts.
//!
//! Layers, each doing one job: [`account`] loads `account.toml` with spans, [`policy`] loads
//! and checks rule files, [`engine`] evaluates them into [`findings`], and [`report`] renders
//! findings. Only the CLI (`src/cli`) prints. [`collect`] captures the evidence from IBM's CLI;
//! [`diff`] compares two audits.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod account;
pub mod allocator;
pub mod audit;
pub mod baseline;
pub mod collect;
pub mod config;
pub mod diagnostic;
pub mod diff;
pub mod discover;
pub mod engine;
pub mod findings;
pub mod import;
pub mod in_order;
pub mod input;
pub mod path;
pub mod policy;
pub mod regions;
pub mod report;
pub mod responsibility;
pub mod secrets;
pub mod select;
pub mod suggest;
pub mod threads;
pub mod toml_reader;
pub mod write;

/// The cores this process may use (its CPU affinity and cgroup quota), asked once: the standard
/// library reads the cgroup's files on every call (eight system calls in a container), and an
/// audit asks for each list it converts, each file it scans and each evaluation.
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Helpers for the crate's unit tests.
#[cfg(test)]
#[path = "../tests/support/generated.rs"]
pub(crate) mod test_support;
