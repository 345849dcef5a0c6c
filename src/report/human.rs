//! The views for people, written account by account as a run goes ([`HumanReport`], a
//! [`Sink`]):
//!
//! - **full** (`--format human`, the default): per account, a summary by responsibility and
//!   severity, then the failing findings most severe first as miette diagnostics with the account
//!   file's lines and the offending key underlined, up to `--max-diagnostics` of them (20 by
//!   default); the rest are counted by rule, with the flags that show them. Waived findings
//!   follow, one line each, with their waiver; baselined ones are counted.
//! - **concise** (`--format concise`): one line per finding, `file:line:col: RULE [severity]
//!   message`, as ruff's concise output; waived findings are marked in the brackets.
//! - **statistics** (`--statistics`): counts by rule over the whole run instead of the
//!   findings, as `ruff --statistics`.
//!
//! `--min-severity` hides findings below a severity from what is shown; the gate still counts
//! them, and the closing summary says how many were hidden. The closing line counts failing
//! (saying how many fail because their waiver expired), waived and baselined findings, errors,
//! and the gate's threshold. Within an account findings come most severe first, then by rule
//! and subject; accounts come in file order, each as soon as it is audited (`cli.md` asks for
//! most severe first across the run: a stream cannot wait for the last account to put its
//! criticals first, so the order holds within each account, as in Trivy's per-target tables).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};

use colored::Colorize;
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};

use super::{AccountRenderer, Sink};
use crate::audit::{AccountAudit, AccountRef, AuditReport, RunEnd, RunInfo, Tally, severity_index};
use crate::engine::cel::format_time;
use crate::findings::{Finding, FindingStatus, Severity};

/// How to draw: colour or not, and the width to wrap at.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

/// Full diagnostics shown per account unless `--max-diagnostics` says otherwise.
pub const DEFAULT_MAX_DIAGNOSTICS: usize = 20;

/// What the views for people show.
#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    pub style: Style,
    /// One line per finding instead of full diagnostics.
    pub concise: bool,
    /// Counts by rule over the run instead of the findings.
    pub statistics: bool,
    /// Full diagnostics (and waived lines) shown per account; `None` shows all.
    pub max_diagnostics: Option<usize>,
    /// Findings below this severity are counted, not shown.
    pub min_severity: Option<Severity>,
}

impl HumanOptions {
    /// The defaults of `regcheck audit`.
    pub fn new(style: Style) -> Self {
        Self {
            style,
            concise: false,
            statistics: false,
            max_diagnostics: Some(DEFAULT_MAX_DIAGNOSTICS),
            min_severity: None,
        }
    }
}

