//! Recognised secret formats (ICR-SEC-001 and ICR-SEC-002): token formats with a fixed prefix,
//! private key blocks, JWTs (IBM IAM tokens among them), passwords in URLs and on command lines,
//! and the formats that are only a secret in a key context (IBM Cloud API keys, COS HMAC keys,
//! AWS secret access keys).
//!
//! Every detector is guarded by a cheap literal test, and one combined regex ([`TRIGGER`]) rejects
//! most text before any detector runs: ordinary environment variables, labels and history lines
//! never reach the expensive patterns.

use std::ops::Range;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::keyword::{is_non_secret_value, is_secret_name};
use super::text::{
    b64_decode, contains_any_ci, is_b64_char, is_bounded, is_key_char, looks_random, offset_in,
};
use super::{Detection, SecretKind};

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("built-in secret pattern compiles")
}

/// Any text without one of these literals holds no prefixed token, key block, URL password or
/// command-line password. Case-sensitive literals are the token prefixes; the case-insensitive
/// group covers the command-line and header detectors.
static TRIGGER: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"PRIVATE KEY|PuTTY-User-Key|LS0tLS1CRUdJTi|A(?:KIA|SIA|BIA|CCA|KCp|Iza)|gh[pousr]_",
        r"|github_pat_|glpat-|xox[a-z]-|xapp-|hooks\.slack\.com|npm_|pypi-|cmVmdGtu|dckr_pat_",
        r"|[sr]k_live_|eyJ|://|(?i:pass|token|api-?key|secret|auth|curl|wget|login|mysql|mariadb|redis-cli)",
    ))
});

struct Found {
    kind: SecretKind,
    span: Range<usize>,
}

/// Finds every recognised format in `text`. `context` is the name the text is the value of (an
/// environment variable or label name), or empty for a history line, where the words before a
/// candidate give its context. Overlapping detections are resolved (lower
/// [`SecretKind::overlap_rank`] wins, then the longer span); spans are offsets into `text`, and
/// `name` is left `None` for the caller to fill in.
pub(crate) fn scan(text: &str, context: &str) -> Vec<Detection> {
    let mut found = Vec::new();
    if TRIGGER.is_match(text) {
        prefixed_tokens(text, &mut found);
        private_keys(text, &mut found);
        jwts(text, &mut found);
        url_passwords(text, &mut found);
        command_lines(text, &mut found);
    }
    contextual(text, context, &mut found);
    resolve(found)
}

