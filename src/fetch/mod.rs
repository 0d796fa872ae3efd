//! Fetching: the HTTP client and everything polite or defensive about it (robots.txt, per-host
//! limits, conditional GET, timeouts, size caps, address guard). Nothing here parses content.
//!
//! One [`Fetcher`] per process owns the HTTP client(s), the per-host gates and the robots.txt
//! cache. A request goes through, in order: scheme check, address guard on IP literals, robots.txt
//! (articles and listing pages; upstream feeds are subscriptions, read like any feed reader
//! does), the host's gate (concurrency, delay, back-off), a global slot, then the request itself
//! with a conditional-GET header set, a redirect policy that re-applies the scheme and address
//! checks on every hop, and a body cap counted on the decompressed bytes as they stream in.
//!
//! This file owns the [`Fetcher`]: its clients, the request path above and retries. It does not
//! own what errors mean (`error.rs`), the address guard (`guard.rs`), the per-host gates
//! (`polite.rs`), robots.txt rules (`robots.rs`) or the settings (`options.rs`).

mod error;
pub mod guard;
mod options;
pub mod polite;
pub mod robots;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use rand::Rng;
use tokio::sync::Semaphore;

pub use error::FetchError;
use error::{RedirectRefused, classify, status_error};
use guard::{Access, GuardedResolver};
pub use options::{DEFAULT_USER_AGENT, FetchConfig, SLOW_BODY_BYTES, de_duration};
use polite::HostGates;
use robots::{RobotsCache, Rules};

pub use crate::model::Page;

/// The product token robots.txt groups are matched against.
pub const ROBOTS_AGENT: &str = "clearfeed";

/// The validators of a stored copy, sent as If-None-Match / If-Modified-Since.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Validators {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// One request to make.
#[derive(Debug, Clone, Default)]
pub struct FetchRequest<'a> {
    pub url: Option<&'a url::Url>,
    /// Validators of the stored copy, if any: the request becomes a conditional GET.
    pub validators: Validators,
    /// Hosts this request may reach on private addresses (the feed's `allow_hosts`).
    pub allow_hosts: &'a [String],
    /// Whether robots.txt is consulted (article pages and listing pages: yes).
    pub check_robots: bool,
    /// Request headers the URL's host's site rules give (`user-agent`, `referer`, `cookie`),
    /// sent with this request only (a redirect to another host drops the cookie).
    pub headers: &'a [(String, String)],
}

/// What one request sends beyond its URL.
#[derive(Clone, Copy)]
struct Sent<'a> {
    validators: &'a Validators,
    headers: &'a [(String, String)],
}

impl<'a> FetchRequest<'a> {
    pub fn new(url: &'a url::Url) -> Self {
        FetchRequest {
            url: Some(url),
            ..Default::default()
        }
    }
}

/// What a request returned.
#[derive(Debug, Clone)]
pub enum Fetched {
    Page(Page),
    /// 304: the stored copy is current.
    NotModified,
}

/// The HTTP side of the pipeline. Cheap to clone.
#[derive(Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: FetchConfig,
    user_agent: String,
    /// One client per distinct `allow_hosts` set (the guard lives in the client's resolver and
    /// redirect policy); the empty set is the common case.
    clients: Mutex<HashMap<Vec<String>, reqwest::Client>>,
    gates: HostGates,
    global: Semaphore,
    robots: RobotsCache,
    requests: AtomicU64,
    /// Spacing of requests to one host kept with other processes, when set.
    shared: Option<SharedSpacing>,
}

/// Spacing of requests to one host kept with other processes (workers sharing a database): given
/// the host and the spacing, reserves the next start and returns how long to wait for it.
pub type SharedSpacing = Arc<
    dyn Fn(String, Duration) -> std::pin::Pin<Box<dyn Future<Output = Duration> + Send>>
        + Send
        + Sync,
>;

impl Fetcher {
    pub fn new(cfg: &FetchConfig, user_agent: &str) -> Result<Self, FetchError> {
        let fetcher = Fetcher {
            inner: Arc::new(Inner {
                cfg: cfg.clone(),
                user_agent: user_agent.to_string(),
                clients: Mutex::new(HashMap::new()),
                gates: HostGates::new(
                    cfg.per_host_concurrency,
                    cfg.per_host_delay,
                    cfg.retry_backoff,
                    cfg.max_wait,
                )
                .with_max_delay(cfg.max_backoff),
                global: Semaphore::new(cfg.concurrency.max(1)),
                robots: RobotsCache::default(),
                requests: AtomicU64::new(0),
                shared: None,
            }),
        };
        fetcher.client(&[])?;
        Ok(fetcher)
    }

