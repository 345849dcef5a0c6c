//! One reader per section of the account file (`../shared/spec/account.md`).
//!
//! Each function reads one table into its model struct. A field that fails to read is recorded
//! in the collector and leaves its struct unbuilt (`None`), so the caller carries on with the
//! siblings and every problem of the file is found in one pass.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::model::*;
use crate::diagnostic::Problem;
use crate::regions;
use crate::suggest::did_you_mean;
use crate::toml_reader::{
    Collector, TableReader, array, array_on_cores, boolean, choice, integer, string, string_map, timestamp,
    top_of_file,
};

type Value<'i> = Spanned<DeValue<'i>>;

/// Reads the whole file. `None` means at least one problem was recorded.
pub fn read_account(source: &str, root: &Spanned<DeTable<'_>>, out: &mut Collector) -> Option<Account> {
    let mut top = TableReader::new(root.get_ref(), top_of_file(source), "the account file");
    let schema_version = top.required("schema_version", out, schema_version);
    let account = top.required("account", out, |v, out| account_info(source, v, out));
    let registries = top.optional("registries", out, array(|v, out| registry(source, v, out)));
    let namespaces = top.optional("namespaces", out, array(|v, out| namespace(source, v, out)));
    let images = top.optional("images", out, array_on_cores(|v, out| image(source, v, out)));
    let exemptions = top.optional("exemptions", out, array(|v, out| exemption(source, v, out)));
    let iam = top.optional("iam", out, |v, out| iam(source, v, out));
    let automation = top.optional("automation", out, array(|v, out| automation(source, v, out)));
    let activity_tracker = top.optional("activity_tracker", out, |v, out| activity_tracker(source, v, out));
    top.finish(out);
    Some(Account {
        schema_version: schema_version?,
        account: account?,
        registries: registries?.unwrap_or_default(),
        namespaces: namespaces?.unwrap_or_default(),
        images: images?.unwrap_or_default(),
        exemptions: exemptions?.unwrap_or_default(),
        iam: iam?,
        automation: automation?.unwrap_or_default(),
        activity_tracker: activity_tracker?,
    })
}

fn schema_version(value: &Value<'_>, out: &mut Collector) -> Option<i64> {
    let version = integer(value, out)?;
    if version != SCHEMA_VERSION {
        out.push(
            Problem::new(value.span(), format!("unsupported schema_version {version}"))
                .label(format!("this regcheck reads schema_version = {SCHEMA_VERSION}"))
                .help(format!("set `schema_version = {SCHEMA_VERSION}` and follow the account file format of this version")),
        );
        return None;
    }
    Some(version)
}

