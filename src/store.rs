//! Storage: SQLite in the data directory. Items (deduplicated by guid and canonical URL, updated
//! when their content changes), feed fetch state, and the fetch log. Migrations live in code.
//!
//! One [`Store`] is one connection behind a `std::sync::Mutex`, shared by cloning. SQLite runs
//! one writer at a time anyway; a single connection means our own tasks never meet
//! `SQLITE_BUSY` among themselves, and every call is a short statement or transaction, so the lock
//! is held briefly. Async code must not block its runtime thread on it: use [`Store::call`], which
//! runs the closure on tokio's blocking pool. A reader elsewhere in the process (the web server)
//! can open its own `Store` on the same file: WAL mode lets it read while a run writes.
//!
//! Durability: WAL with `synchronous = NORMAL` and every item write in its own transaction, so a
//! crash or kill loses at most the write in flight, never a committed item.
//!
//! Times are stored as RFC 3339 UTC text with milliseconds (sortable, readable in the sqlite shell).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};

pub use crate::model::Item;

/// What the pipeline knows about an item beyond its content: how it was found and fetched.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemMeta {
    /// The URL as the source listed it (may differ from the canonical `Item::url`).
    pub link: String,
    /// Validators of the fetched article page, for the next conditional GET.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// A digest of what the source said about the entry (title, updated date); when it changes,
    /// the article is fetched again.
    pub source_sig: String,
    /// The content is the source's teaser because the article could not be fetched or extracted.
    pub fallback: bool,
}

/// A stored item as the pipeline sees it before deciding whether to fetch.
#[derive(Debug, Clone, PartialEq)]
pub struct Known {
    pub guid: String,
    pub url: String,
    pub content_hash: String,
    pub meta: ItemMeta,
    /// Fetch attempts that ended in the teaser fallback.
    pub attempts: u32,
    pub first_seen: DateTime<Utc>,
    /// Dropped by retention: known, so never fetched again, but no longer published.
    pub pruned: bool,
}

/// What an item write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    New,
    /// The content hash changed: content replaced, `updated` set.
    Updated,
    Unchanged,
}

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

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot create data directory {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "database {path} has schema version {found}, newer than this clearfeed knows ({known}); upgrade clearfeed"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database: bad stored value in {column}: {reason}")]
    Value {
        column: &'static str,
        reason: String,
    },
    #[error("database task failed: {0}")]
    Task(String),
}

/// Schema migrations, applied in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE feeds (
    id TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    title TEXT,
    site_url TEXT,
    description TEXT,
    last_attempt TEXT,
    last_success TEXT,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_allowed TEXT
);
CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    feed TEXT NOT NULL,
    guid TEXT NOT NULL,
    url TEXT NOT NULL,
    link TEXT NOT NULL,
    title TEXT NOT NULL,
    byline TEXT,
    published TEXT,
    updated TEXT NOT NULL,
    bullets TEXT NOT NULL,
    lead TEXT NOT NULL,
    summary TEXT NOT NULL,
    content_html TEXT NOT NULL,
    image TEXT,
    content_hash TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    source_sig TEXT NOT NULL DEFAULT '',
    fallback INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    checked_at TEXT,
    pruned INTEGER NOT NULL DEFAULT 0,
    UNIQUE (feed, guid)
);
CREATE INDEX items_url ON items (feed, url);
CREATE INDEX items_link ON items (feed, link);
CREATE INDEX items_order ON items (feed, pruned, published, first_seen);
CREATE TABLE fetch_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    feed TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER,
    outcome TEXT NOT NULL,
    millis INTEGER NOT NULL,
    bytes INTEGER NOT NULL
);
CREATE INDEX fetch_log_at ON fetch_log (at);
"#,
    r#"
ALTER TABLE feeds ADD COLUMN last_run_failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN last_item_error TEXT;
"#,
];

/// The SQLite store. Cheap to clone (one shared connection).
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_ts(column: &'static str, s: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    s.map(|s| {
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| StoreError::Value {
                column,
                reason: format!("{s:?}: {e}"),
            })
    })
    .transpose()
}

fn req_ts(column: &'static str, s: String) -> Result<DateTime<Utc>, StoreError> {
    parse_ts(column, Some(s)).map(|t| t.expect("given Some"))
}

