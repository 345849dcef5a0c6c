//! The tool's config file, `regcheck.toml` (`cli.md`): the gate threshold, extra policy folders,
//! per-rule settings and waivers. Read with spans like every other file, in two phases as
//! cargo-deny does: the shape first, then everything that needs the loaded policies (rule ids,
//! parameter names and types), all problems reported together.

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
    pub rules: BTreeMap<String, RuleSettings>,
    pub waivers: Vec<Waiver>,
}

#[derive(Debug, Default)]
pub struct RuleSettings {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
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
    rule_span: Range<usize>,
}

impl Waiver {
    pub fn matches(&self, rule_id: &str, subject: &str) -> bool {
        self.rule_matcher.is_match(rule_id)
            && self
                .subject_matcher
                .as_ref()
                .is_none_or(|matcher| matcher.is_match(subject))
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

    /// Reads the file's shape; ids and parameters are checked later by [`Config::check`].
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
        let rules = top.optional("rules", &mut out, |v, out| rules_table(text, v, out));
        let waivers = top.optional(
            "waivers",
            &mut out,
            array(|v, out| waiver(text, &source.name, v, out)),
        );
        top.finish(&mut out);
        if !out.problems.is_empty() {
            return Err(fail(out.problems));
        }
        Ok(Config {
            fail_on: fail_on.flatten(),
            policies: policies
                .flatten()
                .unwrap_or_default()
                .into_iter()
                .map(|dir| base.join(dir))
                .collect(),
            rules: rules.flatten().unwrap_or_default(),
            waivers: waivers.flatten().unwrap_or_default(),
            source: Some(source),
        })
    }

    /// Checks rule ids, waiver rule patterns and parameter names and types against the policies.
    pub fn check(&self, policies: &[std::sync::Arc<Policy>]) -> Result<(), ConfigError> {
        let Some(source) = &self.source else { return Ok(()) };
        let ids = || policies.iter().map(|p| p.id.as_str());
        let mut problems = Vec::new();
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
        for waiver in &self.waivers {
            if !ids().any(|id| waiver.rule_matcher.is_match(id)) {
                problems.push(unknown_id(waiver.rule_span.clone(), &waiver.rule));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError {
                diagnostics: problems
                    .into_iter()
                    .map(|p| FileDiagnostic::error(source.clone(), p))
                    .collect(),
            })
        }
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

fn waiver(text: &str, file: &str, value: &Spanned<DeValue<'_>>, out: &mut Collector) -> Option<Waiver> {
    let mut t = TableReader::open(value, "[[waivers]]", text, out)?;
    let rule = t.required("rule", out, |v, out| {
        glob(v, out).map(|(text, matcher)| (text, matcher, v.span()))
    });
    let subject = t.optional("subject", out, glob);
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
    let (rule, rule_matcher, rule_span) = rule?;
    let (expires, expires_text) = expires?;
    let (subject, subject_matcher) = match subject? {
        Some((text, matcher)) => (Some(text), Some(matcher)),
        None => (None, None),
    };
    Some(Waiver {
        rule,
        subject,
        reason: reason?,
        expires,
        expires_text,
        owner: owner?,
        position: format!("{file}:{line}:{column}"),
        rule_matcher,
        subject_matcher,
        rule_span,
    })
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

    fn parse(text: &str) -> Result<Config, Vec<String>> {
        Config::parse(SourceText::new("regcheck.toml", text), Path::new(".")).map_err(|error| {
            error
                .diagnostics
                .iter()
                .map(|d| format!("{} {}", d.position(), d.problem.message))
                .collect()
        })
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
        assert!(waiver.matches("ICR-DR-001", "namespace:us-south/shop-sandbox"));
        assert!(!waiver.matches("ICR-DR-001", "namespace:us-south/shop-prod"));
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
        assert!(config.waivers[0].matches("ICR-DR-002", "namespace:eu-de/shop-sandbox"));
        assert!(!config.waivers[0].matches("ICR-VA-002", "namespace:eu-de/shop-sandbox"));
    }
}
