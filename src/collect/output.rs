//! From a command's output to a file of the capture folder: the JSON document in what
//! `ibmcloud` printed (after any banner lines), and the folder itself, which replaces an
//! earlier capture's files and writes each file whole (`crate::write::write_file`).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::commands;

/// The first JSON document in `stdout`, skipping lines before it that are not JSON (`OK`,
/// banners) and ignoring what follows it. `None` when there is none.
pub fn parse_json(stdout: &[u8]) -> Option<Value> {
    let text = String::from_utf8_lossy(stdout);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            let rest = &text[offset..];
            let mut documents = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
            if let Some(Ok(value)) = documents.next() {
                return Some(value);
            }
        }
        offset += line.len();
    }
    None
}

/// A document as it is written: pretty, with a final newline (key order as IBM printed it).
pub fn json_bytes(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The folder a capture is written to.
#[derive(Debug)]
pub struct CaptureDir {
    root: PathBuf,
}

impl CaptureDir {
    pub fn new(root: &Path) -> Self {
        CaptureDir {
            root: root.to_path_buf(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates the folder, then removes the files of an earlier capture from it: the layout's
    /// file names at the top and in `regions/<region>/` for every known region (emptied region
    /// folders go too). Nothing else in the folder is touched. Returns how many files went.
    pub fn prepare(&self) -> io::Result<usize> {
        fs::create_dir_all(&self.root)?;
        let mut removed = 0;
        for name in commands::account_files() {
            removed += remove_file_if_present(&self.root.join(name))?;
        }
        let regions = self.root.join("regions");
        for region in crate::regions::names() {
            let folder = regions.join(region);
            for name in commands::region_files() {
                removed += remove_file_if_present(&folder.join(name))?;
            }
            let _ = fs::remove_dir(&folder);
        }
        let _ = fs::remove_dir(&regions);
        Ok(removed)
    }

    /// Writes `relative` (a path in the layout) whole, creating its folder. The output of
    /// `ibmcloud` is kept as it printed it, secrets and all: it is evidence for `import`, which
    /// the rules must see unmasked, not a report (so this write skips the redaction point).
    #[allow(clippy::disallowed_methods)]
    pub fn write(&self, relative: &str, bytes: &[u8]) -> Result<(), String> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|error| format!("cannot create {}: {error}", parent.display()))?;
        }
        crate::write::write_file(&path, bytes)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))
    }
}

/// Removes a regular file or a symbolic link (not what it points at); anything else stays.
fn remove_file_if_present(path: &Path) -> io::Result<usize> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() || meta.file_type().is_symlink() => {
            fs::remove_file(path)?;
            Ok(1)
        }
        Ok(_) => Ok(0),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(error) => Err(error),
    }
}

/// The relative path of a region's capture file.
pub fn region_path(region: &str, file: &str) -> String {
    format!("regions/{region}/{file}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_after_banners_and_before_trailers_is_found() {
        assert_eq!(parse_json(b"[1, 2]"), Some(json!([1, 2])));
        assert_eq!(
            parse_json(b"Listing namespaces...\n\nOK\n{\"a\": [1]}\n\nOK\n"),
            Some(json!({"a": [1]}))
        );
        assert_eq!(parse_json(b"\xef\xbb\xbf[]"), Some(json!([])));
        assert_eq!(parse_json(b"No images found.\nOK\n"), None);
        assert_eq!(parse_json(b"[broken\n"), None);
        assert_eq!(parse_json(b""), None);
    }

    #[test]
    fn prepare_replaces_an_earlier_capture_and_leaves_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("capture");
        let capture = CaptureDir::new(&root);
        capture.write("account-show.json", b"{}").unwrap();
        capture.write("regions/eu-de/cr-va.json", b"[]").unwrap();
        capture.write("regions/eu-de/notes.md", b"mine").unwrap();
        capture.write("regions/us-south/cr-plan.json", b"{}").unwrap();
        fs::write(root.join("README"), "mine").unwrap();

        assert_eq!(capture.prepare().unwrap(), 3);
        assert!(root.join("README").exists());
        assert!(root.join("regions/eu-de/notes.md").exists());
        assert!(!root.join("regions/us-south").exists());
        assert!(!root.join("account-show.json").exists());
    }
}
