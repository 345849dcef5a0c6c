//! One audit run: account files loaded, evaluated and judged (waivers, baseline) one by one, and
//! handed over in file order as each finishes, so that reports start early and a folder of many
//! accounts holds a few accounts in memory at a time, not all of them.
//!
//! - [`Auditor`] evaluates one account and judges its findings; it remembers which waivers
//!   matched, for the unused-waiver warning at the end.
//! - [`audit_files`] runs an [`Auditor`] over account files. Small accounts are evaluated several
//!   at once, each on one thread: on an account of a few hundred images the engine's own
//!   parallelism (jobs over every core) is mostly start-up and hand-over cost, while whole
//!   accounts side by side keep every core busy with no coordination at all. A large account is
//!   evaluated alone, with every core. Either way the results come out in file order.
//! - [`Tally`] counts what decides the gate, account by account, so that the exit code of a
//!   streamed run and of a whole [`AuditReport`] come from one definition.
//! - [`AuditReport`] is a whole run kept in memory, for the reports that need all of it at once.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::account::{LoadError, LoadedAccount, NotAudited};
use crate::baseline::{Baseline, BaselineIndex};
use crate::config::Waiver;
use crate::engine::{self, Settings};
use crate::findings::{Finding, FindingStatus, RuleOutcome, RuleStatus, Severity, WaiverNote};
use crate::policy::Policy;
use crate::select::{Focus, Selection};

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

/// Process exit codes (`cli.md`): errors beat findings.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// The audit of one account file that loaded.
#[derive(Debug)]
pub struct AccountAudit {
    pub account: LoadedAccount,
    pub outcomes: Vec<RuleOutcome>,
    /// What each `--image` of a selective run resolved to in this account (refs and digests
    /// judged); empty otherwise.
    pub judged: Vec<crate::select::JudgedImage>,
}

impl AccountAudit {
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.outcomes.iter().flat_map(|outcome| outcome.findings.iter())
    }
}

/// One account file's turn in a run.
#[derive(Debug)]
// One per account, beside the account itself (megabytes): boxing the larger variant buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum AccountResult {
    Audited(AccountAudit),
    /// The file could not be loaded (or read, or reached): every problem found in it.
    Invalid {
        file: String,
        error: LoadError,
    },
}

impl AccountResult {
    pub fn as_ref(&self) -> AccountRef<'_> {
        match self {
            AccountResult::Audited(audit) => AccountRef::Audited(audit),
            AccountResult::Invalid { file, error } => AccountRef::Invalid { file, error },
        }
    }
}

/// An [`AccountResult`] borrowed: what reports read, from a stream or from an [`AuditReport`].
#[derive(Debug, Clone, Copy)]
pub enum AccountRef<'a> {
    Audited(&'a AccountAudit),
    Invalid { file: &'a str, error: &'a LoadError },
}

impl AccountRef<'_> {
    pub fn file(&self) -> &str {
        match self {
            AccountRef::Audited(audit) => &audit.account.file.source.name,
            AccountRef::Invalid { file, .. } => file,
        }
    }
}

/// What a run knows before its first account: what every report's header needs.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub as_of: DateTime<Utc>,
    pub fail_on: FailOn,
    /// The rules that run, sorted by id.
    pub policies: Vec<Arc<Policy>>,
    /// How many account files the run has (loaded or not).
    pub files: usize,
    /// The baseline file findings are compared with, as the user named it.
    pub baseline: Option<String>,
}

impl RunInfo {
    /// The rule with this id: looked up by halves in the sorted list a run has, by a scan in a
    /// list put together otherwise.
    pub fn policy(&self, rule_id: &str) -> Option<&Policy> {
        match self
            .policies
            .binary_search_by(|policy| policy.id.as_str().cmp(rule_id))
        {
            Ok(at) => Some(self.policies[at].as_ref()),
            Err(_) => self
                .policies
                .iter()
                .find(|policy| policy.id == rule_id)
                .map(|policy| policy.as_ref()),
        }
    }
}

/// What a run knows after its last account.
#[derive(Debug, Clone, Default)]
pub struct RunEnd {
    pub tally: Tally,
    /// Waivers that matched no finding in any account (a warning, not a failure).
    pub unused_waivers: Vec<Waiver>,
}

