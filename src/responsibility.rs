//! IBM's shared-responsibility table for Container Registry (`data/responsibilities.toml`) and
//! the tags regcheck gives the customer's rows (R1…R6) and its own best practices (BP).

use std::sync::OnceLock;

use serde::Deserialize;

/// One row of IBM's table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub area: String,
    pub task: String,
    /// IBM's part; empty where IBM has none.
    pub ibm: String,
    /// The customer's part; empty for IBM's rows.
    pub customer: String,
    /// The responsibility tag of the rules that cover the customer's part.
    #[serde(default)]
    pub tag: Option<String>,
}

#[derive(Deserialize)]
struct Table {
    rows: Vec<Row>,
}

/// Every row, in IBM's order.
pub fn rows() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| {
        let table: Table = toml::from_str(include_str!("../data/responsibilities.toml"))
            .expect("data/responsibilities.toml is valid (checked by a unit test)");
        table.rows
    })
}

pub struct Responsibility {
    pub tag: &'static str,
    pub title: &'static str,
}

/// The tags of the customer's rows and of regcheck's best practices, in report order.
pub const RESPONSIBILITIES: &[Responsibility] = &[
    Responsibility {
        tag: "R1",
        title: "Track events",
    },
    Responsibility {
        tag: "R2",
        title: "Update package versions",
    },
    Responsibility {
        tag: "R3",
        title: "Set up access policies",
    },
    Responsibility {
        tag: "R4",
        title: "Access to namespaces",
    },
    Responsibility {
        tag: "R5",
        title: "No confidential information in images",
    },
    Responsibility {
        tag: "R6",
        title: "Copy data to another region",
    },
    Responsibility {
        tag: "BP",
        title: "Best practice",
    },
];

/// The title of a tag; custom tags are their own title.
pub fn title(tag: &str) -> &str {
    RESPONSIBILITIES
        .iter()
        .find(|r| r.tag == tag)
        .map_or(tag, |r| r.title)
}

/// A tag with its title (`R1 Track events`); a custom tag, its own title, is shown once.
pub fn label(tag: &str) -> String {
    let title = title(tag);
    if title == tag {
        tag.to_owned()
    } else {
        format!("{tag} {title}")
    }
}

/// Sort key: built-in rows in table order, custom tags after them alphabetically.
pub fn order(tag: &str) -> (usize, &str) {
    let index = RESPONSIBILITIES
        .iter()
        .position(|r| r.tag == tag)
        .unwrap_or(RESPONSIBILITIES.len());
    (index, tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_customer_row_has_a_known_tag_and_every_tag_a_row() {
        let rows = rows();
        assert!(
            rows.iter()
                .all(|row| row.customer.is_empty() == row.tag.is_none())
        );
        for responsibility in RESPONSIBILITIES.iter().filter(|r| r.tag != "BP") {
            assert_eq!(
                rows.iter()
                    .filter(|row| row.tag.as_deref() == Some(responsibility.tag))
                    .count(),
                1,
                "{} has exactly one row",
                responsibility.tag
            );
        }
        assert_eq!(
            rows.iter().filter(|row| row.tag.is_none()).count(),
            5,
            "IBM's rows"
        );
    }

    #[test]
    fn a_known_tag_is_labelled_with_its_title_and_a_custom_one_once() {
        assert_eq!(label("BP"), "BP Best practice");
        assert_eq!(label("ACME"), "ACME");
    }
}
