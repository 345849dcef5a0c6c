//! `regcheck fix --dry-run [audit options]`: audits as `regcheck audit` does, then prints the
//! failing findings' fixes as one bash script (`regcheck::report::fix_script`). regcheck never
//! runs a fix: `--dry-run` is required, so that the command line says what it does, and without
//! it the command stops with an error that says so.

use regcheck::audit::EXIT_ERROR;
use regcheck::report::{self, human::Style};

use super::audit;

#[derive(Debug, clap::Args)]
pub struct FixArgs {
    /// Print the fix script (required: regcheck never runs fixes itself).
    #[arg(long)]
    dry_run: bool,

    #[command(flatten)]
    run: audit::RunArgs,
}

/// Writes the script to `out`; exit 0, or 2 when a file did not load, a rule could not be
/// evaluated (the script then lacks their fixes and says so) or `--dry-run` is missing.
pub fn run(args: FixArgs, style: Style, out: &mut Vec<u8>) -> u8 {
    if !args.dry_run {
        super::eprint_message(
            "error: regcheck never runs fixes: `regcheck fix --dry-run …` prints them as a bash script to review and run yourself",
        );
        return EXIT_ERROR;
    }
    let report = match audit::prepare(&args.run, false, style) {
        Ok(report) => report,
        Err(stopped) => return stopped.code,
    };
    if report::fix_script::write(&report, out).is_err() {
        return EXIT_ERROR;
    }
    // Errors beat findings; failing findings are what the script is for, not a failure of it.
    let code = match report.exit_code() {
        EXIT_ERROR => EXIT_ERROR,
        _ => regcheck::audit::EXIT_OK,
    };
    // The process ends next (see `responsibilities`).
    std::mem::forget(report);
    code
}
