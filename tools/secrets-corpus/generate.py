#!/usr/bin/env python3
"""Writes tests/fixtures/secrets/corpus.jsonl, the labelled corpus for regcheck's secret detector.

    python3 tools/secrets-corpus/generate.py          # rewrite the corpus
    python3 tools/secrets-corpus/generate.py --check  # exit 1 if the committed corpus is stale

Every secret-shaped value is fabricated here from a fixed seed: random characters of the right
alphabet and length behind the format's public prefix. None is a real credential, and none is a
vendor's documentation example. Values are deterministic (Python's `random.Random` with a fixed
seed produces the same sequence on every Python 3 version), so the file only changes when this
script does.

One JSON object per line:
    {"id": "...", "where": "env", "entry": "NAME=value", "expect": ["kind-id", ...], "note": "..."}
    {"id": "...", "where": "label", "name": "...", "value": "...", "expect": [...]}
    {"id": "...", "where": "history", "line": "...", "expect": [...]}
    {"id": "...", "where": "path", "path": "...", "expect": [...]}
`expect` is the set of secret kinds (ids from src/secrets/kind.rs) the case holds; empty for a
non-secret. Cases are about half secrets and half tricky non-secrets.
"""

import base64
import json
import pathlib
import random
import sys

SEED = 20261126
OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "secrets" / "corpus.jsonl"

rng = random.Random(SEED)

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
ALNUM = UPPER + LOWER + DIGITS
KEYCHARS = ALNUM + "_-"
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"
BASE32 = UPPER + "234567"
PUNCT = "!#%+,.:;?@^_~"


def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64(data):
    return base64.b64encode(data).decode()


def uuid():
    h = rs(HEX, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


# --- fabricated values -----------------------------------------------------------------------


def ibm_key():
    return rs(KEYCHARS, 44)


def password():
    # Letters, digits and shell-safe punctuation, 12-20 characters, at least one of each.
    n = rng.randint(12, 20)
    chars = [rng.choice(UPPER), rng.choice(LOWER), rng.choice(DIGITS), rng.choice(PUNCT)]
    chars += [rng.choice(ALNUM + PUNCT) for _ in range(n - 4)]
    rng.shuffle(chars)
    return "".join(chars)


def jwt(issuer, claims=None):
    header = {"alg": "RS256", "typ": "JWT", "kid": "2026" + rs(DIGITS, 4)}
    payload = {"sub": "ServiceId-" + uuid(), "iss": issuer, "iat": 1790000000, "exp": 1790003600}
    payload.update(claims or {})
    sig = rs(KEYCHARS, 342)
    return f"{b64url(json.dumps(header, separators=(',', ':')).encode())}.{b64url(json.dumps(payload, separators=(',', ':')).encode())}.{sig}"


def iam_token():
    return jwt(
        "https://iam.cloud.ibm.com/identity",
        {
            "iam_id": "iam-ServiceId-" + uuid(),
            "grant_type": "urn:ibm:params:oauth:grant-type:apikey",
            "scope": "ibm openid",
            "account": {"bss": rs(HEX, 32)},
        },
    )


def generic_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": rs(DIGITS, 8), "name": "svc-build", "iss": "https://auth.shop.internal", "exp": 1790003600}
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}.{rs(KEYCHARS, 43)}"


def aws_id(prefix="AKIA"):
    return prefix + rs(BASE32, 16)


def aws_secret():
    return rs(B64, 40)


def ghp(prefix="ghp_"):
    return prefix + rs(ALNUM, 36)


def github_pat():
    return f"github_pat_{rs(ALNUM, 22)}_{rs(ALNUM, 59)}"


def slack_bot():
    return f"xoxb-{rs(DIGITS, 12)}-{rs(DIGITS, 13)}-{rs(ALNUM, 24)}"


def slack_hook():
    return f"https://hooks.slack.com/services/T{rs(UPPER + DIGITS, 8)}/B{rs(UPPER + DIGITS, 10)}/{rs(ALNUM, 24)}"


def npm_token():
    return "npm_" + rs(ALNUM, 36)


def pypi_token():
    return "pypi-AgEIcHlwaS5vcmc" + rs(KEYCHARS, 150)


def artifactory_key():
    return "AKCp" + rs(ALNUM, 69)


def artifactory_ref():
    return "cmVmdGtuOjAxOj" + rs(ALNUM, 50)


def glpat():
    return "glpat-" + rs(KEYCHARS, 20)


def dckr_pat():
    return "dckr_pat_" + rs(KEYCHARS, 27)


def google_key():
    return "AIza" + rs(KEYCHARS, 35)


def stripe_key():
    return "sk_live_" + rs(ALNUM, 24)


def pem_body(lines=4):
    return "\n".join(rs(B64, 64) for _ in range(lines))


def pem(label, lines=4):
    return f"-----BEGIN {label}-----\n{pem_body(lines)}\n-----END {label}-----"


def openssh_key():
    return f"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA{rs(B64, 40)}\n{pem_body(3)}\n-----END OPENSSH PRIVATE KEY-----"


def ssh_pub():
    return f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{rs(B64, 43)} deploy@ci"


# --- cases -----------------------------------------------------------------------------------

