//! OPML 2.0 rendering: one outline per feed, for importing every feed into a reader at once (the
//! published clean feeds, or `clearfeed export`'s list of sources).
//!
//! Does not own writing the file (`write_opml` in `mod.rs`, `write.rs`).

use super::{FeedMeta, Format, escape_html, xml_safe};

/// One feed of an OPML list.
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    pub title: String,
    pub xml_url: String,
    pub html_url: String,
}

/// OPML 2.0 listing every feed's RSS URL, for importing all of them into a reader at once.
pub fn render_opml(feeds: &[FeedMeta]) -> String {
    let outlines: Vec<Outline> = feeds
        .iter()
        .map(|feed| Outline {
            title: feed.title.clone(),
            xml_url: feed.feed_url(Format::Rss),
            html_url: feed.site_url.clone(),
        })
        .collect();
    render_outlines("clearfeed feeds", &outlines)
}

/// OPML 2.0 titled `head_title` with one `type="rss"` outline each.
pub fn render_outlines(head_title: &str, outlines: &[Outline]) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n  <head>\n    <title>{}</title>\n  </head>\n  <body>\n",
        escape_html(&xml_safe(head_title))
    );
    for o in outlines {
        out.push_str(&format!(
            "    <outline type=\"rss\" text=\"{title}\" title=\"{title}\" xmlUrl=\"{xml}\" htmlUrl=\"{html}\"/>\n",
            title = escape_html(&xml_safe(&o.title)),
            xml = escape_html(&xml_safe(&o.xml_url)),
            html = escape_html(&xml_safe(&o.html_url)),
        ));
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::tests::sample_meta;

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
}
