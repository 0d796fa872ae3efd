//! Whether an upstream entry's HTML is the whole article or a teaser: [`measure`] counts the words
//! of its real paragraphs against the thresholds of `fulltext.toml` and looks for a "read more"
//! ending. Used to skip the page fetch of entries that already carry the article
//! (`fetch = "auto"`) and by `add` to describe a feed as full text or partial.
//!
//! Owns: that measure and its rule data. Does not own: what is done with the verdict (`pipeline`).

use std::sync::LazyLock;

use serde::Deserialize;

/// The rule data of `fulltext.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Thresholds {
    paragraph_words: usize,
    min_words: usize,
    min_paragraphs: usize,
    teaser_endings: Vec<String>,
}

/// The thresholds and the compiled teaser endings. The file is part of the binary and covered by
/// the tests below; failing to parse it is a programming error.
static RULES: LazyLock<(Thresholds, regex::RegexSet)> = LazyLock::new(|| {
    let t: Thresholds =
        toml::from_str(include_str!("fulltext.toml")).expect("source/fulltext.toml is valid");
    let endings = regex::RegexSetBuilder::new(&t.teaser_endings)
        .case_insensitive(true)
        .build()
        .expect("source/fulltext.toml: valid teaser endings");
    (t, endings)
});

/// What [`measure`] found in an entry's HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fullness {
    /// Words in real paragraphs (see `paragraph_words`).
    pub words: usize,
    /// Real paragraphs.
    pub paragraphs: usize,
    /// The text ends like a teaser ("Read more", "Continue reading", "[…]").
    pub teaser_ending: bool,
}

impl Fullness {
    /// Whether this is the whole article: enough words in enough real paragraphs, and no
    /// teaser ending.
    pub fn is_full(&self) -> bool {
        let (t, _) = &*RULES;
        !self.teaser_ending && self.words >= t.min_words && self.paragraphs >= t.min_paragraphs
    }
}

impl std::fmt::Display for Fullness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verdict = if self.is_full() {
            "full text"
        } else {
            "partial"
        };
        write!(
            f,
            "{verdict}: {} words in {} paragraphs",
            self.words, self.paragraphs
        )?;
        if self.teaser_ending {
            write!(f, ", ends like a teaser")?;
        }
        Ok(())
    }
}

/// Measures an entry's HTML (or plain text). Paragraphs are `<p>`, `<li>`, `<blockquote>` and
/// `<pre>` elements; HTML without any is read as text split at blank lines.
pub fn measure(html: &str) -> Fullness {
    let (t, endings) = &*RULES;
    let doc = scraper::Html::parse_fragment(html);
    let blocks = scraper::Selector::parse("p, li, blockquote, pre").expect("valid selector");
    let mut texts: Vec<String> = doc
        .select(&blocks)
        // A blockquote or list item holding paragraphs is counted through them.
        .filter(|e| e.select(&blocks).nth(1).is_none())
        .map(|e| e.text().collect::<String>())
        .collect();
    if texts.is_empty() {
        let text = doc.root_element().text().collect::<Vec<_>>().join("\n");
        texts = text.split("\n\n").map(str::to_string).collect();
    }
    let counts: Vec<usize> = texts
        .iter()
        .map(|p| p.split_whitespace().count())
        .filter(|&n| n >= t.paragraph_words)
        .collect();
    let all = doc.root_element().text().collect::<String>();
    let all = all.trim_end();
    let tail_start = all.char_indices().rev().nth(159).map_or(0, |(i, _)| i);
    Fullness {
        words: counts.iter().sum(),
        paragraphs: counts.len(),
        teaser_ending: endings.is_match(&all[tail_start..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paragraph(n: usize) -> String {
        let words: Vec<String> = (0..n).map(|i| format!("word{i}")).collect();
        format!("<p>{}.</p>", words.join(" "))
    }

    #[test]
    fn the_rule_file_loads_and_every_ending_compiles() {
        let (t, endings) = &*RULES;
        assert!(t.min_words > t.paragraph_words && t.min_paragraphs >= 1);
        assert_eq!(endings.len(), t.teaser_endings.len());
    }

    #[test]
    fn a_long_article_is_full_and_a_teaser_is_not() {
        let full = measure(&paragraph(90).repeat(3));
        assert_eq!((full.words, full.paragraphs), (270, 3));
        assert!(full.is_full(), "{full}");

        let short = measure(&paragraph(40));
        assert!(!short.is_full(), "{short}");
        assert!(short.to_string().starts_with("partial: 40 words"));
    }

    #[test]
    fn short_lines_are_not_real_paragraphs() {
        // Three hundred words, but in captions and share lines of a few words each.
        let html = "<p>Photo: Ana Ruiz</p><p>Share this story</p>".repeat(60);
        let m = measure(&html);
        assert_eq!((m.words, m.paragraphs), (0, 0));
        assert!(!m.is_full());
    }

    #[test]
    fn a_long_text_ending_in_read_more_is_a_teaser() {
        for ending in [
            "<p><a href=\"/a\">Continue reading →</a></p>",
            "<p>Read the full story</p>",
            "<p>… and what came next. […]</p>",
            "<p><a href=\"/a\">Weiterlesen</a></p>",
        ] {
            let m = measure(&format!("{}{ending}", paragraph(100).repeat(3)));
            assert!(m.teaser_ending, "{ending}");
            assert!(!m.is_full(), "{ending}");
        }
    }

    #[test]
    fn plain_text_paragraphs_are_counted_too() {
        let para = (0..60)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let text = format!("{para}\n\n{para}\n\n{para}");
        let m = measure(&text);
        assert_eq!((m.words, m.paragraphs), (180, 3));
        assert!(m.is_full());
    }
}
