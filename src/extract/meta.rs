//! Metadata: headline, byline, publication time, canonical URL, lead image, language and the base
//! URL for resolving links, read from a parsed document.
//!
//! Sources are tried from the most deliberate to the most incidental: a site rule's title selector,
//! JSON-LD (`NewsArticle`, `Article`, `BlogPosting`, … also inside `@graph` and arrays), OpenGraph,
//! Twitter and other `<meta>` conventions (`article:published_time`, `author`, `parsely-*`, Dublin
//! Core), `<time datetime>`, `<html lang>`, `<link rel=canonical>`, and finally the visible DOM
//! (`<h1>`, `<title>` minus its " | Site name" suffix). This module does not look at the body text
//! except through the DOM fallbacks; the main content is found elsewhere.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use url::Url;

use super::{ExtractError, collapse_whitespace, dedupe_key};

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
    /// Canonical URL (absolute, http or https).
    pub url: Option<String>,
    /// Lead image (absolute, http or https).
    pub image: Option<String>,
    /// ISO 639-1 code from a declaration (not detected).
    pub language: Option<String>,
    /// The base for relative links: `<base href>` if present, else the page URL.
    pub base: Option<Url>,
    pub site_name: Option<String>,
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

    /// Reads the metadata of `doc`; `page_url` is where it came from (or `--base-url`).
    pub fn extract(&self, doc: &Html, page_url: Option<&Url>) -> Meta {
        let scan = Scan::of(doc);
        let base = base_url(scan.base_href, page_url);
        let metas = &scan.metas;
        let ld = json_ld(&scan.json_ld);
        let links = &scan.links;
        let m = |k: &str| metas.get(k).map(String::as_str).filter(|v| !v.is_empty());

        let site_name = ld
            .site_name
            .clone()
            .or_else(|| m("og:site_name").map(str::to_owned))
            .or_else(|| m("application-name").map(str::to_owned))
            .or_else(|| {
                m("twitter:site")
                    .map(|s| s.trim_start_matches('@').to_owned())
                    .filter(|s| !s.contains('/'))
            });

        let byline = ld
            .authors
            .clone()
            .or_else(|| {
                [
                    "author",
                    "parsely-author",
                    "sailthru.author",
                    "dc.creator",
                    "dc:creator",
                    "dcterms.creator",
                    "dcterms:creator",
                    "article:author",
                ]
                .iter()
                .filter_map(|k| m(k))
                .find(|v| !looks_like_url(v))
                .map(str::to_owned)
            })
            .or_else(|| scan.author.clone())
            .and_then(|b| clean_byline(&b));

        let h1 = scan.h1.clone();
        let title = self
            .site_title
            .as_ref()
            .and_then(|s| {
                doc.select(s)
                    .map(|e| element_text(&e))
                    .find(|t| !t.is_empty())
            })
            .or_else(|| ld.headline.clone())
            .or_else(|| m("og:title").map(collapse_whitespace))
            .or_else(|| m("twitter:title").map(collapse_whitespace))
            .or_else(|| m("parsely-title").map(collapse_whitespace))
            .or_else(|| dom_title(scan.title.as_deref(), h1.as_deref()))
            .map(|t| {
                let names: Vec<&str> = site_name
                    .iter()
                    .chain(&byline)
                    .map(String::as_str)
                    .collect();
                let t = strip_site_suffix(&t, &names, h1.as_deref(), page_url);
                // Older templates set the headline in an `<h2>` (the `<h1>` may be the logo).
                strip_site_suffix(&t, &names, scan.h2.as_deref(), page_url)
            });

        let published = ld
            .published
            .as_deref()
            .and_then(parse_date)
            .or_else(|| {
                [
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
                ]
                .iter()
                .filter_map(|k| m(k))
                .find_map(parse_date)
            })
            .or(scan.time);

        let resolve = |u: &str| absolute_http(u, base.as_ref());
        let url = links
            .get("canonical")
            .and_then(|u| resolve(u))
            .or_else(|| m("og:url").and_then(resolve))
            .or_else(|| ld.url.as_deref().and_then(resolve))
            .or_else(|| page_url.and_then(|u| absolute_http(u.as_str(), None)));
        let image = ld
            .image
            .as_deref()
            .and_then(resolve)
            .or_else(|| {
                [
                    "og:image",
                    "og:image:url",
                    "og:image:secure_url",
                    "twitter:image",
                    "twitter:image:src",
                    "parsely-image-url",
                    "image",
                    "thumbnailurl",
                ]
                .iter()
                .filter_map(|k| m(k))
                .find_map(resolve)
            })
            .or_else(|| links.get("image_src").and_then(|u| resolve(u)));

        let language = scan
            .html_lang
            .and_then(iso639_1)
            .or_else(|| {
                ["content-language", "language", "dc.language", "og:locale"]
                    .iter()
                    .filter_map(|k| m(k))
                    .find_map(iso639_1)
            })
            .or_else(|| ld.language.as_deref().and_then(iso639_1));

        Meta {
            title: title.filter(|t| !t.is_empty()),
            byline,
            published,
            url,
            image,
            language,
            base,
            site_name,
        }
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

fn json_ld(scripts: &[String]) -> LdArticle {
    let mut out = LdArticle::default();
    for raw in scripts {
        let Some(value) = parse_json_lenient(raw) else {
            continue;
        };
        let mut found = Vec::new();
        collect_ld_objects(&value, 0, &mut found);
        for obj in found {
            out.merge(obj);
        }
    }
    out
}

/// Everything the metadata needs from the document, gathered in one walk.
#[derive(Debug, Default)]
struct Scan<'a> {
    /// `<meta>` values keyed by lower-cased `property`, `name`, `itemprop` or `http-equiv`; the
    /// first occurrence of a key wins.
    metas: HashMap<String, String>,
    /// `<link href>` by lower-cased `rel` token; the first occurrence wins.
    links: HashMap<String, String>,
    base_href: Option<&'a str>,
    html_lang: Option<&'a str>,
    /// The text of the first non-empty `<h1>` and `<title>`.
    h1: Option<String>,
    /// The first non-empty `<h2>`: only a check for a `<title>`'s site suffix.
    h2: Option<String>,
    title: Option<String>,
    /// `<time datetime>`: the first marked as the publication time, else the first.
    time: Option<DateTime<FixedOffset>>,
    /// The first byline-looking element's text (`rel=author`, `itemprop=author`, `.byline`).
    author: Option<String>,
    json_ld: Vec<String>,
}

