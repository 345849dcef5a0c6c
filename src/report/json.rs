//! The JSON report: a versioned, documented object with a stable key order, written to the
//! writer account by account as a run goes ([`JsonReport`] is a [`Sink`]); no tree of the whole
//! report is ever built, so its memory is that of one account's findings.
//!
//! Shape (version 2):
//! ```text
//! { "version": 2,
//!   "tool": {name, version},
//!   "as_of": "2026-11-26T00:00:00Z",
//!   "fail_on": "low",
//!   "baseline": "baseline.json" | null,            the baseline findings were compared with
//!   "rules": [{id, title, severity, responsibility}],
//!   "accounts": [
//!     { "file", "account_id", "account_name", "status": "loaded" | "invalid",
//!       "images_judged": [{asked, refs, digests}],  only with --image: the entries and
//!                                                    digests each image ref resolved to
//!       "errors": [{message, line, column, help}],   why an invalid file was not audited (it
//!                                                    did not load, or was captured after as_of)
//!       "results": [{rule_id, status, passes, failing, error}],
//!       "findings": [{rule_id, severity, status, subject, message, path, file, line, column,
//!                     end_line, end_column, fingerprint,
//!                     waiver: {reason, expires, owner, expired, declared_at} | null,
//!                     fix: {command, region, destructive, option_like_value, reason} | null}],
//!       "totals": {…as below, for this account} } ],
//!   "unused_waivers": [{rule, subject, account, reason, expires, owner, declared_at}],
//!   "totals": { rules: {pass, fail, not_applicable, error},
//!               findings: {fail, expired_waiver, waived, baselined, pass},
//!               failing_by_severity: {critical, high, medium, low} },
//!   "exit_code": 0 | 1 | 2 }
//! ```
//! - Findings within an account come most severe first, then by rule and subject. `status` is
//!   `fail`, `waived`, `baselined` or `pass`; a finding whose waiver expired is `fail` with its
//!   waiver (`expired: true`), a waived one carries the waiver that matched, a baselined one is
//!   in the file named by `baseline`.
//! - Passing subjects are counted in each result's `passes`; they are listed as `pass`
//!   findings only with `--include-passes` (a 10k-image account has some 350,000 of them: a
//!   160 MB report that no gate reads, where the counts show what was checked).
//! - `fix` is the rule's `[fix]` rendered for a failing, waived or baselined finding: `command`
//!   is one line for bash (`ibmcloud cr region-set R && …` when it has a `region`; every value
//!   from the account quoted), `destructive` says it deletes or cuts off something,
//!   `option_like_value` that a value from the account starts with `-` (review it); or `command`
//!   is null and `reason` says why no command can fix it. Null for passes and rules without one.
//! - `exit_code` comes last: it is known only when the last account is done.
//!
//! Version 1 had top-level `accounts`, `results` and `findings` lists and no waiver or
//! baseline details; version 2 nests results and findings in their account, so that an account
//! can be written as soon as it is audited.

use std::io::{self, Write};

use serde::Serialize;
use serde::ser::SerializeSeq;

use super::indented::serializer;
use super::{AccountRenderer, Sink};
use crate::audit::{AccountAudit, AccountRef, AuditReport, RunEnd, RunInfo, Tally};
use crate::engine::cel::format_time;
use crate::findings::{self, FindingStatus, RuleStatus, Severity};

pub const REPORT_VERSION: u32 = 2;

/// The JSON report as a [`Sink`]; `include_passes` lists passing subjects as findings (when the
/// run recorded them).
#[derive(Debug)]
pub struct JsonReport {
    include_passes: bool,
    accounts: usize,
}

impl JsonReport {
    pub fn new(include_passes: bool) -> Self {
        Self {
            include_passes,
            accounts: 0,
        }
    }
}

/// A whole report in memory as JSON, passes listed when the run recorded them: what a run
/// streams, in one call.
pub fn write(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    super::replay(&mut JsonReport::new(true), report, out)
}

