//! Policy files: one rule per file, built-ins embedded from `policies/`, custom ones in the
//! same format. Everything that can be checked without an account is checked here, when the
//! policy loads: TOML shape, JSONPath, CEL syntax, functions and parameters, with errors that
//! name the policy file, line and column.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Arc;

use include_dir::{Dir, include_dir};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{FileDiagnostic, Problem, SourceText, Text};
use crate::engine::cel::{self, CompileError, Expr};
use crate::engine::data::Data;
use crate::engine::jsonpath::JsonPath;
use crate::engine::template::Template;
use crate::findings::Severity;
use crate::toml_reader::{
    Choice, Collector, TableReader, array, choice, parse_table, string, timestamp, top_of_file,
};

mod prepared;
pub use prepared::text_hash;
pub mod testing;

static BUILTIN_POLICIES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/policies");

/// A loaded rule: metadata, checks, parameters, documentation and tests, from one file.
#[derive(Debug)]
pub struct Policy {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub responsibility: String,
    pub checks: Vec<Check>,
    pub params: Vec<ParamSpec>,
    pub docs: Docs,
    pub tests: Vec<PolicyTest>,
    pub source: SourceText,
    pub builtin: bool,
}

/// One selection and assertion. Most rules have one; a rule with two kinds of subject
/// (ICR-AT-002: route rules and default targets) lists several under `[[checks]]`.
#[derive(Debug)]
pub struct Check {
    pub for_each: JsonPath,
    pub when: Option<Located<Expr>>,
    pub assert: Located<Expr>,
    pub subject: Located<Template>,
    pub message: Located<Template>,
    pub locate: Option<Located<Template>>,
    /// How to fix a failing subject: the check's own `fix`, else the policy's `[fix]`.
    pub fix: Option<Arc<FixSpec>>,
}

/// A rule's `[fix]` table: a command template whose `{CEL}` holes are shell-quoted when it is
/// rendered, or the reason no command can fix a finding.
#[derive(Debug)]
pub struct FixSpec {
    pub action: FixSpecAction,
    /// The registry region the command acts on (`ibmcloud cr region-set` is run first).
    pub region: Option<Located<Template>>,
}

#[derive(Debug)]
pub enum FixSpecAction {
    Command {
        command: Located<Template>,
        destructive: bool,
    },
    Reason(Located<Template>),
}

impl FixSpec {
    /// Every template of the table, for load-time checks.
    pub fn templates(&self) -> impl Iterator<Item = &Located<Template>> {
        let action = match &self.action {
            FixSpecAction::Command { command, .. } => command,
            FixSpecAction::Reason(reason) => reason,
        };
        std::iter::once(action).chain(self.region.as_ref())
    }
}

/// A compiled piece of a policy and where its text starts in the policy file.
#[derive(Debug)]
pub struct Located<T> {
    pub value: T,
    /// Byte offset in the policy file of the expression's first character.
    pub offset: usize,
}

#[derive(Debug, Clone)]
pub struct ParamSpec {
    pub name: String,
    pub default: Data,
    pub doc: String,
}

#[derive(Debug, Clone, Default)]
pub struct Docs {
    pub summary: String,
    pub rationale: String,
    pub remediation: String,
    pub references: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PolicyTest {
    pub name: String,
    pub account: String,
    pub expect: Expectation,
    pub subjects: Option<Vec<String>>,
    pub messages: Option<Vec<String>>,
    pub as_of: Option<crate::account::model::Timestamp>,
    pub params: BTreeMap<String, Data>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expectation {
    Pass,
    Fail,
    NotApplicable,
}

impl Choice for Expectation {
    const VALUES: &'static [&'static str] = &["pass", "fail", "not_applicable"];
    fn from_spelling(text: &str) -> Option<Self> {
        match text {
            "pass" => Some(Self::Pass),
            "fail" => Some(Self::Fail),
            "not_applicable" => Some(Self::NotApplicable),
            _ => None,
        }
    }
}

impl Choice for Severity {
    const VALUES: &'static [&'static str] = &["critical", "high", "medium", "low"];
    fn from_spelling(text: &str) -> Option<Self> {
        Severity::parse(text)
    }
}

