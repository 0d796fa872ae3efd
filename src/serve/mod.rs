//! Serving: an axum router over the published feeds (ETag/Last-Modified, 304, gzip), the HTML index
//! page, health and metrics.
//!
//! The server serves only what `publish` wrote into the public directory and never writes the
//! database, so it keeps answering while a pipeline run is busy, and `clearfeed serve` works on a
//! read-only copy of the files. The index page and the item counts in `/metrics` are built from the
//! published JSON Feed files; only when the server runs beside the pipeline do `/metrics` and the
//! index page's feed health also read the pipeline's feed state (`serve` may give the index page a
//! read-only store for the health instead).
//!
//! Owns: the shared state, routes, the error type mapped to client-safe responses, and graceful
//! shutdown. Its parts own the rest: the path of each request with its limits and security
//! headers (`service`), the in-memory copy of the published files with their pre-compressed
//! variants (`files`) and the sending of large ones without copying (`zerocopy`), conditional
//! responses and content negotiation (`conditional`), access tokens (`auth`), the index page
//! (`index`), `/metrics` (`metrics`), and the accept loop with its connection limits and timeouts
//! (`conn`). Does not own: rendering the feeds (`publish`).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::pipeline::Pipeline;
use crate::store::Store;

mod auth;
mod conditional;
mod conn;
mod files;
mod index;
mod metrics;
mod service;
mod zerocopy;

pub use auth::access_token_from_env;
pub use conn::{ServeOptions, raise_fd_limit};
use files::PublicFiles;

/// Shared state of the HTTP server. Cheap to clone: one reference count, since every request
/// clones it for each layer that needs it.
#[derive(Clone)]
pub struct AppState(Arc<StateInner>);

/// What [`AppState`] shares.
pub struct StateInner {
    files: PublicFiles,
    /// Present when the server runs inside the daemon; its counters appear at `/metrics`.
    pipeline: Option<Pipeline>,
    /// Whether the daemon runs the pipeline's feeds on their schedules (the index shows next runs).
    scheduled: bool,
    /// A read-only store to show the feeds' health from when there is no pipeline (`serve`).
    state_store: Option<Store>,
    requests: AtomicU64,
    /// SHA-256 of the access token, when feeds are private. Only the digest is kept, and
    /// candidates are hashed and compared in constant time, so neither the token's bytes nor its
    /// length leak through response timing.
    token_digest: Option<[u8; 32]>,
}

impl std::ops::Deref for AppState {
    type Target = StateInner;
    fn deref(&self) -> &StateInner {
        &self.0
    }
}

impl AppState {
    /// State serving the files in `public_dir` (usually `<data_dir>/public`).
    pub fn new(public_dir: impl Into<PathBuf>) -> Self {
        AppState::for_target(crate::publish::PublishTarget::Dir(public_dir.into()))
    }

    /// State serving the published files of `target`: a directory or a bucket prefix.
    pub fn for_target(target: crate::publish::PublishTarget) -> Self {
        AppState(Arc::new(StateInner {
            files: PublicFiles::new(target),
            pipeline: None,
            scheduled: false,
            state_store: None,
            requests: Default::default(),
            token_digest: None,
        }))
    }

    /// The state being built (copied first in the unusual case that it is already shared).
    fn inner_mut(&mut self) -> &mut StateInner {
        if Arc::get_mut(&mut self.0).is_none() {
            self.0 = Arc::new(StateInner {
                files: self.files.clone(),
                pipeline: self.pipeline.clone(),
                scheduled: self.scheduled,
                state_store: self.state_store.clone(),
                requests: AtomicU64::new(self.requests.load(Ordering::Relaxed)),
                token_digest: self.token_digest,
            });
        }
        Arc::get_mut(&mut self.0).expect("just made unique")
    }

    /// Makes every endpoint but `/healthz` require `token`: as `?token=`, as a bearer token, or
    /// as the password of HTTP basic auth (any user name). An empty token means no protection.
    pub fn with_access_token(mut self, token: Option<&str>) -> Self {
        self.inner_mut().token_digest = auth::token_digest(token);
        self
    }

    /// Adds the pipeline whose counters `/metrics` reports.
    pub fn with_pipeline(mut self, pipeline: Pipeline) -> Self {
        self.inner_mut().pipeline = Some(pipeline);
        self
    }

    /// Reads the feeds' health for the index page from `store` (opened read-only by `serve`, which
    /// runs no pipeline); a pipeline's own store takes precedence.
    pub fn with_feed_state(mut self, store: Store) -> Self {
        self.inner_mut().state_store = Some(store);
        self
    }

    /// Says that the daemon runs the pipeline's feeds on their schedules, so the index page can
    /// show each feed's next run.
    pub fn with_scheduled_runs(mut self) -> Self {
        self.inner_mut().scheduled = true;
        self
    }
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

/// The router: feeds, OPML, index page, health and metrics. Requests reach it through
/// [`service::AppService`], which applies the request limits and security headers first and
/// answers the plain feed requests itself. Feeds and OPML are served from their pre-compressed
/// variants; only the pages built per request (index, metrics) are gzipped on the fly.
fn app(state: AppState) -> Router {
    let gzip = tower_http::compression::CompressionLayer::new;
    Router::new()
        .route("/", get(index::index).layer(gzip()))
        .route("/feeds/{file}", get(conditional::feed))
        .route("/feeds.opml", get(conditional::opml))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics::metrics).layer(gzip()))
        .fallback(|| async { AppError::NotFound })
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// How long open connections may take to finish after shutdown was requested.
pub const CONNECTION_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Serves the feeds and pages of `state` on `listener` until `shutdown` completes, then gives open requests
/// [`CONNECTION_GRACE`] to finish. The bound matters: a client that stalls half-way through its
/// request would otherwise hold the process open forever. Connections are limited as
/// [`ServeOptions::default`] says.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, ServeOptions::default(), shutdown).await
}

/// [`serve`] with chosen connection limits.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = service::AppService::new(state);
    conn::serve_with(listener, service, options, shutdown, CONNECTION_GRACE).await
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
