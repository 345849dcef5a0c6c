//! Reading IBM's JSON tolerantly, and locating what a problem is about.
//!
//! serde_json parses the file fast but keeps no spans. Values are read through [`At`], a value
//! with the path that reached it (a shared linked list: the pointer text is built only when a
//! problem needs it). A problem names the JSON pointer (`/3/SecurityStatus/Status`); its byte span is
//! found only then, by [`locate`], a linear scan of the text that skips values until it reaches
//! the pointer. A spanned JSON parser would pay for spans on every value of a 100k-image file
//! to serve the rare error.

use std::ops::Range;
use std::rc::Rc;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

use crate::diagnostic::{Problem, SourceText};

/// A capture file's text and the JSON value it holds (after any banner lines).
#[derive(Debug)]
pub struct JsonFile {
    pub source: SourceText,
    /// Byte offset where the JSON starts (after banner lines).
    pub start: usize,
    pub value: Value,
}

/// Parses `source`: lines before the first line that opens with `{` or `[` are skipped (CLI
/// banners, `OK`), and so are lines after the JSON that start with a letter (`OK`). A second
/// JSON value or any other trailing text is an error.
pub fn parse(source: SourceText) -> Result<JsonFile, Problem> {
    let text: &str = &source.text;
    let Some(start) = json_start(text) else {
        let message = if text.trim_start_matches('\u{feff}').trim().is_empty() {
            "the file is empty: the command printed no JSON"
        } else {
            "no JSON in the file: no line starts with `{` or `[`"
        };
        return Err(Problem::new(0..0, message).help(
            "save the command's output with `--output json`; regcheck skips banner lines before the JSON",
        ));
    };
    let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
    let value = match stream.next() {
        Some(Ok(value)) => value,
        Some(Err(error)) => return Err(syntax_problem(text, start, &error)),
        None => return Err(Problem::new(start..start, "no JSON value in the file")),
    };
    let end = start + stream.byte_offset();
    let mut offset = end;
    for line in text[end..].split_inclusive('\n') {
        let trimmed = line.trim();
        if !trimmed.is_empty() && !trimmed.starts_with(|c: char| c.is_ascii_alphabetic()) {
            let at = offset + (line.len() - line.trim_start().len());
            return Err(Problem::new(at..at + 1, "unexpected text after the JSON value")
                .label("the JSON value ended before this")
                .help("a capture file holds one JSON value; save each command's output in its own file"));
        }
        offset += line.len();
    }
    Ok(JsonFile { source, start, value })
}

/// Offset of the first line whose first non-blank character opens a JSON value.
fn json_start(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_start_matches('\u{feff}');
        let blank = content.len() - content.trim_start().len();
        let skipped = line.len() - content.len() + blank;
        if content.trim_start().starts_with(['{', '[']) {
            return Some(offset + skipped);
        }
        offset += line.len();
    }
    None
}

fn syntax_problem(text: &str, start: usize, error: &serde_json::Error) -> Problem {
    // serde_json counts lines from 1 and columns in bytes from 1 (0 at the very end of a line).
    let mut offset = start;
    for _ in 1..error.line() {
        match text[offset..].find('\n') {
            Some(newline) => offset += newline + 1,
            None => break,
        }
    }
    let mut at = (offset + error.column().saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let message = error.to_string();
    // "… at line 3 column 7": the position is shown by the diagnostic itself.
    let message = message.split(" at line ").next().unwrap_or(&message);
    let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
    Problem::new(at..end, format!("invalid JSON: {message}")).label("here")
}

/// One step of a JSON pointer.
#[derive(Debug, Clone, Copy)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// A JSON value and the path from the file's root to it (shared, so a child costs one small
/// allocation and no copy of its parent's path).
#[derive(Debug, Clone)]
pub struct At<'a> {
    pub value: &'a Value,
    path: Option<Rc<PathNode<'a>>>,
}

#[derive(Debug)]
struct PathNode<'a> {
    parent: Option<Rc<PathNode<'a>>>,
    seg: Seg<'a>,
}

impl<'a> At<'a> {
    pub fn root(value: &'a Value) -> Self {
        Self { value, path: None }
    }

