use super::*;
use scraper::{Html, Node};

/// The parsed tree as text, less what the cut may take: the text of script and style elements,
/// the text of comments, and everything inside an `<svg>`.
fn shape(html: &str) -> String {
    let is_svg = |n: &Node| n.as_element().is_some_and(|e| e.name() == "svg");
    let doc = Html::parse_document(html);
    let mut out = String::new();
    for n in doc.tree.root().descendants() {
        if n.ancestors().any(|a| is_svg(a.value())) {
            continue;
        }
        let in_code = n
            .parent()
            .and_then(|p| p.value().as_element().map(|e| is_code(e.name())))
            .unwrap_or(false);
        match n.value() {
            Node::Element(e) => {
                let mut attrs: Vec<_> = e.attrs().collect();
                attrs.sort();
                // A code element's text child may be gone, and an image's children: count only
                // the other children.
                let kids = n
                    .children()
                    .filter(|c| !(is_code(e.name()) && (c.value().is_text() || is_svg(n.value()))))
                    .count();
                out.push_str(&format!("<{} {attrs:?} {kids}>", e.name()));
            }
            Node::Text(t) if !in_code => out.push_str(&format!("[{}]", &**t)),
            Node::Comment(_) => out.push_str("<!>"),
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
        // A quote opens a value only after `=`; an `=` that starts a name opens none.
        "<a =\"x>\"<style>s</style>\">t</a><style>u</style>",
        "<a x==\"v>\"<style>s</style>\">t</a>",
        "<a x=y\"z w=\"q>r\"><style>s</style>",
        "<a x = 'y>' / ><style>s</style>",
        "<a x=\"1\"y='2'/z><style>s</style>",
        "<a x=><style>s</style>",
        "<a/b/><style>s</style>",
        "<a\tx\x0c=\ny\r><style>s</style>",
        "<a=b x><style>s</style>",
    ];
    for page in cases {
        same_tree(page);
    }
}

#[test]
fn stops_where_the_tree_builder_decides() {
    for page in [
        "<svg><foreignObject><style>a</style></foreignObject></svg><style>x</style>",
        "<math><mi><script>x</script></mi></math>",
        "<svg><![CDATA[</svg><script>]]></svg><script>x</script>",
        "<svg><p><script>x</script>",
        "<svg><title>a <b>bold</b> name</title></svg><script>x</script>",
        "<svg><g></div><script>x</script>",
        "<frameset><script>x</script>",
        "<plaintext><script>x</script>",
    ] {
        let cut = same_tree(page);
        assert!(cut.contains(">x<"), "{cut}");
    }
}

#[test]
fn select_contents_are_read_as_the_body_is() {
    // The parser reads a select's contents as it reads the body: a style in it is style.
    let page =
        "<style>a</style><select><style><option>x</option></style></select><script>b</script>";
    let cut = same_tree(page);
    assert!(!cut.contains(">a<") && !cut.contains("option") && !cut.contains(">b<"));
}

#[test]
fn cuts_comments_and_whole_svg_images() {
    let page = "<p>a<!-- note <p>b --></p><!----><!--><!--->x<!-- c --!>\
                <svg viewBox=\"0 0 9 9\"><title>Share</title><desc>An arrow</desc>\
                <style>.a{fill:red}</style><!-- icon --><g><path d=\"M0 0L9 9\"/><svg><circle r=1></svg></g></svg>\
                <script>cut()</script>";
    let cut = same_tree(page);
    for gone in [
        "note", " c ", "icon", "Share", "arrow", "fill", "M0", "circle", "cut()",
    ] {
        assert!(!cut.contains(gone), "{gone} in {cut}");
    }
    assert!(cut.contains("<svg viewBox=\"0 0 9 9\"></svg>"), "{cut}");
    assert!(cut.contains("<!---->") && cut.contains("<!----!>"), "{cut}");
    // In MathML, and in an image the scan cannot follow to its end, nothing is cut.
    let math = "<math><mrow><mi>x</mi></mrow></math><script>y()</script>";
    assert!(same_tree(math).contains("<mi>x</mi>"));
    let open = "<svg><g><path d=\"M1\"></g>";
    assert!(same_tree(open).contains("M1"));
    assert!(!same_tree("<svg/><p>a</p><script>cut()</script>").contains("cut()"));
}

#[test]
fn a_frameset_ahead_undoes_the_image_cuts() {
    // The frameset is honoured only if no text came before it: the image's title is text.
    let page = "<svg><title>t</title></svg><frameset><frame src=a></frameset>";
    assert!(same_tree(page).contains(">t<"));
    let later = "<svg><title>t</title></svg><plaintext>x</plaintext><FRAMESET>";
    assert!(same_tree(later).contains(">t<"));
    assert!(!same_tree("<svg><title>t</title></svg><p>text</p>").contains(">t<"));
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
