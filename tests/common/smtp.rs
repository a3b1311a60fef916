//! A small SMTP sink on `127.0.0.1:0` for mail tests: it speaks just enough SMTP to take a
//! message (or refuse it), bounded in lifetime, connections, commands and bytes, and reads
//! what it took back (RFC 2047 headers, base64 and quoted-printable bodies).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine;
use farthing::mail::outbox::header_value;

/// Longest a sink runs, whatever happens.
pub const SINK_LIFETIME: Duration = Duration::from_secs(60);
/// Most connections a sink serves.
pub const SINK_CONNECTIONS_MAX: u32 = 32;
/// Most commands a sink reads on one connection.
pub const SINK_COMMANDS_MAX: u32 = 64;
/// Most lines a sink reads after `DATA`.
pub const SINK_DATA_LINES_MAX: u32 = 100_000;
/// Longest line a sink reads, in bytes.
pub const SINK_LINE_BYTES_MAX: u64 = 8 * 1024;
/// How long a sink waits for the client.
pub const SINK_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// What the sink answers to `DATA`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `354`, then `250` after the message.
    Accept,
    /// `554`: the relay refuses every message.
    RefuseData,
}

/// One message the sink took.
#[derive(Clone, Debug, Default)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: Vec<u8>,
}

/// An SMTP sink on a thread: accepts connections one after the other until stopped.
pub struct Sink {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Sink {
    pub fn start(mode: Mode) -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (received, stop) = (Arc::clone(&received), Arc::clone(&stop));
            std::thread::spawn(move || {
                let deadline = Instant::now() + SINK_LIFETIME;
                let mut served = 0;
                while !stop.load(Ordering::Relaxed)
                    && Instant::now() < deadline
                    && served < SINK_CONNECTIONS_MAX
                {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            served += 1;
                            // A broken conversation is the client's problem to report.
                            let _ = serve(stream, mode, &received);
                        }
                        Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => break,
                    }
                }
            })
        };
        Sink {
            addr,
            received,
            stop,
            thread: Some(thread),
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One SMTP conversation.
pub fn serve(stream: TcpStream, mode: Mode, received: &Mutex<Vec<Received>>) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(SINK_READ_TIMEOUT))?;
    stream.set_write_timeout(Some(SINK_READ_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    writer.write_all(b"220 sink.test ESMTP\r\n")?;
    let mut current = Received::default();
    for _ in 0..SINK_COMMANDS_MAX {
        let Some(line) = read_line(&mut reader)? else {
            break;
        };
        let command = String::from_utf8_lossy(&line).trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            writer.write_all(b"250 sink.test\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            current = Received {
                mail_from: angle(&command),
                ..Received::default()
            };
            writer.write_all(b"250 sender ok\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            current.rcpt_to.push(angle(&command));
            writer.write_all(b"250 recipient ok\r\n")?;
        } else if upper == "DATA" {
            if mode == Mode::RefuseData {
                writer.write_all(b"554 no thanks\r\n")?;
                continue;
            }
            writer.write_all(b"354 go ahead\r\n")?;
            current.data = read_data(&mut reader)?;
            received.lock().unwrap().push(std::mem::take(&mut current));
            writer.write_all(b"250 queued\r\n")?;
        } else if upper == "RSET" || upper == "NOOP" {
            writer.write_all(b"250 ok\r\n")?;
        } else if upper == "QUIT" {
            writer.write_all(b"221 bye\r\n")?;
            break;
        } else {
            writer.write_all(b"502 not here\r\n")?;
        }
    }
    Ok(())
}

/// One line with its CRLF, at most `SINK_LINE_BYTES_MAX` bytes; `None` at the end.
pub fn read_line(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let read = reader
        .by_ref()
        .take(SINK_LINE_BYTES_MAX)
        .read_until(b'\n', &mut line)?;
    Ok((read > 0).then_some(line))
}

/// The message after `DATA`, up to the `.` line, with dot-stuffing undone.
pub fn read_data(reader: &mut BufReader<TcpStream>) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    for _ in 0..SINK_DATA_LINES_MAX {
        let Some(line) = read_line(reader)? else {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "no end of data",
            ));
        };
        if line == b".\r\n" {
            return Ok(data);
        }
        data.extend_from_slice(line.strip_prefix(b".").unwrap_or(&line));
    }
    Err(io::Error::new(io::ErrorKind::InvalidData, "data too long"))
}

/// The address between `<` and `>` of a `MAIL FROM:` or `RCPT TO:` command.
pub fn angle(command: &str) -> String {
    command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(address, _)| address.to_owned())
        .unwrap_or_default()
}

// ---- reading a received message back ----

/// Decodes an RFC 2047 header value: `=?utf-8?b?…?=` and `=?utf-8?q?…?=` words, with the
/// white space between two encoded words dropped.
pub fn decode_header(value: &str) -> String {
    let mut out = String::new();
    let mut previous_encoded = false;
    for word in value.split_whitespace() {
        let encoded = word
            .strip_prefix("=?")
            .and_then(|rest| rest.strip_suffix("?="))
            .and_then(|rest| {
                let mut parts = rest.splitn(3, '?');
                let (charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
                assert!(charset.eq_ignore_ascii_case("utf-8"), "{charset}");
                let bytes = if encoding.eq_ignore_ascii_case("b") {
                    base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .ok()?
                } else {
                    decode_quoted_printable(&text.replace('_', " "))
                };
                Some(String::from_utf8(bytes).unwrap())
            });
        match encoded {
            Some(text) => {
                if !previous_encoded && !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&text);
                previous_encoded = true;
            }
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
                previous_encoded = false;
            }
        }
    }
    out
}

pub fn decode_quoted_printable(text: &str) -> Vec<u8> {
    let text = text.replace("=\r\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// The text of a single-part message, decoded from its transfer encoding.
pub fn body_text(message: &[u8]) -> String {
    let text = std::str::from_utf8(message).unwrap();
    let (_, body) = text.split_once("\r\n\r\n").unwrap();
    let encoding = header_value(message, "Content-Transfer-Encoding").unwrap();
    let bytes = match encoding.to_ascii_lowercase().as_str() {
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(body.replace("\r\n", ""))
            .unwrap(),
        "quoted-printable" => decode_quoted_printable(body),
        "7bit" | "8bit" => body.as_bytes().to_vec(),
        other => panic!("unexpected transfer encoding {other}"),
    };
    String::from_utf8(bytes).unwrap().replace("\r\n", "\n")
}
