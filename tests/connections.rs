//! What one client can hold of the server: connections per address, a response it does not
//! read, an idle kept-alive connection, a body that never arrives, a head too large. Each test
//! counts what the server did (a slot freed, a connection closed, a status) on raw sockets;
//! the long socket timeouts only bound a failing run.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::TestServer;
use farthing::config::Config;
use farthing::storage::fjall_store::SyncData;
use socket2::{Domain, Protocol, Socket, Type};

/// How long a socket waits for the server before the test fails: far beyond every limit the
/// tests configure, far below the limits they would otherwise run into.
const PATIENCE: Duration = Duration::from_secs(20);

fn start(adjust: impl FnOnce(&mut Config)) -> TestServer {
    TestServer::start_with(adjust, Box::new(SyncData))
}

fn address(server: &TestServer) -> SocketAddr {
    server.node.as_ref().unwrap().address
}

/// A connection from `from` (any of 127.0.0.0/8 is this machine on Linux), with `receive`
/// bytes of receive buffer when given.
fn connect_from(server: &TestServer, from: Ipv4Addr, receive: Option<usize>) -> TcpStream {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).unwrap();
    if let Some(bytes) = receive {
        socket.set_recv_buffer_size(bytes).unwrap();
    }
    socket
        .bind(&SocketAddr::new(IpAddr::V4(from), 0).into())
        .unwrap();
    socket.connect(&address(server).into()).unwrap();
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// One response's status line, headers and body (by `Content-Length`), read off `stream`.
struct Response {
    status: u16,
    head: String,
    body: Vec<u8>,
}

fn read_response(stream: &mut TcpStream) -> std::io::Result<Response> {
    let mut bytes = Vec::new();
    let mut byte = [0u8; 1];
    while !bytes.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        bytes.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&bytes).to_lowercase();
    let status = head[9..12].parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .map_or(0, |value| value.trim().parse().unwrap());
    let mut body = vec![0; length];
    stream.read_exact(&mut body)?;
    Ok(Response { status, head, body })
}

fn get(stream: &mut TcpStream, path: &str) -> std::io::Result<Response> {
    write!(stream, "GET {path} HTTP/1.1\r\nHost: farthing\r\n\r\n")?;
    read_response(stream)
}

/// Whether the server has closed `stream`: it reads the end of the stream (or a reset)
/// rather than waiting out `PATIENCE`.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut rest = [0u8; 4096];
    loop {
        match stream.read(&mut rest) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(error) => {
                return matches!(
                    error.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
                );
            }
        }
    }
}

/// Timeouts long enough that only the limit under test can close a connection.
fn patient(config: &mut Config) {
    config.server.request_read_timeout_ms = 60_000;
    config.server.keep_alive_idle_ms = 60_000;
    config.server.response_write_timeout_ms = 60_000;
}

#[test]
fn one_address_over_its_cap_is_refused_and_another_address_is_still_served() {
    let server = start(patient);
    let cap = server_config_cap();
    let flood = Ipv4Addr::new(127, 0, 0, 1);
    let mut idle: Vec<TcpStream> = (0..cap + 100)
        .map(|_| connect_from(&server, flood, None))
        .collect();

    // 100 more than the cap from one address, fewer than `connections_max` in all: without
    // the cap they would hold every slot and this one would wait in the backlog.
    let mut other = connect_from(&server, Ipv4Addr::new(127, 0, 0, 2), None);
    let served = get(&mut other, "/healthz").expect("another address is served");
    assert_eq!(served.status, 200);

    // Exactly the connections above the cap were answered 429 and closed; the rest wait.
    let mut answers = vec![(Vec::new(), false); idle.len()];
    let deadline = Instant::now() + PATIENCE;
    while answers.iter().filter(|(_, ended)| *ended).count() < 100 && Instant::now() < deadline {
        for (stream, (answer, ended)) in idle.iter_mut().zip(answers.iter_mut()) {
            if !*ended {
                *ended = read_what_came(stream, answer);
            }
        }
    }
    let refused: Vec<bool> = answers.iter().map(|(_, ended)| *ended).collect();
    assert_eq!(refused.iter().filter(|r| **r).count(), 100);
    for (answer, ended) in &answers {
        let text = String::from_utf8_lossy(answer).to_lowercase();
        if *ended {
            assert!(text.starts_with("http/1.1 429"), "{text}");
            assert!(text.contains("retry-after: 1"), "{text}");
            assert!(text.contains("\"code\":\"too_many_connections\""), "{text}");
        } else {
            assert!(text.is_empty(), "{text}");
        }
    }
    let kept: Vec<&mut TcpStream> = idle
        .iter_mut()
        .zip(&refused)
        .filter(|(_, refused)| !**refused)
        .map(|(stream, _)| stream)
        .collect();
    assert_eq!(kept.len(), cap);
    for stream in kept {
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        assert_eq!(get(stream, "/healthz").unwrap().status, 200);
    }
}

fn server_config_cap() -> usize {
    let dir = tempfile::tempdir().unwrap();
    common::test_config(dir.path())
        .server
        .connections_per_client_max
}

