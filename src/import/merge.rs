//! Merging a [`Capture`] into `account.toml`, edited as a document (`toml_edit`): comments,
//! order, formatting and the user's keys survive (import.md, "Merging into an existing
//! `account.toml`").
//!
//! - Entries are matched by identity; a matched entry gets only the keys the import owns, and
//!   a key is rewritten only when its value differs (so a second import changes nothing, and a
//!   value's inline comment stays).
//! - New entries are appended to their array with `# imported from <file>`; a new section is
//!   placed after the sections that precede it in account.md's order.
//! - An entry absent from a file that speaks for it is marked once, `# not seen in <file> at
//!   <time>`, or removed with `prune`; the marker goes when the entry is seen again.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, TableLike, Value};

use super::images::image_key;
use super::model::{Capture, Entry, Field, Scope, Section, SectionKind};
use crate::account::imageref::ImageRef;

/// How to merge.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    /// `account.captured_at`, and the time in stale markers.
    pub captured_at: DateTime<Utc>,
    /// Remove stale entries instead of marking them.
    pub prune: bool,
    /// `--account-id`: the account id when no `account-show.json` gives it.
    pub account_id: Option<String>,
}

/// What the merge did to one section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionReport {
    pub name: &'static str,
    pub added: usize,
    pub updated: usize,
    /// Entries marked stale by this import, or still marked: (label, file).
    pub stale: Vec<(String, String)>,
    /// Entries removed by `--prune`.
    pub pruned: Vec<String>,
}

/// What the merge did, for the summary.
#[derive(Debug, Clone, Default)]
pub struct MergeReport {
    /// The file did not exist: it was created.
    pub created: bool,
    pub sections: Vec<SectionReport>,
    /// Owned keys of plain tables that changed (`account.captured_at`, …).
    pub settings_changed: Vec<String>,
    /// API keys that have no `used_for_registry`, by id.
    pub keys_without_answer: Vec<String>,
    /// Namespaces that have no `criticality`, as `region/name`.
    pub namespaces_without_criticality: Vec<String>,
}

/// Why the merge could not be done.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{message}")]
    Syntax {
        message: String,
        span: std::ops::Range<usize>,
    },
    #[error(
        "the capture is of account `{captured}` ({source_name}), but the file is of account `{file}`: import each account into its own file"
    )]
    OtherAccount {
        captured: String,
        source_name: String,
        file: String,
    },
    #[error(
        "a new account file needs the account id: capture `ibmcloud account show --output json` as account-show.json, or pass --account-id"
    )]
    NoAccountId,
    #[error("`{path}` is {what}: the import edits `[[{path}]]` tables; rewrite it as such")]
    Shape { path: String, what: &'static str },
}

/// The head of a new account file.
const NEW_FILE: &str = "\
# IBM Cloud Container Registry evidence for regcheck, built by `regcheck import`.
# Re-import to refresh it. What no IBM tool shows is yours to add, and every import keeps it:
# namespaces' criticality and replicas, [[automation]], activity_tracker.monitoring, API keys'
# used_for_registry, and images' history, layer_paths, secret_scan and encrypted.
schema_version = 1

[account]
";

const MARKER: &str = "# not seen in ";

