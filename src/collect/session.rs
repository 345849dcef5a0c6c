//! One run of `collect`: the order of the commands, what each one's output becomes, and what
//! a failure costs (the command's capture; after a time-out, the rest of its scope).

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use super::commands::{self, Command, Output, Shown, Vars};
use super::images::{self, entries, get};
use super::output::{self, CaptureDir};
use super::redact::{self, Content};
use super::runner::{Cli, Program, Ran, RunError};
use super::{Event, Failure, Observer, Problem, RegionSummary, Report, Scope, Stop};

/// Which images of a region get an `image-inspect` and a `cr va`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Images {
    /// Every image that the region's image lists name.
    Listed,
    /// Only these refs (`collect --image`).
    Only(Vec<String>),
}

/// What to capture in one region. [`RegionPlan::sweep`] is the whole region; `collect --image`
/// builds a narrower plan: the image's namespace as `restrict`, only the captures it needs,
/// and `Images::Only` with the image's ref.
#[derive(Debug, Clone)]
pub struct RegionPlan<'a> {
    pub region: &'a str,
    /// Capture the region even when it has no namespace (it was asked for by name).
    pub even_without_namespaces: bool,
    /// The captures after the namespace list, in order.
    pub captures: &'a [Command],
    /// `--restrict` for the commands that take it.
    pub restrict: Option<&'a str>,
    pub images: Images,
}

impl<'a> RegionPlan<'a> {
    /// Every capture of the region, every image.
    pub fn sweep(region: &'a str, asked_for: bool) -> Self {
        RegionPlan {
            region,
            even_without_namespaces: asked_for,
            captures: commands::REGION_CAPTURES,
            restrict: None,
            images: Images::Listed,
        }
    }
}

/// What a run captures after the check.
#[derive(Debug, Clone)]
pub struct Plan<'a> {
    /// The account-wide captures (IAM, context-based restrictions, Activity Tracker).
    /// `account-show.json` is written either way: the check reads it.
    pub account: bool,
    /// The regions, in the order they run.
    pub regions: Vec<RegionPlan<'a>>,
    /// Written as `capture-scope.json` when the capture is narrower than its files say
    /// (`collect --image`): the repositories each region's image listings were restricted to.
    pub scope: Option<Value>,
}

impl<'a> Plan<'a> {
    /// The whole account: every region in `regions` (all of `data/regions.toml` when empty,
    /// then only those with a namespace).
    pub fn sweep(regions: &'a [String]) -> Self {
        let asked_for = !regions.is_empty();
        Plan {
            account: true,
            regions: crate::regions::names()
                .filter(|name| !asked_for || regions.iter().any(|asked| asked == name))
                .map(|name| RegionPlan::sweep(name, asked_for))
                .collect(),
            scope: None,
        }
    }
}

pub(super) fn run(
    cli: &mut dyn Cli,
    dir: &std::path::Path,
    plan: &Plan<'_>,
    observer: &mut dyn Observer,
) -> Result<Report, Stop> {
    let mut session = Session {
        cli,
        observer,
        dir: CaptureDir::new(dir),
        report: Report::default(),
        halted: false,
        targeted: None,
    };
    let account = session.preflight().map_err(Stop::NotReady)?;
    let original_region = session.current_registry_region();
    session.report.removed = session.dir.prepare().map_err(|error| {
        Stop::Folder(format!(
            "cannot prepare {}: {error}",
            session.dir.root().display()
        ))
    })?;

    session.account(&account, plan.account);
    if let Some(scope) = &plan.scope {
        session.write_json(&Scope::Account, commands::CAPTURE_SCOPE_FILE.to_owned(), scope);
    }

    let everywhere = plan.regions.len() == crate::regions::all().len()
        && plan.regions.iter().all(|region| !region.even_without_namespaces);
    let names: Vec<&str> = plan.regions.iter().map(|region| region.region).collect();
    session.stage(&if everywhere {
        "looking for namespaces in every region".to_owned()
    } else {
        format!("regions {}", names.join(", "))
    });
    session.planned(2 * plan.regions.len());
    for region in &plan.regions {
        session.region(region);
    }
    session.restore_region(original_region);
    Ok(session.report)
}

