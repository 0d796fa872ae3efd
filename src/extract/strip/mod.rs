//! Before parsing: what nothing downstream reads cut out of the page — the contents of `<style>`
//! elements, of code `<script>` elements, of comments and of inline `<svg>` images — since
//! tokenizing them is a good part of a parse.
//!
//! The cut is exact by the HTML tokenizer's rules, so the parsed tree is the tree of the whole
//! page less that text and those SVG elements (the elements and comments themselves stay,
//! empty): the scan follows the tokenizer's states that decide where an element's contents end
//! — tags and their quoted attribute values, comments, doctypes and bogus comments, the RAWTEXT
//! and RCDATA elements, and script data with its escaped and double-escaped states. A
//! `<script>` whose start tag says `json` anywhere, or holds a character reference, keeps its
//! contents (JSON-LD is metadata).
//!
//! Where the tree builder, not the tokenizer, decides how later input is read, the scan stops
//! cutting and leaves the rest of the page as it is: after `<frameset>` or `<plaintext>`, at a
//! CDATA section, and in SVG or MathML at any element that can lead back into HTML (integration
//! points, the tags that break out of foreign content, an end tag that is not one of the open
//! foreign elements). The exceptions are an SVG `<title>` or `<desc>` that holds only text (its
//! text is inserted where it stands, and changes nothing outside it) and an SVG `<style>` or
//! `<script>` (in foreign content, plain elements whose contents are markup). An `<svg>` image is
//! cut only once the scan has followed it to its end tag; inside MathML nothing is cut. A
//! `<frameset>` start tag is honoured only while no text has been seen, so where one stops the
//! scan, the SVG cuts are undone (an image's text counts as text).
//!
//! Readers of element text skip these elements' contents ([`text_of`]), so what they read does
//! not depend on the cut.
//!
//! Owns: the scan and the cut. Does not own: parsing.

use std::borrow::Cow;

use scraper::ElementRef;

/// Elements whose contents the extractor never reads as text.
fn is_code(name: &str) -> bool {
    matches!(name, "script" | "style" | "svg")
}

/// The plain text of an element as the extractor reads it: its text nodes in order, less the
/// contents of `<script>`, `<style>` and `<svg>` elements inside it (which [`strip_code`] may have
/// cut).
pub(crate) fn text_of(e: &ElementRef<'_>) -> String {
    let root = **e;
    let mut out = String::new();
    let mut next = root.first_child();
    while let Some(n) = next {
        let descend = match n.value() {
            scraper::Node::Text(t) => {
                out.push_str(t);
                false
            }
            scraper::Node::Element(el) => !is_code(el.name()),
            _ => true,
        };
        next = if descend { n.first_child() } else { None };
        let mut up = n;
        while next.is_none() {
            next = up.next_sibling();
            match up.parent() {
                Some(p) if next.is_none() && p.id() != root.id() => up = p,
                _ => break,
            }
        }
    }
    out
}

/// `html` with the contents of its style and code script elements, comments and SVG images cut
/// (borrowed when there is nothing to cut).
pub(crate) fn strip_code(html: &str) -> Cow<'_, str> {
    let cuts = Scan::new(html.as_bytes()).run();
    if cuts.is_empty() {
        return Cow::Borrowed(html);
    }
    let removed: usize = cuts.iter().map(|&(a, b)| b - a).sum();
    let mut out = String::with_capacity(html.len() - removed);
    let mut at = 0;
    for (a, b) in cuts {
        // Cuts start after a `>` or `<!--` and end before a `<` or `-`: all char boundaries.
        out.push_str(&html[at..a]);
        at = b;
    }
    out.push_str(&html[at..]);
    Cow::Owned(out)
}

