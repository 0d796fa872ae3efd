//! One fetch per article across feeds: feeds that run in the same pass (one `once`, or one
//! schedule slot of the daemon) and list the same article share its fetch and extraction. The
//! runner hands each pass a [`RunShare`], a map from the article's canonical URL (and the rules and
//! validators it is read with) to the one read in flight or done; a feed that comes second waits
//! for the first's read. The map is bounded ([`MAX_SHARED`]) and dropped with the pass. A read that
//! fails to fetch is not shared: the next feed tries itself.
//!
//! Owns: the shared map, the pass registry of the daemon, and reading an article's pages into an
//! [`Extracted`]. Does not own: what a feed does with it (the pipeline's `store_extracted`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::OnceCell;

use super::metrics::extract_reason;
use super::site::extract_and_summarize;
use super::{Pipeline, article_pages};
use crate::extract::{Article, Extractor};
use crate::fetch::{FetchError, FetchRequest, Fetched};
use crate::model::Page;
use crate::summarize::Summary;

/// The most articles one pass shares; further ones are read by each feed on its own.
pub const MAX_SHARED: usize = 500;

/// An article's pages read and extracted (or why extraction failed), with the first page's
/// validators and final URL.
#[derive(Debug, Clone)]
pub(super) struct Extracted {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub final_url: Option<url::Url>,
    /// The article and its summary, or why it could not be extracted.
    pub result: Result<(Article, Summary), String>,
}

/// What identifies one read: canonical URL, the extractor's rules (by identity: one extractor
/// per distinct rule set) and the request's validators.
type Key = (String, usize, Option<String>, Option<String>);

/// The reads one pass shares (see the module doc).
#[derive(Default)]
pub struct RunShare {
    reads: Mutex<HashMap<Key, Arc<OnceCell<Option<Extracted>>>>>,
}

impl RunShare {
    /// The cell of a read, `None` when the map is full.
    fn cell(&self, key: Key) -> Option<Arc<OnceCell<Option<Extracted>>>> {
        let mut reads = self.reads.lock().unwrap_or_else(|p| p.into_inner());
        if !reads.contains_key(&key) && reads.len() >= MAX_SHARED {
            return None;
        }
        Some(reads.entry(key).or_default().clone())
    }
}

/// The daemon's passes: one [`RunShare`] per schedule slot, kept until a later slot starts and
/// no feed of the older one is still running.
#[derive(Default)]
pub(super) struct Passes(Mutex<HashMap<DateTime<Utc>, Arc<RunShare>>>);

impl Passes {
    fn share_for(&self, slot: DateTime<Utc>) -> Arc<RunShare> {
        let mut passes = self.0.lock().unwrap_or_else(|p| p.into_inner());
        passes.retain(|at, share| *at >= slot || Arc::strong_count(share) > 1);
        passes.entry(slot).or_default().clone()
    }
}

impl Pipeline {
    /// This pipeline with its feed runs sharing article reads through `share`.
    pub fn sharing(&self, share: Arc<RunShare>) -> Pipeline {
        Pipeline {
            shared: Some(share),
            ..self.clone()
        }
    }

    /// This pipeline sharing article reads with every run of the daemon's schedule slot `slot`
    /// (a fixed early time for the runs at start-up).
    pub fn in_pass(&self, slot: DateTime<Utc>) -> Pipeline {
        self.sharing(self.passes.share_for(slot))
    }

    /// Fetches an article's pages and extracts them (`None`: not modified), through the pass's
    /// shared reads when there are any.
    pub(super) async fn read_article(
        &self,
        feed: &str,
        canonical: &url::Url,
        request: &FetchRequest<'_>,
        extractor: &Arc<Extractor>,
    ) -> Result<Option<Extracted>, FetchError> {
        let key = (
            canonical.to_string(),
            Arc::as_ptr(extractor) as usize,
            request.validators.etag.clone(),
            request.validators.last_modified.clone(),
        );
        let Some(cell) = self.shared.as_ref().and_then(|s| s.cell(key)) else {
            return self.read_unshared(feed, request, extractor).await;
        };
        let mut first = false;
        let read = cell
            .get_or_try_init(|| {
                first = true;
                self.read_unshared(feed, request, extractor)
            })
            .await?;
        if !first {
            tracing::debug!(%feed, url = %canonical, "article read shared with another feed");
        }
        Ok(read.clone())
    }

    async fn read_unshared(
        &self,
        feed: &str,
        request: &FetchRequest<'_>,
        extractor: &Arc<Extractor>,
    ) -> Result<Option<Extracted>, FetchError> {
        match self.fetch_logged(feed, request).await? {
            Fetched::NotModified => Ok(None),
            Fetched::Page(page) => {
                let pages = article_pages(&self.fetcher, extractor, page, request).await;
                let url = request.url.expect("article requests name their URL");
                Ok(Some(
                    self.extract_pages(url, pages, extractor.clone()).await,
                ))
            }
        }
    }

    /// Extracts and summarizes an article's pages off the async threads; an extraction failure
    /// is counted by kind.
    pub(super) async fn extract_pages(
        &self,
        url: &url::Url,
        pages: Vec<Page>,
        extractor: Arc<Extractor>,
    ) -> Extracted {
        let first = &pages[0];
        let (etag, last_modified) = (first.etag.clone(), first.last_modified.clone());
        let final_url = first.url.clone();
        let result =
            match tokio::task::spawn_blocking(move || extract_and_summarize(&extractor, &pages))
                .await
            {
                Ok(Ok(done)) => Ok(done),
                Ok(Err(e)) => {
                    self.metrics.count_failure(extract_reason(&e));
                    Err(format!("{url}: extraction: {e}"))
                }
                Err(e) => {
                    self.metrics.count_failure("extract_panic");
                    Err(format!("{url}: extraction panicked: {e}"))
                }
            };
        Extracted {
            etag,
            last_modified,
            final_url,
            result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_is_bounded_and_hands_the_same_cell_for_the_same_key() {
        let share = RunShare::default();
        let key = |i: usize| (format!("https://e.example/{i}"), 1, None, None);
        let a = share.cell(key(0)).unwrap();
        assert!(Arc::ptr_eq(&a, &share.cell(key(0)).unwrap()));
        for i in 1..MAX_SHARED {
            assert!(share.cell(key(i)).is_some());
        }
        assert!(share.cell(key(MAX_SHARED)).is_none(), "full: not shared");
        assert!(share.cell(key(3)).is_some(), "a known key is still shared");
    }

    #[test]
    fn a_pass_lives_until_a_later_slot_starts_and_its_runs_are_done() {
        let passes = Passes::default();
        let t = |m: i64| DateTime::UNIX_EPOCH + chrono::Duration::minutes(m);
        let first = passes.share_for(t(0));
        assert!(Arc::ptr_eq(&first, &passes.share_for(t(0))));
        let running = passes.share_for(t(30));
        drop(first);
        let later = passes.share_for(t(60));
        let map = passes.0.lock().unwrap();
        assert!(!map.contains_key(&t(0)), "done and older: dropped");
        assert!(map.contains_key(&t(30)), "still running: kept");
        assert!(Arc::ptr_eq(&later, &map[&t(60)]));
        drop(running);
    }
}
