//! `regcheck import DIR`: reads a capture folder, merges it into the account file, checks the
//! result with the normal loader, then writes it atomically (or shows a diff, or checks for
//! drift). The summary goes to standard error; only `--dry-run`'s diff goes to standard output.

use std::io::{self, Write};
use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};

use regcheck::account;
use regcheck::audit::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use regcheck::diagnostic::{FileDiagnostic, Problem, SourceText};
use regcheck::import::{self, MergeError, MergeOptions, MergeReport};
use regcheck::report::human::Style;

use super::output::{self, errln};
use super::{display_name, eprint_diagnostics};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "The capture folder holds one file per `ibmcloud` command, each optional: \
account-show.json, iam-*.json, cbr-rules.json, atracker-*.json at the top, and a registry \
region's cr-*.json in regions/<region>/. docs/evidence.md lists them with their commands."
)]
pub struct ImportArgs {
    /// The capture folder: one file per `ibmcloud` command (docs/evidence.md).
    pub dir: PathBuf,
    /// The account file to create or refresh.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        default_value = "account.toml"
    )]
    pub output: PathBuf,
    /// When the evidence was captured: a date (midnight UTC) or an RFC 3339 time [default: the
    /// newest capture file's modification time].
    #[arg(long, value_parser = super::parse_as_of)]
    pub captured_at: Option<DateTime<Utc>>,
    /// Print a unified diff of the account file on standard output; write nothing.
    #[arg(long, conflicts_with = "check")]
    pub dry_run: bool,
    /// Write nothing; exit 1 when the file would change (drift), 0 when it is up to date.
    #[arg(long)]
    pub check: bool,
    /// Remove entries that a given capture file no longer shows, instead of marking them.
    #[arg(long)]
    pub prune: bool,
    /// The account id, for a new file when the capture has no account-show.json.
    #[arg(long)]
    pub account_id: Option<String>,
}

/// Runs the import; returns the exit code. Standard output gets only `--dry-run`'s diff.
pub fn run(args: ImportArgs, error_style: Style, out: &mut Vec<u8>) -> u8 {
    let dir_name = display_name(&args.dir);
    let output_name = display_name(&args.output);
    let folder = match import::scan(&args.dir, &dir_name) {
        Ok(folder) => folder,
        Err(diagnostics) => {
            eprint_diagnostics(error_style, &diagnostics, "the capture folder could not be read");
            return EXIT_ERROR;
        }
    };
    for warning in &folder.warnings {
        errln!("warning: {warning}");
    }
    if folder.is_empty() {
        errln!(
            "error: {dir_name} holds no capture files: `regcheck import --help` names them, docs/evidence.md lists their commands"
        );
        return EXIT_ERROR;
    }

    let existing = match read_existing(&args.output, &output_name) {
        Ok(existing) => existing,
        Err(message) => {
            errln!("error: {message}");
            return EXIT_ERROR;
        }
    };
    let captured_at = whole_seconds(args.captured_at.or(folder.newest).unwrap_or_else(Utc::now));
    let capture = match import::read(&folder) {
        Ok(capture) => capture,
        Err(errors) => {
            eprint_diagnostics(
                error_style,
                &errors.diagnostics,
                "the capture could not be imported",
            );
            return EXIT_ERROR;
        }
    };
    let options = MergeOptions {
        captured_at,
        prune: args.prune,
        account_id: args.account_id.clone(),
    };
    let (text, report) = match merge(&existing, &capture, &options, &output_name, error_style) {
        Some(merged) => merged,
        None => return EXIT_ERROR,
    };

    // The merged file must load before anything is written.
    let merged_name = format!("{output_name} (as merged from {dir_name})");
    if let Err(error) = account::load_str(&merged_name, text.clone()) {
        eprint_diagnostics(
            error_style,
            &error.diagnostics,
            &format!("the merged account file does not load, so {output_name} was left as it was"),
        );
        return EXIT_ERROR;
    }
    let changed = existing.as_deref() != Some(text.as_str());
    // The diff, the summary and any error quote the new evidence: its secrets are masked there.
    output::learn_text(&text);

    if args.check {
        // The capture time alone is not drift: compare again at the file's own time.
        let drift = changed
            && match existing.as_deref().and_then(import::merge::captured_at_of) {
                Some(file_time) if file_time != captured_at => {
                    let options = MergeOptions {
                        captured_at: file_time,
                        ..options.clone()
                    };
                    import::merge(existing.as_deref(), &capture, &options)
                        .map_or(true, |(again, _)| existing.as_deref() != Some(again.as_str()))
                }
                _ => true,
            };
        eprint_summary(&report);
        if drift {
            errln!(
                "drift: {output_name} differs from the capture in {dir_name}; `regcheck import {dir_name} -o {output_name} --dry-run` shows how"
            );
            return EXIT_FINDINGS;
        }
        errln!("{output_name} is up to date with {dir_name}");
        return EXIT_OK;
    }
    if args.dry_run {
        write_diff(existing.as_deref(), &text, &output_name, out);
        eprint_summary(&report);
        errln!("--dry-run: nothing written");
        return EXIT_OK;
    }
    if changed && let Err(error) = write_account_file(&args.output, text.as_bytes()) {
        errln!("error: cannot write {output_name}: {error}");
        return EXIT_ERROR;
    }
    eprint_summary(&report);
    if !changed {
        errln!("{output_name} is up to date: nothing to write");
    } else if report.created {
        errln!("created {output_name}");
    } else {
        errln!("updated {output_name}");
    }
    EXIT_OK
}

