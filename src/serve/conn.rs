//! The accept loop and the life of each connection: what keeps slow or stalled clients from
//! holding the server.
//!
//! Every connection is watched. It is closed when it takes longer than `header_timeout` to send a
//! request head (from its opening, or from the first byte of a later request), when it sits idle
//! between requests for longer than `idle_timeout`, or when a response write makes no progress for
//! `write_timeout` (a client that reads a byte a second). At most `max_connections` are open: a new
//! one closes the oldest connection that is not serving a request, or is refused when every one
//! is busy. Accept errors (EMFILE, ENFILE, ECONNABORTED) never end the loop: it backs off briefly
//! and goes on.

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1::Builder;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

use super::service::AppService;

/// How long the accept loop waits after an accept error before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// Descriptors kept free for everything else the process opens (database, fetches, files, and
/// the memory files large cached bodies are sent from).
const RESERVED_FDS: u64 = 128 + super::zerocopy::MAX_MAPPINGS as u64;

/// Limits on the server's connections. The defaults follow common web-server practice
/// (nginx: `client_header_timeout` 60 s, `keepalive_timeout` 75 s, `send_timeout` 60 s), a little
/// stricter since feed readers send short requests.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Longest time a client may take to send a request's head.
    pub header_timeout: Duration,
    /// Longest time a keep-alive connection may sit between requests.
    pub idle_timeout: Duration,
    /// Longest time a response write may make no progress.
    pub write_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_timeout: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(30),
            max_connections: default_max_connections(),
        }
    }
}

/// What the descriptor limit allows, less a reserve for the rest of the process.
fn default_max_connections() -> usize {
    let soft = fd_limit().map_or(1024, |(soft, _)| soft);
    soft.saturating_sub(RESERVED_FDS).clamp(16, 16_384) as usize
}

/// The soft and hard limits on open descriptors.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux, not everywhere
fn fd_limit() -> Option<(u64, u64)> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given, which lives for the call.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    (rc == 0).then_some((lim.rlim_cur as u64, lim.rlim_max as u64))
}

#[cfg(not(unix))]
fn fd_limit() -> Option<(u64, u64)> {
    None
}

/// Raises the soft limit on open descriptors to the hard limit, where the system allows it, so
/// that the default of 1,024 does not cap the server. Returns the soft limit in force afterwards.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux, not everywhere
pub fn raise_fd_limit() -> Option<u64> {
    let (soft, hard) = fd_limit()?;
    if soft >= hard {
        return Some(soft);
    }
    let lim = libc::rlimit {
        rlim_cur: hard as libc::rlim_t,
        rlim_max: hard as libc::rlim_t,
    };
    // SAFETY: setrlimit only reads the struct it is given, which lives for the call.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } == 0 {
        tracing::debug!(from = soft, to = hard, "raised the open-file limit");
        Some(hard)
    } else {
        tracing::debug!(soft, hard, error = %io::Error::last_os_error(), "cannot raise the open-file limit");
        Some(soft)
    }
}

#[cfg(not(unix))]
pub fn raise_fd_limit() -> Option<u64> {
    None
}

/// Milliseconds since the server started, plus one, so that zero can mean "never". Read on every
/// socket read and write, so on Linux it is the coarse monotonic clock (a few milliseconds'
/// resolution, plenty for timeouts of seconds, and much cheaper to read than the precise one).
#[derive(Clone, Copy)]
struct Clock(u64);

impl Clock {
    fn start() -> Self {
        Clock(monotonic_millis())
    }

    fn now(&self) -> u64 {
        monotonic_millis().saturating_sub(self.0) + 1
    }
}

#[cfg(target_os = "linux")]
fn monotonic_millis() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the struct it is given, which lives for the call.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
}

#[cfg(not(target_os = "linux"))]
fn monotonic_millis() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_millis() as u64
}

/// What the watchdog knows of one connection.
struct Conn {
    id: u64,
    /// Requests being handled (not counting the writing of their bodies).
    in_flight: AtomicUsize,
    /// When the current request head began (0: none is being read).
    head_since: AtomicU64,
    /// Last read or write that moved bytes.
    last_io: AtomicU64,
    /// When a write began to wait for the client (0: none is waiting).
    write_blocked_since: AtomicU64,
    /// Set when the connection is cut for stalling: it is then reset, not closed politely, so its
    /// unsent data is dropped at once.
    reset: AtomicBool,
    close: Notify,
}

impl Conn {
    fn idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
            && self.write_blocked_since.load(Ordering::Acquire) == 0
    }

    /// Why the connection should be closed now, if it should.
    fn expired(&self, now: u64, opts: &ServeOptions) -> Option<&'static str> {
        let over =
            |since: u64, limit: Duration| since != 0 && now - since > limit.as_millis() as u64;
        if over(
            self.write_blocked_since.load(Ordering::Acquire),
            opts.write_timeout,
        ) {
            return Some("response write stalled");
        }
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let head = self.head_since.load(Ordering::Acquire);
        if head != 0 {
            return over(head, opts.header_timeout).then_some("request head too slow");
        }
        over(self.last_io.load(Ordering::Acquire), opts.idle_timeout).then_some("idle")
    }
}

/// Marks a request as being handled while it lives.
struct InFlight(Arc<Conn>);

