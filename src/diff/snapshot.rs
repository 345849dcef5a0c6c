//! One side of a diff: the accounts audited, the rules that ran on each, and the findings that
//! did not pass, read from an audit of account files or from a JSON report.
//!
//! A JSON report is read by field name, taking only what the diff needs, so that fields a later
//! report version adds change nothing here. Its `version` must be one this regcheck writes or
//! wrote (1 to [`crate::report::json::REPORT_VERSION`]); any other is refused with a clear error,
//! since its meaning is unknown. Version 1 lists results and findings at the top level, each
//! naming its file; version 2 nests them in their account.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::Deserialize;

use crate::audit::{AuditReport, FailOn};
use crate::diagnostic::{FileDiagnostic, Problem, SourceText};
use crate::engine::cel::format_time;
use crate::findings::{FindingStatus, RuleStatus, Severity};
use crate::report::json::REPORT_VERSION;

/// A non-passing finding's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    Fail,
    /// Failing: its waiver expired.
    Expired,
    Waived,
    Baselined,
}

impl State {
    pub fn is_failing(self) -> bool {
        matches!(self, State::Fail | State::Expired)
    }

    /// The name in the JSON output.
    pub fn key(self) -> &'static str {
        match self {
            State::Fail => "fail",
            State::Expired => "fail_waiver_expired",
            State::Waived => "waived",
            State::Baselined => "baselined",
        }
    }
}

/// What kind of input a side was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Account files (a file or a folder), audited by this run.
    Accounts,
    /// A JSON report of an earlier audit.
    JsonReport,
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Kind::Accounts => "accounts",
            Kind::JsonReport => "json_report",
        }
    }
}

