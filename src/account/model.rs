//! The typed account model: what an `account.toml` holds once it has loaded.
//!
//! The loader (`sections.rs`) builds these structs from the parsed TOML, reporting every problem
//! with its span; the JSON Schema (`regcheck schema`) is generated from them; the policy engine
//! sees them through their `Serialize` form, where absent optional fields stay absent (so a rule
//! that reads one fails closed) and defaulted fields carry their default.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use schemars::JsonSchema;
use serde::{Serialize, Serializer};

/// The only account file version this build reads.
pub const SCHEMA_VERSION: i64 = 1;

/// One IBM Cloud account's Container Registry set-up.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "regcheck account file", extend("$id" = "https://regcheck.dev/schema/account-v1.json"))]
pub struct Account {
    /// Version of this file format; must be 1.
    #[schemars(range(min = 1, max = 1))]
    pub schema_version: i64,
    /// The account the evidence was exported from.
    pub account: AccountInfo,
    /// One entry per registry instance in use (`ibmcloud cr region-set`).
    #[serde(default)]
    pub registries: Vec<Registry>,
    /// Namespaces (`ibmcloud cr namespace-list -v`).
    #[serde(default)]
    pub namespaces: Vec<Namespace>,
    /// Images (`ibmcloud cr image-list --va` and `image-inspect`).
    #[serde(default)]
    pub images: Vec<Image>,
    /// Vulnerability Advisor exemptions (`ibmcloud cr exemption-list`).
    #[serde(default)]
    pub exemptions: Vec<Exemption>,
    /// IAM settings, access groups, policies, service ids, API keys and CBR rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam: Option<Iam>,
    /// Pipelines and clusters that push or pull.
    #[serde(default)]
    pub automation: Vec<Automation>,
    /// Activity Tracker Event Routing (`ibmcloud atracker ...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_tracker: Option<ActivityTracker>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInfo {
    /// The IBM Cloud account id.
    #[schemars(length(min = 1))]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When this evidence was exported.
    pub captured_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Registry {
    /// Registry region (see `data/regions.toml`).
    #[schemars(with = "RegionName")]
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// `ibmcloud cr private-only --status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_only: Option<bool>,
    /// `ibmcloud cr va-version`, for example "v4".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub va_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub storage_limit_mb: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub storage_used_mb: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub traffic_limit_mb: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub traffic_used_mb: Option<i64>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Namespace {
    /// 4-30 characters of `[a-z0-9_-]`, starting and ending with a letter or digit.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9_-]{2,28}[a-z0-9]$"))]
    pub name: String,
    /// Must match a `[[registries]]` region.
    #[schemars(with = "RegionName")]
    pub region: String,
    /// Resource group name or id; "" or absent means unassigned (a legacy namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    #[serde(default)]
    pub criticality: Criticality,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
    /// Where this namespace's images are copied for disaster recovery.
    #[serde(default)]
    pub replicas: Vec<Replica>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Images kept per repository; -1 keeps all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = -1))]
    pub images_per_repo: Option<i64>,
    #[serde(default)]
    pub retain_untagged: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub deletion_threshold_days: Option<i64>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Replica {
    #[schemars(with = "RegionName")]
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_synced: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digests_verified: Option<bool>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// `domain/namespace/repo[:tag|@digest]`; the domain gives the registry.
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub va_status: Option<VaStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub issue_count: Option<i64>,
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub exemption_count: i64,
    /// When the Vulnerability Advisor result was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub va_checked_at: Option<Timestamp>,
    #[serde(default)]
    pub encrypted: bool,
    /// `Config.Env`: "NAME=value" strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    /// `Config.Labels`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// `created_by` lines of the image history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<String>>,
    /// File paths found in the layers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_paths: Option<Vec<String>>,
    /// An attestation that a secret scanner ran on the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_scan: Option<SecretScan>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretScan {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanned_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub findings: Option<i64>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exemption {
    #[schemars(with = "RegionName")]
    pub region: String,
    /// `namespace/repo[:tag]`, or "*" for the whole account.
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Iam {
    /// The account setting of the Public Access group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_access_enabled: Option<bool>,
    #[serde(default)]
    pub access_groups: Vec<AccessGroup>,
    #[serde(default)]
    pub policies: Vec<IamPolicy>,
    #[serde(default)]
    pub service_ids: Vec<ServiceId>,
    #[serde(default)]
    pub api_keys: Vec<ApiKey>,
    #[serde(default)]
    pub cbr_rules: Vec<CbrRule>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessGroup {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamPolicy {
    pub id: String,
    /// `AccessGroupId-…`, `ServiceId-…`, `Profile-…`, `IBMid-…` or an e-mail address.
    pub subject: String,
    /// Role names or CRNs.
    #[serde(default)]
    pub roles: Vec<String>,
    /// "container-registry", or "" for all IAM-enabled services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// "" for all regions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// "" for the whole service, or "namespace".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Set for a resource-group-scoped policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceId {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    pub id: String,
    /// A service id or a user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// Absent means the key never expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_for_registry: Option<bool>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CbrRule {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforcement: Option<Enforcement>,
    /// "" for all regions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(default)]
    pub contexts: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Automation {
    pub name: String,
    /// A service id, trusted profile or user; service ids must be declared in `iam.service_ids`.
    pub identity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Access>,
    /// A namespace name (every region holding it) or "region/name".
    #[serde(default)]
    pub namespaces: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityTracker {
    /// Target ids that receive events no route matched.
    #[serde(default)]
    pub default_targets: Vec<String>,
    #[serde(default)]
    pub targets: Vec<Target>,
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Evidence that someone watches the events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub target_type: TargetType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `ibmcloud atracker target validate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_status: Option<WriteStatus>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub rules: Vec<RouteRule>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    /// Event locations; "*" matches every location.
    #[serde(default)]
    pub locations: Vec<String>,
    #[serde(default)]
    pub target_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    /// Actions (`container-registry.namespace.delete`, …) that raise an alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_actions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_review: Option<Timestamp>,
}

/// A point in time. TOML datetimes with an offset, local dates (midnight UTC) and RFC 3339
/// strings are accepted; rules see a CEL timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    pub fn to_rfc3339(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The engine's converter recognises this newtype name and makes a CEL timestamp from
        // the nanoseconds that a non-human-readable serializer (it) is given; every other
        // serializer sees a plain RFC 3339 string.
        if serializer.is_human_readable() {
            serializer.serialize_newtype_struct(crate::engine::TIMESTAMP_NEWTYPE, &self.to_rfc3339())
        } else {
            let nanos =
                i128::from(self.0.timestamp()) * 1_000_000_000 + i128::from(self.0.timestamp_subsec_nanos());
            serializer.serialize_newtype_struct(crate::engine::TIMESTAMP_NEWTYPE, &nanos)
        }
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A TOML offset datetime (2026-11-20T06:00:00Z), a TOML local date (2026-11-20, midnight UTC) or an RFC 3339 string",
            "anyOf": [
                { "type": "string", "format": "date-time" },
                { "type": "string", "format": "date" }
            ]
        })
    }
}

/// A registry region name; the schema's list comes from `data/regions.toml`.
struct RegionName;

impl JsonSchema for RegionName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RegionName".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = crate::regions::names().collect();
        schemars::json_schema!({
            "description": "A Container Registry region",
            "type": "string",
            "enum": names
        })
    }
}

/// Declares an enum of choices: canonical lowercase values (what rules and reports see) and the
/// IBM CLI/API spellings accepted as aliases, case-insensitively.
macro_rules! choice_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $canonical:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $canonical)] $variant ),+
        }

        impl $name {
            /// Canonical spellings, in declaration order.
            pub const VALUES: &'static [&'static str] = &[$($canonical),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $canonical),+ }
            }
        }

        impl crate::toml_reader::Choice for $name {
            const VALUES: &'static [&'static str] = $name::VALUES;
            fn from_spelling(text: &str) -> Option<Self> {
                $(
                    if text.eq_ignore_ascii_case($canonical) $(|| text.eq_ignore_ascii_case($alias))* {
                        return Some(Self::$variant);
                    }
                )+
                None
            }
        }
    };
}

choice_enum! {
    /// Registry plan (`ibmcloud cr plan`).
    pub enum Plan {
        Free = "free" | "lite",
        Standard = "standard",
    }
}

choice_enum! {
    /// How much a namespace matters, as the user declares it.
    #[derive(Default)]
    pub enum Criticality {
        Critical = "critical",
        Production = "production",
        #[default]
        Nonprod = "nonprod",
    }
}

choice_enum! {
    /// Activity Tracker Event Routing target type.
    pub enum TargetType {
        CloudLogs = "cloud_logs" | "cloud-logs",
        CloudObjectStorage = "cloud_object_storage" | "cloud-object-storage",
        EventStreams = "event_streams" | "event-streams",
        AppConfig = "app_config" | "app-config",
        Logdna = "logdna",
    }
}

choice_enum! {
    /// Result of `ibmcloud atracker target validate`.
    pub enum WriteStatus {
        Success = "success",
        Failed = "failed",
    }
}

choice_enum! {
    /// Context-based restriction enforcement mode.
    pub enum Enforcement {
        Enabled = "enabled",
        Report = "report",
        Disabled = "disabled",
    }
}

choice_enum! {
    /// What an automation identity does with the registry.
    pub enum Access {
        Pull = "pull",
        Push = "push",
    }
}

choice_enum! {
    /// Vulnerability Advisor status of an image. `N Issues` (any number) is also read as `issues`.
    pub enum VaStatus {
        Ok = "ok" | "no issues",
        Issues = "issues" | "warn" | "fail",
        UnsupportedOs = "unsupported_os" | "unsupported" | "unsupported os",
        Scanning = "scanning",
        Incomplete = "incomplete",
        Unscanned = "unscanned",
    }
}
