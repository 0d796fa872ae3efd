//! The rule-file directives the body engine does not see: replacements on the raw HTML, the
//! headline, author and date selectors, native-ad clues, and the links of multi-page articles
//! (found here; fetched by the caller), plus joining the pages of one article. Owns compiling
//! [`HostExtras`] and applying it to one parsed document.

use std::borrow::Cow;

use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::meta::{self, Meta};
use super::rules::HostExtras;
use super::{Article, ExtractError, Extractor, collapse_whitespace, decode};
use crate::model::Page;
use crate::rules::{Replace, RuleSelector};

/// A compiled selector and the attribute read from its matches (`None`: their text).
#[derive(Debug, Clone)]
struct Pick {
    selector: Selector,
    attr: Option<String>,
}

/// [`HostExtras`] compiled once per rule set.
#[derive(Debug, Clone, Default)]
pub(super) struct SiteExtras {
    title: Vec<Pick>,
    author: Vec<Pick>,
    date: Vec<Pick>,
    replace: Vec<Replace>,
    native_ad: Vec<Selector>,
    next_page: Vec<Pick>,
    single_page: Vec<Pick>,
}

/// The links a page gives to the rest of its article.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageLinks {
    /// A single-page version of the whole article.
    pub single: Option<Url>,
    /// The next page.
    pub next: Option<Url>,
}

fn bad(key: &str, i: usize, css: &str, e: impl std::fmt::Display) -> ExtractError {
    ExtractError::BadRule {
        key: format!("{key}[{i}]"),
        reason: format!("invalid CSS selector {css:?}: {e}"),
    }
}

fn picks(key: &str, list: &[RuleSelector]) -> Result<Vec<Pick>, ExtractError> {
    let pick = |(i, s): (usize, &RuleSelector)| {
        Ok(Pick {
            selector: Selector::parse(&s.css).map_err(|e| bad(key, i, &s.css, e))?,
            attr: s.attr.clone(),
        })
    };
    list.iter().enumerate().map(pick).collect()
}

impl SiteExtras {
    pub(super) fn new(x: &HostExtras) -> Result<Self, ExtractError> {
        let native_ad = x.native_ad_clues.iter().enumerate();
        Ok(SiteExtras {
            title: picks("title", &x.title)?,
            author: picks("author", &x.author)?,
            date: picks("date", &x.date)?,
            replace: x.replace.clone(),
            native_ad: native_ad
                .map(|(i, s)| Selector::parse(s).map_err(|e| bad("native_ad_clue", i, s, e)))
                .collect::<Result<_, _>>()?,
            next_page: picks("next_page", &x.next_page)?,
            single_page: picks("single_page", &x.single_page)?,
        })
    }

    /// The page's HTML with the rules' replacements made, in order.
    pub(super) fn rewrite<'a>(&self, html: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(html);
        for r in &self.replace {
            if !r.find.is_empty() && out.contains(&r.find) {
                out = Cow::Owned(out.replace(&r.find, &r.with));
            }
        }
        out
    }

    /// Headline, author and date from the rules, over what the document says itself.
    pub(super) fn apply_meta(&self, doc: &Html, meta: &mut Meta) {
        if let Some(t) = first_value(doc, &self.title) {
            meta.title = Some(t);
        }
        if let Some(a) = first_value(doc, &self.author) {
            meta.byline = Some(a);
        }
        if let Some(d) = first_value(doc, &self.date).and_then(|d| meta::parse_date(&d)) {
            meta.published = Some(d);
        }
    }

    pub(super) fn is_native_ad(&self, doc: &Html) -> bool {
        self.native_ad
            .iter()
            .any(|s| doc.select(s).next().is_some())
    }

    fn follows_pages(&self) -> bool {
        !(self.next_page.is_empty() && self.single_page.is_empty())
    }
}

/// The text (or attribute) of the first match of the first selector that yields a non-empty one.
fn first_value(doc: &Html, picks: &[Pick]) -> Option<String> {
    picks.iter().find_map(|p| {
        doc.select(&p.selector)
            .find_map(|e| value_of(&e, p.attr.as_deref()))
    })
}

fn value_of(e: &ElementRef<'_>, attr: Option<&str>) -> Option<String> {
    let raw = match attr {
        Some(a) => collapse_whitespace(e.value().attr(a)?),
        None => collapse_whitespace(&super::strip::text_of(e)),
    };
    (!raw.is_empty()).then_some(raw)
}

/// The first http(s) link a list of selectors finds, absolute against `base`.
fn first_link(doc: &Html, picks: &[Pick], base: Option<&Url>) -> Option<Url> {
    picks.iter().find_map(|p| {
        doc.select(&p.selector).find_map(|e| {
            let href = match p.attr.as_deref() {
                Some(a) => e.value().attr(a),
                None => e.value().attr("href"),
            }?;
            let u = meta::absolute_http(href.trim(), base)?;
            Url::parse(&u).ok()
        })
    })
}

/// Where a page says it lives: the URL it was fetched from, else its canonical link (or
/// `og:url`). Used to choose site rules for a page read from a file.
pub fn canonical_url(page: &Page) -> Option<Url> {
    if let Some(u) = &page.url {
        return Some(u.clone());
    }
    let decoded = decode::decode(&page.body, page.content_type.as_deref(), None).ok()?;
    let doc = Html::parse_document(&decoded.text);
    let meta = meta::MetaRules::new(None).ok()?.extract(&doc, None);
    Url::parse(&meta.url?).ok()
}

impl Extractor {
    /// Whether the rules give links to other pages of an article (see [`Extractor::page_links`]).
    pub fn follows_pages(&self) -> bool {
        self.site.follows_pages()
    }

    /// The links `page` gives to the rest of its article, by the rules' `single_page_link` and
    /// `next_page_link`; empty when the rules have none or the page is not HTML.
    pub fn page_links(&self, page: &Page) -> PageLinks {
        if !self.follows_pages() {
            return PageLinks::default();
        }
        let url = page.url.as_ref();
        let Ok(decoded) = decode::decode(
            &page.body,
            page.content_type.as_deref(),
            url.and_then(Url::host_str),
        ) else {
            return PageLinks::default();
        };
        let doc = Html::parse_document(&self.site.rewrite(&decoded.text));
        let links = PageLinks {
            single: first_link(&doc, &self.site.single_page, url),
            next: first_link(&doc, &self.site.next_page, url),
        };
        // A link back to the page itself leads nowhere.
        let elsewhere = |u: Option<Url>| u.filter(|u| Some(u) != url);
        PageLinks {
            single: elsewhere(links.single),
            next: elsewhere(links.next),
        }
    }

    /// One article from the pages of a multi-page article, in order: the first page gives the
    /// headline and metadata, every page that yields a body adds its text. A later page that
    /// yields nothing is skipped; the first page failing fails the whole.
    pub fn article_of_pages(&self, pages: &[Page]) -> Result<Article, ExtractError> {
        let (first, rest) = pages.split_first().ok_or(ExtractError::Empty)?;
        let mut article = self.article(first)?;
        for page in rest {
            let Ok(more) = self.article(page) else {
                continue;
            };
            article.paragraphs.extend(more.paragraphs);
            if !more.text.is_empty() {
                article.text.push_str("\n\n");
                article.text.push_str(&more.text);
            }
            article.content_html.push_str(&more.content_html);
            article.site_body = match (article.site_body, more.site_body) {
                (Some(a), Some(b)) => Some(a && b),
                (a, b) => a.or(b),
            };
        }
        Ok(article)
    }
}
