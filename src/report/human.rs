//! The terminal view: a summary by responsibility and severity, then each failing finding as a
//! miette diagnostic with the account file's lines and the offending key underlined.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};

use colored::Colorize;
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};

use crate::audit::{AccountAudit, AuditReport};
use crate::engine::cel::format_time;
use crate::findings::{Finding, Severity};

/// How to draw: colour or not, and the width to wrap at.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

/// A miette handler for this style; also used by the CLI for load and policy errors.
pub fn handler(style: Style) -> GraphicalReportHandler {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// Renders one diagnostic to text with the given style.
pub fn render_diagnostic(style: Style, diagnostic: &dyn Diagnostic) -> String {
    let mut text = String::new();
    // Rendering into a String cannot fail except through a formatting bug; keep what we have.
    let _ = handler(style).render_report(&mut text, diagnostic);
    text
}

pub fn write(report: &AuditReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let paint = |text: String, f: fn(colored::ColoredString) -> colored::ColoredString| -> String {
        if style.color {
            f(text.normal()).to_string()
        } else {
            text
        }
    };
    let rule_count = report.policies.len();
    let files = report.audits.len() + report.load_errors.len();
    writeln!(
        out,
        "{}",
        paint(
            format!(
                "regcheck audit: {files} account file{}, {rule_count} rule{}, as of {}",
                plural(files),
                plural(rule_count),
                format_time(&report.as_of)
            ),
            |s| s.bold()
        )
    )?;
    for audit in &report.audits {
        write_summary(audit, report, style, out)?;
    }
    for (file, _) in &report.load_errors {
        writeln!(
            out,
            "\n{}: {}",
            file,
            paint("not audited: the file did not load (see errors)".into(), |s| s
                .red())
        )?;
    }

    let failing: Vec<(&AccountAudit, &Finding)> = report.failing().collect();
    writeln!(out)?;
    for (audit, finding) in &failing {
        let policy = report.policy(&finding.rule_id);
        let source = &audit.account.file.source;
        let diagnostic = FindingDiagnostic {
            finding,
            title: policy.map_or("", |p| p.title.as_str()),
            excerpt: source.excerpt(finding.location.span.clone()),
            source,
        };
        writeln!(out, "{}", render_diagnostic(style, &diagnostic).trim_end())?;
        writeln!(out)?;
    }

    // Rule and load errors go to standard error (the CLI prints them as they happen).
    let mut by_severity: BTreeMap<Severity, usize> = BTreeMap::new();
    for (_, finding) in &failing {
        *by_severity.entry(finding.severity).or_default() += 1;
    }
    let breakdown = Severity::ALL_DESCENDING
        .iter()
        .map(|s| format!("{} {}", by_severity.get(s).copied().unwrap_or(0), s))
        .collect::<Vec<_>>()
        .join(", ");
    let errors = report.load_errors.len() + report.rule_errors().count();
    let verdict = match report.exit_code() {
        0 => paint("passed".into(), |s| s.green().bold()),
        1 => paint("failed".into(), |s| s.red().bold()),
        _ => paint("error".into(), |s| s.red().bold()),
    };
    writeln!(
        out,
        "{verdict}: {} failing finding{} ({breakdown}); {errors} error{}; gate fails on {} and above",
        failing.len(),
        plural(failing.len()),
        plural(errors),
        report.fail_on.as_str()
    )
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Per account: one row per responsibility with rule statuses and failing findings by severity.
fn write_summary(
    audit: &AccountAudit,
    report: &AuditReport,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let account = &audit.account.model.account;
    let name = account
        .name
        .as_deref()
        .map(|n| format!(", {n}"))
        .unwrap_or_default();
    writeln!(
        out,
        "\n{} (account {}{name})",
        audit.account.file.source.name, account.id
    )?;
    writeln!(out, "  {:<44} {:<23}   failing findings", "", "rules")?;
    writeln!(
        out,
        "  {:<44} {:>5} {:>5} {:>5} {:>5}   {:>8} {:>5} {:>6} {:>4}",
        "responsibility", "pass", "fail", "n/a", "error", "critical", "high", "medium", "low"
    )?;
    for row in super::summary_rows(report, audit) {
        let ([pass, fail, not_applicable, error], [critical, high, medium, low]) = (row.rules, row.failing);
        let line = format!(
            "  {:<44} {pass:>5} {fail:>5} {not_applicable:>5} {error:>5}   {critical:>8} {high:>5} {medium:>6} {low:>4}",
            row.label
        );
        let failed = fail + error > 0;
        writeln!(
            out,
            "{}",
            if style.color && failed {
                line.red().to_string()
            } else {
                line
            }
        )?;
    }
    Ok(())
}

/// A failing finding as miette sees it: the rule id as code, the subject as the label.
struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    title: &'a str,
    /// The account file: its secrets are masked in whatever the finding quotes.
    source: &'a crate::diagnostic::SourceText,
    excerpt: crate::diagnostic::Excerpt,
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FindingDiagnostic")
            .field("finding", &self.finding)
            .finish()
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}] {}",
            self.finding.rule_id,
            self.finding.severity,
            self.source.redact(&self.finding.message)
        )
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Critical | Severity::High => miette::Severity::Error,
            Severity::Medium => miette::Severity::Warning,
            Severity::Low => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!(
            "{} (run `regcheck explain {}` for the fix)",
            self.title, self.finding.rule_id
        )))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.excerpt)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.excerpt.label();
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some(self.source.redact(&self.finding.subject).into_owned()),
            span.start,
            span.len(),
        ))))
    }
}
