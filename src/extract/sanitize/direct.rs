//! The sanitizer's direct path: markup in the narrow shape the body engine writes (flat blocks of
//! allowed tags, inline formatting inside them, `<a href>` and `<img src alt>` only, text escaped
//! with the five entities) is written out again exactly as the allow-list pass would write it —
//! same URL checks, same tracking-parameter removal, same `rel`, same escaping — without parsing
//! it into a DOM and serializing that DOM again.
//!
//! The shape is checked, not assumed: any tag, attribute, entity, nesting or character outside it
//! (where an HTML parser could restructure the markup, or where the allow-list pass would see
//! something this path does not model) makes [`clean`] answer `None`, and the caller runs the full
//! pass. So this path never decides what is safe on its own: it only skips the parse when the
//! outcome of the parse is known.
//!
//! Owns: the shape check and the re-writing. Does not own: the allow-list or the URL rules (the
//! parent module's).

use std::collections::HashSet;

use url::Url;

use super::{LINK_REL, allowed_url};

/// Tags the body engine writes as blocks; all but `p` (inside a quote) and `figcaption` (inside a
/// figure) only at the top level, where opening them closes nothing.
const BLOCKS: &[&str] = &[
    "p",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
];

/// Inline formatting the body engine writes (all on the allow-list, none with attributes).
const INLINE: &[&str] = &[
    "em", "i", "strong", "b", "u", "code", "sub", "sup", "small", "mark", "q", "cite", "abbr", "s",
    "kbd",
];

/// The markup sanitized as the allow-list pass would sanitize it, or `None` when `html` is not in
/// the shape this path knows (the caller then runs the full pass).
pub(super) fn clean(html: &str, base: Option<&Url>, schemes: &HashSet<&str>) -> Option<String> {
    // The parser drops a leading byte-order mark, turns carriage returns into line feeds and
    // drops NULs from text: markup with any of them goes the long way.
    if html.starts_with('\u{FEFF}') || memchr::memchr2(b'\r', 0, html.as_bytes()).is_some() {
        return None;
    }
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut stack: Vec<&str> = Vec::with_capacity(8);
    let mut rest = html;
    while !rest.is_empty() {
        let Some(lt) = memchr::memchr(b'<', rest.as_bytes()) else {
            text(&mut out, rest)?;
            break;
        };
        text(&mut out, &rest[..lt])?;
        rest = &rest[lt..];
        let gt = memchr::memchr(b'>', rest.as_bytes())?;
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            if stack.pop() != Some(name) {
                return None;
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        } else {
            start_tag(&mut out, &mut stack, tag, (base, schemes))?;
            // The parser drops a line feed right after `<pre>`.
            if tag == "pre" && rest.starts_with('\n') {
                return None;
            }
        }
    }
    stack.is_empty().then_some(out)
}

/// Text between tags (never holding a `<`: it ends at the next one), written as decoding the five
/// entities and escaping the result as the serializer escapes text would write it, in one pass:
/// the entities of `&`, `<` and `>` stay, those of `"` and `'` become the characters, a bare `>`
/// and a no-break space become entities. `None` on any other `&`.
fn text(out: &mut String, raw: &str) -> Option<()> {
    let bytes = raw.as_bytes();
    let (mut run, mut from) = (0, 0);
    while let Some(at) = memchr::memchr3(b'&', b'>', 0xC2, &bytes[from..]).map(|i| from + i) {
        from = at + 1;
        let (written, len) = match bytes[at] {
            b'>' => ("&gt;", 1),
            // U+00A0 in UTF-8; another character starting with 0xC2 is text like any other.
            0xC2 if bytes.get(at + 1) == Some(&0xA0) => ("&nbsp;", 2),
            0xC2 => continue,
            _ => TEXT_ENTITIES
                .iter()
                .find(|(entity, _)| raw[at..].starts_with(entity))
                .map(|(entity, written)| (*written, entity.len()))?,
        };
        out.push_str(&raw[run..at]);
        out.push_str(written);
        run = at + len;
        from = run;
    }
    out.push_str(&raw[run..]);
    Some(())
}

/// The five entities the body engine writes in text, and what escaping their characters again
/// writes in their place.
const TEXT_ENTITIES: [(&str, &str); 5] = [
    ("&amp;", "&amp;"),
    ("&lt;", "&lt;"),
    ("&gt;", "&gt;"),
    ("&quot;", "\""),
    ("&#39;", "'"),
];

