//! Serving: an axum router over the published feeds (ETag/Last-Modified, 304, gzip), the HTML index
//! page, health and metrics.
//!
//! The server only reads what `publish` wrote into the public directory; it never touches the
//! database, so it keeps answering while a pipeline run is busy, and `clearfeed serve` works on a
//! read-only copy of the files. The index page and the item counts in `/metrics` are built from the
//! published JSON Feed files.
//!
//! Owns: routes, conditional requests, request limits, security headers, the error type mapped to
//! client-safe responses, and graceful shutdown. Does not own: rendering the feeds (`publish`).

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::pipeline::Pipeline;
use crate::publish::{self, Format, JsonFeed};

/// Longest request target we accept; feed URLs are short, anything longer is abuse.
const MAX_URI_BYTES: usize = 2048;
/// Header limits: a reader sends a handful of headers; thousands of bytes of them is abuse.
const MAX_HEADERS: usize = 64;
const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Items per feed shown on the index page.
const INDEX_ITEMS: usize = 8;
/// Readers may reuse a feed for this long before revalidating (they get a cheap 304 then).
const FEED_CACHE_CONTROL: &str = "public, max-age=300, must-revalidate";
/// The index page loads nothing but its own inline style: no scripts, frames, forms or plugins.
const INDEX_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Shared state of the HTTP server. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    public_dir: Arc<PathBuf>,
    /// Present when the server runs inside the daemon; its counters appear at `/metrics`.
    pipeline: Option<Pipeline>,
    cache: Arc<Mutex<HashMap<PathBuf, Arc<CachedFile>>>>,
    requests: Arc<AtomicU64>,
    /// SHA-256 of the access token, when feeds are private. Only the digest is kept, and
    /// candidates are hashed and compared in constant time, so neither the token's bytes nor its
    /// length leak through response timing.
    token_digest: Option<Arc<[u8; 32]>>,
}

impl AppState {
    /// State serving the files in `public_dir` (usually `<data_dir>/public`).
    pub fn new(public_dir: impl Into<PathBuf>) -> Self {
        AppState {
            public_dir: Arc::new(public_dir.into()),
            pipeline: None,
            cache: Default::default(),
            requests: Default::default(),
            token_digest: None,
        }
    }

    /// Makes every endpoint but `/healthz` require `token`: as `?token=`, as a bearer token, or
    /// as the password of HTTP basic auth (any user name). An empty token means no protection.
    pub fn with_access_token(mut self, token: Option<&str>) -> Self {
        self.token_digest = token
            .filter(|t| !t.is_empty())
            .map(|t| Arc::new(Sha256::digest(t.as_bytes()).into()));
        self
    }

    /// Adds the pipeline whose counters `/metrics` reports.
    pub fn with_pipeline(mut self, pipeline: Pipeline) -> Self {
        self.pipeline = Some(pipeline);
        self
    }

