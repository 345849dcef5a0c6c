//! Readers of the IAM and context-based-restriction files: the Public Access setting, access
//! groups and their members, access policies (v1 and v2), service ids, API keys, CBR rules.

use std::collections::HashMap;

use serde_json::Value;

use super::json::{self, At, Reader};
use super::model::{Capture, Entry, Field, Scope, SectionKind, Setting};
use crate::account::model::Enforcement;

/// `iam-ServiceId-…` and `iam-Profile-…` lose the `iam-` prefix; `IBMid-…` stays.
pub fn strip_iam(id: &str) -> String {
    match id.strip_prefix("iam-") {
        Some(rest) if rest.starts_with("ServiceId-") || rest.starts_with("Profile-") => rest.to_owned(),
        _ => id.to_owned(),
    }
}

fn id_entry(kind_id: &str, source: &str) -> Entry {
    Entry::new(kind_id, json::safe(kind_id), source).id("id", Field::str(kind_id))
}

/// `GET /v2/groups/settings`: `public_access_enabled`.
pub fn settings(r: &mut Reader<'_>, source: &str, capture: &mut Capture) {
    let root = r.root();
    match root.get("public_access_enabled") {
        Some(at) => {
            if let Some(flag) = r.boolean(&at) {
                capture.settings.push(Setting {
                    table: "iam",
                    key: "public_access_enabled",
                    value: Field::Bool(flag),
                    source: source.to_owned(),
                });
            }
        }
        None => r.missing(
            &root,
            "public_access_enabled",
            "the account setting of the Public Access group",
        ),
    }
}

/// `iam access-groups --output json`: each group's id and name.
pub fn access_groups(r: &mut Reader<'_>, source: &str, capture: &mut Capture) {
    let section = capture.section_mut(SectionKind::AccessGroups);
    section.judged.push((Scope::All, source.to_owned()));
    let root = r.root();
    let Some(list) = r.list(&root, &["groups"]) else {
        return;
    };
    for item in list.elements() {
        let Some(id) = r.req_str(&item, "id", "the access group's id") else {
            continue;
        };
        let mut entry = id_entry(&id, source);
        entry.set("name", r.opt_str(&item, "name").map(Field::Str));
        section.entries.push(entry);
    }
}

/// `{"<group id>": [members]}`: a member is an id string or an object with `iam_id` (or
/// `ibmUniqueId`, `id`); a value may also be `{"members": […]}`.
pub fn members(r: &mut Reader<'_>) -> Option<Vec<(String, Vec<String>)>> {
    let root = r.root();
    if !root.value.is_object() {
        r.error(
            &root,
            format!(
                "expected an object keyed by access group id, found {}",
                json::kind(root.value)
            ),
        );
        return None;
    }
    let mut out = Vec::new();
    for (group, value) in root.members() {
        let Some(list) = r.list(&value, &["members", "users", "service_ids", "serviceids"]) else {
            continue;
        };
        let mut ids = Vec::new();
        for member in list.elements() {
            let id = match member.value {
                Value::String(id) => Some(id.clone()),
                Value::Object(_) => match ["iam_id", "ibmUniqueId", "ibm_unique_id", "id"]
                    .iter()
                    .find_map(|key| member.get(key))
                {
                    Some(at) => r.string(&at),
                    None => {
                        r.missing(&member, "iam_id", "the member's IAM id");
                        None
                    }
                },
                other => {
                    r.error(
                        &member,
                        format!(
                            "expected a member (an id or an object), found {}",
                            json::kind(other)
                        ),
                    );
                    None
                }
            };
            if let Some(id) = id {
                ids.push(strip_iam(&id));
            }
        }
        out.push((group.to_owned(), ids));
    }
    Some(out)
}

