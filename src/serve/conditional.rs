//! Conditional responses for published files: the in-memory file cache with strong ETags, the
//! `If-None-Match` / `If-Modified-Since` rules that decide a 304, and the `-gzip` ETag variant.
//!
//! Owns: reading files from the public directory (and listing the published JSON Feeds), the
//! validators sent with them, and the feed and OPML handlers. Does not own: the router, request
//! limits or access control (`serve`), nor what the files contain (`publish`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{AppError, AppState};
use crate::publish::{self, Format, JsonFeed};

/// Readers may reuse a feed for this long before revalidating (they get a cheap 304 then).
const FEED_CACHE_CONTROL: &str = "public, max-age=300, must-revalidate";

/// The published files of one public directory, with their bytes and validators cached.
/// Cheap to clone.
#[derive(Clone)]
pub(super) struct PublicFiles {
    dir: Arc<PathBuf>,
    cache: Arc<Mutex<HashMap<PathBuf, Arc<CachedFile>>>>,
}

impl PublicFiles {
    pub(super) fn new(dir: PathBuf) -> Self {
        PublicFiles {
            dir: Arc::new(dir),
            cache: Default::default(),
        }
    }

    /// Reads a published file, reusing the cached bytes and ETag while its size and modification
    /// time are unchanged (publish replaces files by rename, so either changes on every write).
    pub(super) async fn file(&self, name: &str) -> Result<Arc<CachedFile>, AppError> {
        let path = self.dir.join(name);
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
    pub(super) async fn published_feeds(&self) -> Result<Vec<(String, JsonFeed)>, AppError> {
        let mut ids = Vec::new();
        let mut dir = match tokio::fs::read_dir(self.dir.as_path()).await {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(AppError::internal(&self.dir, e)),
        };
        while let Some(entry) = dir
            .next_entry()
            .await
            .map_err(|e| AppError::internal(&self.dir, e))?
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
pub(super) struct CachedFile {
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

/// A strong ETag names one exact byte sequence, so the gzip-encoded variant gets its own tag
/// (`"<hash>-gzip"`); `etag_matches` accepts it back for the same file.
pub(super) async fn mark_encoded_etag(mut res: Response) -> Response {
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

pub(super) async fn feed(
    State(state): State<AppState>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (id, format) = parse_feed_file(&file).ok_or(AppError::NotFound)?;
    let cached = state
        .files
        .file(&format!("{id}.{}", format.extension()))
        .await?;
    Ok(conditional_response(
        &headers,
        &cached,
        format.content_type(),
    ))
}

pub(super) async fn opml(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let cached = state.files.file("feeds.opml").await?;
    Ok(conditional_response(
        &headers,
        &cached,
        "text/x-opml; charset=utf-8",
    ))
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
    fn strong_etags_follow_the_bytes() {
        assert_eq!(strong_etag(b"abc"), strong_etag(b"abc"));
        assert_ne!(strong_etag(b"abc"), strong_etag(b"abd"));
        assert!(strong_etag(b"").starts_with('"') && !strong_etag(b"").starts_with("W/"));
    }
}
