//! What workers sharing one database do with it: register the configured feeds, claim due feeds
//! under a lease, renew and release the lease, and reserve the next request slot of a host. These
//! need a shared (PostgreSQL) store; a SQLite store refuses them with
//! [`StoreError::NeedsPostgres`]. The queries are in `pg/claims.rs`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Store, StoreError, pg::PgStore};

impl Store {
    fn shared(&self, what: &'static str) -> Result<&PgStore, StoreError> {
        self.pg().ok_or(StoreError::NeedsPostgres(what))
    }

    /// Makes the configured feeds `ids` known to every worker; a feed new to the database is due
    /// at once.
    pub fn register_feeds(&self, ids: &[String]) -> Result<(), StoreError> {
        self.shared("registering feeds for workers")?
            .register_feeds(ids)
    }

    /// Claims for `owner` at most `limit` due feeds among `ids` that no live lease holds, each
    /// under a lease of `lease`; two workers claiming at once never get the same feed.
    pub fn claim_due(
        &self,
        owner: &str,
        ids: &[String],
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.shared("claiming feeds")?
            .claim_due(owner, ids, lease, limit)
    }

    /// Extends `owner`'s lease on `feed` by `lease` from now; false when the lease was lost (it
    /// expired and the feed may be another worker's now).
    pub fn renew_lease(
        &self,
        owner: &str,
        feed: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        self.shared("feed leases")?.renew_lease(owner, feed, lease)
    }

    /// Ends `owner`'s lease on `feed` and sets when it is next due; false when the lease was lost.
    pub fn release_feed(
        &self,
        owner: &str,
        feed: &str,
        next_run_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.shared("feed leases")?
            .release_feed(owner, feed, next_run_at)
    }

    /// Makes the feeds `ids` due at once for every worker, whatever their schedule says.
    pub fn make_due(&self, ids: &[String]) -> Result<(), StoreError> {
        self.shared("making feeds due")?.make_due(ids)
    }

    /// Reserves the next start of a request to `host`, `spacing` after the previous one made by
    /// any worker; returns how long to wait before starting it.
    pub fn reserve_host(&self, host: &str, spacing: Duration) -> Result<Duration, StoreError> {
        self.shared("shared host spacing")?
            .reserve_host(host, spacing)
    }
}