    /// This fetcher with requests to one host spaced by `per_host_delay` across processes too,
    /// through `shared`. Set it before the fetcher is cloned.
    pub fn with_shared_spacing(mut self, shared: SharedSpacing) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.shared = Some(shared);
        }
        self
    }

    /// The hosts on hold for longer than `max_wait` (a long Retry-After, a failure streak), with
    /// the time left: requests to them fail at once with [`FetchError::HostOnHold`].
    pub fn holds(&self) -> Vec<(String, Duration, String)> {
        self.inner.gates.holds()
    }

    /// Puts `host` on hold for `wait`, for `reason` (a hold kept from an earlier process).
    pub fn hold_host(&self, host: &str, wait: Duration, reason: &str) {
        self.inner
            .gates
            .hold(&host.to_ascii_lowercase(), wait, reason);
    }

    /// HTTP requests sent so far (retries and robots.txt included).
    pub fn requests_sent(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    fn access(&self, allow_hosts: &[String]) -> Access {
        Access {
            allow_private: self.inner.cfg.allow_private_networks,
            allow_hosts: Arc::new(allow_hosts.iter().map(|h| h.to_ascii_lowercase()).collect()),
        }
    }

    fn client(&self, allow_hosts: &[String]) -> Result<reqwest::Client, FetchError> {
        let mut key: Vec<String> = allow_hosts.to_vec();
        key.sort();
        let mut clients = self.inner.clients.lock().expect("client map poisoned");
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let access = self.access(&key);
        let cfg = &self.inner.cfg;
        let max = cfg.max_redirects;
        let policy_access = access.clone();
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            // `previous` starts with the original URL, so a chain of `max` hops has `max` + 1.
            if attempt.previous().len() > max {
                return attempt.error(RedirectRefused::TooMany(max));
            }
            let next = attempt.url();
            if !matches!(next.scheme(), "http" | "https") {
                let err = RedirectRefused::Scheme(next.scheme().to_string(), next.to_string());
                return attempt.error(err);
            }
            if let Err(b) = guard::check_literal(next, &policy_access) {
                return attempt.error(RedirectRefused::Blocked(b));
            }
            attempt.follow()
        });
        let client = reqwest::Client::builder()
            .user_agent(self.inner.user_agent.clone())
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            .redirect(policy)
            .dns_resolver(GuardedResolver { access })
            // A proxy would resolve names itself and so bypass the address guard.
            .no_proxy()
            .gzip(true)
            .brotli(true)
            .deflate(true)
            .pool_max_idle_per_host(cfg.per_host_concurrency.max(1))
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        clients.insert(key, client.clone());
        Ok(client)
    }

    /// Fetches one URL politely. Retries connection errors, broken bodies, 5xx and 429 up to
    /// `retries` times with exponential back-off and jitter (a Retry-After is honoured instead
    /// when it fits within `max_wait`); everything else is returned at once. A request that timed
    /// out (a server dripping its answer uses up the whole `timeout`) is not tried again in this
    /// run. A failed fetch counts once, after its retries, towards the host's failure streak.
    pub async fn fetch(&self, req: &FetchRequest<'_>) -> Result<Fetched, FetchError> {
        let url = req.url.ok_or_else(|| FetchError::Other {
            url: String::new(),
            reason: "no URL given".into(),
        })?;
        let shown = url.to_string();
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Scheme { url: shown });
        }
        let access = self.access(req.allow_hosts);
        guard::check_literal(url, &access).map_err(|blocked| FetchError::Blocked {
            url: shown.clone(),
            blocked,
        })?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if req.check_robots {
            self.check_robots(url, &host, req.allow_hosts).await?;
        }
        let client = self.client(req.allow_hosts)?;
        let cfg = &self.inner.cfg;
        let mut attempt = 0;
        loop {
            let result = self
                .attempt(
                    &client,
                    &host,
                    url,
                    Sent {
                        validators: &req.validators,
                        headers: req.headers,
                    },
                    cfg.max_page_bytes,
                    false,
                )
                .await;
            let err = match result {
                Ok(fetched) => {
                    self.inner.gates.record_success(&host);
                    return Ok(fetched);
                }
                Err(e) => e,
            };
            if !err.is_transient() {
                return Err(err);
            }
            let (retry_after, status) = match &err {
                FetchError::Status {
                    retry_after,
                    status,
                    ..
                } => (*retry_after, *status),
                _ => (None, 0),
            };
            if let Some(wait) = retry_after {
                let reason = format!("HTTP {status} with Retry-After {}s", wait.as_secs());
                self.inner.gates.hold(&host, wait, &reason);
            }
            let timed_out = matches!(err, FetchError::Timeout { .. });
            if attempt >= cfg.retries || timed_out || retry_after.is_some_and(|w| w > cfg.max_wait)
            {
                if retry_after.is_none() {
                    self.inner.gates.record_failure(&host);
                }
                return Err(err);
            }
            attempt += 1;
            tracing::debug!(%url, attempt, "retrying: {err}");
            if retry_after.is_none() {
                let cap = cfg.max_backoff.min(cfg.max_wait);
                tokio::time::sleep(backoff(cfg.retry_backoff, attempt, cap)).await;
            }
            // With a Retry-After, the host's gate does the waiting (for every request to it).
        }
    }

    async fn check_robots(
        &self,
        url: &url::Url,
        host: &str,
        allow_hosts: &[String],
    ) -> Result<(), FetchError> {
        let origin = url.origin().ascii_serialization();
        let rules = self
            .inner
            .robots
            .get_or_load(&origin, || self.load_robots(&origin, host, allow_hosts))
            .await;
        match &*rules {
            Rules::AllowAll => Ok(()),
            Rules::Unreachable(reason) => Err(FetchError::RobotsUnreachable {
                url: url.to_string(),
                reason: reason.clone(),
            }),
            Rules::Parsed(robot) if robot.allowed(url.as_str()) => Ok(()),
            Rules::Parsed(_) => Err(FetchError::Robots {
                url: url.to_string(),
            }),
        }
    }

    async fn load_robots(&self, origin: &str, host: &str, allow_hosts: &[String]) -> Rules {
        let Ok(robots_url) = url::Url::parse(&format!("{origin}/robots.txt")) else {
            return Rules::AllowAll;
        };
        let client = match self.client(allow_hosts) {
            Ok(c) => c,
            Err(e) => return Rules::Unreachable(e.to_string()),
        };
        let result = self
            .attempt(
                &client,
                host,
                &robots_url,
                Sent {
                    validators: &Validators::default(),
                    headers: &[],
                },
                robots::MAX_ROBOTS_BYTES,
                true,
            )
            .await;
        let rules = match result {
            Ok(Fetched::Page(page)) => Rules::parse(ROBOTS_AGENT, &page.body),
            Ok(Fetched::NotModified) => Rules::AllowAll,
            Err(e) => match e.status() {
                Some(s) if (400..500).contains(&s) && s != 429 => Rules::AllowAll,
                _ if e.is_transient() => Rules::Unreachable(e.to_string()),
                // Refused redirects and the like: RFC 9309 treats those as "unavailable" (4xx).
                _ => Rules::AllowAll,
            },
        };
        if let Some(delay) = rules.crawl_delay() {
            self.inner.gates.set_delay(host, delay);
        }
        tracing::debug!(%robots_url, ?rules, "robots.txt");
        rules
    }

    /// One request through the host gate and a global slot. With `truncate`, a body over `limit`
    /// is cut at the limit instead of failing (robots.txt is read up to its first 500 KiB).
    async fn attempt(
        &self,
        client: &reqwest::Client,
        host: &str,
        url: &url::Url,
        sent: Sent<'_>,
        limit: u64,
        truncate: bool,
    ) -> Result<Fetched, FetchError> {
        let _host_slot = self.host_slot(host, url).await?;
        if let Some(shared) = &self.inner.shared {
            let spacing = self.inner.cfg.per_host_delay;
            if !spacing.is_zero() {
                tokio::time::sleep(shared(host.to_string(), spacing).await).await;
            }
        }
        let _global_slot = self
            .inner
            .global
            .acquire()
            .await
            .expect("the global semaphore is never closed");
        let request = conditional_get(client, url, sent);
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        let response = request.send().await.map_err(|e| classify(url, e))?;
        if response.status().as_u16() == 304 {
            return Ok(Fetched::NotModified);
        }
        if let Some(err) = status_error(url, &response) {
            return Err(err);
        }
        read_page(url, response, (limit, truncate), self.inner.cfg.read_idle).await
    }

    /// The host's gate: waits for its slot, or fails at once while the host is backing off.
    async fn host_slot(
        &self,
        host: &str,
        url: &url::Url,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, FetchError> {
        self.inner
            .gates
            .acquire(host)
            .await
            .map_err(|h| FetchError::HostOnHold {
                url: url.to_string(),
                remaining: h.remaining,
            })
    }
}

