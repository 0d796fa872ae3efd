//! The path of every request: the request limits and access check, the published feed files
//! answered straight from the file cache, everything else through the router, and the security
//! headers on every response.
//!
//! Feed files are what readers poll, thousands of times for each index page or metrics scrape,
//! so they skip the router and its layers: a request for `/feeds/<id>.<ext>` or `/feeds.opml`
//! (GET or HEAD, a target without percent-escapes) is answered here from the cached file. The
//! router still has the same routes, for the requests this path leaves to it (other methods,
//! escaped targets), so both give the same answers.
//!
//! Owns: request limits, the order of the checks, security headers, and the choice between the
//! feed path and the router. Does not own: validators and variants (`conditional`), tokens
//! (`auth`), the pages (`index`, `metrics`), connections (`conn`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::service::TowerToHyperService;

use super::{AppError, AppState, auth, conditional};

/// Longest request target we accept; feed URLs are short, anything longer is abuse.
const MAX_URI_BYTES: usize = 2048;
/// Header limits: a reader sends a handful of headers; thousands of bytes of them is abuse.
const MAX_HEADERS: usize = 64;
const MAX_HEADER_BYTES: usize = 16 * 1024;
/// The index page loads nothing but its own inline style and the items' lead images (over http or
/// https, sent without a referrer): no scripts, frames, forms or plugins.
const INDEX_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src http: https:; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The server's service: the state and the router for what is not a feed file. Cheap to clone.
#[derive(Clone)]
pub(super) struct AppService(Arc<(AppState, TowerToHyperService<Router>)>);

impl AppService {
    pub(super) fn new(state: AppState) -> Self {
        let router = super::app(state.clone());
        AppService(Arc::new((state, TowerToHyperService::new(router))))
    }

    /// The response to `req`, with the security headers.
    pub(super) async fn handle(&self, req: hyper::Request<Incoming>) -> Response {
        let (state, router) = &*self.0;
        let response = match limit_request(state, &req) {
            Err(e) => e.into_response(),
            Ok(()) => match published_target(&req) {
                Some((name, content_type)) => {
                    let res = conditional::published(state, name, content_type, req.headers());
                    res.await.unwrap_or_else(IntoResponse::into_response)
                }
                None => {
                    let res = hyper::service::Service::call(router, req).await;
                    res.unwrap_or_else(|never| match never {})
                }
            },
        };
        security_headers(response)
    }
}

/// The published file a feed request names and its media type, when this path answers it: as
/// the router's `/feeds/{file}` and `/feeds.opml` routes would, for the targets that need no
/// decoding.
fn published_target(req: &hyper::Request<Incoming>) -> Option<(&str, &'static str)> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return None;
    }
    let path = req.uri().path();
    if path == "/feeds.opml" {
        return Some(("feeds.opml", conditional::OPML_TYPE));
    }
    let file = path.strip_prefix("/feeds/")?;
    if file.contains(['/', '%']) {
        return None;
    }
    Some((file, conditional::feed_type(file)?))
}

/// Counts the request and refuses those no feed reader sends (huge targets, floods of headers,
/// bodies on GET) and, for private feeds, those without the token.
fn limit_request<B>(state: &AppState, req: &axum::http::Request<B>) -> Result<(), AppError> {
    state.requests.fetch_add(1, Ordering::Relaxed);
    if uri_len(req.uri()) > MAX_URI_BYTES {
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
        && !auth::authorized(digest, req.uri(), headers)
    {
        return Err(AppError::Unauthorized);
    }
    Ok(())
}

/// The length of the request target as sent, without building it as a string.
fn uri_len(uri: &axum::http::Uri) -> usize {
    let scheme = uri.scheme_str().map_or(0, |s| s.len() + 3);
    let authority = uri.authority().map_or(0, |a| a.as_str().len());
    let rest = uri.path_and_query().map_or(0, |p| p.as_str().len());
    scheme + authority + rest
}

/// Headers every response gets; the strict CSP matters for the HTML index page, which shows text
/// taken from third-party pages.
fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.reserve(4);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn request(target: &str) -> axum::http::Request<()> {
        axum::http::Request::builder().uri(target).body(()).unwrap()
    }

    #[test]
    fn limits_count_and_refuse() {
        let state = AppState::new("/nonexistent");
        assert!(limit_request(&state, &request("/feeds/a.rss")).is_ok());
        let long = format!("/feeds/{}.rss", "a".repeat(MAX_URI_BYTES));
        assert!(matches!(
            limit_request(&state, &request(&long)),
            Err(AppError::UriTooLong)
        ));
        assert_eq!(state.requests.load(Ordering::Relaxed), 2);
    }
}
