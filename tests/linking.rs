//! How the binary is linked (see `build.rs`): on Linux with glibc, as a position-dependent
//! executable, so that the loader does not relocate tens of thousands of pointers at each start.
#![cfg(all(target_os = "linux", target_env = "gnu"))]

/// `e_type` of an ELF header: `ET_EXEC` (2) for a position-dependent executable, `ET_DYN` (3)
/// for a position-independent one.
fn elf_type(path: &str) -> u16 {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF", "{path} is not an ELF file");
    u16::from_le_bytes([bytes[16], bytes[17]])
}

#[test]
fn the_binary_is_linked_without_pie_unless_asked() {
    let expected = if option_env!("REGCHECK_PIE").is_some() {
        3
    } else {
        2
    };
    assert_eq!(elf_type(env!("CARGO_BIN_EXE_regcheck")), expected);
}