/// Whitespace as the tokenizer sees it (a carriage return becomes a line feed first).
fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Start tags inside SVG or MathML after which the tree builder may read HTML again, or that
/// switch the tokenizer when they are HTML elements: the scan stops there.
fn leaves_foreign(name: &[u8]) -> bool {
    const NAMES: &[&[u8]] = &[
        b"foreignobject",
        b"desc",
        b"title",
        b"mi",
        b"mo",
        b"mn",
        b"ms",
        b"mtext",
        b"annotation-xml",
        b"b",
        b"big",
        b"blockquote",
        b"body",
        b"br",
        b"center",
        b"code",
        b"dd",
        b"div",
        b"dl",
        b"dt",
        b"em",
        b"embed",
        b"h1",
        b"h2",
        b"h3",
        b"h4",
        b"h5",
        b"h6",
        b"head",
        b"hr",
        b"i",
        b"img",
        b"li",
        b"listing",
        b"menu",
        b"meta",
        b"nobr",
        b"ol",
        b"p",
        b"pre",
        b"ruby",
        b"s",
        b"small",
        b"span",
        b"strong",
        b"strike",
        b"sub",
        b"sup",
        b"table",
        b"tt",
        b"u",
        b"ul",
        b"var",
        b"font",
        b"script",
        b"style",
        b"textarea",
        b"xmp",
        b"iframe",
        b"noembed",
        b"noframes",
        b"noscript",
        b"plaintext",
        b"select",
        b"frameset",
        b"template",
        b"html",
    ];
    NAMES.contains(&name)
}

/// How the tokenizer reads an HTML element's contents after its start tag.
enum Contents {
    /// As markup.
    Markup,
    /// As text up to the matching end tag (RAWTEXT and RCDATA read alike here).
    Text,
    Script,
    /// The scan cannot follow what comes next.
    Stop,
}

fn contents(name: &[u8]) -> Contents {
    match name {
        b"script" => Contents::Script,
        b"style" | b"textarea" | b"title" | b"xmp" | b"iframe" | b"noembed" | b"noframes"
        | b"noscript" => Contents::Text,
        b"plaintext" | b"frameset" => Contents::Stop,
        _ => Contents::Markup,
    }
}

/// The scan's position and findings.
struct Scan<'a> {
    s: &'a [u8],
    i: usize,
    /// Open SVG/MathML elements, innermost last (lower-case names).
    foreign: Vec<Vec<u8>>,
    /// Where the contents of the outermost open foreign element begin (cut when it is an
    /// `<svg>` the scan follows to its end tag).
    svg_from: usize,
    cuts: Vec<(usize, usize)>,
    /// The contents of whole `<svg>` images, kept apart: a `<frameset>` undoes them.
    svg_cuts: Vec<(usize, usize)>,
}

/// A tag name in lower case, inline when short (every name the scan looks for is).
enum Name {
    Short([u8; 16], u8),
    Long(Vec<u8>),
}

impl Name {
    fn of(raw: &[u8]) -> Name {
        if raw.len() > 16 {
            return Name::Long(raw.to_ascii_lowercase());
        }
        let mut buf = [0u8; 16];
        buf[..raw.len()].copy_from_slice(raw);
        buf.make_ascii_lowercase();
        Name::Short(buf, raw.len() as u8)
    }
}

impl std::ops::Deref for Name {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Name::Short(buf, len) => &buf[..*len as usize],
            Name::Long(v) => v,
        }
    }
}

/// A tag read up to its `>`.
struct TagRead {
    name: Name,
    /// Where the start tag began (its `<`) and just past its `>`.
    start: usize,
    end: usize,
    self_closing: bool,
}

impl<'a> Scan<'a> {
    fn new(s: &'a [u8]) -> Self {
        Scan {
            s,
            i: 0,
            foreign: Vec::new(),
            svg_from: 0,
            cuts: Vec::new(),
            svg_cuts: Vec::new(),
        }
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.s.get(i).copied()
    }

    /// The cuts, in order; scanning ends at the end of input or where it cannot follow.
    fn run(mut self) -> Vec<(usize, usize)> {
        while let Some(off) = memchr(b'<', &self.s[self.i..]) {
            self.i += off;
            let at = self.i;
            if self.markup().is_none() {
                // A `<frameset>` ahead may be honoured or not by whether text came before it.
                if find_ignore_case(&self.s[at..], b"<frameset") {
                    self.svg_cuts.clear();
                }
                break;
            }
        }
        let mut cuts = self.cuts;
        cuts.append(&mut self.svg_cuts);
        cuts.sort_unstable();
        cuts
    }

