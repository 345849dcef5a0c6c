//! The HTML posture report (`--format html`): one self-contained page for security leads.
//!
//! - **Summary** (readable without script): the verdict, failing findings by severity per
//!   account, and IBM's shared-responsibility table as a heat map: one row per duty, one column
//!   per account, each cell the worst status of the rules that cover the duty (pass, fail by
//!   the worst failing severity, not applicable, error, not covered, or IBM's).
//! - **Drill-down**: per account, duty, rule and finding, as `<details>` elements (they open
//!   without script), each finding with its message, location, waiver or baseline, and the
//!   account file's lines from [`crate::diagnostic::SourceText::excerpt`] (secrets masked, long
//!   lines clipped). A finding's fix (command or reason) is written by [`write_fix`].
//! - **Filters** by severity, account, rule and status: a small inline script, the only one;
//!   without it the filter form stays hidden.
//!
//! Safety: every text from user data (file, account, rule and policy names, subjects,
//! messages, waiver reasons) goes through [`Text`], which escapes it for element content and
//! quoted attributes; element ids, links and `data-` attributes are built from indices and
//! fingerprints only, never from user data; and a Content-Security-Policy allows exactly the
//! page's own style and script (by hash), nothing else: no network, no injected script.
//!
//! Size: a large account has thousands of failing findings per rule. Each rule shows at most
//! [`SHOWN_PER_RULE`] findings in full per account and status, and the page at most
//! [`SHOWN_IN_ALL`], most severe first; the others are counted, and the page says so. Counts
//! always cover every finding. The bytes are deterministic: the as-of time is the only time.

use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::io::{self, Write};

use miette::SourceCode;
use sha2::{Digest, Sha256};

use super::thousands;
use crate::audit::{AccountAudit, AuditReport};
use crate::engine::cel::format_time;
use crate::findings::{Finding, FindingStatus, RuleOutcome, RuleStatus, Severity};
use crate::policy::Policy;
use crate::responsibility;

#[cfg(test)]
mod tests;

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// Findings shown in full per account, rule and status; the rest of the group is counted.
pub const SHOWN_PER_RULE: usize = 100;
/// Findings shown in full in the whole page, the most severe first.
pub const SHOWN_IN_ALL: usize = 2_000;

/// Text for HTML element content or a quoted attribute value: `& < > " '` become entities, and
/// control and bidirectional formatting characters (which would make a name read differently
/// from what it is) become U+FFFD.
pub struct Text<'a>(pub &'a str);

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        let mut done = 0;
        for (at, c) in text.char_indices() {
            let replacement = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                c if is_unsafe(c) => "\u{FFFD}",
                _ => continue,
            };
            f.write_str(&text[done..at])?;
            f.write_str(replacement)?;
            done = at + c.len_utf8();
        }
        f.write_str(&text[done..])
    }
}

fn is_unsafe(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n'))
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// How a non-passing finding is shown, in the order a rule lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Shown {
    Fail,
    /// Failing again: its waiver expired.
    Expired,
    Waived,
    Baselined,
}

impl Shown {
    const ALL: [Shown; 4] = [Shown::Fail, Shown::Expired, Shown::Waived, Shown::Baselined];

    fn of(finding: &Finding) -> Option<Self> {
        match finding.status {
            FindingStatus::Fail if finding.waiver.as_ref().is_some_and(|w| w.expired) => Some(Shown::Expired),
            FindingStatus::Fail => Some(Shown::Fail),
            FindingStatus::Waived => Some(Shown::Waived),
            FindingStatus::Baselined => Some(Shown::Baselined),
            FindingStatus::Pass => None,
        }
    }

    /// The `data-status` value the filters read.
    fn key(self) -> &'static str {
        match self {
            Shown::Fail => "fail",
            Shown::Expired => "expired",
            Shown::Waived => "waived",
            Shown::Baselined => "baselined",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Shown::Fail => "failing",
            Shown::Expired => "failing, waiver expired",
            Shown::Waived => "waived",
            Shown::Baselined => "baselined",
        }
    }
}

fn severity_rank(severity: Severity) -> u8 {
    match severity {
        Severity::Low => 0,
        Severity::Medium => 1,
        Severity::High => 2,
        Severity::Critical => 3,
    }
}

/// One row of the heat map: a row of IBM's table, or a responsibility tag the table lacks
/// (regcheck's best practices, custom policies' own tags).
struct Duty<'a> {
    area: &'a str,
    task: &'a str,
    ibm: &'a str,
    customer: &'a str,
    /// `None` for IBM's own rows.
    tag: Option<&'a str>,
}

