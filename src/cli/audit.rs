//! `regcheck audit`: config, policies, account files, then each account evaluated, judged
//! (waivers, baseline) and handed to every report as soon as it is done.
//!
//! The reports written as the run goes ([`report::Sink`]: human, concise, statistics, JSON) see
//! each account once and keep only their counts, so a folder of many accounts is never held in
//! memory whole. The formats that still need the whole run (SARIF, JUnit, Markdown, GitHub,
//! HTML) get it at the end: the run keeps every account only while one of them is asked for.
//! Report files are written whole at the end, through `output::write_file` (the redaction point).
//!
//! When the config or a policy file cannot be used nothing is audited, and the reports that a CI
//! job may read alone (JSON, JUnit, Markdown, annotations, HTML) still say why ([`Stopped`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Timelike, Utc};
use clap::ValueHint;
use globset::{GlobBuilder, GlobMatcher};

use regcheck::account::{LoadError, LoadedAccount};
use regcheck::audit::{
    self, AccountFile, AccountResult, AuditReport, Auditor, EXIT_ERROR, FailOn, Judgement, RunEnd, RunInfo,
    Tally,
};
use regcheck::baseline::{Baseline, BaselineEntry};
use regcheck::config::Config;
use regcheck::diagnostic::FileDiagnostic;
use regcheck::discover;
use regcheck::engine::Settings;
use regcheck::findings::Severity;
use regcheck::report::human::{DEFAULT_MAX_DIAGNOSTICS, HumanOptions, HumanReport};
use regcheck::report::json::JsonReport;
use regcheck::report::{self, Format, RenderOptions, Sink, human::Style};

use super::output::{self, errln};
use super::{
    PolicyArgs, account_name, display_name, eprint_diagnostics, fail_on_parser, load_account,
    merge_policy_dirs, parse_as_of,
};

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[command(flatten)]
    run: RunArgs,

    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    /// Also write a report to a file, as FORMAT=PATH (for example sarif=results.sarif); repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = parse_report)]
    reports: Vec<(Format, PathBuf)>,

    /// Show counts of findings by rule instead of the findings (human and concise output).
    #[arg(long)]
    statistics: bool,

    /// Full diagnostics shown per account, most severe first; the rest are counted by rule.
    /// A number, or `all` [default: 20].
    #[arg(long, value_name = "N|all", value_parser = parse_max_diagnostics, value_hint = ValueHint::Other)]
    max_diagnostics: Option<MaxDiagnostics>,

    /// Show only findings of this severity and above (human and concise output); the gate and
    /// the summary still count every finding.
    #[arg(long, value_name = "SEVERITY", value_parser = severity_parser())]
    min_severity: Option<Severity>,

    /// List passing subjects as findings in JSON reports (by default each rule's result counts
    /// them).
    #[arg(long)]
    include_passes: bool,

    /// Record today's failing findings in this baseline file.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    write_baseline: Option<PathBuf>,

    /// SARIF artifact URIs are relative to this folder [default: the current folder].
    #[arg(long, value_name = "DIR", default_value = ".", value_hint = ValueHint::DirPath)]
    root: PathBuf,

    /// SARIF `automationDetails.id` (the upload action's `category`), to tell apart several
    /// uploads of one commit; without it GitHub derives one from the workflow and job.
    #[arg(long, value_name = "CATEGORY", value_hint = ValueHint::Other)]
    sarif_category: Option<String>,
}

/// `--max-diagnostics`: a number or `all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxDiagnostics(Option<usize>);

fn parse_max_diagnostics(text: &str) -> Result<MaxDiagnostics, String> {
    if text.eq_ignore_ascii_case("all") {
        return Ok(MaxDiagnostics(None));
    }
    text.parse()
        .map(|count| MaxDiagnostics(Some(count)))
        .map_err(|_| format!("`{text}` is not a number or `all`"))
}

/// The value parser of `--min-severity`: its values are listed, so shells complete them.
fn severity_parser() -> impl clap::builder::TypedValueParser<Value = Severity> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["critical", "high", "medium", "low"]).try_map(|text: String| {
        Severity::parse(&text).ok_or_else(|| "expected one of: critical, high, medium, low".to_owned())
    })
}

