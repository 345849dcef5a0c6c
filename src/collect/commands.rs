//! Every command `regcheck collect` runs, as data: its arguments, the capture file it fills
//! (import.md's layout: file name = the command, spaces → `-`), what it prints, and whether
//! IBM's documentation confirms the command and its output ([`Evidence`]). Nothing else in
//! the crate spells an `ibmcloud` argument.
//!
//! Arguments that vary (the region, an image ref, a group name, a `--restrict` scope) are
//! [`Arg`] placeholders filled from [`Vars`], so that a subset of the table (one image and its
//! namespace, for `collect --image`) runs the same commands as a whole-account sweep.

use std::fmt;

/// One argument of a command: literal, or filled in when the command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    Lit(&'static str),
    /// The registry region, as `ibmcloud cr region-set` spells it.
    Region,
    /// An image ref, `registry/namespace/repo:tag` or `…@sha256:…`.
    Image,
    /// An access group's name (`access-group-users` takes the name, not the id).
    GroupName,
    /// `--restrict SCOPE` when a scope is set (a namespace or `namespace/repo`), else nothing.
    Restrict,
}

/// What a command prints on success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// A JSON document, possibly after banner lines.
    Json,
    /// A sentence for people (`cr private-only --status`, `cr va-version`).
    Text,
}

/// How sure we are of a command and of what it prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// IBM's CLI reference documents the command, its flags and the output format used here.
    Documented,
    /// Not confirmed by IBM's documentation: the reason says what is assumed.
    Inferred(&'static str),
}

/// One command of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    /// The program's arguments (`ibmcloud` is implied).
    pub args: &'static [Arg],
    /// The capture file it fills, relative to the capture folder or to `regions/<region>/`;
    /// `None` for commands whose output is only read (plug-in list, region, tokens).
    pub file: Option<&'static str>,
    pub output: Output,
    pub evidence: Evidence,
}

/// The values that fill a command's placeholders.
#[derive(Debug, Clone, Copy, Default)]
pub struct Vars<'a> {
    pub region: Option<&'a str>,
    pub image: Option<&'a str>,
    pub group: Option<&'a str>,
    pub restrict: Option<&'a str>,
}

impl Command {
    /// The arguments with the placeholders filled. A placeholder without a value is left out
    /// (only `Restrict` is ever meant to be: the table's callers always give the others).
    pub fn argv(&self, vars: &Vars<'_>) -> Vec<String> {
        let mut argv = Vec::with_capacity(self.args.len() + 1);
        for arg in self.args {
            match arg {
                Arg::Lit(text) => argv.push((*text).to_owned()),
                Arg::Region => argv.extend(vars.region.map(str::to_owned)),
                Arg::Image => argv.extend(vars.image.map(str::to_owned)),
                Arg::GroupName => argv.extend(vars.group.map(str::to_owned)),
                Arg::Restrict => {
                    if let Some(scope) = vars.restrict {
                        argv.push("--restrict".to_owned());
                        argv.push(scope.to_owned());
                    }
                }
            }
        }
        argv
    }
}

/// A command line as people read it: `ibmcloud cr plan --output json`, arguments with spaces
/// or quotes in single quotes, control characters (from hostile names) escaped so that they
/// cannot drive the terminal or forge lines in a CI log.
pub struct Shown<'a>(pub &'a str, pub &'a [String]);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)?;
        for arg in self.1 {
            let plain = !arg.is_empty()
                && arg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:@=,+%".contains(c));
            if plain {
                write!(f, " {arg}")?;
            } else {
                let quoted: String = arg
                    .replace('\'', r"'\''")
                    .chars()
                    .flat_map(|c| {
                        let escaped: Vec<char> = if c.is_control() {
                            c.escape_default().collect()
                        } else {
                            vec![c]
                        };
                        escaped
                    })
                    .collect();
                write!(f, " '{quoted}'")?;
            }
        }
        Ok(())
    }
}

use Arg::{GroupName, Image, Lit, Region, Restrict};
use Evidence::{Documented, Inferred};

