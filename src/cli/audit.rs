//! `regcheck audit`: config, policies, account files, evaluation, waivers and baseline, then
//! the report on standard output and in report files.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::ValueHint;
use globset::{GlobBuilder, GlobMatcher};

use regcheck::account::LoadError;
use regcheck::audit::{self, EXIT_ERROR, FailOn, Judgement};
use regcheck::baseline::Baseline;
use regcheck::config::Config;
use regcheck::diagnostic::FileDiagnostic;
use regcheck::discover;
use regcheck::engine::Settings;
use regcheck::report::{self, Format, RenderOptions, human::Style};

use super::{
    PolicyArgs, eprint_diagnostics, fail_on_parser, load_accounts, load_policies, merge_policy_dirs,
    parse_as_of,
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

    /// Record today's failing findings in this baseline file.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,

    /// SARIF artifact URIs are relative to this folder [default: the current folder].
    #[arg(long, value_name = "DIR", default_value = ".", value_hint = ValueHint::DirPath)]
    root: PathBuf,

    /// SARIF `automationDetails.id` (the upload action's `category`), to tell apart several
    /// uploads of one commit; without it GitHub derives one from the workflow and job.
    #[arg(long, value_name = "CATEGORY", value_hint = ValueHint::Other)]
    sarif_category: Option<String>,
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

    /// Run only rules whose id matches this glob; repeatable.
    #[arg(long = "rule", value_name = "ID", value_hint = ValueHint::Other)]
    rules: Vec<String>,

    /// Skip rules whose id matches this glob; repeatable.
    #[arg(long = "skip-rule", value_name = "ID", value_hint = ValueHint::Other)]
    skip_rules: Vec<String>,

    /// Report failures recorded in this baseline file as `baselined`; fail only on new ones.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    baseline: Option<PathBuf>,

    #[command(flatten)]
    policies: PolicyArgs,
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

/// Why [`prepare`] stopped before auditing: the exit code, and the config or policy files that
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
                },
            )),
        }
    }
    files
}

