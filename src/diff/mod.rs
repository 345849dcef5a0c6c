//! `regcheck diff OLD NEW`: what changed between two audits.
//!
//! Each side is a [`Snapshot`]: the non-passing findings of its accounts, read from an audit of
//! account files ([`Snapshot::from_audit`]) or from a JSON report ([`snapshot::from_json_report`]).
//! [`compare`] pairs the accounts (by account id, then by file name, or the only account of
//! each side when both inputs are single files), matches findings by fingerprint (account id,
//! rule and subject: moved lines are not changes), and classes each one ([`Class`]). The
//! renderers in [`render`] only read the resulting [`Diff`].
//!
//! The gate ([`Diff::exit_code`]): a finding that fails on the new side and did not fail on the
//! old one (new, or failing again after its waiver or baseline went) at or above `--fail-on`
//! gives 1; an error on either side (a file that did not load, a rule that could not be
//! evaluated, a report that recorded such errors) gives 2, since a side with errors can hide
//! failures.

pub mod render;
pub mod snapshot;

#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};

use crate::audit::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, FailOn};
use crate::findings::Severity;

pub use snapshot::{Snapshot, SnapshotAccount, SnapshotFinding, State};

/// How a finding changed from OLD to NEW, in the order reports list the classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Fails in NEW; absent (or passing) in OLD.
    New,
    /// Fails in NEW; was waived or baselined in OLD (the waiver expired or went, the baseline
    /// no longer lists it).
    FailingAgain,
    /// Waived or baselined in NEW; failing or absent in OLD.
    WaivedSince,
    /// Absent (or passing) in NEW; failing, waived or baselined in OLD.
    Fixed,
    /// Fails on both sides.
    StillFailing,
    /// Waived or baselined on both sides.
    StillAccepted,
}

impl Class {
    pub const ALL: [Class; 6] = [
        Class::New,
        Class::FailingAgain,
        Class::WaivedSince,
        Class::Fixed,
        Class::StillFailing,
        Class::StillAccepted,
    ];

    /// The name in the JSON output.
    pub fn key(self) -> &'static str {
        match self {
            Class::New => "new",
            Class::FailingAgain => "failing_again",
            Class::WaivedSince => "waived_since",
            Class::Fixed => "fixed",
            Class::StillFailing => "still_failing",
            Class::StillAccepted => "still_accepted",
        }
    }

    /// The heading in the human and Markdown outputs.
    pub fn title(self) -> &'static str {
        match self {
            Class::New => "new failing findings",
            Class::FailingAgain => "failing again (waiver expired or removed, or no longer baselined)",
            Class::WaivedSince => "waived or baselined since",
            Class::Fixed => "fixed",
            Class::StillFailing => "still failing",
            Class::StillAccepted => "still waived or baselined",
        }
    }

    /// The short column name of the summary tables.
    pub fn column(self) -> &'static str {
        match self {
            Class::New => "new",
            Class::FailingAgain => "failing again",
            Class::WaivedSince => "waived since",
            Class::Fixed => "fixed",
            Class::StillFailing => "still failing",
            Class::StillAccepted => "still waived",
        }
    }

    /// Whether a finding of this class can fail the gate.
    pub fn newly_failing(self) -> bool {
        matches!(self, Class::New | Class::FailingAgain)
    }

    fn of(old: Option<State>, new: Option<State>) -> Option<Class> {
        let accepted = |state: State| !state.is_failing();
        Some(match (old, new) {
            (Some(_), None) => Class::Fixed,
            (None, None) => return None,
            (None, Some(new)) if new.is_failing() => Class::New,
            (Some(old), Some(new)) if new.is_failing() && accepted(old) => Class::FailingAgain,
            (Some(_), Some(new)) if new.is_failing() => Class::StillFailing,
            (Some(old), Some(_)) if accepted(old) => Class::StillAccepted,
            (_, Some(_)) => Class::WaivedSince,
        })
    }
}

/// How the accounts of the two sides were paired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pairing {
    /// The same account id on both sides (a renamed file is the same account).
    AccountId,
    /// The same file name, the account id changed.
    FileName,
    /// Both inputs are single files of one account each: compared whatever their ids.
    OnlyAccount,
    /// Only in NEW: every failing finding of it is new.
    Added,
    /// Only in OLD: its findings are not compared (not counted as fixed).
    Removed,
}

