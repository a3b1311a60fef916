//! Cryptography for farthing: sealed tokens (`token`) and the secrets the server keeps or
//! checks (`secret`: vendor API keys, the admin key, member pseudonyms).
//!
//! This module must not depend on the domain core, the actors, storage or HTTP, and it reads
//! no clock and logs nothing: time and randomness are arguments, so the same inputs give the
//! same answer in tests. The only I/O here is loading and writing key files, which happens at
//! start-up or from an operator command, never on a request path.
//!
//! Key material never gets a `Debug` impl and is zeroized when dropped (STYLE §3.10, rule 13).

pub mod secret;
pub mod token;

pub use secret::{
    AdminKey, ApiKeyDigest, PseudonymKey, generate_api_key, load_or_create_admin_key,
    parse_api_key, verify_api_key,
};
pub use token::{AccessClaims, BuyerClaims, Claims, Purpose, SessionClaims, TokenError, TokenKeys};

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Why a key file could not be loaded or written.
///
/// Kept apart from `TokenError` because it happens at start-up or in an operator command,
/// where the right reaction is to stop and tell a human, not to answer a request.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading, creating, syncing or renaming the file failed; the operating system's error
    /// says why (missing permission, full disk, ...).
    #[error("key file I/O failed: {0}")]
    Io(#[from] io::Error),
    /// The file exists but does not hold what farthing writes. The server refuses to start
    /// rather than guess, because a silently replaced key would log every member out or,
    /// worse, let a stale key keep working.
    #[error("key file {} is corrupt at line {line}", path.display())]
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
pub(crate) fn read_key_file(path: &Path) -> io::Result<Option<zeroize::Zeroizing<String>>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(zeroize::Zeroizing::new(text))),
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
    fn nibble(digit: u8) -> Option<u8> {
        match digit {
            b'0'..=b'9' => Some(digit - b'0'),
            b'a'..=b'f' => Some(digit - b'a' + 10),
            b'A'..=b'F' => Some(digit - b'A' + 10),
            _ => None,
        }
    }
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let [high, low] = pair else { return None };
        *slot = (nibble(*high)? << 4) | nibble(*low)?;
    }
    Some(out)
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
