//! Tests of metadata reading: JSON-LD, OpenGraph and `<meta>` conventions, DOM fallbacks, title
//! suffixes, dates and languages.

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

#[test]
fn modified_time_from_json_ld_then_meta() {
    let ld = r#"<html><head><script type="application/ld+json">{"@type":"NewsArticle",
      "headline":"Quay reopens","datePublished":"2026-03-01T08:00:00Z",
      "dateModified":"2026-03-02T10:15:00+01:00"}</script>
      <meta property="article:modified_time" content="2026-03-05T00:00:00Z"></head></html>"#;
    let m = meta(ld, None);
    assert_eq!(
        m.modified.unwrap().to_rfc3339(),
        "2026-03-02T10:15:00+01:00"
    );
    let og = r#"<html><head><meta property="article:published_time" content="2026-03-01T08:00:00Z">
      <meta property="og:updated_time" content="2026-03-03T09:00:00Z"></head></html>"#;
    assert_eq!(
        meta(og, None).modified.unwrap().to_rfc3339(),
        "2026-03-03T09:00:00+00:00"
    );
    assert_eq!(meta("<html><head></head></html>", None).modified, None);
}

#[test]
fn without_a_page_url_the_absolute_canonical_is_the_base() {
    let html = r#"<html><head><link rel="canonical" href="/relative/only">
      <meta property="og:url" content="https://news.example/2026/story.html"></head></html>"#;
    let m = meta(html, None);
    assert_eq!(
        m.base.as_ref().map(Url::as_str),
        Some("https://news.example/2026/story.html")
    );
    // The relative canonical then resolves against where the page lives.
    assert_eq!(m.url.as_deref(), Some("https://news.example/relative/only"));
    // A known page URL still wins, and a page without either has no base.
    let m = meta(html, Some("https://mirror.example/copy"));
    assert_eq!(
        m.base.as_ref().map(Url::as_str),
        Some("https://mirror.example/copy")
    );
    assert_eq!(meta("<html><head></head></html>", None).base, None);
}
