//! Table tests for the ftr-site-config line parser and directive handling.

use std::path::Path;

use super::{Line, parse, split_line};
use crate::rules::{Replace, RuleSelector, TestUrl};

#[test]
fn splits_lines() {
    // (name, line, directive, arg, value)
    let cases: &[(&str, &str, &str, Option<&str>, &str)] = &[
        ("plain", "body: //article", "body", None, "//article"),
        ("no space", "title://h1", "title", None, "//h1"),
        (
            "value with colons",
            "test_url: https://a.example/x",
            "test_url",
            None,
            "https://a.example/x",
        ),
        ("padded", "  prune :  no  ", "prune", None, "no"),
        (
            "header arg",
            "http_header(User-Agent): Mozilla/5.0",
            "http_header",
            Some("User-Agent"),
            "Mozilla/5.0",
        ),
        (
            "replace arg",
            "replace_string(<br /><br />): </p><p>",
            "replace_string",
            Some("<br /><br />"),
            "</p><p>",
        ),
        (
            "arg with colon",
            "replace_string(http://a): https://a",
            "replace_string",
            Some("http://a"),
            "https://a",
        ),
        (
            "arg with paren",
            "replace_string(f(x)): y",
            "replace_string",
            Some("f(x)"),
            "y",
        ),
        ("empty value", "replace_string:", "replace_string", None, ""),
    ];
    for (name, raw, directive, arg, value) in cases {
        let got = split_line(7, raw)
            .expect("meaningful")
            .expect("well formed");
        let want = Line {
            number: 7,
            directive,
            arg: *arg,
            value,
        };
        assert_eq!(got, want, "case {name}");
    }
    for raw in ["", "   ", "# body: //x", "  #comment"] {
        assert!(split_line(1, raw).is_none(), "{raw:?} is not meaningful");
    }
    for raw in ["https//x", "no colon here", "(x): y", "replace_string(x: y"] {
        assert!(split_line(1, raw).unwrap().is_err(), "{raw:?} is malformed");
    }
}

