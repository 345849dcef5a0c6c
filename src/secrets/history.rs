//! The `NAME=value` assignments of an image history line (`created_by`), for the name rule.
//!
//! Recognised forms (classic builder, BuildKit, Buildah and Kaniko all write one of these):
//! - `/bin/sh -c #(nop)  ENV A=b C="d e"`, `#(nop) ENV A b` (legacy), `#(nop) LABEL k=v`,
//!   `#(nop) ARG NAME=default`;
//! - `ENV A=b`, `LABEL k=v`, `ARG NAME=default` (BuildKit);
//! - `|2 A=b C=d /bin/sh -c make`, `RUN |1 A=b /bin/sh -c make # buildkit` (build args);
//! - assignments in front of a command in the shell script: `/bin/sh -c TOKEN=x ./deploy.sh`,
//!   `… && export API_KEY=x && …`, `env PGPASSWORD=x psql`.
//!
//! Arguments of a command (`make PREFIX=/usr`, `curl -d password=x`) are not assignments; the
//! format detectors see the whole line anyway.

use std::ops::Range;

use super::keyword::is_secret_name;
use super::text::unquote;

/// One `NAME=value` in a history line. Ranges are byte offsets into the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Assignment {
    pub name: Range<usize>,
    /// The value without surrounding quotes.
    pub value: Range<usize>,
}

/// A cheap necessary condition for an assignment with a secret name: some `=` follows a word that
/// is a secret name, or the line has a legacy `ENV NAME value`.
pub(crate) fn may_assign_secret(line: &str) -> bool {
    let b = line.as_bytes();
    // Most values (digests, references, versions) hold no `=`: one fast search says so.
    if memchr::memchr(b'=', b).is_some() {
        // One pass: `word_start` is where the word holding the current byte starts. (Searching
        // back from each `=` cost the line's length per `=`: a 100 KB line of `=` took 40 s.)
        let mut word_start = 0;
        for (i, &c) in b.iter().enumerate() {
            if c.is_ascii_whitespace() || b"|;&(".contains(&c) {
                word_start = i + 1;
            } else if c == b'=' {
                let word = line[word_start..i].trim_matches(|c| c == '"' || c == '\'');
                if is_secret_name(word) {
                    return true;
                }
                // The next `=` belongs to the same word: `A=B=C` asks about `A=B`, then `A=B=C`
                // would repeat the work; a name holds no `=`, so start the next one here.
                word_start = i + 1;
            }
        }
    }
    // `ENV NAME value` (no `=`): the name is the word after ENV.
    let mut from = 0;
    while let Some(i) = line[from..].find("ENV ") {
        let at = from + i;
        let rest = &line[at + 4..];
        let name_start = rest.len() - rest.trim_start().len();
        let name_end = rest[name_start..]
            .find(char::is_whitespace)
            .map_or(rest.len(), |n| name_start + n);
        if is_secret_name(&rest[name_start..name_end]) {
            return true;
        }
        from = at + 4 + name_end;
    }
    false
}

pub(crate) fn assignments(line: &str) -> Vec<Assignment> {
    let mut out = Vec::new();
    if !line.contains('=') && !line.contains("ENV ") {
        return out;
    }
    if let Some(i) = line.find("#(nop)") {
        instruction(line, i + "#(nop)".len(), &mut out);
        return out;
    }
    let mut pos = skip_ws(line, 0);
    if line[pos..].starts_with("RUN ") {
        pos = skip_ws(line, pos + 4);
    } else if ["ENV ", "LABEL ", "ARG "]
        .iter()
        .any(|k| line[pos..].starts_with(k))
    {
        instruction(line, pos, &mut out);
        return out;
    }
    let tokens = tokenize(line, pos, true);
    let mut rest = &tokens[..];
    // |N NAME=value … : N build args.
    if line[pos..].starts_with('|') {
        let digits = line[pos + 1..].bytes().take_while(u8::is_ascii_digit).count();
        let n: usize = line[pos + 1..pos + 1 + digits].parse().unwrap_or(0);
        // The tokenizer made `|` an operator and the count a word: skip both.
        rest = match rest {
            [Token::Op, Token::Word(_), tail @ ..] => tail,
            _ => rest,
        };
        let mut taken = 0;
        while taken < n {
            match rest.first() {
                Some(Token::Word(w)) => {
                    if let Some(a) = assignment(line, w.clone(), false) {
                        out.push(a);
                    }
                    rest = &rest[1..];
                    taken += 1;
                }
                _ => break,
            }
        }
    }
    rest = skip_shell(line, rest);
    script(line, rest, &mut out);
    out
}

