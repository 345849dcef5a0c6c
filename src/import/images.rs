//! Readers of a region's image files: `cr-image-list.json` (tagged images, the CLI's shape or
//! the API's), `cr-image-digests.json` (every image, untagged included), then details from
//! `cr-image-inspect.json` (created, env, labels) and `cr-va.json` (VA status, counts, time).
//!
//! The region's images are the union of both lists, in the list's order then the digests'.
//! Inspect wins for `created`, `env` and `labels`; `cr va` wins for the VA keys, and where it
//! has no result the list gives the status and counts and `va_checked_at` is `account.captured_at`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::json::{self, At, Reader};
use super::model::{Capture, Entry, Field, Scope, SectionKind};
use crate::regions;

/// The matching key of an image ref: `private.` hosts are the same image as the public ones.
pub fn image_key(reference: &str) -> String {
    reference.strip_prefix("private.").unwrap_or(reference).to_owned()
}

/// What the lists say about one image entry (one tag, or one untagged digest).
#[derive(Debug, Default)]
struct Facts {
    reference: String,
    key: String,
    /// `host/ns/repo@digest`, normalised: how inspect's `RepoDigests` name the image.
    repo_digest: Option<String>,
    id: Option<String>,
    digest: Option<String>,
    created: Option<DateTime<Utc>>,
    va: Option<Va>,
    source: String,
    inspected: Option<Inspected>,
    from_va: Option<Va>,
}

/// A VA verdict: status, counts, and (from `cr va`) the scan time.
#[derive(Debug, Clone, Default)]
struct Va {
    status: &'static str,
    issue_count: Option<i64>,
    exemption_count: Option<i64>,
    checked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default)]
struct Inspected {
    created: Option<DateTime<Utc>>,
    env: Option<Vec<String>>,
    labels: Option<Vec<(String, String)>>,
}

/// Maps an IBM VA status spelling to account.md's; a count in the text (`3 Issues`) comes back.
pub fn va_status(text: &str) -> Option<(&'static str, Option<i64>)> {
    let lower = text.trim().to_ascii_lowercase();
    let status = match lower.as_str() {
        "no issues" | "ok" => "ok",
        "warn" | "fail" | "issues" => "issues",
        "unsupported os" | "unsupported" | "unsupported_os" => "unsupported_os",
        "scanning" => "scanning",
        "incomplete" => "incomplete",
        "unscanned" => "unscanned",
        _ => {
            let (count, word) = lower.split_once(' ')?;
            let count: i64 = count.parse().ok()?;
            return (matches!(word.trim(), "issues" | "issue") && count >= 0)
                .then_some(("issues", Some(count)));
        }
    };
    Some((status, None))
}

const STATUSES: &str = "`No Issues`, `OK`, `N Issues`, `WARN`, `FAIL`, `Unsupported OS`, `UNSUPPORTED`, `Scanning`, `INCOMPLETE` or `UNSCANNED`";

struct Images<'a> {
    domain: &'a str,
    facts: Vec<Facts>,
    by_key: HashMap<String, usize>,
}

impl Images<'_> {
    /// Adds an image, or fills what an earlier list left unknown about the same one.
    fn add(&mut self, facts: Facts) {
        match self.by_key.get(&facts.key) {
            Some(&i) => {
                let known = &mut self.facts[i];
                known.digest = known.digest.take().or(facts.digest);
                known.repo_digest = known.repo_digest.take().or(facts.repo_digest);
                known.id = known.id.take().or(facts.id);
                known.created = known.created.or(facts.created);
                known.va = known.va.take().or(facts.va);
            }
            None => {
                self.by_key.insert(facts.key.clone(), self.facts.len());
                self.facts.push(facts);
            }
        }
    }

    /// A repository with its registry host; the region's host when the capture gives none.
    fn full_repository(&self, repository: &str) -> String {
        let host = repository.split('/').next().unwrap_or("");
        if repository.matches('/').count() >= 2 && (host.contains('.') || host.contains(':')) {
            repository.to_owned()
        } else {
            format!("{}/{repository}", self.domain)
        }
    }

    fn facts(&self, repository: &str, tag: Option<&str>, digest: Option<&str>, source: &str) -> Facts {
        let repository = self.full_repository(repository);
        let reference = match (tag, digest) {
            (Some(tag), _) => format!("{repository}:{tag}"),
            (None, Some(digest)) => format!("{repository}@{digest}"),
            (None, None) => repository.clone(),
        };
        Facts {
            key: image_key(&reference),
            repo_digest: digest.map(|d| image_key(&format!("{repository}@{d}"))),
            reference,
            digest: digest.map(str::to_owned),
            source: source.to_owned(),
            ..Facts::default()
        }
    }
}

