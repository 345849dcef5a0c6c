//! `regcheck import` merging into an existing account file, run as a user runs it: a commented
//! file with the user's own keys, the synthetic captures under tests/fixtures/import/, and the
//! exit codes of `--check`, `--prune` and a capture that would break a reference.
//! `REGCHECK_BLESS=1 cargo test --test import_merge` regenerates the expected file.

use std::path::{Path, PathBuf};
use std::process::Command;

const TIME: &str = "2026-11-25T06:00:00Z";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn regcheck(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Imports `capture` into `file` at TIME with `extra` flags.
fn import(capture: &Path, file: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "import",
        capture.to_str().unwrap(),
        "-o",
        file.to_str().unwrap(),
        "--captured-at",
        TIME,
    ];
    args.extend_from_slice(extra);
    regcheck(&args)
}

fn user_file(dir: &Path) -> PathBuf {
    let path = dir.join("account.toml");
    std::fs::copy(fixture("synthetic-user-account.toml"), &path).unwrap();
    path
}

#[test]
fn a_commented_file_with_user_keys_merges_into_the_expected_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = user_file(dir.path());
    let (code, stdout, stderr) = import(&fixture("synthetic-cli-shape"), &file, &[]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    let merged = std::fs::read_to_string(&file).unwrap();
    let expected_path = fixture("synthetic-user-account.expected.toml");
    if std::env::var_os("REGCHECK_BLESS").is_some() {
        std::fs::write(&expected_path, &merged).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap();
    assert!(
        merged == expected,
        "the merged file differs from {}:\n{merged}",
        expected_path.display()
    );

    // What stays the user's: comments, criticality, replicas, automation, monitoring,
    // used_for_registry, history, secret_scan, the `private.` spelling of a ref.
    for kept in [
        "# Refreshed nightly from IBM Cloud with `regcheck import`; the notes below are ours.",
        "criticality = \"critical\"   # payments run from here",
        "{ region = \"eu-gb\", namespace = \"shop-prod\", last_synced = 2026-11-24T06:00:00Z, digests_verified = true },",
        "[[automation]]\nname = \"github-actions-shop\"",
        "[activity_tracker.monitoring]\nalert_actions = [\"container-registry.namespace.delete\"]\nlast_review = 2026-11-15\n",
        "used_for_registry = true   # the CI pipeline's push key",
        "ref = \"private.us.icr.io/shop-prod/api:1.4.2\"",
        "history = [\"/bin/sh -c #(nop)  ENV LOG_LEVEL=info\"]",
        "secret_scan = { tool = \"gitleaks\", scanned_at = 2026-11-02T10:05:00Z, findings = 0 }",
        // An owned value changed, its comment stays.
        "private_only = true   # we turned private-only on in November",
        "va_status = \"ok\"  # was 1 issue before the rebuild",
        // The region nobody captured is left alone, stale or not.
        "[[namespaces]]\nname = \"shop-pilot\"\nregion = \"jp-tok\"\n",
        "ref = \"jp.icr.io/shop-pilot/api:0.9.0\"\nva_status = \"scanning\"\n",
    ] {
        assert!(merged.contains(kept), "lost:\n{kept}\n---\n{merged}");
    }
    assert!(
        stderr.contains("  namespaces                 2 added, 1 marked stale\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stale: [[images]] us.icr.io/shop-old/api:0.1: not seen in regions/us-south/cr-image-list.json (kept and marked; --prune removes it)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("needs your answer: 3 namespaces without `criticality` (taken as nonprod); add `criticality = \"critical\"`, \"production\" or \"nonprod\" to each: jp-tok/shop-pilot, eu-gb/shop-prod, us-south/shop-staging"),
        "{stderr}"
    );
    assert!(!stderr.contains("Winter2026"), "no env value in the summary");

    // A second import of the same captures changes nothing, byte for byte.
    let (code, _, stderr) = import(&fixture("synthetic-cli-shape"), &file, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), merged);
    assert!(stderr.contains("is up to date: nothing to write"), "{stderr}");
}