    fn child(&self, seg: Seg<'a>, value: &'a Value) -> At<'a> {
        At {
            value,
            path: Some(Rc::new(PathNode {
                parent: self.path.clone(),
                seg,
            })),
        }
    }

    /// The member `key`, matched exactly; `null` counts as absent.
    pub fn get(&self, key: &str) -> Option<At<'a>> {
        let (name, value) = self.value.as_object()?.get_key_value(key)?;
        (!value.is_null()).then(|| self.child(Seg::Key(name), value))
    }

    /// The member `key`, matched case-insensitively (`Repository`/`repository`); `null` counts
    /// as absent. An exact match wins over another spelling.
    pub fn get_ci(&self, key: &str) -> Option<At<'a>> {
        let object = self.value.as_object()?;
        let (name, value) = object
            .get_key_value(key)
            .or_else(|| object.iter().find(|(name, _)| name.eq_ignore_ascii_case(key)))?;
        (!value.is_null()).then(|| self.child(Seg::Key(name), value))
    }

    /// The elements of an array value, each with its index.
    pub fn elements(&self) -> impl Iterator<Item = At<'a>> + '_ {
        self.value
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(move |(index, value)| self.child(Seg::Index(index), value))
    }

    /// The members of an object value.
    pub fn members(&self) -> impl Iterator<Item = (&'a str, At<'a>)> + '_ {
        self.value
            .as_object()
            .into_iter()
            .flatten()
            .map(move |(name, value)| (name.as_str(), self.child(Seg::Key(name), value)))
    }

    fn segments(&self) -> Vec<Seg<'a>> {
        let mut segments = Vec::new();
        let mut node = self.path.as_deref();
        while let Some(at) = node {
            segments.push(at.seg);
            node = at.parent.as_deref();
        }
        segments.reverse();
        segments
    }

    /// The JSON pointer (RFC 6901) of this value; `/` for the root.
    pub fn pointer(&self) -> String {
        pointer_of(&self.segments())
    }

    /// The pointer of this value's member `key` (which may be absent).
    pub fn pointer_to(&self, key: &str) -> String {
        let mut segments = self.segments();
        segments.push(Seg::Key(key));
        pointer_of(&segments)
    }
}

fn pointer_of(segments: &[Seg<'_>]) -> String {
    if segments.is_empty() {
        return "/".to_owned();
    }
    let mut out = String::new();
    for seg in segments {
        out.push('/');
        match seg {
            Seg::Key(key) => out.push_str(&key.replace('~', "~0").replace('/', "~1")),
            Seg::Index(index) => out.push_str(&index.to_string()),
        }
    }
    out
}

/// Collects the problems of one capture file, each located in its text.
#[derive(Debug)]
pub struct Reader<'f> {
    pub file: &'f JsonFile,
    pub problems: Vec<Problem>,
}

impl<'f> Reader<'f> {
    pub fn new(file: &'f JsonFile) -> Self {
        Self {
            file,
            problems: Vec::new(),
        }
    }

