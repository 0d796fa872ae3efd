//! Configuration: `clearfeed.toml` (global settings) and `feeds/<id>.toml` (one feed each), plus
//! the site rules an extractor takes. Everything is validated at load; errors name file, line and key.

use serde::Deserialize;

/// Site-specific extraction rules, as data. Given in a feed's `[extract]` table or a `--rules` file.
/// Every field is optional; rules that are given win over the generic algorithm.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SiteRules {
    /// CSS selectors for the article body; the first that matches is the body.
    pub body: Vec<String>,
    /// CSS selectors for the key points: either list containers (their `li` become bullets) or the items.
    pub bullets: Vec<String>,
    /// CSS selectors for elements removed before anything else.
    pub remove: Vec<String>,
    /// CSS selector for the headline.
    pub title: Option<String>,
    /// Regular expressions; a paragraph whose whole text matches one is dropped as cruft.
    pub drop_text: Vec<String>,
}

/// `clearfeed check`: validate all configuration.
pub fn check_command(_global: &crate::cli::GlobalArgs) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("`check` is not available in this build yet")
}

/// Global settings from `clearfeed.toml` plus the feeds found beside it. (Fields grow with the
/// pipeline; these are the ones every stage can rely on.)
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Where the database and `public/` live.
    pub data_dir: std::path::PathBuf,
    /// Address `serve` and `run` listen on.
    pub listen: std::net::SocketAddr,
    /// Public base URL the feeds are reachable at (for self links), e.g. `https://feeds.example.org`.
    pub base_url: Option<url::Url>,
    /// Feeds that loaded cleanly.
    pub feeds: Vec<FeedConfig>,
}

/// One feed, from `feeds/<id>.toml`.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// The file stem.
    pub id: String,
    pub title: String,
    /// Cron expression as written (5 or 6 fields).
    pub schedule: String,
    /// Source URL (upstream feed or listing page).
    pub source_url: url::Url,
    pub extract: SiteRules,
}
