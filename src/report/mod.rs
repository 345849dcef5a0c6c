//! Reporters: each reads findings and writes to an injected writer. None of them evaluates
//! anything or decides the exit code.
//!
//! Two ways to feed a reporter:
//! - as a run goes ([`Sink`]): `begin` with what is known up front (rules, as-of time, how many
//!   files), `account` for each account in file order as soon as it is audited, `finish` with
//!   the totals and unused waivers. The text for an account is made apart, by the sink's
//!   [`AccountRenderer`], on the thread that audited it: accounts audited side by side are
//!   rendered side by side too, and the thread that keeps the file order only writes. The human,
//!   concise and statistics views and JSON work this way, so their output starts with the first
//!   account and a run never holds them all;
//! - with the whole run at the end ([`render`] on an [`AuditReport`]): SARIF, JUnit, Markdown,
//!   GitHub annotations and the HTML posture page, for now. Each can move to [`Sink`] on its own: SARIF writes `rules` in
//!   `begin` and results per account (its 25,000-result cap becomes a running count of what was
//!   kept), JUnit a test suite per account, Markdown and the annotations keep the few findings
//!   they show (at most 1 MiB, or 10 per severity) as they go. The driver in the CLI does not
//!   change: it already hands every account to every sink, and collects the whole run only
//!   while some format still asks for it. [`render`] replays a whole report through a sink, so
//!   both ways give the same bytes.

pub mod catalog;
pub mod fix_script;
pub mod github;
pub mod html;
pub mod human;
mod indented;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod responsibilities;
pub mod sarif;

use std::io::{self, Write};
use std::path::PathBuf;

use std::collections::BTreeMap;

use crate::audit::{AccountAudit, AccountRef, AuditReport, RunEnd, RunInfo};
use crate::findings::{Finding, FindingStatus, RuleStatus, Severity};
use crate::responsibility;

/// Output formats of `regcheck audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Full diagnostics with the account file's lines.
    Human,
    /// One line per finding: `file:line:col: RULE [severity] message`.
    Concise,
    /// A versioned document for tools.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// JUnit XML, for CI test views.
    Junit,
    /// A summary and table for `$GITHUB_STEP_SUMMARY`.
    Markdown,
    /// GitHub Actions annotations.
    Github,
    /// A self-contained HTML posture page (heat map, drill-down, filters).
    Html,
}

impl Format {
    pub fn parse(text: &str) -> Option<Self> {
        <Self as clap::ValueEnum>::from_str(text, true).ok()
    }

    /// The name users type (`sarif`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Concise => "concise",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Github => "github",
            Format::Html => "html",
        }
    }
}

impl Format {
    /// Whether this format is written account by account ([`Sink`]); the others need the whole
    /// run ([`render`]).
    pub fn streams(self) -> bool {
        matches!(self, Format::Human | Format::Concise | Format::Json)
    }
}

/// What renderers need besides the report.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub style: human::Style,
    /// SARIF artifact URIs are relative to this folder.
    pub root: PathBuf,
    /// `--sarif-category`: the SARIF run's `automationDetails.id`, only when asked for.
    pub sarif_category: Option<String>,
}

/// What a report writes for one account. Made apart from the report's running state, so that
/// the driver can make it on the thread that audited the account, several accounts at once.
pub trait AccountRenderer: Send + Sync {
    fn render(&self, run: &RunInfo, account: AccountRef<'_>, out: &mut Vec<u8>) -> io::Result<()>;
}

/// A report written as a run goes: see the module documentation.
pub trait Sink {
    /// What this report writes for one account, to be made on any thread.
    fn renderer(&self) -> Box<dyn AccountRenderer>;
    /// Before the first account.
    fn begin(&mut self, run: &RunInfo, out: &mut dyn Write) -> io::Result<()>;
    /// Each account, in file order, as soon as it is audited (or found not to load), with what
    /// the renderer made of it: the report writes it and keeps its counts.
    fn account(
        &mut self,
        run: &RunInfo,
        account: AccountRef<'_>,
        rendered: &[u8],
        out: &mut dyn Write,
    ) -> io::Result<()>;
    /// After the last account.
    fn finish(&mut self, run: &RunInfo, end: &RunEnd, out: &mut dyn Write) -> io::Result<()>;
}

/// Feeds a whole report to a sink, as a run would have.
pub fn replay(sink: &mut dyn Sink, report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let info = report.info();
    let renderer = sink.renderer();
    sink.begin(&info, out)?;
    let mut rendered = Vec::new();
    for account in report.accounts() {
        rendered.clear();
        renderer.render(&info, account, &mut rendered)?;
        sink.account(&info, account, &rendered, out)?;
    }
    sink.finish(&info, &report.end(), out)
}

/// Writes a whole report in `format`, with the default view of each format.
pub fn render(
    format: Format,
    report: &AuditReport,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => replay(
            &mut human::HumanReport::new(human::HumanOptions::new(options.style)),
            report,
            out,
        ),
        Format::Concise => replay(
            &mut human::HumanReport::new(human::HumanOptions {
                concise: true,
                ..human::HumanOptions::new(options.style)
            }),
            report,
            out,
        ),
        Format::Json => replay(&mut json::JsonReport::new(true), report, out),
        Format::Sarif => sarif::write(
            report,
            &sarif::Options {
                root: &options.root,
                category: options.sarif_category.as_deref(),
            },
            out,
        ),
        Format::Junit => junit::write(report, out),
        Format::Markdown => markdown::write(report, out),
        Format::Github => github::write(report, out),
        Format::Html => html::write(report, out),
    }
}

