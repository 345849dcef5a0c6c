//! Which findings a run is about: `--subject GLOB` and `--image REF` (cli.md, issue 14).
//!
//! A [`Selection`] is what the user asked for; resolved against one account it becomes a
//! [`Focus`]: the indices of the images to evaluate (so that gating one image of a 100k-image
//! account evaluates one image, not 100k), and the subjects whose findings are kept.
//!
//! An image ref selects the account's entries of that image: by tag (`ns/repo:tag`, with or
//! without the registry host; no tag and no digest means `:latest`) or by digest
//! (`ns/repo@sha256:…`), and then every entry of the same repository with the same digest, so a
//! tag ref and a digest ref of one image select the same entries. A ref that selects nothing is
//! an error naming the closest refs of the account, never an empty (passing) audit.

use std::collections::HashSet;
use std::sync::Arc;

use globset::{Glob, GlobMatcher};

use crate::account::{LoadError, LoadedAccount};
use crate::diagnostic::{FileDiagnostic, Problem};
use crate::path::DocPath;

/// What the user asked to judge. Empty: everything.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `--subject` globs over finding subjects, as written and compiled.
    subjects: Arc<[(String, GlobMatcher)]>,
    /// `--image` refs, as written.
    images: Vec<String>,
    /// `--with-account`: also the duties of the images' namespaces and registries.
    with_account: bool,
}

/// One `--image` resolved: what was asked, and the entries and digests judged for it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JudgedImage {
    pub asked: String,
    /// The refs of the entries judged, in file order.
    pub refs: Vec<String>,
    /// Their digests (sorted, distinct); empty when the file gives none.
    pub digests: Vec<String>,
}

/// A [`Selection`] resolved against one account.
#[derive(Debug, Clone, Default)]
pub struct Focus {
    /// The positions in `images` to evaluate, ascending; `None` evaluates every image (a
    /// `--subject` glob may name any of them).
    pub images: Option<Arc<[usize]>>,
    /// Subjects kept whole and with any part (`image:<ref>`, `namespace:<region>/<name>`, …).
    pub kept: HashSet<String>,
    subjects: Arc<[(String, GlobMatcher)]>,
    /// What each `--image` resolved to, for the run's note.
    pub judged: Vec<JudgedImage>,
}

impl Focus {
    /// Whether a subject that starts with `prefix` (a rule's subject template up to its first
    /// hole) can be kept. With `--subject` globs any can; otherwise only one that can equal a
    /// kept subject or start one of its parts. A rule none of whose checks can is not
    /// evaluated at all: its subjects are not what the run asks about.
    pub fn may_keep(&self, prefix: &str) -> bool {
        if !self.subjects.is_empty() {
            return true;
        }
        match prefix.split_once('#') {
            Some((whole, _)) => self.kept.contains(whole),
            None => self.kept.iter().any(|kept| kept.starts_with(prefix)),
        }
    }

    /// Whether a finding on `subject` is part of the selection: a subject named by an image
    /// ref (or one of its parts, after `#`), or matched by a `--subject` glob.
    pub fn keeps(&self, subject: &str) -> bool {
        let whole = subject.split_once('#').map_or(subject, |(whole, _)| whole);
        self.kept.contains(whole) || self.subjects.iter().any(|(_, glob)| glob.is_match(subject))
    }
}

