//! The arena: the parsed document flattened once in document order, each entry knowing its
//! parent and where its subtree ends, with text, link and comma counts summed bottom-up while it
//! is built. Owns the walk, the per-entry flags, removal of subtrees and plain-text reading; it
//! does not decide what is boilerplate, body or key points (see the sibling modules).

use scraper::{ElementRef, Html};

use super::ContentRules;
use super::tag::{
    Attrs, ClassHints, HintCache, Tag, class_weight, is_hidden, is_script_wrapper,
    is_tracking_pixel,
};
use super::text::{measure, push_collapsed};

pub(super) const F_REMOVED: u16 = 1;
pub(super) const F_BOILER: u16 = 2;
pub(super) const F_HAS_BLOCK: u16 = 4;
const F_SITE_REMOVE: u16 = 8;
pub(super) const F_SITE_BODY: u16 = 16;
pub(super) const F_ARTICLE_HINT: u16 = 32;
pub(super) const F_BULLET_HINT: u16 = 64;
/// `itemprop="articleBody"`: the page's own statement of where the body is.
pub(super) const F_BODY_PROP: u16 = 128;
/// A whitespace-only text node (not kept in the arena) came right before this element: the space
/// between `</strong> <a>` must survive in the text.
pub(super) const F_SPACE_BEFORE: u16 = 256;
/// Class or id names the page's summary line (dek, standfirst, subtitle).
pub(super) const F_DEK_HINT: u16 = 512;

#[derive(Debug)]
pub(super) struct Item<'a> {
    pub(super) el: Option<ElementRef<'a>>,
    /// Text of a text node.
    pub(super) text: &'a str,
    pub(super) tag: Tag,
    pub(super) flags: u16,
    pub(super) parent: u32,
    /// One past the last index of this subtree.
    pub(super) end: u32,
    /// Visible characters in the subtree (whitespace runs count as one).
    pub(super) text_len: u32,
    /// Of which inside links.
    pub(super) link_len: u32,
    pub(super) commas: u32,
    /// Text directly owned by this block (its text nodes and inline descendants).
    pub(super) own_text: u32,
    pub(super) own_link: u32,
    pub(super) own_commas: u32,
    /// Text of paragraph-like blocks in the subtree (their own text, when not link lists).
    pub(super) p_text: u32,
    /// Class/id/role hint weight.
    pub(super) weight: i16,
}

impl<'a> Item<'a> {
    /// An item with no text counted yet; `idx` is its own index.
    fn new(
        el: Option<ElementRef<'a>>,
        tag: Tag,
        flags: u16,
        parent: u32,
        idx: u32,
        weight: i16,
    ) -> Self {
        Item {
            el,
            text: "",
            tag,
            flags,
            parent,
            end: idx + 1,
            text_len: 0,
            link_len: 0,
            commas: 0,
            own_text: 0,
            own_link: 0,
            own_commas: 0,
            p_text: 0,
            weight,
        }
    }
}

pub(super) struct Arena<'a> {
    pub(super) items: Vec<Item<'a>>,
    /// The site rule's body: the matches of the first body selector that matches (see
    /// [`site_bodies`]), in document order; empty when the rules name none or it matched nothing.
    pub(super) site_bodies: Vec<u32>,
    pub(super) site_bullets: Vec<u32>,
}

