//! Sanitizing: the last step for every piece of HTML that leaves clearfeed. The output goes into
//! feed readers, many of which render it with little or no filtering of their own, so this is a
//! security boundary: an allow-list (ammonia) of plain document tags and a handful of attributes,
//! nothing executable, nothing that loads from another origin except `<img src>` over http(s),
//! no tracking attributes, and every relative URL made absolute against the page's base.
//!
//! Markup in the shape the body engine writes skips the re-parse: [`direct`] writes it out as the
//! allow-list pass would (and declines anything else, which then takes the full pass).
//!
//! This module knows nothing about what is or is not article content; it only makes HTML safe.

mod direct;

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;

use ammonia::{Builder, UrlRelative};
use url::Url;

/// Tags kept (without attributes unless listed below). Anything else is unwrapped (its text kept)
/// unless it is in [`DROPPED_WITH_CONTENT`].
const ALLOWED_TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "del",
    "dfn",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
    "var",
];

/// Elements removed together with everything inside them: executable or embedded content, forms,
/// and foreign (SVG, MathML) markup, whose parsing rules differ from HTML's and have a long history
/// of sanitizer bypasses.
const DROPPED_WITH_CONTENT: &[&str] = &[
    "script",
    "style",
    "template",
    "noscript",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "form",
    "button",
    "select",
    "option",
    "optgroup",
    "textarea",
    "svg",
    "math",
    "video",
    "audio",
    "canvas",
    "dialog",
    "title",
    "noembed",
    "noframes",
    "xmp",
    "plaintext",
];

/// URL schemes allowed in `href` and `src`, on top of ammonia's own default list (which holds no
/// script-capable scheme, but does let `ftp:`, `tel:`, `sms:` and a few others through). No `data:`
/// (not even images: SVG data URLs can script, and a feed item has no business embedding megabytes
/// of base64).
const URL_SCHEMES: &[&str] = &["http", "https", "mailto"];

/// The `rel` every published link gets: no access to the opener, no referrer, no endorsement.
const LINK_REL: &str = "noopener noreferrer nofollow";

/// Query parameters that only track readers (click ids, newsletter and campaign tags); `utm_*`
/// is matched as a prefix. Removed from every link clearfeed publishes and from item URLs.
pub const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "twclid",
    "ttclid",
    "li_fat_id",
    "mc_cid",
    "mc_eid",
    "igshid",
    "yclid",
    "_ga",
    "_gl",
    "ocid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "vero_id",
    "oly_anon_id",
    "oly_enc_id",
    "wickedid",
];

/// Whether a query parameter name is a tracking tag ([`TRACKING_PARAMS`] or `utm_*`).
pub fn is_tracking_param(name: &str) -> bool {
    name.as_bytes()
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"utm_"))
        || TRACKING_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(name))
}

/// A URL (absolute or relative, as written in an attribute) without its tracking parameters; the
/// other parameters keep their order and spelling. Works on the text, so relative links work too.
pub fn strip_tracking_params(url: &str) -> Cow<'_, str> {
    let Some(q) = url.find('?') else {
        return Cow::Borrowed(url);
    };
    let end = url[q..].find('#').map_or(url.len(), |f| q + f);
    let query = &url[q + 1..end];
    let keep: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            !pair.is_empty() && !is_tracking_param(name)
        })
        .collect();
    if keep.len() == query.split('&').count() {
        return Cow::Borrowed(url);
    }
    let mut out = url[..q].to_string();
    if !keep.is_empty() {
        out.push('?');
        out.push_str(&keep.join("&"));
    }
    out.push_str(&url[end..]);
    Cow::Owned(out)
}

thread_local! {
    /// The base URL of the page being sanitized on this thread. ammonia's relative-URL hook takes
    /// no context, and building a `Builder` per page would repeat its set-up for every article, so
    /// the base is handed over here for the duration of one [`Sanitizer::clean`] call.
    static CURRENT_BASE: RefCell<Option<Url>> = const { RefCell::new(None) };
}