impl<'a> Scan<'a> {
    fn of(doc: &'a Html) -> Self {
        let mut scan = Scan::default();
        let mut time_marked = false;
        // The node arena in creation order: document order for parsed pages, and a linear scan
        // is markedly cheaper than walking the tree.
        for e in doc.tree.nodes().filter_map(ElementRef::wrap) {
            let el = e.value();
            match el.name() {
                "meta" => {
                    let Some(content) = el.attr("content") else {
                        continue;
                    };
                    for key_attr in ["property", "name", "itemprop", "http-equiv"] {
                        // RDFa allows several properties in one attribute: "dc:creator og:author".
                        for key in el
                            .attr(key_attr)
                            .into_iter()
                            .flat_map(str::split_whitespace)
                        {
                            scan.metas
                                .entry(key.to_ascii_lowercase())
                                .or_insert_with(|| content.trim().to_owned());
                        }
                    }
                    continue;
                }
                "link" => {
                    if let (Some(rel), Some(href)) = (el.attr("rel"), el.attr("href")) {
                        for rel in rel.split_ascii_whitespace() {
                            scan.links
                                .entry(rel.to_ascii_lowercase())
                                .or_insert_with(|| href.trim().to_owned());
                        }
                    }
                    continue;
                }
                "base" => {
                    if scan.base_href.is_none() {
                        scan.base_href = el.attr("href");
                    }
                    continue;
                }
                "html" if scan.html_lang.is_none() => {
                    scan.html_lang = el.attr("lang").or_else(|| el.attr("xml:lang"));
                }
                "script" => {
                    if el
                        .attr("type")
                        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"))
                    {
                        scan.json_ld.push(e.text().collect());
                    }
                    continue;
                }
                "h1" if scan.h1.is_none() => {
                    scan.h1 = Some(element_text(&e)).filter(|t| !t.is_empty());
                }
                "h2" if scan.h2.is_none() => {
                    scan.h2 = Some(element_text(&e)).filter(|t| !t.is_empty());
                }
                "title" if scan.title.is_none() => {
                    scan.title = Some(element_text(&e)).filter(|t| !t.is_empty());
                }
                "time" if !time_marked => {
                    if let Some(date) = el.attr("datetime").and_then(parse_date) {
                        time_marked = el.attr("pubdate").is_some()
                            || el
                                .attr("itemprop")
                                .is_some_and(|v| v.eq_ignore_ascii_case("datePublished"))
                            || el
                                .attr("class")
                                .is_some_and(|c| c.to_ascii_lowercase().contains("publish"));
                        if time_marked || scan.time.is_none() {
                            scan.time = Some(date);
                        }
                    }
                }
                _ => {}
            }
            if scan.author.is_none() && is_author_element(el) {
                scan.author = Some(element_text(&e)).filter(|t| !t.is_empty() && t.len() < 120);
            }
        }
        scan
    }
}

