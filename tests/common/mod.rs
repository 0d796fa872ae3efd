//! Scaffolding shared by the integration tests (each test binary uses `mod common;` and a part of
//! what is here):
//!
//! - [`Server`]: a raw HTTP/1.1 fixture server on 127.0.0.1 whose replies each test sets up per
//!   path, and which records every request it sees. It works below the level a framework allows
//!   (never answer, promise a longer body than it sends, drip a body forever), and runs on a thread
//!   of its own, so synchronous and asynchronous tests use it alike.
//! - [`AppServer`]: clearfeed's own HTTP server (`serve::serve`) on a loopback port, with a stop
//!   handle; [`raw_request`] and [`raw_get`] talk to it below the level of an HTTP client.
//! - [`demo_setup`]: the demo's sample site on a loopback port and its two-feed configuration.
//! - [`feedparser_python`]: a Python interpreter that can `import feedparser`, provided in a
//!   virtual environment under the target directory on first use.
//! - [`pg::database`]: a fresh database on a throwaway PostgreSQL server (`pg.rs`).
//! - [`chromium`]: a headless Chromium, when the machine has one.
//! - [`s3::server`]: a throwaway S3-compatible server (moto, in a venv like feedparser's).

#![allow(dead_code)]

pub mod pg;
pub mod s3;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use clearfeed::serve::{self, AppState};

// ---------------------------------------------------------------------------------------------
// The fixture server

/// What the fixture server does for one path.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A complete response (Content-Length set from the body unless a header gives one).
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// A body with validators; a conditional request matching them gets a 304.
    Validated {
        body: Vec<u8>,
        content_type: String,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    /// Fails with `status` (and `Retry-After: 0`) for the first `times` requests, then replies
    /// as `then`.
    FailFirst {
        status: u16,
        times: usize,
        then: Box<Reply>,
    },
    /// Headers promising `declared` bytes, then `body` (shorter), then the connection closes.
    Truncated { declared: usize, body: Vec<u8> },
    /// Reads the request and never answers; signals [`Server::arrived`].
    Hang,
    /// Sends the headers and a first chunk of HTML, then nothing more, ever.
    Drip,
    /// Sends the headers, then an HTML body one byte a second, for as long as the client listens.
    Trickle,
}

impl Reply {
    /// A complete response with this Content-Type.
    pub fn full(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Full {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// A bare status with an empty body.
    pub fn status(status: u16) -> Reply {
        Reply::Full {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A 302 to `location` (any URL, not only one on this server).
    pub fn redirect(location: &str) -> Reply {
        Reply::status(302).header("Location", location)
    }

    /// The same complete response with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        match &mut self {
            Reply::Full { headers, .. } => headers.push((name.into(), value.into())),
            other => panic!("only a full reply takes extra headers, not {other:?}"),
        }
        self
    }
}

/// One request as the fixture server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The request target as sent (with its query, if any).
    pub target: String,
    /// The target without its query.
    pub path: String,
    /// It carried If-None-Match or If-Modified-Since.
    pub conditional: bool,
    /// The status answered; 0 for a request that was never answered.
    pub status: u16,
    /// The request's headers as sent (names as written).
    pub headers: Vec<(String, String)>,
    /// When the request had been read.
    pub at: std::time::Instant,
}

impl Seen {
    /// The value of header `name` (any case), if the request had it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct ServerState {
    routes: Mutex<HashMap<String, Reply>>,
    seen: Mutex<Vec<Seen>>,
    arrived: tokio::sync::Notify,
}

/// A raw HTTP/1.1 server on 127.0.0.1:0 serving the replies set per path (404 otherwise), one
/// request per connection. It runs on a background thread for the rest of the test process.
/// Routes are looked up by the whole request target first, then by its path without the query.
#[derive(Clone)]
pub struct Server {
    pub addr: SocketAddr,
    state: Arc<ServerState>,
}

impl Server {
    pub fn start() -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(ServerState::default());
        let shared = state.clone();
        std::thread::Builder::new()
            .name(format!("fixture-server-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("fixture server runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            continue;
                        };
                        tokio::spawn(handle(shared.clone(), stream));
                    }
                })
            })
            .expect("spawn the fixture server thread");
        Server { addr, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn set(&self, path: &str, reply: Reply) {
        self.state
            .routes
            .lock()
            .unwrap()
            .insert(path.to_string(), reply);
    }

    /// A 200 with this Content-Type and body.
    pub fn ok(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) {
        self.set(path, Reply::full(200, content_type, body));
    }

    /// A 200 with exactly these headers and body.
    pub fn with_headers(&self, path: &str, headers: &[(&str, &str)], body: Vec<u8>) {
        self.set(
            path,
            Reply::Full {
                status: 200,
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                body,
            },
        );
    }

    /// A 302 from one path on this server to another.
    pub fn redirect(&self, from: &str, to: &str) {
        self.set(from, Reply::redirect(&self.url(to)));
    }

    /// An HTML page with a strong ETag `"etag"` and a fixed Last-Modified.
    pub fn page(&self, path: &str, body: &str, etag: &str) {
        self.set(
            path,
            Reply::Validated {
                body: body.as_bytes().to_vec(),
                content_type: "text/html; charset=utf-8".into(),
                etag: Some(format!("\"{etag}\"")),
                last_modified: Some("Tue, 24 Nov 2026 08:00:00 GMT".into()),
            },
        );
    }

    /// A feed document with a strong ETag `"etag"` and no Last-Modified.
    pub fn feed(&self, path: &str, body: &str, etag: &str, content_type: &str) {
        self.set(
            path,
            Reply::Validated {
                body: body.as_bytes().to_vec(),
                content_type: content_type.into(),
                etag: Some(format!("\"{etag}\"")),
                last_modified: None,
            },
        );
    }

    /// Every request so far, in order of arrival.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Requests for `path` (the query not counted) so far.
    pub fn hits(&self, path: &str) -> usize {
        self.state
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path == path)
            .count()
    }

    /// The paths requested under `prefix`, in order of arrival.
    pub fn hits_under(&self, prefix: &str) -> Vec<String> {
        self.state
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path.starts_with(prefix))
            .map(|s| s.path.clone())
            .collect()
    }

    /// Notified (a permit is kept if nobody waits yet) each time a request reaches a
    /// [`Reply::Hang`] route.
    pub fn arrived(&self) -> &tokio::sync::Notify {
        &self.state.arrived
    }
}

