//! The command line: parses arguments, runs a command, and owns standard output and error.
//! Every command returns an exit code; `main` is the only place that exits. Everything printed
//! or written passes through [`output`], the redaction point (`errln!` instead of `eprintln!`).

mod audit;
mod collect;
mod diff;
mod fix;
mod import;
mod output;
mod select;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand, ValueEnum, ValueHint};
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

    /// Largest input file read (account, config, policy, baseline and capture files), as bytes
    /// or with a unit (512MiB, 1GB) [default: $REGCHECK_MAX_FILE_SIZE, else 256MiB].
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
    /// Run IBM's `ibmcloud` CLI and write the capture folder that `import` reads.
    ///
    /// Needs `ibmcloud` logged in with the container-registry, atracker and cbr plug-ins. Runs
    /// read-only commands (and one Access Groups API read with the CLI's token, through curl),
    /// stores no token or API key, and puts the targeted registry region back at the end.
    /// Exit 2 when the check or any command fails.
    Collect(collect::CollectArgs),
    /// Build or refresh an account file from a capture of IBM Cloud CLI output.
    Import(import::ImportArgs),
    /// Compare two audits: which findings are new, fixed, still failing or waived since.
    ///
    /// OLD and NEW are account files, folders of account files, or JSON reports. Exit 1 when a
    /// finding fails anew at or above --fail-on.
    Diff(diff::DiffArgs),
    /// Print the failing findings' fix commands as one bash script to review (`--dry-run`).
    ///
    /// Takes the audit's options. Commands are grouped by account and registry region, every
    /// value from the account quoted; destructive ones and those needing a value you must supply
    /// are commented out. regcheck never runs a fix: without --dry-run this is an error.
    Fix(fix::FixArgs),
    /// Load and check account files only; no rules run.
    Validate {
        /// Account files, folders to walk for `*.toml` account files, or `-` for standard input.
        #[arg(required = true, value_hint = ValueHint::AnyPath)]
        paths: Vec<PathBuf>,
    },
    /// List every rule: id, severity, responsibility and title.
    Rules {
        /// `table` for people, `json` for tools.
        #[arg(long, value_enum, default_value_t = CatalogFormat::Table)]
        format: CatalogFormat,
        #[command(flatten)]
        policies: PolicyArgs,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Explain a rule: what it checks, why, how to fix, parameters and references.
    Explain {
        /// A rule id such as ICR-AT-001 (case-insensitive).
        #[arg(value_hint = ValueHint::Other)]
        id: String,
        #[command(flatten)]
        policies: PolicyArgs,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Run the tests that ship inside policy files: the built-ins, the config's policy folders
    /// and those in DIR.
    Test {
        /// Folders of custom policies whose tests to run as well.
        #[arg(value_hint = ValueHint::DirPath)]
        dirs: Vec<PathBuf>,
        /// Leave the built-in policies out.
        #[arg(long)]
        no_default_policies: bool,
        #[command(flatten)]
        config: ConfigArg,
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
        #[arg(long, value_name = "DIR", default_value = ".", value_hint = ValueHint::DirPath)]
        dir: PathBuf,
        /// The starter's times are relative to this time (a date means midnight UTC), so that
        /// it passes its own audit then [default: now].
        #[arg(long, value_name = "DATE", value_parser = parse_as_of, value_hint = ValueHint::Other)]
        as_of: Option<DateTime<Utc>>,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff): the overview, or COMMAND's page; --dir writes them all.
    Man {
        /// The command whose page to print.
        #[arg(value_parser = PossibleValuesParser::new(COMMAND_NAMES))]
        command: Option<String>,
        /// Write every page (regcheck.1, regcheck-audit.1, …) into this folder instead.
        #[arg(long, value_name = "DIR", conflicts_with = "command", value_hint = ValueHint::DirPath)]
        dir: Option<PathBuf>,
    },
}

/// Every subcommand's name, for `regcheck man COMMAND` (a test keeps it in step with
/// [`Command`]).
const COMMAND_NAMES: [&str; 14] = [
    "audit",
    "collect",
    "import",
    "diff",
    "fix",
    "validate",
    "rules",
    "explain",
    "test",
    "schema",
    "responsibilities",
    "init",
    "completions",
    "man",
];

/// What each command's exit codes mean, for its man page (`cli.md`, "Exit codes").
fn exit_status(command: &str) -> &'static [(&'static str, &'static str)] {
    const ERROR: (&str, &str) = (
        "2",
        "could not run as asked: a usage error, an unreadable or invalid file, a rule that could not be evaluated",
    );
    match command {
        "audit" | "responsibilities" => &[
            ("0", "ran, and no failing finding at or above --fail-on"),
            (
                "1",
                "ran, and at least one such finding (a finding whose waiver expired counts)",
            ),
            (
                "2",
                "could not run as asked: a usage error, an unreadable or invalid account, config or policy file, a rule that could not be evaluated. Errors beat findings: one invalid file among many gives 2, and the others are still audited and reported",
            ),
        ],
        "fix" => &[
            (
                "0",
                "the script was printed (failing findings are what it is for, not an error)",
            ),
            (
                "2",
                "could not run as asked: --dry-run missing, a usage error, an unreadable or invalid account, config or policy file, a rule that could not be evaluated (the script is still printed, without those fixes)",
            ),
        ],
        "validate" => &[
            ("0", "every account file loaded"),
            (
                "2",
                "at least one account file could not be read or is invalid, or a usage error",
            ),
        ],
        "diff" => &[
            (
                "0",
                "no finding fails anew (new, or failing again after its waiver expired) at or above --fail-on",
            ),
            ("1", "at least one such finding"),
            (
                "2",
                "a side could not be read, is an unknown JSON report version, or records load or rule errors (the diff is still printed), or a usage error",
            ),
        ],
        "collect" => &[
            (
                "0",
                "every command ran and the capture folder is complete (and imported, with --import)",
            ),
            (
                "2",
                "ibmcloud is missing, not logged in or lacks a plug-in (nothing is written), or a command failed: the other regions are still captured, the failed ones are named, and nothing is imported",
            ),
        ],
        "import" => &[
            ("0", "the account file was written, or is already up to date"),
            ("1", "--check: the file would change (drift)"),
            (
                "2",
                "a capture file is malformed, the merged file would not load (the old file stays as it was), or a usage error",
            ),
        ],
        "test" => &[
            ("0", "every policy test passed"),
            ("1", "at least one policy test failed"),
            ("2", "a policy or config file did not load, or a usage error"),
        ],
        "regcheck" => &[
            (
                "0",
                "the command ran, and (audit, responsibilities) no failing finding at or above --fail-on, (test) every policy test passed",
            ),
            (
                "1",
                "audit and responsibilities: at least one such finding; test: a policy test failed",
            ),
            (
                "2",
                "could not run as asked: a usage error, an unreadable or invalid file, a rule that could not be evaluated. Errors beat findings. A broken pipe on standard output is not an error",
            ),
        ],
        _ => &[("0", "the command did what it was asked"), ERROR],
    }
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
    #[arg(long = "policies", value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub(crate) dirs: Vec<PathBuf>,
    /// Leave the built-in policies out.
    #[arg(long)]
    pub(crate) no_default_policies: bool,
}