/// `rel=author`, `itemprop=author`, or a byline-like class (`byline`, `c-byline__author`,
/// `author-name`, `article-author`, …). Runs on every element of the page, so it allocates nothing.
fn is_author_element(el: &scraper::node::Element) -> bool {
    const AUTHOR_CLASSES: [&str; 7] = [
        "author",
        "author-name",
        "authorname",
        "article-author",
        "post-author",
        "entry-author",
        "story-author",
    ];
    let mut attrs = el.attrs().peekable();
    if attrs.peek().is_none() {
        return false;
    }
    let has_token = |v: &str, token: &str| {
        v.split_ascii_whitespace()
            .any(|t| t.eq_ignore_ascii_case(token))
    };
    attrs.any(|(name, value)| match name {
        "rel" | "itemprop" => has_token(value, "author"),
        "class" => value.split_ascii_whitespace().any(|c| {
            c.as_bytes()
                .windows(6)
                .any(|w| w.eq_ignore_ascii_case(b"byline"))
                || AUTHOR_CLASSES.iter().any(|a| a.eq_ignore_ascii_case(c))
        }),
        _ => false,
    })
}

/// The headline from the visible page: `<title>` (its suffix is removed later), unless the
/// `<h1>` is contained in it — then the `<h1>` is the same headline without decoration. An `<h1>`
/// unrelated to the title is often a section or site name, so the title wins over it; the `<h1>`
/// is used only when the title is missing or too short to be a headline.
fn dom_title(title: Option<&str>, h1: Option<&str>) -> Option<String> {
    let norm = dedupe_key;
    match (title, h1) {
        (Some(t), Some(h)) if !norm(h).is_empty() && norm(t).contains(&norm(h)) => Some(h.into()),
        (Some(t), Some(h)) if t.split_whitespace().count() < 2 => Some(h.into()),
        (Some(t), _) => Some(t.into()),
        (None, h) => h.map(str::to_owned),
    }
}

/// The parts of JSON-LD objects we use. The first article-typed object gives the article fields;
/// any object can name the site (`publisher`, `WebSite`).
#[derive(Debug, Default)]
struct LdArticle {
    seen_article: bool,
    headline: Option<String>,
    authors: Option<String>,
    published: Option<String>,
    image: Option<String>,
    language: Option<String>,
    url: Option<String>,
    site_name: Option<String>,
}

