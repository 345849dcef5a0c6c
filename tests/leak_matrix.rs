//! The leak matrix: each kind of secret × each place it can sit in the files regcheck reads ×
//! each way regcheck prints or writes, and no output may hold any 8-character piece of the
//! secret. Places that make the file invalid (a broken string, a key named like a token, a
//! malformed datetime, enum value or namespace name) go through the error paths (`validate`,
//! `audit` of an invalid file in every format, config errors); valid places go through every
//! `--format` on standard output, every `--report` file and `--write-baseline`; a custom policy
//! that fails on a label value goes through the rule-error paths.
//!
//! Every secret is fabricated here at run time from a fixed seed (no credential is written in
//! the source), and each cell must show its secret masked somewhere: a place that never reaches
//! an output would test nothing.

use std::path::Path;

#[path = "support/combined_output.rs"]
mod combined_output;
use combined_output::run;

#[path = "support/fake.rs"]
mod fake;
use fake::{b64url, fake};

const MASK: &str = "[REDACTED]";
const PIECE: usize = 8;

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const KEYCHARS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const UPPER_DIGITS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// One kind of secret: the secret itself, and a phrase (an assignment, a command line) in
/// which the detector recognises it wherever the phrase is put.
struct Kind {
    name: &'static str,
    /// What must never be printed.
    secret: String,
    /// The secret in context, as it sits in an env entry, a history line, a comment …
    phrase: String,
    /// A label holding it: name and value.
    label: (String, String),
}

