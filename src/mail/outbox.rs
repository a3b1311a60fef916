//! The mail outbox: a directory of `.eml` files, each written exactly once, and its `sent/`
//! folder of files the relay accepted.
//!
//! A message is `<stem>.eml`. Writing it:
//! 1. if `<stem>.eml` is in the outbox or in `sent/`, nothing is written
//!    ([`Written::AlreadyThere`]);
//! 2. the bytes go to a temporary `.<stem>.eml.<unique>.tmp` in the same directory, which
//!    is fsynced;
//! 3. the temporary file is hard-linked to `<stem>.eml` (which fails if the name exists),
//!    then removed, and the directory is fsynced.
//!
//! So a reader sees all of a message or none of it, a crash before step 3 leaves only a
//! temporary file (removed by [`Outbox::open`], and the next attempt writes the message),
//! and a crash after it leaves the message in place (the next attempt finds it). Rejected:
//! `rename` as `payouts.rs` does, which silently replaces a file that appeared under the
//! name in the meantime; a payment file is rewritten whole on purpose, a mail must not be
//! put back after the relay took it. Relaying moves a file into `sent/` with a rename and
//! fsyncs both directories, so a file is always in exactly one of the two places.
//!
//! Writes and moves of one [`Outbox`] are serialized by a lock, so the check of step 1 and
//! the link of step 3 cannot interleave with a move into `sent/`. One process owns an outbox
//! directory, as it owns its data directory. Blocking I/O: async callers use
//! `spawn_blocking`. Depends on `std` and the summary renderer only.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::mail::summary::{self, DailySummary};
use crate::mail::{MailConfig, MailError};

/// Largest message the outbox takes, in bytes: a bound on what the relay reads back into
/// memory. The summary's own limits keep a summary well below it (checked at compile time
/// in `summary.rs`).
pub const MESSAGE_BYTES_MAX: usize = 2 * 1024 * 1024;

/// Longest file stem, in bytes.
pub const STEM_BYTES_MAX: usize = 100;

/// The folder, inside the outbox, of messages the relay accepted.
pub const SENT_DIR: &str = "sent";

/// The extension of a message file.
const EXTENSION: &str = ".eml";

/// The suffix of a temporary file; every temporary file also starts with `.`.
const TEMP_SUFFIX: &str = ".tmp";

/// Most bytes of a header section looked at for one header.
const HEADER_SECTION_BYTES_MAX: usize = 64 * 1024;

/// Makes temporary names unique within the process (with the process id, across processes).
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// What [`Outbox::write`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// The message is now in the outbox.
    New,
    /// The message was in the outbox or in `sent/` already; nothing was written.
    AlreadyThere,
}

/// A mail outbox directory and its `sent/` folder.
#[derive(Debug)]
pub struct Outbox {
    /// The outbox: messages waiting for the relay (or, with the file transport, delivered).
    dir: PathBuf,
    /// Messages the relay accepted.
    sent: PathBuf,
    /// Serializes writes and moves (see the module doc).
    lock: Mutex<()>,
}

