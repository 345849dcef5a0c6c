//! `regcheck diff OLD NEW`: each side is an account file, a folder of account files, or a JSON
//! report; account-file sides are audited here with the same options, then the two sides are
//! compared (`regcheck::diff`).

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::{Args, FromArgMatches};

use regcheck::audit::{EXIT_ERROR, FailOn};
use regcheck::diff::{self, Snapshot, render, snapshot};
use regcheck::findings::Severity;
use regcheck::report::human::Style;

use super::audit::{RunArgs, prepare};
use super::output::{self, errln};
use super::{PolicyArgs, display_name, eprint_diagnostics, parse_as_of, parse_fail_on};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Human,
    Json,
    /// For a pull-request comment (at most 65,536 characters).
    Markdown,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Findings are matched by fingerprint (account id, rule and subject), so moved lines are not \
changes. Accounts are paired by account id, then by file name (below the folder that holds the \
side's files).

Exit codes: 0 when no finding fails anew at or above --fail-on; 1 when one does (a new failing \
finding, or one failing again because its waiver expired or went, or the baseline no longer \
lists it); 2 when a side could not be read or audited, or records errors (a file that did not \
load, a rule that could not be evaluated).")]
pub struct DiffArgs {
    /// The earlier state: an account file, a folder of account files, or a JSON report written
    /// by `regcheck audit --format json`.
    pub old: PathBuf,
    /// The later state: an account file, a folder or a JSON report (not necessarily OLD's kind).
    pub new: PathBuf,

    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,

    /// Lowest severity of a newly failing finding that makes the exit code 1 [default: the
    /// config file's fail_on, else low; for two JSON reports, NEW's].
    #[arg(long, value_parser = parse_fail_on)]
    pub fail_on: Option<FailOn>,

    /// Reference time of every age check when auditing account files: a date (midnight UTC) or
    /// an RFC 3339 time. Default: now.
    #[arg(long, value_parser = parse_as_of)]
    pub as_of: Option<DateTime<Utc>>,

    /// The config file for auditing account files [default: regcheck.toml in the current
    /// folder, if present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Audit account files with only the rules whose id matches this glob; repeatable.
    #[arg(long = "rule", value_name = "ID")]
    pub rules: Vec<String>,

    /// Audit account files without the rules whose id matches this glob; repeatable.
    #[arg(long = "skip-rule", value_name = "ID")]
    pub skip_rules: Vec<String>,

    /// Audit account files against this baseline file (both sides).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    #[command(flatten)]
    pub policies: PolicyArgs,
}

impl DiffArgs {
    /// The options that only apply when a side is audited here.
    fn audit_options(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        for (set, name) in [
            (self.as_of.is_some(), "--as-of"),
            (self.config.is_some(), "--config"),
            (!self.rules.is_empty(), "--rule"),
            (!self.skip_rules.is_empty(), "--skip-rule"),
            (self.baseline.is_some(), "--baseline"),
            (!self.policies.dirs.is_empty(), "--policies"),
            (self.policies.no_default_policies, "--no-default-policies"),
        ] {
            if set {
                given.push(name);
            }
        }
        given
    }

    /// The audit's own arguments for one side, passed through the audit's own parser, so that
    /// both commands read the options the same way (and `regcheck audit`'s argument struct
    /// stays its own).
    fn run_args(&self, path: &Path) -> Result<RunArgs, clap::Error> {
        let mut argv: Vec<std::ffi::OsString> = vec!["regcheck diff".into()];
        let mut option = |name: &str, value: &std::ffi::OsStr| {
            let mut arg = std::ffi::OsString::from(format!("--{name}="));
            arg.push(value);
            argv.push(arg);
        };
        if let Some(as_of) = &self.as_of {
            option("as-of", as_of.to_rfc3339().as_ref());
        }
        if let Some(fail_on) = &self.fail_on {
            option("fail-on", fail_on.as_str().as_ref());
        }
        if let Some(config) = &self.config {
            option("config", config.as_os_str());
        }
        for rule in &self.rules {
            option("rule", rule.as_ref());
        }
        for rule in &self.skip_rules {
            option("skip-rule", rule.as_ref());
        }
        if let Some(baseline) = &self.baseline {
            option("baseline", baseline.as_os_str());
        }
        for dir in &self.policies.dirs {
            option("policies", dir.as_os_str());
        }
        if self.policies.no_default_policies {
            argv.push("--no-default-policies".into());
        }
        argv.push("--".into());
        argv.push(path.as_os_str().to_owned());
        let matches =
            RunArgs::augment_args(clap::Command::new("regcheck diff")).try_get_matches_from(argv)?;
        RunArgs::from_arg_matches(&matches)
    }
}

enum Input {
    Accounts,
    /// A JSON report, read when its side is loaded (one large report in memory at a time).
    Report,
}

/// Whether `path` is a JSON report or account files, from its name and first bytes.
fn classify(path: &Path) -> Result<Input, String> {
    if path.is_dir() {
        return Ok(Input::Accounts);
    }
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    // A FIFO or a device would block or never end: only regular files are read.
    regcheck::input::check_regular(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut start = Vec::with_capacity(512);
    std::fs::File::open(path)
        .and_then(|file| file.take(512).read_to_end(&mut start))
        .map_err(cannot)?;
    let json_name = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
    if json_name || snapshot::looks_like_json(&String::from_utf8_lossy(&start)) {
        Ok(Input::Report)
    } else {
        Ok(Input::Accounts)
    }
}

/// One side, audited or read.
fn load_side(args: &DiffArgs, path: &Path, input: Input, error_style: Style) -> Result<Snapshot, u8> {
    match input {
        Input::Report => {
            let name = display_name(path);
            let text = match regcheck::input::read(path) {
                Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
                    errln!("error: {name} is not UTF-8 text, so not a JSON report");
                    EXIT_ERROR
                })?,
                Err(error) => {
                    errln!("error: cannot read {name}: {error}");
                    return Err(EXIT_ERROR);
                }
            };
            // An older report, or one written by another tool, may hold what regcheck masks.
            output::learn_text(&text);
            snapshot::from_json_report(&name, &text).map_err(|diagnostic| {
                eprint_diagnostics(error_style, &[*diagnostic], &format!("{name} could not be read"));
                EXIT_ERROR
            })
        }
        Input::Accounts => {
            let run = args.run_args(path).map_err(|error| {
                errln!("error: {error}");
                EXIT_ERROR
            })?;
            let report = prepare(&run, false, error_style).map_err(|stopped| stopped.code)?;
            let snapshot = Snapshot::from_audit(&report, path);
            // The process ends soon: freeing a large account's allocations would only delay it.
            std::mem::forget(report);
            Ok(snapshot)
        }
    }
}

