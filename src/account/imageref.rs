//! Image references: `domain/namespace/repository[:tag][@digest]`.

use crate::regions::{self, RegionInfo};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef<'a> {
    pub domain: &'a str,
    pub namespace: &'a str,
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    /// Splits a reference; `None` when it lacks a domain, namespace or repository.
    pub fn parse(text: &'a str) -> Option<Self> {
        let (name, digest) = match text.split_once('@') {
            Some((name, digest)) => (name, Some(digest)),
            None => (text, None),
        };
        let (domain, rest) = name.split_once('/')?;
        let (namespace, repo_and_tag) = rest.split_once('/')?;
        let last_slash = repo_and_tag.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match repo_and_tag[last_slash..].rfind(':') {
            Some(colon) => {
                let at = last_slash + colon;
                (&repo_and_tag[..at], Some(&repo_and_tag[at + 1..]))
            }
            None => (repo_and_tag, None),
        };
        let parts_ok = !domain.is_empty()
            && !namespace.is_empty()
            && !repository.is_empty()
            && tag.is_none_or(|t| !t.is_empty())
            && digest.is_none_or(|d| !d.is_empty());
        parts_ok.then_some(Self {
            domain,
            namespace,
            repository,
            tag,
            digest,
        })
    }

    /// The registry region whose domain (public or `private.`) this reference uses.
    pub fn region(&self) -> Option<&'static RegionInfo> {
        regions::by_domain(self.domain)
    }
}

#[cfg(test)]
mod tests {
    use super::ImageRef;

    #[test]
    fn splits_tag_and_digest() {
        let r = ImageRef::parse("us.icr.io/shop-prod/api/v2:1.4.2@sha256:abc").unwrap();
        assert_eq!(
            (r.domain, r.namespace, r.repository, r.tag, r.digest),
            (
                "us.icr.io",
                "shop-prod",
                "api/v2",
                Some("1.4.2"),
                Some("sha256:abc")
            )
        );
        assert_eq!(r.region().unwrap().name, "us-south");
    }

    #[test]
    fn port_in_domain_is_not_a_tag() {
        let r = ImageRef::parse("private.de.icr.io/ns1/app").unwrap();
        assert_eq!((r.tag, r.region().unwrap().name.as_str()), (None, "eu-de"));
        assert!(ImageRef::parse("us.icr.io/only-namespace").is_none());
        assert!(ImageRef::parse("us.icr.io/ns/app:").is_none());
    }
}