/// Parses `ENV …`, `LABEL …` or `ARG …` starting at or after `pos`.
fn instruction(line: &str, pos: usize, out: &mut Vec<Assignment>) {
    let pos = skip_ws(line, pos);
    let keyword_len = line[pos..].bytes().take_while(u8::is_ascii_alphabetic).count();
    let keyword = &line[pos..pos + keyword_len];
    let label = match keyword {
        "ENV" | "ARG" => false,
        "LABEL" => true,
        _ => return,
    };
    let start = skip_ws(line, pos + keyword_len);
    let words: Vec<Range<usize>> = tokenize(line, start, false)
        .into_iter()
        .filter_map(|t| match t {
            Token::Word(w) => Some(w),
            Token::Op => None,
        })
        .collect();
    // Legacy `ENV NAME value with spaces`.
    if keyword == "ENV"
        && let Some(first) = words.first()
        && !line[first.clone()].contains('=')
    {
        let value_start = skip_ws(line, first.end);
        let value_end = line.trim_end().len().max(value_start);
        if value_start < value_end && is_name(&line[first.clone()], false) {
            out.push(Assignment {
                name: first.clone(),
                value: value_start..value_end,
            });
        }
        return;
    }
    for w in words {
        if let Some(a) = assignment(line, w, label) {
            out.push(a);
        }
    }
}

/// Skips a shell invocation (`/bin/sh -c`, `/bin/bash -o pipefail -c`, `cmd /S /C`,
/// `powershell -Command`) at the start of the tokens.
fn skip_shell<'t>(line: &str, tokens: &'t [Token]) -> &'t [Token] {
    let Some(Token::Word(first)) = tokens.first() else {
        return tokens;
    };
    let prog = line[first.clone()].rsplit('/').next().unwrap_or("");
    let prog = prog.trim_end_matches(".exe").to_ascii_lowercase();
    if !["sh", "bash", "ash", "dash", "zsh", "cmd", "powershell", "pwsh"].contains(&prog.as_str()) {
        return tokens;
    }
    let mut i = 1;
    while let Some(Token::Word(w)) = tokens.get(i) {
        let word = &line[w.clone()];
        let is_option = word.starts_with('-') || word.starts_with('/');
        let is_option_value = matches!(word, "pipefail" | "errexit" | "nounset");
        if !is_option && !is_option_value {
            break;
        }
        i += 1;
        let lower = word.to_ascii_lowercase();
        if (word.starts_with('-') && !word.starts_with("--") && lower.ends_with('c'))
            || lower == "/c"
            || lower == "-command"
        {
            break;
        }
    }
    &tokens[i.min(tokens.len())..]
}

/// Assignments in command position of a shell script.
fn script(line: &str, tokens: &[Token], out: &mut Vec<Assignment>) {
    let mut at_start = true;
    let mut in_builtin = false;
    for t in tokens {
        match t {
            Token::Op => {
                at_start = true;
                in_builtin = false;
            }
            Token::Word(w) => {
                let word = &line[w.clone()];
                if !at_start {
                    continue;
                }
                if let Some(a) = assignment(line, w.clone(), false) {
                    out.push(a);
                } else if matches!(
                    word,
                    "export" | "env" | "declare" | "local" | "readonly" | "typeset"
                ) {
                    in_builtin = true;
                } else if matches!(word, "then" | "do" | "else" | "elif" | "if" | "while" | "!" | "{")
                    || (in_builtin && (word.starts_with('-') || is_name(word, false)))
                {
                    // still in command position
                } else {
                    at_start = false;
                    in_builtin = false;
                }
            }
        }
    }
}

/// `NAME=value` in the word `w`, if it is one. Label keys may hold dots, dashes and slashes, and
/// may be quoted.
fn assignment(line: &str, w: Range<usize>, label: bool) -> Option<Assignment> {
    let word = &line[w.clone()];
    let eq = word.find('=')?;
    let raw_name = &word[..eq];
    let name = if label { unquote(raw_name) } else { raw_name };
    if !is_name(name, label) {
        return None;
    }
    let name_start = w.start + (name.as_ptr() as usize - word.as_ptr() as usize);
    let raw_value = &word[eq + 1..];
    let value = unquote(raw_value);
    let value_start = w.start + eq + 1 + (value.as_ptr() as usize - raw_value.as_ptr() as usize);
    Some(Assignment {
        name: name_start..name_start + name.len(),
        value: value_start..value_start + value.len(),
    })
}

