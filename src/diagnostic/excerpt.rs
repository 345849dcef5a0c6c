//! The few lines of a file that one diagnostic shows, made safe to print.
//!
//! miette reads source text through [`SourceCode`]; given a whole file it scans from the start
//! for every diagnostic, so a report cost findings × file size. An [`Excerpt`] holds only the
//! lines around one span, found through the file's line index, so a diagnostic costs its snippet.
//! Building it is also where the lines are made safe:
//! - secrets are replaced by a fixed-width mask (its length would tell the secret's length);
//! - control characters (terminal escapes, C1 controls, bidirectional overrides) become `?`;
//! - a line longer than [`MAX_LINE_CHARS`] is clipped around the span with `…`, so that a
//!   100 000-character line prints a readable window (and never reaches miette's formatting
//!   limits, which panic on columns above 65 535).
//!
//! The label's span is mapped into the excerpt's own offsets; the header's `line:column` is the
//! true position in the file, in characters.

use std::ops::Range;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use super::LineIndex;

/// What replaces a secret wherever it is shown (one width for every secret).
pub use crate::secrets::MASK;
/// Longest line shown whole; longer ones are clipped around the span.
pub const MAX_LINE_CHARS: usize = 160;
/// Characters shown before the span on a clipped line.
const CONTEXT_BEFORE_SPAN: usize = 40;
/// Most lines an excerpt holds (a span over more lines is cut at the end).
pub const MAX_LINES: usize = 12;
const ELLIPSIS: &str = "…";

/// A few lines of a file around one span, cleaned for display; what miette reads.
#[derive(Debug, Clone)]
pub struct Excerpt {
    name: String,
    text: String,
    /// 0-based line number of the excerpt's first line in the file.
    first_line: usize,
    /// The label's span in the excerpt's offsets.
    label: Range<usize>,
    /// 0-based true line and character column of the label's start in the file.
    position: (usize, usize),
}

impl Excerpt {
    /// The excerpt of `text` around `span`: one line of context on each side.
    /// `secrets` are byte ranges of `text` to mask, sorted by start.
    pub fn new(
        name: &str,
        text: &str,
        lines: &LineIndex,
        span: Range<usize>,
        secrets: &[Range<usize>],
    ) -> Self {
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let end = floor_char_boundary(text, span.end.clamp(start, text.len()));
        let (label_line, label_column) = lines.line_col(text, start);
        let (end_line, _) = lines.line_col(text, end);
        let first = label_line.saturating_sub(2); // 0-based: the line before the label's
        let last = (end_line).min(lines.line_count() - 1).min(first + MAX_LINES - 1); // 0-based
        let window_start = lines.start_of(first);
        let window_end = lines.end_of(text, last);
        let end = end.min(window_end).max(start);

        let mut builder = Builder {
            text,
            out: String::with_capacity((window_end - window_start).min(4 * MAX_LINE_CHARS * MAX_LINES)),
            pieces: Vec::new(),
        };
        for line in first..=last {
            let line_start = lines.start_of(line);
            let line_end = lines.end_of(text, line);
            let visible = visible_part(text, line_start..line_end, start);
            builder.replace(line_start..visible.start, ELLIPSIS);
            builder.keep_masked(visible.clone(), secrets);
            builder.replace(visible.end..line_end, ELLIPSIS);
            if line < last {
                builder.keep_masked(line_end..lines.start_of(line + 1), secrets);
            }
        }
        let label_start = builder.map_start(start);
        let label = if end > start {
            label_start..builder.map_end(end).max(label_start)
        } else {
            label_start..label_start
        };
        Self {
            name: name.to_owned(),
            text: builder.out,
            first_line: first,
            label,
            position: (label_line - 1, label_column - 1),
        }
    }

    /// The label's span in this excerpt's offsets.
    pub fn label(&self) -> Range<usize> {
        self.label.clone()
    }

