mod cli;

// glibc's allocator spent a quarter of an audit's time allocating and freeing the account's
// many small strings and maps; mimalloc is what large Rust CLIs (ruff, cargo-deny's peers) use.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    regcheck::allocator::keep_freed_memory();
    regcheck::allocator::no_huge_pages();
    std::process::ExitCode::from(cli::main())
}