impl Policy {
    /// The text of every path, expression and template of the rule's checks.
    pub fn check_sources(&self) -> impl Iterator<Item = &str> {
        self.checks.iter().flat_map(|check| {
            [
                Some(check.for_each.as_str()),
                check.when.as_ref().map(|when| when.value.source()),
                Some(check.assert.value.source()),
                Some(check.subject.value.source()),
                Some(check.message.value.source()),
                check.locate.as_ref().map(|locate| locate.value.source()),
            ]
            .into_iter()
            .flatten()
            .chain(
                check
                    .fix
                    .iter()
                    .flat_map(|fix| fix.templates().map(|template| template.value.source())),
            )
        })
    }

    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|param| param.name == name)
    }

    /// `file:line:column` of a byte offset in this policy's file.
    pub fn position(&self, offset: usize) -> String {
        let (line, column) = self.source.line_col(offset);
        format!("{}:{line}:{column}", self.source.name)
    }
}

/// Problems in one or more policy files.
#[derive(Debug)]
pub struct PolicyError {
    pub diagnostics: Vec<FileDiagnostic>,
}

/// How a policy file is read.
///
/// A user's policy file is checked in full when it loads (shape, CEL syntax, functions,
/// parameters, `for_each` paths), so that its errors are reported before any account is read.
/// The built-in policies are checked in full by the test suite
/// (`builtin_policies_read_as_trusted_equal_the_checked_ones`), so an audit trusts them: it reads
/// them without their test cases, and compiles each expression when a rule first evaluates it.
/// That keeps an audit's start-up to a fraction of a millisecond instead of tens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Checked,
    /// Trusted, and taken from the prepared index ([`prepared`]) when `index` and the index has
    /// an entry made from the file's text.
    Trusted {
        index: bool,
    },
}

/// The built-in policies as an audit reads them (trusted, without their test cases), sorted by
/// id.
pub fn builtin() -> Result<Vec<Arc<Policy>>, PolicyError> {
    load_sources_read(embedded(), |_| true, |_| Reading::Trusted { index: true })
}

/// The built-in policies checked as a user's policy files are, with their test cases: for
/// `regcheck test` and the test suite.
pub fn builtin_checked() -> Result<Vec<Arc<Policy>>, PolicyError> {
    load_sources_read(embedded(), |_| true, |_| Reading::Checked)
}

fn embedded() -> Vec<SourceText> {
    let mut sources = Vec::new();
    collect_embedded(&BUILTIN_POLICIES, &mut sources);
    sources
}

fn collect_embedded(dir: &'static Dir<'static>, out: &mut Vec<SourceText>) {
    for file in dir.files() {
        if file.path().extension().is_some_and(|ext| ext == "toml") {
            let name = format!("policies/{}", file.path().display());
            let text = match file.contents_utf8() {
                Some(text) => Text::Builtin(text),
                None => Text::from(String::from_utf8_lossy(file.contents()).into_owned()),
            };
            out.push(SourceText::new(name, text));
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, out);
    }
}

