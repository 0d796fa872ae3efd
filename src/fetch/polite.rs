//! Per-host politeness: at most `per_host_concurrency` requests in flight to one host, a minimum
//! delay between the starts of two requests to it, and a back-off when the host asks for one
//! (429/503 with Retry-After) or keeps failing.
//!
//! This is a small hand-written gate rather than `governor`: the gate has to be pushed back at run
//! time (Retry-After, Crawl-delay, failure streaks), which a fixed-quota limiter does not model, and
//! it runs on tokio's clock, so tests drive it with `tokio::time::pause` instead of sleeping.
//! A hold longer than `max_wait` is not waited out: requests fail at once, and [`HostGates::holds`]
//! lists such holds so that the caller can keep them beyond the process (and give them back with
//! [`HostGates::hold`] on the next start).
//! A request waits for its host *before* it takes a global slot (see `Fetcher`), so a slow or
//! backed-off host never holds slots other hosts could use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Failures in a row after which a host is put on hold.
const FAILURE_STREAK: u32 = 3;
/// The longest a failing host is put on hold.
const MAX_HOLD: Duration = Duration::from_secs(3600);

#[derive(Debug)]
pub struct HostGates {
    per_host: usize,
    delay: Duration,
    base_backoff: Duration,
    max_wait: Duration,
    /// The cap on a raised delay (robots.txt `Crawl-delay`).
    max_delay: Duration,
    hosts: Mutex<HashMap<String, Arc<Gate>>>,
}

#[derive(Debug)]
struct Gate {
    permits: Arc<Semaphore>,
    state: Mutex<GateState>,
}

#[derive(Debug)]
struct GateState {
    next_start: Instant,
    hold_until: Option<Instant>,
    /// Why the host is on hold (the reason of the hold that ends last).
    hold_reason: String,
    failures: u32,
    delay: Duration,
}

/// The host is on hold for longer than a request is allowed to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnHold {
    pub remaining: Duration,
}