/// What every command that runs the rules takes: accounts, time, config, policies, selection.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Account files, folders to walk for `*.toml` account files, or `-` for standard input.
    #[arg(required = true, value_hint = ValueHint::AnyPath)]
    paths: Vec<PathBuf>,

    /// Reference time of every age check: a date (midnight UTC) or an RFC 3339 time. Default: now.
    #[arg(long, value_name = "DATE", value_parser = parse_as_of, value_hint = ValueHint::Other)]
    as_of: Option<DateTime<Utc>>,

    /// Lowest severity of a failing finding that makes the exit code 1 [default: the config
    /// file's fail_on, else low].
    #[arg(long, value_name = "SEVERITY", value_parser = fail_on_parser())]
    fail_on: Option<FailOn>,

    /// The config file [default: regcheck.toml in the current folder, if present].
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    config: Option<PathBuf>,

    /// Run only rules whose id matches this glob (case-insensitive); repeatable.
    #[arg(long = "rule", value_name = "ID", value_hint = ValueHint::Other)]
    rules: Vec<String>,

    /// Skip rules whose id matches this glob (case-insensitive); repeatable.
    #[arg(long = "skip-rule", value_name = "ID", value_hint = ValueHint::Other)]
    skip_rules: Vec<String>,

    /// Report failures recorded in this baseline file as `baselined`; fail only on new ones.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    baseline: Option<PathBuf>,

    #[command(flatten)]
    policies: PolicyArgs,

    #[command(flatten)]
    select: super::select::SelectArgs,
}

fn parse_report(text: &str) -> Result<(Format, PathBuf), String> {
    let (format, path) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not FORMAT=PATH (for example sarif=results.sarif)"))?;
    let format = Format::parse(format).ok_or_else(|| {
        let known: Vec<&str> = <Format as clap::ValueEnum>::value_variants()
            .iter()
            .map(|format| format.name())
            .collect();
        format!(
            "unknown report format `{format}`: use one of {}",
            known.join(", ")
        )
    })?;
    if path.is_empty() {
        return Err("the report path is empty".to_owned());
    }
    Ok((format, PathBuf::from(path)))
}

/// `--rule` and `--skip-rule` patterns; case-insensitive, as `explain` is.
fn globs(patterns: &[String], flag: &str) -> Result<Vec<(String, GlobMatcher)>, String> {
    patterns
        .iter()
        .map(|pattern| {
            GlobBuilder::new(pattern)
                .case_insensitive(true)
                .build()
                .map(|glob| (pattern.clone(), glob.compile_matcher()))
                .map_err(|error| format!("invalid {flag} pattern `{pattern}`: {error}"))
        })
        .collect()
}

/// Everything a run needs before its first account: read and checked up front, so that a
/// problem with the config, a policy or the arguments stops the run before any account is read.
pub struct Plan {
    pub info: RunInfo,
    pub settings: Settings,
    config: Config,
    baseline: Option<Baseline>,
    selection: regcheck::select::Selection,
    pub files: Vec<AccountFile>,
    /// Paths that could not be walked (a symlink loop): reported as files that did not load.
    problems: Vec<(String, String)>,
}

/// Files at least this large, when a run has one, are loaded while the plan is made
/// ([`EarlyLoad`]); below it the parse is shorter than starting a thread.
const EARLY_LOAD_FROM: u64 = 64 << 10;

/// The one account file of a run, read, parsed and scanned for secrets on another thread while
/// the config and the policies load, which need nothing of each other: a 200-image audit (a
/// 220 KB file) takes about a tenth less time.
/// Loading prints nothing, so a plan that fails (its errors printed, exit 2) leaves nothing of
/// it but the secrets the redaction point learned, which only make it mask more.
struct EarlyLoad {
    loading: std::sync::Mutex<Option<Loading>>,
}

struct Loading {
    path: PathBuf,
    name: String,
    thread: std::thread::JoinHandle<Result<LoadedAccount, LoadError>>,
}

impl EarlyLoad {
    /// Starts loading when `paths` is one regular file of at least [`EARLY_LOAD_FROM`] bytes.
    fn start(paths: &[PathBuf]) -> Self {
        let loading = match paths {
            [path] if path.as_os_str() != "-" => std::fs::metadata(path)
                .ok()
                .filter(|meta| meta.is_file() && meta.len() >= EARLY_LOAD_FROM)
                .and_then(|_| {
                    let (path, name) = (path.clone(), account_name(path));
                    let (thread_path, thread_name) = (path.clone(), name.clone());
                    let builder = std::thread::Builder::new()
                        .name("regcheck-load".to_owned())
                        // The stack every account is loaded with on the audit's own threads.
                        .stack_size(regcheck::engine::EVALUATION_STACK);
                    // Beside the main thread, which plans the run meanwhile: started as usual,
                    // the load waited for the plan to end.
                    regcheck::threads::spawn_beside(builder, move || load_account(&thread_path, &thread_name))
                        .ok()
                        .map(|thread| Loading { path, name, thread })
                }),
            _ => None,
        };
        Self {
            loading: std::sync::Mutex::new(loading),
        }
    }