/// The config file of the commands that only read policies (`rules`, `explain`, `test`): its
/// `policies = [...]` folders are loaded too, as `audit` does.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ConfigArg {
    /// The config file whose policy folders are loaded too [default: regcheck.toml in the
    /// current folder, if present].
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    config: Option<PathBuf>,
}

/// The policies of `args` plus the config file's policy folders; problems are printed.
/// `with_tests`: the built-ins are read checked and with their test cases (`regcheck test`).
fn load_policies_with_config(
    args: &PolicyArgs,
    config: &ConfigArg,
    with_tests: bool,
    style: Style,
) -> Option<Vec<std::sync::Arc<policy::Policy>>> {
    let config = match regcheck::config::Config::discover(config.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprint_diagnostics(style, &error.diagnostics, "the config file could not be used");
            return None;
        }
    };
    let dirs = merge_policy_dirs(&config.policies, &args.dirs);
    let loaded = if with_tests {
        policy::load_all_with_tests(!args.no_default_policies, &dirs)
    } else {
        policy::load_all(!args.no_default_policies, &dirs)
    };
    report_policies(loaded, style).ok()
}

/// The config's policy folders, then the command line's, each folder once: a folder named in
/// both (`regcheck test policies-acme` with `policies = ["policies-acme"]`) would otherwise load
/// its rules twice, a duplicate-id error.
pub(crate) fn merge_policy_dirs(from_config: &[PathBuf], from_args: &[PathBuf]) -> Vec<PathBuf> {
    let mut merged: Vec<PathBuf> = Vec::new();
    let mut seen = Vec::new();
    for dir in from_config.iter().chain(from_args) {
        let key = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
        if !seen.contains(&key) {
            seen.push(key);
            merged.push(dir.clone());
        }
    }
    merged
}

