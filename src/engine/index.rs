//! Look-ups built once per account, for helpers that would otherwise scan the account for every
//! subject (the image's namespace, for every one of 100k images; an identity's policies among
//! 10k, for every automation entry).
//!
//! The engine installs the index of the account being evaluated for the current thread; helpers
//! read it through [`with_current`]. Evaluation is pure and single-threaded per rule, so a
//! thread-local is the whole mechanism: `cel` calls helpers through plain `fn` pointers, which
//! cannot capture the account.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::cel::Node;
use super::data::Data;
use super::iam;

#[derive(Debug, Default)]
pub struct AccountIndex {
    /// Declared namespaces, in file order: their nodes in the document (see
    /// [`AccountIndex::build`] for why those may be `'static`).
    namespaces: Vec<Node<'static>>,
    /// Positions in `namespaces` by region then name, and by name alone.
    by_region_and_name: HashMap<String, HashMap<String, usize>>,
    by_name: HashMap<String, Vec<usize>>,
    /// Plain copies of the account's sections that policies pass whole to helpers
    /// (`account.iam`, `account.activity_tracker`), by the address of their document node.
    /// The document outlives every evaluation that uses this index, so addresses are stable.
    /// Each is made when a helper first asks for it, on the thread evaluating that rule: a run
    /// whose rules pass no section to a helper makes none.
    shared: Vec<SharedSection>,
    /// Who holds which policy, for the shared copy of `account.iam` (made with it).
    iam: OnceLock<Option<IamIndex>>,
}

#[derive(Debug)]
struct SharedSection {
    name: &'static str,
    address: usize,
    node: Node<'static>,
    copy: OnceLock<Arc<Data>>,
}

/// `identity_policies` without reading every policy: positions of the policies by subject, and
/// the access groups by member.
#[derive(Debug)]
struct IamIndex {
    iam: Arc<Data>,
    /// The policies' nodes in the document, in file order: what `identity_policies` hands back,
    /// so that rules pass the account's own policies on to other helpers.
    policies: Vec<Node<'static>>,
    /// Plain copies of every policy and of its roles, by the address of their node in the
    /// document. Rules pass them to helpers one at a time (`is_registry_policy(p)`,
    /// `has_role(p.roles, 'Manager')`), for every automation entry and every policy: each is
    /// copied once, here, instead of on every call.
    copies: HashMap<usize, Arc<Data>, AddressHasher>,
    policies_by_subject: HashMap<String, Vec<usize>>,
    groups_by_member: HashMap<String, Vec<String>>,
}

/// Addresses are not chosen by the file: a fixed seed is enough.
type AddressHasher = foldhash::fast::FixedState;

impl IamIndex {
    /// `node` is `account.iam` in the document, `iam` its plain copy.
    fn build(node: Node<'static>, iam: Arc<Data>) -> Self {
        let policies: Vec<Node<'static>> = node
            .get("policies")
            .and_then(Node::elements)
            .map(Iterator::collect)
            .unwrap_or_default();
        let copied = iam::list(&iam, "policies");
        let mut copies = HashMap::with_capacity_and_hasher(2 * policies.len(), AddressHasher::default());
        // The copy was made from these nodes, in the same order.
        for (node, copy) in policies.iter().zip(copied) {
            if let (Some(roles), Some(copied_roles)) = (node.get("roles"), copy.get("roles")) {
                copies.insert(roles.address(), Arc::new(copied_roles.clone()));
            }
            copies.insert(node.address(), Arc::new(copy.clone()));
        }
        let mut policies_by_subject: HashMap<String, Vec<usize>> = HashMap::new();
        for (position, policy) in copied.iter().enumerate() {
            if let Some(subject) = policy.get("subject").and_then(Data::as_str) {
                policies_by_subject
                    .entry(subject.to_owned())
                    .or_default()
                    .push(position);
            }
        }
        let mut groups_by_member: HashMap<String, Vec<String>> = HashMap::new();
        for group in iam::list(&iam, "access_groups") {
            let Some(id) = group.get("id").and_then(Data::as_str) else {
                continue;
            };
            for member in iam::list(group, "members").iter().filter_map(Data::as_str) {
                groups_by_member
                    .entry(member.to_owned())
                    .or_default()
                    .push(id.to_owned());
            }
        }
        Self {
            iam,
            policies,
            copies,
            policies_by_subject,
            groups_by_member,
        }
    }