    /// The excerpt's text, as printed.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// The part of a line to show: all of it when short, else [`MAX_LINE_CHARS`] characters that
/// hold `anchor` (the label's start) when it is on this line, else the line's start.
fn visible_part(text: &str, line: Range<usize>, anchor: usize) -> Range<usize> {
    let content = &text[line.clone()];
    // Counting stops early: only long lines are clipped, and their length is not needed.
    if content.chars().nth(MAX_LINE_CHARS).is_none() {
        return line;
    }
    let from = if (line.start..=line.end).contains(&anchor) {
        let before: Vec<usize> = text[line.start..anchor]
            .char_indices()
            .rev()
            .take(CONTEXT_BEFORE_SPAN)
            .map(|(i, _)| line.start + i)
            .collect();
        before.last().copied().unwrap_or(anchor)
    } else {
        line.start
    };
    let to = text[from..line.end]
        .char_indices()
        .nth(MAX_LINE_CHARS)
        .map_or(line.end, |(i, _)| from + i);
    from..to
}

/// Builds the excerpt's text piece by piece, remembering where each piece of the file went, so
/// that offsets in the file map to offsets in the excerpt.
struct Builder<'a> {
    text: &'a str,
    out: String,
    pieces: Vec<Piece>,
}

/// A part of the file and what stands for it in the excerpt: the same bytes (`kept`), or a
/// replacement (a mask, an ellipsis, a `?`).
struct Piece {
    file: Range<usize>,
    excerpt: Range<usize>,
    kept: bool,
}

impl Builder<'_> {
    fn push(&mut self, file: Range<usize>, shown: &str, kept: bool) {
        let at = self.out.len();
        self.out.push_str(shown);
        self.pieces.push(Piece {
            file,
            excerpt: at..self.out.len(),
            kept,
        });
    }

    /// Shows `range` as `replacement`.
    fn replace(&mut self, range: Range<usize>, replacement: &str) {
        if !range.is_empty() {
            self.push(range, replacement, false);
        }
    }

    /// Shows `range` with the secrets in it masked.
    fn keep_masked(&mut self, range: Range<usize>, secrets: &[Range<usize>]) {
        let mut at = range.start;
        // Secrets are sorted by start: skip those that end before this range.
        let first = secrets.partition_point(|secret| secret.end <= range.start);
        for secret in &secrets[first..] {
            if secret.start >= range.end {
                break;
            }
            let hidden = secret.start.max(at)..secret.end.min(range.end);
            if hidden.is_empty() {
                continue;
            }
            self.keep(at..hidden.start);
            self.replace(hidden.clone(), MASK);
            at = hidden.end;
        }
        self.keep(at..range.end);
    }

    /// Shows `range` as it is, but for unsafe characters, which become `?`.
    fn keep(&mut self, range: Range<usize>) {
        let (start, end) = (
            floor_char_boundary(self.text, range.start),
            floor_char_boundary(self.text, range.end),
        );
        let mut run = start;
        for (i, c) in self.text[start..end].char_indices() {
            if is_unsafe(c) {
                let at = start + i;
                if at > run {
                    self.push(run..at, &self.text[run..at], true);
                }
                self.push(at..at + c.len_utf8(), "?", false);
                run = at + c.len_utf8();
            }
        }
        if end > run {
            self.push(run..end, &self.text[run..end], true);
        }
    }

    /// Where a span starting at `offset` starts in the excerpt: inside a kept piece at the same
    /// byte, else at the start of the piece that stands for it.
    fn map_start(&self, offset: usize) -> usize {
        let index = self.pieces.partition_point(|piece| piece.file.end <= offset);
        match self.pieces.get(index) {
            Some(piece) if piece.kept && offset >= piece.file.start => {
                piece.excerpt.start + (offset - piece.file.start)
            }
            Some(piece) => piece.excerpt.start,
            None => self.out.len(),
        }
    }

    /// Where a span ending at `offset` ends in the excerpt: inside a kept piece at the same
    /// byte, else at the end of the piece that stands for it.
    fn map_end(&self, offset: usize) -> usize {
        let index = self.pieces.partition_point(|piece| piece.file.start < offset);
        match index.checked_sub(1).and_then(|last| self.pieces.get(last)) {
            Some(piece) if piece.kept => {
                piece.excerpt.start + (offset.min(piece.file.end) - piece.file.start)
            }
            Some(piece) => piece.excerpt.end,
            None => 0,
        }
    }
}

