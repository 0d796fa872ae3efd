//! The pipeline: one pass over one feed — source, fetch, extract, summarize, store, publish.
//!
//! This module only sequences the stages: it reads the source, asks `policy` whether each entry
//! is worth fetching (a refetch of a stored article is a conditional GET), has `item` assemble what
//! is stored, and rewrites the published files. One bad article never stops a run; a feed fails as
//! a whole only when its source cannot be read. A pass is bounded (`bounds`): at its deadline or at
//! shutdown it stops fetching and publishes what it has, and articles on a host that is on hold
//! wait for a later run.
//!
//! Owns: the order of the stages, per-entry outcomes and the run report. Does not own: the refetch
//! and back-off rules (`policy`), how an item is built (`item`), the counters (`metrics`), nor any
//! stage's own work.

use std::sync::{Arc, Mutex};

use chrono::Utc;
use futures_util::StreamExt;

use crate::extract::{Extractor, SiteRules};
use crate::fetch::{FetchError, FetchRequest, Fetched, Fetcher, Validators};
use crate::filter::Subject;
use crate::model::FeedMeta;
use crate::model::Page;
use crate::source::Candidate;
use crate::store::{
    FeedState, FetchLogEntry, ItemMeta, Known, RulesHealth, Store, StoreError, Upsert,
};

mod bounds;
mod cpu;
mod failure;
mod feed;
mod item;
mod metrics;
mod pages;
mod policy;
mod publish;
mod report;
mod shared;
mod site;
mod sources;
mod unread;
mod upstream;
mod writes;

pub use feed::{
    DEFAULT_SCHEDULE, DEFAULT_WORKER_LEASE, FeedConfig, FetchMode, NativeAds, OnFailure, Settings,
    database_of, db_path_in, public_dir_in,
};
pub use metrics::Metrics;
pub use pages::{MAX_PAGES, article_pages};
pub use policy::{MAX_FALLBACK_ATTEMPTS, canonical_url};
pub use report::FeedReport;
pub use shared::{MAX_SHARED, RunShare};
pub use sources::MAX_SITEMAP_DOCUMENTS;

use bounds::Bounds;
use metrics::bump;
use policy::{defers, source_sig};
use shared::Extracted;
use unread::Unread;
use writes::{ItemWrites, Written};

/// Why a feed failed as a whole.
#[derive(Debug, thiserror::Error)]
enum FeedError {
    #[error("source: {0}")]
    Source(FetchError),
    #[error("source: {0}")]
    Parse(#[from] crate::source::SourceError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("publishing: {0}")]
    Publish(#[from] crate::publish::PublishError),
}

/// What became of one source entry.
#[derive(Debug)]
enum Outcome {
    Stored(Written),
    /// Stored from the entry's own content; the page was not fetched (`fetch`).
    FromFeed(Written),
    Unchanged,
    /// Not stored, or stored as a teaser fallback; why.
    Failed(String),
    /// Dropped by the feed's filters (the reason is logged).
    Filtered,
    /// Left for a later run (host on hold).
    Deferred,
    /// The store refused the write (disk full, I/O error): the whole feed fails with it.
    StoreFailed(StoreError),
}

/// What became of one entry, and whether its site rules' body selector matched.
type Done = (Outcome, Option<bool>);

/// One source entry on its way through a run: where it came from and what identifies it.
struct Entry<'a> {
    feed: &'a FeedConfig,
    c: &'a Candidate,
    /// The entry's URL without fragment and tracking parameters.
    canonical: url::Url,
    /// The stored item's guid when the entry is known, else the source's (or the canonical URL).
    guid: String,
    /// See [`policy::source_sig`].
    sig: String,
    first_seen: chrono::DateTime<Utc>,
    /// The run's item writer.
    writes: &'a ItemWrites,
}

impl Entry<'_> {
    /// What is stored beside the entry's item, with its article page's validators.
    fn meta(&self, validators: (Option<String>, Option<String>), fallback: bool) -> ItemMeta {
        let (etag, last_modified) = validators;
        ItemMeta {
            link: self.c.url.to_string(),
            etag,
            last_modified,
            source_sig: self.sig.clone(),
            fallback,
        }
    }
}

/// A compiled extractor and the rules it was built from.
type ExtractorEntry = (SiteRules, Arc<Extractor>);

