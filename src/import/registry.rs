//! Readers of a region's registry files: plan, quota, private-only, VA version, namespaces,
//! retention policies and VA exemptions.

use std::collections::HashMap;

use super::json::{self, At, Reader};
use super::model::{Capture, Entry, Field, Scope, Section, SectionKind};
use crate::diagnostic::Problem;

/// The `[[registries]]` entry of a region folder; the files fill its keys.
pub fn registry_entry(region: &str, source: &str) -> Entry {
    Entry::new(region, region, source).id("region", Field::str(region))
}

/// `cr plan --output json`: `{"plan": "Standard"}` (or the bare string).
pub fn plan(r: &mut Reader<'_>) -> Option<String> {
    let root = r.root();
    match root.value {
        serde_json::Value::String(plan) => Some(plan.clone()),
        serde_json::Value::Object(_) => match root.get_ci("plan") {
            Some(at) => r.string(&at),
            None => {
                r.missing(&root, "plan", "the registry plan");
                None
            }
        },
        other => {
            r.error(
                &root,
                format!("expected an object with `plan`, found {}", json::kind(other)),
            );
            None
        }
    }
}

const MB: i64 = 1_048_576;

/// `cr quota --output json`: `limit` and `usage`, each with `storage_bytes` (or `store`) and
/// `traffic_bytes` (or `traffic`), in bytes; written in MB, rounded down.
pub fn quota(r: &mut Reader<'_>) -> Option<Field> {
    let root = r.root();
    if !root.value.is_object() {
        r.error(
            &root,
            format!("expected an object, found {}", json::kind(root.value)),
        );
        return None;
    }
    let mut figure = |group: &str, names: [&str; 2]| -> Option<Field> {
        let group = root.get_ci(group)?;
        let at = names.iter().find_map(|name| group.get_ci(name))?;
        let bytes = r.count(&at)?;
        if bytes < 0 {
            r.error(&at, format!("a negative size ({bytes}) is not a quota figure"));
            return None;
        }
        Some(Field::Int(bytes / MB))
    };
    Some(Field::Record(vec![
        ("storage_limit_mb", figure("limit", ["storage_bytes", "store"])),
        ("storage_used_mb", figure("usage", ["storage_bytes", "store"])),
        ("traffic_limit_mb", figure("limit", ["traffic_bytes", "traffic"])),
        ("traffic_used_mb", figure("usage", ["traffic_bytes", "traffic"])),
    ]))
}

/// The lines of a text capture that say something (not blank, not the CLI's `OK`).
fn meaningful_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').filter_map(move |line| {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim().trim_start_matches('\u{feff}');
        (!trimmed.is_empty() && !trimmed.eq_ignore_ascii_case("ok")).then_some((start, trimmed))
    })
}

/// `cr private-only --status` (text): whether private-only is enabled.
pub fn private_only(text: &str) -> Result<bool, Problem> {
    let mut verdict = None;
    for (_, line) in meaningful_lines(text) {
        let lower = line.to_ascii_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
            .filter(|w| !w.is_empty())
            .collect();
        // IBM documents the command, not its wording: accept the setting's own words and the
        // docs' phrasing ("public connections are prevented"), with a negation winning.
        let negated = words.iter().any(|w| {
            matches!(
                *w,
                "not" | "disabled" | "false" | "off" | "allowed" | "permitted" | "reinstated"
            )
        });
        let positive = words.iter().any(|w| {
            matches!(
                *w,
                "enabled" | "true" | "on" | "enforced" | "prevented" | "blocked"
            )
        });
        if negated || positive {
            verdict = Some(!negated);
            break;
        }
    }
    verdict.ok_or_else(|| {
        Problem::new(0..text.len().min(1), "cannot tell whether private-only is enabled")
            .help("expected the output of `ibmcloud cr private-only --status`, saying enabled or disabled (true or false)")
    })
}

/// `cr va-version` (text): `v3` or `v4`, from a `v4` token or `version 4`.
pub fn va_version(text: &str) -> Result<String, Problem> {
    for (_, line) in meaningful_lines(text) {
        let lower = line.to_ascii_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        for (i, word) in words.iter().enumerate() {
            if let Some(digits) = word.strip_prefix('v')
                && !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Ok(format!("v{digits}"));
            }
            if *word == "version"
                && let Some(next) = words.get(i + 1)
                && next.bytes().all(|b| b.is_ascii_digit())
            {
                return Ok(format!("v{next}"));
            }
        }
    }
    Err(Problem::new(
        0..text.len().min(1),
        "cannot find the Vulnerability Advisor version",
    )
    .help("expected the output of `ibmcloud cr va-version`, naming `v4` (or `v3`)"))
}