/// Reads every `*.toml` policy file under `dir` (walked recursively, hidden folders skipped,
/// symlinks followed with loop detection), in a stable order.
pub fn read_dir(dir: &std::path::Path) -> Result<Vec<SourceText>, PolicyError> {
    let mut sources = Vec::new();
    let mut diagnostics = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || !entry.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let problem = |message: String| {
            FileDiagnostic::error(
                SourceText::new(dir.display().to_string(), ""),
                Problem::new(0..0, message),
            )
        };
        match entry {
            Ok(entry)
                if entry.file_type().is_file()
                    && entry.path().extension().is_some_and(|ext| ext == "toml") =>
            {
                let name = entry.path().to_string_lossy().replace('\\', "/");
                match crate::input::read(entry.path()) {
                    Ok(bytes) => match String::from_utf8(bytes) {
                        Ok(text) => sources.push(SourceText::new(name, text)),
                        Err(_) => diagnostics.push(problem(format!("{name} is not valid UTF-8"))),
                    },
                    Err(error) => diagnostics.push(problem(format!("cannot read {name}: {error}"))),
                }
            }
            Ok(_) => {}
            Err(error) => diagnostics.push(problem(format!(
                "cannot walk policy folder {}: {error}",
                dir.display()
            ))),
        }
    }
    if diagnostics.is_empty() {
        Ok(sources)
    } else {
        Err(PolicyError { diagnostics })
    }
}

/// The policies to run: the built-ins unless left out (trusted, see [`builtin`]), then every
/// custom folder, checked in full. An id defined twice is an error naming both files.
pub fn load_all(include_builtin: bool, dirs: &[std::path::PathBuf]) -> Result<Vec<Arc<Policy>>, PolicyError> {
    load_all_read(include_builtin, dirs, Reading::Trusted { index: true })
}

/// [`load_all`] with the built-ins checked as custom files are and read with their test cases:
/// for `regcheck test`.
pub fn load_all_with_tests(
    include_builtin: bool,
    dirs: &[std::path::PathBuf],
) -> Result<Vec<Arc<Policy>>, PolicyError> {
    load_all_read(include_builtin, dirs, Reading::Checked)
}

fn load_all_read(
    include_builtin: bool,
    dirs: &[std::path::PathBuf],
    builtin_reading: Reading,
) -> Result<Vec<Arc<Policy>>, PolicyError> {
    let mut sources = Vec::new();
    let mut builtin_names = std::collections::HashSet::new();
    if include_builtin {
        sources = embedded();
        builtin_names.extend(sources.iter().map(|source| source.name.clone()));
    }
    let mut diagnostics = Vec::new();
    for dir in dirs {
        match read_dir(dir) {
            Ok(found) => sources.extend(found),
            Err(error) => diagnostics.extend(error.diagnostics),
        }
    }
    if !diagnostics.is_empty() {
        return Err(PolicyError { diagnostics });
    }
    let is_builtin = |name: &str| builtin_names.contains(name);
    load_sources_read(sources, is_builtin, |name| {
        if is_builtin(name) {
            builtin_reading
        } else {
            Reading::Checked
        }
    })
}

/// Loads policy files, checked in full; duplicate ids are an error naming both files.
pub fn load_sources(sources: Vec<SourceText>, builtin: bool) -> Result<Vec<Arc<Policy>>, PolicyError> {
    load_sources_read(sources, |_| builtin, |_| Reading::Checked)
}

fn load_sources_read(
    mut sources: Vec<SourceText>,
    is_builtin: impl Fn(&str) -> bool,
    reading: impl Fn(&str) -> Reading,
) -> Result<Vec<Arc<Policy>>, PolicyError> {
    sources.sort_by(|a, b| a.name.cmp(&b.name));
    let mut diagnostics = Vec::new();
    let mut policies: Vec<Policy> = Vec::new();
    for source in sources {
        let reading = reading(&source.name);
        let prepared = match reading {
            Reading::Trusted { index: true } => prepared::policy(&source),
            _ => None,
        };
        let loaded = match prepared {
            Some(policy) => Ok(policy),
            None => load_one(&source, is_builtin(&source.name), reading),
        };
        match loaded {
            Ok(policy) => policies.push(policy),
            Err(mut problems) => {
                // In file order, as an account's problems are: the checks run in several passes.
                problems.sort_by_key(|problem| (problem.span.start, problem.span.end));
                diagnostics.extend(
                    problems
                        .into_iter()
                        .map(|p| FileDiagnostic::error(source.clone(), p)),
                );
            }
        }
    }
    let mut first_by_id: HashMap<String, usize> = HashMap::new();
    for (index, policy) in policies.iter().enumerate() {
        if let Some(&first) = first_by_id.get(&policy.id) {
            let span = id_span(&policy.source);
            diagnostics.push(FileDiagnostic::error(
                policy.source.clone(),
                Problem::new(span, format!("duplicate rule id `{}`", policy.id))
                    .label("this id is already used")
                    .help(format!(
                        "`{}` is also defined in {}",
                        policy.id, policies[first].source.name
                    )),
            ));
        } else {
            first_by_id.insert(policy.id.clone(), index);
        }
    }
    if !diagnostics.is_empty() {
        return Err(PolicyError { diagnostics });
    }
    let mut policies: Vec<Arc<Policy>> = policies.into_iter().map(Arc::new).collect();
    policies.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(policies)
}

