//! PLACEHOLDER, replaced at merge by the import engineer's `src/cli/import.rs` (issue 9, item 1).
//!
//! It exists so that `collect --import` builds and is tested against the agreed interface:
//! `ImportArgs` and `run` below have exactly the signature of the real command. This file
//! registers no subcommand.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use regcheck::audit::EXIT_ERROR;
use regcheck::report::human::Style;

/// `regcheck import DIR -o FILE …`, as the import engineer defines it.
// Placeholder: nothing reads the fields until the real command replaces this file.
#[allow(dead_code)]
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The capture folder.
    pub dir: PathBuf,
    /// The account file to create or refresh.
    #[arg(short, long, default_value = "account.toml")]
    pub output: PathBuf,
    /// `account.captured_at` [default: the newest capture file's modification time].
    #[arg(long)]
    pub captured_at: Option<DateTime<Utc>>,
    /// Print a unified diff and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write nothing; exit 1 when the file would change.
    #[arg(long)]
    pub check: bool,
    /// Remove entries that the captures no longer show.
    #[arg(long)]
    pub prune: bool,
    /// The account id of a new file when the capture has no `account-show.json`.
    #[arg(long)]
    pub account_id: Option<String>,
}

/// PLACEHOLDER: the real `run` imports `args.dir` into `args.output`.
pub fn run(_args: ImportArgs, _error_style: Style, _out: &mut Vec<u8>) -> u8 {
    eprintln!("error: import is not available in this build");
    EXIT_ERROR
}
