//! Key and credential files in image layers (ICR-SEC-004), judged by path alone.
//!
//! Reported: SSH private keys (`id_rsa`, `id_ed25519`, any `.ssh/id_*` but `.pub`, SSH host
//! keys), `*.pem` and `*.key` (unless the name says certificate or public key), keystores
//! (`*.p12`, `*.pfx`, `*.jks`, `*.keystore`, `*.ppk`), GnuPG secret keyrings, `.env` files
//! (`.env`, `.env.local`, `.env.production`, `*.env` — not `.env.example`, `.env.sample`,
//! `.env.template`, `.env.dist`, …), and the credential stores of common tools (`.npmrc`,
//! `.pypirc`, `.netrc`, `.git-credentials`, `.docker/config.json`, `.bluemix/config.json`,
//! `.ibmcloud/config.json`, `.kube/config`, `.aws/credentials`, `credentials.json`,
//! `terraform.tfstate`, `*.kdbx`, …).
//!
//! Not reported: public trust stores (`/etc/ssl/certs`, `/usr/share/ca-certificates`,
//! `/etc/pki/ca-trust`, …: CA certificates are public, not keys), repository signing keys
//! (`/etc/apt`, `/usr/share/keyrings`, `/etc/pki/rpm-gpg`), test fixtures inside third-party
//! package trees (`node_modules/*/test/…`, `site-packages/*/tests/…`), and overlay whiteouts
//! (`.wh.NAME`: the file itself is listed, and reported, in the lower layer).

use std::borrow::Cow;
use std::ops::Range;

use super::SecretKind;

/// Directories whose files are public by design.
const PUBLIC_DIRS: &[&str] = &[
    "/etc/ssl/certs/",
    "/usr/share/ca-certificates/",
    "/usr/local/share/ca-certificates/",
    "/etc/ca-certificates/",
    "/etc/pki/ca-trust/",
    "/etc/pki/tls/certs/",
    "/etc/pki/rpm-gpg/",
    "/etc/apt/",
    "/usr/share/keyrings/",
];

/// Third-party package trees, and the test directories inside them that ship throwaway keys.
const PACKAGE_TREES: &[&str] = &["node_modules", "site-packages", "dist-packages", "vendor", "gems"];
const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "testdata",
    "fixtures",
    "__tests__",
    "spec",
    "testing",
];

/// SSH private key file names, wherever they are.
const SSH_KEY_NAMES: &[&str] = &[
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "id_ecdsa_sk",
    "id_ed25519_sk",
    "id_xmss",
];

/// Extensions of private key and keystore files.
const KEY_EXTENSIONS: &[&str] = &["pem", "key", "p12", "pfx", "jks", "keystore", "bks", "ppk", "p8"];

/// Words in a `.pem`/`.key`/keystore file name that say it holds certificates or a public key…
const PUBLIC_WORDS: &[&str] = &[
    "ca",
    "cacert",
    "cacerts",
    "cert",
    "certs",
    "certificate",
    "certificates",
    "chain",
    "fullchain",
    "bundle",
    "public",
    "pub",
    "pubkey",
    "trust",
    "truststore",
    "root",
    "intermediate",
];
/// … unless it also says private key.
const PRIVATE_WORDS: &[&str] = &["key", "privkey", "private", "priv", "secret"];

/// Credential files by exact file name.
const CREDENTIAL_NAMES: &[&str] = &[
    ".envrc",
    ".npmrc",
    ".pypirc",
    ".netrc",
    "_netrc",
    ".git-credentials",
    ".pgpass",
    ".my.cnf",
    ".htpasswd",
    ".vault-token",
    ".dockercfg",
    ".boto",
    ".s3cfg",
    ".passwd-s3fs",
    "credentials.json",
    "client_secret.json",
    "client_secrets.json",
    "application_default_credentials.json",
    "terraform.tfstate",
    "terraform.tfstate.backup",
    ".terraformrc",
    "terraform.rc",
    "credentials.tfrc.json",
    "settings-security.xml",
    "secring.gpg",
];

