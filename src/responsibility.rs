//! The rows of IBM's shared-responsibility table that are the customer's, as regcheck tags them.

pub struct Responsibility {
    pub tag: &'static str,
    pub title: &'static str,
}

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

/// Sort key: built-in rows in table order, custom tags after them alphabetically.
pub fn order(tag: &str) -> (usize, &str) {
    let index = RESPONSIBILITIES
        .iter()
        .position(|r| r.tag == tag)
        .unwrap_or(RESPONSIBILITIES.len());
    (index, tag)
}
