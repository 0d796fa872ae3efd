//! What lets several workers share one PostgreSQL database: feeds claimed under a lease, and the
//! spacing of requests to one host kept across every worker.
//!
//! A feed is due when its `next_run_at` has passed (and any back-off `next_allowed` too). A worker
//! claims due feeds with `SELECT … FOR UPDATE SKIP LOCKED`, so two workers claiming at once get
//! different feeds, and writes a lease (`lease_owner`, `lease_until`, on the database's clock). It
//! renews the lease while the run lasts and clears it with the next due time when the run ends. A
//! worker that dies stops renewing: once its lease expires, the feed is due for anyone again.
//!
//! Host spacing: `host_slots` holds, per host, the earliest time the next request may start. A
//! worker about to request a host moves that time on by the spacing and starts at the old value:
//! requests to one host from every worker together keep the configured spacing.
//!
//! Does not own the schedule (the caller passes the next due time) or the connection (`mod.rs`).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::super::StoreError;
use super::{PgStore, ms};

impl PgStore {
    /// Makes the configured feeds known to every worker; a feed new to the database is due now.
    pub(in crate::store) fn register_feeds(&self, ids: &[String]) -> Result<(), StoreError> {
        self.with(async |c| {
            c.execute(
                "INSERT INTO feeds (id, next_run_at) SELECT unnest($1::text[]), now()
                 ON CONFLICT (id) DO UPDATE SET next_run_at = COALESCE(feeds.next_run_at, now())",
                &[&ids],
            )
            .await?;
            Ok(())
        })
    }

    /// Claims at most `limit` of the due feeds among `ids` that no live lease holds, for
    /// `owner`, for `lease`. Returns their ids, the longest overdue first.
    pub(in crate::store) fn claim_due(
        &self,
        owner: &str,
        ids: &[String],
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let limit = limit.min(i64::MAX as usize) as i64;
        let lease_ms = lease.as_millis().min(i64::MAX as u128) as f64;
        self.with(async |c| {
            let rows = c
                .query(
                    "UPDATE feeds SET lease_owner = $1,
                        lease_until = now() + $2 * interval '1 millisecond'
                     WHERE id IN (
                        SELECT id FROM feeds
                        WHERE id = ANY($3) AND next_run_at <= now()
                          AND (next_allowed IS NULL OR next_allowed <= now())
                          AND (lease_until IS NULL OR lease_until < now())
                        ORDER BY next_run_at LIMIT $4
                        FOR UPDATE SKIP LOCKED)
                     RETURNING id, next_run_at",
                    &[&owner, &lease_ms, &ids, &limit],
                )
                .await?;
            let mut due: Vec<(DateTime<Utc>, String)> =
                rows.iter().map(|r| (r.get(1), r.get(0))).collect();
            due.sort();
            Ok(due.into_iter().map(|(_, id)| id).collect())
        })
    }

    /// Extends `owner`'s lease on `feed`. False when the lease is no longer `owner`'s (it expired
    /// and another worker took the feed).
    pub(in crate::store) fn renew_lease(
        &self,
        owner: &str,
        feed: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let lease_ms = lease.as_millis().min(i64::MAX as u128) as f64;
        self.with(async |c| {
            let n = c
                .execute(
                    "UPDATE feeds SET lease_until = now() + $3 * interval '1 millisecond'
                     WHERE id = $1 AND lease_owner = $2 AND lease_until >= now()",
                    &[&feed, &owner, &lease_ms],
                )
                .await?;
            Ok(n == 1)
        })
    }

    /// Ends `owner`'s lease on `feed`, which is next due at `next_run_at`. False when the lease was
    /// no longer `owner`'s.
    pub(in crate::store) fn release_feed(
        &self,
        owner: &str,
        feed: &str,
        next_run_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let next = ms(next_run_at);
        self.with(async |c| {
            let n = c
                .execute(
                    "UPDATE feeds SET lease_owner = NULL, lease_until = NULL, next_run_at = $3
                     WHERE id = $1 AND lease_owner = $2",
                    &[&feed, &owner, &next],
                )
                .await?;
            Ok(n == 1)
        })
    }

    /// Makes the feeds `ids` due now (those not leased are claimed at the workers' next look).
    pub(in crate::store) fn make_due(&self, ids: &[String]) -> Result<(), StoreError> {
        self.with(async |c| {
            c.execute(
                "UPDATE feeds SET next_run_at = now() WHERE id = ANY($1)",
                &[&ids],
            )
            .await?;
            Ok(())
        })
    }

    /// Reserves the next start of a request to `host`, `spacing` after the previous one by any
    /// worker. Returns how long to wait before starting.
    pub(in crate::store) fn reserve_host(
        &self,
        host: &str,
        spacing: Duration,
    ) -> Result<Duration, StoreError> {
        let spacing_ms = spacing.as_millis().min(i64::MAX as u128) as f64;
        self.with(async |c| {
            let row = c
                .query_one(
                    "INSERT INTO host_slots AS s (host, next_at)
                     VALUES ($1, clock_timestamp() + $2 * interval '1 millisecond')
                     ON CONFLICT (host) DO UPDATE SET next_at =
                        GREATEST(s.next_at, clock_timestamp()) + $2 * interval '1 millisecond'
                     RETURNING GREATEST(0, EXTRACT(EPOCH FROM (next_at - clock_timestamp()))
                                           * 1000 - $2)::float8",
                    &[&host, &spacing_ms],
                )
                .await?;
            let wait_ms: f64 = row.get(0);
            Ok(Duration::from_secs_f64(wait_ms.max(0.0) / 1000.0))
        })
    }
}
