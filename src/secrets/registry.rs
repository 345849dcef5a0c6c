//! The process-wide set of secret values, and the one function that masks them in any text.
//!
//! Every file a run reads (account files, the config file, baselines, custom policies) teaches
//! the registry its secrets ([`learn`]); everything the run prints or writes passes through
//! [`mask`] first (the CLI's output layer, `src/cli/output.rs`, is the only caller that prints).
//! A value is masked as it is, and in each escaped form a report format gives it: a JSON or TOML
//! string escape, XML entities, GitHub workflow-command escapes, a Markdown table cell and URI
//! percent-encoding. A multi-line secret (a key block) is also masked line by line, in case a
//! report shows one line of it.
//!
//! The mask is [`super::MASK`] whatever the secret's length. Values shorter than
//! [`MIN_MASKED`] are not searched for: `abc` would mask every word holding it. They are
//! still masked in the lines of their own file (`diagnostic::Excerpt`), where their position is
//! known.
//!
//! A value that is part of a word the report formats print as structure ([`RESERVED`]: JSON
//! keys, XML names, statuses) is not searched for either: masking `message` everywhere would
//! break every SARIF file (a secret-named value may be any word, rules.md). Such a value is
//! still masked in its own file's lines and in the messages that quote it
//! (`diagnostic::SourceText::redact`).
//!
//! Learning only adds to the set. What was learned since text was last masked becomes a new
//! matcher when text is next masked, and matchers are merged as in a binary counter (a new one
//! absorbs each older one that is no larger), so a streamed audit of a thousand files, which
//! learns one file and prints its report in turn, builds matchers over O(n log n) forms in all,
//! not O(n²), and masks with at most log₂ n of them (their matches joined).
//!
//! Cost: the matcher is an Aho-Corasick NFA (building a DFA takes time quadratic in a long,
//! repetitive value, such as a 100 KB history line of `PASSWORD=`), and a value longer than
//! [`MAX_PIECE`] is searched for as pieces of about that length, so building stays linear in
//! what was learned; wherever the whole value is printed, its pieces are masked one after the
//! other, and consecutive masks are printed as one.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::MASK;

/// The shortest value searched for in printed text.
pub const MIN_MASKED: usize = 6;
/// Longest piece searched for: longer values are cut into pieces of 128 to 256 bytes.
pub const MAX_PIECE: usize = 256;

/// Words the report formats print as structure (keys, element and attribute names, statuses,
/// severities, workflow commands), at least [`MIN_MASKED`] long. `tests/leak_matrix.rs` checks
/// that every such word of every format's output is here.
pub const RESERVED: &[&str] = &[
    "CLOUD_LOGS_CRN",
    "ISSUE_ID",
    "ISSUE_TYPE",
    "RESOURCE_GROUP",
    "RULES_JSON",
    "TARGET_ID",
    "account_id",
    "account_name",
    "accounts",
    "activity_tracker",
    "artifactLocation",
    "artifacts",
    "associatedRule",
    "automationDetails",
    "baseline",
    "baselined",
    "button",
    "charset",
    "classname",
    "colspan",
    "column",
    "columnKind",
    "command",
    "content",
    "critical",
    "defaultConfiguration",
    "description",
    "descriptor",
    "destructive",
    "details",
    "driver",
    "encoding",
    "endColumn",
    "endLine",
    "end_column",
    "end_line",
    "errors",
    "executionSuccessful",
    "exitCode",
    "exit_code",
    "expired_waiver",
    "external",
    "failOn",
    "fail_on",
    "failed",
    "failing",
    "failing_by_severity",
    "failure",
    "failures",
    "findings",
    "fingerprint",
    "fingerprints",
    "footer",
    "fullDescription",
    "header",
    "helpUri",
    "inSource",
    "informationUri",
    "invalid",
    "invocations",
    "issue_id",
    "justification",
    "loaded",
    "locations",
    "markdown",
    "medium",
    "message",
    "not_applicable",
    "notice",
    "notifications",
    "option",
    "option_like_value",
    "originalUriBaseIds",
    "partialFingerprints",
    "passed",
    "passes",
    "physicalLocation",
    "precision",
    "primaryLocationLineHash",
    "problem",
    "properties",
    "property",
    "reason",
    "regcheck",
    "region",
    "relatedLocations",
    "responsibility",
    "results",
    "ruleId",
    "ruleIndex",
    "rule_id",
    "script",
    "section",
    "security",
    "select",
    "semanticVersion",
    "severity",
    "shortDescription",
    "skipped",
    "startColumn",
    "startLine",
    "status",
    "subject",
    "summary",
    "suppressions",
    "target_ids",
    "testcase",
    "testsuite",
    "testsuites",
    "timestamp",
    "toolExecutionNotifications",
    "totals",
    "unicodeCodePoints",
    "unused_waivers",
    "uriBaseId",
    "utf16CodeUnits",
    "version",
    "waived",
    "waiver",
    "warning",
];