fn duties(report: &AuditReport) -> Vec<Duty<'_>> {
    let rows = responsibility::rows();
    let mut duties: Vec<Duty<'_>> = rows
        .iter()
        .map(|row| Duty {
            area: &row.area,
            task: &row.task,
            ibm: &row.ibm,
            customer: &row.customer,
            tag: row.tag.as_deref(),
        })
        .collect();
    let mut extra: Vec<&str> = report
        .policies
        .iter()
        .map(|policy| policy.responsibility.as_str())
        .filter(|tag| !rows.iter().any(|row| row.tag.as_deref() == Some(*tag)))
        .collect();
    extra.sort_by(|a, b| responsibility::order(a).cmp(&responsibility::order(b)));
    extra.dedup();
    for tag in extra {
        let builtin = responsibility::RESPONSIBILITIES.iter().any(|r| r.tag == tag);
        duties.push(Duty {
            area: if builtin {
                "Beyond IBM's table"
            } else {
                "Custom policies"
            },
            task: responsibility::title(tag),
            ibm: "",
            customer: "",
            tag: Some(tag),
        });
    }
    duties
}

/// What one account's rules say about one duty.
#[derive(Debug, Default, Clone)]
struct Tally {
    rules: usize,
    pass: usize,
    fail: usize,
    not_applicable: usize,
    error: usize,
    worst: Option<Severity>,
    failing: usize,
    expired: usize,
    waived: usize,
    baselined: usize,
}

impl Tally {
    fn add(&mut self, outcome: &RuleOutcome) {
        self.rules += 1;
        match outcome.status {
            RuleStatus::Pass => self.pass += 1,
            RuleStatus::Fail => self.fail += 1,
            RuleStatus::NotApplicable => self.not_applicable += 1,
            RuleStatus::Error => self.error += 1,
        }
        for finding in &outcome.findings {
            match Shown::of(finding) {
                Some(shown @ (Shown::Fail | Shown::Expired)) => {
                    self.failing += 1;
                    self.expired += usize::from(shown == Shown::Expired);
                    self.worst = self.worst.max(Some(finding.severity));
                }
                Some(Shown::Waived) => self.waived += 1,
                Some(Shown::Baselined) => self.baselined += 1,
                None => {}
            }
        }
    }

    /// CSS class and text of a heat-map cell or a duty's badge.
    fn cell(&self) -> (&'static str, String) {
        if self.rules == 0 {
            ("s-nc", "not covered".to_owned())
        } else if self.error > 0 {
            ("s-error", "error".to_owned())
        } else if let Some(worst) = self.worst.filter(|_| self.failing > 0) {
            (
                severity_class(worst),
                format!("{worst} · {}", thousands(self.failing)),
            )
        } else if self.pass > 0 {
            let accepted = self.waived + self.baselined;
            let text = if accepted > 0 {
                format!("pass · {} accepted", thousands(accepted))
            } else {
                "pass".to_owned()
            };
            ("s-pass", text)
        } else {
            ("s-na", "n/a".to_owned())
        }
    }

    fn describe(&self) -> String {
        let mut parts = vec![format!(
            "{} rule{}: {} pass, {} fail, {} n/a, {} error",
            self.rules,
            plural(self.rules),
            self.pass,
            self.fail,
            self.not_applicable,
            self.error
        )];
        if self.failing > 0 {
            parts.push(format!(
                "{} failing finding{}{}",
                self.failing,
                plural(self.failing),
                self.worst.map(|w| format!(" (worst {w})")).unwrap_or_default()
            ));
        }
        if self.expired > 0 {
            parts.push(format!("{} with an expired waiver", self.expired));
        }
        if self.waived > 0 {
            parts.push(format!("{} waived", self.waived));
        }
        if self.baselined > 0 {
            parts.push(format!("{} baselined", self.baselined));
        }
        parts.join("; ")
    }
}

fn severity_class(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "s-critical",
        Severity::High => "s-high",
        Severity::Medium => "s-medium",
        Severity::Low => "s-low",
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Which findings the page shows in full: indices (audit, outcome, finding).
fn select_detailed(report: &AuditReport) -> HashSet<(usize, usize, usize)> {
    struct Candidate<'a> {
        at: (usize, usize, usize),
        finding: &'a Finding,
        shown: Shown,
        file: &'a str,
    }
    let mut candidates: Vec<Candidate<'_>> = Vec::new();
    for (a, audit) in report.audits.iter().enumerate() {
        for (o, outcome) in audit.outcomes.iter().enumerate() {
            for shown in Shown::ALL {
                let mut group: Vec<Candidate<'_>> = outcome
                    .findings
                    .iter()
                    .enumerate()
                    .filter(|(_, finding)| Shown::of(finding) == Some(shown))
                    .map(|(f, finding)| Candidate {
                        at: (a, o, f),
                        finding,
                        shown,
                        file: &audit.account.file.source.name,
                    })
                    .collect();
                if group.len() > SHOWN_PER_RULE {
                    group.sort_by(|x, y| in_rule_order(x.finding, y.finding));
                    group.truncate(SHOWN_PER_RULE);
                }
                candidates.extend(group);
            }
        }
    }
    if candidates.len() > SHOWN_IN_ALL {
        candidates.sort_by(|x, y| {
            y.finding
                .severity
                .cmp(&x.finding.severity)
                .then_with(|| x.shown.cmp(&y.shown))
                .then_with(|| x.file.cmp(y.file))
                .then_with(|| x.finding.rule_id.cmp(&y.finding.rule_id))
                .then_with(|| x.finding.subject.cmp(&y.finding.subject))
        });
        candidates.truncate(SHOWN_IN_ALL);
    }
    candidates.into_iter().map(|c| c.at).collect()
}

