//! Writing the files regcheck produces (reports, baselines, imported account files, starters)
//! without ever destroying something that is not ours to replace.
//!
//! - A regular file, or a path that does not exist yet, is written whole or not at all: a
//!   temporary file in the same folder, then a rename. The new file gets the mode a shell
//!   redirection would give it (0666 less the umask), or keeps the mode of the file it replaces.
//! - A symbolic link is followed: the file it points at is replaced, the link stays. A link that
//!   points nowhere is refused rather than replaced by a file.
//! - A character device or a FIFO (`/dev/null`, a named pipe) is written to directly, as
//!   `> PATH` would: renaming over it would replace the device node itself.
//! - `/dev/stdout` and `/dev/stderr` (or `/dev/fd/1`, `/proc/self/fd/2`) are the process's own
//!   streams, whatever they are connected to (a terminal, a pipe, a redirected file): the bytes
//!   go through them, after what the process wrote there before.
//! - Anything else (a folder, a socket, a block device) is refused.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Why a file could not be written; the message names what the path is when that is the reason.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("it is {0}, not a file regcheck may replace")]
    NotAFile(&'static str),
    #[error("it is a symbolic link to {0}, which does not exist")]
    DanglingLink(PathBuf),
}

/// Writes `bytes` to `path` as described in the module documentation.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    if let Some(stream) = standard_stream(path) {
        return stream.write(bytes);
    }
    let is_link = match fs::symlink_metadata(path) {
        Ok(meta) => meta.file_type().is_symlink(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return replace_atomically(path, bytes, None);
        }
        Err(error) => return Err(error.into()),
    };
    // What the path leads to, links followed. (Not `canonicalize`: a link into `/proc` can
    // lead to a pipe, which has no path to resolve to, but has a type.)
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() => {
            let target = if is_link {
                fs::canonicalize(path)?
            } else {
                path.to_path_buf()
            };
            replace_atomically(&target, bytes, Some(meta.permissions()))
        }
        Ok(meta) => match kind_of(&meta) {
            Kind::Stream => write_in_place(path, bytes),
            Kind::Other(what) => Err(WriteError::NotAFile(what)),
        },
        Err(error) if is_link && error.kind() == io::ErrorKind::NotFound => {
            let points_at = fs::read_link(path).unwrap_or_default();
            Err(WriteError::DanglingLink(points_at))
        }
        Err(error) => Err(error.into()),
    }
}

/// This process's standard output or error, named as a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StandardStream {
    Output,
    Error,
}

impl StandardStream {
    /// Writes through the process's own stream, so that the report lands where the rest of
    /// standard output goes (opening `/proc/self/fd/1` again would start a second write
    /// position at the start of a redirected file, and the two would overwrite each other).
    /// The bytes have passed the redaction point already (`cli::output::write_file`).
    #[allow(clippy::disallowed_methods)]
    fn write(self, bytes: &[u8]) -> Result<(), WriteError> {
        match self {
            StandardStream::Output => {
                let mut stdout = io::stdout().lock();
                stdout.write_all(bytes)?;
                stdout.flush()?;
            }
            StandardStream::Error => io::stderr().lock().write_all(bytes)?,
        }
        Ok(())
    }
}

/// Whether `path` (following links: `/dev/stdout` is a link to `/proc/self/fd/1`) names this
/// process's standard output or error.
fn standard_stream(path: &Path) -> Option<StandardStream> {
    let mut current = path.to_path_buf();
    // Links can form loops: give up after as many hops as the kernel allows.
    for _ in 0..40 {
        if let Some(stream) = descriptor_path(&current) {
            return Some(stream);
        }
        let target = fs::read_link(&current).ok()?;
        current = match target.is_absolute() {
            true => target,
            false => current.parent()?.join(target),
        };
    }
    None
}

/// `/proc/self/fd/1`, `/dev/fd/1` and their `2` counterparts.
fn descriptor_path(path: &Path) -> Option<StandardStream> {
    let own = format!("/proc/{}/fd", std::process::id());
    let number = ["/proc/self/fd", "/dev/fd", own.as_str()]
        .iter()
        .find_map(|folder| path.strip_prefix(folder).ok())?;
    match number.to_str()? {
        "1" => Some(StandardStream::Output),
        "2" => Some(StandardStream::Error),
        _ => None,
    }
}

