//! `regcheck responsibilities`: IBM's shared-responsibility table row by row, with the rules that
//! cover each customer duty and their status for each audited account.

use std::io::{self, Write};

use serde::Serialize;

use crate::audit::AuditReport;
use crate::findings::RuleStatus;
use crate::responsibility::{self, Row};

/// The status of one row for one account: the worst status among its rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// IBM's duty: nothing to check on the customer's side.
    Ibm,
    /// A customer duty that no loaded rule covers.
    NotCovered,
    NotApplicable,
    Pass,
    Fail,
    Error,
}

impl RowStatus {
    fn label(self) -> &'static str {
        match self {
            RowStatus::Ibm => "IBM's",
            RowStatus::NotCovered => "not covered",
            RowStatus::NotApplicable => "n/a",
            RowStatus::Pass => "pass",
            RowStatus::Fail => "FAIL",
            RowStatus::Error => "ERROR",
        }
    }
}

#[derive(Serialize)]
struct MatrixRow<'a> {
    area: &'a str,
    task: &'a str,
    ibm: &'a str,
    customer: &'a str,
    responsibility: Option<&'a str>,
    rules: Vec<&'a str>,
    status: Vec<AccountStatus<'a>>,
}

#[derive(Serialize)]
struct AccountStatus<'a> {
    file: &'a str,
    status: RowStatus,
    failing_rules: Vec<&'a str>,
}

fn matrix<'a>(report: &'a AuditReport) -> Vec<MatrixRow<'a>> {
    responsibility::rows()
        .iter()
        .map(|row: &'a Row| {
            let rules: Vec<&str> = match &row.tag {
                Some(tag) => report
                    .policies
                    .iter()
                    .filter(|p| &p.responsibility == tag)
                    .map(|p| p.id.as_str())
                    .collect(),
                None => Vec::new(),
            };
            let status = report
                .audits
                .iter()
                .map(|audit| {
                    let outcomes: Vec<_> = audit
                        .outcomes
                        .iter()
                        .filter(|o| rules.contains(&o.rule_id.as_str()))
                        .collect();
                    let has = |status| outcomes.iter().any(|o| o.status == status);
                    let status = if row.tag.is_none() {
                        RowStatus::Ibm
                    } else if outcomes.is_empty() {
                        RowStatus::NotCovered
                    } else if has(RuleStatus::Error) {
                        RowStatus::Error
                    } else if has(RuleStatus::Fail) {
                        RowStatus::Fail
                    } else if has(RuleStatus::Pass) {
                        RowStatus::Pass
                    } else {
                        RowStatus::NotApplicable
                    };
                    AccountStatus {
                        file: &audit.account.file.source.name,
                        status,
                        failing_rules: outcomes
                            .iter()
                            .filter(|o| matches!(o.status, RuleStatus::Fail | RuleStatus::Error))
                            .map(|o| o.rule_id.as_str())
                            .collect(),
                    }
                })
                .collect();
            MatrixRow {
                area: &row.area,
                task: &row.task,
                ibm: &row.ibm,
                customer: &row.customer,
                responsibility: row.tag.as_deref(),
                rules,
                status,
            }
        })
        .collect()
}

pub fn write_json(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct Document<'a> {
        version: u32,
        as_of: String,
        rows: Vec<MatrixRow<'a>>,
    }
    let document = Document {
        version: 1,
        as_of: crate::engine::cel::format_time(&report.as_of),
        rows: matrix(report),
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn write_markdown(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let files: Vec<&str> = report
        .audits
        .iter()
        .map(|a| a.account.file.source.name.as_str())
        .collect();
    write!(out, "| area | task | IBM | customer | rules |")?;
    for file in &files {
        write!(out, " `{}` |", cell(file))?;
    }
    writeln!(out)?;
    writeln!(out, "|---|---|---|---|---|{}", "---|".repeat(files.len()))?;
    for row in matrix(report) {
        let rules = if row.rules.is_empty() {
            "".to_owned()
        } else {
            row.rules
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        write!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(row.area),
            cell(row.task),
            cell(row.ibm),
            cell(row.customer),
            rules
        )?;
        for status in &row.status {
            let mut text = status.status.label().to_owned();
            if !status.failing_rules.is_empty() {
                text.push_str(&format!(" ({})", status.failing_rules.join(", ")));
            }
            write!(out, " {text} |")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

pub fn write_human(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let mut area = "";
    for row in matrix(report) {
        if row.area != area {
            area = row.area;
            writeln!(out, "\n{area}")?;
        }
        writeln!(out, "  {}", row.task)?;
        if !row.ibm.is_empty() {
            writeln!(out, "    IBM:      {}", row.ibm)?;
        }
        if row.customer.is_empty() {
            writeln!(out, "    customer: nothing (IBM's duty)")?;
            continue;
        }
        writeln!(
            out,
            "    customer: {} [{}]",
            row.customer,
            row.responsibility.unwrap_or_default()
        )?;
        let rules = if row.rules.is_empty() {
            "none".to_owned()
        } else {
            row.rules.join(", ")
        };
        writeln!(out, "    rules:    {rules}")?;
        for status in &row.status {
            let failing = if status.failing_rules.is_empty() {
                String::new()
            } else {
                format!(" ({})", status.failing_rules.join(", "))
            };
            writeln!(
                out,
                "    status:   {}{failing} in {}",
                status.status.label(),
                status.file
            )?;
        }
    }
    Ok(())
}
