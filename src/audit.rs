//! One audit run: accounts that loaded, accounts that did not, and every rule's outcome.
//! Reporters render an [`AuditReport`]; the gate decision (`exit_code`) lives here too, so every
//! format agrees on it.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::account::{LoadError, LoadedAccount};
use crate::baseline::Baseline;
use crate::config::Waiver;
use crate::engine::{self, Settings};
use crate::findings::{Finding, FindingStatus, RuleOutcome, RuleStatus, Severity, WaiverNote};
use crate::policy::Policy;

/// The lowest severity of a failing finding that fails the gate; `None` never fails on findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailOn(pub Option<Severity>);

impl FailOn {
    pub fn fails(self, severity: Severity) -> bool {
        self.0.is_some_and(|threshold| severity >= threshold)
    }

    pub fn as_str(self) -> &'static str {
        self.0.map_or("none", Severity::as_str)
    }
}

/// The audit of one account file that loaded.
#[derive(Debug)]
pub struct AccountAudit {
    pub account: LoadedAccount,
    pub outcomes: Vec<RuleOutcome>,
}

impl AccountAudit {
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.outcomes.iter().flat_map(|outcome| outcome.findings.iter())
    }
}

#[derive(Debug)]
pub struct AuditReport {
    pub as_of: DateTime<Utc>,
    pub fail_on: FailOn,
    pub policies: Vec<Arc<Policy>>,
    pub audits: Vec<AccountAudit>,
    /// Files that could not be loaded, with every problem found in each.
    pub load_errors: Vec<(String, LoadError)>,
    /// Waivers that matched no finding in any account (a warning, not a failure).
    pub unused_waivers: Vec<Waiver>,
    /// Whether findings were compared with a baseline.
    pub baseline_used: bool,
}

/// How findings are judged after evaluation.
#[derive(Debug, Default)]
pub struct Judgement<'a> {
    pub waivers: &'a [Waiver],
    pub baseline: Option<&'a Baseline>,
}

/// Process exit codes (`cli.md`): errors beat findings.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

impl AuditReport {
    pub fn policy(&self, rule_id: &str) -> Option<&Policy> {
        self.policies
            .iter()
            .find(|policy| policy.id == rule_id)
            .map(|p| p.as_ref())
    }

    pub fn failing(&self) -> impl Iterator<Item = (&AccountAudit, &Finding)> {
        self.audits.iter().flat_map(|audit| {
            audit
                .findings()
                .filter(|finding| finding.status == FindingStatus::Fail)
                .map(move |finding| (audit, finding))
        })
    }

    pub fn rule_errors(&self) -> impl Iterator<Item = (&AccountAudit, &RuleOutcome)> {
        self.audits.iter().flat_map(|audit| {
            audit
                .outcomes
                .iter()
                .filter(|outcome| outcome.status == RuleStatus::Error)
                .map(move |outcome| (audit, outcome))
        })
    }

    pub fn exit_code(&self) -> u8 {
        if !self.load_errors.is_empty() || self.rule_errors().next().is_some() {
            EXIT_ERROR
        } else if self
            .failing()
            .any(|(_, finding)| self.fail_on.fails(finding.severity))
        {
            EXIT_FINDINGS
        } else {
            EXIT_OK
        }
    }
}

/// Sets apart the accounts whose evidence was captured after `as_of`: an audit at a time when
/// the evidence did not exist yet is an error for that file (rules.md, "Ages"), not a set of
/// negative ages. The error points at `captured_at` and names both times.
pub fn captured_after(
    accounts: Vec<LoadedAccount>,
    as_of: DateTime<Utc>,
) -> (Vec<LoadedAccount>, Vec<(String, LoadError)>) {
    let mut errors = Vec::new();
    let accounts = accounts
        .into_iter()
        .filter_map(|account| {
            let captured = account.model.account.captured_at;
            if captured.0 <= as_of {
                return Some(account);
            }
            let path = crate::path::DocPath::parse("account.captured_at").unwrap_or_default();
            let span = account.file.locate(&path).value_span;
            let as_of_text = crate::engine::cel::format_time(&as_of);
            let problem = crate::diagnostic::Problem::new(
                span,
                format!(
                    "the audit's as-of time {as_of_text} is before this account's captured_at {}: the evidence did not exist yet",
                    captured.to_rfc3339()
                ),
            )
            .label("captured after the as-of time")
            .help(format!(
                "audit with an --as-of at or after {} (the default is now), or correct captured_at",
                captured.to_rfc3339()
            ));
            let name = account.file.source.name.clone();
            let error = LoadError {
                diagnostics: vec![crate::diagnostic::FileDiagnostic::error(
                    account.file.source.clone(),
                    problem,
                )],
            };
            errors.push((name, error));
            None
        })
        .collect();
    (accounts, errors)
}

/// Evaluates every policy on every loaded account, then applies waivers and the baseline.
pub fn run(
    accounts: Vec<LoadedAccount>,
    load_errors: Vec<(String, LoadError)>,
    policies: Vec<Arc<Policy>>,
    settings: &Settings,
    fail_on: FailOn,
    judgement: &Judgement<'_>,
) -> AuditReport {
    let mut used = vec![false; judgement.waivers.len()];
    let baseline = judgement.baseline.map(Baseline::index);
    let audits = accounts
        .into_iter()
        .map(|account| {
            let mut outcomes = engine::evaluate(&account, &policies, settings);
            for outcome in &mut outcomes {
                judge(
                    &account.model.account.id,
                    outcome,
                    judgement.waivers,
                    &mut used,
                    baseline.as_ref(),
                    settings.as_of,
                );
            }
            AccountAudit { account, outcomes }
        })
        .collect();
    let unused_waivers = judgement
        .waivers
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(waiver, _)| waiver.clone())
        .collect();
    AuditReport {
        as_of: settings.as_of,
        fail_on,
        policies,
        audits,
        load_errors,
        unused_waivers,
        baseline_used: judgement.baseline.is_some(),
    }
}

/// Marks waived and baselined findings. The first matching waiver decides; an expired one
/// leaves the finding failing and says so. A rule whose failures are all accepted passes.
fn judge(
    account_id: &str,
    outcome: &mut RuleOutcome,
    waivers: &[Waiver],
    used: &mut [bool],
    baseline: Option<&crate::baseline::BaselineIndex<'_>>,
    as_of: DateTime<Utc>,
) {
    for finding in outcome
        .findings
        .iter_mut()
        .filter(|f| f.status == FindingStatus::Fail)
    {
        if let Some(index) = waivers
            .iter()
            .position(|w| w.matches(account_id, &finding.rule_id, &finding.subject))
        {
            let waiver = &waivers[index];
            used[index] = true;
            let expired = waiver.is_expired(as_of);
            finding.waiver = Some(WaiverNote {
                reason: waiver.reason.clone(),
                expires: waiver.expires_text.clone(),
                owner: waiver.owner.clone(),
                expired,
                position: waiver.position.clone(),
            });
            if !expired {
                finding.status = FindingStatus::Waived;
            }
        } else if baseline.is_some_and(|known| known.accepts(finding)) {
            finding.status = FindingStatus::Baselined;
        }
    }
    if outcome.status == RuleStatus::Fail && !outcome.findings.iter().any(|f| f.status == FindingStatus::Fail)
    {
        outcome.status = RuleStatus::Pass;
    }
}
