//! Plain-text pages: text dumps of an article page (copied from a browser, saved by a text-mode
//! client) rather than HTML. There is no markup to score, so structure comes from lines:
//! the title is the first substantial line, key points are bullet lines near the top, video
//! widgets are recognised by their duration stamp ("02:42") followed by the video's title (often
//! repeated), captions by their "Photo:" / "Credit:" markers, and repeated lines are dropped.
//!
//! Phrase-level decisions ("Advertisement", "Reading Time: 2 minutes", "loading", …) are not made
//! here: they belong to [`CruftRules`], shared with the HTML path, so both paths drop the same
//! things. This module also decides whether a decoded page is HTML or plain text at all.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::cruft::CruftRules;
use super::cruft::phrases::{ends_sentence, is_byline_word, is_caption_line, opens_update_stamp};
use super::{collapse_whitespace, dedupe_key, floor_char_boundary};

/// A plain-text article, before metadata and sanitizing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlainArticle {
    pub title: Option<String>,
    /// The author from a "By …" line in the page header, if any.
    pub byline: Option<String>,
    /// The publication time from a date line in the page header, if any.
    pub published: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub bullets: Vec<String>,
    /// Body paragraphs in order, cruft, captions, video blocks and repeats removed.
    pub paragraphs: Vec<String>,
    /// Captions found (kept apart: never text, lead or summary).
    pub captions: Vec<String>,
}

/// Opening or closing tags of document structure. Two of them near the top mean HTML (a page or a
/// fragment such as `<p>…</p>`); inline tags (`<b>`, `<i>`) are not counted, since text dumps quote
/// those in passing.
static HTML_DOC_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)<(?:!doctype\s+html|/?(?:html|head|body|article|section|main|div|p|h[1-6]|ul|ol|li|table|figure|script|style)[\s>]|meta\s|title>|br\s*/?>|link\s)").expect("valid regex")
});

/// A video's duration or a clip timestamp standing alone on its line: "02:42", "1:02:03", "(3:15)".
static TIMESTAMP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\(?\d{1,2}:\d{2}(?::\d{2})?\)?$").expect("valid regex"));

/// Line-start markers of list items (the HTML path has `<li>`; text dumps have these).
const BULLET_MARKERS: &[char] = &['•', '▪', '–', '-', '*', '●', '◦', '‣', '■', '◾', '►'];

/// Whether decoded text is HTML (a document or a fragment) rather than a plain-text dump. Only the
/// first 64 KiB are examined; a text that quotes one tag in passing is still text if it has fewer
/// than two.
pub fn looks_like_html(text: &str) -> bool {
    let head = &text[..floor_char_boundary(text, 65_536)];
    HTML_DOC_TAG.find_iter(head).take(2).count() >= 2
        || head
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("<!doctype html")
        || head.trim_start().to_ascii_lowercase().starts_with("<html")
}

/// The text of a bullet line without its marker, or `None` when the line is not a bullet.
pub fn bullet_text(line: &str) -> Option<&str> {
    let mut chars = line.chars();
    let first = chars.next()?;
    if !BULLET_MARKERS.contains(&first) {
        return None;
    }
    let rest = chars.as_str();
    // "-" and "*" start ordinary text too ("-5 degrees", "*Updated"): require a space after them.
    if matches!(first, '-' | '*' | '–') && !rest.starts_with([' ', '\t', '\u{a0}']) {
        return None;
    }
    let rest = rest.trim();
    (!rest.is_empty()).then_some(rest)
}

/// A line of running prose, as opposed to a byline, dateline or label: a sentence of some length,
/// or a long line whatever its punctuation.
fn is_prose(s: &str) -> bool {
    let words = super::word_count(s);
    (words >= 8 && ends_sentence(s)) || words >= 25
}

