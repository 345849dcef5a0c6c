//! Look-ups built once per account, for helpers that would otherwise scan the account for every
//! subject (the image's namespace, for every one of 100k images).
//!
//! The engine installs the index of the account being evaluated for the current thread; helpers
//! read it through [`with_current`]. Evaluation is pure and single-threaded per rule, so a
//! thread-local is the whole mechanism: `cel` calls helpers through plain `fn` pointers, which
//! cannot capture the account.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::cel::Node;
use super::data::Data;

#[derive(Debug, Default)]
pub struct AccountIndex {
    /// Declared namespaces by (region, name), as policies see them.
    namespaces: HashMap<(String, String), Data>,
    /// Plain copies of the account's sections that policies pass whole to helpers
    /// (`account.iam`, `account.activity_tracker`), by the address of their document node.
    /// The document outlives every evaluation that uses this index, so addresses are stable.
    shared: Vec<(usize, Arc<Data>)>,
}

impl AccountIndex {
    /// Builds the index from the account as CEL sees it.
    pub fn build(root: Node<'_>) -> Self {
        let mut namespaces = HashMap::new();
        if let Some(elements) = root.get("namespaces").and_then(|list| list.elements()) {
            for namespace in elements {
                let name = namespace.get("name").and_then(|n| n.as_str());
                let region = namespace.get("region").and_then(|r| r.as_str());
                if let (Some(name), Some(region)) = (name, region) {
                    namespaces.insert((region.to_owned(), name.to_owned()), namespace.to_data());
                }
            }
        }
        let shared = ["iam", "activity_tracker"]
            .iter()
            .filter_map(|section| root.get(section))
            .map(|node| (node.address(), Arc::new(node.to_data())))
            .collect();
        Self { namespaces, shared }
    }

    /// The shared copy of the document node at `address`, if the index holds one.
    pub fn shared(&self, address: usize) -> Option<Arc<Data>> {
        self.shared
            .iter()
            .find(|(candidate, _)| *candidate == address)
            .map(|(_, data)| Arc::clone(data))
    }

    pub fn namespace(&self, region: &str, name: &str) -> Option<&Data> {
        self.namespaces.get(&(region.to_owned(), name.to_owned()))
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<AccountIndex>>> = const { RefCell::new(None) };
}

/// Runs `f` with `index` as the current thread's account index.
pub fn install<R>(index: &Arc<AccountIndex>, f: impl FnOnce() -> R) -> R {
    let previous = CURRENT.with(|current| current.replace(Some(Arc::clone(index))));
    let result = f();
    CURRENT.with(|current| *current.borrow_mut() = previous);
    result
}

/// Calls `f` with the current account index; an empty one outside an evaluation.
pub fn with_current<R>(f: impl FnOnce(&AccountIndex) -> R) -> R {
    let index = CURRENT.with(|current| current.borrow().clone());
    match index {
        Some(index) => f(&index),
        None => f(&AccountIndex::default()),
    }
}