fn id_span(source: &SourceText) -> Range<usize> {
    DeTable::parse(&source.text)
        .ok()
        .and_then(|table| table.get_ref().get_key_value("id").map(|(key, _)| key.span()))
        .unwrap_or(0..0)
}

type Value<'i> = Spanned<DeValue<'i>>;

fn load_one(source: &SourceText, builtin: bool, reading: Reading) -> Result<Policy, Vec<Problem>> {
    let text: &str = &source.text;
    let checked = reading == Reading::Checked;
    // A trusted file is read without its test cases, which come last in every built-in file
    // (the test suite checks that nothing is lost): half of the text, and none of it needed to
    // audit. Spans stay those of the whole file.
    let read = match reading {
        Reading::Checked => text,
        Reading::Trusted { .. } => text.find("\n[[tests]]").map_or(text, |at| &text[..=at]),
    };
    let table = parse_table(read).map_err(|problem| vec![problem])?;
    let mut out = Collector::default();
    let mut top = TableReader::new(table.get_ref(), top_of_file(text), "the policy file");
    let id = top.required("id", &mut out, rule_id);
    let title = top.required("title", &mut out, string);
    let severity = top.required("severity", &mut out, choice::<Severity>("severity"));
    let responsibility = top.required("responsibility", &mut out, string);
    let params = top.optional("params", &mut out, |v, out| params(text, v, out));
    let docs = top.optional("docs", &mut out, |v, out| docs(text, v, out));
    let tests = top.optional("tests", &mut out, array(|v, out| policy_test(text, v, out)));
    let policy_fix = top
        .optional("fix", &mut out, |v, out| fix_table(text, v, out, checked))
        .map(|fix| fix.map(Arc::new));
    let inline_check = read_check(
        text,
        &mut top,
        &mut out,
        true,
        checked,
        policy_fix.clone().flatten(),
    );
    let checks = top.optional(
        "checks",
        &mut out,
        array(|v, out| {
            let mut table = TableReader::open(v, "[[checks]]", text, out)?;
            let check = read_check(
                text,
                &mut table,
                out,
                false,
                checked,
                policy_fix.clone().flatten(),
            );
            table.finish(out);
            check.flatten()
        }),
    );
    top.finish(&mut out);

    let checks = match (inline_check, checks) {
        (None, _) | (_, None) => None,
        (Some(Some(check)), Some(None)) => Some(vec![check]),
        (Some(None), Some(Some(checks))) if !checks.is_empty() => Some(checks),
        (Some(Some(_)), Some(Some(_))) => {
            out.push(
                Problem::new(
                    top_of_file(text),
                    "a policy has either top-level for_each/assert or [[checks]], not both",
                )
                .label("here"),
            );
            None
        }
        (Some(None), Some(_)) => {
            out.push(
                Problem::new(top_of_file(text), "the policy has no check")
                    .label("here")
                    .help("add for_each, assert, subject and message (or [[checks]] tables)"),
            );
            None
        }
    };
    let params = params.map(Option::unwrap_or_default);
    let tests = tests.map(Option::unwrap_or_default);
    if let (Some(checks), Some(params), true) = (&checks, &params, checked) {
        check_param_references(text, checks, params, &mut out);
    }
    if let (Some(tests), Some(params)) = (&tests, &params) {
        for test in tests {
            for name in test.params.keys() {
                if !params.iter().any(|p| &p.name == name) {
                    out.push(Problem::new(
                        top_of_file(text),
                        format!("test `{}` overrides unknown parameter `{name}`", test.name),
                    ));
                }
            }
        }
    }
    match (id, title, severity, responsibility, checks, params, docs, tests) {
        (
            Some(id),
            Some(title),
            Some(severity),
            Some(responsibility),
            Some(checks),
            Some(params),
            Some(docs),
            Some(tests),
        ) if out.problems.is_empty() => Ok(Policy {
            id,
            title,
            severity,
            responsibility,
            checks,
            params,
            docs: docs.unwrap_or_default(),
            tests,
            source: source.clone(),
            builtin,
        }),
        _ => Err(out.problems),
    }
}

