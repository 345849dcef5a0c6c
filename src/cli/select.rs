//! `--subject`, `--image` and `--with-account`: which findings a run judges (`regcheck::select`),
//! and the note that says which image entries and digests were judged. Its text is made here
//! and printed by the caller, in one place.

use clap::ValueHint;

use regcheck::audit::AccountAudit;
use regcheck::select::{Selection, printable};

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Selection")]
pub struct SelectArgs {
    /// Judge only findings whose subject matches this glob (for example
    /// `image:us.icr.io/shop-prod/*` or `namespace:us-south/*`); repeatable. Waivers,
    /// baselines and --fail-on apply as usual.
    #[arg(long = "subject", value_name = "GLOB", value_hint = ValueHint::Other)]
    subjects: Vec<String>,

    /// Judge only this image (the deploy gate): `ns/repo:tag` or `ns/repo@sha256:…`, with or
    /// without the registry host; no tag means `:latest`. A tag also selects the entries with
    /// the same digest. Only that image is evaluated; an image not in the account is exit 2.
    /// Repeatable.
    #[arg(long = "image", value_name = "REF", value_hint = ValueHint::Other)]
    images: Vec<String>,

    /// With --image: also judge the account-level duties that protect the image: its
    /// namespace's (access, replicas, retention) and its registry's (Activity Tracker routing,
    /// VA version, plan, quota). Off by default: a deploy gate fails on what the image's own
    /// evidence shows, and account duties belong to the scheduled whole-account audit.
    #[arg(long, requires = "images")]
    with_account: bool,
}

impl SelectArgs {
    pub fn selection(&self) -> Result<Selection, String> {
        Selection::new(&self.subjects, &self.images, self.with_account)
    }
}

/// One line per `--image` of the run, for standard error: the entries and digest judged.
pub fn judged_notes(audit: &AccountAudit) -> Vec<String> {
    let file = &audit.account.file.source.name;
    audit
        .judged
        .iter()
        .map(|image| {
            let digest = match image.digests.as_slice() {
                [] => "no digest in the file: judged by tag only".to_owned(),
                [one] => format!("digest {one}"),
                many => format!("digests {}", many.join(", ")),
            };
            let refs: Vec<String> = image.refs.iter().map(|r| printable(r)).collect();
            format!(
                "note: image `{}` in {}: judged {} ({})",
                printable(&image.asked),
                printable(file),
                refs.join(", "),
                printable(&digest)
            )
        })
        .collect()
}
