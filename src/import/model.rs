//! What a capture says, normalised: per section of `account.toml`, entries with their identity
//! and the keys the import owns. Readers build it; `merge` writes it into the document.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// A value to write into `account.toml`.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Str(String),
    Int(i64),
    Bool(bool),
    /// Written as a TOML datetime in UTC, whole seconds.
    Time(DateTime<Utc>),
    /// `account.captured_at`, whatever it is at merge time (the VA time of an image `cr va`
    /// did not report): the capture is read once, whatever time it is merged at.
    CapturedAt,
    Array(Vec<Field>),
    /// A map owned as a whole (labels): replaced when it differs.
    Map(Vec<(String, Field)>),
    /// A record whose keys are owned one by one (quota, retention): merged key by key, so a
    /// user's key inside it survives. `None` removes that key.
    Record(Vec<(&'static str, Option<Field>)>),
}

impl Field {
    pub fn str(text: impl Into<String>) -> Self {
        Field::Str(text.into())
    }

    /// An enum value in account.md's spelling when IBM's is a known alias (`Standard` →
    /// `standard`); an unknown one is kept as IBM printed it, for the loader to report.
    pub fn choice<C: crate::toml_reader::Choice + Canonical>(text: String) -> Self {
        match C::from_spelling(text.trim()) {
            Some(choice) => Field::Str(choice.canonical().to_owned()),
            None => Field::Str(text),
        }
    }

    pub fn strings<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Self {
        Field::Array(items.into_iter().map(|s| Field::Str(s.into())).collect())
    }
}

/// The canonical spelling of an account-file enum.
pub trait Canonical {
    fn canonical(self) -> &'static str;
}

macro_rules! canonical {
    ($($name:ident),*) => {
        $(impl Canonical for crate::account::model::$name {
            fn canonical(self) -> &'static str {
                self.as_str()
            }
        })*
    };
}
canonical!(Plan, TargetType, WriteStatus, Enforcement);

/// The sections of `account.toml` that hold entries (arrays of tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SectionKind {
    Registries,
    Namespaces,
    Images,
    Exemptions,
    AccessGroups,
    Policies,
    ServiceIds,
    ApiKeys,
    CbrRules,
    Targets,
    Routes,
}

impl SectionKind {
    /// Every section, in the order `account.md` lists them (and a new file holds them).
    pub const ALL: [SectionKind; 11] = [
        SectionKind::Registries,
        SectionKind::Namespaces,
        SectionKind::Images,
        SectionKind::Exemptions,
        SectionKind::AccessGroups,
        SectionKind::Policies,
        SectionKind::ServiceIds,
        SectionKind::ApiKeys,
        SectionKind::CbrRules,
        SectionKind::Targets,
        SectionKind::Routes,
    ];

    /// The keys from the document's root to the array of tables.
    pub fn path(self) -> &'static [&'static str] {
        match self {
            SectionKind::Registries => &["registries"],
            SectionKind::Namespaces => &["namespaces"],
            SectionKind::Images => &["images"],
            SectionKind::Exemptions => &["exemptions"],
            SectionKind::AccessGroups => &["iam", "access_groups"],
            SectionKind::Policies => &["iam", "policies"],
            SectionKind::ServiceIds => &["iam", "service_ids"],
            SectionKind::ApiKeys => &["iam", "api_keys"],
            SectionKind::CbrRules => &["iam", "cbr_rules"],
            SectionKind::Targets => &["activity_tracker", "targets"],
            SectionKind::Routes => &["activity_tracker", "routes"],
        }
    }

    /// The dotted name, as in `[[iam.policies]]`.
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Registries => "registries",
            SectionKind::Namespaces => "namespaces",
            SectionKind::Images => "images",
            SectionKind::Exemptions => "exemptions",
            SectionKind::AccessGroups => "iam.access_groups",
            SectionKind::Policies => "iam.policies",
            SectionKind::ServiceIds => "iam.service_ids",
            SectionKind::ApiKeys => "iam.api_keys",
            SectionKind::CbrRules => "iam.cbr_rules",
            SectionKind::Targets => "activity_tracker.targets",
            SectionKind::Routes => "activity_tracker.routes",
        }
    }
}

/// Which existing entries a given capture file can judge stale: an entry absent from a file
/// is stale only when that file speaks for the entry's scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Every entry of the section.
    All,
    /// The entries of one registry region.
    Region(String),
    /// API keys owned by users (`iam-api-keys.json`).
    UserKeys,
    /// API keys owned by service ids (`iam-service-api-keys.json`).
    ServiceIdKeys,
    /// An existing image: its region and `namespace/repo`. A region's image listing judges
    /// it, or a listing restricted to repositories that include it.
    Repository(String, String),
    /// An image listing restricted to these repositories of a region (`collect --image`, as
    /// `capture-scope.json` says): it judges only their images.
    Repositories(String, Vec<String>),
}

