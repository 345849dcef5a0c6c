//! Reporters: each reads an [`AuditReport`](crate::audit::AuditReport) and writes to an
//! injected writer. None of them evaluates anything or decides the exit code.

pub mod catalog;
pub mod human;
pub mod json;

use std::str::FromStr;

/// Output formats of `regcheck audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        <Self as clap::ValueEnum>::from_str(text, false)
    }
}
