//! No secret value reaches any output: every synthetic secret of the corpus
//! (`tests/fixtures/secrets/corpus.jsonl`) is put into an account file, which is then audited in
//! every format (standard output, standard error and report files), validated after a typo on
//! the secrets' lines (so error snippets show them), and shown as the responsibility matrix. No
//! output may contain a secret or any 8-character piece of one.

use std::path::Path;

use serde_json::Value;

#[path = "support/combined_output.rs"]
mod combined_output;
use combined_output::run;

struct Corpus {
    env: Vec<String>,
    labels: Vec<(String, String)>,
    history: Vec<String>,
    paths: Vec<String>,
    /// The secret texts, as the detector delimits them.
    secrets: Vec<String>,
}

fn corpus() -> Corpus {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/secrets/corpus.jsonl"),
    )
    .unwrap();
    let mut corpus = Corpus {
        env: vec![],
        labels: vec![],
        history: vec![],
        paths: vec![],
        secrets: vec![],
    };
    for line in text.lines() {
        let case: Value = serde_json::from_str(line).unwrap();
        if case["expect"].as_array().is_none_or(|kinds| kinds.is_empty()) {
            continue;
        }
        let field = |name: &str| case[name].as_str().unwrap_or_default().to_owned();
        let spans = |scanned: &str, found: Vec<regcheck::secrets::Detection>| -> Vec<String> {
            found.into_iter().map(|d| scanned[d.span].to_owned()).collect()
        };
        match case["where"].as_str() {
            Some("env") => {
                let entry = field("entry");
                corpus
                    .secrets
                    .extend(spans(&entry, regcheck::secrets::scan_env_entry(&entry)));
                corpus.env.push(entry);
            }
            Some("label") => {
                let (name, value) = (field("name"), field("value"));
                corpus
                    .secrets
                    .extend(spans(&value, regcheck::secrets::scan_label(&name, &value)));
                corpus.labels.push((name, value));
            }
            Some("history") => {
                let line = field("line");
                corpus
                    .secrets
                    .extend(spans(&line, regcheck::secrets::scan_history_line(&line)));
                corpus.history.push(line);
            }
            Some("path") => corpus.paths.push(field("path")),
            _ => {}
        }
    }
    corpus.secrets.retain(|secret| secret.chars().count() >= 8);
    // A layer path is not secret, but a history line may hold the same path next to a key.
    let secrets = corpus.secrets.clone();
    corpus
        .paths
        .retain(|path| !secrets.iter().any(|secret| secret.contains(path.as_str())));
    assert!(
        corpus.secrets.len() >= 60,
        "the corpus provides enough secrets to check"
    );
    corpus
}

fn toml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

fn account(corpus: &Corpus) -> String {
    let mut text = String::from(
        "schema_version = 1\n[account]\nid = \"acc-leak\"\ncaptured_at = 2026-11-25T00:00:00Z\n\n[[registries]]\nregion = \"us-south\"\n\n[[namespaces]]\nname = \"shop-prod\"\nregion = \"us-south\"\ncriticality = \"production\"\n\n",
    );
    text.push_str("[[images]]\nref = \"us.icr.io/shop-prod/api:1.0.0\"\n");
    // One entry per line, so that error and finding snippets show the secrets' own lines.
    text.push_str("env = [\n");
    for entry in &corpus.env {
        text.push_str(&format!("  {},\n", toml_string(entry)));
    }
    text.push_str("]\nhistory = [\n");
    for line in &corpus.history {
        text.push_str(&format!("  {},\n", toml_string(line)));
    }
    text.push_str("]\nlayer_paths = [\n");
    for path in &corpus.paths {
        text.push_str(&format!("  {},\n", toml_string(path)));
    }
    text.push_str("]\n[images.labels]\n");
    for (name, value) in &corpus.labels {
        text.push_str(&format!("{} = {}\n", toml_string(name), toml_string(value)));
    }
    text
}

fn assert_no_secret(what: &str, output: &str, secrets: &[String]) {
    let pieces = secret_pieces(secrets);
    // One pass over the output's 8-character windows (checking every piece with `contains`
    // would scan the output thousands of times).
    let chars: Vec<char> = output.chars().collect();
    for window in chars.windows(PIECE) {
        let piece: String = window.iter().collect();
        assert!(
            !pieces.contains(&piece),
            "{what} contains `{piece}`, a piece of a secret"
        );
    }
}

const PIECE: usize = 8;

/// Every 8-character piece of the secrets that is secret material.
fn secret_pieces(secrets: &[String]) -> std::collections::HashSet<String> {
    let mut pieces = std::collections::HashSet::new();
    for secret in secrets {
        let chars: Vec<char> = secret.chars().collect();
        for window in chars.windows(PIECE) {
            let piece: String = window.iter().collect();
            // Pieces of plain words (`password`, `https://`) and of paths (a header-only key's
            // span runs on to the file it is written to) are not secret material; the other
            // windows of the same secret still are checked.
            let plain = piece
                .chars()
                .all(|c| c.is_ascii_lowercase() || !c.is_ascii_alphanumeric());
            if !plain && !piece.contains('/') {
                pieces.insert(piece);
            }
        }
    }
    pieces
}

