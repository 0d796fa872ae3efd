//! Where a site's feeds are, for `clearfeed add`: the feeds an HTML page links to
//! (`<link rel="alternate">` of RSS, Atom or JSON Feed type), the paths feeds commonly live at,
//! and, for a site without any feed, a guess at a listing-page selector: the links to article-like
//! URLs in the page's main content, grouped by where they sit in the page. Nothing here touches
//! the network; the app fetches each candidate and reads it with [`super::read_listing`].
//!
//! Owns: those candidates and the guess. Does not own: fetching, or judging what was fetched.

use std::collections::BTreeMap;

use scraper::{ElementRef, Html, Selector};

/// Where feeds commonly live, tried after the ones a page links to.
pub const COMMON_FEED_PATHS: [&str; 6] = [
    "/feed",
    "/rss.xml",
    "/atom.xml",
    "/feed.xml",
    "/index.xml",
    "/feed.json",
];

/// The `type`s of `<link rel="alternate">` that name a feed.
const FEED_TYPES: [&str; 5] = [
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
];

/// The feeds the page at `base` links to, in page order, and the common paths on the site's root
/// that it does not link to: the two lists of feeds to try, no URL twice.
pub fn feed_candidates(html: &str, base: &url::Url) -> (Vec<url::Url>, Vec<url::Url>) {
    let doc = Html::parse_document(html);
    let links = Selector::parse("link[rel][href]").expect("static selector");
    let mut out: Vec<url::Url> = Vec::new();
    for link in doc.select(&links) {
        let el = link.value();
        let alternate = el.attr("rel").is_some_and(|r| {
            r.split_whitespace()
                .any(|t| t.eq_ignore_ascii_case("alternate"))
        });
        let feed_type = el
            .attr("type")
            .is_some_and(|t| FEED_TYPES.contains(&t.trim().to_ascii_lowercase().as_str()));
        if let Some(url) = el.attr("href").and_then(|h| base.join(h.trim()).ok())
            && alternate
            && feed_type
            && !out.contains(&url)
        {
            out.push(url);
        }
    }
    let mut common = Vec::new();
    for path in COMMON_FEED_PATHS {
        if let Ok(url) = base.join(path)
            && !out.contains(&url)
        {
            common.push(url);
        }
    }
    (out, common)
}

/// A guessed listing-page source: the selector, and how many article links it finds on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingGuess {
    pub links: String,
    pub count: usize,
}

/// The largest group (at least two) of links to article-like URLs on the same host in the page's
/// main content (`main`, `[role=main]`, else the body, leaving out navigation, header, footer and
/// asides), as a selector built from the classes of their ancestors.
pub fn guess_listing(html: &str, base: &url::Url) -> Option<ListingGuess> {
    let doc = Html::parse_document(html);
    let root_sel = Selector::parse("main, [role=main], body").expect("static selector");
    let root = doc.select(&root_sel).next()?;
    let anchors = Selector::parse("a[href]").expect("static selector");
    let mut groups: BTreeMap<String, Vec<url::Url>> = BTreeMap::new();
    for a in root.select(&anchors) {
        let Some(url) = a.value().attr("href").and_then(|h| base.join(h).ok()) else {
            continue;
        };
        if url.host_str() != base.host_str() || !article_like(&url) || in_chrome(a) {
            continue;
        }
        let group = groups.entry(css_path(a)).or_default();
        if !group.contains(&url) {
            group.push(url);
        }
    }
    let (links, urls) = groups
        .into_iter()
        .filter(|(_, urls)| urls.len() >= 2)
        .max_by_key(|(_, urls)| urls.len())?;
    Some(ListingGuess {
        links,
        count: urls.len(),
    })
}

/// A path that names one article: at least two segments, or one with a date or a hyphenated slug.
fn article_like(url: &url::Url) -> bool {
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let slug = |s: &&str| {
        s.matches('-').count() >= 2 || s.chars().filter(char::is_ascii_digit).count() >= 4
    };
    segments.len() >= 2 || segments.iter().any(slug)
}

/// Whether the element sits in navigation, a header, a footer or an aside.
fn in_chrome(el: ElementRef<'_>) -> bool {
    el.ancestors()
        .filter_map(ElementRef::wrap)
        .any(|a| matches!(a.value().name(), "nav" | "header" | "footer" | "aside"))
}

/// A selector for `a`: its classed ancestors (nearest two, by their first class) then `a`, else
/// its parent's tag then `a`.
fn css_path(a: ElementRef<'_>) -> String {
    let mut parts: Vec<String> = a
        .ancestors()
        .filter_map(ElementRef::wrap)
        .filter_map(|e| {
            let class = e.value().classes().next()?;
            Some(format!("{}.{}", e.value().name(), class))
        })
        .take(2)
        .collect();
    if parts.is_empty() {
        let parent = a.parent().and_then(ElementRef::wrap);
        parts.push(parent.map_or("body", |p| p.value().name()).to_string());
    }
    parts.reverse();
    parts.push("a".into());
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> url::Url {
        url::Url::parse("https://news.example/section/").unwrap()
    }

    #[test]
    fn linked_feeds_come_first_then_common_paths_without_repeats() {
        let html = r#"<html><head>
<link rel="alternate" type="application/rss+xml" href="/rss.xml">
<link rel="alternate" type="application/atom+xml" href="https://news.example/atom">
<link rel="stylesheet" type="text/css" href="/style.css">
<link rel="alternate" hreflang="de" href="/de/"></head></html>"#;
        let (linked, common) = feed_candidates(html, &base());
        let paths = |urls: Vec<url::Url>| {
            urls.iter()
                .map(|u| u.path().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(paths(linked), ["/rss.xml", "/atom"]);
        assert_eq!(
            paths(common),
            [
                "/feed",
                "/atom.xml",
                "/feed.xml",
                "/index.xml",
                "/feed.json"
            ]
        );
    }

    #[test]
    fn the_listing_guess_is_the_largest_group_of_article_links_in_the_main_content() {
        let html = r#"<html><body><nav><a href="/news/">News</a><a href="/sport/football-results-today">Sport</a></nav>
<main><ul class="stories">
<li class="story"><h2><a href="/news/2026/pier-to-be-rebuilt">Pier</a></h2></li>
<li class="story"><h2><a href="/news/2026/ferry-changes">Ferry</a></h2></li>
<li class="story"><h2><a href="/news/2026/market-returns">Market</a></h2></li>
</ul><p><a href="https://other.example/a/b">elsewhere</a> <a href="/about">About</a></p>
<div class="more"><a href="/news/2026/one-more-story">One</a></div></main>
<footer><a href="/legal/terms-of-use">Terms</a><a href="/legal/privacy-policy">Privacy</a></footer></body></html>"#;
        let guess = guess_listing(html, &base()).unwrap();
        assert_eq!(
            guess,
            ListingGuess {
                links: "ul.stories li.story a".into(),
                count: 3
            }
        );
        assert_eq!(
            guess_listing("<html><body><a href='/about'>x</a></body></html>", &base()),
            None
        );
    }
}
