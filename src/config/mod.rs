//! Configuration: `clearfeed.toml` (global settings) and `feeds/<id>.toml` (one feed each), plus
//! the site rules an extractor takes. Everything is validated at load; errors name file, line and key.
//!
//! Loading happens in three passes over each file, so that `clearfeed check` can report every
//! problem rather than the first one:
//! 1. TOML syntax (the parser's span gives the line);
//! 2. unknown keys, found by walking the spanned document against the field names of the serde
//!    structs themselves (no second hand-kept key list), with the nearest valid key as a hint;
//! 3. types and values (durations, URLs, cron lines, CSS selectors, regexes), each error pointing
//!    at the line of the offending value.
//!
//! A broken `clearfeed.toml` stops the program; a broken feed file disables only that feed.
//!
//! This file owns the loaded [`AppConfig`], [`AppConfig::load_from`], the walk over the feeds
//! directory and `clearfeed check`. It does not own the file formats and value checks
//! (`file.rs`), the error types, line numbers and key hints (`diagnostics.rs`), or writing feed
//! files from an OPML list (`import.rs`).

mod diagnostics;
mod file;
mod import;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use crate::extract::SiteRules;
pub use crate::fetch::{DEFAULT_USER_AGENT, FetchConfig};
pub use crate::pipeline::{
    DEFAULT_SCHEDULE, FeedConfig, FetchMode, NativeAds, OnFailure, Settings,
};
use crate::rules::{LoadReport, RulesLibrary};
pub use crate::source::{PageRules, SourceKind, UrlPatterns};
pub use diagnostics::{ConfigError, ConfigErrors};
pub use file::parse_feed;
use file::parse_global;
pub use import::{ImportError, ImportReport, feed_id, import_opml};

