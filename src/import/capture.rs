//! The capture folder (import.md, "The capture folder"): finding its files, reading each one,
//! and handing it to its reader. Every file is optional; `regions/<region>/` holds a registry
//! region's files. Problems come back per file, every file's together.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::json::{self, JsonFile, Reader};
use super::model::{Capture, Field, Scope, Section, SectionKind, Setting};
use super::{atracker, iam, images, registry};
use crate::account::model::Plan;
use crate::diagnostic::{FileDiagnostic, Problem, SourceText};
use crate::regions;
use crate::suggest::did_you_mean;

/// Files at the top of the capture folder.
pub const TOP_FILES: [&str; 13] = [
    "account-show.json",
    "capture-scope.json",
    "iam-access-groups.json",
    "iam-access-group-members.json",
    "iam-access-groups-settings.json",
    "iam-policies.json",
    "iam-service-ids.json",
    "iam-api-keys.json",
    "iam-service-api-keys.json",
    "cbr-rules.json",
    "atracker-target-ls.json",
    "atracker-route-ls.json",
    "atracker-setting-get.json",
];

/// Files in `regions/<region>/`.
pub const REGION_FILES: [&str; 11] = [
    "cr-plan.json",
    "cr-quota.json",
    "cr-private-only.txt",
    "cr-va-version.txt",
    "cr-namespace-list.json",
    "cr-retention-policy-list.json",
    "cr-image-list.json",
    "cr-image-digests.json",
    "cr-image-inspect.json",
    "cr-va.json",
    "cr-exemption-list.json",
];

/// What was found in a capture folder, before any file is read.
#[derive(Debug)]
pub struct CaptureFolder {
    pub dir: PathBuf,
    /// The folder as the user named it, for messages.
    pub display: String,
    /// Top-level capture files present (names from [`TOP_FILES`]).
    pub top: Vec<&'static str>,
    /// Region folders, sorted by name, with their capture files present.
    pub regions: Vec<(String, Vec<&'static str>)>,
    /// The newest modification time of the capture files.
    pub newest: Option<DateTime<Utc>>,
    pub warnings: Vec<String>,
}

impl CaptureFolder {
    pub fn is_empty(&self) -> bool {
        self.top.is_empty() && self.regions.is_empty()
    }

    fn display_path(&self, relative: &str) -> String {
        let dir = self.display.trim_end_matches('/');
        if dir.is_empty() || dir == "." {
            relative.to_owned()
        } else {
            format!("{dir}/{relative}")
        }
    }
}

/// A problem with the folder itself (no lines to show).
fn folder_problem(name: &str, message: impl Into<String>) -> FileDiagnostic {
    FileDiagnostic::error(SourceText::new(name, ""), Problem::new(0..0, message))
}

/// Lists the capture files in `dir`. Unknown files are warnings (with a "did you mean"); a
/// region folder whose name is no registry region is an error.
pub fn scan(dir: &Path, display: &str) -> Result<CaptureFolder, Vec<FileDiagnostic>> {
    let mut folder = CaptureFolder {
        dir: dir.to_path_buf(),
        display: display.to_owned(),
        top: Vec::new(),
        regions: Vec::new(),
        newest: None,
        warnings: Vec::new(),
    };
    let mut problems = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            let message = if dir.is_file() {
                format!("{display} is a file; `regcheck import` reads a capture folder (import.md's layout)")
            } else {
                format!("cannot read the capture folder {display}: {error}")
            };
            return Err(vec![folder_problem(display, message)]);
        }
    };
    let mut names: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|entry| (entry.file_name().to_string_lossy().into_owned(), entry.path()))
        .filter(|(name, _)| !name.starts_with('.'))
        .collect();
    names.sort();
    for (name, path) in names {
        if name == "regions" {
            if !path.is_dir() {
                problems.push(folder_problem(
                    &folder.display_path("regions"),
                    "`regions` must be a folder holding one folder per registry region",
                ));
                continue;
            }
            scan_regions(&mut folder, &path, &mut problems);
        } else if let Some(known) = TOP_FILES.iter().find(|known| **known == name) {
            note_file(&mut folder, &path, known, &mut problems);
            folder.top.push(known);
        } else {
            let hint = match did_you_mean(&name, TOP_FILES.iter().copied().chain(["regions"])) {
                Some(best) => format!("; did you mean `{best}`?"),
                None if REGION_FILES.contains(&name.as_str()) => {
                    "; a region's registry files go in `regions/<region>/`".to_owned()
                }
                None => String::new(),
            };
            folder.warnings.push(format!(
                "{}: not a capture file regcheck reads, ignored{hint}",
                json::safe(&folder.display_path(&name))
            ));
        }
    }
    if problems.is_empty() {
        Ok(folder)
    } else {
        Err(problems)
    }
}

