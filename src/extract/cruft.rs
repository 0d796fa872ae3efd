//! Cruft rules as data: the phrases, patterns and selectors that mark boilerplate (ad labels in
//! several languages, "Reading time", "Why you can trust", video timestamps, newsletter prompts,
//! captions and credits, ...). Shared by the HTML and the plain-text paths.

use crate::config::SiteRules;
use crate::extract::ExtractError;

/// Compiled cruft rules: the built-in set plus a site's `drop_text` patterns.
#[derive(Debug, Clone)]
pub struct CruftRules {}

impl CruftRules {
    /// Built-in rules merged with a site's own.
    pub fn new(_site: &SiteRules) -> Result<Self, ExtractError> {
        Ok(CruftRules {})
    }

    /// Whether a whole block (paragraph, line) of text is boilerplate and must be dropped.
    pub fn is_cruft_text(&self, _text: &str) -> bool {
        false
    }

    /// Whether a block of text is a photo caption or credit ("Photo: …", "Credit: …").
    pub fn is_caption(&self, _text: &str) -> bool {
        false
    }
}
