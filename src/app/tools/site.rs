//! A static fixture site on a loopback port: path → page, strong ETags, a fixed Last-Modified,
//! 304s, and request counters. The demo, the pipeline benchmark and the end-to-end tests serve
//! their sites with it. It is a tool, not part of the pipeline.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::DateTime;

/// One page of a fixture site.
#[derive(Debug, Clone)]
pub struct SitePage {
    pub content_type: &'static str,
    pub body: Bytes,
    etag: String,
}

impl SitePage {
    pub fn new(content_type: &'static str, body: impl Into<Bytes>) -> Self {
        let body = body.into();
        use sha2::Digest;
        let digest = sha2::Sha256::digest(&body);
        let etag = format!(
            "\"{}\"",
            digest[..8]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        SitePage {
            content_type,
            body,
            etag,
        }
    }

    pub fn html(body: impl Into<Bytes>) -> Self {
        Self::new("text/html; charset=utf-8", body)
    }

    /// Answers a GET for this page: 304 when the request's validators match it (its strong ETag,
    /// or the site's fixed Last-Modified), the page otherwise. Counts the 304s in `stats`.
    pub(crate) fn respond(&self, headers: &HeaderMap, stats: &SiteStats) -> Response {
        let inm = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok());
        let ims = headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok());
        let fresh = match (inm, ims) {
            (Some(tags), _) => tags.split(',').any(|t| t.trim() == self.etag),
            (None, Some(since)) => {
                let since = DateTime::parse_from_rfc2822(since).ok();
                let modified = DateTime::parse_from_rfc2822(SITE_LAST_MODIFIED).ok();
                matches!((since, modified), (Some(s), Some(m)) if m <= s)
            }
            (None, None) => false,
        };
        let validators = [
            (header::ETAG, self.etag.clone()),
            (header::LAST_MODIFIED, SITE_LAST_MODIFIED.to_string()),
        ];
        if fresh {
            stats.not_modified.fetch_add(1, Ordering::Relaxed);
            return (StatusCode::NOT_MODIFIED, validators).into_response();
        }
        (
            validators,
            [(header::CONTENT_TYPE, self.content_type)],
            self.body.clone(),
        )
            .into_response()
    }
}

/// What a fixture site was asked, for checking politeness (a second pass over unchanged content
/// should send only conditional requests).
#[derive(Debug, Default)]
pub struct SiteStats {
    pub requests: AtomicU64,
    /// Requests carrying `If-None-Match` or `If-Modified-Since`.
    pub conditional: AtomicU64,
    pub not_modified: AtomicU64,
}

impl SiteStats {
    /// Counts one request, and whether it carried validators (`If-None-Match`/`If-Modified-Since`).
    pub(crate) fn count(&self, headers: &HeaderMap) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if headers.contains_key(header::IF_NONE_MATCH)
            || headers.contains_key(header::IF_MODIFIED_SINCE)
        {
            self.conditional.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.requests.load(Ordering::Relaxed),
            self.conditional.load(Ordering::Relaxed),
            self.not_modified.load(Ordering::Relaxed),
        )
    }
}

/// A static site on a loopback port: path → page, strong ETags, a fixed Last-Modified, 304s.
pub struct LoopbackSite {
    addr: SocketAddr,
    pub stats: Arc<SiteStats>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// The Last-Modified every fixture page reports.
const SITE_LAST_MODIFIED: &str = "Mon, 11 May 2026 06:00:00 GMT";

impl LoopbackSite {
    /// Serves `pages` on `listener` (bind it first, so page URLs can name its port).
    pub fn start(listener: tokio::net::TcpListener, pages: HashMap<String, SitePage>) -> Self {
        let addr = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let stats = Arc::new(SiteStats::default());
        let pages = Arc::new(pages);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = (pages, stats.clone());
        let router = axum::Router::new().fallback(serve_page).with_state(state);
        let handle = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
        });
        LoopbackSite {
            addr,
            stats,
            stop: Some(tx),
            handle,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>/`
    pub fn base_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.handle).await;
    }
}

type SiteState = (Arc<HashMap<String, SitePage>>, Arc<SiteStats>);

async fn serve_page(
    axum::extract::State((pages, stats)): axum::extract::State<SiteState>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    stats.count(&headers);
    let Some(page) = pages.get(uri.path()) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    page.respond(&headers, &stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_site_answers_conditional_requests() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut pages = HashMap::new();
        pages.insert("/a".to_string(), SitePage::html("<p>a</p>"));
        let site = LoopbackSite::start(listener, pages);
        let client = reqwest::Client::new();
        let url = format!("{}a", site.base_url());
        let res = client.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let etag = res.headers()[header::ETAG].to_str().unwrap().to_string();
        let res = client
            .get(&url)
            .header(header::IF_NONE_MATCH, etag)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 304);
        let res = client
            .get(&url)
            .header(header::IF_MODIFIED_SINCE, SITE_LAST_MODIFIED)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 304);
        let res = client
            .get(format!("{}missing", site.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        assert_eq!(site.stats.snapshot(), (4, 2, 2));
        site.stop().await;
    }
}
