//! Deterministic generator of valid, realistic `account.toml` files for the benchmarks.
//!
//! Shared by `benches/audit.rs` (criterion) and `benches/report.rs` (the one-shot report) through
//! `#[path = "support/generate.rs"] mod generate;`. No randomness crate: a seeded splitmix64
//! stream, so every run of every target sees byte-identical files.
//!
//! Everything the loader checks holds by construction (`shared/spec/account.md`, "Loading
//! rules"): namespaces sit in declared registry regions and are unique per region, image refs use
//! the registry's domain (or its `private.` form) and a namespace declared in that region,
//! automation identities and API key owners that are service ids are declared, automation
//! namespaces are declared. The values are synthetic: no real account ids, keys or secrets.
#![allow(dead_code)]

use std::fmt::Write as _;

/// One benchmark size.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub name: &'static str,
    pub namespaces: usize,
    pub images: usize,
    pub iam_policies: usize,
    pub registries: usize,
    /// Every image's env also holds a generated look-alike of an AWS access key id and of a
    /// GitHub token (never real credentials): two ICR-SEC-002 findings per image, each masked
    /// wherever a report quotes it.
    pub leaked_credentials: bool,
}

pub const SMALL: Size = Size {
    name: "small",
    namespaces: 10,
    images: 200,
    iam_policies: 100,
    registries: 4,
    leaked_credentials: false,
};

pub const MEDIUM: Size = Size {
    name: "medium",
    namespaces: 100,
    images: 10_000,
    iam_policies: 1_000,
    registries: 6,
    leaked_credentials: false,
};

pub const LARGE: Size = Size {
    name: "large",
    namespaces: 1_000,
    images: 100_000,
    iam_policies: 10_000,
    registries: 8,
    leaked_credentials: false,
};

/// The small account's shape with 400 images, each leaking two credentials: what auditing an
/// account full of secrets costs (detection, messages, masking). Not one of [`SIZES`], which
/// the reports run by default: `bench-report --write leaky FILE`.
pub const LEAKY: Size = Size {
    name: "leaky",
    namespaces: 10,
    images: 400,
    iam_policies: 100,
    registries: 4,
    leaked_credentials: true,
};

pub const SIZES: [Size; 3] = [SMALL, MEDIUM, LARGE];

pub fn size_by_name(name: &str) -> Option<Size> {
    SIZES
        .iter()
        .chain([&LEAKY])
        .copied()
        .find(|size| size.name == name)
}

/// Registry regions in the order they are taken (the first `size.registries` are declared).
const REGISTRY_REGIONS: [&str; 8] = [
    "us-south", "eu-de", "eu-gb", "global", "jp-tok", "au-syd", "ca-tor", "br-sao",
];

const TEAMS: [&str; 14] = [
    "shop", "pay", "data", "ml", "web", "core", "infra", "search", "media", "auth", "ops", "edge", "mobile",
    "billing",
];
const ENVS: [&str; 5] = ["prod", "stage", "dev", "test", "qa"];
const REPOS: [&str; 16] = [
    "api",
    "web",
    "worker",
    "gateway",
    "batch",
    "frontend",
    "auth-service",
    "scheduler",
    "notifier",
    "ingest",
    "search/indexer",
    "reports",
    "cart",
    "checkout",
    "ml/trainer",
    "proxy",
];
const BASE_IMAGES: [&str; 6] = [
    "alpine:3.20",
    "debian:bookworm-slim",
    "ubuntu:24.04",
    "node:22-alpine",
    "eclipse-temurin:21-jre",
    "golang:1.23",
];
const LOG_LEVELS: [&str; 4] = ["debug", "info", "warn", "error"];

/// splitmix64: tiny, fast, good enough for synthetic data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn hex(&mut self, digits: usize) -> String {
        let mut out = String::with_capacity(digits);
        while out.len() < digits {
            let _ = write!(out, "{:016x}", self.next_u64());
        }
        out.truncate(digits);
        out
    }
}

/// A TOML basic string.
fn q(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn string_array<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|item| q(item.as_ref())).collect();
    format!("[{}]", inner.join(", "))
}

