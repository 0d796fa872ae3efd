//! The plain values a feed run is given: one feed's own settings ([`FeedConfig`]) and the settings
//! shared by every run ([`Settings`]). `config` builds them from files; tools and tests build them
//! in code. Nothing here reads a file.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::extract::SiteRules;
use crate::fetch::{DEFAULT_USER_AGENT, FetchConfig};
use crate::filter::Filters;
use crate::rules::RulesLibrary;
use crate::source::SourceKind;
use crate::store::Database;

/// The schedule used when a feed file gives none: every 30 minutes, on the minute.
pub const DEFAULT_SCHEDULE: &str = "0 */30 * * * *";

/// One feed, from `feeds/<id>.toml`.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// The file stem.
    pub id: String,
    pub title: String,
    /// Cron expression as written (5 or 6 fields); see [`crate::schedule::parse_schedule`].
    pub schedule: String,
    /// Source URL (upstream feed or listing page).
    pub source_url: url::Url,
    pub extract: SiteRules,
    /// How the source is read.
    pub source: SourceKind,
    /// Hosts this feed may fetch from even when they resolve to private addresses.
    pub allow_hosts: Vec<String>,
    /// Overrides the global `max_items` for this feed.
    pub max_items: Option<usize>,
    /// Whether the key points are put at the top of the published content (default true).
    pub summary_in_content: bool,
    /// Which entries are dropped (`keep_*`/`drop_*` patterns).
    pub filters: Filters,
    /// The feed's declared language (`language = "en"`); `None`: the language of most items.
    pub language: Option<String>,
    /// Overrides `[fetch] run_timeout`, the deadline of one pass over this feed.
    pub run_timeout: Option<Duration>,
    /// What is published for an article that cannot be read.
    pub on_failure: OnFailure,
    /// Whether article pages are fetched or the entry's own content is used (`fetch`).
    pub fetch: FetchMode,
    /// The file the feed came from (empty for feeds built in code).
    pub file: PathBuf,
}

/// What a feed publishes for an article that cannot be read (fetch or extraction failed, or its
/// host is on hold). Either way the article is tried again on later runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    /// An item with the source's teaser (or just title and link), marked as such.
    #[default]
    Teaser,
    /// No item until the article can be read.
    Skip,
}

/// Whether a feed's article pages are fetched, or the content its entries carry is used
/// (`content:encoded`, Atom `content`, JSON `content_html`), cleaned by the same extraction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FetchMode {
    /// The entry's content when it is the full article (see [`crate::source::Fullness`]), else
    /// the page.
    #[default]
    Auto,
    /// Always the page.
    Always,
    /// Never the page: the entry's content, else its teaser.
    Never,
}

impl FeedConfig {
    /// A feed read from an upstream RSS/Atom/JSON feed, every other setting at its default.
    pub fn from_feed_url(id: &str, url: url::Url) -> Self {
        FeedConfig {
            id: id.to_string(),
            title: id.to_string(),
            schedule: DEFAULT_SCHEDULE.to_string(),
            source_url: url,
            extract: SiteRules::default(),
            source: SourceKind::Feed,
            allow_hosts: Vec::new(),
            max_items: None,
            summary_in_content: true,
            filters: Filters::default(),
            language: None,
            run_timeout: None,
            on_failure: OnFailure::Teaser,
            fetch: FetchMode::Auto,
            file: PathBuf::new(),
        }
    }
}

/// What every feed run shares: where data lives, how to fetch, how much to keep.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the database and `public/` live.
    pub data_dir: PathBuf,
    /// Public base URL the feeds are reachable at (for self links), e.g. `https://feeds.example.org`.
    pub base_url: Option<url::Url>,
    /// Sent with every request.
    pub user_agent: String,
    /// HTTP client, politeness and address-guard settings (`[fetch]`).
    pub fetch: FetchConfig,
    /// Items kept (and published) per feed unless the feed says otherwise; older ones are pruned.
    pub max_items: usize,
    /// Items older than this (by first sight) are pruned; `None` keeps them until `max_items` does.
    pub retention: Option<Duration>,
    /// Every configured feed: the OPML list published beside each feed names them all.
    pub feeds: Vec<FeedConfig>,
    /// A PostgreSQL database (`postgres://…`) instead of SQLite in the data directory.
    pub database_url: Option<String>,
    /// How long a worker's claim on a feed lasts unless renewed (PostgreSQL only).
    pub worker_lease: Duration,
    /// A bucket prefix to publish to instead of the public directory.
    pub publish_to: Option<crate::publish::S3Location>,
    /// Site rules by host (`rules_dir`, `ftr_rules_dir`), loaded once.
    pub rules: Arc<RulesLibrary>,
    /// What becomes of an article a site rule's `native_ad_clue` marks as sponsored.
    pub native_ads: NativeAds,
}

/// What becomes of a native ad (sponsored content a site rule recognises).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NativeAds {
    /// Published with "Sponsored: " before its headline.
    #[default]
    Mark,
    /// Not published.
    Drop,
}

/// How long a worker's claim on a feed lasts unless renewed, when the configuration does not say.
pub const DEFAULT_WORKER_LEASE: Duration = Duration::from_secs(60);

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("data"),
            base_url: None,
            user_agent: DEFAULT_USER_AGENT.to_string(),
            fetch: FetchConfig::default(),
            max_items: 100,
            retention: None,
            feeds: Vec::new(),
            database_url: None,
            worker_lease: DEFAULT_WORKER_LEASE,
            publish_to: None,
            rules: Arc::default(),
            native_ads: NativeAds::default(),
        }
    }
}

impl Settings {
    /// Where the published feeds are written.
    pub fn public_dir(&self) -> PathBuf {
        public_dir_in(&self.data_dir)
    }

    /// Where published files go: the bucket prefix of `publish_to`, else the public directory.
    pub fn publish_target(
        &self,
    ) -> Result<crate::publish::PublishTarget, crate::publish::PublishError> {
        crate::publish::PublishTarget::of(self.publish_to.as_ref(), self.public_dir())
    }

    /// The SQLite database file.
    pub fn db_path(&self) -> PathBuf {
        db_path_in(&self.data_dir)
    }

    /// The database: `database_url` when set, else the SQLite file in the data directory.
    pub fn database(&self) -> Database {
        database_of(self.database_url.as_deref(), &self.data_dir)
    }

    /// The deadline of one pass over `feed`.
    pub fn run_timeout_for(&self, feed: &FeedConfig) -> Duration {
        feed.run_timeout.unwrap_or(self.fetch.run_timeout)
    }

    /// How many items `feed` keeps.
    pub fn max_items_for(&self, feed: &FeedConfig) -> usize {
        feed.max_items.unwrap_or(self.max_items)
    }
}

/// Where the published feeds of the data directory `data_dir` are written.
pub fn public_dir_in(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("public")
}

/// The database `database_url` names (checked when the configuration loaded), else the SQLite
/// file of the data directory `data_dir`.
pub fn database_of(database_url: Option<&str>, data_dir: &std::path::Path) -> Database {
    let sqlite = db_path_in(data_dir);
    Database::from_url(database_url, sqlite.clone()).unwrap_or(Database::Sqlite(sqlite))
}

/// The SQLite database file of the data directory `data_dir`.
pub fn db_path_in(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("clearfeed.db")
}