/// Credential files by the end of their path (matched at a directory boundary).
const CREDENTIAL_PATHS: &[(&str, SecretKind)] = &[
    (".docker/config.json", SecretKind::CredentialFile),
    (".bluemix/config.json", SecretKind::CredentialFile),
    (".ibmcloud/config.json", SecretKind::CredentialFile),
    (".kube/config", SecretKind::CredentialFile),
    (".aws/credentials", SecretKind::CredentialFile),
    (".azure/accessTokens.json", SecretKind::CredentialFile),
    (".azure/msal_token_cache.json", SecretKind::CredentialFile),
    (".config/gcloud/credentials.db", SecretKind::CredentialFile),
    (".config/gcloud/access_tokens.db", SecretKind::CredentialFile),
    (".config/gh/hosts.yml", SecretKind::CredentialFile),
    (".config/containers/auth.json", SecretKind::CredentialFile),
    ("containers/auth.json", SecretKind::CredentialFile),
    (".config/rclone/rclone.conf", SecretKind::CredentialFile),
    (".composer/auth.json", SecretKind::CredentialFile),
    (".gem/credentials", SecretKind::CredentialFile),
    (".cargo/credentials", SecretKind::CredentialFile),
    (".cargo/credentials.toml", SecretKind::CredentialFile),
    (".ssh/identity", SecretKind::PrivateKeyFile),
];

/// `.env.SUFFIX` files that are templates, not secrets.
const ENV_TEMPLATE_WORDS: &[&str] = &[
    "example", "examples", "sample", "template", "tpl", "tmpl", "dist", "default", "defaults", "schema",
    "spec", "docs",
];

/// Classifies one layer path. The range is the part of the path that names the file.
pub(crate) fn classify(path: &str) -> Option<(SecretKind, Range<usize>)> {
    if path.is_empty() || path.ends_with('/') {
        // Empty, or a directory.
        return None;
    }
    let file_start = path.rfind('/').map_or(0, |i| i + 1);
    let file = &path[file_start..];
    let dir = &path[..file_start];
    let lower: Cow<'_, str> = if file.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(file.to_ascii_lowercase())
    } else {
        Cow::Borrowed(file)
    };
    let (kind, span) = by_name(path, dir, &lower, file_start..path.len())?;
    // Exemptions: public trust stores, test fixtures inside third-party packages.
    let relative = path.trim_start_matches('/');
    if PUBLIC_DIRS.iter().any(|d| relative.starts_with(&d[1..])) {
        return None;
    }
    let dirs = || dir.split('/').filter(|s| !s.is_empty());
    if dirs().any(|d| PACKAGE_TREES.contains(&d)) && dirs().any(|d| TEST_DIRS.contains(&d)) {
        return None;
    }
    Some((kind, span))
}

/// The rules that look at the file name (and, for a few, its directory).
fn by_name(
    path: &str,
    dir: &str,
    lower: &str,
    file_span: Range<usize>,
) -> Option<(SecretKind, Range<usize>)> {
    if lower.starts_with(".wh.") {
        // An overlay whiteout: the file itself is listed in the lower layer.
        return None;
    }
    let parent = dir.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let (stem, ext) = match lower.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, ext),
        _ => (lower, ""),
    };
    // SSH keys.
    if ext != "pub"
        && (SSH_KEY_NAMES.contains(&lower)
            || (parent == ".ssh" && lower.starts_with("id_"))
            || (parent == "ssh" && lower.starts_with("ssh_host_") && lower.ends_with("_key")))
    {
        return Some((SecretKind::PrivateKeyFile, file_span));
    }
    if parent == "private-keys-v1.d" {
        return Some((SecretKind::PrivateKeyFile, file_span));
    }
    // Path suffixes (`.docker/config.json`), matched at a directory boundary.
    for (suffix, kind) in CREDENTIAL_PATHS {
        if path.ends_with(suffix)
            && (path.len() == suffix.len() || path.as_bytes()[path.len() - suffix.len() - 1] == b'/')
        {
            return Some((*kind, path.len() - suffix.len()..path.len()));
        }
    }
    // Exact names.
    if CREDENTIAL_NAMES.contains(&lower) {
        let kind = if lower == "secring.gpg" {
            SecretKind::PrivateKeyFile
        } else {
            SecretKind::CredentialFile
        };
        return Some((kind, file_span));
    }
    // .env, .env.local, prod.env — not .env.example.
    if is_env_file(lower) || ext == "tfstate" || lower.ends_with(".tfstate.backup") || ext == "kdbx" {
        return Some((SecretKind::CredentialFile, file_span));
    }
    // Private keys and keystores by extension.
    if KEY_EXTENSIONS.contains(&ext) {
        // A `.key` file is a key whatever else its name says (`ssl-cert-snakeoil.key`); only
        // "public" clears it. Other extensions also hold certificates (`cert.pem`, `cacerts.jks`).
        let public_words: &[&str] = if ext == "key" {
            &["public", "pub", "pubkey"]
        } else {
            PUBLIC_WORDS
        };
        let words = || stem.split(['-', '_', '.']);
        let public = words().any(|w| public_words.contains(&w));
        let private = words().any(|w| PRIVATE_WORDS.contains(&w));
        if public && !private {
            return None;
        }
        return Some((SecretKind::PrivateKeyFile, file_span));
    }
    None
}