/// Whether `form` occurs inside a [`RESERVED`] word (only a form of letters and `_` can).
fn is_reserved(form: &str) -> bool {
    form.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')
        && RESERVED
            .iter()
            .any(|word| word.to_ascii_lowercase().contains(&form.to_ascii_lowercase()))
}

#[derive(Default)]
struct Registry {
    /// Every form of every value learned, each at least [`MIN_MASKED`] bytes.
    forms: BTreeSet<String>,
    /// Forms learned since the matchers were last built.
    pending: Vec<String>,
    /// The forms of each matcher and the matcher, oldest (largest) first.
    levels: Vec<Level>,
    /// `None` until something is learned.
    matchers: Option<Matchers>,
}

/// The matchers for everything learned, one per level; shared with the threads that mask.
type Matchers = Arc<Vec<Arc<Masker>>>;

/// Forms and the matcher built over them (`None`: nothing to search for).
struct Level {
    forms: Vec<String>,
    masker: Option<Arc<Masker>>,
}

/// Replaces every occurrence of a set of texts by [`MASK`] (consecutive ones by one mask).
#[derive(Debug)]
pub struct Masker {
    matcher: AhoCorasick,
}

impl Masker {
    /// A masker for `patterns`, each cut into pieces of at most [`MAX_PIECE`] bytes; `None`
    /// when there is nothing to search for.
    pub fn new<I, S>(patterns: I) -> Option<Masker>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut pieces: Vec<&str> = Vec::new();
        let owned: Vec<S> = patterns.into_iter().collect();
        for pattern in &owned {
            pieces.extend(split_long(pattern.as_ref()));
        }
        pieces.retain(|piece| !piece.is_empty());
        if pieces.is_empty() {
            return None;
        }
        pieces.sort_unstable();
        pieces.dedup();
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&pieces)
            .ok()
            .map(|matcher| Masker { matcher })
    }

    /// Every match's byte range in `haystack`, in order.
    fn spans(&self, haystack: &[u8]) -> Vec<std::ops::Range<usize>> {
        self.matcher
            .find_iter(haystack)
            .map(|found| found.range())
            .collect()
    }

    /// `text` with every occurrence masked.
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.matcher.is_match(text) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut last_end = None;
        self.matcher.replace_all_with(text, &mut out, |found, _, out| {
            if last_end != Some(found.start()) {
                out.push_str(MASK);
            }
            last_end = Some(found.end());
            true
        });
        Cow::Owned(out)
    }

    /// [`Masker::mask`] for bytes.
    pub fn mask_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        if !self.matcher.is_match(bytes) {
            return Cow::Borrowed(bytes);
        }
        let mut out = Vec::with_capacity(bytes.len());
        let mut last_end = None;
        self.matcher
            .replace_all_with_bytes(bytes, &mut out, |found, _, out| {
                if last_end != Some(found.start()) {
                    out.extend_from_slice(MASK.as_bytes());
                }
                last_end = Some(found.end());
                true
            });
        Cow::Owned(out)
    }
}

