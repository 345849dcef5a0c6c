//! The secret detector against its labelled corpus (tests/fixtures/secrets/corpus.jsonl, written
//! by tools/secrets-corpus/generate.py; every value in it is fabricated).
//!
//! Prints precision and recall on the secret/non-secret decision, and kind accuracy (the detected
//! kinds equal the labelled ones), overall and per place (env, label, history, path):
//!
//!     cargo test --release --test secrets_corpus -- --nocapture
//!
//! With `REGCHECK_SECRETS_REPORT=FILE` set, also writes each case's detected kinds (ids only, no
//! values) to FILE as JSON lines; tools/secrets-corpus/compare-detect-secrets.py reads it.
// Prints the corpus figures for `--nocapture`.
#![allow(clippy::disallowed_macros)]

use std::collections::BTreeSet;

use regcheck::secrets::{self, Detection, SecretKind};
use serde_json::Value;

const CORPUS: &str = include_str!("fixtures/secrets/corpus.jsonl");
const PLACES: [&str; 4] = ["env", "label", "history", "path"];

struct Case {
    id: String,
    place: String,
    expect: BTreeSet<String>,
    /// The scanned text (the one the spans point into) and what the detector found.
    text: String,
    found: Vec<Detection>,
}

fn field<'a>(v: &'a Value, key: &str, id: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("case {id}: `{key}` is missing or not a string"))
}

fn load() -> Vec<Case> {
    CORPUS
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| {
            let v: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("corpus line {}: {e}", n + 1));
            let id = field(&v, "id", "?").to_owned();
            let place = field(&v, "where", &id).to_owned();
            let expect: BTreeSet<String> = v["expect"]
                .as_array()
                .unwrap_or_else(|| panic!("case {id}: `expect` is not a list"))
                .iter()
                .map(|k| {
                    let k = k.as_str().expect("kind id");
                    assert!(SecretKind::from_id(k).is_some(), "case {id}: unknown kind {k}");
                    k.to_owned()
                })
                .collect();
            let (text, found) = match place.as_str() {
                "env" => {
                    let entry = field(&v, "entry", &id);
                    (entry.to_owned(), secrets::scan_env_entry(entry))
                }
                "label" => {
                    let value = field(&v, "value", &id);
                    (
                        value.to_owned(),
                        secrets::scan_label(field(&v, "name", &id), value),
                    )
                }
                "history" => {
                    let line = field(&v, "line", &id);
                    (line.to_owned(), secrets::scan_history_line(line))
                }
                "path" => {
                    let path = field(&v, "path", &id);
                    (
                        path.to_owned(),
                        secrets::scan_layer_path(path).into_iter().collect(),
                    )
                }
                other => panic!("case {id}: unknown place {other}"),
            };
            Case {
                id,
                place,
                expect,
                text,
                found,
            }
        })
        .collect()
}

impl Case {
    fn predicted(&self) -> BTreeSet<String> {
        self.found.iter().map(|d| d.kind.id().to_owned()).collect()
    }
}

#[derive(Default)]
struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
    tn: usize,
    kind_ok: usize,
}