const fn json(args: &'static [Arg], file: &'static str, evidence: Evidence) -> Command {
    Command {
        args,
        file: Some(file),
        output: Output::Json,
        evidence,
    }
}

const fn read_only(args: &'static [Arg], output: Output, evidence: Evidence) -> Command {
    Command {
        args,
        file: None,
        output,
        evidence,
    }
}

// ---- pre-flight and helpers (read, never written) ----

/// Installed plug-ins; a bare array of objects with a `Name` key.
pub const PLUGIN_LIST: Command = read_only(
    &[Lit("plugin"), Lit("list"), Lit("--output"), Lit("json")],
    Output::Json,
    Inferred(
        "`--output json` prints a bare array of objects with a `Name` key (seen in public scripts, not in IBM's reference)",
    ),
);

/// The plug-ins `collect` needs: name, and what for.
pub const REQUIRED_PLUGINS: &[(&str, &str)] = &[
    ("container-registry", "the registry commands (`ibmcloud cr`)"),
    ("atracker", "Activity Tracker Event Routing (`ibmcloud atracker`)"),
    ("cbr", "context-based restrictions (`ibmcloud cbr`)"),
];

/// The account; doubles as the login check, since it needs a valid session.
pub const ACCOUNT_SHOW: Command = json(
    &[Lit("account"), Lit("show"), Lit("--output"), Lit("json")],
    "account-show.json",
    Inferred(
        "when logged out it fails with `Not logged in. Use 'ibmcloud login' to log in.` (the CLI's usual message; IBM's reference does not show it)",
    ),
);

/// The registry region currently targeted, to put it back at the end: `You are targeting
/// region 'us-south', the registry is 'us.icr.io'.`
pub const CR_REGION: Command = read_only(
    &[Lit("cr"), Lit("region")],
    Output::Text,
    Inferred(
        "prints `You are targeting region 'REGION', the registry is 'DOMAIN'.` (seen in IBM tutorials; the reference shows no output)",
    ),
);

/// Targets a registry region for the `cr` commands that follow.
pub const CR_REGION_SET: Command =
    read_only(&[Lit("cr"), Lit("region-set"), Region], Output::Text, Documented);

/// An IAM access token for the one capture that has no CLI command (groups settings). Its
/// output is never written, printed or kept beyond that request.
pub const IAM_OAUTH_TOKENS: Command = read_only(
    &[Lit("iam"), Lit("oauth-tokens"), Lit("--output"), Lit("json")],
    Output::Json,
    Inferred("prints `{\"iam_token\": \"Bearer …\", …}`"),
);

// ---- account-wide captures, in the order they run ----

pub const IAM_ACCESS_GROUPS: Command = json(
    &[Lit("iam"), Lit("access-groups"), Lit("--output"), Lit("json")],
    "iam-access-groups.json",
    Documented,
);

/// Users of one group, by the group's name; merged into `iam-access-group-members.json`.
pub const IAM_ACCESS_GROUP_USERS: Command = read_only(
    &[
        Lit("iam"),
        Lit("access-group-users"),
        GroupName,
        Lit("--output"),
        Lit("json"),
    ],
    Output::Json,
    Inferred(
        "the reference documents `access-group-users GROUP_NAME` without `--output`; the CLI's global `--output json` is assumed to print a list",
    ),
);

/// Service ids of one group, by the group's name; merged into `iam-access-group-members.json`.
pub const IAM_ACCESS_GROUP_SERVICE_IDS: Command = read_only(
    &[
        Lit("iam"),
        Lit("access-group-service-ids"),
        GroupName,
        Lit("--output"),
        Lit("json"),
    ],
    Output::Json,
    Inferred(
        "the reference documents `access-group-service-ids GROUP_NAME` without `--output`; the CLI's global `--output json` is assumed to print a list",
    ),
);

/// The members map, `{"<group id>": [users…, service ids…]}`, built from the two above.
pub const IAM_ACCESS_GROUP_MEMBERS_FILE: &str = "iam-access-group-members.json";