fn scan_regions(folder: &mut CaptureFolder, dir: &Path, problems: &mut Vec<FileDiagnostic>) {
    let Ok(entries) = fs::read_dir(dir) else {
        problems.push(folder_problem(
            &folder.display_path("regions"),
            "cannot read the folder",
        ));
        return;
    };
    let mut names: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|entry| (entry.file_name().to_string_lossy().into_owned(), entry.path()))
        .filter(|(name, _)| !name.starts_with('.'))
        .collect();
    names.sort();
    for (region, path) in names {
        let shown = folder.display_path(&format!("regions/{region}"));
        if !path.is_dir() {
            folder
                .warnings
                .push(format!("{}: not a region folder, ignored", json::safe(&shown)));
            continue;
        }
        if regions::by_name(&region).is_none() {
            let hint = match did_you_mean(&region.to_ascii_lowercase(), regions::names()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("regions: {}", regions::names().collect::<Vec<_>>().join(", ")),
            };
            problems.push(FileDiagnostic::error(
                SourceText::new(json::safe(&shown), ""),
                Problem::new(
                    0..0,
                    format!("`{}` is not a Container Registry region", json::safe(&region)),
                )
                .help(format!(
                    "name each folder in regions/ after its registry region: {hint}"
                )),
            ));
            continue;
        }
        let mut files = Vec::new();
        let mut inner: Vec<(String, PathBuf)> = fs::read_dir(&path)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| (entry.file_name().to_string_lossy().into_owned(), entry.path()))
                    .filter(|(name, _)| !name.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        inner.sort();
        for (name, file) in inner {
            match REGION_FILES.iter().find(|known| **known == name) {
                Some(known) => {
                    note_file(folder, &file, known, problems);
                    files.push(*known);
                }
                None => {
                    let hint = did_you_mean(&name, REGION_FILES.iter().copied())
                        .map(|best| format!("; did you mean `{best}`?"))
                        .unwrap_or_default();
                    folder.warnings.push(format!(
                        "{}: not a capture file regcheck reads, ignored{hint}",
                        json::safe(&folder.display_path(&format!("regions/{region}/{name}")))
                    ));
                }
            }
        }
        folder.regions.push((region, files));
    }
}

/// Checks a capture file is a regular file and keeps the newest modification time.
fn note_file(folder: &mut CaptureFolder, path: &Path, name: &str, problems: &mut Vec<FileDiagnostic>) {
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() => {
            if let Ok(modified) = meta.modified() {
                let modified: DateTime<Utc> = modified.into();
                folder.newest = Some(folder.newest.map_or(modified, |newest| newest.max(modified)));
            }
        }
        Ok(_) => problems.push(folder_problem(&folder.display_path(name), "not a regular file")),
        Err(error) => problems.push(folder_problem(
            &folder.display_path(name),
            format!("cannot read: {error}"),
        )),
    }
}

/// One capture file's text, ready for its reader.
struct Loaded {
    /// Relative to the capture folder (what comments in account.toml name).
    relative: String,
    source: SourceText,
}

fn load_text(folder: &CaptureFolder, relative: &str) -> Result<Loaded, Box<FileDiagnostic>> {
    let shown = folder.display_path(relative);
    let bytes = crate::input::read(&folder.dir.join(relative))
        .map_err(|error| Box::new(folder_problem(&shown, format!("cannot read {shown}: {error}"))))?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let at = error.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(error.as_bytes()).into_owned();
            return Err(Box::new(FileDiagnostic::error(
                SourceText::new(shown, lossy),
                Problem::new(at..at + 1, "the file is not valid UTF-8")
                    .label("invalid byte sequence here")
                    .help("save the command's output as it printed it (UTF-8 JSON)"),
            )));
        }
    };
    // Lines of a capture are shown only with secrets masked (image env, labels).
    let source = SourceText::new(shown, text);
    Ok(Loaded {
        relative: relative.to_owned(),
        source,
    })
}

/// The errors of a failed read: every file's problems, located in that file.
#[derive(Debug, Default)]
pub struct ReadErrors {
    pub diagnostics: Vec<FileDiagnostic>,
}

impl ReadErrors {
    fn add(&mut self, source: &SourceText, problems: Vec<Problem>) {
        for problem in problems {
            self.diagnostics
                .push(FileDiagnostic::error(source.clone(), problem));
        }
    }
}

/// A JSON capture file and its reader's problems.
struct Parsed {
    relative: String,
    file: JsonFile,
}

fn load_json(folder: &CaptureFolder, relative: &str, errors: &mut ReadErrors) -> Option<Parsed> {
    let loaded = match load_text(folder, relative) {
        Ok(loaded) => loaded,
        Err(diagnostic) => {
            errors.diagnostics.push(*diagnostic);
            return None;
        }
    };
    match json::parse(loaded.source.clone()) {
        Ok(file) => Some(Parsed {
            relative: loaded.relative,
            file,
        }),
        Err(problem) => {
            errors.add(&loaded.source, vec![problem]);
            None
        }
    }
}