/// Keeps one detection per stretch of text: the lowest overlap rank, then the longest span.
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
    let mut kept: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        if !kept.iter().any(|k| overlaps(&k.span, &f.span)) {
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
    guard: &'static str,
    pattern: Regex,
    kind: SecretKind,
    glued: fn(u8) -> bool,
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

static PREFIXED: LazyLock<Vec<Prefixed>> = LazyLock::new(|| {
    let p = |guard, pattern: &str, kind, glued| Prefixed {
        guard,
        pattern: re(pattern),
        kind,
        glued,
    };
    vec![
        p("A", r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}", SecretKind::AwsAccessKeyId, is_alnum),
        p("gh", r"gh[pousr]_[A-Za-z0-9]{36}", SecretKind::GithubToken, is_key_char),
        p("github_pat_", r"github_pat_[A-Za-z0-9_]{82}", SecretKind::GithubToken, is_key_char),
        p("glpat-", r"glpat-[A-Za-z0-9_-]{20,}", SecretKind::GitlabToken, is_key_char),
        p("xox", r"xox[abeprs]-[0-9]{6,}-[0-9A-Za-z-]{8,}", SecretKind::SlackToken, is_key_char),
        p("xapp-", r"xapp-[0-9]-[A-Z0-9]{8,}-[0-9]+-[a-z0-9]{16,}", SecretKind::SlackToken, is_key_char),
        p("npm_", r"npm_[A-Za-z0-9]{36}", SecretKind::NpmToken, is_key_char),
        p(
            "pypi-",
            r"pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,}",
            SecretKind::PypiToken,
            is_key_char,
        ),
        p("AKCp", r"AKCp[A-Za-z0-9]{69}", SecretKind::ArtifactoryToken, is_alnum),
        p("cmVmdGtu", r"cmVmdGtu[A-Za-z0-9]{56}", SecretKind::ArtifactoryToken, is_alnum),
        p("dckr_pat_", r"dckr_pat_[A-Za-z0-9_-]{27}", SecretKind::DockerHubToken, is_key_char),
        p("AIza", r"AIza[0-9A-Za-z_-]{35}", SecretKind::GoogleApiKey, is_key_char),
        p("k_live_", r"[sr]k_live_[0-9a-zA-Z]{24,99}", SecretKind::StripeKey, is_alnum),
    ]
});

static SLACK_WEBHOOK: LazyLock<Regex> = LazyLock::new(|| {
    re(r"hooks\.slack\.com/(?:services|workflows|triggers)/(T[A-Z0-9]{6,}/[A-Z0-9]{6,}/[A-Za-z0-9/]{16,})")
});

fn prefixed_tokens(text: &str, found: &mut Vec<Found>) {
    for p in PREFIXED.iter() {
        if !text.contains(p.guard) {
            continue;
        }
        for m in p.pattern.find_iter(text) {
            let value = m.as_str();
            if is_bounded(text, m.start(), m.end(), p.glued)
                && !value.contains("EXAMPLE")
                && looks_random(value.as_bytes(), 8)
            {
                push(found, p.kind, m.range());
            }
        }
    }
    if text.contains("hooks.slack.com") {
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

fn private_keys(text: &str, found: &mut Vec<Found>) {
    if text.contains("PRIVATE KEY") {
        for m in PEM_PRIVATE.find_iter(text) {
            // The key material runs to the END line, or to the end of the text.
            let body_end = text[m.end()..]
                .find("-----END")
                .map_or(text.len(), |i| m.end() + i);
            let body = &text[m.end()..body_end];
            let trimmed = body.trim_matches(|c: char| c.is_whitespace() || c == '\\' || c == 'n');
            if trimmed.len() >= 4 {
                let start = offset_in(text, trimmed);
                push(found, SecretKind::PrivateKey, start..start + trimmed.len());
            } else {
                // A header alone counts: the rest of the key was cut off, not absent.
                push(found, SecretKind::PrivateKey, m.range());
            }
        }
    }
    if text.contains("PuTTY-User-Key-File") {
        for m in PUTTY.find_iter(text) {
            push(found, SecretKind::PrivateKey, m.end()..text.len());
        }
    }
    if text.contains("LS0tLS1CRUdJTi") {
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

// ---------------------------------------------------------------------------------------------
// JWTs and IBM IAM tokens

static JWT: LazyLock<Regex> =
    LazyLock::new(|| re(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"));

/// Issuers of IBM Cloud IAM tokens (production, staging, and the legacy Bluemix host).
const IAM_ISSUER_HOSTS: &[&str] = &["iam.cloud.ibm.com", "iam.test.cloud.ibm.com", "iam.bluemix.net"];

fn jwts(text: &str, found: &mut Vec<Found>) {
    if !text.contains("eyJ") {
        return;
    }
    for m in JWT.find_iter(text) {
        if !is_bounded(text, m.start(), m.end(), |b| is_key_char(b) || b == b'.') {
            continue;
        }
        let mut parts = m.as_str().split('.');
        let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Some(header) = b64_decode(header.as_bytes()) else {
            continue;
        };
        let header = String::from_utf8_lossy(&header);
        if !header.contains("\"alg\"") && !header.contains("\"typ\"") {
            continue;
        }
        let kind = if jwt_issuer(payload).is_some_and(|iss| {
            IAM_ISSUER_HOSTS
                .iter()
                .any(|h| iss.trim_start_matches("https://").starts_with(h))
        }) {
            SecretKind::IbmIamToken
        } else {
            SecretKind::Jwt
        };
        push(found, kind, m.range());
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
static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"[A-Za-z][A-Za-z0-9+.-]*://([^\s:/@'"`]*):([^\s@/'"`]+)@[^\s@/'"`]"#)
});

/// The user name IBM Cloud Container Registry (and IAM) take an API key as the password of.
const IAM_API_KEY_USER: &str = "iamapikey";

fn url_passwords(text: &str, found: &mut Vec<Found>) {
    if !text.contains("://") || !text.contains('@') {
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
}

/// A command-line detector: guards (any one must occur), a pattern, and the capture group holding
/// the secret.
struct CommandPattern {
    guards: &'static [&'static str],
    pattern: Regex,
    group: usize,
    rule: Rule,
}

static COMMANDS: LazyLock<Vec<CommandPattern>> = LazyLock::new(|| {
    let c = |guards, pattern: &str, group, rule| CommandPattern {
        guards,
        pattern: re(pattern),
        group,
        rule,
    };
    vec![
        // curl -u user:pass, curl --user=user:pass, wget --user user:pass
        c(
            &["curl", "wget"],
            r#"\b(?:curl|wget)\b[^;&|\n]*?\s(?:-u\s*|--user(?:=|\s+))['"]?([^\s:'"]*):([^\s'"]+)"#,
            2,
            Rule::UserGroup(1),
        ),
        // --password X, --password=X, --registry-password X, --token X, --api-key X … (not
        // --password-stdin, --password-file, --token-file: the keyword must end the flag)
        c(
            &["--"],
            r#"(?:^|[\s'"])--(?:[a-z0-9]+-)*(?:password|passwd|passphrase|pass|token|api-?key|apikey|secret|access-token|auth-token)(?:=|\s+)['"]?([^\s'"]+)"#,
            1,
            Rule::Plain,
        ),
        // Java system properties: -Dspring.datasource.password=X
        c(
            &["-D"],
            r#"(?:^|[\s'"])-D([A-Za-z0-9_.-]+)=['"]?([^\s'"]+)"#,
            2,
            Rule::JavaProperty,
        ),
        // docker/podman/buildah/skopeo/nerdctl/helm/oras login -p P / --password P
        c(
            &["login"],
            r#"\b(?:docker|podman|buildah|skopeo|nerdctl|oras|helm)\s(?:[^;&|\n]*?\s)?login\b[^;&|\n]*?\s(?:-p\s*|--password(?:=|\s+))['"]?([^\s'"]+)"#,
            1,
            Rule::RegistryLogin,
        ),
        // mysql -pSECRET (the password glued to -p; `-p` alone prompts)
        c(
            &["mysql", "mariadb"],
            r#"\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mariadb|mariadb-dump|mariadb-admin)\b[^;&|\n]*?\s-p['"]?([^\s'"-][^\s'"]*)"#,
            1,
            Rule::Plain,
        ),
        // echo user:pass | chpasswd
        c(
            &["chpasswd"],
            r#"\b(?:echo|printf)\s+(?:-[a-zA-Z]+\s+)*['"]?([^\s:'"]+):([^\s'"|]+?)(?:\\n)?['"]?\s*\|\s*(?:sudo\s+)?chpasswd"#,
            2,
            Rule::Plain,
        ),
        // echo pass | passwd --stdin user
        c(
            &["passwd"],
            r#"\becho\s+['"]?([^\s'"|]+)['"]?\s*\|\s*(?:sudo\s+)?passwd\s+--stdin"#,
            1,
            Rule::Plain,
        ),
        // sshpass -p X
        c(&["sshpass"], r#"\bsshpass\s+-p\s*['"]?([^\s'"]+)"#, 1, Rule::Plain),
        // redis-cli -a X
        c(
            &["redis-cli"],
            r#"\bredis-cli\b[^;&|\n]*?\s-a\s+['"]?([^\s'"]+)"#,
            1,
            Rule::Plain,
        ),
        // openssl … -passin pass:X
        c(
            &["pass:"],
            r#"(?:^|\s)-(?:passin|passout|pass|password)\s+['"]?pass:([^\s'"]+)"#,
            1,
            Rule::Plain,
        ),
        // keytool -storepass X -keypass X
        c(
            &["pass"],
            r#"(?:^|\s)-(?:storepass|keypass|srcstorepass|deststorepass|srckeypass|destkeypass)\s+['"]?([^\s'"]+)"#,
            1,
            Rule::Plain,
        ),
        // .npmrc lines: //registry/:_authToken=X, _auth=X, _password=X
        c(
            &["_auth", "_password"],
            r#"(?:^|[\s"'/:])_(?:authToken|auth|password)\s*=\s*['"]?([^\s'"]+)"#,
            1,
            Rule::Plain,
        ),
        // Authorization: Basic|Bearer|Token X
        c(
            &["uthorization", "UTHORIZATION"],
            r#"(?i)\b(?:proxy-)?authorization\s*:\s*(?:basic|bearer|token|apikey|api-key)\s+([A-Za-z0-9._~+/=-]+)"#,
            1,
            Rule::Authorization,
        ),
        // -H 'X-API-Key: X', --header "PRIVATE-TOKEN: X"
        c(
            &["-H", "--header"],
            r#"(?i)(?:-H|--header)(?:=|\s*)['"]?\s*(?:x-auth-token|x-api-key|x-api-token|private-token|x-vault-token|x-jfrog-art-api|api-key|apikey)\s*:\s*([A-Za-z0-9._~+/=-]{8,})"#,
            1,
            Rule::Plain,
        ),
    ]
});

/// `-u iamapikey` / `--username iamapikey` in a registry login.
static LOGIN_USER: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?:^|\s)(?:-u\s*|--username(?:=|\s+))['"]?([^\s'"]+)"#));

fn command_lines(text: &str, found: &mut Vec<Found>) {
    for cmd in COMMANDS.iter() {
        if !cmd.guards.iter().any(|g| text.contains(g)) {
            continue;
        }
        for c in cmd.pattern.captures_iter(text) {
            let secret = c.get(cmd.group).expect("group");
            if !is_command_secret(secret.as_str()) {
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
            };
            push(found, kind, secret.range());
        }
    }
    if text.contains("\"auth\"") {
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

fn is_command_secret(value: &str) -> bool {
    let v = value.trim_end_matches([';', ',', ')']);
    v.len() >= 4
        && !v.starts_with('-')
        && !v.contains("id=")
        && !v.contains("src=")
        && !is_non_secret_value(v)
}

static DOCKER_AUTH: LazyLock<Regex> =
    LazyLock::new(|| re(r#""auth"\s*:\s*"([A-Za-z0-9+/]{8,}={0,2})""#));

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
/// Any of the contexts above contains one of these.
const ANY_CONTEXT: &[&str] = &["key", "ibm", "bluemix", "hmac", "aws", "secret"];
/// Prefixes of other formats: a 44-character token with one of them is not an IBM API key.
const OTHER_PREFIXES: &[&str] = &[
    "xox", "xapp-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "npm_", "glpat-", "AKIA", "ASIA",
    "AIza", "dckr_pat_", "sk_live_", "rk_live_", "pypi-", "AKCp", "eyJ",
];
/// How far before a candidate the words that give it context may be.
const CONTEXT_WINDOW: usize = 48;

fn contextual(text: &str, context: &str, found: &mut Vec<Found>) {
    let (ctx, bytes) = (context.as_bytes(), text.as_bytes());
    if !contains_any_ci(ctx, ANY_CONTEXT) && !contains_any_ci(bytes, ANY_CONTEXT) {
        return;
    }
    let in_context = |start: usize, words: &[&str]| {
        contains_any_ci(ctx, words) || contains_any_ci(&bytes[start.saturating_sub(CONTEXT_WINDOW)..start], words)
    };
    for run in runs(bytes, is_key_char) {
        let value = &bytes[run.clone()];
        let hex = value.iter().all(u8::is_ascii_hexdigit)
            && value.iter().any(u8::is_ascii_digit)
            && value.iter().any(u8::is_ascii_alphabetic);
        let kind = match run.len() {
            44 if looks_random(value, 12)
                && !OTHER_PREFIXES.iter().any(|p| value.starts_with(p.as_bytes()))
                && in_context(run.start, IBM_KEY_CONTEXT) =>
            {
                SecretKind::IbmCloudApiKey
            }
            32 if hex && in_context(run.start, HMAC_ID_CONTEXT) => SecretKind::IbmCosHmacKey,
            48 if hex && in_context(run.start, HMAC_SECRET_CONTEXT) => SecretKind::IbmCosHmacKey,
            _ => continue,
        };
        push(found, kind, run);
    }
    for run in runs(bytes, is_b64_char) {
        let value = &bytes[run.clone()];
        let mix = super::text::char_mix(value);
        if run.len() == 40
            && bytes.get(run.end) != Some(&b'=')
            && mix.upper
            && mix.lower
            && mix.distinct >= 15
            && !OTHER_PREFIXES.iter().any(|p| value.starts_with(p.as_bytes()))
            && in_context(run.start, AWS_SECRET_CONTEXT)
        {
            push(found, SecretKind::AwsSecretAccessKey, run);
        }
    }
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