/// A GET of `url` accepting feeds and pages, conditional on the stored copy's validators, with
/// the site's own headers (a name or value HTTP cannot carry is left out).
fn conditional_get(
    client: &reqwest::Client,
    url: &url::Url,
    sent: Sent<'_>,
) -> reqwest::RequestBuilder {
    use reqwest::header::{HeaderName, HeaderValue};
    let validators = sent.validators;
    let mut request = client.get(url.clone()).header(
        reqwest::header::ACCEPT,
        "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.5",
    );
    if let Some(etag) = &validators.etag {
        request = request.header(reqwest::header::IF_NONE_MATCH, etag);
    }
    if let Some(lm) = &validators.last_modified {
        request = request.header(reqwest::header::IF_MODIFIED_SINCE, lm);
    }
    for (name, value) in sent.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            request = request.header(n, v);
        }
    }
    request
}

/// A successful response as a page: its validators and type, the URL after redirects, and the
/// body read up to `limit`.
async fn read_page(
    url: &url::Url,
    mut response: reqwest::Response,
    (limit, truncate): (u64, bool),
    idle: Duration,
) -> Result<Fetched, FetchError> {
    let status = response.status().as_u16();
    let header = |name: reqwest::header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let etag = header(reqwest::header::ETAG);
    let last_modified = header(reqwest::header::LAST_MODIFIED);
    let final_url = response.url().clone();
    let body = read_body(url, &mut response, (limit, truncate), idle).await?;
    Ok(Fetched::Page(Page {
        url: Some(final_url),
        status,
        content_type,
        body,
        etag,
        last_modified,
        fetched_at: Utc::now(),
    }))
}

