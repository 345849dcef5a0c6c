//! Markdown for `$GITHUB_STEP_SUMMARY` and pull-request comments: the summary, then failing
//! findings as a table.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::audit::AuditReport;
use crate::engine::cel::format_time;
use crate::findings::{FindingStatus, RuleStatus, Severity};
use crate::responsibility;

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
        let mut rows: BTreeMap<(usize, String), ([usize; 4], [usize; 4])> = BTreeMap::new();
        for outcome in &audit.outcomes {
            let Some(policy) = report.policy(&outcome.rule_id) else {
                continue;
            };
            let (order, tag) = responsibility::order(&policy.responsibility);
            let row = rows.entry((order, tag.to_owned())).or_default();
            row.0[match outcome.status {
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
                row.1[match finding.severity {
                    Severity::Critical => 0,
                    Severity::High => 1,
                    Severity::Medium => 2,
                    Severity::Low => 3,
                }] += 1;
            }
        }
        for ((_, tag), (statuses, severities)) in &rows {
            let title = responsibility::title(tag);
            let label = if title == tag {
                tag.clone()
            } else {
                format!("{tag} {title}")
            };
            writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(&audit.account.file.source.name),
                cell(&label),
                statuses[0],
                statuses[1],
                statuses[2],
                statuses[3],
                severities[0],
                severities[1],
                severities[2],
                severities[3]
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
