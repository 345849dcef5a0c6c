//! The JSONPath subset (RFC 9535) that `for_each` uses: `$`, `.name`, `['name']`, `[N]`,
//! `[*]` and `.*`. Filters are left to CEL (`when`), which is where conditions belong.

use super::cel::Node;
use crate::path::DocPath;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Selector {
    Name(String),
    Index(usize),
    Wildcard,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    text: String,
    selectors: Vec<Selector>,
    /// Byte offset of each selector in `text`, for errors about a step.
    offsets: Vec<usize>,
}

/// One step of a path, as schema checks see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// `.name` or `['name']`
    Member(&'a str),
    /// `[N]`
    Element,
    /// `[*]` or `.*`
    Wildcard,
}

/// A JSONPath syntax error and the byte offset it was found at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    pub message: String,
    pub offset: usize,
}

/// One node selected by a path, with what the rule binds next to it.
#[derive(Debug, Clone)]
pub struct Match<'a> {
    pub path: DocPath,
    pub node: Node<'a>,
    /// The nearest map above the node (the table holding the array or key it sits in).
    pub parent: Option<Node<'a>>,
    /// The key, when the node was selected as a map entry.
    pub key: Option<&'a str>,
    /// The position, when the node was selected as a list element.
    pub index: Option<usize>,
}

impl JsonPath {
    pub fn parse(text: &str) -> Result<Self, PathError> {
        let error = |message: &str, offset: usize| PathError {
            message: message.to_owned(),
            offset,
        };
        let bytes = text.as_bytes();
        if bytes.first() != Some(&b'$') {
            return Err(error("a JSONPath starts with `$`", 0));
        }
        let mut selectors = Vec::new();
        let mut offsets = Vec::new();
        let mut at = 1;
        while at < bytes.len() {
            offsets.push(at);
            match bytes[at] {
                b'.' => {
                    at += 1;
                    if bytes.get(at) == Some(&b'*') {
                        selectors.push(Selector::Wildcard);
                        at += 1;
                        continue;
                    }
                    let start = at;
                    while at < bytes.len()
                        && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_' || bytes[at] == b'-')
                    {
                        at += 1;
                    }
                    if start == at {
                        return Err(error("expected a member name or `*` after `.`", start));
                    }
                    selectors.push(Selector::Name(text[start..at].to_owned()));
                }
                b'[' => {
                    let close = text[at..]
                        .find(']')
                        .map(|offset| at + offset)
                        .ok_or_else(|| error("unclosed `[`", at))?;
                    let inner = text[at + 1..close].trim();
                    let selector = if inner == "*" {
                        Selector::Wildcard
                    } else if let Ok(index) = inner.parse::<usize>() {
                        Selector::Index(index)
                    } else if let Some(name) = inner
                        .strip_prefix('\'')
                        .and_then(|s| s.strip_suffix('\''))
                        .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                    {
                        Selector::Name(name.to_owned())
                    } else {
                        return Err(error(
                            "unsupported selector: use ['name'], [N] or [*] (filter with `when` instead)",
                            at,
                        ));
                    };
                    selectors.push(selector);
                    at = close + 1;
                }
                _ => return Err(error("expected `.` or `[`", at)),
            }
        }
        Ok(Self {
            text: text.to_owned(),
            selectors,
            offsets,
        })
    }

