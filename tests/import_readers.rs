//! Golden tests of `regcheck import`'s readers: each capture file kind, every shape variant of
//! import.md, and malformed files with the exact file, JSON pointer and line:column.
//! Capture files are written inline (synthetic: look-alike ids and digests, no real values).

use chrono::{DateTime, TimeZone, Utc};
use regcheck::import::{self, MergeOptions};

fn captured_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 6, 0, 0).unwrap()
}

fn write(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Imports `files` into a new account file; returns its text after the `[account]` table,
/// or every diagnostic as `file:line:column: message`.
fn import(files: &[(&str, &str)]) -> Result<String, Vec<String>> {
    let dir = write(files);
    let shown = |diagnostics: Vec<regcheck::diagnostic::FileDiagnostic>| {
        diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.position(), d.problem.message))
            .collect::<Vec<_>>()
    };
    let folder = import::scan(dir.path(), "cap").map_err(shown)?;
    let capture = import::read(&folder).map_err(|e| shown(e.diagnostics))?;
    let options = MergeOptions {
        captured_at: captured_at(),
        prune: false,
        account_id: Some("acct-0001".to_owned()),
    };
    let (text, _) = import::merge(None, &capture, &options).map_err(|e| vec![e.to_string()])?;
    let body = text
        .split_once("captured_at = 2026-11-25T06:00:00Z\n")
        .map_or(text.as_str(), |(_, body)| body);
    Ok(body.trim_start().to_owned())
}

fn errors(files: &[(&str, &str)]) -> Vec<String> {
    match import(files) {
        Ok(text) => panic!("expected errors, imported:\n{text}"),
        Err(errors) => errors,
    }
}

/// The `[[images]]` tables of an import, without comments.
fn images(files: &[(&str, &str)]) -> String {
    let text = import(files).unwrap_or_else(|e| panic!("{e:#?}"));
    let start = text.find("[[images]]").expect("images");
    let end = text[start..]
        .find("\n[[exemptions]]")
        .or_else(|| text[start..].find("\n[iam]"))
        .map_or(text.len(), |e| start + e);
    text[start..end]
        .lines()
        .filter(|line| !line.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

const NS: &str = r#"[{"name": "shop-prod", "resource_group": "prod"}]"#;

#[test]
fn cli_image_list_untagged_hostless_lowercase_and_counted_status() {
    let list = r#"Listing images...

[
  {"Repository": "us.icr.io/shop-prod/api", "Tag": "1.4.2", "Digest": "sha256:aaa", "Created": 1793613600,
   "SecurityStatus": {"Status": "No Issues", "IssueCount": 0, "ExemptionCount": 0}},
  {"Repository": "us.icr.io/shop-prod/api", "Tag": "<none>", "Digest": "sha256:bbb", "Created": "1793613600"},
  {"repository": "shop-prod/web", "tag": "2.0", "securitystatus": {"status": "3 Issues"}},
  {"Repository": "us.icr.io/shop-prod/web", "Tag": "2.1", "SecurityStatus": {"Status": "WARN", "IssueCount": 4, "ExemptionCount": 1}}
]
OK
"#;
    assert_eq!(
        images(&[
            ("regions/us-south/cr-namespace-list.json", NS),
            ("regions/us-south/cr-image-list.json", list)
        ]),
        r#"[[images]]
ref = "us.icr.io/shop-prod/api:1.4.2"
digest = "sha256:aaa"
created = 2026-11-02T10:00:00Z
va_status = "ok"
issue_count = 0
exemption_count = 0
va_checked_at = 2026-11-25T06:00:00Z

[[images]]
ref = "us.icr.io/shop-prod/api@sha256:bbb"
digest = "sha256:bbb"
created = 2026-11-02T10:00:00Z
va_status = "unscanned"
va_checked_at = 2026-11-25T06:00:00Z

[[images]]
ref = "us.icr.io/shop-prod/web:2.0"
va_status = "issues"
issue_count = 3
va_checked_at = 2026-11-25T06:00:00Z

[[images]]
ref = "us.icr.io/shop-prod/web:2.1"
va_status = "issues"
issue_count = 4
exemption_count = 1
va_checked_at = 2026-11-25T06:00:00Z"#
    );
}

#[test]
fn api_image_list_one_entry_per_tag_and_a_digest_ref_when_untagged() {
    let list = r#"{"images": [
  {"Id": "sha256:c1", "RepoTags": ["de.icr.io/shop-prod/api:1", "de.icr.io/shop-prod/api:latest"],
   "RepoDigests": ["de.icr.io/shop-prod/api@sha256:d1"], "Created": 1793613600, "IssueCount": 2,
   "ExemptIssueCount": 1, "Vulnerable": true},
  {"RepoTags": [], "RepoDigests": ["de.icr.io/shop-prod/api@sha256:d2"], "Vulnerable": "Unsupported OS"},
  {"RepoTags": ["de.icr.io/shop-prod/api:2"], "RepoDigests": [], "Vulnerable": false, "IssueCount": 0}
]}"#;
    assert_eq!(
        images(&[
            ("regions/eu-de/cr-namespace-list.json", NS),
            ("regions/eu-de/cr-image-list.json", list)
        ]),
        r#"[[images]]
ref = "de.icr.io/shop-prod/api:1"
digest = "sha256:d1"
created = 2026-11-02T10:00:00Z
va_status = "issues"
issue_count = 2
exemption_count = 1
va_checked_at = 2026-11-25T06:00:00Z

[[images]]
ref = "de.icr.io/shop-prod/api:latest"
digest = "sha256:d1"
created = 2026-11-02T10:00:00Z
va_status = "issues"
issue_count = 2
exemption_count = 1
va_checked_at = 2026-11-25T06:00:00Z

[[images]]
ref = "de.icr.io/shop-prod/api@sha256:d2"
digest = "sha256:d2"
va_status = "unsupported_os"
va_checked_at = 2026-11-25T06:00:00Z

[[images]]
ref = "de.icr.io/shop-prod/api:2"
va_status = "ok"
issue_count = 0
va_checked_at = 2026-11-25T06:00:00Z"#
    );
}