    /// Reads a published file, reusing the cached bytes and ETag while its size and modification
    /// time are unchanged (publish replaces files by rename, so either changes on every write).
    async fn file(&self, name: &str) -> Result<Arc<CachedFile>, AppError> {
        let path = self.public_dir.join(name);
        let meta = match tokio::fs::metadata(&path).await {
            Ok(m) if m.is_file() => m,
            Ok(_) => return Err(AppError::NotFound),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(AppError::NotFound),
            Err(e) => return Err(AppError::internal(&path, e)),
        };
        let modified = meta.modified().unwrap_or(UNIX_EPOCH);
        let key = (modified, meta.len(), inode(&meta));
        if let Some(hit) = self.lock_cache().get(&path).filter(|c| c.key == key) {
            return Ok(hit.clone());
        }
        let bytes = match tokio::fs::read(&path).await {
            Ok(b) => Bytes::from(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(AppError::NotFound),
            Err(e) => return Err(AppError::internal(&path, e)),
        };
        let entry = Arc::new(CachedFile {
            etag: strong_etag(&bytes),
            modified: DateTime::<Utc>::from(modified),
            key,
            bytes,
        });
        self.lock_cache().insert(path, entry.clone());
        Ok(entry)
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Arc<CachedFile>>> {
        // A panic while holding this lock cannot leave the map inconsistent (single inserts), so
        // a poisoned lock is still usable.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every published feed (ids of `<id>.json` files), sorted, with its parsed JSON Feed.
    async fn published_feeds(&self) -> Result<Vec<(String, JsonFeed)>, AppError> {
        let mut ids = Vec::new();
        let mut dir = match tokio::fs::read_dir(self.public_dir.as_path()).await {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(AppError::internal(&self.public_dir, e)),
        };
        while let Some(entry) = dir
            .next_entry()
            .await
            .map_err(|e| AppError::internal(&self.public_dir, e))?
        {
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            if publish::valid_feed_id(id) {
                ids.push(id.to_string());
            }
        }
        ids.sort();
        let mut feeds = Vec::with_capacity(ids.len());
        for id in ids {
            let file = match self.file(&format!("{id}.json")).await {
                Ok(f) => f,
                Err(AppError::NotFound) => continue, // removed since the listing
                Err(e) => return Err(e),
            };
            match serde_json::from_slice::<JsonFeed>(&file.bytes) {
                Ok(feed) => feeds.push((id, feed)),
                Err(e) => {
                    tracing::warn!(feed = %id, error = %e, "published JSON feed is unreadable")
                }
            }
        }
        Ok(feeds)
    }
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}
#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}

/// A published file as served: bytes, strong validator and modification time.
#[derive(Debug)]
struct CachedFile {
    bytes: Bytes,
    etag: String,
    modified: DateTime<Utc>,
    key: (SystemTime, u64, u64),
}

/// A strong ETag: a hash of the exact bytes, so equal bytes always give the same tag (also across
/// restarts and replicas) and any change gives a new one.
fn strong_etag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Errors a request can end in. The response text is fixed per kind; details (paths, OS errors)
/// go to the log only.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("request target too long")]
    UriTooLong,
    #[error("request headers too large")]
    HeadersTooLarge,
    #[error("request bodies are not accepted")]
    BodyNotAllowed,
    #[error("access token required")]
    Unauthorized,
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    fn internal(path: &Path, err: std::io::Error) -> Self {
        AppError::Internal(format!("{}: {err}", path.display()))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            AppError::NotFound => (StatusCode::NOT_FOUND, "not found"),
            AppError::UriTooLong => (StatusCode::URI_TOO_LONG, "request target too long"),
            AppError::HeadersTooLarge => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "request headers too large",
            ),
            AppError::BodyNotAllowed => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "request bodies are not accepted",
            ),
            AppError::Unauthorized => {
                return (
                    StatusCode::UNAUTHORIZED,
                    [
                        (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                        (header::WWW_AUTHENTICATE, "Basic realm=\"clearfeed\""),
                    ],
                    "access token required\n",
                )
                    .into_response();
            }
            AppError::Internal(detail) => {
                tracing::error!(%detail, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        };
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{message}\n"),
        )
            .into_response()
    }
}

/// The router: feeds, OPML, index page, health and metrics, behind request limits, security
/// headers and gzip.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/feeds/{file}", get(feed))
        .route("/feeds.opml", get(opml))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .fallback(|| async { AppError::NotFound })
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(middleware::map_response(mark_encoded_etag))
        .layer(middleware::map_response(security_headers))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limit_requests,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// How long open connections may take to finish after shutdown was requested.
pub const CONNECTION_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Serves `app(state)` on `listener` until `shutdown` completes, then gives open requests
/// [`CONNECTION_GRACE`] to finish. The bound matters: a client that stalls half-way through its
/// request would otherwise hold the process open forever.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app(state)).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stopping_tx.send(());
    });
    let grace_over = async move {
        if stopping_rx.await.is_ok() {
            tokio::time::sleep(CONNECTION_GRACE).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = server.into_future() => result,
        _ = grace_over => {
            tracing::warn!("connections still open after the grace period; closing anyway");
            Ok(())
        }
    }
}

/// Completes on Ctrl-C or SIGTERM (what systemd and container runtimes send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested");
}

/// Refuses requests no feed reader sends: huge targets, floods of headers, bodies on GET.
async fn limit_requests(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, AppError> {
    state.requests.fetch_add(1, Ordering::Relaxed);
    if req.uri().to_string().len() > MAX_URI_BYTES {
        return Err(AppError::UriTooLong);
    }
    let headers = req.headers();
    let header_bytes: usize = headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    if headers.len() > MAX_HEADERS || header_bytes > MAX_HEADER_BYTES {
        return Err(AppError::HeadersTooLarge);
    }
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    if has_body {
        return Err(AppError::BodyNotAllowed);
    }
    if let Some(digest) = &state.token_digest
        && req.uri().path() != "/healthz"
        && !presented_tokens(&req)
            .iter()
            .any(|t| token_matches(digest, t))
    {
        return Err(AppError::Unauthorized);
    }
    Ok(next.run(req).await)
}

/// Tokens a request presents: `?token=`, `Authorization: Bearer`, or basic auth's password.
fn presented_tokens(req: &Request) -> Vec<String> {
    let mut tokens = query_token(req.uri().query())
        .into_iter()
        .collect::<Vec<_>>();
    if let Some(auth) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(bearer) = auth.strip_prefix("Bearer ") {
            tokens.push(bearer.trim().to_string());
        } else if let Some(basic) = auth.strip_prefix("Basic ") {
            let password = base64_decode(basic.trim())
                .and_then(|raw| String::from_utf8(raw).ok())
                .and_then(|pair| pair.split_once(':').map(|(_, p)| p.to_string()));
            tokens.extend(password);
        }
    }
    tokens
}

