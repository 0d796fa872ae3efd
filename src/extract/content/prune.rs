//! Pruning the arena before scoring: boilerplate boxes (by class/id tokens and structural tags)
//! and small boxes whose heading names them as cruft. Owns only those removal passes; the phrase
//! rules they consult live in [`crate::extract::cruft`].

use super::tag::Tag;
use super::tree::{Arena, F_ARTICLE_HINT, F_BOILER, F_REMOVED, F_SITE_BODY};
use crate::extract::cruft::CruftRules;

impl Arena<'_> {
    /// Removes boilerplate candidates (class/id tokens, nav/footer/aside/form/header) unless they
    /// hold most of the page's paragraph text: the article container itself is never removed.
    pub(super) fn remove_boilerplate(&mut self) {
        self.remove_where(|arena, i, total| {
            let it = &arena.items[i as usize];
            it.flags & F_BOILER != 0
                && it.flags & (F_SITE_BODY | F_ARTICLE_HINT) == 0
                && !matches!(it.tag, Tag::Body)
                && (it.p_text as u64) * 2 <= total as u64
                && (it.p_text < 400 || (it.p_text as u64) * 4 <= total as u64)
        });
    }

    /// Removes small boxes that open with a heading naming them as boilerplate ("Why you can trust
    /// …", "… a small favour to ask", "Comments (12)", "Leggi anche"): the heading says what the
    /// whole box is, so its paragraphs go with it. A box holding a large share of the page's
    /// paragraph text is never removed this way.
    pub(super) fn remove_cruft_boxes(&mut self, cruft: &CruftRules) {
        self.remove_where(|arena, i, total| {
            let it = &arena.items[i as usize];
            let boxy = matches!(
                it.tag,
                Tag::Div | Tag::Section | Tag::Aside | Tag::Other | Tag::Footer
            ) && it.flags & F_SITE_BODY == 0
                && (it.p_text as u64) * 3 <= total as u64
                && it.p_text < 1500;
            boxy && arena.first_child_element(i).is_some_and(|h| {
                matches!(arena.items[h as usize].tag, Tag::H(2..=6))
                    && cruft.is_cruft_box_heading(&arena.plain_text(h))
            })
        });
    }

    /// Removes, in document order, every subtree not yet removed for which `doomed(arena, index,
    /// page paragraph text)` holds; the page's paragraph text is measured once, before any removal.
    fn remove_where(&mut self, doomed: impl Fn(&Self, u32, u32) -> bool) {
        let total = self.items.first().map_or(0, |r| r.p_text);
        let mut i = 0usize;
        while i < self.items.len() {
            let it = &self.items[i];
            if it.flags & F_REMOVED != 0 {
                i = it.end as usize;
                continue;
            }
            if doomed(self, i as u32, total) {
                let end = self.items[i].end as usize;
                self.remove(i as u32);
                i = end;
                continue;
            }
            i += 1;
        }
    }
}