#[test]
fn digests_add_untagged_images_to_the_list_and_agree_on_shared_ones() {
    let list =
        r#"[{"Repository": "us.icr.io/shop-prod/api", "Tag": "1", "SecurityStatus": {"Status": "OK"}}]"#;
    let digests = r#"[
  {"Repository": "us.icr.io/shop-prod/api", "Digest": "sha256:d1", "Tags": ["1", "stable"]},
  {"repository": "us.icr.io/shop-prod/api", "digest": "sha256:d0", "tags": [], "created": "2026-10-01T00:00+0000"}
]"#;
    assert_eq!(
        images(&[
            ("regions/us-south/cr-namespace-list.json", NS),
            ("regions/us-south/cr-image-list.json", list),
            ("regions/us-south/cr-image-digests.json", digests),
        ]),
        r#"[[images]]
ref = "us.icr.io/shop-prod/api:1"
digest = "sha256:d1"
va_status = "ok"
va_checked_at = 2026-11-25T06:00:00Z

[[images]]
ref = "us.icr.io/shop-prod/api:stable"
digest = "sha256:d1"
va_status = "unscanned"
va_checked_at = 2026-11-25T06:00:00Z

[[images]]
ref = "us.icr.io/shop-prod/api@sha256:d0"
digest = "sha256:d0"
created = 2026-10-01T00:00:00Z
va_status = "unscanned"
va_checked_at = 2026-11-25T06:00:00Z"#
    );
}

