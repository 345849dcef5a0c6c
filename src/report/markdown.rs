//! Markdown for `$GITHUB_STEP_SUMMARY` and pull-request comments: the summary, files that did
//! not load, then findings as tables, most severe first.
//!
//! GitHub drops a step summary above 1 MiB whole, so the report stays under [`MAX_BYTES`]: rows
//! that do not fit are left out and a line says how many. Account data is untrusted: it never
//! breaks out of a table cell or a code span, and Markdown in it is shown, not rendered.

use std::io::{self, Write};

use crate::audit::{AccountAudit, AuditReport};
use crate::engine::cel::format_time;
use crate::findings::{Finding, FindingStatus};

/// GitHub's limit on one step's summary.
pub const MAX_BYTES: usize = 1024 * 1024;

/// Room kept for the lines that close the report (left-out counts, unused waivers header).
const CLOSING_RESERVE: usize = 4 * 1024;

/// Plain text in a table cell: one line, pipes escaped, Markdown and HTML shown literally
/// (every ASCII punctuation character that could start markup is backslash-escaped).
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\r' | '\n' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '!' | '#' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `value` as an inline code span in a table cell. The fence is one backtick longer than the
/// longest run of backticks inside, with spaces around when the value starts or ends with a
/// backtick (CommonMark strips one space from each side), so data can never close it early.
/// Pipes are escaped for the table, which GFM undoes before it reads the span.
fn code(value: &str) -> String {
    let value = value.replace(['\r', '\n'], " ");
    let mut longest = 0;
    let mut run = 0;
    for c in value.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if value.starts_with('`') || value.ends_with('`') || value.trim().is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", value.replace('|', "\\|"))
}

/// The report text, kept under a byte budget.
struct Page {
    text: String,
    limit: usize,
}

impl Page {
    /// Appends `line` and a newline if it fits before the reserve; reports whether it did.
    fn push(&mut self, line: &str) -> bool {
        if self.text.len() + line.len() + 1 + CLOSING_RESERVE > self.limit {
            return false;
        }
        self.text.push_str(line);
        self.text.push('\n');
        true
    }

    /// Appends a closing line, which may use the reserve.
    fn close(&mut self, line: &str) {
        if self.text.len() + line.len() < self.limit {
            self.text.push_str(line);
            self.text.push('\n');
        }
    }
}

pub fn write(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    write_within(report, MAX_BYTES, out)
}

