//! Loading `account.toml`: parse once with spans, read every section into the typed model,
//! check references, and report every problem of the file together.

pub mod imageref;
pub mod model;
mod sections;
pub mod shape;
mod validate;

use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{FileDiagnostic, Problem, SourceText, Text};
use crate::findings::Location;
use crate::path::{DocPath, Segment};
use crate::toml_reader::{Collector, header_span, top_of_file};
pub use model::Account;

self_cell::self_cell!(
    /// The file's text together with its parsed, spanned TOML tree (which borrows the text).
    struct ParsedToml {
        owner: Text,
        #[covariant]
        dependent: SpannedTable,
    }
);

type SpannedTable<'a> = Spanned<DeTable<'a>>;

impl std::fmt::Debug for ParsedToml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ParsedToml")
    }
}

/// A loaded account: the typed model and the file it came from, for locating findings.
#[derive(Debug)]
pub struct LoadedAccount {
    pub model: Account,
    pub file: AccountFile,
}

/// The account file's text and spanned tree; maps key paths to spans.
#[derive(Debug)]
pub struct AccountFile {
    pub source: SourceText,
    parsed: ParsedToml,
}

/// Where a path points in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The key (or array element) itself: what findings point at.
    pub span: Range<usize>,
    /// The key's value: what load errors about the value underline.
    pub value_span: Range<usize>,
    /// False when the path was not in the file and `span` is its nearest parent's.
    pub exact: bool,
}

impl AccountFile {
    /// The span of the key (or array element) that `path` names, or of its nearest parent
    /// present in the file; the top of the file when nothing matches.
    pub fn locate(&self, path: &DocPath) -> Located {
        let text = &self.source.text;
        let root = self.parsed.borrow_dependent();
        let top = top_of_file(text);
        let mut current: Option<&DeValue<'_>> = None;
        let mut table: &DeTable<'_> = root.get_ref();
        // The best match so far: the key's span and its value. The value's span is worked out
        // once, for the match returned: a header span costs the value's length when it spans
        // one long line, and a path may pass through such a value (`layer_paths` on one line).
        let mut best: Option<(Range<usize>, &Spanned<DeValue<'_>>)> = None;
        let mut exact = path.segments().is_empty();
        for (position, segment) in path.segments().iter().enumerate() {
            let last = position + 1 == path.segments().len();
            let next = match (segment, current) {
                (Segment::Key(key), None) | (Segment::Key(key), Some(DeValue::Table(_))) => {
                    let entry = table.get_key_value(key.as_str());
                    entry.map(|(key, value)| (key.span(), value))
                }
                (Segment::Index(index), Some(DeValue::Array(items))) => items
                    .get(*index)
                    .map(|item| (header_span(text, item.span()), item)),
                _ => None,
            };
            let Some((span, value)) = next else {
                exact = false;
                break;
            };
            best = Some((span, value));
            exact = last;
            current = Some(value.get_ref());
            if let DeValue::Table(inner) = value.get_ref() {
                table = inner;
            }
        }
        match best {
            None => Located {
                span: top.clone(),
                value_span: top,
                exact,
            },
            Some((span, value)) => Located {
                span,
                value_span: match value.get_ref() {
                    DeValue::Table(_) | DeValue::Array(_) => header_span(text, value.span()),
                    _ => value.span(),
                },
                exact,
            },
        }
    }

    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.source.line_col(offset)
    }

    /// Lines and columns of what `path` names (or its nearest parent), for a finding.
    pub fn location(&self, path: &DocPath) -> Location {
        let span = self.locate(path).span;
        let (line, column) = self.line_col(span.start);
        let (end_line, end_column) = self.line_col(span.end);
        Location {
            line,
            column,
            end_line,
            end_column,
            span,
        }
    }
}

/// The JSON Schema of the account file, generated from the model (`regcheck schema`).
pub fn json_schema() -> String {
    serde_json::to_string_pretty(&json_schema_value()).unwrap_or_default()
}

