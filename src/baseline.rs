//! Baselines: the fingerprints of the failures accepted on the day a team adopts regcheck.
//! `--write-baseline FILE` records today's failures; `--baseline FILE` reports them as
//! `baselined` and fails only on new ones. Fingerprints come from rule id and subject, so
//! editing the account file around a finding does not make it new.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::audit::{AccountAudit, AuditReport};
use crate::findings::FindingStatus;

pub const BASELINE_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<BaselineEntry>,
}

/// Rule id and subject are kept next to the fingerprint so the file can be reviewed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub rule_id: String,
    pub subject: String,
    pub fingerprint: String,
}

impl Baseline {
    /// Today's failing findings (expired waivers included), sorted and without duplicates.
    pub fn from_report(report: &AuditReport) -> Self {
        Self::from_entries(report.audits.iter().flat_map(Self::entries))
    }

    /// The entries one account adds: its failing and already baselined findings. A run
    /// collects them account by account, then makes the baseline with [`Baseline::from_entries`].
    pub fn entries(audit: &AccountAudit) -> impl Iterator<Item = BaselineEntry> + '_ {
        audit
            .findings()
            .filter(|finding| matches!(finding.status, FindingStatus::Fail | FindingStatus::Baselined))
            .map(|finding| BaselineEntry {
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

    pub fn parse(text: &str) -> Result<Self, String> {
        let baseline: Baseline = serde_json::from_str(text).map_err(|error| error.to_string())?;
        if baseline.version != BASELINE_VERSION {
            return Err(format!(
                "unsupported baseline version {} (this regcheck writes version {BASELINE_VERSION})",
                baseline.version
            ));
        }
        Ok(baseline)
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a baseline always serializes");
        text.push('\n');
        text
    }

    /// The fingerprints, for look-ups while findings are classified.
    pub fn fingerprints(&self) -> std::collections::HashSet<&str> {
        self.findings
            .iter()
            .map(|entry| entry.fingerprint.as_str())
            .collect()
    }
}
