//! `regcheck collect`: runs IBM's `ibmcloud` CLI and writes the capture folder of import.md,
//! which `regcheck import` then merges into `account.toml`.
//!
//! A run is: a pre-flight check that writes nothing ([`Problem`]s: `ibmcloud` missing, not
//! logged in, a plug-in missing); the account-wide captures; then each region's, in the order
//! of `data/regions.toml`: `cr region-set`, the namespace list (a region without namespaces is
//! skipped unless it was asked for), the region's other captures, then one `image-inspect` and
//! one `cr va` per image. The registry region the user had targeted is put back at the end.
//!
//! - The commands are data, in [`commands`]; [`runner`] runs them (no shell, standard input
//!   closed, a time limit). A region is a [`RegionPlan`], so that a few commands for one image
//!   and its namespace (`collect --image`) run through the same code as a full sweep.
//! - A command that fails is recorded as a [`Failure`] naming its scope (the account or a
//!   region) and the command line; the run goes on with the next command (after a time-out, with
//!   the next scope), so one failing region does not lose the others.
//! - Every JSON document loses its credential fields before it is written and every message
//!   quoting `ibmcloud`'s output is redacted first ([`redact`]). Files are written whole
//!   (`crate::write::write_file`); the files of an earlier capture in the folder are replaced.
//! - Nothing here prints: progress and failures go to an [`Observer`], the outcome is a
//!   [`Report`].

pub mod commands;
pub mod images;
pub mod output;
pub mod redact;
pub mod runner;
mod session;

use std::fmt;
use std::path::PathBuf;

pub use runner::{Cli, ProcessCli, Program, Ran, RunError};
pub use session::{Images, Plan, RegionPlan};

/// What to collect, and where to.
#[derive(Debug, Clone)]
pub struct Options {
    /// The capture folder.
    pub dir: PathBuf,
    /// Regions to collect, as `data/regions.toml` names them; empty = every region where a
    /// namespace exists.
    pub regions: Vec<String>,
}

/// One image to refresh (`collect --image`): its region, its ref with the registry host, and
/// the repository its listing is restricted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageTarget {
    pub region: String,
    /// `host/namespace/repo:tag` or `host/namespace/repo@sha256:…` (no tag: `:latest`).
    pub reference: String,
    /// `namespace/repo`, for `--restrict`.
    pub repository: String,
}

impl ImageTarget {
    /// Reads `text` (`[host/]ns/repo[:tag|@digest]`). The region comes from the host, or from
    /// `region` when the ref has none; a host that is no IBM registry, or a ref with neither
    /// host nor region, is an error saying what to give.
    pub fn parse(text: &str, region: Option<&str>) -> Result<Self, String> {
        let name = crate::select::parse(text);
        let text = &crate::select::printable(text);
        if name.repository.is_empty() || !name.repository.contains('/') {
            return Err(format!(
                "`{text}` is not an image of a namespace: give it as [REGISTRY/]NAMESPACE/REPO:TAG or NAMESPACE/REPO@sha256:…"
            ));
        }
        let info = match (name.host, region) {
            (Some(host), _) => crate::regions::by_domain(host).ok_or_else(|| {
                format!("`{host}` is not an IBM Cloud Container Registry host (like us.icr.io)")
            })?,
            (None, Some(region)) => crate::regions::by_name(region)
                .ok_or_else(|| format!("`{region}` is not a registry region"))?,
            (None, None) => {
                return Err(format!(
                    "`{text}` names no registry: give the host (us.icr.io/{text}) or one --region"
                ));
            }
        };
        if let (Some(_), Some(region)) = (name.host, region)
            && region != info.name
        {
            return Err(format!(
                "`{text}` is in region {}, not in the --region given ({region})",
                info.name
            ));
        }
        let host = name.host.unwrap_or(&info.domain);
        let reference = match (name.tag, name.digest) {
            (_, Some(digest)) => format!("{host}/{}@{digest}", name.repository),
            (Some(tag), None) => format!("{host}/{}:{tag}", name.repository),
            (None, None) => format!("{host}/{}:latest", name.repository),
        };
        Ok(Self {
            region: info.name.clone(),
            reference,
            repository: name.repository.to_owned(),
        })
    }

    /// The narrow plan: no account-wide captures; in the image's region the namespace list,
    /// the retention list, its repository's listings, its inspection and its VA report; and the
    /// capture-scope manifest that tells `import` the listing covers this repository only.
    pub fn plan(&self) -> Plan<'_> {
        Plan {
            account: false,
            regions: vec![RegionPlan {
                region: &self.region,
                even_without_namespaces: true,
                captures: commands::IMAGE_CAPTURES,
                restrict: Some(&self.repository),
                images: Images::Only(vec![self.reference.clone()]),
            }],
            scope: Some(serde_json::json!({
                "version": 1,
                "image": self.reference,
                "regions": { &self.region: { "repositories": [self.repository] } },
            })),
        }
    }
}

/// Where a failure happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The account-wide captures.
    Account,
    /// A region's captures.
    Region(String),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Account => f.write_str("account"),
            Scope::Region(name) => write!(f, "region {name}"),
        }
    }
}

