//! Items: the upsert that deduplicates by guid, canonical URL and listed link, the lookup the
//! pipeline makes before fetching, tombstones for gone and pruned articles, the published-items
//! query, and retention.
//!
//! Does not own feed state or the fetch log (`state.rs`), the schema (`schema.rs`) or the
//! connection (`mod.rs`).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Item, Store, StoreError, parse_ts, req_ts, ts};

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

const ITEM_COLUMNS: &str = "feed, guid, url, title, byline, published, updated, bullets, lead, \
     summary, content_html, image, content_hash, first_seen, language";

impl Store {
    /// The stored item a source entry refers to: same guid, same canonical URL, or same listed
    /// link (any of `urls`).
    pub fn known(
        &self,
        feed: &str,
        guid: &str,
        urls: &[&str],
    ) -> Result<Option<Known>, StoreError> {
        if let Some(pg) = self.pg() {
            return pg.known(feed, guid, urls);
        }
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
        let outcomes = self.upsert_items(&[(item, meta)])?;
        Ok(outcomes[0])
    }

    /// Writes several items (of one feed run or several) in one transaction: all of them or,
    /// when it fails, none. Each is written as [`Store::upsert_item`] writes one, in order, so a
    /// later item of the batch sees the earlier ones (the same article twice is stored once).
    /// Returns what each write did, in the same order.
    pub fn upsert_items(&self, writes: &[(&Item, &ItemMeta)]) -> Result<Vec<Upsert>, StoreError> {
        let outcomes = match self.pg() {
            Some(pg) => pg.upsert_items(writes)?,
            None => self.with(|conn| {
                let tx = conn.transaction()?;
                let now = ts(Utc::now());
                let outcomes = writes
                    .iter()
                    .map(|&(item, meta)| ItemWrite::new(item, meta, &now).upsert(&tx))
                    .collect::<Result<Vec<_>, _>>()?;
                tx.commit()?;
                Ok(outcomes)
            })?,
        };
        for (&(item, _), outcome) in writes.iter().zip(&outcomes) {
            self.count_upsert(&item.feed, *outcome);
        }
        Ok(outcomes)
    }

    /// Counts an item write that changed what its feed publishes.
    fn count_upsert(&self, feed: &str, outcome: Upsert) {
        if outcome != Upsert::Unchanged {
            self.bump_revision(feed);
        }
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
        if let Some(pg) = self.pg() {
            return pg.mark_gone(feed, guid, link, source_sig);
        }
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
        if let Some(pg) = self.pg() {
            return pg.touch_item(feed, guid, source_sig);
        }
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
        if let Some(pg) = self.pg() {
            return pg.items(feed, limit);
        }
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
                    (r.get::<_, String>(13)?, r.get::<_, Option<String>>(14)?),
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
                    (first_seen, language),
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
                    language,
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
        if let Some(pg) = self.pg() {
            return pg
                .prune(feed, keep, older_than)
                .inspect(|&n| self.count_prune(feed, n));
        }
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
        .inspect(|&n| self.count_prune(feed, n))
    }

    /// Counts a pruning that removed items from what a feed publishes.
    fn count_prune(&self, feed: &str, pruned: usize) {
        if pruned > 0 {
            self.bump_revision(feed);
        }
    }
}

/// One item write, split into its steps: find the stored row it matches, then insert a new row,
/// refresh an unchanged one, or replace changed content.
struct ItemWrite<'a> {
    item: &'a Item,
    meta: &'a ItemMeta,
    /// The key points as stored (JSON array).
    bullets: String,
    /// The write time as stored.
    now: String,
}

