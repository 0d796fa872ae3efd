//! Fetching: the HTTP client and everything polite or defensive about it (robots.txt, per-host
//! limits, conditional GET, timeouts, size caps, address guard). Nothing here parses content.

use chrono::{DateTime, Utc};

/// One fetched (or read) page: the bytes as received plus what HTTP told us about them.
#[derive(Debug, Clone)]
pub struct Page {
    /// Final URL after redirects; for a file or stdin, the `--base-url` if given.
    pub url: Option<url::Url>,
    /// HTTP status (200 for files).
    pub status: u16,
    /// The Content-Type header, as sent (its `charset=` parameter is a decoding hint).
    pub content_type: Option<String>,
    /// The raw body, not yet decoded.
    pub body: Vec<u8>,
    /// Validators for the next conditional GET.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub fetched_at: DateTime<Utc>,
}

impl Page {
    /// A page read from a file or stdin: no HTTP metadata.
    pub fn from_bytes(body: Vec<u8>, url: Option<url::Url>) -> Self {
        Page {
            url,
            status: 200,
            content_type: None,
            body,
            etag: None,
            last_modified: None,
            fetched_at: Utc::now(),
        }
    }
}
