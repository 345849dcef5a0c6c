//! `regcheck audit`: config, policies, account files, evaluation, waivers and baseline, then
//! the report on standard output and in report files.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use globset::{Glob, GlobMatcher};

use regcheck::audit::{self, EXIT_ERROR, FailOn, Judgement};
use regcheck::baseline::Baseline;
use regcheck::config::Config;
use regcheck::discover;
use regcheck::engine::Settings;
use regcheck::report::{self, Format, RenderOptions, human::Style};

use super::output::{self, errln};
use super::{PolicyArgs, eprint_diagnostics, load_accounts, load_policies, parse_as_of, parse_fail_on};

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
    #[arg(long, value_name = "DIR", default_value = ".")]
    root: PathBuf,
}

/// What every command that runs the rules takes: accounts, time, config, policies, selection.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Account files, or folders to walk for `*.toml` account files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,

    /// Reference time of every age check: a date (midnight UTC) or an RFC 3339 time. Default: now.
    #[arg(long, value_parser = parse_as_of)]
    as_of: Option<DateTime<Utc>>,

    /// Lowest severity of a failing finding that makes the exit code 1 [default: the config
    /// file's fail_on, else low].
    #[arg(long, value_parser = parse_fail_on)]
    fail_on: Option<FailOn>,

    /// The config file [default: regcheck.toml in the current folder, if present].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Run only rules whose id matches this glob; repeatable.
    #[arg(long = "rule", value_name = "ID")]
    rules: Vec<String>,

    /// Skip rules whose id matches this glob; repeatable.
    #[arg(long = "skip-rule", value_name = "ID")]
    skip_rules: Vec<String>,

    /// Report failures recorded in this baseline file as `baselined`; fail only on new ones.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,

    #[command(flatten)]
    policies: PolicyArgs,
}

fn parse_report(text: &str) -> Result<(Format, PathBuf), String> {
    let (format, path) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not FORMAT=PATH (for example sarif=results.sarif)"))?;
    let format = Format::parse(format).ok_or_else(|| {
        format!("unknown report format `{format}`: use human, json, sarif, junit, markdown or github")
    })?;
    if path.is_empty() {
        return Err("the report path is empty".to_owned());
    }
    Ok((format, PathBuf::from(path)))
}

fn globs(patterns: &[String], flag: &str) -> Result<Vec<(String, GlobMatcher)>, String> {
    patterns
        .iter()
        .map(|pattern| {
            Glob::new(pattern)
                .map(|glob| (pattern.clone(), glob.compile_matcher()))
                .map_err(|error| format!("invalid {flag} pattern `{pattern}`: {error}"))
        })
        .collect()
}

/// Config, policies, accounts, evaluation, waivers and baseline: the report every view renders.
/// Problems are printed to standard error; `Err` carries the exit code.
pub fn prepare(args: &RunArgs, record_passes: bool, error_style: Style) -> Result<audit::AuditReport, u8> {
    let config = match Config::discover(args.config.as_deref()) {
        Ok(config) => {
            if let Some(source) = &config.source {
                output::learn_source(source);
            }
            config
        }
        Err(error) => {
            eprint_diagnostics(
                error_style,
                &error.diagnostics,
                "the config file could not be used",
            );
            return Err(EXIT_ERROR);
        }
    };
    let mut policy_args = args.policies.clone();
    policy_args.dirs.splice(0..0, config.policies.iter().cloned());
    let Some(mut policies) = load_policies(&policy_args, error_style) else {
        return Err(EXIT_ERROR);
    };
    if let Err(error) = config.check(&policies) {
        eprint_diagnostics(error_style, &error.diagnostics, "the config file is invalid");
        return Err(EXIT_ERROR);
    }

    // Rule selection: the config's `enabled = false`, then --rule and --skip-rule globs.
    let (only, skip) = match (
        globs(&args.rules, "--rule"),
        globs(&args.skip_rules, "--skip-rule"),
    ) {
        (Ok(only), Ok(skip)) => (only, skip),
        (Err(message), _) | (_, Err(message)) => {
            errln!("error: {message}");
            return Err(EXIT_ERROR);
        }
    };
    for (pattern, matcher) in only.iter().chain(&skip) {
        if !policies.iter().any(|policy| matcher.is_match(&policy.id)) {
            errln!("error: no rule matches `{pattern}`; `regcheck rules` lists the rule ids");
            return Err(EXIT_ERROR);
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
        Some(path) => match regcheck::input::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                // A baseline written by an older regcheck may hold what it now masks.
                output::learn_text(&text);
                Baseline::parse(&text)
            }) {
            Ok(baseline) => Some(baseline),
            Err(message) => {
                errln!("error: cannot use baseline {}: {message}", path.display());
                return Err(EXIT_ERROR);
            }
        },
    };

    let discovered = discover::account_files(&args.paths);
    let (loaded, mut failed) = load_accounts(&discovered.files, error_style);
    for (path, message) in &discovered.problems {
        errln!("error: {message}");
        failed.push((path.clone(), regcheck::account::LoadError::message(path, message)));
    }
    if discovered.files.is_empty() && discovered.problems.is_empty() {
        errln!("error: no account files found in {}", display_paths(&args.paths));
        return Err(EXIT_ERROR);
    }

    let mut settings = Settings::new(args.as_of.unwrap_or_else(Utc::now));
    settings.record_passes = record_passes;
    settings.params = config.params();
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
            errln!(
                "error: rule {} could not be evaluated on {}: {error}",
                outcome.rule_id,
                audit.account.file.source.name
            );
        }
    }
    for waiver in &report.unused_waivers {
        errln!(
            "warning: waiver at {} (rule `{}`{}) matched no finding; remove it or fix its pattern",
            waiver.position,
            waiver.rule,
            waiver
                .subject
                .as_ref()
                .map(|s| format!(", subject `{s}`"))
                .unwrap_or_default()
        );
    }

    Ok(report)
}

pub fn run(args: AuditArgs, style: Style, error_style: Style, out: &mut Vec<u8>) -> u8 {
    if let Some(message) = clashing_outputs(&args) {
        errln!("error: {message}");
        return EXIT_ERROR;
    }
    // Only the JSON report lists passing subjects; the other formats need not collect them.
    let record_passes =
        args.format == Format::Json || args.reports.iter().any(|(format, _)| *format == Format::Json);
    let report = match prepare(&args.run, record_passes, error_style) {
        Ok(report) => report,
        Err(code) => return code,
    };
    let options = RenderOptions {
        style,
        root: args.root.clone(),
    };
    let file_options = RenderOptions {
        style: Style {
            color: false,
            width: 100,
        },
        root: args.root.clone(),
    };
    for (format, path) in &args.reports {
        let mut bytes = Vec::new();
        let written = report::render(*format, &report, &file_options, &mut bytes)
            .map_err(|e| e.to_string())
            .and_then(|()| output::write_file(path, &bytes).map_err(|e| e.to_string()));
        if let Err(message) = written {
            errln!("error: cannot write report {}: {message}", path.display());
            return EXIT_ERROR;
        }
    }
    if let Some(path) = &args.write_baseline
        && let Err(message) = output::write_file(path, Baseline::from_report(&report).to_json().as_bytes())
    {
        errln!("error: cannot write baseline {}: {message}", path.display());
        return EXIT_ERROR;
    }
    if let Err(error) = report::render(args.format, &report, &options, out) {
        errln!("error: cannot render the report: {error}");
        return EXIT_ERROR;
    }
    let code = report.exit_code();
    // The process ends next: freeing a large account's millions of allocations one by one
    // would only delay the exit.
    std::mem::forget(report);
    code
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