    /// Reads what a `<` at `self.i` opens in the data state; `None` stops the scan.
    fn markup(&mut self) -> Option<()> {
        let i = self.i;
        match self.at(i + 1) {
            Some(b'!') => self.declaration(),
            Some(b'/') => match self.at(i + 2) {
                Some(b) if b.is_ascii_alphabetic() => {
                    let tag = self.tag(i + 2)?;
                    self.i = tag.end;
                    self.end_tag(&tag)
                }
                Some(b'>') => {
                    self.i = i + 3;
                    Some(())
                }
                _ => self.skip_past(i + 2, b'>'),
            },
            Some(b'?') => self.skip_past(i + 1, b'>'),
            Some(b) if b.is_ascii_alphabetic() => {
                let tag = self.tag(i + 1)?;
                self.i = tag.end;
                self.start_tag(tag)
            }
            _ => {
                self.i = i + 1;
                Some(())
            }
        }
    }

    /// `<!`: a comment, a CDATA section (stops the scan), or a doctype or bogus comment.
    fn declaration(&mut self) -> Option<()> {
        let rest = &self.s[self.i + 2..];
        if rest.starts_with(b"--") {
            let body = &rest[2..];
            let start = self.i + 4;
            // `<!-->` and `<!--->` end at once; else the first `-->` or `--!>` ends it.
            let end = if body.starts_with(b">") {
                start + 1
            } else if body.starts_with(b"->") {
                start + 2
            } else {
                // `--!>` counts only before the first `-->` (a search to the end of the page
                // for each comment would make the scan quadratic).
                let plain = find(body, b"-->");
                let upto = plain.map_or(body.len(), |k| k + 3);
                match find(&body[..upto], b"--!>") {
                    Some(k) => start + k + 4,
                    None => start + plain? + 3,
                }
            };
            // The text between `<!--` and the `--` that ends it (none for `<!-->`, `<!--->`);
            // inside an image, the image's own cut takes it.
            let close = end - if self.s[end - 2] == b'!' { 4 } else { 3 };
            if close > start && self.foreign.is_empty() {
                self.cuts.push((start, close));
            }
            self.i = end;
            return Some(());
        }
        if rest.starts_with(b"[CDATA[") {
            return None;
        }
        self.skip_past(self.i + 2, b'>')
    }

    fn skip_past(&mut self, from: usize, b: u8) -> Option<()> {
        self.i = from + memchr(b, &self.s[from..])? + 1;
        Some(())
    }

    fn end_tag(&mut self, tag: &TagRead) -> Option<()> {
        if self.foreign.is_empty() {
            return Some(());
        }
        let open = self.foreign.iter().rposition(|n| n[..] == tag.name[..])?;
        if open == 0 && &self.foreign[0][..] == b"svg" && tag.start > self.svg_from {
            self.svg_cuts.push((self.svg_from, tag.start));
        }
        self.foreign.truncate(open);
        Some(())
    }

    fn start_tag(&mut self, tag: TagRead) -> Option<()> {
        if !self.foreign.is_empty() {
            return self.foreign_start_tag(tag);
        }
        match contents(&tag.name) {
            Contents::Markup => {
                if matches!(&tag.name[..], b"svg" | b"math") && !tag.self_closing {
                    self.foreign.push(tag.name.to_vec());
                    self.svg_from = tag.end;
                }
                Some(())
            }
            Contents::Stop => None,
            Contents::Text => {
                let close = self.text_end(&tag.name)?;
                if &tag.name[..] == b"style" {
                    self.cuts.push((tag.end, close));
                }
                self.after_end_tag(close, tag.name.len())
            }
            Contents::Script => {
                let close = self.script_end(tag.end)?;
                let head = &self.s[tag.start..tag.end];
                let data = head.contains(&b'&') || find_ignore_case(head, b"json");
                if !data {
                    self.cuts.push((tag.end, close));
                }
                self.after_end_tag(close, tag.name.len())
            }
        }
    }

    /// A start tag inside SVG or MathML; `None` where it can lead back into HTML.
    fn foreign_start_tag(&mut self, tag: TagRead) -> Option<()> {
        let in_svg = &self.foreign[0][..] == b"svg";
        match &tag.name[..] {
            b"title" | b"desc" if in_svg && !tag.self_closing => {
                // An integration point: only text up to its end tag keeps the scan going.
                let close = self.i + memchr(b'<', &self.s[self.i..])?;
                if !(self.at(close + 1) == Some(b'/') && self.closes(close + 2, &tag.name)) {
                    return None;
                }
                return self.after_end_tag(close, tag.name.len());
            }
            b"style" | b"script" if in_svg => {}
            name if leaves_foreign(name) => return None,
            _ => {}
        }
        if !tag.self_closing {
            self.foreign.push(tag.name.to_vec());
        }
        Some(())
    }

