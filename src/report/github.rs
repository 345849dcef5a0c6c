//! GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::message`, which the
//! runner turns into annotations on the pull request.

use std::io::{self, Write};

use crate::audit::AuditReport;
use crate::findings::Severity;

/// Escaping from the runner's toolkit: data escapes `%`, CR and LF; properties also `:` and `,`.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "notice",
    }
}

pub fn write(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    for (audit, finding) in report.failing() {
        let location = &finding.location;
        let mut message = format!("{} ({})", finding.message, finding.subject);
        if let Some(waiver) = finding.waiver.as_ref().filter(|w| w.expired) {
            message.push_str(&format!(
                " (waiver expired {}: {})",
                waiver.expires, waiver.reason
            ));
        }
        writeln!(
            out,
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            command(finding.severity),
            escape_property(&audit.account.file.source.name),
            location.line,
            location.column,
            location.end_line,
            location.end_column,
            escape_property(&format!("{} [{}]", finding.rule_id, finding.severity)),
            escape_data(&message)
        )?;
    }
    for (file, error) in &report.load_errors {
        for diagnostic in &error.diagnostics {
            let (line, column) = diagnostic.source.line_col(diagnostic.problem.span.start);
            writeln!(
                out,
                "::error file={},line={line},col={column},title=regcheck: invalid account file::{}",
                escape_property(file),
                escape_data(&diagnostic.problem.message)
            )?;
        }
    }
    for (audit, outcome) in report.rule_errors() {
        if let Some(error) = &outcome.error {
            writeln!(
                out,
                "::error file={},title={}::{}",
                escape_property(&audit.account.file.source.name),
                escape_property(&format!("{} could not be evaluated", outcome.rule_id)),
                escape_data(&error.to_string())
            )?;
        }
    }
    for waiver in &report.unused_waivers {
        writeln!(
            out,
            "::warning title=regcheck: unused waiver::{}",
            escape_data(&format!(
                "waiver for {} at {} matched no finding",
                waiver.rule, waiver.position
            ))
        )?;
    }
    Ok(())
}
