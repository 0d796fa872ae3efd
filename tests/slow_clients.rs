//! Slow clients against clearfeed's server: many connections trickling their request heads
//! cannot exhaust its descriptors, and a client that reads a byte a second cannot hold a
//! connection forever.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use clearfeed::serve::{self, AppState, ServeOptions};

/// The descriptor limit the server process is given: low, so the test stays cheap.
const FD_LIMIT: libc::rlim_t = 256;
/// More slow connections than the server has descriptors.
const SLOW_CONNECTIONS: usize = 300;

/// Starts `clearfeed serve` on a free loopback port with both descriptor limits at `FD_LIMIT`,
/// and returns the child and the address it prints in its log.
fn spawn_server(data_dir: &std::path::Path) -> (std::process::Child, SocketAddr) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clearfeed"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("CLEARFEED_CONFIG")
        .env_remove("CLEARFEED_DATA_DIR")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches nothing but the child's own limits.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: FD_LIMIT,
                rlim_max: FD_LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("clearfeed runs");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server logs its address")
            .expect("readable log");
        if let Some(rest) = line.split("address=").nth(1) {
            let token: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '\u{1b}')
                .collect();
            break token.parse().expect("a socket address in the log");
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr)
}

/// Opens a connection, sends the start of a request head, then one header line every two
/// seconds, forever (or until the server closes it).
async fn trickle(addr: SocketAddr) {
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return;
    };
    if stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .is_err()
    {
        return;
    }
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        if stream.write_all(b"X-Slow: 1\r\n").await.is_err() {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_beyond_the_descriptor_limit_do_not_lock_out_readers() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = spawn_server(dir.path());
    let mut slow = tokio::task::JoinSet::new();
    for _ in 0..SLOW_CONNECTIONS {
        slow.spawn(trickle(addr));
        tokio::task::yield_now().await;
    }
    // Let every slow connection arrive and send a line or two more.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let started = Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(30), common::raw_get(addr, "/healthz"))
        .await
        .expect("a fresh request is answered within 30 s");
    let took = started.elapsed();
    assert_eq!(answer.0, 200, "{}", answer.1);
    eprintln!(
        "GET /healthz beside {SLOW_CONNECTIONS} slow connections answered in {} ms",
        took.as_millis()
    );
    // And again, a few seconds on, while the slow connections still trickle.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let again = tokio::time::timeout(Duration::from_secs(30), common::raw_get(addr, "/healthz"))
        .await
        .expect("answered again within 30 s");
    assert_eq!(again.0, 200, "{}", again.1);
    assert!(
        child.try_wait().unwrap().is_none(),
        "the server is still running"
    );
    slow.abort_all();
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A published file larger than any socket buffer, so that a slow reader stalls the writes.
const BIG: usize = 24 * 1024 * 1024;

async fn big_file_server(write_timeout: Duration) -> (SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.json"), vec![b' '; BIG]).unwrap();
    let listener = common::loopback_listener().await;
    let addr = listener.local_addr().unwrap();
    let options = ServeOptions {
        write_timeout,
        ..ServeOptions::default()
    };
    let state = AppState::new(dir.path());
    tokio::spawn(serve::serve_with(
        listener,
        state,
        options,
        std::future::pending(),
    ));
    (addr, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_taking_a_byte_a_second_is_cut_off() {
    let (addr, _dir) = big_file_server(Duration::from_secs(2)).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(addr).await.unwrap();
    stream
        .write_all(b"GET /feeds/big.json HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    // A byte a second for longer than the write timeout: the server's writes stall meanwhile.
    let mut byte = [0u8; 1];
    let mut read = 0usize;
    for _ in 0..8 {
        match stream.read(&mut byte).await {
            Ok(0) | Err(_) => break,
            Ok(_) => read += 1,
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // Then at full speed: a connection still open would now deliver the whole body; a cut one
    // ends with what was buffered.
    let mut rest = Vec::new();
    let drained = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut rest))
        .await
        .expect("the connection ends within 20 s");
    let total = read + rest.len();
    assert!(
        total < BIG,
        "the whole body arrived ({total} bytes, {drained:?})"
    );
    eprintln!("slow reader cut off after {total} bytes ({drained:?})");
    // The server still answers others.
    let (status, _) = common::raw_get(addr, "/healthz").await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_at_full_speed_gets_the_whole_large_file() {
    let (addr, _dir) = big_file_server(Duration::from_secs(2)).await;
    let (status, body) = common::raw_get(addr, "/feeds/big.json").await;
    assert_eq!(status, 200);
    assert!(body.len() > BIG, "{} bytes", body.len());
}