/// `text` cut into pieces of at most [`MAX_PIECE`] bytes, all about the same length (so the
/// last is not a short tail that would be too short to search for), on character boundaries.
pub fn split_long(text: &str) -> Vec<&str> {
    if text.len() <= MAX_PIECE {
        return vec![text];
    }
    let count = text.len().div_ceil(MAX_PIECE);
    let target = text.len().div_ceil(count);
    let mut pieces = Vec::with_capacity(count + 1);
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + target).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        pieces.push(&text[start..end]);
        start = end;
    }
    pieces
}

static REGISTRY: RwLock<Registry> = RwLock::new(Registry {
    forms: BTreeSet::new(),
    pending: Vec::new(),
    levels: Vec::new(),
    matchers: None,
});

/// `bytes` with the matches of every matcher masked: each matcher's matches as
/// [`Masker::mask_bytes`] finds them, joined where they overlap or touch, one mask each.
fn mask_with<'a>(matchers: &[Arc<Masker>], bytes: &'a [u8]) -> Cow<'a, [u8]> {
    match matchers {
        [] => Cow::Borrowed(bytes),
        [only] => only.mask_bytes(bytes),
        several => {
            let mut spans: Vec<std::ops::Range<usize>> =
                several.iter().flat_map(|matcher| matcher.spans(bytes)).collect();
            if spans.is_empty() {
                return Cow::Borrowed(bytes);
            }
            spans.sort_unstable_by_key(|span| span.start);
            let mut out = Vec::with_capacity(bytes.len());
            let mut done = 0;
            let mut open: Option<std::ops::Range<usize>> = None;
            for span in spans {
                match &mut open {
                    Some(current) if span.start <= current.end => current.end = current.end.max(span.end),
                    _ => {
                        if let Some(current) = open.take() {
                            out.extend_from_slice(&bytes[done..current.start]);
                            out.extend_from_slice(MASK.as_bytes());
                            done = current.end;
                        }
                        open = Some(span);
                    }
                }
            }
            if let Some(current) = open {
                out.extend_from_slice(&bytes[done..current.start]);
                out.extend_from_slice(MASK.as_bytes());
                done = current.end;
            }
            out.extend_from_slice(&bytes[done..]);
            Cow::Owned(out)
        }
    }
}

/// [`mask_with`] for text. Masks replace whole matches of UTF-8 patterns, so the result is
/// UTF-8 too.
fn mask_text_with<'a>(matchers: &[Arc<Masker>], text: &'a str) -> Cow<'a, str> {
    match matchers {
        [] => Cow::Borrowed(text),
        [only] => only.mask(text),
        several => match mask_with(several, text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            Cow::Owned(bytes) => Cow::Owned(
                String::from_utf8(bytes)
                    .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned()),
            ),
        },
    }
}

/// Adds secret values; from now on [`mask`] hides them in every form a report may print.
pub fn learn<I, S>(values: I)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut new = Vec::new();
    for value in values {
        for form in forms(value.as_ref()) {
            new.push(form);
        }
    }
    if new.is_empty() {
        return;
    }
    let mut registry = match REGISTRY.write() {
        Ok(registry) => registry,
        // A panic elsewhere while the lock was held leaves the set as it was: still usable.
        Err(poisoned) => poisoned.into_inner(),
    };
    for form in new {
        if registry.forms.insert(form.clone()) {
            registry.pending.push(form);
        }
    }
}

/// Learns the secrets that [`super::redact_toml::scan_file`] finds in a file's text.
pub fn learn_text(text: &str) {
    learn(super::redact_toml::scan_file(text).values);
}

/// [`learn_text`] for a file that is about to be loaded: its scan is kept for the load
/// ([`super::redact_toml::scan_ahead`]), which then need not scan it again.
pub fn learn_file_ahead(text: &str) {
    learn(super::redact_toml::scan_ahead(text));
}

