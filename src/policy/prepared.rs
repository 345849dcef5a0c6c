//! The built-in policies prepared ahead of time, so that an audit starts without parsing them.
//!
//! Reading the forty built-in policy files costs a TOML parse of some 160 KB at every start, most
//! of a small audit's time. [`INDEX`] holds what an audit reads from each file (metadata, checks
//! as source text with their offsets, parameters, docs), generated from the files by the loader
//! itself (`REGCHECK_BLESS=1 cargo test --lib prepared`): the files stay the one source of truth.
//! Each entry records a hash of the text it was made from; a file edited since is read from its
//! TOML as before (correct, only slower) until the index is regenerated, and a test fails until
//! then. The expressions are compiled when a rule first evaluates them, as for every trusted
//! built-in (see `Reading` in the parent module).

#[cfg(test)]
use std::fmt::Write as _;
#[cfg(test)]
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Check, Docs, FixSpec, FixSpecAction, Located, ParamSpec, Policy};
use crate::diagnostic::SourceText;
use crate::engine::cel::Expr;
use crate::engine::data::Data;
use crate::engine::jsonpath::JsonPath;
use crate::engine::template::Template;
use crate::findings::Severity;

#[rustfmt::skip]
#[path = "prepared_index.rs"]
mod generated;

pub(super) use generated::INDEX;

/// What an audit reads from one built-in policy file.
pub struct Prepared {
    /// The name the file is embedded under (`policies/bp/ICR-BP-001.toml`).
    pub file: &'static str,
    /// [`text_hash`] of the text this entry was made from.
    pub hash: u64,
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub responsibility: &'static str,
    pub params: &'static [PreparedParam],
    pub docs: PreparedDocs,
    pub checks: &'static [PreparedCheck],
}

pub struct PreparedParam {
    pub name: &'static str,
    pub default: PreparedValue,
    pub doc: &'static str,
}

/// A parameter default, as a constant. (Some kinds are made only when a built-in has such a
/// default.)
#[allow(dead_code)]
pub enum PreparedValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'static str),
    /// RFC 3339.
    Time(&'static str),
    List(&'static [PreparedValue]),
    Map(&'static [(&'static str, PreparedValue)]),
}

pub struct PreparedDocs {
    pub summary: &'static str,
    pub rationale: &'static str,
    pub remediation: &'static str,
    pub references: &'static [&'static str],
}

