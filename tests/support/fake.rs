//! Look-alike secrets made at run time from fixed seeds, so that no token, key or password is
//! written in the source. Shared by the detector unit tests (`src/secrets/tests.rs`) and the leak
//! matrix (`tests/leak_matrix.rs`), each of which includes this file with `#[path]`.

/// A deterministic pseudo-random string of `len` characters from `alphabet` (xorshift64*).
pub fn fake(alphabet: &str, len: usize, seed: u64) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
            chars[(r >> 33) as usize % chars.len()]
        })
        .collect()
}

/// URL-safe base64 without padding, as JWTs are written.
pub fn b64url(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}
