//! Problems found in a user's file, and their rendering as miette diagnostics.
//!
//! A `Problem` is a span, a message and optional label and help; the file it belongs to is
//! attached when it is turned into a [`FileDiagnostic`], so readers need not carry file names.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use miette::{Diagnostic, LabeledSpan, SourceCode};

mod excerpt;

pub use excerpt::{Excerpt, MASK};

/// One thing wrong with a file, located by byte span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub span: Range<usize>,
    pub message: String,
    pub label: Option<String>,
    pub help: Option<String>,
}

impl Problem {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        Self {
            span,
            message: message.into(),
            label: None,
            help: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Finds what to mask in a file's text before any of it is shown (secrets): byte ranges of the
/// text, and the secret values.
pub type Redactor = fn(&str) -> FileSecrets;

pub use crate::secrets::redact_toml::FileSecrets;

/// A file's text, shared by every clone and never copied: the `String` a file was read into
/// (an `Arc<str>` would copy it once more, a whole account file), or text built into the binary
/// (the built-in policies, used in place).
#[derive(Clone)]
pub enum Text {
    Read(Arc<String>),
    Builtin(&'static str),
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Read(text) => text,
            Text::Builtin(text) => text,
        }
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Text {}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Text::Read(Arc::new(text))
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Text::from(text.to_owned())
    }
}

/// A file's name and text, shared by every diagnostic and finding that points into it.
#[derive(Debug, Clone)]
pub struct SourceText {
    pub name: String,
    pub text: Text,
    /// Computed on first use and shared by every clone: only a report that shows positions or
    /// lines needs them.
    derived: Arc<Derived>,
    /// Finds what to mask before lines of this file, or texts quoting them, are shown.
    redactor: Redactor,
}

#[derive(Debug, Default)]
struct Derived {
    lines: OnceLock<LineIndex>,
    secrets: OnceLock<Secrets>,
}

/// The secrets of one file: where they are, their values, and a matcher for the values in
/// other text (an error message that quotes a value, a subject built from one).
#[derive(Debug)]
struct Secrets {
    ranges: Vec<Range<usize>>,
    values: Vec<String>,
    matcher: Option<crate::secrets::registry::Masker>,
}

/// Files at least this large have their lines and secrets found on a thread of their own
/// ([`SourceText::derive_during`]): below it, starting the thread costs about what it saves.
const DERIVE_BESIDE_FROM: usize = 64 << 10;

/// Secret values shorter than this are masked in the file's lines but not searched for in other
/// text: a two-letter password would otherwise mask every matching word of a report.
const MIN_SEARCHED_SECRET: usize = 4;

impl SourceText {
    /// A file whose secrets (as [`crate::secrets::redact_toml::scan_file`] finds them in the raw
    /// text) are masked whenever its lines, or texts quoting them, are shown.
    pub fn new(name: impl Into<String>, text: impl Into<Text>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
            derived: Arc::default(),
            redactor: crate::secrets::redact_toml::scan_file,
        }
    }

    /// Masks what `redactor` finds instead of the default scan.
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    /// Runs `work` (the parse of this file) while another thread indexes its lines and finds
    /// its secrets, when the file is large enough for a thread to pay. Both read only the raw
    /// text, so they need not wait for the parse, and a run that prints anything needs them
    /// (findings point at lines; every printed text is masked). A large file's parse keeps one
    /// core busy; this puts the others to use.
    pub fn derive_during<T>(&self, work: impl FnOnce() -> T) -> T {
        if self.text.len() < DERIVE_BESIDE_FROM {
            return work();
        }
        // A clone shares the text and what is derived from it, and lets the thread outlive
        // this call's borrow, as `spawn_beside` needs.
        let source = self.clone();
        let builder = std::thread::Builder::new().name("regcheck-derive".to_owned());
        let derive = crate::threads::spawn_beside(builder, move || {
            source.lines();
            source.secrets();
        });
        let result = work();
        // Without the thread (a limit reached) or should it fail, whatever it did not finish is
        // computed on first use, as for a small file.
        if let Ok(derive) = derive {
            let _ = derive.join();
        }
        result
    }

    fn lines(&self) -> &LineIndex {
        self.derived.lines.get_or_init(|| LineIndex::new(&self.text))
    }