impl Outbox {
    /// Opens the outbox at `dir`, creating it and its `sent/` folder, and removes the
    /// temporary files a crash left (their messages were never in place, so the next
    /// attempt writes them).
    ///
    /// # Errors
    /// The directories cannot be created, read or fsynced.
    pub fn open(dir: &Path) -> io::Result<Outbox> {
        let sent = dir.join(SENT_DIR);
        fs::create_dir_all(&sent)?;
        let mut removed: u32 = 0;
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                continue;
            };
            if name.starts_with('.') && name.ends_with(TEMP_SUFFIX) && entry.file_type()?.is_file()
            {
                fs::remove_file(entry.path())?;
                removed = removed.saturating_add(1);
            }
        }
        if removed > 0 {
            tracing::info!(removed, dir = %dir.display(), "removed temporary mail files a stop left");
        }
        sync_dir(dir)?;
        Ok(Outbox {
            dir: dir.to_path_buf(),
            sent,
            lock: Mutex::new(()),
        })
    }

    /// The outbox directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder of relayed messages.
    #[must_use]
    pub fn sent_dir(&self) -> &Path {
        &self.sent
    }

    /// Writes `bytes` as `<stem>.eml`, atomically and exactly once: not again if the
    /// message is in the outbox or in `sent/`. `message_id` must be the message's own
    /// `Message-ID` header: it is what a resend is recognized by, so a message without it
    /// is refused, and a file already under the stem with another id is an error, not a
    /// silent success.
    ///
    /// # Errors
    /// `InvalidInput` for a bad stem (ASCII letters, digits, `-`, `_`, `.`, not starting
    /// with `.`, 1 to [`STEM_BYTES_MAX`] bytes), bytes above [`MESSAGE_BYTES_MAX`], or a
    /// `Message-ID` header missing or different from `message_id`; `AlreadyExists` when the
    /// stem holds another message; any error of the file system.
    pub fn write(&self, stem: &str, message_id: &str, bytes: &[u8]) -> io::Result<Written> {
        check_stem(stem)?;
        if bytes.len() > MESSAGE_BYTES_MAX {
            return Err(invalid_input(format!(
                "a message of {} bytes is above the outbox limit of {MESSAGE_BYTES_MAX}",
                bytes.len()
            )));
        }
        if header_value(bytes, "Message-ID").as_deref() != Some(message_id) {
            return Err(invalid_input(format!(
                "the message does not carry the Message-ID {message_id}"
            )));
        }
        let name = format!("{stem}{EXTENSION}");
        let target = self.dir.join(&name);
        let _serialized = self.lock.lock();
        if let Some(existing) = self.find(&name)? {
            return same_message(&existing, message_id).map(|()| Written::AlreadyThere);
        }

        let unique = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = self.dir.join(format!(
            ".{name}.{}-{unique}{TEMP_SUFFIX}",
            std::process::id()
        ));
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        let linked = file
            .write_all(bytes)
            .and_then(|()| file.sync_all())
            .and_then(|()| fs::hard_link(&tmp, &target));
        drop(file);
        let removed = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {}
            // Another outbox on the same directory put it there since the check.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                removed?;
                return same_message(&target, message_id).map(|()| Written::AlreadyThere);
            }
            Err(error) => return Err(error),
        }
        removed?;
        sync_dir(&self.dir)?;
        tracing::debug!(%message_id, file = %name, "mail written to the outbox");
        Ok(Written::New)
    }

    /// Renders `summary` with `config`'s `From` and `Message-ID` domain and writes it as
    /// `summary-{account}-{day}.eml`: the one call the daily job makes per member.
    ///
    /// # Errors
    /// The errors of [`summary::render`], and [`MailError::Io`] for those of
    /// [`Outbox::write`].
    pub fn write_summary(
        &self,
        summary: &DailySummary,
        config: &MailConfig,
    ) -> Result<Written, MailError> {
        let message = summary::render(summary, &config.from, &config.message_id_domain)?;
        let id = summary::message_id(summary.account, summary.date, &config.message_id_domain);
        let stem = summary::stem(summary.account, summary.date);
        Ok(self.write(&stem, &id, &message.formatted())?)
    }

    /// The messages not relayed yet, sorted by name (so by account, then day, for
    /// summaries); temporary files are not messages.
    ///
    /// # Errors
    /// The outbox cannot be read.
    pub fn pending(&self) -> io::Result<Vec<PathBuf>> {
        let mut pending = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                continue;
            };
            if name.ends_with(EXTENSION) && !name.starts_with('.') && entry.file_type()?.is_file() {
                pending.push(entry.path());
            }
        }
        pending.sort();
        Ok(pending)
    }

    /// Moves a relayed message into `sent/` and fsyncs both directories, so it is not
    /// relayed again and not written again. Only the file name of `path` is used: the file
    /// must be one of this outbox's. Moving a message that is already in `sent/` is a
    /// success (a repeated call changes nothing).
    ///
    /// # Errors
    /// `InvalidInput` for a path that does not name a message file; `NotFound` when the
    /// message is in neither place; any error of the file system.
    pub fn mark_relayed(&self, path: &Path) -> io::Result<()> {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| invalid_input("not a message file name".to_owned()))?;
        check_stem(name.strip_suffix(EXTENSION).unwrap_or(""))?;
        let _serialized = self.lock.lock();
        let source = self.dir.join(name);
        let target = self.sent.join(name);
        if !exists(&source)? && exists(&target)? {
            return Ok(());
        }
        fs::rename(&source, &target)?;
        sync_dir(&self.sent)?;
        sync_dir(&self.dir)
    }

    /// The message file named `name` in the outbox or in `sent/`, if either holds it.
    fn find(&self, name: &str) -> io::Result<Option<PathBuf>> {
        for dir in [&self.dir, &self.sent] {
            let path = dir.join(name);
            if exists(&path)? {
                return Ok(Some(path));
            }
        }
        Ok(None)
    }
}