/// The matchers for everything learned so far (the pending forms made into a level now).
fn matchers() -> Option<Matchers> {
    {
        let registry = match REGISTRY.read() {
            Ok(registry) => registry,
            Err(poisoned) => poisoned.into_inner(),
        };
        if registry.pending.is_empty() {
            return registry.matchers.clone();
        }
    }
    let mut registry = match REGISTRY.write() {
        Ok(registry) => registry,
        Err(poisoned) => poisoned.into_inner(),
    };
    if !registry.pending.is_empty() {
        let forms = std::mem::take(&mut registry.pending);
        push_level(&mut registry.levels, forms);
        // Only the newest level is new (or merged); the others keep their matchers.
        let built: Vec<Arc<Masker>> = registry
            .levels
            .iter()
            .filter_map(|level| level.masker.clone())
            .collect();
        registry.matchers = Some(Arc::new(built));
    }
    registry.matchers.clone()
}

/// Adds a level of forms as in a binary counter: the new level absorbs every older one that is
/// no larger, so levels at least double in size from newest to oldest (at most log₂ n + 1 of
/// them) and each form is built into a matcher O(log n) times in all.
fn push_level(levels: &mut Vec<Level>, mut forms: Vec<String>) {
    while levels.last().is_some_and(|last| last.forms.len() <= forms.len()) {
        if let Some(last) = levels.pop() {
            forms.extend(last.forms);
        }
    }
    let masker = Masker::new(&forms).map(Arc::new);
    levels.push(Level { forms, masker });
}

/// `text` with every learned secret, in any of its forms, replaced by [`super::MASK`].
pub fn mask(text: &str) -> Cow<'_, str> {
    match matchers() {
        Some(matchers) => match mask_text_with(&matchers, text) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            Cow::Owned(masked) => Cow::Owned(masked),
        },
        None => Cow::Borrowed(text),
    }
}

/// [`mask`] without waiting: `None` when the registry is locked or out of date (a panic hook
/// must not wait for a lock its own thread may hold).
pub fn try_mask(text: &str) -> Option<Cow<'_, str>> {
    let registry = REGISTRY.try_read().ok()?;
    if !registry.pending.is_empty() {
        return None;
    }
    Some(match &registry.matchers {
        Some(matchers) => Cow::Owned(mask_text_with(matchers, text).into_owned()),
        None => Cow::Borrowed(text),
    })
}

/// [`mask`] for bytes (standard output, files), which need not be UTF-8.
pub fn mask_bytes(bytes: &[u8]) -> Cow<'_, [u8]> {
    match matchers() {
        Some(matchers) => match mask_with(&matchers, bytes) {
            Cow::Borrowed(_) => Cow::Borrowed(bytes),
            Cow::Owned(masked) => Cow::Owned(masked),
        },
        None => Cow::Borrowed(bytes),
    }
}

/// A value's pieces (see [`split_long`]) and their escaped forms, each long enough to search
/// for. Escaping works character by character, so the escaped pieces of a value, one after the
/// other, are its escaped form.
fn forms(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |form: String| {
        if form.len() >= MIN_MASKED && !is_reserved(&form) && !out.contains(&form) {
            out.push(form);
        }
    };
    let mut pieces: Vec<String> = split_long(value).into_iter().map(str::to_owned).collect();
    // A key block: each line (real or `\n`-escaped) on its own too.
    if value.contains('\n') || value.contains("\\n") {
        for line in value.split('\n').flat_map(|line| line.split("\\n")) {
            let line = line.trim();
            if line.len() >= MIN_MASKED {
                pieces.extend(split_long(line).into_iter().map(str::to_owned));
            }
        }
    }
    for piece in pieces {
        // ASCII letters and digits read the same in every escaping (a test checks each one), and
        // a generated key is often nothing else: its one form, not eleven copies of it.
        if !piece.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
            for escape in ESCAPINGS {
                add(escape(&piece));
            }
        }
        add(piece);
    }
    out
}

