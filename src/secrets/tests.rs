//! Detector tests, positive and negative for each format. Every secret-shaped value here is made
//! at run time by [`fake`] from a fixed seed: no token, key or password is written in the source.

use super::*;

#[path = "../../tests/support/fake.rs"]
mod fake;
use fake::{b64url, fake};

const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const KEYCHARS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX: &str = "0123456789abcdef";
const DIGITS: &str = "0123456789";

fn b64std(bytes: &[u8]) -> String {
    let mut s = b64url(bytes).replace('-', "+").replace('_', "/");
    while !s.len().is_multiple_of(4) {
        s.push('=');
    }
    s
}

fn jwt(issuer: &str, seed: u64) -> String {
    let header = b64url(br#"{"alg":"RS256","typ":"JWT","kid":"20260101"}"#);
    let payload = format!(
        r#"{{"sub":"ServiceId-{}","iss":"{issuer}","exp":1900000000}}"#,
        fake(HEX, 8, seed)
    );
    format!(
        "{header}.{}.{}",
        b64url(payload.as_bytes()),
        fake(KEYCHARS, 86, seed + 1)
    )
}

fn ibm_key(seed: u64) -> String {
    fake(KEYCHARS, 44, seed)
}

fn password(seed: u64) -> String {
    fake(ALNUM, 10, seed) + "#" + &fake(ALNUM, 5, seed + 7)
}

fn kinds(found: &[Detection]) -> Vec<&'static str> {
    found.iter().map(|d| d.kind.id()).collect()
}

fn env(entry: &str) -> Vec<&'static str> {
    kinds(&scan_env_entry(entry))
}

fn hist(line: &str) -> Vec<&'static str> {
    kinds(&scan_history_line(line))
}

/// The text a detection points at.
fn at<'a>(text: &'a str, d: &Detection) -> &'a str {
    &text[d.span.clone()]
}

// --- IBM Cloud -------------------------------------------------------------------------------

#[test]
fn ibm_api_key_in_key_context() {
    let key = ibm_key(1);
    for name in [
        "IBMCLOUD_API_KEY",
        "IC_API_KEY",
        "BLUEMIX_API_KEY",
        "apikey",
        "COS_APIKEY",
    ] {
        let entry = format!("{name}={key}");
        let found = scan_env_entry(&entry);
        assert_eq!(kinds(&found), ["ibm-cloud-api-key"], "{name}");
        assert_eq!(found[0].name.as_deref(), Some(name));
        assert_eq!(at(&entry, &found[0]), key);
    }
    assert_eq!(
        kinds(&scan_label("com.example.ibmcloud-apikey", &key)),
        ["ibm-cloud-api-key"]
    );
    assert_eq!(
        hist(&format!(
            "/bin/sh -c ibmcloud login -r us-south --apikey {key} && ibmcloud cr login"
        )),
        ["ibm-cloud-api-key"]
    );
    let json = format!(
        r#"{{"apikey":"{key}","iam_serviceid_crn":"crn:v1:bluemix:public:iam-identity::a/1::serviceid:ServiceId-1"}}"#
    );
    assert_eq!(
        kinds(&scan_label("cos.credentials", &json)),
        ["ibm-cloud-api-key"]
    );
}