/// Sets `members` of every group the members map names; a group it does not name keeps its
/// members. Groups only the map names update an existing entry but add none.
pub fn apply_members(members: Vec<(String, Vec<String>)>, source: &str, capture: &mut Capture) {
    let section = capture.section_mut(SectionKind::AccessGroups);
    let index: HashMap<String, usize> = section
        .entries
        .iter()
        .enumerate()
        .map(|(i, entry)| (entry.key.clone(), i))
        .collect();
    for (group, ids) in members {
        match index.get(&group) {
            Some(&i) => section.entries[i].set("members", Some(Field::strings(ids))),
            None => {
                let mut entry = id_entry(&group, source);
                entry.set("members", Some(Field::strings(ids)));
                entry.add = false;
                section.entries.push(entry);
            }
        }
    }
}

/// The `[{name|key, operator, value}]` attributes of a v1 or v2 policy part.
struct Attribute {
    name: String,
    operator: Option<String>,
    value: String,
}

fn attributes(r: &mut Reader<'_>, list: &At<'_>) -> Vec<Attribute> {
    let mut out = Vec::new();
    if !list.value.is_array() {
        r.error(
            list,
            format!("expected a list of attributes, found {}", json::kind(list.value)),
        );
        return out;
    }
    for item in list.elements() {
        let name = match item.get("name").or_else(|| item.get("key")) {
            Some(at) => r.string(&at),
            None => {
                r.missing(&item, "key", "the attribute's name (`key`, or `name` in v1)");
                None
            }
        };
        let value = match item.get("value") {
            Some(at) => match at.value {
                Value::String(text) => Some(text.clone()),
                Value::Bool(flag) => Some(flag.to_string()),
                other => {
                    r.error(&at, format!("expected a string, found {}", json::kind(other)));
                    None
                }
            },
            None => {
                r.missing(&item, "value", "the attribute's value");
                None
            }
        };
        let operator = item
            .get("operator")
            .and_then(|at| at.value.as_str().map(str::to_owned));
        if let (Some(name), Some(value)) = (name, value) {
            out.push(Attribute {
                name,
                operator,
                value,
            });
        }
    }
    out
}

const CONDITIONAL: &str =
    "kept as written: this policy has conditions (`rule` or `pattern`) that regcheck does not evaluate";
const WILDCARD: &str =
    "kept as written: a resource attribute is a `stringMatch` wildcard, compared as written";

