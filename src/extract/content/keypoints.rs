//! Key-point detection: site bullet selectors, a list under a "Key points" heading or inside a
//! highlights box, and a short summary list opening the body. Owns the choice of which list is the
//! key points and reading its items; removing them from the body is the caller's job.

use super::BlockKind;
use super::ContentRules;
use super::emit::RawBlock;
use super::tag::Tag;
use super::tree::{Arena, F_BULLET_HINT, F_REMOVED};
use crate::extract::cruft::CruftRules;

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

    /// The items of a list, as plain strings, cruft dropped.
    pub(super) fn list_items(&self, list: u32, cruft: &CruftRules) -> Vec<String> {
        let mut out = Vec::new();
        for c in self.children(list) {
            if self.items[c as usize].tag == Tag::Li
                && self.items[c as usize].flags & F_REMOVED == 0
            {
                let t = self.plain_text(c);
                if !t.is_empty() && !cruft.is_cruft_text(&t) {
                    out.push(t);
                }
            }
        }
        out
    }

    /// Whether a list looks like key points: 1–12 items of prose, few links.
    fn is_key_point_list(&self, list: u32) -> bool {
        let it = &self.items[list as usize];
        if !matches!(it.tag, Tag::Ul | Tag::Ol) || it.flags & F_REMOVED != 0 {
            return false;
        }
        let items = self
            .children(list)
            .filter(|&c| self.items[c as usize].tag == Tag::Li)
            .count();
        (1..=12).contains(&items) && it.text_len >= 20 && self.link_density(list) < 0.5
    }

    /// The first list under `i` (itself included), in document order.
    fn first_list(&self, i: u32) -> Option<u32> {
        let end = self.items[i as usize].end;
        (i..end).find(|&j| {
            let it = &self.items[j as usize];
            matches!(it.tag, Tag::Ul | Tag::Ol) && it.flags & F_REMOVED == 0
        })
    }

    /// Finds a key-points list: a list introduced by a heading like "Key points" (in the same
    /// box), or the list of a container whose class says highlights/key points/summary.
    /// Returns the list and the heading to drop with it.
    pub(super) fn find_key_points(&self, cruft: &CruftRules) -> Option<(u32, Option<u32>)> {
        let mut i = 0usize;
        while i < self.items.len() {
            let it = &self.items[i];
            if it.flags & F_REMOVED != 0 || it.tag == Tag::Drop {
                i = it.end as usize;
                continue;
            }
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
            if headingish
                && it.text_len > 0
                && it.text_len <= 40
                && !matches!(it.tag, Tag::Ul | Tag::Ol)
                && cruft.is_bullet_heading(&self.plain_text(i as u32))
            {
                // The list follows the heading: a later sibling of the heading or of one of its
                // ancestors inside the same small box.
                let mut h = i as u32;
                for _ in 0..3 {
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
                                return Some((l, Some(h)));
                            }
                        }
                        n = s.end;
                    }
                    h = parent;
                }
            }
            if it.flags & F_BULLET_HINT != 0
                && it.text_len < 3000
                && let Some(l) = self.first_list(i as u32)
                && self.is_key_point_list(l)
            {
                return Some((l, None));
            }
            i += 1;
        }
        None
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