    /// Reads the rest of the end tag whose `</name` starts at `close`.
    fn after_end_tag(&mut self, close: usize, name_len: usize) -> Option<()> {
        let (end, _) = self.attributes(close + 2 + name_len)?;
        self.i = end;
        Some(())
    }

    /// Where the appropriate end tag of a RAWTEXT/RCDATA element `name` starts (its `<`).
    fn text_end(&self, name: &[u8]) -> Option<usize> {
        let mut i = self.i;
        loop {
            let k = i + find(&self.s[i..], b"</")?;
            if self.closes(k + 2, name) {
                return Some(k);
            }
            i = k + 2;
        }
    }

    /// Whether `name` (case-insensitively) starts at `at` and ends there as a tag name does.
    fn closes(&self, at: usize, name: &[u8]) -> bool {
        let Some(got) = self.s.get(at..at + name.len()) else {
            return false;
        };
        got.eq_ignore_ascii_case(name)
            && self
                .at(at + name.len())
                .is_some_and(|b| is_space(b) || b == b'/' || b == b'>')
    }

    /// The tag whose name starts at `at` (after `<` or `</`), read up to its `>`.
    fn tag(&self, at: usize) -> Option<TagRead> {
        let len = self.s[at..].iter().position(|&b| ends(b, TAG_NAME_END))?;
        let name = Name::of(&self.s[at..at + len]);
        let (end, self_closing) = self.attributes(at + len)?;
        Some(TagRead {
            name,
            start: self.i,
            end,
            self_closing,
        })
    }

    /// From the end of a tag name: the attributes read as the tokenizer reads them; returns the
    /// position just past the tag's `>` and whether the tag is self-closing.
    fn attributes(&self, mut i: usize) -> Option<(usize, bool)> {
        let s = self.s;
        loop {
            // Before an attribute name: also where a quoted value, an unquoted one and a `/`
            // that is not followed by `>` go on.
            let b = *s.get(i)?;
            i += 1;
            match b {
                b'>' => return Some((i, false)),
                b'/' if *s.get(i)? == b'>' => return Some((i + 1, true)),
                b'/' => continue,
                _ if is_space(b) => continue,
                // The name's first byte, `=` included.
                _ => {}
            }
            i += s[i..].iter().position(|&b| ends(b, NAME_END))?;
            // After the name: a `/`, a `>` and the next name are read as before a name.
            i += s[i..].iter().position(|&b| !is_space(b))?;
            if s[i] != b'=' {
                continue;
            }
            i += 1;
            i += s[i..].iter().position(|&b| !is_space(b))?;
            match s[i] {
                q @ (b'"' | b'\'') => i += 1 + memchr(q, &s[i + 1..])? + 1,
                b'>' => return Some((i + 1, false)),
                _ => i += s[i..].iter().position(|&b| ends(b, VALUE_END))?,
            }
        }
    }
}

/// Byte classes of the tag states, for [`ends`]: whitespace, `/`, `=` and `>`.
const SPACE: u8 = 1;
const SLASH: u8 = 2;
const EQUALS: u8 = 4;
const GREATER: u8 = 8;
/// What ends a tag name, an attribute name, and an unquoted attribute value.
const TAG_NAME_END: u8 = SPACE | SLASH | GREATER;
const NAME_END: u8 = TAG_NAME_END | EQUALS;
const VALUE_END: u8 = SPACE | GREATER;

/// Whether `b` is in one of the classes of `mask`.
fn ends(b: u8, mask: u8) -> bool {
    const CLASSES: [u8; 256] = {
        let mut t = [0u8; 256];
        t[b'\t' as usize] = SPACE;
        t[b'\n' as usize] = SPACE;
        t[0x0c] = SPACE;
        t[b'\r' as usize] = SPACE;
        t[b' ' as usize] = SPACE;
        t[b'/' as usize] = SLASH;
        t[b'=' as usize] = EQUALS;
        t[b'>' as usize] = GREATER;
        t
    };
    CLASSES[b as usize] & mask != 0
}

fn memchr(b: u8, s: &[u8]) -> Option<usize> {
    memchr::memchr(b, s)
}

/// The first occurrence of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

fn find_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

mod script;

#[cfg(test)]
mod tests;
