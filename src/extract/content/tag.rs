//! What one element is, read from its name and attributes alone: its [`Tag`] kind (block,
//! inline, formatting, dropped), whether it is hidden or a tracking pixel, and the weight its
//! class, id and role give it. Owns no tree and no text: the arena asks this per element.

use crate::extract::cruft::{
    TOKEN_BOILER, TOKEN_BULLET, TOKEN_CONTENT, TOKEN_DEK, TOKEN_HIDDEN, TOKEN_NEGATE,
    for_each_token, is_hidden_class, token_kind,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tag {
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
    pub(super) fn of(name: &str) -> Tag {
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
            // A formula (MathML) reads as its symbols, inline with the sentence around it.
            "math" | "mi" | "mn" | "mo" | "ms" | "mtext" | "mrow" | "msup" | "msub" | "msubsup"
            | "mfrac" | "msqrt" | "mroot" | "mover" | "munder" | "munderover" | "mtable"
            | "mtr" | "mtd" | "mlabeledtr" | "mstyle" | "mpadded" | "menclose" | "mfenced"
            | "mspace" | "semantics" | "mmultiscripts" | "mprescripts" => Tag::Inline,
            // Ruby annotations (furigana) would double the text, and so would a formula's
            // source kept beside it; a phantom is invisible spacing.
            "rt" | "rp" | "annotation" | "annotation-xml" | "mphantom" => Tag::Drop,
            "script" | "style" | "noscript" | "template" | "iframe" | "svg" | "button"
            | "select" | "textarea" | "input" | "object" | "embed" | "canvas" | "video"
            | "audio" | "head" | "title" | "meta" | "link" | "map" | "dialog" | "option"
            | "frameset" | "frame" | "applet" | "source" | "track" | "amp-ad" | "amp-embed"
            | "amp-analytics" | "amp-pixel" | "amp-sticky-ad" => Tag::Drop,
            _ => Tag::Other,
        }
    }

    pub(super) fn is_inline(self) -> bool {
        matches!(
            self,
            Tag::A | Tag::Br | Tag::Img | Tag::Format(_) | Tag::Inline | Tag::Text
        )
    }

    /// Block tags whose own text counts as a paragraph for scoring.
    pub(super) fn is_paragraph_like(self) -> bool {
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

/// The attributes the per-element checks read, found in one pass over the element's attribute
/// list. `scraper`'s `attr` interns the name and binary-searches on every call and its `classes`
/// interns every class name; this runs on every element of every page, so it does neither.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Attrs<'a> {
    pub(super) class: Option<&'a str>,
    pub(super) id: Option<&'a str>,
    pub(super) role: Option<&'a str>,
    pub(super) itemprop: Option<&'a str>,
    pub(super) style: Option<&'a str>,
    pub(super) aria_hidden: Option<&'a str>,
    pub(super) hidden: bool,
    pub(super) width: Option<&'a str>,
    pub(super) height: Option<&'a str>,
    pub(super) alt: bool,
    pub(super) href: Option<&'a str>,
}

impl<'a> Attrs<'a> {
    pub(super) fn of(el: &'a scraper::node::Element) -> Self {
        let mut a = Attrs::default();
        for (name, value) in &el.attrs {
            // Plain HTML attributes only, as `Element::attr` looks them up.
            if name.prefix.is_some() || !name.ns.is_empty() {
                continue;
            }
            let value: &'a str = value;
            match &*name.local {
                "class" => a.class = Some(value),
                "id" => a.id = Some(value),
                "role" => a.role = Some(value),
                "itemprop" => a.itemprop = Some(value),
                "style" => a.style = Some(value),
                "aria-hidden" => a.aria_hidden = Some(value),
                "hidden" => a.hidden = true,
                "width" => a.width = Some(value),
                "height" => a.height = Some(value),
                "alt" => a.alt = true,
                "href" => a.href = Some(value),
                _ => {}
            }
        }
        a
    }
}

/// Whether an element is hidden from sighted readers: the `hidden` attribute, `aria-hidden`,
/// an inline `display:none`/`visibility:hidden`, or a hiding class (`sr-only`, `visually-hidden`,
/// ... in `rules/cruft.toml`; its [`ClassHints::hiding_class`]).
pub(super) fn is_hidden(el: &Attrs<'_>, hints: &ClassHints) -> bool {
    if el.hidden || hints.hiding_class {
        return true;
    }
    if el.aria_hidden == Some("true") {
        return true;
    }
    if let Some(style) = el.style
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

/// Whether a link runs a script instead of leading anywhere (`href="javascript:…"`) and wraps
/// whole blocks: a click handler around the story's paragraphs (an expandable article, a "tap to
/// read on" wrapper). Their text is the page's own, not a pointer elsewhere, so the link is read
/// as a plain wrapper. A script link around a few words ("back", "print"), or around a byline
/// after an empty spacer box, stays a link.
pub(super) fn is_script_wrapper(el: scraper::ElementRef, attrs: &Attrs) -> bool {
    let script = attrs.href.is_some_and(|h| {
        let h = h.trim_start().as_bytes();
        h.len() >= 11 && h[..11].eq_ignore_ascii_case(b"javascript:")
    });
    script
        && el.descendants().any(|n| {
            // Code is not text (and its contents may be cut before parsing).
            n.value().as_element().is_some_and(|e| {
                !Tag::of(e.name()).is_inline() && !matches!(e.name(), "script" | "style")
            }) && scraper::ElementRef::wrap(n)
                .is_some_and(|b| !crate::extract::strip::text_of(&b).trim().is_empty())
        })
}

pub(super) fn is_tracking_pixel(el: &Attrs) -> bool {
    let tiny = |a: Option<&str>| {
        a.map(|v| v.trim().trim_end_matches("px"))
            .is_some_and(|v| v == "0" || v == "1")
    };
    let (w, h) = (tiny(el.width), tiny(el.height));
    w && h || (w || h) && !el.alt
}

/// What an element's class, id and role say about it.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct ClassHints {
    /// Boilerplate tokens count against it, article tokens for it.
    pub(super) weight: i16,
    /// A boilerplate candidate.
    pub(super) boiler: bool,
    /// A key-points box.
    pub(super) bullet: bool,
    /// The page's summary line (dek, standfirst, subtitle).
    pub(super) dek: bool,
    /// A hover card: hidden until pointed at.
    pub(super) hidden: bool,
    /// One of its class names hides it (`sr-only`, ...: see [`is_hidden`]).
    pub(super) hiding_class: bool,
}

/// What one class or id value says (the `V_*` bits), read once per distinct value of a document:
/// pages repeat the same few class strings on most of their elements.
const V_BOILER: u8 = 1;
const V_CONTENT: u8 = 2;
const V_BULLET: u8 = 4;
const V_DEK: u8 = 8;
const V_HOVER: u8 = 16;
/// One of the value's whitespace-separated class names hides its element.
const V_HIDING_CLASS: u8 = 32;

/// The `V_*` bits of each class and id value met so far in one document.
#[derive(Debug)]
pub(super) struct HintCache<'a> {
    seen: std::collections::HashMap<&'a str, u8, std::hash::BuildHasherDefault<WordHash>>,
}

