//! SARIF 2.1.0 for GitHub code scanning: one run, every rule that ran in `tool.driver.rules`,
//! one result per failing, waived or baselined finding (most severe first, at most
//! [`MAX_RESULTS`]), load errors as tool notifications.
//!
//! What GitHub's upload expects (`cli.md`, "Report formats"): fingerprints under regcheck's own
//! key `regcheck/v1` (`primaryLocationLineHash` is GitHub's, computed by the upload action);
//! `automationDetails.id` only when a category is asked for, so that the upload action's
//! `category` input and several uploads in one job work; artifact URIs relative to `--root`, or
//! absolute `file://` URIs for files outside it (never `../`).
//!
//! A finding's fix goes in its result's message (the command, or why there is none) and the
//! rule's `[fix]` in the rule's help markdown. SARIF's own `fixes` are not used: a SARIF fix is
//! a set of replacements in artifacts (the account file), and a regcheck fix is a command that
//! changes the live account, which an artifact replacement cannot express (the account file is
//! evidence exported from it, fixed by exporting it again).
//!
//! Own small structs rather than the `serde-sarif` crate: the output needs only a dozen object
//! kinds, field order stays under our control (stable bytes for CI diffs), and the crate is
//! used in the tests instead, to read the output back as an independent check.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::audit::{AccountAudit, AuditReport};
use crate::engine::cel::format_time;
use crate::findings::{Finding, FindingStatus, Severity};
use crate::policy::Policy;
use crate::responsibility;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/regcheck/regcheck";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    automation_details: Option<AutomationDetails>,
    invocations: [Invocation; 1],
    /// regcheck counts columns in Unicode code points, not SARIF's default UTF-16 code units.
    column_kind: &'static str,
    results: Vec<SarifResult>,
    properties: RunProperties,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<&'a str>,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    precision: &'static str,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
    tags: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: PartialFingerprints,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    /// Relative to the current folder or `--root`: GitHub resolves it against the repository.
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

/// regcheck's own fingerprint key; GitHub's `primaryLocationLineHash` is left to the upload
/// action, which computes it from the checkout.
#[derive(Serialize)]
struct PartialFingerprints {
    #[serde(rename = "regcheck/v1")]
    regcheck_v1: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties {
    subject: String,
    severity: Severity,
    path: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties {
    as_of: String,
    fail_on: &'static str,
}

/// GitHub shows at most this many characters of a rule's full description.
const FULL_DESCRIPTION_LIMIT: usize = 1024;

/// `text` cut at a word boundary to at most `limit` characters, marked with an ellipsis.
fn clip(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let cut: String = text.chars().take(limit - 1).collect();
    let cut = cut
        .rsplit_once(char::is_whitespace)
        .map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end())
}

/// GitHub's `security-severity` score per severity (its bands: ≥9 critical, ≥7 high, ≥4 medium).
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// GitHub's `problem.severity` (error, warning or recommendation) of a rule of this severity.
pub fn problem_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "recommendation",
    }
}

