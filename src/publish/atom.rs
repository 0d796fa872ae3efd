//! Atom 1.0 rendering: summary and content as `type="html"`, an author per entry.
//!
//! Does not own the shared helpers (summary HTML, XML-safe text, dates: `mod.rs`) or writing files
//! (`write.rs`).

use atom_syndication::{Content, Entry, Feed, Generator, Link, Person, Text};

use super::{FeedMeta, Format, Item, PublishError, clean, image_mime, last_change, published};
use super::{content_html, feed_language, render_error, summary_html};

/// Atom 1.0: summary and content as `type="html"`, author per entry (feed-level author as fallback,
/// since Atom requires one).
pub fn render_atom(meta: &FeedMeta, items: &[Item]) -> Result<String, PublishError> {
    let feed = Feed {
        title: Text::plain(clean(&meta.title)),
        subtitle: Some(Text::plain(clean(&meta.description))),
        id: feed_id(meta),
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
        links: feed_links(meta),
        entries: items.iter().map(|item| entry(meta, item)).collect(),
        lang: feed_language(meta, items),
        ..Default::default()
    };
    let bytes = feed
        .write_to(Vec::new())
        .map_err(|e| render_error(meta, "Atom", e))?;
    String::from_utf8(bytes).map_err(|e| render_error(meta, "Atom", e))
}

/// The feed's id: its public URL when known, else a stable URN from the feed id.
fn feed_id(meta: &FeedMeta) -> String {
    meta.absolute_feed_url(Format::Atom)
        .unwrap_or_else(|| format!("urn:clearfeed:feed:{}", meta.id))
}

/// The site as `alternate`, and the feed itself as `self` when its public URL is known.
fn feed_links(meta: &FeedMeta) -> Vec<Link> {
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
    links
}

/// One item as an Atom entry.
fn entry(meta: &FeedMeta, item: &Item) -> Entry {
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
        links: entry_links(item),
        summary: Some(Text::html(clean(&summary_html(item)))),
        content: Some(Content {
            value: Some(content_html(meta, item)),
            content_type: Some("html".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The article as `alternate`, and its lead image as an `enclosure`.
fn entry_links(item: &Item) -> Vec<Link> {
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
    links
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::tests::{sample_item, sample_meta};

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
        let content = e.content.as_ref().unwrap().body.as_deref().unwrap();
        assert!(content.starts_with("<aside class=\"clearfeed-summary\"><h2>Key points</h2>"));
        assert!(content.ends_with(&items[1].content_html));
    }
}