/// Characters that must not reach a terminal as they are: C0 and C1 controls but tab and line
/// ends (escape sequences), and the bidirectional formatting characters (text that reads
/// differently from what it is).
fn is_unsafe(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let contents = self
            .text
            .as_str()
            .read_span(span, context_lines_before, context_lines_after)?;
        // The header shows the label's true position; other reads only need a consistent one.
        let column = if span.offset() == self.label.start {
            self.position.1
        } else {
            contents.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            *contents.span(),
            self.first_line + contents.line(),
            column,
            contents.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excerpt(text: &str, span: Range<usize>, secrets: &[Range<usize>]) -> Excerpt {
        Excerpt::new("f.toml", text, &LineIndex::new(text), span, secrets)
    }

    fn labelled(excerpt: &Excerpt) -> &str {
        &excerpt.text[excerpt.label()]
    }

    #[test]
    fn holds_the_line_before_and_after_and_maps_the_label() {
        let text = "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n";
        let at = text.find("c =").unwrap();
        let e = excerpt(text, at..at + 1, &[]);
        assert_eq!(e.text(), "b = 2\nc = 3\nd = 4");
        assert_eq!(labelled(&e), "c");
        assert_eq!(e.first_line, 1);
        assert_eq!(e.position, (2, 0));
    }

    #[test]
    fn a_secret_becomes_a_fixed_width_mask_and_the_label_follows() {
        let text = "password = \"hunter2-but-longer\"\nname = \"x\"\n";
        let secret = text.find("hunter2").unwrap()..text.find("longer").unwrap() + 6;
        let name = text.find("name").unwrap();
        let e = excerpt(text, name..name + 4, std::slice::from_ref(&secret));
        assert_eq!(e.text(), "password = \"[REDACTED]\"\nname = \"x\"\n");
        assert_eq!(labelled(&e), "name");
        // A label on the secret itself underlines the mask.
        let e = excerpt(text, secret.clone(), std::slice::from_ref(&secret));
        assert_eq!(labelled(&e), MASK);
        // Short and long secrets give the same mask.
        let short = "p = \"ab\"\n";
        let e = excerpt(short, 0..1, std::slice::from_ref(&(5..7)));
        assert_eq!(e.text(), "p = \"[REDACTED]\"\n");
    }

    #[test]
    fn a_long_line_is_clipped_around_the_label_with_its_true_column() {
        let text = format!("k = \"{}\" # x = 1\n", "y".repeat(100_000));
        let at = text.find("x = 1").unwrap();
        let e = excerpt(&text, at..at + 1, &[]);
        assert!(e.text().starts_with(ELLIPSIS), "{}", e.text());
        assert!(e.text().chars().count() < MAX_LINE_CHARS + 5);
        assert_eq!(labelled(&e), "x");
        assert_eq!(e.position, (0, text[..at].chars().count()));
    }

    #[test]
    fn control_and_bidi_characters_are_neutralised() {
        let text = "a = \"\u{1b}[31m\u{9b}2J\u{202e}evil\"\n";
        let e = excerpt(text, 0..1, &[]);
        assert_eq!(e.text(), "a = \"?[31m?2J?evil\"\n");
    }

    #[test]
    fn a_span_over_many_lines_is_cut_and_spans_past_the_end_are_clamped() {
        let text: String = (0..100).map(|i| format!("k{i} = {i}\n")).collect();
        let e = excerpt(&text, 0..text.len(), &[]);
        assert_eq!(e.text().lines().count(), MAX_LINES);
        let e = excerpt(&text, text.len() + 10..text.len() + 20, &[]);
        assert!(e.label().start <= e.text().len());
        let empty = excerpt("", 0..0, &[]);
        assert_eq!(empty.text(), "");
    }

    #[test]
    fn spans_inside_multibyte_characters_do_not_panic() {
        let text = "a = \"é€𝄞\"\n";
        for start in 0..text.len() {
            for end in start..=text.len() + 1 {
                let e = excerpt(text, start..end, std::slice::from_ref(&(5..7)));
                assert!(e.text().is_char_boundary(e.label().start));
                assert!(e.text().is_char_boundary(e.label().end));
            }
        }
    }
}