CASES = []


def add(where, ident, expect, note="", **fields):
    case = {"id": f"{where}-{ident}", "where": where, **fields, "expect": sorted(set(expect))}
    if note:
        case["note"] = note
    CASES.append(case)


def env(ident, entry, *expect, note=""):
    add("env", ident, expect, note, entry=entry)


def label(ident, name, value, *expect, note=""):
    add("label", ident, expect, note, name=name, value=value)


def hist(ident, line, *expect, note=""):
    add("history", ident, expect, note, line=line)


def path(ident, p, *expect, note=""):
    add("path", ident, expect, note, path=p)


IBM = "ibm-cloud-api-key"
HMAC = "ibm-cos-hmac-key"
IAM = "ibm-iam-token"
KW = "secret-named-variable"
URLPW = "url-password"
CLP = "command-line-password"
PKF = "private-key-file"
CRED = "credential-file"


def secrets():
    # Environment variables.
    env("ibmcloud-api-key", f"IBMCLOUD_API_KEY={ibm_key()}", IBM)
    env("ic-api-key", f"IC_API_KEY={ibm_key()}", IBM)
    env("bluemix-api-key", f"BLUEMIX_API_KEY={ibm_key()}", IBM)
    env("cos-hmac-id", f"COS_HMAC_ACCESS_KEY_ID={rs(HEX, 32)}", HMAC)
    env("cos-hmac-secret", f"COS_HMAC_SECRET_ACCESS_KEY={rs(HEX, 48)}", HMAC)
    env("cos-hmac-in-aws-var", f"AWS_SECRET_ACCESS_KEY={rs(HEX, 48)}", HMAC, note="COS HMAC secret in the S3 SDK variable")
    env("iam-token", f"IAM_TOKEN=Bearer {iam_token()}", IAM)
    env("iamapikey-url", f"REGISTRY_URL=https://iamapikey:{ibm_key()}@us.icr.io", IBM)
    env("aws-key-id", f"AWS_ACCESS_KEY_ID={aws_id()}", "aws-access-key-id")
    env("aws-sts-id", f"S3_UPLOAD_ID={aws_id('ASIA')}", "aws-access-key-id")
    env("aws-secret", f"AWS_SECRET_ACCESS_KEY={aws_secret()}", "aws-secret-access-key")
    env("github-pat", f"GITHUB_TOKEN={ghp()}", "github-token")
    env("github-app", f"GH_APP_INSTALLATION={ghp('ghs_')}", "github-token")
    env("github-fine", f"GH_FINE_GRAINED={github_pat()}", "github-token")
    env("gitlab", f"GITLAB_TOKEN={glpat()}", "gitlab-token")
    env("slack-bot", f"SLACK_BOT_TOKEN={slack_bot()}", "slack-token")
    env("slack-webhook", f"SLACK_WEBHOOK_URL={slack_hook()}", "slack-webhook", note="_URL exempts the name, not the format")
    env("npm", f"NPM_TOKEN={npm_token()}", "npm-token")
    env("pypi", f"TWINE_PASSWORD={pypi_token()}", "pypi-token")
    env("artifactory-key", f"ARTIFACTORY_API_KEY={artifactory_key()}", "artifactory-token")
    env("artifactory-ref", f"JFROG_ACCESS={artifactory_ref()}", "artifactory-token")
    env("dockerhub", f"DOCKERHUB_PAT={dckr_pat()}", "docker-hub-token")
    env("google", f"MAPS_BROWSER_KEY={google_key()}", "google-api-key")
    env("stripe", f"PAYMENTS_LIVE={stripe_key()}", "stripe-key")
    env("jwt", f"SESSION_SEED={generic_jwt()}", "jwt")
    env("openssh-key", f"DEPLOY_KEY={openssh_key()}", "private-key")
    env("pem-header-only", "TLS_KEY=-----BEGIN RSA PRIVATE KEY-----", "private-key", note="a header alone counts")
    env("pem-escaped", "SIGNING=" + pem("EC PRIVATE KEY", 2).replace("\n", "\\n"), "private-key")
    env("pem-base64", "TLS_KEY_B64=" + b64(pem("PRIVATE KEY", 2).encode()), "private-key")
    env("postgres-url", f"DATABASE_URL=postgres://app:{password()}@db.internal:5432/app", URLPW)
    env("redis-empty-user", f"REDIS_URL=redis://:{password()}@redis:6379/0", URLPW)
    env("amqp-url", f"BROKER=amqps://svc-orders:{password()}@mq.internal/orders", URLPW)
    env("db-password", f"DB_PASSWORD={password()}", KW)
    env("mysql-root", f"MYSQL_ROOT_PASSWORD={password()}", KW)
    env("secret-key-base", f"SECRET_KEY_BASE={rs(HEX, 128)}", KW)
    env("jwt-secret", f"JWT_SECRET={password()}", KW)
    env("redis-auth", f"REDIS_AUTH={password()}", KW)
    env("pgpassword", f"PGPASSWORD={password()}", KW)
    env("client-secret", f"OAUTH_CLIENT_SECRET={rs(ALNUM, 32)}", KW)
    env("api-token", f"API_TOKEN={rs(ALNUM, 40)}", KW)
    env("app-key", f"APP_KEY=base64:{b64(bytes(rng.randrange(256) for _ in range(32)))}", KW)
    env("camel-case", f"smtpPassword={password()}", KW)
    env("weak-default", "POSTGRES_PASSWORD=postgres", KW, note="a default password is still a literal")
    auth = b64(f"ci-bot:{password()}".encode())
    env("docker-auth-config", f'DOCKER_AUTH_CONFIG={{"auths":{{"registry.shop.internal":{{"auth":"{auth}"}}}}}}', "registry-auth")
    env("java-opts", f"JAVA_OPTS=-Xmx512m -Dspring.datasource.password={password()}", CLP)
    env("healthcheck-curl", f"HEALTHCHECK_CMD=curl -fsu monitor:{password()} http://localhost:8080/health", CLP)

    # Labels.
    label("ibm-apikey", "com.shop.deploy.apikey", ibm_key(), IBM)
    cos = json.dumps({"apikey_id": "ApiKey-" + uuid(), "cos_hmac_keys": {"access_key_id": rs(HEX, 32), "secret_access_key": rs(HEX, 48)}})
    label("cos-credentials", "com.shop.cos.credentials", cos, HMAC)
    label("iam-credentials-json", "com.shop.credentials", json.dumps({"apikey": ibm_key(), "iam_serviceid_crn": f"crn:v1:bluemix:public:iam-identity::a/{rs(HEX, 32)}::serviceid:ServiceId-{uuid()}"}), IBM)
    label("github", "ci.token", ghp(), "github-token")
    label("npmrc", "build.npmrc", f"//registry.npmjs.org/:_authToken={npm_token()}", "npm-token")
    label("db-password", "com.shop.db-password", password(), KW)
    label("api-token", "org.shop.api-token", rs(ALNUM, 32), KW)
    label("vault-token", "vault.token", "hvs." + rs(KEYCHARS, 24), KW)
    label("private-key", "signing.key", pem("EC PRIVATE KEY", 3), "private-key")
    label("source-with-password", "org.opencontainers.image.source", f"https://ci:{password()}@git.shop.internal/shop/api.git", URLPW)
    label("slack-hook", "alerts.webhook", slack_hook(), "slack-webhook")
    label("iam-jwt", "auth.bootstrap", iam_token(), IAM)
    label("aws-id", "backup.s3-key", aws_id(), "aws-access-key-id")
    icr_auth = b64(f"iamapikey:{ibm_key()}".encode())
    label("docker-config-iam", "registry.config", f'{{"auths":{{"us.icr.io":{{"auth":"{icr_auth}"}}}}}}', IBM)
    label("dotted-password", "spring.datasource.password", password(), KW)

    # History lines.
    hist("build-arg-ibm", f"|1 IBMCLOUD_API_KEY={ibm_key()} /bin/sh -c ibmcloud login -r us-south && ibmcloud cr login", IBM)
    hist("ibmcloud-login", f"/bin/sh -c ibmcloud login --apikey {ibm_key()} -r us-south -g default", IBM)
    hist("docker-login-iam", f"/bin/sh -c docker login -u iamapikey -p {ibm_key()} us.icr.io", IBM)
    hist("echo-login-iam", f"/bin/sh -c echo {ibm_key()} | docker login -u iamapikey --password-stdin us.icr.io", IBM, note="--password-stdin, but the key is echoed on the line")
    hist("env-hmac-pair", f"/bin/sh -c #(nop)  ENV COS_HMAC_ACCESS_KEY_ID={rs(HEX, 32)} COS_HMAC_SECRET_ACCESS_KEY={rs(HEX, 48)}", HMAC)
    hist("curl-iam-bearer", f'/bin/sh -c curl -fsS -H "Authorization: Bearer {iam_token()}" https://us.icr.io/api/v1/images', IAM)
    hist("curl-user", f"/bin/sh -c curl -sSL -u deploy:{password()} https://nexus.shop.internal/repository/raw/app.tgz | tar -xz -C /opt", CLP)
    hist("mysql-p", f'/bin/sh -c mysql -uroot -p{rs(ALNUM, 14)} -e "CREATE DATABASE shop"', CLP)
    hist("chpasswd", f'/bin/sh -c echo "app:{password()}" | chpasswd', CLP)
    hist("docker-login-password", f"/bin/sh -c docker login -u ci --password {password()} registry.shop.internal", CLP)
    hist("wget-password", f"/bin/sh -c wget --user=deploy --password={password()} https://artifacts.shop.internal/app.tgz", CLP)
    hist("openssl-passout", f"/bin/sh -c openssl pkcs12 -export -in cert.pem -inkey key.pem -passout pass:{password()} -out /app/app.p12", CLP)
    hist("keytool-storepass", f"/bin/sh -c keytool -importkeystore -srckeystore a.p12 -srcstorepass {password()} -destkeystore /app/b.jks -deststorepass {password()}", CLP)
    hist("sshpass", f"/bin/sh -c sshpass -p {password()} rsync -a deploy@files.shop.internal:/data /data", CLP)
    hist("redis-cli", f"/bin/sh -c redis-cli -h cache -a {password()} FLUSHALL", CLP)
    hist("basic-header", f"/bin/sh -c curl -H 'Authorization: Basic {b64(f'deploy:{password()}'.encode())}' https://api.shop.internal/seed", CLP)
    hist("git-clone-glpat", f"/bin/sh -c git clone https://oauth2:{glpat()}@gitlab.shop.internal/shop/api.git /src", "gitlab-token")
    hist("git-clone-ghp", f"/bin/sh -c git clone https://{ghp()}@github.com/shop/private-lib.git", "github-token")
    hist("git-clone-password", f"/bin/sh -c git clone https://builder:{password()}@git.shop.internal/shop/api.git", URLPW)
    hist("build-arg-npm", f"|2 NPM_TOKEN={npm_token()} NODE_ENV=production /bin/sh -c npm ci --omit=dev", "npm-token")
    hist("build-arg-github", f"RUN |1 GITHUB_TOKEN={ghp()} /bin/sh -c go mod download # buildkit", "github-token")
    hist("build-arg-password", f"|1 DB_PASSWORD={password()} /bin/sh -c ./migrate.sh", KW)
    hist("env-password", f"/bin/sh -c #(nop)  ENV ADMIN_PASSWORD={password()}", KW)
    hist("env-legacy", f"/bin/sh -c #(nop)  ENV SMTP_PASS {password()}", KW)
    hist("arg-default", f"ARG DEPLOY_TOKEN={rs(ALNUM, 32)}", KW)
    hist("buildkit-env", f"ENV API_SECRET={password()} LOG_LEVEL=info", KW)
    hist("buildkit-label", f"LABEL com.shop.registry-password={password()}", KW)
    hist("sonar-token", f"RUN |1 SONAR_TOKEN={rs(HEX, 40)} /bin/sh -c sonar-scanner # buildkit", KW)
    hist("pgpassword-prefix", f"/bin/sh -c PGPASSWORD={password()} psql -h db -U shop -f /sql/schema.sql", KW)
    hist("export-vault", f"/bin/sh -c export VAULT_TOKEN=hvs.{rs(KEYCHARS, 24)} && vault kv get secret/shop", KW)
    hist("nop-label-token", f"/bin/sh -c #(nop)  LABEL maintainer=team-shop build.token={rs(ALNUM, 32)}", KW)
    hist("two-assignments", f"|2 DB_PASSWORD={password()} SMTP_PASSWORD={password()} /bin/sh -c make install", KW, note="two findings, one per assignment")
    hist("format-and-name", f"|2 GITHUB_TOKEN={ghp()} REDIS_PASSWORD={password()} /bin/sh -c make", "github-token", KW)
    hist("echo-private-key", '/bin/sh -c echo "-----BEGIN OPENSSH PRIVATE KEY-----" > /root/.ssh/id_ed25519', "private-key")
    hist("aws-configure-secret", f"/bin/sh -c aws configure set aws_secret_access_key {aws_secret()}", "aws-secret-access-key")
    hist("aws-configure-id", f"/bin/sh -c aws configure set aws_access_key_id {aws_id()}", "aws-access-key-id")
    hist("pip-pypi-token", f"/bin/sh -c pip install --index-url https://__token__:{pypi_token()}@upload.pypi.org/simple shop-lib", "pypi-token")
    hist("slack-notify", f"/bin/sh -c curl -X POST -H 'Content-type: application/json' --data '{{\"text\":\"built\"}}' {slack_hook()}", "slack-webhook")
    hist("gitlab-header", f'/bin/sh -c curl -H "PRIVATE-TOKEN: {glpat()}" https://gitlab.shop.internal/api/v4/projects', "gitlab-token")
    hist("jfrog-header", f'/bin/sh -c curl -H "X-JFrog-Art-Api: {artifactory_key()}" -T app.tgz https://artifactory.shop.internal/libs/', "artifactory-token")
    hist("api-key-header", f'/bin/sh -c curl -H "X-API-Key: {rs(ALNUM, 32)}" https://api.shop.internal/warmup', CLP)

    # Layer paths.
    for ident, p, kind in [
        ("ssh-rsa", "/root/.ssh/id_rsa", PKF),
        ("ssh-ed25519", "/home/app/.ssh/id_ed25519", PKF),
        ("ssh-custom", "/root/.ssh/id_deploy", PKF),
        ("ssh-host-key", "/etc/ssh/ssh_host_ecdsa_key", PKF),
        ("dsa-anywhere", "/opt/backup/id_dsa", PKF),
        ("key-file", "/app/certs/server.key", PKF),
        ("privkey-pem", "/etc/letsencrypt/live/shop/privkey.pem", PKF),
        ("p12", "/opt/app/keystore.p12", PKF),
        ("pfx", "/opt/app/client.pfx", PKF),
        ("jks", "/app/config/signing.jks", PKF),
        ("gnupg", f"/root/.gnupg/private-keys-v1.d/{rs(HEX, 40).upper()}.key", PKF),
        ("dotenv", "/app/.env", CRED),
        ("dotenv-production", "/app/.env.production", CRED),
        ("dotenv-local", "/srv/web/.env.local", CRED),
        ("npmrc", "/root/.npmrc", CRED),
        ("pypirc", "/root/.pypirc", CRED),
        ("netrc", "/home/app/.netrc", CRED),
        ("git-credentials", "/root/.git-credentials", CRED),
        ("docker-config", "/root/.docker/config.json", CRED),
        ("bluemix-config", "/root/.bluemix/config.json", CRED),
        ("ibmcloud-config", "/home/ci/.ibmcloud/config.json", CRED),
        ("kube-config", "/root/.kube/config", CRED),
        ("aws-credentials", "/root/.aws/credentials", CRED),
        ("gcp-credentials", "/app/credentials.json", CRED),
        ("tfstate", "/infra/terraform.tfstate", CRED),
        ("kdbx", "/home/app/vault.kdbx", CRED),
    ]:
        path(ident, p, kind)


