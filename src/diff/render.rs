//! The diff's three outputs: human (coloured like the audit report), JSON (versioned, below)
//! and Markdown (a pull-request comment, within GitHub's 65,536-character limit).
//!
//! JSON shape (version 1; keys in this order):
//! ```text
//! { "version": 1, "tool": {name, version}, "fail_on", "exit_code",
//!   "old": {input, kind: accounts|json_report, as_of}, "new": {…},
//!   "accounts": [{account_id, account_name, old_file, new_file,
//!                 paired_by: account_id|file_name|only_account|added|removed}],
//!   "totals": {new, failing_again, waived_since, fixed, still_failing, still_accepted, gate_failures},
//!   "by_responsibility": [{responsibility, title, new, failing_again, …}],
//!   "by_severity": [{severity, new, failing_again, …}],
//!   "changes": [{class, account_id, rule_id, severity, responsibility, subject, message,
//!                fingerprint, gate, old: {status, file, line, column} | null, new: … | null}],
//!   "not_compared": [{account_id, file, rule_id | null, reason, findings}],
//!   "notes": [{account_id, message}],
//!   "errors": [{side: OLD|NEW, message}] }
//! ```
//! `status` is `fail`, `fail_waiver_expired`, `waived` or `baselined`; `gate` says whether the
//! change fails the gate (newly failing at or above `fail_on`).

use std::collections::BTreeMap;
use std::io::{self, Write};

use colored::Colorize;
use serde::Serialize;
use serde_json::json;

use super::{Change, Class, Diff, Pairing, Sighting};
use crate::findings::Severity;
use crate::report::human::Style;
use crate::report::thousands;
use crate::responsibility;

pub const DIFF_VERSION: u32 = 1;

/// GitHub refuses a comment longer than this many characters.
pub const MARKDOWN_LIMIT: usize = 65_536;

/// Lines about accounts, errors and what was not compared, at most, in the Markdown head.
const MAX_BULLETS: usize = 40;

/// The classes listed finding by finding in the human and Markdown outputs; the others are
/// counted.
const LISTED: [Class; 4] = [Class::New, Class::FailingAgain, Class::WaivedSince, Class::Fixed];

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// `R1 Track events`, or a custom tag as it is.
fn responsibility_label(tag: &str) -> String {
    if tag.is_empty() {
        "(unknown)".to_owned()
    } else {
        responsibility::label(tag)
    }
}

/// Counts per class, by a grouping key, in the key's order.
fn tally<K: Ord>(diff: &Diff, key: impl Fn(&Change) -> K) -> BTreeMap<K, [usize; 6]> {
    let mut rows: BTreeMap<K, [usize; 6]> = BTreeMap::new();
    for change in &diff.changes {
        rows.entry(key(change)).or_default()[change.class as usize] += 1;
    }
    rows
}

fn by_responsibility(diff: &Diff) -> Vec<(String, [usize; 6])> {
    tally(diff, |c| {
        let (order, tag) = responsibility::order(&c.responsibility);
        (order, tag.to_owned())
    })
    .into_iter()
    .map(|((_, tag), counts)| (tag, counts))
    .collect()
}

fn by_severity(diff: &Diff) -> Vec<(Severity, [usize; 6])> {
    let rows = tally(diff, |c| std::cmp::Reverse(c.severity));
    Severity::ALL_DESCENDING
        .iter()
        .map(|s| (*s, rows.get(&std::cmp::Reverse(*s)).copied().unwrap_or_default()))
        .collect()
}

fn state_word(sighting: &Sighting) -> &'static str {
    match sighting.state {
        super::State::Fail => "failing",
        super::State::Expired => "failing, waiver expired",
        super::State::Waived => "waived",
        super::State::Baselined => "baselined",
    }
}