#[test]
fn inspect_as_an_object_or_an_array_wins_for_created_env_and_labels() {
    let list = r#"[
  {"Repository": "us.icr.io/shop-prod/api", "Tag": "1", "Digest": "sha256:d1", "Created": 1, "SecurityStatus": {"Status": "OK"}},
  {"Repository": "us.icr.io/shop-prod/web", "Tag": "1", "Digest": "sha256:d2", "Id": "sha256:c2", "SecurityStatus": {"Status": "OK"}},
  {"Repository": "us.icr.io/shop-prod/job", "Tag": "1", "Digest": "sha256:d3", "Id": "sha256:c3", "SecurityStatus": {"Status": "OK"}}
]"#;
    let by_ref = r#"{"private.us.icr.io/shop-prod/api:1": [{"Created": "2026-11-02T10:00:00.5+00:00",
        "Config": {"Env": ["A=1", "PATH=/bin"], "Labels": {"maintainer": "team", "org.x/y": "z\"q"}}}]}"#;
    let array = r#"[
  {"RepoDigests": ["us.icr.io/shop-prod/web@sha256:d2"], "Created": "2026-11-03T00:00:00Z", "config": {"env": ["B=2"], "labels": null}},
  {"Id": "sha256:c3", "Config": {}}
]"#;
    let with = |inspect: &str| {
        images(&[
            ("regions/us-south/cr-namespace-list.json", NS),
            ("regions/us-south/cr-image-list.json", list),
            ("regions/us-south/cr-image-inspect.json", inspect),
        ])
    };
    let object = with(by_ref);
    assert!(
        object.contains(
            "ref = \"us.icr.io/shop-prod/api:1\"\ndigest = \"sha256:d1\"\ncreated = 2026-11-02T10:00:00Z\n"
        ) && object.contains(
            "env = [\"A=1\", \"PATH=/bin\"]\nlabels = { maintainer = \"team\", \"org.x/y\" = 'z\"q' }"
        ),
        "{object}"
    );
    assert!(!object.contains("env = [\"B=2\"]"), "{object}");
    let array = with(array);
    assert!(
        array.contains("created = 1970-01-01T00:00:01Z"),
        "not inspected: the list's Created\n{array}"
    );
    assert!(
        array.contains(
            "ref = \"us.icr.io/shop-prod/web:1\"\ndigest = \"sha256:d2\"\ncreated = 2026-11-03T00:00:00Z"
        ),
        "{array}"
    );
    assert!(array.contains("env = [\"B=2\"]"), "{array}");
    // Matched by Id: inspected, with no Created, Env or Labels: those stay absent.
    let job = &array[array.find("shop-prod/job").unwrap()..];
    assert!(!job.contains("created") && !job.contains("env"), "{job}");
}

#[test]
fn cr_va_wins_over_the_list_and_unscanned_records_have_no_time() {
    let list = r#"[
  {"Repository": "us.icr.io/shop-prod/api", "Tag": "1", "SecurityStatus": {"Status": "OK", "IssueCount": 0}},
  {"Repository": "us.icr.io/shop-prod/new", "Tag": "1", "SecurityStatus": {"Status": "Scanning"}}
]"#;
    let va = r#"[
  {"image": "us.icr.io/shop-prod/api:1", "status": "FAIL", "scan_time": 1795582800,
   "vulnerabilities": [{"exempt_status": "exempt"}, {"exempt_status": "unexempt"}, {}]},
  {"image": "us.icr.io/shop-prod/new:1", "status": "UNSCANNED"}
]"#;
    assert_eq!(
        images(&[
            ("regions/us-south/cr-namespace-list.json", NS),
            ("regions/us-south/cr-image-list.json", list),
            ("regions/us-south/cr-va.json", va),
        ]),
        r#"[[images]]
ref = "us.icr.io/shop-prod/api:1"
va_status = "issues"
issue_count = 3
exemption_count = 1
va_checked_at = 2026-11-25T05:00:00Z

[[images]]
ref = "us.icr.io/shop-prod/new:1"
va_status = "unscanned""#
    );
}

