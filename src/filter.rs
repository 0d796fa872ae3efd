//! A feed's keep/drop filters: regular expressions on an entry's title, URL, author, categories or
//! article text. An entry matching any `drop` pattern is dropped; when any `keep` pattern is
//! given, an entry must match one of them to stay.
//!
//! Patterns on the title and URL are judged from the source's entry, before the article is
//! fetched; the others need the article and are judged after extraction (the title and URL
//! patterns again too, on the article's own headline and URL). The verdict is all this module
//! gives: counting and remembering dropped entries is the pipeline's.
//!
//! Owns: the [`Filters`] and their one verb, [`Filters::judge`]. Does not own: compiling them
//! from the feed file (`config`) nor acting on a verdict (`pipeline`).

use crate::extract::Article;
use crate::source::Candidate;

/// What a pattern is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Title,
    Url,
    Author,
    /// Matches when any one of the entry's categories matches.
    Category,
    /// The article's clean text.
    Text,
}

impl Field {
    /// The name used in feed files (`keep_<name>`, `drop_<name>`) and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Url => "url",
            Field::Author => "author",
            Field::Category => "category",
            Field::Text => "text",
        }
    }

    /// Whether the source's entry already tells (no article needed).
    fn known_before_fetch(self) -> bool {
        matches!(self, Field::Title | Field::Url)
    }
}

/// One compiled pattern on one field.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub field: Field,
    pub regex: regex::Regex,
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ~ {:?}", self.field.name(), self.regex.as_str())
    }
}

/// A feed's filters; empty keeps everything.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub keep: Vec<Pattern>,
    pub drop: Vec<Pattern>,
}

/// What a filter is judged on: an entry as listed, or with its extracted article.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Listed(&'a Candidate),
    Extracted(&'a Candidate, &'a Article),
}

