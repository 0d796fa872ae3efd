//! Metadata: headline, byline, publication and modification times, canonical URL, lead image,
//! language, the declared descriptions (which let the body engine know the dek) and the base URL
//! for resolving links, read from a parsed document.
//!
//! Sources are tried from the most deliberate to the most incidental: a site rule's title selector,
//! JSON-LD (`NewsArticle`, `Article`, `BlogPosting`, … also inside `@graph` and arrays), OpenGraph,
//! Twitter and other `<meta>` conventions (`article:published_time`, `author`, `parsely-*`, Dublin
//! Core), `<time datetime>`, `<html lang>`, `<link rel=canonical>`, and finally the visible DOM
//! (`<h1>`, `<title>` minus its " | Site name" suffix). This module owns the order of the sources
//! and the byline and URL clean-up; the document walk ([`scan`]), JSON-LD ([`jsonld`]), titles
//! ([`title`]), dates ([`date`]) and languages ([`lang`]) are its parts. It does not look at the
//! body text except through the DOM fallbacks; the main content is found elsewhere.

mod date;
mod jsonld;
mod lang;
mod scan;
mod title;

use chrono::{DateTime, FixedOffset};
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::cruft::phrases;
use super::{ExtractError, collapse_whitespace};
pub(crate) use date::parse_date;
use jsonld::{LdArticle, json_ld};
pub(crate) use lang::detect_language;
use lang::iso639_1;
use scan::Scan;
use title::{dom_title, strip_site_suffix};

/// `<meta>` keys that name the author, in order of trust.
const AUTHOR_KEYS: &[&str] = &[
    "author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "dc:creator",
    "dcterms.creator",
    "dcterms:creator",
    "article:author",
];

/// `<meta>` keys that hold the publication time, in order of trust.
const DATE_KEYS: &[&str] = &[
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "parsely-pub-date",
    "sailthru.date",
    "pubdate",
    "publishdate",
    "publish-date",
    "dc.date.issued",
    "dc.date",
    "dc:date",
    "dcterms.date",
    "dcterms:date",
    "dcterms.created",
    "dcterms:created",
    "date",
];

/// `<meta>` keys that hold the time the article was last modified, in order of trust.
const MODIFIED_KEYS: &[&str] = &[
    "article:modified_time",
    "og:article:modified_time",
    "og:updated_time",
    "datemodified",
    "dcterms.modified",
    "dcterms:modified",
    "last-modified",
];

/// `<meta>` keys that hold the lead image, in order of trust.
const IMAGE_KEYS: &[&str] = &[
    "og:image",
    "og:image:url",
    "og:image:secure_url",
    "twitter:image",
    "twitter:image:src",
    "parsely-image-url",
    "image",
    "thumbnailurl",
];

/// `<meta>` keys that hold the page's summary line.
const DESCRIPTION_KEYS: &[&str] = &[
    "og:description",
    "description",
    "twitter:description",
    "dc.description",
];

/// `<meta>` keys that declare the language, in order of trust.
const LANGUAGE_KEYS: &[&str] = &["content-language", "language", "dc.language", "og:locale"];

/// Rules compiled once per extractor. The built-in sources are read in one walk over the
/// document (see `Scan`) instead of one selector query each: on large pages every query is a
/// full traversal, and metadata should cost little next to finding the body.
#[derive(Debug, Clone)]
pub struct MetaRules {
    /// A site's own headline selector, which wins over everything else.
    site_title: Option<Selector>,
}

/// What the document says about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    pub title: Option<String>,
    pub byline: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    /// When the page says it was last modified (JSON-LD `dateModified`, `article:modified_time`, …).
    pub modified: Option<DateTime<FixedOffset>>,
    /// Canonical URL (absolute, http or https).
    pub url: Option<String>,
    /// Lead image (absolute, http or https).
    pub image: Option<String>,
    /// ISO 639-1 code from a declaration (not detected).
    pub language: Option<String>,
    /// The base for relative links: `<base href>` if present, else the page URL.
    pub base: Option<Url>,
    pub site_name: Option<String>,
    /// The JSON-LD `articleBody`: the page's own plain-text copy of the article, when declared.
    pub article_body: Option<String>,
    /// The page's declared summaries (`og:description`, `description`, …), distinct, whitespace
    /// collapsed: the body engine knows a dek shown above the story by them.
    pub descriptions: Vec<String>,
}

