//! Bad input: every fixture in `tests/fixtures/invalid/` is loaded through the library and every
//! reported problem is checked for its exact line, column, underlined text, message, label and
//! help. Also: the valid fixtures load and normalise aliases, and no input (truncated, mutated or
//! random bytes) makes the loader panic.
//!
//! Cases that a known bug in `src/` makes wrong live in `KNOWN_BUGS` and are checked by their own
//! test, `known_src_bugs`, which fails loudly until the bug is fixed; then move them to `CASES`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use regcheck::account::model::{
    Access, Criticality, Enforcement, Plan, TargetType, Timestamp, VaStatus, WriteStatus,
};
use regcheck::account::{self, LoadError, LoadedAccount};
use regcheck::diagnostic::FileDiagnostic;
use regcheck::report::human::{Style, render_diagnostic};

// ---------------------------------------------------------------------------------------------
// Expectations

/// One expected problem: where it is, what it underlines and what it says.
#[derive(Debug, Clone, Copy)]
struct Expect {
    line: usize,
    column: usize,
    /// The exact text of the span (lossy for bytes that are not UTF-8).
    underlined: &'static str,
    /// A substring of `problem.message`.
    message: &'static str,
    /// A substring of the label; `None` leaves the label unchecked.
    label: Option<&'static str>,
    /// A substring of the help; `None` means there must be no help.
    help: Option<&'static str>,
}

const fn at(line: usize, column: usize, underlined: &'static str, message: &'static str) -> Expect {
    Expect {
        line,
        column,
        underlined,
        message,
        label: None,
        help: None,
    }
}

impl Expect {
    const fn label(self, label: &'static str) -> Self {
        Self {
            label: Some(label),
            ..self
        }
    }

    const fn help(self, help: &'static str) -> Self {
        Self {
            help: Some(help),
            ..self
        }
    }
}

struct Case {
    /// File name in `tests/fixtures/invalid/`.
    file: &'static str,
    /// Every problem the file must report, in file order.
    expect: &'static [Expect],
}

const HEADER_REGISTRIES: &str = "[[registries]]";