    pub fn root(&self) -> At<'f> {
        At::root(&self.file.value)
    }

    /// Records a problem about the value at `at`.
    pub fn error(&mut self, at: &At<'_>, message: impl Into<String>) {
        let span = locate(&self.file.source.text, self.file.start, &at.segments());
        let pointer = at.pointer();
        self.problems.push(
            Problem::new(span, format!("{pointer}: {}", message.into())).label(format!("at {pointer}")),
        );
    }

    /// Records that `object` lacks the member `key` the mapping needs.
    pub fn missing(&mut self, object: &At<'_>, key: &str, what: &str) {
        let span = locate(&self.file.source.text, self.file.start, &object.segments());
        let pointer = object.pointer_to(key);
        self.problems.push(
            Problem::new(span, format!("{pointer} is missing: {what}"))
                .label(format!("this entry has no `{key}`")),
        );
    }

    /// The list a file holds: bare (`[…]`) or wrapped in an object under one of `wrappers`.
    pub fn list<'a>(&mut self, root: &At<'a>, wrappers: &[&str]) -> Option<At<'a>> {
        match root.value {
            Value::Array(_) => Some(root.clone()),
            Value::Object(_) => {
                let found = wrappers
                    .iter()
                    .find_map(|key| root.get_ci(key).filter(|at| at.value.is_array()));
                if found.is_none() {
                    let keys: Vec<String> = wrappers.iter().map(|key| format!("`{key}`")).collect();
                    self.error(
                        root,
                        format!(
                            "expected a list, bare (`[…]`) or wrapped in an object under {}",
                            keys.join(" or ")
                        ),
                    );
                }
                found
            }
            other => {
                self.error(root, format!("expected a list, found {}", kind(other)));
                None
            }
        }
    }

    /// An optional string member (exact key); wrong type is a problem.
    pub fn opt_str(&mut self, object: &At<'_>, key: &str) -> Option<String> {
        let at = object.get(key)?;
        self.string(&at)
    }

    /// An optional string member, key matched case-insensitively.
    pub fn opt_str_ci(&mut self, object: &At<'_>, key: &str) -> Option<String> {
        let at = object.get_ci(key)?;
        self.string(&at)
    }

    /// A required string member: absent or empty is a problem.
    pub fn req_str(&mut self, object: &At<'_>, key: &str, what: &str) -> Option<String> {
        match object.get(key) {
            Some(at) => {
                let text = self.string(&at)?;
                if text.trim().is_empty() {
                    self.error(&at, format!("empty: {what}"));
                    return None;
                }
                Some(text)
            }
            None => {
                self.missing(object, key, what);
                None
            }
        }
    }

    pub fn string(&mut self, at: &At<'_>) -> Option<String> {
        match at.value {
            Value::String(text) => Some(text.clone()),
            other => {
                self.error(at, format!("expected a string, found {}", kind(other)));
                None
            }
        }
    }

    /// A non-negative integer (a whole-valued float is accepted: some APIs print `20.0`).
    pub fn count(&mut self, at: &At<'_>) -> Option<i64> {
        let number = match at.value {
            Value::Number(number) => number.as_i64().or_else(|| {
                number
                    .as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                    .map(|f| f as i64)
            }),
            _ => None,
        };
        match number {
            Some(n) => Some(n),
            None => {
                self.error(at, format!("expected an integer, found {}", kind(at.value)));
                None
            }
        }
    }

    pub fn boolean(&mut self, at: &At<'_>) -> Option<bool> {
        match at.value {
            Value::Bool(flag) => Some(*flag),
            other => {
                self.error(at, format!("expected true or false, found {}", kind(other)));
                None
            }
        }
    }

    /// A list of strings.
    pub fn strings(&mut self, at: &At<'_>) -> Option<Vec<String>> {
        if !at.value.is_array() {
            self.error(
                at,
                format!("expected a list of strings, found {}", kind(at.value)),
            );
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for element in at.elements() {
            match self.string(&element) {
                Some(text) => out.push(text),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// A time: RFC 3339 (any offset), an offset without a colon (`2026-11-20T06:00+0000`), or
    /// Unix seconds (a number or a string of digits).
    pub fn time(&mut self, at: &At<'_>) -> Option<DateTime<Utc>> {
        match parse_time(at.value) {
            Ok(time) => Some(time),
            Err(message) => {
                self.error(at, message);
                None
            }
        }
    }
}

/// What kind of JSON value this is, for messages.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Parses the time formats IBM's tools print; the result is whole seconds in UTC.
pub fn parse_time(value: &Value) -> Result<DateTime<Utc>, String> {
    let unix = |seconds: i64| {
        Utc.timestamp_opt(seconds, 0)
            .single()
            .ok_or_else(|| format!("{seconds} is out of range for Unix seconds"))
    };
    match value {
        Value::Number(number) => match number.as_i64() {
            Some(seconds) => unix(seconds),
            None => match number.as_f64() {
                Some(seconds) if seconds.is_finite() && seconds.abs() < 1e13 => unix(seconds.floor() as i64),
                _ => Err(format!("{number} is not a time in Unix seconds")),
            },
        },
        Value::String(text) => {
            let text = text.trim();
            if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
                return text
                    .parse::<i64>()
                    .map_err(|_| format!("`{text}` is not a time in Unix seconds"))
                    .and_then(unix);
            }
            if let Ok(time) = DateTime::parse_from_rfc3339(text) {
                return Ok(whole_seconds(time.with_timezone(&Utc)));
            }
            for format in [
                "%Y-%m-%dT%H:%M%z",
                "%Y-%m-%dT%H:%M:%S%z",
                "%Y-%m-%dT%H:%M:%S%.f%z",
            ] {
                if let Ok(time) = DateTime::parse_from_str(text, format) {
                    return Ok(whole_seconds(time.with_timezone(&Utc)));
                }
            }
            // A time without an offset would be a guess about its zone.
            if NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").is_ok() {
                return Err(format!("`{}` has no UTC offset", safe(text)));
            }
            Err(format!(
                "`{}` is not a time (RFC 3339, `2026-11-20T06:00+0000` or Unix seconds)",
                safe(text)
            ))
        }
        other => Err(format!("expected a time, found {}", kind(other))),
    }
}

fn whole_seconds(time: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_opt(time.timestamp(), 0).single().unwrap_or(time)
}

/// Text from a capture as it may appear in a message: control characters become `?`, and
/// long values are cut (a message is not the place for a whole value).
pub fn safe(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(80)
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                '?'
            } else {
                c
            }
        })
        .collect();
    if text.chars().nth(80).is_some() {
        out.push('…');
    }
    out
}

