//! The sanitizer's tests: the XSS table, URL rewriting, tracking parameters, and the direct
//! path checked against the full allow-list pass.

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

/// Hostile markup, by name: every one must come out structurally safe.
const XSS_CASES: &[(&str, &str)] = &[
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

#[test]
fn xss_table() {
    let cases = XSS_CASES;
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
    for name in ["utm_", "UTM_Source", "fbclid", "FbClId", "_GA", "Li_Fat_Id"] {
        assert!(is_tracking_param(name), "{name}");
    }
    for name in ["utm", "utmx", "id", "fbclid2", "\u{fc}tm_x", "_g", ""] {
        assert!(!is_tracking_param(name), "{name}");
    }
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

/// Characters and words that exercise escaping: entities, quotes, no-break spaces, non-ASCII.
const WORDS: &[&str] = &[
    "harbour",
    "R&D",
    "a<b",
    "x>y",
    "\"quoted\"",
    "it's",
    "50\u{a0}km",
    "Müller",
    "© 2024 «Zeit»",
    "—",
    "東京",
    "&amp;",
    "tab\there",
    "line\nbreak",
    "  ",
];

/// `href`/`src` values that take every branch of the URL rules.
const URLS: &[&str] = &[
    "/img/a.jpg",
    "../b.html",
    "story.html?id=3&utm_source=feed",
    "https://shop.example/item?id=7&utm_medium=email&fbclid=abc#specs",
    "HTTPS://Example.COM/A%20B",
    "http://x.example",
    "mailto:desk@news.example",
    "javascript:alert(1)",
    "java\tscript:alert(1)",
    " JaVaScRiPt:alert(1)",
    "data:image/png;base64,AAAA",
    "vbscript:x",
    "ftp://files.example/a",
    "//cdn.example/p.png",
    "",
    " ",
    "#top",
    "?gclid=1",
    "http://[::1",
    "https://a.example/\"onerror=\"x",
    "/path with space/<x>",
    "mailto:?utm_source=x",
];

/// A small deterministic generator (no seed file, same inputs on every run).
struct Gen(u64);

impl Gen {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.next(list.len())]
    }

    /// Inline content as the body engine writes it: escaped words, formatting, links, images,
    /// breaks.
    fn inline(&mut self, html: &mut String, depth: u32, in_link: bool) {
        for _ in 0..1 + self.next(5) {
            match self.next(if depth > 2 { 3 } else { 8 }) {
                0..=2 => {
                    crate::extract::content::escape_into(html, self.pick(WORDS));
                    html.push(' ');
                }
                3 | 4 => {
                    let t = self.pick(&["em", "strong", "b", "i", "code", "sup", "q", "s", "abbr"]);
                    html.push_str(&format!("<{t}>"));
                    self.inline(html, depth + 1, in_link);
                    html.push_str(&format!("</{t}>"));
                }
                5 if !in_link => {
                    html.push_str("<a href=\"");
                    crate::extract::content::escape_into(html, self.pick(URLS));
                    html.push_str("\">");
                    self.inline(html, depth + 1, true);
                    html.push_str("</a>");
                }
                6 => self.img(html),
                _ => html.push_str("<br>"),
            }
        }
    }

    fn img(&mut self, html: &mut String) {
        html.push_str("<img src=\"");
        crate::extract::content::escape_into(html, self.pick(URLS));
        html.push('"');
        if self.next(2) == 0 {
            html.push_str(" alt=\"");
            crate::extract::content::escape_into(html, self.pick(WORDS));
            html.push('"');
        }
        html.push('>');
    }

    /// A run of blocks in the body engine's shapes.
    fn blocks(&mut self) -> String {
        let mut html = String::new();
        for _ in 0..1 + self.next(6) {
            let k = self.next(7);
            let tag = ["p", "li", "h2", "h3", "blockquote", "pre", "figure"][k];
            html.push_str(&format!("<{tag}>"));
            match tag {
                "blockquote" => {
                    html.push_str("<p>");
                    self.inline(&mut html, 0, false);
                    html.push_str("</p>");
                }
                "pre" => {
                    crate::extract::content::escape_into(&mut html, "let a = b < c && d;\n  x")
                }
                "figure" => {
                    self.img(&mut html);
                    html.push_str("<figcaption>");
                    crate::extract::content::escape_into(&mut html, self.pick(WORDS));
                    html.push_str("</figcaption>");
                }
                _ => self.inline(&mut html, 0, false),
            }
            html.push_str(&format!("</{tag}>"));
        }
        html
    }
}