    /// The early load of `file`, if this is the file it loaded (once).
    fn take(&self, file: &AccountFile) -> Option<Result<LoadedAccount, LoadError>> {
        let mut loading = self
            .loading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !loading
            .as_ref()
            .is_some_and(|loading| loading.path == file.path && loading.name == file.name)
        {
            return None;
        }
        // A load that panicked is done again in place, where its panic is reported as usual.
        loading.take()?.thread.join().ok()
    }
}

/// Teaches the redaction point the secrets of every account file of a run of several, before
/// the first report is written. Reports are written account by account as each is audited, and a
/// value that is a secret in one file (where a detector sees it) must be masked in another's
/// output too (where it may sit in a place no detector looks at): the same token can be in
/// several accounts' images. Each file's load takes back the scan made here (by the text's
/// SHA-256) rather than scanning again; keeping the texts instead would hold a whole folder in
/// memory. Standard input, which cannot be read twice, is learned when it loads, before its own
/// report.
fn learn_every_file(files: &[AccountFile]) {
    if files.len() < 2 {
        return;
    }
    let readable: Vec<&AccountFile> = files.iter().filter(|file| file.path.as_os_str() != "-").collect();
    regcheck::in_order::map_parts(&readable, regcheck::cores(), |part| {
        for file in part {
            // A file that cannot be read now is reported when it loads.
            if let Ok(bytes) = regcheck::input::read(&file.path) {
                output::learn_file_ahead(&String::from_utf8_lossy(&bytes));
            }
        }
    });
}

impl Plan {
    fn judgement(&self) -> Judgement<'_> {
        Judgement {
            waivers: &self.config.waivers,
            baseline: self.baseline.as_ref(),
            selection: Some(&self.selection),
        }
    }

    /// Runs every account, handing each result to `deliver` in file order with what `prepare`
    /// made of it (on the thread that audited it); then the unused waivers. Load errors and rule
    /// errors are printed to standard error as each account's turn comes.
    fn run<T: Send>(
        &self,
        early: &EarlyLoad,
        error_style: Style,
        prepare: &(dyn Fn(&AccountResult) -> T + Sync),
        deliver: &mut dyn FnMut(AccountResult, T),
    ) -> Vec<regcheck::config::Waiver> {
        learn_every_file(&self.files);
        let auditor = Auditor::new(&self.info.policies, &self.settings, &self.judgement());
        let load = |file: &AccountFile| {
            early
                .take(file)
                .unwrap_or_else(|| load_account(&file.path, &file.name))
        };
        audit::audit_files(&auditor, &self.files, &load, prepare, &mut |result, prepared| {
            report_errors(&result, error_style);
            deliver(result, prepared);
        });
        for (path, message) in &self.problems {
            errln!("error: {message}");
            let result = AccountResult::Invalid {
                file: path.clone(),
                error: LoadError::message(path, message),
            };
            let prepared = prepare(&result);
            deliver(result, prepared);
        }
        let unused = auditor.unused_waivers();
        for waiver in &unused {
            errln!(
                "warning: waiver at {} (rule `{}`{}{}) matched no finding; remove it or fix its pattern",
                waiver.position,
                waiver.rule,
                waiver
                    .subject
                    .as_ref()
                    .map(|s| format!(", subject `{s}`"))
                    .unwrap_or_default(),
                waiver
                    .account
                    .as_ref()
                    .map(|a| format!(", account `{a}`"))
                    .unwrap_or_default()
            );
        }
        unused
    }
}

/// Prints why an account was not audited (it did not load, or was captured after the as-of
/// time), or which of its rules could not be evaluated.
fn report_errors(result: &AccountResult, style: Style) {
    match result {
        AccountResult::Invalid { file, error } => {
            eprint_diagnostics(style, &error.diagnostics, &format!("{file} {}", error.summary()));
        }
        AccountResult::Audited(audit) => {
            for note in super::select::judged_notes(audit) {
                errln!("{note}");
            }
            for outcome in &audit.outcomes {
                if let Some(error) = &outcome.error {
                    errln!(
                        "error: rule {} could not be evaluated on {}: {error}",
                        outcome.rule_id,
                        audit.account.file.source.name
                    );
                }
            }
        }
    }
}