pub const IAM_POLICIES: Command = json(
    &[
        Lit("iam"),
        Lit("access-policies"),
        Lit("--output"),
        Lit("json"),
        Lit("--api-version"),
        Lit("v2"),
    ],
    "iam-policies.json",
    Documented,
);

pub const IAM_SERVICE_IDS: Command = json(
    &[Lit("iam"), Lit("service-ids"), Lit("--output"), Lit("json")],
    "iam-service-ids.json",
    Documented,
);

/// The logged-in user's platform API keys (IBM's CLI lists no other user's keys).
pub const IAM_API_KEYS: Command = json(
    &[Lit("iam"), Lit("api-keys"), Lit("--output"), Lit("json")],
    "iam-api-keys.json",
    Documented,
);

/// Every service id's API keys; `--force` answers the confirmation prompt.
pub const IAM_SERVICE_API_KEYS: Command = json(
    &[
        Lit("iam"),
        Lit("service-api-keys"),
        Lit("--all"),
        Lit("--force"),
        Lit("--output"),
        Lit("json"),
    ],
    "iam-service-api-keys.json",
    Documented,
);

pub const CBR_RULES: Command = json(
    &[
        Lit("cbr"),
        Lit("rules"),
        Lit("--service-name"),
        Lit("container-registry"),
        Lit("--output"),
        Lit("json"),
    ],
    "cbr-rules.json",
    Inferred(
        "`cbr rules` documents `--service-name` but not `--output`; the plug-in's `--output json` is assumed",
    ),
);

pub const ATRACKER_TARGETS: Command = json(
    &[
        Lit("atracker"),
        Lit("target"),
        Lit("ls"),
        Lit("--output"),
        Lit("json"),
    ],
    "atracker-target-ls.json",
    Documented,
);

pub const ATRACKER_ROUTES: Command = json(
    &[
        Lit("atracker"),
        Lit("route"),
        Lit("ls"),
        Lit("--output"),
        Lit("json"),
    ],
    "atracker-route-ls.json",
    Documented,
);

pub const ATRACKER_SETTINGS: Command = json(
    &[
        Lit("atracker"),
        Lit("setting"),
        Lit("get"),
        Lit("--output"),
        Lit("json"),
    ],
    "atracker-setting-get.json",
    Documented,
);

/// Account-wide captures that are one command each, in the order they run (the access-group
/// members and the groups settings follow the groups).
pub const ACCOUNT_CAPTURES: &[Command] = &[
    IAM_ACCESS_GROUPS,
    IAM_POLICIES,
    IAM_SERVICE_IDS,
    IAM_API_KEYS,
    IAM_SERVICE_API_KEYS,
    CBR_RULES,
    ATRACKER_TARGETS,
    ATRACKER_ROUTES,
    ATRACKER_SETTINGS,
];

/// The IAM Access Groups setting `public_access_enabled` has no CLI command: it is an HTTP GET
/// of the Access Groups API with the CLI's own IAM token ([`IAM_OAUTH_TOKENS`]), made by `curl`
/// so that the token travels on its standard input, never on a command line.
pub struct HttpGet {
    /// The URL; the account id is appended.
    pub url_before_account_id: &'static str,
    pub file: &'static str,
    pub evidence: Evidence,
}

pub const IAM_GROUPS_SETTINGS: HttpGet = HttpGet {
    url_before_account_id: "https://iam.cloud.ibm.com/v2/groups/settings?account_id=",
    file: "iam-access-groups-settings.json",
    evidence: Inferred(
        "no CLI command exists; the documented API (`GET /v2/groups/settings?account_id=`) is called with the token of `ibmcloud iam oauth-tokens`, through `curl`",
    ),
};

/// `curl`'s fixed arguments: `-q` first (ignore `~/.curlrc`), fail on HTTP errors, read the
/// URL and the headers from standard input (`--config -`) so the token is on no command line.
pub const CURL_ARGS: &[&str] = &["-q", "--silent", "--show-error", "--fail", "--config", "-"];

// ---- per-region captures ----

