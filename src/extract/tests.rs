//! Tests of the extraction sequence: decoding errors, the plain-text path end to end, and the
//! assembly of body blocks into an article (headline copy, captions, sanitizing).

use super::*;
use crate::summarize::summarize;

fn extractor() -> Extractor {
    Extractor::new(&SiteRules::default()).unwrap()
}

fn page(body: &[u8], url: Option<&str>) -> Page {
    Page::from_bytes(body.to_vec(), url.map(|u| Url::parse(u).unwrap()))
}

fn block(kind: BlockKind, text: &str, html: &str) -> Block {
    Block {
        kind,
        text: text.into(),
        html: html.into(),
    }
}

fn para(text: &str) -> Block {
    block(BlockKind::Paragraph, text, &format!("<p>{text}</p>"))
}

#[test]
fn empty_binary_and_contentless_inputs_are_errors() {
    let x = extractor();
    assert!(matches!(
        x.article(&page(b"", None)),
        Err(ExtractError::Empty)
    ));
    assert!(matches!(
        x.article(&page(b"%PDF-1.4\n...", None)),
        Err(ExtractError::Binary(k)) if k == "PDF"
    ));
    let err = x
        .article(&page(b"<html><body><nav>Home</nav></body></html>", None))
        .unwrap_err();
    assert!(matches!(err, ExtractError::NoContent));
    assert_eq!(err.to_string(), "no article content found");
    // Plain text with nothing but chrome.
    assert!(matches!(
        x.article(&page(b"Menu\n\nLogin\n", None)),
        Err(ExtractError::NoContent)
    ));
}

#[test]
fn invalid_title_rule_is_reported_by_key() {
    let rules = SiteRules {
        title: Some("h1[".into()),
        ..SiteRules::default()
    };
    match Extractor::new(&rules) {
        Err(ExtractError::BadRule { key, .. }) => assert_eq!(key, "title"),
        other => panic!("expected BadRule, got {other:?}"),
    }
}

/// The sample text dump of a news page (the shared sample, kept in the repository as the
/// `scmp-rafah-text` fixture): title, the two "•" key points, and the lead that follows the
/// "Reading Time" / "Why you can trust" / caption lines.
#[test]
fn plain_text_sample_page() {
    let body = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/scmp-rafah-text/page.txt"
    ));
    let a = extractor()
        .article(&page(body, Some("https://news.example/rafah")))
        .unwrap();
    assert_eq!(
        a.title,
        "US and Israeli officials hold virtual meeting on alternative to Rafah invasion"
    );
    assert_eq!(a.bullets.len(), 2, "{:?}", a.bullets);
    assert!(a.bullets[0].starts_with("Joe Biden has urged Israel"));
    assert!(a.bullets[1].starts_with("After Monday’s virtual meeting"));
    assert_eq!(a.language.as_deref(), Some("en"));
    assert_eq!(a.url.as_deref(), Some("https://news.example/rafah"));
    let s = summarize(&a);
    assert!(
        s.lead.starts_with("High-level US and Israeli officials"),
        "{}",
        s.lead
    );
    assert!(s.text.starts_with("• Joe Biden"), "{}", s.text);
    // Structural cruft is gone from the text: the caption, and the video's duration and its title
    // (printed twice in the dump).
    for gone in ["Photo:", "02:42", "Israeli forces open fire on crowd"] {
        assert!(!a.text.contains(gone), "{gone:?} survived in text");
        assert!(!a.content_html.contains(gone), "{gone:?} survived in html");
    }
    assert!(
        a.text
            .contains("“We have to understand how they’re going to move forward.”")
    );
    assert!(a.content_html.starts_with("<p>"));
}

#[test]
fn plain_text_is_escaped_into_html() {
    let a = extractor()
        .article(&page(
            b"Council votes on the <script> budget\n\nThe council voted 5 < 7 on the plan & the amendment <img src=x onerror=alert(1)> passed.\n",
            None,
        ))
        .unwrap();
    assert_eq!(
        a.content_html,
        "<p>The council voted 5 &lt; 7 on the plan &amp; the amendment &lt;img src=x onerror=alert(1)&gt; passed.</p>"
    );
    assert_eq!(a.title, "Council votes on the <script> budget");
}