/// Every way a report may write a value: the escaping of each place reports put text in.
const ESCAPINGS: [fn(&str) -> String; 10] = [
    json_escaped,
    toml_escaped,
    xml_escaped,
    html_escaped,
    github_data_escaped,
    github_property_escaped,
    markdown_cell_escaped,
    crate::report::markdown::text,
    crate::diff::render::md,
    percent_encoded,
];

/// As `serde_json` writes it inside a string.
fn json_escaped(value: &str) -> String {
    let quoted = serde_json::to_string(value).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or_default()
        .to_owned()
}

/// As a TOML basic string holds it.
fn toml_escaped(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// As the JUnit report escapes text (`report/junit.rs`).
fn xml_escaped(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// As the HTML report writes text (`report::html::Text`): entities with `&#39;` for `'`, and
/// control and bidirectional formatting characters as U+FFFD.
fn html_escaped(value: &str) -> String {
    crate::report::html::Text(value).to_string()
}

/// As a GitHub workflow command's message (`report/github.rs`).
fn github_data_escaped(value: &str) -> String {
    value
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// As a GitHub workflow command's property.
fn github_property_escaped(value: &str) -> String {
    github_data_escaped(value).replace(':', "%3A").replace(',', "%2C")
}

/// As a Markdown table cell (`report/markdown.rs`).
fn markdown_cell_escaped(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// As a URI path segment (SARIF artifact locations).
fn percent_encoded(value: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            // Writing to a `String` cannot fail.
            other => {
                let _ = write!(out, "%{other:02X}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // The registry is process-wide: each test learns values no other test uses.

    #[test]
    fn levels_stay_logarithmic_and_keep_every_form() {
        let mut levels = Vec::new();
        let mut built = 0;
        for batch in 0..1000 {
            push_level(&mut levels, (0..3).map(|i| format!("form-{batch}-{i}")).collect());
            built += levels.last().map_or(0, |level| level.forms.len());
            let sizes: Vec<usize> = levels.iter().map(|level| level.forms.len()).collect();
            assert!(sizes.windows(2).all(|pair| pair[0] > pair[1]), "{sizes:?}");
        }
        assert!(levels.len() <= 11, "{} levels", levels.len());
        assert_eq!(levels.iter().map(|level| level.forms.len()).sum::<usize>(), 3000);
        // Quadratic rebuilding would build 1000 × 1500 forms; a binary counter about n log n.
        assert!(built < 3000 * 12, "{built} forms built");
    }

    #[test]
    fn matches_of_several_matchers_are_joined_into_one_mask() {
        let older = Arc::new(Masker::new(["Kq7vR2xW9p"]).unwrap());
        let newer = Arc::new(Masker::new(["W9pZt4Lm8s", "Hn3Jd6Yc1b"]).unwrap());
        let matchers = [older, newer];
        // Overlapping (one secret's end is the other's start), touching, and apart.
        let text = "a Kq7vR2xW9pZt4Lm8s b Kq7vR2xW9pHn3Jd6Yc1b c Hn3Jd6Yc1b d";
        assert_eq!(
            mask_text_with(&matchers, text),
            format!("a {MASK} b {MASK} c {MASK} d")
        );
        assert!(matches!(
            mask_text_with(&matchers, "nothing here"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn values_learned_between_masks_are_all_masked() {
        let values: Vec<String> = (0..40).map(|i| format!("Lv{i:02}x8Qm3Tz")).collect();
        for (i, value) in values.iter().enumerate() {
            learn([value.as_str()]);
            let text = values[..=i].join(" ");
            let masked = mask(&text);
            assert!(
                values[..=i].iter().all(|v| !masked.contains(v.as_str())),
                "{masked}"
            );
        }
    }

    #[test]
    fn percent_encoding_keeps_unreserved_bytes_and_escapes_the_rest_in_upper_case_hex() {
        assert_eq!(percent_encoded("Az09-_.~/ é%:"), "Az09-_.~/%20%C3%A9%25%3A");
        assert_eq!(percent_encoded(""), "");
    }

    /// What lets [`forms`] skip the escapings of a piece made of ASCII letters and digits.
    #[test]
    fn every_escaping_leaves_ascii_letters_and_digits_alone() {
        let alphanumeric: String = ('0'..='9').chain('A'..='Z').chain('a'..='z').collect();
        let samples = [
            alphanumeric.clone(),
            alphanumeric.chars().rev().collect(),
            "AKIA4EXAMPLE7KEY2ID9".to_owned(),
            "0".repeat(200),
        ];
        for (at, escape) in ESCAPINGS.iter().enumerate() {
            for sample in &samples {
                assert_eq!(&escape(sample), sample, "escaping {at} changed {sample}");
            }
            for c in alphanumeric.chars() {
                assert_eq!(escape(&c.to_string()), c.to_string(), "escaping {at} changed {c}");
            }
        }
        // And a piece that is not only that still gets its escaped forms.
        assert!(forms("AKIA4EXAMPLE_7KEY2").contains(&"AKIA4EXAMPLE\\_7KEY2".to_owned()));
    }

    #[test]
    fn masks_a_learned_value_and_its_escaped_forms() {
        let secret = "Zr8&q<\"x|y%z:1,w\\v'";
        learn([secret]);
        for form in [
            secret.to_owned(),
            json_escaped(secret),
            xml_escaped(secret),
            github_data_escaped(secret),
            github_property_escaped(secret),
            markdown_cell_escaped(secret),
            percent_encoded(secret),
            toml_escaped(secret),
        ] {
            let text = format!("before {form} after");
            assert_eq!(mask(&text), format!("before {MASK} after"), "{form}");
            assert_eq!(
                mask_bytes(text.as_bytes()).as_ref(),
                format!("before {MASK} after").as_bytes()
            );
        }
    }

    #[test]
    fn short_values_are_not_searched_and_text_without_secrets_is_borrowed() {
        learn(["ab1"]);
        assert!(matches!(mask("ab1 ab1"), Cow::Borrowed(_)));
        assert!(matches!(mask("nothing to hide here"), Cow::Borrowed(_)));
    }

    #[test]
    fn each_line_of_a_key_block_is_masked() {
        let block =
            "-----BEGIN KEY-----\nQk9HVVMtS0VZLUxJTkUtT05F\nQk9HVVMtS0VZLUxJTkUtVFdP\n-----END KEY-----";
        learn([block]);
        assert_eq!(mask("line: Qk9HVVMtS0VZLUxJTkUtVFdP"), format!("line: {MASK}"));
    }

    #[test]
    fn a_long_value_is_masked_by_pieces_as_one_mask() {
        let long: String = (0..2000).map(|i| char::from(b'a' + (i * 7 % 26) as u8)).collect();
        let long = format!("Zz9{long}");
        learn([long.as_str()]);
        assert_eq!(mask(&format!("<{long}>")), format!("<{MASK}>"));
        assert!(
            split_long(&long)
                .iter()
                .all(|piece| piece.len() <= MAX_PIECE && piece.len() >= 128)
        );
        assert_eq!(split_long(&long).concat(), long);
    }

    #[test]
    fn a_value_inside_a_structural_word_is_not_searched_for() {
        learn(["message", "Severity", "testcase"]);
        assert_eq!(
            mask(r#"{"message": "x", "severity": "high"}<testcase>"#),
            r#"{"message": "x", "severity": "high"}<testcase>"#
        );
    }

    #[test]
    fn the_mask_has_one_width() {
        learn(["Qm9ndXNTaG9ydDE", "Qm9ndXNMb25nZXJTZWNyZXRWYWx1ZVRoYXRJc0xvbmc"]);
        assert_eq!(
            mask("Qm9ndXNTaG9ydDE"),
            mask("Qm9ndXNMb25nZXJTZWNyZXRWYWx1ZVRoYXRJc0xvbmc")
        );
    }
}