/// Why [`plan`] stopped before auditing: the exit code, and the config or policy files that
/// could not be used, which the machine-readable reports still show (a CI job that only reads
/// annotations or the step summary must see why nothing was audited).
pub struct Stopped {
    pub code: u8,
    pub unusable: Vec<(String, LoadError)>,
}

impl From<u8> for Stopped {
    fn from(code: u8) -> Self {
        Self {
            code,
            unusable: Vec::new(),
        }
    }
}

/// Groups diagnostics by file, for [`Stopped::unusable`].
fn unusable(diagnostics: Vec<FileDiagnostic>) -> Vec<(String, LoadError)> {
    let mut files: Vec<(String, LoadError)> = Vec::new();
    for diagnostic in diagnostics {
        let name = diagnostic.source.name.clone();
        match files.iter_mut().find(|(file, _)| *file == name) {
            Some((_, error)) => error.diagnostics.push(diagnostic),
            None => files.push((
                name,
                LoadError {
                    diagnostics: vec![diagnostic],
                    kind: Default::default(),
                },
            )),
        }
    }
    files
}

/// Config, policies, rule selection, baseline and the account files: everything checked before
/// any account is read. Problems are printed to standard error; [`Stopped`] carries the exit
/// code and the files that could not be used.
pub fn plan(args: &RunArgs, record_passes: bool, error_style: Style) -> Result<Plan, Stopped> {
    let config = match Config::discover(args.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprint_diagnostics(
                error_style,
                &error.diagnostics,
                "the config file could not be used",
            );
            return Err(Stopped {
                code: EXIT_ERROR,
                unusable: unusable(error.diagnostics),
            });
        }
    };
    let mut policy_args = args.policies.clone();
    policy_args.dirs = merge_policy_dirs(&config.policies, &args.policies.dirs);
    // The config's problems come in one round: those of its shape are printed with the
    // policies' when the policies do not load, and with those that need the rules otherwise.
    let loaded = regcheck::policy::load_all(!policy_args.no_default_policies, &policy_args.dirs);
    let mut config_problems = Vec::new();
    if loaded.is_err()
        && let Err(error) = config.shape_problems()
    {
        eprint_diagnostics(error_style, &error.diagnostics, "the config file is invalid");
        config_problems = error.diagnostics;
    }
    let mut policies = super::report_policies(loaded, error_style).map_err(|diagnostics| {
        config_problems.extend(diagnostics);
        Stopped {
            code: EXIT_ERROR,
            unusable: unusable(config_problems),
        }
    })?;
    if let Err(error) = config.check(&policies) {
        eprint_diagnostics(error_style, &error.diagnostics, "the config file is invalid");
        return Err(Stopped {
            code: EXIT_ERROR,
            unusable: unusable(error.diagnostics),
        });
    }

    // Rule selection: the config's `enabled = false`, then --rule and --skip-rule globs.
    let (only, skip) = match (
        globs(&args.rules, "--rule"),
        globs(&args.skip_rules, "--skip-rule"),
    ) {
        (Ok(only), Ok(skip)) => (only, skip),
        (Err(message), _) | (_, Err(message)) => {
            errln!("error: {message}");
            return Err(EXIT_ERROR.into());
        }
    };
    for (pattern, matcher) in only.iter().chain(&skip) {
        if !policies.iter().any(|policy| matcher.is_match(&policy.id)) {
            errln!("error: no rule matches `{pattern}`; `regcheck rules` lists the rule ids");
            return Err(EXIT_ERROR.into());
        }
    }
    policies.retain(|policy| {
        let enabled = config
            .rules
            .get(&policy.id)
            .and_then(|rule| rule.enabled)
            .unwrap_or(true);
        let selected = only.is_empty() || only.iter().any(|(_, m)| m.is_match(&policy.id));
        let skipped = skip.iter().any(|(_, m)| m.is_match(&policy.id));
        enabled && selected && !skipped
    });

    let selection = match args.select.selection() {
        Ok(selection) => selection,
        Err(message) => {
            errln!("error: {message}");
            return Err(EXIT_ERROR.into());
        }
    };

    let baseline = match &args.baseline {
        None => None,
        Some(path) => match regcheck::input::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                // A baseline written by an older regcheck may hold what it now masks.
                output::learn_text(&text);
                Baseline::parse(&text)
            }) {
            Ok(baseline) => {
                if baseline.is_legacy() {
                    errln!(
                        "warning: {} is a version-1 baseline: its entries name no account, so each is matched by rule id and subject in every account audited; write it again with --write-baseline to record each finding's account (version 2)",
                        path.display()
                    );
                }
                Some(baseline)
            }
            Err(message) => {
                errln!("error: cannot use baseline {}: {message}", path.display());
                return Err(EXIT_ERROR.into());
            }
        },
    };

    let discovered = discover::account_files(&args.paths);
    if discovered.files.is_empty() && discovered.problems.is_empty() {
        errln!("error: no account files found in {}", display_paths(&args.paths));
        return Err(EXIT_ERROR.into());
    }
    let files: Vec<AccountFile> = discovered
        .files
        .iter()
        .map(|path| AccountFile {
            name: account_name(path),
            // A file that cannot be read is reported when its turn comes (standard input counts
            // as small).
            bytes: std::fs::metadata(path).map_or(0, |meta| meta.len()),
            path: path.clone(),
        })
        .collect();

    // Messages show whole seconds: the default time is now, to the second.
    let now = Utc::now();
    let as_of = args
        .as_of
        .unwrap_or_else(|| now.with_nanosecond(0).unwrap_or(now));
    let mut settings = Settings::new(as_of);
    settings.record_passes = record_passes;
    settings.params = config.params();
    if let Some(budget) = config.evaluation_budget {
        settings.budget = budget;
    }
    settings.budgets = config.budgets();
    settings.severities = config
        .rules
        .iter()
        .filter_map(|(id, rule)| rule.severity.map(|severity| (id.clone(), severity)))
        .collect();
    let fail_on = args
        .fail_on
        .or(config.fail_on.map(FailOn))
        .unwrap_or(FailOn(Some(Severity::Low)));
    let info = RunInfo {
        as_of,
        fail_on,
        policies,
        files: files.len() + discovered.problems.len(),
        baseline: args.baseline.as_deref().map(display_name),
    };
    Ok(Plan {
        info,
        settings,
        config,
        baseline,
        selection,
        files,
        problems: discovered.problems,
    })
}

