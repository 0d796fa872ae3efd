//! Extraction: one page's bytes and site rules in, one clean article out. Decoding, metadata,
//! main-content detection, cruft removal and sanitizing all happen here; no network, no clock.

pub mod content;
pub mod cruft;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::config::SiteRules;
use crate::fetch::Page;

/// A clean article.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Article {
    /// Headline without a " - Site name" suffix.
    pub title: String,
    pub byline: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    /// Canonical URL: link rel=canonical, og:url, or the fetched URL.
    pub url: Option<String>,
    /// Lead image, absolute.
    pub image: Option<String>,
    /// ISO 639-1 code.
    pub language: Option<String>,
    /// The key points, in order, as plain strings.
    pub bullets: Vec<String>,
    /// The body's paragraphs as plain text, in order, cruft and captions removed. The first is the lead.
    pub paragraphs: Vec<String>,
    /// The clean body as plain text, paragraphs separated by one blank line.
    pub text: String,
    /// The clean body as sanitized HTML.
    pub content_html: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("empty input")]
    Empty,
    #[error("input looks like binary data ({0}), not a page")]
    Binary(String),
    #[error("no article content found")]
    NoContent,
    #[error("invalid site rule {key}: {reason}")]
    BadRule { key: String, reason: String },
}

/// An extractor with its rules compiled once (selectors, patterns, sanitizer), reused for every page.
pub struct Extractor {
    _rules: SiteRules,
}

impl Extractor {
    pub fn new(rules: &SiteRules) -> Result<Self, ExtractError> {
        Ok(Extractor {
            _rules: rules.clone(),
        })
    }

    /// Extracts the article from one page.
    pub fn article(&self, _page: &Page) -> Result<Article, ExtractError> {
        Err(ExtractError::NoContent)
    }
}

/// `clearfeed extract`.
pub fn command(_args: &crate::cli::ExtractArgs) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("`extract` is not available in this build yet")
}
