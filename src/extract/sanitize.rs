//! Sanitizing: the last step for every piece of HTML that leaves clearfeed. The output goes into
//! feed readers, many of which render it with little or no filtering of their own, so this is a
//! security boundary: an allow-list (ammonia) of plain document tags and a handful of attributes,
//! nothing executable, nothing that loads from another origin except `<img src>` over http(s),
//! no tracking attributes, and every relative URL made absolute against the page's base.
//!
//! This module knows nothing about what is or is not article content; it only makes HTML safe.

use std::borrow::Cow;
use std::cell::RefCell;

use ammonia::{Builder, UrlRelative};
use url::Url;

/// Tags kept (without attributes unless listed below). Anything else is unwrapped (its text kept)
/// unless it is in [`DROPPED_WITH_CONTENT`].
const ALLOWED_TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "del",
    "dfn",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
    "var",
];

/// Elements removed together with everything inside them: executable or embedded content, forms,
/// and foreign (SVG, MathML) markup, whose parsing rules differ from HTML's and have a long history
/// of sanitizer bypasses.
const DROPPED_WITH_CONTENT: &[&str] = &[
    "script",
    "style",
    "template",
    "noscript",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "form",
    "button",
    "select",
    "option",
    "optgroup",
    "textarea",
    "svg",
    "math",
    "video",
    "audio",
    "canvas",
    "dialog",
    "title",
    "noembed",
    "noframes",
    "xmp",
    "plaintext",
];

/// URL schemes allowed in `href` and `src`. No `data:` (not even images: SVG data URLs can script,
/// and a feed item has no business embedding megabytes of base64).
const URL_SCHEMES: &[&str] = &["http", "https", "mailto"];

/// Query parameters that only track readers (click ids, newsletter and campaign tags); `utm_*`
/// is matched as a prefix. Removed from every link clearfeed publishes and from item URLs.
pub const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "twclid",
    "ttclid",
    "li_fat_id",
    "mc_cid",
    "mc_eid",
    "igshid",
    "yclid",
    "_ga",
    "_gl",
    "ocid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "vero_id",
    "oly_anon_id",
    "oly_enc_id",
    "wickedid",
];

/// Whether a query parameter name is a tracking tag ([`TRACKING_PARAMS`] or `utm_*`).
pub fn is_tracking_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_") || TRACKING_PARAMS.contains(&name.as_str())
}

/// A URL (absolute or relative, as written in an attribute) without its tracking parameters; the
/// other parameters keep their order and spelling. Works on the text, so relative links work too.
pub fn strip_tracking_params(url: &str) -> Cow<'_, str> {
    let Some(q) = url.find('?') else {
        return Cow::Borrowed(url);
    };
    let end = url[q..].find('#').map_or(url.len(), |f| q + f);
    let query = &url[q + 1..end];
    let keep: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            !pair.is_empty() && !is_tracking_param(name)
        })
        .collect();
    if keep.len() == query.split('&').count() {
        return Cow::Borrowed(url);
    }
    let mut out = url[..q].to_string();
    if !keep.is_empty() {
        out.push('?');
        out.push_str(&keep.join("&"));
    }
    out.push_str(&url[end..]);
    Cow::Owned(out)
}

thread_local! {
    /// The base URL of the page being sanitized on this thread. ammonia's relative-URL hook takes
    /// no context, and building a `Builder` per page would repeat its set-up for every article, so
    /// the base is handed over here for the duration of one [`Sanitizer::clean`] call.
    static CURRENT_BASE: RefCell<Option<Url>> = const { RefCell::new(None) };
}

/// The allow-list, built once and reused for every page.
pub struct Sanitizer {
    builder: Builder<'static>,
}

impl std::fmt::Debug for Sanitizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sanitizer").finish_non_exhaustive()
    }
}

impl Default for Sanitizer {
    fn default() -> Self {
        Self::new()
    }
}