/// A request head as the fixture server reads it.
struct Request {
    target: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Request> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return None;
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let target = lines.next()?.split(' ').nth(1).unwrap_or("/").to_string();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Request { target, headers })
}

async fn handle(state: Arc<ServerState>, mut stream: tokio::net::TcpStream) {
    let Some(req) = read_request(&mut stream).await else {
        return;
    };
    let path = req
        .target
        .split_once('?')
        .map_or(req.target.as_str(), |(p, _)| p)
        .to_string();
    let conditional =
        req.header("If-None-Match").is_some() || req.header("If-Modified-Since").is_some();
    let route = {
        let routes = state.routes.lock().unwrap();
        routes
            .get(&req.target)
            .or_else(|| routes.get(&path))
            .cloned()
    };
    let reply = {
        let mut seen = state.seen.lock().unwrap();
        let earlier = seen.iter().filter(|s| s.path == path).count();
        let reply = resolve(route, &req, earlier);
        seen.push(Seen {
            target: req.target.clone(),
            path,
            conditional,
            status: match &reply {
                Reply::Full { status, .. } => *status,
                Reply::Truncated { .. } | Reply::Drip | Reply::Trickle => 200,
                _ => 0,
            },
            headers: req.headers.clone(),
            at: std::time::Instant::now(),
        });
        reply
    };
    let (status, headers, body, declared) = match reply {
        Reply::Hang => {
            state.arrived.notify_one();
            // Hold the connection open and say nothing, ever.
            std::future::pending::<()>().await;
            unreachable!()
        }
        Reply::Drip => {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html\r\n\
                      Transfer-Encoding: chunked\r\n\r\nf\r\n<html><body><p>\r\n",
                )
                .await;
            std::future::pending::<()>().await;
            unreachable!()
        }
        Reply::Trickle => {
            let head = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html\r\n\
                        Transfer-Encoding: chunked\r\n\r\n";
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let page = b"<html><body><p>The tide tables for the week ahead are posted";
            for byte in page.iter().cycle() {
                let chunk = [b'1', b'\r', b'\n', *byte, b'\r', b'\n'];
                if stream.write_all(&chunk).await.is_err() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            unreachable!()
        }
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let len = body.len();
            (status, headers, body, len)
        }
        Reply::Truncated { declared, body } => (
            200,
            vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body,
            declared,
        ),
        Reply::Validated { .. } | Reply::FailFirst { .. } => unreachable!("resolved above"),
    };
    let reason = axum::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Whatever");
    let mut out = format!("HTTP/1.1 {status} {reason}\r\nConnection: close\r\n");
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        out.push_str(&format!("Content-Length: {declared}\r\n"));
    }
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let _ = stream.write_all(out.as_bytes()).await;
    let _ = stream.write_all(&body).await;
    let _ = stream.shutdown().await;
}