/// The whole run in memory, for views that need all of it (`regcheck responsibilities`,
/// `regcheck diff`).
pub fn prepare(args: &RunArgs, record_passes: bool, error_style: Style) -> Result<AuditReport, Stopped> {
    let early = EarlyLoad::start(&args.paths);
    let plan = plan(args, record_passes, error_style)?;
    let mut audits = Vec::new();
    let mut load_errors = Vec::new();
    let unused_waivers = plan.run(&early, error_style, &|_| (), &mut |result, ()| match result {
        AccountResult::Audited(audit) => audits.push(audit),
        AccountResult::Invalid { file, error } => load_errors.push((file, error)),
    });
    Ok(AuditReport {
        as_of: plan.info.as_of,
        fail_on: plan.info.fail_on,
        policies: plan.info.policies.clone(),
        audits,
        load_errors,
        unused_waivers,
        baseline: plan.info.baseline.clone(),
    })
}

/// One output of the run: standard output or a report file, written as the run goes (a
/// [`Sink`]) or rendered from the whole run at the end.
struct Output {
    format: Format,
    /// `None` is standard output.
    path: Option<PathBuf>,
    style: Style,
    /// The streaming report, for the formats that are one.
    sink: Option<Box<dyn Sink>>,
    /// A report file's bytes, written whole at the end.
    bytes: Vec<u8>,
}

/// Every output of a run, and the first error writing one of them.
struct Outputs {
    outputs: Vec<Output>,
    failed: Option<String>,
}

/// Writes to the `usize`-th output's sink.
type SinkWrite<'a> = dyn FnMut(usize, &mut dyn Sink, &mut dyn Write) -> std::io::Result<()> + 'a;

/// What each output writes for one account, made on the thread that audited it (`None` for
/// the formats that need the whole run).
type Rendered = Vec<Option<std::io::Result<Vec<u8>>>>;

impl Outputs {
    fn new(args: &AuditArgs, style: Style) -> Self {
        let file_style = Style {
            color: false,
            width: 100,
        };
        let outputs = std::iter::once((args.format, None, style))
            .chain(
                args.reports
                    .iter()
                    .map(|(format, path)| (*format, Some(path.clone()), file_style)),
            )
            .map(|(format, path, style)| Output {
                format,
                sink: sink(format, args, style),
                path,
                style,
                bytes: Vec::new(),
            })
            .collect();
        Self {
            outputs,
            failed: None,
        }
    }