/// Every invalid fixture and all of its problems.
const CASES: &[Case] = &[
    // --- TOML syntax -------------------------------------------------------------------------
    Case {
        file: "syntax-error.toml",
        expect: &[at(9, 8, "standard", "TOML syntax error: string values must be quoted").label("here")],
    },
    Case {
        // Only the first syntax error: what follows one is often a cascade of errors the
        // parser's recovery invents (one missing quote can make every later line wrong).
        file: "syntax-errors-several.toml",
        expect: &[at(5, 1, "id", "TOML syntax error: duplicate key")],
    },
    // --- unknown keys ------------------------------------------------------------------------
    Case {
        // `regoin` for `region`: the typo is unknown and `region` is then missing.
        file: "unknown-key.toml",
        expect: &[
            at(7, 1, HEADER_REGISTRIES, "missing required key `region` in [[registries]]")
                .label("this table needs `region`"),
            at(8, 1, "regoin", "unknown key `regoin` in [[registries]]")
                .label("not a known key")
                .help("did you mean `region`?"),
        ],
    },
    Case {
        file: "unknown-key-top-level.toml",
        expect: &[at(7, 3, "regsitries", "unknown key `regsitries` in the account file")
            .help("did you mean `registries`?")],
    },
    // --- wrong types -------------------------------------------------------------------------
    Case {
        file: "wrong-type.toml",
        expect: &[at(9, 16, "\"yes\"", "wrong type: expected a boolean (true or false), found a string")
            .label("expected a boolean")],
    },
    Case {
        file: "wrong-type-table-for-array.toml",
        expect: &[at(7, 1, "[registries]", "wrong type: expected an array, found a table")],
    },
    // --- enum values -------------------------------------------------------------------------
    Case {
        file: "bad-enum.toml",
        expect: &[at(9, 8, "\"premium\"", "invalid plan `premium`").label("expected one of: free, standard")],
    },
    Case {
        file: "bad-enum-typo.toml",
        expect: &[at(9, 8, "\"standrad\"", "invalid plan `standrad`")
            .label("expected one of: free, standard")
            .help("did you mean `standard`?")],
    },
    // --- counts and sizes --------------------------------------------------------------------
    Case {
        // `images_per_repo = -1` (keep every image) is the one negative allowed.
        file: "negative-counts.toml",
        expect: &[
            at(9, 54, "-310", "negative count -310").label("counts and sizes are 0 or more"),
            at(14, 63, "-1", "negative count -1").label("counts and sizes are 0 or more"),
            at(19, 33, "-2", "negative count -2")
                .label("images_per_repo is 0 or more, or -1 to keep every image"),
            at(23, 15, "-3", "negative count -3").label("counts and sizes are 0 or more"),
            at(24, 19, "-1", "negative count -1").label("counts and sizes are 0 or more"),
            at(25, 28, "-1", "negative count -1").label("counts and sizes are 0 or more"),
        ],
    },
    // --- regions and names -------------------------------------------------------------------
    Case {
        file: "bad-region.toml",
        expect: &[at(8, 10, "\"us-east\"", "unknown registry region `us-east`")
            .label("not a Container Registry region")
            .help("regions: global, au-syd, br-sao, ca-mon, ca-tor, eu-de, eu-es, eu-gb, in-che, in-mum, jp-osa, jp-tok, us-south")],
    },
    Case {
        file: "bad-namespace-name.toml",
        expect: &[at(11, 8, "\"Shop_Prod\"", "invalid namespace name `Shop_Prod`")
            .help("4 to 30 characters of a-z, 0-9, `-` and `_`")],
    },
    // --- times -------------------------------------------------------------------------------
    Case {
        file: "bad-datetime-local.toml",
        expect: &[at(5, 15, "2026-11-25T06:00:00", "invalid datetime `2026-11-25T06:00:00`")
            .label("a datetime needs an offset")
            .help("add `Z` for UTC")],
    },
    Case {
        file: "bad-datetime-malformed.toml",
        expect: &[at(5, 15, "\"25/11/2026 06:00\"", "invalid datetime `25/11/2026 06:00`")
            .label("not an RFC 3339 datetime or date")
            .help("write 2026-11-20T06:00:00Z or 2026-11-20")],
    },
    // --- missing keys: on the table's header line, or line 1 for the top level ---------------
    Case {
        file: "missing-required-key.toml",
        expect: &[at(10, 1, "[[namespaces]]", "missing required key `region` in [[namespaces]]")
            .label("this table needs `region`")],
    },
    Case {
        file: "missing-required-key-nested.toml",
        expect: &[
            at(
                13,
                14,
                "{ namespace = \"shop-prod\", digests_verified = true }",
                "missing required key `region` in a replica",
            ),
            at(15, 1, "[[iam.api_keys]]", "missing required key `id` in [[iam.api_keys]]"),
        ],
    },
    Case {
        file: "missing-schema-version.toml",
        expect: &[at(1, 1, "#", "missing required key `schema_version` in the account file")
            .label("this table needs `schema_version`")],
    },
    Case {
        file: "missing-account.toml",
        expect: &[at(1, 1, "s", "missing required key `account` in the account file")],
    },
    Case {
        file: "unsupported-schema-version.toml",
        expect: &[at(1, 18, "2", "unsupported schema_version 2")
            .label("this regcheck reads schema_version = 1")
            .help("set `schema_version = 1`")],
    },
    // --- broken references (underline the key, like findings do) -----------------------------
    Case {
        file: "ref-namespace-region.toml",
        expect: &[at(12, 10, r#""eu-gb""#, "namespace `shop-prod` is in region `eu-gb`, which has no [[registries]] entry")
            .help("add [[registries]] with region = \"eu-gb\"")],
    },
    Case {
        file: "ref-image-namespace.toml",
        expect: &[at(15, 7, r#""us.icr.io/shop-prd/api:1.4.2""#, "image namespace `shop-prd` is not a declared namespace in `us-south`")
            .help("did you mean `shop-prod`?")],
    },
    Case {
        file: "ref-image-domain.toml",
        expect: &[at(15, 7, r#""docker.io/shop-prod/api:1.4.2""#, "`docker.io` is not an IBM Cloud Container Registry domain")
            .help("registry domains are icr.io, us.icr.io")],
    },
    Case {
        file: "ref-image-registry.toml",
        expect: &[at(15, 7, r#""de.icr.io/shop-prod/api:1.4.2""#, "image is in registry `eu-de` (de.icr.io), which has no [[registries]] entry")
            .help("add [[registries]] with region = \"eu-de\"")],
    },
    Case {
        file: "ref-image-malformed.toml",
        expect: &[at(15, 7, r#""us.icr.io/shop-prod""#, "invalid image reference `us.icr.io/shop-prod`")
            .label("expected domain/namespace/repository[:tag][@digest]")
            .help("for example us.icr.io/shop-prod/api:1.4.2")],
    },
    Case {
        file: "ref-automation-identity.toml",
        expect: &[at(9, 12, r#""ServiceId-9f8e7d6c""#, "automation identity `ServiceId-9f8e7d6c` is not declared in iam.service_ids")
            .help("add [[iam.service_ids]] with id = \"ServiceId-9f8e7d6c\"")],
    },
    Case {
        file: "ref-api-key-owner.toml",
        expect: &[at(13, 9, r#""ServiceId-9f8e7d6d""#, "API key owner `ServiceId-9f8e7d6d` is not declared in iam.service_ids")
            .help("did you mean `ServiceId-9f8e7d6c`?")],
    },
    Case {
        // Both forms: a bare name and `region/name`; the third entry is declared and fine.
        file: "ref-automation-namespace.toml",
        expect: &[
            at(21, 15, "\"shop-prd\"", "automation `prod-clusters` names namespace `shop-prd`, which is not declared")
                .help("did you mean `shop-prod`?"),
            at(21, 27, "\"eu-gb/shop-prod\"", "automation `prod-clusters` names namespace `eu-gb/shop-prod`, which is not declared"),
        ],
    },
    // --- duplicates --------------------------------------------------------------------------
    Case {
        file: "duplicate-namespace.toml",
        expect: &[at(15, 8, r#""shop-prod""#, "duplicate namespace `shop-prod` in region `us-south`")
            .label("declared twice in this region")
            .help("namespace names are unique within a region")],
    },
    Case {
        file: "duplicate-registry.toml",
        expect: &[at(12, 10, r#""us-south""#, "duplicate registry `us-south`")
            .label("this region is already declared")
            .help("declare each registry region once")],
    },
    // --- not TOML at all ---------------------------------------------------------------------
    Case {
        file: "empty.toml",
        expect: &[at(1, 1, "", "the account file is empty").help("an account file needs at least `schema_version = 1`")],
    },
    Case {
        file: "binary-garbage.toml",
        expect: &[at(1, 8, "\0", "the file contains a NUL byte: it is binary, not TOML").label("NUL byte")],
    },
    Case {
        file: "invalid-utf8.toml",
        expect: &[at(5, 12, "\u{FFFD}", "the file is not valid UTF-8")
            .label("invalid byte sequence here")
            .help("TOML files must be UTF-8 text")],
    },
    // --- several problems: all reported together, in file order -------------------------------
    Case {
        file: "multiple-problems.toml",
        expect: &[
            at(5, 15, "2026-11-25T06:00:00", "invalid datetime `2026-11-25T06:00:00`").help("add `Z` for UTC"),
            at(9, 8, "\"premium\"", "invalid plan `premium`"),
            at(10, 16, "\"yes\"", "wrong type: expected a boolean (true or false), found a string"),
            at(15, 1, "critcality", "unknown key `critcality` in [[namespaces]]").help("did you mean `criticality`?"),
            at(19, 13, "\"broken\"", "invalid va_status `broken`")
                .label("expected one of: ok, issues, unsupported_os, scanning, incomplete, unscanned"),
            at(20, 25, "1", "wrong type: expected a string, found an integer"),
        ],
    },
    Case {
        // Columns count characters: `ö` and `ß` are one column each though two bytes.
        // (The CLI's miette header counts bytes here: see tests/cmd/validate-bug-non-ascii-column.)
        file: "non-ascii-column.toml",
        expect: &[
            at(10, 11, "\"größe\"", "unknown key `größe` in quota")
                .help("known keys: storage_limit_mb, storage_used_mb, traffic_limit_mb, traffic_used_mb"),
            at(10, 46, "\"2048\"", "wrong type: expected an integer, found a string"),
        ],
    },    // A byte-order mark is not a column: the problem is at 1:1 as an editor shows it.
    Case {
        file: "bom-missing-schema-version.toml",
        expect: &[at(1, 1, "[", "missing required key `schema_version` in the account file")
            .label("this table needs `schema_version`")],
    },
    // Reference checks run once every section has read cleanly (a failed section could make
    // any reference look broken), so only the type error is reported here.
    Case {
        file: "mixed-read-and-reference.toml",
        expect: &[at(9, 16, "\"yes\"", "wrong type: expected a boolean (true or false), found a string")],
    },
];

/// Cases that a bug in `src/` makes wrong today. Each states the correct behaviour; the test
/// `known_src_bugs` fails while any of them does not hold.
const KNOWN_BUGS: &[(Case, &str)] = &[];

// ---------------------------------------------------------------------------------------------
// Helpers

fn fixture(dir: &str, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join(file)
}

/// Loads a file as the CLI does, turning a panic into an `Err` with its message.
fn load(path: &Path, name: &str) -> Result<Result<LoadedAccount, LoadError>, String> {
    catch_unwind(AssertUnwindSafe(|| account::load_path(path, name))).map_err(panic_message)
}

fn load_bytes(name: &str, bytes: Vec<u8>) -> Result<Result<LoadedAccount, LoadError>, String> {
    catch_unwind(AssertUnwindSafe(|| account::load_bytes(name, bytes))).map_err(panic_message)
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

fn underlined(diagnostic: &FileDiagnostic) -> String {
    let bytes = diagnostic.source.text.as_bytes();
    let span = &diagnostic.problem.span;
    String::from_utf8_lossy(&bytes[span.start..span.end]).into_owned()
}

/// A one-line description of a diagnostic, for failure messages.
fn describe(diagnostic: &FileDiagnostic) -> String {
    let (line, column) = diagnostic.source.line_col(diagnostic.problem.span.start);
    format!(
        "{line}:{column} {:?} {:?} label={:?} help={:?}",
        underlined(diagnostic),
        diagnostic.problem.message,
        diagnostic.problem.label,
        diagnostic.problem.help
    )
}

/// Invariants every diagnostic must keep, whatever the input: a span inside the text, the file
/// name attached, and a rendering that does not panic and names the file.
fn check_invariants(name: &str, diagnostic: &FileDiagnostic) -> Result<(), String> {
    let span = &diagnostic.problem.span;
    let len = diagnostic.source.text.len();
    if span.start > span.end || span.end > len {
        return Err(format!("span {span:?} outside the text of {len} bytes"));
    }
    if diagnostic.source.name != name {
        return Err(format!(
            "file name {:?}, expected {name:?}",
            diagnostic.source.name
        ));
    }
    if diagnostic.problem.message.trim().is_empty() {
        return Err("empty message".to_owned());
    }
    let style = Style {
        color: false,
        width: 100,
    };
    let rendered = catch_unwind(AssertUnwindSafe(|| render_diagnostic(style, diagnostic)))
        .map_err(|payload| format!("rendering panicked: {}", panic_message(payload)))?;
    // miette wraps long messages at the width, so look for their start only.
    let start: String = diagnostic.problem.message.chars().take(40).collect();
    if !rendered.contains(&start) {
        return Err(format!("rendering lacks the message: {rendered}"));
    }
    Ok(())
}

/// Compares what a fixture reports with what the case expects; `Err` lists every difference.
fn check_case(case: &Case) -> Result<(), String> {
    let path = fixture("invalid", case.file);
    let name = format!("tests/fixtures/invalid/{}", case.file);
    let error = match load(&path, &name) {
        Err(panic) => return Err(format!("the loader panicked: {panic}")),
        Ok(Ok(_)) => return Err("the file loaded, but it is invalid".to_owned()),
        Ok(Err(error)) => error,
    };
    let mut differences = Vec::new();
    for diagnostic in &error.diagnostics {
        if let Err(broken) = check_invariants(&name, diagnostic) {
            differences.push(format!("{}: {broken}", describe(diagnostic)));
        }
    }
    if error.diagnostics.len() != case.expect.len() {
        differences.push(format!(
            "{} problems reported, {} expected",
            error.diagnostics.len(),
            case.expect.len()
        ));
    }
    for (i, expect) in case.expect.iter().enumerate() {
        let Some(diagnostic) = error.diagnostics.get(i) else {
            differences.push(format!("problem {i} missing: expected {expect:?}"));
            continue;
        };
        let problem = &diagnostic.problem;
        let (line, column) = diagnostic.source.line_col(problem.span.start);
        let mut wrong = Vec::new();
        if (line, column) != (expect.line, expect.column) {
            wrong.push(format!(
                "at {line}:{column}, expected {}:{}",
                expect.line, expect.column
            ));
        }
        if underlined(diagnostic) != expect.underlined {
            wrong.push(format!(
                "underlines {:?}, expected {:?}",
                underlined(diagnostic),
                expect.underlined
            ));
        }
        if !problem.message.contains(expect.message) {
            wrong.push(format!(
                "message {:?} lacks {:?}",
                problem.message, expect.message
            ));
        }
        if let Some(label) = expect.label
            && !problem
                .label
                .as_deref()
                .is_some_and(|actual| actual.contains(label))
        {
            wrong.push(format!("label {:?} lacks {label:?}", problem.label));
        }
        match (expect.help, problem.help.as_deref()) {
            (None, None) => {}
            (Some(help), Some(actual)) if actual.contains(help) => {}
            (help, actual) => wrong.push(format!("help {actual:?}, expected {help:?}")),
        }
        if !wrong.is_empty() {
            differences.push(format!(
                "problem {i} ({}): {}",
                describe(diagnostic),
                wrong.join("; ")
            ));
        }
    }
    if differences.is_empty() {
        Ok(())
    } else {
        let all: Vec<String> = error.diagnostics.iter().map(describe).collect();
        Err(format!(
            "{}\n    reported:\n      {}",
            differences.join("\n    "),
            all.join("\n      ")
        ))
    }
}

fn fixture_names(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixture(dir, ""))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml"))
        .collect();
    names.sort();
    names
}

// ---------------------------------------------------------------------------------------------
// Invalid fixtures

#[test]
fn invalid_fixtures_report_exact_problems() {
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|case| {
            check_case(case)
                .err()
                .map(|why| format!("{}:\n    {why}", case.file))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn every_invalid_fixture_has_a_case() {
    let covered: Vec<&str> = CASES
        .iter()
        .chain(KNOWN_BUGS.iter().map(|(case, _)| case))
        .map(|case| case.file)
        .collect();
    let missing: Vec<String> = fixture_names("invalid")
        .into_iter()
        .filter(|name| !covered.contains(&name.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "fixtures without a case in load_errors.rs: {missing:?}"
    );
    for file in &covered {
        assert!(
            fixture("invalid", file).is_file(),
            "case names a missing fixture: {file}"
        );
    }
}

/// Fails while any known `src/` bug is present; each message says what is wrong.
#[test]
fn known_src_bugs() {
    let failures: Vec<String> = KNOWN_BUGS
        .iter()
        .filter_map(|(case, bug)| {
            check_case(case)
                .err()
                .map(|why| format!("{}: SRC BUG: {bug}\n    {why}", case.file))
        })
        .collect();
    // A file with a BOM that is otherwise valid must load, not panic.
    let mut failures = failures;
    match load(&fixture("valid", "bom.toml"), "bom.toml") {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => failures.push(format!(
            "valid/bom.toml: SRC BUG: a valid file with a BOM did not load: {:?}",
            error.diagnostics.iter().map(describe).collect::<Vec<_>>()
        )),
        Err(panic) => failures.push(format!(
            "valid/bom.toml: SRC BUG: a valid file with a UTF-8 BOM panics the loader: {panic}"
        )),
    }
    // A span must fall on character boundaries, or `&source.text[span]` panics in any consumer.
    if let Ok(Err(error)) = load(&fixture("invalid", "invalid-utf8.toml"), "invalid-utf8.toml") {
        let diagnostic = &error.diagnostics[0];
        let span = &diagnostic.problem.span;
        let text = &diagnostic.source.text;
        if !(text.is_char_boundary(span.start) && text.is_char_boundary(span.end)) {
            failures.push(format!(
                "invalid-utf8.toml: SRC BUG: the span {span:?} ends inside the U+FFFD that replaced the bad byte \
                 (account/mod.rs load_bytes uses valid_up_to..valid_up_to + 1; U+FFFD is 3 bytes)"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} known src bug(s) still present:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn unreadable_path_is_a_diagnostic_naming_the_file() {
    let path = fixture("invalid", "does-not-exist.toml");
    let error = load(&path, "does-not-exist.toml").unwrap().unwrap_err();
    assert_eq!(error.diagnostics.len(), 1);
    let diagnostic = &error.diagnostics[0];
    assert!(
        diagnostic
            .problem
            .message
            .starts_with("cannot read does-not-exist.toml: "),
        "{}",
        describe(diagnostic)
    );
    assert_eq!(diagnostic.source.line_col(diagnostic.problem.span.start), (1, 1));
    check_invariants("does-not-exist.toml", diagnostic).unwrap();

    let directory = fixture("invalid", "");
    let error = load(&directory, "invalid/").unwrap().unwrap_err();
    assert!(
        error.diagnostics[0]
            .problem
            .message
            .starts_with("cannot read invalid/: ")
    );
}

#[test]
fn first_problem_of_several_bad_bytes_is_the_first_bad_byte() {
    // Invalid UTF-8 on line 1 at column 1, then NUL bytes: the UTF-8 problem wins and is alone.
    let error = load_bytes("x.toml", b"\xff\xfe\0\0schema_version = 1\n".to_vec())
        .unwrap()
        .unwrap_err();
    assert_eq!(error.diagnostics.len(), 1);
    let diagnostic = &error.diagnostics[0];
    assert_eq!(diagnostic.problem.message, "the file is not valid UTF-8");
    assert_eq!(diagnostic.source.line_col(diagnostic.problem.span.start), (1, 1));
    check_invariants("x.toml", diagnostic).unwrap();

    // A NUL after valid text: the NUL's own line and column.
    let error = load_bytes(
        "y.toml",
        b"schema_version = 1\n\n[account]\nid = \"a\0b\"\n".to_vec(),
    )
    .unwrap()
    .unwrap_err();
    let diagnostic = &error.diagnostics[0];
    assert!(diagnostic.problem.message.contains("NUL byte"));
    assert_eq!(diagnostic.source.line_col(diagnostic.problem.span.start), (4, 8));
}

// ---------------------------------------------------------------------------------------------
// Valid fixtures

fn load_valid(file: &str) -> LoadedAccount {
    match load(&fixture("valid", file), file) {
        Ok(Ok(account)) => account,
        Ok(Err(error)) => panic!(
            "{file} did not load:\n  {}",
            error
                .diagnostics
                .iter()
                .map(describe)
                .collect::<Vec<_>>()
                .join("\n  ")
        ),
        Err(panic) => panic!("{file}: the loader panicked: {panic}"),
    }
}

fn utc(text: &str) -> Timestamp {
    Timestamp(DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc))
}

#[test]
fn same_namespace_name_in_two_regions_is_not_a_duplicate() {
    let account = load_valid("same-namespace-two-regions.toml").model;
    let pairs: Vec<(&str, &str)> = account
        .namespaces
        .iter()
        .map(|ns| (ns.region.as_str(), ns.name.as_str()))
        .collect();
    assert_eq!(pairs, [("us-south", "shop-prod"), ("eu-gb", "shop-prod")]);
}

#[test]
fn aliases_and_time_forms_are_normalised() {
    let loaded = load_valid("aliases.toml");
    let account = &loaded.model;

    assert_eq!(
        account.account.captured_at,
        utc("2026-11-25T06:00:00Z"),
        "RFC 3339 string with +01:00"
    );

    let plans: Vec<(&str, Option<Plan>)> = account
        .registries
        .iter()
        .map(|r| (r.region.as_str(), r.plan))
        .collect();
    assert_eq!(
        plans,
        [
            ("us-south", Some(Plan::Free)),
            ("eu-gb", Some(Plan::Standard)),
            ("jp-tok", Some(Plan::Free)),
            ("global", Some(Plan::Standard)),
        ]
    );

    let criticality: Vec<Criticality> = account.namespaces.iter().map(|ns| ns.criticality).collect();
    assert_eq!(criticality, [Criticality::Critical, Criticality::Production]);
    assert_eq!(
        account.namespaces[0].replicas[0].last_synced,
        Some(utc("2026-11-24T00:00:00Z")),
        "local date = midnight UTC"
    );

    let statuses: Vec<(&str, Option<VaStatus>)> = account
        .images
        .iter()
        .map(|image| (image.reference.as_str(), image.va_status))
        .collect();
    use VaStatus as V;
    assert_eq!(
        statuses,
        [
            ("us.icr.io/shop-prod/a:1", Some(V::Ok)),
            ("us.icr.io/shop-prod/b:1", Some(V::Ok)),
            ("us.icr.io/shop-prod/c:1", Some(V::Issues)),
            ("us.icr.io/shop-prod/d:1", Some(V::Issues)),
            ("us.icr.io/shop-prod/e:1", Some(V::Issues)),
            ("private.us.icr.io/shop-prod/f:1", Some(V::UnsupportedOs)),
            ("uk.icr.io/shop-prod/g:1", Some(V::UnsupportedOs)),
            ("uk.icr.io/shop-prod/h:1", Some(V::Scanning)),
            (
                "uk.icr.io/shop-prod/i@sha256:4f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a",
                Some(V::Incomplete)
            ),
            ("uk.icr.io/shop-prod/j:1", Some(V::Unscanned)),
            ("uk.icr.io/shop-prod/k:1", Some(V::Issues)),
        ]
    );
    // An alias sets the status only: counts come from issue_count, absent stays absent.
    let counts: Vec<Option<i64>> = account.images.iter().map(|image| image.issue_count).collect();
    assert_eq!(counts[..5], [None, None, Some(1), Some(2), Some(3)]);
    assert_eq!(counts[10], None, "`0 issues` gives no count");

    // Times: local date, RFC 3339 string, offset datetime, date string.
    let images = &account.images;
    assert_eq!(images[0].created, Some(utc("2026-10-01T00:00:00Z")));
    assert_eq!(images[0].va_checked_at, Some(utc("2026-11-25T05:50:00Z")));
    assert_eq!(
        images[1].created,
        Some(utc("2026-10-01T00:00:00Z")),
        "02:00+02:00 is midnight UTC"
    );
    assert_eq!(images[2].created, Some(utc("2026-10-01T00:00:00Z")));
    assert_eq!(images[3].created, None);

    let iam = account.iam.as_ref().unwrap();
    assert_eq!(
        iam.api_keys[0].created_at,
        Some(Timestamp(
            Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap() + chrono::Duration::milliseconds(500)
        ))
    );
    assert_eq!(iam.cbr_rules[0].enforcement, Some(Enforcement::Enabled));

    let access: Vec<Option<Access>> = account.automation.iter().map(|a| a.access).collect();
    assert_eq!(access, [Some(Access::Pull), Some(Access::Push)]);
    assert_eq!(account.automation[0].namespaces, ["shop-prod", "eu-gb/shop-prod"]);

    let at = account.activity_tracker.as_ref().unwrap();
    let targets: Vec<(TargetType, Option<WriteStatus>)> = at
        .targets
        .iter()
        .map(|t| (t.target_type, t.write_status))
        .collect();
    assert_eq!(
        targets,
        [
            (TargetType::CloudLogs, Some(WriteStatus::Success)),
            (TargetType::CloudObjectStorage, Some(WriteStatus::Failed)),
            (TargetType::EventStreams, None),
            (TargetType::AppConfig, None),
            (TargetType::Logdna, None),
        ]
    );
    assert_eq!(
        at.routes[0].rules[0].target_ids,
        ["t-deleted"],
        "an undeclared route target is not a load error"
    );
    assert_eq!(
        at.monitoring.as_ref().unwrap().last_review,
        Some(utc("2026-11-15T00:00:00Z"))
    );

    // Canonical spellings are what rules and reports see.
    let json = serde_json::to_value(account).unwrap();
    assert_eq!(json["registries"][0]["plan"], "free");
    assert_eq!(json["images"][6]["va_status"], "unsupported_os");
    assert_eq!(json["activity_tracker"]["targets"][0]["type"], "cloud_logs");
}

#[test]
fn the_example_account_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/account.toml");
    let loaded = load(&path, "examples/account.toml").unwrap();
    assert!(
        loaded.is_ok(),
        "{:?}",
        loaded
            .err()
            .map(|e| e.diagnostics.iter().map(describe).collect::<Vec<_>>())
    );
}

// ---------------------------------------------------------------------------------------------
// No input makes the loader panic

/// Loads bytes; a panic, or a failed load with no diagnostic or a broken one, is an `Err`.
fn survives(name: &str, bytes: Vec<u8>) -> Result<(), String> {
    match load_bytes(name, bytes) {
        Err(panic) => Err(format!("panicked: {panic}")),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) if error.diagnostics.is_empty() => Err("failed without a diagnostic".to_owned()),
        Ok(Err(error)) => error.diagnostics.iter().try_for_each(|diagnostic| {
            check_invariants(name, diagnostic).map_err(|why| format!("{}: {why}", describe(diagnostic)))
        }),
    }
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Bytes(u64);

impl Bytes {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn fill(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

fn valid_sources() -> Vec<(String, Vec<u8>)> {
    let mut sources: Vec<(String, Vec<u8>)> = fixture_names("valid")
        .into_iter()
        .filter(|name| name != "bom.toml") // known src bug; see known_src_bugs
        .map(|name| {
            let bytes = std::fs::read(fixture("valid", &name)).unwrap();
            (name, bytes)
        })
        .collect();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/account.toml");
    sources.push((
        "examples/account.toml".to_owned(),
        std::fs::read(example).unwrap(),
    ));
    sources
}

#[test]
fn random_binary_garbage_is_an_error_not_a_panic() {
    let mut generator = Bytes(0x9E37_79B9_7F4A_7C15);
    let mut failures = Vec::new();
    for round in 0..300 {
        let len = (generator.next() % 512) as usize;
        let bytes = generator.fill(len);
        let result = survives("garbage.toml", bytes.clone());
        if let Err(why) = result {
            failures.push(format!("round {round}, bytes {bytes:02x?}: {why}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_truncation_of_valid_files_is_an_error_not_a_panic() {
    let mut failures = Vec::new();
    for (name, bytes) in valid_sources() {
        // Every byte of the small fixtures; the long example at every third byte and every line end.
        let step = if bytes.len() > 4000 { 3 } else { 1 };
        let ends = (0..=bytes.len()).filter(|&end| end % step == 0 || bytes.get(end) == Some(&b'\n'));
        for end in ends {
            if let Err(why) = survives(&name, bytes[..end].to_vec()) {
                failures.push(format!("{name} cut at byte {end}: {why}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn single_byte_mutations_of_valid_files_are_errors_not_panics() {
    // Each byte replaced by characters that change TOML's meaning or its encoding.
    const REPLACEMENTS: &[u8] = b"\0\"'[]{}=,.#\n\\ \xc3\xff9aZ-:";
    let mut generator = Bytes(0x2545_F491_4F6C_DD1D);
    let mut failures = Vec::new();
    for (name, bytes) in valid_sources() {
        for _ in 0..400 {
            let mut mutated = bytes.clone();
            let at = (generator.next() as usize) % mutated.len();
            let by = REPLACEMENTS[(generator.next() as usize) % REPLACEMENTS.len()];
            mutated[at] = by;
            if let Err(why) = survives(&name, mutated) {
                failures.push(format!("{name} with byte {at} set to {by:#04x}: {why}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}