#[test]
fn windows_1252_plain_text_decodes() {
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(
        "Café owners protest new terrace rules\n\nOwners of cafés in the old town said on Friday that the new rules for terraces would cost them “thousands” each summer.\n",
    );
    let a = extractor().article(&page(&bytes, None)).unwrap();
    assert_eq!(a.title, "Café owners protest new terrace rules");
    assert!(a.text.contains("“thousands”"));
}

#[test]
fn assembly_drops_headline_copy_and_captions() {
    let x = extractor();
    let blocks = vec![
        block(
            BlockKind::Figure,
            "Quay at dawn. Photo: Lee Hart",
            r#"<figure><img src="/q.jpg"><figcaption>Quay at dawn. Photo: Lee Hart</figcaption></figure>"#,
        ),
        block(BlockKind::Heading, "Quay Reopens", "<h1>Quay Reopens</h1>"),
        block(BlockKind::Heading, "Key points", "<h2>Key points</h2>"),
        para("The quay reopened on Monday after a month of repairs, the port said."),
        para("Boats lined up at the quay. Photo: Lee Hart"),
        block(
            BlockKind::Heading,
            "What comes next",
            "<h2>What comes next</h2>",
        ),
        block(
            BlockKind::ListItem,
            "Fees stay the same",
            "<li>Fees stay the same</li>",
        ),
    ];
    let cleaned = x.clean_blocks(blocks, "Quay reopens", true);
    let kinds: Vec<BlockKind> = cleaned.iter().map(|b| b.kind).collect();
    assert_eq!(
        kinds,
        vec![
            BlockKind::Figure,
            BlockKind::Paragraph,
            BlockKind::Heading,
            BlockKind::ListItem
        ]
    );
    let a = x
        .finish(
            Article {
                title: "Quay reopens".into(),
                ..Article::default()
            },
            &cleaned,
        )
        .unwrap();
    assert_eq!(
        a.paragraphs,
        vec![
            "The quay reopened on Monday after a month of repairs, the port said.",
            "Fees stay the same"
        ]
    );
    assert_eq!(
        a.text,
        "The quay reopened on Monday after a month of repairs, the port said.\n\nWhat comes next\n\nFees stay the same"
    );
    assert_eq!(
        a.language.as_deref(),
        None,
        "too little text to detect confidently"
    );
}

#[test]
fn headings_alone_are_no_content() {
    let x = extractor();
    let blocks = vec![block(BlockKind::Heading, "Sections", "<h2>Sections</h2>")];
    assert!(matches!(
        x.finish(Article::default(), &blocks),
        Err(ExtractError::NoContent)
    ));
}

#[test]
fn word_counts() {
    assert_eq!(word_count(""), 0);
    assert_eq!(word_count("one two  three\n\nfour"), 4);
    assert_eq!(word_count("北码头 将关闭"), 6);
    assert_eq!(word_count("iPhone发布会"), 4);
}

#[test]
fn the_dedupe_hash_is_the_hash_of_the_dedupe_key() {
    use std::hash::Hasher;
    for s in [
        "",
        " - ",
        "Hello, World!",
        "  hello   WORLD ",
        "Ünïcödé straße İstanbul ΣΊΣΥΦΟΣ",
        "北码头 将关闭 iPhone发布会",
        "10 000 € – «café» 3½",
        "\u{a0}tab\tand\nline\u{2014}dash",
    ] {
        let key = dedupe_key(s);
        let mut h = cruft::Fnv::default();
        h.write(key.as_bytes());
        let want = (!key.is_empty()).then(|| h.finish());
        assert_eq!(dedupe_hash(s), want, "{s:?}");
    }
    assert_eq!(dedupe_hash("Hello, World!"), dedupe_hash("hello world"));
}