/// Splits the text into blocks: one per line, except that hard-wrapped paragraphs (text files
/// wrapped at a fixed width) are joined back up.
fn blocks(text: &str) -> Vec<String> {
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            let l =
                l.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{200b}' | '\u{feff}'));
            collapse_whitespace(l)
        })
        .collect();
    let long: Vec<usize> = lines
        .iter()
        .map(|l| l.chars().count())
        .filter(|&n| n >= 40)
        .collect();
    let max = long.iter().copied().max().unwrap_or(0);
    let wrapped = long.len() >= 4
        && max <= 100
        && long.iter().filter(|&&n| (50..=80).contains(&n)).count() * 10 >= long.len() * 6;

    let mut out: Vec<String> = Vec::new();
    let mut joinable = false;
    for line in lines {
        if line.is_empty() {
            joinable = false;
            continue;
        }
        let special = bullet_text(&line).is_some() || TIMESTAMP.is_match(&line);
        match out.last_mut() {
            Some(prev) if wrapped && joinable && !special => {
                prev.push(' ');
                prev.push_str(&line);
            }
            _ => out.push(line.clone()),
        }
        joinable = wrapped && !special && line.chars().count() >= 40;
    }
    out
}

/// Extracts the article structure from a plain-text page.
pub fn extract(text: &str, cruft: &CruftRules) -> PlainArticle {
    let mut reader = Reader {
        cruft,
        article: PlainArticle::default(),
        seen: HashSet::new(),
        after_timestamp: false,
        in_body: false,
        header: Vec::new(),
        header_done: false,
        in_related: false,
    };
    for block in blocks(text) {
        reader.block(block);
    }
    reader.flush_header();
    reader.article
}

/// The reading state over a page's blocks.
struct Reader<'r> {
    cruft: &'r CruftRules,
    article: PlainArticle,
    /// Comparison keys of the blocks seen so far (and of video titles).
    seen: HashSet<String>,
    after_timestamp: bool,
    in_body: bool,
    /// Header lines seen before the headline is known, and whether the header is over.
    header: Vec<String>,
    header_done: bool,
    in_related: bool,
}

impl Reader<'_> {
    fn block(&mut self, block: String) {
        if !self.is_new(&block) || self.in_related_list(&block) {
            return;
        }
        let cruft = self.cruft;
        if cruft.is_cruft_text(&block) || cruft.is_bullet_heading(&block) {
            return;
        }
        if is_caption_line(&block) || cruft.is_caption(&block) {
            self.article.captions.push(block);
            return;
        }
        if let Some(item) = bullet_text(&block) {
            let item = item.to_owned();
            self.bullet(block, item);
            return;
        }
        self.in_body = self.in_body || is_prose(&block);
        let block = if self.article.paragraphs.is_empty() && self.article.bullets.is_empty() {
            match self.header_line(block) {
                Some(block) => block,
                None => return,
            }
        } else {
            block
        };
        self.flush_header();
        self.article.paragraphs.push(block);
    }

    /// Whether a block is new text: not a video's duration stamp, not the video title after it,
    /// not a repeat.
    fn is_new(&mut self, block: &str) -> bool {
        if TIMESTAMP.is_match(block) {
            self.after_timestamp = true;
            return false;
        }
        let key = dedupe_key(block);
        if key.is_empty() {
            return false;
        }
        if self.after_timestamp {
            self.after_timestamp = false;
            // The line after a video's duration is its title: a headline, not a sentence. It is
            // remembered so its repetitions (players print it twice) are dropped too.
            if !ends_sentence(block) && block.split_whitespace().count() <= 30 {
                self.seen.insert(key);
                return false;
            }
        }
        self.seen.insert(key)
    }

    /// A "Read Next" / "Related" heading opens a list of other stories: its headline-like lines
    /// go with it, up to the next line that reads as prose. Whether `block` is such a heading or
    /// one of its lines.
    fn in_related_list(&mut self, block: &str) -> bool {
        if self.cruft.is_cruft_box_heading(block) && block.chars().count() <= 60 {
            self.in_related = !self.article.paragraphs.is_empty();
            return true;
        }
        if self.in_related {
            if !crate::extract::opens_body(block) {
                return true;
            }
            self.in_related = false;
        }
        false
    }

    /// A bullet line. Key points sit between the headline and the first paragraph of prose
    /// (bylines and datelines may come between). Bullets before any headline are a menu; bullets
    /// after the prose has begun are a list in the body.
    fn bullet(&mut self, block: String, item: String) {
        if self.article.title.is_none()
            && self.header.is_empty()
            && self.article.paragraphs.is_empty()
        {
            return;
        }
        self.flush_header();
        if self.in_body {
            self.article.paragraphs.push(block);
        } else {
            self.article.bullets.push(item);
        }
    }

    /// A line of the page header: chrome, the headline, then perhaps a byline and a date line.
    /// Returns the line when it is body text after all.
    fn header_line(&mut self, block: String) -> Option<String> {
        if let Some(author) = byline_line(&block) {
            // The headline is the line right above the byline; what came before is chrome.
            self.end_header_above();
            self.article.byline.get_or_insert(author);
            return None;
        }
        if let Some(date) = date_line(&block) {
            self.end_header_above();
            self.article.published.get_or_insert(date);
            return None;
        }
        if is_update_stamp(&block) {
            return None;
        }
        if !self.header_done && !crate::extract::opens_body(&block) {
            // Before the headline only page chrome can come: a lone word or a fragment is
            // dropped; a line too long for a headline means the dump starts with the body.
            let chars = block.chars().count();
            if chars < 10 || block.split_whitespace().count() < 2 {
                return None;
            }
            if chars <= 300 {
                self.header.push(block);
                return None;
            }
        }
        Some(block)
    }

    /// Ends the page header at a byline or date line: the line above is the headline, what came
    /// before it is chrome.
    fn end_header_above(&mut self) {
        if !self.header_done {
            self.article.title = self.header.pop().or(self.article.title.take());
            self.header.clear();
            self.header_done = true;
        }
    }

    /// Ends the page header without a byline or date line: its first line is the headline and
    /// the rest are body text (a standfirst, an opening fragment).
    fn flush_header(&mut self) {
        if self.header_done {
            return;
        }
        self.header_done = true;
        let mut lines = self.header.drain(..);
        if self.article.title.is_none() {
            self.article.title = lines.next();
        }
        let rest: Vec<String> = lines.collect();
        self.article.paragraphs.splice(0..0, rest);
    }
}

