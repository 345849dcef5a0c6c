//! The registry region table (`data/regions.toml`): names, domains and event locations.

use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionInfo {
    /// Region name as `ibmcloud cr region-set` spells it.
    pub name: String,
    /// Public registry host; the private one is `private.` + this.
    pub domain: String,
    /// Where Activity Tracker Event Routing locates this registry's events.
    pub event_location: String,
}

#[derive(Deserialize)]
struct RegionTable {
    regions: Vec<RegionInfo>,
}

/// Every registry region, in the order of the data file.
pub fn all() -> &'static [RegionInfo] {
    static TABLE: OnceLock<Vec<RegionInfo>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let table: RegionTable = toml::from_str(include_str!("../data/regions.toml"))
            .expect("data/regions.toml is valid (checked by a unit test)");
        table.regions
    })
}

pub fn by_name(name: &str) -> Option<&'static RegionInfo> {
    all().iter().find(|region| region.name == name)
}

/// The region whose public or private registry host is `domain`.
pub fn by_domain(domain: &str) -> Option<&'static RegionInfo> {
    let public = domain.strip_prefix("private.").unwrap_or(domain);
    all().iter().find(|region| region.domain == public)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    all().iter().map(|region| region.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_loads_with_unique_names_and_domains() {
        let regions = all();
        assert_eq!(regions.len(), 13);
        let mut names: Vec<_> = regions.iter().map(|r| &r.name).collect();
        names.dedup();
        assert_eq!(names.len(), 13);
    }

    #[test]
    fn global_events_are_located_in_us_east() {
        assert_eq!(by_name("global").unwrap().event_location, "us-east");
        assert_eq!(by_domain("private.uk.icr.io").unwrap().name, "eu-gb");
    }
}
