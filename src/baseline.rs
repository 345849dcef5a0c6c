//! Baselines: the fingerprints of the failures accepted on the day a team adopts regcheck.
//! `--write-baseline FILE` records today's failures; `--baseline FILE` reports them as
//! `baselined` and fails only on new ones. Fingerprints come from account id, rule id and
//! subject, so editing the account file around a finding does not make it new, and a baseline
//! written for one account never hides another account's findings.
//!
//! Version 2 (written now) names the account of every entry. Version 1 (regcheck before
//! fingerprints carried the account) is still read, with a warning: its entries name no
//! account and their fingerprints hash rule id and subject only, so each is matched by rule id
//! and subject, in every account audited.

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use crate::audit::{AccountAudit, AuditReport};
use crate::findings::{Finding, FindingStatus};

/// The version this build writes.
pub const BASELINE_VERSION: u32 = 2;

/// A baseline file, as written (version 2) or read ([`Baseline::parse`]).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<BaselineEntry>,
}

/// Account, rule id and subject are kept next to the fingerprint so the file can be reviewed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct BaselineEntry {
    /// The account id; absent only in entries read from a version-1 baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub rule_id: String,
    pub subject: String,
    pub fingerprint: String,
}

/// A version-1 entry: no account.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LegacyBaseline {
    #[allow(dead_code)]
    version: u32,
    findings: Vec<LegacyEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LegacyEntry {
    rule_id: String,
    subject: String,
    fingerprint: String,
}

/// A version-2 file: the account is required.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CurrentBaseline {
    #[allow(dead_code)]
    version: u32,
    findings: Vec<CurrentEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CurrentEntry {
    account: String,
    rule_id: String,
    subject: String,
    fingerprint: String,
}

impl Baseline {
    /// Today's failing findings (expired waivers included) of every account audited, sorted
    /// and without duplicates.
    pub fn from_report(report: &AuditReport) -> Self {
        Self::from_entries(report.audits.iter().flat_map(Self::entries))
    }

    /// The entries one account adds: its failing and already baselined findings, under its
    /// account id. A run collects them account by account, then makes the baseline with
    /// [`Baseline::from_entries`].
    pub fn entries(audit: &AccountAudit) -> impl Iterator<Item = BaselineEntry> + '_ {
        let account = &audit.account.model.account.id;
        audit
            .findings()
            .filter(|finding| matches!(finding.status, FindingStatus::Fail | FindingStatus::Baselined))
            .map(move |finding| BaselineEntry {
                account: Some(account.clone()),
                rule_id: finding.rule_id.clone(),
                subject: finding.subject.clone(),
                fingerprint: finding.fingerprint.clone(),
            })
    }

    /// A baseline of these entries, sorted and without duplicates.
    pub fn from_entries(entries: impl IntoIterator<Item = BaselineEntry>) -> Self {
        let findings: BTreeSet<BaselineEntry> = entries.into_iter().collect();
        Self {
            version: BASELINE_VERSION,
            findings: findings.into_iter().collect(),
        }
    }

    /// Reads a baseline of version 2, or of version 1 (see [`Baseline::is_legacy`]).
    pub fn parse(text: &str) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct Version {
            version: u32,
        }
        let Version { version } = serde_json::from_str(text)
            .map_err(|error| format!("not a regcheck baseline (a JSON object with a `version`): {error}"))?;
        let findings = match version {
            1 => {
                let legacy: LegacyBaseline = serde_json::from_str(text).map_err(|error| error.to_string())?;
                legacy
                    .findings
                    .into_iter()
                    .map(|entry| BaselineEntry {
                        account: None,
                        rule_id: entry.rule_id,
                        subject: entry.subject,
                        fingerprint: entry.fingerprint,
                    })
                    .collect()
            }
            BASELINE_VERSION => {
                let current: CurrentBaseline =
                    serde_json::from_str(text).map_err(|error| error.to_string())?;
                current
                    .findings
                    .into_iter()
                    .map(|entry| BaselineEntry {
                        account: Some(entry.account),
                        rule_id: entry.rule_id,
                        subject: entry.subject,
                        fingerprint: entry.fingerprint,
                    })
                    .collect()
            }
            other => {
                return Err(format!(
                    "unsupported baseline version {other} (this regcheck reads versions 1 and {BASELINE_VERSION}, and writes {BASELINE_VERSION})"
                ));
            }
        };
        Ok(Self { version, findings })
    }

    /// Whether this is a version-1 baseline, whose entries name no account: they are matched
    /// by rule id and subject in every account.
    pub fn is_legacy(&self) -> bool {
        self.version < BASELINE_VERSION
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a baseline always serializes");
        text.push('\n');
        text
    }

    /// What findings are looked up in while they are classified.
    pub fn index(&self) -> BaselineIndex<'_> {
        if self.is_legacy() {
            BaselineIndex::RuleAndSubject(
                self.findings
                    .iter()
                    .map(|entry| (entry.rule_id.as_str(), entry.subject.as_str()))
                    .collect(),
            )
        } else {
            BaselineIndex::Fingerprints(
                self.findings
                    .iter()
                    .map(|entry| entry.fingerprint.as_str())
                    .collect(),
            )
        }
    }
}

/// A baseline's entries, ready for look-ups.
#[derive(Debug)]
pub enum BaselineIndex<'a> {
    /// Version 2: fingerprints, which carry the account id.
    Fingerprints(HashSet<&'a str>),
    /// Version 1: rule id and subject, in any account.
    RuleAndSubject(HashSet<(&'a str, &'a str)>),
}

impl BaselineIndex<'_> {
    /// Whether the baseline accepts this failing finding.
    pub fn accepts(&self, finding: &Finding) -> bool {
        match self {
            BaselineIndex::Fingerprints(known) => known.contains(finding.fingerprint.as_str()),
            BaselineIndex::RuleAndSubject(known) => {
                known.contains(&(finding.rule_id.as_str(), finding.subject.as_str()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_two_entries_need_an_account() {
        let text = r#"{"version": 2, "findings": [{"account": "acc-1", "rule_id": "R-1", "subject": "s", "fingerprint": "f"}]}"#;
        let baseline = Baseline::parse(text).unwrap();
        assert!(!baseline.is_legacy());
        assert_eq!(baseline.findings[0].account.as_deref(), Some("acc-1"));
        let missing =
            r#"{"version": 2, "findings": [{"rule_id": "R-1", "subject": "s", "fingerprint": "f"}]}"#;
        assert!(Baseline::parse(missing).unwrap_err().contains("account"));
    }

    #[test]
    fn version_one_is_read_as_legacy_and_matched_by_rule_and_subject() {
        let text = r#"{"version": 1, "findings": [{"rule_id": "R-1", "subject": "s", "fingerprint": "f"}]}"#;
        let baseline = Baseline::parse(text).unwrap();
        assert!(baseline.is_legacy());
        assert!(matches!(baseline.index(), BaselineIndex::RuleAndSubject(_)));
    }

    #[test]
    fn other_versions_and_other_files_are_refused() {
        assert!(
            Baseline::parse(r#"{"version": 3, "findings": []}"#)
                .unwrap_err()
                .contains("unsupported baseline version 3")
        );
        assert!(Baseline::parse("[]").is_err());
        assert!(Baseline::parse(r#"{"version": 2, "findings": [], "extra": 1}"#).is_err());
    }
}