/// "By Jane Doe" / "Par …" / "Von …" / "Por …" alone on a header line: the author's name.
fn byline_line(line: &str) -> Option<String> {
    let words = line.split_whitespace().count();
    if !(2..=8).contains(&words) || ends_sentence(line) {
        return None;
    }
    let (first, rest) = line.split_once(char::is_whitespace)?;
    is_byline_word(first)
        .then(|| rest.trim().to_owned())
        .filter(|r| r.chars().next().is_some_and(char::is_uppercase))
}

/// A header line that is nothing but a date and time ("February 20, 2026 9:14 AM UTC").
fn date_line(line: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    use chrono::{NaiveDateTime, TimeZone, Utc};
    if line.len() > 60 || !line.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let bare = line
        .trim()
        .trim_end_matches(" UTC")
        .trim_end_matches(" GMT")
        .replace(" a.m.", " AM")
        .replace(" p.m.", " PM");
    for f in [
        "%B %d, %Y %I:%M %p",
        "%b %d, %Y %I:%M %p",
        "%B %d, %Y %H:%M",
        "%d %B %Y %H:%M",
        "%d %b %Y %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(&bare, f) {
            return Some(Utc.from_utc_datetime(&n).fixed_offset());
        }
    }
    super::meta::parse_date(&bare)
}