/// Reads the check keys of a table. `Some(None)` when none of them is present and `optional`.
fn read_check(
    text: &str,
    t: &mut TableReader<'_, '_>,
    out: &mut Collector,
    optional: bool,
    checked: bool,
    policy_fix: Option<Arc<FixSpec>>,
) -> Option<Option<Check>> {
    let keys_present = ["for_each", "assert", "subject", "message", "when", "locate"]
        .iter()
        .any(|key| t.has(key));
    if optional && !keys_present {
        // Mark the keys as known so `finish` does not flag them in [[checks]]-style files.
        for key in ["for_each", "assert", "subject", "message", "when", "locate"] {
            t.mark_known(key);
        }
        return Some(None);
    }
    // The top-level `[fix]` is the policy's; a `[[checks]]` table may have its own.
    let own_fix = if optional {
        Some(None)
    } else {
        t.optional("fix", out, |v, out| fix_table(text, v, out, checked))
    };
    let fix = own_fix.map(|own| own.map(Arc::new).or(policy_fix));
    let for_each = t.required("for_each", out, |v, out| {
        let path = string(v, out)?;
        let parsed = JsonPath::parse(&path)
            .map_err(|error| {
                out.push(
                    Problem::new(
                        expression_span(text, v, &path, error.offset),
                        format!("invalid for_each path: {}", error.message),
                    )
                    .label("here"),
                );
            })
            .ok()?;
        if !checked {
            return Some(parsed);
        }
        if let Err((offset, message)) = crate::account::check_selectable(&parsed) {
            out.push(
                Problem::new(
                    expression_span(text, v, &path, offset),
                    format!("for_each selects nothing: {message}"),
                )
                .label("not in the account file format")
                .help("`regcheck schema` describes the account file"),
            );
            return None;
        }
        Some(parsed)
    });
    let when = t.optional("when", out, |v, out| expression(text, v, out, checked));
    let assert = t.required("assert", out, |v, out| expression(text, v, out, checked));
    let subject = t.required("subject", out, |v, out| template(text, v, out, checked));
    let message = t.required("message", out, |v, out| template(text, v, out, checked));
    let locate = t.optional("locate", out, |v, out| template(text, v, out, checked));
    // The field paths of a built-in are checked by the test suite (it reads them `checked`), not
    // at each start.
    if checked
        && let Some(path) = &for_each
        && let Ok(selection) = crate::account::shape::select(path)
    {
        let scope = cel::Scope {
            item: selection.item,
            parent: selection.parent,
            key: selection.key,
            index: selection.index,
        };
        let mut exprs: Vec<(&Expr, usize)> = Vec::new();
        for expr in [when.as_ref().and_then(Option::as_ref), assert.as_ref()]
            .into_iter()
            .flatten()
        {
            exprs.push((&expr.value, expr.offset));
        }
        let fix_templates = fix.iter().flatten().flat_map(|fix| fix.templates());
        for template in [
            subject.as_ref(),
            message.as_ref(),
            locate.as_ref().and_then(Option::as_ref),
        ]
        .into_iter()
        .flatten()
        .chain(fix_templates)
        {
            exprs.extend(
                template
                    .value
                    .holes()
                    .map(|(expr, hole)| (expr, template.offset + hole)),
            );
        }
        for (expr, offset) in exprs {
            report_unknown_fields(text, expr, offset, &scope, out);
        }
    }
    Some(Some(Check {
        for_each: for_each?,
        when: when?,
        assert: assert?,
        subject: subject?,
        message: message?,
        locate: locate?,
        fix: fix?,
    }))
}

