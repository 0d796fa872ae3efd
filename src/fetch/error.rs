//! Fetch errors and their classification: what a failed request means ([`FetchError`]), read
//! from reqwest's error chain (including the address guard's and the redirect policy's own
//! refusals), from an HTTP status, and from a Retry-After header.
//!
//! Does not own making requests, retries or politeness (the [`Fetcher`](super::Fetcher) in
//! `mod.rs`, `polite.rs`, `robots.rs`) or the address checks themselves (`guard.rs`).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::guard::Blocked;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: only http and https URLs are fetched")]
    Scheme { url: String },
    #[error("{url}: {blocked}")]
    Blocked { url: String, blocked: Blocked },
    #[error("{url}: disallowed by robots.txt")]
    Robots { url: String },
    #[error("{url}: robots.txt unreachable ({reason}); not fetching until it can be read")]
    RobotsUnreachable { url: String, reason: String },
    #[error("{url}: HTTP {status} (gone)")]
    Gone { url: String, status: u16 },
    #[error("{url}: HTTP {status}")]
    Status {
        url: String,
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("{url}: timed out")]
    Timeout { url: String },
    #[error("{url}: connection failed: {reason}")]
    Connect { url: String, reason: String },
    #[error("{url}: body larger than {limit} bytes")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: more than {max} redirects")]
    TooManyRedirects { url: String, max: usize },
    #[error("{url}: redirect to {to}: only http and https are followed")]
    RedirectScheme { url: String, to: String },
    #[error("{url}: host is backing off for another {}s", remaining.as_secs())]
    HostOnHold { url: String, remaining: Duration },
    /// The body broke off before it was complete (a Content-Length that promised more than
    /// arrived, a reset connection, a corrupt compressed stream).
    #[error("{url}: body broken off: {reason}")]
    Body { url: String, reason: String },
    #[error("{url}: {reason}")]
    Other { url: String, reason: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

impl FetchError {
    /// 404/410: the article is gone; drop it rather than keep a placeholder.
    pub fn is_gone(&self) -> bool {
        matches!(self, FetchError::Gone { .. })
    }

    /// A short, stable name for the kind of failure: the label of the per-reason error counters
    /// in `/metrics`, so that an operator can tell a wave of timeouts from a wave of refusals.
    pub fn reason(&self) -> &'static str {
        use FetchError::*;
        match self {
            Scheme { .. } => "scheme",
            Blocked { .. } => "blocked_address",
            Robots { .. } => "robots",
            RobotsUnreachable { .. } => "robots_unreachable",
            Gone { .. } => "gone",
            Status { status: 429, .. } => "http_429",
            Status { status, .. } if *status >= 500 => "http_5xx",
            Status { .. } => "http_4xx",
            Timeout { .. } => "timeout",
            Connect { .. } => "connect",
            TooLarge { .. } => "too_large",
            TooManyRedirects { .. } => "too_many_redirects",
            RedirectScheme { .. } => "redirect_scheme",
            HostOnHold { .. } => "host_on_hold",
            Body { .. } => "body_broken",
            Other { .. } => "other",
            Client(_) => "client",
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Gone { status, .. } | FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Worth another attempt within this run, and a sign the host is struggling.
    pub(super) fn is_transient(&self) -> bool {
        matches!(
            self,
            FetchError::Timeout { .. }
                | FetchError::Connect { .. }
                | FetchError::Body { .. }
                | FetchError::Other { .. }
        ) || matches!(self, FetchError::Status { status, .. } if *status == 429 || *status >= 500)
    }
}

/// Why the redirect policy stopped following.
#[derive(Debug, thiserror::Error)]
pub(super) enum RedirectRefused {
    #[error("more than {0} redirects")]
    TooMany(usize),
    #[error("redirect to a {0} URL")]
    Scheme(String, String),
    #[error(transparent)]
    Blocked(Blocked),
}

/// Retry-After is either delay-seconds or an HTTP date.
pub(super) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.with_timezone(&Utc) - Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Turns a reqwest error into what it means for us, looking through its causes for the address
/// guard's and the redirect policy's own refusals.
pub(super) fn classify(url: &url::Url, err: reqwest::Error) -> FetchError {
    let shown = url.to_string();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(e) = source {
        if let Some(b) = e.downcast_ref::<Blocked>() {
            return FetchError::Blocked {
                url: shown,
                blocked: b.clone(),
            };
        }
        if let Some(r) = e.downcast_ref::<RedirectRefused>() {
            return match r {
                RedirectRefused::TooMany(max) => FetchError::TooManyRedirects {
                    url: shown,
                    max: *max,
                },
                RedirectRefused::Scheme(_, to) => FetchError::RedirectScheme {
                    url: shown,
                    to: to.clone(),
                },
                RedirectRefused::Blocked(b) => FetchError::Blocked {
                    url: shown,
                    blocked: b.clone(),
                },
            };
        }
        source = e.source();
    }
    // The whole chain is for whoever debugs; people are shown one cause they can act on.
    tracing::debug!(url = %shown, chain = %error_chain(&err), "request failed");
    if err.is_timeout() || io_kind(&err) == Some(std::io::ErrorKind::TimedOut) {
        return FetchError::Timeout { url: shown };
    }
    if err.is_connect() {
        return FetchError::Connect {
            reason: connect_cause(url, &err),
            url: shown,
        };
    }
    if err.is_body() || err.is_decode() {
        return FetchError::Body {
            url: shown,
            reason: error_chain(&err),
        };
    }
    FetchError::Other {
        url: shown,
        reason: error_chain(&err),
    }
}

/// The innermost I/O error kind in `err`'s chain, if any.
fn io_kind(err: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut kind = None;
    let mut source = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            kind = Some(io.kind());
        }
        source = e.source();
    }
    kind
}

