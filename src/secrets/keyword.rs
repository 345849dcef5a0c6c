//! The name rule (ICR-SEC-003) and the value filters that every detector shares.
//!
//! A name says "secret" when one of its segments (split on `_`, `-`, `.`, `/` and camelCase) is a
//! secret word: `PASSWORD`, `PGPASSWORD`, `DB_PASS`, `PWD`, `SECRET`, `TOKEN`, `API_KEY`,
//! `APIKEY`, `PRIVATE_KEY`, `ACCESS_KEY`, `CREDENTIALS`, `AUTH`, `PAT`, … A segment after the last
//! secret word that names something else (`_FILE`, `_PATH`, `_URL`, `_ID`, `_NAME`, `_USER`,
//! `_TYPE`, `_ENABLED`, `_LENGTH`, `_HEADER`, …) exempts the name: `DB_PASSWORD_FILE` points at a
//! secret, it is not one.
//!
//! Under a secret name, a value is a literal secret whatever its shape (rules.md: digits-only
//! values and common passwords such as `123456` or `pass1234` included) unless it is empty, a
//! placeholder (`changeme`, `<password>`, `xxxx`, `****`, `REDACTED`, `dummy`,
//! `your_token_here` …), a reference (`${VAR}`, `$VAR`, `$(cmd)`, `%VAR%`, `{{ .Values.x }}`,
//! `#{x}`, `@VAR@`, `__VAR__`, `/run/secrets/…`, `vault:…`, `arn:aws:secretsmanager:…`, a path,
//! a URL without a password …), a boolean, or public material that names or verifies something
//! rather than unlocking it (a digest, a CRN, `ServiceId-…`, `ApiKey-…`, an SSH public key, a
//! certificate). The format and command-line detectors, which have no name to go by, also skip
//! short numbers, durations, versions and UUIDs ([`is_non_secret_value`]).

use super::text::{b64_decode, unquote};

/// Secret words matched anywhere inside a segment (`pgpassword`, `clientsecret`, `npmapikey`).
const INNER_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "passcode",
    "secret",
    "apikey",
    "credential",
    "privatekey",
    "accesskey",
];

/// Secret words that must be a whole segment (too short or too common to match inside words).
const WHOLE_WORDS: &[&str] = &[
    "pass",
    "pwd",
    "pw",
    "auth",
    "authorization",
    "cred",
    "creds",
    "pat",
];

/// Two adjacent segments that together say "secret" (`API_KEY`, `apiKey`, `ENCRYPTION_KEY`).
const WORD_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("api", "keys"),
    ("private", "key"),
    ("access", "key"),
    ("encryption", "key"),
    ("signing", "key"),
    ("master", "key"),
    ("ssh", "key"),
    ("hmac", "key"),
    ("account", "key"),
    ("app", "key"),
    ("session", "key"),
    ("cookie", "key"),
    ("jwt", "key"),
    ("client", "key"),
];

/// Segments after the secret word that make the name about something other than the secret.
const EXEMPT_AFTER: &[&str] = &[
    "file",
    "files",
    "path",
    "paths",
    "dir",
    "dirs",
    "directory",
    "url",
    "urls",
    "uri",
    "endpoint",
    "host",
    "hostname",
    "port",
    "server",
    "sock",
    "socket",
    "id",
    "ids",
    "name",
    "names",
    "user",
    "users",
    "username",
    "type",
    "types",
    "kind",
    "mode",
    "method",
    "methods",
    "enabled",
    "enable",
    "disabled",
    "disable",
    "required",
    "length",
    "len",
    "min",
    "max",
    "size",
    "count",
    "limit",
    "header",
    "headers",
    "prefix",
    "suffix",
    "format",
    "version",
    "provider",
    "policy",
    "scope",
    "scopes",
    "realm",
    "issuer",
    "audience",
    "expiry",
    "expires",
    "expiration",
    "ttl",
    "timeout",
    "lifetime",
    "duration",
    "days",
    "hours",
    "minutes",
    "seconds",
    "interval",
    "age",
    "retries",
    "location",
    "backend",
    "helper",
    "command",
    "cmd",
    "field",
    "ref",
    "reference",
    "arn",
    "algorithm",
    "alg",
    "encoding",
    "label",
    "source",
    "mount",
    "volume",
    "strategy",
    "rotation",
    "validity",
    "check",
    "verify",
    "validation",
    "hint",
    "regex",
    "pattern",
    "template",
    "schema",
    "description",
    "desc",
    "help",
    "level",
    "class",
    "module",
    "plugin",
    "service",
    "callback",
    "redirect",
    "domain",
    "tenant",
    "db",
    "database",
    "store",
    "manager",
    "vault",
    "env",
    "var",
    "scan",
    "scanner",
    "status",
    "result",
    "rotated",
    "updated",
    "created",
    // Settings about a secret (rules.md: `PASSWORD_MIN_LENGTH`, `TOKEN_TTL_SECONDS`).
    "complexity",
    "strength",
    "attempts",
    "lockout",
    "bits",
    "rounds",
    "iterations",
    "charset",
    "chars",
    "digits",
    "ms",
    "secs",
    "sec",
    "mins",
    "period",
    "window",
    "grace",
    "leeway",
    "skew",
    "renewal",
    "reuse",
    "history",
    "enforce",
    "enforced",
    "optional",
    "allowed",
    "cache",
];

