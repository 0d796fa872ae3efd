//! Feed state (validators, source metadata, failures and back-off), hosts on hold, and the fetch
//! log.
//!
//! Does not own items (`items.rs`), the schema (`schema.rs`) or the connection (`mod.rs`).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, parse_ts, req_ts, ts};

/// One feed's fetch state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedState {
    pub id: String,
    /// Validators of the source, for the next conditional GET.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// What the source says about itself (used when publishing).
    pub title: Option<String>,
    pub site_url: Option<String>,
    pub description: Option<String>,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    /// The last run's failure, cleared by a success.
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    /// Before this, a scheduler should not run the feed again (back-off after failures).
    pub next_allowed: Option<DateTime<Utc>>,
    /// Items currently published (not pruned).
    pub item_count: u64,
    /// Articles the last successful run could not read (the feed itself was read); each is
    /// stored as a teaser fallback or dropped (404/410).
    pub last_run_failed: u32,
    /// Why the last of those failed (fetch or extraction error), for `status`.
    pub last_item_error: Option<String>,
    /// Published items that show only the source's teaser (their article was never read).
    pub teaser_count: u64,
    /// How the site rules of the feed's article hosts fared.
    pub rules: RulesHealth,
}

/// How a feed's site rules fared: articles read whose host's rules name a body, and how many of
/// those the body rule did not match (a stale rule), for the latest run that read such articles
/// and since the feed was first run; and the hosts whose rules need a login to show articles.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RulesHealth {
    pub applied: u32,
    pub missed: u32,
    pub applied_total: u64,
    pub missed_total: u64,
    /// Hosts whose rule files were not applied because the site needs a login (latest run).
    pub login_hosts: Vec<String>,
}

impl RulesHealth {
    /// Whether a run with these figures says anything (read an article with rules, or met a
    /// host needing a login); a run that says nothing keeps the previous run's figures.
    pub fn says_anything(&self) -> bool {
        self.applied > 0 || !self.login_hosts.is_empty()
    }

    /// One line for `status` and the index page: how the latest run's articles fared and which
    /// hosts need a login; `None` when no run read an article with site rules.
    pub fn summary(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.applied > 0 {
            let (verdict, n) = match self.missed {
                0 => ("matched", self.applied),
                missed => ("missed", missed),
            };
            let noun = if self.applied == 1 {
                "article"
            } else {
                "articles"
            };
            parts.push(format!(
                "site rules {verdict} {n} of {} {noun}",
                self.applied
            ));
            if self.missed_total > u64::from(self.missed) {
                parts.push(format!("{} missed in all", self.missed_total));
            }
        }
        if !self.login_hosts.is_empty() {
            let hosts = self.login_hosts.join(", ");
            parts.push(format!("rules not applied, login needed: {hosts}"));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// The login hosts as stored: space-separated, `None` for none.
    pub(super) fn login_column(&self) -> Option<String> {
        (!self.login_hosts.is_empty()).then(|| self.login_hosts.join(" "))
    }

    pub(super) fn login_from_column(stored: Option<String>) -> Vec<String> {
        let stored = stored.unwrap_or_default();
        stored.split_whitespace().map(str::to_string).collect()
    }
}

/// One HTTP fetch, for the log.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchLogEntry {
    pub at: DateTime<Utc>,
    pub feed: String,
    pub url: String,
    /// HTTP status when the server answered.
    pub status: Option<u16>,
    /// "ok", "not-modified", or the error.
    pub outcome: String,
    pub millis: u64,
    pub bytes: u64,
}

/// A host on hold: requests to it wait until `until` (a long Retry-After, a failure streak).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostHold {
    pub host: String,
    pub until: DateTime<Utc>,
    /// Why, as the fetcher said it (e.g. `HTTP 429 with Retry-After 120s`); empty for a hold
    /// kept by a version that did not record reasons.
    pub reason: String,
}

impl Store {
    pub fn feed_state(&self, feed: &str) -> Result<Option<FeedState>, StoreError> {
        Ok(self.feed_states_where(Some(feed))?.into_iter().next())
    }

    /// Every feed that has been run at least once, by id.
    pub fn feed_states(&self) -> Result<Vec<FeedState>, StoreError> {
        self.feed_states_where(None)
    }

