//! Domain helper functions that policies call from CEL. This list is their one documentation:
//! `docs/writing-policies.md` and `regcheck explain` read it.
//!
//! Every helper is total: it never panics, and a wrong argument is an error (which fails the
//! rule closed), never a silent `false`.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::data::Data;
use crate::regions;

pub struct Helper {
    pub name: &'static str,
    pub arity: usize,
    pub signature: &'static str,
    pub doc: &'static str,
    pub run: fn(&[Data]) -> Result<Data, String>,
}

pub const HELPERS: &[Helper] = &[
    Helper {
        name: "event_location",
        arity: 1,
        signature: "event_location(region: string) -> string",
        doc: "Where Activity Tracker locates a registry region's events: the region itself, or `us-east` for the global registry.",
        run: |args| Ok(Data::Str(event_location(text(args, 0)?)?.to_owned())),
    },
    Helper {
        name: "location_covers",
        arity: 2,
        signature: "location_covers(route_location: string, event_location: string) -> bool",
        doc: "Whether a route rule location covers an event location: `*`, the same location, or a prefix ending at a hyphen (`jp` covers `jp-tok`, `eu-de` covers `eu-de-1`). A zone does not cover its region.",
        run: |args| Ok(Data::Bool(location_covers(text(args, 0)?, text(args, 1)?))),
    },
    Helper {
        name: "receiving_targets",
        arity: 2,
        signature: "receiving_targets(activity_tracker: map, region: string) -> list<string>",
        doc: "Ids of the declared targets that receive a registry region's events: those named by every route rule covering its event location, plus the declared default targets. Sorted, without duplicates; undeclared ids are left out (ICR-AT-002 reports them).",
        run: |args| {
            let targets = receiving_targets(arg(args, 0)?, text(args, 1)?)?;
            Ok(Data::List(targets.into_iter().map(Data::Str).collect()))
        },
    },
    Helper {
        name: "age_days",
        arity: 2,
        signature: "age_days(time: timestamp, as_of: timestamp) -> int",
        doc: "Whole days from `time` to `as_of` (negative when `time` is later).",
        run: |args| Ok(Data::Int(age_days(time(args, 0)?, time(args, 1)?))),
    },
];

fn arg(args: &[Data], index: usize) -> Result<&Data, String> {
    args.get(index)
        .ok_or_else(|| format!("missing argument {}", index + 1))
}

fn text(args: &[Data], index: usize) -> Result<&str, String> {
    let value = arg(args, index)?;
    value.as_str().ok_or_else(|| {
        format!(
            "argument {} must be a string, got {}",
            index + 1,
            value.type_name()
        )
    })
}

fn time(args: &[Data], index: usize) -> Result<DateTime<Utc>, String> {
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

pub fn age_days(time: DateTime<Utc>, as_of: DateTime<Utc>) -> i64 {
    (as_of - time).num_days()
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
    fn helper_names_are_unique() {
        let names: BTreeSet<_> = HELPERS.iter().map(|h| h.name).collect();
        assert_eq!(names.len(), HELPERS.len());
    }
}