/// The unfolded value of the first header `name` (case-insensitive) in the header section
/// of a message (up to the first empty line, at most 64 KiB looked at); `None` when absent
/// or not UTF-8. A small reader for the headers this module and the relay write themselves,
/// not a general RFC 5322 parser.
#[must_use]
pub fn header_value(message: &[u8], name: &str) -> Option<String> {
    let section = message
        .get(..message.len().min(HEADER_SECTION_BYTES_MAX))
        .unwrap_or_default();
    let section = match std::str::from_utf8(section) {
        Ok(text) => text,
        // Cut inside a character at the limit: keep what is whole.
        Err(error) => std::str::from_utf8(section.get(..error.valid_up_to())?).ok()?,
    };
    let mut found: Option<String> = None;
    for line in section.lines() {
        if line.is_empty() {
            break;
        }
        let continues = line.starts_with([' ', '\t']);
        match (&mut found, continues) {
            (Some(value), true) => value.push_str(line),
            (Some(_), false) => break,
            (None, true) => {}
            (None, false) => {
                if let Some((header, value)) = line.split_once(':')
                    && header.trim_end().eq_ignore_ascii_case(name)
                {
                    found = Some(value.to_owned());
                }
            }
        }
    }
    found.map(|value| value.trim().to_owned())
}

/// Reads a stored message, refusing one above [`MESSAGE_BYTES_MAX`] (nothing larger is
/// ever written, so a larger file was put there by hand).
///
/// # Errors
/// The file cannot be read, or is too large (`InvalidData`).
pub fn read_message(path: &Path) -> io::Result<Vec<u8>> {
    let limit = u64::try_from(MESSAGE_BYTES_MAX)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut bytes = Vec::new();
    File::open(path)?.take(limit).read_to_end(&mut bytes)?;
    if bytes.len() > MESSAGE_BYTES_MAX {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("above the outbox limit of {MESSAGE_BYTES_MAX} bytes"),
        ));
    }
    Ok(bytes)
}

/// Checks that the file already under a message's name is that message.
fn same_message(existing: &Path, message_id: &str) -> io::Result<()> {
    let stored = read_message(existing)?;
    if header_value(&stored, "Message-ID").as_deref() == Some(message_id) {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} holds another message than {message_id}",
                existing.display()
            ),
        ))
    }
}

/// A stem is ASCII letters, digits, `-`, `_` and `.`, does not start with `.` (temporary
/// and hidden files do), and is 1 to [`STEM_BYTES_MAX`] bytes: a file name on any file
/// system, with no path in it.
fn check_stem(stem: &str) -> io::Result<()> {
    let valid = !stem.is_empty()
        && stem.len() <= STEM_BYTES_MAX
        && !stem.starts_with('.')
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(invalid_input(format!(
            "not a valid message file stem: {stem:?}"
        )))
    }
}

fn exists(path: &Path) -> io::Result<bool> {
    path.try_exists()
}