/// `cr namespace-list -v --output json`: each namespace's name and resource group (a plain
/// name list without `-v` gives names only).
pub fn namespaces(r: &mut Reader<'_>, region: &str, source: &str, section: &mut Section) {
    section
        .judged
        .push((Scope::Region(region.to_owned()), source.to_owned()));
    let root = r.root();
    let Some(list) = r.list(&root, &["namespaces"]) else {
        return;
    };
    for item in list.elements() {
        let (name, resource_group) = match item.value {
            serde_json::Value::String(name) => (Some(name.clone()), None),
            serde_json::Value::Object(_) => {
                let name = match item.get_ci("name").or_else(|| item.get_ci("namespace")) {
                    Some(at) => r.string(&at),
                    None => {
                        r.missing(&item, "name", "the namespace's name");
                        None
                    }
                };
                let group = item
                    .get_ci("resource_group")
                    .or_else(|| item.get_ci("resource_group_id"))
                    .and_then(|at| r.string(&at));
                (name, Some(group))
            }
            other => {
                r.error(
                    &item,
                    format!(
                        "expected a namespace (an object or a name), found {}",
                        json::kind(other)
                    ),
                );
                continue;
            }
        };
        let Some(name) = name else { continue };
        let mut entry = namespace_entry(region, &name, source);
        if let Some(group) = resource_group {
            entry.set("resource_group", group.map(Field::Str));
        }
        section.entries.push(entry);
    }
}

fn namespace_entry(region: &str, name: &str, source: &str) -> Entry {
    Entry::new(
        format!("{region}/{name}"),
        format!("{region}/{}", json::safe(name)),
        source,
    )
    .id("name", Field::str(name))
    .id("region", Field::str(region))
}

/// `cr retention-policy-list --output json`: namespace → the `retention` record.
pub fn retention(r: &mut Reader<'_>) -> HashMap<String, Field> {
    let mut out = HashMap::new();
    let root = r.root();
    let Some(list) = r.list(&root, &["policies", "retention_policies", "namespaces"]) else {
        return out;
    };
    for item in list.elements() {
        let Some(namespace) = r.req_str(&item, "namespace", "the namespace the policy is attached to") else {
            continue;
        };
        let images_per_repo = match item.get_ci("images_per_repo") {
            Some(at) => r.count(&at),
            None => None,
        };
        let retain_untagged = item.get_ci("retain_untagged").and_then(|at| r.boolean(&at));
        let threshold = item.get_ci("deletion_threshold_days").and_then(|at| r.count(&at));
        out.insert(
            namespace,
            Field::Record(vec![
                ("images_per_repo", images_per_repo.map(Field::Int)),
                ("retain_untagged", retain_untagged.map(Field::Bool)),
                ("deletion_threshold_days", threshold.map(Field::Int)),
            ]),
        );
    }
    out
}

/// Sets every namespace's `retention` (removed where the list has none). Namespaces that only
/// the retention list names update an existing entry but add none.
pub fn apply_retention(
    region: &str,
    mut retention: HashMap<String, Field>,
    source: &str,
    section: &mut Section,
) {
    for entry in &mut section.entries {
        let name = entry
            .identity
            .iter()
            .find_map(|(key, value)| match (key, value) {
                (&"name", Field::Str(name)) => Some(name.clone()),
                _ => None,
            })
            .unwrap_or_default();
        entry.set("retention", retention.remove(&name));
    }
    let mut rest: Vec<(String, Field)> = retention.into_iter().collect();
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, record) in rest {
        let mut entry = namespace_entry(region, &name, source);
        entry.set("retention", Some(record));
        entry.add = false;
        section.entries.push(entry);
    }
}