/// A miette handler for this style; also used by the CLI for load and policy errors.
pub fn handler(style: Style) -> GraphicalReportHandler {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// Renders one diagnostic to text with the given style.
pub fn render_diagnostic(style: Style, diagnostic: &dyn Diagnostic) -> String {
    let mut text = String::new();
    // Rendering into a String cannot fail except through a formatting bug; keep what we have.
    let _ = handler(style).render_report(&mut text, diagnostic);
    text
}

/// The full view of a whole report (the default options at this style).
pub fn write(report: &AuditReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    super::replay(&mut HumanReport::new(HumanOptions::new(style)), report, out)
}

/// Counts of one rule's findings over the run, for `--statistics`.
#[derive(Debug, Default, Clone, Copy)]
struct RuleCounts {
    severity: Option<Severity>,
    failing: usize,
    expired: usize,
    waived: usize,
    baselined: usize,
}

/// What the views for people write for one account: made on any thread, ahead of its turn.
#[derive(Debug, Clone, Copy)]
pub struct HumanView {
    options: HumanOptions,
}

/// The views for people, as a [`Sink`]; see the module documentation.
#[derive(Debug)]
pub struct HumanReport {
    view: HumanView,
    /// Counts by rule, for `--statistics`.
    by_rule: BTreeMap<String, RuleCounts>,
    /// Failing findings not shown because of `--min-severity`.
    hidden_failing: usize,
    tally: Tally,
    /// Whether the full view's last output needs a blank line before the closing summary.
    needs_gap: bool,
}

impl HumanReport {
    pub fn new(options: HumanOptions) -> Self {
        Self {
            view: HumanView { options },
            by_rule: BTreeMap::new(),
            hidden_failing: 0,
            tally: Tally::default(),
            needs_gap: false,
        }
    }

    fn options(&self) -> &HumanOptions {
        &self.view.options
    }

    fn paint(&self, text: String, f: fn(colored::ColoredString) -> colored::ColoredString) -> String {
        self.view.paint(text, f)
    }

    fn count(&mut self, audit: &AccountAudit) {
        let least = self.options().min_severity;
        for finding in audit.findings() {
            let counts = self.by_rule.entry(finding.rule_id.clone()).or_default();
            counts.severity = Some(
                counts
                    .severity
                    .map_or(finding.severity, |s| s.max(finding.severity)),
            );
            match finding.status {
                FindingStatus::Fail => {
                    counts.failing += 1;
                    counts.expired += usize::from(finding.waiver.is_some());
                }
                FindingStatus::Waived => counts.waived += 1,
                FindingStatus::Baselined => counts.baselined += 1,
                FindingStatus::Pass => {}
            }
            if finding.status == FindingStatus::Fail && least.is_some_and(|least| finding.severity < least) {
                self.hidden_failing += 1;
            }
        }
    }
}

impl HumanView {
    fn paint(&self, text: String, f: fn(colored::ColoredString) -> colored::ColoredString) -> String {
        if self.options.style.color {
            f(text.normal()).to_string()
        } else {
            text
        }
    }

    fn shown(&self, finding: &Finding) -> bool {
        self.options
            .min_severity
            .is_none_or(|least| finding.severity >= least)
    }

    /// The full view of one audited account.
    fn write_full(&self, run: &RunInfo, audit: &AccountAudit, out: &mut dyn Write) -> io::Result<()> {
        write_summary(run, audit, self.options.style, out)?;
        let source = &audit.account.file.source;
        let failing =
            super::account_most_severe_first(audit, |f| f.status == FindingStatus::Fail && self.shown(f));
        let limit = self.options.max_diagnostics.unwrap_or(usize::MAX);
        let (full, rest) = failing.split_at(failing.len().min(limit));
        if !full.is_empty() {
            writeln!(out)?;
        }
        for finding in full {
            let diagnostic = FindingDiagnostic {
                finding,
                title: run.policy(&finding.rule_id).map_or("", |p| p.title.as_str()),
                excerpt: source.excerpt(finding.location.span.clone()),
                source,
            };
            writeln!(
                out,
                "{}",
                render_diagnostic(self.options.style, &diagnostic).trim_end()
            )?;
            self.write_fix(finding, out)?;
            writeln!(out)?;
        }
        if !rest.is_empty() {
            writeln!(
                out,
                "{}",
                self.paint(
                    format!(
                        "  {} more failing finding{} in {}, by rule:",
                        rest.len(),
                        plural(rest.len()),
                        source.name
                    ),
                    |s| s.bold()
                )
            )?;
            write_rule_counts(run, rest, self.options.style.width, out)?;
            writeln!(
                out,
                "  (`--max-diagnostics all` shows them in full, `--format concise` one line each)\n"
            )?;
        }

        let waived =
            super::account_most_severe_first(audit, |f| f.status == FindingStatus::Waived && self.shown(f));
        if !waived.is_empty() {
            writeln!(
                out,
                "{}",
                self.paint(
                    format!(
                        "  {} waived (not failing the gate until the waiver expires):",
                        waived.len()
                    ),
                    |s| s.bold()
                )
            )?;
            let (listed, rest) = waived.split_at(waived.len().min(limit));
            for finding in listed {
                let Some(waiver) = &finding.waiver else { continue };
                writeln!(
                    out,
                    "    {} [{}] {}, until {}",
                    finding.rule_id,
                    finding.severity,
                    one_line(&source.redact(&finding.subject)),
                    waiver.expires,
                )?;
                // Masked before wrapping: a secret cut across lines would not be recognised
                // by the redaction point on the way out.
                let reason = format!(
                    "{} ({})",
                    crate::secrets::registry::mask(&one_line(&waiver.reason)),
                    waiver.position
                );
                let options = textwrap::Options::new(self.options.style.width.max(40))
                    .initial_indent("      ")
                    .subsequent_indent("      ")
                    .word_splitter(textwrap::WordSplitter::NoHyphenation);
                writeln!(out, "{}", textwrap::fill(&reason, options))?;
            }
            if !rest.is_empty() {
                writeln!(out, "    and {} more waived", rest.len())?;
            }
            writeln!(out)?;
        }
        let baselined = audit
            .findings()
            .filter(|f| f.status == FindingStatus::Baselined)
            .count();
        if baselined > 0 {
            writeln!(
                out,
                "  {baselined} baselined finding{} not shown: known in {}, not failing the gate\n",
                plural(baselined),
                run.baseline.as_deref().unwrap_or("the baseline")
            )?;
        }
        Ok(())
    }

    /// One line per failing or waived finding of one account.
    /// The finding's fix under its diagnostic, on one line that is never wrapped, so that the
    /// command can be copied whole (its values are quoted for bash and masked at rendering).
    fn write_fix(&self, finding: &Finding, out: &mut dyn Write) -> io::Result<()> {
        use crate::findings::FixAction;
        let Some(fix) = &finding.fix else {
            return Ok(());
        };
        match (&fix.action, fix.command_line()) {
            (FixAction::Command { destructive, .. }, Some(line)) => {
                let label = if *destructive {
                    "fix (destructive: review before running):"
                } else if fix.option_like_value {
                    "fix (review: a value starts with '-'):"
                } else {
                    "fix:"
                };
                writeln!(
                    out,
                    "  {} {line}",
                    self.paint(label.to_owned(), |s| s.cyan().bold())
                )
            }
            // A reason is prose: wrapped like the diagnostic's text.
            (FixAction::Reason(reason), _) | (FixAction::Command { command: reason, .. }, None) => {
                let options = textwrap::Options::new(self.options.style.width.max(40))
                    .initial_indent("  no fix command: ")
                    .subsequent_indent("        ")
                    .word_splitter(textwrap::WordSplitter::NoHyphenation);
                let text = textwrap::fill(&one_line(reason), options);
                let label = self.paint("no fix command:".to_owned(), |s| s.cyan().bold());
                writeln!(out, "{}", text.replacen("no fix command:", &label, 1))
            }
        }
    }

    fn write_concise(&self, audit: &AccountAudit, out: &mut dyn Write) -> io::Result<()> {
        let source = &audit.account.file.source;
        let findings = super::account_most_severe_first(audit, |f| {
            matches!(f.status, FindingStatus::Fail | FindingStatus::Waived) && self.shown(f)
        });
        for finding in findings {
            let marker = match (&finding.waiver, finding.status) {
                (Some(waiver), FindingStatus::Waived) => format!(", waived until {}", waiver.expires),
                (Some(waiver), _) => format!(", waiver expired {}", waiver.expires),
                (None, _) => String::new(),
            };
            writeln!(
                out,
                "{}:{}:{}: {} [{}{marker}] {}",
                source.name,
                finding.location.line,
                finding.location.column,
                finding.rule_id,
                finding.severity,
                one_line(&source.redact(&finding.message))
            )?;
        }
        Ok(())
    }
}

impl HumanReport {
    fn write_statistics(&self, run: &RunInfo, out: &mut dyn Write) -> io::Result<()> {
        let mut rows: Vec<(&String, &RuleCounts)> = self
            .by_rule
            .iter()
            .filter(|(_, counts)| {
                counts.failing + counts.waived + counts.baselined > 0
                    && counts
                        .severity
                        .is_none_or(|s| self.options().min_severity.is_none_or(|m| s >= m))
            })
            .collect();
        rows.sort_by(|(a_id, a), (b_id, b)| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| b.failing.cmp(&a.failing))
                .then_with(|| a_id.cmp(b_id))
        });
        writeln!(out)?;
        if rows.is_empty() {
            return writeln!(out, "  no failing, waived or baselined findings");
        }
        let header = format!(
            "  {:>7} {:>7} {:>7} {:>9}  {:<12} {:<8}  title",
            "failing", "expired", "waived", "baselined", "rule", "severity"
        );
        writeln!(out, "{}", self.paint(header, |s| s.bold()))?;
        for (id, counts) in rows {
            let line = format!(
                "  {:>7} {:>7} {:>7} {:>9}  {:<12} {:<8}  ",
                counts.failing,
                counts.expired,
                counts.waived,
                counts.baselined,
                id,
                counts.severity.map_or("", Severity::as_str),
            );
            let title = run.policy(id).map_or("", |p| p.title.as_str());
            let room = self
                .options()
                .style
                .width
                .saturating_sub(line.chars().count())
                .max(10);
            writeln!(out, "{line}{}", clip(title, room))?;
        }
        Ok(())
    }
}

