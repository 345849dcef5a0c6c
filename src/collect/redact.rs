//! Keeping credentials out of the capture folder and out of messages.
//!
//! - [`strip_secrets`] removes every secret-valued key (`apikey`, `token`, `access_token`,
//!   `refresh_token`, `password`, … at any depth) from a captured JSON document, and masks
//!   bearer tokens and JWTs in its other strings. Image content (an `image-inspect` capture) is
//!   the exception: its env entries and labels are the evidence the secret rules (ICR-SEC-*)
//!   judge, exactly as `account.toml` holds them, so it only loses credential keys of the CLI's
//!   own (never a label, whatever its name).
//! - [`redact_text`] masks anything that looks like a credential in text that `ibmcloud`
//!   printed, before any of it reaches an error message: the detector of [`crate::secrets`],
//!   bearer tokens, JWTs, `key=value` pairs whose key says secret, and strings shaped like an
//!   IBM Cloud API key (44 characters of `[A-Za-z0-9_-]` mixing cases and digits).

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

/// Keys whose value is a credential, compared lowercased without `_`, `-` and `.`.
const SECRET_KEYS: &[&str] = &[
    "apikey",
    "token",
    "accesstoken",
    "refreshtoken",
    "iamtoken",
    "uaatoken",
    "idtoken",
    "delegatedrefreshtoken",
    "sessiontoken",
    "authorization",
    "bearer",
    "password",
    "passwd",
    "secret",
    "clientsecret",
    "secretkey",
    "secretaccesskey",
    "privatekey",
    "hmackey",
];

/// Whether a JSON key names a credential.
pub fn is_secret_key(key: &str) -> bool {
    let normalized: String = key
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    SECRET_KEYS.contains(&normalized.as_str())
}

/// What a captured document is, for what may be masked in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// `image-inspect` output: env and labels are evidence and stay as they are.
    Image,
    /// Everything else.
    Other,
}

/// Removes credential keys everywhere (not inside a `Labels` object, whose keys are user data)
/// and, outside image content, masks bearer tokens and JWTs in strings. Returns how many
/// values it removed or masked.
pub fn strip_secrets(value: &mut Value, content: Content) -> usize {
    strip(value, content, false)
}

fn strip(value: &mut Value, content: Content, user_keys: bool) -> usize {
    match value {
        Value::Object(map) => {
            let mut removed = 0;
            if !user_keys {
                let before = map.len();
                map.retain(|key, _| !is_secret_key(key));
                removed = before - map.len();
            }
            for (key, child) in map.iter_mut() {
                let labels = !user_keys && key.eq_ignore_ascii_case("labels");
                removed += strip(child, content, labels);
            }
            removed
        }
        Value::Array(items) => items.iter_mut().map(|item| strip(item, content, false)).sum(),
        Value::String(text) if content == Content::Other => {
            let masked = mask_tokens(text);
            if masked != *text {
                *text = masked;
                1
            } else {
                0
            }
        }
        _ => 0,
    }
}

const MASK: &str = "[REDACTED]";

static BEARER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+").expect("a valid pattern"));
static JWT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*").expect("a valid pattern")
});
static SECRET_ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(["']?\b(?:[a-z0-9]+[_-])*(?:api[_-]?key|apikey|token|password|passwd|secret)["']?\s*[:=]\s*["']?)([^\s"',;}\[\]][^\s"',;}\]]*)"#,
    )
    .expect("a valid pattern")
});
static TOKEN_RUN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z0-9_-]+").expect("a valid pattern"));
static ENDS_IN_UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$").expect("a valid pattern")
});

/// Bearer tokens and JWTs replaced by `[REDACTED]`.
fn mask_tokens(text: &str) -> String {
    let text = BEARER.replace_all(text, |caps: &regex::Captures<'_>| format!("{} {MASK}", &caps[1]));
    JWT.replace_all(&text, MASK).into_owned()
}

/// `text` with everything that looks like a credential replaced by `[REDACTED]`.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (index, line) in text.split('\n').enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let found = crate::secrets::scan_history_line(line);
        let line = crate::secrets::redact(line, &found);
        let line = mask_tokens(&line);
        let line = SECRET_ASSIGNMENT.replace_all(&line, |caps: &regex::Captures<'_>| {
            if &caps[2] == MASK {
                caps[0].to_owned()
            } else {
                format!("{}{MASK}", &caps[1])
            }
        });
        let line = TOKEN_RUN.replace_all(&line, |caps: &regex::Captures<'_>| {
            let run = &caps[0];
            if looks_like_api_key(run) {
                MASK.to_owned()
            } else {
                run.to_owned()
            }
        });
        out.push_str(&line);
    }
    out
}

