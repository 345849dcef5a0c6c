//! The secret detector behind ICR-SEC-001 … ICR-SEC-004: finds credentials in an image's
//! environment, labels and history lines, and key or credential files among its layer paths.
//!
//! Four entry points, one per kind of image detail (account.md): [`scan_env_entry`],
//! [`scan_label`], [`scan_history_line`] and [`scan_layer_path`]. Each returns [`Detection`]s:
//! the [`SecretKind`], the variable, label or build-arg name when there is one, and the byte
//! span of the secret inside the scanned text. A detection never holds the secret itself, and
//! neither its `Debug` nor its `Display` output, nor any [`SecretKind::description`], is derived
//! from the scanned value (rules.md: "Secrets must never be echoed"). The span exists only so a
//! caller can [`redact`] text.
//!
//! # What is detected
//! - **IBM Cloud** ([`SecretClass::Ibm`], ICR-SEC-001): API keys (44 characters of
//!   `[A-Za-z0-9_-]` in a key context — a name or nearby word with `APIKEY`, `API_KEY`,
//!   `IBMCLOUD`, `BLUEMIX` — and any password of the user `iamapikey` in a URL, `curl -u`,
//!   `docker login` or a docker config), COS HMAC keys (32 hex digits next to `access_key`/
//!   `hmac`, 48 hex digits next to `secret_access_key`/`secret_key`/`hmac`), and IAM access tokens
//!   (JWTs whose `iss` is `iam.cloud.ibm.com`).
//! - **Other formats** ([`SecretClass::Other`], ICR-SEC-002): AWS access key ids and secret keys
//!   (40 characters in an AWS context), GitHub, GitLab, Slack, npm, PyPI, Artifactory, Docker Hub,
//!   Google API and Stripe tokens, Slack webhooks, JWTs, PEM/OpenSSH/PGP/PuTTY private key blocks
//!   (a header alone counts; also base64-encoded PEM), `auth` entries of a docker config, passwords
//!   in URLs (`scheme://user:pass@host`, `://:pass@host`), and command lines that carry a password
//!   or token (`curl -u user:pass`, `Authorization:` headers, `docker login -p`/`--password` but
//!   not `--password-stdin`, `mysql -pX`, `echo user:pass | chpasswd`, `--token X`,
//!   `-Dx.password=X`, `keytool -storepass X`, `sshpass -p X`, `.npmrc` `_authToken=X` …).
//! - **Secret-named variables** ([`SecretClass::Keyword`], ICR-SEC-003): a name that says secret
//!   (`keyword.rs` lists the words and the exempt suffixes) with a literal value
//!   that is not a placeholder, a reference, a boolean, a short number, or an identifier that is
//!   public by design (a digest, UUID, CRN, `ServiceId-…`, public key, certificate).
//! - **Files** ([`SecretClass::File`], ICR-SEC-004): see [`scan_layer_path`].
//!
//! # One finding per secret
//! Formats are resolved first: where two detections overlap, the one with the lower
//! overlap rank wins (an IBM format over any other; a named token format over a
//! JWT; either over the generic URL and command-line passwords), then the longer. The name rule
//! then reports an env entry or label only when no format matched it, and a history-line
//! assignment only when no format matched inside its value; every assignment in a history line is
//! judged on its own.
//!
//! # Cost
//! Patterns compile once ([`std::sync::LazyLock`]). One cheap pass rejects most text outright (a
//! path, a version, a plain URL: no space, `@`, `=` or `"`, and no long run of token characters);
//! other text gets one pass that builds a Bloom filter of its byte pairs, and each detector runs
//! its regex only when its literals (a token prefix, a command name, a context word) may occur.
//! The history-line parser runs only when an `=` follows a secret-looking name. 100 000 images of
//! 10 strings scan in about 0.2-0.4 s on a 2-core machine (`cargo test --release --test
//! secrets_corpus -- --nocapture` prints the figure).

mod formats;
mod history;
mod keyword;
mod kind;
mod paths;
pub mod redact_toml;
pub mod registry;
mod text;

#[cfg(test)]
mod tests;

use std::fmt;
use std::ops::Range;

pub use kind::{SecretClass, SecretKind};

/// What replaces a secret wherever it is shown: one width for every secret, since the length
/// would tell something about it.
pub const MASK: &str = "[REDACTED]";

/// One secret found in a scanned string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub kind: SecretKind,
    /// The variable, label or build-arg name whose value holds the secret. Never the value.
    pub name: Option<String>,
    /// The byte range of the secret inside the scanned text, for redaction only.
    pub span: Range<usize>,
}

impl fmt::Display for Detection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{} in `{name}`", self.kind.description()),
            None => f.write_str(self.kind.description()),
        }
    }
}

