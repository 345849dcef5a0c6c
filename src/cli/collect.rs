//! `regcheck collect`: runs IBM's `ibmcloud` CLI, writes the capture folder (import.md), and
//! with `--import` merges it into an account file. Progress and errors go to standard error: a
//! progress bar when it is a terminal, plain one-line messages otherwise.

use std::path::PathBuf;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use regcheck::audit::{EXIT_ERROR, EXIT_OK};
use regcheck::collect::{self, Event, Observer, Options, ProcessCli, Report, Stop};
use regcheck::report::human::Style;

use super::display_name;
use super::import::{self, ImportArgs};
use super::output::{self, errln};

#[derive(Debug, clap::Args)]
pub struct CollectArgs {
    /// The capture folder to write; the files of an earlier capture in it are replaced.
    #[arg(short, long, value_name = "DIR", default_value = "capture")]
    output: PathBuf,

    /// A registry region to collect, as `ibmcloud cr region-set` names it; repeatable
    /// [default: every region where a namespace exists].
    #[arg(long = "region", value_name = "REGION", value_parser = parse_region)]
    regions: Vec<String>,

    /// Refresh one image only (the deploy gate): `[REGISTRY/]NAMESPACE/REPO:TAG` or
    /// `…@sha256:…`. Runs the few commands its evidence needs (its region's namespace and
    /// retention lists, its repository's image listings, `image-inspect`, `cr va`) and writes
    /// capture-scope.json, so that --import refreshes it without judging the rest of the
    /// account stale. Without a registry host, give one --region.
    #[arg(long, value_name = "REF")]
    image: Option<String>,

    /// Then import the capture into this account file, as `regcheck import DIR -o FILE` does
    /// (only when every command succeeded).
    #[arg(long = "import", value_name = "FILE")]
    import: Option<PathBuf>,

    /// Seconds one `ibmcloud` command may run before it is stopped.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 300,
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    timeout: u64,
}

fn parse_region(text: &str) -> Result<String, String> {
    if regcheck::regions::by_name(text).is_some() {
        return Ok(text.to_owned());
    }
    let known: Vec<&str> = regcheck::regions::names().collect();
    let hint = match regcheck::suggest::did_you_mean(text, known.iter().copied()) {
        Some(best) => format!("did you mean `{best}`? "),
        None => String::new(),
    };
    Err(format!(
        "`{text}` is not a registry region; {hint}regions: {}",
        known.join(", ")
    ))
}

pub fn run(args: CollectArgs, error_style: Style, out: &mut Vec<u8>) -> u8 {
    let dir = args.output;
    let shown_dir = display_name(&dir);
    if dir.exists() && !dir.is_dir() {
        errln!("error: {shown_dir} is not a folder; -o names the capture folder");
        return EXIT_ERROR;
    }
    let target = match &args.image {
        None => None,
        Some(image) => {
            let region = match args.regions.as_slice() {
                [] => None,
                [one] => Some(one.as_str()),
                _ => {
                    errln!("error: --image collects one image: give at most one --region");
                    return EXIT_ERROR;
                }
            };
            match collect::ImageTarget::parse(image, region) {
                Ok(target) => Some(target),
                Err(message) => {
                    errln!("error: {message}");
                    return EXIT_ERROR;
                }
            }
        }
    };
    let options = Options {
        dir: dir.clone(),
        regions: args.regions,
    };
    let mut cli = ProcessCli::new(Duration::from_secs(args.timeout));
    let mut progress = Progress::new(output::terminals().1);
    let result = match &target {
        Some(target) => collect::collect_plan(&mut cli, &dir, &target.plan(), &mut progress),
        None => collect::collect(&mut cli, &options, &mut progress),
    };
    progress.finish();

    let report = match result {
        Ok(report) => report,
        Err(Stop::NotReady(problems)) => {
            errln!("error: `ibmcloud` is not ready for `regcheck collect`; nothing was written");
            for problem in &problems {
                errln!("  - {problem}");
                if let Some(fix) = problem.fix() {
                    errln!("    fix: {fix}");
                }
            }
            return EXIT_ERROR;
        }
        Err(Stop::Folder(message)) => {
            errln!("error: {message}");
            return EXIT_ERROR;
        }
    };
    errln!("{}", summary(&report, &shown_dir));

    if !report.failures.is_empty() {
        let count = report.failures.len();
        errln!(
            "error: {count} command{} failed (above); the capture in {shown_dir} is incomplete",
            if count == 1 { "" } else { "s" }
        );
        if let Some(file) = &args.import {
            errln!(
                "error: not importing into {}: an incomplete capture would leave it half-refreshed; \
                 `regcheck import {shown_dir} -o {}` imports what was captured",
                display_name(file),
                display_name(file)
            );
        }
        return EXIT_ERROR;
    }
    match args.import {
        Some(output) => {
            let import_args = ImportArgs {
                dir,
                output,
                captured_at: None,
                dry_run: false,
                check: false,
                prune: false,
                account_id: None,
            };
            import::run(import_args, error_style, out)
        }
        None => EXIT_OK,
    }
}

