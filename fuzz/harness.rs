//! What each fuzz target does with one input, shared by the targets (`fuzz/fuzz_targets/`) and
//! by the regression test that replays every saved crash (`tests/fuzz_regressions.rs`).
//!
//! Each function must return normally on any input: a panic is a crash. Besides not panicking,
//! the harness checks properties that must hold on any input (spans inside the text and on
//! character boundaries, masks that cover every detection).

#![allow(dead_code)] // each target uses one function

use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use regcheck::diagnostic::{FileDiagnostic, Problem, SourceText};
use regcheck::report::human::{Style, render_diagnostic};
use regcheck::secrets;

/// What a fuzz target runs on one input.
pub type Target = fn(&[u8]);

/// The fuzz targets, by name: what `cargo fuzz run NAME` runs and the folders under
/// `fuzz/seeds/` and `fuzz/regressions/` are named after.
pub const TARGETS: [(&str, Target); 5] = [
    ("account_loader", account_loader),
    ("policy_loader", policy_loader),
    ("config_loader", config_loader),
    ("secret_scanner", secret_scanner),
    ("redactor", redactor),
];

const STYLE: Style = Style {
    color: false,
    width: 80,
};

/// Renders at most a few diagnostics, as the CLI would print them.
fn render(diagnostics: &[FileDiagnostic]) {
    for diagnostic in diagnostics.iter().take(3) {
        let _ = render_diagnostic(STYLE, diagnostic);
        let _ = diagnostic.position();
    }
}

/// Loads an account file from any bytes; renders its errors, or locates a few findings' paths.
pub fn account_loader(data: &[u8]) {
    match regcheck::account::load_bytes("fuzz.toml", data.to_vec()) {
        Ok(account) => {
            let text = &account.file.source.text;
            let location = account.file.location(&regcheck::path::DocPath::root());
            assert!(location.span.end <= text.len());
            let _ = account.file.source.excerpt(location.span);
        }
        Err(error) => {
            assert!(!error.diagnostics.is_empty(), "a failed load says why");
            for diagnostic in &error.diagnostics {
                let span = &diagnostic.problem.span;
                assert!(span.start <= span.end, "{span:?}");
            }
            render(&error.diagnostics);
        }
    }
}

/// Loads a custom policy file from any text; renders its errors.
pub fn policy_loader(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let source = SourceText::new("custom/FUZZ-001.toml", text);
    if let Err(error) = regcheck::policy::load_sources(vec![source], false) {
        render(&error.diagnostics);
    }
}

fn builtin_policies() -> &'static [Arc<regcheck::policy::Policy>] {
    static POLICIES: OnceLock<Vec<Arc<regcheck::policy::Policy>>> = OnceLock::new();
    POLICIES.get_or_init(|| regcheck::policy::builtin().unwrap_or_default())
}

/// Reads a `regcheck.toml` from any text, checks it against the built-in policies; renders
/// its errors.
pub fn config_loader(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    match regcheck::config::Config::parse(SourceText::new("regcheck.toml", text), Path::new(".")) {
        Ok(config) => {
            if let Err(error) = config.check(builtin_policies()) {
                render(&error.diagnostics);
            }
            let _ = config.params();
        }
        Err(error) => render(&error.diagnostics),
    }
}

fn assert_spans(text: &str, found: &[secrets::Detection]) {
    for detection in found {
        let span = &detection.span;
        assert!(
            span.start < span.end
                && span.end <= text.len()
                && text.is_char_boundary(span.start)
                && text.is_char_boundary(span.end),
            "{span:?} in {} bytes",
            text.len()
        );
    }
}

/// Runs every detector on any text (split at the first NUL into a name and a value).
pub fn secret_scanner(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (name, value) = text.split_once('\0').unwrap_or(("", &text));
    for (scanned, found) in [
        (value, secrets::scan_env_entry(value)),
        (value, secrets::scan_label(name, value)),
        (value, secrets::scan_history_line(value)),
        (value, secrets::scan_layer_path(value).into_iter().collect()),
    ] {
        assert_spans(scanned, &found);
        // No detected secret survives its redaction (unless it also occurs outside a span).
        // Masks are compared as one character: `DB_PASSWORD=SWORD=[REDACTE` masked is
        // `DB_PASSWORD=[REDACTED]`, which spells the secret again out of the mask itself.
        let masked = secrets::redact(scanned, &found).replace(secrets::MASK, "\u{1}");
        for detection in &found {
            let secret = &scanned[detection.span.clone()];
            if secret.len() >= 8 && scanned.matches(secret).count() == 1 && !secret.contains('\u{1}') {
                assert!(!masked.contains(secret), "{secret:?} survives in {masked:?}");
            }
        }
    }
}

/// The raw-text scan of a file, the excerpt of random spans, and the masks: on any text.
pub fn redactor(data: &[u8]) {
    // The first 8 bytes choose a span; the rest is the file.
    let (head, rest) = data.split_at(data.len().min(8));
    let text = String::from_utf8_lossy(rest).into_owned();
    let found = secrets::redact_toml::scan_file(&text);
    let mut previous_end = 0;
    for range in &found.ranges {
        assert!(
            range.start >= previous_end,
            "sorted, not overlapping: {:?}",
            found.ranges
        );
        assert!(range.start < range.end && range.end <= text.len());
        assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
        previous_end = range.end;
    }

    // Every detection in a literal string is masked by the file scan.
    if !text.contains(['\'', '\n', '\r']) && !text.chars().any(char::is_control) {
        let file = format!("v = '{text}'\n");
        let covered = secrets::redact_toml::scan_file(&file).ranges;
        let offset = "v = '".len();
        for found in [
            secrets::scan_env_entry(&text),
            secrets::scan_history_line(&text),
            secrets::scan_label("v", &text),
        ] {
            for detection in found {
                let span = detection.span.start + offset..detection.span.end + offset;
                assert!(
                    covered
                        .iter()
                        .any(|range| range.start <= span.start && span.end <= range.end),
                    "{span:?} of {file:?} is not masked: {covered:?}"
                );
            }
        }
    }

    // An excerpt and a rendered diagnostic on any span.
    let number = |bytes: &[u8]| bytes.iter().fold(0usize, |n, &b| n << 8 | usize::from(b));
    let start = number(&head[..head.len().min(4)]) % (text.len() + 8);
    let length = number(head.get(4..).unwrap_or_default()) % 512;
    let span: Range<usize> = start..start.saturating_add(length);
    let source = SourceText::new("fuzz.toml", text.clone());
    let excerpt = source.excerpt(span.clone());
    let label = excerpt.label();
    assert!(label.start <= label.end && label.end <= excerpt.text().len());
    assert!(excerpt.text().is_char_boundary(label.start) && excerpt.text().is_char_boundary(label.end));
    let diagnostic = FileDiagnostic::error(
        source.clone(),
        Problem::new(
            span,
            format!("problem quoting {}", text.chars().take(64).collect::<String>()),
        )
        .label("here"),
    );
    let _ = render_diagnostic(STYLE, &diagnostic);
    let _ = source.redact(&text);

    // A masker over pieces of the text masks every one of them: none is left whole.
    let pieces: Vec<&str> = text
        .split_whitespace()
        .filter(|piece| piece.len() >= 6 && !piece.contains('\u{1}'))
        .take(8)
        .collect();
    if let Some(masker) = secrets::registry::Masker::new(&pieces) {
        let masked = masker.mask(&text).replace(secrets::MASK, "\u{1}");
        for piece in &pieces {
            assert!(!masked.contains(piece), "{piece:?} survives in {masked:?}");
        }
    }
}