#[test]
fn direct_path_writes_what_the_full_pass_writes() {
    let s = Sanitizer::new();
    let base = Url::parse("https://news.example/world/story.html").unwrap();
    let mut generator = Gen(11);
    for round in 0..3000 {
        let html = generator.blocks();
        for base in [Some(&base), None] {
            let fast = direct::clean(&html, base, &s.schemes);
            assert_eq!(
                fast.as_deref(),
                Some(s.clean_parsed(&html, base).as_str()),
                "round {round}, base {base:?}: {html}"
            );
        }
    }
}

/// Text with every character the direct path rewrites (entities, a bare `>`, no-break spaces and
/// their neighbours in UTF-8) comes out as the full pass writes it.
#[test]
fn direct_path_text_is_escaped_as_the_full_pass_escapes_it() {
    let s = Sanitizer::new();
    for html in [
        "<p>a > b >> c</p>",
        "<p>\u{a9} 2024 \u{ab}Zeit\u{bb}\u{a0}\u{a0}\u{bd}</p>",
        "<p>\u{a0}</p><p>x\u{a0}</p><p>\u{c2}\u{a0}\u{a2}</p>",
        "<p>&quot;q&quot; &#39;s&#39; &amp;amp; &amp;nbsp; &lt;b&gt;</p>",
        "<p><em>&gt;</em>&amp;<strong>&lt;</strong></p>",
        "<h2>&#39;</h2>",
        "<p></p>",
    ] {
        assert_eq!(
            direct::clean(html, None, &s.schemes).as_deref(),
            Some(s.clean_parsed(html, None).as_str()),
            "{html:?}"
        );
    }
}

#[test]
fn direct_path_declines_markup_outside_the_engine_shape() {
    let declined = [
        "<div>x</div>",
        "<p class=\"a\">x</p>",
        "<P>x</P>",
        "<p>x",
        "<p>x</li>",
        "<li><p>x</p></li>",
        "<b><p>x</p></b>",
        "<a href=\"/a\"><a href=\"/b\">x</a></a>",
        "<p><a href=\"/a\">x</p><p>y</a></p>",
        "<p>a&nbsp;b</p>",
        "<p>a &amp b</p>",
        "<p>a\r\nb</p>",
        "<p>a\0b</p>",
        "\u{feff}<p>x</p>",
        "<pre>\nx</pre>",
        "<p>x<!-- c --></p>",
        "<p>1 < 2</p>",
        "<img src=x>",
        "<img src=\"x\" src=\"y\">",
        "<a href=\"x\" onclick=\"y\">z</a>",
        "<br/>",
        "<p>x</p></p>",
        "<h2><h3>x</h3></h2>",
        "<figcaption>x</figcaption>",
    ];
    let s = Sanitizer::new();
    for html in declined {
        assert_eq!(direct::clean(html, None, &s.schemes), None, "{html:?}");
        // Declined markup still comes out as the full pass writes it.
        assert_eq!(s.clean(html, None), s.clean_parsed(html, None), "{html:?}");
    }
    // Hostile markup the direct path does take (a bare `javascript:` link) comes out the same.
    for (name, html) in XSS_CASES {
        assert_eq!(s.clean(html, None), s.clean_parsed(html, None), "{name}");
    }
}

/// The body engine's own output over every extraction fixture takes the direct path and comes
/// out as the full pass writes it.
#[test]
fn engine_output_of_every_fixture_takes_the_direct_path() {
    let rules = crate::extract::content::ContentRules::new(&Default::default()).unwrap();
    let s = Sanitizer::new();
    let base = Url::parse("https://news.example/world/story.html").unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut pages = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let Ok(page) = std::fs::read_to_string(entry.unwrap().path().join("page.html")) else {
            continue;
        };
        let doc = scraper::Html::parse_document(&page);
        let body = crate::extract::content::extract_body(&doc, &rules, &[]);
        let html: String = body.blocks.iter().map(|b| b.html.as_str()).collect();
        pages += usize::from(!html.is_empty());
        assert_eq!(
            direct::clean(&html, Some(&base), &s.schemes).as_deref(),
            Some(s.clean_parsed(&html, Some(&base)).as_str()),
            "{html}"
        );
    }
    assert!(pages >= 30, "only {pages} fixture pages");
}
