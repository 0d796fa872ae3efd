//! Scheduling: one cron timer per feed, bounded concurrency, graceful shutdown; the daemon.
//!
//! Owns: parsing schedules (5-field crontab lines as well as the cron crate's 6/7-field form),
//! computing fire times (pure functions of a given time, so they are tested without a clock), the
//! per-feed timer tasks with their back-off after failures, and one-off runs over many feeds.
//! Does not own: what a feed run does (`pipeline`), the HTTP server (`serve`; the app runs it
//! beside the daemon), or logging set-up (`app`).

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Semaphore, watch};

use crate::pipeline::{FeedConfig, FeedReport, Pipeline};

/// Feed passes allowed to run at once when the configuration does not say.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Upper bound of the per-feed offset added to each fire time.
const MAX_JITTER: Duration = Duration::from_secs(60);
/// How long an in-flight feed pass may take, after shutdown was requested, to store and publish
/// what it read (it fetches nothing more) before it is abandoned. Abandoning is safe: the store
/// commits per item and publish renames whole files.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("invalid schedule {expr:?}: {message} (use a crontab line such as \"*/30 * * * *\")")]
    Invalid { expr: String, message: String },
}

/// Parses a cron expression: standard 5-field crontab lines as well as the cron crate's 6/7-field
/// form with seconds. `check` validates feed files with it too.
pub fn parse_schedule(expr: &str) -> Result<cron::Schedule, ScheduleError> {
    parse_cron_line(expr).map_err(|message| ScheduleError::Invalid {
        expr: expr.to_string(),
        message,
    })
}

/// Parses a cron line: standard 5-field crontab lines (minute first) get a `0` seconds field
/// prepended, because the cron crate wants seconds; 6- and 7-field lines are taken as they are.
pub fn parse_cron_line(line: &str) -> Result<cron::Schedule, String> {
    let fields = line.split_whitespace().count();
    let normalized = match fields {
        5 => format!("0 {}", line.trim()),
        6 | 7 => line.trim().to_string(),
        n => {
            return Err(format!(
                "a cron line has 5 fields (minute hour day month weekday) or 6 with seconds first; this one has {n}"
            ));
        }
    };
    cron::Schedule::from_str(&normalized).map_err(|e| e.to_string())
}

/// The first scheduled time strictly after `after`.
pub fn next_after(schedule: &cron::Schedule, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    schedule.after(&after).next()
}

/// A per-feed offset added to every fire time, so that feeds sharing a schedule (the common case:
/// the default) do not all hit the network in the same second. Derived from the feed id, so it is
/// stable across restarts and easy to reason about; at most a tenth of the interval and a minute.
pub fn jitter_for(feed_id: &str, schedule: &cron::Schedule) -> Duration {
    let reference = DateTime::UNIX_EPOCH + chrono::Duration::days(20_000);
    let mut upcoming = schedule.after(&reference);
    let interval = match (upcoming.next(), upcoming.next()) {
        (Some(a), Some(b)) => (b - a).to_std().unwrap_or_default(),
        _ => Duration::ZERO,
    };
    let max = (interval / 10).min(MAX_JITTER);
    if max.is_zero() {
        return Duration::ZERO;
    }
    // FNV-1a: stable across Rust versions, unlike the std hasher.
    let hash = feed_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    Duration::from_millis(hash % max.as_millis().max(1) as u64)
}

/// The next slot to run after the previous slot `last` at wall time `now`. Slots missed while a
/// run was busy (or the machine slept) are skipped rather than run back to back.
pub fn next_slot(
    schedule: &cron::Schedule,
    last: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    next_after(schedule, last.max(now))
}