/// The site rule's body, as Full-Text RSS reads a body rule: the first selector, in the rules'
/// order, that matches an element with text gives the body, and the body is every element it
/// matches (in document order, less those inside an earlier one), joined. Each is flagged
/// [`F_SITE_BODY`] so that pruning leaves it alone.
fn site_bodies(items: &mut [Item<'_>], matches: &[(usize, u32)]) -> Vec<u32> {
    let with_text = |&&(_, i): &&(usize, u32)| items[i as usize].text_len > 0;
    let first = matches.iter().filter(with_text).map(|m| m.0).min();
    let Some(best) = first.or_else(|| matches.iter().map(|m| m.0).min()) else {
        return Vec::new();
    };
    let mut out: Vec<u32> = Vec::new();
    for &(_, i) in matches.iter().filter(|m| m.0 == best) {
        if out.last().is_some_and(|&last| i < items[last as usize].end) {
            continue;
        }
        items[i as usize].flags |= F_SITE_BODY;
        out.push(i);
    }
    out
}

impl<'a> Arena<'a> {
    /// Flattens `doc` into an arena, applying the site's remove/body/bullets selectors on the way.
    pub(super) fn build(doc: &'a Html, rules: &ContentRules) -> Arena<'a> {
        let root = doc.root_element();
        let mut b = Builder {
            rules,
            has_site: !(rules.remove.is_empty()
                && rules.body.is_empty()
                && rules.bullets.is_empty()),
            items: Vec::with_capacity(2048),
            body_matches: Vec::new(),
            site_bullets: Vec::new(),
            stack: Vec::with_capacity(64),
            block_stack: Vec::with_capacity(64),
            link_depth: 0,
            pre_depth: 0,
            space_pending: false,
            hints: HintCache::new(),
        };
        // Iterative depth-first walk with explicit open/close so sums flow to parents on close.
        let mut cur = Some(*root);
        while let Some(node) = cur {
            let descend = match node.value() {
                scraper::Node::Text(t) => {
                    b.text(t);
                    false
                }
                scraper::Node::Element(_) => {
                    b.element(ElementRef::wrap(node).expect("element node"))
                }
                _ => false,
            };
            // Move to the next node in document order, closing finished elements on the way up.
            let mut next = if descend { node.first_child() } else { None };
            if next.is_none() {
                let mut n = node;
                loop {
                    if let Some(s) = n.next_sibling() {
                        next = Some(s);
                        break;
                    }
                    let Some(p) = n.parent() else { break };
                    // Closing `p`: it is the top of the stack.
                    if let Some(i) = b.stack.pop() {
                        b.close(i);
                    }
                    if p.id() == root.id() {
                        break;
                    }
                    n = p;
                }
                if next.is_none() {
                    while let Some(i) = b.stack.pop() {
                        b.close(i);
                    }
                }
            }
            cur = next;
        }
        let mut items = b.items;
        let site_bodies = site_bodies(&mut items, &b.body_matches);
        Arena {
            items,
            site_bodies,
            site_bullets: b.site_bullets,
        }
    }

    pub(super) fn link_density(&self, i: u32) -> f32 {
        let it = &self.items[i as usize];
        if it.text_len == 0 {
            0.0
        } else {
            it.link_len as f32 / it.text_len as f32
        }
    }

    /// The first child of `i` that is an element with visible content (skipping whitespace).
    pub(super) fn first_child_element(&self, i: u32) -> Option<u32> {
        self.children(i)
            .find(|&c| {
                let it = &self.items[c as usize];
                it.flags & F_REMOVED == 0
                    && it.tag != Tag::Drop
                    && (it.tag != Tag::Text || !it.text.trim().is_empty())
            })
            .filter(|&c| self.items[c as usize].tag != Tag::Text)
    }

    /// Marks a subtree removed and takes its text out of its ancestors' sums.
    pub(super) fn remove(&mut self, i: u32) {
        let it = &mut self.items[i as usize];
        if it.flags & F_REMOVED != 0 {
            return;
        }
        it.flags |= F_REMOVED;
        let (tl, ll, cm, pt) = (it.text_len, it.link_len, it.commas, it.p_text);
        let mut p = it.parent;
        while p != u32::MAX {
            let a = &mut self.items[p as usize];
            a.text_len -= tl.min(a.text_len);
            a.link_len -= ll.min(a.link_len);
            a.commas -= cm.min(a.commas);
            a.p_text -= pt.min(a.p_text);
            p = a.parent;
        }
    }

    pub(super) fn children(&self, i: u32) -> Children<'_, 'a> {
        Children {
            arena: self,
            next: i + 1,
            end: self.items[i as usize].end,
        }
    }

    /// The first element of the site rule's body.
    pub(super) fn site_body(&self) -> Option<u32> {
        self.site_bodies.first().copied()
    }

    /// Plain text of a subtree, whitespace collapsed, removed parts skipped.
    pub(super) fn plain_text(&self, i: u32) -> String {
        let mut out = String::new();
        let mut space = false;
        let mut j = i as usize;
        let end = self.items[i as usize].end as usize;
        while j < end {
            let it = &self.items[j];
            if it.flags & F_REMOVED != 0 || it.tag == Tag::Drop {
                j = it.end as usize;
                continue;
            }
            if it.tag == Tag::Text {
                push_collapsed(&mut out, &mut space, it.text);
            } else if !it.tag.is_inline() || it.tag == Tag::Br || it.flags & F_SPACE_BEFORE != 0 {
                // Whitespace between two inline elements (`<b>12</b> <i>votes</i>`) is a space.
                space = true;
            }
            j += 1;
        }
        out.trim_end().to_string()
    }
}

pub(super) struct Children<'r, 'a> {
    pub(super) arena: &'r Arena<'a>,
    pub(super) next: u32,
    pub(super) end: u32,
}

impl Iterator for Children<'_, '_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.next >= self.end {
            return None;
        }
        let i = self.next;
        self.next = self.arena.items[i as usize].end;
        Some(i)
    }
}

