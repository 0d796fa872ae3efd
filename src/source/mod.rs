//! Sources: what articles a feed has right now, from an upstream RSS/Atom/JSON feed, from a
//! listing page read with CSS selectors, or from a sitemap (`sitemap`). No article is fetched
//! here, and nothing here touches the network: the pipeline fetches the source's bytes and hands
//! them to [`read_listing`], and fetches the further documents a listing names in
//! [`Listing::follow`] (the children of a sitemap index).

pub mod discover;
mod fulltext;
mod sitemap;

pub use fulltext::{Fullness, measure as measure_fullness};

use std::collections::HashSet;

use chrono::{DateTime, Utc};

/// How a feed's source is read.
#[derive(Debug, Clone)]
pub enum SourceKind {
    /// An upstream RSS 0.9x/1.0/2.0, Atom or JSON Feed; its entries are the articles.
    Feed,
    /// An HTML listing page; the articles are the links matching `links`.
    Page(PageRules),
    /// A sitemap, sitemap index, or (for a site root) the sitemaps named in its robots.txt.
    Sitemap(UrlPatterns),
}

impl SourceKind {
    /// The first document to fetch for a source at `url`: a sitemap source given a site root
    /// starts from the site's robots.txt, whose `Sitemap:` lines name the sitemaps.
    pub fn first_url(&self, url: &url::Url) -> url::Url {
        match self {
            SourceKind::Sitemap(_) if url.path() == "/" && url.query().is_none() => {
                url.join("/robots.txt").unwrap_or_else(|_| url.clone())
            }
            _ => url.clone(),
        }
    }
}

/// Which URLs of a sitemap are articles.
#[derive(Debug, Clone, Default)]
pub struct UrlPatterns {
    /// A URL is kept only if it matches one of these (when any are given).
    pub include: Vec<regex::Regex>,
    /// A URL matching any of these is dropped.
    pub exclude: Vec<regex::Regex>,
}

impl UrlPatterns {
    fn wanted(&self, url: &url::Url) -> bool {
        url_wanted(&self.include, &self.exclude, url)
    }
}

/// Whether `url` matches one of `include` (when any are given) and none of `exclude`.
fn url_wanted(include: &[regex::Regex], exclude: &[regex::Regex], url: &url::Url) -> bool {
    (include.is_empty() || include.iter().any(|r| r.is_match(url.as_str())))
        && !exclude.iter().any(|r| r.is_match(url.as_str()))
}

/// How to find article links on a listing page.
#[derive(Debug, Clone)]
pub struct PageRules {
    /// CSS selector for the links (`a` elements, or elements containing one).
    pub links: String,
    /// A link is kept only if its absolute URL matches one of these (when any are given).
    pub include: Vec<regex::Regex>,
    /// A link matching any of these is dropped.
    pub exclude: Vec<regex::Regex>,
}

/// The articles a source lists, newest first as the source gives them.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub entries: Vec<Candidate>,
    /// The source's own title (feed `title`, page `<title>`).
    pub title: Option<String>,
    /// The site the source belongs to (feed `link`, else the source URL).
    pub site_url: Option<url::Url>,
    /// The source's own description (feed `description`/`subtitle`).
    pub description: Option<String>,
    /// Further documents that list the source's articles, to be fetched and read with the same
    /// kind (the newest children of a sitemap index), most promising first.
    pub follow: Vec<url::Url>,
}

impl Listing {
    /// Adds the entries of a further document (see [`Listing::follow`]), keeping only the newest
    /// `max_entries` of the whole.
    pub fn absorb(&mut self, other: Listing, max_entries: usize) {
        self.entries.extend(other.entries);
        tidy(&mut self.entries, max_entries);
    }
}

/// One article a source points at.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Absolute article URL.
    pub url: url::Url,
    pub title: Option<String>,
    pub published: Option<DateTime<Utc>>,
    /// When the source says the entry last changed (Atom `updated`); a change makes a stored
    /// article worth fetching again.
    pub updated: Option<DateTime<Utc>>,
    /// The upstream guid/id, when the source has one.
    pub guid: Option<String>,
    /// The upstream teaser (often partial and ad-laden); a fallback when the page cannot be read.
    pub teaser: Option<String>,
    /// The upstream full content (RSS `content:encoded`, Atom `content`, JSON `content_html`),
    /// when the entry carries one besides its summary.
    pub content: Option<String>,
    /// The upstream author's name.
    pub author: Option<String>,
    /// The upstream categories (RSS `category`, Atom `category` terms, JSON `tags`).
    pub categories: Vec<String>,
}