/// The value parser of `--fail-on`: its values are listed, so shells complete them.
pub(crate) fn fail_on_parser() -> impl TypedValueParser<Value = FailOn> {
    PossibleValuesParser::new(["critical", "high", "medium", "low", "none"])
        .try_map(|text: String| parse_fail_on(&text))
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
    let stdout_style = style_for(cli.color, stdout_terminal);
    let stderr_style = style_for(cli.color, stderr_terminal);
    colored::control::set_override(stdout_style.color);
    let mut output = Vec::new();
    let code = match cli.command {
        // The audit writes its report as it goes, account by account.
        Command::Audit(args) => {
            let mut stdout = StreamedStdout::default();
            let code = audit::run(args, stdout_style, stderr_style, &mut stdout);
            stdout.write_out();
            if let Some(error) = stdout.error {
                errln!("error: cannot write to standard output: {error}");
                return EXIT_ERROR;
            }
            code
        }
        Command::Import(args) => import::run(args, stderr_style, &mut output),
        Command::Diff(args) => diff::run(args, stdout_style, stderr_style, &mut output),
        Command::Fix(args) => fix::run(args, stderr_style, &mut output),
        Command::Validate { paths } => validate(&paths, stderr_style, &mut output),
        Command::Rules {
            format,
            policies,
            config,
        } => rules(format, &policies, &config, stderr_style, &mut output),
        Command::Explain { id, policies, config } => {
            explain(&id, &policies, &config, stderr_style, &mut output)
        }
        Command::Test {
            dirs,
            no_default_policies,
            config,
        } => {
            let policies = PolicyArgs {
                dirs,
                no_default_policies,
            };
            test_policies(&policies, &config, stderr_style, &mut output)
        }
        Command::Schema => schema(&mut output),
        Command::Responsibilities { run, format } => {
            responsibilities(&run, format, stderr_style, &mut output)
        }
        Command::Init { force, dir, as_of } => init(&dir, force, as_of.unwrap_or_else(Utc::now), &mut output),
        Command::Collect(args) => collect::run(args, stderr_style, &mut output),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "regcheck",
                &mut output,
            );
            EXIT_OK
        }
        Command::Man { command, dir } => man(command.as_deref(), dir.as_deref(), &mut output),
    };
    // Write the whole output at once; a closed pipe (`regcheck … | head`) is not an error.
    match output::stdout(&output) {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
            errln!("error: cannot write to standard output: {error}");
            EXIT_ERROR
        }
        _ => code,
    }
}

/// Standard output written as a command goes, through a buffer that is written out on every
/// flush (a report flushes after each account) and, when it holds [`Self::BUFFER`] bytes, up to
/// its last line end: the redaction point masks what it is given, and a secret cut in two
/// between writes would not be recognised (a multi-line secret is masked line by line). A closed
/// pipe (`regcheck … | head`) ends the output quietly, as it is not an error; another error is
/// kept for the end. Either way the command runs to its end (the exit code is the gate's),
/// writing nothing more.
#[derive(Default)]
struct StreamedStdout {
    buffer: Vec<u8>,
    closed: bool,
    error: Option<io::Error>,
}

impl StreamedStdout {
    const BUFFER: usize = 64 * 1024;

    fn keep(&mut self, result: io::Result<()>) {
        match result {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => self.closed = true,
            Err(error) => {
                self.closed = true;
                self.error.get_or_insert(error);
            }
        }
    }

    fn write_out(&mut self) {
        self.write_out_to(self.buffer.len());
    }

    /// Writes the first `end` bytes of the buffer and keeps the rest.
    fn write_out_to(&mut self, end: usize) {
        if !self.closed && end > 0 {
            let written = output::stdout(&self.buffer[..end]);
            self.keep(written);
        }
        self.buffer.drain(..end);
    }
}

