//! Key-point detection: site bullet selectors, a list under a "Key points" heading or inside a
//! highlights box, and a short summary list opening the body. Owns the choice of which list is the
//! key points and reading its items; removing them from the body is the caller's job.

use super::BlockKind;
use super::ContentRules;
use super::emit::RawBlock;
use super::tag::Tag;
use super::tree::{Arena, F_BOILER, F_BULLET_HINT, F_DEK_HINT, F_REMOVED};
use crate::extract::cruft::CruftRules;
use crate::extract::cruft::phrases::opens_stamp_or_byline;

/// Key points open a story: past this many body paragraphs (of some length) no box or heading
/// introduces them.
const KEY_POINTS_WITHIN: usize = 3;

impl Arena<'_> {
    pub(super) fn site_bullets(&mut self, rules: &ContentRules, out: &mut Vec<String>) {
        let lists = std::mem::take(&mut self.site_bullets);
        for &l in &lists {
            let it = &self.items[l as usize];
            if matches!(it.tag, Tag::Ul | Tag::Ol) {
                out.extend(self.list_items(l, &rules.cruft));
            } else {
                let t = self.plain_text(l);
                if !t.is_empty() && !rules.cruft.is_cruft_text(&t) {
                    out.push(t);
                }
            }
        }
        for &l in &lists {
            self.remove(l);
        }
    }

    /// The items of a list, as plain strings: cruft, bylines and date stamps, and pointers (an
    /// item that is nothing but a link: the site's home page, another story) dropped.
    pub(super) fn list_items(&self, list: u32, cruft: &CruftRules) -> Vec<String> {
        self.children(list)
            .filter(|&c| {
                let it = &self.items[c as usize];
                it.tag == Tag::Li && it.flags & F_REMOVED == 0
            })
            .filter_map(|c| self.key_point_text(c, cruft))
            .collect()
    }

    /// The text of one key point, or `None` when the element is not one (see [`Self::list_items`]).
    fn key_point_text(&self, i: u32, cruft: &CruftRules) -> Option<String> {
        let t = self.plain_text(i);
        let pointer = self.link_density(i) >= 0.8;
        let lower = t.to_lowercase();
        let stamp = opens_stamp_or_byline(&lower) && crate::extract::word_count(&t) <= 14;
        // A figure with a label (a share price, a score, a count) is data, not a point: a point
        // is mostly words.
        let visible = t.chars().filter(|c| !c.is_whitespace()).count();
        let figures = t.chars().filter(|c| c.is_alphabetic()).count() * 2 < visible;
        (!t.is_empty() && !pointer && !stamp && !figures && !cruft.is_cruft_text(&t)).then_some(t)
    }

    /// Whether a list looks like key points: 1–12 items of prose, few links, and not a table of
    /// contents (items linking to anchors in the page) or a list of links to other stories.
    fn is_key_point_list(&self, list: u32) -> bool {
        let it = &self.items[list as usize];
        if !matches!(it.tag, Tag::Ul | Tag::Ol) || it.flags & F_REMOVED != 0 {
            return false;
        }
        let items: Vec<u32> = self
            .children(list)
            .filter(|&c| self.items[c as usize].tag == Tag::Li)
            .collect();
        let linked = items
            .iter()
            .filter(|&&c| {
                self.link_density(c) >= 0.5
                    || self.links_to_anchor(c)
                    || self.opens_with_link(c)
                    || self.is_teaser_card(c)
            })
            .count();
        (1..=12).contains(&items.len())
            && it.text_len >= 20
            && self.link_density(list) < 0.5
            && linked * 2 <= items.len()
    }

    /// Whether an item is a teaser for another page: a picture that links somewhere, or the same
    /// link twice (thumbnail and headline), as story cards have and key points never do.
    fn is_teaser_card(&self, i: u32) -> bool {
        let end = self.items[i as usize].end;
        let mut hrefs: Vec<&str> = Vec::new();
        for j in i..end {
            let it = &self.items[j as usize];
            if it.tag != Tag::A {
                continue;
            }
            let pictured = (j + 1..it.end).any(|k| self.items[k as usize].tag == Tag::Img);
            let Some(href) = it.el.and_then(|e| e.value().attr("href")) else {
                continue;
            };
            if pictured || hrefs.contains(&href) {
                return true;
            }
            hrefs.push(href);
        }
        false
    }

    /// Whether an item opens with a link (a pointer to another story, with a line about it).
    fn opens_with_link(&self, i: u32) -> bool {
        self.first_child_element(i)
            .is_some_and(|c| self.items[c as usize].tag == Tag::A)
    }

    /// Whether a subtree holds a link to an anchor in the page (`href="#…"`: a contents entry).
    fn links_to_anchor(&self, i: u32) -> bool {
        (i..self.items[i as usize].end).any(|j| {
            let it = &self.items[j as usize];
            it.tag == Tag::A
                && it
                    .el
                    .and_then(|e| e.value().attr("href"))
                    .is_some_and(|h| h.starts_with('#') && h.len() > 1)
        })
    }

    /// The first list under `i` (itself included), in document order.
    fn first_list(&self, i: u32) -> Option<u32> {
        let end = self.items[i as usize].end;
        (i..end).find(|&j| {
            let it = &self.items[j as usize];
            matches!(it.tag, Tag::Ul | Tag::Ol) && it.flags & F_REMOVED == 0
        })
    }

    /// Finds the key points: a list introduced by a heading like "Key points" (in the same box)
    /// or in a container whose class says highlights/key points/summary; else a run of short
    /// headings or a lone paragraph in such a box; else a paragraph opening with the label
    /// ("In short: …"). Returns the points and the elements to take out of the body.
    pub(super) fn find_key_points(&self, cruft: &CruftRules) -> Option<(Vec<String>, Vec<u32>)> {
        let mut i = 0usize;
        // Body paragraphs passed (outside boilerplate boxes): a labelled paragraph counts only
        // near the top, and past the first few paragraphs no box is the key points any more (a
        // section headed "What we know" deep in the story, a styled list in the comments).
        let mut paragraphs = 0;
        let mut boiler_end = 0usize;
        while i < self.items.len() {
            let it = &self.items[i];
            if it.flags & F_REMOVED != 0 || it.tag == Tag::Drop {
                i = it.end as usize;
                continue;
            }
            if it.flags & F_BOILER != 0 {
                boiler_end = boiler_end.max(it.end as usize);
            }
            if it.tag == Tag::P && it.own_text >= 150 && i >= boiler_end {
                paragraphs += 1;
                if paragraphs > KEY_POINTS_WITHIN {
                    return None;
                }
            }
            // Only near the top (the count above ends the search): deeper in, a heading like
            // "Summary" or "What we know" names one of the story's sections (a review's
            // verdict, an explainer's part), and its list is the story's.
            let found = if self.is_bullet_heading(i as u32, cruft) {
                self.points_after_heading(i as u32, cruft)
            } else if it.flags & F_BULLET_HINT != 0 && it.text_len < 3000 {
                match self.first_list(i as u32) {
                    Some(l) if self.is_key_point_list(l) => {
                        Some((self.list_items(l, cruft), vec![l]))
                    }
                    _ => self.point_run(i as u32, None, cruft),
                }
            } else if it.tag == Tag::P && paragraphs <= 2 {
                self.labelled_point(i as u32, cruft)
            } else {
                None
            };
            if let Some((points, remove)) = found
                && !points.is_empty()
            {
                return Some((points, remove));
            }
            i += 1;
        }
        None
    }

    /// Whether element `i` is a heading naming the key points ("Key points", "In short"), and not
    /// a tab or a link with that name (a "Summary" reading-mode tab).
    fn is_bullet_heading(&self, i: u32, cruft: &CruftRules) -> bool {
        let it = &self.items[i as usize];
        let headingish = matches!(
            it.tag,
            Tag::H(_)
                | Tag::P
                | Tag::Div
                | Tag::Dt
                | Tag::Header
                | Tag::Format(_)
                | Tag::Inline
                | Tag::Other
        );
        // The shape first: it rules out nearly every element without reading an attribute.
        if !headingish || it.text_len == 0 || it.text_len > 40 {
            return false;
        }
        let tab = it.link_len * 2 > it.text_len
            || it.el.is_some_and(|e| e.value().attr("role") == Some("tab"))
            || self.items.get(it.parent as usize).is_some_and(|p| {
                matches!(p.tag, Tag::Li | Tag::A | Tag::Nav)
                    || p.el
                        .is_some_and(|e| e.value().attr("role") == Some("tablist"))
            });
        !tab && cruft.is_bullet_heading(&self.plain_text(i))
    }

    /// The key points after a bullet heading: a list that follows it (a later sibling of the
    /// heading or of one of its ancestors, inside the same small box; inside the key-points box
    /// itself when the heading is in one), else a run of short
    /// headings or one paragraph alone with the heading in its box.
    fn points_after_heading(
        &self,
        heading: u32,
        cruft: &CruftRules,
    ) -> Option<(Vec<String>, Vec<u32>)> {
        let mut h = heading;
        // A heading inside a key-points box looks no further than that box.
        let levels = if self.items[heading as usize].flags & F_BULLET_HINT != 0
            || self
                .items
                .get(self.items[heading as usize].parent as usize)
                .is_some_and(|p| p.flags & F_BULLET_HINT != 0)
        {
            1
        } else {
            3
        };
        for _ in 0..levels {
            let mut n = self.items[h as usize].end;
            let parent = self.items[h as usize].parent;
            if parent == u32::MAX {
                break;
            }
            let pend = self.items[parent as usize].end;
            // Look at the next two element siblings.
            let mut seen = 0;
            while n < pend && seen < 2 {
                let s = &self.items[n as usize];
                if s.tag != Tag::Text && s.flags & F_REMOVED == 0 {
                    seen += 1;
                    if let Some(l) = self.first_list(n)
                        && self.is_key_point_list(l)
                        && self.items[n as usize].text_len < 3000
                    {
                        return Some((self.list_items(l, cruft), vec![l, h]));
                    }
                }
                n = s.end;
            }
            h = parent;
        }
        let parent = self.items[heading as usize].parent;
        (parent != u32::MAX)
            .then(|| self.point_run(parent, Some(heading), cruft))
            .flatten()
    }

    /// The children of a small box as key points, when each is one short line: a run of 1–8
    /// headings or paragraphs (after `heading`, which is skipped), nothing else in the box.
    fn point_run(
        &self,
        boxed: u32,
        heading: Option<u32>,
        cruft: &CruftRules,
    ) -> Option<(Vec<String>, Vec<u32>)> {
        let b = &self.items[boxed as usize];
        if b.text_len >= 1500 || matches!(b.tag, Tag::Body | Tag::Article | Tag::Main) {
            return None;
        }
        // A box named by its heading or by its class as key points (not as a dek) may hold its
        // points as paragraphs, even a single one; any other box only as a run of headings.
        let named = heading.is_some() || b.flags & (F_BULLET_HINT | F_DEK_HINT) == F_BULLET_HINT;
        let mut points = Vec::new();
        for c in self.children(boxed).filter(|&c| Some(c) != heading) {
            let it = &self.items[c as usize];
            if it.flags & F_REMOVED != 0 || it.tag == Tag::Drop || it.text_len == 0 {
                continue;
            }
            let shape = match named {
                true => matches!(it.tag, Tag::H(2..=6) | Tag::P | Tag::Div),
                false => matches!(it.tag, Tag::H(2..=6)),
            };
            if !shape || !(15..=300).contains(&it.text_len) {
                return None;
            }
            if let Some(t) = self.key_point_text(c, cruft) {
                points.push(t);
            }
        }
        let enough = named || points.len() >= 2;
        ((1..=8).contains(&points.len()) && enough).then(|| (points, vec![boxed]))
    }

    /// A paragraph opening with a key-points label ("In short: …", "Summary: …") near the top: its
    /// text after the label is the one key point.
    fn labelled_point(&self, p: u32, cruft: &CruftRules) -> Option<(Vec<String>, Vec<u32>)> {
        let it = &self.items[p as usize];
        // Cheap test first: the paragraph's first text has a colon early on.
        let first = (p + 1..it.end).find(|&j| self.items[j as usize].tag == Tag::Text);
        let early_colon = first.is_some_and(|j| {
            let t = self.items[j as usize].text;
            t[..crate::extract::floor_char_boundary(t, 40)].contains(':')
        });
        if !(30..=500).contains(&it.text_len) || !early_colon {
            return None;
        }
        let t = self.plain_text(p);
        let (label, rest) = t.split_once(':')?;
        let rest = rest.trim();
        (label.chars().count() <= 30
            && cruft.is_bullet_heading(label)
            && crate::extract::word_count(rest) >= 5)
            .then(|| (vec![rest.to_string()], vec![p]))
    }
}

