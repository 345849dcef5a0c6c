//! Domain helper functions that policies call from CEL. This list is their one documentation:
//! `docs/writing-policies.md` and `regcheck explain` read it.
//!
//! Every helper is total: it never panics, and a wrong argument is an error (which fails the
//! rule closed), never a silent `false`.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::cel::{Arg, Node};
use super::data::Data;
use super::iam;
use super::index;
use crate::account::imageref::ImageRef;
use crate::regions;
use crate::secrets;

pub struct Helper {
    pub name: &'static str,
    pub arity: usize,
    pub signature: &'static str,
    pub doc: &'static str,
    pub run: Run,
}

/// How a helper computes its result.
pub enum Run {
    /// A value made for the call.
    Value(fn(&[Arg]) -> Result<Data, String>),
    /// A place in the account as CEL sees it, handed back without a copy (a namespace that a
    /// rule reads for each of 100k images).
    Account(fn(&[Arg]) -> Result<Node<'static>, String>),
    /// A list of places in the account, or of values made for the call (an identity's
    /// policies: the account's own, which rules then pass on to other helpers).
    List(fn(&[Arg]) -> Result<index::Listed, String>),
}

pub const HELPERS: &[Helper] = &[
    Helper {
        name: "event_location",
        arity: 1,
        signature: "event_location(region: string) -> string",
        doc: "Where Activity Tracker locates a registry region's events: the region itself, or `us-east` for the global registry.",
        run: Run::Value(|args| Ok(Data::Str(event_location(text(args, 0)?)?.to_owned()))),
    },
    Helper {
        name: "location_covers",
        arity: 2,
        signature: "location_covers(route_location: string, event_location: string) -> bool",
        doc: "Whether a route rule location covers an event location: `*`, the same location, or a prefix ending at a hyphen (`jp` covers `jp-tok`, `eu-de` covers `eu-de-1`). A zone does not cover its region.",
        run: Run::Value(|args| Ok(Data::Bool(location_covers(text(args, 0)?, text(args, 1)?)))),
    },
    Helper {
        name: "receiving_targets",
        arity: 2,
        signature: "receiving_targets(activity_tracker: map, region: string) -> list<string>",
        doc: "Ids of the declared targets that receive a registry region's events: those named by every route rule covering its event location, plus the declared default targets. Sorted, without duplicates; undeclared ids are left out (ICR-AT-002 reports them).",
        run: Run::Value(|args| {
            let targets = receiving_targets(arg(args, 0)?, text(args, 1)?)?;
            Ok(Data::List(targets.into_iter().map(Data::Str).collect()))
        }),
    },
    Helper {
        name: "age_days",
        arity: 2,
        signature: "age_days(time: timestamp, as_of: timestamp) -> int",
        doc: "Whole days from `time` to `as_of`: the floor of the exact age (90 days and 8 hours is 90), negative when `time` is later.",
        run: Run::Value(|args| Ok(Data::Int(age_days(time(args, 0)?, time(args, 1)?)))),
    },
    Helper {
        name: "format_time",
        arity: 1,
        signature: "format_time(time: timestamp) -> string",
        doc: "A time as messages show it: the date alone at midnight UTC (`2026-11-20`), else to the second in UTC (`2026-11-20T06:15:00Z`); never fractions of a second. `string(time)` prints nanoseconds when the time has them.",
        run: Run::Value(|args| Ok(Data::Str(time_text(time(args, 0)?)))),
    },
    Helper {
        name: "format_age",
        arity: 2,
        signature: "format_age(time: timestamp, as_of: timestamp) -> string",
        doc: "How long before `as_of` `time` was, for a message: whole days from two days on (`11 days`, the floor, as ages in days compare), hours and minutes below that (`24 hours 1 minute`), for the rules whose limit is in hours. A time after `as_of` reads `0 minutes`.",
        run: Run::Value(|args| Ok(Data::Str(age_text(time(args, 0)?, time(args, 1)?)))),
    },
    Helper {
        name: "join_first",
        arity: 3,
        signature: "join_first(items: list, separator: string, max: int) -> string",
        doc: "The first `max` items joined with `separator`, then how many were left out: `a, b, and 17 more`. Strings are joined as they are, other values in CEL syntax. Keeps a message readable when a list can be long (an identity's policies, a region's namespaces).",
        run: Run::Value(|args| {
            let items = arg(args, 0)?.as_list().ok_or_else(|| {
                format!(
                    "argument 1 must be a list, got {}",
                    arg(args, 0).map_or("nothing", Data::type_name)
                )
            })?;
            let max = match arg(args, 2)? {
                Data::Int(max) => {
                    usize::try_from(*max).map_err(|_| "argument 3 must not be negative".to_owned())?
                }
                other => return Err(format!("argument 3 must be an int, got {}", other.type_name())),
            };
            Ok(Data::Str(join_first(items, text(args, 1)?, max)))
        }),
    },
    Helper {
        name: "subject_kind",
        arity: 1,
        signature: "subject_kind(subject: string) -> string",
        doc: "The kind of an IAM subject id: `access_group` (AccessGroupId-…), `service_id` (ServiceId-…), `trusted_profile` (Profile-…), `user` (IBMid-… or an e-mail address) or `unknown`.",
        run: Run::Value(|args| Ok(Data::Str(iam::subject_kind(text(args, 0)?).to_owned()))),
    },
    Helper {
        name: "has_role",
        arity: 2,
        signature: "has_role(roles: list<string>, role: string) -> bool",
        doc: "Whether a policy's roles grant `role`; roles may be names (`Manager`) or CRNs (`crn:v1:bluemix:public:iam::::serviceRole:Manager`), compared case-insensitively.",
        run: Run::Value(|args| Ok(Data::Bool(iam::has_role(arg(args, 0)?, text(args, 1)?)?))),
    },
    Helper {
        name: "is_registry_policy",
        arity: 1,
        signature: "is_registry_policy(policy: map) -> bool",
        doc: "Whether an access policy applies to Container Registry: service `container-registry` or `\"\"` (all IAM-enabled services). A policy without `service` is an error (unknown scope).",
        run: Run::Value(|args| Ok(Data::Bool(iam::is_registry_policy(arg(args, 0)?)?))),
    },
    Helper {
        name: "is_account_wide",
        arity: 1,
        signature: "is_account_wide(policy: map) -> bool",
        doc: "Whether a registry policy is account-wide: no resource_type, resource or resource_group (a region may be set).",
        run: Run::Value(|args| Ok(Data::Bool(iam::is_account_wide(arg(args, 0)?)?))),
    },
    Helper {
        name: "identity_policies",
        arity: 2,
        signature: "identity_policies(iam: map, identity: string) -> list<map>",
        doc: "An identity's policies: those whose subject is the identity, plus those of every access group that lists it as a member.",
        run: Run::List(|args| {
            let (iam, identity) = (arg(args, 0)?, text(args, 1)?);
            Ok(index::with_current(|index| {
                index.identity_policies(iam, identity)
            }))
        }),
    },
    Helper {
        name: "account_wide_managers",
        arity: 1,
        signature: "account_wide_managers(iam: map) -> list<string>",
        doc: "Distinct subjects holding Manager on the registry through an account-wide policy; access groups are expanded to their members, and a group with no members counts as itself. Sorted.",
        run: Run::Value(|args| {
            let managers = iam::account_wide_managers(arg(args, 0)?)?;
            Ok(Data::List(managers.into_iter().map(Data::Str).collect()))
        }),
    },
    Helper {
        name: "covers_namespace",
        arity: 4,
        signature: "covers_namespace(policy: map, region: string, namespace: string, resource_group: string) -> bool",
        doc: "Whether a registry policy grants access to a namespace: scoped to that namespace, to its resource group, or account-wide; a policy with a region covers only that region.",
        run: Run::Value(|args| {
            Ok(Data::Bool(iam::covers_namespace(
                arg(args, 0)?,
                text(args, 1)?,
                text(args, 2)?,
                text(args, 3)?,
            )?))
        }),
    },
    Helper {
        name: "image_ref",
        arity: 1,
        signature: "image_ref(ref: string) -> map",
        doc: "The parts of an image reference: `domain`, `namespace`, `repository`, `tag` and `digest` (\"\" when absent) and `region` (the registry region of the domain). A ref with neither tag nor digest means `:latest`; `tag` stays \"\" so rules can tell.",
        run: Run::Value(|args| image_ref(text(args, 0)?)),
    },
    Helper {
        name: "image_namespace",
        arity: 1,
        signature: "image_namespace(ref: string) -> map",
        doc: "The declared `[[namespaces]]` entry that holds an image, found from its ref's domain (region) and namespace; looked up in an index built once per account. An image in an undeclared namespace cannot load, so this never misses for an image of the account.",
        run: Run::Account(|args| {
            let reference = text(args, 0)?;
            let parsed =
                ImageRef::parse(reference).ok_or_else(|| format!("invalid image reference `{reference}`"))?;
            let region = parsed
                .region()
                .ok_or_else(|| format!("`{}` is not a registry domain", parsed.domain))?;
            index::with_current(|index| {
                index
                    .namespace(&region.name, parsed.namespace)
                    .ok_or_else(|| format!("namespace {}/{} is not declared", region.name, parsed.namespace))
            })
        }),
    },
    Helper {
        name: "namespaces_denoted",
        arity: 1,
        signature: "namespaces_denoted(entry: string) -> list<map>",
        doc: "The declared `[[namespaces]]` that an `[[automation]]` `namespaces` entry stands for, in file order: `region/name` is that one namespace, a bare `name` is that name in every region holding it; empty when none is declared. Looked up in the account's index.",
        run: Run::Value(|args| {
            let entry = text(args, 0)?;
            let found: Vec<Data> = index::with_current(|index| match entry.split_once('/') {
                Some((region, name)) => index.namespace(region, name).iter().map(Node::to_data).collect(),
                None => index.namespaces_named(entry).map(|node| node.to_data()).collect(),
            });
            Ok(Data::List(found))
        }),
    },
    Helper {
        name: "secrets_in_env",
        arity: 1,
        signature: "secrets_in_env(entry: string) -> list<map>",
        doc: "Secrets in a `NAME=value` environment entry: one map per secret with `kind` (an id such as `ibm-cloud-api-key`), `description`, `class` (`ibm`, `other` or `keyword`, for ICR-SEC-001, -002 and -003) and `name` (the variable). Never the value or any part of it.",
        run: Run::Value(|args| Ok(detections(secrets::scan_env_entry(text(args, 0)?)))),
    },
    Helper {
        name: "secrets_in_label",
        arity: 2,
        signature: "secrets_in_label(name: string, value: string) -> list<map>",
        doc: "Secrets in an image label, as `secrets_in_env` describes them.",
        run: Run::Value(|args| Ok(detections(secrets::scan_label(text(args, 0)?, text(args, 1)?)))),
    },
    Helper {
        name: "secrets_in_history",
        arity: 1,
        signature: "secrets_in_history(line: string) -> list<map>",
        doc: "Secrets in an image history line (`created_by`): build args (`|N NAME=value`), `ENV`/`LABEL`/`ARG` instructions, assignments in front of a command, and command lines that carry a password. `name` is the assignment that holds it, or \"\".",
        run: Run::Value(|args| Ok(detections(secrets::scan_history_line(text(args, 0)?)))),
    },
    Helper {
        name: "credential_file",
        arity: 1,
        signature: "credential_file(path: string) -> list<map>",
        doc: "Whether a layer path is a key or credential file (`.ssh/id_*`, `*.pem`, `.env`, `.npmrc`, `.docker/config.json`, …): a list with one map (`kind`, `description`, `class` = `file`) or an empty list.",
        run: Run::Value(|args| {
            Ok(detections(
                secrets::scan_layer_path(text(args, 0)?).into_iter().collect(),
            ))
        }),
    },
    Helper {
        name: "matches_pattern",
        arity: 2,
        signature: "matches_pattern(text: string, pattern: string) -> bool",
        doc: "Like CEL's `text.matches(pattern)` (RE2 syntax, unanchored), but the pattern is compiled once per thread and reused: CEL's `matches` compiles it on every call, which dominates a rule that runs for every image. An invalid pattern is an error.",
        run: Run::Value(|args| Ok(Data::Bool(matches_pattern(text(args, 0)?, text(args, 1)?)?))),
    },
    Helper {
        name: "region_domain",
        arity: 1,
        signature: "region_domain(region: string) -> string",
        doc: "The public registry domain of a region (`us-south` → `us.icr.io`, `global` → `icr.io`).",
        run: Run::Value(|args| {
            let region = text(args, 0)?;
            regions::by_name(region)
                .map(|info| Data::Str(info.domain.clone()))
                .ok_or_else(|| format!("unknown registry region `{region}`"))
        }),
    },
];

/// The helper reference in Markdown, for `docs/writing-policies.md` (kept in sync by a test).
pub fn reference_markdown() -> String {
    let mut text = String::from("| function | what it returns |\n|---|---|\n");
    for helper in HELPERS {
        text.push_str(&format!(
            "| `{}` | {} |\n",
            helper.signature,
            helper.doc.replace('|', "\\|")
        ));
    }
    text
}

fn matches_pattern(text: &str, pattern: &str) -> Result<bool, String> {
    let regex = super::pattern::compiled(pattern).map_err(|error| format!("invalid pattern: {error}"))?;
    Ok(regex.is_match(text))
}

/// Detections as policies see them: kinds, classes and names, never values or spans.
fn detections(found: Vec<secrets::Detection>) -> Data {
    Data::List(
        found
            .into_iter()
            .map(|detection| {
                let class = match detection.kind.class() {
                    secrets::SecretClass::Ibm => "ibm",
                    secrets::SecretClass::Other => "other",
                    secrets::SecretClass::Keyword => "keyword",
                    secrets::SecretClass::File => "file",
                };
                let fields = [
                    ("kind", detection.kind.id().to_owned()),
                    ("description", detection.kind.description().to_owned()),
                    ("class", class.to_owned()),
                    ("name", detection.name.unwrap_or_default()),
                ];
                Data::Map(
                    fields
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), Data::Str(v)))
                        .collect(),
                )
            })
            .collect(),
    )
}