impl Selection {
    /// Compiles the `--subject` globs; an invalid one is an error naming it.
    pub fn new(subjects: &[String], images: &[String], with_account: bool) -> Result<Self, String> {
        let subjects = subjects
            .iter()
            .map(|pattern| {
                Glob::new(pattern)
                    .map(|glob| (pattern.clone(), glob.compile_matcher()))
                    .map_err(|error| format!("invalid --subject pattern `{}`: {error}", printable(pattern)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(empty) = images.iter().find(|image| parse(image).repository.is_empty()) {
            return Err(format!(
                "--image `{empty}` names no repository (expected ns/repo:tag or ns/repo@sha256:…)"
            ));
        }
        Ok(Self {
            subjects: subjects.into(),
            images: images.to_vec(),
            with_account,
        })
    }

    /// Whether the run judges everything (no `--subject`, no `--image`).
    pub fn is_everything(&self) -> bool {
        self.subjects.is_empty() && self.images.is_empty()
    }

    /// Whether a waiver for `subject` (as written: a subject or a glob) is about what this
    /// selection judges: the subject of an image asked for (or a part of it), or one a
    /// `--subject` glob matches. A selective run reports only those waivers as unused: it
    /// did not look at the other findings.
    pub fn concerns(&self, kept: &HashSet<String>, subject: &str) -> bool {
        let whole = subject.split_once('#').map_or(subject, |(whole, _)| whole);
        kept.contains(whole) || self.subjects.iter().any(|(_, glob)| glob.is_match(subject))
    }

    /// Resolves the selection against `account`. An `--image` that names no image of the
    /// account is an error pointing at its `images` (or the top of the file), with the closest
    /// refs the file holds.
    pub fn focus(&self, account: &LoadedAccount) -> Result<Focus, LoadError> {
        let images = &account.model.images;
        let names: Vec<ImageName<'_>> = images
            .iter()
            .map(|image| {
                let mut name = parse(&image.reference);
                if let Some(digest) = image.digest.as_deref() {
                    name.digest = Some(digest);
                }
                name
            })
            .collect();
        let mut selected = vec![false; images.len()];
        let mut kept = HashSet::new();
        let mut judged = Vec::new();
        let mut problems = Vec::new();
        for asked in &self.images {
            let wanted = parse(asked);
            let direct: Vec<usize> = (0..names.len())
                .filter(|&at| wanted.selects(&names[at]))
                .collect();
            if direct.is_empty() {
                problems.push(not_found(account, asked, &wanted, &names));
                continue;
            }
            // The same image by digest: every entry of the same repository (in the registry
            // asked for, or in any when the ref names none) with a digest of one selected above.
            let mut is_direct = vec![false; names.len()];
            let mut same_image = HashSet::new();
            for &at in &direct {
                is_direct[at] = true;
                if let Some(digest) = names[at].digest {
                    same_image.insert((names[at].repository, digest));
                }
            }
            let mut digests: Vec<&str> = same_image.iter().map(|(_, digest)| *digest).collect();
            digests.sort_unstable();
            digests.dedup();
            let mut refs = Vec::new();
            for (at, name) in names.iter().enumerate() {
                let judged_here = is_direct[at]
                    || (wanted.same_registry(name)
                        && name
                            .digest
                            .is_some_and(|digest| same_image.contains(&(name.repository, digest))));
                if !judged_here {
                    continue;
                }
                selected[at] = true;
                refs.push(images[at].reference.clone());
                kept.insert(format!("image:{}", images[at].reference));
                if self.with_account
                    && let Some(region) = name.region()
                {
                    kept.insert(format!("registry:{region}"));
                    if let Some(namespace) = name.namespace() {
                        kept.insert(format!("namespace:{region}/{namespace}"));
                    }
                }
            }
            judged.push(JudgedImage {
                asked: asked.clone(),
                refs,
                digests: digests.iter().map(|digest| (*digest).to_owned()).collect(),
            });
        }
        if !problems.is_empty() {
            return Err(LoadError::selection(problems));
        }
        let images = (self.subjects.is_empty() && !self.images.is_empty()).then(|| {
            selected
                .iter()
                .enumerate()
                .filter_map(|(at, chosen)| chosen.then_some(at))
                .collect::<Vec<_>>()
                .into()
        });
        Ok(Focus {
            images,
            kept,
            subjects: self.subjects.clone(),
            judged,
        })
    }
}

/// A ref as it may be printed: control characters and those that reorder text (Trojan Source)
/// become `?`. Refs come from the command line and from the account file, both of which a
/// pipeline may fill from elsewhere.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            let reorders = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}');
            if c.is_control() || reorders { '?' } else { c }
        })
        .collect()
}

/// The error for an image ref that names no entry: at the account's `images` key (the top of
/// the file when it has none), with up to three closest refs.
fn not_found(
    account: &LoadedAccount,
    asked: &str,
    wanted: &ImageName<'_>,
    names: &[ImageName<'_>],
) -> FileDiagnostic {
    let span = DocPath::parse("images")
        .map(|path| account.file.locate(&path).span)
        .unwrap_or(0..0);
    // Compared as the user wrote it: with the host when they gave one.
    let mut scored: Vec<(usize, String)> = names
        .iter()
        .map(|name| {
            let text = name.text(wanted.host.is_some());
            (strsim::levenshtein(asked, &text), printable(&text))
        })
        .collect();
    scored.sort_unstable();
    scored.dedup_by(|a, b| a.1 == b.1);
    let closest: Vec<String> = scored
        .into_iter()
        .take(3)
        .map(|(_, text)| format!("`{text}`"))
        .collect();
    let problem = Problem::new(
        span,
        format!(
            "image `{}` is not in this account: it cannot be judged",
            printable(asked)
        ),
    )
    .label("the images of this account");
    let problem = if closest.is_empty() {
        problem.help("this account lists no images; collect or import its images first")
    } else {
        problem.help(format!(
            "the closest images in this file: {}; `regcheck collect --image` refreshes one image's evidence",
            closest.join(", ")
        ))
    };
    FileDiagnostic::error(account.file.source.clone(), problem)
}

/// An image ref taken apart: `[host/]repository[:tag][@digest]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageName<'a> {
    pub host: Option<&'a str>,
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

/// Takes a ref apart; never fails (a malformed ref just matches nothing).
pub(crate) fn parse(text: &str) -> ImageName<'_> {
    let text = text.trim();
    let (rest, digest) = match text.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (text, None),
    };
    // The first part is a host when it looks like one (a dot, a port, or localhost).
    let (host, path) = match rest.split_once('/') {
        Some((first, path)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            (Some(first), path)
        }
        _ => (None, rest),
    };
    let last = path.rfind('/').map_or(0, |at| at + 1);
    let (repository, tag) = match path[last..].split_once(':') {
        Some((_, tag)) => (&path[..last + path[last..].len() - tag.len() - 1], Some(tag)),
        None => (path, None),
    };
    ImageName {
        host,
        repository,
        tag,
        digest,
    }
}