/// Merges `capture` into `existing` (the current file's text, or `None` to create one) and
/// returns the new text.
pub fn merge(
    existing: Option<&str>,
    capture: &Capture,
    options: &MergeOptions,
) -> Result<(String, MergeReport), MergeError> {
    let mut report = MergeReport {
        created: existing.is_none(),
        ..MergeReport::default()
    };
    let mut doc: DocumentMut =
        existing
            .unwrap_or(NEW_FILE)
            .parse()
            .map_err(|error: toml_edit::TomlError| MergeError::Syntax {
                message: format!("TOML syntax error: {}", error.message().trim_end()),
                span: error.span().unwrap_or(0..0),
            })?;
    let time = format_time(options.captured_at);

    // The account: its id must agree with the capture's.
    let captured_id = capture.account_id.clone().or_else(|| {
        options
            .account_id
            .clone()
            .map(|id| (id, "--account-id".to_owned()))
    });
    let account = table_at(doc.as_table_mut(), "account", None)?;
    let file_id = account.get("id").and_then(Item::as_str).map(str::to_owned);
    match (&file_id, &captured_id) {
        (Some(file), Some((captured, source))) if file != captured => {
            return Err(MergeError::OtherAccount {
                captured: super::json::safe(captured),
                source_name: source.clone(),
                file: super::json::safe(file),
            });
        }
        (None, None) => return Err(MergeError::NoAccountId),
        _ => {}
    }
    let mut settings: Vec<(&str, &str, Field)> = Vec::new();
    if file_id.is_none()
        && let Some((id, _)) = &captured_id
    {
        settings.push(("account", "id", Field::Str(id.clone())));
    }
    for setting in capture.settings.iter().filter(|s| s.table == "account") {
        settings.push(("account", setting.key, setting.value.clone()));
    }
    // A narrow capture (`collect --image`: capture-scope.json) refreshes a few entries; the
    // account's evidence as a whole is as old as it was, so a file's captured_at stays.
    let narrow = !capture.restricted.is_empty();
    if !(narrow && account.contains_key("captured_at")) {
        settings.push(("account", "captured_at", Field::Time(options.captured_at)));
    }
    for (table, key, value) in &settings {
        let account = table_at(doc.as_table_mut(), table, None)?;
        if set_owned(account, key, Some(value), options.captured_at) {
            report.settings_changed.push(format!("{table}.{key}"));
        }
    }

    // Sections and the settings of `[iam]` and `[activity_tracker]`, in account.md's order.
    let mut last_position = max_position(doc.as_table().get("account"));
    for kind in SectionKind::ALL {
        let parent = kind.path()[0];
        if kind == SectionKind::AccessGroups || kind == SectionKind::Targets {
            apply_settings(
                &mut doc,
                capture,
                parent,
                last_position,
                options.captured_at,
                &mut report,
            )?;
            // `[iam]` and `[activity_tracker]` come before their arrays of tables.
            let own = doc
                .as_table()
                .get(parent)
                .and_then(Item::as_table)
                .and_then(Table::position);
            last_position = last_position.max(own);
        }
        if let Some(section) = capture.section(kind) {
            let section_report = merge_section(&mut doc, section, options, &time, last_position)?;
            report.sections.push(section_report);
        }
        last_position = last_position.max(max_position(item_at(doc.as_table(), kind.path())));
    }

    needs_answer(&doc, &mut report);
    let mut text = doc.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok((text, report))
}

fn apply_settings(
    doc: &mut DocumentMut,
    capture: &Capture,
    table: &str,
    position: Option<isize>,
    at: DateTime<Utc>,
    report: &mut MergeReport,
) -> Result<(), MergeError> {
    for setting in capture.settings.iter().filter(|s| s.table == table) {
        let target = table_at(doc.as_table_mut(), table, position)?;
        if target.is_implicit() {
            target.set_implicit(false);
        }
        if set_owned(target, setting.key, Some(&setting.value), at) {
            report.settings_changed.push(format!("{table}.{}", setting.key));
        }
    }
    Ok(())
}

/// The item at `path`, if present.
fn item_at<'a>(root: &'a Table, path: &[&str]) -> Option<&'a Item> {
    let (first, rest) = path.split_first()?;
    let item = root.get(first)?;
    if rest.is_empty() {
        Some(item)
    } else {
        item_at(item.as_table()?, rest)
    }
}

/// The highest document position of the tables in `item`.
fn max_position(item: Option<&Item>) -> Option<isize> {
    match item? {
        Item::Table(table) => {
            let own = table.position();
            let nested = table
                .iter()
                .filter_map(|(_, item)| max_position(Some(item)))
                .max();
            own.max(nested)
        }
        Item::ArrayOfTables(array) => array
            .iter()
            .filter_map(|table| {
                let nested = table
                    .iter()
                    .filter_map(|(_, item)| max_position(Some(item)))
                    .max();
                table.position().max(nested)
            })
            .max(),
        _ => None,
    }
}

/// The table `key` of `root`, created (at `position`) when absent.
fn table_at<'a>(
    root: &'a mut Table,
    key: &str,
    position: Option<isize>,
) -> Result<&'a mut Table, MergeError> {
    if !root.contains_key(key) {
        let mut table = Table::new();
        table.set_implicit(true);
        table.set_position(position);
        root.insert(key, Item::Table(table));
    }
    match root.get_mut(key) {
        Some(Item::Table(table)) => Ok(table),
        _ => Err(MergeError::Shape {
            path: key.to_owned(),
            what: "not a table",
        }),
    }
}

