//! Cross-references checked once every section has read (`account.md`, "Loading rules").
//!
//! A route or default target naming an undeclared target is deliberately *not* checked here:
//! that is a real-world misconfiguration reported by rule ICR-AT-002.

use std::collections::{BTreeSet, HashSet};

use super::AccountFile;
use super::imageref::ImageRef;
use super::model::Account;
use crate::diagnostic::Problem;
use crate::path::DocPath;
use crate::suggest::did_you_mean;
use crate::toml_reader::Collector;

pub fn check_references(account: &Account, file: &AccountFile, out: &mut Collector) {
    // Reference errors are about values, so they underline the value.
    let at = |path: DocPath| file.locate(&path).value_span;
    let registry_regions: BTreeSet<&str> = account.registries.iter().map(|r| r.region.as_str()).collect();

    let mut seen = HashSet::new();
    for (i, registry) in account.registries.iter().enumerate() {
        if !seen.insert(registry.region.as_str()) {
            out.push(
                Problem::new(
                    at(DocPath::root().key("registries").index(i).key("region")),
                    format!("duplicate registry `{}`", registry.region),
                )
                .label("this region is already declared")
                .help("declare each registry region once"),
            );
        }
    }

    let mut namespaces = HashSet::new();
    for (i, ns) in account.namespaces.iter().enumerate() {
        let path = || DocPath::root().key("namespaces").index(i);
        if !registry_regions.contains(ns.region.as_str()) {
            out.push(
                Problem::new(
                    at(path().key("region")),
                    format!(
                        "namespace `{}` is in region `{}`, which has no [[registries]] entry",
                        ns.name, ns.region
                    ),
                )
                .label("no registry declared for this region")
                .help(format!("add [[registries]] with region = \"{}\"", ns.region)),
            );
        }
        if !namespaces.insert((ns.region.as_str(), ns.name.as_str())) {
            out.push(
                Problem::new(
                    at(path().key("name")),
                    format!("duplicate namespace `{}` in region `{}`", ns.name, ns.region),
                )
                .label("declared twice in this region")
                .help("namespace names are unique within a region"),
            );
        }
    }

    for (i, image) in account.images.iter().enumerate() {
        // Located only when there is something to report: this loop runs once per image.
        let span = || at(DocPath::root().key("images").index(i).key("ref"));
        let Some(parsed) = ImageRef::parse(&image.reference) else {
            out.push(
                Problem::new(span(), format!("invalid image reference `{}`", image.reference))
                    .label("expected domain/namespace/repository[:tag][@digest]")
                    .help("for example us.icr.io/shop-prod/api:1.4.2"),
            );
            continue;
        };
        let Some(region) = parsed.region() else {
            out.push(
                Problem::new(
                    span(),
                    format!(
                        "`{}` is not an IBM Cloud Container Registry domain",
                        parsed.domain
                    ),
                )
                .label("unknown registry domain")
                .help("registry domains are icr.io, us.icr.io, de.icr.io, … (and their private. forms)"),
            );
            continue;
        };
        if !registry_regions.contains(region.name.as_str()) {
            out.push(
                Problem::new(
                    span(),
                    format!(
                        "image is in registry `{}` ({}), which has no [[registries]] entry",
                        region.name, parsed.domain
                    ),
                )
                .label("no registry declared for this domain")
                .help(format!("add [[registries]] with region = \"{}\"", region.name)),
            );
        } else if !namespaces.contains(&(region.name.as_str(), parsed.namespace)) {
            let candidates = account
                .namespaces
                .iter()
                .filter(|ns| ns.region == region.name)
                .map(|ns| ns.name.as_str());
            let mut problem = Problem::new(
                span(),
                format!(
                    "image namespace `{}` is not a declared namespace in `{}`",
                    parsed.namespace, region.name
                ),
            )
            .label("undeclared namespace");
            if let Some(best) = did_you_mean(parsed.namespace, candidates) {
                problem = problem.help(format!("did you mean `{best}`?"));
            }
            out.push(problem);
        }
    }

    let service_ids: BTreeSet<&str> = account
        .iam
        .iter()
        .flat_map(|iam| iam.service_ids.iter().map(|s| s.id.as_str()))
        .collect();
    let mut check_service_id = |id: &str, path: DocPath, what: &str| {
        if id.starts_with("ServiceId-") && !service_ids.contains(id) {
            let mut problem = Problem::new(
                at(path),
                format!("{what} `{id}` is not declared in iam.service_ids"),
            )
            .label("undeclared service id");
            problem = match did_you_mean(id, service_ids.iter().copied()) {
                Some(best) => problem.help(format!("did you mean `{best}`?")),
                None => problem.help(format!("add [[iam.service_ids]] with id = \"{id}\"")),
            };
            out.push(problem);
        }
    };
    for (i, automation) in account.automation.iter().enumerate() {
        check_service_id(
            &automation.identity,
            DocPath::root().key("automation").index(i).key("identity"),
            "automation identity",
        );
    }
    if let Some(iam) = &account.iam {
        for (i, key) in iam.api_keys.iter().enumerate() {
            if let Some(owner) = &key.owner {
                check_service_id(
                    owner,
                    DocPath::root().key("iam").key("api_keys").index(i).key("owner"),
                    "API key owner",
                );
            }
        }
    }

    for (i, automation) in account.automation.iter().enumerate() {
        for (j, entry) in automation.namespaces.iter().enumerate() {
            let declared = match entry.split_once('/') {
                Some((region, name)) => namespaces.contains(&(region, name)),
                None => account.namespaces.iter().any(|ns| ns.name == *entry),
            };
            if !declared {
                let path = DocPath::root()
                    .key("automation")
                    .index(i)
                    .key("namespaces")
                    .index(j);
                let mut problem = Problem::new(
                    at(path),
                    format!(
                        "automation `{}` names namespace `{entry}`, which is not declared",
                        automation.name
                    ),
                )
                .label("undeclared namespace");
                if let Some(best) = did_you_mean(entry, account.namespaces.iter().map(|ns| ns.name.as_str()))
                {
                    problem = problem.help(format!("did you mean `{best}`?"));
                }
                out.push(problem);
            }
        }
    }
}
