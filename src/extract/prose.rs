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
    let lower = p.to_lowercase();
    let stamp = opens_stamp_or_byline(&lower);
    if stamp && words <= 14 {
        return false;
    }
    let ends_sentence = ends_sentence(p);
    // A full stop (not a closing quote alone) makes even a short sentence prose: "It began
    // with a phone call." opens a story.
    let full_stop = p
        .trim_end()
        .ends_with(['.', '!', '?', '…', '。', '！', '？']);
    // An all-capitals fragment is a dateline or a label, whatever its punctuation.
    let letters: Vec<char> = p.chars().filter(|c| c.is_alphabetic()).collect();
    let shouting = letters.len() >= 3
        && letters.iter().all(|c| !c.is_lowercase())
        && letters.iter().any(|c| c.is_uppercase());
    if shouting && words <= 6 {
        return false;
    }
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