/// The array of tables at `path`, created when absent (an empty inline array is replaced).
fn array_at<'a>(
    root: &'a mut Table,
    path: &[&str],
    position: Option<isize>,
) -> Result<&'a mut ArrayOfTables, MergeError> {
    let name = path.join(".");
    let (last, parents) = path.split_last().unwrap_or((&"", &[]));
    let mut table = root;
    for parent in parents {
        table = table_at(table, parent, position)?;
    }
    let replace = match table.get(last) {
        None => true,
        Some(Item::Value(Value::Array(array))) if array.is_empty() => true,
        _ => false,
    };
    if replace {
        table.insert(last, Item::ArrayOfTables(ArrayOfTables::new()));
    }
    match table.get_mut(last) {
        Some(Item::ArrayOfTables(array)) => Ok(array),
        Some(Item::Value(Value::Array(_))) => Err(MergeError::Shape {
            path: name,
            what: "an inline array",
        }),
        _ => Err(MergeError::Shape {
            path: name,
            what: "not an array of tables",
        }),
    }
}

/// The identity key of an existing entry, normalised as the capture's keys are.
fn existing_key(kind: SectionKind, table: &Table) -> Option<String> {
    let text = |key: &str| table.get(key).and_then(Item::as_str);
    Some(match kind {
        SectionKind::Registries => text("region")?.to_owned(),
        SectionKind::Namespaces => format!("{}/{}", text("region")?, text("name")?),
        SectionKind::Images => image_key(text("ref")?),
        SectionKind::Exemptions => [
            text("region")?,
            text("scope")?,
            text("issue_type").unwrap_or(""),
            text("issue_id").unwrap_or(""),
        ]
        .join("\u{1f}"),
        _ => text("id")?.to_owned(),
    })
}

/// The scope an existing entry belongs to, for judging it stale; `None`: nothing judges it.
fn existing_scope(kind: SectionKind, table: &Table) -> Option<Scope> {
    let text = |key: &str| table.get(key).and_then(Item::as_str);
    match kind {
        SectionKind::Namespaces | SectionKind::Exemptions => Some(Scope::Region(text("region")?.to_owned())),
        SectionKind::Images => {
            let image = ImageRef::parse(text("ref")?)?;
            let region = image.region()?;
            Some(Scope::Repository(
                region.name.clone(),
                format!("{}/{}", image.namespace, image.repository),
            ))
        }
        SectionKind::ApiKeys => match text("owner") {
            Some(owner) if owner.starts_with("ServiceId-") => Some(Scope::ServiceIdKeys),
            Some(_) => Some(Scope::UserKeys),
            None => None,
        },
        SectionKind::Registries => None,
        _ => Some(Scope::All),
    }
}

/// A label for an existing entry in the summary.
fn existing_label(kind: SectionKind, table: &Table) -> String {
    let text = |key: &str| table.get(key).and_then(Item::as_str).unwrap_or("?");
    let label = match kind {
        SectionKind::Namespaces => format!("{}/{}", text("region"), text("name")),
        SectionKind::Images => text("ref").to_owned(),
        SectionKind::Exemptions => format!(
            "{} {} {}:{}",
            text("region"),
            text("scope"),
            text("issue_type"),
            text("issue_id")
        ),
        SectionKind::Registries => text("region").to_owned(),
        _ => text("id").to_owned(),
    };
    super::json::safe(&label)
}

fn merge_section(
    doc: &mut DocumentMut,
    section: &Section,
    options: &MergeOptions,
    time: &str,
    position: Option<isize>,
) -> Result<SectionReport, MergeError> {
    let kind = section.kind;
    let mut report = SectionReport {
        name: kind.name(),
        ..SectionReport::default()
    };
    let array = array_at(doc.as_table_mut(), kind.path(), position)?;
    let existing = array.len();
    let new_position = if existing == 0 { position } else { None };
    let mut index: HashMap<String, Vec<usize>> = HashMap::with_capacity(existing + section.entries.len());
    for (i, table) in array.iter().enumerate() {
        if let Some(key) = existing_key(kind, table) {
            index.entry(key).or_default().push(i);
        }
    }
    let mut seen = vec![false; existing];
    for entry in &section.entries {
        match index.get(&entry.key) {
            Some(found) => {
                let mut changed = false;
                for &i in found {
                    let Some(table) = array.get_mut(i) else { continue };
                    if i < existing && entry.add {
                        seen[i] = true;
                        changed |= clear_stale(table);
                    }
                    for (key, value) in &entry.fields {
                        changed |= set_owned(table, key, value.as_ref(), options.captured_at);
                    }
                }
                if changed {
                    report.updated += 1;
                }
            }
            None if entry.add => {
                let table = new_table(entry, new_position, options.captured_at);
                index.insert(entry.key.clone(), vec![array.len()]);
                array.push(table);
                report.added += 1;
            }
            None => {}
        }
    }
    let mut remove = vec![false; existing];
    for (i, seen) in seen.iter().enumerate() {
        if *seen {
            continue;
        }
        let Some(table) = array.get_mut(i) else { continue };
        let Some(scope) = existing_scope(kind, table) else {
            continue;
        };
        let Some(file) = section.judged_by(&scope) else {
            continue;
        };
        let label = existing_label(kind, table);
        if options.prune {
            remove[i] = true;
            report.pruned.push(label);
        } else {
            mark_stale(table, file, time);
            report.stale.push((label, file.to_owned()));
        }
    }
    if report.pruned.is_empty() {
        return Ok(report);
    }
    let mut i = 0;
    array.retain(|_| {
        let keep = !remove.get(i).copied().unwrap_or(false);
        i += 1;
        keep
    });
    Ok(report)
}

