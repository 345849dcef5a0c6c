//! The tool's config file, `regcheck.toml` (`cli.md`): the gate threshold, extra policy folders,
//! the evaluation budget, per-rule settings and waivers. Read with spans like every other file,
//! in two phases as cargo-deny does: the shape first, then everything that needs the loaded policies (rule ids,
//! parameter names and types). The first phase keeps what it could read and its problems, and
//! [`Config::check`] reports them with the second phase's: all problems in one round.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use globset::{Glob, GlobMatcher};
use toml::Spanned;
use toml::de::DeValue;

use crate::diagnostic::{FileDiagnostic, Problem, SourceText};
use crate::engine::data::Data;
use crate::findings::Severity;
use crate::policy::{Policy, toml_value};
use crate::suggest::did_you_mean;
use crate::toml_reader::{Collector, TableReader, array, boolean, choice, parse_table, string, top_of_file};

pub const FILE_NAME: &str = "regcheck.toml";

/// What `regcheck.toml` asks for. Spans point back into it for later checks.
#[derive(Debug, Default)]
pub struct Config {
    pub source: Option<SourceText>,
    /// `Some(None)` is `fail_on = "none"`.
    pub fail_on: Option<Option<Severity>>,
    /// Extra policy folders, resolved against the config file's folder.
    pub policies: Vec<PathBuf>,
    /// Cost units every rule may spend on one subject (`engine::cel::budget`).
    pub evaluation_budget: Option<u64>,
    pub rules: BTreeMap<String, RuleSettings>,
    pub waivers: Vec<Waiver>,
    /// Problems of the file's shape, reported by [`Config::check`] with those that need the
    /// policies, so that one run names them all.
    problems: Vec<Problem>,
    /// Every waiver's `rule` pattern, also of waivers with other problems: its id is checked too.
    waiver_rules: Vec<(String, GlobMatcher, Range<usize>)>,
}

#[derive(Debug, Default)]
pub struct RuleSettings {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
    /// This rule's evaluation budget, in cost units per subject.
    pub evaluation_budget: Option<u64>,
    pub params: BTreeMap<String, Data>,
    /// The `[rules."ID"]` key, and each parameter's value, for later checks.
    id_span: Range<usize>,
    param_spans: BTreeMap<String, Range<usize>>,
}

/// A decision to accept a finding for a while.
#[derive(Debug, Clone)]
pub struct Waiver {
    pub rule: String,
    pub subject: Option<String>,
    /// The account ids (an id or a glob) the waiver is for; absent = every account.
    pub account: Option<String>,
    pub reason: String,
    /// The last moment the waiver holds (a date means through the end of that day, UTC).
    pub expires: DateTime<Utc>,
    /// As written, for reports.
    pub expires_text: String,
    pub owner: Option<String>,
    /// Position of the `[[waivers]]` entry, for "unused waiver" warnings.
    pub position: String,
    rule_matcher: GlobMatcher,
    subject_matcher: Option<GlobMatcher>,
    account_matcher: Option<GlobMatcher>,
}

impl Waiver {
    /// Whether the waiver covers a finding of `rule_id` on `subject` in the account `account_id`.
    pub fn matches(&self, account_id: &str, rule_id: &str, subject: &str) -> bool {
        self.rule_matcher.is_match(rule_id)
            && self
                .subject_matcher
                .as_ref()
                .is_none_or(|matcher| matcher.is_match(subject))
            && self
                .account_matcher
                .as_ref()
                .is_none_or(|matcher| matcher.is_match(account_id))
    }

    pub fn is_expired(&self, as_of: DateTime<Utc>) -> bool {
        as_of > self.expires
    }
}

/// Problems in the config file.
#[derive(Debug)]
pub struct ConfigError {
    pub diagnostics: Vec<FileDiagnostic>,
}

