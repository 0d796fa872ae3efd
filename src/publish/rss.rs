//! RSS 2.0 rendering: the channel with `atom:link rel=self`, and items with `dc:creator`,
//! `content:encoded` and an image enclosure.
//!
//! Does not own the shared helpers (summary HTML, XML-safe text, dates: `mod.rs`) or writing files
//! (`write.rs`).

use super::{FeedMeta, Format, Item, PublishError, clean, image_mime, last_change, published};
use super::{content_html, feed_language, render_error, summary_html};

/// Program name and version, written as the feeds' generator.
const GENERATOR: &str = concat!("clearfeed ", env!("CARGO_PKG_VERSION"));

/// Suggested reader refresh interval in minutes (RSS `ttl`), matching the default schedule.
const TTL_MINUTES: u32 = 30;

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
        language: feed_language(meta, items),
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
                content: Some(content_html(meta, item)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::tests::{sample_item, sample_meta};

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
        assert!(content.starts_with("<aside class=\"clearfeed-summary\">"));
        assert!(content.ends_with(&items[0].content_html));
        let off = FeedMeta {
            summary_in_content: false,
            ..sample_meta()
        };
        let plain = feed_rs::parser::parse(render_rss(&off, &items).unwrap().as_bytes()).unwrap();
        let content = plain.entries[0].content.as_ref().unwrap().body.as_ref();
        assert_eq!(content, Some(&items[0].content_html));
        assert_eq!(
            e.media[0].content[0].url.as_ref().unwrap().as_str(),
            items[0].image.as_deref().unwrap()
        );
    }
}