/// Whether a variable, label or build-arg name says that its value is a secret.
pub(crate) fn is_secret_name(name: &str) -> bool {
    if !may_be_secret_name(name.as_bytes()) {
        return false;
    }
    // The shell's working directory, not a password.
    if name.eq_ignore_ascii_case("pwd") || name.eq_ignore_ascii_case("oldpwd") {
        return false;
    }
    // Segments as slices of a lowercased copy, on the stack for ordinary names.
    let mut buf = [0u8; 64];
    let owned;
    let lower: &str = if name.len() <= buf.len() {
        let b = &mut buf[..name.len()];
        b.copy_from_slice(name.as_bytes());
        b.make_ascii_lowercase();
        // Lowercasing ASCII keeps UTF-8 valid.
        std::str::from_utf8(b).unwrap_or_default()
    } else {
        owned = name.to_ascii_lowercase();
        &owned
    };
    let mut segs = [""; 24];
    let mut count = 0;
    segment_ranges(name, |r| {
        if count < segs.len() {
            segs[count] = &lower[r];
            count += 1;
        }
    });
    let segs = &segs[..count];
    let mut last_hit = None;
    for (i, &seg) in segs.iter().enumerate() {
        let single = WHOLE_WORDS.contains(&seg)
            || is_token_word(seg)
            || (INNER_WORDS.iter().any(|w| seg.contains(w)) && !seg.contains("secretar"));
        let pair = i > 0 && WORD_PAIRS.iter().any(|(a, b)| segs[i - 1] == *a && seg == *b);
        if single || pair {
            last_hit = Some(i);
        }
    }
    match last_hit {
        Some(i) => !segs[i + 1..].iter().any(|s| EXEMPT_AFTER.contains(s)),
        None => false,
    }
}

/// A cheap necessary condition for [`is_secret_name`]: every secret word contains one of `pas`,
/// `pw`, `secret`, `token`, `key`, `cred`, `auth` or `pat` (ignoring case).
fn may_be_secret_name(name: &[u8]) -> bool {
    let at = |i: usize, word: &[u8]| {
        name.len() >= i + word.len()
            && name[i + 1..i + word.len()]
                .iter()
                .zip(&word[1..])
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
    };
    (0..name.len()).any(|i| match name[i].to_ascii_lowercase() {
        b'p' => at(i, b"pas") || at(i, b"pw") || at(i, b"pat"),
        b's' => at(i, b"secret"),
        b't' => at(i, b"token"),
        b'k' => at(i, b"key"),
        b'c' => at(i, b"cred"),
        b'a' => at(i, b"auth"),
        _ => false,
    })
}

/// `token`, `tokens`, `authtoken`, `npmtoken` — but not `tokenizer` or `tokenizers`.
fn is_token_word(seg: &str) -> bool {
    seg.ends_with("token") || seg.ends_with("tokens")
}

/// Lowercase segments of a name: split on non-alphanumerics and on camelCase boundaries
/// (`dbPassword` → `db`, `password`; `APIKey` → `api`, `key`).
#[cfg(test)]
pub(crate) fn segments(name: &str) -> Vec<String> {
    let mut segs = Vec::new();
    segment_ranges(name, |r| segs.push(name[r].to_ascii_lowercase()));
    segs
}