fn is_name(name: &str, label: bool) -> bool {
    let b = name.as_bytes();
    if b.is_empty() {
        return false;
    }
    if label {
        return b
            .iter()
            .all(|&c| !c.is_ascii_whitespace() && c != b'"' && c != b'\'');
    }
    (b[0].is_ascii_alphabetic() || b[0] == b'_') && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

fn skip_ws(line: &str, mut pos: usize) -> usize {
    let b = line.as_bytes();
    while pos < b.len() && b[pos].is_ascii_whitespace() {
        pos += 1;
    }
    pos
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(Range<usize>),
    /// A control operator (`;`, `&&`, `||`, `|`, `(`, `)`, a newline): a new command starts.
    Op,
}

/// Splits `line[start..]` into shell words (quotes and backslashes respected) and, when `ops`,
/// control operators. A word starting with `#` starts a comment.
fn tokenize(line: &str, start: usize, ops: bool) -> Vec<Token> {
    let b = line.as_bytes();
    let mut tokens = Vec::new();
    let mut i = start;
    let mut word_start: Option<usize> = None;
    let end_word = |tokens: &mut Vec<Token>, word_start: &mut Option<usize>, end: usize| {
        if let Some(s) = word_start.take() {
            tokens.push(Token::Word(s..end));
        }
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' => end_word(&mut tokens, &mut word_start, i),
            b'\n' => {
                end_word(&mut tokens, &mut word_start, i);
                if ops {
                    tokens.push(Token::Op);
                }
            }
            b';' | b'&' | b'|' | b'(' | b')' if ops => {
                end_word(&mut tokens, &mut word_start, i);
                tokens.push(Token::Op);
                if (c == b'&' || c == b'|') && b.get(i + 1) == Some(&c) {
                    i += 1;
                }
            }
            b'#' if word_start.is_none() && ops => break,
            b'\'' | b'"' => {
                word_start.get_or_insert(i);
                i += 1;
                while i < b.len() && b[i] != c {
                    if c == b'"' && b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'\\' => {
                word_start.get_or_insert(i);
                i += 1;
            }
            _ => {
                word_start.get_or_insert(i);
            }
        }
        i += 1;
    }
    end_word(&mut tokens, &mut word_start, b.len().min(i));
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(line: &str) -> Vec<(&str, &str)> {
        assignments(line)
            .into_iter()
            .map(|a| (&line[a.name], &line[a.value]))
            .collect()
    }

    #[test]
    fn classic_nop_instructions() {
        assert_eq!(
            pairs(r#"/bin/sh -c #(nop)  ENV A=b C="d e""#),
            [("A", "b"), ("C", "d e")]
        );
        assert_eq!(
            pairs("/bin/sh -c #(nop)  ENV DB_PASSWORD some value"),
            [("DB_PASSWORD", "some value")]
        );
        assert_eq!(
            pairs(r#"/bin/sh -c #(nop)  LABEL org.example.token="abc def" maintainer=me"#),
            [("org.example.token", "abc def"), ("maintainer", "me")]
        );
        assert_eq!(pairs("/bin/sh -c #(nop)  ARG TOKEN"), []);
        assert_eq!(pairs("/bin/sh -c #(nop) ARG TOKEN=x1"), [("TOKEN", "x1")]);
        assert_eq!(pairs("/bin/sh -c #(nop)  CMD [\"A=b\"]"), []);
    }

    #[test]
    fn buildkit_instructions() {
        assert_eq!(
            pairs("ENV PATH=/usr/bin LANG=C.UTF-8"),
            [("PATH", "/usr/bin"), ("LANG", "C.UTF-8")]
        );
        assert_eq!(pairs("ARG NPM_TOKEN=abc"), [("NPM_TOKEN", "abc")]);
        assert_eq!(pairs("LABEL a.b=c"), [("a.b", "c")]);
        assert_eq!(pairs("COPY a=b /x # buildkit"), []);
    }

    #[test]
    fn build_args_and_command_assignments() {
        assert_eq!(
            pairs("|2 A=b TOKEN=c /bin/sh -c make X=y"),
            [("A", "b"), ("TOKEN", "c")]
        );
        assert_eq!(
            pairs("RUN |1 TOKEN=c /bin/sh -c FOO=bar ./run.sh # buildkit"),
            [("TOKEN", "c"), ("FOO", "bar")]
        );
        assert_eq!(
            pairs("/bin/bash -o pipefail -c apt-get update && export API_KEY=k1 X=2 && make P=q"),
            [("API_KEY", "k1"), ("X", "2")]
        );
        assert_eq!(
            pairs("/bin/sh -c env PGPASSWORD=pw psql -h db"),
            [("PGPASSWORD", "pw")]
        );
        assert_eq!(pairs("/bin/sh -c curl -d password=x https://h"), []);
        assert_eq!(pairs("/bin/sh -c echo 'A=b' > f; B=c cmd"), [("B", "c")]);
        assert_eq!(pairs("/bin/sh -c make # A=b"), []);
    }

    #[test]
    fn a_line_ending_in_env_and_a_space_is_no_assignment() {
        // Found by the account_loader fuzz target: the search ran past the end.
        assert!(!may_assign_secret("us-soutENV "));
        assert!(!may_assign_secret("ENV "));
        assert!(may_assign_secret("ENV  DB_PASSWORD x"));
    }

    #[test]
    fn quoted_values_give_inner_ranges() {
        let line = "ENV K='v w'";
        let a = &assignments(line)[0];
        assert_eq!(&line[a.value.clone()], "v w");
    }
}
