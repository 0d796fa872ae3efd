//! Publishing: our `Item` model converted to RSS 2.0, Atom 1.0 and JSON Feed 1.1 (only here), and
//! written atomically to `<data_dir>/public/`.
//!
//! Rendering is pure and deterministic: the same items give the same bytes (no clock is read; the
//! feed's "last build" time is the newest item time). That keeps the served ETag stable while
//! nothing changed, so readers' conditional requests keep getting 304s. Writing never leaves a
//! half-written file behind: each file is written to a temporary file in the same directory,
//! fsynced and renamed over the old one.
//!
//! What this module does not do: decide which items go in a feed (the pipeline and the store do),
//! or sanitize article HTML (extraction did; here only XML-invalid characters are removed).
//!
//! This file owns the errors, the helpers every format shares (feed ids, XML-safe text, the one
//! HTML escaper, summary HTML, dates) and the entry points [`write_feed`] and [`write_opml`]. The
//! formats live in `rss.rs`, `atom.rs`, `json.rs` and `opml.rs`; the atomic writer in `write.rs`.

mod atom;
mod json;
mod opml;
mod rss;
mod target;
mod write;

use std::borrow::Cow;
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::model::Item;

pub use self::rss::render_rss;
pub use crate::model::{FeedMeta, Format};
pub use atom::render_atom;
pub use json::{JsonAuthor, JsonFeed, JsonItem, render_json};
pub use opml::{Outline, render_opml, render_outlines};
pub use target::{ObjectInfo, PublishTarget, S3Location, S3Prefix, content_type_of};
use write::create_dir;
pub use write::{Encoding, generation, write_atomic, write_published};

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// Feed ids become file names; anything but `[A-Za-z0-9_-]` could escape the directory.
    #[error("invalid feed id {0:?}: use letters, digits, '-' and '_' only")]
    InvalidId(String),
    #[error("cannot render the {format} feed {feed:?}: {message}")]
    Render {
        feed: String,
        format: &'static str,
        message: String,
    },
    #[error("cannot publish to {target}: {message}")]
    Storage { target: String, message: String },
}

/// Whether `id` is safe as a file stem and URL segment: 1–128 of `[A-Za-z0-9_-]`, so no dots,
/// slashes or anything else that could name a path outside the public directory.
pub fn valid_feed_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Removes characters XML 1.0 forbids (C0 controls other than tab/LF/CR, U+FFFE, U+FFFF), which
/// upstream pages do contain and which make strict parsers reject the whole feed.
pub fn xml_safe(text: &str) -> Cow<'_, str> {
    fn allowed(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    }
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|&c| allowed(c)).collect())
    }
}

fn clean(text: &str) -> String {
    xml_safe(text).into_owned()
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    crate::extract::content::escape_into(&mut out, text);
    out
}

/// The summary as HTML: key points as a list, then the lead paragraph. Falls back to the plain
/// summary text when the item has neither.
pub fn summary_html(item: &Item) -> String {
    let mut html = String::new();
    if !item.bullets.is_empty() {
        html.push_str("<ul>");
        for bullet in &item.bullets {
            html.push_str("<li>");
            html.push_str(&escape_html(bullet));
            html.push_str("</li>");
        }
        html.push_str("</ul>");
    }
    let lead = if item.lead.trim().is_empty() && item.bullets.is_empty() {
        item.summary.trim()
    } else {
        item.lead.trim()
    };
    if !lead.is_empty() {
        html.push_str("<p>");
        html.push_str(&escape_html(lead));
        html.push_str("</p>");
    }
    html
}

/// The key points as a box that reads as a summary, for the top of the published content; empty
/// when the item has none. The lead is not repeated: it is already the content's first paragraph.
pub fn summary_box(item: &Item) -> String {
    if item.bullets.is_empty() {
        return String::new();
    }
    let mut html = String::from("<aside class=\"clearfeed-summary\"><h2>Key points</h2><ul>");
    for bullet in &item.bullets {
        html.push_str("<li>");
        html.push_str(&escape_html(bullet));
        html.push_str("</li>");
    }
    html.push_str("</ul></aside>\n");
    html
}

/// The published content: the stored article, opened by the summary box when the feed asks for it.
fn content_html(meta: &FeedMeta, item: &Item) -> String {
    if meta.summary_in_content {
        clean(&(summary_box(item) + &item.content_html))
    } else {
        clean(&item.content_html)
    }
}

