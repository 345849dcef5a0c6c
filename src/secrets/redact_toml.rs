//! What to mask in a file's text before any of it is shown: its secrets, found in the text as
//! it is, whether or not it is valid TOML.
//!
//! Two scans, whose finds are joined:
//! - every string literal is decoded and scanned as an environment entry, a history line and a
//!   label value (under the key in front of it), as the rules see them;
//! - the text outside well-formed literals (comments, bare values, keys, broken strings, a line
//!   whose quotes do not pair up) is scanned raw: every recognised format, and every
//!   `NAME=value`, `NAME = value`, `NAME: value` or `"NAME": value` whose name says secret,
//!   whatever the value's type or quoting.
//!
//! The result is byte ranges of the text (for excerpts, which show the file's own lines) and the
//! secret values (for [`super::registry`], which masks them wherever else they are printed; a
//! value decoded from an escaped literal differs from its source text).
//!
//! Every loop here is linear in the text: literals, gaps and assignments are each visited once,
//! and a value longer than [`MAX_CHECKED_VALUE`] is masked without being examined.

use std::ops::Range;

use super::keyword::{is_literal_secret, is_secret_name};
use super::text::{offset_in, unquote};
use super::{formats, history};

/// A file's secrets: where they are in its text, and their values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSecrets {
    /// Byte ranges of the text, sorted by start, not overlapping.
    pub ranges: Vec<Range<usize>>,
    /// The secret values: the text of each range, and the decoded values found inside escaped
    /// literals.
    pub values: Vec<String>,
}

/// Byte ranges of `text` to mask. Works on any text, even one that is not valid TOML.
pub fn secret_ranges(text: &str) -> Vec<Range<usize>> {
    scan_file(text).ranges
}

/// Scans made ahead of a file's load, by the SHA-256 of the scanned text: a run of several files
/// learns every file's secrets before its first report (see `learn_every_file` in the CLI), and
/// each file's load then takes its scan back instead of scanning again. A text that differs in
/// any byte (the file changed in between) is scanned anew.
static SCANNED_AHEAD: std::sync::Mutex<std::collections::BTreeMap<[u8; 32], FileSecrets>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());
/// Whether anything was ever scanned ahead: until then no text is hashed.
static ANY_SCANNED_AHEAD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn digest(text: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).into()
}

/// Scans `text` (a file about to be loaded) and keeps the result for the [`scan_file`] of the
/// same text; returns the secret values.
pub fn scan_ahead(text: &str) -> Vec<String> {
    let found = scan_now(text);
    let values = found.values.clone();
    let key = digest(text);
    let mut ahead = SCANNED_AHEAD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    ahead.insert(key, found);
    ANY_SCANNED_AHEAD.store(true, std::sync::atomic::Ordering::Release);
    values
}

/// The secrets of a file's text (see the module documentation): the scan made ahead of this
/// text's load ([`scan_ahead`]), if there was one, else a scan now.
pub fn scan_file(text: &str) -> FileSecrets {
    if ANY_SCANNED_AHEAD.load(std::sync::atomic::Ordering::Acquire) {
        let key = digest(text);
        let mut ahead = SCANNED_AHEAD
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(found) = ahead.remove(&key) {
            return found;
        }
    }
    scan_now(text)
}