/// Runs `read` on a JSON capture file; its problems go to `errors`.
fn with_json(
    folder: &CaptureFolder,
    relative: &str,
    errors: &mut ReadErrors,
    read: impl FnOnce(&mut Reader<'_>, &str),
) {
    let Some(parsed) = load_json(folder, relative, errors) else {
        return;
    };
    let mut reader = Reader::new(&parsed.file);
    read(&mut reader, &parsed.relative);
    let problems = std::mem::take(&mut reader.problems);
    errors.add(&parsed.file.source, problems);
}

/// How an account-wide capture file (one outside `regions/`) adds to the capture.
type AccountWideReader = fn(&mut Reader<'_>, &str, &mut Capture);

/// The account-wide files read after the regions and the access groups, in this order, each
/// only when the capture has it.
const ACCOUNT_WIDE_READERS: [(&str, AccountWideReader); 8] = [
    ("iam-policies.json", iam::policies),
    ("iam-service-ids.json", iam::service_ids),
    ("iam-api-keys.json", |r, source, capture| {
        iam::api_keys(r, source, Scope::UserKeys, capture)
    }),
    ("iam-service-api-keys.json", |r, source, capture| {
        iam::api_keys(r, source, Scope::ServiceIdKeys, capture)
    }),
    ("cbr-rules.json", iam::cbr_rules),
    ("atracker-target-ls.json", atracker::targets),
    ("atracker-route-ls.json", atracker::routes),
    ("atracker-setting-get.json", atracker::settings),
];

/// `capture-scope.json` (written by `collect --image`): `{"regions": {"<region>":
/// {"repositories": ["ns/repo", …]}}}`, the repositories each region's image listings were
/// restricted to. A region or entry of another shape is an error naming its place.
fn capture_scope(r: &mut Reader<'_>) -> BTreeMap<String, Vec<String>> {
    let mut restricted = BTreeMap::new();
    let root = r.root();
    let Some(regions) = root.get("regions") else {
        r.missing(
            &root,
            "regions",
            "the regions whose image listings were restricted",
        );
        return restricted;
    };
    if !regions.value.is_object() {
        r.error(
            &regions,
            format!(
                "expected an object of regions, found {}",
                json::kind(regions.value)
            ),
        );
        return restricted;
    }
    for (region, listing) in regions.members() {
        let Some(repositories) = listing.get("repositories") else {
            r.missing(
                &listing,
                "repositories",
                "the repositories the listing was restricted to",
            );
            continue;
        };
        if let Some(repositories) = r.strings(&repositories) {
            restricted.insert(region.to_owned(), repositories);
        }
    }
    restricted
}

/// Reads every capture file of `folder` into a [`Capture`].
pub fn read(folder: &CaptureFolder) -> Result<Capture, ReadErrors> {
    let mut capture = Capture {
        warnings: folder.warnings.clone(),
        ..Capture::default()
    };
    let mut errors = ReadErrors::default();
    for name in &folder.top {
        capture.files.push((*name).to_owned());
    }
    for (region, files) in &folder.regions {
        for name in files {
            capture.files.push(format!("regions/{region}/{name}"));
        }
    }
    capture.files.sort();

    let has = |name: &str| folder.top.contains(&name);
    if has("capture-scope.json") {
        with_json(folder, "capture-scope.json", &mut errors, |r, _| {
            capture.restricted = capture_scope(r);
        });
    }
    if has("account-show.json") {
        with_json(folder, "account-show.json", &mut errors, |r, source| {
            account_show(r, source, &mut capture)
        });
    }

    for (region, files) in &folder.regions {
        read_region(folder, region, files, &mut capture, &mut errors);
    }

    if has("iam-access-groups-settings.json") {
        with_json(
            folder,
            "iam-access-groups-settings.json",
            &mut errors,
            |r, source| iam::settings(r, source, &mut capture),
        );
    }
    let mut members = None;
    if has("iam-access-group-members.json") {
        with_json(
            folder,
            "iam-access-group-members.json",
            &mut errors,
            |r, source| {
                members = iam::members(r).map(|map| (map, source.to_owned()));
            },
        );
    }
    if has("iam-access-groups.json") {
        with_json(folder, "iam-access-groups.json", &mut errors, |r, source| {
            iam::access_groups(r, source, &mut capture)
        });
    }
    if let Some((members, source)) = members {
        iam::apply_members(members, &source, &mut capture);
    }
    for (name, read) in ACCOUNT_WIDE_READERS {
        if has(name) {
            with_json(folder, name, &mut errors, |r, source| {
                read(r, source, &mut capture)
            });
        }
    }
    if errors.diagnostics.is_empty() {
        Ok(capture)
    } else {
        Err(errors)
    }
}

fn account_show(r: &mut Reader<'_>, source: &str, capture: &mut Capture) {
    let root = r.root();
    if !root.value.is_object() {
        r.error(
            &root,
            format!("expected an object, found {}", json::kind(root.value)),
        );
        return;
    }
    let id = match root.get("account_id").or_else(|| root.get("guid")) {
        Some(at) => r.string(&at),
        None => {
            r.missing(&root, "account_id", "the account id (`account_id` or `guid`)");
            None
        }
    };
    if let Some(id) = id.filter(|id| !id.trim().is_empty()) {
        capture.account_id = Some((id, source.to_owned()));
    }
    if let Some(name) = r.opt_str(&root, "name") {
        capture.settings.push(Setting {
            table: "account",
            key: "name",
            value: Field::Str(name),
            source: source.to_owned(),
        });
    }
}

/// A region's files: the registry entry, namespaces (with retention), images, exemptions.
fn read_region(
    folder: &CaptureFolder,
    region: &str,
    files: &[&'static str],
    capture: &mut Capture,
    errors: &mut ReadErrors,
) {
    let has = |name: &str| files.contains(&name);
    let relative = |name: &str| format!("regions/{region}/{name}");
    let mut registry = registry::registry_entry(region, &format!("regions/{region}/"));

    if has("cr-plan.json") {
        with_json(folder, &relative("cr-plan.json"), errors, |r, _| {
            if let Some(plan) = registry::plan(r) {
                registry.set("plan", Some(Field::choice::<Plan>(plan)));
            }
        });
    }
    if has("cr-private-only.txt") {
        match load_text(folder, &relative("cr-private-only.txt")) {
            Ok(loaded) => match registry::private_only(&loaded.source.text) {
                Ok(flag) => registry.set("private_only", Some(Field::Bool(flag))),
                Err(problem) => errors.add(&loaded.source, vec![problem]),
            },
            Err(diagnostic) => errors.diagnostics.push(*diagnostic),
        }
    }
    if has("cr-va-version.txt") {
        match load_text(folder, &relative("cr-va-version.txt")) {
            Ok(loaded) => match registry::va_version(&loaded.source.text) {
                Ok(version) => registry.set("va_version", Some(Field::Str(version))),
                Err(problem) => errors.add(&loaded.source, vec![problem]),
            },
            Err(diagnostic) => errors.diagnostics.push(*diagnostic),
        }
    }
    if has("cr-quota.json") {
        with_json(folder, &relative("cr-quota.json"), errors, |r, _| {
            if let Some(quota) = registry::quota(r) {
                registry.set("quota", Some(quota));
            }
        });
    }
    let section = capture.section_mut(SectionKind::Registries);
    section.entries.push(registry);

    let mut retention = None;
    if has("cr-retention-policy-list.json") {
        with_json(
            folder,
            &relative("cr-retention-policy-list.json"),
            errors,
            |r, source| {
                retention = Some((registry::retention(r), source.to_owned()));
            },
        );
    }
    let mut namespaces = Section::new(SectionKind::Namespaces);
    if has("cr-namespace-list.json") {
        with_json(
            folder,
            &relative("cr-namespace-list.json"),
            errors,
            |r, source| registry::namespaces(r, region, source, &mut namespaces),
        );
    }
    if let Some((retention, source)) = retention {
        registry::apply_retention(region, retention, &source, &mut namespaces);
    }
    let target = capture.section_mut(SectionKind::Namespaces);
    target.entries.append(&mut namespaces.entries);
    target.judged.append(&mut namespaces.judged);

    // Images: the union of the list and the digests, then inspect and VA details.
    let mut parsed: BTreeMap<&str, Parsed> = BTreeMap::new();
    for name in [
        "cr-image-list.json",
        "cr-image-digests.json",
        "cr-image-inspect.json",
        "cr-va.json",
    ] {
        if has(name)
            && let Some(file) = load_json(folder, &relative(name), errors)
        {
            parsed.insert(name, file);
        }
    }
    let mut readers: BTreeMap<&str, Reader<'_>> = parsed
        .iter()
        .map(|(name, p)| (*name, Reader::new(&p.file)))
        .collect();
    let sources: BTreeMap<&str, &str> = parsed
        .iter()
        .map(|(name, p)| (*name, p.relative.as_str()))
        .collect();
    images::read_region(region, &mut readers, &sources, capture);
    for (name, reader) in readers {
        if let Some(p) = parsed.get(name) {
            errors.add(&p.file.source, reader.problems);
        }
    }

    if has("cr-exemption-list.json") {
        with_json(
            folder,
            &relative("cr-exemption-list.json"),
            errors,
            |r, source| registry::exemptions(r, region, source, capture),
        );
    }
}