/// Scans one `Config.Env` entry, `NAME=value`. Spans are offsets into `entry`.
pub fn scan_env_entry(entry: &str) -> Vec<Detection> {
    match entry.split_once('=') {
        Some((name, value)) => scan_named(name, value, name.len() + 1),
        None => scan_named("", entry, 0),
    }
}

/// Scans one label. Spans are offsets into `value`; the name is never part of a span.
pub fn scan_label(name: &str, value: &str) -> Vec<Detection> {
    scan_named(name, value, 0)
}

fn scan_named(name: &str, value: &str, offset: usize) -> Vec<Detection> {
    let mut found = formats::scan(value, name);
    if found.is_empty() && keyword::is_secret_name(name) && keyword::is_literal_secret(value) {
        let literal = text::unquote(value.trim()).trim();
        let start = text::offset_in(value, literal);
        found.push(Detection {
            kind: SecretKind::SecretNamedVariable,
            name: None,
            span: start..start + literal.len(),
        });
    }
    for d in &mut found {
        d.span = d.span.start + offset..d.span.end + offset;
        if !name.is_empty() {
            d.name = Some(name.to_owned());
        }
    }
    found
}

/// Scans one history line (`created_by`). Spans are offsets into `line`. A detection inside the
/// value of an assignment (`ENV`, `LABEL`, `ARG`, a build arg, `NAME=value` in front of a
/// command) carries that assignment's name.
pub fn scan_history_line(line: &str) -> Vec<Detection> {
    let mut found = formats::scan(line, "");
    if found.is_empty() && !history::may_assign_secret(line) {
        return found;
    }
    let assignments = history::assignments(line);
    for d in &mut found {
        if let Some(a) = assignments.iter().find(|a| formats::overlaps(&a.value, &d.span)) {
            d.name = Some(line[a.name.clone()].to_owned());
        }
    }
    let mut named = Vec::new();
    for a in &assignments {
        let (name, value) = (&line[a.name.clone()], &line[a.value.clone()]);
        if keyword::is_secret_name(name)
            && keyword::is_literal_secret(value)
            && !found.iter().any(|d| formats::overlaps(&d.span, &a.value))
        {
            named.push(Detection {
                kind: SecretKind::SecretNamedVariable,
                name: Some(name.to_owned()),
                span: a.value.clone(),
            });
        }
    }
    found.extend(named);
    found.sort_by_key(|d| d.span.start);
    found
}

/// Judges one layer path (`layer_paths`). The span is the part of the path that names the file.
///
/// Key files (`.ssh/id_*` but not `.pub`, `id_rsa`/`id_ed25519`/… anywhere, SSH host keys,
/// `*.pem` and `*.key` unless named as a certificate or public key, `*.p12`, `*.pfx`, `*.jks`,
/// `*.keystore`, `*.ppk`, GnuPG secret keys) are [`SecretKind::PrivateKeyFile`]; `.env` files
/// (not `.env.example`/`.sample`/`.template`/`.dist`), `.npmrc`, `.pypirc`, `.netrc`,
/// `.git-credentials`, `.docker/config.json`, `.bluemix/config.json`, `.ibmcloud/config.json`,
/// `.kube/config`, `.aws/credentials`, `credentials.json`, `*.tfstate`, `*.kdbx` and other tools'
/// credential stores are [`SecretKind::CredentialFile`]. Public trust stores (`/etc/ssl/certs`,
/// `/usr/share/ca-certificates`, `/etc/pki/ca-trust` …), repository signing keys (`/etc/apt`,
/// `/usr/share/keyrings`), test fixtures inside third-party packages and overlay whiteouts
/// (`.wh.*`) are not reported.
pub fn scan_layer_path(path: &str) -> Option<Detection> {
    paths::classify(path).map(|(kind, span)| Detection {
        kind,
        name: None,
        span,
    })
}

/// `text` with every detection's span replaced by [`MASK`]. Spans that are out of range or
/// not on character boundaries redact the rest of the text, never less.
pub fn redact(text: &str, detections: &[Detection]) -> String {
    let mut spans: Vec<Range<usize>> = detections.iter().map(|d| d.span.clone()).collect();
    spans.sort_by_key(|s| s.start);
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for span in spans {
        let start = span.start.max(pos);
        if start >= text.len() {
            break;
        }
        if !text.is_char_boundary(start) || !text.is_char_boundary(span.end.min(text.len())) {
            out.push_str(&text[pos..floor_boundary(text, start)]);
            out.push_str(MASK);
            return out;
        }
        out.push_str(&text[pos..start]);
        if span.end > start {
            out.push_str(MASK);
        }
        pos = span.end.min(text.len()).max(start);
    }
    out.push_str(&text[pos.min(text.len())..]);
    out
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}
