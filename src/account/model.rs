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

/// The IBM Cloud account the evidence was exported from (`ibmcloud account show`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Account")]
pub struct AccountInfo {
    /// The IBM Cloud account id.
    #[schemars(length(min = 1))]
    pub id: String,
    /// A name for people; reports show it next to the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When this evidence was exported.
    pub captured_at: Timestamp,
}

/// One registry region in use (`ibmcloud cr region-set`), its plan and settings.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Registry")]
pub struct Registry {
    /// Registry region (see `data/regions.toml`).
    #[schemars(with = "RegionName")]
    pub region: String,
    /// The registry plan (`ibmcloud cr plan`): free (IBM prints Lite) or standard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// `ibmcloud cr private-only --status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_only: Option<bool>,
    /// `ibmcloud cr va-version`, for example "v4".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub va_version: Option<String>,
    /// Quota limits and use (`ibmcloud cr quota`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
}

/// Storage and pull-traffic quota and use (`ibmcloud cr quota`), in megabytes.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Quota")]
pub struct Quota {
    /// Storage limit, in megabytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub storage_limit_mb: Option<i64>,
    /// Storage used, in megabytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub storage_used_mb: Option<i64>,
    /// Monthly pull-traffic limit, in megabytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub traffic_limit_mb: Option<i64>,
    /// Pull traffic used this month, in megabytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub traffic_used_mb: Option<i64>,
}

/// A registry namespace (`ibmcloud cr namespace-list -v`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Namespace")]
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
    /// How much the namespace matters, in your judgement: critical, production or nonprod (the default).
    #[serde(default)]
    pub criticality: Criticality,
    /// The retention policy; absent means none (every image is kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
    /// Where this namespace's images are copied for disaster recovery.
    #[serde(default)]
    pub replicas: Vec<Replica>,
}

/// The namespace's retention policy (`ibmcloud cr retention-policy-list`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Retention policy")]
pub struct Retention {
    /// Images kept per repository; -1 keeps all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = -1))]
    pub images_per_repo: Option<i64>,
    /// Whether untagged images are kept.
    #[serde(default)]
    pub retain_untagged: bool,
    /// Days after which images are deleted, where the policy sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub deletion_threshold_days: Option<i64>,
}

/// A copy of the namespace's images in another region, for disaster recovery.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Replica")]
pub struct Replica {
    /// The region holding the copy.
    #[schemars(with = "RegionName")]
    pub region: String,
    /// The namespace holding the copy (default: the same name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9_-]{2,28}[a-z0-9]$"))]
    pub namespace: Option<String>,
    /// When the copy was last brought up to date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_synced: Option<Timestamp>,
    /// Whether the copied images were checked to have the source's digests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digests_verified: Option<bool>,
}

