//! The fetcher's settings (the `[fetch]` table) and the default user agent. Owns the type and its
//! defaults; `config` reads it from `clearfeed.toml`.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// The user agent sent when `user_agent` is not set. It names the program and where to read about
/// it, so a site operator who sees it in a log knows who is asking and why.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "clearfeed/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/clearfeed/clearfeed; feed reader)"
);

/// What must arrive within each `read_idle` period of a body read (see [`FetchConfig::read_idle`]).
pub const SLOW_BODY_BYTES: usize = 1024;

/// The `[fetch]` table: how clearfeed talks to other people's servers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetchConfig {
    /// Requests in flight at once, over all hosts.
    pub concurrency: usize,
    /// Requests in flight at once to one host.
    pub per_host_concurrency: usize,
    /// Minimum time between the starts of two requests to one host (a robots.txt `Crawl-delay`
    /// larger than this wins, up to `max_backoff`).
    #[serde(deserialize_with = "de_duration")]
    pub per_host_delay: Duration,
    #[serde(deserialize_with = "de_duration")]
    pub connect_timeout: Duration,
    /// Whole-request budget, body included (a server that drips bytes hits this).
    #[serde(deserialize_with = "de_duration")]
    pub timeout: Duration,
    /// A body read is cut (as a timeout, not retried within the run) when less than
    /// [`SLOW_BODY_BYTES`] arrive within this time: a server that stalls, or drips a byte every
    /// few seconds, is given up long before `timeout`.
    #[serde(deserialize_with = "de_duration")]
    pub read_idle: Duration,
    /// Body size cap, applied to the decompressed bytes while they stream in.
    pub max_page_bytes: u64,
    pub max_redirects: usize,
    /// Fetch from private, loopback, link-local and unique-local addresses. Off by default: article
    /// links come from third parties and must not reach the operator's own network.
    pub allow_private_networks: bool,
    /// Extra attempts after a connection error, broken-off body, 5xx or 429 (a timeout is not
    /// retried within a run).
    pub retries: u32,
    /// First retry delay; doubled each attempt, with jitter.
    #[serde(deserialize_with = "de_duration")]
    pub retry_backoff: Duration,
    /// The longest delay between two retries of one request, and the cap on a robots.txt
    /// `Crawl-delay`.
    #[serde(deserialize_with = "de_duration")]
    pub max_backoff: Duration,
    /// The longest a run waits for a host that asked us to slow down (Retry-After) or that keeps
    /// failing. A longer wait is not taken: the host is put on hold until then (kept in the
    /// database, so later runs honour it too), its remaining articles wait for a later run, and
    /// the run goes on with other hosts.
    #[serde(deserialize_with = "de_duration")]
    pub max_wait: Duration,
    /// The deadline of one feed's pass (a feed file may set its own): when it is reached, no more
    /// articles are fetched, and what was read is stored and published.
    #[serde(deserialize_with = "de_duration")]
    pub run_timeout: Duration,
    /// A stored article younger than this (since first seen) is revalidated with a conditional GET
    /// on every run, to pick up corrections. `0s` (the default) means a stored article is fetched
    /// again only when its source entry signals a change (new title or updated date).
    #[serde(deserialize_with = "de_duration")]
    pub refresh: Duration,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            concurrency: 8,
            per_host_concurrency: 2,
            per_host_delay: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            read_idle: Duration::from_secs(10),
            max_page_bytes: 5 * 1024 * 1024,
            max_redirects: 5,
            allow_private_networks: false,
            retries: 2,
            retry_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(120),
            max_wait: Duration::from_secs(15),
            run_timeout: Duration::from_secs(300),
            refresh: Duration::ZERO,
        }
    }
}

/// Reads a human duration ("500ms", "2m", "1h 30m"); shared with `config` for its own durations.
pub fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(&text).map_err(|e| {
        serde::de::Error::custom(format!(
            "invalid duration {text:?}: {e} (write e.g. \"500ms\", \"1s\", \"2m\", \"1h 30m\")"
        ))
    })
}