/// Calls `f` with the byte range of each segment of `name`: split on non-alphanumerics and on
/// camelCase boundaries (`dbPassword` → `db`, `Password`; `APIKey` → `API`, `Key`).
fn segment_ranges(name: &str, mut f: impl FnMut(std::ops::Range<usize>)) {
    let b = name.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let mut start = i;
        i += 1;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            let lower_to_upper = b[i - 1].is_ascii_lowercase() && b[i].is_ascii_uppercase();
            let acronym_end = b[i - 1].is_ascii_uppercase()
                && b[i].is_ascii_uppercase()
                && b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            if lower_to_upper || acronym_end {
                f(start..i);
                start = i;
            }
            i += 1;
        }
        f(start..i);
    }
}

/// Whether `value` (a secret-named variable's value) is a literal that should be reported:
/// anything but an empty value, a placeholder, a reference, a boolean or public material.
pub(crate) fn is_literal_secret(value: &str) -> bool {
    let v = unquote(value.trim()).trim();
    !v.is_empty() && !is_placeholder(v) && !is_reference(v) && !is_boolean(v) && !is_public_identifier(v)
}

/// Whether a value is a placeholder, a reference, or public by design — never a secret. Shared by
/// the name rule and the URL and command-line detectors.
pub(crate) fn is_non_secret_value(value: &str) -> bool {
    let v = unquote(value.trim()).trim();
    if v.is_empty() {
        return true;
    }
    is_placeholder(v) || is_reference(v) || is_scalar(v) || is_uuid(v) || is_public_identifier(v)
}

const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "changethis",
    "example",
    "sample",
    "placeholder",
    "redacted",
    "dummy",
    "fake",
    "none",
    "null",
    "nil",
    "undefined",
    "n/a",
    "na",
    "tbd",
    "todo",
    "fixme",
    "secret",
    "secrets",
    "password",
    "passwd",
    "pass",
    "pwd",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "key",
    "default",
    "empty",
    "unset",
    "notset",
    "not-set",
    "not_set",
    "replaceme",
    "hidden",
    "masked",
    "removed",
    "omitted",
    "foo",
    "bar",
    "foobar",
    "baz",
    "mypassword",
    "mysecret",
    "mytoken",
];

const PLACEHOLDER_PARTS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "example",
    "placeholder",
    "redacted",
    "replace_me",
    "replace-me",
    "replaceme",
    "dummy",
    "xxxx",
    "****",
    "...",
    "your_",
    "your-",
    "yourpass",
    "yoursecret",
    "yourtoken",
    "yourkey",
    "yourapikey",
];

/// [`PLACEHOLDER_PARTS`] found in one pass, ASCII case ignored: a value is checked by every
/// detector that finds a candidate, and twenty substring searches (each setting up its own
/// searcher) on a lowercased copy were a tenth of an audit of an account full of keys.
static PLACEHOLDER_PART: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(PLACEHOLDER_PARTS)
        .expect("the placeholder parts build an automaton")
});