/// A summary list right at the top of the body: two to six prose items from one list, before any
/// paragraph, followed by paragraphs. Taken out of the blocks and returned as bullets.
pub(super) fn leading_summary_list(blocks: &mut Vec<RawBlock>) -> Vec<String> {
    let start = blocks
        .iter()
        .position(|b| !matches!(b.block.kind, BlockKind::Figure | BlockKind::Heading))
        .unwrap_or(blocks.len());
    let Some(first) = blocks.get(start) else {
        return Vec::new();
    };
    if first.block.kind != BlockKind::ListItem {
        return Vec::new();
    }
    let list = first.list;
    let n = blocks[start..]
        .iter()
        .take_while(|b| b.block.kind == BlockKind::ListItem && b.list == list)
        .count();
    let items = &blocks[start..start + n];
    let prose = items
        .iter()
        .all(|b| (30..=400).contains(&b.chars) && b.link_chars * 4 < b.chars);
    let after: usize = blocks[start + n..]
        .iter()
        .filter(|b| b.block.kind == BlockKind::Paragraph)
        .map(|b| b.chars)
        .sum();
    if !(2..=6).contains(&n) || !prose || after < 400 {
        return Vec::new();
    }
    blocks
        .drain(start..start + n)
        .map(|b| b.block.text)
        .collect()
}

/// Key points written as a run of short headings at the top of the body, with no list: three to
/// six sentence-like subheadings (not the `<h1>`) before any paragraph, followed by the story.
/// Taken out of the blocks and returned as bullets.
pub(super) fn leading_heading_run(blocks: &mut Vec<RawBlock>) -> Vec<String> {
    let start = blocks
        .iter()
        .position(|b| b.block.kind != BlockKind::Figure && !b.block.html.starts_with("<h1"))
        .unwrap_or(blocks.len());
    let n = blocks[start..]
        .iter()
        .take_while(|b| b.block.kind == BlockKind::Heading && !b.block.html.starts_with("<h1"))
        .count();
    let items = &blocks[start..start + n];
    let points = items
        .iter()
        .all(|b| (30..=200).contains(&b.chars) && b.link_chars * 4 < b.chars);
    let after: usize = blocks[start + n..]
        .iter()
        .take_while(|b| b.block.kind != BlockKind::Heading)
        .filter(|b| b.block.kind == BlockKind::Paragraph)
        .map(|b| b.chars)
        .sum();
    if !(3..=6).contains(&n) || !points || after < 400 {
        return Vec::new();
    }
    blocks
        .drain(start..start + n)
        .map(|b| b.block.text)
        .collect()
}
