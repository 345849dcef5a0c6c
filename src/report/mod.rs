//! Reporters: each reads an [`AuditReport`](crate::audit::AuditReport) and writes to an
//! injected writer. None of them evaluates anything or decides the exit code.

pub mod catalog;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod responsibilities;
pub mod sarif;

use std::io::{self, Write};
use std::path::PathBuf;

use crate::audit::AuditReport;

/// Output formats of `regcheck audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Junit,
    Markdown,
    Github,
}

impl Format {
    pub fn parse(text: &str) -> Option<Self> {
        <Self as clap::ValueEnum>::from_str(text, true).ok()
    }
}

/// What renderers need besides the report.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub style: human::Style,
    /// SARIF artifact URIs are relative to this folder.
    pub root: PathBuf,
}

pub fn render(
    format: Format,
    report: &AuditReport,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::write(report, options.style, out),
        Format::Json => json::write(report, out),
        Format::Sarif => sarif::write(report, &options.root, out),
        Format::Junit => junit::write(report, out),
        Format::Markdown => markdown::write(report, out),
        Format::Github => github::write(report, out),
    }
}