pub(crate) fn is_placeholder(v: &str) -> bool {
    let b = v.as_bytes();
    let ends_with = |suffix: &str| {
        b.len() >= suffix.len() && b[b.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    PLACEHOLDER_WORDS.iter().any(|word| word.eq_ignore_ascii_case(v))
        || PLACEHOLDER_PART.is_match(v)
        || ends_with("_here")
        || ends_with("-here")
        // one character repeated: `aaaa`, `0000`, `----`; one or two punctuation marks (`-`
        // is standard input, `*` a mask)
        || (b.len() >= 3 && b.iter().all(|&c| c == b[0]))
        || (b.len() <= 2 && b.iter().all(|c| c.is_ascii_punctuation()))
        // `<password>`, `[token]`
        || (b[0] == b'<' && b[b.len() - 1] == b'>')
        || (b[0] == b'[' && b[b.len() - 1] == b']')
}

const REFERENCE_PREFIXES: &[&str] = &[
    "vault:",
    "ref+",
    "op://",
    "sm://",
    "secretsmanager:",
    "arn:aws:secretsmanager:",
    "arn:aws:ssm:",
    "awssm:",
    "gcpsm:",
    "azurekv:",
    "keyvault:",
    "projects/",
    "file:",
    "env:",
    "secret:",
    "secretref:",
    "k8s:",
    "@/",
    "@./",
    "@~",
];

fn is_reference(v: &str) -> bool {
    let b = v.as_bytes();
    let lower = v.to_ascii_lowercase();
    let is_ident = |s: &[u8]| {
        !s.is_empty()
            && (s[0].is_ascii_alphabetic() || s[0] == b'_')
            && s.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
    };
    // $VAR, ${VAR}, $(cmd), `cmd`
    (b[0] == b'$' && b.get(1).is_some_and(|&c| c == b'{' || c == b'(' || c == b'_' || c.is_ascii_alphabetic()))
        || v.contains("${")
        || v.contains("$(")
        || v.contains('`')
        // %VAR%, @VAR@, __VAR__
        || (b.len() > 2 && b[0] == b'%' && b[b.len() - 1] == b'%' && is_ident(&b[1..b.len() - 1]))
        || (b.len() > 2 && b[0] == b'@' && b[b.len() - 1] == b'@' && is_ident(&b[1..b.len() - 1]))
        || (b.len() > 4 && v.starts_with("__") && v.ends_with("__") && is_ident(&b[2..b.len() - 2]))
        // {{ .Values.x }}, #{x}
        || (v.contains("{{") && v.contains("}}"))
        || v.contains("#{")
        || REFERENCE_PREFIXES.iter().any(|p| lower.starts_with(p))
        || lower.contains("/run/secrets/")
        || lower.contains("type=secret")
        || is_path(v)
        || is_at_file(v)
        || is_url_without_password(v)
}

/// `@apikey.json`, `@config/key.txt`: a file the command reads (`ibmcloud --apikey @file`,
/// `curl -d @file`), not a secret.
fn is_at_file(v: &str) -> bool {
    v.strip_prefix('@').is_some_and(|rest| {
        rest.bytes().any(|c| c == b'.' || c == b'/')
            && rest
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"/._-~".contains(&c))
    })
}

/// `/etc/app/key.pem`, `./secret.txt`, `~/.token`: a location, not a secret.
fn is_path(v: &str) -> bool {
    let rest = v
        .strip_prefix("~/")
        .or_else(|| v.strip_prefix("./"))
        .or_else(|| v.strip_prefix("../"))
        .or_else(|| v.strip_prefix('/'));
    match rest {
        Some(rest) => {
            !rest.is_empty()
                && rest.bytes().any(|c| c.is_ascii_alphabetic())
                && rest
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"/._-+@:".contains(&c))
        }
        None => false,
    }
}

/// `https://vault.internal:8200/v1/kv`: an address (a URL with a password is the URL detector's).
fn is_url_without_password(v: &str) -> bool {
    match v.find("://") {
        Some(i) if i > 0 => {
            v[..i]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"+.-".contains(&c))
                && !v[i + 3..].contains('@')
                && !v.contains(char::is_whitespace)
        }
        _ => false,
    }
}

/// `true`, `false`, `yes`, `off`, `enabled` …: a switch, not a secret.
fn is_boolean(v: &str) -> bool {
    const BOOLEANS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "y", "n", "enabled", "disabled", "enable", "disable",
    ];
    BOOLEANS.iter().any(|b| b.eq_ignore_ascii_case(v))
}

/// Booleans, short numbers, durations and versions.
fn is_scalar(v: &str) -> bool {
    if is_boolean(v) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    let b = v.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == b.len() {
        return b.len() <= 6;
    }
    let unit = &lower[digits..];
    if digits > 0 && ["ms", "s", "m", "h", "d", "w"].contains(&unit) {
        return true;
    }
    // 1.4.2, v2.0
    let ver = v.strip_prefix('v').unwrap_or(v);
    !ver.is_empty()
        && ver.contains('.')
        && ver
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
}

