//! The check that a generated file (a table, a reference page) is current, shared by the crate's
//! unit tests (`src/lib.rs`, through `#[path]`) and the integration tests.

/// Checks that the crate's file `relative` holds `expected`, made now from its sources; with
/// `REGCHECK_BLESS` set, writes it instead. `bless` is the command that regenerates it.
pub fn assert_generated_file_is_current(relative: &str, expected: &str, bless: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    if actual == expected {
        return;
    }
    if std::env::var_os("REGCHECK_BLESS").is_some() {
        std::fs::write(&path, expected).unwrap();
        return;
    }
    panic!("{relative} is out of date with what it is made from: run `{bless}`");
}
