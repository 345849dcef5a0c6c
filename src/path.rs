//! Key paths into an account file: `namespaces[3].replicas[0].region`.
//!
//! Rules, findings and load errors all name places by path; `account::AccountFile::locate`
//! turns a path into a span of the file.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocPath(pub Vec<Segment>);

impl DocPath {
    pub fn root() -> Self {
        Self(Vec::new())
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.0.push(Segment::Key(key.into()));
        self
    }

    pub fn index(mut self, index: usize) -> Self {
        self.0.push(Segment::Index(index));
        self
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Parses the dotted form that `Display` writes (also accepts `$.` and `['key']` prefixes).
    pub fn parse(text: &str) -> Option<Self> {
        let mut rest = text.trim();
        rest = rest.strip_prefix('$').unwrap_or(rest);
        let mut path = DocPath::root();
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('.') {
                rest = after;
                continue;
            }
            if let Some(after) = rest.strip_prefix('[') {
                let close = after.find(']')?;
                let inner = after[..close].trim();
                rest = &after[close + 1..];
                if let Ok(index) = inner.parse::<usize>() {
                    path = path.index(index);
                } else {
                    let quoted = inner
                        .strip_prefix('\'')
                        .and_then(|s| s.strip_suffix('\''))
                        .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))?;
                    path = path.key(quoted);
                }
                continue;
            }
            if let Some(after) = rest.strip_prefix('"') {
                let close = after.find('"')?;
                path = path.key(&after[..close]);
                rest = &after[close + 1..];
                continue;
            }
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            if end == 0 {
                return None;
            }
            path = path.key(&rest[..end]);
            rest = &rest[end..];
        }
        Some(path)
    }
}

fn is_bare_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for DocPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) => {
                    if position > 0 {
                        f.write_str(".")?;
                    }
                    if is_bare_key(key) {
                        f.write_str(key)?;
                    } else {
                        write!(f, "\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\""))?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_round_trip() {
        let path = DocPath::root()
            .key("images")
            .index(2)
            .key("labels")
            .key("org.opencontainers.image.title");
        let text = path.to_string();
        assert_eq!(text, "images[2].labels.\"org.opencontainers.image.title\"");
        assert_eq!(DocPath::parse(&text), Some(path));
    }

    #[test]
    fn parses_jsonpath_style() {
        assert_eq!(
            DocPath::parse("$['namespaces'][3].replicas[0]"),
            Some(
                DocPath::root()
                    .key("namespaces")
                    .index(3)
                    .key("replicas")
                    .index(0)
            )
        );
    }
}