fn image_ref(reference: &str) -> Result<Data, String> {
    let parsed =
        ImageRef::parse(reference).ok_or_else(|| format!("invalid image reference `{reference}`"))?;
    let region = parsed.region().map_or("", |info| info.name.as_str());
    let fields = [
        ("domain", parsed.domain),
        ("namespace", parsed.namespace),
        ("repository", parsed.repository),
        ("tag", parsed.tag.unwrap_or("")),
        ("digest", parsed.digest.unwrap_or("")),
        ("region", region),
    ];
    Ok(Data::Map(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Data::Str(v.to_owned())))
            .collect(),
    ))
}

fn arg<'a>(args: &'a [Arg<'_>], index: usize) -> Result<&'a Data, String> {
    args.get(index)
        .map(|arg| &**arg)
        .ok_or_else(|| format!("missing argument {}", index + 1))
}

fn text<'a>(args: &'a [Arg<'_>], index: usize) -> Result<&'a str, String> {
    if let Some(text) = args.get(index).and_then(Arg::as_text) {
        return Ok(text);
    }
    let value = arg(args, index)?;
    value.as_str().ok_or_else(|| {
        format!(
            "argument {} must be a string, got {}",
            index + 1,
            value.type_name()
        )
    })
}

fn time(args: &[Arg], index: usize) -> Result<DateTime<Utc>, String> {
    match arg(args, index)? {
        Data::Time(time) => Ok(*time),
        other => Err(format!(
            "argument {} must be a timestamp, got {}",
            index + 1,
            other.type_name()
        )),
    }
}

fn strings<'a>(value: Option<&'a Data>, what: &str) -> Result<Vec<&'a str>, String> {
    match value {
        None => Ok(Vec::new()),
        Some(Data::List(items)) => items
            .iter()
            .map(|item| item.as_str().ok_or_else(|| format!("{what} must hold strings")))
            .collect(),
        Some(other) => Err(format!("{what} must be a list, got {}", other.type_name())),
    }
}