/// An account's object of the JSON report, made on any thread.
#[derive(Debug, Clone, Copy)]
pub struct JsonAccount {
    include_passes: bool,
}

impl AccountRenderer for JsonAccount {
    fn render(&self, run: &RunInfo, account: AccountRef<'_>, out: &mut Vec<u8>) -> io::Result<()> {
        let value = Account::new(run, account, self.include_passes);
        value.serialize(&mut serializer(out, 2)).map_err(io::Error::other)
    }
}

impl Sink for JsonReport {
    fn renderer(&self) -> Box<dyn AccountRenderer> {
        Box::new(JsonAccount {
            include_passes: self.include_passes,
        })
    }

    fn begin(&mut self, run: &RunInfo, out: &mut dyn Write) -> io::Result<()> {
        self.accounts = 0;
        out.write_all(b"{")?;
        field(out, "version", &REPORT_VERSION, true)?;
        field(
            out,
            "tool",
            &Tool {
                name: "regcheck",
                version: env!("CARGO_PKG_VERSION"),
            },
            false,
        )?;
        field(out, "as_of", &format_time(&run.as_of), false)?;
        field(out, "fail_on", &run.fail_on.as_str(), false)?;
        field(out, "baseline", &run.baseline, false)?;
        let rules: Vec<Rule<'_>> = run
            .policies
            .iter()
            .map(|policy| Rule {
                id: &policy.id,
                title: &policy.title,
                severity: policy.severity,
                responsibility: &policy.responsibility,
            })
            .collect();
        field(out, "rules", &rules, false)?;
        out.write_all(b",\n  \"accounts\": [")
    }

    fn account(
        &mut self,
        _run: &RunInfo,
        _account: AccountRef<'_>,
        rendered: &[u8],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        out.write_all(if self.accounts == 0 { b"\n    " } else { b",\n    " })?;
        self.accounts += 1;
        out.write_all(rendered)
    }

    fn finish(&mut self, _run: &RunInfo, end: &RunEnd, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(if self.accounts == 0 { b"]" } else { b"\n  ]" })?;
        let unused: Vec<UnusedWaiver<'_>> = end
            .unused_waivers
            .iter()
            .map(|waiver| UnusedWaiver {
                rule: &waiver.rule,
                subject: waiver.subject.as_deref(),
                account: waiver.account.as_deref(),
                reason: &waiver.reason,
                expires: &waiver.expires_text,
                owner: waiver.owner.as_deref(),
                declared_at: &waiver.position,
            })
            .collect();
        field(out, "unused_waivers", &unused, false)?;
        field(out, "totals", &Totals::from(&end.tally), false)?;
        field(out, "exit_code", &end.tally.exit_code(), false)?;
        out.write_all(b"\n}\n")
    }
}

/// Writes `"name": value` as a member of the top-level object.
fn field(out: &mut dyn Write, name: &str, value: &impl Serialize, first: bool) -> io::Result<()> {
    out.write_all(if first { b"\n  " } else { b",\n  " })?;
    serde_json::to_writer(&mut *out, name)?;
    out.write_all(b": ")?;
    value.serialize(&mut serializer(out, 1)).map_err(io::Error::other)
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Rule<'a> {
    id: &'a str,
    title: &'a str,
    severity: Severity,
    responsibility: &'a str,
}

#[derive(Serialize)]
struct UnusedWaiver<'a> {
    rule: &'a str,
    subject: Option<&'a str>,
    account: Option<&'a str>,
    reason: &'a str,
    expires: &'a str,
    owner: Option<&'a str>,
    declared_at: &'a str,
}

#[derive(Serialize)]
struct Account<'a> {
    file: &'a str,
    account_id: Option<&'a str>,
    account_name: Option<&'a str>,
    status: &'static str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    images_judged: &'a [crate::select::JudgedImage],
    errors: Vec<LoadErrorEntry>,
    results: Vec<RuleResult<'a>>,
    findings: Findings<'a>,
    totals: Totals,
}