/// `iam access-policies --output json --api-version v2` (or a v1 listing): the policies that
/// touch container-registry or every service.
pub fn policies(r: &mut Reader<'_>, source: &str, capture: &mut Capture) {
    let section = capture.section_mut(SectionKind::Policies);
    section.judged.push((Scope::All, source.to_owned()));
    let root = r.root();
    let Some(list) = r.list(&root, &["policies"]) else {
        return;
    };
    for item in list.elements() {
        if !item.value.is_object() {
            r.error(
                &item,
                format!("expected a policy (an object), found {}", json::kind(item.value)),
            );
            continue;
        }
        if item
            .get("type")
            .and_then(|at| at.value.as_str().map(|t| t.eq_ignore_ascii_case("authorization")))
            == Some(true)
        {
            continue;
        }
        if let Some(state) = item
            .get("state")
            .and_then(|at| at.value.as_str().map(str::to_owned))
            && !state.eq_ignore_ascii_case("active")
        {
            continue;
        }
        let Some(id) = r.req_str(&item, "id", "the policy's id") else {
            continue;
        };
        let v2 = item.get("control").is_some() || item.get("subject").is_some();
        let (subject_attributes, roles_at, resource_attributes) = if v2 {
            let subject = item.get("subject").and_then(|s| s.get("attributes"));
            let roles = item
                .get("control")
                .and_then(|c| c.get("grant"))
                .and_then(|g| g.get("roles"));
            let resource = item.get("resource").and_then(|s| s.get("attributes"));
            if subject.is_none() {
                r.missing(&item, "subject", "the policy's subject (`subject.attributes`)");
            }
            if roles.is_none() {
                r.missing(&item, "control", "the policy's roles (`control.grant.roles`)");
            }
            (subject, roles, resource)
        } else {
            let subject = item
                .get("subjects")
                .and_then(|s| s.elements().next())
                .and_then(|s| s.get("attributes"));
            let roles = item.get("roles");
            let resource = item
                .get("resources")
                .and_then(|s| s.elements().next())
                .and_then(|s| s.get("attributes"));
            if subject.is_none() {
                r.missing(
                    &item,
                    "subjects",
                    "the policy's subject (`subjects[0].attributes`)",
                );
            }
            if roles.is_none() {
                r.missing(&item, "roles", "the policy's roles");
            }
            (subject, roles, resource)
        };
        let (Some(subject_attributes), Some(roles_at)) = (subject_attributes, roles_at) else {
            continue;
        };
        let resource = resource_attributes
            .map(|at| attributes(r, &at))
            .unwrap_or_default();
        let resource_value = |name: &str| resource.iter().find(|a| a.name == name).map(|a| a.value.clone());
        if let Some(service) = resource_value("serviceName")
            && service != "container-registry"
        {
            continue;
        }
        let subject = attributes(r, &subject_attributes)
            .into_iter()
            .find(|a| a.name == "access_group_id" || a.name == "iam_id")
            .map(|a| strip_iam(&a.value));
        let Some(subject) = subject else {
            r.missing(
                &subject_attributes,
                "access_group_id",
                "the subject (an `access_group_id` or `iam_id` attribute)",
            );
            continue;
        };
        let mut roles = Vec::new();
        if !roles_at.value.is_array() {
            r.error(
                &roles_at,
                format!("expected a list of roles, found {}", json::kind(roles_at.value)),
            );
            continue;
        }
        let mut refused = false;
        for role in roles_at.elements() {
            let Some(role_id) = r.req_str(&role, "role_id", "the role's CRN") else {
                continue;
            };
            let name = role_id.rsplit(':').next().unwrap_or(&role_id).to_owned();
            if name == "UnsupportedVersion" {
                r.error(&role, "a v1 listing shows this v2 policy as a placeholder (role `UnsupportedVersion`): list the policies with `ibmcloud iam access-policies --output json --api-version v2`");
                refused = true;
                break;
            }
            roles.push(name);
        }
        if refused {
            continue;
        }
        let mut entry = id_entry(&id, source);
        entry.set("subject", Some(Field::Str(subject)));
        entry.set("roles", Some(Field::strings(roles)));
        for (attribute, key) in [
            ("serviceName", "service"),
            ("region", "region"),
            ("resourceType", "resource_type"),
            ("resource", "resource"),
            ("resourceGroupId", "resource_group"),
        ] {
            entry.set(
                key,
                Some(Field::Str(resource_value(attribute).unwrap_or_default())),
            );
        }
        if item.get("rule").is_some() || item.get("pattern").is_some() {
            entry.note = Some(CONDITIONAL);
        } else if resource.iter().any(|a| {
            a.operator
                .as_deref()
                .is_some_and(|o| o.eq_ignore_ascii_case("stringMatch"))
        }) {
            entry.note = Some(WILDCARD);
        }
        section.entries.push(entry);
    }
}

/// `iam service-ids --output json`: each service id's id and name.
pub fn service_ids(r: &mut Reader<'_>, source: &str, capture: &mut Capture) {
    let section = capture.section_mut(SectionKind::ServiceIds);
    section.judged.push((Scope::All, source.to_owned()));
    let root = r.root();
    let Some(list) = r.list(&root, &["serviceids", "service_ids"]) else {
        return;
    };
    for item in list.elements() {
        let Some(id) = r.req_str(&item, "id", "the service id") else {
            continue;
        };
        let mut entry = id_entry(&id, source);
        entry.set("name", r.opt_str(&item, "name").map(Field::Str));
        section.entries.push(entry);
    }
}

