//! The headline from the visible page and the clean-up of page titles: `<title>` against `<h1>`,
//! and " | Site name" / " - Author" decorations removed. Owns title text only; where a title comes
//! from (site rule, JSON-LD, OpenGraph) is decided in `meta`.

use url::Url;

use crate::extract::{collapse_whitespace, dedupe_key};

/// The headline from the visible page: `<title>` (its suffix is removed later), unless the
/// `<h1>` is contained in it — then the `<h1>` is the same headline without decoration. An `<h1>`
/// unrelated to the title is often a section or site name, so the title wins over it; the `<h1>`
/// is used only when the title is missing or too short to be a headline.
pub(super) fn dom_title(title: Option<&str>, h1: Option<&str>) -> Option<String> {
    let norm = dedupe_key;
    match (title, h1) {
        (Some(t), Some(h)) if !norm(h).is_empty() && norm(t).contains(&norm(h)) => Some(h.into()),
        (Some(t), Some(h)) if t.split_whitespace().count() < 2 => Some(h.into()),
        (Some(t), _) => Some(t.into()),
        (None, h) => h.map(str::to_owned),
    }
}

/// Removes " - Site", " | Site", " – Site" (or "Site | ") parts from a page title when the part is
/// one of `names` (the site's name, the author's), matches the host name, or when what remains is
/// the page's `<h1>`. Repeated, so "Headline - Author - Site" loses both decorations.
pub(crate) fn strip_site_suffix(
    title: &str,
    names: &[&str],
    h1: Option<&str>,
    page_url: Option<&Url>,
) -> String {
    let mut title = collapse_whitespace(title);
    for _ in 0..3 {
        match strip_once(&title, names, h1, page_url) {
            Some(shorter) => title = shorter,
            None => break,
        }
    }
    title
}

fn strip_once(
    title: &str,
    names: &[&str],
    h1: Option<&str>,
    page_url: Option<&Url>,
) -> Option<String> {
    const SEPARATORS: [&str; 7] = [" | ", " - ", " – ", " — ", " :: ", " · ", " » "];
    let names: Vec<String> = names
        .iter()
        .map(|n| dedupe_key(n))
        .filter(|n| !n.is_empty())
        .collect();
    let h1n = h1.map(dedupe_key).filter(|s| !s.is_empty());
    let host = page_url
        .and_then(Url::host_str)
        .map(|h| dedupe_key(h.trim_start_matches("www.")));
    let is_site = |part: &str| {
        let p = dedupe_key(part);
        p.len() >= 3
            && (names.contains(&p)
                || host
                    .as_deref()
                    .is_some_and(|h| h.starts_with(&p) || p.starts_with(h)))
    };
    for sep in SEPARATORS {
        if let Some(idx) = title.rfind(sep) {
            let (head, tail) = (&title[..idx], &title[idx + sep.len()..]);
            if !head.trim().is_empty()
                && (is_site(tail) || h1n.as_deref() == Some(dedupe_key(head).as_str()))
            {
                return Some(head.trim().to_owned());
            }
        }
        if let Some(idx) = title.find(sep) {
            let (head, tail) = (&title[..idx], &title[idx + sep.len()..]);
            if !tail.trim().is_empty()
                && (is_site(head) || h1n.as_deref() == Some(dedupe_key(tail).as_str()))
            {
                return Some(tail.trim().to_owned());
            }
        }
    }
    None
}