/// `cr exemption-list --output json`: each exemption's scope, issue type and id.
pub fn exemptions(r: &mut Reader<'_>, region: &str, source: &str, capture: &mut Capture) {
    let section = capture.section_mut(SectionKind::Exemptions);
    section
        .judged
        .push((Scope::Region(region.to_owned()), source.to_owned()));
    let root = r.root();
    let Some(list) = r.list(&root, &["exemptions"]) else {
        return;
    };
    for item in list.elements() {
        let scope = match item.get_ci("scope") {
            Some(at) => exemption_scope(r, &at),
            None => {
                r.missing(&item, "scope", "the exemption's scope");
                None
            }
        };
        let issue_type = r.req_str(
            &item,
            "issue_type",
            "the issue type (`cve`, `sn` or `configuration`)",
        );
        let issue_id = r.req_str(&item, "issue_id", "the issue id");
        let (Some(scope), Some(issue_type), Some(issue_id)) = (scope, issue_type, issue_id) else {
            continue;
        };
        let key = [region, &scope, &issue_type, &issue_id].join("\u{1f}");
        let label = format!(
            "{region} {} {}:{}",
            json::safe(&scope),
            json::safe(&issue_type),
            json::safe(&issue_id)
        );
        let entry = Entry::new(key, label, source)
            .id("region", Field::str(region))
            .id("scope", Field::Str(scope))
            .id("issue_type", Field::Str(issue_type))
            .id("issue_id", Field::Str(issue_id));
        section.entries.push(entry);
    }
}

/// `scope.scope_type`: account → `*`, namespace → `ns`, repository → `ns/repo`, image →
/// `ns/repo:tag` (or `@digest`).
fn exemption_scope(r: &mut Reader<'_>, scope: &At<'_>) -> Option<String> {
    let scope_type = r.req_str(
        scope,
        "scope_type",
        "the scope type (account, namespace, repository or image)",
    )?;
    let mut part = |key: &str, what: &str| r.req_str(scope, key, what);
    match scope_type.to_ascii_lowercase().as_str() {
        "account" => Some("*".to_owned()),
        "namespace" => part("namespace", "the exempted namespace"),
        "repository" => {
            let namespace = part("namespace", "the exempted namespace");
            let repository = part("repository", "the exempted repository");
            Some(format!("{}/{}", namespace?, repository?))
        }
        "image" => {
            let namespace = part("namespace", "the exempted namespace");
            let repository = part("repository", "the exempted repository");
            let (namespace, repository) = (namespace?, repository?);
            if let Some(tag) = scope
                .get("tag")
                .and_then(|at| r.string(&at))
                .filter(|t| !t.is_empty())
            {
                return Some(format!("{namespace}/{repository}:{tag}"));
            }
            match scope
                .get("digest")
                .and_then(|at| r.string(&at))
                .filter(|d| !d.is_empty())
            {
                Some(digest) => Some(format!("{namespace}/{repository}@{digest}")),
                None => {
                    r.missing(scope, "tag", "the exempted image's tag (or `digest`)");
                    None
                }
            }
        }
        _ => {
            if let Some(at) = scope.get("scope_type") {
                r.error(
                    &at,
                    format!(
                        "unknown scope type `{}`: expected account, namespace, repository or image",
                        json::safe(&scope_type)
                    ),
                );
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_only_reads_enabled_and_disabled_wordings() {
        for (text, expect) in [
            ("OK\nPrivate-only is enabled.\n", true),
            ("Private only: true\n", true),
            ("private-only is not enabled for this account\nOK\n", false),
            ("Disabled\n", false),
            ("false", false),
            (
                "Image pushes and pulls over public connections are prevented for your account in the targeted region.\n",
                true,
            ),
            (
                "Public connections are not prevented for image pushes or pulls.\n",
                false,
            ),
            (
                "Image pushes and pulls over public connections are allowed.\n",
                false,
            ),
        ] {
            assert_eq!(private_only(text), Ok(expect), "{text}");
        }
        assert!(private_only("OK\n").is_err());
    }

    #[test]
    fn va_version_reads_a_token_or_a_number() {
        for (text, expect) in [
            ("v4\n", "v4"),
            ("OK\nVulnerability Advisor version: v3\n", "v3"),
            ("You are using Vulnerability Advisor version 4.\n", "v4"),
        ] {
            assert_eq!(va_version(text).as_deref(), Ok(expect), "{text}");
        }
        assert!(va_version("nothing here").is_err());
    }
}