    /// The account renderers of the outputs, in their order (`None` for a whole-run format).
    fn renderers(&self) -> Vec<Option<Box<dyn report::AccountRenderer>>> {
        self.outputs
            .iter()
            .map(|output| output.sink.as_ref().map(|sink| sink.renderer()))
            .collect()
    }

    /// Whether some output needs the whole run at the end.
    fn needs_whole_run(&self) -> bool {
        self.outputs.iter().any(|output| output.sink.is_none())
    }

    /// Lets every streaming output write: standard output now (flushed, so a person sees each
    /// account as it is done), report files into their buffers.
    fn each_sink(&mut self, stdout: &mut dyn Write, write: &mut SinkWrite<'_>) {
        for (at, output) in self.outputs.iter_mut().enumerate() {
            let Some(sink) = output.sink.as_deref_mut() else {
                continue;
            };
            let written = match output.path {
                None => write(at, sink, stdout).and_then(|()| stdout.flush()),
                Some(_) => write(at, sink, &mut output.bytes),
            };
            if let Err(error) = written {
                self.failed.get_or_insert_with(|| {
                    format!("cannot write the {} report: {error}", output.format.name())
                });
            }
        }
    }

    /// Renders the outputs that need the whole run.
    fn render_whole(&mut self, whole: &AuditReport, args: &AuditArgs, stdout: &mut dyn Write) {
        for output in self.outputs.iter_mut().filter(|output| output.sink.is_none()) {
            let options = RenderOptions {
                style: output.style,
                root: args.root.clone(),
                sarif_category: args.sarif_category.clone(),
            };
            let written = match &output.path {
                None => report::render(output.format, whole, &options, stdout),
                Some(_) => report::render(output.format, whole, &options, &mut output.bytes),
            };
            if let Err(error) = written {
                self.failed.get_or_insert_with(|| {
                    format!("cannot render the {} report: {error}", output.format.name())
                });
            }
        }
    }

    /// Writes the report files, each whole or not at all; the first error is the run's.
    fn write_files(&self) -> Result<(), String> {
        if let Some(message) = &self.failed {
            return Err(message.clone());
        }
        for output in &self.outputs {
            if let Some(path) = &output.path {
                output::write_file(path, &output.bytes)
                    .map_err(|message| format!("cannot write report {}: {message}", path.display()))?;
            }
        }
        Ok(())
    }
}