/// A rule as the diff needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    pub title: String,
    pub severity: Severity,
    pub responsibility: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFinding {
    pub rule_id: String,
    pub severity: Severity,
    pub state: State,
    /// As it may be shown (secrets of the account file masked).
    pub subject: String,
    pub message: String,
    pub line: usize,
    pub column: usize,
    pub fingerprint: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotAccount {
    pub id: String,
    pub name: Option<String>,
    /// The file as reports name it.
    pub file: String,
    /// The name accounts are paired by when their ids differ: the file's path below the folder
    /// that holds every account file of its side (for one file, its name).
    pub key: String,
    /// Rules evaluated without error on this account.
    pub ran: BTreeSet<String>,
    pub findings: Vec<SnapshotFinding>,
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The input as the user gave it.
    pub source: String,
    pub kind: Kind,
    pub as_of: String,
    /// The gate the side was audited with, if known.
    pub fail_on: Option<FailOn>,
    /// A single file (an account file or a report), not a folder.
    pub single_file: bool,
    pub accounts: Vec<SnapshotAccount>,
    pub rules: BTreeMap<String, RuleInfo>,
    /// Files that did not load and rules that could not be evaluated.
    pub errors: Vec<String>,
}

impl Snapshot {
    /// The side an audit of `input` (an account file or a folder of them) produced.
    pub fn from_audit(report: &AuditReport, input: &Path) -> Self {
        let source = input.to_string_lossy().replace('\\', "/");
        let single_file = !input.is_dir();
        let mut errors: Vec<String> = report
            .load_errors
            .iter()
            .map(|(file, error)| {
                let count = error.diagnostics.len();
                format!(
                    "{file} {}: {count} problem{}",
                    error.summary(),
                    if count == 1 { "" } else { "s" }
                )
            })
            .collect();
        let accounts: Vec<SnapshotAccount> = report
            .audits
            .iter()
            .map(|audit| {
                let file = &audit.account.file.source;
                for outcome in audit.outcomes.iter().filter(|o| o.status == RuleStatus::Error) {
                    let message = outcome
                        .error
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    errors.push(format!(
                        "rule {} could not be evaluated on {}: {}",
                        outcome.rule_id,
                        file.name,
                        file.redact(&message)
                    ));
                }
                let model = &audit.account.model.account;
                SnapshotAccount {
                    id: model.id.clone(),
                    name: model.name.clone(),
                    file: file.name.clone(),
                    key: String::new(),
                    ran: audit
                        .outcomes
                        .iter()
                        .filter(|o| o.status != RuleStatus::Error)
                        .map(|o| o.rule_id.clone())
                        .collect(),
                    findings: audit
                        .findings()
                        .filter_map(|finding| {
                            let state = match finding.status {
                                FindingStatus::Pass => return None,
                                FindingStatus::Fail if finding.waiver.as_ref().is_some_and(|w| w.expired) => {
                                    State::Expired
                                }
                                FindingStatus::Fail => State::Fail,
                                FindingStatus::Waived => State::Waived,
                                FindingStatus::Baselined => State::Baselined,
                            };
                            Some(SnapshotFinding {
                                rule_id: finding.rule_id.clone(),
                                severity: finding.severity,
                                state,
                                subject: file.redact(&finding.subject).into_owned(),
                                message: file.redact(&finding.message).into_owned(),
                                line: finding.location.line,
                                column: finding.location.column,
                                fingerprint: finding.fingerprint.clone(),
                            })
                        })
                        .collect(),
                }
            })
            .collect();
        let mut accounts: Vec<SnapshotAccount> = accounts;
        assign_keys(&mut accounts);
        Snapshot {
            source,
            kind: Kind::Accounts,
            as_of: format_time(&report.as_of),
            fail_on: Some(report.fail_on),
            single_file,
            accounts,
            rules: report
                .policies
                .iter()
                .map(|p| {
                    (
                        p.id.clone(),
                        RuleInfo {
                            title: p.title.clone(),
                            severity: p.severity,
                            responsibility: p.responsibility.clone(),
                        },
                    )
                })
                .collect(),
            errors,
        }
    }
}

/// Whether a file holds a JSON report rather than an account file: its first character is `{`
/// (TOML cannot start so).
pub fn looks_like_json(text: &str) -> bool {
    text.trim_start_matches('\u{feff}').trim_start().starts_with('{')
}

// The fields of a JSON report the diff reads; serde ignores the others.
#[derive(Deserialize)]
struct VersionIn {
    version: Option<serde_json::Value>,
    tool: Option<ToolIn>,
}

#[derive(Deserialize)]
struct ToolIn {
    name: Option<String>,
}

#[derive(Deserialize)]
struct ReportIn {
    as_of: String,
    #[serde(default)]
    fail_on: Option<String>,
    accounts: Vec<AccountIn>,
    rules: Vec<RuleIn>,
    /// Version 1: per file and rule; without it every listed rule counts as run.
    #[serde(default)]
    results: Option<Vec<ResultIn>>,
    /// Version 1: every account's findings, each naming its file. Passing findings (most of a
    /// large account's) are dropped as they are read.
    #[serde(default, deserialize_with = "non_passing")]
    findings: Option<Vec<FindingIn>>,
}

fn non_passing<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<FindingIn>>, D::Error> {
    struct Findings;
    impl<'de> serde::de::Visitor<'de> for Findings {
        type Value = Vec<FindingIn>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list of findings")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut kept = Vec::new();
            while let Some(finding) = seq.next_element::<FindingIn>()? {
                if finding.status != "pass" {
                    kept.push(finding);
                }
            }
            Ok(kept)
        }
    }
    deserializer.deserialize_seq(Findings).map(Some)
}

#[derive(Deserialize)]
struct AccountIn {
    file: String,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    account_name: Option<String>,
    #[serde(default)]
    errors: Vec<serde::de::IgnoredAny>,
    /// Version 2: this account's rules; without them every listed rule counts as run.
    #[serde(default)]
    results: Option<Vec<ResultIn>>,
    /// Version 2: this account's findings (passing ones dropped as they are read).
    #[serde(default, deserialize_with = "non_passing")]
    findings: Option<Vec<FindingIn>>,
}

#[derive(Deserialize)]
struct RuleIn {
    id: String,
    #[serde(default)]
    title: String,
    severity: String,
    #[serde(default)]
    responsibility: String,
}

