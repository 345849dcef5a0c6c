//! Markdown for `$GITHUB_STEP_SUMMARY` and pull-request comments: the summary, then failing
//! findings as a table.

use std::io::{self, Write};

use crate::audit::AuditReport;
use crate::engine::cel::format_time;
use crate::findings::FindingStatus;

/// Table cells cannot hold pipes or line breaks.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

pub fn write(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let verdict = match report.exit_code() {
        0 => "✅ passed",
        1 => "❌ failed",
        _ => "⚠️ error",
    };
    writeln!(out, "## regcheck audit: {verdict}\n")?;
    writeln!(
        out,
        "As of {}; the gate fails on **{}** and above.\n",
        format_time(&report.as_of),
        report.fail_on.as_str()
    )?;
    writeln!(
        out,
        "| account file | responsibility | pass | fail | n/a | error | critical | high | medium | low |"
    )?;
    writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")?;
    for audit in &report.audits {
        for row in super::summary_rows(report, audit) {
            let ([pass, fail, not_applicable, error], [critical, high, medium, low]) =
                (row.rules, row.failing);
            writeln!(
                out,
                "| `{}` | {} | {pass} | {fail} | {not_applicable} | {error} | {critical} | {high} | {medium} | {low} |",
                cell(&audit.account.file.source.name),
                cell(&row.label),
            )?;
        }
    }
    for (file, error) in &report.load_errors {
        writeln!(
            out,
            "| `{}` | did not load: {} problem(s) | | | | 1 | | | | |",
            cell(file),
            error.diagnostics.len()
        )?;
    }

    let failing: Vec<_> = report.failing().collect();
    if failing.is_empty() {
        writeln!(out, "\nNo failing findings.")?;
    } else {
        writeln!(out, "\n### Failing findings ({})\n", failing.len())?;
        writeln!(out, "| severity | rule | subject | message | location |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for (audit, finding) in failing {
            let mut message = cell(&finding.message);
            if let Some(waiver) = finding.waiver.as_ref().filter(|w| w.expired) {
                message.push_str(&format!(" _(waiver expired {})_", cell(&waiver.expires)));
            }
            writeln!(
                out,
                "| {} | `{}` | `{}` | {} | `{}:{}:{}` |",
                finding.severity,
                finding.rule_id,
                cell(&finding.subject),
                message,
                cell(&audit.account.file.source.name),
                finding.location.line,
                finding.location.column
            )?;
        }
    }
    let waived = report
        .audits
        .iter()
        .flat_map(|a| a.findings())
        .filter(|f| f.status == FindingStatus::Waived)
        .count();
    let baselined = report
        .audits
        .iter()
        .flat_map(|a| a.findings())
        .filter(|f| f.status == FindingStatus::Baselined)
        .count();
    if waived + baselined > 0 {
        writeln!(
            out,
            "\n{waived} waived and {baselined} baselined finding(s) are not listed."
        )?;
    }
    for (audit, outcome) in report.rule_errors() {
        if let Some(error) = &outcome.error {
            writeln!(
                out,
                "\n> **error:** rule `{}` could not be evaluated on `{}`: {}",
                outcome.rule_id,
                cell(&audit.account.file.source.name),
                cell(&error.to_string())
            )?;
        }
    }
    for waiver in &report.unused_waivers {
        writeln!(
            out,
            "\n> **warning:** unused waiver for `{}` at `{}`",
            cell(&waiver.rule),
            cell(&waiver.position)
        )?;
    }
    Ok(())
}
