//! The JSON Schema that editors use (`schema/account.schema.json`): it is what `regcheck schema`
//! prints, it accepts every account file the loader accepts (examples, fixtures with every alias
//! spelling, the starter, the accounts inside the built-in policies' tests), and it flags the
//! mistakes it can express (an unknown key, a wrong type, a bad enum value or region).
//!
//! `.ci/run` checks the same files with an independent validator (check-jsonschema, Python).

use std::path::{Path, PathBuf};

use serde_json::Value;

#[path = "support/generated.rs"]
mod generated;

fn committed_schema() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/account.schema.json"))
        .expect("schema/account.schema.json exists");
    serde_json::from_str(&text).expect("the schema is JSON")
}

#[test]
fn committed_schema_matches_the_model() {
    let generated = format!("{}\n", regcheck::account::json_schema());
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/account.schema.json"))
            .expect("schema/account.schema.json exists");
    assert!(
        committed == generated,
        "schema/account.schema.json is out of date: run `cargo run -- schema > schema/account.schema.json`"
    );
}

/// A TOML document as the JSON an editor validates: datetimes become their RFC 3339 text (as
/// taplo and check-jsonschema present them).
fn to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(text) => Value::from(text.as_str()),
        toml::Value::Integer(number) => Value::from(*number),
        toml::Value::Float(number) => Value::from(*number),
        toml::Value::Boolean(flag) => Value::from(*flag),
        toml::Value::Datetime(datetime) => Value::from(datetime.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .iter()
                .map(|(key, value)| (key.clone(), to_json(value)))
                .collect(),
        ),
    }
}

fn validator() -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&committed_schema())
        .expect("the schema compiles")
}

/// Problems the schema finds in `text`, one line each.
fn schema_problems(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    let table: toml::Table = toml::from_str(text.trim_start_matches('\u{feff}')).expect("TOML");
    let document = to_json(&toml::Value::Table(table));
    validator
        .iter_errors(&document)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

fn toml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    files
}

