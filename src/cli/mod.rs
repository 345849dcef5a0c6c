//! The command line: parses arguments, runs a command, and owns standard output and error.
//! Every command returns an exit code; `main` is the only place that exits. Everything printed
//! or written passes through [`output`], the redaction point (`errln!` instead of `eprintln!`).

mod audit;
mod output;

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use miette::Diagnostic;

use regcheck::account::{self, LoadError, LoadedAccount};
use regcheck::audit::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, FailOn};
use regcheck::findings::Severity;
use regcheck::policy;
use regcheck::report::{self, human::Style};

use output::errln;

#[derive(Debug, Parser)]
#[command(
    name = "regcheck",
    version,
    about = "Policy-as-code compliance checks for IBM Cloud Container Registry accounts"
)]
#[command(propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// When to use colour: auto honours NO_COLOR, CLICOLOR_FORCE and whether output is a terminal.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,

    /// Largest input file read (account, config, policy and baseline files), as bytes or with a
    /// unit (512MiB, 1GB) [default: $REGCHECK_MAX_FILE_SIZE, else 256MiB].
    #[arg(long, value_name = "SIZE", value_parser = regcheck::input::parse_size, global = true)]
    max_file_size: Option<u64>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Audit account files against the rules; exit 1 when a finding fails the gate.
    Audit(audit::AuditArgs),
    /// Load and check account files only; no rules run.
    Validate {
        /// Account files to check.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// List every rule: id, severity, responsibility and title.
    Rules {
        /// `table` for people, `json` for tools.
        #[arg(long, value_enum, default_value_t = CatalogFormat::Table)]
        format: CatalogFormat,
        #[command(flatten)]
        policies: PolicyArgs,
    },
    /// Explain a rule: what it checks, why, how to fix, parameters and references.
    Explain {
        /// A rule id such as ICR-AT-001 (case-insensitive).
        id: String,
        #[command(flatten)]
        policies: PolicyArgs,
    },
    /// Run the tests that ship inside policy files: the built-ins and those in DIR.
    Test {
        /// Folders of custom policies whose tests to run as well.
        dirs: Vec<PathBuf>,
        /// Leave the built-in policies out.
        #[arg(long)]
        no_default_policies: bool,
    },
    /// Print the JSON Schema of the account file, for editors.
    Schema,
    /// Show IBM's shared-responsibility table with the rules that cover each of your duties and
    /// their status for these accounts.
    Responsibilities {
        #[command(flatten)]
        run: audit::RunArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = MatrixFormat::Human)]
        format: MatrixFormat,
    },
    /// Write a commented starter account.toml and regcheck.toml in the current folder.
    Init {
        /// Overwrite files that exist.
        #[arg(long)]
        force: bool,
        /// Folder to write them in.
        #[arg(long, value_name = "DIR", default_value = ".")]
        dir: PathBuf,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MatrixFormat {
    Human,
    Markdown,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CatalogFormat {
    Table,
    Json,
    /// The full reference, as in docs/rules.md.
    Markdown,
}

/// Where policies come from.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct PolicyArgs {
    /// A folder of custom policy files (walked recursively); may be repeated.
    #[arg(long = "policies", value_name = "DIR")]
    pub(crate) dirs: Vec<PathBuf>,
    /// Leave the built-in policies out.
    #[arg(long)]
    pub(crate) no_default_policies: bool,
}

pub(crate) fn parse_as_of(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|time| time.and_utc())
        .ok_or_else(|| {
            format!("`{text}` is not a date (2026-11-26) or an RFC 3339 time (2026-11-26T06:00:00Z)")
        })
}

pub(crate) fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    if text == "none" {
        return Ok(FailOn(None));
    }
    Severity::parse(text)
        .map(|severity| FailOn(Some(severity)))
        .ok_or_else(|| "expected one of: critical, high, medium, low, none".to_owned())
}