impl HostGates {
    pub fn new(
        per_host: usize,
        delay: Duration,
        base_backoff: Duration,
        max_wait: Duration,
    ) -> Self {
        HostGates {
            per_host: per_host.max(1),
            delay,
            base_backoff,
            max_wait,
            max_delay: max_wait,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Lets a robots.txt `Crawl-delay` raise a host's delay up to `max_delay` (default: `max_wait`).
    pub fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// The hosts on hold for longer than `max_wait`, with the time left and why: requests to
    /// them fail without waiting until then.
    pub fn holds(&self) -> Vec<(String, Duration, String)> {
        let hosts = self.hosts.lock().expect("gate map poisoned");
        let now = Instant::now();
        let mut out: Vec<(String, Duration, String)> = hosts
            .iter()
            .filter_map(|(host, gate)| {
                let state = gate.state.lock().expect("gate poisoned");
                let left = state.hold_until?.checked_duration_since(now)?;
                (left > self.max_wait).then(|| (host.clone(), left, state.hold_reason.clone()))
            })
            .collect();
        out.sort();
        out
    }

    fn gate(&self, host: &str) -> Arc<Gate> {
        let mut hosts = self.hosts.lock().expect("gate map poisoned");
        hosts
            .entry(host.to_string())
            .or_insert_with(|| {
                Arc::new(Gate {
                    permits: Arc::new(Semaphore::new(self.per_host)),
                    state: Mutex::new(GateState {
                        next_start: Instant::now(),
                        hold_until: None,
                        hold_reason: String::new(),
                        failures: 0,
                        delay: self.delay,
                    }),
                })
            })
            .clone()
    }

    fn on_hold(&self, gate: &Gate) -> Result<(), OnHold> {
        let state = gate.state.lock().expect("gate poisoned");
        let now = Instant::now();
        match state.hold_until {
            Some(until) if until > now && until - now > self.max_wait => Err(OnHold {
                remaining: until - now,
            }),
            _ => Ok(()),
        }
    }

    /// Waits until a request to `host` may start, and returns the slot it holds while in flight.
    /// Fails at once, without waiting, when the host is on hold for longer than `max_wait`.
    pub async fn acquire(&self, host: &str) -> Result<OwnedSemaphorePermit, OnHold> {
        let gate = self.gate(host);
        self.on_hold(&gate)?;
        let permit = gate
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("gate semaphores are never closed");
        // The hold may have been set while this request queued for a slot.
        self.on_hold(&gate)?;
        let start = {
            let mut state = gate.state.lock().expect("gate poisoned");
            let now = Instant::now();
            let mut start = state.next_start.max(now);
            if let Some(until) = state.hold_until {
                start = start.max(until);
            }
            state.next_start = start + state.delay;
            start
        };
        tokio::time::sleep_until(start).await;
        Ok(permit)
    }

    /// Raises the minimum delay for a host (a robots.txt `Crawl-delay`), never above `max_delay`.
    pub fn set_delay(&self, host: &str, delay: Duration) {
        let gate = self.gate(host);
        let mut state = gate.state.lock().expect("gate poisoned");
        state.delay = delay.max(self.delay).min(self.max_delay);
    }

    /// The host asked us to come back later (Retry-After), or an earlier process put it on hold;
    /// `reason` says which.
    pub fn hold(&self, host: &str, wait: Duration, reason: &str) {
        let gate = self.gate(host);
        let mut state = gate.state.lock().expect("gate poisoned");
        state.extend_hold(Instant::now() + wait.min(MAX_HOLD), reason);
    }

    /// A request to the host failed in a way that suggests the host is in trouble (timeout,
    /// connection error, 5xx). After a streak of these the host is put on hold, doubling each time.
    pub fn record_failure(&self, host: &str) {
        let gate = self.gate(host);
        let mut state = gate.state.lock().expect("gate poisoned");
        state.failures += 1;
        if state.failures >= FAILURE_STREAK {
            let exp = (state.failures - FAILURE_STREAK).min(16);
            let wait = (self.base_backoff * 2u32.pow(exp) * 8).min(MAX_HOLD);
            let reason = format!("{} failed requests in a row", state.failures);
            state.extend_hold(Instant::now() + wait, &reason);
        }
    }

    /// A request succeeded: the failure streak is over.
    pub fn record_success(&self, host: &str) {
        let gate = self.gate(host);
        let mut state = gate.state.lock().expect("gate poisoned");
        state.failures = 0;
    }
}

impl GateState {
    /// Holds the host until `until` unless it is already held longer; the later hold's reason
    /// is kept.
    fn extend_hold(&mut self, until: Instant, reason: &str) {
        if self.hold_until.is_none_or(|u| u < until) {
            self.hold_until = Some(until);
            self.hold_reason = reason.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_to_one_host_are_spaced_by_the_delay() {
        let gates = HostGates::new(
            2,
            Duration::from_secs(1),
            Duration::from_secs(1),
            Duration::from_secs(60),
        );
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..3 {
            let permit = gates.acquire("a.example").await.unwrap();
            starts.push(Instant::now() - t0);
            drop(permit);
        }
        assert_eq!(
            starts,
            vec![
                Duration::ZERO,
                Duration::from_secs(1),
                Duration::from_secs(2)
            ]
        );
        // Another host is not delayed by the first one.
        let t1 = Instant::now();
        let _p = gates.acquire("b.example").await.unwrap();
        assert_eq!(Instant::now(), t1);
    }

    #[tokio::test(start_paused = true)]
    async fn per_host_concurrency_is_bounded() {
        let gates = Arc::new(HostGates::new(
            1,
            Duration::ZERO,
            Duration::from_secs(1),
            Duration::from_secs(60),
        ));
        let first = gates.acquire("a.example").await.unwrap();
        let g = gates.clone();
        let waiter = tokio::spawn(async move { g.acquire("a.example").await.map(|_| ()) });
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(
            !waiter.is_finished(),
            "second request must wait for the slot"
        );
        drop(first);
        waiter.await.unwrap().unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_holds_the_host_and_long_holds_fail_fast() {
        let gates = HostGates::new(
            2,
            Duration::ZERO,
            Duration::from_secs(1),
            Duration::from_secs(30),
        );
        gates.hold("a.example", Duration::from_secs(10), "test");
        let t0 = Instant::now();
        drop(gates.acquire("a.example").await.unwrap());
        assert_eq!(Instant::now() - t0, Duration::from_secs(10));

        gates.hold("a.example", Duration::from_secs(600), "test");
        let t1 = Instant::now();
        let err = gates.acquire("a.example").await.unwrap_err();
        assert_eq!(Instant::now(), t1, "no waiting when the hold is too long");
        assert!(err.remaining > Duration::from_secs(30));
        assert!(
            gates.acquire("b.example").await.is_ok(),
            "other hosts unaffected"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn failure_streak_puts_the_host_on_hold() {
        let gates = HostGates::new(
            2,
            Duration::ZERO,
            Duration::from_secs(1),
            Duration::from_secs(30),
        );
        for _ in 0..FAILURE_STREAK - 1 {
            gates.record_failure("a.example");
        }
        let t0 = Instant::now();
        drop(gates.acquire("a.example").await.unwrap());
        assert_eq!(Instant::now(), t0, "no hold before the streak");
        for _ in 0..4 {
            gates.record_failure("a.example");
        }
        assert!(gates.acquire("a.example").await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn only_holds_longer_than_max_wait_are_listed() {
        let gates = HostGates::new(
            2,
            Duration::ZERO,
            Duration::from_secs(1),
            Duration::from_secs(15),
        );
        gates.hold("short.example", Duration::from_secs(10), "short");
        gates.hold("long.example", Duration::from_secs(120), "long");
        assert_eq!(
            gates.holds(),
            vec![(
                "long.example".to_string(),
                Duration::from_secs(120),
                "long".to_string()
            )]
        );
        // A shorter hold does not replace a longer one, nor its reason; a longer one does.
        gates.hold("long.example", Duration::from_secs(60), "shorter");
        assert_eq!(gates.holds()[0].2, "long");
        gates.hold("long.example", Duration::from_secs(200), "longer");
        assert_eq!(gates.holds()[0].2, "longer");
        gates.hold("long.example", Duration::from_secs(120), "again");
        tokio::time::advance(Duration::from_secs(80)).await;
        tokio::time::advance(Duration::from_secs(106)).await;
        assert!(gates.holds().is_empty(), "within max_wait now: waited out");
    }
}
