//! `farthing backup`: a consistent copy of a data directory, taken while the server runs.
//!
//! fjall locks its directory, so a second process cannot open a running server's store. The
//! server therefore takes the copy itself: it listens on a Unix socket in its data directory
//! (`backup.sock`), and `farthing backup` sends it the destination. The socket lives in the
//! 0700 data directory and is created under umask 077, so only the server's own user (who
//! can read the data directory anyway) may ask; no network surface and no admin key are
//! involved. With no server running, the command opens the store and copies it itself.
//!
//! The copy is a new store written from one fjall snapshot (see `FjallStore::copy_to`), cut
//! at the last durable event, plus the key files beside it, so a node started on the copy
//! opens the same authorization ids and tokens. One backup runs at a time; a second request
//! meanwhile is refused. The destination must not exist or be an empty directory.
//!
//! May depend on: storage, node (where the store lives). Nothing of HTTP or the actors.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::storage::fjall_store::{FjallStore, OpenError, StoreCopy};

/// The socket a running server takes backup requests on, in its data directory.
pub const SOCKET_FILE: &str = "backup.sock";
/// Longest request line (a destination path) the server reads.
const REQUEST_BYTES_MAX: u64 = 4_096;
/// How long the server waits for a request line, so a silent client cannot hold the slot.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a backup failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The destination exists and is not an empty directory.
    #[error("the destination {0} exists and is not empty")]
    DestinationNotEmpty(PathBuf),
    /// Another backup is running on this server.
    #[error("another backup is running; try again when it has finished")]
    Busy,
    /// Reading or writing a file failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// The store could not be read or the copy written.
    #[error(transparent)]
    Store(#[from] OpenError),
    /// The running server refused or failed; its message.
    #[error("the server says: {0}")]
    Server(String),
}

fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> BackupError {
    move |source| BackupError::Io { what, source }
}

/// Backs up `data_dir` to `dest`: through the running server when one answers on its
/// socket, else directly from the store.
///
/// # Errors
/// `BackupError` naming what failed; a store locked by a server that does not answer is a
/// `Store` error.
pub fn backup(data_dir: &Path, dest: &Path) -> Result<StoreCopy, BackupError> {
    let dest = std::path::absolute(dest).map_err(io("resolving the destination"))?;
    match UnixStream::connect(data_dir.join(SOCKET_FILE)) {
        Ok(stream) => ask_server(stream, &dest),
        Err(_) => {
            let store = FjallStore::open(&crate::node::store_dir(data_dir))?;
            let last = store.last_seq()?;
            copy(&store, data_dir, &dest, || last)
        }
    }
}

/// Sends the destination to the running server and reads its answer.
fn ask_server(mut stream: UnixStream, dest: &Path) -> Result<StoreCopy, BackupError> {
    let text = dest
        .to_str()
        .ok_or_else(|| BackupError::Server("the destination is not UTF-8".to_owned()))?;
    writeln!(stream, "{text}").map_err(io("asking the server"))?;
    let mut answer = String::new();
    BufReader::new(stream)
        .read_line(&mut answer)
        .map_err(io("reading the server's answer"))?;
    let mut words = answer.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some("ok"), Some(seq), Some(events)) => Ok(StoreCopy {
            seq: seq.parse().unwrap_or(0),
            events: events.parse().unwrap_or(0),
        }),
        _ => Err(BackupError::Server(
            answer
                .trim()
                .strip_prefix("error ")
                .unwrap_or(&answer)
                .to_owned(),
        )),
    }
}

/// Checks `dest`, copies the store (cut at `durable`) and the key files into it.
fn copy(
    store: &FjallStore,
    data_dir: &Path,
    dest: &Path,
    durable: impl FnOnce() -> u64,
) -> Result<StoreCopy, BackupError> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::read_dir(dest) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::DestinationNotEmpty(dest.to_owned()));
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dest)
                .map_err(io("creating the destination"))?;
        }
        Err(error) => return Err(io("reading the destination")(error)),
    }
    let copied = store.copy_to(&crate::node::store_dir(dest), durable)?;
    // The key files: every regular file at the top of the data directory (token, locator,
    // pseudonym and admin keys, the boot epoch). The socket and the store are not files.
    for entry in std::fs::read_dir(data_dir).map_err(io("reading the data directory"))? {
        let entry = entry.map_err(io("reading the data directory"))?;
        if entry
            .file_type()
            .map_err(io("reading the data directory"))?
            .is_file()
        {
            let to = dest.join(entry.file_name());
            std::fs::copy(entry.path(), &to).map_err(io("copying a key file"))?;
            std::fs::File::open(&to)
                .and_then(|file| file.sync_all())
                .map_err(io("syncing a key file"))?;
        }
    }
    std::fs::File::open(dest)
        .and_then(|dir| dir.sync_all())
        .map_err(io("syncing the destination"))?;
    Ok(copied)
}