/// Everything a feed run needs, built once per process: config, HTTP client, store, extractors.
/// Cheap to clone (shared state behind `Arc`s).
#[derive(Clone)]
pub struct Pipeline {
    settings: Arc<Settings>,
    metrics: Arc<Metrics>,
    fetcher: Fetcher,
    store: Store,
    /// One extractor per distinct rule set (a feed's `[extract]` table over an article host's
    /// rule files), shared by every feed and host with those rules, the most recently used
    /// last: compiled rules (and the regex engines' per-thread caches) cost megabytes each, so
    /// the cache keeps at most [`site::EXTRACTORS_KEPT`] and drops the least recently used.
    extractors: Arc<Mutex<Vec<ExtractorEntry>>>,
    /// What was last published, so an unchanged feed is not reloaded and rendered again.
    published: Arc<Mutex<publish::Published>>,
    /// Where published files go.
    target: crate::publish::PublishTarget,
    /// Set once to make every pass stop fetching and publish what it has (shutdown).
    stop: Arc<tokio::sync::watch::Sender<bool>>,
    /// The feeds with a pass in progress: a feed never runs twice at once.
    running: bounds::Running,
    /// The article reads this pipeline's runs share with the other feeds of their pass (`shared`).
    shared: Option<Arc<RunShare>>,
    /// The daemon's passes, by schedule slot.
    passes: Arc<shared::Passes>,
}

impl Pipeline {
    /// Opens the database (`<data_dir>/clearfeed.db`, creating the data directory, unless
    /// `database_url` names a PostgreSQL one) and builds the HTTP client.
    pub fn new(settings: impl Into<Settings>) -> anyhow::Result<Self> {
        let settings = settings.into();
        let store = Store::open_database(&settings.database())?;
        let mut fetcher = Fetcher::new(&settings.fetch, &settings.user_agent)?;
        if store.is_shared() {
            fetcher = fetcher.with_shared_spacing(shared_spacing(store.clone()));
        }
        bounds::restore_holds(&store, &fetcher)?;
        let target = settings.publish_target()?;
        Ok(Pipeline {
            target,
            settings: Arc::new(settings),
            metrics: Default::default(),
            fetcher,
            store,
            extractors: Default::default(),
            published: Default::default(),
            stop: Arc::new(tokio::sync::watch::channel(false).0),
            running: Default::default(),
            shared: None,
            passes: Default::default(),
        })
    }

    /// Makes every pass of this pipeline, running or to come, stop fetching at once and store and
    /// publish what it has read (for shutdown; there is no undoing it).
    pub fn stop_fetching(&self) {
        self.stop.send_replace(true);
    }

    /// The settings this pipeline was built with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The database (for status pages: `store().call(|s| s.feed_states())`).
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    /// Where this pipeline publishes.
    pub fn publish_target(&self) -> &crate::publish::PublishTarget {
        &self.target
    }

    /// One pass over one feed, ending with its published files rewritten. Refused (counted, and
    /// reported as an error) while a pass of the same feed is still going.
    pub async fn run_feed(&self, feed: &FeedConfig) -> FeedReport {
        let mut report = FeedReport {
            feed: feed.id.clone(),
            ..Default::default()
        };
        let Some(_running) = self.running.start(&feed.id) else {
            bump(&self.metrics.feed_run_overlaps, 1);
            tracing::warn!(feed = %feed.id, "a pass of this feed is still running: not started");
            report.error = Some("not started: a pass of this feed is still running".into());
            return report;
        };
        let started = std::time::Instant::now();
        bump(&self.metrics.feed_runs, 1);
        match self.read_feed(feed, &mut report).await {
            Ok(()) => {}
            Err(FeedError::Source(e)) if defers(&e) => {
                tracing::info!(feed = %feed.id, "source not read: {e}");
                report.source_held = Some(e.to_string());
            }
            Err(err) => self.record_failure(feed, &err, &mut report).await,
        }
        if let Err(e) = bounds::save_holds(&self.store, &self.fetcher).await {
            tracing::warn!(feed = %feed.id, "cannot keep the host holds: {e}");
        }
        // Published files are rewritten even after a failure, so they exist and list what is stored.
        if let Err(err) = self.publish(feed).await {
            tracing::error!(feed = %feed.id, "{err}");
            if report.error.is_none() {
                report.error = Some(err.to_string());
                bump(&self.metrics.feed_failures, 1);
                self.metrics.count_failure("feed_publish");
            }
        }
        bump(
            &self.metrics.run_millis,
            started.elapsed().as_millis() as u64,
        );
        report
    }

