//! The one walk over the document that gathers what metadata needs: `<meta>` and `<link>` values,
//! `<base>`, `<html lang>`, JSON-LD script bodies, the first `<h1>`/`<h2>`/`<title>`, `<time>`
//! and a byline-looking element. Owns the gathering only; choosing between sources is `meta`'s.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use scraper::{ElementRef, Html};

use super::date::parse_date;
use super::element_text;

/// Everything the metadata needs from the document, gathered in one walk.
#[derive(Debug, Default)]
pub(super) struct Scan<'a> {
    /// `<meta>` values keyed by lower-cased `property`, `name`, `itemprop` or `http-equiv`; the
    /// first occurrence of a key wins.
    pub(super) metas: HashMap<String, String>,
    /// `<link href>` by lower-cased `rel` token; the first occurrence wins.
    pub(super) links: HashMap<String, String>,
    pub(super) base_href: Option<&'a str>,
    pub(super) html_lang: Option<&'a str>,
    /// The text of the first non-empty `<h1>` and `<title>`.
    pub(super) h1: Option<String>,
    /// The first non-empty `<h2>`: only a check for a `<title>`'s site suffix.
    pub(super) h2: Option<String>,
    pub(super) title: Option<String>,
    /// `<time datetime>`: the first marked as the publication time, else the first.
    pub(super) time: Option<DateTime<FixedOffset>>,
    /// The first byline-looking element's text (`rel=author`, `itemprop=author`, `.byline`).
    pub(super) author: Option<String>,
    pub(super) json_ld: Vec<String>,
}

impl<'a> Scan<'a> {
    pub(super) fn of(doc: &'a Html) -> Self {
        let mut scan = Scan::default();
        let mut time_marked = false;
        // The node arena in creation order: document order for parsed pages, and a linear scan
        // is markedly cheaper than walking the tree.
        for e in doc.tree.nodes().filter_map(ElementRef::wrap) {
            if !scan.head_element(e) {
                scan.body_element(e, &mut time_marked);
            }
        }
        scan
    }

    /// `<meta>`, `<link>`, `<base>` and `<script>`: recorded here and never a byline. Returns
    /// whether the element was one of them.
    fn head_element(&mut self, e: ElementRef<'a>) -> bool {
        let el = e.value();
        match el.name() {
            "meta" => self.meta(el),
            "link" => {
                if let (Some(rel), Some(href)) = (attr(el, "rel"), attr(el, "href")) {
                    for rel in rel.split_ascii_whitespace() {
                        self.links
                            .entry(rel.to_ascii_lowercase())
                            .or_insert_with(|| href.trim().to_owned());
                    }
                }
            }
            "base" => {
                if self.base_href.is_none() {
                    self.base_href = attr(el, "href");
                }
            }
            "script" => {
                if attr(el, "type")
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"))
                {
                    self.json_ld.push(e.text().collect());
                }
            }
            _ => return false,
        }
        true
    }

    /// A `<meta>`: its `content` under each key its `property`, `name`, `itemprop` and
    /// `http-equiv` give, in that order (the attributes read in one pass over the element's list).
    fn meta(&mut self, el: &scraper::node::Element) {
        let mut content = None;
        let mut keys: [Option<&str>; 4] = [None; 4];
        for (name, value) in el.attrs() {
            let slot = match name {
                "content" => {
                    content = content.or(Some(value));
                    continue;
                }
                "property" => 0,
                "name" => 1,
                "itemprop" => 2,
                "http-equiv" => 3,
                _ => continue,
            };
            keys[slot] = keys[slot].or(Some(value));
        }
        let Some(content) = content else { return };
        // RDFa allows several properties in one attribute: "dc:creator og:author".
        for key in keys.into_iter().flatten().flat_map(str::split_whitespace) {
            self.metas
                .entry(key.to_ascii_lowercase())
                .or_insert_with(|| content.trim().to_owned());
        }
    }

