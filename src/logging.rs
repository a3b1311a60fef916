//! Logs: where they go (stderr, so stdout stays for a command's own output), how they look
//! (text, coloured only on a terminal, or JSON) and which lines are kept (`[log] filter`, or
//! `RUST_LOG` when set). Also the name of the access log, one line per request written by
//! `http::router::handle`. Depends on `config` only.

use std::io::IsTerminal;

use tracing::field::{Field, Visit};
use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::{MakeVisitor, VisitFmt, VisitOutput};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

use crate::config::{LogConfig, LogFormat};

/// The target of the access log lines (one per request: method, route template, status,
/// duration, client address; never a header, a token or a body).
pub const ACCESS_TARGET: &str = "farthing::access";

/// The filter of `[log]` in the shipped configuration, and of commands run without one:
/// dependencies (fjall, hyper) at warn, farthing (the access log included) at info.
pub const DEFAULT_FILTER: &str = "warn,farthing=info";

/// The settings commands other than `serve` log with (they read no configuration file).
#[must_use]
pub fn default_config() -> LogConfig {
    LogConfig {
        format: LogFormat::Text,
        filter: DEFAULT_FILTER.to_owned(),
    }
}

/// The filter: `rust_log` (the `RUST_LOG` variable) when set and valid, else `log.filter`.
#[must_use]
pub fn filter(log: &LogConfig, rust_log: Option<&str>) -> EnvFilter {
    rust_log
        .filter(|text| !text.trim().is_empty())
        .and_then(|text| EnvFilter::try_new(text).ok())
        .unwrap_or_else(|| EnvFilter::new(&log.filter))
}

/// A subscriber writing `log`'s lines through `writer`, coloured when `ansi` (text only).
#[must_use]
pub fn subscriber<W>(
    log: &LogConfig,
    filter: EnvFilter,
    writer: W,
    ansi: bool,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_env_filter(filter);
    match (log.format, ansi) {
        (LogFormat::Text, true) => Box::new(builder.with_ansi(true).finish()),
        (LogFormat::Text, false) => Box::new(
            builder
                .with_ansi(false)
                .with_timer(LineTime)
                .fmt_fields(PlainFields)
                .finish(),
        ),
        (LogFormat::Json, _) => Box::new(builder.json().with_ansi(false).finish()),
    }
}

/// The time of an uncoloured text line, as tracing's `SystemTime` writes it
/// (`2026-12-01T19:20:15.569481Z`), printed by `jiff`: tracing's own printing, seven padded
/// `format!` fields, cost about 2,000 instructions of every access line (callgrind, README).
struct LineTime;

impl FormatTime for LineTime {
    fn format_time(&self, writer: &mut Writer<'_>) -> std::fmt::Result {
        write_line_time(writer, jiff::Timestamp::now())
    }
}

fn write_line_time(writer: &mut impl std::fmt::Write, at: jiff::Timestamp) -> std::fmt::Result {
    write!(writer, "{at:.6}")
}

/// The fields of an uncoloured text line, as tracing's default writes them: `name=value`
/// separated by spaces, the message bare, strings quoted and escaped as `Debug` does. The
/// default also wraps every name and `=` in a colour style and runs that wrapping with colours
/// off too, and writes every integer through `Debug`'s padding: about half of an access line's
/// formatting on the request's thread (callgrind, README).
struct PlainFields;

impl<'writer> MakeVisitor<Writer<'writer>> for PlainFields {
    type Visitor = PlainVisitor<'writer>;

    fn make_visitor(&self, writer: Writer<'writer>) -> PlainVisitor<'writer> {
        PlainVisitor {
            writer,
            first: true,
            result: Ok(()),
        }
    }
}

struct PlainVisitor<'writer> {
    writer: Writer<'writer>,
    first: bool,
    result: std::fmt::Result,
}

impl PlainVisitor<'_> {
    /// Writes the separator and `name=` (nothing for the message), then the value.
    fn field(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> std::fmt::Result) {
        if self.result.is_err() {
            return;
        }
        let separator = if std::mem::take(&mut self.first) {
            ""
        } else {
            " "
        };
        let writer = &mut self.writer;
        // `write_str` each part: `write!` with the name as an argument costs as much again.
        self.result = writer.write_str(separator).and_then(|()| {
            if field.name() != "message" {
                writer.write_str(field.name())?;
                writer.write_str("=")?;
            }
            value(writer)
        });
    }

    fn integer(&mut self, field: &Field, value: impl itoa::Integer) {
        self.field(field, |writer| {
            writer.write_str(itoa::Buffer::new().format(value))
        });
    }
}