struct Session<'s> {
    cli: &'s mut dyn Cli,
    observer: &'s mut dyn Observer,
    dir: CaptureDir,
    report: Report,
    /// A command of the current scope timed out: skip the rest of the scope.
    halted: bool,
    /// The registry region last set.
    targeted: Option<String>,
}

/// Lines quoted from a failing command's output, at most.
const EXCERPT_LINES: usize = 3;
/// Characters of one quoted line, at most.
const EXCERPT_WIDTH: usize = 240;

static ANSI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\x1b\[[0-9;?]*[ -/]*[@-~]").expect("a valid pattern"));

/// The last lines of what a failing command said (standard error, else standard output),
/// redacted, without terminal codes, on one line.
fn excerpt(ran: &Ran) -> String {
    let stream = if ran.stderr.iter().any(|b| !b.is_ascii_whitespace()) {
        &ran.stderr
    } else {
        &ran.stdout
    };
    let text = String::from_utf8_lossy(stream);
    let text = ANSI.replace_all(&text, "");
    let text = redact::redact_text(&text);
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            line.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect::<String>()
                .trim()
                .to_owned()
        })
        .filter(|line| !line.is_empty())
        .collect();
    let start = lines.len().saturating_sub(EXCERPT_LINES);
    lines[start..]
        .iter()
        .map(|line| match line.char_indices().nth(EXCERPT_WIDTH) {
            Some((cut, _)) => format!("{}…", &line[..cut]),
            None => line.clone(),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn exit_reason(ran: &Ran) -> String {
    let status = match ran.code {
        Some(code) => format!("exit status {code}"),
        None => "ended by a signal".to_owned(),
    };
    match excerpt(ran) {
        quoted if quoted.is_empty() => status,
        quoted => format!("{status}: {quoted}"),
    }
}

/// Whether a failing command's output says the session is missing or expired.
fn says_logged_out(ran: &Ran) -> bool {
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&ran.stdout),
        String::from_utf8_lossy(&ran.stderr)
    )
    .to_lowercase();
    [
        "not logged in",
        "ibmcloud login",
        "log in again",
        "session expired",
        "session has expired",
        "token is expired",
        "token has expired",
    ]
    .iter()
    .any(|phrase| text.contains(phrase))
}

fn account_id(account: &Value) -> Option<&str> {
    let map = account.as_object()?;
    ["account_id", "guid"]
        .iter()
        .find_map(|key| get(map, key).and_then(Value::as_str))
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

static TARGETED_REGION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"region '([a-z0-9-]+)'").expect("a valid pattern"));