impl Score {
    fn add(&mut self, case: &Case) {
        let predicted = case.predicted();
        match (!case.expect.is_empty(), !predicted.is_empty()) {
            (true, true) => {
                self.tp += 1;
                if predicted == case.expect {
                    self.kind_ok += 1;
                }
            }
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    fn ratio(num: usize, den: usize) -> f64 {
        if den == 0 { 1.0 } else { num as f64 / den as f64 }
    }
    fn precision(&self) -> f64 {
        Self::ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        Self::ratio(self.tp, self.tp + self.fn_)
    }
    fn kind_accuracy(&self) -> f64 {
        Self::ratio(self.kind_ok, self.tp)
    }
    fn row(&self, name: &str) -> String {
        format!(
            "{name:<8} {:>5} {:>4} {:>4} {:>4} {:>4}  {:>9.3} {:>6.3} {:>8.3}",
            self.tp + self.fp + self.fn_ + self.tn,
            self.tp,
            self.fp,
            self.fn_,
            self.tn,
            self.precision(),
            self.recall(),
            self.kind_accuracy()
        )
    }
}

#[test]
fn corpus_precision_and_recall() {
    let cases = load();
    let secrets = cases.iter().filter(|c| !c.expect.is_empty()).count();
    assert!(
        cases.len() >= 120,
        "the corpus needs at least 120 cases, has {}",
        cases.len()
    );
    assert!(
        secrets * 10 >= cases.len() * 4 && secrets * 10 <= cases.len() * 6,
        "the corpus should be about half secrets: {secrets} of {}",
        cases.len()
    );
    let mut ids = BTreeSet::new();
    for c in &cases {
        assert!(ids.insert(c.id.as_str()), "duplicate case id {}", c.id);
    }

    let mut total = Score::default();
    println!(
        "\nregcheck secret detector on {} corpus cases ({secrets} secrets)",
        cases.len()
    );
    println!("place    cases   tp   fp   fn   tn  precision recall kind-acc");
    for place in PLACES {
        let mut score = Score::default();
        for c in cases.iter().filter(|c| c.place == place) {
            score.add(c);
            total.add(c);
        }
        println!("{}", score.row(place));
    }
    println!("{}", total.row("all"));
    for c in &cases {
        let predicted = c.predicted();
        if predicted != c.expect {
            // Ids and kinds only: never the value.
            println!(
                "  mismatch {}: expected {:?}, detected {:?}",
                c.id, c.expect, predicted
            );
        }
    }

    if let Ok(path) = std::env::var("REGCHECK_SECRETS_REPORT") {
        let report: String = cases
            .iter()
            .map(|c| {
                let line = serde_json::json!({ "id": c.id, "where": c.place, "detected": c.predicted() });
                format!("{line}\n")
            })
            .collect();
        std::fs::write(&path, report).unwrap_or_else(|e| panic!("writing {path}: {e}"));
    }

    assert!(
        total.precision() >= 0.95,
        "precision {:.3} < 0.95",
        total.precision()
    );
    assert!(total.recall() >= 0.95, "recall {:.3} < 0.95", total.recall());
    assert!(
        total.kind_accuracy() >= 0.90,
        "kind accuracy {:.3} < 0.90",
        total.kind_accuracy()
    );
}

/// Public prefixes of token formats: the format's name, not part of the secret. (`github_pat_`
/// shares "thub" with the kind's name `GithubToken`.)
const PUBLIC_PREFIXES: &[&str] = &[
    "github_pat_",
    "gh",
    "glpat-",
    "npm_",
    "pypi-",
    "dckr_pat_",
    "xox",
    "sk_live_",
    "rk_live_",
];

/// Whether `output` contains any 4-character substring of `secret` (less its public prefix).
fn echoes(output: &str, secret: &str) -> bool {
    let secret = PUBLIC_PREFIXES
        .iter()
        .find_map(|p| secret.strip_prefix(p))
        .unwrap_or(secret);
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(4)
        .any(|w| output.contains(&w.iter().collect::<String>()))
}

#[test]
fn detections_never_echo_corpus_values() {
    for c in load().iter().filter(|c| c.place != "path") {
        for d in &c.found {
            let secret = c
                .text
                .get(d.span.clone())
                .unwrap_or_else(|| panic!("case {}: span {:?} outside the text", c.id, d.span));
            assert!(!secret.is_empty(), "case {}: empty span", c.id);
            for output in [format!("{d:?}"), d.to_string(), d.kind.description().to_owned()] {
                assert!(
                    !echoes(&output, secret),
                    "case {}: {output:?} repeats part of the secret",
                    c.id
                );
            }
            let redacted = secrets::redact(&c.text, &c.found);
            assert!(
                !redacted.contains(secret),
                "case {}: redaction left the secret",
                c.id
            );
        }
    }
}

/// Strings every image has (base-image history, common variables, OCI labels, an app file) are
/// not taken for secrets: a false positive here would be one on nearly every image of every
/// account. (How fast the scan is belongs to the benchmarks, `cargo run --release --example
/// bench-report`, where every load scans its file: not to a test with a clock.)
#[test]
fn ordinary_image_strings_are_not_taken_for_secrets() {
    let env = [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG=C.UTF-8",
        "NODE_VERSION=20.11.1",
        "YARN_VERSION=1.22.19",
        "HOME=/home/app",
        "JAVA_OPTS=-Xmx512m -XX:+UseContainerSupport",
    ];
    let history = [
        "/bin/sh -c #(nop) ADD file:4b03b5f551e3fbdf47ec609712007327828f7530cc3455c43bbcdcaf449a75a9 in / ",
        "/bin/sh -c #(nop)  CMD [\"bash\"]",
        "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends ca-certificates curl gnupg && rm -rf /var/lib/apt/lists/*",
        "|1 VERSION=1.4.2 /bin/sh -c make build && make install PREFIX=/usr/local",
        "COPY --chown=app:app . /app # buildkit",
        "/bin/sh -c #(nop)  ENV NODE_ENV=production PORT=8080",
    ];
    let labels = [
        ("maintainer", "team-shop"),
        ("org.opencontainers.image.source", "https://github.com/shop/api"),
        (
            "org.opencontainers.image.revision",
            "9f1c2b7e4d5a6b8c9d0e1f2a3b4c5d6e7f8a9b0c",
        ),
    ];
    for entry in env {
        assert_eq!(secrets::scan_env_entry(entry), [], "{entry}");
    }
    for line in history {
        assert_eq!(secrets::scan_history_line(line), [], "{line}");
    }
    for (name, value) in labels {
        assert_eq!(secrets::scan_label(name, value), [], "{name}={value}");
    }
    assert!(secrets::scan_layer_path("/app/server.js").is_none());
}