/// Parses the process arguments and runs; returns the exit code.
pub fn main() -> u8 {
    output::mask_panics();
    let (stdout_terminal, stderr_terminal) = output::terminals();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to standard output, usage errors to standard error; both
            // through the redaction point, in colour only on a terminal and without NO_COLOR.
            let to_stderr = error.use_stderr();
            let rendered = error.render();
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
            let terminal = if to_stderr {
                stderr_terminal
            } else {
                stdout_terminal
            };
            let text = if terminal && !no_color {
                rendered.ansi().to_string()
            } else {
                rendered.to_string()
            };
            if to_stderr {
                output::stderr_text(&text);
                return EXIT_ERROR;
            }
            let _ = output::stdout(text.as_bytes());
            return EXIT_OK;
        }
    };
    match cli.max_file_size.map(Ok).or_else(max_file_size_from_env) {
        None => {}
        Some(Ok(limit)) => regcheck::input::set_max_file_size(limit),
        Some(Err(message)) => {
            errln!("error: {message}");
            return EXIT_ERROR;
        }
    }
    let columns = std::env::var("COLUMNS").ok();
    let stdout_style = style_for(cli.color, stdout_terminal, columns.as_deref());
    let stderr_style = style_for(cli.color, stderr_terminal, columns.as_deref());
    colored::control::set_override(stdout_style.color);
    let mut output = Vec::new();
    let code = match cli.command {
        Command::Audit(args) => audit::run(args, stdout_style, stderr_style, &mut output),
        Command::Validate { paths } => validate(&paths, stderr_style, &mut output),
        Command::Rules { format, policies } => rules(format, &policies, stderr_style, &mut output),
        Command::Explain { id, policies } => explain(&id, &policies, stderr_style, &mut output),
        Command::Test {
            dirs,
            no_default_policies,
        } => {
            let policies = PolicyArgs {
                dirs,
                no_default_policies,
            };
            test_policies(&policies, stderr_style, &mut output)
        }
        Command::Schema => schema(&mut output),
        Command::Responsibilities { run, format } => {
            responsibilities(&run, format, stderr_style, &mut output)
        }
        Command::Init { force, dir } => init(&dir, force, &mut output),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "regcheck",
                &mut output,
            );
            EXIT_OK
        }
        Command::Man => {
            match clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut output) {
                Ok(()) => EXIT_OK,
                Err(error) => {
                    errln!("error: cannot render the man page: {error}");
                    EXIT_ERROR
                }
            }
        }
    };
    // Write the whole output at once; a closed pipe (`regcheck … | head`) is not an error.
    match output::stdout(&output) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            errln!("error: cannot write to standard output: {error}");
            EXIT_ERROR
        }
        _ => code,
    }
}

/// The size limit from `REGCHECK_MAX_FILE_SIZE`, if it is set.
fn max_file_size_from_env() -> Option<Result<u64, String>> {
    let value = std::env::var(regcheck::input::MAX_FILE_SIZE_ENV).ok()?;
    Some(
        regcheck::input::parse_size(&value)
            .map_err(|message| format!("{}: {message}", regcheck::input::MAX_FILE_SIZE_ENV)),
    )
}

/// Narrowest and widest width the human output is drawn at, whatever `COLUMNS` says (0 or a
/// huge number would otherwise reach the renderer).
const WIDTHS: std::ops::RangeInclusive<usize> = 40..=1000;

fn style_for(choice: ColorChoice, is_terminal: bool, columns: Option<&str>) -> Style {
    let env_set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty() && value != "0");
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !env_set("NO_COLOR") && (env_set("CLICOLOR_FORCE") || is_terminal),
    };
    let width = if is_terminal {
        columns
            .and_then(|columns| columns.trim().parse::<usize>().ok())
            .unwrap_or(100)
            .clamp(*WIDTHS.start(), *WIDTHS.end())
    } else {
        100
    };
    Style { color, width }
}

/// Most problems printed in full for one file (or one set of policies); the rest are counted.
/// 20,000 load errors would otherwise take half a minute and megabytes of terminal.
const MAX_SHOWN_PROBLEMS: usize = 50;

/// Prints the first [`MAX_SHOWN_PROBLEMS`] diagnostics, then how many more there are.
fn eprint_capped(style: Style, diagnostics: &[regcheck::diagnostic::FileDiagnostic]) {
    for diagnostic in diagnostics.iter().take(MAX_SHOWN_PROBLEMS) {
        eprint_diagnostic(style, diagnostic);
    }
    let more = diagnostics.len().saturating_sub(MAX_SHOWN_PROBLEMS);
    if more > 0 {
        errln!(
            "… and {more} more problem{} (the first {MAX_SHOWN_PROBLEMS} are shown)",
            if more == 1 { "" } else { "s" }
        );
    }
}

