//! The JSONPath subset (RFC 9535) that `for_each` uses: `$`, `.name`, `['name']`, `[N]`,
//! `[*]` and `.*`. Filters are left to CEL (`when`), which is where conditions belong.

use super::cel::{FieldKey, Node};
use std::ops::Range;

use crate::path::{DocPath, Segment};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Selector {
    Name(String, FieldKey),
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
                    let name = &text[start..at];
                    selectors.push(Selector::Name(name.to_owned(), FieldKey::new(name)));
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
                        Selector::Name(name.to_owned(), FieldKey::new(name))
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
                    Selector::Name(name, _) => Step::Member(name),
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
        self.visit_part(root, None, visit)
    }

    /// The length of the list that the path's first `[*]` walks (`images` for
    /// `$.images[*].env[*]`), if there is one: the engine splits it into parts
    /// ([`visit_part`](Self::visit_part)) to share one rule's subjects among cores.
    pub fn fanout(&self, root: Node<'_>) -> Option<usize> {
        let mut node = root;
        for selector in &self.selectors {
            node = match selector {
                Selector::Name(_, key) => node.field(key)?,
                Selector::Index(at) => node.index(*at)?,
                Selector::Wildcard => return node.list_len(),
            };
        }
        None
    }

    /// [`visit`](Self::visit) restricted to the elements `part` of the list that the first `[*]`
    /// walks (see [`fanout`](Self::fanout)); the whole path when `part` is `None`.
    pub fn visit_part<'a, E>(
        &self,
        root: Node<'a>,
        part: Option<Range<usize>>,
        visit: &mut dyn FnMut(&Match<'_, 'a>) -> Result<(), E>,
    ) -> Result<(), E> {
        let first_wildcard = self
            .selectors
            .iter()
            .position(|s| matches!(s, Selector::Wildcard));
        let mut walker = Walker {
            steps: Vec::with_capacity(self.selectors.len()),
            part: first_wildcard.zip(part),
            visit,
        };
        walker.walk(self, 0, root, None, None, None)
    }
}

/// The state of one [`JsonPath::visit_part`]: the steps from the root, the part of the first
/// list to walk (its depth and range), and the callback.
struct Walker<'s, 'v, 'a, E> {
    steps: Vec<PathStep<'s>>,
    part: Option<(usize, Range<usize>)>,
    visit: &'v mut dyn FnMut(&Match<'_, 'a>) -> Result<(), E>,
}

impl<'s, 'a: 's, E> Walker<'s, '_, 'a, E> {
    fn walk(
        &mut self,
        path: &'s JsonPath,
        depth: usize,
        node: Node<'a>,
        parent: Option<Node<'a>>,
        key: Option<&'a str>,
        index: Option<usize>,
    ) -> Result<(), E> {
        let Some(selector) = path.selectors.get(depth) else {
            return (self.visit)(&Match {
                steps: &self.steps,
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
            Selector::Name(name, field) => {
                if let Some(child) = node.field(field) {
                    self.steps.push(PathStep::Key(name));
                    self.walk(path, depth + 1, child, below, None, None)?;
                    self.steps.pop();
                }
            }
            Selector::Index(at) => {
                if let Some(child) = node.index(*at) {
                    self.steps.push(PathStep::Index(*at));
                    self.walk(path, depth + 1, child, below, None, Some(*at))?;
                    self.steps.pop();
                }
            }
            Selector::Wildcard => {
                if let Some(len) = node.list_len() {
                    let range = match &self.part {
                        Some((part_depth, range)) if *part_depth == depth => range.start..range.end.min(len),
                        _ => 0..len,
                    };
                    for at in range {
                        let Some(child) = node.index(at) else { break };
                        self.steps.push(PathStep::Index(at));
                        self.walk(path, depth + 1, child, below, None, Some(at))?;
                        self.steps.pop();
                    }
                } else if let Some(entries) = node.entries() {
                    for (name, child) in entries {
                        self.steps.push(PathStep::Key(name));
                        // The entries of a table keep the record above the table
                        // (`$.images[*].labels.*`: the image), as a list step does.
                        self.walk(path, depth + 1, child, parent, Some(name), None)?;
                        self.steps.pop();
                    }
                }
            }
        }
        Ok(())
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

    /// A match, collected.
    struct Selected<'a> {
        path: DocPath,
        parent: Option<Node<'a>>,
        key: Option<&'a str>,
        index: Option<usize>,
    }

    fn select<'a>(path: &JsonPath, root: Node<'a>) -> Vec<Selected<'a>> {
        let mut found = Vec::new();
        let _ = path.visit::<()>(root, &mut |m| {
            found.push(Selected {
                path: m.doc_path(),
                parent: m.parent,
                key: m.key,
                index: m.index,
            });
            Ok(())
        });
        found
    }
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
        let found = select(&path, doc.root());
        let paths: Vec<String> = found.iter().map(|m| m.path.to_string()).collect();
        assert_eq!(
            paths,
            ["routes[0].rules[0]", "routes[0].rules[1]", "routes[1].rules[0]"]
        );
        assert_eq!(found[2].index, Some(0));
        assert_eq!(found[2].parent.unwrap().get("id").unwrap().as_str(), Some("b"));
    }

    #[test]
    fn parts_of_the_first_list_together_select_what_the_whole_path_does() {
        let doc = doc(r#"
            [[images]]
            env = ["A=1", "B=2"]
            [[images]]
            [[images]]
            env = ["C=3"]
            [[images]]
            env = ["D=4", "E=5"]
        "#);
        let path = JsonPath::parse("$.images[*].env[*]").unwrap();
        assert_eq!(path.fanout(doc.root()), Some(4));
        assert_eq!(JsonPath::parse("$.absent[*]").unwrap().fanout(doc.root()), None);
        let whole: Vec<String> = select(&path, doc.root())
            .iter()
            .map(|m| m.path.to_string())
            .collect();
        let mut parts = Vec::new();
        for part in [0..1, 1..3, 3..9] {
            let _ = path.visit_part::<()>(doc.root(), Some(part), &mut |m| {
                parts.push(m.doc_path().to_string());
                Ok(())
            });
        }
        assert_eq!(parts, whole);
        assert_eq!(whole.len(), 5);
    }

    #[test]
    fn map_wildcard_is_sorted_and_binds_keys() {
        let doc = doc("labels = { zeta = 'z', alpha = 'a' }");
        let found = select(&JsonPath::parse("$['labels'].*").unwrap(), doc.root());
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
        assert_eq!(select(&JsonPath::parse("$").unwrap(), doc.root()).len(), 1);
        assert!(select(&JsonPath::parse("$.b[*]").unwrap(), doc.root()).is_empty());
    }

    #[test]
    fn rejects_filters_and_garbage_with_offsets() {
        assert_eq!(JsonPath::parse("namespaces").unwrap_err().offset, 0);
        assert_eq!(JsonPath::parse("$.a[?@.b]").unwrap_err().offset, 3);
        assert!(JsonPath::parse("$.a[").is_err());
    }
}
