//! Main-content detection on a parsed HTML document: site rules first, then a generic scoring of
//! blocks by text and link density. Returns the body as plain blocks, plus the key points.
//!
//! The document is flattened once into an arena in document order (each entry knows its parent
//! and where its subtree ends), with text and link lengths summed bottom-up in the same pass.
//! Everything after that — boilerplate removal, scoring, bullets, emitting blocks — works on
//! arena indices, so a page costs one parse and a few linear passes. Cruft *text* rules live in
//! [`crate::extract::cruft`]; this module owns the *structure* decisions.
//!
//! It does not decode bytes, read metadata or sanitize HTML: the caller does that with the blocks.

use std::collections::HashMap;

use scraper::{ElementRef, Html, Selector};

use crate::extract::ExtractError;
use crate::extract::SiteRules;
use crate::extract::cruft::{
    CruftRules, TOKEN_BOILER, TOKEN_BULLET, TOKEN_CONTENT, TOKEN_NEGATE, for_each_token, token_kind,
};

/// What a block of the article body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Paragraph,
    Heading,
    ListItem,
    Quote,
    Preformatted,
    /// A figure (image with optional caption): kept in HTML, never in text, lead or summary.
    Figure,
}

/// One block of the article body.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: BlockKind,
    /// Plain text, whitespace collapsed (for a figure: its caption, possibly empty).
    pub text: String,
    /// The block's HTML, not yet sanitized (e.g. `<p>…</p>`, `<figure>…</figure>`).
    pub html: String,
}

/// The article body as found in the document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Body {
    /// Body blocks in document order, cruft removed.
    pub blocks: Vec<Block>,
    /// The key points ("Key points", "Story highlights", a summary list before the body), in order.
    pub bullets: Vec<String>,
}

/// Site rules and built-in cruft rules compiled once (selectors parsed, patterns compiled).
#[derive(Debug, Clone)]
pub struct ContentRules {
    pub cruft: CruftRules,
    body: Vec<Selector>,
    bullets: Vec<Selector>,
    remove: Vec<Selector>,
}

fn compile_selectors(key: &str, list: &[String]) -> Result<Vec<Selector>, ExtractError> {
    list.iter()
        .enumerate()
        .map(|(i, s)| {
            Selector::parse(s).map_err(|e| ExtractError::BadRule {
                key: format!("{key}[{i}]"),
                reason: format!("invalid CSS selector {s:?}: {e}"),
            })
        })
        .collect()
}

impl ContentRules {
    pub fn new(site: &SiteRules) -> Result<Self, ExtractError> {
        Ok(ContentRules {
            cruft: CruftRules::new(site)?,
            body: compile_selectors("body", &site.body)?,
            bullets: compile_selectors("bullets", &site.bullets)?,
            remove: compile_selectors("remove", &site.remove)?,
        })
    }
}

/// Finds the article body and its key points in a parsed document.
pub fn extract_body(doc: &Html, rules: &ContentRules) -> Body {
    let mut arena = Arena::build(doc, rules);

    // Key points first: site rules, then a list under a "Key points" heading or in a
    // highlights box. They are taken out of the tree so the body does not repeat them.
    let mut bullets = Vec::new();
    arena.site_bullets(rules, &mut bullets);
    if bullets.is_empty()
        && let Some((list, heading)) = arena.find_key_points(&rules.cruft)
    {
        bullets = arena.list_items(list, &rules.cruft);
        if !bullets.is_empty() {
            arena.remove(list);
            if let Some(h) = heading {
                arena.remove(h);
            }
        }
    }
    // After the key points: they often sit in an <aside> or a box that is removed as boilerplate.
    arena.remove_boilerplate();
    arena.remove_cruft_boxes(&rules.cruft);

    let containers = match arena.site_body() {
        Some(i) => vec![i],
        None => arena.choose_containers(),
    };

    let mut main = Emitter::new(&arena);
    for &c in &containers {
        main.node(c);
    }
    let mut blocks = main.finish();

    // A container that yields little next to the page's paragraph text is a wrong guess (the
    // article split over unrelated boxes, a scoring slip): compare with a wide extraction of all
    // paragraph-like blocks of the page and keep the better.
    let main_len: usize = text_len(&blocks);
    let page_len = arena.items.first().map_or(0, |r| r.p_text as usize);
    if arena.site_body.is_none() && (main_len * 2 < page_len || main_len < 250) {
        let mut wide = Emitter::new(&arena);
        wide.strict = true;
        wide.node(0);
        let wide_blocks = wide.finish();
        let wide_len = text_len(&wide_blocks);
        if wide_len > main_len + main_len / 2 + 100 {
            blocks = wide_blocks;
        }
    }

    if bullets.is_empty() {
        bullets = leading_summary_list(&mut blocks);
    }

    Body {
        blocks: finalize(blocks, &rules.cruft, &bullets),
        bullets,
    }
}

fn text_len(blocks: &[RawBlock]) -> usize {
    blocks
        .iter()
        .filter(|b| b.block.kind != BlockKind::Figure)
        .map(|b| b.chars)
        .sum()
}

// ---------------------------------------------------------------------------------------------
// The arena: the document flattened in document order.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    P,
    Div,
    Section,
    Article,
    Main,
    Body,
    Td,
    Tr,
    Table,
    Pre,
    Blockquote,
    Ul,
    Ol,
    Li,
    Dl,
    Dt,
    Dd,
    H(u8),
    A,
    Br,
    Img,
    Figure,
    Figcaption,
    Header,
    Footer,
    Nav,
    Aside,
    Form,
    Hr,
    /// Formatting kept in block HTML (em, strong, code, ...).
    Format(&'static str),
    /// Inline wrappers whose tags are dropped (span, font, time, ...).
    Inline,
    /// Never content: script, style, iframe, ...
    Drop,
    /// Any other element: treated as a block container.
    Other,
    Text,
}