/// A TOML offset datetime in 2025-01-01 ..= 2026-11-24, seconds resolution.
fn datetime_between(rng: &mut Rng, from_day: i64, to_day: i64) -> String {
    let day = rng.range(from_day, to_day);
    let second = rng.range(0, 86_399);
    format_datetime(day, second)
}

/// Day 0 = 2025-01-01.
fn format_datetime(day: i64, second: i64) -> String {
    let (year, month, dom) = civil_from_day(day);
    format!(
        "{year:04}-{month:02}-{dom:02}T{:02}:{:02}:{:02}Z",
        second / 3600,
        (second / 60) % 60,
        second % 60
    )
}

fn format_date(day: i64) -> String {
    let (year, month, dom) = civil_from_day(day);
    format!("{year:04}-{month:02}-{dom:02}")
}

fn civil_from_day(mut day: i64) -> (i64, i64, i64) {
    let mut year = 2025;
    loop {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = if leap { 366 } else { 365 };
        if day < days {
            let lengths = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ];
            for (index, length) in lengths.iter().enumerate() {
                if day < *length {
                    return (year, index as i64 + 1, day + 1);
                }
                day -= length;
            }
        }
        day -= days;
        year += 1;
    }
}

/// 2026-11-24 as a day number (the day before the capture).
const LAST_DAY: i64 = 365 + 327;

struct NamespaceGen {
    name: String,
    region: &'static str,
    domain: String,
    team: &'static str,
    repos: Vec<&'static str>,
    /// Last tag number per repo, so refs stay unique.
    images: usize,
}