/// When the daemon will next run `feed`, seen at `now`: its next slot plus the feed's jitter,
/// skipping the slots a back-off (`next_allowed`) makes it pass over. `None` when the schedule is
/// invalid or has no future times.
pub fn next_run(
    feed: &FeedConfig,
    next_allowed: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let schedule = parse_schedule(&feed.schedule).ok()?;
    let jitter = chrono::Duration::from_std(jitter_for(&feed.id, &schedule)).ok()?;
    // A run happens at `slot + jitter` unless a back-off still holds at that moment.
    let earliest = next_allowed.map_or(now, |t| t.max(now));
    let slot = next_after(
        &schedule,
        earliest - jitter - chrono::Duration::milliseconds(1),
    )?;
    Some(slot + jitter)
}

/// Settings of the daemon that are not per feed.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// Feed passes running at once, across all feeds.
    pub concurrency: usize,
    /// See [`SHUTDOWN_GRACE`].
    pub grace: Duration,
    /// Receives every finished feed run's report (for status displays and tests).
    pub reports: Option<tokio::sync::mpsc::UnboundedSender<FeedReport>>,
    /// Called on the blocking pool whenever the last feed pass in flight ends (the binary
    /// returns memory freed by the passes to the system there).
    pub idle: Option<fn()>,
}

impl Default for DaemonOptions {
    fn default() -> Self {
        DaemonOptions {
            concurrency: DEFAULT_CONCURRENCY,
            grace: SHUTDOWN_GRACE,
            reports: None,
            idle: None,
        }
    }
}

/// Completes once shutdown was signalled (or its sender is gone).
async fn stopped(rx: &mut watch::Receiver<bool>) {
    while !*rx.borrow_and_update() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// The daemon: every feed of `feeds` on its schedule (feeds without published files once right
/// away) until `shutdown` completes. In-flight passes then stop fetching, store and publish what
/// they read, and get `options.grace` to do so. Serving
/// the feeds is not this module's job: the caller runs the server beside it.
pub async fn run_daemon(
    pipeline: Pipeline,
    feeds: Vec<FeedConfig>,
    options: DaemonOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (tx, rx) = watch::channel(false);
    let stopper = pipeline.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.stop_fetching();
        let _ = tx.send(true);
    });
    let public = pipeline.settings().public_dir();
    let permits = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for feed in feeds {
        let schedule = match parse_schedule(&feed.schedule) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(feed = %feed.id, error = %e, "feed disabled: bad schedule");
                continue;
            }
        };
        let run_now = !public.join(format!("{}.rss", feed.id)).exists();
        tasks.spawn(feed_loop(
            pipeline.clone(),
            feed,
            schedule,
            run_now,
            permits.clone(),
            options.clone(),
            rx.clone(),
        ));
    }
    tracing::info!(feeds = tasks.len(), "daemon started");
    while let Some(joined) = tasks.join_next().await {
        if let Err(e) = joined {
            tracing::error!(error = %e, "feed task ended abnormally");
        }
    }
    tracing::info!("daemon stopped");
    Ok(())
}

/// Runs each feed once, at most `concurrency` at a time (each on its own task, so extraction work
/// spreads over the cores), and returns the reports in the order of `feeds`.
pub async fn run_all(
    pipeline: &Pipeline,
    feeds: &[FeedConfig],
    concurrency: usize,
) -> Vec<FeedReport> {
    run_all_with(pipeline, feeds, concurrency, |_| {}).await
}

/// [`run_all`], calling `on_report` with each report as its feed finishes (for progress displays).
pub async fn run_all_with(
    pipeline: &Pipeline,
    feeds: &[FeedConfig],
    concurrency: usize,
    mut on_report: impl FnMut(&FeedReport),
) -> Vec<FeedReport> {
    use futures_util::StreamExt;
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    // One pass: feeds listing the same article share its fetch; the share ends with the pass.
    let pipeline = &pipeline.sharing(Default::default());
    let mut running: futures_util::stream::FuturesUnordered<_> = feeds
        .iter()
        .cloned()
        .enumerate()
        .map(|(pos, feed)| {
            let pipeline = pipeline.clone();
            let permits = permits.clone();
            let id = feed.id.clone();
            let handle = tokio::spawn(async move {
                let _permit = permits.acquire_owned().await;
                pipeline.run_feed(&feed).await
            });
            async move {
                let report = handle.await.unwrap_or_else(|e| FeedReport {
                    feed: id,
                    error: Some(format!("the feed run crashed: {e}")),
                    ..Default::default()
                });
                (pos, report)
            }
        })
        .collect();
    let mut reports: Vec<Option<FeedReport>> = vec![None; feeds.len()];
    while let Some((pos, report)) = running.next().await {
        on_report(&report);
        reports[pos] = Some(report);
    }
    reports.into_iter().flatten().collect()
}