const ITEM_COLUMNS: &str = "feed, guid, url, title, byline, published, updated, bullets, lead, \
     summary, content_html, image, content_hash, first_seen";

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        migrate(&mut conn, path)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_path_buf(),
        })
    }

    /// Opens `<data_dir>/clearfeed.db`.
    pub fn open_in(data_dir: &Path) -> Result<Store, StoreError> {
        Store::open(&data_dir.join("clearfeed.db"))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // A panic while holding the lock cannot leave a half-done transaction behind (rusqlite
        // rolls back on drop), so a poisoned lock is safe to keep using.
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn)
    }

    /// Runs `f` on tokio's blocking pool: how async code should use the store.
    pub async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    // -- feeds ----------------------------------------------------------------------------------

    pub fn feed_state(&self, feed: &str) -> Result<Option<FeedState>, StoreError> {
        Ok(self.feed_states_where(Some(feed))?.into_iter().next())
    }

    /// Every feed that has been run at least once, by id.
    pub fn feed_states(&self) -> Result<Vec<FeedState>, StoreError> {
        self.feed_states_where(None)
    }

    fn feed_states_where(&self, feed: Option<&str>) -> Result<Vec<FeedState>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, etag, last_modified, title, site_url, description, last_attempt,
                        last_success, last_error, consecutive_failures, next_allowed,
                        (SELECT COUNT(*) FROM items WHERE items.feed = feeds.id AND pruned = 0),
                        last_run_failed, last_item_error
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

    /// A failed run: the error is kept, failures counted, and `next_allowed` set by the caller's
    /// back-off policy. Returns the new failure count.
    pub fn record_feed_failure(
        &self,
        feed: &str,
        error: &str,
        at: DateTime<Utc>,
        backoff: impl FnOnce(u32) -> chrono::Duration,
    ) -> Result<u32, StoreError> {
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

    // -- items ----------------------------------------------------------------------------------

    /// The stored item a source entry refers to: same guid, same canonical URL, or same listed
    /// link (any of `urls`).
    pub fn known(
        &self,
        feed: &str,
        guid: &str,
        urls: &[&str],
    ) -> Result<Option<Known>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT guid, url, content_hash, link, etag, last_modified, source_sig, fallback,
                        attempts, first_seen, pruned
                 FROM items WHERE feed = ?1 AND guid = ?2
                 UNION ALL
                 SELECT guid, url, content_hash, link, etag, last_modified, source_sig, fallback,
                        attempts, first_seen, pruned
                 FROM items WHERE feed = ?1 AND (url IN (SELECT value FROM json_each(?3))
                                              OR link IN (SELECT value FROM json_each(?3)))
                 LIMIT 1",
            )?;
            let urls_json = serde_json::to_string(urls).expect("strings serialize");
            let row = stmt
                .query_row(params![feed, guid, urls_json], |r| {
                    Ok((
                        Known {
                            guid: r.get(0)?,
                            url: r.get(1)?,
                            content_hash: r.get(2)?,
                            meta: ItemMeta {
                                link: r.get(3)?,
                                etag: r.get(4)?,
                                last_modified: r.get(5)?,
                                source_sig: r.get(6)?,
                                fallback: r.get(7)?,
                            },
                            attempts: r.get(8)?,
                            first_seen: DateTime::<Utc>::MIN_UTC,
                            pruned: r.get(10)?,
                        },
                        r.get::<_, String>(9)?,
                    ))
                })
                .optional()?;
            row.map(|(mut k, first_seen)| {
                k.first_seen = req_ts("first_seen", first_seen)?;
                Ok(k)
            })
            .transpose()
        })
    }

    /// Writes one item in its own transaction. An existing item (same guid, canonical URL or
    /// listed link) keeps its guid and `first_seen`; its content is replaced and `updated` set
    /// only when the content hash differs.
    pub fn upsert_item(&self, item: &Item, meta: &ItemMeta) -> Result<Upsert, StoreError> {
        let bullets = serde_json::to_string(&item.bullets).expect("strings serialize");
        let now = ts(Utc::now());
        self.with(|conn| {
            let tx = conn.transaction()?;
            let existing: Option<(i64, String, bool)> = tx
                .query_row(
                    "SELECT id, content_hash, fallback FROM items
                     WHERE feed = ?1 AND (guid = ?2 OR url = ?3 OR (?4 <> '' AND link = ?4))
                     ORDER BY guid = ?2 DESC LIMIT 1",
                    params![item.feed, item.guid, item.url, meta.link],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let outcome = match existing {
                None => {
                    tx.execute(
                        &format!(
                            "INSERT INTO items ({ITEM_COLUMNS}, link, etag, last_modified,
                                                source_sig, fallback, attempts, checked_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
                                     ?15, ?16, ?17, ?18, ?19, ?20, ?21)"
                        ),
                        params![
                            item.feed,
                            item.guid,
                            item.url,
                            item.title,
                            item.byline,
                            item.published.map(ts),
                            ts(item.updated),
                            bullets,
                            item.lead,
                            item.summary,
                            item.content_html,
                            item.image,
                            item.content_hash,
                            ts(item.first_seen),
                            meta.link,
                            meta.etag,
                            meta.last_modified,
                            meta.source_sig,
                            meta.fallback,
                            u32::from(meta.fallback),
                            now,
                        ],
                    )?;
                    Upsert::New
                }
                Some((id, hash, _)) if hash == item.content_hash => {
                    tx.execute(
                        "UPDATE items SET etag = COALESCE(?2, etag),
                            last_modified = COALESCE(?3, last_modified), source_sig = ?4,
                            attempts = attempts + ?5, checked_at = ?6
                         WHERE id = ?1",
                        params![
                            id,
                            meta.etag,
                            meta.last_modified,
                            meta.source_sig,
                            u32::from(meta.fallback),
                            now
                        ],
                    )?;
                    Upsert::Unchanged
                }
                Some((id, _, was_fallback)) => {
                    // A fallback that stays a fallback (the teaser changed) counts one more attempt;
                    // a real article resets the count.
                    let attempts_sql = if meta.fallback && was_fallback {
                        "attempts + 1"
                    } else if meta.fallback {
                        "1"
                    } else {
                        "0"
                    };
                    tx.execute(
                        &format!(
                            "UPDATE items SET url = ?2, title = ?3, byline = ?4,
                                published = COALESCE(?5, published), updated = ?6, bullets = ?7,
                                lead = ?8, summary = ?9, content_html = ?10, image = ?11,
                                content_hash = ?12, etag = ?13, last_modified = ?14,
                                source_sig = ?15, fallback = ?16, attempts = {attempts_sql},
                                checked_at = ?17, pruned = 0
                             WHERE id = ?1"
                        ),
                        params![
                            id,
                            item.url,
                            item.title,
                            item.byline,
                            item.published.map(ts),
                            ts(item.updated),
                            bullets,
                            item.lead,
                            item.summary,
                            item.content_html,
                            item.image,
                            item.content_hash,
                            meta.etag,
                            meta.last_modified,
                            meta.source_sig,
                            meta.fallback,
                            now
                        ],
                    )?;
                    Upsert::Updated
                }
            };
            tx.commit()?;
            Ok(outcome)
        })
    }

    /// Remembers an article the server says is gone (404/410) so it is not requested again while
    /// the source keeps listing it: a pruned tombstone row, never published. A stored copy of the
    /// article, if any, is left alone.
    pub fn mark_gone(
        &self,
        feed: &str,
        guid: &str,
        link: &str,
        source_sig: &str,
    ) -> Result<(), StoreError> {
        let now = ts(Utc::now());
        self.with(|conn| {
            conn.execute(
                "INSERT INTO items (feed, guid, url, link, title, updated, bullets, lead, summary,
                                    content_html, content_hash, first_seen, source_sig, checked_at,
                                    pruned)
                 VALUES (?1, ?2, ?3, ?3, '', ?4, '[]', '', '', '', '', ?4, ?5, ?4, 1)
                 ON CONFLICT (feed, guid) DO NOTHING",
                params![feed, guid, link, now, source_sig],
            )?;
            Ok(())
        })
    }

    /// A conditional refetch came back 304 (or the source signal changed without the page
    /// changing): remember the new source signal and when we checked.
    pub fn touch_item(&self, feed: &str, guid: &str, source_sig: &str) -> Result<(), StoreError> {
        self.with(|conn| {
            conn.execute(
                "UPDATE items SET source_sig = ?3, checked_at = ?4 WHERE feed = ?1 AND guid = ?2",
                params![feed, guid, source_sig, ts(Utc::now())],
            )?;
            Ok(())
        })
    }

    /// The newest `limit` published items of a feed, newest first (by published date, else first
    /// sight).
    pub fn items(&self, feed: &str, limit: usize) -> Result<Vec<Item>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {ITEM_COLUMNS} FROM items WHERE feed = ?1 AND pruned = 0
                 ORDER BY COALESCE(published, first_seen) DESC, id DESC LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![feed, limit as i64], |r| {
                Ok((
                    [
                        r.get::<_, String>(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(9)?,
                        r.get(10)?,
                        r.get(12)?,
                    ],
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(11)?,
                    r.get::<_, String>(13)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (
                    [
                        feed,
                        guid,
                        url,
                        title,
                        bullets,
                        lead,
                        summary,
                        content_html,
                        content_hash,
                    ],
                    byline,
                    published,
                    updated,
                    image,
                    first_seen,
                ) = row?;
                out.push(Item {
                    feed,
                    guid,
                    url,
                    title,
                    byline,
                    published: parse_ts("published", published)?,
                    updated: req_ts("updated", updated)?,
                    bullets: serde_json::from_str(&bullets).map_err(|e| StoreError::Value {
                        column: "bullets",
                        reason: e.to_string(),
                    })?,
                    lead,
                    summary,
                    content_html,
                    image,
                    content_hash,
                    first_seen: req_ts("first_seen", first_seen)?,
                });
            }
            Ok(out)
        })
    }

    /// Retention: keeps the newest `keep` items of a feed (and, with `older_than`, none first seen
    /// before it). Pruned items keep a small tombstone row (guid, URLs, hash) so that an entry the
    /// source still lists is recognised and not fetched again; their content is dropped.
    pub fn prune(
        &self,
        feed: &str,
        keep: usize,
        older_than: Option<DateTime<Utc>>,
    ) -> Result<usize, StoreError> {
        self.with(|conn| {
            let n = conn.execute(
                "UPDATE items SET pruned = 1, content_html = '', summary = '', lead = '',
                        bullets = '[]'
                 WHERE feed = ?1 AND pruned = 0 AND (
                    id NOT IN (SELECT id FROM items WHERE feed = ?1 AND pruned = 0
                               ORDER BY COALESCE(published, first_seen) DESC, id DESC LIMIT ?2)
                    OR (?3 IS NOT NULL AND first_seen < ?3))",
                params![feed, keep as i64, older_than.map(ts)],
            )?;
            Ok(n)
        })
    }

    /// Appends to the fetch log, dropping entries older than 30 days now and then.
    pub fn log_fetch(&self, entry: &FetchLogEntry) -> Result<(), StoreError> {
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

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: version,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(guid: &str, url: &str, body: &str) -> Item {
        let now = Utc::now();
        Item {
            feed: "f".into(),
            guid: guid.into(),
            url: url.into(),
            title: "T".into(),
            byline: None,
            published: None,
            updated: now,
            bullets: vec!["one".into(), "two".into()],
            lead: "Lead.".into(),
            summary: "• one\n• two\n\nLead.".into(),
            content_html: format!("<p>{body}</p>"),
            image: None,
            content_hash: body.into(),
            first_seen: now,
        }
    }

    fn meta(link: &str) -> ItemMeta {
        ItemMeta {
            link: link.into(),
            ..Default::default()
        }
    }

    #[test]
    fn upsert_dedupes_by_guid_and_url_and_updates_on_change() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db").join("c.db")).unwrap();
        let a = item("g1", "https://e.example/a", "v1");
        assert_eq!(
            store
                .upsert_item(&a, &meta("https://e.example/a?x"))
                .unwrap(),
            Upsert::New
        );
        assert_eq!(
            store
                .upsert_item(&a, &meta("https://e.example/a?x"))
                .unwrap(),
            Upsert::Unchanged
        );
        // Same canonical URL under another guid is the same article.
        let same_url = item("g-other", "https://e.example/a", "v1");
        assert_eq!(
            store.upsert_item(&same_url, &meta("x")).unwrap(),
            Upsert::Unchanged
        );
        let mut changed = item("g1", "https://e.example/a", "v2");
        changed.updated = a.updated + chrono::Duration::seconds(5);
        assert_eq!(
            store.upsert_item(&changed, &meta("x")).unwrap(),
            Upsert::Updated
        );
        let items = store.items("f", 10).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].guid, "g1");
        assert_eq!(items[0].content_html, "<p>v2</p>");
        assert_eq!(items[0].bullets, vec!["one", "two"]);
        assert_eq!(
            items[0].updated,
            ts(changed.updated).parse::<DateTime<Utc>>().unwrap()
        );

        let k = store
            .known("f", "nope", &["https://e.example/a?x"])
            .unwrap()
            .unwrap();
        assert_eq!(k.guid, "g1");
        assert!(
            store
                .known("f", "nope", &["https://e.example/zzz"])
                .unwrap()
                .is_none()
        );
        assert!(store.known("other-feed", "g1", &[]).unwrap().is_none());
    }

    #[test]
    fn retention_keeps_newest_and_leaves_tombstones() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("c.db")).unwrap();
        let base = Utc::now();
        for i in 0..5 {
            let mut it = item(&format!("g{i}"), &format!("https://e.example/{i}"), "x");
            it.published = Some(base + chrono::Duration::minutes(i));
            store.upsert_item(&it, &meta("")).unwrap();
        }
        assert_eq!(store.prune("f", 3, None).unwrap(), 2);
        let guids: Vec<_> = store
            .items("f", 10)
            .unwrap()
            .into_iter()
            .map(|i| i.guid)
            .collect();
        assert_eq!(guids, vec!["g4", "g3", "g2"]);
        let tomb = store.known("f", "g0", &[]).unwrap().unwrap();
        assert!(tomb.pruned);
    }

    #[test]
    fn feed_state_round_trip_and_failures() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("c.db")).unwrap();
        let now = Utc::now();
        let n = store
            .record_feed_failure("f", "boom", now, |n| chrono::Duration::minutes(n as i64))
            .unwrap();
        assert_eq!(n, 1);
        let n = store
            .record_feed_failure("f", "boom again", now, |n| {
                chrono::Duration::minutes(n as i64)
            })
            .unwrap();
        assert_eq!(n, 2);
        let s = store.feed_state("f").unwrap().unwrap();
        assert_eq!(s.last_error.as_deref(), Some("boom again"));
        assert!(s.next_allowed.unwrap() > now);
        store
            .record_feed_success(
                &FeedState {
                    id: "f".into(),
                    etag: Some("\"e1\"".into()),
                    title: Some("Feed".into()),
                    ..Default::default()
                },
                now,
            )
            .unwrap();
        // A later success without new validators keeps the stored ones.
        store
            .record_feed_success(
                &FeedState {
                    id: "f".into(),
                    ..Default::default()
                },
                now,
            )
            .unwrap();
        let s = store.feed_state("f").unwrap().unwrap();
        assert_eq!(s.etag.as_deref(), Some("\"e1\""));
        assert_eq!(s.consecutive_failures, 0);
        assert_eq!(s.last_error, None);
        assert_eq!(s.title.as_deref(), Some("Feed"));
    }

    #[test]
    fn reopening_keeps_data_and_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        {
            let store = Store::open(&path).unwrap();
            store.upsert_item(&item("g", "u", "x"), &meta("u")).unwrap();
            store
                .log_fetch(&FetchLogEntry {
                    at: Utc::now(),
                    feed: "f".into(),
                    url: "u".into(),
                    status: Some(200),
                    outcome: "ok".into(),
                    millis: 3,
                    bytes: 10,
                })
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.items("f", 10).unwrap().len(), 1);
        assert_eq!(store.fetch_log(5).unwrap()[0].status, Some(200));
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        drop(store);
        assert!(matches!(Store::open(&path), Err(StoreError::TooNew { .. })));
    }
}
