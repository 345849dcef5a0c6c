//! Reading the files a run is given: regular files only, up to a size limit.
//!
//! Input is hostile: `regcheck validate /dev/zero` must not read forever, a FIFO must not block,
//! and a sparse 1 GB `.toml` must not be read into memory (parsing it with spans would take
//! several times its size). Every reader of user files (account files, the config file, custom
//! policies, baselines) goes through [`read_file`]: it refuses anything that is not a regular
//! file (after following symlinks) and any file over the limit, with a message that names the
//! limit and how to raise it. The limit is [`DEFAULT_MAX_FILE_SIZE`] unless the command line
//! (`--max-file-size`) or the environment (`REGCHECK_MAX_FILE_SIZE`) sets another one.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The default limit: 256 MiB, twice the largest generated benchmark account (100,000 images).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;

/// The environment variable that sets the limit (the flag wins over it).
pub const MAX_FILE_SIZE_ENV: &str = "REGCHECK_MAX_FILE_SIZE";

static MAX_FILE_SIZE: AtomicU64 = AtomicU64::new(DEFAULT_MAX_FILE_SIZE);

/// Sets the limit for every later [`read_file`] (the CLI does, once, before reading anything).
pub fn set_max_file_size(bytes: u64) {
    MAX_FILE_SIZE.store(bytes, Ordering::Relaxed);
}

/// The current limit.
pub fn max_file_size() -> u64 {
    MAX_FILE_SIZE.load(Ordering::Relaxed)
}

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    /// A folder, a device, a FIFO or a socket.
    NotRegular { kind: &'static str },
    /// Larger than the limit; `size` when the file system told it (files in /proc say 0).
    TooLarge { size: Option<u64>, limit: u64 },
    /// The operating system's error (missing, permission denied …).
    Io(String),
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::NotRegular { kind } => {
                write!(
                    f,
                    "it is {kind}, not a regular file; regcheck reads regular files only"
                )
            }
            InputError::TooLarge { size, limit } => {
                match size {
                    Some(size) => write!(f, "it is {}, over", human_size(*size))?,
                    None => f.write_str("it is larger than")?,
                }
                write!(
                    f,
                    " the {} limit on input files; raise the limit with --max-file-size SIZE or \
                     {MAX_FILE_SIZE_ENV}=SIZE (for example --max-file-size 1GiB)",
                    human_size(*limit)
                )
            }
            InputError::Io(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for InputError {}

/// The bytes of the regular file at `path` (symlinks followed), if it is within the limit.
pub fn read_file(path: &Path) -> Result<Vec<u8>, InputError> {
    let limit = max_file_size();
    let file = std::fs::File::open(path).map_err(|error| {
        // Opening a FIFO for reading blocks until a writer comes; check what it is first.
        InputError::Io(error.to_string())
    })?;
    let metadata = file
        .metadata()
        .map_err(|error| InputError::Io(error.to_string()))?;
    if !metadata.is_file() {
        return Err(InputError::NotRegular {
            kind: kind_of(&metadata),
        });
    }
    if metadata.len() > limit {
        return Err(InputError::TooLarge {
            size: Some(metadata.len()),
            limit,
        });
    }
    // The size can change while the file is read, and some files (in /proc) report 0: read
    // at most one byte past the limit to tell.
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0).saturating_add(1));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|error| InputError::Io(error.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge { size: None, limit });
    }
    Ok(bytes)
}

/// Checks `path` before it is opened: opening a FIFO for reading would block until a writer
/// comes. `Ok` when it is a regular file (or a symlink to one), or cannot be inspected (the
/// open then reports why).
pub fn check_regular(path: &Path) -> Result<(), InputError> {
    match std::fs::metadata(path) {
        Ok(metadata) if !metadata.is_file() => Err(InputError::NotRegular {
            kind: kind_of(&metadata),
        }),
        _ => Ok(()),
    }
}

/// [`check_regular`], then [`read_file`]: what every reader calls.
pub fn read(path: &Path) -> Result<Vec<u8>, InputError> {
    check_regular(path)?;
    read_file(path)
}

/// [`read`], as UTF-8 text.
pub fn read_to_string(path: &Path) -> Result<String, InputError> {
    String::from_utf8(read(path)?).map_err(|_| InputError::Io("it is not valid UTF-8".to_owned()))
}

fn kind_of(metadata: &std::fs::Metadata) -> &'static str {
    let file_type = metadata.file_type();
    if file_type.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// Parses a size: a number of bytes, or a number with a unit (`KB`, `MB`, `GB` are powers of
/// 1000; `KiB`, `MiB`, `GiB` and the bare `K`, `M`, `G` are powers of 1024), case-insensitive.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (for example 512MiB, 1GB or 1048576)"))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "mb" => 1000 * 1000,
        "gb" => 1000 * 1000 * 1000,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        _ => {
            return Err(format!(
                "`{text}` has an unknown unit: use B, KB, MB, GB, KiB, MiB or GiB"
            ));
        }
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// `1.5 GiB`, `256 MiB`, `12 bytes`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_and_without_units() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("1 GB"), Ok(1_000_000_000));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("1 XB").is_err());
        assert!(parse_size("99999999999999 GiB").is_err());
        assert_eq!(human_size(256 << 20), "256 MiB");
        assert_eq!(human_size(1536 << 20), "1.5 GiB");
        assert_eq!(human_size(10), "10 bytes");
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_folders_are_refused_at_once() {
        for (path, kind) in [("/dev/zero", "a character device"), ("/", "a folder")] {
            assert_eq!(read(Path::new(path)), Err(InputError::NotRegular { kind }));
        }
    }

    #[test]
    fn a_regular_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.toml");
        std::fs::write(&path, "x = 1\n").unwrap();
        assert_eq!(read(&path).unwrap(), b"x = 1\n");
        assert!(matches!(
            read(&dir.path().join("missing")),
            Err(InputError::Io(_))
        ));
    }
}
