//! Main-content detection on a parsed HTML document: site rules first, then a generic scoring of
//! blocks by text and link density. Returns the body as plain blocks, plus the key points.

use scraper::Html;

use crate::config::SiteRules;
use crate::extract::ExtractError;
use crate::extract::cruft::CruftRules;

/// What a block of the article body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Paragraph,
    Heading,
    ListItem,
    Quote,
    Preformatted,
    /// A figure (image with optional caption): kept in HTML, never in text, lead or summary.
    Figure,
}

/// One block of the article body.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: BlockKind,
    /// Plain text, whitespace collapsed (for a figure: its caption, possibly empty).
    pub text: String,
    /// The block's HTML, not yet sanitized (e.g. `<p>…</p>`, `<figure>…</figure>`).
    pub html: String,
}

/// The article body as found in the document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Body {
    /// Body blocks in document order, cruft removed.
    pub blocks: Vec<Block>,
    /// The key points ("Key points", "Story highlights", a summary list before the body), in order.
    pub bullets: Vec<String>,
}

/// Site rules and built-in cruft rules compiled once (selectors parsed, patterns compiled).
#[derive(Debug, Clone)]
pub struct ContentRules {
    pub cruft: CruftRules,
}

impl ContentRules {
    pub fn new(site: &SiteRules) -> Result<Self, ExtractError> {
        Ok(ContentRules {
            cruft: CruftRules::new(site)?,
        })
    }
}

/// Finds the article body and its key points in a parsed document.
pub fn extract_body(_doc: &Html, _rules: &ContentRules) -> Body {
    Body::default()
}