impl MetaRules {
    pub fn new(site_title: Option<&str>) -> Result<Self, ExtractError> {
        let site_title = site_title
            .map(|s| {
                Selector::parse(s).map_err(|e| ExtractError::BadRule {
                    key: "title".into(),
                    reason: format!("invalid CSS selector {s:?}: {e}"),
                })
            })
            .transpose()?;
        Ok(MetaRules { site_title })
    }

    /// Reads the metadata of `doc`; `page_url` is where it came from (or `--base-url`). Without
    /// one (a saved page), the page's own absolute canonical URL stands in for it, so relative
    /// links and images still resolve to where the page lives.
    pub fn extract(&self, doc: &Html, page_url: Option<&Url>) -> Meta {
        let scan = Scan::of(doc);
        let ld = json_ld(&scan.json_ld);
        let mut src = Sources { scan, ld };
        let article_body = src.ld.article_body.take();
        let own_url = page_url.cloned().or_else(|| src.absolute_canonical());
        let page_url = own_url.as_ref();
        let base = base_url(src.scan.base_href, page_url);
        let site_name = src.site_name();
        let byline = src.byline();
        let title = self.title(doc, &src, &site_name, &byline, page_url);
        let descriptions = src.descriptions();
        Meta {
            title: title.filter(|t| !t.is_empty()),
            byline,
            published: src.published(),
            modified: src.modified(),
            url: src.url(base.as_ref(), page_url),
            image: src.image(base.as_ref()),
            language: src.language(),
            base,
            site_name,
            article_body,
            descriptions,
        }
    }

    /// The headline: the site rule's selector, JSON-LD, social tags, then the visible page; site
    /// and author decorations removed.
    fn title(
        &self,
        doc: &Html,
        src: &Sources<'_>,
        site_name: &Option<String>,
        byline: &Option<String>,
        page_url: Option<&Url>,
    ) -> Option<String> {
        let scan = &src.scan;
        let h1 = scan.h1.clone();
        self.site_title
            .as_ref()
            .and_then(|s| {
                doc.select(s)
                    .map(|e| element_text(&e))
                    .find(|t| !t.is_empty())
            })
            .or_else(|| src.ld.headline.clone())
            .or_else(|| src.m("og:title").map(collapse_whitespace))
            .or_else(|| src.m("twitter:title").map(collapse_whitespace))
            .or_else(|| src.m("parsely-title").map(collapse_whitespace))
            .or_else(|| dom_title(scan.title.as_deref(), h1.as_deref()))
            .map(|t| {
                let names: Vec<&str> = site_name.iter().chain(byline).map(String::as_str).collect();
                let t = strip_site_suffix(&t, &names, h1.as_deref(), page_url);
                // Older templates set the headline in an `<h2>` (the `<h1>` may be the logo).
                strip_site_suffix(&t, &names, scan.h2.as_deref(), page_url)
            })
    }
}

/// The document's own statements, gathered once: the walk's findings and the JSON-LD article.
struct Sources<'a> {
    scan: Scan<'a>,
    ld: LdArticle,
}