/// A tag that names an image (`<none>` and empty do not).
fn real_tag(tag: Option<String>) -> Option<String> {
    tag.filter(|t| !t.trim().is_empty() && t.trim() != "<none>")
}

/// Sets `va.status` from a VA status text at `at` and returns the issue count the text names
/// (`2 issues`); an unknown text is an error there.
fn status_text(r: &mut Reader<'_>, at: &At<'_>, text: &str, va: &mut Va) -> Option<i64> {
    match va_status(text) {
        Some((status, count)) => {
            va.status = status;
            count
        }
        None => {
            r.error(
                at,
                format!("unknown VA status `{}`: expected {STATUSES}", json::safe(text)),
            );
            None
        }
    }
}

/// Reads `SecurityStatus{Status, IssueCount, ExemptionCount}` (keys in any case).
fn security_status(r: &mut Reader<'_>, item: &At<'_>) -> Option<Va> {
    let security = item.get_ci("SecurityStatus")?;
    let mut va = Va {
        status: "unscanned",
        ..Va::default()
    };
    let mut text_count = None;
    if let Some(at) = security.get_ci("Status")
        && let Some(text) = r.string(&at)
    {
        text_count = status_text(r, &at, &text, &mut va);
    }
    va.issue_count = security
        .get_ci("IssueCount")
        .and_then(|at| r.count(&at))
        .or(text_count);
    va.exemption_count = security.get_ci("ExemptionCount").and_then(|at| r.count(&at));
    Some(va)
}

/// The API shape's verdict: `Vulnerable` (a status text or a boolean), `IssueCount`,
/// `ExemptIssueCount`.
fn api_status(r: &mut Reader<'_>, item: &At<'_>) -> Va {
    let mut va = Va {
        status: "unscanned",
        ..Va::default()
    };
    let mut text_count = None;
    if let Some(at) = item.get_ci("Vulnerable") {
        match at.value {
            Value::Bool(true) => va.status = "issues",
            Value::Bool(false) => va.status = "ok",
            Value::String(text) if text.eq_ignore_ascii_case("true") => va.status = "issues",
            Value::String(text) if text.eq_ignore_ascii_case("false") => va.status = "ok",
            Value::String(text) => text_count = status_text(r, &at, text, &mut va),
            other => r.error(
                &at,
                format!("expected a VA status or a boolean, found {}", json::kind(other)),
            ),
        }
    }
    va.issue_count = item
        .get_ci("IssueCount")
        .and_then(|at| r.count(&at))
        .or(text_count);
    va.exemption_count = item.get_ci("ExemptIssueCount").and_then(|at| r.count(&at));
    va
}

/// `cr image-list --output json`, either shape, element by element.
fn image_list(r: &mut Reader<'_>, source: &str, images: &mut Images<'_>) {
    let root = r.root();
    let Some(list) = r.list(&root, &["images"]) else {
        return;
    };
    for item in list.elements() {
        if !item.value.is_object() {
            r.error(
                &item,
                format!("expected an image (an object), found {}", json::kind(item.value)),
            );
            continue;
        }
        if item.get_ci("RepoTags").is_some() || item.get_ci("RepoDigests").is_some() {
            api_image(r, &item, source, images);
        } else {
            cli_image(r, &item, source, images);
        }
    }
}

