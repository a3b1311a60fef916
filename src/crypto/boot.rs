//! The boot epoch: a number the server advances durably at every start, so state it keeps
//! only in memory can be tied to one run of the process.
//!
//! Access tokens carry the epoch they were minted in. The ids of spent access tokens of
//! unlimited entitlements live only in memory (an access check writes nothing), so after a
//! restart the server no longer knows which were spent; instead it refuses every token of an
//! earlier epoch as expired, and the vendor re-authorizes, which is free for owned content.
//! Persisting spent ids was rejected: it would put a journal write on every view of content
//! the member already owns. A random value per start would need no file, but only makes a
//! repeat unlikely; a durable counter rules it out and tells an operator how many times the
//! node has started.
//!
//! The epoch lives in `<dir>/boot.epoch` as a decimal number and a newline, replaced
//! atomically (temporary file, fsync, rename, fsync of the directory) by `write_key_file`,
//! so a crash leaves the old number or the new one, never a torn file.
//!
//! This module must not depend on the domain core, actors, storage or HTTP; it reads no
//! clock and logs nothing. Its only I/O is the one file, read and written at start-up.

use std::path::{Path, PathBuf};

use super::{KeyFileError, Replace, create_key_dir, read_key_file, write_key_file};

/// File name of the boot epoch inside the data directory.
const BOOT_EPOCH_FILE: &str = "boot.epoch";
/// Longest text a valid file holds: 20 digits of `u64::MAX` and a newline. Anything longer
/// is refused before parsing.
const BOOT_EPOCH_CHARS_MAX: usize = 20 + 1;

/// The durable start counter (see the module documentation). A namespace for `advance`:
/// the epoch itself travels as a plain `u64`, like the other token claims.
pub struct BootEpoch;

impl BootEpoch {
    /// Reads `<dir>/boot.epoch` (absent means 0), durably writes the next number, and
    /// returns it: 1 at the first start, then 2, 3, ... Creates `dir` (mode 0700) if needed.
    ///
    /// Call it once per start, before any token is minted, and keep the value for the life
    /// of the process. The file is written before this returns, so no two runs that minted
    /// tokens can share an epoch, even if the second starts after a crash of the first.
    ///
    /// # Errors
    /// `KeyFileError::Io` if the directory or file cannot be created, read, synced or
    /// renamed; `KeyFileError::Corrupt` (line 1, naming the file) if the file does not hold
    /// one decimal number, or holds `u64::MAX`. A corrupt file is never reset: starting over
    /// at 1 could give a new run the epoch of an old one and revive its spent tokens.
    pub fn advance(dir: &Path) -> Result<u64, KeyFileError> {
        create_key_dir(dir)?;
        let path = dir.join(BOOT_EPOCH_FILE);
        let corrupt = || KeyFileError::Corrupt {
            path: PathBuf::from(&path),
            line: 1,
        };
        let previous = match read_key_file(&path)? {
            Some(text) => parse_epoch(&text).ok_or_else(corrupt)?,
            None => 0,
        };
        let next = previous.checked_add(1).ok_or_else(corrupt)?;
        let text = format!("{next}\n");
        write_key_file(&path, text.as_bytes(), Replace::Yes)?;
        Ok(next)
    }
}

/// Parses the file's text: one or more ASCII digits fitting a `u64`, then an optional
/// newline. `str::parse` alone would also take a leading `+`.
fn parse_epoch(text: &str) -> Option<u64> {
    if text.len() > BOOT_EPOCH_CHARS_MAX {
        return None;
    }
    let digits = text.strip_suffix('\n').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn counts_up_from_one() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(BootEpoch::advance(dir.path()).unwrap(), 1);
        assert_eq!(BootEpoch::advance(dir.path()).unwrap(), 2);
        assert_eq!(BootEpoch::advance(dir.path()).unwrap(), 3);
        let path = dir.path().join(BOOT_EPOCH_FILE);
        assert_eq!(fs::read_to_string(&path).unwrap(), "3\n");
    }

    #[test]
    fn creates_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data").join("node");
        assert_eq!(BootEpoch::advance(&data).unwrap(), 1);
        assert!(data.join(BOOT_EPOCH_FILE).exists());
    }

    #[test]
    fn continues_from_a_file_written_by_hand() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(BOOT_EPOCH_FILE);
        fs::write(&path, "41").unwrap();
        assert_eq!(BootEpoch::advance(dir.path()).unwrap(), 42);
        fs::write(&path, format!("{}\n", u64::MAX - 1)).unwrap();
        assert_eq!(BootEpoch::advance(dir.path()).unwrap(), u64::MAX);
    }

    #[test]
    fn a_corrupt_file_is_refused_naming_it_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(BOOT_EPOCH_FILE);
        let max = u64::MAX.to_string();
        let too_big = "18446744073709551616".to_owned();
        let long = "1".repeat(1000);
        for text in [
            "",
            "\n",
            "x",
            "-1",
            "+1",
            " 1",
            "1 ",
            "1\n\n",
            "1\r\n",
            "0x10",
            "1.5",
            "٣",
            max.as_str(),
            too_big.as_str(),
            long.as_str(),
        ] {
            fs::write(&path, text).unwrap();
            match BootEpoch::advance(dir.path()) {
                Err(error @ KeyFileError::Corrupt { line: 1, .. }) => {
                    assert!(
                        error.to_string().contains(&path.display().to_string()),
                        "{error}"
                    );
                }
                Err(other) => panic!("{text:?}: {other}"),
                Ok(epoch) => panic!("{text:?} gave {epoch}"),
            }
            assert_eq!(fs::read_to_string(&path).unwrap(), text);
        }
    }

    #[test]
    fn no_temporary_file_lingers() {
        let dir = tempfile::tempdir().unwrap();
        BootEpoch::advance(dir.path()).unwrap();
        BootEpoch::advance(dir.path()).unwrap();
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, [BOOT_EPOCH_FILE]);
    }

    #[test]
    fn a_file_where_the_directory_belongs_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the directory should be.
        let blocked = dir.path().join("blocked");
        fs::write(&blocked, "").unwrap();
        assert!(matches!(
            BootEpoch::advance(&blocked),
            Err(KeyFileError::Io(_))
        ));
    }
}