/// `iam api-keys` / `iam service-api-keys --all`: owner, creation, expiry, last use. The key's
/// value never appears in these listings, and is never read if it does.
pub fn api_keys(r: &mut Reader<'_>, source: &str, scope: Scope, capture: &mut Capture) {
    let section = capture.section_mut(SectionKind::ApiKeys);
    section.judged.push((scope, source.to_owned()));
    let root = r.root();
    let Some(list) = r.list(&root, &["apikeys", "api_keys"]) else {
        return;
    };
    for item in list.elements() {
        let Some(id) = r.req_str(&item, "id", "the API key's id") else {
            continue;
        };
        let mut entry = id_entry(&id, source);
        entry.set(
            "owner",
            r.opt_str(&item, "iam_id")
                .map(|owner| Field::Str(strip_iam(&owner))),
        );
        entry.set(
            "created_at",
            item.get("created_at").and_then(|at| r.time(&at)).map(Field::Time),
        );
        // Absent: the key never expires.
        entry.set(
            "expires_at",
            item.get("expires_at").and_then(|at| r.time(&at)).map(Field::Time),
        );
        // Absent: activity is not reported; what an earlier import saw stays.
        if let Some(at) = item.get("activity").and_then(|a| a.get("last_authn")) {
            entry.set("last_used_at", r.time(&at).map(Field::Time));
        }
        section.entries.push(entry);
    }
}

/// `cbr rules --service-name container-registry --output json`: rules whose resource names
/// container-registry.
pub fn cbr_rules(r: &mut Reader<'_>, source: &str, capture: &mut Capture) {
    let section = capture.section_mut(SectionKind::CbrRules);
    section.judged.push((Scope::All, source.to_owned()));
    let root = r.root();
    let Some(list) = r.list(&root, &["rules"]) else {
        return;
    };
    for item in list.elements() {
        let Some(id) = r.req_str(&item, "id", "the rule's id") else {
            continue;
        };
        let mut resource = None;
        if let Some(resources) = item.get("resources") {
            for candidate in resources.elements() {
                let Some(list) = candidate.get("attributes") else {
                    continue;
                };
                let found = attributes(r, &list);
                if found
                    .iter()
                    .any(|a| a.name == "serviceName" && a.value == "container-registry")
                {
                    resource = Some(found);
                    break;
                }
            }
        }
        let Some(resource) = resource else { continue };
        let value = |name: &str| resource.iter().find(|a| a.name == name).map(|a| a.value.clone());
        let region = value("region").or_else(|| {
            value("geography")
                .filter(|g| g == "global")
                .map(|_| "global".to_owned())
        });
        let mut contexts = Vec::new();
        if let Some(list) = item.get("contexts") {
            for context in list.elements() {
                let Some(attrs) = context.get("attributes") else {
                    r.missing(&context, "attributes", "the context's attributes");
                    continue;
                };
                let pairs: Vec<String> = attributes(r, &attrs)
                    .into_iter()
                    .map(|a| format!("{}={}", a.name, a.value))
                    .collect();
                contexts.push(pairs.join(","));
            }
        }
        let mut entry = id_entry(&id, source);
        entry.set(
            "enforcement",
            r.opt_str(&item, "enforcement_mode")
                .map(Field::choice::<Enforcement>),
        );
        entry.set("region", Some(Field::Str(region.unwrap_or_default())));
        entry.set(
            "resource_type",
            Some(Field::Str(value("resourceType").unwrap_or_default())),
        );
        entry.set(
            "resource",
            Some(Field::Str(value("resource").unwrap_or_default())),
        );
        entry.set("contexts", Some(Field::strings(contexts)));
        section.entries.push(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::strip_iam;

    #[test]
    fn only_service_id_and_profile_lose_the_iam_prefix() {
        assert_eq!(strip_iam("iam-ServiceId-9f8e"), "ServiceId-9f8e");
        assert_eq!(strip_iam("iam-Profile-1a2b"), "Profile-1a2b");
        assert_eq!(strip_iam("IBMid-5500ABC"), "IBMid-5500ABC");
        assert_eq!(strip_iam("iam-other"), "iam-other");
    }
}
