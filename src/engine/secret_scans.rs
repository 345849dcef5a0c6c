//! The secret detector's results for the account's own strings, computed once before the rules
//! run. ICR-SEC-001, -002 and -003 each read every env entry, label and history line of every
//! image (a million strings on a large account) and judge a different class of what the
//! detector finds there; scanning once instead of three times was a third of their time.
//!
//! Results are keyed by the identity of the strings ([`TextId`]), not by their text: a helper
//! called on the account's own string finds its result here, and one called on anything else (a
//! literal, a computed string) scans it then, so a policy can never see a stale result.

use std::collections::HashMap;

use super::cel::{Node, TextId};
use super::data::Data;

/// Which detector entry point a result comes from (they judge the same text differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scan {
    /// `secrets_in_env(entry)`.
    Env,
    /// `secrets_in_label(name, value)`.
    Label,
    /// `secrets_in_history(line)`.
    History,
}

impl Scan {
    /// The helper whose results this is; a policy that names it gets the scan done up front.
    pub fn helper(self) -> &'static str {
        match self {
            Scan::Env => "secrets_in_env",
            Scan::Label => "secrets_in_label",
            Scan::History => "secrets_in_history",
        }
    }

    pub const ALL: [Scan; 3] = [Scan::Env, Scan::Label, Scan::History];
}

/// What scanning one string gave, before it is filed: the scan, the string (the label name and
/// value, for labels) and the detector's result.
type Scanned = (Scan, TextId, Option<TextId>, Data);

/// One scanned string (with the label name, for labels) and the position of its result.
#[derive(Debug, Clone, Copy)]
struct Record {
    first: TextId,
    second: Option<TextId>,
    result: u32,
}

/// The records of one [`Scan`], in document order, and where each string's record is.
#[derive(Debug, Default)]
struct Table {
    records: Vec<Record>,
    by_text: HashMap<TextId, u32, foldhash::fast::FixedState>,
}

#[derive(Debug, Default)]
pub struct SecretScans {
    tables: [Table; 3],
    /// Every result that found something; position 0 is "nothing found".
    found: Vec<Data>,
}

thread_local! {
    /// Per scan, where the next look-up probably is: rules walk the images in the order the
    /// records were made, so most look-ups are the record after the last one, and need no hash.
    static NEXT: std::cell::Cell<[usize; 3]> = const { std::cell::Cell::new([0; 3]) };
}

impl SecretScans {
    /// Scans the `scans` parts of every image of `images` (the document's `images` list), on
    /// every core. `detect` is the helper's own computation, so results cannot differ from it.
    pub fn build(images: Node<'_>, scans: &[Scan], detect: fn(Scan, &str, &str) -> Data) -> Self {
        let mut this = Self {
            found: vec![Data::List(Vec::new())],
            ..Self::default()
        };
        let count = images.list_len().unwrap_or(0);
        if scans.is_empty() || count == 0 {
            return this;
        }
        let scan_image = |image: Node<'_>, into: &mut Vec<Scanned>| {
            for &scan in scans {
                match scan {
                    Scan::Env | Scan::History => {
                        let field = if scan == Scan::Env { "env" } else { "history" };
                        let entries = image.get(field).and_then(|list| list.elements());
                        for text in entries.into_iter().flatten().filter_map(|entry| entry.as_str()) {
                            if let Some(id) = TextId::of(text) {
                                into.push((scan, id, None, detect(scan, text, "")));
                            }
                        }
                    }
                    Scan::Label => {
                        let labels = image.get("labels").and_then(|labels| labels.entries());
                        for (name, value) in labels.into_iter().flatten() {
                            let Some(value) = value.as_str() else { continue };
                            if let (Some(name_id), Some(value_id)) = (TextId::of(name), TextId::of(value)) {
                                into.push((scan, name_id, Some(value_id), detect(scan, name, value)));
                            }
                        }
                    }
                }
            }
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(count);
        let chunk = count.div_ceil(threads);
        let parts: Vec<Vec<Scanned>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..count)
                .step_by(chunk)
                .map(|start| {
                    scope.spawn(move || {
                        let mut part = Vec::new();
                        for at in start..(start + chunk).min(count) {
                            if let Some(image) = images.index(at) {
                                scan_image(image, &mut part);
                            }
                        }
                        part
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        for (scan, first, second, result) in parts.into_iter().flatten() {
            let result = match &result {
                Data::List(items) if items.is_empty() => 0,
                _ => {
                    this.found.push(result);
                    u32::try_from(this.found.len() - 1).unwrap_or(0)
                }
            };
            let table = &mut this.tables[scan as usize];
            let position = u32::try_from(table.records.len()).unwrap_or(u32::MAX);
            table.records.push(Record {
                first,
                second,
                result,
            });
            table.by_text.insert(first, position);
        }
        this
    }

    /// The result for the account's own string(s), if they were scanned up front.
    pub fn get(&self, scan: Scan, first: Option<TextId>, second: Option<TextId>) -> Option<&Data> {
        let (first, table) = (first?, &self.tables[scan as usize]);
        let guess = NEXT.with(|next| next.get()[scan as usize]);
        let position = match table.records.get(guess) {
            Some(record) if record.first == first => guess,
            _ => usize::try_from(*table.by_text.get(&first)?).ok()?,
        };
        let record = table.records.get(position)?;
        if record.second != second {
            return None;
        }
        NEXT.with(|next| {
            let mut guesses = next.get();
            guesses[scan as usize] = position + 1;
            next.set(guesses);
        });
        self.found.get(usize::try_from(record.result).ok()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::cel::Document;
    use crate::engine::helpers::secret_scan;

    #[test]
    fn results_match_the_detector_and_only_the_accounts_own_strings_hit() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/account.toml");
        let loaded = crate::account::load_path(&path, "account.toml").expect("the example loads");
        let images = Document::from_list(&loaded.model.images).expect("images convert");
        let scans = SecretScans::build(images.root(), &Scan::ALL, secret_scan);
        let (mut hits, mut secrets) = (0, 0);
        for image in images.root().elements().unwrap() {
            for entry in image
                .get("env")
                .and_then(|env| env.elements())
                .into_iter()
                .flatten()
            {
                let text = entry.as_str().unwrap();
                let expected = secret_scan(Scan::Env, text, "");
                assert_eq!(
                    scans.get(Scan::Env, TextId::of(text), None),
                    Some(&expected),
                    "{text:?}"
                );
                secrets += usize::from(expected != Data::List(Vec::new()));
                hits += 1;
                // The same text elsewhere (a copy a rule made) is not the account's string.
                let copy = text.to_owned();
                assert_eq!(scans.get(Scan::Env, TextId::of(&copy), None), None);
                // Nor is the same string read by another helper.
                assert_eq!(scans.get(Scan::History, TextId::of(text), None), None);
            }
            for (name, value) in image
                .get("labels")
                .and_then(|labels| labels.entries())
                .into_iter()
                .flatten()
            {
                let value = value.as_str().unwrap();
                let expected = secret_scan(Scan::Label, name, value);
                let found = scans.get(Scan::Label, TextId::of(name), TextId::of(value));
                assert_eq!(found, Some(&expected), "label {name}");
                let other_value = format!("{value}x");
                assert_eq!(
                    scans.get(Scan::Label, TextId::of(name), TextId::of(&other_value)),
                    None
                );
            }
        }
        assert!(
            hits >= 5 && secrets > 0,
            "the example has five env entries, one with a secret"
        );
    }
}