impl Visit for PlainVisitor<'_> {
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.integer(field, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.integer(field, value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let message = field.name() == "message";
        self.field(field, |writer| {
            // `Debug` leaves printable ASCII other than `"` and `\` as it is.
            let plain = || {
                value
                    .bytes()
                    .all(|byte| matches!(byte, b' '..=b'~') && byte != b'"' && byte != b'\\')
            };
            if message {
                writer.write_str(value)
            } else if plain() {
                writer.write_char('"')?;
                writer.write_str(value)?;
                writer.write_char('"')
            } else {
                write!(writer, "{value:?}")
            }
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.field(field, |writer| write!(writer, "{value:?}"));
    }
}

impl VisitOutput<std::fmt::Result> for PlainVisitor<'_> {
    fn finish(self) -> std::fmt::Result {
        self.result
    }
}

impl VisitFmt for PlainVisitor<'_> {
    fn writer(&mut self) -> &mut dyn std::fmt::Write {
        &mut self.writer
    }
}

/// Log lines waiting for the log thread at most. Beyond it lines are dropped rather than
/// stall a request: a server that cannot write its log as fast as it answers must keep
/// answering.
const LOG_LINES_QUEUED_MAX: usize = 65_536;

/// Bytes of log lines the log thread gathers before it writes them. The thread takes every
/// line queued into this buffer and then flushes it: under load, one `write` carries a burst
/// of access lines instead of one `write` each (about 1% of the authorize harness's throughput
/// on this 2-core VM, README block 18), and a quiet server's line still goes out at once.
const LOG_WRITE_BUFFER_BYTES: usize = 64 * 1024;

/// Installs the server's logger: `log`'s lines on stderr, coloured only when stderr is a
/// terminal, written by a thread of their own so a request never waits on stderr's lock (the
/// access line cost 7% of the maximum throughput when written in place). Keep the guard for
/// as long as the process runs: dropping it flushes what is queued.
///
/// # Errors
/// When a logger is installed already.
pub fn init_off_thread(log: &LogConfig) -> Result<WorkerGuard, String> {
    let terminal = std::io::stderr().is_terminal();
    let (writer, guard) = off_thread_writer(std::io::stderr());
    install(log, writer, terminal)?;
    Ok(guard)
}

/// The log thread writing into `out`: lines queued at most `LOG_LINES_QUEUED_MAX` (beyond,
/// dropped), each drained burst written through one `LOG_WRITE_BUFFER_BYTES` buffer and
/// flushed.
fn off_thread_writer<W: std::io::Write + Send + 'static>(out: W) -> (NonBlocking, WorkerGuard) {
    NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_LINES_QUEUED_MAX)
        .lossy(true)
        .thread_name("farthing-log")
        .finish(std::io::BufWriter::with_capacity(
            LOG_WRITE_BUFFER_BYTES,
            out,
        ))
}

/// Installs a command's logger: `log`'s lines on stderr, written in place (a command logs a
/// few lines).
///
/// # Errors
/// When a logger is installed already.
pub fn init(log: &LogConfig) -> Result<(), String> {
    install(log, std::io::stderr, std::io::stderr().is_terminal())
}