/// Identifiers that are public by design: digests, UUIDs, CRNs, IAM ids, public keys,
/// certificates.
fn is_public_identifier(v: &str) -> bool {
    const ID_PREFIXES: &[&str] = &[
        "crn:v1:",
        "ServiceId-",
        "iam-ServiceId-",
        "ApiKey-",
        "AccessGroupId-",
        "IBMid-",
        "iam-Profile-",
        "Profile-",
        "ssh-rsa ",
        "ssh-dss ",
        "ssh-ed25519 ",
        "ecdsa-sha2-",
        "sk-ssh-ed25519",
        "sk-ecdsa-sha2-",
    ];
    const PUBLIC_PEM: &[&str] = &[
        "-----BEGIN PUBLIC KEY",
        "-----BEGIN RSA PUBLIC KEY",
        "-----BEGIN CERTIFICATE",
        "-----BEGIN TRUSTED CERTIFICATE",
        "-----BEGIN X509 CRL",
        "-----BEGIN PGP PUBLIC KEY",
        "-----BEGIN SSH2 PUBLIC KEY",
        "-----BEGIN OPENSSH PUBLIC KEY",
    ];
    if ID_PREFIXES.iter().any(|p| v.starts_with(p)) || PUBLIC_PEM.iter().any(|p| v.contains(p)) {
        return true;
    }
    if let Some(hex) = ["sha256:", "sha512:", "sha384:", "sha1:"]
        .iter()
        .find_map(|p| v.strip_prefix(p))
    {
        return !hex.is_empty() && hex.bytes().all(|c| c.is_ascii_hexdigit());
    }
    // A base64-encoded PEM certificate or public key (`LS0tLS1CRUdJTi…` = `-----BEGIN`).
    if v.starts_with("LS0tLS1CRUdJTi") {
        let head = &v.as_bytes()[..v.len().min(64) / 4 * 4];
        if let Some(decoded) = b64_decode(head) {
            let text = String::from_utf8_lossy(&decoded);
            return text.contains("CERTIFICATE") || text.contains("PUBLIC KEY");
        }
    }
    false
}