    fn secrets(&self) -> &Secrets {
        self.derived.secrets.get_or_init(|| {
            let FileSecrets { mut ranges, values } = (self.redactor)(&self.text);
            ranges.retain(|range| range.start < range.end && range.end <= self.text.len());
            ranges.sort_by_key(|range| (range.start, range.end));
            let matcher = crate::secrets::registry::Masker::new(
                values.iter().filter(|value| value.len() >= MIN_SEARCHED_SECRET),
            );
            Secrets {
                ranges,
                values,
                matcher,
            }
        })
    }

    /// The secret values of this file (computed once), for the process-wide
    /// [`crate::secrets::registry`].
    pub fn secret_values(&self) -> &[String] {
        &self.secrets().values
    }

    /// `text` with every secret value of this file, and every secret the process has learned
    /// ([`crate::secrets::registry`]), replaced by the mask: for messages, labels and subjects
    /// that quote a value. Masking before rendering matters: wrapping can split a secret over
    /// two lines, and the output layer would then not recognise it.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let local = match &self.secrets().matcher {
            Some(matcher) => matcher.mask(text),
            None => Cow::Borrowed(text),
        };
        match local {
            Cow::Borrowed(text) => crate::secrets::registry::mask(text),
            Cow::Owned(text) => Cow::Owned(crate::secrets::registry::mask(&text).into_owned()),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.lines().line_col(&self.text, offset)
    }

    /// The lines around `span` as they may be shown: cleaned, clipped and with secrets masked.
    pub fn excerpt(&self, span: Range<usize>) -> Excerpt {
        Excerpt::new(&self.name, &self.text, self.lines(), span, &self.secrets().ranges)
    }
}

/// 1-based line and column (in characters) of a byte offset into `text`. Scans the text: for one
/// look-up; [`SourceText::line_col`] keeps an index for many.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(text).line_col(text, offset)
}

/// Byte offsets of line starts, and character counts at fixed steps, for many line/column
/// look-ups in one file. A look-up costs a binary search and at most [`CHAR_STEP`] bytes of
/// counting, however long the line: 100,000 findings on one 2 MB line would otherwise count
/// the line 100,000 times.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    /// `chars[k]`: how many characters start before byte `k * CHAR_STEP`.
    chars: Vec<usize>,
}

/// Bytes between two character-count checkpoints of a [`LineIndex`].
const CHAR_STEP: usize = 256;

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        // Sized at once (counting line ends is cheap next to growing a large file's list by
        // copies, each touching fresh memory).
        let mut starts = Vec::with_capacity(memchr::memchr_iter(b'\n', bytes).count() + 1);
        starts.push(0);
        let mut chars = Vec::with_capacity(bytes.len() / CHAR_STEP + 1);
        let mut count = 0;
        for (step, block) in bytes.chunks(CHAR_STEP).enumerate() {
            chars.push(count);
            starts.extend(memchr::memchr_iter(b'\n', block).map(|i| step * CHAR_STEP + i + 1));
            count += if block.is_ascii() {
                block.len()
            } else {
                block.iter().filter(|&&b| !is_continuation(b)).count()
            };
        }
        chars.push(count);
        Self { starts, chars }
    }

    /// How many characters start before byte `offset` (a character boundary).
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        let step = offset / CHAR_STEP;
        let from = step * CHAR_STEP;
        self.chars[step.min(self.chars.len() - 1)]
            + text.as_bytes()[from..offset]
                .iter()
                .filter(|&&b| !is_continuation(b))
                .count()
    }

    /// 1-based line and column (in characters) of a byte offset. A byte-order mark at the start
    /// of the file is not a column (editors do not show it).
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset);
        let line_start = self.starts[line - 1];
        let mut column = self.chars_before(text, offset) - self.chars_before(text, line_start);
        if line_start == 0 && text.starts_with('\u{feff}') && offset > 0 {
            column -= 1;
        }
        (line, column + 1)
    }

    /// How many lines the text has (an empty text has one, empty).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte offset where 0-based `line` starts.
    pub fn start_of(&self, line: usize) -> usize {
        self.starts[line.min(self.starts.len() - 1)]
    }

    /// Byte offset where 0-based `line` ends, before its line feed.
    pub fn end_of(&self, text: &str, line: usize) -> usize {
        self.starts.get(line + 1).map_or(text.len(), |next| next - 1)
    }
}

/// A UTF-8 continuation byte: not the start of a character.
fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

