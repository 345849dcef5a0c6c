//! What kind of secret a detection is, and which rule reports it.

use std::fmt;

/// The rule family a secret kind belongs to (rules.md, ICR-SEC-001 … ICR-SEC-004).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretClass {
    /// IBM Cloud credentials: ICR-SEC-001.
    Ibm,
    /// Other known token formats, private keys, passwords in URLs and command lines: ICR-SEC-002.
    Other,
    /// A secret-named variable, label or build arg with a literal value: ICR-SEC-003.
    Keyword,
    /// A key or credential file in the image layers: ICR-SEC-004.
    File,
}

impl SecretClass {
    /// The id of the rule that reports this class.
    pub fn rule_id(self) -> &'static str {
        match self {
            SecretClass::Ibm => "ICR-SEC-001",
            SecretClass::Other => "ICR-SEC-002",
            SecretClass::Keyword => "ICR-SEC-003",
            SecretClass::File => "ICR-SEC-004",
        }
    }
}

macro_rules! secret_kinds {
    ($($variant:ident => $id:literal, $class:ident, $description:literal;)*) => {
        /// A kind of secret the detector recognises. Ids are stable (they appear in reports).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum SecretKind {
            $(#[doc = $description] $variant,)*
        }

        impl SecretKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [SecretKind] = &[$(SecretKind::$variant,)*];

            /// The stable kebab-case id, e.g. `ibm-cloud-api-key`.
            pub fn id(self) -> &'static str {
                match self {
                    $(SecretKind::$variant => $id,)*
                }
            }

            /// A short human description. Never contains anything taken from a scanned value.
            pub fn description(self) -> &'static str {
                match self {
                    $(SecretKind::$variant => $description,)*
                }
            }

            /// The rule family (and so the rule) that reports this kind.
            pub fn class(self) -> SecretClass {
                match self {
                    $(SecretKind::$variant => SecretClass::$class,)*
                }
            }
        }
    };
}

secret_kinds! {
    IbmCloudApiKey => "ibm-cloud-api-key", Ibm, "IBM Cloud API key";
    IbmCosHmacKey => "ibm-cos-hmac-key", Ibm, "IBM Cloud Object Storage HMAC key";
    IbmIamToken => "ibm-iam-token", Ibm, "IBM Cloud IAM access token";
    AwsAccessKeyId => "aws-access-key-id", Other, "AWS access key id";
    AwsSecretAccessKey => "aws-secret-access-key", Other, "AWS secret access key";
    GithubToken => "github-token", Other, "GitHub token";
    GitlabToken => "gitlab-token", Other, "GitLab personal access token";
    SlackToken => "slack-token", Other, "Slack API token";
    SlackWebhook => "slack-webhook", Other, "Slack incoming webhook";
    NpmToken => "npm-token", Other, "npm access token";
    PypiToken => "pypi-token", Other, "PyPI upload token";
    ArtifactoryToken => "artifactory-token", Other, "JFrog Artifactory token";
    DockerHubToken => "docker-hub-token", Other, "Docker Hub personal access token";
    GoogleApiKey => "google-api-key", Other, "Google API key";
    StripeKey => "stripe-key", Other, "Stripe secret key";
    Jwt => "jwt", Other, "JSON web token";
    PrivateKey => "private-key", Other, "private key block";
    RegistryAuth => "registry-auth", Other, "container registry login in a docker config";
    UrlPassword => "url-password", Other, "password in a URL";
    CommandLinePassword => "command-line-password", Other, "password or token on a command line";
    SecretNamedVariable => "secret-named-variable", Keyword, "secret-named variable with a literal value";
    PrivateKeyFile => "private-key-file", File, "private key or keystore file";
    CredentialFile => "credential-file", File, "credential or secrets file";
}

impl SecretKind {
    /// The kind with this id, if any.
    pub fn from_id(id: &str) -> Option<SecretKind> {
        Self::ALL.iter().copied().find(|k| k.id() == id)
    }

    /// Order used when two detections overlap: the lower rank wins. IBM formats beat every other
    /// format on the same text (rules.md: "One finding per secret"); a named token format beats a
    /// generic JWT, and both beat the generic URL and command-line password detectors.
    pub(crate) fn overlap_rank(self) -> u8 {
        match self {
            SecretKind::IbmCloudApiKey | SecretKind::IbmCosHmacKey | SecretKind::IbmIamToken => 0,
            SecretKind::Jwt | SecretKind::RegistryAuth => 2,
            SecretKind::UrlPassword | SecretKind::CommandLinePassword => 3,
            SecretKind::SecretNamedVariable => 4,
            _ => 1,
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}