fn query_token(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
}

/// Hashes the candidate and compares digests without an early exit.
fn token_matches(digest: &[u8; 32], candidate: &str) -> bool {
    let other: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
    let diff = digest
        .iter()
        .zip(other.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(diff) == 0
}

/// Standard base64 (RFC 4648, padding optional), for basic auth credentials.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The access token for `serve` and `run`, from `CLEARFEED_ACCESS_TOKEN` (kept out of config
/// files and command lines, where it would be readable by others).
pub fn access_token_from_env() -> Option<String> {
    std::env::var("CLEARFEED_ACCESS_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
}

/// Headers every response gets; the strict CSP matters for the HTML index page, which shows text
/// taken from third-party pages.
async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(INDEX_CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

/// A strong ETag names one exact byte sequence, so the gzip-encoded variant gets its own tag
/// (`"<hash>-gzip"`); `etag_matches` accepts it back for the same file.
async fn mark_encoded_etag(mut res: Response) -> Response {
    let gzip = res
        .headers()
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes() == b"gzip");
    if gzip
        && let Some(tag) = res
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
    {
        let tagged = format!("{}-gzip\"", tag.trim_end_matches('"'));
        if let Ok(v) = HeaderValue::from_str(&tagged) {
            res.headers_mut().insert(header::ETAG, v);
        }
    }
    res
}

/// `If-None-Match` against our tag: `*`, or any listed tag equal after dropping a weak prefix
/// and our encoding suffix (RFC 9110 uses weak comparison for this header).
fn etag_matches(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|candidate| {
        if candidate == "*" {
            return true;
        }
        let candidate = candidate.strip_prefix("W/").unwrap_or(candidate);
        let candidate = match candidate.strip_suffix("-gzip\"") {
            Some(base) => format!("{base}\""),
            None => candidate.to_string(),
        };
        candidate == etag
    })
}

/// HTTP-date (IMF-fixdate), as `Last-Modified` requires.
fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Whether the client's cached copy is current. `If-None-Match` wins over `If-Modified-Since`
/// when both are sent (RFC 9110 §13.2.2); an unparseable date is ignored.
fn is_not_modified(headers: &HeaderMap, file: &CachedFile) -> bool {
    if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
        return inm.to_str().is_ok_and(|v| etag_matches(v, &file.etag));
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date)
        .is_some_and(|since| file.modified.timestamp() <= since.timestamp())
}

/// A published file with validators, or a bodiless 304 when the client's copy is current.
fn conditional_response(
    headers: &HeaderMap,
    file: &CachedFile,
    content_type: &'static str,
) -> Response {
    let validators = [
        (header::ETAG, file.etag.clone()),
        (header::LAST_MODIFIED, http_date(file.modified)),
        (header::CACHE_CONTROL, FEED_CACHE_CONTROL.to_string()),
    ];
    if is_not_modified(headers, file) {
        return (StatusCode::NOT_MODIFIED, validators).into_response();
    }
    (
        validators,
        [(header::CONTENT_TYPE, content_type)],
        Body::from(file.bytes.clone()),
    )
        .into_response()
}

/// Splits `<id>.<ext>` and validates both, so only our own published files can be named: the id
/// allows no dots or slashes (the path was already percent-decoded by the router).
fn parse_feed_file(file: &str) -> Option<(&str, Format)> {
    let (id, ext) = file.rsplit_once('.')?;
    let format = Format::from_extension(ext)?;
    publish::valid_feed_id(id).then_some((id, format))
}

async fn feed(
    State(state): State<AppState>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (id, format) = parse_feed_file(&file).ok_or(AppError::NotFound)?;
    let cached = state.file(&format!("{id}.{}", format.extension())).await?;
    Ok(conditional_response(
        &headers,
        &cached,
        format.content_type(),
    ))
}