#[test]
fn registry_files_plan_quota_in_both_spellings_private_only_and_va_version() {
    let quota_bytes = r#"{"limit": {"storage_bytes": 536870912, "traffic_bytes": 5368709120},
        "usage": {"storage_bytes": 1048575, "traffic_bytes": 2097153}}"#;
    let quota_store =
        r#"{"limit": {"store": 536870912, "traffic": 5368709120}, "usage": {"store": 3145728}}"#;
    let text = import(&[
        ("regions/us-south/cr-plan.json", r#"{"plan": "Lite"}"#),
        ("regions/us-south/cr-quota.json", quota_bytes),
        (
            "regions/us-south/cr-private-only.txt",
            "OK\nPrivate-only is not enabled.\n",
        ),
        ("regions/us-south/cr-va-version.txt", "v4\n"),
        ("regions/eu-gb/cr-plan.json", r#"{"Plan": "Standard"}"#),
        ("regions/eu-gb/cr-quota.json", quota_store),
    ])
    .unwrap();
    assert!(
        text.contains(
            "region = \"eu-gb\"\nplan = \"standard\"\nquota = { storage_limit_mb = 512, storage_used_mb = 3, traffic_limit_mb = 5120 }\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("region = \"us-south\"\nplan = \"free\"\nprivate_only = false\nva_version = \"v4\"\nquota = { storage_limit_mb = 512, storage_used_mb = 0, traffic_limit_mb = 5120, traffic_used_mb = 2 }\n"),
        "bytes to MB, rounded down\n{text}"
    );
}

#[test]
fn namespaces_retention_and_exemptions_of_every_scope() {
    let namespaces = r#"OK
[{"name": "shop-prod", "resource_group": "0a1b"}, {"name": "legacy-ns", "resource_group": ""}, "bare-name"]"#;
    let retention = r#"[{"namespace": "shop-prod", "images_per_repo": -1, "retain_untagged": true}]"#;
    let exemptions = r#"{"exemptions": [
  {"issue_type": "cve", "issue_id": "CVE-1", "scope": {"scope_type": "account"}},
  {"issue_type": "cve", "issue_id": "CVE-2", "scope": {"scope_type": "namespace", "namespace": "shop-prod"}},
  {"issue_type": "sn", "issue_id": "SN-3", "scope": {"scope_type": "repository", "namespace": "shop-prod", "repository": "api"}},
  {"issue_type": "cve", "issue_id": "CVE-4", "scope": {"scope_type": "image", "namespace": "shop-prod", "repository": "api", "tag": "1"}},
  {"issue_type": "cve", "issue_id": "CVE-5", "scope": {"scope_type": "image", "namespace": "shop-prod", "repository": "api", "digest": "sha256:d1"}}
]}"#;
    let text = import(&[
        ("regions/jp-tok/cr-namespace-list.json", namespaces),
        ("regions/jp-tok/cr-retention-policy-list.json", retention),
        ("regions/jp-tok/cr-exemption-list.json", exemptions),
    ])
    .unwrap();
    assert!(
        text.contains("name = \"shop-prod\"\nregion = \"jp-tok\"\nresource_group = \"0a1b\"\nretention = { images_per_repo = -1, retain_untagged = true }\n"),
        "{text}"
    );
    assert!(
        text.contains("name = \"legacy-ns\"\nregion = \"jp-tok\"\nresource_group = \"\"\n\n"),
        "no retention key\n{text}"
    );
    assert!(
        text.contains("name = \"bare-name\"\nregion = \"jp-tok\"\n\n"),
        "{text}"
    );
    for scope in [
        "*",
        "shop-prod",
        "shop-prod/api",
        "shop-prod/api:1",
        "shop-prod/api@sha256:d1",
    ] {
        assert!(
            text.contains(&format!("region = \"jp-tok\"\nscope = \"{scope}\"\n")),
            "{scope}\n{text}"
        );
    }
}