impl Candidate {
    /// An entry known only by its URL.
    pub fn new(url: url::Url) -> Self {
        Candidate {
            url,
            title: None,
            published: None,
            updated: None,
            guid: None,
            teaser: None,
            content: None,
            author: None,
            categories: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The bytes are not a feed feed-rs can read (the feed fails as a whole).
    #[error("not a readable RSS, Atom or JSON feed: {0}")]
    Feed(String),
    #[error("invalid links selector {selector:?}: {reason}")]
    Selector { selector: String, reason: String },
    /// The bytes are not a sitemap, sitemap index or robots.txt.
    #[error("not a readable sitemap: {0}")]
    Sitemap(String),
}

/// Reads the articles out of a fetched source. `base` is the URL the source was fetched from
/// (after redirects): relative links resolve against it. At most `max_entries` are kept, in the
/// source's order, so that a feed with 100 000 entries costs no more than one with `max_entries`.
pub fn read_listing(
    kind: &SourceKind,
    body: &[u8],
    base: &url::Url,
    max_entries: usize,
) -> Result<Listing, SourceError> {
    let mut listing = match kind {
        SourceKind::Feed => parse_feed(body, base)?,
        SourceKind::Page(rules) => parse_page(body, base, rules)?,
        SourceKind::Sitemap(patterns) => sitemap::parse_sitemap(body, base, patterns)?,
    };
    tidy(&mut listing.entries, max_entries);
    Ok(listing)
}

/// Duplicates out, newest first when dated, at most `max_entries`.
fn tidy(entries: &mut Vec<Candidate>, max_entries: usize) {
    dedupe(entries);
    newest_first(entries);
    entries.truncate(max_entries);
}

/// Puts the newest entries first when every entry is dated, so that the cap keeps the newest and
/// not whatever the source happens to list first (some feeds run oldest first, and a feed that
/// lists its whole archive must not push today's articles past the cap). When any entry lacks a
/// date, the source's order is all there is and is kept. The sort is stable: equal dates keep
/// their listed order.
fn newest_first(entries: &mut [Candidate]) {
    if entries.iter().all(|c| c.published.is_some()) {
        entries.sort_by_key(|c| std::cmp::Reverse(c.published));
    }
}

/// Parses an upstream feed (RSS 0.9x/1.0/2.0, Atom, JSON Feed). Entries without a usable http(s)
/// link are skipped: there is no article to fetch.
pub fn parse_feed(body: &[u8], base: &url::Url) -> Result<Listing, SourceError> {
    // An empty id marks "no upstream guid": feed-rs would otherwise invent one from the link and
    // title, which changes whenever a headline is edited and would defeat deduplication.
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        .id_generator(|_, _, _| String::new())
        .build();
    let feed = parser
        .parse(body)
        .map_err(|e| SourceError::Feed(e.to_string()))?;
    let site_url = feed
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .and_then(|l| resolve(base, &l.href));
    let mut entries = Vec::with_capacity(feed.entries.len());
    for entry in feed.entries {
        let link = entry
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .or(entry.links.first());
        let Some(url) = link.and_then(|l| resolve(base, &l.href)) else {
            continue;
        };
        let guid = Some(entry.id.trim().to_string()).filter(|g| !g.is_empty());
        let nonempty = |t: String| Some(t.trim().to_string()).filter(|t| !t.is_empty());
        let content = entry.content.and_then(|c| c.body).and_then(nonempty);
        let summary = entry.summary.map(|t| t.content).and_then(nonempty);
        entries.push(Candidate {
            url,
            title: entry.title.map(|t| t.content).and_then(nonempty),
            published: entry.published.or(entry.updated),
            updated: entry.updated,
            guid,
            teaser: summary.clone().or_else(|| content.clone()),
            content,
            author: entry
                .authors
                .into_iter()
                .find_map(|p| p.name.and_then(nonempty)),
            categories: entry
                .categories
                .into_iter()
                .filter_map(|c| c.label.or(Some(c.term)).and_then(nonempty))
                .collect(),
        });
    }
    Ok(Listing {
        entries,
        title: feed.title.map(|t| t.content.trim().to_string()),
        site_url: site_url.or_else(|| Some(base.clone())),
        // The channel's own description is cleaned like a body (an ad label in it would be
        // copied into every output).
        description: feed
            .description
            .map(|t| crate::extract::cruft::clean_description(&t.content))
            .filter(|d| !d.is_empty()),
        follow: Vec::new(),
    })
}

/// Reads article links from a listing page: every element matching `rules.links` that is (or
/// contains) an `a href`, resolved against the page URL, filtered by `include`/`exclude`.
pub fn parse_page(body: &[u8], base: &url::Url, rules: &PageRules) -> Result<Listing, SourceError> {
    let selector = scraper::Selector::parse(&rules.links).map_err(|e| SourceError::Selector {
        selector: rules.links.clone(),
        reason: e.to_string(),
    })?;
    let anchor = scraper::Selector::parse("a[href]").expect("static selector");
    let title_sel = scraper::Selector::parse("title").expect("static selector");
    let html = String::from_utf8_lossy(body);
    let doc = scraper::Html::parse_document(&html);
    let mut entries = Vec::new();
    for el in doc.select(&selector) {
        let a = if el.value().name() == "a" && el.value().attr("href").is_some() {
            el
        } else {
            match el.select(&anchor).next() {
                Some(a) => a,
                None => continue,
            }
        };
        let Some(mut url) = a.value().attr("href").and_then(|h| resolve(base, h)) else {
            continue;
        };
        url.set_fragment(None);
        if !url_wanted(&rules.include, &rules.exclude, &url) {
            continue;
        }
        let text = collapse(&el.text().collect::<String>());
        entries.push(Candidate {
            title: Some(text).filter(|t| !t.is_empty()),
            ..Candidate::new(url)
        });
    }
    Ok(Listing {
        entries,
        title: doc
            .select(&title_sel)
            .next()
            .map(|t| collapse(&t.text().collect::<String>()))
            .filter(|t| !t.is_empty()),
        site_url: Some(base.clone()),
        description: None,
        follow: Vec::new(),
    })
}

/// Drops later entries whose guid or URL was already listed (the first, newest, wins).
fn dedupe(entries: &mut Vec<Candidate>) {
    let mut guids = HashSet::new();
    let mut urls = HashSet::new();
    entries.retain(|c| {
        let new_guid = c.guid.as_ref().is_none_or(|g| guids.insert(g.clone()));
        let new_url = urls.insert(c.url.as_str().to_string());
        new_guid && new_url
    });
}

/// An absolute http(s) URL from a possibly relative link, or `None` for anything else
/// (`javascript:`, `mailto:`, garbage).
fn resolve(base: &url::Url, href: &str) -> Option<url::Url> {
    let url = base.join(href.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> url::Url {
        url::Url::parse("https://news.example.org/feeds/world.xml").unwrap()
    }

    const RSS: &str = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>World</title><link>https://news.example.org/world</link>
<description>World news. ADVERTISEMENT</description>
<item><title>Harbour reopens</title><link>/2026/harbour</link><guid isPermaLink="false">h-1</guid>
<pubDate>Tue, 24 Nov 2026 08:00:00 GMT</pubDate><description>Boats are back. ADVERTISEMENT</description></item>
<item><title>No link here</title><guid>x-2</guid></item>
<item><title>Duplicate guid</title><link>https://news.example.org/other</link><guid isPermaLink="false">h-1</guid></item>
<item><title>Script link</title><link>javascript:alert(1)</link></item>
<item><title>No guid</title><link>https://news.example.org/2026/bridge</link></item>
</channel></rss>"#;

    #[test]
    fn rss_entries_resolved_deduped_and_linkless_skipped() {
        let l = read_listing(&SourceKind::Feed, RSS.as_bytes(), &base(), 100).unwrap();
        let urls: Vec<_> = l.entries.iter().map(|c| c.url.as_str()).collect();
        assert_eq!(
            urls,
            vec![
                "https://news.example.org/2026/harbour",
                "https://news.example.org/2026/bridge"
            ]
        );
        assert_eq!(l.entries[0].guid.as_deref(), Some("h-1"));
        assert_eq!(l.entries[1].guid, None, "no invented guid");
        assert_eq!(l.entries[0].title.as_deref(), Some("Harbour reopens"));
        assert!(l.entries[0].teaser.as_deref().unwrap().contains("Boats"));
        assert!(l.entries[0].published.is_some());
        assert_eq!(l.title.as_deref(), Some("World"));
        assert_eq!(
            l.description.as_deref(),
            Some("World news."),
            "ad label cleaned out"
        );
        assert_eq!(
            l.site_url.unwrap().as_str(),
            "https://news.example.org/world"
        );
    }

    #[test]
    fn atom_and_json_feed_read() {
        let atom = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2026-11-24T10:00:00Z</updated>
<entry><title>One</title><id>urn:one</id><link rel="alternate" href="https://a.example/one"/>
<updated>2026-11-24T10:00:00Z</updated><summary>Short</summary></entry></feed>"#;
        let l = read_listing(&SourceKind::Feed, atom.as_bytes(), &base(), 100).unwrap();
        assert_eq!(l.entries.len(), 1);
        assert_eq!(l.entries[0].guid.as_deref(), Some("urn:one"));
        assert!(l.entries[0].updated.is_some());

        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J",
"items":[{"id":"1","url":"https://j.example/1","title":"First"},{"id":"2","title":"no url"}]}"#;
        let l = read_listing(&SourceKind::Feed, json.as_bytes(), &base(), 100).unwrap();
        assert_eq!(l.entries.len(), 1);
        assert_eq!(l.entries[0].url.as_str(), "https://j.example/1");
    }

    #[test]
    fn author_categories_and_full_content_are_kept_apart_from_the_teaser() {
        let rss = r#"<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>
<item><title>One</title><link>https://e.example/1</link><dc:creator>Ada Marsh</dc:creator>
<category>Local</category><category>Harbour</category><description>Short teaser</description>
<content:encoded><![CDATA[<p>The whole article.</p>]]></content:encoded></item></channel></rss>"#;
        let l = read_listing(&SourceKind::Feed, rss.as_bytes(), &base(), 10).unwrap();
        let c = &l.entries[0];
        assert_eq!(c.author.as_deref(), Some("Ada Marsh"));
        assert_eq!(c.categories, ["Local", "Harbour"]);
        assert_eq!(c.teaser.as_deref(), Some("Short teaser"));
        assert_eq!(c.content.as_deref(), Some("<p>The whole article.</p>"));
    }

    #[test]
    fn garbage_is_a_feed_error_and_huge_feeds_are_capped() {
        assert!(matches!(
            read_listing(&SourceKind::Feed, b"<html>no</html>", &base(), 10),
            Err(SourceError::Feed(_))
        ));
        let mut xml = String::from("<rss version=\"2.0\"><channel><title>t</title>");
        for i in 0..5000 {
            xml.push_str(&format!("<item><link>https://e.example/{i}</link></item>"));
        }
        xml.push_str("</channel></rss>");
        let l = read_listing(&SourceKind::Feed, xml.as_bytes(), &base(), 25).unwrap();
        assert_eq!(l.entries.len(), 25);
        assert_eq!(l.entries[0].url.as_str(), "https://e.example/0");
    }

    #[test]
    fn the_cap_keeps_the_newest_of_a_dated_feed_listed_oldest_first() {
        let mut xml = String::from("<rss version=\"2.0\"><channel><title>t</title>");
        for day in 1..=20 {
            xml.push_str(&format!(
                "<item><link>https://e.example/{day}</link><pubDate>{day:02} Nov 2026 08:00:00 GMT</pubDate></item>"
            ));
        }
        xml.push_str("</channel></rss>");
        let l = read_listing(&SourceKind::Feed, xml.as_bytes(), &base(), 3).unwrap();
        let urls: Vec<_> = l.entries.iter().map(|c| c.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://e.example/20",
                "https://e.example/19",
                "https://e.example/18"
            ]
        );
        // One undated entry: the source's order is kept.
        let undated = xml.replacen("<pubDate>01 Nov 2026 08:00:00 GMT</pubDate>", "", 1);
        let l = read_listing(&SourceKind::Feed, undated.as_bytes(), &base(), 1).unwrap();
        assert_eq!(l.entries[0].url.as_str(), "https://e.example/1");
    }

    #[test]
    fn listing_page_links_filtered() {
        let page = r#"<html><head><title> Local news </title></head><body>
<nav><a href="/about">About</a></nav>
<article><h2><a href="/news/2026/fair#top">County fair opens</a></h2></article>
<article><h2><a href="news/2026/road">Road closed</a></h2></article>
<article><h2><a href="/news/live/feed">Live</a></h2></article>
<article><h2>No link</h2></article>
<article><h2><a href="/news/2026/fair">County fair (again)</a></h2></article>
</body></html>"#;
        let rules = PageRules {
            links: "article h2".into(),
            include: vec![regex::Regex::new("/news/").unwrap()],
            exclude: vec![regex::Regex::new("/live/").unwrap()],
        };
        let base = url::Url::parse("https://local.example/section/").unwrap();
        let l = read_listing(&SourceKind::Page(rules), page.as_bytes(), &base, 100).unwrap();
        let got: Vec<_> = l
            .entries
            .iter()
            .map(|c| (c.url.as_str(), c.title.as_deref().unwrap()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("https://local.example/news/2026/fair", "County fair opens"),
                (
                    "https://local.example/section/news/2026/road",
                    "Road closed"
                ),
            ]
        );
        assert_eq!(l.title.as_deref(), Some("Local news"));
    }
}
