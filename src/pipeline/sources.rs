//! Reading a feed's source: the request for its first document, and the listing read from it,
//! with the further documents a sitemap index or robots.txt names fetched and read in turn (at
//! most [`MAX_SITEMAP_DOCUMENTS`] in all).
//!
//! Owns: which document is fetched first and how a source's documents are followed. Does not own:
//! parsing any of them (`source`) or the fetching itself (`fetch`).

use std::collections::VecDeque;

use super::{FeedConfig, FeedError, Pipeline};
use crate::fetch::{FetchError, FetchRequest, Fetched, Validators};
use crate::model::Page;
use crate::source::{Listing, SourceKind};
use crate::store::FeedState;

/// The most documents one sitemap source reads in one run (robots.txt, index, children).
pub const MAX_SITEMAP_DOCUMENTS: usize = 8;

impl Pipeline {
    /// Fetches a feed's first source document. A feed or listing page is fetched conditionally
    /// on the stored validators; a sitemap is always read in full (its index may be unchanged
    /// while a child changed). A site root's missing robots.txt reads as an empty one, which
    /// points at `/sitemap.xml`.
    pub(super) async fn fetch_source(
        &self,
        feed: &FeedConfig,
        state: &FeedState,
    ) -> Result<Fetched, FetchError> {
        let first = feed.source.first_url(&feed.source_url);
        let sitemap = matches!(feed.source, SourceKind::Sitemap(_));
        let validators = if sitemap {
            Validators::default()
        } else {
            Validators {
                etag: state.etag.clone(),
                last_modified: state.last_modified.clone(),
            }
        };
        let source_rules = self.source_rules(feed);
        let request = FetchRequest {
            url: Some(&first),
            validators,
            allow_hosts: &feed.allow_hosts,
            // Upstream feeds are subscriptions, read like any feed reader reads them; listing
            // pages and sitemaps are crawled, so robots.txt applies.
            check_robots: !matches!(feed.source, SourceKind::Feed),
            headers: &source_rules.headers,
        };
        match self.fetch_logged(&feed.id, &request).await {
            Err(e) if first != feed.source_url && e.status().is_some_and(|s| s < 500) => {
                tracing::debug!(feed = %feed.id, "no robots.txt ({e}); trying /sitemap.xml");
                Ok(Fetched::Page(Page::from_bytes(Vec::new(), Some(first))))
            }
            other => other,
        }
    }

    /// The listing read from a fetched source document, and for a sitemap from the documents it
    /// names. A further document that cannot be fetched or read is logged and skipped: the
    /// others still list articles.
    pub(super) async fn listing(
        &self,
        feed: &FeedConfig,
        body: Vec<u8>,
        base: url::Url,
    ) -> Result<Listing, FeedError> {
        let max = self.settings.max_items_for(feed);
        let mut listing = parse(&feed.source, body, base, max).await?;
        let mut queue: VecDeque<url::Url> = std::mem::take(&mut listing.follow).into();
        let mut read = 1;
        while let Some(url) = queue.pop_front() {
            if read >= MAX_SITEMAP_DOCUMENTS {
                tracing::debug!(feed = %feed.id, skipped = queue.len() + 1, "sitemap budget spent");
                break;
            }
            read += 1;
            let request = FetchRequest {
                url: Some(&url),
                allow_hosts: &feed.allow_hosts,
                check_robots: true,
                ..Default::default()
            };
            let page = match self.fetch_logged(&feed.id, &request).await {
                Ok(Fetched::Page(page)) => page,
                Ok(Fetched::NotModified) => continue,
                Err(e) => {
                    tracing::warn!(feed = %feed.id, "sitemap skipped: {e}");
                    continue;
                }
            };
            let base = page.url.clone().unwrap_or(url);
            match parse(&feed.source, page.body, base.clone(), max).await {
                Ok(mut more) => {
                    queue.extend(std::mem::take(&mut more.follow));
                    listing.absorb(more, max);
                }
                Err(e) => tracing::warn!(feed = %feed.id, url = %base, "sitemap skipped: {e}"),
            }
        }
        Ok(listing)
    }
}

/// Parses one source document off the async threads (a large sitemap takes a while).
async fn parse(
    kind: &SourceKind,
    body: Vec<u8>,
    base: url::Url,
    max: usize,
) -> Result<Listing, crate::source::SourceError> {
    let kind = kind.clone();
    super::cpu::run("listing parser", move || {
        crate::source::read_listing(&kind, &body, &base, max)
    })
    .await
    .expect("listing parser panicked")
}