/// An image (`ibmcloud cr image-list --va`, `ibmcloud cr image-inspect`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Image")]
pub struct Image {
    /// `domain/namespace/repo[:tag|@digest]`; the domain gives the registry.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The image digest (`sha256:…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// When the image was built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    /// Vulnerability Advisor status: ok, issues, unsupported_os, scanning, incomplete or unscanned, or IBM's spellings (OK, No Issues, 3 Issues, Unsupported OS, …) in any case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub va_status: Option<VaStatus>,
    /// Vulnerability Advisor issues found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub issue_count: Option<i64>,
    /// Vulnerability Advisor issues exempted.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub exemption_count: i64,
    /// When the Vulnerability Advisor result was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub va_checked_at: Option<Timestamp>,
    /// Whether the image is encrypted.
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

/// An attestation that a secret scanner ran on the image.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Secret scan")]
pub struct SecretScan {
    /// The scanner (gitleaks, trufflehog, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// When it scanned the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanned_at: Option<Timestamp>,
    /// Secrets it found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub findings: Option<i64>,
}

/// A Vulnerability Advisor exemption (`ibmcloud cr exemption-list`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Exemption")]
pub struct Exemption {
    /// The registry region of the exemption.
    #[schemars(with = "RegionName")]
    pub region: String,
    /// `namespace/repo[:tag]`, or "*" for the whole account.
    pub scope: String,
    /// The issue type exempted (`cve`, `configuration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_type: Option<String>,
    /// The issue exempted (`CVE-2026-0001`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_id: Option<String>,
}

/// IAM settings, access groups, policies, service ids, API keys and context-based restrictions.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "IAM")]
pub struct Iam {
    /// The account setting of the Public Access group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_access_enabled: Option<bool>,
    /// Access groups and their members.
    #[serde(default)]
    pub access_groups: Vec<AccessGroup>,
    /// IAM access policies.
    #[serde(default)]
    pub policies: Vec<IamPolicy>,
    /// Service ids.
    #[serde(default)]
    pub service_ids: Vec<ServiceId>,
    /// API keys (metadata only).
    #[serde(default)]
    pub api_keys: Vec<ApiKey>,
    /// Context-based restriction rules.
    #[serde(default)]
    pub cbr_rules: Vec<CbrRule>,
}

/// An IAM access group (`ibmcloud iam access-groups`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Access group")]
pub struct AccessGroup {
    /// The access group id (`AccessGroupId-…`).
    pub id: String,
    /// The access group name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Members: user ids, e-mail addresses, service ids, trusted profiles.
    #[serde(default)]
    pub members: Vec<String>,
}

/// An IAM access policy (`ibmcloud iam access-policies`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "IAM policy")]
pub struct IamPolicy {
    /// The policy id.
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
    /// The resource, such as a namespace name; "" or absent for all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Set for a resource-group-scoped policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
}

/// An IAM service id (`ibmcloud iam service-ids`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Service id")]
pub struct ServiceId {
    /// The service id (`ServiceId-…`).
    pub id: String,
    /// The service id's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// An API key (`ibmcloud iam api-keys`, `service-api-keys`); never the key itself.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "API key")]
pub struct ApiKey {
    /// The API key id (`ApiKey-…`), never the key.
    pub id: String,
    /// A service id or a user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// When the key was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// Absent means the key never expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// When the key was last used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<Timestamp>,
    /// Whether the key is used to push or pull images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_for_registry: Option<bool>,
}

/// A context-based restriction rule (`ibmcloud cbr rules`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Context-based restriction rule")]
pub struct CbrRule {
    /// The rule id.
    pub id: String,
    /// Enforcement mode: enabled, report or disabled, in any case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforcement: Option<Enforcement>,
    /// "" for all regions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The resource type the rule covers; "" or absent for all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// The resource the rule covers; "" or absent for all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The network zones or endpoints the rule allows.
    #[serde(default)]
    pub contexts: Vec<String>,
}

/// A pipeline or cluster that pushes or pulls images, and the identity it uses.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Automation")]
pub struct Automation {
    /// A name for the pipeline or cluster.
    pub name: String,
    /// A service id, trusted profile or user; service ids must be declared in `iam.service_ids`.
    pub identity: String,
    /// What it does with the registry: pull or push, in any case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Access>,
    /// A namespace name (every region holding it) or "region/name".
    #[serde(default)]
    pub namespaces: Vec<String>,
}

/// Activity Tracker Event Routing set-up (`ibmcloud atracker target ls`, `route ls`, `setting get`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Activity Tracker")]
pub struct ActivityTracker {
    /// Target ids that receive events no route matched.
    #[serde(default)]
    pub default_targets: Vec<String>,
    /// Targets that receive events.
    #[serde(default)]
    pub targets: Vec<Target>,
    /// Routes from event locations to targets.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Evidence that someone watches the events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,
}

/// A target that receives events (`ibmcloud atracker target ls`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Activity Tracker target")]
pub struct Target {
    /// The target id.
    pub id: String,
    /// The target name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The target type: cloud_logs, cloud_object_storage, event_streams, app_config or logdna (IBM's spellings with hyphens too), in any case.
    #[serde(rename = "type")]
    pub target_type: TargetType,
    /// The region of the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `ibmcloud atracker target validate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_status: Option<WriteStatus>,
}

/// A route that sends events to targets (`ibmcloud atracker route ls`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Activity Tracker route")]
pub struct Route {
    /// The route id.
    pub id: String,
    /// The route name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Which locations go to which targets.
    #[serde(default)]
    pub rules: Vec<RouteRule>,
}

/// Which event locations a route sends to which targets.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Route rule")]
pub struct RouteRule {
    /// Event locations; "*" matches every location.
    #[serde(default)]
    pub locations: Vec<String>,
    /// The targets that receive these locations' events.
    #[serde(default)]
    pub target_ids: Vec<String>,
}

/// Evidence that someone watches the registry events.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Monitoring")]
pub struct Monitoring {
    /// Actions (`container-registry.namespace.delete`, …) that raise an alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_actions: Option<Vec<String>>,
    /// When someone last reviewed the registry events.
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

/// The JSON Schema of a choice (`choice_enum!`): what the loader accepts, which is every
/// canonical value and alias in any ASCII case, with whitespace around it.
///
/// JSON Schema has no case-insensitive `enum`, and its regular expressions (ECMA 262, as taplo's
/// and Python's engines read them) no `(?i)` flag, so the schema is an `anyOf` of an `enum` of the
/// canonical values, which editors offer as completions, and a `pattern` that spells each
/// accepted word with a character class per letter (`[Ll][Ii][Tt][Ee]`), which accepts every
/// other spelling. `extra_patterns` adds spellings that are not words (`N Issues`).
fn choice_schema(
    description: &str,
    canonical: &[&str],
    aliases: &[&str],
    extra_patterns: &[&str],
) -> schemars::Schema {
    let mut alternatives: Vec<String> = canonical
        .iter()
        .chain(aliases)
        .map(|word| any_case_pattern(word))
        .collect();
    alternatives.extend(extra_patterns.iter().map(|p| (*p).to_owned()));
    let pattern = format!(r"^\s*(?:{})\s*$", alternatives.join("|"));
    let spellings = if aliases.is_empty() {
        "The same values in any ASCII case.".to_owned()
    } else {
        format!(
            "The same values, or the spellings IBM's CLI and API print ({}), in any ASCII case.",
            aliases.join(", ")
        )
    };
    schemars::json_schema!({
        "description": description,
        "anyOf": [
            { "type": "string", "enum": canonical },
            {
                "type": "string",
                "pattern": pattern,
                "description": spellings,
            }
        ]
    })
}

/// A regular expression matching `word` in any ASCII case (`Lite` → `[Ll][Ii][Tt][Ee]`).
fn any_case_pattern(word: &str) -> String {
    let mut out = String::new();
    for c in word.chars() {
        if c.is_ascii_alphabetic() {
            out.push('[');
            out.push(c.to_ascii_uppercase());
            out.push(c.to_ascii_lowercase());
            out.push(']');
        } else if "\\^$.|?*+()[]{}/".contains(c) {
            // Only syntax characters are escaped: ECMA 262's unicode mode refuses `\-`.
            out.push('\\');
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out
}

/// Declares an enum of choices: canonical lowercase values (what rules and reports see) and the
/// IBM CLI/API spellings accepted as aliases, case-insensitively. The doc comment is the
/// schema's description; `patterns` adds spellings that are not words.
macro_rules! choice_enum {
    (
        #[doc = $doc:literal]
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $canonical:literal $(| $alias:literal)* ),+ $(,)?
        }
        $(patterns = [$($pattern:literal),*])?
    ) => {
        #[doc = $doc]
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $canonical)] $variant ),+
        }

        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                choice_schema(
                    $doc.trim(),
                    Self::VALUES,
                    &[$($($alias,)*)+],
                    &[$($($pattern),*)?],
                )
            }
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
    patterns = ["[0-9]+ [Ii][Ss][Ss][Uu][Ee][Ss]"]
}
