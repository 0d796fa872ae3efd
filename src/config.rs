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