impl Config {
    /// `--config FILE`, else `regcheck.toml` in the current folder if there is one.
    pub fn discover(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match explicit {
            Some(path) => path.to_path_buf(),
            None => {
                let default = PathBuf::from(FILE_NAME);
                if !default.is_file() {
                    return Ok(Config::default());
                }
                default
            }
        };
        let name = path.to_string_lossy().replace('\\', "/");
        let text = crate::input::read_to_string(&path).map_err(|error| ConfigError {
            diagnostics: vec![FileDiagnostic::error(
                SourceText::new(name.clone(), ""),
                Problem::new(0..0, format!("cannot read config file {name}: {error}")),
            )],
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Config::parse(SourceText::new(name, text), &base)
    }

    /// Reads the file's shape; ids and parameters are checked by [`Config::check`], which also
    /// reports the shape's problems. `Err` only for a file that is not TOML.
    pub fn parse(source: SourceText, base: &Path) -> Result<Config, ConfigError> {
        let text = &source.text;
        let fail = |problems: Vec<Problem>| ConfigError {
            diagnostics: problems
                .into_iter()
                .map(|p| FileDiagnostic::error(source.clone(), p))
                .collect(),
        };
        let table = parse_table(text).map_err(|problem| fail(vec![problem]))?;
        let mut out = Collector::default();
        let mut top = TableReader::new(table.get_ref(), top_of_file(text), "regcheck.toml");
        let fail_on = top.optional("fail_on", &mut out, fail_on_value);
        let policies = top.optional("policies", &mut out, array(string));
        let evaluation_budget = top.optional("evaluation_budget", &mut out, budget);
        let rules = top.optional("rules", &mut out, |v, out| rules_table(text, v, out));
        let waiver_rules = std::cell::RefCell::new(Vec::new());
        let waivers = top.optional(
            "waivers",
            &mut out,
            array(|v, out| waiver(text, &source.name, v, out, &mut waiver_rules.borrow_mut())),
        );
        let waiver_rules = waiver_rules.into_inner();
        top.finish(&mut out);
        Ok(Config {
            problems: out.problems,
            waiver_rules,
            fail_on: fail_on.flatten(),
            policies: policies
                .flatten()
                .unwrap_or_default()
                .into_iter()
                .map(|dir| base.join(dir))
                .collect(),
            evaluation_budget: evaluation_budget.flatten(),
            rules: rules.flatten().unwrap_or_default(),
            waivers: waivers.flatten().unwrap_or_default(),
            source: Some(source),
        })
    }

    /// The problems of the file's shape alone: for when the policies could not be loaded, so
    /// that the run still reports them with the policies' problems.
    pub fn shape_problems(&self) -> Result<(), ConfigError> {
        self.fail(self.problems.clone())
    }

    fn fail(&self, mut problems: Vec<Problem>) -> Result<(), ConfigError> {
        let Some(source) = &self.source else { return Ok(()) };
        if problems.is_empty() {
            return Ok(());
        }
        problems.sort_by_key(|problem| (problem.span.start, problem.span.end));
        Err(ConfigError {
            diagnostics: problems
                .into_iter()
                .map(|p| FileDiagnostic::error(source.clone(), p))
                .collect(),
        })
    }

    /// Every problem of the file: its shape's, and rule ids, waiver rule patterns and
    /// parameter names and types checked against the policies. In file order.
    pub fn check(&self, policies: &[std::sync::Arc<Policy>]) -> Result<(), ConfigError> {
        if self.source.is_none() {
            return Ok(());
        }
        let ids = || policies.iter().map(|p| p.id.as_str());
        let mut problems = self.problems.clone();
        let unknown_id = |span: Range<usize>, id: &str| {
            let problem =
                Problem::new(span, format!("unknown rule id `{id}`")).label("no loaded rule has this id");
            match did_you_mean(id, ids()) {
                Some(best) => problem.help(format!("did you mean `{best}`?")),
                None if !id.starts_with("ICR-") => problem.help(
                    "a custom rule is known only when its folder is loaded: add it to `policies = [...]` in this file, or pass --policies DIR",
                ),
                None => problem.help("`regcheck rules` lists the rule ids"),
            }
        };
        for (id, settings) in &self.rules {
            let Some(policy) = policies.iter().find(|p| &p.id == id) else {
                problems.push(unknown_id(settings.id_span.clone(), id));
                continue;
            };
            for (name, value) in &settings.params {
                let span = settings.param_spans.get(name).cloned().unwrap_or(0..0);
                match policy.param(name) {
                    None => {
                        let mut problem = Problem::new(span, format!("`{id}` has no parameter `{name}`"))
                            .label("unknown parameter");
                        let names: Vec<&str> = policy.params.iter().map(|p| p.name.as_str()).collect();
                        problem = match did_you_mean(name, names.iter().copied()) {
                            Some(best) => problem.help(format!("did you mean `{best}`?")),
                            None if names.is_empty() => problem.help(format!("`{id}` takes no parameters")),
                            None => problem.help(format!("parameters of `{id}`: {}", names.join(", "))),
                        };
                        problems.push(problem);
                    }
                    Some(spec) if !same_shape(&spec.default, value) => problems.push(
                        Problem::new(
                            span,
                            format!(
                                "parameter `{name}` of `{id}` must be {}, like its default {}",
                                describe(&spec.default),
                                spec.default
                            ),
                        )
                        .label(format!("this is {}", describe(value))),
                    ),
                    Some(_) => {}
                }
            }
        }
        for (rule, matcher, span) in &self.waiver_rules {
            if !ids().any(|id| matcher.is_match(id)) {
                problems.push(unknown_id(span.clone(), rule));
            }
        }
        self.fail(problems)
    }

    /// Evaluation budgets of single rules, for the engine.
    pub fn budgets(&self) -> BTreeMap<String, u64> {
        self.rules
            .iter()
            .filter_map(|(id, settings)| settings.evaluation_budget.map(|budget| (id.clone(), budget)))
            .collect()
    }

    /// Parameter overrides per rule, for the engine.
    pub fn params(&self) -> BTreeMap<String, BTreeMap<String, Data>> {
        self.rules
            .iter()
            .filter(|(_, settings)| !settings.params.is_empty())
            .map(|(id, settings)| (id.clone(), settings.params.clone()))
            .collect()
    }
}

fn describe(value: &Data) -> &'static str {
    match value {
        Data::Int(_) => "an integer",
        Data::Float(_) => "a float",
        Data::Bool(_) => "a boolean",
        Data::Str(_) => "a string",
        Data::Time(_) => "a datetime",
        Data::List(_) => "an array",
        Data::Map(_) => "a table",
        Data::Null => "null",
    }
}

/// A parameter override must have its default's type; an integer is accepted for a float, and
/// list elements must match the default's elements (any list matches an empty default).
fn same_shape(default: &Data, value: &Data) -> bool {
    match (default, value) {
        (Data::Float(_), Data::Int(_)) => true,
        (Data::List(defaults), Data::List(values)) => match defaults.first() {
            Some(first) => values.iter().all(|v| same_shape(first, v)),
            None => true,
        },
        _ => std::mem::discriminant(default) == std::mem::discriminant(value),
    }
}

fn fail_on_value(value: &Spanned<DeValue<'_>>, out: &mut Collector) -> Option<Option<Severity>> {
    let text = string(value, out)?;
    if text == "none" {
        return Some(None);
    }
    match Severity::parse(&text) {
        Some(severity) => Some(Some(severity)),
        None => {
            out.push(
                Problem::new(value.span(), format!("invalid fail_on `{text}`"))
                    .label("expected one of: critical, high, medium, low, none"),
            );
            None
        }
    }
}

fn rules_table(
    text: &str,
    value: &Spanned<DeValue<'_>>,
    out: &mut Collector,
) -> Option<BTreeMap<String, RuleSettings>> {
    let DeValue::Table(table) = value.get_ref() else {
        out.push(Problem::new(value.span(), "`rules` must be a table of rule ids").label("here"));
        return None;
    };
    let before = out.problems.len();
    let mut rules = BTreeMap::new();
    for (key, settings) in table.iter() {
        let id = key.get_ref().to_string();
        let DeValue::Table(entries) = settings.get_ref() else {
            out.push(
                Problem::new(settings.span(), format!("[rules.\"{id}\"] must be a table")).label("here"),
            );
            continue;
        };
        let mut rule = RuleSettings {
            id_span: key.span(),
            ..RuleSettings::default()
        };
        for (name, value) in entries.iter() {
            let name_text = name.get_ref().to_string();
            match name_text.as_str() {
                "enabled" => rule.enabled = boolean(value, out),
                "severity" => rule.severity = choice::<Severity>("severity")(value, out),
                "evaluation_budget" => rule.evaluation_budget = budget(value, out),
                _ => match toml_value(value) {
                    Some(data) => {
                        rule.param_spans.insert(name_text.clone(), value.span());
                        rule.params.insert(name_text, data);
                    }
                    None => out.push(Problem::new(value.span(), "unsupported parameter value").label("here")),
                },
            }
        }
        let _ = text;
        rules.insert(id, rule);
    }
    (out.problems.len() == before).then_some(rules)
}

fn waiver(
    text: &str,
    file: &str,
    value: &Spanned<DeValue<'_>>,
    out: &mut Collector,
    rules: &mut Vec<(String, GlobMatcher, Range<usize>)>,
) -> Option<Waiver> {
    let mut t = TableReader::open(value, "[[waivers]]", text, out)?;
    let rule = t.required("rule", out, |v, out| {
        glob(v, out).map(|(text, matcher)| (text, matcher, v.span()))
    });
    if let Some(rule) = &rule {
        rules.push(rule.clone());
    }
    let subject = t.optional("subject", out, glob);
    let account = t.optional("account", out, glob);
    let reason = t.required("reason", out, |v, out| {
        let reason = string(v, out)?;
        if reason.trim().is_empty() {
            out.push(Problem::new(v.span(), "a waiver needs a reason").label("empty reason"));
            return None;
        }
        Some(reason)
    });
    let expires = t.required("expires", out, expiry);
    let owner = t.optional("owner", out, string);
    t.finish(out);
    let (line, column) = crate::diagnostic::line_col(text, value.span().start);
    let (rule, rule_matcher, _) = rule?;
    let (expires, expires_text) = expires?;
    let (subject, subject_matcher) = match subject? {
        Some((text, matcher)) => (Some(text), Some(matcher)),
        None => (None, None),
    };
    let (account, account_matcher) = match account? {
        Some((text, matcher)) => (Some(text), Some(matcher)),
        None => (None, None),
    };
    Some(Waiver {
        rule,
        subject,
        account,
        reason: reason?,
        expires,
        expires_text,
        owner: owner?,
        position: format!("{file}:{line}:{column}"),
        rule_matcher,
        subject_matcher,
        account_matcher,
    })
}

/// An evaluation budget: a positive number of cost units.
fn budget(value: &Spanned<DeValue<'_>>, out: &mut Collector) -> Option<u64> {
    let number = crate::toml_reader::integer(value, out)?;
    match u64::try_from(number) {
        Ok(units) if units > 0 => Some(units),
        _ => {
            out.push(
                Problem::new(value.span(), format!("invalid evaluation_budget {number}"))
                    .label("expected a positive number of cost units")
                    .help(format!(
                        "the default is {}; docs/writing-policies.md explains what costs what",
                        crate::engine::cel::budget::DEFAULT_BUDGET
                    )),
            );
            None
        }
    }
}

fn glob(value: &Spanned<DeValue<'_>>, out: &mut Collector) -> Option<(String, GlobMatcher)> {
    let pattern = string(value, out)?;
    match Glob::new(&pattern) {
        Ok(glob) => Some((pattern, glob.compile_matcher())),
        Err(error) => {
            out.push(Problem::new(value.span(), format!("invalid pattern: {error}")).label("here"));
            None
        }
    }
}

/// A date (valid through that day, UTC) or a datetime.
fn expiry(value: &Spanned<DeValue<'_>>, out: &mut Collector) -> Option<(DateTime<Utc>, String)> {
    let written = match value.get_ref() {
        DeValue::Datetime(datetime) => datetime.to_string(),
        DeValue::String(text) => text.to_string(),
        _ => String::new(),
    };
    if let Ok(date) = NaiveDate::parse_from_str(&written, "%Y-%m-%d") {
        let end = date.and_hms_opt(0, 0, 0)? + Duration::days(1) - Duration::nanoseconds(1);
        return Some((end.and_utc(), written));
    }
    let time = crate::toml_reader::timestamp(value, out)?;
    Some((time.0, written))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(error: ConfigError) -> Vec<String> {
        error
            .diagnostics
            .iter()
            .map(|d| format!("{} {}", d.position(), d.problem.message))
            .collect()
    }

    fn parse(text: &str) -> Result<Config, Vec<String>> {
        let config =
            Config::parse(SourceText::new("regcheck.toml", text), Path::new(".")).map_err(messages)?;
        config.shape_problems().map_err(messages)?;
        Ok(config)
    }

    /// Problems of the shape and problems that need the rules come in one round.
    #[test]
    fn every_problem_is_reported_at_once() {
        let text = "fail_on = \"hihg\"\n[rules.\"ICR-XX-001\"]\nenabled = true\n[[waivers]]\nrule = \"ICR-YY-*\"\nreasn = \"x\"\nexpires = 2027-01-01\n";
        let config = Config::parse(SourceText::new("regcheck.toml", text), Path::new(".")).unwrap();
        let policies = crate::policy::builtin().unwrap();
        let problems = messages(config.check(&policies).unwrap_err());
        assert_eq!(
            problems,
            [
                "regcheck.toml:1:11 invalid fail_on `hihg`",
                "regcheck.toml:2:8 unknown rule id `ICR-XX-001`",
                "regcheck.toml:4:1 missing required key `reason` in [[waivers]]",
                "regcheck.toml:5:8 unknown rule id `ICR-YY-*`",
                "regcheck.toml:6:1 unknown key `reasn` in [[waivers]]",
            ]
        );
    }

    #[test]
    fn reads_the_documented_example() {
        let config = parse(
            r#"
fail_on = "high"
[rules."ICR-ACC-003"]
max_key_age_days = 60
[rules."ICR-IAM-004"]
enabled = false
[[waivers]]
rule = "ICR-DR-001"
subject = "namespace:us-south/shop-sandbox"
reason = "sandbox images are rebuilt from source on demand"
expires = 2027-01-31
owner = "platform-team"
"#,
        )
        .unwrap();
        assert_eq!(config.fail_on, Some(Some(Severity::High)));
        assert_eq!(
            config.rules["ICR-ACC-003"].params["max_key_age_days"],
            Data::Int(60)
        );
        assert_eq!(config.rules["ICR-IAM-004"].enabled, Some(false));
        let waiver = &config.waivers[0];
        assert!(waiver.matches("acc-1", "ICR-DR-001", "namespace:us-south/shop-sandbox"));
        assert!(!waiver.matches("acc-1", "ICR-DR-001", "namespace:us-south/shop-prod"));
        assert!(
            !waiver.is_expired("2027-01-31T23:00:00Z".parse().unwrap()),
            "valid through its last day"
        );
        assert!(waiver.is_expired("2027-02-01T00:00:00Z".parse().unwrap()));
        assert_eq!(waiver.position, "regcheck.toml:7:1");
    }

    #[test]
    fn reason_and_expiry_are_required_and_unknown_keys_flagged() {
        let errors = parse("[[waivers]]\nrule = \"ICR-*\"\nreasn = \"x\"\n").unwrap_err();
        assert_eq!(
            errors,
            [
                "regcheck.toml:1:1 missing required key `reason` in [[waivers]]",
                "regcheck.toml:1:1 missing required key `expires` in [[waivers]]",
                "regcheck.toml:3:1 unknown key `reasn` in [[waivers]]",
            ]
        );
    }

    #[test]
    fn globs_match_rule_ids_and_subjects() {
        let config = parse(
            "[[waivers]]\nrule = \"ICR-DR-*\"\nsubject = \"namespace:*/shop-sandbox\"\nreason = \"r\"\nexpires = 2027-01-31\n",
        )
        .unwrap();
        assert!(config.waivers[0].matches("acc-1", "ICR-DR-002", "namespace:eu-de/shop-sandbox"));
        assert!(!config.waivers[0].matches("acc-1", "ICR-VA-002", "namespace:eu-de/shop-sandbox"));
    }

    #[test]
    fn a_waiver_may_name_its_accounts() {
        let config = parse(
            "[[waivers]]\nrule = \"ICR-*\"\naccount = \"prod-*\"\nreason = \"r\"\nexpires = 2027-01-31\n",
        )
        .unwrap();
        let waiver = &config.waivers[0];
        assert_eq!(waiver.account.as_deref(), Some("prod-*"));
        assert!(waiver.matches("prod-eu", "ICR-DR-001", "namespace:us-south/x"));
        assert!(!waiver.matches("dev-eu", "ICR-DR-001", "namespace:us-south/x"));
        let everywhere =
            parse("[[waivers]]\nrule = \"ICR-*\"\nreason = \"r\"\nexpires = 2027-01-31\n").unwrap();
        assert!(
            everywhere.waivers[0].matches("dev-eu", "ICR-DR-001", "s"),
            "no account = every account"
        );
    }

    #[test]
    fn evaluation_budgets_are_positive_integers() {
        let config =
            parse("evaluation_budget = 20_000_000\n[rules.\"ACME-1\"]\nevaluation_budget = 5\n").unwrap();
        assert_eq!(config.evaluation_budget, Some(20_000_000));
        assert_eq!(config.budgets()["ACME-1"], 5);
        assert!(config.rules["ACME-1"].params.is_empty(), "not a parameter");
        let errors = parse("evaluation_budget = 0\n").unwrap_err();
        assert_eq!(errors, ["regcheck.toml:1:21 invalid evaluation_budget 0"]);
        assert!(parse("evaluation_budget = \"lots\"\n").is_err());
    }
}