const V2_POLICIES: &str = r#"{"policies": [
  {"id": "p-group", "type": "access", "state": "active",
   "subject": {"attributes": [{"key": "access_group_id", "operator": "stringEquals", "value": "AccessGroupId-1"}]},
   "resource": {"attributes": [{"key": "serviceName", "operator": "stringEquals", "value": "container-registry"},
                               {"key": "region", "operator": "stringEquals", "value": "us-south"}]},
   "control": {"grant": {"roles": [{"role_id": "crn:v1:bluemix:public:iam::::serviceRole:Writer"}]}}},
  {"id": "p-all-services", "type": "access",
   "subject": {"attributes": [{"key": "iam_id", "value": "iam-ServiceId-2"}]},
   "resource": {"attributes": [{"key": "accountId", "value": "acct-0001"}]},
   "control": {"grant": {"roles": [{"role_id": "crn:v1:bluemix:public:iam::::role:Viewer"}]}}},
  {"id": "p-conditional", "type": "access",
   "subject": {"attributes": [{"key": "iam_id", "value": "IBMid-3"}]},
   "resource": {"attributes": [{"key": "serviceName", "value": "container-registry"}]},
   "control": {"grant": {"roles": [{"role_id": "crn:v1:bluemix:public:iam::::serviceRole:Manager"}]}},
   "rule": {"operator": "and", "conditions": []}, "pattern": "time-based-conditions:weekly:custom-hours"},
  {"id": "p-wildcard", "type": "access",
   "subject": {"attributes": [{"key": "iam_id", "value": "iam-Profile-4"}]},
   "resource": {"attributes": [{"key": "serviceName", "value": "container-registry"},
                               {"key": "resourceType", "value": "namespace"},
                               {"key": "resource", "operator": "stringMatch", "value": "shop-*"}]},
   "control": {"grant": {"roles": [{"role_id": "crn:v1:bluemix:public:iam::::serviceRole:Reader"}]}}},
  {"id": "p-cos", "type": "access", "subject": {"attributes": [{"key": "iam_id", "value": "IBMid-5"}]},
   "resource": {"attributes": [{"key": "serviceName", "value": "cloud-object-storage"}]},
   "control": {"grant": {"roles": [{"role_id": "crn:v1:bluemix:public:iam::::serviceRole:Writer"}]}}},
  {"id": "p-authorization", "type": "authorization"},
  {"id": "p-inactive", "type": "access", "state": "deleted"}
]}"#;

#[test]
fn v2_policies_keep_registry_and_all_service_ones_with_notes_for_conditions_and_wildcards() {
    let text = import(&[("iam-policies.json", V2_POLICIES)]).unwrap();
    assert_eq!(
        text,
        r#"# imported from iam-policies.json
[[iam.policies]]
id = "p-group"
subject = "AccessGroupId-1"
roles = ["Writer"]
service = "container-registry"
region = "us-south"
resource_type = ""
resource = ""
resource_group = ""

# imported from iam-policies.json
[[iam.policies]]
id = "p-all-services"
subject = "ServiceId-2"
roles = ["Viewer"]
service = ""
region = ""
resource_type = ""
resource = ""
resource_group = ""

# imported from iam-policies.json
# kept as written: this policy has conditions (`rule` or `pattern`) that regcheck does not evaluate
[[iam.policies]]
id = "p-conditional"
subject = "IBMid-3"
roles = ["Manager"]
service = "container-registry"
region = ""
resource_type = ""
resource = ""
resource_group = ""

# imported from iam-policies.json
# kept as written: a resource attribute is a `stringMatch` wildcard, compared as written
[[iam.policies]]
id = "p-wildcard"
subject = "Profile-4"
roles = ["Reader"]
service = "container-registry"
region = ""
resource_type = "namespace"
resource = "shop-*"
resource_group = ""
"#
    );
}

