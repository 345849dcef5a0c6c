//! Reporters: each reads an [`AuditReport`] and writes to an
//! injected writer. None of them evaluates anything or decides the exit code.

pub mod catalog;
pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod responsibilities;
pub mod sarif;

use std::io::{self, Write};
use std::path::PathBuf;

use std::collections::BTreeMap;

use crate::audit::{AccountAudit, AuditReport};
use crate::findings::{Finding, FindingStatus, RuleStatus, Severity};
use crate::responsibility;

/// Output formats of `regcheck audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Junit,
    Markdown,
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
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Github => "github",
            Format::Html => "html",
        }
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

pub fn render(
    format: Format,
    report: &AuditReport,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::write(report, options.style, out),
        Format::Json => json::write(report, out),
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
    let mut rows: BTreeMap<(usize, String), SummaryRow> = BTreeMap::new();
    for outcome in &audit.outcomes {
        let Some(policy) = report.policy(&outcome.rule_id) else {
            continue;
        };
        let (order, tag) = responsibility::order(&policy.responsibility);
        let row = rows.entry((order, tag.to_owned())).or_insert_with(|| {
            let title = responsibility::title(tag);
            SummaryRow {
                label: if title == tag {
                    tag.to_owned()
                } else {
                    format!("{tag} {title}")
                },
                ..SummaryRow::default()
            }
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