pub fn run(args: DiffArgs, style: Style, error_style: Style, out: &mut Vec<u8>) -> u8 {
    let inputs = (classify(&args.old), classify(&args.new));
    let (old_input, new_input) = match inputs {
        (Ok(old), Ok(new)) => (old, new),
        (Err(message), _) | (_, Err(message)) => {
            errln!("error: {message}");
            return EXIT_ERROR;
        }
    };
    if matches!((&old_input, &new_input), (Input::Report, Input::Report)) {
        let given = args.audit_options();
        if !given.is_empty() {
            errln!(
                "error: {} appl{} to account files, and OLD and NEW are both JSON reports (audited \
                 already); leave {} out, or diff the account files",
                given.join(", "),
                if given.len() == 1 { "ies" } else { "y" },
                if given.len() == 1 { "it" } else { "them" }
            );
            return EXIT_ERROR;
        }
    }
    let old = match load_side(&args, &args.old, old_input, error_style) {
        Ok(snapshot) => snapshot,
        Err(code) => return code,
    };
    let new = match load_side(&args, &args.new, new_input, error_style) {
        Ok(snapshot) => snapshot,
        Err(code) => return code,
    };
    // The gate: --fail-on; else the one an audit here resolved (the config's, else low); else
    // the one the NEW report was audited with.
    let audited = [&new, &old]
        .into_iter()
        .find(|side| side.kind == snapshot::Kind::Accounts)
        .and_then(|side| side.fail_on);
    let fail_on = args
        .fail_on
        .or(audited)
        .or(new.fail_on)
        .unwrap_or(FailOn(Some(Severity::Low)));
    let diff = diff::compare(old, new, fail_on);
    let written = match args.format {
        DiffFormat::Human => render::write_human(&diff, style, out),
        DiffFormat::Json => render::write_json(&diff, out),
        DiffFormat::Markdown => render::write_markdown(&diff, out),
    };
    if let Err(error) = written {
        errln!("error: cannot render the diff: {error}");
        return EXIT_ERROR;
    }
    diff.exit_code()
}