impl Scope {
    /// Whether a capture file given for `self` speaks for an entry of scope `entry`.
    pub fn covers(&self, entry: &Scope) -> bool {
        match (self, entry) {
            (Scope::All, _) => true,
            (Scope::Region(region), Scope::Repository(entry_region, _)) => region == entry_region,
            (Scope::Repositories(region, repositories), Scope::Repository(entry_region, repository)) => {
                region == entry_region && repositories.contains(repository)
            }
            _ => self == entry,
        }
    }
}

/// One entry of a section, as the capture shows it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// What identifies the entry (import.md, "Merging" 1), normalised for matching.
    pub key: String,
    /// The identity as a person reads it, for the summary.
    pub label: String,
    /// Identity keys, written only when the entry is new (an existing one keeps its spelling).
    pub identity: Vec<(&'static str, Field)>,
    /// Keys the import owns for this entry: set, or removed when `None`. Keys not listed are
    /// left as they are.
    pub fields: Vec<(&'static str, Option<Field>)>,
    /// The capture file, relative to the capture folder (`regions/us-south/cr-image-list.json`).
    pub source: String,
    /// A comment written above a new entry (a policy kept as written).
    pub note: Option<&'static str>,
    /// False for details that update an existing entry but never add one (a `cr va` result
    /// for an image that no image list shows).
    pub add: bool,
}

impl Entry {
    pub fn new(key: impl Into<String>, label: impl Into<String>, source: &str) -> Self {
        Self {
            key: key.into(),
            label: label.into(),
            identity: Vec::new(),
            fields: Vec::new(),
            source: source.to_owned(),
            note: None,
            add: true,
        }
    }

    pub fn id(mut self, key: &'static str, value: Field) -> Self {
        self.identity.push((key, value));
        self
    }

    pub fn set(&mut self, key: &'static str, value: Option<Field>) {
        match self.fields.iter_mut().find(|(name, _)| *name == key) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((key, value)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Option<Field>> {
        self.fields
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| value)
    }
}

/// A section's entries and the files that judge staleness in it.
#[derive(Debug, Clone)]
pub struct Section {
    pub kind: SectionKind,
    pub entries: Vec<Entry>,
    /// Scopes for which a capture file was given, with that file.
    pub judged: Vec<(Scope, String)>,
}

impl Section {
    pub fn new(kind: SectionKind) -> Self {
        Self {
            kind,
            entries: Vec::new(),
            judged: Vec::new(),
        }
    }

    /// The file that judges `scope`, when one was given.
    pub fn judged_by(&self, scope: &Scope) -> Option<&str> {
        self.judged
            .iter()
            .find(|(judged, _)| judged.covers(scope))
            .map(|(_, file)| file.as_str())
    }
}

/// A key of a plain table (`account.name`, `iam.public_access_enabled`) owned by the import.
#[derive(Debug, Clone)]
pub struct Setting {
    pub table: &'static str,
    pub key: &'static str,
    pub value: Field,
    pub source: String,
}

/// Everything a capture folder says, ready to merge.
#[derive(Debug, Clone, Default)]
pub struct Capture {
    /// The account id from `account-show.json`, with that file.
    pub account_id: Option<(String, String)>,
    pub settings: Vec<Setting>,
    /// Sections in `SectionKind::ALL` order; only those a capture file spoke for.
    pub sections: Vec<Section>,
    /// Things the user should know that are not errors (an unknown file, an ignored result).
    pub warnings: Vec<String>,
    /// Capture files read, relative to the folder, sorted.
    pub files: Vec<String>,
    /// Regions whose image listings were restricted to some repositories
    /// (`capture-scope.json`, written by `collect --image`): region → `namespace/repo`s.
    pub restricted: BTreeMap<String, Vec<String>>,
}

impl Capture {
    pub fn section_mut(&mut self, kind: SectionKind) -> &mut Section {
        let position = match self.sections.iter().position(|s| s.kind == kind) {
            Some(position) => position,
            None => {
                let at = self.sections.partition_point(|s| s.kind < kind);
                self.sections.insert(at, Section::new(kind));
                at
            }
        };
        &mut self.sections[position]
    }

    pub fn section(&self, kind: SectionKind) -> Option<&Section> {
        self.sections.iter().find(|s| s.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::Scope;

    #[test]
    fn a_restricted_listing_judges_only_its_repositories() {
        let image = |region: &str, repository: &str| Scope::Repository(region.into(), repository.into());
        let region = Scope::Region("us-south".into());
        let restricted = Scope::Repositories("us-south".into(), vec!["shop/api".into()]);
        assert!(region.covers(&image("us-south", "shop/web")));
        assert!(!region.covers(&image("eu-de", "shop/web")));
        assert!(restricted.covers(&image("us-south", "shop/api")));
        assert!(!restricted.covers(&image("us-south", "shop/web")));
        assert!(!restricted.covers(&image("eu-de", "shop/api")));
        assert!(Scope::All.covers(&image("eu-de", "shop/api")));
        assert!(!restricted.covers(&region));
    }
}