/// Every account the loader accepts, with a name for messages.
fn accepted_accounts() -> Vec<(String, String)> {
    let mut accounts = Vec::new();
    for path in toml_files("examples")
        .into_iter()
        .chain(toml_files("tests/fixtures/valid"))
    {
        accounts.push((
            path.display().to_string(),
            std::fs::read_to_string(&path).unwrap(),
        ));
    }
    // Read checked: an audit reads the built-ins without their test cases.
    for policy in regcheck::policy::builtin_checked().expect("built-in policies load") {
        for test in &policy.tests {
            accounts.push((
                format!("{} test `{}`", policy.id, test.name),
                test.account.clone(),
            ));
        }
    }
    // The starter `regcheck init` writes.
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .args(["init", "--as-of", "2026-11-26", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(status.status.success());
    accounts.push((
        "the init starter".to_owned(),
        std::fs::read_to_string(dir.path().join("account.toml")).unwrap(),
    ));
    accounts
        .into_iter()
        .filter(|(_, text)| regcheck::account::load_str("account.toml", text.as_str()).is_ok())
        .collect()
}

#[test]
fn every_account_the_loader_accepts_is_valid_against_the_schema() {
    let validator = validator();
    let accounts = accepted_accounts();
    assert!(
        accounts.len() > 150,
        "examples, fixtures, starter and policy tests: {}",
        accounts.len()
    );
    assert!(accounts.iter().any(|(name, _)| name.ends_with("aliases.toml")));
    // Saved for `.ci/run`, which checks them again with check-jsonschema (without a byte-order
    // mark, which Python's TOML parser refuses).
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../schema-accounts");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    for (index, (name, text)) in accounts.iter().enumerate() {
        let problems = schema_problems(&validator, text);
        assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
        let file: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        std::fs::write(
            out.join(format!("{index:03}-{}.toml", &file[..file.len().min(60)])),
            text.trim_start_matches('\u{feff}'),
        )
        .unwrap();
    }
}

#[test]
fn the_schema_accepts_every_spelling_the_loader_accepts() {
    let validator = validator();
    let account = |field: &str, value: &str| {
        format!(
            "schema_version = 1\n[account]\nid = \"a\"\ncaptured_at = 2026-11-25\n[[registries]]\nregion = \"us-south\"\n{}\n[[namespaces]]\nname = \"shop\"\nregion = \"us-south\"\n[[images]]\nref = \"us.icr.io/shop/a:1\"\n{}\n",
            if field == "plan" {
                format!("plan = \"{value}\"")
            } else {
                String::new()
            },
            if field == "va_status" {
                format!("va_status = \"{value}\"")
            } else {
                String::new()
            },
        )
    };
    for (field, value) in [
        ("plan", "Standard"),
        ("plan", "LITE"),
        ("plan", " free "),
        ("va_status", "OK"),
        ("va_status", "No Issues"),
        ("va_status", "12 Issues"),
        ("va_status", "0 issues"),
        ("va_status", "Unsupported OS"),
        ("va_status", "unsupported_os"),
        ("va_status", "wArN"),
    ] {
        let text = account(field, value);
        assert!(
            regcheck::account::load_str("a.toml", text.as_str()).is_ok(),
            "the loader takes {field} = {value:?}"
        );
        let problems = schema_problems(&validator, &text);
        assert!(problems.is_empty(), "{field} = {value:?}: {problems:?}");
    }
    for (field, value) in [
        ("plan", "premium"),
        ("va_status", "3issues"),
        ("va_status", "issues 3"),
        ("va_status", "okay"),
    ] {
        let text = account(field, value);
        assert!(
            regcheck::account::load_str("a.toml", text.as_str()).is_err(),
            "the loader refuses {field} = {value:?}"
        );
        assert!(
            !schema_problems(&validator, &text).is_empty(),
            "the schema refuses {field} = {value:?}"
        );
    }
}

#[test]
fn the_schema_flags_the_mistakes_it_can_express() {
    let validator = validator();
    for fixture in [
        "bad-enum",
        "bad-enum-typo",
        "bad-region",
        "bad-namespace-name",
        "bad-datetime-local",
        "missing-account",
        "missing-required-key",
        "missing-required-key-nested",
        "missing-schema-version",
        "unknown-key",
        "unknown-key-top-level",
        "unsupported-schema-version",
        "wrong-type",
        "wrong-type-table-for-array",
    ] {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/invalid/{fixture}.toml"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !schema_problems(&validator, &text).is_empty(),
            "{fixture} passes the schema"
        );
    }
}

#[test]
fn optional_fields_have_no_null_branch_and_every_definition_a_title() {
    let schema = committed_schema();
    let text = schema.to_string();
    assert!(!text.contains("\"null\""), "TOML has no null");
    for (name, definition) in schema["$defs"].as_object().unwrap() {
        if definition.get("properties").is_some() {
            assert!(definition.get("title").is_some(), "{name} has a title");
            for (field, property) in definition["properties"].as_object().unwrap() {
                assert!(
                    property.get("description").is_some(),
                    "{name}.{field} is described"
                );
            }
        }
    }
}

/// `docs/account-file.md`, the reference of the account file, is generated from the schema:
/// `REGCHECK_BLESS=1 cargo test --test schema` regenerates it.
#[test]
fn account_file_reference_matches_the_schema() {
    generated::assert_generated_file_is_current(
        "docs/account-file.md",
        &account_file_markdown(&committed_schema()),
        "REGCHECK_BLESS=1 cargo test --test schema",
    );
}