/// A new entry: `# imported from <file>` (and a note), identity keys, then the owned keys.
fn new_table(entry: &Entry, position: Option<isize>, at: DateTime<Utc>) -> Table {
    let mut table = Table::new();
    let mut prefix = format!("\n# imported from {}\n", entry.source);
    if let Some(note) = entry.note {
        prefix.push_str(&format!("# {note}\n"));
    }
    table.decor_mut().set_prefix(prefix);
    table.set_position(position);
    for (key, value) in &entry.identity {
        table.insert(key, Item::Value(to_value(value, at)));
    }
    for (key, value) in &entry.fields {
        if let Some(value) = value {
            let value = match value {
                // A record with nothing known is left out rather than written empty.
                Field::Record(fields) if fields.iter().all(|(_, f)| f.is_none()) => continue,
                other => other,
            };
            table.insert(key, Item::Value(to_value(value, at)));
        }
    }
    table
}

fn prefix_of(table: &Table) -> String {
    table
        .decor()
        .prefix()
        .and_then(|prefix| prefix.as_str())
        .unwrap_or("")
        .to_owned()
}

/// Marks an entry stale unless it already carries a marker (the first one stays).
fn mark_stale(table: &mut Table, file: &str, time: &str) {
    let prefix = prefix_of(table);
    if prefix.lines().any(|line| line.trim_start().starts_with(MARKER)) {
        return;
    }
    let mut prefix = prefix;
    if !prefix.is_empty() && !prefix.ends_with('\n') {
        prefix.push('\n');
    }
    if prefix.is_empty() {
        prefix.push('\n');
    }
    prefix.push_str(&format!("{MARKER}{file} at {time}\n"));
    table.decor_mut().set_prefix(prefix);
}

/// Removes a stale marker from an entry seen again; true when there was one.
fn clear_stale(table: &mut Table) -> bool {
    let prefix = prefix_of(table);
    if !prefix.contains(MARKER) {
        return false;
    }
    let kept: String = prefix
        .split_inclusive('\n')
        .filter(|line| !line.trim_start().starts_with(MARKER))
        .collect();
    table.decor_mut().set_prefix(kept);
    true
}

/// Sets (or removes, for `None`) an owned key; true when the file changes.
fn set_owned(table: &mut dyn TableLike, key: &str, value: Option<&Field>, at: DateTime<Utc>) -> bool {
    let Some(value) = value else {
        return table.remove(key).is_some();
    };
    if let Field::Record(fields) = value {
        if let Some(inner) = table.get_mut(key).and_then(Item::as_table_like_mut) {
            let mut changed = false;
            for (name, field) in fields {
                changed |= set_owned(inner, name, field.as_ref(), at);
            }
            return changed;
        }
        if fields.iter().all(|(_, field)| field.is_none()) {
            return false;
        }
    }
    match table.get_mut(key) {
        Some(item) if same(item, value, at) => false,
        Some(Item::Value(old)) => {
            let decor = old.decor().clone();
            *old = to_value(value, at);
            *old.decor_mut() = decor;
            true
        }
        Some(item) => {
            *item = Item::Value(to_value(value, at));
            true
        }
        None => {
            table.insert(key, Item::Value(to_value(value, at)));
            true
        }
    }
}