/// Writes the account file as merged, secrets and all: it is the evidence the rules read (a
/// masked value would hide the very secret ICR-SEC-001 must find), not a report. So it is the
/// one write that does not go through the redaction point.
#[allow(clippy::disallowed_methods)]
fn write_account_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), regcheck::write::WriteError> {
    regcheck::write::write_file(path, bytes)
}

fn whole_seconds(time: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_opt(time.timestamp(), 0).single().unwrap_or(time)
}

/// The current file's text; `None` when it does not exist yet.
fn read_existing(path: &std::path::Path, name: &str) -> Result<Option<String>, String> {
    if path.is_dir() {
        return Err(format!("{name} is a folder: name the account file with -o"));
    }
    match std::fs::metadata(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        _ => {}
    }
    match regcheck::input::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(|text| {
                output::learn_text(&text);
                Some(text)
            })
            .map_err(|_| format!("{name} is not UTF-8 text: an account file is TOML")),
        Err(error) => Err(format!("cannot read {name}: {error}")),
    }
}

/// Merges, printing why it could not be done.
fn merge(
    existing: &Option<String>,
    capture: &import::Capture,
    options: &MergeOptions,
    output_name: &str,
    style: Style,
) -> Option<(String, MergeReport)> {
    match import::merge(existing.as_deref(), capture, options) {
        Ok(merged) => Some(merged),
        Err(MergeError::Syntax { message, span }) => {
            let source = SourceText::new(output_name, existing.clone().unwrap_or_default());
            let diagnostic = FileDiagnostic::error(source, Problem::new(span, message).label("here"));
            eprint_diagnostics(style, &[diagnostic], &format!("{output_name} is not valid TOML"));
            None
        }
        Err(error) => {
            errln!("error: {output_name}: {error}");
            None
        }
    }
}

/// A unified diff of the file. Its secrets are masked on the way out, as the redaction point
/// has learned both sides ([`read_existing`], [`run`]); a changed secret shows as a changed line.
fn write_diff(old: Option<&str>, new: &str, name: &str, out: &mut Vec<u8>) {
    let diff = similar::TextDiff::from_lines(old.unwrap_or(""), new);
    let before = if old.is_some() {
        format!("a/{name}")
    } else {
        "/dev/null".to_owned()
    };
    let _ = write!(
        out,
        "{}",
        diff.unified_diff()
            .context_radius(3)
            .header(&before, &format!("b/{name}"))
    );
}

/// Per section: added, updated, marked stale (listed), pruned (listed); then what needs the
/// user's answer. Labels are identities (refs, ids), never env or label values.
fn eprint_summary(report: &MergeReport) {
    let mut unchanged = 0;
    let mut lines = Vec::new();
    for section in &report.sections {
        let mut parts = Vec::new();
        if section.added > 0 {
            parts.push(format!("{} added", section.added));
        }
        if section.updated > 0 {
            parts.push(format!("{} updated", section.updated));
        }
        if !section.stale.is_empty() {
            parts.push(format!("{} marked stale", section.stale.len()));
        }
        if !section.pruned.is_empty() {
            parts.push(format!("{} pruned", section.pruned.len()));
        }
        if parts.is_empty() {
            unchanged += 1;
        } else {
            lines.push(format!("  {:<26} {}", section.name, parts.join(", ")));
        }
    }
    if !report.settings_changed.is_empty() {
        lines.push(format!("  {:<26} {}", "set", report.settings_changed.join(", ")));
    }
    if unchanged > 0 {
        lines.push(format!(
            "  {unchanged} section{} unchanged",
            if unchanged == 1 { "" } else { "s" }
        ));
    }
    errln!("import:");
    for line in lines {
        errln!("{line}");
    }
    for section in &report.sections {
        for (label, file) in &section.stale {
            errln!(
                "stale: [[{}]] {label}: not seen in {file} (kept and marked; --prune removes it)",
                section.name
            );
        }
        for label in &section.pruned {
            errln!("pruned: [[{}]] {label}", section.name);
        }
    }
    if !report.keys_without_answer.is_empty() {
        let count = report.keys_without_answer.len();
        errln!(
            "needs your answer: {count} API key{} without `used_for_registry`; add `used_for_registry = true` (or false) to each: {}",
            if count == 1 { "" } else { "s" },
            report.keys_without_answer.join(", ")
        );
    }
    if !report.namespaces_without_criticality.is_empty() {
        let count = report.namespaces_without_criticality.len();
        errln!(
            "needs your answer: {count} namespace{} without `criticality` (taken as nonprod); add `criticality = \"critical\"`, \"production\" or \"nonprod\" to each: {}",
            if count == 1 { "" } else { "s" },
            report.namespaces_without_criticality.join(", ")
        );
    }
}
