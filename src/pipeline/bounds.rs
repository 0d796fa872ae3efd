//! What keeps a feed pass bounded: its deadline (`run_timeout`), the process-wide request to stop
//! fetching (shutdown), and host holds kept in the store across runs and processes.
//!
//! A pass that reaches its deadline or is told to stop does not simply end: the caller stops
//! fetching, keeps what was read and publishes it. Holds longer than `max_wait` (a long
//! Retry-After, a failure streak) are written to the store, so that the next `once` honours them
//! without asking the host again, and read back when a pipeline is built.
//!
//! A feed also never has two passes at once in one process ([`Running`]): a pass asked for while
//! the previous one is still going is refused and counted, never started beside it.
//!
//! Owns: [`Cut`], waiting on a future or a stream under those bounds, the set of feeds with a pass
//! in progress, and moving holds between the fetcher and the store. Does not own when a host is put on hold (`fetch`), nor what a pass does
//! with what it read (`pipeline`).

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures_util::{Stream, StreamExt};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::fetch::Fetcher;
use crate::store::{HostHold, Store, StoreError};

/// Why a pass stopped fetching before it was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cut {
    /// `run_timeout` (the value) was reached.
    Deadline(Duration),
    /// The process is shutting down.
    Stopped,
}

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cut::Deadline(d) => write!(
                f,
                "run_timeout of {} reached",
                humantime::format_duration(*d)
            ),
            Cut::Stopped => write!(f, "stopped by shutdown"),
        }
    }
}

/// The bounds of one pass: its deadline and the shutdown signal.
pub(super) struct Bounds {
    pub deadline: Instant,
    pub run_timeout: Duration,
    pub stop: watch::Receiver<bool>,
}

impl Bounds {
    pub fn new(run_timeout: Duration, stop: watch::Receiver<bool>) -> Self {
        Bounds {
            deadline: Instant::now() + run_timeout,
            run_timeout,
            stop,
        }
    }

    /// `fut`'s output, unless the deadline passes or shutdown is requested first (then `fut` is
    /// dropped: what it had committed to the store stays, the rest is left for a later run).
    pub async fn within<F: Future>(&mut self, fut: F) -> Result<F::Output, Cut> {
        let deadline = self.deadline;
        tokio::select! {
            out = fut => Ok(out),
            _ = tokio::time::sleep_until(deadline) => Err(Cut::Deadline(self.run_timeout)),
            _ = self.stop.wait_for(|stop| *stop) => Err(Cut::Stopped),
        }
    }

    /// The items of `stream` that arrive within the bounds, and why it was cut off, if it was.
    pub async fn drain<S: Stream + Unpin>(&mut self, mut stream: S) -> (Vec<S::Item>, Option<Cut>) {
        let mut out = Vec::new();
        loop {
            match self.within(stream.next()).await {
                Ok(Some(item)) => out.push(item),
                Ok(None) => return (out, None),
                Err(cut) => return (out, Some(cut)),
            }
        }
    }
}

/// The feeds with a pass in progress in this process. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub(super) struct Running(Arc<Mutex<HashSet<String>>>);

/// A feed's pass in progress; the feed is free again when this is dropped (also when the pass is
/// abandoned at shutdown).
#[derive(Debug)]
pub(super) struct RunningPass {
    set: Running,
    feed: String,
}

impl Running {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // Single inserts and removals cannot leave the set inconsistent.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Marks `feed` as running, or `None` when a pass of it is still going.
    pub(super) fn start(&self, feed: &str) -> Option<RunningPass> {
        self.lock().insert(feed.to_string()).then(|| RunningPass {
            set: self.clone(),
            feed: feed.to_string(),
        })
    }
}

impl Drop for RunningPass {
    fn drop(&mut self) {
        self.set.lock().remove(&self.feed);
    }
}

/// Gives the fetcher the host holds the store keeps (from earlier runs and processes).
pub(super) fn restore_holds(store: &Store, fetcher: &Fetcher) -> Result<(), StoreError> {
    let now = Utc::now();
    for h in store.host_holds(now)? {
        if let Ok(left) = (h.until - now).to_std() {
            tracing::debug!(host = %h.host, until = %h.until, reason = %h.reason, "host on hold");
            fetcher.hold_host(&h.host, left, &h.reason);
        }
    }
    Ok(())
}

/// Writes the fetcher's long holds to the store.
pub(super) async fn save_holds(store: &Store, fetcher: &Fetcher) -> Result<(), StoreError> {
    let holds = fetcher.holds();
    if holds.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let holds: Vec<_> = holds
        .into_iter()
        .filter_map(|(host, left, reason)| {
            let until = now + chrono::Duration::from_std(left).ok()?;
            Some(HostHold {
                host,
                until,
                reason,
            })
        })
        .collect();
    store.call(move |s| s.hold_hosts(&holds, now)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_runs_once_at_a_time() {
        let running = Running::default();
        let first = running.start("a").expect("free");
        assert!(
            running.start("a").is_none(),
            "a second pass of a running feed"
        );
        let other = running.start("b").expect("other feeds are not held up");
        drop(first);
        assert!(
            running.start("a").is_some(),
            "free again once the pass ended"
        );
        drop(other);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_is_cut_at_the_deadline_or_at_shutdown() {
        let (tx, rx) = watch::channel(false);
        let ticks = || {
            futures_util::stream::iter(0..10).then(|i| async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                i
            })
        };
        let mut bounds = Bounds::new(Duration::from_millis(3500), rx.clone());
        let (got, cut) = bounds.drain(Box::pin(ticks())).await;
        assert_eq!(got, vec![0, 1, 2]);
        assert_eq!(cut, Some(Cut::Deadline(Duration::from_millis(3500))));
        assert_eq!(cut.unwrap().to_string(), "run_timeout of 3s 500ms reached");

        let mut bounds = Bounds::new(Duration::from_secs(60), rx);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(2500)).await;
            tx.send_replace(true);
        });
        let (got, cut) = bounds.drain(Box::pin(ticks())).await;
        assert_eq!((got, cut), (vec![0, 1], Some(Cut::Stopped)));

        let (_tx, rx) = watch::channel(false);
        let mut bounds = Bounds::new(Duration::from_secs(60), rx);
        let (got, cut) = bounds.drain(Box::pin(ticks())).await;
        assert_eq!((got.len(), cut), (10, None), "within bounds: all of it");
    }
}
