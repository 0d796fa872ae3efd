//! The normalized model every stage after `fetch` speaks: a fetched [`Page`], a stored [`Item`]
//! and what a published feed says about itself ([`FeedMeta`], in each [`Format`]). Plain data with
//! field docs saying where each field goes in RSS 2.0, Atom 1.0 and JSON Feed 1.1; the wire formats
//! are produced only in `publish`. Owns no behaviour beyond small accessors.

use chrono::{DateTime, Utc};

/// One fetched (or read) page: the bytes as received plus what HTTP told us about them.
#[derive(Debug, Clone)]
pub struct Page {
    /// Final URL after redirects; for a file or stdin, the `--base-url` if given.
    pub url: Option<url::Url>,
    /// HTTP status (200 for files).
    pub status: u16,
    /// The Content-Type header, as sent (its `charset=` parameter is a decoding hint).
    pub content_type: Option<String>,
    /// The raw body, not yet decoded.
    pub body: Vec<u8>,
    /// Validators for the next conditional GET.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub fetched_at: DateTime<Utc>,
}

impl Page {
    /// A page read from a file or stdin: no HTTP metadata.
    pub fn from_bytes(body: Vec<u8>, url: Option<url::Url>) -> Self {
        Page {
            url,
            status: 200,
            content_type: None,
            body,
            etag: None,
            last_modified: None,
            fetched_at: Utc::now(),
        }
    }
}

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
    /// ISO 639-1 code of the article's language, declared by the page or detected; `None` for a
    /// teaser. The feed's language is the one most of its items are in, unless its file says.
    pub language: Option<String>,
}

/// The three published formats of a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    /// File extension (and URL suffix) of this format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    pub fn from_extension(ext: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.extension() == ext)
    }

    /// The media type readers expect, with the charset our files are written in.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// What a published feed says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedMeta {
    /// Feed id; the files are `<id>.rss`, `<id>.atom`, `<id>.json`.
    pub id: String,
    pub title: String,
    pub description: String,
    /// The source site (channel link).
    pub site_url: String,
    /// Public base URL the feeds are served under, for self links (`<base>/feeds/<id>.rss`).
    pub base_url: Option<String>,
    /// Whether the key points open the published content (RSS `content:encoded`, Atom `content`,
    /// JSON Feed `content_html`), for readers that show only the content.
    pub summary_in_content: bool,
    /// The feed's language (e.g. `en`): RSS `language`, Atom `xml:lang`, JSON Feed `language`.
    /// `None` lets publishing take the language most of the items are in.
    pub language: Option<String>,
}

impl FeedMeta {
    /// Where this feed is served in `format`: absolute under `base_url`, else the server-relative path.
    pub fn feed_url(&self, format: Format) -> String {
        let path = format!("feeds/{}.{}", self.id, format.extension());
        match &self.base_url {
            Some(base) => format!("{}/{}", base.trim_end_matches('/'), path),
            None => format!("/{path}"),
        }
    }

    /// Only an absolute URL can be a self link (RSS `atom:link`, Atom `link rel=self`).
    pub(crate) fn absolute_feed_url(&self, format: Format) -> Option<String> {
        self.base_url.as_ref().map(|_| self.feed_url(format))
    }
}