/// What a route says for this request: a 404 for no route, conditional and repeated-request
/// routes decided here, the rest as set.
fn resolve(route: Option<Reply>, req: &Request, earlier: usize) -> Reply {
    match route {
        None => Reply::full(404, "text/plain; charset=utf-8", "not found\n"),
        Some(Reply::FailFirst {
            status,
            times,
            then,
        }) => {
            if earlier < times {
                Reply::status(status).header("Retry-After", "0")
            } else {
                resolve(Some(*then), req, earlier)
            }
        }
        Some(Reply::Validated {
            body,
            content_type,
            etag,
            last_modified,
        }) => {
            let inm = req.header("If-None-Match");
            let ims = req.header("If-Modified-Since");
            let fresh = match (inm, &etag) {
                (Some(sent), Some(ours)) => sent == ours,
                (Some(_), None) => false,
                (None, _) => ims.is_some() && ims == last_modified.as_deref(),
            };
            let mut reply = if fresh {
                Reply::status(304)
            } else {
                Reply::full(200, &content_type, body)
            };
            if let Some(e) = &etag {
                reply = reply.header("ETag", e);
            }
            if let Some(lm) = &last_modified {
                reply = reply.header("Last-Modified", lm);
            }
            reply
        }
        Some(other) => other,
    }
}

/// An address on 127.0.0.1 that nothing listens on (it was bound, then released).
pub fn unused_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

// ---------------------------------------------------------------------------------------------
// clearfeed's own server

/// A listener on 127.0.0.1, any free port.
pub async fn loopback_listener() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()
}

/// `serve::serve` on a loopback port of the test's runtime, until [`AppServer::stop`].
pub struct AppServer {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl AppServer {
    /// Serves the published files in `public`.
    pub async fn start(public: &Path) -> AppServer {
        AppServer::start_with(AppState::new(public)).await
    }

    pub async fn start_with(state: AppState) -> AppServer {
        let listener = loopback_listener().await;
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(serve::serve(listener, state, async move {
            let _ = rx.await;
        }));
        AppServer {
            addr,
            stop: Some(tx),
            handle,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Asks the server to shut down and waits until it has.
    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.handle.await.unwrap().unwrap();
    }
}

/// Sends `request` as it is on a new connection and reads until the server closes it. Returns
/// the status from the response line (0 if there was none) and the whole response text.
pub async fn raw_request(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut response = Vec::new();
    // A server may reset the connection after answering; what arrived before counts.
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

/// A GET of `target` exactly as written (no URL normalisation by a client).
pub async fn raw_get(addr: SocketAddr, target: &str) -> (u16, String) {
    let request = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    raw_request(addr, request.as_bytes()).await
}

// ---------------------------------------------------------------------------------------------
// The demo's sample site

pub struct Demo {
    pub _dir: tempfile::TempDir,
    pub site: clearfeed::app::tools::site::LoopbackSite,
    pub config: clearfeed::config::AppConfig,
}

/// The sample site on a loopback port and the demo's configuration for it (feeds served on
/// `listen`), in a fresh data directory.
pub async fn demo_setup(listen: SocketAddr) -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let listener = loopback_listener().await;
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let site = clearfeed::app::tools::site::LoopbackSite::start(
        listener,
        clearfeed::app::tools::demo::sample_site_pages(&base).unwrap(),
    );
    let path = clearfeed::app::tools::demo::write_demo_config(dir.path(), &base, listen).unwrap();
    let config =
        clearfeed::config::AppConfig::load_from(&path, Some(dir.path().to_path_buf())).unwrap();
    assert_eq!(config.feeds.len(), 2, "{:?}", config.feed_errors);
    Demo {
        _dir: dir,
        site,
        config,
    }
}

// ---------------------------------------------------------------------------------------------
// Python's feedparser

/// The feedparser release the tests read published feeds with.
const FEEDPARSER: &str = "feedparser==6.0.14";

/// Set to `1` to let the tests that need feedparser pass without it when it cannot be provided
/// (no `python3 -m venv`, no network). Without it they fail.
const ALLOW_SKIP: &str = "CLEARFEED_ALLOW_SKIP";

/// A Python interpreter that can `import feedparser`: the one of a virtual environment in
/// `<target dir>/test-venv`, made with `python3 -m venv` and `pip install` on first use.
///
/// When it cannot be provided, this fails the calling test with the reason; with
/// `CLEARFEED_ALLOW_SKIP=1` it prints the reason loudly instead and returns `None`, and the
/// caller skips.
pub fn feedparser_python() -> Option<PathBuf> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let provide = || provide_venv("test-venv", FEEDPARSER, "feedparser");
    let reason = match PYTHON.get_or_init(provide) {
        Ok(python) => return Some(python.clone()),
        Err(reason) => reason,
    };
    skip_or_fail("feedparser", reason);
    None
}

/// A test needs `what` and it cannot be provided, for `reason`: fails the test, or with
/// `CLEARFEED_ALLOW_SKIP=1` says so loudly and returns (the caller then skips).
pub fn skip_or_fail(what: &str, reason: &str) {
    let banner = "=".repeat(78);
    if std::env::var(ALLOW_SKIP).as_deref() == Ok("1") {
        loud(&format!(
            "\n{banner}\nSKIPPED: cannot provide {what}: {reason}\n({ALLOW_SKIP}=1 is set, so \
             the test that needs it passes without checking anything)\n{banner}\n"
        ));
        return;
    }
    loud(&format!(
        "\n{banner}\nFAILED: cannot provide {what}: {reason}\n{banner}\n"
    ));
    panic!("cannot provide {what}: {reason}\n(set {ALLOW_SKIP}=1 to skip the tests that need it)");
}

/// Writes to the process's standard error directly: the test harness captures `eprintln!`
/// and shows it only for a failing test, and a skip must be seen.
fn loud(message: &str) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(message.as_bytes());
}