    /// Any other element: `<html lang>`, the first headings and title, `<time>`, and the first
    /// byline-looking element.
    fn body_element(&mut self, e: ElementRef<'a>, time_marked: &mut bool) {
        let el = e.value();
        match el.name() {
            "html" if self.html_lang.is_none() => {
                self.html_lang = attr(el, "lang").or_else(|| attr(el, "xml:lang"));
            }
            "h1" if self.h1.is_none() => {
                self.h1 = Some(element_text(&e)).filter(|t| !t.is_empty());
            }
            "h2" if self.h2.is_none() => {
                self.h2 = Some(element_text(&e)).filter(|t| !t.is_empty());
            }
            "title" if self.title.is_none() => {
                self.title = Some(element_text(&e)).filter(|t| !t.is_empty());
            }
            "time" if !*time_marked => {
                if let Some(date) = attr(el, "datetime").and_then(parse_date) {
                    *time_marked = attr(el, "pubdate").is_some()
                        || attr(el, "itemprop")
                            .is_some_and(|v| v.eq_ignore_ascii_case("datePublished"))
                        || attr(el, "class")
                            .is_some_and(|c| c.to_ascii_lowercase().contains("publish"));
                    if *time_marked || self.time.is_none() {
                        self.time = Some(date);
                    }
                }
            }
            _ => {}
        }
        if self.author.is_none() && is_author_element(el) {
            self.author = Some(element_text(&e)).filter(|t| !t.is_empty() && t.len() < 120);
        }
    }
}

/// The value of an attribute without a namespace, as [`scraper::node::Element::attr`] finds it,
/// without making an atom of `name` for the lookup.
fn attr<'e>(el: &'e scraper::node::Element, name: &str) -> Option<&'e str> {
    el.attrs
        .iter()
        .find(|(q, _)| q.prefix.is_none() && q.ns.is_empty() && *q.local == *name)
        .map(|(_, v)| &**v)
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
    let has_token = |v: &str, token: &str| {
        v.split_ascii_whitespace()
            .any(|t| t.eq_ignore_ascii_case(token))
    };
    el.attrs().any(|(name, value)| match name {
        "rel" | "itemprop" => has_token(value, "author"),
        "class" => is_author_class(value, &AUTHOR_CLASSES),
        _ => false,
    })
}

/// Whether a class attribute holds "byline" in any token, or one of `classes` (each holding
/// "author") as a token, in any ASCII case. "byline" holds no whitespace, so it is in a token
/// exactly when it is in the value: one pass over the bytes finds both words.
fn is_author_class(value: &str, classes: &[&str]) -> bool {
    let bytes = value.as_bytes();
    let at = |i: usize, word: &[u8]| {
        bytes
            .get(i..i + word.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(word))
    };
    let mut author = false;
    for (i, &b) in bytes.iter().enumerate() {
        // `| 0x20` lower-cases an ASCII letter, and maps no other byte to one.
        match b | 0x20 {
            b'b' if at(i, b"byline") => return true,
            b'a' if !author && at(i, b"author") => author = true,
            _ => {}
        }
    }
    author
        && value
            .split_ascii_whitespace()
            .any(|c| classes.iter().any(|a| a.eq_ignore_ascii_case(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_element(html: &str) -> bool {
        let doc = Html::parse_fragment(html);
        let el = doc.root_element().first_child().and_then(ElementRef::wrap);
        is_author_element(el.expect("an element").value())
    }

    #[test]
    fn attributes_are_found_as_the_element_finds_them() {
        let doc = Html::parse_document(
            r#"<html xml:lang="de" lang="en"><body><svg xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="/x" href="/y"/><foreignObject xml:lang="fr"/></svg><p data-x="1" LANG="fr" class="">x</p><time datetime="2024-01-02" pubdate>t</time>"#,
        );
        let names = [
            "xml:lang",
            "lang",
            "href",
            "xlink:href",
            "data-x",
            "class",
            "datetime",
            "pubdate",
            "x",
        ];
        for e in doc.tree.nodes().filter_map(ElementRef::wrap) {
            for name in names {
                assert_eq!(attr(e.value(), name), e.value().attr(name), "{name}");
            }
        }
    }

    #[test]
    fn author_elements_by_rel_itemprop_and_class() {
        for yes in [
            r#"<a rel="Author">x</a>"#,
            r#"<span itemprop="name author">x</span>"#,
            r#"<p class="c-ByLine__name">x</p>"#,
            r#"<p class="meta articleBYLINE">x</p>"#,
            r#"<p class="box   Author-Name">x</p>"#,
            r#"<p class="story-author">x</p>"#,
        ] {
            assert!(first_element(yes), "{yes}");
        }
        for no in [
            "<p>x</p>",
            r#"<p class="">x</p>"#,
            r#"<p class="authority author-box">x</p>"#,
            r#"<p class="by line bylin">x</p>"#,
            r#"<p class="bÿline">x</p>"#,
            r#"<p title="author" class="b">x</p>"#,
        ] {
            assert!(!first_element(no), "{no}");
        }
    }
}