/// A problem in a named file, ready for miette to render with the source lines.
#[derive(Debug)]
pub struct FileDiagnostic {
    pub source: SourceText,
    pub problem: Problem,
    pub severity: miette::Severity,
    /// Built when the diagnostic is first rendered: most load errors of a large file are
    /// counted, not shown.
    excerpt: OnceLock<Excerpt>,
}

impl FileDiagnostic {
    pub fn error(source: SourceText, problem: Problem) -> Self {
        Self {
            source,
            problem,
            severity: miette::Severity::Error,
            excerpt: OnceLock::new(),
        }
    }

    /// Whether there are lines to show (not for a file that could not be read, or is empty).
    fn has_source(&self) -> bool {
        !self.source.text.is_empty()
    }

    fn excerpt(&self) -> &Excerpt {
        self.excerpt
            .get_or_init(|| self.source.excerpt(self.problem.span.clone()))
    }

    /// `file:line:column`, for one-line summaries.
    pub fn position(&self) -> String {
        let (line, column) = self.source.line_col(self.problem.span.start);
        format!("{}:{line}:{column}", self.source.name)
    }
}

impl fmt::Display for FileDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source.redact(&self.problem.message))
    }
}

impl std::error::Error for FileDiagnostic {}

impl Diagnostic for FileDiagnostic {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.problem
            .help
            .as_ref()
            .map(|help| Box::new(self.source.redact(help)) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.has_source().then(|| self.excerpt() as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if !self.has_source() {
            return None;
        }
        let span = self.excerpt().label();
        let text = self
            .problem
            .label
            .as_ref()
            .map(|label| self.source.redact(label).into_owned());
        let label = LabeledSpan::new(text, span.start, span.len());
        Some(Box::new(std::iter::once(label)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Line and column the slow, obvious way.
    fn naive(text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let mut column = text[line_start..offset].chars().count();
        if line_start == 0 && text.starts_with('\u{feff}') && offset > 0 {
            column -= 1;
        }
        (text[..offset].matches('\n').count() + 1, column + 1)
    }

    #[test]
    fn line_and_column_match_counting_from_the_line_start() {
        let long: String = "aé€𝄞\n".repeat(40) + &"x€".repeat(700) + "\n\n" + &"y".repeat(600);
        for text in ["", "\n", "\u{feff}a = 1\nb", "é", long.as_str()] {
            let index = LineIndex::new(text);
            for offset in 0..=text.len() + 2 {
                assert_eq!(
                    index.line_col(text, offset),
                    naive(text, offset),
                    "{offset} in {text:?}"
                );
            }
        }
    }

    /// A file above the threshold, with one secret-named value near its end (synthetic).
    fn large_file_with_a_secret() -> (String, &'static str) {
        let value = "Zq7vK2mW9xRt4LpN8bYc3HdF";
        let mut text = String::from("schema_version = 1\n");
        while text.len() < DERIVE_BESIDE_FROM {
            text.push_str("[[images]]\nref = \"us.icr.io/shop/api:1.0\"\n");
        }
        text.push_str(&format!("env = [\"DB_PASSWORD={value}\"]\n"));
        (text, value)
    }

    #[test]
    fn a_large_file_has_its_lines_and_secrets_found_beside_the_work() {
        let (text, value) = large_file_with_a_secret();
        let source = SourceText::new("large.toml", text);
        let seen_during = source.derive_during(|| 42);
        assert_eq!(seen_during, 42, "the work's result comes back");
        assert!(source.derived.lines.get().is_some(), "lines indexed");
        let secrets = source
            .derived
            .secrets
            .get()
            .expect("secrets found before the work returned");
        assert_eq!(secrets.values, [value.to_owned()]);
        assert_eq!(
            source.redact(&format!("quoted: {value}")),
            format!("quoted: {MASK}")
        );
    }

    #[test]
    fn a_small_file_is_derived_on_first_use_only() {
        let source = SourceText::new("small.toml", "env = [\"DB_PASSWORD=Zq7vK2mW9xRt4LpN\"]\n");
        source.derive_during(|| ());
        assert!(
            source.derived.secrets.get().is_none(),
            "no thread, no scan for a small file"
        );
        assert_eq!(source.secret_values(), ["Zq7vK2mW9xRt4LpN".to_owned()]);
    }
}
