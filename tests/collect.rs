//! `regcheck collect` end to end: the real binary against a fake `ibmcloud` (and `curl`) first
//! on `PATH` that replays the synthetic fixtures of `tests/fixtures/collect/` and logs every
//! call. No IBM Cloud, no network.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The look-alike API key and the IAM token of the fixtures (synthetic).
const LOOKALIKE: &str = "Zq3xSYNTHETICfakeKEY0notREAL1lookALIKE2xYz9w";
const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzeW50aGV0aWMiOnRydWV9.c3ludGhldGljLXNpZ25hdHVyZQ";
const ACCOUNT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/collect")
}

/// One run of `regcheck collect -o capture ARGS…` in a fresh folder.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    calls: Vec<String>,
    elapsed: Duration,
    work: tempfile::TempDir,
}

impl Run {
    fn capture(&self) -> PathBuf {
        self.work.path().join("capture")
    }

    fn json(&self, relative: &str) -> Value {
        let path = self.capture().join(relative);
        let text = fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("{relative}: {error}"))
    }

    fn text(&self, relative: &str) -> String {
        fs::read_to_string(self.capture().join(relative)).unwrap()
    }

    /// Every file under the capture folder, relative, sorted.
    fn files(&self) -> Vec<String> {
        let root = self.capture();
        if !root.exists() {
            return vec![];
        }
        let mut files: Vec<String> = walkdir(&root)
            .into_iter()
            .map(|path| path.strip_prefix(&root).unwrap().to_string_lossy().into_owned())
            .collect();
        files.sort();
        files
    }

    /// Everything the run left: its output, the capture files and the fake's call log.
    fn everything(&self) -> String {
        let mut all = format!("{}\n{}\n{}\n", self.stdout, self.stderr, self.calls.join("\n"));
        for path in walkdir(self.work.path()) {
            all.push_str(&String::from_utf8_lossy(&fs::read(path).unwrap()));
        }
        all
    }
}