fn install<W>(log: &LogConfig, writer: W, ansi: bool) -> Result<(), String>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let rust_log = std::env::var("RUST_LOG").ok();
    let subscriber = subscriber(log, filter(log, rust_log.as_deref()), writer, ansi);
    tracing::subscriber::set_global_default(subscriber).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{ErrorKind, Write};
    use std::sync::{Arc, Mutex, mpsc};
    use std::time::{Duration, Instant};

    /// What the log thread wrote, and in how many writes; `hold` stops the next write until
    /// the test lets it go (it says when the write started).
    #[derive(Clone, Default)]
    struct Collected {
        written: Arc<Mutex<(Vec<u8>, usize)>>,
        hold: Arc<Mutex<Option<Hold>>>,
    }

    /// Says that the held write started; lets it go on.
    type Hold = (mpsc::Sender<()>, mpsc::Receiver<()>);

    impl Write for Collected {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let held = self.hold.lock().map_err(|_| ErrorKind::Other)?.take();
            if let Some((started, release)) = held {
                started.send(()).map_err(|_| ErrorKind::Other)?;
                release.recv().map_err(|_| ErrorKind::Other)?;
            }
            let mut written = self.written.lock().map_err(|_| ErrorKind::Other)?;
            written.0.extend_from_slice(bytes);
            written.1 += 1;
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Collected {
        /// Waits (at most 10 s) until `expected` is written; answers the text and the writes.
        fn wait_for(&self, expected: &str) -> (String, usize) {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let (text, writes) = {
                    let written = self.written.lock().expect("not poisoned");
                    (String::from_utf8_lossy(&written.0).into_owned(), written.1)
                };
                if text.len() >= expected.len() || Instant::now() > deadline {
                    return (text, writes);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    #[test]
    fn the_log_thread_writes_a_lone_line_at_once_and_a_queued_burst_in_one_write() {
        let out = Collected::default();
        let (mut writer, _guard) = off_thread_writer(out.clone());
        writer.write_all(b"alone\n").expect("queued");
        // Far below the buffer's size: only the flush after the drained queue sends it.
        assert_eq!(out.wait_for("alone\n"), ("alone\n".to_owned(), 1));

        // The thread is held inside its next write while 1,000 lines queue behind it.
        let (started_tx, started) = mpsc::channel();
        let (release, release_rx) = mpsc::channel();
        *out.hold.lock().expect("not poisoned") = Some((started_tx, release_rx));
        writer.write_all(b"held\n").expect("queued");
        started
            .recv_timeout(Duration::from_secs(10))
            .expect("the log thread writes the held line");
        let lines: String = (0..1000).map(|n| format!("line {n}\n")).collect();
        for line in lines.split_inclusive('\n') {
            writer.write_all(line.as_bytes()).expect("queued");
        }
        release.send(()).expect("the log thread waits");

        let expected = format!("alone\nheld\n{lines}");
        assert_eq!(
            out.wait_for(&expected),
            (expected, 3),
            "every line in order; the queued burst in one write"
        );
    }

    /// Lines of every shape the server writes: the access line, a message with fields, a
    /// message alone, fields alone; negative integers, and strings `Debug` escapes or not.
    fn emit_lines() {
        let peer = std::net::IpAddr::from([127, 0, 0, 1]);
        tracing::info!(target: ACCESS_TARGET, method = %"POST", route = "/v1/authorize",
            status = 200_u16, duration_us = 17_u64, peer = %peer);
        tracing::warn!(
            count = -3_i64,
            ok = true,
            ratio = 0.5,
            "a message with {}",
            "arguments"
        );
        tracing::error!(error = %"disk \"full\"", "the journal stopped");
        tracing::info!("a message alone");
        tracing::info!(account = 7_u64, note = "a \"quoted\" note");
        tracing::info!(
            balance = -150_i64,
            path = "C:\\dir",
            name = "Zoë\tTab",
            code = "plain text's fine",
            empty = "",
            message = "a str message"
        );
    }

    /// The lines `emit_lines` writes through `subscriber` into `out`, timestamps cut off.
    fn emitted(subscriber: impl tracing::Subscriber + Send + Sync, out: &Collected) -> Vec<String> {
        tracing::subscriber::with_default(subscriber, emit_lines);
        let written = out.written.lock().expect("not poisoned").0.clone();
        String::from_utf8(written)
            .expect("text")
            .lines()
            .map(|line| {
                line.split_once(' ')
                    .map_or(line, |(_, rest)| rest)
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn plain_text_lines_read_as_tracing_s_default_ones() {
        let (theirs, ours) = (Collected::default(), Collected::default());
        let into = |out: &Collected| {
            let out = out.clone();
            move || out.clone()
        };
        let default = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(into(&theirs))
            .finish();
        let expected = emitted(default, &theirs);
        assert_eq!(expected.len(), 6, "{expected:?}");
        assert!(
            expected[0].ends_with(
                "farthing::access: method=POST route=\"/v1/authorize\" status=200 \
                 duration_us=17 peer=127.0.0.1"
            ),
            "{expected:?}"
        );
        let plain = subscriber(
            &default_config(),
            EnvFilter::new("info"),
            into(&ours),
            false,
        );
        assert_eq!(emitted(plain, &ours), expected);
    }

    #[test]
    fn a_plain_line_s_time_is_written_as_tracing_writes_it() {
        let mut theirs = String::new();
        tracing_subscriber::fmt::time::SystemTime
            .format_time(&mut Writer::new(&mut theirs))
            .expect("written");
        let mut ours = String::new();
        LineTime
            .format_time(&mut Writer::new(&mut ours))
            .expect("written");
        // Both read the clock: the same shape, and instants at most a few seconds apart.
        let shape = |text: &str| {
            text.chars()
                .map(|c| if c.is_ascii_digit() { '0' } else { c })
                .collect::<String>()
        };
        assert_eq!(shape(&ours), "0000-00-00T00:00:00.000000Z", "{ours}");
        assert_eq!(shape(&ours), shape(&theirs), "{ours} {theirs}");
        let (ours, theirs) = (
            ours.parse::<jiff::Timestamp>().expect("RFC 3339"),
            theirs.parse::<jiff::Timestamp>().expect("RFC 3339"),
        );
        assert!(ours.duration_since(theirs).abs() < jiff::SignedDuration::from_secs(5));
        // Whole seconds and a single microsecond keep their six digits.
        for (micros, text) in [
            (1_764_616_815_000_000_i64, "2025-12-01T19:20:15.000000Z"),
            (1_764_616_815_000_001, "2025-12-01T19:20:15.000001Z"),
        ] {
            let mut written = String::new();
            let at = jiff::Timestamp::from_microsecond(micros).expect("in range");
            write_line_time(&mut written, at).expect("written");
            assert_eq!(written, text);
        }
    }

    #[test]
    fn rust_log_replaces_the_configured_filter_only_when_valid() {
        let log = default_config();
        // EnvFilter prints its directives in its own order: compare with the same parse.
        let configured = EnvFilter::new(DEFAULT_FILTER).to_string();
        assert_eq!(filter(&log, None).to_string(), configured);
        assert_eq!(filter(&log, Some("")).to_string(), configured);
        assert_eq!(filter(&log, Some("debug")).to_string(), "debug");
        assert_eq!(filter(&log, Some("farthing=loud")).to_string(), configured);
    }
}