/// The example page shipped in the repository: its metadata comes out whole.
#[test]
fn example_page_metadata() {
    let html = include_str!("../../examples/sample-article.html");
    let doc = Html::parse_document(html);
    let m = MetaRules::new(None).unwrap().extract(
        &doc,
        Some(&Url::parse("file:///tmp/sample-article.html").unwrap()),
    );
    assert_eq!(
        m.title.as_deref(),
        Some("Saltmarsh votes to relight its Victorian lighthouse")
    );
    assert_eq!(m.byline.as_deref(), Some("Imogen Varley"));
    assert_eq!(
        m.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2025-03-11T07:45:00+00:00")
    );
    assert_eq!(
        m.url.as_deref(),
        Some("https://www.coastalcourier.example/news/2025/03/saltmarsh-lighthouse-relight")
    );
    assert_eq!(
        m.image.as_deref(),
        Some("https://www.coastalcourier.example/media/2025/03/point-hallow-light-1200.jpg")
    );
    assert_eq!(m.language.as_deref(), Some("en"));
}

/// Arbitrary bytes and tag soup never panic: every input ends in an article or an error.
#[test]
fn random_input_never_panics() {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    const PIECES: &[&str] = &[
        "<p>",
        "</p>",
        "<div class=ad>",
        "</div>",
        "<script>",
        "</script>",
        "<h1>",
        "</h1>",
        "<meta charset=",
        "shift_jis>",
        "<title>",
        "</title>",
        "<br><br>",
        "<li>",
        "<ul>",
        "<figure><img src=",
        "<figcaption>",
        "Photo: ",
        "• ",
        "02:42\n",
        "\n\n",
        "<!--",
        "-->",
        "<base href=javascript:x>",
        "<a href=",
        "\"",
        "'",
        ">",
        "<",
        "&amp;",
        "&#0;",
        "é",
        "廣告",
        "The council said on Monday that the plan would go ahead. ",
        "\u{feff}",
        "\0",
        "\r\n",
        "<html lang=",
        "zz-ZZ>",
        "<script type=\"application/ld+json\">{\"@type\":[1,{\"a\":",
        "<time datetime=\"2024-99-99\">",
        "<svg><p>",
        "</svg>",
        "<table><td>",
        "<math>",
    ];
    let x = extractor();
    let mut rng = StdRng::seed_from_u64(0x5eed);
    for _ in 0..300 {
        let mut body: Vec<u8> = Vec::new();
        for _ in 0..rng.random_range(0..60) {
            if rng.random_bool(0.15) {
                body.extend((0..rng.random_range(1..8)).map(|_| rng.random::<u8>()));
            } else {
                body.extend_from_slice(PIECES[rng.random_range(0..PIECES.len())].as_bytes());
            }
        }
        let url = rng
            .random_bool(0.5)
            .then_some("https://news.example/a/b.html");
        let _ = x.article(&page(&body, url));
    }
}

/// The example page through the whole extractor: the README's first command shows this.
#[test]
fn example_page_end_to_end() {
    let html = include_bytes!("../../examples/sample-article.html");
    let a = extractor()
        .article(&page(
            html,
            Some("https://www.coastalcourier.example/news/2025/03/x"),
        ))
        .unwrap();
    assert_eq!(
        a.title,
        "Saltmarsh votes to relight its Victorian lighthouse"
    );
    assert_eq!(a.bullets.len(), 3, "{:?}", a.bullets);
    assert!(a.bullets[0].starts_with("The town council voted 9–2"));
    let s = summarize(&a);
    assert!(
        s.lead
            .starts_with("Saltmarsh town council has voted to restore"),
        "{}",
        s.lead
    );
    assert!(s.text.starts_with("• The town council voted"));
    for cruft in [
        "Advertisement",
        "ADVERTISEMENT",
        "Reading Time",
        "Key points",
        "02:17",
        "Watch: inside",
        "loading",
        "Read more",
        "Lighthouse makes heritage grant shortlist",
        "Morning Briefing",
        "Sign up",
        "Recommended",
        "Comments",
        "seagull_sam",
        "cookies",
        "Copy link",
        "Photo: Daniel Okafor",
        "All rights reserved",
    ] {
        assert!(!a.text.contains(cruft), "{cruft:?} in text");
        assert!(!s.text.contains(cruft), "{cruft:?} in summary");
    }
    for gone in [
        "<script",
        "<iframe",
        "<form",
        "class=",
        "pixel.tracker",
        "ads.adnetwork",
    ] {
        assert!(!a.content_html.contains(gone), "{gone:?} in html");
    }
    // The figure keeps its caption in HTML, with an absolute image URL.
    assert!(a.content_html.contains(
        r#"<img src="https://www.coastalcourier.example/media/2025/03/point-hallow-light-800.jpg""#
    ));
    assert!(a.content_html.contains("<figcaption>"));
    assert!(a.text.contains("How the money adds up"));
    assert!(a.text.ends_with("open to visitors on summer weekends."));
    assert!(a.word_count() > 300);
}