#[test]
fn a_stale_entry_is_marked_once_and_unmarked_when_seen_again() {
    let dir = tempfile::tempdir().unwrap();
    let file = user_file(dir.path());
    assert_eq!(import(&fixture("synthetic-cli-shape"), &file, &[]).0, 0);
    // A later capture: the first marker (and its time) stays, no second one is added.
    let (code, _, stderr) = regcheck(&[
        "import",
        fixture("synthetic-cli-shape").to_str().unwrap(),
        "-o",
        file.to_str().unwrap(),
        "--captured-at",
        "2026-11-26T06:00:00Z",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        text.matches("# not seen in regions/us-south/cr-namespace-list.json")
            .count(),
        1,
        "{text}"
    );
    assert!(text.contains("# not seen in regions/us-south/cr-namespace-list.json at 2026-11-25T06:00:00Z\n[[namespaces]]\nname = \"shop-old\""), "{text}");
    assert!(
        stderr.contains("stale: [[namespaces]] us-south/shop-old"),
        "still listed:\n{stderr}"
    );

    // The namespace comes back: its marker goes, the user's comment above it stays.
    let capture = tempfile::tempdir().unwrap();
    let namespaces = capture.path().join("regions/us-south/cr-namespace-list.json");
    std::fs::create_dir_all(namespaces.parent().unwrap()).unwrap();
    std::fs::write(
        &namespaces,
        r#"[{"name": "shop-prod", "resource_group": "prod"}, {"name": "shop-staging", "resource_group": "staging"}, {"name": "shop-old"}]"#,
    )
    .unwrap();
    let (code, _, stderr) = import(capture.path(), &file, &[]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("cr-namespace-list.json at"), "{text}");
    assert!(text.contains("# Deleted in October; kept here until the audit trail is archived.\n[[namespaces]]\nname = \"shop-old\""), "{text}");
}

#[test]
fn check_exits_1_on_drift_then_0_once_imported_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = user_file(dir.path());
    let before = std::fs::read(&file).unwrap();
    let (code, stdout, stderr) = import(&fixture("synthetic-cli-shape"), &file, &["--check"]);
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    assert!(stderr.contains("drift: "), "{stderr}");
    assert_eq!(std::fs::read(&file).unwrap(), before, "--check writes nothing");
    assert_eq!(import(&fixture("synthetic-cli-shape"), &file, &[]).0, 0);
    let (code, _, stderr) = import(&fixture("synthetic-cli-shape"), &file, &["--check"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("is up to date with"), "{stderr}");
    // A later capture time alone is not drift.
    let (code, _, stderr) = regcheck(&[
        "import",
        fixture("synthetic-cli-shape").to_str().unwrap(),
        "-o",
        file.to_str().unwrap(),
        "--captured-at",
        "2026-11-27",
        "--check",
    ]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn dry_run_prints_a_masked_diff_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = user_file(dir.path());
    let before = std::fs::read(&file).unwrap();
    let (code, stdout, stderr) = import(&fixture("synthetic-cli-shape"), &file, &["--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert!(stdout.starts_with("--- a/"), "{stdout}");
    assert!(stdout.contains("\n-private_only = false   # we turned private-only on in November\n+private_only = true   # we turned private-only on in November\n"), "{stdout}");
    assert!(
        stdout.contains("+env = [\"LOG_LEVEL=debug\", \"DB_PASSWORD=[REDACTED]\"]"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("Winter2026"),
        "a secret in an image is never printed"
    );
    assert!(stderr.contains("--dry-run: nothing written"), "{stderr}");
}

#[test]
fn prune_removes_stale_entries_and_the_result_loads() {
    let dir = tempfile::tempdir().unwrap();
    let file = user_file(dir.path());
    // shop-old's image goes with it; otherwise the file would not load (and nothing be written).
    let (code, _, stderr) = import(&fixture("synthetic-cli-shape"), &file, &["--prune"]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains("shop-old") && !text.contains("ApiKey-user-old"),
        "{text}"
    );
    assert!(!text.contains("# not seen in"), "{text}");
    assert!(
        text.contains("name = \"shop-pilot\""),
        "an uncaptured region is not judged"
    );
    assert!(
        stderr.contains("pruned: [[namespaces]] us-south/shop-old"),
        "{stderr}"
    );
    assert!(
        stderr.contains("pruned: [[iam.api_keys]] ApiKey-user-old"),
        "{stderr}"
    );
    assert_eq!(regcheck(&["validate", file.to_str().unwrap()]).0, 0);
}

#[test]
fn a_capture_that_breaks_a_reference_leaves_the_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let file = user_file(dir.path());
    let before = std::fs::read(&file).unwrap();
    let capture = tempfile::tempdir().unwrap();
    let list = capture.path().join("regions/us-south/cr-image-list.json");
    std::fs::create_dir_all(list.parent().unwrap()).unwrap();
    std::fs::write(
        &list,
        r#"[{"Repository": "us.icr.io/shop-prod/api", "Tag": "1.4.2", "SecurityStatus": {"Status": "OK"}},
            {"Repository": "us.icr.io/team-x/api", "Tag": "1", "SecurityStatus": {"Status": "OK"}}]"#,
    )
    .unwrap();
    let (code, stdout, stderr) = import(capture.path(), &file, &[]);
    assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the old file stays byte for byte"
    );
    assert!(
        stderr.contains("image namespace `team-x` is not a declared namespace in `us-south`"),
        "{stderr}"
    );
    assert!(stderr.contains("account.toml (as merged from "), "{stderr}");
    assert!(
        stderr.contains("the merged account file does not load, so "),
        "{stderr}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");
}

#[test]
fn scopes_a_group_missing_from_the_members_map_and_the_owners_of_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("account.toml");
    std::fs::write(
        &file,
        r#"schema_version = 1

[account]
id = "acct-1"
captured_at = 2026-11-01T00:00:00Z

[iam]

[[iam.access_groups]]
id = "AccessGroupId-1"
members = ["IBMid-kept"]

[[iam.access_groups]]
id = "AccessGroupId-2"
members = ["IBMid-old"]

[[iam.service_ids]]
id = "ServiceId-1"

[[iam.api_keys]]
id = "ApiKey-service"
owner = "ServiceId-1"

[[iam.api_keys]]
id = "ApiKey-user"
owner = "IBMid-1"
"#,
    )
    .unwrap();
    let capture = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(capture.path().join(name), text).unwrap();
    write(
        "iam-access-groups.json",
        r#"[{"id": "AccessGroupId-1", "name": "one"}, {"id": "AccessGroupId-2", "name": "two"}]"#,
    );
    write(
        "iam-access-group-members.json",
        r#"{"AccessGroupId-2": ["IBMid-new"]}"#,
    );
    // Only the service ids' keys were listed: user keys are not judged.
    write("iam-service-api-keys.json", r#"{"apikeys": []}"#);
    let (code, _, stderr) = import(capture.path(), &file, &[]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("id = \"AccessGroupId-1\"\nmembers = [\"IBMid-kept\"]\nname = \"one\""),
        "{text}"
    );
    assert!(
        text.contains("id = \"AccessGroupId-2\"\nmembers = [\"IBMid-new\"]\nname = \"two\""),
        "{text}"
    );
    assert!(text.contains("# not seen in iam-service-api-keys.json at 2026-11-25T06:00:00Z\n[[iam.api_keys]]\nid = \"ApiKey-service\""), "{text}");
    assert!(
        text.contains("\n[[iam.api_keys]]\nid = \"ApiKey-user\""),
        "not judged: {text}"
    );
    assert_eq!(text.matches("# not seen").count(), 1, "{text}");
}

#[test]
fn the_account_id_comes_from_the_capture_or_the_flag_and_must_agree() {
    let dir = tempfile::tempdir().unwrap();
    let capture = tempfile::tempdir().unwrap();
    std::fs::write(
        capture.path().join("iam-access-groups-settings.json"),
        r#"{"public_access_enabled": false}"#,
    )
    .unwrap();
    let new = dir.path().join("new.toml");
    let (code, _, stderr) = import(capture.path(), &new, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("a new account file needs the account id"),
        "{stderr}"
    );
    assert!(!new.exists());
    let (code, _, stderr) = import(capture.path(), &new, &["--account-id", "acct-flag"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        std::fs::read_to_string(&new)
            .unwrap()
            .contains("[account]\nid = \"acct-flag\"\ncaptured_at = 2026-11-25T06:00:00Z\n")
    );

    // The capture of another account is refused.
    let file = user_file(dir.path());
    let before = std::fs::read(&file).unwrap();
    let (code, _, stderr) = import(capture.path(), &file, &["--account-id", "someone-else"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("the capture is of account `someone-else` (--account-id), but the file is of account `0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b`"), "{stderr}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn captured_at_defaults_to_the_newest_capture_file() {
    let dir = tempfile::tempdir().unwrap();
    let capture = tempfile::tempdir().unwrap();
    let settings = capture.path().join("iam-access-groups-settings.json");
    std::fs::write(&settings, r#"{"public_access_enabled": false}"#).unwrap();
    let older = capture.path().join("account-show.json");
    std::fs::write(&older, r#"{"account_id": "acct-1"}"#).unwrap();
    let at = |seconds: u64| std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
    std::fs::File::options()
        .write(true)
        .open(&settings)
        .unwrap()
        .set_modified(at(1_795_586_400))
        .unwrap();
    std::fs::File::options()
        .write(true)
        .open(&older)
        .unwrap()
        .set_modified(at(1_700_000_000))
        .unwrap();
    let file = dir.path().join("account.toml");
    let (code, _, stderr) = regcheck(&[
        "import",
        capture.path().to_str().unwrap(),
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("captured_at = 2026-11-25T06:00:00Z\n")
    );
}