/// Where a change is, as one line: NEW's position, and OLD's when it helps.
fn whereabouts(change: &Change) -> String {
    let at = |s: &Sighting| format!("{}:{}:{}", s.file, s.line, s.column);
    match (&change.old, &change.new) {
        (None, Some(new)) => at(new),
        (Some(old), None) => format!("was {} at {}", state_word(old), at(old)),
        (Some(old), Some(new)) if change.class == Class::StillFailing => at(new),
        (Some(old), Some(new)) => format!("{} (was {})", at(new), state_word(old)),
        (None, None) => String::new(),
    }
}

fn side_line(snapshot: &super::Snapshot) -> String {
    let kind = match snapshot.kind {
        super::snapshot::Kind::Accounts if snapshot.single_file => "account file",
        super::snapshot::Kind::Accounts => "folder of account files",
        super::snapshot::Kind::JsonReport => "JSON report",
    };
    format!("{} ({kind}, as of {})", snapshot.source, snapshot.as_of)
}

fn pairing_text(diff: &Diff, index: usize) -> String {
    let pair = &diff.accounts[index];
    let old = pair.old_file.as_deref().unwrap_or_default();
    let new = pair.new_file.as_deref().unwrap_or_default();
    match pair.pairing {
        Pairing::AccountId if old == new => format!("{new} (same account id)"),
        Pairing::AccountId => format!("{old} → {new} (same account id)"),
        Pairing::FileName => format!("{old} → {new} (same file name; the account id changed)"),
        Pairing::OnlyAccount => format!("{old} → {new} (the only account of each file)"),
        Pairing::Added => format!("{new} (added: every failing finding is new)"),
        Pairing::Removed => format!("{old} (removed: its findings are not compared)"),
    }
}

fn account_name(diff: &Diff, index: usize) -> String {
    let pair = &diff.accounts[index];
    match &pair.name {
        Some(name) => format!("{name} ({})", pair.account_id),
        None => pair.account_id.clone(),
    }
}

/// The verdict line's words.
fn verdict(diff: &Diff) -> (u8, String) {
    let code = diff.exit_code();
    let gate: Vec<&Change> = diff.gate_failures().collect();
    let new = gate.iter().filter(|c| c.class == Class::New).count();
    let again = gate.len() - new;
    let mut severities: Vec<String> = Vec::new();
    for severity in Severity::ALL_DESCENDING {
        let n = gate.iter().filter(|c| c.severity == severity).count();
        if n > 0 {
            severities.push(format!("{n} {severity}"));
        }
    }
    let rest = format!(
        "{} fixed, {} waived since, {} still failing",
        diff.count(Class::Fixed),
        diff.count(Class::WaivedSince),
        diff.count(Class::StillFailing)
    );
    let errors = diff.errors().count();
    let text = if gate.is_empty() {
        format!(
            "no new failing finding at or above {}; {rest}",
            diff.fail_on.as_str()
        )
    } else {
        format!(
            "{new} new failing finding{}{} at or above {} ({}); {rest}",
            plural(new),
            if again > 0 {
                format!(" and {again} failing again")
            } else {
                String::new()
            },
            diff.fail_on.as_str(),
            severities.join(", ")
        )
    };
    let text = if errors > 0 {
        format!("{errors} error{} on the sides compared; {text}", plural(errors))
    } else {
        text
    };
    (code, text)
}

