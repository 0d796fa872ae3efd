//! robots.txt rules per origin, cached. What a fetched robots.txt means follows RFC 9309: a 4xx
//! (including a missing file) allows everything, a server or network error means "assume complete
//! disallow" for now, and a file is read up to 500 KiB.
//!
//! The cache holds one cell per origin, so concurrent requests to a new host wait for a single
//! robots.txt fetch instead of each making their own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OnceCell;
use tokio::time::Instant;

/// How long a robots.txt answer is trusted.
pub const ROBOTS_TTL: Duration = Duration::from_secs(3600);
/// How long an unreachable robots.txt blocks a host before it is asked again.
pub const UNREACHABLE_TTL: Duration = Duration::from_secs(600);
/// The most of a robots.txt that is read.
pub const MAX_ROBOTS_BYTES: u64 = 500 * 1024;

/// What one origin's robots.txt says about us.
pub enum Rules {
    /// No robots.txt (4xx) or an unparseable one: everything allowed.
    AllowAll,
    /// The file could not be fetched (5xx, timeout): nothing allowed until it can be.
    Unreachable(String),
    Parsed(texting_robots::Robot),
}

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rules::AllowAll => write!(f, "AllowAll"),
            Rules::Unreachable(why) => write!(f, "Unreachable({why})"),
            Rules::Parsed(r) => write!(f, "Parsed(delay={:?})", r.delay),
        }
    }
}

impl Rules {
    /// Reads a fetched robots.txt for the product token `agent`.
    pub fn parse(agent: &str, body: &[u8]) -> Rules {
        match texting_robots::Robot::new(agent, body) {
            Ok(robot) => Rules::Parsed(robot),
            Err(e) => {
                tracing::debug!("unparseable robots.txt treated as allow-all: {e}");
                Rules::AllowAll
            }
        }
    }

    /// The `Crawl-delay` asked for, if any.
    pub fn crawl_delay(&self) -> Option<Duration> {
        match self {
            Rules::Parsed(r) => r
                .delay
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| Duration::from_secs_f32(d.min(86_400.0))),
            _ => None,
        }
    }

    fn ttl(&self) -> Duration {
        match self {
            Rules::Unreachable(_) => UNREACHABLE_TTL,
            _ => ROBOTS_TTL,
        }
    }
}

type Cell = Arc<OnceCell<(Instant, Arc<Rules>)>>;

/// Rules per origin (`scheme://host:port`).
#[derive(Debug, Default)]
pub struct RobotsCache {
    cells: Mutex<HashMap<String, Cell>>,
}

impl RobotsCache {
    /// The cached rules for `origin`, or the result of `load` (run once per origin at a time).
    pub async fn get_or_load<F, Fut>(&self, origin: &str, load: F) -> Arc<Rules>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Rules>,
    {
        let cell = {
            let mut cells = self.cells.lock().expect("robots cache poisoned");
            let cell = cells.entry(origin.to_string()).or_default();
            if let Some((at, rules)) = cell.get()
                && at.elapsed() >= rules.ttl()
            {
                *cell = Cell::default();
            }
            cell.clone()
        };
        let (_, rules) = cell
            .get_or_init(|| async { (Instant::now(), Arc::new(load().await)) })
            .await;
        rules.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_follow_the_file() {
        let txt = b"User-agent: *\nDisallow: /private/\nCrawl-delay: 2\n\nUser-agent: clearfeed\nDisallow: /no-feeds/\n";
        let Rules::Parsed(robot) = Rules::parse("clearfeed", txt) else {
            panic!("should parse")
        };
        assert!(!robot.allowed("https://e.example/no-feeds/x"));
        assert!(
            robot.allowed("https://e.example/private/x"),
            "our own group wins"
        );
        let generic = Rules::parse("otherbot", txt);
        assert_eq!(generic.crawl_delay(), Some(Duration::from_secs(2)));
    }

    #[tokio::test(start_paused = true)]
    async fn cache_loads_once_and_expires() {
        let cache = RobotsCache::default();
        let mut loads = 0;
        for _ in 0..3 {
            cache
                .get_or_load("https://e.example", || {
                    loads += 1;
                    async { Rules::AllowAll }
                })
                .await;
        }
        assert_eq!(loads, 1);
        tokio::time::advance(ROBOTS_TTL).await;
        cache
            .get_or_load("https://e.example", || {
                loads += 1;
                async { Rules::AllowAll }
            })
            .await;
        assert_eq!(loads, 2);
    }
}
