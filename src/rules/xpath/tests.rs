//! Table tests for the XPath → CSS translator: each case is named, and each translation is also
//! checked against a small document, so a wrong-but-valid selector fails too.

use super::{Translated, translate};

/// (name, xpath, css, attr)
const OK: &[(&str, &str, &str, Option<&str>)] = &[
    ("descendant tag", "//article", "article", None),
    (
        "exact class",
        "//div[@class='x']",
        r#"div[class="x"]"#,
        None,
    ),
    (
        "exact class double quotes",
        r#"//div[@class="x y"]"#,
        r#"div[class="x y"]"#,
        None,
    ),
    (
        "spaces around =",
        "//*[@class = 'content']",
        r#"[class="content"]"#,
        None,
    ),
    ("exact id", "//div[@id='main']", r#"div[id="main"]"#, None),
    (
        "contains class",
        "//div[contains(@class, 'entry-content')]",
        r#"div[class*="entry-content"]"#,
        None,
    ),
    (
        "class token idiom",
        "//div[contains(concat(' ',normalize-space(@class),' '),' featured ')]",
        "div.featured",
        None,
    ),
    (
        "id token idiom",
        "//div[contains(concat(' ',normalize-space(@id),' '),' page ')]",
        r#"div[id~="page"]"#,
        None,
    ),
    (
        "token idiom without normalize-space",
        "//p[contains(concat(' ', @class, ' '), ' lead ')]",
        "p.lead",
        None,
    ),
    (
        "token needing escape",
        "//div[contains(concat(' ',normalize-space(@class),' '),' 2col ')]",
        r"div.\32 col",
        None,
    ),
    (
        "descendant path",
        "//main[@id='main']//article",
        r#"main[id="main"] article"#,
        None,
    ),
    (
        "child path",
        "//div[@class='a']/div",
        r#"div[class="a"] > div"#,
        None,
    ),
    (
        "absolute path",
        "/html/body/div",
        "html:root > body > div",
        None,
    ),
    ("star", "//*[@id='story']", r#"[id="story"]"#, None),
    ("bare star", "//div/*", "div > *", None),
    (
        "union",
        "//div[@class='post-excerpt'] | //div[contains(@class, 'entry')]",
        r#"div[class="post-excerpt"], div[class*="entry"]"#,
        None,
    ),
    ("has child", "//div[h1]", "div:has(> h1)", None),
    ("has descendant", "//div[.//img]", "div:has(img)", None),
    ("has child path", "//li[a/img]", "li:has(> a > img)", None),
    (
        "has child attribute",
        "//div[a/@href]",
        "div:has(> a[href])",
        None,
    ),
    (
        "has attribute compare on child",
        "//div[a/@rel='author']",
        r#"div:has(> a[rel="author"])"#,
        None,
    ),
    (
        "and",
        "//div[@class='a' and @id='b']",
        r#"div[class="a"][id="b"]"#,
        None,
    ),
    (
        "or",
        "//div[@id='a' or @id='b']",
        r#"div:is([id="a"], [id="b"])"#,
        None,
    ),
    (
        "not",
        "//div[not(contains(@class,'ad'))]",
        r#"div:not([class*="ad"])"#,
        None,
    ),
    (
        "and not",
        "//div[contains(@class,'a') and not(@id)]",
        r#"div[class*="a"]:not([id])"#,
        None,
    ),
    (
        "starts-with",
        "//div[starts-with(@id,'post-')]",
        r#"div[id^="post-"]"#,
        None,
    ),
    (
        "attribute exists",
        "//img[@data-src]",
        "img[data-src]",
        None,
    ),
    (
        "not equal",
        "//div[@class!='ad']",
        r#"div[class]:not([class="ad"])"#,
        None,
    ),
    (
        "position first",
        "//main/article[1]",
        "main > article:nth-of-type(1)",
        None,
    ),
    ("position descendant", "//p[2]", "p:nth-of-type(2)", None),
    (
        "position star",
        "//div[@id='x']/*[1]",
        r#"div[id="x"] > :nth-child(1)"#,
        None,
    ),
    (
        "position then predicate",
        "//div[1][@class='a']",
        r#"div:nth-of-type(1)[class="a"]"#,
        None,
    ),
    ("last", "//ul/li[last()]", "ul > li:last-of-type", None),
    (
        "trailing attribute",
        "//meta[@name='author']/@content",
        r#"meta[name="author"]"#,
        Some("content"),
    ),
    (
        "trailing attribute time",
        "//time/@datetime",
        "time",
        Some("datetime"),
    ),
    ("trailing text", "//h1/text()", "h1", None),
    (
        "following sibling",
        "//h1/following-sibling::div",
        "h1 ~ div",
        None,
    ),
    (
        "has following sibling",
        "//h2[following-sibling::p]",
        "h2:has(~ p)",
        None,
    ),
    ("explicit child axis", "//div/child::p", "div > p", None),
    ("descendant axis", "//div/descendant::p", "div p", None),
    ("dot slash", "//div[./p]", "div:has(> p)", None),
    ("uppercase tag", "//DIV[@id='a']", r#"div[id="a"]"#, None),
    (
        "quote in value",
        r#"//div[@title="it's"]"#,
        r#"div[title="it's"]"#,
        None,
    ),
    (
        "empty contains",
        "//div[contains(@class,'')]",
        "div[class]",
        None,
    ),
    (
        "contains normalize-space",
        "//div[contains(normalize-space(@class),'x')]",
        r#"div[class*="x"]"#,
        None,
    ),
    (
        "relative from document",
        "html/body",
        "html:root > body",
        None,
    ),
    (
        "union same attribute",
        "//meta[@a='1']/@content | //meta[@b='2']/@content",
        r#"meta[a="1"], meta[b="2"]"#,
        Some("content"),
    ),
    (
        "itemprop",
        "//*[@itemprop='articleBody']",
        r#"[itemprop="articleBody"]"#,
        None,
    ),
    ("true in or", "//div[true() or @a]", "div", None),
    ("self star", "//footer/self::*", "footer", None),
    (
        "self same name",
        "//div[@id='a']/self::div",
        r#"div[id="a"]"#,
        None,
    ),
    (
        "self other name on star",
        "//*[@id='a']/self::div",
        r#"[id="a"]:is(div)"#,
        None,
    ),
    (
        "parent dots",
        "//p/span[@class='quote']/..",
        r#"p:has(> span[class="quote"])"#,
        None,
    ),
    (
        "parent of first step",
        "//time/parent::div",
        "div:has(> time)",
        None,
    ),
    ("parent named on star", "//time/..", ":has(> time)", None),
    (
        "parent then sibling",
        "//h1/strong/parent::h1/following-sibling::p",
        "h1:has(> strong) ~ p",
        None,
    ),
    (
        "ancestor",
        "//address/ancestor::div",
        "div:has(address)",
        None,
    ),
    (
        "token prefix",
        "//div[contains(concat(' ',normalize-space(@class),' '),' col-')]",
        r#"div:is([class^="col-"], [class*=" col-"])"#,
        None,
    ),
    (
        "token suffix",
        "//div[contains(concat(' ',normalize-space(@class),' '),'-ad ')]",
        r#"div:is([class$="-ad"], [class*="-ad "])"#,
        None,
    ),
];

/// (name, xpath, reason contains)
const BAD: &[(&str, &str, &str)] = &[
    (
        "top-level function",
        "substring-after(//p, 'By')",
        "function substring-after()",
    ),
    (
        "normalize-space top",
        "normalize-space(//h1)",
        "function normalize-space()",
    ),
    ("text predicate", "//p[contains(text(), 'x')]", "text"),
    ("dot predicate", "//p[contains(., 'x')]", "text"),
    ("text equals", "//h2[text()='x']", "text"),
    (
        "position after predicate",
        "//div[@class='a'][1]",
        "position",
    ),
    (
        "position on sibling axis",
        "//h1/following-sibling::p[1]",
        "position",
    ),
    ("parent after //", "//div//span/..", "parent axis after //"),
    ("nearest ancestor", "//span/ancestor::div[1]", "position"),
    (
        "ancestor after path",
        "//div/span/ancestor::section",
        "ancestor axis after",
    ),
    (
        "parent never matches",
        "//div/p/parent::span",
        "never match",
    ),
    ("parent in predicate", "//div[p/..]", "inside a predicate"),
    ("preceding sibling", "//div/preceding-sibling::p", "axis"),
    ("filter", "(//div)[1]", "filter"),
    ("following axis", "//h2/following::p", "axis"),
    ("nested has", "//div[p[a]]", ":has cannot nest"),
    ("namespace", "//fb:comments", "namespaced"),
    ("literal", "\"Jane Doe\"", "constant"),
    ("syntax", "//div[@class='x'", "not XPath"),
    ("arithmetic", "//div[position() - 1]", "not XPath"),
    (
        "multi word token",
        "//div[contains(concat(' ',normalize-space(@class),' '),' a b ')]",
        "several words",
    ),
    ("mixed union attrs", "//meta/@content | //h1", "union mixes"),
    ("descendant text", "//div//text()", "text()"),
    ("zero position", "//p[0]", "positive integer"),
    ("empty", "   ", "empty"),
    ("absolute in predicate", "//div[//p]", "absolute path"),
];

#[test]
fn translates() {
    for (name, xpath, css, attr) in OK {
        let got = translate(xpath).unwrap_or_else(|e| panic!("{name}: {xpath}: {e}"));
        let want = Translated {
            css: css.to_string(),
            attr: attr.map(str::to_string),
        };
        assert_eq!(got, want, "case {name}: {xpath}");
    }
}

#[test]
fn refuses() {
    for (name, xpath, reason) in BAD {
        match translate(xpath) {
            Ok(t) => panic!("case {name}: {xpath} translated to {t:?}"),
            Err(e) => assert!(
                e.reason.contains(reason),
                "case {name}: {xpath}: reason {:?}",
                e.reason
            ),
        }
    }
}

const DOC: &str = r#"<html><body>
<div class="story featured" id="s1"><h1>Title</h1><p class="lead">Lead</p><p>Two</p></div>
<div class="story-ad" id="s2"><p>Ad</p></div>
<div class="featuredx" id="s3"><span>Near miss</span></div>
<ul><li>a</li><li>b</li></ul>
</body></html>"#;

/// (xpath, ids or texts of the matched elements, in document order)
const MATCHES: &[(&str, &[&str])] = &[
    (
        "//div[contains(concat(' ',normalize-space(@class),' '),' featured ')]",
        &["s1"],
    ),
    ("//div[contains(@class,'featured')]", &["s1", "s3"]),
    ("//div[@class='story-ad']", &["s2"]),
    ("//div[h1]", &["s1"]),
    ("//div[not(h1)]", &["s2", "s3"]),
    ("//div/p[1]", &["Lead", "Ad"]),
    ("//div[1]", &["s1"]),
    ("//ul/li[last()]", &["b"]),
    ("//div[@id='s1' or @id='s3']", &["s1", "s3"]),
    ("//h1/following-sibling::p", &["Lead", "Two"]),
    ("//h1/..", &["s1"]),
    ("//span/ancestor::div", &["s3"]),
    (
        "//div[contains(concat(' ',normalize-space(@class),' '),' story')]",
        &["s1", "s2"],
    ),
];

#[test]
fn translations_select_what_the_xpath_selects() {
    let doc = scraper::Html::parse_document(DOC);
    for (xpath, want) in MATCHES {
        let t = translate(xpath).unwrap_or_else(|e| panic!("{xpath}: {e}"));
        let sel = scraper::Selector::parse(&t.css).expect("validated");
        let got: Vec<String> = doc
            .select(&sel)
            .map(|e| match e.value().id() {
                Some(id) => id.to_string(),
                None => e.text().collect(),
            })
            .collect();
        assert_eq!(got, *want, "{xpath} as {}", t.css);
    }
}