/// A command that did not give its capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub scope: Scope,
    /// The command line (or request) as people read it.
    pub command: String,
    /// Why, with any output quoted already redacted.
    pub reason: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: `{}` failed: {}", self.scope, self.command, self.reason)
    }
}

/// Why `collect` cannot start. Each says what is missing and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NotInstalled,
    NotLoggedIn,
    MissingPlugin {
        name: &'static str,
        purpose: &'static str,
    },
    /// A check itself failed (network, permission, unexpected output).
    CheckFailed {
        command: String,
        reason: String,
    },
}

impl Problem {
    /// The command that fixes it, when there is one.
    pub fn fix(&self) -> Option<String> {
        match self {
            Problem::NotInstalled => Some(
                "install the IBM Cloud CLI (https://cloud.ibm.com/docs/cli?topic=cli-install-ibmcloud-cli) and put `ibmcloud` on PATH"
                    .to_owned(),
            ),
            Problem::NotLoggedIn => Some(
                "`ibmcloud login --sso` (or `ibmcloud login --apikey @FILE` in automation)".to_owned(),
            ),
            Problem::MissingPlugin { name, .. } => Some(format!("`ibmcloud plugin install {name}`")),
            Problem::CheckFailed { .. } => None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NotInstalled => f.write_str("`ibmcloud` is not installed or not on PATH"),
            Problem::NotLoggedIn => f.write_str("`ibmcloud` is not logged in (or the session expired)"),
            Problem::MissingPlugin { name, purpose } => {
                write!(f, "the `{name}` plug-in is not installed; it runs {purpose}")
            }
            Problem::CheckFailed { command, reason } => write!(f, "`{command}` failed: {reason}"),
        }
    }
}

/// Why a run stopped before capturing anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The pre-flight check found problems; nothing was written.
    NotReady(Vec<Problem>),
    /// The capture folder could not be prepared.
    Folder(String),
}

/// One region that was captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionSummary {
    pub name: String,
    pub namespaces: usize,
    pub images: usize,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Files written, relative to the capture folder, in the order written.
    pub files: Vec<String>,
    /// Regions captured.
    pub regions: Vec<RegionSummary>,
    /// Commands that failed; the run's exit code is 2 when there is any.
    pub failures: Vec<Failure>,
    /// Files of an earlier capture that were removed from the folder.
    pub removed: usize,
    /// Things the user should know that are not failures.
    pub notes: Vec<String>,
}

/// What the run tells its caller as it goes.
#[derive(Debug)]
pub enum Event<'a> {
    /// A stage starts: the check, the account, a region.
    Stage(&'a str),
    /// This many more commands are now known to be ahead.
    Planned(u64),
    /// A command starts (its command line).
    Running(&'a str),
    /// The command that was running ended, successfully or not.
    Finished,
    /// A command failed (also in the [`Report`]).
    Failed(&'a Failure),
    /// Something worth saying that is not a failure (also in the [`Report`]).
    Note(&'a str),
}

/// Receives [`Event`]s: the CLI shows a progress bar or plain lines.
pub trait Observer {
    fn event(&mut self, event: Event<'_>);
}

/// Ignores every event.
impl Observer for () {
    fn event(&mut self, _: Event<'_>) {}
}

/// Checks that `ibmcloud` is ready, then captures the account and its regions into
/// `options.dir`.
pub fn collect(cli: &mut dyn Cli, options: &Options, observer: &mut dyn Observer) -> Result<Report, Stop> {
    session::run(cli, &options.dir, &Plan::sweep(&options.regions), observer)
}

/// Checks that `ibmcloud` is ready, then runs `plan` into `dir`: the entry for narrower runs
/// than a sweep (one image and its namespace, for `collect --image`).
pub fn collect_plan(
    cli: &mut dyn Cli,
    dir: &std::path::Path,
    plan: &Plan<'_>,
    observer: &mut dyn Observer,
) -> Result<Report, Stop> {
    session::run(cli, dir, plan, observer)
}

#[cfg(test)]
mod image_target_tests {
    use super::ImageTarget;

    #[test]
    fn the_region_comes_from_the_host_or_the_one_region_given() {
        let target = ImageTarget::parse("private.de.icr.io/shop/api:2", None).unwrap();
        assert_eq!(
            (
                target.region.as_str(),
                target.reference.as_str(),
                target.repository.as_str()
            ),
            ("eu-de", "private.de.icr.io/shop/api:2", "shop/api")
        );
        let target = ImageTarget::parse("shop/api", Some("us-south")).unwrap();
        assert_eq!(target.reference, "us.icr.io/shop/api:latest");
        let target = ImageTarget::parse("shop/api@sha256:ab", Some("us-south")).unwrap();
        assert_eq!(target.reference, "us.icr.io/shop/api@sha256:ab");
    }

    #[test]
    fn a_ref_that_cannot_be_placed_is_refused() {
        assert!(
            ImageTarget::parse("shop/api:1", None)
                .unwrap_err()
                .contains("names no registry")
        );
        assert!(ImageTarget::parse("docker.io/shop/api:1", None).is_err());
        assert!(ImageTarget::parse("us.icr.io/shop/api:1", Some("eu-de")).is_err());
        assert!(ImageTarget::parse("api:1", Some("us-south")).is_err());
    }
}