fn kinds() -> Vec<Kind> {
    let ibm = fake(KEYCHARS, 44, 1);
    let aws = format!("AKIA{}", fake(UPPER_DIGITS, 16, 2));
    let github = format!("ghp_{}", fake(ALNUM, 36, 3));
    let jwt = format!(
        "{}.{}.{}",
        b64url(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64url(format!(r#"{{"sub":"svc-{}","exp":1900000000}}"#, fake(ALNUM, 10, 4)).as_bytes()),
        fake(KEYCHARS, 43, 5)
    );
    let key_body = fake(B64, 64, 6);
    let password = format!("{}9x{}", fake(ALNUM, 8, 7), fake(ALNUM, 8, 8));
    let named = format!("{}7Q{}", fake(ALNUM, 8, 9), fake(ALNUM, 6, 10));
    let login = fake(KEYCHARS, 30, 11);
    vec![
        Kind {
            name: "ibm-api-key",
            phrase: format!("IBMCLOUD_API_KEY={ibm}"),
            label: ("IBMCLOUD_API_KEY".into(), ibm.clone()),
            secret: ibm,
        },
        Kind {
            name: "aws",
            phrase: format!("AWS_ACCESS_KEY_ID={aws}"),
            label: ("backup.s3-key".into(), aws.clone()),
            secret: aws,
        },
        Kind {
            name: "github",
            phrase: format!("GH={github}"),
            label: ("ci.token".into(), github.clone()),
            secret: github,
        },
        Kind {
            name: "jwt",
            phrase: format!("SESSION={jwt}"),
            label: ("auth.bootstrap".into(), jwt.clone()),
            secret: jwt,
        },
        Kind {
            name: "private-key",
            phrase: format!("TLS_KEY=-----BEGIN OPENSSH PRIVATE KEY----- {key_body}"),
            label: (
                "signing.key".into(),
                format!("-----BEGIN OPENSSH PRIVATE KEY----- {key_body}"),
            ),
            secret: key_body,
        },
        Kind {
            name: "url-password",
            phrase: format!("DATABASE_URL=postgres://app:{password}@db.internal:5432/app"),
            label: (
                "org.opencontainers.image.source".into(),
                format!("https://ci:{password}@git.internal/shop/api.git"),
            ),
            secret: password,
        },
        Kind {
            name: "secret-named",
            phrase: format!("DB_PASSWORD={named}"),
            label: ("com.shop.db-password".into(), named.clone()),
            secret: named,
        },
        Kind {
            name: "ibmcloud-login",
            phrase: format!("ibmcloud login --apikey {login} -r us-south"),
            label: (
                "boot.cmd".into(),
                format!("ibmcloud login --apikey {login} -r us-south"),
            ),
            secret: login,
        },
    ]
}

fn toml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

const HEAD: &str = "schema_version = 1\n[account]\nid = \"acc-leak\"\n";

/// The rest of a valid account after `[account]`'s `id` (and `name`, when a place sets it).
fn body(image_extra: &str) -> String {
    format!(
        "captured_at = 2026-11-25T00:00:00Z\n\n[[registries]]\nregion = \"us-south\"\n\n[[namespaces]]\nname = \"shop-prod\"\nregion = \"us-south\"\ncriticality = \"production\"\n\n[[images]]\nref = \"us.icr.io/shop-prod/api:1.0.0\"\ncreated = 2026-11-01T00:00:00Z\n{image_extra}"
    )
}

/// The valid account holding the secret in every place a valid file can hold it.
fn valid_account(kind: &Kind) -> String {
    let phrase = toml_string(&kind.phrase);
    format!(
        "{HEAD}name = {phrase}\n# comment: {}\n{}",
        kind.phrase,
        body(&format!(
            "env = [{phrase}]\nhistory = [{}]\nlayer_paths = [{}]\nlabels = {{ {} = {}, note = {phrase} }}\n",
            toml_string(&format!("/bin/sh -c {} ./run.sh", kind.phrase)),
            toml_string(&format!("/tmp/{}/.env", kind.phrase)),
            toml_string(&kind.label.0),
            toml_string(&kind.label.1),
        ))
    )
}

/// Invalid accounts, one per place that makes a file invalid.
fn invalid_accounts(kind: &Kind) -> Vec<(&'static str, String)> {
    let phrase = toml_string(&kind.phrase);
    vec![
        (
            "broken-string",
            format!("{HEAD}{}env = [\"A=1\", {}\", \"B=2\"]\n", body(""), kind.phrase),
        ),
        ("key-name", format!("{HEAD}{phrase} = 1\n{}", body(""))),
        (
            "datetime",
            format!("{HEAD}{}", body("")).replace(
                "captured_at = 2026-11-25T00:00:00Z",
                &format!("captured_at = {phrase}"),
            ),
        ),
        (
            "enum",
            format!("{HEAD}{}", body("")).replace(
                "region = \"us-south\"\n\n[[namespaces]]",
                &format!("region = \"us-south\"\nplan = {phrase}\n\n[[namespaces]]"),
            ),
        ),
        (
            "namespace",
            format!(
                "{HEAD}{}\n[[namespaces]]\nname = {phrase}\nregion = \"us-south\"\n",
                body("")
            ),
        ),
    ]
}

/// A config whose expired waiver's reason holds the secret (it matches every finding).
fn waiver_config(kind: &Kind) -> String {
    format!(
        "[[waivers]]\nrule = \"ICR-*\"\nreason = {}\nexpires = 2026-01-01\n",
        toml_string(&kind.phrase)
    )
}

/// A config that is invalid where it quotes the secret.
fn bad_config(kind: &Kind) -> String {
    format!("fail_on = {}\n", toml_string(&kind.phrase))
}

/// A custom policy that fails to evaluate on the `note` label, quoting it in its error.
const FAILING_POLICY: &str = r#"id = "LEAK-RULE-001"
title = "Fails on the note label"
severity = "low"
responsibility = "LEAK"
for_each = "$.images[*]"
assert = "region_domain(item.labels.note) != ''"
subject = "image:{item.ref}"
message = "image {item.ref}"

[docs]
summary = "Fails to evaluate."
rationale = "A rule error must not print the value it failed on."
remediation = "None."
references = ["https://example.com"]
"#;

/// Every 8-character piece of `secret` (all of them: the secrets here are random).
fn pieces(secret: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars.windows(PIECE).map(|w| w.iter().collect()).collect()
}

fn assert_no_piece(what: &str, output: &str, secret: &str) {
    for piece in pieces(secret) {
        assert!(
            !output.contains(&piece),
            "{what} holds `{piece}`, a piece of the secret:\n{}",
            excerpt_around(output, &piece)
        );
    }
}

fn excerpt_around(output: &str, piece: &str) -> String {
    let at = output.find(piece).unwrap_or(0);
    // Character boundaries by hand: `floor_char_boundary` is newer than the crate's MSRV.
    let mut start = at.saturating_sub(200);
    while !output.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + 200).min(output.len());
    while !output.is_char_boundary(end) {
        end += 1;
    }
    output[start..end].to_owned()
}

const FORMATS: [&str; 8] = [
    "human", "concise", "json", "sarif", "junit", "markdown", "github", "html",
];

/// Every output of one cell, named, for the checks.
type Outputs = Vec<(String, String)>;

/// The valid places: every format on standard output, every report file, the baseline, the
/// waiver reason (config) and a rule error (custom policy).
fn valid_cell(kind: &Kind, dir: &Path) -> Outputs {
    std::fs::write(dir.join("account.toml"), valid_account(kind)).unwrap();
    std::fs::write(dir.join("regcheck.toml"), waiver_config(kind)).unwrap();
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    std::fs::write(dir.join("policies/LEAK-RULE-001.toml"), FAILING_POLICY).unwrap();
    let audit = [
        "audit",
        "account.toml",
        "--as-of",
        "2026-11-26",
        "--policies",
        "policies",
    ];
    let mut outputs = Outputs::new();
    for format in FORMATS {
        let mut args = audit.to_vec();
        args.extend(["--format", format]);
        outputs.push((format!("audit --format {format}"), run(dir, &args)));
    }
    let mut args = audit.to_vec();
    let reports: Vec<String> = FORMATS.iter().map(|f| format!("{f}=report.{f}")).collect();
    for report in &reports {
        args.extend(["--report", report.as_str()]);
    }
    args.extend(["--write-baseline", "baseline.json"]);
    outputs.push(("audit with report files".into(), run(dir, &args)));
    for format in FORMATS {
        let file = format!("report.{format}");
        outputs.push((
            format!("--report {file}"),
            std::fs::read_to_string(dir.join(&file)).unwrap(),
        ));
    }
    outputs.push((
        "--write-baseline".into(),
        std::fs::read_to_string(dir.join("baseline.json")).unwrap(),
    ));
    // The baseline is read back (it is a file regcheck reads too).
    outputs.push((
        "audit --baseline".into(),
        run(
            dir,
            &[
                "audit",
                "account.toml",
                "--as-of",
                "2026-11-26",
                "--baseline",
                "baseline.json",
            ],
        ),
    ));
    outputs.push((
        "responsibilities".into(),
        run(
            dir,
            &[
                "responsibilities",
                "account.toml",
                "--as-of",
                "2026-11-26",
                "--format",
                "markdown",
            ],
        ),
    ));
    // `diff` from another account: every finding of this one is new, in every diff format.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/compliant.toml"),
        dir.join("before.toml"),
    )
    .unwrap();
    for format in ["human", "json", "markdown"] {
        outputs.push((
            format!("diff --format {format}"),
            run(
                dir,
                &[
                    "diff",
                    "before.toml",
                    "account.toml",
                    "--as-of",
                    "2026-11-26",
                    "--policies",
                    "policies",
                    "--format",
                    format,
                ],
            ),
        ));
    }
    std::fs::write(dir.join("regcheck.toml"), bad_config(kind)).unwrap();
    outputs.push(("config error".into(), run(dir, &audit)));
    std::fs::remove_file(dir.join("regcheck.toml")).unwrap();
    outputs
}

/// One invalid place: `validate`, and an audit of the file in every format at once.
fn invalid_cell(account: &str, dir: &Path) -> Outputs {
    std::fs::write(dir.join("bad.toml"), account).unwrap();
    let mut outputs = vec![("validate".to_owned(), run(dir, &["validate", "bad.toml"]))];
    let mut args = vec!["audit", "bad.toml", "--as-of", "2026-11-26", "--format", "human"];
    let reports: Vec<String> = FORMATS.iter().map(|f| format!("{f}=bad-report.{f}")).collect();
    for report in &reports {
        args.extend(["--report", report.as_str()]);
    }
    outputs.push(("audit of an invalid file".into(), run(dir, &args)));
    for format in FORMATS {
        let file = format!("bad-report.{format}");
        outputs.push((
            format!("--report {file}"),
            std::fs::read_to_string(dir.join(&file)).unwrap(),
        ));
    }
    outputs
}

fn check_cell(kind: &Kind, place: &str, outputs: &Outputs) {
    for (what, output) in outputs {
        assert_no_piece(&format!("{} in {place}: {what}", kind.name), output, &kind.secret);
    }
    assert!(
        outputs.iter().any(|(_, output)| output.contains(MASK)),
        "{} in {place}: no output shows the secret masked, so the cell tests nothing",
        kind.name
    );
}

fn matrix_for(kind_name: &str) {
    let kinds = kinds();
    let kind = kinds.iter().find(|k| k.name == kind_name).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The inputs hold the secret: the check would catch it.
    let account = valid_account(kind);
    assert!(account.contains(&kind.secret));
    let valid = valid_cell(kind, dir.path());
    check_cell(kind, "valid places", &valid);
    // The rule error, the expired waiver's reason and the config error were printed.
    for witness in [
        "rule LEAK-RULE-001 could not be evaluated",
        "waiver expired 2026-01-01",
        // "could not be used" or "is invalid", by the kind of problem.
        "error: the config file ",
    ] {
        assert!(
            valid.iter().any(|(_, output)| output.contains(witness)),
            "{}: no output shows `{witness}`",
            kind.name
        );
    }
    for (place, account) in invalid_accounts(kind) {
        assert!(account.contains(&kind.secret), "{place}");
        check_cell(kind, place, &invalid_cell(&account, dir.path()));
    }
}

#[test]
fn ibm_api_key() {
    matrix_for("ibm-api-key");
}

#[test]
fn aws() {
    matrix_for("aws");
}

#[test]
fn github() {
    matrix_for("github");
}

#[test]
fn jwt() {
    matrix_for("jwt");
}

#[test]
fn private_key() {
    matrix_for("private-key");
}

#[test]
fn url_password() {
    matrix_for("url-password");
}

#[test]
fn secret_named() {
    matrix_for("secret-named");
}

#[test]
fn ibmcloud_login() {
    matrix_for("ibmcloud-login");
}

#[test]
fn every_kind_is_in_the_matrix_and_is_detected() {
    let names: Vec<&str> = kinds().iter().map(|k| k.name).collect();
    assert_eq!(
        names,
        [
            "ibm-api-key",
            "aws",
            "github",
            "jwt",
            "private-key",
            "url-password",
            "secret-named",
            "ibmcloud-login"
        ]
    );
    for kind in kinds() {
        let found = regcheck::secrets::scan_env_entry(&kind.phrase);
        assert!(
            found
                .iter()
                .any(|d| kind.phrase[d.span.clone()].contains(&kind.secret)),
            "{}: {:?}",
            kind.name,
            found
        );
        let found = regcheck::secrets::scan_label(&kind.label.0, &kind.label.1);
        assert!(!found.is_empty(), "{} as a label", kind.name);
    }
}

#[test]
fn the_check_fails_on_a_leak() {
    let kind = &kinds()[0];
    let leaked = format!("error: unknown key `{}`", kind.secret);
    let caught = std::panic::catch_unwind(|| assert_no_piece("a leaking output", &leaked, &kind.secret));
    assert!(caught.is_err(), "the check finds the secret in a leaking output");
    // … and a piece of it, as a clipped line would show.
    let clipped = format!("…{}…", &kind.secret[10..20]);
    let caught = std::panic::catch_unwind(|| assert_no_piece("a clipped output", &clipped, &kind.secret));
    assert!(caught.is_err(), "the check finds an 8-character piece");
}

/// The words every format prints as structure are reserved: a secret-named value equal to one
/// (`message`, `failure`) is not masked in every output, where it would break the report.
#[test]
fn structural_words_of_every_format_are_reserved() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut output = String::new();
    for format in FORMATS {
        output.push_str(&run(
            root,
            &[
                "audit",
                "examples/account.toml",
                "tests/fixtures/invalid/wrong-type.toml",
                "--as-of",
                "2026-11-26",
                "--format",
                format,
            ],
        ));
    }
    let words = |pattern: &str| -> Vec<String> {
        let pattern = regex::Regex::new(pattern).unwrap();
        pattern.captures_iter(&output).map(|c| c[1].to_owned()).collect()
    };
    let mut structural = Vec::new();
    structural.extend(words(r#""([A-Za-z_]+)":"#)); // JSON keys
    structural.extend(words(r"</?([A-Za-z_]+)")); // XML elements
    structural.extend(words(r#" ([A-Za-z_]+)=""#)); // XML attributes
    structural.extend(words(
        r#""(?:status|severity|level|kind|columnKind)": "([A-Za-z_]+)""#,
    ));
    structural.extend(words(r"^::([a-z]+) ")); // workflow commands
    let reserved = regcheck::secrets::registry::RESERVED;
    let missing: std::collections::BTreeSet<String> = structural
        .into_iter()
        .filter(|word| word.len() >= regcheck::secrets::registry::MIN_MASKED)
        .filter(|word| !reserved.contains(&word.as_str()))
        .collect();
    // Words from the rules' own texts (TOML examples in help) are not structure.
    let prose = [
        "password",
        "namespace",
        "logdna",
        "policy",
        "replica",
        "resource",
        "service",
        "target",
    ];
    let missing: Vec<&String> = missing.iter().filter(|w| !prose.contains(&w.as_str())).collect();
    assert!(
        missing.is_empty(),
        "add to secrets::registry::RESERVED: {missing:?}"
    );
}

/// Reports are written account by account, as each is audited. A value that is a secret in a
/// later file (where a detector sees it, in a secret-named variable) must be masked in an earlier
/// file's output too, where it sits in a place no detector looks at (here an unknown plan, which
/// the load error quotes). The later file is far enough down the folder that it is not yet read
/// when the first one is reported.
#[test]
fn a_secret_of_a_later_file_is_masked_in_an_earlier_files_output() {
    let secret = fake(ALNUM, 24, 4242);
    let dir = tempfile::tempdir().unwrap();
    let accounts = dir.path().join("accounts");
    std::fs::create_dir(&accounts).unwrap();
    let first = format!("{HEAD}{}", body("")).replace(
        "region = \"us-south\"\n\n[[namespaces]]",
        &format!(
            "region = \"us-south\"\nplan = {}\n\n[[namespaces]]",
            toml_string(&secret)
        ),
    );
    std::fs::write(accounts.join("a-first.toml"), first).unwrap();
    for at in 0..12 {
        std::fs::write(
            accounts.join(format!("m-{at:02}.toml")),
            format!("{HEAD}{}", body("")),
        )
        .unwrap();
    }
    let last = format!(
        "{HEAD}{}",
        body(&format!(
            "env = [{}]\n",
            toml_string(&format!("DB_PASSWORD={secret}"))
        ))
    );
    std::fs::write(accounts.join("z-last.toml"), last).unwrap();
    for format in ["human", "concise", "json"] {
        let output = run(
            dir.path(),
            &["audit", "accounts", "--as-of", "2026-11-26", "--format", format],
        );
        assert!(
            output.contains("plan"),
            "{format}: the first file's error is shown:\n{output}"
        );
        assert!(
            output.contains(MASK),
            "{format}: the value is masked, not left out:\n{output}"
        );
        assert_no_piece(format, &output, &secret);
    }
}

/// A custom policy whose message quotes a secret-named label: only the redaction point stands
/// between the value and the output.
const QUOTING_POLICY: &str = r#"id = "LEAK-RULE-002"
title = "Quotes the api_token label"
severity = "low"
responsibility = "LEAK"
for_each = "$.images[*]"
assert = "false"
subject = "image:{item.ref}"
message = "image {item.ref} has api_token {item.labels.api_token}"

[docs]
summary = "Fails on every image, quoting a label."
rationale = "A message may quote anything of the account; the output must not."
remediation = "None."
references = ["https://example.com"]
"#;

#[test]
fn a_report_written_in_large_pieces_is_masked_line_by_line() {
    // Standard output goes out in pieces of whole lines; a report larger than its buffer
    // (64 KiB) is written from where it was made, in parts of 256 results: the secret must be
    // masked in every line of every part.
    let secret = fake(ALNUM, 40, 0x1a2e);
    let dir = tempfile::tempdir().unwrap();
    let mut account = format!("{HEAD}{}", body(""));
    account.push_str(&format!("labels = {{ api_token = {} }}\n", toml_string(&secret)));
    for at in 0..600 {
        account.push_str(&format!(
            "\n[[images]]\nref = \"us.icr.io/shop-prod/app-{at:03}:1.0.0\"\ncreated = 2026-11-01T00:00:00Z\nlabels = {{ api_token = {} }}\n",
            toml_string(&secret)
        ));
    }
    std::fs::write(dir.path().join("account.toml"), account).unwrap();
    std::fs::create_dir_all(dir.path().join("policies")).unwrap();
    std::fs::write(dir.path().join("policies/LEAK-RULE-002.toml"), QUOTING_POLICY).unwrap();
    for format in ["sarif", "json", "human"] {
        let output = run(
            dir.path(),
            &[
                "audit",
                "account.toml",
                "--as-of",
                "2026-11-26",
                "--policies",
                "policies",
                "--rule",
                "LEAK-RULE-002",
                "--max-diagnostics",
                "all",
                "--format",
                format,
            ],
        );
        assert!(
            output.len() > 2 * 64 * 1024,
            "{format}: large enough to be written in pieces"
        );
        assert!(
            output.matches(&format!("has api_token {MASK}")).count() >= 600,
            "{format}: every message quotes the value, masked"
        );
        assert_no_piece(format, &output, &secret);
    }
}