/// [`write`] with the size limit as a parameter, so that tests can cross it cheaply.
pub fn write_within(report: &AuditReport, limit: usize, out: &mut dyn Write) -> io::Result<()> {
    let mut page = Page {
        text: String::new(),
        limit,
    };
    let verdict = match report.exit_code() {
        0 => "✅ passed",
        1 => "❌ failed",
        _ => "⚠️ error",
    };
    page.push(&format!("## regcheck audit: {verdict}\n"));
    let gate = match report.fail_on.0 {
        Some(severity) => format!("the gate fails on **{severity}** and above"),
        None => "the gate fails on no finding (`--fail-on none`)".to_owned(),
    };
    page.push(&format!("As of {}; {gate}.\n", format_time(&report.as_of)));
    page.push(
        "| account file | responsibility | pass | fail | n/a | error | critical | high | medium | low |",
    );
    page.push("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for audit in &report.audits {
        for row in super::summary_rows(report, audit) {
            let ([pass, fail, not_applicable, error], [critical, high, medium, low]) =
                (row.rules, row.failing);
            page.push(&format!(
                "| {} | {} | {pass} | {fail} | {not_applicable} | {error} | {critical} | {high} | {medium} | {low} |",
                code(&audit.account.file.source.name),
                text(&row.label),
            ));
        }
    }
    for (file, error) in &report.load_errors {
        page.push(&format!(
            "| {} | {}: {} problem(s) | | | | 1 | | | | |",
            code(file),
            error.summary(),
            error.diagnostics.len()
        ));
    }

    for (file, error) in &report.load_errors {
        for diagnostic in &error.diagnostics {
            let (line, column) = diagnostic.source.line_col(diagnostic.problem.span.start);
            page.push(&format!(
                "\n> **error:** {} {}: {}",
                code(&format!("{file}:{line}:{column}")),
                error.summary(),
                text(&diagnostic.problem.message)
            ));
        }
    }
    for (audit, outcome) in report.rule_errors() {
        if let Some(error) = &outcome.error {
            page.push(&format!(
                "\n> **error:** rule {} could not be evaluated on {}: {}",
                code(&outcome.rule_id),
                code(&audit.account.file.source.name),
                text(&error.to_string())
            ));
        }
    }

    let failing = super::most_severe_first(report, |f| f.status == FindingStatus::Fail);
    let accepted = super::most_severe_first(report, |f| {
        matches!(f.status, FindingStatus::Waived | FindingStatus::Baselined)
    });
    let mut left_out = 0;
    if failing.is_empty() {
        page.push("\nNo failing findings.");
    } else {
        page.push(&format!("\n### Failing findings ({})\n", failing.len()));
        page.push("| severity | rule | subject | message | location |");
        page.push("|---|---|---|---|---|");
        left_out += rows(&mut page, &failing, |finding| {
            let mut message = text(&finding.message);
            if let Some(waiver) = finding.waiver.as_ref().filter(|w| w.expired) {
                message.push_str(&format!(
                    " _(waiver expired {}: {})_",
                    text(&waiver.expires),
                    text(&waiver.reason)
                ));
            }
            message
        });
    }
    if !accepted.is_empty() {
        if left_out == 0
            && page.push(&format!(
                "\n### Waived and baselined findings ({})\n",
                accepted.len()
            ))
        {
            page.push("| severity | rule | subject | status | location |");
            page.push("|---|---|---|---|---|");
            left_out += rows(&mut page, &accepted, |finding| match &finding.waiver {
                Some(waiver) if finding.status == FindingStatus::Waived => {
                    format!("waived until {}: {}", text(&waiver.expires), text(&waiver.reason))
                }
                _ => "baselined".to_owned(),
            });
        } else {
            left_out += accepted.len();
        }
    }
    if left_out > 0 {
        page.close(&format!(
            "\n_{left_out} more finding{} not listed: a step summary must stay under 1 MiB, and the most severe come first. The JSON and SARIF reports list every finding._",
            if left_out == 1 { " is" } else { "s are" }
        ));
    }
    let mut unused_left_out = 0;
    for waiver in &report.unused_waivers {
        if !page.push(&format!(
            "\n> **warning:** unused waiver for {} at {}",
            code(&waiver.rule),
            code(&waiver.position)
        )) {
            unused_left_out += 1;
        }
    }
    if unused_left_out > 0 {
        page.close(&format!(
            "\n_{unused_left_out} more unused waivers are not listed._"
        ));
    }
    out.write_all(page.text.as_bytes())
}

/// Table rows for `findings` while they fit; returns how many did not.
fn rows(
    page: &mut Page,
    findings: &[(&AccountAudit, &Finding)],
    fourth_column: impl Fn(&Finding) -> String,
) -> usize {
    for (index, (audit, finding)) in findings.iter().enumerate() {
        let row = format!(
            "| {} | {} | {} | {} | {} |",
            finding.severity,
            code(&finding.rule_id),
            code(&finding.subject),
            fourth_column(finding),
            code(&format!(
                "{}:{}:{}",
                audit.account.file.source.name, finding.location.line, finding.location.column
            )),
        );
        if !page.push(&row) {
            return findings.len() - index;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("``x```"), "```` ``x``` ````");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("two\nlines"), "`two lines`");
    }

    #[test]
    fn text_cells_show_markup_literally() {
        assert_eq!(text("a <b> *c* | [d](e)"), "a \\<b\\> \\*c\\* \\| \\[d\\](e)");
        assert_eq!(text("x\ny"), "x y");
    }
}
