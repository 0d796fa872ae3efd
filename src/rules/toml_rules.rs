//! clearfeed's own rule file format: `example.com.toml`, with CSS selectors written directly.
//! Owns the format and its validation. Unlike ftr files these are ours, so they are strict: an
//! unknown key, a selector `scraper` rejects or a bad regular expression fails the whole file.
//!
//! ```toml
//! body = ["div.story", "article"]          # a selector or a list; the first that matches wins
//! title = "h1.headline"
//! author = { css = "meta[name=author]", attr = "content" }   # read an attribute, not text
//! date = [{ css = "time", attr = "datetime" }, "span.date"]
//! remove = [".share", "aside"]
//! strip_image_src = ["/pixel.gif"]
//! replace = [{ find = "<br><br>", with = "</p><p>" }]
//! native_ad_clue = "meta[name=sponsored]"
//! headers = { user-agent = "Mozilla/5.0", referer = "https://example.com/" }
//! next_page = { css = "a[rel=next]", attr = "href" }
//! single_page = "a.print"
//! test = [{ url = "https://example.com/a", contains = ["A phrase"] }]
//! requires_login = false
//! bullets = ["ul.key-points"]
//! drop_text = ["Sign up for our newsletter.*"]
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{HostRules, Origin, Replace, RuleSelector, TestUrl};

/// Why a clearfeed rule file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TomlRulesError {
    #[error("not a valid rule file: {0}")]
    Syntax(String),
    #[error("{key}: selector {selector:?} is not valid CSS: {reason}")]
    BadSelector {
        key: String,
        selector: String,
        reason: String,
    },
    #[error("{key}: not a valid regular expression: {reason}")]
    BadRegex { key: String, reason: String },
    #[error("headers: {name:?} is not a valid header name")]
    BadHeader { name: String },
}

