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

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Item;

pub use crate::model::{FeedMeta, Format};

/// Program name and version, written as the feeds' generator.
const GENERATOR: &str = concat!("clearfeed ", env!("CARGO_PKG_VERSION"));

/// Suggested reader refresh interval in minutes (RSS `ttl`), matching the default schedule.
const TTL_MINUTES: u32 = 30;

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

/// RSS 2.0 with `atom:link rel=self`, `dc:creator`, `content:encoded` and an image enclosure.
pub fn render_rss(meta: &FeedMeta, items: &[Item]) -> Result<String, PublishError> {
    use rss::extension::atom::{AtomExtension, Link};
    use rss::extension::dublincore::DublinCoreExtension;

    let mut channel = rss::Channel {
        title: clean(&meta.title),
        link: clean(&meta.site_url),
        description: clean(&meta.description),
        last_build_date: Some(last_change(items).to_rfc2822()),
        generator: Some(GENERATOR.to_string()),
        ttl: Some(TTL_MINUTES.to_string()),
        ..Default::default()
    };
    if let Some(href) = meta.absolute_feed_url(Format::Rss) {
        channel.set_atom_ext(AtomExtension {
            links: vec![Link {
                href,
                rel: "self".into(),
                mime_type: Some("application/rss+xml".into()),
                ..Default::default()
            }],
        });
    }
    channel.items = items
        .iter()
        .map(|item| {
            let mut out = rss::Item {
                title: Some(clean(&item.title)),
                link: Some(clean(&item.url)),
                description: Some(clean(&summary_html(item))),
                content: Some(clean(&item.content_html)),
                pub_date: Some(published(item).to_rfc2822()),
                guid: Some(rss::Guid {
                    value: clean(&item.guid),
                    permalink: item.guid == item.url,
                }),
                ..Default::default()
            };
            if let Some(byline) = item.byline.as_deref().filter(|b| !b.trim().is_empty()) {
                out.set_dublin_core_ext(DublinCoreExtension {
                    creators: vec![clean(byline)],
                    ..Default::default()
                });
            }
            if let Some(image) = &item.image {
                out.set_enclosure(rss::Enclosure {
                    url: clean(image),
                    // The size is unknown without fetching the image; 0 is the customary "unknown".
                    length: "0".into(),
                    mime_type: image_mime(image).into(),
                });
            }
            out
        })
        .collect();
    let bytes = channel
        .write_to(Vec::new())
        .map_err(|e| render_error(meta, "RSS", e))?;
    String::from_utf8(bytes).map_err(|e| render_error(meta, "RSS", e))
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

/// Atom 1.0: summary and content as `type="html"`, author per entry (feed-level author as fallback,
/// since Atom requires one).
pub fn render_atom(meta: &FeedMeta, items: &[Item]) -> Result<String, PublishError> {
    use atom_syndication::{Content, Entry, Feed, Generator, Link, Person, Text};

    let mut links = vec![Link {
        href: clean(&meta.site_url),
        rel: "alternate".into(),
        mime_type: Some("text/html".into()),
        ..Default::default()
    }];
    if let Some(href) = meta.absolute_feed_url(Format::Atom) {
        links.push(Link {
            href,
            rel: "self".into(),
            mime_type: Some("application/atom+xml".into()),
            ..Default::default()
        });
    }
    let feed_id = meta
        .absolute_feed_url(Format::Atom)
        .unwrap_or_else(|| format!("urn:clearfeed:feed:{}", meta.id));
    let entries = items
        .iter()
        .map(|item| {
            let mut links = vec![Link {
                href: clean(&item.url),
                rel: "alternate".into(),
                mime_type: Some("text/html".into()),
                ..Default::default()
            }];
            if let Some(image) = &item.image {
                links.push(Link {
                    href: clean(image),
                    rel: "enclosure".into(),
                    mime_type: Some(image_mime(image).into()),
                    ..Default::default()
                });
            }
            Entry {
                id: clean(&item.guid),
                title: Text::plain(clean(&item.title)),
                updated: item.updated.into(),
                published: Some(published(item).into()),
                authors: item
                    .byline
                    .as_deref()
                    .filter(|b| !b.trim().is_empty())
                    .map(|b| Person {
                        name: clean(b),
                        ..Default::default()
                    })
                    .into_iter()
                    .collect(),
                links,
                summary: Some(Text::html(clean(&summary_html(item)))),
                content: Some(Content {
                    value: Some(clean(&item.content_html)),
                    content_type: Some("html".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let feed = Feed {
        title: Text::plain(clean(&meta.title)),
        subtitle: Some(Text::plain(clean(&meta.description))),
        id: feed_id,
        updated: last_change(items).into(),
        authors: vec![Person {
            name: clean(&meta.title),
            uri: Some(clean(&meta.site_url)),
            ..Default::default()
        }],
        generator: Some(Generator {
            value: "clearfeed".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
            uri: None,
        }),
        links,
        entries,
        ..Default::default()
    };
    let bytes = feed
        .write_to(Vec::new())
        .map_err(|e| render_error(meta, "Atom", e))?;
    String::from_utf8(bytes).map_err(|e| render_error(meta, "Atom", e))
}

/// JSON Feed 1.1 document. Also read back by `serve` for the index page, hence `Deserialize`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JsonFeed {
    pub version: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_page_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub items: Vec<JsonItem>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JsonItem {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_html: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_published: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_modified: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<JsonAuthor>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JsonAuthor {
    pub name: String,
}

/// JSON Feed 1.1. `summary` is the plain-text summary; `content_html` the clean article.
pub fn render_json(meta: &FeedMeta, items: &[Item]) -> Result<String, PublishError> {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1".into(),
        title: clean(&meta.title),
        home_page_url: Some(clean(&meta.site_url)),
        feed_url: meta.absolute_feed_url(Format::Json),
        description: Some(clean(&meta.description)).filter(|d| !d.is_empty()),
        items: items
            .iter()
            .map(|item| JsonItem {
                id: clean(&item.guid),
                url: Some(clean(&item.url)),
                title: Some(clean(&item.title)),
                summary: Some(clean(&item.summary)),
                content_html: Some(clean(&item.content_html)),
                image: item.image.as_deref().map(clean),
                date_published: Some(published(item)),
                date_modified: Some(item.updated),
                authors: item
                    .byline
                    .as_deref()
                    .filter(|b| !b.trim().is_empty())
                    .map(|b| JsonAuthor { name: clean(b) })
                    .into_iter()
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&feed).map_err(|e| render_error(meta, "JSON", e))
}

/// OPML 2.0 listing every feed's RSS URL, for importing all of them into a reader at once.
pub fn render_opml(feeds: &[FeedMeta]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n  <head>\n    <title>clearfeed feeds</title>\n  </head>\n  <body>\n",
    );
    for feed in feeds {
        out.push_str(&format!(
            "    <outline type=\"rss\" text=\"{title}\" title=\"{title}\" xmlUrl=\"{xml}\" htmlUrl=\"{html}\"/>\n",
            title = escape_html(&xml_safe(&feed.title)),
            xml = escape_html(&xml_safe(&feed.feed_url(Format::Rss))),
            html = escape_html(&xml_safe(&feed.site_url)),
        ));
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

/// Renders and atomically writes the three formats of one feed into `public_dir`.
pub fn write_feed(public_dir: &Path, meta: &FeedMeta, items: &[Item]) -> Result<(), PublishError> {
    if !valid_feed_id(&meta.id) {
        return Err(PublishError::InvalidId(meta.id.clone()));
    }
    let rendered = [
        (Format::Rss, render_rss(meta, items)?),
        (Format::Atom, render_atom(meta, items)?),
        (Format::Json, render_json(meta, items)?),
    ];
    create_dir(public_dir)?;
    for (format, text) in rendered {
        let path = public_dir.join(format!("{}.{}", meta.id, format.extension()));
        write_atomic(&path, text.as_bytes())?;
    }
    Ok(())
}

/// Writes `feeds.opml` listing every feed.
pub fn write_opml(public_dir: &Path, feeds: &[FeedMeta]) -> Result<(), PublishError> {
    create_dir(public_dir)?;
    write_atomic(
        &public_dir.join("feeds.opml"),
        render_opml(feeds).as_bytes(),
    )
}

fn create_dir(dir: &Path) -> Result<(), PublishError> {
    std::fs::create_dir_all(dir).map_err(|source| PublishError::Write {
        path: dir.to_path_buf(),
        source,
    })
}

/// Replaces `path` with `bytes` so that readers see either the old or the new file, never a torn
/// one, even across a crash: temp file in the same directory, fsync, rename, fsync the directory.
/// An unchanged file is left alone, so its modification time (the served Last-Modified) only
/// moves when the content does.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    let err = |source| PublishError::Write {
        path: path.to_path_buf(),
        source,
    };
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = temp_path(path);
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable. Directories cannot be opened this way everywhere; the
        // file's own data is already synced, so failing here is not worth failing the publish.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// A temp name beside `path`, unique per process and call so concurrent writers never share one.
/// Starts with a dot so the server's directory listing (which only takes valid ids) ignores it.
fn temp_path(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
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
        }
    }

    #[test]
    fn rss_round_trips_through_feed_rs() {
        let items = vec![sample_item(1), sample_item(2)];
        let xml = render_rss(&sample_meta(), &items).unwrap();
        assert!(xml.contains("xmlns:atom"), "{xml}");
        assert!(xml.contains("rel=\"self\""));
        assert!(xml.contains("<ttl>30</ttl>"));
        // A guid that is the article URL is a permalink (RSS's default, so no attribute).
        assert!(!xml.contains("isPermaLink"));
        let mut upstream_guid = sample_item(3);
        upstream_guid.guid = "tag:news.example.org,2026:3".into();
        let other = render_rss(&sample_meta(), &[upstream_guid]).unwrap();
        assert!(other.contains("isPermaLink=\"false\""), "{other}");
        let feed = feed_rs::parser::parse(xml.as_bytes()).unwrap();
        assert_eq!(feed.title.unwrap().content, "Harbour Gazette & Friends");
        assert_eq!(feed.entries.len(), 2);
        let e = &feed.entries[0];
        assert_eq!(e.id, items[0].guid);
        assert_eq!(e.title.as_ref().unwrap().content, items[0].title);
        assert_eq!(e.links[0].href, items[0].url);
        assert_eq!(e.published, items[0].published);
        assert_eq!(e.authors[0].name.as_deref(), Some("Ines Marlowe"));
        let summary = &e.summary.as_ref().unwrap().content;
        assert!(
            summary.contains("<li>Fares stay at &lt;2&gt; euros</li>"),
            "{summary}"
        );
        assert!(summary.contains("<p>The harbour authority"));
        let content = e.content.as_ref().unwrap().body.as_ref().unwrap();
        assert_eq!(content, &items[0].content_html);
        assert_eq!(
            e.media[0].content[0].url.as_ref().unwrap().as_str(),
            items[0].image.as_deref().unwrap()
        );
    }

    #[test]
    fn atom_round_trips_through_feed_rs() {
        let items = vec![sample_item(1), sample_item(2)];
        let xml = render_atom(&sample_meta(), &items).unwrap();
        let feed = feed_rs::parser::parse(xml.as_bytes()).unwrap();
        assert_eq!(feed.id, "https://feeds.example.net/feeds/harbour.atom");
        assert_eq!(feed.updated, Some(items[1].updated));
        let e = &feed.entries[1];
        assert_eq!(e.id, items[1].guid);
        assert_eq!(e.title.as_ref().unwrap().content, items[1].title);
        assert_eq!(e.updated, Some(items[1].updated));
        assert_eq!(e.published, items[1].published);
        assert_eq!(e.authors[0].name.as_deref(), Some("Ines Marlowe"));
        assert!(e.links.iter().any(|l| l.href == items[1].url));
        assert!(
            e.summary
                .as_ref()
                .unwrap()
                .content
                .contains("<ul><li>Evening ferries")
        );
        assert_eq!(
            e.content.as_ref().unwrap().body.as_deref(),
            Some(items[1].content_html.as_str())
        );
    }

    #[test]
    fn json_round_trips_through_feed_rs_and_serde() {
        let items = vec![sample_item(1)];
        let json = render_json(&sample_meta(), &items).unwrap();
        let feed = feed_rs::parser::parse(json.as_bytes()).unwrap();
        let e = &feed.entries[0];
        assert_eq!(e.id, items[0].guid);
        assert_eq!(e.title.as_ref().unwrap().content, items[0].title);
        assert_eq!(e.published, items[0].published);
        assert_eq!(e.updated, Some(items[0].updated));
        let ours: JsonFeed = serde_json::from_str(&json).unwrap();
        assert_eq!(ours.version, "https://jsonfeed.org/version/1.1");
        assert_eq!(
            ours.feed_url.as_deref(),
            Some("https://feeds.example.net/feeds/harbour.json")
        );
        assert_eq!(
            ours.items[0].summary.as_deref(),
            Some(items[0].summary.as_str())
        );
        assert_eq!(ours.items[0].authors[0].name, "Ines Marlowe");
        assert_eq!(ours.items[0].image, items[0].image);
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
        // No temp files are left behind.
        let names: Vec<_> = std::fs::read_dir(&public)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");

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
    fn unchanged_content_keeps_the_file_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.rss");
        write_atomic(&path, b"one").unwrap();
        let before = std::fs::metadata(&path).unwrap().modified().unwrap();
        let inode = std::fs::metadata(&path)
            .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
            .unwrap();
        write_atomic(&path, b"one").unwrap();
        let m = std::fs::metadata(&path).unwrap();
        assert_eq!(m.modified().unwrap(), before);
        assert_eq!(std::os::unix::fs::MetadataExt::ino(&m), inode);
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
    }

    #[test]
    fn opml_lists_feeds_and_escapes() {
        let feeds = vec![
            sample_meta(),
            FeedMeta {
                id: "b".into(),
                title: "A \"quoted\" <feed>".into(),
                base_url: None,
                ..sample_meta()
            },
        ];
        let opml = render_opml(&feeds);
        assert!(opml.contains("xmlUrl=\"https://feeds.example.net/feeds/harbour.rss\""));
        assert!(opml.contains("title=\"A &quot;quoted&quot; &lt;feed&gt;\""));
        assert!(opml.contains("xmlUrl=\"/feeds/b.rss\""));
        assert_eq!(opml.matches("<outline").count(), 2);
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