#[test]
fn no_output_format_contains_a_secret() {
    let corpus = corpus();
    let dir = tempfile::tempdir().unwrap();
    let text = account(&corpus);
    std::fs::write(dir.path().join("account.toml"), &text).unwrap();
    // The account itself holds the secrets: the check can catch a leak.
    assert_no_secret_present(&text, &corpus.secrets);
    let secrets = corpus.secrets.clone();
    let raw = text.clone();
    assert!(
        std::panic::catch_unwind(move || assert_no_secret("the account", &raw, &secrets)).is_err(),
        "the check finds the secrets in the account text itself"
    );

    // Every finding shown in full, passes listed, and the counts by rule too.
    for format in [
        "human", "concise", "json", "sarif", "junit", "markdown", "github", "html",
    ] {
        let output = run(
            dir.path(),
            &[
                "audit",
                "account.toml",
                "--as-of",
                "2026-11-26",
                "--format",
                format,
                "--max-diagnostics",
                "all",
                "--include-passes",
            ],
        );
        assert_no_secret(
            &format!("audit --format {format}"),
            &unescape_html(&output),
            &corpus.secrets,
        );
    }
    let output = run(
        dir.path(),
        &["audit", "account.toml", "--as-of", "2026-11-26", "--statistics"],
    );
    assert_no_secret("audit --statistics", &output, &corpus.secrets);
    let output = run(
        dir.path(),
        &[
            "audit",
            "account.toml",
            "--as-of",
            "2026-11-26",
            "--report",
            "sarif=r.sarif",
            "--report",
            "junit=r.xml",
            "--report",
            "markdown=r.md",
            "--report",
            "json=r.json",
            "--report",
            "html=r.html",
            "--write-baseline",
            "b.json",
        ],
    );
    assert_no_secret("audit with report files", &output, &corpus.secrets);
    for file in ["r.sarif", "r.xml", "r.md", "r.json", "b.json", "r.html"] {
        let written = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert_no_secret(file, &unescape_html(&written), &corpus.secrets);
    }
    // `regcheck fix --dry-run`: the script's comments quote messages and subjects, its commands
    // values of the account (masked before they are quoted, so the mask is what is quoted).
    let output = run(
        dir.path(),
        &["fix", "--dry-run", "account.toml", "--as-of", "2026-11-26"],
    );
    assert_no_secret("fix --dry-run", &output, &corpus.secrets);
    // `regcheck diff` of the account against an empty one and against its own JSON report.
    std::fs::write(
        dir.path().join("empty.toml"),
        "schema_version = 1\n[account]\nid = \"acc-leak\"\ncaptured_at = 2026-11-25T00:00:00Z\n",
    )
    .unwrap();
    for format in ["human", "json", "markdown"] {
        for old in ["empty.toml", "r.json"] {
            let output = run(
                dir.path(),
                &[
                    "diff",
                    old,
                    "account.toml",
                    "--as-of",
                    "2026-11-26",
                    "--format",
                    format,
                ],
            );
            assert_no_secret(
                &format!("diff {old} --format {format}"),
                &unescape_html(&output),
                &corpus.secrets,
            );
        }
    }
    let output = run(
        dir.path(),
        &[
            "responsibilities",
            "account.toml",
            "--as-of",
            "2026-11-26",
            "--format",
            "markdown",
        ],
    );
    assert_no_secret("responsibilities", &output, &corpus.secrets);
}

/// The text a reader sees of HTML or Markdown character references (`&amp;`, `&#95;`), so that
/// an escaped secret is still found.
fn unescape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').filter(|end| *end <= 10);
        let decoded = end.and_then(|end| match &rest[1..end] {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "amp" => Some('&'),
            number => number
                .strip_prefix('#')
                .and_then(|n| n.parse::<u32>().ok())
                .and_then(char::from_u32),
        });
        match (decoded, end) {
            (Some(c), Some(end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn assert_no_secret_present(text: &str, secrets: &[String]) {
    // Secrets with characters TOML escapes (quotes, backslashes) are written escaped.
    let literal = secrets
        .iter()
        .filter(|secret| text.contains(secret.as_str()))
        .count();
    assert!(
        literal * 10 >= secrets.len() * 9,
        "the test account holds the secrets ({literal} of {})",
        secrets.len()
    );
}

#[test]
fn error_snippets_mask_the_secrets_on_the_lines_they_show() {
    let corpus = corpus();
    let dir = tempfile::tempdir().unwrap();
    // A wrong type next to each env entry, history line and label: every error snippet shows a
    // line that holds a secret.
    let broken = account(&corpus)
        .replace("\",\n", "\", 42,\n")
        .replace("[images.labels]\n", "[images.labels]\nnumber = 42\n");
    std::fs::write(dir.path().join("broken.toml"), &broken).unwrap();
    let output = run(dir.path(), &["validate", "broken.toml"]);
    assert!(output.contains("wrong type"), "{output}");
    assert_no_secret("validate error snippets", &output, &corpus.secrets);
    let output = run(dir.path(), &["audit", "broken.toml", "--format", "sarif"]);
    assert_no_secret("audit of an invalid file", &output, &corpus.secrets);
}