/// One feed's timer: wait for its next slot (plus its jitter), take a permit, run, repeat.
async fn feed_loop(
    pipeline: Pipeline,
    feed: FeedConfig,
    schedule: cron::Schedule,
    run_now: bool,
    permits: Arc<Semaphore>,
    options: DaemonOptions,
    mut rx: watch::Receiver<bool>,
) {
    let jitter = jitter_for(&feed.id, &schedule);
    let mut last = Utc::now();
    let mut due_now = run_now;
    // The runs at start-up are one pass; after that, each slot is one (see `Pipeline::in_pass`).
    let mut pass = DateTime::<Utc>::MIN_UTC;
    loop {
        if !due_now {
            let Some(slot) = next_slot(&schedule, last, Utc::now()) else {
                tracing::warn!(feed = %feed.id, "schedule has no future times; feed stops");
                return;
            };
            last = slot;
            pass = slot;
            let wait = (slot - Utc::now()).to_std().unwrap_or_default() + jitter;
            tracing::info!(feed = %feed.id, next = %slot, "next run scheduled");
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stopped(&mut rx) => return,
            }
        }
        due_now = false;
        if let Some(until) = backoff_until(&pipeline, &feed.id, Utc::now()).await {
            tracing::info!(feed = %feed.id, %until, "backing off after failures; run skipped");
            continue;
        }
        let permit = tokio::select! {
            p = permits.acquire() => match p { Ok(p) => p, Err(_) => return },
            _ = stopped(&mut rx) => return,
        };
        let in_pass = pipeline.in_pass(pass);
        let run = in_pass.run_feed(&feed);
        tokio::pin!(run);
        let report = tokio::select! {
            report = &mut run => Some(report),
            _ = stopped(&mut rx) => tokio::time::timeout(options.grace, &mut run).await.ok(),
        };
        match report {
            Some(report) => {
                log_report(&report);
                if let Some(tx) = &options.reports {
                    let _ = tx.send(report);
                }
            }
            None => tracing::warn!(feed = %feed.id, "run abandoned at shutdown"),
        }
        drop(permit);
        let quiet = permits.available_permits() == options.concurrency.max(1);
        if let Some(idle) = options.idle.filter(|_| quiet) {
            tokio::task::spawn_blocking(idle);
        }
        if *rx.borrow() {
            return;
        }
    }
}

/// When a feed failed recently, the store holds a time before which it should not run again
/// (growing with consecutive failures, or what the server asked for). Returns it if still ahead.
async fn backoff_until(
    pipeline: &Pipeline,
    feed: &str,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let id = feed.to_string();
    match pipeline.store().call(move |s| s.feed_state(&id)).await {
        Ok(state) => still_backing_off(state.and_then(|s| s.next_allowed), now),
        Err(e) => {
            // Not knowing is no reason to stop the feed; the run itself will report a broken store.
            tracing::warn!(feed, error = %e, "cannot read the feed's state");
            None
        }
    }
}

fn still_backing_off(
    next_allowed: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    next_allowed.filter(|&t| t > now)
}