impl AccountRenderer for HumanView {
    fn render(&self, run: &RunInfo, account: AccountRef<'_>, out: &mut Vec<u8>) -> io::Result<()> {
        match account {
            AccountRef::Audited(_) if self.options.statistics => Ok(()),
            AccountRef::Audited(audit) if self.options.concise => self.write_concise(audit, out),
            AccountRef::Audited(audit) => self.write_full(run, audit, out),
            AccountRef::Invalid { file, error } if self.options.concise => {
                writeln!(out, "{file}: not audited: {} (see errors)", error.reason())
            }
            AccountRef::Invalid { file, error } if !self.options.statistics => {
                let note = self.paint(format!("not audited: {} (see errors)", error.reason()), |s| {
                    s.red()
                });
                writeln!(out, "\n{file}: {note}")
            }
            AccountRef::Invalid { .. } => Ok(()),
        }
    }
}

impl Sink for HumanReport {
    fn renderer(&self) -> Box<dyn AccountRenderer> {
        Box::new(self.view)
    }

    fn begin(&mut self, run: &RunInfo, out: &mut dyn Write) -> io::Result<()> {
        self.tally = Tally::new(run.fail_on);
        if self.options().concise {
            return Ok(());
        }
        let rule_count = run.policies.len();
        let header = format!(
            "regcheck audit: {} account file{}, {rule_count} rule{}, as of {}",
            run.files,
            plural(run.files),
            plural(rule_count),
            format_time(&run.as_of)
        );
        writeln!(out, "{}", self.paint(header, |s| s.bold()))
    }