fn walkdir(root: &Path) -> Vec<PathBuf> {
    let mut found = vec![];
    for entry in fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walkdir(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// Runs `collect` with the fake on `PATH`; `overlays` are fixture folders read before
/// `synthetic-account`. `path` replaces `PATH` when given.
fn collect_with(overlays: &[&str], args: &[&str], path: Option<&Path>) -> Run {
    collect_in(tempfile::tempdir().unwrap(), overlays, args, path)
}

/// [`collect_with`] in a folder prepared by the caller (an account file to import into).
fn collect_in(work: tempfile::TempDir, overlays: &[&str], args: &[&str], path: Option<&Path>) -> Run {
    let bin = work.path().join("bin");
    let state = work.path().join("state");
    fs::create_dir_all(&bin).unwrap();
    fs::create_dir_all(&state).unwrap();
    for name in ["ibmcloud", "curl"] {
        let target = bin.join(name);
        fs::copy(fixtures().join("fake-cli"), &target).unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let log = work.path().join("calls.log");
    let data: Vec<String> = overlays
        .iter()
        .chain(&["synthetic-account"])
        .map(|folder| fixtures().join(folder).to_string_lossy().into_owned())
        .collect();
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .current_dir(work.path())
        .args(["collect", "-o", "capture"])
        .args(args)
        .env("PATH", path.unwrap_or(&bin))
        .env("FAKE_IBMCLOUD_DATA", data.join(":"))
        .env("FAKE_IBMCLOUD_LOG", &log)
        .env("FAKE_IBMCLOUD_STATE", &state)
        .env("NO_COLOR", "1")
        .env_remove("IBMCLOUD_TRACE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let calls = fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    let _ = fs::remove_file(&log);
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        calls,
        elapsed,
        work,
    }
}

fn collect(overlays: &[&str], args: &[&str]) -> Run {
    collect_with(overlays, args, None)
}

fn region_set(region: &str) -> String {
    format!("ibmcloud cr region-set {region}")
}

const NAMESPACES: &str = "ibmcloud cr namespace-list -v --output json";

/// The calls of a region without namespaces, found while looking for them.
fn empty_region(region: &str) -> Vec<String> {
    vec![region_set(region), NAMESPACES.to_owned()]
}

fn full_region(region: &str, images: &[&str]) -> Vec<String> {
    let mut calls = vec![
        region_set(region),
        NAMESPACES.to_owned(),
        "ibmcloud cr plan --output json".to_owned(),
        "ibmcloud cr quota --output json".to_owned(),
        "ibmcloud cr private-only --status".to_owned(),
        "ibmcloud cr va-version".to_owned(),
        "ibmcloud cr retention-policy-list --output json".to_owned(),
        "ibmcloud cr image-list --va --no-trunc --output json".to_owned(),
        "ibmcloud cr image-digests --va --output json".to_owned(),
        "ibmcloud cr exemption-list --output json".to_owned(),
    ];
    for image in images {
        calls.push(format!("ibmcloud cr image-inspect {image}"));
        calls.push(format!("ibmcloud cr va --output json {image}"));
    }
    calls
}

const US_IMAGES: [&str; 3] = [
    "us.icr.io/shop-dev/web:2.0",
    "us.icr.io/shop-prod/api:1.4.2",
    "us.icr.io/shop-prod/api@sha256:2222222222222222222222222222222222222222222222222222222222222222",
];
const DE_IMAGES: [&str; 1] = ["de.icr.io/shop-dr/api:1.4.2"];

fn account_calls() -> Vec<String> {
    [
        "ibmcloud plugin list --output json",
        "ibmcloud account show --output json",
        "ibmcloud cr region",
        "ibmcloud iam access-groups --output json",
        "ibmcloud iam access-group-users registry-pushers --output json",
        "ibmcloud iam access-group-service-ids registry-pushers --output json",
        "ibmcloud iam access-group-users Registry readers --output json",
        "ibmcloud iam access-group-service-ids Registry readers --output json",
        "ibmcloud iam oauth-tokens --output json",
        &format!(
            "curl -q --silent --show-error --fail --config - url=https://iam.cloud.ibm.com/v2/groups/settings?account_id={ACCOUNT}"
        ),
        "ibmcloud iam access-policies --output json --api-version v2",
        "ibmcloud iam service-ids --output json",
        "ibmcloud iam api-keys --output json",
        "ibmcloud iam service-api-keys --all --force --output json",
        "ibmcloud cbr rules --service-name container-registry --output json",
        "ibmcloud atracker target ls --output json",
        "ibmcloud atracker route ls --output json",
        "ibmcloud atracker setting get --output json",
    ]
    .map(str::to_owned)
    .to_vec()
}

const ACCOUNT_FILES: [&str; 12] = [
    "account-show.json",
    "atracker-route-ls.json",
    "atracker-setting-get.json",
    "atracker-target-ls.json",
    "cbr-rules.json",
    "iam-access-group-members.json",
    "iam-access-groups-settings.json",
    "iam-access-groups.json",
    "iam-api-keys.json",
    "iam-policies.json",
    "iam-service-api-keys.json",
    "iam-service-ids.json",
];

fn region_files(region: &str) -> Vec<String> {
    [
        "cr-exemption-list.json",
        "cr-image-digests.json",
        "cr-image-inspect.json",
        "cr-image-list.json",
        "cr-namespace-list.json",
        "cr-plan.json",
        "cr-private-only.txt",
        "cr-quota.json",
        "cr-retention-policy-list.json",
        "cr-va-version.txt",
        "cr-va.json",
    ]
    .iter()
    .map(|file| format!("regions/{region}/{file}"))
    .collect()
}

#[test]
fn a_two_region_account_is_collected_with_exactly_the_calls_it_needs() {
    let run = collect(&[], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");

    let mut expected = account_calls();
    for region in regcheck::regions::names() {
        match region {
            "us-south" => expected.extend(full_region(region, &US_IMAGES)),
            "eu-de" => expected.extend(full_region(region, &DE_IMAGES)),
            _ => expected.extend(empty_region(region)),
        }
    }
    // The registry region targeted before the run is put back.
    expected.push(region_set("jp-tok"));
    assert_eq!(run.calls, expected);

    let mut files: Vec<String> = ACCOUNT_FILES.map(str::to_owned).to_vec();
    files.extend(region_files("eu-de"));
    files.extend(region_files("us-south"));
    assert_eq!(run.files(), files);

    // Captures are IBM's documents as printed, less credentials.
    let fixture = |name: &str| -> Value {
        serde_json::from_str(&fs::read_to_string(fixtures().join("synthetic-account").join(name)).unwrap())
            .unwrap()
    };
    assert_eq!(
        run.json("account-show.json"),
        fixture("account_show_--output_json.out")
    );
    assert_eq!(
        run.json("iam-policies.json"),
        fixture("iam_access-policies_--output_json_--api-version_v2.out")
    );
    let keys = run.json("iam-api-keys.json");
    assert_eq!(keys[0]["id"], "ApiKey-00000000-0000-4000-8000-000000000031");
    assert!(keys[0].get("apikey").is_none(), "{keys}");
    let targets = run.json("atracker-target-ls.json");
    assert_eq!(
        targets["targets"][0]["cos_endpoint"],
        json!({
            "endpoint": "s3.private.us-south.cloud-object-storage.appdomain.cloud",
            "bucket": "at-events"
        })
    );

    assert_eq!(
        run.json("iam-access-group-members.json"),
        json!({
            "AccessGroupId-00000000-0000-4000-8000-000000000001": [
                {"iam_id": "IBMid-5500SYNTH1", "type": "user", "email": "dev@example.com"},
                {"id": "ServiceId-00000000-0000-4000-8000-000000000011",
                 "iam_id": "iam-ServiceId-00000000-0000-4000-8000-000000000011", "name": "ci-pusher"}
            ],
            "AccessGroupId-00000000-0000-4000-8000-000000000002": []
        })
    );
    assert_eq!(
        run.json("iam-access-groups-settings.json"),
        json!({"public_access_enabled": false})
    );

    // Per image: inspections keyed by the inspected ref, VA reports carrying their image,
    // and the untagged image that VA did not scan recorded as such.
    let inspect = run.json("regions/us-south/cr-image-inspect.json");
    let keys: Vec<&String> = inspect.as_object().unwrap().keys().collect();
    assert_eq!(keys, US_IMAGES.iter().collect::<Vec<_>>());
    assert_eq!(
        inspect["us.icr.io/shop-prod/api:1.4.2"]["Config"]["Env"],
        json!(["PATH=/usr/bin", "LOG_LEVEL=info"])
    );
    let va = run.json("regions/us-south/cr-va.json");
    assert_eq!(
        va,
        json!([
            {"status": "OK", "scan_time": 1764050000, "vulnerabilities": [], "configuration_issues": [],
             "image": "us.icr.io/shop-dev/web:2.0"},
            {"status": "WARN", "scan_time": 1764050000,
             "vulnerabilities": [{"cve_id": "CVE-2026-0001", "exempt_status": "non_exempt"}],
             "configuration_issues": [], "image": "us.icr.io/shop-prod/api:1.4.2"},
            {"image": US_IMAGES[2], "status": "UNSCANNED"}
        ])
    );
    assert_eq!(
        run.json("regions/eu-de/cr-namespace-list.json"),
        json!([{"name": "shop-dr", "resource_group": "prod", "created_date": "2025-01-01T00:00:00Z"}])
    );
    assert_eq!(
        run.text("regions/us-south/cr-va-version.txt"),
        "You are using Vulnerability Advisor version 'v4'.\n\nOK\n"
    );

    assert_eq!(
        run.stderr,
        "collect: checking ibmcloud\n\
         collect: account-wide evidence\n\
         collect: looking for namespaces in every region\n\
         collect: region eu-de: 1 namespace\n\
         collect: region us-south: 2 namespaces\n\
         collect: wrote 34 files to capture (2 regions: eu-de 1 namespace, 1 image; us-south 2 namespaces, 3 images)\n"
    );
}

#[test]
fn a_second_run_replaces_the_first_byte_for_byte() {
    let run = collect(&[], &["--region", "eu-de"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let first: Vec<(String, Vec<u8>)> = run
        .files()
        .into_iter()
        .map(|file| {
            let bytes = fs::read(run.capture().join(&file)).unwrap();
            (file, bytes)
        })
        .collect();
    // A file of an earlier capture of another region goes; a file of the user's stays.
    fs::create_dir_all(run.capture().join("regions/us-south")).unwrap();
    fs::write(run.capture().join("regions/us-south/cr-plan.json"), "{}").unwrap();
    fs::write(run.capture().join("NOTES.md"), "mine").unwrap();

    let again = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .current_dir(run.work.path())
        .args(["collect", "-o", "capture", "--region", "eu-de"])
        .env("PATH", run.work.path().join("bin"))
        .env(
            "FAKE_IBMCLOUD_DATA",
            fixtures().join("synthetic-account").to_string_lossy().as_ref(),
        )
        .env("FAKE_IBMCLOUD_LOG", run.work.path().join("again.log"))
        .env("FAKE_IBMCLOUD_STATE", run.work.path().join("state"))
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.ends_with("(1 region: eu-de 1 namespace, 1 image); replaced an earlier capture's 24 files\n"),
        "{stderr}"
    );
    let mut second: Vec<(String, Vec<u8>)> = run
        .files()
        .into_iter()
        .filter(|file| file != "NOTES.md")
        .map(|file| {
            let bytes = fs::read(run.capture().join(&file)).unwrap();
            (file, bytes)
        })
        .collect();
    second.sort();
    assert_eq!(second, first);
    assert_eq!(
        fs::read_to_string(run.capture().join("NOTES.md")).unwrap(),
        "mine"
    );
}

#[test]
fn regions_asked_for_are_the_only_ones_visited() {
    let run = collect(&[], &["--region", "us-south", "--region", "eu-es"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut expected = account_calls();
    // In the order of data/regions.toml; a region asked for is captured even without namespaces.
    expected.extend(full_region("eu-es", &[]));
    expected.extend(full_region("us-south", &US_IMAGES));
    expected.push(region_set("jp-tok"));
    assert_eq!(run.calls, expected);
    assert_eq!(run.json("regions/eu-es/cr-namespace-list.json"), json!([]));
    assert!(!run.capture().join("regions/eu-es/cr-va.json").exists());
}

#[test]
fn one_failing_region_loses_only_its_failed_capture() {
    let run = collect(&["synthetic-eu-de-fails"], &[]);
    assert_eq!(run.code, 2);
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| line.starts_with("error:"))
        .collect();
    assert_eq!(
        errors,
        [
            "error: region eu-de: `ibmcloud cr image-list --va --no-trunc --output json` failed: exit status 1: \
             FAILED | The request was rejected for API key [REDACTED] (synthetic). | Authorization: Bearer [REDACTED]",
            "error: 1 command failed (above); the capture in capture is incomplete",
        ]
    );
    let files = run.files();
    for file in region_files("us-south")
        .iter()
        .chain(&ACCOUNT_FILES.map(str::to_owned))
    {
        assert!(files.contains(file), "{file} missing: {files:?}");
    }
    let eu_de: Vec<String> = region_files("eu-de")
        .into_iter()
        .filter(|file| !file.ends_with("cr-image-list.json"))
        .collect();
    for file in &eu_de {
        assert!(files.contains(file), "{file} missing: {files:?}");
    }
    assert!(!files.contains(&"regions/eu-de/cr-image-list.json".to_owned()));
    // The image list failed, the digests list still named the region's image.
    assert!(run.json("regions/eu-de/cr-image-inspect.json")["de.icr.io/shop-dr/api:1.4.2"].is_object());
}

#[test]
fn a_lookalike_key_and_the_token_are_never_printed_or_stored() {
    // The fixtures carry both (the test could not fail otherwise).
    let fixture_text = |path: &str| fs::read_to_string(fixtures().join(path)).unwrap();
    assert!(fixture_text("synthetic-account/iam_api-keys_--output_json.out").contains(LOOKALIKE));
    assert!(fixture_text("synthetic-account/iam_oauth-tokens_--output_json.out").contains(TOKEN));
    assert!(
        fixture_text("synthetic-eu-de-fails/regions/eu-de/cr_image-list_--va_--no-trunc_--output_json.err")
            .contains(LOOKALIKE)
    );

    let run = collect(&["synthetic-eu-de-fails"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("[REDACTED]"), "{}", run.stderr);
    let everything = run.everything();
    for secret in [LOOKALIKE, TOKEN] {
        for piece in secret.as_bytes().chunks(12).filter(|piece| piece.len() == 12) {
            let piece = std::str::from_utf8(piece).unwrap();
            assert!(!everything.contains(piece), "`{piece}` of a secret leaked");
        }
    }
}

#[test]
fn not_logged_in_writes_nothing_and_says_how_to_log_in() {
    let run = collect(&["synthetic-not-logged-in"], &[]);
    assert_eq!(run.code, 2);
    assert!(!run.capture().exists());
    assert_eq!(
        run.calls,
        [
            "ibmcloud plugin list --output json",
            "ibmcloud account show --output json"
        ]
    );
    assert!(
        run.stderr.contains("`ibmcloud` is not logged in")
            && run.stderr.contains("fix: `ibmcloud login --sso`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_plugin_is_named_with_its_install_command() {
    let run = collect(&["synthetic-missing-plugin", "synthetic-not-logged-in"], &[]);
    assert_eq!(run.code, 2);
    assert!(!run.capture().exists());
    assert!(
        run.stderr.contains("the `cbr` plug-in is not installed")
            && run.stderr.contains("fix: `ibmcloud plugin install cbr`")
            && run.stderr.contains("`ibmcloud` is not logged in"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("plugin install atracker"), "{}", run.stderr);
}

#[test]
fn ibmcloud_not_installed_is_said_plainly() {
    let empty = tempfile::tempdir().unwrap();
    let run = collect_with(&[], &[], Some(empty.path()));
    assert_eq!(run.code, 2);
    assert!(run.calls.is_empty());
    assert!(!run.capture().exists());
    assert!(
        run.stderr.contains("`ibmcloud` is not installed or not on PATH"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_hung_command_times_out_and_the_other_regions_go_on() {
    let run = collect(&["synthetic-hang"], &["--timeout", "1"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.elapsed < Duration::from_secs(25), "{:?}", run.elapsed);
    assert!(
        run.stderr.contains(
            "error: region us-south: `ibmcloud cr quota --output json` failed: no answer within 1 s; stopped"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("note: the rest of region us-south is skipped after the time-out"),
        "{}",
        run.stderr
    );
    // The rest of us-south is skipped; eu-de, before it, is whole; the region is put back.
    let quota = run
        .calls
        .iter()
        .rposition(|call| call == "ibmcloud cr quota --output json");
    let after: Vec<&String> = run.calls.iter().skip(quota.unwrap() + 1).collect();
    assert_eq!(after, [&region_set("jp-tok")]);
    assert_eq!(
        run.json("regions/us-south/cr-plan.json"),
        json!({"plan": "Standard"})
    );
    assert!(!run.capture().join("regions/us-south/cr-quota.json").exists());
    assert!(run.capture().join("regions/eu-de/cr-va.json").exists());
}

#[test]
fn collect_then_import_runs_the_import() {
    // `--import` runs the import only after a complete capture, and its result loads.
    let run = collect(&[], &["--import", "account.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let imported = run.work.path().join("account.toml");
    let text = std::fs::read_to_string(&imported).expect("the import wrote account.toml");
    regcheck::account::load_str("account.toml", text).expect("the imported file loads");
    let failed = collect(&["synthetic-eu-de-fails"], &["--import", "account.toml"]);
    assert_eq!(failed.code, 2);
    assert!(
        failed.stderr.contains("error: not importing into account.toml"),
        "{}",
        failed.stderr
    );
    assert!(!failed.work.path().join("account.toml").exists());
}

#[test]
fn collect_image_makes_only_the_calls_one_image_needs_and_imports_without_staling_the_rest() {
    // A whole-account capture imported first: the account file the pipeline keeps.
    let full = collect(&[], &["--import", "account.toml"]);
    assert_eq!(full.code, 0, "{}", full.stderr);
    let before = fs::read_to_string(full.work.path().join("account.toml")).unwrap();
    assert!(!before.contains("# not seen in"));
    // Last night's capture time, which refreshing one image must not move: the rest of the
    // account's evidence is as old as it was (ICR-BP-001).
    let captured = before
        .lines()
        .find(|line| line.starts_with("captured_at = "))
        .unwrap()
        .to_owned();
    let before = before.replacen(&captured, "captured_at = 2026-01-01T00:00:00Z", 1);
    let work = tempfile::tempdir().unwrap();
    fs::write(work.path().join("account.toml"), &before).unwrap();

    let image = "us.icr.io/shop-prod/api:1.4.2";
    let run = collect_in(work, &[], &["--image", image, "--import", "account.toml"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.calls,
        [
            "ibmcloud plugin list --output json",
            "ibmcloud account show --output json",
            "ibmcloud cr region",
            "ibmcloud cr region-set us-south",
            "ibmcloud cr namespace-list -v --output json",
            "ibmcloud cr retention-policy-list --output json",
            "ibmcloud cr image-list --va --no-trunc --restrict shop-prod/api --output json",
            "ibmcloud cr image-digests --va --restrict shop-prod/api --output json",
            "ibmcloud cr image-inspect us.icr.io/shop-prod/api:1.4.2",
            "ibmcloud cr va --output json us.icr.io/shop-prod/api:1.4.2",
            // The region targeted before (the fixture's `cr region`) is put back.
            "ibmcloud cr region-set jp-tok",
        ]
    );
    assert_eq!(
        run.files(),
        [
            "account-show.json",
            "capture-scope.json",
            "regions/us-south/cr-image-digests.json",
            "regions/us-south/cr-image-inspect.json",
            "regions/us-south/cr-image-list.json",
            "regions/us-south/cr-namespace-list.json",
            "regions/us-south/cr-retention-policy-list.json",
            "regions/us-south/cr-va.json",
        ]
    );
    assert_eq!(
        run.json("capture-scope.json"),
        json!({"version": 1, "image": image, "regions": {"us-south": {"repositories": ["shop-prod/api"]}}})
    );
    // The merge refreshed the image and judged nothing else stale: the other repository's
    // image in us-south, and eu-de's, stay as they were (the untagged image of this
    // repository is in its digests listing).
    let after = fs::read_to_string(run.work.path().join("account.toml")).unwrap();
    assert!(!after.contains("# not seen in"), "{after}");
    assert!(
        after.contains("\ncaptured_at = 2026-01-01T00:00:00Z\n"),
        "{after}"
    );
    regcheck::account::load_str("account.toml", after.clone()).expect("the refreshed file loads");
    for other in ["us.icr.io/shop-dev/web:2.0", "de.icr.io/shop-dr/api:1.4.2"] {
        assert!(after.contains(other), "{other} is kept");
    }

    // Without the manifest, the same listing would speak for the whole region: the other
    // repository's image would be judged stale. (What the manifest is for.)
    fs::remove_file(run.capture().join("capture-scope.json")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .current_dir(run.work.path())
        .args(["import", "capture", "-o", "account.toml", "--dry-run"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let diff = String::from_utf8_lossy(&output.stdout);
    assert!(
        diff.contains("# not seen in regions/us-south/cr-image-list.json"),
        "{diff}"
    );
}

#[test]
fn collect_image_needs_a_registry_or_one_region() {
    let run = collect(&[], &["--image", "shop-prod/api:1.4.2"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("names no registry"), "{}", run.stderr);
    assert!(run.calls.is_empty(), "{:?}", run.calls);
    let run = collect(
        &[],
        &[
            "--image",
            "shop-prod/api@sha256:2222222222222222222222222222222222222222222222222222222222222222",
            "--region",
            "us-south",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.calls
            .contains(&"ibmcloud cr image-digests --va --restrict shop-prod/api --output json".to_owned()),
        "{:?}",
        run.calls
    );
}