fn scan_now(text: &str) -> FileSecrets {
    let mut ranges = Vec::new();
    let mut values = Vec::new();
    let literals = string_literals(text);
    // Every literal is scanned on its own: a large file's literals are shared among cores.
    let threads = if text.len() < PARALLEL_FROM {
        1
    } else {
        crate::cores().min(8)
    };
    if threads > 1 {
        let chunk = literals.len().div_ceil(threads).max(1);
        let parts: Vec<(Vec<Range<usize>>, Vec<String>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = literals
                .chunks(chunk)
                .map(|part| scope.spawn(move || LiteralScan::new(text).all(part)))
                .collect();
            // A scanning thread cannot panic on any input (the fuzz targets check it); were one
            // to, its part is scanned again here, so that nothing goes unmasked.
            handles
                .into_iter()
                .zip(literals.chunks(chunk))
                .map(|(handle, part)| handle.join().unwrap_or_else(|_| LiteralScan::new(text).all(part)))
                .collect()
        });
        for (part_ranges, part_values) in parts {
            ranges.extend(part_ranges);
            values.extend(part_values);
        }
    } else {
        (ranges, values) = LiteralScan::new(text).all(&literals);
    }
    // The text between well-formed literals, line by line: comments, keys, bare values, and the
    // contents of unterminated strings.
    let mut at = 0;
    let mut memo = LineMemo::default();
    for literal in literals.iter().filter(|literal| literal.terminated) {
        scan_raw(text, at..literal.content.start, &mut memo, &mut ranges);
        at = literal.content.end;
    }
    scan_raw(text, at..text.len(), &mut memo, &mut ranges);
    assignments(text, &mut ranges);

    ranges.retain(|range| range.start < range.end && range.end <= text.len());
    ranges.sort_by_key(|range| (range.start, range.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    // Ranges found in decoded or raw text may end inside a character: widen them to whole ones.
    for range in &mut merged {
        range.start = floor_boundary(text, range.start);
        range.end = ceil_boundary(text, range.end);
    }
    values.extend(merged.iter().map(|range| text[range.clone()].to_owned()));
    values.sort_unstable();
    values.dedup();
    FileSecrets {
        ranges: merged,
        values,
    }
}

/// The scan of a file's literals (or a part of them), one by one: each literal's value is
/// scanned as the rules see it, as an env entry, a history line, and a label value under the key
/// before it.
///
/// Values repeat (images share base layers, variables and labels), and a value scanned under the
/// same key finds the same secrets: each distinct one is scanned once, up to
/// [`MEMO_LIMIT`] of them, so that memory stays small whatever the file.
struct LiteralScan<'t> {
    text: &'t str,
    /// What each value holds, as ranges of its decoded value.
    memo: std::collections::HashMap<ValueSeen<'t>, Vec<Range<usize>>, MemoHasher>,
    ranges: Vec<Range<usize>>,
    values: Vec<String>,
}

/// A literal's value as [`LiteralScan`] remembers it: its source text, whether it has escapes,
/// and the key before it.
type ValueSeen<'t> = (&'t str, bool, Option<&'t str>);

/// Seeded anew in every run, so that no file can be written to make the memo's lookups collide.
type MemoHasher = foldhash::fast::RandomState;

/// Distinct values (or lines) a memo remembers at most: about 20 MB at worst, a few on a real
/// account (most values are short and most repeat).
const MEMO_LIMIT: usize = 1 << 18;
/// Literal values shorter than this are scanned again rather than remembered: most stop at the
/// first check of [`formats::scan`].
const MEMO_FROM: usize = 16;

/// What `scan` finds, looked up in `memo` first, and kept there while it holds fewer than
/// [`MEMO_LIMIT`] entries.
fn remembered<K: std::hash::Hash + Eq>(
    memo: &mut std::collections::HashMap<K, Vec<Range<usize>>, MemoHasher>,
    key: K,
    scan: impl FnOnce() -> Vec<Range<usize>>,
) -> Vec<Range<usize>> {
    if memo.len() < MEMO_LIMIT {
        memo.entry(key).or_insert_with(scan).clone()
    } else {
        memo.get(&key).cloned().unwrap_or_else(scan)
    }
}

impl<'t> LiteralScan<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            memo: std::collections::HashMap::default(),
            ranges: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Scans every literal of `literals`: the ranges to mask and the decoded secret values.
    fn all(mut self, literals: &[Literal]) -> (Vec<Range<usize>>, Vec<String>) {
        for literal in literals {
            self.literal(literal);
        }
        (self.ranges, self.values)
    }

    fn literal(&mut self, literal: &Literal) {
        let text = self.text;
        let raw = &text[literal.content.clone()];
        let key = key_before(&text[..literal.start]);
        let content = || -> std::borrow::Cow<'t, str> {
            if literal.escaped {
                std::borrow::Cow::Owned(unescape(raw))
            } else {
                std::borrow::Cow::Borrowed(raw)
            }
        };
        let scan = || literal_secrets(&content(), key);
        let found = if raw.len() < MEMO_FROM {
            scan()
        } else {
            remembered(&mut self.memo, (raw, literal.escaped, key), scan)
        };
        if found.is_empty() {
            return;
        }
        if literal.escaped {
            // Offsets in the decoded value do not map onto the source: mask the whole literal, and
            // remember the decoded secrets (reports print decoded values).
            let content = content();
            self.ranges.push(literal.content.clone());
            self.values.extend(
                found
                    .iter()
                    .filter_map(|span| content.get(span.clone()))
                    .map(str::to_owned),
            );
        } else {
            self.ranges.extend(
                found
                    .into_iter()
                    .map(|span| literal.content.start + span.start..literal.content.start + span.end),
            );
        }
    }
}