/// Generates the account file of `size`. Same size, same bytes.
pub fn generate(size: &Size) -> String {
    let mut rng = Rng::new(0x5EED_0000 ^ size.images as u64 ^ ((size.namespaces as u64) << 32));
    // About 850 bytes per image dominate the file.
    let mut out = String::with_capacity(size.images * 900 + size.iam_policies * 260 + (1 << 16));

    let account_id = rng.hex(32);
    let _ = writeln!(
        out,
        "# Synthetic account for regcheck benchmarks ({}): generated, not real.",
        size.name
    );
    let _ = writeln!(out, "schema_version = 1\n");
    let _ = writeln!(
        out,
        "[account]\nid = {}\nname = {}\ncaptured_at = 2026-11-25T06:00:00Z\n",
        q(&account_id),
        q(&format!("bench-{}", size.name))
    );

    // Registries.
    let regions: Vec<&'static str> =
        REGISTRY_REGIONS[..size.registries.clamp(1, REGISTRY_REGIONS.len())].to_vec();
    for (index, region) in regions.iter().enumerate() {
        let plan = if index == regions.len() - 1 && regions.len() > 3 {
            "free"
        } else {
            "standard"
        };
        let limit = if plan == "free" {
            512
        } else {
            1024 * (2 + rng.below(30) as i64)
        };
        let _ = writeln!(
            out,
            "[[registries]]\nregion = {}\nplan = {}\nprivate_only = {}\nva_version = {}\nquota = {{ storage_limit_mb = {limit}, storage_used_mb = {}, traffic_limit_mb = {}, traffic_used_mb = {} }}\n",
            q(region),
            q(plan),
            rng.chance(60),
            q(if rng.chance(90) { "v4" } else { "v3" }),
            rng.range(0, limit),
            limit * 5,
            rng.range(0, limit * 5),
        );
    }

    // Namespaces: ~90% primaries spread over the regions (the first region holds the most), the
    // rest declared replicas (same name, another region) of the first, critical primaries.
    let replica_count = if regions.len() > 1 {
        size.namespaces / 10
    } else {
        0
    };
    let primary_count = size.namespaces - replica_count;
    let mut namespaces: Vec<NamespaceGen> = Vec::with_capacity(size.namespaces);
    let mut ns_text = String::new();
    let region_weights: Vec<usize> = (0..regions.len()).map(|i| (regions.len() - i) * 2 + 1).collect();
    let weight_total: usize = region_weights.iter().sum();
    for index in 0..size.namespaces {
        let replica_of = index.checked_sub(primary_count);
        let (name, region, team, criticality) = match replica_of {
            None => {
                let team = *rng.pick(&TEAMS);
                let env = if index < replica_count {
                    "prod"
                } else {
                    *rng.pick(&ENVS)
                };
                let mut ticket = rng.below(weight_total);
                let mut region_index = 0;
                while ticket >= region_weights[region_index] {
                    ticket -= region_weights[region_index];
                    region_index += 1;
                }
                let criticality = if index < replica_count {
                    "critical"
                } else if env == "prod" {
                    if rng.chance(30) { "critical" } else { "production" }
                } else {
                    "nonprod"
                };
                (
                    format!("{team}-{env}-{index:04}"),
                    regions[region_index],
                    team,
                    criticality,
                )
            }
            Some(of) => {
                let primary = &namespaces[of];
                let others: Vec<&'static str> =
                    regions.iter().copied().filter(|r| *r != primary.region).collect();
                (
                    primary.name.clone(),
                    others[of % others.len()],
                    primary.team,
                    "critical",
                )
            }
        };
        let domain = regcheck::regions::by_name(region)
            .unwrap_or_else(|| panic!("{region} is in data/regions.toml"))
            .domain
            .clone();
        let _ = writeln!(
            ns_text,
            "[[namespaces]]\nname = {}\nregion = {}",
            q(&name),
            q(region)
        );
        if rng.chance(90) {
            let _ = writeln!(ns_text, "resource_group = {}", q(&format!("rg-{team}")));
        } else if rng.chance(50) {
            let _ = writeln!(ns_text, "resource_group = \"\"");
        }
        if criticality != "nonprod" || rng.chance(50) {
            let _ = writeln!(ns_text, "criticality = {}", q(criticality));
        }
        if rng.chance(80) {
            let per_repo = *rng.pick(&[-1, 5, 10, 20, 50]);
            let _ = writeln!(
                ns_text,
                "retention = {{ images_per_repo = {per_repo}, retain_untagged = {}, deletion_threshold_days = {} }}",
                rng.chance(20),
                rng.pick(&[14, 7, 30, 90]),
            );
        }
        if replica_of.is_none() && index < replica_count {
            let target = regions
                .iter()
                .copied()
                .filter(|r| *r != region)
                .nth(index % (regions.len() - 1))
                .unwrap_or(region);
            let _ = writeln!(
                ns_text,
                "replicas = [\n  {{ region = {}, namespace = {}, last_synced = {}, digests_verified = {} }},\n]",
                q(target),
                q(&name),
                datetime_between(&mut rng, LAST_DAY - 10, LAST_DAY),
                rng.chance(80),
            );
        }
        ns_text.push('\n');
        let repo_count = 1 + rng.below(8);
        let mut repos: Vec<&'static str> = Vec::with_capacity(repo_count);
        while repos.len() < repo_count {
            let repo = *rng.pick(&REPOS);
            if !repos.contains(&repo) {
                repos.push(repo);
            }
        }
        namespaces.push(NamespaceGen {
            name,
            region,
            domain,
            team,
            repos,
            images: 0,
        });
    }
    // A primary's `replicas` entry and its declared replica namespace pick the region with one
    // formula (the `index % (regions - 1)`-th other region), so they agree.
    out.push_str(&ns_text);
    drop(ns_text);

    // Images: shares per namespace weighted 1..=9, listed namespace by namespace.
    let weights: Vec<usize> = (0..namespaces.len()).map(|_| 1 + rng.below(9)).collect();
    let total_weight: usize = weights.iter().sum();
    let mut counts: Vec<usize> = weights.iter().map(|w| size.images * w / total_weight).collect();
    let mut missing = size.images - counts.iter().sum::<usize>();
    let mut cursor = 0;
    let namespace_count = counts.len();
    while missing > 0 {
        counts[cursor % namespace_count] += 1;
        missing -= 1;
        cursor += 1;
    }
    for (ns_index, count) in counts.iter().enumerate() {
        for _ in 0..*count {
            write_image(
                &mut out,
                &mut rng,
                &mut namespaces[ns_index],
                size.leaked_credentials,
            );
        }
    }

    // Vulnerability Advisor exemptions.
    for _ in 0..(size.namespaces / 5).max(2) {
        let ns = &namespaces[rng.below(primary_count)];
        let scope = if rng.chance(10) {
            "*".to_owned()
        } else {
            format!("{}/{}", ns.name, rng.pick(&ns.repos))
        };
        let _ = writeln!(
            out,
            "[[exemptions]]\nregion = {}\nscope = {}\nissue_type = \"cve\"\nissue_id = {}\n",
            q(ns.region),
            q(&scope),
            q(&format!(
                "CVE-{}-{}",
                rng.range(2021, 2026),
                rng.range(1000, 49999)
            )),
        );
    }

    // IAM.
    let service_id_count = (size.namespaces / 2).max(4);
    let service_ids: Vec<String> = (0..service_id_count)
        .map(|_| {
            format!(
                "ServiceId-{}-{}-{}-{}-{}",
                rng.hex(8),
                rng.hex(4),
                rng.hex(4),
                rng.hex(4),
                rng.hex(12)
            )
        })
        .collect();
    let users: Vec<String> = (0..(size.namespaces / 2).max(5))
        .map(|i| {
            if i % 3 == 0 {
                format!("user{i}@example.com")
            } else {
                format!("IBMid-{}", rng.hex(10).to_uppercase())
            }
        })
        .collect();
    let group_count = (size.namespaces / 5).max(3);
    let groups: Vec<String> = (0..group_count)
        .map(|_| format!("AccessGroupId-{}", rng.hex(32)))
        .collect();

    let _ = writeln!(out, "[iam]\npublic_access_enabled = {}\n", rng.chance(10));
    for (index, group) in groups.iter().enumerate() {
        let team = TEAMS[index % TEAMS.len()];
        let role = ["pushers", "pullers", "admins"][index % 3];
        let mut members: Vec<&str> = Vec::new();
        for _ in 0..rng.range(1, 6) {
            let member = if rng.chance(50) {
                rng.pick(&service_ids).as_str()
            } else {
                rng.pick(&users).as_str()
            };
            if !members.contains(&member) {
                members.push(member);
            }
        }
        let _ = writeln!(
            out,
            "[[iam.access_groups]]\nid = {}\nname = {}\nmembers = {}\n",
            q(group),
            q(&format!("registry-{team}-{role}-{index}")),
            string_array(&members),
        );
    }
    const ROLE_SETS: [&[&str]; 6] = [
        &["Reader"],
        &["Writer"],
        &["Reader", "Writer"],
        &["Manager"],
        &["Administrator"],
        &["crn:v1:bluemix:public:iam::::serviceRole:Reader"],
    ];
    for index in 0..size.iam_policies {
        let subject: &str = match rng.below(100) {
            0..=59 => rng.pick(&groups).as_str(),
            60..=84 => rng.pick(&service_ids).as_str(),
            _ => rng.pick(&users).as_str(),
        };
        let service = if rng.chance(92) { "container-registry" } else { "" };
        let roles: &[&str] = ROLE_SETS[rng.below(ROLE_SETS.len())];
        let _ = writeln!(
            out,
            "[[iam.policies]]\nid = {}\nsubject = {}\nroles = {}\nservice = {}",
            q(&format!("pol-{index:05}-{}", rng.hex(8))),
            q(subject),
            string_array(roles),
            q(service),
        );
        if rng.chance(70) {
            let ns = &namespaces[rng.below(namespaces.len())];
            let _ = writeln!(
                out,
                "region = {}\nresource_type = \"namespace\"\nresource = {}",
                q(ns.region),
                q(&ns.name)
            );
        } else {
            let region = if rng.chance(50) { "" } else { *rng.pick(&regions) };
            let _ = writeln!(
                out,
                "region = {}\nresource_type = \"\"\nresource = \"\"",
                q(region)
            );
        }
        if rng.chance(10) {
            let _ = writeln!(out, "resource_group = {}", q(&format!("rg-{}", rng.pick(&TEAMS))));
        }
        out.push('\n');
    }
    for (index, id) in service_ids.iter().enumerate() {
        let _ = writeln!(
            out,
            "[[iam.service_ids]]\nid = {}\nname = {}\n",
            q(id),
            q(&format!("ci-{}-{index}", TEAMS[index % TEAMS.len()]))
        );
    }
    for index in 0..(service_id_count * 3 / 2) {
        let owner: &str = match service_ids.get(index) {
            Some(id) => id,
            None => rng.pick(&users).as_str(),
        };
        let created = rng.range(0, LAST_DAY - 30);
        let _ = writeln!(
            out,
            "[[iam.api_keys]]\nid = {}\nowner = {}\ncreated_at = {}",
            q(&format!("ApiKey-{}", rng.hex(36))),
            q(owner),
            format_datetime(created, rng.range(0, 86_399))
        );
        if rng.chance(60) {
            let _ = writeln!(
                out,
                "expires_at = {}",
                format_datetime(created + rng.range(90, 400), 0)
            );
        }
        if rng.chance(85) {
            let _ = writeln!(
                out,
                "last_used_at = {}",
                datetime_between(&mut rng, created, LAST_DAY)
            );
        }
        let _ = writeln!(out, "used_for_registry = {}\n", rng.chance(70));
    }
    for index in 0..(size.namespaces / 20).max(2) {
        let enforcement = *rng.pick(&["enabled", "enabled", "report", "disabled"]);
        let region = if rng.chance(40) { "" } else { *rng.pick(&regions) };
        let (resource_type, resource) = if rng.chance(50) {
            ("namespace", namespaces[rng.below(namespaces.len())].name.as_str())
        } else {
            ("", "")
        };
        let contexts = if rng.chance(50) {
            vec!["endpointType=private".to_owned()]
        } else {
            vec![
                "endpointType=private".to_owned(),
                format!("networkZoneId={}", rng.hex(32)),
            ]
        };
        let _ = writeln!(
            out,
            "[[iam.cbr_rules]]\nid = {}\nenforcement = {}\nregion = {}\nresource_type = {}\nresource = {}\ncontexts = {}\n",
            q(&format!("rule-{index}-{}", rng.hex(8))),
            q(enforcement),
            q(region),
            q(resource_type),
            q(resource),
            string_array(&contexts),
        );
    }

    // Automation: pipelines and clusters, identities declared, namespaces declared.
    for index in 0..(size.namespaces / 2).max(3) {
        let ns = &namespaces[rng.below(namespaces.len())];
        let kind = *rng.pick(&["github-actions", "tekton", "iks-cluster", "jenkins"]);
        let identity: String = if rng.chance(90) {
            rng.pick(&service_ids).clone()
        } else {
            format!("Profile-{}", rng.hex(12))
        };
        let access = if kind == "iks-cluster" { "pull" } else { "push" };
        let mut entries = vec![if rng.chance(30) {
            format!("{}/{}", ns.region, ns.name)
        } else {
            ns.name.clone()
        }];
        for _ in 0..rng.below(3) {
            entries.push(namespaces[rng.below(namespaces.len())].name.clone());
        }
        let _ = writeln!(
            out,
            "[[automation]]\nname = {}\nidentity = {}\naccess = {}\nnamespaces = {}\n",
            q(&format!("{kind}-{}-{index}", ns.team)),
            q(&identity),
            q(access),
            string_array(&entries),
        );
    }

    // Activity Tracker Event Routing: every registry's event location routed, one spare target.
    let _ = writeln!(out, "[activity_tracker]\ndefault_targets = [\"t-cos-archive\"]\n");
    let targets = [
        ("t-logs-us", "audit-logs-us", "cloud_logs", "us-south"),
        ("t-logs-eu", "audit-logs-eu", "cloud_logs", "eu-de"),
        (
            "t-cos-archive",
            "audit-archive",
            "cloud_object_storage",
            "us-south",
        ),
        ("t-es-siem", "siem-stream", "event_streams", "eu-gb"),
    ];
    for (id, name, kind, region) in targets {
        let _ = writeln!(
            out,
            "[[activity_tracker.targets]]\nid = {}\nname = {}\ntype = {}\nregion = {}\nwrite_status = \"success\"\n",
            q(id),
            q(name),
            q(kind),
            q(region)
        );
    }
    let locations: Vec<String> = regions
        .iter()
        .map(|r| {
            regcheck::regions::by_name(r)
                .expect("known region")
                .event_location
                .clone()
        })
        .collect();
    let (eu, rest): (Vec<String>, Vec<String>) = locations.into_iter().partition(|l| l.starts_with("eu-"));
    let _ = writeln!(
        out,
        "[[activity_tracker.routes]]\nid = \"r-registry\"\nname = \"registry-events\"\nrules = [\n  {{ locations = {}, target_ids = [\"t-logs-us\", \"t-es-siem\"] }},\n  {{ locations = {}, target_ids = [\"t-logs-eu\", \"t-es-siem\"] }},\n]\n",
        string_array(&rest),
        string_array(if eu.is_empty() { &rest } else { &eu }),
    );
    let _ = writeln!(
        out,
        "[[activity_tracker.routes]]\nid = \"r-archive\"\nname = \"archive-everything\"\nrules = [ {{ locations = [\"*\"], target_ids = [\"t-cos-archive\"] }} ]\n"
    );
    let _ = writeln!(
        out,
        "[activity_tracker.monitoring]\nalert_actions = [\"container-registry.namespace.delete\", \"container-registry.auth.set\", \"container-registry.image.delete\", \"container-registry.retention.set\"]\nlast_review = {}",
        format_date(LAST_DAY - 10)
    );
    out
}