/// The terminal view.
pub fn write_human(diff: &Diff, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let paint = |text: String, f: fn(colored::ColoredString) -> colored::ColoredString| -> String {
        if style.color {
            f(text.normal()).to_string()
        } else {
            text
        }
    };
    writeln!(out, "{}", paint("regcheck diff".to_owned(), |s| s.bold()))?;
    writeln!(out, "  OLD {}", side_line(&diff.old))?;
    writeln!(out, "  NEW {}", side_line(&diff.new))?;
    writeln!(out, "\naccounts")?;
    for index in 0..diff.accounts.len() {
        writeln!(
            out,
            "  {}: {}",
            account_name(diff, index),
            pairing_text(diff, index)
        )?;
    }

    // The terminal table leaves "still waived" to the JSON and Markdown outputs: it fits 100
    // columns.
    let columns = &Class::ALL[..5];
    let header = |out: &mut dyn Write, first: &str| -> io::Result<()> {
        write!(out, "\n  {first:<40}")?;
        for class in columns {
            write!(out, " {:>w$}", class.column(), w = class.column().len().max(5))?;
        }
        writeln!(out)
    };
    let row = |out: &mut dyn Write, label: &str, counts: &[usize; 6]| -> io::Result<()> {
        let mut line = format!("  {label:<40}");
        for class in columns {
            line.push_str(&format!(
                " {:>w$}",
                counts[*class as usize],
                w = class.column().len().max(5)
            ));
        }
        let newly = counts[Class::New as usize] + counts[Class::FailingAgain as usize];
        writeln!(out, "{}", if newly > 0 { paint(line, |s| s.red()) } else { line })
    };
    header(out, "responsibility")?;
    for (tag, counts) in by_responsibility(diff) {
        row(out, &responsibility_label(&tag), &counts)?;
    }
    header(out, "severity")?;
    for (severity, counts) in by_severity(diff) {
        row(out, severity.as_str(), &counts)?;
    }

    for class in LISTED {
        let changes: Vec<&Change> = diff.changes.iter().filter(|c| c.class == class).collect();
        if changes.is_empty() {
            continue;
        }
        let title = format!("{} ({})", class.title(), changes.len());
        let colour: fn(colored::ColoredString) -> colored::ColoredString = match class {
            Class::New | Class::FailingAgain => |s| s.red().bold(),
            Class::Fixed => |s| s.green().bold(),
            _ => |s| s.yellow().bold(),
        };
        writeln!(out, "\n{}", paint(title, colour))?;
        for change in changes {
            writeln!(
                out,
                "  {:<8}  {}  {}",
                change.severity, change.rule_id, change.subject
            )?;
            writeln!(out, "            {}", change.message)?;
            writeln!(out, "            {}", whereabouts(change))?;
        }
    }

    if !diff.not_compared.is_empty() || !diff.notes.is_empty() {
        writeln!(out)?;
    }
    for item in &diff.not_compared {
        let what = match &item.rule_id {
            Some(rule) => format!("rule {rule} on {}", diff.accounts[item.account].file()),
            None => format!("account {}", account_name(diff, item.account)),
        };
        writeln!(
            out,
            "note: {what}: {}; its {} finding{} in OLD {} not counted as fixed",
            item.reason,
            item.findings,
            plural(item.findings),
            if item.findings == 1 { "is" } else { "are" }
        )?;
    }
    for note in &diff.notes {
        writeln!(
            out,
            "note: {}: {}",
            diff.accounts[note.account].file(),
            note.message
        )?;
    }
    let errors: Vec<_> = diff.errors().collect();
    if !errors.is_empty() {
        writeln!(out)?;
    }
    for (side, message) in errors {
        writeln!(
            out,
            "{}: {side}: {message}",
            paint("error".to_owned(), |s| s.red().bold())
        )?;
    }
    let (code, text) = verdict(diff);
    let word = match code {
        0 => paint("passed".to_owned(), |s| s.green().bold()),
        1 => paint("failed".to_owned(), |s| s.red().bold()),
        _ => paint("error".to_owned(), |s| s.red().bold()),
    };
    writeln!(out, "\n{word}: {text}")
}

fn counts_json(counts: &[usize; 6]) -> serde_json::Map<String, serde_json::Value> {
    Class::ALL
        .iter()
        .map(|class| (class.key().to_owned(), json!(counts[*class as usize])))
        .collect()
}

fn sighting_json(sighting: &Option<Sighting>) -> serde_json::Value {
    match sighting {
        None => serde_json::Value::Null,
        Some(s) => json!({
            "status": s.state.key(),
            "file": s.file,
            "line": s.line,
            "column": s.column,
        }),
    }
}

