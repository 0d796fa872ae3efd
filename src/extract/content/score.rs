//! Choosing the article container(s): Readability-style scores from paragraph text, commas and
//! class hints, propagated to ancestors and discounted by link density, then the page's own
//! `articleBody`, an enclosing `<article>`, and qualified siblings. Owns the choice only; it
//! neither removes nor emits anything.

use super::tag::Tag;
use super::tree::{Arena, F_ARTICLE_HINT, F_BODY_PROP, F_REMOVED, Item};

/// Most commas one block can score (see `choose_containers`).
const COMMA_CAP: f32 = 8.0;

/// A block scoring at least this share of the best is a rival candidate (see
/// `prefer_common_ancestor`); the best `RIVALS` are looked at, and an ancestor holding
/// `RIVALS_NEEDED` of them holds the article.
const RIVAL_SHARE: f32 = 0.75;
const RIVALS: usize = 5;
const RIVALS_NEEDED: usize = 3;

impl Arena<'_> {
    /// Picks the article container(s): Readability-style scores from paragraph text, commas and
    /// class hints, propagated to ancestors, discounted by link density; then qualified siblings.
    pub(super) fn choose_containers(&self) -> Vec<u32> {
        let mut score = self.paragraph_scores();
        let Some((top, top_score)) = self.best_scored(&mut score) else {
            return vec![0];
        };
        let top = self.prefer_common_ancestor(top, top_score, &score);
        let top = self.prefer_declared_body(top);
        let top = self.prefer_enclosing_article(top);
        self.with_siblings(top, top_score, &score)
    }

    /// Scores from each paragraph-like block's own text and commas, added to its ancestors up to
    /// five levels, less for each level; `NAN` where nothing was scored.
    fn paragraph_scores(&self) -> Vec<f32> {
        let n = self.items.len();
        let mut score = vec![f32::NAN; n];
        let mut i = 0usize;
        while i < n {
            let it = &self.items[i];
            if it.flags & F_REMOVED != 0 || it.tag == Tag::Drop {
                i = it.end as usize;
                continue;
            }
            if it.tag != Tag::Text
                && it.tag.is_paragraph_like()
                && it.own_text >= 25
                && it.own_link * 2 < it.own_text
            {
                // Commas mark prose, but a comma-separated list (names, tags) is not prose:
                // cap their weight per block.
                let s = 1.0
                    + (it.own_commas as f32).min(COMMA_CAP)
                    + (it.own_text as f32 / 100.0).min(3.0);
                let mut p = it.parent;
                let mut level = 0;
                while p != u32::MAX && level < 5 {
                    let a = &self.items[p as usize];
                    let sc = &mut score[p as usize];
                    if sc.is_nan() {
                        *sc = initial_score(a);
                    }
                    let div = match level {
                        0 => 1.0,
                        1 => 2.0,
                        l => l as f32 * 3.0,
                    };
                    *sc += s / div;
                    p = a.parent;
                    level += 1;
                }
            }
            i += 1;
        }
        score
    }

    /// Discounts every score by its link density and returns the best.
    fn best_scored(&self, score: &mut [f32]) -> Option<(u32, f32)> {
        let mut best: Option<(u32, f32)> = None;
        for (j, sc) in score.iter_mut().enumerate() {
            if sc.is_nan() {
                continue;
            }
            *sc *= 1.0 - self.link_density(j as u32);
            if best.is_none_or(|(_, b)| *sc > b) {
                best = Some((j as u32, *sc));
            }
        }
        best
    }

    /// Moves up to the nearest ancestor that holds several of the best-scoring blocks: an article
    /// split into sections (each with its own wrapper, figures between them) scores on one section,
    /// and the others are its cousins, not its siblings.
    fn prefer_common_ancestor(&self, top: u32, top_score: f32, score: &[f32]) -> u32 {
        let holds = |a: u32, d: u32| a < d && d < self.items[a as usize].end;
        // Rivals are other blocks: not the top's own ancestors or descendants.
        let mut rivals: Vec<(u32, f32)> = score
            .iter()
            .enumerate()
            .filter(|&(j, &sc)| {
                let j = j as u32;
                j != top && !holds(j, top) && !holds(top, j) && sc >= top_score * RIVAL_SHARE
            })
            .map(|(j, &sc)| (j as u32, sc))
            .collect();
        rivals.sort_by(|a, b| b.1.total_cmp(&a.1));
        rivals.truncate(RIVALS);
        if rivals.len() < RIVALS_NEEDED {
            return top;
        }
        let mut p = self.items[top as usize].parent;
        while p != u32::MAX && p != 0 && self.items[p as usize].tag != Tag::Body {
            let held = rivals.iter().filter(|&&(r, _)| holds(p, r)).count();
            if held >= RIVALS_NEEDED {
                // The ancestor must not be mostly links (a page wrapper with its menus).
                return if self.link_density(p) < 0.3 { p } else { top };
            }
            p = self.items[p as usize].parent;
        }
        top
    }

    /// The page's own articleBody wins when it holds real text next to the scored guess.
    fn prefer_declared_body(&self, top: u32) -> u32 {
        let n = self.items.len();
        let is_ancestor = |a: u32, d: u32| a <= d && d < self.items[a as usize].end;
        let Some(h) = (0..n as u32)
            .filter(|&j| {
                let it = &self.items[j as usize];
                it.flags & F_BODY_PROP != 0 && it.flags & F_REMOVED == 0
            })
            .max_by_key(|&j| self.items[j as usize].p_text)
        else {
            return top;
        };
        let hp = self.items[h as usize].p_text;
        let tp = self.items[top as usize].p_text;
        if hp >= 300 && self.link_density(h) < 0.35 {
            let switch = if is_ancestor(h, top) {
                // The guess is a part of the declared body: take all of it.
                true
            } else if is_ancestor(top, h) {
                // The guess wraps the declared body and more: narrow when it is most of it.
                hp * 10 >= tp * 7
            } else {
                hp * 3 >= tp
            };
            if switch {
                return h;
            }
        }
        top
    }

    /// Prefers an enclosing <article>/articleBody that holds the top candidate and most of its
    /// ancestors' paragraph text: the scores often peak on an inner wrapper.
    fn prefer_enclosing_article(&self, top: u32) -> u32 {
        let mut p = self.items[top as usize].parent;
        let mut hops = 0;
        while p != u32::MAX && hops < 4 {
            let a = &self.items[p as usize];
            if a.flags & F_ARTICLE_HINT != 0
                && self.link_density(p) < 0.3
                && a.p_text as f32 <= self.items[top as usize].p_text as f32 * 1.6 + 200.0
            {
                return p;
            }
            p = a.parent;
            hops += 1;
        }
        top
    }

    /// Climbs from the top candidate through wrappers it is the only content of: the siblings
    /// that belong with the article (an intro box, the story's other sections) are the
    /// wrapper's, not the inner box's.
    fn lift_only_child(&self, top: u32) -> u32 {
        let mut top = top;
        loop {
            let p = self.items[top as usize].parent;
            if p == u32::MAX || p == 0 || matches!(self.items[p as usize].tag, Tag::Body) {
                return top;
            }
            let mut content = self.children(p).filter(|&c| {
                let it = &self.items[c as usize];
                it.flags & F_REMOVED == 0
                    && it.tag != Tag::Drop
                    && (it.tag != Tag::Text || !it.text.trim().is_empty())
            });
            if content.next() != Some(top) || content.next().is_some() {
                return top;
            }
            top = p;
        }
    }

    /// The top candidate with the siblings that belong to the article too, in document order.
    /// The siblings are those of the outermost wrapper the candidate is the only content of; the
    /// candidate itself is emitted, not its wrappers (which add nothing but depth).
    fn with_siblings(&self, inner: u32, top_score: f32, score: &[f32]) -> Vec<u32> {
        let top = self.lift_only_child(inner);
        let parent = self.items[top as usize].parent;
        if parent == u32::MAX {
            return vec![inner];
        }
        let threshold = (top_score * 0.2).max(10.0);
        let top_class = self.items[top as usize]
            .el
            .and_then(|e| e.value().attr("class"));
        let mut out = Vec::new();
        for s in self.children(parent) {
            let it = &self.items[s as usize];
            if s == top {
                out.push(inner);
                continue;
            }
            if it.tag == Tag::Text || it.flags & F_REMOVED != 0 || it.tag == Tag::Drop {
                continue;
            }
            let mut bonus = 0.0;
            if top_class.is_some() && it.el.and_then(|e| e.value().attr("class")) == top_class {
                bonus = top_score * 0.2;
            }
            let sc = score[s as usize];
            let ld = self.link_density(s);
            // Another section of the story, its paragraphs too deep inside it to be scored.
            let deep_prose = sc.is_nan() && it.p_text >= 200 && ld < 0.3;
            let ok = deep_prose
                || (!sc.is_nan() && sc + bonus >= threshold)
                || (it.tag == Tag::P && it.text_len > 80 && ld < 0.25)
                || (it.tag == Tag::P && it.text_len > 0 && ld == 0.0 && {
                    let t = self.plain_text(s);
                    t.ends_with(['.', '!', '?', '"', '”'])
                });
            if ok {
                out.push(s);
            }
        }
        out
    }
}

/// The score a block starts from, before any paragraph adds to it: by tag, plus its class hints.
fn initial_score(it: &Item) -> f32 {
    let base = match it.tag {
        Tag::Div | Tag::Article | Tag::Main | Tag::Section => 5.0,
        Tag::Pre | Tag::Td | Tag::Blockquote => 3.0,
        Tag::Ul | Tag::Ol | Tag::Dl | Tag::Dd | Tag::Dt | Tag::Li | Tag::Form => -3.0,
        Tag::H(_) => -5.0,
        _ => 0.0,
    };
    base + it.weight as f32
}