const SAMPLE: &str = "\
# A sample site
title: //h1[@class='headline']
author: //meta[@name='author']/@content
date: substring-before(//time, 'T')
body: //div[contains(concat(' ',normalize-space(@class),' '),' story ')]
body: //article
strip: //div[@class='share']
strip: //p[contains(text(), 'Read more')]
strip_id_or_class: newsletter
strip_id_or_class: 'promo'
strip_image_src: /pixel.gif
prune: no
tidy: no
autodetect_on_failure: yes
find_string: <br><br>
find_string: data-src=
replace_string: </p><p>
replace_string: src=
replace_string(<noscript>): <div>
replace_string: orphan
native_ad_clue: //meta[@name='sponsored']
http_header(User-Agent): Mozilla/5.0 (Test)
http_header(accept): text/html
single_page_link: //a[@class='print']/@href
next_page_link: //a[@rel='next']
requires_login: yes
test_url: https://example.com/a
test_contains: The first phrase
test_contains: The second phrase
test_url: https://example.com/b
bodyy: //typo
https://stray.example/line
login_uri: https://example.com/login
";

#[test]
fn parses_a_whole_file() {
    let f = parse(SAMPLE, Path::new("sample.com.txt"));
    let r = &f.rules;
    assert_eq!(r.title, vec![RuleSelector::css(r#"h1[class="headline"]"#)]);
    assert_eq!(
        r.author,
        vec![RuleSelector {
            css: r#"meta[name="author"]"#.into(),
            attr: Some("content".into())
        }]
    );
    assert!(r.date.is_empty());
    assert_eq!(
        r.body,
        vec![RuleSelector::css("div.story"), RuleSelector::css("article")]
    );
    assert_eq!(
        r.strip,
        vec![
            r#"div[class="share"]"#.to_string(),
            r#"[class*="newsletter"], [id*="newsletter"]"#.to_string(),
            r#"[class*="promo"], [id*="promo"]"#.to_string(),
        ]
    );
    assert_eq!(r.strip_image_src, vec!["/pixel.gif".to_string()]);
    assert_eq!(r.prune, Some(false));
    let pair = |f: &str, w: &str| Replace {
        find: f.into(),
        with: w.into(),
    };
    assert_eq!(
        r.replace,
        vec![
            pair("<br><br>", "</p><p>"),
            pair("data-src=", "src="),
            pair("<noscript>", "<div>")
        ]
    );
    assert_eq!(
        r.native_ad_clues,
        vec![r#"meta[name="sponsored"]"#.to_string()]
    );
    assert_eq!(
        r.headers.get("user-agent").map(String::as_str),
        Some("Mozilla/5.0 (Test)")
    );
    assert_eq!(r.headers.len(), 1);
    assert_eq!(r.single_page_link[0].attr.as_deref(), Some("href"));
    assert_eq!(
        r.next_page_link,
        vec![RuleSelector::css(r#"a[rel="next"]"#)]
    );
    assert!(r.requires_login);
    assert_eq!(
        r.tests,
        vec![
            TestUrl {
                url: "https://example.com/a".into(),
                contains: vec!["The first phrase".into(), "The second phrase".into()],
            },
            TestUrl {
                url: "https://example.com/b".into(),
                contains: vec![],
            },
        ]
    );
    assert_eq!(r.other.len(), 3);
    assert_eq!(r.other[0], ("tidy".to_string(), "no".to_string()));
}

#[test]
fn counts_what_it_honoured_skipped_and_did_not_know() {
    let f = parse(SAMPLE, Path::new("sample.com.txt"));
    let t = &f.tally;
    let count = |d: &str| {
        let c = t.directives.get(d).copied().unwrap_or_default();
        (c.honoured, c.skipped)
    };
    assert_eq!(count("body"), (2, 0));
    assert_eq!(count("date"), (0, 1));
    assert_eq!(count("strip"), (1, 1));
    assert_eq!(count("strip_id_or_class"), (2, 0));
    assert_eq!(count("replace_string"), (3, 1));
    assert_eq!(count("find_string"), (2, 0));
    assert_eq!(count("http_header"), (1, 1));
    assert_eq!(count("test_contains"), (2, 0));
    assert_eq!(t.unknown.get("bodyy"), Some(&1));
    assert_eq!(t.unknown.get("https"), Some(&1));
    assert_eq!(t.recorded.get("tidy"), Some(&1));
    assert_eq!(t.recorded.get("login_uri"), Some(&1));
    let date = t.skipped.iter().find(|s| s.directive == "date").unwrap();
    assert_eq!(date.line, 4);
    assert!(date.reason.contains("substring-before"), "{}", date.reason);
    assert_eq!(date.file, Path::new("sample.com.txt"));
}

#[test]
fn odd_inputs_never_fail() {
    // (name, text, honoured body expressions)
    let cases: &[(&str, &str, usize)] = &[
        ("empty file", "", 0),
        ("only comments", "# nothing\n#body: //x\n", 0),
        ("crlf line ends", "body: //article\r\nprune: no\r\n", 1),
        ("empty body value", "body:\nbody: //main\n", 1),
        (
            "bad expression then good",
            "body: //div[\nbody: //main\n",
            1,
        ),
        ("bad yes/no", "prune: maybe\nbody: //main\n", 1),
        ("lonely find", "find_string: x\nbody: //main\n", 1),
        ("non-ascii", "body: //div[@class='artículo']\n", 1),
        ("argument on body", "body(x): //main\n", 0),
    ];
    for (name, text, bodies) in cases {
        let f = parse(text, Path::new("x.txt"));
        assert_eq!(f.rules.body.len(), *bodies, "case {name}");
    }
    let f = parse("prune: maybe\nfind_string: x\n", Path::new("x.txt"));
    let reasons: Vec<&str> = f.tally.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(
        reasons,
        ["expects yes or no", "find_string without a replace_string"]
    );
}

#[test]
fn empty_replacement_deletes() {
    let f = parse("find_string: <hr>\nreplace_string:\n", Path::new("x.txt"));
    assert_eq!(
        f.rules.replace,
        vec![Replace {
            find: "<hr>".into(),
            with: String::new()
        }]
    );
}
