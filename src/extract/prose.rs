//! Prose or furniture: whether a paragraph reads as a sentence that can open a summary. The
//! extractor uses it to find where the body starts; `summarize` uses it to choose the lead. It
//! lives in `extract` so that extraction never depends on summarizing. The phrases it checks
//! (stamps, bylines, caption markers, sentence ends) are the cruft rules' (`cruft::phrases`).

use super::cruft::phrases::{ends_sentence, is_caption_line, opens_stamp_or_byline};

/// Whether a paragraph reads as prose that can open a summary: a full sentence of some length, not
/// a byline ("By Ana Ruiz"), a dateline alone ("LONDON —"), an update stamp or a caption.
pub fn is_real_paragraph(p: &str) -> bool {
    reads_as_prose(p, false)
}

/// Whether a paragraph is surely where a body starts, for dropping the fragments before it: the
/// stricter form of [`is_real_paragraph`] (a sentence of six words or more, or a long paragraph),
/// so that a short line or an unpunctuated item cannot make the lines above it look like
/// furniture.
pub(crate) fn opens_body(p: &str) -> bool {
    reads_as_prose(p, true)
}

fn reads_as_prose(p: &str, strict: bool) -> bool {
    let p = p.trim();
    let words = super::word_count(p);
    if words == 0 || is_caption_line(p) {
        return false;
    }
    // The checks below that read the text again apply to short paragraphs only, and run on those.
    if words <= 14 && opens_stamp_or_byline(&p.to_lowercase()) {
        return false;
    }
    if words <= 30 && is_metadata_line(p) {
        return false;
    }
    // An all-capitals fragment is a dateline or a label, whatever its punctuation.
    if words <= 6 && is_shouting(p) {
        return false;
    }
    let ends_sentence = ends_sentence(p);
    // A full stop (not a closing quote alone) makes even a short sentence prose: "It began
    // with a phone call." opens a story.
    let full_stop = p
        .trim_end()
        .ends_with(['.', '!', '?', '…', '。', '！', '？']);
    // Without a closing full stop only a longer paragraph counts: a short unpunctuated line under
    // the headline is a standfirst or a label, and the lead is the body's first paragraph. One
    // that holds a sentence end and goes on (a last sentence ending in a link) is prose.
    if strict {
        return (ends_sentence && words >= 6) || words >= 30;
    }
    let inner_sentence = [". ", "! ", "? "].iter().any(|e| p.contains(e));
    (full_stop && words >= 4)
        || (ends_sentence && words >= 6)
        || (inner_sentence && words >= 12)
        || words >= 20
}

/// Whether a text is written in capitals: three letters or more, none lower-case, some upper-case
/// (letters without case, as in CJK, are neither).
fn is_shouting(p: &str) -> bool {
    let (mut letters, mut upper) = (0, false);
    for c in p.chars().filter(|c| c.is_alphabetic()) {
        if c.is_lowercase() {
            return false;
        }
        letters += 1;
        upper |= c.is_uppercase();
    }
    letters >= 3 && upper
}

/// Whether a line is a row of metadata fields with a clock time among them: "The Courier |
/// 04.05.2015 à 13h36 | Par …", "22. Januar 2020 @ 18:13 // Autor: … // Lesezeit: 3 Minuten". Two
/// field separators or more and a time of day make a stamp, whatever else the fields say.
pub(crate) fn is_metadata_line(p: &str) -> bool {
    let separators = p
        .split_whitespace()
        .filter(|w| matches!(*w, "|" | "•" | "·" | "//" | "@"))
        .count();
    separators >= 2 && has_clock_time(p)
}

/// Whether a text holds a time of day: one or two digits, `:` or `h`, two digits ("13:36",
/// "13h36", "9:05"), not inside a longer number.
fn has_clock_time(p: &str) -> bool {
    let b = p.as_bytes();
    (0..b.len()).any(|i| {
        let sep = matches!(b[i], b':' | b'h');
        let before = i.checked_sub(1).is_some_and(|j| b[j].is_ascii_digit())
            && i.checked_sub(3).is_none_or(|j| !b[j].is_ascii_digit());
        let after = b.len() > i + 2
            && b[i + 1].is_ascii_digit()
            && b[i + 2].is_ascii_digit()
            && b.get(i + 3).is_none_or(|c| !c.is_ascii_digit());
        sep && before && after
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_of_metadata_fields_with_a_time_is_no_lead() {
        for line in [
            "The Courier | 04.05.2015 à 13h36 • Mis à jour le 05.05.2015 à 20h13 | Par Ana Ruiz (avec Tom Berg)",
            "22. Januar 2020 @ 18:13 // Autor: kpetersen // ~ Lesezeit: 3 Minuten",
        ] {
            assert!(!is_real_paragraph(line), "{line}");
        }
        // Update stamps in the languages of our pages.
        for stamp in [
            "Stand des Artikels: 3. März 2024, 10:15 Uhr.",
            "Sist oppdatert 12.03.2024 kl. 10:15",
            "입력 2024.03.12 10:15",
        ] {
            assert!(!is_real_paragraph(stamp), "{stamp}");
        }
        // A sentence with a time in it, or fields without one, still read as prose.
        assert!(is_real_paragraph(
            "The ferry left at 10:30 on Monday – an hour late – and reached the island by noon."
        ));
        assert!(is_real_paragraph(
            "Rain | wind | cold: the weekend forecast for the coast is grim, the weather service said on Friday."
        ));
    }
}