pub fn run(args: AuditArgs, style: Style, error_style: Style, stdout: &mut dyn Write) -> u8 {
    if let Some(message) = clashing_outputs(&args) {
        errln!("error: {message}");
        return EXIT_ERROR;
    }
    let wants_json =
        args.format == Format::Json || args.reports.iter().any(|(format, _)| *format == Format::Json);
    let early = EarlyLoad::start(&args.run.paths);
    let mut plan = match plan(&args.run, args.include_passes && wants_json, error_style) {
        Ok(plan) => plan,
        Err(stopped) => return report_unusable(&args, stopped, style, stdout),
    };
    let mut outputs = Outputs::new(&args, style);
    let keep = outputs.needs_whole_run();
    let mut kept: Vec<AccountResult> = Vec::new();
    // The account reported last: freed when the next one comes, and never at the end (the
    // process exits next; freeing a large account's millions of allocations would only delay it).
    let mut previous: Option<AccountResult> = None;
    let mut baseline_entries: Vec<BaselineEntry> = Vec::new();
    let mut tally = Tally::new(plan.info.fail_on);
    let progress = Progress::start(&plan);
    plan.settings.progress = progress.as_ref().map(|p| Arc::clone(&p.engine));
    // Output to a terminal while the bar is drawn goes around it.
    let around_bar = |write: &mut dyn FnMut()| match &progress {
        Some(progress) => progress.bar.suspend(write),
        None => write(),
    };

    around_bar(&mut || outputs.each_sink(stdout, &mut |_, sink, out| sink.begin(&plan.info, out)));
    let renderers = outputs.renderers();
    let info = &plan.info;
    let render = |result: &AccountResult| -> Rendered {
        renderers
            .iter()
            .map(|renderer| {
                renderer.as_ref().map(|renderer| {
                    let mut text = Vec::new();
                    renderer.render(info, result.as_ref(), &mut text).map(|()| text)
                })
            })
            .collect()
    };
    let unused_waivers = plan.run(
        &early,
        error_style,
        &render,
        &mut |result, mut rendered: Rendered| {
            tally.add(result.as_ref());
            if args.write_baseline.is_some()
                && let AccountResult::Audited(audit) = &result
            {
                baseline_entries.extend(Baseline::entries(audit));
            }
            around_bar(&mut || {
                outputs.each_sink(stdout, &mut |at, sink, out| {
                    let text = rendered
                        .get_mut(at)
                        .and_then(Option::take)
                        .unwrap_or(Ok(Vec::new()))?;
                    sink.account(info, result.as_ref(), &text, out)
                })
            });
            if let Some(progress) = &progress {
                progress.accounts_done.fetch_add(1, Ordering::Relaxed);
            }
            if keep {
                kept.push(result);
            } else {
                previous = Some(result);
            }
        },
    );
    std::mem::forget(previous);
    if let Some(progress) = progress {
        progress.finish();
    }
    let end = RunEnd {
        tally,
        unused_waivers,
    };
    outputs.each_sink(stdout, &mut |_, sink, out| sink.finish(&plan.info, &end, out));
    if keep {
        let mut whole = AuditReport {
            as_of: plan.info.as_of,
            fail_on: plan.info.fail_on,
            policies: plan.info.policies.clone(),
            audits: Vec::new(),
            load_errors: Vec::new(),
            unused_waivers: end.unused_waivers.clone(),
            baseline: plan.info.baseline.clone(),
        };
        for result in kept {
            match result {
                AccountResult::Audited(audit) => whole.audits.push(audit),
                AccountResult::Invalid { file, error } => whole.load_errors.push((file, error)),
            }
        }
        outputs.render_whole(&whole, &args, stdout);
        // The process ends next: freeing a large account's millions of allocations one by one
        // would only delay the exit.
        std::mem::forget(whole);
    }
    if let Err(message) = outputs.write_files() {
        errln!("error: {message}");
        return EXIT_ERROR;
    }
    if let Some(path) = &args.write_baseline {
        let baseline = Baseline::from_entries(baseline_entries);
        if let Err(message) = output::write_file(path, baseline.to_json().as_bytes()) {
            errln!("error: cannot write baseline {}: {message}", path.display());
            return EXIT_ERROR;
        }
    }
    end.tally.exit_code()
}

/// When the config or a policy file could not be used, nothing was audited; the annotation,
/// Markdown, JUnit, JSON and HTML reports still say why. SARIF is not written: an upload with no
/// results would mark every open code-scanning alert as fixed. Standard error has it already
/// for people, so the human and concise formats print nothing more.
fn report_unusable(args: &AuditArgs, stopped: Stopped, style: Style, stdout: &mut dyn Write) -> u8 {
    if stopped.unusable.is_empty() {
        return stopped.code;
    }
    let report = AuditReport {
        as_of: args.run.as_of.unwrap_or_else(Utc::now),
        fail_on: args.run.fail_on.unwrap_or(FailOn(Some(Severity::Low))),
        policies: Vec::new(),
        audits: Vec::new(),
        load_errors: stopped.unusable,
        unused_waivers: Vec::new(),
        baseline: None,
    };
    let options = |style| RenderOptions {
        style,
        root: args.root.clone(),
        sarif_category: args.sarif_category.clone(),
    };
    let file_style = Style {
        color: false,
        width: 100,
    };
    let shows_errors = |format: Format| !matches!(format, Format::Human | Format::Concise | Format::Sarif);
    for (format, path) in args.reports.iter().filter(|(format, _)| shows_errors(*format)) {
        let mut bytes = Vec::new();
        let written = report::render(*format, &report, &options(file_style), &mut bytes)
            .map_err(|e| e.to_string())
            .and_then(|()| output::write_file(path, &bytes).map_err(|e| e.to_string()));
        if let Err(message) = written {
            errln!("error: cannot write report {}: {message}", path.display());
        }
    }
    if shows_errors(args.format) {
        let _ = report::render(args.format, &report, &options(style), stdout);
    }
    stopped.code
}

/// The streaming report for `format`, if it is one.
fn sink(format: Format, args: &AuditArgs, style: Style) -> Option<Box<dyn Sink>> {
    let human = HumanOptions {
        style,
        concise: format == Format::Concise,
        statistics: args.statistics,
        max_diagnostics: args
            .max_diagnostics
            .map_or(Some(DEFAULT_MAX_DIAGNOSTICS), |max| max.0),
        min_severity: args.min_severity,
    };
    match format {
        Format::Human | Format::Concise => Some(Box::new(HumanReport::new(human))),
        Format::Json => Some(Box::new(JsonReport::new(args.include_passes))),
        _ => None,
    }
}