/// Characters that reorder the text shown around them (Trojan Source).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// The byte span of the value at `segments` in `text` (JSON starting at `start`): a scalar's
/// whole text, a container's opening bracket. Where the path leaves the text (a member that
/// is absent), the span of the deepest value found. Linear in the text before the value.
pub fn locate(text: &str, start: usize, segments: &[Seg<'_>]) -> Range<usize> {
    let bytes = text.as_bytes();
    let mut at = skip_ws(bytes, start);
    for seg in segments {
        let found = match (seg, bytes.get(at)) {
            (Seg::Key(key), Some(b'{')) => find_member(text, at, key),
            (Seg::Index(index), Some(b'[')) => find_element(bytes, at, *index),
            _ => None,
        };
        match found {
            Some(next) => at = next,
            None => break,
        }
    }
    match bytes.get(at) {
        Some(b'{' | b'[') | None => at..(at + 1).min(bytes.len()),
        Some(_) => at..skip_value(bytes, at),
    }
}

fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'\n' | b'\r') {
        at += 1;
    }
    at
}

/// From an opening `{`, the offset of the value of member `key`.
fn find_member(text: &str, open: usize, key: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = skip_ws(bytes, open + 1);
    while bytes.get(at) == Some(&b'"') {
        let end = skip_string(bytes, at);
        let name = text.get(at..end)?;
        let matches = serde_json::from_str::<String>(name).is_ok_and(|name| name == key);
        at = skip_ws(bytes, end);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        at = skip_ws(bytes, at + 1);
        if matches {
            return Some(at);
        }
        at = skip_ws(bytes, skip_value(bytes, at));
        if bytes.get(at) != Some(&b',') {
            return None;
        }
        at = skip_ws(bytes, at + 1);
    }
    None
}

/// From an opening `[`, the offset of element `index`.
fn find_element(bytes: &[u8], open: usize, index: usize) -> Option<usize> {
    let mut at = skip_ws(bytes, open + 1);
    if bytes.get(at) == Some(&b']') {
        return None;
    }
    for _ in 0..index {
        at = skip_ws(bytes, skip_value(bytes, at));
        if bytes.get(at) != Some(&b',') {
            return None;
        }
        at = skip_ws(bytes, at + 1);
    }
    (at < bytes.len()).then_some(at)
}