impl Sanitizer {
    pub fn new() -> Self {
        let mut b = Builder::empty();
        b.add_tags(ALLOWED_TAGS)
            .add_clean_content_tags(DROPPED_WITH_CONTENT)
            .add_tag_attributes("a", ["href", "title"])
            .add_tag_attributes("img", ["src", "alt", "title", "width", "height"])
            .add_tag_attributes("abbr", ["title"])
            .add_tag_attributes("td", ["colspan", "rowspan"])
            .add_tag_attributes("th", ["colspan", "rowspan", "scope"])
            .add_tag_attributes("ol", ["start", "reversed"])
            .add_tag_attributes("time", ["datetime"])
            .add_url_schemes(URL_SCHEMES)
            .link_rel(Some("noopener noreferrer nofollow"))
            .strip_comments(true)
            .attribute_filter(|_, attr, value| match attr {
                "href" | "src" => Some(strip_tracking_params(value)),
                _ => Some(Cow::Borrowed(value)),
            })
            .url_relative(UrlRelative::Custom(Box::new(resolve_relative)));
        Sanitizer { builder: b }
    }

    /// Sanitizes an HTML fragment. Relative URLs are resolved against `base`; without a base they
    /// are kept relative (a reader resolves them against the item's link).
    pub fn clean(&self, html: &str, base: Option<&Url>) -> String {
        CURRENT_BASE.with(|b| *b.borrow_mut() = base.cloned());
        let out = self.builder.clean(html).to_string();
        CURRENT_BASE.with(|b| *b.borrow_mut() = None);
        out
    }
}