impl Write for StreamedStdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // A large write (a part of a SARIF log) goes out from where it is, not copied into the
        // buffer first: the buffer and `buf` up to its first line end (a line may straddle
        // them), then `buf`'s whole lines; its last, unfinished line is kept.
        if !self.closed
            && buf.len() >= Self::BUFFER
            && let (Some(first), Some(last)) = (memchr::memchr(b'\n', buf), memchr::memrchr(b'\n', buf))
        {
            self.buffer.extend_from_slice(&buf[..=first]);
            self.write_out();
            if last > first && !self.closed {
                let written = output::stdout(&buf[first + 1..=last]);
                self.keep(written);
            }
            if !self.closed {
                self.buffer.extend_from_slice(&buf[last + 1..]);
            }
            return Ok(buf.len());
        }
        if !self.closed {
            self.buffer.extend_from_slice(buf);
            if self.buffer.len() >= Self::BUFFER {
                // Up to the last line end; a buffer of one endless line is written whole at
                // 16 times the size (a value of that length is masked piece by piece anyway).
                let end = match self.buffer.iter().rposition(|&byte| byte == b'\n') {
                    Some(last) => last + 1,
                    None if self.buffer.len() >= 16 * Self::BUFFER => self.buffer.len(),
                    None => 0,
                };
                self.write_out_to(end);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_out();
        Ok(())
    }
}

fn style_for(choice: ColorChoice, is_terminal: bool) -> Style {
    let env_set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty() && value != "0");
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !env_set("NO_COLOR") && (env_set("CLICOLOR_FORCE") || is_terminal),
    };
    Style {
        color,
        width: output_width(is_terminal),
    }
}

/// The width to wrap at: `COLUMNS` when set (shells do not export it, so it is a user's choice),
/// else the terminal's own width, else 100 (a pipe, a file, a test: stable output).
fn output_width(is_terminal: bool) -> usize {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|value| value.trim().parse::<usize>().ok())
        .filter(|&columns| columns >= 20);
    columns
        .or_else(|| {
            is_terminal
                .then(|| terminal_size::terminal_size().map(|(width, _)| usize::from(width.0)))
                .flatten()
        })
        .unwrap_or(100)
        .clamp(40, 400)
}

/// The size limit from `REGCHECK_MAX_FILE_SIZE`, if it is set.
fn max_file_size_from_env() -> Option<Result<u64, String>> {
    let value = std::env::var(regcheck::input::MAX_FILE_SIZE_ENV).ok()?;
    Some(
        regcheck::input::parse_size(&value)
            .map_err(|message| format!("{}: {message}", regcheck::input::MAX_FILE_SIZE_ENV)),
    )
}

/// Most problems printed in full for one file (or one set of policies); the rest are counted.
/// 20,000 load errors would otherwise take half a minute and megabytes of terminal.
pub(crate) const MAX_SHOWN_PROBLEMS: usize = 50;

/// Prints the first [`MAX_SHOWN_PROBLEMS`] diagnostics, then how many more there are.
pub(crate) fn eprint_capped(style: Style, diagnostics: &[regcheck::diagnostic::FileDiagnostic]) {
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
pub(crate) fn learn_diagnostic_sources(diagnostics: &[regcheck::diagnostic::FileDiagnostic]) {
    let mut seen: Vec<&str> = Vec::new();
    for diagnostic in diagnostics {
        let name = diagnostic.source.name.as_str();
        if !seen.contains(&name) {
            seen.push(name);
            output::learn_source(&diagnostic.source);
        }
    }
}

/// One line to standard error, through the redaction point.
pub(crate) fn eprint_message(message: &str) {
    errln!("{message}");
}

pub(crate) fn eprint_diagnostic(style: Style, diagnostic: &dyn Diagnostic) {
    errln!("{}", report::human::render_diagnostic(style, diagnostic));
}

pub(crate) fn display_name(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// How reports name an account file read from standard input (`-`).
pub(crate) const STDIN_NAME: &str = "<stdin>";

/// The name reports give an account path: `-` is standard input.
pub(crate) fn account_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        STDIN_NAME.to_owned()
    } else {
        display_name(path)
    }
}