impl Sources<'_> {
    /// A non-empty `<meta>` value by lower-case key.
    fn m(&self, k: &str) -> Option<&str> {
        self.scan
            .metas
            .get(k)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn descriptions(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for d in DESCRIPTION_KEYS.iter().filter_map(|k| self.m(k)) {
            let d = collapse_whitespace(d);
            if !d.is_empty() && !out.contains(&d) {
                out.push(d);
            }
        }
        out
    }

    fn site_name(&self) -> Option<String> {
        self.ld
            .site_name
            .clone()
            .or_else(|| self.m("og:site_name").map(str::to_owned))
            .or_else(|| self.m("application-name").map(str::to_owned))
            .or_else(|| {
                self.m("twitter:site")
                    .map(|s| s.trim_start_matches('@').to_owned())
                    .filter(|s| !s.contains('/'))
            })
    }

    fn byline(&self) -> Option<String> {
        self.ld
            .authors
            .clone()
            .or_else(|| {
                AUTHOR_KEYS
                    .iter()
                    .filter_map(|k| self.m(k))
                    .find(|v| !looks_like_url(v))
                    .map(str::to_owned)
            })
            .or_else(|| self.scan.author.clone())
            .and_then(|b| clean_byline(&b))
    }

    fn published(&self) -> Option<DateTime<FixedOffset>> {
        self.ld
            .published
            .as_deref()
            .and_then(parse_date)
            .or_else(|| {
                DATE_KEYS
                    .iter()
                    .filter_map(|k| self.m(k))
                    .find_map(parse_date)
            })
            .or(self.scan.time)
    }

    fn modified(&self) -> Option<DateTime<FixedOffset>> {
        self.ld
            .modified
            .as_deref()
            .and_then(parse_date)
            .or_else(|| {
                MODIFIED_KEYS
                    .iter()
                    .filter_map(|k| self.m(k))
                    .find_map(parse_date)
            })
    }

    /// The canonical URL when the page gives it absolute (http or https), as a page without a
    /// known address can only use that one.
    fn absolute_canonical(&self) -> Option<Url> {
        [
            self.scan.links.get("canonical").map(String::as_str),
            self.m("og:url"),
            self.ld.url.as_deref(),
        ]
        .into_iter()
        .flatten()
        .find_map(|u| absolute_http(u, None))
        .and_then(|u| Url::parse(&u).ok())
    }

    fn url(&self, base: Option<&Url>, page_url: Option<&Url>) -> Option<String> {
        let resolve = |u: &str| absolute_http(u, base);
        self.scan
            .links
            .get("canonical")
            .and_then(|u| resolve(u))
            .or_else(|| self.m("og:url").and_then(resolve))
            .or_else(|| self.ld.url.as_deref().and_then(resolve))
            .or_else(|| page_url.and_then(|u| absolute_http(u.as_str(), None)))
    }

    fn image(&self, base: Option<&Url>) -> Option<String> {
        let resolve = |u: &str| absolute_http(u, base);
        self.ld
            .image
            .as_deref()
            .and_then(resolve)
            .or_else(|| {
                IMAGE_KEYS
                    .iter()
                    .filter_map(|k| self.m(k))
                    .find_map(resolve)
            })
            .or_else(|| self.scan.links.get("image_src").and_then(|u| resolve(u)))
    }

    fn language(&self) -> Option<String> {
        self.scan
            .html_lang
            .and_then(iso639_1)
            .or_else(|| {
                LANGUAGE_KEYS
                    .iter()
                    .filter_map(|k| self.m(k))
                    .find_map(iso639_1)
            })
            .or_else(|| self.ld.language.as_deref().and_then(iso639_1))
    }
}

/// `<base href>` resolved against the page URL, else the page URL. A `<base>` that cannot be made
/// absolute is ignored rather than trusted.
fn base_url(base_href: Option<&str>, page_url: Option<&Url>) -> Option<Url> {
    let declared = base_href.and_then(|href| match page_url {
        Some(p) => p.join(href.trim()).ok(),
        None => Url::parse(href.trim()).ok(),
    });
    declared
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .or_else(|| page_url.cloned())
}

pub(super) fn element_text(e: &ElementRef) -> String {
    collapse_whitespace(&crate::extract::strip::text_of(e))
}

pub(super) fn looks_like_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://") || s.starts_with('/')
}

/// A byline without its "By " prefix and trailing separators; `None` when nothing is left or it
/// is too long to be a name list.
fn clean_byline(s: &str) -> Option<String> {
    let s = collapse_whitespace(s);
    // Dates and button labels sit in byline boxes too; names have no digits.
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let lower = s.to_lowercase();
    if digits >= 2 || phrases::opens_not_a_name(&lower) {
        return None;
    }
    let s = phrases::byline_prefix_len(&lower).map_or(s.as_str(), |n| &s[n..]);
    let s = s.trim().trim_end_matches([',', '|', '-', '–']).trim();
    (!s.is_empty() && s.chars().count() <= 150).then(|| s.to_owned())
}

/// Absolute http(s) URL for `u`, resolved against `base` when relative.
pub(crate) fn absolute_http(u: &str, base: Option<&Url>) -> Option<String> {
    let u = u.trim();
    if u.is_empty() {
        return None;
    }
    let parsed = match base {
        Some(b) => b.join(u).ok()?,
        None => Url::parse(u).ok()?,
    };
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.into())
}

#[cfg(test)]
mod tests;