/// Global settings from `clearfeed.toml` plus the feeds found beside it.
///
/// Build one with [`AppConfig::load`]; in tests and tools, start from `AppConfig::default()` and
/// set what matters (`AppConfig { data_dir, feeds, ..Default::default() }`).
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Where the database and `public/` live.
    pub data_dir: PathBuf,
    /// Address `serve` and `run` listen on.
    pub listen: SocketAddr,
    /// Public base URL the feeds are reachable at (for self links), e.g. `https://feeds.example.org`.
    pub base_url: Option<url::Url>,
    /// Feeds that loaded cleanly.
    pub feeds: Vec<FeedConfig>,
    /// Sent with every request.
    pub user_agent: String,
    /// HTTP client, politeness and address-guard settings (`[fetch]`).
    pub fetch: FetchConfig,
    /// Items kept (and published) per feed unless the feed says otherwise; older ones are pruned.
    pub max_items: usize,
    /// Items older than this (by first sight) are pruned; `None` keeps them until `max_items` does.
    pub retention: Option<Duration>,
    /// The directory feed files were read from.
    pub feeds_dir: PathBuf,
    /// The main configuration file, when one existed.
    pub config_file: Option<PathBuf>,
    /// Feed files that failed to load (their feeds are disabled); `check` prints these.
    pub feed_errors: Vec<ConfigError>,
    /// A PostgreSQL database (`postgres://…`) instead of SQLite in the data directory.
    pub database_url: Option<String>,
    /// How long a worker's claim on a feed lasts unless renewed (PostgreSQL only).
    pub worker_lease: Duration,
    /// A bucket prefix published files go to instead of the public directory (`publish_to`).
    pub publish_to: Option<crate::publish::S3Location>,
    /// clearfeed's own rule files (`rules_dir`; default `rules/` beside the configuration file).
    pub rules_dir: PathBuf,
    /// ftr-site-config rule files (`ftr_rules_dir`), when configured.
    pub ftr_rules_dir: Option<PathBuf>,
    /// The site rules of both directories, loaded once.
    pub rules: Arc<RulesLibrary>,
    /// What loading them found (a bad file is reported here and skipped, never fatal).
    pub rules_report: LoadReport,
    /// What becomes of articles a site rule marks as native ads (`native_ads`).
    pub native_ads: NativeAds,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            data_dir: PathBuf::from("data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            base_url: None,
            feeds: Vec::new(),
            user_agent: DEFAULT_USER_AGENT.to_string(),
            fetch: FetchConfig::default(),
            max_items: 100,
            retention: None,
            feeds_dir: PathBuf::from("feeds"),
            config_file: None,
            feed_errors: Vec::new(),
            database_url: None,
            worker_lease: crate::pipeline::DEFAULT_WORKER_LEASE,
            publish_to: None,
            rules_dir: PathBuf::from("rules"),
            ftr_rules_dir: None,
            rules: Arc::default(),
            rules_report: LoadReport::default(),
            native_ads: NativeAds::default(),
        }
    }
}
impl AppConfig {
    /// Loads `config_path` (optional: a missing file means all defaults) and every `*.toml` in the
    /// feeds directory; `data_dir_override` (the `--data-dir` option) wins over the file. Errors in
    /// the main file are returned; errors in a feed file disable that feed, are logged, and are kept
    /// in `feed_errors`.
    pub fn load_from(
        config_path: &Path,
        data_dir_override: Option<PathBuf>,
    ) -> Result<AppConfig, ConfigErrors> {
        let base_dir = config_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let mut config = AppConfig {
            rules_dir: base_dir.join("rules"),
            ..AppConfig::default()
        };
        let mut feeds_dir = base_dir.join("feeds");
        let mut rules_dir_given = false;
        match std::fs::read_to_string(config_path) {
            Ok(text) => {
                config.config_file = Some(config_path.to_path_buf());
                let file = parse_global(config_path, &text)?;
                if let Some(dir) = file.data_dir {
                    config.data_dir = base_dir.join(dir);
                }
                if let Some(dir) = file.feeds_dir {
                    feeds_dir = base_dir.join(dir);
                }
                config.listen = file.listen.unwrap_or(config.listen);
                config.base_url = file.base_url;
                if let Some(ua) = file.user_agent {
                    config.user_agent = ua;
                }
                config.fetch = file.fetch;
                config.max_items = file.max_items.unwrap_or(config.max_items);
                config.retention = file.retention;
                config.database_url = file.database_url;
                config.worker_lease = file.worker_lease.unwrap_or(config.worker_lease);
                config.publish_to = file.publish_to.map(|mut to| {
                    to.endpoint = file
                        .s3_endpoint
                        .map(|u| u.as_str().trim_end_matches('/').into());
                    to
                });
                if let Some(dir) = file.rules_dir {
                    config.rules_dir = base_dir.join(dir);
                    rules_dir_given = true;
                }
                config.ftr_rules_dir = file.ftr_rules_dir.map(|d| base_dir.join(d));
                config.native_ads = file.native_ads.unwrap_or_default();
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::debug!(path = %config_path.display(), "no configuration file; using defaults");
            }
            Err(e) => {
                return Err(ConfigErrors(vec![ConfigError {
                    file: config_path.to_path_buf(),
                    line: None,
                    message: format!("cannot read: {e}"),
                    hint: None,
                }]));
            }
        }
        if let Some(dir) = data_dir_override {
            config.data_dir = dir;
        }
        config.feeds_dir = feeds_dir;
        let (feeds, errors) = load_feeds_dir(&config.feeds_dir);
        for err in &errors {
            tracing::warn!("feed disabled: {err}");
        }
        config.feeds = feeds;
        config.feed_errors = errors;
        // The default rules directory is optional; a named one must exist.
        let rules_dir = (rules_dir_given || config.rules_dir.is_dir()).then_some(&config.rules_dir);
        let (rules, report) = load_rules(
            rules_dir.map(PathBuf::as_path),
            config.ftr_rules_dir.as_deref(),
        );
        config.rules = Arc::new(rules);
        config.rules_report = report;
        Ok(config)
    }