impl Pairing {
    pub fn key(self) -> &'static str {
        match self {
            Pairing::AccountId => "account_id",
            Pairing::FileName => "file_name",
            Pairing::OnlyAccount => "only_account",
            Pairing::Added => "added",
            Pairing::Removed => "removed",
        }
    }
}

/// One account of the comparison.
#[derive(Debug, Clone)]
pub struct AccountPair {
    pub pairing: Pairing,
    /// NEW's account id, or OLD's for a removed account.
    pub account_id: String,
    pub name: Option<String>,
    pub old_file: Option<String>,
    pub new_file: Option<String>,
}

impl AccountPair {
    /// The file that names this account in reports: NEW's, else OLD's.
    pub fn file(&self) -> &str {
        self.new_file
            .as_deref()
            .or(self.old_file.as_deref())
            .unwrap_or_default()
    }
}

/// Where a finding is on one side, and its state there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub state: State,
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// One finding's change.
#[derive(Debug, Clone)]
pub struct Change {
    pub class: Class,
    /// Index into [`Diff::accounts`].
    pub account: usize,
    pub rule_id: String,
    /// NEW's severity, else OLD's.
    pub severity: Severity,
    /// The rule's responsibility tag (R1…R6, BP, or a custom tag); empty when unknown.
    pub responsibility: String,
    pub subject: String,
    /// NEW's message, else OLD's.
    pub message: String,
    pub fingerprint: String,
    pub old: Option<Sighting>,
    pub new: Option<Sighting>,
}

/// Findings left out of the comparison, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotCompared {
    /// Index into [`Diff::accounts`].
    pub account: usize,
    /// The rule, or `None` for the whole account.
    pub rule_id: Option<String>,
    pub reason: String,
    /// Non-passing OLD findings left out.
    pub findings: usize,
}

/// A note about a side: a rule that ran only on one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub account: usize,
    pub message: String,
}

/// The comparison of two snapshots.
#[derive(Debug)]
pub struct Diff {
    pub old: Snapshot,
    pub new: Snapshot,
    pub fail_on: FailOn,
    pub accounts: Vec<AccountPair>,
    /// Every compared finding, in report order: class, most severe first, file, rule, subject.
    pub changes: Vec<Change>,
    pub not_compared: Vec<NotCompared>,
    pub notes: Vec<Note>,
}

impl Diff {
    /// Errors recorded by either side (files that did not load, rules that errored).
    pub fn errors(&self) -> impl Iterator<Item = (&'static str, &String)> {
        self.old
            .errors
            .iter()
            .map(|e| ("OLD", e))
            .chain(self.new.errors.iter().map(|e| ("NEW", e)))
    }

    /// Findings that fail the gate: newly failing at or above `fail_on`.
    pub fn gate_failures(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|c| c.class.newly_failing() && self.fail_on.fails(c.severity))
    }

    /// 2 on an error on either side, 1 when a finding newly fails at or above `--fail-on`,
    /// else 0.
    pub fn exit_code(&self) -> u8 {
        if self.errors().next().is_some() {
            EXIT_ERROR
        } else if self.gate_failures().next().is_some() {
            EXIT_FINDINGS
        } else {
            EXIT_OK
        }
    }

    pub fn count(&self, class: Class) -> usize {
        self.changes.iter().filter(|c| c.class == class).count()
    }
}

