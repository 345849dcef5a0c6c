//! Reading a parsed TOML tree (account files, policy files, the config file) into typed values while collecting every problem with its span.
//!
//! Modelled on cargo-deny's approach: parse once, then walk the spanned tree with small readers
//! that never stop at the first problem. A reader returns `None` after it has recorded a problem,
//! so one bad value spoils only the item that holds it.

use std::collections::BTreeMap;
use std::ops::Range;

use chrono::{DateTime, NaiveDate, Utc};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::account::model::Timestamp;
use crate::diagnostic::Problem;
use crate::suggest::did_you_mean;

/// Where problems accumulate while one file is read.
#[derive(Default)]
pub struct Collector {
    pub problems: Vec<Problem>,
}

impl Collector {
    pub fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }
}

/// An enum read from a string that accepts canonical spellings and aliases.
pub trait Choice: Sized + Copy {
    const VALUES: &'static [&'static str];
    fn from_spelling(text: &str) -> Option<Self>;
}

/// Parses a whole file into its spanned table; a syntax error becomes a [`Problem`] at its span.
pub fn parse_table(text: &str) -> Result<Spanned<DeTable<'_>>, Problem> {
    DeTable::parse(text).map_err(|error| {
        Problem::new(
            error.span().unwrap_or(0..0),
            format!("TOML syntax error: {}", error.message().trim_end()),
        )
        .label("here")
    })
}

/// Reads one TOML table: typed fields by name, then `finish` reports keys nobody asked for.
pub struct TableReader<'a, 'i> {
    table: &'a DeTable<'i>,
    /// The span to blame for a missing key: the table's header line.
    header: Range<usize>,
    /// What this table is called in messages (`[[namespaces]]`, `[account]`).
    what: String,
    known: Vec<&'static str>,
}

impl<'a, 'i> TableReader<'a, 'i> {
    pub fn new(table: &'a DeTable<'i>, header: Range<usize>, what: impl Into<String>) -> Self {
        Self {
            table,
            header,
            what: what.into(),
            known: Vec::new(),
        }
    }