async fn opml(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let cached = state.file("feeds.opml").await?;
    Ok(conditional_response(
        &headers,
        &cached,
        "text/x-opml; charset=utf-8",
    ))
}

/// Prometheus text exposition: the pipeline's counters (when running inside the daemon) and the
/// published item counts per feed.
async fn metrics(State(state): State<AppState>) -> Result<Response, AppError> {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: String| {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
        ));
    };
    if let Some(pipeline) = &state.pipeline {
        let m = pipeline.metrics();
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed).to_string();
        metric(
            "clearfeed_fetches_total",
            "counter",
            "HTTP fetches made upstream.",
            load(&m.fetches),
        );
        metric(
            "clearfeed_fetch_errors_total",
            "counter",
            "Upstream fetches that failed.",
            load(&m.fetch_errors),
        );
        metric(
            "clearfeed_not_modified_total",
            "counter",
            "Upstream fetches answered 304 Not Modified.",
            load(&m.not_modified),
        );
        metric(
            "clearfeed_items_new_total",
            "counter",
            "Items added.",
            load(&m.items_new),
        );
        metric(
            "clearfeed_items_updated_total",
            "counter",
            "Items whose content changed.",
            load(&m.items_updated),
        );
        metric(
            "clearfeed_feed_runs_total",
            "counter",
            "Feed passes run.",
            load(&m.feed_runs),
        );
        metric(
            "clearfeed_feed_failures_total",
            "counter",
            "Feed passes that failed as a whole.",
            load(&m.feed_failures),
        );
        let seconds = m.run_millis.load(Ordering::Relaxed) as f64 / 1000.0;
        metric(
            "clearfeed_feed_run_seconds_total",
            "counter",
            "Time spent in feed passes.",
            format!("{seconds:.3}"),
        );
    }
    let states = match &state.pipeline {
        Some(pipeline) => pipeline
            .store()
            .call(|s| s.feed_states())
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "metrics: cannot read feed states");
                Vec::new()
            }),
        None => Vec::new(),
    };
    metric(
        "clearfeed_http_requests_total",
        "counter",
        "HTTP requests received by this server.",
        state.requests.load(Ordering::Relaxed).to_string(),
    );
    let feeds = state.published_feeds().await?;
    metric(
        "clearfeed_published_feeds",
        "gauge",
        "Feeds with published files.",
        feeds.len().to_string(),
    );
    out.push_str("# HELP clearfeed_feed_items Items in the published feed.\n# TYPE clearfeed_feed_items gauge\n");
    for (id, feed) in &feeds {
        // Ids are `[A-Za-z0-9_-]`, so they need no label escaping.
        out.push_str(&format!(
            "clearfeed_feed_items{{feed=\"{id}\"}} {}\n",
            feed.items.len()
        ));
    }
    if !states.is_empty() {
        out.push_str(concat!(
            "# HELP clearfeed_feed_consecutive_failures Failed runs since the feed's last success.\n",
            "# TYPE clearfeed_feed_consecutive_failures gauge\n"
        ));
        for s in &states {
            out.push_str(&format!(
                "clearfeed_feed_consecutive_failures{{feed=\"{}\"}} {}\n",
                label(&s.id),
                s.consecutive_failures
            ));
        }
        out.push_str(concat!(
            "# HELP clearfeed_feed_articles_not_read Articles the feed's last successful run could not read.\n",
            "# TYPE clearfeed_feed_articles_not_read gauge\n"
        ));
        for s in &states {
            out.push_str(&format!(
                "clearfeed_feed_articles_not_read{{feed=\"{}\"}} {}\n",
                label(&s.id),
                s.last_run_failed
            ));
        }
        out.push_str(concat!(
            "# HELP clearfeed_feed_last_success_timestamp_seconds When the feed last ran successfully.\n",
            "# TYPE clearfeed_feed_last_success_timestamp_seconds gauge\n"
        ));
        for s in states.iter().filter(|s| s.last_success.is_some()) {
            let t = s.last_success.map(|t| t.timestamp()).unwrap_or_default();
            out.push_str(&format!(
                "clearfeed_feed_last_success_timestamp_seconds{{feed=\"{}\"}} {t}\n",
                label(&s.id)
            ));
        }
    }
    if let Some(pipeline) = &state.pipeline {
        // Reasons are fixed `[a-z0-9_]` names from the code, so they need no label escaping.
        out.push_str("# HELP clearfeed_failures_total Failures by kind: fetch errors, extraction errors, feed errors.\n# TYPE clearfeed_failures_total counter\n");
        for (reason, n) in pipeline.metrics().failures() {
            out.push_str(&format!(
                "clearfeed_failures_total{{reason=\"{reason}\"}} {n}\n"
            ));
        }
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}