/// What [`super::scan_env_entry`], [`super::scan_history_line`] and [`super::scan_label`] (under
/// `key`) would find in a literal's value, joined, for masking: every recognised format (with
/// the key, or the variable's name, as context), and the value of every secret-named
/// assignment. The formats are scanned once, not once per reading: this runs on every literal of
/// every file.
fn literal_secrets(content: &str, key: Option<&str>) -> Vec<Range<usize>> {
    let mut found: Vec<Range<usize>> = formats::scan(content, key.unwrap_or(""))
        .into_iter()
        .map(|d| d.span)
        .collect();
    let literal = |value: &str, found: &mut Vec<Range<usize>>| {
        if is_literal_secret(value) {
            let inner = unquote(value.trim()).trim();
            let start = offset_in(content, inner);
            found.push(start..start + inner.len());
        }
    };
    // An environment entry, `NAME=value`: its value is scanned on its own, as
    // `scan_env_entry` does, whatever the name. A scan of the whole line can cut a value
    // differently (`Y=--passwd=…--passwd=…` is one command-line password there, two here; found
    // by the redactor fuzz target), and every span a rule may report must be masked.
    if let Some((name, value)) = content.split_once('=') {
        let offset = name.len() + 1;
        found.extend(
            formats::scan(value, name)
                .into_iter()
                .map(|d| d.span.start + offset..d.span.end + offset),
        );
        if is_secret_name(name) {
            literal(value, &mut found);
        }
    }
    // A label, `key = "value"`.
    if let Some(key) = key
        && is_secret_name(key)
    {
        literal(content, &mut found);
    }
    // A history line's assignments.
    if history::may_assign_secret(content) {
        for assignment in history::assignments(content) {
            if is_secret_name(&content[assignment.name.clone()])
                && is_literal_secret(&content[assignment.value.clone()])
            {
                found.push(assignment.value);
            }
        }
    }
    found
}

/// Files at least this large have their literals scanned on every core.
const PARALLEL_FROM: usize = 1 << 20;

/// The shortest text any format can match; shorter gaps (`", "`, ` = [`) are skipped.
const MIN_FORMAT_TEXT: usize = 8;

/// What each line of raw text holds, by its text: the text between literals repeats (`\nva_status
/// = `, `\nenv = [`), and a line scanned once need not be scanned again. Up to
/// [`MEMO_LIMIT`] lines are remembered.
type LineMemo<'t> = std::collections::HashMap<&'t str, Vec<Range<usize>>, MemoHasher>;

/// Scans `range` of `text` line by line for recognised formats.
fn scan_raw<'t>(text: &'t str, range: Range<usize>, memo: &mut LineMemo<'t>, ranges: &mut Vec<Range<usize>>) {
    if range.end <= range.start {
        return;
    }
    let mut start = range.start;
    for line in text[range.clone()].split_inclusive('\n') {
        let end = start + line.len();
        if line.trim().len() >= MIN_FORMAT_TEXT {
            let found = remembered(memo, line, || {
                formats::scan(line, "").into_iter().map(|d| d.span).collect()
            });
            ranges.extend(found.into_iter().map(|span| start + span.start..start + span.end));
        }
        start = end;
    }
}

/// Values longer than this are masked whole, unexamined (a placeholder or reference is short).
pub const MAX_CHECKED_VALUE: usize = 1024;
/// Names longer than this are not names.
const MAX_NAME: usize = 256;

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/')
}