/// Pairs the accounts, matches the findings and classes them.
pub fn compare(old: Snapshot, new: Snapshot, fail_on: FailOn) -> Diff {
    let pairs = pair_accounts(&old, &new);
    let mut accounts = Vec::with_capacity(pairs.len());
    let mut changes = Vec::new();
    let mut not_compared = Vec::new();
    let mut notes = Vec::new();
    for (old_index, new_index, pairing) in pairs {
        let old_account = old_index.map(|i| &old.accounts[i]);
        let new_account = new_index.map(|i| &new.accounts[i]);
        let Some(shown) = new_account.or(old_account) else {
            continue;
        };
        let index = accounts.len();
        accounts.push(AccountPair {
            pairing,
            account_id: shown.id.clone(),
            name: shown.name.clone(),
            old_file: old_account.map(|a| a.file.clone()),
            new_file: new_account.map(|a| a.file.clone()),
        });
        match (old_account, new_account) {
            (Some(old_account), None) => {
                let findings = old_account.findings.len();
                not_compared.push(NotCompared {
                    account: index,
                    rule_id: None,
                    reason: "the account is not in NEW".to_owned(),
                    findings,
                });
            }
            (old_account, Some(new_account)) => compare_account(
                index,
                old_account,
                new_account,
                pairing,
                (&old, &new),
                &mut changes,
                &mut not_compared,
                &mut notes,
            ),
            (None, None) => {}
        }
    }
    changes.sort_by(|a, b| {
        a.class
            .cmp(&b.class)
            .then_with(|| b.severity.cmp(&a.severity))
            .then_with(|| accounts[a.account].file().cmp(accounts[b.account].file()))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    Diff {
        old,
        new,
        fail_on,
        accounts,
        changes,
        not_compared,
        notes,
    }
}

/// (OLD index, NEW index, how): by account id, then file name; the only accounts of two single
/// files; then the added and removed ones. In NEW's order, removed accounts last.
fn pair_accounts(old: &Snapshot, new: &Snapshot) -> Vec<(Option<usize>, Option<usize>, Pairing)> {
    let mut old_taken = vec![false; old.accounts.len()];
    let mut new_pair: Vec<Option<(usize, Pairing)>> = vec![None; new.accounts.len()];
    if old.single_file && new.single_file && old.accounts.len() == 1 && new.accounts.len() == 1 {
        let pairing = if old.accounts[0].id == new.accounts[0].id {
            Pairing::AccountId
        } else {
            Pairing::OnlyAccount
        };
        new_pair[0] = Some((0, pairing));
        old_taken[0] = true;
    } else {
        match_unique(
            old,
            new,
            &mut old_taken,
            &mut new_pair,
            |a| &a.id,
            Pairing::AccountId,
        );
        match_unique(
            old,
            new,
            &mut old_taken,
            &mut new_pair,
            |a| &a.key,
            Pairing::FileName,
        );
    }
    let mut pairs: Vec<_> = new_pair
        .iter()
        .enumerate()
        .map(|(new_index, pair)| match pair {
            Some((old_index, pairing)) => (Some(*old_index), Some(new_index), *pairing),
            None => (None, Some(new_index), Pairing::Added),
        })
        .collect();
    pairs.extend(
        old_taken
            .iter()
            .enumerate()
            .filter(|(_, taken)| !**taken)
            .map(|(old_index, _)| (Some(old_index), None, Pairing::Removed)),
    );
    pairs
}

/// Pairs the accounts not paired yet whose `key` is the same on both sides and appears once on
/// each (two files of one account id are left for the file names to pair).
fn match_unique(
    old: &Snapshot,
    new: &Snapshot,
    old_taken: &mut [bool],
    new_pair: &mut [Option<(usize, Pairing)>],
    key: fn(&SnapshotAccount) -> &String,
    pairing: Pairing,
) {
    fn unique(
        accounts: &[SnapshotAccount],
        free: impl Fn(usize) -> bool,
        key: fn(&SnapshotAccount) -> &String,
    ) -> HashMap<&String, Option<usize>> {
        let mut seen: HashMap<&String, Option<usize>> = HashMap::new();
        for (i, account) in accounts.iter().enumerate().filter(|(i, _)| free(*i)) {
            seen.entry(key(account))
                .and_modify(|slot| *slot = None)
                .or_insert(Some(i));
        }
        seen
    }
    let old_keys = unique(&old.accounts, |i| !old_taken[i], key);
    let new_keys = unique(&new.accounts, |i| new_pair[i].is_none(), key);
    for (k, new_index) in new_keys {
        if let (Some(new_index), Some(Some(old_index))) = (new_index, old_keys.get(k)) {
            new_pair[new_index] = Some((*old_index, pairing));
            old_taken[*old_index] = true;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn compare_account(
    index: usize,
    old_account: Option<&SnapshotAccount>,
    new_account: &SnapshotAccount,
    pairing: Pairing,
    (old, new): (&Snapshot, &Snapshot),
    changes: &mut Vec<Change>,
    not_compared: &mut Vec<NotCompared>,
    notes: &mut Vec<Note>,
) {
    let empty = SnapshotAccount::default();
    let old_account = old_account.unwrap_or(&empty);
    // Matching key: the fingerprint where the account ids agree; rule and subject where the
    // account was paired across ids (the fingerprints differ by the account id alone), with
    // OLD's subjects that name the account (`account:ID`) renamed to NEW's id.
    let same_id = pairing == Pairing::Added || old_account.id == new_account.id;
    let old_subject = format!("account:{}", old_account.id);
    let new_subject = format!("account:{}", new_account.id);
    let key = |finding: &SnapshotFinding, old_side: bool| -> String {
        if same_id {
            return finding.fingerprint.clone();
        }
        let subject = match finding.subject.strip_prefix(&old_subject) {
            Some(rest) if old_side && (rest.is_empty() || rest.starts_with('#')) => {
                format!("{new_subject}{rest}")
            }
            _ => finding.subject.clone(),
        };
        format!("{}\u{0}{subject}", finding.rule_id)
    };
    let old_by_key: HashMap<String, &SnapshotFinding> =
        old_account.findings.iter().map(|f| (key(f, true), f)).collect();
    let new_by_key: HashMap<String, &SnapshotFinding> =
        new_account.findings.iter().map(|f| (key(f, false), f)).collect();
    let compared_rule = |rule: &str| old_account.ran.contains(rule) && new_account.ran.contains(rule);

    if pairing != Pairing::Added {
        let only_new: BTreeSet<&String> = new_account.ran.difference(&old_account.ran).collect();
        for rule in only_new {
            notes.push(Note {
                account: index,
                message: format!(
                    "rule {rule} did not run on the OLD side: its failing findings count as new"
                ),
            });
        }
        let only_old: BTreeSet<&String> = old_account.ran.difference(&new_account.ran).collect();
        for rule in only_old {
            let findings = old_account.findings.iter().filter(|f| &f.rule_id == rule).count();
            not_compared.push(NotCompared {
                account: index,
                rule_id: Some(rule.clone()),
                reason: "the rule did not run on the NEW side".to_owned(),
                findings,
            });
        }
    }

    let sighting = |finding: &SnapshotFinding, file: &str| Sighting {
        state: finding.state,
        file: file.to_owned(),
        line: finding.line,
        column: finding.column,
    };
    let rule_of = |rule_id: &str| {
        new.rules
            .get(rule_id)
            .or_else(|| old.rules.get(rule_id))
            .map(|r| r.responsibility.clone())
            .unwrap_or_default()
    };
    for finding in &new_account.findings {
        let before = old_by_key.get(&key(finding, false)).copied();
        // A finding of a rule that did not run in OLD is new (fail closed); one whose rule ran on
        // both sides is compared.
        let before = before.filter(|_| compared_rule(&finding.rule_id));
        let Some(class) = Class::of(before.map(|f| f.state), Some(finding.state)) else {
            continue;
        };
        changes.push(Change {
            class,
            account: index,
            rule_id: finding.rule_id.clone(),
            severity: finding.severity,
            responsibility: rule_of(&finding.rule_id),
            subject: finding.subject.clone(),
            message: finding.message.clone(),
            fingerprint: finding.fingerprint.clone(),
            old: before.map(|f| sighting(f, &old_account.file)),
            new: Some(sighting(finding, &new_account.file)),
        });
    }
    for finding in &old_account.findings {
        if new_by_key.contains_key(&key(finding, true)) || !compared_rule(&finding.rule_id) {
            continue;
        }
        changes.push(Change {
            class: Class::Fixed,
            account: index,
            rule_id: finding.rule_id.clone(),
            severity: finding.severity,
            responsibility: rule_of(&finding.rule_id),
            subject: finding.subject.clone(),
            message: finding.message.clone(),
            fingerprint: finding.fingerprint.clone(),
            old: Some(sighting(finding, &old_account.file)),
            new: None,
        });
    }
}
