//! What an audit produces: findings per subject and an outcome per rule. Reporters read these
//! and nothing else.

use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::path::DocPath;

/// How bad a failing finding is. Ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL_DESCENDING: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL_DESCENDING.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` honours width and alignment, so tables line up.
        f.pad(self.as_str())
    }
}

/// A finding's status. Only `Fail` fails the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingStatus {
    Fail,
    Waived,
    Baselined,
    Pass,
}

/// A rule's overall status for one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleStatus {
    Error,
    Fail,
    Pass,
    NotApplicable,
}

impl RuleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Error => "error",
            RuleStatus::Fail => "fail",
            RuleStatus::Pass => "pass",
            RuleStatus::NotApplicable => "not_applicable",
        }
    }
}

/// Where a finding points in the account file (1-based lines and columns, end exclusive).
/// Passing findings leave it at its default (line 0): [`crate::account::AccountFile::location`]
/// of the finding's path gives it when a report shows passes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// Byte span, for rendering the source; not part of any report.
    #[serde(skip)]
    pub span: std::ops::Range<usize>,
}

/// One subject that a rule checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub status: FindingStatus,
    pub subject: String,
    /// Empty for a pass: a report says the rule's title instead.
    pub message: String,
    pub path: DocPath,
    pub location: Location,
    pub fingerprint: String,
    /// The waiver that matched this finding, if any (an expired one leaves the status `Fail`).
    pub waiver: Option<WaiverNote>,
    /// How to fix it, rendered from the rule's `[fix]` for a failing finding (`None` for a pass
    /// and for a rule without `[fix]`).
    pub fix: Option<Box<Fix>>,
}

/// A finding's fix, rendered from its rule's `[fix]` table: either a shell command (every value
/// from the account in it already quoted for bash) or the reason no command can fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// The registry region the command acts on, unquoted: `ibmcloud cr` commands act on the
    /// region last set with `ibmcloud cr region-set`.
    pub region: Option<String>,
    pub action: FixAction,
    /// A value from the account in the command starts with `-`, so the command would read it
    /// as an option: quoting cannot prevent that, so it is shown for review and never run as is.
    pub option_like_value: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixAction {
    /// A command for bash; `destructive` ones delete or replace something and are never run
    /// without review (`regcheck fix --dry-run` comments them out).
    Command { command: String, destructive: bool },
    /// Why no command can fix it: a rebuild, a decision, a change elsewhere.
    Reason(String),
}

impl Fix {
    /// The command as one line to copy: `ibmcloud cr region-set R && COMMAND` when it has a
    /// region; `None` for a reason.
    pub fn command_line(&self) -> Option<String> {
        let FixAction::Command { command, .. } = &self.action else {
            return None;
        };
        Some(match &self.region {
            Some(region) => format!("{} && {command}", region_set(region)),
            None => command.clone(),
        })
    }

    pub fn destructive(&self) -> bool {
        matches!(
            self.action,
            FixAction::Command {
                destructive: true,
                ..
            }
        )
    }
}

/// `ibmcloud cr region-set REGION`, the region quoted.
pub fn region_set(region: &str) -> String {
    format!("ibmcloud cr region-set {}", shell_quote(region))
}

/// `value` as one bash word that means exactly `value`: unquoted when it holds only safe
/// characters, else ANSI-C quoted (`$'…'`), control characters escaped so that the word stays
/// on one line (a commented-out command cannot be ended by a newline in a name).
pub fn shell_quote(value: &str) -> String {
    if value.chars().any(invisible) {
        return ansi_c_quote(value);
    }
    <shell_quote::Bash as shell_quote::Quote<String>>::quote(value)
}