fn account_file_markdown(schema: &Value) -> String {
    let defs = schema["$defs"].as_object().unwrap();
    let anchor = |name: &str| {
        let title = defs[name]["title"].as_str().unwrap_or(name);
        format!("[{title}](#{})", title.to_lowercase().replace(' ', "-"))
    };
    let describe_type = |property: &Value| -> String {
        fn inner(
            property: &Value,
            defs: &serde_json::Map<String, Value>,
            anchor: &dyn Fn(&str) -> String,
        ) -> String {
            if let Some(reference) = property.get("$ref").and_then(Value::as_str) {
                let name = reference.trim_start_matches("#/$defs/");
                let target = &defs[name];
                if target.get("properties").is_some() {
                    return format!("table: {}", anchor(name));
                }
                return inner(target, defs, anchor);
            }
            if let Some(values) = property.get("enum").and_then(Value::as_array) {
                let values: Vec<String> = values
                    .iter()
                    .map(|v| format!("`{}`", v.as_str().unwrap_or_default()))
                    .collect();
                return format!("one of {}", values.join(", "));
            }
            if let Some(options) = property.get("anyOf").and_then(Value::as_array) {
                if options.iter().all(|o| o.get("format").is_some()) {
                    return "datetime (2026-11-20T06:00:00Z) or date (2026-11-20), or such a string"
                        .to_owned();
                }
                let canonical = inner(&options[0], defs, anchor);
                let others = options[1]["description"].as_str().unwrap_or_default();
                return format!("{canonical}. {others}");
            }
            match property.get("type").and_then(Value::as_str) {
                Some("array") => format!("array of {}", inner(&property["items"], defs, anchor)),
                Some("object") => "table of strings".to_owned(),
                Some("integer") => "integer".to_owned(),
                Some("boolean") => "boolean".to_owned(),
                Some("string") => match property.get("pattern").and_then(Value::as_str) {
                    Some(pattern) => format!("string matching `{pattern}`"),
                    None => "string".to_owned(),
                },
                _ => "any".to_owned(),
            }
        }
        inner(property, defs, &anchor)
    };
    let mut out = String::from(
        "# The account file\n\n<!-- Generated from schema/account.schema.json by tests/schema.rs: `REGCHECK_BLESS=1 cargo test --test schema`. -->\n\n\
         An account file (`account.toml`) holds the evidence regcheck audits for one IBM Cloud account. Every\n\
         table below lists its keys; a key that is not listed is an error, and so is a value of another type.\n\
         Optional evidence that is absent is unknown: a rule that needs it fails closed and reports the gap.\n\
         Besides what is listed, the loader checks references between sections: a namespace's region must be a\n\
         `[[registries]]` region, an image's domain a declared registry and its namespace a declared namespace,\n\
         an automation's service id and namespaces declared, an API key's service-id owner declared, and names\n\
         unique per region.\n\n",
    );
    let mut queue = vec![("regcheck account file".to_owned(), schema.clone())];
    let mut seen = std::collections::BTreeSet::new();
    while let Some((title, table)) = queue.first().cloned() {
        queue.remove(0);
        out.push_str(&format!("## {title}\n\n"));
        if let Some(description) = table.get("description").and_then(Value::as_str) {
            out.push_str(&format!("{description}\n\n"));
        }
        out.push_str("| key | type | required | description |\n|---|---|---|---|\n");
        let required: Vec<&str> = table["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (key, property) in table["properties"].as_object().unwrap() {
            let description = property
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .replace('|', "\\|");
            out.push_str(&format!(
                "| `{key}` | {} | {} | {description} |\n",
                describe_type(property).replace('|', "\\|"),
                if required.contains(&key.as_str()) {
                    "yes"
                } else {
                    ""
                },
            ));
            let reference = property
                .get("$ref")
                .or_else(|| property.get("items").and_then(|items| items.get("$ref")))
                .and_then(Value::as_str);
            if let Some(reference) = reference {
                let name = reference.trim_start_matches("#/$defs/").to_owned();
                let target = &defs[&name];
                if target.get("properties").is_some() && seen.insert(name.clone()) {
                    let title = target["title"].as_str().unwrap_or(&name).to_owned();
                    queue.push((title, target.clone()));
                }
            }
        }
        out.push('\n');
    }
    out.trim_end().to_owned() + "\n"
}