/// The CLI's shape: `Repository`, `Tag`, `Digest`, `Created`, `SecurityStatus`.
fn cli_image(r: &mut Reader<'_>, item: &At<'_>, source: &str, images: &mut Images<'_>) {
    let Some(repository) = repository(r, item) else {
        return;
    };
    let tag = real_tag(r.opt_str_ci(item, "Tag"));
    let digest = r.opt_str_ci(item, "Digest").filter(|d| !d.is_empty());
    if tag.is_none() && digest.is_none() {
        r.missing(
            item,
            "Tag",
            "the image's tag, or its `Digest` when it is untagged",
        );
        return;
    }
    let mut facts = images.facts(&repository, tag.as_deref(), digest.as_deref(), source);
    facts.created = item.get_ci("Created").and_then(|at| r.time(&at));
    facts.id = r.opt_str_ci(item, "Id");
    facts.va = Some(security_status(r, item).unwrap_or(Va {
        status: "unscanned",
        ..Va::default()
    }));
    images.add(facts);
}

fn repository(r: &mut Reader<'_>, item: &At<'_>) -> Option<String> {
    match item.get_ci("Repository") {
        Some(at) => r.string(&at).filter(|repo| !repo.trim().is_empty()).or_else(|| {
            r.error(&at, "empty: the image's repository");
            None
        }),
        None => {
            r.missing(item, "Repository", "the image's repository");
            None
        }
    }
}

/// Splits `host/ns/repo:tag` or `host/ns/repo@digest` into the repository and the rest.
fn split_ref(reference: &str) -> (&str, Option<&str>, Option<&str>) {
    if let Some((repository, digest)) = reference.split_once('@') {
        return (repository, None, Some(digest));
    }
    let slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[slash..].rfind(':') {
        Some(colon) => (
            &reference[..slash + colon],
            Some(&reference[slash + colon + 1..]),
            None,
        ),
        None => (reference, None, None),
    }
}

/// The API's shape: `RepoTags[]`, `RepoDigests[]`, `Created`, `IssueCount`, `Vulnerable`.
fn api_image(r: &mut Reader<'_>, item: &At<'_>, source: &str, images: &mut Images<'_>) {
    let tags = item
        .get_ci("RepoTags")
        .and_then(|at| r.strings(&at))
        .unwrap_or_default();
    let digests = item
        .get_ci("RepoDigests")
        .and_then(|at| r.strings(&at))
        .unwrap_or_default();
    let tags: Vec<String> = tags.into_iter().filter(|t| !t.contains("<none>")).collect();
    let repo_digest = digests.first().cloned();
    let digest = repo_digest
        .as_deref()
        .and_then(|d| d.split_once('@'))
        .map(|(_, digest)| digest.to_owned());
    let created = item.get_ci("Created").and_then(|at| r.time(&at));
    let id = r.opt_str_ci(item, "Id");
    let va = api_status(r, item);
    let references: Vec<String> = if tags.is_empty() {
        match repo_digest {
            Some(reference) => vec![reference],
            None => {
                r.missing(
                    item,
                    "RepoTags",
                    "the image's tags, or `RepoDigests` when it is untagged",
                );
                return;
            }
        }
    } else {
        tags
    };
    for reference in references {
        let (repository, tag, in_ref_digest) = split_ref(&reference);
        let digest = in_ref_digest.map(str::to_owned).or_else(|| digest.clone());
        let mut facts = images.facts(repository, tag, digest.as_deref(), source);
        facts.created = created;
        facts.id = id.clone();
        facts.va = Some(va.clone());
        images.add(facts);
    }
}

/// `cr image-digests --output json`: `Repository`, `Digest`, `Tags[]` (an entry per tag, or
/// `repo@digest` when there is none).
fn image_digests(r: &mut Reader<'_>, source: &str, images: &mut Images<'_>) {
    let root = r.root();
    let Some(list) = r.list(&root, &["images", "digests"]) else {
        return;
    };
    for item in list.elements() {
        if !item.value.is_object() {
            r.error(
                &item,
                format!("expected an image (an object), found {}", json::kind(item.value)),
            );
            continue;
        }
        let Some(repository) = repository(r, &item) else {
            continue;
        };
        let digest = match item.get_ci("Digest") {
            Some(at) => r.string(&at),
            None => {
                r.missing(&item, "Digest", "the image's digest");
                None
            }
        };
        let Some(digest) = digest else { continue };
        let tags: Vec<String> = item
            .get_ci("Tags")
            .and_then(|at| r.strings(&at))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|tag| real_tag(Some(tag)))
            .collect();
        let created = item.get_ci("Created").and_then(|at| r.time(&at));
        let id = r.opt_str_ci(&item, "Id");
        let va = security_status(r, &item);
        let tags: Vec<Option<String>> = if tags.is_empty() {
            vec![None]
        } else {
            tags.into_iter().map(Some).collect()
        };
        for tag in tags {
            let mut facts = images.facts(&repository, tag.as_deref(), Some(&digest), source);
            facts.created = created;
            facts.id = id.clone();
            facts.va = va.clone().or(Some(Va {
                status: "unscanned",
                ..Va::default()
            }));
            images.add(facts);
        }
    }
}