pub fn event_location(region: &str) -> Result<&'static str, String> {
    regions::by_name(region)
        .map(|info| info.event_location.as_str())
        .ok_or_else(|| format!("unknown registry region `{region}`"))
}

pub fn location_covers(route_location: &str, event_location: &str) -> bool {
    route_location == "*"
        || route_location == event_location
        || event_location
            .strip_prefix(route_location)
            .is_some_and(|rest| rest.starts_with('-'))
}

pub fn receiving_targets(activity_tracker: &Data, region: &str) -> Result<Vec<String>, String> {
    let location = event_location(region)?;
    let declared: BTreeSet<&str> = match activity_tracker.get("targets") {
        None => BTreeSet::new(),
        Some(Data::List(targets)) => targets
            .iter()
            .filter_map(|target| target.get("id").and_then(Data::as_str))
            .collect(),
        Some(other) => {
            return Err(format!(
                "activity_tracker.targets must be a list, got {}",
                other.type_name()
            ));
        }
    };
    let mut receiving: BTreeSet<&str> = strings(activity_tracker.get("default_targets"), "default_targets")?
        .into_iter()
        .collect();
    if let Some(routes) = activity_tracker.get("routes") {
        let routes = routes.as_list().ok_or("activity_tracker.routes must be a list")?;
        for route in routes {
            let rules = route.get("rules").and_then(Data::as_list).unwrap_or_default();
            for rule in rules {
                let covers = strings(rule.get("locations"), "locations")?
                    .into_iter()
                    .any(|candidate| location_covers(candidate, location));
                if covers {
                    receiving.extend(strings(rule.get("target_ids"), "target_ids")?);
                }
            }
        }
    }
    Ok(receiving
        .into_iter()
        .filter(|id| declared.contains(id))
        .map(str::to_owned)
        .collect())
}