/// The counts that decide the gate and fill the summary lines, added up account by account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub fail_on: Option<Severity>,
    pub audited: usize,
    pub invalid: usize,
    /// Rules by status: pass, fail, not applicable, error.
    pub rules: [usize; 4],
    /// Failing findings by severity: critical, high, medium, low (expired waivers included).
    pub failing: [usize; 4],
    /// Failing findings whose waiver expired (counted in `failing` too).
    pub expired: usize,
    pub waived: usize,
    pub baselined: usize,
    /// Subjects that passed.
    pub passes: usize,
    /// Failing findings at or above the gate's threshold.
    pub failing_gate: usize,
}

/// Index of a severity in the `[critical, high, medium, low]` arrays of reports.
pub fn severity_index(severity: Severity) -> usize {
    match severity {
        Severity::Critical => 0,
        Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low => 3,
    }
}

/// Index of a rule status in `[pass, fail, not applicable, error]`.
pub fn status_index(status: RuleStatus) -> usize {
    match status {
        RuleStatus::Pass => 0,
        RuleStatus::Fail => 1,
        RuleStatus::NotApplicable => 2,
        RuleStatus::Error => 3,
    }
}

impl Tally {
    pub fn new(fail_on: FailOn) -> Self {
        Self {
            fail_on: fail_on.0,
            ..Self::default()
        }
    }

    pub fn add(&mut self, account: AccountRef<'_>) {
        match account {
            AccountRef::Audited(audit) => self.add_audit(audit),
            AccountRef::Invalid { .. } => self.invalid += 1,
        }
    }

    pub fn add_audit(&mut self, audit: &AccountAudit) {
        self.audited += 1;
        for outcome in &audit.outcomes {
            self.rules[status_index(outcome.status)] += 1;
            self.passes += outcome.passes;
            for finding in &outcome.findings {
                match finding.status {
                    FindingStatus::Fail => {
                        self.failing[severity_index(finding.severity)] += 1;
                        self.expired += usize::from(finding.waiver.is_some());
                        self.failing_gate += usize::from(FailOn(self.fail_on).fails(finding.severity));
                    }
                    FindingStatus::Waived => self.waived += 1,
                    FindingStatus::Baselined => self.baselined += 1,
                    FindingStatus::Pass => {}
                }
            }
        }
    }

    pub fn failing_total(&self) -> usize {
        self.failing.iter().sum()
    }

    pub fn rule_errors(&self) -> usize {
        self.rules[3]
    }

    /// Errors beat findings: a file that did not load or a rule that errored gives 2.
    pub fn exit_code(&self) -> u8 {
        if self.invalid > 0 || self.rule_errors() > 0 {
            EXIT_ERROR
        } else if self.failing_gate > 0 {
            EXIT_FINDINGS
        } else {
            EXIT_OK
        }
    }
}

/// A whole run in memory.
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
    /// The baseline file findings were compared with, as the user named it.
    pub baseline: Option<String>,
}

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

    /// The counts of the whole run, as a streamed run adds them up.
    pub fn tally(&self) -> Tally {
        let mut tally = Tally::new(self.fail_on);
        for audit in &self.audits {
            tally.add_audit(audit);
        }
        tally.invalid = self.load_errors.len();
        tally
    }

    pub fn exit_code(&self) -> u8 {
        self.tally().exit_code()
    }

    /// The accounts in the order a streamed run hands them over: audited, then not loaded.
    pub fn accounts(&self) -> impl Iterator<Item = AccountRef<'_>> {
        self.audits.iter().map(AccountRef::Audited).chain(
            self.load_errors
                .iter()
                .map(|(file, error)| AccountRef::Invalid { file, error }),
        )
    }

    /// What a streamed run knew before its first account.
    pub fn info(&self) -> RunInfo {
        RunInfo {
            as_of: self.as_of,
            fail_on: self.fail_on,
            policies: self.policies.clone(),
            files: self.audits.len() + self.load_errors.len(),
            baseline: self.baseline.clone(),
        }
    }

    /// What a streamed run knew after its last account.
    pub fn end(&self) -> RunEnd {
        RunEnd {
            tally: self.tally(),
            unused_waivers: self.unused_waivers.clone(),
        }
    }
}

