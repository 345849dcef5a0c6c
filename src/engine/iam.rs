//! IAM vocabulary for the helpers: subject kinds, roles, policy scope and access-group
//! expansion (`rules.md`, "Terms used below"). Plain functions over [`Data`], tested here.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::data::Data;

/// The id of IBM's Public Access group.
pub const PUBLIC_ACCESS_GROUP: &str = "AccessGroupId-PublicAccess";

/// What kind of IAM subject an id names.
pub fn subject_kind(subject: &str) -> &'static str {
    if subject.starts_with("AccessGroupId-") {
        "access_group"
    } else if subject.starts_with("ServiceId-") || subject.starts_with("iam-ServiceId-") {
        "service_id"
    } else if subject.starts_with("Profile-") || subject.starts_with("iam-Profile-") {
        "trusted_profile"
    } else if subject.starts_with("IBMid-") || subject.starts_with("iam-IBMid-") || is_email(subject) {
        "user"
    } else {
        "unknown"
    }
}

fn is_email(text: &str) -> bool {
    text.split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.starts_with('.'))
}

/// The role a name or CRN grants, normalised: `Manager`, `Writer`, `Reader`, `Administrator`,
/// `Editor`, `Operator`, `Viewer`; unknown names are returned as written.
pub fn role_name(role: &str) -> String {
    let name = role.rsplit([':', '/']).next().unwrap_or(role).trim();
    const KNOWN: [&str; 7] = [
        "Manager",
        "Writer",
        "Reader",
        "Administrator",
        "Editor",
        "Operator",
        "Viewer",
    ];
    KNOWN
        .iter()
        .find(|known| known.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_owned(), |known| (*known).to_owned())
}

/// Whether a list of roles (names or CRNs) includes `role`.
pub fn has_role(roles: &Data, role: &str) -> Result<bool, String> {
    let roles = roles.as_list().ok_or("roles must be a list")?;
    let wanted = role_name(role);
    Ok(roles
        .iter()
        .filter_map(Data::as_str)
        .any(|r| role_name(r) == wanted))
}

fn text_field<'a>(policy: &'a Data, key: &str) -> Option<&'a str> {
    policy.get(key).and_then(Data::as_str)
}

/// `container-registry` or `""` (all IAM-enabled services). An absent service is unknown and
/// is an error: a rule must not guess.
pub fn is_registry_policy(policy: &Data) -> Result<bool, String> {
    match policy.get("service") {
        Some(Data::Str(service)) => Ok(service.is_empty() || service == "container-registry"),
        Some(other) => Err(format!(
            "policy service must be a string, got {}",
            other.type_name()
        )),
        None => Err(format!(
            "policy {} has no `service`",
            text_field(policy, "id").unwrap_or("?")
        )),
    }
}

/// Account-wide: a registry policy with no resource type, resource or resource group
/// (a region may be set). Absent scope fields count as empty.
pub fn is_account_wide(policy: &Data) -> Result<bool, String> {
    let empty = |key| text_field(policy, key).is_none_or(str::is_empty);
    Ok(is_registry_policy(policy)? && empty("resource_type") && empty("resource") && empty("resource_group"))
}

/// The access groups that list `identity` as a member.
pub fn groups_of<'a>(iam: &'a Data, identity: &str) -> Vec<&'a str> {
    list(iam, "access_groups")
        .iter()
        .filter(|group| {
            list(group, "members")
                .iter()
                .any(|member| member.as_str() == Some(identity))
        })
        .filter_map(|group| text_field(group, "id"))
        .collect()
}

/// The list under `key`, empty when there is none.
pub(super) fn list<'a>(data: &'a Data, key: &str) -> &'a [Data] {
    data.get(key).and_then(Data::as_list).unwrap_or_default()
}

/// An identity's policies: its own, plus those of every access group listing it as a member.
pub fn identity_policies(iam: &Data, identity: &str) -> Vec<Data> {
    let groups = groups_of(iam, identity);
    list(iam, "policies")
        .iter()
        .filter(|policy| {
            text_field(policy, "subject")
                .is_some_and(|subject| subject == identity || groups.contains(&subject))
        })
        .cloned()
        .collect()
}

/// Distinct subjects holding Manager through an account-wide policy; access groups are expanded
/// to their members, and a group without members counts as itself.
pub fn account_wide_managers(iam: &Data) -> Result<Vec<String>, String> {
    // Each group's members by its id, gathered once: looking the group up among all groups for
    // every policy made a large account's cost policies × groups (half a second at 100k images).
    let mut members_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for group in list(iam, "access_groups") {
        if let Some(id) = text_field(group, "id") {
            members_of
                .entry(id)
                .or_default()
                .extend(list(group, "members").iter().filter_map(Data::as_str));
        }
    }
    let mut managers = BTreeSet::new();
    // A group is expanded once, however many policies name it.
    let mut expanded = HashSet::new();
    let no_roles = Data::List(Vec::new());
    for policy in list(iam, "policies") {
        let roles = policy.get("roles").unwrap_or(&no_roles);
        if !(is_account_wide(policy)? && has_role(roles, "Manager")?) {
            continue;
        }
        let Some(subject) = text_field(policy, "subject") else {
            continue;
        };
        if subject_kind(subject) != "access_group" {
            managers.insert(subject.to_owned());
        } else if expanded.insert(subject) {
            match members_of.get(subject) {
                Some(members) if !members.is_empty() => {
                    managers.extend(members.iter().map(|member| (*member).to_owned()));
                }
                _ => {
                    managers.insert(subject.to_owned());
                }
            }
        }
    }
    Ok(managers.into_iter().collect())
}

