//! Recognised secret formats (ICR-SEC-001 and ICR-SEC-002): token formats with a fixed prefix,
//! private key blocks, JWTs (IBM IAM tokens among them), passwords in URLs and on command lines,
//! and the formats that are only a secret in a key context (IBM Cloud API keys, COS HMAC keys,
//! AWS secret access keys).
//!
//! Cost: [`cannot_match`] rejects the most common text (paths, versions, plain URLs) in one cheap
//! pass. Other text gets one pass that builds a Bloom filter of its byte pairs ([`Shape`]); every
//! detector names literals that occur in all its matches (a token prefix, a command name, a
//! context word) and runs only when the filter says one may occur. Patterns compile once
//! ([`LazyLock`]).

use std::ops::Range;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::keyword::{is_non_secret_value, is_placeholder, is_secret_name};
use super::text::{
    b64_decode, char_mix, contains_any_ci, is_b64_char, is_bounded, is_key_char, looks_random, offset_in,
};
use super::{Detection, SecretKind};

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("built-in secret pattern compiles")
}

/// A pattern compiled when a text first passes its guards: building every detector's regex up
/// front cost a few milliseconds of every run, most of them for patterns no text needs.
struct LazyRegex {
    source: &'static str,
    compiled: std::sync::OnceLock<Regex>,
}

impl LazyRegex {
    fn new(source: &'static str) -> Self {
        Self {
            source,
            compiled: std::sync::OnceLock::new(),
        }
    }

    fn get(&self) -> &Regex {
        self.compiled.get_or_init(|| re(self.source))
    }
}

struct Found {
    kind: SecretKind,
    span: Range<usize>,
}

/// Finds every recognised format in `text`. `context` is the name the text is the value of (an
/// environment variable or label name), or empty for a history line, where the words before a
/// candidate give its context. Overlapping detections are resolved (lower
/// [`SecretKind::overlap_rank`] wins, then the longer span); spans are offsets into `text`, and
/// `name` is left `None` for the caller to fill in.
///
/// One pass over the bytes ([`Shape`]) tells which literals may occur; every detector has
/// literals that occur in all its matches (a token prefix, a command name, a context word), and
/// runs only when one of them may occur. Most text reaches no regex at all.
pub(crate) fn scan(text: &str, context: &str) -> Vec<Detection> {
    if cannot_match(text.as_bytes()) {
        return Vec::new();
    }
    let shape = Shape::of(text.as_bytes());
    let mut found = Vec::new();
    // The shortest prefixed token is 20 characters (`AKIA` + 16), the shortest JWT 24.
    if text.len() >= 20 {
        prefixed_tokens(text, &shape, &mut found);
        jwts(text, &shape, &mut found);
    }
    private_keys(text, &shape, &mut found);
    if shape.has_at {
        url_passwords(text, &shape, &mut found);
    }
    command_lines(text, &shape, &mut found);
    if text.len() >= 32 {
        contextual(text, context, &shape, &mut found);
    }
    resolve(found)
}

/// A quick test for the most common text (`PATH=…`, `LANG=C.UTF-8`, a version, a URL): no
/// space, `@`, `=` or `"`, and no run of 11 or more `[A-Za-z0-9_-]`. No detector matches such text:
/// every token, key block, JWT and key-context format has a long run of token characters, a URL
/// password has `@`, and a command line has a space, an `=` or a `"`.
fn cannot_match(bytes: &[u8]) -> bool {
    let mut run = 0usize;
    for &b in bytes {
        match QUICK[usize::from(b)] {
            QUICK_TOKEN => {
                run += 1;
                if run >= 11 {
                    return false;
                }
            }
            QUICK_OTHER => run = 0,
            _ => return false,
        }
    }
    true
}

const QUICK_OTHER: u8 = 0;
const QUICK_TOKEN: u8 = 1;
const QUICK_STOP: u8 = 2;

/// [`cannot_match`]'s byte classes: token characters, the bytes that stop it, the rest.
static QUICK: [u8; 256] = {
    let mut t = [QUICK_OTHER; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            t[i] = QUICK_TOKEN;
        } else if matches!(b, b' ' | b'\t' | b'\n' | b'@' | b'=' | b'"') {
            t[i] = QUICK_STOP;
        }
        i += 1;
    }
    t
};

const AT: u16 = 1 << 8;
const SPACE: u16 = 1 << 9;