/// The walk's state while the arena is built: the items so far, the open elements, and what the
/// site rules picked out.
struct Builder<'a, 'r> {
    rules: &'r ContentRules,
    has_site: bool,
    items: Vec<Item<'a>>,
    /// Elements a body selector matches: the first selector's index that matches, and the
    /// element's arena index, in document order.
    body_matches: Vec<(usize, u32)>,
    site_bullets: Vec<u32>,
    /// The arena index of each open element.
    stack: Vec<u32>,
    /// The open block elements (the nearest block ancestor last).
    block_stack: Vec<u32>,
    link_depth: u32,
    /// Open `<pre>` elements: inside one, whitespace is text (the spaces and line breaks
    /// between the highlighted tokens of a code listing).
    pre_depth: u32,
    space_pending: bool,
    /// What each class and id value of the page says, read once per distinct value.
    hints: HintCache<'a>,
}

impl<'a> Builder<'a, '_> {
    fn parent(&self) -> u32 {
        self.stack.last().copied().unwrap_or(u32::MAX)
    }

    /// A text node: kept when it has visible characters, its counts added to its parent and to
    /// the nearest block's own text.
    fn text(&mut self, t: &'a str) {
        let parent = self.parent();
        let idx = self.items.len() as u32;
        let (n, commas) = measure(t);
        self.space_pending = n == 0 && !t.is_empty();
        if parent == u32::MAX || n == 0 && (self.pre_depth == 0 || t.is_empty()) {
            return;
        }
        let in_link = self.link_depth > 0;
        self.items.push(Item {
            text: t,
            text_len: n,
            link_len: if in_link { n } else { 0 },
            commas,
            ..Item::new(None, Tag::Text, 0, parent, idx, 0)
        });
        let items = &mut self.items;
        let p = &mut items[parent as usize];
        p.text_len += n;
        p.commas += commas;
        if in_link {
            p.link_len += n;
        }
        if let Some(&b) = self.block_stack.last() {
            let b = &mut items[b as usize];
            b.own_text += n;
            b.own_commas += commas;
            if in_link {
                b.own_link += n;
            }
        }
    }

    /// An element: its kind and flags recorded, the site rules applied; returns whether the walk
    /// goes into its children.
    fn element(&mut self, el: ElementRef<'a>) -> bool {
        let parent = self.parent();
        let idx = self.items.len() as u32;
        let e = el.value();
        let attrs = Attrs::of(e);
        let space_before = std::mem::take(&mut self.space_pending);
        let hints = class_weight(&attrs, &mut self.hints);
        let (mut tag, weight, mut flags) = element_hints(e.name(), &attrs, space_before, &hints);
        if tag == Tag::Img && is_tracking_pixel(&attrs) {
            tag = Tag::Drop;
        }
        if tag == Tag::A && is_script_wrapper(el, &attrs) {
            tag = Tag::Inline;
        }
        // Hidden text is not body text, except a key-points box collapsed behind a button.
        if is_hidden(&attrs, &hints)
            && tag != Tag::Body
            && tag != Tag::Other
            && !self.in_bullet_box(flags)
        {
            tag = Tag::Drop;
        }
        if self.has_site {
            flags |= self.site_flags(el, idx);
        }
        if parent != u32::MAX && !tag.is_inline() && tag != Tag::Drop {
            self.mark_has_block();
        }
        self.items
            .push(Item::new(Some(el), tag, flags, parent, idx, weight));
        if tag == Tag::Drop || flags & F_SITE_REMOVE != 0 || !el.has_children() {
            return false;
        }
        self.stack.push(idx);
        if !tag.is_inline() {
            self.block_stack.push(idx);
        }
        if tag == Tag::A {
            self.link_depth += 1;
        }
        if tag == Tag::Pre {
            self.pre_depth += 1;
        }
        true
    }

    /// Whether an element with `flags` is, or sits in, a key-points box.
    fn in_bullet_box(&self, flags: u16) -> bool {
        flags & F_BULLET_HINT != 0
            || self
                .stack
                .iter()
                .any(|&a| self.items[a as usize].flags & F_BULLET_HINT != 0)
    }

    /// The site's remove and body selectors as flags; a bullets match is remembered.
    fn site_flags(&mut self, el: ElementRef<'a>, idx: u32) -> u16 {
        let rules = self.rules;
        let mut flags = 0;
        if rules.remove.iter().any(|s| s.matches(&el)) {
            flags |= F_SITE_REMOVE | F_REMOVED;
        }
        if let Some(k) = rules.body.iter().position(|s| s.matches(&el)) {
            self.body_matches.push((k, idx));
        }
        if rules.bullets.iter().any(|s| s.matches(&el)) {
            self.site_bullets.push(idx);
        }
        flags
    }

    /// Marks the open ancestors as holding a block (stopping at the first already marked).
    fn mark_has_block(&mut self) {
        for &a in self.stack.iter().rev() {
            let it = &mut self.items[a as usize];
            if it.flags & F_HAS_BLOCK != 0 {
                break;
            }
            it.flags |= F_HAS_BLOCK;
        }
    }

    /// Closes element `i`: its end is known, and its sums flow to its parent.
    fn close(&mut self, i: u32) {
        let items = &mut self.items;
        let end = items.len() as u32;
        let it = &mut items[i as usize];
        it.end = end;
        if it.tag == Tag::A {
            self.link_depth = self.link_depth.saturating_sub(1);
            // Text inside the link was already counted as link text by its text nodes.
        }
        if it.tag == Tag::Pre {
            self.pre_depth = self.pre_depth.saturating_sub(1);
        }
        if !it.tag.is_inline() {
            if self.block_stack.last() == Some(&i) {
                self.block_stack.pop();
            }
            if it.tag.is_paragraph_like() && it.own_text >= 20 && it.own_link * 2 < it.own_text {
                it.p_text += it.own_text - it.own_link;
            }
        }
        let (tl, ll, cm, pt, parent) = (it.text_len, it.link_len, it.commas, it.p_text, it.parent);
        if parent != u32::MAX {
            let p = &mut items[parent as usize];
            p.text_len += tl;
            p.link_len += ll;
            p.commas += cm;
            p.p_text += pt;
        }
    }
}

