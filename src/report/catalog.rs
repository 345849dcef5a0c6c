//! The rule catalog views: `regcheck rules` (table or JSON) and `regcheck explain ID`.
//! Everything comes from the policy files.

use std::io::{self, Write};

use serde::Serialize;

use crate::findings::Severity;
use crate::policy::{FixSpecAction, Policy};
use crate::responsibility;

#[derive(Serialize)]
struct RuleEntry<'a> {
    id: &'a str,
    title: &'a str,
    severity: Severity,
    responsibility: &'a str,
    summary: &'a str,
    source: &'a str,
    params: Vec<ParamEntry<'a>>,
    references: &'a [String],
}

#[derive(Serialize)]
struct ParamEntry<'a> {
    name: &'a str,
    default: String,
    doc: &'a str,
}

pub fn write_table(policies: &[std::sync::Arc<Policy>], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{:<12} {:<8} {:<4} title", "id", "severity", "resp")?;
    for policy in policies {
        writeln!(
            out,
            "{:<12} {:<8} {:<4} {}",
            policy.id, policy.severity, policy.responsibility, policy.title
        )?;
    }
    writeln!(out, "{} rules", policies.len())
}

pub fn write_json(policies: &[std::sync::Arc<Policy>], out: &mut dyn Write) -> io::Result<()> {
    let entries: Vec<RuleEntry<'_>> = policies
        .iter()
        .map(|policy| RuleEntry {
            id: &policy.id,
            title: &policy.title,
            severity: policy.severity,
            responsibility: &policy.responsibility,
            summary: policy.docs.summary.trim(),
            source: &policy.source.name,
            params: policy
                .params
                .iter()
                .map(|param| ParamEntry {
                    name: &param.name,
                    default: param.default.to_string(),
                    doc: &param.doc,
                })
                .collect(),
            references: &policy.docs.references,
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &entries)?;
    writeln!(out)
}

/// A rule's full text, as Markdown-flavoured plain text.
pub fn write_explanation(policy: &Policy, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}: {}", policy.id, policy.title)?;
    writeln!(
        out,
        "severity: {}   responsibility: {}   source: {}",
        policy.severity,
        responsibility::label(&policy.responsibility),
        policy.source.name
    )?;
    let section = |out: &mut dyn Write, heading: &str, text: &str| -> io::Result<()> {
        if !text.trim().is_empty() {
            writeln!(out, "\n## {heading}\n\n{}", text.trim())?;
        }
        Ok(())
    };
    section(out, "What it checks", &policy.docs.summary)?;
    section(out, "Why", &policy.docs.rationale)?;
    section(out, "How to fix", &policy.docs.remediation)?;
    write_fix_templates(policy, out)?;
    if !policy.params.is_empty() {
        writeln!(
            out,
            "\n## Parameters (set in regcheck.toml under [rules.\"{}\"])\n",
            policy.id
        )?;
        for param in &policy.params {
            writeln!(out, "- `{}` = {}: {}", param.name, param.default, param.doc)?;
        }
    }
    if !policy.docs.references.is_empty() {
        writeln!(out, "\n## References\n")?;
        for reference in &policy.docs.references {
            writeln!(out, "- {reference}")?;
        }
    }
    Ok(())
}

/// The rule's `[fix]` as declared: the command template (its `{…}` values come from the
/// failing subject, quoted for bash) or the reason. A rule whose checks have fixes of their own
/// lists each with the subjects it is for.
pub(crate) fn write_fix_templates(policy: &Policy, out: &mut dyn Write) -> io::Result<()> {
    let mut fixes: Vec<(&str, &std::sync::Arc<crate::policy::FixSpec>)> = Vec::new();
    for check in &policy.checks {
        if let Some(fix) = &check.fix
            && !fixes.iter().any(|(_, seen)| std::sync::Arc::ptr_eq(seen, fix))
        {
            fixes.push((check.for_each.as_str(), fix));
        }
    }
    if fixes.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "
## Fix command
"
    )?;
    for (for_each, fix) in &fixes {
        if fixes.len() > 1 {
            writeln!(
                out,
                "For the subjects of `{for_each}`:
"
            )?;
        }
        match &fix.action {
            FixSpecAction::Command { command, destructive } => {
                if let Some(region) = &fix.region {
                    writeln!(
                        out,
                        "In the registry region `{}` (`ibmcloud cr region-set` first):
",
                        region.value.source()
                    )?;
                }
                writeln!(out, "```bash\n{}\n```\n", command.value.source())?;
                if *destructive {
                    writeln!(
                        out,
                        "Destructive: `regcheck fix --dry-run` prints it commented out, to run only after review.\n"
                    )?;
                }
            }
            FixSpecAction::Reason(reason) => writeln!(out, "No command: {}.\n", reason.value.source())?,
        }
    }
    let has_command = fixes
        .iter()
        .any(|(_, fix)| matches!(fix.action, FixSpecAction::Command { .. }));
    if has_command {
        writeln!(
            out,
            "Each `{{…}}` is a value of the failing subject, quoted for bash when the fix is\n\
             rendered; `regcheck fix --dry-run` prints every failing finding's fix as one script."
        )
    } else {
        writeln!(out, "Each `{{…}}` is a value of the failing subject.")
    }
}

/// `docs/rules.md`: the catalog generated from the policy files (kept in sync by a test).
pub fn rules_markdown(policies: &[std::sync::Arc<Policy>]) -> String {
    let mut text = String::from(
        "# Rule reference\n\n<!-- Generated from policies/ by `regcheck rules --format markdown`; do not edit. -->\n\n",
    );
    text.push_str("| id | severity | responsibility | title |\n|---|---|---|---|\n");
    for policy in policies {
        text.push_str(&format!(
            "| [{id}](#{anchor}) | {} | {} | {} |\n",
            policy.severity,
            responsibility::label(&policy.responsibility),
            policy.title,
            id = policy.id,
            anchor = policy.id.to_lowercase(),
        ));
    }
    for policy in policies {
        let mut explanation = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = write_explanation(policy, &mut explanation);
        let explanation = String::from_utf8_lossy(&explanation);
        let mut lines = explanation.lines();
        let heading = lines.next().unwrap_or_default();
        text.push_str(&format!(
            "\n## {}\n\n",
            heading.split_once(": ").map_or(heading, |(id, _)| id)
        ));
        text.push_str(&format!("**{}**\n\n", policy.title));
        for line in lines {
            // One level deeper than the rule's heading.
            if let Some(rest) = line.strip_prefix("## ") {
                text.push_str(&format!("### {rest}\n"));
            } else {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    text
}