/// A `[fix]` table: `command` (with `destructive`, and `region` for `ibmcloud cr` commands) or
/// `reason`, never both.
fn fix_table(text: &str, value: &Value<'_>, out: &mut Collector, checked: bool) -> Option<FixSpec> {
    let mut t = TableReader::open(value, "[fix]", text, out)?;
    let command = t.optional("command", out, |v, out| template(text, v, out, checked));
    let reason = t.optional("reason", out, |v, out| template(text, v, out, checked));
    let destructive = t.optional("destructive", out, |v, out| match v.get_ref() {
        DeValue::Boolean(flag) => Some((*flag, v.span())),
        _ => {
            out.push(Problem::new(v.span(), "destructive must be true or false").label("here"));
            None
        }
    });
    let region = t.optional("region", out, |v, out| template(text, v, out, checked));
    t.finish(out);
    let (command, reason, destructive, region) = (command?, reason?, destructive?, region?);
    let action = match (command, reason) {
        (Some(command), None) => FixSpecAction::Command {
            command,
            destructive: destructive.is_some_and(|(flag, _)| flag),
        },
        (None, Some(reason)) => {
            if let Some((_, span)) = destructive {
                out.push(
                    Problem::new(
                        span,
                        "destructive applies to a command, and this fix has only a reason",
                    )
                    .label("here"),
                );
                return None;
            }
            if let Some(region) = region {
                let at = region.offset;
                out.push(
                    Problem::new(
                        at..(at + 1).min(text.len()),
                        "region applies to a command, and this fix has only a reason",
                    )
                    .label("here"),
                );
                return None;
            }
            FixSpecAction::Reason(reason)
        }
        (Some(_), Some(reason)) => {
            let at = reason.offset;
            out.push(
                Problem::new(
                    at..(at + 1).min(text.len()),
                    "a fix has either a command or a reason, not both",
                )
                .label("here")
                .help("a reason says why no command can fix the finding"),
            );
            return None;
        }
        (None, None) => {
            out.push(
                Problem::new(value.span(), "a fix needs a command or a reason")
                    .label("here")
                    .help("command = \"ibmcloud …{item.name}\", or reason = \"why no command can fix it\""),
            );
            return None;
        }
    };
    Some(FixSpec { action, region })
}

/// Where the expression's text starts in the file: the string's content, found inside its span.
fn content_start(text: &str, value: &Value<'_>, content: &str) -> usize {
    let span = value.span();
    let raw = &text[span.clone()];
    raw.find(content).map_or(span.start, |at| span.start + at)
}

fn expression_span(text: &str, value: &Value<'_>, content: &str, offset: usize) -> Range<usize> {
    let start = content_start(text, value, content) + offset;
    start..(start + 1).min(text.len())
}

fn compile_problem(text: &str, value: &Value<'_>, content: &str, error: CompileError, what: &str) -> Problem {
    let span = match error.offset {
        Some(offset) => expression_span(text, value, content, offset),
        None => value.span(),
    };
    Problem::new(span, format!("invalid {what}: {}", error.message)).label("here")
}