fn in_rule_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then_with(|| a.subject.cmp(&b.subject))
}

/// Writes the page.
pub fn write(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let mut page = String::with_capacity(64 * 1024);
    Page::new(report)
        .write(&mut page)
        .map_err(|_| io::Error::other("formatting the HTML report failed"))?;
    out.write_all(page.as_bytes())
}

struct Page<'a> {
    report: &'a AuditReport,
    duties: Vec<Duty<'a>>,
    /// Every rule that ran, in responsibility and id order; the filters use the index.
    rules: Vec<&'a Policy>,
    rule_index: HashMap<&'a str, usize>,
    duty_of_rule: HashMap<&'a str, usize>,
    /// Per audited account, per duty.
    tallies: Vec<Vec<Tally>>,
    detailed: HashSet<(usize, usize, usize)>,
    /// Finding element ids already given (fingerprints repeat across files of one account).
    ids: HashSet<String>,
}

impl<'a> Page<'a> {
    fn new(report: &'a AuditReport) -> Self {
        let duties = duties(report);
        let mut rules: Vec<&Policy> = report.policies.iter().map(|p| p.as_ref()).collect();
        rules.sort_by(|a, b| {
            responsibility::order(&a.responsibility)
                .cmp(&responsibility::order(&b.responsibility))
                .then_with(|| a.id.cmp(&b.id))
        });
        let rule_index = rules
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.as_str(), i))
            .collect();
        let duty_of_rule: HashMap<&str, usize> = rules
            .iter()
            .filter_map(|policy| {
                duties
                    .iter()
                    .position(|duty| duty.tag == Some(policy.responsibility.as_str()))
                    .map(|d| (policy.id.as_str(), d))
            })
            .collect();
        let tallies = report
            .audits
            .iter()
            .map(|audit| {
                let mut tallies = vec![Tally::default(); duties.len()];
                for outcome in &audit.outcomes {
                    if let Some(&d) = duty_of_rule.get(outcome.rule_id.as_str()) {
                        tallies[d].add(outcome);
                    }
                }
                tallies
            })
            .collect();
        Self {
            report,
            duties,
            rules,
            rule_index,
            duty_of_rule,
            tallies,
            detailed: select_detailed(report),
            ids: HashSet::new(),
        }
    }

    fn write(mut self, out: &mut String) -> fmt::Result {
        self.head(out)?;
        out.push_str("<body>\n");
        self.summary(out)?;
        self.heat_map(out)?;
        self.problems(out)?;
        self.filters(out)?;
        self.drill_down(out)?;
        writeln!(
            out,
            "<footer class=\"note\"><p>Written by regcheck {}. This page is self-contained: it \
             loads nothing from the network.</p></footer>",
            env!("CARGO_PKG_VERSION")
        )?;
        writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>")
    }

    fn head(&self, out: &mut String) -> fmt::Result {
        let as_of = format_time(&self.report.as_of);
        let subject = match self.report.audits.as_slice() {
            [only] => account_label(only),
            _ => format!(
                "{} account files",
                self.report.audits.len() + self.report.load_errors.len()
            ),
        };
        writeln!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
        )?;
        writeln!(
            out,
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        )?;
        // Only this page's own style and script run; nothing is fetched.
        writeln!(
            out,
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src 'sha256-{}'; script-src 'sha256-{}'; img-src 'none'; base-uri 'none'; \
             form-action 'none'\">",
            sha256_base64(STYLE),
            sha256_base64(SCRIPT)
        )?;
        writeln!(
            out,
            "<meta name=\"generator\" content=\"regcheck {}\">",
            env!("CARGO_PKG_VERSION")
        )?;
        writeln!(
            out,
            "<title>regcheck posture: {}, as of {}</title>",
            Text(&subject),
            Text(&as_of)
        )?;
        writeln!(out, "<style>{STYLE}</style>\n</head>")
    }

    fn summary(&self, out: &mut String) -> fmt::Result {
        let report = self.report;
        let (verdict, class) = match report.exit_code() {
            0 => ("passed", "passed"),
            1 => ("failed", "failed"),
            _ => ("error", "error"),
        };
        let files = report.audits.len() + report.load_errors.len();
        writeln!(out, "<header>\n<h1>Container Registry posture</h1>")?;
        writeln!(
            out,
            "<p><span class=\"verdict {class}\" id=\"verdict\">{verdict}</span> As of <b>{}</b>; \
             {files} account file{}{}; {} rule{}; the gate fails on <b>{}</b> and above.</p>",
            Text(&format_time(&report.as_of)),
            plural(files),
            if report.load_errors.is_empty() {
                String::new()
            } else {
                let all_unloaded = report
                    .load_errors
                    .iter()
                    .all(|(_, error)| error.kind == crate::account::NotAudited::DidNotLoad);
                let what = if all_unloaded {
                    "did not load"
                } else {
                    "not audited"
                };
                format!(" ({} {what})", report.load_errors.len())
            },
            report.policies.len(),
            plural(report.policies.len()),
            report.fail_on.as_str()
        )?;
        writeln!(out, "</header>\n<section id=\"summary\">\n<h2>Findings</h2>")?;
        writeln!(
            out,
            "<table class=\"totals\">\n<tr><th>account</th><th>file</th>\
             <th class=\"num\">critical</th><th class=\"num\">high</th><th class=\"num\">medium</th>\
             <th class=\"num\">low</th><th class=\"num\">waiver expired</th><th class=\"num\">waived</th>\
             <th class=\"num\">baselined</th><th class=\"num\">rule errors</th></tr>"
        )?;
        for audit in &report.audits {
            let mut failing = [0usize; 4];
            let (mut expired, mut waived, mut baselined) = (0, 0, 0);
            for finding in audit.findings() {
                match Shown::of(finding) {
                    Some(shown @ (Shown::Fail | Shown::Expired)) => {
                        failing[3 - usize::from(severity_rank(finding.severity))] += 1;
                        expired += usize::from(shown == Shown::Expired);
                    }
                    Some(Shown::Waived) => waived += 1,
                    Some(Shown::Baselined) => baselined += 1,
                    None => {}
                }
            }
            let errors = audit
                .outcomes
                .iter()
                .filter(|o| o.status == RuleStatus::Error)
                .count();
            write!(
                out,
                "<tr><td>{}</td><td class=\"mono\">{}</td>",
                Text(&account_label(audit)),
                Text(&audit.account.file.source.name)
            )?;
            for (count, severity) in failing.iter().zip(Severity::ALL_DESCENDING) {
                let class = if *count > 0 { severity_class(severity) } else { "" };
                write!(out, "<td class=\"num {class}\">{}</td>", thousands(*count))?;
            }
            writeln!(
                out,
                "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num{}\">{}</td></tr>",
                thousands(expired),
                thousands(waived),
                thousands(baselined),
                if errors > 0 { " s-error" } else { "" },
                errors
            )?;
        }
        for (file, error) in &report.load_errors {
            writeln!(
                out,
                "<tr><td class=\"s-error\">{}</td><td class=\"mono\">{}</td>\
                 <td colspan=\"8\">not audited: see the errors below</td></tr>",
                Text(error.summary()),
                Text(file)
            )?;
        }
        writeln!(out, "</table>\n</section>")
    }

    fn heat_map(&self, out: &mut String) -> fmt::Result {
        let report = self.report;
        writeln!(
            out,
            "<section id=\"heatmap\">\n<h2>IBM's shared responsibilities</h2>"
        )?;
        writeln!(
            out,
            "<p class=\"note\">One row per duty of IBM's shared-responsibility table for Container \
             Registry, one column per account. A cell is the worst status of the rules that cover \
             the duty: the worst severity and count of failing findings, an error, a pass, n/a when \
             no rule applies; waived and baselined findings count as accepted. Each cell links to \
             its rules below.</p>"
        )?;
        write!(out, "<p class=\"legend\">")?;
        for (class, text) in [
            ("s-critical", "critical"),
            ("s-high", "high"),
            ("s-medium", "medium"),
            ("s-low", "low"),
            ("s-error", "error"),
            ("s-pass", "pass"),
            ("s-na", "n/a"),
            ("s-nc", "not covered"),
            ("s-ibm", "IBM's duty"),
        ] {
            write!(out, "<span class=\"{class}\">{text}</span>")?;
        }
        writeln!(out, "</p>")?;
        write!(
            out,
            "<table class=\"heat\" id=\"heat\">\n<thead><tr><th>duty</th>"
        )?;
        for audit in &report.audits {
            write!(
                out,
                "<th class=\"acct\">{}<br><span class=\"muted mono\">{}</span></th>",
                Text(&account_label(audit)),
                Text(&audit.account.file.source.name)
            )?;
        }
        for (file, error) in &report.load_errors {
            write!(
                out,
                "<th class=\"acct\">{}<br><span class=\"muted mono\">{}</span></th>",
                Text(error.short()),
                Text(file)
            )?;
        }
        writeln!(out, "</tr></thead>\n<tbody>")?;
        for (d, duty) in self.duties.iter().enumerate() {
            let whose = match duty.tag {
                None => "IBM".to_owned(),
                Some(tag) => format!("customer · {tag}"),
            };
            let detail = if duty.customer.is_empty() {
                duty.ibm
            } else {
                duty.customer
            };
            write!(
                out,
                "<tr data-duty=\"{d}\"><th class=\"duty\" title=\"{}\"><b>{}</b><span class=\"muted\">{} · {}</span></th>",
                Text(detail),
                Text(duty.task),
                Text(duty.area),
                Text(&whose)
            )?;
            for (a, audit) in report.audits.iter().enumerate() {
                if duty.tag.is_none() {
                    write!(
                        out,
                        "<td class=\"cell s-ibm\" title=\"IBM's duty\"><span>IBM</span></td>"
                    )?;
                    continue;
                }
                let tally = &self.tallies[a][d];
                let (class, text) = tally.cell();
                let title = format!(
                    "{} in {}: {}",
                    duty.task,
                    audit.account.file.source.name,
                    if tally.rules == 0 {
                        "no loaded rule covers this duty".to_owned()
                    } else {
                        tally.describe()
                    }
                );
                if tally.rules == 0 {
                    write!(
                        out,
                        "<td class=\"cell {class}\" title=\"{}\"><span>{text}</span></td>",
                        Text(&title)
                    )?;
                } else {
                    write!(
                        out,
                        "<td class=\"cell {class}\" title=\"{}\"><a href=\"#a{a}-d{d}\">{text}</a></td>",
                        Text(&title)
                    )?;
                }
            }
            for (_, error) in &report.load_errors {
                if duty.tag.is_none() {
                    write!(out, "<td class=\"cell s-ibm\"><span>IBM</span></td>")?;
                } else {
                    let cell = match error.kind {
                        crate::account::NotAudited::DidNotLoad => "not loaded",
                        crate::account::NotAudited::CapturedAfterAsOf => "not audited",
                        crate::account::NotAudited::ImageNotFound => "image not found",
                    };
                    write!(
                        out,
                        "<td class=\"cell s-error\" title=\"{}\"><a href=\"#errors\">{cell}</a></td>",
                        Text(error.reason())
                    )?;
                }
            }
            writeln!(out, "</tr>")?;
        }
        writeln!(out, "</tbody>\n</table>\n</section>")
    }

    /// Files that did not load, rules that errored, waivers that matched nothing.
    fn problems(&self, out: &mut String) -> fmt::Result {
        let report = self.report;
        let rule_errors: Vec<_> = report.rule_errors().collect();
        if report.load_errors.is_empty() && rule_errors.is_empty() && report.unused_waivers.is_empty() {
            return Ok(());
        }
        writeln!(out, "<section id=\"errors\">\n<h2>Errors and warnings</h2>\n<ul>")?;
        for (file, error) in &report.load_errors {
            writeln!(
                out,
                "<li><b>error:</b> <span class=\"mono\">{}</span> {} ({} problem{}):<ul>",
                Text(file),
                Text(error.summary()),
                error.diagnostics.len(),
                plural(error.diagnostics.len())
            )?;
            for diagnostic in &error.diagnostics {
                let (line, column) = diagnostic.source.line_col(diagnostic.problem.span.start);
                writeln!(
                    out,
                    "<li><span class=\"mono\">{}:{line}:{column}</span> {}</li>",
                    Text(&diagnostic.source.name),
                    Text(&diagnostic.source.redact(&diagnostic.problem.message))
                )?;
            }
            writeln!(out, "</ul></li>")?;
        }
        for (audit, outcome) in rule_errors {
            let message = outcome
                .error
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            writeln!(
                out,
                "<li><b>error:</b> rule <code>{}</code> could not be evaluated on <span class=\"mono\">{}</span>: {}</li>",
                Text(&outcome.rule_id),
                Text(&audit.account.file.source.name),
                Text(&audit.account.file.source.redact(&message))
            )?;
        }
        for waiver in &report.unused_waivers {
            writeln!(
                out,
                "<li><b>warning:</b> the waiver at <span class=\"mono\">{}</span> (rule <code>{}</code>{}) matched no finding</li>",
                Text(&waiver.position),
                Text(&waiver.rule),
                waiver
                    .subject
                    .as_ref()
                    .map(|s| format!(", subject <code>{}</code>", Text(s)))
                    .unwrap_or_default()
            )?;
        }
        writeln!(out, "</ul>\n</section>")
    }

    fn filters(&self, out: &mut String) -> fmt::Result {
        writeln!(out, "<h2 id=\"details\">Rules and findings</h2>")?;
        writeln!(
            out,
            "<p class=\"note\">Each rule shows at most {SHOWN_PER_RULE} findings in full per account \
             and status (failing, waiver expired, waived, baselined), and this page at most {} in \
             all, the most severe first; the others are counted under their rule. \
             <code>regcheck audit --format json</code> lists every finding.</p>",
            thousands(SHOWN_IN_ALL)
        )?;
        writeln!(out, "<form id=\"filters\" hidden>")?;
        writeln!(
            out,
            "<label>Severity <select name=\"severity\"><option value=\"\">any</option>\
             <option value=\"3\">critical</option><option value=\"2\">high and above</option>\
             <option value=\"1\">medium and above</option><option value=\"0\">low and above</option>\
             </select></label>"
        )?;
        write!(
            out,
            "<label>Account <select name=\"account\"><option value=\"\">all</option>"
        )?;
        for (a, audit) in self.report.audits.iter().enumerate() {
            write!(
                out,
                "<option value=\"{a}\">{} ({})</option>",
                Text(&account_label(audit)),
                Text(&audit.account.file.source.name)
            )?;
        }
        writeln!(out, "</select></label>")?;
        write!(
            out,
            "<label>Rule <select name=\"rule\"><option value=\"\">all</option>"
        )?;
        for (r, policy) in self.rules.iter().enumerate() {
            write!(
                out,
                "<option value=\"{r}\">{} {}</option>",
                Text(&policy.id),
                Text(&policy.title)
            )?;
        }
        writeln!(out, "</select></label>")?;
        for shown in Shown::ALL {
            write!(
                out,
                "<label><input type=\"checkbox\" name=\"{}\" checked> {}</label>",
                shown.key(),
                shown.label()
            )?;
        }
        writeln!(
            out,
            "<label><input type=\"checkbox\" name=\"quiet\" checked> rules without findings</label>\
             <button type=\"reset\">reset</button> <span id=\"shown\" class=\"muted\"></span>\n</form>"
        )
    }

    fn drill_down(&mut self, out: &mut String) -> fmt::Result {
        let report = self.report;
        for (a, audit) in report.audits.iter().enumerate() {
            let account = &audit.account.model.account;
            writeln!(
                out,
                "<section class=\"account\" id=\"a{a}\" data-account=\"{a}\">\n<h3>{} \
                 <span class=\"muted\">account {}</span> <span class=\"muted mono\">{}</span></h3>",
                Text(&account_label(audit)),
                Text(&account.id),
                Text(&audit.account.file.source.name)
            )?;
            // Outcomes by duty, then rule id.
            let mut by_duty: Vec<Vec<(usize, &RuleOutcome)>> = vec![Vec::new(); self.duties.len()];
            for (o, outcome) in audit.outcomes.iter().enumerate() {
                if let Some(&d) = self.duty_of_rule.get(outcome.rule_id.as_str()) {
                    by_duty[d].push((o, outcome));
                }
            }
            for (d, outcomes) in by_duty.iter_mut().enumerate() {
                if outcomes.is_empty() {
                    continue;
                }
                outcomes.sort_by(|x, y| x.1.rule_id.cmp(&y.1.rule_id));
                let duty = &self.duties[d];
                let tally = &self.tallies[a][d];
                let (class, text) = tally.cell();
                let open = if tally.failing > 0 || tally.error > 0 {
                    " open"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "<details class=\"duty\" id=\"a{a}-d{d}\"{open}><summary><span class=\"badge {class}\">{text}</span> \
                     {} <span class=\"muted\">{} · {}</span></summary>",
                    Text(duty.task),
                    Text(duty.tag.unwrap_or_default()),
                    Text(duty.area)
                )?;
                if !duty.customer.is_empty() {
                    writeln!(out, "<p class=\"note\">{}</p>", Text(duty.customer))?;
                }
                for &(o, outcome) in outcomes.iter() {
                    self.rule_block(out, a, audit, o, outcome)?;
                }
                writeln!(out, "</details>")?;
            }
            writeln!(out, "</section>")?;
        }
        Ok(())
    }

    fn rule_block(
        &mut self,
        out: &mut String,
        a: usize,
        audit: &AccountAudit,
        o: usize,
        outcome: &RuleOutcome,
    ) -> fmt::Result {
        let Some(policy) = self.report.policy(&outcome.rule_id) else {
            return Ok(());
        };
        let r = self
            .rule_index
            .get(policy.id.as_str())
            .copied()
            .unwrap_or_default();
        let source = &audit.account.file.source;
        let mut groups: Vec<(Shown, Vec<(usize, &Finding)>)> =
            Shown::ALL.iter().map(|&shown| (shown, Vec::new())).collect();
        for (f, finding) in outcome.findings.iter().enumerate() {
            if let Some(shown) = Shown::of(finding) {
                groups[shown as usize].1.push((f, finding));
            }
        }
        let listed: usize = groups.iter().map(|(_, g)| g.len()).sum();
        let state = outcome.status.as_str();
        let counts = groups
            .iter()
            .filter(|(_, g)| !g.is_empty())
            .map(|(shown, g)| format!("{} {}", thousands(g.len()), shown.label()))
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(
            out,
            "<details class=\"rule\" id=\"a{a}-r{r}\" data-account=\"{a}\" data-rule=\"{r}\" \
             data-sev=\"{}\" data-state=\"{state}\" data-findings=\"{listed}\"><summary>\
             <span class=\"st {}\">{}</span> <code>{}</code> {} <span class=\"muted\">{} · {}</span></summary>",
            severity_rank(policy.severity),
            match outcome.status {
                RuleStatus::NotApplicable => "na",
                other => other.as_str(),
            },
            match outcome.status {
                RuleStatus::NotApplicable => "n/a",
                other => other.as_str(),
            },
            Text(&policy.id),
            Text(&policy.title),
            policy.severity,
            if counts.is_empty() {
                "no findings".to_owned()
            } else {
                counts
            }
        )?;
        writeln!(out, "<div class=\"rulebody\">")?;
        write_doc(out, "", &policy.docs.summary)?;
        if let Some(error) = &outcome.error {
            writeln!(
                out,
                "<p class=\"st error\">error: {}</p>",
                Text(&source.redact(&error.to_string()))
            )?;
        }
        if outcome.status == RuleStatus::Fail {
            write_doc(out, "How to fix: ", &policy.docs.remediation)?;
        }
        for (shown, mut group) in groups {
            group.sort_by(|x, y| in_rule_order(x.1, y.1));
            let mut hidden = 0;
            for (f, finding) in group {
                if self.detailed.contains(&(a, o, f)) {
                    self.finding(out, audit, policy, finding, shown)?;
                } else {
                    hidden += 1;
                }
            }
            if hidden > 0 {
                writeln!(
                    out,
                    "<p class=\"more\" data-status=\"{}\" data-count=\"{hidden}\">and {} more {} finding{} \
                     of this rule, not shown in full (see the note above)</p>",
                    shown.key(),
                    thousands(hidden),
                    shown.label(),
                    plural(hidden)
                )?;
            }
        }
        writeln!(out, "</div>\n</details>")
    }

    fn finding(
        &mut self,
        out: &mut String,
        audit: &AccountAudit,
        policy: &Policy,
        finding: &Finding,
        shown: Shown,
    ) -> fmt::Result {
        let source = &audit.account.file.source;
        let mut id = format!("f-{}", Text(&finding.fingerprint));
        if !self.ids.insert(id.clone()) {
            let mut n = 2;
            while !self.ids.insert(format!("{id}-{n}")) {
                n += 1;
            }
            id = format!("{id}-{n}");
        }
        let location = &finding.location;
        writeln!(
            out,
            "<details class=\"finding\" id=\"{id}\" data-status=\"{}\"><summary>\
             <span class=\"badge {}\">{}</span> <span class=\"mono\">{}</span> \
             <span class=\"st {}\">{}</span></summary>\n<div class=\"fbody\">",
            shown.key(),
            severity_class(finding.severity),
            finding.severity,
            Text(&source.redact(&finding.subject)),
            shown.key(),
            shown.label()
        )?;
        writeln!(out, "<p>{}</p>\n<dl>", Text(&source.redact(&finding.message)))?;
        writeln!(
            out,
            "<dt>location</dt><dd class=\"mono\">{}:{}:{}</dd>\n<dt>key</dt><dd class=\"mono\">{}</dd>\
             \n<dt>fingerprint</dt><dd class=\"mono\">{}</dd>",
            Text(&source.name),
            location.line,
            location.column,
            Text(&source.redact(&finding.path.to_string())),
            Text(&finding.fingerprint)
        )?;
        if let Some(waiver) = &finding.waiver {
            let what = if waiver.expired {
                format!("expired on {}; the finding fails again", waiver.expires)
            } else {
                format!("until {}", waiver.expires)
            };
            writeln!(
                out,
                "<dt>waiver</dt><dd>{}: {}{} <span class=\"muted mono\">({})</span></dd>",
                Text(&what),
                Text(&waiver.reason),
                waiver
                    .owner
                    .as_ref()
                    .map(|owner| format!(" (owner {})", Text(owner)))
                    .unwrap_or_default(),
                Text(&waiver.position)
            )?;
        } else if shown == Shown::Baselined {
            writeln!(
                out,
                "<dt>baseline</dt><dd>recorded in the baseline: accepted until it is fixed</dd>"
            )?;
        }
        writeln!(out, "</dl>")?;
        write_source(out, source, location.span.clone())?;
        write_fix(out, policy, finding)?;
        writeln!(out, "</div>\n</details>")
    }
}