fn is_env_file(lower: &str) -> bool {
    if lower == ".env" {
        return true;
    }
    let is_template = || lower.split('.').any(|w| ENV_TEMPLATE_WORDS.contains(&w));
    if let Some(rest) = lower.strip_prefix(".env.") {
        // .env.local, .env.production.local — unless a template word appears.
        return !rest.is_empty() && !is_template();
    }
    // prod.env, app.env — but not example.env or foo.env.example.
    lower.ends_with(".env") && !lower.starts_with('.') && !is_template()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(path: &str) -> Option<SecretKind> {
        classify(path).map(|(k, _)| k)
    }

    #[test]
    fn private_key_files() {
        for p in [
            "/root/.ssh/id_rsa",
            "/home/app/.ssh/id_ed25519",
            "/home/app/.ssh/id_deploy",
            "/app/id_rsa",
            "/etc/ssh/ssh_host_ed25519_key",
            "/app/certs/server.key",
            "/app/tls/privkey.pem",
            "/app/server.pem",
            "/etc/ssl/private/ssl-cert-snakeoil.key",
            "/opt/app/keystore.p12",
            "/opt/app/client.pfx",
            "/opt/app/app.jks",
            "/root/.gnupg/private-keys-v1.d/ABCDEF.key",
            "/root/.gnupg/secring.gpg",
            "app/ca-key.pem",
        ] {
            assert_eq!(kind(p), Some(SecretKind::PrivateKeyFile), "{p}");
        }
    }

    #[test]
    fn credential_files() {
        for p in [
            "/app/.env",
            "/app/.env.local",
            "/app/.env.production",
            "/app/config/prod.env",
            "/root/.npmrc",
            "/root/.pypirc",
            "/root/.netrc",
            "/root/.git-credentials",
            "/root/.docker/config.json",
            "/root/.bluemix/config.json",
            "/root/.ibmcloud/config.json",
            "/root/.kube/config",
            "/root/.aws/credentials",
            "/app/credentials.json",
            "/infra/terraform.tfstate",
            "/infra/prod.tfstate",
            "/home/app/passwords.kdbx",
        ] {
            assert_eq!(kind(p), Some(SecretKind::CredentialFile), "{p}");
        }
    }

    #[test]
    fn not_credential_files() {
        for p in [
            "/app/.env.example",
            "/app/.env.sample",
            "/app/.env.template",
            "/app/.env.dist",
            "/app/example.env",
            "/root/.ssh/id_rsa.pub",
            "/root/.ssh/known_hosts",
            "/root/.ssh/authorized_keys",
            "/etc/ssh/ssh_host_rsa_key.pub",
            "/etc/ssl/certs/ca-certificates.pem",
            "/etc/ssl/certs/ISRG_Root_X1.pem",
            "/usr/share/ca-certificates/mozilla/DigiCert.crt",
            "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
            "/usr/lib/python3/site-packages/certifi/cacert.pem",
            "/app/certs/fullchain.pem",
            "/app/certs/cert.pem",
            "/etc/apt/keyrings/docker.key",
            "/usr/share/keyrings/nodesource.gpg",
            "/app/node_modules/agent-base/test/ssl-key.pem",
            "/app/.wh.id_rsa",
            "/root/.ssh/",
            "/app/server.crt",
            "/docker/config.json",
            "/app/keyboard.js",
            "/app/.docker/daemon.json",
            "",
        ] {
            assert_eq!(kind(p), None, "{p}");
        }
    }

    #[test]
    fn span_names_the_file() {
        let (_, span) = classify("/root/.docker/config.json").unwrap();
        assert_eq!(&"/root/.docker/config.json"[span], ".docker/config.json");
        let (_, span) = classify("/root/.ssh/id_rsa").unwrap();
        assert_eq!(&"/root/.ssh/id_rsa"[span], "id_rsa");
    }
}
