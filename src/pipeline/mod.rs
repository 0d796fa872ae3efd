//! The pipeline: one pass over one feed — source, fetch, extract, summarize, store, publish.
//!
//! This module only sequences the stages and decides, per source entry, whether to fetch:
//! an entry already stored is not fetched again unless its source signals a change (another title
//! or `updated` date), it is younger than `[fetch] refresh`, or it is still a teaser fallback (tried
//! up to [`MAX_FALLBACK_ATTEMPTS`] times). A refetch of a stored article is a conditional GET.
//! One bad article never stops a run; a feed fails as a whole only when its source cannot be read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::extract::{Extractor, SiteRules};
use crate::fetch::{FetchError, FetchRequest, Fetched, Fetcher, Validators};
use crate::model::Page;
use crate::model::{FeedMeta, Item};
use crate::source::Candidate;
use crate::source::SourceKind;
use crate::store::{FeedState, FetchLogEntry, ItemMeta, Store, Upsert};

mod feed;

pub use feed::{DEFAULT_SCHEDULE, FeedConfig, Settings};

/// How many runs a teaser fallback is retried before it is left as it is.
pub const MAX_FALLBACK_ATTEMPTS: u32 = 3;

/// What one pass over one feed did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedReport {
    pub feed: String,
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Articles that could not be fetched or extracted (the feed itself was read). Except for
    /// 404/410 (dropped), they are stored with the source's teaser as content, marked as such, and
    /// retried on the next runs.
    pub failed: usize,
    /// Set when the feed failed as a whole (its source could not be read).
    pub error: Option<String>,
    /// The source answered 304 Not Modified: nothing to look at this time.
    pub source_not_modified: bool,
    /// Why the last of the `failed` articles failed.
    pub last_item_error: Option<String>,
}

impl std::fmt::Display for FeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.error {
            Some(err) => write!(f, "{}: feed failed: {err}", self.feed),
            None => {
                write!(
                    f,
                    "{}: new {}, updated {}, unchanged {}, failed {}",
                    self.feed, self.new, self.updated, self.unchanged, self.failed
                )?;
                if self.source_not_modified {
                    write!(f, " (source not modified)")?;
                }
                Ok(())
            }
        }
    }
}

/// Process-wide counters, rendered by `serve` at `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    pub fetches: AtomicU64,
    pub fetch_errors: AtomicU64,
    pub not_modified: AtomicU64,
    pub items_new: AtomicU64,
    pub items_updated: AtomicU64,
    pub feed_runs: AtomicU64,
    pub feed_failures: AtomicU64,
    /// Total seconds spent in feed runs, in milliseconds.
    pub run_millis: AtomicU64,
    /// Failures by kind ([`FetchError::reason`], `extract_*`, `feed_*`): a total alone cannot
    /// tell a host that times out from a site that started serving PDFs.
    failures: Mutex<std::collections::BTreeMap<&'static str, u64>>,
}

impl Metrics {
    /// Counts one failure of kind `reason`.
    pub fn count_failure(&self, reason: &'static str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry(reason).or_default() += 1;
    }

    /// Failures counted so far, by kind, sorted by kind.
    pub fn failures(&self) -> Vec<(&'static str, u64)> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.iter().map(|(k, v)| (*k, *v)).collect()
    }
}

/// The failure-counter label of an extraction error.
fn extract_reason(e: &crate::extract::ExtractError) -> &'static str {
    use crate::extract::ExtractError::*;
    match e {
        Empty => "extract_empty",
        Binary(_) => "extract_binary",
        NoContent => "extract_no_content",
        BadRule { .. } => "extract_rule",
    }
}

fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

