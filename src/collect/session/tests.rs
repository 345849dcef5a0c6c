//! The run's logic against canned outputs (no processes): what runs, in which order, and what
//! a failure costs. The end-to-end behaviour through the binary and a fake `ibmcloud` is in
//! `tests/collect.rs`.

use std::collections::HashMap;
use std::time::Duration;

use super::*;

/// Canned `ibmcloud` outputs by command line, optionally per targeted region
/// (`"eu-de|cr plan --output json"`); records every call.
#[derive(Default)]
struct Canned {
    outputs: HashMap<String, Result<Ran, RunError>>,
    calls: Vec<String>,
    region: String,
}

impl Canned {
    fn ok(mut self, key: &str, stdout: &str) -> Self {
        let ran = Ran {
            code: Some(0),
            stdout: stdout.as_bytes().to_vec(),
            stderr: vec![],
        };
        self.outputs.insert(key.to_owned(), Ok(ran));
        self
    }

    fn err(mut self, key: &str, error: RunError) -> Self {
        self.outputs.insert(key.to_owned(), Err(error));
        self
    }
}

impl Cli for Canned {
    fn run(&mut self, program: Program, args: &[String], _: Option<&[u8]>) -> Result<Ran, RunError> {
        let line = args.join(" ");
        self.calls.push(format!("{} {line}", program.name()));
        if let ["cr", "region-set", region] = args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            self.region = region.to_owned();
        }
        let regional = format!("{}|{line}", self.region);
        self.outputs
            .get(&regional)
            .or_else(|| self.outputs.get(&line))
            .cloned()
            .unwrap_or_else(|| {
                Ok(Ran {
                    code: Some(1),
                    stdout: vec![],
                    stderr: format!("FAILED\nno canned output for `{line}`").into_bytes(),
                })
            })
    }
}

fn session<'s>(cli: &'s mut Canned, observer: &'s mut (), dir: &std::path::Path) -> Session<'s> {
    Session {
        cli,
        observer,
        dir: CaptureDir::new(dir),
        report: Report::default(),
        halted: false,
        targeted: None,
    }
}

const IMAGE: &str = "us.icr.io/shop/api:1.0";

#[test]
fn a_narrow_plan_runs_only_its_commands() {
    // What `collect --image` needs: the image's namespace and listing entry, its inspection
    // and its VA report, and nothing of the rest of the region.
    let dir = tempfile::tempdir().unwrap();
    let mut cli = Canned::default()
        .ok("cr region-set us-south", "OK")
        .ok("cr namespace-list -v --output json", r#"[{"name": "shop"}]"#)
        .ok("cr retention-policy-list --output json", "[]")
        .ok(
            "cr image-list --va --no-trunc --restrict shop/api --output json",
            r#"[{"Repository": "us.icr.io/shop/api", "Tag": "1.0"}]"#,
        )
        .ok(&format!("cr image-inspect {IMAGE}"), r#"[{"Id": "sha256:1"}]"#)
        .ok(
            &format!("cr va --output json {IMAGE}"),
            r#"[{"status": "OK", "vulnerabilities": []}]"#,
        );
    let mut observer = ();
    let mut session = session(&mut cli, &mut observer, dir.path());
    let captures = [commands::CR_RETENTION, commands::CR_IMAGE_LIST];
    let plan = RegionPlan {
        region: "us-south",
        even_without_namespaces: true,
        captures: &captures,
        restrict: Some("shop/api"),
        images: Images::Only(vec![IMAGE.to_owned()]),
    };
    assert!(session.region(&plan).is_some());
    assert!(
        session.report.failures.is_empty(),
        "{:?}",
        session.report.failures
    );
    assert_eq!(
        cli.calls,
        [
            "ibmcloud cr region-set us-south",
            "ibmcloud cr namespace-list -v --output json",
            "ibmcloud cr retention-policy-list --output json",
            "ibmcloud cr image-list --va --no-trunc --restrict shop/api --output json",
            "ibmcloud cr image-inspect us.icr.io/shop/api:1.0",
            "ibmcloud cr va --output json us.icr.io/shop/api:1.0",
        ]
    );
    let va = std::fs::read_to_string(dir.path().join("regions/us-south/cr-va.json")).unwrap();
    let va: Value = serde_json::from_str(&va).unwrap();
    assert_eq!(
        va,
        serde_json::json!([{"status": "OK", "vulnerabilities": [], "image": IMAGE}])
    );
}

#[test]
fn a_region_that_cannot_be_targeted_runs_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let mut cli = Canned::default();
    let mut observer = ();
    let mut session = session(&mut cli, &mut observer, dir.path());
    assert!(session.region(&RegionPlan::sweep("eu-de", true)).is_none());
    assert_eq!(session.report.failures.len(), 1);
    assert_eq!(
        session.report.failures[0].scope,
        Scope::Region("eu-de".to_owned())
    );
    assert_eq!(cli.calls, ["ibmcloud cr region-set eu-de"]);
    assert!(!dir.path().join("regions").exists());
}

#[test]
fn a_time_out_skips_the_rest_of_its_region_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut cli = Canned::default()
        .ok("cr region-set eu-de", "OK")
        .ok("cr region-set us-south", "OK")
        .ok("cr namespace-list -v --output json", r#"[{"name": "shop"}]"#)
        .err(
            "eu-de|cr plan --output json",
            RunError::TimedOut(Duration::from_secs(1)),
        )
        .ok("cr plan --output json", r#"{"plan": "standard"}"#);
    let mut observer = ();
    let mut session = session(&mut cli, &mut observer, dir.path());
    let captures = [commands::CR_PLAN, commands::CR_QUOTA];
    for region in ["eu-de", "us-south"] {
        let plan = RegionPlan {
            captures: &captures,
            ..RegionPlan::sweep(region, false)
        };
        session.region(&plan);
    }
    let report = session.report;
    let failures: Vec<String> = report.failures.iter().map(ToString::to_string).collect();
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(
        failures[0]
            .starts_with("region eu-de: `ibmcloud cr plan --output json` failed: no answer within 1 s")
    );
    assert!(
        failures[1].starts_with("region us-south: `ibmcloud cr quota --output json` failed: exit status 1")
    );
    assert_eq!(
        cli.calls,
        [
            "ibmcloud cr region-set eu-de",
            "ibmcloud cr namespace-list -v --output json",
            "ibmcloud cr plan --output json",
            "ibmcloud cr region-set us-south",
            "ibmcloud cr namespace-list -v --output json",
            "ibmcloud cr plan --output json",
            "ibmcloud cr quota --output json",
        ]
    );
    assert!(dir.path().join("regions/us-south/cr-plan.json").exists());
    assert!(!dir.path().join("regions/eu-de/cr-plan.json").exists());
    assert_eq!(
        report.notes,
        ["the rest of region eu-de is skipped after the time-out"]
    );
}

#[test]
fn an_unscanned_image_is_recorded_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let mut cli = Canned::default()
        .ok(&format!("cr image-inspect {IMAGE}"), r#"{"Id": "sha256:1"}"#)
        .ok(
            &format!("cr va --output json {IMAGE}"),
            "The image has not been scanned.\nOK\n",
        );
    let mut observer = ();
    let mut session = session(&mut cli, &mut observer, dir.path());
    session.images(
        &Scope::Region("us-south".to_owned()),
        "us-south",
        &[IMAGE.to_owned()],
    );
    let read = |file: &str| -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("regions/us-south").join(file)).unwrap(),
        )
        .unwrap()
    };
    assert_eq!(
        read("cr-va.json"),
        serde_json::json!([{"image": IMAGE, "status": "UNSCANNED"}])
    );
    assert_eq!(
        read("cr-image-inspect.json"),
        serde_json::json!({IMAGE: {"Id": "sha256:1"}})
    );
}