impl<'a> ItemWrite<'a> {
    fn new(item: &'a Item, meta: &'a ItemMeta, now: &str) -> ItemWrite<'a> {
        ItemWrite {
            item,
            meta,
            bullets: serde_json::to_string(&item.bullets).expect("strings serialize"),
            now: now.to_string(),
        }
    }

    /// The write: insert, refresh or replace, depending on the stored row it matches.
    fn upsert(&self, conn: &Connection) -> Result<Upsert, StoreError> {
        Ok(match self.existing(conn)? {
            None => {
                self.insert(conn)?;
                Upsert::New
            }
            Some((id, hash, _)) if hash == self.item.content_hash => {
                self.refresh(conn, id)?;
                Upsert::Unchanged
            }
            Some((id, _, was_fallback)) => {
                self.replace(conn, id, was_fallback)?;
                Upsert::Updated
            }
        })
    }

    /// The stored row this item is: same guid (preferred), canonical URL or listed link. Returns
    /// its id, content hash and whether it is a fallback.
    fn existing(&self, conn: &Connection) -> Result<Option<(i64, String, bool)>, StoreError> {
        let (item, meta) = (self.item, self.meta);
        Ok(conn
            .query_row(
                "SELECT id, content_hash, fallback FROM items
                 WHERE feed = ?1 AND (guid = ?2 OR url = ?3 OR (?4 <> '' AND link = ?4))
                 ORDER BY guid = ?2 DESC LIMIT 1",
                params![item.feed, item.guid, item.url, meta.link],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
    }

    /// A new item: every column written, `attempts` starting at 1 for a fallback.
    fn insert(&self, conn: &Connection) -> Result<(), StoreError> {
        let (item, meta) = (self.item, self.meta);
        conn.execute(
            &format!(
                "INSERT INTO items ({ITEM_COLUMNS}, link, etag, last_modified,
                                    source_sig, fallback, attempts, checked_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
                         ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"
            ),
            params![
                item.feed,
                item.guid,
                item.url,
                item.title,
                item.byline,
                item.published.map(ts),
                ts(item.updated),
                self.bullets,
                item.lead,
                item.summary,
                item.content_html,
                item.image,
                item.content_hash,
                ts(item.first_seen),
                item.language,
                meta.link,
                meta.etag,
                meta.last_modified,
                meta.source_sig,
                meta.fallback,
                u32::from(meta.fallback),
                self.now,
            ],
        )?;
        Ok(())
    }

    /// Same content as stored: only validators, the source signal, attempts and check time move.
    fn refresh(&self, conn: &Connection, id: i64) -> Result<(), StoreError> {
        let meta = self.meta;
        conn.execute(
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
                self.now
            ],
        )?;
        Ok(())
    }

    /// Changed content: replaced, `updated` set, the row published again if it was pruned.
    fn replace(&self, conn: &Connection, id: i64, was_fallback: bool) -> Result<(), StoreError> {
        let (item, meta) = (self.item, self.meta);
        let attempts_sql = attempts_after_change(meta.fallback, was_fallback);
        conn.execute(
            &format!(
                "UPDATE items SET url = ?2, title = ?3, byline = ?4,
                    published = COALESCE(?5, published), updated = ?6, bullets = ?7,
                    lead = ?8, summary = ?9, content_html = ?10, image = ?11,
                    content_hash = ?12, etag = ?13, last_modified = ?14,
                    source_sig = ?15, fallback = ?16, attempts = {attempts_sql},
                    checked_at = ?17, language = ?18, pruned = 0
                 WHERE id = ?1"
            ),
            params![
                id,
                item.url,
                item.title,
                item.byline,
                item.published.map(ts),
                // The content changed now: that is its modification time.
                ts(item.updated.max(Utc::now())),
                self.bullets,
                item.lead,
                item.summary,
                item.content_html,
                item.image,
                item.content_hash,
                meta.etag,
                meta.last_modified,
                meta.source_sig,
                meta.fallback,
                self.now,
                item.language,
            ],
        )?;
        Ok(())
    }
}

/// The `attempts` expression when content changes: a fallback that stays a fallback (the teaser
/// changed) counts one more attempt; a real article resets the count.
pub(super) fn attempts_after_change(fallback: bool, was_fallback: bool) -> &'static str {
    if fallback && was_fallback {
        "attempts + 1"
    } else if fallback {
        "1"
    } else {
        "0"
    }
}
