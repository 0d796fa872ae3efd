//! Items on PostgreSQL: the same upsert (dedupe by guid, canonical URL and listed link; update on a
//! changed content hash), lookup, tombstones, published-items query and retention as the SQLite
//! engine's `items.rs`, in PostgreSQL's dialect.
//!
//! Does not own feed state, the fetch log (`state.rs`) or the connection (`mod.rs`).

use chrono::{DateTime, Utc};
use tokio_postgres::{GenericClient, Row};

use super::super::{Item, ItemMeta, Known, StoreError, Upsert};
use super::{PgStore, int, ms, uint};

const ITEM_COLUMNS: &str = "feed, guid, url, title, byline, published, updated, bullets, lead, \
     summary, content_html, image, content_hash, first_seen, language";

impl PgStore {
    pub(in crate::store) fn known(
        &self,
        feed: &str,
        guid: &str,
        urls: &[&str],
    ) -> Result<Option<Known>, StoreError> {
        let columns = "guid, url, content_hash, link, etag, last_modified, source_sig, fallback, \
                       attempts, first_seen, pruned";
        self.with(async |c| {
            let row = c
                .query_opt(
                    &format!(
                        "(SELECT {columns} FROM items WHERE feed = $1 AND guid = $2)
                         UNION ALL
                         (SELECT {columns} FROM items
                          WHERE feed = $1 AND (url = ANY($3) OR link = ANY($3)))
                         LIMIT 1"
                    ),
                    &[&feed, &guid, &urls],
                )
                .await?;
            Ok(row.map(|r| Known {
                guid: r.get(0),
                url: r.get(1),
                content_hash: r.get(2),
                meta: ItemMeta {
                    link: r.get(3),
                    etag: r.get(4),
                    last_modified: r.get(5),
                    source_sig: r.get(6),
                    fallback: r.get(7),
                },
                attempts: uint(r.get(8)),
                first_seen: r.get(9),
                pruned: r.get(10),
            }))
        })
    }

    /// Several item writes in one transaction (see `Store::upsert_items`).
    pub(in crate::store) fn upsert_items(
        &self,
        writes: &[(&Item, &ItemMeta)],
    ) -> Result<Vec<Upsert>, StoreError> {
        let now = ms(Utc::now());
        self.with(async |c| {
            let tx = c.transaction().await?;
            let mut outcomes = Vec::with_capacity(writes.len());
            for &(item, meta) in writes {
                outcomes.push(upsert_in(&tx, item, meta, now).await?);
            }
            tx.commit().await?;
            Ok(outcomes)
        })
    }

    pub(in crate::store) fn mark_gone(
        &self,
        feed: &str,
        guid: &str,
        link: &str,
        source_sig: &str,
    ) -> Result<(), StoreError> {
        let now = ms(Utc::now());
        self.with(async |c| {
            c.execute(
                "INSERT INTO items (feed, guid, url, link, title, updated, bullets, lead, summary,
                                    content_html, content_hash, first_seen, source_sig, checked_at,
                                    pruned)
                 VALUES ($1, $2, $3, $3, '', $4, '[]', '', '', '', '', $4, $5, $4, TRUE)
                 ON CONFLICT (feed, guid) DO NOTHING",
                &[&feed, &guid, &link, &now, &source_sig],
            )
            .await?;
            Ok(())
        })
    }

    pub(in crate::store) fn touch_item(
        &self,
        feed: &str,
        guid: &str,
        source_sig: &str,
    ) -> Result<(), StoreError> {
        let now = ms(Utc::now());
        self.with(async |c| {
            c.execute(
                "UPDATE items SET source_sig = $3, checked_at = $4 WHERE feed = $1 AND guid = $2",
                &[&feed, &guid, &source_sig, &now],
            )
            .await?;
            Ok(())
        })
    }

    pub(in crate::store) fn items(
        &self,
        feed: &str,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let limit = limit.min(i64::MAX as usize) as i64;
        self.with(async |c| {
            let rows = c
                .query(
                    &format!(
                        "SELECT {ITEM_COLUMNS} FROM items WHERE feed = $1 AND NOT pruned
                         ORDER BY COALESCE(published, first_seen) DESC, id DESC LIMIT $2"
                    ),
                    &[&feed, &limit],
                )
                .await?;
            rows.iter().map(item_of).collect()
        })
    }

    pub(in crate::store) fn prune(
        &self,
        feed: &str,
        keep: usize,
        older_than: Option<DateTime<Utc>>,
    ) -> Result<usize, StoreError> {
        let keep = keep.min(i64::MAX as usize) as i64;
        let older_than = older_than.map(ms);
        self.with(async |c| {
            let n = c
                .execute(
                    "UPDATE items SET pruned = TRUE, content_html = '', summary = '', lead = '',
                            bullets = '[]'
                     WHERE feed = $1 AND NOT pruned AND (
                        id NOT IN (SELECT id FROM items WHERE feed = $1 AND NOT pruned
                                   ORDER BY COALESCE(published, first_seen) DESC, id DESC
                                   LIMIT $2)
                        OR ($3::timestamptz IS NOT NULL AND first_seen < $3))",
                    &[&feed, &keep, &older_than],
                )
                .await?;
            Ok(n as usize)
        })
    }
}