/// One inspection: `Created`, `Config.Env`, `Config.Labels` (keys in any case).
fn inspection(r: &mut Reader<'_>, item: &At<'_>) -> Option<Inspected> {
    if !item.value.is_object() {
        r.error(
            item,
            format!(
                "expected an image inspection (an object), found {}",
                json::kind(item.value)
            ),
        );
        return None;
    }
    let created = item.get_ci("Created").and_then(|at| r.time(&at));
    let config = item.get_ci("Config");
    let env = config
        .as_ref()
        .and_then(|c| c.get_ci("Env"))
        .and_then(|at| r.strings(&at));
    let labels = match config.as_ref().and_then(|c| c.get_ci("Labels")) {
        Some(at) if at.value.is_object() => {
            let mut labels = Vec::new();
            for (name, value) in at.members() {
                if let Some(text) = r.string(&value) {
                    labels.push((name.to_owned(), text));
                }
            }
            Some(labels)
        }
        Some(at) => {
            r.error(
                &at,
                format!("expected an object of labels, found {}", json::kind(at.value)),
            );
            None
        }
        None => None,
    };
    Some(Inspected { created, env, labels })
}

/// Indexes of the images a ref names: its own key, or every tag of an image named by digest.
fn matching(images: &Images<'_>, by_digest: &HashMap<String, Vec<usize>>, reference: &str) -> Vec<usize> {
    let key = image_key(reference);
    if let Some(&i) = images.by_key.get(&key) {
        return vec![i];
    }
    by_digest.get(&key).cloned().unwrap_or_default()
}

/// Detail-only entries: results for images no list showed update an existing entry only.
type Orphans = BTreeMap<String, (String, Option<Inspected>, Option<Va>, String)>;

fn image_inspect(
    r: &mut Reader<'_>,
    source: &str,
    images: &mut Images<'_>,
    by_digest: &HashMap<String, Vec<usize>>,
    by_id: &HashMap<String, Vec<usize>>,
    orphans: &mut Orphans,
) {
    let root = r.root();
    match root.value {
        Value::Object(_) => {
            for (reference, item) in root.members() {
                // `image-inspect IMAGE` prints an array of one; collect writes it keyed by ref.
                let item = match item.value {
                    Value::Array(_) => match item.elements().next() {
                        Some(first) => first,
                        None => continue,
                    },
                    _ => item,
                };
                let Some(details) = inspection(r, &item) else {
                    continue;
                };
                let found = matching(images, by_digest, reference);
                if found.is_empty() {
                    let slot = orphans
                        .entry(image_key(reference))
                        .or_insert_with(|| (reference.to_owned(), None, None, source.to_owned()));
                    slot.1 = Some(details);
                    continue;
                }
                for i in found {
                    images.facts[i].inspected = Some(details.clone());
                }
            }
        }
        Value::Array(_) => {
            for item in root.elements() {
                let Some(details) = inspection(r, &item) else {
                    continue;
                };
                let mut found = Vec::new();
                for key in ["RepoTags", "RepoDigests"] {
                    if let Some(list) = item.get_ci(key) {
                        for name in r.strings(&list).unwrap_or_default() {
                            found.extend(matching(images, by_digest, &name));
                        }
                    }
                }
                if found.is_empty()
                    && let Some(id) = r.opt_str_ci(&item, "Id")
                {
                    found.extend(by_id.get(&id).cloned().unwrap_or_default());
                }
                if found.is_empty() {
                    continue;
                }
                for i in found {
                    images.facts[i].inspected = Some(details.clone());
                }
            }
        }
        other => r.error(
            &root,
            format!(
                "expected an object keyed by image or a list of inspections, found {}",
                json::kind(other)
            ),
        ),
    }
}