/// Hostile markup inside the article body itself: whatever the body engine keeps, the published
/// HTML carries nothing executable.
#[test]
fn hostile_body_markup_is_neutralised_end_to_end() {
    // Distinct paragraphs (identical ones would be dropped as repeats).
    let f = [
        "The harbour board met on Tuesday to discuss the dredging contract, which has been delayed twice since the spring.",
        "Board members said the dispute over costs had been settled in principle but not yet in writing.",
        "The contractor said its crews and equipment could be on site within three weeks of a signature.",
        "Fishing crews have complained for months that the silted channel is unsafe at low tide.",
        "A decision on the revised contract is expected at the board's next meeting in October.",
    ];
    let html = format!(
        r#"<html><head><title>Dredging contract delayed again</title></head><body><article>
        <h1>Dredging contract delayed again</h1>
        <p>{f0} <img src="x" onerror="alert(1)"> <a href="javascript:alert(2)">details</a></p>
        <p>{f1} <a href="/docs/report.pdf" onclick="steal()" style="color:red" data-track="x">the report</a></p>
        <p>{f2} <svg onload="alert(3)"><script>alert(4)</script></svg></p>
        <figure><img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=" alt="map"><figcaption>Map of the channel. Credit: Harbour Board</figcaption></figure>
        <p>{f3} <iframe src="https://evil.example/"></iframe><math><mi xlink:href="javascript:alert(5)">x</mi></math></p>
        <p>{f4} <object data="x.swf"></object><form action="https://evil.example/"><input name="q"></form></p>
        </article></body></html>"#,
        f0 = f[0],
        f1 = f[1],
        f2 = f[2],
        f3 = f[3],
        f4 = f[4],
    );
    let a = extractor()
        .article(&page(
            html.as_bytes(),
            Some("https://harbour.example/news/dredging"),
        ))
        .unwrap();
    super::sanitize::tests::assert_structurally_safe("article body", &a.content_html);
    let lower = a.content_html.to_lowercase();
    for bad in [
        "javascript:",
        "onerror",
        "onclick",
        "<script",
        "<svg",
        "<iframe",
        "data:",
        "style=",
    ] {
        assert!(!lower.contains(bad), "{bad:?} in {}", a.content_html);
    }
    assert!(
        a.content_html
            .contains(r#"<a href="https://harbour.example/docs/report.pdf" rel="noopener noreferrer nofollow">the report</a>"#),
        "{}",
        a.content_html
    );
    assert_eq!(a.paragraphs.len(), 5);
}

/// Batch users share one extractor across threads (the pipeline keeps it in an `Arc`).
#[test]
fn extractor_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Extractor>();
    let x = std::sync::Arc::new(extractor());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let x = x.clone();
            std::thread::spawn(move || {
                let body = format!(
                    "Thread {i} story headline here\n\nThe story number {i} is told in one full sentence for the test.\n"
                );
                let base = format!("https://t{i}.example/");
                let a = x.article(&page(body.as_bytes(), Some(&base))).unwrap();
                (i, a.url)
            })
        })
        .collect();
    for h in handles {
        let (i, url) = h.join().unwrap();
        assert_eq!(url, Some(format!("https://t{i}.example/")));
    }
}

#[test]
fn headings_over_figures_are_an_article_but_a_lone_figure_is_not() {
    let x = extractor();
    let figure = block(
        BlockKind::Figure,
        "",
        r#"<figure><img src="/harbour.jpg"></figure>"#,
    );
    let gallery = vec![
        block(
            BlockKind::Heading,
            "The old harbour",
            "<h2>The old harbour</h2>",
        ),
        figure.clone(),
    ];
    let article = x.finish(Article::default(), &gallery).unwrap();
    assert_eq!(article.text, "The old harbour");
    assert!(article.paragraphs.is_empty());
    assert!(matches!(
        x.finish(Article::default(), &[figure]),
        Err(ExtractError::NoContent)
    ));
}

