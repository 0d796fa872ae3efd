//! Sources: what articles a feed has right now, from an upstream RSS/Atom/JSON feed or from a
//! listing page read with CSS selectors. No article is fetched here.

use chrono::{DateTime, Utc};

/// The articles a source lists, newest first as the source gives them.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub entries: Vec<Candidate>,
}

/// One article a source points at.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Absolute article URL.
    pub url: url::Url,
    pub title: Option<String>,
    pub published: Option<DateTime<Utc>>,
    /// The upstream guid/id, when the source has one.
    pub guid: Option<String>,
    /// The upstream teaser (often partial and ad-laden); a fallback when the page cannot be read.
    pub teaser: Option<String>,
}