/// `cr va --output json IMAGE…`: a report per image: `image`, `status`, `scan_time`,
/// `vulnerabilities[].exempt_status`.
fn va_reports(
    r: &mut Reader<'_>,
    source: &str,
    images: &mut Images<'_>,
    by_digest: &HashMap<String, Vec<usize>>,
    orphans: &mut Orphans,
) {
    let root = r.root();
    let list = match root.value {
        // `cr va IMAGE` for one image prints one report.
        Value::Object(_) if root.get_ci("image").is_some() => root,
        _ => match r.list(&root, &["images", "reports", "results"]) {
            Some(list) => list,
            None => return,
        },
    };
    let items: Vec<At<'_>> = if list.value.is_array() {
        list.elements().collect()
    } else {
        vec![list]
    };
    for item in items {
        if !item.value.is_object() {
            r.error(
                &item,
                format!(
                    "expected a VA report (an object), found {}",
                    json::kind(item.value)
                ),
            );
            continue;
        }
        let reference = match item.get_ci("image") {
            Some(at) => r.string(&at),
            None => {
                r.missing(&item, "image", "the image the report is about");
                None
            }
        };
        let Some(reference) = reference else { continue };
        let mut va = Va {
            status: "unscanned",
            ..Va::default()
        };
        let mut text_count = None;
        if let Some(at) = item.get_ci("status")
            && let Some(text) = r.string(&at)
        {
            text_count = status_text(r, &at, &text, &mut va);
        }
        if let Some(list) = item.get_ci("vulnerabilities") {
            if list.value.is_array() {
                let mut exempt = 0;
                let mut total = 0;
                for vulnerability in list.elements() {
                    total += 1;
                    if vulnerability
                        .get_ci("exempt_status")
                        .and_then(|at| at.value.as_str().map(|s| s.eq_ignore_ascii_case("exempt")))
                        .unwrap_or(false)
                    {
                        exempt += 1;
                    }
                }
                va.issue_count = Some(total);
                va.exemption_count = Some(exempt);
            } else {
                r.error(
                    &list,
                    format!(
                        "expected a list of vulnerabilities, found {}",
                        json::kind(list.value)
                    ),
                );
            }
        }
        va.issue_count = va.issue_count.or(text_count);
        va.checked_at = item.get_ci("scan_time").and_then(|at| r.time(&at));
        let found = matching(images, by_digest, &reference);
        if found.is_empty() {
            let slot = orphans
                .entry(image_key(&reference))
                .or_insert_with(|| (reference.clone(), None, None, source.to_owned()));
            slot.2 = Some(va);
            continue;
        }
        for i in found {
            images.facts[i].from_va = Some(va.clone());
        }
    }
}