    async fn read_feed(&self, feed: &FeedConfig, report: &mut FeedReport) -> Result<(), FeedError> {
        let run_start = Utc::now();
        let mut bounds = Bounds::new(self.settings.run_timeout_for(feed), self.stop.subscribe());
        let id = feed.id.clone();
        let state = self
            .store
            .call(move |s| s.feed_state(&id))
            .await?
            .unwrap_or_default();
        let fetched = match bounds.within(self.fetch_source(feed, &state)).await {
            Ok(fetched) => fetched,
            Err(cut) => {
                tracing::warn!(feed = %feed.id, "{cut} while reading the source");
                report.cut_short = Some(cut.to_string());
                return Ok(());
            }
        };
        let mut new_state = FeedState {
            id: feed.id.clone(),
            ..Default::default()
        };
        match fetched.map_err(FeedError::Source)? {
            Fetched::NotModified => {
                report.source_not_modified = true;
            }
            Fetched::Page(page) => {
                let base = page.url.clone().unwrap_or_else(|| feed.source_url.clone());
                let listing = self.listing(feed, page.body, base).await?;
                new_state.etag = page.etag;
                new_state.last_modified = page.last_modified;
                new_state.title = listing.title.clone();
                new_state.site_url = listing.site_url.as_ref().map(|u| u.to_string());
                new_state.description = listing.description.clone();
                self.process_entries(feed, listing.entries, run_start, bounds, report)
                    .await?;
                new_state.last_run_failed = report.failed as u32;
                new_state.last_item_error = report.last_item_error.clone();
            }
        }
        let (id, keep) = (feed.id.clone(), self.settings.max_items_for(feed));
        let older_than = self
            .settings
            .retention
            .and_then(|r| chrono::Duration::from_std(r).ok())
            .map(|r| run_start - r);
        let pruned = self
            .store
            .call(move |s| s.prune(&id, keep, older_than))
            .await?;
        if pruned > 0 {
            tracing::info!(feed = %feed.id, pruned, "retention");
        }
        let rules = RulesHealth {
            applied: report.rules_applied as u32,
            missed: report.rules_missed as u32,
            login_hosts: report.rules_login.clone(),
            ..RulesHealth::default()
        };
        self.store
            .call(move |s| {
                s.record_feed_success(&new_state, Utc::now())?;
                s.record_rules_run(&new_state.id, &rules)
            })
            .await?;
        Ok(())
    }

    async fn process_entries(
        &self,
        feed: &FeedConfig,
        entries: Vec<Candidate>,
        run_start: chrono::DateTime<Utc>,
        mut bounds: Bounds,
        report: &mut FeedReport,
    ) -> Result<(), StoreError> {
        let concurrency = self.settings.fetch.concurrency.max(1);
        let total = entries.len();
        report.rules_login = self.login_hosts(&entries);
        let writes = ItemWrites::start(self.store.clone());
        let stream = futures_util::stream::iter(entries.into_iter().enumerate())
            .map(|(pos, c)| {
                // Entries without a date keep the source's order: earlier in the listing = newer.
                let first_seen = run_start - chrono::Duration::milliseconds(pos as i64);
                self.process_entry(feed, c, first_seen, &writes)
            })
            .buffer_unordered(concurrency);
        let (outcomes, cut) = bounds.drain(Box::pin(stream)).await;
        writes.finish().await; // commits what is left, also after a cut
        if let Some(cut) = cut {
            let left = total - outcomes.len();
            tracing::warn!(feed = %feed.id, left, "{cut}: stopped fetching; publishing what was read");
            report.deferred += left;
            report.cut_short = Some(cut.to_string());
        }
        let mut store_failure = None;
        for (outcome, site_body) in outcomes {
            if let Some(matched) = site_body {
                report.rules_applied += 1;
                report.rules_missed += usize::from(!matched);
            }
            let from_feed = matches!(outcome, Outcome::FromFeed(_));
            match outcome {
                Outcome::Stored(w) | Outcome::FromFeed(w) => match w.outcome().await {
                    Ok(upsert) => {
                        report.from_feed += usize::from(from_feed);
                        report.count_stored(upsert);
                    }
                    Err(err) => {
                        report.failed += 1;
                        store_failure.get_or_insert(err);
                    }
                },
                Outcome::Unchanged => report.unchanged += 1,
                Outcome::Failed(why) => {
                    report.failed += 1;
                    report.last_item_error = Some(why);
                }
                Outcome::Filtered => report.filtered += 1,
                Outcome::Deferred => report.deferred += 1,
                Outcome::StoreFailed(err) => {
                    report.failed += 1;
                    store_failure.get_or_insert(err);
                }
            }
        }
        bump(&self.metrics.items_filtered, report.filtered as u64);
        bump(&self.metrics.items_from_feed, report.from_feed as u64);
        bump(&self.metrics.items_new, report.new as u64);
        bump(&self.metrics.items_updated, report.updated as u64);
        store_failure.map_or(Ok(()), Err)
    }