/// Every `NAME=value`, `NAME = value`, `NAME: value` and `"NAME": value` in the raw text whose
/// name says secret: the value's range, whatever its type (a number, a date, a bare word, a
/// quoted string, the rest of a line after an unpaired quote).
fn assignments(text: &str, ranges: &mut Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let Some(next) = memchr::memchr2(b'=', b':', &bytes[i..]) else {
            break;
        };
        i += next;
        let separator = bytes[i];
        // `==`, `=>`, `:=`-style operators and `://` are not assignments.
        if bytes
            .get(i + 1)
            .is_some_and(|&b| b == b'=' || b == b'>' || b == b'/')
            || (i > 0 && matches!(bytes[i - 1], b'=' | b'!' | b'<' | b'>'))
        {
            i += 1;
            continue;
        }
        let Some(name) = name_before(bytes, i, separator == b'=') else {
            i += 1;
            continue;
        };
        // `key: value` needs a space or a quote after the colon (`image:tag`, `a:b@host` are not).
        if separator == b':'
            && !bytes
                .get(i + 1)
                .is_some_and(|&b| b == b' ' || b == b'\t' || b == b'"' || b == b'\'')
        {
            i += 1;
            continue;
        }
        if !is_secret_name(&text[name]) {
            i += 1;
            continue;
        }
        let value = value_after(bytes, i + 1);
        let Some(value) = value else {
            i += 1;
            continue;
        };
        if value.len() > MAX_CHECKED_VALUE || is_literal_secret(&text[value.clone()]) {
            ranges.push(value.clone());
        }
        // A separator inside the value is part of it (`A=b=c`, `TOKEN=x:y`): each value is
        // examined once, which keeps the scan linear.
        i = value.end.max(i + 1);
    }
}

/// The name before the separator at `at`: a run of name bytes, possibly quoted, possibly
/// followed by blanks (`key = value`) when `spaced` allows it.
fn name_before(bytes: &[u8], at: usize, spaced: bool) -> Option<Range<usize>> {
    let mut end = at;
    if spaced {
        // At most a few blanks: a long run of spaces is not `key = value`.
        let mut blanks = 0;
        while end > 0 && matches!(bytes[end - 1], b' ' | b'\t') && blanks < 8 {
            end -= 1;
            blanks += 1;
        }
    }
    let quoted = end > 0 && matches!(bytes[end - 1], b'"' | b'\'');
    if quoted {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && is_name_byte(bytes[start - 1]) && end - start < MAX_NAME {
        start -= 1;
    }
    if start == end || (start > 0 && is_name_byte(bytes[start - 1])) {
        return None;
    }
    if quoted && !(start > 0 && bytes[start - 1] == bytes[end]) {
        return None;
    }
    Some(start..end)
}

/// The value after a separator ending at `from`: blanks skipped; a quoted value runs to its
/// closing quote or the end of the line; a bare one to a blank, a quote, `,`, `;`, `&`, `|`,
/// a closing bracket or brace, or the end of the line. `None` for an array or table, or nothing.
fn value_after(bytes: &[u8], from: usize) -> Option<Range<usize>> {
    let mut start = from;
    let mut blanks = 0;
    while start < bytes.len() && matches!(bytes[start], b' ' | b'\t') && blanks < 8 {
        start += 1;
        blanks += 1;
    }
    let first = *bytes.get(start)?;
    if matches!(first, b'[' | b'{' | b'\n' | b'\r' | b'#') {
        return None;
    }
    let (start, ends): (usize, fn(u8, u8) -> bool) = if first == b'"' || first == b'\'' {
        (start + 1, |b, quote| b == quote || b == b'\n')
    } else {
        (start, |b, _| {
            b.is_ascii_whitespace()
                || matches!(b, b'"' | b'\'' | b',' | b';' | b'&' | b'|' | b']' | b'}' | b')')
        })
    };
    let end = bytes
        .get(start..)?
        .iter()
        .position(|&b| ends(b, first))
        .map_or(bytes.len(), |offset| start + offset);
    // A value ending in a backslash (a line continuation, an escape) keeps the backslash out.
    let end = if end > start && bytes[end - 1] == b'\\' {
        end - 1
    } else {
        end
    };
    (end > start).then_some(start..end)
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

struct Literal {
    start: usize,
    content: Range<usize>,
    escaped: bool,
    /// Whether the closing quote was found (an unterminated string is scanned raw too).
    terminated: bool,
}

/// The string literals of a TOML text, skipping comments. Lenient: an unterminated string runs
/// to the end of its line (or of the file for multi-line strings).
fn string_literals(text: &str) -> Vec<Literal> {
    let bytes = text.as_bytes();
    // Sized at once for the most literals there can be (each takes two quotes at least): a
    // large file's list would otherwise be copied as it grows, and touch twice the memory. What
    // is reserved and not used is never touched; a reservation refused (quotes in comments can
    // make the bound far too high) leaves the list to grow as it would have.
    let mut literals = Vec::new();
    let _ = literals.try_reserve(memchr::memchr2_iter(b'"', b'\'', bytes).count() / 2);
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'#' => at = text[at..].find('\n').map_or(bytes.len(), |offset| at + offset),
            quote @ (b'"' | b'\'') => {
                let triple = bytes.get(at..at + 3) == Some(&[quote, quote, quote][..]);
                let open = if triple { 3 } else { 1 };
                let content_start = at + open;
                let mut end = content_start;
                let mut escaped = false;
                loop {
                    // Straight to the next byte that matters: a quote, a backslash, a line end.
                    end += memchr::memchr3(quote, b'\\', b'\n', &bytes[end.min(bytes.len())..])
                        .unwrap_or(bytes.len().saturating_sub(end));
                    if end >= bytes.len() || (!triple && bytes[end] == b'\n') {
                        break;
                    }
                    if bytes[end] == b'\n' {
                        end += 1;
                        continue;
                    }
                    if quote == b'"' && bytes[end] == b'\\' {
                        escaped = true;
                        end += 2;
                        continue;
                    }
                    if bytes[end] == quote
                        && (!triple || bytes.get(end..end + 3) == Some(&[quote, quote, quote][..]))
                    {
                        break;
                    }
                    end += 1;
                }
                let end = end.min(bytes.len());
                literals.push(Literal {
                    start: at,
                    content: content_start..end,
                    escaped,
                    terminated: end < bytes.len() && bytes[end] == quote,
                });
                at = (end + open).min(bytes.len());
            }
            _ => {
                at = memchr::memchr3(b'#', b'"', b'\'', &bytes[at..]).map_or(bytes.len(), |next| at + next);
            }
        }
    }
    literals
}