/// A CEL expression: compiled and checked now, or (`checked` false) compiled on first use.
fn expression(text: &str, value: &Value<'_>, out: &mut Collector, checked: bool) -> Option<Located<Expr>> {
    let source = string(value, out)?;
    let offset = content_start(text, value, &source);
    if !checked {
        return Some(Located {
            value: Expr::deferred(&source),
            offset,
        });
    }
    let expr = cel::compile(&source)
        .map_err(|error| out.push(compile_problem(text, value, &source, error, "CEL expression")))
        .ok()?;
    report_unknown_functions(text, &expr, offset, out);
    Some(Located { value: expr, offset })
}

fn template(text: &str, value: &Value<'_>, out: &mut Collector, checked: bool) -> Option<Located<Template>> {
    let source = string(value, out)?;
    let offset = content_start(text, value, &source);
    if !checked {
        return Some(Located {
            value: Template::parse_deferred(&source),
            offset,
        });
    }
    let template = Template::parse(&source)
        .map_err(|error| out.push(compile_problem(text, value, &source, error, "template")))
        .ok()?;
    for (expr, hole) in template.holes() {
        report_unknown_functions(text, expr, offset + hole, out);
    }
    Some(Located {
        value: template,
        offset,
    })
}

fn report_unknown_functions(text: &str, expr: &Expr, offset: usize, out: &mut Collector) {
    for name in expr.unknown_functions() {
        let at = offset + expr.source().find(name.as_str()).unwrap_or(0);
        let mut problem = Problem::new(
            at..(at + name.len()).min(text.len()),
            format!("unknown function `{name}`"),
        )
        .label("not a CEL standard function or regcheck helper");
        let helpers = crate::engine::helpers::HELPERS.iter().map(|h| h.name);
        if let Some(best) = crate::suggest::did_you_mean(&name, helpers) {
            problem = problem.help(format!("did you mean `{best}`?"));
        }
        out.push(problem);
    }
}

/// Every name and field path an expression reads must exist in the account format.
fn report_unknown_fields(text: &str, expr: &Expr, offset: usize, scope: &cel::Scope, out: &mut Collector) {
    for problem in expr.check_fields(scope) {
        let start = (offset + problem.offset).min(text.len());
        let end = (start + problem.length).min(text.len());
        out.push(
            Problem::new(start..end, problem.message)
                .label(problem.label)
                .help(problem.help),
        );
    }
}

/// Every `params.NAME` in an expression must be a declared parameter.
fn check_param_references(text: &str, checks: &[Check], params: &[ParamSpec], out: &mut Collector) {
    let mut exprs: Vec<(&Expr, usize)> = Vec::new();
    for check in checks {
        exprs.push((&check.assert.value, check.assert.offset));
        if let Some(when) = &check.when {
            exprs.push((&when.value, when.offset));
        }
        let fix_templates = check.fix.iter().flat_map(|fix| fix.templates());
        for template in [Some(&check.subject), Some(&check.message), check.locate.as_ref()]
            .into_iter()
            .flatten()
            .chain(fix_templates)
        {
            exprs.extend(
                template
                    .value
                    .holes()
                    .map(|(expr, hole)| (expr, template.offset + hole)),
            );
        }
    }
    for (expr, offset) in exprs {
        let source = expr.source();
        for (at, _) in source.match_indices("params.") {
            let name: String = source[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && !params.iter().any(|param| param.name == name) {
                let start = offset + at;
                let mut problem = Problem::new(
                    start..(start + 7 + name.len()).min(text.len()),
                    format!("unknown parameter `{name}`"),
                )
                .label("not declared under [params]");
                if let Some(best) =
                    crate::suggest::did_you_mean(&name, params.iter().map(|p| p.name.as_str()))
                {
                    problem = problem.help(format!("did you mean `{best}`?"));
                }
                out.push(problem);
            }
        }
    }
}

fn rule_id(value: &Value<'_>, out: &mut Collector) -> Option<String> {
    let id = string(value, out)?;
    let valid = id.split('-').count() >= 2
        && id.split('-').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        });
    if !valid {
        out.push(
            Problem::new(value.span(), format!("invalid rule id `{id}`"))
                .label("expected uppercase parts joined by hyphens")
                .help("for example ICR-AT-001 or ACME-REG-001"),
        );
        return None;
    }
    Some(id)
}