/// Whether two output paths name the same file, so that one run does not write it twice
/// (`--report sarif=out.sarif --report json=./out.sarif`). Paths that do not exist yet are
/// compared by their folder's canonical path and their file name.
pub fn same_target(a: &Path, b: &Path) -> bool {
    match (canonical_target(a), canonical_target(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

fn canonical_target(path: &Path) -> Option<PathBuf> {
    if let Ok(resolved) = fs::canonicalize(path) {
        return Some(resolved);
    }
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    Some(fs::canonicalize(parent).ok()?.join(name))
}

enum Kind {
    /// Written in place: a character device or a FIFO.
    Stream,
    Other(&'static str),
}

#[cfg(unix)]
fn kind_of(meta: &fs::Metadata) -> Kind {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_char_device() || kind.is_fifo() {
        Kind::Stream
    } else if kind.is_dir() {
        Kind::Other("a folder")
    } else if kind.is_block_device() {
        Kind::Other("a block device")
    } else if kind.is_socket() {
        Kind::Other("a socket")
    } else {
        Kind::Other("not a regular file")
    }
}

#[cfg(not(unix))]
fn kind_of(meta: &fs::Metadata) -> Kind {
    if meta.is_dir() {
        Kind::Other("a folder")
    } else {
        Kind::Other("not a regular file")
    }
}

fn write_in_place(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let mut file = OpenOptions::new().write(true).open(path)?;
    file.write_all(bytes)?;
    file.flush()?;
    Ok(())
}

/// A temporary file beside `path`, then a rename over it. `keep` is the mode of the file being
/// replaced; a new file gets 0666 less the umask (the OS applies the umask at creation).
fn replace_atomically(path: &Path, bytes: &[u8], keep: Option<Permissions>) -> Result<(), WriteError> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".regcheck-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(Permissions::from_mode(0o666));
    }
    let mut file = builder.tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.flush()?;
    if let Some(permissions) = keep {
        file.as_file().set_permissions(permissions)?;
    }
    sync(file.as_file());
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// Data on disk before the rename makes it visible; a failure here is not worth failing for.
fn sync(file: &File) {
    let _ = file.sync_all();
}

#[cfg(all(test, unix))]
#[allow(clippy::disallowed_methods)] // the tests of write_file itself
mod tests {
    use std::os::unix::fs::{PermissionsExt, symlink};

    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_file_gets_the_umask_default_mode_not_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        write_file(&path, b"{}").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{}");
        // Tests run under the usual 022 (or stricter 077/027) umask; 0600 is tempfile's default
        // and would mean the umask was not what decided.
        let umask_default = 0o666 & !current_umask();
        assert_eq!(mode(&path), umask_default);
    }

    #[test]
    fn a_replaced_file_keeps_its_mode_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline.json");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o640)).unwrap();
        write_file(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(mode(&path), 0o640);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_symlink_is_followed_and_stays_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.sarif");
        let link = dir.path().join("link.sarif");
        fs::write(&real, "old").unwrap();
        symlink(&real, &link).unwrap();
        write_file(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
    }

    #[test]
    fn a_dangling_symlink_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("link.sarif");
        symlink(dir.path().join("missing/x.sarif"), &link).unwrap();
        let error = write_file(&link, b"new").unwrap_err();
        assert!(matches!(error, WriteError::DanglingLink(_)), "{error}");
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    }

    #[test]
    fn a_device_is_written_in_place_not_replaced() {
        // /dev/null stands for /dev/stdout: a rename over it would need root and destroy it.
        write_file(Path::new("/dev/null"), b"report").unwrap();
        use std::os::unix::fs::FileTypeExt;
        assert!(fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    }

    #[test]
    fn a_fifo_is_written_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
        };
        write_file(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        use std::os::unix::fs::FileTypeExt;
        assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
    }

    #[test]
    fn the_process_streams_are_recognised_through_links() {
        assert_eq!(
            standard_stream(Path::new("/dev/stdout")),
            Some(StandardStream::Output)
        );
        assert_eq!(
            standard_stream(Path::new("/dev/stderr")),
            Some(StandardStream::Error)
        );
        assert_eq!(
            standard_stream(Path::new("/proc/self/fd/1")),
            Some(StandardStream::Output)
        );
        assert_eq!(
            standard_stream(Path::new("/dev/fd/2")),
            Some(StandardStream::Error)
        );
        assert_eq!(standard_stream(Path::new("/dev/null")), None);
        assert_eq!(standard_stream(Path::new("/proc/self/fd/10")), None);
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("out");
        symlink("/dev/stdout", &link).unwrap();
        assert_eq!(standard_stream(&link), Some(StandardStream::Output));
        let a = dir.path().join("a");
        symlink(dir.path().join("b"), &a).unwrap();
        symlink(&a, dir.path().join("b")).unwrap();
        assert_eq!(standard_stream(&a), None, "a link loop ends");
    }

    #[test]
    fn a_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let error = write_file(dir.path(), b"x").unwrap_err();
        assert_eq!(
            error.to_string(),
            "it is a folder, not a file regcheck may replace"
        );
    }

    #[test]
    fn same_target_sees_through_spellings_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("out.sarif");
        let b = dir.path().join(".").join("out.sarif");
        assert!(same_target(&a, &b), "a file that does not exist yet");
        fs::write(&a, "").unwrap();
        let link = dir.path().join("link");
        symlink(&a, &link).unwrap();
        assert!(same_target(&a, &link));
        assert!(!same_target(&a, &dir.path().join("other.sarif")));
    }

    /// The process umask, read from /proc (setting it to read it would race other tests).
    fn current_umask() -> u32 {
        let status = fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|line| line.starts_with("Umask:")).unwrap();
        u32::from_str_radix(line.split_whitespace().nth(1).unwrap(), 8).unwrap()
    }
}