fn write_image(out: &mut String, rng: &mut Rng, ns: &mut NamespaceGen, leaked_credentials: bool) {
    ns.images += 1;
    let repo = ns.repos[ns.images % ns.repos.len()];
    let n = ns.images / ns.repos.len();
    let version = format!("{}.{}.{}", 1 + n / 100, (n / 10) % 10, n % 10);
    let domain = if rng.chance(5) {
        format!("private.{}", ns.domain)
    } else {
        ns.domain.clone()
    };
    let digest = format!("sha256:{}", rng.hex(64));
    let reference = if rng.chance(3) {
        format!("{domain}/{}/{repo}@{digest}", ns.name)
    } else if rng.chance(10) {
        format!("{domain}/{}/{repo}:sha-{}", ns.name, rng.hex(7))
    } else {
        format!("{domain}/{}/{repo}:{version}", ns.name)
    };
    let created_day = rng.range(0, LAST_DAY);
    let _ = writeln!(
        out,
        "[[images]]\nref = {}\ndigest = {}\ncreated = {}",
        q(&reference),
        q(&digest),
        format_datetime(created_day, rng.range(0, 86_399))
    );
    let status_roll = rng.below(100);
    let (status, issues): (&str, Option<i64>) = match status_roll {
        0..=44 => (if rng.chance(10) { "OK" } else { "ok" }, Some(0)),
        45..=74 => {
            let count = rng.range(1, 40);
            (if rng.chance(10) { "WARN" } else { "issues" }, Some(count))
        }
        75..=79 => ("unsupported_os", None),
        80..=82 => ("scanning", None),
        83..=84 => ("incomplete", None),
        _ => ("unscanned", None),
    };
    let _ = writeln!(out, "va_status = {}", q(status));
    if let Some(count) = issues {
        let _ = writeln!(out, "issue_count = {count}");
        if count > 0 && rng.chance(20) {
            let _ = writeln!(out, "exemption_count = {}", rng.range(1, count));
        }
    }
    let _ = writeln!(
        out,
        "va_checked_at = {}",
        format_datetime(LAST_DAY + 1, rng.range(0, 5 * 3600))
    );
    if rng.chance(3) {
        let _ = writeln!(out, "encrypted = true");
    }
    let mut env = vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned()];
    env.push(format!("APP_VERSION={version}"));
    env.push(format!("LOG_LEVEL={}", rng.pick(&LOG_LEVELS)));
    if rng.chance(60) {
        env.push(format!("PORT={}", rng.pick(&[8080, 8443, 3000, 9090])));
    }
    if rng.chance(30) {
        env.push("LANG=C.UTF-8".to_owned());
    }
    if rng.chance(10) {
        env.push(format!("FEATURE_FLAGS=search,{}", rng.pick(&REPOS)));
    }
    if leaked_credentials {
        // Drawn only here, so the other sizes' bytes stay as they were.
        let mut drawn = |alphabet: &[u8], count: usize| -> String {
            (0..count)
                .map(|_| char::from(alphabet[rng.below(alphabet.len())]))
                .collect()
        };
        let key = drawn(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);
        let token = drawn(
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
            36,
        );
        env.push(format!("AWS_ACCESS_KEY_ID=AKIA{key}"));
        env.push(format!("GITHUB_TOKEN=ghp_{token}"));
    }
    let _ = writeln!(out, "env = {}", string_array(&env));
    let _ = writeln!(
        out,
        "labels = {{ maintainer = {}, \"org.opencontainers.image.version\" = {}, \"org.opencontainers.image.source\" = {} }}",
        q(&format!("team-{}", ns.team)),
        q(&version),
        q(&format!("https://git.example.com/{}/{repo}", ns.team)),
    );
    let base = *rng.pick(&BASE_IMAGES);
    let mut history = vec![
        format!("/bin/sh -c #(nop) ADD file:{} in / ", rng.hex(16)),
        format!("/bin/sh -c #(nop)  LABEL base={base}"),
    ];
    if base.starts_with("alpine") || base.starts_with("node") {
        history.push("/bin/sh -c apk add --no-cache ca-certificates tzdata".to_owned());
    } else {
        history.push("/bin/sh -c apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*".to_owned());
    }
    history.push(format!(
        "/bin/sh -c #(nop)  ENV LOG_LEVEL={}",
        rng.pick(&LOG_LEVELS)
    ));
    history.push(format!("|1 VERSION={version} /bin/sh -c make build"));
    if rng.chance(50) {
        history.push("/bin/sh -c #(nop)  EXPOSE 8080".to_owned());
    }
    history.push(format!(
        "/bin/sh -c #(nop)  CMD [\"/app/{}\"]",
        repo.rsplit('/').next().unwrap_or(repo)
    ));
    let _ = writeln!(out, "history = {}", string_array(&history));
    if rng.chance(30) {
        let mut paths = vec![
            "/app/server".to_owned(),
            "/app/config.yaml".to_owned(),
            "/etc/ssl/certs/ca-certificates.crt".to_owned(),
        ];
        if rng.chance(5) {
            paths.push("/app/.env".to_owned());
        }
        let _ = writeln!(out, "layer_paths = {}", string_array(&paths));
    }
    if rng.chance(40) {
        let _ = writeln!(
            out,
            "secret_scan = {{ tool = \"gitleaks\", scanned_at = {}, findings = {} }}",
            format_datetime(created_day, 86_399),
            if rng.chance(95) { 0 } else { rng.range(1, 3) }
        );
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_loads(size: &Size) {
        let text = generate(size);
        if let Err(error) = regcheck::account::load_str(size.name, text) {
            let problems: Vec<String> = error
                .diagnostics
                .iter()
                .take(20)
                .map(|d| {
                    format!(
                        "{:?}: {}",
                        d.source.line_col(d.problem.span.start),
                        d.problem.message
                    )
                })
                .collect();
            panic!(
                "generated {} account does not load:\n{}",
                size.name,
                problems.join("\n")
            );
        }
    }

    #[test]
    fn generated_small_and_medium_accounts_load() {
        assert_loads(&SMALL);
        assert_loads(&MEDIUM);
    }

    /// The leaky account loads, and each of its images holds its own key and token.
    #[test]
    fn the_leaky_account_leaks_two_distinct_credentials_per_image() {
        let text = generate(&LEAKY);
        let loaded = regcheck::account::load_str("leaky", text.as_str()).expect("loads");
        assert_eq!(loaded.model.images.len(), LEAKY.images);
        let mut seen = std::collections::BTreeSet::new();
        for image in &loaded.model.images {
            let leaked: Vec<&String> = image
                .env
                .iter()
                .flatten()
                .filter(|entry| {
                    entry.starts_with("AWS_ACCESS_KEY_ID=AKIA") || entry.starts_with("GITHUB_TOKEN=ghp_")
                })
                .collect();
            assert_eq!(leaked.len(), 2, "{}", image.reference);
            seen.extend(leaked);
        }
        assert_eq!(seen.len(), 2 * LEAKY.images, "every credential is its own");
        assert_eq!(size_by_name("leaky").map(|size| size.images), Some(LEAKY.images));
    }

    #[test]
    fn generation_is_deterministic_and_sized() {
        let a = generate(&SMALL);
        assert_eq!(a, generate(&SMALL));
        let loaded = regcheck::account::load_str("small", a).expect("loads");
        assert_eq!(loaded.model.namespaces.len(), SMALL.namespaces);
        assert_eq!(loaded.model.images.len(), SMALL.images);
        assert_eq!(
            loaded.model.iam.as_ref().map(|iam| iam.policies.len()),
            Some(SMALL.iam_policies)
        );
    }
}
