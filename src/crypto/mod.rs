//! Cryptography for farthing: sealed tokens (`token`), sealed locators that route an id to
//! its account (`locator`), the secrets the server keeps or checks (`secret`: vendor API
//! keys, the admin key, member pseudonyms), and the boot epoch that ties access tokens to
//! one run of the server (`boot`).
//!
//! This module must not depend on the domain core, the actors, storage or HTTP, and it reads
//! no clock and logs nothing: time and randomness are arguments, so the same inputs give the
//! same answer in tests. The only I/O here is loading and writing key files and the boot
//! epoch file, which happens at start-up or from an operator command, never on a request path.
//!
//! Key material never gets a `Debug` impl and is zeroized when dropped (STYLE §3.10, rule 13).

pub mod boot;
pub mod data_key;
pub mod locator;
pub mod secret;
pub mod token;

pub use boot::BootEpoch;
pub use data_key::DataKey;
pub use locator::LocatorKey;
pub use secret::{
    AdminKey, ApiKeyDigest, PseudonymKey, generate_api_key, load_or_create_admin_key,
    parse_api_key, verify_api_key,
};
pub use token::{AccessClaims, BuyerClaims, Claims, Purpose, SessionClaims, TokenError, TokenKeys};

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

/// Why a key file, or the boot epoch file (`boot`), could not be loaded or written. The
/// messages do not say which kind of file: the caller adds that context.
///
/// Kept apart from `TokenError` because it happens at start-up or in an operator command,
/// where the right reaction is to stop and tell a human, not to answer a request.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading, creating, syncing or renaming the file failed; the operating system's error
    /// says why (missing permission, full disk, ...).
    #[error("I/O failed: {0}")]
    Io(#[from] io::Error),
    /// The file exists but does not hold what farthing writes. The server refuses to start
    /// rather than guess, because a silently replaced key would log every member out or,
    /// worse, let a stale key keep working.
    #[error("file {} is corrupt at line {line}", path.display())]
    Corrupt {
        /// The file that failed to parse, so the operator knows which one to look at.
        path: PathBuf,
        /// The 1-based line that failed; 0 means the file as a whole (for example: no key).
        line: usize,
    },
}

/// File mode of every key file: readable and writable by the server's user only.
const KEY_FILE_MODE: u32 = 0o600;
/// Mode of a key directory that farthing creates: only the server's user may list it.
const KEY_DIR_MODE: u32 = 0o700;

/// Creates `dir` (and its parents) with mode 0700 if it does not exist yet.
pub(crate) fn create_key_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(KEY_DIR_MODE)
        .create(dir)
}

/// Reads a key file, or `None` when it does not exist.
///
/// The contents are returned in a `Zeroizing` buffer so the secret text is wiped after
/// parsing.
pub(crate) fn read_key_file(path: &Path) -> io::Result<Option<Zeroizing<String>>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(Zeroizing::new(text))),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// How `write_key_file` treats an existing file at the destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Replace {
    /// Replace it atomically (rotation, retirement).
    Yes,
    /// Leave it alone and report `AlreadyExists` (first creation, so that two processes
    /// starting at once end up with the same key instead of one each).
    No,
}

/// Writes `contents` to `path` atomically with mode 0600: write a temporary file in the same
/// directory, fsync it, move it into place, fsync the directory.
///
/// A reader therefore sees the old file or the new one, never half of one. With
/// `Replace::No` the move is a hard link, which fails with `AlreadyExists` instead of
/// overwriting a file another process created meanwhile.
pub(crate) fn write_key_file(path: &Path, contents: &[u8], replace: Replace) -> io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp.{}", std::process::id()));
    let tmp = dir.join(tmp_name);

    // A temporary file left by a crash of this same pid may have any mode: start afresh so
    // `mode(0o600)` below applies (it only applies when the file is created).
    match fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(KEY_FILE_MODE)
            .open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        match replace {
            Replace::Yes => fs::rename(&tmp, path),
            Replace::No => fs::hard_link(&tmp, path).and_then(|()| fs::remove_file(&tmp)),
        }
    })();
    if written.is_err() {
        // Best effort: the original error is the one worth reporting.
        let _ = fs::remove_file(&tmp);
    }
    written?;
    File::open(dir)?.sync_all()
}

/// Writes `bytes` as lowercase hex to `out`, without reallocating when `out` has capacity.
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        for nibble in [byte >> 4, byte & 0x0f] {
            let digit = DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0');
            out.push(char::from(digit));
        }
    }
}

/// Parses exactly 64 hex digits (either case) into 32 bytes; `None` for anything else.
pub(crate) fn parse_hex_32(text: &str) -> Option<[u8; 32]> {
    parse_hex(text)
}

