//! Regular expressions that expressions match against (`matches_pattern`, CEL's `matches`),
//! compiled once per process rather than on every call or on every evaluating thread.
//!
//! A pattern whose classes reach beyond ASCII (`[^a-z]`) builds a UTF-8 automaton whose
//! scratch space alone is some 300 KB of fresh memory, and `cel` compiles `matches`' pattern on
//! every call: one cache for the whole process makes each pattern cost that once.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use regex::Regex;

/// Patterns are nearly always literals or parameters of a policy, a handful in all; one built
/// from account values could differ per subject, so past this many, patterns compile per call
/// rather than fill memory.
const MOST_KEPT: usize = 64;

/// Each regex behind an `Arc`, not cloned: a clone of a `Regex` gets a pool of search caches of
/// its own, and making a cache costs more than a search of a short text.
static COMPILED: LazyLock<Mutex<HashMap<String, Arc<Regex>>>> = LazyLock::new(Mutex::default);

/// The compiled `pattern`, compiled now if this process has not compiled it yet.
pub fn compiled(pattern: &str) -> Result<Arc<Regex>, regex::Error> {
    if let Some(regex) = COMPILED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(pattern)
    {
        return Ok(Arc::clone(regex));
    }
    // Compiled outside the lock, so that another thread's lookup does not wait for it.
    let regex = Arc::new(Regex::new(pattern)?);
    let mut kept = COMPILED.lock().unwrap_or_else(PoisonError::into_inner);
    if kept.len() < MOST_KEPT {
        return Ok(Arc::clone(
            kept.entry(pattern.to_owned())
                .or_insert_with(|| Arc::clone(&regex)),
        ));
    }
    Ok(regex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_compiles_once_and_matches_as_compiled_afresh() {
        let pattern = "^([AEIOU]|npm )";
        let first = compiled(pattern).unwrap();
        let second = compiled(pattern).unwrap();
        assert!(Arc::ptr_eq(&first, &second), "compiled once, then shared");
        for text in ["IBM Cloud API key", "npm token", "AWS key", "an", ""] {
            let fresh = Regex::new(pattern).unwrap().is_match(text);
            assert_eq!(first.is_match(text), fresh, "{text}");
            assert_eq!(second.is_match(text), fresh, "{text}");
        }
        assert!(COMPILED.lock().unwrap().contains_key(pattern));
    }

    #[test]
    fn an_invalid_pattern_is_an_error_every_time() {
        assert!(compiled("(unclosed").is_err());
        assert!(compiled("(unclosed").is_err());
    }

    #[test]
    fn patterns_past_the_limit_still_compile_but_are_not_kept() {
        for n in 0..MOST_KEPT + 8 {
            let pattern = format!("^limit-{n}$");
            assert!(compiled(&pattern).unwrap().is_match(&format!("limit-{n}")));
        }
        assert!(COMPILED.lock().unwrap().len() <= MOST_KEPT);
    }
}