/// A check's texts, each with the byte offset where it starts in the policy file.
pub struct PreparedCheck {
    pub for_each: &'static str,
    pub when: Option<(&'static str, usize)>,
    pub assert: (&'static str, usize),
    pub subject: (&'static str, usize),
    pub message: (&'static str, usize),
    pub locate: Option<(&'static str, usize)>,
    pub fix: Option<PreparedFix>,
}

/// A check's `[fix]`: a command (and whether it is destructive) or a reason, and a region.
pub struct PreparedFix {
    pub command: Option<(&'static str, usize)>,
    pub destructive: bool,
    pub reason: Option<(&'static str, usize)>,
    pub region: Option<(&'static str, usize)>,
}

/// A hash of a policy file's text, to tell whether an index entry was made from it. Reads eight
/// bytes at a step: the forty files hash in some tens of microseconds.
pub fn text_hash(text: &str) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let bytes = text.as_bytes();
    let mut hash = 0xcbf2_9ce4_8422_2325 ^ bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for chunk in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = (hash ^ u64::from_le_bytes(word))
            .wrapping_mul(PRIME)
            .rotate_left(29);
    }
    for &byte in words.remainder() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(PRIME).rotate_left(29);
    }
    hash
}

/// The policy of an embedded built-in file from the index; `None` when the index has no entry
/// made from this text.
pub(super) fn policy(source: &SourceText) -> Option<Policy> {
    let entry = INDEX.iter().find(|entry| entry.file == source.name)?;
    if entry.hash != text_hash(&source.text) {
        return None;
    }
    let located_expr = |(text, offset): (&str, usize)| Located {
        value: Expr::deferred(text),
        offset,
    };
    let located_template = |(text, offset): (&str, usize)| Located {
        value: Template::parse_deferred(text),
        offset,
    };
    let checks = entry
        .checks
        .iter()
        .map(|check| {
            Some(Check {
                for_each: JsonPath::parse(check.for_each).ok()?,
                when: check.when.map(located_expr),
                assert: located_expr(check.assert),
                subject: located_template(check.subject),
                message: located_template(check.message),
                locate: check.locate.map(located_template),
                fix: match &check.fix {
                    None => None,
                    Some(fix) => Some(std::sync::Arc::new(FixSpec {
                        action: match (fix.command, fix.reason) {
                            (Some(command), _) => FixSpecAction::Command {
                                command: located_template(command),
                                destructive: fix.destructive,
                            },
                            (None, Some(reason)) => FixSpecAction::Reason(located_template(reason)),
                            (None, None) => return None,
                        },
                        region: fix.region.map(located_template),
                    })),
                },
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let params = entry
        .params
        .iter()
        .map(|param| {
            Some(ParamSpec {
                name: param.name.to_owned(),
                default: data(&param.default)?,
                doc: param.doc.to_owned(),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Policy {
        id: entry.id.to_owned(),
        title: entry.title.to_owned(),
        severity: entry.severity,
        responsibility: entry.responsibility.to_owned(),
        checks,
        params,
        docs: Docs {
            summary: entry.docs.summary.to_owned(),
            rationale: entry.docs.rationale.to_owned(),
            remediation: entry.docs.remediation.to_owned(),
            references: entry.docs.references.iter().map(|r| (*r).to_owned()).collect(),
        },
        tests: Vec::new(),
        source: source.clone(),
        builtin: true,
    })
}

fn data(value: &PreparedValue) -> Option<Data> {
    Some(match value {
        PreparedValue::Null => Data::Null,
        PreparedValue::Bool(flag) => Data::Bool(*flag),
        PreparedValue::Int(number) => Data::Int(*number),
        PreparedValue::Float(number) => Data::Float(*number),
        PreparedValue::Str(text) => Data::Str((*text).to_owned()),
        PreparedValue::Time(text) => Data::Time(DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc)),
        PreparedValue::List(items) => Data::List(items.iter().map(data).collect::<Option<_>>()?),
        PreparedValue::Map(entries) => Data::Map(
            entries
                .iter()
                .map(|(key, value)| Some(((*key).to_owned(), data(value)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

/// The Rust source of [`INDEX`] for these policies (the built-ins, read checked).
#[cfg(test)]
pub fn index_source(policies: &[Arc<Policy>]) -> String {
    let mut out = String::from(
        "// @generated from the files in policies/ by `REGCHECK_BLESS=1 cargo test --lib prepared`;\n\
         // do not edit. See src/policy/prepared.rs.\n\n\
         use super::{Prepared, PreparedCheck, PreparedDocs, PreparedFix, PreparedParam, PreparedValue};\n\
         use crate::findings::Severity;\n\n\
         pub static INDEX: &[Prepared] = &[\n",
    );
    let mut policies: Vec<&Arc<Policy>> = policies.iter().filter(|policy| policy.builtin).collect();
    policies.sort_by(|a, b| a.source.name.cmp(&b.source.name));
    for policy in policies {
        let located = |text: &str, offset: usize| format!("({text:?}, {offset})");
        let _ = writeln!(out, "    Prepared {{");
        let _ = writeln!(out, "        file: {:?},", policy.source.name);
        let _ = writeln!(out, "        hash: 0x{:016x},", text_hash(&policy.source.text));
        let _ = writeln!(out, "        id: {:?},", policy.id);
        let _ = writeln!(out, "        title: {:?},", policy.title);
        let _ = writeln!(out, "        severity: Severity::{:?},", policy.severity);
        let _ = writeln!(out, "        responsibility: {:?},", policy.responsibility);
        let _ = writeln!(out, "        params: &[");
        for param in &policy.params {
            let _ = writeln!(
                out,
                "            PreparedParam {{ name: {:?}, default: {}, doc: {:?} }},",
                param.name,
                value_source(&param.default),
                param.doc
            );
        }
        let _ = writeln!(out, "        ],");
        let _ = writeln!(out, "        docs: PreparedDocs {{");
        let _ = writeln!(out, "            summary: {:?},", policy.docs.summary);
        let _ = writeln!(out, "            rationale: {:?},", policy.docs.rationale);
        let _ = writeln!(out, "            remediation: {:?},", policy.docs.remediation);
        let _ = writeln!(out, "            references: &{:?},", policy.docs.references);
        let _ = writeln!(out, "        }},");
        let _ = writeln!(out, "        checks: &[");
        for check in &policy.checks {
            let when = check.when.as_ref().map_or("None".to_owned(), |when| {
                format!("Some({})", located(when.value.source(), when.offset))
            });
            let locate = check.locate.as_ref().map_or("None".to_owned(), |locate| {
                format!("Some({})", located(locate.value.source(), locate.offset))
            });
            let _ = writeln!(out, "            PreparedCheck {{");
            let _ = writeln!(out, "                for_each: {:?},", check.for_each.as_str());
            let _ = writeln!(out, "                when: {when},");
            let _ = writeln!(
                out,
                "                assert: {},",
                located(check.assert.value.source(), check.assert.offset)
            );
            let _ = writeln!(
                out,
                "                subject: {},",
                located(check.subject.value.source(), check.subject.offset)
            );
            let _ = writeln!(
                out,
                "                message: {},",
                located(check.message.value.source(), check.message.offset)
            );
            let _ = writeln!(out, "                locate: {locate},");
            let fix = check.fix.as_ref().map_or("None".to_owned(), |fix| {
                let some = |template: Option<&Located<Template>>| {
                    template.map_or("None".to_owned(), |template| {
                        format!("Some({})", located(template.value.source(), template.offset))
                    })
                };
                let (command, destructive, reason) = match &fix.action {
                    FixSpecAction::Command { command, destructive } => (Some(command), *destructive, None),
                    FixSpecAction::Reason(reason) => (None, false, Some(reason)),
                };
                format!(
                    "Some(PreparedFix {{ command: {}, destructive: {destructive}, reason: {}, region: {} }})",
                    some(command),
                    some(reason),
                    some(fix.region.as_ref())
                )
            });
            let _ = writeln!(out, "                fix: {fix},");
            let _ = writeln!(out, "            }},");
        }
        let _ = writeln!(out, "        ],");
        let _ = writeln!(out, "    }},");
    }
    out.push_str("];\n");
    out
}

#[cfg(test)]
fn value_source(value: &Data) -> String {
    match value {
        Data::Null => "PreparedValue::Null".to_owned(),
        Data::Bool(flag) => format!("PreparedValue::Bool({flag})"),
        Data::Int(number) => format!("PreparedValue::Int({number})"),
        Data::Float(number) if number.is_nan() => "PreparedValue::Float(f64::NAN)".to_owned(),
        Data::Float(number) if number.is_infinite() && *number > 0.0 => {
            "PreparedValue::Float(f64::INFINITY)".to_owned()
        }
        Data::Float(number) if number.is_infinite() => "PreparedValue::Float(f64::NEG_INFINITY)".to_owned(),
        Data::Float(number) => format!("PreparedValue::Float({number:?})"),
        Data::Str(text) => format!("PreparedValue::Str({text:?})"),
        Data::Time(time) => format!(
            "PreparedValue::Time({:?})",
            time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        ),
        Data::List(items) => format!(
            "PreparedValue::List(&[{}])",
            items.iter().map(value_source).collect::<Vec<_>>().join(", ")
        ),
        Data::Map(entries) => format!(
            "PreparedValue::Map(&[{}])",
            entries
                .iter()
                .map(|(key, value)| format!("({key:?}, {})", value_source(value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index is made from the policy files by the loader; regenerate it with
    /// `REGCHECK_BLESS=1 cargo test --lib prepared` after editing a built-in policy.
    #[test]
    fn prepared_index_matches_the_policy_files() {
        let policies = crate::policy::builtin_checked().expect("built-ins load");
        crate::test_support::assert_generated_file_is_current(
            "src/policy/prepared_index.rs",
            &index_source(&policies),
            "REGCHECK_BLESS=1 cargo test --lib prepared",
        );
    }

    #[test]
    fn every_builtin_comes_from_the_index_when_it_is_current() {
        if std::env::var_os("REGCHECK_BLESS").is_some() {
            return; // this build still has the index from before the bless
        }
        let mut sources = Vec::new();
        super::super::collect_embedded(&super::super::BUILTIN_POLICIES, &mut sources);
        for source in &sources {
            assert!(policy(source).is_some(), "{} is not in the index", source.name);
        }
        let edited = SourceText::new(sources[0].name.clone(), format!("{} ", sources[0].text));
        assert!(policy(&edited).is_none(), "an edited file is read from its text");
    }

    #[test]
    fn text_hash_sees_every_byte() {
        let text = "id = \"ICR-AT-001\"\ntitle = \"x\"\n";
        for at in 0..text.len() {
            let mut changed = text.as_bytes().to_vec();
            changed[at] ^= 1;
            let changed = String::from_utf8(changed).unwrap();
            assert_ne!(text_hash(text), text_hash(&changed), "byte {at}");
        }
        assert_ne!(text_hash(text), text_hash(&text[1..]));
    }
}