/// Parses exactly `2 * N` hex digits (either case) into `N` bytes; `None` for anything else.
pub(crate) fn parse_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    fn nibble(digit: u8) -> Option<u8> {
        match digit {
            b'0'..=b'9' => Some(digit - b'0'),
            b'a'..=b'f' => Some(digit - b'a' + 10),
            b'A'..=b'F' => Some(digit - b'A' + 10),
            _ => None,
        }
    }
    let digits = text.as_bytes();
    if N.checked_mul(2) != Some(digits.len()) {
        return None;
    }
    let mut out = [0u8; N];
    for (slot, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let [high, low] = pair else { return None };
        *slot = (nibble(*high)? << 4) | nibble(*low)?;
    }
    Some(out)
}

/// Loads `<dir>/<file_name>`, a key of `N` random bytes written as hex and a newline,
/// creating it (and `dir`, mode 0700) with a fresh key from the operating system's
/// generator, file mode 0600, if missing.
///
/// It takes no generator: a key file is made once per installation, never in a test that
/// needs it reproducible. Creation never replaces a file another process wrote meanwhile;
/// the key that process wrote is returned instead.
///
/// # Errors
/// `KeyFileError::Io` if the directory or file cannot be created or read;
/// `KeyFileError::Corrupt` (line 1) if the file does not hold exactly one key of `N` bytes.
pub(crate) fn load_or_create_hex_key<const N: usize>(
    dir: &Path,
    file_name: &str,
) -> Result<Zeroizing<[u8; N]>, KeyFileError> {
    create_key_dir(dir)?;
    let path = dir.join(file_name);
    if let Some(text) = read_key_file(&path)? {
        return parse_hex_key_file(&path, &text);
    }
    let mut key = Zeroizing::new([0u8; N]);
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, key.as_mut());
    // Sized up front so `push_hex` never reallocates and leaves a partial copy behind.
    let mut text = Zeroizing::new(String::with_capacity(N.saturating_mul(2).saturating_add(1)));
    push_hex(&mut text, key.as_ref());
    text.push('\n');
    match write_key_file(&path, text.as_bytes(), Replace::No) {
        Ok(()) => Ok(key),
        // Another process created the file first: use its key, not ours.
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            let existing = read_key_file(&path)?.ok_or(KeyFileError::Io(error))?;
            parse_hex_key_file(&path, &existing)
        }
        Err(error) => Err(KeyFileError::Io(error)),
    }
}

/// Parses the text of a one-key file: `2 * N` hex digits, optionally followed by a newline.
fn parse_hex_key_file<const N: usize>(
    path: &Path,
    text: &str,
) -> Result<Zeroizing<[u8; N]>, KeyFileError> {
    let hex = text.strip_suffix('\n').unwrap_or(text);
    parse_hex(hex)
        .map(Zeroizing::new)
        .ok_or_else(|| KeyFileError::Corrupt {
            path: PathBuf::from(path),
            line: 1,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let bytes: [u8; 32] = std::array::from_fn(|i| u8::try_from(i * 7).unwrap());
        let mut text = String::new();
        push_hex(&mut text, &bytes);
        assert_eq!(text.len(), 64);
        assert_eq!(parse_hex_32(&text), Some(bytes));
        assert_eq!(parse_hex_32(&text.to_uppercase()), Some(bytes));
    }

    #[test]
    fn hex_rejects_bad_input() {
        assert_eq!(parse_hex_32(""), None);
        assert_eq!(parse_hex_32(&"0".repeat(63)), None);
        assert_eq!(parse_hex_32(&"0".repeat(65)), None);
        assert_eq!(parse_hex_32(&format!("{}g", "0".repeat(63))), None);
        // Multi-byte characters must not be split or cause a panic.
        assert_eq!(parse_hex_32(&"é".repeat(32)), None);
    }

    #[test]
    fn hex_of_other_lengths_round_trips() {
        let bytes: [u8; 64] = std::array::from_fn(|i| u8::try_from(i * 3).unwrap());
        let mut text = String::new();
        push_hex(&mut text, &bytes);
        assert_eq!(parse_hex::<64>(&text), Some(bytes));
        assert_eq!(parse_hex::<32>(&text), None);
        assert_eq!(parse_hex::<64>(&text[..64]), None);
        assert_eq!(parse_hex::<0>(""), Some([]));
    }

    #[test]
    fn hex_key_file_is_created_once_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let created = load_or_create_hex_key::<16>(dir.path(), "k").unwrap();
        let text = fs::read_to_string(dir.path().join("k")).unwrap();
        assert_eq!(text.len(), 32 + 1);
        let reloaded = load_or_create_hex_key::<16>(dir.path(), "k").unwrap();
        assert_eq!(*created, *reloaded);
        // The same file read as another key length is corrupt, not silently replaced.
        assert!(matches!(
            load_or_create_hex_key::<32>(dir.path(), "k"),
            Err(KeyFileError::Corrupt { line: 1, .. })
        ));
        assert_eq!(fs::read_to_string(dir.path().join("k")).unwrap(), text);
    }

    #[test]
    fn write_key_file_no_replace_keeps_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        write_key_file(&path, b"one", Replace::No).unwrap();
        let error = write_key_file(&path, b"two", Replace::No).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"one");
        write_key_file(&path, b"three", Replace::Yes).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"three");
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
