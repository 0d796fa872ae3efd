//! Entries that end without a new article: gone upstream or dropped by a filter once read (a
//! tombstone), left for a later run (host on hold), or unreadable (the teaser item, or nothing
//! with `on_failure = "skip"`).

use super::{Entry, Known, OnFailure, Outcome, Pipeline, StoreError, item};
use crate::fetch::FetchError;

/// Why an article was not read, and its page's validators (`ETag`, `Last-Modified`) when the page
/// was fetched but not extracted.
pub(super) struct Unread {
    pub reason: String,
    pub validators: (Option<String>, Option<String>),
}

impl Pipeline {
    /// The article is gone upstream (404, 410): the entry is marked so and nothing is stored.
    pub(super) async fn drop_gone(
        &self,
        entry: &Entry<'_>,
        e: FetchError,
    ) -> Result<Outcome, StoreError> {
        tracing::warn!(feed = %entry.feed.id, "article dropped: {e}");
        self.tombstone(entry).await?;
        Ok(Outcome::Failed(e.to_string()))
    }

    /// An article the feed's filters drop once read: remembered (so it is not fetched again while
    /// its entry is unchanged) and never published.
    pub(super) async fn drop_filtered(
        &self,
        entry: &Entry<'_>,
        why: String,
    ) -> Result<Outcome, StoreError> {
        tracing::info!(feed = %entry.feed.id, url = %entry.c.url, "{why}");
        self.tombstone(entry).await?;
        Ok(Outcome::Filtered)
    }

    /// Remembers an entry as known but not published, like a pruned item.
    async fn tombstone(&self, entry: &Entry<'_>) -> Result<(), StoreError> {
        let (fid, g, link, sig) = (
            entry.feed.id.clone(),
            entry.guid.clone(),
            entry.c.url.to_string(),
            entry.sig.clone(),
        );
        self.store
            .call(move |s| s.mark_gone(&fid, &g, &link, &sig))
            .await
    }

    /// An article that could not be read. Users expect an item rather than nothing: the source's
    /// teaser (or just the title and link when there is none) is stored, marked as such, unless a
    /// real article is already stored.
    pub(super) async fn keep_teaser(
        &self,
        entry: &Entry<'_>,
        known: Option<&Known>,
        unread: Unread,
    ) -> Result<Outcome, StoreError> {
        let Unread {
            reason: failure,
            validators,
        } = unread;
        tracing::warn!(feed = %entry.feed.id, url = %entry.c.url, "article not read: {failure}");
        let has_real_copy = known.is_some_and(|k| !k.meta.fallback);
        if !has_real_copy && entry.feed.on_failure == OnFailure::Teaser {
            let item = item::teaser_item(
                entry.feed,
                &entry.guid,
                entry.c,
                &entry.canonical,
                entry.c.teaser.as_deref(),
                &failure,
                entry.first_seen,
            );
            let meta = entry.meta(validators, true);
            self.store
                .call(move |s| s.upsert_item(&item, &meta))
                .await?;
        }
        Ok(Outcome::Failed(failure))
    }

    /// An article whose host is on hold waits for a later run: a stored copy (article or teaser)
    /// stays as it is, without counting an attempt; a new one gets its teaser item, unless the feed
    /// publishes nothing for unread articles.
    pub(super) async fn defer(
        &self,
        entry: &Entry<'_>,
        known: Option<&Known>,
        e: FetchError,
    ) -> Result<Outcome, StoreError> {
        let why = e.to_string();
        tracing::info!(feed = %entry.feed.id, "article left for a later run: {why}");
        if known.is_none() && entry.feed.on_failure == OnFailure::Teaser {
            let unread = Unread {
                reason: why.clone(),
                validators: (None, None),
            };
            self.keep_teaser(entry, None, unread).await?;
        }
        Ok(Outcome::Deferred)
    }
}