/// `collect: wrote 31 files to capture (2 regions: us-south 2 namespaces, 3 images; …)`.
fn summary(report: &Report, dir: &str) -> String {
    let files = report.files.len();
    let mut line = format!(
        "collect: wrote {files} file{} to {dir}",
        if files == 1 { "" } else { "s" }
    );
    let regions: Vec<String> = report
        .regions
        .iter()
        .map(|region| {
            format!(
                "{} {} namespace{}, {} image{}",
                region.name,
                region.namespaces,
                if region.namespaces == 1 { "" } else { "s" },
                region.images,
                if region.images == 1 { "" } else { "s" }
            )
        })
        .collect();
    match regions.len() {
        0 => line.push_str(" (no region with a namespace)"),
        count => line.push_str(&format!(
            " ({count} region{}: {})",
            if count == 1 { "" } else { "s" },
            regions.join("; ")
        )),
    }
    if report.removed > 0 {
        line.push_str(&format!(
            "; replaced an earlier capture's {} file{}",
            report.removed,
            if report.removed == 1 { "" } else { "s" }
        ));
    }
    line
}

/// Shows a run's events: a bar on a terminal; otherwise one line per stage, and a line every
/// [`HEARTBEAT`] commands so that a long run shows it is alive in a CI log.
enum Progress {
    Bar(ProgressBar),
    Lines { done: u64, planned: u64 },
}

const HEARTBEAT: u64 = 500;

impl Progress {
    fn new(terminal: bool) -> Self {
        if !terminal {
            return Progress::Lines { done: 0, planned: 0 };
        }
        let style = ProgressStyle::with_template("{spinner} {prefix} [{bar:24}] {pos}/{len} {wide_msg}")
            .map(|style| style.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = ProgressBar::with_draw_target(Some(0), output::progress_target()).with_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress::Bar(bar)
    }

    fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }

    fn say(&self, line: &str) {
        match self {
            Progress::Bar(bar) => bar.suspend(|| errln!("{line}")),
            Progress::Lines { .. } => errln!("{line}"),
        }
    }
}

impl Observer for Progress {
    fn event(&mut self, event: Event<'_>) {
        match (&mut *self, event) {
            (_, Event::Failed(failure)) => self.say(&format!("error: {failure}")),
            (_, Event::Note(note)) => self.say(&format!("note: {note}")),
            (Progress::Lines { .. }, Event::Stage(stage)) => errln!("collect: {stage}"),
            (Progress::Lines { planned, .. }, Event::Planned(count)) => *planned += count,
            (Progress::Lines { done, planned }, Event::Finished) => {
                *done += 1;
                if *done % HEARTBEAT == 0 {
                    errln!("collect: {done} of {planned} commands run");
                }
            }
            (Progress::Lines { .. }, Event::Running(_)) => {}
            (Progress::Bar(bar), Event::Stage(stage)) => bar.set_prefix(stage.to_owned()),
            (Progress::Bar(bar), Event::Planned(count)) => bar.inc_length(count),
            (Progress::Bar(bar), Event::Running(command)) => bar.set_message(output::masked(command)),
            (Progress::Bar(bar), Event::Finished) => bar.inc(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_region_gets_a_suggestion() {
        assert_eq!(parse_region("eu-de"), Ok("eu-de".to_owned()));
        let error = parse_region("us-soth").unwrap_err();
        assert!(
            error.starts_with("`us-soth` is not a registry region; did you mean `us-south`?"),
            "{error}"
        );
        assert!(error.contains("jp-osa"), "{error}");
    }
}