    async fn process_entry(
        &self,
        feed: &FeedConfig,
        c: Candidate,
        first_seen: chrono::DateTime<Utc>,
        writes: &ItemWrites,
    ) -> Done {
        match self.try_entry(feed, &c, first_seen, writes).await {
            Ok(done) => done,
            Err(err) => {
                tracing::error!(feed = %feed.id, url = %c.url, "{err}");
                (Outcome::StoreFailed(err), None)
            }
        }
    }

    /// One source entry: left alone when stored and unchanged, else fetched, extracted and
    /// stored, with the source's teaser kept when the article cannot be read.
    async fn try_entry(
        &self,
        feed: &FeedConfig,
        c: &Candidate,
        first_seen: chrono::DateTime<Utc>,
        writes: &ItemWrites,
    ) -> Result<Done, StoreError> {
        if let Some(why) = feed.filters.judge(&Subject::Listed(c)) {
            tracing::info!(feed = %feed.id, url = %c.url, "{why}");
            return Ok((Outcome::Filtered, None));
        }
        let canonical = canonical_url(&c.url);
        let guid = c.guid.clone().unwrap_or_else(|| canonical.to_string());
        let sig = source_sig(c);
        let known = self.known_item(feed, c, &guid, &canonical).await?;
        let mut validators = Validators::default();
        if let Some(k) = &known {
            if !policy::should_refetch(k, &sig, self.settings.fetch.refresh, Utc::now()) {
                return Ok((Outcome::Unchanged, None));
            }
            // Conditional even for a teaser fallback whose page was read but not extracted: an
            // unchanged page would fail the same way again.
            validators = Validators {
                etag: k.meta.etag.clone(),
                last_modified: k.meta.last_modified.clone(),
            };
        }
        let entry = Entry {
            feed,
            c,
            guid: known.as_ref().map_or(guid, |k| k.guid.clone()),
            canonical,
            sig,
            first_seen,
            writes,
        };
        let (chosen, extractor) = match self.site_rules(feed, &c.url) {
            Ok(site) => site,
            Err(e) => return Ok((Outcome::Failed(format!("site rules rejected: {e}")), None)),
        };
        if let Some(done) = self
            .read_from_feed(&entry, known.as_ref(), &extractor)
            .await?
        {
            return Ok(done);
        }
        let request = FetchRequest {
            url: Some(&c.url),
            validators,
            allow_hosts: &feed.allow_hosts,
            check_robots: true,
            headers: &chosen.headers,
        };
        let read = self.read_article(&feed.id, &entry.canonical, &request, &extractor);
        let unread = match read.await {
            Ok(None) => return Ok((self.touch(&entry).await?, None)),
            Ok(Some(extracted)) => match self.store_extracted(&entry, extracted).await? {
                Ok(done) => return Ok(done),
                Err(unread) => unread,
            },
            Err(e) if e.is_gone() => return Ok((self.drop_gone(&entry, e).await?, None)),
            Err(e) if defers(&e) => {
                return Ok((self.defer(&entry, known.as_ref(), e).await?, None));
            }
            Err(e) => Unread {
                reason: e.to_string(),
                validators: (None, None),
            },
        };
        Ok((
            self.keep_teaser(&entry, known.as_ref(), unread).await?,
            None,
        ))
    }

    /// The stored item an entry is, found by its guid or either of its URLs.
    async fn known_item(
        &self,
        feed: &FeedConfig,
        c: &Candidate,
        guid: &str,
        canonical: &url::Url,
    ) -> Result<Option<Known>, StoreError> {
        let (fid, g, urls) = (
            feed.id.clone(),
            guid.to_string(),
            vec![c.url.to_string(), canonical.to_string()],
        );
        self.store
            .call(move |s| {
                s.known(
                    &fid,
                    &g,
                    &urls.iter().map(String::as_str).collect::<Vec<_>>(),
                )
            })
            .await
    }

    /// The article page has not changed since it was stored: only the entry's signature is kept.
    async fn touch(&self, entry: &Entry<'_>) -> Result<Outcome, StoreError> {
        let (fid, g, sig) = (entry.feed.id.clone(), entry.guid.clone(), entry.sig.clone());
        self.store
            .call(move |s| s.touch_item(&fid, &g, &sig))
            .await?;
        Ok(Outcome::Unchanged)
    }