/// A finding's fix: the rendered command (values from the account already quoted for bash and
/// masked where they hold a secret), marked when it is destructive, or the reason no command can
/// fix it; a rule without `[fix]` points at its explanation.
fn write_fix(out: &mut String, policy: &Policy, finding: &Finding) -> fmt::Result {
    use crate::findings::FixAction;
    let Some(fix) = &finding.fix else {
        return writeln!(
            out,
            "<div class=\"fix\" data-fix=\"explain\"><b>Fix:</b> <code>regcheck explain {}</code> \
             describes the remedy.</div>",
            Text(&policy.id)
        );
    };
    match (&fix.action, fix.command_line()) {
        (FixAction::Command { destructive, .. }, Some(line)) => writeln!(
            out,
            "<div class=\"fix\" data-fix=\"{}\"><b>Fix{}:</b> <code>{}</code></div>",
            if *destructive { "destructive" } else { "command" },
            if *destructive {
                " (destructive: review before running)"
            } else {
                ""
            },
            Text(&line)
        ),
        (FixAction::Reason(reason), _) | (FixAction::Command { command: reason, .. }, None) => writeln!(
            out,
            "<div class=\"fix\" data-fix=\"reason\"><b>Fix:</b> no command: {}.</div>",
            Text(reason)
        ),
    }
}

