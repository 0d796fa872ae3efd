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

mod dek;
mod emit;
mod fallback;
mod filter;
mod keypoints;
mod prune;
mod repeats;
mod score;
mod tag;
mod text;
mod tree;

use scraper::{Html, Selector};

use crate::extract::ExtractError;
use crate::extract::SiteRules;
use crate::extract::cruft::CruftRules;
use emit::{Emitter, RawBlock};
pub(crate) use fallback::declared_body;
pub(crate) use filter::drop_preamble;
use filter::finalize;
use keypoints::{leading_heading_run, leading_summary_list};
use tree::Arena;

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
    /// The page's own summary line under the headline (dek, standfirst, subtitle), when it has one.
    pub dek: Option<String>,
    /// A site rule's body selector matched.
    pub site_body: bool,
}

/// Site rules and built-in cruft rules compiled once (selectors parsed, patterns compiled).
#[derive(Debug, Clone)]
pub struct ContentRules {
    pub cruft: CruftRules,
    body: Vec<Selector>,
    bullets: Vec<Selector>,
    remove: Vec<Selector>,
    /// Boxes inside a site rule's body are removed (a rule's `prune: no` turns this off).
    prune: bool,
    /// See [`HostExtras::body_from_files`](crate::extract::HostExtras::body_from_files).
    guard_body: bool,
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
            prune: site.host.prune != Some(false),
            guard_body: site.host.body_from_files,
        })
    }

    /// Whether the site rules name the body.
    pub fn has_body_rule(&self) -> bool {
        !self.body.is_empty()
    }
}

/// Finds the article body, its key points and its dek in a parsed document; `descriptions` are
/// the page's declared summaries (see [`crate::extract::meta::Meta::descriptions`]).
pub fn extract_body(doc: &Html, rules: &ContentRules, descriptions: &[String]) -> Body {
    let mut arena = Arena::build(doc, rules);

    // Key points first: site rules, then a list under a "Key points" heading or in a
    // highlights box. They are taken out of the tree so the body does not repeat them.
    let mut bullets = Vec::new();
    arena.site_bullets(rules, &mut bullets);
    // Pruning is skipped inside a site's own body unless its rules ask for it.
    let prune = rules.prune || arena.site_body().is_none();
    // Boxes a heading names as cruft (a table of contents, related links) go before the key
    // points are looked for: their lists are not key points.
    if prune {
        arena.remove_cruft_boxes(&rules.cruft);
    }
    if bullets.is_empty()
        && let Some((points, found)) = arena.find_key_points(&rules.cruft)
    {
        bullets = points;
        for i in found {
            arena.remove(i);
        }
    }
    // The dek often sits in the article's header, which goes as boilerplate next. When the body
    // container holds it too it stays there (the page shows it above the story), but the summary
    // never takes it for the lead.
    let dek = arena.find_dek(descriptions).map(|(_, text)| text);
    // Boilerplate after the key points: they often sit in an <aside> or a box removed as such.
    if prune {
        arena.remove_boilerplate();
    }

    let (mut blocks, site_body) = body_blocks(&arena, rules.guard_body);

    if bullets.is_empty() {
        bullets = leading_summary_list(&mut blocks);
    }
    if bullets.is_empty() {
        bullets = leading_heading_run(&mut blocks);
    }

    Body {
        blocks: finalize(blocks, &rules.cruft, &bullets),
        bullets,
        dek,
        site_body,
    }
}

/// The body's blocks, and whether they are the site rule's. With `guard`, a rule's body that
/// holds less than a third of the text the generic extraction finds (a rule gone stale, or one
/// naming a part of the article) is not taken: the generic body is, and the rule counts as missed.
fn body_blocks(arena: &Arena<'_>, guard: bool) -> (Vec<RawBlock>, bool) {
    if arena.site_bodies.is_empty() {
        return (generic_blocks(arena), false);
    }
    let mut main = Emitter::new(arena);
    for &c in &arena.site_bodies {
        main.node(c);
    }
    let ruled = main.finish();
    if !guard {
        return (ruled, true);
    }
    let generic = generic_blocks(arena);
    if text_len(&ruled) * 3 < text_len(&generic) {
        return (generic, false);
    }
    (ruled, true)
}

/// The body found without site rules: the best-scoring containers, or a wide extraction of the
/// page's paragraph-like blocks when those yield little.
fn generic_blocks(arena: &Arena<'_>) -> Vec<RawBlock> {
    let mut main = Emitter::new(arena);
    for c in arena.choose_containers() {
        main.node(c);
    }
    let blocks = main.finish();
    // A container that yields little next to the page's paragraph text is a wrong guess (the
    // article split over unrelated boxes, a scoring slip): compare with a wide extraction of all
    // paragraph-like blocks of the page and keep the better.
    let main_len: usize = text_len(&blocks);
    let page_len = arena.items.first().map_or(0, |r| r.p_text as usize);
    if main_len * 2 < page_len || main_len < 250 {
        let mut wide = Emitter::new(arena);
        wide.strict = true;
        wide.node(0);
        let wide_blocks = wide.finish();
        if text_len(&wide_blocks) > main_len + main_len / 2 + 100 {
            return wide_blocks;
        }
    }
    blocks
}

fn text_len(blocks: &[RawBlock]) -> usize {
    blocks
        .iter()
        .filter(|b| b.block.kind != BlockKind::Figure)
        .map(|b| b.chars)
        .sum()
}

/// Appends `s` escaped for HTML element content and quoted attributes (the one escaper every
/// stage that writes HTML uses).
pub(crate) fn escape_into(out: &mut String, s: &str) {
    // The five characters are ASCII, so a byte scan finds them and the runs between them are
    // copied whole.
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&s[run..i]);
        out.push_str(entity);
        run = i + 1;
    }
    out.push_str(&s[run..]);
}

#[cfg(test)]
mod tests;
