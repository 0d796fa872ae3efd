//! Storage: SQLite in the data directory. Items (deduplicated by guid and canonical URL, updated
//! when their content changes), feed fetch state, and the fetch log. Migrations live in code.

use chrono::{DateTime, Utc};

/// One stored article, in our own model; wire formats are produced only in `publish`.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Feed id (the feed file's stem).
    pub feed: String,
    /// Stable guid: the upstream guid, else the canonical URL. RSS `guid`, Atom `id`, JSON Feed `id`.
    pub guid: String,
    /// Canonical article URL. RSS `link`, Atom `link rel=alternate`, JSON Feed `url`.
    pub url: String,
    pub title: String,
    /// RSS `dc:creator`, Atom `author/name`, JSON Feed `authors[].name`.
    pub byline: Option<String>,
    /// RSS `pubDate`, Atom `published`, JSON Feed `date_published`. Falls back to `first_seen`.
    pub published: Option<DateTime<Utc>>,
    /// When the stored content last changed. Atom `updated`, JSON Feed `date_modified`.
    pub updated: DateTime<Utc>,
    pub bullets: Vec<String>,
    pub lead: String,
    /// Plain-text summary (bullets + lead). JSON Feed `summary`.
    pub summary: String,
    /// Sanitized article HTML. RSS `content:encoded`, Atom `content`, JSON Feed `content_html`.
    pub content_html: String,
    /// Lead image, absolute URL. RSS `enclosure`, JSON Feed `image`.
    pub image: Option<String>,
    /// Hash of the article content, to tell an update from an unchanged refetch.
    pub content_hash: String,
    pub first_seen: DateTime<Utc>,
}

/// `clearfeed status`.
pub fn status_command(_global: &crate::cli::GlobalArgs) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("`status` is not available in this build yet")
}
