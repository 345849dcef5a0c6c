//! The JSONPath subset (RFC 9535) that `for_each` uses: `$`, `.name`, `['name']`, `[N]`,
//! `[*]` and `.*`. Filters are left to CEL (`when`), which is where conditions belong.

use super::cel::Node;
use crate::path::{DocPath, Segment};

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

/// A selected node and what a rule sees of its place: `item`, `parent`, `key`, `index`.
pub struct Match<'s, 'a> {
    steps: &'s [PathStep<'s>],
    pub node: Node<'a>,
    pub parent: Option<Node<'a>>,
    pub key: Option<&'a str>,
    pub index: Option<usize>,
}

impl Match<'_, '_> {
    /// The node's path from the root (`images[3].env[0]`).
    pub fn doc_path(&self) -> DocPath {
        DocPath(
            self.steps
                .iter()
                .map(|step| match step {
                    PathStep::Key(name) => Segment::Key((*name).to_owned()),
                    PathStep::Index(at) => Segment::Index(*at),
                })
                .collect(),
        )
    }
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

    /// Calls `visit` with every node the path selects, in document order (map entries sorted
    /// by key), and stops at the first error. Nothing is collected and no path is built: the
    /// match lends its steps, and [`Match::doc_path`] makes a [`DocPath`] only when one is needed
    /// (a failure or a recorded pass), because a large account has a million subjects.
    pub fn visit<'a, E>(
        &self,
        root: Node<'a>,
        visit: &mut dyn FnMut(&Match<'_, 'a>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut steps = Vec::with_capacity(self.selectors.len());
        self.walk(0, root, None, None, None, &mut steps, visit)
    }

    #[allow(clippy::too_many_arguments)] // one recursion step: the match being built, in parts
    fn walk<'s, 'a: 's, E>(
        &'s self,
        depth: usize,
        node: Node<'a>,
        parent: Option<Node<'a>>,
        key: Option<&'a str>,
        index: Option<usize>,
        steps: &mut Vec<PathStep<'s>>,
        visit: &mut dyn FnMut(&Match<'_, 'a>) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(selector) = self.selectors.get(depth) else {
            return visit(&Match {
                steps,
                node,
                parent,
                key,
                index,
            });
        };
        // The map this step descends from is the parent of what it selects; a list step keeps
        // the map above the list.
        let below = if node.is_map() { Some(node) } else { parent };
        match selector {
            Selector::Name(name) => {
                if let Some(child) = node.get(name) {
                    steps.push(PathStep::Key(name));
                    self.walk(depth + 1, child, below, None, None, steps, visit)?;
                    steps.pop();
                }
            }
            Selector::Index(at) => {
                if let Some(child) = node.index(*at) {
                    steps.push(PathStep::Index(*at));
                    self.walk(depth + 1, child, below, None, Some(*at), steps, visit)?;
                    steps.pop();
                }
            }
            Selector::Wildcard => {
                if let Some(elements) = node.elements() {
                    for (at, child) in elements.enumerate() {
                        steps.push(PathStep::Index(at));
                        self.walk(depth + 1, child, below, None, Some(at), steps, visit)?;
                        steps.pop();
                    }
                } else if let Some(entries) = node.entries() {
                    for (name, child) in entries {
                        steps.push(PathStep::Key(name));
                        // The entries of a table keep the record above the table
                        // (`$.images[*].labels.*`: the image), as a list step does.
                        self.walk(depth + 1, child, parent, Some(name), None, steps, visit)?;
                        steps.pop();
                    }
                }
            }
        }
        Ok(())
    }

    /// Every node the path selects, collected (for tests).
    #[cfg(test)]
    fn select<'a>(
        &self,
        root: Node<'a>,
    ) -> Vec<(
        DocPath,
        Node<'a>,
        Option<Node<'a>>,
        Option<&'a str>,
        Option<usize>,
    )> {
        let mut found = Vec::new();
        let _ = self.visit::<()>(root, &mut |m| {
            found.push((m.doc_path(), m.node, m.parent, m.key, m.index));
            Ok(())
        });
        found
    }
}

/// One step from the root to a match.
#[derive(Debug, Clone, Copy)]
pub enum PathStep<'s> {
    Key(&'s str),
    Index(usize),
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
        let paths: Vec<String> = found.iter().map(|m| m.0.to_string()).collect();
        assert_eq!(
            paths,
            ["routes[0].rules[0]", "routes[0].rules[1]", "routes[1].rules[0]"]
        );
        assert_eq!(found[2].4, Some(0));
        assert_eq!(found[2].2.unwrap().get("id").unwrap().as_str(), Some("b"));
    }

    #[test]
    fn map_wildcard_is_sorted_and_binds_keys() {
        let doc = doc("labels = { zeta = 'z', alpha = 'a' }");
        let found = JsonPath::parse("$['labels'].*").unwrap().select(doc.root());
        let keys: Vec<_> = found.iter().map(|m| m.3.unwrap()).collect();
        assert_eq!(keys, ["alpha", "zeta"]);
        assert!(
            found[0].2.unwrap().get("labels").is_some(),
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