/// Whole days from `time` to `as_of`: the floor of the exact age, so that 90 days and 8 hours
/// is 90 days and passes a 90-day limit (rules.md, "Ages"); an age in the future rounds down
/// too (half a day ahead is -1).
pub fn age_days(time: DateTime<Utc>, as_of: DateTime<Utc>) -> i64 {
    let age = as_of - time;
    let days = age.num_days();
    if age < chrono::Duration::days(days) {
        days - 1
    } else {
        days
    }
}

/// See `format_time` in [`HELPERS`].
pub fn time_text(time: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let midnight = time.num_seconds_from_midnight() == 0 && time.nanosecond() == 0;
    // Written out rather than through `format`, which parses its pattern on every call (a
    // message per failing image calls this); chrono still writes the years that need a sign.
    if !(0..=9999).contains(&time.year()) {
        return time
            .format(if midnight {
                "%Y-%m-%d"
            } else {
                "%Y-%m-%dT%H:%M:%SZ"
            })
            .to_string();
    }
    let date = format!("{:04}-{:02}-{:02}", time.year(), time.month(), time.day());
    if midnight {
        date
    } else {
        format!(
            "{date}T{:02}:{:02}:{:02}Z",
            time.hour(),
            time.minute(),
            time.second()
        )
    }
}