impl<'a> Account<'a> {
    fn new(run: &'a RunInfo, account: AccountRef<'a>, include_passes: bool) -> Self {
        match account {
            AccountRef::Audited(audit) => {
                let model = &audit.account.model.account;
                let mut tally = Tally::new(run.fail_on);
                tally.add_audit(audit);
                Account {
                    file: &audit.account.file.source.name,
                    account_id: Some(&model.id),
                    account_name: model.name.as_deref(),
                    status: "loaded",
                    images_judged: &audit.judged,
                    errors: Vec::new(),
                    results: audit
                        .outcomes
                        .iter()
                        .map(|outcome| RuleResult {
                            rule_id: &outcome.rule_id,
                            status: outcome.status,
                            passes: outcome.passes,
                            failing: outcome
                                .findings
                                .iter()
                                .filter(|f| f.status == FindingStatus::Fail)
                                .count(),
                            error: outcome.error.as_ref().map(ToString::to_string),
                        })
                        .collect(),
                    findings: Findings {
                        run,
                        audit: Some(audit),
                        include_passes,
                    },
                    totals: Totals::from(&tally),
                }
            }
            AccountRef::Invalid { file, error } => {
                let mut tally = Tally::new(run.fail_on);
                tally.invalid = 1;
                Account {
                    file,
                    account_id: None,
                    account_name: None,
                    status: "invalid",
                    images_judged: &[],
                    errors: error
                        .diagnostics
                        .iter()
                        .map(|diagnostic| {
                            let (line, column) = diagnostic.source.line_col(diagnostic.problem.span.start);
                            LoadErrorEntry {
                                message: diagnostic.source.redact(&diagnostic.problem.message).into_owned(),
                                line,
                                column,
                                help: diagnostic
                                    .problem
                                    .help
                                    .as_ref()
                                    .map(|help| diagnostic.source.redact(help).into_owned()),
                            }
                        })
                        .collect(),
                    results: Vec::new(),
                    findings: Findings {
                        run,
                        audit: None,
                        include_passes,
                    },
                    totals: Totals::from(&tally),
                }
            }
        }
    }
}

#[derive(Serialize)]
struct LoadErrorEntry {
    message: String,
    line: usize,
    column: usize,
    help: Option<String>,
}

#[derive(Serialize)]
struct RuleResult<'a> {
    rule_id: &'a str,
    status: RuleStatus,
    /// Subjects that passed.
    passes: usize,
    /// Failing findings (expired waivers included).
    failing: usize,
    error: Option<String>,
}

/// An account's findings, serialized one by one from the audit (no list of them is built).
struct Findings<'a> {
    run: &'a RunInfo,
    audit: Option<&'a AccountAudit>,
    include_passes: bool,
}

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(audit) = self.audit else {
            return serializer.collect_seq(std::iter::empty::<()>());
        };
        let include_passes = self.include_passes;
        let findings = super::account_most_severe_first(audit, |finding| {
            include_passes || finding.status != FindingStatus::Pass
        });
        let mut seq = serializer.serialize_seq(Some(findings.len()))?;
        for finding in findings {
            seq.serialize_element(&Finding::new(self.run, audit, finding))?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct Finding<'a> {
    rule_id: &'a str,
    severity: Severity,
    status: FindingStatus,
    subject: std::borrow::Cow<'a, str>,
    message: std::borrow::Cow<'a, str>,
    path: String,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    fingerprint: &'a str,
    waiver: Option<Waiver<'a>>,
    fix: Option<Fix<'a>>,
}

#[derive(Serialize)]
struct Fix<'a> {
    command: Option<String>,
    region: Option<&'a str>,
    destructive: bool,
    option_like_value: bool,
    reason: Option<&'a str>,
}

