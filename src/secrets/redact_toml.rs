//! Redaction of a TOML file's text before any of its lines are shown (miette snippets of load
//! errors and findings): every string literal is scanned as an environment entry, a history line
//! and a label value, and each secret found is masked with `*`, byte for byte, so that offsets
//! and spans stay valid.

use std::ops::Range;

use super::{scan_env_entry, scan_history_line, scan_label};

/// Byte ranges of `text` to mask. Works on any text, even one that is not valid TOML.
pub fn secret_ranges(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    for literal in string_literals(text) {
        let raw = &text[literal.content.clone()];
        let decoded;
        let content = if literal.escaped {
            decoded = unescape(raw);
            decoded.as_str()
        } else {
            raw
        };
        let key = key_before(&text[..literal.start]);
        let mut found: Vec<Range<usize>> = Vec::new();
        found.extend(scan_env_entry(content).into_iter().map(|d| d.span));
        found.extend(scan_history_line(content).into_iter().map(|d| d.span));
        if let Some(key) = key {
            found.extend(scan_label(key, content).into_iter().map(|d| d.span));
        }
        if found.is_empty() {
            continue;
        }
        if literal.escaped {
            // Offsets in the decoded value do not map onto the source: mask the whole literal.
            ranges.push(literal.content.clone());
        } else {
            ranges.extend(
                found
                    .into_iter()
                    .map(|span| literal.content.start + span.start..literal.content.start + span.end),
            );
        }
    }
    ranges.sort_by_key(|range| (range.start, range.end));
    ranges
}

/// `text` with every range masked by `*` (one per byte, so offsets are kept).
pub fn mask(text: &str, ranges: &[Range<usize>]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for range in ranges {
        let end = range.end.min(bytes.len());
        for byte in &mut bytes[range.start.min(end)..end] {
            *byte = b'*';
        }
    }
    // Masking whole bytes can split a multi-byte character: repair to valid UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

struct Literal {
    start: usize,
    content: Range<usize>,
    escaped: bool,
}

/// The string literals of a TOML text, skipping comments. Lenient: an unterminated string runs
/// to the end of its line (or of the file for multi-line strings).
fn string_literals(text: &str) -> Vec<Literal> {
    let bytes = text.as_bytes();
    let mut literals = Vec::new();
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
                    if end >= bytes.len() || (!triple && bytes[end] == b'\n') {
                        break;
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
                });
                at = (end + open).min(bytes.len());
            }
            _ => at += 1,
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

    #[test]
    fn masks_secrets_in_env_history_and_labels_but_not_the_rest() {
        let token = format!("ghp_{}", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8");
        let text = format!(
            "[[images]]\nref = \"us.icr.io/ns/app:1\" # ghp_ in a comment\nenv = [\"LOG=info\", \"GH_TOKEN={token}\"]\nlabels = {{ maintainer = \"team\", \"api-token\" = \"{token}\" }}\n"
        );
        let ranges = secret_ranges(&text);
        let masked = mask(&text, &ranges);
        assert!(!masked.contains(&token[4..]), "{masked}");
        assert!(
            masked.contains("GH_TOKEN=")
                && masked.contains("LOG=info")
                && masked.contains("us.icr.io/ns/app:1")
        );
        assert_eq!(masked.len(), text.len(), "offsets are kept");
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
        let masked = mask(text, &secret_ranges(text));
        assert!(!masked.contains("3xa;Fz"), "{masked}");
    }

    #[test]
    fn an_escaped_literal_is_masked_whole() {
        let token = format!("ghp_{}", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8");
        let text = format!("env = [\"X=\\\"quoted\\\" GH_TOKEN={token}\"]\n");
        let masked = mask(&text, &secret_ranges(&text));
        assert!(!masked.contains(&token[4..]), "{masked}");
    }
}
