//! The bench report's yardstick for whole-process figures: a process that reads a file and
//! parses it into a `toml::Table`, as any TOML tool must, and nothing else.
//!
//!     cargo build --release --example bare-parse && target/release/examples/bare-parse FILE
#![allow(clippy::print_stderr, clippy::disallowed_macros)]

// The same allocator as the regcheck binary, so the comparison is of the work alone.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: bare-parse FILE");
        return std::process::ExitCode::from(2);
    };
    let parsed = std::fs::read_to_string(&path)
        .map_err(|error| error.to_string())
        .and_then(|text| toml::from_str::<toml::Table>(&text).map_err(|error| error.to_string()));
    match parsed {
        Ok(table) => {
            // Exit without freeing the table, as regcheck exits without freeing its account.
            std::mem::forget(std::hint::black_box(table));
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            std::process::ExitCode::from(2)
        }
    }
}
