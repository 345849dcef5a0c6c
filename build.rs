//! Links the `regcheck` binary as a position-dependent executable on Linux with glibc (the
//! build `cargo install` and `cargo run` make; the static musl release builds are left as Rust
//! makes them).
//!
//! A position-independent executable has its pointers to constant data fixed up by the dynamic
//! loader at every start: about 62,000 of them here, most in the time-zone tables that `cel`'s
//! timestamp support brings (chrono-tz). The loader reads 1.5 MiB of relocations and copies
//! about 380 pages to write them, which was a fifth of an audit of an empty account (1.0–1.5 ms of
//! 5–6 ms). Linked without PIE, the addresses are fixed at link time and those pages are only
//! read if used. Go links its command-line tools the same way by default.
//!
//! What it gives up is address randomisation of the executable's own image (the heap, the stack
//! and shared libraries are still randomised). Packagers whose policy requires PIE build with
//! `REGCHECK_PIE=1`.

// A build script talks to cargo on standard output; the redaction point is for regcheck's own.
#![allow(clippy::disallowed_macros)]

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=REGCHECK_PIE");
    let target = |key: &str, value: &str| std::env::var(key).is_ok_and(|found| found == value);
    let linux_gnu = target("CARGO_CFG_TARGET_OS", "linux") && target("CARGO_CFG_TARGET_ENV", "gnu");
    if linux_gnu && std::env::var_os("REGCHECK_PIE").is_none() {
        // The C compiler driver that links Rust on Linux takes the last of rustc's `-pie` and this.
        println!("cargo:rustc-link-arg-bin=regcheck=-no-pie");
    }
}
