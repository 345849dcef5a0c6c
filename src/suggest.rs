//! "Did you mean" suggestions for misspelt keys, values and ids.

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let limit = (word.chars().count() / 3).max(2);
    // A singular for a plural (`registry` for `registries`) is a likely slip too.
    let shares_stem = |candidate: &str| {
        let stem = word
            .chars()
            .count()
            .min(candidate.chars().count())
            .saturating_sub(1);
        stem >= 5 && word.chars().take(stem).eq(candidate.chars().take(stem))
    };
    candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(word, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= limit || shares_stem(candidate))
        .min_by_key(|(distance, candidate)| (*distance, *candidate))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_transposed_key() {
        assert_eq!(did_you_mean("regoins", ["regions", "images"]), Some("regions"));
    }

    #[test]
    fn suggests_the_plural() {
        assert_eq!(
            did_you_mean("registry", ["registries", "images"]),
            Some("registries")
        );
    }

    #[test]
    fn no_suggestion_for_unrelated_word() {
        assert_eq!(did_you_mean("zzzzzzzz", ["regions", "images"]), None);
    }
}