fn item_of(r: &Row) -> Result<Item, StoreError> {
    let bullets: String = r.get(7);
    Ok(Item {
        feed: r.get(0),
        guid: r.get(1),
        url: r.get(2),
        title: r.get(3),
        byline: r.get(4),
        published: r.get(5),
        updated: r.get(6),
        bullets: serde_json::from_str(&bullets).map_err(|e| StoreError::Value {
            column: "bullets",
            reason: e.to_string(),
        })?,
        lead: r.get(8),
        summary: r.get(9),
        content_html: r.get(10),
        image: r.get(11),
        content_hash: r.get(12),
        first_seen: r.get(13),
        language: r.get(14),
    })
}

/// One item write in the transaction `tx`: the stored row it matches (locked), then insert,
/// refresh or replace.
async fn upsert_in(
    tx: &impl GenericClient,
    item: &Item,
    meta: &ItemMeta,
    now: DateTime<Utc>,
) -> Result<Upsert, StoreError> {
    let bullets = serde_json::to_string(&item.bullets).expect("strings serialize");
    let existing = tx
        .query_opt(
            "SELECT id, content_hash, fallback FROM items
             WHERE feed = $1 AND (guid = $2 OR url = $3 OR ($4 <> '' AND link = $4))
             ORDER BY guid = $2 DESC LIMIT 1 FOR UPDATE",
            &[&item.feed, &item.guid, &item.url, &meta.link],
        )
        .await?;
    let w = Write {
        item,
        meta,
        bullets: &bullets,
        now,
    };
    Ok(match existing {
        None => {
            w.insert(tx).await?;
            Upsert::New
        }
        Some(r) if r.get::<_, String>(1) == item.content_hash => {
            w.refresh(tx, r.get(0)).await?;
            Upsert::Unchanged
        }
        Some(r) => {
            w.replace(tx, r.get(0), r.get(2)).await?;
            Upsert::Updated
        }
    })
}

/// One item write's steps, as in the SQLite engine: insert, refresh an unchanged row, or replace.
struct Write<'a> {
    item: &'a Item,
    meta: &'a ItemMeta,
    bullets: &'a str,
    now: DateTime<Utc>,
}

impl Write<'_> {
    async fn insert(&self, c: &impl GenericClient) -> Result<(), StoreError> {
        let (item, meta) = (self.item, self.meta);
        c.execute(
            &format!(
                "INSERT INTO items ({ITEM_COLUMNS}, link, etag, last_modified,
                                    source_sig, fallback, attempts, checked_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                         $15, $16, $17, $18, $19, $20, $21, $22)"
            ),
            &[
                &item.feed,
                &item.guid,
                &item.url,
                &item.title,
                &item.byline,
                &item.published.map(ms),
                &ms(item.updated),
                &self.bullets,
                &item.lead,
                &item.summary,
                &item.content_html,
                &item.image,
                &item.content_hash,
                &ms(item.first_seen),
                &item.language,
                &meta.link,
                &meta.etag,
                &meta.last_modified,
                &meta.source_sig,
                &meta.fallback,
                &int(u32::from(meta.fallback)),
                &self.now,
            ],
        )
        .await?;
        Ok(())
    }

    async fn refresh(&self, c: &impl GenericClient, id: i64) -> Result<(), StoreError> {
        let meta = self.meta;
        c.execute(
            "UPDATE items SET etag = COALESCE($2, etag),
                last_modified = COALESCE($3, last_modified), source_sig = $4,
                attempts = attempts + $5, checked_at = $6
             WHERE id = $1",
            &[
                &id,
                &meta.etag,
                &meta.last_modified,
                &meta.source_sig,
                &int(u32::from(meta.fallback)),
                &self.now,
            ],
        )
        .await?;
        Ok(())
    }

    async fn replace(
        &self,
        c: &impl GenericClient,
        id: i64,
        was_fallback: bool,
    ) -> Result<(), StoreError> {
        let (item, meta) = (self.item, self.meta);
        let attempts = super::super::items::attempts_after_change(meta.fallback, was_fallback);
        c.execute(
            &format!(
                "UPDATE items SET url = $2, title = $3, byline = $4,
                    published = COALESCE($5, published), updated = $6, bullets = $7,
                    lead = $8, summary = $9, content_html = $10, image = $11,
                    content_hash = $12, etag = $13, last_modified = $14,
                    source_sig = $15, fallback = $16, attempts = {attempts},
                    checked_at = $17, language = $18, pruned = FALSE
                 WHERE id = $1"
            ),
            &[
                &id,
                &item.url,
                &item.title,
                &item.byline,
                &item.published.map(ms),
                // The content changed now: that is its modification time.
                &ms(item.updated.max(Utc::now())),
                &self.bullets,
                &item.lead,
                &item.summary,
                &item.content_html,
                &item.image,
                &item.content_hash,
                &meta.etag,
                &meta.last_modified,
                &meta.source_sig,
                &meta.fallback,
                &self.now,
                &item.language,
            ],
        )
        .await?;
        Ok(())
    }
}
