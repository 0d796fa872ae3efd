//! The declared-body fallback: the page's own plain-text copy of the article (JSON-LD
//! `articleBody`) replaces the engine's body when that body is empty, short next to it, or opens
//! with a consent or copyright notice (the engine picked the page's chrome). Owns that decision
//! and the splitting of the declared text into paragraphs (less its template repeats); finding
//! the text is `meta`'s job.

use scraper::{Html, Selector};

use super::repeats::template_copies;
use super::{Block, BlockKind, escape_into};
use crate::extract::cruft::CruftRules;
use crate::extract::{collapse_whitespace, dedupe_hash};

/// Fewest characters a declared body needs to be trusted over the page's markup.
const DECLARED_MIN: usize = 300;

/// The declared body as blocks, when it should replace `blocks` (see the module doc).
pub(crate) fn declared_body(
    blocks: &[Block],
    declared: &str,
    cruft: &CruftRules,
) -> Option<Vec<Block>> {
    let declared = declared_paragraphs(declared);
    let declared_len: usize = declared.iter().map(|p| p.chars().count()).sum();
    if declared_len < DECLARED_MIN {
        return None;
    }
    let mut text = blocks.iter().filter(|b| b.kind != BlockKind::Figure);
    let ours: usize = text.clone().map(|b| b.text.chars().count()).sum();
    let chrome = text
        .next()
        .is_some_and(|b| cruft.opens_with_consent(&b.text));
    // A teaser cut short ("…") is not the article.
    let cut = declared
        .last()
        .is_some_and(|p| p.ends_with(['…']) || p.ends_with("..."));
    let short = ours * 2 < declared_len;
    if cut && !chrome && ours > 0 || !(short || chrome) {
        return None;
    }
    let declared: Vec<String> = declared
        .into_iter()
        .filter(|p| !cruft.is_cruft_text(p))
        .collect();
    let keys: Vec<Option<u64>> = declared.iter().map(|p| dedupe_hash(p)).collect();
    let chars: Vec<usize> = declared.iter().map(|p| p.chars().count()).collect();
    let mut copies = template_copies(&keys, &chars, None).into_iter();
    let out = declared
        .into_iter()
        .filter(|_| !copies.next().unwrap_or(false))
        .map(|p| {
            let mut html = String::from("<p>");
            escape_into(&mut html, &p);
            html.push_str("</p>");
            Block {
                kind: BlockKind::Paragraph,
                text: p,
                html,
            }
        })
        .collect();
    Some(out)
}

/// The declared text split into paragraphs: by its `<p>` elements when it is markup, else by
/// its line breaks.
fn declared_paragraphs(declared: &str) -> Vec<String> {
    let is_markup = declared.contains("</p>") || declared.contains("<br");
    let lines: Vec<String> = if is_markup {
        let frag = Html::parse_fragment(&declared.replace("<br>", "\n").replace("<br/>", "\n"));
        let p = Selector::parse("p").expect("valid selector");
        let paras: Vec<String> = frag
            .select(&p)
            .flat_map(|e| {
                e.text()
                    .collect::<String>()
                    .lines()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        if paras.is_empty() {
            frag.root_element()
                .text()
                .collect::<String>()
                .lines()
                .map(str::to_owned)
                .collect()
        } else {
            paras
        }
    } else {
        declared.lines().map(str::to_owned).collect()
    };
    lines
        .iter()
        .map(|l| collapse_whitespace(l))
        .filter(|l| !l.is_empty())
        .collect()
}