pub(crate) fn is_uuid(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass placeholder check says what lowercasing the value and searching it for each
    /// part said, on every word and part in several cases, alone and inside other text.
    #[test]
    fn placeholders_are_found_as_a_search_of_the_lowercased_value_finds_them() {
        let by_lowercasing = |v: &str| {
            let b = v.as_bytes();
            let lower = v.to_ascii_lowercase();
            PLACEHOLDER_WORDS.contains(&lower.as_str())
                || PLACEHOLDER_PARTS.iter().any(|p| lower.contains(p))
                || lower.ends_with("_here")
                || lower.ends_with("-here")
                || (b.len() >= 3 && b.iter().all(|&c| c == b[0]))
                || (b.len() <= 2 && b.iter().all(|c| c.is_ascii_punctuation()))
                || (b[0] == b'<' && b[b.len() - 1] == b'>')
                || (b[0] == b'[' && b[b.len() - 1] == b']')
        };
        let mut values: Vec<String> = [
            "Xk9#mQ2v",
            "token_HERE",
            "key-Here",
            "hère",
            "ÉXAMPLE",
            "a",
            "--",
            "<x>",
            "[y]",
        ]
        .map(str::to_owned)
        .to_vec();
        for text in PLACEHOLDER_WORDS.iter().chain(PLACEHOLDER_PARTS) {
            assert_eq!(*text, text.to_ascii_lowercase(), "listed in lowercase");
            for variant in [
                text.to_string(),
                text.to_ascii_uppercase(),
                format!("x{}Y", text.to_ascii_uppercase()),
            ] {
                values.push(variant.clone());
                values.push(format!("prefix-{variant}-9f8e"));
            }
        }
        for value in &values {
            assert_eq!(is_placeholder(value), by_lowercasing(value), "{value}");
        }
        assert!(is_placeholder("My-CHANGEME-token"));
        assert!(!is_placeholder("Xk9#mQ2v7Lp"));
    }

    #[test]
    fn segments_split_on_separators_and_case() {
        assert_eq!(segments("DB_PASSWORD"), ["db", "password"]);
        assert_eq!(segments("dbPassword"), ["db", "password"]);
        assert_eq!(segments("APIKey"), ["api", "key"]);
        assert_eq!(
            segments("com.example.api-token"),
            ["com", "example", "api", "token"]
        );
        assert_eq!(segments("S3_BUCKET"), ["s3", "bucket"]);
    }

    #[test]
    fn secret_names() {
        for name in [
            "PASSWORD",
            "DB_PASSWORD",
            "PGPASSWORD",
            "MYSQL_ROOT_PASSWORD",
            "SMTP_PASS",
            "DB_PWD",
            "JWT_SECRET",
            "SECRET_KEY_BASE",
            "CLIENT_SECRET",
            "GITHUB_TOKEN",
            "NPM_AUTHTOKEN",
            "API_KEY",
            "x-api-key",
            "apiKey",
            "APIKEY",
            "PRIVATE_KEY",
            "ACCESS_KEY",
            "GOOGLE_APPLICATION_CREDENTIALS_JSON",
            "REDIS_AUTH",
            "GH_PAT",
            "ENCRYPTION_KEY",
            "com.example.api-token",
            "spring.datasource.password",
            "javax.net.ssl.trustStorePassword",
        ] {
            assert!(is_secret_name(name), "{name} should be a secret name");
        }
    }

    #[test]
    fn exempt_and_unrelated_names() {
        for name in [
            "PATH",
            "PWD",
            "OLDPWD",
            "GPG_KEY",
            "TOKENIZERS_PARALLELISM",
            "DB_PASSWORD_FILE",
            "PASSWORD_MIN_LENGTH",
            "TOKEN_URL",
            "API_KEY_ID",
            "SECRET_NAME",
            "AUTH_TYPE",
            "AUTH_ENABLED",
            "AUTH_TOKEN_HEADER",
            "SSH_AUTH_SOCK",
            "CREDENTIALS_PATH",
            "KEYCLOAK_URL",
            "COMPASS_VERSION",
            "SECRETARY_NAME",
            "org.opencontainers.image.authors",
            "XAUTHORITY",
            "PUBLIC_KEY",
            "MONKEY",
            "PATTERN",
            "TOKEN_TTL_SECONDS",
            "PASSWORD_MAX_ATTEMPTS",
            "API_KEY_ROTATION_DAYS",
        ] {
            assert!(!is_secret_name(name), "{name} should not be a secret name");
        }
    }

    #[test]
    fn literal_values() {
        for v in [
            "hunter2-Xq",
            "s3cr3t!pw",
            "'quoted-pw'",
            "postgres",
            "12345678",
            "test",
            // Whatever the shape (rules.md): digits-only, short, common passwords, durations,
            // versions and UUIDs under a secret name are secrets.
            "123456",
            "1234",
            "pass1234",
            "abc",
            "x",
            "30s",
            "1.4.2",
            "123e4567-e89b-12d3-a456-426614174000",
        ] {
            assert!(is_literal_secret(v), "{v} should be a literal secret");
        }
    }

    #[test]
    fn placeholders_references_and_public_values() {
        for v in [
            "",
            "   ",
            "-",
            "*",
            "${DB_PASSWORD}",
            "${DB_PASSWORD:-x}",
            "$DB_PASSWORD",
            "$(cat /run/secrets/db)",
            "`cat /run/secrets/db`",
            "%DB_PASSWORD%",
            "{{ .Values.password }}",
            "#{password}",
            "@DB_PASSWORD@",
            "__DB_PASSWORD__",
            "<your-token>",
            "[REDACTED]",
            "changeme",
            "CHANGE_ME",
            "changeit",
            "example-password",
            "REDACTED",
            "xxxxxxxx",
            "********",
            "dummy",
            "your_api_key_here",
            "token-goes-here",
            "true",
            "False",
            "yes",
            "/run/secrets/db_password",
            "/etc/app/secret.key",
            "~/.config/token",
            "vault:secret/data/app#password",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
            "https://vault.internal:8200/v1/kv",
            "sha256:0d5ad0b0e0f8f6a8e4b5a2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f607",
            "crn:v1:bluemix:public:secrets-manager:us-south:a/abc:def::",
            "ServiceId-0123abcd",
            "ApiKey-0123abcd",
            "AccessGroupId-0123abcd",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB user@host",
            "-----BEGIN CERTIFICATE-----\nMIIB",
            "-----BEGIN PUBLIC KEY-----\nMIIB",
            "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUI=",
        ] {
            assert!(!is_literal_secret(v), "{v:?} should not be reported");
        }
    }
}