/// An account whose evidence was captured after `as_of` cannot be judged at that time: an
/// error for that file (rules.md, "Ages"), not a set of negative ages. The error points at
/// `captured_at` and names both times; the file loaded, so reports do not say it did not.
pub fn captured_by(account: LoadedAccount, as_of: DateTime<Utc>) -> Result<LoadedAccount, LoadError> {
    let captured = account.model.account.captured_at;
    if captured.0 <= as_of {
        return Ok(account);
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
    Err(LoadError {
        diagnostics: vec![crate::diagnostic::FileDiagnostic::error(
            account.file.source.clone(),
            problem,
        )],
        kind: NotAudited::CapturedAfterAsOf,
    })
}

/// A whole run in memory, for callers that have their accounts loaded already (tests, the
/// library): each account checked against `as_of` ([`captured_by`]), evaluated and judged as
/// the streamed run does, in the order given.
pub fn run(
    accounts: Vec<LoadedAccount>,
    mut load_errors: Vec<(String, LoadError)>,
    policies: Vec<Arc<Policy>>,
    settings: &Settings,
    fail_on: FailOn,
    judgement: &Judgement<'_>,
) -> AuditReport {
    let auditor = Auditor::new(&policies, settings, judgement);
    let mut audits = Vec::with_capacity(accounts.len());
    for account in accounts {
        let name = account.file.source.name.clone();
        match captured_by(account, settings.as_of)
            .and_then(|account| auditor.audit_selected(account, settings))
        {
            Ok(audit) => audits.push(audit),
            Err(error) => load_errors.push((name, error)),
        }
    }
    let unused_waivers = auditor.unused_waivers();
    AuditReport {
        as_of: settings.as_of,
        fail_on,
        policies,
        audits,
        load_errors,
        unused_waivers,
        // The file name is the caller's to set; reports only need to know there was one.
        baseline: judgement.baseline.map(|_| "baseline".to_owned()),
    }
}

/// How findings are judged after evaluation.
#[derive(Debug, Default)]
pub struct Judgement<'a> {
    pub waivers: &'a [Waiver],
    pub baseline: Option<&'a Baseline>,
    /// `--subject` / `--image`: only the findings selected are kept (`None`: all of them).
    pub selection: Option<&'a Selection>,
}

/// Evaluates accounts and judges their findings, remembering which waivers matched.
pub struct Auditor<'a> {
    policies: &'a [Arc<Policy>],
    settings: &'a Settings,
    waivers: &'a [Waiver],
    used: Vec<AtomicBool>,
    baseline: Option<BaselineIndex<'a>>,
    selection: Option<&'a Selection>,
    /// The subjects kept by the selection in any account so far, for [`Auditor::unused_waivers`].
    kept: Mutex<HashSet<String>>,
}

impl<'a> Auditor<'a> {
    pub fn new(policies: &'a [Arc<Policy>], settings: &'a Settings, judgement: &Judgement<'a>) -> Self {
        Self {
            policies,
            settings,
            waivers: judgement.waivers,
            used: judgement.waivers.iter().map(|_| AtomicBool::new(false)).collect(),
            baseline: judgement.baseline.map(Baseline::index),
            selection: judgement.selection.filter(|selection| !selection.is_everything()),
            kept: Mutex::new(HashSet::new()),
        }
    }

    /// Evaluates every policy on the account, then applies waivers and the baseline. A
    /// selective run (`--image`, `--subject`) needs [`audit_selected`](Self::audit_selected).
    pub fn audit(&self, account: LoadedAccount) -> AccountAudit {
        let mut outcomes = engine::evaluate(&account, self.policies, self.settings);
        for outcome in &mut outcomes {
            self.judge(&account.model.account.id, outcome);
        }
        AccountAudit {
            account,
            outcomes,
            judged: Vec::new(),
        }
    }