/// A progress bar on standard error, drawn only when it is a terminal and only once the run has
/// taken a second: a quick run, a pipe and a test never see it.
struct Progress {
    bar: indicatif::ProgressBar,
    /// What the engine counts (jobs planned and done), for a run of one account.
    engine: Arc<regcheck::engine::Progress>,
    accounts_done: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    ticker: std::thread::JoinHandle<()>,
}

impl Progress {
    /// Shown after this long.
    const DELAY: Duration = Duration::from_secs(1);

    fn start(plan: &Plan) -> Option<Self> {
        if !output::terminals().1 {
            return None;
        }
        let accounts = plan.files.len();
        let template = if accounts > 1 {
            "{spinner} auditing [{bar:30}] {pos}/{len} accounts, {elapsed}"
        } else {
            "{spinner} auditing {msg} [{bar:30}] {percent}%, {elapsed}"
        };
        let bar_style = indicatif::ProgressStyle::with_template(template)
            .map(|bar| bar.progress_chars("=> "))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(accounts as u64),
            indicatif::ProgressDrawTarget::hidden(),
        )
        .with_style(bar_style);
        if let Some(file) = plan.files.first() {
            bar.set_message(output::masked(&file.name));
        }
        let engine = Arc::new(regcheck::engine::Progress::default());
        let accounts_done = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (bar, engine, accounts_done, stop) = (
                bar.clone(),
                Arc::clone(&engine),
                Arc::clone(&accounts_done),
                Arc::clone(&stop),
            );
            std::thread::spawn(move || {
                let started = Instant::now();
                let mut shown = false;
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(50));
                    if !shown && started.elapsed() >= Self::DELAY {
                        bar.set_draw_target(output::progress_target());
                        shown = true;
                    }
                    if accounts > 1 {
                        bar.set_position(accounts_done.load(Ordering::Relaxed) as u64);
                    } else {
                        bar.set_length(engine.jobs_planned.load(Ordering::Relaxed).max(1) as u64);
                        bar.set_position(engine.jobs_done.load(Ordering::Relaxed) as u64);
                    }
                    if shown {
                        bar.tick();
                    }
                }
            })
        };
        Some(Self {
            bar,
            engine,
            accounts_done,
            stop,
            ticker,
        })
    }

    fn finish(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.ticker.join();
        self.bar.finish_and_clear();
    }
}

/// Two files written by one run to the same path would leave only the last: a usage error.
fn clashing_outputs(args: &AuditArgs) -> Option<String> {
    let outputs: Vec<(String, &Path)> = args
        .reports
        .iter()
        .map(|(format, path)| (format!("--report {}", format.name()), path.as_path()))
        .chain(
            args.write_baseline
                .iter()
                .map(|path| ("--write-baseline".to_owned(), path.as_path())),
        )
        .collect();
    for (i, (first, a)) in outputs.iter().enumerate() {
        for (second, b) in &outputs[i + 1..] {
            if regcheck::write::same_target(a, b) {
                return Some(format!(
                    "{first} and {second} both write {}; give each output its own file",
                    b.display()
                ));
            }
        }
    }
    None
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &Path) -> AccountFile {
        AccountFile {
            name: account_name(path),
            bytes: 0,
            path: path.to_path_buf(),
        }
    }

    #[test]
    fn one_large_file_is_loaded_early_and_taken_once_by_its_own_turn() {
        let dir = tempfile::tempdir().unwrap();
        let (large, small) = (dir.path().join("large.toml"), dir.path().join("small.toml"));
        let account = "schema_version = 1\n[account]\nid = \"acc-1\"\ncaptured_at = 2026-11-25\n";
        std::fs::write(
            &large,
            format!("# {}\n{account}", "x".repeat(EARLY_LOAD_FROM as usize)),
        )
        .unwrap();
        std::fs::write(&small, account).unwrap();

        let early = EarlyLoad::start(std::slice::from_ref(&large));
        assert!(early.take(&file(&small)).is_none(), "another file's turn");
        assert!(early.take(&file(&large)).is_some_and(|loaded| loaded.is_ok()));
        assert!(early.take(&file(&large)).is_none(), "taken once");

        for paths in [
            vec![small.clone()],
            vec![large.clone(), small.clone()],
            vec![PathBuf::from("-")],
        ] {
            let early = EarlyLoad::start(&paths);
            assert!(early.loading.lock().unwrap().is_none(), "{paths:?}");
        }
    }
}