/// The running server's side: a thread answering backup requests on the socket.
pub struct BackupServer {
    path: PathBuf,
    stopping: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl BackupServer {
    /// Listens on `data_dir/backup.sock` (replacing a stale socket left by a crash) and
    /// copies `store`, cut at what `durable` says, for each request.
    ///
    /// # Errors
    /// I/O errors binding the socket or spawning the thread.
    pub fn start(
        store: FjallStore,
        data_dir: &Path,
        durable: Arc<dyn Fn() -> u64 + Send + Sync>,
    ) -> std::io::Result<BackupServer> {
        let path = data_dir.join(SOCKET_FILE);
        match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
        let listener = UnixListener::bind(&path)?;
        // Connecting takes write permission on the socket: the server's user alone has it
        // (the directory is 0700 too), and a socket has no use for the execute bit the
        // umask leaves.
        std::fs::set_permissions(
            &path,
            <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600),
        )?;
        let stopping = Arc::new(AtomicBool::new(false));
        let busy = Arc::new(AtomicBool::new(false));
        let data_dir = data_dir.to_owned();
        let stop = Arc::clone(&stopping);
        let thread = std::thread::Builder::new()
            .name("farthing-backup".to_owned())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::Acquire) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    if busy.swap(true, Ordering::AcqRel) {
                        answer(stream, Err(&BackupError::Busy));
                        continue;
                    }
                    // The copy runs on a thread of its own so that a second request is
                    // refused at once instead of waiting in the backlog.
                    let (store, data_dir, durable, done) = (
                        store.clone(),
                        data_dir.clone(),
                        Arc::clone(&durable),
                        Arc::clone(&busy),
                    );
                    let spawned = std::thread::Builder::new()
                        .name("farthing-backup-copy".to_owned())
                        .spawn(move || {
                            let outcome = serve_one(&stream, &store, &data_dir, durable.as_ref());
                            // Free before answering: a client told "done" may ask again at
                            // once and must not be told another backup is running.
                            busy_clear(&done);
                            if let Some(outcome) = outcome {
                                answer(stream, outcome.as_ref());
                            }
                        });
                    if spawned.is_err() {
                        busy_clear(&busy);
                    }
                }
            })?;
        Ok(BackupServer {
            path,
            stopping,
            thread,
        })
    }

    /// Stops listening and removes the socket. A copy in progress finishes on its own.
    pub fn stop(self) {
        self.stopping.store(true, Ordering::Release);
        // Wakes the accept loop, which sees the flag and returns.
        let _ = UnixStream::connect(&self.path);
        let _ = self.thread.join();
        let _ = std::fs::remove_file(&self.path);
    }
}

fn busy_clear(busy: &AtomicBool) {
    busy.store(false, Ordering::Release);
}

/// Reads one request and makes the copy; `None` when no request could be read (nothing to
/// answer).
fn serve_one(
    stream: &UnixStream,
    store: &FjallStore,
    data_dir: &Path,
    durable: &(dyn Fn() -> u64 + Send + Sync),
) -> Option<Result<StoreCopy, BackupError>> {
    let _ = stream.set_read_timeout(Some(REQUEST_TIMEOUT));
    let reader = stream.try_clone().ok()?;
    let mut line = String::new();
    BufReader::new(std::io::Read::take(reader, REQUEST_BYTES_MAX))
        .read_line(&mut line)
        .ok()?;
    let dest = PathBuf::from(line.trim_end_matches(['\r', '\n']));
    let outcome = if dest.is_absolute() {
        copy(store, data_dir, &dest, durable)
    } else {
        Err(BackupError::Server(
            "the destination must be an absolute path".to_owned(),
        ))
    };
    match &outcome {
        Ok(copied) => tracing::info!(
            dest = %dest.display(), seq = copied.seq, events = copied.events, "backup written"
        ),
        Err(error) => tracing::warn!(dest = %dest.display(), %error, "backup failed"),
    }
    Some(outcome)
}

fn answer(mut stream: UnixStream, outcome: Result<&StoreCopy, &BackupError>) {
    let _ = match outcome {
        Ok(copied) => writeln!(stream, "ok {} {}", copied.seq, copied.events),
        Err(error) => writeln!(stream, "error {error}"),
    };
}