#[test]
fn v1_policies_read_like_v2_and_placeholders_are_refused_with_a_hint() {
    let v1 = r#"[
  {"id": "p-1", "type": "access", "subjects": [{"attributes": [{"name": "access_group_id", "value": "AccessGroupId-1"}]}],
   "roles": [{"role_id": "crn:v1:bluemix:public:iam::::serviceRole:Reader"}],
   "resources": [{"attributes": [{"name": "serviceName", "value": "container-registry"}, {"name": "resourceGroupId", "value": "rg-1"}]}]},
  {"id": "p-2", "type": "access", "subjects": [{"attributes": [{"name": "iam_id", "value": "iam-ServiceId-2"}]}],
   "roles": [{"role_id": "crn:v1:bluemix:public:iam::::role:UnsupportedVersion"}],
   "resources": [{"attributes": []}]}
]"#;
    assert_eq!(
        errors(&[("iam-policies.json", v1)]),
        [
            "cap/iam-policies.json:6:14: /1/roles/0: a v1 listing shows this v2 policy as a placeholder (role `UnsupportedVersion`): list the policies with `ibmcloud iam access-policies --output json --api-version v2`"
        ]
    );
    let text = import(&[(
        "iam-policies.json",
        &v1.replace("role:UnsupportedVersion", "role:Viewer"),
    )])
    .unwrap();
    assert!(
        text.contains("id = \"p-1\"\nsubject = \"AccessGroupId-1\"\nroles = [\"Reader\"]\nservice = \"container-registry\"\nregion = \"\"\nresource_type = \"\"\nresource = \"\"\nresource_group = \"rg-1\"\n"),
        "{text}"
    );
    assert!(
        text.contains("id = \"p-2\"\nsubject = \"ServiceId-2\"\nroles = [\"Viewer\"]\nservice = \"\"\n"),
        "{text}"
    );
}

#[test]
fn groups_members_settings_service_ids_keys_cbr_and_activity_tracker() {
    let text = import(&[
        ("iam-access-groups.json", r#"{"groups": [{"id": "AccessGroupId-1", "name": "pushers"}, {"id": "AccessGroupId-2"}]}"#),
        (
            "iam-access-group-members.json",
            r#"{"AccessGroupId-1": [{"iam_id": "iam-ServiceId-9", "type": "service"}, "IBMid-1"],
                "AccessGroupId-2": {"members": [{"iam_id": "IBMid-2"}]}}"#,
        ),
        ("iam-access-groups-settings.json", r#"{"public_access_enabled": true}"#),
        ("iam-service-ids.json", r#"{"serviceids": [{"id": "ServiceId-9", "iam_id": "iam-ServiceId-9", "name": "ci"}]}"#),
        ("iam-api-keys.json", r#"{"apikeys": [{"id": "ApiKey-u1", "iam_id": "IBMid-1", "created_at": "2026-01-01T00:00+0000"}]}"#),
        (
            "iam-service-api-keys.json",
            r#"[{"id": "ApiKey-s1", "iam_id": "iam-ServiceId-9", "created_at": "2026-01-01T01:00:00+01:00",
                 "expires_at": "2027-01-01T00:00:00Z", "activity": {"last_authn": "2026-11-20T06:00:00Z"}}]"#,
        ),
        (
            "cbr-rules.json",
            r#"{"rules": [{"id": "rule-1", "enforcement_mode": "report",
                "resources": [{"attributes": [{"name": "serviceName", "value": "container-registry"}, {"name": "geography", "value": "global"}]}],
                "contexts": [{"attributes": [{"name": "networkZoneId", "value": "nz-1"}, {"name": "endpointType", "value": "private"}]},
                             {"attributes": [{"name": "vpc", "value": "crn:v1:vpc-1"}]}]}]}"#,
        ),
        (
            "atracker-target-ls.json",
            r#"{"targets": [{"id": "t-1", "name": "logs", "target_type": "Cloud-Logs", "region": "us-south", "write_status": {"status": "failed"}}]}"#,
        ),
        ("atracker-route-ls.json", r#"[{"id": "r-1", "name": "all", "rules": [{"locations": ["*"], "target_ids": ["t-1"]}]}]"#),
        ("atracker-setting-get.json", r#"{"default_targets": ["t-1"], "permitted_target_regions": []}"#),
    ])
    .unwrap();
    for expected in [
        "[iam]\npublic_access_enabled = true\n",
        "id = \"AccessGroupId-1\"\nname = \"pushers\"\nmembers = [\"ServiceId-9\", \"IBMid-1\"]\n",
        "id = \"AccessGroupId-2\"\nmembers = [\"IBMid-2\"]\n",
        "id = \"ApiKey-u1\"\nowner = \"IBMid-1\"\ncreated_at = 2026-01-01T00:00:00Z\n\n",
        "id = \"ApiKey-s1\"\nowner = \"ServiceId-9\"\ncreated_at = 2026-01-01T00:00:00Z\nexpires_at = 2027-01-01T00:00:00Z\nlast_used_at = 2026-11-20T06:00:00Z\n",
        "id = \"rule-1\"\nenforcement = \"report\"\nregion = \"global\"\nresource_type = \"\"\nresource = \"\"\ncontexts = [\"networkZoneId=nz-1,endpointType=private\", \"vpc=crn:v1:vpc-1\"]\n",
        "[activity_tracker]\ndefault_targets = [\"t-1\"]\n",
        "id = \"t-1\"\nname = \"logs\"\ntype = \"cloud_logs\"\nregion = \"us-south\"\nwrite_status = \"failed\"\n",
        "id = \"r-1\"\nname = \"all\"\nrules = [\n  { locations = [\"*\"], target_ids = [\"t-1\"] },\n]\n",
    ] {
        assert!(text.contains(expected), "missing:\n{expected}\nin:\n{text}");
    }
}