impl InFlight {
    fn start(conn: &Arc<Conn>) -> Self {
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        conn.head_since.store(0, Ordering::Release);
        InFlight(conn.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A TCP stream that reports its progress to its [`Conn`].
struct Watched {
    stream: TcpStream,
    conn: Arc<Conn>,
    clock: Clock,
}

impl Watched {
    fn wrote(&self, result: &Poll<io::Result<usize>>) {
        match result {
            Poll::Ready(Ok(n)) if *n > 0 => {
                self.conn.write_blocked_since.store(0, Ordering::Release);
                self.conn.last_io.store(self.clock.now(), Ordering::Release);
            }
            Poll::Pending => {
                let _ = self.conn.write_blocked_since.compare_exchange(
                    0,
                    self.clock.now(),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                );
            }
            _ => {}
        }
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            let now = self.clock.now();
            let conn = &self.conn;
            conn.last_io.store(now, Ordering::Release);
            if conn.in_flight.load(Ordering::Acquire) == 0 {
                let _ =
                    conn.head_since
                        .compare_exchange(0, now, Ordering::AcqRel, Ordering::Acquire);
            }
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.wrote(&result);
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        #[cfg(target_os = "linux")]
        if let Some(plan) = super::zerocopy::plan(bufs) {
            let result = self.poll_send(cx, |fd| plan.send(fd, bufs));
            self.wrote(&result);
            return result;
        }
        let result = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.wrote(&result);
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(target_os = "linux")]
impl Watched {
    /// One non-blocking send made by `send` on the socket, once it is writable.
    fn poll_send(
        &self,
        cx: &mut Context<'_>,
        mut send: impl FnMut(std::os::fd::RawFd) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        use std::os::fd::AsRawFd;
        let fd = self.stream.as_raw_fd();
        loop {
            std::task::ready!(self.stream.poll_write_ready(cx))?;
            match self
                .stream
                .try_io(tokio::io::Interest::WRITABLE, || send(fd))
            {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                result => return Poll::Ready(result),
            }
        }
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if self.conn.reset.load(Ordering::Acquire) {
            let _ = self.stream.set_zero_linger();
        }
    }
}

/// The open connections, oldest first.
#[derive(Default)]
struct Registry {
    conns: Mutex<BTreeMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Conn>>> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a new connection, closing the oldest idle one when at `max`; `None` when at
    /// `max` and every connection is busy.
    fn admit(&self, max: usize, clock: Clock) -> Option<Arc<Conn>> {
        let mut conns = self.lock();
        if conns.len() >= max {
            let oldest = conns.values().find(|c| c.idle()).map(|c| c.id)?;
            if let Some(evicted) = conns.remove(&oldest) {
                evicted.close.notify_one();
            }
        }
        let now = clock.now();
        let conn = Arc::new(Conn {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            in_flight: AtomicUsize::new(0),
            // The first request's head is timed from the opening of the connection.
            head_since: AtomicU64::new(now),
            last_io: AtomicU64::new(now),
            write_blocked_since: AtomicU64::new(0),
            reset: AtomicBool::new(false),
            close: Notify::new(),
        });
        conns.insert(conn.id, conn.clone());
        Some(conn)
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }
}

/// Serves `router` on `listener` until `shutdown` completes; then open connections get `grace`
/// to finish their requests before they are dropped.
pub async fn serve_with(
    listener: TcpListener,
    service: AppService,
    opts: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> io::Result<()> {
    // HTTP/1.1 only: feed readers speak it, and it spares every connection a protocol sniff. No
    // timer for hyper: the watchdog times request heads itself, which spares every request a
    // timer of its own.
    let builder = Builder::new();
    let shared = Arc::new(Shared {
        builder,
        service,
        opts,
        registry: Registry::default(),
        clock: Clock::start(),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let Some(conn) = shared.registry.admit(shared.opts.max_connections, shared.clock) else {
                        tracing::debug!("every connection is busy; refusing a new one");
                        continue;
                    };
                    tasks.spawn(serve_conn(shared.clone(), stream, conn, stop_rx.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a connection; retrying shortly");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} });
    if drained.await.is_err() {
        tracing::warn!("connections still open after the grace period; closing anyway");
    }
    Ok(())
}

struct Shared {
    builder: Builder,
    service: AppService,
    opts: ServeOptions,
    registry: Registry,
    clock: Clock,
}

/// One connection, until it ends, is closed by the watchdog or the cap, or shutdown finishes it.
async fn serve_conn(
    shared: Arc<Shared>,
    stream: TcpStream,
    conn: Arc<Conn>,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(Watched {
        stream,
        conn: conn.clone(),
        clock: shared.clock,
    });
    let inner = shared.service.clone();
    let service_conn = conn.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let guard = InFlight::start(&service_conn);
        let inner = inner.clone();
        async move {
            let response = inner.handle(req).await;
            drop(guard);
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    let connection = shared.builder.serve_connection(io, service);
    tokio::pin!(connection);
    let opts = &shared.opts;
    let shortest = opts
        .header_timeout
        .min(opts.idle_timeout)
        .min(opts.write_timeout);
    let mut tick = tokio::time::interval(
        (shortest / 4).clamp(Duration::from_millis(50), Duration::from_secs(1)),
    );
    let mut stopping = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                break;
            }
            _ = conn.close.notified() => {
                tracing::debug!("closing an idle connection to make room");
                break;
            }
            _ = stop.wait_for(|s| *s), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
            _ = tick.tick() => {
                if let Some(reason) = conn.expired(shared.clock.now(), opts) {
                    tracing::debug!(reason, "closing a connection");
                    conn.reset.store(true, Ordering::Release);
                    break;
                }
            }
        }
    }
    shared.registry.remove(conn.id);
}
