//! JUnit XML: one test suite per account file, one test case per rule (passing ones included),
//! so CI systems show the compliance checks next to the unit tests.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::audit::AuditReport;
use crate::findings::{FindingStatus, RuleStatus};

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry other control characters at all.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

pub fn write(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let mut suites = String::new();
    let (mut total_tests, mut total_failures, mut total_errors, mut total_skipped) = (0, 0, 0, 0);
    for audit in &report.audits {
        let file = &audit.account.file.source.name;
        let (mut failures, mut errors, mut skipped) = (0, 0, 0);
        let mut cases = String::new();
        for outcome in &audit.outcomes {
            let title = report.policy(&outcome.rule_id).map_or("", |p| p.title.as_str());
            let responsibility = report
                .policy(&outcome.rule_id)
                .map_or("", |p| p.responsibility.as_str());
            let _ = write!(
                cases,
                "    <testcase name=\"{}\" classname=\"{}.{}\" file=\"{}\"",
                escape(&format!("{}: {title}", outcome.rule_id)),
                escape(file),
                escape(responsibility),
                escape(file)
            );
            let failing: Vec<_> = outcome
                .findings
                .iter()
                .filter(|f| f.status == FindingStatus::Fail)
                .collect();
            let accepted = outcome
                .findings
                .iter()
                .filter(|f| matches!(f.status, FindingStatus::Waived | FindingStatus::Baselined))
                .count();
            match outcome.status {
                RuleStatus::Pass if accepted == 0 => cases.push_str("/>\n"),
                RuleStatus::Pass => {
                    let _ = writeln!(
                        cases,
                        ">\n      <system-out>{accepted} finding(s) waived or baselined</system-out>\n    </testcase>"
                    );
                }
                RuleStatus::NotApplicable => {
                    skipped += 1;
                    cases.push_str(">\n      <skipped message=\"not applicable: no subject to check\"/>\n    </testcase>\n");
                }
                RuleStatus::Error => {
                    errors += 1;
                    let message = outcome
                        .error
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    let _ = writeln!(
                        cases,
                        ">\n      <error message=\"rule could not be evaluated\">{}</error>\n    </testcase>",
                        escape(&message)
                    );
                }
                RuleStatus::Fail => {
                    failures += 1;
                    let details: Vec<String> = failing
                        .iter()
                        .map(|f| {
                            format!(
                                "[{}] {}: {} ({}:{}:{})",
                                f.severity, f.subject, f.message, file, f.location.line, f.location.column
                            )
                        })
                        .collect();
                    let _ = writeln!(
                        cases,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                        escape(&format!("{} failing finding(s)", failing.len())),
                        failing.first().map_or("", |f| f.severity.as_str()),
                        escape(&details.join("\n"))
                    );
                }
            }
        }
        let tests = audit.outcomes.len();
        total_tests += tests;
        total_failures += failures;
        total_errors += errors;
        total_skipped += skipped;
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">\n{cases}  </testsuite>",
            escape(file)
        );
    }
    for (file, error) in &report.load_errors {
        total_tests += 1;
        total_errors += 1;
        let details: Vec<String> = error
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.position(), d.problem.message))
            .collect();
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{0}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n    <testcase name=\"load\" classname=\"{0}\" file=\"{0}\">\n      <error message=\"the account file did not load\">{1}</error>\n    </testcase>\n  </testsuite>",
            escape(file),
            escape(&details.join("\n"))
        );
    }
    let _ = writeln!(
        xml,
        "<testsuites name=\"regcheck\" tests=\"{total_tests}\" failures=\"{total_failures}\" errors=\"{total_errors}\" skipped=\"{total_skipped}\">"
    );
    xml.push_str(&suites);
    xml.push_str("</testsuites>\n");
    out.write_all(xml.as_bytes())
}