#[test]
fn malformed_files_name_the_file_the_pointer_and_the_line() {
    let list = "[\n  {\"Repository\": \"us.icr.io/shop-prod/api\", \"Tag\": \"1\"},\n  {\"Repository\": \"us.icr.io/shop-prod/api\", \"Tag\": \"2\",\n   \"SecurityStatus\": {\"Status\": 3}}\n]\n";
    assert_eq!(
        errors(&[("regions/us-south/cr-image-list.json", list)]),
        [
            "cap/regions/us-south/cr-image-list.json:4:33: /1/SecurityStatus/Status: expected a string, found a number"
        ]
    );
    assert_eq!(
        errors(&[(
            "iam-service-ids.json",
            "{\"serviceids\": [\n  {\"id\": \"ServiceId-1\"},\n  {\"name\": \"no-id\"}\n]}"
        )]),
        ["cap/iam-service-ids.json:3:3: /serviceids/1/id is missing: the service id"]
    );
    assert_eq!(
        errors(&[(
            "atracker-route-ls.json",
            "OK\n[\n  {\"id\": \"r\", \"rules\": [{\"locations\": \"us-south\"}]},\n]\n"
        )]),
        ["cap/atracker-route-ls.json:4:1: invalid JSON: trailing comma"]
    );
    assert_eq!(
        errors(&[(
            "regions/us-south/cr-va.json",
            "FAILED\nThe image was not found.\n"
        )]),
        ["cap/regions/us-south/cr-va.json:1:1: no JSON in the file: no line starts with `{` or `[`"]
    );
    assert_eq!(
        errors(&[(
            "regions/us-south/cr-image-list.json",
            "[{\"Tag\": \"1\", \"Digest\": \"sha256:a\"}]"
        )]),
        ["cap/regions/us-south/cr-image-list.json:1:2: /0/Repository is missing: the image's repository"]
    );
    assert_eq!(
        errors(&[("iam-access-groups.json", "{\"total\": 1, \"items\": []}")]),
        [
            "cap/iam-access-groups.json:1:1: /: expected a list, bare (`[…]`) or wrapped in an object under `groups`"
        ]
    );
    assert_eq!(
        errors(&[(
            "iam-api-keys.json",
            "[{\"id\": \"ApiKey-1\", \"created_at\": \"2026-11-20T06:00:00\"}]"
        )]),
        ["cap/iam-api-keys.json:1:35: /0/created_at: `2026-11-20T06:00:00` has no UTC offset"]
    );
    assert_eq!(
        errors(&[("iam-api-keys.json", "[]\n[]\n")]),
        ["cap/iam-api-keys.json:2:1: unexpected text after the JSON value"]
    );
}