impl LdArticle {
    fn merge(&mut self, obj: &serde_json::Map<String, Value>) {
        let types = ld_types(obj);
        let is_article = types.iter().any(|t| is_article_type(t));
        if self.site_name.is_none() {
            if let Some(name) = obj.get("publisher").and_then(ld_name) {
                self.site_name = Some(name);
            } else if types.iter().any(|t| t == "WebSite" || t == "Organization")
                && let Some(name) = obj.get("name").and_then(Value::as_str)
            {
                self.site_name = Some(collapse_whitespace(name));
            }
        }
        if !is_article || self.seen_article {
            return;
        }
        self.seen_article = true;
        self.headline = obj
            .get("headline")
            .or_else(|| obj.get("name"))
            .and_then(Value::as_str)
            .map(|s| collapse_whitespace(&decode_entities(s)))
            .filter(|s| !s.is_empty());
        self.authors = obj.get("author").and_then(ld_names);
        self.published = obj
            .get("datePublished")
            .or_else(|| obj.get("dateCreated"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        self.image = obj.get("image").and_then(ld_url);
        self.language = obj.get("inLanguage").and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o
                .get("alternateName")
                .or_else(|| o.get("name"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => None,
        });
        self.url = obj
            .get("url")
            .and_then(Value::as_str)
            .or_else(|| {
                obj.get("mainEntityOfPage").and_then(|v| match v {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(o) => o.get("@id").and_then(Value::as_str),
                    _ => None,
                })
            })
            .map(str::to_owned);
    }
}

fn ld_types(obj: &serde_json::Map<String, Value>) -> Vec<String> {
    match obj.get("@type") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// `NewsArticle`, `ReportageNewsArticle`, `BlogPosting`, `SocialMediaPosting`, `Report`, … — any
/// schema.org type that is a kind of article, with or without a `schema:` prefix.
fn is_article_type(t: &str) -> bool {
    let t = t.rsplit(['/', ':']).next().unwrap_or(t);
    t.ends_with("Article") || t.ends_with("Posting") || t == "Report" || t == "Review"
}

/// Collects every JSON object in a JSON-LD value: top-level, arrays, `@graph`, and one level of
/// nesting (`mainEntity`), which is where sites put articles.
fn collect_ld_objects<'a>(
    v: &'a Value,
    depth: usize,
    out: &mut Vec<&'a serde_json::Map<String, Value>>,
) {
    if depth > 4 {
        return;
    }
    match v {
        Value::Array(items) => {
            for item in items {
                collect_ld_objects(item, depth + 1, out);
            }
        }
        Value::Object(obj) => {
            out.push(obj);
            for key in ["@graph", "mainEntity"] {
                if let Some(inner) = obj.get(key) {
                    collect_ld_objects(inner, depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

/// Parses JSON-LD as written in the wild: raw newlines and tabs inside strings are common and not
/// valid JSON, so a second attempt replaces them with spaces.
fn parse_json_lenient(raw: &str) -> Option<Value> {
    let raw = raw.trim();
    // Templates wrap the JSON in HTML comments or CDATA sections (`<![CDATA[ … ]]>`, sometimes
    // behind `//` so scripts ignore it).
    let raw = raw
        .strip_prefix("<!--")
        .and_then(|r| r.strip_suffix("-->"))
        .unwrap_or(raw)
        .trim();
    let raw = raw
        .trim_start_matches("//")
        .trim_start()
        .strip_prefix("<![CDATA[")
        .map(|r| {
            let r = r.trim_end();
            let r = r.strip_suffix("]]>").unwrap_or(r).trim_end();
            r.strip_suffix("//").unwrap_or(r).trim()
        })
        .unwrap_or(raw);
    serde_json::from_str(raw).ok().or_else(|| {
        let cleaned: String = raw
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        serde_json::from_str(&cleaned).ok()
    })
}

/// A name from a string, `{name}` object, or the first of an array.
fn ld_name(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(collapse_whitespace(s)),
        Value::Object(o) => o.get("name").and_then(ld_name),
        Value::Array(a) => a.iter().find_map(ld_name),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// All author names, in order, joined with ", ".
fn ld_names(v: &Value) -> Option<String> {
    let mut names: Vec<String> = Vec::new();
    let mut push = |n: Option<String>| {
        if let Some(n) = n.filter(|n| !looks_like_url(n))
            && !names.contains(&n)
        {
            names.push(n);
        }
    };
    match v {
        Value::Array(a) => a.iter().for_each(|x| push(ld_name(x))),
        other => push(ld_name(other)),
    }
    (!names.is_empty()).then(|| names.join(", "))
}

/// An image URL from a string, an `ImageObject` (`url` or `contentUrl`), or the first of an array.
fn ld_url(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Object(o) => o
            .get("url")
            .or_else(|| o.get("contentUrl"))
            .and_then(ld_url),
        Value::Array(a) => a.iter().find_map(ld_url),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// JSON-LD written by CMS templates sometimes carries HTML entities in strings.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    s.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
}

fn element_text(e: &ElementRef) -> String {
    collapse_whitespace(&e.text().collect::<String>())
}

fn looks_like_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://") || s.starts_with('/')
}

/// A byline without its "By " prefix and trailing separators; `None` when nothing is left or it
/// is too long to be a name list.
fn clean_byline(s: &str) -> Option<String> {
    let s = collapse_whitespace(s);
    // Dates and button labels sit in byline boxes too; names have no digits.
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let first = s.to_lowercase();
    if digits >= 2
        || ["updated", "last updated", "published", "follow"]
            .iter()
            .any(|p| first.starts_with(p))
    {
        return None;
    }
    let lower = s.to_lowercase();
    let s = ["by ", "von ", "par ", "por "]
        .iter()
        .find(|p| lower.starts_with(*p))
        .map_or(s.as_str(), |p| &s[p.len()..]);
    let s = s.trim().trim_end_matches([',', '|', '-', '–']).trim();
    (!s.is_empty() && s.chars().count() <= 150).then(|| s.to_owned())
}

/// Absolute http(s) URL for `u`, resolved against `base` when relative.
pub fn absolute_http(u: &str, base: Option<&Url>) -> Option<String> {
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

/// An ISO 639-1 code from a language tag or locale (`en-GB`, `en_US`, `de`, `FR`); `None` for
/// anything that does not start with a two-letter primary subtag.
pub fn iso639_1(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_', ',', ';']).next()?.trim();
    (primary.len() == 2 && primary.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| primary.to_ascii_lowercase())
}

/// Removes " - Site", " | Site", " – Site" (or "Site | ") parts from a page title when the part is
/// one of `names` (the site's name, the author's), matches the host name, or when what remains is
/// the page's `<h1>`. Repeated, so "Headline - Author - Site" loses both decorations.
pub fn strip_site_suffix(
    title: &str,
    names: &[&str],
    h1: Option<&str>,
    page_url: Option<&Url>,
) -> String {
    let mut title = collapse_whitespace(title);
    for _ in 0..3 {
        match strip_once(&title, names, h1, page_url) {
            Some(shorter) => title = shorter,
            None => break,
        }
    }
    title
}

fn strip_once(
    title: &str,
    names: &[&str],
    h1: Option<&str>,
    page_url: Option<&Url>,
) -> Option<String> {
    const SEPARATORS: [&str; 7] = [" | ", " - ", " – ", " — ", " :: ", " · ", " » "];
    let names: Vec<String> = names
        .iter()
        .map(|n| dedupe_key(n))
        .filter(|n| !n.is_empty())
        .collect();
    let h1n = h1.map(dedupe_key).filter(|s| !s.is_empty());
    let host = page_url
        .and_then(Url::host_str)
        .map(|h| dedupe_key(h.trim_start_matches("www.")));
    let is_site = |part: &str| {
        let p = dedupe_key(part);
        p.len() >= 3
            && (names.contains(&p)
                || host
                    .as_deref()
                    .is_some_and(|h| h.starts_with(&p) || p.starts_with(h)))
    };
    for sep in SEPARATORS {
        if let Some(idx) = title.rfind(sep) {
            let (head, tail) = (&title[..idx], &title[idx + sep.len()..]);
            if !head.trim().is_empty()
                && (is_site(tail) || h1n.as_deref() == Some(dedupe_key(head).as_str()))
            {
                return Some(head.trim().to_owned());
            }
        }
        if let Some(idx) = title.find(sep) {
            let (head, tail) = (&title[..idx], &title[idx + sep.len()..]);
            if !tail.trim().is_empty()
                && (is_site(head) || h1n.as_deref() == Some(dedupe_key(tail).as_str()))
            {
                return Some(tail.trim().to_owned());
            }
        }
    }
    None
}

/// Parses the date formats pages actually use: RFC 3339, RFC 2822, ISO 8601 without a colon in
/// the offset or without an offset at all (taken as UTC), bare dates (midnight UTC), a few
/// English month-name forms, and Unix timestamps.
pub fn parse_date(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d);
    }
    let zulu = s
        .strip_suffix('Z')
        .or_else(|| s.strip_suffix('z'))
        .map(|r| format!("{r}+00:00"));
    let with_offset = zulu.as_deref().unwrap_or(s);
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%d %H:%M%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(with_offset, f) {
            return Some(d);
        }
    }
    let utc = |n: NaiveDateTime| Some(Utc.from_utc_datetime(&n).fixed_offset());
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            return utc(n);
        }
    }
    for f in [
        "%Y-%m-%d",
        "%Y/%m/%d",
        "%Y%m%d",
        "%B %d, %Y",
        "%b %d, %Y",
        "%d %B %Y",
        "%d %b %Y",
        "%B %d %Y",
        "%d.%m.%Y",
    ] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return utc(d.and_hms_opt(0, 0, 0)?);
        }
    }
    if s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit()) {
        return DateTime::from_timestamp(s.parse().ok()?, 0).map(|d| d.fixed_offset());
    }
    if s.len() == 13 && s.bytes().all(|b| b.is_ascii_digit()) {
        return DateTime::from_timestamp_millis(s.parse().ok()?).map(|d| d.fixed_offset());
    }
    None
}

/// ISO 639-3 codes whatlang reports, paired with their ISO 639-1 codes.
const ISO639_3_TO_1: &[(&str, &str)] = &[
    ("afr", "af"),
    ("aka", "ak"),
    ("amh", "am"),
    ("ara", "ar"),
    ("aze", "az"),
    ("bel", "be"),
    ("ben", "bn"),
    ("bul", "bg"),
    ("cat", "ca"),
    ("ces", "cs"),
    ("cmn", "zh"),
    ("dan", "da"),
    ("deu", "de"),
    ("ell", "el"),
    ("eng", "en"),
    ("epo", "eo"),
    ("est", "et"),
    ("fin", "fi"),
    ("fra", "fr"),
    ("guj", "gu"),
    ("heb", "he"),
    ("hin", "hi"),
    ("hrv", "hr"),
    ("hun", "hu"),
    ("hye", "hy"),
    ("ind", "id"),
    ("ita", "it"),
    ("jav", "jv"),
    ("jpn", "ja"),
    ("kan", "kn"),
    ("kat", "ka"),
    ("khm", "km"),
    ("kor", "ko"),
    ("lat", "la"),
    ("lav", "lv"),
    ("lit", "lt"),
    ("mal", "ml"),
    ("mar", "mr"),
    ("mkd", "mk"),
    ("mya", "my"),
    ("nep", "ne"),
    ("nld", "nl"),
    ("nob", "nb"),
    ("ori", "or"),
    ("pan", "pa"),
    ("pes", "fa"),
    ("pol", "pl"),
    ("por", "pt"),
    ("ron", "ro"),
    ("rus", "ru"),
    ("sin", "si"),
    ("slk", "sk"),
    ("slv", "sl"),
    ("sna", "sn"),
    ("spa", "es"),
    ("srp", "sr"),
    ("swe", "sv"),
    ("tam", "ta"),
    ("tel", "te"),
    ("tgl", "tl"),
    ("tha", "th"),
    ("tuk", "tk"),
    ("tur", "tr"),
    ("ukr", "uk"),
    ("urd", "ur"),
    ("uzb", "uz"),
    ("vie", "vi"),
    ("yid", "yi"),
    ("zul", "zu"),
];

/// The language of a text by detection, only when the detector is confident: a wrong language
/// tag is worse than none (readers pick fonts and hyphenation by it).
pub fn detect_language(text: &str) -> Option<String> {
    // A paragraph or two is plenty for a confident answer and keeps detection cheap.
    let sample = match text.char_indices().nth(1000) {
        Some((i, _)) => &text[..i],
        None => text,
    };
    let info = whatlang::detect(sample)?;
    if !info.is_reliable() {
        return None;
    }
    let code = info.lang().code();
    ISO639_3_TO_1
        .iter()
        .find(|(three, _)| *three == code)
        .map(|(_, two)| (*two).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(html: &str, url: Option<&str>) -> Meta {
        let rules = MetaRules::new(None).unwrap();
        let url = url.map(|u| Url::parse(u).unwrap());
        rules.extract(&Html::parse_document(html), url.as_ref())
    }

    #[test]
    fn json_ld_news_article_inside_graph() {
        let html = r#"<html><head>
        <script type="application/ld+json">{"@context":"https://schema.org","@graph":[
          {"@type":"WebSite","name":"Harbour Gazette","url":"https://gazette.example/"},
          {"@type":["NewsArticle"],"headline":"Ferry strike ends after &quot;long night&quot;",
           "author":[{"@type":"Person","name":"Ana Ruiz"},{"@type":"Person","name":"Tom Kell"}],
           "datePublished":"2024-03-18T09:30:00+01:00",
           "image":{"@type":"ImageObject","url":"/img/ferry.jpg"},
           "inLanguage":"en-GB","url":"https://gazette.example/news/ferry"}]}</script>
        <title>Something else | Harbour Gazette</title></head><body><h1>Other</h1></body></html>"#;
        let m = meta(html, Some("https://gazette.example/news/ferry?utm=x"));
        assert_eq!(
            m.title.as_deref(),
            Some("Ferry strike ends after \"long night\"")
        );
        assert_eq!(m.byline.as_deref(), Some("Ana Ruiz, Tom Kell"));
        assert_eq!(
            m.published.unwrap().to_rfc3339(),
            "2024-03-18T09:30:00+01:00"
        );
        assert_eq!(
            m.image.as_deref(),
            Some("https://gazette.example/img/ferry.jpg")
        );
        assert_eq!(m.language.as_deref(), Some("en"));
        assert_eq!(m.url.as_deref(), Some("https://gazette.example/news/ferry"));
        assert_eq!(m.site_name.as_deref(), Some("Harbour Gazette"));
    }

    #[test]
    fn json_ld_array_with_multiline_strings_and_string_author() {
        let html = "<script type=\"application/ld+json\">[{\"@type\":\"BreadcrumbList\"},\n{\"@type\":\"BlogPosting\",\"headline\":\"Line one\nline two\",\"author\":\"Mia Chen\",\"datePublished\":\"2023-11-02\"}]</script>";
        let m = meta(html, None);
        assert_eq!(m.title.as_deref(), Some("Line one line two"));
        assert_eq!(m.byline.as_deref(), Some("Mia Chen"));
        assert_eq!(
            m.published.unwrap().to_rfc3339(),
            "2023-11-02T00:00:00+00:00"
        );
    }

    #[test]
    fn opengraph_and_meta_conventions() {
        let html = r#"<html lang="de-AT"><head>
          <meta property="og:title" content="Neue Brücke eröffnet">
          <meta property="og:site_name" content="Stadtblatt">
          <meta property="og:image" content="//cdn.stadtblatt.example/b.jpg">
          <meta property="og:url" content="https://stadtblatt.example/a/1">
          <meta name="author" content="Von Eva Huber">
          <meta property="article:published_time" content="2024-05-01T08:00:00Z">
        </head><body></body></html>"#;
        let m = meta(html, Some("https://stadtblatt.example/a/1?ref=rss"));
        assert_eq!(m.title.as_deref(), Some("Neue Brücke eröffnet"));
        assert_eq!(m.byline.as_deref(), Some("Eva Huber"));
        assert_eq!(
            m.image.as_deref(),
            Some("https://cdn.stadtblatt.example/b.jpg")
        );
        assert_eq!(m.url.as_deref(), Some("https://stadtblatt.example/a/1"));
        assert_eq!(m.language.as_deref(), Some("de"));
        assert_eq!(
            m.published.unwrap().to_rfc3339(),
            "2024-05-01T08:00:00+00:00"
        );
    }

    #[test]
    fn dom_fallbacks_time_canonical_base() {
        let html = r#"<html><head><base href="https://mirror.example/sub/">
          <link rel="Canonical" href="/story/7">
          <title>Dam repairs finish early - The Valley Post</title></head>
          <body><h1>Dam repairs finish early</h1>
          <time datetime="2024-01-01">Jan 1</time>
          <span class="byline">By <a rel="author" href="/a/jo">Jo Park</a></span>
          <time datetime="2024-02-03T10:00:00+0200" pubdate>Feb 3</time></body></html>"#;
        let m = meta(html, Some("https://valleypost.example/x"));
        assert_eq!(m.title.as_deref(), Some("Dam repairs finish early"));
        assert_eq!(
            m.base.as_ref().unwrap().as_str(),
            "https://mirror.example/sub/"
        );
        assert_eq!(m.url.as_deref(), Some("https://mirror.example/story/7"));
        assert_eq!(
            m.published.unwrap().to_rfc3339(),
            "2024-02-03T10:00:00+02:00"
        );
        assert_eq!(m.byline.as_deref(), Some("Jo Park"));
        assert_eq!(m.language, None);
    }

    #[test]
    fn cdata_json_ld_space_separated_properties_and_posting_types() {
        let html = r#"<meta property="dc:creator twitter:site_name" content="Creator Name">
            <script type="application/ld+json">
            //<![CDATA[
            {"@type":"SocialMediaPosting","datePublished":"2014-09-02T08:35:27-04:00"}
            //]]>
            </script>"#;
        let m = meta(html, None);
        assert_eq!(m.byline.as_deref(), Some("Creator Name"));
        assert_eq!(
            m.published.unwrap().to_rfc3339(),
            "2014-09-02T08:35:27-04:00"
        );
    }

    #[test]
    fn title_beats_an_unrelated_h1_but_not_its_own_decorated_copy() {
        let m = meta("<title>Base URL test</title><h1>Lorem</h1>", None);
        assert_eq!(m.title.as_deref(), Some("Base URL test"));
        let m = meta(
            "<title>Mill fire: live updates — Valley Post</title><h1>Mill fire: live updates</h1>",
            None,
        );
        assert_eq!(m.title.as_deref(), Some("Mill fire: live updates"));
        let m = meta("<h1>Only a heading here</h1>", None);
        assert_eq!(m.title.as_deref(), Some("Only a heading here"));
    }

    #[test]
    fn byline_boxes_with_dates_or_buttons_are_not_names() {
        let m = meta(
            r#"<div class="article-byline">Last Updated: January 7, 2025</div>"#,
            None,
        );
        assert_eq!(m.byline, None);
        let m = meta(
            r#"<span class="c-byline__author">By Erin Park</span>"#,
            None,
        );
        assert_eq!(m.byline.as_deref(), Some("Erin Park"));
    }

    #[test]
    fn site_title_rule_wins_and_bad_selector_is_an_error() {
        let rules = MetaRules::new(Some(".headline")).unwrap();
        let doc = Html::parse_document(
            r#"<meta property="og:title" content="Social title"><p class="headline">Real headline</p>"#,
        );
        assert_eq!(
            rules.extract(&doc, None).title.as_deref(),
            Some("Real headline")
        );
        match MetaRules::new(Some("p[[")) {
            Err(ExtractError::BadRule { key, .. }) => assert_eq!(key, "title"),
            other => panic!("expected BadRule, got {other:?}"),
        }
    }

    #[test]
    fn javascript_and_data_urls_are_not_metadata() {
        let html = r#"<meta property="og:image" content="javascript:alert(1)">
            <meta name="twitter:image" content="data:image/png;base64,AAAA">
            <link rel="canonical" href="javascript:alert(2)">"#;
        let m = meta(html, None);
        assert_eq!(m.image, None);
        assert_eq!(m.url, None);
    }

    #[test]
    fn title_suffixes() {
        let url = Url::parse("https://www.riverside-news.example/a").unwrap();
        let cases: &[(&str, Option<&str>, Option<&str>, &str)] = &[
            (
                "Fire at mill | Riverside News",
                Some("Riverside News"),
                None,
                "Fire at mill",
            ),
            ("Fire at mill – Riverside News", None, None, "Fire at mill"),
            (
                "Fire at mill - Other Paper",
                None,
                Some("Fire at mill"),
                "Fire at mill",
            ),
            (
                "Riverside News | Fire at mill",
                Some("Riverside News"),
                None,
                "Fire at mill",
            ),
            // A dash that belongs to the headline stays.
            (
                "Left - right politics explained",
                Some("Riverside News"),
                None,
                "Left - right politics explained",
            ),
            ("Q&A - what next", None, None, "Q&A - what next"),
        ];
        // Author and site decorations both go.
        assert_eq!(
            strip_site_suffix(
                "The great big lie - Jo Welch - Medium",
                &["Medium", "Jo Welch"],
                None,
                None
            ),
            "The great big lie"
        );
        for (title, site, h1, want) in cases {
            assert_eq!(
                &strip_site_suffix(title, site.as_slice(), *h1, Some(&url)),
                want,
                "{title}"
            );
        }
    }

    #[test]
    fn lenient_dates() {
        let cases = [
            ("2024-03-18T09:30:00Z", "2024-03-18T09:30:00+00:00"),
            (
                "2024-03-18T09:30:00.123+0100",
                "2024-03-18T09:30:00.123+01:00",
            ),
            ("2024-03-18 09:30:00", "2024-03-18T09:30:00+00:00"),
            ("2024-03-18T09:30", "2024-03-18T09:30:00+00:00"),
            ("Mon, 18 Mar 2024 09:30:00 GMT", "2024-03-18T09:30:00+00:00"),
            ("March 18, 2024", "2024-03-18T00:00:00+00:00"),
            ("18 March 2024", "2024-03-18T00:00:00+00:00"),
            ("1710754200", "2024-03-18T09:30:00+00:00"),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_date(input).map(|d| d.to_rfc3339()).as_deref(),
                Some(want),
                "{input}"
            );
        }
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn language_detection_only_when_confident() {
        let de = "Die Stadtverwaltung hat am Dienstag beschlossen, die alte Brücke über den Fluss zu sanieren. Die Arbeiten sollen im Frühjahr beginnen und etwa zwei Jahre dauern, teilte die Sprecherin mit.";
        assert_eq!(detect_language(de).as_deref(), Some("de"));
        assert_eq!(detect_language("ok"), None);
    }

    #[test]
    fn language_codes() {
        assert_eq!(iso639_1("en-GB").as_deref(), Some("en"));
        assert_eq!(iso639_1("pt_BR").as_deref(), Some("pt"));
        assert_eq!(iso639_1("FR").as_deref(), Some("fr"));
        assert_eq!(iso639_1("english"), None);
        assert_eq!(iso639_1(""), None);
    }
}