    /// The steps with their byte offsets in the path text.
    pub fn steps(&self) -> impl Iterator<Item = (Step<'_>, usize)> {
        self.selectors
            .iter()
            .zip(self.offsets.iter().copied())
            .map(|(selector, offset)| {
                let step = match selector {
                    Selector::Name(name) => Step::Member(name),
                    Selector::Index(_) => Step::Element,
                    Selector::Wildcard => Step::Wildcard,
                };
                (step, offset)
            })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Every node the path selects, in document order (map entries sorted by key).
    pub fn select<'a>(&self, root: Node<'a>) -> Vec<Match<'a>> {
        let mut current = vec![Match {
            path: DocPath::root(),
            node: root,
            parent: None,
            key: None,
            index: None,
        }];
        for selector in &self.selectors {
            let mut next = Vec::with_capacity(current.len());
            for found in current {
                // The map this step descends from is the parent of what it selects; a list
                // step keeps the map above the list.
                let parent = if found.node.entries().is_some() {
                    Some(found.node)
                } else {
                    found.parent
                };
                match selector {
                    Selector::Name(name) => {
                        if let Some(node) = found.node.get(name) {
                            next.push(Match {
                                path: found.path.clone().key(name),
                                node,
                                parent,
                                key: None,
                                index: None,
                            });
                        }
                    }
                    Selector::Index(index) => {
                        if let Some(node) = found.node.index(*index) {
                            next.push(Match {
                                path: found.path.clone().index(*index),
                                node,
                                parent,
                                key: None,
                                index: Some(*index),
                            });
                        }
                    }
                    Selector::Wildcard => {
                        if let Some(elements) = found.node.elements() {
                            for (index, node) in elements.enumerate() {
                                next.push(Match {
                                    path: found.path.clone().index(index),
                                    node,
                                    parent,
                                    key: None,
                                    index: Some(index),
                                });
                            }
                        } else if let Some(entries) = found.node.entries() {
                            for (key, node) in entries {
                                next.push(Match {
                                    path: found.path.clone().key(key),
                                    node,
                                    // The entries of a table keep the record above the table
                                    // (`$.images[*].labels.*`: the image), as a list step does.
                                    parent: found.parent,
                                    key: Some(key),
                                    index: None,
                                });
                            }
                        }
                    }
                }
            }
            current = next;
        }
        current
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::cel::Document;
    use crate::engine::data::Data;

    fn doc(toml: &str) -> Document {
        Document::from_data(&Data::from_toml(&toml::Value::Table(toml::from_str(toml).unwrap())).unwrap())
    }

    #[test]
    fn selects_nested_arrays_with_paths_parents_and_indexes() {
        let doc = doc(r#"
            [[routes]]
            id = "a"
            rules = [{ n = 1 }, { n = 2 }]
            [[routes]]
            id = "b"
            rules = [{ n = 3 }]
        "#);
        let path = JsonPath::parse("$.routes[*].rules[*]").unwrap();
        let found = path.select(doc.root());
        let paths: Vec<String> = found.iter().map(|m| m.path.to_string()).collect();
        assert_eq!(
            paths,
            ["routes[0].rules[0]", "routes[0].rules[1]", "routes[1].rules[0]"]
        );
        assert_eq!(found[2].index, Some(0));
        assert_eq!(found[2].parent.unwrap().get("id").unwrap().as_str(), Some("b"));
    }

    #[test]
    fn map_wildcard_is_sorted_and_binds_keys() {
        let doc = doc("labels = { zeta = 'z', alpha = 'a' }");
        let found = JsonPath::parse("$['labels'].*").unwrap().select(doc.root());
        let keys: Vec<_> = found.iter().map(|m| m.key.unwrap()).collect();
        assert_eq!(keys, ["alpha", "zeta"]);
        assert!(
            found[0].parent.unwrap().get("labels").is_some(),
            "the record above the table"
        );
    }

    #[test]
    fn root_selects_the_document_and_missing_names_select_nothing() {
        let doc = doc("a = 1");
        assert_eq!(JsonPath::parse("$").unwrap().select(doc.root()).len(), 1);
        assert!(JsonPath::parse("$.b[*]").unwrap().select(doc.root()).is_empty());
    }

    #[test]
    fn rejects_filters_and_garbage_with_offsets() {
        assert_eq!(JsonPath::parse("namespaces").unwrap_err().offset, 0);
        assert_eq!(JsonPath::parse("$.a[?@.b]").unwrap_err().offset, 3);
        assert!(JsonPath::parse("$.a[").is_err());
    }
}