/// Escapes a Prometheus label value (backslash, quote, newline).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Only http(s) links become `href`s on the index page; anything else (e.g. `javascript:`) is
/// shown as text only.
fn safe_href(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| publish::escape_html(parsed.as_str()))
}

/// The plain-text summary (`• ` bullet lines, blank line, lead) as escaped HTML.
fn summary_to_html(summary: &str) -> String {
    let mut html = String::new();
    let mut in_list = false;
    for line in summary.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(bullet) = line.strip_prefix('•') {
            if !in_list {
                html.push_str("<ul>");
                in_list = true;
            }
            html.push_str(&format!("<li>{}</li>", publish::escape_html(bullet.trim())));
        } else {
            if in_list {
                html.push_str("</ul>");
                in_list = false;
            }
            html.push_str(&format!("<p>{}</p>", publish::escape_html(line)));
        }
    }
    if in_list {
        html.push_str("</ul>");
    }
    html
}

/// Renders the index page: every feed, its subscribe links and latest items with summaries.
/// All text from feeds is escaped; the page needs no script.
fn render_index(feeds: &[(String, JsonFeed)], token: Option<&str>) -> String {
    // With private feeds, the subscribe links carry the token the page was opened with, so a
    // reader can subscribe with one click.
    let suffix = token
        .map(|t| {
            let q: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("token", t)
                .finish();
            publish::escape_html(&format!("?{q}"))
        })
        .unwrap_or_default();
    let e = publish::escape_html;
    let mut html = String::from(concat!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<title>clearfeed</title><style>",
        "body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}",
        "h2{margin-top:2.5rem;border-bottom:1px solid #ddd}article{margin:1.2rem 0}",
        "h3{margin:.2rem 0;font-size:1.05rem}.meta,.subscribe{color:#666;font-size:.9rem}",
        "a{color:#0645ad}ul{padding-left:1.3rem}",
        "</style></head><body>\n<h1>clearfeed</h1>\n",
        "<p>Clean feeds with summaries. Subscribe to any of them in a feed reader, ",
        "or import them all with <a href=\"/feeds.opml",
    ));
    html.push_str(&suffix);
    html.push_str("\">feeds.opml</a>.</p>\n");
    if feeds.is_empty() {
        html.push_str("<p>No feeds have been published yet.</p>\n");
    }
    for (id, feed) in feeds {
        html.push_str(&format!("<section>\n<h2>{}</h2>\n", e(&feed.title)));
        if let Some(desc) = feed.description.as_deref().filter(|d| !d.is_empty()) {
            html.push_str(&format!("<p>{}</p>\n", e(desc)));
        }
        html.push_str(&format!(
            "<p class=\"subscribe\">Subscribe: <a href=\"/feeds/{id}.rss{suffix}\">RSS</a> · \
             <a href=\"/feeds/{id}.atom{suffix}\">Atom</a> · \
             <a href=\"/feeds/{id}.json{suffix}\">JSON Feed</a> · {} items</p>\n",
            feed.items.len()
        ));
        for item in feed.items.iter().take(INDEX_ITEMS) {
            let title = e(item.title.as_deref().unwrap_or("(untitled)"));
            let heading = match item.url.as_deref().and_then(safe_href) {
                Some(href) => format!("<a href=\"{href}\" rel=\"noreferrer noopener\">{title}</a>"),
                None => title,
            };
            let mut meta = Vec::new();
            if let Some(t) = item.date_published {
                meta.push(t.format("%Y-%m-%d %H:%M UTC").to_string());
            }
            if let Some(author) = item.authors.first() {
                meta.push(e(&author.name));
            }
            html.push_str(&format!(
                "<article><h3>{heading}</h3><div class=\"meta\">{}</div>{}</article>\n",
                meta.join(" · "),
                summary_to_html(item.summary.as_deref().unwrap_or(""))
            ));
        }
        html.push_str("</section>\n");
    }
    html.push_str("</body></html>\n");
    html
}

