//! The image refs of a region, read from its `image-list` and `image-digests` captures, so that
//! each image can be inspected and its Vulnerability Advisor report read. Keys are matched
//! case-insensitively and both list shapes of import.md are read: the CLI's (`Repository`,
//! `Tag`, `Digest`, and `Tags` in the digests list) and the API's (`RepoTags`, `RepoDigests`).
//! A tagged image is `repo:tag` (one ref per tag); an untagged one is `repo@digest`.
//! Entries without an identity are skipped here: `import` reports them.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// Every image ref in the given listings, sorted and without duplicates. `domain` is the
/// region's registry host, put in front of a repository that lacks one.
pub fn image_refs<'v>(domain: &str, listings: impl IntoIterator<Item = &'v Value>) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    for listing in listings {
        for entry in entries(listing) {
            if let Value::Object(entry) = entry {
                add_refs(domain, entry, &mut refs);
            }
        }
    }
    refs
}

/// The list inside a listing: bare, or the one array of a wrapping object.
pub fn entries(listing: &Value) -> &[Value] {
    match listing {
        Value::Array(items) => items,
        Value::Object(map) => {
            let mut arrays = map.values().filter_map(Value::as_array);
            match (arrays.next(), arrays.next()) {
                (Some(items), None) => items,
                _ => &[],
            }
        }
        _ => &[],
    }
}

/// A key's value, the key matched case-insensitively.
pub fn get<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn text<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m str> {
    get(map, key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn texts<'m>(map: &'m Map<String, Value>, key: &str) -> Vec<&'m str> {
    get(map, key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty() && !is_none_tag(s))
                .collect()
        })
        .unwrap_or_default()
}

fn is_none_tag(tag: &str) -> bool {
    tag == "<none>" || tag.ends_with(":<none>") || tag.ends_with("@<none>")
}

fn add_refs(domain: &str, entry: &Map<String, Value>, refs: &mut BTreeSet<String>) {
    if let Some(repository) = text(entry, "Repository") {
        let repository = with_domain(domain, repository);
        let mut tags: Vec<&str> = texts(entry, "Tags");
        tags.extend(text(entry, "Tag").filter(|tag| !is_none_tag(tag)));
        if tags.is_empty()
            && let Some(digest) = text(entry, "Digest")
        {
            refs.insert(format!("{repository}@{digest}"));
        }
        for tag in tags {
            refs.insert(format!("{repository}:{tag}"));
        }
        return;
    }
    let tagged = texts(entry, "RepoTags");
    if tagged.is_empty() {
        refs.extend(
            texts(entry, "RepoDigests")
                .into_iter()
                .map(|r| with_domain(domain, r)),
        );
    } else {
        refs.extend(tagged.into_iter().map(|r| with_domain(domain, r)));
    }
}

/// `ns/repo` → `domain/ns/repo`; a name whose first part is a host is left as it is.
fn with_domain(domain: &str, name: &str) -> String {
    match name.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            name.to_owned()
        }
        _ => format!("{domain}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const D: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    #[test]
    fn both_list_shapes_and_the_digests_list_give_refs() {
        let cli = json!([
            {"Repository": "us.icr.io/shop/api", "Tag": "1.0", "Digest": D},
            {"repository": "shop/web", "tag": "<none>", "digest": D}
        ]);
        let api = json!({"images": [
            {"RepoTags": ["us.icr.io/shop/api:1.0", "us.icr.io/shop/api:latest"], "RepoDigests": []},
            {"RepoTags": [], "RepoDigests": [format!("us.icr.io/shop/old@{D}")]}
        ]});
        let digests = json!([
            {"Repository": "us.icr.io/shop/api", "Digest": D, "Tags": ["1.0", "stable"]},
            {"Repository": "us.icr.io/shop/tmp", "Digest": D, "Tags": []},
            {"Digest": D}
        ]);
        let refs = image_refs("us.icr.io", [&cli, &api, &digests]);
        let expected = [
            "us.icr.io/shop/api:1.0".to_owned(),
            "us.icr.io/shop/api:latest".to_owned(),
            "us.icr.io/shop/api:stable".to_owned(),
            format!("us.icr.io/shop/old@{D}"),
            format!("us.icr.io/shop/tmp@{D}"),
            format!("us.icr.io/shop/web@{D}"),
        ];
        assert_eq!(refs.into_iter().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn a_listing_of_another_shape_gives_nothing() {
        assert!(image_refs("us.icr.io", [&json!({"a": [], "b": []}), &json!("text")]).is_empty());
    }
}
