//! Tests of main-content detection through [`extract_body`]: generic pages, figures, key points,
//! site rules and hostile structure.

use super::*;

fn run(html: &str) -> Body {
    run_with(html, &SiteRules::default())
}

fn run_with(html: &str, site: &SiteRules) -> Body {
    let doc = Html::parse_document(html);
    let rules = ContentRules::new(site).unwrap();
    extract_body(&doc, &rules, &[])
}

fn paragraphs(body: &Body) -> Vec<&str> {
    body.blocks
        .iter()
        .filter(|b| b.kind == BlockKind::Paragraph)
        .map(|b| b.text.as_str())
        .collect()
}

fn all_text(body: &Body) -> String {
    body.blocks
        .iter()
        .filter(|b| b.kind != BlockKind::Figure)
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

const P1: &str = "The harbour authority confirmed on Monday that the old pier will close for repairs, a decision that fishermen, shop owners and visitors had feared for months.";
const P2: &str = "Engineers found cracks in three of the supporting columns, according to the report, and said the work could take until the end of next summer.";
const P3: &str = "Local businesses, which depend on the summer crowds, asked the council for help, and the mayor promised a fund to cover part of their losses.";

fn article_page(body: &str) -> String {
    format!(
        r#"<html><head><title>T</title><script>var x = "Advertisement";</script></head><body>
        <nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li></ul></nav>
        <div class="sidebar"><h3>Most read</h3><ul><li><a href="/a">Another story about the harbour</a></li><li><a href="/b">A second story</a></li></ul></div>
        {body}
        <footer><p>Copyright Example Media. Contact us at the address below for all enquiries.</p></footer>
        </body></html>"#
    )
}

struct Case {
    name: &'static str,
    body: String,
    want: Vec<&'static str>,
    absent: Vec<&'static str>,
}

/// Pages whose body layout varies: plain, split by ads, by `<br>`, by sibling boxes.
fn layout_cases() -> Vec<Case> {
    vec![
        Case {
            name: "plain article",
            body: format!(
                "<article><h1>Pier to close</h1><p>{P1}</p><p>{P2}</p><p>{P3}</p></article>"
            ),
            want: vec![P1, P2, P3],
            absent: vec!["Home", "Most read", "Copyright"],
        },
        Case {
            name: "inline ads split the body",
            body: format!(
                r#"<div class="story"><p>{P1}</p><div class="ad-slot"><span>Advertisement</span><iframe src="x"></iframe></div>
                <p>{P2}</p><p class="ad-label">ADVERTISEMENT</p><p>{P3}</p></div>"#
            ),
            want: vec![P1, P2, P3],
            absent: vec!["Advertisement", "ADVERTISEMENT"],
        },
        Case {
            name: "br-separated body",
            body: format!(r#"<div id="text">{P1}<br><br>{P2}<br/><br/>{P3}</div>"#),
            want: vec![P1, P2, P3],
            absent: vec!["Most read"],
        },
        Case {
            name: "body inside a container with a sidebar class",
            body: format!(
                r#"<div class="has-sidebar article-ad-free"><p>{P1}</p><p>{P2}</p><p>{P3}</p></div>"#
            ),
            want: vec![P1, P2, P3],
            absent: vec![],
        },
        Case {
            name: "body split across sibling divs",
            body: format!(
                r#"<div id="main"><div class="text-block"><p>{P1}</p></div><div class="text-block"><p>{P2}</p></div><div class="text-block"><p>{P3}</p></div>
                <div class="related"><ul><li><a href="/1">Related one</a></li><li><a href="/2">Related two</a></li></ul></div></div>"#
            ),
            want: vec![P1, P2, P3],
            absent: vec!["Related one"],
        },
    ]
}

/// Pages whose body carries cruft: comments, share bars, hidden parts, captions, prompts.
fn cruft_cases() -> Vec<Case> {
    vec![
        Case {
            name: "comments and share bar dropped",
            body: format!(
                r#"<div class="post"><p>{P1}</p><p>{P2}</p><div class="share-bar"><a href="f">Share on Facebook</a><a href="t">Tweet</a></div><p>{P3}</p></div>
                <div id="comments"><h3>12 comments</h3><p>Reader one says this decision is a disgrace and the council should resign, frankly.</p></div>"#
            ),
            want: vec![P1, P2, P3],
            absent: vec!["Share on Facebook", "disgrace", "12 comments"],
        },
        Case {
            name: "hidden elements and captions",
            body: format!(
                r#"<article><p>{P1}</p><div style="display: none"><p>Hidden promo text that must never show up in the article body.</p></div>
                <figure><img src="pier.jpg"><figcaption>The old pier at dusk. Photo: Jane Doe</figcaption></figure>
                <p class="caption">Photo: City Archive</p><p aria-hidden="true">Screen reader hidden text here.</p><p>{P2}</p><p>{P2}</p><p>{P3}</p></article>"#
            ),
            want: vec![P1, P2, P3],
            absent: vec![
                "Hidden promo",
                "City Archive",
                "Screen reader",
                "The old pier at dusk",
            ],
        },
        Case {
            name: "reading time, timestamps and read more links",
            body: format!(
                r#"<article><p>Reading Time: 3 minutes</p><p>{P1}</p><div class="video"><span>02:42</span></div>
                <p><strong>READ MORE:</strong> <a href="/x">Storm closes the harbour road</a></p><p>{P2}</p><p>{P3}</p></article>"#
            ),
            want: vec![P1, P2, P3],
            absent: vec!["Reading Time", "02:42", "READ MORE", "Storm closes"],
        },
    ]
}

#[test]
fn generic_extraction_cases() {
    for case in layout_cases().into_iter().chain(cruft_cases()) {
        let body = run(&article_page(&case.body));
        let text = all_text(&body);
        for w in &case.want {
            assert!(text.contains(w), "{}: missing {w:?} in {text:?}", case.name);
        }
        for a in &case.absent {
            assert!(
                !text.contains(a),
                "{}: {a:?} should be gone from {text:?}",
                case.name
            );
        }
        let paras = paragraphs(&body);
        assert_eq!(
            paras.iter().filter(|p| **p == P2).count(),
            1,
            "{}: P2 once in {paras:?}",
            case.name
        );
    }
}

#[test]
fn figures_keep_caption_as_text_not_paragraph() {
    let body = run(&article_page(&format!(
        r#"<article><p>{P1}</p><figure><img src="a.jpg" alt="pier"><figcaption>The pier in 1920.</figcaption></figure><p>{P2}</p><img src="t.gif" width="1" height="1"></article>"#
    )));
    let fig: Vec<_> = body
        .blocks
        .iter()
        .filter(|b| b.kind == BlockKind::Figure)
        .collect();
    assert_eq!(fig.len(), 1, "{:?}", body.blocks);
    assert_eq!(fig[0].text, "The pier in 1920.");
    assert!(fig[0].html.contains("a.jpg") && !fig[0].html.contains("t.gif"));
    assert_eq!(paragraphs(&body), vec![P1, P2]);
}

fn check_bullets(cases: &[(&str, String, Vec<&str>)]) {
    for (name, html, want) in cases {
        let body = run(&article_page(html));
        assert_eq!(&body.bullets, want, "{name}");
        let text = all_text(&body);
        for b in want {
            assert!(!text.contains(b), "{name}: bullet {b:?} repeated in body");
        }
        assert!(text.contains(P1), "{name}: body lost");
    }
}

#[test]
fn bullets_cases() {
    let cases = [
        (
            "story highlights heading",
            format!(
                r#"<article><h2>Story highlights</h2><ul><li>The pier closes for a year of repairs</li><li>Shops ask for help</li></ul><p>{P1}</p><p>{P2}</p><p>{P3}</p></article>"#
            ),
            vec![
                "The pier closes for a year of repairs",
                "Shops ask for help",
            ],
        ),
        (
            "key points in an ol inside an aside",
            format!(
                r#"<article><aside class="box"><h3>Key points:</h3><ol><li>Cracks found in three columns</li><li>Work lasts until next summer</li><li>Mayor promises a fund</li></ol></aside><p>{P1}</p><p>{P2}</p><p>{P3}</p></article>"#
            ),
            vec![
                "Cracks found in three columns",
                "Work lasts until next summer",
                "Mayor promises a fund",
            ],
        ),
        (
            "highlights class",
            format!(
                r#"<article><div class="article-highlights"><ul><li>One point about the pier</li><li>Another point about shops</li></ul></div><p>{P1}</p><p>{P2}</p><p>{P3}</p></article>"#
            ),
            vec!["One point about the pier", "Another point about shops"],
        ),
        (
            "summary list before the body",
            format!(
                r#"<article><ul><li>The harbour pier will close for repairs next month, officials said.</li><li>Engineers found cracks in three of its supporting columns.</li></ul><p>{P1}</p><p>{P2}</p><p>{P3}</p></article>"#
            ),
            vec![
                "The harbour pier will close for repairs next month, officials said.",
                "Engineers found cracks in three of its supporting columns.",
            ],
        ),
        (
            "no bullets: nav menu and mid-body list",
            format!(
                r#"<article><p>{P1}</p><ul><li>A list item inside the body text here</li><li>Another item inside the body text</li></ul><p>{P2}</p><p>{P3}</p></article>"#
            ),
            vec![],
        ),
    ];
    check_bullets(&cases);
}

/// Lists in boxes named like a summary that hold no key points, and points in inline markup.
#[test]
fn boxes_that_only_look_like_key_points() {
    let cases = [
        (
            "no bullets: share prices in a market summary",
            format!(
                r#"<div class="market-summary"><ul><li><span>HX 50</span><br><span>4,312.05</span> <span>-12.40 (-0.29%)</span></li><li><span>FR 20</span><br><span>1,908.77</span> <span>+3.15 (+0.17%)</span></li></ul></div><article><p>{P1}</p><p>{P2}</p><p>{P3}</p></article>"#
            ),
            vec![],
        ),
        (
            "no bullets: a rating summary",
            format!(
                r#"<article><p>{P1}</p><div class="shop-rating-summary"><ul><li><strong>48,210</strong> <strong>ratings</strong> <em>from our customers</em></li><li><strong>94 % of customers</strong> are satisfied with us</li></ul></div><p>{P2}</p><p>{P3}</p></article>"#
            ),
            vec![],
        ),
        (
            "points in inline markup keep their spaces",
            format!(
                r#"<article><div class="article-highlights"><ul><li><strong>Cracks</strong> <em>found in three columns</em></li><li>Work lasts until next summer</li></ul></div><p>{P1}</p><p>{P2}</p><p>{P3}</p></article>"#
            ),
            vec![
                "Cracks found in three columns",
                "Work lasts until next summer",
            ],
        ),
    ];
    check_bullets(&cases);
}

#[test]
fn site_rules_win() {
    let site = SiteRules {
        body: vec![".entry".into()],
        bullets: vec![".points li".into()],
        remove: vec![".promo-box".into()],
        ..SiteRules::default()
    };
    let html = article_page(&format!(
        r#"<div class="lots"><p>{P1}</p><p>{P2}</p><p>{P3}</p></div>
        <div class="entry"><ul class="points"><li>Point A</li><li>Point B</li></ul><p>Short entry paragraph one.</p><div class="promo-box"><p>Buy our magazine today, the best in town.</p></div></div>"#
    ));
    let body = run_with(&html, &site);
    assert_eq!(body.bullets, vec!["Point A", "Point B"]);
    assert_eq!(paragraphs(&body), vec!["Short entry paragraph one."]);
}

#[test]
fn bad_selector_is_a_rule_error() {
    let site = SiteRules {
        body: vec!["div[".into()],
        ..SiteRules::default()
    };
    match ContentRules::new(&site) {
        Err(ExtractError::BadRule { key, .. }) => assert_eq!(key, "body[0]"),
        other => panic!("expected BadRule, got {other:?}"),
    }
}

#[test]
fn empty_and_textless_pages_give_empty_bodies() {
    for html in [
        "",
        "<html><body></body></html>",
        "<html><body><nav><a href='/'>Home</a></nav></body></html>",
    ] {
        let body = run(html);
        assert!(paragraphs(&body).is_empty(), "{html:?}: {body:?}");
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    let mut html = String::new();
    for _ in 0..20_000 {
        html.push_str("<div>");
    }
    html.push_str(P1);
    let body = run(&html);
    assert_eq!(paragraphs(&body), vec![P1]);
}

#[test]
fn invisible_characters_are_not_text() {
    // Soft hyphens and zero-width spaces mark where a word may break; they are not letters.
    let body = run(&article_page(
        "<article><p>The har\u{AD}bour autho\u{AD}rity con\u{200B}firmed on Monday that the old pier will close for repairs, a decision that fishermen, shop owners and visitors had feared for months.</p></article>",
    ));
    assert_eq!(paragraphs(&body), vec![P1]);
}

#[test]
fn a_hover_card_class_on_the_root_element_hides_nothing() {
    // A script's feature classes on <html> ("…-plugin-tooltip") are not a hover card.
    let page = article_page(&format!(
        "<article><p>{P1}</p><p>{P2}</p><p>{P3}</p></article>"
    ))
    .replacen("<html>", r#"<html class="js stencil-plugin-tooltip">"#, 1);
    assert_eq!(paragraphs(&run(&page)), vec![P1, P2, P3]);
    // Inside the article a tooltip card is still dropped.
    let card = article_page(&format!(
        r#"<article><p>{P1}</p><p>Minister <span class="author-tooltip">Ada Lindqvist, minister since 2021</span>said so.</p><p>{P2}</p></article>"#
    ));
    assert!(!all_text(&run(&card)).contains("minister since 2021"));
}

#[test]
fn a_trailing_related_section_ends_the_body() {
    let page = article_page(&format!(
        "<article><p>{P1}</p><p>{P2}</p><p>{P3}</p><p><strong>Related posts</strong></p>\
         <ul><li><a href=\"/x\">Pier repairs begin next month</a></li><li><a href=\"/y\">Harbour fund opens</a></li></ul>\
         <h3>About the author</h3><p>Ola Berg covers the harbour for the paper.</p></article>"
    ));
    let text = all_text(&run(&page));
    assert!(text.ends_with(P3), "{text}");
    // A label the story goes on after is not an end.
    let page = article_page(&format!(
        "<article><p>{P1}</p><p>{P2}</p><p><strong>Related posts:</strong></p><p>{P3} {P3}</p></article>"
    ));
    assert!(all_text(&run(&page)).contains(P3));
}

/// A story split into sections of one template, the first wrapped so deep that its paragraphs
/// score nothing at the level where the sections meet, and a lead paragraph beside the wrappers of
/// the best-scoring box: all of it is the body.
#[test]
fn sections_too_deep_to_score_and_an_intro_beside_a_wrapper_are_the_body() {
    let deep = "Before the ferry there was a rowing boat, and before the rowing boat the islanders walked across the sands at the lowest tides, guided by a line of wooden posts that the storms took away every winter.";
    let intro =
        "Island commuters will lose four ferry crossings a day from next month, the operator said.";
    let html = article_page(&format!(
        r#"<div class="post"><p>{intro}</p>
        <div class="part"><div class="a"><div class="b"><div class="c"><div class="d"><div class="e"><p>{deep}</p></div></div></div></div></div></div>
        <div class="part"><div class="more"><div class="more-inner"><div class="more-content">
        <p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{P1} {P2}</p><p>{P2} {P3}</p></div></div></div></div></div>"#
    ));
    let text = all_text(&run(&html));
    for p in [deep, intro, P1, P3] {
        assert!(text.contains(p), "{p:?} missing from:\n{text}");
    }
}

#[test]
fn ascii_text_collapses_as_any_text_does() {
    // The general rule, word by word over `char::is_whitespace`, as every non-ASCII text takes it.
    let general = |out: &mut String, space: &mut bool, s: &str| {
        for (k, word) in s.split(char::is_whitespace).enumerate() {
            *space |= k > 0;
            if !word.is_empty() {
                if *space && !out.is_empty() {
                    out.push(' ');
                }
                *space = false;
                out.push_str(word);
            }
        }
    };
    let pieces = [
        "",
        " ",
        "a",
        " lead",
        "trail ",
        "\tx\x0by\x0cz\r\n",
        "  two  words  ",
        "end.",
        "\x0b",
    ];
    for a in pieces {
        for b in pieces {
            for start in ["", "x"] {
                let (mut fast, mut slow) = (start.to_string(), start.to_string());
                let (mut fs, mut ss) = (false, false);
                for s in [a, b] {
                    super::text::push_collapsed(&mut fast, &mut fs, s);
                    general(&mut slow, &mut ss, s);
                }
                assert_eq!(
                    (fast.as_str(), fs),
                    (slow.as_str(), ss),
                    "{a:?} {b:?} {start:?}"
                );
            }
        }
    }
}