impl<'a> Finding<'a> {
    fn new(run: &'a RunInfo, audit: &'a AccountAudit, finding: &'a findings::Finding) -> Self {
        let source = &audit.account.file.source;
        // Passes carry no location or message of their own (see `findings::Finding`): they
        // point at their subject and say what was checked, the rule's title.
        let (location, message) = if finding.status == FindingStatus::Pass {
            let title = run.policy(&finding.rule_id).map_or("", |p| p.title.as_str());
            (
                audit.account.file.location(&finding.path),
                std::borrow::Cow::Borrowed(title),
            )
        } else {
            (finding.location.clone(), source.redact(&finding.message))
        };
        Finding {
            rule_id: &finding.rule_id,
            severity: finding.severity,
            status: finding.status,
            subject: source.redact(&finding.subject),
            message,
            path: finding.path.to_string(),
            file: &source.name,
            line: location.line,
            column: location.column,
            end_line: location.end_line,
            end_column: location.end_column,
            fingerprint: &finding.fingerprint,
            waiver: finding.waiver.as_ref().map(|waiver| Waiver {
                reason: &waiver.reason,
                expires: &waiver.expires,
                owner: waiver.owner.as_deref(),
                expired: waiver.expired,
                declared_at: &waiver.position,
            }),
            fix: finding.fix.as_ref().map(|fix| Fix {
                command: fix.command_line(),
                region: fix.region.as_deref(),
                destructive: fix.destructive(),
                option_like_value: fix.option_like_value,
                reason: match &fix.action {
                    findings::FixAction::Reason(reason) => Some(reason),
                    findings::FixAction::Command { .. } => None,
                },
            }),
        }
    }
}

#[derive(Serialize)]
struct Waiver<'a> {
    reason: &'a str,
    expires: &'a str,
    owner: Option<&'a str>,
    expired: bool,
    declared_at: &'a str,
}

#[derive(Serialize)]
struct Totals {
    rules: RuleTotals,
    findings: FindingTotals,
    failing_by_severity: SeverityTotals,
}

impl From<&Tally> for Totals {
    fn from(tally: &Tally) -> Self {
        let [pass, fail, not_applicable, error] = tally.rules;
        let [critical, high, medium, low] = tally.failing;
        Totals {
            rules: RuleTotals {
                pass,
                fail,
                not_applicable,
                error,
            },
            findings: FindingTotals {
                fail: tally.failing_total(),
                expired_waiver: tally.expired,
                waived: tally.waived,
                baselined: tally.baselined,
                pass: tally.passes,
            },
            failing_by_severity: SeverityTotals {
                critical,
                high,
                medium,
                low,
            },
        }
    }
}

#[derive(Serialize)]
struct RuleTotals {
    pass: usize,
    fail: usize,
    not_applicable: usize,
    error: usize,
}

#[derive(Serialize)]
struct FindingTotals {
    fail: usize,
    expired_waiver: usize,
    waived: usize,
    baselined: usize,
    pass: usize,
}

#[derive(Serialize)]
struct SeverityTotals {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces written by hand and the values serialized in place make one document that
    /// reads back, indented as serde_json's pretty printer would.
    #[test]
    fn a_document_written_in_pieces_is_pretty_json() {
        let mut out = Vec::new();
        out.write_all(b"{").unwrap();
        field(&mut out, "a", &vec![1, 2], true).unwrap();
        field(
            &mut out,
            "b",
            &serde_json::json!({"c": [], "d": {"e": null}}),
            false,
        )
        .unwrap();
        out.write_all(b",\n  \"accounts\": [\n    ").unwrap();
        serde_json::json!({"f": [1]})
            .serialize(&mut serializer(&mut out, 2))
            .unwrap();
        out.write_all(b"\n  ]\n}\n").unwrap();
        let text = String::from_utf8(out).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            format!("{}\n", serde_json::to_string_pretty(&value).unwrap()),
            text
        );
    }
}
