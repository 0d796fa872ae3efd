//! The page's own summary line under the headline (a dek, standfirst, subtitle or strapline):
//! found by its class or id, by its place (an `<h2>`/`<h3>` right after the `<h1>`, a short
//! paragraph in the article's `<header>` after it), or by repeating the page's declared
//! description outside the story's paragraphs, before the body's first paragraph. It is recorded
//! beside the body and never taken as the lead. Owns only that choice.

use super::tag::Tag;
use super::tree::{Arena, F_ARTICLE_HINT, F_BOILER, F_DEK_HINT, F_REMOVED};
use crate::extract::cruft::phrases::opens_stamp_or_byline;

/// Characters a dek may have: a line or two, never a whole article.
const DEK_CHARS: std::ops::RangeInclusive<usize> = 20..=400;

/// Own text (less links) from which a paragraph means the body has started.
const BODY_PARAGRAPH: u32 = 150;

impl Arena<'_> {
    /// The dek (its element and text), when the page has one before its body; `descriptions` are
    /// the page's declared summaries.
    pub(super) fn find_dek(&self, descriptions: &[String]) -> Option<(u32, String)> {
        let mut seen_heading = false;
        // An element repeating a declared description: a dek when the paragraph that starts the
        // body turns out to sit in another box (the same box would make it the story's opening).
        let mut declared: Option<(u32, String)> = None;
        // Where the element right after the last `<h1>` sits, and that heading's parent.
        let mut after_h1: Option<(u32, u32)> = None;
        let mut i = 0u32;
        while (i as usize) < self.items.len() {
            let it = &self.items[i as usize];
            let boiler_box =
                it.flags & F_BOILER != 0 && it.flags & F_ARTICLE_HINT == 0 && it.tag != Tag::Header;
            if it.flags & F_REMOVED != 0 || it.tag == Tag::Drop || boiler_box {
                i = it.end;
                continue;
            }
            let right_after_h1 =
                after_h1.is_some_and(|(at, parent)| at == i && it.parent == parent);
            if seen_heading
                && (it.flags & F_DEK_HINT != 0 || right_after_h1 && self.placed_like_dek(i))
                && let Some(dek) = self.dek_text(i)
            {
                return Some((i, dek));
            }
            if seen_heading
                && declared.is_none()
                && self.may_repeat(i, descriptions)
                && let Some(dek) = self.dek_text(i)
                && repeats_description(&dek, descriptions)
            {
                declared = Some((i, dek));
                i = it.end;
                continue;
            }
            match it.tag {
                Tag::H(level) => {
                    seen_heading = true;
                    if level == 1 {
                        after_h1 = Some((it.end, it.parent));
                    }
                    i = it.end;
                    continue;
                }
                Tag::P
                    if it.own_text.saturating_sub(it.own_link) >= BODY_PARAGRAPH
                        && !self.in_header(i) =>
                {
                    return declared.filter(|&(d, _)| self.items[d as usize].parent != it.parent);
                }
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// Whether `i` may hold a declared description: a block whose length is about that of one.
    fn may_repeat(&self, i: u32, descriptions: &[String]) -> bool {
        let it = &self.items[i as usize];
        let len = it.text_len as usize;
        matches!(it.tag, Tag::P | Tag::H(2..=4) | Tag::Div)
            && descriptions.iter().any(|d| {
                let n = d.chars().count();
                len + 3 >= n && len <= 2 * n + 3
            })
    }

    /// A subtitle heading right after the headline, or a paragraph right after it inside the
    /// article's header.
    fn placed_like_dek(&self, i: u32) -> bool {
        match self.items[i as usize].tag {
            Tag::H(2 | 3) => true,
            Tag::P => self.in_header(i),
            _ => false,
        }
    }

    /// Whether `i` sits in a `<header>` (within a few levels).
    fn in_header(&self, i: u32) -> bool {
        self.ancestors(i)
            .take(3)
            .any(|a| self.items[a as usize].tag == Tag::Header)
    }

    /// The ancestors of `i`, nearest first.
    fn ancestors(&self, i: u32) -> impl Iterator<Item = u32> + '_ {
        let parent = |p: u32| Some(self.items.get(p as usize)?.parent);
        std::iter::successors(parent(i), move |&p| parent(p)).take_while(|&p| p != u32::MAX)
    }

    /// The text of a dek candidate, when it is shaped like one: a line or two of prose, few links,
    /// no list (a summary box holding a list is the key points), not a caption.
    fn dek_text(&self, i: u32) -> Option<String> {
        let it = &self.items[i as usize];
        let shaped = matches!(
            it.tag,
            Tag::P
                | Tag::H(2..=4)
                | Tag::Div
                | Tag::Section
                | Tag::Header
                | Tag::Other
                | Tag::Inline
        ) && it.text_len > 0
            && self.link_density(i) < 0.3;
        if !shaped {
            return None;
        }
        let nested = (i + 1..it.end).any(|j| {
            let d = &self.items[j as usize];
            d.flags & F_REMOVED == 0 && matches!(d.tag, Tag::Ul | Tag::Ol | Tag::Figure | Tag::H(1))
        });
        let in_figure = self
            .ancestors(i)
            .any(|a| matches!(self.items[a as usize].tag, Tag::Figure | Tag::Figcaption));
        if nested || in_figure {
            return None;
        }
        let text = self.plain_text(i);
        // A line of prose: a dateline or a stamp is not a summary.
        let lower = text.to_lowercase();
        (DEK_CHARS.contains(&text.chars().count())
            && crate::extract::word_count(&text) >= 6
            && !opens_stamp_or_byline(&lower))
        .then_some(text)
    }
}

/// Whether `text` is one of the page's declared descriptions, or begins with one the page cut
/// short ("…").
fn repeats_description(text: &str, descriptions: &[String]) -> bool {
    descriptions.iter().any(|d| {
        let stem = d.trim_end_matches(['…', '.', ' ']);
        text == d || d.len() > stem.len() + 2 && stem.len() >= 40 && text.starts_with(stem)
    })
}