/// The namespaces of the targeted region; also how `collect` finds the regions in use.
pub const CR_NAMESPACES: Command = json(
    &[
        Lit("cr"),
        Lit("namespace-list"),
        Lit("-v"),
        Lit("--output"),
        Lit("json"),
    ],
    "cr-namespace-list.json",
    Documented,
);

pub const CR_PLAN: Command = json(
    &[Lit("cr"), Lit("plan"), Lit("--output"), Lit("json")],
    "cr-plan.json",
    Documented,
);

pub const CR_QUOTA: Command = json(
    &[Lit("cr"), Lit("quota"), Lit("--output"), Lit("json")],
    "cr-quota.json",
    Documented,
);

pub const CR_PRIVATE_ONLY: Command = Command {
    args: &[Lit("cr"), Lit("private-only"), Lit("--status")],
    file: Some("cr-private-only.txt"),
    output: Output::Text,
    evidence: Inferred(
        "prints a sentence saying whether public connections are prevented; the reference shows no output",
    ),
};

pub const CR_VA_VERSION: Command = Command {
    args: &[Lit("cr"), Lit("va-version")],
    file: Some("cr-va-version.txt"),
    output: Output::Text,
    evidence: Inferred("prints the version in use (`v4`) in a sentence; the reference shows no output"),
};

pub const CR_RETENTION: Command = json(
    &[
        Lit("cr"),
        Lit("retention-policy-list"),
        Lit("--output"),
        Lit("json"),
    ],
    "cr-retention-policy-list.json",
    Documented,
);

/// Tagged images with their VA status; `Restrict` narrows it to a namespace or repository.
pub const CR_IMAGE_LIST: Command = json(
    &[
        Lit("cr"),
        Lit("image-list"),
        Lit("--va"),
        Lit("--no-trunc"),
        Restrict,
        Lit("--output"),
        Lit("json"),
    ],
    "cr-image-list.json",
    Documented,
);

/// Every image, untagged ones included, with full digests and their tags.
pub const CR_IMAGE_DIGESTS: Command = json(
    &[
        Lit("cr"),
        Lit("image-digests"),
        Lit("--va"),
        Restrict,
        Lit("--output"),
        Lit("json"),
    ],
    "cr-image-digests.json",
    Documented,
);

pub const CR_EXEMPTIONS: Command = json(
    &[Lit("cr"), Lit("exemption-list"), Lit("--output"), Lit("json")],
    "cr-exemption-list.json",
    Documented,
);

/// One image's details; collected into `cr-image-inspect.json`, an object keyed by the ref.
pub const CR_IMAGE_INSPECT: Command = read_only(
    &[Lit("cr"), Lit("image-inspect"), Image],
    Output::Json,
    Inferred(
        "the reference documents no `--output` flag; the command is assumed to print a JSON array of one `docker inspect`-like object by default",
    ),
);

pub const CR_IMAGE_INSPECT_FILE: &str = "cr-image-inspect.json";

/// One image's Vulnerability Advisor report; collected into `cr-va.json`. Prints no JSON for
/// an image VA has not scanned (recorded as `{"image": REF, "status": "UNSCANNED"}`).
pub const CR_VA: Command = read_only(
    &[Lit("cr"), Lit("va"), Lit("--output"), Lit("json"), Image],
    Output::Json,
    Inferred(
        "for one image it prints one report (an object, or an array of one); for an unscanned image it prints no JSON",
    ),
);

pub const CR_VA_FILE: &str = "cr-va.json";

/// The region's captures that are one command each, in the order they run after the
/// namespace list.
pub const REGION_CAPTURES: &[Command] = &[
    CR_PLAN,
    CR_QUOTA,
    CR_PRIVATE_ONLY,
    CR_VA_VERSION,
    CR_RETENTION,
    CR_IMAGE_LIST,
    CR_IMAGE_DIGESTS,
    CR_EXEMPTIONS,
];

/// The capture-scope manifest of a narrow capture (`collect --image`): which repositories
/// each region's image listings were restricted to, so that `import` judges only those
/// repositories' images stale (see `crate::import::capture`).
pub const CAPTURE_SCOPE_FILE: &str = "capture-scope.json";