def non_secrets():
    # Environment variables.
    for ident, entry in [
        ("path", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        ("lang", "LANG=C.UTF-8"),
        ("node-version", "NODE_VERSION=20.11.1"),
        ("password-file", "DB_PASSWORD_FILE=/run/secrets/db_password"),
        ("password-min-length", "PASSWORD_MIN_LENGTH=12"),
        ("token-ttl", "TOKEN_TTL=3600"),
        ("auth-enabled", "AUTH_ENABLED=true"),
        ("allow-empty-password", "ALLOW_EMPTY_PASSWORD=yes"),
        ("random-root-password", "MYSQL_RANDOM_ROOT_PASSWORD=yes"),
        ("ref-braces", "DB_PASSWORD=${DB_PASSWORD}"),
        ("ref-dollar", "DB_PASSWORD=$DB_PASSWORD"),
        ("ref-default", "REDIS_PASSWORD=${REDIS_PASSWORD:-}"),
        ("angle-placeholder", "API_KEY=<your-api-key>"),
        ("helm-template", "SECRET_KEY={{ .Values.secretKey }}"),
        ("windows-ref", "JWT_SECRET=%JWT_SECRET%"),
        ("changeme", "PASSWORD=changeme"),
        ("redacted", "ADMIN_PASSWORD=REDACTED"),
        ("xxxx", "API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxx"),
        ("stars", "SMTP_PASSWORD=********"),
        ("dummy", "DB_PASS=dummy"),
        ("empty", "GITHUB_TOKEN="),
        ("ibm-key-ref", "IBMCLOUD_API_KEY=${IBMCLOUD_API_KEY}"),
        ("ibm-key-placeholder", "IBMCLOUD_API_KEY=" + "x" * 44),
        ("aws-placeholder", "AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX"),
        ("digest", f"BASE_IMAGE_DIGEST=sha256:{rs(HEX, 64)}"),
        ("uuid", f"INSTANCE_ID={uuid()}"),
        ("crn", f"SECRETS_MANAGER_CRN=crn:v1:bluemix:public:secrets-manager:us-south:a/{rs(HEX, 32)}:{uuid()}::"),
        ("service-id", f"PUSHER_IDENTITY=ServiceId-{uuid()}"),
        ("api-key-id", f"API_KEY_ID=ApiKey-{uuid()}"),
        ("access-group", f"ACCESS_GROUP=AccessGroupId-{uuid()}"),
        ("git-commit", f"GIT_COMMIT={rs(HEX, 40)}"),
        ("account-id", f"IBM_ACCOUNT_ID={rs(HEX, 32)}"),
        ("gpg-key", f"GPG_KEY={rs('0123456789ABCDEF', 40)}"),
        ("ssh-public-key", f"SSH_PUBLIC_KEY={ssh_pub()}"),
        ("ssh-key-public", f"SSH_KEY={ssh_pub()}"),
        ("certificate", "TLS_CERT=" + pem("CERTIFICATE", 3).replace("\n", "\\n")),
        ("public-key", "JWT_PUBLIC_KEY=" + pem("PUBLIC KEY", 3).replace("\n", "\\n")),
        ("cert-base64", "CA_BUNDLE_B64=" + b64(pem("CERTIFICATE", 2).encode())),
        ("tls-secret-cert-b64", "TLS_SECRET_B64=" + b64(pem("CERTIFICATE", 2).encode())),
        ("config-base64", "APP_CONFIG_B64=" + b64(json.dumps({"logLevel": "info", "replicas": 3, "region": "us-south"}).encode())),
        ("ibm-shaped-no-context", f"BUILD_CACHE_KEY_HASH={ibm_key()}"),
        ("b64-blob", f"FEATURE_FLAGS={b64(bytes(rng.randrange(256) for _ in range(48)))}"),
        ("tokenizers", "TOKENIZERS_PARALLELISM=false"),
        ("auth-url", "AUTH_URL=https://iam.cloud.ibm.com/identity/token"),
        ("token-endpoint", "TOKEN_ENDPOINT=https://auth.shop.internal/oauth/token"),
        ("secret-name", "SECRET_NAME=shop-db-credentials"),
        ("vault-addr", "VAULT_ADDR=https://vault.shop.internal:8200"),
        ("url-ref", "DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app"),
        ("url-no-password", "DATABASE_URL=postgres://app@db:5432/app"),
        ("url-placeholder", "DATABASE_URL=postgres://user:password@localhost:5432/db"),
        ("redis-url", "REDIS_URL=redis://redis:6379/0"),
        ("gcp-creds-path", "GOOGLE_APPLICATION_CREDENTIALS=/var/secrets/google/key.json"),
        ("hash-algorithm", "PASSWORD_HASH_ALGORITHM=argon2id"),
        ("auth-type", "AUTH_TYPE=oauth2"),
        ("ssh-auth-sock", "SSH_AUTH_SOCK=/tmp/ssh-agent.sock"),
        ("truststore-changeit", "JAVA_OPTS=-Djavax.net.ssl.trustStorePassword=changeit -Xmx512m"),
        ("maven-opts", "MAVEN_OPTS=-Dmaven.repo.local=/root/.m2/repository"),
        ("slack-channel", "SLACK_CHANNEL=#builds"),
        ("pwd", "PWD=/app"),
        ("keycloak-admin", "KEYCLOAK_ADMIN=admin"),
        ("token-header", "AUTH_TOKEN_HEADER=X-Auth-Token"),
        ("secrets-dir", "SECRETS_DIR=/run/secrets"),
        ("vault-ref", "DB_PASSWORD=vault:secret/data/shop/db#password"),
        ("aws-secret-arn", "DB_PASSWORD=arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-db"),
    ]:
        env(ident, entry)

    # Labels.
    for ident, name, value in [
        ("maintainer", "maintainer", "team-shop"),
        ("revision", "org.opencontainers.image.revision", rs(HEX, 40)),
        ("source", "org.opencontainers.image.source", "https://github.com/shop/api"),
        ("created", "org.opencontainers.image.created", "2026-10-01T00:00:00Z"),
        ("secret-scan", "com.shop.secret-scan", "passed"),
        ("description", "io.k8s.description", "Shop API; reads its API key from Secrets Manager at start-up"),
        ("auth-mode", "com.ibm.auth.mode", "iam"),
        ("token-issuer", "com.shop.token.issuer", "https://iam.cloud.ibm.com/identity"),
        ("public-key", "signing.public-key", pem("PUBLIC KEY", 3)),
        ("apikey-ref", "com.shop.apikey-ref", f"crn:v1:bluemix:public:secrets-manager:us-south:a/{rs(HEX, 32)}:{uuid()}:secret:{uuid()}"),
        ("password-policy", "com.shop.password-policy", "strong"),
        ("authorized-key", "ssh.authorized-key", ssh_pub()),
        ("buildah-version", "io.buildah.version", "1.33.0"),
        ("vcs-ref", "org.label-schema.vcs-ref", rs(HEX, 40)),
        ("authors", "org.opencontainers.image.authors", "Shop Platform Team"),
        ("token-placeholder", "com.shop.api-token", "<set at deploy time>"),
        ("docker-auth-ref", "registry.auth", "${REGISTRY_AUTH}"),
        ("digest", "com.shop.base.digest", f"sha256:{rs(HEX, 64)}"),
    ]:
        label(ident, name, value)

    # History lines.
    for ident, line in [
        ("env-path", "/bin/sh -c #(nop)  ENV PATH=/usr/local/bin:$PATH"),
        ("apt", "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends curl ca-certificates && rm -rf /var/lib/apt/lists/*"),
        ("build-arg-version", "|1 VERSION=1.4.2 /bin/sh -c make"),
        ("arg-no-default", "/bin/sh -c #(nop)  ARG NPM_TOKEN"),
        ("secret-mount", "RUN --mount=type=secret,id=npmrc,target=/root/.npmrc /bin/sh -c npm ci # buildkit"),
        ("password-stdin", "/bin/sh -c cat /run/secrets/registry_password | docker login -u ci --password-stdin registry.shop.internal"),
        ("login-ref", '/bin/sh -c docker login -u iamapikey -p "$IBMCLOUD_API_KEY" us.icr.io'),
        ("empty-build-arg", "|1 IBMCLOUD_API_KEY= /bin/sh -c ibmcloud cr login"),
        ("nodesource", "/bin/sh -c curl -fsSL https://deb.nodesource.com/setup_20.x | bash -"),
        ("mysql-prompt", '/bin/sh -c mysql -u root -p -h db -e "SELECT 1"'),
        ("useradd", "/bin/sh -c useradd -u 1001 -g 0 app && chown -R 1001:0 /app"),
        ("docker-run-user", "/bin/sh -c docker run --rm -u 1000:1000 -v /src:/src builder make"),
        ("password-file-env", "/bin/sh -c #(nop)  ENV DB_PASSWORD_FILE=/run/secrets/db"),
        ("revision-label", f"/bin/sh -c #(nop)  LABEL org.opencontainers.image.revision={rs(HEX, 40)}"),
        ("copy", "COPY --chown=app:app . /app # buildkit"),
        ("git-checkout", f"/bin/sh -c git clone https://github.com/shop/api.git && git -C api checkout {rs(HEX, 40)}"),
        ("bearer-ref", '/bin/sh -c curl -H "Authorization: Bearer $TOKEN" https://api.shop.internal'),
        ("keytool-changeit", "/bin/sh -c keytool -importcert -noprompt -keystore $JAVA_HOME/lib/security/cacerts -storepass changeit -file /tmp/ca.crt"),
        ("keyscan", "/bin/sh -c ssh-keyscan github.com >> /root/.ssh/known_hosts"),
        ("authorized-keys", f'/bin/sh -c echo "{ssh_pub()}" >> /home/app/.ssh/authorized_keys'),
        ("token-url", "ENV TOKEN_URL=https://iam.cloud.ibm.com/identity/token"),
        ("password-length-arg", "ARG PASSWORD_MIN_LENGTH=12"),
        ("gpg-recv", f'/bin/sh -c export GNUPGHOME="$(mktemp -d)" && gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys {rs("0123456789ABCDEF", 40)}'),
        ("pip", "/bin/sh -c pip install --no-cache-dir -r requirements.txt"),
        ("npm-config-ref", "/bin/sh -c npm config set //registry.npmjs.org/:_authToken=${NPM_TOKEN}"),
        ("npmrc-escaped-ref", '/bin/sh -c echo "//registry.npmjs.org/:_authToken=\\${NPM_TOKEN}" > .npmrc'),
        ("apikey-file", "/bin/sh -c ibmcloud login --apikey @/run/secrets/apikey.json -r us-south"),
        ("chpasswd-ref", '/bin/sh -c echo "$APP_USER:$APP_PASSWORD" | chpasswd'),
        ("pgpassword-cat", "/bin/sh -c PGPASSWORD=$(cat /run/secrets/pg) psql -h db -f schema.sql"),
        ("sha256sum", f'/bin/sh -c wget -q https://downloads.shop.internal/tool.tgz -O /tmp/t.tgz && echo "{rs(HEX, 64)}  /tmp/t.tgz" | sha256sum -c -'),
        ("workdir", "/bin/sh -c #(nop) WORKDIR /app"),
        ("cmd", '/bin/sh -c #(nop)  CMD ["node" "server.js"]'),
        ("build-args-sha", f"|2 GIT_SHA={rs(HEX, 40)} BUILD_DATE=2026-10-01 /bin/sh -c make"),
        ("mkdir", "/bin/sh -c mkdir -p /app/data && chmod 700 /app/data"),
        ("openssl-env-pass", "/bin/sh -c openssl pkcs12 -export -in c.pem -inkey k.pem -passout env:P12_PASSWORD -out /app/a.p12"),
        ("docker-build-secret", "/bin/sh -c docker build --secret id=npm,src=/root/.npmrc -t shop/api ."),
        ("token-file-flag", "/bin/sh -c ./deploy --token-file /run/secrets/deploy_token"),
        ("make-vars", "/bin/sh -c make install PREFIX=/usr/local PASSWORD_HASH=bcrypt"),
        ("curl-data-placeholder", "/bin/sh -c curl -d 'password=<set-me>' https://httpbin.internal/post"),
    ]:
        hist(ident, line)

    # Layer paths.
    for ident, p in [
        ("ssh-pub", "/root/.ssh/id_rsa.pub"),
        ("known-hosts", "/root/.ssh/known_hosts"),
        ("authorized-keys", "/home/app/.ssh/authorized_keys"),
        ("ssh-host-pub", "/etc/ssh/ssh_host_rsa_key.pub"),
        ("ca-bundle", "/etc/ssl/certs/ca-certificates.crt"),
        ("ca-pem", "/etc/ssl/certs/ISRG_Root_X1.pem"),
        ("mozilla-ca", "/usr/share/ca-certificates/mozilla/DigiCert_Global_Root_CA.crt"),
        ("pki-bundle", "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"),
        ("certifi", "/usr/local/lib/python3.12/site-packages/certifi/cacert.pem"),
        ("env-example", "/app/.env.example"),
        ("env-sample", "/app/.env.sample"),
        ("env-template", "/app/.env.template"),
        ("apt-keyring", "/usr/share/keyrings/nodesource.gpg"),
        ("apt-trusted", "/etc/apt/trusted.gpg.d/debian-archive-bookworm.asc"),
        ("server-js", "/app/server.js"),
        ("config-yaml", "/app/config.yaml"),
        ("fullchain", "/app/certs/fullchain.pem"),
        ("server-crt", "/app/certs/server.crt"),
        ("jvm-cacerts", "/usr/lib/jvm/java-17-openjdk/lib/security/cacerts"),
        ("keys-source", "/app/src/keys.ts"),
        ("whiteout", "/app/.wh..env"),
        ("docker-dir-config", "/app/docker/config.json"),
        ("ssh-dir", "/root/.ssh/"),
        ("openssh-doc", "/usr/share/doc/openssh-client/README.Debian.gz"),
        ("node-test-key", "/app/node_modules/https-proxy-agent/test/ssl-key.pem"),
        ("tokenizer", "/app/models/tokenizer.json"),
    ]:
        path(ident, p)


def updated_rules():
    """Cases for rules.md's later additions: secret-named values whatever their shape, JWTs
    anywhere, and an API key on an `ibmcloud login --apikey` line. (Generated after the others,
    so that adding them left the earlier cases' values unchanged.)"""
    # Secret-named values whatever their shape: digits only, common passwords, short values.
    env("digits-only-password", "DB_PASSWORD=123456", KW, note="digits only is still a literal")
    env("common-password", "REDIS_PASSWORD=pass1234", KW)
    env("short-token", "API_TOKEN=4242", KW)
    env("date-shaped-secret", "APP_SECRET=20261126", KW)
    env("uuid-api-key", f"HEROKU_API_KEY={uuid()}", KW, note="a UUID under a secret name is a key")
    label("digits-password", "com.shop.replica.db-password", "31415926", KW)
    label("common-password", "com.shop.admin.password", "letmein", KW)
    hist("build-arg-digits", "|1 DB_PASSWORD=123456 /bin/sh -c ./migrate.sh", KW)
    hist("env-common-password", "/bin/sh -c #(nop)  ENV ADMIN_PASS=admin123", KW)
    hist("arg-short-token", "ARG DEPLOY_TOKEN=9876", KW)
    # … but settings about a secret, placeholders, references, booleans and empty values are not.
    for ident, entry in [
        ("token-ttl-seconds", "TOKEN_TTL_SECONDS=3600"),
        ("password-max-attempts", "PASSWORD_MAX_ATTEMPTS=5"),
        ("api-key-rotation-days", "API_KEY_ROTATION_DAYS=90"),
        ("session-token-lifetime", "SESSION_TOKEN_LIFETIME=30m"),
        ("password-empty-quoted", 'DB_PASSWORD=""'),
        ("password-stdin-dash", "REGISTRY_PASSWORD=-"),
        ("token-boolean", "API_TOKEN=true"),
        ("secret-angle", "JWT_SECRET=<secret>"),
    ]:
        env(ident, entry)
    label("password-min-length", "com.shop.password-min-length", "12")
    hist("arg-token-ttl", "ARG TOKEN_TTL_SECONDS=3600")

    # JWTs anywhere: glued to text, at the end of a sentence, in a query string, a cookie, JSON,
    # a header written with blanks, a five-part JWE.
    env("jwt-glued", f"AUTH_HEADER_VALUE=Bearer{generic_jwt()}", "jwt")
    env("jwt-json", f'OIDC_RESPONSE={{"id_token":"{generic_jwt()}","expires_in":3600}}', "jwt")
    label("jwt-sentence", "com.shop.note", f"bootstrap with {generic_jwt()}.", "jwt")
    label("jwt-cookie", "com.shop.healthcheck", f"Cookie: session={generic_jwt()}; Path=/", "jwt")
    hist("jwt-query", f"/bin/sh -c curl -fsS https://api.shop.internal/seed?access_token={generic_jwt()}", "jwt")
    spaced = f"{b64url(json.dumps({'alg': 'HS256', 'typ': 'JWT'}, indent=1).encode())}.{b64url(json.dumps({'sub': 'svc'}, indent=1).encode())}.{rs(KEYCHARS, 43)}"
    env("jwt-spaced-header", f"WARMUP={spaced}", "jwt")
    jwe = f"{b64url(json.dumps({'alg': 'RSA-OAEP', 'enc': 'A256GCM'}).encode())}.{rs(KEYCHARS, 342)}.{rs(KEYCHARS, 16)}.{rs(KEYCHARS, 120)}.{rs(KEYCHARS, 22)}"
    hist("jwe", f"/bin/sh -c #(nop)  ENV BOOT={jwe}", "jwt")
    # … and base64 JSON with dots that is not a JWT.
    not_jwt = f"{b64url(json.dumps({'logLevel': 'info'}).encode())}.{b64url(json.dumps({'replicas': 3}).encode())}.{rs(HEX, 12)}"
    env("dotted-b64-json", f"APP_CONFIG_PARTS={not_jwt}")

    # An API key on an `ibmcloud login --apikey` line, whatever its shape.
    hist("ibmcloud-login-short-key", f"/bin/sh -c ibmcloud login --apikey {rs(KEYCHARS, 32)} -r us-south", IBM)
    hist("ic-login-quoted", f"/bin/sh -c ic login -a https://cloud.ibm.com --apikey '{rs(ALNUM, 24)}' -r eu-de", IBM)
    hist("ibmcloud-login-equals", f"RUN /bin/sh -c ibmcloud login --apikey={password()} -g default # buildkit", IBM)
    hist("bx-login", f"/bin/sh -c bx login -apikey {rs(KEYCHARS, 44)}", IBM)
    for ident, line in [
        ("ibmcloud-login-at-file", "/bin/sh -c ibmcloud login --apikey @apikey.json -r us-south"),
        ("ibmcloud-login-ref", '/bin/sh -c ibmcloud login --apikey "$IBMCLOUD_API_KEY" -r us-south'),
        ("ibmcloud-login-sso", "/bin/sh -c ibmcloud login --sso -r us-south"),
    ]:
        hist(ident, line)


def render():
    secrets()
    non_secrets()
    updated_rules()
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    return "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CASES)


def main():
    text = render()
    if "--check" in sys.argv[1:]:
        current = OUT.read_text() if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is stale: run {sys.argv[0]}", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    positives = sum(1 for c in CASES if c["expect"])
    print(f"wrote {len(CASES)} cases ({positives} secrets, {len(CASES) - positives} non-secrets) to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
