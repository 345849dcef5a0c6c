//! The Action's installer (`action/install.sh`) against a local folder standing in for a GitHub
//! release, built by the release's own packaging script (`release/package.sh`) from the binary
//! these tests just compiled: a good install and the cache, a checksum mismatch, a missing sum, a
//! missing asset and an unsupported platform (both fall back to `cargo install --locked`, here a
//! stand-in that records its arguments), and the platform detection.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const TARGET: &str = "x86_64-unknown-linux-musl";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

struct Release {
    dir: tempfile::TempDir,
}

impl Release {
    /// A release folder holding this build's binary packed as the archive for `TARGET` (packed
    /// once, then copied for each test, which may change its copy).
    fn new() -> Self {
        static PACKED: OnceLock<tempfile::TempDir> = OnceLock::new();
        let packed = PACKED.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let output = Command::new("bash")
                .arg(repo("release/package.sh"))
                .args([VERSION, TARGET, env!("CARGO_BIN_EXE_regcheck")])
                .arg(dir.path())
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            dir
        });
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("release")).unwrap();
        for entry in std::fs::read_dir(packed.path()).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.path().join("release").join(entry.file_name())).unwrap();
        }
        Self { dir }
    }

    fn folder(&self) -> PathBuf {
        self.dir.path().join("release")
    }

    fn archive(&self) -> PathBuf {
        self.folder().join(format!("regcheck-{VERSION}-{TARGET}.tar.gz"))
    }

    fn install_dir(&self) -> PathBuf {
        self.dir.path().join("tools")
    }

    /// A stand-in for cargo that records its arguments and "builds" a script named regcheck.
    fn fake_cargo(&self) -> PathBuf {
        let path = self.dir.path().join("fake-cargo");
        std::fs::write(
            &path,
            "#!/usr/bin/env bash\necho \"$@\" > \"$(dirname \"$0\")/cargo-args\"\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=$2; shift; done\nmkdir -p \"$root/bin\"\nprintf '#!/bin/sh\\necho built-from-source\\n' > \"$root/bin/regcheck\"\nchmod +x \"$root/bin/regcheck\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn cargo_args(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("cargo-args")).unwrap_or_default()
    }

    /// Runs the installer with the given environment; returns (exit code, GITHUB_OUTPUT, stderr).
    fn install(&self, env: &[(&str, &str)]) -> (i32, String, String) {
        let outputs = self.dir.path().join("github-output");
        let _ = std::fs::remove_file(&outputs);
        let mut command = Command::new("bash");
        command
            .arg(repo("action/install.sh"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("REGCHECK_RELEASE_URL", self.folder())
            .env("REGCHECK_INSTALL_DIR", self.install_dir())
            .env("GITHUB_OUTPUT", &outputs)
            .env("GITHUB_PATH", self.dir.path().join("github-path"));
        for (key, value) in env {
            command.env(key, value);
        }
        let output = command.output().unwrap();
        (
            output.status.code().unwrap_or(-1),
            std::fs::read_to_string(&outputs).unwrap_or_default(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

#[test]
fn installs_the_release_archive_and_then_reuses_it() {
    let release = Release::new();
    let (code, outputs, stderr) = release.install(&[("REGCHECK_TARGET", TARGET)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(outputs.contains("source=release"), "{outputs}");
    assert!(stderr.contains("checksum verified"), "{stderr}");
    let installed = release.install_dir().join("regcheck");
    let version = Command::new(&installed).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("regcheck {VERSION}")
    );
    let path = std::fs::read_to_string(release.dir.path().join("github-path")).unwrap();
    assert_eq!(path.trim(), release.install_dir().to_string_lossy());

    // The Action restores the folder from its cache: the next run downloads nothing.
    std::fs::remove_file(release.archive()).unwrap();
    let (code, outputs, stderr) = release.install(&[("REGCHECK_TARGET", TARGET)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(outputs.contains("source=cache"), "{outputs}");
}

#[test]
fn a_checksum_mismatch_installs_nothing_and_does_not_fall_back() {
    let release = Release::new();
    let sum = release
        .folder()
        .join(format!("regcheck-{VERSION}-{TARGET}.tar.gz.sha256"));
    let text = std::fs::read_to_string(&sum).unwrap();
    let flipped = if text.starts_with('0') { "1" } else { "0" };
    std::fs::write(&sum, format!("{flipped}{}", &text[1..])).unwrap();
    let cargo = release.fake_cargo();
    let (code, outputs, stderr) = release.install(&[
        ("REGCHECK_TARGET", TARGET),
        ("REGCHECK_CARGO", cargo.to_str().unwrap()),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("checksum mismatch"), "{stderr}");
    assert!(outputs.is_empty(), "{outputs}");
    assert!(!release.install_dir().join("regcheck").exists());
    assert!(
        release.cargo_args().is_empty(),
        "no silent fallback on a mismatch"
    );
}

#[test]
fn an_archive_without_its_sum_is_refused() {
    let release = Release::new();
    std::fs::remove_file(
        release
            .folder()
            .join(format!("regcheck-{VERSION}-{TARGET}.tar.gz.sha256")),
    )
    .unwrap();
    let (code, _, stderr) = release.install(&[("REGCHECK_TARGET", TARGET)]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("cannot be verified"), "{stderr}");
    assert!(!release.install_dir().join("regcheck").exists());
}

#[test]
fn a_missing_asset_falls_back_to_cargo_install_locked() {
    let release = Release::new();
    let cargo = release.fake_cargo();
    // A version with no release (an unreleased commit): no archive fits.
    let (code, outputs, stderr) = release.install(&[
        ("REGCHECK_TARGET", TARGET),
        ("REGCHECK_VERSION", "9.9.9"),
        ("REGCHECK_CARGO", cargo.to_str().unwrap()),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("has no regcheck-9.9.9-x86_64-unknown-linux-musl.tar.gz"),
        "{stderr}"
    );
    assert!(outputs.contains("source=cargo"), "{outputs}");
    let args = release.cargo_args();
    assert!(
        args.starts_with(&format!(
            "install --locked --quiet --path {}",
            env!("CARGO_MANIFEST_DIR")
        )),
        "{args}"
    );
    assert!(release.install_dir().join("regcheck").exists());

    // Without cargo, it says what to do.
    let (code, _, stderr) = release.install(&[
        ("REGCHECK_TARGET", TARGET),
        ("REGCHECK_VERSION", "9.9.8"),
        ("REGCHECK_CARGO", "/nonexistent/cargo"),
        (
            "REGCHECK_INSTALL_DIR",
            release.dir.path().join("other").to_str().unwrap(),
        ),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("cargo is not installed"), "{stderr}");
}

#[test]
fn an_unsupported_platform_falls_back_to_cargo_install_locked() {
    let release = Release::new();
    let cargo = release.fake_cargo();
    let (code, outputs, stderr) = release.install(&[
        ("RUNNER_OS", "Windows"),
        ("RUNNER_ARCH", "ARM64"),
        ("REGCHECK_CARGO", cargo.to_str().unwrap()),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("no release archive for this platform (Windows ARM64)"),
        "{stderr}"
    );
    assert!(
        outputs.contains("source=cargo") && outputs.contains("target=none"),
        "{outputs}"
    );
    assert!(release.cargo_args().starts_with("install --locked"));
}

#[test]
fn the_plan_names_the_runner_s_target_and_the_action_s_own_version() {
    for (os, arch, target) in [
        ("Linux", "X64", "x86_64-unknown-linux-musl"),
        ("Linux", "ARM64", "aarch64-unknown-linux-musl"),
        ("macOS", "X64", "x86_64-apple-darwin"),
        ("macOS", "ARM64", "aarch64-apple-darwin"),
        ("Windows", "X64", "x86_64-pc-windows-msvc"),
        ("Linux", "ARM", "none"),
    ] {
        let output = Command::new("bash")
            .arg(repo("action/install.sh"))
            .arg("--plan")
            .env("RUNNER_OS", os)
            .env("RUNNER_ARCH", arch)
            .env("RUNNER_TOOL_CACHE", "/opt/hostedtoolcache")
            .env_remove("REGCHECK_VERSION")
            .env_remove("REGCHECK_TARGET")
            .env_remove("REGCHECK_INSTALL_DIR")
            .env_remove("GITHUB_OUTPUT")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{os} {arch}");
        assert!(text.contains(&format!("version={VERSION}\n")), "{text}");
        assert!(
            text.contains(&format!("target={target}\n")),
            "{os} {arch}: {text}"
        );
        if target != "none" {
            assert!(
                text.contains(&format!("dir=/opt/hostedtoolcache/regcheck/{VERSION}/{target}\n")),
                "{text}"
            );
        }
    }
}