/// `2026-11-20T06:00:00Z`.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn to_value(field: &Field, at: DateTime<Utc>) -> Value {
    match field {
        Field::CapturedAt => to_value(&Field::Time(at), at),
        Field::Str(text) => Value::from(text.as_str()),
        Field::Int(number) => Value::from(*number),
        Field::Bool(flag) => Value::from(*flag),
        Field::Time(time) => match format_time(*time).parse::<toml_edit::Datetime>() {
            Ok(datetime) => Value::from(datetime),
            Err(_) => Value::from(format_time(*time)),
        },
        Field::Array(items) => {
            let mut array = Array::new();
            for item in items {
                array.push(to_value(item, at));
            }
            // An array of records (route rules) is written one record a line, as account.md
            // shows it.
            if items.iter().any(|item| matches!(item, Field::Record(_))) {
                for value in array.iter_mut() {
                    value.decor_mut().set_prefix("\n  ");
                }
                array.set_trailing_comma(true);
                array.set_trailing("\n");
            }
            Value::Array(array)
        }
        Field::Map(entries) => {
            let mut table = InlineTable::new();
            for (key, value) in entries {
                table.insert(key.as_str(), to_value(value, at));
            }
            Value::InlineTable(table)
        }
        Field::Record(entries) => {
            let mut table = InlineTable::new();
            for (key, value) in entries {
                if let Some(value) = value {
                    table.insert(*key, to_value(value, at));
                }
            }
            Value::InlineTable(table)
        }
    }
}

/// Whether a file's value already says what the capture says (formatting aside).
fn same(item: &Item, field: &Field, at: DateTime<Utc>) -> bool {
    match item {
        Item::Value(value) => same_value(value, field, at),
        Item::Table(table) => same_table(table, field, at),
        _ => false,
    }
}

fn same_table(table: &dyn TableLike, field: &Field, at: DateTime<Utc>) -> bool {
    match field {
        Field::Map(entries) => {
            table.len() == entries.len()
                && entries
                    .iter()
                    .all(|(key, value)| table.get(key).is_some_and(|item| same(item, value, at)))
        }
        Field::Record(entries) => {
            let present = entries.iter().filter(|(_, value)| value.is_some()).count();
            table.len() == present
                && entries.iter().all(|(key, value)| match (table.get(key), value) {
                    (Some(item), Some(value)) => same(item, value, at),
                    (None, None) => true,
                    _ => false,
                })
        }
        _ => false,
    }
}

fn same_value(value: &Value, field: &Field, at: DateTime<Utc>) -> bool {
    match (field, value) {
        (Field::Str(text), Value::String(s)) => s.value() == text,
        (Field::Int(number), Value::Integer(i)) => i.value() == number,
        (Field::Bool(flag), Value::Boolean(b)) => b.value() == flag,
        (Field::Time(time), value) => value_time(value) == Some(*time),
        (Field::CapturedAt, value) => value_time(value) == Some(at),
        (Field::Array(items), Value::Array(array)) => {
            array.len() == items.len()
                && array
                    .iter()
                    .zip(items)
                    .all(|(value, item)| same_value(value, item, at))
        }
        (Field::Map(_) | Field::Record(_), Value::InlineTable(table)) => same_table(table, field, at),
        _ => false,
    }
}

/// A TOML datetime or RFC 3339 string as a UTC time (a local date is midnight UTC).
fn value_time(value: &Value) -> Option<DateTime<Utc>> {
    let text = match value {
        Value::Datetime(datetime) => {
            let datetime = datetime.value();
            match (datetime.date, datetime.time, datetime.offset) {
                (Some(date), None, None) => format!("{date}T00:00:00Z"),
                _ => datetime.to_string(),
            }
        }
        Value::String(text) => text.value().clone(),
        _ => return None,
    };
    DateTime::parse_from_rfc3339(&text)
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

/// `account.captured_at` of a file's text, when it has one.
pub fn captured_at_of(text: &str) -> Option<DateTime<Utc>> {
    let doc: DocumentMut = text.parse().ok()?;
    match doc.get("account")?.get("captured_at")? {
        Item::Value(value) => value_time(value),
        _ => None,
    }
}

/// The questions only the user can answer, from the merged document.
fn needs_answer(doc: &DocumentMut, report: &mut MergeReport) {
    let root = doc.as_table();
    if let Some(Item::ArrayOfTables(keys)) = item_at(root, SectionKind::ApiKeys.path()) {
        for key in keys.iter().filter(|key| !key.contains_key("used_for_registry")) {
            report
                .keys_without_answer
                .push(existing_label(SectionKind::ApiKeys, key));
        }
    }
    if let Some(Item::ArrayOfTables(namespaces)) = item_at(root, SectionKind::Namespaces.path()) {
        for namespace in namespaces.iter().filter(|ns| !ns.contains_key("criticality")) {
            report
                .namespaces_without_criticality
                .push(existing_label(SectionKind::Namespaces, namespace));
        }
    }
}