/// Whether a registry policy grants access to namespace `name` in `region` (whose resource
/// group is `resource_group`): scoped to that namespace, to its resource group, or account-wide.
/// A policy with a region covers only that region.
pub fn covers_namespace(
    policy: &Data,
    region: &str,
    name: &str,
    resource_group: &str,
) -> Result<bool, String> {
    if !is_registry_policy(policy)? {
        return Ok(false);
    }
    let field = |key| text_field(policy, key).unwrap_or("");
    if !field("region").is_empty() && field("region") != region {
        return Ok(false);
    }
    let scoped_to_namespace = field("resource_type") == "namespace" && field("resource") == name;
    let scoped_to_group = !field("resource_group").is_empty()
        && field("resource_group") == resource_group
        && field("resource").is_empty();
    Ok(scoped_to_namespace || scoped_to_group || is_account_wide(policy)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(toml: &str) -> Data {
        Data::from_toml(&toml::Value::Table(toml::from_str(toml).unwrap())).unwrap()
    }

    #[test]
    fn classifies_subjects() {
        assert_eq!(subject_kind("AccessGroupId-1a2b"), "access_group");
        assert_eq!(subject_kind("ServiceId-9f8e"), "service_id");
        assert_eq!(subject_kind("Profile-77"), "trusted_profile");
        assert_eq!(subject_kind("IBMid-5500ABC"), "user");
        assert_eq!(subject_kind("jane.doe@example.com"), "user");
        assert_eq!(subject_kind("something"), "unknown");
    }

    #[test]
    fn roles_match_by_name_or_crn_case_insensitively() {
        let roles = Data::List(vec![Data::Str(
            "crn:v1:bluemix:public:iam::::serviceRole:Manager".into(),
        )]);
        assert_eq!(has_role(&roles, "manager"), Ok(true));
        assert_eq!(has_role(&roles, "Writer"), Ok(false));
        assert_eq!(
            role_name("crn:v1:bluemix:public:iam::::role:Administrator"),
            "Administrator"
        );
    }

    #[test]
    fn managers_expand_groups_and_count_empty_groups_as_themselves() {
        let iam = data(
            r#"
            access_groups = [ { id = "AccessGroupId-a", members = ["IBMid-1", "ServiceId-2"] }, { id = "AccessGroupId-empty", members = [] } ]
            policies = [
              { id = "p1", subject = "AccessGroupId-a", roles = ["Manager"], service = "container-registry" },
              { id = "p2", subject = "AccessGroupId-empty", roles = ["Manager"], service = "" },
              { id = "p3", subject = "IBMid-1", roles = ["Manager"], service = "container-registry", resource_type = "namespace", resource = "ns1" },
              { id = "p4", subject = "IBMid-3", roles = ["Manager"], service = "container-registry", region = "us-south" },
              { id = "p5", subject = "IBMid-4", roles = ["Manager"], service = "cloud-object-storage" },
            ]
            "#,
        );
        assert_eq!(
            account_wide_managers(&iam).unwrap(),
            ["AccessGroupId-empty", "IBMid-1", "IBMid-3", "ServiceId-2"]
        );
    }

    #[test]
    fn identity_policies_include_group_policies() {
        let iam = data(
            r#"
            access_groups = [ { id = "AccessGroupId-a", members = ["ServiceId-1"] } ]
            policies = [ { id = "p1", subject = "AccessGroupId-a" }, { id = "p2", subject = "ServiceId-1" }, { id = "p3", subject = "ServiceId-2" } ]
            "#,
        );
        let ids: Vec<_> = identity_policies(&iam, "ServiceId-1")
            .iter()
            .map(|p| p.get("id").and_then(Data::as_str).unwrap().to_owned())
            .collect();
        assert_eq!(ids, ["p1", "p2"]);
    }

    #[test]
    fn namespace_coverage_by_namespace_group_account_and_region() {
        let p = |toml: &str| data(toml);
        let ns = |policy: &Data| covers_namespace(policy, "us-south", "shop-prod", "prod").unwrap();
        assert!(ns(&p(r#"service = "container-registry"
resource_type = "namespace"
resource = "shop-prod""#)));
        assert!(ns(&p(r#"service = "container-registry"
resource_group = "prod""#)));
        assert!(ns(&p(r#"service = """#)));
        assert!(!ns(&p(r#"service = "container-registry"
region = "eu-de""#)));
        assert!(!ns(&p(r#"service = "container-registry"
resource_type = "namespace"
resource = "other""#)));
        assert!(
            covers_namespace(&p("id = 'x'"), "us-south", "a", "b").is_err(),
            "absent service is unknown"
        );
    }
}
