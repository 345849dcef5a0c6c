//! Message and subject templates: text with `{CEL expression}` holes; `{{` and `}}` are
//! literal braces.

use super::cel::{self, Bindings, CompileError, Expr};

#[derive(Debug)]
enum Part {
    Text(String),
    /// A compiled hole and the byte offset of its expression inside the template.
    Hole(Expr, usize),
}

/// A template's source and, once split, its parts.
#[derive(Debug)]
pub struct Template {
    source: String,
    parts: std::sync::OnceLock<Result<Vec<Part>, CompileError>>,
}

impl Template {
    /// Splits the template and compiles every hole now; errors carry the byte offset inside
    /// the template.
    pub fn parse(text: &str) -> Result<Self, CompileError> {
        let parts = split(text, cel::compile)?;
        Ok(Self {
            source: text.to_owned(),
            parts: std::sync::OnceLock::from(Ok(parts)),
        })
    }

    /// A template split and compiled when it is first rendered, each hole an
    /// [`Expr::deferred`]: for the built-in policies, which the test suite checks.
    pub fn parse_deferred(text: &str) -> Self {
        Self {
            source: text.to_owned(),
            parts: std::sync::OnceLock::new(),
        }
    }

    fn parts(&self) -> Result<&[Part], &CompileError> {
        self.parts
            .get_or_init(|| split(&self.source, |source| Ok(Expr::deferred(source))))
            .as_ref()
            .map(Vec::as_slice)
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The text every rendering starts with: the template up to its first hole (`image:` for
    /// `image:{item.ref}`), so that a selective audit can tell which rules cannot name a
    /// subject it keeps.
    pub fn literal_prefix(&self) -> String {
        let mut prefix = String::new();
        let mut rest = self.source.as_str();
        while let Some(c) = rest.chars().next() {
            if rest.starts_with("{{") || rest.starts_with("}}") {
                prefix.push(c);
                rest = &rest[2..];
            } else if c == '{' {
                break;
            } else {
                prefix.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        prefix
    }

    pub fn render<'a>(&'a self, bindings: &Bindings<'a>) -> Result<String, (String, usize)> {
        self.render_with(bindings, |value, out| out.push_str(value))
    }

    /// Renders with every hole's value passed through `push` (fix commands shell-quote each
    /// value, so that text from the account is always one word and never shell syntax).
    pub fn render_with<'a>(
        &'a self,
        bindings: &Bindings<'a>,
        push: impl Fn(&str, &mut String),
    ) -> Result<String, (String, usize)> {
        self.fill(|expr, out| {
            push(&expr.eval_text(bindings)?, out);
            Ok(())
        })
    }

    /// Renders a command: a hole that is a list gives one word per item (none for an empty
    /// list), and every word goes through `quote`, joined by spaces.
    pub fn render_command<'a>(
        &'a self,
        bindings: &Bindings<'a>,
        quote: impl Fn(&str) -> String,
    ) -> Result<String, (String, usize)> {
        self.fill(|expr, out| {
            let words = expr.eval_words(bindings)?;
            if words.is_empty() && out.ends_with(' ') {
                out.pop();
            }
            let quoted: Vec<String> = words.iter().map(|word| quote(word)).collect();
            out.push_str(&quoted.join(" "));
            Ok(())
        })
    }

    /// The text with each hole written by `hole`; an error names the hole's offset.
    fn fill<'a>(
        &'a self,
        mut hole: impl FnMut(&'a Expr, &mut String) -> Result<(), String>,
    ) -> Result<String, (String, usize)> {
        let parts = self
            .parts()
            .map_err(|error| (format!("the template does not compile: {}", error.message), 0))?;
        let mut out = String::new();
        for part in parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Hole(expr, offset) => hole(expr, &mut out).map_err(|e| (e, *offset))?,
            }
        }
        Ok(out)
    }

    /// The compiled holes with their offsets, for load-time checks.
    pub fn holes(&self) -> impl Iterator<Item = (&Expr, usize)> {
        self.parts()
            .unwrap_or_default()
            .iter()
            .filter_map(|part| match part {
                Part::Hole(expr, offset) => Some((expr, *offset)),
                Part::Text(_) => None,
            })
    }
}

/// Splits a template into text and holes, compiling each hole with `compile`; errors carry
/// the byte offset inside the template.
fn split(text: &str, compile: fn(&str) -> Result<Expr, CompileError>) -> Result<Vec<Part>, CompileError> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|&(_, n)| n) == Some('{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek().map(|&(_, n)| n) == Some('}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let start = at + 1;
                let end = hole_end(text, start).ok_or(CompileError {
                    message: "unclosed `{` in template (write `{{` for a literal brace)".to_owned(),
                    offset: Some(at),
                })?;
                let source = &text[start..end];
                if source.trim().is_empty() {
                    return Err(CompileError {
                        message: "empty `{}` in template".to_owned(),
                        offset: Some(at),
                    });
                }
                let expr = compile(source).map_err(|error| CompileError {
                    message: error.message,
                    offset: Some(start + error.offset.unwrap_or(0)),
                })?;
                if !literal.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut literal)));
                }
                parts.push(Part::Hole(expr, start));
                while chars.peek().is_some_and(|&(i, _)| i <= end) {
                    chars.next();
                }
            }
            '}' => {
                return Err(CompileError {
                    message: "unmatched `}` in template (write `}}` for a literal brace)".to_owned(),
                    offset: Some(at),
                });
            }
            other => literal.push(other),
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Text(literal));
    }
    Ok(parts)
}

/// The offset of the `}` closing a hole that starts at `start`, skipping nested braces and
/// quoted strings.
fn hole_end(text: &str, start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (offset, c) in text[start..].char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '{' => depth += 1,
            '}' if depth == 0 => return Some(start + offset),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::cel::{Document, Names};
    use crate::engine::data::Data;

    #[test]
    fn renders_holes_and_escapes() {
        let doc = Document::from_data(
            &Data::from_toml(&toml::Value::Table(
                toml::from_str("name = 'ns1'\nn = 3").unwrap(),
            ))
            .unwrap(),
        );
        let root = doc.root();
        let bindings = Bindings {
            names: Names {
                account: root,
                params: root,
                as_of: root,
                item: root,
                parent: None,
                key: None,
                index: None,
            },
            memo: None,
        };
        let template =
            Template::parse("ns {item.name} has {item.n + 1} {{braces}} { {'a': 1}['a'] }").unwrap();
        assert_eq!(template.render(&bindings).unwrap(), "ns ns1 has 4 {braces} 1");
    }

    #[test]
    fn reports_offsets_of_bad_holes() {
        assert_eq!(
            Template::parse("abc {item.}").unwrap_err().offset.map(|o| o >= 5),
            Some(true)
        );
        assert_eq!(Template::parse("abc {item").unwrap_err().offset, Some(4));
        assert_eq!(Template::parse("abc } x").unwrap_err().offset, Some(4));
    }
}

#[cfg(test)]
mod prefix_tests {
    use super::Template;

    #[test]
    fn the_literal_prefix_stops_at_the_first_hole() {
        assert_eq!(
            Template::parse_deferred("image:{item.ref}#env").literal_prefix(),
            "image:"
        );
        assert_eq!(Template::parse_deferred("a{{b}}{c}").literal_prefix(), "a{b}");
        assert_eq!(Template::parse_deferred("{item.kind}:x").literal_prefix(), "");
        assert_eq!(
            Template::parse_deferred("account:é").literal_prefix(),
            "account:é"
        );
    }
}