/// A rule's documentation text: paragraphs (hard-wrapped lines joined), fenced code blocks as
/// they are, and `code` spans; everything else is text. `lead` starts the first paragraph.
fn write_doc(out: &mut String, lead: &str, text: &str) -> fmt::Result {
    let mut lead = lead;
    let mut paragraph: Vec<&str> = Vec::new();
    let mut code: Option<Vec<&str>> = None;
    let flush = |out: &mut String, paragraph: &mut Vec<&str>, lead: &mut &str| -> fmt::Result {
        if paragraph.is_empty() {
            return Ok(());
        }
        let joined = paragraph.join(" ");
        paragraph.clear();
        out.push_str("<p class=\"doc\">");
        if !lead.is_empty() {
            write!(out, "<b>{}</b>", Text(lead))?;
            *lead = "";
        }
        for (i, piece) in joined.split('`').enumerate() {
            if i % 2 == 1 {
                write!(out, "<code>{}</code>", Text(piece))?;
            } else {
                write!(out, "{}", Text(piece))?;
            }
        }
        out.push_str("</p>\n");
        Ok(())
    };
    for line in text.lines() {
        let fence = line.trim_start().starts_with("```");
        match (&mut code, fence) {
            (Some(lines), false) => lines.push(line),
            (Some(lines), true) => {
                writeln!(out, "<pre class=\"code\">{}</pre>", Text(&lines.join("\n")))?;
                code = None;
            }
            (None, true) => {
                flush(out, &mut paragraph, &mut lead)?;
                code = Some(Vec::new());
            }
            (None, false) if line.trim().is_empty() => flush(out, &mut paragraph, &mut lead)?,
            (None, false) => paragraph.push(line.trim()),
        }
    }
    if let Some(lines) = code {
        writeln!(out, "<pre class=\"code\">{}</pre>", Text(&lines.join("\n")))?;
    }
    flush(out, &mut paragraph, &mut lead)
}

