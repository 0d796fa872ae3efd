//! Line-level phrase checks from `rules/phrases.toml`: caption and credit lines, update stamps,
//! byline openers, and sentence ends. The one place the HTML path (`meta`), the plain-text path
//! (`plain`) and the lead check (`prose`) read these phrases from; how long a line may be for a
//! check to apply stays with the caller.

use std::sync::LazyLock;

use regex::Regex;

use super::tables::PHRASES;
use crate::extract::{ceil_char_boundary, floor_char_boundary};

/// A caption or credit marker: "Photo:", "Credit:", "Picture by:", "Foto:", …
static CAPTION_MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&PHRASES.caption.marker).expect("valid caption marker"));

/// "(Photo by Someone)" closing a line.
static PHOTO_BY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&PHRASES.caption.photo_by).expect("valid photo-by pattern"));

/// The characters that end a sentence.
static SENTENCE_ENDS: LazyLock<Vec<char>> = LazyLock::new(|| {
    PHRASES
        .sentence
        .ends
        .iter()
        .filter_map(|e| e.chars().next())
        .collect()
});

/// Whether a line is a caption or credit by its markers.
pub(crate) fn is_caption_line(line: &str) -> bool {
    let line = line.trim();
    // Cheap gates first: this runs on every paragraph of every page. A caption marker is either at
    // the very start or followed by a short attribution, so only the line's two ends are searched.
    if line.trim_end_matches('.').ends_with(')') && PHOTO_BY.is_match(line) {
        return true;
    }
    if !line.contains(':') {
        return false;
    }
    let head = &line[..floor_char_boundary(line, 24)];
    if CAPTION_MARKER.find(head).is_some_and(|m| m.start() == 0) {
        return true;
    }
    let tail_start = ceil_char_boundary(line, line.len().saturating_sub(200));
    let Some(last) = CAPTION_MARKER.find_iter(&line[tail_start..]).last() else {
        return false;
    };
    let last_end = tail_start + last.end();
    // A marker near the end followed by a short attribution ("… Photo: Abed Rahim / dpa"), not a
    // sentence that happens to contain "image:" ("she described the image: a city without cars").
    let tail = line[last_end..].trim_end_matches([')', ']', '.', ' ']);
    let words = tail.split_whitespace().count();
    tail.chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || c.is_numeric())
        && (1..=8).contains(&words)
        && !tail.contains(['!', '?', ':'])
}

/// Whether a text ends a sentence (trailing whitespace ignored).
pub(crate) fn ends_sentence(s: &str) -> bool {
    s.trim_end().ends_with(SENTENCE_ENDS.as_slice())
}

/// Whether a lower-cased line opens with an update stamp ("updated", "last updated", …).
pub(crate) fn opens_update_stamp(lower: &str) -> bool {
    starts_with_any(lower, &PHRASES.stamp.update)
}

/// Whether a lower-cased paragraph opens like a byline or a publication stamp, which a short one
/// can never be a lead: the update stamps and the `stamp.not_lead` openers.
pub(crate) fn opens_stamp_or_byline(lower: &str) -> bool {
    opens_update_stamp(lower) || starts_with_any(lower, &PHRASES.stamp.not_lead)
}

/// Whether a word opens a byline line in a plain-text header ("By", "Par", "Von", …).
pub(crate) fn is_byline_word(word: &str) -> bool {
    PHRASES
        .byline
        .header_words
        .iter()
        .any(|w| word.eq_ignore_ascii_case(w))
}

/// Whether the text of a byline box opens like a date or a button label rather than names
/// (`lower` is the text lower-cased).
pub(crate) fn opens_not_a_name(lower: &str) -> bool {
    starts_with_any(lower, &PHRASES.byline.not_names)
}

/// The length of the "By " / "Von " / … prefix a lower-cased byline opens with, if any.
pub(crate) fn byline_prefix_len(lower: &str) -> Option<usize> {
    PHRASES
        .byline
        .strip_prefixes
        .iter()
        .find(|p| lower.starts_with(p.as_str()))
        .map(String::len)
}

fn starts_with_any(lower: &str, prefixes: &[String]) -> bool {
    prefixes.iter().any(|p| lower.starts_with(p.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_by_marker() {
        for yes in [
            "Crowds gather at the harbour on Sunday. Photo: Lena Ortiz / Coastal Wire",
            "The old bridge before repairs. Credit: City Archive",
            "Photo: Getty Images",
            "A child plays in the square (Photo by Marc Dunn)",
            "Firefighters at the scene. Picture: Supplied",
        ] {
            assert!(is_caption_line(yes), "{yes}");
        }
        for no in [
            "The minister said the photo had been taken in 2019.",
            "Credit card spending fell for the third month in a row, the bank said.",
            "She described the image: a city without cars, buses running every minute, and parks.",
        ] {
            assert!(!is_caption_line(no), "{no}");
        }
    }

    #[test]
    fn stamps_bylines_and_sentence_ends() {
        assert!(opens_update_stamp("last updated: 10:42"));
        assert!(!opens_update_stamp("by ana ruiz"));
        assert!(opens_stamp_or_byline("by ana ruiz"));
        assert!(opens_stamp_or_byline("first published in 2020"));
        assert!(is_byline_word("Par"));
        assert!(!is_byline_word("Bye"));
        assert!(opens_not_a_name("follow us"));
        assert_eq!(byline_prefix_len("von eva huber"), Some(4));
        assert_eq!(byline_prefix_len("eva huber"), None);
        assert!(ends_sentence("Done.  "));
        assert!(ends_sentence("「引用」"));
        assert!(!ends_sentence("A label"));
    }
}