#[test]
fn every_malformed_file_is_reported_together() {
    let found = errors(&[
        ("account-show.json", "{\"name\": \"x\"}"),
        ("regions/us-south/cr-va.json", ""),
        ("regions/us-south/cr-private-only.txt", "OK\n"),
        (
            "regions/us-south/cr-exemption-list.json",
            "[{\"issue_type\": \"cve\", \"issue_id\": \"C\", \"scope\": {\"scope_type\": \"galaxy\"}}]",
        ),
    ]);
    assert_eq!(
        found,
        [
            "cap/account-show.json:1:1: /account_id is missing: the account id (`account_id` or `guid`)",
            "cap/regions/us-south/cr-private-only.txt:1:1: cannot tell whether private-only is enabled",
            "cap/regions/us-south/cr-va.json:1:1: the file is empty: the command printed no JSON",
            "cap/regions/us-south/cr-exemption-list.json:1:65: /0/scope/scope_type: unknown scope type `galaxy`: expected account, namespace, repository or image",
        ]
    );
}

#[test]
fn folder_problems_a_bad_region_an_unknown_file_and_invalid_utf8() {
    assert_eq!(
        errors(&[("regions/us-suoth/cr-plan.json", "{}")]),
        ["cap/regions/us-suoth:1:1: `us-suoth` is not a Container Registry region"]
    );
    assert_eq!(
        errors(&[("iam-policies.json", "[\"\u{0}\"]"), ("cbr-rules.json", "x\n")]),
        [
            "cap/iam-policies.json:1:3: invalid JSON: control character (\\u0000-\\u001F) found while parsing a string",
            "cap/cbr-rules.json:1:1: no JSON in the file: no line starts with `{` or `[`",
        ]
    );
    let dir = write(&[
        ("iam-policie.json", "[]"),
        ("cr-plan.json", "{}"),
        ("regions/us-south/cr-va.jsn", "[]"),
    ]);
    let folder = import::scan(dir.path(), "cap").unwrap();
    assert_eq!(
        folder.warnings,
        [
            "cap/cr-plan.json: not a capture file regcheck reads, ignored; a region's registry files go in `regions/<region>/`",
            "cap/iam-policie.json: not a capture file regcheck reads, ignored; did you mean `iam-policies.json`?",
            "cap/regions/us-south/cr-va.jsn: not a capture file regcheck reads, ignored; did you mean `cr-va.json`?",
        ]
    );
    let dir = write(&[]);
    std::fs::write(dir.path().join("iam-policies.json"), b"[\"\xff\"]").unwrap();
    let folder = import::scan(dir.path(), "cap").unwrap();
    let error = import::read(&folder).unwrap_err();
    assert_eq!(error.diagnostics[0].position(), "cap/iam-policies.json:1:3");
    assert_eq!(
        error.diagnostics[0].problem.message,
        "the file is not valid UTF-8"
    );
}

#[test]
fn hostile_values_are_escaped_in_toml_and_round_trip_through_the_loader() {
    let hostile = "a\"b\\c\nd\u{1b}[31m\u{7f}\u{202e}'''\"\"\"\te\u{0}";
    let inspect = serde_json::json!({
        "us.icr.io/shop-prod/api:1": {"Config": {"Env": [format!("X={hostile}")], "Labels": {hostile: hostile}}}
    });
    let list =
        r#"[{"Repository": "us.icr.io/shop-prod/api", "Tag": "1", "SecurityStatus": {"Status": "OK"}}]"#;
    let files = [
        ("regions/us-south/cr-namespace-list.json", NS),
        ("regions/us-south/cr-image-list.json", list),
        ("regions/us-south/cr-image-inspect.json", &inspect.to_string()),
    ];
    let dir = write(&files);
    let folder = import::scan(dir.path(), "cap").unwrap();
    let capture = import::read(&folder).unwrap();
    let options = MergeOptions {
        captured_at: captured_at(),
        prune: false,
        account_id: Some("acct-0001".to_owned()),
    };
    let (text, _) = import::merge(None, &capture, &options).unwrap();
    assert!(!text.contains('\u{1b}') && !text.contains('\u{0}'), "{text}");
    let loaded =
        regcheck::account::load_str("hostile.toml", text).unwrap_or_else(|e| panic!("{:?}", e.diagnostics));
    let image = &loaded.model.images[0];
    assert_eq!(image.env.as_deref(), Some(&[format!("X={hostile}")][..]));
    assert_eq!(image.labels.as_ref().unwrap()[hostile], hostile);
}