fn account_info(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<AccountInfo> {
    let mut t = TableReader::open(value, "[account]", source, out)?;
    let id = t.required("id", out, non_empty_string);
    let name = t.optional("name", out, string);
    let captured_at = t.required("captured_at", out, timestamp);
    t.finish(out);
    Some(AccountInfo {
        id: id?,
        name: name?,
        captured_at: captured_at?,
    })
}

fn registry(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<Registry> {
    let mut t = TableReader::open(value, "[[registries]]", source, out)?;
    let region = t.required("region", out, region);
    let plan = t.optional("plan", out, choice::<Plan>("plan"));
    let private_only = t.optional("private_only", out, boolean);
    let va_version = t.optional("va_version", out, string);
    let quota = t.optional("quota", out, |v, out| quota(source, v, out));
    t.finish(out);
    Some(Registry {
        region: region?,
        plan: plan?,
        private_only: private_only?,
        va_version: va_version?,
        quota: quota?,
    })
}

fn quota(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<Quota> {
    let mut t = TableReader::open(value, "quota", source, out)?;
    let storage_limit_mb = t.optional("storage_limit_mb", out, count);
    let storage_used_mb = t.optional("storage_used_mb", out, count);
    let traffic_limit_mb = t.optional("traffic_limit_mb", out, count);
    let traffic_used_mb = t.optional("traffic_used_mb", out, count);
    t.finish(out);
    Some(Quota {
        storage_limit_mb: storage_limit_mb?,
        storage_used_mb: storage_used_mb?,
        traffic_limit_mb: traffic_limit_mb?,
        traffic_used_mb: traffic_used_mb?,
    })
}

fn namespace(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<Namespace> {
    let mut t = TableReader::open(value, "[[namespaces]]", source, out)?;
    let name = t.required("name", out, namespace_name);
    let region = t.required("region", out, region);
    let resource_group = t.optional("resource_group", out, string);
    let criticality = t.optional("criticality", out, choice::<Criticality>("criticality"));
    let retention = t.optional("retention", out, |v, out| retention(source, v, out));
    let replicas = t.optional("replicas", out, array(|v, out| replica(source, v, out)));
    t.finish(out);
    Some(Namespace {
        name: name?,
        region: region?,
        resource_group: resource_group?,
        criticality: criticality?.unwrap_or_default(),
        retention: retention?,
        replicas: replicas?.unwrap_or_default(),
    })
}

fn retention(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<Retention> {
    let mut t = TableReader::open(value, "retention", source, out)?;
    let images_per_repo = t.optional("images_per_repo", out, images_per_repo);
    let retain_untagged = t.optional("retain_untagged", out, boolean);
    let deletion_threshold_days = t.optional("deletion_threshold_days", out, count);
    t.finish(out);
    Some(Retention {
        images_per_repo: images_per_repo?,
        retain_untagged: retain_untagged?.unwrap_or(false),
        deletion_threshold_days: deletion_threshold_days?,
    })
}

fn replica(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<Replica> {
    let mut t = TableReader::open(value, "a replica", source, out)?;
    let region = t.required("region", out, region);
    let namespace = t.optional("namespace", out, namespace_name);
    let last_synced = t.optional("last_synced", out, timestamp);
    let digests_verified = t.optional("digests_verified", out, boolean);
    t.finish(out);
    Some(Replica {
        region: region?,
        namespace: namespace?,
        last_synced: last_synced?,
        digests_verified: digests_verified?,
    })
}

fn image(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<Image> {
    let mut t = TableReader::open(value, "[[images]]", source, out)?;
    let reference = t.required("ref", out, non_empty_string);
    let digest = t.optional("digest", out, string);
    let created = t.optional("created", out, timestamp);
    let va_status = t.optional("va_status", out, va_status);
    let issue_count = t.optional("issue_count", out, count);
    let exemption_count = t.optional("exemption_count", out, count);
    let va_checked_at = t.optional("va_checked_at", out, timestamp);
    let encrypted = t.optional("encrypted", out, boolean);
    let env = t.optional("env", out, array(string));
    let labels = t.optional("labels", out, string_map);
    let history = t.optional("history", out, array(string));
    let layer_paths = t.optional("layer_paths", out, array(string));
    let secret_scan = t.optional("secret_scan", out, |v, out| secret_scan(source, v, out));
    t.finish(out);
    Some(Image {
        reference: reference?,
        digest: digest?,
        created: created?,
        va_status: va_status?,
        issue_count: issue_count?,
        exemption_count: exemption_count?.unwrap_or(0),
        va_checked_at: va_checked_at?,
        encrypted: encrypted?.unwrap_or(false),
        env: env?,
        labels: labels?,
        history: history?,
        layer_paths: layer_paths?,
        secret_scan: secret_scan?,
    })
}

/// A count or size (`issue_count`, quota figures, …): an integer of 0 or more.
fn count(value: &Value<'_>, out: &mut Collector) -> Option<i64> {
    let number = integer(value, out)?;
    if number < 0 {
        out.push(
            Problem::new(value.span(), format!("negative count {number}"))
                .label("counts and sizes are 0 or more"),
        );
        return None;
    }
    Some(number)
}

/// `retention.images_per_repo`: 0 or more, or -1 for "keep every image".
fn images_per_repo(value: &Value<'_>, out: &mut Collector) -> Option<i64> {
    let number = integer(value, out)?;
    if number < -1 {
        out.push(
            Problem::new(value.span(), format!("negative count {number}"))
                .label("images_per_repo is 0 or more, or -1 to keep every image"),
        );
        return None;
    }
    Some(number)
}

/// `va_status` takes the enum spellings plus IBM's `N Issues` summary (any number).
fn va_status(value: &Value<'_>, out: &mut Collector) -> Option<VaStatus> {
    if let DeValue::String(text) = value.get_ref()
        && let Some((count, word)) = text.trim().split_once(' ')
        && !count.is_empty()
        && count.chars().all(|c| c.is_ascii_digit())
        && word.eq_ignore_ascii_case("issues")
    {
        return Some(VaStatus::Issues);
    }
    choice::<VaStatus>("va_status")(value, out)
}

fn secret_scan(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<SecretScan> {
    let mut t = TableReader::open(value, "secret_scan", source, out)?;
    let tool = t.optional("tool", out, string);
    let scanned_at = t.optional("scanned_at", out, timestamp);
    let findings = t.optional("findings", out, count);
    t.finish(out);
    Some(SecretScan {
        tool: tool?,
        scanned_at: scanned_at?,
        findings: findings?,
    })
}

fn exemption(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<Exemption> {
    let mut t = TableReader::open(value, "[[exemptions]]", source, out)?;
    let region = t.required("region", out, region);
    let scope = t.required("scope", out, non_empty_string);
    let issue_type = t.optional("issue_type", out, string);
    let issue_id = t.optional("issue_id", out, string);
    t.finish(out);
    Some(Exemption {
        region: region?,
        scope: scope?,
        issue_type: issue_type?,
        issue_id: issue_id?,
    })
}

fn iam(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<Iam> {
    let mut t = TableReader::open(value, "[iam]", source, out)?;
    let public_access_enabled = t.optional("public_access_enabled", out, boolean);
    let access_groups = t.optional("access_groups", out, array(|v, out| access_group(source, v, out)));
    let policies = t.optional("policies", out, array(|v, out| iam_policy(source, v, out)));
    let service_ids = t.optional("service_ids", out, array(|v, out| service_id(source, v, out)));
    let api_keys = t.optional("api_keys", out, array(|v, out| api_key(source, v, out)));
    let cbr_rules = t.optional("cbr_rules", out, array(|v, out| cbr_rule(source, v, out)));
    t.finish(out);
    Some(Iam {
        public_access_enabled: public_access_enabled?,
        access_groups: access_groups?.unwrap_or_default(),
        policies: policies?.unwrap_or_default(),
        service_ids: service_ids?.unwrap_or_default(),
        api_keys: api_keys?.unwrap_or_default(),
        cbr_rules: cbr_rules?.unwrap_or_default(),
    })
}

fn access_group(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<AccessGroup> {
    let mut t = TableReader::open(value, "[[iam.access_groups]]", source, out)?;
    let id = t.required("id", out, non_empty_string);
    let name = t.optional("name", out, string);
    let members = t.optional("members", out, array(string));
    t.finish(out);
    Some(AccessGroup {
        id: id?,
        name: name?,
        members: members?.unwrap_or_default(),
    })
}

fn iam_policy(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<IamPolicy> {
    let mut t = TableReader::open(value, "[[iam.policies]]", source, out)?;
    let id = t.required("id", out, non_empty_string);
    let subject = t.required("subject", out, non_empty_string);
    let roles = t.optional("roles", out, array(string));
    let service = t.optional("service", out, string);
    let region = t.optional("region", out, string);
    let resource_type = t.optional("resource_type", out, string);
    let resource = t.optional("resource", out, string);
    let resource_group = t.optional("resource_group", out, string);
    t.finish(out);
    Some(IamPolicy {
        id: id?,
        subject: subject?,
        roles: roles?.unwrap_or_default(),
        service: service?,
        region: region?,
        resource_type: resource_type?,
        resource: resource?,
        resource_group: resource_group?,
    })
}

fn service_id(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<ServiceId> {
    let mut t = TableReader::open(value, "[[iam.service_ids]]", source, out)?;
    let id = t.required("id", out, non_empty_string);
    let name = t.optional("name", out, string);
    t.finish(out);
    Some(ServiceId { id: id?, name: name? })
}

fn api_key(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<ApiKey> {
    let mut t = TableReader::open(value, "[[iam.api_keys]]", source, out)?;
    let id = t.required("id", out, non_empty_string);
    let owner = t.optional("owner", out, string);
    let created_at = t.optional("created_at", out, timestamp);
    let expires_at = t.optional("expires_at", out, timestamp);
    let last_used_at = t.optional("last_used_at", out, timestamp);
    let used_for_registry = t.optional("used_for_registry", out, boolean);
    t.finish(out);
    Some(ApiKey {
        id: id?,
        owner: owner?,
        created_at: created_at?,
        expires_at: expires_at?,
        last_used_at: last_used_at?,
        used_for_registry: used_for_registry?,
    })
}

fn cbr_rule(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<CbrRule> {
    let mut t = TableReader::open(value, "[[iam.cbr_rules]]", source, out)?;
    let id = t.required("id", out, non_empty_string);
    let enforcement = t.optional("enforcement", out, choice::<Enforcement>("enforcement"));
    let region = t.optional("region", out, string);
    let resource_type = t.optional("resource_type", out, string);
    let resource = t.optional("resource", out, string);
    let contexts = t.optional("contexts", out, array(string));
    t.finish(out);
    Some(CbrRule {
        id: id?,
        enforcement: enforcement?,
        region: region?,
        resource_type: resource_type?,
        resource: resource?,
        contexts: contexts?.unwrap_or_default(),
    })
}

fn automation(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<Automation> {
    let mut t = TableReader::open(value, "[[automation]]", source, out)?;
    let name = t.required("name", out, non_empty_string);
    let identity = t.required("identity", out, non_empty_string);
    let access = t.optional("access", out, choice::<Access>("access"));
    let namespaces = t.optional("namespaces", out, array(string));
    t.finish(out);
    Some(Automation {
        name: name?,
        identity: identity?,
        access: access?,
        namespaces: namespaces?.unwrap_or_default(),
    })
}

fn activity_tracker(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<ActivityTracker> {
    let mut t = TableReader::open(value, "[activity_tracker]", source, out)?;
    let default_targets = t.optional("default_targets", out, array(string));
    let targets = t.optional("targets", out, array(|v, out| target(source, v, out)));
    let routes = t.optional("routes", out, array(|v, out| route(source, v, out)));
    let monitoring = t.optional("monitoring", out, |v, out| monitoring(source, v, out));
    t.finish(out);
    Some(ActivityTracker {
        default_targets: default_targets?.unwrap_or_default(),
        targets: targets?.unwrap_or_default(),
        routes: routes?.unwrap_or_default(),
        monitoring: monitoring?,
    })
}

fn target(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<Target> {
    let mut t = TableReader::open(value, "[[activity_tracker.targets]]", source, out)?;
    let id = t.required("id", out, non_empty_string);
    let name = t.optional("name", out, string);
    let target_type = t.required("type", out, choice::<TargetType>("target type"));
    let region = t.optional("region", out, string);
    let write_status = t.optional("write_status", out, choice::<WriteStatus>("write_status"));
    t.finish(out);
    Some(Target {
        id: id?,
        name: name?,
        target_type: target_type?,
        region: region?,
        write_status: write_status?,
    })
}

fn route(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<Route> {
    let mut t = TableReader::open(value, "[[activity_tracker.routes]]", source, out)?;
    let id = t.required("id", out, non_empty_string);
    let name = t.optional("name", out, string);
    let rules = t.optional("rules", out, array(|v, out| route_rule(source, v, out)));
    t.finish(out);
    Some(Route {
        id: id?,
        name: name?,
        rules: rules?.unwrap_or_default(),
    })
}

fn route_rule(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<RouteRule> {
    let mut t = TableReader::open(value, "a route rule", source, out)?;
    let locations = t.optional("locations", out, array(string));
    let target_ids = t.optional("target_ids", out, array(string));
    t.finish(out);
    Some(RouteRule {
        locations: locations?.unwrap_or_default(),
        target_ids: target_ids?.unwrap_or_default(),
    })
}

fn monitoring(source: &str, value: &Value<'_>, out: &mut Collector) -> Option<Monitoring> {
    let mut t = TableReader::open(value, "[activity_tracker.monitoring]", source, out)?;
    let alert_actions = t.optional("alert_actions", out, array(string));
    let last_review = t.optional("last_review", out, timestamp);
    t.finish(out);
    Some(Monitoring {
        alert_actions: alert_actions?,
        last_review: last_review?,
    })
}

fn non_empty_string(value: &Value<'_>, out: &mut Collector) -> Option<String> {
    let text = string(value, out)?;
    if text.trim().is_empty() {
        out.push(Problem::new(value.span(), "empty string").label("a value is required here"));
        return None;
    }
    Some(text)
}

/// A registry region from `data/regions.toml`.
fn region(value: &Value<'_>, out: &mut Collector) -> Option<String> {
    let text = string(value, out)?;
    if regions::by_name(&text).is_some() {
        return Some(text);
    }
    let mut problem = Problem::new(value.span(), format!("unknown registry region `{text}`"))
        .label("not a Container Registry region");
    problem = match did_you_mean(&text.to_ascii_lowercase(), regions::names()) {
        Some(best) => problem.help(format!("did you mean `{best}`?")),
        None => problem.help(format!(
            "regions: {}",
            regions::names().collect::<Vec<_>>().join(", ")
        )),
    };
    out.push(problem);
    None
}

/// IBM's namespace naming rule: 4-30 characters of `[a-z0-9_-]`, alphanumeric at both ends.
pub fn is_valid_namespace_name(name: &str) -> bool {
    let length_ok = (4..=30).contains(&name.len());
    let chars_ok = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    let ends_ok = name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric());
    length_ok && chars_ok && ends_ok
}

fn namespace_name(value: &Value<'_>, out: &mut Collector) -> Option<String> {
    let text = string(value, out)?;
    if is_valid_namespace_name(&text) {
        return Some(text);
    }
    out.push(
        Problem::new(value.span(), format!("invalid namespace name `{text}`"))
            .label("not a valid namespace name")
            .help("a namespace name has 4 to 30 characters of a-z, 0-9, `-` and `_`, and starts and ends with a letter or digit"),
    );
    None
}
