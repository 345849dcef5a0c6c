//! Problems found in a user's file, and their rendering as miette diagnostics.
//!
//! A `Problem` is a span, a message and optional label and help; the file it belongs to is
//! attached when it is turned into a [`FileDiagnostic`], so readers need not carry file names.

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

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

/// Finds the byte ranges of a text to mask before it is shown.
pub type Redactor = fn(&str) -> Vec<Range<usize>>;

/// A file's name and text, shared by every diagnostic and finding that points into it.
#[derive(Debug, Clone)]
pub struct SourceText {
    pub name: String,
    pub text: Arc<str>,
    /// The text as shown on a terminal: control characters replaced, secrets masked, offsets
    /// unchanged. Computed on first use: only a report that shows lines needs it.
    display: Arc<OnceLock<Arc<str>>>,
    /// Finds the byte ranges to mask before lines of this file are shown (secrets).
    redactor: Option<Redactor>,
}

impl SourceText {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
            display: Arc::default(),
            redactor: None,
        }
    }

    /// Masks what `redactor` finds whenever lines of this file are shown.
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = Some(redactor);
        self
    }

    /// The text safe to print: a file could otherwise send escape sequences to the terminal
    /// through a diagnostic. Each control byte becomes `?`, so byte offsets stay valid.
    pub fn display_text(&self) -> Arc<str> {
        Arc::clone(self.display.get_or_init(|| {
            let unsafe_byte = |b: u8| (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t')) || b == 0x7f;
            let mut text = if self.text.bytes().any(unsafe_byte) {
                let cleaned: String = self
                    .text
                    .chars()
                    .map(|c| {
                        if c.is_ascii() && unsafe_byte(c as u8) {
                            '?'
                        } else {
                            c
                        }
                    })
                    .collect();
                Arc::from(cleaned)
            } else {
                Arc::clone(&self.text)
            };
            if let Some(redactor) = self.redactor {
                let ranges = redactor(&text);
                if !ranges.is_empty() {
                    text = Arc::from(crate::secrets::redact_toml::mask(&text, &ranges));
                }
            }
            text
        }))
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(&self.text, offset)
    }

    /// The source as miette reads it, with this file's name and character columns.
    pub fn named(&self) -> DisplaySource {
        let text = self.display_text();
        DisplaySource {
            named: NamedSource::new(self.name.clone(), Arc::clone(&text)).with_language("TOML"),
            text,
        }
    }
}

/// 1-based line and column (in characters) of a byte offset into `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, column_of(text, line_start, offset) + 1)
}

/// 0-based character column of `offset` in the line starting at `line_start`; a byte-order mark
/// at the start of the file is not a column (editors do not show it).
fn column_of(text: &str, line_start: usize, offset: usize) -> usize {
    let columns = text[line_start..offset].chars().count();
    if line_start == 0 && text.starts_with('\u{feff}') && offset > 0 {
        columns - 1
    } else {
        columns
    }
}

/// A file as miette reads it. miette counts columns in bytes; regcheck reports characters
/// everywhere (JSON, SARIF), so the header's `file:line:column` is recomputed here to agree.
pub struct DisplaySource {
    named: NamedSource<Arc<str>>,
    text: Arc<str>,
}

impl fmt::Debug for DisplaySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DisplaySource")
            .field("name", &self.named.name())
            .finish()
    }
}

impl SourceCode for DisplaySource {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let contents = self
            .named
            .read_span(span, context_lines_before, context_lines_after)?;
        let start = contents.span().offset().min(self.text.len());
        let start = (0..=start)
            .rev()
            .find(|&i| self.text.is_char_boundary(i))
            .unwrap_or(0);
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.named.name().to_owned(),
            contents.data(),
            *contents.span(),
            contents.line(),
            column_of(&self.text, line_start, start),
            contents.line_count(),
        )))
    }
}

/// Byte offsets of line starts, for many line/column look-ups in one file.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(
                text.bytes()
                    .enumerate()
                    .filter(|&(_, b)| b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        Self { starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset);
        let line_start = self.starts[line - 1];
        (line, column_of(text, line_start, offset) + 1)
    }
}

/// A problem in a named file, ready for miette to render with the source lines.
#[derive(Debug)]
pub struct FileDiagnostic {
    pub source: SourceText,
    pub problem: Problem,
    pub severity: miette::Severity,
    named: DisplaySource,
}

impl FileDiagnostic {
    pub fn error(source: SourceText, problem: Problem) -> Self {
        Self {
            named: source.named(),
            source,
            problem,
            severity: miette::Severity::Error,
        }
    }

    /// Whether there are lines to show (not for a file that could not be read, or is empty).
    fn has_source(&self) -> bool {
        !self.source.text.is_empty()
    }

    /// `file:line:column`, for one-line summaries.
    pub fn position(&self) -> String {
        let (line, column) = self.source.line_col(self.problem.span.start);
        format!("{}:{line}:{column}", self.source.name)
    }
}

impl fmt::Display for FileDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problem.message)
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
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.has_source().then_some(&self.named as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if !self.has_source() {
            return None;
        }
        let span = &self.problem.span;
        let label = LabeledSpan::new(self.problem.label.clone(), span.start, span.len());
        Some(Box::new(std::iter::once(label)))
    }
}
