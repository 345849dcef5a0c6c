//! GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::message`, which the
//! runner turns into annotations on the pull request.
//!
//! GitHub shows at most 10 error, 10 warning and 10 notice annotations per step, so the most
//! important come first (`cli.md`): files that did not load and rules that could not run, then
//! failing findings most severe first, then unused waivers. What does not fit is printed as plain
//! log lines, so nothing is lost, and a closing `::notice` gives the totals.

use std::io::{self, Write};

use crate::audit::AuditReport;
use crate::findings::{FindingStatus, Severity};

/// Annotations of each level that GitHub shows per step.
pub const PER_LEVEL: usize = 10;

/// Escaping from the runner's toolkit: data escapes `%`, CR and LF; properties also `:` and `,`.
/// `##[` would start a legacy command anywhere in a line, so it is broken up.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace("##[", "# #[")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A plain log line: one line, and never a command.
fn plain(text: &str) -> String {
    text.replace(['\r', '\n'], " ").replace("##[", "# #[")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Error,
    Warning,
    Notice,
}

impl Level {
    fn of(severity: Severity) -> Self {
        match severity {
            Severity::Critical | Severity::High => Level::Error,
            Severity::Medium => Level::Warning,
            Severity::Low => Level::Notice,
        }
    }

    fn command(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        }
    }

    fn index(self) -> usize {
        match self {
            Level::Error => 0,
            Level::Warning => 1,
            Level::Notice => 2,
        }
    }
}

/// One annotation: where, a title and a message.
struct Annotation {
    level: Level,
    /// `file=…,line=…` properties, already escaped; empty for none.
    location: String,
    title: String,
    message: String,
}

fn location(file: &str, line: usize, column: usize, end: Option<(usize, usize)>) -> String {
    let mut text = format!(
        "file={},line={},col={}",
        escape_property(file),
        line.max(1),
        column.max(1)
    );
    if let Some((end_line, end_column)) = end {
        text.push_str(&format!(
            ",endLine={},endColumn={}",
            end_line.max(line).max(1),
            end_column.max(1)
        ));
    }
    text
}

pub fn write(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    write_with_budget(report, PER_LEVEL, out)
}