    fn account(
        &mut self,
        _run: &RunInfo,
        account: AccountRef<'_>,
        rendered: &[u8],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        self.tally.add(account);
        if let AccountRef::Audited(audit) = account {
            self.count(audit);
        }
        if !rendered.is_empty() {
            // The full view ends an account with a blank line, unless it showed only its table.
            self.needs_gap = !rendered.ends_with(b"\n\n");
        }
        out.write_all(rendered)
    }

    fn finish(&mut self, run: &RunInfo, end: &RunEnd, out: &mut dyn Write) -> io::Result<()> {
        if self.options().statistics {
            self.write_statistics(run, out)?;
            writeln!(out)?;
        } else if (self.options().concise && self.tally.failing_total() + self.tally.waived > 0)
            || (!self.options().concise && self.needs_gap)
        {
            writeln!(out)?;
        }
        // The run's own count, not this view's: both add up the same accounts.
        let tally = &end.tally;
        if self.hidden_failing > 0
            && let Some(least) = self.options().min_severity
        {
            writeln!(
                out,
                "{} failing finding{} below {least} not shown (--min-severity {least}); the gate counts {}",
                self.hidden_failing,
                plural(self.hidden_failing),
                if self.hidden_failing == 1 { "it" } else { "them" },
            )?;
        }
        writeln!(out, "{}", self.summary_line(run, tally))
    }
}

impl HumanReport {
    /// `failed: 10 failing findings (1 critical, …), 1 with an expired waiver; 2 waived; …`
    fn summary_line(&self, run: &RunInfo, tally: &Tally) -> String {
        let failing = tally.failing_total();
        let breakdown = Severity::ALL_DESCENDING
            .iter()
            .map(|s| format!("{} {}", tally.failing[severity_index(*s)], s))
            .collect::<Vec<_>>()
            .join(", ");
        let mut line = format!("{failing} failing finding{} ({breakdown})", plural(failing));
        if tally.expired > 0 {
            line.push_str(&format!(", {} of them with an expired waiver", tally.expired));
        }
        if tally.waived > 0 {
            line.push_str(&format!("; {} waived", tally.waived));
        }
        if tally.baselined > 0 {
            line.push_str(&format!("; {} baselined", tally.baselined));
        }
        let errors = tally.invalid + tally.rule_errors();
        line.push_str(&format!(
            "; {errors} error{}; gate fails on {} and above",
            plural(errors),
            run.fail_on.as_str()
        ));
        let verdict = match tally.exit_code() {
            0 => self.paint("passed".into(), |s| s.green().bold()),
            1 => self.paint("failed".into(), |s| s.red().bold()),
            _ => self.paint("error".into(), |s| s.red().bold()),
        };
        format!("{verdict}: {line}")
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// `text` cut to `room` characters, with `…` when cut.
fn clip(text: &str, room: usize) -> Cow<'_, str> {
    if text.chars().count() <= room {
        return Cow::Borrowed(text);
    }
    let kept: String = text.chars().take(room.saturating_sub(1)).collect();
    Cow::Owned(format!("{kept}…"))
}

/// `text` on one line and safe for a terminal: line breaks, tabs and other control characters
/// (terminal escapes, bidirectional overrides) become spaces or `?`.
pub fn one_line(text: &str) -> Cow<'_, str> {
    let unsafe_char =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                '\n' | '\r' | '\t' => ' ',
                c if unsafe_char(c) => '?',
                c => c,
            })
            .collect(),
    )
}