/// Why a feed failed as a whole.
#[derive(Debug, thiserror::Error)]
enum FeedError {
    #[error("source: {0}")]
    Source(FetchError),
    #[error("source: {0}")]
    Parse(#[from] crate::source::SourceError),
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    #[error("publishing: {0}")]
    Publish(#[from] crate::publish::PublishError),
}

/// What became of one source entry.
#[derive(Debug)]
enum Outcome {
    Stored(Upsert),
    Unchanged,
    /// Not stored, or stored as a teaser fallback; why.
    Failed(String),
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
    /// One extractor per distinct rule set, shared by every feed with those rules: compiled rules
    /// (and the regex engines' per-thread caches) cost megabytes each, so a cache keyed by feed
    /// would grow with the number of feeds.
    extractors: Arc<Mutex<Vec<ExtractorEntry>>>,
}

impl Pipeline {
    /// Opens `<data_dir>/clearfeed.db` (creating the data directory) and builds the HTTP client.
    pub fn new(settings: impl Into<Settings>) -> anyhow::Result<Self> {
        let settings = settings.into();
        let store = Store::open(&settings.db_path())?;
        let fetcher = Fetcher::new(&settings.fetch, &settings.user_agent)?;
        Ok(Pipeline {
            settings: Arc::new(settings),
            metrics: Default::default(),
            fetcher,
            store,
            extractors: Default::default(),
        })
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

    /// One pass over one feed, ending with its published files rewritten.
    pub async fn run_feed(&self, feed: &FeedConfig) -> FeedReport {
        let started = std::time::Instant::now();
        bump(&self.metrics.feed_runs, 1);
        let mut report = FeedReport {
            feed: feed.id.clone(),
            ..Default::default()
        };
        let result = self.read_feed(feed, &mut report).await;
        if let Err(err) = &result {
            report.error = Some(err.to_string());
            bump(&self.metrics.feed_failures, 1);
            // A source that could not be fetched is already counted under its fetch reason.
            match err {
                FeedError::Source(_) => {}
                FeedError::Parse(_) => self.metrics.count_failure("feed_unreadable"),
                FeedError::Store(_) => self.metrics.count_failure("feed_store"),
                FeedError::Publish(_) => self.metrics.count_failure("feed_publish"),
            }
            tracing::warn!(feed = %feed.id, "feed failed: {err}");
            let (id, msg) = (feed.id.clone(), err.to_string());
            let retry_after = match err {
                FeedError::Source(FetchError::Status { retry_after, .. }) => *retry_after,
                _ => None,
            };
            let stored = self
                .store
                .call(move |s| {
                    s.record_feed_failure(&id, &msg, Utc::now(), |n| feed_backoff(n, retry_after))
                })
                .await;
            if let Err(e) = stored {
                tracing::error!(feed = %feed.id, "cannot record the failure: {e}");
            }
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
        let id = feed.id.clone();
        let state = self
            .store
            .call(move |s| s.feed_state(&id))
            .await?
            .unwrap_or_default();
        let request = FetchRequest {
            url: Some(&feed.source_url),
            validators: Validators {
                etag: state.etag.clone(),
                last_modified: state.last_modified.clone(),
            },
            allow_hosts: &feed.allow_hosts,
            // Upstream feeds are subscriptions, read like any feed reader reads them; a listing
            // page is crawled, so robots.txt applies.
            check_robots: matches!(feed.source, SourceKind::Page(_)),
        };
        let fetched = self.fetch_logged(&feed.id, &request).await;
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
                let max = self.settings.max_items_for(feed);
                let kind = feed.source.clone();
                let body = page.body;
                let listing = tokio::task::spawn_blocking(move || {
                    crate::source::read_listing(&kind, &body, &base, max)
                })
                .await
                .expect("listing parser panicked")?;
                new_state.etag = page.etag;
                new_state.last_modified = page.last_modified;
                new_state.title = listing.title.clone();
                new_state.site_url = listing.site_url.as_ref().map(|u| u.to_string());
                new_state.description = listing.description.clone();
                self.process_entries(feed, listing.entries, run_start, report)
                    .await;
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
        self.store
            .call(move |s| s.record_feed_success(&new_state, Utc::now()))
            .await?;
        Ok(())
    }

    async fn process_entries(
        &self,
        feed: &FeedConfig,
        entries: Vec<Candidate>,
        run_start: chrono::DateTime<Utc>,
        report: &mut FeedReport,
    ) {
        let extractor = match self.extractor(feed) {
            Ok(x) => x,
            Err(e) => {
                // Rules were validated at load; this is a rule the extractor rejects later.
                tracing::error!(feed = %feed.id, "site rules rejected: {e}");
                report.failed += entries.len();
                return;
            }
        };
        let concurrency = self.settings.fetch.concurrency.max(1);
        let outcomes: Vec<Outcome> = futures_util::stream::iter(entries.into_iter().enumerate())
            .map(|(pos, c)| {
                // Entries without a date keep the source's order: earlier in the listing = newer.
                let first_seen = run_start - chrono::Duration::milliseconds(pos as i64);
                self.process_entry(feed, c, first_seen, extractor.clone())
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        for outcome in outcomes {
            match outcome {
                Outcome::Stored(Upsert::New) => report.new += 1,
                Outcome::Stored(Upsert::Updated) => report.updated += 1,
                Outcome::Stored(Upsert::Unchanged) | Outcome::Unchanged => report.unchanged += 1,
                Outcome::Failed(why) => {
                    report.failed += 1;
                    report.last_item_error = Some(why);
                }
            }
        }
        bump(&self.metrics.items_new, report.new as u64);
        bump(&self.metrics.items_updated, report.updated as u64);
    }

    fn extractor(&self, feed: &FeedConfig) -> Result<Arc<Extractor>, crate::extract::ExtractError> {
        let mut cache = self.extractors.lock().expect("extractor cache poisoned");
        if let Some((_, x)) = cache.iter().find(|(rules, _)| *rules == feed.extract) {
            return Ok(x.clone());
        }
        let x = Arc::new(Extractor::new(&feed.extract)?);
        cache.push((feed.extract.clone(), x.clone()));
        Ok(x)
    }

    async fn process_entry(
        &self,
        feed: &FeedConfig,
        c: Candidate,
        first_seen: chrono::DateTime<Utc>,
        extractor: Arc<Extractor>,
    ) -> Outcome {
        match self.try_entry(feed, &c, first_seen, extractor).await {
            Ok(outcome) => outcome,
            Err(err) => {
                tracing::error!(feed = %feed.id, url = %c.url, "{err}");
                Outcome::Failed(err.to_string())
            }
        }
    }

    async fn try_entry(
        &self,
        feed: &FeedConfig,
        c: &Candidate,
        first_seen: chrono::DateTime<Utc>,
        extractor: Arc<Extractor>,
    ) -> Result<Outcome, crate::store::StoreError> {
        let canonical = canonical_url(&c.url);
        let guid = c.guid.clone().unwrap_or_else(|| canonical.to_string());
        let sig = source_sig(c);
        let (fid, g, urls) = (
            feed.id.clone(),
            guid.clone(),
            vec![c.url.to_string(), canonical.to_string()],
        );
        let known = self
            .store
            .call(move |s| {
                s.known(
                    &fid,
                    &g,
                    &urls.iter().map(String::as_str).collect::<Vec<_>>(),
                )
            })
            .await?;
        let mut validators = Validators::default();
        if let Some(k) = &known {
            let young = !self.settings.fetch.refresh.is_zero()
                && chrono::Duration::from_std(self.settings.fetch.refresh)
                    .is_ok_and(|r| Utc::now() - k.first_seen < r);
            let refetch = !k.pruned
                && ((k.meta.fallback && k.attempts < MAX_FALLBACK_ATTEMPTS)
                    || k.meta.source_sig != sig
                    || young);
            if !refetch {
                return Ok(Outcome::Unchanged);
            }
            // Conditional even for a teaser fallback whose page was read but not extracted: an
            // unchanged page would fail the same way again.
            validators = Validators {
                etag: k.meta.etag.clone(),
                last_modified: k.meta.last_modified.clone(),
            };
        }
        let guid = known.as_ref().map_or(guid, |k| k.guid.clone());
        let request = FetchRequest {
            url: Some(&c.url),
            validators,
            allow_hosts: &feed.allow_hosts,
            check_robots: true,
        };
        let meta = ItemMeta {
            link: c.url.to_string(),
            source_sig: sig.clone(),
            ..Default::default()
        };
        let mut page_validators = (None, None);
        let failure = match self.fetch_logged(&feed.id, &request).await {
            Ok(Fetched::NotModified) => {
                let (fid, g) = (feed.id.clone(), guid.clone());
                self.store
                    .call(move |s| s.touch_item(&fid, &g, &sig))
                    .await?;
                return Ok(Outcome::Unchanged);
            }
            Ok(Fetched::Page(page)) => {
                let (etag, last_modified) = (page.etag.clone(), page.last_modified.clone());
                let final_url = page.url.clone();
                match tokio::task::spawn_blocking(move || extract_and_summarize(&extractor, &page))
                    .await
                {
                    Ok(Ok((article, summary))) => {
                        let item =
                            article_item(feed, &guid, c, final_url, &article, &summary, first_seen);
                        let meta = ItemMeta {
                            etag,
                            last_modified,
                            ..meta
                        };
                        let upsert = self
                            .store
                            .call(move |s| s.upsert_item(&item, &meta))
                            .await?;
                        return Ok(Outcome::Stored(upsert));
                    }
                    Ok(Err(e)) => {
                        self.metrics.count_failure(extract_reason(&e));
                        page_validators = (etag, last_modified);
                        format!("{}: extraction: {e}", c.url)
                    }
                    Err(e) => {
                        self.metrics.count_failure("extract_panic");
                        format!("{}: extraction panicked: {e}", c.url)
                    }
                }
            }
            Err(e) if e.is_gone() => {
                tracing::warn!(feed = %feed.id, "article dropped: {e}");
                let (fid, g, link) = (feed.id.clone(), guid.clone(), c.url.to_string());
                self.store
                    .call(move |s| s.mark_gone(&fid, &g, &link, &sig))
                    .await?;
                return Ok(Outcome::Failed(e.to_string()));
            }
            Err(e) => e.to_string(),
        };
        tracing::warn!(feed = %feed.id, url = %c.url, "article not read: {failure}");
        // Users expect an item rather than nothing: keep the source's teaser (or just the title
        // and link when there is none), marked as such, unless a real article is already stored.
        let has_real_copy = known.as_ref().is_some_and(|k| !k.meta.fallback);
        if !has_real_copy {
            let item = teaser_item(
                feed,
                &guid,
                c,
                &canonical,
                c.teaser.as_deref(),
                &failure,
                first_seen,
            );
            let meta = ItemMeta {
                fallback: true,
                etag: page_validators.0,
                last_modified: page_validators.1,
                ..meta
            };
            self.store
                .call(move |s| s.upsert_item(&item, &meta))
                .await?;
        }
        Ok(Outcome::Failed(failure))
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
        let title = match state.and_then(|s| s.title.clone()) {
            Some(t) if feed.title == feed.id && !t.is_empty() => t,
            _ => feed.title.clone(),
        };
        FeedMeta {
            id: feed.id.clone(),
            description: state
                .and_then(|s| s.description.clone())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| format!("{title}: full articles with summaries")),
            title,
            site_url: state
                .and_then(|s| s.site_url.clone())
                .unwrap_or_else(|| feed.source_url.to_string()),
            base_url: self.settings.base_url.as_ref().map(|u| u.to_string()),
        }
    }

    /// Rewrites one feed's published files and the OPML list of every feed.
    async fn publish(&self, feed: &FeedConfig) -> Result<(), FeedError> {
        let (id, limit) = (feed.id.clone(), self.settings.max_items_for(feed));
        let (items, states) = self
            .store
            .call(move |s| Ok((s.items(&id, limit)?, s.feed_states()?)))
            .await?;
        let meta = self.feed_meta(feed, states.iter().find(|s| s.id == feed.id));
        let all: Vec<FeedMeta> = self
            .settings
            .feeds
            .iter()
            .map(|f| self.feed_meta(f, states.iter().find(|s| s.id == f.id)))
            .collect();
        let public = self.settings.public_dir();
        tokio::task::spawn_blocking(move || {
            crate::publish::write_feed(&public, &meta, &items)?;
            crate::publish::write_opml(&public, &all)
        })
        .await
        .expect("publishing panicked")?;
        Ok(())
    }
}

fn extract_and_summarize(
    extractor: &Extractor,
    page: &Page,
) -> Result<(crate::extract::Article, crate::summarize::Summary), crate::extract::ExtractError> {
    let article = extractor.article(page)?;
    let summary = crate::summarize::summarize(&article);
    Ok((article, summary))
}

/// Back-off before a failed feed should run again: 5 minutes doubling per failure, at most 6
/// hours, or what the server asked for if longer.
fn feed_backoff(failures: u32, retry_after: Option<std::time::Duration>) -> chrono::Duration {
    let exp = chrono::Duration::minutes(5) * 2i32.pow(failures.saturating_sub(1).min(10));
    let wait = exp.min(chrono::Duration::hours(6));
    match retry_after.and_then(|r| chrono::Duration::from_std(r).ok()) {
        Some(r) if r > wait => r,
        _ => wait,
    }
}

/// The article URL without its fragment and without tracking parameters (`utm_*`, `fbclid`, ...).
pub fn canonical_url(url: &url::Url) -> url::Url {
    let mut url = url.clone();
    url.set_fragment(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !crate::extract::sanitize::is_tracking_param(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    url
}

/// What the source says about an entry that, when it changes, makes the article worth fetching
/// again (the teaser is left out: it often carries rotating ad text).
fn source_sig(c: &Candidate) -> String {
    let mut h = Sha256::new();
    h.update(c.title.as_deref().unwrap_or("").as_bytes());
    h.update([0]);
    if let Some(u) = c.updated {
        h.update(u.to_rfc3339().as_bytes());
    }
    hex(&h.finalize()[..12])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A canonical link is taken when it is http(s), on the fetched page's host (give or take `www.`),
/// and names a page rather than the site root.
fn believable_canonical(canonical: &url::Url, fetched: &url::Url) -> bool {
    let bare = |u: &url::Url| {
        u.host_str()
            .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
    };
    matches!(canonical.scheme(), "http" | "https")
        && bare(canonical) == bare(fetched)
        && !canonical.path().trim_matches('/').is_empty()
}

/// A publication date, unless it lies more than a day in the future (a wrong clock or a wrong
/// time zone upstream); such an item would otherwise stay on top of every reader's list.
fn plausible(t: Option<chrono::DateTime<Utc>>) -> Option<chrono::DateTime<Utc>> {
    t.filter(|t| *t <= Utc::now() + chrono::Duration::days(1))
}

/// The content hash: everything a reader sees.
fn content_hash(title: &str, bullets: &[String], lead: &str, html: &str) -> String {
    let mut h = Sha256::new();
    for part in [title, lead, html] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    for b in bullets {
        h.update(b.as_bytes());
        h.update([1]);
    }
    hex(&h.finalize())
}

#[allow(clippy::too_many_arguments)]
fn article_item(
    feed: &FeedConfig,
    guid: &str,
    c: &Candidate,
    final_url: Option<url::Url>,
    article: &crate::extract::Article,
    summary: &crate::summarize::Summary,
    first_seen: chrono::DateTime<Utc>,
) -> Item {
    let fetched = final_url.unwrap_or_else(|| c.url.clone());
    // The page's own canonical link wins when it is believable: items are deduplicated by it, so
    // a template that points every page at the home page must not merge all articles into one.
    let url = article
        .url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .filter(|u| believable_canonical(u, &fetched))
        .map(|u| canonical_url(&u))
        .unwrap_or_else(|| canonical_url(&fetched));
    let title = Some(article.title.trim())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .or_else(|| c.title.clone())
        .unwrap_or_else(|| url.to_string());
    Item {
        feed: feed.id.clone(),
        guid: guid.to_string(),
        content_hash: content_hash(
            &title,
            &summary.bullets,
            &summary.lead,
            &article.content_html,
        ),
        url: url.to_string(),
        title,
        byline: article.byline.clone(),
        published: plausible(article.published.map(|p| p.with_timezone(&Utc)))
            .or(plausible(c.published)),
        updated: Utc::now(),
        bullets: summary.bullets.clone(),
        lead: summary.lead.clone(),
        summary: summary.text.clone(),
        content_html: article.content_html.clone(),
        image: article.image.clone(),
        first_seen,
    }
}

/// An item made of the source's teaser, for an article that could not be read. The teaser is
/// upstream HTML: it is sanitized here like everything else that reaches readers.
fn teaser_item(
    feed: &FeedConfig,
    guid: &str,
    c: &Candidate,
    canonical: &url::Url,
    teaser: Option<&str>,
    reason: &str,
    first_seen: chrono::DateTime<Utc>,
) -> Item {
    // The same allow-list as extracted articles (tracking parameters out, links absolute).
    let clean =
        crate::extract::sanitize::Sanitizer::new().clean(teaser.unwrap_or(""), Some(canonical));
    let text = scraper::Html::parse_fragment(&clean)
        .root_element()
        .text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let note = if teaser.is_some() {
        "Only the source's teaser is shown: the full article could not be read."
    } else {
        "The full article could not be read; follow the link to the source."
    };
    let content_html = format!("<p><em>{note}</em></p>\n{clean}");
    let title = c.title.clone().unwrap_or_else(|| canonical.to_string());
    tracing::debug!(feed = %feed.id, %reason, "teaser fallback");
    Item {
        feed: feed.id.clone(),
        guid: guid.to_string(),
        url: canonical.to_string(),
        content_hash: content_hash(&title, &[], &text, &content_html),
        title,
        byline: None,
        published: plausible(c.published),
        updated: Utc::now(),
        bullets: Vec::new(),
        summary: text.clone(),
        lead: text,
        content_html,
        image: None,
        first_seen,
    }
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

    #[test]
    fn canonical_links_are_checked_before_they_dedupe() {
        let page = url::Url::parse("https://www.news.example/2026/story?ref=rss").unwrap();
        let ok = |s: &str| believable_canonical(&url::Url::parse(s).unwrap(), &page);
        assert!(ok("https://news.example/2026/story"));
        assert!(!ok("https://news.example/"), "the site root");
        assert!(!ok("https://other.example/2026/story"), "another site");
        assert!(!ok("ftp://news.example/2026/story"));
    }

    #[test]
    fn future_dates_are_not_trusted() {
        let now = Utc::now();
        assert_eq!(plausible(Some(now)), Some(now));
        assert_eq!(plausible(Some(now + chrono::Duration::days(400))), None);
        assert_eq!(plausible(None), None);
    }

    #[test]
    fn canonical_url_drops_fragment_and_trackers() {
        let u = url::Url::parse("https://e.example/a?id=3&utm_source=x&fbclid=y#top").unwrap();
        assert_eq!(canonical_url(&u).as_str(), "https://e.example/a?id=3");
        let u = url::Url::parse("https://e.example/a?utm_medium=rss").unwrap();
        assert_eq!(canonical_url(&u).as_str(), "https://e.example/a");
    }

    #[test]
    fn source_sig_follows_title_and_updated_not_teaser() {
        let c = Candidate {
            url: url::Url::parse("https://e.example/a").unwrap(),
            title: Some("A".into()),
            published: None,
            updated: None,
            guid: None,
            teaser: Some("ad 1".into()),
        };
        let same = Candidate {
            teaser: Some("ad 2".into()),
            ..c.clone()
        };
        assert_eq!(source_sig(&c), source_sig(&same));
        let edited = Candidate {
            title: Some("A (corrected)".into()),
            ..c.clone()
        };
        assert_ne!(source_sig(&c), source_sig(&edited));
        let updated = Candidate {
            updated: Some(Utc::now()),
            ..c.clone()
        };
        assert_ne!(source_sig(&c), source_sig(&updated));
    }

    #[test]
    fn feed_backoff_doubles_and_honours_retry_after() {
        assert_eq!(feed_backoff(1, None), chrono::Duration::minutes(5));
        assert_eq!(feed_backoff(3, None), chrono::Duration::minutes(20));
        assert_eq!(feed_backoff(30, None), chrono::Duration::hours(6));
        assert_eq!(
            feed_backoff(1, Some(std::time::Duration::from_secs(3600))),
            chrono::Duration::hours(1)
        );
    }

    #[test]
    fn teaser_item_is_sanitized_and_marked() {
        let feed =
            FeedConfig::from_feed_url("f", url::Url::parse("https://e.example/rss").unwrap());
        let c = Candidate {
            url: url::Url::parse("https://e.example/a").unwrap(),
            title: Some("Title".into()),
            published: None,
            updated: None,
            guid: None,
            teaser: None,
        };
        let it = teaser_item(
            &feed,
            "g",
            &c,
            &c.url,
            Some("<p onclick=\"x()\">Short <script>alert(1)</script>teaser</p>"),
            "robots",
            Utc::now(),
        );
        assert!(!it.content_html.contains("script"));
        assert!(!it.content_html.contains("onclick"));
        assert!(it.content_html.contains("teaser"));
        assert!(it.content_html.contains("could not be read"));
        assert_eq!(it.summary, "Short teaser");
    }
}