/// The JSON Schema of the account file as a value. Optional fields carry no `null` branch:
/// TOML has no null, and a `null` alternative only makes editors' messages worse.
pub fn json_schema_value() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(Account)).unwrap_or_default();
    drop_null(&mut schema);
    schema
}

/// Removes `null` from `type` lists and `{"type": "null"}` from `anyOf` lists, everywhere.
fn drop_null(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(object) => {
            if let Some(Value::Array(types)) = object.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    object.insert("type".to_owned(), only);
                }
            }
            let is_null = |v: &Value| v.get("type") == Some(&Value::from("null"));
            if let Some(Value::Array(options)) = object.get_mut("anyOf")
                && options.iter().any(is_null)
            {
                options.retain(|option| !is_null(option));
                if options.len() == 1
                    && let Some(Value::Object(only)) = options.pop()
                {
                    object.remove("anyOf");
                    for (key, value) in only {
                        object.entry(key).or_insert(value);
                    }
                }
            }
            for child in object.values_mut() {
                drop_null(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}

/// Why an account file was not audited: every problem found, in file order. Mostly a file that
/// could not be loaded; see [`NotAudited`] for the other case.
#[derive(Debug)]
pub struct LoadError {
    pub diagnostics: Vec<FileDiagnostic>,
    pub kind: NotAudited,
}

/// Why a file was not audited, so that reports word it right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NotAudited {
    /// It could not be read, or is not a valid account file.
    #[default]
    DidNotLoad,
    /// It loaded, but its evidence was captured after the audit's as-of time (rules.md, "Ages"):
    /// it cannot be judged at that time.
    CapturedAfterAsOf,
    /// It loaded, but an image asked for (`--image`) is not in it: nothing to judge it by.
    ImageNotFound,
}

impl LoadError {
    /// What happened to the file, after its name: `accounts/a.toml did not load`.
    pub fn summary(&self) -> &'static str {
        match self.kind {
            NotAudited::DidNotLoad => "did not load",
            NotAudited::CapturedAfterAsOf => "cannot be audited at this as-of time",
            NotAudited::ImageNotFound => "does not hold the image asked for",
        }
    }

    /// A few words for a table cell or a count: `did not load`, or `not audited`.
    pub fn short(&self) -> &'static str {
        match self.kind {
            NotAudited::DidNotLoad => "did not load",
            NotAudited::CapturedAfterAsOf => "not audited",
            NotAudited::ImageNotFound => "image not found",
        }
    }

    /// Why the file was not audited, as a clause: `not audited: the file did not load`.
    pub fn reason(&self) -> &'static str {
        match self.kind {
            NotAudited::DidNotLoad => "the file did not load",
            NotAudited::CapturedAfterAsOf => "its evidence was captured after the as-of time",
            NotAudited::ImageNotFound => "an image asked for is not in it",
        }
    }

    /// A problem with a path as a whole (unreadable, a symlink loop), with no lines to show.
    /// An image asked for (`--image`) is not in the file: one diagnostic per such image.
    pub fn selection(diagnostics: Vec<FileDiagnostic>) -> Self {
        Self {
            diagnostics,
            kind: NotAudited::ImageNotFound,
        }
    }

    pub fn message(name: &str, message: &str) -> Self {
        Self::new(&SourceText::new(name, ""), vec![Problem::new(0..0, message)])
    }

    fn new(source: &SourceText, mut problems: Vec<Problem>) -> Self {
        problems.sort_by_key(|problem| (problem.span.start, problem.span.end));
        problems.dedup();
        Self {
            diagnostics: problems
                .into_iter()
                .map(|problem| FileDiagnostic::error(source.clone(), problem))
                .collect(),
            kind: NotAudited::DidNotLoad,
        }
    }
}

/// Reads and loads an account file; I/O errors, a file that is not regular or is over the size
/// limit ([`crate::input`]), invalid UTF-8 and every content problem come back as diagnostics
/// naming the file.
pub fn load_path(path: &Path, display_name: &str) -> Result<LoadedAccount, LoadError> {
    let bytes = crate::input::read(path).map_err(|error| {
        let source = SourceText::new(display_name, "");
        LoadError::new(
            &source,
            vec![Problem::new(0..0, format!("cannot read {display_name}: {error}"))],
        )
    })?;
    load_bytes(display_name, bytes)
}

