//! Sitemaps as a source: one sitemap document (`<urlset>`, with Google News `news:title` and
//! `news:publication_date` when present), a sitemap index (`<sitemapindex>`), a plain-text list of
//! URLs, or a robots.txt whose `Sitemap:` lines name the sitemaps. Gzip-compressed documents
//! (`.xml.gz`) are read too.
//!
//! An index or a robots.txt lists no articles; its children go to [`Listing::follow`], newest
//! first and only the newest few ([`MAX_CHILD_SITEMAPS`]), so that an index of thousands of
//! monthly sitemaps costs a handful of requests. Which document is fetched, and when, is the
//! pipeline's business.
//!
//! Owns: reading one sitemap document and ordering its children. Does not own: fetching, nor the
//! cap on entries (`read_listing`).

use std::io::Read;

use chrono::{DateTime, Utc};
use quick_xml::events::Event;

use super::{Candidate, Listing, SourceError, UrlPatterns, resolve};

/// How many child sitemaps of one index (or robots.txt) are read: the newest.
pub const MAX_CHILD_SITEMAPS: usize = 3;

/// The largest sitemap the protocol allows (50 MB uncompressed); a gzip document inflating past
/// it is refused rather than read into memory without end.
const MAX_SITEMAP_BYTES: u64 = 50 * 1024 * 1024;

/// Reads one sitemap document (see the module documentation for the forms understood).
pub(super) fn parse_sitemap(
    body: &[u8],
    base: &url::Url,
    patterns: &UrlPatterns,
) -> Result<Listing, SourceError> {
    let body = inflate(body)?;
    let text = String::from_utf8_lossy(&body);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let mut listing = if text.starts_with('<') {
        parse_xml(text, base)?
    } else {
        parse_text(text, base)
    };
    listing
        .entries
        .retain(|c| patterns.wanted(&c.url) && !looks_like_sitemap(&c.url));
    sort_newest_first(&mut listing.entries);
    listing.site_url = Some(origin(base));
    Ok(listing)
}

