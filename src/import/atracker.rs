//! Readers of the Activity Tracker Event Routing files: targets, routes and settings.

use super::json::{self, Reader};
use super::model::{Capture, Entry, Field, Scope, SectionKind, Setting};
use crate::account::model::{TargetType, WriteStatus};

fn id_entry(id: &str, source: &str) -> Entry {
    Entry::new(id, json::safe(id), source).id("id", Field::str(id))
}

/// `atracker target ls --output json`: id, name, `target_type`, region, `write_status.status`.
pub fn targets(r: &mut Reader<'_>, source: &str, capture: &mut Capture) {
    let section = capture.section_mut(SectionKind::Targets);
    section.judged.push((Scope::All, source.to_owned()));
    let root = r.root();
    let Some(list) = r.list(&root, &["targets"]) else {
        return;
    };
    for item in list.elements() {
        let id = r.req_str(&item, "id", "the target's id");
        let target_type = r.req_str(&item, "target_type", "the target's type (account.md requires it)");
        let (Some(id), Some(target_type)) = (id, target_type) else {
            continue;
        };
        let mut entry = id_entry(&id, source);
        entry.set("name", r.opt_str(&item, "name").map(Field::Str));
        entry.set("type", Some(Field::choice::<TargetType>(target_type)));
        entry.set("region", r.opt_str(&item, "region").map(Field::Str));
        let status = item
            .get("write_status")
            .and_then(|s| s.get("status"))
            .and_then(|at| r.string(&at));
        entry.set("write_status", status.map(Field::choice::<WriteStatus>));
        section.entries.push(entry);
    }
}

/// `atracker route ls --output json`: id, name, and each rule's locations and target ids.
pub fn routes(r: &mut Reader<'_>, source: &str, capture: &mut Capture) {
    let section = capture.section_mut(SectionKind::Routes);
    section.judged.push((Scope::All, source.to_owned()));
    let root = r.root();
    let Some(list) = r.list(&root, &["routes"]) else {
        return;
    };
    for item in list.elements() {
        let Some(id) = r.req_str(&item, "id", "the route's id") else {
            continue;
        };
        let mut rules = Vec::new();
        if let Some(at) = item.get("rules") {
            if !at.value.is_array() {
                r.error(
                    &at,
                    format!("expected a list of rules, found {}", json::kind(at.value)),
                );
                continue;
            }
            for rule in at.elements() {
                let locations = rule
                    .get("locations")
                    .and_then(|l| r.strings(&l))
                    .unwrap_or_default();
                let target_ids = rule
                    .get("target_ids")
                    .and_then(|t| r.strings(&t))
                    .unwrap_or_default();
                rules.push(Field::Record(vec![
                    ("locations", Some(Field::strings(locations))),
                    ("target_ids", Some(Field::strings(target_ids))),
                ]));
            }
        }
        let mut entry = id_entry(&id, source);
        entry.set("name", r.opt_str(&item, "name").map(Field::Str));
        entry.set("rules", Some(Field::Array(rules)));
        section.entries.push(entry);
    }
}

/// `atracker setting get --output json`: `default_targets`.
pub fn settings(r: &mut Reader<'_>, source: &str, capture: &mut Capture) {
    let root = r.root();
    let targets = match root.get("default_targets") {
        Some(at) => r.strings(&at),
        // Absent: no default targets are set.
        None if root.value.is_object() => Some(Vec::new()),
        None => {
            r.error(
                &root,
                format!("expected an object, found {}", json::kind(root.value)),
            );
            None
        }
    };
    if let Some(targets) = targets {
        capture.settings.push(Setting {
            table: "activity_tracker",
            key: "default_targets",
            value: Field::strings(targets),
            source: source.to_owned(),
        });
    }
}