/// Loads one account path under the name reports give it (`-` is standard input), and teaches
/// the redaction point its secrets (those of a file that did not load too: its errors quote it).
pub(crate) fn load_account(path: &Path, name: &str) -> Result<LoadedAccount, LoadError> {
    let loaded = if path.as_os_str() == "-" {
        load_stdin(name)
    } else {
        account::load_path(path, name)
    };
    match &loaded {
        Ok(account) => output::learn_source(&account.file.source),
        Err(error) => learn_diagnostic_sources(&error.diagnostics),
    }
    loaded
}

/// Standard input as an account, within the input size limit like any file.
fn load_stdin(name: &str) -> Result<LoadedAccount, LoadError> {
    let limit = regcheck::input::max_file_size();
    let mut bytes = Vec::new();
    let read = io::Read::read_to_end(
        &mut io::Read::take(io::stdin().lock(), limit.saturating_add(1)),
        &mut bytes,
    );
    match read {
        Ok(_) if bytes.len() as u64 > limit => Err(LoadError::message(
            name,
            &format!(
                "standard input is larger than the input size limit ({}); raise it with --max-file-size or {}",
                regcheck::input::human_size(limit),
                regcheck::input::MAX_FILE_SIZE_ENV
            ),
        )),
        Ok(_) => account::load_bytes(name, bytes),
        Err(error) => Err(LoadError::message(
            name,
            &format!("cannot read standard input: {error}"),
        )),
    }
}

/// Loads every path (`-` is standard input), then prints each failed file's errors to standard
/// error: only once every file is read, so that the secrets of all of them are known to the
/// redaction point before anything is printed (an error in one file may quote a value that is
/// secret in another).
pub(crate) fn load_accounts(
    paths: &[PathBuf],
    style: Style,
) -> (Vec<LoadedAccount>, Vec<(String, LoadError)>) {
    let mut loaded = Vec::new();
    let mut failed = Vec::new();
    for path in paths {
        let name = account_name(path);
        match load_account(path, &name) {
            Ok(account) => loaded.push(account),
            Err(error) => failed.push((name, error)),
        }
    }
    for (name, error) in &failed {
        eprint_diagnostics(style, &error.diagnostics, &format!("{name} {}", error.summary()));
    }
    (loaded, failed)
}

/// Prints what went wrong loading policies, and returns the problems (empty when there was
/// simply nothing to load).
pub(crate) fn report_policies(
    loaded: Result<Vec<std::sync::Arc<policy::Policy>>, policy::PolicyError>,
    style: Style,
) -> Result<Vec<std::sync::Arc<policy::Policy>>, Vec<regcheck::diagnostic::FileDiagnostic>> {
    match loaded {
        Ok(policies) if policies.is_empty() => {
            errln!("error: no policies to run (--no-default-policies and no policy files found)");
            Err(Vec::new())
        }
        Ok(policies) => {
            // Custom policy files are the user's: their tests' accounts may hold secrets.
            for policy in policies.iter().filter(|policy| !policy.builtin) {
                output::learn_source(&policy.source);
            }
            Ok(policies)
        }
        Err(error) => {
            eprint_diagnostics(style, &error.diagnostics, "the policies did not load");
            Err(error.diagnostics)
        }
    }
}

fn validate(paths: &[PathBuf], style: Style, out: &mut Vec<u8>) -> u8 {
    // Folders are walked for account files, as `audit` does.
    let discovered = regcheck::discover::account_files(paths);
    let (loaded, failed) = load_accounts(&discovered.files, style);
    for (_, message) in &discovered.problems {
        errln!("error: {message}");
    }
    for account in &loaded {
        let _ = writeln!(out, "{}: ok", account.file.source.name);
    }
    if discovered.files.is_empty() && discovered.problems.is_empty() {
        errln!(
            "error: no account files found in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return EXIT_ERROR;
    }
    if failed.is_empty() && discovered.problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_ERROR
    }
}

fn rules(
    format: CatalogFormat,
    args: &PolicyArgs,
    config: &ConfigArg,
    style: Style,
    out: &mut Vec<u8>,
) -> u8 {
    let Some(policies) = load_policies_with_config(args, config, false, style) else {
        return EXIT_ERROR;
    };
    let written = match format {
        CatalogFormat::Table => report::catalog::write_table(&policies, out),
        CatalogFormat::Json => report::catalog::write_json(&policies, out),
        CatalogFormat::Markdown => out.write_all(report::catalog::rules_markdown(&policies).as_bytes()),
    };
    if written.is_err() { EXIT_ERROR } else { EXIT_OK }
}