    /// The policies [`iam::identity_policies`] returns, in the same (file) order, as the
    /// document's nodes.
    fn identity_policies(&self, identity: &str) -> Vec<Node<'static>> {
        let groups = self
            .groups_by_member
            .get(identity)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut positions: Vec<usize> = std::iter::once(identity)
            .chain(groups.iter().map(String::as_str))
            .filter_map(|subject| self.policies_by_subject.get(subject))
            .flatten()
            .copied()
            .collect();
        positions.sort_unstable();
        positions.dedup();
        positions
            .into_iter()
            .filter_map(|at| self.policies.get(at).copied())
            .collect()
    }
}

impl AccountIndex {
    /// Builds the index from the account as CEL sees it.
    ///
    /// # Safety
    ///
    /// The index keeps nodes of `root`'s document with their lifetime extended to `'static`, and
    /// hands them to helpers, so it must not be used once that document is dropped. The engine
    /// keeps both in its `PreparedAccount`, drops them together, and makes the index reachable
    /// by helpers only through [`install`] while evaluating against that document.
    pub unsafe fn build(root: Node<'_>) -> Self {
        let mut index = Self::default();
        if let Some(elements) = root.get("namespaces").and_then(|list| list.elements()) {
            for namespace in elements {
                let name = namespace.get("name").and_then(|n| n.as_str());
                let region = namespace.get("region").and_then(|r| r.as_str());
                if let (Some(name), Some(region)) = (name, region) {
                    let position = index.namespaces.len();
                    // SAFETY: the caller keeps the document alive while the index is used.
                    index.namespaces.push(unsafe { namespace.detach() });
                    index
                        .by_region_and_name
                        .entry(region.to_owned())
                        .or_default()
                        .insert(name.to_owned(), position);
                    index.by_name.entry(name.to_owned()).or_default().push(position);
                }
            }
        }
        index.shared = ["iam", "activity_tracker"]
            .into_iter()
            .filter_map(|name| {
                let node = root.get(name)?;
                Some(SharedSection {
                    name,
                    address: node.address(),
                    // SAFETY: the caller keeps the document alive while the index is used.
                    node: unsafe { node.detach() },
                    copy: OnceLock::new(),
                })
            })
            .collect();
        index
    }

    /// The shared copy of the document node at `address`, if the index holds one: a section
    /// passed whole (`account.iam`), or a policy or its roles.
    pub fn shared(&self, address: usize) -> Option<Arc<Data>> {
        self.section(address)
            .or_else(|| self.iam()?.copies.get(&address).cloned())
    }

    /// The shared copy of the section whose document node is at `address`.
    fn section(&self, address: usize) -> Option<Arc<Data>> {
        let section = self.shared.iter().find(|section| section.address == address)?;
        Some(Arc::clone(
            section.copy.get_or_init(|| Arc::new(section.node.to_data())),
        ))
    }

    /// Who holds which policy, made with the shared copy of `account.iam`.
    fn iam(&self) -> Option<&IamIndex> {
        self.iam
            .get_or_init(|| {
                let iam = self.shared.iter().find(|section| section.name == "iam")?;
                let copy = self.section(iam.address)?;
                Some(IamIndex::build(iam.node, copy))
            })
            .as_ref()
    }

    /// The namespace's node in the document, to hand to CEL without copying it.
    pub fn namespace(&self, region: &str, name: &str) -> Option<Node<'static>> {
        let position = *self.by_region_and_name.get(region)?.get(name)?;
        self.namespaces.get(position).copied()
    }

    /// The declared namespaces named `name`, in file order (one per region holding it).
    pub fn namespaces_named(&self, name: &str) -> impl Iterator<Item = Node<'static>> + '_ {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|&position| self.namespaces.get(position).copied())
    }

    /// An identity's policies: the account's own (their nodes, from the index) when `iam` is
    /// the account's shared copy (what `account.iam` passes); otherwise copies, found by
    /// reading every policy.
    pub fn identity_policies(&self, iam: &Data, identity: &str) -> Listed {
        match self.iam() {
            Some(index) if std::ptr::eq(iam, Arc::as_ptr(&index.iam)) => {
                Listed::Places(index.identity_policies(identity))
            }
            _ => Listed::Made(iam::identity_policies(iam, identity)),
        }
    }
}

/// A list a helper found: places in the account, or values made for the call.
#[derive(Debug)]
pub enum Listed {
    Places(Vec<Node<'static>>),
    Made(Vec<Data>),
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<AccountIndex>>> = const { RefCell::new(None) };
}

/// Runs `f` with `index` as the current thread's account index.
/// The previous index comes back when `f` returns or unwinds, so no index outlives its
/// evaluation in a thread-local (its nodes would outlive their document).
pub fn install<R>(index: &Arc<AccountIndex>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Arc<AccountIndex>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CURRENT.with(|current| *current.borrow_mut() = previous);
        }
    }
    let _restore = Restore(CURRENT.with(|current| current.replace(Some(Arc::clone(index)))));
    f()
}