#[test]
fn a_dek_outside_the_body_opens_the_text_but_is_never_the_lead() {
    let dek = "Three new routes will run until 3 a.m. on weekends from June, in a trial the city will review in the autumn.";
    let lead = "The city council approved the night bus trial on Tuesday by a wide margin, after two years of requests from shift workers, students and the owners of late-night venues in the centre.";
    let more = "The routes will link the station with the hospital, the university and the harbour district, and each bus will run every twenty minutes between midnight and three in the morning.";
    let html = format!(
        r#"<html><head><title>Night buses return to the city</title></head><body>
        <header class="article-header"><h1>Night buses return to the city</h1><p class="standfirst">{dek}</p></header>
        <article><div class="article-body"><p>{lead}</p><p>{more}</p><p>{more} {lead}</p></div></article>
        </body></html>"#
    );
    let a = extractor().article(&page(html.as_bytes(), None)).unwrap();
    assert_eq!(a.dek.as_deref(), Some(dek));
    assert!(a.text.starts_with(dek), "{}", a.text);
    assert_eq!(a.text.matches(dek).count(), 1);
    assert!(
        a.content_html.starts_with("<p>Three new routes"),
        "{}",
        a.content_html
    );
    assert_eq!(summarize(&a).lead, lead);
}

/// A page whose header paragraph repeats its declared description, in a box of its own before
/// the story, and one whose description is the story's own first paragraph.
fn described_page(description: &str, header_p: Option<&str>, body: &[&str]) -> Article {
    let header_p = header_p.map_or(String::new(), |p| format!(r#"<p class="text-xl">{p}</p>"#));
    let body: String = body.iter().map(|p| format!("<p>{p}</p>")).collect();
    let html = format!(
        r#"<html><head><title>Tram line extended</title><meta property="og:description" content="{description}"></head><body>
        <div class="mx-auto"><h1 class="text-5xl">Tram line extended</h1>{header_p}</div>
        <div class="prose">{body}</div></body></html>"#
    );
    extractor().article(&page(html.as_bytes(), None)).unwrap()
}

const TRAM_LEAD: &str = "The regional transport authority will extend the harbour tram line by four stops, its board decided on Thursday, after a study found that the new district would add eight thousand daily riders.";
const TRAM_MORE: &str = "Construction is due to start next spring and the first trams should reach the new terminus two years later, if the national grant the authority applied for in January is approved.";

#[test]
fn a_header_paragraph_repeating_the_declared_description_is_the_dek() {
    let dek = "Four new stops will link the harbour district to the centre from 2029, at a cost of 140 million euros shared by the city, the region and the state.";
    let a = described_page(dek, Some(dek), &[TRAM_LEAD, TRAM_MORE, TRAM_MORE]);
    assert_eq!(a.dek.as_deref(), Some(dek));
    assert!(a.text.starts_with(dek), "{}", a.text);
    assert_eq!(summarize(&a).lead, TRAM_LEAD);
    // Cut short in the declaration ("…"), the same paragraph is still the dek.
    let cut = format!("{}…", &dek[..80]);
    let a = described_page(&cut, Some(dek), &[TRAM_LEAD, TRAM_MORE, TRAM_MORE]);
    assert_eq!(a.dek.as_deref(), Some(dek));
}

#[test]
fn a_description_repeating_the_first_story_paragraph_leaves_it_the_lead() {
    let a = described_page(TRAM_LEAD, None, &[TRAM_LEAD, TRAM_MORE, TRAM_MORE]);
    assert_eq!(a.dek, None);
    assert_eq!(summarize(&a).lead, TRAM_LEAD);
    // A short first paragraph, a sibling of the story's paragraphs, stays the story's too.
    let short = "The harbour tram will grow by four stops, the authority said.";
    let a = described_page(short, None, &[short, TRAM_LEAD, TRAM_MORE]);
    assert_eq!(a.dek, None);
    assert_eq!(summarize(&a).lead, short);
}