/// The body itself, or its gzip-inflated form when it starts with the gzip magic bytes (servers
/// send `.xml.gz` files as `application/gzip` without a Content-Encoding, so the client leaves
/// them compressed).
fn inflate(body: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, SourceError> {
    if !body.starts_with(&[0x1f, 0x8b]) {
        return Ok(body.into());
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(MAX_SITEMAP_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| SourceError::Sitemap(format!("cannot inflate the gzip sitemap: {e}")))?;
    if out.len() as u64 > MAX_SITEMAP_BYTES {
        return Err(SourceError::Sitemap(format!(
            "the gzip sitemap inflates past {MAX_SITEMAP_BYTES} bytes"
        )));
    }
    Ok(out.into())
}

/// A robots.txt (`Sitemap:` lines become children) or a plain-text sitemap (one URL a line). A
/// robots.txt naming no sitemap points at the conventional `/sitemap.xml`.
fn parse_text(text: &str, base: &url::Url) -> Listing {
    let mut listing = Listing::default();
    for line in text.lines().map(str::trim) {
        let (key, value) = line.split_once(':').unwrap_or(("", ""));
        if key.trim().eq_ignore_ascii_case("sitemap") {
            listing.follow.extend(resolve(base, value));
        } else if line.starts_with("http://") || line.starts_with("https://") {
            listing
                .entries
                .extend(resolve(base, line).map(Candidate::new));
        }
    }
    if listing.follow.is_empty() && listing.entries.is_empty() && base.path() == "/robots.txt" {
        listing.follow.extend(base.join("/sitemap.xml").ok());
    }
    listing.follow = newest_children(listing.follow.into_iter().map(|u| (u, None)).collect());
    listing
}

/// One `<url>` or `<sitemap>` as read.
#[derive(Default)]
struct Record {
    loc: Option<String>,
    lastmod: Option<String>,
    news_title: Option<String>,
    news_date: Option<String>,
}

/// Which field of the open record the text being read belongs to.
#[derive(Clone, Copy)]
enum Field {
    Loc,
    Lastmod,
    NewsTitle,
    NewsDate,
}

/// Where the reader is: the open elements (local names) and the record being filled.
#[derive(Default)]
struct XmlWalk {
    stack: Vec<String>,
    record: Option<Record>,
    field: Option<(Field, String)>,
    root: Option<String>,
    urls: Vec<Record>,
    children: Vec<Record>,
}

impl XmlWalk {
    fn open(&mut self, name: &str) {
        let parent = self.stack.last().map(String::as_str);
        if self.root.is_none() {
            self.root = Some(name.to_string());
        }
        match (parent, name) {
            (Some("urlset"), "url") | (Some("sitemapindex"), "sitemap") => {
                self.record = Some(Record::default());
            }
            (Some("url" | "sitemap"), "loc") => self.field = Some((Field::Loc, String::new())),
            (Some("url" | "sitemap"), "lastmod") => {
                self.field = Some((Field::Lastmod, String::new()));
            }
            (Some("news"), "title") => self.field = Some((Field::NewsTitle, String::new())),
            (Some("news"), "publication_date") => {
                self.field = Some((Field::NewsDate, String::new()));
            }
            _ => {}
        }
        self.stack.push(name.to_string());
    }

    fn text(&mut self, text: &str) {
        if let Some((_, buf)) = &mut self.field {
            buf.push_str(text);
        }
    }

    fn close(&mut self) {
        let name = self.stack.pop().unwrap_or_default();
        if let (Some((field, text)), Some(record)) = (self.field.take(), self.record.as_mut()) {
            let text = Some(text.trim().to_string()).filter(|t| !t.is_empty());
            match field {
                Field::Loc => record.loc = text,
                Field::Lastmod => record.lastmod = text,
                Field::NewsTitle => record.news_title = text,
                Field::NewsDate => record.news_date = text,
            }
        }
        match name.as_str() {
            "url" if self.record.is_some() => self.urls.extend(self.record.take()),
            "sitemap" if self.record.is_some() => self.children.extend(self.record.take()),
            _ => {}
        }
    }
}

/// A `<urlset>` (entries) or a `<sitemapindex>` (children to follow).
fn parse_xml(text: &str, base: &url::Url) -> Result<Listing, SourceError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut walk = XmlWalk::default();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| SourceError::Sitemap(format!("not well-formed XML: {e}")))?;
        match event {
            Event::Start(e) => walk.open(e.local_name().as_ref()),
            Event::Empty(e) => {
                walk.open(e.local_name().as_ref());
                walk.close();
            }
            Event::End(_) => walk.close(),
            Event::Text(t) => walk.text(&t.xml10_content()),
            Event::CData(t) => walk.text(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => quick_xml::escape::resolve_predefined_entity(&r).map(str::to_string),
                };
                walk.text(&resolved.unwrap_or_default());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut listing = Listing::default();
    match walk.root.as_deref() {
        Some("urlset") => {
            listing.entries = walk
                .urls
                .into_iter()
                .filter_map(|r| candidate(r, base))
                .collect();
        }
        Some("sitemapindex") => {
            let children = walk
                .children
                .into_iter()
                .filter_map(|r| {
                    let url = resolve(base, r.loc.as_deref()?)?;
                    Some((url, r.lastmod.as_deref().and_then(date)))
                })
                .collect();
            listing.follow = newest_children(children);
        }
        other => {
            return Err(SourceError::Sitemap(format!(
                "expected <urlset> or <sitemapindex>, found {}",
                other.map_or("no element".to_string(), |r| format!("<{r}>"))
            )));
        }
    }
    Ok(listing)
}

fn candidate(r: Record, base: &url::Url) -> Option<Candidate> {
    let url = resolve(base, r.loc.as_deref()?)?;
    let lastmod = r.lastmod.as_deref().and_then(date);
    let published = r.news_date.as_deref().and_then(date).or(lastmod);
    Some(Candidate {
        title: r.news_title,
        published,
        updated: lastmod,
        ..Candidate::new(url)
    })
}

fn date(s: &str) -> Option<DateTime<Utc>> {
    crate::extract::meta::parse_date(s).map(|d| d.with_timezone(&Utc))
}

/// Dated entries newest first, then the undated ones in the order listed (stable).
fn sort_newest_first(entries: &mut [Candidate]) {
    entries.sort_by_key(|c| std::cmp::Reverse(c.published));
}

/// The newest few children. A child's date is its `lastmod`, else a date written in its URL
/// (`sitemap-2026-11.xml`, `/2026/11/`); dated children come newest first. Undated ones follow,
/// the last listed first: numbered sitemaps (`post-sitemap7.xml`) grow at the end.
fn newest_children(children: Vec<(url::Url, Option<DateTime<Utc>>)>) -> Vec<url::Url> {
    let mut children: Vec<_> = children
        .into_iter()
        .rev()
        .map(|(u, d)| {
            let key = d.map(|d| d.format("%Y%m%d%H%M%S").to_string());
            let key = key.or_else(|| date_in_url(&u));
            (u, key)
        })
        .collect();
    // Stable: undated children keep the reversed (last listed first) order.
    children.sort_by(|a, b| b.1.cmp(&a.1));
    children
        .into_iter()
        .map(|(u, _)| u)
        .take(MAX_CHILD_SITEMAPS)
        .collect()
}

/// A sortable key from a year, year-month or year-month-day written in a URL's path, e.g.
/// `sitemap-2026-11.xml` or `/sitemaps/2026/11/05.xml` give `20261100000000`, `20261105000000`.
fn date_in_url(url: &url::Url) -> Option<String> {
    static DATE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = DATE.get_or_init(|| {
        regex::Regex::new(r"(?:^|\D)((?:19|20)\d\d)(?:[-_/]?(0[1-9]|1[0-2])(?:[-_/]?(0[1-9]|[12]\d|3[01]))?)?(?:\D|$)")
            .expect("static regex")
    });
    let caps = re.captures_iter(url.path()).last()?;
    let part = |i: usize| caps.get(i).map_or("00", |m| m.as_str()).to_string();
    Some(format!("{}{}{}000000", part(1), part(2), part(3)))
}

/// A `<loc>` in a `<urlset>` that names another sitemap (some sites mix them in) is no article.
fn looks_like_sitemap(url: &url::Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    path.ends_with(".xml") || path.ends_with(".xml.gz")
}

fn origin(base: &url::Url) -> url::Url {
    base.join("/").unwrap_or_else(|_| base.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> url::Url {
        url::Url::parse("https://news.example/sitemap.xml").unwrap()
    }

    fn read(body: &[u8]) -> Listing {
        parse_sitemap(body, &base(), &UrlPatterns::default()).unwrap()
    }

    #[test]
    fn urlset_entries_newest_first_with_news_fields() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc>https://news.example/2026/11/01/old-bridge</loc><lastmod>2026-11-01</lastmod></url>
  <url><loc>https://news.example/2026/11/24/harbour</loc>
    <image:image><image:loc>https://cdn.news.example/harbour.jpg</image:loc><image:title>Not this</image:title></image:image>
    <news:news><news:publication><news:name>News</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2026-11-24T08:30:00+01:00</news:publication_date>
      <news:title>Harbour &amp; pier reopen</news:title></news:news></url>
  <url><loc>https://news.example/about</loc></url>
  <url><loc>https://news.example/2026/11/20/ferry</loc><lastmod>2026-11-20T10:00Z</lastmod></url>
</urlset>"#;
        let l = read(xml.as_bytes());
        let urls: Vec<_> = l.entries.iter().map(|c| c.url.path()).collect();
        assert_eq!(
            urls,
            [
                "/2026/11/24/harbour",
                "/2026/11/20/ferry",
                "/2026/11/01/old-bridge",
                "/about"
            ]
        );
        let first = &l.entries[0];
        assert_eq!(first.title.as_deref(), Some("Harbour & pier reopen"));
        assert_eq!(
            first.published.unwrap().to_rfc3339(),
            "2026-11-24T07:30:00+00:00"
        );
        assert!(l.follow.is_empty());
        assert_eq!(l.site_url.unwrap().as_str(), "https://news.example/");
    }

    #[test]
    fn index_follows_only_the_newest_children() {
        let mut xml =
            String::from(r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#);
        for i in 0..3000 {
            let (y, m) = (2000 + i / 12, i % 12 + 1);
            xml.push_str(&format!(
                "<sitemap><loc>/maps/{i}.xml</loc><lastmod>{y}-{m:02}-28</lastmod></sitemap>"
            ));
        }
        xml.push_str("</sitemapindex>");
        let l = read(xml.as_bytes());
        assert!(l.entries.is_empty());
        let follow: Vec<_> = l.follow.iter().map(|u| u.path()).collect();
        assert_eq!(
            follow,
            ["/maps/2999.xml", "/maps/2998.xml", "/maps/2997.xml"]
        );
    }

    #[test]
    fn undated_children_by_the_date_in_their_url_else_last_listed_first() {
        let xml = r#"<sitemapindex><sitemap><loc>/sitemap-2026-10.xml</loc></sitemap>
<sitemap><loc>/sitemap-2026-11.xml</loc></sitemap><sitemap><loc>/sitemap-2025-12.xml</loc></sitemap>
<sitemap><loc>/sitemap-2024-01.xml</loc></sitemap></sitemapindex>"#;
        let follow: Vec<_> = read(xml.as_bytes())
            .follow
            .iter()
            .map(|u| u.path().to_string())
            .collect();
        assert_eq!(
            follow,
            [
                "/sitemap-2026-11.xml",
                "/sitemap-2026-10.xml",
                "/sitemap-2025-12.xml"
            ]
        );
        let xml = r#"<sitemapindex><sitemap><loc>/post-sitemap.xml</loc></sitemap>
<sitemap><loc>/post-sitemap2.xml</loc></sitemap><sitemap><loc>/post-sitemap3.xml</loc></sitemap>
<sitemap><loc>/post-sitemap4.xml</loc></sitemap></sitemapindex>"#;
        let follow: Vec<_> = read(xml.as_bytes())
            .follow
            .iter()
            .map(|u| u.path().to_string())
            .collect();
        assert_eq!(
            follow,
            [
                "/post-sitemap4.xml",
                "/post-sitemap3.xml",
                "/post-sitemap2.xml"
            ]
        );
    }

    #[test]
    fn robots_txt_and_text_sitemaps_and_gzip() {
        let robots_url = url::Url::parse("https://news.example/robots.txt").unwrap();
        let robots = "User-agent: *\nDisallow: /private/\nSitemap: https://news.example/news-sitemap.xml\nsitemap: /pages.xml\n";
        let l = parse_sitemap(robots.as_bytes(), &robots_url, &UrlPatterns::default()).unwrap();
        let follow: Vec<_> = l.follow.iter().map(|u| u.as_str()).collect();
        assert_eq!(
            follow,
            [
                "https://news.example/pages.xml",
                "https://news.example/news-sitemap.xml"
            ]
        );
        let bare = parse_sitemap(
            b"User-agent: *\nDisallow:\n",
            &robots_url,
            &UrlPatterns::default(),
        )
        .unwrap();
        assert_eq!(bare.follow[0].as_str(), "https://news.example/sitemap.xml");

        let text = "https://news.example/a\n\nhttps://news.example/b\nnot a url\n";
        let l = read(text.as_bytes());
        assert_eq!(l.entries.len(), 2);

        use std::io::Write;
        let xml = "<urlset><url><loc>https://news.example/zipped</loc></url></urlset>";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(xml.as_bytes()).unwrap();
        let l = read(&gz.finish().unwrap());
        assert_eq!(l.entries[0].url.as_str(), "https://news.example/zipped");
    }

    #[test]
    fn patterns_apply_and_bad_documents_are_errors() {
        let xml = "<urlset><url><loc>/news/a</loc></url><url><loc>/video/b</loc></url><url><loc>/news/live-c</loc></url></urlset>";
        let patterns = UrlPatterns {
            include: vec![regex::Regex::new("/news/").unwrap()],
            exclude: vec![regex::Regex::new("live").unwrap()],
        };
        let l = parse_sitemap(xml.as_bytes(), &base(), &patterns).unwrap();
        let urls: Vec<_> = l.entries.iter().map(|c| c.url.path()).collect();
        assert_eq!(urls, ["/news/a"]);
        let bad: [&[u8]; 3] = [
            b"<html><body>Not found</body></html>",
            b"<urlset><url><loc>x</url>",
            b"\x1f\x8bgarbage",
        ];
        for bad in bad {
            let got = parse_sitemap(bad, &base(), &UrlPatterns::default());
            assert!(
                matches!(got, Err(SourceError::Sitemap(_))),
                "{bad:?}: {got:?}"
            );
        }
    }
}