fn invalid_input(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// Makes a directory's entries (a new name, a removed one) durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str) -> Vec<u8> {
        format!("From: a@example.com\r\nTo: b@example.com\r\nMessage-ID: {id}\r\n\r\nhello\r\n")
            .into_bytes()
    }

    #[test]
    fn a_message_is_written_once() -> io::Result<()> {
        let temp = tempfile::tempdir()?;
        let outbox = Outbox::open(temp.path())?;
        let bytes = message("<a@x>");
        assert_eq!(outbox.write("a", "<a@x>", &bytes)?, Written::New);
        assert_eq!(fs::read(temp.path().join("a.eml"))?, bytes);
        assert_eq!(outbox.write("a", "<a@x>", &bytes)?, Written::AlreadyThere);
        assert_eq!(outbox.pending()?, vec![temp.path().join("a.eml")]);
        // Relayed, it is still not written again.
        outbox.mark_relayed(&temp.path().join("a.eml"))?;
        assert!(outbox.pending()?.is_empty());
        assert_eq!(outbox.write("a", "<a@x>", &bytes)?, Written::AlreadyThere);
        assert!(outbox.pending()?.is_empty());
        assert!(temp.path().join("sent").join("a.eml").exists());
        // Marking again changes nothing.
        outbox.mark_relayed(&temp.path().join("a.eml"))?;
        Ok(())
    }

    #[test]
    fn another_message_under_the_same_stem_is_an_error() -> io::Result<()> {
        let temp = tempfile::tempdir()?;
        let outbox = Outbox::open(temp.path())?;
        outbox.write("a", "<a@x>", &message("<a@x>"))?;
        let error = outbox.write("a", "<b@x>", &message("<b@x>")).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        Ok(())
    }

    #[test]
    fn a_message_must_carry_its_id() -> io::Result<()> {
        let temp = tempfile::tempdir()?;
        let outbox = Outbox::open(temp.path())?;
        let error = outbox.write("a", "<b@x>", &message("<a@x>")).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        let error = outbox
            .write("a", "<a@x>", b"Subject: none\r\n\r\nx")
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(outbox.pending()?.is_empty());
        Ok(())
    }

    #[test]
    fn bad_stems_are_refused() -> io::Result<()> {
        let temp = tempfile::tempdir()?;
        let outbox = Outbox::open(temp.path())?;
        let long = "a".repeat(STEM_BYTES_MAX + 1);
        for stem in ["", ".hidden", "../up", "a/b", "a b", "é", long.as_str()] {
            let error = outbox.write(stem, "<a@x>", &message("<a@x>")).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{stem:?}");
        }
        // One step away: the longest stem and every allowed character.
        let longest = "a".repeat(STEM_BYTES_MAX);
        for stem in [longest.as_str(), "summary-acct_00c0ffee.v2"] {
            assert_eq!(
                outbox.write(stem, "<a@x>", &message("<a@x>"))?,
                Written::New
            );
        }
        Ok(())
    }

    #[test]
    fn a_message_above_the_limit_is_refused() -> io::Result<()> {
        let temp = tempfile::tempdir()?;
        let outbox = Outbox::open(temp.path())?;
        let mut bytes = message("<a@x>");
        bytes.resize(MESSAGE_BYTES_MAX + 1, b'x');
        let error = outbox.write("a", "<a@x>", &bytes).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        bytes.truncate(MESSAGE_BYTES_MAX);
        assert_eq!(outbox.write("a", "<a@x>", &bytes)?, Written::New);
        Ok(())
    }

    #[test]
    fn open_removes_what_a_crash_left_before_the_link() -> io::Result<()> {
        let temp = tempfile::tempdir()?;
        drop(Outbox::open(temp.path())?);
        // A crash after writing the temporary file, before linking it.
        fs::write(temp.path().join(".a.eml.1-0.tmp"), message("<a@x>"))?;
        let outbox = Outbox::open(temp.path())?;
        assert!(!temp.path().join(".a.eml.1-0.tmp").exists());
        assert!(outbox.pending()?.is_empty());
        assert_eq!(outbox.write("a", "<a@x>", &message("<a@x>"))?, Written::New);
        assert_eq!(outbox.pending()?.len(), 1);
        Ok(())
    }

    #[test]
    fn pending_is_sorted_and_skips_other_files() -> io::Result<()> {
        let temp = tempfile::tempdir()?;
        let outbox = Outbox::open(temp.path())?;
        for stem in ["c", "a", "b"] {
            let id = format!("<{stem}@x>");
            outbox.write(stem, &id, &message(&id))?;
        }
        fs::write(temp.path().join("notes.txt"), "x")?;
        fs::create_dir(temp.path().join("dir.eml"))?;
        let names: Vec<String> = outbox
            .pending()?
            .iter()
            .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
            .collect();
        assert_eq!(names, ["a.eml", "b.eml", "c.eml"]);
        Ok(())
    }

    #[test]
    fn mark_relayed_takes_only_message_names() -> io::Result<()> {
        let temp = tempfile::tempdir()?;
        let outbox = Outbox::open(temp.path())?;
        assert_eq!(
            outbox
                .mark_relayed(Path::new("/etc/passwd"))
                .unwrap_err()
                .kind(),
            io::ErrorKind::InvalidInput
        );
        assert_eq!(
            outbox
                .mark_relayed(Path::new("missing.eml"))
                .unwrap_err()
                .kind(),
            io::ErrorKind::NotFound
        );
        Ok(())
    }

    #[test]
    fn header_values_are_unfolded_and_case_insensitive() {
        let bytes = b"Subject: =?utf-8?b?AAAA?=\r\n =?utf-8?b?BBBB?=\r\nmessage-id: <m@x>\r\n\r\nTo: body@x\r\n";
        assert_eq!(
            header_value(bytes, "subject").as_deref(),
            Some("=?utf-8?b?AAAA?= =?utf-8?b?BBBB?=")
        );
        assert_eq!(header_value(bytes, "Message-ID").as_deref(), Some("<m@x>"));
        assert_eq!(header_value(bytes, "To"), None);
    }
}