/// The account file's lines around `span`, numbered, with the span marked. The excerpt is
/// already cleaned: secrets masked, long lines clipped, control characters replaced.
fn write_source(
    out: &mut String,
    source: &crate::diagnostic::SourceText,
    span: std::ops::Range<usize>,
) -> fmt::Result {
    if source.text.is_empty() {
        return Ok(());
    }
    let excerpt = source.excerpt(span);
    // The excerpt knows the file line it starts at; miette's reading interface tells it.
    let first_line = excerpt
        .read_span(&(0..0).into(), 0, 0)
        .map(|contents| contents.line())
        .unwrap_or(0);
    let text = excerpt.text();
    let label = excerpt.label();
    out.push_str("<pre class=\"src\">");
    let mut start = 0;
    for (n, line) in text.split('\n').enumerate() {
        let end = start + line.len();
        let shown = line.strip_suffix('\r').unwrap_or(line);
        write!(out, "<span class=\"ln\">{}</span>", first_line + n + 1)?;
        let from = label.start.clamp(start, end) - start;
        let to = label.end.clamp(start, end) - start;
        match (shown.get(..from), shown.get(from..to), shown.get(to..)) {
            (Some(before), Some(marked), Some(after)) if !marked.is_empty() => {
                write!(
                    out,
                    "{}<mark>{}</mark>{}",
                    Text(before),
                    Text(marked),
                    Text(after)
                )?;
            }
            _ => write!(out, "{}", Text(shown))?,
        }
        out.push('\n');
        start = end + 1;
    }
    out.push_str("</pre>\n");
    Ok(())
}

/// `shop-production`, or the account id when the file names none.
fn account_label(audit: &AccountAudit) -> String {
    let account = &audit.account.model.account;
    account.name.clone().unwrap_or_else(|| account.id.clone())
}

/// The CSP source hash of an inline element's text.
fn sha256_base64(text: &str) -> String {
    base64(&Sha256::digest(text.as_bytes()))
}

/// Standard base64 with padding (RFC 4648), for the 32 bytes of a CSP hash.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