impl Tag {
    fn of(name: &str) -> Tag {
        match name {
            "p" => Tag::P,
            "div" | "center" | "main-content" => Tag::Div,
            "section" => Tag::Section,
            "article" => Tag::Article,
            "main" => Tag::Main,
            "body" => Tag::Body,
            "td" | "th" => Tag::Td,
            "tr" => Tag::Tr,
            "table" | "tbody" | "thead" | "tfoot" => Tag::Table,
            "pre" => Tag::Pre,
            "blockquote" => Tag::Blockquote,
            "ul" => Tag::Ul,
            "ol" => Tag::Ol,
            "li" => Tag::Li,
            "dl" => Tag::Dl,
            "dt" => Tag::Dt,
            "dd" => Tag::Dd,
            "h1" => Tag::H(1),
            "h2" => Tag::H(2),
            "h3" => Tag::H(3),
            "h4" => Tag::H(4),
            "h5" => Tag::H(5),
            "h6" => Tag::H(6),
            "a" => Tag::A,
            "br" => Tag::Br,
            "img" | "amp-img" => Tag::Img,
            "figure" => Tag::Figure,
            "figcaption" => Tag::Figcaption,
            "header" => Tag::Header,
            "footer" => Tag::Footer,
            "nav" => Tag::Nav,
            "aside" => Tag::Aside,
            "form" => Tag::Form,
            "hr" => Tag::Hr,
            "em" => Tag::Format("em"),
            "i" => Tag::Format("i"),
            "strong" => Tag::Format("strong"),
            "b" => Tag::Format("b"),
            "u" => Tag::Format("u"),
            "code" => Tag::Format("code"),
            "sub" => Tag::Format("sub"),
            "sup" => Tag::Format("sup"),
            "small" => Tag::Format("small"),
            "mark" => Tag::Format("mark"),
            "q" => Tag::Format("q"),
            "cite" => Tag::Format("cite"),
            "abbr" => Tag::Format("abbr"),
            "s" | "strike" | "del" => Tag::Format("s"),
            "kbd" => Tag::Format("kbd"),
            "span" | "font" | "time" | "label" | "ins" | "tt" | "var" | "big" | "nobr" | "wbr"
            | "picture" | "data" | "bdi" | "bdo" | "dfn" | "samp" | "acronym" | "ruby" | "rb" => {
                Tag::Inline
            }
            // Ruby annotations (furigana) would double the text.
            "rt" | "rp" => Tag::Drop,
            "script" | "style" | "noscript" | "template" | "iframe" | "svg" | "math" | "button"
            | "select" | "textarea" | "input" | "object" | "embed" | "canvas" | "video"
            | "audio" | "head" | "title" | "meta" | "link" | "map" | "dialog" | "option"
            | "frameset" | "frame" | "applet" | "source" | "track" | "amp-ad" | "amp-embed"
            | "amp-analytics" | "amp-pixel" | "amp-sticky-ad" => Tag::Drop,
            _ => Tag::Other,
        }
    }

    fn is_inline(self) -> bool {
        matches!(
            self,
            Tag::A | Tag::Br | Tag::Img | Tag::Format(_) | Tag::Inline | Tag::Text
        )
    }

    /// Block tags whose own text counts as a paragraph for scoring.
    fn is_paragraph_like(self) -> bool {
        matches!(
            self,
            Tag::P
                | Tag::Pre
                | Tag::Td
                | Tag::Blockquote
                | Tag::Div
                | Tag::Section
                | Tag::Article
                | Tag::Main
                | Tag::Dd
                | Tag::Other
                | Tag::Li
        )
    }
}

/// Most commas one block can score (see `choose_containers`).
const COMMA_CAP: f32 = 8.0;

const F_REMOVED: u16 = 1;
const F_BOILER: u16 = 2;
const F_HAS_BLOCK: u16 = 4;
const F_SITE_REMOVE: u16 = 8;
const F_SITE_BODY: u16 = 16;
const F_ARTICLE_HINT: u16 = 32;
const F_BULLET_HINT: u16 = 64;
/// `itemprop="articleBody"`: the page's own statement of where the body is.
const F_BODY_PROP: u16 = 128;
/// A whitespace-only text node (not kept in the arena) came right before this element: the space
/// between `</strong> <a>` must survive in the text.
const F_SPACE_BEFORE: u16 = 256;

#[derive(Debug)]
struct Item<'a> {
    el: Option<ElementRef<'a>>,
    /// Text of a text node.
    text: &'a str,
    tag: Tag,
    flags: u16,
    parent: u32,
    /// One past the last index of this subtree.
    end: u32,
    /// Visible characters in the subtree (whitespace runs count as one).
    text_len: u32,
    /// Of which inside links.
    link_len: u32,
    commas: u32,
    /// Text directly owned by this block (its text nodes and inline descendants).
    own_text: u32,
    own_link: u32,
    own_commas: u32,
    /// Text of paragraph-like blocks in the subtree (their own text, when not link lists).
    p_text: u32,
    /// Class/id/role hint weight.
    weight: i16,
}

struct Arena<'a> {
    items: Vec<Item<'a>>,
    site_body: Option<u32>,
    site_bullets: Vec<u32>,
}

/// Counts visible characters (whitespace runs as one) and commas of a text node.
fn measure(s: &str) -> (u32, u32) {
    let mut n = 0u32;
    let mut commas = 0u32;
    let mut ws = true;
    for c in s.chars() {
        if c.is_whitespace() {
            if !ws {
                n += 1;
            }
            ws = true;
        } else {
            n += 1;
            ws = false;
            if matches!(c, ',' | '，' | '、' | '،') {
                commas += 1;
            }
        }
    }
    (n, commas)
}

fn is_hidden(el: &scraper::node::Element) -> bool {
    if el.attr("hidden").is_some() {
        return true;
    }
    if el.attr("aria-hidden") == Some("true") {
        return true;
    }
    if let Some(style) = el.attr("style")
        && (style.contains("none") || style.contains("hidden"))
    {
        let compact: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        if compact.contains("display:none") || compact.contains("visibility:hidden") {
            return true;
        }
    }
    false
}

fn is_tracking_pixel(el: &scraper::node::Element) -> bool {
    let tiny = |a: &str| {
        el.attr(a)
            .map(|v| v.trim().trim_end_matches("px"))
            .is_some_and(|v| v == "0" || v == "1")
    };
    tiny("width") && tiny("height") || (tiny("width") || tiny("height")) && el.attr("alt").is_none()
}

