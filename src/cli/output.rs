//! The redaction point: every byte regcheck prints or writes passes through here.
//!
//! Standard output, standard error and every file a run writes (reports, baselines, starter
//! files) are masked by [`regcheck::secrets::registry`], which knows the secrets of every file
//! the run has read, in every escaped form the report formats produce. Nothing else in regcheck
//! prints: the library denies `clippy::print_stdout`/`print_stderr`, and `clippy.toml` disallows
//! `println!`, `eprintln!`, `print!`, `eprint!`, `std::io::stdout`, `std::io::stderr` and
//! `regcheck::write::write_file` everywhere but in this module.
//!
//! Writing never panics: standard error closed early (`regcheck … 2>&1 >/dev/null | head -1`)
//! or standard output closed (`| head`) end the output quietly, as a closed pipe should.
//!
//! Use [`errln!`] where `eprintln!` would be, [`stdout`] for the command's output (the CLI
//! collects it and writes it once), [`write_file`] for files, and [`learn_source`] /
//! [`learn_text`] for every file read.
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

use std::io::{self, Write};
use std::path::Path;

use regcheck::diagnostic::SourceText;
use regcheck::secrets::registry;

/// `eprintln!` through the redaction point: formats, masks the secrets, prints a line on
/// standard error; a closed standard error is ignored.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::output::stderr_line(&::std::format!($($arg)*))
    };
}
pub(crate) use errln;

/// Prints `text` and a line feed on standard error, secrets masked. Errors (a closed pipe) are
/// ignored: there is nowhere left to report them.
pub(crate) fn stderr_line(text: &str) {
    let masked = registry::mask(text);
    let mut stderr = io::stderr().lock();
    let _ = stderr
        .write_all(masked.as_bytes())
        .and_then(|()| stderr.write_all(b"\n"))
        .and_then(|()| stderr.flush());
}

/// Prints `text` as it is (no line feed added) on standard error, secrets masked.
pub(crate) fn stderr_text(text: &str) {
    let masked = registry::mask(text);
    let mut stderr = io::stderr().lock();
    let _ = stderr.write_all(masked.as_bytes()).and_then(|()| stderr.flush());
}

/// Writes the command's output on standard output, secrets masked.
pub(crate) fn stdout(bytes: &[u8]) -> io::Result<()> {
    let masked = registry::mask_bytes(bytes);
    let mut stdout = io::stdout().lock();
    stdout.write_all(&masked).and_then(|()| stdout.flush())
}

/// Writes a file (through [`regcheck::write::write_file`]), secrets masked.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), regcheck::write::WriteError> {
    regcheck::write::write_file(path, &registry::mask_bytes(bytes))
}

/// Teaches the redaction point the secrets of a file the run has read.
pub(crate) fn learn_source(source: &SourceText) {
    registry::learn(source.secret_values());
}

/// Teaches the redaction point the secrets of a text read from a file.
pub(crate) fn learn_text(text: &str) {
    registry::learn_text(text);
}

/// Teaches the redaction point the secrets of a file that is loaded later in the run; the load
/// reuses the scan.
pub(crate) fn learn_file_ahead(text: &str) {
    registry::learn_file_ahead(text);
}

/// Routes panic messages through the redaction point too: a panic message can quote input
/// (`byte index 12 is out of bounds of `…``), and the default hook prints it as it is.
pub(crate) fn mask_panics() {
    std::panic::set_hook(Box::new(|info| {
        let message = format!("regcheck panicked (a bug: please report it): {info}");
        // Never wait on the registry here: the panicking thread may hold its lock. When it
        // cannot be read, the message is left out rather than printed unmasked.
        let masked = registry::try_mask(&message).map_or_else(
            || "regcheck panicked (a bug: please report it)".to_owned(),
            std::borrow::Cow::into_owned,
        );
        let mut stderr = io::stderr().lock();
        let _ = writeln!(stderr, "{masked}");
    }));
}

/// `text` with every learned secret masked, for text handed to a library that prints it itself
/// (a progress bar's message).
pub(crate) fn masked(text: &str) -> String {
    registry::mask(text).into_owned()
}

/// Where progress bars draw: standard error. A bar prints its template, counts and a message
/// that went through [`masked`], nothing else.
pub(crate) fn progress_target() -> indicatif::ProgressDrawTarget {
    indicatif::ProgressDrawTarget::stderr()
}

/// Whether standard output and standard error are terminals.
pub(crate) fn terminals() -> (bool, bool) {
    use std::io::IsTerminal;
    (io::stdout().is_terminal(), io::stderr().is_terminal())
}