/// Reads a region's image files (whichever of the four are given) into `[[images]]` entries.
pub fn read_region(
    region: &str,
    readers: &mut BTreeMap<&str, Reader<'_>>,
    sources: &BTreeMap<&str, &str>,
    capture: &mut Capture,
) {
    let domain = regions::by_name(region).map_or("", |info| info.domain.as_str());
    let mut images = Images {
        domain,
        facts: Vec::new(),
        by_key: HashMap::new(),
    };
    let list_source = sources.get("cr-image-list.json").copied();
    let digests_source = sources.get("cr-image-digests.json").copied();
    if let (Some(r), Some(source)) = (readers.get_mut("cr-image-list.json"), list_source) {
        image_list(r, source, &mut images);
    }
    if let (Some(r), Some(source)) = (readers.get_mut("cr-image-digests.json"), digests_source) {
        image_digests(r, source, &mut images);
    }
    let mut by_digest: HashMap<String, Vec<usize>> = HashMap::new();
    let mut by_id: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, facts) in images.facts.iter().enumerate() {
        if let Some(repo_digest) = &facts.repo_digest {
            by_digest.entry(repo_digest.clone()).or_default().push(i);
        }
        if let Some(id) = &facts.id {
            by_id.entry(id.clone()).or_default().push(i);
        }
    }
    let mut orphans = Orphans::new();
    if let (Some(r), Some(source)) = (
        readers.get_mut("cr-image-inspect.json"),
        sources.get("cr-image-inspect.json"),
    ) {
        image_inspect(r, source, &mut images, &by_digest, &by_id, &mut orphans);
    }
    if let (Some(r), Some(source)) = (readers.get_mut("cr-va.json"), sources.get("cr-va.json")) {
        va_reports(r, source, &mut images, &by_digest, &mut orphans);
    }

    let restricted = capture.restricted.get(region).cloned();
    let section = capture.section_mut(SectionKind::Images);
    // The list names the marker of a stale image; the digests file when there is no list.
    // A listing restricted to some repositories (`capture-scope.json`) judges only theirs.
    if let Some(source) = list_source.or(digests_source) {
        let scope = match restricted {
            Some(repositories) => Scope::Repositories(region.to_owned(), repositories),
            None => Scope::Region(region.to_owned()),
        };
        section.judged.push((scope, source.to_owned()));
    }
    for facts in images.facts {
        let mut entry = Entry::new(facts.key.clone(), json::safe(&facts.reference), &facts.source)
            .id("ref", Field::Str(facts.reference.clone()));
        entry.set("digest", facts.digest.clone().map(Field::Str));
        let created = match &facts.inspected {
            Some(details) => details.created,
            None => facts.created,
        };
        entry.set("created", created.map(Field::Time));
        let va = facts.from_va.clone().or(facts.va.clone());
        set_va(&mut entry, va, facts.from_va.is_some());
        // An inspect file that lacks this image says nothing about its env and labels.
        if let Some(details) = &facts.inspected {
            set_details(&mut entry, details);
        }
        section.entries.push(entry);
    }
    for (key, (reference, details, va, source)) in orphans {
        let mut entry = Entry::new(key, json::safe(&reference), &source).id("ref", Field::Str(reference));
        entry.add = false;
        if let Some(details) = &details {
            entry.set("created", details.created.map(Field::Time));
            set_details(&mut entry, details);
        }
        if va.is_some() {
            set_va(&mut entry, va, true);
        }
        section.entries.push(entry);
    }
}

fn set_va(entry: &mut Entry, va: Option<Va>, from_va: bool) {
    let Some(va) = va else { return };
    entry.set("va_status", Some(Field::str(va.status)));
    entry.set("issue_count", va.issue_count.map(Field::Int));
    entry.set("exemption_count", va.exemption_count.map(Field::Int));
    let checked = if from_va {
        va.checked_at.map(Field::Time)
    } else {
        Some(Field::CapturedAt)
    };
    entry.set("va_checked_at", checked);
}

fn set_details(entry: &mut Entry, details: &Inspected) {
    entry.set("env", details.env.clone().map(Field::strings));
    entry.set(
        "labels",
        details.labels.clone().map(|labels| {
            Field::Map(
                labels
                    .into_iter()
                    .map(|(name, value)| (name, Field::Str(value)))
                    .collect(),
            )
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn va_statuses_and_their_aliases() {
        for (text, expect) in [
            ("No Issues", ("ok", None)),
            ("OK", ("ok", None)),
            ("3 Issues", ("issues", Some(3))),
            ("1 Issue", ("issues", Some(1))),
            ("WARN", ("issues", None)),
            ("fail", ("issues", None)),
            ("Unsupported OS", ("unsupported_os", None)),
            ("UNSUPPORTED", ("unsupported_os", None)),
            ("Scanning", ("scanning", None)),
            ("INCOMPLETE", ("incomplete", None)),
            ("UNSCANNED", ("unscanned", None)),
        ] {
            assert_eq!(va_status(text), Some(expect), "{text}");
        }
        assert_eq!(va_status("-1 Issues"), None);
        assert_eq!(va_status("Vulnerable"), None);
    }

    #[test]
    fn refs_split_into_repository_tag_and_digest() {
        assert_eq!(
            split_ref("us.icr.io/ns/a/b:1.0"),
            ("us.icr.io/ns/a/b", Some("1.0"), None)
        );
        assert_eq!(
            split_ref("us.icr.io/ns/a@sha256:ab"),
            ("us.icr.io/ns/a", None, Some("sha256:ab"))
        );
        assert_eq!(split_ref("host:5000/ns/a"), ("host:5000/ns/a", None, None));
        assert_eq!(image_key("private.us.icr.io/ns/a:1"), "us.icr.io/ns/a:1");
    }
}