/// Weight of an element from its class, id and role: boilerplate tokens count against it,
/// article tokens for it. Also reports whether the element is a boilerplate candidate.
fn class_weight(el: &scraper::node::Element) -> (i16, bool, bool) {
    let mut weight = 0i16;
    let mut boiler = false;
    let mut bullet = false;
    for attr in ["class", "id"] {
        let Some(v) = el.attr(attr) else { continue };
        let mut bad = false;
        let mut neg = false;
        let mut good = false;
        let mut prev_key = false;
        for_each_token(v, |t| {
            let k = token_kind(t);
            bad |= k & TOKEN_BOILER != 0;
            neg |= k & TOKEN_NEGATE != 0;
            good |= k & TOKEN_CONTENT != 0;
            bullet |= k & TOKEN_BULLET != 0 || (prev_key && (t == "points" || t == "facts"));
            prev_key = t == "key";
        });
        if bad && !neg {
            weight -= 25;
            boiler = true;
        }
        if good {
            weight += 25;
        }
    }
    if let Some(role) = el.attr("role") {
        match role {
            "navigation" | "banner" | "contentinfo" | "complementary" | "search" | "dialog"
            | "menu" | "menubar" | "alert" | "toolbar" => {
                boiler = true;
                weight -= 25;
            }
            "main" | "article" => weight += 25,
            _ => {}
        }
    }
    if el
        .attr("itemprop")
        .is_some_and(|p| p.eq_ignore_ascii_case("articleBody"))
    {
        weight += 50;
    }
    (weight, boiler, bullet)
}