/// Calls `f` with the current account index; an empty one outside an evaluation.
pub fn with_current<R>(f: impl FnOnce(&AccountIndex) -> R) -> R {
    // Borrowed, not cloned: rules on other cores share this `Arc`, and bumping its count on
    // every helper call made the cores contend for it.
    CURRENT.with(|current| match current.borrow().as_deref() {
        Some(index) => f(index),
        None => f(&AccountIndex::default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::cel::Document;

    fn account() -> Document {
        let text = r#"
            [[namespaces]]
            name = "shop"
            region = "us-south"
            [[namespaces]]
            name = "shop"
            region = "eu-gb"
            [[namespaces]]
            name = "other"
            region = "us-south"
            [iam]
            [[iam.access_groups]]
            id = "AccessGroupId-a"
            members = ["ServiceId-1", "ServiceId-2"]
            [[iam.access_groups]]
            id = "AccessGroupId-b"
            members = ["ServiceId-1"]
            [[iam.policies]]
            id = "p0"
            subject = "AccessGroupId-b"
            roles = ["Reader"]
            [[iam.policies]]
            id = "p1"
            subject = "ServiceId-1"
            [[iam.policies]]
            id = "p2"
            subject = "ServiceId-2"
            [[iam.policies]]
            id = "p3"
            subject = "AccessGroupId-a"
            [[iam.policies]]
            id = "p4"
        "#;
        Document::from_data(&Data::from_toml(&toml::Value::Table(toml::from_str(text).unwrap())).unwrap())
    }

    #[test]
    fn indexed_identity_policies_match_the_full_scan_in_order() {
        let document = account();
        // SAFETY: `document` outlives `index`.
        let index = unsafe { AccountIndex::build(document.root()) };
        let iam = index
            .section(document.root().get("iam").unwrap().address())
            .unwrap();
        let places = |identity| match index.identity_policies(&iam, identity) {
            Listed::Places(places) => places,
            Listed::Made(_) => panic!("the account's own iam is indexed"),
        };
        for identity in ["ServiceId-1", "ServiceId-2", "AccessGroupId-a", "ServiceId-none"] {
            let indexed: Vec<Data> = places(identity).iter().map(Node::to_data).collect();
            assert_eq!(indexed, iam::identity_policies(&iam, identity), "{identity}");
        }
        let ids: Vec<_> = places("ServiceId-1")
            .iter()
            .map(|p| p.get("id").unwrap().as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids, ["p0", "p1", "p3"]);
        // A copy of iam made elsewhere is read whole.
        let copy = Data::clone(&iam);
        assert!(
            matches!(index.identity_policies(&copy, "ServiceId-1"), Listed::Made(found) if found.len() == 3)
        );
    }

    #[test]
    fn policies_and_their_roles_are_copied_once_for_helpers() {
        let document = account();
        // SAFETY: `document` outlives `index`.
        let index = unsafe { AccountIndex::build(document.root()) };
        let policies = document.root().get("iam").unwrap().get("policies").unwrap();
        let first = policies.index(0).unwrap();
        let copy = index.shared(first.address()).expect("a policy is copied");
        assert_eq!(*copy, first.to_data());
        assert!(Arc::ptr_eq(&copy, &index.shared(first.address()).unwrap()));
        let roles = first.get("roles").unwrap();
        assert_eq!(*index.shared(roles.address()).unwrap(), roles.to_data());
        // A policy is not a section; a node the index does not know has no copy.
        assert!(index.section(first.address()).is_none());
        assert!(
            index
                .shared(document.root().get("namespaces").unwrap().address())
                .is_none()
        );
    }

    #[test]
    fn namespaces_by_name_keep_file_order() {
        let document = account();
        // SAFETY: `document` outlives `index`.
        let index = unsafe { AccountIndex::build(document.root()) };
        let regions: Vec<_> = index
            .namespaces_named("shop")
            .map(|ns| ns.get("region").unwrap().as_str().unwrap().to_owned())
            .collect();
        assert_eq!(regions, ["us-south", "eu-gb"]);
        let node = index.namespace("eu-gb", "shop").unwrap();
        assert_eq!(node.get("region").unwrap().as_str(), Some("eu-gb"));
        assert!(index.namespace("jp-tok", "shop").is_none());
        assert_eq!(index.namespaces_named("absent").count(), 0);
    }
}