/// Config, policies, accounts, evaluation, waivers and baseline: the report every view renders.
/// Problems are printed to standard error.
pub fn prepare(
    args: &RunArgs,
    record_passes: bool,
    error_style: Style,
) -> Result<audit::AuditReport, Stopped> {
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
    let mut policies = load_policies(&policy_args, error_style).map_err(|diagnostics| Stopped {
        code: EXIT_ERROR,
        unusable: unusable(diagnostics),
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
            eprintln!("error: {message}");
            return Err(EXIT_ERROR.into());
        }
    };
    for (pattern, matcher) in only.iter().chain(&skip) {
        if !policies.iter().any(|policy| matcher.is_match(&policy.id)) {
            eprintln!("error: no rule matches `{pattern}`; `regcheck rules` lists the rule ids");
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

    let baseline = match &args.baseline {
        None => None,
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| Baseline::parse(&t))
        {
            Ok(baseline) => {
                if baseline.is_legacy() {
                    eprintln!(
                        "warning: {} is a version-1 baseline: its entries name no account, so each is matched by rule id and subject in every account audited; write it again with --write-baseline to record each finding's account (version 2)",
                        path.display()
                    );
                }
                Some(baseline)
            }
            Err(message) => {
                eprintln!("error: cannot use baseline {}: {message}", path.display());
                return Err(EXIT_ERROR.into());
            }
        },
    };

    let discovered = discover::account_files(&args.paths);
    let (loaded, mut failed) = load_accounts(&discovered.files, error_style);
    // Evidence captured after the as-of time cannot be judged at that time.
    let as_of = args.as_of.unwrap_or_else(Utc::now);
    let (loaded, too_early) = audit::captured_after(loaded, as_of);
    for (name, error) in too_early {
        eprint_diagnostics(
            error_style,
            &error.diagnostics,
            &format!("{name} cannot be audited"),
        );
        failed.push((name, error));
    }
    for (path, message) in &discovered.problems {
        eprintln!("error: {message}");
        failed.push((path.clone(), regcheck::account::LoadError::message(path, message)));
    }
    if discovered.files.is_empty() && discovered.problems.is_empty() {
        eprintln!("error: no account files found in {}", display_paths(&args.paths));
        return Err(EXIT_ERROR.into());
    }

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
        .unwrap_or(FailOn(Some(regcheck::findings::Severity::Low)));
    let judgement = Judgement {
        waivers: &config.waivers,
        baseline: baseline.as_ref(),
    };
    let report = audit::run(loaded, failed, policies, &settings, fail_on, &judgement);

    for (audit, outcome) in report.rule_errors() {
        if let Some(error) = &outcome.error {
            eprintln!(
                "error: rule {} could not be evaluated on {}: {error}",
                outcome.rule_id, audit.account.file.source.name
            );
        }
    }
    for waiver in &report.unused_waivers {
        eprintln!(
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

    Ok(report)
}

pub fn run(args: AuditArgs, style: Style, error_style: Style, out: &mut Vec<u8>) -> u8 {
    if let Some(message) = clashing_outputs(&args) {
        eprintln!("error: {message}");
        return EXIT_ERROR;
    }
    // Only the JSON report lists passing subjects; the other formats need not collect them.
    let record_passes =
        args.format == Format::Json || args.reports.iter().any(|(format, _)| *format == Format::Json);
    let options = RenderOptions {
        style,
        root: args.root.clone(),
        sarif_category: args.sarif_category.clone(),
    };
    let report = match prepare(&args.run, record_passes, error_style) {
        Ok(report) => report,
        Err(stopped) => return report_unusable(&args, stopped, &options, out),
    };
    let file_options = RenderOptions {
        style: Style {
            color: false,
            width: 100,
        },
        ..options.clone()
    };
    for (format, path) in &args.reports {
        let mut bytes = Vec::new();
        let written = report::render(*format, &report, &file_options, &mut bytes)
            .map_err(|e| e.to_string())
            .and_then(|()| regcheck::write::write_file(path, &bytes).map_err(|e| e.to_string()));
        if let Err(message) = written {
            eprintln!("error: cannot write report {}: {message}", path.display());
            return EXIT_ERROR;
        }
    }
    if let Some(path) = &args.write_baseline
        && let Err(message) =
            regcheck::write::write_file(path, Baseline::from_report(&report).to_json().as_bytes())
    {
        eprintln!("error: cannot write baseline {}: {message}", path.display());
        return EXIT_ERROR;
    }
    if let Err(error) = report::render(args.format, &report, &options, out) {
        eprintln!("error: cannot render the report: {error}");
        return EXIT_ERROR;
    }
    let code = report.exit_code();
    // The process ends next: freeing a large account's millions of allocations one by one
    // would only delay the exit.
    std::mem::forget(report);
    code
}

/// When the config or a policy file could not be used, nothing was audited; the annotation,
/// Markdown, JUnit and JSON reports still say why. SARIF is not written: an upload with no
/// results would mark every open code-scanning alert as fixed. Standard error has it already
/// for people, so the human format prints nothing more.
fn report_unusable(args: &AuditArgs, stopped: Stopped, options: &RenderOptions, out: &mut Vec<u8>) -> u8 {
    if stopped.unusable.is_empty() {
        return stopped.code;
    }
    let report = audit::AuditReport {
        as_of: args.run.as_of.unwrap_or_else(Utc::now),
        fail_on: args
            .run
            .fail_on
            .unwrap_or(FailOn(Some(regcheck::findings::Severity::Low))),
        policies: Vec::new(),
        audits: Vec::new(),
        load_errors: stopped.unusable,
        unused_waivers: Vec::new(),
        baseline_used: false,
    };
    let shows_errors = |format: Format| !matches!(format, Format::Human | Format::Sarif);
    for (format, path) in args.reports.iter().filter(|(format, _)| shows_errors(*format)) {
        let mut bytes = Vec::new();
        let written = report::render(*format, &report, options, &mut bytes)
            .map_err(|e| e.to_string())
            .and_then(|()| regcheck::write::write_file(path, &bytes).map_err(|e| e.to_string()));
        if let Err(message) = written {
            eprintln!("error: cannot write report {}: {message}", path.display());
        }
    }
    if shows_errors(args.format) {
        let _ = report::render(args.format, &report, options, out);
    }
    stopped.code
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