    /// [`audit`](Self::audit) with the run's selection: the images asked for are resolved
    /// (one that the account does not hold is an error: never a pass), only they are
    /// evaluated, and only the selected findings are kept.
    pub fn audit_selected(
        &self,
        account: LoadedAccount,
        settings: &Settings,
    ) -> Result<AccountAudit, LoadError> {
        let Some(selection) = self.selection else {
            let mut outcomes = engine::evaluate(&account, self.policies, settings);
            for outcome in &mut outcomes {
                self.judge(&account.model.account.id, outcome);
            }
            return Ok(AccountAudit {
                account,
                outcomes,
                judged: Vec::new(),
            });
        };
        let focus = selection.focus(&account)?;
        // Passes are recorded so that a rule's status can be told from the selected subjects
        // alone (with `--image`, a handful of them); dropped again below when not asked for.
        let focused = Settings {
            images: focus.images.clone(),
            record_passes: true,
            ..settings.clone()
        };
        // Rules whose subjects cannot be selected (an IAM policy's, when one image is asked
        // for) are not evaluated: not applicable to what the run asks about.
        let relevant: Vec<bool> = self
            .policies
            .iter()
            .map(|policy| {
                policy
                    .checks
                    .iter()
                    .any(|check| focus.may_keep(&check.subject.value.literal_prefix()))
            })
            .collect();
        let evaluated: Vec<Arc<Policy>> = self
            .policies
            .iter()
            .zip(&relevant)
            .filter(|(_, relevant)| **relevant)
            .map(|(policy, _)| Arc::clone(policy))
            .collect();
        let mut evaluated = engine::evaluate(&account, &evaluated, &focused).into_iter();
        let mut outcomes: Vec<RuleOutcome> = self
            .policies
            .iter()
            .zip(&relevant)
            .map(
                |(policy, relevant)| match relevant.then(|| evaluated.next()).flatten() {
                    Some(outcome) => outcome,
                    None => RuleOutcome {
                        rule_id: policy.id.clone(),
                        status: RuleStatus::NotApplicable,
                        findings: Vec::new(),
                        passes: 0,
                        error: None,
                    },
                },
            )
            .collect();
        for outcome in &mut outcomes {
            self.judge(&account.model.account.id, outcome);
            keep_selected(outcome, &focus, settings.record_passes);
        }
        if let Ok(mut kept) = self.kept.lock() {
            kept.extend(focus.kept.iter().cloned());
        }
        Ok(AccountAudit {
            account,
            outcomes,
            judged: focus.judged,
        })
    }

    /// Waivers that matched no finding so far. A selective run looked at the selected
    /// findings only, so it lists only the unused waivers written for what it selected.
    pub fn unused_waivers(&self) -> Vec<Waiver> {
        let kept = self.kept.lock().map(|kept| kept.clone()).unwrap_or_default();
        self.waivers
            .iter()
            .zip(&self.used)
            .filter(|(_, used)| !used.load(Ordering::Relaxed))
            .filter(|(waiver, _)| {
                self.selection.is_none_or(|selection| {
                    waiver
                        .subject
                        .as_deref()
                        .is_some_and(|subject| selection.concerns(&kept, subject))
                })
            })
            .map(|(waiver, _)| waiver.clone())
            .collect()
    }

    /// Marks waived and baselined findings. The first matching waiver decides; an expired one
    /// leaves the finding failing and says so. A rule whose failures are all accepted passes.
    fn judge(&self, account_id: &str, outcome: &mut RuleOutcome) {
        let as_of = self.settings.as_of;
        for finding in outcome
            .findings
            .iter_mut()
            .filter(|f| f.status == FindingStatus::Fail)
        {
            if let Some(index) = self
                .waivers
                .iter()
                .position(|w| w.matches(account_id, &finding.rule_id, &finding.subject))
            {
                let waiver = &self.waivers[index];
                self.used[index].store(true, Ordering::Relaxed);
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
            } else if self.baseline.as_ref().is_some_and(|known| known.accepts(finding)) {
                finding.status = FindingStatus::Baselined;
            }
        }
        if outcome.status == RuleStatus::Fail
            && !outcome.findings.iter().any(|f| f.status == FindingStatus::Fail)
        {
            outcome.status = RuleStatus::Pass;
        }
    }
}