/// The offset just past the string starting at `at` (a `"`).
fn skip_string(bytes: &[u8], at: usize) -> usize {
    let mut i = at + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The offset just past the value starting at `at`.
fn skip_value(bytes: &[u8], at: usize) -> usize {
    match bytes.get(at) {
        Some(b'"') => skip_string(bytes, at),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut i = at;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => {
                        i = skip_string(bytes, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            bytes.len()
        }
        Some(_) => {
            let mut i = at;
            while i < bytes.len() && !matches!(bytes[i], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                i += 1;
            }
            i
        }
        None => at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> JsonFile {
        parse(SourceText::new("t.json", text)).unwrap()
    }

    #[test]
    fn banner_lines_before_and_ok_after_are_skipped() {
        let f = file("Listing images...\n\nOK\n[{\"a\": 1}]\nOK\n");
        assert_eq!(f.start, "Listing images...\n\nOK\n".len());
        assert_eq!(f.value[0]["a"], 1);
    }

    #[test]
    fn a_second_value_or_stray_text_after_the_json_is_an_error() {
        for text in ["[1]\n[2]\n", "[1]]\n", "{\"a\":1} }"] {
            let error = parse(SourceText::new("t.json", text)).unwrap_err();
            assert!(
                error.message.contains("after the JSON"),
                "{text}: {}",
                error.message
            );
        }
    }

    #[test]
    fn syntax_errors_point_at_the_offending_byte() {
        let text = "OK\n[\n  {\"a\": 1,}\n]";
        let error = parse(SourceText::new("t.json", text)).unwrap_err();
        assert!(error.message.starts_with("invalid JSON: "), "{}", error.message);
        let (line, column) = crate::diagnostic::line_col(text, error.span.start);
        assert_eq!((line, column), (3, 11), "{}", error.message);
    }

    #[test]
    fn empty_and_jsonless_files_are_errors() {
        assert!(
            parse(SourceText::new("t", ""))
                .unwrap_err()
                .message
                .contains("empty")
        );
        assert!(
            parse(SourceText::new("t", "FAILED\nNot logged in\n"))
                .unwrap_err()
                .message
                .contains("no JSON")
        );
    }

    #[test]
    fn every_pointer_locates_its_own_value() {
        let text = "banner\n{ \"x\": [1, {\"k/~\": \"v\\\"]\", \"n\": null}, [true, 2.5e3]],\n  \"y\": {\"z\": {}} }";
        let f = file(text);
        fn walk(f: &JsonFile, at: &At<'_>) {
            let span = locate(&f.source.text, f.start, &at.segments());
            let mut stream =
                serde_json::Deserializer::from_str(&f.source.text[span.start..]).into_iter::<Value>();
            match at.value {
                Value::Object(_) | Value::Array(_) => {
                    assert_eq!(stream.next().unwrap().unwrap(), *at.value, "{}", at.pointer())
                }
                _ => assert_eq!(
                    serde_json::from_str::<Value>(&f.source.text[span.clone()]).unwrap(),
                    *at.value,
                    "{}",
                    at.pointer()
                ),
            }
            for element in at.elements() {
                walk(f, &element);
            }
            for (_, member) in at.members() {
                walk(f, &member);
            }
        }
        walk(&f, &At::root(&f.value));
        let root = At::root(&f.value);
        let x = root.get("x").unwrap();
        let second = x.elements().nth(1).unwrap();
        let key = second.get("k/~").unwrap();
        assert_eq!(key.pointer(), "/x/1/k~1~0");
        assert!(second.get("n").is_none(), "null is absent");
    }

    #[test]
    fn a_missing_member_locates_its_object() {
        let f = file("[{\"a\": 1},\n {\"b\": 2}]");
        let root = At::root(&f.value);
        let second = root.elements().nth(1).unwrap();
        let mut reader = Reader::new(&f);
        reader.missing(&second, "a", "the id");
        let problem = &reader.problems[0];
        assert_eq!(problem.message, "/1/a is missing: the id");
        assert_eq!(
            crate::diagnostic::line_col(&f.source.text, problem.span.start),
            (2, 2)
        );
    }

    #[test]
    fn times_in_every_format_become_whole_utc_seconds() {
        let expect = Utc.with_ymd_and_hms(2026, 11, 20, 6, 0, 0).unwrap();
        for value in [
            serde_json::json!("2026-11-20T06:00:00Z"),
            serde_json::json!("2026-11-20T07:00:00+01:00"),
            serde_json::json!("2026-11-20T06:00+0000"),
            serde_json::json!("2026-11-20T01:00:00-0500"),
            serde_json::json!("2026-11-20T06:00:00.123456Z"),
            serde_json::json!(1_795_154_400),
            serde_json::json!("1795154400"),
        ] {
            assert_eq!(parse_time(&value), Ok(expect), "{value}");
        }
        assert!(
            parse_time(&serde_json::json!("2026-11-20T06:00:00"))
                .unwrap_err()
                .contains("offset")
        );
        assert!(parse_time(&serde_json::json!(true)).is_err());
        assert!(parse_time(&serde_json::json!(1e300)).is_err());
    }

    #[test]
    fn safe_text_has_no_control_characters() {
        assert_eq!(safe("a\u{1b}[31mb\n\u{202e}"), "a?[31mb??");
        assert_eq!(safe(&"x".repeat(100)).chars().count(), 81);
    }
}