/// The findings that `keep` selects, most severe first, then by file, rule and subject
/// (cli.md: every format lists findings in this order, so that a list cut off at a limit keeps
/// what matters most).
pub fn most_severe_first(
    report: &AuditReport,
    keep: impl Fn(&Finding) -> bool,
) -> Vec<(&AccountAudit, &Finding)> {
    let mut findings: Vec<(&AccountAudit, &Finding)> = report
        .audits
        .iter()
        .flat_map(|audit| audit.findings().map(move |finding| (audit, finding)))
        .filter(|(_, finding)| keep(finding))
        .collect();
    findings.sort_by(|(a_audit, a), (b_audit, b)| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| {
                a_audit
                    .account
                    .file
                    .source
                    .name
                    .cmp(&b_audit.account.file.source.name)
            })
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    findings
}

/// The findings of one account that `keep` selects, most severe first, then by rule and subject.
pub fn account_most_severe_first(audit: &AccountAudit, keep: impl Fn(&Finding) -> bool) -> Vec<&Finding> {
    let mut findings: Vec<&Finding> = audit.findings().filter(|finding| keep(finding)).collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    findings
}

/// One row of an account's summary: a responsibility, its rules by status and its failing
/// findings by severity.
#[derive(Debug, Default)]
pub struct SummaryRow {
    /// `R1 Track events`, or a custom tag as it is.
    pub label: String,
    /// Rules that passed, failed, did not apply, errored.
    pub rules: [usize; 4],
    /// Failing findings: critical, high, medium, low.
    pub failing: [usize; 4],
}

/// The summary rows of one audited account, in responsibility order (the human and Markdown
/// reports show them).
pub fn summary_rows(report: &AuditReport, audit: &AccountAudit) -> Vec<SummaryRow> {
    account_summary_rows(|id| report.policy(id), audit)
}

/// [`summary_rows`] with rules looked up by `policy`.
pub fn account_summary_rows<'p>(
    policy: impl Fn(&str) -> Option<&'p crate::policy::Policy>,
    audit: &AccountAudit,
) -> Vec<SummaryRow> {
    let mut rows: BTreeMap<(usize, String), SummaryRow> = BTreeMap::new();
    for outcome in &audit.outcomes {
        let Some(policy) = policy(&outcome.rule_id) else {
            continue;
        };
        let (order, tag) = responsibility::order(&policy.responsibility);
        let row = rows.entry((order, tag.to_owned())).or_insert_with(|| SummaryRow {
            label: responsibility::label(tag),
            ..SummaryRow::default()
        });
        row.rules[match outcome.status {
            RuleStatus::Pass => 0,
            RuleStatus::Fail => 1,
            RuleStatus::NotApplicable => 2,
            RuleStatus::Error => 3,
        }] += 1;
        for finding in outcome
            .findings
            .iter()
            .filter(|f| f.status == FindingStatus::Fail)
        {
            row.failing[match finding.severity {
                Severity::Critical => 0,
                Severity::High => 1,
                Severity::Medium => 2,
                Severity::Low => 3,
            }] += 1;
        }
    }
    rows.into_values().collect()
}

/// `12,345`: counts are read at a glance (the HTML report, the diff's Markdown).
pub fn thousands(count: usize) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