/// Keeps the findings of `outcome` that the selection keeps, and gives the rule the status
/// those alone give it: failing when one of them fails, passing when it judged one of them,
/// not applicable otherwise. A rule that could not be evaluated stays an error (fail closed).
fn keep_selected(outcome: &mut RuleOutcome, focus: &Focus, record_passes: bool) {
    if outcome.status == RuleStatus::Error {
        return;
    }
    outcome.findings.retain(|finding| focus.keeps(&finding.subject));
    outcome.passes = outcome
        .findings
        .iter()
        .filter(|finding| finding.status == FindingStatus::Pass)
        .count();
    outcome.status = if outcome.findings.iter().any(|f| f.status == FindingStatus::Fail) {
        RuleStatus::Fail
    } else if outcome.findings.is_empty() {
        RuleStatus::NotApplicable
    } else {
        RuleStatus::Pass
    };
    if !record_passes {
        outcome
            .findings
            .retain(|finding| finding.status != FindingStatus::Pass);
    }
}

/// An account file of a run: where to read it, the name reports give it, and its size (which
/// decides whether it is evaluated alongside others).
#[derive(Debug, Clone)]
pub struct AccountFile {
    pub path: PathBuf,
    pub name: String,
    pub bytes: u64,
}

/// Account files up to this size (about a thousand images) are evaluated several at once, each on
/// one thread; larger ones one at a time on every core.
pub const SMALL_ACCOUNT_BYTES: u64 = 1 << 20;

/// Loads, evaluates and judges each file, and hands each result to `deliver` in file order as
/// soon as it and those before it are done, with what `prepare` made of it. `load` reads one
/// file; an account captured after the as-of time is not evaluated ([`captured_by`]).
///
/// Consecutive small files are evaluated several at once (one per core, each on one thread), a
/// few ahead of the one being delivered at most; a large file is evaluated alone, on every core.
/// `prepare` runs on the thread that audited the account: reports make their text for it there,
/// so that the thread delivering results in order only writes them out.
pub fn audit_files<T: Send>(
    auditor: &Auditor<'_>,
    files: &[AccountFile],
    load: &(dyn Fn(&AccountFile) -> Result<LoadedAccount, LoadError> + Sync),
    prepare: &(dyn Fn(&AccountResult) -> T + Sync),
    deliver: &mut dyn FnMut(AccountResult, T),
) {
    let cores = crate::cores();
    let one_thread = Settings {
        threads: Some(1),
        ..auditor.settings.clone()
    };
    let every_core = Settings {
        threads: Some(auditor.settings.threads.unwrap_or(cores)),
        ..auditor.settings.clone()
    };
    let run = |file: &AccountFile, settings: &Settings| {
        let loaded = load(file).and_then(|account| captured_by(account, settings.as_of));
        let result = match loaded {
            Ok(account) => match auditor.audit_selected(account, settings) {
                Ok(audit) => AccountResult::Audited(audit),
                Err(error) => AccountResult::Invalid {
                    file: file.name.clone(),
                    error,
                },
            },
            Err(error) => AccountResult::Invalid {
                file: file.name.clone(),
                error,
            },
        };
        let prepared = prepare(&result);
        (result, prepared)
    };
    let mut rest = files;
    while let Some(first) = rest.first() {
        let small = rest
            .iter()
            .take_while(|file| file.bytes <= SMALL_ACCOUNT_BYTES)
            .count();
        if small >= 2 && cores >= 2 {
            let batch = &rest[..small];
            crate::in_order::in_order(
                batch.len(),
                cores,
                &crate::in_order::Workers {
                    name: "regcheck-audit",
                    // Each worker evaluates whole accounts on its own thread, with the stack the
                    // engine gives its own threads (CEL evaluates deep expressions by recursion).
                    stack: Some(engine::EVALUATION_STACK),
                },
                &|at| run(&batch[at], &one_thread),
                &mut |(result, prepared)| deliver(result, prepared),
            );
            rest = &rest[small..];
        } else {
            let (result, prepared) = run(first, &every_core);
            deliver(result, prepared);
            rest = &rest[1..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_counts_failures_at_or_above_its_threshold_and_errors_beat_them() {
        let mut tally = Tally::new(FailOn(Some(Severity::High)));
        tally.failing = [0, 0, 3, 0];
        assert_eq!(tally.exit_code(), EXIT_OK);
        tally.failing_gate = 1;
        assert_eq!(tally.exit_code(), EXIT_FINDINGS);
        tally.invalid = 1;
        assert_eq!(tally.exit_code(), EXIT_ERROR);
    }
}