/// A multiply-rotate hash taking eight bytes at a time: every class and id value of a page is
/// hashed here (values run to dozens of bytes), where SipHash was a tenth of finding the body. The
/// keys are the page's own strings; a page crafted to collide costs itself some time, nothing more.
#[derive(Default)]
pub(super) struct WordHash(u64);

impl std::hash::Hasher for WordHash {
    fn finish(&self) -> u64 {
        // The table takes its bucket from the low bits, which the multiply fills only from the
        // low bits of the input: fold the high half down first.
        let h = self.0 ^ (self.0 >> 32);
        h.wrapping_mul(0x94d0_49bb_1331_11eb) ^ (h >> 29)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.mix(u64::from_le_bytes(c.try_into().unwrap_or_default()));
        }
        let tail = chunks.remainder();
        if !tail.is_empty() {
            let mut word = [0u8; 8];
            word[..tail.len()].copy_from_slice(tail);
            self.mix(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, b: u8) {
        self.mix(u64::from(b));
    }
}

impl WordHash {
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl<'a> HintCache<'a> {
    /// An empty cache with room for the distinct values of a typical page.
    pub(super) fn new() -> Self {
        HintCache {
            seen: std::collections::HashMap::with_capacity_and_hasher(256, Default::default()),
        }
    }

    fn value(&mut self, v: &'a str) -> u8 {
        *self.seen.entry(v).or_insert_with(|| value_hints(v))
    }
}

/// The `V_*` bits of one class or id value, from its tokens and its class names.
fn value_hints(v: &str) -> u8 {
    let mut bad = false;
    let mut neg = false;
    let mut bits = 0u8;
    let mut prev_key = false;
    for_each_token(v, |t| {
        let k = token_kind(t);
        bad |= k & TOKEN_BOILER != 0;
        neg |= k & TOKEN_NEGATE != 0;
        if k & TOKEN_CONTENT != 0 {
            bits |= V_CONTENT;
        }
        if k & TOKEN_BULLET != 0 || (prev_key && (t == "points" || t == "facts")) {
            bits |= V_BULLET;
        }
        if k & TOKEN_DEK != 0 {
            bits |= V_DEK;
        }
        if k & TOKEN_HIDDEN != 0 {
            bits |= V_HOVER;
        }
        prev_key = t == "key";
    });
    if bad && !neg {
        bits |= V_BOILER;
    }
    if v.split_ascii_whitespace().any(is_hidden_class) {
        bits |= V_HIDING_CLASS;
    }
    bits
}

/// The hints an element's class, id and role give it (see [`ClassHints`]).
pub(super) fn class_weight<'a>(el: &Attrs<'a>, cache: &mut HintCache<'a>) -> ClassHints {
    let mut weight = 0i16;
    let mut boiler = false;
    let mut bullet = false;
    let mut dek = false;
    let mut hidden = false;
    let mut hiding_class = false;
    for (v, is_class) in [(el.class, true), (el.id, false)] {
        let Some(v) = v else { continue };
        let bits = cache.value(v);
        hiding_class |= is_class && bits & V_HIDING_CLASS != 0;
        if bits & V_BOILER != 0 {
            weight -= 25;
            boiler = true;
        }
        if bits & V_CONTENT != 0 {
            weight += 25;
        }
        // A summary of something else (`rating-summary`, `related-highlights`) is no key-points box.
        bullet |= bits & V_BULLET != 0 && bits & V_BOILER == 0;
        dek |= bits & V_DEK != 0;
        hidden |= bits & V_HOVER != 0;
    }
    if let Some(role) = el.role {
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
        .itemprop
        .is_some_and(|p| p.eq_ignore_ascii_case("articleBody"))
    {
        weight += 50;
    }
    ClassHints {
        weight,
        boiler,
        bullet,
        dek,
        hidden,
        hiding_class,
    }
}
