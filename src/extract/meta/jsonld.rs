//! JSON-LD: lenient parsing of `application/ld+json` scripts (comments, CDATA, raw newlines),
//! collecting objects from arrays, `@graph` and `mainEntity`, and reading the first article-typed
//! object's headline, authors, date, image, language and URL plus the site's name. Owns JSON-LD
//! only; other metadata sources and the choice between them are `meta`'s.

use serde_json::Value;

use super::looks_like_url;
use crate::extract::collapse_whitespace;

pub(super) fn json_ld(scripts: &[String]) -> LdArticle {
    let mut out = LdArticle::default();
    for raw in scripts {
        let Some(value) = parse_json_lenient(raw) else {
            continue;
        };
        let mut found = Vec::new();
        collect_ld_objects(&value, 0, &mut found);
        for obj in found {
            out.merge(obj);
        }
    }
    out
}
/// The parts of JSON-LD objects we use. The first article-typed object gives the article fields;
/// any object can name the site (`publisher`, `WebSite`).
#[derive(Debug, Default)]
pub(super) struct LdArticle {
    pub(super) seen_article: bool,
    pub(super) headline: Option<String>,
    pub(super) authors: Option<String>,
    pub(super) published: Option<String>,
    pub(super) modified: Option<String>,
    pub(super) image: Option<String>,
    pub(super) language: Option<String>,
    pub(super) url: Option<String>,
    pub(super) site_name: Option<String>,
    /// The article's full text as the page declares it (`articleBody`), entities decoded.
    pub(super) article_body: Option<String>,
}

impl LdArticle {
    fn merge(&mut self, obj: &serde_json::Map<String, Value>) {
        let types = ld_types(obj);
        let is_article = types.iter().any(|t| is_article_type(t));
        if self.site_name.is_none() {
            if let Some(name) = obj.get("publisher").and_then(ld_name) {
                self.site_name = Some(name);
            } else if types.iter().any(|t| t == "WebSite" || t == "Organization")
                && let Some(name) = obj.get("name").and_then(Value::as_str)
            {
                self.site_name = Some(collapse_whitespace(name));
            }
        }
        if !is_article || self.seen_article {
            return;
        }
        self.seen_article = true;
        self.headline = obj
            .get("headline")
            .or_else(|| obj.get("name"))
            .and_then(Value::as_str)
            .map(|s| collapse_whitespace(&decode_entities(s)))
            .filter(|s| !s.is_empty());
        self.authors = obj.get("author").and_then(ld_names);
        self.published = obj
            .get("datePublished")
            .or_else(|| obj.get("dateCreated"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        self.modified = obj
            .get("dateModified")
            .and_then(Value::as_str)
            .map(str::to_owned);
        self.image = obj.get("image").and_then(ld_url);
        self.article_body = obj
            .get("articleBody")
            .and_then(Value::as_str)
            .map(|s| decode_entities(s).trim().to_string())
            .filter(|s| !s.is_empty());
        self.language = obj.get("inLanguage").and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o
                .get("alternateName")
                .or_else(|| o.get("name"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => None,
        });
        self.url = obj
            .get("url")
            .and_then(Value::as_str)
            .or_else(|| {
                obj.get("mainEntityOfPage").and_then(|v| match v {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(o) => o.get("@id").and_then(Value::as_str),
                    _ => None,
                })
            })
            .map(str::to_owned);
    }
}

fn ld_types(obj: &serde_json::Map<String, Value>) -> Vec<String> {
    match obj.get("@type") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// `NewsArticle`, `ReportageNewsArticle`, `BlogPosting`, `SocialMediaPosting`, `Report`, … — any
/// schema.org type that is a kind of article, with or without a `schema:` prefix.
fn is_article_type(t: &str) -> bool {
    let t = t.rsplit(['/', ':']).next().unwrap_or(t);
    t.ends_with("Article") || t.ends_with("Posting") || t == "Report" || t == "Review"
}

/// Collects every JSON object in a JSON-LD value: top-level, arrays, `@graph`, and one level of
/// nesting (`mainEntity`), which is where sites put articles.
fn collect_ld_objects<'a>(
    v: &'a Value,
    depth: usize,
    out: &mut Vec<&'a serde_json::Map<String, Value>>,
) {
    if depth > 4 {
        return;
    }
    match v {
        Value::Array(items) => {
            for item in items {
                collect_ld_objects(item, depth + 1, out);
            }
        }
        Value::Object(obj) => {
            out.push(obj);
            for key in ["@graph", "mainEntity"] {
                if let Some(inner) = obj.get(key) {
                    collect_ld_objects(inner, depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

/// Parses JSON-LD as written in the wild: raw newlines and tabs inside strings are common and not
/// valid JSON, so a second attempt replaces them with spaces.
fn parse_json_lenient(raw: &str) -> Option<Value> {
    let raw = raw.trim();
    // Templates wrap the JSON in HTML comments or CDATA sections (`<![CDATA[ … ]]>`, sometimes
    // behind `//` so scripts ignore it).
    let raw = raw
        .strip_prefix("<!--")
        .and_then(|r| r.strip_suffix("-->"))
        .unwrap_or(raw)
        .trim();
    let raw = raw
        .trim_start_matches("//")
        .trim_start()
        .strip_prefix("<![CDATA[")
        .map(|r| {
            let r = r.trim_end();
            let r = r.strip_suffix("]]>").unwrap_or(r).trim_end();
            r.strip_suffix("//").unwrap_or(r).trim()
        })
        .unwrap_or(raw);
    serde_json::from_str(raw).ok().or_else(|| {
        let cleaned: String = raw
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        serde_json::from_str(&cleaned).ok()
    })
}

/// A name from a string, `{name}` object, or the first of an array.
fn ld_name(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(collapse_whitespace(s)),
        Value::Object(o) => o.get("name").and_then(ld_name),
        Value::Array(a) => a.iter().find_map(ld_name),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// All author names, in order, joined with ", ".
fn ld_names(v: &Value) -> Option<String> {
    let mut names: Vec<String> = Vec::new();
    let mut push = |n: Option<String>| {
        if let Some(n) = n.filter(|n| !looks_like_url(n))
            && !names.contains(&n)
        {
            names.push(n);
        }
    };
    match v {
        Value::Array(a) => a.iter().for_each(|x| push(ld_name(x))),
        other => push(ld_name(other)),
    }
    (!names.is_empty()).then(|| names.join(", "))
}

/// An image URL from a string, an `ImageObject` (`url` or `contentUrl`), or the first of an array.
fn ld_url(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Object(o) => o
            .get("url")
            .or_else(|| o.get("contentUrl"))
            .and_then(ld_url),
        Value::Array(a) => a.iter().find_map(ld_url),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// JSON-LD written by CMS templates sometimes carries HTML entities in strings.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    s.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
}
