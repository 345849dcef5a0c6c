mod cli;

// glibc's allocator spent a quarter of an audit's time allocating and freeing the account's
// many small strings and maps; mimalloc is what large Rust CLIs (ruff, cargo-deny's peers) use.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The allocator's settings must be in place before its first allocation, and the Rust
/// runtime allocates before `main` (the main thread's name and stack guard). An ELF
/// constructor runs earlier still: without it the first two huge pages were already faulted in,
/// and zeroed whole, by the time `main` turned huge pages off.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static TUNE_ALLOCATOR_BEFORE_THE_RUNTIME: extern "C" fn() = tune_allocator;

extern "C" fn tune_allocator() {
    regcheck::allocator::keep_freed_memory();
    regcheck::allocator::no_huge_pages();
}

fn main() -> std::process::ExitCode {
    #[cfg(not(target_os = "linux"))]
    tune_allocator();
    std::process::ExitCode::from(cli::main())
}