/// An opening tag (its name and attributes, without `<` and `>`), checked against the shape and
/// written out with its attributes sanitized.
fn start_tag<'h>(
    out: &mut String,
    stack: &mut Vec<&'h str>,
    tag: &'h str,
    (base, schemes): (Option<&Url>, &HashSet<&str>),
) -> Option<()> {
    let (name, attrs) = tag.split_once(' ').unwrap_or((tag, ""));
    if !placement_ok(stack, name) {
        return None;
    }
    let allowed: &[&str] = match name {
        "a" => &["href"],
        "img" => &["src", "alt"],
        _ if name == "br" || BLOCKS.contains(&name) || INLINE.contains(&name) => &[],
        _ => return None,
    };
    out.push('<');
    out.push_str(name);
    let mut seen: Vec<&str> = Vec::with_capacity(2);
    let mut rest = attrs;
    while !rest.is_empty() {
        let (attr, value, after) = attribute(rest)?;
        if !allowed.contains(&attr) || seen.contains(&attr) {
            return None;
        }
        seen.push(attr);
        rest = after.strip_prefix(' ').unwrap_or(after);
        if !after.is_empty() && !after.starts_with(' ') {
            return None;
        }
        let value = decode(value)?;
        let value = if matches!(attr, "href" | "src") {
            match allowed_url(&value, base, schemes) {
                Some(v) => std::borrow::Cow::Owned(v),
                None => continue,
            }
        } else {
            value
        };
        out.push(' ');
        out.push_str(attr);
        out.push_str("=\"");
        escape(out, &value, true);
        out.push('"');
    }
    if name == "a" {
        out.push_str(" rel=\"");
        out.push_str(LINK_REL);
        out.push('"');
    }
    out.push('>');
    if name != "img" && name != "br" {
        stack.push(name);
    }
    Some(())
}

/// Whether opening `name` with `stack` open leaves the parser's tree as the markup reads: blocks
/// at the top level only (a paragraph also inside a quote, a caption inside a figure), and no
/// link inside a link.
fn placement_ok(stack: &[&str], name: &str) -> bool {
    match name {
        "p" => stack.is_empty() || stack == ["blockquote"],
        "figcaption" => stack == ["figure"],
        "a" => !stack.contains(&"a"),
        _ if BLOCKS.contains(&name) => stack.is_empty(),
        _ => true,
    }
}

/// One `name="value"` at the start of `s`: the name, the raw value, and what follows.
fn attribute(s: &str) -> Option<(&str, &str, &str)> {
    let (name, rest) = s.split_once("=\"")?;
    let end = rest.find('"')?;
    let ok_name = !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase());
    ok_name.then(|| (name, &rest[..end], &rest[end + 1..]))
}

/// Text with the five entities the body engine writes decoded; `None` on any other `&`.
fn decode(raw: &str) -> Option<std::borrow::Cow<'_, str>> {
    if !raw.contains('&') {
        return Some(std::borrow::Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let (c, len) = [
            ("&amp;", '&'),
            ("&lt;", '<'),
            ("&gt;", '>'),
            ("&quot;", '"'),
            ("&#39;", '\''),
        ]
        .iter()
        .find(|(e, _)| rest.starts_with(e))
        .map(|(e, c)| (*c, e.len()))?;
        out.push(c);
        rest = &rest[len..];
    }
    out.push_str(rest);
    Some(std::borrow::Cow::Owned(out))
}

/// Appends `s` escaped as html5ever's serializer (the allow-list pass's writer) escapes it: `&`,
/// `<`, `>` and no-break spaces everywhere, and `"` in attribute values.
fn escape(out: &mut String, s: &str, attr: bool) {
    let bytes = s.as_bytes();
    let (mut run, mut i) = (0, 0);
    while i < bytes.len() {
        let (entity, len) = match bytes[i] {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' if attr => ("&quot;", 1),
            // U+00A0 in UTF-8.
            0xC2 if bytes.get(i + 1) == Some(&0xA0) => ("&nbsp;", 2),
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&s[run..i]);
        out.push_str(entity);
        i += len;
        run = i;
    }
    out.push_str(&s[run..]);
}
