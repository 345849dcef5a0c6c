//! Which account files an audit reads: files as given, folders walked for `*.toml` account
//! files (`cli.md`): hidden folders and `regcheck.toml` are skipped, symlinks are followed, and
//! a symlink loop is reported instead of being followed forever.

use std::path::{Path, PathBuf};

use crate::config;

/// Account files to load, in a stable order, and problems met while walking (path, message).
#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<PathBuf>,
    pub problems: Vec<(String, String)>,
}

pub fn account_files(paths: &[PathBuf]) -> Discovered {
    let mut found = Discovered::default();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut found);
        } else {
            // A named file is read even if it is hidden or named regcheck.toml: the user asked.
            found.files.push(path.clone());
        }
    }
    found
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

fn walk(dir: &Path, found: &mut Discovered) {
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry.file_name()));
    for entry in walker {
        match entry {
            Ok(entry) => {
                let is_account = entry.file_type().is_file()
                    && entry.path().extension().is_some_and(|ext| ext == "toml")
                    && entry.file_name() != config::FILE_NAME;
                if is_account {
                    found.files.push(entry.into_path());
                }
            }
            Err(error) => {
                let path = error
                    .path()
                    .map_or_else(|| dir.display().to_string(), |p| p.display().to_string());
                let message = match error.loop_ancestor() {
                    Some(ancestor) => format!(
                        "symlink loop: {path} points back to {}; not followed",
                        ancestor.display()
                    ),
                    None => format!("cannot read {path}: {error}"),
                };
                found.problems.push((path.replace('\\', "/"), message));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_toml_files_skipping_hidden_folders_and_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "b.toml",
            "a/c.toml",
            "regcheck.toml",
            ".hidden/d.toml",
            "notes.txt",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let found = account_files(&[root.to_path_buf()]);
        let names: Vec<_> = found
            .files
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().to_owned())
            .collect();
        assert_eq!(names, [PathBuf::from("a/c.toml"), PathBuf::from("b.toml")]);
        assert!(found.problems.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_reported_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("x")).unwrap();
        std::fs::write(root.join("x/a.toml"), "").unwrap();
        std::os::unix::fs::symlink(root, root.join("x/back")).unwrap();
        let found = account_files(&[root.to_path_buf()]);
        assert_eq!(found.files.len(), 1);
        assert_eq!(found.problems.len(), 1);
        assert!(
            found.problems[0].1.contains("symlink loop"),
            "{:?}",
            found.problems
        );
    }
}
