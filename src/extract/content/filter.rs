//! The final filters over emitted blocks: cruft text, captions, link-only lines, template
//! repeats and the bullets themselves, and the short preamble fragments before the lead. Owns the
//! decisions made on whole blocks; it never looks at the tree.

use std::collections::HashSet;

use super::emit::RawBlock;
use super::repeats::template_copies;
use super::{Block, BlockKind};
use crate::extract::cruft::CruftRules;
use crate::extract::dedupe_hash;

/// Most words a block before the lead may have and still be dropped as page furniture.
const PREAMBLE_MAX_WORDS: usize = 20;

/// Drops the short fragments a body often starts with before its first real paragraph: section
/// labels and kickers ("LOCAL NEWS", "Beni culturali"), timestamps ("18:15, 20 Feb 2026"), bylines
/// and datelines ("Par Hélène … – publié le …"), an unpunctuated standfirst. None of them reads as
/// prose (see [`crate::extract::opens_body`]), and the body's text starts with its lead.
/// Figures stay; nothing is dropped when no block reads as prose or a fragment is long.
pub(crate) fn drop_preamble(blocks: &mut Vec<Block>) {
    let Some(lead) = blocks.iter().position(|b| {
        !matches!(b.kind, BlockKind::Figure | BlockKind::Heading)
            && crate::extract::opens_body(&b.text)
    }) else {
        return;
    };
    // A fragment is short and holds no sentence end followed by more text: "… in the spring.
    // Details" is a sentence with a trailing link, prose that stays.
    // One that ends a sentence ("Broken bytes here.") is a short paragraph, not furniture.
    let fragment = |t: &str| {
        let sentence = t.trim_end().ends_with(['.', '!', '?', '。', '！', '？']) || {
            let t = t.trim_end().trim_end_matches(['。', '！', '？']);
            [". ", "! ", "? ", "。", "！", "？"]
                .iter()
                .any(|p| t.contains(p))
        };
        // A row of metadata fields ("14. März 2024 @ 09:41 // Autor: …") holds full stops that
        // end no sentence.
        crate::extract::word_count(t) <= PREAMBLE_MAX_WORDS
            && (!sentence || crate::extract::is_metadata_line(t))
    };
    let short = blocks[..lead]
        .iter()
        .all(|b| b.kind == BlockKind::Figure || fragment(&b.text));
    if !short {
        return;
    }
    let mut i = 0;
    blocks.retain(|b| {
        i += 1;
        i > lead || b.kind == BlockKind::Figure
    });
}

/// Longest label (in characters) that can open a trailing section (see `cut_trailing_section`).
const SECTION_LABEL_MAX: usize = 80;

/// Longest block (in characters) a trailing section may hold: a headline, a teaser, a short bio.
const SECTION_BLOCK_MAX: usize = 300;

/// Cuts the body at a trailing section that a heading or a bare label names as boilerplate ("Related
/// posts", "About the author", "Comments", "Ähnliche Beiträge"): the label and everything after it
/// go, when they come after the first half of the body's text. Boxes found in the tree are removed
/// before scoring; this catches the sections that are not a box of their own.
fn cut_trailing_section(out: &mut Vec<Block>, cruft: &CruftRules) {
    let total: usize = out.iter().map(|b| b.text.len()).sum();
    let mut seen = 0;
    for (i, b) in out.iter().enumerate() {
        let label = b.kind == BlockKind::Heading
            || b.kind == BlockKind::Paragraph
                && b.text.chars().count() <= SECTION_LABEL_MAX
                && !b.text.trim_end().ends_with(['.', '!', '?']);
        if seen * 2 >= total && label && cruft.is_cruft_box_heading(&b.text) {
            // What follows must read like a list of pointers or a short note, not the story
            // going on after an inserted label.
            let rest = &out[i + 1..];
            if rest
                .iter()
                .all(|r| r.text.chars().count() <= SECTION_BLOCK_MAX)
            {
                out.truncate(i);
            }
            return;
        }
        seen += b.text.len();
    }
}

/// Final filters over the emitted blocks: cruft text, captions, link-only lines, the bullets
/// themselves, template repeats (see [`template_copies`]).
pub(super) fn finalize(raw: Vec<RawBlock>, cruft: &CruftRules, bullets: &[String]) -> Vec<Block> {
    let bullets: HashSet<u64> = bullets.iter().filter_map(|b| dedupe_hash(b)).collect();
    let mut out = Vec::with_capacity(raw.len());
    let mut sections = Vec::with_capacity(raw.len());
    let mut chars = Vec::with_capacity(raw.len());
    let mut keys = Vec::with_capacity(raw.len());
    for r in raw {
        let b = r.block;
        let key = (b.kind != BlockKind::Figure)
            .then(|| dedupe_hash(&b.text))
            .flatten();
        if b.kind != BlockKind::Figure
            && (cruft.is_cruft_text(&b.text)
                || cruft.is_caption(&b.text)
                || cruft.is_read_also_line(&b.text, r.chars, r.link_chars)
                // A line that is nothing but a link ("Related story headline"); a table's cell
                // is the table's value.
                || b.kind != BlockKind::Heading
                    && !r.cell
                    && r.link_chars * 10 >= r.chars * 9
                    && r.chars < 200
                || key.is_some_and(|k| bullets.contains(&k)))
        {
            continue;
        }
        sections.push(r.section);
        chars.push(r.chars);
        // Preformatted text repeats on purpose (code, verse), and is never compared.
        keys.push(key.filter(|_| b.kind != BlockKind::Preformatted));
        out.push(b);
    }
    let copies = template_copies(&keys, &chars, Some(&sections));
    let mut copy = copies.into_iter();
    out.retain(|_| !copy.next().unwrap_or(false));
    cut_trailing_section(&mut out, cruft);
    // Headings left dangling at the end (a "Related" section header whose list was dropped).
    while out.last().is_some_and(|b| b.kind == BlockKind::Heading) {
        out.pop();
    }
    out
}