/// Logs a finished run's report (the daemon's and the workers' one line per run).
pub(crate) fn log_report(r: &FeedReport) {
    match &r.error {
        Some(error) => tracing::warn!(feed = %r.feed, %error, "feed failed"),
        None => tracing::info!(
            feed = %r.feed, new = r.new, updated = r.updated,
            unchanged = r.unchanged, failed = r.failed, "feed updated"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, s).unwrap()
    }

    #[test]
    fn five_field_lines_get_a_seconds_field() {
        let five = parse_schedule("*/30 * * * *").unwrap();
        assert_eq!(next_after(&five, at(10, 5, 0)), Some(at(10, 30, 0)));
        assert_eq!(next_after(&five, at(10, 30, 0)), Some(at(11, 0, 0)));
        let six = parse_schedule("15 */10 * * * *").unwrap();
        assert_eq!(next_after(&six, at(10, 5, 0)), Some(at(10, 10, 15)));
        let daily = parse_schedule(" 0 6 * * * ").unwrap();
        assert_eq!(
            next_after(&daily, at(7, 0, 0)),
            Some(Utc.with_ymd_and_hms(2026, 3, 3, 6, 0, 0).unwrap())
        );
    }

    #[test]
    fn bad_schedules_are_errors_naming_the_expression() {
        for bad in ["", "every hour", "61 * * * *", "* * *"] {
            let err = parse_schedule(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn missed_slots_are_skipped() {
        let s = parse_schedule("*/10 * * * *").unwrap();
        // The last slot was 10:00, the run overran until 10:37: next is 10:40, not 10:10.
        assert_eq!(
            next_slot(&s, at(10, 0, 0), at(10, 37, 0)),
            Some(at(10, 40, 0))
        );
        // On time: the slot after the last one.
        assert_eq!(
            next_slot(&s, at(10, 0, 0), at(10, 0, 1)),
            Some(at(10, 10, 0))
        );
        // The wall clock behind the last slot (clock stepped back): still after the last slot.
        assert_eq!(
            next_slot(&s, at(10, 10, 0), at(10, 2, 0)),
            Some(at(10, 20, 0))
        );
    }

    #[test]
    fn a_backoff_in_the_future_skips_the_run() {
        assert_eq!(
            still_backing_off(Some(at(10, 30, 0)), at(10, 0, 0)),
            Some(at(10, 30, 0))
        );
        assert_eq!(still_backing_off(Some(at(9, 0, 0)), at(10, 0, 0)), None);
        assert_eq!(still_backing_off(None, at(10, 0, 0)), None);
    }

    #[test]
    fn next_run_is_the_next_slot_with_jitter_after_any_backoff() {
        let mut feed =
            FeedConfig::from_feed_url("f", url::Url::parse("https://e.example/").unwrap());
        feed.schedule = "*/10 * * * *".into();
        let jitter = jitter_for("f", &parse_schedule(&feed.schedule).unwrap());
        let jitter = chrono::Duration::from_std(jitter).unwrap();
        assert_eq!(
            next_run(&feed, None, at(10, 3, 0)),
            Some(at(10, 10, 0) + jitter)
        );
        // Backing off until 10:25: the 10:20 slot is skipped.
        assert_eq!(
            next_run(&feed, Some(at(10, 25, 0)), at(10, 3, 0)),
            Some(at(10, 30, 0) + jitter)
        );
        // A back-off already over changes nothing.
        assert_eq!(
            next_run(&feed, Some(at(9, 0, 0)), at(10, 3, 0)),
            Some(at(10, 10, 0) + jitter)
        );
        feed.schedule = "whenever".into();
        assert_eq!(next_run(&feed, None, at(10, 3, 0)), None);
    }

    #[test]
    fn jitter_is_stable_small_and_spreads_feeds() {
        let every_30 = parse_schedule(crate::pipeline::DEFAULT_SCHEDULE).unwrap();
        let a = jitter_for("harbour", &every_30);
        assert_eq!(a, jitter_for("harbour", &every_30));
        assert!(a < Duration::from_secs(60));
        let distinct: std::collections::HashSet<_> = (0..20)
            .map(|i| jitter_for(&format!("feed-{i}"), &every_30))
            .collect();
        assert!(distinct.len() > 10, "{distinct:?}");
        // Every minute: at most a tenth of it.
        let every_minute = parse_schedule("* * * * *").unwrap();
        for i in 0..50 {
            assert!(jitter_for(&format!("f{i}"), &every_minute) < Duration::from_secs(6));
        }
    }
}