    fn feed_states_where(&self, feed: Option<&str>) -> Result<Vec<FeedState>, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.feed_states_where(feed);
        }
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, etag, last_modified, title, site_url, description, last_attempt,
                        last_success, last_error, consecutive_failures, next_allowed,
                        (SELECT COUNT(*) FROM items WHERE items.feed = feeds.id AND pruned = 0),
                        last_run_failed, last_item_error,
                        (SELECT COUNT(*) FROM items
                         WHERE items.feed = feeds.id AND pruned = 0 AND fallback = 1),
                        rules_applied, rules_missed, rules_applied_total, rules_missed_total,
                        rules_login
                 FROM feeds WHERE ?1 IS NULL OR id = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map(params![feed], |r| {
                Ok((
                    FeedState {
                        id: r.get(0)?,
                        etag: r.get(1)?,
                        last_modified: r.get(2)?,
                        title: r.get(3)?,
                        site_url: r.get(4)?,
                        description: r.get(5)?,
                        last_error: r.get(8)?,
                        consecutive_failures: r.get(9)?,
                        item_count: r.get::<_, i64>(11)? as u64,
                        last_run_failed: r.get(12)?,
                        last_item_error: r.get(13)?,
                        teaser_count: r.get::<_, i64>(14)? as u64,
                        rules: RulesHealth {
                            applied: r.get(15)?,
                            missed: r.get(16)?,
                            applied_total: r.get::<_, i64>(17)? as u64,
                            missed_total: r.get::<_, i64>(18)? as u64,
                            login_hosts: RulesHealth::login_from_column(r.get(19)?),
                        },
                        ..Default::default()
                    },
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<String>>(10)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (mut state, attempt, success, next) = row?;
                state.last_attempt = parse_ts("last_attempt", attempt)?;
                state.last_success = parse_ts("last_success", success)?;
                state.next_allowed = parse_ts("next_allowed", next)?;
                out.push(state);
            }
            Ok(out)
        })
    }

    /// A successful read of the feed's source: new validators and source metadata (each `None`
    /// keeps what is stored, so a 304 run changes only the times), failures reset. The run's
    /// article failures (`last_run_failed`, `last_item_error`) replace the previous run's.
    pub fn record_feed_success(
        &self,
        state: &FeedState,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if let Some(pg) = self.pg() {
            return pg.record_feed_success(state, at);
        }
        self.with(|conn| {
            conn.execute(
                "INSERT INTO feeds (id, etag, last_modified, title, site_url, description,
                                    last_attempt, last_success, last_error, consecutive_failures,
                                    next_allowed, last_run_failed, last_item_error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, NULL, 0, NULL, ?8, ?9)
                 ON CONFLICT (id) DO UPDATE SET
                    etag = COALESCE(?2, etag),
                    last_modified = COALESCE(?3, last_modified),
                    title = COALESCE(?4, title),
                    site_url = COALESCE(?5, site_url),
                    description = COALESCE(?6, description),
                    last_attempt = ?7, last_success = ?7, last_error = NULL,
                    consecutive_failures = 0, next_allowed = NULL,
                    last_run_failed = ?8, last_item_error = ?9",
                params![
                    state.id,
                    state.etag,
                    state.last_modified,
                    state.title,
                    state.site_url,
                    state.description,
                    ts(at),
                    state.last_run_failed,
                    state.last_item_error,
                ],
            )?;
            Ok(())
        })
    }

    /// One run's site-rule figures (`run.applied`, `run.missed`, `run.login_hosts`; the totals
    /// are ignored): added to the feed's totals, and the latest run's figures replaced, unless
    /// the run [says nothing](RulesHealth::says_anything). The feed must have a state already.
    pub fn record_rules_run(&self, feed: &str, run: &RulesHealth) -> Result<(), StoreError> {
        if !run.says_anything() {
            return Ok(());
        }
        if let Some(pg) = self.pg() {
            return pg.record_rules_run(feed, run);
        }
        self.with(|conn| {
            conn.execute(
                "UPDATE feeds SET rules_applied = ?2, rules_missed = ?3,
                    rules_applied_total = rules_applied_total + ?2,
                    rules_missed_total = rules_missed_total + ?3, rules_login = ?4
                 WHERE id = ?1",
                params![feed, run.applied, run.missed, run.login_column()],
            )?;
            Ok(())
        })
    }

    /// A failed run: the error is kept, failures counted, and `next_allowed` set by the caller's
    /// back-off policy. Returns the new failure count.
    pub fn record_feed_failure(
        &self,
        feed: &str,
        error: &str,
        at: DateTime<Utc>,
        backoff: impl FnOnce(u32) -> chrono::Duration,
    ) -> Result<u32, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.record_feed_failure(feed, error, at, backoff);
        }
        self.with(|conn| {
            let tx = conn.transaction()?;
            let failures: u32 = tx
                .query_row(
                    "SELECT consecutive_failures FROM feeds WHERE id = ?1",
                    params![feed],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0)
                + 1;
            let next = at + backoff(failures);
            tx.execute(
                "INSERT INTO feeds (id, last_attempt, last_error, consecutive_failures, next_allowed)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET last_attempt = ?2, last_error = ?3,
                    consecutive_failures = ?4, next_allowed = ?5",
                params![feed, ts(at), error, failures, ts(next)],
            )?;
            tx.commit()?;
            Ok(failures)
        })
    }

    /// Keeps hosts on hold until the given times, with why (a later hold wins over an earlier one
    /// for the same host, with its reason) and forgets holds that ended before `now`.
    pub fn hold_hosts(&self, holds: &[HostHold], now: DateTime<Utc>) -> Result<(), StoreError> {
        if let Some(pg) = self.pg() {
            return pg.hold_hosts(holds, now);
        }
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM host_holds WHERE until < ?1", params![ts(now)])?;
            for h in holds {
                tx.execute(
                    "INSERT INTO host_holds (host, until, reason) VALUES (?1, ?2, ?3)
                     ON CONFLICT (host) DO UPDATE SET
                        reason = CASE WHEN ?2 > until THEN ?3 ELSE reason END,
                        until = MAX(until, ?2)",
                    params![h.host, ts(h.until), h.reason],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// The hosts on hold after `now`, with the time each hold ends and why.
    pub fn host_holds(&self, now: DateTime<Utc>) -> Result<Vec<HostHold>, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.host_holds(now);
        }
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT host, until, reason FROM host_holds WHERE until > ?1 ORDER BY host",
            )?;
            let rows = stmt.query_map(params![ts(now)], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
            })?;
            rows.map(|row| {
                let (host, until, reason) = row?;
                let until = req_ts("until", until)?;
                Ok(HostHold {
                    host,
                    until,
                    reason,
                })
            })
            .collect()
        })
    }

    /// Appends to the fetch log, dropping entries older than 30 days now and then.
    pub fn log_fetch(&self, entry: &FetchLogEntry) -> Result<(), StoreError> {
        if let Some(pg) = self.pg() {
            return pg.log_fetch(entry);
        }
        self.with(|conn| {
            let id = conn
                .execute(
                    "INSERT INTO fetch_log (at, feed, url, status, outcome, millis, bytes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        ts(entry.at),
                        entry.feed,
                        entry.url,
                        entry.status,
                        entry.outcome,
                        entry.millis as i64,
                        entry.bytes as i64
                    ],
                )
                .map(|_| conn.last_insert_rowid())?;
            if id % 1000 == 0 {
                let cutoff = entry.at - chrono::Duration::days(30);
                conn.execute("DELETE FROM fetch_log WHERE at < ?1", params![ts(cutoff)])?;
            }
            Ok(())
        })
    }

    /// The most recent fetch log entries, newest first.
    pub fn fetch_log(&self, limit: usize) -> Result<Vec<FetchLogEntry>, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.fetch_log(limit);
        }
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT at, feed, url, status, outcome, millis, bytes FROM fetch_log
                 ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map(params![limit as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    FetchLogEntry {
                        at: DateTime::<Utc>::MIN_UTC,
                        feed: r.get(1)?,
                        url: r.get(2)?,
                        status: r.get(3)?,
                        outcome: r.get(4)?,
                        millis: r.get::<_, i64>(5)? as u64,
                        bytes: r.get::<_, i64>(6)? as u64,
                    },
                ))
            })?;
            rows.map(|row| {
                let (at, mut e) = row?;
                e.at = req_ts("at", at)?;
                Ok(e)
            })
            .collect()
        })
    }
}