#[test]
fn excerpts_are_short_redacted_and_free_of_terminal_codes() {
    let ran = Ran {
        code: Some(1),
        stdout: b"ignored".to_vec(),
        stderr: b"\x1b[31mFAILED\x1b[0m\none\ntwo\nBearer abc.def\n".to_vec(),
    };
    assert_eq!(exit_reason(&ran), "exit status 1: one | two | Bearer [REDACTED]");
}

#[test]
fn a_plan_without_the_account_runs_the_check_and_its_regions_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut cli = Canned::default()
        .ok(
            "plugin list --output json",
            r#"[{"Name": "container-registry"}, {"Name": "atracker"}, {"Name": "cbr"}]"#,
        )
        .ok("account show --output json", r#"{"account_id": "acc1"}"#)
        .ok(
            "cr region",
            "You are targeting region 'us-south', the registry is 'us.icr.io'.",
        )
        .ok("cr region-set eu-de", "OK")
        .ok("cr namespace-list -v --output json", r#"[{"name": "shop"}]"#)
        .ok("cr retention-policy-list --output json", "[]");
    let captures = [commands::CR_RETENTION];
    let plan = Plan {
        scope: None,
        account: false,
        regions: vec![RegionPlan {
            captures: &captures,
            images: Images::Only(vec![]),
            ..RegionPlan::sweep("eu-de", true)
        }],
    };
    let report = run(&mut cli, dir.path(), &plan, &mut ()).unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(
        cli.calls,
        [
            "ibmcloud plugin list --output json",
            "ibmcloud account show --output json",
            "ibmcloud cr region",
            "ibmcloud cr region-set eu-de",
            "ibmcloud cr namespace-list -v --output json",
            "ibmcloud cr retention-policy-list --output json",
            "ibmcloud cr region-set us-south",
        ]
    );
    assert_eq!(
        report.files,
        [
            "account-show.json",
            "regions/eu-de/cr-namespace-list.json",
            "regions/eu-de/cr-retention-policy-list.json",
        ]
    );
}

#[test]
fn a_name_that_reads_as_an_option_is_not_passed() {
    let dir = tempfile::tempdir().unwrap();
    let mut cli = Canned::default();
    let mut observer = ();
    let mut session = session(&mut cli, &mut observer, dir.path());
    session.members(
        &Scope::Account,
        &serde_json::json!([{"id": "AccessGroupId-1", "name": "--all"}]),
    );
    let report = session.report;
    assert_eq!(report.failures.len(), 2);
    assert!(
        report.failures[0]
            .reason
            .starts_with("not run: a name from IBM's listing starts with `-`")
    );
    assert!(cli.calls.is_empty());
}