pub fn load_bytes(name: &str, bytes: Vec<u8>) -> Result<LoadedAccount, LoadError> {
    match String::from_utf8(bytes) {
        Ok(text) => load_str(name, text),
        Err(error) => {
            let valid_up_to = error.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(error.as_bytes()).into_owned();
            // Offsets in the lossy text equal those in the bytes up to the first bad byte.
            // The bad bytes show as U+FFFD, three bytes long in the lossy text.
            let bad_end = valid_up_to + lossy[valid_up_to..].chars().next().map_or(0, char::len_utf8);
            let source = SourceText::new(name, lossy);
            Err(LoadError::new(
                &source,
                vec![
                    Problem::new(valid_up_to..bad_end, "the file is not valid UTF-8")
                        .label("invalid byte sequence here")
                        .help("TOML files must be UTF-8 text"),
                ],
            ))
        }
    }
}

pub fn load_str(name: &str, text: impl Into<Text>) -> Result<LoadedAccount, LoadError> {
    let text: Text = text.into();
    // Lines of an account file are shown only with its secrets masked (`SourceText` does it).
    let source = SourceText::new(name, text.clone());
    if text.contains('\0') {
        let offset = text.find('\0').unwrap_or(0);
        return Err(LoadError::new(
            &source,
            vec![
                Problem::new(
                    offset..offset + 1,
                    "the file contains a NUL byte: it is binary, not TOML",
                )
                .label("NUL byte"),
            ],
        ));
    }
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err(LoadError::new(
            &source,
            vec![Problem::new(0..0, "the account file is empty").help(
                "an account file needs at least `schema_version = 1` and an [account] table with id and captured_at; `regcheck schema` describes the rest",
            )],
        ));
    }
    // A large file's lines and secrets are found beside its parse (clones share them).
    let deriving = source.clone();
    deriving.derive_during(move || parse_and_read(text, source))
}

/// Parses a file's text and reads the account from it, with every problem found.
fn parse_and_read(text: Text, source: SourceText) -> Result<LoadedAccount, LoadError> {
    let mut syntax_problems = Vec::new();
    let parsed = ParsedToml::new(text, |text| {
        let (table, errors) = DeTable::parse_recoverable(text);
        // Only the first syntax error: the parser's recovery guesses, and what follows one error
        // is often a cascade of errors that are not there (one missing quote can make every
        // later line wrong).
        if let Some(error) = errors
            .into_iter()
            .min_by_key(|error| error.span().map_or(0, |span| span.start))
        {
            let span = error.span().unwrap_or(0..0);
            syntax_problems.push(
                Problem::new(span, format!("TOML syntax error: {}", error.message().trim_end()))
                    .label("here"),
            );
        }
        table
    });
    if !syntax_problems.is_empty() {
        return Err(LoadError::new(&source, syntax_problems));
    }
    let file = AccountFile { source, parsed };
    let mut out = Collector::default();
    let model = sections::read_account(&file.source.text, file.parsed.borrow_dependent(), &mut out);
    if let Some(model) = &model {
        validate::check_references(model, &file, &mut out);
    }
    match model {
        Some(model) if out.problems.is_empty() => Ok(LoadedAccount { model, file }),
        _ => {
            debug_assert!(!out.problems.is_empty(), "a failed read must report why");
            Err(LoadError::new(&file.source, out.problems))
        }
    }
}

#[cfg(test)]
mod tests;

/// Checks that a `for_each` path can select something in an account file: every member name
/// must exist where the path uses it, so `$.image[*]` is a load error rather than a rule that
/// silently never applies. Returns the byte offset of the bad step and a message.
pub fn check_selectable(path: &crate::engine::jsonpath::JsonPath) -> Result<(), (usize, String)> {
    shape::select(path).map(|_| ())
}
