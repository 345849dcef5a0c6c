//! The JSON report: a versioned, documented object with a stable key order.
//!
//! Shape (version 1):
//! ```text
//! { "version": 1, "tool": {name, version}, "as_of", "fail_on", "exit_code",
//!   "accounts": [{file, account_id, account_name, status, errors}],
//!   "rules": [{id, title, severity, responsibility}],
//!   "results": [{file, rule_id, status, error}],
//!   "findings": [{rule_id, severity, status, subject, message, path, file, line, column,
//!                 end_line, end_column, fingerprint}],
//!   "totals": {rules: {pass, fail, not_applicable, error}, findings: {fail, waived, baselined, pass},
//!              failing_by_severity: {critical, high, medium, low}} }
//! ```

use std::io::{self, Write};

use serde::Serialize;

use crate::audit::AuditReport;
use crate::engine::cel::format_time;
use crate::findings::{FindingStatus, RuleStatus, Severity};

pub const REPORT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    tool: Tool,
    as_of: String,
    fail_on: &'static str,
    exit_code: u8,
    accounts: Vec<Account<'a>>,
    rules: Vec<Rule<'a>>,
    results: Vec<RuleResult<'a>>,
    findings: Vec<Finding<'a>>,
    totals: Totals,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Account<'a> {
    file: &'a str,
    account_id: Option<&'a str>,
    account_name: Option<&'a str>,
    status: &'static str,
    errors: Vec<LoadErrorEntry>,
}

#[derive(Serialize)]
struct LoadErrorEntry {
    message: String,
    line: usize,
    column: usize,
    help: Option<String>,
}

#[derive(Serialize)]
struct Rule<'a> {
    id: &'a str,
    title: &'a str,
    severity: Severity,
    responsibility: &'a str,
}

#[derive(Serialize)]
struct RuleResult<'a> {
    file: &'a str,
    rule_id: &'a str,
    status: RuleStatus,
    error: Option<String>,
}

#[derive(Serialize)]
struct Finding<'a> {
    rule_id: &'a str,
    severity: Severity,
    status: FindingStatus,
    subject: &'a str,
    message: &'a str,
    path: String,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    fingerprint: &'a str,
}

#[derive(Serialize, Default)]
struct Totals {
    rules: RuleTotals,
    findings: FindingTotals,
    failing_by_severity: SeverityTotals,
}

#[derive(Serialize, Default)]
struct RuleTotals {
    pass: usize,
    fail: usize,
    not_applicable: usize,
    error: usize,
}

#[derive(Serialize, Default)]
struct FindingTotals {
    fail: usize,
    waived: usize,
    baselined: usize,
    pass: usize,
}

#[derive(Serialize, Default)]
struct SeverityTotals {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
}

pub fn write(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let mut accounts = Vec::new();
    for audit in &report.audits {
        let model = &audit.account.model.account;
        accounts.push(Account {
            file: &audit.account.file.source.name,
            account_id: Some(&model.id),
            account_name: model.name.as_deref(),
            status: "loaded",
            errors: Vec::new(),
        });
    }
    for (file, error) in &report.load_errors {
        accounts.push(Account {
            file,
            account_id: None,
            account_name: None,
            status: "invalid",
            errors: error
                .diagnostics
                .iter()
                .map(|diagnostic| {
                    let (line, column) = diagnostic.source.line_col(diagnostic.problem.span.start);
                    LoadErrorEntry {
                        message: diagnostic.problem.message.clone(),
                        line,
                        column,
                        help: diagnostic.problem.help.clone(),
                    }
                })
                .collect(),
        });
    }
    accounts.sort_by(|a, b| a.file.cmp(b.file));

    let rules = report
        .policies
        .iter()
        .map(|policy| Rule {
            id: &policy.id,
            title: &policy.title,
            severity: policy.severity,
            responsibility: &policy.responsibility,
        })
        .collect();

    // Looked up once per passing finding, of which a large account has a million.
    let titles: std::collections::HashMap<&str, &str> = report
        .policies
        .iter()
        .map(|p| (p.id.as_str(), p.title.as_str()))
        .collect();
    let mut totals = Totals::default();
    let mut results = Vec::new();
    let mut findings = Vec::new();
    for audit in &report.audits {
        let file = audit.account.file.source.name.as_str();
        for outcome in &audit.outcomes {
            match outcome.status {
                RuleStatus::Pass => totals.rules.pass += 1,
                RuleStatus::Fail => totals.rules.fail += 1,
                RuleStatus::NotApplicable => totals.rules.not_applicable += 1,
                RuleStatus::Error => totals.rules.error += 1,
            }
            results.push(RuleResult {
                file,
                rule_id: &outcome.rule_id,
                status: outcome.status,
                error: outcome.error.as_ref().map(ToString::to_string),
            });
            for finding in &outcome.findings {
                match finding.status {
                    FindingStatus::Fail => {
                        totals.findings.fail += 1;
                        match finding.severity {
                            Severity::Critical => totals.failing_by_severity.critical += 1,
                            Severity::High => totals.failing_by_severity.high += 1,
                            Severity::Medium => totals.failing_by_severity.medium += 1,
                            Severity::Low => totals.failing_by_severity.low += 1,
                        }
                    }
                    FindingStatus::Waived => totals.findings.waived += 1,
                    FindingStatus::Baselined => totals.findings.baselined += 1,
                    FindingStatus::Pass => totals.findings.pass += 1,
                }
                // Passes carry no location or message of their own (see `findings::Finding`).
                let (location, message) = if finding.status == FindingStatus::Pass {
                    let title = titles.get(finding.rule_id.as_str()).copied().unwrap_or_default();
                    (audit.account.file.location(&finding.path), title)
                } else {
                    (finding.location.clone(), finding.message.as_str())
                };
                findings.push(Finding {
                    rule_id: &finding.rule_id,
                    severity: finding.severity,
                    status: finding.status,
                    subject: &finding.subject,
                    message,
                    path: finding.path.to_string(),
                    file,
                    line: location.line,
                    column: location.column,
                    end_line: location.end_line,
                    end_column: location.end_column,
                    fingerprint: &finding.fingerprint,
                });
            }
        }
    }

    let document = Report {
        version: REPORT_VERSION,
        tool: Tool {
            name: "regcheck",
            version: env!("CARGO_PKG_VERSION"),
        },
        as_of: format_time(&report.as_of),
        fail_on: report.fail_on.as_str(),
        exit_code: report.exit_code(),
        accounts,
        rules,
        results,
        findings,
        totals,
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    out.write_all(b"\n")
}