/// The findings not shown in full, counted by rule: most severe rule first.
fn write_rule_counts(
    run: &RunInfo,
    findings: &[&Finding],
    width: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut counts: BTreeMap<(std::cmp::Reverse<Severity>, &str), usize> = BTreeMap::new();
    for finding in findings {
        *counts
            .entry((std::cmp::Reverse(finding.severity), finding.rule_id.as_str()))
            .or_default() += 1;
    }
    for ((std::cmp::Reverse(severity), rule), count) in counts {
        let line = format!("    {count:>6}  {rule:<12} {severity:<8}  ");
        let title = run.policy(rule).map_or("", |p| p.title.as_str());
        let room = width.saturating_sub(line.chars().count()).max(10);
        writeln!(out, "{line}{}", clip(title, room))?;
    }
    Ok(())
}

/// Per account: one row per responsibility with rule statuses and failing findings by severity;
/// the label column narrows to fit the width.
fn write_summary(run: &RunInfo, audit: &AccountAudit, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let account = &audit.account.model.account;
    let name = account
        .name
        .as_deref()
        .map(|n| format!(", {}", one_line(n)))
        .unwrap_or_default();
    writeln!(
        out,
        "\n{} (account {}{name})",
        audit.account.file.source.name,
        one_line(&account.id)
    )?;
    // 2 + label + 1 + 23 (rules) + 3 + 26 (findings) characters.
    let label_width = style.width.saturating_sub(55).clamp(16, 44);
    writeln!(out, "  {:<label_width$} {:<23}   failing findings", "", "rules")?;
    writeln!(
        out,
        "  {:<label_width$} {:>5} {:>5} {:>5} {:>5}   {:>8} {:>5} {:>6} {:>4}",
        "responsibility", "pass", "fail", "n/a", "error", "critical", "high", "medium", "low"
    )?;
    for row in super::account_summary_rows(|id| run.policy(id), audit) {
        let ([pass, fail, not_applicable, error], [critical, high, medium, low]) = (row.rules, row.failing);
        let line = format!(
            "  {:<label_width$} {pass:>5} {fail:>5} {not_applicable:>5} {error:>5}   {critical:>8} {high:>5} {medium:>6} {low:>4}",
            clip(&row.label, label_width)
        );
        let failed = fail + error > 0;
        writeln!(
            out,
            "{}",
            if style.color && failed {
                line.red().to_string()
            } else {
                line
            }
        )?;
    }
    Ok(())
}

/// A failing finding as miette sees it: the rule id as code, the subject as the label.
struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    title: &'a str,
    /// The account file: its secrets are masked in whatever the finding quotes.
    source: &'a crate::diagnostic::SourceText,
    excerpt: crate::diagnostic::Excerpt,
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FindingDiagnostic")
            .field("finding", &self.finding)
            .finish()
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}] {}",
            self.finding.rule_id,
            self.finding.severity,
            one_line(&self.source.redact(&self.finding.message))
        )
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Critical | Severity::High => miette::Severity::Error,
            Severity::Medium => miette::Severity::Warning,
            Severity::Low => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let mut help = format!(
            "{} (run `regcheck explain {}` for the fix)",
            self.title, self.finding.rule_id
        );
        // A waiver that expired no longer holds: say which, and since when.
        if let Some(waiver) = self.finding.waiver.as_ref().filter(|w| w.expired) {
            help.push_str(&format!(
                "\nits waiver expired on {} ({}: {:?}): renew the waiver or fix the finding",
                waiver.expires,
                waiver.position,
                // Masked before miette wraps it (see the waived list).
                crate::secrets::registry::mask(&one_line(&waiver.reason))
            ));
        }
        Some(Box::new(help))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.excerpt)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.excerpt.label();
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some(one_line(&self.source.redact(&self.finding.subject)).into_owned()),
            span.start,
            span.len(),
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_neutralises_breaks_and_escapes() {
        assert_eq!(one_line("a\nb\tc"), "a b c");
        assert_eq!(one_line("x\u{1b}[31my\u{202e}z"), "x?[31my?z");
        assert!(matches!(one_line("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn clip_keeps_short_text_and_marks_a_cut() {
        assert_eq!(clip("abc", 5), "abc");
        assert_eq!(clip("abcdef", 4), "abc…");
    }
}
