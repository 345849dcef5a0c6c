//! `regcheck responsibilities`: IBM's shared-responsibility table row by row, with the rules that
//! cover each customer duty and their status for each audited account. Rules whose
//! responsibility has no row in IBM's table (regcheck's best practices, custom tags) get rows of
//! their own after it, so that every failure that sets the exit code is shown.

use std::borrow::Cow;
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
    area: Cow<'a, str>,
    task: Cow<'a, str>,
    ibm: Cow<'a, str>,
    customer: Cow<'a, str>,
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

/// The area of the rows that IBM's table does not have.
const BEYOND_AREA: &str = "Beyond IBM's table";

/// IBM's rows, then one row per responsibility tag of the loaded rules that IBM's table has
/// no row for.
fn rows(report: &AuditReport) -> Vec<Cow<'static, Row>> {
    let mut rows: Vec<Cow<'static, Row>> = responsibility::rows().iter().map(Cow::Borrowed).collect();
    let mut extra: Vec<&str> = report
        .policies
        .iter()
        .map(|policy| policy.responsibility.as_str())
        .filter(|tag| !rows.iter().any(|row| row.tag.as_deref() == Some(*tag)))
        .collect();
    extra.sort_by_key(|tag| responsibility::order(tag));
    extra.dedup();
    for tag in extra {
        let title = responsibility::title(tag);
        rows.push(Cow::Owned(Row {
            area: BEYOND_AREA.to_owned(),
            task: title.to_owned(),
            ibm: String::new(),
            customer: if tag == "BP" {
                "regcheck's best practices: recent evidence, quota headroom, the Standard plan, retention."
                    .to_owned()
            } else {
                format!("Your own rules tagged {tag}.")
            },
            tag: Some(tag.to_owned()),
        }));
    }
    rows
}

fn matrix<'a>(report: &'a AuditReport) -> Vec<MatrixRow<'a>> {
    rows(report)
        .into_iter()
        .map(|row: Cow<'static, Row>| {
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
            let responsibility = match &row.tag {
                // The tag as the rules spell it, borrowed from the report.
                Some(tag) => report
                    .policies
                    .iter()
                    .find(|p| &p.responsibility == tag)
                    .map(|p| p.responsibility.as_str())
                    .or_else(|| {
                        responsibility::rows()
                            .iter()
                            .find_map(|r| r.tag.as_deref().filter(|t| t == tag))
                    }),
                None => None,
            };
            let (area, task, ibm, customer) = match row {
                Cow::Borrowed(row) => (
                    Cow::Borrowed(row.area.as_str()),
                    Cow::Borrowed(row.task.as_str()),
                    Cow::Borrowed(row.ibm.as_str()),
                    Cow::Borrowed(row.customer.as_str()),
                ),
                Cow::Owned(row) => (
                    Cow::Owned(row.area),
                    Cow::Owned(row.task),
                    Cow::Owned(row.ibm),
                    Cow::Owned(row.customer),
                ),
            };
            MatrixRow {
                area,
                task,
                ibm,
                customer,
                responsibility,
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
            cell(&row.area),
            cell(&row.task),
            cell(&row.ibm),
            cell(&row.customer),
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
    let mut area = String::new();
    for row in matrix(report) {
        if row.area != area {
            area = row.area.to_string();
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