/// SARIF `level` of a finding of this severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// `ICR-AT-001` → `IcrAt001`-style names are unhelpful; SARIF wants a readable identifier, so
/// the title becomes PascalCase words (`EveryRegistryRegionInUseIsRouted…`).
fn rule_name(policy: &Policy) -> String {
    policy
        .title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The artifact URI of `file`: relative to `root` with forward slashes when the file is inside
/// it, else an absolute `file://` URI (a `../` path would point outside the repository that
/// GitHub resolves it against). Paths are made absolute against the current folder and
/// normalised lexically (`.` and `..`), so that a missing file still gets a URI.
pub fn artifact_uri(file: &str, root: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let absolute = normalize(&cwd.join(file));
    let absolute_root = normalize(&cwd.join(root));
    match absolute.strip_prefix(&absolute_root) {
        Ok(inside) if !inside.as_os_str().is_empty() => encode_path(inside),
        _ => file_uri(&absolute),
    }
}

/// `path` without `.` components and with each `..` removing the component before it.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The segments of a relative path, percent-encoded and joined with `/`.
fn encode_path(path: &Path) -> String {
    path.components()
        .filter_map(|component| match component {
            Component::Normal(name) => Some(percent_encode_segment(&name.to_string_lossy())),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `file:///abs/path` (or `file:///C:/path` on Windows) for an absolute, normalised path.
fn file_uri(path: &Path) -> String {
    let mut uri = String::from("file://");
    for component in path.components() {
        match component {
            // `C:` stays as it is: a drive letter is not percent-encoded.
            Component::Prefix(prefix) => {
                uri.push('/');
                uri.push_str(&prefix.as_os_str().to_string_lossy().replace('\\', "/"));
            }
            Component::Normal(name) => {
                uri.push('/');
                uri.push_str(&percent_encode_segment(&name.to_string_lossy()));
            }
            Component::RootDir | Component::CurDir | Component::ParentDir => {}
        }
    }
    if uri == "file://" {
        uri.push('/');
    }
    uri
}

fn percent_encode_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn help_markdown(policy: &Policy) -> String {
    let mut text = format!(
        "**{}** ({} severity, {})\n\n",
        policy.title,
        policy.severity,
        responsibility::label(&policy.responsibility)
    );
    for (heading, body) in [
        ("What it checks", &policy.docs.summary),
        ("Why", &policy.docs.rationale),
        ("How to fix", &policy.docs.remediation),
    ] {
        if !body.trim().is_empty() {
            text.push_str(&format!("### {heading}\n\n{}\n\n", body.trim()));
        }
    }
    let mut explanation = Vec::new();
    // Writing into a Vec cannot fail; the section is the one `regcheck explain` prints.
    let _ = super::catalog::write_fix_templates(policy, &mut explanation);
    let explanation = String::from_utf8_lossy(&explanation);
    if let Some(section) = explanation.trim().strip_prefix("## Fix command") {
        text.push_str(&format!("### Fix command\n\n{}\n\n", section.trim()));
    }
    if !policy.params.is_empty() {
        text.push_str("### Parameters\n\n");
        for param in &policy.params {
            text.push_str(&format!(
                "- `{}` = {}: {}\n",
                param.name, param.default, param.doc
            ));
        }
        text.push('\n');
    }
    if !policy.docs.references.is_empty() {
        text.push_str("### References\n\n");
        for reference in &policy.docs.references {
            text.push_str(&format!("- {reference}\n"));
        }
    }
    text.trim_end().to_owned()
}

fn help_text(policy: &Policy) -> String {
    [policy.docs.summary.trim(), policy.docs.remediation.trim()]
        .iter()
        .filter(|part| !part.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn message(finding: &Finding) -> String {
    let mut text = finding.message.clone();
    if let Some(waiver) = &finding.waiver
        && waiver.expired
    {
        text.push_str(&format!(
            " (waiver expired {}: {})",
            waiver.expires, waiver.reason
        ));
    }
    if let Some(fix) = &finding.fix {
        match (&fix.action, fix.command_line()) {
            (crate::findings::FixAction::Command { destructive, .. }, Some(line)) => text.push_str(&format!(
                "\n\nFix{}: {line}",
                if *destructive {
                    " (destructive: review before running)"
                } else {
                    ""
                }
            )),
            (crate::findings::FixAction::Reason(reason), _) => {
                text.push_str(&format!("\n\nNo fix command: {reason}"));
            }
            _ => {}
        }
    }
    text
}

/// One finding as a SARIF result.
fn sarif_result(report: &AuditReport, finding: &Finding, rule_index: usize, uri: String) -> SarifResult {
    let location = &finding.location;
    SarifResult {
        rule_id: finding.rule_id.clone(),
        rule_index,
        level: level(finding.severity),
        message: Text {
            text: message(finding),
        },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation { uri },
                region: Region {
                    start_line: location.line.max(1),
                    start_column: location.column.max(1),
                    end_line: location.end_line.max(location.line).max(1),
                    end_column: location.end_column.max(1),
                },
            },
        }],
        // Account id, rule id and subject: stable when lines move.
        partial_fingerprints: PartialFingerprints {
            regcheck_v1: finding.fingerprint.clone(),
        },
        baseline_state: report.baseline.is_some().then_some(match finding.status {
            FindingStatus::Baselined => "unchanged",
            _ => "new",
        }),
        suppressions: finding
            .waiver
            .iter()
            .filter(|waiver| !waiver.expired && finding.status == FindingStatus::Waived)
            .map(|waiver| Suppression {
                kind: "external",
                status: "accepted",
                justification: match &waiver.owner {
                    Some(owner) => {
                        format!("{} (owner: {owner}; expires {})", waiver.reason, waiver.expires)
                    }
                    None => format!("{} (expires {})", waiver.reason, waiver.expires),
                },
            })
            .collect(),
        properties: ResultProperties {
            subject: finding.subject.clone(),
            severity: finding.severity,
            path: finding.path.to_string(),
        },
    }
}

/// How deep the log's results are: `{ "runs": [ { "results": [ here ] } ] }`.
const RESULTS_DEPTH: usize = 4;

/// Result lists at least this long are written on every core, two parts per core or more, each
/// of `MIN_RESULTS_PER_PART` to `RESULTS_PER_PART` results. The evaluation has ended, so the
/// cores are free: a 200-image account's 244 results took 0.7 to 1.3 ms less (whole process,
/// 60 alternating runs) written on two.
const PARALLEL_RESULTS_FROM: usize = 128;
const MIN_RESULTS_PER_PART: usize = 32;
const RESULTS_PER_PART: usize = 256;

/// About what one result takes in the log (1.3 KB on the 10k-image benchmark account), rounded
/// up: a part's buffer is made this large per result.
const RESULT_BYTES: usize = 2048;

/// How a finding becomes a result. It caches each file's URI in the map it is given.
type MakeResult<'a> =
    dyn Fn(&AccountAudit, &Finding, &mut HashMap<String, String>) -> SarifResult + Sync + 'a;

/// Writes the results as the log's pretty printer writes the elements of its `results` array.
/// A long list is written on every core, part by part, and put out
/// in order as the parts finish, a few parts ahead at most: the results are most of a large log,
/// and writing them all into memory first would cost more than it saves.
fn write_results(
    listed: &[(&AccountAudit, &Finding)],
    result: &MakeResult<'_>,
    parallel_from: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    // Each result is preceded by `,\n` and its indentation; the first one's comma is dropped.
    let write_part = |part: &[(&AccountAudit, &Finding)]| -> io::Result<Vec<u8>> {
        // Sized for the part at once: growing it by doubling would copy it, and touch twice the
        // memory, for nothing.
        let (mut bytes, mut uris) = (Vec::with_capacity(part.len() * RESULT_BYTES), HashMap::new());
        for (audit, finding) in part {
            bytes.extend_from_slice(b",\n");
            bytes.resize(bytes.len() + 2 * RESULTS_DEPTH, b' ');
            result(audit, finding, &mut uris)
                .serialize(&mut super::indented::serializer(&mut bytes, RESULTS_DEPTH))
                .map_err(io::Error::other)?;
        }
        Ok(bytes)
    };
    let mut first = true;
    let mut outcome = Ok(());
    let mut deliver = |part: io::Result<Vec<u8>>| {
        let put = part.and_then(|bytes| {
            let bytes = if first {
                bytes.get(1..).unwrap_or_default()
            } else {
                &bytes[..]
            };
            first = false;
            out.write_all(bytes)
        });
        if outcome.is_ok() {
            outcome = put;
        }
    };
    if listed.len() < parallel_from {
        deliver(write_part(listed));
    } else {
        let per_part = listed
            .len()
            .div_ceil(2 * crate::cores())
            .clamp(MIN_RESULTS_PER_PART, RESULTS_PER_PART);
        let parts: Vec<&[(&AccountAudit, &Finding)]> = listed.chunks(per_part).collect();
        crate::in_order::in_order(
            parts.len(),
            crate::cores(),
            &crate::in_order::Workers {
                name: "regcheck-sarif",
                stack: None,
            },
            &|at| write_part(parts[at]),
            &mut deliver,
        );
    }
    outcome
}

/// GitHub code scanning rejects a run with more results than this.
pub const MAX_RESULTS: usize = 25_000;

/// What the SARIF report needs besides the audit.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Artifact URIs are relative to this folder.
    pub root: &'a Path,
    /// `--sarif-category`: becomes `automationDetails.id` (with a trailing `/`, as the upload
    /// action writes its own categories); absent, GitHub derives one from the workflow and job.
    pub category: Option<&'a str>,
}

/// The `automationDetails.id` for a category: the upload action's convention of a trailing `/`
/// (an id ending in `/` names the category alone, with no run id).
pub fn automation_id(category: &str) -> String {
    if category.ends_with('/') {
        category.to_owned()
    } else {
        format!("{category}/")
    }
}

/// A policy's rule, as a log lists it.
fn rule(policy: &Policy) -> Rule<'_> {
    let mut tags = vec![
        "security".to_owned(),
        "compliance".to_owned(),
        policy.responsibility.clone(),
    ];
    let title = responsibility::title(&policy.responsibility);
    if title != policy.responsibility {
        tags.push(title.to_owned());
    }
    Rule {
        id: &policy.id,
        name: rule_name(policy),
        short_description: Text {
            text: policy.title.clone(),
        },
        full_description: Text {
            text: if policy.docs.summary.trim().is_empty() {
                policy.title.clone()
            } else {
                clip(policy.docs.summary.trim(), FULL_DESCRIPTION_LIMIT)
            },
        },
        help: Help {
            text: if help_text(policy).is_empty() {
                policy.title.clone()
            } else {
                help_text(policy)
            },
            markdown: help_markdown(policy),
        },
        help_uri: policy.docs.references.first().map(String::as_str),
        default_configuration: Configuration {
            level: level(policy.severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(policy.severity),
            precision: "high",
            problem_severity: problem_severity(policy.severity),
            tags,
        },
    }
}

/// Where a log's rules are: the level of the `driver` object's keys, and of each rule's.
const RULES_LEVEL: usize = 5;
const RULE_LEVEL: usize = RULES_LEVEL + 1;

/// The rules array of a log for `policies`, in place (as serde_json's pretty format writes it
/// at [`RULES_LEVEL`]). A built-in policy's rule comes from [`prepared::RULES`] when it was made
/// from the policy's text: every rule's help, as text and Markdown, is a quarter of a small
/// account's log, and the most of a small SARIF audit's work.
fn rules_json(policies: &[Arc<Policy>]) -> Vec<u8> {
    if policies.is_empty() {
        return b"[]".to_vec();
    }
    let indent = |out: &mut Vec<u8>, level: usize| out.resize(out.len() + 2 * level, b' ');
    let mut out = Vec::with_capacity(policies.len() * 8 * 1024);
    out.push(b'[');
    for (at, policy) in policies.iter().enumerate() {
        out.extend_from_slice(if at == 0 { b"\n" } else { b",\n" });
        indent(&mut out, RULE_LEVEL);
        match prepared_rule(policy) {
            Some(json) => out.extend_from_slice(json.as_bytes()),
            None => rule_json(policy, &mut out),
        }
    }
    out.push(b'\n');
    indent(&mut out, RULES_LEVEL);
    out.push(b']');
    out
}

/// Writes a policy's rule at [`RULE_LEVEL`].
fn rule_json(policy: &Policy, out: &mut Vec<u8>) {
    // Writing to memory fails only for a value that cannot be serialized; a rule always can.
    let _ = rule(policy).serialize(&mut super::indented::serializer(out, RULE_LEVEL));
}

/// The rule [`prepared::RULES`] holds for a built-in policy, if made from the text it was read
/// from.
fn prepared_rule(policy: &Policy) -> Option<&'static str> {
    if !policy.builtin {
        return None;
    }
    let (_, hash, json) = prepared::RULES
        .iter()
        .find(|(file, ..)| *file == policy.source.name)?;
    (*hash == crate::policy::text_hash(&policy.source.text)).then_some(*json)
}

#[rustfmt::skip]
#[path = "sarif_rules.rs"]
mod prepared;

pub fn write(report: &AuditReport, options: &Options<'_>, out: &mut dyn Write) -> io::Result<()> {
    write_at_most(report, options, MAX_RESULTS, out)
}

/// [`write`] with the result limit as a parameter, so that tests can cross it cheaply.
pub fn write_at_most(
    report: &AuditReport,
    options: &Options<'_>,
    max_results: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_with(report, options, max_results, PARALLEL_RESULTS_FROM, out)
}

/// [`write_at_most`], the results written on every core from `parallel_from` of them.
fn write_with(
    report: &AuditReport,
    options: &Options<'_>,
    max_results: usize,
    parallel_from: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let root = options.root;
    let rules = rules_json(&report.policies);
    let rule_index: HashMap<&str, usize> = report
        .policies
        .iter()
        .enumerate()
        .map(|(index, policy)| (policy.id.as_str(), index))
        .collect();

    // Most severe first, so that the cut at `max_results` keeps what matters.
    // Every finding comes from one of the run's policies, so every listed one has a rule index.
    let listed = super::most_severe_first(report, |finding| {
        finding.status != FindingStatus::Pass && rule_index.contains_key(finding.rule_id.as_str())
    });
    let left_out = listed.len().saturating_sub(max_results);
    let listed = &listed[..listed.len().min(max_results)];
    let result = |audit: &AccountAudit, finding: &Finding, uris: &mut HashMap<String, String>| {
        let rule_index = rule_index[finding.rule_id.as_str()];
        let file = audit.account.file.source.name.as_str();
        let uri = match uris.get(file) {
            Some(uri) => uri.clone(),
            None => uris
                .entry(file.to_owned())
                .or_insert_with(|| artifact_uri(file, root))
                .clone(),
        };
        sarif_result(report, finding, rule_index, uri)
    };
    let mut notifications = Vec::new();
    for (file, error) in &report.load_errors {
        for diagnostic in &error.diagnostics {
            let (line, column) = diagnostic.source.line_col(diagnostic.problem.span.start);
            let (end_line, end_column) = diagnostic.source.line_col(diagnostic.problem.span.end);
            notifications.push(Notification {
                level: "error",
                message: Text {
                    text: format!("{file} {}: {}", error.summary(), diagnostic.problem.message),
                },
                locations: vec![Location {
                    physical_location: PhysicalLocation {
                        artifact_location: ArtifactLocation {
                            uri: artifact_uri(file, root),
                        },
                        region: Region {
                            start_line: line.max(1),
                            start_column: column.max(1),
                            end_line: end_line.max(line).max(1),
                            end_column: end_column.max(column).max(1),
                        },
                    },
                }],
            });
        }
    }
    for (audit, outcome) in report.rule_errors() {
        if let Some(error) = &outcome.error {
            notifications.push(Notification {
                level: "error",
                message: Text {
                    text: format!(
                        "rule {} could not be evaluated on {}: {error}",
                        outcome.rule_id, audit.account.file.source.name
                    ),
                },
                locations: Vec::new(),
            });
        }
    }
    if left_out > 0 {
        notifications.push(Notification {
            level: "warning",
            message: Text {
                text: format!(
                    "{left_out} of {} results were left out: GitHub code scanning accepts at most {max_results} per run, so the most severe are kept; the JSON report lists every finding",
                    left_out + listed.len()
                ),
            },
            locations: Vec::new(),
        });
    }

    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "regcheck",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    // Written in place below.
                    rules: Vec::new(),
                },
            },
            automation_details: options.category.map(|category| AutomationDetails {
                id: automation_id(category),
            }),
            invocations: [Invocation {
                execution_successful: report.exit_code() != crate::audit::EXIT_ERROR,
                tool_execution_notifications: notifications,
            }],
            column_kind: "unicodeCodePoints",
            results: Vec::new(),
            properties: RunProperties {
                as_of: format_time(&report.as_of),
                fail_on: report.fail_on.as_str(),
            },
        }],
    };
    // The log around its results, with an empty results array to write them in: the only
    // place where `"results": []` can be (in a string its quotes would be escaped).
    let frame = serde_json::to_vec_pretty(&log)?;
    // The rules go in place of the `[]` after `"rules": `, the log's first such key (a run's
    // tool comes before everything else it has); the results after `"results": `.
    let no_rules = b"\"rules\": []";
    let Some(rules_at) = memchr::memmem::find(&frame, no_rules).map(|at| at + no_rules.len() - 2) else {
        return Err(io::Error::other("the SARIF log has no rules array"));
    };
    let empty = b"\"results\": []";
    let Some(at) = memchr::memmem::find(&frame[rules_at..], empty).map(|at| rules_at + at) else {
        return Err(io::Error::other("the SARIF log has no results array"));
    };
    let inside = at + empty.len() - 1;
    out.write_all(&frame[..rules_at])?;
    out.write_all(&rules)?;
    out.write_all(&frame[rules_at + 2..inside])?;
    write_results(listed, &result, parallel_from, out)?;
    if !listed.is_empty() {
        out.write_all(b"\n")?;
        out.write_all(&b"  ".repeat(RESULTS_DEPTH - 1))?;
    }
    out.write_all(&frame[inside..])?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::FailOn;

    fn log(policies: Vec<Arc<Policy>>) -> Vec<u8> {
        let report = AuditReport {
            as_of: "2026-12-01T00:00:00Z".parse().unwrap(),
            fail_on: FailOn(Some(Severity::Low)),
            policies,
            audits: Vec::new(),
            load_errors: Vec::new(),
            unused_waivers: Vec::new(),
            baseline: None,
        };
        let options = Options {
            root: Path::new("."),
            category: None,
        };
        let mut out = Vec::new();
        write(&report, &options, &mut out).unwrap();
        out
    }

    /// What `sarif_rules.rs` holds for `policies`: each one's rule, rendered now.
    fn prepared_source(policies: &[Arc<Policy>]) -> String {
        let mut source = String::from(
            "// @generated from the built-in policies by `REGCHECK_BLESS=1 cargo test --lib sarif`; do not\n// edit. See `rules_json` in src/report/sarif.rs.\n\npub(super) static RULES: &[(&str, u64, &str)] = &[\n",
        );
        for policy in policies {
            let mut json = Vec::new();
            rule_json(policy, &mut json);
            let json = String::from_utf8(json).unwrap();
            source.push_str(&format!(
                "    (\n        {:?},\n        {:#018x},\n        {json:?},\n    ),\n",
                policy.source.name,
                crate::policy::text_hash(&policy.source.text),
            ));
        }
        source + "];\n"
    }

    /// Results written on every core, in parts, are the bytes of the results written in one
    /// piece.
    #[test]
    fn results_written_in_parts_on_every_core_are_the_same_bytes() {
        let text = include_str!("../../examples/account.toml");
        let accounts = (0..30)
            .map(|n| {
                crate::account::load_str(&format!("accounts/team-{n:02}.toml"), text.to_owned()).unwrap()
            })
            .collect();
        let report = crate::audit::run(
            accounts,
            Vec::new(),
            crate::policy::builtin().unwrap(),
            &crate::engine::Settings::new("2026-11-26T00:00:00Z".parse().unwrap()),
            FailOn(Some(Severity::Low)),
            &crate::audit::Judgement::default(),
        );
        let options = Options {
            root: Path::new("."),
            category: None,
        };
        let write = |parallel_from| {
            let mut out = Vec::new();
            write_with(&report, &options, MAX_RESULTS, parallel_from, &mut out).unwrap();
            out
        };
        let whole = write(usize::MAX);
        let value: serde_json::Value = serde_json::from_slice(&whole).unwrap();
        let results = value["runs"][0]["results"].as_array().unwrap().len();
        // Enough for several parts of the smallest size on any machine of up to 4 cores.
        assert!(results > 8 * MIN_RESULTS_PER_PART, "{results} results");
        assert_eq!(
            String::from_utf8(write(1)).unwrap(),
            String::from_utf8(whole).unwrap()
        );
    }

    /// The table is made from the policies by the renderer itself; regenerate it with
    /// `REGCHECK_BLESS=1 cargo test --lib sarif` after editing a built-in policy or how a rule
    /// is rendered.
    #[test]
    fn prepared_rules_are_the_rules_rendered_now() {
        crate::test_support::assert_generated_file_is_current(
            "src/report/sarif_rules.rs",
            &prepared_source(&crate::policy::builtin().unwrap()),
            "REGCHECK_BLESS=1 cargo test --lib sarif",
        );
    }

    #[test]
    fn every_builtin_rule_comes_from_the_table_and_the_log_is_serde_jsons_pretty_format() {
        if std::env::var_os("REGCHECK_BLESS").is_some() {
            return; // this build still has the table from before the bless
        }
        let policies = crate::policy::builtin().unwrap();
        for policy in &policies {
            assert!(
                prepared_rule(policy).is_some(),
                "{} is not in the table",
                policy.id
            );
        }
        let written = log(policies.clone());
        let value: serde_json::Value = serde_json::from_slice(&written).unwrap();
        assert_eq!(
            serde_json::to_string_pretty(&value).unwrap() + "\n",
            String::from_utf8_lossy(&written)
        );
        let rules = value["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), policies.len());
        assert_eq!(rules[1]["id"], policies[1].id.as_str());
        // No policy, no rule: the empty array in place.
        let value: serde_json::Value = serde_json::from_slice(&log(Vec::new())).unwrap();
        assert_eq!(value["runs"][0]["tool"]["driver"]["rules"], serde_json::json!([]));
    }

    #[test]
    fn an_edited_builtin_or_a_custom_policy_is_rendered_from_its_text() {
        let builtin = crate::policy::builtin().unwrap().remove(0);
        let edited = Policy {
            id: builtin.id.clone(),
            title: "An edited title".to_owned(),
            severity: builtin.severity,
            responsibility: builtin.responsibility.clone(),
            checks: Vec::new(),
            params: Vec::new(),
            docs: builtin.docs.clone(),
            tests: Vec::new(),
            source: crate::diagnostic::SourceText::new(
                builtin.source.name.clone(),
                format!("{} ", builtin.source.text),
            ),
            builtin: true,
        };
        assert!(prepared_rule(&edited).is_none());
        let custom = Policy {
            builtin: false,
            source: builtin.source.clone(),
            ..edited
        };
        assert!(prepared_rule(&custom).is_none());
        let value: serde_json::Value = serde_json::from_slice(&log(vec![Arc::new(custom)])).unwrap();
        assert_eq!(
            value["runs"][0]["tool"]["driver"]["rules"][0]["shortDescription"]["text"],
            "An edited title"
        );
    }
}