/// Per byte: its ASCII lowercase in the low 8 bits, and the [`AT`] and [`SPACE`] flags.
static BYTES: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.to_ascii_lowercase() as u16;
        if b == b'@' {
            t[i] |= AT;
        }
        if b == b' ' || b == b'\t' {
            t[i] |= SPACE;
        }
        i += 1;
    }
    t
};

/// The Bloom filter bit of a byte pair (1024 bits).
const fn pair_bit(a: u8, b: u8) -> usize {
    (a as usize * 31 + b as usize) & 1023
}

/// A literal, as the Bloom filter bits of its lowercased byte pairs (computed at compile time).
pub(crate) struct Lit {
    len: u8,
    bits: [u16; 20],
}

/// Builds a [`Lit`]: `const { lit("curl") }`. Panics (at compile time) on a literal shorter than
/// two or longer than 21 bytes.
const fn lit(s: &str) -> Lit {
    let b = s.as_bytes();
    assert!(b.len() >= 2 && b.len() <= 21);
    let mut bits = [0u16; 20];
    let mut i = 1;
    while i < b.len() {
        bits[i - 1] = pair_bit(b[i - 1].to_ascii_lowercase(), b[i].to_ascii_lowercase()) as u16;
        i += 1;
    }
    Lit {
        len: (b.len() - 1) as u8,
        bits,
    }
}

/// What one pass over the text tells about which detectors can match: a Bloom filter of its
/// ASCII-lowercased byte pairs, and whether it has an `@`.
struct Shape {
    pairs: [u64; 16],
    has_at: bool,
    /// A space or tab: every command line has one.
    has_space: bool,
}

impl Shape {
    fn of(bytes: &[u8]) -> Shape {
        let mut pairs = [0u64; 16];
        let mut prev = 0u16;
        let mut flags = 0u16;
        for &b in bytes {
            let entry = BYTES[usize::from(b)];
            flags |= entry;
            let lower = entry & 0xff;
            let bit = usize::from(prev * 31 + lower) & 1023;
            pairs[bit >> 6] |= 1 << (bit & 63);
            prev = lower;
        }
        Shape {
            pairs,
            has_at: flags & AT != 0,
            has_space: flags & SPACE != 0,
        }
    }

    /// Whether `lit` may occur in the text, ignoring case.
    fn may_contain(&self, lit: &Lit) -> bool {
        lit.bits[..usize::from(lit.len)]
            .iter()
            .all(|&bit| self.pairs[usize::from(bit >> 6)] & (1 << (bit & 63)) != 0)
    }

    fn may_contain_any(&self, lits: &[Lit]) -> bool {
        lits.iter().any(|l| self.may_contain(l))
    }
}

/// Keeps one detection per stretch of text: the lowest overlap rank, then the longest span.
/// The kept spans never overlap, so a candidate need only be checked against its neighbours in
/// start order (a set ordered by start): O(n log n) however many detections a text holds.
fn resolve(mut found: Vec<Found>) -> Vec<Detection> {
    if found.len() > 1 {
        found.sort_by_key(|f| {
            (
                f.kind.overlap_rank(),
                std::cmp::Reverse(f.span.len()),
                f.span.start,
            )
        });
    }
    let mut starts: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
    let mut kept: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        let before = starts.range(..=f.span.start).next_back();
        let after = starts.range(f.span.start..).next();
        let clashes = before
            .into_iter()
            .chain(after)
            .any(|(&start, &end)| overlaps(&(start..end), &f.span));
        if !clashes {
            starts.insert(f.span.start, f.span.end);
            kept.push(f);
        }
    }
    kept.sort_by_key(|f| f.span.start);
    kept.into_iter()
        .map(|f| Detection {
            kind: f.kind,
            name: None,
            span: f.span,
        })
        .collect()
}

pub(crate) fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