/// The JSON output (shape in the module documentation).
pub fn write_json(diff: &Diff, out: &mut dyn Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct Side<'a> {
        input: &'a str,
        kind: &'static str,
        as_of: &'a str,
    }
    let side = |s: &'_ super::Snapshot| {
        json!(Side {
            input: &s.source,
            kind: s.kind.key(),
            as_of: &s.as_of
        })
    };
    let mut totals = counts_json(&Class::ALL.map(|class| diff.count(class)));
    totals.insert("gate_failures".to_owned(), json!(diff.gate_failures().count()));
    let document = json!({
        "version": DIFF_VERSION,
        "tool": {"name": "regcheck", "version": env!("CARGO_PKG_VERSION")},
        "fail_on": diff.fail_on.as_str(),
        "exit_code": diff.exit_code(),
        "old": side(&diff.old),
        "new": side(&diff.new),
        "accounts": diff.accounts.iter().map(|pair| json!({
            "account_id": pair.account_id,
            "account_name": pair.name,
            "old_file": pair.old_file,
            "new_file": pair.new_file,
            "paired_by": pair.pairing.key(),
        })).collect::<Vec<_>>(),
        "totals": totals,
        "by_responsibility": by_responsibility(diff).iter().map(|(tag, counts)| {
            let mut row = serde_json::Map::new();
            row.insert("responsibility".to_owned(), json!(tag));
            row.insert("title".to_owned(), json!(responsibility::title(tag)));
            row.extend(counts_json(counts));
            row
        }).collect::<Vec<_>>(),
        "by_severity": by_severity(diff).iter().map(|(severity, counts)| {
            let mut row = serde_json::Map::new();
            row.insert("severity".to_owned(), json!(severity.as_str()));
            row.extend(counts_json(counts));
            row
        }).collect::<Vec<_>>(),
        "changes": diff.changes.iter().map(|change| json!({
            "class": change.class.key(),
            "account_id": diff.accounts[change.account].account_id,
            "rule_id": change.rule_id,
            "severity": change.severity.as_str(),
            "responsibility": change.responsibility,
            "subject": change.subject,
            "message": change.message,
            "fingerprint": change.fingerprint,
            "gate": change.class.newly_failing() && diff.fail_on.fails(change.severity),
            "old": sighting_json(&change.old),
            "new": sighting_json(&change.new),
        })).collect::<Vec<_>>(),
        "not_compared": diff.not_compared.iter().map(|item| json!({
            "account_id": diff.accounts[item.account].account_id,
            "file": diff.accounts[item.account].file(),
            "rule_id": item.rule_id,
            "reason": item.reason,
            "findings": item.findings,
        })).collect::<Vec<_>>(),
        "notes": diff.notes.iter().map(|note| json!({
            "account_id": diff.accounts[note.account].account_id,
            "message": note.message,
        })).collect::<Vec<_>>(),
        "errors": diff.errors().map(|(side, message)| json!({"side": side, "message": message}))
            .collect::<Vec<_>>(),
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

/// Text in a Markdown table cell or line: no table breaks, no HTML, no code, emphasis or links
/// from user data. Characters Markdown would read are written as character references (not
/// backslash escapes, which read badly where paths are expected).
pub fn md(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let word = |at: Option<&char>| at.is_some_and(|c| c.is_alphanumeric());
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            // An underscore inside a word (`va_status`) is no emphasis.
            '_' if word(i.checked_sub(1).and_then(|p| chars.get(p))) && word(chars.get(i + 1)) => {
                out.push('_');
            }
            '\\' | '|' | '`' | '*' | '_' | '[' | '~' => {
                out.push_str(&format!("&#{};", u32::from(c)));
            }
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Length as GitHub counts it (UTF-16 code units, never fewer than characters).
fn github_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Markdown for a pull-request comment: verdict, counts per responsibility and severity, then
/// the changed findings, cut to stay under [`MARKDOWN_LIMIT`] with a line saying how many were
/// left out.
pub fn write_markdown(diff: &Diff, out: &mut dyn Write) -> io::Result<()> {
    write_markdown_within(diff, MARKDOWN_LIMIT, out)
}

fn write_markdown_within(diff: &Diff, limit: usize, out: &mut dyn Write) -> io::Result<()> {
    use std::fmt::Write as _;
    let mut head = String::new();
    let (code, text) = verdict(diff);
    let word = match code {
        0 => "✅ passed",
        1 => "❌ failed",
        _ => "⚠️ error",
    };
    let _ = writeln!(head, "## regcheck diff: {word}\n\n{}\n", md(&text));
    let _ = writeln!(
        head,
        "OLD: {}  \nNEW: {}\n",
        md(&side_line(&diff.old)),
        md(&side_line(&diff.new))
    );
    let table = |head: &mut String, first: &str, rows: Vec<(String, [usize; 6])>| {
        let _ = write!(head, "| {first} |");
        for class in Class::ALL {
            let _ = write!(head, " {} |", class.column());
        }
        let _ = writeln!(head, "\n|---|{}", "---:|".repeat(Class::ALL.len()));
        for (label, counts) in rows {
            let _ = write!(head, "| {} |", md(&label));
            for count in counts {
                let _ = write!(head, " {count} |");
            }
            let _ = writeln!(head);
        }
        let _ = writeln!(head);
    };
    table(
        &mut head,
        "responsibility",
        by_responsibility(diff)
            .into_iter()
            .map(|(tag, counts)| (responsibility_label(&tag), counts))
            .collect(),
    );
    table(
        &mut head,
        "severity",
        by_severity(diff)
            .into_iter()
            .map(|(severity, counts)| (severity.as_str().to_owned(), counts))
            .collect(),
    );
    // Accounts not paired by id, errors and what was not compared: a bounded list.
    let mut bullets: Vec<String> = Vec::new();
    for (side, message) in diff.errors() {
        bullets.push(format!("- **error** ({side}): {}", md(message)));
    }
    for index in 0..diff.accounts.len() {
        if diff.accounts[index].pairing != Pairing::AccountId {
            bullets.push(format!(
                "- {}: {}",
                md(&account_name(diff, index)),
                md(&pairing_text(diff, index))
            ));
        }
    }
    for item in &diff.not_compared {
        bullets.push(format!(
            "- not compared: {}{}: {} ({} finding{})",
            md(diff.accounts[item.account].file()),
            item.rule_id
                .as_ref()
                .map(|r| format!(", rule {}", md(r)))
                .unwrap_or_default(),
            md(&item.reason),
            item.findings,
            plural(item.findings)
        ));
    }
    let total = bullets.len();
    for bullet in bullets.into_iter().take(MAX_BULLETS) {
        let _ = writeln!(head, "{bullet}");
    }
    if total > MAX_BULLETS {
        let _ = writeln!(head, "- and {} more (see `--format json`)", total - MAX_BULLETS);
    }

    // The listed findings, section by section, until the limit (less room for the closing line).
    let listed: usize = LISTED.iter().map(|c| diff.count(*c)).sum();
    let closing_room = 300;
    let mut body = String::new();
    let mut used = github_len(&head);
    let mut written = 0;
    'sections: for class in LISTED {
        let changes: Vec<&Change> = diff.changes.iter().filter(|c| c.class == class).collect();
        if changes.is_empty() {
            continue;
        }
        let section = format!(
            "\n### {} ({})\n\n| severity | rule | subject | message | location |\n|---|---|---|---|---|\n",
            capitalise(class.title()),
            changes.len()
        );
        if used + github_len(&section) + closing_room > limit {
            break;
        }
        used += github_len(&section);
        body.push_str(&section);
        for change in changes {
            let row = format!(
                "| {} | {} | {} | {} | {} |\n",
                change.severity,
                md(&change.rule_id),
                md(&change.subject),
                md(&change.message),
                md(&whereabouts(change))
            );
            if used + github_len(&row) + closing_room > limit {
                break 'sections;
            }
            used += github_len(&row);
            body.push_str(&row);
            written += 1;
        }
    }
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())?;
    if written < listed {
        let left = listed - written;
        writeln!(
            out,
            "\n_{left} more changed finding{} left out: a comment holds at most {} characters. \
             `regcheck diff --format json` lists every one._",
            plural(left),
            thousands(limit)
        )?;
    }
    Ok(())
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