impl Subject<'_> {
    /// The values of `field`, or `None` when they are not known yet.
    fn values(&self, field: Field) -> Option<Vec<&str>> {
        let (c, article) = match self {
            Subject::Listed(c) if field.known_before_fetch() => (c, None),
            Subject::Listed(_) => return None,
            Subject::Extracted(c, a) => (c, Some(*a)),
        };
        let headline = article.map(|a| a.title.as_str()).filter(|t| !t.is_empty());
        let values = match field {
            Field::Title => headline.into_iter().chain(c.title.as_deref()).collect(),
            Field::Url => std::iter::once(c.url.as_str())
                .chain(article.and_then(|a| a.url.as_deref()))
                .collect(),
            Field::Author => article
                .and_then(|a| a.byline.as_deref())
                .into_iter()
                .chain(c.author.as_deref())
                .collect(),
            Field::Category => c.categories.iter().map(String::as_str).collect(),
            Field::Text => article.map(|a| a.text.as_str()).into_iter().collect(),
        };
        Some(values)
    }

    /// Whether `pattern` matches, or `None` when its field is not known yet.
    fn matches(&self, pattern: &Pattern) -> Option<bool> {
        let values = self.values(pattern.field)?;
        Some(values.iter().any(|v| pattern.regex.is_match(v)))
    }
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.keep.is_empty() && self.drop.is_empty()
    }

    /// Why `subject` is dropped, or `None` when it stays (or cannot be judged yet: a listed entry
    /// passes unless a pattern on its title or URL already decides).
    pub fn judge(&self, subject: &Subject<'_>) -> Option<String> {
        if let Some(p) = self.drop.iter().find(|p| subject.matches(p) == Some(true)) {
            return Some(format!("dropped by filter {p}"));
        }
        if self.keep.is_empty() {
            return None;
        }
        let verdicts: Vec<Option<bool>> = self.keep.iter().map(|p| subject.matches(p)).collect();
        let kept = verdicts.contains(&Some(true));
        let undecided = verdicts.iter().any(Option::is_none);
        (!kept && !undecided).then(|| "no keep filter matched".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(field: Field, re: &str) -> Pattern {
        Pattern {
            field,
            regex: regex::RegexBuilder::new(re)
                .case_insensitive(true)
                .build()
                .unwrap(),
        }
    }

    fn entry(title: &str, url: &str) -> Candidate {
        Candidate {
            url: url::Url::parse(url).unwrap(),
            title: Some(title.into()),
            published: None,
            updated: None,
            guid: None,
            teaser: None,
            content: None,
            author: Some("Wire Desk".into()),
            categories: vec!["Sport".into(), "Rowing".into()],
        }
    }

    fn article(title: &str, byline: Option<&str>, text: &str) -> Article {
        Article {
            title: title.into(),
            byline: byline.map(str::to_string),
            text: text.into(),
            ..Article::default()
        }
    }

    #[test]
    fn verdicts_before_fetch_and_after_extraction() {
        use Field::*;
        let a = article(
            "Harbour reopens after storm",
            Some("By Ada Marsh"),
            "Boats are back in the harbour.",
        );
        let bare = article("Harbour reopens", None, "Boats are back.");
        // (filters, entry title, entry url, verdict listed, verdict extracted)
        type Case = (
            Filters,
            &'static str,
            Option<&'static str>,
            Option<&'static str>,
        );
        let f = |keep: Vec<Pattern>, drop: Vec<Pattern>| Filters { keep, drop };
        let cases: Vec<Case> = vec![
            (f(vec![], vec![]), "Harbour reopens", None, None),
            (
                f(vec![], vec![pattern(Title, "^sponsored")]),
                "SPONSORED: buy a boat",
                Some("dropped by filter title ~ \"^sponsored\""),
                Some("dropped by filter title ~ \"^sponsored\""),
            ),
            (
                f(vec![], vec![pattern(Url, "/live/")]),
                "Live: the regatta",
                Some("dropped by filter url ~ \"/live/\""),
                Some("dropped by filter url ~ \"/live/\""),
            ),
            (
                f(vec![], vec![pattern(Text, "boats are back")]),
                "Harbour reopens",
                None,
                Some("dropped by filter text ~ \"boats are back\""),
            ),
            (
                f(vec![], vec![pattern(Author, "ada marsh")]),
                "Harbour reopens",
                None,
                Some("dropped by filter author ~ \"ada marsh\""),
            ),
            (
                f(vec![], vec![pattern(Category, "^rowing$")]),
                "Harbour reopens",
                None,
                Some("dropped by filter category ~ \"^rowing$\""),
            ),
            (
                f(vec![pattern(Title, "harbour")], vec![]),
                "Council meets",
                Some("no keep filter matched"),
                None, // the article's own headline says "Harbour"
            ),
            (
                f(vec![pattern(Title, "ferry")], vec![]),
                "Council meets",
                Some("no keep filter matched"),
                Some("no keep filter matched"),
            ),
            (
                f(
                    vec![pattern(Title, "ferry"), pattern(Text, "harbour")],
                    vec![],
                ),
                "Council meets",
                None, // the text may still match
                None,
            ),
            (
                f(
                    vec![pattern(Title, "harbour")],
                    vec![pattern(Text, "storm")],
                ),
                "Harbour reopens",
                None,
                None,
            ),
        ];
        for (i, (filters, title, listed, extracted)) in cases.into_iter().enumerate() {
            let url = if title.starts_with("Live") {
                "https://news.example/live/regatta"
            } else {
                "https://news.example/2026/harbour"
            };
            let c = entry(title, url);
            assert_eq!(
                filters.judge(&Subject::Listed(&c)).as_deref(),
                listed,
                "case {i} listed"
            );
            assert_eq!(
                filters.judge(&Subject::Extracted(&c, &a)).as_deref(),
                extracted,
                "case {i} extracted"
            );
        }
        // Without a byline the feed's own author counts; an unmatched keep on text drops.
        let by_desk = Filters {
            keep: vec![],
            drop: vec![pattern(Author, "wire desk")],
        };
        let c = entry("Harbour reopens", "https://news.example/a");
        assert!(by_desk.judge(&Subject::Extracted(&c, &bare)).is_some());
        let keep_text = Filters {
            keep: vec![pattern(Text, "regatta")],
            drop: vec![],
        };
        assert_eq!(keep_text.judge(&Subject::Listed(&c)), None);
        assert_eq!(
            keep_text.judge(&Subject::Extracted(&c, &bare)).as_deref(),
            Some("no keep filter matched")
        );
    }
}
