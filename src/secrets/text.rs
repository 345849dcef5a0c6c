//! Small byte-level helpers shared by the detectors: case-insensitive search, token boundaries,
//! character-mix checks and a base64 decoder (standard and URL-safe alphabets).

/// Whether `hay` contains `needle`, ignoring ASCII case. `needle` must be lowercase ASCII.
pub(crate) fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    debug_assert!(needle.iter().all(|b| !b.is_ascii_uppercase()));
    if needle.is_empty() {
        return true;
    }
    if hay.len() < needle.len() {
        return false;
    }
    let first = needle[0];
    let last_start = hay.len() - needle.len();
    let mut i = 0;
    while i <= last_start {
        if hay[i].to_ascii_lowercase() == first
            && hay[i + 1..i + needle.len()]
                .iter()
                .zip(&needle[1..])
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
        {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether `hay` contains any of `needles` (lowercase ASCII), ignoring ASCII case.
pub(crate) fn contains_any_ci(hay: &[u8], needles: &[&str]) -> bool {
    needles.iter().any(|n| contains_ci(hay, n.as_bytes()))
}

/// Characters of the base64url / IBM API key alphabet `[A-Za-z0-9_-]`.
pub(crate) fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Characters of the standard base64 alphabet without padding `[A-Za-z0-9+/]`.
pub(crate) fn is_b64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// Whether the match `start..end` in `text` is not glued to more characters for which `glued`
/// holds, on either side.
pub(crate) fn is_bounded(text: &str, start: usize, end: usize, glued: fn(u8) -> bool) -> bool {
    let bytes = text.as_bytes();
    (start == 0 || !glued(bytes[start - 1])) && (end >= bytes.len() || !glued(bytes[end]))
}

/// Which of upper case, lower case and digits occur, and how many distinct bytes.
pub(crate) struct CharMix {
    pub upper: bool,
    pub lower: bool,
    pub digit: bool,
    pub distinct: usize,
}

pub(crate) fn char_mix(s: &[u8]) -> CharMix {
    let mut seen = [false; 256];
    let mut mix = CharMix {
        upper: false,
        lower: false,
        digit: false,
        distinct: 0,
    };
    for &b in s {
        mix.upper |= b.is_ascii_uppercase();
        mix.lower |= b.is_ascii_lowercase();
        mix.digit |= b.is_ascii_digit();
        if !seen[b as usize] {
            seen[b as usize] = true;
            mix.distinct += 1;
        }
    }
    mix
}

/// Whether `s` looks randomly generated: at least two of upper/lower/digit and at least
/// `min_distinct` distinct characters. Rules out `xxxxxxxx…`, `aaaa…`, words and counters.
pub(crate) fn looks_random(s: &[u8], min_distinct: usize) -> bool {
    let m = char_mix(s);
    (m.upper as u8 + m.lower as u8 + m.digit as u8) >= 2 && m.distinct >= min_distinct
}

/// Decodes base64 in the standard or URL-safe alphabet, with or without padding. Returns `None`
/// on any other character or an impossible length.
pub(crate) fn b64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let s = match s.iter().position(|&b| b == b'=') {
        Some(p) if s[p..].iter().all(|&b| b == b'=') => &s[..p],
        Some(_) => return None,
        None => s,
    };
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in s {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Strips one pair of matching surrounding quotes.
pub(crate) fn unquote(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// The byte range of `s` inside `outer` (both must come from the same string).
pub(crate) fn offset_in(outer: &str, s: &str) -> usize {
    s.as_ptr() as usize - outer.as_ptr() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_search() {
        assert!(contains_ci(b"IBMCLOUD_API_KEY", b"api_key"));
        assert!(contains_ci(b"x", b""));
        assert!(!contains_ci(b"API", b"api_key"));
        assert!(contains_any_ci(b"my-Bluemix", &["ibm", "bluemix"]));
    }

    #[test]
    fn base64_both_alphabets() {
        assert_eq!(b64_decode(b"dXNlcjpwYXNz").unwrap(), b"user:pass");
        assert_eq!(b64_decode(b"dXNlcjpwYXNzMQ==").unwrap(), b"user:pass1");
        assert_eq!(b64_decode(b"dXNlcjpwYXNzMQ").unwrap(), b"user:pass1");
        assert_eq!(b64_decode(b"-_8").unwrap(), b64_decode(b"+/8").unwrap());
        assert!(b64_decode(b"a=b").is_none());
        assert!(b64_decode(b"abcde").is_none());
        assert!(b64_decode(b"ab!c").is_none());
    }

    #[test]
    fn randomness_and_bounds() {
        assert!(looks_random(b"aB3dE5gH9kLmN0pQ", 10));
        assert!(!looks_random(b"xxxxxxxxxxxxxxxx", 10));
        assert!(!looks_random(b"abcdefghijklmnop", 10));
        assert!(is_bounded("a=XYZ b", 2, 5, is_key_char));
        assert!(!is_bounded("a=XYZb", 2, 5, is_key_char));
        assert_eq!(unquote("'a b'"), "a b");
        assert_eq!(unquote("\"a"), "\"a");
    }
}
