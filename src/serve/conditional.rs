//! Conditional responses for published files: the `If-None-Match` / `If-Modified-Since` rules
//! that decide a 304, the choice of a pre-compressed variant from `Accept-Encoding`, and the
//! encoded variants' ETags.
//!
//! Owns: the validators sent with published files, and the feed and OPML handlers. Does not own:
//! the file cache (`files`), the router, request limits or access control (`serve`), nor what the
//! files contain (`publish`).

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::files::{CachedFile, Variant};
use super::{AppError, AppState};
use crate::publish::{self, Encoding, Format};

/// Readers may reuse a feed for this long before revalidating (they get a cheap 304 then).
const FEED_CACHE_CONTROL: &str = "public, max-age=300, must-revalidate";

/// `If-None-Match` against our tag: `*`, or any listed tag equal after dropping a weak prefix
/// and our encoding suffix (RFC 9110 uses weak comparison for this header).
fn etag_matches(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|candidate| {
        if candidate == "*" {
            return true;
        }
        let candidate = candidate.strip_prefix("W/").unwrap_or(candidate);
        let base = Encoding::ALL.iter().find_map(|e| {
            let suffix = candidate.strip_suffix('"')?.strip_suffix(e.token())?;
            suffix.strip_suffix('-')
        });
        match base {
            Some(base) => etag.strip_suffix('"') == Some(base),
            None => candidate == etag,
        }
    })
}

/// Whether the client accepts `token` (RFC 9110 §12.5.3): listed with a non-zero quality, or
/// covered by a non-zero `*` without being refused by name.
fn accepts(headers: &HeaderMap, token: &str) -> bool {
    let Some(value) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut star = false;
    for part in value.split(',') {
        let mut params = part.split(';');
        let name = params.next().unwrap_or("").trim();
        let quality = params
            .find_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim().eq_ignore_ascii_case("q").then(|| v.trim())
            })
            .map_or(1.0, |q| q.parse::<f32>().unwrap_or(0.0));
        if name.eq_ignore_ascii_case(token) {
            return quality > 0.0;
        }
        if name == "*" {
            star = quality > 0.0;
        }
    }
    star
}

/// The variant to send: the first pre-compressed one the client accepts, else the plain bytes.
fn choose<'a>(headers: &HeaderMap, file: &'a CachedFile) -> (Option<Encoding>, &'a Variant) {
    file.encoded
        .iter()
        .find(|(encoding, _)| accepts(headers, encoding.token()))
        .map_or((None, &file.plain), |(e, v)| (Some(*e), v))
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
    let (encoding, variant) = choose(headers, file);
    let not_modified = is_not_modified(headers, file);
    let mut res = if not_modified {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from(variant.bytes.clone()))
    };
    let h = res.headers_mut();
    // Room for these and the security headers, so that the map grows once.
    h.reserve(12);
    h.insert(header::ETAG, variant.etag.clone());
    h.insert(header::LAST_MODIFIED, file.last_modified.clone());
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(FEED_CACHE_CONTROL),
    );
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if not_modified {
        *res.status_mut() = StatusCode::NOT_MODIFIED;
        return res;
    }
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(encoding) = encoding {
        h.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(encoding.token()),
        );
    }
    res
}

/// Splits `<id>.<ext>` and validates both, so only our own published files can be named: the id
/// allows no dots or slashes (the path was already percent-decoded by the router).
fn parse_feed_file(file: &str) -> Option<(&str, Format)> {
    let (id, ext) = file.rsplit_once('.')?;
    let format = Format::from_extension(ext)?;
    publish::valid_feed_id(id).then_some((id, format))
}

/// The media type of the OPML list of feeds.
pub(super) const OPML_TYPE: &str = "text/x-opml; charset=utf-8";

/// The media type of `file` when it names a feed file (`<id>.<ext>`, both valid).
pub(super) fn feed_type(file: &str) -> Option<&'static str> {
    parse_feed_file(file).map(|(_, format)| format.content_type())
}

/// The published file `name` as the request's headers ask for it (a variant, a 304).
pub(super) async fn published(
    state: &AppState,
    name: &str,
    content_type: &'static str,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let cached = state.files.file(name).await?;
    Ok(conditional_response(headers, &cached, content_type))
}

pub(super) async fn feed(
    State(state): State<AppState>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let content_type = feed_type(&file).ok_or(AppError::NotFound)?;
    published(&state, &file, content_type, &headers).await
}

pub(super) async fn opml(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    published(&state, "feeds.opml", OPML_TYPE, &headers).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(etag: &str, modified: DateTime<Utc>) -> CachedFile {
        CachedFile::for_tests(etag, modified)
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
        assert!(req(&[(header::IF_NONE_MATCH, "\"abc-br\"")]));
        assert!(!req(&[(header::IF_NONE_MATCH, "\"abc-zstd\"")]));
        assert!(!req(&[(header::IF_NONE_MATCH, "\"ab-gzip\"")]));
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
        assert_eq!(
            super::super::files::http_date(t),
            "Sun, 01 Mar 2026 10:00:00 GMT"
        );
    }

    #[test]
    fn accept_encoding_is_negotiated() {
        let accepts_gzip = |value: &str| {
            let mut h = HeaderMap::new();
            h.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(value).unwrap(),
            );
            accepts(&h, "gzip")
        };
        assert!(accepts_gzip("gzip"));
        assert!(accepts_gzip("br, GZIP;q=0.5"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("*, gzip; q=0"));
        assert!(!accepts_gzip("br, deflate"));
        assert!(!accepts_gzip("identity"));
        assert!(!accepts(&HeaderMap::new(), "gzip"));
    }
}