fn explain(id: &str, args: &PolicyArgs, config: &ConfigArg, style: Style, out: &mut Vec<u8>) -> u8 {
    let Some(policies) = load_policies_with_config(args, config, false, style) else {
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

fn test_policies(args: &PolicyArgs, config: &ConfigArg, style: Style, out: &mut Vec<u8>) -> u8 {
    // The built-ins' test cases are read only here (an audit reads the built-ins without them).
    let Some(policies) = load_policies_with_config(args, config, true, style) else {
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
        Err(stopped) => return stopped.code,
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

/// A starter with its placeholders filled in, relative to `now`: `{{now}}` is that time
/// (whole seconds, UTC), `{{today}}`, `{{today-N}}` and `{{today+N}}` are dates. The starter
/// then passes its own audit when it is written.
fn render_starter(template: &str, now: DateTime<Utc>) -> String {
    let now = now.with_nanosecond(0).unwrap_or(now);
    let today = now.date_naive();
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        if name == "now" {
            out.push_str(&now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        } else if let Some(offset) = name.strip_prefix("today") {
            let days: i64 = offset.replace('+', "").parse().unwrap_or(0);
            let date = today
                .checked_add_signed(chrono::Duration::days(days))
                .unwrap_or(today);
            out.push_str(&date.format("%Y-%m-%d").to_string());
        } else {
            out.push_str(&rest[start..start + 2 + end + 2]);
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

fn init(dir: &Path, force: bool, now: DateTime<Utc>, out: &mut Vec<u8>) -> u8 {
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
    for (name, template) in STARTERS {
        let path = dir.join(name);
        let text = render_starter(template, now);
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

/// `regcheck man`: the overview page, one command's page, or every page into a folder. Each
/// page has an EXIT STATUS section (`cli.md`, "Exit codes").
fn man(command: Option<&str>, dir: Option<&Path>, out: &mut Vec<u8>) -> u8 {
    let mut root = <Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    root.build();
    let mut pages = vec![("regcheck".to_owned(), root.clone())];
    for sub in root.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        pages.push((sub.get_name().to_owned(), sub.clone()));
    }
    let selected: Vec<_> = match (command, dir) {
        (_, Some(_)) => pages,
        (None, None) => pages.into_iter().take(1).collect(),
        (Some(name), None) => pages.into_iter().filter(|(page, _)| page == name).collect(),
    };
    for (name, cmd) in selected {
        let page = match man_page(&name, cmd) {
            Ok(page) => page,
            Err(error) => {
                errln!("error: cannot render the man page of {name}: {error}");
                return EXIT_ERROR;
            }
        };
        let Some(dir) = dir else {
            out.extend_from_slice(&page);
            continue;
        };
        let file = if name == "regcheck" {
            "regcheck.1".to_owned()
        } else {
            format!("regcheck-{name}.1")
        };
        let path = dir.join(file);
        if let Err(error) = std::fs::create_dir_all(dir)
            .map_err(|e| e.to_string())
            .and_then(|()| output::write_file(&path, &page).map_err(|e| e.to_string()))
        {
            errln!("error: cannot write {}: {error}", path.display());
            return EXIT_ERROR;
        }
        let _ = writeln!(out, "wrote {}", path.display());
    }
    EXIT_OK
}

fn man_page(name: &str, cmd: clap::Command) -> io::Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut page)?;
    let mut section = roff::Roff::new();
    section.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in exit_status(name) {
        section.control("TP", []);
        section.text([roff::bold(*code)]);
        section.text([roff::roman(*meaning)]);
    }
    // Without the preamble, which the page has already.
    let rendered = section.render();
    let section = rendered
        .find(".SH")
        .map_or(rendered.as_str(), |start| &rendered[start..]);
    let text = String::from_utf8_lossy(&page).into_owned();
    let text = match text.find(".SH VERSION") {
        Some(at) => format!("{}{section}{}", &text[..at], &text[at..]),
        None => format!("{text}{section}"),
    };
    Ok(text.into_bytes())
}
