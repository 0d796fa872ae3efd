//! Publishing a feed after its run: its files and the OPML list rewritten only when what they show
//! changed since this process last wrote them.
//!
//! Owns: the record of what was last published and the decision to skip. Does not own: rendering
//! and writing the files (`crate::publish`), nor the revision counter (`crate::store`).

use std::collections::HashMap;

use super::metrics::bump;
use super::{FeedConfig, FeedError, Pipeline};
use crate::model::{FeedMeta, Format};
use crate::publish::PublishTarget;

/// Per feed, the store revision and presentation last written, and the OPML list last written:
/// a few hundred bytes per feed.
#[derive(Default)]
pub(super) struct Published {
    feeds: HashMap<String, (u64, FeedMeta)>,
    opml: Vec<FeedMeta>,
}

impl Pipeline {
    /// Rewrites one feed's published files and the OPML list of every feed, each only when what
    /// it shows changed since this process last wrote it: the feed's items (the store's revision
    /// counter tells, without loading them) or its presentation, or a file went missing.
    pub(super) async fn publish(&self, feed: &FeedConfig) -> Result<(), FeedError> {
        let revision = self.store.feed_revision(&feed.id);
        let states = self.store.call(|s| s.feed_states()).await?;
        let meta = self.feed_meta(feed, states.iter().find(|s| s.id == feed.id));
        let all: Vec<FeedMeta> = self
            .settings
            .feeds
            .iter()
            .map(|f| self.feed_meta(f, states.iter().find(|s| s.id == f.id)))
            .collect();
        // In a directory, a file removed by hand is written again; objects in a bucket are
        // compared with what is to be written instead (`publish::PublishTarget`).
        let there = |name: &str| match &self.target {
            PublishTarget::Dir(public) => public.join(name).is_file(),
            PublishTarget::S3(_) => true,
        };
        let (feed_current, opml_current) = {
            let published = self.published.lock().unwrap_or_else(|p| p.into_inner());
            let files_there =
                (Format::ALL.iter()).all(|f| there(&format!("{}.{}", feed.id, f.extension())));
            (
                files_there && published.feeds.get(&feed.id) == Some(&(revision, meta.clone())),
                published.opml == all && there("feeds.opml"),
            )
        };
        if !feed_current {
            let (id, limit) = (feed.id.clone(), self.settings.max_items_for(feed));
            let items = self.store.call(move |s| s.items(&id, limit)).await?;
            bump(&self.metrics.feeds_published, 1);
            self.target.write_feed(&meta, &items).await?;
        }
        if !opml_current {
            self.target.write_opml(&all).await?;
        }
        let mut published = self.published.lock().unwrap_or_else(|p| p.into_inner());
        published.feeds.insert(feed.id.clone(), (revision, meta));
        published.opml = all;
        Ok(())
    }
}