/// What `collect --image` captures in the image's region after the namespace list: the
/// namespaces' retention, and both image listings restricted to the image's repository. Both:
/// `image-list` shows tagged images only, and a repository's listing must be whole for
/// `import` to judge its other images (an untagged one shows in `image-digests` alone).
pub const IMAGE_CAPTURES: &[Command] = &[CR_RETENTION, CR_IMAGE_LIST, CR_IMAGE_DIGESTS];

/// Every capture file name of the account level, for replacing an earlier capture.
pub fn account_files() -> impl Iterator<Item = &'static str> {
    [
        ACCOUNT_SHOW.file,
        Some(CAPTURE_SCOPE_FILE),
        Some(IAM_ACCESS_GROUP_MEMBERS_FILE),
        Some(IAM_GROUPS_SETTINGS.file),
    ]
    .into_iter()
    .chain(ACCOUNT_CAPTURES.iter().map(|command| command.file))
    .flatten()
}

/// Every capture file name of a region folder, for replacing an earlier capture.
pub fn region_files() -> impl Iterator<Item = &'static str> {
    [CR_NAMESPACES.file, Some(CR_IMAGE_INSPECT_FILE), Some(CR_VA_FILE)]
        .into_iter()
        .chain(REGION_CAPTURES.iter().map(|command| command.file))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_the_commands_with_dashes() {
        for command in ACCOUNT_CAPTURES
            .iter()
            .chain(REGION_CAPTURES)
            .chain([&CR_NAMESPACES])
        {
            let file = command.file.unwrap();
            let words: Vec<&str> = command
                .args
                .iter()
                .map_while(|arg| match arg {
                    Arg::Lit(word) if !word.starts_with('-') => Some(*word),
                    _ => None,
                })
                .collect();
            let stem = file.rsplit_once('.').unwrap().0;
            // import.md's one exception: the policies file drops `access-`.
            let expected = words.join("-").replace("iam-access-policies", "iam-policies");
            assert_eq!(stem, expected, "{file}");
            let extension = if command.output == Output::Json {
                "json"
            } else {
                "txt"
            };
            assert!(file.ends_with(extension), "{file}");
        }
    }

    #[test]
    fn placeholders_are_filled_and_restrict_is_optional() {
        let vars = Vars {
            region: Some("eu-de"),
            ..Vars::default()
        };
        assert_eq!(CR_REGION_SET.argv(&vars), ["cr", "region-set", "eu-de"]);
        assert_eq!(
            CR_IMAGE_LIST.argv(&vars),
            ["cr", "image-list", "--va", "--no-trunc", "--output", "json"]
        );
        let narrow = Vars {
            restrict: Some("shop/api"),
            ..vars
        };
        assert_eq!(
            CR_IMAGE_LIST.argv(&narrow),
            [
                "cr",
                "image-list",
                "--va",
                "--no-trunc",
                "--restrict",
                "shop/api",
                "--output",
                "json"
            ]
        );
    }

    #[test]
    fn shown_quotes_what_a_shell_would_split() {
        let args = vec!["access-group-users".to_owned(), "Registry admins".to_owned()];
        assert_eq!(
            Shown("ibmcloud", &args).to_string(),
            "ibmcloud access-group-users 'Registry admins'"
        );
        let hostile = vec!["us.icr.io/x/y:\u{1b}[2J\nerror: forged".to_owned()];
        assert_eq!(
            Shown("ibmcloud", &hostile).to_string(),
            r"ibmcloud 'us.icr.io/x/y:\u{1b}[2J\nerror: forged'"
        );
    }

    #[test]
    fn no_file_is_listed_twice() {
        let mut account: Vec<_> = account_files().collect();
        let mut region: Vec<_> = region_files().collect();
        let (a, r) = (account.len(), region.len());
        account.sort_unstable();
        account.dedup();
        region.sort_unstable();
        region.dedup();
        assert_eq!((account.len(), region.len()), (a, r));
        assert_eq!(a, 13, "the 12 capture files and capture-scope.json");
        assert_eq!(r, 11);
    }
}