    /// Extracts and summarizes a fetched article page and stores the item; see
    /// [`Pipeline::store_extracted`].
    async fn store_article(
        &self,
        entry: &Entry<'_>,
        pages: Vec<Page>,
        extractor: Arc<Extractor>,
    ) -> Result<Result<Done, Unread>, StoreError> {
        let extracted = self.extract_pages(&entry.c.url, pages, extractor).await;
        self.store_extracted(entry, extracted).await
    }

    /// Stores the item of an extracted article (unless the feed's filters drop it); or says why
    /// it could not be read (with the page's validators, so an unchanged page is not downloaded
    /// again).
    async fn store_extracted(
        &self,
        entry: &Entry<'_>,
        extracted: Extracted,
    ) -> Result<Result<Done, Unread>, StoreError> {
        let Extracted {
            etag,
            last_modified,
            final_url,
            result,
        } = extracted;
        let c = entry.c;
        let (mut article, summary) = match result {
            Ok(done) => done,
            Err(reason) => {
                return Ok(Err(Unread {
                    reason,
                    validators: (etag, last_modified),
                }));
            }
        };
        let site_body = article.site_body;
        if self.native_ad_dropped(entry, &mut article).await? {
            return Ok(Ok((
                Outcome::Stored(Written::Done(Upsert::Unchanged)),
                site_body,
            )));
        }
        if let Some(why) = entry.feed.filters.judge(&Subject::Extracted(c, &article)) {
            return Ok(Ok((self.drop_filtered(entry, why).await?, site_body)));
        }
        let item = item::article_item(
            entry.feed,
            &entry.guid,
            c,
            final_url,
            &article,
            &summary,
            entry.first_seen,
        );
        let meta = entry.meta((etag, last_modified), false);
        let written = entry.writes.write(item, meta);
        Ok(Ok((Outcome::Stored(written), site_body)))
    }

    /// A fetch with its metrics and fetch-log row.
    async fn fetch_logged(
        &self,
        feed: &str,
        request: &FetchRequest<'_>,
    ) -> Result<Fetched, FetchError> {
        let started = std::time::Instant::now();
        let result = self.fetcher.fetch(request).await;
        bump(&self.metrics.fetches, 1);
        let (status, outcome, bytes) = match &result {
            Ok(Fetched::Page(p)) => (Some(p.status), "ok".to_string(), p.body.len() as u64),
            Ok(Fetched::NotModified) => {
                bump(&self.metrics.not_modified, 1);
                (Some(304), "not-modified".to_string(), 0)
            }
            Err(e) => {
                bump(&self.metrics.fetch_errors, 1);
                self.metrics.count_failure(e.reason());
                (e.status(), e.to_string(), 0)
            }
        };
        let entry = FetchLogEntry {
            at: Utc::now(),
            feed: feed.to_string(),
            url: request.url.map(|u| u.to_string()).unwrap_or_default(),
            status,
            outcome,
            millis: started.elapsed().as_millis() as u64,
            bytes,
        };
        if let Err(e) = self.store.call(move |s| s.log_fetch(&entry)).await {
            tracing::warn!("fetch log: {e}");
        }
        result
    }

    /// How a feed presents itself when published: its configured title (else the source's own),
    /// the source's description and site link.
    pub fn feed_meta(&self, feed: &FeedConfig, state: Option<&FeedState>) -> FeedMeta {
        item::feed_meta(feed, state, self.settings.base_url.as_ref())
    }
}

/// Host spacing kept in a shared store, for the fetcher: a store that cannot be reached costs the
/// spacing across workers (logged), never the request.
fn shared_spacing(store: Store) -> crate::fetch::SharedSpacing {
    std::sync::Arc::new(move |host: String, spacing| {
        let store = store.clone();
        Box::pin(async move {
            let asked = host.clone();
            match store.call(move |s| s.reserve_host(&asked, spacing)).await {
                Ok(wait) => wait,
                Err(e) => {
                    tracing::warn!(%host, error = %e, "cannot reserve the host's next request");
                    std::time::Duration::ZERO
                }
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scheduler spawns feed runs on the runtime: the future must be `Send` and `'static`-able.
    #[test]
    fn run_feed_future_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let dir = tempfile::tempdir().unwrap();
        let pipeline = Pipeline::new(Settings {
            data_dir: dir.path().to_path_buf(),
            ..Settings::default()
        })
        .unwrap();
        let feed = FeedConfig::from_feed_url("f", url::Url::parse("https://e.example/").unwrap());
        let fut = async move { pipeline.run_feed(&feed).await };
        assert_send(&fut);
    }
}