impl<'a> ImageName<'a> {
    /// The host without the `private.` prefix: both name one registry (import.md).
    fn public_host(&self) -> Option<&'a str> {
        self.host
            .map(|host| host.strip_prefix("private.").unwrap_or(host))
    }

    /// Whether this ref (asked for) names the account entry `entry`.
    fn selects(&self, entry: &ImageName<'_>) -> bool {
        if self.repository != entry.repository {
            return false;
        }
        if !self.same_registry(entry) {
            return false;
        }
        match (self.digest, self.tag) {
            (Some(digest), _) => {
                entry.digest == Some(digest) && self.tag.is_none_or(|tag| entry.tag == Some(tag))
            }
            (None, Some(tag)) => entry.tag == Some(tag),
            // Neither tag nor digest: `:latest`, as the registry reads it.
            (None, None) => entry.tag == Some("latest") || (entry.tag.is_none() && entry.digest.is_none()),
        }
    }

    /// Whether `entry` is in the registry this ref names (any, when it names none).
    fn same_registry(&self, entry: &ImageName<'_>) -> bool {
        match (self.public_host(), entry.public_host()) {
            (Some(asked), Some(host)) => asked == host,
            _ => true,
        }
    }

    fn region(&self) -> Option<&'static str> {
        self.public_host()
            .and_then(crate::regions::by_domain)
            .map(|region| region.name.as_str())
    }

    fn namespace(&self) -> Option<&'a str> {
        self.repository.split('/').next().filter(|ns| !ns.is_empty())
    }

    /// The ref as text, with or without its host.
    fn text(&self, with_host: bool) -> String {
        let mut text = String::new();
        if let (true, Some(host)) = (with_host, self.host) {
            text.push_str(host);
            text.push('/');
        }
        text.push_str(self.repository);
        if let Some(tag) = self.tag {
            text.push(':');
            text.push_str(tag);
        }
        if self.tag.is_none()
            && let Some(digest) = self.digest
        {
            text.push('@');
            text.push_str(digest);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_come_apart_with_or_without_host_tag_and_digest() {
        let name = parse("us.icr.io/shop-prod/api:1.4.2");
        assert_eq!(
            (name.host, name.repository, name.tag, name.digest),
            (Some("us.icr.io"), "shop-prod/api", Some("1.4.2"), None)
        );
        let name = parse("shop-prod/api@sha256:ab");
        assert_eq!(
            (name.host, name.repository, name.tag, name.digest),
            (None, "shop-prod/api", None, Some("sha256:ab"))
        );
        let name = parse("localhost:5000/ns/repo");
        assert_eq!(
            (name.host, name.repository, name.tag),
            (Some("localhost:5000"), "ns/repo", None)
        );
    }

    #[test]
    fn a_ref_without_host_matches_any_registry_and_private_is_public() {
        let entry = parse("private.us.icr.io/shop-prod/api:1.4.2");
        assert!(parse("shop-prod/api:1.4.2").selects(&entry));
        assert!(parse("us.icr.io/shop-prod/api:1.4.2").selects(&entry));
        assert!(!parse("de.icr.io/shop-prod/api:1.4.2").selects(&entry));
        assert!(!parse("shop-prod/api:1.4.3").selects(&entry));
        assert!(!parse("shop-prod/api").selects(&entry));
        assert!(parse("shop-prod/api").selects(&parse("us.icr.io/shop-prod/api:latest")));
    }

    #[test]
    fn a_digest_ref_matches_the_entry_digest() {
        let mut entry = parse("us.icr.io/shop-prod/api:1.4.2");
        assert!(!parse("shop-prod/api@sha256:ab").selects(&entry));
        entry.digest = Some("sha256:ab");
        assert!(parse("shop-prod/api@sha256:ab").selects(&entry));
        assert!(!parse("shop-prod/web@sha256:ab").selects(&entry));
    }

    #[test]
    fn refs_are_printed_without_control_characters() {
        assert_eq!(printable("ns/re\u{1b}[2Jpo:\u{202e}1"), "ns/re?[2Jpo:?1");
    }

    #[test]
    fn kept_subjects_include_their_parts() {
        let focus = Focus {
            kept: ["image:us.icr.io/a/b:1".to_owned()].into_iter().collect(),
            ..Focus::default()
        };
        assert!(focus.keeps("image:us.icr.io/a/b:1"));
        assert!(focus.keeps("image:us.icr.io/a/b:1#env.TOKEN"));
        assert!(!focus.keeps("image:us.icr.io/a/b:10"));
        assert!(!focus.keeps("namespace:us-south/a"));
        assert!(focus.may_keep("image:"));
        assert!(focus.may_keep(""));
        assert!(focus.may_keep("image:us.icr.io/a/b:1#env."));
        assert!(!focus.may_keep("image:us.icr.io/a/c:1#"));
        assert!(!focus.may_keep("namespace:"));
        assert!(!focus.may_keep("key:"));
    }
}