/// The value of a basic string's body: TOML's escapes (`\"`, `\\`, `\n`, `\t`, `\uXXXX`, …).
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('e') => out.push('\u{1b}'),
            Some(u @ ('u' | 'U')) => {
                let digits: String = chars.by_ref().take(if u == 'u' { 4 } else { 8 }).collect();
                out.extend(u32::from_str_radix(&digits, 16).ok().and_then(char::from_u32));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// The bare key of `key = ` directly before a literal, if there is one (a label's name).
fn key_before(prefix: &str) -> Option<&str> {
    let before = prefix.trim_end().strip_suffix('=')?.trim_end();
    let start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"')))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let key = before[start..].trim_matches('"');
    (!key.is_empty()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` with every range replaced by `#`, byte for byte (so the tests can compare
    /// offsets).
    fn mask(text: &str, ranges: &[Range<usize>]) -> String {
        let mut bytes = text.as_bytes().to_vec();
        for range in ranges {
            bytes[range.clone()].fill(b'#');
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn masked(text: &str) -> String {
        mask(text, &secret_ranges(text))
    }

    const TOKEN: &str = "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8";

    /// A scan made ahead is what the load of the same text gets, once; a text that changed in
    /// between is scanned anew.
    #[test]
    fn a_scan_made_ahead_serves_the_same_text_once() {
        let text = format!("# scanned ahead\nenv = [\"GH_TOKEN={TOKEN}\", \"SCAN_AHEAD_TEST=1\"]\n");
        let values = scan_ahead(&text);
        assert_eq!(values, scan_now(&text).values);
        let key = digest(&text);
        let kept = |key| SCANNED_AHEAD.lock().unwrap().contains_key(&key);
        assert!(kept(key), "kept for the load");
        let changed = text.replace("SCAN_AHEAD_TEST=1", "SCAN_AHEAD_TEST=2");
        assert_eq!(scan_file(&changed), scan_now(&changed));
        assert!(kept(key), "a different text does not take it");
        assert_eq!(scan_file(&text), scan_now(&text));
        assert!(!kept(key), "taken by the load, not kept twice");
    }

    #[test]
    fn masks_secrets_in_env_history_and_labels_but_not_the_rest() {
        let text = format!(
            "[[images]]\nref = \"us.icr.io/ns/app:1\" # ghp_ in a comment\nenv = [\"LOG=info\", \"GH_TOKEN={TOKEN}\"]\nlabels = {{ maintainer = \"team\", \"api-token\" = \"{TOKEN}\" }}\n"
        );
        let masked = masked(&text);
        assert!(!masked.contains(&TOKEN[4..]), "{masked}");
        assert!(
            masked.contains("GH_TOKEN=")
                && masked.contains("LOG=info")
                && masked.contains("us.icr.io/ns/app:1")
        );
        assert_eq!(masked.len(), text.len(), "offsets are kept");
    }

    #[test]
    fn a_value_seen_before_is_masked_again_where_it_is_and_under_its_own_key() {
        // The scan remembers what each distinct value holds: a repeat must be masked at its own
        // place, and the same value under a secret-named key is a secret there only.
        let value = "Zq8xLmN3pQ7wRt5v";
        let text = format!(
            "note = \"{value}\"\napi_password = \"{value}\"\nenv = [\"GH_TOKEN={TOKEN}\", \"GH_TOKEN={TOKEN}\"]\n# {TOKEN}\n# {TOKEN}\n"
        );
        // The literals alone (the raw scan of `key = value` would mask the second one anyway).
        let (ranges, _) = LiteralScan::new(&text).all(&string_literals(&text));
        let masked = mask(&text, &ranges);
        assert!(masked.starts_with(&format!("note = \"{value}\"\n")), "{masked}");
        assert!(!masked.contains(&format!("api_password = \"{value}")), "{masked}");
        let masked = mask(&text, &secret_ranges(&text));
        assert!(!masked.contains(&TOKEN[4..]), "{masked}");
        assert_eq!(masked.matches("GH_TOKEN=#").count(), 2, "{masked}");
        assert_eq!(masked.matches("# #").count(), 2, "{masked}");
    }

    #[test]
    fn keys_after_non_ascii_text_do_not_split_characters() {
        // Bare TOML keys are ASCII: the key is what follows the last non-key character.
        assert_eq!(key_before("größe = "), Some("e"));
        assert_eq!(secret_ranges("x = { é= \"ghp_\" }\n"), Vec::<Range<usize>>::new());
    }

    #[test]
    fn an_escaped_literal_is_decoded_before_it_is_scanned() {
        let text = "history = [\"/bin/sh -c echo \\\"app:3xa;Fz?bVKYg\\\" | chpasswd\"]\n";
        let masked = masked(text);
        assert!(!masked.contains("3xa;Fz"), "{masked}");
    }

    #[test]
    fn an_escaped_literal_is_masked_whole_and_its_decoded_secret_is_a_value() {
        let text = format!("env = [\"X=\\\"quoted\\\" GH_TOKEN={TOKEN}\"]\n");
        let found = scan_file(&text);
        assert!(!mask(&text, &found.ranges).contains(&TOKEN[4..]));
        assert!(
            found.values.iter().any(|value| value == TOKEN),
            "{:?}",
            found.values
        );
    }

    #[test]
    fn comments_bare_values_and_broken_strings_are_scanned_raw() {
        for (text, secret) in [
            (format!("# old token: {TOKEN}\n"), TOKEN),
            (
                "env = [\"A=1\", DB_PASSWORD=Zq8xLmN3pQ7\", \"B=2\"]\n".to_owned(),
                "Zq8xLmN3pQ7",
            ),
            ("db_password = Zq8xLmN3pQ7\n".to_owned(), "Zq8xLmN3pQ7"),
            ("api_token = 1234567890\n".to_owned(), "1234567890"),
            (
                "signing_secret = 2026-01-01T00:00:00Z\n".to_owned(),
                "2026-01-01T00:00:00Z",
            ),
            ("\"db-password\" = 31415926\n".to_owned(), "31415926"),
            ("labels = { db_password = 271828 }\n".to_owned(), "271828"),
            (
                "x = \"unterminated DB_PASSWORD=Zq8xLmN3pQ7\n".to_owned(),
                "Zq8xLmN3pQ7",
            ),
            (
                "# {\"client_secret\": \"Zq8x Lm N3pQ7\"}\n".to_owned(),
                "Zq8x Lm N3pQ7",
            ),
            (format!("{TOKEN} = 1\n"), TOKEN),
        ] {
            let masked = masked(&text);
            assert!(!masked.contains(secret), "{text:?} → {masked:?}");
        }
    }

    #[test]
    fn settings_references_and_plain_keys_are_not_masked() {
        for text in [
            "password_min_length = 12\n",
            "token_ttl_seconds = 3600\n",
            "db_password = \"${DB_PASSWORD}\"\n",
            "auth_enabled = true\n",
            "ref = \"us.icr.io/ns/auth-token:2.0\"\n",
            "captured_at = 2026-11-25T06:00:00Z # token rotated\n",
            "url = \"https://example.com/?a=b\"\n",
            "secret_scan = { tool = \"gitleaks\", findings = 0 }\n",
        ] {
            assert_eq!(masked(text), text);
        }
    }
}