/// A value or a list of values. `Many` is tried first: a two-element list must not be read as
/// a `{ css, attr }` table given positionally.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    Many(Vec<T>),
    One(T),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SelectorSpec {
    Css(String),
    WithAttr(SelectorTable),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectorTable {
    css: String,
    attr: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplaceSpec {
    find: String,
    with: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestSpec {
    url: String,
    #[serde(default)]
    contains: OneOrMany<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RuleFile {
    body: OneOrMany<SelectorSpec>,
    title: OneOrMany<SelectorSpec>,
    author: OneOrMany<SelectorSpec>,
    date: OneOrMany<SelectorSpec>,
    remove: OneOrMany<String>,
    strip_image_src: OneOrMany<String>,
    replace: Vec<ReplaceSpec>,
    native_ad_clue: OneOrMany<String>,
    headers: BTreeMap<String, String>,
    next_page: OneOrMany<SelectorSpec>,
    single_page: OneOrMany<SelectorSpec>,
    test: Vec<TestSpec>,
    requires_login: bool,
    bullets: OneOrMany<String>,
    drop_text: OneOrMany<String>,
}

fn check_css(key: &str, css: &str) -> Result<(), TomlRulesError> {
    scraper::Selector::parse(css)
        .map(|_| ())
        .map_err(|e| TomlRulesError::BadSelector {
            key: key.to_string(),
            selector: css.to_string(),
            reason: e.to_string(),
        })
}

fn selectors(
    key: &str,
    specs: OneOrMany<SelectorSpec>,
) -> Result<Vec<RuleSelector>, TomlRulesError> {
    let mut out = Vec::new();
    for spec in specs.into_vec() {
        let sel = match spec {
            SelectorSpec::Css(css) => RuleSelector { css, attr: None },
            SelectorSpec::WithAttr(t) => RuleSelector {
                css: t.css,
                attr: t.attr,
            },
        };
        check_css(key, &sel.css)?;
        out.push(sel);
    }
    Ok(out)
}

fn css_list(key: &str, list: OneOrMany<String>) -> Result<Vec<String>, TomlRulesError> {
    let list = list.into_vec();
    for css in &list {
        check_css(key, css)?;
    }
    Ok(list)
}

fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Parses and validates a clearfeed rule file. `host` and `subdomains` are left for the
/// caller, who knows the file name.
pub fn parse(text: &str, file: &Path) -> Result<HostRules, TomlRulesError> {
    let f: RuleFile = toml::from_str(text).map_err(|e| TomlRulesError::Syntax(e.to_string()))?;
    let mut r = HostRules::new("", false, Origin::Clearfeed, file.to_path_buf());
    r.body = selectors("body", f.body)?;
    r.title = selectors("title", f.title)?;
    r.author = selectors("author", f.author)?;
    r.date = selectors("date", f.date)?;
    r.strip = css_list("remove", f.remove)?;
    r.strip_image_src = f.strip_image_src.into_vec();
    r.replace = f
        .replace
        .into_iter()
        .map(|s| Replace {
            find: s.find,
            with: s.with,
        })
        .collect();
    r.native_ad_clues = css_list("native_ad_clue", f.native_ad_clue)?;
    for (name, value) in f.headers {
        if !is_header_name(&name) {
            return Err(TomlRulesError::BadHeader { name });
        }
        r.headers.insert(name.to_ascii_lowercase(), value);
    }
    r.next_page_link = selectors("next_page", f.next_page)?;
    r.single_page_link = selectors("single_page", f.single_page)?;
    r.tests = f
        .test
        .into_iter()
        .map(|t| TestUrl {
            url: t.url,
            contains: t.contains.into_vec(),
        })
        .collect();
    r.requires_login = f.requires_login;
    r.bullets = css_list("bullets", f.bullets)?;
    r.drop_text = f.drop_text.into_vec();
    for (i, p) in r.drop_text.iter().enumerate() {
        // Compiled the way the extractor compiles them: whole-paragraph, case-insensitive.
        if let Err(e) = regex::Regex::new(&format!("(?i)^(?:{p})$")) {
            return Err(TomlRulesError::BadRegex {
                key: format!("drop_text[{i}]"),
                reason: e.to_string(),
            });
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
body = ["div.story", "article"]
title = "h1.headline"
author = { css = "meta[name=author]", attr = "content" }
date = [{ css = "time", attr = "datetime" }, "span.date"]
remove = [".share", "aside"]
strip_image_src = "/pixel.gif"
replace = [{ find = "<br><br>", with = "</p><p>" }]
native_ad_clue = "meta[name=sponsored]"
headers = { User-Agent = "Mozilla/5.0", referer = "https://example.com/" }
next_page = { css = "a[rel=next]", attr = "href" }
single_page = "a.print"
test = [{ url = "https://example.com/a", contains = "A phrase" }, { url = "https://example.com/b" }]
requires_login = true
bullets = ["ul.key-points"]
drop_text = ["Sign up for our newsletter.*"]
"#;

    #[test]
    fn reads_every_key() {
        let r = parse(FULL, Path::new("example.com.toml")).unwrap();
        assert_eq!(r.origin, Origin::Clearfeed);
        assert_eq!(
            r.body,
            vec![RuleSelector::css("div.story"), RuleSelector::css("article")]
        );
        assert_eq!(r.title, vec![RuleSelector::css("h1.headline")]);
        assert_eq!(r.author[0].attr.as_deref(), Some("content"));
        assert_eq!(r.date.len(), 2);
        assert_eq!(r.date[1], RuleSelector::css("span.date"));
        assert_eq!(r.strip, vec![".share".to_string(), "aside".to_string()]);
        assert_eq!(r.strip_image_src, vec!["/pixel.gif".to_string()]);
        assert_eq!(r.replace[0].with, "</p><p>");
        assert_eq!(r.native_ad_clues.len(), 1);
        assert_eq!(
            r.headers.get("user-agent").map(String::as_str),
            Some("Mozilla/5.0")
        );
        assert_eq!(r.headers.len(), 2);
        assert_eq!(r.next_page_link[0].attr.as_deref(), Some("href"));
        assert_eq!(r.single_page_link, vec![RuleSelector::css("a.print")]);
        assert_eq!(r.tests[0].contains, vec!["A phrase".to_string()]);
        assert!(r.tests[1].contains.is_empty());
        assert!(r.requires_login);
        assert_eq!(r.bullets.len(), 1);
        assert_eq!(r.drop_text.len(), 1);
    }

    #[test]
    fn an_empty_file_is_empty_rules() {
        let r = parse("", Path::new("x.toml")).unwrap();
        assert!(r.is_empty());
    }

    #[test]
    fn refuses_bad_files() {
        // (name, text, error text contains)
        let cases: &[(&str, &str, &str)] = &[
            ("unknown key", "bodyy = \"x\"", "unknown field"),
            ("syntax", "body = [", "not a valid rule file"),
            ("bad selector", "body = \"div[\"", "body: selector"),
            (
                "bad selector in remove",
                "remove = [\"ok\", \"::bad(\"]",
                "remove: selector",
            ),
            ("xpath is not css", "title = \"//h1\"", "title: selector"),
            ("bad regex", "drop_text = [\"(\"]", "drop_text[0]"),
            ("bad header", "headers = { \"a b\" = \"x\" }", "header name"),
            (
                "unknown selector key",
                "body = { css = \"x\", atr = \"y\" }",
                "not a valid rule file",
            ),
            (
                "wrong type",
                "requires_login = \"yes\"",
                "not a valid rule file",
            ),
        ];
        for (name, text, want) in cases {
            let e = parse(text, Path::new("x.toml")).unwrap_err().to_string();
            assert!(e.contains(want), "case {name}: {e}");
        }
    }
}
