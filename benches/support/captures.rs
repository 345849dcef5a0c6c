//! Capture folders for the import benchmark (import.md's layout), written from a loaded
//! account: what `regcheck collect` would save for the account `generate.rs` builds.
//!
//! Shared by the bench report through `#[path = "support/captures.rs"] mod captures;`. The
//! shapes are the CLI's (image list with `SecurityStatus`, inspect keyed by ref, v2 policies,
//! wrapped lists); untagged images go to `cr-image-digests.json`. Values are the account's own,
//! so importing the capture into that account file changes little, as a nightly refresh does.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use regcheck::account::Account;
use regcheck::account::imageref::ImageRef;
use serde_json::{Value, json};

const MB: i64 = 1_048_576;

fn write(dir: &Path, relative: &str, value: &Value) -> std::io::Result<()> {
    let path = dir.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    serde_json::to_writer_pretty(&mut file, value)?;
    file.write_all(b"\n")?;
    file.flush()
}

fn unix(time: &regcheck::account::model::Timestamp) -> i64 {
    time.0.timestamp()
}

/// A region's image files: the list, the digests of untagged images, inspections by ref, VA
/// reports.
type RegionImages = (Vec<Value>, Vec<Value>, serde_json::Map<String, Value>, Vec<Value>);

/// Writes the capture folder of `account` into `dir`.
pub fn write_captures(account: &Account, dir: &Path) -> std::io::Result<()> {
    write(
        dir,
        "account-show.json",
        &json!({"account_id": account.account.id, "name": account.account.name}),
    )?;
    for registry in &account.registries {
        let region = &registry.region;
        let at = |name: &str| format!("regions/{region}/{name}");
        if let Some(plan) = registry.plan {
            write(dir, &at("cr-plan.json"), &json!({"plan": plan.as_str()}))?;
        }
        if let Some(quota) = &registry.quota {
            let bytes = |mb: Option<i64>| mb.map(|mb| mb * MB);
            write(
                dir,
                &at("cr-quota.json"),
                &json!({
                    "limit": {"storage_bytes": bytes(quota.storage_limit_mb), "traffic_bytes": bytes(quota.traffic_limit_mb)},
                    "usage": {"storage_bytes": bytes(quota.storage_used_mb), "traffic_bytes": bytes(quota.traffic_used_mb)},
                }),
            )?;
        }
        if let Some(private) = registry.private_only {
            std::fs::create_dir_all(dir.join(format!("regions/{region}")))?;
            std::fs::write(
                dir.join(at("cr-private-only.txt")),
                if private {
                    "Private-only is enabled.\nOK\n"
                } else {
                    "Private-only is not enabled.\nOK\n"
                },
            )?;
        }
        if let Some(version) = &registry.va_version {
            std::fs::write(dir.join(at("cr-va-version.txt")), format!("{version}\n"))?;
        }
        let namespaces: Vec<_> = account
            .namespaces
            .iter()
            .filter(|ns| &ns.region == region)
            .collect();
        write(
            dir,
            &at("cr-namespace-list.json"),
            &Value::Array(
                namespaces
                    .iter()
                    .map(|ns| json!({"name": ns.name, "resource_group": ns.resource_group, "created_date": "2025-01-01T00:00:00Z"}))
                    .collect(),
            ),
        )?;
        write(
            dir,
            &at("cr-retention-policy-list.json"),
            &Value::Array(
                namespaces
                    .iter()
                    .filter_map(|ns| {
                        let retention = ns.retention.as_ref()?;
                        Some(json!({
                            "namespace": ns.name,
                            "images_per_repo": retention.images_per_repo,
                            "retain_untagged": retention.retain_untagged,
                            "deletion_threshold_days": retention.deletion_threshold_days,
                        }))
                    })
                    .collect(),
            ),
        )?;
        let exemptions: Vec<Value> = account
            .exemptions
            .iter()
            .filter(|e| &e.region == region)
            .map(|e| {
                let scope = match e.scope.split_once('/') {
                    _ if e.scope == "*" => json!({"scope_type": "account"}),
                    Some((ns, repo)) => {
                        json!({"scope_type": "repository", "namespace": ns, "repository": repo})
                    }
                    None => json!({"scope_type": "namespace", "namespace": e.scope}),
                };
                json!({"issue_type": e.issue_type, "issue_id": e.issue_id, "scope": scope})
            })
            .collect();
        write(
            dir,
            &at("cr-exemption-list.json"),
            &json!({"exemptions": exemptions}),
        )?;
    }

    // Images, by the region of their registry host.
    let mut lists: BTreeMap<String, RegionImages> = BTreeMap::new();
    for image in &account.images {
        let Some(parsed) = ImageRef::parse(&image.reference) else {
            continue;
        };
        let Some(region) = parsed.region() else { continue };
        let host = parsed.domain.strip_prefix("private.").unwrap_or(parsed.domain);
        let repository = format!("{host}/{}/{}", parsed.namespace, parsed.repository);
        let reference = match (parsed.tag, parsed.digest) {
            (Some(tag), _) => format!("{repository}:{tag}"),
            (None, Some(digest)) => format!("{repository}@{digest}"),
            (None, None) => repository.clone(),
        };
        let lists = lists.entry(region.name.clone()).or_default();
        let status = image.va_status.map_or("UNSCANNED", |s| match s.as_str() {
            "ok" => "OK",
            "issues" => "WARN",
            "unsupported_os" => "UNSUPPORTED",
            "scanning" => "Scanning",
            "incomplete" => "INCOMPLETE",
            _ => "UNSCANNED",
        });
        let security = json!({"Status": status, "IssueCount": image.issue_count, "ExemptionCount": image.exemption_count});
        let created = image.created.as_ref().map(unix);
        let digest = image.digest.clone().or(parsed.digest.map(str::to_owned));
        match parsed.tag {
            Some(tag) => {
                lists.0.push(
                    json!({"Repository": repository, "Tag": tag, "Digest": digest, "Created": created,
                    "Size": 123_456_789, "SecurityStatus": security}),
                );
                let labels: serde_json::Map<String, Value> = image
                    .labels
                    .iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                    .collect();
                lists.2.insert(
                    reference.clone(),
                    json!({"Created": image.created.map(|t| t.to_rfc3339()), "Architecture": "amd64",
                        "Config": {"Env": image.env, "Labels": labels, "Cmd": ["/app/server"]}}),
                );
                let issues = image.issue_count.unwrap_or(0);
                let vulnerabilities: Vec<Value> = (0..issues)
                    .map(|i| {
                        json!({"cve_id": format!("CVE-2026-{:05}", i), "severity": "medium",
                            "exempt_status": if i < image.exemption_count { "exempt" } else { "unexempt" }})
                    })
                    .collect();
                let mut report =
                    json!({"image": reference, "status": status, "vulnerabilities": vulnerabilities});
                if let Some(checked) = &image.va_checked_at {
                    report["scan_time"] = json!(unix(checked));
                }
                lists.3.push(report);
            }
            None => lists.1.push(
                json!({"Repository": repository, "Digest": digest, "Tags": [], "Created": created,
                "SecurityStatus": security}),
            ),
        }
    }
    for (region, (list, digests, inspect, va)) in lists {
        let at = |name: &str| format!("regions/{region}/{name}");
        write(dir, &at("cr-image-list.json"), &Value::Array(list))?;
        write(dir, &at("cr-image-digests.json"), &Value::Array(digests))?;
        write(dir, &at("cr-image-inspect.json"), &Value::Object(inspect))?;
        write(dir, &at("cr-va.json"), &Value::Array(va))?;
    }

    let Some(iam) = &account.iam else { return Ok(()) };
    write(
        dir,
        "iam-access-groups-settings.json",
        &json!({"public_access_enabled": iam.public_access_enabled}),
    )?;
    let groups: Vec<Value> = iam
        .access_groups
        .iter()
        .map(|g| json!({"id": g.id, "name": g.name}))
        .collect();
    write(dir, "iam-access-groups.json", &json!({"groups": groups}))?;
    let members: serde_json::Map<String, Value> = iam
        .access_groups
        .iter()
        .map(|g| {
            let list: Vec<Value> = g
                .members
                .iter()
                .map(|m| {
                    let iam_id = if m.starts_with("ServiceId-") {
                        format!("iam-{m}")
                    } else {
                        m.clone()
                    };
                    json!({"iam_id": iam_id})
                })
                .collect();
            (g.id.clone(), Value::Array(list))
        })
        .collect();
    write(dir, "iam-access-group-members.json", &Value::Object(members))?;
    let policies: Vec<Value> = iam
        .policies
        .iter()
        .map(|p| {
            let subject_key = if p.subject.starts_with("AccessGroupId-") { "access_group_id" } else { "iam_id" };
            let subject = if p.subject.starts_with("ServiceId-") || p.subject.starts_with("Profile-") {
                format!("iam-{}", p.subject)
            } else {
                p.subject.clone()
            };
            let mut resource = vec![json!({"key": "accountId", "operator": "stringEquals", "value": "acct"})];
            for (key, value) in [
                ("serviceName", &p.service),
                ("region", &p.region),
                ("resourceType", &p.resource_type),
                ("resource", &p.resource),
                ("resourceGroupId", &p.resource_group),
            ] {
                if let Some(value) = value.as_ref().filter(|v| !v.is_empty()) {
                    resource.push(json!({"key": key, "operator": "stringEquals", "value": value}));
                }
            }
            let roles: Vec<Value> = p
                .roles
                .iter()
                .map(|r| {
                    let name = r.rsplit(':').next().unwrap_or(r);
                    json!({"role_id": format!("crn:v1:bluemix:public:iam::::serviceRole:{name}")})
                })
                .collect();
            json!({"id": p.id, "type": "access", "state": "active",
                "subject": {"attributes": [{"key": subject_key, "operator": "stringEquals", "value": subject}]},
                "resource": {"attributes": resource}, "control": {"grant": {"roles": roles}}})
        })
        .collect();
    write(dir, "iam-policies.json", &json!({"policies": policies}))?;
    let ids: Vec<Value> = iam
        .service_ids
        .iter()
        .map(|s| json!({"id": s.id, "iam_id": format!("iam-{}", s.id), "name": s.name}))
        .collect();
    write(dir, "iam-service-ids.json", &json!({"serviceids": ids}))?;
    let key = |k: &regcheck::account::model::ApiKey| {
        let owner = k.owner.clone().unwrap_or_default();
        let iam_id = if owner.starts_with("ServiceId-") {
            format!("iam-{owner}")
        } else {
            owner
        };
        let mut value =
            json!({"id": k.id, "iam_id": iam_id, "created_at": k.created_at.map(|t| t.to_rfc3339())});
        if let Some(expires) = k.expires_at {
            value["expires_at"] = json!(expires.to_rfc3339());
        }
        if let Some(used) = k.last_used_at {
            value["activity"] = json!({"last_authn": used.to_rfc3339()});
        }
        value
    };
    let (service, user): (Vec<_>, Vec<_>) = iam
        .api_keys
        .iter()
        .partition(|k| k.owner.as_deref().is_some_and(|o| o.starts_with("ServiceId-")));
    write(
        dir,
        "iam-api-keys.json",
        &json!({"apikeys": user.into_iter().map(key).collect::<Vec<_>>()}),
    )?;
    write(
        dir,
        "iam-service-api-keys.json",
        &json!({"apikeys": service.into_iter().map(key).collect::<Vec<_>>()}),
    )?;
    let rules: Vec<Value> = iam
        .cbr_rules
        .iter()
        .map(|r| {
            let mut attributes = vec![json!({"name": "serviceName", "value": "container-registry"})];
            for (name, value) in [
                ("region", &r.region),
                ("resourceType", &r.resource_type),
                ("resource", &r.resource),
            ] {
                if let Some(value) = value.as_ref().filter(|v| !v.is_empty()) {
                    attributes.push(json!({"name": name, "value": value}));
                }
            }
            let contexts: Vec<Value> = r
                .contexts
                .iter()
                .map(|c| {
                    let pairs: Vec<Value> = c
                        .split(',')
                        .filter_map(|pair| pair.split_once('='))
                        .map(|(n, v)| json!({"name": n, "value": v}))
                        .collect();
                    json!({"attributes": pairs})
                })
                .collect();
            json!({"id": r.id, "enforcement_mode": r.enforcement.map(|e| e.as_str()),
                "resources": [{"attributes": attributes}], "contexts": contexts})
        })
        .collect();
    write(dir, "cbr-rules.json", &json!({"rules": rules}))?;

    if let Some(at) = &account.activity_tracker {
        let targets: Vec<Value> = at
            .targets
            .iter()
            .map(|t| {
                json!({"id": t.id, "name": t.name, "target_type": t.target_type.as_str(), "region": t.region,
                "write_status": {"status": t.write_status.map(|s| s.as_str())}})
            })
            .collect();
        write(dir, "atracker-target-ls.json", &json!({"targets": targets}))?;
        let routes: Vec<Value> = at
            .routes
            .iter()
            .map(|r| {
                let rules: Vec<Value> = r
                    .rules
                    .iter()
                    .map(|rule| json!({"locations": rule.locations, "target_ids": rule.target_ids}))
                    .collect();
                json!({"id": r.id, "name": r.name, "rules": rules})
            })
            .collect();
        write(dir, "atracker-route-ls.json", &json!({"routes": routes}))?;
        write(
            dir,
            "atracker-setting-get.json",
            &json!({"default_targets": at.default_targets}),
        )?;
    }
    Ok(())
}