    /// Loads other rule directories in place of the configured ones (`extract --rules-dir`).
    pub fn replace_rules(&mut self, rules_dir: Option<PathBuf>, ftr_rules_dir: Option<PathBuf>) {
        if rules_dir.is_none() && ftr_rules_dir.is_none() {
            return;
        }
        let own = rules_dir.or_else(|| self.rules_dir.is_dir().then(|| self.rules_dir.clone()));
        let ftr = ftr_rules_dir.or_else(|| self.ftr_rules_dir.clone());
        let (rules, report) = load_rules(own.as_deref(), ftr.as_deref());
        self.rules = Arc::new(rules);
        self.rules_report = report;
    }

    /// The settings every feed run shares, as the pipeline takes them.
    pub fn settings(&self) -> Settings {
        Settings {
            data_dir: self.data_dir.clone(),
            base_url: self.base_url.clone(),
            user_agent: self.user_agent.clone(),
            fetch: self.fetch.clone(),
            max_items: self.max_items,
            retention: self.retention,
            feeds: self.feeds.clone(),
            database_url: self.database_url.clone(),
            worker_lease: self.worker_lease,
            publish_to: self.publish_to.clone(),
            rules: self.rules.clone(),
            native_ads: self.native_ads,
        }
    }

    /// The directory published files are written to.
    pub fn public_dir(&self) -> PathBuf {
        crate::pipeline::public_dir_in(&self.data_dir)
    }

    /// The SQLite database file.
    pub fn db_path(&self) -> PathBuf {
        crate::pipeline::db_path_in(&self.data_dir)
    }

    /// The database: `database_url` when set, else the SQLite file in the data directory.
    pub fn database(&self) -> crate::store::Database {
        crate::pipeline::database_of(self.database_url.as_deref(), &self.data_dir)
    }
}

impl From<AppConfig> for Settings {
    fn from(c: AppConfig) -> Settings {
        c.settings()
    }
}

/// Loads the site rules of both directories; each file that cannot be used is logged as a
/// warning and skipped.
pub fn load_rules(
    rules_dir: Option<&Path>,
    ftr_rules_dir: Option<&Path>,
) -> (RulesLibrary, LoadReport) {
    let (rules, report) = RulesLibrary::load(rules_dir, ftr_rules_dir);
    for failure in &report.failed {
        tracing::warn!(
            "site rules skipped: {}: {}",
            failure.file.display(),
            failure.reason
        );
    }
    if rules_dir.is_some() || ftr_rules_dir.is_some() {
        tracing::debug!("{}", crate::rules::stats_line(&report));
    }
    (rules, report)
}

/// Reads every `*.toml` file in `dir` (sorted by name) as one feed. Files with other names, such as
/// `README.md` or `reference.toml.example`, are not feeds. A missing directory means no feeds.
pub fn load_feeds_dir(dir: &Path) -> (Vec<FeedConfig>, Vec<ConfigError>) {
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Vec::new(), Vec::new()),
        Err(e) => {
            return (
                Vec::new(),
                vec![ConfigError {
                    file: dir.to_path_buf(),
                    line: None,
                    message: format!("cannot read the feeds directory: {e}"),
                    hint: None,
                }],
            );
        }
    };
    paths.sort();
    let mut feeds = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse_feed(&path, &text) {
                Ok(feed) => feeds.push(feed),
                Err(mut errs) => errors.append(&mut errs.0),
            },
            Err(e) => errors.push(ConfigError {
                file: path.clone(),
                line: None,
                message: format!("cannot read: {e}"),
                hint: None,
            }),
        }
    }
    (feeds, errors)
}