/// An element's tag and the flags and weight its name and `itemprop`, and the `hints` of its
/// class, id and role, give it (`space_before`: whitespace came right before it).
fn element_hints(
    name: &str,
    e: &Attrs<'_>,
    space_before: bool,
    hints: &ClassHints,
) -> (Tag, i16, u16) {
    let tag = Tag::of(name);
    let mut flags = 0u16;
    if space_before {
        flags |= F_SPACE_BEFORE;
    }
    let (weight, boiler, bullet) = (hints.weight, hints.boiler, hints.bullet);
    if hints.dek {
        flags |= F_DEK_HINT;
    }
    // A hover card is hidden until pointed at; the page's root elements never are one (a
    // script's `…-tooltip` class on `<html>`).
    let tag =
        if hints.hidden && !matches!(tag, Tag::Body | Tag::Main | Tag::Article) && name != "html" {
            Tag::Drop
        } else {
            tag
        };
    // Class names on inline wrappers inside a paragraph are too noisy to trust (tracking and
    // widget classes on spans around real text): only boxes go.
    if boiler && !tag.is_inline() {
        flags |= F_BOILER;
    }
    if bullet {
        flags |= F_BULLET_HINT;
    }
    if matches!(
        tag,
        Tag::Nav | Tag::Footer | Tag::Aside | Tag::Form | Tag::Header
    ) {
        flags |= F_BOILER;
    }
    if matches!(tag, Tag::Article) || weight >= 50 {
        flags |= F_ARTICLE_HINT;
    }
    if e.itemprop
        .is_some_and(|p| p.eq_ignore_ascii_case("articleBody"))
    {
        flags |= F_BODY_PROP;
    }
    (tag, weight, flags)
}