/// Appends to `answer` what `stream` holds now; whether the stream has ended.
fn read_what_came(stream: &mut TcpStream, answer: &mut Vec<u8>) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_millis(1)))
        .unwrap();
    let mut chunk = [0u8; 1024];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return true,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            Err(error) => panic!("{error}"),
        }
    }
}

#[test]
fn a_client_that_does_not_read_its_responses_loses_its_slot_after_the_write_timeout() {
    // One slot in all: while the slow reader holds it, nobody else is served.
    let server = start(|config| {
        patient(config);
        config.server.shards = 1;
        config.server.connections_max = 1;
        config.server.response_write_timeout_ms = 200;
    });
    let mut slow = connect_from(&server, Ipv4Addr::LOCALHOST, Some(4096));
    let size = {
        // The first response tells how large each is; then many more are asked for than the
        // two sockets' buffers hold, and none is read.
        let first = get(&mut slow, "/openapi.json").unwrap();
        first.body.len()
    };
    // Far more than the buffers hold, in few enough requests that the server reads them all.
    let requests = ((16 << 20) / size.max(1)).clamp(64, 1000);
    let pipelined = "GET /openapi.json HTTP/1.1\r\nHost: farthing\r\n\r\n".repeat(requests);
    slow.write_all(pipelined.as_bytes()).unwrap();

    let mut next = connect_from(&server, Ipv4Addr::LOCALHOST, None);
    let served = get(&mut next, "/healthz").expect("the slow reader's slot was freed");
    assert_eq!(served.status, 200);
    assert!(closed_by_server(&mut slow));
}

#[test]
fn an_idle_kept_alive_connection_is_closed_after_keep_alive_idle() {
    let server = start(|config| {
        patient(config);
        config.server.keep_alive_idle_ms = 100;
    });
    let mut stream = connect_from(&server, Ipv4Addr::LOCALHOST, None);
    let served = get(&mut stream, "/healthz").unwrap();
    assert_eq!(served.status, 200);
    assert!(!served.head.contains("connection: close"));
    assert!(closed_by_server(&mut stream));
}

#[test]
fn a_request_being_answered_is_not_idle() {
    // The head arrives, then the body only after several idle limits: the connection is busy
    // with a request, so the idle limit does not cut it (the read timeout would, at 60 s).
    let server = start(|config| {
        patient(config);
        config.server.keep_alive_idle_ms = 20;
    });
    let mut stream = connect_from(&server, Ipv4Addr::LOCALHOST, None);
    let body = br#"{"email":"slow@example.com","password":"a long enough password","language":"en","currency":"USD"}"#;
    write!(
        stream,
        "POST /v1/members HTTP/1.1\r\nHost: farthing\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    stream.write_all(body).unwrap();
    let answered = read_response(&mut stream).expect("answered, not cut as idle");
    assert_eq!(
        answered.status,
        201,
        "{}",
        String::from_utf8_lossy(&answered.body)
    );
}

#[test]
fn a_body_that_stops_short_of_its_length_is_408_and_closes_the_connection() {
    let server = start(|config| {
        patient(config);
        config.server.request_read_timeout_ms = 300;
    });
    let mut stream = connect_from(&server, Ipv4Addr::LOCALHOST, None);
    write!(
        stream,
        "POST /v1/members HTTP/1.1\r\nHost: farthing\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{"
    )
    .unwrap();
    let answer = read_response(&mut stream).unwrap();
    assert_eq!(answer.status, 408);
    let problem: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(problem["code"], "request_timeout");
    assert_eq!(problem["type"], "/problems/request_timeout");
    assert!(answer.head.contains("connection: close"), "{}", answer.head);
    assert!(closed_by_server(&mut stream));
    let explained = server.get("/problems/request_timeout", None);
    assert_eq!(explained.status, 200);
}

/// A `GET /healthz` whose head (request line, headers, blank line) is exactly `bytes` long.
fn head_of(bytes: usize) -> Vec<u8> {
    let start = "GET /healthz HTTP/1.1\r\nHost: farthing\r\nX-Padding: ";
    let end = "\r\n\r\n";
    let padding = bytes - start.len() - end.len();
    format!("{start}{}{end}", "a".repeat(padding)).into_bytes()
}

/// Sends `request` from one thread while reading the answer on another: the server answers
/// a head too large before reading it all, and a writer that waited for the whole write
/// could see the connection reset before it read that answer.
fn send(server: &TestServer, request: Vec<u8>) -> Response {
    let mut stream = connect_from(server, Ipv4Addr::LOCALHOST, None);
    let mut writer = stream.try_clone().unwrap();
    let writing = std::thread::spawn(move || {
        let _ = writer.write_all(&request);
    });
    let response = read_response(&mut stream).unwrap();
    writing.join().unwrap();
    response
}

#[test]
fn a_head_above_request_head_bytes_max_is_431() {
    let server = start(patient);
    let limit = {
        let dir = tempfile::tempdir().unwrap();
        common::test_config(dir.path())
            .server
            .request_head_bytes_max
    };
    assert_eq!(send(&server, head_of(limit)).status, 200);
    assert_eq!(send(&server, head_of(limit + 1)).status, 431);
    assert_eq!(send(&server, head_of(500_000)).status, 431);
}