    /// Opens a value that must be a table.
    pub fn open(
        value: &'a Spanned<DeValue<'i>>,
        what: impl Into<String>,
        source: &str,
        out: &mut Collector,
    ) -> Option<Self> {
        let what = what.into();
        match value.get_ref() {
            DeValue::Table(table) => Some(Self::new(table, header_span(source, value.span()), what)),
            other => {
                out.push(wrong_type(value.span(), "a table", other));
                None
            }
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    /// Accepts a key without reading it (it belongs to a form this table does not use).
    pub fn mark_known(&mut self, key: &'static str) {
        self.known.push(key);
    }

    fn get(&mut self, key: &'static str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.known.push(key);
        self.table.get(key)
    }

    /// A key that must be present; a missing one is reported on the table's header.
    pub fn required<T>(
        &mut self,
        key: &'static str,
        out: &mut Collector,
        read: impl FnOnce(&'a Spanned<DeValue<'i>>, &mut Collector) -> Option<T>,
    ) -> Option<T> {
        match self.get(key) {
            Some(value) => read(value, out),
            None => {
                out.push(
                    Problem::new(
                        self.header.clone(),
                        format!("missing required key `{key}` in {}", self.what),
                    )
                    .label(format!("this table needs `{key}`")),
                );
                None
            }
        }
    }

    /// A key that may be absent: `Some(None)` when absent, `None` when present but invalid.
    pub fn optional<T>(
        &mut self,
        key: &'static str,
        out: &mut Collector,
        read: impl FnOnce(&'a Spanned<DeValue<'i>>, &mut Collector) -> Option<T>,
    ) -> Option<Option<T>> {
        match self.get(key) {
            Some(value) => read(value, out).map(Some),
            None => Some(None),
        }
    }

    /// Reports every key that no reader asked for, with a suggestion where one is close.
    pub fn finish(self, out: &mut Collector) {
        for (key, _) in self.table.iter() {
            let name = key.get_ref().as_ref();
            if self.known.contains(&name) {
                continue;
            }
            let mut problem = Problem::new(key.span(), format!("unknown key `{name}` in {}", self.what))
                .label("not a known key");
            problem = match did_you_mean(name, self.known.iter().copied()) {
                Some(best) => problem.help(format!("did you mean `{best}`?")),
                None => problem.help(format!("known keys: {}", self.known.join(", "))),
            };
            out.push(problem);
        }
    }
}

/// The first line of a span: a table header rather than the whole table body.
pub fn header_span(source: &str, span: Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(source, span.start);
    let end = floor_char_boundary(source, span.end.max(start));
    let line_end = source[start..end].find('\n').map_or(end, |offset| start + offset);
    let trimmed = source[start..line_end].trim_end();
    let mut stop = start + trimmed.len();
    if stop == start {
        // Point at one character at least, so the span is visible.
        stop = source[start..]
            .chars()
            .next()
            .map_or(start, |c| start + c.len_utf8());
    }
    start..stop
}

/// The first character of a file: where file-level problems (a missing `schema_version`) are
/// shown. A byte-order mark is skipped.
pub fn top_of_file(source: &str) -> Range<usize> {
    let start = if source.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    header_span(source, start..start)
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

pub fn wrong_type(span: Range<usize>, expected: &str, found: &DeValue<'_>) -> Problem {
    Problem::new(
        span,
        format!("wrong type: expected {expected}, found {}", describe(found)),
    )
    .label(format!("expected {expected}"))
}

fn describe(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

pub fn string(value: &Spanned<DeValue<'_>>, out: &mut Collector) -> Option<String> {
    match value.get_ref() {
        DeValue::String(text) => Some(text.to_string()),
        other => {
            out.push(wrong_type(value.span(), "a string", other));
            None
        }
    }
}

pub fn boolean(value: &Spanned<DeValue<'_>>, out: &mut Collector) -> Option<bool> {
    match value.get_ref() {
        DeValue::Boolean(flag) => Some(*flag),
        other => {
            out.push(wrong_type(value.span(), "a boolean (true or false)", other));
            None
        }
    }
}

pub fn integer(value: &Spanned<DeValue<'_>>, out: &mut Collector) -> Option<i64> {
    match value.get_ref() {
        DeValue::Integer(number) => {
            let digits = number.as_str().replace('_', "");
            let digits = digits
                .strip_prefix("0x")
                .or_else(|| digits.strip_prefix("0o"))
                .or_else(|| digits.strip_prefix("0b"))
                .unwrap_or(&digits);
            match i64::from_str_radix(digits, number.radix()) {
                Ok(parsed) => Some(parsed),
                Err(_) => {
                    out.push(
                        Problem::new(value.span(), "integer out of range").label("does not fit in 64 bits"),
                    );
                    None
                }
            }
        }
        other => {
            out.push(wrong_type(value.span(), "an integer", other));
            None
        }
    }
}

/// A TOML offset datetime, a local date (midnight UTC) or an RFC 3339 string.
pub fn timestamp(value: &Spanned<DeValue<'_>>, out: &mut Collector) -> Option<Timestamp> {
    // The common case, read from the parsed fields: an account has several times per image.
    if let DeValue::Datetime(datetime) = value.get_ref()
        && let Some(time) = utc_of(datetime)
    {
        return Some(Timestamp(time));
    }
    let (text, from_string) = match value.get_ref() {
        DeValue::Datetime(datetime) => (datetime.to_string(), false),
        DeValue::String(text) => (text.to_string(), true),
        other => {
            out.push(wrong_type(value.span(), "a datetime", other));
            return None;
        }
    };
    if let Ok(parsed) = DateTime::parse_from_rfc3339(&text) {
        return Some(Timestamp(parsed.with_timezone(&Utc)));
    }
    if let Ok(date) = NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        return date
            .and_hms_opt(0, 0, 0)
            .map(|midnight| Timestamp(midnight.and_utc()));
    }
    let has_time_without_offset = !from_string && text.contains(':') && text.len() >= 19;
    let problem = Problem::new(value.span(), format!("invalid datetime `{text}`"));
    out.push(if has_time_without_offset {
        problem
            .label("a datetime needs an offset")
            .help("add `Z` for UTC (2026-11-20T06:00:00Z) or give a date only (2026-11-20)")
    } else {
        problem
            .label("not an RFC 3339 datetime or date")
            .help("write 2026-11-20T06:00:00Z or 2026-11-20")
    });
    None
}

/// A TOML offset datetime or local date as UTC; `None` for the forms regcheck rejects (a local
/// datetime or time) or an impossible date, which the text path reports.
fn utc_of(datetime: &toml::value::Datetime) -> Option<DateTime<Utc>> {
    use toml::value::Offset;
    let date = datetime.date?;
    let day = NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into())?;
    match (datetime.time, datetime.offset) {
        (None, None) => Some(day.and_hms_opt(0, 0, 0)?.and_utc()),
        (Some(time), Some(offset)) => {
            let local = day.and_hms_nano_opt(
                time.hour.into(),
                time.minute.into(),
                time.second.unwrap_or(0).into(),
                time.nanosecond.unwrap_or(0),
            )?;
            let minutes = match offset {
                Offset::Z => 0,
                Offset::Custom { minutes } => i64::from(minutes),
            };
            Some((local - chrono::Duration::minutes(minutes)).and_utc())
        }
        _ => None,
    }
}

/// An enum value: canonical spellings and the CLI/API aliases, case-insensitively.
pub fn choice<T: Choice>(what: &'static str) -> impl Fn(&Spanned<DeValue<'_>>, &mut Collector) -> Option<T> {
    move |value, out| {
        let text = string(value, out)?;
        if let Some(parsed) = T::from_spelling(text.trim()) {
            return Some(parsed);
        }
        let mut problem = Problem::new(value.span(), format!("invalid {what} `{text}`"))
            .label(format!("expected one of: {}", T::VALUES.join(", ")));
        if let Some(best) = did_you_mean(&text.to_ascii_lowercase(), T::VALUES.iter().copied()) {
            problem = problem.help(format!("did you mean `{best}`?"));
        }
        out.push(problem);
        None
    }
}

/// An array whose elements are each read by `read`; bad elements are dropped after reporting.
pub fn array<T>(
    read: impl Fn(&Spanned<DeValue<'_>>, &mut Collector) -> Option<T>,
) -> impl FnOnce(&Spanned<DeValue<'_>>, &mut Collector) -> Option<Vec<T>> {
    move |value, out| match value.get_ref() {
        DeValue::Array(items) => {
            let before = out.problems.len();
            let parsed: Vec<T> = items.iter().filter_map(|item| read(item, out)).collect();
            (out.problems.len() == before).then_some(parsed)
        }
        other => {
            out.push(wrong_type(value.span(), "an array", other));
            None
        }
    }
}

/// [`array`] on every core when the array is long (the images of a large account): each part
/// is read with a collector of its own, and the elements and problems are put back together in
/// the array's order, so the result is the same as reading it on one thread.
pub fn array_on_cores<T: Send>(
    read: impl Fn(&Spanned<DeValue<'_>>, &mut Collector) -> Option<T> + Sync,
) -> impl FnOnce(&Spanned<DeValue<'_>>, &mut Collector) -> Option<Vec<T>> {
    // Below this, starting threads costs more than they save (an element takes microseconds).
    const PARALLEL_FROM: usize = 2048;
    move |value, out| match value.get_ref() {
        DeValue::Array(items) if items.len() >= PARALLEL_FROM && crate::cores() > 1 => {
            let read_part = |part: &[Spanned<DeValue<'_>>]| {
                let mut part_out = Collector::default();
                let parsed: Vec<T> = part.iter().filter_map(|item| read(item, &mut part_out)).collect();
                (parsed, part_out.problems)
            };
            let parts = crate::in_order::map_parts(items, crate::cores(), read_part);
            let mut parsed = Vec::with_capacity(items.len());
            let before = out.problems.len();
            for (elements, problems) in parts {
                parsed.extend(elements);
                out.problems.extend(problems);
            }
            (out.problems.len() == before).then_some(parsed)
        }
        _ => array(read)(value, out),
    }
}

/// A table of string values, such as image labels.
pub fn string_map(value: &Spanned<DeValue<'_>>, out: &mut Collector) -> Option<BTreeMap<String, String>> {
    match value.get_ref() {
        DeValue::Table(table) => {
            let before = out.problems.len();
            let map: BTreeMap<String, String> = table
                .iter()
                .filter_map(|(key, item)| Some((key.get_ref().to_string(), string(item, out)?)))
                .collect();
            (out.problems.len() == before).then_some(map)
        }
        other => {
            out.push(wrong_type(value.span(), "a table of strings", other));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Option<Timestamp> {
        let table = DeTable::parse(text).unwrap();
        let value = table.get_ref().get("t").unwrap();
        timestamp(value, &mut Collector::default())
    }

    #[test]
    fn datetimes_read_from_fields_match_their_rfc_3339_text() {
        for (toml, text) in [
            ("t = 2026-11-20T06:00:00+02:00", "2026-11-20T04:00:00Z"),
            ("t = 2026-11-20T06:00:00.250Z", "2026-11-20T06:00:00.250Z"),
            ("t = 2026-11-20T06:00:00-05:30", "2026-11-20T11:30:00Z"),
            ("t = 2026-11-20", "2026-11-20T00:00:00Z"),
            ("t = \"2026-11-20T06:00:00+02:00\"", "2026-11-20T04:00:00Z"),
        ] {
            let expected: DateTime<Utc> = text.parse().unwrap();
            assert_eq!(read(toml), Some(Timestamp(expected)), "{toml}");
        }
        assert_eq!(
            read("t = 2026-11-20T06:00:00"),
            None,
            "a local datetime has no offset"
        );
        assert_eq!(read("t = 06:00:00"), None);
    }

    /// Read on several cores, a long array gives the same elements and the same problems, in
    /// the same order, as read on one.
    #[test]
    fn a_long_array_read_on_every_core_reads_as_on_one() {
        let items: Vec<String> = (0..5000)
            .map(|at| {
                if at % 997 == 0 {
                    format!("\"bad-{at}\"")
                } else {
                    at.to_string()
                }
            })
            .collect();
        let text = format!(
            "a = [{}]\nb = [{}]\n",
            items.join(", "),
            (0..4000).map(|at| at.to_string()).collect::<Vec<_>>().join(", ")
        );
        let table = DeTable::parse(&text).unwrap();
        for key in ["a", "b"] {
            let value = table.get_ref().get(key).unwrap();
            let (mut one, mut every) = (Collector::default(), Collector::default());
            let on_one = array(integer)(value, &mut one);
            let on_every = array_on_cores(integer)(value, &mut every);
            assert_eq!(on_one, on_every, "{key}");
            assert_eq!(one.problems, every.problems, "{key}");
        }
        let mut out = Collector::default();
        assert_eq!(
            array_on_cores(integer)(table.get_ref().get("b").unwrap(), &mut out).map(|v| v.len()),
            Some(4000)
        );
        assert!(out.problems.is_empty());
        let mut out = Collector::default();
        assert_eq!(
            array_on_cores(integer)(table.get_ref().get("a").unwrap(), &mut out),
            None
        );
        assert_eq!(out.problems.len(), 6, "bad-0, bad-997, … bad-4985, in order");
    }
}