#[derive(Deserialize)]
struct ResultIn {
    /// Version 1 names the file; version 2 nests the result in its account.
    #[serde(default)]
    file: Option<String>,
    rule_id: String,
    status: String,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct FindingIn {
    rule_id: String,
    severity: String,
    status: String,
    subject: String,
    #[serde(default)]
    message: String,
    file: String,
    #[serde(default)]
    line: usize,
    #[serde(default)]
    column: usize,
    fingerprint: String,
    /// Reports that carry the matching waiver say whether it expired.
    #[serde(default)]
    waiver: Option<WaiverIn>,
}

#[derive(Deserialize)]
struct WaiverIn {
    #[serde(default)]
    expired: bool,
}

/// Reads a JSON report (`regcheck audit --format json`) named `name`.
pub fn from_json_report(name: &str, text: &str) -> Result<Snapshot, Box<FileDiagnostic>> {
    let source = SourceText::new(name, text);
    let error = |span: std::ops::Range<usize>, message: String, help: &str| {
        let mut problem = Problem::new(span, message).label("here");
        if !help.is_empty() {
            problem = problem.help(help);
        }
        Box::new(FileDiagnostic::error(source.clone(), problem))
    };
    let at = |e: &serde_json::Error| offset_of(text, e.line(), e.column());
    let syntax = |e: serde_json::Error| {
        let offset = at(&e);
        error(
            offset..offset,
            format!("not a valid regcheck JSON report: {e}"),
            "OLD and NEW may be account files, folders of them, or reports written by `regcheck audit --format json`",
        )
    };
    let head: VersionIn = serde_json::from_str(text).map_err(syntax)?;
    let version_span = text
        .find("\"version\"")
        .map_or(0..0, |start| start..start + "\"version\"".len());
    if let Some(tool) = head.tool.and_then(|t| t.name).filter(|n| n != "regcheck") {
        return Err(error(
            0..0,
            format!("not a regcheck JSON report: it was written by `{tool}`"),
            "",
        ));
    }
    let version = match head.version {
        None => {
            return Err(error(
                0..0,
                "not a regcheck JSON report: it has no `version`".to_owned(),
                "write one with `regcheck audit --format json`",
            ));
        }
        Some(value) => value,
    };
    match version.as_u64() {
        Some(v) if (1..=u64::from(REPORT_VERSION)).contains(&v) => {}
        _ => {
            return Err(error(
                version_span,
                format!("unsupported JSON report version {version}"),
                &format!(
                    "this regcheck reads JSON report versions 1 to {REPORT_VERSION}; a newer regcheck \
                     wrote this one: upgrade regcheck, or diff the account files"
                ),
            ));
        }
    }
    let report: ReportIn = serde_json::from_str(text).map_err(syntax)?;

    let field_error = |message: String| error(0..0, message, "");
    let mut rules = BTreeMap::new();
    for (i, rule) in report.rules.iter().enumerate() {
        let severity = Severity::parse(&rule.severity).ok_or_else(|| {
            field_error(format!(
                "rules[{i}].severity: unknown severity `{}`",
                rule.severity
            ))
        })?;
        rules.insert(
            rule.id.clone(),
            RuleInfo {
                title: rule.title.clone(),
                severity,
                responsibility: rule.responsibility.clone(),
            },
        );
    }
    let fail_on = match report.fail_on.as_deref() {
        None => None,
        Some("none") => Some(FailOn(None)),
        Some(text) => {
            Some(FailOn(Some(Severity::parse(text).ok_or_else(|| {
                field_error(format!("fail_on: unknown severity `{text}`"))
            })?)))
        }
    };

    let version = version.as_u64().unwrap_or(u64::from(REPORT_VERSION));
    if version == 1 && report.findings.is_none() {
        return Err(field_error(
            "missing field `findings` (a version-1 report lists every finding at the top level)".to_owned(),
        ));
    }
    let mut errors = Vec::new();
    let mut accounts: Vec<SnapshotAccount> = Vec::new();
    let mut by_file: HashMap<String, usize> = HashMap::new();
    // Results and findings with the account they belong to: version 2 nests them, version 1
    // names the file of each.
    let mut results: Vec<(Option<usize>, ResultIn)> = Vec::new();
    let mut findings: Vec<(Option<usize>, String, FindingIn)> = Vec::new();
    let ReportIn {
        as_of,
        accounts: accounts_in,
        results: top_results,
        findings: top_findings,
        ..
    } = report;
    let listed_results = top_results.is_some();
    for (a, account) in accounts_in.into_iter().enumerate() {
        match &account.account_id {
            Some(id) if account.errors.is_empty() => {
                let index = accounts.len();
                by_file.insert(account.file.clone(), index);
                accounts.push(SnapshotAccount {
                    id: id.clone(),
                    name: account.account_name.clone(),
                    file: account.file.clone(),
                    key: String::new(),
                    ran: match (&account.results, listed_results) {
                        (None, false) => rules.keys().cloned().collect(),
                        _ => BTreeSet::new(),
                    },
                    findings: Vec::new(),
                });
                results.extend(account.results.into_iter().flatten().map(|r| (Some(index), r)));
                findings.extend(
                    account
                        .findings
                        .into_iter()
                        .flatten()
                        .enumerate()
                        .map(|(i, f)| (Some(index), format!("accounts[{a}].findings[{i}]"), f)),
                );
            }
            _ => errors.push(format!("{} was not audited (recorded in {name})", account.file)),
        }
    }
    results.extend(top_results.into_iter().flatten().map(|r| (None, r)));
    findings.extend(
        top_findings
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, f)| (None, format!("findings[{i}]"), f)),
    );
    for (account, result) in results {
        let index = account.or_else(|| result.file.as_deref().and_then(|file| by_file.get(file).copied()));
        let Some(index) = index else {
            continue;
        };
        if result.status == "error" {
            errors.push(format!(
                "rule {} could not be evaluated on {} (recorded in {name}){}",
                result.rule_id,
                accounts[index].file,
                result
                    .error
                    .as_ref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ));
        } else {
            accounts[index].ran.insert(result.rule_id.clone());
        }
    }
    for (account, at, finding) in findings {
        let state = match finding.status.as_str() {
            "pass" => continue,
            "fail" if finding.waiver.as_ref().is_some_and(|w| w.expired) => State::Expired,
            "fail" => State::Fail,
            "waived" => State::Waived,
            "baselined" => State::Baselined,
            other => {
                return Err(field_error(format!("{at}.status: unknown status `{other}`")));
            }
        };
        let severity = Severity::parse(&finding.severity)
            .ok_or_else(|| field_error(format!("{at}.severity: unknown severity `{}`", finding.severity)))?;
        let Some(index) = account.or_else(|| by_file.get(finding.file.as_str()).copied()) else {
            return Err(field_error(format!(
                "{at}.file: `{}` is not among the report's audited accounts",
                finding.file
            )));
        };
        accounts[index].findings.push(SnapshotFinding {
            rule_id: finding.rule_id,
            severity,
            state,
            subject: finding.subject,
            message: finding.message,
            line: finding.line,
            column: finding.column,
            fingerprint: finding.fingerprint,
        });
    }
    assign_keys(&mut accounts);
    Ok(Snapshot {
        source: name.to_owned(),
        kind: Kind::JsonReport,
        as_of,
        fail_on,
        single_file: true,
        accounts,
        rules,
        errors,
    })
}

/// Sets each account's pairing key: its file's path without the folders every file of the side
/// shares, so that `old/prod.toml` and `new/prod.toml`, or `reports/old/a/x.toml` and
/// `a/x.toml`, pair.
fn assign_keys(accounts: &mut [SnapshotAccount]) {
    let folders = |file: &str| -> Vec<String> {
        let mut parts: Vec<String> = file.split('/').map(str::to_owned).collect();
        parts.pop();
        parts
    };
    let mut common: Option<Vec<String>> = None;
    for account in accounts.iter() {
        let parts = folders(&account.file);
        common = Some(match common {
            None => parts,
            Some(common) => common
                .into_iter()
                .zip(parts)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect(),
        });
    }
    let skip = common.map_or(0, |c| c.len());
    for account in accounts.iter_mut() {
        account.key = account.file.split('/').skip(skip).collect::<Vec<_>>().join("/");
    }
}

/// The byte offset of serde_json's 1-based line and column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut offset = (start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
