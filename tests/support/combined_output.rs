//! Running the built binary for the leak tests, which look for secrets in everything it prints.

use std::path::Path;
use std::process::Command;

/// Runs regcheck in `dir`; standard output and error together. Any exit code but 0, 1 or 2 (a
/// crash) fails the test.
pub fn run(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .args(args)
        .output()
        .unwrap();
    let code = output.status.code();
    assert!(matches!(code, Some(0..=2)), "{args:?} crashed: {code:?}");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