/// `<target dir>/<name>`: `CARGO_TARGET_TMPDIR` is `<target dir>/tmp`.
fn venv_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR has a parent")
        .join(name)
}

fn imports(python: &Path, module: &str) -> bool {
    Command::new(python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Returns the interpreter of the venv `<target dir>/<name>`, building it first (installing
/// `requirement`) if it does not import `module`.
///
/// Test binaries may run at the same time: each builds in a directory of its own and moves the
/// finished venv into place with one rename, so no process ever sees a half-built one (a venv's
/// interpreter finds its packages relative to where it is, so the move is safe).
pub fn provide_venv(name: &str, requirement: &str, module: &str) -> Result<PathBuf, String> {
    let venv = venv_dir(name);
    let python = venv.join("bin").join("python");
    if imports(&python, module) {
        return Ok(python);
    }
    let parent = venv.parent().unwrap();
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let unique = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    );
    let staging = parent.join(format!("{name}.building-{unique}"));
    loud(&format!(
        "providing {requirement} for the tests in {} (python3 -m venv, pip install)\n",
        venv.display()
    ));
    if let Err(e) = build_venv(&staging, requirement) {
        let _ = std::fs::remove_dir_all(&staging);
        // Offline, the module installed with the system's Python still does.
        let system = PathBuf::from("python3");
        if imports(&system, module) {
            loud(&format!(
                "{e}\nusing the {module} of `python3` on PATH instead\n"
            ));
            return Ok(system);
        }
        return Err(e);
    }
    if std::fs::rename(&staging, &venv).is_err() {
        if imports(&python, module) {
            // Another test binary finished first.
            let _ = std::fs::remove_dir_all(&staging);
        } else {
            // Something broken is in the way: move it aside, then ours in.
            let aside = parent.join(format!("{name}.broken-{unique}"));
            if venv.exists() {
                std::fs::rename(&venv, &aside)
                    .map_err(|e| format!("cannot move the broken {} aside: {e}", venv.display()))?;
            }
            std::fs::rename(&staging, &venv).map_err(|e| {
                format!(
                    "cannot move {} to {}: {e}",
                    staging.display(),
                    venv.display()
                )
            })?;
            let _ = std::fs::remove_dir_all(&aside);
        }
    }
    if imports(&python, module) {
        Ok(python)
    } else {
        Err(format!(
            "{} cannot import {module} after installing it",
            python.display()
        ))
    }
}

fn build_venv(dir: &Path, requirement: &str) -> Result<(), String> {
    let run = |what: &str, cmd: &mut Command| -> Result<(), String> {
        let out = cmd
            .output()
            .map_err(|e| format!("cannot run {what}: {e}"))?;
        if out.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(12).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(format!(
            "{what} failed ({}):\n{}",
            out.status,
            tail.join("\n")
        ))
    };
    run(
        "`python3 -m venv`",
        Command::new("python3").args(["-m", "venv"]).arg(dir),
    )?;
    run(
        &format!("`pip install {requirement}` (is the package index reachable?)"),
        Command::new(dir.join("bin").join("python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-input",
            ])
            .args(requirement.split_whitespace()),
    )
}

// ---------------------------------------------------------------------------------------------
// A headless browser

/// Set to `1` to make the browser tests fail, instead of skipping, when no browser is found (CI
/// installs one, so there a missing browser is a broken set-up, not a reason to skip).
const REQUIRE_BROWSER: &str = "CLEARFEED_REQUIRE_BROWSER";

/// A Chromium for the tests that look at the index page as a person does: `$CLEARFEED_CHROMIUM`,
/// else `chromium`, `chromium-browser` or `google-chrome` on `PATH`.
///
/// Unlike feedparser, a browser is a system package the tests cannot provide themselves (`.ci/run`
/// installs Debian's `chromium`). Without one the calling test says so loudly and returns `None`,
/// so it passes without checking anything; with `CLEARFEED_REQUIRE_BROWSER=1` it fails instead.
pub fn chromium() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match std::env::var_os("CLEARFEED_CHROMIUM") {
        Some(path) => vec![PathBuf::from(path)],
        None => ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .map(PathBuf::from)
            .collect(),
    };
    let found = candidates.into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_some() {
        return found;
    }
    let reason = "no Chromium found (install Debian's `chromium` package, or set \
                  CLEARFEED_CHROMIUM to a Chromium or Chrome binary)";
    system_package_missing("a browser", reason, REQUIRE_BROWSER);
    None
}

/// A system package (a browser, a database server) the tests cannot install themselves: said
/// loudly, and the calling test passes without checking anything — unless `require` is set to `1`
/// (as `.ci/run` does), when it fails.
pub fn system_package_missing(what: &str, reason: &str, require: &str) {
    let banner = "=".repeat(78);
    if std::env::var(require).as_deref() == Ok("1") {
        loud(&format!("\n{banner}\nFAILED: {what}: {reason}\n{banner}\n"));
        panic!("{what}: {reason} ({require}=1 is set)");
    }
    loud(&format!(
        "\n{banner}\nSKIPPED: {what}: {reason}\nThe test that needs it passes without checking \
         anything ({require}=1 makes this a failure).\n{banner}\n"
    ));
}

/// Runs headless `chromium` on `url` with a fresh profile and no network services of its own,
/// adding `args` (e.g. `--dump-dom`, `--screenshot=…`), and returns its standard output. Blocks:
/// call it from `spawn_blocking` when the server it loads runs on the same runtime.
pub fn run_chromium(chromium: &Path, url: &str, args: &[&str]) -> String {
    use std::io::Read as _;
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let stderr = err.join().unwrap();
    assert!(status.success(), "chromium failed: {status}\n{stderr}");
    out.join().unwrap().expect("the DOM is UTF-8")
}

/// A daemon (`schedule::run_daemon`) running in the background with its feed-run reports sent
/// to [`Daemon::reports`]; [`Daemon::stop`] asks it to stop and waits until it has.
pub struct Daemon {
    pub reports: tokio::sync::mpsc::UnboundedReceiver<clearfeed::pipeline::FeedReport>,
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Daemon {
    /// Starts `feeds` on `pipeline` with `options` (their `reports` channel is set here).
    pub fn start(
        pipeline: clearfeed::pipeline::Pipeline,
        feeds: Vec<clearfeed::config::FeedConfig>,
        options: clearfeed::schedule::DaemonOptions,
    ) -> Daemon {
        let (report_tx, reports) = tokio::sync::mpsc::unbounded_channel();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let options = clearfeed::schedule::DaemonOptions {
            reports: Some(report_tx),
            ..options
        };
        let handle = tokio::spawn(clearfeed::schedule::run_daemon(
            pipeline,
            feeds,
            options,
            async move {
                let _ = stop_rx.await;
            },
        ));
        Daemon {
            reports,
            stop,
            handle,
        }
    }

    pub async fn stop(self) {
        self.stop.send(()).unwrap();
        self.handle.await.unwrap().unwrap();
    }
}