/// An IBM Cloud API key is 44 characters of `[A-Za-z0-9_-]`; ids such as `Profile-<uuid>` can
/// have that length too, so a run ending in a UUID is not one.
fn looks_like_api_key(run: &str) -> bool {
    run.len() == 44
        && run.bytes().any(|b| b.is_ascii_uppercase())
        && run.bytes().any(|b| b.is_ascii_lowercase())
        && run.bytes().any(|b| b.is_ascii_digit())
        && !ENDS_IN_UUID.is_match(run)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A synthetic look-alike of an IBM Cloud API key (44 characters), not a real one.
    const LOOKALIKE: &str = "Zq3xSYNTHETICfakeKEY0notREAL1lookALIKE2xYz9w";

    #[test]
    fn the_lookalike_is_shaped_like_a_key() {
        assert_eq!(LOOKALIKE.len(), 44);
        assert!(looks_like_api_key(LOOKALIKE));
    }

    #[test]
    fn credential_keys_go_at_any_depth() {
        let mut value = json!([
            {"id": "ApiKey-1", "apikey": LOOKALIKE, "name": "ci"},
            {"nested": {"access_token": "t", "Refresh-Token": "r", "kept": 1}},
            {"cos_endpoint": {"api_key": LOOKALIKE, "bucket": "b"}}
        ]);
        assert_eq!(strip_secrets(&mut value, Content::Other), 4);
        assert_eq!(
            value,
            json!([
                {"id": "ApiKey-1", "name": "ci"},
                {"nested": {"kept": 1}},
                {"cos_endpoint": {"bucket": "b"}}
            ])
        );
    }

    #[test]
    fn bearer_tokens_and_jwts_are_masked_in_other_strings() {
        let mut value = json!({"description": "use Bearer abc.def-ghi", "note": "eyJhbGciOi.eyJzdWIiOi.sig"});
        strip_secrets(&mut value, Content::Other);
        assert_eq!(
            value,
            json!({"description": "use Bearer [REDACTED]", "note": "[REDACTED]"})
        );
    }

    #[test]
    fn image_content_keeps_its_evidence() {
        let env = format!("IBMCLOUD_API_KEY={LOOKALIKE}");
        let mut value = json!([{
            "Config": {"Env": [env], "Labels": {"api_key": "x", "token": "eyJhbGciOi.eyJzdWIiOi.sig"}},
            "token": "cli's own"
        }]);
        assert_eq!(strip_secrets(&mut value, Content::Image), 1);
        assert_eq!(
            value,
            json!([{"Config": {"Env": [env], "Labels": {"api_key": "x", "token": "eyJhbGciOi.eyJzdWIiOi.sig"}}}])
        );
    }

    #[test]
    fn text_loses_keys_tokens_and_assignments() {
        let text = format!(
            "FAILED\nThe API key {LOOKALIKE} is not valid.\nAuthorization: Bearer eyJraWQiOi.eyJpYW1faWQiOi.c2ln\napikey=s3cr3t-value password: \"hunter2hunter2\""
        );
        let redacted = redact_text(&text);
        assert!(!redacted.contains(LOOKALIKE), "{redacted}");
        assert!(!redacted.contains("eyJ"), "{redacted}");
        assert!(!redacted.contains("s3cr3t"), "{redacted}");
        assert!(!redacted.contains("hunter2"), "{redacted}");
        assert!(
            redacted.starts_with("FAILED\nThe API key [REDACTED] is not valid."),
            "{redacted}"
        );
    }

    #[test]
    fn ids_digests_and_crns_stay_readable() {
        let text = "image us.icr.io/shop/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef \
                    Profile-cb258cb9-8de3-4ac0-9aec-b2b2d27ac976 ServiceId-cb258cb9-8de3-4ac0-9aec-b2b2d27ac976 \
                    crn:v1:bluemix:public:iam::::serviceRole:Writer not found";
        assert_eq!(redact_text(text), text);
    }
}