/// The allow-list, built once and reused for every page.
pub struct Sanitizer {
    builder: Builder<'static>,
    /// The schemes the builder lets through in absolute URLs (ammonia's defaults and ours), read
    /// back from it so that the direct path applies exactly the same list.
    schemes: HashSet<&'static str>,
}

impl std::fmt::Debug for Sanitizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sanitizer").finish_non_exhaustive()
    }
}

impl Default for Sanitizer {
    fn default() -> Self {
        Self::new()
    }
}

impl Sanitizer {
    pub fn new() -> Self {
        let mut b = Builder::empty();
        b.add_tags(ALLOWED_TAGS)
            .add_clean_content_tags(DROPPED_WITH_CONTENT)
            .add_tag_attributes("a", ["href", "title"])
            .add_tag_attributes("img", ["src", "alt", "title", "width", "height"])
            .add_tag_attributes("abbr", ["title"])
            .add_tag_attributes("td", ["colspan", "rowspan"])
            .add_tag_attributes("th", ["colspan", "rowspan", "scope"])
            .add_tag_attributes("ol", ["start", "reversed"])
            .add_tag_attributes("time", ["datetime"])
            .add_url_schemes(URL_SCHEMES)
            .link_rel(Some(LINK_REL))
            .strip_comments(true)
            .attribute_filter(|_, attr, value| match attr {
                "href" | "src" => Some(strip_tracking_params(value)),
                _ => Some(Cow::Borrowed(value)),
            })
            .url_relative(UrlRelative::Custom(Box::new(resolve_relative)));
        let schemes = b.clone_url_schemes();
        Sanitizer {
            builder: b,
            schemes,
        }
    }

    /// Sanitizes an HTML fragment. Relative URLs are resolved against `base`; without a base they
    /// are kept relative (a reader resolves them against the item's link).
    pub fn clean(&self, html: &str, base: Option<&Url>) -> String {
        direct::clean(html, base, &self.schemes).unwrap_or_else(|| self.clean_parsed(html, base))
    }

    /// The full pass: `html` parsed, filtered by the allow-list and serialized again.
    fn clean_parsed(&self, html: &str, base: Option<&Url>) -> String {
        CURRENT_BASE.with(|b| *b.borrow_mut() = base.cloned());
        let out = self.builder.clean(html).to_string();
        CURRENT_BASE.with(|b| *b.borrow_mut() = None);
        out
    }
}

/// ammonia calls this only for relative URLs (absolute ones are checked against the scheme list).
fn resolve_relative(url: &str) -> Option<Cow<'_, str>> {
    CURRENT_BASE.with(|base| resolve(url, base.borrow().as_ref()))
}

/// A relative URL made absolute against `base` (kept as it is without one). The resolved URL must
/// itself be http(s), so a base can never smuggle in another scheme.
fn resolve<'u>(url: &'u str, base: Option<&Url>) -> Option<Cow<'u, str>> {
    match base {
        Some(base) => base
            .join(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|u| Cow::Owned(u.into())),
        None => Some(Cow::Borrowed(url)),
    }
}

/// An `href` or `src` value as the allow-list pass leaves it, in its order: an absolute URL must
/// have an allowed scheme and one that does not parse is dropped; tracking parameters go; what is
/// then relative is resolved. `None`: the attribute is dropped.
fn allowed_url(value: &str, base: Option<&Url>, schemes: &HashSet<&str>) -> Option<String> {
    let relative = match Url::parse(value) {
        Ok(u) if schemes.contains(u.scheme()) => false,
        Err(url::ParseError::RelativeUrlWithoutBase) => true,
        _ => return None,
    };
    let stripped = strip_tracking_params(value);
    // Only a text the parameters were taken out of can parse differently.
    let relative = match &stripped {
        Cow::Borrowed(_) => relative,
        Cow::Owned(s) => matches!(Url::parse(s), Err(url::ParseError::RelativeUrlWithoutBase)),
    };
    if relative {
        resolve(&stripped, base).map(Cow::into_owned)
    } else {
        Some(stripped.into_owned())
    }
}

#[cfg(test)]
pub(crate) mod tests;