async fn index(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let feeds = state.published_feeds().await?;
    let token = state
        .token_digest
        .as_ref()
        .and(query_token(query.as_deref()));
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        render_index(&feeds, token.as_deref()),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(etag: &str, modified: DateTime<Utc>) -> CachedFile {
        CachedFile {
            bytes: Bytes::from_static(b"x"),
            etag: etag.into(),
            modified,
            key: (UNIX_EPOCH, 0, 0),
        }
    }

    #[test]
    fn feed_file_names_are_validated() {
        assert_eq!(parse_feed_file("news.rss"), Some(("news", Format::Rss)));
        assert_eq!(parse_feed_file("a-b_1.json"), Some(("a-b_1", Format::Json)));
        for bad in [
            "../../etc/passwd",
            "..%2fetc.rss",
            "../x.rss",
            "x.html",
            "x",
            ".rss",
            "a.b.rss",
            "/etc/passwd.rss",
        ] {
            assert_eq!(parse_feed_file(bad), None, "{bad}");
        }
    }

    #[test]
    fn conditional_rules() {
        let t = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let file = cached("\"abc\"", t);
        let req = |pairs: &[(header::HeaderName, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
            }
            is_not_modified(&h, &file)
        };
        assert!(req(&[(header::IF_NONE_MATCH, "\"abc\"")]));
        assert!(req(&[(header::IF_NONE_MATCH, "\"zzz\", W/\"abc-gzip\"")]));
        assert!(req(&[(header::IF_NONE_MATCH, "*")]));
        assert!(!req(&[(header::IF_NONE_MATCH, "\"abd\"")]));
        assert!(req(&[(
            header::IF_MODIFIED_SINCE,
            "Sun, 01 Mar 2026 10:00:00 GMT"
        )]));
        assert!(!req(&[(
            header::IF_MODIFIED_SINCE,
            "Sun, 01 Mar 2026 09:59:59 GMT"
        )]));
        assert!(!req(&[(header::IF_MODIFIED_SINCE, "yesterday")]));
        // If-None-Match decides alone when present.
        assert!(!req(&[
            (header::IF_NONE_MATCH, "\"other\""),
            (header::IF_MODIFIED_SINCE, "Sun, 01 Mar 2026 11:00:00 GMT"),
        ]));
        assert_eq!(http_date(t), "Sun, 01 Mar 2026 10:00:00 GMT");
    }

    #[test]
    fn index_escapes_feed_text_and_drops_unsafe_links() {
        let feed = JsonFeed {
            version: "https://jsonfeed.org/version/1.1".into(),
            title: "<b>Feed</b>".into(),
            home_page_url: None,
            feed_url: None,
            description: None,
            items: vec![publish::JsonItem {
                id: "1".into(),
                url: Some("javascript:alert(1)".into()),
                title: Some("<script>alert('x')</script>".into()),
                summary: Some("• one <i>\n• two\n\nLead & more".into()),
                content_html: None,
                image: None,
                date_published: None,
                date_modified: None,
                authors: vec![],
            }],
        };
        let html = render_index(&[("f".into(), feed)], None);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(!html.contains("javascript:"));
        assert!(html.contains("<ul><li>one &lt;i&gt;</li><li>two</li></ul><p>Lead &amp; more</p>"));
        assert!(html.contains("&lt;b&gt;Feed&lt;/b&gt;"));
    }

    #[test]
    fn tokens_are_compared_by_digest_and_decoded_from_basic_auth() {
        let digest: [u8; 32] = Sha256::digest(b"s3cret").into();
        assert!(token_matches(&digest, "s3cret"));
        assert!(!token_matches(&digest, "s3cre"));
        assert!(!token_matches(&digest, ""));
        // "reader:s3cret" and "a:b" in base64, with and without padding.
        assert_eq!(
            base64_decode("cmVhZGVyOnMzY3JldA==").unwrap(),
            b"reader:s3cret"
        );
        assert_eq!(base64_decode("YTpi").unwrap(), b"a:b");
        assert_eq!(base64_decode("YTpiYw").unwrap(), b"a:bc");
        assert!(base64_decode("not base64!").is_none());
        assert_eq!(query_token(Some("a=1&token=x%20y")), Some("x y".into()));
        assert_eq!(query_token(Some("tokens=1")), None);
    }

    #[test]
    fn prometheus_labels_are_escaped() {
        assert_eq!(label("plain-id"), "plain-id");
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn strong_etags_follow_the_bytes() {
        assert_eq!(strong_etag(b"abc"), strong_etag(b"abc"));
        assert_ne!(strong_etag(b"abc"), strong_etag(b"abd"));
        assert!(strong_etag(b"").starts_with('"') && !strong_etag(b"").starts_with("W/"));
    }
}