/// Characters that change how a line looks without showing (direction overrides and isolates,
/// zero-width characters, line and paragraph separators): in a script for review they could
/// make a command read differently from what it does. The quoting crate leaves them as they are.
fn invisible(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// `$'…'` with every character that is not printable ASCII escaped (`\xHH`, `\uHHHH`), for a
/// value that holds an [`invisible`] character.
fn ansi_c_quote(value: &str) -> String {
    let mut out = String::from("$'");
    for c in value.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if invisible(c) || c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// What a report says about the waiver that matched a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaiverNote {
    pub reason: String,
    pub expires: String,
    pub owner: Option<String>,
    pub expired: bool,
    /// `regcheck.toml:12:1`, where the waiver is declared.
    pub position: String,
}

/// A stable fingerprint of account id, rule id and subject (cli.md "Findings"): never line
/// numbers, so moving lines changes nothing, and the same subject in two accounts gets two
/// fingerprints, so a baseline written for one account never hides another's failures.
pub fn fingerprint(account_id: &str, rule_id: &str, subject: &str) -> String {
    Fingerprinter::new(account_id).fingerprint(rule_id, subject)
}

/// Fingerprints for one account: the account id is hashed once, and each finding continues
/// from that state.
#[derive(Clone)]
pub struct Fingerprinter {
    account: Sha256,
}

impl Fingerprinter {
    pub fn new(account_id: &str) -> Self {
        let mut account = Sha256::new();
        account.update(account_id.as_bytes());
        account.update([0u8]);
        Self { account }
    }

    pub fn fingerprint(&self, rule_id: &str, subject: &str) -> String {
        let mut hasher = self.account.clone();
        hasher.update(rule_id.as_bytes());
        hasher.update([0u8]);
        hasher.update(subject.as_bytes());
        let digest = hasher.finalize();
        let mut text = String::with_capacity(16);
        for byte in &digest[..8] {
            use std::fmt::Write as _;
            let _ = write!(text, "{byte:02x}");
        }
        text
    }
}

/// A rule that could not be evaluated: where in the policy, and for which subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub message: String,
    /// `policies/…/ICR-AT-001.toml:12:10`, the expression that failed.
    pub policy_position: String,
    /// The subject path being evaluated, when the error is about one.
    pub path: Option<DocPath>,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at {}", self.message, self.policy_position)?;
        match &self.path {
            // `for_each = "$"`: the subject is the account itself.
            Some(path) if path.segments().is_empty() => f.write_str(", evaluating the account")?,
            Some(path) => write!(f, ", evaluating `{path}`")?,
            None => {}
        }
        f.write_str(")")
    }
}

/// The result of one rule on one account.
#[derive(Debug, Clone)]
pub struct RuleOutcome {
    pub rule_id: String,
    pub status: RuleStatus,
    pub findings: Vec<Finding>,
    /// Subjects that passed: counted always, listed in `findings` only when passes are
    /// recorded (`Settings::record_passes`).
    pub passes: usize,
    pub error: Option<RuleError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_depends_on_account_rule_and_subject() {
        assert_eq!(
            fingerprint("acct", "ICR-AT-001", "registry:us-south"),
            fingerprint("acct", "ICR-AT-001", "registry:us-south")
        );
        assert_ne!(
            fingerprint("acct", "ICR-AT-001", "registry:us-south"),
            fingerprint("acct", "ICR-AT-001", "registry:eu-de")
        );
        assert_ne!(
            fingerprint("acct", "ICR-AT-001", "registry:us-south"),
            fingerprint("other", "ICR-AT-001", "registry:us-south"),
            "the same subject in two accounts has two fingerprints"
        );
        assert_ne!(
            fingerprint("acct", "ICR-AT-00", "1registry"),
            fingerprint("acct", "ICR-AT-001", "registry")
        );
        assert_ne!(
            fingerprint("ac", "ctICR-AT-001", "registry"),
            fingerprint("acct", "ICR-AT-001", "registry")
        );
        assert_eq!(fingerprint("acct", "a", "b").len(), 16);
    }

    #[test]
    fn severities_order_from_low_to_critical() {
        assert!(Severity::Critical > Severity::High && Severity::Medium > Severity::Low);
    }
}
