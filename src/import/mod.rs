//! `regcheck import`: building or refreshing `account.toml` from what IBM's own tools print
//! (`../shared/spec/import.md`). No printing here: the CLI (`src/cli/import.rs`) reads and
//! writes files and shows the summary.
//!
//! Layers, in the order they run:
//! - [`capture`] finds the capture folder's files (every one optional; `regions/<region>/`
//!   for a region's registry files) and hands each to its reader;
//! - the readers ([`registry`], [`images`], [`iam`], [`atracker`]) turn IBM's JSON into the
//!   normalised [`model`]: per section, entries with their identity and the keys the import
//!   owns. They are tolerant of IBM's variants and report a missing or mistyped needed key
//!   with its file, JSON pointer and line ([`json`]);
//! - [`merge`] writes the model into the file, edited as a document.
//!
//! The merged text is then loaded by the normal loader before anything is written (the CLI's
//! job), so an import can never leave a file that does not load.

pub mod atracker;
pub mod capture;
pub mod iam;
pub mod images;
pub mod json;
pub mod merge;
pub mod model;
pub mod registry;

pub use capture::{CaptureFolder, ReadErrors, read, scan};
pub use merge::{MergeError, MergeOptions, MergeReport, SectionReport, merge};
pub use model::Capture;