/// The feed's language: the one its file declares, else the one most of its items are in (a tie
/// goes to the language of the newer items, which come first); `None` when no item has one.
pub fn feed_language(meta: &FeedMeta, items: &[Item]) -> Option<String> {
    if let Some(lang) = &meta.language {
        return Some(clean(lang));
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for lang in items.iter().filter_map(|i| i.language.as_deref()) {
        match counts.iter_mut().find(|(l, _)| *l == lang) {
            Some((_, n)) => *n += 1,
            None => counts.push((lang, 1)),
        }
    }
    // `max_by_key` keeps the last of equal maxima; reversed, that is the first seen.
    counts
        .into_iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .map(|(lang, _)| clean(lang))
}

/// When the item was published, falling back to when we first saw it.
fn published(item: &Item) -> DateTime<Utc> {
    item.published.unwrap_or(item.first_seen)
}

/// The feed's own "last changed" time: the newest item time. Deterministic, so unchanged items give
/// byte-identical files; an empty feed reports the Unix epoch.
fn last_change(items: &[Item]) -> DateTime<Utc> {
    items
        .iter()
        .map(|i| i.updated.max(published(i)))
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// Guesses the lead image's media type from its URL, for the RSS enclosure.
fn image_mime(url: &str) -> &'static str {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    match path.rsplit('.').next() {
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("avif") => "image/avif",
        Some("svg") => "image/svg+xml",
        _ => "image/jpeg",
    }
}

fn render_error(
    meta: &FeedMeta,
    format: &'static str,
    err: impl std::fmt::Display,
) -> PublishError {
    PublishError::Render {
        feed: meta.id.clone(),
        format,
        message: err.to_string(),
    }
}

/// The three formats of one feed, rendered, each with its file name.
pub fn render_feed_files(
    meta: &FeedMeta,
    items: &[Item],
) -> Result<Vec<(String, String)>, PublishError> {
    if !valid_feed_id(&meta.id) {
        return Err(PublishError::InvalidId(meta.id.clone()));
    }
    let rendered = [
        (Format::Rss, render_rss(meta, items)?),
        (Format::Atom, render_atom(meta, items)?),
        (Format::Json, render_json(meta, items)?),
    ];
    Ok(rendered
        .into_iter()
        .map(|(format, text)| (format!("{}.{}", meta.id, format.extension()), text))
        .collect())
}

/// Renders and atomically writes the three formats of one feed into `public_dir`.
pub fn write_feed(public_dir: &Path, meta: &FeedMeta, items: &[Item]) -> Result<(), PublishError> {
    let rendered = render_feed_files(meta, items)?;
    create_dir(public_dir)?;
    for (name, text) in rendered {
        write_published(&public_dir.join(name), text.as_bytes())?;
    }
    Ok(())
}