/// One short cause for a failed connection, instead of the transport's whole chain: "cannot
/// resolve HOST (DNS)", "connection refused", "TLS handshake failed", … Else the innermost message.
fn connect_cause(url: &url::Url, err: &(dyn std::error::Error + 'static)) -> String {
    use std::io::ErrorKind;
    let chain = error_chain(err).to_ascii_lowercase();
    let host = url.host_str().unwrap_or("the host");
    if chain.contains("dns error") || chain.contains("failed to lookup address") {
        return format!("cannot resolve {host} (DNS)");
    }
    if chain.contains("certificate") {
        return "TLS certificate not accepted".into();
    }
    let tls = [
        "tls",
        "handshake",
        "corrupt message",
        "fatal alert",
        "peer ",
    ];
    if tls.iter().any(|t| chain.contains(t)) {
        return "TLS handshake failed".into();
    }
    match io_kind(err) {
        Some(ErrorKind::ConnectionRefused) => return "connection refused".into(),
        Some(ErrorKind::ConnectionReset) => return "connection reset".into(),
        Some(ErrorKind::NetworkUnreachable) => return "network unreachable".into(),
        Some(ErrorKind::HostUnreachable) => return format!("{host} unreachable"),
        _ => {}
    }
    let mut innermost = err;
    while let Some(e) = innermost.source() {
        innermost = e;
    }
    innermost.to_string()
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        let s = e.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        source = e.source();
    }
    parts.join(": ")
}

/// What a non-success answer (other than 304) means: 404/410 gone, anything else an HTTP error
/// with its Retry-After. `None` for a success.
pub(super) fn status_error(url: &url::Url, response: &reqwest::Response) -> Option<FetchError> {
    let status = response.status().as_u16();
    if status == 404 || status == 410 {
        return Some(FetchError::Gone {
            url: url.to_string(),
            status,
        });
    }
    if response.status().is_success() {
        return None;
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    Some(FetchError::Status {
        url: url.to_string(),
        status,
        retry_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn failed(url: &str) -> FetchError {
        let url = url::Url::parse(url).unwrap();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let err = client.get(url.clone()).send().await.unwrap_err();
        classify(&url, err)
    }

    #[tokio::test]
    async fn a_refused_connection_is_said_in_two_words() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = failed(&format!("http://127.0.0.1:{port}/rss")).await;
        assert!(
            matches!(&err, FetchError::Connect { reason, .. } if reason == "connection refused"),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!("http://127.0.0.1:{port}/rss: connection failed: connection refused")
        );
    }

    #[tokio::test]
    async fn an_unresolvable_host_names_the_host_and_dns() {
        let err = failed("http://nonexistent.invalid/rss").await;
        assert!(
            matches!(&err, FetchError::Connect { reason, .. }
                if reason == "cannot resolve nonexistent.invalid (DNS)"),
            "{err:?}"
        );
        assert!(!err.to_string().contains("lookup address"), "{err}");
    }

    #[tokio::test]
    async fn a_tls_handshake_with_a_plain_server_fails_briefly() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            while let Ok((mut s, _)) = listener.accept().await {
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
            }
        });
        let err = failed(&format!("https://{addr}/rss")).await;
        assert!(
            matches!(&err, FetchError::Connect { reason, .. } if reason.starts_with("TLS ")),
            "{err:?}"
        );
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("Tue, 01 Jan 1980 00:00:00 GMT"),
            Some(Duration::ZERO)
        );
        let later = (Utc::now() + chrono::Duration::seconds(3600)).to_rfc2822();
        let got = parse_retry_after(&later).unwrap();
        assert!(got > Duration::from_secs(3500) && got <= Duration::from_secs(3600));
        assert_eq!(parse_retry_after("soon"), None);
    }
}
