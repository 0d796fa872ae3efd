//! The site rules an [`Extractor`](super::Extractor) takes: selectors and phrases as data. Owns the
//! type only; reading rules from files is `config`'s job, compiling them is the extractor's.

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