impl<'a> Arena<'a> {
    fn build(doc: &'a Html, rules: &ContentRules) -> Arena<'a> {
        let root = doc.root_element();
        let mut items: Vec<Item<'a>> = Vec::with_capacity(2048);
        let mut site_body = None;
        let mut site_bullets = Vec::new();
        let has_site =
            !(rules.remove.is_empty() && rules.body.is_empty() && rules.bullets.is_empty());

        // Iterative depth-first walk with explicit open/close so sums flow to parents on close.
        // `stack` holds the arena index of each open element; `blocks` the nearest block ancestor.
        let mut stack: Vec<u32> = Vec::with_capacity(64);
        let mut block_stack: Vec<u32> = Vec::with_capacity(64);
        let mut link_depth = 0u32;
        let mut space_pending = false;
        let mut cur = Some(*root);
        let mut descend;
        while let Some(node) = cur {
            descend = false;
            let parent = stack.last().copied().unwrap_or(u32::MAX);
            let idx = items.len() as u32;
            match node.value() {
                scraper::Node::Text(t) => {
                    let (n, commas) = measure(t);
                    space_pending = n == 0 && !t.is_empty();
                    if n > 0 && parent != u32::MAX {
                        items.push(Item {
                            el: None,
                            text: t,
                            tag: Tag::Text,
                            flags: 0,
                            parent,
                            end: idx + 1,
                            text_len: n,
                            link_len: if link_depth > 0 { n } else { 0 },
                            commas,
                            own_text: 0,
                            own_link: 0,
                            own_commas: 0,
                            p_text: 0,
                            weight: 0,
                        });
                        let p = &mut items[parent as usize];
                        p.text_len += n;
                        p.commas += commas;
                        if link_depth > 0 {
                            p.link_len += n;
                        }
                        if let Some(&b) = block_stack.last() {
                            let b = &mut items[b as usize];
                            b.own_text += n;
                            b.own_commas += commas;
                            if link_depth > 0 {
                                b.own_link += n;
                            }
                        }
                    }
                }
                scraper::Node::Element(e) => {
                    let el = ElementRef::wrap(node).expect("element node");
                    let mut tag = Tag::of(e.name());
                    let mut flags = 0u16;
                    if std::mem::take(&mut space_pending) {
                        flags |= F_SPACE_BEFORE;
                    }
                    let (weight, boiler, bullet) = class_weight(e);
                    // Class names on inline wrappers inside a paragraph are too noisy to trust
                    // (tracking and widget classes on spans around real text): only boxes go.
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
                    if e.attr("itemprop")
                        .is_some_and(|p| p.eq_ignore_ascii_case("articleBody"))
                    {
                        flags |= F_BODY_PROP;
                    }
                    if tag == Tag::Img && is_tracking_pixel(e) {
                        tag = Tag::Drop;
                    }
                    if is_hidden(e) && tag != Tag::Body && tag != Tag::Other {
                        tag = Tag::Drop;
                    }
                    if has_site {
                        if rules.remove.iter().any(|s| s.matches(&el)) {
                            flags |= F_SITE_REMOVE | F_REMOVED;
                        }
                        if site_body.is_none() && rules.body.iter().any(|s| s.matches(&el)) {
                            flags |= F_SITE_BODY;
                        }
                        if rules.bullets.iter().any(|s| s.matches(&el)) {
                            site_bullets.push(idx);
                        }
                    }
                    if parent != u32::MAX && !tag.is_inline() && tag != Tag::Drop {
                        // Mark the ancestors as holding a block (stop at the first already marked).
                        for &a in stack.iter().rev() {
                            let it = &mut items[a as usize];
                            if it.flags & F_HAS_BLOCK != 0 {
                                break;
                            }
                            it.flags |= F_HAS_BLOCK;
                        }
                    }
                    items.push(Item {
                        el: Some(el),
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
                    });
                    if flags & F_SITE_BODY != 0 && site_body.is_none() {
                        site_body = Some(idx);
                    }
                    if tag != Tag::Drop && flags & F_SITE_REMOVE == 0 && node.has_children() {
                        descend = true;
                        stack.push(idx);
                        if !tag.is_inline() {
                            block_stack.push(idx);
                        }
                        if tag == Tag::A {
                            link_depth += 1;
                        }
                    }
                }
                _ => {}
            }
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
                    if let Some(i) = stack.pop() {
                        Self::close(&mut items, i, &mut block_stack, &mut link_depth);
                    }
                    if p.id() == root.id() {
                        break;
                    }
                    n = p;
                }
                if next.is_none() {
                    while let Some(i) = stack.pop() {
                        Self::close(&mut items, i, &mut block_stack, &mut link_depth);
                    }
                }
            }
            cur = next;
        }
        Arena {
            items,
            site_body,
            site_bullets,
        }
    }

    fn close(items: &mut [Item<'a>], i: u32, block_stack: &mut Vec<u32>, link_depth: &mut u32) {
        let end = items.len() as u32;
        let it = &mut items[i as usize];
        it.end = end;
        if it.tag == Tag::A {
            *link_depth = link_depth.saturating_sub(1);
            // Text inside the link was already counted as link text by its text nodes.
        }
        if !it.tag.is_inline() {
            if block_stack.last() == Some(&i) {
                block_stack.pop();
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

    fn link_density(&self, i: u32) -> f32 {
        let it = &self.items[i as usize];
        if it.text_len == 0 {
            0.0
        } else {
            it.link_len as f32 / it.text_len as f32
        }
    }

    /// Removes boilerplate candidates (class/id tokens, nav/footer/aside/form/header) unless they
    /// hold most of the page's paragraph text: the article container itself is never removed.
    fn remove_boilerplate(&mut self) {
        let total = self.items.first().map_or(0, |r| r.p_text);
        let mut i = 0usize;
        while i < self.items.len() {
            let it = &self.items[i];
            if it.flags & F_REMOVED != 0 {
                i = it.end as usize;
                continue;
            }
            if it.flags & F_BOILER != 0
                && it.flags & (F_SITE_BODY | F_ARTICLE_HINT) == 0
                && !matches!(it.tag, Tag::Body)
                && (it.p_text as u64) * 2 <= total as u64
                && (it.p_text < 400 || (it.p_text as u64) * 4 <= total as u64)
            {
                let end = it.end as usize;
                self.remove(i as u32);
                i = end;
                continue;
            }
            i += 1;
        }
    }

    /// Removes small boxes that open with a heading naming them as boilerplate ("Why you can trust
    /// …", "… a small favour to ask", "Comments (12)", "Leggi anche"): the heading says what the
    /// whole box is, so its paragraphs go with it. A box holding a large share of the page's
    /// paragraph text is never removed this way.
    fn remove_cruft_boxes(&mut self, cruft: &CruftRules) {
        let total = self.items.first().map_or(0, |r| r.p_text);
        let mut i = 0usize;
        while i < self.items.len() {
            let it = &self.items[i];
            if it.flags & F_REMOVED != 0 {
                i = it.end as usize;
                continue;
            }
            let boxy = matches!(
                it.tag,
                Tag::Div | Tag::Section | Tag::Aside | Tag::Other | Tag::Footer
            ) && it.flags & F_SITE_BODY == 0
                && (it.p_text as u64) * 3 <= total as u64
                && it.p_text < 1500;
            if boxy
                && let Some(h) = self.first_child_element(i as u32)
                && matches!(self.items[h as usize].tag, Tag::H(2..=6))
                && cruft.is_cruft_box_heading(&self.plain_text(h))
            {
                let end = it.end as usize;
                self.remove(i as u32);
                i = end;
                continue;
            }
            i += 1;
        }
    }

    /// The first child of `i` that is an element with visible content (skipping whitespace).
    fn first_child_element(&self, i: u32) -> Option<u32> {
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
    fn remove(&mut self, i: u32) {
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

    fn children(&self, i: u32) -> Children<'_, 'a> {
        Children {
            arena: self,
            next: i + 1,
            end: self.items[i as usize].end,
        }
    }

    fn site_body(&self) -> Option<u32> {
        self.site_body
    }

    fn site_bullets(&mut self, rules: &ContentRules, out: &mut Vec<String>) {
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

    /// Plain text of a subtree, whitespace collapsed, removed parts skipped.
    fn plain_text(&self, i: u32) -> String {
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
            } else if !it.tag.is_inline() || it.tag == Tag::Br {
                space = true;
            }
            j += 1;
        }
        out.trim_end().to_string()
    }

    /// The items of a list, as plain strings, cruft dropped.
    fn list_items(&self, list: u32, cruft: &CruftRules) -> Vec<String> {
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
    fn find_key_points(&self, cruft: &CruftRules) -> Option<(u32, Option<u32>)> {
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

    /// Picks the article container(s): Readability-style scores from paragraph text, commas and
    /// class hints, propagated to ancestors, discounted by link density; then qualified siblings.
    fn choose_containers(&self) -> Vec<u32> {
        let n = self.items.len();
        let mut score = vec![f32::NAN; n];
        let init = |it: &Item| -> f32 {
            let base = match it.tag {
                Tag::Div | Tag::Article | Tag::Main | Tag::Section => 5.0,
                Tag::Pre | Tag::Td | Tag::Blockquote => 3.0,
                Tag::Ul | Tag::Ol | Tag::Dl | Tag::Dd | Tag::Dt | Tag::Li | Tag::Form => -3.0,
                Tag::H(_) => -5.0,
                _ => 0.0,
            };
            base + it.weight as f32
        };
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
                        *sc = init(a);
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
        let Some((mut top, top_score)) = best else {
            return vec![0];
        };
        // The page's own articleBody wins when it holds real text next to the scored guess.
        let is_ancestor = |a: u32, d: u32| a <= d && d < self.items[a as usize].end;
        if let Some(h) = (0..n as u32)
            .filter(|&j| {
                let it = &self.items[j as usize];
                it.flags & F_BODY_PROP != 0 && it.flags & F_REMOVED == 0
            })
            .max_by_key(|&j| self.items[j as usize].p_text)
        {
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
                    top = h;
                }
            }
        }
        // Prefer an enclosing <article>/articleBody that holds the top candidate and most of its
        // ancestors' paragraph text: the scores often peak on an inner wrapper.
        let mut p = self.items[top as usize].parent;
        let mut hops = 0;
        while p != u32::MAX && hops < 4 {
            let a = &self.items[p as usize];
            if a.flags & F_ARTICLE_HINT != 0
                && self.link_density(p) < 0.3
                && a.p_text as f32 <= self.items[top as usize].p_text as f32 * 1.6 + 200.0
            {
                top = p;
                break;
            }
            p = a.parent;
            hops += 1;
        }
        // Siblings that belong to the article too.
        let parent = self.items[top as usize].parent;
        if parent == u32::MAX {
            return vec![top];
        }
        let threshold = (top_score * 0.2).max(10.0);
        let top_class = self.items[top as usize]
            .el
            .and_then(|e| e.value().attr("class"));
        let mut out = Vec::new();
        for s in self.children(parent) {
            let it = &self.items[s as usize];
            if s == top {
                out.push(s);
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
            let ok = (!sc.is_nan() && sc + bonus >= threshold)
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

struct Children<'r, 'a> {
    arena: &'r Arena<'a>,
    next: u32,
    end: u32,
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

fn push_collapsed(out: &mut String, space: &mut bool, s: &str) {
    for c in s.chars() {
        if c.is_whitespace() {
            *space = true;
        } else {
            if *space && !out.is_empty() {
                out.push(' ');
            }
            *space = false;
            out.push(c);
        }
    }
}

/// Appends `s` escaped for HTML element content and quoted attributes (the one escaper every
/// stage that writes HTML uses).
pub(crate) fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Emitting blocks from the chosen container(s).

/// Nesting depth past which the emitter stops recursing.
const MAX_DEPTH: u32 = 400;

/// A block before the final filters, with what those filters need.
#[derive(Debug)]
struct RawBlock {
    block: Block,
    chars: usize,
    link_chars: usize,
    /// The list a list item belongs to (for the summary-list check), else `u32::MAX`.
    list: u32,
    /// The box the block sits in (parent of the element holding its text), for repeats.
    section: u32,
}

struct Emitter<'r, 'a> {
    arena: &'r Arena<'a>,
    out: Vec<RawBlock>,
    /// Recursion depth; past [`MAX_DEPTH`] a subtree is read as flat text so that absurdly deep
    /// pages cannot overflow the stack.
    depth: u32,
    /// Wide mode: only prose-like blocks (the fallback over the whole page).
    strict: bool,
    // The current run of inline content.
    text: String,
    html: String,
    space: bool,
    link_chars: usize,
    brs: u32,
    imgs: u32,
    open: Vec<&'static str>,
    kind: BlockKind,
    list: u32,
    in_link: bool,
    /// The element whose children are being read.
    holder: u32,
}

impl<'r, 'a> Emitter<'r, 'a> {
    fn new(arena: &'r Arena<'a>) -> Self {
        Emitter {
            arena,
            out: Vec::new(),
            depth: 0,
            strict: false,
            text: String::new(),
            html: String::new(),
            space: false,
            link_chars: 0,
            brs: 0,
            imgs: 0,
            open: Vec::new(),
            kind: BlockKind::Paragraph,
            list: u32::MAX,
            in_link: false,
            holder: 0,
        }
    }

    fn finish(mut self) -> Vec<RawBlock> {
        self.flush();
        self.out
    }

    /// Ends the current run as a block.
    fn flush(&mut self) {
        // Close formatting still open (a `<br><br>` split inside `<b>…</b>`).
        for t in self.open.iter().rev() {
            self.html.push_str("</");
            self.html.push_str(t);
            self.html.push('>');
        }
        let text = self.text.trim();
        if !text.is_empty() {
            let chars = text.chars().count();
            let (tag, kind) = match self.kind {
                BlockKind::ListItem => ("li", BlockKind::ListItem),
                BlockKind::Quote => ("blockquote", BlockKind::Quote),
                k => ("p", k),
            };
            let keep = !self.strict || (chars >= 60 && self.link_chars * 3 < chars) || {
                // Short prose lines in wide mode: only when they read like sentences.
                chars >= 25
                    && self.link_chars == 0
                    && text.ends_with(['.', '!', '?', ':', '"', '”'])
            };
            if keep {
                let html = if kind == BlockKind::Quote {
                    format!("<blockquote><p>{}</p></blockquote>", self.html.trim())
                } else {
                    format!("<{tag}>{}</{tag}>", self.html.trim())
                };
                self.out.push(RawBlock {
                    block: Block {
                        kind,
                        text: text.to_string(),
                        html,
                    },
                    chars,
                    link_chars: self.link_chars,
                    list: self.list,
                    section: self.section(),
                });
            }
        } else if self.imgs > 0 && !self.strict {
            self.out.push(RawBlock {
                block: Block {
                    kind: BlockKind::Figure,
                    text: String::new(),
                    html: format!("<figure>{}</figure>", self.html.trim()),
                },
                chars: 0,
                link_chars: 0,
                list: u32::MAX,
                section: self.section(),
            });
        }
        self.text.clear();
        self.html.clear();
        self.space = false;
        self.link_chars = 0;
        self.brs = 0;
        self.imgs = 0;
        for t in &self.open {
            self.html.push('<');
            self.html.push_str(t);
            self.html.push('>');
        }
    }

    fn section(&self) -> u32 {
        self.item(self.holder).parent
    }

    fn item(&self, i: u32) -> &'r Item<'a> {
        &self.arena.items[i as usize]
    }

    /// Whether a box inside the article is a link list or other junk to skip whole.
    fn is_junk(&self, i: u32) -> bool {
        let it = self.item(i);
        if it.text_len == 0 {
            return false;
        }
        let ld = self.arena.link_density(i);
        match it.tag {
            Tag::Ul | Tag::Ol | Tag::Dl => ld > 0.5,
            Tag::P | Tag::Blockquote | Tag::Pre => false,
            _ => ld > 0.5 && it.commas < 10 || ld > 0.35 && it.p_text * 4 < it.text_len,
        }
    }

    /// Emits a node and its subtree.
    fn node(&mut self, i: u32) {
        let it = self.item(i);
        if it.flags & F_REMOVED != 0 {
            return;
        }
        match it.tag {
            Tag::Drop => {}
            Tag::Text => self.inline_text(it.text),
            Tag::Br => {
                self.brs += 1;
                if self.brs >= 2 {
                    self.flush();
                } else {
                    self.html.push_str("<br>");
                    self.space = true;
                }
            }
            Tag::Img => self.img(it),
            Tag::A | Tag::Format(_) | Tag::Inline if it.flags & F_HAS_BLOCK == 0 => {
                if it.flags & F_SPACE_BEFORE != 0 {
                    self.space = true;
                    if !self.html.is_empty() && !self.html.ends_with(' ') {
                        self.html.push(' ');
                    }
                }
                self.inline(i)
            }
            Tag::H(level) => {
                self.flush();
                let prev = std::mem::replace(&mut self.kind, BlockKind::Heading);
                self.children(i);
                self.flush_heading(level);
                self.kind = prev;
            }
            Tag::Ul | Tag::Ol => {
                self.flush();
                if self.is_junk(i) {
                    return;
                }
                let prev = std::mem::replace(&mut self.kind, BlockKind::ListItem);
                let prev_list = std::mem::replace(&mut self.list, i);
                self.children(i);
                self.flush();
                self.kind = prev;
                self.list = prev_list;
            }
            Tag::Li => {
                self.flush();
                self.children(i);
                self.flush();
            }
            Tag::Blockquote => {
                self.flush();
                let prev = std::mem::replace(&mut self.kind, BlockKind::Quote);
                self.children(i);
                self.flush();
                self.kind = prev;
            }
            Tag::Pre => {
                self.flush();
                self.pre(i);
            }
            Tag::Figure => {
                self.flush();
                self.figure(i);
            }
            Tag::Figcaption => {}
            Tag::Hr => self.flush(),
            _ => {
                self.flush();
                if self.is_junk(i) {
                    return;
                }
                let prev = self.kind;
                if matches!(self.kind, BlockKind::Heading) {
                    self.kind = BlockKind::Paragraph;
                }
                self.children(i);
                self.flush();
                self.kind = prev;
            }
        }
    }

    fn children(&mut self, i: u32) {
        if self.depth > MAX_DEPTH {
            let text = self.arena.plain_text(i);
            self.inline_text(&text);
            return;
        }
        self.depth += 1;
        let prev_holder = std::mem::replace(&mut self.holder, i);
        let end = self.item(i).end;
        let mut c = i + 1;
        while c < end {
            self.node(c);
            c = self.item(c).end;
        }
        self.holder = prev_holder;
        self.depth -= 1;
    }

    fn flush_heading(&mut self, level: u8) {
        let text = self.text.trim();
        if !text.is_empty() && !self.strict {
            self.out.push(RawBlock {
                block: Block {
                    kind: BlockKind::Heading,
                    text: text.to_string(),
                    html: format!("<h{level}>{}</h{level}>", self.html.trim()),
                },
                chars: text.chars().count(),
                link_chars: self.link_chars,
                list: u32::MAX,
                section: self.section(),
            });
        }
        self.text.clear();
        self.html.clear();
        self.space = false;
        self.link_chars = 0;
        self.brs = 0;
        self.imgs = 0;
    }

    fn inline_text(&mut self, s: &str) {
        let before = self.text.len();
        push_collapsed(&mut self.text, &mut self.space, s);
        let added = self.text.len() - before;
        if added > 0 {
            self.brs = 0;
            if self.in_link {
                self.link_chars += self.text[before..].chars().count();
            }
        }
        if s.starts_with(char::is_whitespace) && !self.html.is_empty() && !self.html.ends_with(' ')
        {
            self.html.push(' ');
        }
        let t = s.split_whitespace();
        let mut first = true;
        for w in t {
            if !first {
                self.html.push(' ');
            }
            first = false;
            escape_into(&mut self.html, w);
        }
        if s.ends_with(char::is_whitespace) && added > 0 {
            self.html.push(' ');
        }
    }

    fn inline(&mut self, i: u32) {
        let it = self.item(i);
        let el = it.el.expect("inline element");
        match it.tag {
            Tag::A => {
                let href = el.value().attr("href").unwrap_or("");
                self.html.push_str("<a href=\"");
                escape_into(&mut self.html, href);
                self.html.push_str("\">");
                let prev = std::mem::replace(&mut self.in_link, true);
                self.children(i);
                self.in_link = prev;
                self.html.push_str("</a>");
            }
            Tag::Format(t) => {
                self.html.push('<');
                self.html.push_str(t);
                self.html.push('>');
                self.open.push(t);
                self.children(i);
                self.open.pop();
                self.html.push_str("</");
                self.html.push_str(t);
                self.html.push('>');
            }
            _ => self.children(i),
        }
    }

    fn img(&mut self, it: &Item<'a>) {
        let Some(el) = it.el else { return };
        let e = el.value();
        let src = e
            .attr("src")
            .filter(|s| !s.starts_with("data:"))
            .or_else(|| e.attr("data-src"))
            .or_else(|| e.attr("data-lazy-src"))
            .or_else(|| e.attr("data-original"));
        let Some(src) = src else { return };
        self.html.push_str("<img src=\"");
        escape_into(&mut self.html, src);
        self.html.push('"');
        if let Some(alt) = e.attr("alt") {
            self.html.push_str(" alt=\"");
            escape_into(&mut self.html, alt);
            self.html.push('"');
        }
        self.html.push('>');
        self.imgs += 1;
    }

    fn pre(&mut self, i: u32) {
        let arena = self.arena;
        let end = self.item(i).end as usize;
        let mut raw = String::new();
        let mut j = i as usize + 1;
        while j < end {
            let it = &arena.items[j];
            if it.flags & F_REMOVED != 0 || it.tag == Tag::Drop {
                j = it.end as usize;
                continue;
            }
            if it.tag == Tag::Text {
                raw.push_str(it.text);
            } else if it.tag == Tag::Br {
                raw.push('\n');
            }
            j += 1;
        }
        let raw = raw.trim_matches('\n');
        if raw.trim().is_empty() {
            return;
        }
        let mut html = String::from("<pre>");
        escape_into(&mut html, raw);
        html.push_str("</pre>");
        let text = raw.to_string();
        let chars = text.chars().count();
        if self.strict {
            return;
        }
        self.out.push(RawBlock {
            block: Block {
                kind: BlockKind::Preformatted,
                text,
                html,
            },
            chars,
            link_chars: 0,
            list: u32::MAX,
            section: self.section(),
        });
    }

    fn figure(&mut self, i: u32) {
        let arena = self.arena;
        let end = self.item(i).end;
        let mut caption = String::new();
        // Images first, through the inline machinery, into a scratch run.
        let saved_html = std::mem::take(&mut self.html);
        let saved_imgs = self.imgs;
        self.imgs = 0;
        let mut j = i + 1;
        while j < end {
            let it = &arena.items[j as usize];
            if it.flags & F_REMOVED != 0 || it.tag == Tag::Drop {
                j = it.end;
                continue;
            }
            match it.tag {
                Tag::Img => self.img(it),
                Tag::Figcaption => {
                    caption = arena.plain_text(j);
                    j = it.end;
                    continue;
                }
                _ => {}
            }
            j += 1;
        }
        let imgs = std::mem::replace(&mut self.html, saved_html);
        let found = self.imgs;
        self.imgs = saved_imgs;
        if found == 0 && caption.is_empty() || self.strict {
            return;
        }
        let mut html = String::from("<figure>");
        html.push_str(&imgs);
        if !caption.is_empty() {
            html.push_str("<figcaption>");
            escape_into(&mut html, &caption);
            html.push_str("</figcaption>");
        }
        html.push_str("</figure>");
        self.out.push(RawBlock {
            block: Block {
                kind: BlockKind::Figure,
                text: caption,
                html,
            },
            chars: 0,
            link_chars: 0,
            list: u32::MAX,
            section: self.section(),
        });
    }
}

/// A summary list right at the top of the body: two to six prose items from one list, before any
/// paragraph, followed by paragraphs. Taken out of the blocks and returned as bullets.
fn leading_summary_list(blocks: &mut Vec<RawBlock>) -> Vec<String> {
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

/// Most words a block before the lead may have and still be dropped as page furniture.
const PREAMBLE_MAX_WORDS: usize = 20;

/// Drops the short fragments a body often starts with before its first real paragraph: section
/// labels and kickers ("LOCAL NEWS", "Beni culturali"), timestamps ("18:15, 20 Feb 2026"), bylines
/// and datelines ("Par Hélène … – publié le …"), an unpunctuated standfirst. None of them reads as
/// prose (see [`crate::extract::is_real_paragraph`]), and the body's text starts with its lead.
/// Figures stay; nothing is dropped when no block reads as prose or a fragment is long.
pub(crate) fn drop_preamble(blocks: &mut Vec<Block>) {
    let Some(lead) = blocks.iter().position(|b| {
        !matches!(b.kind, BlockKind::Figure | BlockKind::Heading)
            && crate::extract::is_real_paragraph(&b.text)
    }) else {
        return;
    };
    // A fragment is short and holds no sentence end followed by more text: "… in the spring.
    // Details" is a sentence with a trailing link, prose that stays.
    // One that ends a sentence ("Broken bytes here.") is a short paragraph, not furniture.
    let fragment = |t: &str| {
        crate::extract::word_count(t) <= PREAMBLE_MAX_WORDS
            && !t.trim_end().ends_with(['.', '!', '?', '。', '！', '？'])
            && !{
                let t = t.trim_end().trim_end_matches(['。', '！', '？']);
                [". ", "! ", "? ", "。", "！", "？"]
                    .iter()
                    .any(|p| t.contains(p))
            }
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

/// Final filters over the emitted blocks: cruft text, captions, link-only lines, repeats, the
/// bullets themselves.
fn finalize(raw: Vec<RawBlock>, cruft: &CruftRules, bullets: &[String]) -> Vec<Block> {
    let mut seen: HashMap<String, u32> = bullets
        .iter()
        .map(|b| (b.to_lowercase(), u32::MAX))
        .collect();
    let mut out = Vec::with_capacity(raw.len());
    for r in raw {
        let b = r.block;
        if b.kind == BlockKind::Figure {
            out.push(b);
            continue;
        }
        if cruft.is_cruft_text(&b.text)
            || cruft.is_caption(&b.text)
            || cruft.is_read_also_line(&b.text, r.chars, r.link_chars)
        {
            continue;
        }
        // A line that is nothing but a link ("Related story headline").
        if b.kind != BlockKind::Heading && r.link_chars * 10 >= r.chars * 9 && r.chars < 200 {
            continue;
        }
        if b.kind != BlockKind::Preformatted {
            // Template repeats (teaser and lead, captions, a second copy of the article for
            // another screen size) are dropped: they come from another box. A long paragraph
            // repeated within the same box is the author's own repetition and stays.
            match seen.entry(b.text.to_lowercase()) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(r.section);
                }
                std::collections::hash_map::Entry::Occupied(o) => {
                    if !(r.chars > 300 && *o.get() == r.section) {
                        continue;
                    }
                }
            }
        }
        out.push(b);
    }
    // Headings left dangling at the end (a "Related" section header whose list was dropped).
    while out.last().is_some_and(|b| b.kind == BlockKind::Heading) {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(html: &str) -> Body {
        run_with(html, &SiteRules::default())
    }

    fn run_with(html: &str, site: &SiteRules) -> Body {
        let doc = Html::parse_document(html);
        let rules = ContentRules::new(site).unwrap();
        extract_body(&doc, &rules)
    }

    fn paragraphs(body: &Body) -> Vec<&str> {
        body.blocks
            .iter()
            .filter(|b| b.kind == BlockKind::Paragraph)
            .map(|b| b.text.as_str())
            .collect()
    }

    fn all_text(body: &Body) -> String {
        body.blocks
            .iter()
            .filter(|b| b.kind != BlockKind::Figure)
            .map(|b| b.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    const P1: &str = "The harbour authority confirmed on Monday that the old pier will close for repairs, a decision that fishermen, shop owners and visitors had feared for months.";
    const P2: &str = "Engineers found cracks in three of the supporting columns, according to the report, and said the work could take until the end of next summer.";
    const P3: &str = "Local businesses, which depend on the summer crowds, asked the council for help, and the mayor promised a fund to cover part of their losses.";

    fn article_page(body: &str) -> String {
        format!(
            r#"<html><head><title>T</title><script>var x = "Advertisement";</script></head><body>
            <nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li></ul></nav>
            <div class="sidebar"><h3>Most read</h3><ul><li><a href="/a">Another story about the harbour</a></li><li><a href="/b">A second story</a></li></ul></div>
            {body}
            <footer><p>Copyright Example Media. Contact us at the address below for all enquiries.</p></footer>
            </body></html>"#
        )
    }

    #[test]
    fn generic_extraction_cases() {
        struct Case {
            name: &'static str,
            body: String,
            want: Vec<&'static str>,
            absent: Vec<&'static str>,
        }
        let cases = vec![
            Case {
                name: "plain article",
                body: format!(
                    "<article><h1>Pier to close</h1><p>{P1}</p><p>{P2}</p><p>{P3}</p></article>"
                ),
                want: vec![P1, P2, P3],
                absent: vec!["Home", "Most read", "Copyright"],
            },
            Case {
                name: "inline ads split the body",
                body: format!(
                    r#"<div class="story"><p>{P1}</p><div class="ad-slot"><span>Advertisement</span><iframe src="x"></iframe></div>
                    <p>{P2}</p><p class="ad-label">ADVERTISEMENT</p><p>{P3}</p></div>"#
                ),
                want: vec![P1, P2, P3],
                absent: vec!["Advertisement", "ADVERTISEMENT"],
            },
            Case {
                name: "br-separated body",
                body: format!(r#"<div id="text">{P1}<br><br>{P2}<br/><br/>{P3}</div>"#),
                want: vec![P1, P2, P3],
                absent: vec!["Most read"],
            },
            Case {
                name: "body inside a container with a sidebar class",
                body: format!(
                    r#"<div class="has-sidebar article-ad-free"><p>{P1}</p><p>{P2}</p><p>{P3}</p></div>"#
                ),
                want: vec![P1, P2, P3],
                absent: vec![],
            },
            Case {
                name: "comments and share bar dropped",
                body: format!(
                    r#"<div class="post"><p>{P1}</p><p>{P2}</p><div class="share-bar"><a href="f">Share on Facebook</a><a href="t">Tweet</a></div><p>{P3}</p></div>
                    <div id="comments"><h3>12 comments</h3><p>Reader one says this decision is a disgrace and the council should resign, frankly.</p></div>"#
                ),
                want: vec![P1, P2, P3],
                absent: vec!["Share on Facebook", "disgrace", "12 comments"],
            },
            Case {
                name: "hidden elements and captions",
                body: format!(
                    r#"<article><p>{P1}</p><div style="display: none"><p>Hidden promo text that must never show up in the article body.</p></div>
                    <figure><img src="pier.jpg"><figcaption>The old pier at dusk. Photo: Jane Doe</figcaption></figure>
                    <p class="caption">Photo: City Archive</p><p aria-hidden="true">Screen reader hidden text here.</p><p>{P2}</p><p>{P2}</p><p>{P3}</p></article>"#
                ),
                want: vec![P1, P2, P3],
                absent: vec![
                    "Hidden promo",
                    "City Archive",
                    "Screen reader",
                    "The old pier at dusk",
                ],
            },
            Case {
                name: "reading time, timestamps and read more links",
                body: format!(
                    r#"<article><p>Reading Time: 3 minutes</p><p>{P1}</p><div class="video"><span>02:42</span></div>
                    <p><strong>READ MORE:</strong> <a href="/x">Storm closes the harbour road</a></p><p>{P2}</p><p>{P3}</p></article>"#
                ),
                want: vec![P1, P2, P3],
                absent: vec!["Reading Time", "02:42", "READ MORE", "Storm closes"],
            },
            Case {
                name: "body split across sibling divs",
                body: format!(
                    r#"<div id="main"><div class="text-block"><p>{P1}</p></div><div class="text-block"><p>{P2}</p></div><div class="text-block"><p>{P3}</p></div>
                    <div class="related"><ul><li><a href="/1">Related one</a></li><li><a href="/2">Related two</a></li></ul></div></div>"#
                ),
                want: vec![P1, P2, P3],
                absent: vec!["Related one"],
            },
        ];
        for case in cases {
            let body = run(&article_page(&case.body));
            let text = all_text(&body);
            for w in &case.want {
                assert!(text.contains(w), "{}: missing {w:?} in {text:?}", case.name);
            }
            for a in &case.absent {
                assert!(
                    !text.contains(a),
                    "{}: {a:?} should be gone from {text:?}",
                    case.name
                );
            }
            let paras = paragraphs(&body);
            assert_eq!(
                paras.iter().filter(|p| **p == P2).count(),
                1,
                "{}: P2 once in {paras:?}",
                case.name
            );
        }
    }

    #[test]
    fn figures_keep_caption_as_text_not_paragraph() {
        let body = run(&article_page(&format!(
            r#"<article><p>{P1}</p><figure><img src="a.jpg" alt="pier"><figcaption>The pier in 1920.</figcaption></figure><p>{P2}</p><img src="t.gif" width="1" height="1"></article>"#
        )));
        let fig: Vec<_> = body
            .blocks
            .iter()
            .filter(|b| b.kind == BlockKind::Figure)
            .collect();
        assert_eq!(fig.len(), 1, "{:?}", body.blocks);
        assert_eq!(fig[0].text, "The pier in 1920.");
        assert!(fig[0].html.contains("a.jpg") && !fig[0].html.contains("t.gif"));
        assert_eq!(paragraphs(&body), vec![P1, P2]);
    }

    #[test]
    fn bullets_cases() {
        let cases = [
            (
                "story highlights heading",
                format!(
                    r#"<article><h2>Story highlights</h2><ul><li>The pier closes for a year of repairs</li><li>Shops ask for help</li></ul><p>{P1}</p><p>{P2}</p><p>{P3}</p></article>"#
                ),
                vec![
                    "The pier closes for a year of repairs",
                    "Shops ask for help",
                ],
            ),
            (
                "key points in an ol inside an aside",
                format!(
                    r#"<article><aside class="box"><h3>Key points:</h3><ol><li>Cracks found in three columns</li><li>Work lasts until next summer</li><li>Mayor promises a fund</li></ol></aside><p>{P1}</p><p>{P2}</p><p>{P3}</p></article>"#
                ),
                vec![
                    "Cracks found in three columns",
                    "Work lasts until next summer",
                    "Mayor promises a fund",
                ],
            ),
            (
                "highlights class",
                format!(
                    r#"<article><div class="article-highlights"><ul><li>One point about the pier</li><li>Another point about shops</li></ul></div><p>{P1}</p><p>{P2}</p><p>{P3}</p></article>"#
                ),
                vec!["One point about the pier", "Another point about shops"],
            ),
            (
                "summary list before the body",
                format!(
                    r#"<article><ul><li>The harbour pier will close for repairs next month, officials said.</li><li>Engineers found cracks in three of its supporting columns.</li></ul><p>{P1}</p><p>{P2}</p><p>{P3}</p></article>"#
                ),
                vec![
                    "The harbour pier will close for repairs next month, officials said.",
                    "Engineers found cracks in three of its supporting columns.",
                ],
            ),
            (
                "no bullets: nav menu and mid-body list",
                format!(
                    r#"<article><p>{P1}</p><ul><li>A list item inside the body text here</li><li>Another item inside the body text</li></ul><p>{P2}</p><p>{P3}</p></article>"#
                ),
                vec![],
            ),
        ];
        for (name, html, want) in cases {
            let body = run(&article_page(&html));
            assert_eq!(body.bullets, want, "{name}");
            let text = all_text(&body);
            for b in &want {
                assert!(!text.contains(b), "{name}: bullet {b:?} repeated in body");
            }
            assert!(text.contains(P1), "{name}: body lost");
        }
    }

    #[test]
    fn site_rules_win() {
        let site = SiteRules {
            body: vec![".entry".into()],
            bullets: vec![".points li".into()],
            remove: vec![".promo-box".into()],
            ..SiteRules::default()
        };
        let html = article_page(&format!(
            r#"<div class="lots"><p>{P1}</p><p>{P2}</p><p>{P3}</p></div>
            <div class="entry"><ul class="points"><li>Point A</li><li>Point B</li></ul><p>Short entry paragraph one.</p><div class="promo-box"><p>Buy our magazine today, the best in town.</p></div></div>"#
        ));
        let body = run_with(&html, &site);
        assert_eq!(body.bullets, vec!["Point A", "Point B"]);
        assert_eq!(paragraphs(&body), vec!["Short entry paragraph one."]);
    }

    #[test]
    fn bad_selector_is_a_rule_error() {
        let site = SiteRules {
            body: vec!["div[".into()],
            ..SiteRules::default()
        };
        match ContentRules::new(&site) {
            Err(ExtractError::BadRule { key, .. }) => assert_eq!(key, "body[0]"),
            other => panic!("expected BadRule, got {other:?}"),
        }
    }

    #[test]
    fn empty_and_textless_pages_give_empty_bodies() {
        for html in [
            "",
            "<html><body></body></html>",
            "<html><body><nav><a href='/'>Home</a></nav></body></html>",
        ] {
            let body = run(html);
            assert!(paragraphs(&body).is_empty(), "{html:?}: {body:?}");
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let mut html = String::new();
        for _ in 0..20_000 {
            html.push_str("<div>");
        }
        html.push_str(P1);
        let body = run(&html);
        assert_eq!(paragraphs(&body), vec![P1]);
    }
}