/// See `format_age` in [`HELPERS`].
pub fn age_text(time: DateTime<Utc>, as_of: DateTime<Utc>) -> String {
    let minutes = (as_of - time).num_minutes().max(0);
    let unit = |count: i64, one: &str| format!("{count} {one}{}", if count == 1 { "" } else { "s" });
    let (days, hours, minutes) = (minutes / (24 * 60), minutes / 60, minutes % 60);
    if days >= 2 {
        unit(days, "day")
    } else if hours == 0 {
        unit(minutes, "minute")
    } else if minutes == 0 {
        unit(hours, "hour")
    } else {
        format!("{} {}", unit(hours, "hour"), unit(minutes, "minute"))
    }
}

/// See `join_first` in [`HELPERS`].
pub fn join_first(items: &[Data], separator: &str, max: usize) -> String {
    let mut text = String::new();
    for (at, item) in items.iter().take(max).enumerate() {
        if at > 0 {
            text.push_str(separator);
        }
        match item {
            Data::Str(item) => text.push_str(item),
            other => text.push_str(&other.to_string()),
        }
    }
    if items.len() > max {
        if max > 0 {
            text.push_str(separator);
        }
        text.push_str(&format!("and {} more", items.len() - max));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_matching() {
        assert!(location_covers("*", "us-east"));
        assert!(location_covers("jp", "jp-tok"));
        assert!(location_covers("eu-de", "eu-de-1"));
        assert!(!location_covers("jp-tok-1", "jp-tok"));
        assert!(!location_covers("eu", "europe"));
        assert!(!location_covers("us-south", "us-east"));
    }

    #[test]
    fn global_registry_events_are_in_us_east() {
        assert_eq!(event_location("global"), Ok("us-east"));
        assert!(event_location("mars-1").is_err());
    }

    fn at(toml: &str) -> Data {
        Data::from_toml(&toml::Value::Table(toml::from_str(toml).unwrap())).unwrap()
    }

    #[test]
    fn receiving_targets_follow_routes_and_defaults_and_skip_undeclared() {
        let tracker = at(r#"
            default_targets = ["t-cos", "t-gone"]
            targets = [{ id = "t-logs" }, { id = "t-cos" }]
            routes = [{ id = "r", rules = [{ locations = ["us-east"], target_ids = ["t-logs", "t-missing"] }] }]
        "#);
        assert_eq!(
            receiving_targets(&tracker, "global").unwrap(),
            vec!["t-cos", "t-logs"]
        );
        assert_eq!(receiving_targets(&tracker, "us-south").unwrap(), vec!["t-cos"]);
    }

    #[test]
    fn ages_in_days_are_the_floor_of_the_exact_age() {
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        let time = at("2026-01-01T00:00:00Z");
        assert_eq!(
            age_days(time, at("2026-04-01T08:00:00Z")),
            90,
            "90 days and 8 hours"
        );
        assert_eq!(age_days(time, at("2026-04-01T23:59:59Z")), 90);
        assert_eq!(age_days(time, at("2026-04-02T00:00:00Z")), 91);
        assert_eq!(age_days(time, time), 0);
        assert_eq!(age_days(time, at("2025-12-31T12:00:00Z")), -1, "half a day ahead");
        assert_eq!(age_days(time, at("2025-12-31T00:00:00Z")), -1);
    }

    #[test]
    fn times_show_a_date_at_midnight_and_whole_seconds_otherwise() {
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(time_text(at("2026-11-20T00:00:00Z")), "2026-11-20");
        assert_eq!(time_text(at("2026-11-20T06:15:00Z")), "2026-11-20T06:15:00Z");
        assert_eq!(
            time_text(at("2026-12-06T18:38:45.703694758Z")),
            "2026-12-06T18:38:45Z"
        );
        assert_eq!(time_text(at("2026-11-20T00:00:00.5Z")), "2026-11-20T00:00:00Z");
    }

    #[test]
    fn times_are_written_as_chrono_writes_them_in_every_year() {
        use chrono::TimeZone;
        for year in [-1, 0, 1, 999, 1970, 2026, 9999, 10_000, 262_000] {
            for (h, m, s) in [(0, 0, 0), (0, 0, 1), (23, 59, 59), (6, 5, 4)] {
                let time = Utc.with_ymd_and_hms(year, 2, 3, h, m, s).unwrap();
                let pattern = if (h, m, s) == (0, 0, 0) {
                    "%Y-%m-%d"
                } else {
                    "%Y-%m-%dT%H:%M:%SZ"
                };
                assert_eq!(time_text(time), time.format(pattern).to_string(), "{time:?}");
            }
        }
    }

    #[test]
    fn ages_are_whole_days_from_two_days_on() {
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        let as_of = at("2026-11-25T06:00:00Z");
        assert_eq!(
            age_text(at("2026-11-13T07:22:00Z"), as_of),
            "11 days",
            "282 hours 38 minutes"
        );
        assert_eq!(age_text(at("2026-11-23T06:00:00Z"), as_of), "2 days");
        assert_eq!(age_text(at("2026-11-24T05:59:00Z"), as_of), "24 hours 1 minute");
        assert_eq!(age_text(at("2026-11-25T01:30:00Z"), as_of), "4 hours 30 minutes");
        assert_eq!(age_text(at("2026-11-24T05:00:00Z"), as_of), "25 hours");
        assert_eq!(age_text(at("2026-11-25T05:59:00Z"), as_of), "1 minute");
        assert_eq!(age_text(at("2026-11-26T00:00:00Z"), as_of), "0 minutes");
    }

    #[test]
    fn long_lists_end_with_how_many_were_left_out() {
        let items: Vec<Data> = ["a", "b", "c", "d"]
            .iter()
            .map(|s| Data::Str((*s).to_owned()))
            .collect();
        assert_eq!(join_first(&items, ", ", 2), "a, b, and 2 more");
        assert_eq!(join_first(&items, "; ", 4), "a; b; c; d");
        assert_eq!(join_first(&items, ", ", 0), "and 4 more");
        assert_eq!(join_first(&[Data::Int(3)], ", ", 5), "3");
        assert_eq!(join_first(&[], ", ", 5), "");
    }

    #[test]
    fn helper_names_are_unique() {
        let names: BTreeSet<_> = HELPERS.iter().map(|h| h.name).collect();
        assert_eq!(names.len(), HELPERS.len());
    }
}