/// ammonia calls this only for relative URLs (absolute ones are checked against the scheme list).
/// The resolved URL must itself be http(s), so a base can never smuggle in another scheme.
fn resolve_relative(url: &str) -> Option<Cow<'_, str>> {
    CURRENT_BASE.with(|base| match base.borrow().as_ref() {
        Some(base) => base
            .join(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|u| Cow::Owned(u.into())),
        None => Some(Cow::Borrowed(url)),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn clean(html: &str) -> String {
        let base = Url::parse("https://news.example/world/story.html").unwrap();
        Sanitizer::new().clean(html, Some(&base))
    }

    /// Lower-cased output must contain none of these anywhere.
    const FORBIDDEN: &[&str] = &[
        "<script",
        "</script",
        "javascript:",
        "vbscript:",
        "data:",
        "onerror",
        "onload",
        "onclick",
        "onmouseover",
        "onfocus",
        "<iframe",
        "<form",
        "<input",
        "<style",
        "expression(",
        "<svg",
        "<math",
        "<object",
        "<embed",
        "<base",
        "<meta",
        "<link",
        "style=",
        "class=",
        "id=",
        "data-",
        "srcdoc",
        "formaction",
        "<noscript",
        "<template",
    ];

    /// Parses the output again and checks it structurally: only allowed tags, no event handler or
    /// unknown attribute, and every URL absolute http(s)/mailto.
    pub(crate) fn assert_structurally_safe(name: &str, out: &str) {
        let frag = scraper::Html::parse_fragment(out);
        for el in frag.root_element().descendent_elements().skip(1) {
            let tag = el.value().name();
            assert!(ALLOWED_TAGS.contains(&tag), "{name}: tag <{tag}> in {out}");
            for (attr, value) in el.value().attrs() {
                assert!(
                    matches!(
                        attr,
                        "href"
                            | "src"
                            | "alt"
                            | "title"
                            | "width"
                            | "height"
                            | "rel"
                            | "colspan"
                            | "rowspan"
                            | "scope"
                            | "start"
                            | "reversed"
                            | "datetime"
                            | "lang"
                    ),
                    "{name}: attribute {attr} on <{tag}> in {out}"
                );
                if matches!(attr, "href" | "src") {
                    assert!(
                        ["http://", "https://", "mailto:"]
                            .iter()
                            .any(|p| value.starts_with(p)),
                        "{name}: {attr}={value:?} in {out}"
                    );
                }
            }
        }
    }

    #[test]
    fn xss_table() {
        let cases: &[(&str, &str)] = &[
            ("script tag", "<p>a<script>alert(1)</script>b</p>"),
            (
                "script uppercase",
                "<SCRIPT SRC=//evil.example/x.js></SCRIPT><p>ok</p>",
            ),
            ("img onerror", r#"<img src=x onerror="alert(1)">"#),
            ("body onload", r#"<body onload=alert(1)><p>t</p></body>"#),
            ("javascript href", r#"<a href="javascript:alert(1)">x</a>"#),
            (
                "javascript href entity-encoded",
                r#"<a href="jav&#x09;ascript:alert(1)">x</a>"#,
            ),
            (
                "javascript href mixed case and spaces",
                r#"<a href="  JaVaScRiPt:alert(1)">x</a>"#,
            ),
            (
                "javascript href newline",
                "<a href=\"java\nscript:alert(1)\">x</a>",
            ),
            ("vbscript href", r#"<a href="vbscript:msgbox(1)">x</a>"#),
            (
                "data href",
                r#"<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>"#,
            ),
            (
                "data image",
                r#"<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">"#,
            ),
            ("svg onload", r#"<svg onload=alert(1)><circle r=1 /></svg>"#),
            ("svg script", r#"<svg><script>alert(1)</script></svg>"#),
            (
                "svg animate href",
                r#"<svg><a><animate attributeName=href values=javascript:alert(1) /><text>x</text></a></svg>"#,
            ),
            (
                "math href",
                r#"<math><mi xlink:href="javascript:alert(1)">x</mi></math>"#,
            ),
            (
                "math mglyph style",
                r#"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"#,
            ),
            (
                "css expression",
                r#"<p style="width: expression(alert(1))">x</p>"#,
            ),
            (
                "style tag import",
                r#"<style>@import 'https://evil.example/x.css';</style><p>t</p>"#,
            ),
            (
                "iframe",
                r#"<iframe src="https://ads.example/slot"></iframe><p>t</p>"#,
            ),
            (
                "iframe srcdoc",
                r#"<iframe srcdoc="<script>alert(1)</script>"></iframe>"#,
            ),
            (
                "form",
                r#"<form action="https://evil.example"><input name=q><button formaction="javascript:alert(1)">go</button></form>"#,
            ),
            (
                "object embed",
                r#"<object data="x.swf"></object><embed src="x.swf">"#,
            ),
            (
                "meta refresh",
                r#"<meta http-equiv="refresh" content="0;url=javascript:alert(1)">"#,
            ),
            (
                "base hijack",
                r#"<base href="javascript:alert(1)//"><a href="x">x</a>"#,
            ),
            ("malformed unclosed", r#"<img src="x" onerror=alert(1)//"#),
            (
                "malformed nested quotes",
                r#"<a href="x" "onmouseover"=alert(1)>x</a>"#,
            ),
            (
                "malformed tag in attribute",
                r#"<p title="</p><script>alert(1)</script>">t</p>"#,
            ),
            (
                "unclosed script in table",
                r#"<table><tr><td><script>alert(1)<td>x</table>"#,
            ),
            (
                "nested anchors",
                r#"<a href="https://a.example/"><a href="javascript:alert(1)">x</a></a>"#,
            ),
            (
                "entity-encoded scheme",
                r#"<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>"#,
            ),
            ("protocol-relative", r#"<img src="//cdn.example/a.png">"#),
            (
                "comment trick",
                r#"<!--<img src="--><img src=x onerror=alert(1)//">"#,
            ),
            (
                "noscript mxss",
                r#"<noscript><p title="</noscript><img src=x onerror=alert(1)>">"#,
            ),
            (
                "template",
                r#"<template><script>alert(1)</script></template>"#,
            ),
            (
                "tracking attributes",
                r#"<p class="ad" id="x" style="color:red" data-track="1" data-src="y">t</p>"#,
            ),
            (
                "event on allowed tag",
                r#"<a href="/ok" onclick="steal()" onmouseover="steal()">t</a>"#,
            ),
            (
                "textarea breakout",
                r#"<textarea></textarea><script>alert(1)</script></textarea>"#,
            ),
            ("xmp", r#"<xmp><script>alert(1)</script></xmp>"#),
            (
                "srcset",
                r#"<img src="/a.jpg" srcset="javascript:alert(1) 1x">"#,
            ),
        ];
        let s = Sanitizer::new();
        let base = Url::parse("https://news.example/").unwrap();
        for (name, input) in cases {
            let out = s.clean(input, Some(&base));
            assert_structurally_safe(name, &out);
            let out = out.to_lowercase();
            for bad in FORBIDDEN {
                assert!(!out.contains(bad), "{name}: output contains {bad:?}: {out}");
            }
        }
    }

    #[test]
    fn tracking_parameters_leave_links_and_images() {
        let out = clean(
            r#"<p><a href="https://shop.example/item?id=7&utm_source=news&amp;utm_medium=email&fbclid=abc#specs">x</a> <a href="/next?gclid=1&mc_cid=2&mc_eid=3">n</a> <a href="https://e.example/?igshid=z">i</a><img src="/p.jpg?w=640&_hsenc=q"></p>"#,
        );
        assert!(
            out.contains(r#"href="https://shop.example/item?id=7#specs""#),
            "{out}"
        );
        assert!(out.contains(r#"href="https://news.example/next""#), "{out}");
        assert!(out.contains(r#"href="https://e.example/""#), "{out}");
        assert!(
            out.contains(r#"src="https://news.example/p.jpg?w=640""#),
            "{out}"
        );
        assert_eq!(strip_tracking_params("/a?b=1&c=2"), "/a?b=1&c=2");
        assert_eq!(strip_tracking_params("/a?UTM_Campaign=x"), "/a");
    }

    #[test]
    fn safe_markup_survives() {
        let out = clean(
            r#"<figure><img src="/img/a.jpg" alt="Dock" width="640"><figcaption>Dock. Photo: A. Lee</figcaption></figure><p>Text with <a href="../b.html">a link</a>, <em>em</em> and <strong>strong</strong>.</p><ul><li>one</li></ul><blockquote><p>q</p></blockquote>"#,
        );
        assert_eq!(
            out,
            r#"<figure><img src="https://news.example/img/a.jpg" alt="Dock" width="640"><figcaption>Dock. Photo: A. Lee</figcaption></figure><p>Text with <a href="https://news.example/b.html" rel="noopener noreferrer nofollow">a link</a>, <em>em</em> and <strong>strong</strong>.</p><ul><li>one</li></ul><blockquote><p>q</p></blockquote>"#
        );
    }

    #[test]
    fn wrappers_are_unwrapped_and_hidden_widgets_dropped() {
        let out = clean(
            r#"<div class="x"><span data-a="1">kept text</span></div><video src="v.mp4">no video</video>"#,
        );
        assert_eq!(out, "kept text");
    }

    #[test]
    fn links_get_rel_even_when_they_had_their_own() {
        let out = clean(r#"<a href="https://other.example/" rel="opener" target="_blank">x</a>"#);
        assert_eq!(
            out,
            r#"<a href="https://other.example/" rel="noopener noreferrer nofollow">x</a>"#
        );
    }

    #[test]
    fn without_a_base_relative_urls_stay_relative() {
        let out = Sanitizer::new().clean(r#"<a href="/x">x</a><img src="y.png">"#, None);
        assert_eq!(
            out,
            r#"<a href="/x" rel="noopener noreferrer nofollow">x</a><img src="y.png">"#
        );
    }

    #[test]
    fn base_does_not_leak_between_calls() {
        let s = Sanitizer::new();
        let a = Url::parse("https://a.example/").unwrap();
        assert!(
            s.clean(r#"<img src="p.png">"#, Some(&a))
                .contains("https://a.example/p.png")
        );
        assert_eq!(
            s.clean(r#"<img src="p.png">"#, None),
            r#"<img src="p.png">"#
        );
    }
}