/// "Updated 2 hours ago", "Last updated: …": a short update stamp, never body text.
fn is_update_stamp(line: &str) -> bool {
    let lower = line.to_lowercase();
    line.split_whitespace().count() <= 8 && opens_update_stamp(&lower)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::SiteRules;

    fn rules() -> CruftRules {
        CruftRules::new(&SiteRules::default()).unwrap()
    }

    #[test]
    fn html_or_text() {
        assert!(looks_like_html("<!DOCTYPE html><title>x</title>"));
        assert!(looks_like_html("<html><body><p>x</p></body></html>"));
        assert!(looks_like_html("<div class=a><p>One</p><p>Two</p></div>"));
        assert!(looks_like_html("<p>Just one paragraph.</p>"));
        assert!(looks_like_html("<h2>Heading</h2>\nText"));
        assert!(!looks_like_html(
            "Title\n\nA paragraph about the <p> tag.\n"
        ));
        assert!(!looks_like_html("Prices rose 3% <b>ut</b> wages fell > 2%"));
        assert!(!looks_like_html(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/scmp-rafah-text/page.txt"
        ))));
    }

    #[test]
    fn bullets_need_a_marker_and_a_space_where_ambiguous() {
        assert_eq!(bullet_text("• First point"), Some("First point"));
        assert_eq!(bullet_text("▪First point"), Some("First point"));
        assert_eq!(bullet_text("- Second"), Some("Second"));
        assert_eq!(bullet_text("* Third"), Some("Third"));
        assert_eq!(bullet_text("-5 degrees overnight"), None);
        assert_eq!(bullet_text("*Updated at noon"), None);
        assert_eq!(bullet_text("•"), None);
    }

    #[test]
    fn structure_title_bullets_video_duplicates_captions() {
        let text = "\
River council approves new flood barrier plan

Key points:
  • The barrier will protect 4,000 homes along the lower river
  • Work is due to start next spring

Workers inspect the embankment on Tuesday. Photo: Sam Reyes / Valley Times

The district council on Tuesday approved a plan to build a flood barrier along the lower river, ending two years of debate.

Engineers said the design could withstand a once-in-a-century flood.

01:15

Watch: how the barrier will work

Watch: how the barrier will work
Residents who had campaigned for the barrier welcomed the vote.

Engineers said the design could withstand a once-in-a-century flood.

- a list later in the body stays a paragraph
";
        let a = extract(text, &rules());
        assert_eq!(
            a.title.as_deref(),
            Some("River council approves new flood barrier plan")
        );
        assert_eq!(
            a.bullets,
            vec![
                "The barrier will protect 4,000 homes along the lower river",
                "Work is due to start next spring"
            ]
        );
        assert_eq!(
            a.paragraphs,
            vec![
                "The district council on Tuesday approved a plan to build a flood barrier along the lower river, ending two years of debate.",
                "Engineers said the design could withstand a once-in-a-century flood.",
                "Residents who had campaigned for the barrier welcomed the vote.",
                "- a list later in the body stays a paragraph",
            ]
        );
        assert_eq!(a.captions.len(), 1);
    }

    #[test]
    fn bullets_after_byline_are_key_points_and_menus_before_the_title_are_not() {
        let text = "\
• Home
• World
• Sport
Tram line extension opens three months early
By Noor Haddad
Published 09:40, 4 June
• Six new stops serve the northern suburbs
• Trams run every eight minutes at peak times
The city's tram line extension opened on Saturday, three months ahead of schedule and under budget.
Commuters on the first service said the journey into the centre had been cut by a quarter of an hour.
• a later list item
";
        let a = extract(text, &rules());
        assert_eq!(
            a.title.as_deref(),
            Some("Tram line extension opens three months early")
        );
        assert_eq!(
            a.bullets,
            vec![
                "Six new stops serve the northern suburbs",
                "Trams run every eight minutes at peak times"
            ]
        );
        // The byline is metadata, and the update stamp under it is no body text.
        assert_eq!(a.byline.as_deref(), Some("Noor Haddad"));
        assert_eq!(
            a.paragraphs.first().map(String::as_str),
            Some(
                "The city's tram line extension opened on Saturday, three months ahead of schedule and under budget."
            )
        );
        assert_eq!(
            a.paragraphs.last().map(String::as_str),
            Some("• a later list item")
        );
    }

    #[test]
    fn a_sentence_after_a_timestamp_is_kept() {
        let text = "Title of the piece here\n\n10:30\n\nThe meeting began at half past ten and lasted all day.\n";
        let a = extract(text, &rules());
        assert_eq!(
            a.paragraphs,
            vec!["The meeting began at half past ten and lasted all day."]
        );
    }

    #[test]
    fn hard_wrapped_paragraphs_are_joined() {
        let text = "\
A hard-wrapped bulletin from the observatory

The observatory reported on Friday that the comet had brightened
sharply over the past week and could be visible to the naked eye
from dark sites by the end of the month, weather permitting.

Astronomers cautioned that comets are notoriously unpredictable and
that the brightening could stall or reverse within days, as it did
with several well-publicised visitors in recent decades, sadly.
";
        let a = extract(text, &rules());
        assert_eq!(a.paragraphs.len(), 2, "{:?}", a.paragraphs);
        assert!(a.paragraphs[0].starts_with("The observatory reported"));
        assert!(a.paragraphs[0].ends_with("weather permitting."));
    }
}