/// Prints the diagnostics (at most [`MAX_SHOWN_PROBLEMS`]), then a one-line summary naming
/// what failed with the exact count.
pub(crate) fn eprint_diagnostics(
    style: Style,
    diagnostics: &[regcheck::diagnostic::FileDiagnostic],
    what: &str,
) {
    learn_diagnostic_sources(diagnostics);
    eprint_capped(style, diagnostics);
    let count = diagnostics.len();
    errln!(
        "error: {what}: {count} problem{}",
        if count == 1 { "" } else { "s" }
    );
}

/// Teaches the redaction point the secrets of the files these diagnostics are about.
fn learn_diagnostic_sources(diagnostics: &[regcheck::diagnostic::FileDiagnostic]) {
    let mut seen: Vec<&str> = Vec::new();
    for diagnostic in diagnostics {
        let name = diagnostic.source.name.as_str();
        if !seen.contains(&name) {
            seen.push(name);
            output::learn_source(&diagnostic.source);
        }
    }
}

fn eprint_diagnostic(style: Style, diagnostic: &dyn Diagnostic) {
    errln!("{}", report::human::render_diagnostic(style, diagnostic));
}

fn display_name(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// Loads every path, then prints each failed file's errors to standard error: only once every
/// file is read, so that the secrets of all of them are known to the redaction point before
/// anything is printed (an error in one file may quote a value that is secret in another).
pub(crate) fn load_accounts(
    paths: &[PathBuf],
    style: Style,
) -> (Vec<LoadedAccount>, Vec<(String, LoadError)>) {
    let mut loaded = Vec::new();
    let mut failed = Vec::new();
    for path in paths {
        let name = display_name(path);
        match account::load_path(path, &name) {
            Ok(account) => {
                output::learn_source(&account.file.source);
                loaded.push(account);
            }
            Err(error) => {
                learn_diagnostic_sources(&error.diagnostics);
                failed.push((name, error));
            }
        }
    }
    for (name, error) in &failed {
        eprint_capped(style, &error.diagnostics);
        let count = error.diagnostics.len();
        errln!(
            "error: {name} did not load: {count} problem{}",
            if count == 1 { "" } else { "s" }
        );
    }
    (loaded, failed)
}

/// Loads the policies the arguments ask for; prints every problem and returns `None` on error.
pub(crate) fn load_policies(args: &PolicyArgs, style: Style) -> Option<Vec<std::sync::Arc<policy::Policy>>> {
    match policy::load_all(!args.no_default_policies, &args.dirs) {
        Ok(policies) if policies.is_empty() => {
            errln!("error: no policies to run (--no-default-policies and no policy files found)");
            None
        }
        Ok(policies) => {
            // Custom policy files are the user's: their tests' accounts may hold secrets.
            for policy in policies.iter().filter(|policy| !policy.builtin) {
                output::learn_source(&policy.source);
            }
            Some(policies)
        }
        Err(error) => {
            eprint_diagnostics(style, &error.diagnostics, "the policies did not load");
            None
        }
    }
}

fn validate(paths: &[PathBuf], style: Style, out: &mut Vec<u8>) -> u8 {
    let (loaded, failed) = load_accounts(paths, style);
    for account in &loaded {
        let _ = writeln!(out, "{}: ok", account.file.source.name);
    }
    if failed.is_empty() { EXIT_OK } else { EXIT_ERROR }
}

fn rules(format: CatalogFormat, args: &PolicyArgs, style: Style, out: &mut Vec<u8>) -> u8 {
    let Some(policies) = load_policies(args, style) else {
        return EXIT_ERROR;
    };
    let written = match format {
        CatalogFormat::Table => report::catalog::write_table(&policies, out),
        CatalogFormat::Json => report::catalog::write_json(&policies, out),
        CatalogFormat::Markdown => out.write_all(report::catalog::rules_markdown(&policies).as_bytes()),
    };
    if written.is_err() { EXIT_ERROR } else { EXIT_OK }
}

fn explain(id: &str, args: &PolicyArgs, style: Style, out: &mut Vec<u8>) -> u8 {
    let Some(policies) = load_policies(args, style) else {
        return EXIT_ERROR;
    };
    match policies.iter().find(|policy| policy.id.eq_ignore_ascii_case(id)) {
        Some(policy) => {
            if report::catalog::write_explanation(policy, out).is_err() {
                return EXIT_ERROR;
            }
            EXIT_OK
        }
        None => {
            let ids = policies.iter().map(|policy| policy.id.as_str());
            match regcheck::suggest::did_you_mean(&id.to_ascii_uppercase(), ids) {
                Some(best) => errln!("error: no rule `{id}`; did you mean `{best}`?"),
                None => errln!("error: no rule `{id}`; `regcheck rules` lists them"),
            }
            EXIT_ERROR
        }
    }
}

fn test_policies(args: &PolicyArgs, style: Style, out: &mut Vec<u8>) -> u8 {
    let Some(policies) = load_policies(args, style) else {
        return EXIT_ERROR;
    };
    let (mut passed, mut failed, mut untested) = (0, 0, Vec::new());
    for policy in &policies {
        if policy.tests.is_empty() {
            untested.push(policy.id.as_str());
        }
        for result in policy::testing::run_policy_tests(policy) {
            if result.passed() {
                passed += 1;
            } else {
                failed += 1;
                let _ = writeln!(
                    out,
                    "FAIL {} / {} ({})",
                    result.rule_id, result.name, policy.source.name
                );
                for problem in &result.problems {
                    let _ = writeln!(out, "     {problem}");
                }
            }
        }
    }
    if !untested.is_empty() {
        let _ = writeln!(out, "warning: rules without tests: {}", untested.join(", "));
    }
    let rules = policies.len();
    let _ = writeln!(
        out,
        "{rules} rule{}: {passed} passed, {failed} failed",
        if rules == 1 { "" } else { "s" }
    );
    if failed > 0 { EXIT_FINDINGS } else { EXIT_OK }
}

fn responsibilities(run: &audit::RunArgs, format: MatrixFormat, style: Style, out: &mut Vec<u8>) -> u8 {
    let report = match audit::prepare(run, false, style) {
        Ok(report) => report,
        Err(code) => return code,
    };
    let written = match format {
        MatrixFormat::Human => report::responsibilities::write_human(&report, out),
        MatrixFormat::Markdown => report::responsibilities::write_markdown(&report, out),
        MatrixFormat::Json => report::responsibilities::write_json(&report, out),
    };
    if written.is_err() {
        return EXIT_ERROR;
    }
    let code = report.exit_code();
    // The process ends next: freeing a large account's millions of allocations one by one
    // would only delay the exit.
    std::mem::forget(report);
    code
}

/// The starter files `regcheck init` writes.
const STARTERS: [(&str, &str); 2] = [
    ("account.toml", include_str!("templates/account.toml")),
    ("regcheck.toml", include_str!("templates/regcheck.toml")),
];

fn init(dir: &Path, force: bool, out: &mut Vec<u8>) -> u8 {
    let existing: Vec<String> = STARTERS
        .iter()
        .map(|(name, _)| dir.join(name))
        .filter(|path| path.exists())
        .map(|path| path.display().to_string())
        .collect();
    if !existing.is_empty() && !force {
        errln!(
            "error: {} already exist{}; use --force to overwrite",
            existing.join(" and "),
            if existing.len() == 1 { "s" } else { "" }
        );
        return EXIT_ERROR;
    }
    for (name, text) in STARTERS {
        let path = dir.join(name);
        if let Err(message) = output::write_file(&path, text.as_bytes()) {
            errln!("error: cannot write {}: {message}", path.display());
            return EXIT_ERROR;
        }
        let _ = writeln!(out, "wrote {}", path.display());
    }
    let _ = writeln!(
        out,
        "next: fill in account.toml, then run `regcheck audit account.toml`"
    );
    EXIT_OK
}

fn schema(out: &mut Vec<u8>) -> u8 {
    let _ = writeln!(out, "{}", regcheck::account::json_schema());
    EXIT_OK
}