fn push(found: &mut Vec<Found>, kind: SecretKind, span: Range<usize>) {
    if !span.is_empty() {
        found.push(Found { kind, span });
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens with a fixed prefix

struct Prefixed {
    /// Literals one of which occurs (ignoring case) in every match.
    guards: &'static [Lit],
    pattern: LazyRegex,
    kind: SecretKind,
    glued: fn(u8) -> bool,
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

static PREFIXED: LazyLock<Vec<Prefixed>> = LazyLock::new(|| {
    let p = |guards, pattern: &'static str, kind, glued| Prefixed {
        guards,
        pattern: LazyRegex::new(pattern),
        kind,
        glued,
    };
    vec![
        p(
            const { &[lit("akia"), lit("asia"), lit("abia"), lit("acca")] },
            r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}",
            SecretKind::AwsAccessKeyId,
            is_alnum,
        ),
        p(
            const { &[lit("ghp_"), lit("gho_"), lit("ghu_"), lit("ghs_"), lit("ghr_")] },
            r"gh[pousr]_[A-Za-z0-9]{36}",
            SecretKind::GithubToken,
            is_key_char,
        ),
        p(
            const { &[lit("github_pat_")] },
            r"github_pat_[A-Za-z0-9_]{82}",
            SecretKind::GithubToken,
            is_key_char,
        ),
        p(
            const { &[lit("glpat-")] },
            r"glpat-[A-Za-z0-9_-]{20,}",
            SecretKind::GitlabToken,
            is_key_char,
        ),
        p(
            const { &[lit("xox")] },
            r"xox[abeprs]-[0-9]{6,}-[0-9A-Za-z-]{8,}",
            SecretKind::SlackToken,
            is_key_char,
        ),
        p(
            const { &[lit("xapp-")] },
            r"xapp-[0-9]-[A-Z0-9]{8,}-[0-9]+-[a-z0-9]{16,}",
            SecretKind::SlackToken,
            is_key_char,
        ),
        p(
            const { &[lit("npm_")] },
            r"npm_[A-Za-z0-9]{36}",
            SecretKind::NpmToken,
            is_key_char,
        ),
        p(
            const { &[lit("pypi-")] },
            r"pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,}",
            SecretKind::PypiToken,
            is_key_char,
        ),
        p(
            const { &[lit("akcp")] },
            r"AKCp[A-Za-z0-9]{69}",
            SecretKind::ArtifactoryToken,
            is_alnum,
        ),
        p(
            const { &[lit("cmvmdgtu")] },
            r"cmVmdGtu[A-Za-z0-9]{56}",
            SecretKind::ArtifactoryToken,
            is_alnum,
        ),
        p(
            const { &[lit("dckr_pat_")] },
            r"dckr_pat_[A-Za-z0-9_-]{27}",
            SecretKind::DockerHubToken,
            is_key_char,
        ),
        p(
            const { &[lit("aiza")] },
            r"AIza[0-9A-Za-z_-]{35}",
            SecretKind::GoogleApiKey,
            is_key_char,
        ),
        p(
            const { &[lit("k_live_")] },
            r"[sr]k_live_[0-9a-zA-Z]{24,99}",
            SecretKind::StripeKey,
            is_alnum,
        ),
    ]
});

static SLACK_WEBHOOK: LazyLock<Regex> = LazyLock::new(|| {
    re(r"hooks\.slack\.com/(?:services|workflows|triggers)/(T[A-Z0-9]{6,}/[A-Z0-9]{6,}/[A-Za-z0-9/]{16,})")
});

fn prefixed_tokens(text: &str, shape: &Shape, found: &mut Vec<Found>) {
    for p in PREFIXED.iter() {
        if !shape.may_contain_any(p.guards) {
            continue;
        }
        for m in p.pattern.get().find_iter(text) {
            let value = m.as_str();
            if is_bounded(text, m.start(), m.end(), p.glued)
                && !value.contains("EXAMPLE")
                && char_mix(value.as_bytes()).distinct >= 10
                && !is_placeholder(value)
            {
                push(found, p.kind, m.range());
            }
        }
    }
    if shape.may_contain(&const { lit("hooks.slack.com") }) {
        for c in SLACK_WEBHOOK.captures_iter(text) {
            push(found, SecretKind::SlackWebhook, c.get(1).expect("group").range());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Private keys

static PEM_PRIVATE: LazyLock<Regex> =
    LazyLock::new(|| re(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"));
static PUTTY: LazyLock<Regex> = LazyLock::new(|| re(r"PuTTY-User-Key-File-[0-9]+:"));
static B64_PEM: LazyLock<Regex> = LazyLock::new(|| re(r"LS0tLS1CRUdJTi[A-Za-z0-9+/]{20,}={0,2}"));

fn private_keys(text: &str, shape: &Shape, found: &mut Vec<Found>) {
    if shape.has_space && shape.may_contain(&const { lit("private key") }) {
        let headers: Vec<Range<usize>> = PEM_PRIVATE.find_iter(text).map(|m| m.range()).collect();
        // Where the next `-----END` is, found once and reused while it lies ahead.
        let mut next_end: Option<usize> = None;
        for (n, m) in headers.iter().enumerate() {
            // The key material runs to the END line, or to the end of the base64 text (a quote or
            // a shell operator after a header is not key material), and never into the next
            // header: each stretch of text is examined once.
            if next_end.is_some_and(|end| end < m.end) || next_end.is_none() {
                next_end = Some(text[m.end..].find("-----END").map_or(text.len(), |i| m.end + i));
            }
            let next_header = headers.get(n + 1).map_or(text.len(), |h| h.start);
            let body_end = next_end.unwrap_or(text.len()).min(next_header).max(m.end);
            let body_end = text[m.end..body_end]
                .find(|c: char| {
                    !(c.is_ascii_alphanumeric()
                        || matches!(c, '+' | '/' | '=' | '\\' | ':' | '-')
                        || c.is_whitespace())
                })
                .map_or(body_end, |i| m.end + i);
            let body = &text[m.end..body_end];
            let trimmed = trim_line_breaks(body);
            if trimmed.len() >= 4 {
                let start = offset_in(text, trimmed);
                push(found, SecretKind::PrivateKey, start..start + trimmed.len());
            } else {
                // A header alone counts: the rest of the key was cut off, not absent.
                push(found, SecretKind::PrivateKey, m.clone());
            }
        }
    }
    if shape.may_contain(&const { lit("putty-user-key-file") }) {
        for m in PUTTY.find_iter(text) {
            push(found, SecretKind::PrivateKey, m.end()..text.len());
        }
    }
    if shape.may_contain(&const { lit("ls0tls1crudjti") }) {
        for m in B64_PEM.find_iter(text) {
            let head = &m.as_str().as_bytes()[..m.len().min(80) / 4 * 4];
            if let Some(decoded) = b64_decode(head)
                && String::from_utf8_lossy(&decoded).contains("PRIVATE KEY")
            {
                push(found, SecretKind::PrivateKey, m.range());
            }
        }
    }
}

/// `body` without the blanks, line breaks and escaped line breaks (`\n`) around it; an `n`
/// that is key material stays.
fn trim_line_breaks(body: &str) -> &str {
    let mut body = body;
    loop {
        let trimmed = body.trim_matches(|c: char| c.is_whitespace());
        let trimmed = trimmed.strip_prefix("\\n").unwrap_or(trimmed);
        let trimmed = trimmed.strip_suffix("\\n").unwrap_or(trimmed);
        let trimmed = trimmed.trim_matches('\\');
        if trimmed.len() == body.len() {
            return trimmed;
        }
        body = trimmed;
    }
}

// ---------------------------------------------------------------------------------------------
// JWTs and IBM IAM tokens

/// A JWS (`header.payload.signature`, the signature possibly empty) or the start of a JWE (five
/// parts; [`jwts`] takes in the rest). The header is base64url JSON: `{"` (`eyJ`), or `{` then a
/// blank or a line break (`eyA`, `ewo`, `ew0`). Found anywhere, glued to other text or not: the
/// decoded header decides.
static JWT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:eyJ|eyA|ewo|ew0)[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"));

/// Issuers of IBM Cloud IAM tokens (production, staging, and the legacy Bluemix host).
const IAM_ISSUER_HOSTS: &[&str] = &["iam.cloud.ibm.com", "iam.test.cloud.ibm.com", "iam.bluemix.net"];

fn jwts(text: &str, shape: &Shape, found: &mut Vec<Found>) {
    if !shape.may_contain_any(const { &[lit("eyj"), lit("eya"), lit("ewo"), lit("ew0")] }) {
        return;
    }
    for m in JWT.find_iter(text) {
        let mut parts = m.as_str().split('.');
        let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Some(header) = b64_decode(header.as_bytes()) else {
            continue;
        };
        let header = String::from_utf8_lossy(&header);
        if !header.contains("\"alg\"") && !header.contains("\"typ\"") && !header.contains("\"enc\"") {
            continue;
        }
        // A JWE has two more parts (initialisation vector and tag).
        let bytes = text.as_bytes();
        let mut end = m.end();
        for _ in 0..2 {
            let part = bytes[end..]
                .get(1..)
                .map_or(0, |rest| rest.iter().take_while(|&&b| is_key_char(b)).count());
            if bytes.get(end) == Some(&b'.') && part > 0 {
                end += 1 + part;
            } else {
                break;
            }
        }
        let m = (m.start(), end);
        let kind = if jwt_issuer(payload).is_some_and(|iss| {
            IAM_ISSUER_HOSTS
                .iter()
                .any(|h| iss.trim_start_matches("https://").starts_with(h))
        }) {
            SecretKind::IbmIamToken
        } else {
            SecretKind::Jwt
        };
        push(found, kind, m.0..m.1);
    }
}

fn jwt_issuer(payload: &str) -> Option<String> {
    let bytes = b64_decode(payload.as_bytes())?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("iss")?.as_str().map(str::to_owned)
}

// ---------------------------------------------------------------------------------------------
// Passwords in URLs

/// `scheme://user:password@host`, the user possibly empty.
static URL_PASSWORD: LazyLock<Regex> =
    LazyLock::new(|| re(r#"[A-Za-z][A-Za-z0-9+.-]*://([^\s:/@'"`]*):([^\s@/'"`]+)@[^\s@/'"`]"#));

/// The user name IBM Cloud Container Registry (and IAM) take an API key as the password of.
const IAM_API_KEY_USER: &str = "iamapikey";

fn url_passwords(text: &str, shape: &Shape, found: &mut Vec<Found>) {
    if !shape.may_contain(&const { lit("://") }) {
        return;
    }
    for c in URL_PASSWORD.captures_iter(text) {
        let user = c.get(1).expect("group").as_str();
        let pass = c.get(2).expect("group");
        // `host:8080@…` is a port, not a password.
        let is_port = pass.as_str().bytes().all(|b| b.is_ascii_digit()) && pass.len() <= 5;
        if is_port || pass.len() < 3 || is_non_secret_value(pass.as_str()) {
            continue;
        }
        push(found, login_kind(user, SecretKind::UrlPassword), pass.range());
    }
}

fn login_kind(user: &str, otherwise: SecretKind) -> SecretKind {
    let user = user.trim_matches(|c| c == '"' || c == '\'');
    if user.eq_ignore_ascii_case(IAM_API_KEY_USER) {
        SecretKind::IbmCloudApiKey
    } else {
        otherwise
    }
}

// ---------------------------------------------------------------------------------------------
// Command lines

/// How a command-line match decides its kind.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Always a command-line password.
    Plain,
    /// `user:password`: the user in this capture group; `iamapikey` makes it an IBM API key.
    UserGroup(usize),
    /// A registry login: the `-u`/`--username` anywhere in the same command decides.
    RegistryLogin,
    /// `Authorization: Basic base64(user:password)`: the decoded user decides.
    Authorization,
    /// `-Dname=value`: only when the property name says secret (capture group 1).
    JavaProperty,
    /// `ibmcloud … --apikey X`: an IBM Cloud API key whatever its shape; `@file` names a file.
    IbmLogin,
}

/// A command-line detector: guards (literals one of which occurs, ignoring case, in every
/// match), a pattern, and the capture group holding the secret.
struct CommandPattern {
    /// Whether every match has whitespace (patterns that may match at the start of the text,
    /// like `-Dx.password=y` or `_authToken=x`, do not).
    spaced: bool,
    guards: &'static [Lit],
    /// A second set of literals, one of which must also occur (empty: no requirement).
    also: &'static [Lit],
    pattern: LazyRegex,
    group: usize,
    rule: Rule,
}

static COMMANDS: LazyLock<Vec<CommandPattern>> = LazyLock::new(|| {
    let c = |(guards, also), pattern: &'static str, group, rule| CommandPattern {
        spaced: !pattern.starts_with("(?:^|"),
        guards,
        also,
        pattern: LazyRegex::new(pattern),
        group,
        rule,
    };
    vec![
        // ibmcloud login --apikey KEY (also `ic`, `bx`, `bluemix`; `-apikey`, `--apikey=KEY`)
        c(
            const {
                (
                    &[lit("ibmcloud"), lit("ic "), lit("bx "), lit("bluemix")],
                    &[lit("apikey")],
                )
            },
            r#"\b(?:ibmcloud|ic|bx|bluemix)(?:\s[^;&|\n]*?)?\s--?apikey(?:=|\s+)['"]?([^\s'"]+)"#,
            1,
            Rule::IbmLogin,
        ),
        // curl -u user:pass, curl -fsu user:pass, curl --user=user:pass
        c(
            const {
                (
                    &[lit("curl"), lit("wget")],
                    &[lit("-u"), lit("u "), lit("--user")],
                )
            },
            r#"\b(?:curl|wget)\b[^;&|\n]*?\s(?:-[A-Za-z]*u\s*|--user(?:=|\s+))['"]?([^\s:'"]*):([^\s'"]+)"#,
            2,
            Rule::UserGroup(1),
        ),
        // --password X, --password=X, --registry-password X, --token X, --api-key X … (not
        // --password-stdin, --password-file, --token-file: the keyword must end the flag)
        c(
            const {
                (
                    &[lit("--")],
                    &[lit("pass"), lit("token"), lit("key"), lit("secret")],
                )
            },
            r#"(?:^|[\s'"])--(?:[a-z0-9]+-)*(?:password|passwd|passphrase|pass|token|api-?key|apikey|secret|access-token|auth-token)(?:=|\s+)['"]?([^\s'"]+)"#,
            1,
            Rule::Plain,
        ),
        // Java system properties: -Dspring.datasource.password=X
        c(
            const {
                (
                    &[lit("-d")],
                    &[
                        lit("pass"),
                        lit("pw"),
                        lit("secret"),
                        lit("token"),
                        lit("key"),
                        lit("cred"),
                        lit("auth"),
                    ],
                )
            },
            r#"(?:^|[\s'"])-D([A-Za-z0-9_.-]+)=['"]?([^\s'"]+)"#,
            2,
            Rule::JavaProperty,
        ),
        // docker/podman/buildah/skopeo/nerdctl/helm/oras login -p P / --password P
        c(
            const { (&[lit("login")], &[lit("-p"), lit("--password")]) },
            r#"\b(?:docker|podman|buildah|skopeo|nerdctl|oras|helm)\s(?:[^;&|\n]*?\s)?login\b[^;&|\n]*?\s(?:-p\s*|--password(?:=|\s+))['"]?([^\s'"]+)"#,
            1,
            Rule::RegistryLogin,
        ),
        // echo SECRET | docker login -u U --password-stdin: the secret is still on the line
        c(
            const { (&[lit("login")], &[lit("echo")]) },
            r#"\becho\s+['"]?([^\s'"|]+)['"]?\s*\|\s*(?:docker|podman|buildah|skopeo|nerdctl|oras|helm)\s(?:[^;&|\n]*?\s)?login\b"#,
            1,
            Rule::RegistryLogin,
        ),
        // mysql -pSECRET (the password glued to -p; `-p` alone prompts)
        c(
            const { (&[lit("mysql"), lit("mariadb")], &[lit("-p")]) },
            r#"\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mariadb|mariadb-dump|mariadb-admin)\b[^;&|\n]*?\s-p['"]?([^\s'"-][^\s'"]*)"#,
            1,
            Rule::Plain,
        ),
        // echo user:pass | chpasswd
        c(
            const { (&[lit("chpasswd")], &[]) },
            r#"\b(?:echo|printf)\s+(?:-[a-zA-Z]+\s+)*['"]?([^\s:'"]+):([^\s'"|]+?)(?:\\n)?['"]?\s*\|\s*(?:sudo\s+)?chpasswd"#,
            2,
            Rule::Plain,
        ),
        // echo pass | passwd --stdin user
        c(
            const { (&[lit("passwd")], &[]) },
            r#"\becho\s+['"]?([^\s'"|]+)['"]?\s*\|\s*(?:sudo\s+)?passwd\s+--stdin"#,
            1,
            Rule::Plain,
        ),
        // sshpass -p X
        c(
            const { (&[lit("sshpass")], &[]) },
            r#"\bsshpass\s+-p\s*['"]?([^\s'"]+)"#,
            1,
            Rule::Plain,
        ),
        // redis-cli -a X
        c(
            const { (&[lit("redis-cli")], &[]) },
            r#"\bredis-cli\b[^;&|\n]*?\s-a\s+['"]?([^\s'"]+)"#,
            1,
            Rule::Plain,
        ),
        // openssl … -passin pass:X
        c(
            const { (&[lit("pass:")], &[]) },
            r#"(?:^|\s)-(?:passin|passout|pass|password)\s+['"]?pass:([^\s'"]+)"#,
            1,
            Rule::Plain,
        ),
        // keytool -storepass X -keypass X
        c(
            const { (&[lit("storepass"), lit("keypass")], &[]) },
            r#"(?:^|\s)-(?:storepass|keypass|srcstorepass|deststorepass|srckeypass|destkeypass)\s+['"]?([^\s'"]+)"#,
            1,
            Rule::Plain,
        ),
        // .npmrc lines: //registry/:_authToken=X, _auth=X, _password=X
        c(
            const { (&[lit("_auth"), lit("_password")], &[]) },
            r#"(?:^|[\s"'/:])_(?:authToken|auth|password)\s*=\s*['"]?([^\s'"]+)"#,
            1,
            Rule::Plain,
        ),
        // Authorization: Basic|Bearer|Token X
        c(
            const { (&[lit("authorization")], &[]) },
            r#"(?i)\b(?:proxy-)?authorization\s*:\s*(?:basic|bearer|token|apikey|api-key)\s+([A-Za-z0-9._~+/=-]+)"#,
            1,
            Rule::Authorization,
        ),
        // -H 'X-API-Key: X', --header "PRIVATE-TOKEN: X"
        c(
            const {
                (
                    &[lit("-h"), lit("--header")],
                    &[lit("token"), lit("key"), lit("api")],
                )
            },
            r#"(?i)(?:-H|--header)(?:=|\s*)['"]?\s*(?:x-auth-token|x-api-key|x-api-token|private-token|x-vault-token|x-jfrog-art-api|api-key|apikey)\s*:\s*([A-Za-z0-9._~+/=-]{8,})"#,
            1,
            Rule::Plain,
        ),
    ]
});

/// `-u iamapikey` / `--username iamapikey` in a registry login.
static LOGIN_USER: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?:^|\s)(?:-u\s*|--username(?:=|\s+))['"]?([^\s'"]+)"#));

fn command_lines(text: &str, shape: &Shape, found: &mut Vec<Found>) {
    for cmd in COMMANDS.iter() {
        if (cmd.spaced && !shape.has_space)
            || !shape.may_contain_any(cmd.guards)
            || (!cmd.also.is_empty() && !shape.may_contain_any(cmd.also))
        {
            continue;
        }
        for c in cmd.pattern.get().captures_iter(text) {
            let secret = c.get(cmd.group).expect("group");
            // `--password -x` is two flags, but `--password=-x` is a value.
            let attached = text[..secret.start()]
                .trim_end_matches(['"', '\''])
                .ends_with('=');
            if !is_command_secret(secret.as_str(), attached) {
                continue;
            }
            let kind = match cmd.rule {
                Rule::Plain => SecretKind::CommandLinePassword,
                Rule::UserGroup(g) => login_kind(&c[g], SecretKind::CommandLinePassword),
                Rule::RegistryLogin => {
                    let whole = c.get(0).expect("match");
                    let end = text[whole.end()..]
                        .find([';', '&', '|', '\n'])
                        .map_or(text.len(), |i| whole.end() + i);
                    let user = LOGIN_USER
                        .captures(&text[whole.start()..end])
                        .map_or("", |u| u.get(1).map_or("", |m| m.as_str()));
                    login_kind(user, SecretKind::CommandLinePassword)
                }
                Rule::Authorization => authorization_kind(&c, secret.as_str()),
                Rule::JavaProperty if is_secret_name(&c[1]) => SecretKind::CommandLinePassword,
                Rule::JavaProperty => continue,
                Rule::IbmLogin if secret.as_str().starts_with('@') => continue,
                Rule::IbmLogin => SecretKind::IbmCloudApiKey,
            };
            push(found, kind, secret.range());
        }
    }
    if shape.may_contain(&const { lit("\"auth\"") }) {
        docker_config_auths(text, found);
    }
}

/// `Authorization: Basic base64(iamapikey:KEY)` is an IBM Cloud API key.
fn authorization_kind(c: &Captures<'_>, secret: &str) -> SecretKind {
    if c[0].to_ascii_lowercase().contains("basic")
        && let Some(decoded) = b64_decode(secret.as_bytes())
        && let Ok(decoded) = String::from_utf8(decoded)
        && let Some((user, _)) = decoded.split_once(':')
    {
        return login_kind(user, SecretKind::CommandLinePassword);
    }
    SecretKind::CommandLinePassword
}

fn is_command_secret(value: &str, attached: bool) -> bool {
    let v = value.trim_end_matches([';', ',', ')']);
    v.len() >= 4
        && (attached || !v.starts_with('-'))
        && !v.contains("id=")
        && !v.contains("src=")
        && !is_non_secret_value(v)
}

static DOCKER_AUTH: LazyLock<Regex> = LazyLock::new(|| re(r#""auth"\s*:\s*"([A-Za-z0-9+/]{8,}={0,2})""#));

/// `{"auths":{"us.icr.io":{"auth":"base64(user:password)"}}}` in a docker config.
fn docker_config_auths(text: &str, found: &mut Vec<Found>) {
    for c in DOCKER_AUTH.captures_iter(text) {
        let m = c.get(1).expect("group");
        let Some(decoded) = b64_decode(m.as_str().as_bytes()) else {
            continue;
        };
        let Ok(decoded) = String::from_utf8(decoded) else {
            continue;
        };
        if let Some((user, pass)) = decoded.split_once(':')
            && !is_non_secret_value(pass)
        {
            push(found, login_kind(user, SecretKind::RegistryAuth), m.range());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Formats recognised only in a key context

/// Names or nearby words that make a 44-character `[A-Za-z0-9_-]` string an IBM Cloud API key.
const IBM_KEY_CONTEXT: &[&str] = &["apikey", "api_key", "api-key", "ibmcloud", "ibm_cloud", "bluemix"];
/// … that make 32 hex digits a COS HMAC access key id.
const HMAC_ID_CONTEXT: &[&str] = &["hmac", "access_key", "accesskey", "access-key"];
/// … that make 48 hex digits a COS HMAC secret access key.
const HMAC_SECRET_CONTEXT: &[&str] = &[
    "hmac",
    "secret_access_key",
    "secretaccesskey",
    "secret-access-key",
    "secret_key",
    "secretkey",
    "secret-key",
];
/// … that make 40 base64 characters an AWS secret access key.
const AWS_SECRET_CONTEXT: &[&str] = &[
    "aws_secret",
    "aws-secret",
    "awssecret",
    "secret_access_key",
    "secretaccesskey",
    "secret-access-key",
];
/// Prefixes of other formats: a 44-character token with one of them is not an IBM API key.
const OTHER_PREFIXES: &[&str] = &[
    "xox",
    "xapp-",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "npm_",
    "glpat-",
    "AKIA",
    "ASIA",
    "AIza",
    "dckr_pat_",
    "sk_live_",
    "rk_live_",
    "pypi-",
    "AKCp",
    "eyJ",
];
/// Every context word above contains one of these.
const ANY_CONTEXT: &[&str] = &["key", "ibm", "bluemix", "hmac", "aws", "secret"];
const ANY_CONTEXT_LITS: &[Lit] = &[
    lit("key"),
    lit("ibm"),
    lit("bluemix"),
    lit("hmac"),
    lit("aws"),
    lit("secret"),
];
/// How far before a candidate the words that give it context may be.
const CONTEXT_WINDOW: usize = 48;

fn contextual(text: &str, context: &str, shape: &Shape, found: &mut Vec<Found>) {
    let (ctx, bytes) = (context.as_bytes(), text.as_bytes());
    if bytes.len() < 32 || (!contains_any_ci(ctx, ANY_CONTEXT) && !shape.may_contain_any(ANY_CONTEXT_LITS)) {
        return;
    }
    let in_context = |start: usize, words: &[&str]| {
        contains_any_ci(ctx, words)
            || contains_any_ci(&bytes[start.saturating_sub(CONTEXT_WINDOW)..start], words)
    };
    for run in runs(bytes, is_key_char) {
        let value = &bytes[run.clone()];
        let kind = match run.len() {
            44 if looks_random(value, 12)
                && !OTHER_PREFIXES.iter().any(|p| value.starts_with(p.as_bytes()))
                && in_context(run.start, IBM_KEY_CONTEXT) =>
            {
                SecretKind::IbmCloudApiKey
            }
            32 if is_random_hex(value) && in_context(run.start, HMAC_ID_CONTEXT) => SecretKind::IbmCosHmacKey,
            48 if is_random_hex(value) && in_context(run.start, HMAC_SECRET_CONTEXT) => {
                SecretKind::IbmCosHmacKey
            }
            _ => continue,
        };
        push(found, kind, run);
    }
    for run in runs(bytes, is_b64_char) {
        if run.len() != 40 || bytes.get(run.end) == Some(&b'=') {
            continue;
        }
        let value = &bytes[run.clone()];
        let mix = char_mix(value);
        if mix.upper
            && mix.lower
            && mix.distinct >= 15
            && !OTHER_PREFIXES.iter().any(|p| value.starts_with(p.as_bytes()))
            && in_context(run.start, AWS_SECRET_CONTEXT)
        {
            push(found, SecretKind::AwsSecretAccessKey, run);
        }
    }
}

/// Hex digits with both digits and letters (rules out `0000…` and `deadbeef…` words).
fn is_random_hex(value: &[u8]) -> bool {
    value.iter().all(u8::is_ascii_hexdigit)
        && value.iter().any(u8::is_ascii_digit)
        && value.iter().any(u8::is_ascii_alphabetic)
}

/// Maximal runs of bytes for which `class` holds.
fn runs(bytes: &[u8], class: fn(u8) -> bool) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() && !class(bytes[i]) {
            i += 1;
        }
        if i >= bytes.len() {
            return None;
        }
        let start = i;
        while i < bytes.len() && class(bytes[i]) {
            i += 1;
        }
        Some(start..i)
    })
}