#[test]
fn ibm_api_key_as_iamapikey_password() {
    let key = ibm_key(2);
    let line = format!("/bin/sh -c docker login -u iamapikey -p {key} us.icr.io");
    let found = scan_history_line(&line);
    assert_eq!(kinds(&found), ["ibm-cloud-api-key"]);
    assert_eq!(at(&line, &found[0]), key);
    assert_eq!(
        hist(&format!(
            "/bin/sh -c podman login --password={key} --username iamapikey de.icr.io"
        )),
        ["ibm-cloud-api-key"]
    );
    assert_eq!(
        env(&format!("REGISTRY=https://iamapikey:{key}@us.icr.io/v2")),
        ["ibm-cloud-api-key"]
    );
    // Not 44 characters, but still the password of iamapikey.
    assert_eq!(
        env(&format!(
            "REGISTRY=https://iamapikey:{}@us.icr.io",
            fake(ALNUM, 20, 3)
        )),
        ["ibm-cloud-api-key"]
    );
    let basic = b64std(format!("iamapikey:{key}").as_bytes());
    assert_eq!(
        hist(&format!(
            "/bin/sh -c curl -H 'Authorization: Basic {basic}' https://us.icr.io/v2/"
        )),
        ["ibm-cloud-api-key"]
    );
    let config = format!(r#"{{"auths":{{"us.icr.io":{{"auth":"{basic}"}}}}}}"#);
    assert_eq!(
        env(&format!("DOCKER_AUTH_CONFIG={config}")),
        ["ibm-cloud-api-key"]
    );
}

#[test]
fn ibm_api_key_needs_context_and_randomness() {
    let key = ibm_key(4);
    assert!(env(&format!("BUILD_REF={key}")).is_empty());
    assert!(env(&format!("CHECKSUM={key}")).is_empty());
    assert!(env(&format!("IBMCLOUD_API_KEY={}", "x".repeat(44))).is_empty());
    assert!(env("IBMCLOUD_API_KEY=${IBMCLOUD_API_KEY}").is_empty());
    assert!(env("API_KEY_ID=ApiKey-123e4567-e89b-12d3-a456-426614174000").is_empty());
    assert!(hist("/bin/sh -c ibmcloud login --apikey @/run/secrets/apikey.json").is_empty());
}

#[test]
fn cos_hmac_keys() {
    let (id, secret) = (fake(HEX, 32, 5), fake(HEX, 48, 6));
    assert_eq!(env(&format!("COS_HMAC_ACCESS_KEY_ID={id}")), ["ibm-cos-hmac-key"]);
    assert_eq!(
        env(&format!("COS_HMAC_SECRET_ACCESS_KEY={secret}")),
        ["ibm-cos-hmac-key"]
    );
    // COS keys in the AWS SDK's variables are still COS keys: AWS ids are never hex.
    assert_eq!(env(&format!("AWS_ACCESS_KEY_ID={id}")), ["ibm-cos-hmac-key"]);
    assert_eq!(
        env(&format!("AWS_SECRET_ACCESS_KEY={secret}")),
        ["ibm-cos-hmac-key"]
    );
    let json = format!(r#"{{"cos_hmac_keys":{{"access_key_id":"{id}","secret_access_key":"{secret}"}}}}"#);
    assert_eq!(
        kinds(&scan_label("cos", &json)),
        ["ibm-cos-hmac-key", "ibm-cos-hmac-key"]
    );
    // Hex without a key context: an account id, a hash.
    assert!(env(&format!("ACCOUNT_ID={id}")).is_empty());
    assert!(env(&format!("BUILD_MD5={id}")).is_empty());
    assert!(env(&format!("CONTENT_HASH={secret}")).is_empty());
}

#[test]
fn iam_tokens_and_jwts() {
    let iam = jwt("https://iam.cloud.ibm.com/identity", 7);
    assert_eq!(env(&format!("IAM_TOKEN=Bearer {iam}")), ["ibm-iam-token"]);
    let line = format!("/bin/sh -c curl -H \"Authorization: Bearer {iam}\" https://us.icr.io/api/v1/images");
    let found = scan_history_line(&line);
    assert_eq!(
        kinds(&found),
        ["ibm-iam-token"],
        "one finding, not also a JWT or a header"
    );
    assert_eq!(at(&line, &found[0]), iam);
    let other = jwt("https://auth.example.internal", 8);
    assert_eq!(env(&format!("SESSION={other}")), ["jwt"]);
    assert_eq!(kinds(&scan_label("token", &other)), ["jwt"]);
    // base64 JSON that is not a JWT, and dotted base64 whose header is not a JWT header.
    assert!(
        env(&format!(
            "CONFIG_B64={}",
            b64url(br#"{"logLevel":"info","replicas":3}"#)
        ))
        .is_empty()
    );
    let not_jwt = format!(
        "{}.{}.{}",
        b64url(br#"{"name":"x"}"#),
        b64url(br#"{"other":"y"}"#),
        fake(ALNUM, 10, 9)
    );
    assert!(env(&format!("DATA={not_jwt}")).is_empty());
}

// --- Other token formats ---------------------------------------------------------------------

#[test]
fn aws_keys() {
    let id = format!("AKIA{}", fake("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 10));
    assert_eq!(env(&format!("AWS_ACCESS_KEY_ID={id}")), ["aws-access-key-id"]);
    assert_eq!(
        hist(&format!("/bin/sh -c aws configure set aws_access_key_id {id}")),
        ["aws-access-key-id"]
    );
    let sts = format!("ASIA{}", fake(UPPER, 16, 11));
    assert_eq!(env(&format!("CREDS_ID={sts}")), ["aws-access-key-id"]);
    let secret = fake(B64, 40, 12);
    assert_eq!(
        env(&format!("AWS_SECRET_ACCESS_KEY={secret}")),
        ["aws-secret-access-key"]
    );
    assert_eq!(
        hist(&format!(
            "/bin/sh -c aws configure set aws_secret_access_key {secret}"
        )),
        ["aws-secret-access-key"]
    );
    // Documentation-style examples, glued prefixes, 40 characters without an AWS context.
    assert!(env(&format!("AWS_ACCESS_KEY_ID=AKIA{}EXAMPLE", fake(UPPER, 9, 13))).is_empty());
    assert!(env(&format!("X=XAKIA{}", fake(UPPER, 16, 14))).is_empty());
    assert!(env(&format!("RANDOM_SEED={secret}")).is_empty());
    assert!(env(&format!("GIT_COMMIT={}", fake(HEX, 40, 15))).is_empty());
}

#[test]
fn github_gitlab_and_registry_tokens() {
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        assert_eq!(
            env(&format!("GH={prefix}{}", fake(ALNUM, 36, 16))),
            ["github-token"],
            "{prefix}"
        );
    }
    let fine = format!("github_pat_{}_{}", fake(ALNUM, 22, 17), fake(ALNUM, 59, 18));
    assert_eq!(env(&format!("GH={fine}")), ["github-token"]);
    assert_eq!(
        env(&format!("GL=glpat-{}", fake(KEYCHARS, 20, 19))),
        ["gitlab-token"]
    );
    assert_eq!(
        env(&format!("HUB=dckr_pat_{}", fake(KEYCHARS, 27, 20))),
        ["docker-hub-token"]
    );
    assert!(env(&format!("GH=ghp_{}", fake(ALNUM, 20, 21))).is_empty());
    assert!(env(&format!("GH=ghp_{}", "x".repeat(36))).is_empty());
    assert!(env("GL=glpat-your-token-goes-here").is_empty());
}

#[test]
fn slack_npm_pypi_artifactory_google_stripe() {
    let slack = format!(
        "xoxb-{}-{}-{}",
        fake(DIGITS, 12, 22),
        fake(DIGITS, 13, 23),
        fake(ALNUM, 24, 24)
    );
    assert_eq!(env(&format!("SLACK={slack}")), ["slack-token"]);
    assert!(env("SLACK=xoxb-your-bot-token").is_empty());
    let hook_path = format!(
        "T{}/B{}/{}",
        fake("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", 8, 25),
        fake(UPPER, 10, 26),
        fake(ALNUM, 24, 27)
    );
    let entry = format!("NOTIFY=https://hooks.slack.com/services/{hook_path}");
    let found = scan_env_entry(&entry);
    assert_eq!(kinds(&found), ["slack-webhook"]);
    assert_eq!(at(&entry, &found[0]), hook_path);
    assert!(env("NOTIFY=https://hooks.slack.com/services/T000/B000/XXXX").is_empty());
    assert_eq!(
        hist(&format!(
            "/bin/sh -c echo //registry.npmjs.org/:_authToken=npm_{} > .npmrc",
            fake(ALNUM, 36, 28)
        )),
        ["npm-token"]
    );
    assert_eq!(
        env(&format!("TWINE=pypi-AgEIcHlwaS5vcmc{}", fake(KEYCHARS, 70, 29))),
        ["pypi-token"]
    );
    assert_eq!(
        env(&format!("ART=AKCp{}", fake(ALNUM, 69, 30))),
        ["artifactory-token"]
    );
    assert_eq!(
        env(&format!("ART=cmVmdGtuOjAxOj{}", fake(ALNUM, 50, 31))),
        ["artifactory-token"]
    );
    assert_eq!(
        env(&format!("MAPS=AIza{}", fake(KEYCHARS, 35, 32))),
        ["google-api-key"]
    );
    assert_eq!(
        env(&format!("PAY=sk_live_{}", fake(ALNUM, 24, 33))),
        ["stripe-key"]
    );
    assert!(env(&format!("PAY=sk_test_{}", fake(ALNUM, 24, 34))).is_empty());
}

#[test]
fn private_key_blocks() {
    let body = fake(B64, 64, 35);
    for header in [
        "RSA PRIVATE KEY",
        "PRIVATE KEY",
        "EC PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
    ] {
        let value = format!("-----BEGIN {header}-----\n{body}\n-----END {header}-----\n");
        let found = scan_label("key", &value);
        assert_eq!(kinds(&found), ["private-key"], "{header}");
        assert_eq!(at(&value, &found[0]), body);
    }
    let pgp = format!("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{body}");
    assert_eq!(kinds(&scan_label("k", &pgp)), ["private-key"]);
    // A header alone counts, as does an escaped-newline value and a base64-encoded PEM.
    assert_eq!(
        env("SSH_KEY=-----BEGIN OPENSSH PRIVATE KEY-----"),
        ["private-key"]
    );
    assert_eq!(
        env(&format!(
            "K=-----BEGIN RSA PRIVATE KEY-----\\n{body}\\n-----END RSA PRIVATE KEY-----"
        )),
        ["private-key"]
    );
    let encoded = b64std(format!("-----BEGIN RSA PRIVATE KEY-----\n{body}").as_bytes());
    assert_eq!(env(&format!("TLS_KEY_B64={encoded}")), ["private-key"]);
    assert_eq!(
        env(&format!(
            "PPK=PuTTY-User-Key-File-3: ssh-ed25519\\nPrivate-Lines: 1\\n{body}"
        )),
        ["private-key"]
    );
    // Public material.
    for public in [
        "PUBLIC KEY",
        "CERTIFICATE",
        "RSA PUBLIC KEY",
        "PGP PUBLIC KEY BLOCK",
    ] {
        let value = format!("-----BEGIN {public}-----\n{body}\n-----END {public}-----");
        assert!(scan_label("tls.key", &value).is_empty(), "{public}");
    }
    let cert = b64std(format!("-----BEGIN CERTIFICATE-----\n{body}").as_bytes());
    assert!(env(&format!("TLS_SECRET_B64={cert}")).is_empty());
    assert!(
        env(&format!(
            "SSH_KEY=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5{} deploy@ci",
            fake(B64, 40, 36)
        ))
        .is_empty()
    );
}

// --- Passwords in URLs and on command lines --------------------------------------------------

#[test]
fn url_passwords() {
    let pw = password(37);
    let entry = format!("DATABASE_URL=postgres://app:{pw}@db.internal:5432/app");
    let found = scan_env_entry(&entry);
    assert_eq!(kinds(&found), ["url-password"]);
    assert_eq!(at(&entry, &found[0]), pw);
    assert_eq!(
        env(&format!("REDIS=redis://:{pw}@cache:6379/0")),
        ["url-password"]
    );
    assert_eq!(
        hist(&format!(
            "/bin/sh -c git clone https://ci:{pw}@git.internal/team/app.git"
        )),
        ["url-password"]
    );
    // A token as the password is reported as the token.
    let gh = format!("ghp_{}", fake(ALNUM, 36, 38));
    assert_eq!(
        hist(&format!(
            "/bin/sh -c git clone https://x-access-token:{gh}@github.com/o/r.git"
        )),
        ["github-token"]
    );
    for url in [
        "postgres://app:${DB_PASSWORD}@db:5432/app",
        "postgres://app:$DB_PASSWORD@db/app",
        "postgres://app:<password>@db/app",
        "postgres://app:****@db/app",
        "postgres://app@db/app",
        "https://host.internal:8443/path",
        "http://user:pass@localhost",
        "ssh://git@github.com:22/o/r.git",
    ] {
        assert!(env(&format!("DATABASE_URL={url}")).is_empty(), "{url}");
    }
}

#[test]
fn command_line_passwords() {
    let pw = password(39);
    let cases = [
        format!("/bin/sh -c curl -fsSL -u deploy:{pw} https://nexus.internal/x.tgz | tar xz"),
        format!("/bin/sh -c curl --user=deploy:{pw} https://nexus.internal/x.tgz"),
        format!("/bin/sh -c curl -H 'Authorization: Bearer {pw}' https://api.internal"),
        format!("/bin/sh -c docker login -u ci -p {pw} registry.internal"),
        format!("/bin/sh -c docker login --username ci --password {pw} registry.internal"),
        format!("/bin/sh -c mysql -uroot -p{pw} -e 'CREATE DATABASE app'"),
        format!("/bin/sh -c mysqladmin -u root --password={pw} create app"),
        format!("/bin/sh -c echo \"app:{pw}\" | chpasswd"),
        format!("/bin/sh -c echo {pw} | passwd --stdin app"),
        format!("/bin/sh -c sshpass -p {pw} scp a host:/b"),
        format!("/bin/sh -c redis-cli -h cache -a {pw} ping"),
        format!("/bin/sh -c keytool -importkeystore -srcstorepass {pw} -destkeystore a.jks"),
        format!("/bin/sh -c openssl pkcs12 -export -passout pass:{pw} -out a.p12"),
        format!("/bin/sh -c ./deploy --api-token {pw}"),
        format!("/bin/sh -c curl -H \"X-API-Key: {pw}\" https://api.internal"),
    ];
    for line in &cases {
        let found = scan_history_line(line);
        assert_eq!(kinds(&found), ["command-line-password"], "{line}");
        assert!(at(line, &found[0]).contains(&pw[..10]), "{line}");
    }
    assert_eq!(
        env(&format!("JAVA_OPTS=-Xmx1g -Dspring.datasource.password={pw}")),
        ["command-line-password"]
    );
    let basic = b64std(format!("deploy:{pw}").as_bytes());
    assert_eq!(
        hist(&format!(
            "/bin/sh -c wget --header='Authorization: Basic {basic}' https://x"
        )),
        ["command-line-password"]
    );
}

#[test]
fn command_lines_without_passwords() {
    for line in [
        "/bin/sh -c cat /run/secrets/pw | docker login -u ci --password-stdin registry.internal",
        "/bin/sh -c docker login -u ci -p \"$REGISTRY_PASSWORD\" registry.internal",
        "/bin/sh -c docker run -u 1000:1000 app",
        "/bin/sh -c useradd -u 1001 -g app app && chown -R app:app /app",
        "/bin/sh -c mysql -u root -p -h db",
        "/bin/sh -c curl -u \"$USER:$PASS\" https://x",
        "/bin/sh -c curl -H \"Authorization: Bearer ${TOKEN}\" https://x",
        "/bin/sh -c keytool -importcert -storepass changeit -file ca.crt",
        "/bin/sh -c ./deploy --token-file /run/secrets/token",
        "/bin/sh -c mkdir -p /app && npm ci --no-audit",
        "/bin/sh -c java -Djavax.net.ssl.trustStore=/etc/ts.jks -jar app.jar",
        "RUN /bin/sh -c --mount=type=secret,id=npm npm ci # buildkit",
        "/bin/sh -c docker build --secret id=npm,src=/root/.npmrc .",
        "/bin/sh -c openssl pkcs12 -export -passout env:P12_PASSWORD -out a.p12",
    ] {
        assert!(hist(line).is_empty(), "{line}: {:?}", hist(line));
    }
}

// --- The name rule ----------------------------------------------------------------------------

#[test]
fn secret_named_variables() {
    let pw = password(40);
    let entry = format!("DB_PASSWORD={pw}");
    let found = scan_env_entry(&entry);
    assert_eq!(kinds(&found), ["secret-named-variable"]);
    assert_eq!(found[0].name.as_deref(), Some("DB_PASSWORD"));
    assert_eq!(at(&entry, &found[0]), pw);
    let quoted = format!("JWT_SECRET=\"{pw}\"");
    assert_eq!(at(&quoted, &scan_env_entry(&quoted)[0]), pw);
    assert_eq!(
        kinds(&scan_label("com.example.api-token", &pw)),
        ["secret-named-variable"]
    );
    for entry in [
        "DB_PASSWORD_FILE=/run/secrets/db",
        "PASSWORD_MIN_LENGTH=12",
        "ALLOW_EMPTY_PASSWORD=yes",
        "TOKENIZERS_PARALLELISM=false",
        "DB_PASSWORD=",
        "DB_PASSWORD=changeme",
        "DB_PASSWORD=${DB_PASSWORD}",
        "SECRET_NAME=app-db-credentials",
        "AUTH_TYPE=basic",
        "PWD=/app",
        "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
    ] {
        assert!(env(entry).is_empty(), "{entry}");
    }
}

#[test]
fn history_assignments_each_count() {
    let (a, b) = (password(41), password(42));
    let line = format!("|2 DB_PASSWORD={a} SMTP_PASS={b} /bin/sh -c make install");
    let found = scan_history_line(&line);
    assert_eq!(kinds(&found), ["secret-named-variable", "secret-named-variable"]);
    assert_eq!(found[0].name.as_deref(), Some("DB_PASSWORD"));
    assert_eq!(found[1].name.as_deref(), Some("SMTP_PASS"));
    assert_eq!(
        (at(&line, &found[0]), at(&line, &found[1])),
        (a.as_str(), b.as_str())
    );
    assert_eq!(
        hist(&format!("/bin/sh -c #(nop)  ENV ADMIN_PASSWORD={a}")),
        ["secret-named-variable"]
    );
    assert_eq!(
        hist(&format!("/bin/sh -c #(nop)  ENV ADMIN_PASSWORD {a}")),
        ["secret-named-variable"]
    );
    assert_eq!(hist(&format!("ARG DEPLOY_TOKEN={a}")), ["secret-named-variable"]);
    assert_eq!(
        hist(&format!("LABEL vault.token=\"{a}\"")),
        ["secret-named-variable"]
    );
    assert_eq!(
        hist(&format!("/bin/sh -c PGPASSWORD={a} psql -h db -c 'select 1'")),
        ["secret-named-variable"]
    );
    assert_eq!(
        hist(&format!("/bin/sh -c export API_SECRET={a} && ./run")),
        ["secret-named-variable"]
    );
    assert!(hist("/bin/sh -c #(nop)  ARG NPM_TOKEN").is_empty());
    assert!(hist("|1 NPM_TOKEN= /bin/sh -c npm ci").is_empty());
    assert!(hist("/bin/sh -c #(nop)  ENV DB_PASSWORD_FILE=/run/secrets/db").is_empty());
}

// --- One finding per secret -------------------------------------------------------------------

#[test]
fn a_format_suppresses_the_name_rule() {
    let gh = format!("ghp_{}", fake(ALNUM, 36, 43));
    let found = scan_env_entry(&format!("GITHUB_TOKEN={gh}"));
    assert_eq!(kinds(&found), ["github-token"]);
    assert_eq!(found[0].name.as_deref(), Some("GITHUB_TOKEN"));
    let pw = password(44);
    let line = format!("|2 GITHUB_TOKEN={gh} DB_PASSWORD={pw} /bin/sh -c make");
    let found = scan_history_line(&line);
    assert_eq!(kinds(&found), ["github-token", "secret-named-variable"]);
    assert_eq!(found[0].name.as_deref(), Some("GITHUB_TOKEN"));
    assert_eq!(found[1].name.as_deref(), Some("DB_PASSWORD"));
    // An IBM key in a URL is the IBM key, not also a URL password or a secret-named variable.
    let key = ibm_key(45);
    assert_eq!(
        env(&format!(
            "REGISTRY_PASSWORD_URL=https://iamapikey:{key}@us.icr.io"
        )),
        ["ibm-cloud-api-key"]
    );
    assert_eq!(env(&format!("IBMCLOUD_API_KEY={key}")), ["ibm-cloud-api-key"]);
}

// --- Layer paths -------------------------------------------------------------------------------

#[test]
fn layer_paths() {
    let d = scan_layer_path("/root/.ssh/id_rsa").unwrap();
    assert_eq!(
        (d.kind, d.kind.class()),
        (SecretKind::PrivateKeyFile, SecretClass::File)
    );
    assert_eq!(
        scan_layer_path("/app/.env").unwrap().kind,
        SecretKind::CredentialFile
    );
    assert!(scan_layer_path("/app/.env.example").is_none());
    assert!(scan_layer_path("/etc/ssl/certs/ca-certificates.crt").is_none());
}

// --- Never echo the secret ----------------------------------------------------------------------

/// Whether `output` contains any 4-character substring of `secret`.
fn echoes(output: &str, secret: &str) -> bool {
    let s: Vec<char> = secret.chars().collect();
    s.windows(4)
        .any(|w| output.contains(&w.iter().collect::<String>()))
}

#[test]
fn detections_never_echo_the_value() {
    let key = ibm_key(46);
    let pw = password(47);
    let body = fake(B64, 64, 48);
    let samples = [
        format!("IBMCLOUD_API_KEY={key}"),
        format!("DB_PASSWORD={pw}"),
        format!("DATABASE_URL=postgres://app:{pw}@db/app"),
        format!("GH=ghp_{}", fake(ALNUM, 36, 49)),
        format!("TOKEN={}", jwt("https://iam.cloud.ibm.com/identity", 50)),
        format!("K=-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"),
        format!(
            "HOOK=https://hooks.slack.com/services/T{}/B{}/{}",
            fake(UPPER, 9, 51),
            fake(UPPER, 9, 52),
            fake(ALNUM, 24, 53)
        ),
    ];
    for entry in &samples {
        let found = scan_env_entry(entry);
        assert_eq!(found.len(), 1, "{entry}");
        let d = &found[0];
        let secret = at(entry, d);
        for output in [
            format!("{d:?}"),
            d.to_string(),
            d.kind.description().to_owned(),
            d.kind.to_string(),
        ] {
            assert!(!echoes(&output, secret), "{output:?} echoes the secret");
        }
        let redacted = redact(entry, &found);
        assert!(!echoes(&redacted, secret), "{redacted}");
        assert!(redacted.contains("[REDACTED]"));
    }
}

#[test]
fn redact_keeps_the_rest() {
    let entry = "A=b";
    let d = Detection {
        kind: SecretKind::Jwt,
        name: None,
        span: 2..3,
    };
    assert_eq!(redact(entry, std::slice::from_ref(&d)), "A=[REDACTED]");
    assert_eq!(redact(entry, &[]), "A=b");
    let past_end = Detection { span: 2..99, ..d };
    assert_eq!(redact(entry, &[past_end]), "A=[REDACTED]");
}

#[test]
fn kinds_have_unique_ids_and_classes() {
    let mut ids: Vec<&str> = SecretKind::ALL.iter().map(|k| k.id()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), SecretKind::ALL.len());
    for k in SecretKind::ALL {
        assert_eq!(SecretKind::from_id(k.id()), Some(*k));
        assert!(k.class().rule_id().starts_with("ICR-SEC-00"));
    }
    assert_eq!(SecretKind::IbmCloudApiKey.class(), SecretClass::Ibm);
    assert_eq!(SecretKind::UrlPassword.class(), SecretClass::Other);
    assert_eq!(SecretKind::SecretNamedVariable.class().rule_id(), "ICR-SEC-003");
}

#[test]
fn jwts_anywhere() {
    let token = jwt("https://auth.example.internal", 21);
    // Glued to a word, at the end of a sentence, in a cookie, a query string or a JSON value.
    for text in [
        format!("Bearer{token}"),
        format!("see {token}."),
        format!("Cookie: session={token}; Path=/"),
        format!("curl https://api.internal/?access_token={token}&x=1"),
        format!(r#"{{"id_token":"{token}"}}"#),
    ] {
        assert_eq!(kinds(&scan_label("note", &text)), ["jwt"], "{text}");
        assert_eq!(hist(&format!("/bin/sh -c echo {text}")), ["jwt"], "{text}");
    }
    // A header written with blanks (`{ "alg": …}`) and a five-part JWE are JWTs too.
    let spaced = format!(
        "{}.{}.{}",
        b64url(br#"{ "alg": "HS256", "typ": "JWT" }"#),
        b64url(br#"{ "sub": "svc" }"#),
        fake(KEYCHARS, 43, 22)
    );
    assert_eq!(env(&format!("S={spaced}")), ["jwt"]);
    let jwe = format!(
        "{}.{}.{}.{}.{}",
        b64url(br#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#),
        fake(KEYCHARS, 342, 23),
        fake(KEYCHARS, 16, 24),
        fake(KEYCHARS, 200, 25),
        fake(KEYCHARS, 22, 26)
    );
    let found = scan_env_entry(&format!("S={jwe}"));
    assert_eq!(kinds(&found), ["jwt"]);
    assert_eq!(found[0].span, 2..2 + jwe.len(), "all five parts");
}

#[test]
fn an_api_key_on_an_ibmcloud_login_line_is_an_ibm_key_whatever_its_shape() {
    let short = fake(KEYCHARS, 30, 31);
    for line in [
        format!("/bin/sh -c ibmcloud login --apikey {short} -r us-south"),
        format!("/bin/sh -c ibmcloud login --apikey={short}"),
        format!("/bin/sh -c ic login -a https://cloud.ibm.com --apikey '{short}'"),
        format!("/bin/sh -c bx login -apikey \"{short}\""),
        format!("/bin/sh -c ibmcloud --apikey {short} login"),
    ] {
        assert_eq!(hist(&line), ["ibm-cloud-api-key"], "{line}");
    }
    for line in [
        "/bin/sh -c ibmcloud login --apikey @/run/secrets/apikey.json",
        "/bin/sh -c ibmcloud login --apikey @apikey.json",
        "/bin/sh -c ibmcloud login --apikey \"$IBMCLOUD_API_KEY\"",
        "/bin/sh -c ibmcloud login --apikey ${IBMCLOUD_API_KEY}",
    ] {
        assert!(hist(line).is_empty(), "{line}: {:?}", hist(line));
    }
}