/// What `check` prints, and how many errors it found.
pub fn check(config_path: &Path, data_dir: Option<PathBuf>) -> (String, usize) {
    let mut out = String::new();
    let errors = match AppConfig::load_from(config_path, data_dir) {
        Ok(config) => {
            if config.config_file.is_none() {
                out.push_str(&format!(
                    "{}: not found; using defaults\n",
                    config_path.display()
                ));
            }
            for feed in &config.feeds {
                out.push_str(&format!("ok  {} ({})\n", feed.id, feed.file.display()));
            }
            if config.feeds.is_empty() && config.feed_errors.is_empty() {
                out.push_str(&format!(
                    "no feed files (*.toml) in {}\n",
                    config.feeds_dir.display()
                ));
            }
            let report = &config.rules_report;
            if report.files > 0 || !report.failed.is_empty() {
                out.push_str(&format!("{}\n", crate::rules::stats_line(report)));
            }
            for f in &report.failed {
                out.push_str(&format!("warning  {}: {}\n", f.file.display(), f.reason));
            }
            config.feed_errors
        }
        Err(errs) => errs.0,
    };
    for err in &errors {
        out.push_str(&format!("error  {err}\n"));
    }
    if !errors.is_empty() {
        out.push_str(&format!(
            "{} error{}\n",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        ));
    }
    (out, errors.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_directories_load_once_and_a_bad_file_is_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("clearfeed.toml"),
            "ftr_rules_dir = \"ftr\"\nnative_ads = \"drop\"\n",
        )
        .unwrap();
        for sub in ["rules", "ftr"] {
            std::fs::create_dir(root.join(sub)).unwrap();
        }
        std::fs::write(root.join("rules/news.example.toml"), "body = \"main\"\n").unwrap();
        std::fs::write(root.join("rules/broken.example.toml"), "body = [\"a[\"]\n").unwrap();
        std::fs::write(root.join("ftr/news.example.txt"), "body: //article\n").unwrap();
        let config = AppConfig::load_from(&root.join("clearfeed.toml"), None).unwrap();
        assert_eq!(config.native_ads, NativeAds::Drop);
        assert_eq!(config.rules.for_host("www.news.example").len(), 2);
        assert_eq!(config.rules_report.failed.len(), 1);
        let (out, errors) = check(&root.join("clearfeed.toml"), None);
        assert_eq!(errors, 0, "a bad rule file is not a configuration error");
        assert!(
            out.contains("warning") && out.contains("broken.example.toml"),
            "{out}"
        );

        // A rules directory that is named must exist; the default one need not.
        std::fs::write(root.join("clearfeed.toml"), "rules_dir = \"nowhere\"\n").unwrap();
        let config = AppConfig::load_from(&root.join("clearfeed.toml"), None).unwrap();
        assert_eq!(
            config.rules_report.failed.len(),
            1,
            "{:?}",
            config.rules_report
        );
        let errs = parse_global(Path::new("c.toml"), "native_ads = \"hide\"\n").unwrap_err();
        assert_eq!(errs.0[0].line, Some(1));
    }

    #[test]
    fn shipped_examples_load_cleanly() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = AppConfig::load_from(&root.join("clearfeed.toml.example"), None).unwrap();
        assert_eq!(
            config.fetch,
            FetchConfig::default(),
            "the example shows the defaults"
        );
        assert_eq!(config.max_items, AppConfig::default().max_items);
        assert!(config.feed_errors.is_empty(), "{:?}", config.feed_errors);
        let ids: Vec<_> = config.feeds.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            vec!["apnews-world", "bbc-news", "guardian-world", "npr-news"],
            "only *.toml files are feeds"
        );
        let reference = root.join("feeds").join("reference.toml.example");
        let text = std::fs::read_to_string(&reference).unwrap();
        // Parsed under the name a copy would have.
        let as_feed = root.join("feeds").join("reference.toml");
        let feed = parse_feed(&as_feed, &text).unwrap();
        assert_eq!(feed.allow_hosts, vec!["news.intranet.example"]);
        assert!(!feed.extract.body.is_empty() && feed.extract.title.is_some());
        // Every key the reference file documents in comments also parses when uncommented.
        let uncommented = text
            .lines()
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|r| {
                        r.starts_with("links")
                            || r.starts_with("include")
                            || r.starts_with("exclude")
                            || r.starts_with("drop_")
                            || r.starts_with("keep_")
                    })
                    .unwrap_or(l)
            })
            .collect::<Vec<_>>()
            .join("\n")
            .replace("kind = \"feed\"", "kind = \"page\"");
        let page = parse_feed(&as_feed, &uncommented).unwrap();
        assert!(matches!(page.source, SourceKind::Page(_)));
        assert_eq!((page.filters.drop.len(), page.filters.keep.len()), (6, 5));
    }
}