/// The body, capped at `limit` bytes: over it is an error, or with `truncate` the cut-off part.
/// Less than [`SLOW_BODY_BYTES`] within an `idle` period is a timeout.
async fn read_body(
    url: &url::Url,
    response: &mut reqwest::Response,
    (limit, truncate): (u64, bool),
    idle: Duration,
) -> Result<Vec<u8>, FetchError> {
    let too_large = || FetchError::TooLarge {
        url: url.to_string(),
        limit,
    };
    // Content-Length (when the body is not re-encoded) lets a huge body fail before reading.
    if !truncate && response.content_length().is_some_and(|len| len > limit) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    let (mut period_end, mut period_bytes) = (tokio::time::Instant::now() + idle, 0);
    // Chunks arrive decompressed, so the cap also stops gzip and brotli bombs.
    loop {
        let next = tokio::time::timeout_at(period_end, response.chunk()).await;
        let Ok(next) = next else {
            tracing::debug!(%url, "under {SLOW_BODY_BYTES} bytes in {idle:?}: given up");
            return Err(FetchError::Timeout {
                url: url.to_string(),
            });
        };
        let Some(chunk) = next.map_err(|e| classify(url, e))? else {
            break;
        };
        period_bytes += chunk.len();
        if period_bytes >= SLOW_BODY_BYTES {
            (period_end, period_bytes) = (tokio::time::Instant::now() + idle, 0);
        }
        if body.len() as u64 + chunk.len() as u64 > limit {
            if truncate {
                let room = limit as usize - body.len();
                body.extend_from_slice(&chunk[..room]);
                break;
            }
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The delay before retry `attempt` (1-based): `base` doubled per attempt, plus up to 50% jitter
/// so that many clients failing together do not return together.
fn backoff(base: Duration, attempt: u32, cap: Duration) -> Duration {
    let exp = base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
    let jitter = exp.mul_f64(rand::rng().random_range(0.0..0.5));
    (exp + jitter).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_cap() {
        let base = Duration::from_secs(1);
        let cap = Duration::from_secs(60);
        for attempt in 1..=4 {
            let d = backoff(base, attempt, cap);
            let floor = base * 2u32.pow(attempt - 1);
            assert!(d >= floor && d <= floor.mul_f64(1.5), "{attempt}: {d:?}");
        }
        assert_eq!(backoff(base, 20, cap), cap);
    }
}