fn params(text: &str, value: &Value<'_>, out: &mut Collector) -> Option<Vec<ParamSpec>> {
    let DeValue::Table(table) = value.get_ref() else {
        out.push(Problem::new(value.span(), "[params] must be a table").label("here"));
        return None;
    };
    let mut specs = Vec::new();
    let before = out.problems.len();
    for (key, spec) in table.iter() {
        let name = key.get_ref().to_string();
        let Some(mut t) = TableReader::open(spec, format!("parameter `{name}`"), text, out) else {
            continue;
        };
        let default = t.required("default", out, |v, out| {
            let parsed = toml_value(v);
            if parsed.is_none() {
                out.push(Problem::new(v.span(), "unsupported parameter default").label("here"));
            }
            parsed
        });
        let doc = t.required("doc", out, string);
        t.finish(out);
        if let (Some(default), Some(doc)) = (default, doc) {
            specs.push(ParamSpec { name, default, doc });
        }
    }
    (out.problems.len() == before).then_some(specs)
}

/// A plain value from the spanned tree (parameter defaults and test overrides).
pub fn toml_value(value: &Value<'_>) -> Option<Data> {
    Some(match value.get_ref() {
        DeValue::String(text) => Data::Str(text.to_string()),
        DeValue::Integer(number) => {
            Data::Int(i64::from_str_radix(&number.as_str().replace('_', ""), number.radix()).ok()?)
        }
        DeValue::Float(number) => Data::Float(number.as_str().replace('_', "").parse().ok()?),
        DeValue::Boolean(flag) => Data::Bool(*flag),
        DeValue::Datetime(datetime) => Data::from_toml(&toml::Value::Datetime(*datetime))?,
        DeValue::Array(items) => Data::List(items.iter().map(toml_value).collect::<Option<_>>()?),
        DeValue::Table(table) => Data::Map(
            table
                .iter()
                .map(|(key, value)| Some((key.get_ref().to_string(), toml_value(value)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

fn docs(text: &str, value: &Value<'_>, out: &mut Collector) -> Option<Docs> {
    let mut t = TableReader::open(value, "[docs]", text, out)?;
    let summary = t.required("summary", out, string);
    let rationale = t.required("rationale", out, string);
    let remediation = t.required("remediation", out, string);
    let references = t.optional("references", out, array(string));
    t.finish(out);
    Some(Docs {
        summary: summary?,
        rationale: rationale?,
        remediation: remediation?,
        references: references?.unwrap_or_default(),
    })
}

fn policy_test(text: &str, value: &Value<'_>, out: &mut Collector) -> Option<PolicyTest> {
    let mut t = TableReader::open(value, "[[tests]]", text, out)?;
    let name = t.required("name", out, string);
    let account = t.required("account", out, string);
    let expect = t.required("expect", out, choice::<Expectation>("expect"));
    let subjects = t.optional("subjects", out, array(string));
    let messages = t.optional("messages", out, array(string));
    let as_of = t.optional("as_of", out, timestamp);
    let params = t.optional("params", out, |v, out| match toml_value(v) {
        Some(Data::Map(map)) => Some(map),
        _ => {
            out.push(Problem::new(v.span(), "test params must be a table").label("here"));
            None
        }
    });
    t.finish(out);
    Some(PolicyTest {
        name: name?,
        account: account?,
        expect: expect?,
        subjects: subjects?,
        messages: messages?,
        as_of: as_of?,
        params: params?.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests;