impl Session<'_> {
    fn stage(&mut self, what: &str) {
        self.halted = false;
        self.observer.event(Event::Stage(what));
    }

    fn planned(&mut self, count: usize) {
        self.observer.event(Event::Planned(count as u64));
    }

    fn note(&mut self, note: String) {
        self.observer.event(Event::Note(&note));
        self.report.notes.push(note);
    }

    fn fail(&mut self, scope: &Scope, command: String, reason: String) {
        let failure = Failure {
            scope: scope.clone(),
            command,
            reason,
        };
        self.observer.event(Event::Failed(&failure));
        self.report.failures.push(failure);
    }

    /// Runs a program; `shown` is its command line for people.
    fn invoke(
        &mut self,
        program: Program,
        args: &[String],
        stdin: Option<&[u8]>,
        shown: &str,
    ) -> Result<Ran, RunError> {
        self.observer.event(Event::Running(shown));
        let result = self.cli.run(program, args, stdin);
        self.observer.event(Event::Finished);
        result
    }

    /// Runs an `ibmcloud` command that must succeed; a failure is recorded against `scope`.
    fn run(&mut self, scope: &Scope, command: &Command, vars: &Vars<'_>) -> Option<Ran> {
        if self.halted {
            return None;
        }
        let args = command.argv(vars);
        let shown = Shown("ibmcloud", &args).to_string();
        if self.refuse_option_like(scope, vars, &shown) {
            return None;
        }
        match self.invoke(Program::Ibmcloud, &args, None, &shown) {
            Ok(ran) if ran.success() => Some(ran),
            Ok(ran) => {
                self.fail(scope, shown, exit_reason(&ran));
                None
            }
            Err(error) => {
                self.fail_to_run(scope, shown, &error);
                None
            }
        }
    }

    /// A name from a listing that starts with `-` would be read as an option: refused.
    fn refuse_option_like(&mut self, scope: &Scope, vars: &Vars<'_>, shown: &str) -> bool {
        let option_like = [vars.image, vars.group, vars.restrict]
            .into_iter()
            .flatten()
            .any(|value| value.starts_with('-'));
        if option_like {
            self.fail(
                scope,
                shown.to_owned(),
                "not run: a name from IBM's listing starts with `-` and would be read as an option"
                    .to_owned(),
            );
        }
        option_like
    }

    fn fail_to_run(&mut self, scope: &Scope, shown: String, error: &RunError) {
        self.fail(scope, shown, error.to_string());
        if matches!(error, RunError::TimedOut(_)) && !self.halted {
            self.halted = true;
            self.note(format!("the rest of {scope} is skipped after the time-out"));
        }
    }

    /// Runs a JSON command and returns its document, credentials stripped.
    fn json(&mut self, scope: &Scope, command: &Command, vars: &Vars<'_>, content: Content) -> Option<Value> {
        let ran = self.run(scope, command, vars)?;
        match output::parse_json(&ran.stdout) {
            Some(mut value) => {
                redact::strip_secrets(&mut value, content);
                Some(value)
            }
            None => {
                let shown = Shown("ibmcloud", &command.argv(vars)).to_string();
                let quoted = excerpt(&ran);
                let reason = if quoted.is_empty() {
                    "it printed no JSON".to_owned()
                } else {
                    format!("it printed no JSON: {quoted}")
                };
                self.fail(scope, shown, reason);
                None
            }
        }
    }

    fn write(&mut self, scope: &Scope, relative: String, bytes: &[u8]) {
        match self.dir.write(&relative, bytes) {
            Ok(()) => self.report.files.push(relative),
            Err(reason) => self.fail(scope, format!("write {relative}"), reason),
        }
    }

    fn write_json(&mut self, scope: &Scope, relative: String, value: &Value) {
        self.write(scope, relative, &output::json_bytes(value));
    }

    /// Runs a command of the table and writes its capture file (under `folder`); returns the
    /// JSON document for the commands whose output drives later ones.
    fn capture(
        &mut self,
        scope: &Scope,
        command: &Command,
        vars: &Vars<'_>,
        folder: Option<&str>,
    ) -> Option<Value> {
        let file = command.file?;
        let relative = match folder {
            Some(region) => output::region_path(region, file),
            None => file.to_owned(),
        };
        match command.output {
            Output::Json => {
                let value = self.json(scope, command, vars, Content::Other)?;
                self.write_json(scope, relative, &value);
                Some(value)
            }
            Output::Text => {
                let ran = self.run(scope, command, vars)?;
                let mut text = redact::redact_text(&String::from_utf8_lossy(&ran.stdout));
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                self.write(scope, relative, text.as_bytes());
                None
            }
        }
    }

    /// `ibmcloud` is installed, logged in and has the plug-ins; returns `account show`'s
    /// document. Runs two commands and writes nothing.
    fn preflight(&mut self) -> Result<Value, Vec<Problem>> {
        self.observer.event(Event::Stage("checking ibmcloud"));
        self.planned(2);
        let mut problems = Vec::new();
        let vars = Vars::default();

        let args = commands::PLUGIN_LIST.argv(&vars);
        let shown = Shown("ibmcloud", &args).to_string();
        match self.invoke(Program::Ibmcloud, &args, None, &shown) {
            Err(RunError::NotFound) => return Err(vec![Problem::NotInstalled]),
            Err(error) => problems.push(Problem::CheckFailed {
                command: shown,
                reason: error.to_string(),
            }),
            Ok(ran) if !ran.success() => problems.push(Problem::CheckFailed {
                command: shown,
                reason: exit_reason(&ran),
            }),
            Ok(ran) => match output::parse_json(&ran.stdout) {
                Some(list) => {
                    let installed: Vec<String> = entries(&list)
                        .iter()
                        .filter_map(Value::as_object)
                        .filter_map(|plugin| get(plugin, "Name").and_then(Value::as_str))
                        .map(str::to_ascii_lowercase)
                        .collect();
                    for &(name, purpose) in commands::REQUIRED_PLUGINS {
                        if !installed.iter().any(|installed| installed == name) {
                            problems.push(Problem::MissingPlugin { name, purpose });
                        }
                    }
                }
                None => problems.push(Problem::CheckFailed {
                    command: shown,
                    reason: "it printed no JSON list of plug-ins".to_owned(),
                }),
            },
        }

        let args = commands::ACCOUNT_SHOW.argv(&vars);
        let shown = Shown("ibmcloud", &args).to_string();
        let account = match self.invoke(Program::Ibmcloud, &args, None, &shown) {
            Err(RunError::NotFound) => return Err(vec![Problem::NotInstalled]),
            Err(error) => {
                problems.push(Problem::CheckFailed {
                    command: shown,
                    reason: error.to_string(),
                });
                None
            }
            Ok(ran) if !ran.success() && says_logged_out(&ran) => {
                problems.push(Problem::NotLoggedIn);
                None
            }
            Ok(ran) if !ran.success() => {
                problems.push(Problem::CheckFailed {
                    command: shown,
                    reason: exit_reason(&ran),
                });
                None
            }
            Ok(ran) => match output::parse_json(&ran.stdout) {
                Some(account) if account_id(&account).is_some() => Some(account),
                _ => {
                    problems.push(Problem::CheckFailed {
                        command: shown,
                        reason: "it printed no account id".to_owned(),
                    });
                    None
                }
            },
        };
        match account {
            Some(account) if problems.is_empty() => Ok(account),
            _ => Err(problems),
        }
    }

    /// The registry region targeted now, to put back at the end; `None` when it cannot be read.
    fn current_registry_region(&mut self) -> Option<String> {
        let args = commands::CR_REGION.argv(&Vars::default());
        let shown = Shown("ibmcloud", &args).to_string();
        self.planned(1);
        let ran = self.invoke(Program::Ibmcloud, &args, None, &shown).ok()?;
        let text = String::from_utf8_lossy(&ran.stdout);
        let region = TARGETED_REGION.captures(&text)?.get(1)?.as_str().to_owned();
        ran.success().then_some(region)
    }

    fn restore_region(&mut self, original: Option<String>) {
        let Some(last) = self.targeted.clone() else {
            return;
        };
        let Some(original) = original else {
            self.note(format!(
                "the registry region is now {last}: the one targeted before could not be read"
            ));
            return;
        };
        if original == last {
            return;
        }
        self.planned(1);
        let args = commands::CR_REGION_SET.argv(&Vars {
            region: Some(&original),
            ..Vars::default()
        });
        let shown = Shown("ibmcloud", &args).to_string();
        match self.invoke(Program::Ibmcloud, &args, None, &shown) {
            Ok(ran) if ran.success() => self.targeted = Some(original),
            _ => self.note(format!(
                "the registry region is left at {last}: `ibmcloud cr region-set {original}` puts it back"
            )),
        }
    }

    /// `account-show.json` (from the check), then the account-wide captures when `all`.
    fn account(&mut self, account: &Value, all: bool) {
        let scope = Scope::Account;
        let mut account_doc = account.clone();
        redact::strip_secrets(&mut account_doc, Content::Other);
        if let Some(file) = commands::ACCOUNT_SHOW.file {
            self.write_json(&scope, file.to_owned(), &account_doc);
        }
        if !all {
            return;
        }
        self.stage("account-wide evidence");
        self.planned(commands::ACCOUNT_CAPTURES.len() + 2);
        let vars = Vars::default();
        for command in commands::ACCOUNT_CAPTURES {
            let value = self.capture(&scope, command, &vars, None);
            if *command == commands::IAM_ACCESS_GROUPS {
                if let Some(groups) = value {
                    self.members(&scope, &groups);
                }
                self.groups_settings(&scope, account_id(account));
            }
        }
    }

    /// `iam-access-group-members.json`: `{"<group id>": [users…, service ids…]}`. A group
    /// whose listing failed is left out (import keeps its members as they were).
    fn members(&mut self, scope: &Scope, groups: &Value) {
        let groups: Vec<(String, String)> = entries(groups)
            .iter()
            .filter_map(Value::as_object)
            .filter_map(|group| {
                let id = get(group, "id").and_then(Value::as_str)?.to_owned();
                let name = get(group, "name")
                    .and_then(Value::as_str)
                    .filter(|name| !name.is_empty())
                    .map_or_else(|| id.clone(), str::to_owned);
                Some((id, name))
            })
            .collect();
        self.planned(2 * groups.len());
        let mut members = Map::new();
        for (id, name) in groups {
            let vars = Vars {
                group: Some(&name),
                ..Vars::default()
            };
            let users = self.json(scope, &commands::IAM_ACCESS_GROUP_USERS, &vars, Content::Other);
            let service_ids = self.json(
                scope,
                &commands::IAM_ACCESS_GROUP_SERVICE_IDS,
                &vars,
                Content::Other,
            );
            if let (Some(users), Some(service_ids)) = (users, service_ids) {
                let list: Vec<Value> = entries(&users)
                    .iter()
                    .chain(entries(&service_ids))
                    .cloned()
                    .collect();
                members.insert(id, Value::Array(list));
            }
        }
        self.write_json(
            scope,
            commands::IAM_ACCESS_GROUP_MEMBERS_FILE.to_owned(),
            &Value::Object(members),
        );
    }

    /// `iam-access-groups-settings.json`, from the Access Groups API (no CLI command has it).
    fn groups_settings(&mut self, scope: &Scope, account_id: Option<&str>) {
        let settings = &commands::IAM_GROUPS_SETTINGS;
        let request = format!(
            "GET {}{}",
            settings.url_before_account_id,
            account_id.unwrap_or("ACCOUNT_ID")
        );
        if self.halted {
            return;
        }
        let Some(account_id) = account_id else {
            self.fail(scope, request, "account-show.json has no account id".to_owned());
            return;
        };
        let Some(token) = self.iam_token(scope) else {
            return;
        };
        let body = format!(
            "url = \"{}{account_id}\"\nheader = \"Authorization: Bearer {token}\"\nheader = \"Accept: application/json\"\n",
            settings.url_before_account_id
        );
        drop(token);
        let args: Vec<String> = commands::CURL_ARGS.iter().map(|arg| (*arg).to_owned()).collect();
        let shown = format!("{request} (curl, with the token of `ibmcloud iam oauth-tokens`)");
        let result = self.invoke(Program::Curl, &args, Some(body.as_bytes()), &shown);
        drop(body);
        let ran = match result {
            Ok(ran) if ran.success() => ran,
            Ok(ran) => return self.fail(scope, request, exit_reason(&ran)),
            Err(RunError::NotFound) => {
                return self.fail(
                    scope,
                    request,
                    format!("`curl` is not on PATH; it fetches {}", settings.file),
                );
            }
            Err(error) => return self.fail_to_run(scope, request, &error),
        };
        match output::parse_json(&ran.stdout) {
            Some(mut value) => {
                redact::strip_secrets(&mut value, Content::Other);
                self.write_json(scope, settings.file.to_owned(), &value);
            }
            None => self.fail(scope, request, "the response is not JSON".to_owned()),
        }
    }

    /// The CLI's IAM access token, without `Bearer `; never written or shown.
    fn iam_token(&mut self, scope: &Scope) -> Option<String> {
        let command = &commands::IAM_OAUTH_TOKENS;
        let ran = self.run(scope, command, &Vars::default())?;
        let token = output::parse_json(&ran.stdout).and_then(|tokens| {
            let map = tokens.as_object()?;
            let token = get(map, "iam_token")?.as_str()?.trim();
            let token = token
                .strip_prefix("Bearer ")
                .or_else(|| token.strip_prefix("bearer "))
                .unwrap_or(token);
            let plausible = !token.is_empty()
                && token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b));
            plausible.then(|| token.to_owned())
        });
        if token.is_none() {
            let shown = Shown("ibmcloud", &command.argv(&Vars::default())).to_string();
            self.fail(scope, shown, "it printed no IAM token".to_owned());
        }
        token
    }

    /// Captures one region as `plan` says. `None` when the region was not captured (a failure
    /// is recorded, or it has no namespace).
    fn region(&mut self, plan: &RegionPlan<'_>) -> Option<()> {
        let region = plan.region;
        let scope = Scope::Region(region.to_owned());
        self.halted = false;
        let vars = Vars {
            region: Some(region),
            restrict: plan.restrict,
            ..Vars::default()
        };
        // Nothing may run against a region that was not targeted: the captures would land in
        // the wrong folder.
        self.run(&scope, &commands::CR_REGION_SET, &vars)?;
        self.targeted = Some(region.to_owned());
        let namespaces = self.json(&scope, &commands::CR_NAMESPACES, &vars, Content::Other)?;
        let namespace_count = entries(&namespaces).len();
        if namespace_count == 0 && !plan.even_without_namespaces {
            return None;
        }
        let stage = format!(
            "region {region}: {namespace_count} namespace{}",
            if namespace_count == 1 { "" } else { "s" }
        );
        self.observer.event(Event::Stage(&stage));
        if let Some(file) = commands::CR_NAMESPACES.file {
            self.write_json(&scope, output::region_path(region, file), &namespaces);
        }

        self.planned(plan.captures.len());
        let mut listings = Vec::new();
        for command in plan.captures {
            let value = self.capture(&scope, command, &vars, Some(region));
            if *command == commands::CR_IMAGE_LIST || *command == commands::CR_IMAGE_DIGESTS {
                listings.extend(value);
            }
        }
        let refs: Vec<String> = match &plan.images {
            Images::Listed => {
                let domain = crate::regions::by_name(region).map_or("", |info| info.domain.as_str());
                images::image_refs(domain, &listings).into_iter().collect()
            }
            Images::Only(refs) => refs.clone(),
        };
        self.images(&scope, region, &refs);
        self.report.regions.push(RegionSummary {
            name: region.to_owned(),
            namespaces: namespace_count,
            images: refs.len(),
        });
        Some(())
    }

    /// `cr-image-inspect.json` (an object keyed by the inspected ref) and `cr-va.json` (one
    /// report per image; `{"image": REF, "status": "UNSCANNED"}` when `cr va` printed none).
    fn images(&mut self, scope: &Scope, region: &str, refs: &[String]) {
        if refs.is_empty() {
            return;
        }
        self.planned(2 * refs.len());
        let mut inspected = Map::new();
        let mut reports = Vec::new();
        for image in refs {
            let vars = Vars {
                region: Some(region),
                image: Some(image),
                ..Vars::default()
            };
            if let Some(value) = self.json(scope, &commands::CR_IMAGE_INSPECT, &vars, Content::Image) {
                let value = match value {
                    Value::Array(mut items) if items.len() == 1 => items.pop().unwrap_or_default(),
                    other => other,
                };
                inspected.insert(image.clone(), value);
            }
            if let Some(found) = self.va(scope, &vars, image) {
                reports.extend(found);
            }
        }
        self.write_json(
            scope,
            output::region_path(region, commands::CR_IMAGE_INSPECT_FILE),
            &Value::Object(inspected),
        );
        self.write_json(
            scope,
            output::region_path(region, commands::CR_VA_FILE),
            &Value::Array(reports),
        );
    }

    /// One image's VA reports, each carrying the `image` it is about.
    fn va(&mut self, scope: &Scope, vars: &Vars<'_>, image: &str) -> Option<Vec<Value>> {
        if self.halted {
            return None;
        }
        let args = commands::CR_VA.argv(vars);
        let shown = Shown("ibmcloud", &args).to_string();
        if self.refuse_option_like(scope, vars, &shown) {
            return None;
        }
        let ran = match self.invoke(Program::Ibmcloud, &args, None, &shown) {
            Ok(ran) => ran,
            Err(error) => {
                self.fail_to_run(scope, shown, &error);
                return None;
            }
        };
        let Some(mut value) = output::parse_json(&ran.stdout) else {
            return Some(vec![serde_json::json!({"image": image, "status": "UNSCANNED"})]);
        };
        redact::strip_secrets(&mut value, Content::Other);
        let mut found = match value {
            Value::Array(items) => items,
            other => vec![other],
        };
        for report in &mut found {
            if let Value::Object(map) = report
                && get(map, "image").is_none()
            {
                map.insert("image".to_owned(), Value::String(image.to_owned()));
            }
        }
        Some(found)
    }
}

#[cfg(test)]
mod tests;
