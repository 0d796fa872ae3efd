//! Emitting blocks from the chosen container(s): a walk over the arena that turns paragraphs,
//! headings, lists, quotes, preformatted text and figures into [`Block`]s with their plain text
//! and their (not yet sanitized) HTML. Owns the block shapes; the choice of container and the
//! final filters are elsewhere.

use super::tag::Tag;
use super::text::{Pieces, push_collapsed};
use super::tree::{Arena, F_HAS_BLOCK, F_REMOVED, F_SPACE_BEFORE, Item};
use super::{Block, BlockKind, escape_into};

/// Characters from which a sentence-ending line before a single `<br>` is a paragraph of its own.
const BR_PARAGRAPH: usize = 80;

/// Nesting depth past which the emitter stops recursing.
const MAX_DEPTH: u32 = 400;

/// A block before the final filters, with what those filters need.
#[derive(Debug)]
pub(super) struct RawBlock {
    pub(super) block: Block,
    pub(super) chars: usize,
    pub(super) link_chars: usize,
    /// The list a list item belongs to (for the summary-list check), else `u32::MAX`.
    pub(super) list: u32,
    /// The box the block sits in (parent of the element holding its text), for repeats.
    pub(super) section: u32,
    /// The block is one cell of a table row (a cell holding no blocks of its own): in a data
    /// table a cell that is all link is a value (a title, a name), not a pointer elsewhere.
    pub(super) cell: bool,
}

pub(super) struct Emitter<'r, 'a> {
    arena: &'r Arena<'a>,
    out: Vec<RawBlock>,
    /// Recursion depth; past [`MAX_DEPTH`] a subtree is read as flat text so that absurdly deep
    /// pages cannot overflow the stack.
    depth: u32,
    /// Wide mode: only prose-like blocks (the fallback over the whole page).
    pub(super) strict: bool,
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
    pub(super) fn new(arena: &'r Arena<'a>) -> Self {
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

    pub(super) fn finish(mut self) -> Vec<RawBlock> {
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
                    cell: self.is_table_row(self.holder),
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
                cell: false,
            });
        }
        self.reset_run();
        for t in &self.open {
            self.html.push('<');
            self.html.push_str(t);
            self.html.push('>');
        }
    }

    /// Empties the current run of inline content.
    fn reset_run(&mut self) {
        self.text.clear();
        self.html.clear();
        self.space = false;
        self.link_chars = 0;
        self.brs = 0;
        self.imgs = 0;
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
            // A data row or cell (a film's title, a team's name): the table is judged as a whole.
            Tag::Tr if self.is_table_row(i) => false,
            Tag::Td if it.flags & F_HAS_BLOCK == 0 && self.is_table_row(it.parent) => false,
            _ => ld > 0.5 && it.commas < 10 || ld > 0.35 && it.p_text * 4 < it.text_len,
        }
    }

    /// Whether `i` is a row of a data table: a `<tr>` of two cells or more (a lone cell across
    /// the row is a layout table's band: a menu, a masthead).
    fn is_table_row(&self, i: u32) -> bool {
        i != u32::MAX
            && self.item(i).tag == Tag::Tr
            && self
                .arena
                .children(i)
                .filter(|&c| self.item(c).tag == Tag::Td)
                .nth(1)
                .is_some()
    }

    /// Emits a node and its subtree.
    pub(super) fn node(&mut self, i: u32) {
        let it = self.item(i);
        if it.flags & F_REMOVED != 0 {
            return;
        }
        match it.tag {
            Tag::Drop | Tag::Figcaption => {}
            Tag::Text => self.inline_text(it.text),
            Tag::Br => self.br(),
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
            Tag::Ul | Tag::Ol => self.list(i),
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
            Tag::Hr => self.flush(),
            _ => self.container(i),
        }
    }

    /// A `<br>`: a line break inside the run; the second in a row ends the block, and so does one
    /// after a whole sentence of some length (bare text split into paragraphs by single breaks).
    /// Short lines (an address, a verse) stay together.
    fn br(&mut self) {
        self.brs += 1;
        if self.brs >= 2 || self.ends_paragraph() {
            self.flush();
        } else {
            self.html.push_str("<br>");
            self.space = true;
        }
    }

    /// Whether the run so far is a paragraph of its own: a sentence-ending line of some length.
    fn ends_paragraph(&self) -> bool {
        let text = self.text.trim_end();
        text.len() >= BR_PARAGRAPH
            && text.ends_with(['.', '!', '?', '"', '”', '。', '！', '？'])
            && text.chars().count() >= BR_PARAGRAPH
    }

    /// A list: its items become list-item blocks, unless the list is a link list.
    fn list(&mut self, i: u32) {
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

    /// Any other block element: a box whose children are read (a heading inside it no longer
    /// makes its text a heading), unless the box is junk.
    fn container(&mut self, i: u32) {
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
                cell: false,
            });
        }
        self.reset_run();
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
        // The words as the page has them, invisible characters and all, one space between.
        for (k, piece) in Pieces::new(s, false).enumerate() {
            if k > 0 {
                self.html.push(' ');
            }
            escape_into(&mut self.html, piece);
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
            cell: false,
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
            cell: false,
        });
    }
}
