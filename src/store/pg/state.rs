//! Feed state and the fetch log on PostgreSQL, with the semantics of the SQLite engine's
//! `state.rs`.
//!
//! Does not own items (`items.rs`), worker leases (`claims.rs`) or the connection (`mod.rs`).

use chrono::{DateTime, Utc};

use super::super::{FeedState, FetchLogEntry, HostHold, RulesHealth, StoreError};
use super::{PgStore, int, ms, uint};

impl PgStore {
    pub(in crate::store) fn feed_states_where(
        &self,
        feed: Option<&str>,
    ) -> Result<Vec<FeedState>, StoreError> {
        self.with(async |c| {
            let rows = c
                .query(
                    "SELECT id, etag, last_modified, title, site_url, description, last_attempt,
                            last_success, last_error, consecutive_failures, next_allowed,
                            (SELECT COUNT(*) FROM items
                             WHERE items.feed = feeds.id AND NOT pruned),
                            last_run_failed, last_item_error,
                            (SELECT COUNT(*) FROM items
                             WHERE items.feed = feeds.id AND NOT pruned AND fallback),
                            rules_applied, rules_missed, rules_applied_total, rules_missed_total,
                            rules_login
                     FROM feeds
                     WHERE ($1::text IS NULL OR id = $1)
                       AND (last_attempt IS NOT NULL OR last_success IS NOT NULL)
                     ORDER BY id",
                    &[&feed],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|r| FeedState {
                    id: r.get(0),
                    etag: r.get(1),
                    last_modified: r.get(2),
                    title: r.get(3),
                    site_url: r.get(4),
                    description: r.get(5),
                    last_attempt: r.get(6),
                    last_success: r.get(7),
                    last_error: r.get(8),
                    consecutive_failures: uint(r.get(9)),
                    next_allowed: r.get(10),
                    item_count: r.get::<_, i64>(11).max(0) as u64,
                    last_run_failed: uint(r.get(12)),
                    last_item_error: r.get(13),
                    teaser_count: r.get::<_, i64>(14).max(0) as u64,
                    rules: RulesHealth {
                        applied: uint(r.get(15)),
                        missed: uint(r.get(16)),
                        applied_total: r.get::<_, i64>(17).max(0) as u64,
                        missed_total: r.get::<_, i64>(18).max(0) as u64,
                        login_hosts: RulesHealth::login_from_column(r.get(19)),
                    },
                })
                .collect())
        })
    }

    pub(in crate::store) fn record_feed_success(
        &self,
        state: &FeedState,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let at = ms(at);
        self.with(async |c| {
            c.execute(
                "INSERT INTO feeds (id, etag, last_modified, title, site_url, description,
                                    last_attempt, last_success, last_error, consecutive_failures,
                                    next_allowed, last_run_failed, last_item_error)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7, NULL, 0, NULL, $8, $9)
                 ON CONFLICT (id) DO UPDATE SET
                    etag = COALESCE($2, feeds.etag),
                    last_modified = COALESCE($3, feeds.last_modified),
                    title = COALESCE($4, feeds.title),
                    site_url = COALESCE($5, feeds.site_url),
                    description = COALESCE($6, feeds.description),
                    last_attempt = $7, last_success = $7, last_error = NULL,
                    consecutive_failures = 0, next_allowed = NULL,
                    last_run_failed = $8, last_item_error = $9",
                &[
                    &state.id,
                    &state.etag,
                    &state.last_modified,
                    &state.title,
                    &state.site_url,
                    &state.description,
                    &at,
                    &int(state.last_run_failed),
                    &state.last_item_error,
                ],
            )
            .await?;
            Ok(())
        })
    }

    pub(in crate::store) fn record_rules_run(
        &self,
        feed: &str,
        run: &RulesHealth,
    ) -> Result<(), StoreError> {
        self.with(async |c| {
            c.execute(
                "UPDATE feeds SET rules_applied = $2, rules_missed = $3,
                    rules_applied_total = rules_applied_total + $4,
                    rules_missed_total = rules_missed_total + $5, rules_login = $6
                 WHERE id = $1",
                &[
                    &feed,
                    &int(run.applied),
                    &int(run.missed),
                    &i64::from(run.applied),
                    &i64::from(run.missed),
                    &run.login_column(),
                ],
            )
            .await?;
            Ok(())
        })
    }

    pub(in crate::store) fn record_feed_failure(
        &self,
        feed: &str,
        error: &str,
        at: DateTime<Utc>,
        backoff: impl FnOnce(u32) -> chrono::Duration,
    ) -> Result<u32, StoreError> {
        let at = ms(at);
        self.with(async |c| {
            let tx = c.transaction().await?;
            // The row first, so the lock below always has something to lock.
            tx.execute(
                "INSERT INTO feeds (id) VALUES ($1) ON CONFLICT (id) DO NOTHING",
                &[&feed],
            )
            .await?;
            let before: i32 = tx
                .query_one(
                    "SELECT consecutive_failures FROM feeds WHERE id = $1 FOR UPDATE",
                    &[&feed],
                )
                .await?
                .get(0);
            let failures = uint(before) + 1;
            let next = ms(at + backoff(failures));
            tx.execute(
                "UPDATE feeds SET last_attempt = $2, last_error = $3, consecutive_failures = $4,
                    next_allowed = $5
                 WHERE id = $1",
                &[&feed, &at, &error, &int(failures), &next],
            )
            .await?;
            tx.commit().await?;
            Ok(failures)
        })
    }

    pub(in crate::store) fn hold_hosts(
        &self,
        holds: &[HostHold],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.with(async |c| {
            let tx = c.transaction().await?;
            tx.execute("DELETE FROM host_holds WHERE until < $1", &[&ms(now)])
                .await?;
            for h in holds {
                tx.execute(
                    "INSERT INTO host_holds (host, until, reason) VALUES ($1, $2, $3)
                     ON CONFLICT (host) DO UPDATE SET
                        reason = CASE WHEN $2 > host_holds.until THEN $3 ELSE host_holds.reason END,
                        until = GREATEST(host_holds.until, $2)",
                    &[&h.host, &ms(h.until), &h.reason],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub(in crate::store) fn host_holds(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<HostHold>, StoreError> {
        self.with(async |c| {
            let rows = c
                .query(
                    "SELECT host, until, reason FROM host_holds WHERE until > $1 ORDER BY host",
                    &[&ms(now)],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|r| HostHold {
                    host: r.get(0),
                    until: r.get(1),
                    reason: r.get(2),
                })
                .collect())
        })
    }

    pub(in crate::store) fn log_fetch(&self, entry: &FetchLogEntry) -> Result<(), StoreError> {
        let at = ms(entry.at);
        self.with(async |c| {
            let id: i64 = c
                .query_one(
                    "INSERT INTO fetch_log (at, feed, url, status, outcome, millis, bytes)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    &[
                        &at,
                        &entry.feed,
                        &entry.url,
                        &entry.status.map(i32::from),
                        &entry.outcome,
                        &(entry.millis.min(i64::MAX as u64) as i64),
                        &(entry.bytes.min(i64::MAX as u64) as i64),
                    ],
                )
                .await?
                .get(0);
            if id % 1000 == 0 {
                let cutoff = at - chrono::Duration::days(30);
                c.execute("DELETE FROM fetch_log WHERE at < $1", &[&cutoff])
                    .await?;
            }
            Ok(())
        })
    }

    pub(in crate::store) fn fetch_log(
        &self,
        limit: usize,
    ) -> Result<Vec<FetchLogEntry>, StoreError> {
        let limit = limit.min(i64::MAX as usize) as i64;
        self.with(async |c| {
            let rows = c
                .query(
                    "SELECT at, feed, url, status, outcome, millis, bytes FROM fetch_log
                     ORDER BY id DESC LIMIT $1",
                    &[&limit],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|r| FetchLogEntry {
                    at: r.get(0),
                    feed: r.get(1),
                    url: r.get(2),
                    status: r
                        .get::<_, Option<i32>>(3)
                        .and_then(|s| u16::try_from(s).ok()),
                    outcome: r.get(4),
                    millis: r.get::<_, i64>(5).max(0) as u64,
                    bytes: r.get::<_, i64>(6).max(0) as u64,
                })
                .collect())
        })
    }
}
