//! Workers: the daemon when several `clearfeed run` processes share one PostgreSQL database.
//! Instead of a timer per feed, each worker claims due feeds from the database, runs them, and
//! hands them back with their next due time.
//!
//! A claim is a lease with an expiry (`worker_lease`), renewed while the run lasts. A worker that
//! dies stops renewing; once the lease has expired another worker claims the feed and runs it
//! again from the start (items are committed one by one, so nothing stored is lost and nothing is
//! stored twice). A worker that cannot renew its lease in time, or finds it taken, abandons the run
//! rather than run a feed beside another worker. Requests to one host are spaced across every
//! worker through the database too (see the pipeline's shared host spacing).
//!
//! Owns the claim loop, lease renewal and the hand-back. Does not own what a feed run does
//! (`pipeline`), schedules and jitter (`schedule`), or the queries (`store`).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::pipeline::{FeedConfig, FeedReport, Pipeline};
use crate::schedule::{DaemonOptions, jitter_for, next_slot, parse_schedule};

/// Longest pause between two looks for due feeds.
const MAX_POLL: Duration = Duration::from_secs(5);

/// One worker's identity in the database: host name, process id and a random tag, so that a
/// restarted process is never taken for the one before it.
pub fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    format!(
        "{host}-{}-{:04x}",
        std::process::id(),
        rand::random::<u16>()
    )
}

/// A feed with its parsed schedule.
struct Scheduled {
    feed: FeedConfig,
    schedule: cron::Schedule,
}

/// What every run of this worker shares.
struct Worker {
    pipeline: Pipeline,
    owner: String,
    lease: Duration,
    options: DaemonOptions,
}

/// The worker daemon: claims due feeds among `feeds` and runs them, `options.concurrency` at a
/// time, until `shutdown` completes; runs in flight then get `options.grace` to finish.
pub async fn run_workers(
    pipeline: Pipeline,
    feeds: Vec<FeedConfig>,
    options: DaemonOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (tx, mut rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = tx.send(true);
    });
    let feeds = scheduled(feeds);
    let ids: Vec<String> = feeds.keys().cloned().collect();
    let register = ids.clone();
    (pipeline.store())
        .call(move |s| s.register_feeds(&register))
        .await?;
    let worker = Arc::new(Worker {
        owner: worker_id(),
        lease: pipeline
            .settings()
            .worker_lease
            .max(Duration::from_millis(300)),
        pipeline,
        options,
    });
    let poll = (worker.lease / 4).min(MAX_POLL);
    let permits = Arc::new(Semaphore::new(worker.options.concurrency.max(1)));
    let feeds = Arc::new(feeds);
    let mut running = tokio::task::JoinSet::new();
    tracing::info!(worker = %worker.owner, feeds = ids.len(), "worker started");
    while !*rx.borrow() {
        for (id, permit) in worker.claim(&ids, &permits).await {
            let (worker, feeds, rx) = (worker.clone(), feeds.clone(), rx.clone());
            running.spawn(async move { worker.run(&feeds[&id], permit, rx).await });
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = rx.changed() => {}
            Some(_) = running.join_next() => {}
        }
    }
    while running.join_next().await.is_some() {}
    tracing::info!(worker = %worker.owner, "worker stopped");
    Ok(())
}

/// The feeds by id, each with its schedule; a feed with a bad schedule is left out (logged).
fn scheduled(feeds: Vec<FeedConfig>) -> HashMap<String, Scheduled> {
    feeds
        .into_iter()
        .filter_map(|feed| match parse_schedule(&feed.schedule) {
            Ok(schedule) => Some((feed.id.clone(), Scheduled { feed, schedule })),
            Err(e) => {
                tracing::error!(feed = %feed.id, error = %e, "feed disabled: bad schedule");
                None
            }
        })
        .collect()
}

impl Worker {
    /// Claims as many due feeds as there are free permits, each with its permit.
    async fn claim(
        &self,
        ids: &[String],
        permits: &Arc<Semaphore>,
    ) -> Vec<(String, OwnedSemaphorePermit)> {
        let free = permits.available_permits();
        if free == 0 {
            return Vec::new();
        }
        let (owner, ids, lease) = (self.owner.clone(), ids.to_vec(), self.lease);
        let store = self.pipeline.store();
        match store
            .call(move |s| s.claim_due(&owner, &ids, lease, free))
            .await
        {
            Ok(claimed) => claimed
                .into_iter()
                .filter_map(|id| Some((id, permits.clone().try_acquire_owned().ok()?)))
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim feeds");
                Vec::new()
            }
        }
    }

    /// Runs one claimed feed while renewing its lease, then hands it back with its next due time.
    async fn run(
        &self,
        s: &Scheduled,
        _permit: OwnedSemaphorePermit,
        mut rx: watch::Receiver<bool>,
    ) {
        let id = &s.feed.id;
        tracing::info!(feed = %id, worker = %self.owner, "feed claimed");
        let run = self.pipeline.run_feed(&s.feed);
        tokio::pin!(run);
        let report = tokio::select! {
            report = &mut run => Some(report),
            _ = self.keep_lease(id) => {
                tracing::warn!(feed = %id, "lease lost: run abandoned, another worker takes it");
                return;
            }
            _ = async { drop(rx.wait_for(|stop| *stop).await) } => {
                tokio::time::timeout(self.options.grace, &mut run).await.ok()
            }
        };
        let now = Utc::now();
        let next = match &report {
            Some(_) => next_slot(&s.schedule, now, now).map(|t| {
                t + chrono::Duration::from_std(jitter_for(id, &s.schedule)).unwrap_or_default()
            }),
            // Abandoned at shutdown: due again at once, for whichever worker is still running.
            None => Some(now),
        };
        self.release(id, next.unwrap_or(now + chrono::Duration::days(3650)))
            .await;
        match report {
            Some(report) => self.report(report),
            None => tracing::warn!(feed = %id, "run abandoned at shutdown"),
        }
    }

    /// Renews the lease on `feed` every third of its length; completes when it is lost: taken by
    /// another worker, or not renewed before it expired (the database out of reach).
    async fn keep_lease(&self, feed: &str) {
        let mut renewed = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(self.lease / 3).await;
            let (owner, id, lease) = (self.owner.clone(), feed.to_string(), self.lease);
            let asked = tokio::time::Instant::now();
            match (self.pipeline.store())
                .call(move |s| s.renew_lease(&owner, &id, lease))
                .await
            {
                Ok(true) => renewed = asked,
                Ok(false) => return,
                Err(e) => tracing::warn!(feed, error = %e, "cannot renew the lease"),
            }
            if renewed.elapsed() >= self.lease {
                return;
            }
        }
    }

    async fn release(&self, feed: &str, next: chrono::DateTime<Utc>) {
        let (owner, id) = (self.owner.clone(), feed.to_string());
        match (self.pipeline.store())
            .call(move |s| s.release_feed(&owner, &id, next))
            .await
        {
            Ok(true) => tracing::info!(feed, %next, "next run scheduled"),
            Ok(false) => tracing::warn!(feed, "lease was lost before the run ended"),
            Err(e) => tracing::warn!(feed, error = %e, "cannot hand the feed back"),
        }
    }

    fn report(&self, report: FeedReport) {
        crate::schedule::log_report(&report);
        if let Some(tx) = &self.options.reports {
            let _ = tx.send(report);
        }
    }
}
