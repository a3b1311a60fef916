//! Logs: where they go (stderr, so stdout stays for a command's own output), how they look
//! (text, coloured only on a terminal, or JSON) and which lines are kept (`[log] filter`, or
//! `RUST_LOG` when set). Also the name of the access log, one line per request written by
//! `http::router::handle`. Depends on `config` only.

use std::io::IsTerminal;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

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
    match log.format {
        LogFormat::Text => Box::new(builder.with_ansi(ansi).finish()),
        LogFormat::Json => Box::new(builder.json().with_ansi(false).finish()),
    }
}

/// Log lines waiting for the log thread at most. Beyond it lines are dropped rather than
/// stall a request: a server that cannot write its log as fast as it answers must keep
/// answering.
const LOG_LINES_QUEUED_MAX: usize = 65_536;

/// Installs the server's logger: `log`'s lines on stderr, coloured only when stderr is a
/// terminal, written by a thread of their own so a request never waits on stderr's lock (the
/// access line cost 7% of the maximum throughput when written in place). Keep the guard for
/// as long as the process runs: dropping it flushes what is queued.
///
/// # Errors
/// When a logger is installed already.
pub fn init_off_thread(log: &LogConfig) -> Result<WorkerGuard, String> {
    let terminal = std::io::stderr().is_terminal();
    let (writer, guard) = NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_LINES_QUEUED_MAX)
        .lossy(true)
        .thread_name("farthing-log")
        .finish(std::io::stderr());
    install(log, writer, terminal)?;
    Ok(guard)
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