/// [`write`] with the per-level budget as a parameter, for tests.
pub fn write_with_budget(report: &AuditReport, per_level: usize, out: &mut dyn Write) -> io::Result<()> {
    let mut annotations = Vec::new();
    for (file, error) in &report.load_errors {
        for diagnostic in &error.diagnostics {
            let (line, column) = diagnostic.source.line_col(diagnostic.problem.span.start);
            annotations.push(Annotation {
                level: Level::Error,
                location: location(file, line, column, None),
                title: format!("regcheck: {file} {}", error.summary()),
                message: diagnostic.problem.message.clone(),
            });
        }
    }
    let mut rule_errors = 0;
    for (audit, outcome) in report.rule_errors() {
        if let Some(error) = &outcome.error {
            rule_errors += 1;
            annotations.push(Annotation {
                level: Level::Error,
                location: format!("file={}", escape_property(&audit.account.file.source.name)),
                title: format!("{} could not be evaluated", outcome.rule_id),
                message: error.to_string(),
            });
        }
    }
    let findings = super::most_severe_first(report, |finding| finding.status != FindingStatus::Pass);
    let mut failing = [0usize; 4];
    let (mut waived, mut baselined, mut expired) = (0, 0, 0);
    let mut accepted_lines = Vec::new();
    for (audit, finding) in &findings {
        let file = &audit.account.file.source.name;
        let place = format!("{file}:{}:{}", finding.location.line, finding.location.column);
        match finding.status {
            FindingStatus::Fail => {
                failing[severity_index(finding.severity)] += 1;
                let mut message = format!("{} ({})", finding.message, finding.subject);
                if let Some(waiver) = finding.waiver.as_ref().filter(|w| w.expired) {
                    expired += 1;
                    message.push_str(&format!(
                        " (waiver expired {}: {})",
                        waiver.expires, waiver.reason
                    ));
                }
                let location = &finding.location;
                annotations.push(Annotation {
                    level: Level::of(finding.severity),
                    location: self::location(
                        file,
                        location.line,
                        location.column,
                        Some((location.end_line, location.end_column)),
                    ),
                    title: format!("{} [{}]", finding.rule_id, finding.severity),
                    message,
                });
            }
            FindingStatus::Waived => {
                waived += 1;
                let note = finding
                    .waiver
                    .as_ref()
                    .map(|w| format!("{}, until {}", w.reason, w.expires))
                    .unwrap_or_default();
                accepted_lines.push(format!(
                    "regcheck: waived {} [{}] {} at {place} ({note})",
                    finding.rule_id, finding.severity, finding.subject
                ));
            }
            FindingStatus::Baselined => {
                baselined += 1;
                accepted_lines.push(format!(
                    "regcheck: baselined {} [{}] {} at {place}",
                    finding.rule_id, finding.severity, finding.subject
                ));
            }
            FindingStatus::Pass => {}
        }
    }
    for waiver in &report.unused_waivers {
        annotations.push(Annotation {
            level: Level::Warning,
            location: String::new(),
            title: "regcheck: unused waiver".to_owned(),
            message: format!(
                "waiver for {} at {} matched no finding",
                waiver.rule, waiver.position
            ),
        });
    }

    // The closing notice takes one notice slot.
    let budget = [per_level, per_level, per_level.saturating_sub(1)];
    let mut used = [0usize; 3];
    let mut overflow = Vec::new();
    for annotation in &annotations {
        let slot = annotation.level.index();
        if used[slot] < budget[slot] {
            used[slot] += 1;
            let separator = if annotation.location.is_empty() { "" } else { "," };
            writeln!(
                out,
                "::{} {}{separator}title={}::{}",
                annotation.level.command(),
                annotation.location,
                escape_property(&annotation.title),
                escape_data(&annotation.message)
            )?;
        } else {
            overflow.push(annotation);
        }
    }
    for annotation in &overflow {
        writeln!(
            out,
            "regcheck: {}: {}: {}",
            annotation.level.command(),
            plain(&annotation.title),
            plain(&annotation.message)
        )?;
    }
    for line in &accepted_lines {
        writeln!(out, "{}", plain(line))?;
    }

    let total_failing: usize = failing.iter().sum();
    let mut summary = format!(
        "{} account file{} audited: {total_failing} failing finding{} ({} critical, {} high, {} medium, {} low), {waived} waived, {baselined} baselined",
        report.audits.len(),
        if report.audits.len() == 1 { "" } else { "s" },
        if total_failing == 1 { "" } else { "s" },
        failing[0],
        failing[1],
        failing[2],
        failing[3],
    );
    if expired > 0 {
        summary.push_str(&format!(", {expired} failing because the waiver expired"));
    }
    // Files that did not load, and files that loaded but were captured after the as-of time.
    let (not_loaded, too_early): (Vec<_>, Vec<_>) = report
        .load_errors
        .iter()
        .partition(|(_, error)| error.kind == crate::account::NotAudited::DidNotLoad);
    if !not_loaded.is_empty() {
        let problems: usize = not_loaded.iter().map(|(_, error)| error.diagnostics.len()).sum();
        summary.push_str(&format!(
            "; {} file{} did not load ({problems} problem{})",
            not_loaded.len(),
            if not_loaded.len() == 1 { "" } else { "s" },
            if problems == 1 { "" } else { "s" }
        ));
    }
    if !too_early.is_empty() {
        summary.push_str(&format!(
            "; {} file{} not audited (captured after the as-of time)",
            too_early.len(),
            if too_early.len() == 1 { "" } else { "s" },
        ));
    }
    if rule_errors > 0 {
        summary.push_str(&format!(
            "; {rule_errors} rule error{}",
            if rule_errors == 1 { "" } else { "s" }
        ));
    }
    if !overflow.is_empty() {
        summary.push_str(&format!(
            "; {} more annotation{} than GitHub shows per step are in the log",
            overflow.len(),
            if overflow.len() == 1 { "" } else { "s" }
        ));
    }
    summary.push_str(&match report.fail_on.0 {
        Some(severity) => format!("; the gate fails on {severity} and above"),
        None => "; the gate fails on no finding (--fail-on none)".to_owned(),
    });
    writeln!(out, "::notice title=regcheck summary::{}", escape_data(&summary))
}

fn severity_index(severity: Severity) -> usize {
    match severity {
        Severity::Critical => 0,
        Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low => 3,
    }
}