/// Writes `feeds.opml` listing every feed.
pub fn write_opml(public_dir: &Path, feeds: &[FeedMeta]) -> Result<(), PublishError> {
    create_dir(public_dir)?;
    write_published(
        &public_dir.join("feeds.opml"),
        render_opml(feeds).as_bytes(),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;

    pub(crate) fn sample_meta() -> FeedMeta {
        FeedMeta {
            id: "harbour".into(),
            title: "Harbour Gazette & Friends".into(),
            description: "Clean news from the harbour".into(),
            site_url: "https://news.example.org/".into(),
            base_url: Some("https://feeds.example.net/".into()),
            summary_in_content: true,
            language: None,
        }
    }

    pub(crate) fn sample_item(n: u32) -> Item {
        let t = Utc.with_ymd_and_hms(2026, 3, 1 + n, 8, 30, 0).unwrap();
        Item {
            feed: "harbour".into(),
            guid: format!("https://news.example.org/a/{n}"),
            url: format!("https://news.example.org/a/{n}"),
            title: format!("Ferry timetable <changes> & more, part {n}"),
            byline: Some("Ines Marlowe".into()),
            published: Some(t),
            updated: t + chrono::Duration::hours(1),
            bullets: vec![
                "Evening ferries run every 20 minutes".into(),
                "Fares stay at <2> euros".into(),
            ],
            lead: "The harbour authority announced a new timetable on Monday.".into(),
            summary: "• Evening ferries run every 20 minutes\n• Fares stay at <2> euros\n\nThe harbour authority announced a new timetable on Monday.".into(),
            content_html: "<p>The harbour authority announced a new timetable.</p><p>Second paragraph.</p>".into(),
            image: Some("https://news.example.org/img/ferry.webp?w=800".into()),
            content_hash: "abc".into(),
            first_seen: t,
            language: Some("en".into()),
        }
    }

    #[test]
    fn control_characters_are_removed_and_feeds_stay_parseable() {
        let mut item = sample_item(1);
        item.title = "Bell\u{7} and NUL\u{0} and \u{FFFF}ok".into();
        item.content_html = "<p>form\u{c}feed</p>".into();
        for text in [
            render_rss(&sample_meta(), std::slice::from_ref(&item)).unwrap(),
            render_atom(&sample_meta(), std::slice::from_ref(&item)).unwrap(),
        ] {
            assert!(!text.contains('\u{7}') && !text.contains('\u{0}') && !text.contains('\u{c}'));
            let feed = feed_rs::parser::parse(text.as_bytes()).unwrap();
            assert_eq!(
                feed.entries[0].title.as_ref().unwrap().content,
                "Bell and NUL and ok"
            );
        }
        assert_eq!(xml_safe("tab\tok\n"), "tab\tok\n");
    }

    #[test]
    fn content_opens_with_the_summary_box_unless_disabled() {
        let item = sample_item(1);
        let html = content_html(&sample_meta(), &item);
        assert!(
            html.starts_with(
                "<aside class=\"clearfeed-summary\"><h2>Key points</h2><ul>\
                 <li>Evening ferries run every 20 minutes</li><li>Fares stay at &lt;2&gt; euros</li>\
                 </ul></aside>\n<p>The harbour"
            ),
            "{html}"
        );
        let off = FeedMeta {
            summary_in_content: false,
            ..sample_meta()
        };
        assert_eq!(content_html(&off, &item), item.content_html);
        let bare = Item {
            bullets: Vec::new(),
            ..item.clone()
        };
        assert_eq!(content_html(&sample_meta(), &bare), item.content_html);
    }

    #[test]
    fn rendering_is_deterministic_and_empty_feeds_are_valid() {
        let items = vec![sample_item(3)];
        assert_eq!(
            render_rss(&sample_meta(), &items).unwrap(),
            render_rss(&sample_meta(), &items).unwrap()
        );
        for text in [
            render_rss(&sample_meta(), &[]).unwrap(),
            render_atom(&sample_meta(), &[]).unwrap(),
            render_json(&sample_meta(), &[]).unwrap(),
        ] {
            assert!(
                feed_rs::parser::parse(text.as_bytes())
                    .unwrap()
                    .entries
                    .is_empty()
            );
        }
    }

    #[test]
    fn without_base_url_there_is_no_self_link() {
        let meta = FeedMeta {
            base_url: None,
            ..sample_meta()
        };
        let xml = render_rss(&meta, &[sample_item(1)]).unwrap();
        assert!(!xml.contains("rel=\"self\""));
        assert_eq!(meta.feed_url(Format::Json), "/feeds/harbour.json");
        let atom = render_atom(&meta, &[]).unwrap();
        assert!(atom.contains("urn:clearfeed:feed:harbour"));
    }

    #[test]
    fn write_feed_writes_three_files_atomically_and_rejects_bad_ids() {
        let dir = tempfile::tempdir().unwrap();
        let public = dir.path().join("public");
        write_feed(&public, &sample_meta(), &[sample_item(1)]).unwrap();
        for ext in ["rss", "atom", "json"] {
            let bytes = std::fs::read(public.join(format!("harbour.{ext}"))).unwrap();
            feed_rs::parser::parse(bytes.as_slice()).unwrap();
        }
        // No temp files are left behind: three feeds, each with its gzip and brotli variant.
        let mut names: Vec<_> = std::fs::read_dir(&public)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "harbour.atom",
                "harbour.atom.br",
                "harbour.atom.gz",
                "harbour.json",
                "harbour.json.br",
                "harbour.json.gz",
                "harbour.rss",
                "harbour.rss.br",
                "harbour.rss.gz"
            ]
        );

        let bad = FeedMeta {
            id: "../escape".into(),
            ..sample_meta()
        };
        assert!(matches!(
            write_feed(&public, &bad, &[]),
            Err(PublishError::InvalidId(_))
        ));
        assert!(!dir.path().join("escape.rss").exists());
    }

    #[test]
    fn the_feed_language_is_declared_or_that_of_most_items() {
        let lang = |l: Option<&str>| Item {
            language: l.map(str::to_string),
            ..sample_item(1)
        };
        let items = [
            lang(Some("de")),
            lang(Some("en")),
            lang(None),
            lang(Some("en")),
        ];
        assert_eq!(feed_language(&sample_meta(), &items).as_deref(), Some("en"));
        // A tie goes to the newer items' language.
        assert_eq!(
            feed_language(&sample_meta(), &items[..2]).as_deref(),
            Some("de")
        );
        assert_eq!(feed_language(&sample_meta(), &[lang(None)]), None);
        let declared = FeedMeta {
            language: Some("fr".into()),
            ..sample_meta()
        };
        assert_eq!(feed_language(&declared, &items).as_deref(), Some("fr"));
        let rss = render_rss(&sample_meta(), &items).unwrap();
        assert!(rss.contains("<language>en</language>"), "{rss}");
        let atom = render_atom(&declared, &items).unwrap();
        assert!(atom.contains(" xml:lang=\"fr\""), "{atom}");
        let json: JsonFeed =
            serde_json::from_str(&render_json(&declared, &items).unwrap()).unwrap();
        assert_eq!(json.language.as_deref(), Some("fr"));
        let none = render_rss(&sample_meta(), &[lang(None)]).unwrap();
        assert!(!none.contains("<language>"), "{none}");
    }

    #[test]
    fn feed_ids_are_validated() {
        for good in ["harbour", "a-b_c9"] {
            assert!(valid_feed_id(good), "{good}");
        }
        for bad in ["", "..", "a.b", "a/b", "a\\b", "%2e", "é", &"x".repeat(129)] {
            assert!(!valid_feed_id(bad), "{bad}");
        }
    }
}
