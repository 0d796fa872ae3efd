use super::*;
use scraper::{Html, Node};

/// The parsed tree as text, the contents of script and style elements left out.
fn shape(html: &str) -> String {
    let doc = Html::parse_document(html);
    let mut out = String::new();
    for n in doc.tree.root().descendants() {
        let in_code = n
            .parent()
            .and_then(|p| p.value().as_element().map(|e| is_code(e.name())))
            .unwrap_or(false);
        match n.value() {
            Node::Element(e) => {
                let mut attrs: Vec<_> = e.attrs().collect();
                attrs.sort();
                // A code element's text child may be gone: count only its other children.
                let kids = n
                    .children()
                    .filter(|c| !(is_code(e.name()) && c.value().is_text()))
                    .count();
                out.push_str(&format!("<{} {attrs:?} {kids}>", e.name()));
            }
            Node::Text(t) if !in_code => out.push_str(&format!("[{}]", &**t)),
            Node::Comment(c) => out.push_str(&format!("<!{}>", &**c)),
            _ => {}
        }
    }
    out
}

/// Cutting leaves the tree as it was, but for the code's text; returns the cut page.
fn same_tree(html: &str) -> String {
    let cut = strip_code(html).into_owned();
    let text_children = |h: &str| {
        Html::parse_document(h)
            .tree
            .root()
            .descendants()
            .filter(|n| n.value().is_text())
            .count()
    };
    let (before, after) = (shape(html), shape(&cut));
    assert_eq!(before, after, "{html:?} became {cut:?}");
    assert!(text_children(&cut) <= text_children(html));
    cut
}

#[test]
fn cuts_code_and_style_and_keeps_the_tree() {
    let page = "<html><head><style>p{color:red}</style><script>var a = '<p>';</script></head>\
                <body><p>Text</p><script src=x.js></script><SCRIPT type=text/javascript>if (a<b) {}</SCRIPT ></body></html>";
    let cut = same_tree(page);
    assert!(!cut.contains("color") && !cut.contains("var a") && !cut.contains("a<b"));
    assert!(cut.contains("<p>Text</p>"));
}

#[test]
fn keeps_json_data_and_character_references() {
    let page = r#"<script type="application/ld+json">{"headline":"A"}</script><script type=text/x&#106;s>b()</script><p>x</p>"#;
    let cut = same_tree(page);
    assert!(cut.contains(r#"{"headline":"A"}"#) && cut.contains("b()"));
    let json = r#"<script id="__DATA__" type="application/JSON">{"a":1}</script>"#;
    assert!(same_tree(json).contains(r#"{"a":1}"#));
}

#[test]
fn follows_the_script_data_states() {
    let cases = [
        // Escaped and double-escaped: `</script>` inside `<!-- <script>` does not end it.
        "<script><!-- <script> x </script> y --></script><p>after</p>",
        "<script><!-- a --> </script><p>after</p>",
        "<script><!--<script></script>--></script><p>z</p>",
        "<script><!-- <SCRIPT/></SCRIPT>--></script><p>z</p>",
        "<script>a <!- b</script><p>c</p>",
        "<script>a</scriptx></script><p>c</p>",
        "<script>x</script foo=\">\" bar>y</script><p>c</p>",
        "<script/>code()</script><p>c</p>",
        "<script>never closed <p>",
        "<script><!--<script>-->never closed</script><p>",
    ];
    for page in cases {
        same_tree(page);
    }
    assert!(
        !same_tree("<script><!-- <script> x </script> y --></script><p>after</p>").contains(" y ")
    );
}

#[test]
fn text_elements_comments_and_attributes_hide_tags() {
    let cases = [
        "<title><script>not a tag</title><style>s</style>",
        "<textarea><style></textarea><p>t</p><style>u</style>",
        "<noscript><script>a</script></noscript><style>b</style>",
        "<iframe><script>a</iframe><style>b</style>",
        "<!-- <script> --><style>c</style><p>d</p>",
        "<!--><script>x</script><!---><style>y</style>",
        "<!-- a --!><style>y</style>",
        "<p title='<script>'>t</p><style>z</style>",
        "<p title=a\"<script>>t</p><style>z</style>",
        "<? <script> ><style>z</style>",
        "<!DOCTYPE html \"<script>\"><style>z</style>",
        "</p <script> x><style>z</style>",
        "<p/ <script>x</p>",
    ];
    for page in cases {
        same_tree(page);
    }
}

#[test]
fn stops_where_the_tree_builder_decides() {
    // `<select>` ignores a `<style>` start tag: what follows it is markup.
    let select =
        "<style>a</style><select><style><option>x</option></style></select><script>b</script>";
    let cut = same_tree(select);
    assert!(!cut.contains(">a<") && cut.contains(">b<"));
    for page in [
        "<svg><style>circle{}</style><circle/></svg><style>x</style>",
        "<svg><foreignObject><style>a</style></foreignObject></svg><style>x</style>",
        "<svg><g><path/></g></svg><script>cut()</script>",
        "<math><mi><script>a</script></mi></math>",
        "<svg><![CDATA[</svg><script>]]></svg><script>y</script>",
        "<svg><p><script>x</script>",
        "<svg/><script>cut()</script>",
        "<frameset><script>x</script>",
        "<plaintext><script>x</script>",
    ] {
        same_tree(page);
    }
    assert!(!same_tree("<svg><g><path/></g></svg><script>cut()</script>").contains("cut()"));
    assert!(!same_tree("<svg/><script>cut()</script>").contains("cut()"));
}

#[test]
fn element_text_leaves_out_code() {
    let doc = Html::parse_document(
        "<h1>Head<script>track()</script><span>line</span><style>h1{}</style></h1>",
    );
    let h1 = doc
        .select(&scraper::Selector::parse("h1").unwrap())
        .next()
        .unwrap();
    assert_eq!(text_of(&h1), "Headline");
    let extractor = crate::extract::Extractor::new(&crate::extract::SiteRules::default()).unwrap();
    let page = crate::model::Page::from_bytes(
        b"<html><body><h1>The harbour<script>var t = 1;</script> reopens</h1><article><p>The old harbour reopened on Monday after two years of repairs to its walls, and the first boats came in before noon.</p></article></body></html>".to_vec(),
        None,
    );
    assert_eq!(
        extractor.article(&page).unwrap().title,
        "The harbour reopens"
    );
}
