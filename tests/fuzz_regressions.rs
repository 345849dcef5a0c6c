//! Replays every input the fuzz targets ever crashed on (`fuzz/regressions/<target>/`), and the
//! seed corpus (`fuzz/seeds/<target>/`), through the same harness the targets run
//! (`fuzz/harness.rs`): a crash, once fixed, stays fixed. `fuzz/README.md` says how to fuzz and
//! how to add a crash here.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;

/// Every file under `fuzz/<folder>/<target>/`.
fn inputs(folder: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(folder)
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file() && path.file_name().is_some_and(|name| name != ".gitkeep"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| (path.display().to_string(), std::fs::read(&path).unwrap()))
        .collect()
}

fn replay(folder: &str) -> usize {
    let mut count = 0;
    for (target, run) in harness::TARGETS {
        for (name, data) in inputs(folder, target) {
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{target} crashes on {name}");
            count += 1;
        }
    }
    count
}

#[test]
fn saved_crashes_no_longer_crash() {
    replay("regressions");
}

#[test]
fn the_seed_corpus_runs_clean() {
    assert!(replay("seeds") >= 40, "every target has seeds");
}

#[test]
fn every_target_has_its_folders() {
    for (target, _) in harness::TARGETS {
        for folder in ["seeds", "regressions"] {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fuzz")
                .join(folder)
                .join(target);
            assert!(dir.is_dir(), "{} is missing", dir.display());
        }
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/fuzz_targets")
            .join(format!("{target}.rs"));
        assert!(source.is_file(), "{} is missing", source.display());
    }
}
